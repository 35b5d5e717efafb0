/* Storage interface of the core.
 *
 * A sap_store_t is one database session: the glue builds one around a mod_dbd
 * connection (ap_dbd_acquire in requests, ap_dbd_open in worker threads) and
 * the core only ever calls these operations. All SQL lives in the glue
 * (mod_sap_store_dbd.c), prepared at config time and looked up by label. */
#ifndef SAP_STORE_H
#define SAP_STORE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/* The schema version this build expects (the highest sql/NNN_*.sql). */
#define SAP_SCHEMA_VERSION 4

typedef struct sap_store_t sap_store_t;

typedef struct sap_job_t {
    apr_int64_t id;
    const char *kind;
    const char *payload;      /* JSON text */
    int attempts;             /* including this one */
    int max_attempts;
} sap_job_t;

typedef struct sap_queue_stats_t {
    apr_int64_t queued;       /* waiting, due or not */
    apr_int64_t running;      /* claimed under a lease */
    apr_int64_t failed;       /* gave up; kept for the history period */
} sap_queue_stats_t;

typedef struct sap_cleanup_counts_t {
    int ran;                  /* 0: another node held the cleanup lock */
    apr_int64_t history, oauth_states, jobs, events, probes;
} sap_cleanup_counts_t;

typedef struct sap_probe_t {
    apr_int64_t id;
    apr_int64_t job_id;
    const char *requested_by;
    const char *created_at;   /* ISO 8601 */
    const char *ran_at;       /* NULL until a worker ran it */
    const char *ran_by;
    int runs;
    const char *job_state;
    int job_attempts;
} sap_probe_t;

/* A Slack workspace connection. The token fields are only filled by
 * connection_get with want_token (never by lists). */
typedef struct sap_connection_t {
    apr_int64_t id;
    const char *team_id;
    const char *team_name;
    const char *display_name;
    const char *enterprise_id;
    const char *bot_user_id;
    const char *app_id;
    const char *scopes;
    int is_default;
    const char *status;           /* SAP_CONN_ACTIVE / _REVOKED / _UNINSTALLED */
    const char *status_reason;    /* the Slack error or event that changed it */
    const char *status_changed_at;
    const char *installed_by;
    const char *created_at;
    const char *updated_at;
    const char *token_hex;        /* nonce || ciphertext || tag, hex */
    int token_key_version;
} sap_connection_t;

#define SAP_CONN_ACTIVE      "active"
#define SAP_CONN_REVOKED     "revoked"
#define SAP_CONN_UNINSTALLED "uninstalled"

/* At most this many workspaces per instance (the feature request). */
#define SAP_MAX_CONNECTIONS 10

typedef enum {
    SAP_INSTALL_CREATED = 0,      /* a new workspace */
    SAP_INSTALL_UPDATED,          /* an active workspace installed again: new token */
    SAP_INSTALL_RESTORED,         /* a revoked or uninstalled workspace is back */
    SAP_INSTALL_LIMIT             /* refused: SAP_MAX_CONNECTIONS already */
} sap_install_outcome_t;

typedef struct sap_install_t {
    const char *team_id, *team_name, *enterprise_id, *bot_user_id, *app_id, *scopes;
    const char *token_hex;
    int token_key_version;
    const char *token_fingerprint;   /* sap_connections_fingerprint of the token */
    const char *installed_by;
} sap_install_t;

typedef struct sap_install_result_t {
    sap_install_outcome_t outcome;
    apr_int64_t connection_id;
    int is_default;               /* it became (or stayed) the default */
    int mechanism_switched;       /* the first connection: mechanism is now slack */
} sap_install_result_t;

typedef struct sap_instance_error_t {
    apr_int64_t id;
    apr_int64_t connection_id;    /* 0 once the connection was deleted */
    const char *team_id;
    const char *team_name;
    const char *kind;             /* e.g. "token_revoked", "app_uninstalled" */
    const char *message;
    const char *created_at;
    const char *resolved_at;      /* NULL while open */
} sap_instance_error_t;

/* Outcome of a status change (connection_mark). */
typedef struct sap_mark_result_t {
    apr_int64_t connection_id;    /* 0: no connection for that team */
    int changed;                  /* the status changed (else it already was) */
} sap_mark_result_t;

/* Global notification settings (one row). */
typedef struct sap_settings_t {
    const char *mechanism;             /* SAP_MECHANISM_* */
    const char *delivery_mode;         /* SAP_DELIVERY_* */
    const char *default_channel;       /* Slack channel id, NULL when none */
    const char *default_channel_name;  /* as the admin typed it, e.g. "#approvals" */
    const char *updated_by;
    const char *updated_at;
} sap_settings_t;

#define SAP_MECHANISM_NATIVE "native"
#define SAP_MECHANISM_EMAIL  "email"
#define SAP_MECHANISM_SLACK  "slack"
#define SAP_DELIVERY_DM      "dm"
#define SAP_DELIVERY_CHANNEL "channel"
#define SAP_DELIVERY_BOTH    "both"

/* A definition's workspace and channel override. */
typedef struct sap_definition_t {
    const char *product;
    const char *definition_id;
    apr_int64_t connection_id;   /* 0: the default workspace */
    const char *channel;         /* Slack channel id, NULL: the default channel */
    const char *channel_name;
    const char *updated_by;
    const char *updated_at;
} sap_definition_t;

/* A stored (customised) template. */
typedef struct sap_stored_template_t {
    const char *product;
    const char *notification_type;
    const char *slack_body;
    const char *email_subject;
    const char *email_body;
    const char *updated_by;
    const char *updated_at;
} sap_stored_template_t;

/* An engine event as stored. */
typedef struct sap_event_record_t {
    const char *event_id;
    const char *payload;         /* JSON text */
    const char *dispatched_at;   /* when it was planned (at intake) */
} sap_event_record_t;

/* A stored Slack message, as a click on it needs it (sap_slack_messages). */
typedef struct sap_message_ref_t {
    apr_int64_t connection_id;       /* 0: unknown */
    const char *kind;                /* "dm" | "channel" */
    const char *recipient_slack_user;
    const char *recipient_account_id;
    const char *recipient_email;
    const char *delegate_of;
    const char *event_id;
} sap_message_ref_t;

/* A delivery to one person (or one channel message) and its history row. */
typedef struct sap_delivery_t {
    const char *event_id;
    const char *product;
    const char *notification_type;
    const char *approval_id;
    const char *step_id;
    const char *kind;             /* "dm", "channel", "email" */
    const char *recipient;        /* email (account id when none); NULL for the channel row */
    const char *recipient_name;
    const char *recipient_account_id;
    const char *delegate_of;      /* account id, or NULL */
    const char *slack_user_id;    /* NULL when none */
    apr_int64_t connection_id;    /* 0: none */
    const char *channel;          /* Slack channel id, or the email address for kind email */
    const char *ts;               /* set: a Slack message to store for the lifecycle */
    const char *status;           /* "SENT" or "FAILED" */
    const char *error;            /* FAILED: Slack's code or our reason */
    const char *fallback;         /* FAILED: what became of the email fallback */
} sap_delivery_t;

/* A page of the notification history. NULL filters are not applied. */
typedef struct sap_history_query_t {
    const char *status;           /* "SENT", "UPDATED", "FAILED" */
    const char *recipient;        /* a part of the recipient's email or name, any case */
    const char *from, *to;        /* ISO 8601 times: created_at >= from, < to */
    const char *sort;             /* SAP_HISTORY_SORT_* */
    int descending;
    int limit, offset;
} sap_history_query_t;

#define SAP_HISTORY_SORT_TIME      "created_at"
#define SAP_HISTORY_SORT_RECIPIENT "recipient"
#define SAP_HISTORY_SORT_STATUS    "status"
#define SAP_HISTORY_SORT_TYPE      "notification_type"
#define SAP_HISTORY_MAX_PAGE       200

typedef struct sap_history_row_t {
    apr_int64_t id;
    const char *created_at;
    const char *status, *kind, *notification_type, *product;
    const char *event_id, *approval_id, *step_id;
    const char *recipient, *recipient_name, *delegate_of, *slack_user_id;
    const char *channel;
    apr_int64_t connection_id;    /* 0: none (or deleted) */
    const char *error, *fallback;
} sap_history_row_t;

typedef struct sap_store_ops_t {
    apr_status_t (*schema_version)(sap_store_t *store, int *pversion);

    /* Jobs (the durable outbox). A request stores its jobs together with
     * what they are about, in one statement or transaction of its own (see
     * probe_create). claim: job_id 0 takes the next due job, otherwise
     * exactly that one if it is due; APR_NOTFOUND when nothing. */
    apr_status_t (*job_claim)(sap_store_t *store, apr_pool_t *pool, apr_int64_t job_id,
                              const char *owner, int lease_sec, sap_job_t **pjob);
    /* finish/retry/fail/defer settle the claim `job` came from, and only that
     * claim: they answer APR_NOTFOUND when its lease was lost (the job was
     * claimed again meanwhile, by this process or another). */
    apr_status_t (*job_finish)(sap_store_t *store, const sap_job_t *job, const char *owner);
    apr_status_t (*job_retry)(sap_store_t *store, const sap_job_t *job, const char *owner,
                              int delay_sec, const char *error);
    apr_status_t (*job_fail)(sap_store_t *store, const sap_job_t *job, const char *owner,
                             const char *error);
    /* Back to the queue without counting the attempt (a kind this node
     * does not know: a newer node may). */
    apr_status_t (*job_defer)(sap_store_t *store, const sap_job_t *job, const char *owner,
                              int delay_sec, const char *error);
    apr_status_t (*queue_stats)(sap_store_t *store, sap_queue_stats_t *stats);
    apr_status_t (*cleanup)(sap_store_t *store, int history_days, sap_cleanup_counts_t *counts);

    /* Queue probes: an admin's end-to-end check of the background workers. */
    apr_status_t (*probe_create)(sap_store_t *store, const char *requested_by,
                                 const char *payload_extra, apr_int64_t *pprobe_id,
                                 apr_int64_t *pjob_id);
    apr_status_t (*probe_record_run)(sap_store_t *store, apr_int64_t probe_id, const char *owner);
    apr_status_t (*probe_get)(sap_store_t *store, apr_pool_t *pool, apr_int64_t probe_id,
                              sap_probe_t **pprobe);

    /* OAuth states, stored by hash. consume marks the state used in the same
     * statement that checks it: APR_SUCCESS (*padmin_user set), APR_NOTFOUND
     * (unknown), APR_TIMEUP (expired), APR_EEXIST (already used). */
    apr_status_t (*oauth_state_create)(sap_store_t *store, const char *state_hash,
                                       const char *admin_user, int ttl_sec);
    apr_status_t (*oauth_state_consume)(sap_store_t *store, apr_pool_t *pool,
                                        const char *state_hash, const char **padmin_user);

    /* Connection writes take the connections advisory lock, in a transaction
     * of their own: the limit and "exactly one default" hold under races. */
    apr_status_t (*connection_install)(sap_store_t *store, const sap_install_t *install,
                                       sap_install_result_t *result);
    /* apr_array_header_t of sap_connection_t (no tokens), oldest first. */
    apr_status_t (*connection_list)(sap_store_t *store, apr_pool_t *pool,
                                    apr_array_header_t **pconnections);
    /* by id (team_id NULL) or by team id (id 0); APR_NOTFOUND when absent. */
    apr_status_t (*connection_get)(sap_store_t *store, apr_pool_t *pool, apr_int64_t id,
                                   const char *team_id, int want_token,
                                   sap_connection_t **pconnection);
    apr_status_t (*connection_rename)(sap_store_t *store, apr_int64_t id,
                                      const char *display_name);
    /* APR_NOTFOUND: no such connection; APR_EINVAL: it is not active. */
    apr_status_t (*connection_set_default)(sap_store_t *store, apr_int64_t id);
    /* Deletes it; when it was the default, the oldest active connection (or
     * none) becomes the default: *pnew_default (0 when none). Definitions
     * that named it fall back to the default (their reference is cleared). */
    apr_status_t (*connection_delete)(sap_store_t *store, apr_int64_t id,
                                      apr_int64_t *pnew_default);
    /* Marks the team's connection revoked or uninstalled (uninstalled wins
     * over revoked, never the other way) with the reason, and records an
     * open instance error of `kind` (one per connection and kind). Only
     * when the installation is the one the news is about: the token with
     * token_fingerprint (NULL: any), installed no later than event_time
     * (unix seconds; 0: any). A reinstall that overtook a late event stays. */
    apr_status_t (*connection_mark)(sap_store_t *store, const char *team_id, const char *status,
                                    const char *reason, const char *error_kind,
                                    const char *error_message, const char *token_fingerprint,
                                    apr_int64_t event_time, sap_mark_result_t *result);
    /* Re-encrypted under another key (key rotation). */
    apr_status_t (*connection_update_token)(sap_store_t *store, apr_int64_t id,
                                            const char *token_hex, int key_version);
    /* apr_array_header_t of sap_instance_error_t, newest first; resolved ones
     * only with include_resolved. */
    apr_status_t (*instance_errors_list)(sap_store_t *store, apr_pool_t *pool,
                                         int include_resolved, apr_array_header_t **perrors);
    /* ---- notification dispatch ---- */

    /* Stores an event, what its plan was (outcome) and its jobs (a JSON
     * array of {"kind", "payload"}) in one statement. *pjob_ids
     * (apr_int64_t) are the new jobs; APR_EEXIST (nothing stored) for a
     * known event_id. */
    apr_status_t (*event_store)(sap_store_t *store, apr_pool_t *pool, const char *event_id,
                                const char *type, const char *product, const char *approval_id,
                                const char *step_id, const char *payload, const char *outcome,
                                const char *jobs_json, apr_array_header_t **pjob_ids);
    apr_status_t (*event_get)(sap_store_t *store, apr_pool_t *pool, const char *event_id,
                              sap_event_record_t **pevent);
    /* Whether a delivery of this event, kind and recipient (and delegate_of)
     * already has its history row. */
    apr_status_t (*delivery_seen)(sap_store_t *store, const char *event_id, const char *kind,
                                  const char *recipient, const char *delegate_of, int *pseen);
    /* The history row, and the Slack message when delivery->ts is set, in
     * one statement. */
    apr_status_t (*delivery_record)(sap_store_t *store, const sap_delivery_t *delivery);

    /* ---- interactions ---- */

    /* Queues a job whose dedup_key is unique among jobs: *pjob_id, or
     * APR_EEXIST when a job with that key is queued, running or done (a
     * failed one is queued again with this payload). */
    apr_status_t (*interaction_enqueue)(sap_store_t *store, apr_pool_t *pool, const char *kind,
                                        const char *payload, const char *dedup_key,
                                        apr_int64_t *pjob_id);
    /* The newest event of a step; APR_NOTFOUND when none. */
    apr_status_t (*event_latest)(sap_store_t *store, apr_pool_t *pool, const char *product,
                                 const char *approval_id, const char *step_id,
                                 sap_event_record_t **pevent);
    /* The message channel:ts as stored; with several rows (a channel
     * message names several people) the one of slack_user if any.
     * APR_NOTFOUND when the message is not ours. */
    apr_status_t (*message_get)(sap_store_t *store, apr_pool_t *pool, const char *channel_id,
                                const char *ts, const char *slack_user,
                                sap_message_ref_t **pmessage);

    /* apr_array_header_t of sap_history_row_t, and how many rows match
     * the filters in all. */
    apr_status_t (*history_list)(sap_store_t *store, apr_pool_t *pool,
                                 const sap_history_query_t *query,
                                 apr_array_header_t **prows, apr_int64_t *ptotal);

    /* ---- settings, definition overrides, templates ---- */

    apr_status_t (*settings_get)(sap_store_t *store, apr_pool_t *pool, sap_settings_t **psettings);
    /* Writes all fields of settings (NULL channel: none). */
    apr_status_t (*settings_put)(sap_store_t *store, const sap_settings_t *settings);
    /* APR_NOTFOUND: no override. */
    apr_status_t (*definition_get)(sap_store_t *store, apr_pool_t *pool, const char *product,
                                   const char *definition_id, sap_definition_t **pdefinition);
    apr_status_t (*definition_put)(sap_store_t *store, const sap_definition_t *definition);
    /* APR_NOTFOUND: there was none. */
    apr_status_t (*definition_delete)(sap_store_t *store, const char *product,
                                      const char *definition_id);
    /* apr_array_header_t of sap_definition_t, by product and id. */
    apr_status_t (*definition_list)(sap_store_t *store, apr_pool_t *pool,
                                    apr_array_header_t **pdefinitions);
    /* APR_NOTFOUND: the default applies. */
    apr_status_t (*template_get)(sap_store_t *store, apr_pool_t *pool, const char *product,
                                 const char *type, sap_stored_template_t **ptemplate);
    apr_status_t (*template_put)(sap_store_t *store, const sap_stored_template_t *tpl);
    /* Back to the default. APR_NOTFOUND: it was the default. */
    apr_status_t (*template_delete)(sap_store_t *store, const char *product, const char *type);
    /* apr_array_header_t of sap_stored_template_t: the customised ones. */
    apr_status_t (*template_list)(sap_store_t *store, apr_pool_t *pool,
                                  apr_array_header_t **ptemplates);
} sap_store_ops_t;

struct sap_store_t {
    const sap_store_ops_t *ops;
    void *baton;              /* the implementation's session */
    apr_pool_t *pool;         /* scratch memory of the operations; a long-lived
                               * session may point it at a per-job pool */
};

#endif
