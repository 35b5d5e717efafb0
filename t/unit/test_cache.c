/* The cache interface's wrappers and the process-local implementation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "sap_cache.h"

typedef struct fixture_t {
    apr_pool_t *pool;
    sap_cache_t *cache;
} fixture_t;

static fixture_t fixture;

static int setup(void **state)
{
    if (apr_pool_create(&fixture.pool, NULL) != APR_SUCCESS
        || sap_cache_mem_create(&fixture.cache, fixture.pool) != APR_SUCCESS) {
        return -1;
    }
    *state = fixture.cache;
    return 0;
}

static int teardown(void **state)
{
    apr_pool_destroy(fixture.pool);
    return 0;
}

static apr_pool_t *scratch(void)
{
    apr_pool_t *pool = NULL;
    apr_pool_create(&pool, NULL);
    return pool;
}

static void test_key_namespacing(void **state)
{
    apr_pool_t *pool = scratch();
    char long_id[SAP_CACHE_MAX_KEY + 1];

    assert_string_equal(sap_cache_key(pool, "conn", "T123"), "sap:conn:T123");
    memset(long_id, 'x', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    assert_null(sap_cache_key(pool, "conn", long_id));
    apr_pool_destroy(pool);
}

static void test_set_get_remove(void **state)
{
    sap_cache_t *cache = *state;
    apr_pool_t *pool = scratch();
    const char *key = sap_cache_key(pool, "user", "ada@example.com");
    const char *value = NULL;
    apr_size_t len = 0;

    assert_int_equal(sap_cache_get(cache, pool, key, &value, &len), APR_NOTFOUND);
    assert_null(value);
    assert_int_equal(sap_cache_set(cache, pool, key, "U123\0tail", 9, apr_time_from_sec(60)), APR_SUCCESS);
    assert_int_equal(sap_cache_get(cache, pool, key, &value, &len), APR_SUCCESS);
    assert_int_equal(len, 9);
    assert_memory_equal(value, "U123\0tail", 9);
    assert_int_equal(value[9], '\0');
    /* overwrite */
    assert_int_equal(sap_cache_set(cache, pool, key, "U999", 4, apr_time_from_sec(60)), APR_SUCCESS);
    assert_int_equal(sap_cache_get(cache, pool, key, &value, &len), APR_SUCCESS);
    assert_string_equal(value, "U999");
    /* invalidation, twice (absent is not an error) */
    assert_int_equal(sap_cache_remove(cache, pool, key), APR_SUCCESS);
    assert_int_equal(sap_cache_get(cache, pool, key, &value, &len), APR_NOTFOUND);
    assert_int_equal(sap_cache_remove(cache, pool, key), APR_SUCCESS);
    apr_pool_destroy(pool);
}

static void test_entries_expire(void **state)
{
    sap_cache_t *cache = *state;
    apr_pool_t *pool = scratch();
    const char *value = NULL;

    assert_int_equal(sap_cache_set(cache, pool, "sap:t:short", "a", 1, apr_time_from_msec(100)), APR_SUCCESS);
    assert_int_equal(sap_cache_set(cache, pool, "sap:t:long", "b", 1, apr_time_from_sec(60)), APR_SUCCESS);
    assert_int_equal(sap_cache_get(cache, pool, "sap:t:short", &value, NULL), APR_SUCCESS);
    apr_sleep(apr_time_from_msec(200));
    assert_int_equal(sap_cache_get(cache, pool, "sap:t:short", &value, NULL), APR_NOTFOUND);
    assert_int_equal(sap_cache_get(cache, pool, "sap:t:long", &value, NULL), APR_SUCCESS);
    assert_string_equal(value, "b");
    apr_pool_destroy(pool);
}

static void test_limits_and_null_safety(void **state)
{
    sap_cache_t *cache = *state;
    apr_pool_t *pool = scratch();
    char *big = apr_palloc(pool, SAP_CACHE_MAX_VALUE + 1);
    const char *value = "unchanged";

    memset(big, 'v', SAP_CACHE_MAX_VALUE + 1);
    assert_int_equal(sap_cache_set(cache, pool, "sap:t:big", big, SAP_CACHE_MAX_VALUE + 1,
                                   apr_time_from_sec(60)), APR_ENOSPC);
    assert_int_equal(sap_cache_get(cache, pool, "sap:t:big", &value, NULL), APR_NOTFOUND);
    assert_int_equal(sap_cache_set(cache, pool, "sap:t:max", big, SAP_CACHE_MAX_VALUE,
                                   apr_time_from_sec(60)), APR_SUCCESS);
    /* no cache configured, or no key: a miss, never a crash */
    assert_int_equal(sap_cache_get(NULL, pool, "sap:t:x", &value, NULL), APR_NOTFOUND);
    assert_null(value);
    assert_int_equal(sap_cache_get(cache, pool, NULL, &value, NULL), APR_NOTFOUND);
    assert_int_equal(sap_cache_set(NULL, pool, "sap:t:x", "v", 1, 1), APR_EINVAL);
    assert_int_equal(sap_cache_remove(cache, pool, NULL), APR_EINVAL);
    apr_pool_destroy(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_namespacing),
        cmocka_unit_test_setup_teardown(test_set_get_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entries_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_and_null_safety, setup, teardown),
    };
    int failed;

    apr_initialize();
    failed = cmocka_run_group_tests_name("cache", tests, NULL, NULL);
    apr_terminate();
    return failed;
}
