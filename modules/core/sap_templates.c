#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sap_mustache.h"
#include "sap_templates.h"
#include "sap_time.h"

/* Keys of the engine event (DESIGN section 6) and of the context built
 * from it; the context's own keys are the template variables. */
#define EK_EVENT_ID        "event_id"
#define EK_TYPE            "type"
#define EK_PRODUCT         "product"
#define EK_OCCURRED_AT     "occurred_at"
#define EK_APPROVAL        "approval"
#define EK_ID              "id"
#define EK_NAME            "name"
#define EK_URL             "url"
#define EK_STATUS          "status"
#define EK_DEFINITION      "definition"
#define EK_SUBJECT         "subject"
#define EK_KEY             "key"
#define EK_TITLE           "title"
#define EK_CONTAINER       "container"
#define EK_REQUESTER       "requester"
#define EK_ACCOUNT_ID      "account_id"
#define EK_DISPLAY_NAME    "display_name"
#define EK_EMAIL           "email"
#define EK_STEP            "step"
#define EK_KIND            "kind"
#define EK_REQUIRED        "required"
#define EK_APPROVERS_TOTAL "approvers_total"
#define EK_COMMENT_REQUIRED "comment_required"
#define EK_VOTE            "vote"
#define EK_MULTIPLE        "multiple"
#define EK_OPTIONS         "options"
#define EK_LABEL           "label"
#define EK_DUE_AT          "due_at"
#define EK_OUTCOME         "outcome"
#define EK_PROGRESS        "progress"
#define EK_APPROVED        "approved"
#define EK_REJECTED        "rejected"
#define EK_ABSTAINED       "abstained"
#define EK_PENDING         "pending"
#define EK_VOTED           "voted"
#define EK_DECISIONS       "decisions"
#define EK_BY              "by"
#define EK_ON_BEHALF_OF    "on_behalf_of"
#define EK_DECISION        "decision"
#define EK_COMMENT         "comment"
#define EK_VOTES           "votes"
#define EK_AT              "at"
#define EK_TALLY           "tally"
#define EK_OPTION_ID       "option_id"
#define EK_COUNT           "count"
#define EK_RECIPIENTS      "recipients"
#define EK_EXTERNAL        "external"
#define EK_DELEGATES       "delegates"
#define EK_REASSIGNED      "reassigned"
#define EK_FROM            "from"
#define EK_TO              "to"
#define EK_ACTIONS_WITHOUT_LOGIN "actions_without_login"
#define EK_ACTION_BUTTONS  "action_buttons"

#define CK_RECIPIENT       "recipient"
#define CK_DELEGATE_OF     "delegate_of"
#define CK_IS_JIRA         "is_jira"
#define CK_IS_CONFLUENCE   "is_confluence"
#define CK_IS_VOTE         "is_vote"
#define CK_IS_DELEGATE     "is_delegate"
#define CK_PRODUCT_NAME    "product_name"
#define CK_SUBJECT_NOUN    "subject_noun"
#define CK_CONTAINER_NOUN  "container_noun"
#define CK_TYPE_TITLE      "type_title"
#define CK_PROGRESS_TEXT   "progress_text"
#define CK_DUE_TEXT        "due_text"
#define CK_DECISION_VERB   "decision_verb"

#define STEP_KIND_VOTE     "vote"

#define T_APPROVAL_REQUESTED  "approval_requested"
#define T_APPROVAL_REMINDER   "approval_reminder"
#define T_DECISION_RECORDED   "decision_recorded"
#define T_STEP_COMPLETED      "step_completed"
#define T_APPROVAL_COMPLETED  "approval_completed"
#define T_STEP_EXPIRED        "step_expired"
#define T_APPROVER_REASSIGNED "approver_reassigned"
#define T_APPROVAL_ARCHIVED   "approval_archived"
#define T_APPROVAL_DELETED    "approval_deleted"
#define T_APPROVAL_OUTDATED   "approval_outdated"

/* ---------------------------------------------------------------- types and products */

const char *const sap_notification_types[SAP_NOTIFICATION_TYPE_COUNT] = {
    T_APPROVAL_REQUESTED, T_APPROVAL_REMINDER, T_DECISION_RECORDED, T_STEP_COMPLETED,
    T_APPROVAL_COMPLETED, T_STEP_EXPIRED, T_APPROVER_REASSIGNED, T_APPROVAL_ARCHIVED,
    T_APPROVAL_DELETED, T_APPROVAL_OUTDATED
};

const char *const sap_products[2] = { SAP_PRODUCT_JIRA, SAP_PRODUCT_CONFLUENCE };

/* In the order of sap_notification_types. */
static const char *const type_titles[SAP_NOTIFICATION_TYPE_COUNT] = {
    "Approval requested", "Reminder: approval pending", "Decision recorded", "Step completed",
    "Approval completed", "Step expired", "Approver reassigned", "Approval archived",
    "Approval deleted", "Approval outdated"
};

static int type_index(const char *type)
{
    int i;

    for (i = 0; type && i < SAP_NOTIFICATION_TYPE_COUNT; i++) {
        if (strcmp(type, sap_notification_types[i]) == 0) {
            return i;
        }
    }
    return -1;
}

int sap_notification_type_valid(const char *type)
{
    return type_index(type) >= 0;
}

int sap_product_valid(const char *product)
{
    return product && (strcmp(product, SAP_PRODUCT_JIRA) == 0
                       || strcmp(product, SAP_PRODUCT_CONFLUENCE) == 0);
}

const char *sap_template_type_title(const char *type)
{
    int index = type_index(type);

    return index >= 0 ? type_titles[index] : NULL;
}

/* ---------------------------------------------------------------- default templates */

/* What differs between the products: J_ for Jira (issue, project), C_ for
 * Confluence (page, space). The type macros below paste the prefix. */
#define J_LABEL    "Jira"
#define J_SUBJ_MD  "issue <{{approval.subject.url}}|{{approval.subject.key}}: " \
                   "{{approval.subject.title}}> in project *{{approval.subject.container.name}}*"
#define J_SUBJ_TXT "issue {{approval.subject.key}} ({{approval.subject.title}}) " \
                   "in project {{approval.subject.container.name}}"
#define J_TAG      "{{approval.subject.key}}"
#define J_NOUN_CAP "Issue"
#define J_OUTDATED "the issue changed after the approval was requested"

#define C_LABEL    "Confluence"
#define C_SUBJ_MD  "page <{{approval.subject.url}}|{{approval.subject.title}}> " \
                   "in space *{{approval.subject.container.name}}*"
#define C_SUBJ_TXT "page \"{{approval.subject.title}}\" " \
                   "in space {{approval.subject.container.name}}"
#define C_TAG      "{{approval.subject.title}}"
#define C_NOUN_CAP "Page"
#define C_OUTDATED "the page was edited after the approval was requested"

/* A person's name, or their email when only that is known (an external
 * approver); path is the person's dotted name. */
#define PERSON_MD(path) \
    "{{#" path ".display_name}}*{{" path ".display_name}}*{{/" path ".display_name}}" \
    "{{^" path ".display_name}}{{" path ".email}}{{/" path ".display_name}}"
#define PERSON_TXT(path) \
    "{{" path ".display_name}}" \
    "{{^" path ".display_name}}{{" path ".email}}{{/" path ".display_name}}"

#define ASK_FOR \
    "{{#is_vote}}asks for your vote on{{/is_vote}}{{^is_vote}}asks for your approval of{{/is_vote}}"
#define WAITED_FOR "{{#is_vote}}vote{{/is_vote}}{{^is_vote}}decision{{/is_vote}}"

/* Slack (mrkdwn) fragments; section tags alone on a line vanish with it. */
#define MD_APPROVAL "*<{{approval.url}}|{{approval.name}}>*"
#define MD_STEP \
    "{{#step}}\n" \
    "*Step:* {{step.name}}{{#is_vote}} (vote){{/is_vote}} · {{progress_text}}\n" \
    "{{/step}}\n"
#define MD_DUE \
    "{{#due_text}}\n" \
    "*Due:* {{due_text}}\n" \
    "{{/due_text}}\n"
#define MD_COMMENT_REQUIRED \
    "{{#step.comment_required}}\n" \
    "_A comment is required with your decision._\n" \
    "{{/step.comment_required}}\n"
#define MD_DECISIONS \
    "*Decisions:*\n" \
    "{{#step.decisions}}\n" \
    "• " PERSON_MD("by") "{{#on_behalf_of}} on behalf of " PERSON_MD("on_behalf_of") \
    "{{/on_behalf_of}}: {{decision}}{{#comment}} — “{{comment}}”{{/comment}}\n" \
    "{{/step.decisions}}\n" \
    "{{^step.decisions}}\n" \
    "_No decisions were recorded._\n" \
    "{{/step.decisions}}\n"
#define MD_TALLY \
    "{{#is_vote}}\n" \
    "*Votes:*\n" \
    "{{#step.tally}}\n" \
    "• {{label}}: *{{count}}*\n" \
    "{{/step.tally}}\n" \
    "{{/is_vote}}\n"

/* Email (plain text) fragments. */
#define TXT_GREETING \
    "Hello{{#recipient.display_name}} {{recipient.display_name}}{{/recipient.display_name}},\n\n"
#define TXT_DELEGATE \
    "{{#is_delegate}}\n" \
    "You receive this as a delegate of {{delegate_of.display_name}}.\n\n" \
    "{{/is_delegate}}\n"
#define TXT_STEP \
    "{{#step}}\n" \
    "Step: {{step.name}}{{#is_vote}} (vote){{/is_vote}}, {{progress_text}}\n" \
    "{{/step}}\n"
#define TXT_DUE \
    "{{#due_text}}\n" \
    "Due: {{due_text}}\n" \
    "{{/due_text}}\n"
#define TXT_COMMENT_REQUIRED \
    "{{#step.comment_required}}\n" \
    "A comment is required with your decision.\n" \
    "{{/step.comment_required}}\n"
#define TXT_DECISIONS \
    "Decisions:\n" \
    "{{#step.decisions}}\n" \
    "- " PERSON_TXT("by") "{{#on_behalf_of}} on behalf of " PERSON_TXT("on_behalf_of") \
    "{{/on_behalf_of}}: {{decision}}{{#comment}} (\"{{comment}}\"){{/comment}}\n" \
    "{{/step.decisions}}\n" \
    "{{^step.decisions}}\n" \
    "(none)\n" \
    "{{/step.decisions}}\n"
#define TXT_TALLY \
    "{{#is_vote}}\n" \
    "Votes:\n" \
    "{{#step.tally}}\n" \
    "- {{label}}: {{count}}\n" \
    "{{/step.tally}}\n" \
    "{{/is_vote}}\n"
#define TXT_LINK(lead) "\n" lead ": {{approval.url}}\n"
#define TXT_FOOTER "\n-- \n{{product_name}} approvals\n"

#define TPL_APPROVAL_REQUESTED(P) { \
    PERSON_MD("approval.requester") " " ASK_FOR " " MD_APPROVAL " for " P##_SUBJ_MD ".\n" \
    MD_STEP MD_DUE MD_COMMENT_REQUIRED, \
    "[" P##_LABEL "] Approval requested: {{approval.name}} (" P##_TAG ")", \
    TXT_GREETING TXT_DELEGATE \
    PERSON_TXT("approval.requester") " " ASK_FOR " \"{{approval.name}}\" for " P##_SUBJ_TXT \
    ".\n\n" \
    TXT_STEP TXT_DUE TXT_COMMENT_REQUIRED TXT_LINK("Review it and decide") TXT_FOOTER }

#define TPL_APPROVAL_REMINDER(P) { \
    "Reminder: " MD_APPROVAL " for " P##_SUBJ_MD " is still waiting for your " WAITED_FOR ".\n" \
    MD_STEP MD_DUE MD_COMMENT_REQUIRED, \
    "[" P##_LABEL "] Reminder: {{approval.name}} (" P##_TAG ") is waiting for your " WAITED_FOR, \
    TXT_GREETING TXT_DELEGATE \
    "This is a reminder: \"{{approval.name}}\" for " P##_SUBJ_TXT \
    " is still waiting for your " WAITED_FOR ".\n\n" \
    TXT_STEP TXT_DUE TXT_COMMENT_REQUIRED TXT_LINK("Review it and decide") TXT_FOOTER }

#define TPL_DECISION_RECORDED(P) { \
    "New decision on " MD_APPROVAL " for " P##_SUBJ_MD ":\n" \
    PERSON_MD("decision.by") " {{decision_verb}}{{#decision.on_behalf_of}} on behalf of " \
    PERSON_MD("decision.on_behalf_of") "{{/decision.on_behalf_of}}.\n" \
    "{{#decision.comment}}\n" \
    "> {{decision.comment}}\n" \
    "{{/decision.comment}}\n" \
    MD_STEP MD_TALLY, \
    "[" P##_LABEL "] " PERSON_TXT("decision.by") " {{decision_verb}}: {{approval.name}} (" \
    P##_TAG ")", \
    TXT_GREETING TXT_DELEGATE \
    "A decision was recorded on \"{{approval.name}}\" for " P##_SUBJ_TXT ":\n\n" \
    PERSON_TXT("decision.by") " {{decision_verb}}{{#decision.on_behalf_of}} on behalf of " \
    PERSON_TXT("decision.on_behalf_of") "{{/decision.on_behalf_of}}.\n" \
    "{{#decision.comment}}\n" \
    "Comment: {{decision.comment}}\n" \
    "{{/decision.comment}}\n" \
    "\n" TXT_STEP TXT_TALLY TXT_LINK("Open the approval") TXT_FOOTER }

#define TPL_STEP_COMPLETED(P) { \
    "Step *{{step.name}}* of " MD_APPROVAL " for " P##_SUBJ_MD \
    " is complete{{#step.outcome}}: *{{step.outcome}}*{{/step.outcome}}.\n" \
    MD_DECISIONS MD_TALLY, \
    "[" P##_LABEL "] Step completed: {{step.name}} of {{approval.name}} (" P##_TAG ")", \
    TXT_GREETING TXT_DELEGATE \
    "Step \"{{step.name}}\" of \"{{approval.name}}\" for " P##_SUBJ_TXT \
    " is complete{{#step.outcome}}: {{step.outcome}}{{/step.outcome}}.\n\n" \
    TXT_DECISIONS TXT_TALLY TXT_LINK("Open the approval") TXT_FOOTER }

#define TPL_APPROVAL_COMPLETED(P) { \
    MD_APPROVAL " for " P##_SUBJ_MD \
    " is complete{{#approval.status}}: *{{approval.status}}*{{/approval.status}}.\n" \
    "{{#step}}\n" \
    "*Last step:* {{step.name}}{{#step.outcome}} ({{step.outcome}}){{/step.outcome}}\n" \
    "{{/step}}\n" \
    MD_DECISIONS MD_TALLY, \
    "[" P##_LABEL "] Approval completed: {{approval.name}} (" P##_TAG ")" \
    "{{#approval.status}} – {{approval.status}}{{/approval.status}}", \
    TXT_GREETING TXT_DELEGATE \
    "\"{{approval.name}}\" for " P##_SUBJ_TXT \
    " is complete{{#approval.status}}: {{approval.status}}{{/approval.status}}.\n\n" \
    "{{#step}}\n" \
    "Last step: {{step.name}}{{#step.outcome}} ({{step.outcome}}){{/step.outcome}}\n" \
    "{{/step}}\n" \
    TXT_DECISIONS TXT_TALLY TXT_LINK("Open the approval") TXT_FOOTER }

#define TPL_STEP_EXPIRED(P) { \
    "Step *{{step.name}}* of " MD_APPROVAL " for " P##_SUBJ_MD \
    " expired{{#due_text}} (it was due {{due_text}}){{/due_text}} before it was decided.\n" \
    "*Progress when it expired:* {{progress_text}}\n", \
    "[" P##_LABEL "] Step expired: {{step.name}} of {{approval.name}} (" P##_TAG ")", \
    TXT_GREETING TXT_DELEGATE \
    "Step \"{{step.name}}\" of \"{{approval.name}}\" for " P##_SUBJ_TXT \
    " expired{{#due_text}} (it was due {{due_text}}){{/due_text}} before it was decided.\n" \
    "Progress when it expired: {{progress_text}}\n" \
    TXT_LINK("Open the approval") TXT_FOOTER }

#define TPL_APPROVER_REASSIGNED(P) { \
    "The decision in step *{{step.name}}* of " MD_APPROVAL " for " P##_SUBJ_MD \
    " was reassigned from " PERSON_MD("reassigned.from") " to " PERSON_MD("reassigned.to") ".\n" \
    "{{#step}}\n" \
    "*Progress:* {{progress_text}}\n" \
    "{{/step}}\n" \
    MD_DUE MD_COMMENT_REQUIRED, \
    "[" P##_LABEL "] Approver reassigned: {{approval.name}} (" P##_TAG ")", \
    TXT_GREETING TXT_DELEGATE \
    "The decision in step \"{{step.name}}\" of \"{{approval.name}}\" for " P##_SUBJ_TXT \
    " was reassigned from " PERSON_TXT("reassigned.from") " to " PERSON_TXT("reassigned.to") \
    ".\n\n" \
    TXT_STEP TXT_DUE TXT_COMMENT_REQUIRED TXT_LINK("Open the approval") TXT_FOOTER }

#define TPL_APPROVAL_ARCHIVED(P) { \
    MD_APPROVAL " for " P##_SUBJ_MD " was archived. No more decisions are needed.\n" \
    MD_STEP, \
    "[" P##_LABEL "] Approval archived: {{approval.name}} (" P##_TAG ")", \
    TXT_GREETING TXT_DELEGATE \
    "\"{{approval.name}}\" for " P##_SUBJ_TXT " was archived. No more decisions are needed.\n\n" \
    TXT_STEP TXT_LINK("Open the approval") TXT_FOOTER }

/* The approval is gone: link to the issue or page instead. */
#define TPL_APPROVAL_DELETED(P) { \
    "*{{approval.name}}* for " P##_SUBJ_MD " was deleted. No more decisions are needed.\n", \
    "[" P##_LABEL "] Approval deleted: {{approval.name}} (" P##_TAG ")", \
    TXT_GREETING TXT_DELEGATE \
    "\"{{approval.name}}\" for " P##_SUBJ_TXT " was deleted. No more decisions are needed.\n\n" \
    P##_NOUN_CAP ": {{approval.subject.url}}\n" TXT_FOOTER }

#define TPL_APPROVAL_OUTDATED(P) { \
    MD_APPROVAL " for " P##_SUBJ_MD " is outdated: " P##_OUTDATED \
    ". Pending decisions are no longer needed.\n", \
    "[" P##_LABEL "] Approval outdated: {{approval.name}} (" P##_TAG ")", \
    TXT_GREETING TXT_DELEGATE \
    "\"{{approval.name}}\" for " P##_SUBJ_TXT " is outdated: " P##_OUTDATED \
    ". Pending decisions are no longer needed.\n" \
    TXT_LINK("Open the approval") TXT_FOOTER }

typedef struct default_template_t {
    const char *product;
    const char *type;
    sap_template_t parts;
} default_template_t;

static const default_template_t default_templates[] = {
    { SAP_PRODUCT_JIRA, T_APPROVAL_REQUESTED, TPL_APPROVAL_REQUESTED(J) },
    { SAP_PRODUCT_JIRA, T_APPROVAL_REMINDER, TPL_APPROVAL_REMINDER(J) },
    { SAP_PRODUCT_JIRA, T_DECISION_RECORDED, TPL_DECISION_RECORDED(J) },
    { SAP_PRODUCT_JIRA, T_STEP_COMPLETED, TPL_STEP_COMPLETED(J) },
    { SAP_PRODUCT_JIRA, T_APPROVAL_COMPLETED, TPL_APPROVAL_COMPLETED(J) },
    { SAP_PRODUCT_JIRA, T_STEP_EXPIRED, TPL_STEP_EXPIRED(J) },
    { SAP_PRODUCT_JIRA, T_APPROVER_REASSIGNED, TPL_APPROVER_REASSIGNED(J) },
    { SAP_PRODUCT_JIRA, T_APPROVAL_ARCHIVED, TPL_APPROVAL_ARCHIVED(J) },
    { SAP_PRODUCT_JIRA, T_APPROVAL_DELETED, TPL_APPROVAL_DELETED(J) },
    { SAP_PRODUCT_JIRA, T_APPROVAL_OUTDATED, TPL_APPROVAL_OUTDATED(J) },
    { SAP_PRODUCT_CONFLUENCE, T_APPROVAL_REQUESTED, TPL_APPROVAL_REQUESTED(C) },
    { SAP_PRODUCT_CONFLUENCE, T_APPROVAL_REMINDER, TPL_APPROVAL_REMINDER(C) },
    { SAP_PRODUCT_CONFLUENCE, T_DECISION_RECORDED, TPL_DECISION_RECORDED(C) },
    { SAP_PRODUCT_CONFLUENCE, T_STEP_COMPLETED, TPL_STEP_COMPLETED(C) },
    { SAP_PRODUCT_CONFLUENCE, T_APPROVAL_COMPLETED, TPL_APPROVAL_COMPLETED(C) },
    { SAP_PRODUCT_CONFLUENCE, T_STEP_EXPIRED, TPL_STEP_EXPIRED(C) },
    { SAP_PRODUCT_CONFLUENCE, T_APPROVER_REASSIGNED, TPL_APPROVER_REASSIGNED(C) },
    { SAP_PRODUCT_CONFLUENCE, T_APPROVAL_ARCHIVED, TPL_APPROVAL_ARCHIVED(C) },
    { SAP_PRODUCT_CONFLUENCE, T_APPROVAL_DELETED, TPL_APPROVAL_DELETED(C) },
    { SAP_PRODUCT_CONFLUENCE, T_APPROVAL_OUTDATED, TPL_APPROVAL_OUTDATED(C) },
};

const sap_template_t *sap_template_default(const char *product, const char *type)
{
    apr_size_t i;

    if (!sap_product_valid(product) || !sap_notification_type_valid(type)) {
        return NULL;
    }
    for (i = 0; i < sizeof(default_templates) / sizeof(default_templates[0]); i++) {
        const default_template_t *entry = &default_templates[i];

        if (strcmp(entry->product, product) == 0 && strcmp(entry->type, type) == 0) {
            return &entry->parts;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- sample events */

#define SAMPLE_OCCURRED_AT "2026-11-28T10:00:00Z"
#define SAMPLE_DUE_AT      "2026-12-01T17:00:00Z"

/* What a sample says about its product. */
typedef struct sample_product_t {
    const char *product;
    const char *approval_id;
    const char *approval_name;
    const char *approval_url;
    const char *definition_id;
    const char *definition_name;
    const char *subject_key;
    const char *subject_title;
    const char *subject_url;
    const char *container_key;
    const char *container_name;
    const char *step_name;
    const char *vote_step_name;
    const char *vote_options[2];
    const char *comments[2];        /* of the first two approvals */
    const char *vote_comments[2];   /* of the first and the last vote */
} sample_product_t;

static const sample_product_t sample_jira = {
    SAP_PRODUCT_JIRA, "A-1001", "Budget sign-off",
    "https://jira.example.com/browse/FIN-12?approval=A-1001",
    "D-7", "Finance approval",
    "FIN-12", "Q3 budget", "https://jira.example.com/browse/FIN-12",
    "FIN", "Finance",
    "Finance review", "Go/no-go vote", { "Go ahead", "Wait for Q4" },
    { "Fine by me, the travel costs are covered.", "Numbers match the forecast." },
    { "The savings plan is realistic.", "Let us see the Q3 actuals first." }
};

static const sample_product_t sample_confluence = {
    SAP_PRODUCT_CONFLUENCE, "A-2001", "Publication approval",
    "https://confluence.example.com/pages/viewpage.action?pageId=123456#approval-A-2001",
    "D-3", "Documentation review",
    "123456", "Release notes 4.2",
    "https://confluence.example.com/pages/viewpage.action?pageId=123456",
    "DOCS", "Documentation",
    "Editorial review", "Publish vote", { "Publish now", "Needs another pass" },
    { "Reads well, links checked.", "Screenshots match the 4.2 UI." },
    { "Ready for customers.", "The upgrade section needs one more pass." }
};

/* What a sample says about its notification type. */
typedef struct sample_shape_t {
    const char *type;
    const char *status;        /* approval.status */
    const char *outcome;       /* step.outcome, NULL: none yet */
    int vote;                  /* a vote step instead of an approval step */
    int decided;               /* decisions so far, from approval_decisions */
    int to_requester;          /* recipients: the requester instead of the pending approvers */
} sample_shape_t;

static const sample_shape_t sample_shapes[SAP_NOTIFICATION_TYPE_COUNT] = {
    { T_APPROVAL_REQUESTED, "pending", NULL, 0, 0, 0 },
    { T_APPROVAL_REMINDER, "pending", NULL, 0, 1, 0 },
    { T_DECISION_RECORDED, "pending", NULL, 0, 1, 1 },
    { T_STEP_COMPLETED, "pending", "approved", 1, 3, 1 },
    { T_APPROVAL_COMPLETED, "approved", "approved", 0, 3, 1 },
    { T_STEP_EXPIRED, "pending", "expired", 0, 1, 0 },
    { T_APPROVER_REASSIGNED, "pending", NULL, 0, 1, 0 },
    { T_APPROVAL_ARCHIVED, "archived", NULL, 0, 1, 0 },
    { T_APPROVAL_DELETED, "deleted", NULL, 0, 1, 0 },
    { T_APPROVAL_OUTDATED, "outdated", NULL, 0, 1, 0 },
};

typedef struct sample_person_t {
    const char *account_id;
    const char *display_name;
    const char *email;
} sample_person_t;

static const sample_person_t person_ada = { "u-1", "Ada Lovelace", "ada@example.com" };
static const sample_person_t person_bo = { "u-2", "Bo Jensen", "bo@example.com" };
static const sample_person_t person_cy = { "u-3", "Cy Young", "cy@example.com" };
static const sample_person_t person_di = { "u-4", "Di Moreau", "di@example.com" };
static const sample_person_t person_ed = { "u-5", "Ed Okafor", "ed@example.com" };
static const sample_person_t person_fay = { "u-6", "Fay Nakamura", "fay@example.com" };
#define SAMPLE_EXTERNAL_EMAIL "eve@partner.example.org"

static json_t *person_new(const sample_person_t *person)
{
    return json_pack("{s:s, s:s, s:s}", EK_ACCOUNT_ID, person->account_id,
                     EK_DISPLAY_NAME, person->display_name, EK_EMAIL, person->email);
}

static json_t *recipient_new(const sample_person_t *person, const sample_person_t *delegate)
{
    json_t *delegates = json_array();

    if (delegate) {
        json_array_append_new(delegates, person_new(delegate));
    }
    return json_pack("{s:s, s:s, s:s, s:b, s:o}", EK_ACCOUNT_ID, person->account_id,
                     EK_DISPLAY_NAME, person->display_name, EK_EMAIL, person->email,
                     EK_EXTERNAL, 0, EK_DELEGATES, delegates);
}

/* External approvers are known by their email only. */
static json_t *external_recipient_new(void)
{
    return json_pack("{s:s, s:b, s:[]}", EK_EMAIL, SAMPLE_EXTERNAL_EMAIL, EK_EXTERNAL, 1,
                     EK_DELEGATES);
}

static json_t *decision_new(const sample_person_t *by, const sample_person_t *on_behalf_of,
                            const char *decision, const char *comment, json_t *votes,
                            const char *at)
{
    return json_pack("{s:o, s:o, s:s, s:s, s:o, s:s}", EK_BY, person_new(by),
                     EK_ON_BEHALF_OF, on_behalf_of ? person_new(on_behalf_of) : json_null(),
                     EK_DECISION, decision, EK_COMMENT, comment, EK_VOTES, votes, EK_AT, at);
}

/* The approval step's decisions, in the order they are made. */
static json_t *approval_decisions(const sample_product_t *sp, int count)
{
    json_t *decisions = json_array();

    if (count > 0) {
        json_array_append_new(decisions,
                              decision_new(&person_di, &person_cy, "approved", sp->comments[0],
                                           json_array(), "2026-11-28T09:05:00Z"));
    }
    if (count > 1) {
        json_array_append_new(decisions,
                              decision_new(&person_bo, NULL, "approved", sp->comments[1],
                                           json_array(), "2026-11-28T09:40:00Z"));
    }
    if (count > 2) {
        json_array_append_new(decisions,
                              decision_new(&person_ed, NULL, "abstained", "", json_array(),
                                           "2026-11-28T09:55:00Z"));
    }
    return decisions;
}

static json_t *vote_decisions(const sample_product_t *sp)
{
    return json_pack("[o, o, o]",
                     decision_new(&person_bo, NULL, "voted", sp->vote_comments[0],
                                  json_pack("[s]", "o1"), "2026-11-28T09:10:00Z"),
                     decision_new(&person_di, &person_cy, "voted", "", json_pack("[s]", "o1"),
                                  "2026-11-28T09:30:00Z"),
                     decision_new(&person_ed, NULL, "voted", sp->vote_comments[1],
                                  json_pack("[s]", "o2"), "2026-11-28T09:50:00Z"));
}

static json_t *vote_step_new(const sample_product_t *sp, const sample_shape_t *shape)
{
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:b,"
                     " s:{s:b, s:[{s:s, s:s}, {s:s, s:s}]},"
                     " s:s, s:s?, s:{s:i, s:i, s:i, s:i, s:i}, s:o,"
                     " s:[{s:s, s:s, s:i}, {s:s, s:s, s:i}]}",
                     EK_ID, "S-2", EK_NAME, sp->vote_step_name, EK_KIND, STEP_KIND_VOTE,
                     EK_REQUIRED, 3, EK_APPROVERS_TOTAL, 3, EK_COMMENT_REQUIRED, 0,
                     EK_VOTE, EK_MULTIPLE, 0, EK_OPTIONS,
                     EK_ID, "o1", EK_LABEL, sp->vote_options[0],
                     EK_ID, "o2", EK_LABEL, sp->vote_options[1],
                     EK_DUE_AT, SAMPLE_DUE_AT, EK_OUTCOME, shape->outcome,
                     EK_PROGRESS, EK_APPROVED, 0, EK_REJECTED, 0, EK_ABSTAINED, 0,
                     EK_PENDING, 0, EK_VOTED, 3,
                     EK_DECISIONS, vote_decisions(sp),
                     EK_TALLY,
                     EK_OPTION_ID, "o1", EK_LABEL, sp->vote_options[0], EK_COUNT, 2,
                     EK_OPTION_ID, "o2", EK_LABEL, sp->vote_options[1], EK_COUNT, 1);
}

/* Four approvers (Bo, Cy with Di as delegate, Ed, an external one), two
 * approvals required. */
static json_t *approval_step_new(const sample_product_t *sp, const sample_shape_t *shape)
{
    int approved = shape->decided > 1 ? 2 : shape->decided;
    int abstained = shape->decided > 2 ? 1 : 0;
    int expired = strcmp(shape->type, T_STEP_EXPIRED) == 0;

    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:n, s:s, s:s?,"
                     " s:{s:i, s:i, s:i, s:i}, s:o, s:[]}",
                     EK_ID, "S-1", EK_NAME, sp->step_name, EK_KIND, "approval",
                     EK_REQUIRED, 2, EK_APPROVERS_TOTAL, 4, EK_COMMENT_REQUIRED, 1,
                     EK_VOTE,
                     EK_DUE_AT, expired ? SAMPLE_OCCURRED_AT : SAMPLE_DUE_AT,
                     EK_OUTCOME, shape->outcome,
                     EK_PROGRESS, EK_APPROVED, approved, EK_REJECTED, 0,
                     EK_ABSTAINED, abstained, EK_PENDING, 4 - shape->decided,
                     EK_DECISIONS, approval_decisions(sp, shape->decided),
                     EK_TALLY);
}

static json_t *sample_recipients(const sample_shape_t *shape)
{
    if (shape->to_requester) {
        return json_pack("[o]", recipient_new(&person_ada, NULL));
    }
    if (strcmp(shape->type, T_APPROVER_REASSIGNED) == 0) {
        return json_pack("[o]", recipient_new(&person_fay, NULL));
    }
    if (shape->decided == 0) {
        return json_pack("[o, o, o, o]", recipient_new(&person_bo, NULL),
                         recipient_new(&person_cy, &person_di), recipient_new(&person_ed, NULL),
                         external_recipient_new());
    }
    /* Cy's delegate has decided: the others are still pending */
    return json_pack("[o, o, o]", recipient_new(&person_bo, NULL), recipient_new(&person_ed, NULL),
                     external_recipient_new());
}

static json_t *sample_decision(const sample_product_t *sp, const sample_shape_t *shape)
{
    json_t *decisions;
    json_t *latest;

    if (strcmp(shape->type, T_DECISION_RECORDED) != 0) {
        return json_null();
    }
    decisions = approval_decisions(sp, shape->decided);
    latest = json_incref(json_array_get(decisions, json_array_size(decisions) - 1));
    json_decref(decisions);
    return latest;
}

static json_t *sample_reassigned(const sample_shape_t *shape)
{
    if (strcmp(shape->type, T_APPROVER_REASSIGNED) != 0) {
        return json_null();
    }
    return json_pack("{s:o, s:o}", EK_FROM, person_new(&person_bo), EK_TO, person_new(&person_fay));
}

static json_t *sample_approval(const sample_product_t *sp, const sample_shape_t *shape)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s},"
                     " s:{s:s, s:s, s:s, s:{s:s, s:s}}, s:o}",
                     EK_ID, sp->approval_id, EK_NAME, sp->approval_name, EK_URL, sp->approval_url,
                     EK_STATUS, shape->status,
                     EK_DEFINITION, EK_ID, sp->definition_id, EK_NAME, sp->definition_name,
                     EK_SUBJECT, EK_KEY, sp->subject_key, EK_TITLE, sp->subject_title,
                     EK_URL, sp->subject_url,
                     EK_CONTAINER, EK_KEY, sp->container_key, EK_NAME, sp->container_name,
                     EK_REQUESTER, person_new(&person_ada));
}

json_t *sap_template_sample_event(const char *product, const char *type)
{
    const sample_product_t *sp;
    const sample_shape_t *shape;
    int index = type_index(type);
    char event_id[96];

    if (!sap_product_valid(product) || index < 0) {
        return NULL;
    }
    sp = strcmp(product, SAP_PRODUCT_JIRA) == 0 ? &sample_jira : &sample_confluence;
    shape = &sample_shapes[index];
    apr_snprintf(event_id, sizeof(event_id), "sample-%s-%s", sp->product, shape->type);
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:{s:b, s:b}}",
                     EK_EVENT_ID, event_id, EK_TYPE, shape->type, EK_PRODUCT, sp->product,
                     EK_OCCURRED_AT, SAMPLE_OCCURRED_AT,
                     EK_APPROVAL, sample_approval(sp, shape),
                     EK_STEP, shape->vote ? vote_step_new(sp, shape) : approval_step_new(sp, shape),
                     EK_RECIPIENTS, sample_recipients(shape),
                     EK_DECISION, sample_decision(sp, shape),
                     EK_REASSIGNED, sample_reassigned(shape),
                     EK_OPTIONS, EK_ACTIONS_WITHOUT_LOGIN, 1, EK_ACTION_BUTTONS, 1);
}

/* ---------------------------------------------------------------- context */

static const char *member_string(const json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

static int member_is(const json_t *object, const char *key, const char *expected)
{
    const char *value = member_string(object, key);

    return value && strcmp(value, expected) == 0;
}

static json_t *copy_or_null(const json_t *value)
{
    json_t *copy = value ? json_deep_copy(value) : NULL;

    return copy ? copy : json_null();
}

/* "1 of 2 approvals"; a vote counts step.progress.voted, else its decisions. */
static json_t *progress_text(const json_t *step)
{
    const json_t *progress = json_object_get(step, EK_PROGRESS);
    const json_t *voted = json_object_get(progress, EK_VOTED);
    int vote = member_is(step, EK_KIND, STEP_KIND_VOTE);
    const char *noun = vote ? "vote" : "approval";
    json_int_t done, total;

    if (!json_is_object(step)) {
        return json_string("");
    }
    if (vote) {
        done = json_is_integer(voted) ? json_integer_value(voted)
                                      : (json_int_t)json_array_size(json_object_get(step,
                                                                                    EK_DECISIONS));
    }
    else {
        done = json_integer_value(json_object_get(progress, EK_APPROVED));
    }
    total = json_integer_value(json_object_get(step, EK_REQUIRED));
    if (total > 0) {
        return json_sprintf("%" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT " %s%s", done,
                            total, noun, total == 1 ? "" : "s");
    }
    return json_sprintf("%" JSON_INTEGER_FORMAT " %s%s", done, noun, done == 1 ? "" : "s");
}

/* "2026-11-28 10:00 UTC"; the text itself when it is not a date-time, ""
 * when there is none. */
static json_t *due_text(const json_t *step)
{
    const char *due_at = member_string(step, EK_DUE_AT);
    char shown[SAP_TIME_UTC_TEXT_SIZE];

    if (!due_at || !*due_at) {
        return json_string("");
    }
    return json_string(sap_time_utc_format(due_at, shown, sizeof(shown)) ? shown : due_at);
}

/* The engine says "approved"; the decision API says "approve": both read
 * "approved". Anything else is shown as it is. */
static json_t *decision_verb(const json_t *decision)
{
    static const char *const verbs[][2] = {
        { "approve", "approved" }, { "approved", "approved" },
        { "reject", "rejected" }, { "rejected", "rejected" },
        { "abstain", "abstained" }, { "abstained", "abstained" },
        { "vote", "voted" }, { "voted", "voted" },
    };
    const char *value = member_string(decision, EK_DECISION);
    apr_size_t i;

    for (i = 0; value && i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (strcmp(value, verbs[i][0]) == 0) {
            return json_string(verbs[i][1]);
        }
    }
    return json_string(value ? value : "");
}

static void product_words(json_t *context, const char *product)
{
    int jira = product && strcmp(product, SAP_PRODUCT_JIRA) == 0;
    int confluence = product && strcmp(product, SAP_PRODUCT_CONFLUENCE) == 0;

    json_object_set_new(context, CK_IS_JIRA, json_boolean(jira));
    json_object_set_new(context, CK_IS_CONFLUENCE, json_boolean(confluence));
    json_object_set_new(context, CK_PRODUCT_NAME,
                        json_string(jira ? "Jira" : confluence ? "Confluence" : ""));
    json_object_set_new(context, CK_SUBJECT_NOUN,
                        json_string(jira ? "issue" : confluence ? "page" : "item"));
    json_object_set_new(context, CK_CONTAINER_NOUN,
                        json_string(jira ? "project" : confluence ? "space" : "container"));
}

json_t *sap_template_context(const json_t *event, const json_t *recipient,
                             const json_t *delegate_of)
{
    json_t *context = json_is_object(event) ? json_deep_copy(event) : NULL;
    const json_t *step = json_object_get(event, EK_STEP);
    const char *title = sap_template_type_title(member_string(event, EK_TYPE));

    if (!context) {
        context = json_object();
    }
    json_object_set_new(context, CK_RECIPIENT, copy_or_null(recipient));
    json_object_set_new(context, CK_DELEGATE_OF, copy_or_null(delegate_of));
    json_object_set_new(context, CK_IS_VOTE,
                        json_boolean(member_is(step, EK_KIND, STEP_KIND_VOTE)));
    json_object_set_new(context, CK_IS_DELEGATE,
                        json_boolean(delegate_of && !json_is_null(delegate_of)));
    product_words(context, member_string(event, EK_PRODUCT));
    json_object_set_new(context, CK_TYPE_TITLE, json_string(title ? title : ""));
    json_object_set_new(context, CK_PROGRESS_TEXT, progress_text(step));
    json_object_set_new(context, CK_DUE_TEXT, due_text(step));
    json_object_set_new(context, CK_DECISION_VERB,
                        decision_verb(json_object_get(event, EK_DECISION)));
    return context;
}

/* ---------------------------------------------------------------- check and render */

typedef struct part_t {
    const char *field;
    const char *source;
    sap_mustache_t *parsed;
} part_t;

static apr_status_t parts_parse(apr_pool_t *pool, const sap_template_t *tpl, part_t parts[3],
                                const char **pfield, sap_mustache_error_t *err)
{
    static const sap_template_t empty;
    int i;

    if (!tpl) {
        tpl = &empty;
    }

    parts[0].field = SAP_TEMPLATE_PART_SLACK_BODY;
    parts[0].source = tpl->slack_body;
    parts[1].field = SAP_TEMPLATE_PART_EMAIL_SUBJECT;
    parts[1].source = tpl->email_subject;
    parts[2].field = SAP_TEMPLATE_PART_EMAIL_BODY;
    parts[2].source = tpl->email_body;
    for (i = 0; i < 3; i++) {
        apr_status_t rv = sap_mustache_parse(pool, parts[i].source, &parts[i].parsed, err);

        if (rv != APR_SUCCESS) {
            if (pfield) {
                *pfield = parts[i].field;
            }
            return rv;
        }
    }
    return APR_SUCCESS;
}

apr_status_t sap_template_check(apr_pool_t *pool, const sap_template_t *tpl,
                                const char **pfield, sap_mustache_error_t *err)
{
    part_t parts[3];

    if (pfield) {
        *pfield = NULL;
    }
    return parts_parse(pool, tpl, parts, pfield, err);
}

/* One line: CR and LF become spaces, surrounding white space goes. */
static const char *subject_line(apr_pool_t *pool, const char *text)
{
    char *line = apr_pstrdup(pool, text);
    char *p, *end;

    for (p = line; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            *p = ' ';
        }
    }
    p = line;
    while (apr_isspace(*p)) {
        p++;
    }
    end = p + strlen(p);
    while (end > p && apr_isspace(end[-1])) {
        end--;
    }
    *end = '\0';
    return p;
}

apr_status_t sap_template_render(apr_pool_t *pool, const sap_template_t *tpl, json_t *context,
                                 sap_rendered_t *out, const char **pfield,
                                 sap_mustache_error_t *err)
{
    part_t parts[3];
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    if (pfield) {
        *pfield = NULL;
    }
    rv = parts_parse(pool, tpl, parts, pfield, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    out->slack_body = sap_mustache_render(pool, parts[0].parsed, context, SAP_ESCAPE_MRKDWN,
                                          SAP_TEMPLATE_MAX_RENDERED, NULL);
    out->email_subject = subject_line(pool,
                                      sap_mustache_render(pool, parts[1].parsed, context,
                                                          SAP_ESCAPE_NONE,
                                                          SAP_TEMPLATE_MAX_RENDERED, NULL));
    out->email_body = sap_mustache_render(pool, parts[2].parsed, context, SAP_ESCAPE_NONE,
                                          SAP_TEMPLATE_MAX_RENDERED, NULL);
    return APR_SUCCESS;
}
