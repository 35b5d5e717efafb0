#include <stdio.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sap_mustache.h"

/* Node visits one render may make. Output is capped by max_len, but nested
 * sections over arrays can loop a long time while printing nothing; past
 * this budget rendering stops as if the output were full. */
#define RENDER_MAX_STEPS  (1024 * 1024)

/* Longest tag text quoted back in a parse error. */
#define QUOTED_TAG_MAX  48

/* ---------------------------------------------------------------- the tree */

typedef enum {
    NODE_TEXT,
    NODE_VARIABLE,    /* {{name}}: escaped */
    NODE_RAW,         /* {{{name}}} and {{& name}}: as it is */
    NODE_SECTION,     /* {{#name}}…{{/name}} */
    NODE_INVERTED     /* {{^name}}…{{/name}} */
} node_kind_t;

typedef struct node_t node_t;
struct node_t {
    node_kind_t kind;
    const char *text;          /* NODE_TEXT: into the template's copy of the source */
    apr_size_t text_len;
    const char *name;          /* the others: "." or a dotted name */
    const char **parts;        /* name split at the dots; none for "." */
    int nparts;
    node_t *children;          /* sections */
    node_t *next;
};

struct sap_mustache_t {
    node_t *first;
};

/* ---------------------------------------------------------------- UTF-8 */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 when it is not one. */
static apr_size_t utf8_sequence_len(const unsigned char *s, apr_size_t avail)
{
    apr_size_t len, i;
    unsigned char lo = 0x80, hi = 0xBF;

    if (s[0] < 0x80) {
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2;
    }
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        lo = s[0] == 0xE0 ? 0xA0 : 0x80;
        hi = s[0] == 0xED ? 0x9F : 0xBF;
    }
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        lo = s[0] == 0xF0 ? 0x90 : 0x80;
        hi = s[0] == 0xF4 ? 0x8F : 0xBF;
    }
    else {
        return 0;
    }
    if (avail < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return len;
}

/* Offset of the first byte that is not well-formed UTF-8; len when all are. */
static apr_size_t utf8_invalid_at(const char *text, apr_size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    apr_size_t pos = 0;

    while (pos < len) {
        apr_size_t step = utf8_sequence_len(s + pos, len - pos);

        if (step == 0) {
            return pos;
        }
        pos += step;
    }
    return len;
}

/* The longest prefix of data, at most limit bytes, that ends on a code
 * point boundary (data holds more than limit bytes). */
static apr_size_t utf8_prefix_len(const char *data, apr_size_t limit)
{
    while (limit > 0 && ((unsigned char)data[limit] & 0xC0) == 0x80) {
        limit--;
    }
    return limit;
}

/* ---------------------------------------------------------------- parse errors */

typedef enum {
    TAG_VARIABLE,
    TAG_RAW,
    TAG_SECTION,
    TAG_INVERTED,
    TAG_CLOSE,
    TAG_COMMENT
} tag_kind_t;

typedef struct tag_t {
    tag_kind_t kind;
    const char *name;      /* trimmed; NULL for comments */
    apr_size_t start;      /* offset of "{{" */
    apr_size_t end;        /* offset just after the closing braces */
} tag_t;

/* An open section while its children are parsed; frame 0 is the top level. */
typedef struct frame_t {
    node_t *section;       /* NULL at the top level */
    node_t **tail;         /* where the next node is linked */
    apr_size_t opened_at;
} frame_t;

typedef struct parser_t {
    apr_pool_t *pool;
    const char *src;       /* the template's own copy */
    apr_size_t len;
    apr_size_t pos;        /* first byte not yet turned into nodes */
    frame_t frames[SAP_MUSTACHE_MAX_DEPTH + 1];
    int depth;             /* open sections */
    sap_mustache_error_t *err;
} parser_t;

static void position_of(const char *src, apr_size_t offset, int *pline, int *pcolumn)
{
    const char *line_start = src;
    const char *p;
    int line = 1;

    for (p = src; p < src + offset; p++) {
        if (*p == '\n') {
            line++;
            line_start = p + 1;
        }
    }
    *pline = line;
    *pcolumn = (int)(src + offset - line_start) + 1;
}

static const char *position_text(parser_t *p, apr_size_t offset)
{
    int line, column;

    position_of(p->src, offset, &line, &column);
    return apr_psprintf(p->pool, "line %d, column %d", line, column);
}

static apr_status_t parse_fail(parser_t *p, apr_size_t offset, const char *message)
{
    if (p->err) {
        p->err->message = message;
        p->err->offset = offset;
        position_of(p->src, offset, &p->err->line, &p->err->column);
    }
    return APR_EINVAL;
}

/* The tag's source text for a message, shortened at a code point boundary. */
static const char *quoted_tag(parser_t *p, const tag_t *tag)
{
    const char *text = p->src + tag->start;
    apr_size_t len = tag->end - tag->start;

    if (len <= QUOTED_TAG_MAX) {
        return apr_pstrmemdup(p->pool, text, len);
    }
    return apr_pstrcat(p->pool,
                       apr_pstrmemdup(p->pool, text, utf8_prefix_len(text, QUOTED_TAG_MAX)),
                       "…", NULL);
}

/* ---------------------------------------------------------------- tags */

static int name_char(char c)
{
    return apr_isalnum(c) || c == '_' || c == '.' || c == '-';
}

/* "." or dot-separated parts of [A-Za-z0-9_-]: no empty part. */
static int name_valid(const char *name)
{
    const char *p;
    char prev = '.';

    if (strcmp(name, ".") == 0) {
        return 1;
    }
    for (p = name; *p; p++) {
        if (!name_char(*p) || (*p == '.' && prev == '.')) {
            return 0;
        }
        prev = *p;
    }
    return prev != '.';
}

static int span_has_opener(const char *from, const char *to)
{
    for (; from + 1 < to; from++) {
        if (from[0] == '{' && from[1] == '{') {
            return 1;
        }
    }
    return 0;
}

static tag_kind_t tag_kind_of(char sigil)
{
    switch (sigil) {
    case '&':
        return TAG_RAW;
    case '#':
        return TAG_SECTION;
    case '^':
        return TAG_INVERTED;
    case '/':
        return TAG_CLOSE;
    case '!':
        return TAG_COMMENT;
    default:
        return TAG_VARIABLE;
    }
}

/* Reads the tag whose "{{" is at start into *tag. */
static apr_status_t tag_read(parser_t *p, apr_size_t start, tag_t *tag)
{
    const char *inner = p->src + start + 2;
    const char *closer = "}}";
    const char *content, *content_end, *found;
    char sigil = *inner;

    memset(tag, 0, sizeof(*tag));
    tag->start = start;
    if (sigil == '>') {
        return parse_fail(p, start, "partials ({{> name}}) are not supported");
    }
    if (sigil == '=') {
        return parse_fail(p, start, "delimiter changes ({{=<% %>=}}) are not supported");
    }
    if (sigil == '{') {
        tag->kind = TAG_RAW;
        closer = "}}}";
        content = inner + 1;
    }
    else {
        tag->kind = tag_kind_of(sigil);
        content = tag->kind == TAG_VARIABLE ? inner : inner + 1;
    }
    found = strstr(content, closer);
    if (!found) {
        return parse_fail(p, start, "unclosed tag: no matching closing braces");
    }
    tag->end = (apr_size_t)(found - p->src) + strlen(closer);
    if (tag->kind == TAG_COMMENT) {
        return APR_SUCCESS;
    }
    content_end = found;
    /* "Hello {{name, see {{url}}": the first tag was never closed */
    if (span_has_opener(content, content_end)) {
        return parse_fail(p, start, "unclosed tag: no closing braces before the next tag");
    }
    while (content < content_end && apr_isspace(*content)) {
        content++;
    }
    while (content_end > content && apr_isspace(content_end[-1])) {
        content_end--;
    }
    if (content == content_end) {
        return parse_fail(p, start,
                          apr_psprintf(p->pool, "empty name in tag '%s'", quoted_tag(p, tag)));
    }
    tag->name = apr_pstrmemdup(p->pool, content, (apr_size_t)(content_end - content));
    if (!name_valid(tag->name)) {
        return parse_fail(p, start,
                          apr_psprintf(p->pool,
                                       "invalid name in tag '%s' (names are letters, digits, "
                                       "'_', '-' and dots)", quoted_tag(p, tag)));
    }
    return APR_SUCCESS;
}

/* Sections, closing tags and comments alone on their line (only spaces
 * and tabs around them) take the whole line with them, newline included
 * (the spec's standalone rule). On a yes, [*pline_start, *pline_end) is
 * that line. */
static int tag_standalone(const parser_t *p, const tag_t *tag, apr_size_t *pline_start,
                          apr_size_t *pline_end)
{
    apr_size_t start = tag->start, end = tag->end;

    if (tag->kind == TAG_VARIABLE || tag->kind == TAG_RAW) {
        return 0;
    }
    while (start > p->pos && (p->src[start - 1] == ' ' || p->src[start - 1] == '\t')) {
        start--;
    }
    if (start > 0 && p->src[start - 1] != '\n') {
        return 0;   /* other text, or an earlier tag, on the same line */
    }
    while (end < p->len && (p->src[end] == ' ' || p->src[end] == '\t')) {
        end++;
    }
    if (end < p->len && p->src[end] == '\r' && end + 1 < p->len && p->src[end + 1] == '\n') {
        end++;
    }
    if (end < p->len) {
        if (p->src[end] != '\n') {
            return 0;
        }
        end++;
    }
    *pline_start = start;
    *pline_end = end;
    return 1;
}

/* ---------------------------------------------------------------- building */

static node_t *node_add(parser_t *p, node_kind_t kind)
{
    frame_t *frame = &p->frames[p->depth];
    node_t *node = apr_pcalloc(p->pool, sizeof(*node));

    node->kind = kind;
    *frame->tail = node;
    frame->tail = &node->next;
    return node;
}

static void text_add(parser_t *p, apr_size_t from, apr_size_t to)
{
    node_t *node;

    if (to <= from) {
        return;
    }
    node = node_add(p, NODE_TEXT);
    node->text = p->src + from;
    node->text_len = to - from;
}

static void name_split(parser_t *p, node_t *node, const char *name)
{
    char *copy, *part, *last = NULL;
    int count = 1;
    const char *c;

    node->name = name;
    if (strcmp(name, ".") == 0) {
        return;
    }
    for (c = name; *c; c++) {
        count += *c == '.';
    }
    node->parts = apr_palloc(p->pool, sizeof(*node->parts) * (apr_size_t)count);
    copy = apr_pstrdup(p->pool, name);
    for (part = apr_strtok(copy, ".", &last); part; part = apr_strtok(NULL, ".", &last)) {
        node->parts[node->nparts++] = part;
    }
}

static apr_status_t section_open(parser_t *p, const tag_t *tag)
{
    node_t *node;
    frame_t *frame;

    if (p->depth == SAP_MUSTACHE_MAX_DEPTH) {
        return parse_fail(p, tag->start,
                          apr_psprintf(p->pool, "sections nested deeper than %d levels at '%s'",
                                       SAP_MUSTACHE_MAX_DEPTH, quoted_tag(p, tag)));
    }
    node = node_add(p, tag->kind == TAG_SECTION ? NODE_SECTION : NODE_INVERTED);
    name_split(p, node, tag->name);
    frame = &p->frames[++p->depth];
    frame->section = node;
    frame->tail = &node->children;
    frame->opened_at = tag->start;
    return APR_SUCCESS;
}

static apr_status_t section_close(parser_t *p, const tag_t *tag)
{
    const frame_t *frame = &p->frames[p->depth];

    if (p->depth == 0) {
        return parse_fail(p, tag->start,
                          apr_psprintf(p->pool, "closing tag '%s' without an open section",
                                       quoted_tag(p, tag)));
    }
    if (strcmp(frame->section->name, tag->name) != 0) {
        return parse_fail(p, tag->start,
                          apr_psprintf(p->pool,
                                       "closing tag '%s' does not match the open section '%s' "
                                       "(opened at %s)", quoted_tag(p, tag), frame->section->name,
                                       position_text(p, frame->opened_at)));
    }
    p->depth--;
    return APR_SUCCESS;
}

static apr_status_t tag_apply(parser_t *p, const tag_t *tag)
{
    switch (tag->kind) {
    case TAG_VARIABLE:
    case TAG_RAW:
        name_split(p, node_add(p, tag->kind == TAG_RAW ? NODE_RAW : NODE_VARIABLE), tag->name);
        return APR_SUCCESS;
    case TAG_SECTION:
    case TAG_INVERTED:
        return section_open(p, tag);
    case TAG_CLOSE:
        return section_close(p, tag);
    default:
        return APR_SUCCESS;   /* a comment */
    }
}

static apr_status_t source_check(parser_t *p)
{
    apr_size_t bad;

    if (p->len > SAP_MUSTACHE_MAX_SOURCE) {
        return parse_fail(p, SAP_MUSTACHE_MAX_SOURCE,
                          apr_psprintf(p->pool, "template longer than %d bytes",
                                       SAP_MUSTACHE_MAX_SOURCE));
    }
    bad = utf8_invalid_at(p->src, p->len);
    if (bad < p->len) {
        return parse_fail(p, bad, "invalid UTF-8 in the template");
    }
    return APR_SUCCESS;
}

static apr_status_t parse_all(parser_t *p)
{
    apr_status_t rv;

    while (p->pos < p->len) {
        const char *open = strstr(p->src + p->pos, "{{");
        apr_size_t text_end, next;
        tag_t tag;

        if (!open) {
            text_add(p, p->pos, p->len);
            p->pos = p->len;
            break;
        }
        rv = tag_read(p, (apr_size_t)(open - p->src), &tag);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        text_end = tag.start;
        next = tag.end;
        tag_standalone(p, &tag, &text_end, &next);
        text_add(p, p->pos, text_end);
        rv = tag_apply(p, &tag);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        p->pos = next;
    }
    if (p->depth > 0) {
        const frame_t *frame = &p->frames[p->depth];

        return parse_fail(p, frame->opened_at,
                          apr_psprintf(p->pool, "unclosed section '%s' (opened at %s)",
                                       frame->section->name,
                                       position_text(p, frame->opened_at)));
    }
    return APR_SUCCESS;
}

apr_status_t sap_mustache_parse(apr_pool_t *pool, const char *source, sap_mustache_t **ptpl,
                                sap_mustache_error_t *err)
{
    sap_mustache_t *tpl = apr_pcalloc(pool, sizeof(*tpl));
    parser_t *p = apr_pcalloc(pool, sizeof(*p));
    apr_status_t rv;

    *ptpl = NULL;
    if (err) {
        memset(err, 0, sizeof(*err));
    }
    p->pool = pool;
    p->err = err;
    p->len = source ? strlen(source) : 0;
    /* the check runs on the caller's text: no copy of an oversized source */
    p->src = source ? source : "";
    rv = source_check(p);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    p->src = apr_pstrmemdup(pool, p->src, p->len);
    p->frames[0].tail = &tpl->first;
    rv = parse_all(p);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    *ptpl = tpl;
leave:
    return rv;
}

/* ---------------------------------------------------------------- output */

typedef struct output_t {
    apr_pool_t *pool;
    char *buf;
    apr_size_t len;
    apr_size_t cap;
    apr_size_t max;
    int full;              /* something was cut, or the step budget ran out */
} output_t;

static void output_reserve(output_t *out, apr_size_t extra)
{
    apr_size_t want = out->len + extra + 1;
    apr_size_t cap = out->cap ? out->cap : 256;
    char *buf;

    if (want <= out->cap) {
        return;
    }
    while (cap < want) {
        cap *= 2;
    }
    if (cap - 1 > out->max) {
        cap = out->max + 1;
    }
    buf = apr_palloc(out->pool, cap);
    if (out->len) {
        memcpy(buf, out->buf, out->len);
    }
    out->buf = buf;
    out->cap = cap;
}

/* Appends what fits, cut at a code point boundary. */
static void output_add(output_t *out, const char *data, apr_size_t len)
{
    apr_size_t room = out->max - out->len;

    if (out->full || len == 0) {
        return;
    }
    if (len > room) {
        len = utf8_prefix_len(data, room);
        out->full = 1;
    }
    if (len == 0) {
        return;
    }
    output_reserve(out, len);
    memcpy(out->buf + out->len, data, len);
    out->len += len;
}

/* Appends all of data or, when it does not fit, nothing (an entity). */
static void output_add_whole(output_t *out, const char *data, apr_size_t len)
{
    if (!out->full && len > out->max - out->len) {
        out->full = 1;
    }
    output_add(out, data, len);
}

static const char *mrkdwn_entity(char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    default:
        return NULL;
    }
}

static void output_add_escaped(output_t *out, const char *text, apr_size_t len)
{
    apr_size_t run = 0, i;

    for (i = 0; i < len && !out->full; i++) {
        const char *entity = mrkdwn_entity(text[i]);

        if (entity) {
            output_add(out, text + run, i - run);
            output_add_whole(out, entity, strlen(entity));
            run = i + 1;
        }
    }
    if (i == len) {
        output_add(out, text + run, len - run);
    }
}

const char *sap_mrkdwn_escape(apr_pool_t *pool, const char *text)
{
    output_t out;
    apr_size_t len = text ? strlen(text) : 0;

    memset(&out, 0, sizeof(out));
    out.pool = pool;
    out.max = 5 * len;   /* every byte an entity at worst: never cut */
    output_add_escaped(&out, text, len);
    if (!out.buf) {
        return "";
    }
    out.buf[out.len] = '\0';
    return out.buf;
}

/* ---------------------------------------------------------------- render */

typedef struct renderer_t {
    output_t out;
    sap_mustache_escape_t escape;
    json_t *stack[SAP_MUSTACHE_MAX_DEPTH + 1];
    int top;               /* index of the innermost context */
    unsigned long steps;
} renderer_t;

/* "." is the innermost context; a dotted name finds its first part in the
 * innermost object that has it, then walks down from there. */
static json_t *name_lookup(const renderer_t *r, const node_t *node)
{
    json_t *value = NULL;
    int level, part;

    if (node->nparts == 0) {
        return r->stack[r->top];
    }
    for (level = r->top; level >= 0 && !value; level--) {
        value = json_object_get(r->stack[level], node->parts[0]);
    }
    for (part = 1; part < node->nparts && value; part++) {
        value = json_object_get(value, node->parts[part]);
    }
    return value;
}

static int value_truthy(const json_t *value)
{
    if (!value || json_is_null(value) || json_is_false(value)) {
        return 0;
    }
    if (json_is_string(value)) {
        return json_string_length(value) > 0;
    }
    if (json_is_array(value)) {
        return json_array_size(value) > 0;
    }
    return 1;
}

static void value_output(renderer_t *r, const json_t *value, int raw)
{
    char number[64];
    const char *text = NULL;
    apr_size_t len = 0;

    if (!value) {
        return;   /* missing */
    }
    switch (json_typeof(value)) {
    case JSON_STRING:
        text = json_string_value(value);
        len = json_string_length(value);
        break;
    case JSON_INTEGER:
        len = (apr_size_t)snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT,
                                   json_integer_value(value));
        text = number;
        break;
    case JSON_REAL:
        len = (apr_size_t)snprintf(number, sizeof(number), "%.15g", json_real_value(value));
        text = number;
        break;
    case JSON_TRUE:
        text = "true";
        len = 4;
        break;
    case JSON_FALSE:
        text = "false";
        len = 5;
        break;
    default:
        return;   /* null, objects and arrays print nothing */
    }
    if (raw || r->escape == SAP_ESCAPE_NONE) {
        output_add(&r->out, text, len);
    }
    else {
        output_add_escaped(&r->out, text, len);
    }
}

static void nodes_render(renderer_t *r, const node_t *node);

static void section_with(renderer_t *r, const node_t *section, json_t *value)
{
    r->stack[++r->top] = value;
    nodes_render(r, section->children);
    r->top--;
}

static void section_render(renderer_t *r, const node_t *section)
{
    json_t *value = name_lookup(r, section);
    size_t index;

    if (section->kind == NODE_INVERTED) {
        if (!value_truthy(value)) {
            nodes_render(r, section->children);
        }
        return;
    }
    if (!value_truthy(value)) {
        return;
    }
    if (!json_is_array(value)) {
        section_with(r, section, value);
        return;
    }
    for (index = 0; index < json_array_size(value) && !r->out.full; index++) {
        section_with(r, section, json_array_get(value, index));
    }
}

static void nodes_render(renderer_t *r, const node_t *node)
{
    for (; node && !r->out.full; node = node->next) {
        if (++r->steps > RENDER_MAX_STEPS) {
            r->out.full = 1;
            return;
        }
        switch (node->kind) {
        case NODE_TEXT:
            output_add(&r->out, node->text, node->text_len);
            break;
        case NODE_VARIABLE:
        case NODE_RAW:
            value_output(r, name_lookup(r, node), node->kind == NODE_RAW);
            break;
        default:
            section_render(r, node);
            break;
        }
    }
}

const char *sap_mustache_render(apr_pool_t *pool, const sap_mustache_t *tpl, json_t *context,
                                sap_mustache_escape_t escape, apr_size_t max_len,
                                int *ptruncated)
{
    renderer_t *r = apr_pcalloc(pool, sizeof(*r));

    r->out.pool = pool;
    r->out.max = max_len;
    r->escape = escape;
    r->stack[0] = context;
    if (tpl) {
        nodes_render(r, tpl->first);
    }
    if (ptruncated) {
        *ptruncated = r->out.full;
    }
    if (!r->out.buf) {
        return "";
    }
    r->out.buf[r->out.len] = '\0';
    return r->out.buf;
}
