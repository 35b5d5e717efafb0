/* ISO 8601 times: reading the engine's timestamps, showing them as
 * "2026-11-28 10:00 UTC", and checking the history API's date filters. */
#ifndef SAP_TIME_H
#define SAP_TIME_H

#include <apr.h>
#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>

/* An ISO 8601 date-time as an apr time (UTC):
 *   YYYY-MM-DD, then 'T', 't' or a space, then HH:MM, optionally :SS
 *   (60 allowed, a leap second) and a fraction after '.' or ',' (at least
 *   one digit; kept to the microsecond), then 'Z' / 'z', ±HH:MM, ±HHMM or
 *   nothing (taken as UTC).
 * The date must exist (no February 30), hours 0-23, minutes 0-59, zone
 * hours 0-23, and nothing may follow. Times before 1970-01-01T00:00:00Z
 * (after the zone is applied) are refused. APR_EINVAL when it does not
 * parse; *ptime is left alone then. */
apr_status_t sap_time_parse_iso(const char *text, apr_time_t *ptime);

/* iso (as sap_time_parse_iso reads it) as "YYYY-MM-DD HH:MM UTC", seconds
 * dropped; NULL when iso is NULL or does not parse. */
const char *sap_time_utc_text(apr_pool_t *pool, const char *iso);
/* The same text into buf (at least SAP_TIME_UTC_TEXT_SIZE bytes), for
 * callers without a pool; 0 when iso does not parse. */
#define SAP_TIME_UTC_TEXT_SIZE 32
int sap_time_utc_format(const char *iso, char *buf, apr_size_t size);

/* 1 when text is a date filter of the history API, which PostgreSQL then
 * reads: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DDTHH:MM:SS±HH:MM
 * (upper-case 'T' and 'Z', year 0001-9999, a date that exists, hours
 * 0-23, minutes and seconds 0-59, zone hours 0-14). 0 otherwise. */
int sap_time_query_valid(const char *text);

#endif
