#include "base/timeutil.h"

#include <stdio.h>
#include <string.h>

/* Howard Hinnant's civil-date algorithms. */
int64_t th_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void th_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

int64_t th_time_split_day(int64_t ms, int64_t *ms_of_day)
{
    int64_t days = ms / 86400000, rem = ms % 86400000;
    if (rem < 0) {
        rem += 86400000;
        days--;
    }
    *ms_of_day = rem;
    return days;
}

static bool digits(const char *s, size_t n, size_t at, size_t count, unsigned *out)
{
    if (at + count > n)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < count; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *out = v;
    return true;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* The form nearly every time we read has (`YYYY-MM-DDTHH:MM:SS.mmmZ`: the
 * mapped @timestamp and event.ingested, ES|QL's date columns), without the
 * general parser's walk: with a day of the month up to 28 and a time of day
 * in range, the form passes every check below and gets the value computed
 * there; anything else (day 29 to 31, second 60, other forms) goes on to it. */
static bool parse_usual(const char *p, size_t n, int64_t *out_ms)
{
    const unsigned char *s = (const unsigned char *)p;
    if (n != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != '.' || s[23] != 'Z')
        return false;
#define DIGIT(i) ((unsigned)s[i] - '0')
    unsigned bad = (DIGIT(0) > 9) | (DIGIT(1) > 9) | (DIGIT(2) > 9) | (DIGIT(3) > 9) |
                   (DIGIT(5) > 9) | (DIGIT(6) > 9) | (DIGIT(8) > 9) | (DIGIT(9) > 9) |
                   (DIGIT(11) > 9) | (DIGIT(12) > 9) | (DIGIT(14) > 9) | (DIGIT(15) > 9) |
                   (DIGIT(17) > 9) | (DIGIT(18) > 9) | (DIGIT(20) > 9) | (DIGIT(21) > 9) |
                   (DIGIT(22) > 9);
    unsigned y = DIGIT(0) * 1000 + DIGIT(1) * 100 + DIGIT(2) * 10 + DIGIT(3);
    unsigned mo = DIGIT(5) * 10 + DIGIT(6), d = DIGIT(8) * 10 + DIGIT(9);
    unsigned h = DIGIT(11) * 10 + DIGIT(12), mi = DIGIT(14) * 10 + DIGIT(15);
    unsigned sec = DIGIT(17) * 10 + DIGIT(18), ms = DIGIT(20) * 100 + DIGIT(21) * 10 + DIGIT(22);
#undef DIGIT
    if (bad || mo < 1 || mo > 12 || d < 1 || d > 28 || h > 23 || mi > 59 || sec > 59)
        return false;
    *out_ms = ((th_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000 +
              ms;
    return true;
}

bool th_time_parse_iso(const char *s, size_t n, int64_t *out_ms)
{
    if (parse_usual(s, n, out_ms))
        return true;
    unsigned y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
    if (!digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || !digits(s, n, 5, 2, &mo) ||
        s[7] != '-' || !digits(s, n, 8, 2, &d))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return false;
    size_t i = 10;
    int64_t zone_min = 0;
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (!digits(s, n, i, 2, &h) || i + 2 >= n || s[i + 2] != ':' ||
            !digits(s, n, i + 3, 2, &mi))
            return false;
        i += 5;
        if (i < n && s[i] == ':') {
            if (!digits(s, n, i + 1, 2, &sec))
                return false;
            i += 3;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                size_t start = i;
                unsigned scale = 100;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    ms += (unsigned)(s[i] - '0') * scale;
                    scale /= 10;
                    i++;
                }
                if (i == start)
                    return false;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return false;
        if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
            int sign = s[i] == '-' ? -1 : 1;
            unsigned zh, zm = 0;
            if (!digits(s, n, i + 1, 2, &zh))
                return false;
            i += 3;
            if (i < n && s[i] == ':')
                i++;
            if (i < n) {
                if (!digits(s, n, i, 2, &zm))
                    return false;
                i += 2;
            }
            zone_min = sign * (int64_t)(zh * 60 + zm);
        }
    }
    if (i != n)
        return false;
    int64_t days = th_days_from_civil(y, mo, d);
    *out_ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000 + ms - zone_min * 60000;
    return true;
}

/* The milliseconds into the day of the time part of s, a
 * `YYYY-MM-DDTHH:MM:SS.mmmZ` text (n == 24), else -1. A second of 60 is
 * left to the general parser (which takes it). */
static int64_t usual_time_of_day(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    if (n != 24 || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z')
        return -1;
#define DIGIT(i) ((unsigned)s[i] - '0')
    unsigned bad = (DIGIT(11) > 9) | (DIGIT(12) > 9) | (DIGIT(14) > 9) | (DIGIT(15) > 9) |
                   (DIGIT(17) > 9) | (DIGIT(18) > 9) | (DIGIT(20) > 9) | (DIGIT(21) > 9) |
                   (DIGIT(22) > 9);
    unsigned h = DIGIT(11) * 10 + DIGIT(12), mi = DIGIT(14) * 10 + DIGIT(15);
    unsigned sec = DIGIT(17) * 10 + DIGIT(18), ms = DIGIT(20) * 100 + DIGIT(21) * 10 + DIGIT(22);
#undef DIGIT
    if (bad || h > 23 || mi > 59 || sec > 59)
        return -1;
    return ((int64_t)(h * 60 + mi) * 60 + sec) * 1000 + ms;
}

/* For such a text th_time_parse_iso's value is the day's first instant
 * (a function of the first ten characters alone, which also alone decide
 * whether the date is valid) plus the time of day: a text that shares its
 * `YYYY-MM-DDT` with one that parsed shares that instant. */
bool th_time_parse_iso_day(th_time_daymemo *m, const char *s, size_t n, int64_t *out_ms)
{
    int64_t tod = usual_time_of_day(s, n);
    if (tod >= 0 && m->set && memcmp(s, m->day, sizeof m->day) == 0) {
        *out_ms = m->day_ms + tod;
        return true;
    }
    if (!th_time_parse_iso(s, n, out_ms))
        return false;
    if (tod >= 0 && s[10] == 'T') {
        memcpy(m->day, s, sizeof m->day);
        m->day_ms = *out_ms - tod;
        m->set = true;
    }
    return true;
}

void th_time_format_iso(int64_t ms, char out[32])
{
    int64_t rem;
    int64_t days = th_time_split_day(ms, &rem);
    int64_t y;
    unsigned m, d;
    th_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) { /* rare: let printf write the sign and the width */
        unsigned h = (unsigned)(rem / 3600000), mi = (unsigned)(rem / 60000 % 60),
                 s = (unsigned)(rem / 1000 % 60), milli = (unsigned)(rem % 1000);
        snprintf(out, 32, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)y, m, d, h, mi, s,
                 milli);
        return;
    }
    /* the common case by hand: snprintf was 5% of a run (every event's times) */
    unsigned yy = (unsigned)y;
    out[0] = (char)('0' + yy / 1000);
    out[1] = (char)('0' + yy / 100 % 10);
    out[2] = (char)('0' + yy / 10 % 10);
    out[3] = (char)('0' + yy % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = 'T';
    th_time_format_tod((unsigned)rem, out + 11);
}

/* "00" to "99": two digits a copy, where a digit each cost a division by
 * ten and a remainder (format_tod's 83 instructions a call, on b100k with
 * the pack 80,893 calls for the slot documents' @timestamp alone) */
static const char digit_pairs[200] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

void th_time_format_tod(unsigned ms_of_day, char out[14])
{
    unsigned secs = ms_of_day / 1000u, milli = ms_of_day - secs * 1000u;
    unsigned h = secs / 3600u, in_hour = secs - h * 3600u, mi = in_hour / 60u,
             s = in_hour - mi * 60u, centi = milli / 100u;
    memcpy(out, &digit_pairs[2 * h], 2); /* h < 24 for a time of day */
    out[2] = ':';
    memcpy(out + 3, &digit_pairs[2 * mi], 2);
    out[5] = ':';
    memcpy(out + 6, &digit_pairs[2 * s], 2);
    out[8] = '.';
    out[9] = (char)('0' + centi);
    memcpy(out + 10, &digit_pairs[2 * (milli - centi * 100u)], 2);
    out[12] = 'Z';
    out[13] = '\0';
}

static int64_t unit_ms(char u)
{
    switch (u) {
    case 's': return 1000;
    case 'm': return 60000;
    case 'h': case 'H': return 3600000;
    case 'd': return 86400000;
    case 'w': return 7 * 86400000LL;
    default: return 0;
    }
}

bool th_duration_parse(const char *s, size_t n, int64_t *out_ms)
{
    size_t i = 0;
    int64_t v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + (s[i] - '0');
        if (v > 1000000000LL)
            return false;
        i++;
    }
    if (i == 0)
        return false;
    if (n - i == 2 && s[i] == 'm' && s[i + 1] == 's') {
        *out_ms = v;
        return true;
    }
    if (n - i != 1 || !unit_ms(s[i]))
        return false;
    *out_ms = v * unit_ms(s[i]);
    return true;
}

static int64_t add_months(int64_t ms, int64_t months)
{
    int64_t rem;
    int64_t days = th_time_split_day(ms, &rem);
    int64_t y;
    unsigned m, d;
    th_civil_from_days(days, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + months;
    y = total >= 0 ? total / 12 : (total - 11) / 12;
    m = (unsigned)(total - y * 12) + 1;
    unsigned dim = days_in_month(y, m);
    if (d > dim)
        d = dim;
    return th_days_from_civil(y, m, d) * 86400000 + rem;
}

static int64_t round_down(int64_t ms, char u)
{
    int64_t rem;
    int64_t days = th_time_split_day(ms, &rem);
    int64_t y;
    unsigned m, d;
    switch (u) {
    case 'y': th_civil_from_days(days, &y, &m, &d); return th_days_from_civil(y, 1, 1) * 86400000;
    case 'M': th_civil_from_days(days, &y, &m, &d); return th_days_from_civil(y, m, 1) * 86400000;
    case 'w': {
        int64_t wd = ((days % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday; weeks start Monday */
        return (days - wd) * 86400000;
    }
    default: {
        int64_t unit = unit_ms(u);
        int64_t r = ms % unit;
        if (r < 0)
            r += unit;
        return ms - r;
    }
    }
}

bool th_datemath_eval(const char *s, size_t n, int64_t now_ms, int64_t *out_ms)
{
    int64_t t;
    size_t i;
    if (n >= 3 && memcmp(s, "now", 3) == 0) {
        t = now_ms;
        i = 3;
    } else {
        const char *bars = memchr(s, '|', n);
        size_t end = bars ? (size_t)(bars - s) : n;
        if (!th_time_parse_iso(s, end, &t))
            return false;
        if (!bars) {
            *out_ms = t;
            return true;
        }
        i = end + 2;
        if (i > n || s[end + 1] != '|')
            return false;
    }
    while (i < n) {
        char op = s[i++];
        if (op == '/') {
            if (i >= n)
                return false;
            char u = s[i++];
            if (u != 'y' && u != 'M' && u != 'w' && !unit_ms(u))
                return false;
            t = round_down(t, u);
            continue;
        }
        if (op != '+' && op != '-')
            return false;
        int64_t v = 0;
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (s[i] - '0');
            if (v > 1000000000LL)
                return false;
            i++;
        }
        if (i == start)
            v = 1;
        if (i >= n)
            return false;
        char u = s[i++];
        int64_t sign = op == '-' ? -1 : 1;
        if (u == 'M')
            t = add_months(t, sign * v);
        else if (u == 'y')
            t = add_months(t, sign * v * 12);
        else if (unit_ms(u))
            t += sign * v * unit_ms(u);
        else
            return false;
    }
    *out_ms = t;
    return true;
}
