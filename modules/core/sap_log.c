#include <stdio.h>
#include <apr_strings.h>

#include "sap_log.h"

static void stderr_sink(void *baton, const char *file, int line,
                        sap_log_level_t level, apr_status_t rv,
                        const char *fmt, va_list ap)
{
    char reason[128];

    (void)baton;
    fprintf(stderr, "[sap:%d] %s:%d: ", (int)level, file, line);
    vfprintf(stderr, fmt, ap);
    if (rv != APR_SUCCESS) {
        fprintf(stderr, " (%d: %s)", rv, apr_strerror(rv, reason, sizeof(reason)));
    }
    fputc('\n', stderr);
}

static int stderr_enabled(void *baton, sap_log_level_t level)
{
    (void)baton;
    return level <= SAP_LOG_WARNING;
}

static sap_log_sink_fn *log_sink = stderr_sink;
static sap_log_enabled_fn *log_enabled = stderr_enabled;
static void *log_baton;

void sap_log_set(sap_log_sink_fn *sink, sap_log_enabled_fn *enabled, void *baton)
{
    log_sink = sink ? sink : stderr_sink;
    log_enabled = enabled ? enabled : stderr_enabled;
    log_baton = sink ? baton : NULL;
}

int sap_log_is_enabled(sap_log_level_t level)
{
    return log_enabled(log_baton, level);
}

void sap_log_write(const char *file, int line, sap_log_level_t level,
                   apr_status_t rv, const char *fmt, ...)
{
    va_list ap;

    if (!log_enabled(log_baton, level)) {
        return;
    }
    va_start(ap, fmt);
    log_sink(log_baton, file, line, level, rv, fmt, ap);
    va_end(ap);
}
