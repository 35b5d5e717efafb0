/* mod_slack_approvals — Jira and Confluence approvals in Slack.
 *
 * The module record and hook registration only. The httpd glue lives in
 * modules/httpd (mod_sap_*.c), the httpd-free core in modules/core (sap_*.c);
 * docs/architecture.md explains the layers. */
#include <httpd.h>
#include <http_config.h>

#include "mod_sap_config.h"
#include "mod_sap_lifecycle.h"
#include "mod_sap_router.h"

static void register_hooks(apr_pool_t *pool)
{
    /* mod_dbd collects prepared statements in its post_config: ours first. */
    static const char *const before_dbd[] = {"mod_dbd.c", NULL};
    /* ap_dbd_open needs mod_dbd's child_init to have run. */
    static const char *const after_dbd[] = {"mod_dbd.c", NULL};

    ap_hook_pre_config(mod_sap_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(mod_sap_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(mod_sap_post_config, NULL, before_dbd, APR_HOOK_MIDDLE);
    ap_hook_child_init(mod_sap_child_init, after_dbd, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(mod_sap_router_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(slack_approvals) = {
    STANDARD20_MODULE_STUFF,
    NULL,                         /* per-directory config: none */
    NULL,
    mod_sap_config_create,
    mod_sap_config_merge,
    mod_sap_config_cmds,
    register_hooks
};
