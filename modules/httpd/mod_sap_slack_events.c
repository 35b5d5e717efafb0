/* POST /slack/events — Slack's Events API, signed with the signing secret. */
#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <jansson.h>

#include "mod_sap_http.h"
#include "mod_sap_router.h"
#include "sap_json_keys.h"

APLOG_USE_MODULE(slack_approvals);

#define SLACK_TIMESTAMP_HEADER "X-Slack-Request-Timestamp"
#define SLACK_SIGNATURE_HEADER "X-Slack-Signature"
#define SLACK_EVENT_URL_VERIFICATION "url_verification"

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
    else {
        /* Acknowledge what we do not act on, so Slack does not retry it. */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, ctx->r, "Slack event of type %s ignored", type);
        status = mod_sap_http_send_json(ctx->r, HTTP_OK, json_object());
    }
    json_decref(envelope);
    return status;
}
