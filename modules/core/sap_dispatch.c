/* Notification dispatch: plan an event's deliveries, then deliver them
 * one recipient (or one channel message) per job. See sap_dispatch.h. */
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "sap_blocks.h"
#include "sap_dispatch.h"
#include "sap_events.h"
#include "sap_jobs.h"
#include "sap_json_keys.h"
#include "sap_log.h"
#include "sap_mail.h"
#include "sap_templates.h"

#define JK_RECIPIENT  "recipient"
#define JK_VIA        "via"
#define JK_FALLBACK   "fallback"
#define JK_KIND       "kind"
#define JK_PAYLOAD    "payload"
#define JK_RECIPIENTS "recipients"
#define JK_DELEGATES  "delegates"
#define JK_EXTERNAL   "external"
#define JK_ID         "id"
#define VIA_SLACK     "slack"
#define VIA_EMAIL     "email"

/* Cached look-up answer for an email with no Slack user. */
#define LOOKUP_NOT_FOUND "-"
#define SLACK_USERS_NOT_FOUND "users_not_found"
#define SLACK_CHANNEL_NOT_FOUND "channel_not_found"

/* A job stops taking new people after half its lease (sap_jobs.h), so a
 * slow Slack cannot make another worker claim it while it still runs. */
#define SAP_DISPATCH_JOB_BUDGET apr_time_from_sec(SAP_JOB_LEASE_SEC / 2)

#define STATUS_SENT   "SENT"
#define STATUS_FAILED "FAILED"

/* What a job knows about its event. */
typedef struct event_ctx_t {
    const sap_dispatch_env_t *env;
    apr_pool_t *pool;
    const char *event_id;
    json_t *event;                 /* owned: released with the pool */
    const char *type, *product, *approval_id, *step_id;
    sap_template_t tpl;
} event_ctx_t;

/* One person to notify. */
typedef struct person_t {
    const json_t *json;
    const char *email;
    const char *name;
    const char *account_id;
    int external;
    const struct person_t *delegate_of;   /* the approver a delegate stands in for */
} person_t;

/* The workspace a job talks to; once `reason` is set (no workspace, token
 * revoked mid-batch), no more Slack calls are made for the job. */
typedef struct slack_session_t {
    sap_connection_token_t token;
    const char *reason;
} slack_session_t;

static apr_status_t store_failed(const char **perror, const char *what)
{
    *perror = what;
    return APR_EAGAIN;
}

/* Loads the event named in payload and the template in force for it. */
static apr_status_t event_load(const sap_dispatch_env_t *env, apr_pool_t *pool,
                               const json_t *payload, event_ctx_t *ctx, const char **perror)
{
    sap_event_record_t *record = NULL;
    apr_status_t rv;

    memset(ctx, 0, sizeof(*ctx));
    ctx->env = env;
    ctx->pool = pool;
    ctx->event_id = json_string_value(json_object_get(payload, SAP_JK_EVENT_ID));
    if (!ctx->event_id) {
        *perror = "the job names no event";
        return APR_EINVAL;
    }
    rv = env->store->ops->event_get(env->store, pool, ctx->event_id, &record);
    if (rv == APR_NOTFOUND) {
        *perror = apr_psprintf(pool, "event %s is gone", ctx->event_id);
        return APR_EINVAL;
    }
    if (rv != APR_SUCCESS) {
        return store_failed(perror, "cannot read the event");
    }
    ctx->event = sap_json_pool(pool, json_loads(record->payload, 0, NULL));
    ctx->type = sap_json_path_str(ctx->event, "type");
    ctx->product = sap_json_path_str(ctx->event, "product");
    ctx->approval_id = sap_json_path_str(ctx->event, "approval.id");
    ctx->step_id = sap_json_path_str(ctx->event, "step.id");
    if (!ctx->type || !ctx->product || !ctx->approval_id) {
        *perror = "the stored event is not usable";
        return APR_EINVAL;
    }
    rv = sap_settings_template(env->settings, pool, ctx->product, ctx->type, &ctx->tpl, NULL);
    if (rv == APR_NOTFOUND) {
        *perror = "no template for this event";
        return APR_EINVAL;
    }
    return rv == APR_SUCCESS ? APR_SUCCESS : store_failed(perror, "cannot read the template");
}

static void person_from(person_t *person, const json_t *json, const person_t *delegate_of)
{
    person->json = json;
    person->email = sap_json_path_str(json, SAP_JK_EMAIL);
    person->account_id = sap_json_path_str(json, "account_id");
    person->name = sap_json_path_str(json, "display_name");
    if (!person->name) {
        person->name = person->email;
    }
    person->external = sap_json_path_bool(json, JK_EXTERNAL, 0);
    person->delegate_of = delegate_of;
}

/* The recipient and, for the types that ask for a decision, its delegates. */
static apr_array_header_t *people_of(event_ctx_t *ctx, const json_t *recipient)
{
    apr_array_header_t *people = apr_array_make(ctx->pool, 4, sizeof(person_t));
    json_t *delegates = json_object_get(recipient, JK_DELEGATES);
    person_t *approver = apr_array_push(people);
    size_t i;

    person_from(approver, recipient, NULL);
    if (!sap_event_notifies_delegates(ctx->type)) {
        return people;
    }
    approver = apr_pmemdup(ctx->pool, approver, sizeof(*approver));
    for (i = 0; i < json_array_size(delegates); i++) {
        person_from(apr_array_push(people), json_array_get(delegates, i), approver);
    }
    return people;
}

/* ---- rendering ---- */

static apr_status_t render_for(event_ctx_t *ctx, const person_t *person, sap_rendered_t *out)
{
    json_t *context = sap_json_pool(ctx->pool,
                                sap_template_context(ctx->event, person ? person->json : NULL,
                                                     person && person->delegate_of
                                                     ? person->delegate_of->json : NULL));
    const char *part = NULL;
    sap_mustache_error_t err = {0};
    apr_status_t rv = sap_template_render(ctx->pool, &ctx->tpl, context, out, &part, &err);

    if (rv != APR_SUCCESS) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_ERR, 0, "template %s/%s, %s: %s at line %d",
                      ctx->product, ctx->type, part, err.message, err.line);
    }
    return rv;
}

static json_t *message_for(event_ctx_t *ctx, const person_t *person, const char *body,
                           const apr_array_header_t *mentions, const char *outcome)
{
    sap_blocks_input_t in = {0};
    json_t *message = NULL;

    in.event = ctx->event;
    in.type_title = sap_template_type_title(ctx->type);
    in.body_mrkdwn = body;
    in.mentions = mentions;
    in.outcome_mrkdwn = outcome;
    if (person && person->delegate_of) {
        in.delegate_of_id = person->delegate_of->account_id;
        in.delegate_of_name = person->delegate_of->name;
    }
    if (sap_blocks_build(ctx->pool, &in, &message) != APR_SUCCESS) {
        return NULL;
    }
    return sap_json_pool(ctx->pool, message);
}

/* ---- email ---- */

/* Sends the person's email; NULL when sent, else the reason. */
static const char *send_email(event_ctx_t *ctx, const person_t *person,
                              const sap_rendered_t *rendered)
{
    const sap_dispatch_env_t *env = ctx->env;
    sap_mail_t mail = {0};
    const char *why = NULL;

    if (!env->mail_relay || !env->mail_from) {
        return SAP_REASON_NO_RELAY;
    }
    mail.from = env->mail_from;
    mail.to = apr_array_make(ctx->pool, 1, sizeof(const char *));
    APR_ARRAY_PUSH(mail.to, const char *) = person->email;
    mail.subject = rendered->email_subject;
    mail.text_body = rendered->email_body;
    mail.cancel = env->cancel;
    if (sap_mail_send(env->http, ctx->pool, env->mail_relay, &mail, &why) != APR_SUCCESS) {
        return why ? why : "the mail relay refused the message";
    }
    return NULL;
}

/* ---- history ---- */

static void delivery_init(event_ctx_t *ctx, sap_delivery_t *d, const char *kind,
                          const person_t *person)
{
    memset(d, 0, sizeof(*d));
    d->event_id = ctx->event_id;
    d->product = ctx->product;
    d->notification_type = ctx->type;
    d->approval_id = ctx->approval_id;
    d->step_id = ctx->step_id;
    d->kind = kind;
    d->recipient = person->email ? person->email : person->account_id;
    d->recipient_name = person->name;
    d->recipient_account_id = person->account_id;
    d->delegate_of = person->delegate_of ? person->delegate_of->account_id : NULL;
}

static apr_status_t record(event_ctx_t *ctx, const sap_delivery_t *d, const char **perror)
{
    sap_store_t *store = ctx->env->store;

    if (store->ops->delivery_record(store, d) != APR_SUCCESS) {
        return store_failed(perror, "cannot record the delivery");
    }
    sap_log_write(SAP_LOG_MARK, d->error ? SAP_LOG_WARNING : SAP_LOG_DEBUG, 0,
                  "event %s: %s %s to %s%s%s%s%s", ctx->event_id, d->kind, d->status, d->recipient,
                  d->error ? ": " : "", d->error ? d->error : "",
                  d->fallback ? "; email fallback " : "", d->fallback ? d->fallback : "");
    return APR_SUCCESS;
}

static apr_status_t already_done(event_ctx_t *ctx, const char *kind, const person_t *person,
                                 int *pseen, const char **perror)
{
    sap_store_t *store = ctx->env->store;
    const char *delegate_of = person->delegate_of ? person->delegate_of->account_id : NULL;
    const char *recipient = person->email ? person->email : person->account_id;

    if (store->ops->delivery_seen(store, ctx->event_id, kind, recipient, delegate_of, pseen)
        != APR_SUCCESS) {
        return store_failed(perror, "cannot read the history");
    }
    return APR_SUCCESS;
}

/* A delivery by email only (mechanism email, or an external approver). */
static apr_status_t deliver_email(event_ctx_t *ctx, const person_t *person, const char **perror)
{
    sap_rendered_t rendered;
    sap_delivery_t d;
    const char *why;
    int seen = 0;
    apr_status_t rv;

    if ((rv = already_done(ctx, SAP_KIND_EMAIL, person, &seen, perror)) != APR_SUCCESS || seen) {
        return rv;
    }
    delivery_init(ctx, &d, SAP_KIND_EMAIL, person);
    d.channel = person->email;
    why = render_for(ctx, person, &rendered) == APR_SUCCESS
          ? send_email(ctx, person, &rendered) : "template_invalid";
    if (ctx->env->cancel && *ctx->env->cancel && why) {
        return store_failed(perror, "shutting down");
    }
    d.status = why ? STATUS_FAILED : STATUS_SENT;
    d.error = why;
    return record(ctx, &d, perror);
}

/* The FAILED row of a Slack delivery, after its email fallback. An
 * external approver is mailed anyway (deliver_email), so no second mail. */
static apr_status_t slack_failed(event_ctx_t *ctx, sap_delivery_t *d, const person_t *person,
                                 const char *reason, const char **perror)
{
    sap_rendered_t rendered;
    const char *why;

    d->status = STATUS_FAILED;
    d->error = reason;
    if (person->external) {
        d->fallback = "not needed: external approvers are always emailed";
    }
    else if (!person->email) {
        d->fallback = "not sent: no email address";
    }
    else {
        why = render_for(ctx, person, &rendered) == APR_SUCCESS
              ? send_email(ctx, person, &rendered) : "template_invalid";
        if (why && ctx->env->cancel && *ctx->env->cancel) {
            /* Shutting down: no row yet, so the next run tries both again. */
            return store_failed(perror, "shutting down");
        }
        d->fallback = why ? apr_pstrcat(ctx->pool, "not sent: ", why, NULL) : "sent";
    }
    return record(ctx, d, perror);
}

/* ---- Slack ---- */

static apr_status_t session_open(event_ctx_t *ctx, apr_int64_t connection_id,
                                 slack_session_t *session, const char **perror)
{
    const char *why = NULL;
    apr_status_t rv;

    memset(session, 0, sizeof(*session));
    rv = sap_connections_token(ctx->env->connections, ctx->pool, connection_id,
                               &session->token, &why);
    switch (rv) {
    case APR_SUCCESS:
        return APR_SUCCESS;
    case APR_NOTFOUND:
        session->reason = SAP_REASON_NO_WORKSPACE;
        return APR_SUCCESS;
    case APR_EACCES:
        session->reason = SAP_REASON_INACTIVE;
        return APR_SUCCESS;
    case APR_EINVAL:
        session->reason = SAP_REASON_UNREADABLE;
        return APR_SUCCESS;
    default:
        return store_failed(perror, "cannot read the workspace connection");
    }
}

/* A Slack call failed with code: a revocation stops Slack for the rest of
 * the job (the connection is marked, the admin sees an instance error). */
static void session_failed(event_ctx_t *ctx, slack_session_t *session, const char *code)
{
    int invalidated = 0;

    if (sap_slack_error_is_revocation(code)) {
        sap_connections_report_error(ctx->env->connections, ctx->pool, &session->token, code,
                                     &invalidated);
        session->reason = code;
    }
}

static int cancelled(const event_ctx_t *ctx, const char *code)
{
    return (code && !strcmp(code, SAP_SLACK_ERR_CANCELLED))
           || (ctx->env->cancel && *ctx->env->cancel);
}

static const char *lower(apr_pool_t *pool, const char *text)
{
    char *copy = apr_pstrdup(pool, text), *c;

    for (c = copy; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    return copy;
}

static const char *cache_key(event_ctx_t *ctx, slack_session_t *session, const char *area,
                             const char *id)
{
    return sap_cache_key(ctx->pool, area,
                         apr_pstrcat(ctx->pool, session->token.team_id, ":", id, NULL));
}

/* users.lookupByEmail through the cache (24 h found, 1 h not found) and
 * the per-process limit. *puser_id, or the Slack code in *pcode. */
static void lookup_user(event_ctx_t *ctx, slack_session_t *session, const char *email,
                        const char **puser_id, const char **pcode)
{
    const sap_dispatch_env_t *env = ctx->env;
    const char *key = cache_key(ctx, session, "user", lower(ctx->pool, email));
    const char *cached = NULL;
    apr_table_t *args = apr_table_make(ctx->pool, 1);
    sap_slack_result_t result = {0};

    *puser_id = NULL;
    *pcode = NULL;
    if (key && sap_cache_get(env->cache, ctx->pool, key, &cached, NULL) == APR_SUCCESS) {
        if (!strcmp(cached, LOOKUP_NOT_FOUND)) {
            *pcode = SLACK_USERS_NOT_FOUND;
        }
        else {
            *puser_id = cached;
        }
        return;
    }
    if (sap_throttle_enter(env->lookups, env->cancel) != APR_SUCCESS) {
        *pcode = SAP_SLACK_ERR_CANCELLED;
        return;
    }
    apr_table_setn(args, SAP_JK_EMAIL, email);
    sap_slack_call_form(env->slack, ctx->pool, "users.lookupByEmail", session->token.token, args,
                        NULL, NULL, &result);
    sap_throttle_leave(env->lookups);
    if (result.ok) {
        *puser_id = sap_json_path_str(result.answer, "user.id");
        if (*puser_id && key) {
            sap_cache_set(env->cache, ctx->pool, key, *puser_id, strlen(*puser_id),
                          SAP_CACHE_TTL_USER_FOUND);
        }
        *pcode = *puser_id ? NULL : SAP_SLACK_ERR_BAD_ANSWER;
        return;
    }
    *pcode = result.error;
    if (key && !strcmp(result.error, SLACK_USERS_NOT_FOUND)) {
        sap_cache_set(env->cache, ctx->pool, key, LOOKUP_NOT_FOUND, 1,
                      SAP_CACHE_TTL_USER_NOT_FOUND);
    }
}

/* conversations.open; the DM's id is stable per user, so it is cached
 * (*pcached says the id came from the cache; fresh: ask Slack anyway). */
static void open_dm(event_ctx_t *ctx, slack_session_t *session, const char *user_id, int fresh,
                    const char **pchannel, int *pcached, const char **pcode)
{
    const sap_dispatch_env_t *env = ctx->env;
    const char *key = cache_key(ctx, session, "dm", user_id);
    const char *cached = NULL;
    apr_table_t *args = apr_table_make(ctx->pool, 1);
    sap_slack_result_t result = {0};

    *pcode = NULL;
    *pcached = 0;
    if (key && !fresh && sap_cache_get(env->cache, ctx->pool, key, &cached, NULL) == APR_SUCCESS) {
        *pchannel = cached;
        *pcached = 1;
        return;
    }
    apr_table_setn(args, "users", user_id);
    sap_slack_call_form(env->slack, ctx->pool, "conversations.open", session->token.token, args,
                        NULL, NULL, &result);
    *pchannel = result.ok ? sap_json_path_str(result.answer, "channel.id") : NULL;
    if (!*pchannel) {
        *pcode = result.ok ? SAP_SLACK_ERR_BAD_ANSWER : result.error;
        return;
    }
    if (key) {
        sap_cache_set(env->cache, ctx->pool, key, *pchannel, strlen(*pchannel),
                      SAP_CACHE_TTL_USER_FOUND);
    }
}

/* chat.postMessage; *pts and the channel Slack answered with, or *pcode. */
static void post_message(event_ctx_t *ctx, slack_session_t *session, const char *channel,
                         json_t *message, const char **pchannel, const char **pts,
                         const char **pcode)
{
    sap_slack_result_t result = {0};

    *pts = NULL;
    json_object_set_new(message, SAP_JK_CHANNEL, json_string(channel));
    sap_slack_call_json(ctx->env->slack, ctx->pool, "chat.postMessage", session->token.token,
                        message, &result);
    if (!result.ok) {
        *pcode = result.error;
        return;
    }
    *pts = sap_json_path_str(result.answer, SAP_JK_TS);
    *pchannel = sap_json_path_str(result.answer, SAP_JK_CHANNEL);
    *pcode = *pts ? NULL : SAP_SLACK_ERR_BAD_ANSWER;
    if (!*pchannel) {
        *pchannel = channel;
    }
}

/* One person's DM: look-up, open, post. */
static apr_status_t deliver_dm(event_ctx_t *ctx, slack_session_t *session,
                               const person_t *person, const char **perror)
{
    sap_delivery_t d;
    sap_rendered_t rendered;
    const char *user_id = NULL, *dm = NULL, *channel = NULL, *code = NULL;
    json_t *message = NULL;
    int seen = 0, cached = 0;
    apr_status_t rv;

    if ((rv = already_done(ctx, SAP_KIND_DM, person, &seen, perror)) != APR_SUCCESS || seen) {
        return rv;
    }
    delivery_init(ctx, &d, SAP_KIND_DM, person);
    d.connection_id = session->token.connection_id;
    if (session->reason) {
        return slack_failed(ctx, &d, person, session->reason, perror);
    }
    if (!person->email) {
        return slack_failed(ctx, &d, person, SLACK_USERS_NOT_FOUND, perror);
    }
    lookup_user(ctx, session, person->email, &user_id, &code);
    if (!code) {
        d.slack_user_id = user_id;
        open_dm(ctx, session, user_id, 0, &dm, &cached, &code);
    }
    if (!code) {
        message = render_for(ctx, person, &rendered) == APR_SUCCESS
                  ? message_for(ctx, person, rendered.slack_body, NULL, NULL) : NULL;
        code = message ? NULL : "template_invalid";
    }
    if (!code) {
        post_message(ctx, session, dm, message, &channel, &d.ts, &code);
    }
    /* A remembered DM that Slack no longer knows: open it again, once. */
    if (code && cached && !strcmp(code, SLACK_CHANNEL_NOT_FOUND)) {
        open_dm(ctx, session, user_id, 1, &dm, &cached, &code);
        if (!code) {
            post_message(ctx, session, dm, message, &channel, &d.ts, &code);
        }
    }
    if (code) {
        if (cancelled(ctx, code)) {
            return store_failed(perror, "shutting down");
        }
        session_failed(ctx, session, code);
        return slack_failed(ctx, &d, person, code, perror);
    }
    d.channel = channel;
    d.status = STATUS_SENT;
    return record(ctx, &d, perror);
}

/* ---- the jobs ---- */

static apr_status_t settings_and_target(event_ctx_t *ctx, sap_settings_t **psettings,
                                        sap_target_t *target, const char **perror)
{
    const sap_settings_env_t *settings_env = ctx->env->settings;

    if (sap_settings_get(settings_env, ctx->pool, psettings) != APR_SUCCESS
        || sap_settings_target(settings_env, ctx->pool, *psettings, ctx->product,
                               sap_json_path_str(ctx->event, "approval.definition.id"),
                               target) != APR_SUCCESS) {
        return store_failed(perror, "cannot read the settings");
    }
    return APR_SUCCESS;
}

static void plan_job(json_t *jobs, const char *kind, json_t *payload)
{
    json_array_append_new(jobs, json_pack("{s:s, s:o}", JK_KIND, kind, JK_PAYLOAD, payload));
}

static void plan_recipients(json_t *jobs, const char *event_id, size_t count, const char *via)
{
    size_t i;

    for (i = 0; i < count; i++) {
        plan_job(jobs, SAP_JOB_KIND_RECIPIENT,
                 json_pack("{s:s, s:I, s:s}", SAP_JK_EVENT_ID, event_id, JK_RECIPIENT,
                           (json_int_t)i, JK_VIA, via));
    }
}

const char *sap_dispatch_plan(apr_pool_t *pool, const json_t *event,
                              const sap_settings_t *settings, json_t *jobs)
{
    const char *event_id = sap_json_path_str(event, SAP_JK_EVENT_ID);
    size_t count = json_array_size(json_object_get(event, JK_RECIPIENTS));
    const char *mode = settings->delivery_mode;
    int dm = strcmp(mode, SAP_DELIVERY_CHANNEL) != 0;
    int channel = strcmp(mode, SAP_DELIVERY_DM) != 0;

    if (!strcmp(settings->mechanism, SAP_MECHANISM_NATIVE)) {
        return "native: nothing sent (the notification mechanism is native)";
    }
    if (!strcmp(settings->mechanism, SAP_MECHANISM_EMAIL)) {
        plan_recipients(jobs, event_id, count, VIA_EMAIL);
        return apr_psprintf(pool, "email: %lu recipients", (unsigned long)count);
    }
    if (dm) {
        plan_recipients(jobs, event_id, count, VIA_SLACK);
    }
    if (channel) {
        /* In "both" mode everyone also gets a DM, which has its own fallback. */
        plan_job(jobs, SAP_JOB_KIND_CHANNEL,
                 json_pack("{s:s, s:b}", SAP_JK_EVENT_ID, event_id, JK_FALLBACK, !dm));
    }
    return apr_psprintf(pool, "slack (%s): %lu recipients", mode, (unsigned long)count);
}

apr_status_t sap_dispatch_recipient(const sap_dispatch_env_t *env, apr_pool_t *pool,
                                    const json_t *payload, const char **perror)
{
    event_ctx_t ctx;
    sap_settings_t *settings = NULL;
    sap_target_t target;
    slack_session_t session;
    json_t *recipient;
    apr_array_header_t *people;
    const char *via = json_string_value(json_object_get(payload, JK_VIA));
    apr_time_t started = apr_time_now();
    int i;
    apr_status_t rv;

    if ((rv = event_load(env, pool, payload, &ctx, perror)) != APR_SUCCESS) {
        return rv;
    }
    recipient = json_array_get(json_object_get(ctx.event, JK_RECIPIENTS),
                               (size_t)json_integer_value(json_object_get(payload, JK_RECIPIENT)));
    if (!json_is_object(recipient)) {
        *perror = "the job names no recipient of its event";
        return APR_EINVAL;
    }
    people = people_of(&ctx, recipient);
    if (via && !strcmp(via, VIA_EMAIL)) {
        for (i = 0; i < people->nelts && rv == APR_SUCCESS; i++) {
            rv = deliver_email(&ctx, &APR_ARRAY_IDX(people, i, person_t), perror);
        }
        return rv;
    }
    if ((rv = settings_and_target(&ctx, &settings, &target, perror)) != APR_SUCCESS
        || (rv = session_open(&ctx, target.connection_id, &session, perror)) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < people->nelts && rv == APR_SUCCESS; i++) {
        person_t *person = &APR_ARRAY_IDX(people, i, person_t);

        if (i > 0 && apr_time_now() - started > SAP_DISPATCH_JOB_BUDGET) {
            /* Slack is slow today: give the rest to the next run before the
             * lease runs out (what is delivered is skipped then). */
            return store_failed(perror, "time budget used; the rest continues in a later run");
        }
        rv = deliver_dm(&ctx, &session, person, perror);
        if (rv == APR_SUCCESS && person->external) {
            rv = deliver_email(&ctx, person, perror);
        }
    }
    return rv;
}

/* ---- the channel message ---- */

/* Everyone a channel message names: recipients and their delegates. */
static apr_array_header_t *channel_people(event_ctx_t *ctx)
{
    json_t *recipients = json_object_get(ctx->event, JK_RECIPIENTS);
    apr_array_header_t *people = apr_array_make(ctx->pool, 8, sizeof(person_t));
    size_t i;

    for (i = 0; i < json_array_size(recipients); i++) {
        apr_array_cat(people, people_of(ctx, json_array_get(recipients, i)));
    }
    return people;
}

/* The mentions of people; a look-up failure other than "no such user"
 * fails the whole message (*pcode). */
static apr_array_header_t *mentions_of(event_ctx_t *ctx, slack_session_t *session,
                                       apr_array_header_t *people, const char **pcode)
{
    apr_array_header_t *mentions = apr_array_make(ctx->pool, people->nelts, sizeof(sap_mention_t));
    int i;

    *pcode = NULL;
    for (i = 0; i < people->nelts && !*pcode; i++) {
        person_t *person = &APR_ARRAY_IDX(people, i, person_t);
        sap_mention_t *mention = apr_array_push(mentions);
        const char *code = NULL;

        mention->display_name = person->name;
        mention->delegate_of_name = person->delegate_of ? person->delegate_of->name : NULL;
        if (person->email) {
            lookup_user(ctx, session, person->email, &mention->slack_user_id, &code);
        }
        if (code && strcmp(code, SLACK_USERS_NOT_FOUND)) {
            *pcode = code;
        }
    }
    return mentions;
}

/* The rows of a channel message, one per person named (the message row
 * each carries shares the channel:ts: the lifecycle updates it once). */
static apr_status_t record_channel(event_ctx_t *ctx, slack_session_t *session,
                                   apr_array_header_t *people, const apr_array_header_t *mentions,
                                   const char *channel, const char *ts, const char *code,
                                   int fallback, const char **perror)
{
    apr_status_t rv = APR_SUCCESS;
    int i;

    for (i = 0; i < people->nelts && rv == APR_SUCCESS; i++) {
        person_t *person = &APR_ARRAY_IDX(people, i, person_t);
        sap_delivery_t d;

        delivery_init(ctx, &d, SAP_KIND_CHANNEL, person);
        d.connection_id = session->token.connection_id;
        d.channel = channel;
        if (mentions && i < mentions->nelts) {
            d.slack_user_id = APR_ARRAY_IDX(mentions, i, sap_mention_t).slack_user_id;
        }
        if (!code) {
            d.ts = ts;
            d.status = STATUS_SENT;
            rv = record(ctx, &d, perror);
        }
        else if (fallback) {
            rv = slack_failed(ctx, &d, person, code, perror);
        }
        else {
            d.status = STATUS_FAILED;
            d.error = code;
            d.fallback = "not needed: notified by direct message";
            rv = record(ctx, &d, perror);
        }
        if (rv == APR_SUCCESS && fallback && person->external) {
            rv = deliver_email(ctx, person, perror);
        }
    }
    return rv;
}

static const char *post_channel(event_ctx_t *ctx, slack_session_t *session,
                                const sap_target_t *target, apr_array_header_t *people,
                                apr_array_header_t **pmentions, const char **pchannel,
                                const char **pts)
{
    sap_rendered_t rendered;
    json_t *message;
    const char *code = NULL;

    *pmentions = NULL;
    if (session->reason) {
        return session->reason;
    }
    if (!target->channel) {
        return SAP_REASON_NO_CHANNEL;
    }
    *pmentions = mentions_of(ctx, session, people, &code);
    if (code) {
        return code;
    }
    message = render_for(ctx, NULL, &rendered) == APR_SUCCESS
              ? message_for(ctx, NULL, rendered.slack_body, *pmentions, NULL) : NULL;
    if (!message) {
        return "template_invalid";
    }
    post_message(ctx, session, target->channel, message, pchannel, pts, &code);
    return code;
}

apr_status_t sap_dispatch_channel(const sap_dispatch_env_t *env, apr_pool_t *pool,
                                  const json_t *payload, const char **perror)
{
    event_ctx_t ctx;
    sap_settings_t *settings = NULL;
    sap_target_t target;
    slack_session_t session;
    apr_array_header_t *people, *mentions = NULL;
    const char *channel = NULL, *ts = NULL, *code;
    int fallback = json_is_true(json_object_get(payload, JK_FALLBACK));
    int seen = 0;
    apr_status_t rv;

    if ((rv = event_load(env, pool, payload, &ctx, perror)) != APR_SUCCESS
        || (rv = settings_and_target(&ctx, &settings, &target, perror)) != APR_SUCCESS
        || (rv = session_open(&ctx, target.connection_id, &session, perror)) != APR_SUCCESS) {
        return rv;
    }
    people = channel_people(&ctx);
    /* The message went out on an earlier run when its first row exists. */
    if (people->nelts
        && (rv = already_done(&ctx, SAP_KIND_CHANNEL, &APR_ARRAY_IDX(people, 0, person_t),
                              &seen, perror)) != APR_SUCCESS) {
        return rv;
    }
    if (seen) {
        return APR_SUCCESS;
    }
    code = post_channel(&ctx, &session, &target, people, &mentions, &channel, &ts);
    if (code && cancelled(&ctx, code)) {
        return store_failed(perror, "shutting down");
    }
    if (code) {
        session_failed(&ctx, &session, code);
    }
    sap_log_write(SAP_LOG_MARK, code ? SAP_LOG_WARNING : SAP_LOG_DEBUG, 0,
                  "event %s: channel message to %s %s%s", ctx.event_id,
                  target.channel ? target.channel : "(none)", code ? "failed: " : "sent",
                  code ? code : "");
    return record_channel(&ctx, &session, people, mentions, channel ? channel : target.channel,
                          ts, code, fallback, perror);
}

/* ---- a person's message again, decided ---- */

static int same_id(const json_t *person, const char *account_id)
{
    const char *id = sap_json_path_str(person, "account_id");

    return id && account_id && !strcmp(id, account_id);
}

/* The recipient account_id (or, with delegate_of, that approver's
 * delegate account_id) as the event names them. */
static int person_find(event_ctx_t *ctx, const char *account_id, const char *delegate_of,
                       person_t *person, person_t *approver)
{
    json_t *recipients = json_object_get(ctx->event, JK_RECIPIENTS);
    size_t i, j;

    for (i = 0; i < json_array_size(recipients); i++) {
        json_t *recipient = json_array_get(recipients, i);
        json_t *delegates = json_object_get(recipient, JK_DELEGATES);

        if (!delegate_of && same_id(recipient, account_id)) {
            person_from(person, recipient, NULL);
            return 1;
        }
        if (!delegate_of || !same_id(recipient, delegate_of)) {
            continue;
        }
        person_from(approver, recipient, NULL);
        for (j = 0; j < json_array_size(delegates); j++) {
            if (same_id(json_array_get(delegates, j), account_id)) {
                person_from(person, json_array_get(delegates, j), approver);
                return 1;
            }
        }
    }
    return 0;
}

apr_status_t sap_dispatch_render_decided(const sap_dispatch_env_t *env, apr_pool_t *pool,
                                         const char *event_id, const char *account_id,
                                         const char *delegate_of, const char *outcome_mrkdwn,
                                         json_t **pmessage, const char **perror)
{
    json_t *payload = sap_json_pool(pool, json_pack("{s:s}", SAP_JK_EVENT_ID, event_id));
    event_ctx_t ctx;
    person_t person, approver;
    sap_rendered_t rendered;
    apr_status_t rv = event_load(env, pool, payload, &ctx, perror);

    *pmessage = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!person_find(&ctx, account_id, delegate_of, &person, &approver)) {
        *perror = "the event does not name this person";
        return APR_NOTFOUND;
    }
    if (render_for(&ctx, &person, &rendered) != APR_SUCCESS
        || !(*pmessage = message_for(&ctx, &person, rendered.slack_body, NULL, outcome_mrkdwn))) {
        *perror = "the message cannot be rendered";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}
