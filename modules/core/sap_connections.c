#include <string.h>
#include <apr_strings.h>
#include <openssl/sha.h>

#include "sap_connections.h"
#include "sap_json_keys.h"
#include "sap_log.h"
#include "sap_settings.h"
#include "sap_slack.h"
#include "sap_token_crypto.h"

#define CACHE_AREA_LIST  "conn-list"
#define CACHE_AREA_TOKEN "conn-token"
#define CACHE_LIST_ID    "all"
#define CACHE_DEFAULT_ID "default"

const char *sap_connections_fingerprint(apr_pool_t *pool, const char *token)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)token, strlen(token), digest);
    return sap_token_hex_encode(pool, digest, sizeof(digest));
}

static const char *token_cache_key(apr_pool_t *pool, apr_int64_t id)
{
    return sap_cache_key(pool, CACHE_AREA_TOKEN,
                         id ? apr_psprintf(pool, "%" APR_INT64_T_FMT, id) : CACHE_DEFAULT_ID);
}

void sap_connections_forget(const sap_connections_t *env, apr_pool_t *pool, apr_int64_t id)
{
    sap_cache_remove(env->cache, pool, sap_cache_key(pool, CACHE_AREA_LIST, CACHE_LIST_ID));
    /* The default's entry may be this connection, or stop being the default. */
    sap_cache_remove(env->cache, pool, token_cache_key(pool, 0));
    if (id) {
        sap_cache_remove(env->cache, pool, token_cache_key(pool, id));
    }
}

/* ---- install ---- */

apr_status_t sap_connections_install(const sap_connections_t *env, apr_pool_t *pool,
                                     const sap_oauth_grant_t *grant, const char *admin_user,
                                     sap_install_result_t *result)
{
    sap_install_t install = {0};
    unsigned char *blob = NULL;
    apr_size_t blob_len = 0;
    apr_status_t rv;

    rv = sap_token_encrypt(pool, env->key, grant->team_id, grant->access_token, &blob, &blob_len);
    if (rv != APR_SUCCESS) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_ERR, rv, "cannot encrypt the bot token of team %s",
                      grant->team_id);
        return rv;
    }
    install.team_id = grant->team_id;
    install.team_name = grant->team_name ? grant->team_name : grant->team_id;
    install.enterprise_id = grant->enterprise_id;
    install.bot_user_id = grant->bot_user_id;
    install.app_id = grant->app_id;
    install.scopes = grant->scope ? grant->scope : "";
    install.token_hex = sap_token_hex_encode(pool, blob, blob_len);
    install.token_key_version = env->key->version;
    install.token_fingerprint = sap_connections_fingerprint(pool, grant->access_token);
    install.installed_by = admin_user;
    rv = env->store->ops->connection_install(env->store, &install, result);
    if (rv == APR_SUCCESS && result->outcome != SAP_INSTALL_LIMIT) {
        sap_connections_forget(env, pool, result->connection_id);
    }
    if (rv == APR_SUCCESS && result->mechanism_switched) {
        /* the store switched the notification mechanism to Slack */
        sap_cache_remove(env->cache, pool, sap_cache_key(pool, SAP_SETTINGS_CACHE_AREA,
                                                         SAP_SETTINGS_CACHE_ID));
    }
    return rv;
}

/* ---- tokens ---- */

static apr_status_t token_from_cache(const sap_connections_t *env, apr_pool_t *pool,
                                     apr_int64_t id, sap_connection_token_t *out)
{
    const char *text = NULL;
    apr_size_t len = 0;
    json_t *entry;
    apr_status_t rv = APR_NOTFOUND;

    if (sap_cache_get(env->cache, pool, token_cache_key(pool, id), &text, &len) != APR_SUCCESS) {
        return APR_NOTFOUND;
    }
    entry = json_loadb(text, len, 0, NULL);
    if (entry && json_string_value(json_object_get(entry, SAP_JK_TOKEN))
        && json_string_value(json_object_get(entry, SAP_JK_TEAM_ID))) {
        out->connection_id = json_integer_value(json_object_get(entry, SAP_JK_ID));
        out->team_id = apr_pstrdup(pool, json_string_value(json_object_get(entry, SAP_JK_TEAM_ID)));
        out->token = apr_pstrdup(pool, json_string_value(json_object_get(entry, SAP_JK_TOKEN)));
        out->fingerprint = sap_connections_fingerprint(pool, out->token);
        rv = APR_SUCCESS;
    }
    json_decref(entry);
    return rv;
}

static void token_to_cache(const sap_connections_t *env, apr_pool_t *pool, apr_int64_t id,
                           const sap_connection_token_t *token)
{
    json_t *entry = json_pack("{s:I, s:s, s:s}", SAP_JK_ID, (json_int_t)token->connection_id,
                              SAP_JK_TEAM_ID, token->team_id, SAP_JK_TOKEN, token->token);
    char *text = entry ? json_dumps(entry, JSON_COMPACT) : NULL;

    if (text) {
        sap_cache_set(env->cache, pool, token_cache_key(pool, id), text, strlen(text),
                      SAP_CACHE_TTL_CONNECTIONS);
        /* the serialised token leaves no copy behind in freed memory */
        memset(text, 0, strlen(text));
        free(text);
    }
    json_decref(entry);
}

/* Decrypts with the key the row names; a row under the previous key is
 * re-encrypted under the current one (best effort: it is read again next
 * time otherwise). */
static apr_status_t decrypt_row(const sap_connections_t *env, apr_pool_t *pool,
                                const sap_connection_t *conn, char **ptoken, const char **perror)
{
    const sap_token_key_t *key = NULL;
    unsigned char *blob = NULL, *fresh = NULL;
    apr_size_t blob_len = 0, fresh_len = 0;
    apr_status_t rv;

    if (conn->token_key_version == env->key->version) {
        key = env->key;
    }
    else if (env->previous_key && conn->token_key_version == env->previous_key->version) {
        key = env->previous_key;
    }
    if (!key) {
        *perror = apr_psprintf(pool, "the token of workspace %s was encrypted under another key "
                               "(version %d): configure that key as "
                               "SlackApprovalsTokenPreviousKeyFile, or re-authorise the workspace",
                               conn->team_id, conn->token_key_version);
        return APR_EINVAL;
    }
    if ((rv = sap_token_hex_decode(pool, conn->token_hex, &blob, &blob_len)) != APR_SUCCESS
        || (rv = sap_token_decrypt(pool, key, conn->team_id, blob, blob_len, ptoken)) != APR_SUCCESS) {
        *perror = apr_psprintf(pool, "the token of workspace %s does not decrypt with its key "
                               "(version %d): re-authorise the workspace", conn->team_id,
                               conn->token_key_version);
        return APR_EINVAL;
    }
    if (key != env->key
        && sap_token_encrypt(pool, env->key, conn->team_id, *ptoken, &fresh, &fresh_len) == APR_SUCCESS
        && env->store->ops->connection_update_token(env->store, conn->id,
               sap_token_hex_encode(pool, fresh, fresh_len), env->key->version) == APR_SUCCESS) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_INFO, 0, "token of workspace %s re-encrypted under "
                      "key version %d", conn->team_id, env->key->version);
    }
    return APR_SUCCESS;
}

static apr_status_t find_connection(const sap_connections_t *env, apr_pool_t *pool,
                                    apr_int64_t id, sap_connection_t **pconn)
{
    apr_array_header_t *all = NULL;
    apr_status_t rv;
    int i;

    if (id) {
        return env->store->ops->connection_get(env->store, pool, id, NULL, 1, pconn);
    }
    if ((rv = env->store->ops->connection_list(env->store, pool, &all)) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < all->nelts; i++) {
        const sap_connection_t *each = &APR_ARRAY_IDX(all, i, sap_connection_t);

        if (each->is_default) {
            return env->store->ops->connection_get(env->store, pool, each->id, NULL, 1, pconn);
        }
    }
    return APR_NOTFOUND;
}

apr_status_t sap_connections_token(const sap_connections_t *env, apr_pool_t *pool,
                                   apr_int64_t id, sap_connection_token_t *out,
                                   const char **perror)
{
    sap_connection_t *conn = NULL;
    char *token = NULL;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    *perror = NULL;
    if (token_from_cache(env, pool, id, out) == APR_SUCCESS) {
        return APR_SUCCESS;
    }
    if ((rv = find_connection(env, pool, id, &conn)) != APR_SUCCESS) {
        return rv;
    }
    if (strcmp(conn->status, SAP_CONN_ACTIVE)) {
        *perror = apr_psprintf(pool, "workspace %s is %s: re-authorise it", conn->team_id,
                               conn->status);
        return APR_EACCES;
    }
    if ((rv = decrypt_row(env, pool, conn, &token, perror)) != APR_SUCCESS) {
        return rv;
    }
    out->connection_id = conn->id;
    out->team_id = conn->team_id;
    out->token = token;
    out->fingerprint = sap_connections_fingerprint(pool, token);
    token_to_cache(env, pool, id, out);
    return APR_SUCCESS;
}

/* ---- the list ---- */

json_t *sap_connections_to_json(const sap_connection_t *conn)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:b, s:s, s:s?, s:s?, s:s?, "
                     "s:s?, s:s?}",
                     SAP_JK_ID, (json_int_t)conn->id, SAP_JK_TEAM_ID, conn->team_id,
                     SAP_JK_TEAM_NAME, conn->team_name, SAP_JK_DISPLAY_NAME, conn->display_name,
                     SAP_JK_ENTERPRISE_ID, conn->enterprise_id, SAP_JK_BOT_USER_ID, conn->bot_user_id,
                     SAP_JK_APP_ID, conn->app_id, SAP_JK_SCOPES, conn->scopes ? conn->scopes : "",
                     SAP_JK_IS_DEFAULT, conn->is_default, SAP_JK_STATUS, conn->status,
                     SAP_JK_STATUS_REASON, conn->status_reason,
                     SAP_JK_STATUS_CHANGED_AT, conn->status_changed_at,
                     SAP_JK_INSTALLED_BY, conn->installed_by, SAP_JK_CREATED_AT, conn->created_at,
                     SAP_JK_UPDATED_AT, conn->updated_at);
}

apr_status_t sap_connections_list_json(const sap_connections_t *env, apr_pool_t *pool,
                                       json_t **plist)
{
    const char *key = sap_cache_key(pool, CACHE_AREA_LIST, CACHE_LIST_ID);
    const char *text = NULL;
    apr_size_t len = 0;
    apr_array_header_t *all = NULL;
    char *dumped;
    apr_status_t rv;
    int i;

    *plist = NULL;
    if (sap_cache_get(env->cache, pool, key, &text, &len) == APR_SUCCESS
        && (*plist = json_loadb(text, len, 0, NULL)) && json_is_array(*plist)) {
        return APR_SUCCESS;
    }
    json_decref(*plist);
    if ((rv = env->store->ops->connection_list(env->store, pool, &all)) != APR_SUCCESS) {
        *plist = NULL;
        return rv;
    }
    *plist = json_array();
    for (i = 0; i < all->nelts; i++) {
        json_array_append_new(*plist, sap_connections_to_json(&APR_ARRAY_IDX(all, i, sap_connection_t)));
    }
    if ((dumped = json_dumps(*plist, JSON_COMPACT))) {
        sap_cache_set(env->cache, pool, key, dumped, strlen(dumped), SAP_CACHE_TTL_CONNECTIONS);
        free(dumped);
    }
    return APR_SUCCESS;
}

/* ---- revocation ---- */

static const char *revocation_message(apr_pool_t *pool, const char *team_id, const char *why)
{
    return apr_psprintf(pool, "Slack no longer accepts the bot token of workspace %s (%s): "
                        "notifications to it fall back to email until an admin re-authorises "
                        "this workspace.", team_id, why);
}

apr_status_t sap_connections_report_error(const sap_connections_t *env, apr_pool_t *pool,
                                          const sap_connection_token_t *used,
                                          const char *slack_error, int *pinvalidated)
{
    sap_mark_result_t marked;
    apr_status_t rv;

    *pinvalidated = 0;
    if (!slack_error || !sap_slack_error_is_revocation(slack_error)) {
        return APR_SUCCESS;
    }
    rv = env->store->ops->connection_mark(env->store, used->team_id, SAP_CONN_REVOKED, slack_error,
                                          SAP_ERROR_KIND_TOKEN_REVOKED,
                                          revocation_message(pool, used->team_id, slack_error),
                                          used->fingerprint, 0, &marked);
    sap_connections_forget(env, pool, used->connection_id);
    if (rv == APR_SUCCESS && marked.changed) {
        *pinvalidated = 1;
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, 0, "workspace %s: Slack answered %s, "
                      "connection marked revoked (re-authorise it)", used->team_id, slack_error);
    }
    return rv;
}

apr_status_t sap_connections_event(const sap_connections_t *env, apr_pool_t *pool,
                                   const char *team_id, const char *status,
                                   apr_int64_t event_time, sap_mark_result_t *result)
{
    int uninstalled = !strcmp(status, SAP_CONN_UNINSTALLED);
    const char *kind = uninstalled ? SAP_ERROR_KIND_APP_UNINSTALLED : SAP_ERROR_KIND_TOKEN_REVOKED;
    const char *message = uninstalled
        ? apr_psprintf(pool, "The Slack app was uninstalled from workspace %s: notifications to it "
                       "fall back to email until an admin re-authorises this workspace.", team_id)
        : revocation_message(pool, team_id, "tokens_revoked event");
    /* the reason is the event's name, as the admin may look it up */
    const char *reason = uninstalled ? "app_uninstalled" : "tokens_revoked";
    apr_status_t rv = env->store->ops->connection_mark(env->store, team_id, status, reason, kind,
                                                       message, NULL, event_time, result);

    if (rv == APR_SUCCESS) {
        sap_connections_forget(env, pool, result->connection_id);
    }
    return rv;
}
