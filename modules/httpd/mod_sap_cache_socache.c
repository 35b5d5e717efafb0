#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <ap_provider.h>
#include <ap_socache.h>
#include <util_mutex.h>

#include "mod_sap_cache_socache.h"

APLOG_USE_MODULE(slack_approvals);

#define SOCACHE_NAMESPACE "mod_slack_approvals"

typedef struct socache_state_t {
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex;        /* only for providers that are not MP-safe */
    server_rec *server;
} socache_state_t;

static socache_state_t state;
static sap_cache_t socache_cache;

apr_status_t mod_sap_cache_pre_config(apr_pool_t *pconf)
{
    return ap_mutex_register(pconf, MOD_SAP_CACHE_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

static apr_status_t lock(void)
{
    return state.mutex ? apr_global_mutex_lock(state.mutex) : APR_SUCCESS;
}

static void unlock(void)
{
    if (state.mutex) {
        apr_global_mutex_unlock(state.mutex);
    }
}

static apr_status_t socache_get(sap_cache_t *cache, apr_pool_t *pool, const char *key,
                                const char **pvalue, apr_size_t *plen)
{
    unsigned int len = SAP_CACHE_MAX_VALUE;
    unsigned char *buffer = apr_palloc(pool, SAP_CACHE_MAX_VALUE + 1);
    apr_status_t rv;

    if ((rv = lock()) != APR_SUCCESS) {
        return rv;
    }
    rv = state.provider->retrieve(state.instance, state.server, (const unsigned char *)key,
                                  (unsigned int)strlen(key), buffer, &len, pool);
    unlock();
    if (rv != APR_SUCCESS) {
        return APR_NOTFOUND;
    }
    buffer[len] = '\0';
    *pvalue = (const char *)buffer;
    if (plen) {
        *plen = len;
    }
    return APR_SUCCESS;
}

static apr_status_t socache_set(sap_cache_t *cache, apr_pool_t *pool, const char *key,
                                const char *value, apr_size_t len, apr_interval_time_t ttl)
{
    apr_status_t rv;

    if ((rv = lock()) != APR_SUCCESS) {
        return rv;
    }
    rv = state.provider->store(state.instance, state.server, (const unsigned char *)key,
                               (unsigned int)strlen(key), apr_time_now() + ttl,
                               (unsigned char *)value, (unsigned int)len, pool);
    unlock();
    return rv;
}

static apr_status_t socache_remove(sap_cache_t *cache, apr_pool_t *pool, const char *key)
{
    apr_status_t rv;

    if ((rv = lock()) != APR_SUCCESS) {
        return rv;
    }
    rv = state.provider->remove(state.instance, state.server, (const unsigned char *)key,
                                (unsigned int)strlen(key), pool);
    unlock();
    return rv;
}

static apr_status_t socache_destroy(void *data)
{
    if (state.instance) {
        state.provider->destroy(state.instance, state.server);
    }
    memset(&state, 0, sizeof(state));
    return APR_SUCCESS;
}

int mod_sap_cache_provider_exists(const char *provider)
{
    return ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, provider,
                              AP_SOCACHE_PROVIDER_VERSION) != NULL;
}

apr_status_t mod_sap_cache_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                                       const char *provider, const char *args)
{
    struct ap_socache_hints hints = {0};
    const char *err;
    apr_status_t rv;

    state.server = s;
    /* check_config made sure the provider exists */
    state.provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, provider,
                                        AP_SOCACHE_PROVIDER_VERSION);
    if (!state.provider) {
        return APR_EINIT;
    }
    err = state.provider->create(&state.instance, args, ptemp, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                     "SlackApprovalsCache: %s: %s", provider, err);
        return APR_EINIT;
    }
    if (state.provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&state.mutex, NULL, MOD_SAP_CACHE_MUTEX_TYPE, NULL, s, pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, rv, s,
                         "SlackApprovalsCache: cannot create the cache mutex");
            return rv;
        }
    }
    hints.avg_id_len = 48;
    hints.avg_obj_size = 1024;
    hints.expiry_interval = 60;
    rv = state.provider->init(state.instance, SOCACHE_NAMESPACE, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, rv, s,
                     "SlackApprovalsCache: cannot initialise socache provider '%s'", provider);
        return rv;
    }
    apr_pool_cleanup_register(pconf, NULL, socache_destroy, apr_pool_cleanup_null);
    socache_cache.baton = &state;
    socache_cache.name = provider;
    socache_cache.get = socache_get;
    socache_cache.set = socache_set;
    socache_cache.remove = socache_remove;
    return APR_SUCCESS;
}

apr_status_t mod_sap_cache_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (!state.mutex) {
        return APR_SUCCESS;
    }
    return apr_global_mutex_child_init(&state.mutex, apr_global_mutex_lockfile(state.mutex), pchild);
}

sap_cache_t *mod_sap_cache_get(void)
{
    return state.instance ? &socache_cache : NULL;
}
