/* POST /slack/events — Slack's Events API, signed with the signing secret. */
#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <jansson.h>

#include "mod_sap_http.h"
#include "mod_sap_lifecycle.h"
#include "mod_sap_router.h"
#include "mod_sap_store_dbd.h"
#include "sap_connections.h"
#include "sap_json_keys.h"

APLOG_USE_MODULE(slack_approvals);

#define SLACK_TIMESTAMP_HEADER "X-Slack-Request-Timestamp"
#define SLACK_SIGNATURE_HEADER "X-Slack-Signature"
#define SLACK_RETRY_NUM_HEADER "X-Slack-Retry-Num"
#define SLACK_EVENT_URL_VERIFICATION "url_verification"
#define SLACK_EVENT_CALLBACK "event_callback"
#define SLACK_EVENT_APP_UNINSTALLED "app_uninstalled"
#define SLACK_EVENT_TOKENS_REVOKED "tokens_revoked"

static int answer_challenge(mod_sap_route_ctx_t *ctx, json_t *envelope)
{
    const char *challenge = json_string_value(json_object_get(envelope, SAP_JK_CHALLENGE));

    if (!challenge) {
        return mod_sap_http_send_error(ctx->r, HTTP_BAD_REQUEST, "missing_field",
                                       "url_verification without a challenge");
    }
    return mod_sap_http_send_json(ctx->r, HTTP_OK,
                                  json_pack("{s:s}", SAP_JK_CHALLENGE, challenge));
}

static int acknowledge(request_rec *r)
{
    return mod_sap_http_send_json(r, HTTP_OK, json_object());
}

/* tokens_revoked lists user ids whose tokens went: ours is the bot user's.
 * (User tokens, "oauth", are not something the module holds.) */
static int bot_token_revoked(const json_t *event, const char *bot_user_id)
{
    json_t *bots = json_object_get(json_object_get(event, SAP_JK_TOKENS), SAP_JK_BOT);
    size_t i;

    for (i = 0; bot_user_id && i < json_array_size(bots); i++) {
        const char *each = json_string_value(json_array_get(bots, i));

        if (each && !strcmp(each, bot_user_id)) {
            return 1;
        }
    }
    return 0;
}

/* app_uninstalled / tokens_revoked: the team's connection stops working.
 * A write to our own database only, so the answer stays well inside
 * Slack's 3 seconds; Slack's retries find the work done (idempotent). */
static int connection_lost(mod_sap_route_ctx_t *ctx, json_t *envelope, const json_t *event,
                           const char *type)
{
    request_rec *r = ctx->r;
    mod_sap_services_t *services = mod_sap_services();
    const char *team_id = json_string_value(json_object_get(envelope, SAP_JK_TEAM_ID));
    int uninstalled = !strcmp(type, SLACK_EVENT_APP_UNINSTALLED);
    sap_store_t *store = NULL;
    sap_connection_t *conn = NULL;
    sap_connections_t env;
    sap_mark_result_t marked = {0};
    apr_status_t rv;

    if (!team_id) {
        return mod_sap_http_send_error(r, HTTP_BAD_REQUEST, "missing_field", "The event has no team_id.");
    }
    if (!services || mod_sap_store_for_request(r, &store) != APR_SUCCESS) {
        /* Not 200: Slack retries later (1 min, 5 min), when the database may be back. */
        return mod_sap_http_db_unavailable(r, NULL);
    }
    rv = store->ops->connection_get(store, r->pool, 0, team_id, 0, &conn);
    if (rv == APR_NOTFOUND) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "Slack %s for unknown workspace %s ignored",
                      type, team_id);
        return acknowledge(r);
    }
    if (rv == APR_SUCCESS && !uninstalled && !bot_token_revoked(event, conn->bot_user_id)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "tokens_revoked for %s does not name our bot",
                      team_id);
        return acknowledge(r);
    }
    mod_sap_services_connections(services, store, &env);
    if (rv != APR_SUCCESS
        || sap_connections_event(&env, r->pool, team_id,
                                 uninstalled ? SAP_CONN_UNINSTALLED : SAP_CONN_REVOKED,
                                 json_integer_value(json_object_get(envelope, SAP_JK_EVENT_TIME)),
                                 &marked) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(r, NULL);
    }
    ap_log_rerror(APLOG_MARK, marked.changed ? APLOG_WARNING : APLOG_INFO, 0, r,
                  "Slack %s for workspace %s%s%s", type, team_id,
                  marked.changed ? ": connection marked " : " (no change)",
                  marked.changed ? (uninstalled ? SAP_CONN_UNINSTALLED : SAP_CONN_REVOKED) : "");
    return acknowledge(r);
}

static int event_callback(mod_sap_route_ctx_t *ctx, json_t *envelope)
{
    json_t *event = json_object_get(envelope, SAP_JK_EVENT);
    const char *type = json_string_value(json_object_get(event, SAP_JK_TYPE));
    const char *retry = apr_table_get(ctx->r->headers_in, SLACK_RETRY_NUM_HEADER);

    if (!type) {
        return mod_sap_http_send_error(ctx->r, HTTP_BAD_REQUEST, "missing_field",
                                       "The event_callback has no event.type.");
    }
    if (retry) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, ctx->r, "Slack retry %s of event %s", retry,
                      json_string_value(json_object_get(envelope, SAP_JK_EVENT_ID)));
    }
    if (!strcmp(type, SLACK_EVENT_APP_UNINSTALLED) || !strcmp(type, SLACK_EVENT_TOKENS_REVOKED)) {
        return connection_lost(ctx, envelope, event, type);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, ctx->r, "Slack event %s ignored", type);
    return acknowledge(ctx->r);
}

int mod_sap_slack_events_post(mod_sap_route_ctx_t *ctx)
{
    mod_sap_body_t body;
    json_t *envelope = NULL;
    const char *type;
    int status;

    if ((status = mod_sap_http_read_signed(ctx->r, ctx->conf->signing_secret,
                                           SLACK_TIMESTAMP_HEADER, SLACK_SIGNATURE_HEADER,
                                           &body)) != OK
        || (status = mod_sap_http_parse_json(ctx->r, &body, &envelope)) != OK) {
        return status;
    }
    type = json_string_value(json_object_get(envelope, SAP_JK_TYPE));
    if (!type) {
        status = mod_sap_http_send_error(ctx->r, HTTP_BAD_REQUEST, "missing_field",
                                         "The event has no type.");
    }
    else if (!strcmp(type, SLACK_EVENT_URL_VERIFICATION)) {
        status = answer_challenge(ctx, envelope);
    }
    else if (!strcmp(type, SLACK_EVENT_CALLBACK)) {
        status = event_callback(ctx, envelope);
    }
    else {
        /* Acknowledge what we do not act on, so Slack does not retry it. */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, ctx->r, "Slack event of type %s ignored", type);
        status = acknowledge(ctx->r);
    }
    json_decref(envelope);
    return status;
}
