#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "helper_fixtures.h"
#include "sap_log.h"
#include "sap_http.h"

sap_http_policy_t sap_test_fast_policy(void)
{
    sap_http_policy_t policy;

    sap_http_policy_defaults(&policy);
    policy.allow_insecure = 1;
    policy.backoff_initial = apr_time_from_msec(10);
    policy.backoff_cap = apr_time_from_sec(2);
    return policy;
}

int sap_test_group_setup(void **state)
{
    if (apr_initialize() != APR_SUCCESS || sap_http_global_init() != APR_SUCCESS) {
        return -1;
    }
    return 0;
}

int sap_test_group_teardown(void **state)
{
    sap_http_global_cleanup();
    apr_terminate();
    return 0;
}

int sap_test_pool_setup(void **state)
{
    apr_pool_t *pool = NULL;

    if (apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        return -1;
    }
    *state = pool;
    return 0;
}

int sap_test_pool_teardown(void **state)
{
    apr_pool_destroy(*state);
    return 0;
}

static apr_status_t stop_server(void *data)
{
    sap_test_loopback_stop(data);
    return APR_SUCCESS;
}

static sap_test_loopback_t *owned_by(apr_pool_t *pool, sap_test_loopback_t *srv)
{
    apr_pool_cleanup_register(pool, srv, stop_server, apr_pool_cleanup_null);
    return srv;
}

sap_test_loopback_t *sap_test_start_http(apr_pool_t *pool, const sap_test_http_reply_t *replies,
                                         int nreplies)
{
    sap_test_loopback_t *srv = NULL;

    assert_int_equal(sap_test_loopback_start_http(&srv, replies, nreplies), APR_SUCCESS);
    return owned_by(pool, srv);
}

sap_test_loopback_t *sap_test_start_smtp(apr_pool_t *pool, const sap_test_smtp_reply_t *replies,
                                         int nreplies)
{
    sap_test_loopback_t *srv = NULL;

    assert_int_equal(sap_test_loopback_start_smtp(&srv, replies, nreplies), APR_SUCCESS);
    return owned_by(pool, srv);
}

struct sap_test_cancel_t {
    volatile int *flag;
    apr_interval_time_t after;
    apr_thread_t *thread;
};

static void *APR_THREAD_FUNC cancel_thread(apr_thread_t *thread, void *data)
{
    sap_test_cancel_t *cancel = data;

    apr_sleep(cancel->after);
    *cancel->flag = 1;
    return NULL;
}

sap_test_cancel_t *sap_test_cancel_after(apr_pool_t *pool, volatile int *flag,
                                         apr_interval_time_t after)
{
    sap_test_cancel_t *cancel = apr_pcalloc(pool, sizeof(*cancel));

    cancel->flag = flag;
    cancel->after = after;
    assert_int_equal(apr_thread_create(&cancel->thread, NULL, cancel_thread, cancel, pool),
                     APR_SUCCESS);
    return cancel;
}

void sap_test_cancel_join(sap_test_cancel_t *cancel)
{
    apr_status_t thread_rv;

    apr_thread_join(&thread_rv, cancel->thread);
}

/* ---- log capture ---- */

static char captured_log[16384];

static void capture_sink(void *baton, const char *file, int line, sap_log_level_t level,
                         apr_status_t rv, const char *fmt, va_list ap)
{
    size_t used = strlen(captured_log);

    if (used + 1 < sizeof(captured_log)) {
        apr_vsnprintf(captured_log + used, sizeof(captured_log) - used - 1, fmt, ap);
        strcat(captured_log, "\n");
    }
}

static int capture_all(void *baton, sap_log_level_t level)
{
    return 1;
}

void sap_test_log_capture_start(void)
{
    captured_log[0] = '\0';
    sap_log_set(capture_sink, capture_all, NULL);
}

void sap_test_log_capture_stop(void)
{
    sap_log_set(NULL, NULL, NULL);
}

const char *sap_test_log_captured(void)
{
    return captured_log;
}
