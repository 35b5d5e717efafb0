/* Slack interactivity (DESIGN section 8), the parts that need no I/O: the
 * form body Slack posts, the button that was clicked, the modals (comment,
 * vote) with what they carry in private_metadata, their validation on
 * submit, and the decision job a click becomes.
 *
 * A decision travels as a sap_click_t: from the button's value (or the
 * modal's private_metadata) and the payload's user, channel and message,
 * plus the comment and votes of a modal. Its request_id (a digest of who,
 * which message, which step and what decision) is both the engine's
 * idempotency key and the job's dedup key: a double click or Slack's retry
 * of the same payload is one decision. */
#ifndef SAP_INTERACTIONS_H
#define SAP_INTERACTIONS_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>

#define SAP_JOB_KIND_DECIDE "interaction.decide"   /* a decision for the engine */
#define SAP_JOB_KIND_NOTICE "interaction.notice"   /* an ephemeral message only */

/* Payload types Slack sends. */
#define SAP_PAYLOAD_BLOCK_ACTIONS   "block_actions"
#define SAP_PAYLOAD_VIEW_SUBMISSION "view_submission"
#define SAP_PAYLOAD_VIEW_CLOSED     "view_closed"

/* The modals. */
#define SAP_CALLBACK_DECISION "sap_decision"     /* Approve / Reject / Abstain with a comment */
#define SAP_CALLBACK_VOTE     "sap_vote"
#define SAP_BLOCK_COMMENT     "sap_comment"
#define SAP_BLOCK_VOTE        "sap_vote_options"
#define SAP_INPUT_COMMENT     "comment"
#define SAP_INPUT_OPTIONS     "options"

/* Decisions as the engine names them. */
#define SAP_DECISION_APPROVE "approve"
#define SAP_DECISION_REJECT  "reject"
#define SAP_DECISION_ABSTAIN "abstain"
#define SAP_DECISION_VOTE    "vote"

/* Slack's limits for what we put in a modal. */
#define SAP_MODAL_METADATA_MAX 3000
#define SAP_MODAL_COMMENT_MAX  3000    /* plain_text_input max_length */
#define SAP_MODAL_RADIO_MAX    10      /* radio_buttons / checkboxes options; beyond: selects */
#define SAP_MODAL_SELECT_MAX   100

/* Notices (interaction.notice {"notice": …}). */
#define SAP_NOTICE_UNSUPPORTED "unsupported"     /* a button or payload we do not handle */
#define SAP_NOTICE_MODAL       "modal_failed"    /* views.open failed: click again */
#define SAP_NOTICE_STEP        "step_unknown"    /* no modal for the step: no event, no usable options */

typedef struct sap_click_t {
    /* who and where */
    const char *team_id;
    const char *user_id;
    const char *channel_id;        /* the message's channel; NULL when unknown */
    const char *message_ts;
    const char *response_url;      /* NULL when Slack gave none */
    const char *trigger_id;        /* request only: for views.open */
    /* what */
    const char *product;
    const char *approval_id;
    const char *step_id;
    const char *delegate_of;       /* the approver a delegate acts for, else NULL */
    const char *decision;          /* SAP_DECISION_* */
    int comment_required;
    const char *comment;           /* NULL when none */
    apr_array_header_t *votes;     /* const char * option ids; empty unless a vote */
} sap_click_t;

/* The decoded payload field of an application/x-www-form-urlencoded body
 * (+ is a space, %XX a byte). APR_EINVAL (*perror says why) when the body
 * is not such a form, has no payload, or the payload is not UTF-8 text. */
apr_status_t sap_interaction_form_payload(apr_pool_t *pool, const char *body, apr_size_t len,
                                          const char **ppayload, const char **perror);

typedef enum {
    SAP_BUTTON_DECISION,    /* Approve / Reject / Abstain / Vote with a usable value */
    SAP_BUTTON_LINK,        /* a URL button (sap_view…): Slack reports it, nothing to do */
    SAP_BUTTON_UNKNOWN      /* an action id or value we do not know */
} sap_button_kind_t;

/* The first action of a block_actions payload, into click (who, where,
 * what). *paction_id is the action id as sent (NULL when there is none). */
sap_button_kind_t sap_interaction_button(apr_pool_t *pool, const json_t *payload,
                                         sap_click_t *click, const char **paction_id);

/* The modal a decision button opens: the comment modal (approve, reject,
 * abstain with a required comment) or the vote modal (vote: the options of
 * event's step, radio buttons or checkboxes, selects beyond 10; a comment
 * field when required). NULL with *perror when the event has no options
 * for a vote. A new reference. */
json_t *sap_interaction_modal(apr_pool_t *pool, const sap_click_t *click, const json_t *event,
                              const char **perror);

/* A view_submission of one of our modals, into click (from the metadata
 * and the state):
 *   APR_SUCCESS  valid: queue the decision;
 *   APR_EINVAL   the user has to fix something: *perrors (new reference)
 *                is {block_id: message} for response_action "errors";
 *   APR_NOTFOUND not one of our modals (callback id, metadata). */
apr_status_t sap_interaction_submission(apr_pool_t *pool, const json_t *payload,
                                        sap_click_t *click, json_t **perrors);

/* The decision job of a click: its JSON payload (compact text) and its
 * request_id (64 hex digits). */
apr_status_t sap_interaction_job(apr_pool_t *pool, const sap_click_t *click, const char **ppayload,
                                 const char **prequest_id);
/* A notice job (SAP_NOTICE_*) to the clicker: its JSON payload. */
const char *sap_interaction_notice_job(apr_pool_t *pool, const sap_click_t *click,
                                       const char *notice);

/* The click a job carries (and its request_id, NULL for a notice);
 * APR_EINVAL without a team and user to answer. */
apr_status_t sap_interaction_from_job(apr_pool_t *pool, const json_t *job, sap_click_t *click,
                                      const char **prequest_id);

/* The SAP_NOTICE_* of a notice job; NULL for a decision job. */
const char *sap_interaction_job_notice(const json_t *job);

/* "approved", "rejected", "abstained", "voted". */
const char *sap_decision_past(const char *decision);

#endif
