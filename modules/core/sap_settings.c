/* Notification settings, definition overrides and templates: the cached
 * reads the dispatcher uses, and the validated writes of the admin API.
 *
 * Cache entries (5 minutes, DESIGN section 7) hold JSON. A read that finds
 * nothing in the store caches that too ("no override", "the default
 * template"), so a definition without an override costs one cache read per
 * event. Every write drops the entries of what it changed. */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/sha.h>

#include "sap_blocks.h"
#include "sap_json_keys.h"
#include "sap_log.h"
#include "sap_settings.h"

/* Keys of the cache values (never shown to anyone). */
#define CK_FOUND       "found"

/* Definition ids that can stand in a cache key as they are (memcache keys
 * take no spaces or control characters); others are hashed. */
#define DEFINITION_KEY_RAW_MAX 100

#define NOTICE_TEXT "This channel will receive approval notifications from Slack Approvals."

/* ------------------------------------------------------------------ helpers */

static const char *json_str(const json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

static const char *pool_str(apr_pool_t *pool, const json_t *object, const char *key)
{
    const char *value = json_str(object, key);

    return value ? apr_pstrdup(pool, value) : NULL;
}

/* json_string that is json_null() for NULL (and for text jansson refuses). */
static json_t *str_or_null(const char *value)
{
    json_t *json = value ? json_string(value) : NULL;

    return json ? json : json_null();
}

/* Serialises value (stolen) into the cache under key. */
static void cache_put(const sap_settings_env_t *env, apr_pool_t *pool, const char *key,
                      json_t *value, apr_interval_time_t ttl)
{
    char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;

    if (text) {
        sap_cache_set(env->cache, pool, key, text, strlen(text), ttl);
        free(text);
    }
    json_decref(value);
}

/* The cached JSON object under key, NULL on a miss (new reference). */
static json_t *cache_fetch(const sap_settings_env_t *env, apr_pool_t *pool, const char *key)
{
    const char *text = NULL;
    apr_size_t len = 0;
    json_t *value;

    if (sap_cache_get(env->cache, pool, key, &text, &len) != APR_SUCCESS) {
        return NULL;
    }
    value = json_loadb(text, len, 0, NULL);
    if (!json_is_object(value)) {
        json_decref(value);
        return NULL;
    }
    return value;
}

static const char *settings_key(apr_pool_t *pool)
{
    return sap_cache_key(pool, SAP_SETTINGS_CACHE_AREA, SAP_SETTINGS_CACHE_ID);
}

static int key_safe(const char *id)
{
    const char *p;

    if (!*id || strlen(id) > DEFINITION_KEY_RAW_MAX) {
        return 0;
    }
    for (p = id; *p; p++) {
        if (!apr_isalnum(*p) && *p != '-' && *p != '_' && *p != '.') {
            return 0;
        }
    }
    return 1;
}

static const char *definition_key(apr_pool_t *pool, const char *product, const char *definition_id)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    apr_size_t i;

    if (key_safe(definition_id)) {
        return sap_cache_key(pool, SAP_SETTINGS_DEFINITION_AREA,
                             apr_pstrcat(pool, product, ":i:", definition_id, NULL));
    }
    SHA256((const unsigned char *)definition_id, strlen(definition_id), digest);
    for (i = 0; i < sizeof(digest); i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    return sap_cache_key(pool, SAP_SETTINGS_DEFINITION_AREA,
                         apr_pstrcat(pool, product, ":h:", hex, NULL));
}

static const char *template_key(apr_pool_t *pool, const char *product, const char *type)
{
    return sap_cache_key(pool, SAP_SETTINGS_TEMPLATE_AREA, apr_pstrcat(pool, product, ":", type, NULL));
}

int sap_settings_definition_id_valid(const char *definition_id)
{
    apr_size_t len = definition_id ? strlen(definition_id) : 0;
    const unsigned char *p;
    json_t *utf8;

    if (len == 0 || len > SAP_DEFINITION_ID_MAX) {
        return 0;
    }
    for (p = (const unsigned char *)definition_id; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return 0;
        }
    }
    /* jansson refuses text that is not UTF-8 */
    if (!(utf8 = json_string(definition_id))) {
        return 0;
    }
    json_decref(utf8);
    return 1;
}

/* ------------------------------------------------------------------ problems */

static apr_status_t problem_set(sap_settings_problem_t *problem, sap_problem_kind_t kind,
                                const char *error, const char *field, const char *message)
{
    memset(problem, 0, sizeof(*problem));
    problem->kind = kind;
    problem->error = error;
    problem->field = field;
    problem->message = message;
    return APR_EINVAL;
}

static apr_status_t invalid(sap_settings_problem_t *problem, const char *field,
                            const char *message)
{
    return problem_set(problem, SAP_PROBLEM_INVALID, "invalid_field", field, message);
}

static apr_status_t store_failed(sap_settings_problem_t *problem, apr_status_t rv)
{
    problem_set(problem, SAP_PROBLEM_UNAVAILABLE, "database_unavailable", NULL,
                "The database cannot be reached.");
    return rv == APR_SUCCESS || rv == APR_EINVAL ? APR_EGENERAL : rv;
}

json_t *sap_settings_problem_json(const sap_settings_problem_t *problem)
{
    json_t *json = json_pack("{s:s, s:s}", SAP_JK_ERROR, problem->error ? problem->error : "error",
                             SAP_JK_MESSAGE, problem->message ? problem->message : "");

    if (!json) {
        return json_pack("{s:s}", SAP_JK_ERROR, "error");
    }
    if (problem->field) {
        json_object_set_new(json, "field", str_or_null(problem->field));
    }
    if (problem->slack_error) {
        json_object_set_new(json, SAP_JK_SLACK_ERROR, str_or_null(problem->slack_error));
        json_object_set_new(json, "connection_invalidated",
                            json_boolean(problem->connection_invalidated));
    }
    if (problem->has_position) {
        json_object_set_new(json, "line", json_integer(problem->position.line));
        json_object_set_new(json, "column", json_integer(problem->position.column));
        json_object_set_new(json, "offset", json_integer((json_int_t)problem->position.offset));
    }
    return json;
}

/* Keys of a GET answer that a write ignores. */
static int read_only_key(const char *key, const char *const *read_only)
{
    for (; *read_only; read_only++) {
        if (!strcmp(key, *read_only)) {
            return 1;
        }
    }
    return 0;
}

/* "a, b, c" */
static const char *names_joined(apr_pool_t *pool, const char *const *names)
{
    apr_array_header_t *list = apr_array_make(pool, 4, sizeof(const char *));

    for (; *names; names++) {
        APR_ARRAY_PUSH(list, const char *) = apr_pstrcat(pool, "\"", *names, "\"", NULL);
    }
    return apr_array_pstrcat(pool, list, ',');
}

/* Refuses keys that are neither taken nor shown. */
static apr_status_t check_keys(apr_pool_t *pool, const json_t *body, const char *const *taken,
                               const char *const *read_only, sap_settings_problem_t *problem)
{
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)body, key, value) {
        if (!read_only_key(key, taken) && !read_only_key(key, read_only)) {
            return problem_set(problem, SAP_PROBLEM_INVALID, "unknown_field",
                               apr_pstrdup(pool, key),
                               apr_psprintf(pool, "Unknown field \"%s\": the accepted fields "
                                            "are %s.", key, names_joined(pool, taken)));
        }
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ settings */

static void settings_defaults(sap_settings_t *settings)
{
    memset(settings, 0, sizeof(*settings));
    settings->mechanism = SAP_MECHANISM_NATIVE;
    settings->delivery_mode = SAP_DELIVERY_DM;
}

json_t *sap_settings_to_json(const sap_settings_t *settings)
{
    json_t *json = json_object();

    json_object_set_new(json, SAP_SK_MECHANISM, str_or_null(settings->mechanism));
    json_object_set_new(json, SAP_SK_DELIVERY_MODE, str_or_null(settings->delivery_mode));
    json_object_set_new(json, SAP_SK_DEFAULT_CHANNEL, str_or_null(settings->default_channel));
    json_object_set_new(json, SAP_SK_DEFAULT_CHANNEL_NAME,
                        str_or_null(settings->default_channel ? settings->default_channel_name
                                                              : NULL));
    json_object_set_new(json, SAP_SK_UPDATED_BY, str_or_null(settings->updated_by));
    json_object_set_new(json, SAP_SK_UPDATED_AT, str_or_null(settings->updated_at));
    return json;
}

static sap_settings_t *settings_from_json(apr_pool_t *pool, const json_t *json)
{
    sap_settings_t *settings = apr_pcalloc(pool, sizeof(*settings));

    settings_defaults(settings);
    if (json_str(json, SAP_SK_MECHANISM)) {
        settings->mechanism = pool_str(pool, json, SAP_SK_MECHANISM);
    }
    if (json_str(json, SAP_SK_DELIVERY_MODE)) {
        settings->delivery_mode = pool_str(pool, json, SAP_SK_DELIVERY_MODE);
    }
    settings->default_channel = pool_str(pool, json, SAP_SK_DEFAULT_CHANNEL);
    settings->default_channel_name = pool_str(pool, json, SAP_SK_DEFAULT_CHANNEL_NAME);
    settings->updated_by = pool_str(pool, json, SAP_SK_UPDATED_BY);
    settings->updated_at = pool_str(pool, json, SAP_SK_UPDATED_AT);
    return settings;
}

/* The row as the store has it, completed with the defaults. */
static apr_status_t settings_from_store(const sap_settings_env_t *env, apr_pool_t *pool,
                                        sap_settings_t **psettings)
{
    sap_settings_t *settings = NULL;
    apr_status_t rv = env->store->ops->settings_get(env->store, pool, &settings);

    if (rv == APR_NOTFOUND || (rv == APR_SUCCESS && !settings)) {
        settings = apr_pcalloc(pool, sizeof(*settings));
        settings_defaults(settings);
        rv = APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!settings->mechanism) {
        settings->mechanism = SAP_MECHANISM_NATIVE;
    }
    if (!settings->delivery_mode) {
        settings->delivery_mode = SAP_DELIVERY_DM;
    }
    if (settings->default_channel && !*settings->default_channel) {
        settings->default_channel = NULL;
    }
    *psettings = settings;
    return APR_SUCCESS;
}

apr_status_t sap_settings_get(const sap_settings_env_t *env, apr_pool_t *pool,
                              sap_settings_t **psettings)
{
    const char *key = settings_key(pool);
    json_t *cached = cache_fetch(env, pool, key);
    apr_status_t rv;

    *psettings = NULL;
    if (cached) {
        *psettings = settings_from_json(pool, cached);
        json_decref(cached);
        return APR_SUCCESS;
    }
    if ((rv = settings_from_store(env, pool, psettings)) != APR_SUCCESS) {
        return rv;
    }
    cache_put(env, pool, key, sap_settings_to_json(*psettings), SAP_CACHE_TTL_DEFINITION);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ definitions */

json_t *sap_settings_definition_to_json(const sap_definition_t *definition)
{
    json_t *json = json_object();

    json_object_set_new(json, SAP_SK_PRODUCT, str_or_null(definition->product));
    json_object_set_new(json, SAP_SK_DEFINITION_ID, str_or_null(definition->definition_id));
    json_object_set_new(json, SAP_SK_CONNECTION_ID, definition->connection_id
                        ? json_integer(definition->connection_id) : json_null());
    json_object_set_new(json, SAP_SK_CHANNEL, str_or_null(definition->channel));
    json_object_set_new(json, SAP_SK_CHANNEL_NAME,
                        str_or_null(definition->channel ? definition->channel_name : NULL));
    json_object_set_new(json, SAP_SK_UPDATED_BY, str_or_null(definition->updated_by));
    json_object_set_new(json, SAP_SK_UPDATED_AT, str_or_null(definition->updated_at));
    return json;
}

static sap_definition_t *definition_from_json(apr_pool_t *pool, const json_t *json)
{
    sap_definition_t *definition = apr_pcalloc(pool, sizeof(*definition));

    definition->product = pool_str(pool, json, SAP_SK_PRODUCT);
    definition->definition_id = pool_str(pool, json, SAP_SK_DEFINITION_ID);
    definition->connection_id = json_integer_value(json_object_get(json, SAP_SK_CONNECTION_ID));
    definition->channel = pool_str(pool, json, SAP_SK_CHANNEL);
    definition->channel_name = pool_str(pool, json, SAP_SK_CHANNEL_NAME);
    definition->updated_by = pool_str(pool, json, SAP_SK_UPDATED_BY);
    definition->updated_at = pool_str(pool, json, SAP_SK_UPDATED_AT);
    return definition;
}

apr_status_t sap_settings_definition(const sap_settings_env_t *env, apr_pool_t *pool,
                                     const char *product, const char *definition_id,
                                     sap_definition_t **pdefinition)
{
    const char *key;
    json_t *cached, *entry;
    apr_status_t rv;

    *pdefinition = NULL;
    if (!sap_product_valid(product) || !sap_settings_definition_id_valid(definition_id)) {
        return APR_NOTFOUND;
    }
    key = definition_key(pool, product, definition_id);
    if ((cached = cache_fetch(env, pool, key))) {
        if (json_is_true(json_object_get(cached, CK_FOUND))) {
            *pdefinition = definition_from_json(pool, cached);
        }
        json_decref(cached);
        return *pdefinition ? APR_SUCCESS : APR_NOTFOUND;
    }
    rv = env->store->ops->definition_get(env->store, pool, product, definition_id, pdefinition);
    if (rv == APR_SUCCESS && *pdefinition) {
        entry = sap_settings_definition_to_json(*pdefinition);
        json_object_set_new(entry, CK_FOUND, json_true());
    }
    else if (rv == APR_NOTFOUND || (rv == APR_SUCCESS && !*pdefinition)) {
        *pdefinition = NULL;
        rv = APR_NOTFOUND;
        entry = json_pack("{s:b}", CK_FOUND, 0);   /* "no override" is cached too */
    }
    else {
        *pdefinition = NULL;
        return rv;
    }
    cache_put(env, pool, key, entry, SAP_CACHE_TTL_DEFINITION);
    return rv;
}

/* Whether connection id is in the (cached) connection list; unknown when
 * the list cannot be read (then it counts as present). */
static int connection_listed(const sap_settings_env_t *env, apr_pool_t *pool, apr_int64_t id,
                             int *pis_default, int *pactive)
{
    json_t *list = NULL, *each;
    size_t i;
    int found = 0;

    if (pis_default) {
        *pis_default = 0;
    }
    if (pactive) {
        *pactive = 1;
    }
    if (!env->connections || sap_connections_list_json(env->connections, pool, &list) != APR_SUCCESS) {
        return 1;
    }
    json_array_foreach(list, i, each) {
        if (json_integer_value(json_object_get(each, SAP_JK_ID)) == id) {
            found = 1;
            if (pis_default) {
                *pis_default = json_is_true(json_object_get(each, SAP_JK_IS_DEFAULT));
            }
            if (pactive) {
                *pactive = !strcmp(json_str(each, SAP_JK_STATUS) ? json_str(each, SAP_JK_STATUS)
                                   : "", SAP_CONN_ACTIVE);
            }
        }
    }
    json_decref(list);
    return found;
}

apr_status_t sap_settings_target(const sap_settings_env_t *env, apr_pool_t *pool,
                                 const sap_settings_t *settings, const char *product,
                                 const char *definition_id, sap_target_t *target)
{
    sap_definition_t *definition = NULL;
    apr_status_t rv;

    memset(target, 0, sizeof(*target));
    target->channel = settings ? settings->default_channel : NULL;
    target->channel_name = settings && settings->default_channel ? settings->default_channel_name
                                                                 : NULL;
    if (!product || !definition_id) {
        return APR_SUCCESS;
    }
    rv = sap_settings_definition(env, pool, product, definition_id, &definition);
    if (rv == APR_NOTFOUND) {
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* A deleted connection's overrides fall back to the default (the store
     * cleared their reference; the cached entry may not know yet). */
    if (definition->connection_id
        && connection_listed(env, pool, definition->connection_id, NULL, NULL)) {
        target->connection_id = definition->connection_id;
        target->workspace_overridden = 1;
    }
    if (definition->channel) {
        target->channel = definition->channel;
        target->channel_name = definition->channel_name;
        target->channel_overridden = 1;
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ templates */

/* The cache value of product × type: {"found": false} for the default. */
static json_t *template_entry(const sap_stored_template_t *stored)
{
    if (!stored) {
        return json_pack("{s:b}", CK_FOUND, 0);
    }
    return json_pack("{s:b, s:s, s:s, s:s, s:o, s:o}", CK_FOUND, 1,
                     SAP_TEMPLATE_PART_SLACK_BODY, stored->slack_body ? stored->slack_body : "",
                     SAP_TEMPLATE_PART_EMAIL_SUBJECT, stored->email_subject ? stored->email_subject : "",
                     SAP_TEMPLATE_PART_EMAIL_BODY, stored->email_body ? stored->email_body : "",
                     SAP_SK_UPDATED_BY, str_or_null(stored->updated_by),
                     SAP_SK_UPDATED_AT, str_or_null(stored->updated_at));
}

/* The stored template of the pair, NULL for the default: from the cache,
 * else from the store (and then cached). */
static apr_status_t template_stored(const sap_settings_env_t *env, apr_pool_t *pool,
                                    const char *product, const char *type,
                                    sap_stored_template_t **pstored)
{
    const char *key = template_key(pool, product, type);
    json_t *cached = cache_fetch(env, pool, key);
    sap_stored_template_t *stored = NULL;
    apr_status_t rv;

    *pstored = NULL;
    if (cached) {
        if (json_is_true(json_object_get(cached, CK_FOUND))) {
            stored = apr_pcalloc(pool, sizeof(*stored));
            stored->product = product;
            stored->notification_type = type;
            stored->slack_body = pool_str(pool, cached, SAP_TEMPLATE_PART_SLACK_BODY);
            stored->email_subject = pool_str(pool, cached, SAP_TEMPLATE_PART_EMAIL_SUBJECT);
            stored->email_body = pool_str(pool, cached, SAP_TEMPLATE_PART_EMAIL_BODY);
            stored->updated_by = pool_str(pool, cached, SAP_SK_UPDATED_BY);
            stored->updated_at = pool_str(pool, cached, SAP_SK_UPDATED_AT);
        }
        json_decref(cached);
        *pstored = stored;
        return APR_SUCCESS;
    }
    rv = env->store->ops->template_get(env->store, pool, product, type, &stored);
    if (rv == APR_NOTFOUND) {
        stored = NULL;
        rv = APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* A template over the cache's value limit is simply read each time. */
    cache_put(env, pool, key, template_entry(stored), SAP_CACHE_TTL_TEMPLATE);
    *pstored = stored;
    return APR_SUCCESS;
}

apr_status_t sap_settings_template(const sap_settings_env_t *env, apr_pool_t *pool,
                                   const char *product, const char *type,
                                   sap_template_t *out, int *pcustomised)
{
    const sap_template_t *fallback = sap_template_default(product, type);
    sap_stored_template_t *stored = NULL;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    if (pcustomised) {
        *pcustomised = 0;
    }
    if (!fallback) {
        return APR_NOTFOUND;
    }
    if ((rv = template_stored(env, pool, product, type, &stored)) != APR_SUCCESS) {
        return rv;
    }
    if (!stored) {
        *out = *fallback;
        return APR_SUCCESS;
    }
    out->slack_body = stored->slack_body ? stored->slack_body : "";
    out->email_subject = stored->email_subject ? stored->email_subject : "";
    out->email_body = stored->email_body ? stored->email_body : "";
    if (pcustomised) {
        *pcustomised = 1;
    }
    return APR_SUCCESS;
}

static json_t *parts_json(const sap_template_t *tpl)
{
    return json_pack("{s:s, s:s, s:s}", SAP_TEMPLATE_PART_SLACK_BODY, tpl->slack_body,
                     SAP_TEMPLATE_PART_EMAIL_SUBJECT, tpl->email_subject,
                     SAP_TEMPLATE_PART_EMAIL_BODY, tpl->email_body);
}

static json_t *template_view(const char *product, const char *type,
                             const sap_stored_template_t *stored, int with_default)
{
    const sap_template_t *fallback = sap_template_default(product, type);
    sap_template_t tpl = *fallback;
    json_t *json;

    if (stored) {
        tpl.slack_body = stored->slack_body ? stored->slack_body : "";
        tpl.email_subject = stored->email_subject ? stored->email_subject : "";
        tpl.email_body = stored->email_body ? stored->email_body : "";
    }
    json = parts_json(&tpl);
    if (!json) {   /* a hand-edited row that is not UTF-8 */
        json = parts_json(fallback);
    }
    json_object_set_new(json, SAP_SK_PRODUCT, json_string(product));
    json_object_set_new(json, SAP_SK_TYPE, json_string(type));
    json_object_set_new(json, SAP_SK_TITLE, str_or_null(sap_template_type_title(type)));
    json_object_set_new(json, SAP_SK_CUSTOMISED, json_boolean(stored != NULL));
    json_object_set_new(json, SAP_SK_UPDATED_BY, str_or_null(stored ? stored->updated_by : NULL));
    json_object_set_new(json, SAP_SK_UPDATED_AT, str_or_null(stored ? stored->updated_at : NULL));
    if (with_default) {
        json_object_set_new(json, SAP_SK_DEFAULT, parts_json(fallback));
    }
    return json;
}

apr_status_t sap_settings_template_json(const sap_settings_env_t *env, apr_pool_t *pool,
                                        const char *product, const char *type, int with_default,
                                        json_t **pjson)
{
    sap_stored_template_t *stored = NULL;
    apr_status_t rv;

    *pjson = NULL;
    if (!sap_template_default(product, type)) {
        return APR_NOTFOUND;
    }
    if ((rv = template_stored(env, pool, product, type, &stored)) != APR_SUCCESS) {
        return rv;
    }
    *pjson = template_view(product, type, stored, with_default);
    return APR_SUCCESS;
}

apr_status_t sap_settings_templates_json(const sap_settings_env_t *env, apr_pool_t *pool,
                                         json_t **plist)
{
    apr_array_header_t *stored = NULL;
    apr_status_t rv;
    int p, t, i;

    *plist = NULL;
    if ((rv = env->store->ops->template_list(env->store, pool, &stored)) != APR_SUCCESS) {
        return rv;
    }
    *plist = json_array();
    for (p = 0; p < 2; p++) {
        for (t = 0; t < SAP_NOTIFICATION_TYPE_COUNT; t++) {
            const sap_stored_template_t *found = NULL;

            for (i = 0; i < stored->nelts; i++) {
                const sap_stored_template_t *each = &APR_ARRAY_IDX(stored, i, sap_stored_template_t);

                if (each->product && each->notification_type
                    && !strcmp(each->product, sap_products[p])
                    && !strcmp(each->notification_type, sap_notification_types[t])) {
                    found = each;
                }
            }
            json_array_append_new(*plist, template_view(sap_products[p], sap_notification_types[t],
                                                        found, 0));
        }
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ warnings */

static void warn(json_t *warnings, const char *code, const char *message)
{
    json_array_append_new(warnings, json_pack("{s:s, s:s}", SAP_SK_CODE, code,
                                              SAP_SK_MESSAGE, message));
}

/* Whether there is an active default workspace (the cached list). */
static int active_default(const sap_settings_env_t *env, apr_pool_t *pool, apr_int64_t *pid)
{
    json_t *list = NULL, *each;
    size_t i;
    int found = 0;

    *pid = 0;
    if (!env->connections || sap_connections_list_json(env->connections, pool, &list) != APR_SUCCESS) {
        return -1;
    }
    json_array_foreach(list, i, each) {
        if (json_is_true(json_object_get(each, SAP_JK_IS_DEFAULT))) {
            *pid = json_integer_value(json_object_get(each, SAP_JK_ID));
            found = json_str(each, SAP_JK_STATUS) && !strcmp(json_str(each, SAP_JK_STATUS),
                                                             SAP_CONN_ACTIVE);
        }
    }
    json_decref(list);
    return found;
}

json_t *sap_settings_warnings(const sap_settings_env_t *env, apr_pool_t *pool,
                              const sap_settings_t *settings)
{
    json_t *warnings = json_array();
    apr_int64_t default_id = 0;

    if (settings->mechanism && !strcmp(settings->mechanism, SAP_MECHANISM_SLACK)
        && active_default(env, pool, &default_id) == 0) {
        warn(warnings, "no_default_workspace",
             "Notifications go to Slack, but there is no active default workspace: they fall "
             "back to email until a workspace is connected (or re-authorised) and made the "
             "default.");
    }
    if (settings->delivery_mode && strcmp(settings->delivery_mode, SAP_DELIVERY_DM)
        && !settings->default_channel) {
        warn(warnings, "no_default_channel",
             "Channel mode needs a default channel or a definition override: notifications of "
             "definitions without a channel of their own have no channel to go to.");
    }
    return warnings;
}

json_t *sap_settings_definition_warnings(const sap_settings_env_t *env, apr_pool_t *pool,
                                         const sap_settings_t *settings,
                                         const sap_definition_t *definition)
{
    json_t *warnings = json_array();
    int is_default = 0, active = 1;

    if (definition->connection_id
        && connection_listed(env, pool, definition->connection_id, &is_default, &active)) {
        if (!active) {
            warn(warnings, "connection_inactive",
                 "This definition's workspace is revoked or uninstalled: its notifications fall "
                 "back to email until the workspace is re-authorised.");
        }
        if (!is_default && !definition->channel && settings && settings->default_channel
            && settings->delivery_mode && strcmp(settings->delivery_mode, SAP_DELIVERY_DM)) {
            warn(warnings, "channel_of_other_workspace",
                 "This definition uses another workspace than the default but no channel of its "
                 "own: the default channel belongs to the default workspace, so channel messages "
                 "of this definition will fail (and fall back to email). Set a channel for it.");
        }
    }
    return warnings;
}

/* ------------------------------------------------------------------ channel checks */

/* A channel reference as typed: "#name", "name" or a C…/G… id. The name
 * is trimmed; NULL or "" is no channel (*pchannel NULL). */
static apr_status_t channel_typed(apr_pool_t *pool, const json_t *value, const char *field,
                                  const char **pchannel, sap_settings_problem_t *problem)
{
    const char *text, *start, *name, *p;
    apr_size_t len;
    int upper_id = 1;

    *pchannel = NULL;
    if (json_is_null(value)) {
        return APR_SUCCESS;
    }
    if (!json_is_string(value)) {
        return invalid(problem, field, apr_psprintf(pool, "%s must be a channel (\"#name\" or a "
                                                    "C…/G… id) or null.", field));
    }
    text = json_string_value(value);
    for (start = text; *start && apr_isspace(*start); start++) {
    }
    len = strlen(start);
    while (len && apr_isspace(start[len - 1])) {
        len--;
    }
    if (!len) {
        return APR_SUCCESS;
    }
    name = apr_pstrndup(pool, start, len);
    p = name[0] == '#' ? name + 1 : name;
    if (!*p || strlen(p) > SAP_CHANNEL_NAME_MAX) {
        return invalid(problem, field, apr_psprintf(pool, "%s: a channel name has 1 to %d "
                                                    "characters.", field, SAP_CHANNEL_NAME_MAX));
    }
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if (!(apr_isalnum(c) || c == '-' || c == '_' || c == '.' || c >= 0x80)) {
            return invalid(problem, field, apr_psprintf(pool, "%s: \"%s\" is not a channel; write "
                                                        "#name (letters, digits, - _ .) or the "
                                                        "channel's id (C… or G…).", field, name));
        }
        if (!(apr_isupper(c) || apr_isdigit(c))) {
            upper_id = 0;
        }
    }
    /* Upper case letters and digits only: an id, and only a channel's. */
    if (name[0] != '#' && upper_id && name[0] != 'C' && name[0] != 'G') {
        return invalid(problem, field, apr_psprintf(pool, "%s: \"%s\" is not a channel id; "
                                                    "channel ids start with C or G (a user or a "
                                                    "direct message cannot be used).", field, name));
    }
    *pchannel = name;
    return APR_SUCCESS;
}

/* Whether typed names the channel already stored (by id or as typed). */
static int same_channel(const char *typed, const char *stored_id, const char *stored_name)
{
    return typed && stored_id && (!strcmp(typed, stored_id) || (stored_name && !strcmp(typed, stored_name)));
}

static int our_code(const char *code)
{
    return !strcmp(code, SAP_SLACK_ERR_TRANSPORT) || !strcmp(code, SAP_SLACK_ERR_TIMEOUT)
           || !strcmp(code, SAP_SLACK_ERR_HTTP) || !strcmp(code, SAP_SLACK_ERR_BAD_ANSWER)
           || !strcmp(code, SAP_SLACK_ERR_CANCELLED);
}

/* Posts the notice to typed with connection_id (0: the default workspace)
 * and answers the channel's id. */
static apr_status_t channel_check(const sap_settings_env_t *env, apr_pool_t *pool,
                                  apr_int64_t connection_id, const char *typed, const char *field,
                                  const char *notice, const char **pchannel_id,
                                  sap_settings_problem_t *problem)
{
    sap_connection_token_t token;
    sap_slack_result_t result;
    const char *why = NULL, *code, *channel;
    json_t *message;
    apr_status_t rv;
    int invalidated = 0;

    *pchannel_id = NULL;
    if (!env->slack || !env->connections) {
        problem_set(problem, SAP_PROBLEM_UPSTREAM, SAP_SLACK_ERR_TRANSPORT, field,
                    "The channel cannot be checked: Slack is not reachable from here.");
        return APR_EGENERAL;
    }
    rv = sap_connections_token(env->connections, pool, connection_id, &token, &why);
    if (rv == APR_NOTFOUND && !connection_id) {
        return problem_set(problem, SAP_PROBLEM_CONFLICT, "no_default_workspace", field,
                           "There is no default Slack workspace to check the channel with: "
                           "connect a workspace first.");
    }
    if (rv == APR_NOTFOUND) {
        return problem_set(problem, SAP_PROBLEM_NOT_FOUND, "connection_not_found",
                           SAP_SK_CONNECTION_ID, "No such connection.");
    }
    if (rv == APR_EACCES || rv == APR_EINVAL) {
        return problem_set(problem, SAP_PROBLEM_CONFLICT, "connection_inactive", field,
                           apr_psprintf(pool, "The channel cannot be checked: %s.",
                                        why ? why : "the workspace's token cannot be used"));
    }
    if (rv != APR_SUCCESS) {
        return store_failed(problem, rv);
    }
    message = json_pack("{s:s, s:s, s:b, s:b}", SAP_JK_CHANNEL, typed, SAP_JK_TEXT, notice,
                        "unfurl_links", 0, "unfurl_media", 0);
    rv = sap_slack_call_json(env->slack, pool, "chat.postMessage", token.token, message, &result);
    json_decref(message);
    if (rv == APR_SUCCESS) {
        channel = json_str(result.answer, SAP_JK_CHANNEL);
        if (channel && (channel[0] == 'C' || channel[0] == 'G')) {
            *pchannel_id = apr_pstrdup(pool, channel);
            return APR_SUCCESS;
        }
        return problem_set(problem, SAP_PROBLEM_REFUSED, "not_a_channel", field,
                           apr_psprintf(pool, "\"%s\" is not a channel (Slack posted to %s): "
                                        "choose a public or private channel.", typed,
                                        channel ? channel : "nothing"));
    }
    code = result.error ? result.error : SAP_SLACK_ERR_BAD_ANSWER;
    sap_connections_report_error(env->connections, pool, &token, code, &invalidated);
    problem_set(problem, result.http_status == 200 && !our_code(code) ? SAP_PROBLEM_REFUSED
                                                                      : SAP_PROBLEM_UPSTREAM,
                code, field, sap_slack_error_text(pool, code));
    problem->slack_error = code;
    problem->connection_invalidated = invalidated;
    sap_log_write(SAP_LOG_MARK, SAP_LOG_INFO, 0, "channel check of %s in workspace %s: %s",
                  typed, token.team_id, code);
    return APR_EINVAL;
}

/* ------------------------------------------------------------------ settings writes */

static const char *const settings_taken[] = {
    SAP_SK_MECHANISM, SAP_SK_DELIVERY_MODE, SAP_SK_DEFAULT_CHANNEL, NULL
};
static const char *const settings_shown[] = {
    SAP_SK_DEFAULT_CHANNEL_NAME, SAP_SK_UPDATED_BY, SAP_SK_UPDATED_AT, SAP_SK_WARNINGS, NULL
};

static apr_status_t one_of(apr_pool_t *pool, const json_t *body, const char *field,
                           const char *const *values, const char **pvalue,
                           sap_settings_problem_t *problem)
{
    const json_t *value = json_object_get(body, field);
    const char *text = json_string_value(value);
    const char *const *each;

    if (!value) {
        return APR_SUCCESS;
    }
    for (each = values; text && *each; each++) {
        if (!strcmp(text, *each)) {
            *pvalue = *each;
            return APR_SUCCESS;
        }
    }
    return invalid(problem, field, apr_psprintf(pool, "%s must be one of \"%s\", \"%s\" or \"%s\".",
                                                field, values[0], values[1], values[2]));
}

apr_status_t sap_settings_update(const sap_settings_env_t *env, apr_pool_t *pool,
                                 const json_t *body, const char *admin_user,
                                 sap_settings_t **psettings, sap_settings_problem_t *problem)
{
    static const char *const mechanisms[] = {
        SAP_MECHANISM_NATIVE, SAP_MECHANISM_EMAIL, SAP_MECHANISM_SLACK, NULL
    };
    static const char *const modes[] = {
        SAP_DELIVERY_DM, SAP_DELIVERY_CHANNEL, SAP_DELIVERY_BOTH, NULL
    };
    sap_settings_t *current = NULL, next;
    const json_t *channel_value = json_object_get(body, SAP_SK_DEFAULT_CHANNEL);
    const char *mechanism = NULL, *mode = NULL, *typed = NULL, *channel_id = NULL;
    apr_status_t rv;

    *psettings = NULL;
    memset(problem, 0, sizeof(*problem));
    if (!json_is_object(body)) {
        return invalid(problem, NULL, "The body must be a JSON object.");
    }
    if ((rv = check_keys(pool, body, settings_taken, settings_shown, problem)) != APR_SUCCESS
        || (rv = one_of(pool, body, SAP_SK_MECHANISM, mechanisms, &mechanism, problem)) != APR_SUCCESS
        || (rv = one_of(pool, body, SAP_SK_DELIVERY_MODE, modes, &mode, problem)) != APR_SUCCESS
        || (channel_value && (rv = channel_typed(pool, channel_value, SAP_SK_DEFAULT_CHANNEL, &typed,
                                                 problem)) != APR_SUCCESS)) {
        return rv;
    }
    /* The partial update applies to the row as stored, not as cached. */
    if ((rv = settings_from_store(env, pool, &current)) != APR_SUCCESS) {
        return store_failed(problem, rv);
    }
    next = *current;
    next.mechanism = mechanism ? mechanism : current->mechanism;
    next.delivery_mode = mode ? mode : current->delivery_mode;
    next.updated_by = admin_user;
    if (channel_value) {
        if (!typed) {
            next.default_channel = next.default_channel_name = NULL;
        }
        else if (!same_channel(typed, current->default_channel, current->default_channel_name)) {
            if ((rv = channel_check(env, pool, 0, typed, SAP_SK_DEFAULT_CHANNEL, NOTICE_TEXT,
                                    &channel_id, problem)) != APR_SUCCESS) {
                return rv;
            }
            next.default_channel = channel_id;
            next.default_channel_name = typed;
        }
    }
    rv = env->store->ops->settings_put(env->store, &next);
    sap_cache_remove(env->cache, pool, settings_key(pool));
    if (rv != APR_SUCCESS) {
        return store_failed(problem, rv);
    }
    if ((rv = settings_from_store(env, pool, psettings)) != APR_SUCCESS) {
        return store_failed(problem, rv);
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ definition writes */

static const char *const definition_taken[] = {SAP_SK_CONNECTION_ID, SAP_SK_CHANNEL, NULL};
static const char *const definition_shown[] = {
    SAP_SK_PRODUCT, SAP_SK_DEFINITION_ID, SAP_SK_CHANNEL_NAME, SAP_SK_UPDATED_BY,
    SAP_SK_UPDATED_AT, SAP_SK_WARNINGS, NULL
};

static apr_status_t definition_address(apr_pool_t *pool, const char *product,
                                       const char *definition_id, sap_settings_problem_t *problem)
{
    if (!sap_product_valid(product)) {
        return invalid(problem, SAP_SK_PRODUCT, "product must be \"jira\" or \"confluence\".");
    }
    if (!sap_settings_definition_id_valid(definition_id)) {
        return invalid(problem, SAP_SK_DEFINITION_ID,
                       apr_psprintf(pool, "A definition id has 1 to %d bytes of UTF-8 without "
                                    "control characters.", SAP_DEFINITION_ID_MAX));
    }
    return APR_SUCCESS;
}

/* connection_id: a positive integer or null (0). It must exist and be active. */
static apr_status_t definition_connection(const sap_settings_env_t *env, apr_pool_t *pool,
                                          const json_t *body, apr_int64_t *pid,
                                          sap_settings_problem_t *problem)
{
    const json_t *value = json_object_get(body, SAP_SK_CONNECTION_ID);
    sap_connection_t *conn = NULL;
    apr_status_t rv;

    *pid = 0;
    if (!value || json_is_null(value)) {
        return APR_SUCCESS;
    }
    if (!json_is_integer(value) || json_integer_value(value) <= 0) {
        return invalid(problem, SAP_SK_CONNECTION_ID, "connection_id must be a connection's id "
                       "(a positive number) or null for the default workspace.");
    }
    *pid = json_integer_value(value);
    rv = env->store->ops->connection_get(env->store, pool, *pid, NULL, 0, &conn);
    if (rv == APR_NOTFOUND) {
        return problem_set(problem, SAP_PROBLEM_NOT_FOUND, "connection_not_found",
                           SAP_SK_CONNECTION_ID,
                           apr_psprintf(pool, "There is no connection %" APR_INT64_T_FMT ".", *pid));
    }
    if (rv != APR_SUCCESS) {
        return store_failed(problem, rv);
    }
    if (!conn->status || strcmp(conn->status, SAP_CONN_ACTIVE)) {
        return problem_set(problem, SAP_PROBLEM_CONFLICT, "connection_inactive",
                           SAP_SK_CONNECTION_ID,
                           apr_psprintf(pool, "Workspace %s is %s: re-authorise it before "
                                        "using it for a definition.", conn->display_name
                                        ? conn->display_name : conn->team_id, conn->status));
    }
    return APR_SUCCESS;
}

/* connection_id is absent, null or a positive number. */
static apr_status_t connection_id_typed(const json_t *body, sap_settings_problem_t *problem)
{
    const json_t *value = json_object_get(body, SAP_SK_CONNECTION_ID);

    if (value && !json_is_null(value)
        && (!json_is_integer(value) || json_integer_value(value) <= 0)) {
        return invalid(problem, SAP_SK_CONNECTION_ID, "connection_id must be a connection's id "
                       "(a positive number) or null for the default workspace.");
    }
    return APR_SUCCESS;
}

/* The override's channel: the stored one when it names the same channel of
 * the same workspace, else checked against Slack (a notice is posted). */
static apr_status_t definition_channel(const sap_settings_env_t *env, apr_pool_t *pool,
                                       const sap_definition_t *existing, const char *typed,
                                       sap_definition_t *next, sap_settings_problem_t *problem)
{
    const char *notice, *channel_id = NULL;
    apr_status_t rv;

    if (existing && existing->connection_id == next->connection_id
        && same_channel(typed, existing->channel, existing->channel_name)) {
        next->channel = existing->channel;
        next->channel_name = existing->channel_name;
        return APR_SUCCESS;
    }
    notice = apr_psprintf(pool, "This channel will receive approval notifications from Slack "
                          "Approvals for the %s definition %s.", next->product,
                          sap_mrkdwn_escape(pool, next->definition_id));
    if ((rv = channel_check(env, pool, next->connection_id, typed, SAP_SK_CHANNEL, notice,
                            &channel_id, problem)) != APR_SUCCESS) {
        return rv;
    }
    next->channel = channel_id;
    next->channel_name = typed;
    return APR_SUCCESS;
}

apr_status_t sap_settings_definition_put(const sap_settings_env_t *env, apr_pool_t *pool,
                                         const char *product, const char *definition_id,
                                         const json_t *body, const char *admin_user,
                                         sap_definition_t **pdefinition,
                                         sap_settings_problem_t *problem)
{
    const json_t *channel_value = json_object_get(body, SAP_SK_CHANNEL);
    sap_definition_t *existing = NULL, next;
    const char *typed = NULL;
    apr_status_t rv;

    *pdefinition = NULL;
    memset(problem, 0, sizeof(*problem));
    memset(&next, 0, sizeof(next));
    if ((rv = definition_address(pool, product, definition_id, problem)) != APR_SUCCESS) {
        return rv;
    }
    if (!json_is_object(body)) {
        return invalid(problem, NULL, "The body must be a JSON object.");
    }
    if ((rv = check_keys(pool, body, definition_taken, definition_shown, problem)) != APR_SUCCESS
        || (channel_value && (rv = channel_typed(pool, channel_value, SAP_SK_CHANNEL, &typed,
                                                 problem)) != APR_SUCCESS)
        || (rv = connection_id_typed(body, problem)) != APR_SUCCESS) {
        return rv;
    }
    if (!typed && !json_is_integer(json_object_get(body, SAP_SK_CONNECTION_ID))) {
        return problem_set(problem, SAP_PROBLEM_INVALID, "nothing_to_override", NULL,
                           "An override names a connection_id, a channel or both; to go back "
                           "to the defaults, DELETE the override.");
    }
    if ((rv = definition_connection(env, pool, body, &next.connection_id, problem))
        != APR_SUCCESS) {
        return rv;
    }
    rv = env->store->ops->definition_get(env->store, pool, product, definition_id, &existing);
    if (rv == APR_NOTFOUND) {
        existing = NULL;
    }
    else if (rv != APR_SUCCESS) {
        return store_failed(problem, rv);
    }
    next.product = product;
    next.definition_id = definition_id;
    next.updated_by = admin_user;
    if (typed && (rv = definition_channel(env, pool, existing, typed, &next, problem))
                 != APR_SUCCESS) {
        return rv;
    }
    rv = env->store->ops->definition_put(env->store, &next);
    sap_cache_remove(env->cache, pool, definition_key(pool, product, definition_id));
    if (rv == APR_SUCCESS) {
        rv = env->store->ops->definition_get(env->store, pool, product, definition_id,
                                             pdefinition);
    }
    if (rv != APR_SUCCESS) {
        *pdefinition = NULL;
        return store_failed(problem, rv);
    }
    return APR_SUCCESS;
}

apr_status_t sap_settings_definition_delete(const sap_settings_env_t *env, apr_pool_t *pool,
                                            const char *product, const char *definition_id,
                                            sap_settings_problem_t *problem)
{
    apr_status_t rv;

    memset(problem, 0, sizeof(*problem));
    if ((rv = definition_address(pool, product, definition_id, problem)) != APR_SUCCESS) {
        return rv;
    }
    rv = env->store->ops->definition_delete(env->store, product, definition_id);
    sap_cache_remove(env->cache, pool, definition_key(pool, product, definition_id));
    if (rv == APR_NOTFOUND) {
        return problem_set(problem, SAP_PROBLEM_NOT_FOUND, "not_found", NULL,
                           "This definition has no override.");
    }
    return rv == APR_SUCCESS ? APR_SUCCESS : store_failed(problem, rv);
}

/* ------------------------------------------------------------------ template writes */

static const char *const template_parts[] = {
    SAP_TEMPLATE_PART_SLACK_BODY, SAP_TEMPLATE_PART_EMAIL_SUBJECT, SAP_TEMPLATE_PART_EMAIL_BODY, NULL
};
static const char *const template_shown[] = {
    SAP_SK_PRODUCT, SAP_SK_TYPE, SAP_SK_TITLE, SAP_SK_CUSTOMISED, SAP_SK_UPDATED_BY,
    SAP_SK_UPDATED_AT, SAP_SK_DEFAULT, NULL
};
static const char *const preview_taken[] = {
    SAP_TEMPLATE_PART_SLACK_BODY, SAP_TEMPLATE_PART_EMAIL_SUBJECT, SAP_TEMPLATE_PART_EMAIL_BODY,
    SAP_SK_EVENT, NULL
};
static const char *const preview_shown[] = {NULL};

static apr_status_t template_address(apr_pool_t *pool, const char *product, const char *type,
                                     sap_settings_problem_t *problem)
{
    if (!sap_template_default(product, type)) {
        return problem_set(problem, SAP_PROBLEM_NOT_FOUND, "not_found", NULL,
                           apr_psprintf(pool, "There is no template for %s × %s: products are "
                                        "jira and confluence, types the ten notification types.",
                                        product ? product : "?", type ? type : "?"));
    }
    return APR_SUCCESS;
}

/* One part of a template body: a string of 1..SAP_MUSTACHE_MAX_SOURCE
 * bytes. *ppart stays as it is when the part is absent and !required. */
static apr_status_t template_part(apr_pool_t *pool, const json_t *body, const char *part,
                                  int required, const char **ppart,
                                  sap_settings_problem_t *problem)
{
    const json_t *value = json_object_get(body, part);
    const char *text;

    if (!value && !required) {
        return APR_SUCCESS;
    }
    if (!json_is_string(value)) {
        return invalid(problem, part, apr_psprintf(pool, "%s is required: the template's text "
                                                   "(a string).", part));
    }
    text = json_string_value(value);
    if (json_string_length(value) > SAP_MUSTACHE_MAX_SOURCE) {
        return invalid(problem, part, apr_psprintf(pool, "%s is longer than %d bytes.", part,
                                                   SAP_MUSTACHE_MAX_SOURCE));
    }
    if (strlen(text) != json_string_length(value)) {
        return invalid(problem, part, apr_psprintf(pool, "%s contains a NUL character.", part));
    }
    if (required && !text[strspn(text, " \t\r\n")]) {
        return invalid(problem, part, apr_psprintf(pool, "%s must not be empty.", part));
    }
    *ppart = apr_pstrdup(pool, text);
    return APR_SUCCESS;
}

static apr_status_t template_invalid(apr_pool_t *pool, const char *field,
                                     const sap_mustache_error_t *err,
                                     sap_settings_problem_t *problem)
{
    problem_set(problem, SAP_PROBLEM_REFUSED, "template_invalid", field ? field : "template",
                apr_psprintf(pool, "%s: %s (line %d, column %d).", field ? field : "template",
                             err->message ? err->message : "the template does not parse",
                             err->line, err->column));
    problem->has_position = 1;
    problem->position = *err;
    return APR_EINVAL;
}

apr_status_t sap_settings_template_put(const sap_settings_env_t *env, apr_pool_t *pool,
                                       const char *product, const char *type,
                                       const json_t *body, const char *admin_user,
                                       sap_settings_problem_t *problem)
{
    sap_template_t tpl = {0};
    sap_stored_template_t stored = {0};
    sap_mustache_error_t err = {0};
    const char *field = NULL;
    apr_status_t rv;

    memset(problem, 0, sizeof(*problem));
    if ((rv = template_address(pool, product, type, problem)) != APR_SUCCESS) {
        return rv;
    }
    if (!json_is_object(body)) {
        return invalid(problem, NULL, "The body must be a JSON object.");
    }
    if ((rv = check_keys(pool, body, template_parts, template_shown, problem)) != APR_SUCCESS
        || (rv = template_part(pool, body, SAP_TEMPLATE_PART_SLACK_BODY, 1, &tpl.slack_body,
                               problem)) != APR_SUCCESS
        || (rv = template_part(pool, body, SAP_TEMPLATE_PART_EMAIL_SUBJECT, 1, &tpl.email_subject,
                               problem)) != APR_SUCCESS
        || (rv = template_part(pool, body, SAP_TEMPLATE_PART_EMAIL_BODY, 1, &tpl.email_body,
                               problem)) != APR_SUCCESS) {
        return rv;
    }
    if (sap_template_check(pool, &tpl, &field, &err) != APR_SUCCESS) {
        return template_invalid(pool, field, &err, problem);
    }
    stored.product = product;
    stored.notification_type = type;
    stored.slack_body = tpl.slack_body;
    stored.email_subject = tpl.email_subject;
    stored.email_body = tpl.email_body;
    stored.updated_by = admin_user;
    rv = env->store->ops->template_put(env->store, &stored);
    sap_cache_remove(env->cache, pool, template_key(pool, product, type));
    return rv == APR_SUCCESS ? APR_SUCCESS : store_failed(problem, rv);
}

apr_status_t sap_settings_template_reset(const sap_settings_env_t *env, apr_pool_t *pool,
                                         const char *product, const char *type,
                                         int *pwas_customised, sap_settings_problem_t *problem)
{
    apr_status_t rv;

    memset(problem, 0, sizeof(*problem));
    if (pwas_customised) {
        *pwas_customised = 0;
    }
    if ((rv = template_address(pool, product, type, problem)) != APR_SUCCESS) {
        return rv;
    }
    rv = env->store->ops->template_delete(env->store, product, type);
    sap_cache_remove(env->cache, pool, template_key(pool, product, type));
    if (rv == APR_NOTFOUND) {
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return store_failed(problem, rv);
    }
    if (pwas_customised) {
        *pwas_customised = 1;
    }
    return APR_SUCCESS;
}

/* The event of a preview: the body's (completed with the path's type and
 * product), else the sample. New reference. */
static apr_status_t preview_event(apr_pool_t *pool, const char *product, const char *type,
                                  const json_t *body, json_t **pevent,
                                  sap_settings_problem_t *problem)
{
    const json_t *given = body ? json_object_get(body, SAP_SK_EVENT) : NULL;

    *pevent = NULL;
    if (!given || json_is_null(given)) {
        *pevent = sap_template_sample_event(product, type);
        return *pevent ? APR_SUCCESS : template_address(pool, NULL, NULL, problem);
    }
    if (!json_is_object(given)) {
        return invalid(problem, SAP_SK_EVENT, "event must be an engine event (a JSON object).");
    }
    *pevent = json_deep_copy(given);
    if (!json_is_string(json_object_get(*pevent, SAP_SK_TYPE))) {
        json_object_set_new(*pevent, SAP_SK_TYPE, json_string(type));
    }
    if (!json_is_string(json_object_get(*pevent, SAP_SK_PRODUCT))) {
        json_object_set_new(*pevent, SAP_SK_PRODUCT, json_string(product));
    }
    return APR_SUCCESS;
}

apr_status_t sap_settings_template_preview(const sap_settings_env_t *env, apr_pool_t *pool,
                                           const char *product, const char *type,
                                           const json_t *body, json_t **ppreview,
                                           sap_settings_problem_t *problem)
{
    sap_template_t tpl;
    sap_rendered_t rendered = {0};
    sap_mustache_error_t err = {0};
    sap_blocks_input_t in = {0};
    json_t *event = NULL, *context = NULL, *message = NULL, *recipient;
    const char *field = NULL;
    apr_status_t rv;

    *ppreview = NULL;
    memset(problem, 0, sizeof(*problem));
    if ((rv = template_address(pool, product, type, problem)) != APR_SUCCESS) {
        return rv;
    }
    if (body && !json_is_object(body)) {
        return invalid(problem, NULL, "The body must be a JSON object.");
    }
    if (body && (rv = check_keys(pool, body, preview_taken, preview_shown, problem)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = sap_settings_template(env, pool, product, type, &tpl, NULL)) != APR_SUCCESS) {
        return rv == APR_NOTFOUND ? template_address(pool, NULL, NULL, problem)
                                  : store_failed(problem, rv);
    }
    if (body && ((rv = template_part(pool, body, SAP_TEMPLATE_PART_SLACK_BODY, 0, &tpl.slack_body,
                                     problem)) != APR_SUCCESS
                 || (rv = template_part(pool, body, SAP_TEMPLATE_PART_EMAIL_SUBJECT, 0,
                                        &tpl.email_subject, problem)) != APR_SUCCESS
                 || (rv = template_part(pool, body, SAP_TEMPLATE_PART_EMAIL_BODY, 0,
                                        &tpl.email_body, problem)) != APR_SUCCESS)) {
        return rv;
    }
    if ((rv = preview_event(pool, product, type, body, &event, problem)) != APR_SUCCESS) {
        return rv;
    }
    recipient = json_array_get(json_object_get(event, SAP_SK_RECIPIENTS), 0);
    context = sap_template_context(event, json_is_object(recipient) ? recipient : NULL, NULL);
    if (!context) {
        rv = invalid(problem, SAP_SK_EVENT, "The event cannot be rendered.");
        goto leave;
    }
    if (sap_template_render(pool, &tpl, context, &rendered, &field, &err) != APR_SUCCESS) {
        rv = template_invalid(pool, field, &err, problem);
        goto leave;
    }
    in.event = event;
    in.type_title = sap_template_type_title(type);
    in.body_mrkdwn = rendered.slack_body;
    if (sap_blocks_build(pool, &in, &message) != APR_SUCCESS || !message) {
        rv = invalid(problem, SAP_SK_EVENT, "The event cannot be shown as a Slack message: it "
                     "needs at least type and approval.id.");
        goto leave;
    }
    *ppreview = json_pack("{s:s, s:s, s:s, s:o}", SAP_TEMPLATE_PART_SLACK_BODY, rendered.slack_body,
                          SAP_TEMPLATE_PART_EMAIL_SUBJECT, rendered.email_subject,
                          SAP_TEMPLATE_PART_EMAIL_BODY, rendered.email_body,
                          SAP_SK_MESSAGE, message);
    message = NULL;
    if (!*ppreview) {
        rv = invalid(problem, SAP_SK_EVENT, "The preview is not valid UTF-8.");
        goto leave;
    }
    rv = APR_SUCCESS;
leave:
    json_decref(message);
    json_decref(context);
    json_decref(event);
    return rv;
}

apr_status_t sap_settings_forget_all(const sap_settings_env_t *env, apr_pool_t *pool,
                                     int *pdropped)
{
    apr_array_header_t *definitions = NULL;
    apr_status_t rv = env->store->ops->definition_list(env->store, pool, &definitions);
    int p, t, i;

    *pdropped = 1;
    sap_cache_remove(env->cache, pool, settings_key(pool));
    for (p = 0; p < 2; p++) {
        for (t = 0; t < SAP_NOTIFICATION_TYPE_COUNT; t++, (*pdropped)++) {
            sap_cache_remove(env->cache, pool,
                             template_key(pool, sap_products[p], sap_notification_types[t]));
        }
    }
    for (i = 0; rv == APR_SUCCESS && i < definitions->nelts; i++, (*pdropped)++) {
        const sap_definition_t *each = &APR_ARRAY_IDX(definitions, i, sap_definition_t);

        sap_cache_remove(env->cache, pool, definition_key(pool, each->product, each->definition_id));
    }
    return rv;
}
