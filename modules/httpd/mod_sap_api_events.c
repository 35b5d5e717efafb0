/* POST /api/v1/events — the approval engine's notification events
 * (DESIGN section 6): signed with the engine secret, validated, planned
 * (the cached settings decide the jobs), stored with those jobs in one
 * statement, answered 202 once durable (200 for a duplicate event_id), then
 * handed to the workers. No outbound call here. */
#include <stdlib.h>
#include <httpd.h>
#include <http_log.h>
#include <jansson.h>

#include "mod_sap_http.h"
#include "mod_sap_lifecycle.h"
#include "mod_sap_router.h"
#include "mod_sap_store_dbd.h"
#include "mod_sap_workers.h"
#include "sap_dispatch.h"
#include "sap_events.h"
#include "sap_json_keys.h"

APLOG_USE_MODULE(slack_approvals);

#define ENGINE_TIMESTAMP_HEADER "X-Approvals-Request-Timestamp"
#define ENGINE_SIGNATURE_HEADER "X-Approvals-Signature"
#define STATUS_ACCEPTED  "accepted"
#define STATUS_DUPLICATE "duplicate"

static int refuse_event(request_rec *r, const sap_event_problem_t *problem)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "engine event refused: %s", problem->message);
    return mod_sap_http_send_json(r, HTTP_BAD_REQUEST,
                                  json_pack("{s:s, s:s, s:s}", SAP_JK_ERROR, "invalid_event",
                                            "field", problem->field,
                                            SAP_JK_MESSAGE, problem->message));
}

static int answer(request_rec *r, int status, const char *what, const char *event_id)
{
    return mod_sap_http_send_json(r, status, json_pack("{s:s, s:s}", SAP_JK_STATUS, what,
                                                       SAP_JK_EVENT_ID, event_id));
}

static int unavailable(request_rec *r)
{
    return mod_sap_http_db_unavailable(r, "The event could not be stored; send it again.");
}

/* The jobs the settings ask for, as JSON text, and the outcome in words. */
static apr_status_t plan_event(request_rec *r, sap_store_t *store, const json_t *event,
                               const char **poutcome, char **pjobs_json)
{
    sap_settings_env_t settings_env;
    sap_settings_t *settings = NULL;
    json_t *jobs;
    apr_status_t rv;

    mod_sap_services_settings(mod_sap_services(), store, NULL, NULL, &settings_env);
    if ((rv = sap_settings_get(&settings_env, r->pool, &settings)) != APR_SUCCESS) {
        return rv;
    }
    jobs = json_array();
    *poutcome = sap_dispatch_plan(r->pool, event, settings, jobs);
    *pjobs_json = json_dumps(jobs, JSON_COMPACT);
    json_decref(jobs);
    return *pjobs_json ? APR_SUCCESS : APR_ENOMEM;
}

static void push_jobs(const apr_array_header_t *job_ids)
{
    int i;

    for (i = 0; i < job_ids->nelts; i++) {
        mod_sap_workers_push(APR_ARRAY_IDX(job_ids, i, apr_int64_t));
    }
}

static int store_event(request_rec *r, const json_t *event, const mod_sap_body_t *body)
{
    sap_store_t *store = NULL;
    const char *event_id = sap_json_path_str(event, SAP_JK_EVENT_ID);
    const char *outcome = NULL;
    char *jobs_json = NULL;
    apr_array_header_t *job_ids = NULL;
    apr_status_t rv;

    if (!mod_sap_services() || mod_sap_store_for_request(r, &store) != APR_SUCCESS
        || plan_event(r, store, event, &outcome, &jobs_json) != APR_SUCCESS) {
        free(jobs_json);
        return unavailable(r);
    }
    /* The raw body is stored: it is the JSON the signature covered. */
    rv = store->ops->event_store(store, r->pool, event_id, sap_json_path_str(event, SAP_JK_TYPE),
                                 sap_json_path_str(event, "product"),
                                 sap_json_path_str(event, "approval.id"),
                                 sap_json_path_str(event, "step.id"), body->data, outcome,
                                 jobs_json, &job_ids);
    free(jobs_json);
    if (rv == APR_EEXIST) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "engine event %s again: ignored", event_id);
        return answer(r, HTTP_OK, STATUS_DUPLICATE, event_id);
    }
    if (rv != APR_SUCCESS) {
        return unavailable(r);
    }
    push_jobs(job_ids);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "event %s (%s %s for %s): %s", event_id,
                  sap_json_path_str(event, "product"), sap_json_path_str(event, SAP_JK_TYPE),
                  sap_json_path_str(event, "approval.id"), outcome);
    return answer(r, HTTP_ACCEPTED, STATUS_ACCEPTED, event_id);
}

int mod_sap_api_events_post(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    mod_sap_body_t body;
    sap_event_problem_t problem = {0};
    json_t *event = NULL;
    int status;

    if (!ctx->conf->engine_secret) {
        return mod_sap_http_send_error(r, HTTP_SERVICE_UNAVAILABLE, "not_configured",
                                       "SlackApprovalsEngineSecretFile is not set.");
    }
    if ((status = mod_sap_http_read_signed(r, ctx->conf->engine_secret, ENGINE_TIMESTAMP_HEADER,
                                           ENGINE_SIGNATURE_HEADER, &body)) != OK
        || (status = mod_sap_http_parse_json(r, &body, &event)) != OK) {
        return status;
    }
    status = sap_event_validate(r->pool, event, &problem) == APR_SUCCESS
             ? store_event(r, event, &body) : refuse_event(r, &problem);
    json_decref(event);
    return status;
}
