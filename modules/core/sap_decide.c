/* The worker side of a click (sap_decide.h). */
#include <string.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "sap_blocks.h"
#include "sap_decide.h"
#include "sap_events.h"
#include "sap_interactions.h"
#include "sap_json_keys.h"
#include "sap_log.h"
#include "sap_mustache.h"
#include "sap_oauth.h"
#include "sap_time.h"
#include "sap_url.h"

#define SLACK_HOOKS_ORIGIN  "https://hooks.slack.com"
#define IDENTITY_NOT_FOUND  "-"
#define IDENTITY_SEPARATOR  '\x1f'
#define ENGINE_USERS_PATH   "/users?email="
#define ENGINE_DECISIONS    "/decisions"
#define SLACK_USER_NOT_FOUND "user_not_found"

/* Engine answers (DESIGN section 6). */
#define ENGINE_ALREADY_DECIDED 409
#define ENGINE_NOT_AUTHORIZED  403
#define ENGINE_STEP_NOT_ACTIVE 410
#define ENGINE_STEP_NOT_FOUND  404
#define ENGINE_INVALID_REQUEST 400

typedef struct decide_t {
    const sap_decide_env_t *env;
    const sap_dispatch_env_t *base;
    apr_pool_t *pool;
    sap_click_t click;
    const char *request_id;
    sap_connection_token_t token;   /* the team's, when has_token */
    int has_token;
    const json_t *event;            /* the step's newest event; NULL when unknown */
    const char *what;               /* "*Budget sign-off* (FIN-12)", escaped mrkdwn */
    const char *product_name;       /* "Jira" / "Confluence" */
    const char *account_id;         /* the clicker's Atlassian account */
    const char *display_name;
} decide_t;

static const char *esc(decide_t *d, const char *text)
{
    return sap_mrkdwn_escape(d->pool, text ? text : "");
}

/* ---------------------------------------------------------------- telling the clicker */

/* A response_url is used only when it points at Slack (or at the Slack of
 * SlackApprovalsSlackAPI, for a test double): the payload is signed, but
 * the module never posts to an address it did not expect. */
static int response_url_trusted(decide_t *d, const char *url)
{
    const char *origin = url ? sap_url_origin(d->pool, url) : NULL;
    const char *api_origin = sap_url_origin(d->pool, d->base->slack->api_base);

    return origin && (!strcmp(origin, SLACK_HOOKS_ORIGIN)
                      || (api_origin && !strcmp(origin, api_origin)));
}

static int tell_by_response_url(decide_t *d, const char *text)
{
    sap_http_request_t req = {0};
    sap_http_response_t *resp = NULL;
    json_t *body = sap_json_pool(d->pool, json_pack("{s:s, s:b, s:s}", "response_type", "ephemeral",
                                                "replace_original", 0, SAP_JK_TEXT, text));
    char *dumped = body ? json_dumps(body, JSON_COMPACT) : NULL;

    if (!dumped || !response_url_trusted(d, d->click.response_url)) {
        free(dumped);
        return 0;
    }
    req.method = "POST";
    req.url = d->click.response_url;
    req.headers = apr_table_make(d->pool, 1);
    apr_table_setn(req.headers, "Content-Type", "application/json; charset=utf-8");
    req.body = apr_pstrdup(d->pool, dumped);
    req.body_len = strlen(dumped);
    req.cancel = d->base->cancel;
    free(dumped);
    return sap_http_perform(d->base->http, d->pool, &req, &resp) == APR_SUCCESS
           && resp->status >= 200 && resp->status < 300;
}

static void tell_by_ephemeral(decide_t *d, const char *text)
{
    sap_slack_result_t result = {0};
    json_t *body;

    if (!d->has_token || !d->click.channel_id) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, 0, "interaction of %s: no way to answer "
                      "the clicker (no response_url, channel or workspace)", d->click.user_id);
        return;
    }
    body = sap_json_pool(d->pool, json_pack("{s:s, s:s, s:s}", SAP_JK_CHANNEL, d->click.channel_id,
                                        SAP_JK_USER, d->click.user_id, SAP_JK_TEXT, text));
    if (sap_slack_call_json(d->base->slack, d->pool, "chat.postEphemeral", d->token.token, body,
                            &result) != APR_SUCCESS) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, 0, "chat.postEphemeral to %s failed: %s",
                      d->click.user_id, result.error);
    }
}

static void tell(decide_t *d, const char *text)
{
    if (!d->click.response_url || !tell_by_response_url(d, text)) {
        tell_by_ephemeral(d, text);
    }
}

/* "<url|open the approval>" when the event has a usable url, else "the approval in Jira". */
static const char *approval_link(decide_t *d)
{
    const char *url = sap_json_path_str(d->event, "approval.url");

    if (url && (!strncmp(url, "https://", 8) || !strncmp(url, "http://", 7))
        && !strpbrk(url, "|<> ")) {
        return apr_pstrcat(d->pool, "<", url, "|open the approval in ", d->product_name, ">",
                           NULL);
    }
    return apr_pstrcat(d->pool, "open the approval in ", d->product_name, NULL);
}

/* ---------------------------------------------------------------- context */

static void describe(decide_t *d)
{
    const char *name = sap_json_path_str(d->event, "approval.name");
    const char *key = sap_json_path_str(d->event, "approval.subject.key");

    d->product_name = !strcmp(d->click.product ? d->click.product : "", "confluence")
                      ? "Confluence" : "Jira";
    d->what = apr_pstrcat(d->pool, "*", esc(d, name ? name : d->click.approval_id), "*",
                          key ? apr_pstrcat(d->pool, " (", esc(d, key), ")", NULL) : "", NULL);
}

static apr_status_t event_load(decide_t *d, const char **perror)
{
    sap_store_t *store = d->base->store;
    sap_event_record_t *record = NULL;
    apr_status_t rv = APR_NOTFOUND;

    if (d->click.product && d->click.approval_id && d->click.step_id) {
        rv = store->ops->event_latest(store, d->pool, d->click.product, d->click.approval_id,
                                      d->click.step_id, &record);
    }
    if (rv == APR_SUCCESS) {
        d->event = sap_json_pool(d->pool, json_loads(record->payload, 0, NULL));
    }
    else if (rv != APR_NOTFOUND) {
        *perror = "cannot read the step's event";
        return APR_EAGAIN;
    }
    describe(d);
    return APR_SUCCESS;
}

/* The workspace's token; without one only the response_url can answer. */
static apr_status_t session_open(decide_t *d, const char **perror)
{
    sap_store_t *store = d->base->store;
    sap_connection_t *conn = NULL;
    apr_status_t rv = store->ops->connection_get(store, d->pool, 0, d->click.team_id, 0, &conn);

    if (rv == APR_NOTFOUND) {
        return APR_SUCCESS;
    }
    if (rv == APR_SUCCESS) {
        rv = sap_connections_token(d->base->connections, d->pool, conn->id, &d->token, perror);
        d->has_token = rv == APR_SUCCESS;
        if (rv == APR_NOTFOUND || rv == APR_EACCES || rv == APR_EINVAL) {
            return APR_SUCCESS;
        }
    }
    if (rv != APR_SUCCESS) {
        *perror = "cannot read the workspace connection";
        return APR_EAGAIN;
    }
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------- identity */

typedef enum { IDENTITY_FOUND, IDENTITY_NONE, IDENTITY_FAILED } identity_t;

static const char *identity_key(decide_t *d)
{
    return sap_cache_key(d->pool, SAP_DECIDE_CACHE_AREA,
                         apr_pstrcat(d->pool, d->click.team_id, ":", d->click.user_id, NULL));
}

static void identity_remember(decide_t *d, const char *key, identity_t found)
{
    const char *value = found == IDENTITY_FOUND
                        ? apr_psprintf(d->pool, "%s%c%s", d->account_id, IDENTITY_SEPARATOR,
                                       d->display_name ? d->display_name : "")
                        : IDENTITY_NOT_FOUND;

    if (key) {
        sap_cache_set(d->base->cache, d->pool, key, value, strlen(value),
                      found == IDENTITY_FOUND ? SAP_CACHE_TTL_USER_FOUND
                                              : SAP_CACHE_TTL_USER_NOT_FOUND);
    }
}

static int identity_cached(decide_t *d, const char *key, identity_t *pfound)
{
    const char *value = NULL;
    char *sep;

    if (!key || sap_cache_get(d->base->cache, d->pool, key, &value, NULL) != APR_SUCCESS) {
        return 0;
    }
    if (!strcmp(value, IDENTITY_NOT_FOUND)) {
        *pfound = IDENTITY_NONE;
        return 1;
    }
    d->account_id = apr_pstrdup(d->pool, value);
    sep = strchr((char *)d->account_id, IDENTITY_SEPARATOR);
    if (sep) {
        *sep = '\0';
        d->display_name = *(sep + 1) ? sep + 1 : NULL;
    }
    *pfound = IDENTITY_FOUND;
    return 1;
}

/* users.info → the profile's email; NULL with *pfound NONE (no such user,
 * no email) or FAILED. */
static const char *slack_email(decide_t *d, identity_t *pfound)
{
    apr_table_t *args = apr_table_make(d->pool, 1);
    sap_slack_result_t result = {0};
    const char *email;
    int invalidated = 0;

    *pfound = IDENTITY_FAILED;
    if (!d->has_token) {
        return NULL;
    }
    apr_table_setn(args, SAP_JK_USER, d->click.user_id);
    if (sap_slack_call_form(d->base->slack, d->pool, "users.info", d->token.token, args, NULL,
                            NULL, &result) != APR_SUCCESS) {
        if (sap_slack_error_is_revocation(result.error)) {
            sap_connections_report_error(d->base->connections, d->pool, &d->token, result.error,
                                         &invalidated);
        }
        *pfound = !strcmp(result.error, SLACK_USER_NOT_FOUND) ? IDENTITY_NONE : IDENTITY_FAILED;
        return NULL;
    }
    email = sap_json_path_str(result.answer, "user.profile.email");
    *pfound = email && !sap_json_path_bool(result.answer, "user.deleted", 0) ? IDENTITY_FOUND
                                                                               : IDENTITY_NONE;
    return *pfound == IDENTITY_FOUND ? email : NULL;
}

static sap_http_request_t engine_request(decide_t *d, const char *method, const char *path)
{
    sap_http_request_t req = {0};

    req.method = method;
    req.url = sap_url_join(d->pool, d->env->engine_url, path);
    req.headers = apr_table_make(d->pool, 3);
    apr_table_setn(req.headers, "Accept", "application/json");
    apr_table_setn(req.headers, "Authorization",
                   apr_pstrcat(d->pool, "Bearer ", d->env->engine_token, NULL));
    req.cancel = d->base->cancel;
    return req;
}

/* The engine's GET /users?email= → d->account_id. */
static identity_t engine_account(decide_t *d, const char *email)
{
    sap_http_request_t req = engine_request(d, "GET", apr_pstrcat(d->pool, ENGINE_USERS_PATH,
                                            sap_oauth_form_escape(d->pool, email), NULL));
    sap_http_response_t *resp = NULL;
    json_t *user;

    if (sap_http_perform(d->base->http, d->pool, &req, &resp) != APR_SUCCESS) {
        return IDENTITY_FAILED;
    }
    if (resp->status == 404) {
        return IDENTITY_NONE;
    }
    if (resp->status != 200) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, 0, "engine GET /users answered %d",
                      resp->status);
    }
    user = resp->status == 200 ? sap_json_pool(d->pool, json_loads(resp->body, 0, NULL)) : NULL;
    d->account_id = apr_pstrdup(d->pool, sap_json_path_str(user, "account_id"));
    d->display_name = apr_pstrdup(d->pool, sap_json_path_str(user, "display_name"));
    return d->account_id ? IDENTITY_FOUND : IDENTITY_FAILED;
}

static identity_t identity_resolve(decide_t *d)
{
    const char *key = identity_key(d);
    identity_t found;
    const char *email;

    if (identity_cached(d, key, &found)) {
        return found;
    }
    email = slack_email(d, &found);
    if (email) {
        found = engine_account(d, email);
    }
    if (found != IDENTITY_FAILED) {
        identity_remember(d, key, found);
    }
    return found;
}

/* ---------------------------------------------------------------- the decision */

static const char *decision_body(decide_t *d)
{
    json_t *votes = json_array(), *body;
    char *text;
    const char *copy;
    int i;

    for (i = 0; i < d->click.votes->nelts; i++) {
        json_array_append_new(votes, json_string(APR_ARRAY_IDX(d->click.votes, i, const char *)));
    }
    body = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:o, s:s, s:o, s:o, s:s}",
                     "request_id", d->request_id, "product", d->click.product,
                     "approval_id", d->click.approval_id, "step_id", d->click.step_id,
                     "actor", "account_id", d->account_id,
                     "on_behalf_of", d->click.delegate_of
                     ? json_pack("{s:s}", "account_id", d->click.delegate_of) : json_null(),
                     "decision", d->click.decision,
                     "comment", d->click.comment ? json_string(d->click.comment) : json_null(),
                     "votes", votes, "source", "slack");
    text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    copy = text ? apr_pstrdup(d->pool, text) : NULL;
    free(text);
    json_decref(body);
    return copy;
}

/* POST /decisions: the HTTP status (0: no answer) and the parsed body. */
static int engine_decide(decide_t *d, json_t **panswer)
{
    sap_http_request_t req = engine_request(d, "POST", ENGINE_DECISIONS);
    sap_http_response_t *resp = NULL;

    *panswer = NULL;
    req.body = decision_body(d);
    req.body_len = req.body ? strlen(req.body) : 0;
    apr_table_setn(req.headers, "Content-Type", "application/json; charset=utf-8");
    if (!req.body || sap_http_perform(d->base->http, d->pool, &req, &resp) != APR_SUCCESS) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, 0, "decision %s: the engine did not "
                      "answer (%s)", d->request_id, resp && resp->error ? resp->error : "no body");
        return 0;
    }
    *panswer = sap_json_pool(d->pool, json_loads(resp->body, 0, NULL));
    if (resp->status != 200 && resp->status != 403 && resp->status != 404
        && resp->status != 409 && resp->status != 410) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, 0, "decision %s: the engine answered %d %s",
                      d->request_id, resp->status,
                      sap_json_path_str(*panswer, "error") ? sap_json_path_str(*panswer, "error")
                                                           : "");
    }
    return resp->status;
}

/* ---------------------------------------------------------------- feedback texts */

static const char *on_behalf(decide_t *d)
{
    const json_t *recipients = json_object_get(d->event, "recipients");
    const char *name = NULL;
    size_t i;

    if (!d->click.delegate_of) {
        return "";
    }
    for (i = 0; i < json_array_size(recipients) && !name; i++) {
        const json_t *each = json_array_get(recipients, i);
        const char *id = sap_json_path_str(each, "account_id");

        if (id && !strcmp(id, d->click.delegate_of)) {
            name = sap_json_path_str(each, "display_name");
        }
    }
    return apr_pstrcat(d->pool, " on behalf of *", esc(d, name ? name : d->click.delegate_of),
                       "*", NULL);
}

/* The labels of the chosen options, as the step's event names them. */
static const char *vote_labels(decide_t *d)
{
    const json_t *options = sap_json_path(d->event, "step.vote.options");
    apr_array_header_t *labels = apr_array_make(d->pool, d->click.votes->nelts,
                                                sizeof(const char *));
    int i;

    for (i = 0; i < d->click.votes->nelts; i++) {
        const char *id = APR_ARRAY_IDX(d->click.votes, i, const char *), *label = id;
        size_t j;

        for (j = 0; j < json_array_size(options); j++) {
            const json_t *option = json_array_get(options, j);
            const char *each = sap_json_path_str(option, "id");

            if (each && !strcmp(each, id) && sap_json_path_str(option, "label")) {
                label = sap_json_path_str(option, "label");
            }
        }
        APR_ARRAY_PUSH(labels, const char *) = apr_pstrcat(d->pool, i ? ", " : "", esc(d, label),
                                                          NULL);
    }
    return apr_array_pstrcat(d->pool, labels, '\0');
}

/* "2 of 3 approvals so far." from the engine's step, else "". */
static const char *progress_line(decide_t *d, const json_t *answer)
{
    const json_t *step = json_object_get(answer, "step");
    int vote = !strcmp(d->click.decision, SAP_DECISION_VOTE);
    json_int_t done = json_integer_value(sap_json_path(step, vote ? "progress.voted"
                                                                  : "progress.approved"));
    json_int_t needed = json_integer_value(json_object_get(step, "required"));
    const char *state = sap_json_path_str(step, "state");

    if (needed <= 0) {
        return "";
    }
    if (state && !strcmp(state, "completed")) {
        return apr_pstrcat(d->pool, " The step is now complete (",
                           esc(d, sap_json_path_str(step, "outcome")), ").", NULL);
    }
    return apr_psprintf(d->pool, " %" APR_INT64_T_FMT " of %" APR_INT64_T_FMT " %s so far.",
                        (apr_int64_t)done, (apr_int64_t)needed, vote ? "votes" : "approvals");
}

static const char *applied_text(decide_t *d, const json_t *answer)
{
    const char *done = !strcmp(d->click.decision, SAP_DECISION_VOTE)
                       ? apr_pstrcat(d->pool, "You voted *", vote_labels(d), "* on ", d->what,
                                     NULL)
                       : apr_pstrcat(d->pool, "You ", sap_decision_past(d->click.decision), " ",
                                     d->what, NULL);

    return apr_pstrcat(d->pool, ":white_check_mark: ", done, on_behalf(d), ".",
                       progress_line(d, answer), NULL);
}

static const char *when_text(decide_t *d, const char *iso)
{
    const char *shown = sap_time_utc_text(d->pool, iso);

    return shown ? apr_pstrcat(d->pool, " on ", shown, NULL) : "";
}

static const char *already_text(decide_t *d, const json_t *answer)
{
    const json_t *earlier = json_object_get(answer, "decision");
    const char *decider = sap_json_path_str(earlier, "account_id");
    const char *who = sap_json_path_str(earlier, "by.display_name");
    const char *outcome = sap_json_path_str(earlier, "outcome");
    const char *verb = outcome ? outcome
                       : sap_decision_past(sap_json_path_str(earlier, "decision"));
    int mine = decider && d->account_id && !strcmp(decider, d->account_id);

    if (!earlier) {
        return apr_pstrcat(d->pool, ":information_source: ", d->what,
                           " was already decided; nothing was changed.", NULL);
    }
    if (!who) {
        who = decider ? decider : "someone";
    }
    return apr_pstrcat(d->pool, ":information_source: ",
                       mine ? "You" : apr_pstrcat(d->pool, "*", esc(d, who), "*", NULL),
                       " already ", esc(d, verb), " ", d->what,
                       when_text(d, sap_json_path_str(earlier, "at")),
                       "; nothing was changed.", NULL);
}

static const char *answer_text(decide_t *d, int status, const json_t *answer)
{
    switch (status) {
    case ENGINE_ALREADY_DECIDED:
        return already_text(d, answer);
    case ENGINE_NOT_AUTHORIZED:
        return apr_pstrcat(d->pool, ":no_entry: You are not authorised to decide ", d->what,
                           d->click.delegate_of ? on_behalf(d) : "",
                           ": only its approvers and their delegates can. Nothing was recorded.",
                           NULL);
    case ENGINE_STEP_NOT_ACTIVE:
        return apr_pstrcat(d->pool, ":information_source: This step of ", d->what,
                           " is no longer active, so nothing was recorded.", NULL);
    case ENGINE_INVALID_REQUEST:
        return apr_pstrcat(d->pool, ":warning: ", d->product_name, " refused your decision on ",
                           d->what, sap_json_path_str(answer, "message")
                           ? apr_pstrcat(d->pool, " (", esc(d, sap_json_path_str(answer, "message")),
                                         ")", NULL) : "",
                           ", so nothing was recorded. Please ", approval_link(d), ".", NULL);
    case ENGINE_STEP_NOT_FOUND:
        return apr_pstrcat(d->pool, ":information_source: ", d->product_name,
                           " no longer knows this step of ", d->what,
                           ", so nothing was recorded.", NULL);
    default:
        return NULL;
    }
}

static const char *failed_text(decide_t *d)
{
    return apr_pstrcat(d->pool, ":warning: Your decision on ", d->what,
                       " could not be recorded: ", d->product_name,
                       " could not be reached. Try again in a moment, or ", approval_link(d), ".",
                       NULL);
}

static const char *disconnected_text(decide_t *d)
{
    return apr_pstrcat(d->pool, ":warning: Your decision on ", d->what, " could not be recorded: "
                       "this Slack workspace is no longer connected to ", d->product_name,
                       " (an administrator can reconnect it). Please ", approval_link(d), ".",
                       NULL);
}

static const char *unmatched_text(decide_t *d)
{
    return apr_pstrcat(d->pool, ":warning: Your Slack account could not be matched to a ",
                       d->product_name, " account (no ", d->product_name, " user has the email "
                       "address of your Slack profile), so nothing was recorded. Please ",
                       approval_link(d), ".", NULL);
}

static const char *notice_text(decide_t *d, const char *notice)
{
    if (!strcmp(notice, SAP_NOTICE_MODAL)) {
        return "The form could not be opened in time. Please click the button again.";
    }
    if (!strcmp(notice, SAP_NOTICE_STEP)) {
        return apr_pstrcat(d->pool, "This step cannot be decided from Slack (its approval is "
                           "not known here, or it has more options than Slack can show). Please ",
                           approval_link(d), ".", NULL);
    }
    return "This action is not supported.";
}

/* ---------------------------------------------------------------- the clicker's DM */

static const char *outcome_line(decide_t *d, const json_t *answer)
{
    const char *what = !strcmp(d->click.decision, SAP_DECISION_VOTE)
                       ? apr_pstrcat(d->pool, "voted *", vote_labels(d), "*", NULL)
                       : sap_decision_past(d->click.decision);

    return apr_pstrcat(d->pool, ":white_check_mark: You ", what, on_behalf(d),
                       when_text(d, sap_json_path_str(answer, "decision.at")),
                       " (from Slack).", NULL);
}

static void dm_record(decide_t *d, const sap_message_ref_t *ref)
{
    sap_delivery_t row = {0};

    row.event_id = ref->event_id;
    row.product = d->click.product;
    row.notification_type = sap_json_path_str(d->event, "type");
    row.approval_id = d->click.approval_id;
    row.step_id = d->click.step_id;
    row.recipient = ref->recipient_email ? ref->recipient_email : ref->recipient_account_id;
    row.recipient_name = d->display_name;
    row.channel = d->click.channel_id;
    row.connection_id = d->token.connection_id;
    row.status = "UPDATED";
    row.delegate_of = ref->delegate_of;
    row.kind = "dm";
    row.slack_user_id = d->click.user_id;
    if (d->base->store->ops->delivery_record(d->base->store, &row) != APR_SUCCESS) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, 0, "cannot record the update of %s:%s",
                      d->click.channel_id, d->click.message_ts);
    }
}

/* The clicker's own DM loses its buttons once the decision is applied. */
static void dm_update(decide_t *d, const json_t *answer)
{
    sap_store_t *store = d->base->store;
    sap_message_ref_t *ref = NULL;
    sap_slack_result_t result = {0};
    json_t *message = NULL;
    const char *error = NULL;

    if (!d->has_token || !d->click.channel_id || !d->click.message_ts
        || store->ops->message_get(store, d->pool, d->click.channel_id, d->click.message_ts,
                                   d->click.user_id, &ref) != APR_SUCCESS
        || strcmp(ref->kind, SAP_KIND_DM) || !ref->recipient_slack_user
        || strcmp(ref->recipient_slack_user, d->click.user_id) || !ref->event_id
        || !ref->recipient_account_id) {
        return;
    }
    if (sap_dispatch_render_decided(d->base, d->pool, ref->event_id, ref->recipient_account_id,
                                    ref->delegate_of, outcome_line(d, answer), &message,
                                    &error) != APR_SUCCESS) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, 0, "DM %s:%s not updated: %s",
                      d->click.channel_id, d->click.message_ts, error);
        return;
    }
    json_object_set_new(message, SAP_JK_CHANNEL, json_string(d->click.channel_id));
    json_object_set_new(message, SAP_JK_TS, json_string(d->click.message_ts));
    if (sap_slack_call_json(d->base->slack, d->pool, "chat.update", d->token.token, message,
                            &result) != APR_SUCCESS) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_WARNING, 0, "DM %s:%s not updated: chat.update %s",
                      d->click.channel_id, d->click.message_ts, result.error);
        return;
    }
    dm_record(d, ref);
}

/* ---------------------------------------------------------------- the job */

static apr_status_t decide(decide_t *d, const char **perror)
{
    json_t *answer = NULL;
    identity_t found;
    int status;
    const char *text;

    /* A workspace that was disconnected (revoked, uninstalled, removed by
     * an admin) decides nothing, even for a user whose identity is cached. */
    if (!d->has_token) {
        tell(d, disconnected_text(d));
        *perror = "the workspace has no active connection";
        return APR_EGENERAL;
    }
    found = identity_resolve(d);
    if (found != IDENTITY_FOUND) {
        tell(d, found == IDENTITY_NONE ? unmatched_text(d) : failed_text(d));
        *perror = found == IDENTITY_NONE ? "the Slack user matches no account"
                                         : "the identity could not be resolved";
        return APR_EGENERAL;
    }
    status = engine_decide(d, &answer);
    if (status == 200) {
        tell(d, applied_text(d, answer));
        dm_update(d, answer);
        return APR_SUCCESS;
    }
    if ((text = answer_text(d, status, answer)) != NULL) {
        tell(d, text);
        return APR_SUCCESS;
    }
    tell(d, failed_text(d));
    *perror = apr_psprintf(d->pool, "the engine answered %d", status);
    return APR_EGENERAL;
}

apr_status_t sap_decide_run(const sap_decide_env_t *env, apr_pool_t *pool, const json_t *payload,
                            const char **perror)
{
    decide_t d = {0};
    const char *notice = sap_interaction_job_notice(payload);
    apr_status_t rv;

    d.env = env;
    d.base = env->dispatch;
    d.pool = pool;
    if (sap_interaction_from_job(pool, payload, &d.click, &d.request_id) != APR_SUCCESS
        || (!notice && (!d.request_id || !d.click.decision || !d.click.product
                        || !d.click.approval_id || !d.click.step_id))) {
        *perror = "the job's payload is not a click";
        return APR_EINVAL;
    }
    if ((rv = session_open(&d, perror)) != APR_SUCCESS || (rv = event_load(&d, perror)) != APR_SUCCESS) {
        return rv;
    }
    if (notice) {
        /* a modal that could not open for a disconnected workspace: say that */
        tell(&d, !d.has_token && strcmp(notice, SAP_NOTICE_UNSUPPORTED) ? disconnected_text(&d)
                                                                         : notice_text(&d, notice));
        return APR_SUCCESS;
    }
    if (!env->engine_url || !env->engine_token) {
        tell(&d, failed_text(&d));
        *perror = "SlackApprovalsEngineURL or SlackApprovalsEngineTokenFile is not set";
        return APR_EGENERAL;
    }
    return decide(&d, perror);
}
