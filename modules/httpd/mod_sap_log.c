#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>

#include "mod_sap_log.h"
#include "sap_log.h"

APLOG_USE_MODULE(slack_approvals);

static int enabled(void *baton, sap_log_level_t level)
{
    return APLOG_IS_LEVEL((server_rec *)baton, (int)level);
}

static void sink(void *baton, const char *file, int line, sap_log_level_t level,
                 apr_status_t rv, const char *fmt, va_list ap)
{
    server_rec *s = baton;
    char buffer[2048];

    apr_vsnprintf(buffer, sizeof(buffer), fmt, ap);
    /* ap_log_error_ keeps the core's file and line and our module index. */
    ap_log_error_(file, line, APLOG_MODULE_INDEX, (int)level, rv, s, "%s", buffer);
}

void mod_sap_log_install(server_rec *s)
{
    sap_log_set(sink, enabled, s);
}
