/* Admin diagnostics: queue probes (a job through the real queue and workers)
 * and a cache round trip (is the socache shared by all child processes?). */
#include <unistd.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>
#include <jansson.h>

#include "mod_sap_http.h"
#include "mod_sap_lifecycle.h"
#include "mod_sap_router.h"
#include "mod_sap_store_dbd.h"
#include "mod_sap_workers.h"
#include "sap_json_keys.h"

APLOG_USE_MODULE(slack_approvals);

#define DIAG_CACHE_AREA "diag"
#define DIAG_MAX_TTL_SEC 3600
#define DIAG_MAX_BODY 4096

/* POST /admin/api/probes {"sleep_ms": N?} → 202 {"id", "job_id"} */
int mod_sap_admin_probe_create(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    mod_sap_body_t body;
    json_t *request = NULL, *sleep_ms;
    sap_store_t *store = NULL;
    apr_int64_t probe_id = 0, job_id = 0;
    const char *extra = "{}";
    int status;

    if ((status = mod_sap_http_read_body(r, DIAG_MAX_BODY, &body)) != OK) {
        return status;
    }
    if (body.len && (status = mod_sap_http_parse_json(r, &body, &request)) != OK) {
        return status;
    }
    sleep_ms = request ? json_object_get(request, SAP_JK_SLEEP_MS) : NULL;
    if (sleep_ms && (!json_is_integer(sleep_ms) || json_integer_value(sleep_ms) < 0
                     || json_integer_value(sleep_ms) > SAP_PROBE_MAX_SLEEP_MS)) {
        json_decref(request);
        return mod_sap_http_send_error(r, HTTP_BAD_REQUEST, "invalid_field",
                                       apr_psprintf(r->pool, SAP_JK_SLEEP_MS " must be a whole "
                                                    "number from 0 to %d", SAP_PROBE_MAX_SLEEP_MS));
    }
    if (sleep_ms) {
        /* APR's formatter knows APR_INT64_T_FMT, not jansson's "lld". */
        extra = apr_psprintf(r->pool, "{\"" SAP_JK_SLEEP_MS "\": %" APR_INT64_T_FMT "}",
                             (apr_int64_t)json_integer_value(sleep_ms));
    }
    json_decref(request);
    if (mod_sap_store_for_request(r, &store) != APR_SUCCESS
        || store->ops->probe_create(store, r->user, extra, &probe_id, &job_id) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(r, NULL);
    }
    /* Stored and committed (one statement): hand it to a worker now. */
    mod_sap_workers_push(job_id);
    return mod_sap_http_send_json(r, HTTP_ACCEPTED, json_pack("{s:I, s:I}",
                                  SAP_JK_ID, (json_int_t)probe_id, SAP_JK_JOB_ID, (json_int_t)job_id));
}

static json_t *probe_json(const sap_probe_t *probe)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:s?, s:s?, s:i, s:s?, s:i}",
                     SAP_JK_ID, (json_int_t)probe->id, SAP_JK_JOB_ID, (json_int_t)probe->job_id,
                     SAP_JK_REQUESTED_BY, probe->requested_by, SAP_JK_CREATED_AT, probe->created_at,
                     SAP_JK_RAN_AT, probe->ran_at, SAP_JK_RAN_BY, probe->ran_by,
                     SAP_JK_RUNS, probe->runs, SAP_JK_JOB_STATE, probe->job_state,
                     SAP_JK_JOB_ATTEMPTS, probe->job_attempts);
}

/* GET /admin/api/probes/{id} */
int mod_sap_admin_probe_get(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    char *end = NULL;
    apr_int64_t probe_id = apr_strtoi64(ctx->tail, &end, 10);
    sap_store_t *store = NULL;
    sap_probe_t *probe = NULL;
    apr_status_t rv;

    if (!*ctx->tail || *end || probe_id <= 0) {
        return mod_sap_http_send_error(r, HTTP_BAD_REQUEST, "invalid_id", "A probe id is a positive number.");
    }
    if (mod_sap_store_for_request(r, &store) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(r, NULL);
    }
    rv = store->ops->probe_get(store, r->pool, probe_id, &probe);
    if (rv == APR_NOTFOUND) {
        return mod_sap_http_send_error(r, HTTP_NOT_FOUND, "not_found", "No such probe.");
    }
    if (rv != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(r, NULL);
    }
    return mod_sap_http_send_json(r, HTTP_OK, probe_json(probe));
}

static int cache_put(mod_sap_route_ctx_t *ctx, sap_cache_t *cache, const char *key)
{
    request_rec *r = ctx->r;
    mod_sap_body_t body;
    json_t *request = NULL;
    const char *value;
    json_int_t ttl;
    int status;

    if ((status = mod_sap_http_read_body(r, DIAG_MAX_BODY, &body)) != OK
        || (status = mod_sap_http_parse_json(r, &body, &request)) != OK) {
        return status;
    }
    value = json_string_value(json_object_get(request, SAP_JK_VALUE));
    ttl = json_integer_value(json_object_get(request, SAP_JK_TTL));
    if (!value || ttl <= 0 || ttl > DIAG_MAX_TTL_SEC) {
        json_decref(request);
        return mod_sap_http_send_error(r, HTTP_BAD_REQUEST, "invalid_field",
                                       "Send {\"value\": string, \"ttl\": seconds from 1 to 3600}.");
    }
    value = apr_pstrdup(r->pool, value);
    json_decref(request);
    if (sap_cache_set(cache, r->pool, key, value, strlen(value), apr_time_from_sec(ttl)) != APR_SUCCESS) {
        return mod_sap_http_send_error(r, HTTP_SERVICE_UNAVAILABLE, "cache_error",
                                       "The cache refused the entry.");
    }
    return mod_sap_http_send_json(r, HTTP_OK, json_pack("{s:b, s:i}", SAP_JK_FOUND, 1,
                                                        SAP_JK_PID, (int)getpid()));
}

/* GET | PUT | DELETE /admin/api/diagnostics/cache/{key}: entries live in
 * their own "diag" area, so this never touches the module's real entries. */
int mod_sap_admin_cache_diag(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    mod_sap_services_t *services = mod_sap_services();
    sap_cache_t *cache = services ? services->cache : NULL;
    const char *key = sap_cache_key(r->pool, DIAG_CACHE_AREA, ctx->tail);
    const char *value = NULL;

    if (!cache) {
        return mod_sap_http_send_error(r, HTTP_SERVICE_UNAVAILABLE, "cache_unavailable",
                                       "No cache is configured.");
    }
    if (!key) {
        return mod_sap_http_send_error(r, HTTP_BAD_REQUEST, "invalid_key", "The key is too long.");
    }
    switch (r->method_number) {
    case M_PUT:
        return cache_put(ctx, cache, key);
    case M_DELETE:
        sap_cache_remove(cache, r->pool, key);
        return mod_sap_http_send_json(r, HTTP_OK, json_pack("{s:b, s:i}", SAP_JK_FOUND, 0,
                                                            SAP_JK_PID, (int)getpid()));
    case M_GET:
        if (sap_cache_get(cache, r->pool, key, &value, NULL) != APR_SUCCESS) {
            value = NULL;
        }
        return mod_sap_http_send_json(r, HTTP_OK, json_pack("{s:b, s:s?, s:i}",
                                      SAP_JK_FOUND, value != NULL, SAP_JK_VALUE, value,
                                      SAP_JK_PID, (int)getpid()));
    default:
        return mod_sap_http_send_error(r, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                       "Use GET, PUT or DELETE.");
    }
}
