/* Unit tests of sap_url: table tests of check, join and origin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "sap_url.h"

#define OK           NULL
#define HTTPS_HINT   "must start with https:// (set SlackApprovalsAllowInsecureHTTP On for loopback tests)"
#define HTTPS_ONLY   "must start with https://"
#define HTTP_OR_S    "must start with http:// or https://"
#define SMTP_ONLY    "must start with smtp:// or smtps://"
#define NO_HOST      "has no host"
#define BAD_HOST     "has an invalid host (expected a DNS name, an IPv4 address or [IPv6])"
#define BAD_PORT     "has an invalid port (expected 1-65535)"
#define CREDENTIALS  "must not contain credentials (user:password@); secrets belong in files"
#define FRAGMENT     "must not contain a fragment ('#...')"
#define SPACES       "must not contain spaces or control characters"
#define NON_ASCII    "must not contain non-ASCII characters (percent-encode them; use punycode for host names)"
#define EMPTY        "is empty"
#define NOT_URL      "is not a URL (expected scheme://host/...)"

#define WEB  SAP_URL_WEB
#define MAIL SAP_URL_MAIL

static apr_pool_t *pool;

static int setup(void **state)
{
    return apr_pool_create(&pool, NULL) == APR_SUCCESS ? 0 : -1;
}

static int teardown(void **state)
{
    apr_pool_destroy(pool);
    return 0;
}

typedef struct {
    const char *url;
    sap_url_kind_t kind;
    int allow_insecure;
    const char *error;   /* OK, or the exact message expected */
} check_case_t;

static const check_case_t check_cases[] = {
    /* accepted web URLs */
    { "https://slack.com/api", WEB, 0, OK },
    { "https://slack.com", WEB, 0, OK },
    { "https://slack.com/", WEB, 0, OK },
    { "https://slack.com:443/api", WEB, 0, OK },
    { "HTTPS://Slack.COM/api", WEB, 0, OK },
    { "https://slack.com/oauth/v2/authorize?x=1", WEB, 0, OK },
    { "https://slack.com?x=1", WEB, 0, OK },
    { "https://approvals.corp.example/slack-approvals", WEB, 0, OK },
    { "https://jira_internal.corp/rest", WEB, 0, OK },
    { "https://127.0.0.1:8443/engine", WEB, 0, OK },
    { "https://[::1]:8443/engine", WEB, 0, OK },
    { "https://[2001:db8::1]/", WEB, 0, OK },
    { "https://h:1/", WEB, 0, OK },
    { "https://h:65535/", WEB, 0, OK },
    { "https://h/a%20b", WEB, 0, OK },
    { "https://h/path/with@sign", WEB, 0, OK },        /* '@' after the authority is data */
    { "https://h/x?next=https://other", WEB, 0, OK },
    { "https://h", WEB, 1, OK },
    /* http only when allowed */
    { "http://127.0.0.1:8080/api", WEB, 0, HTTPS_HINT },
    { "HTTP://127.0.0.1:8080/api", WEB, 0, HTTPS_HINT },
    { "http://127.0.0.1:8080/api", WEB, 1, OK },
    { "http://localhost/api", WEB, 1, OK },
    /* other schemes */
    { "ftp://files.example/", WEB, 0, HTTPS_ONLY },
    { "ftp://files.example/", WEB, 1, HTTP_OR_S },
    { "smtp://relay.example", WEB, 0, HTTPS_ONLY },
    { "smtp://relay.example", WEB, 1, HTTP_OR_S },
    { "httpss://slack.com", WEB, 0, HTTPS_ONLY },
    { "https:slack.com", WEB, 0, HTTPS_ONLY },
    { "https:/slack.com", WEB, 0, HTTPS_ONLY },
    { "//slack.com/api", WEB, 0, HTTPS_ONLY },
    { "slack.com/api", WEB, 0, HTTPS_ONLY },
    { "javascript://slack.com", WEB, 1, HTTP_OR_S },
    /* no host */
    { "https://", WEB, 0, NO_HOST },
    { "https:///api", WEB, 0, NO_HOST },
    { "https://:443/api", WEB, 0, NO_HOST },
    { "https://?x=1", WEB, 0, NO_HOST },
    { "https://[]/", WEB, 0, NO_HOST },
    /* bad hosts */
    { "https://exa!mple.com/", WEB, 0, BAD_HOST },
    { "https://exa%41mple.com/", WEB, 0, BAD_HOST },
    { "https://slack.com\\@evil.example/", WEB, 0, CREDENTIALS },
    { "https://slack.com\\evil/", WEB, 0, BAD_HOST },
    { "https://[::1/", WEB, 0, BAD_HOST },
    { "https://[::1]x/", WEB, 0, BAD_HOST },
    { "https://[zz::1]/", WEB, 0, BAD_HOST },
    { "https://[127.0.0.1]/", WEB, 0, BAD_HOST },
    /* credentials */
    { "https://user:pass@slack.com/api", WEB, 0, CREDENTIALS },
    { "https://user@slack.com/api", WEB, 0, CREDENTIALS },
    { "https://@slack.com/api", WEB, 0, CREDENTIALS },
    { "https://user:pass@[::1]:8443/", WEB, 0, CREDENTIALS },
    { "http://user:pass@127.0.0.1/", WEB, 1, CREDENTIALS },
    /* fragments */
    { "https://slack.com/api#frag", WEB, 0, FRAGMENT },
    { "https://slack.com#", WEB, 0, FRAGMENT },
    /* ports */
    { "https://h:0/", WEB, 0, BAD_PORT },
    { "https://h:65536/", WEB, 0, BAD_PORT },
    { "https://h:99999/", WEB, 0, BAD_PORT },
    { "https://h:123456/", WEB, 0, BAD_PORT },
    { "https://h:-1/", WEB, 0, BAD_PORT },
    { "https://h:+443/", WEB, 0, BAD_PORT },
    { "https://h:/", WEB, 0, BAD_PORT },
    { "https://h:", WEB, 0, BAD_PORT },
    { "https://h:44a/", WEB, 0, BAD_PORT },
    { "https://h:443:443/", WEB, 0, BAD_PORT },
    { "https://[::1]:/", WEB, 0, BAD_PORT },
    { "https://[::1]:70000/", WEB, 0, BAD_PORT },
    /* spaces, control and non-ASCII characters */
    { "https://slack.com/a b", WEB, 0, SPACES },
    { " https://slack.com", WEB, 0, SPACES },
    { "https://slack.com ", WEB, 0, SPACES },
    { "https://sla ck.com/", WEB, 0, SPACES },
    { "https://slack.com/\t", WEB, 0, SPACES },
    { "https://slack.com/\n", WEB, 0, SPACES },
    { "https://slack.com/\x7f", WEB, 0, SPACES },
    { "https://slack.com/\x01", WEB, 0, SPACES },
    { "https://b\xc3\xbc" "cher.example/", WEB, 0, NON_ASCII },
    { "", WEB, 0, EMPTY },
    { NULL, WEB, 0, EMPTY },
    /* mail relays */
    { "smtp://relay.example", MAIL, 0, OK },
    { "smtp://relay.example:25", MAIL, 0, OK },
    { "smtp://relay.example:587", MAIL, 0, OK },
    { "smtps://relay.example:465", MAIL, 0, OK },
    { "SMTPS://relay.example", MAIL, 0, OK },
    { "smtp://[::1]:2525", MAIL, 0, OK },
    { "https://relay.example", MAIL, 0, SMTP_ONLY },
    { "http://relay.example", MAIL, 1, SMTP_ONLY },
    { "smtpx://relay.example", MAIL, 0, SMTP_ONLY },
    { "smtp:relay.example", MAIL, 0, SMTP_ONLY },
    { "smtp://", MAIL, 0, NO_HOST },
    { "smtp://user:pw@relay.example", MAIL, 0, CREDENTIALS },
    { "smtp://relay.example:0", MAIL, 0, BAD_PORT },
    { "smtp://relay.example:65536", MAIL, 0, BAD_PORT },
    { "smtp://relay.example#x", MAIL, 0, FRAGMENT },
    { "smtp://relay example", MAIL, 0, SPACES },
};

static void test_check_table(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
        const check_case_t *c = &check_cases[i];
        const char *error = "unset";
        apr_status_t rv = sap_url_check(c->url, c->kind, c->allow_insecure, pool, &error);

        if (c->error == OK && (rv != APR_SUCCESS || error != NULL)) {
            fail_msg("case %zu \"%s\": refused (%s)", i, c->url, error ? error : "no message");
        }
        if (c->error != OK && (rv != APR_EINVAL || !error || strcmp(error, c->error) != 0)) {
            fail_msg("case %zu \"%s\": rv %d, message \"%s\", expected \"%s\"",
                     i, c->url ? c->url : "(null)", rv, error ? error : "(null)", c->error);
        }
    }
}

static void test_check_messages_do_not_repeat_the_url(void **state)
{
    const char *error = NULL;

    assert_int_equal(sap_url_check("https://alice:hunter2@slack.com/", WEB, 0, pool, &error), APR_EINVAL);
    assert_null(strstr(error, "hunter2"));
    assert_null(strstr(error, "alice"));
}

typedef struct {
    const char *base;
    const char *path;
    const char *expected;
} join_case_t;

static const join_case_t join_cases[] = {
    { "https://x/api", "/chat.postMessage", "https://x/api/chat.postMessage" },
    { "https://x/api/", "/chat.postMessage", "https://x/api/chat.postMessage" },
    { "https://x/api/", "chat.postMessage", "https://x/api/chat.postMessage" },
    { "https://x/api", "chat.postMessage", "https://x/api/chat.postMessage" },
    { "https://x", "/api/v1/decisions", "https://x/api/v1/decisions" },
    { "https://x/", "api", "https://x/api" },
    { "https://x/api", "/a/b?c=d", "https://x/api/a/b?c=d" },
    { "https://x/api", "/", "https://x/api/" },
    { "https://x/api", "", "https://x/api" },
    { "https://x/api/", "", "https://x/api/" },
    { "https://x/api", NULL, "https://x/api" },
    { NULL, "/a", NULL },
};

static void test_join_table(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(join_cases) / sizeof(join_cases[0]); i++) {
        const join_case_t *c = &join_cases[i];
        const char *got = sap_url_join(pool, c->base, c->path);

        if (!c->expected ? got != NULL : (!got || strcmp(got, c->expected) != 0)) {
            fail_msg("join(\"%s\", \"%s\") = \"%s\", expected \"%s\"", c->base ? c->base : "(null)",
                     c->path ? c->path : "(null)", got ? got : "(null)",
                     c->expected ? c->expected : "(null)");
        }
    }
}

static void test_join_does_not_modify_or_alias_base(void **state)
{
    char base[] = "https://x/api/";
    const char *joined = sap_url_join(pool, base, "");

    assert_string_equal(base, "https://x/api/");
    assert_ptr_not_equal(joined, base);
}

typedef struct {
    const char *url;
    const char *expected;   /* NULL: no origin */
} origin_case_t;

static const origin_case_t origin_cases[] = {
    { "https://approvals.example.com/slack-approvals", "https://approvals.example.com" },
    { "https://Approvals.Example.COM/x?y", "https://approvals.example.com" },
    { "HTTPS://approvals.example.com", "https://approvals.example.com" },
    { "https://approvals.example.com:443/", "https://approvals.example.com" },
    { "https://approvals.example.com:0443", "https://approvals.example.com" },
    { "https://approvals.example.com:8443/x", "https://approvals.example.com:8443" },
    { "https://approvals.example.com:80", "https://approvals.example.com:80" },
    { "http://127.0.0.1:80/", "http://127.0.0.1" },
    { "http://127.0.0.1:8080/", "http://127.0.0.1:8080" },
    { "http://127.0.0.1:443/", "http://127.0.0.1:443" },
    { "https://[::1]:8443/", "https://[::1]:8443" },
    { "https://[::ABCD]/", "https://[::abcd]" },
    { "https://[::1]:443", "https://[::1]" },
    { "https://h?q=1", "https://h" },
    { "null", NULL },
    { "", NULL },
    { NULL, NULL },
    { "https://", NULL },
    { "https://h:99999", NULL },
    { "https://h:0", NULL },
    { "https://h:", NULL },
    { "https://u:p@h", NULL },
    { "https://h h", NULL },
    { "1http://h", NULL },
};

static void test_origin_table(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(origin_cases) / sizeof(origin_cases[0]); i++) {
        const origin_case_t *c = &origin_cases[i];
        const char *got = sap_url_origin(pool, c->url);

        if (!c->expected ? got != NULL : (!got || strcmp(got, c->expected) != 0)) {
            fail_msg("origin(\"%s\") = \"%s\", expected \"%s\"", c->url ? c->url : "(null)",
                     got ? got : "(null)", c->expected ? c->expected : "(null)");
        }
    }
}

/* the comparison the admin API makes: Origin header against the public URL */
static void test_origin_matches_browser_origin(void **state)
{
    const char *public_origin = sap_url_origin(pool, "https://Jira.Corp.example:443/slack-approvals");

    assert_string_equal(public_origin, sap_url_origin(pool, "https://jira.corp.example"));
    assert_string_not_equal(public_origin, sap_url_origin(pool, "http://jira.corp.example"));
    assert_string_not_equal(public_origin, sap_url_origin(pool, "https://jira.corp.example:8443"));
    assert_string_not_equal(public_origin, sap_url_origin(pool, "https://jira.corp.example.evil"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_table),
        cmocka_unit_test(test_check_messages_do_not_repeat_the_url),
        cmocka_unit_test(test_join_table),
        cmocka_unit_test(test_join_does_not_modify_or_alias_base),
        cmocka_unit_test(test_origin_table),
        cmocka_unit_test(test_origin_matches_browser_origin),
    };
    int failed;

    apr_initialize();
    failed = cmocka_run_group_tests_name("sap_url", tests, setup, teardown);
    apr_terminate();
    return failed;
}
