/* Unit tests of sap_signature.
 *
 * Expected signatures are not computed with the code under test: each one is
 * computed at test time by the openssl command line tool
 * (`openssl dgst -sha256 -hmac KEY`) over the base string written to a temp
 * file, so a wrong base string or MAC in sap_signature.c cannot go unnoticed.
 * Slack's own documented example is checked as a fixed vector as well. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "sap_log.h"
#include "sap_signature.h"

#define SECRET      "s3cretSigningSecretForUnitTests01"
#define OTHER       "s3cretSigningSecretForUnitTests02"
#define TS          "1700000000"
#define TS_SEC      1700000000
#define FORM_BODY   "payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U1%22%7D%7D"

/* Slack's worked example (api.slack.com, "Verifying requests from Slack"); the
 * signature was checked against `openssl dgst` when this test was written. */
#define DOC_SECRET  "8f742231b10e8888abcd99yyyzzz85a5"
#define DOC_TS      "1531420618"
#define DOC_BODY    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow" \
                    "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner" \
                    "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com" \
                    "%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" \
                    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
#define DOC_SIG     "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

static const unsigned char BINARY_BODY[] = {
    '{', 0x00, 0x01, 0xff, 0xfe, '\n', '\r', 0x00, 0x80, 'v', '0', ':', 0x7f, 0x00, '}'
};

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

static apr_time_t at(apr_int64_t sec)
{
    return apr_time_from_sec(sec);
}

/* "v0=" + HMAC-SHA256 computed by `openssl dgst` with key_opt
 * ("-hmac KEY" or "-mac HMAC -macopt hexkey:HEX"). */
static const char *openssl_sig_opt(const char *key_opt, const char *ts,
                                   const void *body, size_t body_len)
{
    char path[] = "/tmp/sap_test_sig_XXXXXX";
    char line[256] = "";
    const char *cmd;
    FILE *f, *p;
    int fd, status, i;

    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_true(fprintf(f, "v0:%s:", ts) > 0);
    assert_int_equal(fwrite(body, 1, body_len, f), body_len);
    assert_int_equal(fclose(f), 0);

    cmd = apr_psprintf(pool, "openssl dgst -sha256 %s -r %s", key_opt, path);
    p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(line, sizeof(line), p)) {
        line[0] = '\0';
    }
    status = pclose(p);
    unlink(path);
    if (status != 0 || strlen(line) < 64) {
        fail_msg("`%s` failed (status %d, output \"%s\"); is the openssl tool installed?",
                 cmd, status, line);
    }
    for (i = 0; i < 64; i++) {
        assert_true(isxdigit((unsigned char)line[i]) && !isupper((unsigned char)line[i]));
    }
    return apr_pstrcat(pool, "v0=", apr_pstrmemdup(pool, line, 64), NULL);
}

/* Test secrets are plain alphanumerics, so they can go on the command line as is. */
static const char *openssl_sig(const char *secret, const char *ts, const void *body, size_t body_len)
{
    return openssl_sig_opt(apr_pstrcat(pool, "-hmac ", secret, NULL), ts, body, body_len);
}

static sap_sig_result_t verify(const char *secret, const char *ts, const char *sig,
                               const void *body, size_t body_len, apr_time_t now)
{
    return sap_signature_verify((const unsigned char *)secret, strlen(secret), ts, sig,
                                body, body_len, now);
}

static void test_valid_slack_request(void **state)
{
    const char *sig = openssl_sig(SECRET, TS, FORM_BODY, strlen(FORM_BODY));

    assert_int_equal(verify(SECRET, TS, sig, FORM_BODY, strlen(FORM_BODY), at(TS_SEC)), SAP_SIG_OK);
    assert_int_equal(verify(SECRET, TS, sig, FORM_BODY, strlen(FORM_BODY), at(TS_SEC + 2)), SAP_SIG_OK);
}

static void test_slack_documentation_example(void **state)
{
    /* the vector itself, and that openssl (the oracle of the other tests) agrees */
    assert_string_equal(openssl_sig(DOC_SECRET, DOC_TS, DOC_BODY, strlen(DOC_BODY)), DOC_SIG);
    assert_int_equal(verify(DOC_SECRET, DOC_TS, DOC_SIG, DOC_BODY, strlen(DOC_BODY),
                            at(1531420618)), SAP_SIG_OK);
    assert_string_equal(sap_signature_sign(pool, (const unsigned char *)DOC_SECRET,
                                           strlen(DOC_SECRET), DOC_TS, DOC_BODY, strlen(DOC_BODY)),
                        DOC_SIG);
}

static void test_binary_body(void **state)
{
    const char *sig = openssl_sig(SECRET, TS, BINARY_BODY, sizeof(BINARY_BODY));

    assert_int_equal(verify(SECRET, TS, sig, (const char *)BINARY_BODY, sizeof(BINARY_BODY),
                            at(TS_SEC)), SAP_SIG_OK);
    /* hashing only up to the first NUL would verify this one instead */
    assert_int_equal(verify(SECRET, TS, openssl_sig(SECRET, TS, BINARY_BODY, 1),
                            (const char *)BINARY_BODY, sizeof(BINARY_BODY), at(TS_SEC)),
                     SAP_SIG_MISMATCH);
}

static void test_binary_secret(void **state)
{
    static const unsigned char secret[] = { 0x00, 0x0a, 0xff, 's', 'k', 0x00, 0x80, 0x0d };
    const char *sig = openssl_sig_opt("-mac HMAC -macopt hexkey:000aff736b00800d",
                                      TS, FORM_BODY, strlen(FORM_BODY));

    assert_int_equal(sap_signature_verify(secret, sizeof(secret), TS, sig, FORM_BODY,
                                          strlen(FORM_BODY), at(TS_SEC)), SAP_SIG_OK);
    assert_int_equal(sap_signature_verify(secret, 1, TS, sig, FORM_BODY,
                                          strlen(FORM_BODY), at(TS_SEC)), SAP_SIG_MISMATCH);
}

static void test_empty_body(void **state)
{
    const char *sig = openssl_sig(SECRET, TS, "", 0);

    assert_int_equal(sap_signature_verify((const unsigned char *)SECRET, strlen(SECRET), TS, sig,
                                          NULL, 0, at(TS_SEC)), SAP_SIG_OK);
}

static void test_skew_window(void **state)
{
    const char *sig = openssl_sig(SECRET, TS, FORM_BODY, strlen(FORM_BODY));
    size_t n = strlen(FORM_BODY);

    assert_int_equal(verify(SECRET, TS, sig, FORM_BODY, n, at(TS_SEC + 300)), SAP_SIG_OK);
    assert_int_equal(verify(SECRET, TS, sig, FORM_BODY, n, at(TS_SEC + 301)), SAP_SIG_STALE);
    assert_int_equal(verify(SECRET, TS, sig, FORM_BODY, n, at(TS_SEC - 300)), SAP_SIG_OK);
    assert_int_equal(verify(SECRET, TS, sig, FORM_BODY, n, at(TS_SEC - 301)), SAP_SIG_STALE);
    assert_int_equal(verify(SECRET, TS, sig, FORM_BODY, n, at(TS_SEC + 86400)), SAP_SIG_STALE);
    assert_int_equal(verify(SECRET, TS, sig, FORM_BODY, n, at(0)), SAP_SIG_STALE);
}

static void test_huge_timestamp_is_stale(void **state)
{
    const char *ts = "9223372036854775807";   /* INT64_MAX: parses, but is not now */
    const char *sig = openssl_sig(SECRET, ts, FORM_BODY, strlen(FORM_BODY));

    assert_int_equal(verify(SECRET, ts, sig, FORM_BODY, strlen(FORM_BODY), at(TS_SEC)), SAP_SIG_STALE);
}

static void test_missing_headers(void **state)
{
    const char *sig = openssl_sig(SECRET, TS, FORM_BODY, strlen(FORM_BODY));
    size_t n = strlen(FORM_BODY);

    assert_int_equal(verify(SECRET, NULL, sig, FORM_BODY, n, at(TS_SEC)), SAP_SIG_MISSING);
    assert_int_equal(verify(SECRET, TS, NULL, FORM_BODY, n, at(TS_SEC)), SAP_SIG_MISSING);
    assert_int_equal(verify(SECRET, NULL, NULL, FORM_BODY, n, at(TS_SEC)), SAP_SIG_MISSING);
}

static void test_malformed_signature(void **state)
{
    const char *sig = openssl_sig(SECRET, TS, FORM_BODY, strlen(FORM_BODY));
    const char *hex = sig + 3;
    const char *bad[] = {
        "",
        "v0=",
        hex,                                              /* no v0= */
        apr_pstrcat(pool, "v1=", hex, NULL),
        apr_pstrcat(pool, "V0=", hex, NULL),
        apr_pstrcat(pool, "v0:", hex, NULL),
        apr_pstrmemdup(pool, sig, 3 + 63),               /* 63 hex digits */
        apr_pstrcat(pool, sig, "0", NULL),                /* 65 hex digits */
        apr_pstrcat(pool, apr_pstrmemdup(pool, sig, 3 + 63), "g", NULL),
        apr_pstrcat(pool, "v0=z", hex + 1, NULL),
        apr_pstrcat(pool, " ", sig, NULL),
        apr_pstrcat(pool, sig, " ", NULL),
        apr_pstrcat(pool, "v0= ", hex, NULL),
        apr_pstrcat(pool, sig, ",", sig, NULL),           /* two signatures */
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (verify(SECRET, TS, bad[i], FORM_BODY, strlen(FORM_BODY), at(TS_SEC)) != SAP_SIG_MALFORMED) {
            fail_msg("signature header \"%s\" not refused as malformed", bad[i]);
        }
    }
}

static void test_malformed_timestamp(void **state)
{
    const char *bad[] = {
        "", "-1700000000", "+1700000000", " 1700000000", "1700000000 ", "17000 00000",
        "1700000000\n", "1.7e9", "1700000000.5", "0x6553f100", "abc",
        "00000000001700000000",     /* 20 digits: overlong */
        "9999999999999999999",      /* 19 digits, above INT64_MAX */
        "18446744073709551616",     /* 2^64 */
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* correctly signed over that very timestamp: only its form is wrong */
        const char *sig = openssl_sig(SECRET, bad[i], FORM_BODY, strlen(FORM_BODY));

        if (verify(SECRET, bad[i], sig, FORM_BODY, strlen(FORM_BODY), at(TS_SEC)) != SAP_SIG_MALFORMED) {
            fail_msg("timestamp header \"%s\" not refused as malformed", bad[i]);
        }
    }
}

static void test_leading_zeros_accepted(void **state)
{
    const char *ts = "0001700000000";
    const char *sig = openssl_sig(SECRET, ts, FORM_BODY, strlen(FORM_BODY));

    assert_int_equal(verify(SECRET, ts, sig, FORM_BODY, strlen(FORM_BODY), at(TS_SEC)), SAP_SIG_OK);
}

static void test_flipped_body_bit(void **state)
{
    const char *sig = openssl_sig(SECRET, TS, BINARY_BODY, sizeof(BINARY_BODY));
    unsigned char body[sizeof(BINARY_BODY)];
    size_t i;

    for (i = 0; i < sizeof(body); i++) {
        memcpy(body, BINARY_BODY, sizeof(body));
        body[i] ^= 0x01;
        assert_int_equal(verify(SECRET, TS, sig, (const char *)body, sizeof(body), at(TS_SEC)),
                         SAP_SIG_MISMATCH);
    }
    /* a missing or extra last byte */
    assert_int_equal(verify(SECRET, TS, sig, (const char *)BINARY_BODY, sizeof(BINARY_BODY) - 1,
                            at(TS_SEC)), SAP_SIG_MISMATCH);
}

static void test_flipped_timestamp_bit(void **state)
{
    const char *sig = openssl_sig(SECRET, TS, FORM_BODY, strlen(FORM_BODY));

    /* '0' ^ 1 == '1': still digits, still fresh, different timestamp */
    assert_int_equal(verify(SECRET, "1700000001", sig, FORM_BODY, strlen(FORM_BODY), at(TS_SEC)),
                     SAP_SIG_MISMATCH);
    assert_int_equal(verify(SECRET, "1700000100", sig, FORM_BODY, strlen(FORM_BODY), at(TS_SEC)),
                     SAP_SIG_MISMATCH);
}

static char flip_hex_bit(char c)
{
    static const char digits[] = "0123456789abcdef";
    int v = (int)(strchr(digits, c) - digits);

    return digits[v ^ 0x01];
}

static void test_flipped_signature_bit(void **state)
{
    const char *sig = openssl_sig(SECRET, TS, FORM_BODY, strlen(FORM_BODY));
    size_t i;

    for (i = 3; i < 3 + 64; i++) {
        char *bad = apr_pstrdup(pool, sig);

        bad[i] = flip_hex_bit(bad[i]);
        if (verify(SECRET, TS, bad, FORM_BODY, strlen(FORM_BODY), at(TS_SEC)) != SAP_SIG_MISMATCH) {
            fail_msg("signature with digit %zu changed was not a mismatch", i - 3);
        }
    }
}

static void test_wrong_secret(void **state)
{
    const char *sig = openssl_sig(SECRET, TS, FORM_BODY, strlen(FORM_BODY));
    size_t n = strlen(FORM_BODY);

    assert_int_equal(verify(OTHER, TS, sig, FORM_BODY, n, at(TS_SEC)), SAP_SIG_MISMATCH);
    /* a prefix of the secret must not do */
    assert_int_equal(sap_signature_verify((const unsigned char *)SECRET, strlen(SECRET) - 1, TS, sig,
                                          FORM_BODY, n, at(TS_SEC)), SAP_SIG_MISMATCH);
}

static int logged_errors;

static void counting_sink(void *baton, const char *file, int line, sap_log_level_t level,
                          apr_status_t rv, const char *fmt, va_list ap)
{
    if (level <= SAP_LOG_ERR) {
        logged_errors++;
    }
}

static void test_empty_secret_never_verifies(void **state)
{
    /* not even a request signed with the empty key (HMAC allows one) */
    const char *sig = openssl_sig_opt("-hmac ''", TS, FORM_BODY, strlen(FORM_BODY));

    logged_errors = 0;
    sap_log_set(counting_sink, NULL, NULL);
    assert_int_equal(sap_signature_verify((const unsigned char *)"", 0, TS, sig,
                                          FORM_BODY, strlen(FORM_BODY), at(TS_SEC)), SAP_SIG_MISMATCH);
    assert_int_equal(sap_signature_verify(NULL, 0, TS, sig,
                                          FORM_BODY, strlen(FORM_BODY), at(TS_SEC)), SAP_SIG_MISMATCH);
    assert_null(sap_signature_sign(pool, (const unsigned char *)"", 0, TS, FORM_BODY, strlen(FORM_BODY)));
    sap_log_set(NULL, NULL, NULL);
    assert_int_equal(logged_errors, 3);   /* a configuration bug: logged, not silent */
}

static void test_uppercase_hex_accepted(void **state)
{
    const char *sig = openssl_sig(SECRET, TS, FORM_BODY, strlen(FORM_BODY));
    char *upper = apr_pstrdup(pool, sig);
    char *mixed = apr_pstrdup(pool, sig);
    size_t i;

    for (i = 3; upper[i]; i++) {
        upper[i] = (char)toupper((unsigned char)upper[i]);
        if (i % 2) {
            mixed[i] = upper[i];
        }
    }
    assert_string_not_equal(upper, sig);
    assert_int_equal(verify(SECRET, TS, upper, FORM_BODY, strlen(FORM_BODY), at(TS_SEC)), SAP_SIG_OK);
    assert_int_equal(verify(SECRET, TS, mixed, FORM_BODY, strlen(FORM_BODY), at(TS_SEC)), SAP_SIG_OK);
}

static void test_sign_matches_openssl(void **state)
{
    const unsigned char *secret = (const unsigned char *)SECRET;

    assert_string_equal(sap_signature_sign(pool, secret, strlen(SECRET), TS, FORM_BODY, strlen(FORM_BODY)),
                        openssl_sig(SECRET, TS, FORM_BODY, strlen(FORM_BODY)));
    assert_string_equal(sap_signature_sign(pool, secret, strlen(SECRET), TS,
                                           (const char *)BINARY_BODY, sizeof(BINARY_BODY)),
                        openssl_sig(SECRET, TS, BINARY_BODY, sizeof(BINARY_BODY)));
    assert_string_equal(sap_signature_sign(pool, secret, strlen(SECRET), "1", NULL, 0),
                        openssl_sig(SECRET, "1", "", 0));
}

static void test_sign_verify_round_trip_large_body(void **state)
{
    size_t n = SAP_MAX_BODY_BYTES;
    char *body = apr_palloc(pool, n);
    const char *sig;
    size_t i;

    for (i = 0; i < n; i++) {
        body[i] = (char)(i * 131 + 7);
    }
    sig = sap_signature_sign(pool, (const unsigned char *)SECRET, strlen(SECRET), TS, body, n);
    assert_string_equal(sig, openssl_sig(SECRET, TS, body, n));
    assert_int_equal(verify(SECRET, TS, sig, body, n, at(TS_SEC)), SAP_SIG_OK);
}

static void test_result_strings(void **state)
{
    const char *seen[SAP_SIG_MISMATCH + 1];
    int r, k;

    for (r = SAP_SIG_OK; r <= SAP_SIG_MISMATCH; r++) {
        seen[r] = sap_signature_result_str((sap_sig_result_t)r);
        assert_non_null(seen[r]);
        assert_true(strlen(seen[r]) > 0);
        for (k = 0; k < r; k++) {
            assert_string_not_equal(seen[k], seen[r]);
        }
    }
    assert_non_null(strstr(sap_signature_result_str(SAP_SIG_STALE), "5 minutes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_slack_request),
        cmocka_unit_test(test_slack_documentation_example),
        cmocka_unit_test(test_binary_body),
        cmocka_unit_test(test_binary_secret),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_skew_window),
        cmocka_unit_test(test_huge_timestamp_is_stale),
        cmocka_unit_test(test_missing_headers),
        cmocka_unit_test(test_malformed_signature),
        cmocka_unit_test(test_malformed_timestamp),
        cmocka_unit_test(test_leading_zeros_accepted),
        cmocka_unit_test(test_flipped_body_bit),
        cmocka_unit_test(test_flipped_timestamp_bit),
        cmocka_unit_test(test_flipped_signature_bit),
        cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_empty_secret_never_verifies),
        cmocka_unit_test(test_uppercase_hex_accepted),
        cmocka_unit_test(test_sign_matches_openssl),
        cmocka_unit_test(test_sign_verify_round_trip_large_body),
        cmocka_unit_test(test_result_strings),
    };
    int failed;

    apr_initialize();
    failed = cmocka_run_group_tests_name("sap_signature", tests, setup, teardown);
    apr_terminate();
    return failed;
}
