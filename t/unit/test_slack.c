/* Unit tests of sap_slack: Web API calls against the scripted loopback
 * server of helper_loopback.c, and the error code helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <apr_base64.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "helper_fixtures.h"
#include "sap_log.h"
#include "sap_slack.h"

#define TOKEN "xoxb-test-token-secret"
#define OK_ANSWER "{\"ok\":true,\"channel\":\"C1\",\"ts\":\"1700000000.000100\"}"

/* ---------------------------------------------------------------- fixtures */

static sap_slack_t *make_slack_with(apr_pool_t *pool, const sap_http_policy_t *policy,
                                    const char *api_base)
{
    sap_slack_t *slack = apr_pcalloc(pool, sizeof(*slack));

    assert_int_equal(sap_http_client_create(&slack->http, pool, policy, 2), APR_SUCCESS);
    slack->api_base = api_base;
    return slack;
}

static sap_slack_t *make_slack(apr_pool_t *pool, sap_test_loopback_t *srv)
{
    sap_http_policy_t policy = sap_test_fast_policy();

    return make_slack_with(pool, &policy, sap_test_loopback_url(srv, pool, "http", "/api"));
}

static apr_table_t *chat_args(apr_pool_t *pool)
{
    apr_table_t *args = apr_table_make(pool, 2);

    apr_table_set(args, "channel", "C1");
    apr_table_set(args, "text", "a b&c=d+e/h\xc3\xa9");
    return args;
}

static apr_status_t form_call(sap_slack_t *slack, apr_pool_t *pool, const char *token,
                              sap_slack_result_t *result)
{
    return sap_slack_call_form(slack, pool, "chat.postMessage", token, chat_args(pool), NULL, NULL,
                               result);
}

static void assert_failed(apr_status_t rv, const sap_slack_result_t *result, const char *code,
                          int http_status)
{
    assert_int_equal(rv, APR_EGENERAL);
    assert_int_equal(result->ok, 0);
    assert_non_null(result->error);
    assert_string_equal(result->error, code);
    assert_int_equal(result->http_status, http_status);
}

/* ---------------------------------------------------------------- requests */

static void test_form_call(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, OK_ANSWER } };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_slack_t *slack = make_slack(pool, srv);
    const sap_test_http_request_t *seen;
    sap_slack_result_t result;

    assert_int_equal(form_call(slack, pool, TOKEN, &result), APR_SUCCESS);
    assert_int_equal(result.ok, 1);
    assert_null(result.error);
    assert_int_equal(result.http_status, 200);
    assert_int_equal(result.attempts, 1);
    assert_non_null(result.answer);
    assert_string_equal(json_string_value(json_object_get(result.answer, "ts")), "1700000000.000100");

    assert_int_equal(sap_test_loopback_count(srv), 1);
    seen = sap_test_loopback_http_request(srv, 0);
    assert_string_equal(seen->method, "POST");
    assert_string_equal(seen->target, "/api/chat.postMessage");
    assert_string_equal(apr_table_get(seen->headers, "Authorization"), "Bearer " TOKEN);
    assert_string_equal(apr_table_get(seen->headers, "Content-Type"),
                        "application/x-www-form-urlencoded");
    assert_string_equal(seen->body, "channel=C1&text=a%20b%26c%3Dd%2Be%2Fh%C3%A9");
    assert_int_equal(seen->body_len, strlen(seen->body));
}

static void test_form_call_without_args_or_token(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, "{\"ok\":false,\"error\":\"not_authed\"}" } };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_policy_t policy = sap_test_fast_policy();
    /* a configured base with a trailing slash: still one '/' */
    sap_slack_t *slack = make_slack_with(pool, &policy, sap_test_loopback_url(srv, pool, "http", "/api/"));
    const sap_test_http_request_t *seen;
    sap_slack_result_t result;

    assert_failed(sap_slack_call_form(slack, pool, "auth.test", NULL, NULL, NULL, NULL, &result),
                  &result, "not_authed", 200);
    seen = sap_test_loopback_http_request(srv, 0);
    assert_string_equal(seen->target, "/api/auth.test");
    assert_null(apr_table_get(seen->headers, "Authorization"));
    assert_int_equal(seen->body_len, 0);
}

static void test_json_call(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, OK_ANSWER } };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_slack_t *slack = make_slack(pool, srv);
    json_t *body = json_pack("{s:s, s:s, s:[{s:s}]}", "channel", "C1", "text", "h\xc3\xa9llo \"x\"",
                             "blocks", "type", "divider");
    const sap_test_http_request_t *seen;
    sap_slack_result_t result;
    json_t *sent;

    assert_int_equal(sap_slack_call_json(slack, pool, "chat.update", TOKEN, body, &result),
                     APR_SUCCESS);
    assert_int_equal(result.ok, 1);
    assert_null(result.error);
    /* not stolen: still ours to release */
    assert_int_equal(body->refcount, 1);

    seen = sap_test_loopback_http_request(srv, 0);
    assert_string_equal(seen->method, "POST");
    assert_string_equal(seen->target, "/api/chat.update");
    assert_string_equal(apr_table_get(seen->headers, "Authorization"), "Bearer " TOKEN);
    assert_string_equal(apr_table_get(seen->headers, "Content-Type"), "application/json; charset=utf-8");
    sent = json_loadb(seen->body, seen->body_len, 0, NULL);
    assert_non_null(sent);
    assert_true(json_equal(sent, body));
    /* UTF-8 as is, not \u escapes: the charset says so */
    assert_non_null(strstr(seen->body, "h\xc3\xa9llo"));
    json_decref(sent);
    json_decref(body);
}

static void test_ok_false_maps_code(void **state)
{
    static const sap_test_http_reply_t replies[] = {
        { 200, NULL, "{\"ok\":false,\"error\":\"channel_not_found\"}" },
    };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_slack_t *slack = make_slack(pool, srv);
    json_t *body = json_pack("{s:s}", "channel", "C404");
    sap_slack_result_t result;

    assert_failed(sap_slack_call_json(slack, pool, "chat.postMessage", TOKEN, body, &result),
                  &result, "channel_not_found", 200);
    assert_int_equal(result.attempts, 1);
    /* the answer is kept for callers that want more (missing_scope's "needed") */
    assert_non_null(result.answer);
    assert_true(json_is_false(json_object_get(result.answer, "ok")));
    json_decref(body);
}

/* Each call gets the next scripted answer. */
static void test_bad_answers(void **state)
{
    static const sap_test_http_reply_t replies[] = {
        { 200, NULL, "<html>hello</html>" },
        { 200, NULL, NULL },
        { 200, NULL, "{\"channel\":\"C1\"}" },
        { 200, NULL, "{\"ok\":\"true\"}" },
        { 200, NULL, "[{\"ok\":true}]" },
        { 200, NULL, "{\"ok\":false}" },
        { 200, NULL, "{\"ok\":true" },
    };
    const int count = (int)(sizeof(replies) / sizeof(replies[0]));
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, count);
    sap_slack_t *slack = make_slack(pool, srv);
    sap_slack_result_t result;
    int index;

    for (index = 0; index < count; index++) {
        print_message("# answer %d\n", index);
        assert_failed(form_call(slack, pool, TOKEN, &result), &result, SAP_SLACK_ERR_BAD_ANSWER, 200);
    }
    assert_int_equal(sap_test_loopback_count(srv), count);
}

static void test_http_error_after_retries(void **state)
{
    static const sap_test_http_reply_t replies[] = {
        { 500, NULL, "{\"ok\":false,\"error\":\"fatal_error\"}" },
    };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_slack_t *slack = make_slack(pool, srv);
    sap_slack_result_t result;

    /* a 5xx is never Slack's verdict on the call, whatever its body says */
    assert_failed(form_call(slack, pool, TOKEN, &result), &result, SAP_SLACK_ERR_HTTP, 500);
    assert_int_equal(result.attempts, 4);
    assert_int_equal(sap_test_loopback_count(srv), 4);
}

static void test_other_status_is_http_error(void **state)
{
    static const sap_test_http_reply_t replies[] = {
        { 404, NULL, "not here" },
        { 302, "Location: https://elsewhere.example/\r\n", NULL },
    };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 2);
    sap_slack_t *slack = make_slack(pool, srv);
    sap_slack_result_t result;

    assert_failed(form_call(slack, pool, TOKEN, &result), &result, SAP_SLACK_ERR_HTTP, 404);
    assert_int_equal(result.attempts, 1);
    assert_null(result.answer);
    assert_failed(form_call(slack, pool, TOKEN, &result), &result, SAP_SLACK_ERR_HTTP, 302);
}

static void test_rate_limited(void **state)
{
    static const sap_test_http_reply_t replies[] = {
        { 429, NULL, "{\"ok\":false,\"error\":\"ratelimited\"}" },
        { 429, NULL, "{\"ok\":false,\"error\":\"ratelimited\"}" },
        { 429, NULL, "Too Many Requests" },
    };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 3);
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_slack_t *slack;
    sap_slack_result_t result;

    policy.max_retries = 1;
    slack = make_slack_with(pool, &policy, sap_test_loopback_url(srv, pool, "http", "/api"));
    /* Slack's own 429 body names its code; a bare 429 is an HTTP error */
    assert_failed(form_call(slack, pool, TOKEN, &result), &result, "ratelimited", 429);
    assert_int_equal(result.attempts, 2);
    assert_failed(form_call(slack, pool, TOKEN, &result), &result, SAP_SLACK_ERR_HTTP, 429);
}

static void test_connection_refused(void **state)
{
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_slack_t *slack;
    sap_slack_result_t result;
    apr_port_t port = 0;

    assert_int_equal(sap_test_loopback_closed_port(&port), APR_SUCCESS);
    policy.max_retries = 1;
    slack = make_slack_with(pool, &policy, apr_psprintf(pool, "http://127.0.0.1:%u/api", (unsigned)port));
    assert_failed(form_call(slack, pool, TOKEN, &result), &result, SAP_SLACK_ERR_TRANSPORT, 0);
    assert_int_equal(result.attempts, 2);
    assert_null(result.answer);
}

static void test_refused_request_is_transport_error(void **state)
{
    apr_pool_t *pool = *state;
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_slack_t *slack;
    sap_slack_result_t result;

    /* https only: sap_http sends nothing */
    policy.allow_insecure = 0;
    slack = make_slack_with(pool, &policy, "http://127.0.0.1:1/api");
    assert_failed(form_call(slack, pool, TOKEN, &result), &result, SAP_SLACK_ERR_TRANSPORT, 0);
    assert_failed(form_call(slack, pool, "xoxb-bad\r\nX-Injected: 1", &result), &result,
                  SAP_SLACK_ERR_TRANSPORT, 0);
    assert_failed(sap_slack_call_json(slack, pool, "chat.postMessage", TOKEN, NULL, &result),
                  &result, SAP_SLACK_ERR_TRANSPORT, 0);
    assert_failed(sap_slack_call_form(slack, pool, NULL, TOKEN, NULL, NULL, NULL, &result),
                  &result, SAP_SLACK_ERR_TRANSPORT, 0);
}

static void test_timeout(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, OK_ANSWER, apr_time_from_sec(2) } };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_http_policy_t policy = sap_test_fast_policy();
    sap_slack_t *slack;
    sap_slack_result_t result;

    policy.total_timeout = apr_time_from_msec(300);
    slack = make_slack_with(pool, &policy, sap_test_loopback_url(srv, pool, "http", "/api"));
    assert_failed(form_call(slack, pool, TOKEN, &result), &result, SAP_SLACK_ERR_TIMEOUT, 0);
    assert_int_equal(result.attempts, 1);
}

static void test_cancelled(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, OK_ANSWER, apr_time_from_sec(3) } };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_slack_t *slack = make_slack(pool, srv);
    volatile int cancel = 0;
    sap_test_cancel_t *canceller;
    sap_slack_result_t result;
    apr_status_t rv;

    slack->cancel = &cancel;
    canceller = sap_test_cancel_after(pool, &cancel, apr_time_from_msec(200));
    rv = form_call(slack, pool, TOKEN, &result);
    sap_test_cancel_join(canceller);
    assert_failed(rv, &result, SAP_SLACK_ERR_CANCELLED, 0);
}

static void test_basic_auth_for_oauth(void **state)
{
    static const sap_test_http_reply_t replies[] = {
        { 200, NULL, "{\"ok\":true,\"access_token\":\"xoxb-new\",\"team\":{\"id\":\"T1\"}}" },
    };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_slack_t *slack = make_slack(pool, srv);
    apr_table_t *args = apr_table_make(pool, 2);
    const sap_test_http_request_t *seen;
    sap_slack_result_t result;
    char expected[128] = "Basic ";

    apr_table_set(args, "code", "1234.abcd");
    apr_table_set(args, "redirect_uri", "https://h.example/slack/oauth/callback");
    assert_int_equal(sap_slack_call_form(slack, pool, "oauth.v2.access", NULL, args, "1234.5678",
                                         "client-secret", &result), APR_SUCCESS);
    assert_string_equal(json_string_value(json_object_get(result.answer, "access_token")), "xoxb-new");
    seen = sap_test_loopback_http_request(srv, 0);
    assert_string_equal(seen->target, "/api/oauth.v2.access");
    apr_base64_encode(expected + strlen("Basic "), "1234.5678:client-secret",
                      strlen("1234.5678:client-secret"));
    assert_string_equal(apr_table_get(seen->headers, "Authorization"), expected);
    assert_null(strstr(apr_table_get(seen->headers, "Authorization"), "Bearer"));
    assert_string_equal(seen->body,
                        "code=1234.abcd&redirect_uri=https%3A%2F%2Fh.example%2Fslack%2Foauth%2Fcallback");
}

/* a token wins: Basic credentials are not sent next to it */
static void test_token_wins_over_basic(void **state)
{
    static const sap_test_http_reply_t replies[] = { { 200, NULL, "{\"ok\":true}" } };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 1);
    sap_slack_t *slack = make_slack(pool, srv);
    sap_slack_result_t result;

    assert_int_equal(sap_slack_call_form(slack, pool, "auth.revoke", TOKEN, NULL, "user", "pass",
                                         &result), APR_SUCCESS);
    assert_string_equal(apr_table_get(sap_test_loopback_http_request(srv, 0)->headers, "Authorization"),
                        "Bearer " TOKEN);
}

/* ---------------------------------------------------------------- no secrets */

static void test_no_token_in_log_or_error(void **state)
{
    static const sap_test_http_reply_t replies[] = {
        { 200, NULL, "{\"ok\":false,\"error\":\"invalid_auth\"}" },
        { 503, NULL, "unavailable" },
    };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_http(pool, replies, 2);
    sap_slack_t *slack = make_slack(pool, srv);
    sap_slack_result_t first, second;

    sap_test_log_capture_start();
    form_call(slack, pool, TOKEN, &first);
    sap_slack_call_form(slack, pool, "oauth.v2.access", NULL, NULL, "client", "client-secret", &second);
    sap_test_log_capture_stop();

    assert_string_equal(first.error, "invalid_auth");
    assert_string_equal(second.error, SAP_SLACK_ERR_HTTP);
    assert_non_null(strstr(sap_test_log_captured(), "chat.postMessage"));
    assert_non_null(strstr(sap_test_log_captured(), "invalid_auth"));
    assert_null(strstr(sap_test_log_captured(), "secret"));
    assert_null(strstr(sap_slack_error_text(pool, first.error), "secret"));
}

/* ---------------------------------------------------------------- error codes */

static void test_revocation(void **state)
{
    static const char *const revoked[] = {
        "token_revoked", "invalid_auth", "account_inactive", "token_expired", "not_authed",
    };
    static const char *const others[] = {
        "channel_not_found", "missing_scope", "ratelimited", "", "token_revoked ", "Token_Revoked",
        SAP_SLACK_ERR_TRANSPORT, SAP_SLACK_ERR_HTTP,
    };
    size_t index;

    for (index = 0; index < sizeof(revoked) / sizeof(revoked[0]); index++) {
        assert_true(sap_slack_error_is_revocation(revoked[index]));
    }
    for (index = 0; index < sizeof(others) / sizeof(others[0]); index++) {
        assert_false(sap_slack_error_is_revocation(others[index]));
    }
    assert_false(sap_slack_error_is_revocation(NULL));
}

static void test_error_text_known(void **state)
{
    static const char *const known[] = {
        "channel_not_found", "not_in_channel", "is_archived", "users_not_found", "user_not_found",
        "user_disabled", "missing_scope", "token_revoked", "invalid_auth", "account_inactive",
        "not_authed", "ratelimited", "restricted_action", "msg_too_long", "invalid_blocks",
        "no_text", "invalid_code", "bad_redirect_uri", "invalid_client_id", "bad_client_secret",
        "access_denied", SAP_SLACK_ERR_TRANSPORT, SAP_SLACK_ERR_TIMEOUT, SAP_SLACK_ERR_HTTP,
        SAP_SLACK_ERR_BAD_ANSWER, SAP_SLACK_ERR_CANCELLED,
    };
    apr_pool_t *pool = *state;
    size_t index;

    assert_string_equal(sap_slack_error_text(pool, "channel_not_found"),
                        "The channel does not exist, or the bot cannot see it "
                        "(private channel: invite the app first).");
    for (index = 0; index < sizeof(known) / sizeof(known[0]); index++) {
        const char *text = sap_slack_error_text(pool, known[index]);

        print_message("# %s: %s\n", known[index], text);
        assert_non_null(text);
        /* a sentence of its own, not the generic one */
        assert_null(strstr(text, "Slack answered with the error"));
        assert_null(strstr(text, "unrecognised"));
        assert_true(strlen(text) > 20);
        assert_int_equal(text[strlen(text) - 1], '.');
    }
}

static void test_error_text_unknown(void **state)
{
    static const char *const unsafe[] = {
        "Channel_Not_Found", "bad code", "<script>alert(1)</script>", "code\nInjected: yes",
        "caf\xc3\xa9", "a-b", "x%20y",
        "a_code_that_is_much_too_long_to_be_one_of_slacks_own_error_codes_really",
    };
    apr_pool_t *pool = *state;
    size_t index;

    assert_string_equal(sap_slack_error_text(pool, "view_too_large"),
                        "Slack answered with the error \"view_too_large\"; see Slack's documentation "
                        "of the method for what it means.");
    for (index = 0; index < sizeof(unsafe) / sizeof(unsafe[0]); index++) {
        print_message("# unsafe code %d\n", (int)index);
        assert_string_equal(sap_slack_error_text(pool, unsafe[index]),
                            "Slack answered with an unrecognised error.");
    }
    assert_string_equal(sap_slack_error_text(pool, ""), "Slack answered with an unrecognised error.");
    assert_string_equal(sap_slack_error_text(pool, NULL), "Slack answered with an unrecognised error.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SAP_POOL_TEST(test_form_call),
        SAP_POOL_TEST(test_form_call_without_args_or_token),
        SAP_POOL_TEST(test_json_call),
        SAP_POOL_TEST(test_ok_false_maps_code),
        SAP_POOL_TEST(test_bad_answers),
        SAP_POOL_TEST(test_http_error_after_retries),
        SAP_POOL_TEST(test_other_status_is_http_error),
        SAP_POOL_TEST(test_rate_limited),
        SAP_POOL_TEST(test_connection_refused),
        SAP_POOL_TEST(test_refused_request_is_transport_error),
        SAP_POOL_TEST(test_timeout),
        SAP_POOL_TEST(test_cancelled),
        SAP_POOL_TEST(test_basic_auth_for_oauth),
        SAP_POOL_TEST(test_token_wins_over_basic),
        SAP_POOL_TEST(test_no_token_in_log_or_error),
        SAP_POOL_TEST(test_revocation),
        SAP_POOL_TEST(test_error_text_known),
        SAP_POOL_TEST(test_error_text_unknown),
    };

    return cmocka_run_group_tests_name("sap_slack", tests, sap_test_group_setup,
                                       sap_test_group_teardown);
}
