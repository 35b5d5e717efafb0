/* Unit tests of the outbound HTTP client (modules/core/sap_http.c) against
 * the scripted loopback server of helper_loopback.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <apr_base64.h>
#include <apr_date.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "helper_fixtures.h"
#include "sap_http.h"
#include "sap_log.h"

/* ---------------------------------------------------------------- fixtures */

static sap_http_client_t *make_client(apr_pool_t *pool, const sap_http_policy_t *policy,
                                      int max_idle)
{
    sap_http_client_t *client = NULL;

    assert_int_equal(sap_http_client_create(&client, pool, policy, max_idle), APR_SUCCESS);
    assert_non_null(client);
    return client;
}

static apr_status_t http_get(sap_http_client_t *client, apr_pool_t *pool, const char *url,
                             sap_http_response_t **presp)
{
    sap_http_request_t req;

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = url;
    return sap_http_perform(client, pool, &req, presp);
}

static apr_interval_time_t msec(apr_time_t since)
{
    return apr_time_as_msec(apr_time_now() - since);
}

/* ---------------------------------------------------------------- pure functions */

static void test_policy_defaults(void **state)
{
    sap_http_policy_t policy;

    memset(&policy, 0xff, sizeof(policy));
    sap_http_policy_defaults(&policy);
    assert_int_equal(policy.connect_timeout, apr_time_from_sec(5));
    assert_int_equal(policy.total_timeout, apr_time_from_sec(10));
    assert_int_equal(policy.max_retries, 3);
    assert_int_equal(policy.backoff_initial, apr_time_from_msec(500));
    assert_int_equal(policy.backoff_cap, apr_time_from_sec(5));
    assert_int_equal(policy.max_response_bytes, 4 * 1024 * 1024);
    assert_int_equal(policy.allow_insecure, 0);
}

static void test_client_create_rejects_bad_policy(void **state)
{
    apr_pool_t *pool = *state;
    sap_http_client_t *client = NULL;
    sap_http_policy_t policy;

    sap_http_policy_defaults(&policy);
    policy.total_timeout = 0;
    assert_int_equal(sap_http_client_create(&client, pool, &policy, 2), APR_EINVAL);
    sap_http_policy_defaults(&policy);
    policy.max_retries = -1;
    assert_int_equal(sap_http_client_create(&client, pool, &policy, 2), APR_EINVAL);
    sap_http_policy_defaults(&policy);
    assert_int_equal(sap_http_client_create(&client, pool, &policy, -1), APR_EINVAL);
    assert_null(client);
}

static void test_retry_delay_exponential(void **state)
{
    static const struct { int retry; apr_int64_t expected_ms; } cases[] = {
        { 0, 500 }, { 1, 500 }, { 2, 1000 }, { 3, 2000 }, { 4, 4000 },
        { 5, 5000 }, { 6, 5000 }, { 64, 5000 }, { 100000, 5000 },
    };
    sap_http_policy_t policy;
    size_t index;

    sap_http_policy_defaults(&policy);
    for (index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        print_message("# retry %d\n", cases[index].retry);
        assert_int_equal(sap_http_retry_delay(&policy, cases[index].retry, NULL),
                         apr_time_from_msec(cases[index].expected_ms));
    }
    policy.backoff_initial = apr_time_from_msec(10);
    policy.backoff_cap = apr_time_from_msec(35);
    assert_int_equal(sap_http_retry_delay(&policy, 2, NULL), apr_time_from_msec(20));
    assert_int_equal(sap_http_retry_delay(&policy, 3, NULL), apr_time_from_msec(35));
}

static void test_retry_delay_retry_after_seconds(void **state)
{
    static const struct { const char *header; apr_int64_t expected_ms; } cases[] = {
        { "1", 1000 }, { "3", 3000 }, { " 2 ", 2000 }, { "0", 0 }, { "5", 5000 },
        { "6", 5000 }, { "86400", 5000 }, { "99999999999999999999999", 5000 },
    };
    sap_http_policy_t policy;
    size_t index;

    sap_http_policy_defaults(&policy);
    for (index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        print_message("# Retry-After \"%s\"\n", cases[index].header);
        /* retry 4 would be 4 s of backoff: Retry-After replaces it */
        assert_int_equal(sap_http_retry_delay(&policy, 4, cases[index].header),
                         apr_time_from_msec(cases[index].expected_ms));
    }
}

static void test_retry_delay_garbage_ignored(void **state)
{
    static const char *const garbage[] = {
        "", "   ", "abc", "-1", "1.5", "2 s", "0x10", "Sat, 99 Foo 2026 10:00:00 GMT", "soon",
    };
    sap_http_policy_t policy;
    size_t index;

    sap_http_policy_defaults(&policy);
    for (index = 0; index < sizeof(garbage) / sizeof(garbage[0]); index++) {
        print_message("# Retry-After \"%s\"\n", garbage[index]);
        assert_int_equal(sap_http_retry_delay(&policy, 2, garbage[index]), apr_time_from_sec(1));
    }
}

static void test_retry_delay_http_date(void **state)
{
    apr_time_t now = apr_date_parse_http("Sat, 28 Nov 2026 10:00:00 GMT");
    sap_http_policy_t policy;

    assert_true(now != APR_DATE_BAD);
    sap_http_policy_defaults(&policy);
    assert_int_equal(sap_http_retry_delay_at(&policy, 1, "Sat, 28 Nov 2026 10:00:03 GMT", now),
                     apr_time_from_sec(3));
    assert_int_equal(sap_http_retry_delay_at(&policy, 1, "Saturday, 28-Nov-26 10:00:02 GMT", now),
                     apr_time_from_sec(2));
    assert_int_equal(sap_http_retry_delay_at(&policy, 1, "Sat Nov 28 10:00:04 2026", now),
                     apr_time_from_sec(4));
    /* in the past: at once; far ahead: capped */
    assert_int_equal(sap_http_retry_delay_at(&policy, 3, "Sat, 28 Nov 2026 09:00:00 GMT", now), 0);
    assert_int_equal(sap_http_retry_delay_at(&policy, 1, "Sat, 28 Nov 2026 11:00:00 GMT", now),
                     apr_time_from_sec(5));
}

/* ---------------------------------------------------------------- requests */

static const char *table_exact_key(const apr_table_t *table, const char *key)
{
    const apr_array_header_t *entries = apr_table_elts(table);
    const apr_table_entry_t *entry = (const apr_table_entry_t *)entries->elts;
    int index;

    for (index = 0; index < entries->nelts; index++) {
        if (strcmp(entry[index].key, key) == 0) {
            return entry[index].val;
        }
    }
    return NULL;
}

static void test_request_arrives_as_sent(void **state)
{
    static const sap_test_http_reply_t replies[] = {
        { 200, "X-Reply: yes\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n", "{\"ok\":true}" },
    };
    static const char body[] = "{\"channel\":\"C1\",\"text\":\"h\xc3\xa9llo\"}";
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_client_t *client = make_client(pool, &policy, 2);
    const sap_test_http_request_t *seen;
    sap_http_response_t *resp = NULL;
    sap_http_request_t req;
    char expected_auth[128];

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = sap_test_loopback_url(srv, pool, "http", "/api/oauth.v2.access?x=1&y=2");
    req.headers = apr_table_make(pool, 2);
    apr_table_set(req.headers, "Content-Type", "application/json; charset=utf-8");
    apr_table_set(req.headers, "X-Trace", "abc 123");
    req.body = body;
    req.body_len = strlen(body);
    req.basic_user = "1234.5678";
    req.basic_password = "pass:word";
    assert_int_equal(sap_http_perform(client, pool, &req, &resp), APR_SUCCESS);

    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->attempts, 1);
    assert_null(resp->error);
    assert_string_equal(resp->body, "{\"ok\":true}");
    assert_int_equal(resp->body_len, strlen("{\"ok\":true}"));
    assert_string_equal(table_exact_key(resp->headers, "x-reply"), "yes");
    assert_int_equal(apr_table_elts(resp->headers)->nelts >= 4, 1);

    assert_int_equal(sap_test_loopback_count(srv), 1);
    seen = sap_test_loopback_http_request(srv, 0);
    assert_string_equal(seen->method, "POST");
    assert_string_equal(seen->target, "/api/oauth.v2.access?x=1&y=2");
    assert_string_equal(apr_table_get(seen->headers, "Content-Type"), "application/json; charset=utf-8");
    assert_string_equal(apr_table_get(seen->headers, "X-Trace"), "abc 123");
    apr_base64_encode(expected_auth + strlen("Basic "), "1234.5678:pass:word",
                      strlen("1234.5678:pass:word"));
    memcpy(expected_auth, "Basic ", strlen("Basic "));
    assert_string_equal(apr_table_get(seen->headers, "Authorization"), expected_auth);
    assert_null(apr_table_get(seen->headers, "Expect"));
    assert_non_null(strstr(apr_table_get(seen->headers, "User-Agent"), "mod_slack_approvals"));
    assert_int_equal(seen->body_len, strlen(body));
    assert_memory_equal(seen->body, body, strlen(body));
}

static void test_get_has_no_body(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 404, NULL, "{}" } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_client_t *client = make_client(pool, &policy, 2);
    sap_http_response_t *resp = NULL;
    const sap_test_http_request_t *seen;

    assert_int_equal(http_get(client, pool, sap_test_loopback_url(srv, pool, "http", "/users?email=a%40b.c"),
                              &resp), APR_SUCCESS);
    /* a 4xx is an answer: returned at once, not retried */
    assert_int_equal(resp->status, 404);
    assert_int_equal(resp->attempts, 1);
    assert_int_equal(sap_test_loopback_count(srv), 1);
    seen = sap_test_loopback_http_request(srv, 0);
    assert_string_equal(seen->method, "GET");
    assert_string_equal(seen->target, "/users?email=a%40b.c");
    assert_int_equal(seen->body_len, 0);
    assert_null(apr_table_get(seen->headers, "Authorization"));
}

static void test_retry_429_honours_retry_after(void **state)
{
    static const sap_test_http_reply_t replies[] = {
        { 429, "Retry-After: 1\r\n", "{\"ok\":false,\"error\":\"ratelimited\"}" },
        { 200, NULL, "{\"ok\":true}" },
    };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 2);
    sap_http_client_t *client = make_client(pool, &policy, 2);
    sap_http_response_t *resp = NULL;
    apr_time_t started = apr_time_now();

    assert_int_equal(http_get(client, pool, sap_test_loopback_url(srv, pool, "http", "/api/x"), &resp),
                     APR_SUCCESS);
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->attempts, 2);
    assert_string_equal(resp->body, "{\"ok\":true}");
    assert_int_equal(sap_test_loopback_count(srv), 2);
    /* backoff alone would have waited 10 ms */
    assert_true(msec(started) >= 950);
    assert_true(msec(started) < 1900);
}

static void test_retry_503_503_200(void **state)
{
    static const sap_test_http_reply_t replies[] = {
        { 503, NULL, "busy" }, { 503, NULL, "busy" }, { 200, NULL, "done" },
    };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 3);
    sap_http_client_t *client = make_client(pool, &policy, 2);
    sap_http_response_t *resp = NULL;
    apr_time_t started = apr_time_now();

    assert_int_equal(http_get(client, pool, sap_test_loopback_url(srv, pool, "http", "/"), &resp),
                     APR_SUCCESS);
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->attempts, 3);
    assert_string_equal(resp->body, "done");
    assert_int_equal(sap_test_loopback_count(srv), 3);
    assert_true(msec(started) >= 30);   /* 10 ms, then 20 ms of backoff */
}

static void test_gives_up_after_four_500s(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 500, NULL, "broken" } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_client_t *client = make_client(pool, &policy, 2);
    sap_http_response_t *resp = NULL;

    /* an HTTP answer after the last retry is still a success for rv */
    assert_int_equal(http_get(client, pool, sap_test_loopback_url(srv, pool, "http", "/"), &resp),
                     APR_SUCCESS);
    assert_int_equal(resp->status, 500);
    assert_int_equal(resp->attempts, 4);
    assert_string_equal(resp->body, "broken");
    assert_int_equal(sap_test_loopback_count(srv), 4);
}

static void test_max_retries_respected(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 502, NULL, NULL } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_client_t *client;
    sap_http_response_t *resp = NULL;

    policy.max_retries = 1;
    client = make_client(pool, &policy, 2);
    assert_int_equal(http_get(client, pool, sap_test_loopback_url(srv, pool, "http", "/"), &resp),
                     APR_SUCCESS);
    assert_int_equal(resp->status, 502);
    assert_int_equal(resp->attempts, 2);
    assert_int_equal(sap_test_loopback_count(srv), 2);
}

static void test_no_retry_flag(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 503, NULL, NULL }, { 200, NULL, NULL } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 2);
    sap_http_client_t *client = make_client(pool, &policy, 2);
    sap_http_response_t *resp = NULL;
    sap_http_request_t req;

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = sap_test_loopback_url(srv, pool, "http", "/api/views.open");
    req.body = "{}";
    req.body_len = 2;
    req.no_retry = 1;
    assert_int_equal(sap_http_perform(client, pool, &req, &resp), APR_SUCCESS);
    assert_int_equal(resp->status, 503);
    assert_int_equal(resp->attempts, 1);
    assert_int_equal(sap_test_loopback_count(srv), 1);
}

static void test_connection_refused_retried(void **state)
{
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_http_client_t *client = make_client(pool, &policy, 2);
    sap_http_response_t *resp = NULL;
    apr_port_t port = 0;

    assert_int_equal(sap_test_loopback_closed_port(&port), APR_SUCCESS);
    assert_int_equal(http_get(client, pool, apr_psprintf(pool, "http://127.0.0.1:%u/", (unsigned)port),
                              &resp), APR_ECONNREFUSED);
    assert_int_equal(resp->status, 0);
    assert_int_equal(resp->attempts, 4);
    assert_non_null(resp->error);
    assert_string_equal(resp->body, "");
}

static void test_connect_timeout_retried(void **state)
{
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_http_client_t *client;
    sap_http_response_t *resp = NULL;
    apr_port_t port = 0;
    apr_time_t started;

    assert_int_equal(sap_test_loopback_blackhole(pool, &port), APR_SUCCESS);
    policy.connect_timeout = apr_time_from_msec(200);
    policy.max_retries = 1;
    client = make_client(pool, &policy, 2);
    started = apr_time_now();
    /* nothing was sent: unlike the total timeout, this one is retried */
    assert_int_equal(http_get(client, pool, apr_psprintf(pool, "http://127.0.0.1:%u/", (unsigned)port),
                              &resp), APR_ETIMEDOUT);
    assert_int_equal(resp->attempts, 2);
    assert_int_equal(resp->status, 0);
    assert_non_null(resp->error);
    assert_true(msec(started) >= 390);
    assert_true(msec(started) < 2000);
}

static void test_redirect_not_followed(void **state)
{
    static const sap_test_http_reply_t target_replies[] = { { 200, NULL, "followed" } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *target = sap_test_start_http(pool, target_replies, 1);
    const char *location = sap_test_loopback_url(target, pool, "http", "/elsewhere");
    sap_test_http_reply_t redirect[] = {
        { 302, apr_pstrcat(pool, "Location: ", location, "\r\n", NULL), "moved" },
    };
    sap_test_loopback_t *srv = sap_test_start_http(pool, redirect, 1);
    sap_http_client_t *client = make_client(pool, &policy, 2);
    sap_http_response_t *resp = NULL;

    assert_int_equal(http_get(client, pool, sap_test_loopback_url(srv, pool, "http", "/api/x"), &resp),
                     APR_SUCCESS);
    assert_int_equal(resp->status, 302);
    assert_int_equal(resp->attempts, 1);
    assert_string_equal(apr_table_get(resp->headers, "location"), location);
    assert_string_equal(resp->body, "moved");
    assert_int_equal(sap_test_loopback_count(srv), 1);
    assert_int_equal(sap_test_loopback_connections(target), 0);
}

static sap_http_request_t post_to(apr_pool_t *pool, sap_test_loopback_t *srv, const char *path,
                                  const char *body)
{
    sap_http_request_t req;

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = sap_test_loopback_url(srv, pool, "http", path);
    req.body = body;
    req.body_len = strlen(body);
    return req;
}

static void test_total_timeout_not_retried(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, "late", apr_time_from_sec(3) } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_client_t *client;
    sap_http_response_t *resp = NULL;
    sap_http_request_t req;
    apr_time_t started;

    policy.total_timeout = apr_time_from_sec(1);
    client = make_client(pool, &policy, 2);
    req = post_to(pool, srv, "/api/chat.postMessage", "{\"text\":\"once\"}");
    started = apr_time_now();
    assert_int_equal(sap_http_perform(client, pool, &req, &resp), APR_TIMEUP);
    assert_true(msec(started) >= 900);
    assert_true(msec(started) < 2500);
    assert_int_equal(resp->status, 0);
    assert_int_equal(resp->attempts, 1);
    assert_non_null(resp->error);
    assert_int_equal(sap_test_loopback_count(srv), 1);
}

/* A request's own timeout (views.open's 2 s deadline) wins over the
 * policy's 10 s: the late answer is given up on after 300 ms. */
static void test_request_timeout_shorter(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, "late", apr_time_from_sec(2) } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_client_t *client;
    sap_http_response_t *resp = NULL;
    sap_http_request_t req;
    apr_time_t started;

    policy.total_timeout = apr_time_from_sec(10);
    client = make_client(pool, &policy, 2);
    req = post_to(pool, srv, "/api/views.open", "{}");
    req.timeout = apr_time_from_msec(300);
    req.no_retry = 1;
    started = apr_time_now();
    assert_int_equal(sap_http_perform(client, pool, &req, &resp), APR_TIMEUP);
    assert_true(msec(started) >= 250);
    assert_true(msec(started) < 1500);
    assert_int_equal(resp->attempts, 1);
}

/* Shutdown: a transfer in flight is aborted soon after the flag is raised. */
static void test_cancel_aborts_transfer(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, "late", apr_time_from_sec(4) } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_client_t *client = make_client(pool, &policy, 2);
    sap_http_response_t *resp = NULL;
    sap_http_request_t req;
    volatile int cancel = 0;
    sap_test_cancel_t *canceller;
    apr_time_t started;

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = sap_test_loopback_url(srv, pool, "http", "/slow");
    req.cancel = &cancel;
    canceller = sap_test_cancel_after(pool, &cancel, apr_time_from_msec(300));
    started = apr_time_now();
    assert_int_equal(sap_http_perform(client, pool, &req, &resp), APR_ECONNABORTED);
    sap_test_cancel_join(canceller);
    assert_true(msec(started) >= 250);
    assert_true(msec(started) < 2000);
    assert_int_equal(resp->attempts, 1);
    assert_int_equal(resp->status, 0);
    assert_non_null(strstr(resp->error, "shutting down"));
}

/* Shutdown: no retry is waited for; the caller gets the last answer. */
static void test_cancel_stops_retries(void **state)
{
    static const sap_test_http_reply_t replies[] = {
        { 503, "Retry-After: 4\r\n", "busy" }, { 200, NULL, "ok" } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 2);
    sap_http_client_t *client;
    sap_http_response_t *resp = NULL;
    sap_http_request_t req;
    volatile int cancel = 0;
    sap_test_cancel_t *canceller;
    apr_time_t started;

    policy.backoff_cap = apr_time_from_sec(5);
    client = make_client(pool, &policy, 2);
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = sap_test_loopback_url(srv, pool, "http", "/busy");
    req.cancel = &cancel;
    canceller = sap_test_cancel_after(pool, &cancel, apr_time_from_msec(300));
    started = apr_time_now();
    assert_int_equal(sap_http_perform(client, pool, &req, &resp), APR_SUCCESS);
    sap_test_cancel_join(canceller);
    assert_true(msec(started) < 2000);
    assert_int_equal(resp->status, 503);
    assert_int_equal(resp->attempts, 1);
    assert_int_equal(sap_test_loopback_count(srv), 1);
}

static void test_insecure_url_refused(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, "ok" } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_client_t *strict, *relaxed;
    sap_http_response_t *resp = NULL;

    policy.allow_insecure = 0;
    strict = make_client(pool, &policy, 2);
    assert_int_equal(http_get(strict, pool, sap_test_loopback_url(srv, pool, "http", "/"), &resp),
                     APR_EINVAL);
    assert_int_equal(resp->attempts, 0);
    assert_int_equal(resp->status, 0);
    assert_non_null(resp->error);
    assert_int_equal(sap_test_loopback_connections(srv), 0);
    /* same scheme check in any case, and other schemes never */
    assert_int_equal(http_get(strict, pool, sap_test_loopback_url(srv, pool, "HTTP", "/"), &resp),
                     APR_EINVAL);
    policy.allow_insecure = 1;
    relaxed = make_client(pool, &policy, 2);
    assert_int_equal(http_get(relaxed, pool, sap_test_loopback_url(srv, pool, "ftp", "/"), &resp),
                     APR_EINVAL);
    assert_int_equal(http_get(relaxed, pool, "not a url", &resp), APR_EINVAL);
    assert_int_equal(http_get(relaxed, pool, "/relative/path", &resp), APR_EINVAL);
    assert_int_equal(sap_test_loopback_connections(srv), 0);
    /* and allowed when the policy says so */
    assert_int_equal(http_get(relaxed, pool, sap_test_loopback_url(srv, pool, "http", "/"), &resp),
                     APR_SUCCESS);
    assert_int_equal(resp->status, 200);
}

static void test_bad_request_refused(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, "ok" } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_client_t *client = make_client(pool, &policy, 2);
    sap_http_response_t *resp = NULL;
    sap_http_request_t req;

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.url = sap_test_loopback_url(srv, pool, "http", "/");
    req.headers = apr_table_make(pool, 1);
    apr_table_set(req.headers, "X-Note", "a\r\nX-Injected: 1");
    assert_int_equal(sap_http_perform(client, pool, &req, &resp), APR_EINVAL);
    apr_table_clear(req.headers);
    apr_table_set(req.headers, "Bad Name", "x");
    assert_int_equal(sap_http_perform(client, pool, &req, &resp), APR_EINVAL);
    apr_table_clear(req.headers);
    req.method = "GET /x HTTP/1.1\r\n";
    assert_int_equal(sap_http_perform(client, pool, &req, &resp), APR_EINVAL);
    req.method = "GET";
    req.body = "x";
    req.body_len = 1;
    assert_int_equal(sap_http_perform(client, pool, &req, &resp), APR_EINVAL);
    assert_int_equal(sap_test_loopback_connections(srv), 0);
}

static void test_response_too_large(void **state)
{
    char *big = NULL;
    sap_test_http_reply_t replies[3];
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv;
    sap_http_client_t *client;
    sap_http_response_t *resp = NULL;
    const char *url;

    big = apr_palloc(pool, 4097);
    memset(big, 'x', 4096);
    big[4096] = '\0';
    memset(replies, 0, sizeof(replies));
    /* with Content-Length: 1025 bytes */
    replies[0].status = 200;
    replies[0].body = apr_pstrndup(pool, big, 1025);
    /* without Content-Length, ended by closing the connection */
    replies[1].raw = apr_pstrcat(pool, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", big, NULL);
    /* exactly at the limit */
    replies[2].status = 200;
    replies[2].body = apr_pstrndup(pool, big, 1024);
    srv = sap_test_start_http(pool, replies, 3);
    policy.max_response_bytes = 1024;
    client = make_client(pool, &policy, 2);
    url = sap_test_loopback_url(srv, pool, "http", "/");

    assert_int_equal(http_get(client, pool, url, &resp), APR_ENOSPC);
    assert_int_equal(resp->attempts, 1);
    assert_non_null(resp->error);
    assert_int_equal(resp->body_len, 0);
    assert_int_equal(http_get(client, pool, url, &resp), APR_ENOSPC);
    assert_int_equal(resp->attempts, 1);
    assert_int_equal(sap_test_loopback_count(srv), 2);
    assert_int_equal(http_get(client, pool, url, &resp), APR_SUCCESS);
    assert_int_equal(resp->body_len, 1024);
    assert_int_equal(strlen(resp->body), 1024);
}

static void test_handle_reused(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, "again" } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_client_t *client = make_client(pool, &policy, 1);
    sap_http_response_t *resp = NULL;
    int round;

    for (round = 0; round < 3; round++) {
        assert_int_equal(http_get(client, pool, sap_test_loopback_url(srv, pool, "http", "/"), &resp),
                         APR_SUCCESS);
        assert_int_equal(resp->status, 200);
    }
    assert_int_equal(sap_http_client_idle_handles(client), 1);
    /* the pooled handle kept its keep-alive connection */
    assert_int_equal(sap_test_loopback_connections(srv), 1);
    assert_int_equal(sap_test_loopback_count(srv), 3);
}

/* ---------------------------------------------------------------- logging */

static void test_log_has_no_secrets(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 503, NULL, "body-from-server" }, { 200, NULL, "ok" } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 2);
    sap_http_client_t *client = make_client(pool, &policy, 2);
    sap_http_response_t *resp = NULL;
    sap_http_request_t req;
    apr_status_t rv;

    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = sap_test_loopback_url(srv, pool, "http", "/api/auth.test?token=query-secret#frag-secret");
    req.headers = apr_table_make(pool, 1);
    apr_table_set(req.headers, "Authorization", "Bearer xoxb-header-secret");
    req.body = "body-secret";
    req.body_len = strlen(req.body);
    sap_test_log_capture_start();
    rv = sap_http_perform(client, pool, &req, &resp);
    req.headers = NULL;
    req.basic_user = "user-secret";
    req.basic_password = "password-secret";
    sap_http_perform(client, pool, &req, &resp);
    sap_test_log_capture_stop();

    assert_int_equal(rv, APR_SUCCESS);
    assert_non_null(strstr(sap_test_log_captured(), "/api/auth.test"));
    assert_non_null(strstr(sap_test_log_captured(), "POST"));
    assert_null(strstr(sap_test_log_captured(), "secret"));
    assert_null(strstr(sap_test_log_captured(), "body-from-server"));
}

/* ---------------------------------------------------------------- concurrency */

#define CONCURRENT_THREADS  4
#define REQUESTS_PER_THREAD 25

typedef struct worker_t {
    sap_http_client_t *client;
    apr_pool_t *pool;             /* this thread's only */
    const char *url;
    int succeeded;
} worker_t;

static void *APR_THREAD_FUNC concurrent_worker(apr_thread_t *thread, void *data)
{
    worker_t *worker = data;
    sap_http_response_t *resp;
    int round;

    /* no cmocka assertions off the main thread: count, check later */
    for (round = 0; round < REQUESTS_PER_THREAD; round++) {
        if (http_get(worker->client, worker->pool, worker->url, &resp) == APR_SUCCESS
            && resp->status == 200 && strcmp(resp->body, "pong") == 0 && resp->attempts == 1) {
            worker->succeeded++;
        }
    }
    return NULL;
}

static void test_concurrent_requests(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, "pong" } };
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_client_t *client = make_client(pool, &policy, 2);
    apr_thread_t *threads[CONCURRENT_THREADS];
    worker_t workers[CONCURRENT_THREADS];
    apr_status_t thread_rv;
    int index, total = 0;

    for (index = 0; index < CONCURRENT_THREADS; index++) {
        workers[index].client = client;
        workers[index].url = sap_test_loopback_url(srv, pool, "http", "/api/ping");
        workers[index].succeeded = 0;
        assert_int_equal(apr_pool_create(&workers[index].pool, pool), APR_SUCCESS);
    }
    for (index = 0; index < CONCURRENT_THREADS; index++) {
        assert_int_equal(apr_thread_create(&threads[index], NULL, concurrent_worker,
                                           &workers[index], pool), APR_SUCCESS);
    }
    for (index = 0; index < CONCURRENT_THREADS; index++) {
        assert_int_equal(apr_thread_join(&thread_rv, threads[index]), APR_SUCCESS);
        total += workers[index].succeeded;
    }
    assert_int_equal(total, CONCURRENT_THREADS * REQUESTS_PER_THREAD);
    assert_int_equal(sap_test_loopback_count(srv), CONCURRENT_THREADS * REQUESTS_PER_THREAD);
    assert_true(sap_http_client_idle_handles(client) >= 1);
    assert_true(sap_http_client_idle_handles(client) <= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_defaults),
        SAP_POOL_TEST(test_client_create_rejects_bad_policy),
        cmocka_unit_test(test_retry_delay_exponential),
        cmocka_unit_test(test_retry_delay_retry_after_seconds),
        cmocka_unit_test(test_retry_delay_garbage_ignored),
        cmocka_unit_test(test_retry_delay_http_date),
        SAP_POOL_TEST(test_request_arrives_as_sent),
        SAP_POOL_TEST(test_get_has_no_body),
        SAP_POOL_TEST(test_retry_429_honours_retry_after),
        SAP_POOL_TEST(test_retry_503_503_200),
        SAP_POOL_TEST(test_gives_up_after_four_500s),
        SAP_POOL_TEST(test_max_retries_respected),
        SAP_POOL_TEST(test_no_retry_flag),
        SAP_POOL_TEST(test_connection_refused_retried),
        SAP_POOL_TEST(test_connect_timeout_retried),
        SAP_POOL_TEST(test_redirect_not_followed),
        SAP_POOL_TEST(test_total_timeout_not_retried),
        SAP_POOL_TEST(test_request_timeout_shorter),
        SAP_POOL_TEST(test_cancel_aborts_transfer),
        SAP_POOL_TEST(test_cancel_stops_retries),
        SAP_POOL_TEST(test_insecure_url_refused),
        SAP_POOL_TEST(test_bad_request_refused),
        SAP_POOL_TEST(test_response_too_large),
        SAP_POOL_TEST(test_handle_reused),
        SAP_POOL_TEST(test_log_has_no_secrets),
        SAP_POOL_TEST(test_concurrent_requests),
    };

    return cmocka_run_group_tests_name("sap_http", tests, sap_test_group_setup, sap_test_group_teardown);
}
