#include <apr_strings.h>
#include <ap_mpm.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <openssl/crypto.h>

#include "mod_sap_cache_socache.h"
#include "mod_sap_directives.h"
#include "mod_sap_lifecycle.h"
#include "mod_sap_log.h"
#include "mod_sap_store_dbd.h"
#include "mod_sap_workers.h"
#include "sap_dispatch.h"

APLOG_USE_MODULE(slack_approvals);

static mod_sap_services_t *services;

mod_sap_services_t *mod_sap_services(void)
{
    return services;
}

void mod_sap_services_connections(mod_sap_services_t *built, sap_store_t *store,
                                  sap_connections_t *env)
{
    env->store = store;
    env->cache = built->cache;
    env->key = &built->token_key;
    env->previous_key = built->has_previous_key ? &built->token_previous_key : NULL;
}

void mod_sap_services_slack(mod_sap_services_t *built, volatile const int *cancel,
                            sap_slack_t *slack)
{
    slack->http = built->http;
    slack->api_base = built->conf->slack_api;
    slack->cancel = cancel;
    slack->timeout = 0;
    slack->no_retry = 0;
}

void mod_sap_services_settings(mod_sap_services_t *built, sap_store_t *store,
                               const sap_connections_t *connections, sap_slack_t *slack,
                               sap_settings_env_t *env)
{
    env->store = store;
    env->cache = built->cache;
    env->connections = connections;
    env->slack = slack;
}

static apr_status_t wipe_token_keys(void *data)
{
    mod_sap_services_t *built = data;

    OPENSSL_cleanse(&built->token_key, sizeof(built->token_key));
    OPENSSL_cleanse(&built->token_previous_key, sizeof(built->token_previous_key));
    return APR_SUCCESS;
}

static void load_token_keys(mod_sap_services_t *built, apr_pool_t *pconf)
{
    const mod_sap_config_t *conf = built->conf;

    apr_pool_cleanup_register(pconf, built, wipe_token_keys, apr_pool_cleanup_null);
    sap_token_key_init(&built->token_key, conf->token_key->data);
    built->has_previous_key = conf->token_previous_key != NULL;
    if (built->has_previous_key) {
        sap_token_key_init(&built->token_previous_key, conf->token_previous_key->data);
    }
}

int mod_sap_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    services = NULL;
    return mod_sap_cache_pre_config(pconf) == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

/* What only the whole configuration shows, checked where `apachectl -t`
 * still runs: the directives, then the modules the owner server needs. */
int mod_sap_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    server_rec *owner;
    mod_sap_config_t *conf;
    int threaded = 0;
    int status = mod_sap_config_check(pconf, plog, ptemp, s);

    if (status != OK || !(owner = mod_sap_config_main_server(s))) {
        return status;
    }
    conf = mod_sap_config_get(owner);
    if (ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded) != APR_SUCCESS
        || threaded == AP_MPMQ_NOT_SUPPORTED) {
        /* prefork neither blocks signals in its children nor gives pchild a
         * thread-safe allocator: our worker threads would corrupt it. */
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, owner,
                     SAP_DIR_ENABLE ": needs a threaded MPM (event or worker); this "
                     "server runs %s, whose child processes cannot host the module's "
                     "worker threads", ap_show_mpm());
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!mod_sap_cache_provider_exists(conf->cache_provider)) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, owner,
                     "SlackApprovalsCache: socache provider '%s' is not loaded "
                     "(LoadModule socache_%s_module ...)", conf->cache_provider,
                     conf->cache_provider);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!mod_sap_store_available()) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, owner,
                     "mod_dbd is not loaded: add 'LoadModule dbd_module ...' and "
                     "DBDriver pgsql / DBDParams (mod_slack_approvals stores in PostgreSQL)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static apr_status_t global_cleanup(void *data)
{
    sap_http_global_cleanup();
    return APR_SUCCESS;
}

int mod_sap_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    server_rec *owner = mod_sap_config_main_server(s);
    server_rec *each;
    mod_sap_services_t *built;

    if (!owner) {
        return OK;
    }
    /* Statements must reach mod_dbd on both passes: its pre_config starts over. */
    for (each = s; each; each = each->next) {
        if (mod_sap_config_enabled(mod_sap_config_get(each))
            && mod_sap_store_prepare(each, ptemp) != APR_SUCCESS) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;   /* the first of the two startup passes: nothing lasting yet */
    }
    mod_sap_log_install(owner);
    built = apr_pcalloc(pconf, sizeof(*built));
    built->server = owner;
    built->conf = mod_sap_config_get(owner);
    load_token_keys(built, pconf);
    if (mod_sap_cache_post_config(pconf, ptemp, owner, built->conf->cache_provider,
                                  built->conf->cache_args) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    built->cache = mod_sap_cache_get();
    /* curl_global_init before any thread exists (DESIGN section 12). */
    if (sap_http_global_init() != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s, "cannot initialise libcurl");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, NULL, global_cleanup, apr_pool_cleanup_null);
    sap_jobs_create(&built->jobs, pconf);
    sap_jobs_register_core(built->jobs);
    mod_sap_dispatch_jobs_register(built->jobs);
    services = built;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, owner, "mod_slack_approvals ready at %s "
                 "(cache %s, %d workers per child)", built->conf->public_url,
                 built->conf->cache_provider, built->conf->workers);
    return OK;
}

void mod_sap_child_init(apr_pool_t *pchild, server_rec *s)
{
    sap_http_policy_t policy;
    apr_status_t rv;

    if (!services) {
        return;
    }
    if ((rv = mod_sap_cache_child_init(pchild, services->server)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "cannot attach the cache mutex in this child");
    }
    sap_http_policy_defaults(&policy);
    policy.allow_insecure = services->conf->allow_insecure;
    if ((rv = sap_http_client_create(&services->http, pchild, &policy,
                                     services->conf->workers + 4)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "cannot create the HTTP client");
        return;
    }
    if ((rv = sap_throttle_create(&services->lookups, pchild, SAP_LOOKUP_CONCURRENCY))
        != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "cannot create the look-up limit");
        return;
    }
    mod_sap_workers_start(pchild, services->server, services->jobs, services,
                          services->conf->workers, services->conf->history_days);
}
