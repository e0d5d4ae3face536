/* new_terms (SEMANTICS.md 5.2).
 *
 * For a run at t with window W = [f, t] and history start H = datemath(
 * history_window_start, now = t): a term tuple produced by a match in W is
 * NEW iff its first sighting among matches with combined timestamp in [H, t]
 * is strictly after f. Because the matches are sorted by combined timestamp,
 * each tuple keeps the sorted list of the matches producing it; one binary
 * search for H answers both "first seen" and "which document builds the
 * alert" (the earliest; ties broken by @timestamp then input order).
 *
 * State: the tuple index over every match of the rule (the history may reach
 * days before the simulated period). Charged against --max-state-mb. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/sort.h"
#include "base/timeutil.h"
#include "engine/internal.h"

typedef struct ntterm {
    th_str *vals;            /* the tuple */
    TH_VEC(uint32_t) occ;    /* matches producing it, in match order */
    uint64_t stamp;          /* last run that listed it as a candidate */
} ntterm;

typedef struct nt_state {
    th_engine *e;
    th_erule *r;
    size_t nf;
    th_map terms;            /* tuple key -> ntterm* */
    TH_VEC(ntterm *) all;
    TH_VEC(ntterm *) mt;     /* terms of each match, flattened */
    uint32_t *mt_off;        /* nmatches + 1 */
    uint32_t cur;            /* match being indexed */
    bool lost;               /* a tuple of it was not indexed (state capped) */
    uint64_t bytes;
    uint64_t run;
    th_buf key;
    size_t traced;           /* explain: the traced match's index, SIZE_MAX if none */
} nt_state;

/* one more occurrence of term t: the match being indexed */
static void add_occ(nt_state *s, ntterm *t)
{
    if (!th_state_charge(s->e, s->r, &s->bytes, sizeof(uint32_t) + sizeof(ntterm *))) {
        s->lost = true;
        return;
    }
    TH_VEC_PUSH(&t->occ, s->cur);
    TH_VEC_PUSH(&s->mt, t);
}

static void index_tuple(const th_str *tuple, size_t nf, void *ctx)
{
    nt_state *s = ctx;
    th_tuple_key(&s->key, tuple, nf);
    ntterm *t = th_map_get(&s->terms, th_buf_str(&s->key));
    if (!t) {
        uint64_t cost = sizeof(ntterm) + s->key.len + nf * sizeof(th_str) + 32;
        if (!th_state_charge(s->e, s->r, &s->bytes, cost)) {
            s->lost = true;
            return;
        }
        t = th_xcalloc(1, sizeof(*t));
        t->vals = TH_ANEWN(&s->e->arena, th_str, nf ? nf : 1);
        memcpy(t->vals, tuple, nf * sizeof(th_str));
        char *k = th_arena_strndup(&s->e->arena, s->key.data, s->key.len);
        th_map_put(&s->terms, th_str_make(k, s->key.len), t);
        TH_VEC_PUSH(&s->all, t);
    }
    add_occ(s, t);
}

/* Matches whose new_terms fields have the very lists of an earlier match
 * (m->fv: the same ids) have its tuples, in its order, so their terms are
 * its terms (lists of one string are shared by every match with that value,
 * hotpass.c). A memo of 2^NT_MEMO_BITS slots remembers, by a hash of the
 * ids, the last match whose every tuple was indexed, and a match that finds
 * one with its ids takes its terms without building and hashing a key per
 * tuple (b100k: most of build_index, the map hashing a key a byte a step).
 * The occurrences are charged and added as index_tuple adds them to a term
 * it finds; the terms exist, since the earlier match found or made them. */
enum { NT_MEMO_BITS = 8 };

/* the slot of a memo of 2^bits entries for lists fv[0..nf) */
static size_t memo_slot(const uint32_t *fv, size_t nf, unsigned bits)
{
    uint64_t h = 0;
    for (size_t f = 0; f < nf; f++)
        h = (h ^ fv[f]) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> (64 - bits));
}

static void build_index(nt_state *s)
{
    th_erule *r = s->r;
    uint32_t memo[1 << NT_MEMO_BITS] = {0}; /* a match's index + 1, 0: none */
    s->mt_off = th_xmalloc((r->matches.len + 1) * sizeof(uint32_t));
    for (size_t i = 0; i < r->matches.len; i++) {
        const th_match *m = &r->matches.items[i];
        s->mt_off[i] = (uint32_t)s->mt.len;
        s->cur = (uint32_t)i;
        if (s->e->trace && th_trace_is(s->e, r, m)) {
            s->traced = i; /* explain: which new_terms field gives it no term? */
            for (size_t f = 0; f < s->nf && !s->e->trace->nt_missing; f++)
                if (th_match_nv(s->e, m, f) == 0)
                    s->e->trace->nt_missing = (int)f + 1;
        }
        const uint32_t *row = th_match_row(s->e, m);
        uint32_t *slot = &memo[memo_slot(row, s->nf, NT_MEMO_BITS)];
        if (*slot && !s->e->nt_no_memo &&
            memcmp(th_match_row(s->e, &r->matches.items[*slot - 1]), row, s->nf * sizeof *row) ==
                0) {
            for (uint32_t j = s->mt_off[*slot - 1]; j < s->mt_off[*slot]; j++)
                add_occ(s, s->mt.items[j]);
            continue;
        }
        s->lost = false;
        if (!th_match_tuples(s->e, m, 0, s->nf, index_tuple, s))
            r->rep.state_capped = true;
        else if (!s->lost)
            *slot = (uint32_t)i + 1;
    }
    s->mt_off[r->matches.len] = (uint32_t)s->mt.len;
}

typedef struct newterm {
    ntterm *t;
    uint32_t first; /* the match that builds the alert */
} newterm;

/* x's term tuple sorts strictly before y's (of nf values) */
static inline bool newterm_before(size_t nf, const newterm *x, const newterm *y)
{
    return th_tuple_cmp(x->t->vals, y->t->vals, nf) < 0;
}
TH_DEFINE_STABLE_SORT(sort_newterms, newterm, size_t, newterm_before)

/* Index into term->occ of its first occurrence at or after H. */
static size_t first_from(const th_erule *r, const ntterm *term, int64_t H)
{
    size_t lo = 0, hi = term->occ.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (th_match_combined(r, &r->matches.items[term->occ.items[mid]]) < H)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* explain: the traced match's tuples in this run, with each one's first
 * sighting in the history window [H, t] (engine.h). */
static void trace_terms(nt_state *s, int64_t t, int64_t f, int64_t H)
{
    th_engine *e = s->e;
    th_erule *r = s->r;
    const th_match *m = &r->matches.items[s->traced];
    for (uint32_t j = s->mt_off[s->traced]; j < s->mt_off[s->traced + 1]; j++) {
        const ntterm *term = s->mt.items[j];
        th_trace_run *x = th_trace_entry(e, r, m, t, term->vals, s->nf);
        size_t lo = first_from(r, term, H);
        if (!x || lo == term->occ.len)
            continue;
        const th_match *fm = &r->matches.items[term->occ.items[lo]];
        x->history_ms = H;
        x->first_ms = th_match_combined(r, fm);
        x->first_order = fm->order;
        x->history = th_match_combined(r, fm) <= f;
        uint32_t di = th_match_doc(r, fm);
        if (di != UINT32_MAX) {
            th_str id = e->docs.items[di].id;
            snprintf(x->first_id, sizeof x->first_id, "%.*s", (int)id.n, id.p);
        }
    }
}

/* explain: marks the traced match's entry of a tuple as alerted/truncated. */
static void trace_mark(nt_state *s, int64_t t, const newterm *n, bool alerted)
{
    if (s->traced == SIZE_MAX || n->first != s->traced)
        return;
    th_trace_run *x = th_trace_entry(s->e, s->r, &s->r->matches.items[s->traced], t, n->t->vals,
                                     s->nf);
    if (x && alerted)
        x->alerted = true;
    else if (x)
        x->truncated = true;
}

static void nt_run(th_engine *e, th_erule *r, int64_t t, void *ctx)
{
    nt_state *s = ctx;
    int64_t f = t - th_sched_lookback(r);
    const char *hws = r->rule->history_window_start;
    int64_t H;
    if (!th_datemath_eval(hws, strlen(hws), t, &H))
        return;
    size_t b, en;
    th_sched_window(e, r, f, t, &b, &en);
    s->run++;
    if (s->traced != SIZE_MAX && s->traced >= b && s->traced < en)
        trace_terms(s, t, f, H);
    TH_VEC(newterm) nw = {0};
    for (size_t i = b; i < en; i++) {
        for (uint32_t j = s->mt_off[i]; j < s->mt_off[i + 1]; j++) {
            ntterm *term = s->mt.items[j];
            if (term->stamp == s->run)
                continue;
            term->stamp = s->run;
            size_t lo = first_from(r, term, H);
            if (lo == term->occ.len)
                continue;
            uint32_t first = term->occ.items[lo];
            if (th_match_combined(r, &r->matches.items[first]) <= f)
                continue; /* seen in the history (or exactly at from): not new */
            newterm n = {term, first};
            TH_VEC_PUSH(&nw, n);
        }
    }
    sort_newterms(nw.items, nw.len, s->nf);
    int64_t created = 0;
    for (size_t i = 0; i < nw.len; i++) {
        const th_match *m = &r->matches.items[nw.items[i].first];
        static const th_edoc none = {0};
        uint32_t di = th_match_doc(r, m);
        const th_edoc *d = di == UINT32_MAX ? &none : &e->docs.items[di];
        char id[65];
        th_alert_event_id(e, r, d, nw.items[i].t->vals, s->nf, id);
        if (th_map_has(&r->ids, th_str_make(id, 64))) {
            trace_mark(s, t, &nw.items[i], true);
            continue; /* the same (doc, tuple) alerted in an overlapping run */
        }
        if (created == r->max_signals) {
            r->rep.runs_truncated++;
            for (size_t k = i; k < nw.len; k++)
                trace_mark(s, t, &nw.items[k], false);
            break;
        }
        th_jval *src = di == UINT32_MAX ? NULL : th_alert_source(e, d);
        if (!src)
            continue;
        th_alert_id_claim(e, r, id);
        th_jval *terms = th_jnew_arr(&e->arena);
        for (size_t f2 = 0; f2 < s->nf; f2++)
            th_jarr_push(&e->arena, terms, th_alert_value(&e->arena, nw.items[i].t->vals[f2]));
        th_jobj_set(&e->arena, src, TH_STR_LIT("kibana.alert.new_terms"), terms);
        char *anc = th_arena_strndup(&e->arena, d->id.p, d->id.n);
        th_alert_make(e, r, src, t, id, d->ts, anc);
        trace_mark(s, t, &nw.items[i], true);
        created++;
    }
    TH_VEC_FREE(&nw);
}

void th_exec_new_terms(th_engine *e, th_erule *r)
{
    nt_state s = {.e = e, .r = r, .nf = r->rule->new_terms_fields.len, .traced = SIZE_MAX};
    th_map_init(&s.terms);
    th_buf_init(&s.key);
    build_index(&s);
    th_sched_each(e, r, nt_run, &s);
    for (size_t i = 0; i < s.all.len; i++) {
        TH_VEC_FREE(&s.all.items[i]->occ);
        free(s.all.items[i]);
    }
    TH_VEC_FREE(&s.all);
    TH_VEC_FREE(&s.mt);
    free(s.mt_off);
    th_map_free(&s.terms);
    th_buf_free(&s.key);
}

/* ---- hot pass: which documents can build an alert -------------------------
 *
 * A match y builds the alert of tuple T only in a run t with y in (t - L, t]
 * and no other occurrence of T in [t - hist, y). Every such t is < y + L, so
 * an occurrence x of T with y - (hist - L) <= x < y rules y out for T, and so
 * does an earlier match x with x == y that sorts before y (th_match_sort: the
 * same combined time, a timestamp no later; its order is earlier, since
 * matches are committed in input order): x is in every window y is in, and
 * comes first in it. Each tuple remembers its oldest occurrence (with the
 * timestamp of the first match sorted at it) and its newest: input is mostly
 * in time order, where the newest catches a repeat, and where it is not (S3
 * objects, several trails) the oldest does. A match neither rules out keeps
 * its doc (conservative: never drops a document that could be needed). */
typedef struct seen_ctx {
    th_engine *e;
    th_erule *r;
    const th_match *m;
    bool needed;
    th_buf key;
    struct nt_seen *last; /* the entry of the last tuple, NULL: not remembered */
} seen_ctx;

typedef struct nt_seen {
    int64_t oldest, oldest_ts; /* combined time, and the timestamp that sorts first at it */
    int64_t newest;
} nt_seen;

/* A match's tuple seen before as *seen */
static void seen_again(seen_ctx *c, nt_seen *seen)
{
    int64_t y = th_match_combined(c->r, c->m), ts = c->m->ts, from = y - c->r->nt_gap;
    bool earlier = (seen->oldest < y && seen->oldest >= from) ||
                   (seen->newest < y && seen->newest >= from) ||
                   (seen->oldest == y && seen->oldest_ts <= ts);
    if (!earlier)
        c->needed = true;
    if (y < seen->oldest || (y == seen->oldest && ts < seen->oldest_ts)) {
        seen->oldest = y;
        seen->oldest_ts = ts;
    }
    if (y > seen->newest)
        seen->newest = y;
}

static void seen_tuple(const th_str *tuple, size_t nf, void *ctx)
{
    seen_ctx *c = ctx;
    th_tuple_key(&c->key, tuple, nf);
    nt_seen *seen = th_map_get(&c->r->nt_seen, th_buf_str(&c->key));
    c->last = NULL;
    if (!seen) {
        c->needed = true;
        if (!th_state_charge(c->e, c->r, &c->r->nt_bytes, c->key.len + 64))
            return; /* cannot remember it: the doc is kept, which is safe */
        seen = TH_ANEW(&c->e->arena, nt_seen);
        int64_t y = th_match_combined(c->r, c->m);
        *seen = (nt_seen){y, c->m->ts, y};
        char *k = th_arena_strndup(&c->e->arena, c->key.data, c->key.len);
        th_map_put(&c->r->nt_seen, th_str_make(k, c->key.len), seen);
        c->last = seen;
        return;
    }
    c->last = seen;
    seen_again(c, seen);
}

/* The hot pass's memo (th_erule.nt_memo): a match whose fields are single
 * values, as lists shared by every match with those values (the lists of
 * one string are, hotpass.c), has one tuple, whose entry in nt_seen is
 * remembered by the lists' ids: a match with the same ids finds it without
 * building and hashing the tuple's key (b100k: most of th_nt_doc_needed). */
enum { NT_SEEN_MEMO_BITS = 6 };

struct th_ntmemo {
    uint32_t fv[TH_ENGINE_MAX_TERM_FIELDS];
    nt_seen *seen; /* NULL: empty */
};

bool th_nt_doc_needed(th_engine *e, th_erule *r, const th_match *m)
{
    if (r->nt_gap <= 0)
        return true;
    size_t nf = r->rule->new_terms_fields.len;
    seen_ctx c = {e, r, m, false, {0}, NULL};
    struct th_ntmemo *x = NULL;
    bool one = !e->nt_no_memo && nf <= TH_ENGINE_MAX_TERM_FIELDS;
    for (size_t f = 0; f < nf && one; f++)
        one = th_match_nv(e, m, f) == 1;
    if (one) {
        if (!r->nt_memo)
            r->nt_memo = th_xcalloc((size_t)1 << NT_SEEN_MEMO_BITS, sizeof *r->nt_memo);
        x = &r->nt_memo[memo_slot(th_match_row(e, m), nf, NT_SEEN_MEMO_BITS)];
        if (x->seen && memcmp(x->fv, th_match_row(e, m), nf * sizeof *x->fv) == 0) {
            seen_again(&c, x->seen);
            return c.needed;
        }
    }
    th_buf_init(&c.key);
    th_match_tuples(e, m, 0, nf, seen_tuple, &c);
    th_buf_free(&c.key);
    if (x && c.last) {
        memcpy(x->fv, th_match_row(e, m), nf * sizeof *x->fv);
        x->seen = c.last;
    }
    return c.needed;
}
