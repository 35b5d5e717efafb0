/* The "slack-approvals" handler: maps paths below SlackApprovalsPublicURL's
 * path to route functions (DESIGN section 4). */
#ifndef MOD_SAP_ROUTER_H
#define MOD_SAP_ROUTER_H

#include <httpd.h>
#include "mod_sap_config.h"

typedef struct mod_sap_route_ctx_t {
    request_rec *r;
    mod_sap_config_t *conf;
    const char *path;         /* below the module's base path, e.g. "/healthz" */
    const char *tail;         /* what a prefix route left over, e.g. "17" */
} mod_sap_route_ctx_t;

/* Returns OK, or an HTTP status after having sent the answer (see mod_sap_http.h). */
typedef int mod_sap_route_fn(mod_sap_route_ctx_t *ctx);

int mod_sap_router_handler(request_rec *r);

/* route functions, one file per concern */
int mod_sap_health_get(mod_sap_route_ctx_t *ctx);
int mod_sap_slack_events_post(mod_sap_route_ctx_t *ctx);
int mod_sap_slack_interactions_post(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_probe_create(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_probe_get(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_cache_diag(mod_sap_route_ctx_t *ctx);
int mod_sap_oauth_install(mod_sap_route_ctx_t *ctx);
int mod_sap_oauth_callback(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_connections_list(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_connection(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_errors_list(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_settings_unserved(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_cache_flush(mod_sap_route_ctx_t *ctx);
int mod_sap_api_events_post(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_settings_get(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_settings_put(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_definitions_list(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_definition(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_templates_list(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_template(mod_sap_route_ctx_t *ctx);
int mod_sap_admin_history_list(mod_sap_route_ctx_t *ctx);

#endif
