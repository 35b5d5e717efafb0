/* The store's SQL for workspace connections, OAuth states and instance
 * errors. Every connection write runs in a transaction under one advisory
 * lock (DESIGN section 5): the 10-workspace limit and "exactly one default"
 * hold when admins, Slack events and workers write at the same time, on one
 * node or many. */
#include <apr_strings.h>
#include <httpd.h>

#include "mod_sap_store_dbd_int.h"

#define SQL_STATE_CREATE       "sap_oauth_state_create"
#define SQL_STATE_CONSUME      "sap_oauth_state_consume"
#define SQL_STATE_WHY          "sap_oauth_state_why"
#define SQL_CONN_LOCK          "sap_conn_lock"
#define SQL_CONN_COUNTS        "sap_conn_counts"
#define SQL_CONN_UPSERT        "sap_conn_upsert"
#define SQL_CONN_TAKE_DEFAULT  "sap_conn_take_default"
#define SQL_CONN_RESOLVE       "sap_conn_resolve_errors"
#define SQL_SETTINGS_TO_SLACK  "sap_settings_to_slack"
#define SQL_CONN_LIST          "sap_conn_list"
#define SQL_CONN_GET_ID        "sap_conn_get_id"
#define SQL_CONN_GET_TEAM      "sap_conn_get_team"
#define SQL_CONN_RENAME        "sap_conn_rename"
#define SQL_CONN_STATUS        "sap_conn_status"
#define SQL_CONN_DROP_DEFAULT  "sap_conn_drop_default"
#define SQL_CONN_SET_DEFAULT   "sap_conn_set_default"
#define SQL_CONN_DELETE        "sap_conn_delete"
#define SQL_CONN_NEXT_DEFAULT  "sap_conn_next_default"
#define SQL_CONN_MARK          "sap_conn_mark"
#define SQL_CONN_ID_OF_TEAM    "sap_conn_id_of_team"
#define SQL_ERROR_RECORD       "sap_error_record"
#define SQL_CONN_UPDATE_TOKEN  "sap_conn_update_token"
#define SQL_ERRORS_OPEN        "sap_errors_open"
#define SQL_ERRORS_ALL         "sap_errors_all"

/* The connections lock key (pg_advisory_xact_lock: released at commit). */
#define SAP_LOCK_CONNECTIONS "7364501220819"

/* The columns of sap_connection_t, in its order; the token two last. */
#define CONN_COLUMNS \
    "id, team_id, team_name, display_name, enterprise_id, bot_user_id, app_id, scopes, " \
    "is_default::int, status, status_reason, " SQL_ISO("status_changed_at") ", installed_by, " \
    SQL_ISO("created_at") ", " SQL_ISO("updated_at") ", encode(token_ciphertext, 'hex'), " \
    "token_key_version"
#define CONN_NCOLS 17

#define ERROR_COLUMNS \
    "id, coalesce(connection_id, 0), team_id, team_name, kind, message, " \
    SQL_ISO("created_at") ", " SQL_ISO("resolved_at")
#define ERROR_NCOLS 8
#define ERRORS_SHOWN "100"

const mod_sap_statement_t mod_sap_conn_statements[] = {
    {SQL_STATE_CREATE, "INSERT INTO sap_oauth_states (state_hash, admin_user, expires_at) "
        "VALUES (%s, %s, now() + make_interval(secs => %s::int))"},
    /* Checked and used up in one statement: two callbacks with one state
     * cannot both pass. */
    {SQL_STATE_CONSUME, "UPDATE sap_oauth_states SET used_at = now() WHERE state_hash = %s "
        "AND used_at IS NULL AND expires_at > now() RETURNING admin_user"},
    {SQL_STATE_WHY, "SELECT (used_at IS NOT NULL)::int, (expires_at <= now())::int "
        "FROM sap_oauth_states WHERE state_hash = %s"},
    {SQL_CONN_LOCK, "SELECT pg_advisory_xact_lock(" SAP_LOCK_CONNECTIONS ")"},
    {SQL_CONN_COUNTS, "SELECT (SELECT count(*) FROM sap_connections), "
        "(SELECT status FROM sap_connections WHERE team_id = %s)"},
    /* A workspace installed again keeps its id, display name and default
     * flag; everything Slack says about it is refreshed. */
    {SQL_CONN_UPSERT, "INSERT INTO sap_connections (team_id, team_name, display_name, enterprise_id, "
        "bot_user_id, app_id, scopes, token_ciphertext, token_key_version, token_fingerprint, "
        "installed_by, status, status_changed_at, installed_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, decode(%s, 'hex'), %s::int, %s, %s, 'active', now(), now()) "
        "ON CONFLICT (team_id) DO UPDATE SET team_name = EXCLUDED.team_name, "
        "enterprise_id = EXCLUDED.enterprise_id, bot_user_id = EXCLUDED.bot_user_id, "
        "app_id = EXCLUDED.app_id, scopes = EXCLUDED.scopes, "
        "token_ciphertext = EXCLUDED.token_ciphertext, token_key_version = EXCLUDED.token_key_version, "
        "token_fingerprint = EXCLUDED.token_fingerprint, installed_by = EXCLUDED.installed_by, "
        "status_changed_at = CASE WHEN sap_connections.status <> 'active' THEN now() "
        "  ELSE sap_connections.status_changed_at END, "
        "status = 'active', status_reason = NULL, installed_at = now(), updated_at = now() "
        "RETURNING id, is_default::int"},
    {SQL_CONN_TAKE_DEFAULT, "UPDATE sap_connections SET is_default = true, updated_at = now() "
        "WHERE id = %s::bigint AND NOT EXISTS (SELECT 1 FROM sap_connections WHERE is_default)"},
    {SQL_CONN_RESOLVE, "UPDATE sap_instance_errors SET resolved_at = now() "
        "WHERE connection_id = %s::bigint AND resolved_at IS NULL"},
    {SQL_SETTINGS_TO_SLACK, "UPDATE sap_settings SET mechanism = 'slack', updated_by = %s, "
        "updated_at = now()"},
    {SQL_CONN_LIST, "SELECT " CONN_COLUMNS " FROM sap_connections ORDER BY created_at, id"},
    {SQL_CONN_GET_ID, "SELECT " CONN_COLUMNS " FROM sap_connections WHERE id = %s::bigint"},
    {SQL_CONN_GET_TEAM, "SELECT " CONN_COLUMNS " FROM sap_connections WHERE team_id = %s"},
    {SQL_CONN_RENAME, "UPDATE sap_connections SET display_name = %s, updated_at = now() "
        "WHERE id = %s::bigint"},
    {SQL_CONN_STATUS, "SELECT status, is_default::int FROM sap_connections WHERE id = %s::bigint"},
    /* The unique index allows one default: the old one goes first. */
    {SQL_CONN_DROP_DEFAULT, "UPDATE sap_connections SET is_default = false, updated_at = now() "
        "WHERE is_default AND id <> %s::bigint"},
    {SQL_CONN_SET_DEFAULT, "UPDATE sap_connections SET is_default = true, updated_at = now() "
        "WHERE id = %s::bigint AND NOT is_default"},
    /* Definition overrides naming it are cleared by their foreign key
     * (ON DELETE SET NULL): they fall back to the default. */
    {SQL_CONN_DELETE, "DELETE FROM sap_connections WHERE id = %s::bigint"},
    {SQL_CONN_NEXT_DEFAULT, "UPDATE sap_connections SET is_default = true, updated_at = now() "
        "WHERE id = (SELECT id FROM sap_connections WHERE status = 'active' "
        "ORDER BY created_at, id LIMIT 1) RETURNING id"},
    {SQL_CONN_MARK, "UPDATE sap_connections SET status = %s, status_reason = %s, "
        "status_changed_at = now(), updated_at = now() "
        "WHERE team_id = %s AND (status = 'active' OR (status = 'revoked' AND %s = 'uninstalled')) "
        "AND (%s::text IS NULL OR token_fingerprint IS NULL OR token_fingerprint = %s) "
        "AND (%s::bigint = 0 OR installed_at <= to_timestamp(%s::bigint) + interval '1 second') "
        "RETURNING id"},
    {SQL_CONN_ID_OF_TEAM, "SELECT id FROM sap_connections WHERE team_id = %s"},
    {SQL_ERROR_RECORD, "INSERT INTO sap_instance_errors (connection_id, kind, message, team_id, team_name) "
        "SELECT id, %s, %s, team_id, display_name FROM sap_connections WHERE id = %s::bigint "
        "ON CONFLICT (connection_id, kind) WHERE resolved_at IS NULL DO NOTHING"},
    {SQL_CONN_UPDATE_TOKEN, "UPDATE sap_connections SET token_ciphertext = decode(%s, 'hex'), "
        "token_key_version = %s::int WHERE id = %s::bigint"},
    {SQL_ERRORS_OPEN, "SELECT " ERROR_COLUMNS " FROM sap_instance_errors WHERE resolved_at IS NULL "
        "ORDER BY created_at DESC, id DESC LIMIT " ERRORS_SHOWN},
    {SQL_ERRORS_ALL, "SELECT " ERROR_COLUMNS " FROM sap_instance_errors "
        "ORDER BY created_at DESC, id DESC LIMIT " ERRORS_SHOWN},
};

const apr_size_t mod_sap_conn_statement_count =
    sizeof(mod_sap_conn_statements) / sizeof(mod_sap_conn_statements[0]);

#define I64(number) mod_sap_dbd_text(store->pool, (number))

/* ---- OAuth states ---- */

apr_status_t mod_sap_dbd_oauth_state_create(sap_store_t *store, const char *state_hash,
                                            const char *admin_user, int ttl_sec)
{
    const char *args[] = {state_hash, admin_user, I64(ttl_sec)};

    return mod_sap_dbd_query(store, SQL_STATE_CREATE, 3, args, NULL);
}

apr_status_t mod_sap_dbd_oauth_state_consume(sap_store_t *store, apr_pool_t *pool,
                                             const char *state_hash, const char **padmin_user)
{
    const char *args[] = {state_hash};
    const char *why[2] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, pool, SQL_STATE_CONSUME, 1, args, 1, padmin_user);

    if (rv != APR_NOTFOUND) {
        return rv;
    }
    /* Refused: say why (the admin's message differs), without a race:
     * the state is not usable either way. */
    if ((rv = mod_sap_dbd_select_row(store, pool, SQL_STATE_WHY, 1, args, 2, why)) != APR_SUCCESS) {
        return rv;
    }
    return mod_sap_dbd_int64(why[0]) ? APR_EEXIST : APR_TIMEUP;
}

/* ---- transactions under the connections lock ---- */

static apr_status_t take_lock(sap_store_t *store)
{
    const char *ignored = NULL;

    return mod_sap_dbd_select_row(store, store->pool, SQL_CONN_LOCK, 0, NULL, 1, &ignored);
}

typedef struct locked_call_t {
    mod_sap_dbd_tx_fn *body;
    void *baton;
} locked_call_t;

static apr_status_t run_locked_body(sap_store_t *store, void *baton)
{
    locked_call_t *call = baton;
    apr_status_t rv = take_lock(store);

    return rv == APR_SUCCESS ? call->body(store, call->baton) : rv;
}

static apr_status_t locked(sap_store_t *store, mod_sap_dbd_tx_fn *body, void *baton)
{
    locked_call_t call = {body, baton};

    return mod_sap_dbd_transaction(store, run_locked_body, &call);
}

/* ---- install ---- */

typedef struct install_call_t {
    const sap_install_t *in;
    sap_install_result_t *out;
} install_call_t;

static apr_status_t upsert(sap_store_t *store, const sap_install_t *in, sap_install_result_t *out)
{
    const char *args[] = {in->team_id, in->team_name, in->team_name, in->enterprise_id,
                          in->bot_user_id, in->app_id, in->scopes, in->token_hex,
                          I64(in->token_key_version), in->token_fingerprint, in->installed_by};
    const char *cols[2] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, store->pool, SQL_CONN_UPSERT, 11, args, 2, cols);

    out->connection_id = mod_sap_dbd_int64(cols[0]);
    out->is_default = (int)mod_sap_dbd_int64(cols[1]);
    return rv;
}

static apr_status_t install_body(sap_store_t *store, void *baton)
{
    install_call_t *call = baton;
    const char *counts[2] = {NULL};
    const char *count_args[] = {call->in->team_id};
    const char *id_arg[1];
    apr_int64_t total;
    int took = 0;
    apr_status_t rv;

    if ((rv = mod_sap_dbd_select_row(store, store->pool, SQL_CONN_COUNTS, 1, count_args, 2,
                                     counts)) != APR_SUCCESS) {
        return rv;
    }
    total = mod_sap_dbd_int64(counts[0]);
    if (!counts[1] && total >= SAP_MAX_CONNECTIONS) {
        call->out->outcome = SAP_INSTALL_LIMIT;
        return APR_SUCCESS;   /* nothing written: the commit is empty */
    }
    call->out->outcome = !counts[1] ? SAP_INSTALL_CREATED
                         : strcmp(counts[1], SAP_CONN_ACTIVE) ? SAP_INSTALL_RESTORED
                         : SAP_INSTALL_UPDATED;
    if ((rv = upsert(store, call->in, call->out)) != APR_SUCCESS) {
        return rv;
    }
    id_arg[0] = I64(call->out->connection_id);
    if ((rv = mod_sap_dbd_query(store, SQL_CONN_TAKE_DEFAULT, 1, id_arg, &took)) != APR_SUCCESS
        || (rv = mod_sap_dbd_query(store, SQL_CONN_RESOLVE, 1, id_arg, NULL)) != APR_SUCCESS) {
        return rv;
    }
    call->out->is_default = call->out->is_default || took;
    if (total == 0) {
        /* The first workspace: notifications go to Slack from now on. */
        const char *by[] = {call->in->installed_by};

        call->out->mechanism_switched = 1;
        rv = mod_sap_dbd_query(store, SQL_SETTINGS_TO_SLACK, 1, by, NULL);
    }
    return rv;
}

apr_status_t mod_sap_dbd_connection_install(sap_store_t *store, const sap_install_t *install,
                                            sap_install_result_t *result)
{
    install_call_t call = {install, result};

    memset(result, 0, sizeof(*result));
    return locked(store, install_body, &call);
}

/* ---- reads ---- */

static void connection_from_row(sap_connection_t *conn, const char **cols)
{
    conn->id = mod_sap_dbd_int64(cols[0]);
    conn->team_id = cols[1];
    conn->team_name = cols[2];
    conn->display_name = cols[3];
    conn->enterprise_id = cols[4];
    conn->bot_user_id = cols[5];
    conn->app_id = cols[6];
    conn->scopes = cols[7];
    conn->is_default = (int)mod_sap_dbd_int64(cols[8]);
    conn->status = cols[9];
    conn->status_reason = cols[10];
    conn->status_changed_at = cols[11];
    conn->installed_by = cols[12];
    conn->created_at = cols[13];
    conn->updated_at = cols[14];
    conn->token_hex = cols[15];
    conn->token_key_version = (int)mod_sap_dbd_int64(cols[16]);
}

static void collect_connection(void *baton, apr_pool_t *pool, const char **cols)
{
    sap_connection_t *conn = apr_array_push(baton);

    connection_from_row(conn, cols);
    conn->token_hex = NULL;   /* lists never carry tokens */
    conn->token_key_version = 0;
}

apr_status_t mod_sap_dbd_connection_list(sap_store_t *store, apr_pool_t *pool,
                                         apr_array_header_t **pconnections)
{
    *pconnections = apr_array_make(pool, SAP_MAX_CONNECTIONS, sizeof(sap_connection_t));
    return mod_sap_dbd_select_each(store, pool, SQL_CONN_LIST, 0, NULL, CONN_NCOLS,
                                   collect_connection, *pconnections);
}

apr_status_t mod_sap_dbd_connection_get(sap_store_t *store, apr_pool_t *pool, apr_int64_t id,
                                        const char *team_id, int want_token,
                                        sap_connection_t **pconnection)
{
    const char *args[] = {team_id ? team_id : mod_sap_dbd_text(pool, id)};
    const char *cols[CONN_NCOLS] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, pool, team_id ? SQL_CONN_GET_TEAM : SQL_CONN_GET_ID,
                                             1, args, CONN_NCOLS, cols);

    *pconnection = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *pconnection = apr_pcalloc(pool, sizeof(**pconnection));
    connection_from_row(*pconnection, cols);
    if (!want_token) {
        (*pconnection)->token_hex = NULL;
    }
    return APR_SUCCESS;
}

/* ---- admin writes ---- */

typedef struct rename_call_t {
    apr_int64_t id;
    const char *display_name;
} rename_call_t;

static apr_status_t rename_body(sap_store_t *store, void *baton)
{
    rename_call_t *call = baton;
    const char *args[] = {call->display_name, I64(call->id)};
    int affected = 0;
    apr_status_t rv = mod_sap_dbd_query(store, SQL_CONN_RENAME, 2, args, &affected);

    return rv == APR_SUCCESS && !affected ? APR_NOTFOUND : rv;
}

apr_status_t mod_sap_dbd_connection_rename(sap_store_t *store, apr_int64_t id,
                                           const char *display_name)
{
    rename_call_t call = {id, display_name};

    return locked(store, rename_body, &call);
}

/* Status and default flag of a connection, under the lock. */
static apr_status_t read_status(sap_store_t *store, apr_int64_t id, const char **pstatus,
                                int *pis_default)
{
    const char *args[] = {I64(id)};
    const char *cols[2] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, store->pool, SQL_CONN_STATUS, 1, args, 2, cols);

    *pstatus = cols[0];
    *pis_default = (int)mod_sap_dbd_int64(cols[1]);
    return rv;
}

static apr_status_t set_default_body(sap_store_t *store, void *baton)
{
    apr_int64_t id = *(apr_int64_t *)baton;
    const char *args[] = {I64(id)};
    const char *status = NULL;
    int is_default = 0;
    apr_status_t rv = read_status(store, id, &status, &is_default);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!status || strcmp(status, SAP_CONN_ACTIVE)) {
        return APR_EINVAL;
    }
    if ((rv = mod_sap_dbd_query(store, SQL_CONN_DROP_DEFAULT, 1, args, NULL)) != APR_SUCCESS) {
        return rv;
    }
    return mod_sap_dbd_query(store, SQL_CONN_SET_DEFAULT, 1, args, NULL);
}

apr_status_t mod_sap_dbd_connection_set_default(sap_store_t *store, apr_int64_t id)
{
    return locked(store, set_default_body, &id);
}

typedef struct delete_call_t {
    apr_int64_t id;
    apr_int64_t new_default;
} delete_call_t;

static apr_status_t delete_body(sap_store_t *store, void *baton)
{
    delete_call_t *call = baton;
    const char *args[] = {I64(call->id)};
    const char *status = NULL, *next = NULL;
    int was_default = 0;
    apr_status_t rv = read_status(store, call->id, &status, &was_default);

    if (rv != APR_SUCCESS
        || (rv = mod_sap_dbd_query(store, SQL_CONN_DELETE, 1, args, NULL)) != APR_SUCCESS
        || !was_default) {
        return rv;
    }
    rv = mod_sap_dbd_select_row(store, store->pool, SQL_CONN_NEXT_DEFAULT, 0, NULL, 1, &next);
    call->new_default = mod_sap_dbd_int64(next);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t mod_sap_dbd_connection_delete(sap_store_t *store, apr_int64_t id,
                                           apr_int64_t *pnew_default)
{
    delete_call_t call = {id, 0};
    apr_status_t rv = locked(store, delete_body, &call);

    *pnew_default = call.new_default;
    return rv;
}

/* ---- revocation ---- */

typedef struct mark_call_t {
    const char **mark_args;
    const char *team_id;
    const char *error_kind, *error_message;
    sap_mark_result_t *out;
} mark_call_t;

static apr_status_t mark_body(sap_store_t *store, void *baton)
{
    mark_call_t *call = baton;
    const char *id = NULL;
    const char *team_arg[] = {call->team_id};
    apr_status_t rv = mod_sap_dbd_select_row(store, store->pool, SQL_CONN_MARK, 8, call->mark_args,
                                             1, &id);

    if (rv == APR_NOTFOUND) {
        /* Unchanged: already marked, another installation, or no such team. */
        rv = mod_sap_dbd_select_row(store, store->pool, SQL_CONN_ID_OF_TEAM, 1, team_arg, 1, &id);
        call->out->connection_id = mod_sap_dbd_int64(id);
        return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
    }
    if (rv == APR_SUCCESS) {
        const char *error_args[] = {call->error_kind, call->error_message, id};

        call->out->connection_id = mod_sap_dbd_int64(id);
        call->out->changed = 1;
        rv = mod_sap_dbd_query(store, SQL_ERROR_RECORD, 3, error_args, NULL);
    }
    return rv;
}

apr_status_t mod_sap_dbd_connection_mark(sap_store_t *store, const char *team_id,
                                         const char *status, const char *reason,
                                         const char *error_kind, const char *error_message,
                                         const char *token_fingerprint, apr_int64_t event_time,
                                         sap_mark_result_t *result)
{
    const char *time_arg = I64(event_time);
    const char *mark_args[] = {status, reason, team_id, status, token_fingerprint,
                               token_fingerprint, time_arg, time_arg};
    mark_call_t call = {mark_args, team_id, error_kind, error_message, result};

    memset(result, 0, sizeof(*result));
    return locked(store, mark_body, &call);
}

apr_status_t mod_sap_dbd_connection_update_token(sap_store_t *store, apr_int64_t id,
                                                 const char *token_hex, int key_version)
{
    const char *args[] = {token_hex, I64(key_version), I64(id)};

    return mod_sap_dbd_query(store, SQL_CONN_UPDATE_TOKEN, 3, args, NULL);
}

/* ---- instance errors ---- */

static void collect_error(void *baton, apr_pool_t *pool, const char **cols)
{
    sap_instance_error_t *error = apr_array_push(baton);

    error->id = mod_sap_dbd_int64(cols[0]);
    error->connection_id = mod_sap_dbd_int64(cols[1]);
    error->team_id = cols[2];
    error->team_name = cols[3];
    error->kind = cols[4];
    error->message = cols[5];
    error->created_at = cols[6];
    error->resolved_at = cols[7];
}

apr_status_t mod_sap_dbd_instance_errors_list(sap_store_t *store, apr_pool_t *pool,
                                              int include_resolved, apr_array_header_t **perrors)
{
    *perrors = apr_array_make(pool, 8, sizeof(sap_instance_error_t));
    return mod_sap_dbd_select_each(store, pool, include_resolved ? SQL_ERRORS_ALL : SQL_ERRORS_OPEN,
                                   0, NULL, ERROR_NCOLS, collect_error, *perrors);
}
