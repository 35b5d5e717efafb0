#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <http_protocol.h>

#include "mod_sap_http.h"
#include "sap_json_keys.h"
#include "sap_url.h"

APLOG_USE_MODULE(slack_approvals);

static int too_large(request_rec *r, apr_size_t limit)
{
    /* Nothing more is read: httpd closes the connection after a 413. */
    r->connection->keepalive = AP_CONN_CLOSE;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "request body over %" APR_SIZE_T_FMT
                  " bytes refused", limit);
    return mod_sap_http_send_error(r, HTTP_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                                   apr_psprintf(r->pool, "The body is larger than %" APR_SIZE_T_FMT
                                                " bytes.", limit));
}

int mod_sap_http_read_body(request_rec *r, apr_size_t limit, mod_sap_body_t *body)
{
    const char *length_header = apr_table_get(r->headers_in, "Content-Length");
    apr_int64_t declared = length_header ? apr_atoi64(length_header) : -1;
    apr_size_t room = limit;   /* what the buffer holds, besides one byte more */
    char *buffer;
    apr_size_t used = 0;
    long got;
    int status;

    body->data = "";
    body->len = 0;
    if (declared > (apr_int64_t)limit) {
        return too_large(r, limit);
    }
    if (declared >= 0) {
        room = (apr_size_t)declared;   /* httpd holds the client to it */
    }
    if ((status = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) {
        return mod_sap_http_send_error(r, status, "bad_body", "The request body cannot be read.");
    }
    if (!ap_should_client_block(r)) {
        return OK;
    }
    buffer = apr_palloc(r->pool, room + 1);
    /* Reads at most room + 1 bytes: one more than allowed proves "too large"
     * for chunked bodies without reading them whole. */
    while ((got = ap_get_client_block(r, buffer + used, room + 1 - used)) > 0) {
        used += (apr_size_t)got;
        if (used > room) {
            /* over the limit (chunked), or more than declared (never, with
             * httpd's own input filter; refused all the same) */
            return too_large(r, limit);
        }
    }
    if (got < 0) {
        return mod_sap_http_send_error(r, HTTP_BAD_REQUEST, "bad_body",
                                       "The request body cannot be read.");
    }
    buffer[used] = '\0';
    body->data = buffer;
    body->len = used;
    return OK;
}

int mod_sap_http_read_signed(request_rec *r, const sap_secret_t *secret,
                             const char *timestamp_header, const char *signature_header,
                             mod_sap_body_t *body)
{
    sap_sig_result_t verdict;
    int status = mod_sap_http_read_body(r, SAP_MAX_BODY_BYTES, body);

    if (status != OK) {
        return status;
    }
    verdict = sap_signature_verify(secret->data, secret->len,
                                   apr_table_get(r->headers_in, timestamp_header),
                                   apr_table_get(r->headers_in, signature_header),
                                   body->data, body->len, apr_time_now());
    if (verdict != SAP_SIG_OK) {
        /* info, not notice: httpd writes notice whatever the LogLevel, and
         * anyone can send forged requests (a disk-filling log otherwise). */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "%s: signature refused: %s",
                      r->uri, sap_signature_result_str(verdict));
        return mod_sap_http_send_error(r, HTTP_UNAUTHORIZED, "bad_signature",
                                       sap_signature_result_str(verdict));
    }
    return OK;
}

static int is_json_content_type(const char *content_type)
{
    apr_size_t len = sizeof("application/json") - 1;

    return content_type && !strncasecmp(content_type, "application/json", len)
           && (content_type[len] == '\0' || content_type[len] == ';'
               || content_type[len] == ' ');
}

int mod_sap_http_check_admin(request_rec *r, const mod_sap_config_t *conf)
{
    const char *origin;

    if (!r->user || !*r->user) {
        /* Fail closed: the site's own auth must protect the admin Location. */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "admin request without an authenticated "
                      "user: protect <Location .../admin> with httpd authentication");
        return mod_sap_http_send_error(r, HTTP_FORBIDDEN, "authentication_required",
                                       "The admin API needs an authenticated user "
                                       "(configure httpd authentication for this Location).");
    }
    if (r->method_number == M_GET) {
        return OK;
    }
    if (!is_json_content_type(apr_table_get(r->headers_in, "Content-Type"))) {
        return mod_sap_http_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "json_required",
                                       "State-changing admin calls must send Content-Type: application/json.");
    }
    origin = apr_table_get(r->headers_in, "Origin");
    if (origin && strcasecmp(origin, sap_url_origin(r->pool, conf->public_url))) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "admin request from foreign origin refused");
        return mod_sap_http_send_error(r, HTTP_FORBIDDEN, "bad_origin",
                                       "The request's Origin is not this site's SlackApprovalsPublicURL.");
    }
    return OK;
}

int mod_sap_http_send_json(request_rec *r, int status, json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT);

    json_decref(json);
    r->status = status;
    ap_set_content_type(r, "application/json; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (text) {
        ap_rputs(text, r);
        ap_rputs("\n", r);
        free(text);
    }
    return OK;
}

int mod_sap_http_send_error(request_rec *r, int status, const char *code, const char *message)
{
    mod_sap_http_send_json(r, status, json_pack("{s:s, s:s}", SAP_JK_ERROR, code,
                                                SAP_JK_MESSAGE, message));
    /* Callers return this up to the dispatcher, which sees that the answer
     * was sent and returns OK to httpd (no second, default error page). */
    return status;
}

int mod_sap_http_db_unavailable(request_rec *r, const char *message)
{
    return mod_sap_http_send_error(r, HTTP_SERVICE_UNAVAILABLE, "database_unavailable",
                                   message ? message : "The database cannot be reached.");
}

int mod_sap_http_redirect(request_rec *r, const char *url)
{
    r->status = HTTP_MOVED_TEMPORARILY;
    apr_table_setn(r->headers_out, "Location", url);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    ap_set_content_type(r, "text/plain; charset=utf-8");
    ap_rputs("Redirecting.\n", r);
    return OK;
}

int mod_sap_http_parse_json(request_rec *r, const mod_sap_body_t *body, json_t **pjson)
{
    json_error_t jerr;
    json_t *json = json_loadb(body->data, body->len, 0, &jerr);

    *pjson = NULL;
    if (!json || !json_is_object(json)) {
        json_decref(json);
        return mod_sap_http_send_error(r, HTTP_BAD_REQUEST, "malformed_json",
            json ? "The body must be a JSON object."
                 : apr_psprintf(r->pool, "The body is not valid JSON: %s (line %d, column %d).",
                                jerr.text, jerr.line, jerr.column));
    }
    *pjson = json;
    return OK;
}
