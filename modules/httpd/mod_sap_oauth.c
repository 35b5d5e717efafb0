/* Slack OAuth v2 install: GET /admin/slack/install (an admin starts it) and
 * GET /slack/oauth/callback (Slack sends the admin's browser back).
 *
 * The callback ends with a redirect to the settings page that says how it
 * went: ?slack_install=ok&outcome=created|updated|restored&team=NAME or
 * ?slack_install=error&reason=CODE. Never a code, state or token in it. */
#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>
#include <util_script.h>

#include "mod_sap_http.h"
#include "mod_sap_lifecycle.h"
#include "mod_sap_router.h"
#include "mod_sap_store_dbd.h"
#include "sap_connections.h"
#include "sap_json_keys.h"
#include "sap_oauth.h"
#include "sap_slack.h"
#include "sap_url.h"

APLOG_USE_MODULE(slack_approvals);

#define OAUTH_ARG_CODE  "code"
#define OAUTH_ARG_STATE "state"
#define OAUTH_ARG_ERROR "error"
#define OAUTH_ARG_REDIRECT_URI "redirect_uri"
#define SLACK_ACCESS_DENIED "access_denied"

/* Reasons the settings page explains (docs/connections.md lists them). */
#define REASON_BAD_STATE     "invalid_state"
#define REASON_EXPIRED_STATE "expired_state"
#define REASON_USED_STATE    "used_state"
#define REASON_OTHER_ADMIN   "other_admin"
#define REASON_NO_CODE       "missing_code"
#define REASON_MISSING_SCOPE "missing_scope"
#define REASON_LIMIT         "limit_reached"
#define REASON_TEAM_MISMATCH "team_mismatch"
#define REASON_UNAVAILABLE   "unavailable"

static const char *redirect_uri(apr_pool_t *pool, const mod_sap_config_t *conf)
{
    return sap_url_join(pool, conf->public_url, SAP_OAUTH_CALLBACK_PATH);
}

static int services_missing(request_rec *r)
{
    return mod_sap_http_send_error(r, HTTP_SERVICE_UNAVAILABLE, "unavailable",
                                   "The module is not ready in this server.");
}

/* GET /admin/slack/install → 302 to Slack's authorize page. */
int mod_sap_oauth_install(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    sap_store_t *store = NULL;
    const char *state = NULL;

    if (sap_oauth_state_new(r->pool, &state) != APR_SUCCESS) {
        return mod_sap_http_send_error(r, HTTP_INTERNAL_SERVER_ERROR, "no_randomness",
                                       "No random bytes for the OAuth state.");
    }
    if (mod_sap_store_for_request(r, &store) != APR_SUCCESS
        || store->ops->oauth_state_create(store, sap_oauth_state_hash(r->pool, state), r->user,
                                          SAP_OAUTH_STATE_TTL_SEC) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(r, NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "Slack install started by %s", r->user);
    return mod_sap_http_redirect(r, sap_oauth_authorize_url(r->pool, ctx->conf->slack_authorize_url,
                                                            ctx->conf->client_id,
                                                            SAP_OAUTH_BOT_SCOPES, state,
                                                            redirect_uri(r->pool, ctx->conf)));
}

/* ---- the callback ---- */

static int finish(mod_sap_route_ctx_t *ctx, const char *query)
{
    const char *settings = sap_url_join(ctx->r->pool, ctx->conf->public_url, SAP_SETTINGS_PATH);

    return mod_sap_http_redirect(ctx->r, apr_pstrcat(ctx->r->pool, settings, "?", query, NULL));
}

static int fail(mod_sap_route_ctx_t *ctx, const char *reason)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, ctx->r, "Slack install refused: %s", reason);
    return finish(ctx, apr_pstrcat(ctx->r->pool, "slack_install=error&reason=",
                                   sap_oauth_form_escape(ctx->r->pool, reason), NULL));
}

/* The state must be ours, fresh and unused, and (when this request is
 * authenticated too) belong to the same admin. NULL when it passes. */
static const char *check_state(mod_sap_route_ctx_t *ctx, sap_store_t *store, const char *state,
                               const char **padmin)
{
    request_rec *r = ctx->r;
    apr_status_t rv;

    if (!state || !sap_oauth_state_well_formed(state)) {
        return REASON_BAD_STATE;
    }
    rv = store->ops->oauth_state_consume(store, r->pool, sap_oauth_state_hash(r->pool, state), padmin);
    switch (rv) {
    case APR_SUCCESS:
        break;
    case APR_NOTFOUND:
        return REASON_BAD_STATE;
    case APR_TIMEUP:
        return REASON_EXPIRED_STATE;
    case APR_EEXIST:
        return REASON_USED_STATE;
    default:
        return REASON_UNAVAILABLE;
    }
    if (r->user && *padmin && strcmp(r->user, *padmin)) {
        return REASON_OTHER_ADMIN;
    }
    return NULL;
}

/* oauth.v2.access: the code for a bot token. NULL when granted. */
static const char *exchange_code(mod_sap_route_ctx_t *ctx, sap_slack_t *slack, const char *code,
                                 sap_oauth_grant_t *grant)
{
    request_rec *r = ctx->r;
    apr_table_t *args = apr_table_make(r->pool, 2);
    sap_slack_result_t result;
    const char *why = NULL;

    apr_table_setn(args, OAUTH_ARG_CODE, code);
    apr_table_setn(args, OAUTH_ARG_REDIRECT_URI, redirect_uri(r->pool, ctx->conf));
    if (sap_slack_call_form(slack, r->pool, "oauth.v2.access", NULL, args, ctx->conf->client_id,
                            (const char *)ctx->conf->client_secret->data, &result) != APR_SUCCESS) {
        return result.error;
    }
    if (sap_oauth_grant_read(r->pool, result.answer, grant, &why) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "oauth.v2.access: %s", why);
        return SAP_SLACK_ERR_BAD_ANSWER;
    }
    return NULL;
}

/* auth.test: the token works and is the workspace the grant names. */
static const char *confirm_token(sap_slack_t *slack, apr_pool_t *pool, const sap_oauth_grant_t *grant)
{
    sap_slack_result_t result;
    const char *team_id;

    if (sap_slack_call_form(slack, pool, "auth.test", grant->access_token, NULL, NULL, NULL,
                            &result) != APR_SUCCESS) {
        return result.error;
    }
    team_id = json_string_value(json_object_get(result.answer, SAP_JK_TEAM_ID));
    return team_id && !strcmp(team_id, grant->team_id) ? NULL : REASON_TEAM_MISMATCH;
}

static const char *outcome_name(sap_install_outcome_t outcome)
{
    return outcome == SAP_INSTALL_CREATED ? "created"
           : outcome == SAP_INSTALL_RESTORED ? "restored" : "updated";
}

static int install_grant(mod_sap_route_ctx_t *ctx, mod_sap_services_t *services, sap_store_t *store,
                         const sap_oauth_grant_t *grant, const char *admin)
{
    request_rec *r = ctx->r;
    sap_connections_t env;
    sap_install_result_t result;

    mod_sap_services_connections(services, store, &env);
    if (sap_connections_install(&env, r->pool, grant, admin, &result) != APR_SUCCESS) {
        return fail(ctx, REASON_UNAVAILABLE);
    }
    if (result.outcome == SAP_INSTALL_LIMIT) {
        return fail(ctx, REASON_LIMIT);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "Slack workspace %s (%s) %s by %s%s",
                  grant->team_id, grant->team_name ? grant->team_name : "", outcome_name(result.outcome),
                  admin ? admin : "?", result.mechanism_switched ? "; notifications now go to Slack" : "");
    return finish(ctx, apr_pstrcat(r->pool, "slack_install=ok&outcome=", outcome_name(result.outcome),
                                   "&team=", sap_oauth_form_escape(r->pool, grant->team_name
                                                                   ? grant->team_name : grant->team_id),
                                   NULL));
}

/* GET /slack/oauth/callback?code&state | ?error=access_denied&state */
int mod_sap_oauth_callback(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    mod_sap_services_t *services = mod_sap_services();
    apr_table_t *query = NULL;
    sap_store_t *store = NULL;
    sap_slack_t slack;
    sap_oauth_grant_t grant;
    const char *admin = NULL, *why, *code, *missing;

    if (!services) {
        return services_missing(r);
    }
    ap_args_to_table(r, &query);
    if (mod_sap_store_for_request(r, &store) != APR_SUCCESS) {
        return fail(ctx, REASON_UNAVAILABLE);
    }
    /* The state first, even for a denial: a forged callback learns nothing. */
    if ((why = check_state(ctx, store, apr_table_get(query, OAUTH_ARG_STATE), &admin))) {
        return fail(ctx, why);
    }
    if (apr_table_get(query, OAUTH_ARG_ERROR)) {
        return fail(ctx, strcmp(apr_table_get(query, OAUTH_ARG_ERROR), SLACK_ACCESS_DENIED)
                         ? "slack_error" : SLACK_ACCESS_DENIED);
    }
    if (!(code = apr_table_get(query, OAUTH_ARG_CODE)) || !*code) {
        return fail(ctx, REASON_NO_CODE);
    }
    mod_sap_services_slack(services, NULL, &slack);
    memset(&grant, 0, sizeof(grant));
    if ((why = exchange_code(ctx, &slack, code, &grant))) {
        return fail(ctx, why);
    }
    if ((missing = sap_oauth_missing_scopes(r->pool, SAP_OAUTH_BOT_SCOPES, grant.scope))) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "Slack install of %s lacks scopes %s",
                      grant.team_id, missing);
        return fail(ctx, REASON_MISSING_SCOPE);
    }
    if ((why = confirm_token(&slack, r->pool, &grant))) {
        return fail(ctx, why);
    }
    return install_grant(ctx, services, store, &grant, admin);
}
