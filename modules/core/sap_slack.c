#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "sap_json_keys.h"
#include "sap_log.h"
#include "sap_oauth.h"
#include "sap_slack.h"
#include "sap_url.h"

#define FORM_CONTENT_TYPE "application/x-www-form-urlencoded"
#define JSON_CONTENT_TYPE "application/json; charset=utf-8"

/* Longest Slack code sap_slack_error_text repeats; Slack's are far shorter. */
#define SAFE_CODE_MAX_LEN 64

/* ---------------------------------------------------------------- answers */

static apr_status_t answer_release(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

/* Parses a body that should be a JSON object; the object lives as long as
 * pool. NULL for anything else. */
static json_t *answer_parse(apr_pool_t *pool, const sap_http_response_t *resp)
{
    json_t *answer;

    if (resp->body_len == 0) {
        return NULL;
    }
    answer = json_loadb(resp->body, resp->body_len, 0, NULL);
    if (!json_is_object(answer)) {
        json_decref(answer);
        return NULL;
    }
    apr_pool_cleanup_register(pool, answer, answer_release, apr_pool_cleanup_null);
    return answer;
}

/* Slack's "error" of an ok:false answer (copied to pool, so it does not
 * depend on the answer's reference count), NULL when there is none. */
static const char *answer_error(apr_pool_t *pool, json_t *answer)
{
    const char *code = json_string_value(json_object_get(answer, SAP_JK_ERROR));

    return code && *code ? apr_pstrdup(pool, code) : NULL;
}

/* What a transport failure (no usable HTTP answer) is called. */
static const char *transport_code(apr_status_t rv)
{
    switch (rv) {
    case APR_TIMEUP:
        return SAP_SLACK_ERR_TIMEOUT;
    case APR_ECONNABORTED:
        return SAP_SLACK_ERR_CANCELLED;
    default:
        /* refused, DNS, connect timeout, TLS, reset, an oversized answer,
         * and requests sap_http refused to send (APR_EINVAL) */
        return SAP_SLACK_ERR_TRANSPORT;
    }
}

/* An HTTP answer other than 200, once sap_http has used up its retries.
 * Choice: a 429 whose body is Slack's {"ok":false,"error":CODE} (in
 * practice "ratelimited") is reported as CODE, which tells the admin more
 * than http_error; a bare 429 and every other status are SAP_SLACK_ERR_HTTP,
 * whatever the body says (a proxy's or load balancer's page is not Slack's
 * verdict on the call). */
static const char *http_status_code(apr_pool_t *pool, const sap_http_response_t *resp,
                                    json_t *answer)
{
    const char *code = answer_error(pool, answer);

    if (resp->status == 429 && code && json_is_false(json_object_get(answer, SAP_JK_OK))) {
        return code;
    }
    return SAP_SLACK_ERR_HTTP;
}

/* Fills result from sap_http's outcome; returns the call's status. */
static apr_status_t result_fill(apr_pool_t *pool, apr_status_t rv, const sap_http_response_t *resp,
                                sap_slack_result_t *result)
{
    json_t *ok;

    result->http_status = resp->status;
    result->attempts = resp->attempts;
    if (rv != APR_SUCCESS) {
        result->error = transport_code(rv);
        return APR_EGENERAL;
    }
    result->answer = answer_parse(pool, resp);
    if (resp->status != 200) {
        result->error = http_status_code(pool, resp, result->answer);
        return APR_EGENERAL;
    }
    ok = json_object_get(result->answer, SAP_JK_OK);
    if (!json_is_boolean(ok)) {
        result->error = SAP_SLACK_ERR_BAD_ANSWER;
        return APR_EGENERAL;
    }
    if (json_is_false(ok)) {
        /* ok:false without a code is an answer we cannot read */
        result->error = answer_error(pool, result->answer);
        if (!result->error) {
            result->error = SAP_SLACK_ERR_BAD_ANSWER;
        }
        return APR_EGENERAL;
    }
    result->ok = 1;
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------- requests */

static void result_reset(sap_slack_result_t *result)
{
    memset(result, 0, sizeof(*result));
}

/* A call that could not even be built (a caller's mistake): reported like a
 * request sap_http refuses to send. */
static apr_status_t call_unusable(sap_slack_result_t *result)
{
    result->error = SAP_SLACK_ERR_TRANSPORT;
    return APR_EGENERAL;
}

static void request_init(sap_http_request_t *req, sap_slack_t *slack, apr_pool_t *pool,
                         const char *method, const char *token, const char *content_type)
{
    memset(req, 0, sizeof(*req));
    req->method = "POST";
    req->url = sap_url_join(pool, slack->api_base, method);
    req->headers = apr_table_make(pool, 2);
    apr_table_setn(req->headers, "Content-Type", content_type);
    if (token && *token) {
        apr_table_setn(req->headers, "Authorization", apr_pstrcat(pool, "Bearer ", token, NULL));
    }
    req->cancel = slack->cancel;
    req->timeout = slack->timeout;
    req->no_retry = slack->no_retry;
}

/* Sends req and reads the answer. The log names the method and the
 * outcome only: the request's headers hold the token. */
static apr_status_t call_perform(sap_slack_t *slack, apr_pool_t *pool, const char *method,
                                 const sap_http_request_t *req, sap_slack_result_t *result)
{
    sap_http_response_t *resp = NULL;
    apr_status_t rv;

    rv = sap_http_perform(slack->http, pool, req, &resp);
    rv = result_fill(pool, rv, resp, result);
    if (rv != APR_SUCCESS) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_DEBUG, rv,
                      "Slack %s: %s (HTTP %d, %d attempt(s))%s%s", method, result->error,
                      result->http_status, result->attempts,
                      resp->error ? ": " : "", resp->error ? resp->error : "");
    }
    return rv;
}

/* name=value&... with both sides escaped (names are ours, escaping them
 * costs nothing and keeps a stray '&' from splitting a pair). */
static const char *form_body(apr_pool_t *pool, const apr_table_t *args)
{
    const apr_array_header_t *entries;
    const apr_table_entry_t *entry;
    apr_array_header_t *pairs;
    int i;

    if (!args) {
        return "";
    }
    entries = apr_table_elts(args);
    entry = (const apr_table_entry_t *)entries->elts;
    pairs = apr_array_make(pool, entries->nelts ? entries->nelts : 1, sizeof(const char *));
    for (i = 0; i < entries->nelts; i++) {
        APR_ARRAY_PUSH(pairs, const char *) =
            apr_pstrcat(pool, sap_oauth_form_escape(pool, entry[i].key), "=",
                        sap_oauth_form_escape(pool, entry[i].val), NULL);
    }
    return apr_array_pstrcat(pool, pairs, '&');
}

/* With a token, basic_user/basic_password are not sent: two Authorization
 * headers would be ambiguous, and only oauth.v2.access (no token) uses them. */
apr_status_t sap_slack_call_form(sap_slack_t *slack, apr_pool_t *pool, const char *method,
                                 const char *token, const apr_table_t *args,
                                 const char *basic_user, const char *basic_password,
                                 sap_slack_result_t *result)
{
    sap_http_request_t req;

    result_reset(result);
    if (!slack || !pool || !method || !*method) {
        return call_unusable(result);
    }
    request_init(&req, slack, pool, method, token, FORM_CONTENT_TYPE);
    req.body = form_body(pool, args);
    req.body_len = strlen(req.body);
    if (!(token && *token) && basic_user) {
        req.basic_user = basic_user;
        req.basic_password = basic_password ? basic_password : "";
    }
    return call_perform(slack, pool, method, &req, result);
}

apr_status_t sap_slack_call_json(sap_slack_t *slack, apr_pool_t *pool, const char *method,
                                 const char *token, json_t *body, sap_slack_result_t *result)
{
    sap_http_request_t req;
    char *text = NULL;
    apr_status_t rv;

    result_reset(result);
    if (!slack || !pool || !method || !*method || !body) {
        return call_unusable(result);
    }
    text = json_dumps(body, JSON_COMPACT);
    if (!text) {
        rv = call_unusable(result);
        goto leave;
    }
    request_init(&req, slack, pool, method, token, JSON_CONTENT_TYPE);
    req.body = text;
    req.body_len = strlen(text);
    rv = call_perform(slack, pool, method, &req, result);
leave:
    free(text);
    return rv;
}

/* ---------------------------------------------------------------- error codes */

int sap_slack_error_is_revocation(const char *code)
{
    static const char *const revoked[] = {
        "token_revoked", "invalid_auth", "account_inactive", "token_expired", "not_authed",
    };
    size_t i;

    for (i = 0; code && i < sizeof(revoked) / sizeof(revoked[0]); i++) {
        if (strcmp(code, revoked[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

typedef struct {
    const char *code;
    const char *text;
} error_text_t;

#define REINSTALL "Reinstall the app from the admin page to connect the workspace again."

static const error_text_t error_texts[] = {
    { "channel_not_found", "The channel does not exist, or the bot cannot see it "
                           "(private channel: invite the app first)." },
    { "not_in_channel", "The bot is not a member of the channel: invite the app to it "
                        "(/invite @app)." },
    { "is_archived", "The channel is archived: unarchive it or configure another channel." },
    { "users_not_found", "No Slack user has this email address: check the address, or "
                         "whether the person is a member of the workspace." },
    { "user_not_found", "The Slack user does not exist in this workspace: check the user id." },
    { "user_disabled", "The Slack user's account is deactivated: choose another approver." },
    { "missing_scope", "The app lacks a permission (OAuth scope) this call needs: add the scope "
                       "to the app and reinstall it." },
    { "token_revoked", "The workspace's bot token was revoked (the app was uninstalled or its "
                       "token rotated). " REINSTALL },
    { "token_expired", "The workspace's bot token has expired. " REINSTALL },
    { "invalid_auth", "Slack did not accept the bot token. " REINSTALL },
    { "account_inactive", "The bot user or its workspace has been deactivated. " REINSTALL },
    { "not_authed", "No bot token was sent: the workspace is not connected. " REINSTALL },
    { "ratelimited", "Slack is rate-limiting the app: the call was retried and gave up. Try "
                     "again later; if this persists, lower the volume of requests." },
    { "restricted_action", "A workspace setting forbids the bot this action (for example posting "
                           "in the channel): ask a Slack admin to allow it." },
    { "msg_too_long", "The message text is too long for Slack (over 4,000 characters): shorten "
                      "the request's text." },
    { "invalid_blocks", "Slack refused the message layout (Block Kit): a field is too long or "
                        "malformed; shorten the request's fields." },
    { "no_text", "The message had no text: the request must include text." },
    { "invalid_code", "The install's authorization code is invalid or was already used: start "
                      "the installation again." },
    { "bad_redirect_uri", "The redirect URL does not match the app's configuration: add the "
                          "callback URL to the app's Redirect URLs in Slack." },
    { "invalid_client_id", "Slack does not know the configured client id: check "
                           "SlackApprovalsClientID against the app's Basic Information page." },
    { "bad_client_secret", "Slack refused the client secret: check SlackApprovalsClientSecretFile "
                           "against the app's Basic Information page." },
    { "access_denied", "The installation was cancelled: the person installing did not allow "
                       "the app." },
    { SAP_SLACK_ERR_TRANSPORT, "Slack could not be reached (connection refused, DNS, TLS or a "
                               "broken connection): check outbound network access to Slack." },
    /* Slack's own request_timeout (POST data missing or cut short) is the
     * same string: the sentence fits both. */
    { SAP_SLACK_ERR_TIMEOUT, "The call to Slack timed out (no answer in time, or the request "
                             "did not arrive whole); it may still have taken effect, so it "
                             "was not repeated." },
    { SAP_SLACK_ERR_HTTP, "Slack answered with an HTTP error even after retries: Slack (or a "
                          "proxy on the way) is having trouble; try again later." },
    { SAP_SLACK_ERR_BAD_ANSWER, "The answer was not one of Slack's: check that "
                                "SlackApprovalsSlackAPI points at Slack's Web API." },
    { SAP_SLACK_ERR_CANCELLED, "The call was cancelled because the server was shutting "
                               "down." },
};

/* Only [a-z0-9_], as Slack's codes are: anything else is not repeated to
 * an admin page or a log. */
static int code_safe(const char *code)
{
    const char *p;

    if (!code || !*code || strlen(code) > SAFE_CODE_MAX_LEN) {
        return 0;
    }
    for (p = code; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) {
            return 0;
        }
    }
    return 1;
}

const char *sap_slack_error_text(apr_pool_t *pool, const char *code)
{
    size_t i;

    for (i = 0; code && i < sizeof(error_texts) / sizeof(error_texts[0]); i++) {
        if (strcmp(code, error_texts[i].code) == 0) {
            return error_texts[i].text;
        }
    }
    if (!code_safe(code)) {
        return "Slack answered with an unrecognised error.";
    }
    return apr_psprintf(pool, "Slack answered with the error \"%s\"; see Slack's documentation "
                        "of the method for what it means.", code);
}
