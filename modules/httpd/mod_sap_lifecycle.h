/* Hooks of the module's life: pre_config, check_config, post_config,
 * child_init; and the services they build for handlers and workers. */
#ifndef MOD_SAP_LIFECYCLE_H
#define MOD_SAP_LIFECYCLE_H

#include <httpd.h>

#include "mod_sap_config.h"
#include "sap_cache.h"
#include "sap_http.h"
#include "sap_jobs.h"
#include "sap_store.h"
#include "sap_connections.h"
#include "sap_settings.h"
#include "sap_slack.h"
#include "sap_throttle.h"

typedef struct mod_sap_services_t {
    server_rec *server;           /* the server that owns workers and cache */
    mod_sap_config_t *conf;       /* its configuration */
    sap_cache_t *cache;
    sap_http_client_t *http;      /* per child process */
    sap_jobs_t *jobs;
    sap_token_key_t token_key;            /* SlackApprovalsTokenKeyFile */
    sap_token_key_t token_previous_key;   /* valid when has_previous_key */
    int has_previous_key;
    sap_throttle_t *lookups;      /* per child: users.lookupByEmail in flight */
} mod_sap_services_t;

/* NULL when no server has SlackApprovals On. */
mod_sap_services_t *mod_sap_services(void);

/* The connections environment over a store session (env is filled). */
void mod_sap_services_connections(mod_sap_services_t *services, sap_store_t *store,
                                  sap_connections_t *env);
/* A Slack Web API caller over the child's HTTP client; cancel may be NULL. */
void mod_sap_services_slack(mod_sap_services_t *services, volatile const int *cancel,
                            sap_slack_t *slack);

/* The settings environment over a store session, with the connections
 * and Slack caller it checks channels with (both may be NULL: reads only). */
void mod_sap_services_settings(mod_sap_services_t *services, sap_store_t *store,
                               const sap_connections_t *connections, sap_slack_t *slack,
                               sap_settings_env_t *env);

/* Registers the notification jobs (mod_sap_dispatch_jobs.c). */
void mod_sap_dispatch_jobs_register(sap_jobs_t *jobs);

int mod_sap_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp);
int mod_sap_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);
int mod_sap_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);
void mod_sap_child_init(apr_pool_t *pchild, server_rec *s);

#endif
