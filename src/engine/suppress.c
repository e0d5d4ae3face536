/* Alert suppression for query rules (SEMANTICS.md 2.5).
 *
 * Per run, the window's matches are grouped by the group_by values (arrays
 * sorted, a missing field is null; with missing_fields_strategy
 * doNotSuppress a document missing any field alerts on its own). Each group
 * yields one alert built from its earliest document, carrying
 * kibana.alert.suppression.{terms,start,end,docs_count} and
 * kibana.alert.instance.id. Documents covered by an earlier run's group
 * (same terms, combined timestamp <= that group's end) are excluded. With a
 * duration, a group whose instance already has an alert created within
 * `duration` before this run updates that alert (end, docs_count,
 * last_detected) instead of creating one. */
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "engine/internal.h"

typedef struct sgroup {
    th_str key;          /* JSON text of the terms array */
    size_t first;        /* earliest match (matches are in time order) */
    uint64_t count;
    int64_t min_ts, max_ts;
} sgroup;

static size_t group_f0(const th_erule *r) { return r->ncap - r->rule->suppression_group_by.len; }

/* The terms array as JSON text; *missing says whether any field was absent. */
static th_str terms_json(th_engine *e, const th_erule *r, const th_match *m, bool *missing)
{
    th_buf b;
    th_buf_init(&b);
    size_t f0 = group_f0(r);
    *missing = false;
    th_buf_putc(&b, '[');
    for (size_t g = 0; g < r->rule->suppression_group_by.len; g++) {
        if (g)
            th_buf_putc(&b, ',');
        th_buf_puts(&b, "{\"field\":");
        th_json_write_str(&b, th_str_c(r->rule->suppression_group_by.items[g]));
        th_buf_puts(&b, ",\"value\":");
        const th_vlist *l = th_match_list(e, m, f0 + g);
        size_t nv = l->n;
        if (nv == 0) {
            *missing = true;
            th_buf_puts(&b, "null");
        } else {
            th_buf_putc(&b, '[');
            for (size_t i = 0; i < nv; i++) {
                if (i)
                    th_buf_putc(&b, ',');
                th_buf_putstr(&b, l->v[i]);
            }
            th_buf_putc(&b, ']');
        }
        th_buf_putc(&b, '}');
    }
    th_buf_putc(&b, ']');
    th_str s = th_str_make(th_arena_strndup(&e->arena, b.data, b.len), b.len);
    th_buf_free(&b);
    return s;
}

static int group_cmp(const void *x, const void *y)
{
    return th_str_cmp(((const sgroup *)x)->key, ((const sgroup *)y)->key);
}

static th_jval *iso(th_arena *a, int64_t ms)
{
    char buf[32];
    th_time_format_iso(ms, buf);
    return th_jnew_strcopy(a, th_str_c(buf));
}

/* The newest of al[0..n) that is rule r's with instance inst, created at or
 * after `since`, or NULL. */
static th_ealert *newest_open(th_ealert *al, size_t n, const th_erule *r, th_str inst, int64_t since)
{
    for (size_t i = n; i-- > 0;)
        if (al[i].pub.rule == r->rule && th_str_eq(al[i].instance, inst) && al[i].pub.time_ms >= since)
            return &al[i];
    return NULL;
}

th_ealert *th_supp_find_open(th_engine *e, const th_erule *r, th_str inst, int64_t since)
{
    th_ealert *a = newest_open(e->alerts.items, e->alerts.len, r, inst, since);
    if (!a) /* a view's alerts are the rule's own: the loaded ones are apart (engine.c) */
        a = newest_open(e->carried, e->ncarried, r, inst, since);
    if (!a)
        return NULL;
    th_alert_revive(e, a); /* an alert of an earlier run, kept as text */
    return a->doc ? a : NULL;
}

void th_supp_set(th_engine *e, th_ealert *al, int64_t start, int64_t t)
{
    th_arena *a = &e->arena;
    if (start != TH_TIME_NONE)
        th_jobj_set(a, al->doc, TH_STR_LIT("kibana.alert.suppression.start"), iso(a, start));
    th_jobj_set(a, al->doc, TH_STR_LIT("kibana.alert.suppression.end"), iso(a, al->supp_end));
    th_jobj_set(a, al->doc, TH_STR_LIT("kibana.alert.suppression.docs_count"),
                th_jnew_i64(a, al->supp_docs));
    th_jobj_set(a, al->doc, TH_STR_LIT("kibana.alert.last_detected"), iso(a, t));
}

static void plain_alert(th_engine *e, th_erule *r, const th_match *m, int64_t t)
{
    const th_edoc *d = &e->docs.items[th_match_doc(r, m)];
    char id[65];
    th_alert_event_id(e, r, d, NULL, 0, id);
    if (!th_alert_id_claim(e, r, id))
        return;
    th_jval *src = th_alert_source(e, d);
    if (src)
        th_alert_make(e, r, src, t, id, d->ts, th_arena_strndup(&e->arena, d->id.p, d->id.n));
}

void th_suppress_run(th_engine *e, th_erule *r, int64_t t, const size_t *cand, size_t n,
                     th_map *history)
{
    const th_rule *rule = r->rule;
    bool do_not = rule->missing_fields_strategy &&
                  strcmp(rule->missing_fields_strategy, "doNotSuppress") == 0;
    th_map groups;
    th_map_init(&groups);
    TH_VEC(sgroup) gl = {0};
    TH_VEC(size_t) alone = {0};
    for (size_t i = 0; i < n; i++) {
        const th_match *m = &r->matches.items[cand[i]];
        bool missing;
        th_str key = terms_json(e, r, m, &missing);
        int64_t *end = th_map_get(history, key), c = th_match_combined(r, m);
        if (end && c <= *end)
            continue; /* covered by an earlier run's alert */
        if (missing && do_not) {
            TH_VEC_PUSH(&alone, cand[i]);
            continue;
        }
        void *gi = th_map_get(&groups, key);
        if (!gi) {
            sgroup g = {key, cand[i], 0, c, c};
            TH_VEC_PUSH(&gl, g);
            th_map_put(&groups, key, (void *)(uintptr_t)gl.len);
            gi = (void *)(uintptr_t)gl.len;
        }
        sgroup *g = &gl.items[(uintptr_t)gi - 1];
        g->count++;
        if (c < g->min_ts)
            g->min_ts = c;
        if (c > g->max_ts)
            g->max_ts = c;
    }
    th_map_free(&groups);
    if (gl.len) /* qsort(NULL, 0) is undefined behaviour */
        qsort(gl.items, gl.len, sizeof(sgroup), group_cmp);
    size_t ng = gl.len;
    if ((int64_t)ng > r->max_signals) {
        r->rep.runs_truncated++;
        ng = (size_t)r->max_signals;
    }
    for (size_t i = 0; i < ng; i++) {
        sgroup *g = &gl.items[i];
        const th_match *m = &r->matches.items[g->first];
        const th_edoc *d = &e->docs.items[th_match_doc(r, m)];
        char inst[65];
        th_buf ib;
        th_buf_init(&ib);
        th_buf_putstr(&ib, g->key);
        th_buf_printf(&ib, "%s%s", r->uuid, e->o.space_id);
        th_sha256_hex(ib.data, ib.len, inst);
        th_buf_free(&ib);
        th_str instance = th_str_make(th_arena_strndup(&e->arena, inst, 64), 64);
        /* remember what this group covered */
        int64_t *end = th_map_get(history, g->key);
        if (!end) {
            end = TH_ANEW(&e->arena, int64_t);
            *end = INT64_MIN;
            th_map_put(history, g->key, end);
        }
        if (g->max_ts > *end)
            *end = g->max_ts;
        th_ealert *open = rule->suppression_duration_ms > 0
                              ? th_supp_find_open(e, r, instance, t - rule->suppression_duration_ms)
                              : NULL;
        if (open && open->pub.time_ms != t) {
            open->supp_docs += (int64_t)g->count;
            if (g->max_ts > open->supp_end)
                open->supp_end = g->max_ts;
            th_supp_set(e, open, TH_TIME_NONE, t);
            r->rep.suppressed_docs += g->count;
            continue;
        }
        char id[65];
        th_alert_event_id(e, r, d, NULL, 0, id);
        if (!th_alert_id_claim(e, r, id))
            continue;
        th_jval *src = th_alert_source(e, d);
        if (!src)
            continue;
        th_jval *terms = th_alert_value(&e->arena, g->key);
        th_jobj_set(&e->arena, src, TH_STR_LIT("kibana.alert.suppression.terms"), terms);
        th_jobj_set(&e->arena, src, TH_STR_LIT("kibana.alert.instance.id"),
                    th_jnew_str(&e->arena, instance));
        th_ealert *al = th_alert_make(e, r, src, t, id, d->ts,
                                      th_arena_strndup(&e->arena, d->id.p, d->id.n));
        al->instance = instance;
        al->supp_end = g->max_ts;
        al->supp_docs = (int64_t)g->count - 1;
        th_supp_set(e, al, g->min_ts, t);
        r->rep.suppressed_docs += g->count - 1;
    }
    for (size_t i = 0; i < alone.len; i++)
        plain_alert(e, r, &r->matches.items[alone.items[i]], t);
    TH_VEC_FREE(&gl);
    TH_VEC_FREE(&alone);
}
