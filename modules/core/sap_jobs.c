#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <jansson.h>

#include "sap_jobs.h"
#include "sap_json_keys.h"
#include "sap_log.h"

#define SAP_JOB_RETRY_BASE_SEC 5
#define SAP_JOB_RETRY_CAP_SEC  (10 * 60)

struct sap_jobs_t {
    apr_hash_t *handlers;     /* kind → sap_job_handler_fn* (wrapped) */
    apr_pool_t *pool;
};

typedef struct handler_entry_t {
    sap_job_handler_fn *fn;
} handler_entry_t;

apr_status_t sap_jobs_create(sap_jobs_t **pjobs, apr_pool_t *pool)
{
    sap_jobs_t *jobs = apr_pcalloc(pool, sizeof(*jobs));

    jobs->pool = pool;
    jobs->handlers = apr_hash_make(pool);
    *pjobs = jobs;
    return APR_SUCCESS;
}

void sap_jobs_register(sap_jobs_t *jobs, const char *kind, sap_job_handler_fn *handler)
{
    handler_entry_t *entry = apr_pcalloc(jobs->pool, sizeof(*entry));

    entry->fn = handler;
    apr_hash_set(jobs->handlers, apr_pstrdup(jobs->pool, kind), APR_HASH_KEY_STRING, entry);
}

int sap_jobs_retry_delay_sec(int attempts)
{
    int delay = SAP_JOB_RETRY_BASE_SEC;

    while (--attempts > 0 && delay < SAP_JOB_RETRY_CAP_SEC) {
        delay *= 2;
    }
    return delay > SAP_JOB_RETRY_CAP_SEC ? SAP_JOB_RETRY_CAP_SEC : delay;
}

/* Sleeps in short steps so that a shutdown is not held up. */
static void sleep_unless_stopping(apr_interval_time_t total, volatile const int *stopping)
{
    apr_time_t until = apr_time_now() + total;

    while (apr_time_now() < until && !(stopping && *stopping)) {
        apr_sleep(apr_time_from_msec(20));
    }
}

/* queue.probe: proves that a job stored by a request is claimed and run by a
 * worker, records which worker ran it and how often (exactly once, normally). */
static sap_job_outcome_t probe_handler(sap_job_ctx_t *ctx)
{
    json_error_t jerr;
    json_t *payload = json_loads(ctx->job->payload, 0, &jerr);
    json_int_t probe_id, sleep_ms;
    sap_job_outcome_t outcome = SAP_JOB_FAILED;
    apr_status_t rv;

    if (!payload) {
        ctx->error = apr_psprintf(ctx->pool, "payload is not JSON: %s", jerr.text);
        goto leave;
    }
    probe_id = json_integer_value(json_object_get(payload, SAP_JK_PROBE_ID));
    sleep_ms = json_integer_value(json_object_get(payload, SAP_JK_SLEEP_MS));
    if (probe_id <= 0) {
        ctx->error = "payload has no " SAP_JK_PROBE_ID;
        goto leave;
    }
    if (sleep_ms > 0) {
        sleep_unless_stopping(apr_time_from_msec(sleep_ms > SAP_PROBE_MAX_SLEEP_MS
                                                 ? SAP_PROBE_MAX_SLEEP_MS : sleep_ms),
                              ctx->stopping);
        if (ctx->stopping && *ctx->stopping) {
            ctx->error = "interrupted by shutdown";
            outcome = SAP_JOB_RETRY;
            goto leave;
        }
    }
    rv = ctx->store->ops->probe_record_run(ctx->store, probe_id, ctx->owner);
    if (rv != APR_SUCCESS) {
        ctx->error = "cannot record the probe run";
        outcome = SAP_JOB_RETRY;
        goto leave;
    }
    outcome = SAP_JOB_DONE;
leave:
    if (payload) {
        json_decref(payload);
    }
    return outcome;
}

void sap_jobs_register_core(sap_jobs_t *jobs)
{
    sap_jobs_register(jobs, SAP_JOB_KIND_PROBE, probe_handler);
}

static sap_job_outcome_t run_handler(sap_jobs_t *jobs, sap_job_ctx_t *ctx)
{
    handler_entry_t *entry = apr_hash_get(jobs->handlers, ctx->job->kind, APR_HASH_KEY_STRING);

    if (ctx->job->attempts > ctx->job->max_attempts) {
        /* Its lease ran out more often than it may be tried: a job that
         * crashes its worker must not crash every worker in turn. */
        ctx->error = "lease expired on every attempt";
        return SAP_JOB_FAILED;
    }
    if (!entry) {
        /* A newer node may know this kind (rolling upgrade): leave it queued. */
        ctx->error = apr_psprintf(ctx->pool, "no handler for job kind '%s'", ctx->job->kind);
        return SAP_JOB_DEFERRED;
    }
    return entry->fn(ctx);
}

static apr_status_t settle_job(sap_job_ctx_t *ctx, sap_job_outcome_t outcome)
{
    const sap_job_t *job = ctx->job;
    sap_store_t *store = ctx->store;
    const char *error = ctx->error ? ctx->error : "unknown error";

    switch (outcome) {
    case SAP_JOB_DONE:
        return store->ops->job_finish(store, job, ctx->owner);
    case SAP_JOB_DEFERRED:
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, 0, "job %" APR_INT64_T_FMT ": %s; "
                      "left in the queue for a node that knows it", job->id, error);
        return store->ops->job_defer(store, job, ctx->owner, SAP_JOB_DEFER_SEC, error);
    case SAP_JOB_RETRY:
        if (job->attempts < job->max_attempts) {
            sap_log_write(SAP_LOG_MARK, SAP_LOG_INFO, 0, "job %" APR_INT64_T_FMT " (%s) attempt %d: %s; retrying",
                          job->id, job->kind, job->attempts, error);
            return store->ops->job_retry(store, job, ctx->owner,
                                         sap_jobs_retry_delay_sec(job->attempts), error);
        }
        /* out of attempts */
        __attribute__((fallthrough));
    case SAP_JOB_FAILED:
    default:
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, 0, "job %" APR_INT64_T_FMT " (%s) failed after %d attempt(s): %s",
                      job->id, job->kind, job->attempts, error);
        return store->ops->job_fail(store, job, ctx->owner, error);
    }
}

apr_status_t sap_jobs_run_one(sap_jobs_t *jobs, sap_store_t *store, apr_pool_t *pool,
                              apr_int64_t job_id, const char *owner, void *services,
                              const sap_jobs_signals_t *signals, int *pran)
{
    sap_job_t *job = NULL;
    sap_job_ctx_t ctx = {0};
    apr_status_t rv;

    *pran = 0;
    rv = store->ops->job_claim(store, pool, job_id, owner, SAP_JOB_LEASE_SEC, &job);
    if (rv == APR_NOTFOUND) {
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *pran = 1;
    ctx.pool = pool;
    ctx.store = store;
    ctx.job = job;
    ctx.owner = owner;
    ctx.services = services;
    ctx.stopping = signals ? signals->stopping : NULL;
    ctx.cancel = signals ? signals->cancel : NULL;
    rv = settle_job(&ctx, run_handler(jobs, &ctx));
    if (rv == APR_NOTFOUND) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, 0,
                      "job %" APR_INT64_T_FMT " (%s): lease was lost before it finished",
                      job->id, job->kind);
        rv = APR_SUCCESS;
    }
    return rv;
}
