/* The email fallback: one plain-text message through an SMTP relay, sent
 * with the outbound client of sap_http.h (same handle pool, timeouts and
 * retry policy). */
#ifndef SAP_MAIL_H
#define SAP_MAIL_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "sap_http.h"

typedef struct sap_mail_t {
    const char *from;           /* "addr@example.com" or "Display Name <addr@example.com>" */
    apr_array_header_t *to;     /* const char *, same forms; at least one */
    const char *subject;        /* UTF-8; RFC 2047-encoded when not plain ASCII */
    const char *text_body;      /* UTF-8; any line ending, sent as CRLF */
    volatile const int *cancel; /* may be NULL; as sap_http_request_t.cancel */
} sap_mail_t;

/* Sends mail through relay_url ("smtp://host:port": STARTTLS when the relay
 * offers it; "smtps://host:port": TLS from the start, certificate verified).
 * Returns APR_SUCCESS once the relay accepted the message, else:
 *  APR_EINVAL     bad relay URL, address or a CR/LF in from/to/subject
 *                 (header injection): nothing was sent;
 *  APR_EAGAIN     the relay still answered 4xx (temporary) after the retries;
 *  APR_EGENERAL   the relay answered 5xx (permanent: not retried) or another failure;
 *  APR_TIMEUP, APR_ECONNREFUSED, APR_EHOSTUNREACH, APR_ETIMEDOUT as for
 *                 sap_http_perform.
 * *perror (may be NULL) gets the reason on failure, with the relay's own
 * reply line when there is one, e.g. "RCPT failed: 550 (550 5.1.1 <x@y>: no such user)". */
apr_status_t sap_mail_send(sap_http_client_t *client, apr_pool_t *pool, const char *relay_url,
                           const sap_mail_t *mail, const char **perror);

/* The RFC 5322 message sap_mail_send transmits (headers, blank line, body;
 * CRLF line endings). APR_EINVAL with *perror for unusable input. */
apr_status_t sap_mail_message_build(apr_pool_t *pool, const sap_mail_t *mail,
                                    const char **pmessage, apr_size_t *plen,
                                    const char **perror);

/* The Subject header's value: as is when plain printable ASCII, else RFC
 * 2047 "=?UTF-8?B?…?=" words of at most 75 characters, folded, never
 * splitting a UTF-8 sequence between two words. */
const char *sap_mail_subject_encode(apr_pool_t *pool, const char *subject);

#endif
