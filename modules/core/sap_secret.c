#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/crypto.h>

#include "sap_hex.h"
#include "sap_secret.h"

#define KEY32_HEX_LEN  (2 * SAP_SECRET_KEY32_LEN)
#define KEY32_EXPECTED "expected 32 raw bytes or 64 hex characters"

/* Files are read into a scratch buffer one byte larger than the limit, so
 * that a full buffer means "too large" without trusting a stat() size. */
#define SCRATCH_CAP (SAP_SECRET_MAX_BYTES + 1)

static apr_status_t secret_wipe(void *data)
{
    sap_secret_t *secret = data;

    OPENSSL_cleanse(secret->data, secret->len + 1);
    return APR_SUCCESS;
}

/* Copies bytes into pool memory that is wiped when the pool goes. */
static sap_secret_t *secret_make(apr_pool_t *pool, const unsigned char *bytes, apr_size_t len)
{
    sap_secret_t *secret = apr_palloc(pool, sizeof(*secret));

    secret->data = apr_palloc(pool, len + 1);
    memcpy(secret->data, bytes, len);
    secret->data[len] = '\0';
    secret->len = len;
    apr_pool_cleanup_register(pool, secret, secret_wipe, apr_pool_cleanup_null);
    return secret;
}

static apr_status_t scratch_open(apr_pool_t **pscratch, unsigned char **pbuf,
                                 apr_pool_t *pool, const char *path, const char **perror)
{
    apr_status_t rv;

    if (!path || !*path) {
        *perror = "no secret file given";
        return APR_EINVAL;
    }
    rv = apr_pool_create(pscratch, pool);
    if (rv != APR_SUCCESS) {
        *perror = apr_psprintf(pool, "cannot read %s: out of memory", path);
        return rv;
    }
    *pbuf = apr_palloc(*pscratch, SCRATCH_CAP);
    return APR_SUCCESS;
}

static void scratch_close(apr_pool_t *scratch, unsigned char *buf)
{
    if (scratch) {
        OPENSSL_cleanse(buf, SCRATCH_CAP);
        apr_pool_destroy(scratch);
    }
}

static const char *io_error(apr_pool_t *pool, const char *path, apr_status_t rv)
{
    char reason[120];

    return apr_psprintf(pool, "cannot read %s: %s", path,
                        apr_strerror(rv, reason, sizeof(reason)));
}

/* Reads the whole file (at most SAP_SECRET_MAX_BYTES) into buf. */
static apr_status_t read_file(apr_pool_t *scratch, apr_pool_t *pool, const char *path,
                              unsigned char *buf, apr_size_t *plen, const char **perror)
{
    apr_file_t *file = NULL;
    apr_size_t total = 0;
    apr_status_t rv;

    rv = apr_file_open(&file, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT, scratch);
    if (rv != APR_SUCCESS) {
        *perror = io_error(pool, path, rv);
        return rv;
    }
    while (total < SCRATCH_CAP) {
        apr_size_t n = SCRATCH_CAP - total;

        rv = apr_file_read(file, buf + total, &n);
        total += n;
        if (rv == APR_EOF) {
            rv = APR_SUCCESS;
            break;
        }
        if (rv != APR_SUCCESS) {
            *perror = io_error(pool, path, rv);
            goto leave;
        }
    }
    if (total > SAP_SECRET_MAX_BYTES) {
        *perror = apr_psprintf(pool, "%s is larger than %d KiB", path, SAP_SECRET_MAX_BYTES / 1024);
        rv = APR_EINVAL;
        goto leave;
    }
    *plen = total;
leave:
    apr_file_close(file);
    return rv;
}

/* Length without ONE trailing "\n" or "\r\n". */
static apr_size_t without_newline(const unsigned char *buf, apr_size_t len)
{
    if (len >= 1 && buf[len - 1] == '\n') {
        len--;
        if (len >= 1 && buf[len - 1] == '\r') {
            len--;
        }
    }
    return len;
}

apr_status_t sap_secret_read(sap_secret_t **psecret, apr_pool_t *pool,
                             const char *path, const char **perror)
{
    apr_pool_t *scratch = NULL;
    unsigned char *buf = NULL;
    apr_size_t len = 0;
    apr_status_t rv;

    *psecret = NULL;
    *perror = NULL;
    rv = scratch_open(&scratch, &buf, pool, path, perror);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = read_file(scratch, pool, path, buf, &len, perror);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    len = without_newline(buf, len);
    if (len == 0) {
        *perror = apr_psprintf(pool, "%s is empty", path);
        rv = APR_EINVAL;
        goto leave;
    }
    *psecret = secret_make(pool, buf, len);
leave:
    scratch_close(scratch, buf);
    return rv;
}

static int all_hex(const unsigned char *buf, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (sap_hex_value(buf[i]) < 0) {
            return 0;
        }
    }
    return len > 0;
}

/* Says what the file holds instead of a key; never shows its bytes. */
static const char *key32_complaint(apr_pool_t *pool, const char *path,
                                   const unsigned char *buf, apr_size_t len, apr_size_t stripped)
{
    if (stripped == 0) {
        return apr_psprintf(pool, "%s is empty", path);
    }
    if (all_hex(buf, stripped)) {
        return apr_psprintf(pool, "%s holds %" APR_SIZE_T_FMT " hex characters; " KEY32_EXPECTED,
                            path, stripped);
    }
    if (stripped == KEY32_HEX_LEN) {
        return apr_psprintf(pool, "%s holds 64 characters that are not all hex digits; "
                            KEY32_EXPECTED, path);
    }
    return apr_psprintf(pool, "%s holds %" APR_SIZE_T_FMT " bytes; " KEY32_EXPECTED, path, len);
}

/* Decides between the two accepted forms:
 * - exactly 32 bytes: a raw key, taken as is. Nothing is stripped, since a
 *   random key ends in 0x0a one time in 256. The only exception is a file of
 *   32 hex digits: that is a hex-encoded 16-byte key (`openssl rand -hex 16`)
 *   written without a newline, and a random 32-byte key consists only of hex
 *   digits with a probability of about 1e-34, so it is refused.
 * - 64 hex digits, optionally followed by ONE "\n" or "\r\n".
 * A trailing newline is never stripped from a raw key: a 33-byte file ending
 * in "\n" is refused rather than guessed at, because it may as well be a
 * 33-byte mistake as a 32-byte key with a newline appended, and using a key
 * the operator did not mean would silently make every stored token
 * undecryptable. */
static apr_status_t key32_decode(const unsigned char *buf, apr_size_t len,
                                 unsigned char key[SAP_SECRET_KEY32_LEN],
                                 apr_pool_t *pool, const char *path, const char **perror)
{
    apr_size_t stripped = without_newline(buf, len);

    if (len == SAP_SECRET_KEY32_LEN && !all_hex(buf, len)) {
        memcpy(key, buf, SAP_SECRET_KEY32_LEN);
        return APR_SUCCESS;
    }
    if (stripped == KEY32_HEX_LEN && all_hex(buf, stripped)) {
        return sap_hex_decode((const char *)buf, key, SAP_SECRET_KEY32_LEN);
    }
    *perror = key32_complaint(pool, path, buf, len, stripped);
    return APR_EINVAL;
}

apr_status_t sap_secret_read_key32(sap_secret_t **pkey, apr_pool_t *pool,
                                   const char *path, const char **perror)
{
    unsigned char key[SAP_SECRET_KEY32_LEN];
    apr_pool_t *scratch = NULL;
    unsigned char *buf = NULL;
    apr_size_t len = 0;
    apr_status_t rv;

    *pkey = NULL;
    *perror = NULL;
    rv = scratch_open(&scratch, &buf, pool, path, perror);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = read_file(scratch, pool, path, buf, &len, perror);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = key32_decode(buf, len, key, pool, path, perror);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    *pkey = secret_make(pool, key, SAP_SECRET_KEY32_LEN);
leave:
    OPENSSL_cleanse(key, sizeof(key));
    scratch_close(scratch, buf);
    return rv;
}
