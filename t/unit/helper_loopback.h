/* In-process loopback servers for the unit tests of the outbound client:
 * a scripted HTTP/1.1 server and a scripted SMTP responder, each listening
 * on 127.0.0.1 (an ephemeral port) with an accept thread and one thread per
 * connection. Every request is recorded before it is answered, so once the
 * client has its answer the counts below are exact.
 *
 * The server owns its memory (its own root pool): records stay valid until
 * sap_test_loopback_stop(), which joins every thread and frees everything.
 * Starting a server ignores SIGPIPE for the process (a client that gave up
 * must not kill the test binary when the server answers it). */
#ifndef HELPER_LOOPBACK_H
#define HELPER_LOOPBACK_H

#include <apr_network_io.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

typedef struct sap_test_loopback_t sap_test_loopback_t;

/* One scripted HTTP answer. Request n (0-based, over all connections) gets
 * replies[n]; once the script is used up, the last reply is repeated. */
typedef struct sap_test_http_reply_t {
    int status;
    const char *headers;         /* extra header lines, each ending in "\r\n"; NULL: none */
    const char *body;            /* NULL: empty; Content-Length is added */
    apr_interval_time_t delay;   /* wait this long before answering */
    const char *raw;             /* when set: sent verbatim instead, then the connection closes */
} sap_test_http_reply_t;

typedef struct sap_test_http_request_t {
    const char *method;
    const char *target;          /* as on the request line: path and query */
    apr_table_t *headers;        /* as received */
    const char *body;            /* NUL-terminated */
    apr_size_t body_len;
} sap_test_http_request_t;

/* One scripted SMTP transaction (a MAIL FROM and what follows). Transaction
 * n gets replies[n]; the last one is repeated. NULL replies mean success. */
typedef struct sap_test_smtp_reply_t {
    const char *mail_reply;      /* NULL: "250 2.1.0 Ok" */
    const char *rcpt_reply;      /* for every RCPT; NULL: "250 2.1.5 Ok" */
    const char *data_reply;      /* after the final "."; NULL: "250 2.0.0 Ok: queued" */
} sap_test_smtp_reply_t;

typedef struct sap_test_smtp_message_t {
    const char *mail_from;       /* MAIL FROM argument as sent, e.g. "<a@example.com>" */
    apr_array_header_t *rcpt_to; /* const char *: RCPT TO arguments as sent */
    const char *data;            /* message after dot-unstuffing, without ".\r\n"; NULL if none */
    apr_size_t data_len;
    int accepted;                /* the server answered 2xx after the data */
} sap_test_smtp_message_t;

apr_status_t sap_test_loopback_start_http(sap_test_loopback_t **psrv,
                                          const sap_test_http_reply_t *replies, int nreplies);
apr_status_t sap_test_loopback_start_smtp(sap_test_loopback_t **psrv,
                                          const sap_test_smtp_reply_t *replies, int nreplies);
/* Joins every thread, closes every socket, frees every record. NULL is fine. */
void sap_test_loopback_stop(sap_test_loopback_t *srv);

apr_port_t sap_test_loopback_port(const sap_test_loopback_t *srv);
/* scheme://127.0.0.1:port + path */
const char *sap_test_loopback_url(const sap_test_loopback_t *srv, apr_pool_t *pool,
                                  const char *scheme, const char *path);

int sap_test_loopback_connections(sap_test_loopback_t *srv);
/* HTTP requests, or SMTP transactions (MAIL FROM commands), received so far. */
int sap_test_loopback_count(sap_test_loopback_t *srv);
const sap_test_http_request_t *sap_test_loopback_http_request(sap_test_loopback_t *srv, int index);
const sap_test_smtp_message_t *sap_test_loopback_smtp_message(sap_test_loopback_t *srv, int index);

/* A port on 127.0.0.1 where nothing listens (bound, read, closed again). */
apr_status_t sap_test_loopback_closed_port(apr_port_t *pport);

/* A port on 127.0.0.1 where connect() never completes: a listener with
 * backlog 0 whose accept queue is already full, so the kernel drops every
 * further SYN and the client runs into its connect timeout. Its sockets
 * live until pool is destroyed. */
apr_status_t sap_test_loopback_blackhole(apr_pool_t *pool, apr_port_t *pport);

#endif
