/* The Elasticsearch date formats the cloudtrail pipeline's `date` processors
 * name (javafmt.h), parsed as java.time parses them with Elasticsearch's
 * formatter definitions (DateFormatters): ResolverStyle.STRICT, strict
 * parsing, missing month/day = 1, missing time = 00:00, missing zone = the
 * processor's timezone (UTC), then converted to UTC.
 *
 *   ISO8601 ("iso8601"):
 *     yyyy[-MM[-dd]] [ 'T' [HH[:mm[:ss[.f{1,9}][,f{1,9}]]]] [zoneOrOffsetId] [+HHmm|Z] ]
 *   basic_date_time_no_millis:  yyyyMMdd'T'HHmmss  (zoneOrOffsetId | +HHmm | Z)
 *   basic_date_time:            yyyyMMdd'T'HHmmss.f{1,9}  (zoneOrOffsetId | +HHmm | Z)
 *
 * zoneOrOffsetId is java's ZoneIdPrinterParser: `Z`, an offset in the
 * "+HH:MM:ss" pattern (strict: +01:00 or +01:00:30), or UTC/GMT/UT alone or
 * followed by such an offset. Region ids (Europe/Paris) need the tz database
 * and are not read: such a value fails here, where Elasticsearch would
 * accept it (none occurs in CloudTrail). */
#include <string.h>

#include "base/timeutil.h"
#include "ecs/javafmt.h"

typedef struct cur {
    const char *p, *end;
} cur;

static bool at(const cur *c, char ch)
{
    return c->p < c->end && *c->p == ch;
}

/* exactly `w` digits */
static bool num(cur *c, int w, int *out)
{
    if (c->end - c->p < w)
        return false;
    int v = 0;
    for (int i = 0; i < w; i++) {
        char d = c->p[i];
        if (d < '0' || d > '9')
            return false;
        v = v * 10 + (d - '0');
    }
    c->p += w;
    *out = v;
    return true;
}

/* appendFraction(NANO_OF_SECOND, 1, 9, _) after its separator: 1..9 digits,
 * kept to milliseconds (the processor's output has millisecond precision). */
static bool fraction(cur *c, int *nanos)
{
    int n = 0, v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && n < 9) {
        v = v * 10 + (*c->p - '0');
        c->p++;
        n++;
    }
    if (n == 0)
        return false;
    for (int i = n; i < 9; i++)
        v *= 10;
    *nanos = v;
    return true;
}

/* Java's offset range: +-18:00:00; minutes and seconds 0..59. */
static bool offset_ok(int h, int m, int s)
{
    return h <= 18 && m <= 59 && s <= 59 && (h < 18 || (m == 0 && s == 0));
}

/* appendOffset("+HH:MM:ss", "Z") in strict mode: Z, or +HH:MM with optional :ss. */
static bool offset_colon(cur *c, int *off)
{
    if (at(c, 'Z')) {
        c->p++;
        *off = 0;
        return true;
    }
    cur s = *c;
    if (!at(&s, '+') && !at(&s, '-'))
        return false;
    int sign = *s.p == '-' ? -1 : 1, h, m, sec = 0;
    s.p++;
    if (!num(&s, 2, &h) || !at(&s, ':'))
        return false;
    s.p++;
    if (!num(&s, 2, &m))
        return false;
    if (at(&s, ':')) {
        cur t = s;
        t.p++;
        if (num(&t, 2, &sec))
            s = t;
    }
    if (!offset_ok(h, m, sec))
        return false;
    *c = s;
    *off = sign * (h * 3600 + m * 60 + sec);
    return true;
}

/* appendOffset("+HHmm", "Z"): Z, or +HH with optional mm. */
static bool offset_nocolon(cur *c, int *off)
{
    if (at(c, 'Z')) {
        c->p++;
        *off = 0;
        return true;
    }
    cur s = *c;
    if (!at(&s, '+') && !at(&s, '-'))
        return false;
    int sign = *s.p == '-' ? -1 : 1, h, m = 0;
    s.p++;
    if (!num(&s, 2, &h))
        return false;
    cur t = s;
    if (num(&t, 2, &m))
        s = t;
    else
        m = 0;
    if (!offset_ok(h, m, 0))
        return false;
    *c = s;
    *off = sign * (h * 3600 + m * 60);
    return true;
}

/* appendZoneOrOffsetId: Z or an offset, or UTC/GMT/UT with an optional offset. */
static bool zone_id(cur *c, int *off)
{
    if (at(c, 'Z') || at(c, '+') || at(c, '-'))
        return offset_colon(c, off);
    static const char *const prefixes[] = {"UTC", "GMT", "UT"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(prefixes[i]);
        if ((size_t)(c->end - c->p) >= n && memcmp(c->p, prefixes[i], n) == 0) {
            cur s = *c;
            s.p += n;
            int o = 0;
            cur t = s;
            if ((at(&t, '+') || at(&t, '-')) && offset_colon(&t, &o))
                s = t;
            *c = s;
            *off = o;
            return true;
        }
    }
    return false;
}

typedef struct fields {
    int y, mo, d, h, mi, s, nanos, off; /* off in seconds east of UTC */
} fields;

static bool days_ok(int y, int mo, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[mo - 1] + (mo == 2 && leap);
}

/* ResolverStyle.STRICT: every field in its range, the date a real one. */
static bool resolve(const fields *f, int64_t *ms)
{
    if (!days_ok(f->y, f->mo, f->d) || f->h > 23 || f->mi > 59 || f->s > 59)
        return false;
    int64_t days = th_days_from_civil(f->y, (unsigned)f->mo, (unsigned)f->d);
    *ms = ((days * 24 + f->h) * 60 + f->mi) * 60000 + (int64_t)f->s * 1000 + f->nanos / 1000000 -
          (int64_t)f->off * 1000;
    return true;
}

static bool iso8601(cur *c, fields *f)
{
    if (!num(c, 4, &f->y))
        return false;
    if (at(c, '-')) {
        c->p++;
        if (!num(c, 2, &f->mo))
            return false;
        if (at(c, '-')) {
            c->p++;
            if (!num(c, 2, &f->d))
                return false;
        }
    }
    if (!at(c, 'T'))
        return c->p == c->end;
    c->p++;
    if (num(c, 2, &f->h) && at(c, ':')) {
        cur s = *c;
        s.p++;
        if (num(&s, 2, &f->mi)) {
            *c = s;
            if (at(c, ':')) {
                s = *c;
                s.p++;
                if (num(&s, 2, &f->s)) {
                    *c = s;
                    int n1 = -1, n2 = -1;
                    if (at(c, '.')) {
                        c->p++;
                        if (!fraction(c, &n1))
                            return false;
                    }
                    if (at(c, ',')) {
                        c->p++;
                        if (!fraction(c, &n2))
                            return false;
                    }
                    if (n1 >= 0 && n2 >= 0 && n1 != n2)
                        return false; /* one field, two different values */
                    f->nanos = n1 >= 0 ? n1 : n2 >= 0 ? n2 : 0;
                }
            }
        }
    }
    /* [zoneOrOffsetId][+HHmm|Z]: both optional; a second zone must agree */
    int o1 = 0, o2 = 0;
    bool z1 = zone_id(c, &o1), z2 = offset_nocolon(c, &o2);
    if (z1 && z2 && o1 != o2)
        return false;
    f->off = z1 ? o1 : z2 ? o2 : 0;
    return c->p == c->end;
}

static bool basic(cur *c, fields *f, bool millis)
{
    if (!num(c, 4, &f->y) || !num(c, 2, &f->mo) || !num(c, 2, &f->d) || !at(c, 'T'))
        return false;
    c->p++;
    if (!num(c, 2, &f->h) || !num(c, 2, &f->mi) || !num(c, 2, &f->s))
        return false;
    if (millis) {
        if (!at(c, '.'))
            return false;
        c->p++;
        if (!fraction(c, &f->nanos))
            return false;
    }
    /* two parsers, tried in turn: zoneOrOffsetId, then +HHmm|Z */
    cur s = *c;
    if (zone_id(&s, &f->off) && s.p == s.end)
        return true;
    return offset_nocolon(c, &f->off) && c->p == c->end;
}

bool th_java_date_parse(th_java_datefmt fmt, const char *s, size_t n, int64_t *out_ms)
{
    cur c = {s, s + n};
    fields f = {.mo = 1, .d = 1};
    bool ok = fmt == TH_JDATE_ISO8601                     ? iso8601(&c, &f)
              : fmt == TH_JDATE_BASIC_DATE_TIME           ? basic(&c, &f, true)
              : fmt == TH_JDATE_BASIC_DATE_TIME_NO_MILLIS ? basic(&c, &f, false)
                                                          : false;
    return ok && resolve(&f, out_ms);
}

const char *th_java_datefmt_name(th_java_datefmt fmt)
{
    switch (fmt) {
    case TH_JDATE_ISO8601: return "ISO8601";
    case TH_JDATE_BASIC_DATE_TIME: return "basic_date_time";
    case TH_JDATE_BASIC_DATE_TIME_NO_MILLIS: return "basic_date_time_no_millis";
    }
    return "?";
}
