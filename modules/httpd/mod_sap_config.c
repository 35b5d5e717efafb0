#include <apr_strings.h>
#include <apr_uri.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_sap_config.h"
#include "mod_sap_directives.h"
#include "sap_url.h"

extern module AP_MODULE_DECLARE_DATA slack_approvals_module;

APLOG_USE_MODULE(slack_approvals);

#define CONF_OFFSET(field) (void *)APR_OFFSETOF(mod_sap_config_t, field)

void *mod_sap_config_create(apr_pool_t *pool, server_rec *s)
{
    mod_sap_config_t *conf = apr_pcalloc(pool, sizeof(*conf));

    conf->enabled = -1;
    conf->workers = -1;
    conf->history_days = -1;
    conf->allow_insecure = -1;
    return conf;
}

#define MERGE_PTR(field) merged->field = add->field ? add->field : base->field
#define MERGE_INT(field) merged->field = add->field != -1 ? add->field : base->field

void *mod_sap_config_merge(apr_pool_t *pool, void *basev, void *addv)
{
    mod_sap_config_t *base = basev, *add = addv;
    mod_sap_config_t *merged = apr_pcalloc(pool, sizeof(*merged));

    MERGE_INT(enabled);
    MERGE_PTR(public_url);
    MERGE_PTR(public_path);
    MERGE_PTR(client_id);
    MERGE_PTR(client_secret_file);
    MERGE_PTR(signing_secret_file);
    MERGE_PTR(token_key_file);
    MERGE_PTR(token_previous_key_file);
    MERGE_PTR(slack_api);
    MERGE_PTR(slack_authorize_url);
    MERGE_PTR(engine_url);
    MERGE_PTR(engine_token_file);
    MERGE_PTR(engine_secret_file);
    MERGE_PTR(mail_relay);
    MERGE_PTR(mail_from);
    /* provider and arguments belong together */
    merged->cache_provider = add->cache_provider ? add->cache_provider : base->cache_provider;
    merged->cache_args = add->cache_provider ? add->cache_args : base->cache_args;
    MERGE_INT(workers);
    MERGE_INT(history_days);
    MERGE_INT(allow_insecure);
    return merged;
}

mod_sap_config_t *mod_sap_config_get(server_rec *s)
{
    return ap_get_module_config(s->module_config, &slack_approvals_module);
}

int mod_sap_config_enabled(const mod_sap_config_t *conf)
{
    return conf && conf->enabled == 1;
}

server_rec *mod_sap_config_main_server(server_rec *s)
{
    for (; s; s = s->next) {
        if (mod_sap_config_enabled(mod_sap_config_get(s))) {
            return s;
        }
    }
    return NULL;
}

static mod_sap_config_t *cmd_config(cmd_parms *cmd)
{
    return mod_sap_config_get(cmd->server);
}

/* ---- directive handlers: syntax only; what depends on other directives
 * (https, required values, secret files) is checked in check_config ---- */

static const char *set_flag(cmd_parms *cmd, void *dconf, int flag)
{
    *(int *)((char *)cmd_config(cmd) + (apr_size_t)cmd->info) = flag;
    return NULL;
}

/* cmd->info holds the field's offset (CONF_OFFSET) for every directive that
 * stores through set_string, directly or not. */
static const char *set_string(cmd_parms *cmd, void *dconf, const char *value)
{
    if (!*value) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": must not be empty", NULL);
    }
    *(const char **)((char *)cmd_config(cmd) + (apr_size_t)cmd->info) = value;
    return NULL;
}

static const char *set_url(cmd_parms *cmd, void *dconf, const char *value)
{
    const char *why = NULL;

    /* Scheme policy waits for SlackApprovalsAllowInsecureHTTP: check syntax here. */
    if (sap_url_check(value, SAP_URL_WEB, 1, cmd->pool, &why) != APR_SUCCESS) {
        /* The URL itself is not repeated: it may hold credentials. */
        return apr_psprintf(cmd->pool, "%s: the URL %s", cmd->cmd->name, why);
    }
    return set_string(cmd, dconf, value);
}

static const char *set_public_url(cmd_parms *cmd, void *dconf, const char *value)
{
    mod_sap_config_t *conf = cmd_config(cmd);
    const char *err = set_url(cmd, dconf, value);
    apr_uri_t uri;
    apr_size_t len;

    if (err) {
        return err;
    }
    apr_uri_parse(cmd->pool, value, &uri);
    if (uri.query) {
        return apr_psprintf(cmd->pool, "%s: the URL must not have a query string",
                            cmd->cmd->name);
    }
    /* The handler's Location; no trailing slash ("/" becomes ""). */
    conf->public_path = apr_pstrdup(cmd->pool, uri.path ? uri.path : "");
    len = strlen(conf->public_path);
    while (len > 0 && conf->public_path[len - 1] == '/') {
        ((char *)conf->public_path)[--len] = '\0';
    }
    conf->public_url = apr_pstrcat(cmd->pool, uri.scheme, "://", uri.hostinfo,
                                   conf->public_path, NULL);
    return NULL;
}

static const char *set_mail_relay(cmd_parms *cmd, void *dconf, const char *value)
{
    const char *why = NULL;

    if (sap_url_check(value, SAP_URL_MAIL, 1, cmd->pool, &why) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: the URL %s", cmd->cmd->name, why);
    }
    return set_string(cmd, dconf, value);
}

static const char *set_mail_from(cmd_parms *cmd, void *dconf, const char *value)
{
    const char *at = strchr(value, '@');

    if (!at || at == value || !at[1] || strpbrk(value, " \t\r\n<>\"")) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a plain email address "
                            "(like approvals@example.com)", cmd->cmd->name, value);
    }
    return set_string(cmd, dconf, value);
}

static const char *set_file(cmd_parms *cmd, void *dconf, const char *value)
{
    const char *path = ap_server_root_relative(cmd->pool, value);

    if (!path) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'", cmd->cmd->name, value);
    }
    return set_string(cmd, dconf, path);
}

static const char *set_cache(cmd_parms *cmd, void *dconf, const char *value)
{
    mod_sap_config_t *conf = cmd_config(cmd);
    const char *colon = strchr(value, ':');

    if (colon == value) {
        return apr_psprintf(cmd->pool, "%s: '%s' names no provider (e.g. shmcb, "
                            "or memcache:host:11211)", cmd->cmd->name, value);
    }
    conf->cache_provider = colon ? apr_pstrmemdup(cmd->pool, value, colon - value) : value;
    conf->cache_args = colon ? colon + 1 : NULL;
    return NULL;
}

static const char *set_bounded_int(cmd_parms *cmd, const char *value, int min, int max,
                                   int *pfield)
{
    char *end = NULL;
    apr_int64_t number = apr_strtoi64(value, &end, 10);

    if (!*value || *end || number < min || number > max) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be a whole number from %d to %d",
                            cmd->cmd->name, value, min, max);
    }
    *pfield = (int)number;
    return NULL;
}

static const char *set_workers(cmd_parms *cmd, void *dconf, const char *value)
{
    return set_bounded_int(cmd, value, 1, SAP_MAX_WORKERS, &cmd_config(cmd)->workers);
}

static const char *set_history_days(cmd_parms *cmd, void *dconf, const char *value)
{
    return set_bounded_int(cmd, value, 1, SAP_MAX_HISTORY_DAYS, &cmd_config(cmd)->history_days);
}

const command_rec mod_sap_config_cmds[] = {
    AP_INIT_FLAG(SAP_DIR_ENABLE, set_flag, CONF_OFFSET(enabled), RSRC_CONF,
                 "Enable mod_slack_approvals for this server (On|Off)"),
    AP_INIT_TAKE1(SAP_DIR_PUBLIC_URL, set_public_url, CONF_OFFSET(public_url), RSRC_CONF,
                  "External base URL of the module's Location"),
    AP_INIT_TAKE1(SAP_DIR_CLIENT_ID, set_string, CONF_OFFSET(client_id), RSRC_CONF,
                  "Slack app client id"),
    AP_INIT_TAKE1(SAP_DIR_CLIENT_SECRET_FILE, set_file, CONF_OFFSET(client_secret_file), RSRC_CONF,
                  "File holding the Slack app client secret"),
    AP_INIT_TAKE1(SAP_DIR_SIGNING_SECRET_FILE, set_file, CONF_OFFSET(signing_secret_file), RSRC_CONF,
                  "File holding the Slack signing secret"),
    AP_INIT_TAKE1(SAP_DIR_TOKEN_KEY_FILE, set_file, CONF_OFFSET(token_key_file), RSRC_CONF,
                  "File holding the 32-byte key that encrypts bot tokens"),
    AP_INIT_TAKE1(SAP_DIR_TOKEN_PREV_KEY_FILE, set_file, CONF_OFFSET(token_previous_key_file),
                  RSRC_CONF, "File holding the key tokens were encrypted with before the "
                  "current one (read, then re-encrypted under the current key)"),
    AP_INIT_TAKE1(SAP_DIR_SLACK_API, set_url, CONF_OFFSET(slack_api), RSRC_CONF,
                  "Slack Web API base URL"),
    AP_INIT_TAKE1(SAP_DIR_SLACK_AUTHORIZE_URL, set_url, CONF_OFFSET(slack_authorize_url), RSRC_CONF,
                  "Slack OAuth authorize URL"),
    AP_INIT_TAKE1(SAP_DIR_ENGINE_URL, set_url, CONF_OFFSET(engine_url), RSRC_CONF,
                  "Approval engine base URL"),
    AP_INIT_TAKE1(SAP_DIR_ENGINE_TOKEN_FILE, set_file, CONF_OFFSET(engine_token_file), RSRC_CONF,
                  "File holding the bearer token for calls to the engine"),
    AP_INIT_TAKE1(SAP_DIR_ENGINE_SECRET_FILE, set_file, CONF_OFFSET(engine_secret_file), RSRC_CONF,
                  "File holding the HMAC secret that signs the engine's events"),
    AP_INIT_TAKE1(SAP_DIR_MAIL_RELAY, set_mail_relay, CONF_OFFSET(mail_relay), RSRC_CONF,
                  "SMTP relay URL for the email fallback (smtp:// or smtps://)"),
    AP_INIT_TAKE1(SAP_DIR_MAIL_FROM, set_mail_from, CONF_OFFSET(mail_from), RSRC_CONF,
                  "Sender address of fallback mail"),
    AP_INIT_TAKE1(SAP_DIR_CACHE, set_cache, NULL, RSRC_CONF,
                  "socache provider for shared caches, PROVIDER[:ARGS]"),
    AP_INIT_TAKE1(SAP_DIR_WORKERS, set_workers, NULL, RSRC_CONF,
                  "Background worker threads per child process"),
    AP_INIT_TAKE1(SAP_DIR_HISTORY_DAYS, set_history_days, NULL, RSRC_CONF,
                  "Days of notification history to keep"),
    AP_INIT_FLAG(SAP_DIR_ALLOW_INSECURE_HTTP, set_flag, CONF_OFFSET(allow_insecure), RSRC_CONF,
                 "Allow http:// URLs for Slack and the engine (loopback tests only)"),
    {NULL}
};

/* ---- check_config ---- */

static void apply_defaults(mod_sap_config_t *conf)
{
    if (!conf->slack_api) {
        conf->slack_api = SAP_DEFAULT_SLACK_API;
    }
    if (!conf->slack_authorize_url) {
        conf->slack_authorize_url = SAP_DEFAULT_AUTHORIZE_URL;
    }
    if (!conf->cache_provider) {
        conf->cache_provider = SAP_DEFAULT_CACHE;
    }
    if (conf->workers == -1) {
        conf->workers = SAP_DEFAULT_WORKERS;
    }
    if (conf->history_days == -1) {
        conf->history_days = SAP_DEFAULT_HISTORY_DAYS;
    }
    if (conf->allow_insecure == -1) {
        conf->allow_insecure = 0;
    }
}

/* One startup line naming the directive and the problem. */
static int config_error(server_rec *s, const char *directive, const char *problem)
{
    if (s->is_virtual && s->defn_name) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s, "%s: %s (in the "
                     "<VirtualHost> at %s:%d)", directive, problem, s->defn_name,
                     s->defn_line_number);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s, "%s: %s", directive, problem);
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

typedef struct required_t {
    const char *directive;
    const char *value;
} required_t;

static int check_required(server_rec *s, const mod_sap_config_t *conf)
{
    const required_t required[] = {
        {SAP_DIR_PUBLIC_URL, conf->public_url},
        {SAP_DIR_CLIENT_ID, conf->client_id},
        {SAP_DIR_CLIENT_SECRET_FILE, conf->client_secret_file},
        {SAP_DIR_SIGNING_SECRET_FILE, conf->signing_secret_file},
        {SAP_DIR_TOKEN_KEY_FILE, conf->token_key_file},
        {SAP_DIR_ENGINE_URL, conf->engine_url},
        {SAP_DIR_ENGINE_TOKEN_FILE, conf->engine_token_file},
        {SAP_DIR_ENGINE_SECRET_FILE, conf->engine_secret_file},
    };
    apr_size_t i;

    for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (!required[i].value) {
            return config_error(s, required[i].directive,
                                "is required when " SAP_DIR_ENABLE " is On");
        }
    }
    if (conf->mail_relay && !conf->mail_from) {
        return config_error(s, SAP_DIR_MAIL_FROM, "is required when "
                            SAP_DIR_MAIL_RELAY " is set");
    }
    return OK;
}

static int check_scheme(server_rec *s, apr_pool_t *pool, const mod_sap_config_t *conf)
{
    const required_t urls[] = {
        {SAP_DIR_PUBLIC_URL, conf->public_url},
        {SAP_DIR_SLACK_API, conf->slack_api},
        {SAP_DIR_SLACK_AUTHORIZE_URL, conf->slack_authorize_url},
        {SAP_DIR_ENGINE_URL, conf->engine_url},
    };
    const char *why = NULL;
    apr_size_t i;

    for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        if (sap_url_check(urls[i].value, SAP_URL_WEB, conf->allow_insecure, pool, &why)
            != APR_SUCCESS) {
            return config_error(s, urls[i].directive, apr_pstrcat(pool, "the URL ", why, NULL));
        }
    }
    return OK;
}

static int load_secret(server_rec *s, apr_pool_t *pool, const char *directive,
                       const char *path, int is_key, sap_secret_t **psecret)
{
    const char *why = NULL;
    apr_status_t rv = is_key ? sap_secret_read_key32(psecret, pool, path, &why)
                             : sap_secret_read(psecret, pool, path, &why);

    return rv == APR_SUCCESS ? OK : config_error(s, directive, why);
}

static int load_secrets(server_rec *s, apr_pool_t *pool, mod_sap_config_t *conf)
{
    int status;

    if ((status = load_secret(s, pool, SAP_DIR_CLIENT_SECRET_FILE, conf->client_secret_file,
                              0, &conf->client_secret)) != OK
        || (status = load_secret(s, pool, SAP_DIR_SIGNING_SECRET_FILE, conf->signing_secret_file,
                                 0, &conf->signing_secret)) != OK
        || (status = load_secret(s, pool, SAP_DIR_TOKEN_KEY_FILE, conf->token_key_file,
                                 1, &conf->token_key)) != OK
        || (conf->token_previous_key_file
            && (status = load_secret(s, pool, SAP_DIR_TOKEN_PREV_KEY_FILE,
                                     conf->token_previous_key_file, 1,
                                     &conf->token_previous_key)) != OK)
        || (status = load_secret(s, pool, SAP_DIR_ENGINE_TOKEN_FILE, conf->engine_token_file,
                                 0, &conf->engine_token)) != OK
        || (status = load_secret(s, pool, SAP_DIR_ENGINE_SECRET_FILE, conf->engine_secret_file,
                                 0, &conf->engine_secret)) != OK) {
        return status;
    }
    return OK;
}

int mod_sap_config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    int status;

    for (; s; s = s->next) {
        mod_sap_config_t *conf = mod_sap_config_get(s);

        apply_defaults(conf);
        if (!mod_sap_config_enabled(conf)) {
            continue;
        }
        if ((status = check_required(s, conf)) != OK
            || (status = check_scheme(s, ptemp, conf)) != OK
            || (status = load_secrets(s, pconf, conf)) != OK) {
            return status;
        }
    }
    return OK;
}
