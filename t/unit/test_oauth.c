/* Unit tests of sap_oauth: state, authorize URL, oauth.v2.access answers, scopes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "helper_fixtures.h"
#include "sap_oauth.h"

#define STATE_ROUNDS 1000

/* ---------------------------------------------------------------- state */

static int base64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
           || c == '-' || c == '_';
}

static void test_state_shape_and_uniqueness(void **state)
{
    apr_pool_t *pool = *state;
    apr_hash_t *seen = apr_hash_make(pool);
    int round, index;

    for (round = 0; round < STATE_ROUNDS; round++) {
        const char *text = NULL;

        assert_int_equal(sap_oauth_state_new(pool, &text), APR_SUCCESS);
        assert_non_null(text);
        assert_int_equal(strlen(text), SAP_OAUTH_STATE_LEN);
        for (index = 0; index < SAP_OAUTH_STATE_LEN; index++) {
            assert_true(base64url_char(text[index]));
        }
        assert_true(sap_oauth_state_well_formed(text));
        assert_null(apr_hash_get(seen, text, APR_HASH_KEY_STRING));
        apr_hash_set(seen, text, APR_HASH_KEY_STRING, text);
    }
    assert_int_equal(apr_hash_count(seen), STATE_ROUNDS);
}

/* 32 random bytes use the whole alphabet, '-' and '_' included */
static void test_state_alphabet_is_base64url(void **state)
{
    apr_pool_t *pool = *state;
    int dash = 0, underscore = 0, round;

    for (round = 0; round < STATE_ROUNDS && !(dash && underscore); round++) {
        const char *text = NULL;

        assert_int_equal(sap_oauth_state_new(pool, &text), APR_SUCCESS);
        dash |= strchr(text, '-') != NULL;
        underscore |= strchr(text, '_') != NULL;
        assert_null(strpbrk(text, "+/="));
    }
    assert_true(dash);
    assert_true(underscore);
}

static void test_state_well_formed(void **state)
{
    static const char good[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_8";
    static const char *const bad[] = {
        "",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_",      /* 42 */
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_89",    /* 44 */
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123+_8",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-/8",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_=",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_ ",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_.",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-\xc3\xa9",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_8\n",
    };
    size_t index;

    assert_int_equal(strlen(good), SAP_OAUTH_STATE_LEN);
    assert_true(sap_oauth_state_well_formed(good));
    for (index = 0; index < sizeof(bad) / sizeof(bad[0]); index++) {
        print_message("# \"%s\"\n", bad[index]);
        assert_false(sap_oauth_state_well_formed(bad[index]));
    }
    assert_false(sap_oauth_state_well_formed(NULL));
}

static void test_state_hash(void **state)
{
    apr_pool_t *pool = *state;
    const char *hash;
    int index;

    /* FIPS 180-2's "abc" vector */
    assert_string_equal(sap_oauth_state_hash(pool, "abc"),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hash = sap_oauth_state_hash(pool, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_8");
    assert_int_equal(strlen(hash), 64);
    for (index = 0; index < 64; index++) {
        assert_non_null(strchr("0123456789abcdef", hash[index]));
    }
    assert_string_not_equal(hash, sap_oauth_state_hash(pool, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_9"));
}

/* ---------------------------------------------------------------- URLs */

static void test_authorize_url(void **state)
{
    apr_pool_t *pool = *state;

    assert_string_equal(
        sap_oauth_authorize_url(pool, "https://slack.com/oauth/v2/authorize", "1234.5678",
                                "chat:write,users:read", "st-_ate",
                                "https://approvals.example.com/slack/oauth/callback"),
        "https://slack.com/oauth/v2/authorize?client_id=1234.5678"
        "&scope=chat%3Awrite%2Cusers%3Aread&state=st-_ate"
        "&redirect_uri=https%3A%2F%2Fapprovals.example.com%2Fslack%2Foauth%2Fcallback");
}

static void test_authorize_url_with_query(void **state)
{
    apr_pool_t *pool = *state;

    assert_string_equal(
        sap_oauth_authorize_url(pool, "https://slack.example/authorize?team=T1", "c", "s", "x",
                                "https://h/cb"),
        "https://slack.example/authorize?team=T1&client_id=c&scope=s&state=x"
        "&redirect_uri=https%3A%2F%2Fh%2Fcb");
    /* an empty query already started: no second separator */
    assert_string_equal(
        sap_oauth_authorize_url(pool, "https://slack.example/authorize?", "c", "s", "x", "r"),
        "https://slack.example/authorize?client_id=c&scope=s&state=x&redirect_uri=r");
}

static void test_form_escape(void **state)
{
    apr_pool_t *pool = *state;

    assert_string_equal(sap_oauth_form_escape(pool, "AZaz09-._~"), "AZaz09-._~");
    assert_string_equal(sap_oauth_form_escape(pool, "a b+c&d=e/f?g#h%i"),
                        "a%20b%2Bc%26d%3De%2Ff%3Fg%23h%25i");
    assert_string_equal(sap_oauth_form_escape(pool, "h\xc3\xa9llo \xe2\x9c\x93"),
                        "h%C3%A9llo%20%E2%9C%93");
    assert_string_equal(sap_oauth_form_escape(pool, "\x01\n\r\x7f\xff\"'<>"),
                        "%01%0A%0D%7F%FF%22%27%3C%3E");
    assert_string_equal(sap_oauth_form_escape(pool, ""), "");
    assert_string_equal(sap_oauth_form_escape(pool, NULL), "");
}

/* ---------------------------------------------------------------- oauth.v2.access */

static apr_status_t parse(apr_pool_t *pool, const char *body, sap_oauth_grant_t *grant,
                          const char **perror)
{
    return sap_oauth_grant_parse(pool, body, strlen(body), grant, perror);
}

static void test_grant_success(void **state)
{
    static const char body[] =
        "{\"ok\":true,\"access_token\":\"xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy\","
        "\"token_type\":\"bot\",\"scope\":\"chat:write,im:write\",\"bot_user_id\":\"U0KRQLJ9H\","
        "\"app_id\":\"A0KRD7HC3\",\"team\":{\"name\":\"Slack Softball Team\",\"id\":\"T9TK3CUKW\"},"
        "\"enterprise\":{\"name\":\"slack-sports\",\"id\":\"E12345678\"},"
        "\"authed_user\":{\"id\":\"U1234\",\"scope\":\"\",\"token_type\":\"user\"}}";
    apr_pool_t *pool = *state;
    sap_oauth_grant_t grant;
    const char *error = "unset";

    assert_int_equal(parse(pool, body, &grant, &error), APR_SUCCESS);
    assert_null(error);
    assert_string_equal(grant.access_token, "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy");
    assert_string_equal(grant.token_type, "bot");
    assert_string_equal(grant.scope, "chat:write,im:write");
    assert_string_equal(grant.bot_user_id, "U0KRQLJ9H");
    assert_string_equal(grant.app_id, "A0KRD7HC3");
    assert_string_equal(grant.team_id, "T9TK3CUKW");
    assert_string_equal(grant.team_name, "Slack Softball Team");
    assert_string_equal(grant.enterprise_id, "E12345678");
    assert_string_equal(grant.authed_user_id, "U1234");
}

/* An answer sap_slack already parsed: read as is; the strings outlive it. */
static void test_grant_read_parsed(void **state)
{
    apr_pool_t *pool = *state;
    json_t *answer = json_loads("{\"ok\":true,\"access_token\":\"xoxb-2\",\"team\":{\"id\":\"T2\"}}",
                                0, NULL);
    sap_oauth_grant_t grant;
    const char *error = NULL;

    assert_non_null(answer);
    assert_int_equal(sap_oauth_grant_read(pool, answer, &grant, &error), APR_SUCCESS);
    json_decref(answer);
    assert_string_equal(grant.access_token, "xoxb-2");
    assert_string_equal(grant.team_id, "T2");
    assert_int_equal(sap_oauth_grant_read(pool, NULL, &grant, &error), APR_EINVAL);
    assert_string_equal(error, "the answer is not a JSON object");
    assert_null(grant.access_token);
}

static void test_grant_minimal(void **state)
{
    static const char body[] =
        "{\"ok\":true,\"access_token\":\"xoxb-1\",\"token_type\":\"bot\",\"team\":{\"id\":\"T1\"},"
        "\"enterprise\":null}";
    apr_pool_t *pool = *state;
    sap_oauth_grant_t grant;
    const char *error = "unset";

    assert_int_equal(parse(pool, body, &grant, &error), APR_SUCCESS);
    assert_string_equal(grant.access_token, "xoxb-1");
    assert_string_equal(grant.team_id, "T1");
    assert_null(grant.enterprise_id);
    assert_null(grant.authed_user_id);
    assert_null(grant.team_name);
    assert_null(grant.scope);
}

static void test_grant_refused(void **state)
{
    apr_pool_t *pool = *state;
    sap_oauth_grant_t grant;
    const char *error = NULL;

    assert_int_equal(parse(pool, "{\"ok\":false,\"error\":\"invalid_code\"}", &grant, &error),
                     APR_EACCES);
    assert_string_equal(error, "invalid_code");
    assert_null(grant.access_token);
    assert_int_equal(parse(pool, "{\"ok\":false,\"error\":\"bad_client_secret\","
                                 "\"access_token\":\"xoxb-ignored\"}", &grant, &error), APR_EACCES);
    assert_string_equal(error, "bad_client_secret");
    assert_null(grant.access_token);
}

/* the messages never repeat a value of the answer */
static void assert_invalid(apr_pool_t *pool, const char *body, const char *expected_error)
{
    sap_oauth_grant_t grant;
    const char *error = NULL;

    print_message("# %s\n", body);
    assert_int_equal(parse(pool, body, &grant, &error), APR_EINVAL);
    assert_string_equal(error, expected_error);
    assert_null(strstr(error, "xoxb"));
    assert_null(grant.access_token);
    assert_null(grant.team_id);
}

static void test_grant_missing_token(void **state)
{
    apr_pool_t *pool = *state;

    assert_invalid(pool, "{\"ok\":true,\"token_type\":\"bot\",\"team\":{\"id\":\"T1\"}}",
                   "no access_token in the answer");
    assert_invalid(pool, "{\"ok\":true,\"access_token\":\"\",\"team\":{\"id\":\"T1\"}}",
                   "no access_token in the answer");
    assert_invalid(pool, "{\"ok\":true,\"access_token\":42,\"team\":{\"id\":\"T1\"}}",
                   "no access_token in the answer");
    assert_invalid(pool, "{\"ok\":true,\"access_token\":\"xoxp-user\",\"token_type\":\"user\","
                         "\"team\":{\"id\":\"T1\"}}",
                   "the access_token in the answer is not a bot token");
}

static void test_grant_missing_team(void **state)
{
    apr_pool_t *pool = *state;

    assert_invalid(pool, "{\"ok\":true,\"access_token\":\"xoxb-secret\",\"token_type\":\"bot\"}",
                   "no team id in the answer");
    assert_invalid(pool, "{\"ok\":true,\"access_token\":\"xoxb-secret\",\"team\":{\"name\":\"n\"}}",
                   "no team id in the answer");
    assert_invalid(pool, "{\"ok\":true,\"access_token\":\"xoxb-secret\",\"team\":\"T1\"}",
                   "no team id in the answer");
}

static void test_grant_not_json(void **state)
{
    apr_pool_t *pool = *state;
    sap_oauth_grant_t grant;
    const char *error = NULL;

    assert_invalid(pool, "<html>502 Bad Gateway</html>", "the answer is not a JSON object");
    assert_invalid(pool, "", "the answer is not a JSON object");
    assert_invalid(pool, "[true]", "the answer is not a JSON object");
    assert_invalid(pool, "{\"ok\":true,\"access_token\":\"xoxb-secret\"", "the answer is not a JSON object");
    assert_invalid(pool, "{\"access_token\":\"xoxb-secret\",\"team\":{\"id\":\"T1\"}}",
                   "no \"ok\" in the answer");
    assert_invalid(pool, "{\"ok\":\"true\",\"access_token\":\"xoxb-secret\",\"team\":{\"id\":\"T1\"}}",
                   "no \"ok\" in the answer");
    /* body_len is honoured: what follows is not read */
    assert_int_equal(sap_oauth_grant_parse(pool, "{\"ok\":false}garbage", 12, &grant, &error),
                     APR_EACCES);
    assert_int_equal(sap_oauth_grant_parse(pool, NULL, 0, &grant, &error), APR_EINVAL);
}

/* ---------------------------------------------------------------- scopes */

static void test_missing_scopes(void **state)
{
    apr_pool_t *pool = *state;

    assert_null(sap_oauth_missing_scopes(pool, SAP_OAUTH_BOT_SCOPES, SAP_OAUTH_BOT_SCOPES));
    assert_null(sap_oauth_missing_scopes(pool, "a,b", "b,c,a"));
    assert_null(sap_oauth_missing_scopes(pool, " a , b ", "b,a"));
    assert_null(sap_oauth_missing_scopes(pool, "", "a"));
    assert_null(sap_oauth_missing_scopes(pool, NULL, "a"));
    assert_null(sap_oauth_missing_scopes(pool, ",, ,", NULL));
    assert_string_equal(sap_oauth_missing_scopes(pool, SAP_OAUTH_BOT_SCOPES,
                                                 "chat:write,users:read"),
                        "chat:write.public,im:write,users:read.email");
    /* the order of `wanted`, not of `granted` */
    assert_string_equal(sap_oauth_missing_scopes(pool, "d, c ,b,a", "b"), "d,c,a");
    assert_string_equal(sap_oauth_missing_scopes(pool, "a,b", NULL), "a,b");
    assert_string_equal(sap_oauth_missing_scopes(pool, "a,b", ""), "a,b");
    /* prefixes are not scopes */
    assert_string_equal(sap_oauth_missing_scopes(pool, "chat:write.public", "chat:write"),
                        "chat:write.public");
    assert_string_equal(sap_oauth_missing_scopes(pool, "users:read", "users:read.email"),
                        "users:read");
    assert_string_equal(sap_oauth_missing_scopes(pool, "a,a,b", "\tb\n"), "a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SAP_POOL_TEST(test_state_shape_and_uniqueness),
        SAP_POOL_TEST(test_state_alphabet_is_base64url),
        cmocka_unit_test(test_state_well_formed),
        SAP_POOL_TEST(test_state_hash),
        SAP_POOL_TEST(test_authorize_url),
        SAP_POOL_TEST(test_authorize_url_with_query),
        SAP_POOL_TEST(test_form_escape),
        SAP_POOL_TEST(test_grant_success),
        SAP_POOL_TEST(test_grant_minimal),
        SAP_POOL_TEST(test_grant_read_parsed),
        SAP_POOL_TEST(test_grant_refused),
        SAP_POOL_TEST(test_grant_missing_token),
        SAP_POOL_TEST(test_grant_missing_team),
        SAP_POOL_TEST(test_grant_not_json),
        SAP_POOL_TEST(test_missing_scopes),
    };

    return cmocka_run_group_tests_name("sap_oauth", tests, sap_test_group_setup,
                                       sap_test_group_teardown);
}
