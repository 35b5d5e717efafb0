/* GET /healthz — for load balancers: database, schema, workers, queue; no secrets. */
#include <httpd.h>
#include <http_log.h>
#include <jansson.h>

#include "mod_sap_http.h"
#include "mod_sap_lifecycle.h"
#include "mod_sap_router.h"
#include "mod_sap_store_dbd.h"
#include "mod_sap_workers.h"
#include "sap_json_keys.h"

APLOG_USE_MODULE(slack_approvals);

static json_t *workers_json(void)
{
    mod_sap_workers_stats_t stats;

    mod_sap_workers_get_stats(&stats);
    return json_pack("{s:i, s:i}", SAP_JK_THREADS, stats.threads, SAP_JK_BUSY, stats.busy);
}

/* Fills db, schema and queue; returns whether the database is usable. */
static int add_database_state(request_rec *r, json_t *health)
{
    sap_store_t *store = NULL;
    sap_queue_stats_t queue = {0};
    int version = 0;

    /* reading the schema version is the reachability check too */
    if (mod_sap_store_for_request(r, &store) != APR_SUCCESS
        || store->ops->schema_version(store, &version) != APR_SUCCESS
        || store->ops->queue_stats(store, &queue) != APR_SUCCESS) {
        json_object_set_new(health, SAP_JK_DB, json_string("error"));
        return 0;
    }
    json_object_set_new(health, SAP_JK_DB, json_string("ok"));
    json_object_set_new(health, SAP_JK_SCHEMA, json_pack("{s:i, s:i}", SAP_JK_VERSION, version,
                                                         SAP_JK_EXPECTED, SAP_SCHEMA_VERSION));
    json_object_set_new(health, SAP_JK_QUEUE, json_pack("{s:I, s:I, s:I}",
                        SAP_JK_QUEUED, (json_int_t)queue.queued,
                        SAP_JK_RUNNING, (json_int_t)queue.running,
                        SAP_JK_FAILED, (json_int_t)queue.failed));
    return version >= SAP_SCHEMA_VERSION;
}

int mod_sap_health_get(mod_sap_route_ctx_t *ctx)
{
    mod_sap_services_t *services = mod_sap_services();
    json_t *health = json_object();
    int healthy = add_database_state(ctx->r, health);

    json_object_set_new(health, SAP_JK_WORKERS, workers_json());
    json_object_set_new(health, SAP_JK_CACHE, json_pack("{s:s}", SAP_JK_PROVIDER,
                        services && services->cache ? services->cache->name : "none"));
    json_object_set_new(health, SAP_JK_STATUS, json_string(healthy ? "ok" : "unavailable"));
    return mod_sap_http_send_json(ctx->r, healthy ? HTTP_OK : HTTP_SERVICE_UNAVAILABLE, health);
}
