/* Unit tests of sap_blocks: the Block Kit layout of notifications, its
 * buttons, and Slack's limits whatever the input.
 *
 * Every message built here is checked against Slack's limits, and, when
 * SAP_BLOCKS_DUMP names a file, appended to it (one compact JSON a line)
 * for t/unit/check-blocks.js to run through the fake Slack's validator. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "helper_fixtures.h"
#include "sap_blocks.h"

#define TITLE "Approval requested"
#define BODY "Please review *Budget sign-off*."
#define APPROVAL_URL "https://jira.example.com/browse/FIN-12?approval=A-1001"
#define EMOJI "\xF0\x9F\x98\x80"        /* U+1F600: 4 bytes, 2 UTF-16 units */
#define ELLIPSIS "\xE2\x80\xA6"
#define MIDDLE_DOT "\xC2\xB7"

#define BASE_EVENT \
    "{\"event_id\": \"e-1\", \"type\": \"approval_requested\", \"product\": \"jira\"," \
    " \"occurred_at\": \"2026-11-28T10:00:00Z\"," \
    " \"approval\": {\"id\": \"A-1001\", \"name\": \"Budget sign-off\"," \
    "   \"url\": \"" APPROVAL_URL "\", \"status\": \"pending\"," \
    "   \"definition\": {\"id\": \"D-7\", \"name\": \"Finance approval\"}," \
    "   \"subject\": {\"key\": \"FIN-12\", \"title\": \"Q3 budget\"," \
    "     \"url\": \"https://jira.example.com/browse/FIN-12\"," \
    "     \"container\": {\"key\": \"FIN\", \"name\": \"Finance\"}}," \
    "   \"requester\": {\"account_id\": \"u-1\", \"display_name\": \"Ada\"," \
    "     \"email\": \"ada@example.com\"}}," \
    " \"step\": {\"id\": \"S-1\", \"name\": \"Finance review\", \"kind\": \"approval\"," \
    "   \"required\": 2, \"approvers_total\": 3, \"comment_required\": false," \
    "   \"due_at\": \"2026-11-28T10:00:00Z\", \"outcome\": null," \
    "   \"progress\": {\"approved\": 1, \"rejected\": 0, \"abstained\": 0, \"pending\": 2}," \
    "   \"decisions\": []}," \
    " \"recipients\": [], \"decision\": null, \"reassigned\": null," \
    " \"options\": {\"actions_without_login\": true, \"action_buttons\": true}}"

/* ---------------------------------------------------------------- fixtures */

static apr_status_t json_release(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

static json_t *owned(apr_pool_t *pool, json_t *value)
{
    apr_pool_cleanup_register(pool, value, json_release, apr_pool_cleanup_null);
    return value;
}

static json_t *event_new(apr_pool_t *pool)
{
    json_error_t error;
    json_t *event = json_loads(BASE_EVENT, 0, &error);

    assert_non_null(event);
    return owned(pool, event);
}

/* The object at a dotted path, created on the way when missing. */
static json_t *path_parent(apr_pool_t *pool, json_t *event, const char *path, const char **plast)
{
    char *copy = apr_pstrdup(pool, path), *dot;
    json_t *object = event;

    while ((dot = strchr(copy, '.')) != NULL) {
        json_t *next;

        *dot = '\0';
        next = json_object_get(object, copy);
        if (!json_is_object(next)) {
            next = json_object();
            assert_int_equal(json_object_set_new(object, copy, next), 0);
        }
        object = next;
        copy = dot + 1;
    }
    *plast = copy;
    return object;
}

/* event[path] = value (stolen); a NULL value removes the member. */
static void event_set(apr_pool_t *pool, json_t *event, const char *path, json_t *value)
{
    const char *key;
    json_t *parent = path_parent(pool, event, path, &key);

    if (value) {
        assert_int_equal(json_object_set_new(parent, key, value), 0);
    }
    else {
        json_object_del(parent, key);
    }
}

static sap_blocks_input_t input_for(json_t *event)
{
    sap_blocks_input_t in;

    memset(&in, 0, sizeof(in));
    in.event = event;
    in.type_title = TITLE;
    in.body_mrkdwn = BODY;
    return in;
}

static char *repeat(apr_pool_t *pool, const char *unit, int times)
{
    apr_size_t len = strlen(unit);
    char *text = apr_palloc(pool, len * (apr_size_t)times + 1);
    int i;

    for (i = 0; i < times; i++) {
        memcpy(text + len * (apr_size_t)i, unit, len);
    }
    text[len * (apr_size_t)times] = '\0';
    return text;
}

static int ends_with(const char *text, const char *suffix)
{
    apr_size_t len = strlen(text), suffix_len = strlen(suffix);

    return len >= suffix_len && strcmp(text + len - suffix_len, suffix) == 0;
}

/* ---------------------------------------------------------------- Slack's limits */

static const char *member_string(const json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

/* A text object's text: of the type (when given), 1..max units. */
static const char *text_checked(const json_t *object, const char *type, apr_size_t max)
{
    const char *text = member_string(object, "text");

    assert_non_null(text);
    if (type) {
        assert_string_equal(member_string(object, "type"), type);
    }
    assert_true(sap_text_units(text) >= 1);
    assert_true(sap_text_units(text) <= max);
    return text;
}

static void confirm_checked(const json_t *confirm)
{
    text_checked(json_object_get(confirm, "title"), "plain_text", 100);
    text_checked(json_object_get(confirm, "text"), NULL, 300);
    text_checked(json_object_get(confirm, "confirm"), "plain_text", 30);
    text_checked(json_object_get(confirm, "deny"), "plain_text", 30);
}

static void button_checked(const json_t *button)
{
    const char *value = member_string(button, "value"), *url = member_string(button, "url");
    const char *style = member_string(button, "style");

    assert_string_equal(member_string(button, "type"), "button");
    text_checked(json_object_get(button, "text"), "plain_text", SAP_SLACK_MAX_BUTTON_TEXT);
    assert_non_null(member_string(button, "action_id"));
    assert_true(strlen(member_string(button, "action_id")) <= 255);
    assert_true(!value || strlen(value) <= SAP_BUTTON_VALUE_MAX);
    assert_true(!url || (*url && sap_text_units(url) <= 3000));
    assert_true(!style || strcmp(style, "primary") == 0 || strcmp(style, "danger") == 0);
    if (json_object_get(button, "confirm")) {
        confirm_checked(json_object_get(button, "confirm"));
    }
}

static void actions_checked(const json_t *block)
{
    const json_t *elements = json_object_get(block, "elements");
    size_t i, j;

    assert_string_equal(member_string(block, "block_id"), SAP_BLOCK_ACTIONS);
    assert_true(json_array_size(elements) >= 1 && json_array_size(elements) <= 25);
    for (i = 0; i < json_array_size(elements); i++) {
        button_checked(json_array_get(elements, i));
        for (j = 0; j < i; j++) {
            assert_string_not_equal(member_string(json_array_get(elements, i), "action_id"),
                                    member_string(json_array_get(elements, j), "action_id"));
        }
    }
}

static void context_checked(const json_t *block)
{
    const json_t *elements = json_object_get(block, "elements");
    size_t i;

    assert_true(json_array_size(elements) >= 1);
    assert_true(json_array_size(elements) <= SAP_SLACK_MAX_CONTEXT_ELEMS);
    for (i = 0; i < json_array_size(elements); i++) {
        text_checked(json_array_get(elements, i), "mrkdwn", 2000);
    }
}

static void block_checked(const json_t *block)
{
    const char *type = member_string(block, "type");

    assert_non_null(type);
    if (strcmp(type, "header") == 0) {
        text_checked(json_object_get(block, "text"), "plain_text", SAP_SLACK_MAX_HEADER_TEXT);
    }
    else if (strcmp(type, "section") == 0) {
        text_checked(json_object_get(block, "text"), "mrkdwn", SAP_SLACK_MAX_SECTION_TEXT);
    }
    else if (strcmp(type, "context") == 0) {
        context_checked(block);
    }
    else if (strcmp(type, "actions") == 0) {
        actions_checked(block);
    }
    else {
        fail_msg("unexpected block type %s", type);
    }
}

/* Units of every "text" string anywhere below value. */
static apr_size_t text_total(const json_t *value)
{
    apr_size_t total = 0;
    const char *key;
    json_t *member;
    size_t i;

    if (json_is_array(value)) {
        for (i = 0; i < json_array_size(value); i++) {
            total += text_total(json_array_get(value, i));
        }
    }
    json_object_foreach((json_t *)value, key, member) {
        total += strcmp(key, "text") == 0 && json_is_string(member)
                     ? sap_text_units(json_string_value(member)) : text_total(member);
    }
    return total;
}

static void slack_limits_checked(const json_t *message)
{
    const json_t *blocks = json_object_get(message, "blocks");
    const char *text = member_string(message, "text");
    size_t i;

    assert_non_null(text);
    assert_true(*text);
    assert_true(sap_text_units(text) <= SAP_SLACK_MAX_FALLBACK_TEXT);
    assert_true(json_is_array(blocks));
    assert_true(json_array_size(blocks) >= 1);
    assert_true(json_array_size(blocks) <= SAP_SLACK_MAX_BLOCKS);
    for (i = 0; i < json_array_size(blocks); i++) {
        block_checked(json_array_get(blocks, i));
    }
    assert_true(text_total(blocks) <= SAP_SLACK_MAX_BLOCKS_TEXT);
}

static void message_dump(const json_t *message)
{
    const char *path = getenv("SAP_BLOCKS_DUMP");
    FILE *out;

    if (!path || !*path) {
        return;
    }
    out = fopen(path, "a");
    assert_non_null(out);
    assert_int_equal(json_dumpf(message, out, JSON_COMPACT), 0);
    assert_int_not_equal(fputc('\n', out), EOF);
    assert_int_equal(fclose(out), 0);
}

/* Builds, checks against Slack's limits, dumps. */
static json_t *built(apr_pool_t *pool, const sap_blocks_input_t *in)
{
    json_t *message = NULL;

    assert_int_equal(sap_blocks_build(pool, in, &message), APR_SUCCESS);
    assert_non_null(message);
    owned(pool, message);
    message_dump(message);
    slack_limits_checked(message);
    return message;
}

/* ---------------------------------------------------------------- finders */

static const json_t *blocks_of(const json_t *message)
{
    return json_object_get(message, "blocks");
}

static int block_count(const json_t *message, const char *type)
{
    size_t i;
    int count = 0;

    for (i = 0; i < json_array_size(blocks_of(message)); i++) {
        count += strcmp(member_string(json_array_get(blocks_of(message), i), "type"), type) == 0;
    }
    return count;
}

static const json_t *block_find(const json_t *message, const char *type)
{
    size_t i;

    for (i = 0; i < json_array_size(blocks_of(message)); i++) {
        const json_t *block = json_array_get(blocks_of(message), i);

        if (strcmp(member_string(block, "type"), type) == 0) {
            return block;
        }
    }
    return NULL;
}

/* The action_ids of the actions block, space-separated; "" without one. */
static const char *action_ids(apr_pool_t *pool, const json_t *message)
{
    const json_t *elements = json_object_get(block_find(message, "actions"), "elements");
    apr_array_header_t *ids = apr_array_make(pool, 4, sizeof(const char *));
    size_t i;

    for (i = 0; i < json_array_size(elements); i++) {
        APR_ARRAY_PUSH(ids, const char *) = member_string(json_array_get(elements, i), "action_id");
    }
    return apr_array_pstrcat(pool, ids, ' ');
}

static const json_t *button_find(const json_t *message, const char *action_id)
{
    const json_t *elements = json_object_get(block_find(message, "actions"), "elements");
    size_t i;

    for (i = 0; i < json_array_size(elements); i++) {
        const json_t *button = json_array_get(elements, i);

        if (strcmp(member_string(button, "action_id"), action_id) == 0) {
            return button;
        }
    }
    return NULL;
}

static const char *button_label(const json_t *button)
{
    return member_string(json_object_get(button, "text"), "text");
}

/* Every text of blocks of the type ("section", "context"), one a line. */
static const char *texts_of(apr_pool_t *pool, const json_t *message, const char *type)
{
    apr_array_header_t *texts = apr_array_make(pool, 8, sizeof(const char *));
    size_t i, j;

    for (i = 0; i < json_array_size(blocks_of(message)); i++) {
        const json_t *block = json_array_get(blocks_of(message), i);
        const json_t *elements = json_object_get(block, "elements");

        if (strcmp(member_string(block, "type"), type) != 0) {
            continue;
        }
        if (json_object_get(block, "text")) {
            APR_ARRAY_PUSH(texts, const char *) =
                member_string(json_object_get(block, "text"), "text");
        }
        for (j = 0; j < json_array_size(elements); j++) {
            APR_ARRAY_PUSH(texts, const char *) =
                member_string(json_array_get(elements, j), "text");
        }
    }
    return apr_array_pstrcat(pool, texts, '\n');
}

/* The section whose text starts with prefix, NULL when none. */
static const char *section_starting(const json_t *message, const char *prefix)
{
    size_t i;

    for (i = 0; i < json_array_size(blocks_of(message)); i++) {
        const json_t *block = json_array_get(blocks_of(message), i);
        const char *text = member_string(json_object_get(block, "text"), "text");

        if (strcmp(member_string(block, "type"), "section") == 0 && text
            && strncmp(text, prefix, strlen(prefix)) == 0) {
            return text;
        }
    }
    return NULL;
}

static const char *header_text(const json_t *message)
{
    return member_string(json_object_get(block_find(message, "header"), "text"), "text");
}

/* ---------------------------------------------------------------- buttons */

static void test_interactive_approval_buttons(void **state)
{
    apr_pool_t *pool = *state;
    sap_blocks_input_t in = input_for(event_new(pool));
    json_t *message = built(pool, &in);
    const json_t *approve, *reject, *abstain, *view;

    assert_string_equal(action_ids(pool, message), "sap_approve sap_reject sap_abstain sap_view");
    approve = button_find(message, SAP_ACTION_APPROVE);
    reject = button_find(message, SAP_ACTION_REJECT);
    abstain = button_find(message, SAP_ACTION_ABSTAIN);
    view = button_find(message, SAP_ACTION_VIEW);
    assert_string_equal(button_label(approve), "Approve");
    assert_string_equal(member_string(approve, "style"), "primary");
    assert_string_equal(button_label(reject), "Reject");
    assert_string_equal(member_string(reject, "style"), "danger");
    assert_string_equal(button_label(abstain), "Abstain");
    assert_null(json_object_get(abstain, "style"));
    assert_string_equal(member_string(approve, "value"),
                        "{\"v\":1,\"p\":\"jira\",\"a\":\"A-1001\",\"s\":\"S-1\"}");
    assert_string_equal(member_string(reject, "value"), member_string(approve, "value"));
    assert_string_equal(member_string(abstain, "value"), member_string(approve, "value"));
    assert_null(json_object_get(approve, "url"));
    assert_string_equal(button_label(view), "View approval");
    assert_string_equal(member_string(view, "url"), APPROVAL_URL);
    assert_null(json_object_get(view, "value"));
    /* the actions come last */
    assert_string_equal(member_string(json_array_get(blocks_of(message),
                                                     json_array_size(blocks_of(message)) - 1),
                                      "type"), "actions");
}

static void test_reject_confirm(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);
    const json_t *confirm;

    event_set(pool, event, "approval.name", json_string("Q3 <budget> & more"));
    confirm = json_object_get(button_find(built(pool, &in), SAP_ACTION_REJECT), "confirm");
    assert_non_null(confirm);
    assert_string_equal(member_string(json_object_get(confirm, "title"), "text"),
                        "Reject this approval?");
    assert_string_equal(member_string(json_object_get(confirm, "title"), "type"), "plain_text");
    assert_non_null(strstr(member_string(json_object_get(confirm, "text"), "text"),
                           "*Q3 &lt;budget&gt; &amp; more*"));
    assert_string_equal(member_string(json_object_get(confirm, "confirm"), "text"), "Reject");
    assert_string_equal(member_string(json_object_get(confirm, "deny"), "text"), "Cancel");
    assert_string_equal(member_string(confirm, "style"), "danger");
    /* only Reject asks */
    assert_null(json_object_get(button_find(built(pool, &in), SAP_ACTION_APPROVE), "confirm"));

    /* a long name is cut inside the confirm text's limit */
    event_set(pool, event, "approval.name", json_string(repeat(pool, "n", 1000)));
    confirm = json_object_get(button_find(built(pool, &in), SAP_ACTION_REJECT), "confirm");
    assert_true(sap_text_units(member_string(json_object_get(confirm, "text"), "text")) <= 300);
}

static void test_vote_step_has_one_vote_button(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);
    json_t *message;

    event_set(pool, event, "step.kind", json_string("vote"));
    message = built(pool, &in);
    assert_string_equal(action_ids(pool, message), "sap_vote sap_view");
    assert_string_equal(button_label(button_find(message, SAP_ACTION_VOTE)), "Vote");
    assert_string_equal(member_string(button_find(message, SAP_ACTION_VOTE), "value"),
                        "{\"v\":1,\"p\":\"jira\",\"a\":\"A-1001\",\"s\":\"S-1\"}");

    /* as a link when actions need a login */
    event_set(pool, event, "options.actions_without_login", json_false());
    message = built(pool, &in);
    assert_string_equal(action_ids(pool, message), "sap_view_vote sap_view");
    assert_string_equal(member_string(button_find(message, "sap_view_vote"), "url"), APPROVAL_URL);
}

static void test_url_buttons_without_login(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);
    json_t *message;
    const char *ids[] = { "sap_view_approve", "sap_view_reject", "sap_view_abstain" };
    const char *labels[] = { "Approve", "Reject", "Abstain" };
    int i;

    event_set(pool, event, "options.actions_without_login", json_false());
    message = built(pool, &in);
    assert_string_equal(action_ids(pool, message),
                        "sap_view_approve sap_view_reject sap_view_abstain sap_view");
    for (i = 0; i < 3; i++) {
        const json_t *button = button_find(message, ids[i]);

        assert_string_equal(button_label(button), labels[i]);
        assert_string_equal(member_string(button, "url"), APPROVAL_URL);
        assert_null(json_object_get(button, "value"));
        assert_null(json_object_get(button, "confirm"));
    }
    assert_string_equal(member_string(button_find(message, ids[0]), "style"), "primary");
    assert_string_equal(member_string(button_find(message, ids[1]), "style"), "danger");
}

/* actions_without_login defaults to off, action_buttons to on */
static void test_option_defaults(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);

    event_set(pool, event, "options", NULL);
    assert_string_equal(action_ids(pool, built(pool, &in)),
                        "sap_view_approve sap_view_reject sap_view_abstain sap_view");
    event_set(pool, event, "options", json_null());
    assert_string_equal(action_ids(pool, built(pool, &in)),
                        "sap_view_approve sap_view_reject sap_view_abstain sap_view");
    event_set(pool, event, "options", json_pack("{s:s, s:i}", "actions_without_login", "yes",
                                                "action_buttons", 0));
    assert_string_equal(action_ids(pool, built(pool, &in)),
                        "sap_view_approve sap_view_reject sap_view_abstain sap_view");
}

static void test_action_buttons_off_only_view(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);

    event_set(pool, event, "options.action_buttons", json_false());
    assert_string_equal(action_ids(pool, built(pool, &in)), "sap_view");
    event_set(pool, event, "options.actions_without_login", json_false());
    assert_string_equal(action_ids(pool, built(pool, &in)), "sap_view");
    event_set(pool, event, "step.kind", json_string("vote"));
    assert_string_equal(action_ids(pool, built(pool, &in)), "sap_view");
}

static void test_other_types_only_view(void **state)
{
    static const char *const types[] = {
        "decision_recorded", "step_completed", "approval_completed", "step_expired",
        "approval_archived", "approval_deleted", "approval_outdated", "something_new",
    };
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);
    size_t i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        event_set(pool, event, "type", json_string(types[i]));
        assert_string_equal(action_ids(pool, built(pool, &in)), "sap_view");
    }
    for (i = 0; i < 3; i++) {
        static const char *const actionable[] = {
            "approval_requested", "approval_reminder", "approver_reassigned",
        };

        event_set(pool, event, "type", json_string(actionable[i]));
        assert_string_equal(action_ids(pool, built(pool, &in)),
                            "sap_approve sap_reject sap_abstain sap_view");
    }
}

static void test_type_actionable(void **state)
{
    assert_true(sap_blocks_type_actionable("approval_requested"));
    assert_true(sap_blocks_type_actionable("approval_reminder"));
    assert_true(sap_blocks_type_actionable("approver_reassigned"));
    assert_false(sap_blocks_type_actionable("decision_recorded"));
    assert_false(sap_blocks_type_actionable("approval_completed"));
    assert_false(sap_blocks_type_actionable("approval_requested "));
    assert_false(sap_blocks_type_actionable(""));
    assert_false(sap_blocks_type_actionable(NULL));
}

static void test_no_url_no_url_buttons(void **state)
{
    apr_pool_t *pool = *state;
    json_t *unusable[] = {
        NULL, json_null(), json_string(""), json_integer(7),
        json_string(apr_pstrcat(pool, "https://x.example/", repeat(pool, "a", 3000), NULL)),
        json_string("javascript:alert(1)"), json_string("https://x.example/a b"),
    };
    size_t i;

    for (i = 0; i < sizeof(unusable) / sizeof(unusable[0]); i++) {
        json_t *event = event_new(pool);
        sap_blocks_input_t in = input_for(event);
        json_t *message;

        event_set(pool, event, "approval.url", unusable[i]);
        /* interactive buttons need no URL */
        assert_string_equal(action_ids(pool, built(pool, &in)),
                            "sap_approve sap_reject sap_abstain");
        /* links without a URL are no buttons, and no actions block is left */
        event_set(pool, event, "options.actions_without_login", json_false());
        message = built(pool, &in);
        assert_int_equal(block_count(message, "actions"), 0);
        event_set(pool, event, "options.action_buttons", json_false());
        assert_int_equal(block_count(built(pool, &in), "actions"), 0);
        event_set(pool, event, "type", json_string("step_completed"));
        assert_int_equal(block_count(built(pool, &in), "actions"), 0);
    }
}

/* no step to decide on: the links stand in for interactive buttons */
static void test_no_step_id_falls_back_to_links(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);

    event_set(pool, event, "step.id", NULL);
    assert_string_equal(action_ids(pool, built(pool, &in)),
                        "sap_view_approve sap_view_reject sap_view_abstain sap_view");
    event_set(pool, event, "step", json_null());
    event_set(pool, event, "product", NULL);
    assert_string_equal(action_ids(pool, built(pool, &in)),
                        "sap_view_approve sap_view_reject sap_view_abstain sap_view");
}

/* ---------------------------------------------------------------- button values */

static void test_button_value(void **state)
{
    apr_pool_t *pool = *state;
    const char *value = sap_blocks_button_value(pool, "confluence", "A-7", "S-2", NULL, 0);
    json_t *parsed;

    assert_string_equal(value, "{\"v\":1,\"p\":\"confluence\",\"a\":\"A-7\",\"s\":\"S-2\"}");
    assert_string_equal(sap_blocks_button_value(pool, "jira", "A-7", "S-2", "", 0),
                        "{\"v\":1,\"p\":\"jira\",\"a\":\"A-7\",\"s\":\"S-2\"}");
    assert_string_equal(sap_blocks_button_value(pool, "jira", "A-7", "S-2", NULL, 1),
                        "{\"v\":1,\"p\":\"jira\",\"a\":\"A-7\",\"s\":\"S-2\",\"c\":1}");
    value = sap_blocks_button_value(pool, "jira", "A \"7\"", "S-2", "u-3", 0);
    parsed = owned(pool, json_loads(value, 0, NULL));
    assert_non_null(parsed);
    assert_int_equal(json_integer_value(json_object_get(parsed, SAP_BV_VERSION)), 1);
    assert_string_equal(member_string(parsed, SAP_BV_PRODUCT), "jira");
    assert_string_equal(member_string(parsed, SAP_BV_APPROVAL), "A \"7\"");
    assert_string_equal(member_string(parsed, SAP_BV_STEP), "S-2");
    assert_string_equal(member_string(parsed, SAP_BV_DELEGATE), "u-3");
    assert_null(sap_blocks_button_value(pool, "jira", repeat(pool, "a", SAP_BUTTON_VALUE_MAX),
                                        "S-1", NULL, 0));
    assert_null(sap_blocks_button_value(pool, "jira", NULL, "S-1", NULL, 0));
    assert_null(sap_blocks_button_value(pool, "jira", "A-1", NULL, NULL, 0));
    assert_null(sap_blocks_button_value(pool, NULL, "A-1", "S-1", NULL, 0));
}

static void test_delegate_value_and_line(void **state)
{
    apr_pool_t *pool = *state;
    sap_blocks_input_t in = input_for(event_new(pool));
    json_t *message;

    in.delegate_of_id = "u-3";
    in.delegate_of_name = "Cy <cy> & Co";
    message = built(pool, &in);
    assert_string_equal(member_string(button_find(message, SAP_ACTION_APPROVE), "value"),
                        "{\"v\":1,\"p\":\"jira\",\"a\":\"A-1001\",\"s\":\"S-1\",\"d\":\"u-3\"}");
    assert_non_null(strstr(texts_of(pool, message, "context"),
                           "You are receiving this as a delegate of *Cy &lt;cy&gt; &amp; Co*"));

    /* an approver's own copy says nothing of delegates */
    in.delegate_of_id = NULL;
    in.delegate_of_name = NULL;
    message = built(pool, &in);
    assert_null(strstr(texts_of(pool, message, "context"), "delegate"));
    assert_null(strstr(member_string(button_find(message, SAP_ACTION_APPROVE), "value"), "\"d\""));
}

/* ---------------------------------------------------------------- mentions */

static apr_array_header_t *mentions_new(apr_pool_t *pool)
{
    return apr_array_make(pool, 4, sizeof(sap_mention_t));
}

static void mention_add(apr_array_header_t *mentions, const char *user, const char *name,
                        const char *delegate_of)
{
    sap_mention_t *mention = &APR_ARRAY_PUSH(mentions, sap_mention_t);

    mention->slack_user_id = user;
    mention->display_name = name;
    mention->delegate_of_name = delegate_of;
}

static void test_mentions_line(void **state)
{
    apr_pool_t *pool = *state;
    sap_blocks_input_t in = input_for(event_new(pool));
    apr_array_header_t *mentions = mentions_new(pool);

    mention_add(mentions, "U1", "Ann", NULL);
    mention_add(mentions, "U2", "Bo", "Cy");
    mention_add(mentions, NULL, "Di", NULL);
    mention_add(mentions, NULL, "<!channel> & co", "<b>");
    mention_add(mentions, "U3>x", "Ed", NULL);   /* not an id Slack gives: shown by name */
    mention_add(mentions, NULL, NULL, NULL);     /* nobody to name */
    in.mentions = mentions;
    assert_string_equal(section_starting(built(pool, &in), "Approvers: "),
                        "Approvers: <@U1>, <@U2> (delegate of Cy), Di, "
                        "&lt;!channel&gt; &amp; co (delegate of &lt;b&gt;), Ed");

    /* DMs have no mentions line, nor does a channel message without anyone */
    in.mentions = NULL;
    assert_null(section_starting(built(pool, &in), "Approvers: "));
    in.mentions = mentions_new(pool);
    assert_null(section_starting(built(pool, &in), "Approvers: "));
}

/* No <…> token or &entity; of text is cut: every < is closed before the
 * next one starts, every & starts one of Slack's three entities. */
static void assert_tokens_whole(const char *text)
{
    const char *p;

    for (p = strchr(text, '<'); p; p = strchr(p + 1, '<')) {
        const char *close = strchr(p, '>'), *next = strchr(p + 1, '<');

        assert_non_null(close);
        assert_true(!next || close < next);
    }
    for (p = strchr(text, '&'); p; p = strchr(p + 1, '&')) {
        assert_true(strncmp(p, "&amp;", 5) == 0 || strncmp(p, "&lt;", 4) == 0
                    || strncmp(p, "&gt;", 4) == 0);
    }
}

static void test_many_mentions_cut(void **state)
{
    apr_pool_t *pool = *state;
    sap_blocks_input_t in = input_for(event_new(pool));
    apr_array_header_t *mentions = mentions_new(pool);
    const char *line, *more;
    int i, shown, left = 0;

    for (i = 0; i < 500; i++) {
        mention_add(mentions, i % 2 ? apr_psprintf(pool, "U%08d", i) : NULL,
                    apr_psprintf(pool, "Person <%d> & sons", i), i % 3 ? NULL : "Boss & co");
    }
    in.mentions = mentions;
    line = section_starting(built(pool, &in), "Approvers: ");
    assert_non_null(line);
    assert_true(sap_text_units(line) <= SAP_SLACK_MAX_SECTION_TEXT);
    more = strstr(line, ", " ELLIPSIS " and ");
    assert_non_null(more);
    assert_int_equal(sscanf(more, ", " ELLIPSIS " and %d more", &left), 1);
    assert_true(ends_with(line, " more"));
    /* the mentions shown plus the ones counted are all of them */
    for (shown = 1, i = 0; line + i < more; i++) {
        shown += strncmp(line + i, ", ", 2) == 0;
    }
    assert_int_equal(shown + left, 500);
    assert_tokens_whole(line);
}

static void test_mention_with_huge_names(void **state)
{
    apr_pool_t *pool = *state;
    sap_blocks_input_t in = input_for(event_new(pool));
    apr_array_header_t *mentions = mentions_new(pool);
    const char *line;

    mention_add(mentions, NULL, repeat(pool, "<&>", 5000), repeat(pool, "x", 5000));
    mention_add(mentions, "U1", NULL, NULL);
    in.mentions = mentions;
    line = section_starting(built(pool, &in), "Approvers: ");
    assert_non_null(line);
    assert_non_null(strstr(line, ", <@U1>"));
    assert_tokens_whole(line);
}

/* ---------------------------------------------------------------- texts */

static void test_long_body_cut(void **state)
{
    apr_pool_t *pool = *state;
    sap_blocks_input_t in = input_for(event_new(pool));
    apr_array_header_t *lines = apr_array_make(pool, 200, sizeof(const char *));
    const char *body;
    int i;

    for (i = 0; i < 200; i++) {
        APR_ARRAY_PUSH(lines, const char *) =
            apr_psprintf(pool, "%-99.99s",
                         apr_psprintf(pool, "\xE2\x80\xA2 Decision %d by *Bo*: approved", i));
    }
    in.body_mrkdwn = apr_array_pstrcat(pool, lines, '\n');
    assert_int_equal(strlen(in.body_mrkdwn), 200 * 100 - 1);
    body = section_starting(built(pool, &in), "\xE2\x80\xA2 Decision 0");
    assert_non_null(body);
    assert_int_equal(sap_text_units(body), SAP_SLACK_MAX_SECTION_TEXT);
    assert_true(ends_with(body, ELLIPSIS));
}

static void test_empty_body_no_section(void **state)
{
    apr_pool_t *pool = *state;
    sap_blocks_input_t in = input_for(event_new(pool));
    const char *empty[] = { NULL, "", " \n\t " };
    size_t i;

    for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
        in.body_mrkdwn = empty[i];
        assert_int_equal(block_count(built(pool, &in), "section"), 0);
    }
    in.body_mrkdwn = BODY;
    assert_string_equal(section_starting(built(pool, &in), ""), BODY);
}

static void test_header(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);
    const json_t *header;
    const char *text;

    header = json_object_get(block_find(built(pool, &in), "header"), "text");
    assert_string_equal(member_string(header, "text"), "Approval requested: Budget sign-off");
    assert_string_equal(member_string(header, "type"), "plain_text");
    assert_true(json_is_true(json_object_get(header, "emoji")));
    /* the first block */
    assert_string_equal(member_string(json_array_get(blocks_of(built(pool, &in)), 0), "type"),
                        "header");

    event_set(pool, event, "approval.name", json_string(repeat(pool, "N", 300)));
    text = header_text(built(pool, &in));
    assert_int_equal(sap_text_units(text), SAP_SLACK_MAX_HEADER_TEXT);
    assert_true(ends_with(text, "N" ELLIPSIS));
    assert_int_equal(strncmp(text, "Approval requested: NNN", 23), 0);

    /* plain text: not escaped */
    event_set(pool, event, "approval.name", json_string("R&D <budget>"));
    assert_string_equal(header_text(built(pool, &in)), "Approval requested: R&D <budget>");

    /* no title given: the type stands in */
    in.type_title = NULL;
    assert_string_equal(header_text(built(pool, &in)), "approval_requested: R&D <budget>");
}

static void test_emoji_body_cut_at_code_point(void **state)
{
    apr_pool_t *pool = *state;
    sap_blocks_input_t in = input_for(event_new(pool));
    const char *body;

    in.body_mrkdwn = repeat(pool, EMOJI, 2000);
    body = section_starting(built(pool, &in), EMOJI);
    assert_non_null(body);
    /* 1499 emoji (2998 units) and the ellipsis: one more emoji would pass 3000 */
    assert_int_equal(sap_text_units(body), 2999);
    assert_int_equal(strlen(body), 1499 * 4 + 3);
    assert_true(ends_with(body, EMOJI ELLIPSIS));
}

static void test_body_cut_outside_entities_and_mentions(void **state)
{
    apr_pool_t *pool = *state;
    sap_blocks_input_t in = input_for(event_new(pool));
    const char *units[] = { "R&amp;D ", "ab &lt;x&gt; ", "<@U0123456789> ",
                            "<https://x.example/?a=1&amp;b=2|link &amp; more> " };
    size_t i;
    int shift;

    /* every alignment of the repeated unit against the cut */
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        for (shift = 0; shift < (int)strlen(units[i]); shift++) {
            const char *body;

            in.body_mrkdwn = apr_pstrcat(pool, repeat(pool, "x", shift),
                                         repeat(pool, units[i], 4000 / (int)strlen(units[i])),
                                         NULL);
            body = section_starting(built(pool, &in), "");
            assert_non_null(body);
            assert_true(ends_with(body, ELLIPSIS));
            assert_true(sap_text_units(body) <= SAP_SLACK_MAX_SECTION_TEXT);
            assert_tokens_whole(apr_pstrndup(pool, body, strlen(body) - 3));
        }
    }
}

static void test_text_units(void **state)
{
    assert_int_equal(sap_text_units(NULL), 0);
    assert_int_equal(sap_text_units(""), 0);
    assert_int_equal(sap_text_units("abc"), 3);
    assert_int_equal(sap_text_units("\xC3\xA9t\xC3\xA9"), 3);             /* été */
    assert_int_equal(sap_text_units("\xE2\x80\xA6"), 1);                   /* … */
    assert_int_equal(sap_text_units(EMOJI EMOJI), 4);
    assert_int_equal(sap_text_units("a\xFF\xFE" "b"), 4);                  /* invalid: 1 each */
    assert_int_equal(sap_text_units("\xF0\x9F\x98"), 3);                   /* cut short */
    assert_int_equal(sap_text_units("\xC0\xAF"), 2);                       /* overlong */
    assert_int_equal(sap_text_units("\xED\xA0\x80"), 3);                   /* surrogate */
}

static void test_text_truncate(void **state)
{
    apr_pool_t *pool = *state;
    const char *fits = "abcdef";

    assert_ptr_equal(sap_text_truncate(pool, fits, 6, 0), fits);
    assert_ptr_equal(sap_text_truncate(pool, fits, 100, 1), fits);
    assert_null(sap_text_truncate(pool, NULL, 5, 1));
    assert_string_equal(sap_text_truncate(pool, fits, 5, 0), "abcd" ELLIPSIS);
    assert_string_equal(sap_text_truncate(pool, fits, 1, 0), ELLIPSIS);
    assert_string_equal(sap_text_truncate(pool, fits, 0, 0), "");
    /* an emoji never split: 2 units do not fit in 1 */
    assert_string_equal(sap_text_truncate(pool, "a" EMOJI "b", 3, 0), "a" ELLIPSIS);
    assert_string_equal(sap_text_truncate(pool, "a" EMOJI "bc", 4, 0), "a" EMOJI ELLIPSIS);
    /* mrkdwn: never inside &amp; or <…> */
    assert_string_equal(sap_text_truncate(pool, "R&amp;D budget", 5, 1), "R" ELLIPSIS);
    assert_string_equal(sap_text_truncate(pool, "R&amp;D budget", 5, 0), "R&am" ELLIPSIS);
    assert_string_equal(sap_text_truncate(pool, "R&amp;D budget", 8, 1), "R&amp;D" ELLIPSIS);
    assert_string_equal(sap_text_truncate(pool, "hi <@U12345> there", 10, 1), "hi " ELLIPSIS);
    assert_string_equal(sap_text_truncate(pool, "hi <@U12345> there", 14, 1),
                        "hi <@U12345> " ELLIPSIS);
    assert_string_equal(sap_text_truncate(pool, "<http://x/?a&amp;b|c> d", 15, 1), ELLIPSIS);
    /* a bare & far back is no entity */
    assert_string_equal(sap_text_truncate(pool, "a & bbbbbbbbbbbbbbbb", 15, 1),
                        "a & bbbbbbbbbb" ELLIPSIS);
    /* invalid bytes count one each and are kept whole */
    assert_string_equal(sap_text_truncate(pool, "\xFF\xFF\xFF\xFF", 3, 0), "\xFF\xFF" ELLIPSIS);
}

static void test_fallback_text(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);
    const char *text;

    assert_string_equal(member_string(built(pool, &in), "text"),
                        "Approval requested: Budget sign-off " MIDDLE_DOT " FIN-12 Q3 budget");
    event_set(pool, event, "approval.name", json_string("<!channel> pay & go"));
    text = member_string(built(pool, &in), "text");
    assert_non_null(strstr(text, "&lt;!channel&gt; pay &amp; go"));
    assert_null(strstr(text, "<!channel>"));

    event_set(pool, event, "approval.subject", NULL);
    event_set(pool, event, "approval.name", NULL);
    assert_string_equal(member_string(built(pool, &in), "text"), "Approval requested");

    event_set(pool, event, "approval.name", json_string(repeat(pool, "&", 5000)));
    text = member_string(built(pool, &in), "text");
    assert_true(sap_text_units(text) <= SAP_SLACK_MAX_FALLBACK_TEXT);
    assert_true(ends_with(text, "&amp;" ELLIPSIS));
}

/* ---------------------------------------------------------------- context */

static void test_context_details(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);
    const json_t *elements;

    elements = json_object_get(block_find(built(pool, &in), "context"), "elements");
    assert_int_equal(json_array_size(elements), 4);
    assert_string_equal(member_string(json_array_get(elements, 0), "text"), "Requested by *Ada*");
    assert_string_equal(member_string(json_array_get(elements, 1), "text"),
                        "Due 2026-11-28 10:00 UTC");
    assert_string_equal(member_string(json_array_get(elements, 2), "text"), "1 of 2 approvals");
    assert_string_equal(member_string(json_array_get(elements, 3), "text"),
                        "FIN-12 " MIDDLE_DOT " Finance");
    assert_string_equal(member_string(json_array_get(elements, 3), "type"), "mrkdwn");
}

static void test_context_variants(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);

    event_set(pool, event, "step.kind", json_string("vote"));
    event_set(pool, event, "step.progress.voted", json_integer(1));
    event_set(pool, event, "step.due_at", json_string("2026-11-28T12:30:00.250+02:00"));
    event_set(pool, event, "approval.requester.display_name", json_string("Ada <a> & b"));
    assert_string_equal(texts_of(pool, built(pool, &in), "context"),
                        "Requested by *Ada &lt;a&gt; &amp; b*\nDue 2026-11-28 10:30 UTC\n"
                        "1 of 2 votes\nFIN-12 " MIDDLE_DOT " Finance");

    /* Confluence: a page has no key, the space a name */
    event_set(pool, event, "product", json_string("confluence"));
    event_set(pool, event, "approval.subject.key", json_null());
    event_set(pool, event, "approval.subject.container.name", json_string("Documentation"));
    event_set(pool, event, "step.due_at", json_string("next week <soon>"));
    event_set(pool, event, "step.required", json_integer(1));
    event_set(pool, event, "approval.requester.display_name", NULL);
    assert_string_equal(texts_of(pool, built(pool, &in), "context"),
                        "Requested by *ada@example.com*\nDue next week &lt;soon&gt;\n"
                        "1 of 1 vote\nDocumentation");

    /* only what is present */
    event_set(pool, event, "step.due_at", json_null());
    event_set(pool, event, "step.progress", NULL);
    event_set(pool, event, "approval.requester", json_string("Ada"));
    event_set(pool, event, "approval.subject", NULL);
    assert_int_equal(block_count(built(pool, &in), "context"), 0);
}

static void test_due_dates(void **state)
{
    static const char *const cases[][2] = {
        { "2026-11-28T10:00:00Z", "Due 2026-11-28 10:00 UTC" },
        { "2026-11-28T10:00Z", "Due 2026-11-28 10:00 UTC" },
        { "2026-11-28t10:00:59z", "Due 2026-11-28 10:00 UTC" },
        { "2026-01-01T01:00:00+0230", "Due 2025-12-31 22:30 UTC" },
        { "2026-02-28T23:30:00-01:00", "Due 2026-03-01 00:30 UTC" },
        { "2028-02-29T00:00:00Z", "Due 2028-02-29 00:00 UTC" },
        { "2026-02-29T00:00:00Z", "Due 2026-02-29T00:00:00Z" },
        { "2026-11-28T25:00:00Z", "Due 2026-11-28T25:00:00Z" },
        { "2026-11-28T10:00:00Zjunk", "Due 2026-11-28T10:00:00Zjunk" },
        { "2026-11-28", "Due 2026-11-28" },
        { "1960-01-01T00:00:00Z", "Due 1960-01-01T00:00:00Z" },
    };
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const json_t *elements;

        event_set(pool, event, "step.due_at", json_string(cases[i][0]));
        elements = json_object_get(block_find(built(pool, &in), "context"), "elements");
        assert_string_equal(member_string(json_array_get(elements, 1), "text"), cases[i][1]);
    }
}

/* ---------------------------------------------------------------- robustness */

static void test_minimal_event(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = owned(pool, json_pack("{s:s, s:{s:s}}", "type", "approval_requested",
                                          "approval", "id", "A-1"));
    sap_blocks_input_t in;
    json_t *message;

    memset(&in, 0, sizeof(in));
    in.event = event;
    message = built(pool, &in);
    assert_string_equal(member_string(message, "text"), "approval_requested");
    assert_string_equal(header_text(message), "approval_requested");
    /* no URL, no step, no product: nothing to click */
    assert_int_equal(block_count(message, "actions"), 0);
    assert_int_equal(json_array_size(blocks_of(message)), 1);
}

static void test_null_and_odd_fields(void **state)
{
    static const char *const paths[] = {
        "product", "approval.name", "approval.url", "approval.subject",
        "approval.subject.container",
        "approval.requester", "step", "step.kind", "step.progress", "step.required",
        "step.due_at", "options", "options.action_buttons",
    };
    apr_pool_t *pool = *state;
    size_t i;

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        json_t *event = event_new(pool);
        sap_blocks_input_t in = input_for(event);

        event_set(pool, event, paths[i], json_null());
        built(pool, &in);
        event_set(pool, event, paths[i], json_array());
        built(pool, &in);
        event_set(pool, event, paths[i], json_integer(-5));
        built(pool, &in);
        event_set(pool, event, paths[i], NULL);
        built(pool, &in);
    }
}

static void test_missing_required_fields(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);
    json_t *message = owned(pool, json_object());   /* must be replaced by NULL */

    assert_int_equal(sap_blocks_build(pool, NULL, &message), APR_EINVAL);
    assert_null(message);
    in.event = NULL;
    assert_int_equal(sap_blocks_build(pool, &in, &message), APR_EINVAL);
    in.event = event;
    event_set(pool, event, "approval.id", json_integer(12));
    assert_int_equal(sap_blocks_build(pool, &in, &message), APR_EINVAL);
    event_set(pool, event, "approval.id", NULL);
    assert_int_equal(sap_blocks_build(pool, &in, &message), APR_EINVAL);
    event_set(pool, event, "approval.id", json_string("A-1"));
    event_set(pool, event, "type", json_null());
    assert_int_equal(sap_blocks_build(pool, &in, &message), APR_EINVAL);
    event_set(pool, event, "type", json_string("approval_requested"));
    event_set(pool, event, "approval", json_string("A-1"));
    assert_int_equal(sap_blocks_build(pool, &in, &message), APR_EINVAL);
    assert_null(message);
}

static void test_invalid_utf8_inputs(void **state)
{
    apr_pool_t *pool = *state;
    sap_blocks_input_t in = input_for(event_new(pool));
    apr_array_header_t *mentions = mentions_new(pool);
    json_t *message;
    char *dumped;

    mention_add(mentions, NULL, "Bad \xFF name", "\xC0\xAF");
    in.mentions = mentions;
    in.body_mrkdwn = "body \xFF\xFE end";
    in.type_title = "Title \x80";
    in.delegate_of_name = "Del\xF0\x9F";
    in.delegate_of_id = "u-\xFF";
    message = built(pool, &in);
    dumped = json_dumps(message, JSON_COMPACT);
    assert_non_null(dumped);
    free(dumped);
    assert_string_equal(section_starting(message, "body"), "body \xEF\xBF\xBD\xEF\xBF\xBD end");
}

/* everything at once and enormous: the limits still hold, the body gives way */
static void test_everything_huge(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = event_new(pool);
    sap_blocks_input_t in = input_for(event);
    apr_array_header_t *mentions = mentions_new(pool);
    json_t *message;
    int i;

    for (i = 0; i < 500; i++) {
        mention_add(mentions, NULL, repeat(pool, "M&", 60), repeat(pool, "D", 200));
    }
    event_set(pool, event, "approval.name", json_string(repeat(pool, "<n>", 3000)));
    event_set(pool, event, "approval.requester.display_name", json_string(repeat(pool, "R", 5000)));
    event_set(pool, event, "step.due_at", json_string(repeat(pool, "d", 5000)));
    event_set(pool, event, "approval.subject.key", json_string(repeat(pool, "K", 5000)));
    event_set(pool, event, "approval.subject.container.name", json_string(repeat(pool, "C", 5000)));
    in.body_mrkdwn = repeat(pool, "b", 64 * 1024);
    in.delegate_of_name = repeat(pool, EMOJI, 5000);
    in.delegate_of_id = "u-9";
    in.mentions = mentions;
    message = built(pool, &in);
    assert_true(text_total(blocks_of(message)) <= SAP_SLACK_MAX_BLOCKS_TEXT);
    assert_true(json_array_size(blocks_of(message)) <= SAP_SLACK_MAX_BLOCKS);
    assert_string_equal(action_ids(pool, message), "sap_approve sap_reject sap_abstain sap_view");
    assert_non_null(section_starting(message, "Approvers: "));

    /* a realistic message keeps its whole body */
    in.mentions = NULL;
    in.delegate_of_name = NULL;
    event = event_new(pool);
    in.event = event;
    in.body_mrkdwn = repeat(pool, "b", 2500);
    assert_string_equal(section_starting(built(pool, &in), "b"), in.body_mrkdwn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SAP_POOL_TEST(test_interactive_approval_buttons),
        SAP_POOL_TEST(test_reject_confirm),
        SAP_POOL_TEST(test_vote_step_has_one_vote_button),
        SAP_POOL_TEST(test_url_buttons_without_login),
        SAP_POOL_TEST(test_option_defaults),
        SAP_POOL_TEST(test_action_buttons_off_only_view),
        SAP_POOL_TEST(test_other_types_only_view),
        cmocka_unit_test(test_type_actionable),
        SAP_POOL_TEST(test_no_url_no_url_buttons),
        SAP_POOL_TEST(test_no_step_id_falls_back_to_links),
        SAP_POOL_TEST(test_button_value),
        SAP_POOL_TEST(test_delegate_value_and_line),
        SAP_POOL_TEST(test_mentions_line),
        SAP_POOL_TEST(test_many_mentions_cut),
        SAP_POOL_TEST(test_mention_with_huge_names),
        SAP_POOL_TEST(test_long_body_cut),
        SAP_POOL_TEST(test_empty_body_no_section),
        SAP_POOL_TEST(test_header),
        SAP_POOL_TEST(test_emoji_body_cut_at_code_point),
        SAP_POOL_TEST(test_body_cut_outside_entities_and_mentions),
        cmocka_unit_test(test_text_units),
        SAP_POOL_TEST(test_text_truncate),
        SAP_POOL_TEST(test_fallback_text),
        SAP_POOL_TEST(test_context_details),
        SAP_POOL_TEST(test_context_variants),
        SAP_POOL_TEST(test_due_dates),
        SAP_POOL_TEST(test_minimal_event),
        SAP_POOL_TEST(test_null_and_odd_fields),
        SAP_POOL_TEST(test_missing_required_fields),
        SAP_POOL_TEST(test_invalid_utf8_inputs),
        SAP_POOL_TEST(test_everything_huge),
    };

    return cmocka_run_group_tests_name("sap_blocks", tests, sap_test_group_setup,
                                       sap_test_group_teardown);
}
