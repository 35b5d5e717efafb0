/* Slack workspace connections: install, tokens, revocation, caches.
 *
 * The one place that decrypts bot tokens. Everything that changes a
 * connection goes through here so the caches (the connection list and each
 * connection's decrypted token, 5 minutes in the shared socache) are
 * invalidated by every write, on every path. */
#ifndef SAP_CONNECTIONS_H
#define SAP_CONNECTIONS_H

#include <apr_pools.h>
#include <jansson.h>

#include "sap_cache.h"
#include "sap_oauth.h"
#include "sap_store.h"
#include "sap_token_crypto.h"

/* Instance error kinds (sap_instance_errors.kind). */
#define SAP_ERROR_KIND_TOKEN_REVOKED   "token_revoked"
#define SAP_ERROR_KIND_APP_UNINSTALLED "app_uninstalled"

typedef struct sap_connections_t {
    sap_store_t *store;
    sap_cache_t *cache;                  /* NULL: nothing cached */
    const sap_token_key_t *key;          /* current key: encrypts */
    const sap_token_key_t *previous_key; /* NULL, or the key before (rotation) */
} sap_connections_t;

/* A usable token of an active connection. */
typedef struct sap_connection_token_t {
    apr_int64_t connection_id;
    const char *team_id;
    const char *token;         /* plaintext: never log it */
    const char *fingerprint;   /* sap_connections_fingerprint(token) */
} sap_connection_token_t;

/* Lowercase hex SHA-256 of a token: safe to store and compare, says which
 * installation a revocation is about. */
const char *sap_connections_fingerprint(apr_pool_t *pool, const char *token);

/* Stores the workspace of an OAuth grant (token encrypted under env->key)
 * for admin_user, under the store's lock and limit; then invalidates the
 * caches. result->outcome says created / updated / restored / refused. */
apr_status_t sap_connections_install(const sap_connections_t *env, apr_pool_t *pool,
                                     const sap_oauth_grant_t *grant, const char *admin_user,
                                     sap_install_result_t *result);

/* The token of connection `id` (0: the default connection), from the cache
 * or decrypted from the store (a token under the previous key is
 * re-encrypted under the current one on the way). Returns
 *  APR_SUCCESS   *out filled;
 *  APR_NOTFOUND  no such connection (no default);
 *  APR_EACCES    the connection is revoked or uninstalled: re-authorise;
 *  APR_EINVAL    the token cannot be decrypted (key changed without
 *                SlackApprovalsTokenPreviousKeyFile, or tampering): *perror;
 *  other         the store failed. */
apr_status_t sap_connections_token(const sap_connections_t *env, apr_pool_t *pool,
                                   apr_int64_t id, sap_connection_token_t *out,
                                   const char **perror);

/* The connections as a JSON array (never a token, not even encrypted),
 * cached. *plist is a new reference. */
apr_status_t sap_connections_list_json(const sap_connections_t *env, apr_pool_t *pool,
                                       json_t **plist);

/* One connection as the admin API shows it (new reference). */
json_t *sap_connections_to_json(const sap_connection_t *conn);

/* Drops the cached list and connection id's token (id 0: the list only). */
void sap_connections_forget(const sap_connections_t *env, apr_pool_t *pool, apr_int64_t id);

/* A Web API call with `used` answered `slack_error`. When that error means
 * the token no longer works (sap_slack_error_is_revocation), the connection
 * is marked revoked, an instance error is recorded and the caches are
 * dropped; *pinvalidated says whether this call did that. Other errors do
 * nothing. */
apr_status_t sap_connections_report_error(const sap_connections_t *env, apr_pool_t *pool,
                                          const sap_connection_token_t *used,
                                          const char *slack_error, int *pinvalidated);

/* Slack's app_uninstalled / tokens_revoked for team_id, sent at event_time
 * (unix seconds): marks the connection (SAP_CONN_UNINSTALLED or
 * SAP_CONN_REVOKED), records the instance error, drops the caches. */
apr_status_t sap_connections_event(const sap_connections_t *env, apr_pool_t *pool,
                                   const char *team_id, const char *status,
                                   apr_int64_t event_time, sap_mark_result_t *result);

#endif
