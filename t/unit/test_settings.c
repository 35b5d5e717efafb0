/* sap_settings.c over an in-memory store: what is cached (including "no
 * override" and "the default template"), what each write drops, the
 * validation of the admin API's bodies, the target of a definition, and
 * the template previews. The store counts its reads, so a cache hit is a
 * read that did not reach it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "sap_blocks.h"
#include "sap_settings.h"

/* ------------------------------------------------------------------ fake store */

typedef struct fake_store_t {
    apr_pool_t *pool;              /* rows live here */
    int has_settings;
    sap_settings_t settings;
    apr_hash_t *definitions;       /* "product\ndefinition_id" → sap_definition_t */
    apr_hash_t *templates;         /* "product\ntype" → sap_stored_template_t */
    apr_array_header_t *connections;   /* sap_connection_t */
    int settings_reads, settings_writes;
    int definition_reads, definition_writes;
    int template_reads, template_writes;
    int connection_list_reads;
    int fail;                      /* every operation fails with APR_EGENERAL */
} fake_store_t;

static fake_store_t *fake_of(sap_store_t *store)
{
    return store->baton;
}

static const char *dup_or_null(apr_pool_t *pool, const char *text)
{
    return text ? apr_pstrdup(pool, text) : NULL;
}

static apr_status_t f_settings_get(sap_store_t *store, apr_pool_t *pool, sap_settings_t **psettings)
{
    fake_store_t *fake = fake_of(store);

    fake->settings_reads++;
    *psettings = NULL;
    if (fake->fail) {
        return APR_EGENERAL;
    }
    if (!fake->has_settings) {
        return APR_NOTFOUND;
    }
    *psettings = apr_pmemdup(pool, &fake->settings, sizeof(fake->settings));
    return APR_SUCCESS;
}

static apr_status_t f_settings_put(sap_store_t *store, const sap_settings_t *settings)
{
    fake_store_t *fake = fake_of(store);

    fake->settings_writes++;
    if (fake->fail) {
        return APR_EGENERAL;
    }
    fake->has_settings = 1;
    fake->settings.mechanism = dup_or_null(fake->pool, settings->mechanism);
    fake->settings.delivery_mode = dup_or_null(fake->pool, settings->delivery_mode);
    fake->settings.default_channel = dup_or_null(fake->pool, settings->default_channel);
    fake->settings.default_channel_name = dup_or_null(fake->pool, settings->default_channel_name);
    fake->settings.updated_by = dup_or_null(fake->pool, settings->updated_by);
    fake->settings.updated_at = "2026-11-30T10:00:00Z";
    return APR_SUCCESS;
}

static const char *pair_key(apr_pool_t *pool, const char *a, const char *b)
{
    return apr_pstrcat(pool, a, "\n", b, NULL);
}

static apr_status_t f_definition_get(sap_store_t *store, apr_pool_t *pool, const char *product,
                                     const char *definition_id, sap_definition_t **pdefinition)
{
    fake_store_t *fake = fake_of(store);
    sap_definition_t *found;

    fake->definition_reads++;
    *pdefinition = NULL;
    if (fake->fail) {
        return APR_EGENERAL;
    }
    found = apr_hash_get(fake->definitions, pair_key(pool, product, definition_id), APR_HASH_KEY_STRING);
    if (!found) {
        return APR_NOTFOUND;
    }
    *pdefinition = apr_pmemdup(pool, found, sizeof(*found));
    return APR_SUCCESS;
}

static apr_status_t f_definition_put(sap_store_t *store, const sap_definition_t *definition)
{
    fake_store_t *fake = fake_of(store);
    sap_definition_t *row = apr_pcalloc(fake->pool, sizeof(*row));

    fake->definition_writes++;
    if (fake->fail) {
        return APR_EGENERAL;
    }
    row->product = apr_pstrdup(fake->pool, definition->product);
    row->definition_id = apr_pstrdup(fake->pool, definition->definition_id);
    row->connection_id = definition->connection_id;
    row->channel = dup_or_null(fake->pool, definition->channel);
    row->channel_name = dup_or_null(fake->pool, definition->channel_name);
    row->updated_by = dup_or_null(fake->pool, definition->updated_by);
    row->updated_at = "2026-11-30T10:00:00Z";
    apr_hash_set(fake->definitions, pair_key(fake->pool, row->product, row->definition_id),
                 APR_HASH_KEY_STRING, row);
    return APR_SUCCESS;
}

static apr_status_t f_definition_delete(sap_store_t *store, const char *product,
                                        const char *definition_id)
{
    fake_store_t *fake = fake_of(store);
    const char *key = pair_key(fake->pool, product, definition_id);

    fake->definition_writes++;
    if (!apr_hash_get(fake->definitions, key, APR_HASH_KEY_STRING)) {
        return APR_NOTFOUND;
    }
    apr_hash_set(fake->definitions, key, APR_HASH_KEY_STRING, NULL);
    return APR_SUCCESS;
}

static apr_status_t f_template_get(sap_store_t *store, apr_pool_t *pool, const char *product,
                                   const char *type, sap_stored_template_t **ptemplate)
{
    fake_store_t *fake = fake_of(store);
    sap_stored_template_t *found;

    fake->template_reads++;
    *ptemplate = NULL;
    if (fake->fail) {
        return APR_EGENERAL;
    }
    found = apr_hash_get(fake->templates, pair_key(pool, product, type), APR_HASH_KEY_STRING);
    if (!found) {
        return APR_NOTFOUND;
    }
    *ptemplate = apr_pmemdup(pool, found, sizeof(*found));
    return APR_SUCCESS;
}

static apr_status_t f_template_put(sap_store_t *store, const sap_stored_template_t *tpl)
{
    fake_store_t *fake = fake_of(store);
    sap_stored_template_t *row = apr_pcalloc(fake->pool, sizeof(*row));

    fake->template_writes++;
    row->product = apr_pstrdup(fake->pool, tpl->product);
    row->notification_type = apr_pstrdup(fake->pool, tpl->notification_type);
    row->slack_body = apr_pstrdup(fake->pool, tpl->slack_body);
    row->email_subject = apr_pstrdup(fake->pool, tpl->email_subject);
    row->email_body = apr_pstrdup(fake->pool, tpl->email_body);
    row->updated_by = dup_or_null(fake->pool, tpl->updated_by);
    row->updated_at = "2026-11-30T10:00:00Z";
    apr_hash_set(fake->templates, pair_key(fake->pool, row->product, row->notification_type),
                 APR_HASH_KEY_STRING, row);
    return APR_SUCCESS;
}

static apr_status_t f_template_delete(sap_store_t *store, const char *product, const char *type)
{
    fake_store_t *fake = fake_of(store);
    const char *key = pair_key(fake->pool, product, type);

    fake->template_writes++;
    if (!apr_hash_get(fake->templates, key, APR_HASH_KEY_STRING)) {
        return APR_NOTFOUND;
    }
    apr_hash_set(fake->templates, key, APR_HASH_KEY_STRING, NULL);
    return APR_SUCCESS;
}

static apr_status_t f_template_list(sap_store_t *store, apr_pool_t *pool,
                                    apr_array_header_t **ptemplates)
{
    fake_store_t *fake = fake_of(store);
    apr_hash_index_t *hi;

    fake->template_reads++;
    *ptemplates = apr_array_make(pool, 4, sizeof(sap_stored_template_t));
    for (hi = apr_hash_first(pool, fake->templates); hi; hi = apr_hash_next(hi)) {
        *(sap_stored_template_t *)apr_array_push(*ptemplates) = *(sap_stored_template_t *)apr_hash_this_val(hi);
    }
    return APR_SUCCESS;
}

static apr_status_t f_connection_list(sap_store_t *store, apr_pool_t *pool,
                                      apr_array_header_t **pconnections)
{
    fake_store_t *fake = fake_of(store);

    fake->connection_list_reads++;
    *pconnections = apr_array_copy(pool, fake->connections);
    return APR_SUCCESS;
}

static apr_status_t f_connection_get(sap_store_t *store, apr_pool_t *pool, apr_int64_t id,
                                     const char *team_id, int want_token,
                                     sap_connection_t **pconnection)
{
    fake_store_t *fake = fake_of(store);
    int i;

    *pconnection = NULL;
    for (i = 0; i < fake->connections->nelts; i++) {
        sap_connection_t *each = &APR_ARRAY_IDX(fake->connections, i, sap_connection_t);

        if (each->id == id) {
            *pconnection = apr_pmemdup(pool, each, sizeof(*each));
            return APR_SUCCESS;
        }
    }
    return APR_NOTFOUND;
}

/* Only the operations sap_settings.c (and the connection list it reads)
 * uses; the others stay NULL and would crash a test that reached them. */
static const sap_store_ops_t fake_ops = {
    .connection_list = f_connection_list,
    .connection_get = f_connection_get,
    .settings_get = f_settings_get,
    .settings_put = f_settings_put,
    .definition_get = f_definition_get,
    .definition_put = f_definition_put,
    .definition_delete = f_definition_delete,
    .template_get = f_template_get,
    .template_put = f_template_put,
    .template_delete = f_template_delete,
    .template_list = f_template_list,
};

/* ------------------------------------------------------------------ fixture */

typedef struct fixture_t {
    apr_pool_t *pool;
    fake_store_t fake;
    sap_store_t store;
    sap_cache_t *cache;
    sap_connections_t connections;
    sap_settings_env_t env;
} fixture_t;

static void add_connection(fixture_t *fx, apr_int64_t id, const char *team_id, int is_default,
                           const char *status)
{
    sap_connection_t *conn = apr_array_push(fx->fake.connections);

    memset(conn, 0, sizeof(*conn));
    conn->id = id;
    conn->team_id = team_id;
    conn->team_name = team_id;
    conn->display_name = team_id;
    conn->scopes = "";
    conn->is_default = is_default;
    conn->status = status;
}

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof(*fx));

    if (!fx || apr_pool_create(&fx->pool, NULL) != APR_SUCCESS
        || sap_cache_mem_create(&fx->cache, fx->pool) != APR_SUCCESS) {
        return -1;
    }
    fx->fake.pool = fx->pool;
    fx->fake.definitions = apr_hash_make(fx->pool);
    fx->fake.templates = apr_hash_make(fx->pool);
    fx->fake.connections = apr_array_make(fx->pool, 4, sizeof(sap_connection_t));
    fx->fake.has_settings = 1;
    fx->fake.settings.mechanism = SAP_MECHANISM_SLACK;
    fx->fake.settings.delivery_mode = SAP_DELIVERY_DM;
    fx->store.ops = &fake_ops;
    fx->store.baton = &fx->fake;
    fx->store.pool = fx->pool;
    fx->connections.store = &fx->store;
    fx->connections.cache = fx->cache;
    fx->env.store = &fx->store;
    fx->env.cache = fx->cache;
    fx->env.connections = &fx->connections;
    fx->env.slack = NULL;
    add_connection(fx, 3, "T0ACME0001", 1, SAP_CONN_ACTIVE);
    add_connection(fx, 4, "T0OTHER001", 0, SAP_CONN_ACTIVE);
    add_connection(fx, 5, "T0GONE0001", 0, SAP_CONN_REVOKED);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;

    apr_pool_destroy(fx->pool);
    free(fx);
    return 0;
}

static apr_pool_t *scratch(fixture_t *fx)
{
    apr_pool_t *pool = NULL;

    apr_pool_create(&pool, fx->pool);
    return pool;
}

static json_t *body_of(const char *text)
{
    json_error_t err;
    json_t *json = json_loads(text, 0, &err);

    assert_non_null(json);
    return json;
}

/* ------------------------------------------------------------------ settings */

static void test_settings_cached(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_settings_t *settings = NULL;
    int i;

    for (i = 0; i < 5; i++) {
        assert_int_equal(sap_settings_get(&fx->env, pool, &settings), APR_SUCCESS);
        assert_string_equal(settings->mechanism, SAP_MECHANISM_SLACK);
        assert_string_equal(settings->delivery_mode, SAP_DELIVERY_DM);
        assert_null(settings->default_channel);
    }
    assert_int_equal(fx->fake.settings_reads, 1);

    /* a change behind the module's back is not seen until the entry goes */
    fx->fake.settings.delivery_mode = SAP_DELIVERY_BOTH;
    assert_int_equal(sap_settings_get(&fx->env, pool, &settings), APR_SUCCESS);
    assert_string_equal(settings->delivery_mode, SAP_DELIVERY_DM);
    assert_int_equal(sap_cache_remove(fx->cache, pool, sap_cache_key(pool, SAP_SETTINGS_CACHE_AREA,
                                                                     SAP_SETTINGS_CACHE_ID)),
                     APR_SUCCESS);
    assert_int_equal(sap_settings_get(&fx->env, pool, &settings), APR_SUCCESS);
    assert_string_equal(settings->delivery_mode, SAP_DELIVERY_BOTH);
    assert_int_equal(fx->fake.settings_reads, 2);
    apr_pool_destroy(pool);
}

static void test_settings_defaults_and_no_cache(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_settings_t *settings = NULL;

    fx->fake.has_settings = 0;
    fx->env.cache = NULL;
    assert_int_equal(sap_settings_get(&fx->env, pool, &settings), APR_SUCCESS);
    assert_string_equal(settings->mechanism, SAP_MECHANISM_NATIVE);
    assert_string_equal(settings->delivery_mode, SAP_DELIVERY_DM);
    assert_null(settings->default_channel);
    assert_int_equal(sap_settings_get(&fx->env, pool, &settings), APR_SUCCESS);
    assert_int_equal(fx->fake.settings_reads, 2);   /* no cache: every read reaches the store */

    fx->fake.fail = 1;
    assert_int_not_equal(sap_settings_get(&fx->env, pool, &settings), APR_SUCCESS);
    apr_pool_destroy(pool);
}

static void test_settings_update_invalidates(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_settings_t *settings = NULL, *stored = NULL;
    sap_settings_problem_t problem;
    json_t *body = body_of("{\"delivery_mode\": \"both\"}");

    assert_int_equal(sap_settings_get(&fx->env, pool, &settings), APR_SUCCESS);
    assert_int_equal(sap_settings_update(&fx->env, pool, body, "alice", &stored, &problem),
                     APR_SUCCESS);
    json_decref(body);
    assert_string_equal(stored->delivery_mode, SAP_DELIVERY_BOTH);
    assert_string_equal(stored->mechanism, SAP_MECHANISM_SLACK);   /* untouched */
    assert_string_equal(stored->updated_by, "alice");
    assert_int_equal(sap_settings_get(&fx->env, pool, &settings), APR_SUCCESS);
    assert_string_equal(settings->delivery_mode, SAP_DELIVERY_BOTH);   /* visible at once */

    /* clearing a channel needs no Slack */
    fx->fake.settings.default_channel = "C0OLD00001";
    fx->fake.settings.default_channel_name = "#old";
    body = body_of("{\"default_channel\": null, \"mechanism\": \"email\"}");
    assert_int_equal(sap_settings_update(&fx->env, pool, body, "alice", &stored, &problem),
                     APR_SUCCESS);
    json_decref(body);
    assert_null(stored->default_channel);
    assert_null(fx->fake.settings.default_channel_name);
    assert_string_equal(stored->mechanism, SAP_MECHANISM_EMAIL);

    /* the stored channel again (by name or id): not checked, not changed */
    fx->fake.settings.default_channel = "C0OLD00001";
    fx->fake.settings.default_channel_name = "#old";
    body = body_of("{\"default_channel\": \" #old \"}");
    assert_int_equal(sap_settings_update(&fx->env, pool, body, "bob", &stored, &problem),
                     APR_SUCCESS);
    json_decref(body);
    assert_string_equal(stored->default_channel, "C0OLD00001");
    body = body_of("{\"default_channel\": \"C0OLD00001\", \"updated_at\": \"x\", \"warnings\": []}");
    assert_int_equal(sap_settings_update(&fx->env, pool, body, "bob", &stored, &problem),
                     APR_SUCCESS);
    json_decref(body);
    assert_string_equal(stored->default_channel_name, "#old");
    apr_pool_destroy(pool);
}

static void expect_refused(fixture_t *fx, const char *text, sap_problem_kind_t kind,
                           const char *error, const char *field)
{
    apr_pool_t *pool = scratch(fx);
    sap_settings_t *stored = NULL;
    sap_settings_problem_t problem;
    json_t *body = body_of(text);
    int writes = fx->fake.settings_writes;
    json_t *answer;

    assert_int_not_equal(sap_settings_update(&fx->env, pool, body, "alice", &stored, &problem),
                         APR_SUCCESS);
    json_decref(body);
    assert_null(stored);
    assert_int_equal(problem.kind, kind);
    assert_string_equal(problem.error, error);
    if (field) {
        assert_string_equal(problem.field, field);
    }
    assert_non_null(problem.message);
    assert_int_equal(fx->fake.settings_writes, writes);   /* nothing saved */
    answer = sap_settings_problem_json(&problem);
    assert_string_equal(json_string_value(json_object_get(answer, "error")), error);
    json_decref(answer);
    apr_pool_destroy(pool);
}

static void test_settings_validation(void **state)
{
    fixture_t *fx = *state;

    expect_refused(fx, "{\"colour\": \"red\"}", SAP_PROBLEM_INVALID, "unknown_field", "colour");
    expect_refused(fx, "{\"mechanism\": \"pigeon\"}", SAP_PROBLEM_INVALID, "invalid_field", "mechanism");
    expect_refused(fx, "{\"mechanism\": 1}", SAP_PROBLEM_INVALID, "invalid_field", "mechanism");
    expect_refused(fx, "{\"delivery_mode\": null}", SAP_PROBLEM_INVALID, "invalid_field",
                   "delivery_mode");
    expect_refused(fx, "{\"default_channel\": 7}", SAP_PROBLEM_INVALID, "invalid_field",
                   "default_channel");
    expect_refused(fx, "{\"default_channel\": \"#two words\"}", SAP_PROBLEM_INVALID,
                   "invalid_field", "default_channel");
    expect_refused(fx, "{\"default_channel\": \"U0CY000001\"}", SAP_PROBLEM_INVALID,
                   "invalid_field", "default_channel");
    expect_refused(fx, "{\"default_channel\": \"#\"}", SAP_PROBLEM_INVALID, "invalid_field",
                   "default_channel");
    /* a valid value with an invalid one: nothing of it is saved */
    expect_refused(fx, "{\"delivery_mode\": \"both\", \"mechanism\": \"fax\"}", SAP_PROBLEM_INVALID,
                   "invalid_field", "mechanism");
    /* a new channel needs Slack to be checked */
    expect_refused(fx, "{\"default_channel\": \"#approvals\"}", SAP_PROBLEM_UPSTREAM,
                   "transport_error", "default_channel");
}

static void test_settings_warnings(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_settings_t settings = {0};
    json_t *warnings;

    settings.mechanism = SAP_MECHANISM_SLACK;
    settings.delivery_mode = SAP_DELIVERY_CHANNEL;
    warnings = sap_settings_warnings(&fx->env, pool, &settings);
    assert_int_equal(json_array_size(warnings), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(warnings, 0), "code")),
                        "no_default_channel");
    json_decref(warnings);

    settings.default_channel = "C0APPROVAL";
    APR_ARRAY_IDX(fx->fake.connections, 0, sap_connection_t).status = SAP_CONN_REVOKED;
    sap_connections_forget(&fx->connections, pool, 0);
    warnings = sap_settings_warnings(&fx->env, pool, &settings);
    assert_int_equal(json_array_size(warnings), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(warnings, 0), "code")),
                        "no_default_workspace");
    json_decref(warnings);

    settings.delivery_mode = SAP_DELIVERY_DM;
    settings.mechanism = SAP_MECHANISM_NATIVE;
    warnings = sap_settings_warnings(&fx->env, pool, &settings);
    assert_int_equal(json_array_size(warnings), 0);
    json_decref(warnings);
    apr_pool_destroy(pool);
}

/* ------------------------------------------------------------------ definitions */

static void test_definition_negative_cache(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_definition_t *definition = NULL;
    sap_settings_problem_t problem;
    json_t *body;
    int i;

    for (i = 0; i < 4; i++) {
        assert_int_equal(sap_settings_definition(&fx->env, pool, "jira", "D-7", &definition),
                         APR_NOTFOUND);
        assert_null(definition);
    }
    assert_int_equal(fx->fake.definition_reads, 1);   /* "no override" is cached too */

    body = body_of("{\"connection_id\": 4}");
    assert_int_equal(sap_settings_definition_put(&fx->env, pool, "jira", "D-7", body, "alice",
                                                 &definition, &problem), APR_SUCCESS);
    json_decref(body);
    assert_int_equal(definition->connection_id, 4);
    assert_null(definition->channel);
    definition = NULL;
    assert_int_equal(sap_settings_definition(&fx->env, pool, "jira", "D-7", &definition),
                     APR_SUCCESS);
    assert_int_equal(definition->connection_id, 4);
    assert_string_equal(definition->updated_by, "alice");
    i = fx->fake.definition_reads;
    assert_int_equal(sap_settings_definition(&fx->env, pool, "jira", "D-7", &definition),
                     APR_SUCCESS);
    assert_int_equal(fx->fake.definition_reads, i);   /* a hit */

    /* the other product's definition of the same id is another entry */
    assert_int_equal(sap_settings_definition(&fx->env, pool, "confluence", "D-7", &definition),
                     APR_NOTFOUND);

    assert_int_equal(sap_settings_definition_delete(&fx->env, pool, "jira", "D-7", &problem),
                     APR_SUCCESS);
    assert_int_equal(sap_settings_definition(&fx->env, pool, "jira", "D-7", &definition),
                     APR_NOTFOUND);
    assert_int_equal(sap_settings_definition_delete(&fx->env, pool, "jira", "D-7", &problem),
                     APR_EINVAL);
    assert_int_equal(problem.kind, SAP_PROBLEM_NOT_FOUND);
    apr_pool_destroy(pool);
}

static void test_definition_unusual_ids(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_definition_t *definition = NULL;
    sap_settings_problem_t problem;
    char long_id[SAP_DEFINITION_ID_MAX + 2];
    const char *ids[3];
    json_t *body;
    int i;

    memset(long_id, 'x', SAP_DEFINITION_ID_MAX);
    long_id[SAP_DEFINITION_ID_MAX] = '\0';
    ids[0] = long_id;                         /* too long for a cache key as it is */
    ids[1] = "Finance approval / Q3";         /* spaces and a slash: hashed */
    ids[2] = "Zürich-7";
    for (i = 0; i < 3; i++) {
        body = body_of(i == 2 ? "{\"connection_id\": 3}" : "{\"connection_id\": 4}");
        assert_int_equal(sap_settings_definition_put(&fx->env, pool, "confluence", ids[i], body,
                                                     "alice", &definition, &problem), APR_SUCCESS);
        json_decref(body);
    }
    for (i = 0; i < 3; i++) {
        assert_int_equal(sap_settings_definition(&fx->env, pool, "confluence", ids[i], &definition),
                         APR_SUCCESS);
        assert_string_equal(definition->definition_id, ids[i]);
        assert_int_equal(definition->connection_id, i == 2 ? 3 : 4);
    }
    i = fx->fake.definition_reads;
    assert_int_equal(sap_settings_definition(&fx->env, pool, "confluence", long_id, &definition),
                     APR_SUCCESS);
    assert_int_equal(fx->fake.definition_reads, i);   /* cached under its hash */

    long_id[SAP_DEFINITION_ID_MAX] = 'x';
    long_id[SAP_DEFINITION_ID_MAX + 1] = '\0';
    assert_false(sap_settings_definition_id_valid(long_id));
    assert_false(sap_settings_definition_id_valid(""));
    assert_false(sap_settings_definition_id_valid("a\tb"));
    assert_false(sap_settings_definition_id_valid("\xff\xfe"));
    assert_true(sap_settings_definition_id_valid("D-7"));
    apr_pool_destroy(pool);
}

static void expect_definition_refused(fixture_t *fx, const char *product, const char *id,
                                      const char *text, sap_problem_kind_t kind, const char *error,
                                      const char *field)
{
    apr_pool_t *pool = scratch(fx);
    sap_definition_t *definition = NULL;
    sap_settings_problem_t problem;
    json_t *body = body_of(text);
    int writes = fx->fake.definition_writes;

    assert_int_not_equal(sap_settings_definition_put(&fx->env, pool, product, id, body, "alice",
                                                     &definition, &problem), APR_SUCCESS);
    json_decref(body);
    assert_int_equal(problem.kind, kind);
    assert_string_equal(problem.error, error);
    if (field) {
        assert_string_equal(problem.field, field);
    }
    assert_int_equal(fx->fake.definition_writes, writes);
    apr_pool_destroy(pool);
}

static void test_definition_validation(void **state)
{
    fixture_t *fx = *state;

    expect_definition_refused(fx, "bitbucket", "D-7", "{\"connection_id\": 3}",
                              SAP_PROBLEM_INVALID, "invalid_field", "product");
    expect_definition_refused(fx, "jira", "", "{\"connection_id\": 3}",
                              SAP_PROBLEM_INVALID, "invalid_field", "definition_id");
    expect_definition_refused(fx, "jira", "D-7", "{\"connection_id\": 99}",
                              SAP_PROBLEM_NOT_FOUND, "connection_not_found", "connection_id");
    expect_definition_refused(fx, "jira", "D-7", "{\"connection_id\": 5}",
                              SAP_PROBLEM_CONFLICT, "connection_inactive", "connection_id");
    expect_definition_refused(fx, "jira", "D-7", "{\"connection_id\": \"3\"}",
                              SAP_PROBLEM_INVALID, "invalid_field", "connection_id");
    expect_definition_refused(fx, "jira", "D-7", "{\"connection_id\": -1}",
                              SAP_PROBLEM_INVALID, "invalid_field", "connection_id");
    expect_definition_refused(fx, "jira", "D-7", "{\"channel\": false}",
                              SAP_PROBLEM_INVALID, "invalid_field", "channel");
    expect_definition_refused(fx, "jira", "D-7", "{\"workspace\": 3}",
                              SAP_PROBLEM_INVALID, "unknown_field", "workspace");
    expect_definition_refused(fx, "jira", "D-7", "{}",
                              SAP_PROBLEM_INVALID, "nothing_to_override", NULL);
    expect_definition_refused(fx, "jira", "D-7", "{\"connection_id\": null, \"channel\": \"\"}",
                              SAP_PROBLEM_INVALID, "nothing_to_override", NULL);
    expect_definition_refused(fx, "jira", "D-7", "{\"channel\": \"#finance\"}",
                              SAP_PROBLEM_UPSTREAM, "transport_error", "channel");
}

static void test_target(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_settings_t settings = {0};
    sap_target_t target;
    sap_definition_t *row;

    settings.mechanism = SAP_MECHANISM_SLACK;
    settings.delivery_mode = SAP_DELIVERY_BOTH;
    settings.default_channel = "C0DEFAULT1";
    settings.default_channel_name = "#approvals";

    /* no definition, or none overridden: the defaults */
    assert_int_equal(sap_settings_target(&fx->env, pool, &settings, "jira", NULL, &target),
                     APR_SUCCESS);
    assert_int_equal(target.connection_id, 0);
    assert_string_equal(target.channel, "C0DEFAULT1");
    assert_string_equal(target.channel_name, "#approvals");
    assert_false(target.workspace_overridden || target.channel_overridden);
    assert_int_equal(sap_settings_target(&fx->env, pool, &settings, "jira", "D-1", &target),
                     APR_SUCCESS);
    assert_int_equal(target.connection_id, 0);
    assert_string_equal(target.channel, "C0DEFAULT1");

    /* the workspace only: the default channel stays */
    row = apr_pcalloc(fx->pool, sizeof(*row));
    row->product = "jira";
    row->definition_id = "D-2";
    row->connection_id = 4;
    assert_int_equal(f_definition_put(&fx->store, row), APR_SUCCESS);
    assert_int_equal(sap_settings_target(&fx->env, pool, &settings, "jira", "D-2", &target),
                     APR_SUCCESS);
    assert_int_equal(target.connection_id, 4);
    assert_true(target.workspace_overridden);
    assert_false(target.channel_overridden);
    assert_string_equal(target.channel, "C0DEFAULT1");

    /* the channel only */
    row->definition_id = "D-3";
    row->connection_id = 0;
    row->channel = "C0FINANCE1";
    row->channel_name = "#finance";
    assert_int_equal(f_definition_put(&fx->store, row), APR_SUCCESS);
    assert_int_equal(sap_settings_target(&fx->env, pool, &settings, "jira", "D-3", &target),
                     APR_SUCCESS);
    assert_int_equal(target.connection_id, 0);
    assert_false(target.workspace_overridden);
    assert_true(target.channel_overridden);
    assert_string_equal(target.channel, "C0FINANCE1");
    assert_string_equal(target.channel_name, "#finance");

    /* a deleted connection falls back to the default at once, even while
     * the override's cache entry still names it */
    apr_array_pop(fx->fake.connections);   /* 5 */
    apr_array_pop(fx->fake.connections);   /* 4 */
    sap_connections_forget(&fx->connections, pool, 4);
    assert_int_equal(sap_settings_target(&fx->env, pool, &settings, "jira", "D-2", &target),
                     APR_SUCCESS);
    assert_int_equal(target.connection_id, 0);
    assert_false(target.workspace_overridden);

    /* no default channel */
    settings.default_channel = NULL;
    assert_int_equal(sap_settings_target(&fx->env, pool, &settings, "confluence", "X", &target),
                     APR_SUCCESS);
    assert_null(target.channel);
    assert_null(target.channel_name);

    fx->fake.fail = 1;
    assert_int_not_equal(sap_settings_target(&fx->env, pool, &settings, "confluence", "Y", &target),
                         APR_SUCCESS);
    apr_pool_destroy(pool);
}

/* ------------------------------------------------------------------ templates */

static void test_template_default_cached(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_template_t tpl;
    int customised = -1, i;
    const sap_template_t *fallback = sap_template_default("jira", "approval_requested");

    assert_non_null(fallback);
    for (i = 0; i < 3; i++) {
        assert_int_equal(sap_settings_template(&fx->env, pool, "jira", "approval_requested", &tpl,
                                               &customised), APR_SUCCESS);
        assert_int_equal(customised, 0);
        assert_string_equal(tpl.slack_body, fallback->slack_body);
        assert_string_equal(tpl.email_subject, fallback->email_subject);
        assert_string_equal(tpl.email_body, fallback->email_body);
    }
    assert_int_equal(fx->fake.template_reads, 1);   /* "the default" is cached too */
    /* pcustomised may be NULL */
    assert_int_equal(sap_settings_template(&fx->env, pool, "jira", "approval_requested", &tpl, NULL),
                     APR_SUCCESS);
    assert_int_equal(sap_settings_template(&fx->env, pool, "jira", "no_such_type", &tpl, &customised),
                     APR_NOTFOUND);
    assert_int_equal(sap_settings_template(&fx->env, pool, "trello", "approval_requested", &tpl,
                                           &customised), APR_NOTFOUND);
    apr_pool_destroy(pool);
}

static void test_template_put_reset(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_settings_problem_t problem;
    sap_template_t tpl;
    json_t *body, *view = NULL;
    int customised = 0, was = -1;

    assert_int_equal(sap_settings_template(&fx->env, pool, "confluence", "step_expired", &tpl,
                                           &customised), APR_SUCCESS);
    body = body_of("{\"slack_body\": \"*{{approval.name}}* expired\", "
                   "\"email_subject\": \"Expired: {{approval.name}}\", "
                   "\"email_body\": \"{{approval.url}}\", \"customised\": false}");
    assert_int_equal(sap_settings_template_put(&fx->env, pool, "confluence", "step_expired", body,
                                               "alice", &problem), APR_SUCCESS);
    json_decref(body);
    assert_int_equal(sap_settings_template(&fx->env, pool, "confluence", "step_expired", &tpl,
                                           &customised), APR_SUCCESS);
    assert_int_equal(customised, 1);
    assert_string_equal(tpl.slack_body, "*{{approval.name}}* expired");
    assert_string_equal(tpl.email_subject, "Expired: {{approval.name}}");

    assert_int_equal(sap_settings_template_json(&fx->env, pool, "confluence", "step_expired", 1,
                                                &view), APR_SUCCESS);
    assert_true(json_is_true(json_object_get(view, "customised")));
    assert_string_equal(json_string_value(json_object_get(view, "updated_by")), "alice");
    assert_non_null(json_object_get(json_object_get(view, "default"), "slack_body"));
    json_decref(view);

    assert_int_equal(sap_settings_template_reset(&fx->env, pool, "confluence", "step_expired",
                                                 &was, &problem), APR_SUCCESS);
    assert_int_equal(was, 1);
    assert_int_equal(sap_settings_template(&fx->env, pool, "confluence", "step_expired", &tpl,
                                           &customised), APR_SUCCESS);
    assert_int_equal(customised, 0);
    assert_string_equal(tpl.slack_body,
                        sap_template_default("confluence", "step_expired")->slack_body);
    assert_int_equal(sap_settings_template_reset(&fx->env, pool, "confluence", "step_expired",
                                                 &was, &problem), APR_SUCCESS);
    assert_int_equal(was, 0);
    apr_pool_destroy(pool);
}

static void test_template_too_big_for_the_cache(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_settings_problem_t problem;
    sap_template_t tpl;
    char *part = apr_palloc(pool, SAP_MUSTACHE_MAX_SOURCE + 1);
    json_t *body;
    int customised = 0, reads;

    memset(part, 'a', SAP_MUSTACHE_MAX_SOURCE);
    part[SAP_MUSTACHE_MAX_SOURCE] = '\0';
    body = json_pack("{s:s, s:s, s:s}", "slack_body", part, "email_subject", "s",
                     "email_body", part);
    assert_int_equal(sap_settings_template_put(&fx->env, pool, "jira", "approval_deleted", body,
                                               "alice", &problem), APR_SUCCESS);
    json_decref(body);
    assert_int_equal(sap_settings_template(&fx->env, pool, "jira", "approval_deleted", &tpl,
                                           &customised), APR_SUCCESS);
    reads = fx->fake.template_reads;
    assert_int_equal(sap_settings_template(&fx->env, pool, "jira", "approval_deleted", &tpl,
                                           &customised), APR_SUCCESS);
    assert_int_equal(customised, 1);
    assert_int_equal(strlen(tpl.slack_body), SAP_MUSTACHE_MAX_SOURCE);
    assert_int_equal(fx->fake.template_reads, reads + 1);   /* over 32 KiB: read each time */
    apr_pool_destroy(pool);
}

static void expect_template_refused(fixture_t *fx, const char *product, const char *type,
                                    json_t *body, sap_problem_kind_t kind, const char *error,
                                    const char *field)
{
    apr_pool_t *pool = scratch(fx);
    sap_settings_problem_t problem;
    int writes = fx->fake.template_writes;

    assert_int_not_equal(sap_settings_template_put(&fx->env, pool, product, type, body, "alice",
                                                   &problem), APR_SUCCESS);
    json_decref(body);
    assert_int_equal(problem.kind, kind);
    assert_string_equal(problem.error, error);
    if (field) {
        assert_string_equal(problem.field, field);
    }
    assert_int_equal(fx->fake.template_writes, writes);
    apr_pool_destroy(pool);
}

static void test_template_validation(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_settings_problem_t problem;
    char *big = apr_palloc(pool, SAP_MUSTACHE_MAX_SOURCE + 2);
    json_t *answer, *body;

    memset(big, 'b', SAP_MUSTACHE_MAX_SOURCE + 1);
    big[SAP_MUSTACHE_MAX_SOURCE + 1] = '\0';
    expect_template_refused(fx, "jira", "nope", body_of("{}"), SAP_PROBLEM_NOT_FOUND, "not_found",
                            NULL);
    expect_template_refused(fx, "jira", "approval_requested",
                            body_of("{\"slack_body\": \"x\", \"email_subject\": \"y\"}"),
                            SAP_PROBLEM_INVALID, "invalid_field", "email_body");
    expect_template_refused(fx, "jira", "approval_requested",
                            body_of("{\"slack_body\": 1, \"email_subject\": \"y\", \"email_body\": \"z\"}"),
                            SAP_PROBLEM_INVALID, "invalid_field", "slack_body");
    expect_template_refused(fx, "jira", "approval_requested",
                            body_of("{\"slack_body\": \"x\", \"email_subject\": \"  \", \"email_body\": \"z\"}"),
                            SAP_PROBLEM_INVALID, "invalid_field", "email_subject");
    expect_template_refused(fx, "jira", "approval_requested",
                            json_pack("{s:s, s:s, s:s}", "slack_body", big, "email_subject", "y",
                                      "email_body", "z"),
                            SAP_PROBLEM_INVALID, "invalid_field", "slack_body");
    expect_template_refused(fx, "jira", "approval_requested",
                            body_of("{\"slack_body\": \"x\", \"email_subject\": \"y\", "
                                    "\"email_body\": \"z\", \"html_body\": \"<p>\"}"),
                            SAP_PROBLEM_INVALID, "unknown_field", "html_body");

    /* a parse error: the part and the position */
    body = body_of("{\"slack_body\": \"ok\", \"email_subject\": \"fine\", "
                   "\"email_body\": \"line 1\\n  {{#step}}open\"}");
    assert_int_equal(sap_settings_template_put(&fx->env, pool, "jira", "approval_requested", body,
                                               "alice", &problem), APR_EINVAL);
    json_decref(body);
    assert_int_equal(problem.kind, SAP_PROBLEM_REFUSED);
    assert_string_equal(problem.error, "template_invalid");
    assert_string_equal(problem.field, "email_body");
    assert_true(problem.has_position);
    assert_int_equal(problem.position.line, 2);
    answer = sap_settings_problem_json(&problem);
    assert_int_equal(json_integer_value(json_object_get(answer, "line")), 2);
    assert_true(json_integer_value(json_object_get(answer, "column")) >= 1);
    assert_non_null(json_object_get(answer, "offset"));
    assert_string_equal(json_string_value(json_object_get(answer, "field")), "email_body");
    json_decref(answer);
    assert_int_equal(fx->fake.template_writes, 0);
    apr_pool_destroy(pool);
}

static void test_templates_list(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_settings_problem_t problem;
    json_t *list = NULL, *body = body_of("{\"slack_body\": \"s\", \"email_subject\": \"t\", "
                                         "\"email_body\": \"u\"}");
    size_t i, customised = 0;

    assert_int_equal(sap_settings_template_put(&fx->env, pool, "confluence", "approval_outdated",
                                               body, "alice", &problem), APR_SUCCESS);
    json_decref(body);
    assert_int_equal(sap_settings_templates_json(&fx->env, pool, &list), APR_SUCCESS);
    assert_int_equal(json_array_size(list), 2 * SAP_NOTIFICATION_TYPE_COUNT);
    for (i = 0; i < json_array_size(list); i++) {
        json_t *each = json_array_get(list, i);

        assert_string_equal(json_string_value(json_object_get(each, "product")),
                            i < SAP_NOTIFICATION_TYPE_COUNT ? "jira" : "confluence");
        assert_string_equal(json_string_value(json_object_get(each, "type")),
                            sap_notification_types[i % SAP_NOTIFICATION_TYPE_COUNT]);
        assert_non_null(json_string_value(json_object_get(each, "title")));
        if (json_is_true(json_object_get(each, "customised"))) {
            customised++;
            assert_string_equal(json_string_value(json_object_get(each, "slack_body")), "s");
        }
    }
    assert_int_equal(customised, 1);
    json_decref(list);
    apr_pool_destroy(pool);
}

/* Every product × type renders, with the sample event, into non-empty
 * parts and a Block Kit message with blocks and a fallback text. */
static void test_previews(void **state)
{
    fixture_t *fx = *state;
    int p, t;

    for (p = 0; p < 2; p++) {
        for (t = 0; t < SAP_NOTIFICATION_TYPE_COUNT; t++) {
            apr_pool_t *pool = scratch(fx);
            sap_settings_problem_t problem;
            json_t *preview = NULL, *message;

            assert_int_equal(sap_settings_template_preview(&fx->env, pool, sap_products[p],
                                                           sap_notification_types[t], NULL,
                                                           &preview, &problem), APR_SUCCESS);
            assert_true(strlen(json_string_value(json_object_get(preview, "slack_body"))) > 0);
            assert_true(strlen(json_string_value(json_object_get(preview, "email_subject"))) > 0);
            assert_true(strlen(json_string_value(json_object_get(preview, "email_body"))) > 0);
            message = json_object_get(preview, "message");
            assert_true(json_array_size(json_object_get(message, "blocks")) > 0);
            assert_true(json_array_size(json_object_get(message, "blocks")) <= SAP_SLACK_MAX_BLOCKS);
            assert_true(strlen(json_string_value(json_object_get(message, "text"))) > 0);
            json_decref(preview);
            apr_pool_destroy(pool);
        }
    }
}

static void test_preview_overrides(void **state)
{
    fixture_t *fx = *state;
    apr_pool_t *pool = scratch(fx);
    sap_settings_problem_t problem;
    json_t *preview = NULL;
    json_t *body = body_of("{\"slack_body\": \"Hi {{recipient.display_name}}: <{{approval.url}}|"
                           "{{approval.name}}>\", \"event\": {\"approval\": {\"id\": \"A-9\", "
                           "\"name\": \"Fish & <chips>\", \"url\": \"https://x.example/A-9\"}, "
                           "\"recipients\": [{\"display_name\": \"Zoe\", \"email\": \"z@example.com\"}]}}");

    assert_int_equal(sap_settings_template_preview(&fx->env, pool, "jira", "approval_requested",
                                                   body, &preview, &problem), APR_SUCCESS);
    json_decref(body);
    assert_string_equal(json_string_value(json_object_get(preview, "slack_body")),
                        "Hi Zoe: <https://x.example/A-9|Fish &amp; &lt;chips&gt;>");
    /* the other parts are the template in force */
    assert_true(strlen(json_string_value(json_object_get(preview, "email_subject"))) > 0);
    json_decref(preview);

    body = body_of("{\"email_subject\": \"{{/oops}}\"}");
    assert_int_equal(sap_settings_template_preview(&fx->env, pool, "jira", "approval_requested",
                                                   body, &preview, &problem), APR_EINVAL);
    json_decref(body);
    assert_string_equal(problem.error, "template_invalid");
    assert_string_equal(problem.field, "email_subject");

    body = body_of("{\"event\": [1]}");
    assert_int_equal(sap_settings_template_preview(&fx->env, pool, "jira", "approval_requested",
                                                   body, &preview, &problem), APR_EINVAL);
    json_decref(body);
    assert_string_equal(problem.field, "event");

    body = body_of("{\"event\": {\"approval\": {\"name\": \"no id\"}}}");
    assert_int_equal(sap_settings_template_preview(&fx->env, pool, "jira", "approval_requested",
                                                   body, &preview, &problem), APR_EINVAL);
    json_decref(body);
    assert_int_equal(problem.kind, SAP_PROBLEM_INVALID);
    assert_string_equal(problem.field, "event");

    body = body_of("{\"events\": {}}");
    assert_int_equal(sap_settings_template_preview(&fx->env, pool, "jira", "approval_requested",
                                                   body, &preview, &problem), APR_EINVAL);
    json_decref(body);
    assert_string_equal(problem.error, "unknown_field");
    apr_pool_destroy(pool);
}

int main(void)
{
#define FX(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        FX(test_settings_cached),
        FX(test_settings_defaults_and_no_cache),
        FX(test_settings_update_invalidates),
        FX(test_settings_validation),
        FX(test_settings_warnings),
        FX(test_definition_negative_cache),
        FX(test_definition_unusual_ids),
        FX(test_definition_validation),
        FX(test_target),
        FX(test_template_default_cached),
        FX(test_template_put_reset),
        FX(test_template_too_big_for_the_cache),
        FX(test_template_validation),
        FX(test_templates_list),
        FX(test_previews),
        FX(test_preview_overrides),
    };
    int failed;

    apr_initialize();
    failed = cmocka_run_group_tests_name("settings", tests, NULL, NULL);
    apr_terminate();
    return failed;
}
