#include <apr_dbd.h>
#include <apr_optional.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <mod_dbd.h>

#include "mod_sap_store_dbd.h"
#include "mod_sap_store_dbd_int.h"

APLOG_USE_MODULE(slack_approvals);

/* ---- all SQL of the module, prepared once by mod_dbd, used by label ---- */

#define SQL_SCHEMA_VERSION    "sap_schema_version"
#define SQL_JOB_CLAIM_DUE     "sap_job_claim_due"
#define SQL_JOB_CLAIM_EXPIRED "sap_job_claim_expired"
#define SQL_JOB_CLAIM_ID      "sap_job_claim_id"
#define SQL_JOB_FINISH        "sap_job_finish"
#define SQL_JOB_RETRY         "sap_job_retry"
#define SQL_JOB_FAIL          "sap_job_fail"
#define SQL_JOB_DEFER         "sap_job_defer"
#define SQL_QUEUE_STATS       "sap_queue_stats"
#define SQL_CLEANUP           "sap_cleanup"
#define SQL_PROBE_CREATE      "sap_probe_create"
#define SQL_PROBE_RECORD_RUN  "sap_probe_record_run"
#define SQL_PROBE_GET         "sap_probe_get"

/* The claim takes a due job, or one whose lease ran out (its worker died),
 * skipping rows another worker holds: several processes and nodes never
 * run one job at the same time. */
#define SQL_CLAIM_SET \
    "UPDATE sap_jobs j SET state = 'running', attempts = j.attempts + 1, lease_owner = %s, " \
    "lease_until = now() + make_interval(secs => %s::int), updated_at = now() "
#define SQL_CLAIMABLE \
    "((state = 'queued' AND run_after <= now()) OR (state = 'running' AND lease_until < now()))"
#define SQL_CLAIM_RETURNING \
    " RETURNING j.id, j.kind, j.payload::text, j.attempts, j.max_attempts"

/* The cleanup lock key: one node at a time (pg_try_advisory_xact_lock). */
#define SAP_LOCK_CLEANUP "7364501220818"

static const mod_sap_statement_t statements[] = {
    {SQL_SCHEMA_VERSION, "SELECT coalesce(max(version), 0) FROM sap_schema_migrations"},
    /* "Next" is two claims, each an ordered scan of its own partial index
     * that stops at the first row: one query with both conditions OR'ed
     * would fetch and sort the whole backlog for every claim. */
    {SQL_JOB_CLAIM_EXPIRED, SQL_CLAIM_SET
        "WHERE j.id = (SELECT id FROM sap_jobs WHERE state = 'running' AND lease_until < now() "
        "ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED)" SQL_CLAIM_RETURNING},
    {SQL_JOB_CLAIM_DUE, SQL_CLAIM_SET
        "WHERE j.id = (SELECT id FROM sap_jobs WHERE state = 'queued' AND run_after <= now() "
        "ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED)" SQL_CLAIM_RETURNING},
    {SQL_JOB_CLAIM_ID, SQL_CLAIM_SET
        "WHERE j.id = (SELECT id FROM sap_jobs WHERE id = %s::bigint AND " SQL_CLAIMABLE
        " FOR UPDATE SKIP LOCKED)" SQL_CLAIM_RETURNING},
    {SQL_JOB_FINISH, "UPDATE sap_jobs SET state = 'done', finished_at = now(), updated_at = now(), "
        "lease_owner = NULL, lease_until = NULL, last_error = NULL "
        "WHERE id = %s::bigint AND state = 'running' AND lease_owner = %s AND attempts = %s::int"},
    {SQL_JOB_RETRY, "UPDATE sap_jobs SET state = 'queued', updated_at = now(), "
        "run_after = now() + make_interval(secs => %s::int), last_error = %s, "
        "lease_owner = NULL, lease_until = NULL "
        "WHERE id = %s::bigint AND state = 'running' AND lease_owner = %s AND attempts = %s::int"},
    {SQL_JOB_FAIL, "UPDATE sap_jobs SET state = 'failed', finished_at = now(), updated_at = now(), "
        "last_error = %s, lease_owner = NULL, lease_until = NULL "
        "WHERE id = %s::bigint AND state = 'running' AND lease_owner = %s AND attempts = %s::int"},
    {SQL_JOB_DEFER, "UPDATE sap_jobs SET state = 'queued', attempts = attempts - 1, updated_at = now(), "
        "run_after = now() + make_interval(secs => %s::int), last_error = %s, "
        "lease_owner = NULL, lease_until = NULL "
        "WHERE id = %s::bigint AND state = 'running' AND lease_owner = %s AND attempts = %s::int"},
    {SQL_QUEUE_STATS, "SELECT count(*) FILTER (WHERE state = 'queued'), "
        "count(*) FILTER (WHERE state = 'running'), count(*) FILTER (WHERE state = 'failed') "
        "FROM sap_jobs WHERE state <> 'done'"},
    /* One statement, one transaction: the lock is released at its end. */
    {SQL_CLEANUP, "WITH lock AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(" SAP_LOCK_CLEANUP ") AS held), "
        "history AS (DELETE FROM sap_notification_history WHERE (SELECT held FROM lock) "
        "  AND created_at < now() - make_interval(days => %s::int) RETURNING 1), "
        "states AS (DELETE FROM sap_oauth_states WHERE (SELECT held FROM lock) "
        "  AND (expires_at < now() OR used_at IS NOT NULL) RETURNING 1), "
        "jobs AS (DELETE FROM sap_jobs WHERE (SELECT held FROM lock) AND ("
        "  (state = 'done' AND finished_at < now() - interval '1 hour') OR "
        "  (state = 'failed' AND finished_at < now() - make_interval(days => %s::int))) RETURNING 1), "
        "events AS (DELETE FROM sap_engine_events WHERE (SELECT held FROM lock) "
        "  AND received_at < now() - make_interval(days => %s::int) RETURNING 1), "
        "probes AS (DELETE FROM sap_queue_probes WHERE (SELECT held FROM lock) "
        "  AND created_at < now() - interval '1 day' RETURNING 1) "
        "SELECT (SELECT held FROM lock)::int, (SELECT count(*) FROM history), "
        "(SELECT count(*) FROM states), (SELECT count(*) FROM jobs), "
        "(SELECT count(*) FROM events), (SELECT count(*) FROM probes)"},
    /* The probe and its job in one statement: both or neither. */
    {SQL_PROBE_CREATE, "WITH probe AS (INSERT INTO sap_queue_probes (requested_by) VALUES (%s) RETURNING id), "
        "job AS (INSERT INTO sap_jobs (kind, payload) SELECT 'queue.probe', "
        "  jsonb_build_object('probe_id', probe.id) || %s::jsonb FROM probe RETURNING id) "
        "SELECT (SELECT id FROM probe), (SELECT id FROM job)"},
    {SQL_PROBE_RECORD_RUN, "UPDATE sap_queue_probes SET runs = runs + 1, ran_at = now(), ran_by = %s "
        "WHERE id = %s::bigint"},
    {SQL_PROBE_GET, "SELECT p.id, j.id, p.requested_by, "
        SQL_ISO("p.created_at") ", " SQL_ISO("p.ran_at") ", p.ran_by, p.runs, "
        "j.state, j.attempts FROM sap_queue_probes p "
        "LEFT JOIN sap_jobs j ON j.kind = 'queue.probe' AND (j.payload->>'probe_id')::bigint = p.id "
        "WHERE p.id = %s::bigint"},
};

/* ---- sessions ---- */

static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *dbd_prepare_fn;
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire_fn;
static APR_OPTIONAL_FN_TYPE(ap_dbd_open) *dbd_open_fn;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) *dbd_close_fn;

typedef struct dbd_session_t {
    ap_dbd_t *dbd;
    server_rec *server;
    int owned;                /* opened with ap_dbd_open: ours to close */
} dbd_session_t;

static const sap_store_ops_t dbd_store_ops;

int mod_sap_store_available(void)
{
    return APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare) && APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire)
           && APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open) && APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
}

static void prepare_table(server_rec *s, const mod_sap_statement_t *table, apr_size_t count)
{
    apr_size_t i;

    for (i = 0; i < count; i++) {
        dbd_prepare_fn(s, table[i].sql, table[i].label);
    }
}

apr_status_t mod_sap_store_prepare(server_rec *s, apr_pool_t *ptemp)
{
    dbd_prepare_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    dbd_acquire_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    dbd_open_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    dbd_close_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    if (!dbd_prepare_fn || !dbd_acquire_fn || !dbd_open_fn || !dbd_close_fn) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                     "mod_dbd is not loaded: add 'LoadModule dbd_module ...' and "
                     "DBDriver pgsql / DBDParams (mod_slack_approvals stores in PostgreSQL)");
        return APR_EINIT;
    }
    prepare_table(s, statements, sizeof(statements) / sizeof(statements[0]));
    prepare_table(s, mod_sap_conn_statements, mod_sap_conn_statement_count);
    prepare_table(s, mod_sap_dispatch_statements, mod_sap_dispatch_statement_count);
    prepare_table(s, mod_sap_interact_statements, mod_sap_interact_statement_count);
    prepare_table(s, mod_sap_settings_statements, mod_sap_settings_statement_count);
    return APR_SUCCESS;
}

static sap_store_t *store_wrap(apr_pool_t *pool, server_rec *s, ap_dbd_t *dbd, int owned)
{
    sap_store_t *store = apr_pcalloc(pool, sizeof(*store));
    dbd_session_t *session = apr_pcalloc(pool, sizeof(*session));

    session->dbd = dbd;
    session->server = s;
    session->owned = owned;
    store->ops = &dbd_store_ops;
    store->baton = session;
    store->pool = pool;
    return store;
}

apr_status_t mod_sap_store_for_request(request_rec *r, sap_store_t **pstore)
{
    ap_dbd_t *dbd = dbd_acquire_fn ? dbd_acquire_fn(r) : NULL;

    *pstore = NULL;
    if (!dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "database unavailable (mod_dbd gave no connection)");
        return APR_EGENERAL;
    }
    *pstore = store_wrap(r->pool, r->server, dbd, 0);
    return APR_SUCCESS;
}

apr_status_t mod_sap_store_open(server_rec *s, apr_pool_t *pool, sap_store_t **pstore)
{
    ap_dbd_t *dbd = dbd_open_fn ? dbd_open_fn(pool, s) : NULL;

    *pstore = NULL;
    if (!dbd) {
        return APR_EGENERAL;
    }
    *pstore = store_wrap(pool, s, dbd, 1);
    return APR_SUCCESS;
}

void mod_sap_store_close(sap_store_t *store)
{
    dbd_session_t *session = store ? store->baton : NULL;

    if (session && session->owned && session->dbd) {
        dbd_close_fn(session->server, session->dbd);
        session->dbd = NULL;
    }
}

/* ---- statement helpers: every call checked, every row read ---- */

static apr_dbd_prepared_t *statement(dbd_session_t *session, const char *label)
{
    apr_dbd_prepared_t *stmt = apr_hash_get(session->dbd->prepared, label, APR_HASH_KEY_STRING);

    if (!stmt) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, session->server,
                     "statement %s is not prepared (is the schema migrated? run sap-migrate)", label);
    }
    return stmt;
}

static void log_db_error(dbd_session_t *session, const char *label, int err)
{
    const char *why = apr_dbd_error(session->dbd->driver, session->dbd->handle, err);

    ap_log_error(APLOG_MARK, APLOG_ERR, 0, session->server, "SQL %s failed: %s",
                 label, why ? why : "(no message)");
}

apr_status_t mod_sap_dbd_query(sap_store_t *store, const char *label, int nargs,
                               const char **args, int *paffected)
{
    dbd_session_t *session = store->baton;
    apr_dbd_prepared_t *stmt = statement(session, label);
    int affected = 0, err;

    if (!stmt) {
        return APR_EGENERAL;
    }
    err = apr_dbd_pquery(session->dbd->driver, store->pool, session->dbd->handle,
                         &affected, stmt, nargs, args);
    if (err) {
        log_db_error(session, label, err);
        return APR_EGENERAL;
    }
    if (paffected) {
        *paffected = affected;
    }
    return APR_SUCCESS;
}

/* A column as text, NULL for SQL NULL (apr_dbd_get_entry would give ""
 * for NULL with the pgsql driver). */
static const char *column_text(const apr_dbd_driver_t *driver, apr_pool_t *pool,
                               apr_dbd_row_t *row, int col)
{
    char *value = NULL;

    if (apr_dbd_datum_get(driver, row, col, APR_DBD_TYPE_STRING, &value) != APR_SUCCESS
        || !value) {
        return NULL;
    }
    return apr_pstrdup(pool, value);
}

typedef struct first_row_t {
    int found;
    int ncols;
    const char **cols;
} first_row_t;

static void keep_first_row(void *baton, apr_pool_t *pool, const char **cols)
{
    first_row_t *first = baton;
    int i;

    if (!first->found) {
        for (i = 0; i < first->ncols; i++) {
            first->cols[i] = cols[i];
        }
        first->found = 1;
    }
}

apr_status_t mod_sap_dbd_select_row(sap_store_t *store, apr_pool_t *pool, const char *label,
                                    int nargs, const char **args, int ncols, const char **cols)
{
    first_row_t first = {0, ncols, cols};
    apr_status_t rv = mod_sap_dbd_select_each(store, pool, label, nargs, args, ncols,
                                              keep_first_row, &first);

    return rv == APR_SUCCESS && !first.found ? APR_NOTFOUND : rv;
}

apr_status_t mod_sap_dbd_select_each(sap_store_t *store, apr_pool_t *pool, const char *label,
                                     int nargs, const char **args, int ncols,
                                     mod_sap_dbd_row_fn *row_fn, void *baton)
{
    dbd_session_t *session = store->baton;
    apr_dbd_prepared_t *stmt = statement(session, label);
    const apr_dbd_driver_t *driver = session->dbd->driver;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char **cols = apr_pcalloc(pool, sizeof(*cols) * (ncols > 0 ? ncols : 1));
    int err, i;

    if (!stmt) {
        return APR_EGENERAL;
    }
    /* random = 1: the pgsql driver then runs the statement synchronously and
     * reports errors here; in sequential mode an error would only surface
     * as "no more rows" and look like an empty result. */
    err = apr_dbd_pselect(driver, pool, session->dbd->handle, &res, stmt, 1, nargs, args);
    if (err) {
        log_db_error(session, label, err);
        return APR_EGENERAL;
    }
    while (apr_dbd_get_row(driver, pool, res, &row, -1) == 0) {
        for (i = 0; i < ncols; i++) {
            cols[i] = column_text(driver, pool, row, i);
        }
        row_fn(baton, pool, cols);
    }
    return APR_SUCCESS;
}

apr_status_t mod_sap_dbd_transaction(sap_store_t *store, mod_sap_dbd_tx_fn *body, void *baton)
{
    dbd_session_t *session = store->baton;
    const apr_dbd_driver_t *driver = session->dbd->driver;
    apr_dbd_transaction_t *tx = NULL;
    apr_status_t rv;
    int err;

    if ((err = apr_dbd_transaction_start(driver, store->pool, session->dbd->handle, &tx))) {
        log_db_error(session, "BEGIN", err);
        return APR_EGENERAL;
    }
    rv = body(store, baton);
    if (rv != APR_SUCCESS) {
        apr_dbd_transaction_mode_set(driver, tx, APR_DBD_TRANSACTION_ROLLBACK);
    }
    /* The driver rolls back by itself when a statement inside failed. */
    if ((err = apr_dbd_transaction_end(driver, store->pool, tx)) && rv == APR_SUCCESS) {
        log_db_error(session, "COMMIT", err);
        rv = APR_EGENERAL;
    }
    return rv;
}

apr_int64_t mod_sap_dbd_int64(const char *text)
{
    return text ? apr_atoi64(text) : 0;
}

const char *mod_sap_dbd_text(apr_pool_t *pool, apr_int64_t number)
{
    return apr_psprintf(pool, "%" APR_INT64_T_FMT, number);
}

/* ---- operations ---- */

static apr_status_t op_schema_version(sap_store_t *store, int *pversion)
{
    const char *version = NULL;
    apr_status_t rv = mod_sap_dbd_select_row(store, store->pool, SQL_SCHEMA_VERSION, 0, NULL, 1, &version);

    *pversion = rv == APR_SUCCESS ? (int)mod_sap_dbd_int64(version) : 0;
    return rv;
}

static apr_status_t op_job_claim(sap_store_t *store, apr_pool_t *pool, apr_int64_t job_id,
                                 const char *owner, int lease_sec, sap_job_t **pjob)
{
    const char *args[] = {owner, mod_sap_dbd_text(pool, lease_sec), mod_sap_dbd_text(pool, job_id)};
    const char *cols[5] = {NULL};
    sap_job_t *job;
    apr_status_t rv;

    *pjob = NULL;
    if (job_id) {
        rv = mod_sap_dbd_select_row(store, pool, SQL_JOB_CLAIM_ID, 3, args, 5, cols);
    }
    /* A dead worker's job first: it has waited a whole lease already. */
    else if ((rv = mod_sap_dbd_select_row(store, pool, SQL_JOB_CLAIM_EXPIRED, 2, args, 5, cols))
             == APR_NOTFOUND) {
        rv = mod_sap_dbd_select_row(store, pool, SQL_JOB_CLAIM_DUE, 2, args, 5, cols);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    job = apr_pcalloc(pool, sizeof(*job));
    job->id = mod_sap_dbd_int64(cols[0]);
    job->kind = cols[1];
    job->payload = cols[2];
    job->attempts = (int)mod_sap_dbd_int64(cols[3]);
    job->max_attempts = (int)mod_sap_dbd_int64(cols[4]);
    *pjob = job;
    return APR_SUCCESS;
}

static apr_status_t settle(sap_store_t *store, const char *label, int nargs, const char **args)
{
    int affected = 0;
    apr_status_t rv = mod_sap_dbd_query(store, label, nargs, args, &affected);

    return rv == APR_SUCCESS && affected == 0 ? APR_NOTFOUND : rv;
}

/* A lease is this owner's claim number `attempts` of the job: threads of one
 * process share the owner name, and a claim always increments attempts. */
#define LEASE_ARGS(store, job, owner) \
    mod_sap_dbd_text((store)->pool, (job)->id), (owner), mod_sap_dbd_text((store)->pool, (job)->attempts)

static apr_status_t op_job_finish(sap_store_t *store, const sap_job_t *job, const char *owner)
{
    const char *args[] = {LEASE_ARGS(store, job, owner)};

    return settle(store, SQL_JOB_FINISH, 3, args);
}

static apr_status_t op_job_retry(sap_store_t *store, const sap_job_t *job, const char *owner,
                                 int delay_sec, const char *error)
{
    const char *args[] = {mod_sap_dbd_text(store->pool, delay_sec), error, LEASE_ARGS(store, job, owner)};

    return settle(store, SQL_JOB_RETRY, 5, args);
}

static apr_status_t op_job_fail(sap_store_t *store, const sap_job_t *job, const char *owner,
                                const char *error)
{
    const char *args[] = {error, LEASE_ARGS(store, job, owner)};

    return settle(store, SQL_JOB_FAIL, 4, args);
}

static apr_status_t op_job_defer(sap_store_t *store, const sap_job_t *job, const char *owner,
                                 int delay_sec, const char *error)
{
    const char *args[] = {mod_sap_dbd_text(store->pool, delay_sec), error, LEASE_ARGS(store, job, owner)};

    return settle(store, SQL_JOB_DEFER, 5, args);
}

static apr_status_t op_queue_stats(sap_store_t *store, sap_queue_stats_t *stats)
{
    const char *cols[3] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, store->pool, SQL_QUEUE_STATS, 0, NULL, 3, cols);

    stats->queued = mod_sap_dbd_int64(cols[0]);
    stats->running = mod_sap_dbd_int64(cols[1]);
    stats->failed = mod_sap_dbd_int64(cols[2]);
    return rv;
}

static apr_status_t op_cleanup(sap_store_t *store, int history_days, sap_cleanup_counts_t *counts)
{
    const char *days = mod_sap_dbd_text(store->pool, history_days);
    const char *args[] = {days, days, days};
    const char *cols[6] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, store->pool, SQL_CLEANUP, 3, args, 6, cols);

    counts->ran = (int)mod_sap_dbd_int64(cols[0]);
    counts->history = mod_sap_dbd_int64(cols[1]);
    counts->oauth_states = mod_sap_dbd_int64(cols[2]);
    counts->jobs = mod_sap_dbd_int64(cols[3]);
    counts->events = mod_sap_dbd_int64(cols[4]);
    counts->probes = mod_sap_dbd_int64(cols[5]);
    return rv;
}

static apr_status_t op_probe_create(sap_store_t *store, const char *requested_by,
                                    const char *payload_extra, apr_int64_t *pprobe_id,
                                    apr_int64_t *pjob_id)
{
    const char *args[] = {requested_by, payload_extra ? payload_extra : "{}"};
    const char *cols[2] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, store->pool, SQL_PROBE_CREATE, 2, args, 2, cols);

    *pprobe_id = mod_sap_dbd_int64(cols[0]);
    *pjob_id = mod_sap_dbd_int64(cols[1]);
    return rv;
}

static apr_status_t op_probe_record_run(sap_store_t *store, apr_int64_t probe_id, const char *owner)
{
    const char *args[] = {owner, mod_sap_dbd_text(store->pool, probe_id)};

    return settle(store, SQL_PROBE_RECORD_RUN, 2, args);
}

static apr_status_t op_probe_get(sap_store_t *store, apr_pool_t *pool, apr_int64_t probe_id,
                                 sap_probe_t **pprobe)
{
    const char *args[] = {mod_sap_dbd_text(pool, probe_id)};
    const char *cols[9] = {NULL};
    sap_probe_t *probe;
    apr_status_t rv = mod_sap_dbd_select_row(store, pool, SQL_PROBE_GET, 1, args, 9, cols);

    *pprobe = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    probe = apr_pcalloc(pool, sizeof(*probe));
    probe->id = mod_sap_dbd_int64(cols[0]);
    probe->job_id = mod_sap_dbd_int64(cols[1]);
    probe->requested_by = cols[2];
    probe->created_at = cols[3];
    probe->ran_at = cols[4];
    probe->ran_by = cols[5];
    probe->runs = (int)mod_sap_dbd_int64(cols[6]);
    probe->job_state = cols[7];
    probe->job_attempts = (int)mod_sap_dbd_int64(cols[8]);
    *pprobe = probe;
    return APR_SUCCESS;
}

static const sap_store_ops_t dbd_store_ops = {
    .schema_version = op_schema_version,
    .job_claim = op_job_claim,
    .job_finish = op_job_finish,
    .job_retry = op_job_retry,
    .job_fail = op_job_fail,
    .job_defer = op_job_defer,
    .queue_stats = op_queue_stats,
    .cleanup = op_cleanup,
    .probe_create = op_probe_create,
    .probe_record_run = op_probe_record_run,
    .probe_get = op_probe_get,
    .oauth_state_create = mod_sap_dbd_oauth_state_create,
    .oauth_state_consume = mod_sap_dbd_oauth_state_consume,
    .connection_install = mod_sap_dbd_connection_install,
    .connection_list = mod_sap_dbd_connection_list,
    .connection_get = mod_sap_dbd_connection_get,
    .connection_rename = mod_sap_dbd_connection_rename,
    .connection_set_default = mod_sap_dbd_connection_set_default,
    .connection_delete = mod_sap_dbd_connection_delete,
    .connection_mark = mod_sap_dbd_connection_mark,
    .connection_update_token = mod_sap_dbd_connection_update_token,
    .instance_errors_list = mod_sap_dbd_instance_errors_list,
    .event_store = mod_sap_dbd_event_store,
    .event_get = mod_sap_dbd_event_get,
    .interaction_enqueue = mod_sap_dbd_interaction_enqueue,
    .event_latest = mod_sap_dbd_event_latest,
    .message_get = mod_sap_dbd_message_get,
    .delivery_seen = mod_sap_dbd_delivery_seen,
    .delivery_record = mod_sap_dbd_delivery_record,
    .history_list = mod_sap_dbd_history_list,
    .settings_get = mod_sap_dbd_settings_get,
    .settings_put = mod_sap_dbd_settings_put,
    .definition_get = mod_sap_dbd_definition_get,
    .definition_put = mod_sap_dbd_definition_put,
    .definition_delete = mod_sap_dbd_definition_delete,
    .definition_list = mod_sap_dbd_definition_list,
    .template_get = mod_sap_dbd_template_get,
    .template_put = mod_sap_dbd_template_put,
    .template_delete = mod_sap_dbd_template_delete,
    .template_list = mod_sap_dbd_template_list,
};
