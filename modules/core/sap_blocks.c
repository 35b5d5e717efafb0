#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sap_blocks.h"
#include "sap_json_keys.h"
#include "sap_time.h"

/* Block Kit keys and values (type and text: SAP_JK_TYPE, SAP_JK_TEXT). */
static const char BK_BLOCKS[] = "blocks";
static const char BK_ELEMENTS[] = "elements";
static const char BK_BLOCK_ID[] = "block_id";
static const char BK_ACTION_ID[] = "action_id";
static const char BK_EMOJI[] = "emoji";
static const char BK_VALUE[] = "value";
static const char BK_URL[] = "url";
static const char BK_STYLE[] = "style";
static const char BK_CONFIRM[] = "confirm";
static const char BK_TITLE[] = "title";
static const char BK_DENY[] = "deny";
static const char BK_PLAIN_TEXT[] = "plain_text";
static const char BK_MRKDWN[] = "mrkdwn";
static const char BK_HEADER[] = "header";
static const char BK_SECTION[] = "section";
static const char BK_CONTEXT[] = "context";
static const char BK_ACTIONS[] = "actions";
static const char BK_BUTTON[] = "button";
static const char BK_PRIMARY[] = "primary";
static const char BK_DANGER[] = "danger";

/* Engine event keys (DESIGN section 6; id, name, key, display_name, email
 * and type come from sap_json_keys.h). */
static const char EV_PRODUCT[] = "product";
static const char EV_APPROVAL[] = "approval";
static const char EV_STEP[] = "step";
static const char EV_OPTIONS[] = "options";
static const char EV_URL[] = "url";
static const char EV_SUBJECT[] = "subject";
static const char EV_TITLE[] = "title";
static const char EV_CONTAINER[] = "container";
static const char EV_REQUESTER[] = "requester";
static const char EV_KIND[] = "kind";
static const char EV_KIND_VOTE[] = "vote";
static const char EV_DUE_AT[] = "due_at";
static const char EV_PROGRESS[] = "progress";
static const char EV_REQUIRED[] = "required";
static const char EV_APPROVERS_TOTAL[] = "approvers_total";
static const char EV_APPROVED[] = "approved";
static const char EV_VOTED[] = "voted";
static const char EV_ACTIONS_WITHOUT_LOGIN[] = "actions_without_login";
static const char EV_ACTION_BUTTONS[] = "action_buttons";
static const char EV_COMMENT_REQUIRED[] = "comment_required";

#define ELLIPSIS              "\xE2\x80\xA6"   /* U+2026, one UTF-16 unit */
#define REPLACEMENT_CHAR      "\xEF\xBF\xBD"   /* U+FFFD */
#define ENTITY_MAX_BYTES      10               /* how far back an unclosed & is looked for */
#define BUTTON_VALUE_VERSION  1

#define CONTEXT_TEXT_MAX      2000
#define CONFIRM_TEXT_MAX      300
#define BUTTON_URL_MAX        3000
#define MENTION_NAME_MAX      100   /* one display name in the mentions line */
#define SLACK_ID_MAX          32

#define CONFIRM_REJECT_TITLE  "Reject this approval?"
#define CONFIRM_REJECT_OK     "Reject"
#define CONFIRM_REJECT_DENY   "Cancel"
#define VIEW_LABEL            "View approval"
#define MENTIONS_PREFIX       "Approvers: "
#define MENTIONS_SEPARATOR    ", "

/* ---------------------------------------------------------------- text */

/* Bytes of the well-formed UTF-8 sequence at p (1..4); 0 when p starts an
 * ill-formed one (stray continuation, overlong, surrogate, > U+10FFFF). */
static apr_size_t utf8_sequence(const unsigned char *p)
{
    unsigned char low = 0x80, high = 0xBF;   /* allowed range of the second byte */
    apr_size_t len, i;

    if (p[0] < 0x80) {
        return 1;
    }
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2;
    }
    else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3;
        low = p[0] == 0xE0 ? 0xA0 : low;
        high = p[0] == 0xED ? 0x9F : high;
    }
    else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4;
        low = p[0] == 0xF0 ? 0x90 : low;
        high = p[0] == 0xF4 ? 0x8F : high;
    }
    else {
        return 0;
    }
    /* each test fails on the NUL, so nothing past the string is read */
    if (p[1] < low || p[1] > high) {
        return 0;
    }
    for (i = 2; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return len;
}

/* Bytes of the code point (or the one invalid byte) at p; *punits gets
 * its length in UTF-16 code units. */
static apr_size_t code_point_step(const unsigned char *p, apr_size_t *punits)
{
    apr_size_t len = utf8_sequence(p);

    *punits = len == 4 ? 2 : 1;
    return len ? len : 1;
}

apr_size_t sap_text_units(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    apr_size_t units = 0, cp_units;

    if (!s) {
        return 0;
    }
    while (*p) {
        p += code_point_step(p, &cp_units);
        units += cp_units;
    }
    return units;
}

/* Bytes of the longest run of whole code points of s within max_units. */
static apr_size_t prefix_within(const char *s, apr_size_t max_units)
{
    const unsigned char *start = (const unsigned char *)s, *p = start;
    apr_size_t units = 0, cp_units, len;

    while (*p) {
        len = code_point_step(p, &cp_units);
        if (units + cp_units > max_units) {
            break;
        }
        units += cp_units;
        p += len;
    }
    return (apr_size_t)(p - start);
}

/* cut, moved back to an & that has no ; between it and cut. */
static apr_size_t cut_outside_entity(const char *s, apr_size_t cut)
{
    apr_size_t floor = cut > ENTITY_MAX_BYTES ? cut - ENTITY_MAX_BYTES : 0, i = cut;

    while (i > floor) {
        i--;
        if (s[i] == ';') {
            return cut;
        }
        if (s[i] == '&') {
            return i;
        }
    }
    return cut;
}

/* cut, moved back to a < that has no > between it and cut. */
static apr_size_t cut_outside_token(const char *s, apr_size_t cut)
{
    apr_size_t i = cut;

    while (i > 0) {
        i--;
        if (s[i] == '>') {
            return cut;
        }
        if (s[i] == '<') {
            return i;
        }
    }
    return cut;
}

static apr_size_t mrkdwn_safe_cut(const char *s, apr_size_t cut)
{
    apr_size_t before;

    /* backing out of one may land inside the other (an &amp; in a <url|…>) */
    do {
        before = cut;
        cut = cut_outside_token(s, cut_outside_entity(s, cut));
    } while (cut != before);
    return cut;
}

const char *sap_text_truncate(apr_pool_t *pool, const char *s, apr_size_t max_units,
                              int mrkdwn)
{
    apr_size_t cut;
    char *cut_text;

    if (!s || sap_text_units(s) <= max_units) {
        return s;
    }
    if (max_units == 0) {
        return "";
    }
    cut = prefix_within(s, max_units - 1);
    if (mrkdwn) {
        cut = mrkdwn_safe_cut(s, cut);
    }
    cut_text = apr_palloc(pool, cut + sizeof(ELLIPSIS));
    memcpy(cut_text, s, cut);
    memcpy(cut_text + cut, ELLIPSIS, sizeof(ELLIPSIS));
    return cut_text;
}

/* s with every byte that is not part of well-formed UTF-8 replaced by
 * U+FFFD: jansson refuses such strings, and the caller's may hold them. */
static const char *utf8_clean(apr_pool_t *pool, const char *s)
{
    const unsigned char *p;
    apr_size_t invalid = 0, len;
    char *clean, *out;

    if (!s) {
        return NULL;
    }
    for (p = (const unsigned char *)s; *p; p += len ? len : 1) {
        len = utf8_sequence(p);
        invalid += len == 0;
    }
    if (!invalid) {
        return s;
    }
    out = clean = apr_palloc(pool, strlen(s) + 2 * invalid + 1);
    for (p = (const unsigned char *)s; *p; p += len ? len : 1) {
        len = utf8_sequence(p);
        memcpy(out, len ? (const char *)p : REPLACEMENT_CHAR, len ? len : 3);
        out += len ? len : 3;
    }
    *out = '\0';
    return clean;
}

/* & < > as Slack's entities: a value can then never become a mention,
 * link or <!channel>. */
static const char *mrkdwn_escape(apr_pool_t *pool, const char *s)
{
    apr_size_t extra = 0;
    const char *p;
    char *escaped, *out;

    if (!s) {
        return NULL;
    }
    for (p = s; *p; p++) {
        extra += *p == '&' ? 4 : (*p == '<' || *p == '>') ? 3 : 0;
    }
    if (!extra) {
        return s;
    }
    out = escaped = apr_palloc(pool, (apr_size_t)(p - s) + extra + 1);
    for (p = s; *p; p++) {
        const char *entity = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : NULL;

        if (entity) {
            out = stpcpy(out, entity);
        }
        else {
            *out++ = *p;
        }
    }
    *out = '\0';
    return escaped;
}

/* Slack refuses texts that are empty, and shows nothing for blank ones. */
static int text_visible(const char *s)
{
    return s && s[strspn(s, " \t\r\n")] != '\0';
}

/* ---------------------------------------------------------------- event */

/* A non-empty string member, else NULL. */
static const char *member_text(const json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));

    return value && *value ? value : NULL;
}

static int option_flag(const json_t *options, const char *key, int fallback)
{
    const json_t *value = json_object_get(options, key);

    return json_is_boolean(value) ? json_is_true(value) : fallback;
}

/* An integer member above zero, else 0. */
static json_int_t positive_member(const json_t *object, const char *key)
{
    json_int_t value = json_integer_value(json_object_get(object, key));

    return value > 0 ? value : 0;
}

int sap_blocks_type_actionable(const char *type)
{
    static const char *const actionable[] = {
        "approval_requested", "approval_reminder", "approver_reassigned",
    };
    apr_size_t i;

    for (i = 0; type && i < sizeof(actionable) / sizeof(actionable[0]); i++) {
        if (strcmp(type, actionable[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

const char *sap_blocks_button_value(apr_pool_t *pool, const char *product,
                                    const char *approval_id, const char *step_id,
                                    const char *delegate_of_id, int comment_required)
{
    json_t *value;
    char *dumped;
    const char *copy = NULL;

    if (!product || !approval_id || !step_id) {
        return NULL;
    }
    value = json_pack("{s:i, s:s, s:s, s:s}", SAP_BV_VERSION, BUTTON_VALUE_VERSION,
                      SAP_BV_PRODUCT, product, SAP_BV_APPROVAL, approval_id, SAP_BV_STEP, step_id);
    if (value && delegate_of_id && *delegate_of_id
        && json_object_set_new(value, SAP_BV_DELEGATE, json_string(delegate_of_id)) != 0) {
        json_decref(value);
        return NULL;
    }
    if (value && comment_required
        && json_object_set_new(value, SAP_BV_COMMENT, json_integer(1)) != 0) {
        json_decref(value);
        return NULL;
    }
    dumped = value ? json_dumps(value, JSON_COMPACT) : NULL;
    if (dumped && strlen(dumped) <= SAP_BUTTON_VALUE_MAX) {
        copy = apr_pstrdup(pool, dumped);
    }
    free(dumped);
    json_decref(value);
    return copy;
}

/* ---------------------------------------------------------------- building */

typedef struct blocks_build_t {
    apr_pool_t *pool;
    const sap_blocks_input_t *in;
    const char *type;
    const char *product;
    const char *approval_id;
    const char *name;           /* approval.name, NULL when absent */
    const char *type_title;     /* in->type_title, else the type */
    const json_t *approval;
    const json_t *step;
    const json_t *options;
    apr_size_t budget;          /* units of block text still allowed */
    int failed;                 /* jansson could not allocate */
} blocks_build_t;

static int build_init(blocks_build_t *b, apr_pool_t *pool, const sap_blocks_input_t *in)
{
    const json_t *event = in ? in->event : NULL;

    memset(b, 0, sizeof(*b));
    b->pool = pool;
    b->in = in;
    b->type = member_text(event, SAP_JK_TYPE);
    b->approval = json_object_get(event, EV_APPROVAL);
    b->approval_id = member_text(b->approval, SAP_JK_ID);
    if (!b->type || !b->approval_id) {
        return 0;
    }
    b->product = member_text(event, EV_PRODUCT);
    b->name = member_text(b->approval, SAP_JK_NAME);
    b->step = json_object_get(event, EV_STEP);
    b->options = json_object_get(event, EV_OPTIONS);
    b->type_title = text_visible(in->type_title) ? utf8_clean(pool, in->type_title) : b->type;
    b->budget = SAP_SLACK_MAX_BLOCKS_TEXT;
    return 1;
}

static json_t *checked(blocks_build_t *b, json_t *value)
{
    if (!value) {
        b->failed = 1;
    }
    return value;
}

/* object[key] = value (stolen); a NULL value marks the build failed. */
static void member_put(blocks_build_t *b, json_t *object, const char *key, json_t *value)
{
    if (json_object_set_new(object, key, value) != 0) {
        b->failed = 1;
    }
}

/* Appends item (stolen); NULL stands for a part the message does not have. */
static void item_append(blocks_build_t *b, json_t *array, json_t *item)
{
    if (item && json_array_append_new(array, item) != 0) {
        b->failed = 1;
    }
}

static void budget_spend(blocks_build_t *b, const char *text)
{
    apr_size_t units = sap_text_units(text);

    b->budget = units < b->budget ? b->budget - units : 0;
}

static apr_size_t room_for(const blocks_build_t *b, apr_size_t max)
{
    return max < b->budget ? max : b->budget;
}

/* text cut to max (and to what the budget has left), then paid for; NULL
 * when there is nothing to show. */
static const char *text_take(blocks_build_t *b, const char *text, apr_size_t max, int mrkdwn)
{
    const char *cut;

    if (!text_visible(text)) {
        return NULL;
    }
    cut = sap_text_truncate(b->pool, text, room_for(b, max), mrkdwn);
    if (!text_visible(cut)) {
        return NULL;
    }
    budget_spend(b, cut);
    return cut;
}

/* prefix + value + suffix in mrkdwn, the escaped value cut so that the
 * whole fits: a cut never eats the frame (a closing "*" stays). */
static const char *framed_take(blocks_build_t *b, const char *prefix, const char *value,
                               const char *suffix, apr_size_t max)
{
    apr_size_t frame = sap_text_units(prefix) + sap_text_units(suffix);
    apr_size_t room = room_for(b, max);
    const char *text;

    if (!text_visible(value) || room <= frame) {
        return NULL;
    }
    value = sap_text_truncate(b->pool, mrkdwn_escape(b->pool, value), room - frame, 1);
    text = apr_pstrcat(b->pool, prefix, value, suffix, NULL);
    budget_spend(b, text);
    return text;
}

static json_t *plain_text(const char *text)
{
    return json_pack("{s:s, s:s, s:b}", SAP_JK_TYPE, BK_PLAIN_TEXT, SAP_JK_TEXT, text, BK_EMOJI, 1);
}

static json_t *mrkdwn_text(const char *text)
{
    return json_pack("{s:s, s:s}", SAP_JK_TYPE, BK_MRKDWN, SAP_JK_TEXT, text);
}

static json_t *section_block(blocks_build_t *b, const char *text)
{
    if (!text) {
        return NULL;
    }
    return checked(b, json_pack("{s:s, s:o}", SAP_JK_TYPE, BK_SECTION,
                                SAP_JK_TEXT, mrkdwn_text(text)));
}

/* A context block of the non-NULL texts; NULL when all are. */
static json_t *context_block(blocks_build_t *b, const char *const *texts, apr_size_t ntexts)
{
    json_t *elements = checked(b, json_array());
    apr_size_t i;

    for (i = 0; elements && i < ntexts; i++) {
        if (texts[i]) {
            item_append(b, elements, checked(b, mrkdwn_text(texts[i])));
        }
    }
    if (!elements || json_array_size(elements) == 0) {
        json_decref(elements);
        return NULL;
    }
    return checked(b, json_pack("{s:s, s:o}", SAP_JK_TYPE, BK_CONTEXT, BK_ELEMENTS, elements));
}

/* "Approval requested: Budget sign-off", unescaped. */
static const char *title_line(const blocks_build_t *b)
{
    if (!b->name) {
        return b->type_title;
    }
    return apr_pstrcat(b->pool, b->type_title, ": ", b->name, NULL);
}

/* ---------------------------------------------------------------- header, body */

static json_t *header_block(blocks_build_t *b)
{
    const char *text = text_take(b, title_line(b), SAP_SLACK_MAX_HEADER_TEXT, 0);

    if (!text) {
        return NULL;
    }
    return checked(b, json_pack("{s:s, s:o}", SAP_JK_TYPE, BK_HEADER, SAP_JK_TEXT,
                                plain_text(text)));
}

static json_t *body_block(blocks_build_t *b)
{
    const char *body = utf8_clean(b->pool, b->in->body_mrkdwn);

    return section_block(b, text_take(b, body, SAP_SLACK_MAX_SECTION_TEXT, 1));
}

/* ---------------------------------------------------------------- context */

static const char *requester_text(blocks_build_t *b)
{
    const json_t *requester = json_object_get(b->approval, EV_REQUESTER);
    const char *who = member_text(requester, SAP_JK_DISPLAY_NAME);

    if (!who) {
        who = member_text(requester, SAP_JK_EMAIL);
    }
    return framed_take(b, "Requested by *", who, "*", CONTEXT_TEXT_MAX);
}

static const char *due_text(blocks_build_t *b)
{
    const char *due = member_text(b->step, EV_DUE_AT);
    const char *shown = sap_time_utc_text(b->pool, due);

    return framed_take(b, "Due ", shown ? shown : due, "", CONTEXT_TEXT_MAX);
}

static int vote_step(const blocks_build_t *b)
{
    const char *kind = member_text(b->step, EV_KIND);

    return kind && strcmp(kind, EV_KIND_VOTE) == 0;
}

/* "1 of 2 approvals" / "1 of 2 votes": decisions that count towards the
 * step against the number it needs (required, else every approver). */
static const char *progress_text(blocks_build_t *b)
{
    const json_t *progress = json_object_get(b->step, EV_PROGRESS);
    json_int_t needed = positive_member(b->step, EV_REQUIRED);
    json_int_t done;
    int vote = vote_step(b);

    if (!needed) {
        needed = positive_member(b->step, EV_APPROVERS_TOTAL);
    }
    if (!json_is_object(progress) || !needed) {
        return NULL;
    }
    done = positive_member(progress, vote ? EV_VOTED : EV_APPROVED);
    return text_take(b, apr_psprintf(b->pool, "%" APR_INT64_T_FMT " of %" APR_INT64_T_FMT " %s%s",
                                     (apr_int64_t)done, (apr_int64_t)needed,
                                     vote ? "vote" : "approval", needed == 1 ? "" : "s"),
                     CONTEXT_TEXT_MAX, 1);
}

/* Jira "FIN-12 · Finance", Confluence "Documentation": subject key and
 * container name, whichever the event has. */
static const char *subject_text(blocks_build_t *b)
{
    const json_t *subject = json_object_get(b->approval, EV_SUBJECT);
    const char *key = member_text(subject, SAP_JK_KEY);
    const char *container = member_text(json_object_get(subject, EV_CONTAINER), SAP_JK_NAME);
    const char *both = key && container ? apr_pstrcat(b->pool, key, " \xC2\xB7 ", container, NULL)
                                        : NULL;

    return framed_take(b, "", both ? both : key ? key : container, "", CONTEXT_TEXT_MAX);
}

static json_t *details_block(blocks_build_t *b)
{
    const char *texts[4];

    texts[0] = requester_text(b);
    texts[1] = due_text(b);
    texts[2] = progress_text(b);
    texts[3] = subject_text(b);
    return context_block(b, texts, sizeof(texts) / sizeof(texts[0]));
}

static json_t *delegate_block(blocks_build_t *b)
{
    const char *name = utf8_clean(b->pool, b->in->delegate_of_name);
    const char *line;

    if (text_visible(name)) {
        line = framed_take(b, "You are receiving this as a delegate of *", name, "*",
                           CONTEXT_TEXT_MAX);
    }
    else if (text_visible(b->in->delegate_of_id)) {
        line = text_take(b, "You are receiving this as a delegate.", CONTEXT_TEXT_MAX, 1);
    }
    else {
        return NULL;
    }
    return context_block(b, &line, 1);
}

/* ---------------------------------------------------------------- mentions */

/* A Slack user id safe to put inside <@…>. */
static int slack_id_usable(const char *id)
{
    apr_size_t len = 0;

    if (!id) {
        return 0;
    }
    for (; id[len]; len++) {
        if (!apr_isalnum(id[len]) || len >= SLACK_ID_MAX) {
            return 0;
        }
    }
    return len > 0;
}

static const char *short_escaped_name(apr_pool_t *pool, const char *name)
{
    return sap_text_truncate(pool, mrkdwn_escape(pool, utf8_clean(pool, name)),
                             MENTION_NAME_MAX, 1);
}

/* "<@U1>", "Di", "<@U2> (delegate of Cy)"; NULL for nobody. */
static const char *mention_text(apr_pool_t *pool, const sap_mention_t *mention)
{
    const char *who;

    if (slack_id_usable(mention->slack_user_id)) {
        who = apr_pstrcat(pool, "<@", mention->slack_user_id, ">", NULL);
    }
    else if (text_visible(mention->display_name)) {
        who = short_escaped_name(pool, mention->display_name);
    }
    else {
        return NULL;
    }
    if (text_visible(mention->delegate_of_name)) {
        who = apr_pstrcat(pool, who, " (delegate of ",
                          short_escaped_name(pool, mention->delegate_of_name), ")", NULL);
    }
    return who;
}

static apr_array_header_t *mention_texts(apr_pool_t *pool, const apr_array_header_t *mentions)
{
    apr_array_header_t *texts = apr_array_make(pool, mentions->nelts + 1, sizeof(const char *));
    int i;

    for (i = 0; i < mentions->nelts; i++) {
        const char *text = mention_text(pool, &APR_ARRAY_IDX(mentions, i, sap_mention_t));

        if (text) {
            APR_ARRAY_PUSH(texts, const char *) = text;
        }
    }
    return texts;
}

static const char *more_text(apr_pool_t *pool, int first, int left)
{
    return apr_psprintf(pool, "%s" ELLIPSIS " and %d more", first ? "" : MENTIONS_SEPARATOR, left);
}

/* "Approvers: <@U1>, Di" within room units: the mentions that fit whole,
 * then "… and N more" for the rest (room is always kept for that tail). */
static const char *mentions_join(apr_pool_t *pool, apr_array_header_t *texts, apr_size_t room)
{
    apr_array_header_t *parts = apr_array_make(pool, texts->nelts + 2, sizeof(const char *));
    apr_size_t units = sap_text_units(MENTIONS_PREFIX);
    int i;

    APR_ARRAY_PUSH(parts, const char *) = MENTIONS_PREFIX;
    for (i = 0; i < texts->nelts; i++) {
        const char *sep = i ? MENTIONS_SEPARATOR : "";
        const char *text = APR_ARRAY_IDX(texts, i, const char *);
        int left = texts->nelts - i - 1;
        apr_size_t add = sap_text_units(sep) + sap_text_units(text);

        if (units + add + (left ? sap_text_units(more_text(pool, 0, left)) : 0) > room) {
            break;
        }
        APR_ARRAY_PUSH(parts, const char *) = apr_pstrcat(pool, sep, text, NULL);
        units += add;
    }
    if (i < texts->nelts) {
        const char *more = more_text(pool, i == 0, texts->nelts - i);

        if (units + sap_text_units(more) > room) {
            return NULL;
        }
        APR_ARRAY_PUSH(parts, const char *) = more;
    }
    return apr_array_pstrcat(pool, parts, '\0');
}

static json_t *mentions_block(blocks_build_t *b)
{
    apr_array_header_t *texts;
    const char *line;

    if (!b->in->mentions) {
        return NULL;
    }
    texts = mention_texts(b->pool, b->in->mentions);
    if (texts->nelts == 0) {
        return NULL;
    }
    line = mentions_join(b->pool, texts, room_for(b, SAP_SLACK_MAX_SECTION_TEXT));
    if (line) {
        budget_spend(b, line);
    }
    return section_block(b, line);
}

/* ---------------------------------------------------------------- actions */

typedef struct decision_button_t {
    const char *action_id;        /* the interactive button */
    const char *link_action_id;   /* the same button as a link to the approval */
    const char *label;
    const char *style;
} decision_button_t;

/* Links get action_ids of their own (all starting with SAP_ACTION_VIEW):
 * Slack reports their clicks too, and those must never count as decisions. */
static const decision_button_t approval_buttons[] = {
    { SAP_ACTION_APPROVE, SAP_ACTION_VIEW "_approve", "Approve", BK_PRIMARY },
    { SAP_ACTION_REJECT, SAP_ACTION_VIEW "_reject", "Reject", BK_DANGER },
    { SAP_ACTION_ABSTAIN, SAP_ACTION_VIEW "_abstain", "Abstain", NULL },
};
static const decision_button_t vote_buttons[] = {
    { SAP_ACTION_VOTE, SAP_ACTION_VIEW "_vote", "Vote", BK_PRIMARY },
};

/* approval.url when Slack takes it as a button url: http(s), ≤ 3000
 * characters, no spaces or control characters. */
static const char *approval_url(const blocks_build_t *b)
{
    const char *url = member_text(b->approval, EV_URL);
    const unsigned char *p;

    if (!url || sap_text_units(url) > BUTTON_URL_MAX
        || (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0)) {
        return NULL;
    }
    for (p = (const unsigned char *)url; *p; p++) {
        if (*p <= ' ' || *p == 0x7F) {
            return NULL;
        }
    }
    return url;
}

static json_t *button_new(blocks_build_t *b, const char *action_id, const char *label,
                          const char *style)
{
    json_t *button = checked(b, json_pack("{s:s, s:s, s:o}", SAP_JK_TYPE, BK_BUTTON,
                                          BK_ACTION_ID, action_id, SAP_JK_TEXT,
                                          plain_text(label)));

    budget_spend(b, label);
    if (button && style) {
        member_put(b, button, BK_STYLE, json_string(style));
    }
    return button;
}

static json_t *reject_confirm(blocks_build_t *b)
{
    const char *text = framed_take(b, "You are about to reject *", b->name, "*.",
                                   CONFIRM_TEXT_MAX);

    if (!text) {
        text = "You are about to reject this approval.";
        budget_spend(b, text);
    }
    budget_spend(b, CONFIRM_REJECT_TITLE CONFIRM_REJECT_OK CONFIRM_REJECT_DENY);
    return checked(b, json_pack("{s:o, s:o, s:o, s:o, s:s}", BK_TITLE,
                                plain_text(CONFIRM_REJECT_TITLE), SAP_JK_TEXT, mrkdwn_text(text),
                                BK_CONFIRM, plain_text(CONFIRM_REJECT_OK), BK_DENY,
                                plain_text(CONFIRM_REJECT_DENY), BK_STYLE, BK_DANGER));
}

/* Approve / Reject / Abstain, or Vote: interactive when value is set,
 * else links to url. */
static void decision_buttons_add(blocks_build_t *b, json_t *elements, const char *value,
                                 const char *url)
{
    const decision_button_t *specs = vote_step(b) ? vote_buttons : approval_buttons;
    apr_size_t n = vote_step(b) ? sizeof(vote_buttons) / sizeof(vote_buttons[0])
                                : sizeof(approval_buttons) / sizeof(approval_buttons[0]);
    apr_size_t i;

    for (i = 0; i < n; i++) {
        json_t *button = button_new(b, value ? specs[i].action_id : specs[i].link_action_id,
                                    specs[i].label, specs[i].style);

        if (button && value) {
            member_put(b, button, BK_VALUE, json_string(value));
        }
        if (button && value && strcmp(specs[i].action_id, SAP_ACTION_REJECT) == 0) {
            member_put(b, button, BK_CONFIRM, reject_confirm(b));
        }
        if (button && !value) {
            member_put(b, button, BK_URL, json_string(url));
        }
        item_append(b, elements, button);
    }
}

/* The interactive buttons' value; NULL when the message cannot carry them
 * (no step or product to decide on): the links stand in. */
static const char *interactive_value(blocks_build_t *b)
{
    if (!option_flag(b->options, EV_ACTIONS_WITHOUT_LOGIN, 0)) {
        return NULL;
    }
    return sap_blocks_button_value(b->pool, b->product, b->approval_id,
                                   member_text(b->step, SAP_JK_ID),
                                   utf8_clean(b->pool, b->in->delegate_of_id),
                                   option_flag(b->step, EV_COMMENT_REQUIRED, 0));
}

static json_t *actions_block(blocks_build_t *b)
{
    json_t *elements = checked(b, json_array());
    const char *url = approval_url(b);
    json_t *view;

    if (!elements) {
        return NULL;
    }
    if (sap_blocks_type_actionable(b->type) && option_flag(b->options, EV_ACTION_BUTTONS, 1)
        && !b->in->outcome_mrkdwn) {
        const char *value = interactive_value(b);

        if (value || url) {
            decision_buttons_add(b, elements, value, url);
        }
    }
    if (url) {
        view = button_new(b, SAP_ACTION_VIEW, VIEW_LABEL, NULL);
        if (view) {
            member_put(b, view, BK_URL, json_string(url));
        }
        item_append(b, elements, view);
    }
    if (json_array_size(elements) == 0) {
        json_decref(elements);
        return NULL;   /* Slack refuses an actions block without elements */
    }
    return checked(b, json_pack("{s:s, s:s, s:o}", SAP_JK_TYPE, BK_ACTIONS, BK_BLOCK_ID,
                                SAP_BLOCK_ACTIONS, BK_ELEMENTS, elements));
}

/* The line that replaces the buttons once the reader's part is done. */
static json_t *outcome_block(blocks_build_t *b)
{
    const char *line = text_take(b, utf8_clean(b->pool, b->in->outcome_mrkdwn), CONTEXT_TEXT_MAX,
                                 1);

    return line ? context_block(b, &line, 1) : NULL;
}

/* ---------------------------------------------------------------- message */

/* "Approval requested: Budget sign-off · FIN-12 Q3 budget", escaped: what
 * notifications and screen readers show. */
static const char *fallback_text(blocks_build_t *b)
{
    const json_t *subject = json_object_get(b->approval, EV_SUBJECT);
    const char *key = member_text(subject, SAP_JK_KEY);
    const char *title = member_text(subject, EV_TITLE);
    const char *text = title_line(b);

    if (key || title) {
        text = apr_pstrcat(b->pool, text, " \xC2\xB7 ", key ? key : "", key && title ? " " : "",
                           title ? title : "", NULL);
    }
    return sap_text_truncate(b->pool, mrkdwn_escape(b->pool, text), SAP_SLACK_MAX_FALLBACK_TEXT,
                             1);
}

apr_status_t sap_blocks_build(apr_pool_t *pool, const sap_blocks_input_t *in, json_t **pmessage)
{
    blocks_build_t b;
    json_t *header, *actions, *outcome, *details, *delegate, *mentions, *body, *blocks, *message;

    *pmessage = NULL;
    if (!build_init(&b, pool, in)) {
        return APR_EINVAL;
    }
    /* Built in the order they may spend the text budget, so that the body
     * is the part shortened when the whole would be too long ... */
    header = header_block(&b);
    actions = actions_block(&b);
    outcome = outcome_block(&b);
    details = details_block(&b);
    delegate = delegate_block(&b);
    mentions = mentions_block(&b);
    body = body_block(&b);
    /* ... and laid out in reading order. */
    blocks = checked(&b, json_array());
    item_append(&b, blocks, header);
    item_append(&b, blocks, body);
    item_append(&b, blocks, delegate);
    item_append(&b, blocks, mentions);
    item_append(&b, blocks, details);
    item_append(&b, blocks, outcome);
    item_append(&b, blocks, actions);
    message = checked(&b, json_pack("{s:s, s:o}", SAP_JK_TEXT, fallback_text(&b), BK_BLOCKS,
                                    blocks));
    if (b.failed) {
        json_decref(message);
        return APR_ENOMEM;
    }
    *pmessage = message;
    return APR_SUCCESS;
}
