/* Bot tokens at rest: AES-256-GCM under SlackApprovalsTokenKeyFile.
 *
 * A stored token is nonce (12 random bytes, new for every encryption) ||
 * ciphertext || tag (16 bytes). The additional authenticated data is the
 * Slack team id, so a ciphertext copied onto another workspace's row does
 * not decrypt. Each key has a version, stored next to the ciphertext, so a
 * new key can be introduced while tokens under the previous one are still
 * read (and re-encrypted under the new one). */
#ifndef SAP_TOKEN_CRYPTO_H
#define SAP_TOKEN_CRYPTO_H

#include <apr_errno.h>
#include <apr_pools.h>

#define SAP_TOKEN_KEY_LEN   32
#define SAP_TOKEN_NONCE_LEN 12
#define SAP_TOKEN_TAG_LEN   16
#define SAP_TOKEN_MAX_LEN   4096   /* longer plaintexts are refused */

typedef struct sap_token_key_t {
    int version;                   /* 1..2^31-1, derived from the key bytes */
    unsigned char bytes[SAP_TOKEN_KEY_LEN];
} sap_token_key_t;

/* Fills key from 32 key bytes. version = the first 31 bits of
 * SHA-256("mod_slack_approvals token key" || key), 1 if that is 0: the same
 * key always has the same version, and a different key (almost surely) a
 * different one, with nothing to configure. "The first 31 bits": the
 * digest's first four bytes read big-endian, shifted right by one. */
void sap_token_key_init(sap_token_key_t *key, const unsigned char *bytes);

/* Encrypts plaintext (NUL-terminated) for team_id. *pblob (from pool) gets
 * nonce || ciphertext || tag, *pblob_len its length. APR_EINVAL for an
 * empty or too long plaintext or an empty team_id; APR_EGENERAL when
 * OpenSSL fails (no randomness). */
apr_status_t sap_token_encrypt(apr_pool_t *pool, const sap_token_key_t *key, const char *team_id,
                               const char *plaintext, unsigned char **pblob,
                               apr_size_t *pblob_len);

/* Decrypts a blob of sap_token_encrypt. *pplaintext is NUL-terminated and
 * wiped (OPENSSL_cleanse) when pool is cleared. APR_EINVAL when the blob is
 * too short, or the tag does not verify (wrong key, wrong team, tampered). */
apr_status_t sap_token_decrypt(apr_pool_t *pool, const sap_token_key_t *key, const char *team_id,
                               const unsigned char *blob, apr_size_t blob_len,
                               char **pplaintext);

/* Hex (lowercase) of bytes, from pool: how blobs travel to and from
 * PostgreSQL (bytea as '\x…' text). */
const char *sap_token_hex_encode(apr_pool_t *pool, const unsigned char *bytes, apr_size_t len);
/* The inverse; accepts an optional "\x" prefix. APR_EINVAL on odd length or
 * a non-hex character. */
apr_status_t sap_token_hex_decode(apr_pool_t *pool, const char *hex, unsigned char **pbytes,
                                  apr_size_t *plen);

#endif
