/* Request signatures of Slack and of the approval engine.
 *
 * Both sign the same way (DESIGN section 4), only the header names differ:
 *   signature header = "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body))
 *   timestamp header = unix seconds
 * Slack:  X-Slack-Request-Timestamp / X-Slack-Signature
 * Engine: X-Approvals-Request-Timestamp / X-Approvals-Signature
 * The glue reads the headers and the body (refusing bodies above
 * SAP_MAX_BODY_BYTES with 413 before reading them) and calls
 * sap_signature_verify(). */
#ifndef SAP_SIGNATURE_H
#define SAP_SIGNATURE_H

#include <apr_pools.h>
#include <apr_time.h>

#define SAP_SIGNATURE_MAX_SKEW_SEC 300          /* 5 minutes, both directions */
#define SAP_MAX_BODY_BYTES (512 * 1024)          /* webhook bodies above this get 413 */

#define SAP_SIGNATURE_PREFIX     "v0="
#define SAP_SIGNATURE_HEX_LEN    64              /* hex digits after the prefix */
#define SAP_SIGNATURE_TS_MAX_LEN 19              /* digits; INT64_MAX has 19 */

typedef enum {
    SAP_SIG_OK = 0,
    SAP_SIG_MISSING,    /* a header is absent (NULL) */
    SAP_SIG_MALFORMED,  /* a header is present but not of the expected form */
    SAP_SIG_STALE,      /* timestamp more than SAP_SIGNATURE_MAX_SKEW_SEC from now */
    SAP_SIG_MISMATCH    /* well-formed and fresh, but the MAC does not match */
} sap_sig_result_t;

/* Checks a signed request. timestamp_header and signature_header are the raw
 * header values (NULL when absent); body/body_len the body exactly as received
 * (binary-safe; body may be NULL when body_len is 0). now is the current time.
 * An empty secret never verifies (SAP_SIG_MISMATCH). */
sap_sig_result_t sap_signature_verify(const unsigned char *secret, apr_size_t secret_len,
                                      const char *timestamp_header,
                                      const char *signature_header,
                                      const char *body, apr_size_t body_len,
                                      apr_time_t now);

/* Short English reason for logs and error bodies; never contains secrets. */
const char *sap_signature_result_str(sap_sig_result_t r);

/* "v0=" + lowercase hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + body),
 * allocated in pool. NULL when the secret is empty or OpenSSL fails (logged). */
const char *sap_signature_sign(apr_pool_t *pool,
                               const unsigned char *secret, apr_size_t secret_len,
                               const char *timestamp,
                               const char *body, apr_size_t body_len);

#endif
