/* Slack OAuth v2 install (slack-notes.md "OAuth v2"): the CSRF state, the
 * authorize URL, and reading oauth.v2.access's answer. */
#ifndef SAP_OAUTH_H
#define SAP_OAUTH_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <jansson.h>

#define SAP_OAUTH_STATE_BYTES   32      /* random bytes in a state */
#define SAP_OAUTH_STATE_LEN     43      /* their base64url text, no padding */
#define SAP_OAUTH_STATE_TTL_SEC 600     /* 10 minutes */
#define SAP_OAUTH_BOT_SCOPES    "chat:write,chat:write.public,im:write,users:read,users:read.email"
#define SAP_OAUTH_CALLBACK_PATH "/slack/oauth/callback"

/* A new state: SAP_OAUTH_STATE_BYTES from OpenSSL's RAND_bytes, base64url
 * without padding. APR_EGENERAL when no randomness is available. */
apr_status_t sap_oauth_state_new(apr_pool_t *pool, const char **pstate);

/* Whether text looks like one of our states (SAP_OAUTH_STATE_LEN base64url
 * characters): anything else is refused before a database look-up. */
int sap_oauth_state_well_formed(const char *text);

/* Lowercase hex SHA-256 of the state: what the database keeps (a leaked
 * table gives no usable state). NULL for a NULL state. */
const char *sap_oauth_state_hash(apr_pool_t *pool, const char *state);

/* authorize_url + "?" (or "&" when it already has a query) +
 * client_id=…&scope=…&state=…&redirect_uri=…, each value escaped with
 * sap_oauth_form_escape. */
const char *sap_oauth_authorize_url(apr_pool_t *pool, const char *authorize_url,
                                    const char *client_id, const char *scopes,
                                    const char *state, const char *redirect_uri);

/* application/x-www-form-urlencoded escaping of one value: A-Z a-z 0-9 and
 * -._~ stay, every other byte is %XX (uppercase hex); space is %20. */
const char *sap_oauth_form_escape(apr_pool_t *pool, const char *value);

/* What a successful oauth.v2.access answer says (strings from pool). */
typedef struct sap_oauth_grant_t {
    const char *access_token;   /* xoxb-…; never logged */
    const char *token_type;     /* "bot" */
    const char *scope;          /* comma-separated, as granted */
    const char *bot_user_id;
    const char *app_id;
    const char *team_id;
    const char *team_name;
    const char *enterprise_id;  /* NULL unless an Enterprise Grid install */
    const char *authed_user_id; /* who clicked Allow, may be NULL */
} sap_oauth_grant_t;

/* Reads oauth.v2.access's JSON answer (body of body_len bytes).
 *  APR_SUCCESS  ok:true with a bot access_token and a team id;
 *  APR_EACCES   ok:false: *perror is Slack's error code (e.g. "invalid_code";
 *               "invalid_response" when the answer has none);
 *  APR_EINVAL   not JSON, or ok:true without the fields we need (a token_type
 *               other than "bot" counts as no bot token): *perror says
 *               what is missing ("no access_token in the answer"), never a value.
 * Scopes granted are checked by the caller with sap_oauth_missing_scopes. */
apr_status_t sap_oauth_grant_parse(apr_pool_t *pool, const char *body, apr_size_t body_len,
                                   sap_oauth_grant_t *grant, const char **perror);

/* The same for an answer already parsed (sap_slack_result_t.answer; NULL is
 * "not a JSON object"). The strings are copied into pool. */
apr_status_t sap_oauth_grant_read(apr_pool_t *pool, json_t *answer, sap_oauth_grant_t *grant,
                                  const char **perror);

/* The scopes of `wanted` (comma-separated) that `granted` lacks, as a
 * comma-separated list; NULL when none is missing. */
const char *sap_oauth_missing_scopes(apr_pool_t *pool, const char *wanted, const char *granted);

#endif
