/* The store's SQL for Slack interactions: click jobs queued once, the
 * newest event of a step, the message a click came from. */
#include <apr_strings.h>
#include <httpd.h>

#include "mod_sap_store_dbd_int.h"

#define SQL_INTERACTION_ENQUEUE "sap_interaction_enqueue"
#define SQL_EVENT_LATEST        "sap_event_latest"
#define SQL_MESSAGE_GET         "sap_message_get"

const mod_sap_statement_t mod_sap_interact_statements[] = {
    /* No row back: a job with this key is queued, running or done. A failed
     * one starts over, so a click after "try again" is heard. */
    {SQL_INTERACTION_ENQUEUE, "INSERT INTO sap_jobs (kind, payload, dedup_key) "
        "VALUES (%s, %s::jsonb, %s) "
        "ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO UPDATE SET "
        "state = 'queued', payload = EXCLUDED.payload, attempts = 0, run_after = now(), "
        "lease_owner = NULL, lease_until = NULL, last_error = NULL, finished_at = NULL, "
        "updated_at = now() WHERE sap_jobs.state = 'failed' RETURNING id"},
    {SQL_EVENT_LATEST, "SELECT event_id, payload::text, " SQL_ISO("dispatched_at")
        " FROM sap_engine_events WHERE product = %s AND approval_id = %s AND step_id = %s "
        "ORDER BY received_at DESC LIMIT 1"},
    {SQL_MESSAGE_GET, "SELECT coalesce(connection_id, 0), kind, recipient_slack_user, "
        "recipient_account_id, recipient_email, delegate_of, event_id FROM sap_slack_messages "
        "WHERE channel_id = %s AND ts = %s "
        "ORDER BY (recipient_slack_user IS NOT DISTINCT FROM %s) DESC, id LIMIT 1"},
};
const apr_size_t mod_sap_interact_statement_count =
    sizeof(mod_sap_interact_statements) / sizeof(mod_sap_interact_statements[0]);

apr_status_t mod_sap_dbd_interaction_enqueue(sap_store_t *store, apr_pool_t *pool,
                                             const char *kind, const char *payload,
                                             const char *dedup_key, apr_int64_t *pjob_id)
{
    const char *args[] = {kind, payload, dedup_key};
    const char *id = NULL;
    apr_status_t rv = mod_sap_dbd_select_row(store, pool, SQL_INTERACTION_ENQUEUE, 3, args, 1,
                                             &id);

    *pjob_id = rv == APR_SUCCESS ? mod_sap_dbd_int64(id) : 0;
    return rv == APR_NOTFOUND ? APR_EEXIST : rv;
}

apr_status_t mod_sap_dbd_event_latest(sap_store_t *store, apr_pool_t *pool, const char *product,
                                      const char *approval_id, const char *step_id,
                                      sap_event_record_t **pevent)
{
    const char *args[] = {product, approval_id, step_id};
    const char *cols[MOD_SAP_EVENT_NCOLS] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, pool, SQL_EVENT_LATEST, 3, args,
                                             MOD_SAP_EVENT_NCOLS, cols);

    *pevent = rv == APR_SUCCESS ? mod_sap_dbd_event_record(pool, cols) : NULL;
    return rv;
}

apr_status_t mod_sap_dbd_message_get(sap_store_t *store, apr_pool_t *pool, const char *channel_id,
                                     const char *ts, const char *slack_user,
                                     sap_message_ref_t **pmessage)
{
    const char *args[] = {channel_id, ts, slack_user};
    const char *cols[7] = {NULL};
    sap_message_ref_t *message;
    apr_status_t rv = mod_sap_dbd_select_row(store, pool, SQL_MESSAGE_GET, 3, args, 7, cols);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    message = apr_pcalloc(pool, sizeof(*message));
    message->connection_id = mod_sap_dbd_int64(cols[0]);
    message->kind = cols[1];
    message->recipient_slack_user = cols[2];
    message->recipient_account_id = cols[3];
    message->recipient_email = cols[4];
    message->delegate_of = cols[5];
    message->event_id = cols[6];
    *pmessage = message;
    return APR_SUCCESS;
}
