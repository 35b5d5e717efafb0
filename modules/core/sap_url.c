#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "sap_url.h"

/* Named in the message that refuses http://; keep in step with the directive table. */
#define SAP_URL_INSECURE_DIRECTIVE "SlackApprovalsAllowInsecureHTTP"

#define MSG_NOT_URL     "is not a URL (expected scheme://host/...)"
#define MSG_NO_HOST     "has no host"
#define MSG_BAD_HOST    "has an invalid host (expected a DNS name, an IPv4 address or [IPv6])"
#define MSG_BAD_PORT    "has an invalid port (expected 1-65535)"
#define MSG_CREDENTIALS "must not contain credentials (user:password@); secrets belong in files"

/* The authority of scheme://authority/..., split without copying.
 * apr_uri_parse is not used: it lets "user@" through as data, wraps ports
 * such as 99999 or -1 into 16 bits and accepts an empty port. */
typedef struct {
    const char *scheme;
    apr_size_t scheme_len;
    const char *host;       /* without the brackets of an IPv6 literal */
    apr_size_t host_len;
    int bracketed;
    int has_port;           /* a ':' followed the host */
    int port;               /* valid when has_port */
} url_parts_t;

static const char *check_characters(const char *url)
{
    const unsigned char *p;

    if (!url || !*url) {
        return "is empty";
    }
    for (p = (const unsigned char *)url; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f) {
            return "must not contain spaces or control characters";
        }
        if (*p >= 0x80) {
            return "must not contain non-ASCII characters (percent-encode them; "
                   "use punycode for host names)";
        }
        if (*p == '#') {
            return "must not contain a fragment ('#...')";
        }
    }
    return NULL;
}

/* url begins with scheme "://", the scheme compared case-insensitively */
static int has_scheme(const char *url, const char *scheme)
{
    apr_size_t len = strlen(scheme);

    return strncasecmp(url, scheme, len) == 0 && strncmp(url + len, "://", 3) == 0;
}

static const char *check_scheme(const char *url, sap_url_kind_t kind, int allow_insecure)
{
    if (kind == SAP_URL_MAIL) {
        if (has_scheme(url, "smtp") || has_scheme(url, "smtps")) {
            return NULL;
        }
        return "must start with smtp:// or smtps://";
    }
    if (has_scheme(url, "https")) {
        return NULL;
    }
    if (allow_insecure) {
        return has_scheme(url, "http") ? NULL : "must start with http:// or https://";
    }
    if (has_scheme(url, "http")) {
        return "must start with https:// (set " SAP_URL_INSECURE_DIRECTIVE
               " On for loopback tests)";
    }
    return "must start with https://";
}

static int scheme_valid(const char *scheme, apr_size_t len)
{
    apr_size_t i;

    if (len == 0 || !apr_isalpha(scheme[0])) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if (!apr_isalnum(scheme[i]) && !strchr("+-.", scheme[i])) {
            return 0;
        }
    }
    return 1;
}

static int host_valid(const url_parts_t *parts)
{
    const char *allowed = parts->bracketed ? ":." : "-._";
    apr_size_t i;

    for (i = 0; i < parts->host_len; i++) {
        char c = parts->host[i];
        int ok = parts->bracketed ? apr_isxdigit(c) : apr_isalnum(c);

        if (!ok && !strchr(allowed, c)) {
            return 0;
        }
    }
    return !parts->bracketed || memchr(parts->host, ':', parts->host_len) != NULL;
}

/* 1 to 5 digits, 1-65535 */
static int port_parse(const char *digits, apr_size_t len, int *pport)
{
    int value = 0;
    apr_size_t i;

    if (len == 0 || len > 5) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!apr_isdigit(digits[i])) {
            return 0;
        }
        value = value * 10 + (digits[i] - '0');
    }
    *pport = value;
    return value >= 1 && value <= 65535;
}

/* Finds host and port in host, host:port, [v6] or [v6]:port. */
static const char *split_authority(const char *auth, const char *end, url_parts_t *parts)
{
    const char *after_host;

    if (*auth == '[') {
        const char *close = memchr(auth, ']', end - auth);

        if (!close) {
            return MSG_BAD_HOST;
        }
        parts->host = auth + 1;
        parts->host_len = close - parts->host;
        parts->bracketed = 1;
        after_host = close + 1;
        if (after_host < end && *after_host != ':') {
            return MSG_BAD_HOST;
        }
    }
    else {
        after_host = memchr(auth, ':', end - auth);
        if (!after_host) {
            after_host = end;
        }
        parts->host = auth;
        parts->host_len = after_host - auth;
    }
    if (parts->host_len == 0) {
        return MSG_NO_HOST;
    }
    if (!host_valid(parts)) {
        return MSG_BAD_HOST;
    }
    if (after_host < end) {
        parts->has_port = 1;
        if (!port_parse(after_host + 1, end - after_host - 1, &parts->port)) {
            return MSG_BAD_PORT;
        }
    }
    return NULL;
}

/* Splits scheme://authority; returns NULL or what is wrong. */
static const char *split_url(const char *url, url_parts_t *parts)
{
    const char *sep = strstr(url, "://");
    const char *auth, *end;

    memset(parts, 0, sizeof(*parts));
    if (!sep || !scheme_valid(url, sep - url)) {
        return MSG_NOT_URL;
    }
    parts->scheme = url;
    parts->scheme_len = sep - url;
    auth = sep + 3;
    end = auth + strcspn(auth, "/?#");
    if (memchr(auth, '@', end - auth)) {
        return MSG_CREDENTIALS;
    }
    return split_authority(auth, end, parts);
}

apr_status_t sap_url_check(const char *url, sap_url_kind_t kind, int allow_insecure,
                           apr_pool_t *pool, const char **perror)
{
    url_parts_t parts;
    const char *why;

    why = check_characters(url);
    if (!why) {
        why = check_scheme(url, kind, allow_insecure);
    }
    if (!why) {
        why = split_url(url, &parts);
    }
    *perror = why;
    return why ? APR_EINVAL : APR_SUCCESS;
}

const char *sap_url_join(apr_pool_t *pool, const char *base, const char *path)
{
    apr_size_t base_len;
    int base_slash, path_slash;

    if (!base) {
        return NULL;
    }
    if (!path || !*path) {
        return apr_pstrdup(pool, base);
    }
    base_len = strlen(base);
    base_slash = base_len > 0 && base[base_len - 1] == '/';
    path_slash = path[0] == '/';
    if (base_slash && path_slash) {
        return apr_pstrcat(pool, apr_pstrmemdup(pool, base, base_len - 1), path, NULL);
    }
    if (!base_slash && !path_slash) {
        return apr_pstrcat(pool, base, "/", path, NULL);
    }
    return apr_pstrcat(pool, base, path, NULL);
}

static char *lower_dup(apr_pool_t *pool, const char *s, apr_size_t len)
{
    char *copy = apr_pstrmemdup(pool, s, len);
    apr_size_t i;

    for (i = 0; i < len; i++) {
        copy[i] = apr_tolower(copy[i]);
    }
    return copy;
}

const char *sap_url_origin(apr_pool_t *pool, const char *url)
{
    url_parts_t parts;
    const char *scheme, *host, *port = "";

    if (check_characters(url) || split_url(url, &parts)) {
        return NULL;
    }
    scheme = lower_dup(pool, parts.scheme, parts.scheme_len);
    host = lower_dup(pool, parts.host, parts.host_len);
    if (parts.bracketed) {
        host = apr_pstrcat(pool, "[", host, "]", NULL);
    }
    if (parts.has_port && parts.port != apr_uri_port_of_scheme(scheme)) {
        port = apr_psprintf(pool, ":%d", parts.port);
    }
    return apr_pstrcat(pool, scheme, "://", host, port, NULL);
}
