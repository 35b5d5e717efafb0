/* The worker side of a click (DESIGN section 8): the jobs
 * interaction.decide and interaction.notice (sap_interactions.h).
 *
 * A decision: the clicking Slack user → users.info (email) → the engine's
 * GET /users?email= → the Atlassian account (cached 24 h found, 1 h not
 * found, in the cache dispatch uses) → POST {EngineURL}/decisions with the
 * click's request_id and on_behalf_of → an ephemeral message to the clicker
 * (response_url, else chat.postEphemeral) → once applied, the clicker's
 * own DM is rendered again without its buttons (chat.update). */
#ifndef SAP_DECIDE_H
#define SAP_DECIDE_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <jansson.h>

#include "sap_dispatch.h"

typedef struct sap_decide_env_t {
    const sap_dispatch_env_t *dispatch;   /* store, cache, connections, Slack, templates */
    const char *engine_url;               /* SlackApprovalsEngineURL */
    const char *engine_token;             /* bearer token; NULL: not configured */
} sap_decide_env_t;

/* Outcomes of a job:
 *  APR_SUCCESS  done: the engine answered (applied, already decided, not
 *               authorised, step gone) and the clicker was told;
 *  APR_EGENERAL nothing was decided and the clicker was told to try again
 *               (*perror why: no match, the engine unreachable): the job
 *               ends failed, so clicking again queues it anew;
 *  APR_EAGAIN   our database failed or the process is stopping: run again;
 *  APR_EINVAL   the payload is unusable. */
apr_status_t sap_decide_run(const sap_decide_env_t *env, apr_pool_t *pool, const json_t *payload,
                            const char **perror);

/* Cache entries of the identity look-up (area "slackid", id team:user). */
#define SAP_DECIDE_CACHE_AREA "slackid"

#endif
