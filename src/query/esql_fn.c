/* ES|QL scalar functions (esql_int.h), with Elasticsearch's rules: NULL in,
 * NULL out (except COALESCE, CASE, MV_COUNT and IS NULL); a multi-valued
 * argument where one value is wanted gives NULL and a warning; conversion
 * functions convert every value of a multi-value. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "ecs/javafmt.h"
#include "query/cnode.h"
#include "query/esql_int.h"
#include "query/query.h"

ev th_esql_call(erun *r, etab *t, size_t row, const xnode *x);

static ev arg(erun *r, etab *t, size_t row, const xnode *x, size_t k)
{
    return th_esql_eval(r, t, row, x->kids[k]);
}

static ev one(erun *r, etab *t, size_t row, const xnode *x, size_t k)
{
    ev v = arg(r, t, row, x, k);
    if (v.n > 1) {
        r->warnings++;
        return ev_null();
    }
    return v;
}

/* a date argument; a string literal is read as an ISO-8601 date */
static ev date_arg(ev v)
{
    int64_t ms;
    if (v.n == 1 && v.t == EV_KW && th_time_parse_iso(v.one.s.p, v.one.s.n, &ms))
        return (ev){EV_DATE, 1, {.one = {.i = ms}}};
    return v;
}

static bool str_of(ev v, th_str *s)
{
    if (v.n != 1 || (v.t != EV_KW && v.t != EV_IP))
        return false;
    *s = v.one.s;
    return true;
}

/* ---- conversions --------------------------------------------------------- */

static bool to_long1(uint8_t t, ev_s in, int64_t *out)
{
    switch (t) {
    case EV_LONG:
    case EV_DATE:
        *out = in.i;
        return true;
    case EV_BOOL:
        *out = in.i ? 1 : 0;
        return true;
    case EV_DOUBLE:
        if (!isfinite(in.d) || fabs(in.d) >= 9.2233720368547758e18)
            return false;
        *out = (int64_t)in.d;
        return true;
    case EV_KW: {
        double d;
        char buf[64];
        if (in.s.n == 0 || in.s.n >= sizeof buf)
            return false;
        memcpy(buf, in.s.p, in.s.n);
        buf[in.s.n] = '\0';
        char *end;
        long long ll = strtoll(buf, &end, 10);
        if (*end == '\0' && !isspace((unsigned char)buf[0])) {
            *out = ll;
            return true;
        }
        if (!th_q_parse_number(in.s, &d) || !isfinite(d) || fabs(d) >= 9.2233720368547758e18)
            return false;
        *out = (int64_t)d;
        return true;
    }
    default:
        return false;
    }
}

static bool to_double1(uint8_t t, ev_s in, double *out)
{
    switch (t) {
    case EV_DOUBLE: *out = in.d; return true;
    case EV_LONG:
    case EV_DATE: *out = (double)in.i; return true;
    case EV_BOOL: *out = in.i ? 1.0 : 0.0; return true;
    case EV_KW: return th_q_parse_number(in.s, out);
    default: return false;
    }
}

/* converts every value; values that do not convert are dropped with a warning */
static ev convert(erun *r, ev v, int fn)
{
    if (v.n == 0)
        return v;
    ev_s *out = TH_ANEWN(r->a, ev_s, v.n);
    uint32_t n = 0;
    uint8_t t = EV_KW;
    for (uint32_t i = 0; i < v.n; i++) {
        ev_s s = ev_at(&v, i), o;
        bool ok = true;
        switch (fn) {
        case F_TO_INTEGER:
            t = EV_LONG;
            ok = to_long1(v.t, s, &o.i) && o.i >= INT32_MIN && o.i <= INT32_MAX;
            break;
        case F_TO_LONG:
            t = EV_LONG;
            ok = to_long1(v.t, s, &o.i);
            break;
        case F_TO_DOUBLE:
            t = EV_DOUBLE;
            ok = to_double1(v.t, s, &o.d);
            break;
        case F_TO_BOOLEAN:
            t = EV_BOOL;
            if (v.t == EV_KW)
                o.i = s.s.n == 4 && strncasecmp(s.s.p, "true", 4) == 0;
            else if (v.t == EV_DOUBLE)
                o.i = s.d != 0;
            else
                o.i = s.i != 0;
            break;
        default: /* TO_STRING */
            t = EV_KW;
            if (v.t == EV_DOUBLE) {
                th_buf b;
                th_buf_init(&b);
                th_java_double(&b, s.d);
                o.s = th_str_make(th_arena_strndup(r->a, b.data, b.len), b.len);
                th_buf_free(&b);
            } else {
                o.s = th_ev_text(r->a, v.t, s);
            }
            break;
        }
        if (ok)
            out[n++] = o;
        else
            r->warnings++;
    }
    return th_ev_make(r->a, t, out, n);
}

static ev case_fold(erun *r, ev v, bool upper)
{
    th_str s;
    if (!str_of(v, &s))
        return ev_null();
    char *o = th_arena_alloc(r->a, s.n ? s.n : 1);
    for (size_t i = 0; i < s.n; i++) /* ASCII; other characters are kept */
        o[i] = (char)(upper ? toupper((unsigned char)s.p[i]) : tolower((unsigned char)s.p[i]));
    return ev_kw(th_str_make(o, s.n));
}

/* ---- dates --------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* ISO week-based year of a civil date (Elasticsearch's ROOT locale uses ISO
 * week rules: weeks start on Monday, week 1 holds the year's first Thursday) */
static int64_t week_year(int64_t days)
{
    int64_t y;
    unsigned m, d;
    th_civil_from_days(days, &y, &m, &d);
    int64_t dow = ((days % 7) + 7 + 3) % 7; /* 0 = Monday (1970-01-01 was a Thursday) */
    int64_t thursday = days - dow + 3;
    int64_t ty;
    th_civil_from_days(thursday, &ty, &m, &d);
    (void)y;
    return ty;
}

/* Java DateTimeFormatter letters the queries use: y u Y M d H m s S, 'quoted'
 * text, other characters literal. */
static bool date_format(th_buf *b, th_str fmt, int64_t ms)
{
    int64_t msday;
    int64_t days = th_time_split_day(ms, &msday);
    int64_t y;
    unsigned mo, d;
    th_civil_from_days(days, &y, &mo, &d);
    for (size_t i = 0; i < fmt.n;) {
        char c = fmt.p[i];
        size_t k = i;
        if (c == '\'') {
            size_t e = i + 1;
            while (e < fmt.n && fmt.p[e] != '\'')
                e++;
            if (e == i + 1)
                th_buf_putc(b, '\'');
            else
                th_buf_put(b, fmt.p + i + 1, e - i - 1);
            i = e + 1;
            continue;
        }
        while (k < fmt.n && fmt.p[k] == c)
            k++;
        size_t w = k - i;
        int64_t v;
        char buf[32];
        if (isalpha((unsigned char)c)) {
            switch (c) {
            case 'y': case 'u': v = y; break;
            case 'Y': v = week_year(days); break;
            case 'M': v = mo; break;
            case 'd': v = d; break;
            case 'H': v = msday / 3600000; break;
            case 'm': v = msday / 60000 % 60; break;
            case 's': v = msday / 1000 % 60; break;
            case 'S':
                if (w > 3)
                    return false;
                v = (msday % 1000) / (w == 1 ? 100 : w == 2 ? 10 : 1);
                break;
            default:
                return false;
            }
            if ((c == 'y' || c == 'u' || c == 'Y') && w == 2)
                v = ((v % 100) + 100) % 100;
            snprintf(buf, sizeof buf, "%0*lld", (int)w, (long long)v);
            th_buf_puts(b, buf);
        } else {
            th_buf_put(b, fmt.p + i, w);
        }
        i = k;
    }
    return true;
}

static int64_t diff_unit(th_str u)
{
    static const struct {
        const char *n;
        int64_t ms;
    } units[] = {{"millisecond", 1}, {"milliseconds", 1}, {"ms", 1},
                 {"second", 1000}, {"seconds", 1000}, {"ss", 1000}, {"s", 1000},
                 {"minute", 60000}, {"minutes", 60000}, {"mi", 60000}, {"n", 60000},
                 {"hour", 3600000}, {"hours", 3600000}, {"hh", 3600000},
                 {"day", 86400000}, {"days", 86400000}, {"dd", 86400000}, {"d", 86400000},
                 {"week", 604800000}, {"weeks", 604800000}, {"wk", 604800000}, {"ww", 604800000}};
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (u.n == strlen(units[k].n) && strncasecmp(u.p, units[k].n, u.n) == 0)
            return units[k].ms;
    return 0;
}

/* ---- base64 -------------------------------------------------------------- */

static int b64v(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static bool from_base64(th_arena *a, th_str s, th_str *out)
{
    if (s.n % 4 != 0)
        return false;
    char *o = th_arena_alloc(a, s.n / 4 * 3 + 1);
    size_t n = 0;
    for (size_t i = 0; i < s.n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s.p[i + (size_t)k];
            if (c == '=' && i + 4 == s.n && k >= 2) {
                v[k] = 0;
                pad++;
            } else {
                if (pad)
                    return false;
                v[k] = b64v(c);
                if (v[k] < 0)
                    return false;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        o[n++] = (char)(w >> 16);
        if (pad < 2)
            o[n++] = (char)(w >> 8 & 0xff);
        if (pad < 1)
            o[n++] = (char)(w & 0xff);
    }
    *out = th_str_make(o, n);
    return true;
}

static bool in_cidr(th_str ip, th_str cidr)
{
    uint8_t v[16], lo[16], hi[16];
    if (!th_q_parse_ip(ip, v) || !th_q_parse_cidr(cidr, lo, hi))
        return false;
    return memcmp(v, lo, 16) >= 0 && memcmp(v, hi, 16) <= 0;
}

ev th_esql_call(erun *r, etab *t, size_t row, const xnode *x)
{
    th_str s1, s2;
    switch (x->fn) {
    case F_CASE: {
        size_t k = 0;
        for (; k + 1 < x->nkids; k += 2)
            if (th_esql_true(r, t, row, x->kids[k]))
                return arg(r, t, row, x, k + 1);
        return k < x->nkids ? arg(r, t, row, x, k) : ev_null();
    }
    case F_COALESCE:
        for (size_t k = 0; k < x->nkids; k++) {
            ev v = arg(r, t, row, x, k);
            if (v.n)
                return v;
        }
        return ev_null();
    case F_CONCAT: {
        th_buf b;
        th_buf_init(&b);
        for (size_t k = 0; k < x->nkids; k++) {
            ev v = one(r, t, row, x, k);
            if (v.n == 0) {
                th_buf_free(&b);
                return ev_null();
            }
            th_str s = th_ev_text(r->a, v.t, v.one);
            th_buf_put(&b, s.p, s.n);
        }
        th_str s = th_str_make(th_arena_strndup(r->a, b.data ? b.data : "", b.len), b.len);
        th_buf_free(&b);
        return ev_kw(s);
    }
    case F_DATE_TRUNC: {
        ev span = one(r, t, row, x, 0), d = one(r, t, row, x, 1);
        if (span.n == 0 || d.n == 0 || span.t != EV_SPAN || d.t != EV_DATE || span.one.i <= 0)
            return ev_null();
        return (ev){EV_DATE, 1, {.one = {.i = floor_div(d.one.i, span.one.i) * span.one.i}}};
    }
    case F_DATE_FORMAT: {
        th_str fmt = TH_STR_LIT("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'");
        ev d = one(r, t, row, x, x->nkids - 1);
        if (x->nkids == 2) {
            ev f = one(r, t, row, x, 0);
            if (!str_of(f, &fmt))
                return ev_null();
        }
        if (d.n == 0 || d.t != EV_DATE)
            return ev_null();
        th_buf b;
        th_buf_init(&b);
        bool ok = date_format(&b, fmt, d.one.i);
        th_str s = th_str_make(th_arena_strndup(r->a, b.data ? b.data : "", b.len), b.len);
        th_buf_free(&b);
        if (!ok) {
            r->warnings++;
            return ev_null();
        }
        return ev_kw(s);
    }
    case F_DATE_DIFF: {
        ev u = one(r, t, row, x, 0), a = date_arg(one(r, t, row, x, 1)), b = date_arg(one(r, t, row, x, 2));
        if (!str_of(u, &s1) || a.n == 0 || b.n == 0 || a.t != EV_DATE || b.t != EV_DATE)
            return ev_null();
        int64_t ms = diff_unit(s1);
        if (!ms) {
            r->warnings++;
            return ev_null();
        }
        int64_t v = (b.one.i - a.one.i) / ms; /* whole units, truncated toward zero */
        if (v < INT32_MIN || v > INT32_MAX) {
            r->warnings++;
            return ev_null();
        }
        return ev_long(v);
    }
    case F_NOW:
        return (ev){EV_DATE, 1, {.one = {.i = r->now}}};
    case F_TO_LOWER:
    case F_TO_UPPER:
        return case_fold(r, one(r, t, row, x, 0), x->fn == F_TO_UPPER);
    case F_TO_INTEGER:
    case F_TO_LONG:
    case F_TO_DOUBLE:
    case F_TO_STRING:
    case F_TO_BOOLEAN:
        return convert(r, arg(r, t, row, x, 0), x->fn);
    case F_STARTS_WITH:
    case F_ENDS_WITH: {
        ev a = one(r, t, row, x, 0), b = one(r, t, row, x, 1);
        if (!str_of(a, &s1) || !str_of(b, &s2))
            return ev_null();
        bool m = s2.n <= s1.n && memcmp(x->fn == F_STARTS_WITH ? s1.p : s1.p + s1.n - s2.n, s2.p, s2.n) == 0;
        return ev_bool(m);
    }
    case F_MV_COUNT: {
        ev v = arg(r, t, row, x, 0);
        return v.n ? ev_long(v.n) : ev_null();
    }
    case F_MV_FIRST:
    case F_MV_LAST: {
        ev v = arg(r, t, row, x, 0);
        if (v.n <= 1)
            return v;
        return (ev){v.t, 1, {.one = v.many[x->fn == F_MV_FIRST ? 0 : v.n - 1]}};
    }
    case F_CIDR_MATCH: {
        ev ip = one(r, t, row, x, 0);
        if (!str_of(ip, &s1))
            return ev_null();
        for (size_t k = 1; k < x->nkids; k++) {
            ev c = arg(r, t, row, x, k);
            for (uint32_t i = 0; i < c.n; i++)
                if ((c.t == EV_KW || c.t == EV_IP) && in_cidr(s1, ev_at(&c, i).s))
                    return ev_bool(true);
        }
        return ev_bool(false);
    }
    case F_FROM_BASE64: {
        ev v = one(r, t, row, x, 0);
        if (!str_of(v, &s1))
            return ev_null();
        if (!from_base64(r->a, s1, &s2)) {
            r->warnings++;
            return ev_null();
        }
        return ev_kw(s2);
    }
    case F_KQL: {
        long d = t->doc ? t->doc[row] : -1;
        /* (captured documents, rows of one source: no KQL() query captures) */
        if (d < 0 || th_esql_docs_rows(r->docs) || !r->docs[d].doc)
            return ev_null();
        return ev_bool(th_query_match(x->aux, r->docs[d].doc));
    }
    case F_LENGTH: {
        ev v = one(r, t, row, x, 0);
        if (!str_of(v, &s1))
            return ev_null();
        int64_t n = 0;
        for (size_t i = 0; i < s1.n; i++)
            n += ((unsigned char)s1.p[i] & 0xC0) != 0x80;
        return ev_long(n);
    }
    case F_ABS: {
        ev v = one(r, t, row, x, 0);
        if (v.n == 0)
            return v;
        if (v.t == EV_DOUBLE)
            v.one.d = fabs(v.one.d);
        else if (v.t == EV_LONG && v.one.i < 0)
            v.one.i = -v.one.i;
        return v;
    }
    default:
        if (!r->err)
            r->err = "aggregate function outside STATS";
        return ev_null();
    }
}
