/* Unit tests of the email fallback (modules/core/sap_mail.c) against the
 * scripted SMTP responder of helper_loopback.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <apr_base64.h>
#include <apr_date.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "helper_fixtures.h"
#include "sap_http.h"
#include "sap_mail.h"

/* ---------------------------------------------------------------- fixtures */

/* The default policy except fast retries; note allow_insecure stays 0:
 * smtp:// must not need it. */
static sap_http_client_t *make_client(apr_pool_t *pool)
{
    sap_http_client_t *client = NULL;
    sap_http_policy_t policy;

    sap_http_policy_defaults(&policy);
    policy.backoff_initial = apr_time_from_msec(10);
    assert_int_equal(sap_http_client_create(&client, pool, &policy, 2), APR_SUCCESS);
    return client;
}

static sap_mail_t *make_mail(apr_pool_t *pool, const char *subject, const char *body)
{
    sap_mail_t *mail = apr_pcalloc(pool, sizeof(*mail));

    mail->from = "Approvals <approvals@example.com>";
    mail->to = apr_array_make(pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(mail->to, const char *) = "cy@example.com";
    APR_ARRAY_PUSH(mail->to, const char *) = "Di Example <di@example.org>";
    mail->subject = subject;
    mail->text_body = body;
    return mail;
}

/* The value of header `name` (unfolded: CRLF + blank removed), or NULL. */
static const char *header_value(apr_pool_t *pool, const char *message, const char *name)
{
    const char *head_end = strstr(message, "\r\n\r\n");
    const char *line = message, *end;
    char *value;
    apr_size_t name_len = strlen(name);

    assert_non_null(head_end);
    while (line < head_end + 2) {
        end = strstr(line, "\r\n");
        while (end && (end[2] == ' ' || end[2] == '\t')) {
            end = strstr(end + 2, "\r\n");
        }
        if (strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
            value = apr_pstrmemdup(pool, line + name_len + 1, end - line - name_len - 1);
            while (*value == ' ') {
                value++;
            }
            return value;
        }
        line = end + 2;
    }
    return NULL;
}

static int only_crlf_line_endings(const char *data, apr_size_t len)
{
    apr_size_t at;

    for (at = 0; at < len; at++) {
        if ((data[at] == '\n' && (at == 0 || data[at - 1] != '\r'))
            || (data[at] == '\r' && (at + 1 == len || data[at + 1] != '\n'))) {
            return 0;
        }
    }
    return 1;
}

static int valid_utf8(const unsigned char *text, apr_size_t len)
{
    apr_size_t at = 0, follow, index;

    while (at < len) {
        follow = text[at] < 0x80 ? 0 : (text[at] & 0xE0) == 0xC0 ? 1
                 : (text[at] & 0xF0) == 0xE0 ? 2 : (text[at] & 0xF8) == 0xF0 ? 3 : 99;
        if (follow == 99 || at + follow >= len + (follow ? 0 : 1)) {
            return 0;
        }
        for (index = 1; index <= follow; index++) {
            if ((text[at + index] & 0xC0) != 0x80) {
                return 0;
            }
        }
        at += follow + 1;
    }
    return 1;
}

static apr_size_t longest_line(const char *text)
{
    apr_size_t longest = 0, len;
    const char *end;

    for (;;) {
        end = strstr(text, "\r\n");
        len = end ? (apr_size_t)(end - text) : strlen(text);
        longest = len > longest ? len : longest;
        if (!end) {
            return longest;
        }
        text = end + 2;
    }
}

/* Decodes a folded run of "=?UTF-8?B?...?=" words, checking each word's
 * length and that each decodes to complete UTF-8 on its own. */
static const char *decode_words(apr_pool_t *pool, const char *folded_raw)
{
    char *copy = apr_pstrdup(pool, folded_raw), *state = NULL, *word;
    const char *decoded = "";

    for (word = apr_strtok(copy, " \r\n\t", &state); word; word = apr_strtok(NULL, " \r\n\t", &state)) {
        apr_size_t len = strlen(word);
        char *payload, *plain;
        int plain_len;

        assert_true(len <= 75);
        assert_true(strncmp(word, "=?UTF-8?B?", 10) == 0);
        assert_true(len >= 12 && strcmp(word + len - 2, "?=") == 0);
        payload = apr_pstrmemdup(pool, word + 10, len - 12);
        plain = apr_palloc(pool, apr_base64_decode_len(payload) + 1);
        plain_len = apr_base64_decode(plain, payload);
        plain[plain_len] = '\0';
        assert_true(valid_utf8((const unsigned char *)plain, plain_len));
        decoded = apr_pstrcat(pool, decoded, plain, NULL);
    }
    return decoded;
}

/* The raw (folded) Subject value of a message. */
static const char *subject_raw(apr_pool_t *pool, const char *message)
{
    const char *start = strstr(message, "\r\nSubject: "), *end;

    assert_non_null(start);
    start += strlen("\r\nSubject: ");
    end = strstr(start, "\r\n");
    while (end[2] == ' ') {
        end = strstr(end + 2, "\r\n");
    }
    return apr_pstrmemdup(pool, start, end - start);
}

/* Joins base64 lines (drops CR and LF) and decodes them. */
static char *base64_lines_decode(apr_pool_t *pool, const char *encoded, int *plen)
{
    char *joined = apr_pstrdup(pool, encoded), *out = joined, *decoded;
    const char *in;

    for (in = encoded; *in; in++) {
        if (*in != '\r' && *in != '\n') {
            *out++ = *in;
        }
    }
    *out = '\0';
    decoded = apr_palloc(pool, apr_base64_decode_len(joined) + 1);
    *plen = apr_base64_decode(decoded, joined);
    decoded[*plen] = '\0';
    return decoded;
}

/* ---------------------------------------------------------------- delivery */

static void test_message_delivered(void **state)
{
    static const sap_test_smtp_reply_t replies[] = { { NULL, NULL, NULL } };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_smtp(pool, replies, 1);
    sap_http_client_t *client = make_client(pool);
    sap_mail_t *mail = make_mail(pool, "Approval needed: FIN-12 Q3 budget",
                                 "Hello Cy,\nplease review FIN-12.\n.leading dot\n..two dots\n.\nbye");
    const sap_test_smtp_message_t *seen;
    const char *error = "unset", *date, *message_id, *body;
    apr_time_t sent;

    assert_int_equal(sap_mail_send(client, pool, sap_test_loopback_url(srv, pool, "smtp", ""),
                                   mail, &error), APR_SUCCESS);
    assert_null(error);
    assert_int_equal(sap_test_loopback_count(srv), 1);
    seen = sap_test_loopback_smtp_message(srv, 0);
    assert_string_equal(seen->mail_from, "<approvals@example.com>");
    assert_int_equal(seen->rcpt_to->nelts, 2);
    assert_string_equal(APR_ARRAY_IDX(seen->rcpt_to, 0, const char *), "<cy@example.com>");
    assert_string_equal(APR_ARRAY_IDX(seen->rcpt_to, 1, const char *), "<di@example.org>");
    assert_true(seen->accepted);
    assert_non_null(seen->data);
    assert_true(only_crlf_line_endings(seen->data, seen->data_len));

    assert_string_equal(header_value(pool, seen->data, "From"), "Approvals <approvals@example.com>");
    assert_non_null(strstr(seen->data, "\r\nTo: cy@example.com,\r\n Di Example <di@example.org>\r\n"));
    assert_string_equal(header_value(pool, seen->data, "Subject"), "Approval needed: FIN-12 Q3 budget");
    assert_string_equal(header_value(pool, seen->data, "MIME-Version"), "1.0");
    assert_string_equal(header_value(pool, seen->data, "Content-Type"), "text/plain; charset=utf-8");
    assert_string_equal(header_value(pool, seen->data, "Content-Transfer-Encoding"), "8bit");
    date = header_value(pool, seen->data, "Date");
    assert_non_null(date);
    sent = apr_date_parse_rfc(date);
    assert_true(sent != APR_DATE_BAD);
    assert_true(sent > apr_time_now() - apr_time_from_sec(60) && sent <= apr_time_now() + apr_time_from_sec(1));
    assert_non_null(strstr(date, "+0000"));
    message_id = header_value(pool, seen->data, "Message-ID");
    assert_non_null(message_id);
    assert_int_equal(strlen(message_id), strlen("<") + 32 + strlen("@example.com>"));
    assert_true(message_id[0] == '<' && strcmp(message_id + 33, "@example.com>") == 0);

    /* the relay got the lines that start with '.' back intact */
    body = strstr(seen->data, "\r\n\r\n") + 4;
    assert_string_equal(body, "Hello Cy,\r\nplease review FIN-12.\r\n.leading dot\r\n..two dots\r\n.\r\nbye\r\n");
}

static void test_message_ids_differ(void **state)
{
    apr_pool_t *pool = *state;
    sap_mail_t *mail = make_mail(pool, "s", "b");
    const char *first, *second, *error;
    apr_size_t len;

    assert_int_equal(sap_mail_message_build(pool, mail, &first, &len, &error), APR_SUCCESS);
    assert_int_equal(len, strlen(first));
    assert_int_equal(sap_mail_message_build(pool, mail, &second, &len, &error), APR_SUCCESS);
    assert_string_not_equal(header_value(pool, first, "Message-ID"), header_value(pool, second, "Message-ID"));
}

static void test_non_ascii_subject_encoded(void **state)
{
    static const sap_test_smtp_reply_t replies[] = { { NULL, NULL, NULL } };
    /* long enough for several encoded words, with 2-, 3- and 4-byte sequences */
    static const char subject[] =
        "Freigabe ben\xc3\xb6tigt: \xc3\x84rger \xc3\xbc" "ber \xe2\x80\x9e" "Budget\xe2\x80\x9c \xe2\x9c\x93 "
        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88 "
        "\xf0\x9f\x9a\x80 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad end";
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_smtp(pool, replies, 1);
    sap_http_client_t *client = make_client(pool);
    sap_mail_t *mail = make_mail(pool, subject, "text \xc3\xa9t\xc3\xa9\n");
    const sap_test_smtp_message_t *seen;
    const char *raw, *error = NULL;

    assert_int_equal(sap_mail_send(client, pool, sap_test_loopback_url(srv, pool, "smtp", ""),
                                   mail, &error), APR_SUCCESS);
    seen = sap_test_loopback_smtp_message(srv, 0);
    assert_non_null(seen->data);
    raw = subject_raw(pool, seen->data);
    assert_true(strncmp(raw, "=?UTF-8?B?", 10) == 0);
    assert_non_null(strstr(raw, "\r\n "));        /* several words, folded */
    assert_true(longest_line(apr_pstrcat(pool, "Subject: ", raw, NULL)) <= 78);
    assert_string_equal(decode_words(pool, raw), subject);
    /* the body is 8bit UTF-8 as given */
    assert_non_null(strstr(seen->data, "\r\n\r\ntext \xc3\xa9t\xc3\xa9\r\n"));
}

static void test_subject_encoding_rules(void **state)
{
    apr_pool_t *pool = *state;

    assert_string_equal(sap_mail_subject_encode(pool, "Plain ASCII"), "Plain ASCII");
    assert_string_equal(sap_mail_subject_encode(pool, ""), "");
    assert_string_equal(sap_mail_subject_encode(pool, NULL), "");
    /* "=?" in plain text would be read as an encoded word: encode it */
    assert_string_equal(decode_words(pool, sap_mail_subject_encode(pool, "a =?x?= b")), "a =?x?= b");
    assert_string_equal(sap_mail_subject_encode(pool, "\xc3\xa9"), "=?UTF-8?B?w6k=?=");
    /* a tab is not printable ASCII: encoded, not refused */
    assert_string_equal(decode_words(pool, sap_mail_subject_encode(pool, "a\tb")), "a\tb");
}

static void test_non_ascii_display_name_encoded(void **state)
{
    apr_pool_t *pool = *state;
    sap_mail_t *mail = make_mail(pool, "s", "b");
    const char *message, *from, *error;
    apr_size_t len;

    mail->from = "Gen\xc3\xa8ve Approvals <approvals@example.com>";
    assert_int_equal(sap_mail_message_build(pool, mail, &message, &len, &error), APR_SUCCESS);
    from = header_value(pool, message, "From");
    assert_non_null(strstr(from, " <approvals@example.com>"));
    assert_string_equal(decode_words(pool, apr_pstrndup(pool, from, strstr(from, " <") - from)),
                        "Gen\xc3\xa8ve Approvals");
    /* ASCII with specials is quoted: the comma must not split the mailbox */
    mail->from = "Doe, \"Jo\" <jo@example.com>";
    assert_int_equal(sap_mail_message_build(pool, mail, &message, &len, &error), APR_SUCCESS);
    assert_string_equal(header_value(pool, message, "From"), "\"Doe, \\\"Jo\\\"\" <jo@example.com>");
}

static void test_body_line_endings_and_long_lines(void **state)
{
    apr_pool_t *pool = *state;
    sap_mail_t *mail = make_mail(pool, "s", "a\nb\r\nc\rd");
    const char *message, *error, *encoded;
    char *long_line, *decoded;
    apr_size_t len;
    int decoded_len = 0;

    assert_int_equal(sap_mail_message_build(pool, mail, &message, &len, &error), APR_SUCCESS);
    assert_string_equal(strstr(message, "\r\n\r\n") + 4, "a\r\nb\r\nc\r\nd\r\n");
    assert_true(only_crlf_line_endings(message, len));

    /* a line longer than RFC 5322's 998 octets cannot go as 8bit */
    long_line = apr_palloc(pool, 1201);
    memset(long_line, 'y', 1200);
    long_line[1200] = '\0';
    mail->text_body = long_line;
    assert_int_equal(sap_mail_message_build(pool, mail, &message, &len, &error), APR_SUCCESS);
    assert_string_equal(header_value(pool, message, "Content-Transfer-Encoding"), "base64");
    encoded = strstr(message, "\r\n\r\n") + 4;
    assert_true(strstr(encoded, "\r\n") - encoded <= 76);
    decoded = base64_lines_decode(pool, encoded, &decoded_len);
    assert_int_equal(decoded_len, 1202);
    assert_memory_equal(decoded, long_line, 1200);
    assert_memory_equal(decoded + 1200, "\r\n", 2);
}

/* ---------------------------------------------------------------- refusals */

static void test_header_injection_refused(void **state)
{
    static const sap_test_smtp_reply_t replies[] = { { NULL, NULL, NULL } };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_smtp(pool, replies, 1);
    sap_http_client_t *client = make_client(pool);
    const char *url = sap_test_loopback_url(srv, pool, "smtp", "");
    sap_mail_t *mail;
    const char *error;

    mail = make_mail(pool, "Hi\r\nBcc: victim@example.net", "b");
    error = NULL;
    assert_int_equal(sap_mail_send(client, pool, url, mail, &error), APR_EINVAL);
    assert_non_null(error);
    mail = make_mail(pool, "Hi\nBcc: victim@example.net", "b");
    assert_int_equal(sap_mail_send(client, pool, url, mail, &error), APR_EINVAL);
    mail = make_mail(pool, "Hi\rthere", "b");
    assert_int_equal(sap_mail_send(client, pool, url, mail, &error), APR_EINVAL);
    mail = make_mail(pool, "s", "b");
    mail->from = "approvals@example.com\r\nBcc: victim@example.net";
    assert_int_equal(sap_mail_send(client, pool, url, mail, &error), APR_EINVAL);
    mail = make_mail(pool, "s", "b");
    APR_ARRAY_PUSH(mail->to, const char *) = "x@example.com\nBcc: victim@example.net";
    assert_int_equal(sap_mail_send(client, pool, url, mail, &error), APR_EINVAL);
    mail = make_mail(pool, "s", "b");
    APR_ARRAY_IDX(mail->to, 0, const char *) = "Name <x@example.com>\r";
    assert_int_equal(sap_mail_send(client, pool, url, mail, &error), APR_EINVAL);
    /* not one mailbox */
    mail = make_mail(pool, "s", "b");
    APR_ARRAY_IDX(mail->to, 0, const char *) = "a@example.com, b@example.com";
    assert_int_equal(sap_mail_send(client, pool, url, mail, &error), APR_EINVAL);
    mail = make_mail(pool, "s", "b");
    mail->to = apr_array_make(pool, 1, sizeof(const char *));
    assert_int_equal(sap_mail_send(client, pool, url, mail, &error), APR_EINVAL);
    assert_int_equal(sap_test_loopback_connections(srv), 0);
}

static void test_relay_url_checked(void **state)
{
    static const sap_test_smtp_reply_t replies[] = { { NULL, NULL, NULL } };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_smtp(pool, replies, 1);
    sap_http_client_t *client = make_client(pool);
    sap_mail_t *mail = make_mail(pool, "s", "b");
    const char *error = NULL;

    assert_int_equal(sap_mail_send(client, pool, sap_test_loopback_url(srv, pool, "http", ""), mail, &error),
                     APR_EINVAL);
    assert_non_null(error);
    assert_int_equal(sap_mail_send(client, pool, NULL, mail, &error), APR_EINVAL);
    assert_int_equal(sap_mail_send(client, pool, "mailto:x@example.com", mail, &error), APR_EINVAL);
    assert_int_equal(sap_test_loopback_connections(srv), 0);
}

/* ---------------------------------------------------------------- SMTP errors */

static void test_rcpt_550_reported_not_retried(void **state)
{
    static const sap_test_smtp_reply_t replies[] = {
        { NULL, "550 5.1.1 <cy@example.com>: Recipient address rejected: User unknown", NULL },
        { NULL, NULL, NULL },
    };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_smtp(pool, replies, 2);
    sap_http_client_t *client = make_client(pool);
    sap_mail_t *mail = make_mail(pool, "s", "b");
    const char *error = NULL;

    assert_int_equal(sap_mail_send(client, pool, sap_test_loopback_url(srv, pool, "smtp", ""), mail, &error),
                     APR_EGENERAL);
    assert_non_null(error);
    assert_non_null(strstr(error, "550 5.1.1 <cy@example.com>: Recipient address rejected"));
    assert_int_equal(sap_test_loopback_count(srv), 1);
    assert_null(sap_test_loopback_smtp_message(srv, 0)->data);
}

static void test_rcpt_451_retried(void **state)
{
    static const sap_test_smtp_reply_t replies[] = {
        { NULL, "451 4.3.0 <cy@example.com>: Temporary lookup failure", NULL },
        { NULL, NULL, NULL },
    };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_smtp(pool, replies, 2);
    sap_http_client_t *client = make_client(pool);
    sap_mail_t *mail = make_mail(pool, "s", "retried body");
    const char *error = "unset";

    assert_int_equal(sap_mail_send(client, pool, sap_test_loopback_url(srv, pool, "smtp", ""), mail, &error),
                     APR_SUCCESS);
    assert_null(error);
    assert_int_equal(sap_test_loopback_count(srv), 2);
    assert_null(sap_test_loopback_smtp_message(srv, 0)->data);
    assert_true(sap_test_loopback_smtp_message(srv, 1)->accepted);
    assert_non_null(strstr(sap_test_loopback_smtp_message(srv, 1)->data, "\r\n\r\nretried body\r\n"));
}

/* Shutdown: the wait before a retry ends as soon as the flag is raised. */
static void test_cancel_stops_retries(void **state)
{
    static const sap_test_smtp_reply_t replies[] = {
        { NULL, "451 4.3.0 <cy@example.com>: Temporary lookup failure", NULL },
    };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_smtp(pool, replies, 1);
    sap_http_client_t *client = NULL;
    sap_mail_t *mail = make_mail(pool, "s", "b");
    sap_http_policy_t policy;
    volatile int cancel = 0;
    sap_test_cancel_t *canceller;
    const char *error = NULL;
    apr_time_t started;

    sap_http_policy_defaults(&policy);
    policy.backoff_initial = apr_time_from_sec(4);
    assert_int_equal(sap_http_client_create(&client, pool, &policy, 2), APR_SUCCESS);
    mail->cancel = &cancel;
    canceller = sap_test_cancel_after(pool, &cancel, apr_time_from_msec(300));
    started = apr_time_now();
    assert_int_equal(sap_mail_send(client, pool, sap_test_loopback_url(srv, pool, "smtp", ""), mail, &error),
                     APR_EAGAIN);
    sap_test_cancel_join(canceller);
    assert_true(apr_time_as_msec(apr_time_now() - started) < 2000);
    assert_int_equal(sap_test_loopback_count(srv), 1);
    assert_non_null(strstr(error, "451"));
}

static void test_data_451_retried(void **state)
{
    static const sap_test_smtp_reply_t replies[] = {
        { NULL, NULL, "451 4.3.0 Error: queue file write error" },
        { NULL, NULL, NULL },
    };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_smtp(pool, replies, 2);
    sap_http_client_t *client = make_client(pool);
    sap_mail_t *mail = make_mail(pool, "s", "b");
    const char *error = NULL;

    assert_int_equal(sap_mail_send(client, pool, sap_test_loopback_url(srv, pool, "smtp", ""), mail, &error),
                     APR_SUCCESS);
    assert_int_equal(sap_test_loopback_count(srv), 2);
    assert_false(sap_test_loopback_smtp_message(srv, 0)->accepted);
    assert_true(sap_test_loopback_smtp_message(srv, 1)->accepted);
}

static void test_persistent_451_gives_up(void **state)
{
    static const sap_test_smtp_reply_t replies[] = { { "451 4.7.1 Try again later", NULL, NULL } };
    apr_pool_t *pool = *state;
    sap_test_loopback_t *srv = sap_test_start_smtp(pool, replies, 1);
    sap_http_client_t *client = make_client(pool);
    sap_mail_t *mail = make_mail(pool, "s", "b");
    const char *error = NULL;

    assert_int_equal(sap_mail_send(client, pool, sap_test_loopback_url(srv, pool, "smtp", ""), mail, &error),
                     APR_EAGAIN);
    assert_non_null(strstr(error, "451 4.7.1 Try again later"));
    assert_int_equal(sap_test_loopback_count(srv), 4);   /* 1 + max_retries */
}

static void test_relay_refused_retried(void **state)
{
    apr_pool_t *pool = *state;
    sap_http_client_t *client = make_client(pool);
    sap_mail_t *mail = make_mail(pool, "s", "b");
    const char *error = NULL;
    apr_port_t port = 0;
    apr_time_t started = apr_time_now();

    assert_int_equal(sap_test_loopback_closed_port(&port), APR_SUCCESS);
    assert_int_equal(sap_mail_send(client, pool, apr_psprintf(pool, "smtp://127.0.0.1:%u", (unsigned)port),
                                   mail, &error), APR_ECONNREFUSED);
    assert_non_null(error);
    /* three backoff pauses: 10 + 20 + 40 ms */
    assert_true(apr_time_now() - started >= apr_time_from_msec(70));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SAP_POOL_TEST(test_message_delivered),
        SAP_POOL_TEST(test_message_ids_differ),
        SAP_POOL_TEST(test_non_ascii_subject_encoded),
        SAP_POOL_TEST(test_subject_encoding_rules),
        SAP_POOL_TEST(test_non_ascii_display_name_encoded),
        SAP_POOL_TEST(test_body_line_endings_and_long_lines),
        SAP_POOL_TEST(test_header_injection_refused),
        SAP_POOL_TEST(test_relay_url_checked),
        SAP_POOL_TEST(test_rcpt_550_reported_not_retried),
        SAP_POOL_TEST(test_rcpt_451_retried),
        SAP_POOL_TEST(test_cancel_stops_retries),
        SAP_POOL_TEST(test_data_451_retried),
        SAP_POOL_TEST(test_persistent_451_gives_up),
        SAP_POOL_TEST(test_relay_refused_retried),
    };

    return cmocka_run_group_tests_name("sap_mail", tests, sap_test_group_setup, sap_test_group_teardown);
}
