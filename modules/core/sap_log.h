/* Logging interface of the httpd-free core.
 *
 * The core never calls ap_log_*: the glue installs a sink at post_config
 * (mod_sap_log.c forwards to ap_log_error so "LogLevel slack_approvals:debug"
 * works); unit tests install their own or leave the default (stderr, warnings
 * and worse). Never pass a token or secret to these functions. */
#ifndef SAP_LOG_H
#define SAP_LOG_H

#include <stdarg.h>
#include <apr_errno.h>

typedef enum {
    SAP_LOG_EMERG = 0, SAP_LOG_ALERT, SAP_LOG_CRIT, SAP_LOG_ERR,
    SAP_LOG_WARNING, SAP_LOG_NOTICE, SAP_LOG_INFO, SAP_LOG_DEBUG, SAP_LOG_TRACE1
} sap_log_level_t;

typedef void sap_log_sink_fn(void *baton, const char *file, int line,
                             sap_log_level_t level, apr_status_t rv,
                             const char *fmt, va_list ap);
typedef int sap_log_enabled_fn(void *baton, sap_log_level_t level);

/* Installs the sink; NULL restores the stderr default. */
void sap_log_set(sap_log_sink_fn *sink, sap_log_enabled_fn *enabled, void *baton);

int sap_log_is_enabled(sap_log_level_t level);

void sap_log_write(const char *file, int line, sap_log_level_t level,
                   apr_status_t rv, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define SAP_LOG_MARK __FILE__, __LINE__

#endif
