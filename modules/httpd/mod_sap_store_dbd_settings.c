/* The store's SQL for the global notification settings (one row), the
 * per-definition overrides and the customised templates. Each write is a
 * single statement; the caches in front of them are the core's
 * (sap_settings.c), which drops its entries after every write. */
#include <apr_strings.h>
#include <httpd.h>

#include "mod_sap_store_dbd_int.h"

#define SQL_SETTINGS_GET    "sap_settings_get"
#define SQL_SETTINGS_PUT    "sap_settings_put"
#define SQL_DEF_GET         "sap_definition_get"
#define SQL_DEF_PUT         "sap_definition_put"
#define SQL_DEF_DELETE      "sap_definition_delete"
#define SQL_DEF_LIST        "sap_definition_list"
#define SQL_TPL_GET         "sap_template_get"
#define SQL_TPL_PUT         "sap_template_put"
#define SQL_TPL_DELETE      "sap_template_delete"
#define SQL_TPL_LIST        "sap_template_list"

#define SETTINGS_COLUMNS \
    "mechanism, delivery_mode, default_channel, default_channel_name, updated_by, " \
    SQL_ISO("updated_at")
#define SETTINGS_NCOLS 6

/* A reference to a connection deleted meanwhile is NULL (the default),
 * as the foreign key's ON DELETE SET NULL would have made it. */
#define DEF_COLUMNS \
    "product, definition_id, coalesce(connection_id, 0), channel, channel_name, updated_by, " \
    SQL_ISO("updated_at")
#define DEF_NCOLS 7

#define TPL_COLUMNS \
    "product, notification_type, slack_body, email_subject, email_body, updated_by, " \
    SQL_ISO("updated_at")
#define TPL_NCOLS 7

const mod_sap_statement_t mod_sap_settings_statements[] = {
    {SQL_SETTINGS_GET, "SELECT " SETTINGS_COLUMNS " FROM sap_settings WHERE id"},
    /* The row exists from the first migration on; the upsert keeps a
     * database whose row was deleted by hand working. */
    {SQL_SETTINGS_PUT, "INSERT INTO sap_settings (id, mechanism, delivery_mode, default_channel, "
        "default_channel_name, updated_by, updated_at) VALUES (true, %s, %s, %s, %s, %s, now()) "
        "ON CONFLICT (id) DO UPDATE SET mechanism = EXCLUDED.mechanism, "
        "delivery_mode = EXCLUDED.delivery_mode, default_channel = EXCLUDED.default_channel, "
        "default_channel_name = EXCLUDED.default_channel_name, updated_by = EXCLUDED.updated_by, "
        "updated_at = now()"},
    {SQL_DEF_GET, "SELECT " DEF_COLUMNS " FROM sap_definition_overrides "
        "WHERE product = %s AND definition_id = %s"},
    /* A connection deleted between the check and this statement leaves the
     * reference NULL instead of failing on the foreign key. */
    {SQL_DEF_PUT, "INSERT INTO sap_definition_overrides (product, definition_id, connection_id, "
        "channel, channel_name, updated_by, updated_at) VALUES (%s, %s, "
        "(SELECT id FROM sap_connections WHERE id = %s::bigint), %s, %s, %s, now()) "
        "ON CONFLICT (product, definition_id) DO UPDATE SET "
        "connection_id = EXCLUDED.connection_id, channel = EXCLUDED.channel, "
        "channel_name = EXCLUDED.channel_name, updated_by = EXCLUDED.updated_by, "
        "updated_at = now()"},
    {SQL_DEF_DELETE, "DELETE FROM sap_definition_overrides WHERE product = %s AND definition_id = %s"},
    {SQL_DEF_LIST, "SELECT " DEF_COLUMNS " FROM sap_definition_overrides "
        "ORDER BY product, definition_id"},
    {SQL_TPL_GET, "SELECT " TPL_COLUMNS " FROM sap_templates "
        "WHERE product = %s AND notification_type = %s"},
    {SQL_TPL_PUT, "INSERT INTO sap_templates (product, notification_type, slack_body, "
        "email_subject, email_body, updated_by, updated_at) VALUES (%s, %s, %s, %s, %s, %s, now()) "
        "ON CONFLICT (product, notification_type) DO UPDATE SET "
        "slack_body = EXCLUDED.slack_body, email_subject = EXCLUDED.email_subject, "
        "email_body = EXCLUDED.email_body, updated_by = EXCLUDED.updated_by, updated_at = now()"},
    {SQL_TPL_DELETE, "DELETE FROM sap_templates WHERE product = %s AND notification_type = %s"},
    {SQL_TPL_LIST, "SELECT " TPL_COLUMNS " FROM sap_templates ORDER BY product, notification_type"},
};

const apr_size_t mod_sap_settings_statement_count =
    sizeof(mod_sap_settings_statements) / sizeof(mod_sap_settings_statements[0]);

/* ---- global settings ---- */

apr_status_t mod_sap_dbd_settings_get(sap_store_t *store, apr_pool_t *pool,
                                      sap_settings_t **psettings)
{
    const char *cols[SETTINGS_NCOLS] = {NULL};
    sap_settings_t *settings;
    apr_status_t rv = mod_sap_dbd_select_row(store, pool, SQL_SETTINGS_GET, 0, NULL,
                                             SETTINGS_NCOLS, cols);

    *psettings = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    settings = apr_pcalloc(pool, sizeof(*settings));
    settings->mechanism = cols[0];
    settings->delivery_mode = cols[1];
    settings->default_channel = cols[2];
    settings->default_channel_name = cols[3];
    settings->updated_by = cols[4];
    settings->updated_at = cols[5];
    *psettings = settings;
    return APR_SUCCESS;
}

apr_status_t mod_sap_dbd_settings_put(sap_store_t *store, const sap_settings_t *settings)
{
    const char *args[] = {settings->mechanism, settings->delivery_mode, settings->default_channel,
                          settings->default_channel ? settings->default_channel_name : NULL,
                          settings->updated_by};

    return mod_sap_dbd_query(store, SQL_SETTINGS_PUT, 5, args, NULL);
}

/* ---- definition overrides ---- */

static void definition_from_row(sap_definition_t *definition, const char **cols)
{
    definition->product = cols[0];
    definition->definition_id = cols[1];
    definition->connection_id = mod_sap_dbd_int64(cols[2]);
    definition->channel = cols[3];
    definition->channel_name = cols[4];
    definition->updated_by = cols[5];
    definition->updated_at = cols[6];
}

apr_status_t mod_sap_dbd_definition_get(sap_store_t *store, apr_pool_t *pool, const char *product,
                                        const char *definition_id, sap_definition_t **pdefinition)
{
    const char *args[] = {product, definition_id};
    const char *cols[DEF_NCOLS] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, pool, SQL_DEF_GET, 2, args, DEF_NCOLS, cols);

    *pdefinition = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *pdefinition = apr_pcalloc(pool, sizeof(**pdefinition));
    definition_from_row(*pdefinition, cols);
    return APR_SUCCESS;
}

apr_status_t mod_sap_dbd_definition_put(sap_store_t *store, const sap_definition_t *definition)
{
    const char *args[] = {definition->product, definition->definition_id,
                          definition->connection_id
                              ? mod_sap_dbd_text(store->pool, definition->connection_id) : NULL,
                          definition->channel,
                          definition->channel ? definition->channel_name : NULL,
                          definition->updated_by};

    return mod_sap_dbd_query(store, SQL_DEF_PUT, 6, args, NULL);
}

apr_status_t mod_sap_dbd_definition_delete(sap_store_t *store, const char *product,
                                           const char *definition_id)
{
    const char *args[] = {product, definition_id};
    int affected = 0;
    apr_status_t rv = mod_sap_dbd_query(store, SQL_DEF_DELETE, 2, args, &affected);

    return rv == APR_SUCCESS && !affected ? APR_NOTFOUND : rv;
}

static void collect_definition(void *baton, apr_pool_t *pool, const char **cols)
{
    definition_from_row(apr_array_push(baton), cols);
}

apr_status_t mod_sap_dbd_definition_list(sap_store_t *store, apr_pool_t *pool,
                                         apr_array_header_t **pdefinitions)
{
    *pdefinitions = apr_array_make(pool, 16, sizeof(sap_definition_t));
    return mod_sap_dbd_select_each(store, pool, SQL_DEF_LIST, 0, NULL, DEF_NCOLS,
                                   collect_definition, *pdefinitions);
}

/* ---- templates ---- */

static void template_from_row(sap_stored_template_t *tpl, const char **cols)
{
    tpl->product = cols[0];
    tpl->notification_type = cols[1];
    tpl->slack_body = cols[2];
    tpl->email_subject = cols[3];
    tpl->email_body = cols[4];
    tpl->updated_by = cols[5];
    tpl->updated_at = cols[6];
}

apr_status_t mod_sap_dbd_template_get(sap_store_t *store, apr_pool_t *pool, const char *product,
                                      const char *type, sap_stored_template_t **ptemplate)
{
    const char *args[] = {product, type};
    const char *cols[TPL_NCOLS] = {NULL};
    apr_status_t rv = mod_sap_dbd_select_row(store, pool, SQL_TPL_GET, 2, args, TPL_NCOLS, cols);

    *ptemplate = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *ptemplate = apr_pcalloc(pool, sizeof(**ptemplate));
    template_from_row(*ptemplate, cols);
    return APR_SUCCESS;
}

apr_status_t mod_sap_dbd_template_put(sap_store_t *store, const sap_stored_template_t *tpl)
{
    const char *args[] = {tpl->product, tpl->notification_type, tpl->slack_body,
                          tpl->email_subject, tpl->email_body, tpl->updated_by};

    return mod_sap_dbd_query(store, SQL_TPL_PUT, 6, args, NULL);
}

apr_status_t mod_sap_dbd_template_delete(sap_store_t *store, const char *product,
                                         const char *type)
{
    const char *args[] = {product, type};
    int affected = 0;
    apr_status_t rv = mod_sap_dbd_query(store, SQL_TPL_DELETE, 2, args, &affected);

    return rv == APR_SUCCESS && !affected ? APR_NOTFOUND : rv;
}

static void collect_template(void *baton, apr_pool_t *pool, const char **cols)
{
    template_from_row(apr_array_push(baton), cols);
}

apr_status_t mod_sap_dbd_template_list(sap_store_t *store, apr_pool_t *pool,
                                       apr_array_header_t **ptemplates)
{
    *ptemplates = apr_array_make(pool, 20, sizeof(sap_stored_template_t));
    return mod_sap_dbd_select_each(store, pool, SQL_TPL_LIST, 0, NULL, TPL_NCOLS,
                                   collect_template, *ptemplates);
}
