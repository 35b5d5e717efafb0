/* Background workers of one child process (DESIGN section 9): an
 * apr_thread_pool started in child_init, fed by requests that just stored a
 * job (fast path) and by a poller that looks for due or abandoned jobs every
 * second (recovery path); stopped in a pre-cleanup of pchild. */
#ifndef MOD_SAP_WORKERS_H
#define MOD_SAP_WORKERS_H

#include <httpd.h>
#include "sap_jobs.h"

/* How long shutdown waits for running jobs before it aborts their HTTP and
 * SMTP transfers (the cancel flag); it then waits for them to return. An
 * aborted job is retried later, by this node or another. Shorter than the
 * ~9 s after which httpd's stop kills children, so the abort still happens. */
#define MOD_SAP_WORKERS_SHUTDOWN_WAIT apr_time_from_sec(5)
#define MOD_SAP_WORKERS_POLL_INTERVAL apr_time_from_sec(1)
#define MOD_SAP_WORKERS_CLEANUP_EVERY apr_time_from_sec(60 * 60)
#define MOD_SAP_WORKERS_CLEANUP_FIRST apr_time_from_sec(5)
#define MOD_SAP_WORKERS_DB_WARN_EVERY apr_time_from_sec(60)

typedef struct mod_sap_workers_stats_t {
    int threads;              /* 0: no workers in this process */
    int busy;
} mod_sap_workers_stats_t;

apr_status_t mod_sap_workers_start(apr_pool_t *pchild, server_rec *s, sap_jobs_t *jobs,
                                   void *services, int threads, int history_days);

/* After the request's transaction committed: queue this job for the next
 * free worker thread of this process (the poller finds it otherwise, e.g.
 * when this process stops first). */
void mod_sap_workers_push(apr_int64_t job_id);

void mod_sap_workers_get_stats(mod_sap_workers_stats_t *stats);

#endif
