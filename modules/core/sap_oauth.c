#include <string.h>

#include <apr_base64.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sap_json_keys.h"
#include "sap_oauth.h"
#include "sap_slack.h"

/* ---------------------------------------------------------------- state */

static int base64url_char(unsigned char c)
{
    return apr_isalnum(c) || c == '-' || c == '_';
}

apr_status_t sap_oauth_state_new(apr_pool_t *pool, const char **pstate)
{
    unsigned char random[SAP_OAUTH_STATE_BYTES];
    char encoded[SAP_OAUTH_STATE_LEN + 4];   /* apr_base64 adds "=" and a NUL */
    apr_size_t i;
    apr_status_t rv = APR_SUCCESS;

    *pstate = NULL;
    if (RAND_bytes(random, sizeof(random)) != 1) {
        rv = APR_EGENERAL;
        goto leave;
    }
    apr_base64_encode_binary(encoded, random, sizeof(random));
    /* standard alphabet to base64url; the padding is cut off below */
    for (i = 0; i < SAP_OAUTH_STATE_LEN; i++) {
        if (encoded[i] == '+') {
            encoded[i] = '-';
        }
        else if (encoded[i] == '/') {
            encoded[i] = '_';
        }
    }
    *pstate = apr_pstrmemdup(pool, encoded, SAP_OAUTH_STATE_LEN);
leave:
    OPENSSL_cleanse(random, sizeof(random));
    OPENSSL_cleanse(encoded, sizeof(encoded));
    return rv;
}

int sap_oauth_state_well_formed(const char *text)
{
    apr_size_t i;

    if (!text) {
        return 0;
    }
    for (i = 0; i < SAP_OAUTH_STATE_LEN; i++) {
        if (!base64url_char((unsigned char)text[i])) {
            return 0;   /* also stops at a NUL: too short */
        }
    }
    return text[SAP_OAUTH_STATE_LEN] == '\0';
}

/* NULL only when OpenSSL cannot hash (no memory). */
const char *sap_oauth_state_hash(apr_pool_t *pool, const char *state)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0, i;
    char *hex;

    if (!state || EVP_Digest(state, strlen(state), digest, &digest_len, EVP_sha256(), NULL) != 1) {
        return NULL;
    }
    hex = apr_palloc(pool, 2 * digest_len + 1);
    for (i = 0; i < digest_len; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 0x0f];
    }
    hex[2 * digest_len] = '\0';
    return hex;
}

/* ---------------------------------------------------------------- URLs */

static int unreserved(unsigned char c)
{
    return apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

const char *sap_oauth_form_escape(apr_pool_t *pool, const char *value)
{
    static const char digits[] = "0123456789ABCDEF";
    const unsigned char *p;
    char *escaped, *out;

    if (!value) {
        return "";
    }
    out = escaped = apr_palloc(pool, 3 * strlen(value) + 1);
    for (p = (const unsigned char *)value; *p; p++) {
        if (unreserved(*p)) {
            *out++ = (char)*p;
        }
        else {
            *out++ = '%';
            *out++ = digits[*p >> 4];
            *out++ = digits[*p & 0x0f];
        }
    }
    *out = '\0';
    return escaped;
}

/* "?" to start a query, "&" to extend one, nothing when the URL already
 * ends in either (a configured "https://x/authorize?"). */
static const char *query_separator(const char *url)
{
    apr_size_t len = strlen(url);

    if (len > 0 && (url[len - 1] == '?' || url[len - 1] == '&')) {
        return "";
    }
    return strchr(url, '?') ? "&" : "?";
}

const char *sap_oauth_authorize_url(apr_pool_t *pool, const char *authorize_url,
                                    const char *client_id, const char *scopes,
                                    const char *state, const char *redirect_uri)
{
    if (!authorize_url) {
        return NULL;
    }
    return apr_pstrcat(pool, authorize_url, query_separator(authorize_url),
                       "client_id=", sap_oauth_form_escape(pool, client_id),
                       "&scope=", sap_oauth_form_escape(pool, scopes),
                       "&state=", sap_oauth_form_escape(pool, state),
                       "&redirect_uri=", sap_oauth_form_escape(pool, redirect_uri),
                       NULL);
}

/* ---------------------------------------------------------------- oauth.v2.access */

/* A non-empty string member copied into pool, else NULL. */
static const char *member_string(apr_pool_t *pool, json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));

    return value && *value ? apr_pstrdup(pool, value) : NULL;
}

/* object.key.id, as for team, enterprise and authed_user. */
static const char *nested_id(apr_pool_t *pool, json_t *object, const char *key)
{
    return member_string(pool, json_object_get(object, key), SAP_JK_ID);
}

static apr_status_t grant_refused(apr_pool_t *pool, json_t *answer, const char **perror)
{
    const char *code = member_string(pool, answer, SAP_JK_ERROR);

    /* ok:false without a code is still a refusal; say the answer was odd */
    *perror = code ? code : SAP_SLACK_ERR_BAD_ANSWER;
    return APR_EACCES;
}

/* Fills grant from an ok:true answer; the messages never hold a value. */
static apr_status_t grant_fill(apr_pool_t *pool, json_t *answer, sap_oauth_grant_t *grant,
                               const char **perror)
{
    json_t *team = json_object_get(answer, SAP_JK_TEAM);

    grant->access_token = member_string(pool, answer, SAP_JK_ACCESS_TOKEN);
    grant->token_type = member_string(pool, answer, SAP_JK_TOKEN_TYPE);
    grant->scope = member_string(pool, answer, SAP_JK_SCOPE);
    grant->bot_user_id = member_string(pool, answer, SAP_JK_BOT_USER_ID);
    grant->app_id = member_string(pool, answer, SAP_JK_APP_ID);
    grant->team_id = member_string(pool, team, SAP_JK_ID);
    grant->team_name = member_string(pool, team, SAP_JK_NAME);
    grant->enterprise_id = nested_id(pool, answer, SAP_JK_ENTERPRISE);
    grant->authed_user_id = nested_id(pool, answer, SAP_JK_AUTHED_USER);
    if (!grant->access_token) {
        *perror = "no access_token in the answer";
        return APR_EINVAL;
    }
    /* a user-token-only install has no bot token to act with */
    if (grant->token_type && strcmp(grant->token_type, "bot") != 0) {
        *perror = "the access_token in the answer is not a bot token";
        return APR_EINVAL;
    }
    if (!grant->team_id) {
        *perror = "no team id in the answer";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t sap_oauth_grant_read(apr_pool_t *pool, json_t *answer, sap_oauth_grant_t *grant,
                                  const char **perror)
{
    json_t *ok = json_object_get(answer, SAP_JK_OK);
    apr_status_t rv;

    memset(grant, 0, sizeof(*grant));
    *perror = NULL;
    if (!json_is_object(answer)) {
        *perror = "the answer is not a JSON object";
        return APR_EINVAL;
    }
    if (!json_is_boolean(ok)) {
        *perror = "no \"ok\" in the answer";
        return APR_EINVAL;
    }
    rv = json_is_true(ok) ? grant_fill(pool, answer, grant, perror)
                          : grant_refused(pool, answer, perror);
    if (rv != APR_SUCCESS) {
        memset(grant, 0, sizeof(*grant));
    }
    return rv;
}

apr_status_t sap_oauth_grant_parse(apr_pool_t *pool, const char *body, apr_size_t body_len,
                                   sap_oauth_grant_t *grant, const char **perror)
{
    json_t *answer = body ? json_loadb(body, body_len, 0, NULL) : NULL;
    apr_status_t rv = sap_oauth_grant_read(pool, answer, grant, perror);

    json_decref(answer);
    return rv;
}

/* ---------------------------------------------------------------- scopes */

/* The non-empty, whitespace-trimmed items of a comma-separated list. */
static apr_array_header_t *scope_list(apr_pool_t *pool, const char *list)
{
    apr_array_header_t *items = apr_array_make(pool, 8, sizeof(const char *));
    const char *p = list ? list : "";

    while (*p) {
        const char *end = p + strcspn(p, ",");
        const char *last = end;

        while (p < end && apr_isspace(*p)) {
            p++;
        }
        while (last > p && apr_isspace(last[-1])) {
            last--;
        }
        if (last > p) {
            APR_ARRAY_PUSH(items, const char *) = apr_pstrmemdup(pool, p, last - p);
        }
        p = *end ? end + 1 : end;
    }
    return items;
}

static int scope_listed(const apr_array_header_t *items, const char *scope)
{
    int i;

    for (i = 0; i < items->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(items, i, const char *), scope) == 0) {
            return 1;
        }
    }
    return 0;
}

const char *sap_oauth_missing_scopes(apr_pool_t *pool, const char *wanted, const char *granted)
{
    apr_array_header_t *want = scope_list(pool, wanted);
    apr_array_header_t *have = scope_list(pool, granted);
    apr_array_header_t *missing = apr_array_make(pool, 4, sizeof(const char *));
    int i;

    for (i = 0; i < want->nelts; i++) {
        const char *scope = APR_ARRAY_IDX(want, i, const char *);

        /* a scope wanted twice is reported once */
        if (!scope_listed(have, scope) && !scope_listed(missing, scope)) {
            APR_ARRAY_PUSH(missing, const char *) = scope;
        }
    }
    return missing->nelts ? apr_array_pstrcat(pool, missing, ',') : NULL;
}
