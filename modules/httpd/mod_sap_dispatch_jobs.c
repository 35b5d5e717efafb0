/* The notification jobs (sap_dispatch.h) wired to the child's services:
 * each run builds the dispatcher's environment over the job's own store
 * session and maps the core's answer to a job outcome. */
#include <httpd.h>
#include <http_log.h>

#include "mod_sap_lifecycle.h"
#include "sap_decide.h"
#include "sap_dispatch.h"
#include "sap_interactions.h"

APLOG_USE_MODULE(slack_approvals);

typedef apr_status_t dispatch_fn(const sap_dispatch_env_t *env, apr_pool_t *pool,
                                 const json_t *payload, const char **perror);

/* Everything a dispatch needs lives on the job's pool. */
typedef struct job_env_t {
    sap_connections_t connections;
    sap_slack_t slack;
    sap_settings_env_t settings;
    sap_dispatch_env_t dispatch;
} job_env_t;

static void job_env_build(sap_job_ctx_t *ctx, job_env_t *env)
{
    mod_sap_services_t *services = ctx->services;

    mod_sap_services_connections(services, ctx->store, &env->connections);
    mod_sap_services_slack(services, ctx->cancel, &env->slack);
    mod_sap_services_settings(services, ctx->store, &env->connections, &env->slack,
                              &env->settings);
    env->dispatch.store = ctx->store;
    env->dispatch.cache = services->cache;
    env->dispatch.connections = &env->connections;
    env->dispatch.slack = &env->slack;
    env->dispatch.settings = &env->settings;
    env->dispatch.http = services->http;
    env->dispatch.mail_relay = services->conf->mail_relay;
    env->dispatch.mail_from = services->conf->mail_from;
    env->dispatch.lookups = services->lookups;
    env->dispatch.cancel = ctx->cancel;
}

static sap_job_outcome_t outcome_of(sap_job_ctx_t *ctx, apr_status_t rv, const char *error)
{
    switch (rv) {
    case APR_SUCCESS:
        return SAP_JOB_DONE;
    case APR_EINVAL:
    case APR_EGENERAL:   /* a click the clicker was told failed: clicking again re-queues it */
        ctx->error = error;
        return SAP_JOB_FAILED;
    default:
        ctx->error = error ? error : "dispatch failed";
        return SAP_JOB_RETRY;
    }
}

static json_t *payload_of(sap_job_ctx_t *ctx)
{
    return json_loads(ctx->job->payload, 0, NULL);
}

static sap_job_outcome_t run(sap_job_ctx_t *ctx, dispatch_fn *fn)
{
    job_env_t env;
    json_t *payload = payload_of(ctx);
    const char *error = NULL;
    apr_status_t rv;

    if (!payload) {
        ctx->error = "the job's payload is not JSON";
        return SAP_JOB_FAILED;
    }
    job_env_build(ctx, &env);
    rv = fn(&env.dispatch, ctx->pool, payload, &error);
    json_decref(payload);
    return outcome_of(ctx, rv, error);
}

static sap_job_outcome_t recipient_job(sap_job_ctx_t *ctx)
{
    return run(ctx, sap_dispatch_recipient);
}

static sap_job_outcome_t channel_job(sap_job_ctx_t *ctx)
{
    return run(ctx, sap_dispatch_channel);
}

/* interaction.decide / interaction.notice: a click's decision or notice,
 * with the engine of the services' configuration. */
static apr_status_t click_run(const sap_dispatch_env_t *env, apr_pool_t *pool,
                              const json_t *payload, const char **perror)
{
    const mod_sap_config_t *conf = mod_sap_services()->conf;
    sap_decide_env_t decide = {0};

    decide.dispatch = env;
    decide.engine_url = conf->engine_url;
    decide.engine_token = conf->engine_token ? (const char *)conf->engine_token->data : NULL;
    return sap_decide_run(&decide, pool, payload, perror);
}

static sap_job_outcome_t click_job(sap_job_ctx_t *ctx)
{
    return run(ctx, click_run);
}

void mod_sap_dispatch_jobs_register(sap_jobs_t *jobs)
{
    sap_jobs_register(jobs, SAP_JOB_KIND_DECIDE, click_job);
    sap_jobs_register(jobs, SAP_JOB_KIND_NOTICE, click_job);
    sap_jobs_register(jobs, SAP_JOB_KIND_RECIPIENT, recipient_job);
    sap_jobs_register(jobs, SAP_JOB_KIND_CHANNEL, channel_job);
}
