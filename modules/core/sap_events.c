/* Validation of engine events: every field the module relies on is
 * checked here once, so the dispatcher can take the event's shape for
 * granted. */
#include <string.h>
#include <apr_strings.h>

#include "sap_events.h"
#include "sap_templates.h"

/* One check's verdict: NULL when fine, else the problem sentence. */
typedef const char *check_fn(const json_t *value);

typedef struct check_t {
    apr_pool_t *pool;
    sap_event_problem_t *problem;
} check_t;

static apr_status_t refuse(check_t *check, const char *field, const char *message)
{
    check->problem->field = field;
    check->problem->message = apr_psprintf(check->pool, "%s: %s", field, message);
    return APR_EINVAL;
}

static const char *field_name(check_t *check, const char *prefix, const char *name)
{
    return *prefix ? apr_pstrcat(check->pool, prefix, ".", name, NULL) : name;
}

static const char *is_id(const json_t *value)
{
    size_t len = json_string_length(value);

    if (!json_is_string(value)) {
        return "must be a string";
    }
    if (len == 0) {
        return "must not be empty";
    }
    return len > SAP_EVENT_MAX_ID ? "is longer than 200 bytes" : NULL;
}

static const char *is_string(const json_t *value)
{
    return json_is_string(value) ? NULL : "must be a string";
}

static const char *is_email(const json_t *value)
{
    const char *text = json_string_value(value);

    if (!text || !*text) {
        return "must be an email address";
    }
    if (strlen(text) > 254 || !strchr(text, '@') || strpbrk(text, "\r\n <>,;\"")) {
        return "is not a usable email address";
    }
    return NULL;
}

/* The member `name` of object obj, checked. Missing or null fails when
 * required; present with a null value is allowed for optional fields. */
static apr_status_t member(check_t *check, const json_t *obj, const char *prefix,
                           const char *name, int required, check_fn *fn)
{
    json_t *value = json_object_get(obj, name);
    const char *why;

    if (!value || json_is_null(value)) {
        return required ? refuse(check, field_name(check, prefix, name), "missing field")
                        : APR_SUCCESS;
    }
    why = fn(value);
    return why ? refuse(check, field_name(check, prefix, name), why) : APR_SUCCESS;
}

static apr_status_t object_member(check_t *check, const json_t *obj, const char *prefix,
                                  const char *name, int required, json_t **pvalue)
{
    json_t *value = json_object_get(obj, name);

    *pvalue = NULL;
    if (!value || json_is_null(value)) {
        return required ? refuse(check, field_name(check, prefix, name), "missing field")
                        : APR_SUCCESS;
    }
    if (!json_is_object(value)) {
        return refuse(check, field_name(check, prefix, name), "must be an object");
    }
    *pvalue = value;
    return APR_SUCCESS;
}

/* A person: {account_id?, display_name?, email?}; with_email: the email is
 * required (recipients are found in Slack and mailed by it). */
static apr_status_t check_person(check_t *check, const json_t *person, const char *prefix,
                                 int with_email)
{
    apr_status_t rv;

    if ((rv = member(check, person, prefix, "account_id", 0, is_id)) != APR_SUCCESS
        || (rv = member(check, person, prefix, "display_name", 0, is_string)) != APR_SUCCESS) {
        return rv;
    }
    return member(check, person, prefix, "email", with_email, is_email);
}

static apr_status_t person_member(check_t *check, const json_t *obj, const char *prefix,
                                  const char *name, int required)
{
    json_t *person;
    apr_status_t rv = object_member(check, obj, prefix, name, required, &person);

    if (rv != APR_SUCCESS || !person) {
        return rv;
    }
    return check_person(check, person, field_name(check, prefix, name), 0);
}

static apr_status_t check_approval(check_t *check, const json_t *event)
{
    json_t *approval, *definition, *subject;
    apr_status_t rv;

    if ((rv = object_member(check, event, "", "approval", 1, &approval)) != APR_SUCCESS
        || (rv = member(check, approval, "approval", "id", 1, is_id)) != APR_SUCCESS
        || (rv = member(check, approval, "approval", "name", 1, is_string)) != APR_SUCCESS
        || (rv = member(check, approval, "approval", "url", 1, is_string)) != APR_SUCCESS
        || (rv = member(check, approval, "approval", "status", 0, is_string)) != APR_SUCCESS
        || (rv = object_member(check, approval, "approval", "definition", 1, &definition))
           != APR_SUCCESS
        || (rv = member(check, definition, "approval.definition", "id", 1, is_id)) != APR_SUCCESS
        || (rv = object_member(check, approval, "approval", "subject", 1, &subject)) != APR_SUCCESS
        || (rv = member(check, subject, "approval.subject", "title", 1, is_string)) != APR_SUCCESS
        || (rv = member(check, subject, "approval.subject", "key", 0, is_string)) != APR_SUCCESS) {
        return rv;
    }
    return person_member(check, approval, "approval", "requester", 0);
}

static const char *is_step_kind(const json_t *value)
{
    const char *kind = json_string_value(value);

    return kind && (!strcmp(kind, "approval") || !strcmp(kind, "vote"))
           ? NULL : "must be \"approval\" or \"vote\"";
}

static const char *is_count(const json_t *value)
{
    return json_is_integer(value) && json_integer_value(value) >= 0
           ? NULL : "must be a whole number of 0 or more";
}

static const char *is_array(const json_t *value)
{
    return json_is_array(value) ? NULL : "must be an array";
}

static const char *is_object(const json_t *value)
{
    return json_is_object(value) ? NULL : "must be an object";
}

/* Types about one step need it; the others may carry it. */
static int type_needs_step(const char *type)
{
    static const char *const without_step[] = {
        "approval_completed", "approval_archived", "approval_deleted", "approval_outdated"
    };
    apr_size_t i;

    for (i = 0; i < sizeof(without_step) / sizeof(without_step[0]); i++) {
        if (!strcmp(type, without_step[i])) {
            return 0;
        }
    }
    return 1;
}

static apr_status_t check_step(check_t *check, const json_t *event, const char *type)
{
    json_t *step;
    apr_status_t rv = object_member(check, event, "", "step", type_needs_step(type), &step);

    if (rv != APR_SUCCESS || !step) {
        return rv;
    }
    if ((rv = member(check, step, "step", "id", 1, is_id)) != APR_SUCCESS
        || (rv = member(check, step, "step", "name", 1, is_string)) != APR_SUCCESS
        || (rv = member(check, step, "step", "kind", 1, is_step_kind)) != APR_SUCCESS
        || (rv = member(check, step, "step", "required", 0, is_count)) != APR_SUCCESS
        || (rv = member(check, step, "step", "approvers_total", 0, is_count)) != APR_SUCCESS
        || (rv = member(check, step, "step", "due_at", 0, is_string)) != APR_SUCCESS
        || (rv = member(check, step, "step", "progress", 0, is_object)) != APR_SUCCESS
        || (rv = member(check, step, "step", "decisions", 0, is_array)) != APR_SUCCESS) {
        return rv;
    }
    return member(check, step, "step", "tally", 0, is_array);
}

static apr_status_t check_delegates(check_t *check, const json_t *recipient, const char *prefix)
{
    json_t *delegates = json_object_get(recipient, "delegates");
    const char *field = field_name(check, prefix, "delegates");
    size_t i;
    apr_status_t rv;

    if (!delegates || json_is_null(delegates)) {
        return APR_SUCCESS;
    }
    if (!json_is_array(delegates)) {
        return refuse(check, field, "must be an array");
    }
    if (json_array_size(delegates) > SAP_EVENT_MAX_DELEGATES) {
        return refuse(check, field, "has more than 20 delegates");
    }
    for (i = 0; i < json_array_size(delegates); i++) {
        const char *item = apr_psprintf(check->pool, "%s[%lu]", field, (unsigned long)i);
        json_t *delegate = json_array_get(delegates, i);

        if (!json_is_object(delegate)) {
            return refuse(check, item, "must be an object");
        }
        if ((rv = check_person(check, delegate, item, 1)) != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

static const char *is_bool(const json_t *value)
{
    return json_is_boolean(value) ? NULL : "must be true or false";
}

static apr_status_t check_recipients(check_t *check, const json_t *event)
{
    json_t *recipients = json_object_get(event, "recipients");
    size_t i;
    apr_status_t rv;

    if (!recipients || json_is_null(recipients)) {
        return refuse(check, "recipients", "missing field");
    }
    if (!json_is_array(recipients)) {
        return refuse(check, "recipients", "must be an array");
    }
    if (json_array_size(recipients) > SAP_EVENT_MAX_RECIPIENTS) {
        return refuse(check, "recipients", "has more than 500 recipients");
    }
    for (i = 0; i < json_array_size(recipients); i++) {
        const char *item = apr_psprintf(check->pool, "recipients[%lu]", (unsigned long)i);
        json_t *recipient = json_array_get(recipients, i);

        if (!json_is_object(recipient)) {
            return refuse(check, item, "must be an object");
        }
        if ((rv = check_person(check, recipient, item, 1)) != APR_SUCCESS
            || (rv = member(check, recipient, item, "external", 0, is_bool)) != APR_SUCCESS
            || (rv = check_delegates(check, recipient, item)) != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

static apr_status_t check_type_specific(check_t *check, const json_t *event, const char *type)
{
    json_t *part;
    apr_status_t rv;

    if (!strcmp(type, "decision_recorded")) {
        if ((rv = object_member(check, event, "", "decision", 1, &part)) != APR_SUCCESS
            || (rv = member(check, part, "decision", "decision", 1, is_string)) != APR_SUCCESS
            || (rv = member(check, part, "decision", "comment", 0, is_string)) != APR_SUCCESS
            || (rv = person_member(check, part, "decision", "on_behalf_of", 0)) != APR_SUCCESS) {
            return rv;
        }
        return person_member(check, part, "decision", "by", 1);
    }
    if (!strcmp(type, "approver_reassigned")) {
        if ((rv = object_member(check, event, "", "reassigned", 1, &part)) != APR_SUCCESS
            || (rv = person_member(check, part, "reassigned", "from", 1)) != APR_SUCCESS) {
            return rv;
        }
        return person_member(check, part, "reassigned", "to", 1);
    }
    return APR_SUCCESS;
}

static apr_status_t check_options(check_t *check, const json_t *event)
{
    json_t *options;
    apr_status_t rv = object_member(check, event, "", "options", 0, &options);

    if (rv != APR_SUCCESS || !options) {
        return rv;
    }
    if ((rv = member(check, options, "options", "actions_without_login", 0, is_bool))
        != APR_SUCCESS) {
        return rv;
    }
    return member(check, options, "options", "action_buttons", 0, is_bool);
}

apr_status_t sap_event_validate(apr_pool_t *pool, const json_t *event,
                                sap_event_problem_t *problem)
{
    check_t check = {pool, problem};
    const char *type, *product;
    apr_status_t rv;

    if ((rv = member(&check, event, "", "event_id", 1, is_id)) != APR_SUCCESS
        || (rv = member(&check, event, "", "type", 1, is_string)) != APR_SUCCESS
        || (rv = member(&check, event, "", "product", 1, is_string)) != APR_SUCCESS) {
        return rv;
    }
    type = json_string_value(json_object_get(event, "type"));
    product = json_string_value(json_object_get(event, "product"));
    if (!sap_notification_type_valid(type)) {
        return refuse(&check, "type", "is not a notification type this module knows");
    }
    if (!sap_product_valid(product)) {
        return refuse(&check, "product", "must be \"jira\" or \"confluence\"");
    }
    if ((rv = member(&check, event, "", "occurred_at", 1, is_string)) != APR_SUCCESS
        || (rv = check_approval(&check, event)) != APR_SUCCESS
        || (rv = check_step(&check, event, type)) != APR_SUCCESS
        || (rv = check_recipients(&check, event)) != APR_SUCCESS
        || (rv = check_type_specific(&check, event, type)) != APR_SUCCESS) {
        return rv;
    }
    return check_options(&check, event);
}

static apr_status_t json_release(void *data)
{
    json_decref(data);
    return APR_SUCCESS;
}

json_t *sap_json_pool(apr_pool_t *pool, json_t *json)
{
    if (json) {
        apr_pool_cleanup_register(pool, json, json_release, apr_pool_cleanup_null);
    }
    return json;
}

json_t *sap_json_path(const json_t *root, const char *path)
{
    const json_t *node = root;
    const char *part = path;

    while (node && part && *part) {
        const char *dot = strchr(part, '.');
        size_t len = dot ? (size_t)(dot - part) : strlen(part);

        node = json_is_object(node) ? json_object_getn(node, part, len) : NULL;
        part = dot ? dot + 1 : NULL;
    }
    return (json_t *)node;
}

const char *sap_json_path_str(const json_t *root, const char *path)
{
    return json_string_value(sap_json_path(root, path));
}

int sap_json_path_bool(const json_t *root, const char *path, int dflt)
{
    json_t *value = sap_json_path(root, path);

    return json_is_boolean(value) ? json_is_true(value) : dflt;
}

int sap_event_notifies_delegates(const char *type)
{
    return type && (!strcmp(type, "approval_requested") || !strcmp(type, "approval_reminder")
                    || !strcmp(type, "approver_reassigned"));
}
