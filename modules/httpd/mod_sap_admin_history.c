/* GET /admin/api/history — the notification history for the settings
 * page: filters (status, recipient, date range), sorting and pages. */
#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <util_script.h>
#include <jansson.h>

#include "mod_sap_http.h"
#include "mod_sap_router.h"
#include "mod_sap_store_dbd.h"
#include "sap_json_keys.h"
#include "sap_time.h"

#define Q_STATUS    "status"
#define Q_RECIPIENT "recipient"
#define Q_FROM      "from"
#define Q_TO        "to"
#define Q_SORT      "sort"
#define Q_ORDER     "order"
#define Q_LIMIT     "limit"
#define Q_OFFSET    "offset"
#define DEFAULT_PAGE 50
#define MAX_OFFSET   1000000
#define MAX_RECIPIENT_FILTER 254

/* Sends the 400 and returns its status (not OK: the caller stops). */
static int bad_query(request_rec *r, const char *param, const char *message)
{
    mod_sap_http_send_json(r, HTTP_BAD_REQUEST,
                           json_pack("{s:s, s:s, s:s}", SAP_JK_ERROR, "invalid_query",
                                     "field", param, SAP_JK_MESSAGE, message));
    return HTTP_BAD_REQUEST;
}

static int one_of(const char *value, const char *const *allowed)
{
    for (; *allowed; allowed++) {
        if (!strcmp(value, *allowed)) {
            return 1;
        }
    }
    return 0;
}

static int number_param(apr_table_t *args, const char *name, int dflt, int min, int max,
                        int *pvalue)
{
    const char *text = apr_table_get(args, name);
    char *end = NULL;
    long value;

    if (!text) {
        *pvalue = dflt;
        return 1;
    }
    value = strtol(text, &end, 10);
    if (!*text || *end || value < min || value > max) {
        return 0;
    }
    *pvalue = (int)value;
    return 1;
}

/* The query from the URL; OK, or the 400 already sent. */
static int read_query(request_rec *r, sap_history_query_t *q)
{
    static const char *const statuses[] = {"SENT", "UPDATED", "FAILED", NULL};
    static const char *const sorts[] = {SAP_HISTORY_SORT_TIME, SAP_HISTORY_SORT_RECIPIENT,
                                        SAP_HISTORY_SORT_STATUS, SAP_HISTORY_SORT_TYPE, NULL};
    apr_table_t *args = NULL;
    const char *order;

    /* A form-encoded query writes spaces as "+", which ap_args_to_table
     * leaves as they are (a real "+" arrives as %2B). */
    if (r->args) {
        r->args = apr_pstrdup(r->pool, r->args);
        for (char *plus = strchr(r->args, '+'); plus; plus = strchr(plus, '+')) {
            *plus = ' ';
        }
    }
    ap_args_to_table(r, &args);
    memset(q, 0, sizeof(*q));
    q->status = apr_table_get(args, Q_STATUS);
    q->recipient = apr_table_get(args, Q_RECIPIENT);
    q->from = apr_table_get(args, Q_FROM);
    q->to = apr_table_get(args, Q_TO);
    q->sort = apr_table_get(args, Q_SORT);
    order = apr_table_get(args, Q_ORDER);
    if (q->status && !one_of(q->status, statuses)) {
        return bad_query(r, Q_STATUS, "status must be SENT, UPDATED or FAILED");
    }
    if (q->recipient && (!*q->recipient || strlen(q->recipient) > MAX_RECIPIENT_FILTER)) {
        return bad_query(r, Q_RECIPIENT, "recipient must be 1 to 254 characters");
    }
    if ((q->from && !sap_time_query_valid(q->from)) || (q->to && !sap_time_query_valid(q->to))) {
        return bad_query(r, q->from && !sap_time_query_valid(q->from) ? Q_FROM : Q_TO,
                         "dates are YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    }
    if (!q->sort) {
        q->sort = SAP_HISTORY_SORT_TIME;
    }
    else if (!one_of(q->sort, sorts)) {
        return bad_query(r, Q_SORT, "sort is created_at, recipient, status or notification_type");
    }
    if (order && strcmp(order, "asc") && strcmp(order, "desc")) {
        return bad_query(r, Q_ORDER, "order is asc or desc");
    }
    /* Newest first unless asked otherwise. */
    q->descending = order ? !strcmp(order, "desc") : !strcmp(q->sort, SAP_HISTORY_SORT_TIME);
    if (!number_param(args, Q_LIMIT, DEFAULT_PAGE, 1, SAP_HISTORY_MAX_PAGE, &q->limit)) {
        return bad_query(r, Q_LIMIT, "limit is 1 to 200");
    }
    if (!number_param(args, Q_OFFSET, 0, 0, MAX_OFFSET, &q->offset)) {
        return bad_query(r, Q_OFFSET, "offset is 0 to 1000000");
    }
    return OK;
}

static void set_text(json_t *obj, const char *key, const char *value)
{
    json_object_set_new(obj, key, value ? json_string(value) : json_null());
}

static json_t *row_json(const sap_history_row_t *row)
{
    json_t *obj = json_pack("{s:I, s:I}", SAP_JK_ID, (json_int_t)row->id, "connection_id",
                            (json_int_t)row->connection_id);

    if (!row->connection_id) {
        json_object_set_new(obj, "connection_id", json_null());
    }
    set_text(obj, SAP_JK_CREATED_AT, row->created_at);
    set_text(obj, SAP_JK_STATUS, row->status);
    set_text(obj, "kind", row->kind);
    set_text(obj, "notification_type", row->notification_type);
    set_text(obj, "product", row->product);
    set_text(obj, SAP_JK_EVENT_ID, row->event_id);
    set_text(obj, "approval_id", row->approval_id);
    set_text(obj, "step_id", row->step_id);
    set_text(obj, "recipient", row->recipient);
    set_text(obj, "recipient_name", row->recipient_name);
    set_text(obj, "delegate_of", row->delegate_of);
    set_text(obj, "slack_user_id", row->slack_user_id);
    set_text(obj, SAP_JK_CHANNEL, row->channel);
    set_text(obj, SAP_JK_ERROR, row->error);
    set_text(obj, "fallback", row->fallback);
    return obj;
}

int mod_sap_admin_history_list(mod_sap_route_ctx_t *ctx)
{
    request_rec *r = ctx->r;
    sap_history_query_t query;
    sap_store_t *store = NULL;
    apr_array_header_t *rows = NULL;
    apr_int64_t total = 0;
    json_t *list;
    int i, status;

    if ((status = read_query(r, &query)) != OK) {
        return status;
    }
    if (mod_sap_store_for_request(r, &store) != APR_SUCCESS
        || store->ops->history_list(store, r->pool, &query, &rows, &total) != APR_SUCCESS) {
        return mod_sap_http_db_unavailable(r, NULL);
    }
    list = json_array();
    for (i = 0; i < rows->nelts; i++) {
        json_array_append_new(list, row_json(&APR_ARRAY_IDX(rows, i, sap_history_row_t)));
    }
    return mod_sap_http_send_json(r, HTTP_OK,
                                  json_pack("{s:I, s:i, s:i, s:s, s:s, s:o}", "total",
                                            (json_int_t)total, "limit", query.limit, "offset",
                                            query.offset, "sort", query.sort, "order",
                                            query.descending ? "desc" : "asc", "rows", list));
}
