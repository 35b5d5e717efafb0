#include <stdlib.h>
#include <unistd.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_pool.h>
#include <httpd.h>
#include <http_log.h>

#include "mod_sap_store_dbd.h"
#include "mod_sap_workers.h"
#include "sap_log.h"

APLOG_USE_MODULE(slack_approvals);

typedef struct workers_t {
    apr_pool_t *pool;
    server_rec *server;
    sap_jobs_t *jobs;
    void *services;
    const char *owner;
    int threads;
    int history_days;
    apr_thread_pool_t *thread_pool;
    apr_thread_t *poller;
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *wake;
    volatile int stopping;        /* no new jobs; running ones finish */
    volatile int cancelling;      /* the shutdown bound passed: abort transfers */
    sap_jobs_signals_t signals;
    volatile apr_time_t db_down_warned;   /* racy by design: at worst two lines */
} workers_t;

/* One per child process; NULL where no workers run. */
static workers_t *workers;

void mod_sap_workers_get_stats(mod_sap_workers_stats_t *stats)
{
    memset(stats, 0, sizeof(*stats));
    if (workers && !workers->stopping) {
        stats->threads = workers->threads;
        stats->busy = (int)apr_thread_pool_busy_count(workers->thread_pool);
    }
}

static int has_idle_thread(workers_t *w)
{
    return apr_thread_pool_busy_count(w->thread_pool)
           + apr_thread_pool_tasks_count(w->thread_pool) < (apr_size_t)w->threads;
}

static void *APR_THREAD_FUNC drain_task(apr_thread_t *thread, void *param);

/* param: a malloc'ed job id (fast path) or NULL (take whatever is due). */
static void push_task(workers_t *w, apr_int64_t job_id)
{
    apr_int64_t *param = NULL;

    if (job_id) {
        param = malloc(sizeof(*param));
        if (!param) {
            return;   /* the poller will find the job */
        }
        *param = job_id;
    }
    if (apr_thread_pool_push(w->thread_pool, drain_task, param,
                             APR_THREAD_TASK_PRIORITY_NORMAL, w) != APR_SUCCESS) {
        free(param);
    }
}

/* A fast-path task is queued only while fewer tasks wait than there are
 * threads. Beyond that, busy threads drain the queue table anyway (each
 * keeps taking jobs until none is due) and the poller covers the rest:
 * apr_thread_pool_push walks its whole task list under the pool's mutex,
 * so a backlog of pushed tasks would make every request pay for it. */
void mod_sap_workers_push(apr_int64_t job_id)
{
    if (workers && !workers->stopping && job_id > 0
        && apr_thread_pool_tasks_count(workers->thread_pool) < (apr_size_t)workers->threads) {
        push_task(workers, job_id);
    }
}

/* The poller tries every second while the database is down: say so once a
 * minute, not every second (mod_dbd logs its own reason each time too). */
static void warn_database_down(workers_t *w)
{
    apr_time_t now = apr_time_now();
    apr_time_t last = w->db_down_warned;

    if (now - last < MOD_SAP_WORKERS_DB_WARN_EVERY) {
        return;
    }
    w->db_down_warned = now;
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, w->server,
                 "worker: database unavailable; jobs wait in the queue");
}

/* Claims and runs one job on a connection of its own, given back before
 * the next job: requests share the process's mod_dbd pool (DBDMax) and
 * must not wait behind a long job's outbound calls. */
static apr_status_t run_one_job(workers_t *w, apr_pool_t *job_pool, apr_int64_t job_id,
                                int *pran)
{
    sap_store_t *store = NULL;
    apr_status_t rv;

    *pran = 0;
    if (mod_sap_store_open(w->server, job_pool, &store) != APR_SUCCESS) {
        warn_database_down(w);
        return APR_SUCCESS;
    }
    rv = sap_jobs_run_one(w->jobs, store, job_pool, job_id, w->owner, w->services,
                          &w->signals, pran);
    mod_sap_store_close(store);
    return rv;
}

/* Runs the given job, then whatever else is due, until the queue is empty or
 * the process stops. Each job found fans out to one more idle thread, so a
 * burst is worked in parallel while an empty queue costs one query. */
static void run_jobs(workers_t *w, apr_pool_t *pool, apr_int64_t job_id)
{
    apr_pool_t *job_pool = NULL;
    apr_status_t rv;
    int ran = 1;

    apr_pool_create(&job_pool, pool);
    while (ran && !w->stopping) {
        rv = run_one_job(w, job_pool, job_id, &ran);
        apr_pool_clear(job_pool);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, w->server, "worker: job queue error");
            break;
        }
        if (ran && has_idle_thread(w)) {
            push_task(w, 0);
        }
        job_id = 0;
    }
}

static void *APR_THREAD_FUNC drain_task(apr_thread_t *thread, void *param)
{
    workers_t *w = workers;
    apr_int64_t job_id = param ? *(apr_int64_t *)param : 0;
    apr_pool_t *pool = NULL;

    free(param);
    if (!w || w->stopping) {
        return NULL;
    }
    /* An unmanaged pool: tasks run concurrently and must not share a parent. */
    if (apr_pool_create_unmanaged_ex(&pool, NULL, NULL) != APR_SUCCESS) {
        return NULL;
    }
    run_jobs(w, pool, job_id);
    apr_pool_destroy(pool);
    return NULL;
}

static void check_schema(workers_t *w, apr_pool_t *pool)
{
    sap_store_t *store = NULL;
    int version = 0;

    if (mod_sap_store_open(w->server, pool, &store) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, w->server,
                     "cannot open a database connection: check DBDParams, that PostgreSQL "
                     "is up, and that the schema is migrated (sap-migrate): mod_dbd cannot "
                     "prepare this module's statements on an unmigrated database");
        return;
    }
    if (store->ops->schema_version(store, &version) != APR_SUCCESS) {
        version = 0;
    }
    mod_sap_store_close(store);
    if (version < SAP_SCHEMA_VERSION) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, w->server,
                     "database schema is at version %d, this module needs %d: run sap-migrate",
                     version, SAP_SCHEMA_VERSION);
    }
}

static void run_cleanup(workers_t *w, apr_pool_t *pool)
{
    sap_store_t *store = NULL;
    sap_cleanup_counts_t counts = {0};

    if (mod_sap_store_open(w->server, pool, &store) != APR_SUCCESS) {
        return;
    }
    if (store->ops->cleanup(store, w->history_days, &counts) == APR_SUCCESS && counts.ran) {
        int removed = counts.history || counts.oauth_states || counts.jobs || counts.events
                      || counts.probes;

        ap_log_error(APLOG_MARK, removed ? APLOG_INFO : APLOG_DEBUG, 0, w->server,
                     "cleanup: removed %" APR_INT64_T_FMT " history rows (older than %d days), %"
                     APR_INT64_T_FMT " OAuth states, %" APR_INT64_T_FMT " finished jobs, %"
                     APR_INT64_T_FMT " engine events, %" APR_INT64_T_FMT " probes",
                     counts.history, w->history_days, counts.oauth_states, counts.jobs,
                     counts.events, counts.probes);
    }
    mod_sap_store_close(store);
}

static void *APR_THREAD_FUNC poller_main(apr_thread_t *thread, void *data)
{
    workers_t *w = data;
    apr_pool_t *pool = NULL;
    apr_time_t next_cleanup = apr_time_now() + MOD_SAP_WORKERS_CLEANUP_FIRST;

    apr_pool_create_unmanaged_ex(&pool, NULL, NULL);
    check_schema(w, pool);
    apr_pool_clear(pool);
    apr_thread_mutex_lock(w->mutex);
    while (!w->stopping) {
        apr_thread_cond_timedwait(w->wake, w->mutex, MOD_SAP_WORKERS_POLL_INTERVAL);
        if (w->stopping) {
            break;
        }
        apr_thread_mutex_unlock(w->mutex);
        if (has_idle_thread(w)) {
            push_task(w, 0);
        }
        if (apr_time_now() >= next_cleanup) {
            run_cleanup(w, pool);
            apr_pool_clear(pool);
            next_cleanup = apr_time_now() + MOD_SAP_WORKERS_CLEANUP_EVERY;
        }
        apr_thread_mutex_lock(w->mutex);
    }
    apr_thread_mutex_unlock(w->mutex);
    apr_pool_destroy(pool);
    /* A plain return, not apr_thread_exit(): pthread_exit leaves the frame
     * without unwinding it, which AddressSanitizer reports at thread exit. */
    return NULL;
}

/* pre-cleanup of pchild: runs before mod_dbd's connection pool goes away. */
static apr_status_t workers_stop(void *data)
{
    workers_t *w = data;
    apr_status_t thread_rv;
    apr_time_t give_up = apr_time_now() + MOD_SAP_WORKERS_SHUTDOWN_WAIT;

    apr_thread_mutex_lock(w->mutex);
    w->stopping = 1;
    apr_thread_cond_broadcast(w->wake);
    apr_thread_mutex_unlock(w->mutex);
    apr_thread_join(&thread_rv, w->poller);

    /* Running jobs see `stopping` between steps; queued tasks are dropped
     * (their jobs are still queued in the database). */
    while (apr_thread_pool_busy_count(w->thread_pool) > 0 && apr_time_now() < give_up) {
        apr_sleep(apr_time_from_msec(20));
    }
    if (apr_thread_pool_busy_count(w->thread_pool) > 0) {
        /* Aborted jobs go back to the queue (RETRY) or keep their lease and
         * are re-claimed when it expires: nothing is lost. */
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, w->server,
                     "workers: %d job(s) still running after %d s; aborting their transfers",
                     (int)apr_thread_pool_busy_count(w->thread_pool),
                     (int)apr_time_sec(MOD_SAP_WORKERS_SHUTDOWN_WAIT));
        w->cancelling = 1;
    }
    apr_thread_pool_tasks_cancel(w->thread_pool, w);
    apr_thread_pool_destroy(w->thread_pool);
    workers = NULL;
    return APR_SUCCESS;
}

apr_status_t mod_sap_workers_start(apr_pool_t *pchild, server_rec *s, sap_jobs_t *jobs,
                                   void *services, int threads, int history_days)
{
    workers_t *w;
    apr_pool_t *pool;
    apr_status_t rv;
    char host[256];
    unsigned char nonce[4];

    if ((rv = apr_pool_create(&pool, pchild)) != APR_SUCCESS) {
        return rv;
    }
    w = apr_pcalloc(pool, sizeof(*w));
    w->pool = pool;
    w->server = s;
    w->jobs = jobs;
    w->services = services;
    w->threads = threads;
    w->history_days = history_days;
    w->signals.stopping = &w->stopping;
    w->signals.cancel = &w->cancelling;
    if (apr_gethostname(host, sizeof(host), pool) != APR_SUCCESS) {
        apr_cpystrn(host, "localhost", sizeof(host));
    }
    /* host:pid alone can repeat across nodes (containers share host names
     * and pid numbers); a lease owner must be unique or one node could
     * settle another's job. */
    if (apr_generate_random_bytes(nonce, sizeof(nonce)) != APR_SUCCESS) {
        apr_time_t now = apr_time_now();
        memcpy(nonce, &now, sizeof(nonce));
    }
    w->owner = apr_psprintf(pool, "%s:%d:%02x%02x%02x%02x", host, (int)getpid(),
                            nonce[0], nonce[1], nonce[2], nonce[3]);
    if ((rv = apr_thread_mutex_create(&w->mutex, APR_THREAD_MUTEX_DEFAULT, pool)) != APR_SUCCESS
        || (rv = apr_thread_cond_create(&w->wake, pool)) != APR_SUCCESS
        || (rv = apr_thread_pool_create(&w->thread_pool, threads, threads, pool)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "workers: cannot create the thread pool");
        return rv;
    }
    workers = w;
    if ((rv = apr_thread_create(&w->poller, NULL, poller_main, w, pool)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "workers: cannot start the poller thread");
        apr_thread_pool_destroy(w->thread_pool);
        workers = NULL;
        return rv;
    }
    apr_pool_pre_cleanup_register(pchild, w, workers_stop);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "workers: %d thread(s) started as %s",
                 threads, w->owner);
    return APR_SUCCESS;
}
