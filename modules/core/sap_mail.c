/* The email fallback over SMTP: builds an RFC 5322 plain-text message and
 * hands it to the relay with libcurl, through the pooled handles and the
 * retry policy of sap_http.c. */
#include <string.h>

#include <apr_base64.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "sap_log.h"
#include "sap_mail.h"

#define SAP_MAIL_LINE_MAX    998    /* RFC 5322 2.1.1, octets without the CRLF */
#define SAP_MAIL_MAILBOX_MAX 900    /* "To: " + one mailbox must fit one line */
/* 39 bytes give 52 base64 characters, a word of "=?UTF-8?B?" + 52 + "?=" = 64
 * (RFC 2047 2 allows 75): "Subject: " and the first word fit in 78 columns. */
#define SAP_MAIL_WORD_BYTES  39
#define SAP_MAIL_BASE64_LINE 76     /* RFC 2045 6.8 */
#define SAP_MAIL_REPLY_MAX   512

/* What sap_mail_send needs: the envelope and the finished message. */
typedef struct mail_prepared_t {
    const char *from_address;
    apr_array_header_t *to_addresses;   /* const char * */
    const char *message;
    apr_size_t message_len;
} mail_prepared_t;

typedef struct mail_upload_t {
    const char *data;
    apr_size_t len, sent;
} mail_upload_t;

/* The relay's last reply line, for the error message. */
typedef struct mail_reply_t {
    char line[SAP_MAIL_REPLY_MAX];
} mail_reply_t;

/* ---------------------------------------------------------------- checks and encodings */

/* Any control character (CR and LF above all) could start a new header line. */
static int mail_has_control(const char *text)
{
    for (; *text; text++) {
        if ((unsigned char)*text < 0x20 || *text == 0x7f) {
            return 1;
        }
    }
    return 0;
}

static int mail_plain_ascii(const char *text)
{
    for (; *text; text++) {
        if ((unsigned char)*text < 0x20 || (unsigned char)*text > 0x7e) {
            return 0;
        }
    }
    return 1;
}

static const char *mail_trim(apr_pool_t *pool, const char *start, const char *end)
{
    while (start < end && (*start == ' ' || *start == '\t')) {
        start++;
    }
    while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    return apr_pstrmemdup(pool, start, end - start);
}

/* Splits "addr" or "Display Name <addr>" into the addr-spec the envelope
 * needs and the display name ("" when none). Refuses control characters,
 * 8-bit addresses (no SMTPUTF8 here) and anything that is not one mailbox. */
static apr_status_t mail_mailbox_parse(apr_pool_t *pool, const char *mailbox,
                                       const char **paddress, const char **pname)
{
    const char *open, *close, *address, *name = "";

    if (!mailbox || mail_has_control(mailbox) || strlen(mailbox) > SAP_MAIL_MAILBOX_MAX) {
        return APR_EINVAL;
    }
    open = strchr(mailbox, '<');
    if (open) {
        close = strchr(open, '>');
        if (!close || *mail_trim(pool, close + 1, close + strlen(close))) {
            return APR_EINVAL;
        }
        address = mail_trim(pool, open + 1, close);
        name = mail_trim(pool, mailbox, open);
    }
    else {
        address = mail_trim(pool, mailbox, mailbox + strlen(mailbox));
    }
    if (!*address || !strchr(address, '@') || strpbrk(address, " \t<>(),;:\"\\")
        || !mail_plain_ascii(address)) {
        return APR_EINVAL;
    }
    *paddress = address;
    *pname = name;
    return APR_SUCCESS;
}

static const char *mail_words_encode(apr_pool_t *pool, const char *text)
{
    apr_size_t len = strlen(text), at = 0, chunk;
    const char *folded = "";
    char *encoded;

    while (at < len) {
        chunk = len - at > SAP_MAIL_WORD_BYTES ? SAP_MAIL_WORD_BYTES : len - at;
        /* Each word must decode on its own: never cut a UTF-8 sequence, so
         * back off while the next byte is a continuation byte (10xxxxxx). */
        while (at + chunk < len && chunk > 1 && ((unsigned char)text[at + chunk] & 0xC0) == 0x80) {
            chunk--;
        }
        encoded = apr_palloc(pool, apr_base64_encode_len((int)chunk));
        apr_base64_encode(encoded, text + at, (int)chunk);
        folded = apr_pstrcat(pool, folded, *folded ? "\r\n " : "", "=?UTF-8?B?", encoded, "?=", NULL);
        at += chunk;
    }
    return folded;
}

const char *sap_mail_subject_encode(apr_pool_t *pool, const char *subject)
{
    if (!subject) {
        return "";
    }
    /* Plain ASCII goes as is, unless it could be mistaken for an encoded
     * word or would not fit on one header line. */
    if (mail_plain_ascii(subject) && !strstr(subject, "=?") && strlen(subject) <= SAP_MAIL_MAILBOX_MAX) {
        return subject;
    }
    return mail_words_encode(pool, subject);
}

/* A display name as a header phrase: encoded when not ASCII, quoted when
 * it holds specials (RFC 5322 3.2.3), so "Doe, Jo" stays one mailbox. */
static const char *mail_display_name(apr_pool_t *pool, const char *name)
{
    char *quoted, *out;

    if (!mail_plain_ascii(name)) {
        return mail_words_encode(pool, name);
    }
    if (name[0] == '"' || !strpbrk(name, "()<>[]:;@\\,.\"")) {
        return name;
    }
    out = quoted = apr_palloc(pool, 2 * strlen(name) + 3);
    *out++ = '"';
    for (; *name; name++) {
        if (*name == '"' || *name == '\\') {
            *out++ = '\\';
        }
        *out++ = *name;
    }
    *out++ = '"';
    *out = '\0';
    return quoted;
}

/* The mailbox as a header value. */
static const char *mail_mailbox_header(apr_pool_t *pool, const char *address, const char *name)
{
    if (!*name) {
        return address;
    }
    return apr_pstrcat(pool, mail_display_name(pool, name), " <", address, ">", NULL);
}

/* CRLF line endings throughout (lone CR or LF become CRLF), a final CRLF
 * after a last unterminated line; *plongest gets the longest line. */
static char *mail_body_crlf(apr_pool_t *pool, const char *text, apr_size_t *plen,
                            apr_size_t *plongest)
{
    apr_size_t len = strlen(text), out = 0, line = 0, longest = 0, at;
    char *body = apr_palloc(pool, 2 * len + 3);

    for (at = 0; at < len; at++) {
        if (text[at] != '\r' && text[at] != '\n') {
            body[out++] = text[at];
            line++;
            continue;
        }
        if (text[at] == '\r' && text[at + 1] == '\n') {
            at++;
        }
        body[out++] = '\r';
        body[out++] = '\n';
        longest = line > longest ? line : longest;
        line = 0;
    }
    if (line > 0) {
        body[out++] = '\r';
        body[out++] = '\n';
        longest = line > longest ? line : longest;
    }
    body[out] = '\0';
    *plen = out;
    *plongest = longest;
    return body;
}

/* Base64 in lines of 76, for bodies with lines too long for 8bit. */
static const char *mail_body_base64(apr_pool_t *pool, const char *body, apr_size_t len)
{
    char *encoded = apr_palloc(pool, apr_base64_encode_len((int)len));
    apr_size_t encoded_len = apr_base64_encode(encoded, body, (int)len) - 1;   /* without NUL */
    char *wrapped = apr_palloc(pool, encoded_len + 2 * (encoded_len / SAP_MAIL_BASE64_LINE + 1) + 1);
    apr_size_t at, out = 0, take;

    for (at = 0; at < encoded_len; at += take) {
        take = encoded_len - at < SAP_MAIL_BASE64_LINE ? encoded_len - at : SAP_MAIL_BASE64_LINE;
        memcpy(wrapped + out, encoded + at, take);
        out += take;
        wrapped[out++] = '\r';
        wrapped[out++] = '\n';
    }
    wrapped[out] = '\0';
    return wrapped;
}

static apr_status_t mail_date(apr_pool_t *pool, apr_time_t now, const char **pdate)
{
    apr_time_exp_t tm;
    apr_status_t rv = apr_time_exp_gmt(&tm, now);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *pdate = apr_psprintf(pool, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                          apr_day_snames[tm.tm_wday], tm.tm_mday, apr_month_snames[tm.tm_mon],
                          tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return APR_SUCCESS;
}

static apr_status_t mail_message_id(apr_pool_t *pool, const char *from_address, const char **pid)
{
    unsigned char random[16];
    char hex[2 * sizeof(random) + 1];
    apr_size_t at;
    apr_status_t rv = apr_generate_random_bytes(random, sizeof(random));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    for (at = 0; at < sizeof(random); at++) {
        apr_snprintf(hex + 2 * at, 3, "%02x", random[at]);
    }
    /* The sender's domain keeps the id unique to this sender (RFC 5322 3.6.4). */
    *pid = apr_psprintf(pool, "<%s@%s>", hex, strrchr(from_address, '@') + 1);
    return APR_SUCCESS;
}

/* ---------------------------------------------------------------- message */

/* Every recipient's address for the envelope, every mailbox for To:. */
static apr_status_t mail_recipients(apr_pool_t *pool, const apr_array_header_t *to,
                                    apr_array_header_t **paddresses, const char **pto_header)
{
    apr_array_header_t *addresses;
    const char *to_header = "", *address, *name;
    apr_status_t rv;
    int index;

    if (!to || to->nelts < 1) {
        return APR_EINVAL;
    }
    addresses = apr_array_make(pool, to->nelts, sizeof(const char *));
    for (index = 0; index < to->nelts; index++) {
        rv = mail_mailbox_parse(pool, APR_ARRAY_IDX(to, index, const char *), &address, &name);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        APR_ARRAY_PUSH(addresses, const char *) = address;
        /* One mailbox per line keeps every line short whatever the count. */
        to_header = apr_pstrcat(pool, to_header, index ? ",\r\n " : "",
                                mail_mailbox_header(pool, address, name), NULL);
    }
    *paddresses = addresses;
    *pto_header = to_header;
    return APR_SUCCESS;
}

static apr_status_t mail_headers(apr_pool_t *pool, const sap_mail_t *mail, const char *from_header,
                                 const char *from_address, const char *to_header,
                                 const char *transfer_encoding, const char **pheaders)
{
    const char *date, *message_id;
    apr_status_t rv;

    rv = mail_date(pool, apr_time_now(), &date);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = mail_message_id(pool, from_address, &message_id);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *pheaders = apr_pstrcat(pool,
                            "Date: ", date, "\r\n",
                            "From: ", from_header, "\r\n",
                            "To: ", to_header, "\r\n",
                            "Subject: ", sap_mail_subject_encode(pool, mail->subject), "\r\n",
                            "Message-ID: ", message_id, "\r\n",
                            "MIME-Version: 1.0\r\n",
                            "Content-Type: text/plain; charset=utf-8\r\n",
                            "Content-Transfer-Encoding: ", transfer_encoding, "\r\n",
                            /* RFC 3834: vacation responders must not answer it. */
                            "Auto-Submitted: auto-generated\r\n",
                            "\r\n", NULL);
    return APR_SUCCESS;
}

static apr_status_t mail_prepare(apr_pool_t *pool, const sap_mail_t *mail,
                                 mail_prepared_t *prepared, const char **perror)
{
    const char *from_name, *to_header, *headers, *body;
    apr_size_t body_len, longest;
    apr_status_t rv;

    if (!mail || mail_mailbox_parse(pool, mail->from, &prepared->from_address, &from_name) != APR_SUCCESS) {
        *perror = "invalid sender address";
        return APR_EINVAL;
    }
    if (mail_recipients(pool, mail->to, &prepared->to_addresses, &to_header) != APR_SUCCESS) {
        *perror = "no recipient, or an invalid recipient address";
        return APR_EINVAL;
    }
    if (mail->subject && strpbrk(mail->subject, "\r\n")) {
        *perror = "line break in the subject";
        return APR_EINVAL;
    }
    body = mail_body_crlf(pool, mail->text_body ? mail->text_body : "", &body_len, &longest);
    rv = mail_headers(pool, mail, mail_mailbox_header(pool, prepared->from_address, from_name),
                      prepared->from_address, to_header,
                      longest > SAP_MAIL_LINE_MAX ? "base64" : "8bit", &headers);
    if (rv != APR_SUCCESS) {
        *perror = "cannot build the message headers";
        return rv;
    }
    if (longest > SAP_MAIL_LINE_MAX) {
        body = mail_body_base64(pool, body, body_len);
    }
    prepared->message = apr_pstrcat(pool, headers, body, NULL);
    prepared->message_len = strlen(prepared->message);
    return APR_SUCCESS;
}

apr_status_t sap_mail_message_build(apr_pool_t *pool, const sap_mail_t *mail,
                                    const char **pmessage, apr_size_t *plen,
                                    const char **perror)
{
    mail_prepared_t prepared;
    const char *error = NULL;
    apr_status_t rv = mail_prepare(pool, mail, &prepared, &error);

    if (perror) {
        *perror = error;
    }
    if (rv == APR_SUCCESS) {
        *pmessage = prepared.message;
        *plen = prepared.message_len;
    }
    return rv;
}

/* ---------------------------------------------------------------- transfer */

static size_t mail_read_cb(char *buffer, size_t size, size_t nitems, void *baton)
{
    mail_upload_t *upload = baton;
    apr_size_t room = size * nitems, left = upload->len - upload->sent;
    apr_size_t take = left < room ? left : room;

    memcpy(buffer, upload->data + upload->sent, take);
    upload->sent += take;
    return take;
}

/* libcurl hands every SMTP reply line to the header callback; keep the
 * last negative one (4xx, 5xx), made printable, for the error message.
 * Only negative ones: after a failure curl still says QUIT, and "221 Bye"
 * would hide the reason. */
static size_t mail_reply_cb(char *data, size_t size, size_t nitems, void *baton)
{
    mail_reply_t *reply = baton;
    apr_size_t len = size * nitems, at, out = 0;

    if (len == 0 || (data[0] != '4' && data[0] != '5')) {
        return len;
    }
    for (at = 0; at < len && out + 1 < sizeof(reply->line); at++) {
        if (data[at] == '\r' || data[at] == '\n') {
            break;
        }
        reply->line[out++] = apr_isprint(data[at]) ? data[at] : '?';
    }
    reply->line[out] = '\0';
    return len;
}

static apr_status_t mail_rcpt_list(apr_pool_t *pool, const apr_array_header_t *addresses,
                                   struct curl_slist **plist)
{
    struct curl_slist *grown;
    int index;

    for (index = 0; index < addresses->nelts; index++) {
        grown = curl_slist_append(*plist, apr_pstrcat(pool, "<", APR_ARRAY_IDX(addresses, index, const char *),
                                                      ">", NULL));
        if (!grown) {
            return APR_ENOMEM;
        }
        *plist = grown;
    }
    return APR_SUCCESS;
}

static apr_status_t mail_transfer_setup(CURL *curl, apr_pool_t *pool, const char *relay_url,
                                        int implicit_tls, const mail_prepared_t *prepared,
                                        struct curl_slist *rcpts, mail_upload_t *upload,
                                        mail_reply_t *reply, volatile const int *cancel)
{
    CURLcode code;

    code = curl_easy_setopt(curl, CURLOPT_URL, relay_url);
    if (!code) code = sap_http_handle_cancellable(curl, cancel);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_MAIL_FROM,
                                       apr_pstrcat(pool, "<", prepared->from_address, ">", NULL));
    if (!code) code = curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_READFUNCTION, mail_read_cb);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_READDATA, upload);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)upload->len);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, mail_reply_cb);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_HEADERDATA, reply);
    if (!code) code = curl_easy_setopt(curl, CURLOPT_USE_SSL,
                                       (long)(implicit_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    /* smtp:// is opportunistic TLS (RFC 7435), like an MTA's
     * "smtp_tls_security_level = may": encrypt when the relay offers
     * STARTTLS, without insisting on a certificate the relay may not have
     * (Debian's Postfix offers STARTTLS with its self-signed snakeoil
     * certificate). Verifying would buy nothing, since the plain fallback
     * is accepted anyway; smtps:// keeps full verification. */
    if (!code && !implicit_tls) code = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    if (!code && !implicit_tls) code = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    if (code != CURLE_OK) {
        sap_log_write(SAP_LOG_MARK, SAP_LOG_ERR, APR_EGENERAL,
                      "curl SMTP setup failed: %s", curl_easy_strerror(code));
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static apr_status_t mail_outcome(CURL *curl, CURLcode code, const char *errbuf,
                                 const mail_reply_t *reply, apr_pool_t *pool,
                                 const char **perror, int *pretryable)
{
    long smtp_code = 0;

    *pretryable = 0;
    if (code == CURLE_OK) {
        return APR_SUCCESS;
    }
    if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &smtp_code) != CURLE_OK) {
        smtp_code = 0;
    }
    if (smtp_code >= 400 && smtp_code <= 599) {
        *perror = apr_psprintf(pool, "%s (%s)", errbuf[0] ? errbuf : curl_easy_strerror(code),
                               reply->line[0] ? reply->line : "no reply text");
        /* 4xx is the relay saying "not now": nothing was accepted, so a
         * retry cannot deliver twice. 5xx is final (RFC 5321 4.2.1). */
        *pretryable = smtp_code < 500;
        return smtp_code < 500 ? APR_EAGAIN : APR_EGENERAL;
    }
    return sap_http_transport_status(curl, code, errbuf, pool, perror, pretryable);
}

static apr_status_t mail_attempt(sap_http_client_t *client, apr_pool_t *pool, const char *relay_url,
                                 int implicit_tls, const mail_prepared_t *prepared,
                                 struct curl_slist *rcpts, volatile const int *cancel,
                                 const char **perror, int *pretryable)
{
    char errbuf[CURL_ERROR_SIZE];
    mail_upload_t upload = { prepared->message, prepared->message_len, 0 };
    mail_reply_t reply;
    CURL *curl = NULL;
    CURLcode code;
    apr_status_t rv;

    *pretryable = 0;
    reply.line[0] = '\0';
    rv = sap_http_handle_acquire(client, &curl);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = sap_http_handle_prepare(curl, sap_http_client_policy(client), "smtp,smtps", errbuf);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = mail_transfer_setup(curl, pool, relay_url, implicit_tls, prepared, rcpts, &upload, &reply,
                             cancel);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    code = curl_easy_perform(curl);
    rv = mail_outcome(curl, code, errbuf, &reply, pool, perror, pretryable);
leave:
    if (rv != APR_SUCCESS && !*perror) {
        *perror = "SMTP client setup failed";
    }
    sap_http_handle_release(client, curl);
    return rv;
}

apr_status_t sap_mail_send(sap_http_client_t *client, apr_pool_t *pool, const char *relay_url,
                           const sap_mail_t *mail, const char **perror)
{
    struct curl_slist *rcpts = NULL;
    const char *log_url = NULL, *scheme = NULL, *error = NULL;
    mail_prepared_t prepared;
    apr_time_t started;
    int attempt = 0, retryable = 0;
    apr_status_t rv = APR_EINVAL;

    if (!client || !pool) {
        error = "no client";
        goto leave;
    }
    /* smtp:// needs no SlackApprovalsAllowInsecureHTTP: a relay on the
     * local host or network on port 25 without TLS is the normal setup. */
    rv = sap_http_url_check(pool, relay_url, "smtp,smtps", &log_url, &scheme, &error);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = mail_prepare(pool, mail, &prepared, &error);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = mail_rcpt_list(pool, prepared.to_addresses, &rcpts);
    if (rv != APR_SUCCESS) {
        error = "out of memory";
        goto leave;
    }
    for (;;) {
        attempt++;
        error = NULL;
        started = apr_time_now();
        rv = mail_attempt(client, pool, relay_url, strcmp(scheme, "smtps") == 0, &prepared, rcpts,
                          mail->cancel, &error, &retryable);
        /* Never the message or its headers: where it went, how long, what failed. */
        sap_log_write(SAP_LOG_MARK, SAP_LOG_DEBUG, rv, "SMTP %s: attempt %d, %" APR_TIME_T_FMT " ms%s%s",
                      log_url, attempt, apr_time_as_msec(apr_time_now() - started),
                      error ? ", " : "", error ? error : "");
        if (!retryable || attempt > sap_http_client_policy(client)->max_retries
            || sap_http_wait(mail->cancel,
                             sap_http_retry_delay(sap_http_client_policy(client), attempt, NULL))) {
            break;
        }
    }
leave:
    curl_slist_free_all(rcpts);
    if (perror) {
        *perror = rv == APR_SUCCESS ? NULL : error;
    }
    return rv;
}
