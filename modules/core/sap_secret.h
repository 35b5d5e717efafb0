/* Secrets read from files (DESIGN section 3: never inline in httpd.conf).
 *
 * The bytes live in the pool given and are wiped (OPENSSL_cleanse) when that
 * pool is cleared or destroyed. Error messages name the file and say what is
 * wrong with it; they never contain the secret. */
#ifndef SAP_SECRET_H
#define SAP_SECRET_H

#include <apr_errno.h>
#include <apr_pools.h>

#define SAP_SECRET_MAX_BYTES (64 * 1024)   /* larger files are refused */
#define SAP_SECRET_KEY32_LEN 32            /* AES-256 key */

typedef struct sap_secret_t {
    unsigned char *data;   /* len bytes, followed by a '\0' that is not part of the secret */
    apr_size_t len;
} sap_secret_t;

/* Reads a secret file and strips ONE trailing "\n" or "\r\n" (a trailing
 * newline is not part of the secret). Fails with *perror set when the file
 * cannot be read ("cannot read /path: Permission denied"), is empty (after
 * the strip: "/path is empty") or is larger than SAP_SECRET_MAX_BYTES. */
apr_status_t sap_secret_read(sap_secret_t **psecret, apr_pool_t *pool,
                             const char *path, const char **perror);

/* Reads the AES-256 token key: the file holds exactly 32 raw bytes, or 64 hex
 * characters of either case (as `openssl rand -hex 32 > file` writes them),
 * optionally followed by one "\n" or "\r\n". *pkey gets the 32 key bytes.
 * Anything else is APR_EINVAL with a message saying what was found, e.g.
 * "/path holds 31 bytes; expected 32 raw bytes or 64 hex characters". */
apr_status_t sap_secret_read_key32(sap_secret_t **pkey, apr_pool_t *pool,
                                   const char *path, const char **perror);

#endif
