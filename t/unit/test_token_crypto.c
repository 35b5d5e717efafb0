/* Unit tests of sap_token_crypto: AES-256-GCM bot tokens at rest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <apr_pools.h>
#include <apr_strings.h>

#include "helper_fixtures.h"
#include "sap_token_crypto.h"

#define TEAM  "T0123ABCD"
#define TOKEN "xoxb-1234-5678-abcdef"

/* Made outside this code, with Python's cryptography package:
 * AESGCM(bytes(range(32))).encrypt(bytes(range(0xa0, 0xac)), TOKEN, TEAM),
 * with the nonce in front: nonce || ciphertext || tag. */
#define KNOWN_BLOB_HEX "a0a1a2a3a4a5a6a7a8a9aaab" \
                       "9e77044f68fa308c5648b2e53042edbf12cf3d75f4" \
                       "f50b75c4285ac430252520573d965091"

/* The versions of the keys below, computed outside this code:
 * int.from_bytes(sha256(b"mod_slack_approvals token key" + key)[:4], "big") >> 1 */
#define VERSION_KEY_0_TO_31 2030205514
#define VERSION_KEY_42      1739986992

static void key_fill(sap_token_key_t *key, unsigned char first, unsigned char step)
{
    unsigned char bytes[SAP_TOKEN_KEY_LEN];
    int i;

    for (i = 0; i < SAP_TOKEN_KEY_LEN; i++) {
        bytes[i] = (unsigned char)(first + i * step);
    }
    sap_token_key_init(key, bytes);
}

/* the key 00 01 02 ... 1f */
static void key_sequence(sap_token_key_t *key)
{
    key_fill(key, 0, 1);
}

static void encrypt_ok(apr_pool_t *pool, const sap_token_key_t *key, const char *team,
                       const char *plaintext, unsigned char **pblob, apr_size_t *plen)
{
    assert_int_equal(sap_token_encrypt(pool, key, team, plaintext, pblob, plen), APR_SUCCESS);
    assert_non_null(*pblob);
    assert_int_equal(*plen, SAP_TOKEN_NONCE_LEN + strlen(plaintext) + SAP_TOKEN_TAG_LEN);
}

static void assert_refused(apr_pool_t *pool, const sap_token_key_t *key, const char *team,
                           const unsigned char *blob, apr_size_t len)
{
    char *plaintext = (char *)"unset";

    assert_int_equal(sap_token_decrypt(pool, key, team, blob, len, &plaintext), APR_EINVAL);
    assert_null(plaintext);
}

/* ---------------------------------------------------------------- keys */

static void test_key_version(void **state)
{
    sap_token_key_t key, again, other;

    key_sequence(&key);
    key_sequence(&again);
    key_fill(&other, 0x42, 0);
    assert_int_equal(key.version, VERSION_KEY_0_TO_31);
    assert_int_equal(other.version, VERSION_KEY_42);
    assert_int_equal(key.version, again.version);
    assert_int_not_equal(key.version, other.version);
    assert_true(key.version > 0);
    assert_true(other.version > 0);
    assert_memory_equal(key.bytes, again.bytes, SAP_TOKEN_KEY_LEN);
    assert_int_equal(key.bytes[31], 31);
}

static void test_key_versions_never_zero(void **state)
{
    sap_token_key_t key;
    int first;

    for (first = 0; first < 256; first++) {
        key_fill(&key, (unsigned char)first, 7);
        assert_true(key.version >= 1);
    }
}

/* ---------------------------------------------------------------- round trips */

static void test_round_trip(void **state)
{
    apr_pool_t *pool = *state;
    sap_token_key_t key;
    unsigned char *blob = NULL;
    apr_size_t len = 0;
    char *plaintext = NULL;

    key_sequence(&key);
    encrypt_ok(pool, &key, TEAM, TOKEN, &blob, &len);
    assert_null(memmem(blob, len, TOKEN, strlen(TOKEN)));
    assert_int_equal(sap_token_decrypt(pool, &key, TEAM, blob, len, &plaintext), APR_SUCCESS);
    assert_string_equal(plaintext, TOKEN);
}

static void test_known_answer(void **state)
{
    apr_pool_t *pool = *state;
    sap_token_key_t key;
    unsigned char *blob = NULL;
    apr_size_t len = 0;
    char *plaintext = NULL;

    key_sequence(&key);
    assert_int_equal(sap_token_hex_decode(pool, KNOWN_BLOB_HEX, &blob, &len), APR_SUCCESS);
    assert_int_equal(sap_token_decrypt(pool, &key, TEAM, blob, len, &plaintext), APR_SUCCESS);
    assert_string_equal(plaintext, TOKEN);
}

static void test_fresh_nonce_each_time(void **state)
{
    apr_pool_t *pool = *state;
    sap_token_key_t key;
    unsigned char *first = NULL, *second = NULL;
    apr_size_t first_len = 0, second_len = 0;

    key_sequence(&key);
    encrypt_ok(pool, &key, TEAM, TOKEN, &first, &first_len);
    encrypt_ok(pool, &key, TEAM, TOKEN, &second, &second_len);
    assert_int_equal(first_len, second_len);
    assert_memory_not_equal(first, second, SAP_TOKEN_NONCE_LEN);
    assert_memory_not_equal(first + SAP_TOKEN_NONCE_LEN, second + SAP_TOKEN_NONCE_LEN,
                            first_len - SAP_TOKEN_NONCE_LEN);
}

static void test_longest_plaintext(void **state)
{
    apr_pool_t *pool = *state;
    char *longest = apr_palloc(pool, SAP_TOKEN_MAX_LEN + 1);
    sap_token_key_t key;
    unsigned char *blob = NULL;
    apr_size_t len = 0;
    char *plaintext = NULL;

    memset(longest, 'x', SAP_TOKEN_MAX_LEN);
    longest[SAP_TOKEN_MAX_LEN] = '\0';
    key_sequence(&key);
    encrypt_ok(pool, &key, TEAM, longest, &blob, &len);
    assert_int_equal(sap_token_decrypt(pool, &key, TEAM, blob, len, &plaintext), APR_SUCCESS);
    assert_string_equal(plaintext, longest);
}

/* ---------------------------------------------------------------- refusals */

static void test_wrong_key(void **state)
{
    apr_pool_t *pool = *state;
    sap_token_key_t key, other;
    unsigned char *blob = NULL;
    apr_size_t len = 0;

    key_sequence(&key);
    key_fill(&other, 0x42, 0);
    encrypt_ok(pool, &key, TEAM, TOKEN, &blob, &len);
    assert_refused(pool, &other, TEAM, blob, len);
}

static void test_wrong_team(void **state)
{
    apr_pool_t *pool = *state;
    sap_token_key_t key;
    unsigned char *blob = NULL;
    apr_size_t len = 0;

    key_sequence(&key);
    encrypt_ok(pool, &key, TEAM, TOKEN, &blob, &len);
    assert_refused(pool, &key, "T0123ABCE", blob, len);
    assert_refused(pool, &key, "T0123ABC", blob, len);
    assert_refused(pool, &key, "", blob, len);
    assert_refused(pool, &key, NULL, blob, len);
}

/* every single bit of nonce, ciphertext and tag is covered by the tag */
static void test_flipped_bytes(void **state)
{
    apr_pool_t *pool = *state;
    sap_token_key_t key;
    unsigned char *blob = NULL, *copy;
    apr_size_t len = 0, index;

    key_sequence(&key);
    encrypt_ok(pool, &key, TEAM, TOKEN, &blob, &len);
    copy = apr_palloc(pool, len);
    for (index = 0; index < len; index++) {
        memcpy(copy, blob, len);
        copy[index] ^= (unsigned char)(1u << (index % 8));
        print_message("# byte %zu\n", (size_t)index);
        assert_refused(pool, &key, TEAM, copy, len);
    }
}

static void test_truncated_blob(void **state)
{
    apr_pool_t *pool = *state;
    sap_token_key_t key;
    unsigned char *blob = NULL;
    apr_size_t len = 0, cut;

    key_sequence(&key);
    encrypt_ok(pool, &key, TEAM, TOKEN, &blob, &len);
    for (cut = 0; cut < len; cut++) {
        print_message("# %zu bytes\n", (size_t)cut);
        assert_refused(pool, &key, TEAM, blob, cut);
    }
    /* the nonce dropped: the tail still has the tag, nothing verifies */
    assert_refused(pool, &key, TEAM, blob + 1, len - 1);
    assert_refused(pool, &key, TEAM, NULL, len);
}

static void test_refused_plaintexts(void **state)
{
    apr_pool_t *pool = *state;
    char *too_long = apr_palloc(pool, SAP_TOKEN_MAX_LEN + 2);
    sap_token_key_t key;
    unsigned char *blob = (unsigned char *)"unset";
    apr_size_t len = 99;

    memset(too_long, 'x', SAP_TOKEN_MAX_LEN + 1);
    too_long[SAP_TOKEN_MAX_LEN + 1] = '\0';
    key_sequence(&key);
    assert_int_equal(sap_token_encrypt(pool, &key, TEAM, "", &blob, &len), APR_EINVAL);
    assert_null(blob);
    assert_int_equal(len, 0);
    assert_int_equal(sap_token_encrypt(pool, &key, TEAM, NULL, &blob, &len), APR_EINVAL);
    assert_int_equal(sap_token_encrypt(pool, &key, TEAM, too_long, &blob, &len), APR_EINVAL);
    assert_int_equal(sap_token_encrypt(pool, &key, "", TOKEN, &blob, &len), APR_EINVAL);
    assert_int_equal(sap_token_encrypt(pool, &key, NULL, TOKEN, &blob, &len), APR_EINVAL);
    assert_null(blob);
}

/* the decrypted token does not outlive its pool in memory */
static void test_plaintext_wiped_on_clear(void **state)
{
    apr_pool_t *pool = *state, *sub = NULL;
    sap_token_key_t key;
    unsigned char *blob = NULL;
    apr_size_t len = 0, index;
    char *plaintext = NULL;
    int nonzero = 0;

    key_sequence(&key);
    encrypt_ok(pool, &key, TEAM, TOKEN, &blob, &len);
    assert_int_equal(apr_pool_create(&sub, pool), APR_SUCCESS);
    assert_int_equal(sap_token_decrypt(sub, &key, TEAM, blob, len, &plaintext), APR_SUCCESS);
    assert_string_equal(plaintext, TOKEN);
    /* clear, not destroy: the memory stays the pool's, so reading it is sound */
    apr_pool_clear(sub);
    for (index = 0; index < strlen(TOKEN); index++) {
        nonzero |= plaintext[index];
    }
    assert_int_equal(nonzero, 0);
    apr_pool_destroy(sub);
}

/* ---------------------------------------------------------------- hex */

static void test_hex_round_trip(void **state)
{
    static const unsigned char bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
    apr_pool_t *pool = *state;
    unsigned char *decoded = NULL;
    apr_size_t len = 0;
    const char *hex = sap_token_hex_encode(pool, bytes, sizeof(bytes));

    assert_string_equal(hex, "00017f80abff");
    assert_int_equal(sap_token_hex_decode(pool, hex, &decoded, &len), APR_SUCCESS);
    assert_int_equal(len, sizeof(bytes));
    assert_memory_equal(decoded, bytes, sizeof(bytes));

    /* PostgreSQL's bytea text, and uppercase digits */
    assert_int_equal(sap_token_hex_decode(pool, "\\x00017F80ABFF", &decoded, &len), APR_SUCCESS);
    assert_int_equal(len, sizeof(bytes));
    assert_memory_equal(decoded, bytes, sizeof(bytes));

    assert_string_equal(sap_token_hex_encode(pool, bytes, 0), "");
    assert_int_equal(sap_token_hex_decode(pool, "\\x", &decoded, &len), APR_SUCCESS);
    assert_int_equal(len, 0);
}

static void test_hex_blob_round_trip(void **state)
{
    apr_pool_t *pool = *state;
    sap_token_key_t key;
    unsigned char *blob = NULL, *decoded = NULL;
    apr_size_t len = 0, decoded_len = 0;
    char *plaintext = NULL;

    key_sequence(&key);
    encrypt_ok(pool, &key, TEAM, TOKEN, &blob, &len);
    assert_int_equal(sap_token_hex_decode(pool,
                                          apr_pstrcat(pool, "\\x", sap_token_hex_encode(pool, blob, len),
                                                      NULL),
                                          &decoded, &decoded_len), APR_SUCCESS);
    assert_int_equal(decoded_len, len);
    assert_int_equal(sap_token_decrypt(pool, &key, TEAM, decoded, decoded_len, &plaintext),
                     APR_SUCCESS);
    assert_string_equal(plaintext, TOKEN);
}

static void test_hex_bad(void **state)
{
    static const char *const bad[] = {
        "0", "abc", "\\x0", "0g", "g0", "00 ", " 00", "0x00", "\\X00", "x00", "\\\\x00", "00\n",
    };
    apr_pool_t *pool = *state;
    unsigned char *decoded = (unsigned char *)"unset";
    apr_size_t len = 99;
    size_t index;

    for (index = 0; index < sizeof(bad) / sizeof(bad[0]); index++) {
        print_message("# \"%s\"\n", bad[index]);
        assert_int_equal(sap_token_hex_decode(pool, bad[index], &decoded, &len), APR_EINVAL);
        assert_null(decoded);
        assert_int_equal(len, 0);
    }
    assert_int_equal(sap_token_hex_decode(pool, NULL, &decoded, &len), APR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_version),
        cmocka_unit_test(test_key_versions_never_zero),
        SAP_POOL_TEST(test_round_trip),
        SAP_POOL_TEST(test_known_answer),
        SAP_POOL_TEST(test_fresh_nonce_each_time),
        SAP_POOL_TEST(test_longest_plaintext),
        SAP_POOL_TEST(test_wrong_key),
        SAP_POOL_TEST(test_wrong_team),
        SAP_POOL_TEST(test_flipped_bytes),
        SAP_POOL_TEST(test_truncated_blob),
        SAP_POOL_TEST(test_refused_plaintexts),
        SAP_POOL_TEST(test_plaintext_wiped_on_clear),
        SAP_POOL_TEST(test_hex_round_trip),
        SAP_POOL_TEST(test_hex_blob_round_trip),
        SAP_POOL_TEST(test_hex_bad),
    };

    return cmocka_run_group_tests_name("sap_token_crypto", tests, sap_test_group_setup,
                                       sap_test_group_teardown);
}
