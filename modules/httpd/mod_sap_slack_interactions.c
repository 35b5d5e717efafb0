/* POST /slack/interactions — Slack's interactivity requests (DESIGN
 * section 8): block_actions, view_submission, view_closed.
 *
 * Slack wants a 200 within 3 seconds. A decision is stored as a job (the
 * worker asks the engine and answers the clicker), so a crash after the
 * 200 loses no click; the only outbound call made here is views.open, which
 * must happen inside the trigger_id's 3-second window. */
#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>
#include <jansson.h>

#include "mod_sap_http.h"
#include "mod_sap_lifecycle.h"
#include "mod_sap_router.h"
#include "mod_sap_store_dbd.h"
#include "mod_sap_workers.h"
#include "sap_events.h"
#include "sap_interactions.h"
#include "sap_json_keys.h"

APLOG_USE_MODULE(slack_approvals);

#define SLACK_TIMESTAMP_HEADER "X-Slack-Request-Timestamp"
#define SLACK_SIGNATURE_HEADER "X-Slack-Signature"
#define SLACK_RETRY_NUM_HEADER "X-Slack-Retry-Num"
#define FORM_CONTENT_TYPE      "application/x-www-form-urlencoded"
#define VIEWS_OPEN_TIMEOUT     apr_time_from_msec(2000)

/* What one request needs on its way. */
typedef struct interaction_t {
    request_rec *r;
    sap_store_t *store;
    json_t *payload;
    sap_click_t click;
} interaction_t;

/* 200 with an empty body: what Slack expects for block_actions, and for a
 * view_submission that closes the modal. */
static int acknowledge(request_rec *r)
{
    r->status = HTTP_OK;
    ap_set_content_length(r, 0);
    return OK;
}

static int unavailable(request_rec *r)
{
    return mod_sap_http_db_unavailable(r, "The click could not be stored; Slack shows it failed.");
}

static apr_status_t store_open(interaction_t *in)
{
    if (in->store) {
        return APR_SUCCESS;
    }
    return mod_sap_services() ? mod_sap_store_for_request(in->r, &in->store) : APR_EGENERAL;
}

static apr_status_t enqueue(interaction_t *in, const char *kind, const char *payload,
                            const char *dedup_key)
{
    apr_int64_t job_id = 0;
    apr_status_t rv;

    if (!payload || store_open(in) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    rv = in->store->ops->interaction_enqueue(in->store, in->r->pool, kind, payload, dedup_key,
                                             &job_id);
    if (rv == APR_EEXIST) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, in->r, "click %s again (double click or Slack "
                      "retry): already queued", dedup_key);
        return APR_SUCCESS;
    }
    if (rv == APR_SUCCESS) {
        mod_sap_workers_push(job_id);
    }
    return rv;
}

/* An ephemeral notice to the clicker, from a worker. */
static int notice(interaction_t *in, const char *what)
{
    const char *job = sap_interaction_notice_job(in->r->pool, &in->click, what);

    return enqueue(in, SAP_JOB_KIND_NOTICE, job, NULL) == APR_SUCCESS ? acknowledge(in->r)
                                                                     : unavailable(in->r);
}

static int decision_queue(interaction_t *in)
{
    const char *job = NULL, *request_id = NULL;

    if (sap_interaction_job(in->r->pool, &in->click, &job, &request_id) != APR_SUCCESS
        || enqueue(in, SAP_JOB_KIND_DECIDE, job, request_id) != APR_SUCCESS) {
        return unavailable(in->r);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, in->r, "%s by %s on %s %s/%s queued",
                  in->click.decision, in->click.user_id, in->click.product,
                  in->click.approval_id, in->click.step_id);
    return acknowledge(in->r);
}

/* ---- modals ---- */

static int team_token(interaction_t *in, sap_connections_t *env, sap_connection_token_t *token)
{
    sap_connection_t *conn = NULL;
    const char *error = NULL;

    mod_sap_services_connections(mod_sap_services(), in->store, env);
    return in->store->ops->connection_get(in->store, in->r->pool, 0, in->click.team_id, 0,
                                          &conn) == APR_SUCCESS
           && sap_connections_token(env, in->r->pool, conn->id, token, &error) == APR_SUCCESS;
}

static json_t *step_event(interaction_t *in, apr_status_t *prv)
{
    sap_event_record_t *record = NULL;

    *prv = in->store->ops->event_latest(in->store, in->r->pool, in->click.product,
                                        in->click.approval_id, in->click.step_id, &record);
    return *prv == APR_SUCCESS ? json_loads(record->payload, 0, NULL) : NULL;
}

static int views_open(interaction_t *in, json_t *view)
{
    sap_connections_t env;
    sap_connection_token_t token;
    sap_slack_t slack;
    sap_slack_result_t result = {0};
    json_t *body;
    int invalidated = 0;

    if (!in->click.trigger_id || !team_token(in, &env, &token)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, in->r, "modal for %s not opened: %s",
                      in->click.user_id, in->click.trigger_id ? "no usable connection for the "
                      "workspace" : "no trigger_id");
        return 0;
    }
    mod_sap_services_slack(mod_sap_services(), NULL, &slack);
    /* Slack's answer must leave in 3 s: one attempt, cut short. */
    slack.timeout = VIEWS_OPEN_TIMEOUT;
    slack.no_retry = 1;
    body = json_pack("{s:s, s:O}", "trigger_id", in->click.trigger_id, "view", view);
    sap_slack_call_json(&slack, in->r->pool, "views.open", token.token, body, &result);
    json_decref(body);
    if (!result.ok) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, in->r, "views.open for %s failed: %s",
                      in->click.user_id, result.error);
    }
    if (!result.ok && sap_slack_error_is_revocation(result.error)) {
        sap_connections_report_error(&env, in->r->pool, &token, result.error, &invalidated);
    }
    return result.ok;
}

/* Vote, or a decision whose step requires a comment: a modal, opened now. */
static int modal_open(interaction_t *in)
{
    apr_status_t rv;
    json_t *event, *view;
    const char *error = NULL;
    int opened;

    if (store_open(in) != APR_SUCCESS) {
        return unavailable(in->r);
    }
    event = step_event(in, &rv);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        return unavailable(in->r);
    }
    view = sap_interaction_modal(in->r->pool, &in->click, event, &error);
    json_decref(event);
    if (!view) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, in->r, "no modal for %s/%s: %s",
                      in->click.approval_id, in->click.step_id, error);
        return notice(in, SAP_NOTICE_STEP);
    }
    opened = views_open(in, view);
    json_decref(view);
    return opened ? acknowledge(in->r) : notice(in, SAP_NOTICE_MODAL);
}

/* ---- payload types ---- */

static int block_actions(interaction_t *in)
{
    const char *action_id = NULL;

    switch (sap_interaction_button(in->r->pool, in->payload, &in->click, &action_id)) {
    case SAP_BUTTON_LINK:
        return acknowledge(in->r);
    case SAP_BUTTON_UNKNOWN:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, in->r, "block_actions %s not supported",
                      action_id ? action_id : "(none)");
        return in->click.team_id && in->click.user_id ? notice(in, SAP_NOTICE_UNSUPPORTED)
                                                      : acknowledge(in->r);
    default:
        break;
    }
    if (!strcmp(in->click.decision, SAP_DECISION_VOTE) || in->click.comment_required) {
        return modal_open(in);
    }
    return decision_queue(in);
}

static int view_submission(interaction_t *in)
{
    json_t *errors = NULL;
    apr_status_t rv = sap_interaction_submission(in->r->pool, in->payload, &in->click, &errors);

    if (rv == APR_EINVAL) {
        return mod_sap_http_send_json(in->r, HTTP_OK,
                                      json_pack("{s:s, s:o}", "response_action", "errors",
                                                "errors", errors));
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, in->r, "view_submission %s not ours: closed",
                      sap_json_path_str(in->payload, "view.callback_id"));
        return acknowledge(in->r);
    }
    return decision_queue(in);
}

static int dispatch_payload(interaction_t *in)
{
    const char *type = json_string_value(json_object_get(in->payload, SAP_JK_TYPE));
    const char *retry = apr_table_get(in->r->headers_in, SLACK_RETRY_NUM_HEADER);

    if (retry) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, in->r, "Slack retry %s of an interaction", retry);
    }
    if (!type) {
        return mod_sap_http_send_error(in->r, HTTP_BAD_REQUEST, "missing_field",
                                       "The payload has no type.");
    }
    if (!strcmp(type, SAP_PAYLOAD_BLOCK_ACTIONS)) {
        return block_actions(in);
    }
    if (!strcmp(type, SAP_PAYLOAD_VIEW_SUBMISSION)) {
        return view_submission(in);
    }
    /* view_closed (a modal cancelled: nothing was decided) and the types
     * we do not use (shortcuts, message actions) are acknowledged. */
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, in->r, "interaction %s acknowledged", type);
    return acknowledge(in->r);
}

static int form_body(request_rec *r, const mod_sap_body_t *body, const char **ppayload)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    const char *error = NULL;

    if (!type || strncasecmp(type, FORM_CONTENT_TYPE, strlen(FORM_CONTENT_TYPE))) {
        return mod_sap_http_send_error(r, HTTP_BAD_REQUEST, "invalid_content_type",
                                       "Slack sends interactions as " FORM_CONTENT_TYPE ".");
    }
    if (sap_interaction_form_payload(r->pool, body->data, body->len, ppayload, &error)
        != APR_SUCCESS) {
        return mod_sap_http_send_error(r, HTTP_BAD_REQUEST, "invalid_form", error);
    }
    return OK;
}

int mod_sap_slack_interactions_post(mod_sap_route_ctx_t *ctx)
{
    interaction_t in = {0};
    mod_sap_body_t body;
    const char *payload_text = NULL;
    int status;

    in.r = ctx->r;
    if ((status = mod_sap_http_read_signed(ctx->r, ctx->conf->signing_secret,
                                           SLACK_TIMESTAMP_HEADER, SLACK_SIGNATURE_HEADER,
                                           &body)) != OK
        || (status = form_body(ctx->r, &body, &payload_text)) != OK) {
        return status;
    }
    in.payload = json_loads(payload_text, 0, NULL);
    if (!json_is_object(in.payload)) {
        json_decref(in.payload);
        return mod_sap_http_send_error(ctx->r, HTTP_BAD_REQUEST, "invalid_json",
                                       "The payload is not a JSON object.");
    }
    status = dispatch_payload(&in);
    json_decref(in.payload);
    return status;
}
