/* Background jobs: a registry of handlers by kind, and the claim → run →
 * finish / retry / fail cycle over the store. Threads, polling and shutdown
 * are the glue's (mod_sap_workers.c); this file is what one worker does. */
#ifndef SAP_JOBS_H
#define SAP_JOBS_H

#include <apr_pools.h>
#include "sap_store.h"

#define SAP_JOB_KIND_PROBE "queue.probe"

/* A claimed job is another worker's to take after this many seconds: longer
 * than the slowest job (4 HTTP attempts of 10 s plus backoff). */
#define SAP_JOB_LEASE_SEC 120

/* The longest a probe job may be asked to sleep (it exists to test shutdown). */
#define SAP_PROBE_MAX_SLEEP_MS 10000

typedef enum {
    SAP_JOB_DONE = 0,
    SAP_JOB_RETRY,            /* transient failure: back to the queue with backoff */
    SAP_JOB_FAILED,           /* permanent failure: kept as failed with the reason */
    SAP_JOB_DEFERRED          /* not ours to run (unknown kind): queued again, uncounted */
} sap_job_outcome_t;

/* How long a job of an unknown kind waits before it is offered again. */
#define SAP_JOB_DEFER_SEC 60

typedef struct sap_job_ctx_t {
    apr_pool_t *pool;         /* cleared after the job */
    sap_store_t *store;
    const sap_job_t *job;
    const char *owner;        /* "host:pid:nonce" of this worker, as stored in the lease */
    void *services;           /* the glue's services (clients, cache, config) */
    volatile const int *stopping;  /* set when the process shuts down: finish soon */
    volatile const int *cancel;    /* set when shutdown stopped waiting: pass to every
                                    * sap_http_request_t and sap_mail_t so transfers in
                                    * flight abort */
    const char *error;        /* set by handlers for RETRY / FAILED */
} sap_job_ctx_t;

typedef sap_job_outcome_t sap_job_handler_fn(sap_job_ctx_t *ctx);

typedef struct sap_jobs_t sap_jobs_t;

apr_status_t sap_jobs_create(sap_jobs_t **pjobs, apr_pool_t *pool);
void sap_jobs_register(sap_jobs_t *jobs, const char *kind, sap_job_handler_fn *handler);
/* Registers the handlers of the core (probe, …). */
void sap_jobs_register_core(sap_jobs_t *jobs);

/* Claims one job (job_id 0: the next due one) and runs it. *pran tells
 * whether a job was found. Errors are the store's. */
typedef struct sap_jobs_signals_t {
    volatile const int *stopping;
    volatile const int *cancel;
} sap_jobs_signals_t;

apr_status_t sap_jobs_run_one(sap_jobs_t *jobs, sap_store_t *store, apr_pool_t *pool,
                              apr_int64_t job_id, const char *owner, void *services,
                              const sap_jobs_signals_t *signals, int *pran);

/* Seconds before retry number `attempts` (1-based): 5 s doubling, capped at 10 min. */
int sap_jobs_retry_delay_sec(int attempts);

#endif
