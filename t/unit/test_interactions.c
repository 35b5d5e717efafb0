/* Unit tests of sap_interactions: the form body Slack posts, the clicked
 * button, the comment and vote modals, their submissions, the decision and
 * notice jobs, and the past tense of decisions.
 *
 * Where the expected values come from:
 *  - the form body is Slack's encoding (PHP urlencode of JSON with escaped
 *    slashes), written out by hand and checked once with Python's
 *    urllib.parse.quote_plus (~ as %7E, like PHP);
 *  - payloads have the shape of Slack's block_actions and view_submission
 *    reference payloads (api.slack.com/reference/interaction-payloads);
 *  - modals, metadata and job payloads are compared with JSON written out
 *    literally here, limits with Slack's documented ones (title 24
 *    characters, private_metadata 3000, option text 75, radio buttons 10,
 *    static_select 100);
 *  - request_ids are not recomputed: their shape (64 lowercase hex
 *    digits) is checked, and ids are compared with one another. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "helper_fixtures.h"
#include "sap_blocks.h"
#include "sap_interactions.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define TEAM "T0TEAM"
#define USER_TEAM "T0HOME"
#define USER "U0ADA"
#define CHANNEL "C0APPROVALS"
#define TS "1764324000.000100"
#define RESPONSE_URL "https://hooks.slack.com/actions/T0TEAM/8210/Xk3v9"
#define TRIGGER "8210.42.abc"
#define TRIGGER_SUBMIT "8211.42.def"
#define ELLIPSIS "\xE2\x80\xA6"

/* Button values as sap_blocks writes them. */
#define VALUE_FULL "{\"v\":1,\"p\":\"jira\",\"a\":\"A-1001\",\"s\":\"S-1\",\"d\":\"u-cy\",\"c\":1}"
#define VALUE_PLAIN "{\"v\":1,\"p\":\"confluence\",\"a\":\"A-2002\",\"s\":\"S-9\"}"

#define EVENT_TEXT \
    "{\"type\": \"approval_requested\", \"product\": \"jira\"," \
    " \"approval\": {\"id\": \"A-1001\", \"name\": \"Budget sign-off\"," \
    "   \"subject\": {\"key\": \"FIN-12\", \"title\": \"Q3 budget\"}}," \
    " \"step\": {\"id\": \"S-1\", \"kind\": \"approval\", \"comment_required\": true}," \
    " \"recipients\": [{\"account_id\": \"u-bo\", \"display_name\": \"Bo\"}," \
    "   {\"account_id\": \"u-cy\", \"display_name\": \"Cy\"," \
    "    \"delegates\": [{\"account_id\": \"u-di\", \"display_name\": \"Di\"}]}]}"

#define PLAIN(text) "{\"type\": \"plain_text\", \"text\": \"" text "\", \"emoji\": true}"

#define APPROVE_VIEW \
    "{\"type\": \"modal\", \"callback_id\": \"sap_decision\"," \
    " \"title\": " PLAIN("Approve") ", \"submit\": " PLAIN("Approve") "," \
    " \"close\": " PLAIN("Cancel") "," \
    " \"blocks\": [" \
    "  {\"type\": \"section\", \"text\": {\"type\": \"mrkdwn\", \"text\":" \
    "    \"You are approving *Budget sign-off* (FIN-12 Q3 budget) on behalf of *Cy*.\"}}," \
    "  {\"type\": \"input\", \"block_id\": \"sap_comment\", \"optional\": false," \
    "   \"label\": " PLAIN("Comment") "," \
    "   \"element\": {\"type\": \"plain_text_input\", \"action_id\": \"comment\"," \
    "     \"multiline\": true, \"max_length\": 3000}}]}"

#define APPROVE_METADATA \
    "{\"v\":1,\"p\":\"jira\",\"a\":\"A-1001\",\"s\":\"S-1\",\"k\":\"approve\",\"d\":\"u-cy\"," \
    "\"c\":1,\"ch\":\"" CHANNEL "\",\"ts\":\"" TS "\",\"ru\":\"" RESPONSE_URL "\"}"

#define SELECTED(id, label) "{\"text\": " PLAIN(label) ", \"value\": \"" id "\"}"
#define VOTE_STATE(type, selection) \
    "{\"sap_vote_options\": {\"options\": {\"type\": \"" type "\", " selection "}}}"

/* ---------------------------------------------------------------- helpers */

static apr_status_t json_release(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

static json_t *owned(apr_pool_t *pool, json_t *value)
{
    assert_non_null(value);
    apr_pool_cleanup_register(pool, value, json_release, apr_pool_cleanup_null);
    return value;
}

static json_t *loaded(const char *text)
{
    json_error_t error;
    json_t *value = json_loads(text, 0, &error);

    if (!value) {
        fail_msg("test JSON does not parse: %s (%s)", error.text, text);
    }
    return value;
}

/* The value at a dotted path (object members only). */
static const json_t *path_get(apr_pool_t *pool, const json_t *root, const char *path)
{
    char *copy = apr_pstrdup(pool, path), *last = NULL, *part;

    for (part = apr_strtok(copy, ".", &last); part && root; part = apr_strtok(NULL, ".", &last)) {
        root = json_object_get(root, part);
    }
    return root;
}

static const char *text_at(apr_pool_t *pool, const json_t *root, const char *path)
{
    return json_string_value(path_get(pool, root, path));
}

/* root[object][key] = value (root itself when object is NULL). */
static void put(json_t *root, const char *object, const char *key, json_t *value)
{
    assert_int_equal(json_object_set_new(object ? json_object_get(root, object) : root, key,
                                         value), 0);
}

static void drop(json_t *root, const char *object, const char *key)
{
    assert_int_equal(json_object_del(object ? json_object_get(root, object) : root, key), 0);
}

static char *repeat(apr_pool_t *pool, char c, apr_size_t n)
{
    char *text = apr_palloc(pool, n + 1);

    memset(text, c, n);
    text[n] = '\0';
    return text;
}

static void expect_json(const json_t *got, const char *want_text)
{
    json_t *want = loaded(want_text);
    char *dump = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    int same = json_equal(got, want);

    json_decref(want);
    if (!same) {
        print_error("got %s\nexpected %s\n", dump ? dump : "(null)", want_text);
    }
    free(dump);
    assert_true(same);
}

static void expect_text(const char *what, const char *got, const char *want)
{
    if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0)) {
        fail_msg("%s: \"%s\", expected \"%s\"", what, got ? got : "(null)",
                 want ? want : "(null)");
    }
}

/* Every field of a click; want->votes is ignored: votes are "o1,o3". */
static void expect_click(apr_pool_t *pool, const sap_click_t *got, const sap_click_t *want,
                         const char *votes)
{
    const char *const fields[][3] = {
        {"team_id", got->team_id, want->team_id},
        {"user_id", got->user_id, want->user_id},
        {"channel_id", got->channel_id, want->channel_id},
        {"message_ts", got->message_ts, want->message_ts},
        {"response_url", got->response_url, want->response_url},
        {"trigger_id", got->trigger_id, want->trigger_id},
        {"product", got->product, want->product},
        {"approval_id", got->approval_id, want->approval_id},
        {"step_id", got->step_id, want->step_id},
        {"delegate_of", got->delegate_of, want->delegate_of},
        {"decision", got->decision, want->decision},
        {"comment", got->comment, want->comment},
    };
    apr_size_t i;

    for (i = 0; i < COUNT(fields); i++) {
        expect_text(fields[i][0], fields[i][1], fields[i][2]);
    }
    assert_int_equal(got->comment_required, want->comment_required);
    assert_non_null(got->votes);
    expect_text("votes", apr_array_pstrcat(pool, got->votes, ','), votes);
}

/* The click of VALUE_FULL on the payload of block_actions(). */
static sap_click_t click_of(apr_pool_t *pool, const char *decision)
{
    sap_click_t click = {
        .team_id = TEAM, .user_id = USER, .channel_id = CHANNEL, .message_ts = TS,
        .response_url = RESPONSE_URL, .trigger_id = TRIGGER, .product = "jira",
        .approval_id = "A-1001", .step_id = "S-1", .delegate_of = "u-cy",
        .decision = decision, .comment_required = 1,
    };

    click.votes = apr_array_make(pool, 2, sizeof(const char *));
    return click;
}

static void vote_add(sap_click_t *click, const char *option)
{
    APR_ARRAY_PUSH(click->votes, const char *) = option;
}

/* ---------------------------------------------------------------- sap_interaction_form_payload */

#define FORM_JSON \
    "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ADA\",\"name\":\"Ada Lovelace\"}," \
    "\"response_url\":\"https:\\/\\/hooks.slack.com\\/actions\\/T0TEAM\\/1\\/x-y_z.w\"," \
    "\"actions\":[{\"value\":\"{\\\"v\\\":1}\",\"text\":\"Caf\xC3\xA9 & 1+1=2 *~\"}]}"
#define FORM_ENCODED \
    "%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U0ADA%22%2C" \
    "%22name%22%3A%22Ada+Lovelace%22%7D%2C%22response_url%22%3A%22https%3A%5C%2F%5C%2F" \
    "hooks.slack.com%5C%2Factions%5C%2FT0TEAM%5C%2F1%5C%2Fx-y_z.w%22%2C%22actions%22%3A" \
    "%5B%7B%22value%22%3A%22%7B%5C%22v%5C%22%3A1%7D%22%2C%22text%22%3A%22Caf%C3%A9+%26+" \
    "1%2B1%3D2+%2A%7E%22%7D%5D%7D"

static void expect_form(apr_pool_t *pool, const char *body, const char *want)
{
    const char *payload = NULL, *error = "unset";

    if (sap_interaction_form_payload(pool, body, strlen(body), &payload, &error) != APR_SUCCESS) {
        fail_msg("\"%s\" refused: %s", body, error ? error : "(no reason)");
    }
    expect_text(body, payload, want);
    assert_null(error);
}

static void expect_form_refused(apr_pool_t *pool, const char *body, apr_size_t len)
{
    const char *payload = "unset", *error = NULL;

    if (sap_interaction_form_payload(pool, body, len, &payload, &error) != APR_EINVAL) {
        fail_msg("\"%.*s\" accepted", (int)len, body);
    }
    assert_null(payload);
    assert_non_null(error);
}

static void test_form_slack_encoding(void **state)
{
    apr_pool_t *pool = *state;

    expect_form(pool, "payload=" FORM_ENCODED, FORM_JSON);
    /* the name may be encoded too */
    expect_form(pool, "pay%6Coad=%7B%7D", "{}");
}

static void test_form_payload_not_first(void **state)
{
    static const char *const bodies[] = {
        "a=1&payload=" FORM_ENCODED,
        "token=abc&team_id=T0TEAM&payload=" FORM_ENCODED "&z=2",
        "payloadx=1&xpayload=2&payload=" FORM_ENCODED,
        "a=%ZZ&b&payload=" FORM_ENCODED,   /* a broken field before it does not matter */
        "&&payload=" FORM_ENCODED "&",
    };
    apr_pool_t *pool = *state;
    apr_size_t i;

    for (i = 0; i < COUNT(bodies); i++) {
        expect_form(pool, bodies[i], FORM_JSON);
    }
}

static void test_form_refused(void **state)
{
    static const char *const bodies[] = {
        "",
        "token=abc&team_id=T0TEAM",
        "payloadx=" FORM_ENCODED,
        "payload",                          /* no = */
        "Payload=%7B%7D",
        "payload=%7B%4",
        "payload=%7B%",
        "payload=%G1%7D",
        "payload=%7G",
        "payload=%7B%00%7D",
        "{\"type\":\"block_actions\",\"actions\":[]}",
        "{\"payload\":\"x=1\"}",
    };
    apr_pool_t *pool = *state;
    apr_size_t i;

    for (i = 0; i < COUNT(bodies); i++) {
        expect_form_refused(pool, bodies[i], strlen(bodies[i]));
    }
    expect_form_refused(pool, NULL, 0);
    /* len, not NUL, ends the body: the escape is cut */
    expect_form_refused(pool, "payload=%7B", 10);
}

/* The header promises APR_EINVAL when the payload is not UTF-8 text. */
static void test_form_not_utf8(void **state)
{
    static const char *const bodies[] = {
        "payload=%FF",
        "payload=%7B%22a%22%3A%22%C3%22%7D",   /* a cut sequence */
        "payload=%C0%AF",                      /* overlong "/" */
        "payload=%ED%A0%80",                   /* a UTF-16 surrogate */
    };
    apr_pool_t *pool = *state;
    apr_size_t i;

    for (i = 0; i < COUNT(bodies); i++) {
        expect_form_refused(pool, bodies[i], strlen(bodies[i]));
    }
    expect_form(pool, "payload=%F0%9F%98%80", "\xF0\x9F\x98\x80");
}

/* ---------------------------------------------------------------- sap_interaction_button */

/* A block_actions payload as Slack sends it for a click on a message
 * button; action_id and value are left out when NULL. */
static json_t *block_actions(apr_pool_t *pool, const char *action_id, const char *value)
{
    return owned(pool, json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s}, s:n, s:b,"
        " s:{s:s, s:s, s:s, s:b}, s:{s:s, s:s}, s:s, s:s,"
        " s:{s:s, s:s, s:s, s:s, s:[]}, s:{s:{}},"
        " s:[{s:s*, s:s, s:s*, s:s, s:s}]}",
        "type", SAP_PAYLOAD_BLOCK_ACTIONS, "api_app_id", "A0APP", "token", "legacy",
        "user", "id", USER, "username", "ada", "name", "ada", "team_id", USER_TEAM,
        "team", "id", TEAM, "domain", "example",
        "enterprise", "is_enterprise_install", 0,
        "container", "type", "message", "message_ts", TS, "channel_id", CHANNEL,
        "is_ephemeral", 0,
        "channel", "id", CHANNEL, "name", "approvals",
        "trigger_id", TRIGGER, "response_url", RESPONSE_URL,
        "message", "type", "message", "user", "U0BOT", "ts", TS, "text", "Approval requested",
        "blocks",
        "state", "values",
        "actions", "action_id", action_id, "block_id", SAP_BLOCK_ACTIONS, "value", value,
        "type", "button", "action_ts", "1764324012.345678"));
}

static sap_button_kind_t clicked(apr_pool_t *pool, const json_t *payload, sap_click_t *click,
                                 const char **paction_id)
{
    memset(click, 0, sizeof(*click));
    *paction_id = "unset";
    return sap_interaction_button(pool, payload, click, paction_id);
}

static void test_button_decisions(void **state)
{
    static const char *const cases[][2] = {
        {"sap_approve", "approve"},
        {"sap_reject", "reject"},
        {"sap_abstain", "abstain"},
        {"sap_vote", "vote"},
    };
    apr_pool_t *pool = *state;
    apr_size_t i;

    for (i = 0; i < COUNT(cases); i++) {
        sap_click_t click, want = click_of(pool, cases[i][1]);
        const char *action_id;
        json_t *payload = block_actions(pool, cases[i][0], VALUE_FULL);

        assert_int_equal(clicked(pool, payload, &click, &action_id), SAP_BUTTON_DECISION);
        expect_text("action_id", action_id, cases[i][0]);
        expect_click(pool, &click, &want, "");
    }
}

static void test_button_plain_value(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click, want = click_of(pool, "reject");
    const char *action_id;

    want.product = "confluence";
    want.approval_id = "A-2002";
    want.step_id = "S-9";
    want.delegate_of = NULL;
    want.comment_required = 0;
    assert_int_equal(clicked(pool, block_actions(pool, "sap_reject", VALUE_PLAIN), &click,
                             &action_id), SAP_BUTTON_DECISION);
    expect_click(pool, &click, &want, "");
    /* "c" counts only as the integer 1 */
    assert_int_equal(clicked(pool, block_actions(pool, "sap_reject",
                                                 "{\"v\":1,\"p\":\"jira\",\"a\":\"A\",\"s\":\"S\","
                                                 "\"c\":true}"), &click, &action_id),
                     SAP_BUTTON_DECISION);
    assert_int_equal(click.comment_required, 0);
}

/* team.id, else user.team_id; container's channel and ts, else the
 * message's; no response_url or trigger_id when Slack sent none. */
static void test_button_fallbacks(void **state)
{
    apr_pool_t *pool = *state;
    json_t *payload = block_actions(pool, "sap_approve", VALUE_FULL);
    sap_click_t click, want = click_of(pool, "approve");
    const char *action_id;

    put(payload, "team", "id", json_string(""));   /* empty counts as absent */
    drop(payload, "container", "channel_id");
    drop(payload, "container", "message_ts");
    put(payload, "channel", "id", json_string("C0OTHER"));
    put(payload, "message", "ts", json_string("1764324999.000200"));
    drop(payload, NULL, "response_url");
    drop(payload, NULL, "trigger_id");
    want.team_id = USER_TEAM;
    want.channel_id = "C0OTHER";
    want.message_ts = "1764324999.000200";
    want.response_url = NULL;
    want.trigger_id = NULL;
    assert_int_equal(clicked(pool, payload, &click, &action_id), SAP_BUTTON_DECISION);
    expect_click(pool, &click, &want, "");
}

static void test_button_links(void **state)
{
    static const char *const ids[] = {"sap_view", "sap_view_approve"};
    apr_pool_t *pool = *state;
    apr_size_t i;

    for (i = 0; i < COUNT(ids); i++) {
        sap_click_t click;
        const char *action_id;

        assert_int_equal(clicked(pool, block_actions(pool, ids[i], NULL), &click, &action_id),
                         SAP_BUTTON_LINK);
        expect_text("action_id", action_id, ids[i]);
    }
}

static void expect_unknown(apr_pool_t *pool, const json_t *payload, const char *action_id)
{
    sap_click_t click;
    const char *got;

    if (clicked(pool, payload, &click, &got) != SAP_BUTTON_UNKNOWN) {
        fail_msg("%s: not unknown (value %s)", action_id ? action_id : "(none)",
                 text_at(pool, json_array_get(json_object_get(payload, "actions"), 0), "value"));
    }
    expect_text("action_id", got, action_id);
}

static void test_button_unknown_values(void **state)
{
    static const char *const cases[][2] = {
        {"sap_delete", VALUE_FULL},
        {"sap_approve_all", VALUE_FULL},
        {"sap_approve", NULL},
        {"sap_approve", ""},
        {"sap_approve", "approve"},
        {"sap_approve", "[1]"},
        {"sap_approve", "{\"v\":2,\"p\":\"jira\",\"a\":\"A-1001\",\"s\":\"S-1\"}"},
        {"sap_approve", "{\"v\":\"1\",\"p\":\"jira\",\"a\":\"A-1001\",\"s\":\"S-1\"}"},
        {"sap_approve", "{\"p\":\"jira\",\"a\":\"A-1001\",\"s\":\"S-1\"}"},
        {"sap_approve", "{\"v\":1,\"p\":\"github\",\"a\":\"A-1001\",\"s\":\"S-1\"}"},
        {"sap_approve", "{\"v\":1,\"a\":\"A-1001\",\"s\":\"S-1\"}"},
        {"sap_approve", "{\"v\":1,\"p\":\"jira\",\"s\":\"S-1\"}"},
        {"sap_approve", "{\"v\":1,\"p\":\"jira\",\"a\":\"A-1001\",\"s\":\"\"}"},
        {"sap_approve", "{\"v\":1,\"p\":\"jira\",\"a\":1001,\"s\":\"S-1\"}"},
    };
    apr_pool_t *pool = *state;
    apr_size_t i;

    for (i = 0; i < COUNT(cases); i++) {
        expect_unknown(pool, block_actions(pool, cases[i][0], cases[i][1]), cases[i][0]);
    }
}

static const char *value_with_ids(apr_pool_t *pool, apr_size_t approval_len, apr_size_t step_len)
{
    return apr_psprintf(pool, "{\"v\":1,\"p\":\"jira\",\"a\":\"%s\",\"s\":\"%s\"}",
                        repeat(pool, 'a', approval_len), repeat(pool, 's', step_len));
}

static void test_button_id_bounds(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click;
    const char *action_id;
    json_t *longest = block_actions(pool, "sap_approve", value_with_ids(pool, 200, 200));

    assert_int_equal(clicked(pool, longest, &click, &action_id), SAP_BUTTON_DECISION);
    assert_int_equal(strlen(click.approval_id), 200);
    assert_int_equal(strlen(click.step_id), 200);
    expect_unknown(pool, block_actions(pool, "sap_approve", value_with_ids(pool, 201, 1)),
                   "sap_approve");
    expect_unknown(pool, block_actions(pool, "sap_approve", value_with_ids(pool, 1, 201)),
                   "sap_approve");
    /* a delegate id that is not usable refuses the click (dropping it would
     * make the decision the clicker's own) */
    expect_unknown(pool, block_actions(pool, "sap_approve",
                                       apr_psprintf(pool, "{\"v\":1,\"p\":\"jira\",\"a\":\"A-1\","
                                                    "\"s\":\"S-1\",\"d\":\"%s\"}",
                                                    repeat(pool, 'd', 201))),
                   "sap_approve");
}

static void test_button_unknown_payloads(void **state)
{
    apr_pool_t *pool = *state;
    json_t *no_actions = block_actions(pool, "sap_approve", VALUE_FULL);
    json_t *empty_actions = block_actions(pool, "sap_approve", VALUE_FULL);
    json_t *no_user = block_actions(pool, "sap_approve", VALUE_FULL);
    json_t *no_user_id = block_actions(pool, "sap_approve", VALUE_FULL);
    json_t *no_team = block_actions(pool, "sap_approve", VALUE_FULL);

    drop(no_actions, NULL, "actions");
    put(empty_actions, NULL, "actions", json_array());
    drop(no_user, NULL, "user");
    drop(no_user_id, "user", "id");
    drop(no_team, NULL, "team");
    drop(no_team, "user", "team_id");
    expect_unknown(pool, no_actions, NULL);
    expect_unknown(pool, empty_actions, NULL);
    expect_unknown(pool, block_actions(pool, NULL, VALUE_FULL), NULL);
    expect_unknown(pool, no_user, "sap_approve");
    expect_unknown(pool, no_user_id, "sap_approve");
    expect_unknown(pool, no_team, "sap_approve");
}

/* ---------------------------------------------------------------- sap_interaction_modal */

static json_t *event_new(apr_pool_t *pool)
{
    return owned(pool, loaded(EVENT_TEXT));
}

/* The event of a vote step with options o1…oN labelled "Option 1"…. */
static json_t *vote_event(apr_pool_t *pool, int count, int multiple)
{
    json_t *event = event_new(pool), *options = json_array();
    int i;

    for (i = 1; i <= count; i++) {
        json_array_append_new(options, json_pack("{s:s, s:s}", "id", apr_psprintf(pool, "o%d", i),
                                                 "label", apr_psprintf(pool, "Option %d", i)));
    }
    put(event, "step", "vote", json_pack("{s:b, s:o}", "multiple", multiple, "options", options));
    return event;
}

static json_t *modal_of(apr_pool_t *pool, const sap_click_t *click, const json_t *event)
{
    const char *error = NULL;
    json_t *view = sap_interaction_modal(pool, click, event, &error);

    if (!view) {
        fail_msg("no modal: %s", error ? error : "(no reason)");
    }
    return owned(pool, view);
}

static void expect_no_modal(apr_pool_t *pool, const sap_click_t *click, const json_t *event)
{
    const char *error = NULL;
    json_t *view = sap_interaction_modal(pool, click, event, &error);

    if (view) {
        json_decref(view);
        fail_msg("a modal was built");
    }
    assert_non_null(error);
    assert_true(*error != '\0');
}

static const json_t *block_of(const json_t *view, size_t index)
{
    return json_array_get(json_object_get(view, "blocks"), index);
}

static const char *intro_of(apr_pool_t *pool, const json_t *view)
{
    return text_at(pool, block_of(view, 0), "text.text");
}

/* The private_metadata, parsed (owned by pool). */
static json_t *metadata_of(apr_pool_t *pool, const json_t *view)
{
    const char *text = json_string_value(json_object_get(view, "private_metadata"));

    assert_non_null(text);
    assert_true(strlen(text) <= 3000);
    return owned(pool, loaded(text));
}

static void test_modal_approve_comment(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = click_of(pool, "approve");
    json_t *view = modal_of(pool, &click, event_new(pool));
    json_t *rest = owned(pool, json_deep_copy(view));

    expect_json(metadata_of(pool, view), APPROVE_METADATA);
    drop(rest, NULL, "private_metadata");
    expect_json(rest, APPROVE_VIEW);
}

static void test_modal_titles(void **state)
{
    static const char *const cases[][3] = {
        {"approve", "Approve", "You are approving "},
        {"reject", "Reject", "You are rejecting "},
        {"abstain", "Abstain", "You are abstaining on "},
    };
    apr_pool_t *pool = *state;
    apr_size_t i;

    for (i = 0; i < COUNT(cases); i++) {
        sap_click_t click = click_of(pool, cases[i][0]);
        json_t *view = modal_of(pool, &click, event_new(pool));
        const char *title = text_at(pool, view, "title.text");

        expect_text("title", title, cases[i][1]);
        expect_text("submit", text_at(pool, view, "submit.text"), cases[i][1]);
        assert_true(strlen(title) <= 24);
        expect_text("intro", intro_of(pool, view),
                    apr_pstrcat(pool, cases[i][2],
                                "*Budget sign-off* (FIN-12 Q3 budget) on behalf of *Cy*.", NULL));
        expect_text("decision", text_at(pool, metadata_of(pool, view), "k"), cases[i][0]);
    }
}

static void test_modal_intro_escaped(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = click_of(pool, "reject");
    json_t *event = event_new(pool);

    put(event, "approval", "name", json_string("<script>& co"));
    put(json_object_get(event, "approval"), "subject", "title", json_string("a > b"));
    put(json_array_get(json_object_get(event, "recipients"), 1), NULL, "display_name",
        json_string("<!channel>"));
    expect_text("intro", intro_of(pool, modal_of(pool, &click, event)),
                "You are rejecting *&lt;script&gt;&amp; co* (FIN-12 a &gt; b)"
                " on behalf of *&lt;!channel&gt;*.");
}

static void test_modal_intro_variants(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = click_of(pool, "approve");
    json_t *event = event_new(pool), *long_name = event_new(pool);
    const char *intro;

    /* a delegate not among the recipients: the account id */
    click.delegate_of = "u-zz";
    expect_text("unknown delegate", intro_of(pool, modal_of(pool, &click, event)),
                "You are approving *Budget sign-off* (FIN-12 Q3 budget) on behalf of *u-zz*.");
    /* no delegate, no key */
    click.delegate_of = NULL;
    drop(json_object_get(event, "approval"), "subject", "key");
    expect_text("no delegate", intro_of(pool, modal_of(pool, &click, event)),
                "You are approving *Budget sign-off* (Q3 budget).");
    /* no event (the step is gone from the store) */
    expect_text("no event", intro_of(pool, modal_of(pool, &click, NULL)),
                "You are approving this approval.");
    /* cut at 3000 characters: 2999 and "…" */
    put(long_name, "approval", "name", json_string(repeat(pool, 'n', 4000)));
    intro = intro_of(pool, modal_of(pool, &click, long_name));
    assert_int_equal(strlen(intro), 2999 + strlen(ELLIPSIS));
    assert_string_equal(intro + 2999, ELLIPSIS);
    assert_memory_equal(intro, "You are approving *nnn", 22);
}

static void test_modal_vote_elements(void **state)
{
    static const struct {
        int count, multiple;
        const char *type, *placeholder, *label;
    } cases[] = {
        {1, 0, "radio_buttons", NULL, "Your choice"},
        {3, 0, "radio_buttons", NULL, "Your choice"},
        {3, 1, "checkboxes", NULL, "Your choices"},
        {10, 0, "radio_buttons", NULL, "Your choice"},
        {10, 1, "checkboxes", NULL, "Your choices"},
        {11, 0, "static_select", "Choose an option", "Your choice"},
        {11, 1, "multi_static_select", "Choose options", "Your choices"},
        {100, 0, "static_select", "Choose an option", "Your choice"},
        {100, 1, "multi_static_select", "Choose options", "Your choices"},
    };
    apr_pool_t *pool = *state;
    apr_size_t i;

    for (i = 0; i < COUNT(cases); i++) {
        sap_click_t click = click_of(pool, "vote");
        json_t *view;
        const json_t *input;

        click.comment_required = 0;
        view = modal_of(pool, &click, vote_event(pool, cases[i].count, cases[i].multiple));
        input = block_of(view, 1);
        expect_text("callback", text_at(pool, view, "callback_id"), "sap_vote");
        expect_text("title", text_at(pool, view, "title.text"), "Vote");
        expect_text("submit", text_at(pool, view, "submit.text"), "Submit vote");
        assert_int_equal(json_array_size(json_object_get(view, "blocks")), 2);
        assert_memory_equal(intro_of(pool, view), "You are voting on *Budget", 25);
        expect_text("block", text_at(pool, input, "block_id"), "sap_vote_options");
        expect_text("label", text_at(pool, input, "label.text"), cases[i].label);
        expect_text("type", text_at(pool, input, "element.type"), cases[i].type);
        expect_text("action", text_at(pool, input, "element.action_id"), "options");
        expect_text("placeholder", text_at(pool, input, "element.placeholder.text"),
                    cases[i].placeholder);
        assert_int_equal(json_array_size(path_get(pool, input, "element.options")),
                         cases[i].count);
        expect_json(json_array_get(path_get(pool, input, "element.options"), 0),
                    SELECTED("o1", "Option 1"));
    }
}

static void test_modal_vote_refused(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = click_of(pool, "vote");
    json_t *long_id = vote_event(pool, 2, 0);

    put(json_array_get(path_get(pool, long_id, "step.vote.options"), 1), NULL, "id",
        json_string(repeat(pool, 'i', 151)));
    expect_no_modal(pool, &click, vote_event(pool, 0, 0));
    expect_no_modal(pool, &click, vote_event(pool, 0, 1));
    expect_no_modal(pool, &click, vote_event(pool, 101, 0));
    expect_no_modal(pool, &click, vote_event(pool, 101, 1));
    expect_no_modal(pool, &click, event_new(pool));   /* no step.vote */
    expect_no_modal(pool, &click, NULL);
    expect_no_modal(pool, &click, long_id);
}

static void test_modal_vote_option_labels(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = click_of(pool, "vote");
    json_t *event = vote_event(pool, 3, 0);
    const json_t *options = path_get(pool, event, "step.vote.options");
    const json_t *shown;

    put(json_array_get(options, 0), NULL, "label",
        json_string("Ship the Q3 budget as proposed, including the extra headcount for the "
                    "platform team"));
    drop(json_array_get(options, 1), NULL, "label");
    put(json_array_get(options, 2), NULL, "id", json_string(repeat(pool, 'i', 150)));
    shown = path_get(pool, block_of(modal_of(pool, &click, event), 1), "element.options");
    expect_json(json_array_get(shown, 0),
                SELECTED("o1", "Ship the Q3 budget as proposed, including the extra headcount "
                               "for the plat" ELLIPSIS));
    expect_json(json_array_get(shown, 1), SELECTED("o2", "o2"));
    assert_int_equal(strlen(text_at(pool, json_array_get(shown, 2), "value")), 150);
}

static void test_modal_vote_comment_required(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = click_of(pool, "vote");
    json_t *view = modal_of(pool, &click, vote_event(pool, 3, 1));

    assert_int_equal(json_array_size(json_object_get(view, "blocks")), 3);
    expect_text("block", text_at(pool, block_of(view, 2), "block_id"), "sap_comment");
    assert_true(json_is_false(json_object_get(block_of(view, 2), "optional")));
    expect_text("element", text_at(pool, block_of(view, 2), "element.action_id"), "comment");
    expect_json(metadata_of(pool, view),
                "{\"v\":1,\"p\":\"jira\",\"a\":\"A-1001\",\"s\":\"S-1\",\"k\":\"vote\","
                "\"d\":\"u-cy\",\"c\":1,\"ch\":\"" CHANNEL "\",\"ts\":\"" TS "\","
                "\"ru\":\"" RESPONSE_URL "\"}");
}

static void test_modal_metadata_response_url(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = click_of(pool, "approve");
    const char *base = "https://hooks.slack.com/actions/";
    json_t *md;

    /* the longest ids the intake lets through, and a 1499-byte response_url */
    click.approval_id = repeat(pool, 'a', 200);
    click.step_id = repeat(pool, 's', 200);
    click.delegate_of = repeat(pool, 'd', 200);
    click.response_url = apr_pstrcat(pool, base, repeat(pool, 'x', 1499 - strlen(base)), NULL);
    md = metadata_of(pool, modal_of(pool, &click, NULL));
    expect_text("ru", text_at(pool, md, "ru"), click.response_url);
    expect_text("d", text_at(pool, md, "d"), click.delegate_of);

    click.response_url = apr_pstrcat(pool, base, repeat(pool, 'x', 1501 - strlen(base)), NULL);
    md = metadata_of(pool, modal_of(pool, &click, NULL));
    assert_null(json_object_get(md, "ru"));
    expect_text("ts", text_at(pool, md, "ts"), TS);
    expect_text("a", text_at(pool, md, "a"), click.approval_id);
}

/* Ids that do not fit in private_metadata: no modal, and nothing leaked
 * (ASan reports the vote element of a vote modal otherwise). */
static void test_modal_metadata_too_big(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = click_of(pool, "approve");

    click.channel_id = repeat(pool, 'C', 2900);
    expect_no_modal(pool, &click, event_new(pool));
    click.decision = "vote";
    expect_no_modal(pool, &click, vote_event(pool, 3, 0));
}

/* ---------------------------------------------------------------- sap_interaction_submission */

/* A view_submission of a modal as Slack sends it; callback and metadata
 * are left out when NULL. values is taken. */
static json_t *view_submission(apr_pool_t *pool, const char *callback, const char *metadata,
                               json_t *values)
{
    return owned(pool, json_pack(
        "{s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s}, s:s, s:s, s:s, s:b, s:n,"
        " s:{s:s, s:s, s:s, s:s*, s:s*, s:{s:o}, s:s, s:n, s:s, s:s}, s:[]}",
        "type", SAP_PAYLOAD_VIEW_SUBMISSION,
        "team", "id", TEAM, "domain", "example",
        "user", "id", USER, "username", "ada", "name", "ada", "team_id", USER_TEAM,
        "api_app_id", "A0APP", "token", "legacy", "trigger_id", TRIGGER_SUBMIT,
        "is_enterprise_install", 0, "enterprise",
        "view", "id", "V0MODAL", "team_id", TEAM, "type", "modal", "callback_id", callback,
        "private_metadata", metadata, "state", "values", values, "hash", "1764324100.Xy",
        "previous_view_id", "root_view_id", "V0MODAL", "app_id", "A0APP",
        "response_urls"));
}

static json_t *comment_state(const char *comment)
{
    return json_pack("{s:{s:{s:s, s:o}}}", "sap_comment", "comment", "type", "plain_text_input",
                     "value", comment ? json_string(comment) : json_null());
}

/* The private_metadata of the modal this click opens. */
static const char *modal_metadata(apr_pool_t *pool, const sap_click_t *click)
{
    json_t *event = strcmp(click->decision, "vote") ? event_new(pool) : vote_event(pool, 3, 1);

    return json_string_value(json_object_get(modal_of(pool, click, event), "private_metadata"));
}

static apr_status_t submitted(apr_pool_t *pool, const json_t *payload, sap_click_t *click,
                              json_t **perrors)
{
    apr_status_t rv;

    memset(click, 0, sizeof(*click));
    *perrors = NULL;
    rv = sap_interaction_submission(pool, payload, click, perrors);
    if (*perrors) {
        owned(pool, *perrors);
    }
    return rv;
}

/* Submits the modal the button opens, with these state values (taken). */
static apr_status_t submit_modal(apr_pool_t *pool, const sap_click_t *button, json_t *values,
                                 sap_click_t *click, json_t **perrors)
{
    const char *callback = strcmp(button->decision, "vote") ? "sap_decision" : "sap_vote";

    return submitted(pool, view_submission(pool, callback, modal_metadata(pool, button), values),
                     click, perrors);
}

/* Accepted: the button's click, with the submission's trigger, the
 * comment and the votes ("o1,o3"). */
static void expect_submitted(apr_pool_t *pool, const sap_click_t *button, json_t *values,
                             const char *comment, const char *votes)
{
    sap_click_t click, want = *button;
    json_t *errors;

    assert_int_equal(submit_modal(pool, button, values, &click, &errors), APR_SUCCESS);
    assert_null(errors);
    want.trigger_id = TRIGGER_SUBMIT;
    want.comment = comment;
    expect_click(pool, &click, &want, votes);
}

static void expect_accepted(apr_pool_t *pool, const char *decision, json_t *values,
                            const char *comment, const char *votes)
{
    sap_click_t button = click_of(pool, decision);

    expect_submitted(pool, &button, values, comment, votes);
}

/* Refused with errors on exactly these blocks. */
static void expect_errors(apr_pool_t *pool, const char *decision, json_t *values,
                          const char *block, const char *other_block)
{
    sap_click_t button = click_of(pool, decision), click;
    json_t *errors;

    assert_int_equal(submit_modal(pool, &button, values, &click, &errors), APR_EINVAL);
    assert_non_null(errors);
    assert_int_equal(json_object_size(errors), other_block ? 2 : 1);
    assert_true(json_string_length(json_object_get(errors, block)) > 0);
    if (other_block) {
        assert_true(json_string_length(json_object_get(errors, other_block)) > 0);
    }
}

static void test_submission_comment(void **state)
{
    apr_pool_t *pool = *state;
    const char *accented = apr_pstrcat(pool, repeat(pool, 'x', 2999), "\xC3\xA9", NULL);

    expect_accepted(pool, "approve", comment_state("  ok  "), "ok", "");
    expect_accepted(pool, "reject", comment_state("\n Not\tnow \n"), "Not\tnow", "");
    expect_accepted(pool, "abstain", comment_state(repeat(pool, 'c', 3000)),
                    repeat(pool, 'c', 3000), "");
    /* 3000 characters in 3001 bytes: Slack counts characters */
    expect_accepted(pool, "approve", comment_state(apr_pstrcat(pool, " ", accented, NULL)),
                    accented, "");
}

static void test_submission_comment_refused(void **state)
{
    apr_pool_t *pool = *state;
    json_t *no_block = json_object();

    expect_errors(pool, "approve", comment_state(NULL), "sap_comment", NULL);
    expect_errors(pool, "approve", comment_state(""), "sap_comment", NULL);
    expect_errors(pool, "reject", comment_state(" \t\n  "), "sap_comment", NULL);
    expect_errors(pool, "approve", no_block, "sap_comment", NULL);
    expect_errors(pool, "approve", comment_state(repeat(pool, 'c', 3001)), "sap_comment", NULL);
    /* 2999 characters and an emoji: 3001 UTF-16 units */
    expect_errors(pool, "approve",
                  comment_state(apr_pstrcat(pool, repeat(pool, 'c', 2999), "\xF0\x9F\x98\x80",
                                            NULL)), "sap_comment", NULL);
}

static json_t *vote_state(const char *text, json_t *comment)
{
    json_t *values = loaded(text);

    if (comment) {
        json_object_update(values, comment);
        json_decref(comment);
    }
    return values;
}

static void test_submission_votes(void **state)
{
    apr_pool_t *pool = *state;

    expect_accepted(pool, "vote",
                    vote_state(VOTE_STATE("radio_buttons", "\"selected_option\": "
                                          SELECTED("o2", "Option 2")), comment_state("fine")),
                    "fine", "o2");
    expect_accepted(pool, "vote",
                    vote_state(VOTE_STATE("checkboxes", "\"selected_options\": ["
                                          SELECTED("o1", "Option 1") ", "
                                          SELECTED("o3", "Option 3") "]"),
                               comment_state(" yes ")),
                    "yes", "o1,o3");
    expect_accepted(pool, "vote",
                    vote_state(VOTE_STATE("multi_static_select", "\"selected_options\": ["
                                          SELECTED("o3", "Option 3") ", "
                                          SELECTED("o1", "Option 1") "]"),
                               comment_state("x")),
                    "x", "o3,o1");
}

static void test_submission_vote_optional_comment(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t button = click_of(pool, "vote");

    button.comment_required = 0;
    expect_submitted(pool, &button,
                     vote_state(VOTE_STATE("static_select", "\"selected_option\": "
                                           SELECTED("o1", "Option 1")), NULL),
                     NULL, "o1");
}

static void test_submission_no_vote(void **state)
{
    apr_pool_t *pool = *state;

    expect_errors(pool, "vote",
                  vote_state(VOTE_STATE("radio_buttons", "\"selected_option\": null"),
                             comment_state("ok")), "sap_vote_options", NULL);
    expect_errors(pool, "vote",
                  vote_state(VOTE_STATE("checkboxes", "\"selected_options\": []"),
                             comment_state("ok")), "sap_vote_options", NULL);
    expect_errors(pool, "vote",
                  vote_state(VOTE_STATE("checkboxes", "\"selected_options\": []"),
                             comment_state(NULL)), "sap_vote_options", "sap_comment");
}

static void expect_not_ours(apr_pool_t *pool, json_t *payload)
{
    sap_click_t click;
    json_t *errors;

    if (submitted(pool, payload, &click, &errors) != APR_NOTFOUND) {
        fail_msg("taken as ours: %s / %s", text_at(pool, payload, "view.callback_id"),
                 text_at(pool, payload, "view.private_metadata"));
    }
    assert_null(errors);
}

/* The step of private_metadata, without version and decision. */
#define MD_STEP "\"p\":\"jira\",\"a\":\"A-1001\",\"s\":\"S-1\""

static void test_submission_not_ours(void **state)
{
    static const char *const cases[][2] = {
        {"sap_other", NULL},
        {NULL, NULL},
        {"sap_decision", "not json"},
        {"sap_decision", "[1]"},
        {"sap_decision", ""},
        /* a vote's metadata under the comment modal, and the other way */
        {"sap_decision", "{\"v\":1," MD_STEP ",\"k\":\"vote\"}"},
        {"sap_vote", "{\"v\":1," MD_STEP ",\"k\":\"approve\"}"},
        {"sap_decision", "{\"v\":2," MD_STEP ",\"k\":\"approve\"}"},
        {"sap_decision", "{\"v\":1," MD_STEP ",\"k\":\"delete\"}"},
        {"sap_decision", "{\"v\":1," MD_STEP "}"},
        {"sap_decision", "{\"v\":1,\"p\":\"github\",\"a\":\"A-1001\",\"s\":\"S-1\","
                         "\"k\":\"approve\"}"},
    };
    apr_pool_t *pool = *state;
    sap_click_t button = click_of(pool, "approve");
    json_t *no_user = view_submission(pool, "sap_decision", modal_metadata(pool, &button),
                                      comment_state("ok"));
    apr_size_t i;

    for (i = 0; i < COUNT(cases); i++) {
        const char *metadata = cases[i][1] ? cases[i][1] : modal_metadata(pool, &button);

        expect_not_ours(pool, view_submission(pool, cases[i][0], metadata, comment_state("ok")));
    }
    drop(no_user, NULL, "user");
    expect_not_ours(pool, no_user);
}

/* ---------------------------------------------------------------- jobs */

static void expect_request_id(const char *id)
{
    apr_size_t i;

    assert_non_null(id);
    assert_int_equal(strlen(id), 64);
    for (i = 0; i < 64; i++) {
        if (!strchr("0123456789abcdef", id[i])) {
            fail_msg("request_id %s: not lowercase hex", id);
        }
    }
}

static json_t *job_of(apr_pool_t *pool, const sap_click_t *click, const char **prequest_id)
{
    const char *payload = NULL;

    assert_int_equal(sap_interaction_job(pool, click, &payload, prequest_id), APR_SUCCESS);
    expect_request_id(*prequest_id);
    assert_non_null(payload);
    return owned(pool, loaded(payload));
}

static const char *request_id_of(apr_pool_t *pool, const sap_click_t *click)
{
    const char *id = NULL;

    job_of(pool, click, &id);
    return id;
}

/* Who, where and which step, in a job's payload (click_of). */
#define JOB_WHERE \
    "\"team\":\"" TEAM "\",\"user\":\"" USER "\",\"ch\":\"" CHANNEL "\",\"ts\":\"" TS "\"," \
    "\"ru\":\"" RESPONSE_URL "\",\"p\":\"jira\",\"a\":\"A-1001\",\"s\":\"S-1\",\"d\":\"u-cy\""

/* A vote with every field set. */
static sap_click_t full_click(apr_pool_t *pool)
{
    sap_click_t click = click_of(pool, "vote");

    click.comment = "Looks right";
    vote_add(&click, "o3");
    vote_add(&click, "o1");
    return click;
}

static void test_job_round_trip(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = full_click(pool), back, want = full_click(pool);
    const char *request_id = NULL, *back_id = NULL;
    json_t *job = job_of(pool, &click, &request_id);

    expect_text("rid", text_at(pool, job, "rid"), request_id);
    assert_null(sap_interaction_job_notice(job));
    assert_int_equal(sap_interaction_from_job(pool, job, &back, &back_id), APR_SUCCESS);
    expect_text("request_id", back_id, request_id);
    /* the trigger and comment_required serve the request only */
    want.trigger_id = NULL;
    want.comment_required = 0;
    expect_click(pool, &back, &want, "o3,o1");
    drop(job, NULL, "rid");
    expect_json(job,
                "{" JOB_WHERE ",\"k\":\"vote\",\"comment\":\"Looks right\","
                "\"votes\":[\"o3\",\"o1\"]}");
}

static void test_job_round_trip_minimal(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = click_of(pool, "approve"), back;
    const char *request_id = NULL, *back_id = NULL;
    json_t *job;

    click.channel_id = click.message_ts = click.response_url = click.delegate_of = NULL;
    job = job_of(pool, &click, &request_id);
    assert_int_equal(sap_interaction_from_job(pool, job, &back, &back_id), APR_SUCCESS);
    click.trigger_id = NULL;
    click.comment_required = 0;
    expect_click(pool, &back, &click, "");
    expect_text("request_id", back_id, request_id);
}

static void test_request_id_stable(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = full_click(pool), again = full_click(pool);

    assert_string_equal(request_id_of(pool, &click), request_id_of(pool, &click));
    /* a double click: another trigger and response_url, the same decision */
    again.trigger_id = "9999.1.zzz";
    again.response_url = "https://hooks.slack.com/actions/T0TEAM/9999/other";
    again.comment_required = 0;
    assert_string_equal(request_id_of(pool, &again), request_id_of(pool, &click));
}

static void test_request_id_changes(void **state)
{
    static const struct {
        size_t offset;
        const char *value;
    } changes[] = {
        {offsetof(sap_click_t, team_id), "T0OTHER"},
        {offsetof(sap_click_t, user_id), "U0BOB"},
        {offsetof(sap_click_t, channel_id), "C0OTHER"},
        {offsetof(sap_click_t, message_ts), "1764324000.000101"},
        {offsetof(sap_click_t, product), "confluence"},
        {offsetof(sap_click_t, approval_id), "A-1002"},
        {offsetof(sap_click_t, step_id), "S-2"},
        {offsetof(sap_click_t, decision), "approve"},
        {offsetof(sap_click_t, comment), "Looks right."},
        {offsetof(sap_click_t, comment), NULL},
        {offsetof(sap_click_t, delegate_of), "u-bo"},
        {offsetof(sap_click_t, delegate_of), NULL},
    };
    apr_pool_t *pool = *state;
    sap_click_t base = full_click(pool), votes = full_click(pool), fewer = full_click(pool);
    const char *id = request_id_of(pool, &base);
    apr_size_t i;

    for (i = 0; i < COUNT(changes); i++) {
        sap_click_t changed = full_click(pool);

        *(const char **)((char *)&changed + changes[i].offset) = changes[i].value;
        if (!strcmp(request_id_of(pool, &changed), id)) {
            fail_msg("change %lu kept the request_id", (unsigned long)i);
        }
    }
    vote_add(&votes, "o2");
    assert_string_not_equal(request_id_of(pool, &votes), id);
    fewer.votes->nelts = 1;
    assert_string_not_equal(request_id_of(pool, &fewer), id);
}

/* Fields run together must not make two decisions one: the comment is
 * free text and may hold any character. */
static void test_request_id_unambiguous(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t one = click_of(pool, "vote"), other = click_of(pool, "vote");

    one.comment = "fine\x1fo1";
    vote_add(&one, "o2");
    other.comment = "fine";
    vote_add(&other, "o1");
    vote_add(&other, "o2");
    assert_string_not_equal(request_id_of(pool, &one), request_id_of(pool, &other));
}

static void test_notice_job(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = click_of(pool, "approve"), back, want = click_of(pool, NULL);
    const char *text = sap_interaction_notice_job(pool, &click, SAP_NOTICE_UNSUPPORTED);
    const char *request_id = "unset";
    json_t *job;

    assert_non_null(text);
    job = owned(pool, loaded(text));
    expect_json(job,
                "{" JOB_WHERE ",\"notice\":\"unsupported\"}");
    expect_text("notice", sap_interaction_job_notice(job), "unsupported");
    assert_int_equal(sap_interaction_from_job(pool, job, &back, &request_id), APR_SUCCESS);
    assert_null(request_id);
    want.trigger_id = NULL;
    want.comment_required = 0;
    expect_click(pool, &back, &want, "");
}

/* An unknown button: only who clicked is known. */
static void test_notice_job_minimal(void **state)
{
    apr_pool_t *pool = *state;
    sap_click_t click = {.team_id = TEAM, .user_id = USER};
    const char *text = sap_interaction_notice_job(pool, &click, SAP_NOTICE_MODAL);

    assert_non_null(text);
    expect_json(owned(pool, loaded(text)),
                "{\"team\":\"" TEAM "\",\"user\":\"" USER "\",\"notice\":\"modal_failed\"}");
}

static void test_from_job_refused(void **state)
{
    static const char *const jobs[] = {
        "{}",
        "{\"user\":\"" USER "\",\"k\":\"approve\",\"rid\":\"ab\"}",
        "{\"team\":\"" TEAM "\",\"k\":\"approve\"}",
        "{\"team\":\"\",\"user\":\"" USER "\"}",
        "{\"team\":\"" TEAM "\",\"user\":7}",
        "[\"" TEAM "\",\"" USER "\"]",
    };
    apr_pool_t *pool = *state;
    apr_size_t i;

    for (i = 0; i < COUNT(jobs); i++) {
        sap_click_t click;
        const char *request_id;

        if (sap_interaction_from_job(pool, owned(pool, loaded(jobs[i])), &click, &request_id)
            != APR_EINVAL) {
            fail_msg("%s accepted", jobs[i]);
        }
    }
}

/* ---------------------------------------------------------------- sap_decision_past */

static void test_decision_past(void **state)
{
    static const char *const cases[][2] = {
        {"approve", "approved"}, {"reject", "rejected"}, {"abstain", "abstained"},
        {"vote", "voted"}, {"delete", "decided"}, {"", "decided"}, {"Approve", "decided"},
    };
    apr_size_t i;

    for (i = 0; i < COUNT(cases); i++) {
        expect_text(cases[i][0], sap_decision_past(cases[i][0]), cases[i][1]);
    }
    expect_text("NULL", sap_decision_past(NULL), "decided");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SAP_POOL_TEST(test_form_slack_encoding),
        SAP_POOL_TEST(test_form_payload_not_first),
        SAP_POOL_TEST(test_form_refused),
        SAP_POOL_TEST(test_form_not_utf8),
        SAP_POOL_TEST(test_button_decisions),
        SAP_POOL_TEST(test_button_plain_value),
        SAP_POOL_TEST(test_button_fallbacks),
        SAP_POOL_TEST(test_button_links),
        SAP_POOL_TEST(test_button_unknown_values),
        SAP_POOL_TEST(test_button_id_bounds),
        SAP_POOL_TEST(test_button_unknown_payloads),
        SAP_POOL_TEST(test_modal_approve_comment),
        SAP_POOL_TEST(test_modal_titles),
        SAP_POOL_TEST(test_modal_intro_escaped),
        SAP_POOL_TEST(test_modal_intro_variants),
        SAP_POOL_TEST(test_modal_vote_elements),
        SAP_POOL_TEST(test_modal_vote_refused),
        SAP_POOL_TEST(test_modal_vote_option_labels),
        SAP_POOL_TEST(test_modal_vote_comment_required),
        SAP_POOL_TEST(test_modal_metadata_response_url),
        SAP_POOL_TEST(test_modal_metadata_too_big),
        SAP_POOL_TEST(test_submission_comment),
        SAP_POOL_TEST(test_submission_comment_refused),
        SAP_POOL_TEST(test_submission_votes),
        SAP_POOL_TEST(test_submission_vote_optional_comment),
        SAP_POOL_TEST(test_submission_no_vote),
        SAP_POOL_TEST(test_submission_not_ours),
        SAP_POOL_TEST(test_job_round_trip),
        SAP_POOL_TEST(test_job_round_trip_minimal),
        SAP_POOL_TEST(test_request_id_stable),
        SAP_POOL_TEST(test_request_id_changes),
        SAP_POOL_TEST(test_request_id_unambiguous),
        SAP_POOL_TEST(test_notice_job),
        SAP_POOL_TEST(test_notice_job_minimal),
        SAP_POOL_TEST(test_from_job_refused),
        cmocka_unit_test(test_decision_past),
    };

    return cmocka_run_group_tests_name("sap_interactions", tests, sap_test_group_setup,
                                       sap_test_group_teardown);
}
