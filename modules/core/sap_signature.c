#include <stdint.h>
#include <string.h>

#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "sap_hex.h"
#include "sap_log.h"
#include "sap_signature.h"

#define SAP_SIG_MAC_LEN 32   /* SHA-256 output */

/* Unix seconds, digits only: no sign, no space, not empty, at most
 * SAP_SIGNATURE_TS_MAX_LEN digits, no overflow of int64. */
static apr_status_t parse_timestamp(const char *header, apr_int64_t *pts)
{
    apr_size_t len = strlen(header);
    apr_int64_t value = 0;
    apr_size_t i;

    if (len == 0 || len > SAP_SIGNATURE_TS_MAX_LEN) {
        return APR_EINVAL;
    }
    for (i = 0; i < len; i++) {
        int digit = header[i] - '0';

        if (header[i] < '0' || header[i] > '9') {
            return APR_EINVAL;
        }
        if (value > (INT64_MAX - digit) / 10) {
            return APR_EINVAL;
        }
        value = value * 10 + digit;
    }
    *pts = value;
    return APR_SUCCESS;
}

/* "v0=" followed by exactly 64 hex digits of either case, decoded into mac. */
static apr_status_t parse_signature(const char *header, unsigned char mac[SAP_SIG_MAC_LEN])
{
    const apr_size_t prefix_len = sizeof(SAP_SIGNATURE_PREFIX) - 1;
    const char *hex;

    if (strncmp(header, SAP_SIGNATURE_PREFIX, prefix_len) != 0) {
        return APR_EINVAL;
    }
    hex = header + prefix_len;
    if (strlen(hex) != SAP_SIGNATURE_HEX_LEN) {
        return APR_EINVAL;
    }
    return sap_hex_decode(hex, mac, SAP_SIG_MAC_LEN);
}

/* Written so that no subtraction can overflow whatever the timestamp:
 * |now_sec| is at most INT64_MAX / 10^6. */
static int is_fresh(apr_int64_t ts, apr_time_t now)
{
    apr_int64_t now_sec = apr_time_sec(now);

    return ts >= now_sec - SAP_SIGNATURE_MAX_SKEW_SEC
        && ts <= now_sec + SAP_SIGNATURE_MAX_SKEW_SEC;
}

/* HMAC-SHA256 over "v0:" + ts + ":" + body, fed piecewise so that a large
 * body is never copied. */
static apr_status_t compute_mac(const unsigned char *secret, apr_size_t secret_len,
                                const char *ts, apr_size_t ts_len,
                                const char *body, apr_size_t body_len,
                                unsigned char mac[SAP_SIG_MAC_LEN])
{
    EVP_MAC *hmac = NULL;
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    size_t mac_len = 0;
    apr_status_t rv = APR_EGENERAL;

    hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    if (!hmac) {
        goto leave;
    }
    ctx = EVP_MAC_CTX_new(hmac);
    if (!ctx) {
        goto leave;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(ctx, secret, secret_len, params)
        || !EVP_MAC_update(ctx, (const unsigned char *)"v0:", 3)
        || !EVP_MAC_update(ctx, (const unsigned char *)ts, ts_len)
        || !EVP_MAC_update(ctx, (const unsigned char *)":", 1)
        || (body_len > 0 && !EVP_MAC_update(ctx, (const unsigned char *)body, body_len))
        || !EVP_MAC_final(ctx, mac, &mac_len, SAP_SIG_MAC_LEN)
        || mac_len != SAP_SIG_MAC_LEN) {
        goto leave;
    }
    rv = APR_SUCCESS;
leave:
    if (rv != APR_SUCCESS) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_ERR, rv, "signature: HMAC-SHA256 failed in OpenSSL");
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
    return rv;
}

/* A missing secret or a NULL body with a length is a caller bug: fail closed. */
static int inputs_usable(const unsigned char *secret, apr_size_t secret_len,
                         const char *body, apr_size_t body_len)
{
    if (!secret || secret_len == 0) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_ERR, APR_EINVAL, "signature: no secret configured");
        return 0;
    }
    if (!body && body_len > 0) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_ERR, APR_EINVAL, "signature: body missing");
        return 0;
    }
    return 1;
}

sap_sig_result_t sap_signature_verify(const unsigned char *secret, apr_size_t secret_len,
                                      const char *timestamp_header,
                                      const char *signature_header,
                                      const char *body, apr_size_t body_len,
                                      apr_time_t now)
{
    unsigned char claimed[SAP_SIG_MAC_LEN];
    unsigned char expected[SAP_SIG_MAC_LEN];
    apr_int64_t ts = 0;
    sap_sig_result_t result;

    if (!timestamp_header || !signature_header) {
        return SAP_SIG_MISSING;
    }
    if (parse_timestamp(timestamp_header, &ts) != APR_SUCCESS
        || parse_signature(signature_header, claimed) != APR_SUCCESS) {
        return SAP_SIG_MALFORMED;
    }
    if (!is_fresh(ts, now)) {
        return SAP_SIG_STALE;
    }
    if (!inputs_usable(secret, secret_len, body, body_len)) {
        return SAP_SIG_MISMATCH;
    }
    result = SAP_SIG_MISMATCH;
    if (compute_mac(secret, secret_len, timestamp_header, strlen(timestamp_header),
                    body, body_len, expected) != APR_SUCCESS) {
        goto leave;
    }
    if (CRYPTO_memcmp(claimed, expected, SAP_SIG_MAC_LEN) == 0) {
        result = SAP_SIG_OK;
    }
leave:
    OPENSSL_cleanse(expected, sizeof(expected));
    return result;
}

const char *sap_signature_result_str(sap_sig_result_t r)
{
    switch (r) {
    case SAP_SIG_OK:
        return "signature valid";
    case SAP_SIG_MISSING:
        return "signature or timestamp header missing";
    case SAP_SIG_MALFORMED:
        return "signature or timestamp header malformed";
    case SAP_SIG_STALE:
        return "timestamp more than 5 minutes from now";
    case SAP_SIG_MISMATCH:
        return "signature does not match";
    }
    return "unknown signature result";
}

const char *sap_signature_sign(apr_pool_t *pool,
                               const unsigned char *secret, apr_size_t secret_len,
                               const char *timestamp,
                               const char *body, apr_size_t body_len)
{
    static const char digits[] = "0123456789abcdef";
    const apr_size_t prefix_len = sizeof(SAP_SIGNATURE_PREFIX) - 1;
    unsigned char mac[SAP_SIG_MAC_LEN];
    char *out = NULL;
    apr_size_t i;

    if (!timestamp || !inputs_usable(secret, secret_len, body, body_len)) {
        return NULL;
    }
    if (compute_mac(secret, secret_len, timestamp, strlen(timestamp),
                    body, body_len, mac) != APR_SUCCESS) {
        goto leave;
    }
    out = apr_palloc(pool, prefix_len + SAP_SIGNATURE_HEX_LEN + 1);
    memcpy(out, SAP_SIGNATURE_PREFIX, prefix_len);
    for (i = 0; i < SAP_SIG_MAC_LEN; i++) {
        out[prefix_len + 2 * i] = digits[mac[i] >> 4];
        out[prefix_len + 2 * i + 1] = digits[mac[i] & 0x0f];
    }
    out[prefix_len + SAP_SIGNATURE_HEX_LEN] = '\0';
leave:
    OPENSSL_cleanse(mac, sizeof(mac));
    return out;
}
