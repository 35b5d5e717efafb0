/* Inside the mod_dbd store: the statement tables of each concern and the
 * helpers that run them. Only mod_sap_store_dbd*.c include this. */
#ifndef MOD_SAP_STORE_DBD_INT_H
#define MOD_SAP_STORE_DBD_INT_H

#include <apr_dbd.h>
#include <httpd.h>
#include <mod_dbd.h>

#include "sap_store.h"

typedef struct mod_sap_statement_t {
    const char *label;
    const char *sql;
} mod_sap_statement_t;

/* UTC ISO 8601 text of a timestamptz column, as every answer shows times. */
#define SQL_ISO(column) "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Runs a statement that returns no rows; *paffected may be NULL. */
apr_status_t mod_sap_dbd_query(sap_store_t *store, const char *label, int nargs,
                               const char **args, int *paffected);
/* Runs a select and copies the first row's columns (up to ncols, NULL for
 * SQL NULL) into pool; the other rows are read and dropped. APR_NOTFOUND:
 * no row. */
apr_status_t mod_sap_dbd_select_row(sap_store_t *store, apr_pool_t *pool, const char *label,
                                    int nargs, const char **args, int ncols, const char **cols);
/* Runs a select and calls row_fn with each row's columns (ncols of them,
 * valid for the call; copied into pool). */
typedef void mod_sap_dbd_row_fn(void *baton, apr_pool_t *pool, const char **cols);
apr_status_t mod_sap_dbd_select_each(sap_store_t *store, apr_pool_t *pool, const char *label,
                                     int nargs, const char **args, int ncols,
                                     mod_sap_dbd_row_fn *row_fn, void *baton);

/* A transaction on the session's connection: body runs between BEGIN and
 * COMMIT; a body that returns anything but APR_SUCCESS (or a statement that
 * failed inside) rolls it back. The body's status is returned. */
typedef apr_status_t mod_sap_dbd_tx_fn(sap_store_t *store, void *baton);
apr_status_t mod_sap_dbd_transaction(sap_store_t *store, mod_sap_dbd_tx_fn *body, void *baton);

apr_int64_t mod_sap_dbd_int64(const char *text);
const char *mod_sap_dbd_text(apr_pool_t *pool, apr_int64_t number);

/* ---- connections, OAuth states, instance errors (mod_sap_store_dbd_conn.c) ---- */

extern const mod_sap_statement_t mod_sap_conn_statements[];
extern const apr_size_t mod_sap_conn_statement_count;

apr_status_t mod_sap_dbd_oauth_state_create(sap_store_t *store, const char *state_hash,
                                            const char *admin_user, int ttl_sec);
apr_status_t mod_sap_dbd_oauth_state_consume(sap_store_t *store, apr_pool_t *pool,
                                             const char *state_hash, const char **padmin_user);
apr_status_t mod_sap_dbd_connection_install(sap_store_t *store, const sap_install_t *install,
                                            sap_install_result_t *result);
apr_status_t mod_sap_dbd_connection_list(sap_store_t *store, apr_pool_t *pool,
                                         apr_array_header_t **pconnections);
apr_status_t mod_sap_dbd_connection_get(sap_store_t *store, apr_pool_t *pool, apr_int64_t id,
                                        const char *team_id, int want_token,
                                        sap_connection_t **pconnection);
apr_status_t mod_sap_dbd_connection_rename(sap_store_t *store, apr_int64_t id,
                                           const char *display_name);
apr_status_t mod_sap_dbd_connection_set_default(sap_store_t *store, apr_int64_t id);
apr_status_t mod_sap_dbd_connection_delete(sap_store_t *store, apr_int64_t id,
                                           apr_int64_t *pnew_default);
apr_status_t mod_sap_dbd_connection_mark(sap_store_t *store, const char *team_id,
                                         const char *status, const char *reason,
                                         const char *error_kind, const char *error_message,
                                         const char *token_fingerprint, apr_int64_t event_time,
                                         sap_mark_result_t *result);
apr_status_t mod_sap_dbd_connection_update_token(sap_store_t *store, apr_int64_t id,
                                                 const char *token_hex, int key_version);
apr_status_t mod_sap_dbd_instance_errors_list(sap_store_t *store, apr_pool_t *pool,
                                              int include_resolved, apr_array_header_t **perrors);

/* ---- engine events, dispatch plans, deliveries (mod_sap_store_dbd_dispatch.c) ---- */

extern const mod_sap_statement_t mod_sap_dispatch_statements[];
extern const apr_size_t mod_sap_dispatch_statement_count;

apr_status_t mod_sap_dbd_event_store(sap_store_t *store, apr_pool_t *pool, const char *event_id,
                                     const char *type, const char *product,
                                     const char *approval_id, const char *step_id,
                                     const char *payload, const char *outcome,
                                     const char *jobs_json, apr_array_header_t **pjob_ids);
apr_status_t mod_sap_dbd_event_get(sap_store_t *store, apr_pool_t *pool, const char *event_id,
                                   sap_event_record_t **pevent);
/* An event row: event_id, payload::text, dispatched_at (ISO). */
#define MOD_SAP_EVENT_NCOLS 3
sap_event_record_t *mod_sap_dbd_event_record(apr_pool_t *pool, const char **cols);
apr_status_t mod_sap_dbd_delivery_seen(sap_store_t *store, const char *event_id, const char *kind,
                                       const char *recipient, const char *delegate_of, int *pseen);
apr_status_t mod_sap_dbd_delivery_record(sap_store_t *store, const sap_delivery_t *delivery);
apr_status_t mod_sap_dbd_history_list(sap_store_t *store, apr_pool_t *pool,
                                      const sap_history_query_t *query,
                                      apr_array_header_t **prows, apr_int64_t *ptotal);

/* ---- interactions (mod_sap_store_dbd_interact.c) ---- */

extern const mod_sap_statement_t mod_sap_interact_statements[];
extern const apr_size_t mod_sap_interact_statement_count;

apr_status_t mod_sap_dbd_interaction_enqueue(sap_store_t *store, apr_pool_t *pool,
                                             const char *kind, const char *payload,
                                             const char *dedup_key, apr_int64_t *pjob_id);
apr_status_t mod_sap_dbd_event_latest(sap_store_t *store, apr_pool_t *pool, const char *product,
                                      const char *approval_id, const char *step_id,
                                      sap_event_record_t **pevent);
apr_status_t mod_sap_dbd_message_get(sap_store_t *store, apr_pool_t *pool, const char *channel_id,
                                     const char *ts, const char *slack_user,
                                     sap_message_ref_t **pmessage);

/* ---- settings, definition overrides, templates (mod_sap_store_dbd_settings.c) ---- */

extern const mod_sap_statement_t mod_sap_settings_statements[];
extern const apr_size_t mod_sap_settings_statement_count;

apr_status_t mod_sap_dbd_settings_get(sap_store_t *store, apr_pool_t *pool,
                                      sap_settings_t **psettings);
apr_status_t mod_sap_dbd_settings_put(sap_store_t *store, const sap_settings_t *settings);
apr_status_t mod_sap_dbd_definition_get(sap_store_t *store, apr_pool_t *pool, const char *product,
                                        const char *definition_id, sap_definition_t **pdefinition);
apr_status_t mod_sap_dbd_definition_put(sap_store_t *store, const sap_definition_t *definition);
apr_status_t mod_sap_dbd_definition_delete(sap_store_t *store, const char *product,
                                           const char *definition_id);
apr_status_t mod_sap_dbd_definition_list(sap_store_t *store, apr_pool_t *pool,
                                         apr_array_header_t **pdefinitions);
apr_status_t mod_sap_dbd_template_get(sap_store_t *store, apr_pool_t *pool, const char *product,
                                      const char *type, sap_stored_template_t **ptemplate);
apr_status_t mod_sap_dbd_template_put(sap_store_t *store, const sap_stored_template_t *tpl);
apr_status_t mod_sap_dbd_template_delete(sap_store_t *store, const char *product,
                                         const char *type);
apr_status_t mod_sap_dbd_template_list(sap_store_t *store, apr_pool_t *pool,
                                       apr_array_header_t **ptemplates);

#endif
