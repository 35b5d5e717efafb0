/* Admin API for workspace connections and instance errors:
 *   GET    /admin/api/connections
 *   PATCH  /admin/api/connections/{id}          {"display_name"}
 *   POST   /admin/api/connections/{id}/default
 *   POST   /admin/api/connections/{id}/test     {"channel"} | {"email"}
 *   DELETE /admin/api/connections/{id}
 *   GET    /admin/api/errors[?all=1]
 * Answers never carry a token, encrypted or not. */
#include <apr_lib.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>

#include "mod_sap_http.h"
#include "mod_sap_lifecycle.h"
#include "mod_sap_router.h"
#include "mod_sap_store_dbd.h"
#include "sap_connections.h"
#include "sap_settings.h"
#include "sap_json_keys.h"
#include "sap_oauth.h"
#include "sap_slack.h"
#include "sap_url.h"

APLOG_USE_MODULE(slack_approvals);

#define ADMIN_MAX_BODY        8192
#define DISPLAY_NAME_MAX      80
#define TEST_TEXT_MAX         500
#define INSTALL_PATH          "/admin/slack/install"
#define ACTION_DEFAULT        "default"
#define ACTION_TEST           "test"

/* One request's view of the connections. */
typedef struct conn_request_t {
    mod_sap_route_ctx_t *ctx;
    mod_sap_services_t *services;
    sap_store_t *store;
    sap_connections_t env;
} conn_request_t;

static int not_found(request_rec *r)
{
    return mod_sap_http_send_error(r, HTTP_NOT_FOUND, "not_found", "No such connection.");
}

static int open_request(mod_sap_route_ctx_t *ctx, conn_request_t *req)
{
    req->ctx = ctx;
    req->services = mod_sap_services();
    if (!req->services || mod_sap_store_for_request(ctx->r, &req->store) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(ctx->r, NULL);
    }
    mod_sap_services_connections(req->services, req->store, &req->env);
    return OK;
}

static const char *install_url(mod_sap_route_ctx_t *ctx)
{
    return sap_url_join(ctx->r->pool, ctx->conf->public_url, INSTALL_PATH);
}

/* GET /admin/api/connections */
int mod_sap_admin_connections_list(mod_sap_route_ctx_t *ctx)
{
    conn_request_t req;
    json_t *list = NULL;
    int status;

    if ((status = open_request(ctx, &req)) != OK) {
        return status;
    }
    if (sap_connections_list_json(&req.env, ctx->r->pool, &list) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(ctx->r, NULL);
    }
    return mod_sap_http_send_json(ctx->r, HTTP_OK, json_pack("{s:o, s:i, s:s}",
                                  SAP_JK_CONNECTIONS, list, SAP_JK_LIMIT, SAP_MAX_CONNECTIONS,
                                  "install_url", install_url(ctx)));
}

/* ---- one connection ---- */

static int send_connection(conn_request_t *req, apr_int64_t id)
{
    request_rec *r = req->ctx->r;
    sap_connection_t *conn = NULL;
    apr_status_t rv = req->store->ops->connection_get(req->store, r->pool, id, NULL, 0, &conn);

    if (rv == APR_NOTFOUND) {
        return not_found(r);
    }
    return rv == APR_SUCCESS ? mod_sap_http_send_json(r, HTTP_OK, sap_connections_to_json(conn))
                             : mod_sap_http_db_unavailable(r, NULL);
}

/* Reads the JSON object body of a state-changing call. */
static int read_object(request_rec *r, json_t **pjson)
{
    mod_sap_body_t body;
    int status = mod_sap_http_read_body(r, ADMIN_MAX_BODY, &body);

    return status != OK ? status : mod_sap_http_parse_json(r, &body, pjson);
}

/* The name without surrounding white space (NULL stays NULL): "  " is no name. */
static char *trimmed(apr_pool_t *pool, const char *name)
{
    const char *start = name;
    apr_size_t len;

    if (!name) {
        return NULL;
    }
    while (*start && apr_isspace(*start)) {
        start++;
    }
    len = strlen(start);
    while (len && apr_isspace(start[len - 1])) {
        len--;
    }
    return apr_pstrndup(pool, start, len);
}

static int valid_display_name(const char *name)
{
    apr_size_t len = name ? strlen(name) : 0;
    const unsigned char *p;

    if (len == 0 || len > DISPLAY_NAME_MAX) {
        return 0;
    }
    for (p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return 0;
        }
    }
    return 1;
}

static int rename_connection(conn_request_t *req, apr_int64_t id)
{
    request_rec *r = req->ctx->r;
    json_t *request = NULL;
    const char *name;
    apr_status_t rv;
    int status;

    if ((status = read_object(r, &request)) != OK) {
        return status;
    }
    name = trimmed(r->pool, json_string_value(json_object_get(request, SAP_JK_DISPLAY_NAME)));
    json_decref(request);
    if (!valid_display_name(name)) {
        return mod_sap_http_send_error(r, HTTP_BAD_REQUEST, "invalid_field", apr_psprintf(r->pool,
                                       SAP_JK_DISPLAY_NAME " must be text of 1 to %d characters "
                                       "without control characters", DISPLAY_NAME_MAX));
    }
    rv = req->store->ops->connection_rename(req->store, id, name);
    sap_connections_forget(&req->env, r->pool, id);
    if (rv == APR_NOTFOUND) {
        return not_found(r);
    }
    return rv == APR_SUCCESS ? send_connection(req, id) : mod_sap_http_db_unavailable(r, NULL);
}

static int make_default(conn_request_t *req, apr_int64_t id)
{
    request_rec *r = req->ctx->r;
    apr_status_t rv = req->store->ops->connection_set_default(req->store, id);

    sap_connections_forget(&req->env, r->pool, id);
    if (rv == APR_NOTFOUND) {
        return not_found(r);
    }
    if (rv == APR_EINVAL) {
        return mod_sap_http_send_error(r, HTTP_CONFLICT, "connection_inactive",
                                       "This workspace's token no longer works: re-authorise it "
                                       "before making it the default.");
    }
    return rv == APR_SUCCESS ? send_connection(req, id) : mod_sap_http_db_unavailable(r, NULL);
}

/* auth.revoke before deleting: best effort, the row goes either way. */
static int revoke_token(conn_request_t *req, apr_int64_t id)
{
    request_rec *r = req->ctx->r;
    sap_connection_token_t token;
    sap_slack_t slack;
    sap_slack_result_t result;
    const char *why = NULL;

    if (sap_connections_token(&req->env, r->pool, id, &token, &why) != APR_SUCCESS) {
        return 0;   /* revoked already, or unreadable: nothing to revoke with */
    }
    mod_sap_services_slack(req->services, NULL, &slack);
    if (sap_slack_call_form(&slack, r->pool, "auth.revoke", token.token, NULL, NULL, NULL,
                            &result) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "auth.revoke for workspace %s failed (%s); "
                      "removing the connection anyway", token.team_id, result.error);
        return 0;
    }
    return 1;
}

static int delete_connection(conn_request_t *req, apr_int64_t id)
{
    request_rec *r = req->ctx->r;
    sap_connection_t *conn = NULL;
    apr_int64_t new_default = 0;
    apr_status_t rv = req->store->ops->connection_get(req->store, r->pool, id, NULL, 0, &conn);
    int revoked;

    if (rv != APR_SUCCESS) {
        return rv == APR_NOTFOUND ? not_found(r) : mod_sap_http_db_unavailable(r, NULL);
    }
    revoked = revoke_token(req, id);
    rv = req->store->ops->connection_delete(req->store, id, &new_default);
    sap_connections_forget(&req->env, r->pool, id);
    if (rv != APR_SUCCESS) {
        return rv == APR_NOTFOUND ? not_found(r) : mod_sap_http_db_unavailable(r, NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "Slack workspace %s removed by %s", conn->team_id,
                  r->user);
    return mod_sap_http_send_json(r, HTTP_OK, json_pack("{s:I, s:b, s:o}", SAP_JK_ID, (json_int_t)id,
                                  SAP_JK_REVOKED, revoked, SAP_JK_DEFAULT_ID,
                                  new_default ? json_integer(new_default) : json_null()));
}

/* ---- test message ---- */

typedef struct test_target_t {
    const char *channel;
    const char *email;
    const char *text;
} test_target_t;

static int read_test_target(request_rec *r, test_target_t *target)
{
    json_t *request = NULL;
    int status = read_object(r, &request);

    if (status != OK) {
        return status;
    }
    target->channel = apr_pstrdup(r->pool, json_string_value(json_object_get(request, SAP_JK_CHANNEL)));
    target->email = apr_pstrdup(r->pool, json_string_value(json_object_get(request, SAP_JK_EMAIL)));
    target->text = apr_pstrdup(r->pool, json_string_value(json_object_get(request, SAP_JK_TEXT)));
    json_decref(request);
    if ((target->channel && *target->channel) == (target->email && *target->email)) {
        return mod_sap_http_send_error(r, HTTP_BAD_REQUEST, "invalid_field",
                                       "Send either \"channel\" (an id such as C0123 or #name) "
                                       "or \"email\" (a Slack user's address).");
    }
    if (target->text && strlen(target->text) > TEST_TEXT_MAX) {
        return mod_sap_http_send_error(r, HTTP_BAD_REQUEST, "invalid_field",
                                       apr_psprintf(r->pool, "text is limited to %d bytes", TEST_TEXT_MAX));
    }
    return OK;
}

/* email → user id (users.lookupByEmail) → DM (conversations.open). */
static apr_status_t dm_channel(sap_slack_t *slack, apr_pool_t *pool, const char *token,
                               const char *email, const char **pchannel, sap_slack_result_t *result)
{
    apr_table_t *args = apr_table_make(pool, 1);
    const char *user;
    apr_status_t rv;

    apr_table_setn(args, SAP_JK_EMAIL, email);
    if ((rv = sap_slack_call_form(slack, pool, "users.lookupByEmail", token, args, NULL, NULL,
                                  result)) != APR_SUCCESS) {
        return rv;
    }
    user = json_string_value(json_object_get(json_object_get(result->answer, SAP_JK_USER), SAP_JK_ID));
    args = apr_table_make(pool, 1);
    apr_table_setn(args, "users", user ? user : "");
    if ((rv = sap_slack_call_form(slack, pool, "conversations.open", token, args, NULL, NULL,
                                  result)) != APR_SUCCESS) {
        return rv;
    }
    *pchannel = json_string_value(json_object_get(json_object_get(result->answer, SAP_JK_CHANNEL),
                                                  SAP_JK_ID));
    return *pchannel ? APR_SUCCESS : APR_EGENERAL;
}

static apr_status_t post_test(sap_slack_t *slack, request_rec *r, const char *token,
                              const char *channel, const char *text, sap_slack_result_t *result)
{
    json_t *body = json_pack("{s:s, s:s, s:b}", SAP_JK_CHANNEL, channel, SAP_JK_TEXT, text,
                             "unfurl_links", 0);
    apr_status_t rv = sap_slack_call_json(slack, r->pool, "chat.postMessage", token, body, result);

    json_decref(body);
    return rv;
}

static int slack_refused(conn_request_t *req, const sap_connection_token_t *token,
                         const sap_slack_result_t *result)
{
    request_rec *r = req->ctx->r;
    const char *code = result->error ? result->error : SAP_SLACK_ERR_BAD_ANSWER;
    int invalidated = 0;

    sap_connections_report_error(&req->env, r->pool, token, code, &invalidated);
    return mod_sap_http_send_json(r, result->http_status == HTTP_OK ? HTTP_UNPROCESSABLE_ENTITY
                                                                 : HTTP_BAD_GATEWAY,
                                  json_pack("{s:s, s:s, s:s, s:b}", SAP_JK_ERROR, code,
                                            SAP_JK_SLACK_ERROR, code, SAP_JK_MESSAGE,
                                            sap_slack_error_text(r->pool, code),
                                            "connection_invalidated", invalidated));
}

static int send_test(conn_request_t *req, apr_int64_t id)
{
    request_rec *r = req->ctx->r;
    test_target_t target = {0};
    sap_connection_token_t token;
    sap_slack_t slack;
    sap_slack_result_t result = {0};
    const char *why = NULL, *channel;
    apr_status_t rv;
    int status;

    if ((status = read_test_target(r, &target)) != OK) {
        return status;
    }
    rv = sap_connections_token(&req->env, r->pool, id, &token, &why);
    if (rv == APR_NOTFOUND) {
        return not_found(r);
    }
    if (rv != APR_SUCCESS) {
        return mod_sap_http_send_error(r, HTTP_CONFLICT, "connection_inactive",
                                       why ? why : "The connection cannot be used.");
    }
    mod_sap_services_slack(req->services, NULL, &slack);
    channel = target.channel;
    if ((!channel && dm_channel(&slack, r->pool, token.token, target.email, &channel, &result)
                     != APR_SUCCESS)
        || post_test(&slack, r, token.token, channel, target.text && *target.text ? target.text
                     : apr_psprintf(r->pool, "Test message from Slack approvals, sent by %s. "
                                    "This workspace is connected.", r->user),
                     &result) != APR_SUCCESS) {
        return slack_refused(req, &token, &result);
    }
    return mod_sap_http_send_json(r, HTTP_OK, json_pack("{s:b, s:O?, s:O?}", SAP_JK_OK, 1,
                                  SAP_JK_CHANNEL, json_object_get(result.answer, SAP_JK_CHANNEL),
                                  SAP_JK_TS, json_object_get(result.answer, SAP_JK_TS)));
}

/* /admin/api/connections/{id}[/{action}] */
int mod_sap_admin_connection(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    const char *slash = strchr(ctx->tail, '/');
    const char *action = slash ? slash + 1 : "";
    char *end = NULL;
    apr_int64_t id = apr_strtoi64(ctx->tail, &end, 10);
    conn_request_t req;
    int method = r->method_number, status;

    if (end == ctx->tail || (*end && *end != '/') || id <= 0) {
        return mod_sap_http_send_error(r, HTTP_NOT_FOUND, "not_found",
                                       "A connection id is a positive number.");
    }
    if ((status = open_request(ctx, &req)) != OK) {
        return status;
    }
    if (!*action && method == M_GET) {
        return send_connection(&req, id);
    }
    if (!*action && method == M_PATCH) {
        return rename_connection(&req, id);
    }
    if (!*action && method == M_DELETE) {
        return delete_connection(&req, id);
    }
    if (!strcmp(action, ACTION_DEFAULT) && method == M_POST) {
        return make_default(&req, id);
    }
    if (!strcmp(action, ACTION_TEST) && method == M_POST) {
        return send_test(&req, id);
    }
    return mod_sap_http_send_error(r, (!*action || !strcmp(action, ACTION_DEFAULT)
                                       || !strcmp(action, ACTION_TEST))
                                      ? HTTP_METHOD_NOT_ALLOWED : HTTP_NOT_FOUND,
                                   "not_supported", "Use GET, PATCH or DELETE on a connection, "
                                   "POST on its /default or /test.");
}

/* ---- instance errors ---- */

static json_t *error_json(mod_sap_route_ctx_t *ctx, const sap_instance_error_t *error)
{
    return json_pack("{s:I, s:o, s:s?, s:s?, s:s, s:s, s:s?, s:s?, s:s, s:s}",
                     SAP_JK_ID, (json_int_t)error->id, SAP_JK_CONNECTION_ID,
                     error->connection_id ? json_integer(error->connection_id) : json_null(),
                     SAP_JK_TEAM_ID, error->team_id, SAP_JK_TEAM_NAME, error->team_name,
                     SAP_JK_KIND, error->kind, SAP_JK_MESSAGE, error->message,
                     SAP_JK_CREATED_AT, error->created_at, SAP_JK_RESOLVED_AT, error->resolved_at,
                     SAP_JK_ACTION, "Re-authorise this workspace: open the install link and "
                     "approve the app for it again.", SAP_JK_REAUTHORIZE_URL, install_url(ctx));
}

/* GET /admin/api/errors[?all=1] */
int mod_sap_admin_errors_list(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    conn_request_t req;
    apr_array_header_t *errors = NULL;
    json_t *list;
    int all = r->args && !strcmp(r->args, "all=1");
    int i, status;

    if ((status = open_request(ctx, &req)) != OK) {
        return status;
    }
    if (req.store->ops->instance_errors_list(req.store, r->pool, all, &errors) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(r, NULL);
    }
    list = json_array();
    for (i = 0; i < errors->nelts; i++) {
        json_array_append_new(list, error_json(ctx, &APR_ARRAY_IDX(errors, i, sap_instance_error_t)));
    }
    return mod_sap_http_send_json(r, HTTP_OK, json_pack("{s:o}", SAP_JK_ERRORS, list));
}

/* GET /admin/settings/…: the settings page is static files that httpd
 * serves (Alias + SetHandler none); here, that configuration is missing. */
int mod_sap_admin_settings_unserved(mod_sap_route_ctx_t *ctx)
{
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, ctx->r, "the settings page is not configured: add "
                  "Alias %s" SAP_SETTINGS_PATH " <ui directory> and <Location %s" SAP_SETTINGS_PATH
                  "> SetHandler none </Location> (docs/connections.md)",
                  ctx->conf->public_path, ctx->conf->public_path);
    return mod_sap_http_send_error(ctx->r, HTTP_NOT_FOUND, "settings_page_not_configured",
                                   "The settings page is served by httpd from the module's ui "
                                   "directory: add its Alias (see docs/connections.md).");
}

/* DELETE /admin/api/diagnostics/cache: drops this node's cached connection
 * list and tokens, settings, definition overrides and templates, for an
 * operator who changed them directly in the database (every change through
 * the module does this by itself). Slack user look-ups stay: they describe
 * Slack, not our tables. */
int mod_sap_admin_cache_flush(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    conn_request_t req;
    sap_settings_env_t settings = {0};
    apr_array_header_t *all = NULL;
    int i, status, settings_dropped = 0;

    if ((status = open_request(ctx, &req)) != OK) {
        return status;
    }
    mod_sap_services_settings(req.services, req.store, NULL, NULL, &settings);
    if (req.store->ops->connection_list(req.store, r->pool, &all) != APR_SUCCESS
        || sap_settings_forget_all(&settings, r->pool, &settings_dropped) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(r, NULL);
    }
    sap_connections_forget(&req.env, r->pool, 0);
    for (i = 0; i < all->nelts; i++) {
        sap_connections_forget(&req.env, r->pool, APR_ARRAY_IDX(all, i, sap_connection_t).id);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "cached connections and settings dropped by %s",
                  r->user);
    return mod_sap_http_send_json(r, HTTP_OK, json_pack("{s:i, s:i}", "flushed_connections",
                                                        all->nelts, "flushed_settings",
                                                        settings_dropped));
}
