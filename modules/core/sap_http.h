/* The one outbound client of the module: HTTP(S) for the Slack Web API and
 * the approval engine, and (through sap_mail.h) SMTP for the email fallback.
 *
 * Built on libcurl (DESIGN section 7):
 *  - redirects are never followed: a 3xx is returned to the caller as is;
 *  - only https:// unless the policy allows http:// (SlackApprovalsAllowInsecureHTTP);
 *  - retries only on 429, 5xx and connection-level failures (refused, DNS,
 *    connect timeout), with exponential backoff and Retry-After, both capped;
 *  - a total timeout once the request may have been sent is never retried;
 *  - easy handles are pooled: one handle is used by one thread at a time.
 *
 * sap_http_global_init() must run once in the parent process before any
 * thread exists (curl_global_init is not thread-safe). */
#ifndef SAP_HTTP_H
#define SAP_HTTP_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <curl/curl.h>

#define SAP_HTTP_DEFAULT_CONNECT_TIMEOUT    apr_time_from_sec(5)
#define SAP_HTTP_DEFAULT_TOTAL_TIMEOUT      apr_time_from_sec(10)
#define SAP_HTTP_DEFAULT_MAX_RETRIES        3
#define SAP_HTTP_DEFAULT_BACKOFF_INITIAL    apr_time_from_msec(500)
#define SAP_HTTP_DEFAULT_BACKOFF_CAP        apr_time_from_sec(5)
#define SAP_HTTP_DEFAULT_MAX_RESPONSE_BYTES ((apr_size_t)4 * 1024 * 1024)
/* All response header lines of one answer together; more is an error. */
#define SAP_HTTP_MAX_HEADER_BYTES           ((apr_size_t)64 * 1024)

typedef struct sap_http_policy_t {
    apr_interval_time_t connect_timeout;  /* default 5 s */
    apr_interval_time_t total_timeout;    /* default 10 s per attempt */
    int max_retries;                      /* default 3 (so at most 4 attempts) */
    apr_interval_time_t backoff_initial;  /* default 500 ms, doubled each retry */
    apr_interval_time_t backoff_cap;      /* default 5 s; also caps Retry-After */
    apr_size_t max_response_bytes;        /* default 4 MiB; larger answer = error */
    int allow_insecure;                   /* 0: only https:// (SlackApprovalsAllowInsecureHTTP) */
} sap_http_policy_t;

void sap_http_policy_defaults(sap_http_policy_t *policy);

/* curl_global_init: once, in the parent, before any thread. APR_EGENERAL on failure. */
apr_status_t sap_http_global_init(void);
void sap_http_global_cleanup(void);

typedef struct sap_http_client_t sap_http_client_t;

/* A client shared by all threads of a process. The policy is copied.
 * At most max_idle_handles easy handles (and their open connections) are
 * kept between requests; the rest are closed on release. The idle handles
 * are closed when pool is destroyed (no request may then be in flight).
 * APR_EINVAL for an unusable policy (zero timeouts, negative counts). */
apr_status_t sap_http_client_create(sap_http_client_t **pclient, apr_pool_t *pool,
                                    const sap_http_policy_t *policy, int max_idle_handles);

typedef struct sap_http_request_t {
    const char *method;            /* "GET", "POST" (other tokens are sent as custom methods) */
    const char *url;
    apr_table_t *headers;          /* may be NULL; no CR/LF in names or values */
    const char *body; apr_size_t body_len;
    const char *basic_user, *basic_password;   /* HTTP Basic (oauth.v2.access) */
    int no_retry;                  /* caller knows the request must not be repeated: one attempt */
    apr_interval_time_t timeout;   /* > 0: the total timeout of this request's attempts instead
                                    * of the policy's (a caller with a deadline: views.open) */
    volatile const int *cancel;    /* may be NULL; once *cancel is non-zero (the process is
                                    * shutting down) the transfer is aborted and no retry is
                                    * made: APR_ECONNABORTED, or the last answer if one came */
} sap_http_request_t;

typedef struct sap_http_response_t {
    int status;                    /* 0 when no response was received */
    apr_table_t *headers;          /* names lowercased; never NULL */
    const char *body; apr_size_t body_len;   /* NUL-terminated; "" when none */
    int attempts;
    const char *error;             /* human-readable reason when rv != APR_SUCCESS */
} sap_http_response_t;

/* Sends the request, retrying as the policy says. *presp is always set
 * (allocated from pool, like everything it points to). Returns:
 *  APR_SUCCESS      an HTTP response was received, whatever its status (also
 *                   a 429/5xx once the retries are used up): look at status;
 *  APR_EINVAL       unusable request (URL, scheme not allowed, method, CR/LF
 *                   in a header): nothing was sent;
 *  APR_TIMEUP       the total timeout struck after the request may have been
 *                   sent: not retried, the server may have applied it;
 *  APR_ENOSPC       the response is larger than max_response_bytes (or its
 *                   headers than SAP_HTTP_MAX_HEADER_BYTES): not retried;
 *  APR_ECONNREFUSED, APR_EHOSTUNREACH (DNS), APR_ETIMEDOUT (connect timeout)
 *                   connection-level failure on the last attempt;
 *  APR_EGENERAL     any other transport failure (TLS, reset, bad answer). */
apr_status_t sap_http_perform(sap_http_client_t *client, apr_pool_t *pool,
                              const sap_http_request_t *req, sap_http_response_t **presp);

/* The delay before retry number `retry` (1-based) given the previous
 * answer's Retry-After header (NULL when none): Retry-After (delta seconds
 * or an HTTP date) when it parses, else backoff_initial * 2^(retry-1);
 * either way at most backoff_cap. Pure. */
apr_interval_time_t sap_http_retry_delay(const sap_http_policy_t *policy, int retry,
                                         const char *retry_after_header);
/* The same with an explicit "now" for HTTP dates (what the tests call). */
apr_interval_time_t sap_http_retry_delay_at(const sap_http_policy_t *policy, int retry,
                                            const char *retry_after_header, apr_time_t now);

/* Idle easy handles currently kept by the client (for tests and /healthz). */
int sap_http_client_idle_handles(sap_http_client_t *client);

/* ---- Transport pieces shared with sap_mail.c (same client, same policy) ---- */

const sap_http_policy_t *sap_http_client_policy(const sap_http_client_t *client);

/* Takes an easy handle for the calling thread; give it back with release,
 * which resets it (curl_easy_reset keeps its connections and DNS cache). */
apr_status_t sap_http_handle_acquire(sap_http_client_t *client, CURL **pcurl);
void sap_http_handle_release(sap_http_client_t *client, CURL *curl);

/* The options every transfer gets: NOSIGNAL, timeouts, no redirects,
 * protocols limited to `protocols` (CURLOPT_PROTOCOLS_STR syntax, e.g.
 * "https"), peer verification, error buffer (CURL_ERROR_SIZE bytes). */
apr_status_t sap_http_handle_prepare(CURL *curl, const sap_http_policy_t *policy,
                                     const char *protocols, char *errbuf);

/* Parses url and checks that its scheme is one of the comma-separated,
 * lowercase `schemes`. *plog_url (may be NULL) gets the URL without
 * user info, query and fragment: the only form that may be logged.
 * *pscheme (may be NULL) gets the lowercased scheme.
 * APR_EINVAL with *perror on failure. */
apr_status_t sap_http_url_check(apr_pool_t *pool, const char *url, const char *schemes,
                                const char **plog_url, const char **pscheme,
                                const char **perror);

/* Maps a failed transfer (code != CURLE_OK) to a status as documented at
 * sap_http_perform and says whether the failure is connection-level (nothing
 * was sent, so it may be retried). *perror gets curl's message. */
apr_status_t sap_http_transport_status(CURL *curl, CURLcode code, const char *errbuf,
                                       apr_pool_t *pool, const char **perror,
                                       int *pretryable);

/* Shutdown support shared by HTTP and SMTP transfers. cancel may be NULL.
 * sap_http_handle_cancellable: the transfer aborts (CURLE_ABORTED_BY_CALLBACK,
 * mapped to APR_ECONNABORTED above) once *cancel turns non-zero.
 * sap_http_wait: sleeps `delay` in short steps; returns non-zero when it was
 * cut short by *cancel. */
CURLcode sap_http_handle_cancellable(CURL *curl, volatile const int *cancel);
int sap_http_wait(volatile const int *cancel, apr_interval_time_t delay);

#endif
