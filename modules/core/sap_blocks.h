/* Block Kit messages for notifications, built with jansson.
 *
 * Layout: header (type title and approval name), the rendered template
 * body, a "delegate of" line when the copy is a delegate's, the mentions of
 * a channel message, context (requester, due date, progress) and actions:
 *  - actionable types (approval_requested, approval_reminder,
 *    approver_reassigned) with options.action_buttons on:
 *      options.actions_without_login on  → interactive Approve (primary) /
 *        Reject (danger, with a confirm dialog) / Abstain, or one Vote
 *        button for a vote step, plus a "View approval" URL button;
 *      off → the same buttons as URL buttons to approval.url;
 *  - action_buttons off, or any other type → only a "View approval" link.
 * Every Slack limit (slack-notes.md "Block Kit limits") holds whatever the
 * input: long text is cut at a UTF-8 boundary (never inside an &entity; or
 * a <…> link/mention) and ends with "…"; the top-level text fallback is
 * always set. */
#ifndef SAP_BLOCKS_H
#define SAP_BLOCKS_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

/* action_ids of the buttons (the interaction handler dispatches on them). */
#define SAP_ACTION_APPROVE   "sap_approve"
#define SAP_ACTION_REJECT    "sap_reject"
#define SAP_ACTION_ABSTAIN   "sap_abstain"
#define SAP_ACTION_VOTE      "sap_vote"
#define SAP_ACTION_VIEW      "sap_view"       /* URL buttons: Slack still sends block_actions */
#define SAP_BLOCK_ACTIONS    "sap_actions"

/* Keys of a button value: compact JSON, at most SAP_BUTTON_VALUE_MAX bytes. */
#define SAP_BV_VERSION   "v"    /* 1 */
#define SAP_BV_PRODUCT   "p"
#define SAP_BV_APPROVAL  "a"
#define SAP_BV_STEP      "s"
#define SAP_BV_DELEGATE  "d"    /* account id of the approver a delegate acts for; absent otherwise */
#define SAP_BV_COMMENT   "c"    /* 1: the step requires a comment (a modal asks for it); absent otherwise */
#define SAP_BUTTON_VALUE_MAX 2000

/* Slack's limits (characters as Slack counts them: UTF-16 code units). */
#define SAP_SLACK_MAX_BLOCKS        50
#define SAP_SLACK_MAX_SECTION_TEXT  3000
#define SAP_SLACK_MAX_HEADER_TEXT   150
#define SAP_SLACK_MAX_BUTTON_TEXT   75
#define SAP_SLACK_MAX_CONTEXT_ELEMS 10
#define SAP_SLACK_MAX_FALLBACK_TEXT 3000   /* ours: the notification preview needs little */
#define SAP_SLACK_MAX_BLOCKS_TEXT   12000  /* total mrkdwn text before msg_blocks_too_long */

/* One person named in a channel message. */
typedef struct sap_mention_t {
    const char *slack_user_id;    /* "U…", or NULL when not found in Slack */
    const char *display_name;     /* shown when there is no Slack user */
    const char *delegate_of_name; /* NULL, or the approver this delegate stands in for */
} sap_mention_t;

typedef struct sap_blocks_input_t {
    const json_t *event;          /* a validated engine event (DESIGN section 6) */
    const char *type_title;       /* e.g. "Approval requested" (sap_template_type_title) */
    const char *body_mrkdwn;      /* the rendered Slack body (already escaped) */
    const char *delegate_of_id;   /* DM to a delegate: the approver's account id, else NULL */
    const char *delegate_of_name; /* … and display name */
    const apr_array_header_t *mentions;  /* sap_mention_t, channel messages; NULL for DMs */
    const char *outcome_mrkdwn;   /* NULL; else the reader has decided: this line (escaped
                                   * mrkdwn) instead of the decision buttons */
} sap_blocks_input_t;

/* {"text": fallback, "blocks": [...]} (new reference; the caller adds
 * "channel"). APR_EINVAL only when in->event lacks approval.id / type. */
apr_status_t sap_blocks_build(apr_pool_t *pool, const sap_blocks_input_t *in, json_t **pmessage);

/* The value of the interactive buttons: {"v":1,"p":…,"a":…,"s":…[,"d":…][,"c":1]}.
 * NULL when it would exceed SAP_BUTTON_VALUE_MAX (ids are bounded at
 * intake, so this does not happen for a validated event). */
const char *sap_blocks_button_value(apr_pool_t *pool, const char *product,
                                    const char *approval_id, const char *step_id,
                                    const char *delegate_of_id, int comment_required);

/* Length of s in UTF-16 code units (how Slack counts characters). */
apr_size_t sap_text_units(const char *s);
/* s cut to at most max_units UTF-16 code units including a final "…",
 * at a code point boundary; unchanged when it fits. With mrkdwn set the
 * cut never splits an &entity; or a <…> token. */
const char *sap_text_truncate(apr_pool_t *pool, const char *s, apr_size_t max_units,
                              int mrkdwn);

/* Is this type one whose message carries decision buttons? */
int sap_blocks_type_actionable(const char *type);

#endif
