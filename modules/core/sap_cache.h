/* Cache interface of the core.
 *
 * The glue implements it with httpd's socache (shared by all child processes,
 * or by several nodes with memcache); unit tests use sap_cache_mem_create().
 * Values are opaque bytes with a per-entry time to live. A write to the
 * thing a cache entry describes must call remove() for that entry. */
#ifndef SAP_CACHE_H
#define SAP_CACHE_H

#include <apr_pools.h>
#include <apr_time.h>

/* Time to live of each cached kind (DESIGN section 7). */
#define SAP_CACHE_TTL_CONNECTIONS     apr_time_from_sec(5 * 60)
#define SAP_CACHE_TTL_USER_FOUND      apr_time_from_sec(24 * 60 * 60)
#define SAP_CACHE_TTL_USER_NOT_FOUND  apr_time_from_sec(60 * 60)
#define SAP_CACHE_TTL_DEFINITION      apr_time_from_sec(5 * 60)
#define SAP_CACHE_TTL_TEMPLATE        apr_time_from_sec(5 * 60)

/* Keys longer than this are refused; values larger than this are not cached. */
#define SAP_CACHE_MAX_KEY   200
#define SAP_CACHE_MAX_VALUE (32 * 1024)

typedef struct sap_cache_t sap_cache_t;

struct sap_cache_t {
    void *baton;
    const char *name;   /* provider name, for logs and /healthz */
    /* APR_NOTFOUND when absent or expired; *pvalue is NUL-terminated. */
    apr_status_t (*get)(sap_cache_t *cache, apr_pool_t *pool, const char *key,
                        const char **pvalue, apr_size_t *plen);
    apr_status_t (*set)(sap_cache_t *cache, apr_pool_t *pool, const char *key,
                        const char *value, apr_size_t len, apr_interval_time_t ttl);
    apr_status_t (*remove)(sap_cache_t *cache, apr_pool_t *pool, const char *key);
};

/* "sap:" + area + ":" + id — one namespace for all our entries (shmcb also
 * refuses keys shorter than 4 bytes). NULL when the key would be too long. */
const char *sap_cache_key(apr_pool_t *pool, const char *area, const char *id);

apr_status_t sap_cache_get(sap_cache_t *cache, apr_pool_t *pool, const char *key,
                           const char **pvalue, apr_size_t *plen);
apr_status_t sap_cache_set(sap_cache_t *cache, apr_pool_t *pool, const char *key,
                           const char *value, apr_size_t len, apr_interval_time_t ttl);
apr_status_t sap_cache_remove(sap_cache_t *cache, apr_pool_t *pool, const char *key);

/* A process-local cache (a hash under a mutex) for unit tests and for
 * tools that run without httpd. Thread-safe. */
apr_status_t sap_cache_mem_create(sap_cache_t **pcache, apr_pool_t *pool);

#endif
