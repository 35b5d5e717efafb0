/* Admin API for the notification settings, definition overrides and
 * templates (docs/notifications.md):
 *   GET    /admin/api/settings
 *   PUT    /admin/api/settings                              partial: the keys given
 *   GET    /admin/api/definitions
 *   GET    /admin/api/definitions/{product}/{definition_id}
 *   PUT    /admin/api/definitions/{product}/{definition_id} {"connection_id", "channel"}
 *   DELETE /admin/api/definitions/{product}/{definition_id}
 *   GET    /admin/api/templates
 *   GET    /admin/api/templates/{product}/{type}
 *   PUT    /admin/api/templates/{product}/{type}            {"slack_body", "email_subject", "email_body"}
 *   DELETE /admin/api/templates/{product}/{type}            back to the default
 *   POST   /admin/api/templates/{product}/{type}/preview
 * The router has checked the admin rules (user, JSON content type, Origin).
 * Validation, channel checks and caches are the core's (sap_settings.c). */
#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>

#include "mod_sap_http.h"
#include "mod_sap_lifecycle.h"
#include "mod_sap_router.h"
#include "mod_sap_store_dbd.h"
#include "sap_settings.h"

APLOG_USE_MODULE(slack_approvals);

/* Three template parts of up to 16 KiB each, JSON-escaped, and an event. */
#define SETTINGS_MAX_BODY  (256 * 1024)
#define ACTION_PREVIEW     "preview"

/* One request's view of the settings. */
typedef struct settings_request_t {
    mod_sap_route_ctx_t *ctx;
    mod_sap_services_t *services;
    sap_store_t *store;
    sap_connections_t connections;
    sap_slack_t slack;
    sap_settings_env_t env;
} settings_request_t;

static int open_request(mod_sap_route_ctx_t *ctx, settings_request_t *req)
{
    memset(req, 0, sizeof(*req));
    req->ctx = ctx;
    req->services = mod_sap_services();
    if (!req->services || mod_sap_store_for_request(ctx->r, &req->store) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(ctx->r, NULL);
    }
    mod_sap_services_connections(req->services, req->store, &req->connections);
    mod_sap_services_slack(req->services, NULL, &req->slack);
    mod_sap_services_settings(req->services, req->store, &req->connections, &req->slack,
                              &req->env);
    return OK;
}

static int problem_status(sap_problem_kind_t kind)
{
    switch (kind) {
    case SAP_PROBLEM_INVALID:
        return HTTP_BAD_REQUEST;
    case SAP_PROBLEM_NOT_FOUND:
        return HTTP_NOT_FOUND;
    case SAP_PROBLEM_CONFLICT:
        return HTTP_CONFLICT;
    case SAP_PROBLEM_REFUSED:
        return HTTP_UNPROCESSABLE_ENTITY;
    case SAP_PROBLEM_UPSTREAM:
        return HTTP_BAD_GATEWAY;
    default:
        return HTTP_SERVICE_UNAVAILABLE;
    }
}

static int send_problem(request_rec *r, const sap_settings_problem_t *problem)
{
    int status = problem_status(problem->kind);

    mod_sap_http_send_json(r, status, sap_settings_problem_json(problem));
    return status;
}

/* The request's JSON object (an empty body is {} for a preview). */
static int read_object(request_rec *r, int empty_ok, json_t **pjson)
{
    mod_sap_body_t body;
    int status = mod_sap_http_read_body(r, SETTINGS_MAX_BODY, &body);

    *pjson = NULL;
    if (status != OK) {
        return status;
    }
    if (empty_ok && body.len == 0) {
        *pjson = json_object();
        return OK;
    }
    return mod_sap_http_parse_json(r, &body, pjson);
}

/* "C0123 (#approvals)", or "none" */
static const char *channel_text(apr_pool_t *pool, const char *id, const char *name)
{
    if (!id) {
        return "none";
    }
    return name && strcmp(name, id) ? apr_psprintf(pool, "%s (%s)", id, name) : id;
}

/* ---- global settings ---- */

static int send_settings(settings_request_t *req, const sap_settings_t *settings)
{
    json_t *json = sap_settings_to_json(settings);

    json_object_set_new(json, SAP_SK_WARNINGS, sap_settings_warnings(&req->env, req->ctx->r->pool,
                                                                     settings));
    return mod_sap_http_send_json(req->ctx->r, HTTP_OK, json);
}

/* GET /admin/api/settings */
int mod_sap_admin_settings_get(mod_sap_route_ctx_t *ctx)
{
    settings_request_t req;
    sap_settings_t *settings = NULL;
    int status;

    if ((status = open_request(ctx, &req)) != OK) {
        return status;
    }
    if (sap_settings_get(&req.env, ctx->r->pool, &settings) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(ctx->r, NULL);
    }
    return send_settings(&req, settings);
}

/* PUT /admin/api/settings */
int mod_sap_admin_settings_put(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    settings_request_t req;
    sap_settings_problem_t problem;
    sap_settings_t *settings = NULL;
    json_t *body = NULL;
    apr_status_t rv;
    int status;

    if ((status = open_request(ctx, &req)) != OK || (status = read_object(r, 0, &body)) != OK) {
        return status;
    }
    rv = sap_settings_update(&req.env, r->pool, body, r->user, &settings, &problem);
    json_decref(body);
    if (rv != APR_SUCCESS) {
        return send_problem(r, &problem);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "notification settings changed by %s: "
                  "mechanism %s, delivery mode %s, default channel %s", r->user,
                  settings->mechanism, settings->delivery_mode,
                  channel_text(r->pool, settings->default_channel, settings->default_channel_name));
    return send_settings(&req, settings);
}

/* ---- definition overrides ---- */

static json_t *definition_json(settings_request_t *req, const sap_settings_t *settings,
                               const sap_definition_t *definition)
{
    json_t *json = sap_settings_definition_to_json(definition);

    json_object_set_new(json, SAP_SK_WARNINGS,
                        sap_settings_definition_warnings(&req->env, req->ctx->r->pool, settings,
                                                         definition));
    return json;
}

/* GET /admin/api/definitions */
int mod_sap_admin_definitions_list(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    settings_request_t req;
    sap_settings_t *settings = NULL;
    apr_array_header_t *all = NULL;
    json_t *list;
    int i, status;

    if ((status = open_request(ctx, &req)) != OK) {
        return status;
    }
    if (sap_settings_get(&req.env, r->pool, &settings) != APR_SUCCESS
        || req.store->ops->definition_list(req.store, r->pool, &all) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(r, NULL);
    }
    list = json_array();
    for (i = 0; i < all->nelts; i++) {
        json_array_append_new(list, definition_json(&req, settings,
                                                    &APR_ARRAY_IDX(all, i, sap_definition_t)));
    }
    return mod_sap_http_send_json(r, HTTP_OK, json_pack("{s:o}", SAP_SK_DEFINITIONS, list));
}

/* The last path segment of the raw (still escaped) URI, decoded, slashes
 * too: a definition id may contain "/" when sent as %2F (with
 * AllowEncodedSlashes NoDecode or On). NULL when it does not decode. */
static char *raw_segment(request_rec *r, const char *raw, const char *end, const char **pstart)
{
    const char *start = end;
    char *segment;

    while (start > raw && start[-1] != '/') {
        start--;
    }
    *pstart = start;
    segment = apr_pstrmemdup(r->pool, start, end - start);
    return ap_unescape_url_keep2f(segment, 1) == OK ? segment : NULL;
}

/* text with %2F / %2f as "/" (and nothing else decoded). */
static const char *slashes_decoded(apr_pool_t *pool, const char *text)
{
    char *copy = apr_pstrdup(pool, text), *in = copy, *out = copy;

    while (*in) {
        if (in[0] == '%' && in[1] == '2' && (in[2] == 'F' || in[2] == 'f')) {
            *out++ = '/';
            in += 3;
        }
        else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return copy;
}

/* {product}/{definition_id} of /admin/api/definitions/…, decoded. */
static int definition_address(mod_sap_route_ctx_t *ctx, const char **pproduct,
                              const char **pdefinition_id)
{
    request_rec *r = ctx->r;
    const char *raw = r->parsed_uri.path ? r->parsed_uri.path : r->uri;
    const char *end = raw + strlen(raw), *start = NULL;
    const char *id, *product;

    apr_size_t product_len;

    id = raw_segment(r, raw, end, &start);
    product = start > raw ? raw_segment(r, raw, start - 1, &start) : NULL;
    product_len = product ? strlen(product) : 0;
    /* The path the route matched (decoded by httpd, except %2F with
     * AllowEncodedSlashes NoDecode) must say the same. */
    if (!id || !*id || !product || !*product || strncmp(ctx->tail, product, product_len)
        || ctx->tail[product_len] != '/'
        || strcmp(slashes_decoded(r->pool, ctx->tail + product_len + 1), id)) {
        return mod_sap_http_send_error(r, HTTP_NOT_FOUND, "not_found",
                                       "Use /admin/api/definitions/{product}/{definition_id}, "
                                       "with the id URL-encoded.");
    }
    *pproduct = product;
    *pdefinition_id = id;
    return OK;
}

static int definition_get(settings_request_t *req, const char *product, const char *id)
{
    request_rec *r = req->ctx->r;
    sap_settings_t *settings = NULL;
    sap_definition_t *definition = NULL;
    apr_status_t rv;

    if (!sap_product_valid(product) || !sap_settings_definition_id_valid(id)) {
        return mod_sap_http_send_error(r, HTTP_NOT_FOUND, "not_found",
                                       "No such definition: products are jira and confluence.");
    }
    /* From the store, not the cache: the admin sees a connection deleted
     * a moment ago as gone (the store cleared the reference). */
    rv = req->store->ops->definition_get(req->store, r->pool, product, id, &definition);
    if (rv == APR_NOTFOUND) {
        return mod_sap_http_send_error(r, HTTP_NOT_FOUND, "not_found",
                                       "This definition has no override: it uses the default "
                                       "workspace and channel.");
    }
    if (rv != APR_SUCCESS || sap_settings_get(&req->env, r->pool, &settings) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(r, NULL);
    }
    return mod_sap_http_send_json(r, HTTP_OK, definition_json(req, settings, definition));
}

static int definition_put(settings_request_t *req, const char *product, const char *id)
{
    request_rec *r = req->ctx->r;
    sap_settings_problem_t problem;
    sap_settings_t *settings = NULL;
    sap_definition_t *definition = NULL;
    json_t *body = NULL;
    apr_status_t rv;
    int status;

    if ((status = read_object(r, 0, &body)) != OK) {
        return status;
    }
    rv = sap_settings_definition_put(&req->env, r->pool, product, id, body, r->user, &definition,
                                     &problem);
    json_decref(body);
    if (rv != APR_SUCCESS) {
        return send_problem(r, &problem);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "definition override %s/%s set by %s: "
                  "workspace %s, channel %s", product, id, r->user,
                  definition->connection_id
                      ? apr_psprintf(r->pool, "%" APR_INT64_T_FMT, definition->connection_id)
                      : "default",
                  definition->channel ? channel_text(r->pool, definition->channel,
                                                     definition->channel_name) : "default");
    if (sap_settings_get(&req->env, r->pool, &settings) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(r, NULL);
    }
    return mod_sap_http_send_json(r, HTTP_OK, definition_json(req, settings, definition));
}

static int definition_delete(settings_request_t *req, const char *product, const char *id)
{
    request_rec *r = req->ctx->r;
    sap_settings_problem_t problem;

    if (sap_settings_definition_delete(&req->env, r->pool, product, id, &problem) != APR_SUCCESS) {
        return send_problem(r, &problem);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "definition override %s/%s removed by %s",
                  product, id, r->user);
    return mod_sap_http_send_json(r, HTTP_OK, json_pack("{s:s, s:s, s:b}", SAP_SK_PRODUCT, product,
                                                        SAP_SK_DEFINITION_ID, id, "deleted", 1));
}

/* /admin/api/definitions/{product}/{definition_id} */
int mod_sap_admin_definition(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    settings_request_t req;
    const char *product = NULL, *id = NULL;
    int status;

    if ((status = definition_address(ctx, &product, &id)) != OK
        || (status = open_request(ctx, &req)) != OK) {
        return status;
    }
    switch (r->method_number) {
    case M_GET:
        return definition_get(&req, product, id);
    case M_PUT:
        return definition_put(&req, product, id);
    case M_DELETE:
        return definition_delete(&req, product, id);
    default:
        return mod_sap_http_send_error(r, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                       "Use GET, PUT or DELETE on a definition override.");
    }
}

/* ---- templates ---- */

/* GET /admin/api/templates */
int mod_sap_admin_templates_list(mod_sap_route_ctx_t *ctx)
{
    settings_request_t req;
    json_t *list = NULL;
    int status;

    if ((status = open_request(ctx, &req)) != OK) {
        return status;
    }
    if (sap_settings_templates_json(&req.env, ctx->r->pool, &list) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(ctx->r, NULL);
    }
    return mod_sap_http_send_json(ctx->r, HTTP_OK, json_pack("{s:o}", SAP_SK_TEMPLATES, list));
}

static int send_template(settings_request_t *req, const char *product, const char *type,
                         int status, const char *extra_key, int extra_value)
{
    request_rec *r = req->ctx->r;
    json_t *json = NULL;
    apr_status_t rv = sap_settings_template_json(&req->env, r->pool, product, type, 1, &json);

    if (rv == APR_NOTFOUND) {
        return mod_sap_http_send_error(r, HTTP_NOT_FOUND, "not_found", "No such template.");
    }
    if (rv != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(r, NULL);
    }
    if (extra_key) {
        json_object_set_new(json, extra_key, json_boolean(extra_value));
    }
    return mod_sap_http_send_json(r, status, json);
}

static int template_put(settings_request_t *req, const char *product, const char *type)
{
    request_rec *r = req->ctx->r;
    sap_settings_problem_t problem;
    json_t *body = NULL;
    apr_status_t rv;
    int status;

    if ((status = read_object(r, 0, &body)) != OK) {
        return status;
    }
    rv = sap_settings_template_put(&req->env, r->pool, product, type, body, r->user, &problem);
    json_decref(body);
    if (rv != APR_SUCCESS) {
        return send_problem(r, &problem);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "template %s/%s customised by %s", product, type,
                  r->user);
    return send_template(req, product, type, HTTP_OK, NULL, 0);
}

static int template_reset(settings_request_t *req, const char *product, const char *type)
{
    request_rec *r = req->ctx->r;
    sap_settings_problem_t problem;
    int was_customised = 0;

    if (sap_settings_template_reset(&req->env, r->pool, product, type, &was_customised,
                                    &problem) != APR_SUCCESS) {
        return send_problem(r, &problem);
    }
    if (was_customised) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "template %s/%s reset to the default by %s",
                      product, type, r->user);
    }
    return send_template(req, product, type, HTTP_OK, "was_customised", was_customised);
}

static int template_preview(settings_request_t *req, const char *product, const char *type)
{
    request_rec *r = req->ctx->r;
    sap_settings_problem_t problem;
    json_t *body = NULL, *preview = NULL;
    apr_status_t rv;
    int status;

    if ((status = read_object(r, 1, &body)) != OK) {
        return status;
    }
    rv = sap_settings_template_preview(&req->env, r->pool, product, type, body, &preview, &problem);
    json_decref(body);
    if (rv != APR_SUCCESS) {
        return send_problem(r, &problem);
    }
    return mod_sap_http_send_json(r, HTTP_OK, preview);
}

/* /admin/api/templates/{product}/{type}[/preview] */
int mod_sap_admin_template(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    settings_request_t req;
    const char *slash = strchr(ctx->tail, '/');
    const char *rest = slash ? strchr(slash + 1, '/') : NULL;
    const char *product, *type, *action;
    int method = r->method_number, status;

    if (!slash) {
        return mod_sap_http_send_error(r, HTTP_NOT_FOUND, "not_found",
                                       "Use /admin/api/templates/{product}/{type}.");
    }
    product = apr_pstrmemdup(r->pool, ctx->tail, slash - ctx->tail);
    type = rest ? apr_pstrmemdup(r->pool, slash + 1, rest - slash - 1) : slash + 1;
    action = rest ? rest + 1 : "";
    if (!sap_template_default(product, type) || (*action && strcmp(action, ACTION_PREVIEW))) {
        return mod_sap_http_send_error(r, HTTP_NOT_FOUND, "not_found",
                                       "No such template: products are jira and confluence, types "
                                       "the ten notification types.");
    }
    if ((status = open_request(ctx, &req)) != OK) {
        return status;
    }
    if (*action) {
        if (method == M_POST) {
            return template_preview(&req, product, type);
        }
    }
    else if (method == M_GET) {
        return send_template(&req, product, type, HTTP_OK, NULL, 0);
    }
    else if (method == M_PUT) {
        return template_put(&req, product, type);
    }
    else if (method == M_DELETE) {
        return template_reset(&req, product, type);
    }
    return mod_sap_http_send_error(r, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                   "Use GET, PUT or DELETE on a template, POST on its /preview.");
}
