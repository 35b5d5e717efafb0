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

/* Cache entries (sap_cache_key(pool, AREA, ID)). The settings entry is also
 * dropped by sap_connections_install when the first workspace switches the
 * mechanism to Slack. */
#define SAP_SETTINGS_CACHE_AREA      "settings"
#define SAP_SETTINGS_CACHE_ID        "global"
#define SAP_SETTINGS_DEFINITION_AREA "definition"
#define SAP_SETTINGS_TEMPLATE_AREA   "template"

/* Limits of what the admin API accepts. */
#define SAP_DEFINITION_ID_MAX  200    /* bytes */
#define SAP_CHANNEL_NAME_MAX   80     /* Slack's, without the '#' */

/* JSON keys of the settings, definition and template answers and bodies. */
#define SAP_SK_MECHANISM            "mechanism"
#define SAP_SK_DELIVERY_MODE        "delivery_mode"
#define SAP_SK_DEFAULT_CHANNEL      "default_channel"
#define SAP_SK_DEFAULT_CHANNEL_NAME "default_channel_name"
#define SAP_SK_UPDATED_BY           "updated_by"
#define SAP_SK_UPDATED_AT           "updated_at"
#define SAP_SK_WARNINGS             "warnings"
#define SAP_SK_PRODUCT              "product"
#define SAP_SK_DEFINITION_ID        "definition_id"
#define SAP_SK_CONNECTION_ID        "connection_id"
#define SAP_SK_CHANNEL              "channel"
#define SAP_SK_CHANNEL_NAME         "channel_name"
#define SAP_SK_DEFINITIONS          "definitions"
#define SAP_SK_TYPE                 "type"
#define SAP_SK_TITLE                "title"
#define SAP_SK_CUSTOMISED           "customised"
#define SAP_SK_DEFAULT              "default"
#define SAP_SK_TEMPLATES            "templates"
#define SAP_SK_EVENT                "event"
#define SAP_SK_RECIPIENTS           "recipients"
#define SAP_SK_MESSAGE              "message"
#define SAP_SK_CODE                 "code"

/* What went wrong with a write; the admin API answers with the HTTP status
 * in the comment and sap_settings_problem_json as the body. */
typedef enum {
    SAP_PROBLEM_NONE = 0,
    SAP_PROBLEM_INVALID,      /* 400: unknown key, wrong type or value (field names it) */
    SAP_PROBLEM_NOT_FOUND,    /* 404: unknown connection, template or override */
    SAP_PROBLEM_CONFLICT,     /* 409: no active workspace to check a channel with;
                               *      the named connection is not active */
    SAP_PROBLEM_REFUSED,      /* 422: Slack refused the channel; a template does not parse */
    SAP_PROBLEM_UPSTREAM,     /* 502: Slack could not be reached */
    SAP_PROBLEM_UNAVAILABLE   /* 503: the store failed */
} sap_problem_kind_t;

typedef struct sap_settings_problem_t {
    sap_problem_kind_t kind;
    const char *error;         /* "invalid_field", "unknown_field", "template_invalid",
                                * Slack's code ("channel_not_found", …), … */
    const char *message;       /* words an admin can act on */
    const char *field;         /* the body key (or path part) at fault, or NULL */
    const char *slack_error;   /* Slack's code when a channel check failed, else NULL */
    int connection_invalidated;/* the check found the token revoked and marked it */
    int has_position;          /* template_invalid: position is set */
    sap_mustache_error_t position;
} sap_settings_problem_t;

/* {"error", "message"[, "field"][, "slack_error", "connection_invalidated"]
 *  [, "line", "column", "offset"]} (new reference). */
json_t *sap_settings_problem_json(const sap_settings_problem_t *problem);

/* Every write below returns APR_SUCCESS, or another status with *problem
 * filled (APR_EINVAL for the admin's input or Slack's refusal, the store's
 * status when it failed). Nothing is stored when a write fails. Each write
 * drops the cache entries of what it changed. `body` is the request's JSON
 * object; keys that a GET answer shows but a write does not take
 * (updated_at, warnings, …) are ignored, any other unknown key is refused. */

/* Partial update of the global settings: only the keys given change.
 *   mechanism        "native" | "email" | "slack"
 *   delivery_mode    "dm" | "channel" | "both"
 *   default_channel  "#name", "name", a "C…"/"G…" id; null or "" clears it.
 * A new default channel is checked with the default workspace: a short
 * notice is posted there with chat.postMessage, and the channel id Slack
 * answers is stored (with the name as typed). A channel equal to the stored
 * one (by name or id) is not checked again. *psettings: the stored result. */
apr_status_t sap_settings_update(const sap_settings_env_t *env, apr_pool_t *pool,
                                 const json_t *body, const char *admin_user,
                                 sap_settings_t **psettings, sap_settings_problem_t *problem);

/* The definition override of product × definition_id, from
 * {"connection_id": id | null, "channel": "#x" | "C…" | null}: the
 * connection must exist (404) and be active (409); a channel is checked
 * like the default channel, with that connection (or the default one when
 * connection_id is null). One of the two must be set (DELETE removes an
 * override). *pdefinition: the stored result. */
apr_status_t sap_settings_definition_put(const sap_settings_env_t *env, apr_pool_t *pool,
                                         const char *product, const char *definition_id,
                                         const json_t *body, const char *admin_user,
                                         sap_definition_t **pdefinition,
                                         sap_settings_problem_t *problem);
/* SAP_PROBLEM_NOT_FOUND when there was no override. */
apr_status_t sap_settings_definition_delete(const sap_settings_env_t *env, apr_pool_t *pool,
                                            const char *product, const char *definition_id,
                                            sap_settings_problem_t *problem);

/* Customises product × type from {"slack_body", "email_subject",
 * "email_body"}: all three strings, each non-empty and at most
 * SAP_MUSTACHE_MAX_SOURCE bytes, and sap_template_check must pass
 * (SAP_PROBLEM_REFUSED "template_invalid" with field and position). */
apr_status_t sap_settings_template_put(const sap_settings_env_t *env, apr_pool_t *pool,
                                       const char *product, const char *type,
                                       const json_t *body, const char *admin_user,
                                       sap_settings_problem_t *problem);
/* Back to the default; *pwas_customised (may be NULL) says whether it was not. */
apr_status_t sap_settings_template_reset(const sap_settings_env_t *env, apr_pool_t *pool,
                                         const char *product, const char *type,
                                         int *pwas_customised, sap_settings_problem_t *problem);

/* Renders product × type for a preview. body (may be NULL) may give any of
 * slack_body / email_subject / email_body (else the template in force is
 * used for that part) and "event" (else sap_template_sample_event); the
 * copy is the one of the event's first recipient. *ppreview (new
 * reference): {"slack_body", "email_subject", "email_body", "message":
 * {"text", "blocks"}} with the Block Kit message of sap_blocks_build. */
apr_status_t sap_settings_template_preview(const sap_settings_env_t *env, apr_pool_t *pool,
                                           const char *product, const char *type,
                                           const json_t *body, json_t **ppreview,
                                           sap_settings_problem_t *problem);

/* ---- answers of the admin API (new references) ---- */

/* {"mechanism", "delivery_mode", "default_channel", "default_channel_name",
 *  "updated_by", "updated_at"} */
json_t *sap_settings_to_json(const sap_settings_t *settings);
/* [{"code", "message"}, …]: what the settings cannot do as they stand
 * (channel mode without a default channel; Slack without an active default
 * workspace). */
json_t *sap_settings_warnings(const sap_settings_env_t *env, apr_pool_t *pool,
                              const sap_settings_t *settings);

/* {"product", "definition_id", "connection_id" (null: default),
 *  "channel" (null: default), "channel_name", "updated_by", "updated_at"} */
json_t *sap_settings_definition_to_json(const sap_definition_t *definition);
/* Warnings of one override under the current settings (a workspace other
 * than the default without a channel of its own in channel mode). */
json_t *sap_settings_definition_warnings(const sap_settings_env_t *env, apr_pool_t *pool,
                                         const sap_settings_t *settings,
                                         const sap_definition_t *definition);

/* One template: {"product", "type", "title", "customised", "slack_body",
 * "email_subject", "email_body", "updated_by", "updated_at"} and, with
 * with_default, "default": {the three parts of the built-in one}.
 * APR_NOTFOUND for an unknown pair. */
apr_status_t sap_settings_template_json(const sap_settings_env_t *env, apr_pool_t *pool,
                                        const char *product, const char *type, int with_default,
                                        json_t **pjson);
/* All product × type pairs (jira first, types in sap_notification_types
 * order), read from the store in one query. */
apr_status_t sap_settings_templates_json(const sap_settings_env_t *env, apr_pool_t *pool,
                                         json_t **plist);

/* product is jira or confluence; definition_id is 1..SAP_DEFINITION_ID_MAX
 * bytes of UTF-8 without control characters. */
int sap_settings_definition_id_valid(const char *definition_id);

/* Drops every cached read of this file (the settings, each stored
 * definition override, all templates) after hand edits in SQL; *pdropped
 * counts the entries tried. */
apr_status_t sap_settings_forget_all(const sap_settings_env_t *env, apr_pool_t *pool,
                                     int *pdropped);

#endif
