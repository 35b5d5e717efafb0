/* Hooks of the module's life: pre_config, check_config, post_config,
 * child_init; and the services they build for handlers and workers. */
#ifndef MOD_SAP_LIFECYCLE_H
#define MOD_SAP_LIFECYCLE_H

#include <httpd.h>

#include "mod_sap_config.h"
#include "sap_cache.h"
#include "sap_http.h"
#include "sap_jobs.h"

typedef struct mod_sap_services_t {
    server_rec *server;           /* the server that owns workers and cache */
    mod_sap_config_t *conf;       /* its configuration */
    sap_cache_t *cache;
    sap_http_client_t *http;      /* per child process */
    sap_jobs_t *jobs;
} mod_sap_services_t;

/* NULL when no server has SlackApprovals On. */
mod_sap_services_t *mod_sap_services(void);

int mod_sap_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp);
int mod_sap_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);
int mod_sap_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);
void mod_sap_child_init(apr_pool_t *pchild, server_rec *s);

#endif
