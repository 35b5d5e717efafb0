/* Slack interactivity without I/O: form body, clicked button, modals,
 * submissions, decision jobs (sap_interactions.h). */
#include <stdlib.h>
#include <string.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/sha.h>

#include "sap_blocks.h"
#include "sap_events.h"
#include "sap_hex.h"
#include "sap_interactions.h"
#include "sap_json_keys.h"
#include "sap_mustache.h"
#include "sap_templates.h"
#include "sap_token_crypto.h"

#define FORM_PAYLOAD "payload"

/* Button values and private_metadata: compact JSON, short keys. */
#define MD_DECISION "k"
#define MD_CHANNEL  "ch"
#define MD_TS       "ts"
#define MD_RESPONSE "ru"
/* Decision jobs add these. */
#define JOB_REQUEST "rid"
#define JOB_TEAM    "team"
#define JOB_USER    "user"
#define JOB_COMMENT "comment"
#define JOB_VOTES   "votes"
#define JOB_NOTICE  "notice"

#define ID_MAX 200                 /* ids are bounded at intake (sap_events.c) */
#define OPTION_VALUE_MAX 150
#define OPTION_TEXT_MAX 75
#define MODAL_TEXT_MAX 3000

static const char *const decisions_by_action[][2] = {
    {SAP_ACTION_APPROVE, SAP_DECISION_APPROVE},
    {SAP_ACTION_REJECT, SAP_DECISION_REJECT},
    {SAP_ACTION_ABSTAIN, SAP_DECISION_ABSTAIN},
    {SAP_ACTION_VOTE, SAP_DECISION_VOTE},
};

const char *sap_decision_past(const char *decision)
{
    static const char *const past[][2] = {
        {SAP_DECISION_APPROVE, "approved"}, {SAP_DECISION_REJECT, "rejected"},
        {SAP_DECISION_ABSTAIN, "abstained"}, {SAP_DECISION_VOTE, "voted"},
    };
    apr_size_t i;

    for (i = 0; decision && i < sizeof(past) / sizeof(past[0]); i++) {
        if (!strcmp(decision, past[i][0])) {
            return past[i][1];
        }
    }
    return "decided";
}

/* ---------------------------------------------------------------- form body */

/* Decodes [start, end) of a form field into a new string; NULL when a %
 * escape is broken or decodes to NUL. */
static char *form_decode(apr_pool_t *pool, const char *start, const char *end)
{
    char *out = apr_palloc(pool, (apr_size_t)(end - start) + 1), *o = out;
    const char *p;

    for (p = start; p < end; p++) {
        if (*p == '+') {
            *o++ = ' ';
        }
        else if (*p != '%') {
            *o++ = *p;
        }
        else if (end - p < 3 || sap_hex_value((unsigned char)p[1]) < 0
                 || sap_hex_value((unsigned char)p[2]) < 0) {
            return NULL;
        }
        else {
            /* a payload is mostly escapes: no strtol per byte */
            *o = (char)(sap_hex_value((unsigned char)p[1]) << 4 | sap_hex_value((unsigned char)p[2]));
            if (*o++ == '\0') {
                return NULL;
            }
            p += 2;
        }
    }
    *o = '\0';
    return out;
}

/* Is text well-formed UTF-8? jansson checks it when it makes a string. */
static int utf8_valid(const char *text)
{
    json_t *string = json_string(text);
    int valid = string != NULL;

    json_decref(string);
    return valid;
}

apr_status_t sap_interaction_form_payload(apr_pool_t *pool, const char *body, apr_size_t len,
                                          const char **ppayload, const char **perror)
{
    const char *p = body, *end = body + len;

    *ppayload = NULL;
    while (p < end) {
        const char *amp = memchr(p, '&', (apr_size_t)(end - p));
        const char *field_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (apr_size_t)(field_end - p));
        char *name = eq ? form_decode(pool, p, eq) : NULL;

        if (name && !strcmp(name, FORM_PAYLOAD)) {
            const char *payload = form_decode(pool, eq + 1, field_end);

            *perror = !payload ? "The payload field is not valid form encoding."
                      : !utf8_valid(payload) ? "The payload is not UTF-8 text." : NULL;
            *ppayload = *perror ? NULL : payload;
            return *perror ? APR_EINVAL : APR_SUCCESS;
        }
        p = field_end + 1;
    }
    *perror = "The body has no payload field (Slack sends payload=<JSON>, form-encoded).";
    return APR_EINVAL;
}

/* ---------------------------------------------------------------- buttons */

static const char *text_of(const json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));

    return value && *value ? value : NULL;
}

static int id_usable(const char *id)
{
    return id && *id && strlen(id) <= ID_MAX;
}

static const char *decision_of_action(const char *action_id)
{
    apr_size_t i;

    for (i = 0; i < sizeof(decisions_by_action) / sizeof(decisions_by_action[0]); i++) {
        if (!strcmp(action_id, decisions_by_action[i][0])) {
            return decisions_by_action[i][1];
        }
    }
    return NULL;
}

/* The step a button value (or private_metadata) names, into click. */
static int step_from_value(apr_pool_t *pool, const json_t *value, sap_click_t *click)
{
    const char *delegate = text_of(value, SAP_BV_DELEGATE);

    if (json_integer_value(json_object_get(value, SAP_BV_VERSION)) != 1) {
        return 0;
    }
    click->product = apr_pstrdup(pool, text_of(value, SAP_BV_PRODUCT));
    click->approval_id = apr_pstrdup(pool, text_of(value, SAP_BV_APPROVAL));
    click->step_id = apr_pstrdup(pool, text_of(value, SAP_BV_STEP));
    click->delegate_of = apr_pstrdup(pool, delegate);
    click->comment_required = json_integer_value(json_object_get(value, SAP_BV_COMMENT)) == 1;
    /* An unusable delegate refuses the click: dropping it would make the
     * decision the clicker's own. */
    return sap_product_valid(click->product) && id_usable(click->approval_id)
           && id_usable(click->step_id) && (!delegate || id_usable(delegate));
}

static void where_from_payload(apr_pool_t *pool, const json_t *payload, sap_click_t *click)
{
    const char *team = text_of(json_object_get(payload, "team"), SAP_JK_ID);

    memset(click, 0, sizeof(*click));
    click->team_id = apr_pstrdup(pool, team ? team
                                 : text_of(json_object_get(payload, "user"), SAP_JK_TEAM_ID));
    click->user_id = apr_pstrdup(pool, sap_json_path_str(payload, "user.id"));
    click->channel_id = apr_pstrdup(pool, sap_json_path_str(payload, "container.channel_id"));
    if (!click->channel_id) {
        click->channel_id = apr_pstrdup(pool, sap_json_path_str(payload, "channel.id"));
    }
    click->message_ts = apr_pstrdup(pool, sap_json_path_str(payload, "container.message_ts"));
    if (!click->message_ts) {
        click->message_ts = apr_pstrdup(pool, sap_json_path_str(payload, "message.ts"));
    }
    click->response_url = apr_pstrdup(pool, text_of(payload, "response_url"));
    click->trigger_id = apr_pstrdup(pool, text_of(payload, "trigger_id"));
    click->votes = apr_array_make(pool, 1, sizeof(const char *));
}

sap_button_kind_t sap_interaction_button(apr_pool_t *pool, const json_t *payload,
                                         sap_click_t *click, const char **paction_id)
{
    const json_t *action = json_array_get(json_object_get(payload, "actions"), 0);
    const char *action_id = text_of(action, "action_id");
    const char *value_text = text_of(action, SAP_JK_VALUE);
    json_t *value;
    int usable;

    where_from_payload(pool, payload, click);
    *paction_id = apr_pstrdup(pool, action_id);
    if (!action_id || !click->team_id || !click->user_id) {
        return SAP_BUTTON_UNKNOWN;
    }
    if (!strncmp(action_id, SAP_ACTION_VIEW, strlen(SAP_ACTION_VIEW))) {
        return SAP_BUTTON_LINK;
    }
    click->decision = decision_of_action(action_id);
    value = value_text ? json_loads(value_text, 0, NULL) : NULL;
    usable = click->decision && json_is_object(value) && step_from_value(pool, value, click);
    json_decref(value);
    return usable ? SAP_BUTTON_DECISION : SAP_BUTTON_UNKNOWN;
}

/* ---------------------------------------------------------------- modals */

static json_t *plain(const char *text)
{
    return json_pack("{s:s, s:s, s:b}", SAP_JK_TYPE, "plain_text", SAP_JK_TEXT, text, "emoji", 1);
}

/* The step and where to answer, for the modal's submission. */
static const char *metadata_of(apr_pool_t *pool, const sap_click_t *click)
{
    json_t *md = json_pack("{s:i, s:s, s:s, s:s, s:s}", SAP_BV_VERSION, 1,
                           SAP_BV_PRODUCT, click->product, SAP_BV_APPROVAL, click->approval_id,
                           SAP_BV_STEP, click->step_id, MD_DECISION, click->decision);
    char *text;
    const char *copy;

    if (click->delegate_of) {
        json_object_set_new(md, SAP_BV_DELEGATE, json_string(click->delegate_of));
    }
    if (click->comment_required) {
        json_object_set_new(md, SAP_BV_COMMENT, json_integer(1));
    }
    if (click->channel_id && click->message_ts) {
        json_object_set_new(md, MD_CHANNEL, json_string(click->channel_id));
        json_object_set_new(md, MD_TS, json_string(click->message_ts));
    }
    /* A response_url so long that the rest would not fit is left out:
     * the feedback then goes by chat.postEphemeral. */
    if (click->response_url && strlen(click->response_url) < SAP_MODAL_METADATA_MAX / 2) {
        json_object_set_new(md, MD_RESPONSE, json_string(click->response_url));
    }
    text = json_dumps(md, JSON_COMPACT);
    copy = text && strlen(text) <= SAP_MODAL_METADATA_MAX ? apr_pstrdup(pool, text) : NULL;
    free(text);
    json_decref(md);
    return copy;
}

/* The display name of the approver a delegate acts for, from the event. */
static const char *delegate_name(const json_t *event, const char *account_id)
{
    const json_t *recipients = json_object_get(event, "recipients");
    size_t i;

    for (i = 0; account_id && i < json_array_size(recipients); i++) {
        const json_t *each = json_array_get(recipients, i);
        const char *id = text_of(each, "account_id");

        if (id && !strcmp(id, account_id)) {
            return text_of(each, "display_name");
        }
    }
    return NULL;
}

static const char *present_participle(const char *decision)
{
    return !strcmp(decision, SAP_DECISION_APPROVE) ? "approving"
           : !strcmp(decision, SAP_DECISION_REJECT) ? "rejecting"
           : !strcmp(decision, SAP_DECISION_ABSTAIN) ? "abstaining on" : "voting on";
}

/* "You are approving *Budget sign-off* (FIN-12 Q3 budget) on behalf of *Cy*." */
static json_t *intro_block(apr_pool_t *pool, const sap_click_t *click, const json_t *event)
{
    const char *name = sap_json_path_str(event, "approval.name");
    const char *key = sap_json_path_str(event, "approval.subject.key");
    const char *title = sap_json_path_str(event, "approval.subject.title");
    const char *behalf = delegate_name(event, click->delegate_of);
    const char *text = apr_pstrcat(pool, "You are ", present_participle(click->decision), " ",
                                   name ? apr_pstrcat(pool, "*", sap_mrkdwn_escape(pool, name),
                                                      "*", NULL) : "this approval",
                                   NULL);

    if (key || title) {
        text = apr_pstrcat(pool, text, " (", sap_mrkdwn_escape(pool, key ? key : ""),
                           key && title ? " " : "", sap_mrkdwn_escape(pool, title ? title : ""),
                           ")", NULL);
    }
    if (click->delegate_of) {
        text = apr_pstrcat(pool, text, " on behalf of *",
                           sap_mrkdwn_escape(pool, behalf ? behalf : click->delegate_of), "*",
                           NULL);
    }
    text = sap_text_truncate(pool, apr_pstrcat(pool, text, ".", NULL), MODAL_TEXT_MAX, 1);
    return json_pack("{s:s, s:{s:s, s:s}}", SAP_JK_TYPE, "section", SAP_JK_TEXT,
                     SAP_JK_TYPE, "mrkdwn", SAP_JK_TEXT, text);
}

static json_t *comment_block(int required)
{
    return json_pack("{s:s, s:s, s:b, s:o, s:{s:s, s:s, s:b, s:i}}", SAP_JK_TYPE, "input",
                     "block_id", SAP_BLOCK_COMMENT, "optional", !required,
                     "label", plain("Comment"), "element", SAP_JK_TYPE, "plain_text_input",
                     "action_id", SAP_INPUT_COMMENT, "multiline", 1,
                     "max_length", SAP_MODAL_COMMENT_MAX);
}

static json_t *vote_option(apr_pool_t *pool, const json_t *option)
{
    const char *id = text_of(option, SAP_JK_ID);
    const char *label = text_of(option, "label");

    if (!id || strlen(id) > OPTION_VALUE_MAX) {
        return NULL;
    }
    return json_pack("{s:o, s:s}", SAP_JK_TEXT,
                     plain(sap_text_truncate(pool, label ? label : id, OPTION_TEXT_MAX, 0)),
                     SAP_JK_VALUE, id);
}

/* radio_buttons / checkboxes up to 10 options, selects up to 100. */
static json_t *vote_element(apr_pool_t *pool, const json_t *vote, const char **perror)
{
    const json_t *options = json_object_get(vote, "options");
    int multiple = json_is_true(json_object_get(vote, "multiple"));
    size_t count = json_array_size(options), i;
    json_t *list, *element;

    if (count == 0 || count > SAP_MODAL_SELECT_MAX) {
        *perror = count ? "the step has more than 100 options" : "the step has no vote options";
        return NULL;
    }
    list = json_array();
    for (i = 0; i < count; i++) {
        json_t *option = vote_option(pool, json_array_get(options, i));

        if (!option) {
            *perror = "a vote option has no usable id";
            json_decref(list);
            return NULL;
        }
        json_array_append_new(list, option);
    }
    element = json_pack("{s:s, s:s, s:o}", SAP_JK_TYPE,
                        count <= SAP_MODAL_RADIO_MAX ? (multiple ? "checkboxes" : "radio_buttons")
                        : (multiple ? "multi_static_select" : "static_select"),
                        "action_id", SAP_INPUT_OPTIONS, "options", list);
    if (count > SAP_MODAL_RADIO_MAX) {
        json_object_set_new(element, "placeholder",
                            plain(multiple ? "Choose options" : "Choose an option"));
    }
    return element;
}

static json_t *vote_block(apr_pool_t *pool, const json_t *event, const char **perror)
{
    const json_t *vote = sap_json_path(event, "step.vote");
    json_t *element = vote_element(pool, vote, perror);

    if (!element) {
        return NULL;
    }
    return json_pack("{s:s, s:s, s:o, s:o}", SAP_JK_TYPE, "input", "block_id", SAP_BLOCK_VOTE,
                     "label", plain(json_is_true(json_object_get(vote, "multiple"))
                                    ? "Your choices" : "Your choice"),
                     "element", element);
}

static const char *modal_title(const char *decision)
{
    return !strcmp(decision, SAP_DECISION_APPROVE) ? "Approve"
           : !strcmp(decision, SAP_DECISION_REJECT) ? "Reject"
           : !strcmp(decision, SAP_DECISION_ABSTAIN) ? "Abstain" : "Vote";
}

json_t *sap_interaction_modal(apr_pool_t *pool, const sap_click_t *click, const json_t *event,
                              const char **perror)
{
    int vote = !strcmp(click->decision, SAP_DECISION_VOTE);
    const char *metadata = metadata_of(pool, click);
    json_t *blocks = json_array();
    json_t *choice = vote ? vote_block(pool, event, perror) : NULL;

    if (!metadata || (vote && !choice)) {
        *perror = metadata ? *perror : "the ids do not fit in private_metadata";
        json_decref(choice);
        json_decref(blocks);
        return NULL;
    }
    json_array_append_new(blocks, intro_block(pool, click, event));
    if (choice) {
        json_array_append_new(blocks, choice);
    }
    if (!vote || click->comment_required) {
        json_array_append_new(blocks, comment_block(click->comment_required || !vote));
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:o}", SAP_JK_TYPE, "modal",
                     "callback_id", vote ? SAP_CALLBACK_VOTE : SAP_CALLBACK_DECISION,
                     "title", plain(modal_title(click->decision)),
                     "submit", plain(vote ? "Submit vote" : modal_title(click->decision)),
                     "close", plain("Cancel"), "private_metadata", metadata, "blocks", blocks);
}

/* ---------------------------------------------------------------- submissions */

static int metadata_read(apr_pool_t *pool, const char *text, sap_click_t *click)
{
    json_t *md = text ? json_loads(text, 0, NULL) : NULL;
    const char *decision = text_of(md, MD_DECISION);
    int usable = json_is_object(md) && step_from_value(pool, md, click) && decision;

    if (usable) {
        click->decision = apr_pstrdup(pool, decision);
        click->channel_id = apr_pstrdup(pool, text_of(md, MD_CHANNEL));
        click->message_ts = apr_pstrdup(pool, text_of(md, MD_TS));
        click->response_url = apr_pstrdup(pool, text_of(md, MD_RESPONSE));
        usable = !!decision_of_action(apr_pstrcat(pool, "sap_", decision, NULL));
    }
    json_decref(md);
    return usable;
}

/* The comment without surrounding white space; NULL when there is none. */
static const char *trimmed(apr_pool_t *pool, const char *text)
{
    const char *start = text, *end;

    if (!text) {
        return NULL;
    }
    while (*start && apr_isspace(*start)) {
        start++;
    }
    end = start + strlen(start);
    while (end > start && apr_isspace(end[-1])) {
        end--;
    }
    return end > start ? apr_pstrmemdup(pool, start, (apr_size_t)(end - start)) : NULL;
}

static void read_comment(apr_pool_t *pool, const json_t *values, sap_click_t *click,
                         json_t *errors)
{
    const json_t *input = json_object_get(json_object_get(values, SAP_BLOCK_COMMENT),
                                          SAP_INPUT_COMMENT);

    click->comment = trimmed(pool, json_string_value(json_object_get(input, SAP_JK_VALUE)));
    if (!click->comment && click->comment_required) {
        json_object_set_new(errors, SAP_BLOCK_COMMENT,
                            json_string("Enter a comment: this step requires one."));
    }
    else if (click->comment && sap_text_units(click->comment) > SAP_MODAL_COMMENT_MAX) {
        json_object_set_new(errors, SAP_BLOCK_COMMENT,
                            json_string("The comment is longer than 3000 characters."));
    }
}

static void vote_push(apr_pool_t *pool, sap_click_t *click, const json_t *option)
{
    const char *value = text_of(option, SAP_JK_VALUE);

    if (value) {
        APR_ARRAY_PUSH(click->votes, const char *) = apr_pstrdup(pool, value);
    }
}

static void read_votes(apr_pool_t *pool, const json_t *values, sap_click_t *click,
                       json_t *errors)
{
    const json_t *input = json_object_get(json_object_get(values, SAP_BLOCK_VOTE),
                                          SAP_INPUT_OPTIONS);
    const json_t *several = json_object_get(input, "selected_options");
    size_t i;

    vote_push(pool, click, json_object_get(input, "selected_option"));
    for (i = 0; i < json_array_size(several); i++) {
        vote_push(pool, click, json_array_get(several, i));
    }
    if (click->votes->nelts == 0) {
        json_object_set_new(errors, SAP_BLOCK_VOTE, json_string("Choose an option to vote."));
    }
}

apr_status_t sap_interaction_submission(apr_pool_t *pool, const json_t *payload,
                                        sap_click_t *click, json_t **perrors)
{
    const json_t *view = json_object_get(payload, "view");
    const char *callback = text_of(view, "callback_id");
    const json_t *values = sap_json_path(view, "state.values");
    int vote;
    json_t *errors;

    *perrors = NULL;
    where_from_payload(pool, payload, click);
    if (!callback || (strcmp(callback, SAP_CALLBACK_DECISION) && strcmp(callback, SAP_CALLBACK_VOTE))
        || !click->team_id || !click->user_id
        || !metadata_read(pool, text_of(view, "private_metadata"), click)) {
        return APR_NOTFOUND;
    }
    vote = !strcmp(click->decision, SAP_DECISION_VOTE);
    if (vote != !strcmp(callback, SAP_CALLBACK_VOTE)) {
        return APR_NOTFOUND;
    }
    errors = json_object();
    if (vote) {
        read_votes(pool, values, click, errors);
    }
    read_comment(pool, values, click, errors);
    if (json_object_size(errors)) {
        *perrors = errors;
        return APR_EINVAL;
    }
    json_decref(errors);
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------- jobs */

/* A part is its length, ":" and its bytes: parts run together never read
 * as other parts ("ab"+"c" is not "a"+"bc"), whatever they hold (a
 * comment is free text). */
static const char *digest_part(apr_pool_t *pool, const char *text)
{
    return apr_psprintf(pool, "%" APR_SIZE_T_FMT ":%s", text ? strlen(text) : 0,
                        text ? text : "");
}

static const char *request_id_of(apr_pool_t *pool, const sap_click_t *click)
{
    const char *fields[] = {
        click->team_id, click->user_id, click->channel_id, click->message_ts, click->product,
        click->approval_id, click->step_id, click->delegate_of, click->decision, click->comment,
    };
    unsigned char digest[SHA256_DIGEST_LENGTH];
    const char *text = "";
    apr_size_t i;
    int v;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        text = apr_pstrcat(pool, text, digest_part(pool, fields[i]), NULL);
    }
    for (v = 0; v < click->votes->nelts; v++) {
        text = apr_pstrcat(pool, text, digest_part(pool, APR_ARRAY_IDX(click->votes, v,
                                                                       const char *)), NULL);
    }
    SHA256((const unsigned char *)text, strlen(text), digest);
    return sap_token_hex_encode(pool, digest, sizeof(digest));
}

static void set_text(json_t *object, const char *key, const char *value)
{
    if (value) {
        json_object_set_new(object, key, json_string(value));
    }
}

static json_t *where_json(const sap_click_t *click)
{
    json_t *job = json_object();

    set_text(job, JOB_TEAM, click->team_id);
    set_text(job, JOB_USER, click->user_id);
    set_text(job, MD_CHANNEL, click->channel_id);
    set_text(job, MD_TS, click->message_ts);
    set_text(job, MD_RESPONSE, click->response_url);
    set_text(job, SAP_BV_PRODUCT, click->product);
    set_text(job, SAP_BV_APPROVAL, click->approval_id);
    set_text(job, SAP_BV_STEP, click->step_id);
    set_text(job, SAP_BV_DELEGATE, click->delegate_of);
    return job;
}

static const char *dumped(apr_pool_t *pool, json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT);
    const char *copy = text ? apr_pstrdup(pool, text) : NULL;

    free(text);
    json_decref(json);
    return copy;
}

apr_status_t sap_interaction_job(apr_pool_t *pool, const sap_click_t *click, const char **ppayload,
                                 const char **prequest_id)
{
    json_t *job = where_json(click), *votes = json_array();
    int i;

    *prequest_id = request_id_of(pool, click);
    for (i = 0; i < click->votes->nelts; i++) {
        json_array_append_new(votes, json_string(APR_ARRAY_IDX(click->votes, i, const char *)));
    }
    set_text(job, JOB_REQUEST, *prequest_id);
    set_text(job, MD_DECISION, click->decision);
    set_text(job, JOB_COMMENT, click->comment);
    json_object_set_new(job, JOB_VOTES, votes);
    *ppayload = dumped(pool, job);
    return *ppayload ? APR_SUCCESS : APR_ENOMEM;
}

const char *sap_interaction_notice_job(apr_pool_t *pool, const sap_click_t *click,
                                       const char *notice)
{
    json_t *job = where_json(click);

    set_text(job, JOB_NOTICE, notice);
    return dumped(pool, job);
}

static const char *job_text(apr_pool_t *pool, const json_t *job, const char *key)
{
    return apr_pstrdup(pool, text_of(job, key));
}

apr_status_t sap_interaction_from_job(apr_pool_t *pool, const json_t *job, sap_click_t *click,
                                      const char **prequest_id)
{
    const json_t *votes = json_object_get(job, JOB_VOTES);
    size_t i;

    memset(click, 0, sizeof(*click));
    click->team_id = job_text(pool, job, JOB_TEAM);
    click->user_id = job_text(pool, job, JOB_USER);
    click->channel_id = job_text(pool, job, MD_CHANNEL);
    click->message_ts = job_text(pool, job, MD_TS);
    click->response_url = job_text(pool, job, MD_RESPONSE);
    click->product = job_text(pool, job, SAP_BV_PRODUCT);
    click->approval_id = job_text(pool, job, SAP_BV_APPROVAL);
    click->step_id = job_text(pool, job, SAP_BV_STEP);
    click->delegate_of = job_text(pool, job, SAP_BV_DELEGATE);
    click->decision = job_text(pool, job, MD_DECISION);
    click->comment = job_text(pool, job, JOB_COMMENT);
    click->votes = apr_array_make(pool, 2, sizeof(const char *));
    for (i = 0; i < json_array_size(votes); i++) {
        const char *vote = json_string_value(json_array_get(votes, i));

        if (vote) {
            APR_ARRAY_PUSH(click->votes, const char *) = apr_pstrdup(pool, vote);
        }
    }
    *prequest_id = job_text(pool, job, JOB_REQUEST);
    return click->team_id && click->user_id ? APR_SUCCESS : APR_EINVAL;
}

const char *sap_interaction_job_notice(const json_t *job)
{
    return text_of(job, JOB_NOTICE);
}
