/* Shared helpers for the engine tests (header-only: each test program
 * includes it once). Rules are built in code, events are ECS JSON text,
 * the predicate is a stub (field == value), alerts are collected as parsed
 * documents. Times are minutes after T0 = 2024-01-01T00:00:00Z. */
#ifndef TH_TEST_ENGINE_FIXTURE_H
#define TH_TEST_ENGINE_FIXTURE_H

#include "th_test.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/timeutil.h"
#include "engine/engine.h"
#include "json/json.h"

#define T0 1704067200000LL
#define MIN(m) (T0 + (int64_t)((m) * 60000.0))

typedef struct fx {
    th_arena a;
    th_engine *e;
    th_engine_opts o;
    uint64_t nev;
    const th_jval *alerts[512];
    int64_t times[512];
    size_t nalerts;
} fx;

/* Stub predicate: the field has the value (string compare), or any doc when field is NULL. */
typedef struct stub_pred {
    const char *field, *value;
} stub_pred;

static inline bool stub_visit(const th_jval *v, void *ctx)
{
    const char *want = ctx;
    return !(v->type == TH_JSTR && th_str_eqc(v->u.str, want));
}

static inline bool stub_match(const void *pred, const th_jval *doc)
{
    const stub_pred *p = pred;
    if (!p->field)
        return true;
    return !th_json_path_each(doc, th_str_c(p->field), stub_visit, (void *)p->value);
}

static inline void fx_init(fx *f)
{
    memset(f, 0, sizeof(*f));
    th_arena_init(&f->a, 65536);
    th_engine_opts_default(&f->o);
}

static inline void fx_start(fx *f) { f->e = th_engine_new(&f->o); }

static inline void fx_rule(th_rule *r, th_rule_type type, const char *name, double lookback_min,
                    double interval_min, int64_t max_signals)
{
    memset(r, 0, sizeof(*r));
    r->type = type;
    r->name = name;
    r->rule_id = name;
    r->severity = "medium";
    r->risk_score = 47;
    r->lookback_ms = (int64_t)(lookback_min * 60000.0);
    r->interval_ms = (int64_t)(interval_min * 60000.0);
    r->max_signals = max_signals;
    r->timestamp_override = "event.ingested"; /* as every AWS rule */
}

/* An ES|QL rule named name (3-hour look-back, hourly, 100 alerts at most)
 * added to f's engine with query; its diagnostics printed if it is refused. */
static inline void fx_esql_rule(fx *f, th_rule *r, const char *name, const char *query)
{
    fx_rule(r, TH_RULE_ESQL, name, 180, 60, 100);
    r->query = query;
    r->language = TH_LANG_ESQL;
    th_diags d;
    th_diags_init(&d);
    const char *why = th_engine_add_esql_query(f->e, r, query, NULL, &f->a, &d, NULL, NULL, NULL);
    if (why)
        th_diags_print(&d, stderr);
    assert_null(why);
    th_diags_free(&d);
}

/* The next event of the input from one ECS document given as JSON text,
 * its times read, not fed yet. */
static inline th_event fx_event(fx *f, const char *json)
{
    th_json_error err;
    th_jval *doc = th_json_parse(&f->a, json, strlen(json), &err);
    assert_non_null(doc);
    th_event ev = {0};
    ev.doc = doc;
    ev.index = f->nev++;
    ev.file = "test.ndjson";
    ev.offset = ev.index * 100;
    th_event_read_times(&ev);
    return ev;
}

/* Feeds one ECS document given as JSON text. */
static inline void fx_feed(fx *f, const char *json)
{
    th_event ev = fx_event(f, json);
    th_engine_feed(f->e, &ev);
}

static inline char *fx_iso(fx *f, int64_t ms)
{
    char buf[32];
    th_time_format_iso(ms, buf);
    return th_arena_strdup(&f->a, buf);
}

/* An event: id, ingested minute (< 0 = absent), @timestamp minute, extra JSON members. */
static inline void fx_ev(fx *f, const char *id, double ingested_min, double ts_min, const char *extra)
{
    char *json;
    if (ingested_min >= 0)
        json = th_arena_printf(&f->a,
                               "{\"@timestamp\":\"%s\",\"event\":{\"id\":\"%s\",\"ingested\":\"%s\","
                               "\"action\":\"Act\"}%s%s}",
                               fx_iso(f, MIN(ts_min)), id, fx_iso(f, MIN(ingested_min)),
                               extra ? "," : "", extra ? extra : "");
    else
        json = th_arena_printf(&f->a,
                               "{\"@timestamp\":\"%s\",\"event\":{\"id\":\"%s\",\"action\":\"Act\"}%s%s}",
                               fx_iso(f, MIN(ts_min)), id, extra ? "," : "", extra ? extra : "");
    fx_feed(f, json);
}

static inline void fx_sink(void *ctx, const th_alert *al)
{
    fx *f = ctx;
    assert_true(f->nalerts < 512);
    th_buf b;
    th_buf_init(&b);
    th_json_write(&b, al->doc);
    th_json_error err;
    char *copy = th_arena_strndup(&f->a, b.data, b.len);
    f->alerts[f->nalerts] = th_json_parse(&f->a, copy, b.len, &err);
    assert_non_null(f->alerts[f->nalerts]);
    f->times[f->nalerts++] = al->time_ms;
    th_buf_free(&b);
}

static inline void fx_finish(fx *f) { th_engine_finish(f->e, fx_sink, f); }

static inline void fx_free(fx *f)
{
    th_engine_free(f->e);
    th_arena_free(&f->a);
}

/* A string field of alert i ("" when absent). Flat dotted keys first. */
static inline const char *fx_str(fx *f, size_t i, const char *field)
{
    const th_jval *v = th_json_path_first(f->alerts[i], th_str_c(field));
    if (!v || v->type != TH_JSTR)
        return "";
    return th_arena_strndup(&f->a, v->u.str.p, v->u.str.n);
}

static inline int64_t fx_int(fx *f, size_t i, const char *field)
{
    const th_jval *v = th_json_path_first(f->alerts[i], th_str_c(field));
    int64_t x = -1;
    if (v)
        th_jnum_i64(v, &x);
    return x;
}

/* Every alert's document and time, a line each, in order (malloc'd). */
static inline char *fx_alerts_text(const fx *f)
{
    th_buf b;
    th_buf_init(&b);
    for (size_t i = 0; i < f->nalerts; i++) {
        th_json_write(&b, f->alerts[i]);
        th_buf_printf(&b, " at %lld\n", (long long)f->times[i]);
    }
    char *out = strndup(b.data ? b.data : "", b.len);
    th_buf_free(&b);
    return out;
}

static inline const th_rule_report *fx_report(fx *f, size_t rule)
{
    size_t n;
    const th_rule_report *r = th_engine_reports(f->e, &n);
    assert_true(rule < n);
    return &r[rule];
}

#endif
