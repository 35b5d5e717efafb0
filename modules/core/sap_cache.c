#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "sap_cache.h"
#include "sap_log.h"

#define SAP_CACHE_PREFIX "sap:"

const char *sap_cache_key(apr_pool_t *pool, const char *area, const char *id)
{
    const char *key = apr_pstrcat(pool, SAP_CACHE_PREFIX, area, ":", id, NULL);

    return strlen(key) > SAP_CACHE_MAX_KEY ? NULL : key;
}

/* The wrappers keep callers free of NULL checks: a missing cache or key is a
 * miss, and a failed write only costs a later database read. */
apr_status_t sap_cache_get(sap_cache_t *cache, apr_pool_t *pool, const char *key,
                           const char **pvalue, apr_size_t *plen)
{
    *pvalue = NULL;
    if (plen) {
        *plen = 0;
    }
    if (!cache || !key) {
        return APR_NOTFOUND;
    }
    return cache->get(cache, pool, key, pvalue, plen);
}

apr_status_t sap_cache_set(sap_cache_t *cache, apr_pool_t *pool, const char *key,
                           const char *value, apr_size_t len, apr_interval_time_t ttl)
{
    apr_status_t rv;

    if (!cache || !key) {
        return APR_EINVAL;
    }
    if (len > SAP_CACHE_MAX_VALUE) {
        return APR_ENOSPC;
    }
    rv = cache->set(cache, pool, key, value, len, ttl);
    if (rv != APR_SUCCESS) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_DEBUG, rv, "cache %s: cannot store %s",
                      cache->name, key);
    }
    return rv;
}

apr_status_t sap_cache_remove(sap_cache_t *cache, apr_pool_t *pool, const char *key)
{
    apr_status_t rv;

    if (!cache || !key) {
        return APR_EINVAL;
    }
    rv = cache->remove(cache, pool, key);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        /* A stale entry outlives its TTL at worst; say so loudly. */
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, rv,
                      "cache %s: cannot invalidate %s", cache->name, key);
    }
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

/* ---- process-local implementation ---- */

typedef struct mem_entry_t {
    char *value;
    apr_size_t len;
    apr_time_t expires;
} mem_entry_t;

typedef struct mem_cache_t {
    apr_pool_t *pool;          /* entries live here; freed with the cache */
    apr_hash_t *entries;
    apr_thread_mutex_t *mutex;
} mem_cache_t;

static apr_status_t mem_get(sap_cache_t *cache, apr_pool_t *pool, const char *key,
                            const char **pvalue, apr_size_t *plen)
{
    mem_cache_t *mem = cache->baton;
    mem_entry_t *entry;
    apr_status_t rv = APR_NOTFOUND;

    apr_thread_mutex_lock(mem->mutex);
    entry = apr_hash_get(mem->entries, key, APR_HASH_KEY_STRING);
    if (entry && entry->expires > apr_time_now()) {
        *pvalue = apr_pstrmemdup(pool, entry->value, entry->len);
        if (plen) {
            *plen = entry->len;
        }
        rv = APR_SUCCESS;
    }
    apr_thread_mutex_unlock(mem->mutex);
    return rv;
}

static apr_status_t mem_set(sap_cache_t *cache, apr_pool_t *pool, const char *key,
                            const char *value, apr_size_t len, apr_interval_time_t ttl)
{
    mem_cache_t *mem = cache->baton;
    mem_entry_t *entry;

    apr_thread_mutex_lock(mem->mutex);
    /* Superseded entries stay in mem->pool until the cache is destroyed:
     * fine for tests and short-lived tools, the only users of this kind. */
    entry = apr_palloc(mem->pool, sizeof(*entry));
    entry->value = apr_pmemdup(mem->pool, value, len);
    entry->len = len;
    entry->expires = apr_time_now() + ttl;
    apr_hash_set(mem->entries, apr_pstrdup(mem->pool, key), APR_HASH_KEY_STRING, entry);
    apr_thread_mutex_unlock(mem->mutex);
    return APR_SUCCESS;
}

static apr_status_t mem_remove(sap_cache_t *cache, apr_pool_t *pool, const char *key)
{
    mem_cache_t *mem = cache->baton;
    apr_status_t rv;

    apr_thread_mutex_lock(mem->mutex);
    rv = apr_hash_get(mem->entries, key, APR_HASH_KEY_STRING) ? APR_SUCCESS : APR_NOTFOUND;
    apr_hash_set(mem->entries, key, APR_HASH_KEY_STRING, NULL);
    apr_thread_mutex_unlock(mem->mutex);
    return rv;
}

apr_status_t sap_cache_mem_create(sap_cache_t **pcache, apr_pool_t *pool)
{
    sap_cache_t *cache = apr_pcalloc(pool, sizeof(*cache));
    mem_cache_t *mem = apr_pcalloc(pool, sizeof(*mem));
    apr_status_t rv;

    rv = apr_thread_mutex_create(&mem->mutex, APR_THREAD_MUTEX_DEFAULT, pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    mem->pool = pool;
    mem->entries = apr_hash_make(pool);
    cache->baton = mem;
    cache->name = "memory";
    cache->get = mem_get;
    cache->set = mem_set;
    cache->remove = mem_remove;
    *pcache = cache;
    return APR_SUCCESS;
}
