#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sap_hex.h"
#include "sap_token_crypto.h"

#define KEY_VERSION_LABEL "mod_slack_approvals token key"

/* The shortest blob: an empty plaintext is never encrypted. */
#define BLOB_MIN_LEN (SAP_TOKEN_NONCE_LEN + 1 + SAP_TOKEN_TAG_LEN)

/* Team ids are a dozen characters; the cap only keeps every length that
 * reaches OpenSSL well inside an int. */
#define TEAM_ID_MAX_LEN 256

typedef struct {
    char *data;
    apr_size_t len;
} wipe_t;

/* "The first 31 bits" of the digest: its first four bytes read big-endian,
 * shifted right by one, so the result is always positive. */
void sap_token_key_init(sap_token_key_t *key, const unsigned char *bytes)
{
    unsigned char input[sizeof(KEY_VERSION_LABEL) - 1 + SAP_TOKEN_KEY_LEN];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    apr_uint32_t first = 0;

    memcpy(key->bytes, bytes, SAP_TOKEN_KEY_LEN);
    memcpy(input, KEY_VERSION_LABEL, sizeof(KEY_VERSION_LABEL) - 1);
    memcpy(input + sizeof(KEY_VERSION_LABEL) - 1, bytes, SAP_TOKEN_KEY_LEN);
    /* SHA-256 of 61 bytes only fails without memory; version 1 then, which
     * at worst makes tokens look encrypted under another key (decryption
     * still verifies the tag). */
    if (EVP_Digest(input, sizeof(input), digest, &digest_len, EVP_sha256(), NULL) == 1) {
        first = (apr_uint32_t)digest[0] << 24 | (apr_uint32_t)digest[1] << 16
                | (apr_uint32_t)digest[2] << 8 | (apr_uint32_t)digest[3];
    }
    key->version = (int)(first >> 1);
    if (key->version == 0) {
        key->version = 1;
    }
    OPENSSL_cleanse(input, sizeof(input));
    OPENSSL_cleanse(digest, sizeof(digest));
}

static int team_ok(const char *team_id)
{
    return team_id && *team_id && strlen(team_id) <= TEAM_ID_MAX_LEN;
}

/* A GCM context keyed for one direction, with the team id already fed in
 * as additional authenticated data. */
static apr_status_t gcm_start(EVP_CIPHER_CTX **pctx, int encrypt, const sap_token_key_t *key,
                              const unsigned char *nonce, const char *team_id)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0;

    *pctx = ctx;
    if (!ctx
        || EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SAP_TOKEN_NONCE_LEN, NULL) != 1
        || EVP_CipherInit_ex(ctx, NULL, NULL, key->bytes, nonce, encrypt) != 1
        || EVP_CipherUpdate(ctx, NULL, &outl, (const unsigned char *)team_id,
                            (int)strlen(team_id)) != 1) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t sap_token_encrypt(apr_pool_t *pool, const sap_token_key_t *key, const char *team_id,
                               const char *plaintext, unsigned char **pblob,
                               apr_size_t *pblob_len)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *blob, *ciphertext;
    apr_size_t len;
    int outl = 0, finl = 0;
    apr_status_t rv;

    *pblob = NULL;
    *pblob_len = 0;
    len = plaintext ? strlen(plaintext) : 0;
    if (len == 0 || len > SAP_TOKEN_MAX_LEN || !team_ok(team_id) || !key) {
        return APR_EINVAL;
    }
    blob = apr_palloc(pool, SAP_TOKEN_NONCE_LEN + len + SAP_TOKEN_TAG_LEN);
    ciphertext = blob + SAP_TOKEN_NONCE_LEN;
    if (RAND_bytes(blob, SAP_TOKEN_NONCE_LEN) != 1) {
        rv = APR_EGENERAL;
        goto leave;
    }
    rv = gcm_start(&ctx, 1, key, blob, team_id);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    if (EVP_EncryptUpdate(ctx, ciphertext, &outl, (const unsigned char *)plaintext, (int)len) != 1
        || EVP_EncryptFinal_ex(ctx, ciphertext + outl, &finl) != 1
        || (apr_size_t)(outl + finl) != len
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SAP_TOKEN_TAG_LEN,
                               ciphertext + len) != 1) {
        rv = APR_EGENERAL;
        goto leave;
    }
    *pblob = blob;
    *pblob_len = SAP_TOKEN_NONCE_LEN + len + SAP_TOKEN_TAG_LEN;
leave:
    EVP_CIPHER_CTX_free(ctx);
    return rv;
}

static apr_status_t plaintext_wipe(void *data)
{
    wipe_t *wipe = data;

    OPENSSL_cleanse(wipe->data, wipe->len);
    return APR_SUCCESS;
}

/* Pool memory for a plaintext of len bytes (plus NUL), wiped with the pool. */
static char *wiped_buffer(apr_pool_t *pool, apr_size_t len)
{
    wipe_t *wipe = apr_palloc(pool, sizeof(*wipe));

    wipe->len = len + 1;
    wipe->data = apr_pcalloc(pool, wipe->len);
    apr_pool_cleanup_register(pool, wipe, plaintext_wipe, apr_pool_cleanup_null);
    return wipe->data;
}

apr_status_t sap_token_decrypt(apr_pool_t *pool, const sap_token_key_t *key, const char *team_id,
                               const unsigned char *blob, apr_size_t blob_len,
                               char **pplaintext)
{
    unsigned char tag[SAP_TOKEN_TAG_LEN];
    EVP_CIPHER_CTX *ctx = NULL;
    apr_size_t len;
    char *plaintext = NULL;
    int outl = 0, finl = 0;
    apr_status_t rv;

    *pplaintext = NULL;
    if (!blob || blob_len < BLOB_MIN_LEN || !team_ok(team_id) || !key) {
        return APR_EINVAL;
    }
    len = blob_len - SAP_TOKEN_NONCE_LEN - SAP_TOKEN_TAG_LEN;
    if (len > SAP_TOKEN_MAX_LEN) {
        return APR_EINVAL;
    }
    /* EVP's SET_TAG takes a non-const pointer: hand it a copy */
    memcpy(tag, blob + blob_len - SAP_TOKEN_TAG_LEN, SAP_TOKEN_TAG_LEN);
    plaintext = wiped_buffer(pool, len);
    rv = gcm_start(&ctx, 0, key, blob, team_id);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    if (EVP_DecryptUpdate(ctx, (unsigned char *)plaintext, &outl, blob + SAP_TOKEN_NONCE_LEN,
                          (int)len) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SAP_TOKEN_TAG_LEN, tag) != 1) {
        rv = APR_EGENERAL;
        goto leave;
    }
    /* the tag is checked here: wrong key, wrong team or any flipped bit */
    if (EVP_DecryptFinal_ex(ctx, (unsigned char *)plaintext + outl, &finl) != 1) {
        rv = APR_EINVAL;
        goto leave;
    }
    plaintext[len] = '\0';
    *pplaintext = plaintext;
leave:
    if (rv != APR_SUCCESS) {
        /* unauthenticated output must not linger until the pool goes */
        OPENSSL_cleanse(plaintext, len + 1);
    }
    EVP_CIPHER_CTX_free(ctx);
    return rv;
}

const char *sap_token_hex_encode(apr_pool_t *pool, const unsigned char *bytes, apr_size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *hex = apr_palloc(pool, 2 * len + 1);
    apr_size_t i;

    for (i = 0; i < len; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    hex[2 * len] = '\0';
    return hex;
}

apr_status_t sap_token_hex_decode(apr_pool_t *pool, const char *hex, unsigned char **pbytes,
                                  apr_size_t *plen)
{
    unsigned char *bytes;
    apr_size_t hex_len, len;

    *pbytes = NULL;
    *plen = 0;
    if (!hex) {
        return APR_EINVAL;
    }
    /* PostgreSQL's bytea output: \x followed by the digits */
    if (hex[0] == '\\' && hex[1] == 'x') {
        hex += 2;
    }
    hex_len = strlen(hex);
    if (hex_len % 2 != 0) {
        return APR_EINVAL;
    }
    len = hex_len / 2;
    bytes = apr_palloc(pool, len + 1);
    if (sap_hex_decode(hex, bytes, len) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *pbytes = bytes;
    *plen = len;
    return APR_SUCCESS;
}
