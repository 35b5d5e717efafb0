#include <string.h>

#include <apr_strings.h>

#include "sap_time.h"

#define SECONDS_PER_DAY 86400
/* No date-time of an earlier year can be 1970 or later in UTC, whatever
 * its zone (at most 23:59 west of UTC). */
#define EARLIEST_YEAR 1969

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Exactly count decimal digits at *p into *value, *p moved past them. */
static int digits_take(const char **p, int count, int *value)
{
    const char *at = *p;
    int number = 0;

    for (; count > 0; count--, at++) {
        if (!is_digit(*at)) {
            return 0;   /* the NUL included */
        }
        number = number * 10 + (*at - '0');
    }
    *p = at;
    *value = number;
    return 1;
}

/* One character of accepted at *p, *p moved past it. */
static int char_take(const char **p, const char *accepted)
{
    if (**p == '\0' || !strchr(accepted, **p)) {
        return 0;
    }
    (*p)++;
    return 1;
}

static int leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* 1 when year-month-day is a day of the Gregorian calendar. */
static int date_exists(int year, int month, int day)
{
    static const int lengths[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int last;

    if (month < 1 || month > 12 || day < 1) {
        return 0;
    }
    last = month == 2 && leap_year(year) ? 29 : lengths[month - 1];
    return day <= last;
}

/* Days from 1970-01-01 to an existing date of year >= 1. The year is
 * counted from 1 March so that February, and its leap day, comes last:
 * the days before a month are then (153 * m + 2) / 5 for m = 0 (March)
 * to 11 (February), and a 400-year cycle has 146097 days. */
static apr_int64_t days_since_epoch(int year, int month, int day)
{
    apr_int64_t y = month <= 2 ? year - 1 : year;
    apr_int64_t m = month <= 2 ? month + 9 : month - 3;
    apr_int64_t cycle = y / 400;
    apr_int64_t year_of_cycle = y - cycle * 400;
    apr_int64_t day_of_year = (153 * m + 2) / 5 + day - 1;
    apr_int64_t day_of_cycle = year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100
                               + day_of_year;

    /* 719468: days from 0000-03-01 to 1970-01-01. */
    return cycle * 146097 + day_of_cycle - 719468;
}

/* After the seconds: nothing, or '.' / ',' and at least one digit. The
 * digits beyond the microsecond are read and dropped. */
static int fraction_take(const char **p, apr_int64_t *micro)
{
    apr_int64_t weight = 100000;

    *micro = 0;
    if (!char_take(p, ".,")) {
        return 1;
    }
    if (!is_digit(**p)) {
        return 0;
    }
    for (; is_digit(**p); (*p)++, weight /= 10) {
        *micro += (**p - '0') * weight;
    }
    return 1;
}

/* "Z", "z", "+HH:MM", "-HHMM" or nothing (UTC) into seconds east of UTC. */
static int zone_take(const char **p, long *east)
{
    int west, hours, minutes;

    *east = 0;
    if (**p == '\0' || char_take(p, "Zz")) {
        return 1;
    }
    if (**p != '+' && **p != '-') {
        return 0;
    }
    west = **p == '-';
    (*p)++;
    if (!digits_take(p, 2, &hours)) {
        return 0;
    }
    char_take(p, ":");
    if (!digits_take(p, 2, &minutes) || hours > 23 || minutes > 59) {
        return 0;
    }
    *east = (west ? -1L : 1L) * (hours * 3600L + minutes * 60L);
    return 1;
}

apr_status_t sap_time_parse_iso(const char *text, apr_time_t *ptime)
{
    const char *p = text;
    int year, month, day, hour, minute, second = 0;
    apr_int64_t micro = 0, seconds;
    long east;

    if (!p || !digits_take(&p, 4, &year) || !char_take(&p, "-") || !digits_take(&p, 2, &month)
        || !char_take(&p, "-") || !digits_take(&p, 2, &day) || !char_take(&p, "Tt ")
        || !digits_take(&p, 2, &hour) || !char_take(&p, ":") || !digits_take(&p, 2, &minute)) {
        return APR_EINVAL;
    }
    if (char_take(&p, ":") && (!digits_take(&p, 2, &second) || !fraction_take(&p, &micro))) {
        return APR_EINVAL;
    }
    if (!zone_take(&p, &east) || *p != '\0') {
        return APR_EINVAL;
    }
    if (year < EARLIEST_YEAR || !date_exists(year, month, day) || hour > 23 || minute > 59
        || second > 60) {
        return APR_EINVAL;
    }
    seconds = days_since_epoch(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60
              + second - east;
    if (seconds < 0) {
        return APR_EINVAL;
    }
    *ptime = apr_time_from_sec(seconds) + micro;
    return APR_SUCCESS;
}

int sap_time_utc_format(const char *iso, char *buf, apr_size_t size)
{
    apr_time_t when;
    apr_time_exp_t utc;

    if (sap_time_parse_iso(iso, &when) != APR_SUCCESS
        || apr_time_exp_gmt(&utc, when) != APR_SUCCESS) {
        return 0;
    }
    apr_snprintf(buf, size, "%04d-%02d-%02d %02d:%02d UTC", utc.tm_year + 1900, utc.tm_mon + 1,
                 utc.tm_mday, utc.tm_hour, utc.tm_min);
    return 1;
}

const char *sap_time_utc_text(apr_pool_t *pool, const char *iso)
{
    char text[SAP_TIME_UTC_TEXT_SIZE];

    return sap_time_utc_format(iso, text, sizeof(text)) ? apr_pstrdup(pool, text) : NULL;
}

/* The count digits at text + at, as a number no larger than max; -1 when
 * one is not a digit or the number is larger. */
static int field_at(const char *text, int at, int count, int max)
{
    const char *p = text + at;
    int value;

    return digits_take(&p, count, &value) && value <= max ? value : -1;
}

int sap_time_query_valid(const char *text)
{
    size_t len = text ? strlen(text) : 0;
    int year;

    /* YYYY-MM-DD (10), …THH:MM:SSZ (20) or …THH:MM:SS±HH:MM (25): the
     * length tells which, and that every position read below exists. */
    if (len != 10 && len != 20 && len != 25) {
        return 0;
    }
    year = field_at(text, 0, 4, 9999);
    if (year < 1 || text[4] != '-' || text[7] != '-'
        || !date_exists(year, field_at(text, 5, 2, 12), field_at(text, 8, 2, 31))) {
        return 0;
    }
    if (len == 10) {
        return 1;
    }
    if (text[10] != 'T' || text[13] != ':' || text[16] != ':' || field_at(text, 11, 2, 23) < 0
        || field_at(text, 14, 2, 59) < 0 || field_at(text, 17, 2, 59) < 0) {
        return 0;
    }
    if (len == 20) {
        return text[19] == 'Z';
    }
    return (text[19] == '+' || text[19] == '-') && text[22] == ':'
           && field_at(text, 20, 2, 14) >= 0 && field_at(text, 23, 2, 59) >= 0;
}
