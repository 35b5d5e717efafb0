/* ISO 8601 times: what the engine's timestamps may look like, the
 * "2026-11-28 10:00 UTC" text, and the history API's date filters. The
 * expected instants are seconds since the epoch written out as numbers
 * (from Python's calendar.timegm), not computed by the code under test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "helper_fixtures.h"
#include "sap_time.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define SENTINEL ((apr_time_t)-42)

typedef struct parsed_t {
    const char *text;
    apr_int64_t seconds;   /* since 1970-01-01T00:00:00Z */
    apr_int64_t micro;     /* and microseconds */
} parsed_t;

static void expect_parsed(const parsed_t *cases, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        apr_time_t when = SENTINEL;
        apr_time_t expected = apr_time_from_sec(cases[i].seconds) + cases[i].micro;

        if (sap_time_parse_iso(cases[i].text, &when) != APR_SUCCESS) {
            fail_msg("\"%s\" refused", cases[i].text);
        }
        if (when != expected) {
            fail_msg("\"%s\": %" APR_INT64_T_FMT ", expected %" APR_INT64_T_FMT, cases[i].text,
                     (apr_int64_t)when, (apr_int64_t)expected);
        }
    }
}

static void expect_refused(const char *const *texts, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        apr_time_t when = SENTINEL;

        if (sap_time_parse_iso(texts[i], &when) != APR_EINVAL) {
            fail_msg("\"%s\" accepted", texts[i] ? texts[i] : "(null)");
        }
        if (when != SENTINEL) {
            fail_msg("\"%s\" refused but the time was written", texts[i] ? texts[i] : "(null)");
        }
    }
}

/* ---------------------------------------------------------------- sap_time_parse_iso */

static void test_accepted_forms(void **state)
{
    static const parsed_t cases[] = {
        { "2026-11-28T10:00:00Z", 1795860000, 0 },
        { "2026-11-28T10:00:00z", 1795860000, 0 },
        { "2026-11-28t10:00:00Z", 1795860000, 0 },
        { "2026-11-28 10:00:00Z", 1795860000, 0 },
        { "2026-11-28T10:00Z", 1795860000, 0 },           /* no seconds */
        { "2026-11-28T10:00:00", 1795860000, 0 },         /* no zone: UTC */
        { "2026-11-28 10:00", 1795860000, 0 },
        { "2026-11-28T10:00:59Z", 1795860059, 0 },
        { "1970-01-01T00:00:00Z", 0, 0 },
        { "9999-12-31T23:59:59Z", 253402300799LL, 0 },
        /* a leap second is the next minute's first */
        { "2026-12-31T23:59:60Z", 1798761600, 0 },
    };

    expect_parsed(cases, COUNT(cases));
}

static void test_offsets_converted_to_utc(void **state)
{
    static const parsed_t cases[] = {
        { "2026-11-28T12:00:00+02:00", 1795860000, 0 },
        { "2026-11-28T12:00:00+0200", 1795860000, 0 },
        { "2026-11-28T04:30:00-05:30", 1795860000, 0 },
        { "2026-11-28T04:30-0530", 1795860000, 0 },
        { "2026-11-28T10:00:00+00:00", 1795860000, 0 },
        { "2026-11-28T10:00:00-00:00", 1795860000, 0 },
        /* across a day and a year, both ways */
        { "2026-11-29T09:59:00+23:59", 1795860000, 0 },
        { "2026-11-27T10:01:00-23:59", 1795860000, 0 },
        { "2027-01-01T02:00:00+02:00", 1798761600, 0 },
        { "2026-12-31T19:00:00-05:00", 1798761600, 0 },
        /* 1969 west of UTC can still be 1970 in UTC */
        { "1969-12-31T23:30:00-01:00", 1800, 0 },
        { "1970-01-01T01:00:00+01:00", 0, 0 },
    };

    expect_parsed(cases, COUNT(cases));
}

static void test_fractions(void **state)
{
    static const parsed_t cases[] = {
        { "2026-11-28T10:00:00.5Z", 1795860000, 500000 },
        { "2026-11-28T10:00:00,25Z", 1795860000, 250000 },
        { "2026-11-28T10:00:00.000001Z", 1795860000, 1 },
        { "2026-11-28T10:00:00.999999Z", 1795860000, 999999 },
        /* digits beyond the microsecond are dropped, not rounded */
        { "2026-11-28T10:00:00.1234567899Z", 1795860000, 123456 },
        { "2026-11-28T10:00:59.999+00:00", 1795860059, 999000 },
        { "2026-11-28T12:00:00.250+02:00", 1795860000, 250000 },
        { "2026-11-28T10:00:00.0", 1795860000, 0 },
    };

    expect_parsed(cases, COUNT(cases));
}

static void test_leap_days(void **state)
{
    static const parsed_t accepted[] = {
        { "2024-02-29T00:00:00Z", 1709164800, 0 },
        { "2000-02-29T12:00:00Z", 951825600, 0 },       /* divisible by 400 */
        { "2100-02-28T00:00:00Z", 4107456000LL, 0 },
        { "2024-02-29T23:30:00-01:00", 1709253000, 0 },  /* the leap day, then 1 March */
    };
    static const char *const refused[] = {
        "2026-02-29T00:00:00Z",
        "2100-02-29T00:00:00Z",                         /* divisible by 100 only */
        "2024-02-30T00:00:00Z",
        "2026-02-30T10:00:00Z",
    };

    expect_parsed(accepted, COUNT(accepted));
    expect_refused(refused, COUNT(refused));
}

static void test_refused_forms(void **state)
{
    static const char *const texts[] = {
        NULL,
        "",
        "next Friday",
        "2026-11-28",                        /* a date alone */
        "2026-11-28T",
        "2026-11-28T10",
        "2026-11-28T10:0Z",
        "2026-11-28T1000Z",
        "2026-11-28X10:00Z",
        "2026/11/28T10:00Z",
        "26-11-28T10:00Z",
        "2026-1-28T10:00Z",
        "20261128T100000Z",
        " 2026-11-28T10:00Z",
        "+2026-11-28T10:00Z",
        /* out of range */
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "2026-11-31T00:00:00Z",
        "2026-11-28T24:00:00Z",
        "2026-11-28T25:00:00Z",
        "2026-11-28T10:60:00Z",
        "2026-11-28T10:00:61Z",
        "2026-11-28T10:00:99Z",
        /* seconds and fractions */
        "2026-11-28T10:00:Z",
        "2026-11-28T10:00:0Z",
        "2026-11-28T10:00:00.Z",
        "2026-11-28T10:00:00.",
        "2026-11-28T10:00.5Z",               /* a fraction needs seconds */
        "2026-11-28T10:00:00.5.5Z",
        /* zones */
        "2026-11-28T10:00:00+24:00",
        "2026-11-28T10:00:00+02:60",
        "2026-11-28T10:00:00+2:00",
        "2026-11-28T10:00:00+02:0",
        "2026-11-28T10:00:00+02",
        "2026-11-28T10:00:00+02:00:00",
        "2026-11-28T10:00:00UTC",
        "2026-11-28T10:00:00 Z",
        /* trailing garbage */
        "2026-11-28T10:00:00Zjunk",
        "2026-11-28T10:00:00ZZ",
        "2026-11-28T10:00:00Z ",
        "2026-11-28T10:00:00+02:00 ",
        "2026-11-28T10:00:00 ",
        /* before 1970 in UTC */
        "1960-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:30:00+01:00",
        "0000-01-01T00:00:00Z",
    };

    expect_refused(texts, COUNT(texts));
}

/* ---------------------------------------------------------------- sap_time_utc_text */

static void test_utc_text(void **state)
{
    static const char *const cases[][2] = {
        { "2026-11-28T10:00:00Z", "2026-11-28 10:00 UTC" },
        { "2026-11-28T10:00Z", "2026-11-28 10:00 UTC" },
        { "2026-11-28t10:00:59.999z", "2026-11-28 10:00 UTC" },    /* seconds dropped */
        { "2026-11-28 10:00:00", "2026-11-28 10:00 UTC" },
        { "2026-11-28T01:30:00+02:00", "2026-11-27 23:30 UTC" },
        { "2026-12-31T20:00:00-0530", "2027-01-01 01:30 UTC" },
        { "2026-01-01T01:00:00+0230", "2025-12-31 22:30 UTC" },
        { "2026-02-28T23:30:00-01:00", "2026-03-01 00:30 UTC" },
        { "2028-02-29T00:00:00Z", "2028-02-29 00:00 UTC" },
        { "2024-02-29T00:00:00Z", "2024-02-29 00:00 UTC" },
        { "2026-12-31T23:59:60Z", "2027-01-01 00:00 UTC" },
        { "1970-01-01T00:00:00Z", "1970-01-01 00:00 UTC" },
        { "9999-12-31T23:59:59Z", "9999-12-31 23:59 UTC" },
    };
    static const char *const refused[] = {
        NULL, "", "next week", "2026-11-28", "2026-02-29T00:00:00Z", "2026-11-28T25:00:00Z",
        "2026-11-28T10:00:00Zjunk", "2026-11-28T10:00:00.Z", "1960-01-01T00:00:00Z",
    };
    apr_pool_t *pool = *state;
    size_t i;

    for (i = 0; i < COUNT(cases); i++) {
        const char *text = sap_time_utc_text(pool, cases[i][0]);

        if (!text || strcmp(text, cases[i][1]) != 0) {
            fail_msg("\"%s\": \"%s\", expected \"%s\"", cases[i][0], text ? text : "(null)",
                     cases[i][1]);
        }
    }
    for (i = 0; i < COUNT(refused); i++) {
        if (sap_time_utc_text(pool, refused[i]) != NULL) {
            fail_msg("\"%s\" shown as a time", refused[i] ? refused[i] : "(null)");
        }
    }
}

/* ---------------------------------------------------------------- sap_time_query_valid */

static void test_query_valid(void **state)
{
    static const struct {
        const char *text;
        int valid;
    } cases[] = {
        /* the three forms */
        { "2026-11-02", 1 },
        { "2026-11-02T12:05:00Z", 1 },
        { "2026-11-02T12:05:00+02:00", 1 },
        { "2026-11-02T12:05:00-05:30", 1 },
        { "2026-11-02T00:00:00+14:00", 1 },
        { "2026-11-02T23:59:59-14:59", 1 },
        { "0001-01-01", 1 },
        { "9999-12-31T23:59:59Z", 1 },
        { "1960-01-01", 1 },                    /* PostgreSQL reads it: no 1970 limit */
        /* dates that exist, and that do not */
        { "2024-02-29", 1 },
        { "2000-02-29T00:00:00Z", 1 },
        { "2026-02-29", 0 },
        { "2100-02-29", 0 },
        { "2026-02-30", 0 },
        { "2026-04-31T00:00:00Z", 0 },
        { "2026-11-31T00:00:00+01:00", 0 },
        { "2026-12-31", 1 },
        /* fields out of range */
        { "0000-01-01", 0 },
        { "2026-00-10", 0 },
        { "2026-13-01", 0 },
        { "2026-11-00", 0 },
        { "2026-11-32", 0 },
        { "2026-11-02T24:00:00Z", 0 },
        { "2026-11-02T12:60:00Z", 0 },
        { "2026-11-02T12:05:60Z", 0 },
        { "2026-11-02T12:05:00+15:00", 0 },
        { "2026-11-02T12:05:00+02:60", 0 },
        /* other shapes: stricter than the engine's timestamps */
        { NULL, 0 },
        { "", 0 },
        { "yesterday", 0 },
        { "2026-11-2", 0 },
        { "2026/11/02", 0 },
        { "20261102", 0 },
        { "2026-11-02Z", 0 },
        { "2026-11-02T", 0 },
        { "2026-11-02T12:05Z", 0 },
        { "2026-11-02T12:05:00", 0 },           /* no zone */
        { "2026-11-02t12:05:00Z", 0 },
        { "2026-11-02 12:05:00Z", 0 },
        { "2026-11-02T12:05:00z", 0 },
        { "2026-11-02T12:05:00.5Z", 0 },
        { "2026-11-02T12:05:00+0200", 0 },
        { "2026-11-02T12:05:00+02", 0 },
        { "2026-11-02T12:05:00Zx", 0 },
        { "2026-11-02T12:05:00+02:00Z", 0 },
        { "2026-11-02T12:05:00 02:00", 0 },
        { "2026-11-02T12-05-00Z", 0 },
        { "2026-11-02 ", 0 },
        { " 2026-11-02", 0 },
        { "+026-11-02", 0 },
        { "2026-1a-02", 0 },
    };
    size_t i;

    for (i = 0; i < COUNT(cases); i++) {
        if (sap_time_query_valid(cases[i].text) != cases[i].valid) {
            fail_msg("\"%s\" should be %s", cases[i].text ? cases[i].text : "(null)",
                     cases[i].valid ? "valid" : "refused");
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_forms),
        cmocka_unit_test(test_offsets_converted_to_utc),
        cmocka_unit_test(test_fractions),
        cmocka_unit_test(test_leap_days),
        cmocka_unit_test(test_refused_forms),
        SAP_POOL_TEST(test_utc_text),
        cmocka_unit_test(test_query_valid),
    };

    return cmocka_run_group_tests_name("sap_time", tests, sap_test_group_setup,
                                       sap_test_group_teardown);
}
