/* Request plumbing shared by the handlers: bounded body reading, signed
 * webhooks, admin rules, JSON answers. */
#ifndef MOD_SAP_HTTP_H
#define MOD_SAP_HTTP_H

#include <httpd.h>
#include <jansson.h>

#include "mod_sap_config.h"
#include "sap_signature.h"

typedef struct mod_sap_body_t {
    const char *data;         /* NUL-terminated copy */
    apr_size_t len;
} mod_sap_body_t;

/* Every function here returns OK to go on, or an HTTP status after it has
 * already sent the JSON error answer (the dispatcher then stops).
 *
 * Reads the whole body, refusing more than `limit` bytes with 413 before
 * reading further (Content-Length checked first). */
int mod_sap_http_read_body(request_rec *r, apr_size_t limit, mod_sap_body_t *body);

/* Reads the body and verifies its signature against `secret`, with the
 * given header names. OK, 401, 413 or another status. */
int mod_sap_http_read_signed(request_rec *r, const sap_secret_t *secret,
                             const char *timestamp_header, const char *signature_header,
                             mod_sap_body_t *body);

/* Admin rules (DESIGN section 4): an authenticated r->user, and for
 * state-changing methods a JSON content type and, if sent, our Origin. */
int mod_sap_http_check_admin(request_rec *r, const mod_sap_config_t *conf);

/* Sends `json` (stolen) with the status; returns OK. */
int mod_sap_http_send_json(request_rec *r, int status, json_t *json);
/* {"error": code, "message": message} */
int mod_sap_http_send_error(request_rec *r, int status, const char *code, const char *message);

/* 503 {"error":"database_unavailable"} with message (NULL: "The database
 * cannot be reached."); returns the status. */
int mod_sap_http_db_unavailable(request_rec *r, const char *message);

/* The settings page, below SlackApprovalsPublicURL: where the OAuth
 * callback sends the admin back. */
#define SAP_SETTINGS_PATH "/admin/settings/"

/* 302 to url (absolute), not cached, no Referer passed on; returns OK. */
int mod_sap_http_redirect(request_rec *r, const char *url);

/* Parses a JSON object body; on failure sends 400 and returns that status. */
int mod_sap_http_parse_json(request_rec *r, const mod_sap_body_t *body, json_t **pjson);

#endif
