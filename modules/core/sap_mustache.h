/* Mustache templates (https://mustache.github.io/mustache.5.html) over a
 * jansson context: variables with dotted names, sections, inverted
 * sections, {{{raw}}} / {{& raw}}, comments, standalone-line rules of the
 * Mustache spec. No partials, lambdas or delimiter changes (a clear parse
 * error says so).
 *
 * {{name}} is escaped with the escape given to render: for Slack mrkdwn
 * only & < > become &amp; &lt; &gt;, so a value such as "<!channel>" can
 * never ping anyone; for plain-text email nothing is escaped. The
 * template's own literal text is never escaped (an admin may write
 * <{{approval.url}}|{{approval.name}}>). */
#ifndef SAP_MUSTACHE_H
#define SAP_MUSTACHE_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <jansson.h>

/* Largest template source accepted by parse (bytes). */
#define SAP_MUSTACHE_MAX_SOURCE  (16 * 1024)
/* Deepest section nesting accepted by parse. */
#define SAP_MUSTACHE_MAX_DEPTH   16

typedef struct sap_mustache_t sap_mustache_t;   /* a parsed template, in its pool */

typedef struct sap_mustache_error_t {
    const char *message;   /* e.g. "unclosed section 'step.decisions'" */
    int line;              /* 1-based, of the offending tag */
    int column;            /* 1-based, in bytes */
    apr_size_t offset;     /* 0-based byte offset of the offending tag */
} sap_mustache_error_t;

typedef enum {
    SAP_ESCAPE_NONE = 0,   /* plain text (email) */
    SAP_ESCAPE_MRKDWN      /* Slack mrkdwn: & < > */
} sap_mustache_escape_t;

/* APR_SUCCESS, or APR_EINVAL with *err filled (err may be NULL). */
apr_status_t sap_mustache_parse(apr_pool_t *pool, const char *source, sap_mustache_t **ptpl,
                                sap_mustache_error_t *err);

/* Renders tpl over context. Name lookup as the spec: "." is the current
 * item; a dotted name resolves its first part up the context stack and the
 * rest down from there. Strings as they are, integers in decimal, reals
 * with up to 15 significant digits, true/false as "true"/"false", null,
 * objects and arrays as "". Falsy for sections: missing, null, false, "",
 * an empty array. An array section repeats per item; an object or other
 * truthy value renders once with the value pushed.
 * Output is capped at max_len bytes (cut at a UTF-8 boundary; *ptruncated
 * set, may be NULL) so a template cannot blow up memory. Never fails for a
 * parsed template. */
const char *sap_mustache_render(apr_pool_t *pool, const sap_mustache_t *tpl, json_t *context,
                                sap_mustache_escape_t escape, apr_size_t max_len,
                                int *ptruncated);

/* & < > → &amp; &lt; &gt; (Slack's mrkdwn escaping, slack-notes.md). */
const char *sap_mrkdwn_escape(apr_pool_t *pool, const char *text);

#endif
