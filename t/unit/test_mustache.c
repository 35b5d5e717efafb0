/* Unit tests of sap_mustache: names and the context stack, sections,
 * escaping, the standalone-line rule, parse errors with their positions,
 * the output cap and the limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <apr_pools.h>
#include <apr_strings.h>

#include "helper_fixtures.h"
#include "sap_mustache.h"

#define NO_CAP (1024 * 1024)

/* ---------------------------------------------------------------- helpers */

static json_t *context_load(const char *json)
{
    json_t *context;

    if (!json) {
        return NULL;
    }
    context = json_loads(json, JSON_DECODE_ANY, NULL);
    assert_non_null(context);
    return context;
}

static const char *render_with(apr_pool_t *pool, const char *source, const char *json,
                               sap_mustache_escape_t escape)
{
    sap_mustache_t *tpl = NULL;
    sap_mustache_error_t err;
    json_t *context = context_load(json);
    const char *out;
    int truncated = -1;

    if (sap_mustache_parse(pool, source, &tpl, &err) != APR_SUCCESS) {
        fail_msg("parse of \"%s\" failed: %s (line %d, column %d)", source, err.message, err.line,
                 err.column);
    }
    assert_non_null(tpl);
    out = sap_mustache_render(pool, tpl, context, escape, NO_CAP, &truncated);
    assert_non_null(out);
    assert_int_equal(truncated, 0);
    json_decref(context);
    return out;
}

static const char *render(apr_pool_t *pool, const char *source, const char *json)
{
    return render_with(pool, source, json, SAP_ESCAPE_NONE);
}

static const char *render_mrkdwn(apr_pool_t *pool, const char *source, const char *json)
{
    return render_with(pool, source, json, SAP_ESCAPE_MRKDWN);
}

static void expect_error(apr_pool_t *pool, const char *source, const char *message_part,
                         int line, int column, apr_size_t offset)
{
    sap_mustache_t *tpl = (sap_mustache_t *)1;
    sap_mustache_error_t err;

    assert_int_equal(sap_mustache_parse(pool, source, &tpl, &err), APR_EINVAL);
    assert_null(tpl);
    assert_non_null(err.message);
    if (!strstr(err.message, message_part)) {
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", source, err.message, message_part);
    }
    if (err.line != line || err.column != column || err.offset != offset) {
        fail_msg("\"%s\": at line %d, column %d, offset %lu; expected %d, %d, %lu", source,
                 err.line, err.column, (unsigned long)err.offset, line, column,
                 (unsigned long)offset);
    }
}

static int utf8_valid(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;

    while (*s) {
        int extra = *s < 0x80 ? 0 : (*s & 0xE0) == 0xC0 ? 1 : (*s & 0xF0) == 0xE0 ? 2
                  : (*s & 0xF8) == 0xF0 ? 3 : -1;

        if (extra < 0) {
            return 0;
        }
        for (s++; extra > 0; extra--, s++) {
            if ((*s & 0xC0) != 0x80) {
                return 0;
            }
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- variables */

static void test_variables(void **state)
{
    apr_pool_t *pool = *state;

    assert_string_equal(render(pool, "Hello {{name}}!", "{\"name\": \"Ada\"}"), "Hello Ada!");
    assert_string_equal(render(pool, "Hello {{ name }}!", "{\"name\": \"Ada\"}"), "Hello Ada!");
    assert_string_equal(render(pool, "Hello {{\tname\t}}!", "{\"name\": \"Ada\"}"), "Hello Ada!");
    assert_string_equal(render(pool, "[{{missing}}]", "{\"name\": \"Ada\"}"), "[]");
    assert_string_equal(render(pool, "{{a}}{{b}}{{a}}", "{\"a\": \"x\", \"b\": \"y\"}"), "xyx");
    assert_string_equal(render(pool, "{{step-name}} {{snake_case}} {{Cap9}}",
                               "{\"step-name\": 1, \"snake_case\": 2, \"Cap9\": 3}"), "1 2 3");
    assert_string_equal(render(pool, "no tags at all", "{}"), "no tags at all");
    assert_string_equal(render(pool, "", "{}"), "");
    assert_string_equal(render(pool, "single } and { braces", "{}"), "single } and { braces");
    assert_string_equal(render(pool, "héllo {{w}} ✓", "{\"w\": \"wörld\"}"), "héllo wörld ✓");
}

static void test_value_types(void **state)
{
    apr_pool_t *pool = *state;
    static const char context[] =
        "{\"i\": 42, \"neg\": -7, \"big\": 9007199254740993, \"zero\": 0,"
        " \"r\": 1.5, \"third\": 0.3333333333333333, \"sum\": 0.30000000000000004,"
        " \"huge\": 1e20, \"t\": true, \"f\": false, \"n\": null,"
        " \"o\": {\"a\": 1}, \"arr\": [1, 2], \"empty\": \"\"}";

    assert_string_equal(render(pool, "{{i}} {{neg}} {{big}} {{zero}}", context),
                        "42 -7 9007199254740993 0");
    assert_string_equal(render(pool, "{{r}} {{third}} {{sum}} {{huge}}", context),
                        "1.5 0.333333333333333 0.3 1e+20");
    assert_string_equal(render(pool, "{{t}} {{f}}", context), "true false");
    assert_string_equal(render(pool, "[{{n}}][{{o}}][{{arr}}][{{empty}}]", context), "[][][][]");
    assert_string_equal(render(pool, "[{{{n}}}][{{&o}}]", context), "[][]");
}

static void test_dotted_names(void **state)
{
    apr_pool_t *pool = *state;
    static const char context[] =
        "{\"approval\": {\"subject\": {\"key\": \"FIN-12\","
        " \"container\": {\"name\": \"Finance\"}}},"
        " \"s\": \"text\", \"n\": null}";

    assert_string_equal(render(pool, "{{approval.subject.key}}", context), "FIN-12");
    assert_string_equal(render(pool, "{{ approval.subject.container.name }}", context),
                        "Finance");
    assert_string_equal(render(pool, "[{{approval.missing.key}}]", context), "[]");
    assert_string_equal(render(pool, "[{{approval.subject.key.deeper}}]", context), "[]");
    assert_string_equal(render(pool, "[{{s.length}}][{{n.x}}][{{nothing.at.all}}]", context),
                        "[][][]");
    assert_string_equal(render(pool, "{{#approval.subject}}{{key}}{{/approval.subject}}", context),
                        "FIN-12");
    assert_string_equal(render(pool, "{{{approval.subject.key}}}", context), "FIN-12");
}

static void test_context_stack(void **state)
{
    apr_pool_t *pool = *state;

    /* a name missing in the section's object is looked up outside it */
    assert_string_equal(render(pool, "{{#a}}{{x}}-{{y}}{{/a}}",
                               "{\"x\": \"outer\", \"a\": {\"y\": \"inner\"}}"), "outer-inner");
    /* the innermost object that has the name wins */
    assert_string_equal(render(pool, "{{x}}{{#a}}{{x}}{{#b}}{{x}}{{/b}}{{x}}{{/a}}{{x}}",
                               "{\"x\": 1, \"a\": {\"x\": 2, \"b\": {\"x\": 3}}}"), "12321");
    /* a list item sees the enclosing context */
    assert_string_equal(render(pool, "{{#items}}{{name}}@{{place}} {{/items}}",
                               "{\"place\": \"here\", \"items\": [{\"name\": \"a\"},"
                               " {\"name\": \"b\", \"place\": \"there\"}]}"),
                        "a@here b@there ");
    /* only the first part of a dotted name climbs the stack (spec: context precedence) */
    assert_string_equal(render(pool, "[{{#a}}{{b.c}}{{/a}}]",
                               "{\"a\": {\"b\": {}}, \"b\": {\"c\": \"ERROR\"}}"), "[]");
    assert_string_equal(render(pool, "{{#a}}{{b.c}}{{/a}}",
                               "{\"a\": {\"x\": 1}, \"b\": {\"c\": \"outer\"}}"), "outer");
    /* a scalar pushed by a section hides nothing */
    assert_string_equal(render(pool, "{{#flag}}{{name}}{{/flag}}",
                               "{\"flag\": true, \"name\": \"Ada\"}"), "Ada");
}

static void test_dot(void **state)
{
    apr_pool_t *pool = *state;

    assert_string_equal(render(pool, "{{#list}}{{.}},{{/list}}",
                               "{\"list\": [1, \"two\", true, null, 2.5, false]}"),
                        "1,two,true,,2.5,false,");
    assert_string_equal(render(pool, "{{#name}}<{{.}}>{{/name}}", "{\"name\": \"Ada\"}"), "<Ada>");
    assert_string_equal(render(pool, "{{#grid}}{{#.}}{{.}}{{/.}};{{/grid}}",
                               "{\"grid\": [[1, 2], [3], []]}"), "12;3;;");
    assert_string_equal(render_mrkdwn(pool, "{{#l}}{{.}}|{{{.}}} {{/l}}", "{\"l\": [\"<a>\"]}"),
                        "&lt;a&gt;|<a> ");
    /* "." at the top level is the context itself */
    assert_string_equal(render(pool, "{{.}}", "\"whole\""), "whole");
}

/* ---------------------------------------------------------------- sections */

static void test_sections(void **state)
{
    apr_pool_t *pool = *state;
    static const char context[] =
        "{\"t\": true, \"f\": false, \"n\": null, \"s\": \"x\", \"e\": \"\", \"zero\": 0,"
        " \"arr\": [{\"v\": 1}, {\"v\": 2}, {\"v\": 3}], \"none\": [], \"obj\": {\"v\": \"o\"},"
        " \"eo\": {}}";

    assert_string_equal(render(pool, "{{#t}}yes{{/t}}", context), "yes");
    assert_string_equal(render(pool, "[{{#f}}no{{/f}}{{#n}}no{{/n}}{{#missing}}no{{/missing}}]",
                               context), "[]");
    assert_string_equal(render(pool, "[{{#e}}no{{/e}}{{#none}}no{{/none}}]", context), "[]");
    assert_string_equal(render(pool, "{{#s}}yes{{/s}} {{#zero}}zero is truthy{{/zero}}", context),
                        "yes zero is truthy");
    assert_string_equal(render(pool, "{{#arr}}{{v}}{{/arr}}", context), "123");
    assert_string_equal(render(pool, "{{#obj}}{{v}}{{/obj}}", context), "o");
    assert_string_equal(render(pool, "{{#eo}}once{{/eo}}", context), "once");
    assert_string_equal(render(pool, "{{#arr}}{{#t}}{{v}}{{/t}}{{/arr}}", context), "123");
    assert_string_equal(render(pool, "{{# obj }}{{v}}{{/ obj }}", context), "o");
    assert_string_equal(render(pool, "{{#arr}}({{#obj}}{{v}}{{/obj}}){{/arr}}", context),
                        "(o)(o)(o)");
    /* nested lists */
    assert_string_equal(render(pool, "{{#a}}{{n}}:{{#b}}{{m}}{{/b}} {{/a}}",
                               "{\"a\": [{\"n\": 1, \"b\": [{\"m\": \"x\"}, {\"m\": \"y\"}]},"
                               " {\"n\": 2, \"b\": []}]}"), "1:xy 2: ");
}

static void test_inverted_sections(void **state)
{
    apr_pool_t *pool = *state;
    static const char context[] =
        "{\"t\": true, \"f\": false, \"n\": null, \"e\": \"\", \"none\": [], \"arr\": [1],"
        " \"obj\": {}, \"zero\": 0}";

    assert_string_equal(render(pool, "{{^f}}a{{/f}}{{^n}}b{{/n}}{{^e}}c{{/e}}{{^none}}d{{/none}}"
                                     "{{^missing}}e{{/missing}}", context), "abcde");
    assert_string_equal(render(pool, "[{{^t}}x{{/t}}{{^arr}}x{{/arr}}{{^obj}}x{{/obj}}"
                                     "{{^zero}}x{{/zero}}]", context), "[]");
    assert_string_equal(render(pool, "{{#arr}}has{{/arr}}{{^arr}}none{{/arr}}", context), "has");
    assert_string_equal(render(pool, "{{#none}}has{{/none}}{{^none}}none{{/none}}", context),
                        "none");
    assert_string_equal(render(pool, "{{^ f }}spaced{{/ f }}", context), "spaced");
}

static void test_raw_and_comments(void **state)
{
    apr_pool_t *pool = *state;
    static const char context[] = "{\"x\": \"a & <b>\"}";

    assert_string_equal(render_mrkdwn(pool, "{{{x}}}|{{{ x }}}|{{&x}}|{{& x }}", context),
                        "a & <b>|a & <b>|a & <b>|a & <b>");
    assert_string_equal(render(pool, "a{{! a comment }}b", "{}"), "ab");
    assert_string_equal(render(pool, "a{{!no space}}b{{!}}c", "{}"), "abc");
    assert_string_equal(render(pool, "a{{! spans\n two lines {{x }}b", context), "ab");
    /* like the spec: the first closing braces end a comment */
    assert_string_equal(render(pool, "a{{! x {{y}} }}b", context), "a }}b");
    assert_string_equal(render(pool, "a{{! unbalanced { braces }}b", "{}"), "ab");
}

/* ---------------------------------------------------------------- escaping */

static void test_mrkdwn_escaping(void **state)
{
    apr_pool_t *pool = *state;
    static const char context[] =
        "{\"ping\": \"<!channel>\", \"user\": \"<@U123>\", \"amp\": \"a & b\","
        " \"link\": \"<https://evil.example|click>\", \"entity\": \"&amp;\"}";

    assert_string_equal(render_mrkdwn(pool, "{{ping}} {{user}} {{amp}}", context),
                        "&lt;!channel&gt; &lt;@U123&gt; a &amp; b");
    assert_string_equal(render_mrkdwn(pool, "{{link}}", context),
                        "&lt;https://evil.example|click&gt;");
    assert_string_equal(render_mrkdwn(pool, "{{entity}}", context), "&amp;amp;");
    /* raw tags and plain text leave values alone */
    assert_string_equal(render_mrkdwn(pool, "{{{ping}}} {{&user}} {{{amp}}}", context),
                        "<!channel> <@U123> a & b");
    assert_string_equal(render(pool, "{{ping}} {{user}} {{amp}}", context),
                        "<!channel> <@U123> a & b");
    /* the template's own text is never escaped */
    assert_string_equal(render_mrkdwn(pool, "<{{u}}|{{n}}> & *bold* <!here>",
                                      "{\"u\": \"https://x.example/?a=1\", \"n\": \"A<B\"}"),
                        "<https://x.example/?a=1|A&lt;B> & *bold* <!here>");
    /* other mrkdwn characters are not Slack's to escape */
    assert_string_equal(render_mrkdwn(pool, "{{v}}", "{\"v\": \"*_~`|\\\"'\"}"), "*_~`|\"'");

    assert_string_equal(sap_mrkdwn_escape(pool, "<!everyone> & <#C1|x>"),
                        "&lt;!everyone&gt; &amp; &lt;#C1|x&gt;");
    assert_string_equal(sap_mrkdwn_escape(pool, "plain ünïcode"), "plain ünïcode");
    assert_string_equal(sap_mrkdwn_escape(pool, ""), "");
    assert_string_equal(sap_mrkdwn_escape(pool, NULL), "");
    assert_string_equal(sap_mrkdwn_escape(pool, "&&&"), "&amp;&amp;&amp;");
}

/* ---------------------------------------------------------------- standalone lines */

static void test_standalone_lines(void **state)
{
    apr_pool_t *pool = *state;
    static const char context[] = "{\"t\": true, \"f\": false, \"l\": [1, 2], \"v\": \"V\"}";

    /* section, inverted, closing tags and comments alone on a line vanish with it */
    assert_string_equal(render(pool, "| This Is\n{{#t}}\n|\n{{/t}}\n| A Line", context),
                        "| This Is\n|\n| A Line");
    assert_string_equal(render(pool, "| This Is\n  {{^f}}  \n|\n\t{{/f}}\t\n| A Line", context),
                        "| This Is\n|\n| A Line");
    assert_string_equal(render(pool, "Begin.\n{{! Comment Block! }}\nEnd.", context),
                        "Begin.\nEnd.");
    assert_string_equal(render(pool, "Begin.\n  {{! multi\nline }}  \nEnd.", context),
                        "Begin.\nEnd.");
    assert_string_equal(render(pool, "{{#l}}\n- {{.}}\n{{/l}}\n", context), "- 1\n- 2\n");
    /* \r\n line ends */
    assert_string_equal(render(pool, "|\r\n{{#t}}\r\n{{/t}}\r\n|", context), "|\r\n|");
    /* at the start and the end of the source, without a newline */
    assert_string_equal(render(pool, "  {{#t}}\n#{{/t}}\n/", context), "#\n/");
    assert_string_equal(render(pool, "#{{#t}}\n/\n  {{/t}}", context), "#\n/\n");
    /* not standalone: other text or another tag on the line */
    assert_string_equal(render(pool, " {{#t}}YES{{/t}}\n", context), " YES\n");
    assert_string_equal(render(pool, " {{#t}}\n {{/t}} x\n", context), "  x\n");
    assert_string_equal(render(pool, "{{#t}}{{/t}}\n", context), "\n");
    assert_string_equal(render(pool, " {{#t}} {{v}}\n {{/t}}\n", context), "  V\n");
    assert_string_equal(render(pool, "a{{! c }}\n", context), "a\n");
    /* variables never are */
    assert_string_equal(render(pool, "  {{v}}\n", context), "  V\n");
    assert_string_equal(render(pool, "  {{{v}}}\n", context), "  V\n");
    /* nested standalone sections */
    assert_string_equal(render(pool, "a\n{{#t}}\n  {{#l}}\n  {{.}}\n  {{/l}}\n{{/t}}\nb\n",
                               context), "a\n  1\n  2\nb\n");
    /* an empty line stays */
    assert_string_equal(render(pool, "a\n\n{{#f}}\nx\n{{/f}}\nb", context), "a\n\nb");
}

/* ---------------------------------------------------------------- parse errors */

static void test_parse_errors(void **state)
{
    apr_pool_t *pool = *state;

    expect_error(pool, "Hello {{name", "unclosed tag", 1, 7, 6);
    expect_error(pool, "Hello {{{name}}!", "unclosed tag", 1, 7, 6);
    expect_error(pool, "ab\n{{#a}}{{/a", "unclosed tag", 2, 7, 9);
    expect_error(pool, "x {{", "unclosed tag", 1, 3, 2);
    expect_error(pool, "Hello {{name, see {{url}}", "unclosed tag", 1, 7, 6);
    expect_error(pool, "a\n  {{ }}", "empty name in tag '{{ }}'", 2, 3, 4);
    expect_error(pool, "{{}}", "empty name", 1, 1, 0);
    expect_error(pool, "{{#}}{{/}}", "empty name", 1, 1, 0);
    expect_error(pool, "{{{ }}}", "empty name", 1, 1, 0);
    expect_error(pool, "x\n{{& }}", "empty name", 2, 1, 2);
    expect_error(pool, "{{#a}}\nx\n", "unclosed section 'a' (opened at line 1, column 1)", 1, 1,
                 0);
    expect_error(pool, "text\n  {{#step.decisions}}\n{{#b}}{{/b}}",
                 "unclosed section 'step.decisions' (opened at line 2, column 3)", 2, 3, 7);
    expect_error(pool, "{{#a}}\n  {{#b}}x{{/a}}",
                 "closing tag '{{/a}}' does not match the open section 'b' "
                 "(opened at line 2, column 3)", 2, 10, 16);
    expect_error(pool, "x\n{{/a}}", "closing tag '{{/a}}' without an open section", 2, 1, 2);
    expect_error(pool, "{{#a}}{{/a}}{{/a}}", "without an open section", 1, 13, 12);
    expect_error(pool, "{{> part}}", "partials", 1, 1, 0);
    expect_error(pool, "a\nb {{>part}}", "not supported", 2, 3, 4);
    expect_error(pool, "a {{=<% %>=}}", "delimiter changes", 1, 3, 2);
    expect_error(pool, "{{=<% %>=}}", "not supported", 1, 1, 0);
    expect_error(pool, "x {{a b}}", "invalid name in tag '{{a b}}'", 1, 3, 2);
    expect_error(pool, "{{#a!}}{{/a!}}", "'{{#a!}}'", 1, 1, 0);
    expect_error(pool, "{{a..b}}", "invalid name", 1, 1, 0);
    expect_error(pool, "{{.a}}", "invalid name", 1, 1, 0);
    expect_error(pool, "{{a.}}", "invalid name", 1, 1, 0);
    expect_error(pool, "{{x/y}}", "invalid name", 1, 1, 0);
    expect_error(pool, "{{ é }}", "invalid name", 1, 1, 0);
    expect_error(pool, "{{$block}}", "invalid name", 1, 1, 0);
    expect_error(pool, "{{a\nb}}", "invalid name", 1, 1, 0);
    /* invalid UTF-8: the offending byte */
    expect_error(pool, "ab\xc3(", "invalid UTF-8", 1, 3, 2);
    expect_error(pool, "ok\nx\xc0\xaf", "invalid UTF-8", 2, 2, 4);
    expect_error(pool, "\xed\xa0\x80", "invalid UTF-8", 1, 1, 0);       /* a surrogate */
    expect_error(pool, "\xf4\x90\x80\x80", "invalid UTF-8", 1, 1, 0);   /* above U+10FFFF */
    expect_error(pool, "\xe0\x80\xaf", "invalid UTF-8", 1, 1, 0);       /* overlong */
    expect_error(pool, "end \xe2\x82", "invalid UTF-8", 1, 5, 4);       /* cut short */
    expect_error(pool, "\xff", "invalid UTF-8", 1, 1, 0);
}

static void test_parse_error_may_be_null(void **state)
{
    apr_pool_t *pool = *state;
    sap_mustache_t *tpl = NULL;

    assert_int_equal(sap_mustache_parse(pool, "{{#a}}", &tpl, NULL), APR_EINVAL);
    assert_null(tpl);
    assert_int_equal(sap_mustache_parse(pool, "{{a}}", &tpl, NULL), APR_SUCCESS);
    assert_non_null(tpl);
}

static void test_quoted_tag_is_shortened(void **state)
{
    apr_pool_t *pool = *state;
    sap_mustache_t *tpl = NULL;
    sap_mustache_error_t err;
    char letters[45];
    char *source;
    const char *cut;

    /* the 48-byte quote would end inside the first é: it stops before it */
    memset(letters, 'a', sizeof(letters) - 1);
    letters[sizeof(letters) - 1] = '\0';
    source = apr_pstrcat(pool, "{{ ", letters, "éééééé and more words }}", NULL);

    assert_int_equal(sap_mustache_parse(pool, source, &tpl, &err), APR_EINVAL);
    assert_non_null(strstr(err.message, "invalid name"));
    assert_true(strlen(err.message) < 200);
    assert_true(utf8_valid(err.message));
    cut = strstr(err.message, letters);
    assert_non_null(cut);
    assert_memory_equal(cut + strlen(letters), "…'", strlen("…'"));
}

/* ---------------------------------------------------------------- limits */

static char *nested_source(apr_pool_t *pool, int depth)
{
    char *source = "";
    int level;

    for (level = 0; level < depth; level++) {
        source = apr_pstrcat(pool, source, "{{#a}}", NULL);
    }
    source = apr_pstrcat(pool, source, "{{v}}", NULL);
    for (level = 0; level < depth; level++) {
        source = apr_pstrcat(pool, source, "{{/a}}", NULL);
    }
    return source;
}

static void test_depth_limit(void **state)
{
    apr_pool_t *pool = *state;
    char *message = apr_psprintf(pool, "sections nested deeper than %d", SAP_MUSTACHE_MAX_DEPTH);

    assert_string_equal(render(pool, nested_source(pool, SAP_MUSTACHE_MAX_DEPTH),
                               "{\"a\": true, \"v\": \"deep\"}"), "deep");
    expect_error(pool, nested_source(pool, SAP_MUSTACHE_MAX_DEPTH + 1), message, 1,
                 6 * SAP_MUSTACHE_MAX_DEPTH + 1, 6 * SAP_MUSTACHE_MAX_DEPTH);
    /* siblings do not add up */
    assert_string_equal(render(pool, apr_pstrcat(pool, nested_source(pool, SAP_MUSTACHE_MAX_DEPTH),
                                                 nested_source(pool, SAP_MUSTACHE_MAX_DEPTH),
                                                 NULL),
                               "{\"a\": [1], \"v\": \"x\"}"), "xx");
}

static void test_size_limit(void **state)
{
    apr_pool_t *pool = *state;
    char *source = apr_palloc(pool, SAP_MUSTACHE_MAX_SOURCE + 2);
    sap_mustache_t *tpl = NULL;
    const char *out;

    memset(source, 'x', SAP_MUSTACHE_MAX_SOURCE);
    source[SAP_MUSTACHE_MAX_SOURCE] = '\0';
    assert_int_equal(sap_mustache_parse(pool, source, &tpl, NULL), APR_SUCCESS);
    out = sap_mustache_render(pool, tpl, NULL, SAP_ESCAPE_NONE, NO_CAP, NULL);
    assert_int_equal(strlen(out), SAP_MUSTACHE_MAX_SOURCE);

    source[SAP_MUSTACHE_MAX_SOURCE] = 'x';
    source[SAP_MUSTACHE_MAX_SOURCE + 1] = '\0';
    expect_error(pool, source, "template longer than", 1, SAP_MUSTACHE_MAX_SOURCE + 1,
                 SAP_MUSTACHE_MAX_SOURCE);
}

/* For every cap: a prefix of the full output, valid UTF-8, within the cap,
 * flagged exactly when something was cut, and no entity cut in half. */
static void check_caps(apr_pool_t *pool, const char *source, const char *json,
                       sap_mustache_escape_t escape)
{
    sap_mustache_t *tpl = NULL;
    json_t *context = context_load(json);
    const char *full;
    apr_size_t full_len, cap;

    assert_int_equal(sap_mustache_parse(pool, source, &tpl, NULL), APR_SUCCESS);
    full = sap_mustache_render(pool, tpl, context, escape, NO_CAP, NULL);
    full_len = strlen(full);
    for (cap = 0; cap <= full_len + 2; cap++) {
        int truncated = -1;
        const char *out = sap_mustache_render(pool, tpl, context, escape, cap, &truncated);
        apr_size_t len = strlen(out);
        const char *amp;

        assert_true(len <= cap);
        assert_memory_equal(out, full, len);
        assert_true(utf8_valid(out));
        assert_int_equal(truncated, len < full_len);
        /* nothing is dropped that would have fitted whole (a code point is at most 4 bytes) */
        assert_true(len == full_len || len + 4 >= cap || escape == SAP_ESCAPE_MRKDWN);
        for (amp = strchr(out, '&'); amp; amp = strchr(amp + 1, '&')) {
            if (escape == SAP_ESCAPE_MRKDWN) {
                assert_true(strncmp(amp, "&amp;", 5) == 0 || strncmp(amp, "&lt;", 4) == 0
                            || strncmp(amp, "&gt;", 4) == 0);
            }
        }
    }
    json_decref(context);
}

static void test_max_len_utf8(void **state)
{
    apr_pool_t *pool = *state;
    static const char context[] =
        "{\"two\": \"éééé\", \"three\": \"€€€\", \"four\": \"😀😀\", \"mixed\": \"a&é<€>😀&\"}";

    check_caps(pool, "{{two}}|{{three}}|{{four}}", context, SAP_ESCAPE_NONE);
    check_caps(pool, "ü{{mixed}}ü{{mixed}}", context, SAP_ESCAPE_MRKDWN);
    check_caps(pool, "ü{{mixed}}ü{{{mixed}}}", context, SAP_ESCAPE_NONE);
    check_caps(pool, "€ literal 😀 text é", context, SAP_ESCAPE_MRKDWN);
}

static void test_max_len_cuts(void **state)
{
    apr_pool_t *pool = *state;
    sap_mustache_t *tpl = NULL;
    int truncated = -1;
    json_t *context = json_pack("{s:s}", "v", "€€");

    assert_int_equal(sap_mustache_parse(pool, "ab{{v}}", &tpl, NULL), APR_SUCCESS);
    /* "ab" + 3 bytes of € fit in 5, the next € does not fit in 6 or 7 */
    assert_string_equal(sap_mustache_render(pool, tpl, context, SAP_ESCAPE_NONE, 6, &truncated),
                        "ab€");
    assert_int_equal(truncated, 1);
    assert_string_equal(sap_mustache_render(pool, tpl, context, SAP_ESCAPE_NONE, 8, &truncated),
                        "ab€€");
    assert_int_equal(truncated, 0);
    assert_string_equal(sap_mustache_render(pool, tpl, context, SAP_ESCAPE_NONE, 0, &truncated),
                        "");
    assert_int_equal(truncated, 1);
    json_decref(context);

    context = json_pack("{s:s}", "v", "<<");
    assert_string_equal(sap_mustache_render(pool, tpl, context, SAP_ESCAPE_MRKDWN, 8, &truncated),
                        "ab&lt;");
    assert_int_equal(truncated, 1);
    json_decref(context);
}

static void test_render_budget(void **state)
{
    apr_pool_t *pool = *state;
    sap_mustache_t *tpl = NULL;
    json_t *context = json_pack("{s:[i,i,i,i,i,i,i,i,i,i]}", "a", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    int truncated = 0;
    const char *out;

    /* 10^16 iterations printing nothing: stopped by the step budget */
    assert_int_equal(sap_mustache_parse(pool, nested_source(pool, SAP_MUSTACHE_MAX_DEPTH), &tpl,
                                        NULL), APR_SUCCESS);
    out = sap_mustache_render(pool, tpl, context, SAP_ESCAPE_NONE, NO_CAP, &truncated);
    assert_string_equal(out, "");
    assert_int_equal(truncated, 1);
    json_decref(context);

    /* a large output is cut at the cap, not built whole first */
    context = json_pack("{s:[i,i,i,i,i,i,i,i,i,i], s:s}", "a", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, "v",
                        "xxxxxxxxxx");
    out = sap_mustache_render(pool, tpl, context, SAP_ESCAPE_NONE, 1000, &truncated);
    assert_int_equal(strlen(out), 1000);
    assert_int_equal(truncated, 1);
    json_decref(context);
}

static void test_null_inputs(void **state)
{
    apr_pool_t *pool = *state;
    sap_mustache_t *tpl = NULL;

    assert_int_equal(sap_mustache_parse(pool, NULL, &tpl, NULL), APR_SUCCESS);
    assert_string_equal(sap_mustache_render(pool, tpl, NULL, SAP_ESCAPE_NONE, 10, NULL), "");
    assert_string_equal(sap_mustache_render(pool, NULL, NULL, SAP_ESCAPE_NONE, 10, NULL), "");
    assert_int_equal(sap_mustache_parse(pool, "a{{b}}{{#c}}x{{/c}}{{^c}}y{{/c}}{{.}}", &tpl, NULL),
                     APR_SUCCESS);
    assert_string_equal(sap_mustache_render(pool, tpl, NULL, SAP_ESCAPE_MRKDWN, 10, NULL), "ay");
}

/* The parsed template keeps its own copy of the source. */
static void test_template_outlives_source(void **state)
{
    apr_pool_t *pool = *state;
    char source[] = "A{{v}}B";
    sap_mustache_t *tpl = NULL;
    json_t *context = json_pack("{s:s}", "v", "-");

    assert_int_equal(sap_mustache_parse(pool, source, &tpl, NULL), APR_SUCCESS);
    memset(source, 'z', sizeof(source) - 1);
    assert_string_equal(sap_mustache_render(pool, tpl, context, SAP_ESCAPE_NONE, 100, NULL),
                        "A-B");
    json_decref(context);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SAP_POOL_TEST(test_variables),
        SAP_POOL_TEST(test_value_types),
        SAP_POOL_TEST(test_dotted_names),
        SAP_POOL_TEST(test_context_stack),
        SAP_POOL_TEST(test_dot),
        SAP_POOL_TEST(test_sections),
        SAP_POOL_TEST(test_inverted_sections),
        SAP_POOL_TEST(test_raw_and_comments),
        SAP_POOL_TEST(test_mrkdwn_escaping),
        SAP_POOL_TEST(test_standalone_lines),
        SAP_POOL_TEST(test_parse_errors),
        SAP_POOL_TEST(test_parse_error_may_be_null),
        SAP_POOL_TEST(test_quoted_tag_is_shortened),
        SAP_POOL_TEST(test_depth_limit),
        SAP_POOL_TEST(test_size_limit),
        SAP_POOL_TEST(test_max_len_utf8),
        SAP_POOL_TEST(test_max_len_cuts),
        SAP_POOL_TEST(test_render_budget),
        SAP_POOL_TEST(test_null_inputs),
        SAP_POOL_TEST(test_template_outlives_source),
    };

    return cmocka_run_group_tests_name("sap_mustache", tests, sap_test_group_setup,
                                       sap_test_group_teardown);
}
