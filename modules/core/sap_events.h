/* Engine events (DESIGN section 6): validation at intake and the small
 * lookups every later step makes into an event. */
#ifndef SAP_EVENTS_H
#define SAP_EVENTS_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <jansson.h>

/* Ids (event, approval, step, definition, account) are at most this many
 * bytes: what the button values must carry stays far below Slack's 2000. */
#define SAP_EVENT_MAX_ID        200
/* More recipients than this in one event are refused (a step of 500
 * approvers is already a mailing list). */
#define SAP_EVENT_MAX_RECIPIENTS 500
#define SAP_EVENT_MAX_DELEGATES  20

/* Why an event was refused: the field (dotted, with [i] for array items,
 * e.g. "recipients[2].email") and a sentence. */
typedef struct sap_event_problem_t {
    const char *field;
    const char *message;
} sap_event_problem_t;

/* APR_SUCCESS, or APR_EINVAL with *problem. Unknown fields are ignored. */
apr_status_t sap_event_validate(apr_pool_t *pool, const json_t *event,
                                sap_event_problem_t *problem);

/* The value at a dotted path ("approval.subject.title"), NULL when absent. */
json_t *sap_json_path(const json_t *root, const char *path);
/* The string at a dotted path, NULL when absent or not a string. */
const char *sap_json_path_str(const json_t *root, const char *path);
/* The boolean at a dotted path, or dflt when absent or not a boolean. */
int sap_json_path_bool(const json_t *root, const char *path, int dflt);

/* json (a new reference, may be NULL) released when pool is cleared;
 * returns json. */
json_t *sap_json_pool(apr_pool_t *pool, json_t *json);

/* Whether delegates of the recipients get this type too (the types that
 * ask for a decision). */
int sap_event_notifies_delegates(const char *type);

#endif
