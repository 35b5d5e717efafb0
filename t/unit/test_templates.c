/* Unit tests of sap_templates: types, the 20 default templates over every
 * sample event, the sample events' shape, the rendering context and
 * rendering (escaping per part, the one-line subject, parse errors). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <apr_pools.h>
#include <apr_strings.h>

#include "helper_fixtures.h"
#include "sap_templates.h"

#define PRODUCT_COUNT 2

/* ---------------------------------------------------------------- helpers */

static json_t *path_get(const json_t *root, const char *path)
{
    char copy[256], *part, *last = NULL;
    const json_t *value = root;

    assert_true(strlen(path) < sizeof(copy));
    strcpy(copy, path);
    for (part = strtok_r(copy, ".", &last); part && value; part = strtok_r(NULL, ".", &last)) {
        value = json_object_get(value, part);
    }
    return (json_t *)value;
}

static const char *path_string(const json_t *root, const char *path)
{
    return json_string_value(path_get(root, path));
}

static void set_path_string(json_t *root, const char *object_path, const char *key,
                            const char *value)
{
    json_t *object = path_get(root, object_path);

    assert_true(json_is_object(object));
    assert_int_equal(json_object_set_new(object, key, json_string(value)), 0);
}

static void expect_rendered(apr_pool_t *pool, const sap_template_t *tpl, json_t *context,
                            sap_rendered_t *out)
{
    const char *field = NULL;
    sap_mustache_error_t err;

    if (sap_template_render(pool, tpl, context, out, &field, &err) != APR_SUCCESS) {
        fail_msg("%s: %s (line %d, column %d)", field, err.message, err.line, err.column);
    }
    assert_non_null(out->slack_body);
    assert_non_null(out->email_subject);
    assert_non_null(out->email_body);
}

static void expect_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle)) {
        fail_msg("\"%s\" not found in:\n%s", needle, haystack);
    }
}

/* ---------------------------------------------------------------- types */

static void test_types_and_products(void **state)
{
    static const char *const titles[SAP_NOTIFICATION_TYPE_COUNT] = {
        "Approval requested", "Reminder: approval pending", "Decision recorded", "Step completed",
        "Approval completed", "Step expired", "Approver reassigned", "Approval archived",
        "Approval deleted", "Approval outdated"
    };
    static const char *const types[SAP_NOTIFICATION_TYPE_COUNT] = {
        "approval_requested", "approval_reminder", "decision_recorded", "step_completed",
        "approval_completed", "step_expired", "approver_reassigned", "approval_archived",
        "approval_deleted", "approval_outdated"
    };
    int i;

    for (i = 0; i < SAP_NOTIFICATION_TYPE_COUNT; i++) {
        assert_string_equal(sap_notification_types[i], types[i]);
        assert_true(sap_notification_type_valid(types[i]));
        assert_string_equal(sap_template_type_title(types[i]), titles[i]);
    }
    assert_string_equal(sap_products[0], SAP_PRODUCT_JIRA);
    assert_string_equal(sap_products[1], SAP_PRODUCT_CONFLUENCE);
    assert_true(sap_product_valid("jira"));
    assert_true(sap_product_valid("confluence"));
    assert_false(sap_product_valid("Jira"));
    assert_false(sap_product_valid("bitbucket"));
    assert_false(sap_product_valid(""));
    assert_false(sap_product_valid(NULL));
    assert_false(sap_notification_type_valid("approval_requested "));
    assert_false(sap_notification_type_valid("APPROVAL_REQUESTED"));
    assert_false(sap_notification_type_valid(""));
    assert_false(sap_notification_type_valid(NULL));
    assert_null(sap_template_type_title("nope"));
    assert_null(sap_template_type_title(NULL));
    assert_null(sap_template_default("jira", "nope"));
    assert_null(sap_template_default("bitbucket", "approval_requested"));
    assert_null(sap_template_default(NULL, NULL));
    assert_null(sap_template_sample_event("jira", "nope"));
    assert_null(sap_template_sample_event("bitbucket", "approval_requested"));
    assert_null(sap_template_sample_event(NULL, NULL));
}

/* ---------------------------------------------------------------- defaults */

static void test_defaults_parse(void **state)
{
    apr_pool_t *pool = *state;
    int p, t;

    for (p = 0; p < PRODUCT_COUNT; p++) {
        for (t = 0; t < SAP_NOTIFICATION_TYPE_COUNT; t++) {
            const sap_template_t *tpl = sap_template_default(sap_products[p],
                                                             sap_notification_types[t]);
            const char *field = "unset";
            sap_mustache_error_t err;

            assert_non_null(tpl);
            assert_non_null(tpl->slack_body);
            assert_non_null(tpl->email_subject);
            assert_non_null(tpl->email_body);
            assert_null(strchr(tpl->email_subject, '\n'));
            if (sap_template_check(pool, tpl, &field, &err) != APR_SUCCESS) {
                fail_msg("%s/%s %s: %s", sap_products[p], sap_notification_types[t], field,
                         err.message);
            }
            assert_null(field);
        }
    }
    /* the products have templates of their own */
    assert_ptr_not_equal(sap_template_default("jira", "approval_requested"),
                         sap_template_default("confluence", "approval_requested"));
    assert_string_not_equal(sap_template_default("jira", "approval_requested")->slack_body,
                            sap_template_default("confluence", "approval_requested")->slack_body);
}

/* One rendering of a default, with what every one of them must show. */
static void check_default_output(const char *product, const sap_rendered_t *out)
{
    assert_true(out->slack_body[0] != '\0');
    assert_true(out->email_subject[0] != '\0');
    assert_true(out->email_body[0] != '\0');
    assert_null(strpbrk(out->email_subject, "\r\n"));
    assert_true(strlen(out->slack_body) < SAP_TEMPLATE_MAX_RENDERED);
    /* no tag left over, no empty bold (a missing name) */
    assert_null(strstr(out->slack_body, "{{"));
    assert_null(strstr(out->email_body, "{{"));
    assert_null(strstr(out->slack_body, "**"));
    if (strcmp(product, SAP_PRODUCT_JIRA) == 0) {
        expect_contains(out->slack_body, "FIN-12");
        expect_contains(out->email_body, "FIN-12");
        expect_contains(out->email_subject, "[Jira]");
        expect_contains(out->email_subject, "FIN-12");
        expect_contains(out->slack_body, "issue");
        expect_contains(out->slack_body, "project *Finance*");
    }
    else {
        expect_contains(out->slack_body, "Documentation");
        expect_contains(out->email_body, "Documentation");
        expect_contains(out->email_subject, "[Confluence]");
        expect_contains(out->slack_body, "page");
        expect_contains(out->slack_body, "space *Documentation*");
        assert_null(strstr(out->slack_body, "issue"));
    }
}

/* Every default renders over the sample of every type of its product, for
 * a channel (no recipient), each recipient, and each delegate. */
static void test_defaults_render_over_all_samples(void **state)
{
    apr_pool_t *pool = *state;
    int p, t, s, renders = 0;

    for (p = 0; p < PRODUCT_COUNT; p++) {
        for (s = 0; s < SAP_NOTIFICATION_TYPE_COUNT; s++) {
            json_t *event = sap_template_sample_event(sap_products[p], sap_notification_types[s]);
            json_t *recipients = json_object_get(event, "recipients");

            assert_non_null(event);
            for (t = 0; t < SAP_NOTIFICATION_TYPE_COUNT; t++) {
                const sap_template_t *tpl = sap_template_default(sap_products[p],
                                                                 sap_notification_types[t]);
                json_t *context = sap_template_context(event, NULL, NULL);
                size_t r, d;
                sap_rendered_t out;

                expect_rendered(pool, tpl, context, &out);
                check_default_output(sap_products[p], &out);
                json_decref(context);
                renders++;
                for (r = 0; r < json_array_size(recipients); r++) {
                    json_t *recipient = json_array_get(recipients, r);
                    json_t *delegates = json_object_get(recipient, "delegates");

                    context = sap_template_context(event, recipient, NULL);
                    expect_rendered(pool, tpl, context, &out);
                    check_default_output(sap_products[p], &out);
                    assert_null(strstr(out.slack_body, "delegate of"));
                    json_decref(context);
                    renders++;
                    for (d = 0; d < json_array_size(delegates); d++) {
                        context = sap_template_context(event, json_array_get(delegates, d),
                                                       recipient);
                        expect_rendered(pool, tpl, context, &out);
                        check_default_output(sap_products[p], &out);
                        /* Slack: the Block Kit message has its own delegate line. */
                        assert_null(strstr(out.slack_body, "delegate of"));
                        expect_contains(out.email_body, "You receive this as a delegate of "
                                                        "Cy Young");
                        json_decref(context);
                        renders++;
                    }
                }
            }
            json_decref(event);
        }
    }
    assert_true(renders > 2 * SAP_NOTIFICATION_TYPE_COUNT * SAP_NOTIFICATION_TYPE_COUNT);
}

/* Renders the default of product × type over its own sample, for the
 * sample's first recipient. */
static void render_own_sample(apr_pool_t *pool, const char *product, const char *type,
                              sap_rendered_t *out)
{
    json_t *event = sap_template_sample_event(product, type);
    json_t *context = sap_template_context(event, json_array_get(json_object_get(event,
                                                                                 "recipients"), 0),
                                           NULL);

    expect_rendered(pool, sap_template_default(product, type), context, out);
    json_decref(context);
    json_decref(event);
}

static void test_defaults_read_naturally(void **state)
{
    apr_pool_t *pool = *state;
    sap_rendered_t out;

    render_own_sample(pool, "jira", "approval_requested", &out);
    assert_string_equal(out.email_subject, "[Jira] Approval requested: Budget sign-off (FIN-12)");
    expect_contains(out.slack_body, "*Ada Lovelace* asks for your approval of "
                                    "*<https://jira.example.com/browse/FIN-12?approval=A-1001|"
                                    "Budget sign-off>*");
    expect_contains(out.slack_body, "*Step:* Finance review · 0 of 2 approvals");
    expect_contains(out.slack_body, "*Due:* 2026-12-01 17:00 UTC");
    expect_contains(out.email_body, "Hello Bo Jensen,");
    expect_contains(out.email_body, "https://jira.example.com/browse/FIN-12?approval=A-1001");

    render_own_sample(pool, "confluence", "approval_requested", &out);
    assert_string_equal(out.email_subject, "[Confluence] Approval requested: "
                                           "Publication approval (Release notes 4.2)");
    expect_contains(out.slack_body, "page <https://confluence.example.com/pages/viewpage.action?"
                                    "pageId=123456|Release notes 4.2> in space *Documentation*");

    render_own_sample(pool, "jira", "decision_recorded", &out);
    expect_contains(out.slack_body, "*Di Moreau* approved on behalf of *Cy Young*.");
    expect_contains(out.slack_body, "> Fine by me, the travel costs are covered.");
    expect_contains(out.slack_body, "1 of 2 approvals");
    assert_string_equal(out.email_subject, "[Jira] Di Moreau approved: Budget sign-off (FIN-12)");
    expect_contains(out.email_body, "Comment: Fine by me, the travel costs are covered.");

    /* a vote step: every decision with its comment, and the tally */
    render_own_sample(pool, "jira", "step_completed", &out);
    expect_contains(out.slack_body, "Step *Go/no-go vote* of ");
    expect_contains(out.slack_body, "is complete: *approved*.");
    expect_contains(out.slack_body, "• *Bo Jensen*: voted — “The savings plan is realistic.”\n");
    expect_contains(out.slack_body, "• *Di Moreau* on behalf of *Cy Young*: voted\n");
    expect_contains(out.slack_body, "*Votes:*\n• Go ahead: *2*\n• Wait for Q4: *1*\n");
    expect_contains(out.email_body, "Votes:\n- Go ahead: 2\n- Wait for Q4: 1\n");

    render_own_sample(pool, "confluence", "approval_completed", &out);
    expect_contains(out.slack_body, "is complete: *approved*.");
    expect_contains(out.slack_body, "• *Ed Okafor*: abstained\n");
    expect_contains(out.slack_body, "• *Bo Jensen*: approved — “Screenshots match the 4.2 UI.”");
    assert_null(strstr(out.slack_body, "*Votes:*"));
    expect_contains(out.email_subject, "– approved");

    render_own_sample(pool, "jira", "approver_reassigned", &out);
    expect_contains(out.slack_body, "reassigned from *Bo Jensen* to *Fay Nakamura*");
    expect_contains(out.email_body, "Hello Fay Nakamura,");

    render_own_sample(pool, "confluence", "step_expired", &out);
    expect_contains(out.slack_body, "expired (it was due 2026-11-28 10:00 UTC)");

    render_own_sample(pool, "confluence", "approval_outdated", &out);
    expect_contains(out.slack_body, "the page was edited");

    /* the approval is gone: the email points at the page */
    render_own_sample(pool, "confluence", "approval_deleted", &out);
    assert_null(strstr(out.email_body, "#approval-A-2001"));
    expect_contains(out.email_body, "Page: https://confluence.example.com/pages/viewpage.action?"
                                    "pageId=123456");

    /* an external approver is greeted without a name */
    {
        json_t *event = sap_template_sample_event("jira", "approval_requested");
        json_t *recipients = json_object_get(event, "recipients");
        json_t *context = sap_template_context(event, json_array_get(recipients,
                                                                     json_array_size(recipients)
                                                                     - 1), NULL);

        expect_rendered(pool, sap_template_default("jira", "approval_requested"), context, &out);
        expect_contains(out.email_body, "Hello,\n");
        json_decref(context);
        json_decref(event);
    }
}

/* ---------------------------------------------------------------- sample events */

static void check_person(const json_t *person)
{
    assert_non_null(json_string_value(json_object_get(person, "account_id")));
    assert_non_null(json_string_value(json_object_get(person, "display_name")));
    assert_non_null(json_string_value(json_object_get(person, "email")));
}

static void check_sample(apr_pool_t *pool, const char *product, const char *type,
                         const json_t *event)
{
    static const char *const step_keys[] = {
        "id", "name", "kind", "required", "approvers_total", "comment_required", "vote",
        "due_at", "outcome", "progress", "decisions", "tally"
    };
    static const char *const strings[] = {
        "occurred_at", "approval.id", "approval.name", "approval.url", "approval.status",
        "approval.definition.id", "approval.definition.name", "approval.subject.key",
        "approval.subject.title", "approval.subject.url", "approval.subject.container.key",
        "approval.subject.container.name", "step.id", "step.name", "step.kind"
    };
    const json_t *step = json_object_get(event, "step");
    const json_t *recipients = json_object_get(event, "recipients");
    const json_t *decisions = json_object_get(step, "decisions");
    size_t i;

    assert_true(json_is_object(event));
    assert_string_equal(path_string(event, "event_id"),
                        apr_psprintf(pool, "sample-%s-%s", product, type));
    assert_string_equal(path_string(event, "type"), type);
    assert_string_equal(path_string(event, "product"), product);
    for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        if (!path_string(event, strings[i])) {
            fail_msg("%s/%s: no string at %s", product, type, strings[i]);
        }
    }
    check_person(path_get(event, "approval.requester"));
    for (i = 0; i < sizeof(step_keys) / sizeof(step_keys[0]); i++) {
        if (!json_object_get(step, step_keys[i])) {
            fail_msg("%s/%s: step.%s missing", product, type, step_keys[i]);
        }
    }
    assert_true(json_is_integer(json_object_get(step, "required")));
    assert_true(json_is_integer(json_object_get(step, "approvers_total")));
    assert_true(json_is_boolean(json_object_get(step, "comment_required")));
    assert_true(json_is_object(json_object_get(step, "progress")));
    assert_true(json_is_array(decisions));
    assert_true(json_is_array(json_object_get(step, "tally")));
    for (i = 0; i < json_array_size(decisions); i++) {
        const json_t *decision = json_array_get(decisions, i);

        check_person(json_object_get(decision, "by"));
        assert_non_null(json_object_get(decision, "on_behalf_of"));
        assert_non_null(json_string_value(json_object_get(decision, "decision")));
        assert_non_null(json_string_value(json_object_get(decision, "comment")));
        assert_true(json_is_array(json_object_get(decision, "votes")));
        assert_non_null(json_string_value(json_object_get(decision, "at")));
    }
    assert_true(json_array_size(recipients) > 0);
    for (i = 0; i < json_array_size(recipients); i++) {
        const json_t *recipient = json_array_get(recipients, i);

        assert_non_null(json_string_value(json_object_get(recipient, "email")));
        assert_true(json_is_boolean(json_object_get(recipient, "external")));
        assert_true(json_is_array(json_object_get(recipient, "delegates")));
    }
    /* decision and reassigned are there, null unless the type sets them */
    assert_non_null(json_object_get(event, "decision"));
    assert_non_null(json_object_get(event, "reassigned"));
    assert_int_equal(json_is_object(json_object_get(event, "decision")),
                     strcmp(type, "decision_recorded") == 0);
    assert_int_equal(json_is_object(json_object_get(event, "reassigned")),
                     strcmp(type, "approver_reassigned") == 0);
    assert_true(json_is_true(path_get(event, "options.actions_without_login")));
    assert_true(json_is_true(path_get(event, "options.action_buttons")));
    if (strcmp(product, SAP_PRODUCT_CONFLUENCE) == 0) {
        assert_string_equal(path_string(event, "approval.subject.key"), "123456");
        assert_string_equal(path_string(event, "approval.subject.title"), "Release notes 4.2");
        assert_string_equal(path_string(event, "approval.subject.container.key"), "DOCS");
        assert_string_equal(path_string(event, "approval.subject.container.name"),
                            "Documentation");
    }
    else {
        assert_string_equal(path_string(event, "approval.subject.key"), "FIN-12");
        assert_string_equal(path_string(event, "approval.subject.container.name"), "Finance");
    }
}

static void test_sample_events(void **state)
{
    apr_pool_t *pool = *state;
    int p, t, votes = 0, delegates = 0, externals = 0;

    for (p = 0; p < PRODUCT_COUNT; p++) {
        for (t = 0; t < SAP_NOTIFICATION_TYPE_COUNT; t++) {
            json_t *event = sap_template_sample_event(sap_products[p], sap_notification_types[t]);
            json_t *recipients = json_object_get(event, "recipients");
            size_t r;

            check_sample(pool, sap_products[p], sap_notification_types[t], event);
            if (strcmp(path_string(event, "step.kind"), "vote") == 0) {
                votes++;
                assert_true(json_is_object(path_get(event, "step.vote")));
                assert_true(json_array_size(path_get(event, "step.vote.options")) >= 2);
                assert_true(json_array_size(path_get(event, "step.tally")) >= 2);
            }
            for (r = 0; r < json_array_size(recipients); r++) {
                json_t *recipient = json_array_get(recipients, r);

                delegates += (int)json_array_size(json_object_get(recipient, "delegates"));
                externals += json_is_true(json_object_get(recipient, "external"));
            }
            /* a new reference each time */
            assert_int_equal(event->refcount, 1);
            json_decref(event);
        }
    }
    assert_true(votes >= 2);
    assert_true(delegates > 0);
    assert_true(externals > 0);
}

/* ---------------------------------------------------------------- escaping */

static void test_values_escaped_for_slack_only(void **state)
{
    apr_pool_t *pool = *state;
    static const char hostile[] = "<!channel> & <b>";
    int p;

    for (p = 0; p < PRODUCT_COUNT; p++) {
        json_t *event = sap_template_sample_event(sap_products[p], "approval_requested");
        json_t *context;
        sap_rendered_t out;

        set_path_string(event, "approval.subject", "title", hostile);
        set_path_string(event, "approval", "name", hostile);
        set_path_string(event, "approval.requester", "display_name", "<@U123>");
        context = sap_template_context(event, NULL, NULL);
        expect_rendered(pool, sap_template_default(sap_products[p], "approval_requested"), context,
                        &out);
        expect_contains(out.slack_body, "&lt;!channel&gt; &amp; &lt;b&gt;");
        expect_contains(out.slack_body, "*&lt;@U123&gt;*");
        assert_null(strstr(out.slack_body, "<!channel>"));
        assert_null(strstr(out.slack_body, "<@U123>"));
        assert_null(strstr(out.slack_body, "<b>"));
        expect_contains(out.email_body, hostile);
        expect_contains(out.email_body, "<@U123>");
        expect_contains(out.email_subject, hostile);
        json_decref(context);
        json_decref(event);
    }
}

static void test_subject_is_one_line(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = sap_template_sample_event("jira", "approval_requested");
    json_t *context;
    sap_rendered_t out;
    sap_template_t custom = { "x", " \r\n {{approval.name}}\r\nnext\n\t ", "y" };

    set_path_string(event, "approval", "name", "Line one\nLine two\r\nthree");
    context = sap_template_context(event, NULL, NULL);
    expect_rendered(pool, sap_template_default("jira", "approval_requested"), context, &out);
    assert_string_equal(out.email_subject,
                        "[Jira] Approval requested: Line one Line two  three (FIN-12)");
    expect_rendered(pool, &custom, context, &out);
    assert_string_equal(out.email_subject, "Line one Line two  three  next");
    assert_string_equal(out.slack_body, "x");
    assert_string_equal(out.email_body, "y");
    json_decref(context);
    json_decref(event);
}

/* ---------------------------------------------------------------- size */

static void test_many_decisions(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = sap_template_sample_event("jira", "step_completed");
    json_t *decisions = json_array();
    json_t *context;
    sap_rendered_t out;
    char comment[600];
    int i;

    memset(comment, 'c', sizeof(comment) - 1);
    comment[sizeof(comment) - 1] = '\0';
    comment[10] = '<';
    for (i = 0; i < 200; i++) {
        json_array_append_new(decisions,
                              json_pack("{s:{s:s, s:s, s:s}, s:n, s:s, s:s, s:[], s:s}",
                                        "by", "account_id", "u-x", "display_name",
                                        apr_psprintf(pool, "Approver %d", i), "email",
                                        "x@example.com", "on_behalf_of", "decision", "approved",
                                        "comment", comment, "votes", "at",
                                        "2026-11-28T10:00:00Z"));
    }
    json_object_set_new(json_object_get(event, "step"), "decisions", decisions);
    context = sap_template_context(event, NULL, NULL);
    expect_rendered(pool, sap_template_default("jira", "step_completed"), context, &out);
    /* 200 × 600+ bytes (more once escaped): cut at the cap */
    assert_true(strlen(out.slack_body) <= SAP_TEMPLATE_MAX_RENDERED);
    assert_true(strlen(out.slack_body) > SAP_TEMPLATE_MAX_RENDERED - 1000);
    assert_true(strlen(out.email_body) <= SAP_TEMPLATE_MAX_RENDERED);
    expect_contains(out.slack_body, "Approver 0*");
    expect_contains(out.slack_body, "Approver 99*");
    expect_contains(out.slack_body, "cccccccccc&lt;ccc");
    assert_null(strstr(out.slack_body, "c<"));
    json_decref(context);
    json_decref(event);
}

/* ---------------------------------------------------------------- context */

static json_t *context_of(const char *event_json, const char *recipient_json,
                          const char *delegate_json)
{
    json_t *event = event_json ? json_loads(event_json, 0, NULL) : NULL;
    json_t *recipient = recipient_json ? json_loads(recipient_json, 0, NULL) : NULL;
    json_t *delegate_of = delegate_json ? json_loads(delegate_json, 0, NULL) : NULL;
    json_t *context;

    assert_true(!event_json || event);
    context = sap_template_context(event, recipient, delegate_of);
    assert_true(json_is_object(context));
    json_decref(event);
    json_decref(recipient);
    json_decref(delegate_of);
    return context;
}

static void expect_context_string(const char *event_json, const char *key, const char *expected)
{
    json_t *context = context_of(event_json, NULL, NULL);

    if (!json_string_value(json_object_get(context, key))
        || strcmp(json_string_value(json_object_get(context, key)), expected) != 0) {
        fail_msg("%s of %s: \"%s\", expected \"%s\"", key, event_json,
                 json_string_value(json_object_get(context, key)), expected);
    }
    json_decref(context);
}

static void test_context_fields(void **state)
{
    json_t *event = sap_template_sample_event("jira", "approval_requested");
    json_t *recipients = json_object_get(event, "recipients");
    json_t *cy = json_array_get(recipients, 1);
    json_t *di = json_array_get(json_object_get(cy, "delegates"), 0);
    json_t *context = sap_template_context(event, di, cy);

    /* the event's own fields, copied */
    assert_true(json_equal(json_object_get(context, "approval"),
                           json_object_get(event, "approval")));
    assert_true(json_equal(json_object_get(context, "step"), json_object_get(event, "step")));
    assert_true(json_equal(json_object_get(context, "recipients"), recipients));
    assert_string_equal(path_string(context, "type"), "approval_requested");
    assert_string_equal(path_string(context, "occurred_at"), "2026-11-28T10:00:00Z");
    assert_true(json_is_null(json_object_get(context, "decision")));
    /* and the computed ones */
    assert_string_equal(path_string(context, "recipient.display_name"), "Di Moreau");
    assert_string_equal(path_string(context, "delegate_of.display_name"), "Cy Young");
    assert_true(json_is_true(json_object_get(context, "is_delegate")));
    assert_true(json_is_true(json_object_get(context, "is_jira")));
    assert_true(json_is_false(json_object_get(context, "is_confluence")));
    assert_true(json_is_false(json_object_get(context, "is_vote")));
    assert_string_equal(path_string(context, "product_name"), "Jira");
    assert_string_equal(path_string(context, "subject_noun"), "issue");
    assert_string_equal(path_string(context, "container_noun"), "project");
    assert_string_equal(path_string(context, "type_title"), "Approval requested");
    assert_string_equal(path_string(context, "progress_text"), "0 of 2 approvals");
    assert_string_equal(path_string(context, "due_text"), "2026-12-01 17:00 UTC");
    assert_string_equal(path_string(context, "decision_verb"), "");
    /* a copy: changing it leaves the event alone */
    set_path_string(context, "approval", "name", "changed");
    assert_string_equal(path_string(event, "approval.name"), "Budget sign-off");
    json_decref(context);

    /* a channel message: nobody in particular */
    context = sap_template_context(event, NULL, NULL);
    assert_true(json_is_null(json_object_get(context, "recipient")));
    assert_true(json_is_null(json_object_get(context, "delegate_of")));
    assert_true(json_is_false(json_object_get(context, "is_delegate")));
    json_decref(context);
    context = sap_template_context(event, cy, NULL);
    assert_string_equal(path_string(context, "recipient.display_name"), "Cy Young");
    assert_true(json_is_false(json_object_get(context, "is_delegate")));
    json_decref(context);
    json_decref(event);

    event = sap_template_sample_event("confluence", "step_completed");
    context = sap_template_context(event, NULL, NULL);
    assert_true(json_is_true(json_object_get(context, "is_confluence")));
    assert_true(json_is_false(json_object_get(context, "is_jira")));
    assert_true(json_is_true(json_object_get(context, "is_vote")));
    assert_string_equal(path_string(context, "product_name"), "Confluence");
    assert_string_equal(path_string(context, "subject_noun"), "page");
    assert_string_equal(path_string(context, "container_noun"), "space");
    assert_string_equal(path_string(context, "type_title"), "Step completed");
    assert_string_equal(path_string(context, "progress_text"), "3 of 3 votes");
    json_decref(context);
    json_decref(event);

    event = sap_template_sample_event("jira", "decision_recorded");
    context = sap_template_context(event, NULL, NULL);
    assert_string_equal(path_string(context, "decision_verb"), "approved");
    assert_string_equal(path_string(context, "progress_text"), "1 of 2 approvals");
    json_decref(context);
    json_decref(event);
}

static void test_progress_text(void **state)
{
    expect_context_string("{\"step\": {\"kind\": \"approval\", \"required\": 2,"
                          " \"progress\": {\"approved\": 1}}}", "progress_text",
                          "1 of 2 approvals");
    expect_context_string("{\"step\": {\"kind\": \"approval\", \"required\": 1,"
                          " \"progress\": {\"approved\": 0}}}", "progress_text",
                          "0 of 1 approval");
    expect_context_string("{\"step\": {\"required\": 3}}", "progress_text", "0 of 3 approvals");
    expect_context_string("{\"step\": {\"progress\": {\"approved\": 1}}}", "progress_text",
                          "1 approval");
    expect_context_string("{\"step\": {\"progress\": {\"approved\": 4}, \"required\": null}}",
                          "progress_text", "4 approvals");
    expect_context_string("{\"step\": {\"kind\": \"vote\", \"required\": 2,"
                          " \"progress\": {\"voted\": 1}}}", "progress_text", "1 of 2 votes");
    /* a vote without progress.voted counts its decisions */
    expect_context_string("{\"step\": {\"kind\": \"vote\", \"required\": 5,"
                          " \"progress\": {\"approved\": 0}, \"decisions\": [{}, {}, {}]}}",
                          "progress_text", "3 of 5 votes");
    expect_context_string("{\"step\": {\"kind\": \"vote\", \"decisions\": [{}]}}",
                          "progress_text", "1 vote");
    expect_context_string("{\"step\": {\"kind\": \"vote\"}}", "progress_text", "0 votes");
    expect_context_string("{}", "progress_text", "");
    expect_context_string("{\"step\": null}", "progress_text", "");
    expect_context_string("{\"step\": \"S-1\"}", "progress_text", "");
}

static void test_due_text(void **state)
{
    expect_context_string("{\"step\": {\"due_at\": \"2026-11-28T10:00:00Z\"}}", "due_text",
                          "2026-11-28 10:00 UTC");
    expect_context_string("{\"step\": {\"due_at\": \"2026-11-28T10:00:59.999Z\"}}", "due_text",
                          "2026-11-28 10:00 UTC");
    expect_context_string("{\"step\": {\"due_at\": \"2026-11-28T10:00Z\"}}", "due_text",
                          "2026-11-28 10:00 UTC");
    expect_context_string("{\"step\": {\"due_at\": \"2026-11-28T10:00:00\"}}", "due_text",
                          "2026-11-28 10:00 UTC");
    /* an offset is turned into UTC, across a day and a year */
    expect_context_string("{\"step\": {\"due_at\": \"2026-11-28T01:30:00+02:00\"}}", "due_text",
                          "2026-11-27 23:30 UTC");
    expect_context_string("{\"step\": {\"due_at\": \"2026-12-31T20:00:00-0530\"}}", "due_text",
                          "2027-01-01 01:30 UTC");
    expect_context_string("{\"step\": {\"due_at\": \"2028-02-29 12:05:00z\"}}", "due_text",
                          "2028-02-29 12:05 UTC");
    /* what does not parse is shown as it is */
    expect_context_string("{\"step\": {\"due_at\": \"next Friday\"}}", "due_text", "next Friday");
    expect_context_string("{\"step\": {\"due_at\": \"2026-02-30T10:00:00Z\"}}", "due_text",
                          "2026-02-30T10:00:00Z");
    expect_context_string("{\"step\": {\"due_at\": \"2026-11-28T24:00:00Z\"}}", "due_text",
                          "2026-11-28T24:00:00Z");
    expect_context_string("{\"step\": {\"due_at\": \"2026-11-28T10:00:00Zjunk\"}}", "due_text",
                          "2026-11-28T10:00:00Zjunk");
    expect_context_string("{\"step\": {\"due_at\": \"2026-11-28\"}}", "due_text", "2026-11-28");
    expect_context_string("{\"step\": {\"due_at\": \"2026-11-28T10:00:00.Z\"}}", "due_text",
                          "2026-11-28T10:00:00.Z");
    expect_context_string("{\"step\": {\"due_at\": \"1960-01-01T00:00:00Z\"}}", "due_text",
                          "1960-01-01T00:00:00Z");
    expect_context_string("{\"step\": {\"due_at\": null}}", "due_text", "");
    expect_context_string("{\"step\": {\"due_at\": \"\"}}", "due_text", "");
    expect_context_string("{\"step\": {\"due_at\": 1764324000}}", "due_text", "");
    expect_context_string("{}", "due_text", "");
}

static void test_decision_verb(void **state)
{
    static const char *const cases[][2] = {
        { "approved", "approved" }, { "approve", "approved" },
        { "rejected", "rejected" }, { "reject", "rejected" },
        { "abstained", "abstained" }, { "abstain", "abstained" },
        { "voted", "voted" }, { "vote", "voted" },
        { "escalated", "escalated" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char event[128];

        snprintf(event, sizeof(event), "{\"decision\": {\"decision\": \"%s\"}}", cases[i][0]);
        expect_context_string(event, "decision_verb", cases[i][1]);
    }
    expect_context_string("{\"decision\": null}", "decision_verb", "");
    expect_context_string("{\"decision\": {\"decision\": 3}}", "decision_verb", "");
    expect_context_string("{}", "decision_verb", "");
}

/* Whatever is missing, the context is built and every default renders. */
static void test_context_tolerates_missing_parts(void **state)
{
    apr_pool_t *pool = *state;
    static const char *const events[] = {
        NULL, "{}", "[]", "\"text\"", "{\"product\": \"jira\"}",
        "{\"product\": \"confluence\", \"type\": \"decision_recorded\", \"approval\": null,"
        " \"step\": null, \"decision\": {}, \"reassigned\": {}}",
        "{\"product\": 7, \"type\": [], \"approval\": \"x\", \"step\": {\"kind\": null,"
        " \"decisions\": {}, \"tally\": \"x\", \"progress\": []}, \"recipients\": {}}",
        "{\"step\": {\"decisions\": [null, 1, {\"by\": null, \"on_behalf_of\": {}}]}}",
    };
    size_t e;
    int p, t;

    for (e = 0; e < sizeof(events) / sizeof(events[0]); e++) {
        json_t *event = events[e] ? json_loads(events[e], JSON_DECODE_ANY, NULL) : NULL;
        json_t *context = sap_template_context(event, NULL, NULL);

        assert_true(json_is_object(context));
        assert_non_null(json_object_get(context, "progress_text"));
        assert_non_null(json_object_get(context, "due_text"));
        assert_non_null(json_object_get(context, "product_name"));
        for (p = 0; p < PRODUCT_COUNT; p++) {
            for (t = 0; t < SAP_NOTIFICATION_TYPE_COUNT; t++) {
                sap_rendered_t out;

                expect_rendered(pool, sap_template_default(sap_products[p],
                                                           sap_notification_types[t]),
                                context, &out);
                assert_null(strpbrk(out.email_subject, "\r\n"));
            }
        }
        json_decref(context);
        json_decref(event);
    }
    /* a recipient given as JSON null is no recipient */
    {
        json_t *context = context_of("{}", "null", "null");

        assert_true(json_is_null(json_object_get(context, "recipient")));
        assert_true(json_is_false(json_object_get(context, "is_delegate")));
        json_decref(context);
    }
    {
        json_t *context = context_of("{\"product\": \"bitbucket\", \"type\": \"x\"}", NULL, NULL);

        assert_string_equal(path_string(context, "product_name"), "");
        assert_string_equal(path_string(context, "type_title"), "");
        assert_true(json_is_false(json_object_get(context, "is_jira")));
        json_decref(context);
    }
}

/* ---------------------------------------------------------------- check and render errors */

static void test_check_and_render_errors(void **state)
{
    apr_pool_t *pool = *state;
    sap_template_t bad_subject = { "fine {{x}}", "Subject {{#a}}", "body" };
    sap_template_t bad_slack = { "line\n{{/b}}", "s", "b" };
    sap_template_t bad_body = { "a", "b", "{{> partial}}" };
    sap_template_t empty = { NULL, NULL, NULL };
    const char *field = NULL;
    sap_mustache_error_t err;
    sap_rendered_t out;
    json_t *context = context_of("{}", NULL, NULL);

    assert_int_equal(sap_template_check(pool, &bad_subject, &field, &err), APR_EINVAL);
    assert_string_equal(field, SAP_TEMPLATE_PART_EMAIL_SUBJECT);
    assert_non_null(strstr(err.message, "unclosed section 'a'"));
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 9);
    assert_int_equal(err.offset, 8);

    assert_int_equal(sap_template_render(pool, &bad_slack, context, &out, &field, &err),
                     APR_EINVAL);
    assert_string_equal(field, SAP_TEMPLATE_PART_SLACK_BODY);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 1);
    assert_null(out.slack_body);

    assert_int_equal(sap_template_check(pool, &bad_body, &field, &err), APR_EINVAL);
    assert_string_equal(field, SAP_TEMPLATE_PART_EMAIL_BODY);
    assert_non_null(strstr(err.message, "not supported"));
    assert_int_equal(sap_template_check(pool, &bad_body, NULL, NULL), APR_EINVAL);

    /* absent parts are empty ones */
    assert_int_equal(sap_template_check(pool, &empty, &field, &err), APR_SUCCESS);
    assert_null(field);
    assert_int_equal(sap_template_render(pool, &empty, context, &out, &field, &err), APR_SUCCESS);
    assert_string_equal(out.slack_body, "");
    assert_string_equal(out.email_subject, "");
    assert_string_equal(out.email_body, "");
    json_decref(context);
}

/* A customised template sees the same context as the defaults. */
static void test_custom_template(void **state)
{
    apr_pool_t *pool = *state;
    json_t *event = sap_template_sample_event("confluence", "step_completed");
    json_t *context = sap_template_context(event, NULL, NULL);
    sap_template_t custom = {
        "{{type_title}} in {{container_noun}} {{approval.subject.container.key}}:\n"
        "{{#step.tally}}\n"
        "{{label}}={{count}}\n"
        "{{/step.tally}}\n"
        "{{#is_vote}}vote{{/is_vote}}{{^is_jira}}!{{/is_jira}}",
        "{{product_name}} {{subject_noun}} {{approval.subject.key}}",
        "{{#step.decisions}}{{by.display_name}}{{#on_behalf_of}}/{{display_name}}{{/on_behalf_of}}"
        ";{{/step.decisions}}"
    };
    sap_rendered_t out;

    expect_rendered(pool, &custom, context, &out);
    assert_string_equal(out.slack_body, "Step completed in space DOCS:\n"
                                        "Publish now=2\nNeeds another pass=1\nvote!");
    assert_string_equal(out.email_subject, "Confluence page 123456");
    assert_string_equal(out.email_body, "Bo Jensen;Di Moreau/Cy Young;Ed Okafor;");
    json_decref(context);
    json_decref(event);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_and_products),
        SAP_POOL_TEST(test_defaults_parse),
        SAP_POOL_TEST(test_defaults_render_over_all_samples),
        SAP_POOL_TEST(test_defaults_read_naturally),
        SAP_POOL_TEST(test_sample_events),
        SAP_POOL_TEST(test_values_escaped_for_slack_only),
        SAP_POOL_TEST(test_subject_is_one_line),
        SAP_POOL_TEST(test_many_decisions),
        cmocka_unit_test(test_context_fields),
        cmocka_unit_test(test_progress_text),
        cmocka_unit_test(test_due_text),
        cmocka_unit_test(test_decision_verb),
        SAP_POOL_TEST(test_context_tolerates_missing_parts),
        SAP_POOL_TEST(test_check_and_render_errors),
        SAP_POOL_TEST(test_custom_template),
    };

    return cmocka_run_group_tests_name("sap_templates", tests, sap_test_group_setup,
                                       sap_test_group_teardown);
}
