/* The cache interface (sap_cache.h) over httpd's socache providers: shared by
 * all child processes (shmcb, the default) or by several nodes (memcache). */
#ifndef MOD_SAP_CACHE_SOCACHE_H
#define MOD_SAP_CACHE_SOCACHE_H

#include <httpd.h>
#include "sap_cache.h"

#define MOD_SAP_CACHE_MUTEX_TYPE "slack-approvals-cache"

/* pre_config: registers the mutex so that httpd's Mutex directive applies. */
apr_status_t mod_sap_cache_pre_config(apr_pool_t *pconf);
/* check_config: whether a socache provider of that name is loaded. */
int mod_sap_cache_provider_exists(const char *provider);
/* post_config: creates the provider instance and its mutex. */
apr_status_t mod_sap_cache_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                                       const char *provider, const char *args);
/* child_init: re-attaches the mutex. */
apr_status_t mod_sap_cache_child_init(apr_pool_t *pchild, server_rec *s);

/* The cache of this process; NULL before post_config. */
sap_cache_t *mod_sap_cache_get(void);

#endif
