/* Scripted loopback HTTP and SMTP servers for the unit tests (see the header). */
#include <signal.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_lib.h>
#include <apr_poll.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "helper_loopback.h"

/* How often blocked threads look at the stop flag. */
#define LOOPBACK_TICK apr_time_from_msec(20)

typedef enum { LOOPBACK_HTTP, LOOPBACK_SMTP } loopback_kind_t;

struct sap_test_loopback_t {
    apr_pool_t *pool;               /* after start: only under lock */
    apr_thread_mutex_t *lock;
    apr_socket_t *listener;
    apr_port_t port;
    apr_thread_t *acceptor;
    volatile apr_uint32_t stopping;
    loopback_kind_t kind;
    const sap_test_http_reply_t *http_replies;
    const sap_test_smtp_reply_t *smtp_replies;
    int nreplies;
    apr_array_header_t *records;    /* sap_test_http_request_t * or sap_test_smtp_message_t * */
    apr_array_header_t *conns;      /* loopback_conn_t * */
};

typedef struct loopback_conn_t {
    sap_test_loopback_t *srv;
    apr_pool_t *pool;               /* unmanaged; the connection thread's own */
    apr_socket_t *sock;
    apr_thread_t *thread;
    char *buf;                      /* received, not consumed yet */
    apr_size_t len, cap;
} loopback_conn_t;

static int loopback_stopping(sap_test_loopback_t *srv)
{
    return apr_atomic_read32(&srv->stopping) != 0;
}

/* ---------------------------------------------------------------- socket I/O */

static void loopback_append(loopback_conn_t *conn, const char *data, apr_size_t len)
{
    if (conn->len + len + 1 > conn->cap) {
        apr_size_t cap = conn->cap ? conn->cap * 2 : 8192;
        char *grown;

        while (cap < conn->len + len + 1) {
            cap *= 2;
        }
        grown = apr_palloc(conn->pool, cap);
        if (conn->len) {
            memcpy(grown, conn->buf, conn->len);
        }
        conn->buf = grown;
        conn->cap = cap;
    }
    memcpy(conn->buf + conn->len, data, len);
    conn->len += len;
    conn->buf[conn->len] = '\0';
}

static void loopback_consume(loopback_conn_t *conn, apr_size_t len)
{
    memmove(conn->buf, conn->buf + len, conn->len - len);
    conn->len -= len;
    conn->buf[conn->len] = '\0';
}

/* Waits for more bytes; APR_EOF when the peer closed or the server stops. */
static apr_status_t loopback_fill(loopback_conn_t *conn)
{
    char chunk[8192];
    apr_size_t len;
    apr_status_t rv;

    for (;;) {
        if (loopback_stopping(conn->srv)) {
            return APR_EOF;
        }
        len = sizeof(chunk);
        rv = apr_socket_recv(conn->sock, chunk, &len);
        if (len > 0) {
            loopback_append(conn, chunk, len);
            return APR_SUCCESS;
        }
        if (!APR_STATUS_IS_TIMEUP(rv) && !APR_STATUS_IS_EAGAIN(rv)) {
            return rv == APR_SUCCESS ? APR_EOF : rv;
        }
    }
}

static apr_status_t loopback_send(loopback_conn_t *conn, const char *data, apr_size_t len)
{
    apr_size_t sent;
    apr_status_t rv;

    while (len > 0) {
        if (loopback_stopping(conn->srv)) {
            return APR_EOF;
        }
        sent = len;
        rv = apr_socket_send(conn->sock, data, &sent);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_TIMEUP(rv) && !APR_STATUS_IS_EAGAIN(rv)) {
            return rv;
        }
        data += sent;
        len -= sent;
    }
    return APR_SUCCESS;
}

static apr_status_t loopback_send_str(loopback_conn_t *conn, const char *text)
{
    return loopback_send(conn, text, strlen(text));
}

/* Sleeps in ticks so that stop does not wait for a slow scripted answer. */
static void loopback_pause(sap_test_loopback_t *srv, apr_interval_time_t delay)
{
    apr_time_t until = apr_time_now() + delay;

    while (!loopback_stopping(srv) && apr_time_now() < until) {
        apr_interval_time_t left = until - apr_time_now();

        apr_sleep(left < LOOPBACK_TICK ? (left > 0 ? left : 0) : LOOPBACK_TICK);
    }
}

static const char *loopback_find(const char *buf, apr_size_t len, const char *needle)
{
    apr_size_t needle_len = strlen(needle), at;

    for (at = 0; at + needle_len <= len; at++) {
        if (memcmp(buf + at, needle, needle_len) == 0) {
            return buf + at;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- HTTP */

static const char *loopback_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 302: return "Found";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default:  return "Scripted";
    }
}

/* Parses the head in conn->buf[0..head_len) into req (allocated from conn->pool). */
static apr_status_t loopback_http_parse_head(loopback_conn_t *conn, apr_size_t head_len,
                                             sap_test_http_request_t *req,
                                             apr_size_t *pcontent_length)
{
    char *head = apr_pstrmemdup(conn->pool, conn->buf, head_len);
    char *state = NULL, *line, *colon;
    const char *length;

    line = apr_strtok(head, "\r\n", &state);
    if (!line) {
        return APR_EGENERAL;
    }
    req->method = apr_strtok(line, " ", &colon);
    req->target = apr_strtok(NULL, " ", &colon);
    if (!req->method || !req->target) {
        return APR_EGENERAL;
    }
    req->headers = apr_table_make(conn->pool, 16);
    while ((line = apr_strtok(NULL, "\r\n", &state)) != NULL) {
        colon = strchr(line, ':');
        if (!colon) {
            continue;
        }
        *colon++ = '\0';
        while (*colon == ' ' || *colon == '\t') {
            colon++;
        }
        apr_table_add(req->headers, line, colon);
    }
    length = apr_table_get(req->headers, "Content-Length");
    *pcontent_length = length ? (apr_size_t)apr_atoi64(length) : 0;
    return APR_SUCCESS;
}

static apr_status_t loopback_http_read(loopback_conn_t *conn, sap_test_http_request_t *req)
{
    const char *end;
    apr_size_t head_len, body_len;
    apr_status_t rv;

    while ((end = loopback_find(conn->buf, conn->len, "\r\n\r\n")) == NULL) {
        rv = loopback_fill(conn);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    head_len = end - conn->buf + 4;
    rv = loopback_http_parse_head(conn, head_len, req, &body_len);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (conn->len < head_len + body_len) {
        rv = loopback_fill(conn);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    req->body = apr_pstrmemdup(conn->pool, conn->buf + head_len, body_len);
    req->body_len = body_len;
    loopback_consume(conn, head_len + body_len);
    return APR_SUCCESS;
}

/* Stores a copy of the request and picks its scripted reply. */
static const sap_test_http_reply_t *loopback_http_record(sap_test_loopback_t *srv,
                                                         const sap_test_http_request_t *req)
{
    sap_test_http_request_t *copy;
    int index;

    apr_thread_mutex_lock(srv->lock);
    copy = apr_pcalloc(srv->pool, sizeof(*copy));
    copy->method = apr_pstrdup(srv->pool, req->method);
    copy->target = apr_pstrdup(srv->pool, req->target);
    copy->headers = apr_table_clone(srv->pool, req->headers);
    copy->body = apr_pstrmemdup(srv->pool, req->body, req->body_len);
    copy->body_len = req->body_len;
    index = srv->records->nelts;
    APR_ARRAY_PUSH(srv->records, sap_test_http_request_t *) = copy;
    apr_thread_mutex_unlock(srv->lock);
    return &srv->http_replies[index < srv->nreplies ? index : srv->nreplies - 1];
}

static apr_status_t loopback_http_answer(loopback_conn_t *conn, const sap_test_http_reply_t *reply)
{
    const char *body = reply->body ? reply->body : "";
    const char *head;
    apr_status_t rv;

    if (reply->delay > 0) {
        loopback_pause(conn->srv, reply->delay);
    }
    if (reply->raw) {
        return loopback_send_str(conn, reply->raw);
    }
    head = apr_psprintf(conn->pool, "HTTP/1.1 %d %s\r\nContent-Length: %" APR_SIZE_T_FMT "\r\n%s\r\n",
                        reply->status, loopback_reason(reply->status), strlen(body),
                        reply->headers ? reply->headers : "");
    rv = loopback_send_str(conn, head);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return loopback_send_str(conn, body);
}

static void *APR_THREAD_FUNC loopback_http_main(apr_thread_t *thread, void *data)
{
    loopback_conn_t *conn = data;
    const sap_test_http_reply_t *reply;
    sap_test_http_request_t req;
    const char *connection;

    for (;;) {
        memset(&req, 0, sizeof(req));
        if (loopback_http_read(conn, &req) != APR_SUCCESS) {
            break;
        }
        reply = loopback_http_record(conn->srv, &req);
        connection = apr_table_get(req.headers, "Connection");
        if (loopback_http_answer(conn, reply) != APR_SUCCESS || reply->raw
            || (connection && strcasecmp(connection, "close") == 0)) {
            break;
        }
    }
    apr_socket_close(conn->sock);
    return NULL;
}

/* ---------------------------------------------------------------- SMTP */

/* The next command line without its CRLF; APR_EOF when the peer is gone. */
static apr_status_t loopback_smtp_line(loopback_conn_t *conn, char **pline)
{
    const char *end;
    apr_status_t rv;

    while ((end = loopback_find(conn->buf, conn->len, "\r\n")) == NULL) {
        rv = loopback_fill(conn);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    *pline = apr_pstrmemdup(conn->pool, conn->buf, end - conn->buf);
    loopback_consume(conn, end - conn->buf + 2);
    return APR_SUCCESS;
}

/* Undoes the client's dot-stuffing (RFC 5321 4.5.2) in place. */
static apr_size_t loopback_smtp_unstuff(char *data, apr_size_t len)
{
    apr_size_t in, out = 0;
    char previous = '\0', current;
    int line_start = 1;

    for (in = 0; in < len; in++) {
        if (line_start && data[in] == '.') {
            in++;
            if (in == len) {
                break;
            }
        }
        current = data[in];
        data[out++] = current;
        line_start = current == '\n' && previous == '\r';
        previous = current;
    }
    data[out] = '\0';
    return out;
}

/* The message up to CRLF "." CRLF; the terminator is consumed, not kept. */
static apr_status_t loopback_smtp_data(loopback_conn_t *conn, char **pdata, apr_size_t *plen)
{
    const char *end;
    apr_status_t rv;

    for (;;) {
        if (conn->len >= 3 && memcmp(conn->buf, ".\r\n", 3) == 0) {
            *pdata = apr_pstrdup(conn->pool, "");
            *plen = 0;
            loopback_consume(conn, 3);
            return APR_SUCCESS;
        }
        end = loopback_find(conn->buf, conn->len, "\r\n.\r\n");
        if (end) {
            break;
        }
        rv = loopback_fill(conn);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    *pdata = apr_pstrmemdup(conn->pool, conn->buf, end - conn->buf + 2);
    *plen = loopback_smtp_unstuff(*pdata, end - conn->buf + 2);
    loopback_consume(conn, end - conn->buf + 5);
    return APR_SUCCESS;
}

typedef struct loopback_smtp_state_t {
    sap_test_smtp_message_t *message;          /* the open transaction, or NULL */
    const sap_test_smtp_reply_t *script;
    int accepted_rcpts;
} loopback_smtp_state_t;

static int loopback_smtp_positive(const char *reply)
{
    return reply[0] == '2' || reply[0] == '3';
}

static const char *loopback_smtp_mail(sap_test_loopback_t *srv, loopback_smtp_state_t *state,
                                      const char *argument)
{
    sap_test_smtp_message_t *message;
    const char *reply;
    int index;

    apr_thread_mutex_lock(srv->lock);
    message = apr_pcalloc(srv->pool, sizeof(*message));
    message->mail_from = apr_pstrdup(srv->pool, argument);
    message->rcpt_to = apr_array_make(srv->pool, 4, sizeof(const char *));
    index = srv->records->nelts;
    APR_ARRAY_PUSH(srv->records, sap_test_smtp_message_t *) = message;
    apr_thread_mutex_unlock(srv->lock);
    state->script = &srv->smtp_replies[index < srv->nreplies ? index : srv->nreplies - 1];
    state->accepted_rcpts = 0;
    reply = state->script->mail_reply ? state->script->mail_reply : "250 2.1.0 Ok";
    state->message = loopback_smtp_positive(reply) ? message : NULL;
    return reply;
}

static const char *loopback_smtp_rcpt(sap_test_loopback_t *srv, loopback_smtp_state_t *state,
                                      const char *argument)
{
    const char *reply;

    if (!state->message) {
        return "503 5.5.1 Error: need MAIL command";
    }
    apr_thread_mutex_lock(srv->lock);
    APR_ARRAY_PUSH(state->message->rcpt_to, const char *) = apr_pstrdup(srv->pool, argument);
    apr_thread_mutex_unlock(srv->lock);
    reply = state->script->rcpt_reply ? state->script->rcpt_reply : "250 2.1.5 Ok";
    state->accepted_rcpts += loopback_smtp_positive(reply);
    return reply;
}

static apr_status_t loopback_smtp_transfer(loopback_conn_t *conn, loopback_smtp_state_t *state)
{
    sap_test_loopback_t *srv = conn->srv;
    const char *reply;
    char *data;
    apr_size_t len;
    apr_status_t rv;

    if (!state->message || state->accepted_rcpts == 0) {
        return loopback_send_str(conn, "554 5.5.1 Error: no valid recipients\r\n");
    }
    rv = loopback_send_str(conn, "354 End data with <CR><LF>.<CR><LF>\r\n");
    if (rv == APR_SUCCESS) {
        rv = loopback_smtp_data(conn, &data, &len);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    reply = state->script->data_reply ? state->script->data_reply : "250 2.0.0 Ok: queued";
    apr_thread_mutex_lock(srv->lock);
    state->message->data = apr_pstrmemdup(srv->pool, data, len);
    state->message->data_len = len;
    state->message->accepted = reply[0] == '2';
    apr_thread_mutex_unlock(srv->lock);
    state->message = NULL;
    return loopback_send_str(conn, apr_pstrcat(conn->pool, reply, "\r\n", NULL));
}

static int loopback_smtp_is(const char *line, const char *command)
{
    return strncasecmp(line, command, strlen(command)) == 0;
}

/* One command; APR_EOF ends the session. */
static apr_status_t loopback_smtp_command(loopback_conn_t *conn, loopback_smtp_state_t *state,
                                          const char *line)
{
    const char *reply;

    if (loopback_smtp_is(line, "EHLO")) {
        reply = "250-loopback\r\n250-8BITMIME\r\n250 HELP";
    }
    else if (loopback_smtp_is(line, "HELO") || loopback_smtp_is(line, "NOOP")) {
        reply = "250 loopback";
    }
    else if (loopback_smtp_is(line, "MAIL FROM:")) {
        reply = loopback_smtp_mail(conn->srv, state, line + strlen("MAIL FROM:"));
    }
    else if (loopback_smtp_is(line, "RCPT TO:")) {
        reply = loopback_smtp_rcpt(conn->srv, state, line + strlen("RCPT TO:"));
    }
    else if (loopback_smtp_is(line, "DATA")) {
        return loopback_smtp_transfer(conn, state);
    }
    else if (loopback_smtp_is(line, "RSET")) {
        state->message = NULL;
        reply = "250 2.0.0 Ok";
    }
    else if (loopback_smtp_is(line, "QUIT")) {
        loopback_send_str(conn, "221 2.0.0 Bye\r\n");
        return APR_EOF;
    }
    else {
        reply = "502 5.5.2 Error: command not recognized";
    }
    return loopback_send_str(conn, apr_pstrcat(conn->pool, reply, "\r\n", NULL));
}

static void *APR_THREAD_FUNC loopback_smtp_main(apr_thread_t *thread, void *data)
{
    loopback_conn_t *conn = data;
    loopback_smtp_state_t state;
    char *line;
    apr_status_t rv;

    memset(&state, 0, sizeof(state));
    rv = loopback_send_str(conn, "220 loopback ESMTP\r\n");
    while (rv == APR_SUCCESS) {
        rv = loopback_smtp_line(conn, &line);
        if (rv == APR_SUCCESS) {
            rv = loopback_smtp_command(conn, &state, line);
        }
    }
    apr_socket_close(conn->sock);
    return NULL;
}

/* ---------------------------------------------------------------- accept loop */

static apr_status_t loopback_conn_start(sap_test_loopback_t *srv, apr_pool_t *conn_pool,
                                        apr_socket_t *sock)
{
    loopback_conn_t *conn = apr_pcalloc(conn_pool, sizeof(*conn));
    apr_status_t rv;

    conn->srv = srv;
    conn->pool = conn_pool;
    conn->sock = sock;
    rv = apr_socket_timeout_set(sock, LOOPBACK_TICK);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_create(&conn->thread, NULL,
                               srv->kind == LOOPBACK_HTTP ? loopback_http_main : loopback_smtp_main,
                               conn, conn_pool);
    }
    if (rv != APR_SUCCESS) {
        conn->thread = NULL;
        apr_socket_close(sock);
    }
    /* Registered even on failure: stop destroys the connection's pool. */
    apr_thread_mutex_lock(srv->lock);
    APR_ARRAY_PUSH(srv->conns, loopback_conn_t *) = conn;
    apr_thread_mutex_unlock(srv->lock);
    return rv;
}

static void *APR_THREAD_FUNC loopback_accept_main(apr_thread_t *thread, void *data)
{
    sap_test_loopback_t *srv = data;
    apr_pool_t *conn_pool = NULL;
    apr_pollfd_t listening;
    apr_socket_t *sock;
    apr_int32_t ready;
    apr_status_t rv;

    memset(&listening, 0, sizeof(listening));
    listening.desc_type = APR_POLL_SOCKET;
    listening.reqevents = APR_POLLIN;
    listening.desc.s = srv->listener;
    while (!loopback_stopping(srv)) {
        /* Each connection gets a pool of its own (with its own allocator):
         * its thread allocates without any lock. */
        if (!conn_pool && apr_pool_create_unmanaged_ex(&conn_pool, NULL, NULL) != APR_SUCCESS) {
            break;
        }
        /* apr_socket_accept does not wait on a non-blocking listener: poll
         * for one tick, then look at the stop flag again. */
        rv = apr_poll(&listening, 1, &ready, LOOPBACK_TICK);
        if (rv != APR_SUCCESS || ready < 1) {
            continue;
        }
        rv = apr_socket_accept(&sock, srv->listener, conn_pool);
        if (rv != APR_SUCCESS) {
            continue;
        }
        loopback_conn_start(srv, conn_pool, sock);
        conn_pool = NULL;
    }
    if (conn_pool) {
        apr_pool_destroy(conn_pool);
    }
    return NULL;
}

static apr_status_t loopback_listen(sap_test_loopback_t *srv)
{
    apr_sockaddr_t *addr, *bound;
    apr_status_t rv;

    rv = apr_sockaddr_info_get(&addr, "127.0.0.1", APR_INET, 0, 0, srv->pool);
    if (rv == APR_SUCCESS) {
        rv = apr_socket_create(&srv->listener, APR_INET, SOCK_STREAM, APR_PROTO_TCP, srv->pool);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_opt_set(srv->listener, APR_SO_REUSEADDR, 1);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_bind(srv->listener, addr);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_listen(srv->listener, 128);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_addr_get(&bound, APR_LOCAL, srv->listener);
    }
    if (rv == APR_SUCCESS) {
        srv->port = bound->port;
        rv = apr_socket_timeout_set(srv->listener, LOOPBACK_TICK);
    }
    return rv;
}

static apr_status_t loopback_start(sap_test_loopback_t **psrv, loopback_kind_t kind,
                                   const void *replies, apr_size_t reply_size, int nreplies)
{
    apr_pool_t *pool = NULL;
    sap_test_loopback_t *srv;
    apr_status_t rv;

    if (nreplies < 1) {
        return APR_EINVAL;
    }
    signal(SIGPIPE, SIG_IGN);
    rv = apr_pool_create(&pool, NULL);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    srv = apr_pcalloc(pool, sizeof(*srv));
    srv->pool = pool;
    srv->kind = kind;
    srv->nreplies = nreplies;
    srv->http_replies = kind == LOOPBACK_HTTP ? apr_pmemdup(pool, replies, reply_size * nreplies) : NULL;
    srv->smtp_replies = kind == LOOPBACK_SMTP ? apr_pmemdup(pool, replies, reply_size * nreplies) : NULL;
    srv->records = apr_array_make(pool, 16, sizeof(void *));
    srv->conns = apr_array_make(pool, 16, sizeof(loopback_conn_t *));
    rv = apr_thread_mutex_create(&srv->lock, APR_THREAD_MUTEX_DEFAULT, pool);
    if (rv == APR_SUCCESS) {
        rv = loopback_listen(srv);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_thread_create(&srv->acceptor, NULL, loopback_accept_main, srv, pool);
    }
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(pool);
        return rv;
    }
    *psrv = srv;
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------- public */

apr_status_t sap_test_loopback_start_http(sap_test_loopback_t **psrv,
                                          const sap_test_http_reply_t *replies, int nreplies)
{
    return loopback_start(psrv, LOOPBACK_HTTP, replies, sizeof(*replies), nreplies);
}

apr_status_t sap_test_loopback_start_smtp(sap_test_loopback_t **psrv,
                                          const sap_test_smtp_reply_t *replies, int nreplies)
{
    return loopback_start(psrv, LOOPBACK_SMTP, replies, sizeof(*replies), nreplies);
}

void sap_test_loopback_stop(sap_test_loopback_t *srv)
{
    apr_status_t thread_rv;
    loopback_conn_t *conn;
    int index;

    if (!srv) {
        return;
    }
    apr_atomic_set32(&srv->stopping, 1);
    apr_thread_join(&thread_rv, srv->acceptor);
    /* The acceptor is gone: conns no longer grows. */
    for (index = 0; index < srv->conns->nelts; index++) {
        conn = APR_ARRAY_IDX(srv->conns, index, loopback_conn_t *);
        if (conn->thread) {
            apr_thread_join(&thread_rv, conn->thread);
        }
        apr_pool_destroy(conn->pool);
    }
    apr_socket_close(srv->listener);
    apr_pool_destroy(srv->pool);
}

apr_port_t sap_test_loopback_port(const sap_test_loopback_t *srv)
{
    return srv->port;
}

const char *sap_test_loopback_url(const sap_test_loopback_t *srv, apr_pool_t *pool,
                                  const char *scheme, const char *path)
{
    return apr_psprintf(pool, "%s://127.0.0.1:%u%s", scheme, (unsigned)srv->port, path ? path : "");
}

int sap_test_loopback_connections(sap_test_loopback_t *srv)
{
    int count;

    apr_thread_mutex_lock(srv->lock);
    count = srv->conns->nelts;
    apr_thread_mutex_unlock(srv->lock);
    return count;
}

int sap_test_loopback_count(sap_test_loopback_t *srv)
{
    int count;

    apr_thread_mutex_lock(srv->lock);
    count = srv->records->nelts;
    apr_thread_mutex_unlock(srv->lock);
    return count;
}

static const void *loopback_record(sap_test_loopback_t *srv, loopback_kind_t kind, int index)
{
    const void *record = NULL;

    apr_thread_mutex_lock(srv->lock);
    if (srv->kind == kind && index >= 0 && index < srv->records->nelts) {
        record = APR_ARRAY_IDX(srv->records, index, const void *);
    }
    apr_thread_mutex_unlock(srv->lock);
    return record;
}

const sap_test_http_request_t *sap_test_loopback_http_request(sap_test_loopback_t *srv, int index)
{
    return loopback_record(srv, LOOPBACK_HTTP, index);
}

const sap_test_smtp_message_t *sap_test_loopback_smtp_message(sap_test_loopback_t *srv, int index)
{
    return loopback_record(srv, LOOPBACK_SMTP, index);
}

apr_status_t sap_test_loopback_closed_port(apr_port_t *pport)
{
    apr_pool_t *pool = NULL;
    apr_sockaddr_t *addr, *bound;
    apr_socket_t *sock = NULL;
    apr_status_t rv;

    rv = apr_pool_create(&pool, NULL);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_sockaddr_info_get(&addr, "127.0.0.1", APR_INET, 0, 0, pool);
    if (rv == APR_SUCCESS) {
        rv = apr_socket_create(&sock, APR_INET, SOCK_STREAM, APR_PROTO_TCP, pool);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_bind(sock, addr);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_addr_get(&bound, APR_LOCAL, sock);
    }
    if (rv == APR_SUCCESS) {
        *pport = bound->port;
    }
    apr_pool_destroy(pool);   /* closes the socket: the port is free again */
    return rv;
}

/* Opens a connection to addr without waiting for it to complete. */
static apr_status_t loopback_connect_pending(apr_pool_t *pool, apr_sockaddr_t *addr)
{
    apr_socket_t *sock;
    apr_status_t rv;

    rv = apr_socket_create(&sock, APR_INET, SOCK_STREAM, APR_PROTO_TCP, pool);
    if (rv == APR_SUCCESS) {
        rv = apr_socket_timeout_set(sock, 0);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_connect(sock, addr);
    }
    return APR_STATUS_IS_EINPROGRESS(rv) ? APR_SUCCESS : rv;
}

apr_status_t sap_test_loopback_blackhole(apr_pool_t *pool, apr_port_t *pport)
{
    apr_sockaddr_t *addr, *bound;
    apr_socket_t *listener;
    apr_status_t rv;
    int filler;

    rv = apr_sockaddr_info_get(&addr, "127.0.0.1", APR_INET, 0, 0, pool);
    if (rv == APR_SUCCESS) {
        rv = apr_socket_create(&listener, APR_INET, SOCK_STREAM, APR_PROTO_TCP, pool);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_bind(listener, addr);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_listen(listener, 0);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_socket_addr_get(&bound, APR_LOCAL, listener);
    }
    /* Never accepted: these fill the queue (one would do; three for margin). */
    for (filler = 0; rv == APR_SUCCESS && filler < 3; filler++) {
        rv = loopback_connect_pending(pool, bound);
    }
    if (rv == APR_SUCCESS) {
        apr_sleep(apr_time_from_msec(100));   /* let the handshakes settle */
        *pport = bound->port;
    }
    return rv;
}
