/* Validation and small manipulations of configured URLs.
 *
 * Messages never repeat the URL (it could hold credentials); the directive
 * code prefixes them with the directive name. */
#ifndef SAP_URL_H
#define SAP_URL_H

#include <apr_errno.h>
#include <apr_pools.h>

typedef enum {
    SAP_URL_WEB,    /* https:// (http:// only with allow_insecure) */
    SAP_URL_MAIL    /* smtp:// or smtps:// */
} sap_url_kind_t;

/* Checks a configured URL: scheme for the kind (case-insensitive), a host
 * (a DNS name, IPv4 address or bracketed IPv6 address), port 1-65535 if one
 * is given, no userinfo ("user:pass@": secrets belong in files), no
 * fragment, no spaces, control or non-ASCII characters. Returns APR_SUCCESS,
 * or APR_EINVAL with *perror such as "has no host". */
apr_status_t sap_url_check(const char *url, sap_url_kind_t kind, int allow_insecure,
                           apr_pool_t *pool, const char **perror);

/* base + "/" + path with exactly one '/' between them
 * ("https://x/api" + "/chat.postMessage" -> "https://x/api/chat.postMessage").
 * An empty or NULL path gives base unchanged; a NULL base gives NULL. */
const char *sap_url_join(apr_pool_t *pool, const char *base, const char *path);

/* scheme://host[:port] of a URL, for Origin checks: scheme and host
 * lowercased, IPv6 hosts in brackets, the scheme's default port dropped.
 * NULL when the URL has no valid scheme, host or port (e.g. Origin "null"). */
const char *sap_url_origin(apr_pool_t *pool, const char *url);

#endif
