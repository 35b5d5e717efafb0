/* Notification settings, definition overrides and templates: cached reads
 * (5 minutes in the shared cache, DESIGN section 7) for the dispatcher, and
 * validated writes for the admin API, each of which invalidates what it
 * changes. */
#ifndef SAP_SETTINGS_H
#define SAP_SETTINGS_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <jansson.h>

#include "sap_cache.h"
#include "sap_connections.h"
#include "sap_slack.h"
#include "sap_store.h"
#include "sap_templates.h"

typedef struct sap_settings_env_t {
    sap_store_t *store;
    sap_cache_t *cache;                   /* NULL: nothing cached */
    const sap_connections_t *connections; /* tokens for the channel checks */
    sap_slack_t *slack;                   /* NULL: no checks against Slack possible */
} sap_settings_env_t;

/* ---- reads (cached) ---- */

apr_status_t sap_settings_get(const sap_settings_env_t *env, apr_pool_t *pool,
                              sap_settings_t **psettings);
/* APR_NOTFOUND when the definition has no override. */
apr_status_t sap_settings_definition(const sap_settings_env_t *env, apr_pool_t *pool,
                                     const char *product, const char *definition_id,
                                     sap_definition_t **pdefinition);
/* The template in force for product × type: the stored one, else the
 * default (*pcustomised says which). APR_NOTFOUND for an unknown pair. */
apr_status_t sap_settings_template(const sap_settings_env_t *env, apr_pool_t *pool,
                                   const char *product, const char *type,
                                   sap_template_t *out, int *pcustomised);

/* Where an event of a definition goes: the definition's workspace and
 * channel when overridden, else the default workspace (connection_id 0)
 * and the default channel (NULL when none). */
typedef struct sap_target_t {
    apr_int64_t connection_id;
    const char *channel;
    const char *channel_name;
    int workspace_overridden, channel_overridden;
} sap_target_t;

apr_status_t sap_settings_target(const sap_settings_env_t *env, apr_pool_t *pool,
                                 const sap_settings_t *settings, const char *product,
                                 const char *definition_id, sap_target_t *target);

/* ---- writes (admin API): declared by their implementer below ---- */

#endif
