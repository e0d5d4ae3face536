/* The KQL text of noise's conditions and clauses (noise.h). */
#include <string.h>

#include "base/buf.h"
#include "tune/noise.h"

static bool is_plain_literal(th_str v)
{
    if (v.n == 0)
        return false;
    if (th_str_eqc(v, "true") || th_str_eqc(v, "false"))
        return true;
    for (size_t i = 0; i < v.n; i++)
        if (!((v.p[i] >= '0' && v.p[i] <= '9') || (i == 0 && v.p[i] == '-') ||
              (i > 0 && v.p[i] == '.')))
            return false;
    return true;
}

static void put_quoted(th_buf *b, th_str v)
{
    th_buf_putc(b, '"');
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] == '"' || v.p[i] == '\\')
            th_buf_putc(b, '\\');
        th_buf_putc(b, v.p[i]);
    }
    th_buf_putc(b, '"');
}

/* An unquoted KQL value: special characters escaped, `*` kept as the
 * wildcard when `wild`. */
static void put_pattern(th_buf *b, th_str v, bool wild)
{
    for (size_t i = 0; i < v.n; i++) {
        if (strchr("\\():<>\"{} \t", v.p[i]) || (!wild && v.p[i] == '*'))
            th_buf_putc(b, '\\');
        th_buf_putc(b, v.p[i]);
    }
}

static void cond_kql(th_buf *b, const th_noise_cond *c)
{
    switch (c->kind) {
    case TH_NOISE_MISSING: th_buf_printf(b, "not %s: *", c->field); break;
    case TH_NOISE_PRESENT: th_buf_printf(b, "%s: *", c->field); break;
    case TH_NOISE_VALUE:
        th_buf_printf(b, "%s: ", c->field);
        if (is_plain_literal(c->value))
            th_buf_putstr(b, c->value);
        else
            put_quoted(b, c->value);
        break;
    case TH_NOISE_CIDR:
        th_buf_printf(b, "%s: ", c->field);
        put_quoted(b, c->value);
        break;
    case TH_NOISE_PREFIX:
        th_buf_printf(b, "%s: ", c->field);
        put_pattern(b, c->value, false);
        th_buf_putc(b, '*');
        break;
    case TH_NOISE_PATTERN:
        th_buf_printf(b, "%s: ", c->field);
        put_pattern(b, c->value, true);
        break;
    }
}

static const char *done(th_arena *a, th_buf *b)
{
    char *s = th_arena_strndup(a, b->data, b->len);
    th_buf_free(b);
    return s;
}

const char *th_noise_cond_kql(th_arena *a, const th_noise_cond *c)
{
    th_buf b;
    th_buf_init(&b);
    cond_kql(&b, c);
    return done(a, &b);
}

const char *th_noise_cluster_kql(th_arena *a, const th_noise_cond *c, size_t n)
{
    th_buf b;
    th_buf_init(&b);
    if (n == 1 && c[0].kind == TH_NOISE_MISSING) {
        th_buf_printf(&b, "and %s: *", c[0].field);
    } else if (n == 1 && c[0].kind == TH_NOISE_PRESENT) {
        th_buf_printf(&b, "and not %s: *", c[0].field);
    } else if (n == 1) {
        th_buf_puts(&b, "and not ");
        cond_kql(&b, &c[0]);
    } else {
        th_buf_puts(&b, "and not (");
        for (size_t i = 0; i < n; i++) {
            if (i)
                th_buf_puts(&b, " and ");
            cond_kql(&b, &c[i]);
        }
        th_buf_putc(&b, ')');
    }
    return done(a, &b);
}

const char *th_noise_kql(th_arena *a, th_noise_kind kind, const char *field, th_str value)
{
    th_noise_cond c = {kind, field, value, TH_NOISE_PROVENANCE};
    return th_noise_cluster_kql(a, &c, 1);
}
