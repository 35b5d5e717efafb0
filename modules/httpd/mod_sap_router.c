#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>

#include "mod_sap_directives.h"
#include "mod_sap_http.h"
#include "mod_sap_router.h"

APLOG_USE_MODULE(slack_approvals);

/* PREFIX: one more path segment follows (an id); SUBTREE: any path below. */
typedef enum { ROUTE_EXACT, ROUTE_PREFIX, ROUTE_SUBTREE } route_match_t;

#define ANY_METHOD -1

typedef struct route_t {
    int method;               /* M_GET (HEAD too), M_POST…; ANY_METHOD: the route checks */
    const char *path;
    route_match_t match;
    int admin;                /* needs mod_sap_http_check_admin */
    mod_sap_route_fn *fn;
} route_t;

static const route_t routes[] = {
    {M_GET,      "/healthz",                      ROUTE_EXACT,  0, mod_sap_health_get},
    {M_POST,     "/slack/events",                 ROUTE_EXACT,  0, mod_sap_slack_events_post},
    {M_POST,     "/slack/interactions",           ROUTE_EXACT,  0, mod_sap_slack_interactions_post},
    {M_POST,     "/admin/api/probes",             ROUTE_EXACT,  1, mod_sap_admin_probe_create},
    {M_GET,      "/admin/api/probes/",            ROUTE_PREFIX, 1, mod_sap_admin_probe_get},
    {ANY_METHOD, "/admin/api/diagnostics/cache/", ROUTE_PREFIX, 1, mod_sap_admin_cache_diag},
    {M_DELETE,   "/admin/api/diagnostics/cache",  ROUTE_EXACT,  1, mod_sap_admin_cache_flush},
    {M_GET,      "/admin/slack/install",          ROUTE_EXACT,  1, mod_sap_oauth_install},
    {M_GET,      "/slack/oauth/callback",         ROUTE_EXACT,  0, mod_sap_oauth_callback},
    {M_GET,      "/admin/api/connections",        ROUTE_EXACT,  1, mod_sap_admin_connections_list},
    {ANY_METHOD, "/admin/api/connections/",       ROUTE_SUBTREE, 1, mod_sap_admin_connection},
    {M_GET,      "/admin/api/errors",             ROUTE_EXACT,  1, mod_sap_admin_errors_list},
    {M_POST,     "/api/v1/events",                ROUTE_EXACT,  0, mod_sap_api_events_post},
    {M_GET,      "/admin/api/settings",           ROUTE_EXACT,  1, mod_sap_admin_settings_get},
    {M_PUT,      "/admin/api/settings",           ROUTE_EXACT,  1, mod_sap_admin_settings_put},
    {M_GET,      "/admin/api/definitions",        ROUTE_EXACT,  1, mod_sap_admin_definitions_list},
    {ANY_METHOD, "/admin/api/definitions/",       ROUTE_SUBTREE, 1, mod_sap_admin_definition},
    {M_GET,      "/admin/api/history",            ROUTE_EXACT,  1, mod_sap_admin_history_list},
    {M_GET,      "/admin/api/templates",          ROUTE_EXACT,  1, mod_sap_admin_templates_list},
    {ANY_METHOD, "/admin/api/templates/",         ROUTE_SUBTREE, 1, mod_sap_admin_template},
    /* Served by httpd (Alias): reaching the module means the Alias is missing. */
    {M_GET,      "/admin/settings",               ROUTE_EXACT,  1, mod_sap_admin_settings_unserved},
    {M_GET,      "/admin/settings/",              ROUTE_EXACT,  1, mod_sap_admin_settings_unserved},
    {M_GET,      "/admin/settings/",              ROUTE_SUBTREE, 1, mod_sap_admin_settings_unserved},
};

/* The part of the URI below the module's Location (the path of
 * SlackApprovalsPublicURL); NULL when the request is outside it. */
static const char *path_below_base(request_rec *r, const mod_sap_config_t *conf)
{
    apr_size_t base_len = strlen(conf->public_path);

    if (strncmp(r->uri, conf->public_path, base_len)) {
        return NULL;
    }
    return r->uri[base_len] == '\0' ? "/" : (r->uri[base_len] == '/' ? r->uri + base_len : NULL);
}

static const route_t *find_route(const char *path, const char **ptail, int *pwrong_method,
                                 int method)
{
    apr_size_t i;

    *pwrong_method = 0;
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const route_t *route = &routes[i];
        apr_size_t len = strlen(route->path);
        int below = !strncmp(path, route->path, len) && path[len];
        int matches = route->match == ROUTE_EXACT ? !strcmp(path, route->path)
                      : route->match == ROUTE_SUBTREE ? below
                      : (below && !strchr(path + len, '/'));

        if (!matches) {
            continue;
        }
        /* httpd gives HEAD the number of GET (r->header_only tells them apart). */
        if (route->method != ANY_METHOD && route->method != method) {
            *pwrong_method = 1;
            continue;
        }
        *ptail = route->match == ROUTE_EXACT ? "" : path + len;
        return route;
    }
    return NULL;
}

int mod_sap_router_handler(request_rec *r)
{
    mod_sap_route_ctx_t ctx = {0};
    const route_t *route;
    int wrong_method = 0;

    if (!r->handler || strcmp(r->handler, SAP_HANDLER_NAME)) {
        return DECLINED;
    }
    ctx.r = r;
    ctx.conf = mod_sap_config_get(r->server);
    if (!mod_sap_config_enabled(ctx.conf)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SetHandler " SAP_HANDLER_NAME
                      " used in a server without " SAP_DIR_ENABLE " On");
        return HTTP_NOT_FOUND;
    }
    ctx.path = path_below_base(r, ctx.conf);
    route = ctx.path ? find_route(ctx.path, &ctx.tail, &wrong_method, r->method_number) : NULL;
    if (!route) {
        if (wrong_method) {
            mod_sap_http_send_error(r, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                    "This path does not take that method.");
            return OK;
        }
        mod_sap_http_send_error(r, HTTP_NOT_FOUND, "not_found", "No such endpoint.");
        return OK;
    }
    if (route->admin && mod_sap_http_check_admin(r, ctx.conf) != OK) {
        return OK;
    }
    /* Route functions have sent their answer, error or not. */
    route->fn(&ctx);
    return OK;
}
