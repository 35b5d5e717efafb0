/* Calls to Slack's Web API over the module's one outbound client (sap_http).
 *
 * Slack answers failures as HTTP 200 {"ok": false, "error": "…"}, except
 * rate limits (429) and server errors (5xx), which sap_http already retries
 * (slack-notes.md "Web API behaviour"). A call ends in a result that always
 * has an error code when it did not succeed: Slack's own, or one of ours
 * for transport failures (SAP_SLACK_ERR_*). */
#ifndef SAP_SLACK_H
#define SAP_SLACK_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#include "sap_http.h"

/* Our codes for calls that never got a Slack answer. */
#define SAP_SLACK_ERR_TRANSPORT  "transport_error"    /* connection refused, DNS, TLS, reset */
#define SAP_SLACK_ERR_TIMEOUT    "request_timeout"    /* total timeout after sending */
#define SAP_SLACK_ERR_HTTP       "http_error"         /* a status other than 200 after retries */
#define SAP_SLACK_ERR_BAD_ANSWER "invalid_response"   /* not JSON, or no "ok" */
#define SAP_SLACK_ERR_CANCELLED  "cancelled"          /* process shutting down */

typedef struct sap_slack_t {
    sap_http_client_t *http;
    const char *api_base;          /* SlackApprovalsSlackAPI, e.g. https://slack.com/api */
    volatile const int *cancel;    /* may be NULL; passed to every request */
    apr_interval_time_t timeout;   /* 0: the client's; else each call's total timeout */
    int no_retry;                  /* one attempt per call (a caller with a deadline) */
} sap_slack_t;

typedef struct sap_slack_result_t {
    int ok;                        /* Slack said ok:true */
    const char *error;             /* NULL when ok; else Slack's code or SAP_SLACK_ERR_* */
    json_t *answer;                /* the parsed answer, NULL when none; released
                                    * (json_decref) when the call's pool is cleared */
    int http_status;               /* 0 when no answer came */
    int attempts;
} sap_slack_result_t;

/* POSTs application/x-www-form-urlencoded args (name → value; values are
 * escaped here) to {api_base}/{method}. token may be NULL (oauth.v2.access
 * authenticates the client instead: basic_user/basic_password, else NULL);
 * otherwise it is sent as "Authorization: Bearer" (and Basic credentials,
 * if any, are not sent). The result is always set.
 * Returns APR_SUCCESS when Slack said ok:true, APR_EGENERAL otherwise.
 * An HTTP status other than 200 is SAP_SLACK_ERR_HTTP, except a 429 with
 * Slack's {"ok":false,"error":CODE} body, which is CODE ("ratelimited").
 * A call that cannot be made (no method, unusable URL or header, a body
 * jansson cannot encode) is SAP_SLACK_ERR_TRANSPORT. */
apr_status_t sap_slack_call_form(sap_slack_t *slack, apr_pool_t *pool, const char *method,
                                 const char *token, const apr_table_t *args,
                                 const char *basic_user, const char *basic_password,
                                 sap_slack_result_t *result);

/* POSTs a JSON body (Content-Type: application/json; charset=utf-8) with a
 * bearer token: chat.*, views.*. body is not stolen. Results and return
 * value as for sap_slack_call_form. */
apr_status_t sap_slack_call_json(sap_slack_t *slack, apr_pool_t *pool, const char *method,
                                 const char *token, json_t *body, sap_slack_result_t *result);

/* token_revoked, invalid_auth, account_inactive (and token_expired,
 * not_authed): the connection's token no longer works. */
int sap_slack_error_is_revocation(const char *code);

/* A sentence an admin can act on for a Slack error code, e.g.
 * "channel_not_found" → "The channel does not exist, or the bot cannot see
 * it (private channel: invite the app first)." Unknown codes get a generic
 * sentence that names the code, if it is safe to repeat (at most 64 of
 * [a-z0-9_]); any other code is not repeated. Never NULL. */
const char *sap_slack_error_text(apr_pool_t *pool, const char *code);

#endif
