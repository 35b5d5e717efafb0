/* The job runner's pure parts: retry backoff. (Claiming, leases and
 * exactly-once runs are tested against PostgreSQL in t/workers.t.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sap_jobs.h"

static void test_retry_delay_doubles_from_5s(void **state)
{
    assert_int_equal(sap_jobs_retry_delay_sec(1), 5);
    assert_int_equal(sap_jobs_retry_delay_sec(2), 10);
    assert_int_equal(sap_jobs_retry_delay_sec(3), 20);
    assert_int_equal(sap_jobs_retry_delay_sec(4), 40);
    assert_int_equal(sap_jobs_retry_delay_sec(7), 320);
}

static void test_retry_delay_capped_at_10_minutes(void **state)
{
    assert_int_equal(sap_jobs_retry_delay_sec(8), 600);
    assert_int_equal(sap_jobs_retry_delay_sec(30), 600);
    assert_int_equal(sap_jobs_retry_delay_sec(1000000), 600);
}

static void test_retry_delay_odd_input(void **state)
{
    assert_int_equal(sap_jobs_retry_delay_sec(0), 5);
    assert_int_equal(sap_jobs_retry_delay_sec(-3), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_delay_doubles_from_5s),
        cmocka_unit_test(test_retry_delay_capped_at_10_minutes),
        cmocka_unit_test(test_retry_delay_odd_input),
    };

    return cmocka_run_group_tests_name("jobs", tests, NULL, NULL);
}
