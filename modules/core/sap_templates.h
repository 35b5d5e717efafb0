/* Notification templates: the default one for every product × notification
 * type, sample events for previews, the rendering context built from an
 * engine event, and rendering of the three parts (Slack mrkdwn body, email
 * subject, email body). Stored (customised) templates are the store's;
 * this file knows the defaults and how to render any of them. */
#ifndef SAP_TEMPLATES_H
#define SAP_TEMPLATES_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <jansson.h>
#include "sap_mustache.h"

#define SAP_PRODUCT_JIRA        "jira"
#define SAP_PRODUCT_CONFLUENCE  "confluence"

/* The ten notification types of DESIGN section 6, in that order. */
#define SAP_NOTIFICATION_TYPE_COUNT 10
extern const char *const sap_notification_types[SAP_NOTIFICATION_TYPE_COUNT];
extern const char *const sap_products[2];

int sap_notification_type_valid(const char *type);
int sap_product_valid(const char *product);

/* "Approval requested", "Reminder: approval pending", … ; NULL when unknown. */
const char *sap_template_type_title(const char *type);

/* The three parts of a template (UTF-8 Mustache sources). */
typedef struct sap_template_t {
    const char *slack_body;      /* Slack mrkdwn; values escaped with SAP_ESCAPE_MRKDWN */
    const char *email_subject;   /* one line of plain text */
    const char *email_body;      /* plain text */
} sap_template_t;

/* Names of the parts, as the admin API and parse errors call them. */
#define SAP_TEMPLATE_PART_SLACK_BODY    "slack_body"
#define SAP_TEMPLATE_PART_EMAIL_SUBJECT "email_subject"
#define SAP_TEMPLATE_PART_EMAIL_BODY    "email_body"

/* The built-in template of product × type; NULL when either is unknown. */
const sap_template_t *sap_template_default(const char *product, const char *type);

/* A complete, realistic sample event of product × type (DESIGN section 6
 * shape, every field the templates can use filled), for previews.
 * New reference; NULL when either is unknown. */
json_t *sap_template_sample_event(const char *product, const char *type);

/* Parses the three parts. APR_EINVAL: *pfield names the part
 * (SAP_TEMPLATE_PART_*) and *err the position. */
apr_status_t sap_template_check(apr_pool_t *pool, const sap_template_t *tpl,
                                const char **pfield, sap_mustache_error_t *err);

/* The context a template sees: the event's own fields (approval, step,
 * decision, reassigned, recipients, options, type, product, occurred_at)
 * plus
 *   recipient      the person this copy is for (NULL: a channel message)
 *   delegate_of    the approver a delegate receives it for (NULL: none)
 *   is_jira / is_confluence / is_vote / is_delegate   booleans
 *   product_name   "Jira" / "Confluence"
 *   subject_noun   "issue" / "page";  container_noun  "project" / "space"
 *   type_title     e.g. "Approval requested"
 *   progress_text  e.g. "1 of 2 approvals" (vote: "1 of 2 votes"), "" without a step
 *   due_text       step.due_at as "2026-11-28 10:00 UTC", "" when none
 *   decision_verb  "approved" / "rejected" / "abstained" / "voted" from decision.decision
 * New reference. */
json_t *sap_template_context(const json_t *event, const json_t *recipient,
                             const json_t *delegate_of);

typedef struct sap_rendered_t {
    const char *slack_body;      /* mrkdwn, values escaped */
    const char *email_subject;   /* one line: CR/LF replaced by spaces, trimmed */
    const char *email_body;
} sap_rendered_t;

/* Largest rendered part (bytes); longer output is cut (the Block Kit
 * builder cuts the Slack body further, to Slack's limits). */
#define SAP_TEMPLATE_MAX_RENDERED (64 * 1024)

/* Parses and renders all three parts over context. APR_EINVAL as for
 * sap_template_check (a stored template is checked when saved, so this
 * only happens for a hand-edited row). */
apr_status_t sap_template_render(apr_pool_t *pool, const sap_template_t *tpl, json_t *context,
                                 sap_rendered_t *out, const char **pfield,
                                 sap_mustache_error_t *err);

#endif
