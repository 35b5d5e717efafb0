/* The store's SQL for engine events, dispatch plans and deliveries. */
#include <apr_strings.h>
#include <httpd.h>

#include "mod_sap_store_dbd_int.h"

#define SQL_EVENT_STORE      "sap_event_store"
#define SQL_EVENT_GET        "sap_event_get"
#define SQL_DELIVERY_SEEN    "sap_delivery_seen"
#define SQL_DELIVERY_RECORD  "sap_delivery_record"
#define SQL_HISTORY_PREFIX   "sap_history_by_"

/* The history page: filters that are NULL do not apply; the total of
 * matching rows comes with every row (a window count). The order cannot be
 * a parameter: one statement per sort key and direction, id breaking ties
 * so pages do not overlap. */
#define HISTORY_COLUMNS \
    "id, " SQL_ISO("created_at") ", status, kind, notification_type, product, event_id, " \
    "approval_id, step_id, recipient, recipient_name, delegate_of, slack_user_id, channel, " \
    "coalesce(connection_id, 0), error, fallback, count(*) OVER ()"
#define HISTORY_NCOLS 18
#define HISTORY_SELECT_AS(label, key, dir) \
    {label, "SELECT " HISTORY_COLUMNS " FROM sap_notification_history " \
     "WHERE (%s::text IS NULL OR status = %s) " \
     "AND (%s::text IS NULL OR strpos(lower(recipient || ' ' || coalesce(recipient_name, '')), " \
     "lower(%s)) > 0) " \
     "AND (%s::timestamptz IS NULL OR created_at >= %s::timestamptz) " \
     "AND (%s::timestamptz IS NULL OR created_at < %s::timestamptz) " \
     "ORDER BY " key " " dir ", id " dir " LIMIT %s::int OFFSET %s::int"}
/* Labels in lower case: PostgreSQL folds the name PREPARE gives them. */
#define HISTORY_SELECT_DIR(key, dir, label_dir) \
    HISTORY_SELECT_AS(SQL_HISTORY_PREFIX key "_" label_dir, key, dir)
#define HISTORY_BOTH(key) HISTORY_SELECT_DIR(key, "ASC", "asc"), HISTORY_SELECT_DIR(key, "DESC", "desc")

const mod_sap_statement_t mod_sap_dispatch_statements[] = {
    /* The event, its plan and its jobs in one statement, so one round trip
     * makes them durable together. A known event_id inserts nothing: the
     * first column says whether the event was new. */
    {SQL_EVENT_STORE, "WITH ev AS (INSERT INTO sap_engine_events "
        "(event_id, type, product, approval_id, step_id, payload, outcome, dispatched_at) "
        "VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, now()) ON CONFLICT (event_id) DO NOTHING "
        "RETURNING event_id), "
        "jobs AS (INSERT INTO sap_jobs (kind, payload) "
        "SELECT j->>'kind', j->'payload' FROM ev, jsonb_array_elements(%s::jsonb) AS j "
        "RETURNING id) "
        "SELECT (SELECT count(*) FROM ev), coalesce((SELECT string_agg(id::text, ',') FROM jobs), '')"},
    {SQL_EVENT_GET, "SELECT event_id, payload::text, " SQL_ISO("dispatched_at")
        " FROM sap_engine_events WHERE event_id = %s"},
    {SQL_DELIVERY_SEEN, "SELECT 1 FROM sap_notification_history WHERE event_id = %s AND kind = %s "
        "AND recipient = %s AND coalesce(delegate_of, '') = coalesce(%s, '') AND status <> 'UPDATED'"},
    /* The message (when Slack gave a ts) and the history row at once. A
     * row that is already there (a job run again) keeps the first. */
    {SQL_DELIVERY_RECORD, "WITH msg AS (INSERT INTO sap_slack_messages (connection_id, channel_id, "
        "ts, product, approval_id, step_id, recipient_account_id, recipient_slack_user, delegate_of, "
        "kind, event_id, notification_type, recipient_email) "
        "SELECT nullif(%s::bigint, 0), %s, %s, %s, %s, coalesce(%s, ''), %s, %s, %s, "
        "CASE WHEN %s = 'channel' THEN 'channel' ELSE 'dm' END, %s, %s, %s "
        "WHERE %s::text IS NOT NULL RETURNING id) "
        "INSERT INTO sap_notification_history (event_id, product, notification_type, approval_id, "
        "step_id, recipient, recipient_name, channel, connection_id, status, error, delegate_of, kind, "
        "slack_user_id, fallback) "
        "SELECT %s, %s, %s, %s, %s, %s, %s, %s, nullif(%s::bigint, 0), %s, %s, %s, %s, %s, %s "
        "ON CONFLICT DO NOTHING"},
    HISTORY_BOTH(SAP_HISTORY_SORT_TIME),
    HISTORY_BOTH(SAP_HISTORY_SORT_RECIPIENT),
    HISTORY_BOTH(SAP_HISTORY_SORT_STATUS),
    HISTORY_BOTH(SAP_HISTORY_SORT_TYPE),
};
const apr_size_t mod_sap_dispatch_statement_count =
    sizeof(mod_sap_dispatch_statements) / sizeof(mod_sap_dispatch_statements[0]);

/* "12,13,14" → the ids. */
static apr_array_header_t *id_list(apr_pool_t *pool, const char *text)
{
    apr_array_header_t *ids = apr_array_make(pool, 4, sizeof(apr_int64_t));
    char *copy = apr_pstrdup(pool, text ? text : ""), *last = NULL, *each;

    for (each = apr_strtok(copy, ",", &last); each; each = apr_strtok(NULL, ",", &last)) {
        APR_ARRAY_PUSH(ids, apr_int64_t) = mod_sap_dbd_int64(each);
    }
    return ids;
}

apr_status_t mod_sap_dbd_event_store(sap_store_t *store, apr_pool_t *pool, const char *event_id,
                                     const char *type, const char *product,
                                     const char *approval_id, const char *step_id,
                                     const char *payload, const char *outcome,
                                     const char *jobs_json, apr_array_header_t **pjob_ids)
{
    const char *args[] = {event_id, type, product, approval_id, step_id, payload, outcome,
                          jobs_json};
    const char *cols[2] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, pool, SQL_EVENT_STORE, 8, args, 2, cols);

    *pjob_ids = id_list(pool, cols[1]);
    if (rv == APR_SUCCESS && mod_sap_dbd_int64(cols[0]) == 0) {
        return APR_EEXIST;
    }
    return rv;
}

apr_status_t mod_sap_dbd_event_get(sap_store_t *store, apr_pool_t *pool, const char *event_id,
                                   sap_event_record_t **pevent)
{
    const char *cols[MOD_SAP_EVENT_NCOLS] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, pool, SQL_EVENT_GET, 1, &event_id,
                                             MOD_SAP_EVENT_NCOLS, cols);

    *pevent = rv == APR_SUCCESS ? mod_sap_dbd_event_record(pool, cols) : NULL;
    return rv;
}

sap_event_record_t *mod_sap_dbd_event_record(apr_pool_t *pool, const char **cols)
{
    sap_event_record_t *event = apr_pcalloc(pool, sizeof(*event));

    event->event_id = cols[0];
    event->payload = cols[1];
    event->dispatched_at = cols[2];
    return event;
}

apr_status_t mod_sap_dbd_delivery_seen(sap_store_t *store, const char *event_id, const char *kind,
                                       const char *recipient, const char *delegate_of, int *pseen)
{
    const char *args[] = {event_id, kind, recipient, delegate_of};
    const char *cols[1] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, store->pool, SQL_DELIVERY_SEEN, 4, args, 1,
                                             cols);

    *pseen = rv == APR_SUCCESS;
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t mod_sap_dbd_delivery_record(sap_store_t *store, const sap_delivery_t *d)
{
    const char *connection = mod_sap_dbd_text(store->pool, d->connection_id);
    const char *args[] = {
        /* the message */
        connection, d->channel, d->ts, d->product, d->approval_id, d->step_id,
        d->recipient_account_id, d->slack_user_id, d->delegate_of, d->kind, d->event_id,
        d->notification_type, d->recipient, d->ts,
        /* the history row */
        d->event_id, d->product, d->notification_type, d->approval_id, d->step_id,
        d->recipient ? d->recipient : "", d->recipient_name, d->channel, connection, d->status,
        d->error, d->delegate_of, d->kind, d->slack_user_id, d->fallback,
    };

    return mod_sap_dbd_query(store, SQL_DELIVERY_RECORD, (int)(sizeof(args) / sizeof(args[0])),
                             args, NULL);
}

typedef struct history_page_t {
    apr_array_header_t *rows;
    apr_int64_t total;
} history_page_t;

static void collect_history(void *baton, apr_pool_t *pool, const char **cols)
{
    history_page_t *page = baton;
    sap_history_row_t *row = apr_array_push(page->rows);

    row->id = mod_sap_dbd_int64(cols[0]);
    row->created_at = cols[1];
    row->status = cols[2];
    row->kind = cols[3];
    row->notification_type = cols[4];
    row->product = cols[5];
    row->event_id = cols[6];
    row->approval_id = cols[7];
    row->step_id = cols[8];
    row->recipient = cols[9];
    row->recipient_name = cols[10];
    row->delegate_of = cols[11];
    row->slack_user_id = cols[12];
    row->channel = cols[13];
    row->connection_id = mod_sap_dbd_int64(cols[14]);
    row->error = cols[15];
    row->fallback = cols[16];
    page->total = mod_sap_dbd_int64(cols[17]);
}

apr_status_t mod_sap_dbd_history_list(sap_store_t *store, apr_pool_t *pool,
                                      const sap_history_query_t *q,
                                      apr_array_header_t **prows, apr_int64_t *ptotal)
{
    const char *label = apr_pstrcat(pool, SQL_HISTORY_PREFIX, q->sort, q->descending ? "_desc"
                                    : "_asc", NULL);
    const char *args[] = {
        q->status, q->status, q->recipient, q->recipient, q->from, q->from, q->to, q->to,
        apr_itoa(pool, q->limit), apr_itoa(pool, q->offset),
    };
    history_page_t page = {apr_array_make(pool, q->limit > 0 ? q->limit : 1,
                                          sizeof(sap_history_row_t)), 0};
    apr_status_t rv = mod_sap_dbd_select_each(store, pool, label, 10, args, HISTORY_NCOLS,
                                              collect_history, &page);

    *prows = page.rows;
    *ptotal = page.total;
    return rv;
}
