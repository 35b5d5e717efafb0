/* The per-process limit on Slack look-ups in flight: many threads, never
 * more than the limit inside at once, and the limit is actually used. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <apr_atomic.h>
#include <apr_thread_proc.h>

#include "helper_fixtures.h"
#include "sap_throttle.h"

#define THREADS 30
#define LIMIT   10

typedef struct crowd_t {
    sap_throttle_t *throttle;
    volatile apr_uint32_t inside;
    volatile apr_uint32_t most_inside;
    volatile int cancel;
} crowd_t;

static void *APR_THREAD_FUNC enter_and_hold(apr_thread_t *thread, void *data)
{
    crowd_t *crowd = data;
    apr_uint32_t now, most;

    if (sap_throttle_enter(crowd->throttle, &crowd->cancel) == APR_SUCCESS) {
        now = apr_atomic_inc32(&crowd->inside) + 1;
        while ((most = apr_atomic_read32(&crowd->most_inside)) < now
               && apr_atomic_cas32(&crowd->most_inside, now, most) != most) {
        }
        apr_sleep(apr_time_from_msec(20));
        apr_atomic_dec32(&crowd->inside);
        sap_throttle_leave(crowd->throttle);
    }
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

static void test_never_more_than_the_limit(void **state)
{
    apr_pool_t *pool = *state;
    apr_thread_t *threads[THREADS];
    crowd_t crowd = {0};
    apr_status_t rv;
    int i;

    assert_int_equal(sap_throttle_create(&crowd.throttle, pool, LIMIT), APR_SUCCESS);
    for (i = 0; i < THREADS; i++) {
        assert_int_equal(apr_thread_create(&threads[i], NULL, enter_and_hold, &crowd, pool),
                         APR_SUCCESS);
    }
    for (i = 0; i < THREADS; i++) {
        apr_thread_join(&rv, threads[i]);
    }
    assert_true(apr_atomic_read32(&crowd.most_inside) <= LIMIT);
    assert_int_equal(sap_throttle_peak(crowd.throttle), (int)apr_atomic_read32(&crowd.most_inside));
    assert_int_equal(sap_throttle_peak(crowd.throttle), LIMIT);
    assert_int_equal(sap_throttle_in_flight(crowd.throttle), 0);
}

static void test_cancel_ends_the_wait(void **state)
{
    apr_pool_t *pool = *state;
    sap_throttle_t *throttle = NULL;
    volatile int cancel = 0;
    sap_test_cancel_t *raiser;

    assert_int_equal(sap_throttle_create(&throttle, pool, 1), APR_SUCCESS);
    assert_int_equal(sap_throttle_enter(throttle, &cancel), APR_SUCCESS);
    raiser = sap_test_cancel_after(pool, &cancel, apr_time_from_msec(50));
    assert_int_equal(sap_throttle_enter(throttle, &cancel), APR_ECONNABORTED);
    sap_test_cancel_join(raiser);
    assert_int_equal(sap_throttle_in_flight(throttle), 1);
    sap_throttle_leave(throttle);
    assert_int_equal(sap_throttle_enter(throttle, NULL), APR_SUCCESS);
}

static void test_no_throttle_never_waits(void **state)
{
    assert_int_equal(sap_throttle_enter(NULL, NULL), APR_SUCCESS);
    sap_throttle_leave(NULL);
    assert_int_equal(sap_throttle_peak(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SAP_POOL_TEST(test_never_more_than_the_limit),
        SAP_POOL_TEST(test_cancel_ends_the_wait),
        SAP_POOL_TEST(test_no_throttle_never_waits),
    };

    return cmocka_run_group_tests_name("sap_throttle", tests, sap_test_group_setup,
                                       sap_test_group_teardown);
}
