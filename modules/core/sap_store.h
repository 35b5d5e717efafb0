/* Storage interface of the core.
 *
 * A sap_store_t is one database session: the glue builds one around a mod_dbd
 * connection (ap_dbd_acquire in requests, ap_dbd_open in worker threads) and
 * the core only ever calls these operations. All SQL lives in the glue
 * (mod_sap_store_dbd.c), prepared at config time and looked up by label. */
#ifndef SAP_STORE_H
#define SAP_STORE_H

#include <apr_pools.h>
#include <apr_time.h>

/* The schema version this build expects (the highest sql/NNN_*.sql). */
#define SAP_SCHEMA_VERSION 1

typedef struct sap_store_t sap_store_t;

typedef struct sap_job_t {
    apr_int64_t id;
    const char *kind;
    const char *payload;      /* JSON text */
    int attempts;             /* including this one */
    int max_attempts;
} sap_job_t;

typedef struct sap_queue_stats_t {
    apr_int64_t queued;       /* waiting, due or not */
    apr_int64_t running;      /* claimed under a lease */
    apr_int64_t failed;       /* gave up; kept for the history period */
} sap_queue_stats_t;

typedef struct sap_cleanup_counts_t {
    int ran;                  /* 0: another node held the cleanup lock */
    apr_int64_t history, oauth_states, jobs, events, probes;
} sap_cleanup_counts_t;

typedef struct sap_probe_t {
    apr_int64_t id;
    apr_int64_t job_id;
    const char *requested_by;
    const char *created_at;   /* ISO 8601 */
    const char *ran_at;       /* NULL until a worker ran it */
    const char *ran_by;
    int runs;
    const char *job_state;
    int job_attempts;
} sap_probe_t;

typedef struct sap_store_ops_t {
    apr_status_t (*schema_version)(sap_store_t *store, int *pversion);

    /* Jobs (the durable outbox). A request stores its jobs together with
     * what they are about, in one statement or transaction of its own (see
     * probe_create). claim: job_id 0 takes the next due job, otherwise
     * exactly that one if it is due; APR_NOTFOUND when nothing. */
    apr_status_t (*job_claim)(sap_store_t *store, apr_pool_t *pool, apr_int64_t job_id,
                              const char *owner, int lease_sec, sap_job_t **pjob);
    /* finish/retry/fail/defer settle the claim `job` came from, and only that
     * claim: they answer APR_NOTFOUND when its lease was lost (the job was
     * claimed again meanwhile, by this process or another). */
    apr_status_t (*job_finish)(sap_store_t *store, const sap_job_t *job, const char *owner);
    apr_status_t (*job_retry)(sap_store_t *store, const sap_job_t *job, const char *owner,
                              int delay_sec, const char *error);
    apr_status_t (*job_fail)(sap_store_t *store, const sap_job_t *job, const char *owner,
                             const char *error);
    /* Back to the queue without counting the attempt (a kind this node
     * does not know: a newer node may). */
    apr_status_t (*job_defer)(sap_store_t *store, const sap_job_t *job, const char *owner,
                              int delay_sec, const char *error);
    apr_status_t (*queue_stats)(sap_store_t *store, sap_queue_stats_t *stats);
    apr_status_t (*cleanup)(sap_store_t *store, int history_days, sap_cleanup_counts_t *counts);

    /* Queue probes: an admin's end-to-end check of the background workers. */
    apr_status_t (*probe_create)(sap_store_t *store, const char *requested_by,
                                 const char *payload_extra, apr_int64_t *pprobe_id,
                                 apr_int64_t *pjob_id);
    apr_status_t (*probe_record_run)(sap_store_t *store, apr_int64_t probe_id, const char *owner);
    apr_status_t (*probe_get)(sap_store_t *store, apr_pool_t *pool, apr_int64_t probe_id,
                              sap_probe_t **pprobe);
} sap_store_ops_t;

struct sap_store_t {
    const sap_store_ops_t *ops;
    void *baton;              /* the implementation's session */
    apr_pool_t *pool;         /* scratch memory of the operations; a long-lived
                               * session may point it at a per-job pool */
};

#endif
