/* Notification dispatch (DESIGN section 7): an engine event becomes Slack
 * direct messages, channel messages and emails, each recorded in the
 * history.
 *
 * The request that accepts an event plans it (sap_dispatch_plan: the
 * mechanism and delivery mode decide the jobs) and stores the event with
 * those jobs in one statement. Two kinds of job, both idempotent:
 *
 *   notify.recipient {"event_id", "recipient": i, "via": "slack"|"email"}:
 *                    the recipient's DM (and each delegate's), or email;
 *   notify.channel   {"event_id", "fallback": bool}: the channel message
 *                    with mentions of everyone notified.
 *
 * Any Slack failure for a person ends in the email fallback and a FAILED
 * row; only a failure of our own database makes a job run again, and a
 * job run again skips what its history says was delivered. */
#ifndef SAP_DISPATCH_H
#define SAP_DISPATCH_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "sap_cache.h"
#include "sap_connections.h"
#include "sap_http.h"
#include "sap_settings.h"
#include "sap_slack.h"
#include "sap_store.h"
#include "sap_throttle.h"

#define SAP_JOB_KIND_RECIPIENT "notify.recipient"
#define SAP_JOB_KIND_CHANNEL   "notify.channel"

/* users.lookupByEmail calls in flight per process (the feature request). */
#define SAP_LOOKUP_CONCURRENCY 10

/* History kinds. */
#define SAP_KIND_DM      "dm"
#define SAP_KIND_CHANNEL "channel"
#define SAP_KIND_EMAIL   "email"

/* Our reasons for a FAILED row when Slack gave no code of its own. */
#define SAP_REASON_NO_WORKSPACE   "no_workspace"          /* no default connection */
#define SAP_REASON_INACTIVE       "connection_inactive"   /* revoked / uninstalled */
#define SAP_REASON_UNREADABLE     "token_unreadable"      /* key changed */
#define SAP_REASON_NO_CHANNEL     "no_channel_configured"
#define SAP_REASON_NO_RELAY       "no_mail_relay"

typedef struct sap_dispatch_env_t {
    sap_store_t *store;
    sap_cache_t *cache;                   /* NULL: no look-up cache */
    const sap_connections_t *connections;
    sap_slack_t *slack;
    const sap_settings_env_t *settings;
    sap_http_client_t *http;              /* for the SMTP relay */
    const char *mail_relay;               /* NULL: no email can be sent */
    const char *mail_from;
    sap_throttle_t *lookups;              /* SAP_LOOKUP_CONCURRENCY per process */
    volatile const int *cancel;
} sap_dispatch_env_t;

/* The jobs a validated event needs under these settings, appended to the
 * JSON array jobs as {"kind", "payload"} objects, and the outcome in words
 * ("slack (dm): 3 recipients", "native: nothing sent (…)"). No I/O. */
const char *sap_dispatch_plan(apr_pool_t *pool, const json_t *event,
                              const sap_settings_t *settings, json_t *jobs);

/* The jobs return
 *  APR_SUCCESS  the job is done (whatever Slack said: failures are history);
 *  APR_EAGAIN   run it again later (*perror: why): the database failed or
 *               the process is shutting down;
 *  APR_EINVAL   it can never succeed (*perror): no such event, bad payload. */

apr_status_t sap_dispatch_recipient(const sap_dispatch_env_t *env, apr_pool_t *pool,
                                    const json_t *payload, const char **perror);
apr_status_t sap_dispatch_channel(const sap_dispatch_env_t *env, apr_pool_t *pool,
                                  const json_t *payload, const char **perror);

/* The message a person (account_id; a delegate: with delegate_of) was sent
 * for event_id, rendered again with outcome_mrkdwn in place of the
 * decision buttons ({"text", "blocks"}, released with pool). APR_NOTFOUND
 * when the event does not name the person; APR_EINVAL / APR_EAGAIN as for
 * the jobs. */
apr_status_t sap_dispatch_render_decided(const sap_dispatch_env_t *env, apr_pool_t *pool,
                                         const char *event_id, const char *account_id,
                                         const char *delegate_of, const char *outcome_mrkdwn,
                                         json_t **pmessage, const char **perror);

#endif
