/* Time: epoch milliseconds (int64, UTC) everywhere inside the engine, since
 * Elasticsearch `date` fields keep millisecond precision. */
#ifndef TH_BASE_TIMEUTIL_H
#define TH_BASE_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TH_TIME_NONE INT64_MIN

/* Days since 1970-01-01 for a proleptic Gregorian date. */
int64_t th_days_from_civil(int64_t y, unsigned m, unsigned d);
void th_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* Splits epoch milliseconds into days since 1970-01-01 (floored, so instants before
 * 1970 fall on the right day) and the milliseconds into that day (0..86399999). */
int64_t th_time_split_day(int64_t ms, int64_t *ms_of_day);

/* Parses an ISO-8601 / RFC 3339 date-time as Elasticsearch's strict_date_optional_time
 * reads CloudTrail times: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z`, `+hh:mm`,
 * `+hhmm` or no zone (UTC). The fraction is truncated to milliseconds.
 * Returns false on anything else. */
bool th_time_parse_iso(const char *s, size_t n, int64_t *out_ms);
/* The same over texts read in time order (a column of @timestamp values),
 * where runs of them share their day: m remembers the last day that parsed
 * (zero it before the first call; the caller's, one reader at a time), so a
 * `YYYY-MM-DDTHH:MM:SS.mmmZ` text of that day only reads its time of day.
 * Gives exactly what th_time_parse_iso gives for every text. */
typedef struct th_time_daymemo {
    char day[11]; /* `YYYY-MM-DDT` of the last text that parsed in that form */
    bool set;
    int64_t day_ms; /* its day's first instant */
} th_time_daymemo;
bool th_time_parse_iso_day(th_time_daymemo *m, const char *s, size_t n, int64_t *out_ms);
/* Writes `YYYY-MM-DDTHH:MM:SS.mmmZ` (24 chars + NUL) into out[25]. */
void th_time_format_iso(int64_t ms, char out[32]);
/* The time of day th_time_format_iso writes after the date's 'T':
 * "HH:MM:SS.mmmZ" and a NUL, for ms_of_day in [0, 86400000). */
void th_time_format_tod(unsigned ms_of_day, char out[14]);

/* Parses a duration such as `5m`, `10s`, `1h`, `7d`, `500ms` into milliseconds. */
bool th_duration_parse(const char *s, size_t n, int64_t *out_ms);

/* Elastic date math relative to `now`: `now`, `now-6m`, `now-7d`, `now+1h`, with
 * the units s m h d w M y (M and y as 30 and 365 days are NOT used: months and
 * years are calendar arithmetic). Rounding (`/d`) is supported. Absolute ISO
 * dates are accepted too. */
bool th_datemath_eval(const char *s, size_t n, int64_t now_ms, int64_t *out_ms);

#endif
