/* The outbound HTTP client: libcurl easy handles, pooled, with the retry
 * policy of DESIGN section 7. See sap_http.h for the contract. */
#include <string.h>

#include <apr_date.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "sap_http.h"
#include "sap_log.h"

#define SAP_HTTP_USER_AGENT "mod_slack_approvals"

struct sap_http_client_t {
    apr_pool_t *pool;
    sap_http_policy_t policy;
    apr_thread_mutex_t *idle_lock;   /* guards idle_handles and idle_count */
    CURL **idle_handles;             /* max_idle slots */
    int idle_count;
    int max_idle;
};

/* What one attempt receives; everything lives in a scratch pool that is
 * destroyed after the attempt, the answer is copied out of it. */
typedef struct http_sink_t {
    apr_pool_t *pool;
    char *body;
    apr_size_t body_len, body_cap, body_max;
    apr_table_t *headers;
    apr_size_t header_bytes;
    enum { SINK_FITS = 0, SINK_BODY_TOO_LARGE, SINK_HEADERS_TOO_LARGE } overflow;
} http_sink_t;

/* ---------------------------------------------------------------- policy */

void sap_http_policy_defaults(sap_http_policy_t *policy)
{
    memset(policy, 0, sizeof(*policy));
    policy->connect_timeout = SAP_HTTP_DEFAULT_CONNECT_TIMEOUT;
    policy->total_timeout = SAP_HTTP_DEFAULT_TOTAL_TIMEOUT;
    policy->max_retries = SAP_HTTP_DEFAULT_MAX_RETRIES;
    policy->backoff_initial = SAP_HTTP_DEFAULT_BACKOFF_INITIAL;
    policy->backoff_cap = SAP_HTTP_DEFAULT_BACKOFF_CAP;
    policy->max_response_bytes = SAP_HTTP_DEFAULT_MAX_RESPONSE_BYTES;
    policy->allow_insecure = 0;
}

static apr_status_t http_policy_check(const sap_http_policy_t *policy)
{
    if (policy->connect_timeout <= 0 || policy->total_timeout <= 0
        || policy->max_retries < 0 || policy->backoff_initial < 0
        || policy->backoff_cap < 0 || policy->max_response_bytes == 0) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* curl takes milliseconds and reads 0 as "no timeout": never round down to 0. */
static long http_msec(apr_interval_time_t interval)
{
    apr_interval_time_t msec = apr_time_as_msec(interval);

    return msec > 0 ? (long)msec : 1L;
}

/* Delta seconds; huge values saturate (they are capped anyway). */
static int http_retry_after_seconds(const char *at, const char *end,
                                    apr_interval_time_t *pdelay)
{
    apr_int64_t seconds = 0;

    for (; at < end; at++) {
        if (!apr_isdigit(*at)) {
            return 0;
        }
        if (seconds < 1000000000) {
            seconds = seconds * 10 + (*at - '0');
        }
    }
    *pdelay = apr_time_from_sec(seconds);
    return 1;
}

static int http_retry_after_date(const char *at, const char *end, apr_time_t now,
                                 apr_interval_time_t *pdelay)
{
    char date[64];
    apr_time_t when;

    if ((apr_size_t)(end - at) >= sizeof(date)) {
        return 0;
    }
    memcpy(date, at, end - at);
    date[end - at] = '\0';
    when = apr_date_parse_http(date);
    if (when == APR_DATE_BAD) {
        return 0;
    }
    *pdelay = when > now ? when - now : 0;
    return 1;
}

/* Retry-After is either delta seconds or an HTTP date (RFC 9110 10.2.3).
 * Returns 0 when the header is absent or unusable. */
static int http_retry_after_parse(const char *header, apr_time_t now,
                                  apr_interval_time_t *pdelay)
{
    const char *at = header, *end;

    if (!header) {
        return 0;
    }
    while (*at == ' ' || *at == '\t') {
        at++;
    }
    end = at + strlen(at);
    while (end > at && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    if (end == at) {
        return 0;
    }
    if (apr_isdigit(*at)) {
        return http_retry_after_seconds(at, end, pdelay);
    }
    return http_retry_after_date(at, end, now, pdelay);
}

/* backoff_initial * 2^(retry-1), without overflowing on the way to the cap. */
static apr_interval_time_t http_backoff(const sap_http_policy_t *policy, int retry)
{
    apr_interval_time_t delay = policy->backoff_initial;
    apr_interval_time_t cap = policy->backoff_cap;
    int doubling;

    for (doubling = 1; doubling < retry && delay < cap; doubling++) {
        delay = delay > cap / 2 ? cap : delay * 2;
    }
    return delay;
}

apr_interval_time_t sap_http_retry_delay_at(const sap_http_policy_t *policy, int retry,
                                            const char *retry_after_header, apr_time_t now)
{
    apr_interval_time_t cap = policy->backoff_cap > 0 ? policy->backoff_cap : 0;
    apr_interval_time_t delay;

    if (!http_retry_after_parse(retry_after_header, now, &delay)) {
        delay = http_backoff(policy, retry < 1 ? 1 : retry);
    }
    if (delay < 0) {
        delay = 0;
    }
    return delay < cap ? delay : cap;
}

apr_interval_time_t sap_http_retry_delay(const sap_http_policy_t *policy, int retry,
                                         const char *retry_after_header)
{
    return sap_http_retry_delay_at(policy, retry, retry_after_header, apr_time_now());
}

/* ---------------------------------------------------------------- global */

apr_status_t sap_http_global_init(void)
{
    CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);

    if (code != CURLE_OK) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_ERR, APR_EGENERAL,
                      "curl_global_init failed: %s", curl_easy_strerror(code));
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

void sap_http_global_cleanup(void)
{
    curl_global_cleanup();
}

/* ---------------------------------------------------------------- client and handle pool */

static apr_status_t http_client_cleanup(void *data)
{
    sap_http_client_t *client = data;

    /* The pool is going away: no thread may still be using the client. */
    while (client->idle_count > 0) {
        curl_easy_cleanup(client->idle_handles[--client->idle_count]);
    }
    return APR_SUCCESS;
}

apr_status_t sap_http_client_create(sap_http_client_t **pclient, apr_pool_t *pool,
                                    const sap_http_policy_t *policy, int max_idle_handles)
{
    sap_http_client_t *client;
    apr_status_t rv;

    if (!pclient || !pool || !policy || max_idle_handles < 0) {
        return APR_EINVAL;
    }
    rv = http_policy_check(policy);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    client = apr_pcalloc(pool, sizeof(*client));
    client->pool = pool;
    client->policy = *policy;
    client->max_idle = max_idle_handles;
    client->idle_handles = apr_pcalloc(pool, sizeof(CURL *) * (max_idle_handles + 1));
    /* Created before the cleanup below is registered, so destroyed after it. */
    rv = apr_thread_mutex_create(&client->idle_lock, APR_THREAD_MUTEX_DEFAULT, pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_pool_cleanup_register(pool, client, http_client_cleanup, apr_pool_cleanup_null);
    *pclient = client;
    return APR_SUCCESS;
}

const sap_http_policy_t *sap_http_client_policy(const sap_http_client_t *client)
{
    return &client->policy;
}

int sap_http_client_idle_handles(sap_http_client_t *client)
{
    int count;

    if (apr_thread_mutex_lock(client->idle_lock) != APR_SUCCESS) {
        return -1;
    }
    count = client->idle_count;
    (void)apr_thread_mutex_unlock(client->idle_lock);
    return count;
}

apr_status_t sap_http_handle_acquire(sap_http_client_t *client, CURL **pcurl)
{
    CURL *curl = NULL;
    apr_status_t rv;

    rv = apr_thread_mutex_lock(client->idle_lock);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (client->idle_count > 0) {
        curl = client->idle_handles[--client->idle_count];
    }
    rv = apr_thread_mutex_unlock(client->idle_lock);
    if (rv != APR_SUCCESS) {
        if (curl) {
            curl_easy_cleanup(curl);
        }
        return rv;
    }
    if (!curl) {
        curl = curl_easy_init();   /* outside the lock: it allocates */
    }
    if (!curl) {
        return APR_ENOMEM;
    }
    *pcurl = curl;
    return APR_SUCCESS;
}

void sap_http_handle_release(sap_http_client_t *client, CURL *curl)
{
    int kept = 0;

    if (!curl) {
        return;
    }
    /* Forget this transfer's options (pointers into its pools and stack);
     * the handle keeps its open connections and DNS cache for the next one. */
    curl_easy_reset(curl);
    if (apr_thread_mutex_lock(client->idle_lock) == APR_SUCCESS) {
        if (client->idle_count < client->max_idle) {
            client->idle_handles[client->idle_count++] = curl;
            kept = 1;
        }
        (void)apr_thread_mutex_unlock(client->idle_lock);
    }
    if (!kept) {
        curl_easy_cleanup(curl);
    }
}

apr_status_t sap_http_handle_prepare(CURL *curl, const sap_http_policy_t *policy,
                                     const char *protocols, char *errbuf)
{
    CURLcode code;

    errbuf[0] = '\0';
    code = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    /* httpd is threaded: curl must never use signals (its alarm()-based
     * DNS timeout would fire in a random thread). */
    if (!code) code = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 1L);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                                       http_msec(policy->connect_timeout));
    if (!code) code = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                                       http_msec(policy->total_timeout));
    /* Never follow redirects: a 3xx goes back to the caller, so a bearer
     * token can never be carried to a host nobody configured. */
    if (!code) code = curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 0L);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (code != CURLE_OK) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_ERR, APR_EGENERAL,
                      "curl option setup failed: %s", curl_easy_strerror(code));
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------- URL */

static int http_scheme_listed(const char *schemes, const char *scheme)
{
    apr_size_t scheme_len = strlen(scheme);
    const char *at = schemes;

    for (;;) {
        const char *comma = strchr(at, ',');
        apr_size_t len = comma ? (apr_size_t)(comma - at) : strlen(at);

        if (len == scheme_len && strncmp(at, scheme, len) == 0) {
            return 1;
        }
        if (!comma) {
            return 0;
        }
        at = comma + 1;
    }
}

/* Drops what must never reach a log: credentials, query (?token=…), fragment. */
static CURLUcode http_url_strip(CURLU *parsed)
{
    CURLUcode ucode;

    ucode = curl_url_set(parsed, CURLUPART_USER, NULL, 0);
    if (!ucode) ucode = curl_url_set(parsed, CURLUPART_PASSWORD, NULL, 0);
    if (!ucode) ucode = curl_url_set(parsed, CURLUPART_OPTIONS, NULL, 0);
    if (!ucode) ucode = curl_url_set(parsed, CURLUPART_QUERY, NULL, 0);
    if (!ucode) ucode = curl_url_set(parsed, CURLUPART_FRAGMENT, NULL, 0);
    return ucode;
}

apr_status_t sap_http_url_check(apr_pool_t *pool, const char *url, const char *schemes,
                                const char **plog_url, const char **pscheme,
                                const char **perror)
{
    CURLU *parsed = NULL;
    char *scheme = NULL, *stripped = NULL;
    const char *error = NULL;
    apr_status_t rv = APR_EINVAL;

    /* Messages never repeat the URL: it may hold credentials. */
    if (!url || !*url) {
        error = "no URL";
        goto leave;
    }
    parsed = curl_url();
    if (!parsed) {
        rv = APR_ENOMEM;
        error = "out of memory";
        goto leave;
    }
    if (curl_url_set(parsed, CURLUPART_URL, url, 0) != CURLUE_OK
        || curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        error = "not a valid absolute URL";
        goto leave;
    }
    if (!http_scheme_listed(schemes, scheme)) {
        error = apr_psprintf(pool, "URL scheme \"%s\" not allowed (allowed: %s)", scheme, schemes);
        goto leave;
    }
    if (http_url_strip(parsed) != CURLUE_OK
        || curl_url_get(parsed, CURLUPART_URL, &stripped, 0) != CURLUE_OK) {
        error = "not a valid absolute URL";
        goto leave;
    }
    if (plog_url) {
        *plog_url = apr_pstrdup(pool, stripped);
    }
    if (pscheme) {
        *pscheme = apr_pstrdup(pool, scheme);
    }
    rv = APR_SUCCESS;
leave:
    curl_free(stripped);
    curl_free(scheme);
    curl_url_cleanup(parsed);
    if (perror) {
        *perror = rv == APR_SUCCESS ? NULL : error;
    }
    return rv;
}

/* ---------------------------------------------------------------- outcome of a failed transfer */

/* PRETRANSFER is stamped once the connection (and TLS) is up and the request
 * is about to be written; it stays 0 for a transfer that never got there. */
static int http_request_started(CURL *curl)
{
    curl_off_t pretransfer = 0;

    if (curl_easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) != CURLE_OK) {
        return 1;   /* unknown: assume it was sent, the safe side */
    }
    return pretransfer > 0;
}

apr_status_t sap_http_transport_status(CURL *curl, CURLcode code, const char *errbuf,
                                       apr_pool_t *pool, const char **perror,
                                       int *pretryable)
{
    apr_status_t rv = APR_EGENERAL;

    *pretryable = 0;
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        rv = APR_EHOSTUNREACH;
        *pretryable = 1;
        break;
    case CURLE_COULDNT_CONNECT:
        rv = APR_ECONNREFUSED;
        *pretryable = 1;
        break;
    case CURLE_ABORTED_BY_CALLBACK:
        *perror = "cancelled: the process is shutting down";
        return APR_ECONNABORTED;
    case CURLE_OPERATION_TIMEDOUT:
        /* curl reports the connect timeout and the total timeout alike.
         * Before the request went out, repeating it is harmless. After, the
         * server may already have acted on it (chat.postMessage would post
         * the message twice, a decision would be sent to the engine twice),
         * so that timeout is final and the caller decides. */
        if (http_request_started(curl)) {
            rv = APR_TIMEUP;
        }
        else {
            rv = APR_ETIMEDOUT;
            *pretryable = 1;
        }
        break;
    default:
        /* TLS failures, resets and broken answers: either a configuration
         * problem or the request may have been received; not retried. */
        break;
    }
    *perror = apr_pstrdup(pool, errbuf && errbuf[0] ? errbuf : curl_easy_strerror(code));
    return rv;
}

/* ---------------------------------------------------------------- request */

static int http_token_char(char c)
{
    return apr_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int http_token_ok(const char *token)
{
    if (!token || !*token) {
        return 0;
    }
    for (; *token; token++) {
        if (!http_token_char(*token)) {
            return 0;
        }
    }
    return 1;
}

static int http_method_has_no_body(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static apr_status_t http_request_check(const sap_http_client_t *client, apr_pool_t *pool,
                                       const sap_http_request_t *req, const char **plog_url,
                                       const char **perror)
{
    const char *schemes = client->policy.allow_insecure ? "http,https" : "https";

    if (!http_token_ok(req->method)) {
        *perror = "invalid HTTP method";
        return APR_EINVAL;
    }
    if (req->body_len > 0 && (!req->body || http_method_has_no_body(req->method))) {
        *perror = "request body without data or on a GET/HEAD";
        return APR_EINVAL;
    }
    /* Basic can carry neither a ':' in the user nor line breaks anywhere. */
    if (req->basic_user && (strchr(req->basic_user, ':') || strpbrk(req->basic_user, "\r\n")
                            || (req->basic_password && strpbrk(req->basic_password, "\r\n")))) {
        *perror = "invalid Basic credentials";
        return APR_EINVAL;
    }
    return sap_http_url_check(pool, req->url, schemes, plog_url, NULL, perror);
}

static apr_status_t http_header_append(struct curl_slist **plist, const char *line)
{
    struct curl_slist *grown = curl_slist_append(*plist, line);

    if (!grown) {
        return APR_ENOMEM;
    }
    *plist = grown;
    return APR_SUCCESS;
}

/* The caller's headers as a curl list; the caller frees it (also on error). */
static apr_status_t http_header_list(apr_pool_t *pool, const apr_table_t *headers,
                                     struct curl_slist **plist, const char **perror)
{
    const apr_array_header_t *entries;
    const apr_table_entry_t *entry;
    int index, has_expect = 0;
    apr_status_t rv;

    entries = headers ? apr_table_elts(headers) : NULL;
    for (index = 0; entries && index < entries->nelts; index++) {
        entry = &((const apr_table_entry_t *)entries->elts)[index];
        if (!http_token_ok(entry->key) || !entry->val || strpbrk(entry->val, "\r\n")) {
            *perror = "invalid request header (name not a token, or CR/LF in the value)";
            return APR_EINVAL;
        }
        has_expect |= strcasecmp(entry->key, "Expect") == 0;
        /* "Name;" is curl's way of sending a header with an empty value. */
        rv = http_header_append(plist, *entry->val
                                ? apr_pstrcat(pool, entry->key, ": ", entry->val, NULL)
                                : apr_pstrcat(pool, entry->key, ";", NULL));
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    /* curl would wait for "100 Continue" before sending a larger body;
     * neither Slack nor the engine needs that round trip. */
    return has_expect ? APR_SUCCESS : http_header_append(plist, "Expect:");
}

static CURLcode http_method_setup(CURL *curl, const sap_http_request_t *req)
{
    CURLcode code;

    if (strcmp(req->method, "GET") == 0) {
        return curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    if (strcmp(req->method, "HEAD") == 0) {
        return curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    }
    if (strcmp(req->method, "POST") != 0 && req->body_len == 0) {
        return curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
    }
    /* POSTFIELDS is set even for an empty body: without it curl would read
     * the body through the default read callback, from stdin. */
    code = curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    if (!code && strcmp(req->method, "POST") != 0) {
        code = curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
    }
    return code;
}

static size_t http_body_cb(char *data, size_t size, size_t nitems, void *baton)
{
    http_sink_t *sink = baton;
    apr_size_t len = size * nitems;
    char *grown;

    if (len > sink->body_max - sink->body_len) {
        sink->overflow = SINK_BODY_TOO_LARGE;
        return 0;   /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (sink->body_len + len > sink->body_cap) {
        apr_size_t cap = sink->body_cap ? sink->body_cap * 2 : 16384;

        while (cap < sink->body_len + len) {
            cap *= 2;
        }
        if (cap > sink->body_max) {
            cap = sink->body_max;   /* still >= body_len + len, checked above */
        }
        grown = apr_palloc(sink->pool, cap);
        if (sink->body_len) {
            memcpy(grown, sink->body, sink->body_len);
        }
        sink->body = grown;
        sink->body_cap = cap;
    }
    memcpy(sink->body + sink->body_len, data, len);
    sink->body_len += len;
    return len;
}

static void http_header_store(http_sink_t *sink, const char *line, apr_size_t len)
{
    const char *colon = memchr(line, ':', len);
    const char *value, *end = line + len;
    char *name, *at;

    /* Status lines start a new response (a 100 Continue, say): keep only
     * the final one's headers. Folded continuation lines are dropped. */
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        apr_table_clear(sink->headers);
        return;
    }
    if (!colon || colon == line || line[0] == ' ' || line[0] == '\t') {
        return;
    }
    name = apr_pstrmemdup(sink->pool, line, colon - line);
    for (at = name; *at; at++) {
        *at = apr_tolower(*at);
    }
    for (value = colon + 1; value < end && (*value == ' ' || *value == '\t'); value++) {
    }
    while (end > value && apr_isspace(end[-1])) {
        end--;
    }
    apr_table_addn(sink->headers, name, apr_pstrmemdup(sink->pool, value, end - value));
}

static size_t http_header_cb(char *data, size_t size, size_t nitems, void *baton)
{
    http_sink_t *sink = baton;
    apr_size_t len = size * nitems;

    sink->header_bytes += len;
    if (sink->header_bytes > SAP_HTTP_MAX_HEADER_BYTES) {
        sink->overflow = SINK_HEADERS_TOO_LARGE;
        return 0;
    }
    http_header_store(sink, data, len);
    return len;
}

static int http_cancelled(const sap_http_request_t *req)
{
    return req->cancel && *req->cancel;
}

/* libcurl calls this about once a second and whenever data moves. */
static int http_cancel_cb(void *baton, curl_off_t dltotal, curl_off_t dlnow,
                          curl_off_t ultotal, curl_off_t ulnow)
{
    return *(volatile const int *)baton ? 1 : 0;
}

CURLcode sap_http_handle_cancellable(CURL *curl, volatile const int *cancel)
{
    CURLcode code;

    if (!cancel) {
        return CURLE_OK;
    }
    code = curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, http_cancel_cb);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_XFERINFODATA, (void *)cancel);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    return code;
}

int sap_http_wait(volatile const int *cancel, apr_interval_time_t delay)
{
    apr_time_t until = apr_time_now() + delay;
    apr_interval_time_t step = apr_time_from_msec(50);

    while (!(cancel && *cancel) && apr_time_now() < until) {
        apr_interval_time_t left = until - apr_time_now();
        apr_sleep(left < step ? (left > 0 ? left : 0) : step);
    }
    return cancel && *cancel;
}

static apr_status_t http_request_setup(CURL *curl, const sap_http_request_t *req,
                                       struct curl_slist *header_list, http_sink_t *sink)
{
    CURLcode code;

    code = curl_easy_setopt(curl, CURLOPT_URL, req->url);
    if (!code) code = http_method_setup(curl, req);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_USERAGENT, SAP_HTTP_USER_AGENT);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    /* Refuses early when Content-Length says too much; the write callback
     * enforces the same limit on answers without one. */
    if (!code) code = curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)sink->body_max);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_body_cb);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, http_header_cb);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_HEADERDATA, sink);
    if (!code) code = sap_http_handle_cancellable(curl, req->cancel);
    if (!code && req->basic_user) {
        code = curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        if (!code) code = curl_easy_setopt(curl, CURLOPT_USERNAME, req->basic_user);
        if (!code) code = curl_easy_setopt(curl, CURLOPT_PASSWORD,
                                           req->basic_password ? req->basic_password : "");
    }
    if (code != CURLE_OK) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_ERR, APR_EGENERAL,
                      "curl request setup failed: %s", curl_easy_strerror(code));
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------- perform */

static apr_status_t http_outcome(CURL *curl, CURLcode code, const char *errbuf,
                                 const http_sink_t *sink, apr_pool_t *pool,
                                 sap_http_response_t *resp, int *pretryable)
{
    long status = 0;

    *pretryable = 0;
    if (code == CURLE_OK) {
        if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status <= 0) {
            resp->error = "no HTTP status received";
            return APR_EGENERAL;
        }
        resp->status = (int)status;
        resp->headers = apr_table_clone(pool, sink->headers);
        resp->body = apr_pstrmemdup(pool, sink->body ? sink->body : "", sink->body_len);
        resp->body_len = sink->body_len;
        *pretryable = status == 429 || (status >= 500 && status <= 599);
        return APR_SUCCESS;
    }
    if (sink->overflow == SINK_HEADERS_TOO_LARGE) {
        resp->error = apr_psprintf(pool, "response headers larger than %" APR_SIZE_T_FMT " bytes",
                                   SAP_HTTP_MAX_HEADER_BYTES);
        return APR_ENOSPC;
    }
    if (sink->overflow == SINK_BODY_TOO_LARGE || code == CURLE_FILESIZE_EXCEEDED) {
        resp->error = apr_psprintf(pool, "response larger than %" APR_SIZE_T_FMT " bytes",
                                   sink->body_max);
        return APR_ENOSPC;
    }
    return sap_http_transport_status(curl, code, errbuf, pool, &resp->error, pretryable);
}

static void http_attempt_log(const sap_http_request_t *req, const char *log_url,
                             const sap_http_response_t *resp, apr_status_t rv,
                             apr_time_t started)
{
    apr_interval_time_t elapsed = apr_time_now() - started;

    /* Never headers or bodies, and the URL without its query string. */
    sap_log_write(SAP_LOG_MARK, SAP_LOG_DEBUG, rv,
                  "HTTP %s %s: attempt %d, status %d, %" APR_TIME_T_FMT " ms%s%s",
                  req->method, log_url, resp->attempts, resp->status,
                  apr_time_as_msec(elapsed), resp->error ? ", " : "",
                  resp->error ? resp->error : "");
}

static apr_status_t http_attempt(sap_http_client_t *client, apr_pool_t *pool,
                                 const sap_http_request_t *req, const char *log_url,
                                 struct curl_slist *header_list, sap_http_response_t *resp,
                                 int *pretryable)
{
    char errbuf[CURL_ERROR_SIZE];
    apr_pool_t *scratch = NULL;
    CURL *curl = NULL;
    http_sink_t sink;
    apr_time_t started = apr_time_now();
    CURLcode code;
    apr_status_t rv;

    *pretryable = 0;
    resp->attempts++;
    resp->status = 0;
    resp->headers = apr_table_make(pool, 1);
    resp->body = "";
    resp->body_len = 0;
    resp->error = NULL;
    rv = apr_pool_create(&scratch, pool);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    memset(&sink, 0, sizeof(sink));
    sink.pool = scratch;
    sink.body_max = client->policy.max_response_bytes;
    sink.headers = apr_table_make(scratch, 16);
    rv = sap_http_handle_acquire(client, &curl);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = sap_http_handle_prepare(curl, &client->policy,
                                 client->policy.allow_insecure ? "http,https" : "https", errbuf);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = http_request_setup(curl, req, header_list, &sink);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    if (req->timeout > 0
        && (curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, http_msec(req->timeout)) != CURLE_OK
            || curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                                http_msec(req->timeout)) != CURLE_OK)) {
        rv = APR_EGENERAL;
        goto leave;
    }
    code = curl_easy_perform(curl);
    rv = http_outcome(curl, code, errbuf, &sink, pool, resp, pretryable);
leave:
    if (rv != APR_SUCCESS && !resp->error) {
        resp->error = "HTTP client setup failed";
    }
    http_attempt_log(req, log_url, resp, rv, started);
    sap_http_handle_release(client, curl);
    if (scratch) {
        apr_pool_destroy(scratch);
    }
    return rv;
}

apr_status_t sap_http_perform(sap_http_client_t *client, apr_pool_t *pool,
                              const sap_http_request_t *req, sap_http_response_t **presp)
{
    struct curl_slist *header_list = NULL;
    sap_http_response_t *resp;
    const char *log_url = NULL;
    apr_interval_time_t delay;
    int retryable = 0;
    apr_status_t rv;

    if (!presp || !pool) {
        return APR_EINVAL;
    }
    resp = apr_pcalloc(pool, sizeof(*resp));
    resp->headers = apr_table_make(pool, 1);
    resp->body = "";
    *presp = resp;
    if (!client || !req) {
        resp->error = "no client or request";
        return APR_EINVAL;
    }
    rv = http_request_check(client, pool, req, &log_url, &resp->error);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = http_header_list(pool, req->headers, &header_list, &resp->error);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    for (;;) {
        rv = http_attempt(client, pool, req, log_url, header_list, resp, &retryable);
        if (!retryable || req->no_retry || resp->attempts > client->policy.max_retries
            || http_cancelled(req)) {
            break;
        }
        delay = sap_http_retry_delay(&client->policy, resp->attempts,
                                     apr_table_get(resp->headers, "retry-after"));
        sap_log_write(SAP_LOG_MARK, SAP_LOG_DEBUG, rv, "HTTP %s %s: retrying in %" APR_TIME_T_FMT " ms",
                      req->method, log_url, apr_time_as_msec(delay));
        if (sap_http_wait(req->cancel, delay)) {
            break;   /* keep the last answer: the caller sees what Slack said */
        }
    }
leave:
    curl_slist_free_all(header_list);
    return rv;
}
