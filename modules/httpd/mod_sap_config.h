/* Server configuration: the directives of DESIGN section 3. */
#ifndef MOD_SAP_CONFIG_H
#define MOD_SAP_CONFIG_H

#include <httpd.h>
#include <http_config.h>

#include "sap_secret.h"

typedef struct mod_sap_config_t {
    int enabled;                    /* -1: unset */
    const char *public_url;
    const char *public_path;        /* path of public_url: where the handler's Location is */
    const char *client_id;
    const char *client_secret_file;
    const char *signing_secret_file;
    const char *token_key_file;
    const char *token_previous_key_file;   /* optional: key rotation */
    const char *slack_api;
    const char *slack_authorize_url;
    const char *engine_url;
    const char *engine_token_file;
    const char *engine_secret_file;
    const char *mail_relay;
    const char *mail_from;
    const char *cache_provider;     /* socache provider name */
    const char *cache_args;         /* its arguments, may be NULL */
    int workers;                    /* -1: unset */
    int history_days;               /* -1: unset */
    int allow_insecure;             /* -1: unset */

    /* read from their files by check_config; never logged */
    sap_secret_t *client_secret;
    sap_secret_t *signing_secret;
    sap_secret_t *token_key;
    sap_secret_t *token_previous_key;     /* NULL when not configured */
    sap_secret_t *engine_token;
    sap_secret_t *engine_secret;
} mod_sap_config_t;

extern const command_rec mod_sap_config_cmds[];

void *mod_sap_config_create(apr_pool_t *pool, server_rec *s);
void *mod_sap_config_merge(apr_pool_t *pool, void *basev, void *addv);

/* The effective config of a server, with defaults applied. */
mod_sap_config_t *mod_sap_config_get(server_rec *s);
int mod_sap_config_enabled(const mod_sap_config_t *conf);

/* The first server with "SlackApprovals On": it owns the background
 * workers and the shared cache (one installation per httpd). NULL if none. */
server_rec *mod_sap_config_main_server(server_rec *s);

/* check_config hook: required directives, https, secret files. */
int mod_sap_config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);

#endif
