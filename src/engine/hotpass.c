/* The hot pass (DESIGN.md stage 1): prefilter routing, predicate evaluation
 * (thread-safe), and the in-order commit of match records. */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/limits.h"
#include "ecs/schema.h"
#include "engine/exceptions.h"
#include "engine/internal.h"
#include "engine/sequence.h"
#include "query/query.h"

/* ---- hot pass ------------------------------------------------------------ */

typedef struct th_plan_cache th_plan_cache;
static th_plan_cache *plan_cache_new(void);
static void route_slots_once(void);
static uint64_t routed_slots(size_t nf);
static void plan_cache_free(th_plan_cache *pc);

typedef struct route_ctx {
    const th_engine *e;
    const char *field;
    unsigned fidx;       /* index of field in th_routed_fields */
    struct th_route_memo *memo;
    th_routelist *hits[64];
    size_t nhits;
} route_ctx;

/* The routing of a routed slot whose values are fixed (rawproj.h
 * th_ecs_slots.fixed: the data stream constants) by th_hits, remembered
 * under the values' address: the same text on every record, so the same
 * lookups (the index is fixed once th_hits_init ran), in the same order. */
#define ROUTE_FIXED_HITS 4
typedef struct th_route_fixed {
    const th_jval *vals; /* NULL: nothing remembered */
    uint32_t n;
    uint32_t nhits;
    th_routelist *hits[ROUTE_FIXED_HITS];
} th_route_fixed;

/* The candidates of a record on slots are a function of the index's lists
 * its routed values met, in order (see(): e->always, then each list's rules,
 * each once; the index is fixed once th_hits_init ran), and records repeat a
 * few provider and action pairs (b10k: ~12 candidates a record, whose
 * marking, and the loops over them for what their gates read, cost ~700
 * instructions). So th_hits remembers the candidates of recent sequences of
 * lists, and with them, under the gates' generation (e->gate_gen), what
 * those gates read: th_engine_gate_need's need, the slots of the kept gates
 * and the candidates' hash that th_engine_plan_slots' key starts with.
 * In sets of CAND_WAYS by a hash of the lists' ids (th_routelist.id: the
 * lists' addresses made which sequences collide a matter of where the heap
 * lay); an entry serves only the very same sequence of lists. */
#define CAND_MEMO 256
#define CAND_WAYS 4
#define CAND_LISTS 8 /* longer sequences are not remembered */
typedef struct th_cand_entry {
    uint32_t nlists; /* UINT32_MAX: unused */
    bool served;     /* found again since stored: others go first (cand_find) */
    th_routelist *lists[CAND_LISTS];
    uint32_t *seen;
    size_t nseen, cap;
    /* what the candidates' gates read, while gen is e->gate_gen + 1 (0: not known) */
    uint32_t gen;
    th_ecs_proj_need need;
    uint64_t read, hash;
    uint64_t stamp; /* counts the sequences of lists the entry has held */
    uint32_t set;   /* seen's number (th_cand_memo.sets), NO_NUMBER when it has none */
} th_cand_entry;

/* Byte strings a th_hits met, each numbered once: the plan key names the
 * candidates by their set's number, and the routed values by theirs, where
 * it wrote them whole (~16 rules, the action and the provider a record with
 * the pack). A memo entry's stamp would not do: it changes each time the
 * entry is stored again, a number only when other bytes are met. The
 * candidate sets are those the index's lists can make, the routed values
 * those of the records; past NUMBERED_MAX none is numbered, and the key
 * holds the bytes. Open addressing by the bytes' hash, at most half full. */
#define NUMBERED_MAX 16384
#define NO_NUMBER UINT32_MAX
typedef struct th_numbered {
    uint64_t hash;
    unsigned char *p;
    size_t n;
} th_numbered;
typedef struct th_numbering {
    uint32_t *slot; /* the numbers + 1 by their bytes' hash; 0: empty */
    uint32_t nslot, n;
    th_numbered *item; /* by number */
} th_numbering;

static void numbering_free(th_numbering *nb)
{
    for (uint32_t i = 0; i < nb->n; i++)
        free(nb->item[i].p);
    free(nb->item);
    free(nb->slot);
}

/* The number of the n bytes at p in nb (NO_NUMBER past NUMBERED_MAX),
 * numbering them when first met. */
static uint32_t number_of(th_numbering *nb, const void *p, size_t n)
{
    uint64_t x = n;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = 0;
        memcpy(&w, (const unsigned char *)p + i, n - i < 8 ? n - i : 8);
        x = (x ^ w) * 0x9e3779b97f4a7c15ull;
    }
    x ^= x >> 29;
    uint32_t at = 0;
    for (uint32_t k = (uint32_t)x; nb->nslot; k++) {
        at = k & (nb->nslot - 1);
        uint32_t id = nb->slot[at];
        if (!id)
            break;
        const th_numbered *it = &nb->item[id - 1];
        if (it->hash == x && it->n == n && (!n || memcmp(it->p, p, n) == 0))
            return id - 1;
    }
    if (nb->n == NUMBERED_MAX)
        return NO_NUMBER;
    if (2 * (nb->n + 1) > nb->nslot) { /* grow: the numbers placed again */
        uint32_t ns = nb->nslot ? 2 * nb->nslot : 64;
        free(nb->slot);
        nb->slot = th_xcalloc(ns, sizeof *nb->slot);
        nb->nslot = ns;
        nb->item = th_xrealloc(nb->item, ns / 2 * sizeof *nb->item);
        for (uint32_t i = 0; i < nb->n; i++) {
            uint32_t k = (uint32_t)nb->item[i].hash;
            while (nb->slot[k & (ns - 1)])
                k++;
            nb->slot[k & (ns - 1)] = i + 1;
        }
        at = (uint32_t)x;
        while (nb->slot[at & (ns - 1)])
            at++;
        at &= ns - 1;
    }
    uint32_t id = nb->n++;
    th_numbered *it = &nb->item[id];
    it->hash = x;
    it->n = n;
    it->p = th_xcalloc(n ? n : 1, 1);
    if (n)
        memcpy(it->p, p, n);
    nb->slot[at] = id + 1;
    return id;
}

/* The entries above by the routed values that led to them: records repeat a
 * few action and provider pairs, and the lookups of each value (nocase ones
 * too), then the hash of the lists, cost candidates_slots ~620 instructions a
 * record (b10k, the pack without ES|QL), where hashing and comparing the two
 * strings brought it to ~350 (all but ~800 of the 10,000 records find their
 * values here). The lists are a function of the routed slots' values (the
 * index is fixed once th_hits_init ran), so an entry serves a record whose
 * routed slots hold the same: for each slot that is not fixed, its one string
 * (or none: slots holding more, or longer strings, are not remembered), and
 * for the fixed ones (their values the same static ones on every record, as
 * route_fixed reads them) the same address and count; and only while its
 * candidates' entry still holds the lists it held then (its stamp).
 * In sets of VAL_WAYS by a hash of the values (for the fixed slots, their
 * count alone: their address would make which entries collide depend on
 * where the static data lies). */
#define VAL_MEMO 256
#define VAL_WAYS 4
#define VAL_MEMO_VALUE 48
typedef struct th_val_entry {
    th_cand_entry *cand; /* NULL: unused */
    uint64_t stamp;      /* cand->stamp when stored */
    uint64_t hash;       /* val_find's of the values */
    uint32_t nf;         /* the routed fields before the fixed ones (candidates_slots) */
    bool served;         /* found again since stored: others go first (val_find) */
    int32_t len[TH_NROUTED]; /* field f < nf: its string's length, -1 none */
    char v[TH_NROUTED][VAL_MEMO_VALUE];
    const th_jval *fixed[TH_NROUTED]; /* field f >= nf: its slot's values */
    uint32_t nfixed[TH_NROUTED];
    uint32_t num; /* nf and the strings' number (th_cand_memo.routed), or NO_NUMBER */
    uint64_t rnum; /* the projection's number of the strings (val_find_num), 0: none */
} th_val_entry;

typedef struct th_cand_memo {
    th_cand_entry e[CAND_MEMO];
    th_val_entry v[VAL_MEMO];
    uint32_t fixed, nf; /* candidates_slots' nf for th_ecs_slots.fixed == fixed */
    uint64_t nf_slots;  /* the slots of the routed fields before nf (those below 64) */
    th_numbering sets, routed;
    uint32_t num; /* the last record's routed values' number (candidates_slots) */
} th_cand_memo;

/* The last routing lookups of a th_hits (one thread), direct-mapped: values
 * repeat from record to record, and building the key and hashing it was 5%
 * of a run of one rule. The result of a lookup depends only on the field,
 * the value and nocase (the index is fixed once th_hits_init ran). */
#define ROUTE_MEMO 256
#define ROUTE_MEMO_VALUE 54
typedef struct th_route_memo {
    th_routelist *hit;
    uint8_t used, fidx, nocase, n;
    char v[ROUTE_MEMO_VALUE];
} th_route_memo;

static void route_lookup_map(route_ctx *c, th_str v, bool nocase, th_routelist **out)
{
    char key[512];
    size_t fl = strlen(c->field);
    *out = NULL;
    if (fl + 1 + v.n >= sizeof key)
        return;
    memcpy(key, c->field, fl);
    key[fl] = nocase ? '\x1e' : '\x1f';
    for (size_t i = 0; i < v.n; i++)
        key[fl + 1 + i] = nocase ? (char)tolower((unsigned char)v.p[i]) : v.p[i];
    *out = th_map_get(&c->e->route, th_str_make(key, fl + 1 + v.n));
}

static void route_lookup(route_ctx *c, th_str v, bool nocase)
{
    if (c->nhits == sizeof c->hits / sizeof c->hits[0])
        return;
    th_routelist *hit;
    th_route_memo *m = NULL;
    if (c->memo && v.n > 0 && v.n <= ROUTE_MEMO_VALUE) {
        unsigned h = (unsigned)v.n * 131u + (unsigned char)v.p[0] * 31u +
                     (unsigned char)v.p[v.n - 1] * 7u + (unsigned char)v.p[v.n / 2] * 3u +
                     c->fidx * 17u + (nocase ? 101u : 0u);
        m = &c->memo[h % ROUTE_MEMO];
        if (m->used && m->fidx == c->fidx && m->nocase == nocase && m->n == v.n &&
            th_bytes_eq(m->v, v.p, v.n)) { /* names and actions: no call */
            if (m->hit)
                c->hits[c->nhits++] = m->hit;
            return;
        }
    }
    route_lookup_map(c, v, nocase, &hit);
    if (m) {
        m->used = 1;
        m->fidx = (uint8_t)c->fidx;
        m->nocase = nocase;
        m->n = (uint8_t)v.n;
        memcpy(m->v, v.p, v.n);
        m->hit = hit;
    }
    if (hit)
        c->hits[c->nhits++] = hit;
}

/* Routes on the keyword text the evaluator compares (th_query_keyword_text's
 * rule: strings as they are, numbers as their source text, booleans). */
static bool route_visit(const th_jval *v, void *ctx)
{
    th_str t;
    if (!th_jscalar_text(v, &t))
        return true;
    route_ctx *c = ctx;
    route_lookup(c, t, false);
    if (c->e->has_nocase)
        route_lookup(c, t, true);
    return true;
}

/* Limits of Elasticsearch keyword fields: longer values are not indexed, so
 * they neither aggregate nor group (SEMANTICS.md 3.4). From the field schema;
 * fields it does not know get the integration's defaults. */
static size_t ignore_above(const char *field)
{
    th_str f = th_str_c(field);
    const th_field_def *def = th_schema_lookup(f);
    if (def) {
        if (def->ignore_above > 0)
            return (size_t)def->ignore_above;
        return SIZE_MAX;
    }
    if (th_str_ends(f, "request_parameters") || th_str_ends(f, "response_elements") ||
        th_str_ends(f, "additional_eventdata") || th_str_ends(f, "service_event_details"))
        return TH_IGNORE_ABOVE_PARAMETERS;
    return TH_IGNORE_ABOVE_DEFAULT;
}

typedef struct cap_ctx {
    th_engine *e;   /* whose lists the field's are (th_vlist_new) */
    th_arena *a;
    th_str *vals;   /* the field's values: first in `stack`, on the heap past it */
    size_t len, cap;
    th_str stack[64];
    size_t limit;
    th_buf *b;      /* the engine's, for escaping a string not stored before */
    th_capfield *intern; /* the field whose stored strings are looked up, or NULL */
    const th_vlist *one; /* the stored list of the last string found in intern */
} cap_ctx;

/* A field's strings are stored once while it has few distinct ones (event.
 * dataset, event.action, user.name ... repeat in every match of a broad ES|QL
 * rule: 72k matches of 10 fields), each as the list of that one value, which
 * the events with it alone share; a field whose values are mostly new
 * (times, request ids) stops being looked up (cf->full). The table is keyed
 * by the string itself, so that a value seen before is neither escaped
 * again nor copied. Past TH_CAP_INTERN_MAX strings a field stops where they
 * are more than half of the events it was captured for: access key ids (12k in
 * b100k's 104k events) repeat, and each stored once saves every event after
 * its first a list of its own (~64 bytes: text, list, its id's entry), and
 * lets the ES|QL pass share their cells and give them ids. */
#define TH_CAP_INTERN_MAX 4096

const th_vlist th_vlist_empty = {0};

static th_capslot *intern_find(const th_capfield *cf, th_str key, uint64_t h)
{
    size_t mask = cf->icap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        th_capslot *s = &cf->intern[i];
        if (!s->list || (s->hash == h && th_str_eq(s->list->v[1], key)))
            return s;
    }
}

/* l (its string absent from cf's table, h the string's hash) put there;
 * hole: the empty slot its look-up ended at (intern_miss), taken when the
 * table does not grow, so that a new string costs one probe sequence, not
 * two. A slot is the hash and the list, 16 bytes, the string being the
 * list's (intern_store): with the string in the slot too, 32 bytes, the
 * tables' growth cleared twice as much, and the rehash compared strings
 * that are all distinct (b100k, the pack: @timestamp's table grows to
 * 65,536 slots; th_engine_commit 152.2 -> 148.3 M). */
static void intern_put(th_capfield *cf, uint64_t h, const th_vlist *l, th_capslot *hole)
{
    if ((cf->ilen + 1) * 4 > cf->icap * 3) {
        th_capslot *old = cf->intern;
        size_t n = cf->icap;
        cf->icap = n ? n * 2 : 64;
        cf->intern = th_xcalloc(cf->icap, sizeof(th_capslot));
        size_t mask = cf->icap - 1;
        for (size_t i = 0; i < n; i++) { /* distinct strings: no comparison */
            if (!old[i].list)
                continue;
            size_t j = (size_t)old[i].hash & mask;
            while (cf->intern[j].list)
                j = (j + 1) & mask;
            cf->intern[j] = old[i];
        }
        free(old);
        hole = intern_find(cf, l->v[1], h);
    }
    *hole = (th_capslot){h, l};
    cf->ilen++;
}

/* A list of v[0..n), with room for `more` strings after them (not counted
 * in n) */
static th_vlist *vlist_make(th_engine *e, const th_str *v, size_t n, size_t more)
{
    th_vlist *l = th_arena_alloc(&e->arena, sizeof(th_vlist) + (n + more) * sizeof(th_str));
    l->n = (uint32_t)n;
    if (e->lists.len == UINT32_MAX) { /* ~100 GB of lists: as out of memory */
        fprintf(stderr, "trailhound: more than 2^32 lists of captured values\n");
        abort();
    }
    l->id = (uint32_t)e->lists.len;
    TH_VEC_PUSH(&e->lists, l);
    if (n)
        memcpy(l->v, v, n * sizeof(th_str));
    return l;
}

th_vlist *th_vlist_new(th_engine *e, const th_str *v, size_t n)
{
    return vlist_make(e, v, n, 0);
}

static void cap_grow(cap_ctx *c)
{
    size_t nc = c->cap * 2;
    if (c->vals == c->stack) {
        c->vals = th_xmalloc(nc * sizeof(th_str));
        memcpy(c->vals, c->stack, c->len * sizeof(th_str));
    } else {
        c->vals = th_xrealloc(c->vals, nc * sizeof(th_str));
    }
    c->cap = nc;
}

/* inline: once per captured value, and past the 64 on the stack only for
 * fields with more values than that */
static inline void cap_push(cap_ctx *c, th_str s)
{
    if (c->len == c->cap)
        cap_grow(c);
    c->vals[c->len++] = s;
}

/* The entry of cf->recent for key: by its length and its first, middle and
 * last eight bytes (a shared entry only costs a look-up in the table). The
 * middle word: within a day @timestamp's texts share the first word
 * ("2026-10-") and their last (":57.000Z") tells only the second, which put
 * a day's times in 60 entries, and two of b100k's 25 user names shared one entry,
 * alternating there: of the pack's 1.02M look-ups on b100k, 92,823 went on
 * to the table (24,703 of them user names'), 47,287 with the middle word
 * (25; @timestamp's 62,750 -> 41,979, its 24,592 new strings among them).
 * 1,024 entries, not 256: a @timestamp text comes back a median 152 events
 * later on b100k (90%: 473), past what 256 entries keep; of the 47,287
 * look-ups that went on to the table, 32,715 still do, 25,250 of them new
 * strings (th_engine_commit 158.9 -> 156.8 M; 4,096 entries: 157.4 M). */
static inline uint32_t recent_hash(uint64_t a, uint64_t b, uint64_t c, size_t n)
{
    uint64_t h =
        (a ^ (b * 0x9e3779b97f4a7c15ull) ^ (c * 0xc2b2ae3d27d4eb4full) ^ n) * 0xff51afd7ed558ccdull;
    _Static_assert(TH_CAP_RECENT == 1024, "the top ten bits of h");
    return (uint32_t)(h >> 54);
}

static inline uint32_t recent_slot_by(th_str key, bool short_in_line)
{
    uint64_t a = 0, b = 0, c = 0;
    if (key.n >= 8) {
        memcpy(&a, key.p, 8);
        memcpy(&b, key.p + key.n - 8, 8);
        memcpy(&c, key.p + key.n / 2 - 4, 8);
    } else if (short_in_line) {
        a = th_str_short_word(key);
    } else if (key.n) {
        memcpy(&a, key.p, key.n);
    }
    return recent_hash(a, b, c, key.n);
}

/* recent_slot_by with memcpy's call for a string of under 8 bytes: in line
 * in the one thread's loop of th_engine_commit, the loads cost that loop
 * registers (one thread, b100k: 1,606.7 -> 1,609.1 M) */
static inline uint32_t recent_slot(th_str key)
{
    return recent_slot_by(key, false);
}

static inline const th_vlist **recent_of(th_capfield *cf, th_str key)
{
    return &cf->recent[recent_slot(key)];
}

/* A string of up to 16 bytes as two words: the first and last eight bytes,
 * or what memcpy leaves in a zeroed word and 0 (equal words and lengths:
 * equal strings) */
static inline void words16(th_str key, uint64_t w[2])
{
    if (key.n >= 8) {
        memcpy(&w[0], key.p, 8);
        memcpy(&w[1], key.p + key.n - 8, 8);
    } else {
        w[0] = th_str_short_word(key);
        w[1] = 0;
    }
}

/* l (its string raw) the field's last: its length, id and, up to 16 bytes,
 * words kept beside `event` (capfield_new), where intern_last reads them */
static inline void last_put(th_capfield *cf, const th_vlist *l, th_str raw)
{
    cf->last = l;
    cf->last_n = raw.n < UINT32_MAX ? (uint32_t)raw.n : UINT32_MAX;
    cf->last_id = l->id;
    if (raw.n <= 16)
        words16(raw, cf->last_w);
}

/* Whether raw is the string the field's last look-up found (cf->last, its
 * id cf->last_id): most fields repeat their value from match to match
 * (event.dataset, cloud.account.id, user.name ...); the table would give the
 * same. In line where the captures look up (field_values): half the look-ups
 * of the pack's broad ES|QL rules end here, where the call to intern_miss
 * cost a third of one. A string of up to 16 bytes (b100k, the pack: 401k of
 * the 457k hits) is compared with the words kept in cf, not with the list's
 * string: those two lines, which the event's other work had mostly evicted,
 * were a D1 miss a hit (cachegrind). raw.n < UINT32_MAX (cf->below). */
__attribute__((always_inline)) static inline bool intern_last(const th_capfield *cf, th_str raw)
{
    if (raw.n != cf->last_n)
        return false;
    if (raw.n <= 16) {
        uint64_t w[2];
        words16(raw, w);
        return ((w[0] ^ cf->last_w[0]) | (w[1] ^ cf->last_w[1])) == 0;
    }
    return th_bytes_eq(cf->last->v[1].p, raw.p, raw.n);
}

/* The entry found or stored lately under a hash of three words of the
 * string, past intern_last: half the look-ups of the pack's broad ES|QL
 * rules missed the last string (user names, keys, actions, agents
 * alternate) but found a recent one, where hashing all of the string
 * (agents: 130 bytes) and probing cost twice as much. Entries are the
 * table's own, which never change: the same list as the table's look-up.
 * In line as intern_last is: as a call (with the table's look-up behind
 * it) its entry and return cost a fifth of a hit. Always inline: GCC made
 * it a call again once field_values was inline in capture's two loops
 * (446,745 calls on b100k, 27.8 M). An entry, as cf->last, is the list
 * alone, its string read as the list's v[1]: with a copy of the string
 * beside each (24-byte entries), a hit copied it into cf->last's too and
 * each field cleared 24 KB (th_engine_commit 148.3 -> 144.9 M on b100k). */
__attribute__((always_inline)) static inline const th_vlist *
intern_recent_at(th_capfield *cf, th_str raw, uint32_t slot)
{
    const th_vlist *l = cf->recent[slot];
    if (l && l->v[1].n == raw.n && th_bytes_eq(l->v[1].p, raw.p, raw.n)) {
        cf->last = l; /* last_put for raw.n < UINT32_MAX (its callers') */
        cf->last_n = (uint32_t)raw.n;
        cf->last_id = l->id;
        if (raw.n <= 16)
            words16(raw, cf->last_w);
        return l;
    }
    return NULL;
}

__attribute__((always_inline)) static inline const th_vlist *intern_recent(th_capfield *cf,
                                                                           th_str raw)
{
    return intern_recent_at(cf, raw, recent_slot(raw));
}

/* The id of raw (the field's one string, shorter than cf->below) where it
 * is the last or a recent string: a string of up to 16 bytes is made words
 * once, for the last string's test, the recent entry's hash and its
 * comparison, and the last's words when the entry holds it */
__attribute__((always_inline)) static inline bool intern_line(th_capfield *cf, th_str raw,
                                                              uint32_t *id)
{
    if (raw.n > 16) {
        if (intern_last(cf, raw)) {
            *id = cf->last_id;
            return true;
        }
        const th_vlist *l = intern_recent(cf, raw);
        if (l)
            *id = l->id;
        return l != NULL;
    }
    uint64_t w[2], x[2], c = 0;
    words16(raw, w);
    if (raw.n == cf->last_n && ((w[0] ^ cf->last_w[0]) | (w[1] ^ cf->last_w[1])) == 0) {
        *id = cf->last_id;
        return true;
    }
    if (raw.n >= 8)
        memcpy(&c, raw.p + raw.n / 2 - 4, 8);
    const th_vlist *l = cf->recent[recent_hash(w[0], w[1], c, raw.n)];
    if (!l || l->v[1].n != raw.n)
        return false;
    words16(l->v[1], x);
    if (((x[0] ^ w[0]) | (x[1] ^ w[1])) != 0)
        return false;
    cf->last = l;
    cf->last_n = (uint32_t)raw.n;
    cf->last_id = l->id;
    cf->last_w[0] = w[0];
    cf->last_w[1] = w[1];
    *id = l->id;
    return true;
}

/* The table's look-up, past intern_last and intern_recent: *h is raw's hash,
 * *hole the empty slot where raw would go when it is absent (NULL: no table). */
static const th_vlist *intern_miss(th_capfield *cf, th_str raw, uint64_t *h, th_capslot **hole)
{
    *h = th_str_hash_words(raw);
    th_capslot *slot = cf->icap ? intern_find(cf, raw, *h) : NULL;
    *hole = slot;
    if (!slot || !slot->list)
        return NULL;
    *recent_of(cf, raw) = slot->list;
    last_put(cf, slot->list, raw);
    return slot->list;
}

/* The stored list of raw in cf's table, or NULL; *h: raw's hash and *hole
 * its empty slot when the table was looked up (intern_miss). */
static inline const th_vlist *intern_hit(th_capfield *cf, th_str raw, uint64_t *h,
                                         th_capslot **hole)
{
    const th_vlist *l = NULL;
    if (raw.n < UINT32_MAX) /* the in-line look-ups' bound (cf->below) */
        l = intern_last(cf, raw) ? cf->last : intern_recent(cf, raw);
    return l ? l : intern_miss(cf, raw, h, hole);
}

/* The bytes a list of one value is charged (and its id's entry) */
#define LIST1_BYTES (sizeof(th_vlist) + sizeof(th_str) + sizeof(th_vlist *))

/* raw (a string cf does not hold, h its hash, hole its empty slot) stored in cf's table, as the
 * list of that one value, which is returned. Its text is written as JSON
 * straight into the engine's arena (th_json_quote_copy): the engine's
 * buffer is used only for a string that needs escapes. */
static const th_vlist *intern_store(th_engine *e, th_capfield *cf, th_str raw, uint64_t h,
                                    th_capslot *hole)
{
    th_str s = th_json_quote_copy(&e->arena, &e->capbuf, raw);
    /* no escape: the key is the copy's inner text */
    th_str key = s.n == raw.n + 2 ? th_str_make(s.p + 1, raw.n)
                                   : th_str_make(th_arena_strndup(&e->arena, raw.p, raw.n), raw.n);
    th_vlist *l = vlist_make(e, &s, 1, 1);
    l->v[1] = key; /* the table's (intern_put) */
    e->match_bytes += LIST1_BYTES;
    intern_put(cf, h, l, hole);
    if (cf->ilen >= TH_CAP_INTERN_MAX && cf->ilen * 2 > cf->nfound) {
        cf->full = true;
        cf->below = 0;
    }
    *recent_of(cf, key) = l;
    last_put(cf, l, key);
    return l;
}

static void cap_string(cap_ctx *c, th_str raw)
{
    if (c->intern) {
        uint64_t h = 0;
        th_capslot *hole = NULL;
        const th_vlist *hit = intern_hit(c->intern, raw, &h, &hole);
        if (!hit)
            hit = intern_store(c->e, c->intern, raw, h, hole);
        cap_push(c, hit->v[0]);
        c->one = hit;
        return;
    }
    cap_push(c, th_json_quote_copy(c->a, c->b, raw));
}

static bool cap_visit(const th_jval *v, void *ctx)
{
    cap_ctx *c = ctx;
    switch (v->type) {
    case TH_JSTR:
        if (v->u.str.n > c->limit)
            return true;
        cap_string(c, v->u.str);
        return true;
    case TH_JNUM: /* the text lives in the event's arena, which the pipeline frees */
        cap_push(c, th_str_make(th_arena_strndup(c->a, v->u.str.p, v->u.str.n), v->u.str.n));
        return true;
    case TH_JTRUE:
        cap_push(c, TH_STR_LIT("true"));
        return true;
    case TH_JFALSE:
        cap_push(c, TH_STR_LIT("false"));
        return true;
    default:
        return true; /* null and objects carry no term */
    }
}

static int str_cmp_q(const void *x, const void *y)
{
    return th_value_cmp(*(const th_str *)x, *(const th_str *)y);
}

int th_value_cmp(th_str a, th_str b)
{
    bool an = a.n && a.p[0] != '"' && a.p[0] != 't' && a.p[0] != 'f';
    bool bn = b.n && b.p[0] != '"' && b.p[0] != 't' && b.p[0] != 'f';
    if (an && bn) {
        char x[64], y[64];
        if (a.n < sizeof x && b.n < sizeof y) {
            memcpy(x, a.p, a.n);
            x[a.n] = 0;
            memcpy(y, b.p, b.n);
            y[b.n] = 0;
            double dx = strtod(x, NULL), dy = strtod(y, NULL);
            if (dx != dy)
                return dx < dy ? -1 : 1;
        }
    }
    return th_str_cmp(a, b);
}

/* A th_capfield of name (a NUL-terminated string that outlives it), its
 * first 64 bytes (what capture's loop and a first look-up read) on one
 * cache line: at the arena's 16 bytes they straddled two where a first
 * look-up reads `below` and `last` beside `event`. */
static th_capfield *capfield_new(th_engine *e, th_str name)
{
    _Static_assert(offsetof(th_capfield, last_w) + 2 * sizeof(uint64_t) <= 64, "one line");
    uintptr_t p = (uintptr_t)th_arena_alloc(&e->arena, sizeof(th_capfield) + 48);
    th_capfield *cf = (th_capfield *)((p + 63) & ~(uintptr_t)63);
    memset(cf, 0, sizeof *cf);
    cf->name = name;
    cf->limit = ignore_above(name.p); /* a schema lookup per field once, not per match */
    /* never UINT32_MAX or longer in line: last_n's "no last" */
    cf->below = cf->limit < UINT32_MAX ? cf->limit + 1 : UINT32_MAX;
    cf->last_n = UINT32_MAX;
    cf->fid = th_query_field_id(cf->name);
    return cf;
}

/* The engine's th_capfield of field (made at its first use). */
static th_capfield *capfield_of(th_engine *e, const char *field)
{
    th_capfield *cf = th_map_get(&e->capfields, th_str_c(field));
    if (cf)
        return cf;
    cf = capfield_new(e, th_str_c(th_arena_strdup(&e->arena, field)));
    th_map_put(&e->capfields, cf->name, cf);
    return cf;
}

/* @timestamp as the rules that take it from a match's ts capture it
 * (th_erule.cap_ts): a field of its own, whose current list is TH_VLIST_TS
 * on an event whose document holds the time's text, so that no other rule
 * capturing @timestamp reads that id. Kept in the map under a name no
 * field has (a NUL in it), freed with the others. */
static th_capfield *ts_capfield(th_engine *e)
{
    static const char key[] = "@timestamp\0ts";
    th_str k = th_str_make(key, sizeof key - 1);
    th_capfield *cf = th_map_get(&e->capfields, k);
    if (cf)
        return cf;
    cf = capfield_new(e, th_str_c("@timestamp"));
    th_map_put(&e->capfields, k, cf);
    e->ts_cf = cf;
    return cf;
}

/* On an event whose document holds @timestamp as the text of its ts
 * (ts_text), the rules that take @timestamp from a match's ts (th_erule.
 * cap_ts) capture TH_VLIST_TS: no look-up, no text stored (b100k: 25,250
 * new strings of 62,750 looked up, ~15.5 M in what is now string_list).
 * Set on their shared field once an event (th_engine_commit), where
 * capture's loops take it as any field found before in the event: set
 * once a match, it cost ~7 instructions each (b100k: 175,969). */
static inline void ts_current(th_engine *e, bool ts_text)
{
    if (ts_text && e->ts_cf) {
        e->ts_cf->event = e->events;
        e->ts_cf->cur = TH_VLIST_TS;
    }
}

/* The values of the field of cf in doc, the general way: v[0..n) when
 * evaluation found them (v not NULL), else a walk of doc. */
static const th_vlist *gather(th_engine *e, th_capfield *cf, const th_jval *doc,
                              const th_jval *const *v, size_t n)
{
    cap_ctx c; /* not zeroed as a whole: the stack is 1 KiB */
    c.e = e;
    c.a = &e->arena;
    c.vals = c.stack;
    c.len = 0;
    c.cap = sizeof c.stack / sizeof c.stack[0];
    c.limit = cf->limit;
    c.b = &e->capbuf;
    c.intern = !cf->full ? cf : NULL;
    c.one = NULL;
    if (v) {
        for (size_t i = 0; i < n; i++)
            cap_visit(v[i], &c);
    } else {
        th_json_path_each(doc, cf->name, cap_visit, &c);
    }
    /* doc values: sorted, duplicates removed (keyword doc_values) */
    if (c.len > 1) {
        qsort(c.vals, c.len, sizeof(th_str), str_cmp_q);
        size_t w = 1;
        for (size_t i = 1; i < c.len; i++) {
            if (!th_str_eq(c.vals[i], c.vals[w - 1]))
                c.vals[w++] = c.vals[i];
        }
        c.len = w;
    }
    const th_vlist *l;
    if (c.len == 0) {
        l = &th_vlist_empty;
    } else if (c.len == 1 && c.one && c.one->v[0].p == c.vals[0].p) {
        l = c.one; /* a stored string alone: its stored list */
    } else {
        l = th_vlist_new(e, c.vals, c.len);
        e->match_bytes += sizeof(th_vlist) + c.len * sizeof(th_str) + sizeof(th_vlist *);
    }
    if (c.vals != c.stack)
        free(c.vals);
    return l;
}

/* The list of raw, the one string of cf's field, where it is not the
 * table's last or recent string: the table's look-up (the string stored when
 * absent), else a list of one string where the field's strings are no longer
 * stored. raw is no longer than ignore_above. */
static const th_vlist *string_list(th_engine *e, th_capfield *cf, th_str raw)
{
    if (!cf->full) {
        uint64_t h;
        th_capslot *hole;
        const th_vlist *l = intern_miss(cf, raw, &h, &hole);
        return l ? l : intern_store(e, cf, raw, h, hole);
    }
    th_str s = th_json_quote_copy(&e->arena, &e->capbuf, raw);
    e->match_bytes += LIST1_BYTES;
    return th_vlist_new(e, &s, 1);
}

/* field_values' list where the value is not a string of the table's last
 * or recent ones: string_list, else gather. Out of line: the string found
 * in line is most look-ups. */
static __attribute__((noinline)) const th_vlist *value_list(th_engine *e, th_capfield *cf,
                                                            const th_jval *doc, bool found,
                                                            const th_jval *const *v, size_t n)
{
    if (found && n == 1 && v[0]->type == TH_JSTR && v[0]->u.str.n <= cf->limit)
        return string_list(e, cf, v[0]->u.str); /* what gather makes of it */
    return gather(e, cf, doc, found ? v : NULL, n);
}

/* value_list of the one string raw (a worker's TH_CAPR_STR): gather gives
 * none for a string longer than ignore_above */
static __attribute__((noinline)) const th_vlist *string_value(th_engine *e, th_capfield *cf,
                                                              th_str raw)
{
    return raw.n <= cf->limit ? string_list(e, cf, raw) : &th_vlist_empty;
}

/* ---- strings numbered by the workers ----------------------------------
 * With workers, the commit (on the reading thread) found a captured string's
 * list by comparing the string, which a worker had read, with the field's
 * last and recent ones: the string's bytes, in another core's cache, were a
 * miss each. A worker now numbers the strings of each field it captures
 * (lid_of, in its own table, where the string is in its cache) and hands the
 * number over with the string; the commit finds the list of a number it has
 * seen in an array (lmap_get) and reads the string only the first time. The
 * list is the one the table gives the string for good (the table never
 * changes a string's list while the field stores strings), so the ids, and
 * all the commit keeps, are those of one thread. A field's numbers stop at
 * LID_MAX strings, or past LID_FEW where more than half of its look-ups
 * found a new one (times, request ids): a string then goes without a number,
 * the way it went before. */
#define LID_MAX 4096
#define LID_FEW 512

typedef struct lid_tab {
    uint32_t last;     /* the number found or given last, 0: none, */
    uint32_t last_n;   /* its string's length, */
    uint64_t last_w[2]; /* and where that is at most 16 its words (words16) */
    uint32_t *slot;    /* open addressing: a number, 0 where empty; cap a power of two */
    uint64_t *hash;    /* by number */
    th_str *str;       /* by number: the string's copy */
    uint32_t cap, n;   /* n numbers given, 1..n */
    uint32_t *recent;  /* by the string's recent entry (recent_slot): the number found or
                          given there last, 0: none (TH_CAP_RECENT, made at the first) */
    uint32_t looked;   /* look-ups */
    bool full;
} lid_tab;

struct th_lids {
    uint32_t space;
    size_t nf;
    lid_tab *f;  /* by field number */
    th_arena a;  /* the strings' copies */
};

/* distinct for every th_lids of the process (the engines' maps are by it) */
static _Atomic uint32_t lid_spaces;

static struct th_lids *lids_new(size_t nf)
{
    struct th_lids *l = th_xcalloc(1, sizeof *l);
    l->space = atomic_fetch_add(&lid_spaces, 1) + 1;
    l->nf = nf;
    l->f = th_xcalloc(nf ? nf : 1, sizeof(lid_tab));
    th_arena_init(&l->a, 1 << 14);
    return l;
}

static void lids_free(struct th_lids *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->nf; i++) {
        free(l->f[i].slot);
        free(l->f[i].hash);
        free(l->f[i].str);
        free(l->f[i].recent);
    }
    free(l->f);
    th_arena_free(&l->a);
    free(l);
}

static void lid_grow(lid_tab *t)
{
    uint32_t cap = t->cap ? t->cap * 2 : 64, mask = cap - 1;
    free(t->slot);
    t->slot = th_xcalloc(cap, sizeof(uint32_t));
    t->cap = cap;
    t->hash = th_xrealloc(t->hash, (cap / 4 * 3 + 1) * sizeof(uint64_t));
    t->str = th_xrealloc(t->str, (cap / 4 * 3 + 1) * sizeof(th_str));
    for (uint32_t id = 1; id <= t->n; id++) { /* distinct strings: no comparison */
        uint32_t i = (uint32_t)t->hash[id] & mask;
        while (t->slot[i])
            i = (i + 1) & mask;
        t->slot[i] = id;
    }
}

/* s's number among field fid's strings in l, 0 where it has none; slot: s's
 * recent entry (recent_slot), which the commit gets too. The last number,
 * then the recent entry's, then the table, as the commit looks a string up
 * (intern_line): the table's hash and probe were two thirds of the look-ups'
 * cost. */
static inline uint32_t lid_last(lid_tab *t, uint32_t id, th_str s)
{
    t->last = id;
    t->last_n = (uint32_t)s.n;
    if (s.n <= 16)
        words16(s, t->last_w);
    return id;
}

static uint32_t lid_of(struct th_lids *l, uint32_t fid, th_str s, uint32_t slot)
{
    lid_tab *t = &l->f[fid];
    t->looked++;
    /* the last string by its words kept here, where it is short (as
     * intern_last): the copy's bytes were another line to read */
    if (t->last && t->last_n == s.n) {
        if (s.n <= 16) {
            uint64_t w[2];
            words16(s, w);
            if (((w[0] ^ t->last_w[0]) | (w[1] ^ t->last_w[1])) == 0)
                return t->last;
        } else if (th_bytes_eq(t->str[t->last].p, s.p, s.n)) {
            return t->last;
        }
    }
    uint32_t r = t->recent ? t->recent[slot] : 0;
    if (r && t->str[r].n == s.n && th_bytes_eq(t->str[r].p, s.p, s.n))
        return lid_last(t, r, s);
    uint64_t h = th_str_hash_words(s);
    uint32_t mask = t->cap - 1, i = 0;
    if (t->cap) {
        for (i = (uint32_t)h & mask; t->slot[i]; i = (i + 1) & mask) {
            uint32_t id = t->slot[i];
            if (t->hash[id] == h && t->str[id].n == s.n && th_bytes_eq(t->str[id].p, s.p, s.n))
                return lid_last(t, t->recent[slot] = id, s);
        }
    }
    if (t->full || t->n >= LID_MAX || (t->n >= LID_FEW && t->n * 2 > t->looked)) {
        t->full = true;
        return 0;
    }
    if ((t->n + 1) * 4 > t->cap * 3) {
        lid_grow(t);
        mask = t->cap - 1;
        for (i = (uint32_t)h & mask; t->slot[i]; i = (i + 1) & mask)
            ;
    }
    if (!t->recent)
        t->recent = th_xcalloc(TH_CAP_RECENT, sizeof(uint32_t));
    uint32_t id = ++t->n;
    t->recent[slot] = id;
    t->hash[id] = h;
    t->str[id] = th_str_make(th_arena_strndup(&l->a, s.p, s.n), s.n);
    t->slot[i] = id;
    return lid_last(t, id, s);
}

/* The map of id space `space` (made as needed), NULL for 0 */
static th_lmap *lmap_of(th_engine *e, uint32_t space)
{
    if (!space)
        return NULL;
    if (space >= e->nlmaps) {
        uint32_t n = space + 8;
        e->lmaps = th_xrealloc(e->lmaps, n * sizeof(th_lmap));
        memset(e->lmaps + e->nlmaps, 0, (n - e->nlmaps) * sizeof(th_lmap));
        e->nlmaps = n;
    }
    return &e->lmaps[space];
}

static inline const th_vlist *lmap_get(const th_lmap *m, uint32_t fid, uint32_t lid)
{
    return fid < m->nf && lid < m->f[fid].n ? m->f[fid].v[lid] : NULL;
}

static __attribute__((noinline)) void lmap_put(th_lmap *m, uint32_t fid, uint32_t lid,
                                               const th_vlist *l)
{
    if (fid >= m->nf) {
        uint32_t n = fid + 16;
        m->f = th_xrealloc(m->f, n * sizeof(th_lmapf));
        memset(m->f + m->nf, 0, (n - m->nf) * sizeof(th_lmapf));
        m->nf = n;
    }
    th_lmapf *f = &m->f[fid];
    if (lid >= f->n) {
        uint32_t n = lid < 64 ? 64 : lid < LID_MAX / 2 ? lid * 2 : LID_MAX + 1;
        f->v = th_xrealloc(f->v, n * sizeof(const th_vlist *));
        memset(f->v + f->n, 0, (n - f->n) * sizeof(const th_vlist *));
        f->n = n;
    }
    f->v[lid] = l;
}

void th_lmaps_free(th_engine *e)
{
    for (uint32_t s = 0; s < e->nlmaps; s++) {
        for (uint32_t i = 0; i < e->lmaps[s].nf; i++)
            free(e->lmaps[s].f[i].v);
        free(e->lmaps[s].f);
    }
    free(e->lmaps);
    e->lmaps = NULL;
    e->nlmaps = 0;
}

/* th_qfields_read of cf's field, out of line: the fields that are not a
 * slot document's (field_values reads those itself). */
static __attribute__((noinline)) bool read_field(th_qfields *fields, const th_capfield *cf,
                                                 const th_jval *const **v, size_t *n)
{
    return th_qfields_read(fields, cf->fid, cf->name, v, n);
}

/* The values of the field of cf in the event being committed (doc), where
 * no match of it has captured them yet (capture takes cf->cur after that):
 * from the values the worker found (v[0..n) when found), else read through
 * fields (NULL: none) when evaluation already found them, else by a walk of
 * doc. Most fields hold one string stored before, or nothing: their list is
 * then taken in line. Always inline (capture's two loops): as a call, its
 * entry and return were a fifth of the commit (1.0M calls on b100k). */
__attribute__((always_inline)) static inline uint32_t
field_values(th_engine *e, th_capfield *cf, uint64_t now, const th_jval *doc, bool found,
             const th_jval *const *v, size_t n, th_qfields *fields)
{
    if (!found && fields) {
        /* a field that is not a slot document's known one (capture's
         * loop looked those up) through th_qfields_read, whose outputs live
         * on the stack (its walk is a call): reading every field that way
         * stored and reloaded them, and the field's name, per look-up
         * (th_engine_commit 167.4 -> 158.9 M on b100k) */
        const th_jval *const *kv;
        size_t kn;
        found = read_field(fields, cf, &kv, &kn);
        v = kv;
        n = kn;
    }
    uint32_t id;
    if (found && n == 0)
        id = th_vlist_empty.id;
    else if (!(found && n == 1 && v[0]->type == TH_JSTR && v[0]->u.str.n < cf->below &&
               intern_line(cf, v[0]->u.str, &id)))
        id = value_list(e, cf, doc, found, v, n)->id;
    cf->event = now;
    cf->cur = id;
    cf->nfound++;
    return id;
}

/* field_values of a range a worker found (c): a string it handed over as
 * TH_CAPR_STR, with its recent entry (recent_slot), is looked up without
 * reading its node or capv (the worker's memory) or hashing it */
__attribute__((always_inline)) static inline uint32_t
range_values(th_engine *e, th_capfield *cf, uint64_t now, th_caprange c, const th_jval *const *capv,
             th_lmap *map)
{
    if (!(c.off & TH_CAPR_STR))
        return field_values(e, cf, now, NULL, true, c.n ? capv + c.off : NULL, c.n, NULL);
    th_str raw = th_str_make(c.p, c.n);
    const th_vlist *l = NULL;
    /* the worker's number of the string, where it gave one: @timestamp's
     * field from ts shares its field number with @timestamp's own */
    uint32_t lid = (c.off & ~TH_CAPR_STR) >> TH_CAPR_LID_SHIFT;
    bool numbered = lid && map && cf != e->ts_cf;
    if (raw.n < cf->below) {
        l = numbered ? lmap_get(map, cf->fid, lid) : NULL;
        if (l)
            goto found;
        l = intern_last(cf, raw) ? cf->last
                                 : intern_recent_at(cf, raw, c.off & (TH_CAP_RECENT - 1));
    }
    if (!l)
        l = string_value(e, cf, raw);
    /* the table's list for good while the field stores its strings (below
     * is 0 once it is full, and a longer string is never stored) */
    if (numbered && raw.n < cf->below)
        lmap_put(map, cf->fid, lid, l);
found:
    cf->event = now;
    cf->cur = l->id;
    cf->nfound++;
    return l->id;
}

/* The row the match keeps of fv[0..ncap) (written at the end of
 * engine->rowids), where it starts there: the rule's row stored lately with
 * the same ids, found by their hash, else fv, stored (and charged). Rows
 * are never written once kept, and an id means the same list in every
 * match (TH_VLIST_TS: the match's own ts), so a shared row reads as the
 * match's own. The broad ES|QL rules' rows repeat:
 * on the 1 GB bench file 684,233 matches of 10 fields hold 541 distinct
 * rows, 702,739 of 8 fields 874, 255,471 of 11 fields 1,558; of the 150.1 MB
 * of match records, 71.3 MB were rows. The hash and memcmp are ~72
 * instructions a match; what would skip them does not pay (DESIGN-NOTES,
 * branch rowkeep2): the rule's previous row is the row 6-8% of the time,
 * and no other rule's row of the event holds the same fields. */
static uint32_t row_keep(th_engine *e, th_capset *cs, const uint32_t *fv, size_t ncap)
{
    uint64_t h = ncap & 1 ? fv[ncap - 1] : 0, w;
    for (size_t f = 0; f + 2 <= ncap; f += 2) { /* two ids a step */
        memcpy(&w, fv + f, sizeof w);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    }
    h *= 0xff51afd7ed558ccdull; /* an odd count's last id mixed too */
    _Static_assert(TH_CAP_ROWS == 4096, "the top twelve bits of h");
    uint32_t *slot = &cs->rows[h >> 52];
    if (*slot && memcmp(e->rowids.items + *slot - 1, fv, ncap * sizeof *fv) == 0)
        return *slot - 1;
    uint32_t at = (uint32_t)e->rowids.len; /* below UINT32_MAX - ncap (th_match_row_room) */
    *slot = at + 1;
    e->rowids.len += ncap;
    th_match_row_room(e, e->row_room);
    e->match_bytes += ncap * sizeof *fv;
    return at;
}

/* capture's loop over the values a worker found (c[0..ncap)). Out of
 * line: inlined in th_engine_commit beside the one thread's loop, it cost
 * that loop registers (one thread, b100k: 1,606.7 -> 1,610.3 M) */
static __attribute__((noinline)) void capture_ranges(th_engine *e, th_capfield *const *capf,
                                                     uint32_t *fv, size_t ncap, uint64_t now,
                                                     const th_caprange *c,
                                                     const th_jval *const *capv, th_lmap *map)
{
    for (size_t f = 0; f < ncap; f++) {
        th_capfield *cf = capf[f];
        fv[f] = cf->event == now ? cf->cur : range_values(e, cf, now, c[f], capv, map);
    }
}

/* r's th_capset: the header and the fields' pointers from a cache line's
 * start, the rows' table (32 KB) after them, where it lay between the two:
 * a match read the header's line, the pointers' one or two, and another for
 * @timestamp's (th_erule.cap_ts) */
static th_capset *capset_new(th_engine *e, const th_erule *r)
{
    size_t head = sizeof(th_capset) + r->ncap * sizeof(th_capfield *);
    uintptr_t p = (uintptr_t)th_arena_zalloc(&e->arena, head + TH_CAP_ROWS * sizeof(uint32_t) + 48);
    th_capset *cs = (th_capset *)((p + 63) & ~(uintptr_t)63);
    cs->n = r->ncap;
    cs->rows = (uint32_t *)(void *)((char *)cs + head); /* head: a multiple of 8 */
    if (r->ncap > e->row_room)
        e->row_room = r->ncap;
    th_match_row_room(e, e->row_room);
    for (size_t f = 0; f < r->ncap; f++)
        cs->f[f] = f == r->cap_ts ? ts_capfield(e) : capfield_of(e, r->cap[f]);
    return cs;
}

/* ts_text: the event's document holds @timestamp as the text of m->ts,
 * which reads back as m->ts (th_event.ts_formatted, th_ts_text_exact) */
/* The slot document's known fields (query.h th_qknown) as capture reads
 * them: taken from the event's fields once an event (th_engine_commit),
 * valid while those fields are (until the next event's evaluation) */
typedef struct cap_known {
    const uint8_t *at;
    size_t nids; /* 0: no table, nothing known */
    uint64_t mask;
    const th_jval *const *val;
} cap_known;

static void capture(th_engine *e, th_erule *r, th_match *m, const th_jval *doc, const th_hits *h,
                    uint32_t cap, th_qfields *fields, const cap_known *ck, bool ts_text)
{
    if (r->ncap == 0)
        return;
    if (r->capf_of != r->cap || r->caps->n != r->ncap) { /* capf_of: NULL at first */
        r->caps = capset_new(e, r);
        r->capf_of = r->cap;
        ts_current(e, ts_text); /* e->ts_cf may be new */
    }
    size_t ncap = r->ncap;
    /* where row_keep would keep it: room for it is kept (e->row_room), so
     * that only a stored row tests for more (b100k: 3,615 of 191,696) */
    uint32_t *fv = e->rowids.items + e->rowids.len;
    /* a field another match of the event captured: its list's id, taken in
     * line (the broad ES|QL rules match mostly the same events and capture
     * mostly the same fields) */
    th_capfield *const *capf = r->caps->f;
    uint64_t now = e->events; /* @timestamp from ts: current there (ts_current) */
    if (cap == UINT32_MAX) {
        /* the slot document's known fields (query.h th_qfields_known) read
         * from ck, the table's words taken once an event, not once a
         * field: nearly every field a broad ES|QL rule captures is known
         * there (b100k: 940,228 first look-ups of a field in an event), and
         * th_qfields_known through fields reloaded fields->known and the
         * table's words at each (the stores to cf may alias them): 19
         * instructions a look-up, 13 here (no table: nids 0, nothing known;
         * field_values reads the rest through fields). Taken once a match
         * instead, the six loads and their spills cost 1.8 M more on b100k. */
        const uint8_t *at = ck->at;
        const size_t nids = ck->nids;
        const uint64_t mask = ck->mask;
        const th_jval *const *kval = ck->val;
        for (size_t f = 0; f < ncap; f++) {
            th_capfield *cf = capf[f];
            if (cf->event == now) {
                fv[f] = cf->cur;
                continue;
            }
            uint32_t fid = cf->fid;
            unsigned i;
            bool found = fid < nids && (i = at[fid]) < 64 && (mask >> i & 1);
            const th_jval *const *v = found ? kval + i : NULL;
            fv[f] = field_values(e, cf, now, doc, found, v, found && *v != NULL, fields);
        }
    } else {
        capture_ranges(e, capf, fv, ncap, now, &h->capr[cap], h->capv, lmap_of(e, h->lspace));
    }
    m->fv = row_keep(e, r->caps, fv, ncap);
}

void th_engine_set_materialiser(th_engine *e, th_materialise_fn fn, void *ctx)
{
    e->materialise = fn;
    e->materialise_ctx = ctx;
}

bool th_engine_has_materialiser(const th_engine *e) { return e->materialise != NULL; }

static uint32_t store_doc(th_engine *e, const th_event *ev)
{
    th_edoc d = {0};
    if (ev->raw.n && e->materialise) { /* the raw record: smaller, mapped only for alerts */
        d.json = th_str_make(th_arena_strndup(&e->arena, ev->raw.p, ev->raw.n), ev->raw.n);
        d.raw = true;
    } else {
        th_buf b;
        th_buf_init(&b);
        th_json_write(&b, ev->doc);
        d.json = th_str_make(th_arena_strndup(&e->arena, b.data, b.len), b.len);
        th_buf_free(&b);
    }
    const th_jval *id = th_json_path_first(ev->doc, TH_STR_LIT("event.id"));
    if (id && id->type == TH_JSTR && id->u.str.n > 0)
        d.id = th_str_make(th_arena_strndup(&e->arena, id->u.str.p, id->u.str.n), id->u.str.n);
    else if (ev->file)
        d.id = th_str_c(th_arena_printf(&e->arena, "%s:%llu", ev->file,
                                        (unsigned long long)ev->offset));
    else
        d.id = th_str_c(th_arena_printf(&e->arena, "#%llu", (unsigned long long)ev->index));
    d.ts = ev->timestamp_ms;
    d.ingested = ev->ingested_ms;
    d.combined = th_event_combined_ts(ev);
    d.index = e->o.order_base + ev->index;
    e->doc_bytes += d.json.n + d.id.n + sizeof(th_edoc);
    TH_VEC_PUSH(&e->docs, d);
    return (uint32_t)(e->docs.len - 1);
}

uint64_t th_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- evaluation (read-only, thread-safe) ------------------------------- */

static void count_field(uint32_t **count, size_t *n, uint32_t id)
{
    if (id >= *n) {
        size_t nn = *n ? *n : 64;
        while (nn <= id)
            nn *= 2;
        *count = th_xrealloc(*count, nn * sizeof **count);
        memset(*count + *n, 0, (nn - *n) * sizeof **count);
        *n = nn;
    }
    (*count)[id]++;
}

/* The fields an event may read twice, kept in h->fields: those that the
 * queries of two rules read, or a query and a capture (of the same rule
 * or another). A field of one rule's query alone is walked by its leaf. */
static void keep_shared(const th_engine *e, th_qfields *f)
{
    uint32_t *count = NULL;
    size_t n = 0;
    for (size_t i = 0; i < e->rules.len; i++) {
        const th_erule *r = e->rules.items[i];
        if (r->query) {
            th_str fields[256];
            size_t nf = th_query_fields(r->query, fields, 256);
            for (size_t k = 0; k < nf && k < 256; k++)
                count_field(&count, &n, th_query_field_id(fields[k]));
        }
        for (size_t c = 0; c < r->ncap; c++)
            count_field(&count, &n, th_query_field_id(th_str_c(r->cap[c])));
    }
    for (size_t id = 1; id < n; id++)
        if (count[id] > 1)
            th_qfields_keep(f, (uint32_t)id);
    free(count);
}

/* A rule's captured fields as th_hits_init numbered them: evaluation finds
 * their values only while the rule still captures those (cap, ncap). */
typedef struct th_rulecap {
    const char **cap;
    size_t ncap;
    uint32_t *fid;
    th_str *name;
} th_rulecap;

void th_hits_init(th_hits *h, const th_engine *e)
{
    memset(h, 0, sizeof(*h));
    h->nrules = e->rules.len;
    h->mark = th_xcalloc(h->nrules + 1, 1);
    h->plan = h->plan_buf = th_xcalloc(h->nrules + 1, sizeof(uint32_t));
    h->seen = h->seen_buf = th_xcalloc(h->nrules + 1, sizeof(uint32_t));
    h->memo = th_xcalloc(ROUTE_MEMO, sizeof(th_route_memo));
    h->route_fixed = th_xcalloc(TH_NROUTED, sizeof(th_route_fixed));
    h->gate_memo = th_qmemo_new();
    h->plan_cache = plan_cache_new();
    h->cand_memo = th_xcalloc(1, sizeof *h->cand_memo);
    for (size_t i = 0; i < CAND_MEMO; i++)
        h->cand_memo->e[i].nlists = UINT32_MAX;
    route_slots_once();
    h->cand_memo->nf = TH_NROUTED; /* no slot fixed */
    h->cand_memo->nf_slots = routed_slots(TH_NROUTED);
    h->fields = th_qfields_new();
    keep_shared(e, h->fields);
    h->capfields = th_qfields_new();
    h->rulecap = th_xcalloc(h->nrules + 1, sizeof(th_rulecap));
    for (size_t i = 0; i < h->nrules; i++) {
        const th_erule *r = e->rules.items[i];
        th_rulecap *rc = &h->rulecap[i];
        rc->cap = r->cap;
        rc->ncap = r->ncap;
        rc->fid = th_xcalloc(r->ncap + 1, sizeof(uint32_t));
        rc->name = th_xcalloc(r->ncap + 1, sizeof(th_str));
        for (size_t c = 0; c < r->ncap; c++) {
            rc->name[c] = th_str_c(r->cap[c]);
            rc->fid[c] = th_query_field_id(rc->name[c]);
            if (rc->fid[c] >= h->ncapfid)
                h->ncapfid = rc->fid[c] + 1;
        }
    }
    h->capfid = th_xcalloc(h->ncapfid + 1, sizeof(th_caprange));
    h->capgen = th_xcalloc(h->ncapfid + 1, sizeof(uint32_t));
}

void th_hits_free(th_hits *h)
{
    free(h->plan_buf);
    free(h->seen_buf);
    free(h->items);
    free(h->mark);
    free(h->memo);
    free(h->route_fixed);
    th_qmemo_free(h->gate_memo);
    plan_cache_free(h->plan_cache);
    for (size_t i = 0; h->cand_memo && i < CAND_MEMO; i++)
        free(h->cand_memo->e[i].seen);
    if (h->cand_memo) {
        numbering_free(&h->cand_memo->sets);
        numbering_free(&h->cand_memo->routed);
    }
    free(h->cand_memo);
    th_qfields_free(h->fields);
    th_qfields_free(h->capfields);
    for (size_t i = 0; h->rulecap && i < h->nrules; i++) {
        free(h->rulecap[i].fid);
        free(h->rulecap[i].name);
    }
    free(h->rulecap);
    free(h->capfid);
    free(h->capgen);
    free(h->capv);
    free(h->capr);
    lids_free(h->lids);
    memset(h, 0, sizeof(*h));
}

void th_hits_number_strings(th_hits *h)
{
    if (!h->lids)
        h->lids = lids_new(h->ncapfid);
}

void th_hits_swap_caches(th_hits *a, th_hits *b)
{
    th_hits t = *a;
    a->memo = b->memo;
    a->route_fixed = b->route_fixed;
    a->gate_memo = b->gate_memo;
    a->plan_cache = b->plan_cache;
    a->cand_memo = b->cand_memo;
    a->cand = b->cand; /* an entry of its cand_memo */
    a->lids = b->lids;
    b->lids = t.lids;
    b->memo = t.memo;
    b->route_fixed = t.route_fixed;
    b->gate_memo = t.gate_memo;
    b->plan_cache = t.plan_cache;
    b->cand_memo = t.cand_memo;
    b->cand = t.cand;
}

void th_hits_clear(th_hits *h)
{
    h->len = 0;
    h->capv_len = 0;
    h->capr_len = 0;
}

/* A candidate, once: marked while the candidates are collected. */
static void see(th_hits *h, size_t ri)
{
    if (ri >= h->nrules || h->mark[ri])
        return;
    h->mark[ri] = 1;
    h->seen_buf[h->nseen++] = (uint32_t)ri;
}

/* The rules the document meets through the prefilter index (those evaluated
 * for every event, then those its routing values key), each once and in
 * evaluation order, into h->seen. */
static void candidates(const th_engine *e, const th_jval *doc, th_hits *h)
{
    h->seen = h->seen_buf;
    h->nseen = 0;
    h->cand = NULL;
    for (size_t i = 0; i < e->always.len; i++)
        see(h, e->always.items[i]);
    for (size_t f = 0; f < TH_NROUTED; f++) {
        route_ctx rc = {.e = e, .field = th_routed_fields[f], .fidx = (unsigned)f, .memo = h->memo};
        th_json_path_each(doc, th_str_c(th_routed_fields[f]), route_visit, &rc);
        for (size_t k = 0; k < rc.nhits; k++)
            for (size_t i = 0; i < rc.hits[k]->len; i++)
                see(h, rc.hits[k]->items[i]);
    }
    for (size_t i = 0; i < h->nseen; i++)
        h->mark[h->seen[i]] = 0;
}

/* The slots of the routed fields (th_ecs_slot_of), found once, by
 * th_hits_init (candidates_slots reads them for every record). */
static int route_slot[TH_NROUTED];
static pthread_once_t route_slot_once = PTHREAD_ONCE_INIT;
static void route_slots_find(void)
{
    for (size_t f = 0; f < TH_NROUTED; f++) {
        th_str rest;
        route_slot[f] = th_ecs_slot_of(th_str_c(th_routed_fields[f]), &rest);
        if (route_slot[f] < 0 || rest.n)
            abort(); /* the projection lost a routed field: a build-time mistake */
    }
}

static void route_slots_once(void)
{
    pthread_once(&route_slot_once, route_slots_find);
}

/* The slots of the routed fields before nf, those that a read mask can name */
static uint64_t routed_slots(size_t nf)
{
    uint64_t m = 0;
    for (size_t f = 0; f < nf; f++)
        if (route_slot[f] < 64)
            m |= 1ull << route_slot[f];
    return m;
}

/* The lookups of routed field f for the values of its slot sl, into rc
 * (scalars: the projection holds strings). Field by field: an initialiser
 * would clear all of rc's hits (64 pointers) for every record, where only the
 * first nhits are read. */
static inline void route_values(const th_engine *e, const th_hits *h, size_t f, const th_qslot *sl,
                                route_ctx *rc)
{
    rc->e = e;
    rc->field = th_routed_fields[f];
    rc->fidx = (unsigned)f;
    rc->memo = h->memo;
    rc->nhits = 0;
    for (uint32_t k = 0; k < sl->n; k++)
        route_visit(&sl->vals[k], rc);
}

/* every rule of the n lookups' hits is a candidate */
static inline void see_hits(th_hits *h, th_routelist *const *hits, size_t n)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < hits[k]->len; i++)
            see(h, hits[k]->items[i]);
}

/* The lists of routed field f, whose slot is fixed, appended to lists[*n]:
 * from what h remembers of the slot's values (their address), else looked
 * up as candidates_slots does and remembered. */
static void route_fixed(const th_engine *e, const th_ecs_slots *s, th_hits *h, size_t f,
                        th_routelist **lists, size_t *n)
{
    const th_qslot *sl = &s->slot[route_slot[f]];
    th_route_fixed *fx = &h->route_fixed[f];
    if (fx->vals != sl->vals || fx->n != sl->n) {
        route_ctx rc;
        route_values(e, h, f, sl, &rc);
        memcpy(lists + *n, rc.hits, rc.nhits * sizeof *rc.hits);
        *n += rc.nhits;
        if (rc.nhits > ROUTE_FIXED_HITS) { /* not remembered */
            fx->vals = NULL;
            return;
        }
        fx->vals = sl->vals;
        fx->n = sl->n;
        fx->nhits = (uint32_t)rc.nhits;
        memcpy(fx->hits, rc.hits, rc.nhits * sizeof *rc.hits);
        return;
    }
    for (uint32_t k = 0; k < fx->nhits; k++)
        lists[(*n)++] = fx->hits[k];
}

/* The entry of the candidates of lists[0..n) (see th_cand_entry): holding
 * them when its lists are these, else the one to store them in; NULL when
 * the sequence is too long to remember. */
static th_cand_entry *cand_find(th_hits *h, th_routelist *const *lists, size_t n, bool *found)
{
    *found = false;
    if (n > CAND_LISTS)
        return NULL;
    uint64_t x = n;
    for (size_t k = 0; k < n; k++)
        x = (x ^ lists[k]->id) * 0x9e3779b97f4a7c15ull;
    _Static_assert(CAND_MEMO / CAND_WAYS == 64, "the top six bits of the product");
    th_cand_entry *set = &h->cand_memo->e[(x >> 58) * CAND_WAYS], *c = NULL;
    for (size_t w = 0; w < CAND_WAYS; w++) {
        th_cand_entry *y = &set[w];
        if (y->nlists == n) {
            size_t k = 0;
            while (k < n && y->lists[k] == lists[k])
                k++;
            if (k == n) {
                y->served = true;
                *found = true;
                return y;
            }
        }
        if (!c && (y->nlists == UINT32_MAX || !y->served))
            c = y;
    }
    if (!c) { /* all served: they start again, and one of them goes */
        for (size_t w = 0; w < CAND_WAYS; w++)
            set[w].served = false;
        c = &set[x >> 56 & (CAND_WAYS - 1)];
    }
    c->served = false;
    return c;
}

/* A string into a memo's hash (the routed values'; plan_str is the plan
 * key's): its length and three words of it (the first, middle and last eight
 * bytes; two overlapping four-byte ones; or three bytes), multiplied apart and
 * folded in after a rotation, without th_str_hash_sample's three dependent
 * rounds (~22 instructions a string, two strings a record here); the
 * caller mixes the whole once, at the end (key_fmix, or val_find's multiply
 * before it takes the top bits), so that a difference in a word's high
 * bytes (the last digit of an address) reaches the index. Only where an
 * entry is looked for depends on it: entries compare their values whole. */
static inline uint64_t key_str(uint64_t h, th_str s)
{
    uint64_t a, b, c = 0;
    if (s.n >= 8) {
        memcpy(&a, s.p, 8);
        memcpy(&b, s.p + s.n / 2 - 4, 8);
        memcpy(&c, s.p + s.n - 8, 8);
    } else {
        th_str_short_words(s, &a, &b);
    }
    h = (h << 23 | h >> 41) ^ s.n;
    return h ^ (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full) ^
           (c * 0x165667b19e3779f9ull);
}

/* key_str for the plan key (plan_cache_find): the first and last words
 * alone, folded into one product. Its strings are mostly told apart at an
 * end (addresses, key ids, ARNs' sessions, agents' commands), and what a
 * hash shares only costs a compare of the whole key: b100k with the pack,
 * 9.8 strings a record, th_engine_plan_slots 94.6 -> 87.7 M, misses 1,681 ->
 * 1,706 (the last word alone: 87.0 M, but the providers' ".amazonaws.com"
 * of one length would then hash alike). */
static inline uint64_t plan_str(uint64_t h, th_str s)
{
    h = (h << 23 | h >> 41) ^ s.n;
    return h ^ (th_str_ends_word(s) * 0x9e3779b97f4a7c15ull);
}

/* the 64-bit finaliser of MurmurHash3: every bit of h moves every bit */
static inline uint64_t key_fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

/* Whether entry v holds the fixed routed slots' values of s (those from nf) */
static inline bool val_fixed_same(const th_val_entry *v, const th_ecs_slots *s, size_t nf)
{
    for (size_t f = nf; f < TH_NROUTED; f++) {
        const th_qslot *sl = &s->slot[route_slot[f]];
        if (v->fixed[f] != sl->vals || v->nfixed[f] != sl->n)
            return false;
    }
    return true;
}

/* Whether entry v holds the routed values of s (nf as in candidates_slots;
 * val_find checked that they are remembered). */
static inline bool val_same(const th_val_entry *v, const th_ecs_slots *s, size_t nf)
{
    for (size_t f = 0; f < nf; f++) {
        const th_qslot *sl = &s->slot[route_slot[f]];
        if (sl->n == 0) {
            if (v->len[f] != -1)
                return false;
        } else {
            th_str t = sl->vals[0].u.str;
            if (v->len[f] != (int32_t)t.n || !th_bytes_eq(v->v[f], t.p, t.n))
                return false;
        }
    }
    return val_fixed_same(v, s, nf);
}

/* The entry of set (by hash x) to store new values in: one not served
 * since stored (or stale) goes first */
static th_val_entry *val_victim(th_val_entry *set, uint64_t x)
{
    th_val_entry *v = NULL;
    for (size_t w = 0; w < VAL_WAYS && !v; w++) {
        th_val_entry *y = &set[w];
        if (!y->cand || y->stamp != y->cand->stamp || !y->served)
            v = y;
    }
    if (!v) { /* all served: they start again, and one of them goes */
        for (size_t w = 0; w < VAL_WAYS; w++)
            set[w].served = false;
        v = &set[x >> 56 & (VAL_WAYS - 1)];
    }
    v->hash = x;
    v->served = false;
    return v;
}

/* The entry of the routed values of s (see th_val_entry; nf as in
 * candidates_slots): *found when it holds them, else the one to store them
 * in; NULL when they are not remembered. */
static th_val_entry *val_find(th_hits *h, const th_ecs_slots *s, size_t nf, bool *found)
{
    *found = false;
    uint64_t x = nf;
    for (size_t f = 0; f < nf; f++) {
        const th_qslot *sl = &s->slot[route_slot[f]];
        uint64_t w = 0x2545F4914F6CDD1Dull; /* none */
        if (sl->n) {
            if (sl->n > 1 || sl->vals[0].type != TH_JSTR ||
                sl->vals[0].u.str.n > VAL_MEMO_VALUE)
                return NULL;
            w = key_str(0, sl->vals[0].u.str);
        }
        x = (x ^ w) * 0xff51afd7ed558ccdull;
    }
    for (size_t f = nf; f < TH_NROUTED; f++) /* not their address: entries compare it */
        x = (x ^ s->slot[route_slot[f]].n) * 0xff51afd7ed558ccdull;
    _Static_assert(VAL_MEMO / VAL_WAYS == 64, "the top six bits of the product");
    th_val_entry *set = &h->cand_memo->v[(x >> 58) * VAL_WAYS];
    for (size_t w = 0; w < VAL_WAYS; w++) {
        th_val_entry *y = &set[w];
        if (y->hash == x && y->cand && y->stamp == y->cand->stamp && y->nf == nf &&
            val_same(y, s, nf)) {
            y->served = true;
            *found = true;
            return y;
        }
    }
    return val_victim(set, x);
}

/* val_find by rn, the projection's number of the routed slots' strings
 * before nf (th_ecs_slots_routed): an entry stored under rn holds those
 * strings (val_put), so only its fixed slots are compared, where val_find
 * hashed and compared both strings (b100k with the pack: ~150
 * instructions a record). The entries are val_find's: a text's look-up
 * compares an entry stored here as its own (the strings are kept too). */
static th_val_entry *val_find_num(th_hits *h, const th_ecs_slots *s, size_t nf, uint64_t rn,
                                  bool *found)
{
    *found = false;
    const uint64_t x = rn * 0x9e3779b97f4a7c15ull;
    th_val_entry *set = &h->cand_memo->v[(x >> 58) * VAL_WAYS];
    for (size_t w = 0; w < VAL_WAYS; w++) {
        th_val_entry *y = &set[w];
        if (y->rnum == rn && y->cand && y->stamp == y->cand->stamp && y->nf == nf &&
            val_fixed_same(y, s, nf)) {
            y->served = true;
            *found = true;
            return y;
        }
    }
    for (size_t f = 0; f < nf; f++) { /* what val_put keeps: one string or none */
        const th_qslot *sl = &s->slot[route_slot[f]];
        if (sl->n > 1 ||
            (sl->n && (sl->vals[0].type != TH_JSTR || sl->vals[0].u.str.n > VAL_MEMO_VALUE)))
            return NULL;
    }
    return val_victim(set, x);
}

/* The routed values of s into v, for the candidates of entry c, with their
 * number: cm->num from now on (the record's); rn their projection's number
 * (0: none), set here alone, where v holds them. */
static void val_put(th_cand_memo *cm, th_val_entry *v, const th_ecs_slots *s, size_t nf,
                    th_cand_entry *c, uint64_t rn)
{
    v->cand = c;
    v->rnum = rn;
    v->stamp = c->stamp;
    v->nf = (uint32_t)nf;
    for (size_t f = 0; f < TH_NROUTED; f++) {
        const th_qslot *sl = &s->slot[route_slot[f]];
        if (f >= nf) {
            v->fixed[f] = sl->vals;
            v->nfixed[f] = sl->n;
        } else if (sl->n == 0) {
            v->len[f] = -1;
        } else { /* one string, VAL_MEMO_VALUE bytes at most (val_find) */
            v->len[f] = (int32_t)sl->vals[0].u.str.n;
            memcpy(v->v[f], sl->vals[0].u.str.p, sl->vals[0].u.str.n);
        }
    }
    /* numbered as nf, then each string's length (-1: none) and bytes */
    unsigned char b[sizeof(uint32_t) + TH_NROUTED * (sizeof(int32_t) + VAL_MEMO_VALUE)];
    size_t n = sizeof(uint32_t);
    memcpy(b, &v->nf, sizeof(uint32_t));
    for (size_t f = 0; f < nf; f++) {
        memcpy(b + n, &v->len[f], sizeof(int32_t));
        n += sizeof(int32_t);
        if (v->len[f] > 0) {
            memcpy(b + n, v->v[f], (size_t)v->len[f]);
            n += (size_t)v->len[f];
        }
    }
    v->num = cm->num = number_of(&cm->routed, b, n);
}

/* The n rule indexes of src kept in *dst (its room *cap, grown as needed),
 * *dn = n: a remembered entry's copy of a thread's list. */
static void keep_rules(uint32_t **dst, size_t *cap, size_t *dn, const uint32_t *src, size_t n)
{
    if (*cap < n) {
        *cap = n;
        *dst = th_xrealloc(*dst, n * sizeof **dst);
    }
    if (n) /* none: *dst may be NULL */
        memcpy(*dst, src, n * sizeof *src);
    *dn = n;
}

/* h's candidates from entry c, which holds them: read where c keeps them
 * (until the next record's routing, the only one that stores entries), not
 * copied (b100k with the pack: 99,509 copies of ~16 rules). */
static void cand_use(th_hits *h, th_cand_entry *c)
{
    h->cand = c;
    h->seen = c->nseen ? c->seen : h->seen_buf; /* none: c->seen may be NULL */
    h->nseen = c->nseen;
}

/* The candidates of s whose routed values v does not hold (v: the entry to
 * store them in, or NULL; rn as val_put's), found through the index and the
 * lists' entry. */
static __attribute__((noinline)) void candidates_routed(const th_engine *e, const th_ecs_slots *s,
                                                        th_hits *h, size_t nf, th_val_entry *v,
                                                        uint64_t rn)
{
    th_cand_memo *cm = h->cand_memo;
    th_routelist *lists[TH_NROUTED * 64]; /* route_ctx.hits of each field */
    size_t n = 0;
    for (size_t f = 0; f < nf; f++) {
        route_ctx rc;
        route_values(e, h, f, &s->slot[route_slot[f]], &rc);
        memcpy(lists + n, rc.hits, rc.nhits * sizeof *rc.hits);
        n += rc.nhits;
    }
    for (size_t f = nf; f < TH_NROUTED; f++)
        route_fixed(e, s, h, f, lists, &n);
    bool found;
    th_cand_entry *c = cand_find(h, lists, n, &found);
    h->cand = c;
    if (found) {
        cand_use(h, c);
        if (v)
            val_put(cm, v, s, nf, c, rn);
        return;
    }
    h->seen = h->seen_buf;
    h->nseen = 0;
    for (size_t i = 0; i < e->always.len; i++)
        see(h, e->always.items[i]);
    see_hits(h, lists, n);
    for (size_t i = 0; i < h->nseen; i++)
        h->mark[h->seen[i]] = 0;
    if (!c)
        return;
    keep_rules(&c->seen, &c->cap, &c->nseen, h->seen, h->nseen);
    memcpy(c->lists, lists, n * sizeof *lists);
    c->nlists = (uint32_t)n;
    c->gen = 0; /* what the gates read: found when first asked */
    c->stamp++; /* the value entries of its lists before no longer hold */
    c->set = number_of(&cm->sets, h->seen, h->nseen * sizeof *h->seen);
    if (v)
        val_put(cm, v, s, nf, c, rn);
}

/* candidates() on the projection's slots: the values th_json_path_each
 * visits on its document, in the same order. The routing of values that the
 * memo does not hold is a call of its own (candidates_routed): b100k with the
 * pack, 99,492 of 100,000 records find theirs, and that part's frame (the
 * lists of 192 pointers, six saved registers) cost each of them. Not in line
 * in the pipeline's prepare: there it cost more (b10k +0.17 M). */
static __attribute__((noinline)) void candidates_slots(const th_engine *e, const th_ecs_slots *s,
                                                       th_hits *h)
{
    /* the last routed fields when their slots are fixed (the data stream
     * constants: data_stream.dataset) are routed by route_fixed, after the
     * others as before; the loop itself is the one every record runs. The
     * same fixed slots come record after record: their count is kept. */
    th_cand_memo *cm = h->cand_memo;
    if (s->fixed != cm->fixed) {
        size_t nf = TH_NROUTED;
        while (nf > 0 && (s->fixed >> route_slot[nf - 1] & 1))
            nf--;
        cm->fixed = s->fixed;
        cm->nf = (uint32_t)nf;
        cm->nf_slots = routed_slots(nf);
    }
    size_t nf = cm->nf;
    cm->num = NO_NUMBER;
    bool known;
    const uint64_t rn = th_ecs_slots_routed(s, cm->nf_slots);
    th_val_entry *v = rn ? val_find_num(h, s, nf, rn, &known) : val_find(h, s, nf, &known);
    if (known) {
        /* its candidates' entry served too: cand_find, which alone marked
         * it, is not called on a hit, and pushed out entries that hits
         * read (b100k with the pack, misses here: 508 through val_find,
         * 1,639 through val_find_num, whose entries lie in other sets;
         * 47 with this) */
        v->cand->served = true;
        cand_use(h, v->cand);
        cm->num = v->num;
        return;
    }
    candidates_routed(e, s, h, nf, v, rn);
}

static void capv_room(th_hits *h, size_t n)
{
    while (h->capv_cap - h->capv_len < n)
        h->capv_cap = h->capv_cap ? h->capv_cap * 2 : 1024;
    if (h->capv_cap > TH_CAPR_STR) { /* a range's off would take the flag (16 GB of values) */
        fprintf(stderr, "trailhound: too many captured values in one batch\n");
        abort();
    }
    h->capv = th_xrealloc(h->capv, h->capv_cap * sizeof *h->capv);
}

/* find_captures' fields that are not a slot document's: through
 * th_qfields_get, each copied whole (the loop's others were left unset).
 * Out of line: none of b100k's. */
static __attribute__((noinline)) void captures_got(th_hits *h, th_qfields *f, const th_rulecap *rc,
                                                   th_caprange *out)
{
    for (size_t c = 0; c < rc->ncap; c++) {
        uint32_t id = rc->fid[c];
        if (h->capgen[id] != h->capevent) {
            size_t n;
            const th_jval *const *v = th_qfields_get(f, id, rc->name[c], &n);
            if (h->capv_cap - h->capv_len < n)
                capv_room(h, n);
            for (size_t i = 0; i < n; i++)
                h->capv[h->capv_len + i] = v[i];
            h->capfid[id] = (th_caprange){NULL, (uint32_t)h->capv_len, (uint32_t)n};
            h->capv_len += n;
            if (id)
                h->capgen[id] = h->capevent;
        }
        out[c] = h->capfid[id]; /* again for the others: one field may come twice */
    }
}

/* The values of the fields a match of rule ri captures, found for
 * th_engine_commit, which then only stores them (in input order, on its own
 * thread): read through the event's fields (h->fields where evaluation shares
 * them, else h->capfields), so that a field a query reads is walked once, and
 * copied into h->capv once per event and field (the ranges of h->capfid),
 * however many of its matches capture it. Where of the rule's ranges in
 * h->capr, or UINT32_MAX where its captures changed since th_hits_init.
 * b100k's pack at two threads stores 5.1M ranges of 191,696 matches; 2.0M
 * are found anew, all a slot document's field, of one value or none, read
 * in line as th_qfields_get would first find it (th_qfields_known). The loop
 * has no call (the other fields are left to captures_got), so that h's
 * arrays stay in registers, and the event's number is in a local (a store to
 * a th_caprange may alias h's uint32_t members). A field of one string is
 * handed over as the string with its recent entry (TH_CAPR_STR), which the
 * commit would otherwise find by reading the node and hashing the text on
 * the reading thread, the one the workers wait for (b100k, two threads: the
 * commit 116.7 -> 106.9 M, find_captures 64.3 -> 88.8 M over both workers);
 * its length fits the range's 32 bits as the record's does
 * (TH_MAX_RECORD_BYTES). Field number 0 (a name
 * without one, found anew per match) is never marked current: capgen[0]
 * stays 0, which capevent never is while evaluating (fields_start).
 * NO_CLONE: the clone GCC made of it (r's members for arguments) cost its
 * callers an instruction a match at one thread too, where it is never called
 * (clang has no noipa). */
#ifdef __has_attribute
#if __has_attribute(noipa)
#define NO_CLONE __attribute__((noipa))
#endif
#endif
#ifndef NO_CLONE
#define NO_CLONE
#endif
_Static_assert(TH_MAX_RECORD_BYTES < TH_CAPR_STR, "a string's length in a th_caprange");
static NO_CLONE uint32_t find_captures(const th_erule *r, size_t ri, th_hits *h)
{
    const th_rulecap *rc = &h->rulecap[ri];
    size_t ncap = r->ncap;
    if (rc->cap != r->cap || rc->ncap != ncap)
        return UINT32_MAX;
    if (h->capr_cap - h->capr_len < ncap) {
        while (h->capr_cap - h->capr_len < ncap)
            h->capr_cap = h->capr_cap ? h->capr_cap * 2 : 256;
        h->capr = th_xrealloc(h->capr, h->capr_cap * sizeof *h->capr);
    }
    if (h->capv_cap - h->capv_len < ncap) /* one value of each field, as the loop takes */
        capv_room(h, ncap);
    uint32_t at = (uint32_t)h->capr_len;
    th_caprange *out = h->capr + at;
    const uint32_t *fid = rc->fid;
    uint32_t *capgen = h->capgen;
    th_caprange *capfid = h->capfid;
    const th_jval **capv = h->capv;
    uint32_t len = (uint32_t)h->capv_len;
    uint32_t now = h->capevent;
    th_qfields *f = th_qfields_doc(h->fields) ? h->fields : h->capfields;
    /* numbered only by a th_hits that numbers (th_hits_number_strings: a
     * pipeline's threads, whose own are swapped into each batch's); the
     * space stays the last numbering one's: a batch's line settled on the
     * reading thread is prepared and committed with the batch's own hits
     * (no numbers) between records its worker numbered */
    struct th_lids *lids = h->lids;
    if (lids)
        h->lspace = lids->space;
    bool other = false;
    for (size_t c = 0; c < ncap; c++) {
        uint32_t id = fid[c];
        /* the range stored from registers, not loaded back from capfid[id]
         * just after its three stores: the 16-byte load could not be
         * forwarded from them, and waited for them (perf: 38% of this
         * function at two threads) */
        th_caprange cr;
        if (capgen[id] != now) {
            size_t n;
            const th_jval *const *v;
            /* more than one value (none known has): the general way */
            if (!id || !th_qfields_known(f, id, &v, &n) || n > 1) {
                other = true;
                continue;
            }
            if (n && v[0]->type == TH_JSTR) {
                th_str t = v[0]->u.str;
                uint32_t slot = recent_slot_by(t, true);
                uint32_t lid = lids ? lid_of(lids, id, t, slot) : 0;
                cr = (th_caprange){t.p, TH_CAPR_STR | lid << TH_CAPR_LID_SHIFT | slot,
                                   (uint32_t)t.n};
            } else {
                if (n)
                    capv[len] = v[0];
                cr = (th_caprange){NULL, len, (uint32_t)n};
                len += (uint32_t)n;
            }
            capfid[id] = cr;
            capgen[id] = now;
        } else {
            cr = capfid[id];
        }
        out[c] = cr;
    }
    h->capv_len = len;
    if (other)
        captures_got(h, f, rc, out);
    h->capr_len = at + ncap;
    return at;
}

/* Rule r's query on the event's fields: where its gate planned it on slots
 * that hold exactly the document's values of the fields the gate reads, the
 * gate held the conjuncts it holds whole, and what is left is r->gate_rest
 * (th_engine_set_gate_rest): the broad ES|QL rules' lowered WHERE is mostly
 * such conjuncts (b100k: ~250k evaluations of 4 to 6 leaves). Such an event
 * is a slot document of a raw record, so of gate_rest what is left is
 * r->rest_slots (th_engine_set_slot_constants). */
static inline __attribute__((always_inline)) bool query_fields(const th_erule *r, th_hits *h,
                                                               uint64_t exact_slots)
{
    if (r->gate_decides && !(r->gate_read & ~exact_slots)) {
        if (r->rest_never || !r->rest_slots)
            return !r->rest_never;
        int quick = r->rest_quick ? th_qquick_match(r->rest_quick, h->fields) : -1;
        return quick >= 0 ? quick : th_query_match_fields(r->rest_slots, h->fields);
    }
    return th_query_match_fields(r->query, h->fields);
}

/* The hit of rule ri on the event: evaluated (the time when timed, the
 * captures' values when capture), ready to be pushed. In line in its
 * callers' loops: b100k with the pack evaluates 254,778 planned rules, most
 * of them a rest of a leaf or two (query_fields), and the call's saved
 * registers were ~22 instructions of each (-5.5 M). */
static inline __attribute__((always_inline)) th_hit eval_rule(th_erule *const *rules, uint32_t ri,
                                                              const th_event *ev, th_hits *h,
                                                              bool on_fields, uint64_t exact,
                                                              bool timed, bool capture)
{
    const th_erule *r = rules[ri];
    uint64_t t0 = timed ? th_now_ns() : 0;
    bool hit =
        !r->fn || (r->query && on_fields ? query_fields(r, h, exact) : r->fn(r->pred, ev->doc));
    uint8_t res = hit ? 1 : 0;
    if (hit && r->exc && th_exceptions_match(r->exc, ev->doc))
        res = 2;
    th_hit x = {ri, res, timed ? (uint32_t)(th_now_ns() - t0) : 0, UINT32_MAX};
    /* with workers, the values its commit stores (after the time: evaluation's
     * alone); with one thread the commit follows the event's evaluation and
     * reads h->fields itself, which costs less than copying the values */
    if (capture && res == 1 && r->ncap)
        x.cap = find_captures(r, ri, h);
    return x;
}

/* The n rules' hits, pushed. What is the same for every rule is decided
 * once: the room for n hits, whether the event's fields are shared, the
 * exact slots, and (plain: the one thread's loop without a profile) that
 * nothing is timed or captured. The hits go through locals: a store of a
 * hit (its byte may alias anything) made GCC reload h's members, the rules'
 * table and the flags at every rule (b100k with the pack, 254,778 rules
 * planned: th_engine_eval_plan 51.5 -> 49.0 M inclusive). */
static inline __attribute__((always_inline)) void eval_rules_as(const th_engine *e,
                                                                const th_event *ev, th_hits *h,
                                                                const uint32_t *rules, size_t n,
                                                                bool plain)
{
    if (h->cap - h->len < n) {
        while (h->cap - h->len < n)
            h->cap = h->cap ? h->cap * 2 : 16;
        h->items = th_xrealloc(h->items, h->cap * sizeof(th_hit));
    }
    th_hit *items = h->items;
    size_t len = h->len;
    const bool on_fields = th_qfields_doc(h->fields) != NULL;
    const uint64_t exact = h->exact_slots;
    const bool timed = !plain && e->o.profile;
    const bool capture = !plain && e->threads > 1 && !e->o.filters_only;
    th_erule *const *table = e->rules.items;
    for (size_t i = 0; i < n; i++)
        items[len++] = eval_rule(table, rules[i], ev, h, on_fields, exact, timed, capture);
    h->len = len;
}

static inline __attribute__((always_inline)) void
eval_rules(const th_engine *e, const th_event *ev, th_hits *h, const uint32_t *rules, size_t n)
{
    if (e->o.profile || (e->threads > 1 && !e->o.filters_only))
        eval_rules_as(e, ev, h, rules, n, false);
    else
        eval_rules_as(e, ev, h, rules, n, true);
}

/* The fields rule r reads (its filter, captures and exception entries), each
 * given to fn; false as soon as fn is. Demand and slot documents both count
 * what a rule reads this way. */
static bool entries_read(const th_exc_entry *en, size_t n, th_field_fn fn, void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        if (en[i].field && !fn(ctx, en[i].field))
            return false;
        if (!entries_read(en[i].entries, en[i].nentries, fn, ctx))
            return false;
    }
    return true;
}

static bool rule_reads(const th_erule *r, th_field_fn fn, void *ctx)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (!fn(ctx, r->fields[i]))
            return false;
    for (size_t i = 0; i < r->ncap; i++)
        if (!fn(ctx, r->cap[i]))
            return false;
    if (r->exc)
        for (size_t i = 0; i < r->exc->len; i++)
            if (!entries_read(r->exc->items[i].entries, r->exc->items[i].nentries, fn, ctx))
                return false;
    return true;
}

static bool demand_field(void *ctx, const char *field)
{
    th_ecs_demand_field(ctx, th_str_c(field));
    return true;
}

static void demand_rule(const th_erule *r, th_ecs_demand *d)
{
    if (!r->fields_known && r->fn)
        th_ecs_demand_all(d);
    rule_reads(r, demand_field, d);
}

size_t th_engine_nrules(const th_engine *e) { return e->rules.len; }

bool th_engine_rule_reads(const th_engine *e, size_t idx, th_field_fn fn, void *ctx)
{
    if (idx >= e->rules.len)
        return false;
    const th_erule *r = e->rules.items[idx];
    if (!r->fields_known && r->fn) /* as demand_rule: it may read anything */
        return false;
    return rule_reads(r, fn, ctx);
}

bool th_engine_rule_reads_values_only(const th_engine *e, size_t idx)
{
    if (idx >= e->rules.len || e->trace || e->o.filters_only)
        return false;
    const th_erule *r = e->rules.items[idx];
    /* eval_rule reads the shared fields (with known fields, th_qfields_doc
     * is set) or nothing; commit_match stores no document for esql_cap, and
     * its capture reads the shared fields or, with workers, the values
     * find_captures found in them */
    return r->fields_known && (r->query || !r->fn) && r->esql_cap &&
           (!r->exc || r->exc->len == 0) && r->nstages == 0;
}

void th_engine_demand(th_engine *e, th_ecs_demand *d)
{
    for (size_t f = 0; f < TH_NROUTED; f++)
        th_ecs_demand_field(d, th_str_c(th_routed_fields[f]));
    for (size_t i = 0; i < e->rules.len; i++) {
        th_erule *r = e->rules.items[i];
        th_ecs_demand_none(&r->dem);
        demand_rule(r, &r->dem);
        if (!r->rep.skipped)
            th_ecs_demand_merge(d, &r->dem);
    }
    e->gate_gen++; /* the plans remembered keep their rules' demand (plan_entry.dem) */
}

void th_engine_set_gate(th_engine *e, size_t idx, th_pred_fn fn, const void *pred,
                        const th_str *fields, size_t n)
{
    if (idx >= e->rules.len)
        return;
    th_erule *r = e->rules.items[idx];
    r->gate_fn = fn;
    r->gate = pred;
    r->gate_slots = false; /* an opaque predicate reads documents */
    r->gate_kept = false;
    r->gate_read = 0;
    r->gate_decides = false;
    r->gate_rest = r->rest_slots = NULL;
    r->rest_quick = NULL;
    r->rest_never = false;
    e->gate_gen++; /* the plans remembered with the old gate no longer hold */
    r->gate_need = (th_ecs_proj_need){0, 0};
    if (n == SIZE_MAX) {
        r->gate_need = TH_PROJ_NEED_ALL;
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!th_ecs_raw_need(fields[i], &r->gate_need))
            r->gate_need = TH_PROJ_NEED_ALL; /* a field it should not read: everything */
}

/* A gate of th_engine_set_gate_query on a document: any of its queries. */
static bool gate_any(const void *pred, const th_jval *doc)
{
    const th_erule *r = pred;
    for (size_t i = 0; i < r->ngate_q; i++)
        if (th_query_match(r->gate_q[i], doc))
            return true;
    return false;
}

static bool gate_any_slots(const th_erule *r, const th_ecs_slots *s, th_qmemo *memo)
{
    for (size_t i = 0; i < r->ngate_q; i++)
        if (th_query_match_slots(r->gate_q[i], s->slot, memo))
            return true;
    return false;
}

void th_engine_set_gate_query(th_engine *e, size_t idx, th_query *const *q, size_t nq,
                              const th_str *fields, size_t n)
{
    if (idx >= e->rules.len)
        return;
    th_erule *r = e->rules.items[idx];
    th_engine_set_gate(e, idx, gate_any, r, fields, n);
    r->gate_q = TH_ANEWN(&e->arena, th_query *, nq ? nq : 1);
    r->ngate_q = nq;
    r->gate_slots = true;
    /* the leaves on the routed fields last: a candidate's mostly hold (its
     * routing matched their values), so the gate's others decide it, and an
     * AND stops at the first that fails (b100k with the pack: the six gates
     * that read the request parameters, 40,378 evaluations on plan hits,
     * each failing at its subtree leaf after event.provider and event.action
     * held; the gates 28.8 -> 21.9 M) */
    route_slots_once();
    for (size_t i = 0; i < nq; i++) {
        r->gate_q[i] = q[i];
        if (!th_query_bind_slots(q[i], th_ecs_slot_of))
            r->gate_slots = false;
        else
            th_query_last_of(q[i], routed_slots(TH_NROUTED));
    }
    /* remembered by the values it reads, unless it reads a subtree: its key
     * would be the subtree, mostly long and seldom repeated */
    bool kept = r->gate_slots;
    for (size_t i = 0; i < nq && kept; i++) {
        uint64_t m;
        kept = th_query_slots_read(q[i], &m);
        r->gate_read |= m;
    }
    for (size_t i = 0; kept && th_ecs_raw_tree_at(i); i++) {
        th_str rest;
        int t = th_ecs_slot_of(th_str_c(th_ecs_raw_tree_at(i)), &rest);
        kept = t < 0 || t > 63 || !(r->gate_read & (1ull << t));
    }
    r->gate_kept = kept;
}

/* th_engine_set_slot_constants' arguments (one pointer in th_engine: its
 * size is the run's allocations' layout, which the routing memos' hash of
 * addresses reads) */
typedef struct th_slot_consts {
    const th_jval *doc;
    bool (*is_const)(th_str field);
} th_slot_consts;

/* r->rest_slots and r->rest_never from r->gate_rest and the engine's slot
 * constants: an event on which the rest is evaluated (query_fields) is a
 * slot document, which holds them whatever the record. */
static void fold_rest(th_engine *e, th_erule *r)
{
    r->rest_slots = r->gate_rest;
    r->rest_never = false;
    r->rest_quick = NULL;
    const th_slot_consts *c = e->slot_consts;
    if (r->gate_rest && c)
        r->rest_never =
            !th_query_rest_fold(&e->arena, r->gate_rest, c->doc, c->is_const, &r->rest_slots);
    th_qquick k;
    if (!r->rest_never && th_query_quick(r->rest_slots, &k)) {
        th_qquick *q = TH_ANEW(&e->arena, th_qquick);
        *q = k;
        r->rest_quick = q;
    }
}

void th_engine_set_gate_rest(th_engine *e, size_t idx, const th_query *rest)
{
    if (idx >= e->rules.len)
        return;
    th_erule *r = e->rules.items[idx];
    /* only a gate on slots whose read is known: the plan decides it on
     * exactly those slots */
    r->gate_decides = r->gate_fn == gate_any && r->ngate_q == 1 && r->gate_kept;
    r->gate_rest = r->gate_decides ? rest : NULL;
    fold_rest(e, r);
}

void th_engine_set_slot_constants(th_engine *e, const th_jval *doc, bool (*is_const)(th_str field))
{
    th_slot_consts *c = e->slot_consts;
    if (c && doc == c->doc && is_const == c->is_const)
        return; /* folded for these already (a run after a run) */
    if (!c)
        c = e->slot_consts = TH_ANEW(&e->arena, th_slot_consts);
    *c = (th_slot_consts){doc, is_const};
    for (size_t i = 0; i < e->rules.len; i++)
        fold_rest(e, e->rules.items[i]);
}

/* one step of the plan keys' hash */
static inline uint64_t key_mix(uint64_t h, uint64_t x)
{
    h = (h ^ x) * 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}

/* What the gates of the candidates h->seen read (th_engine_gate_need's need),
 * the slots their kept gates read, and the candidates' hash that
 * plan_cache_find's starts with. */
static void seen_gates(const th_engine *e, const th_hits *h, th_ecs_proj_need *need, uint64_t *read,
                       uint64_t *hash)
{
    *need = (th_ecs_proj_need){0, 0};
    *read = 0;
    *hash = h->nseen;
    for (size_t i = 0; i < h->nseen; i++) {
        const th_erule *r = e->rules.items[h->seen[i]];
        if (r->gate_fn) {
            need->fields |= r->gate_need.fields;
            need->extras |= r->gate_need.extras;
            if (!r->gate_slots)
                need->extras |= TH_PROJ_DOM;
            if (r->gate_kept)
                *read |= r->gate_read;
        }
        *hash = key_mix(*hash, h->seen[i]);
    }
}

/* seen_gates of h's candidates: remembered with them (h->cand) under the
 * gates' generation. In line (seen_gates, once an entry and generation,
 * stays a call): a call that returned three values through memory cost ~27
 * instructions, twice a record (the gates' need, then the plan key). */
static inline __attribute__((always_inline)) void cand_gates(const th_engine *e, const th_hits *h,
                                                             th_ecs_proj_need *need, uint64_t *read,
                                                             uint64_t *hash)
{
    th_cand_entry *c = h->cand;
    if (!c) {
        seen_gates(e, h, need, read, hash);
        return;
    }
    if (c->gen != e->gate_gen + 1u) {
        seen_gates(e, h, &c->need, &c->read, &c->hash);
        c->gen = e->gate_gen + 1u;
    }
    *need = c->need;
    *read = c->read;
    *hash = c->hash;
}

void th_engine_gate_need(const th_engine *e, const th_hits *h, th_ecs_proj_need *need)
{
    th_ecs_proj_need n;
    uint64_t read, hash;
    cand_gates(e, h, &n, &read, &hash);
    need->fields |= n.fields;
    need->extras |= n.extras;
}

/* ---- plans remembered -------------------------------------------------------
 * Whether a candidate's gate holds depends only on the gate (e->gate_gen
 * counts the changes) and the values of the slots it reads
 * (th_query_slots_read): most records of a run repeat a few keys of
 * candidates and such values (b10k with the pack: 8,733 of 10,000 look-ups
 * find their key), where the gates cost ~4,000 instructions a record. So the results of the kept
 * gates (th_erule.gate_kept) are remembered under the key: the candidates (their set's number,
 * th_cand_memo.sets, or their count and list; the routed values' number, th_cand_memo.routed,
 * where their slots' values are left out), the slots
 * they read and those slots' values, written out in full, each part with its length, so that two
 * keys are equal only when what they were made from is; a look-up compares the whole key (a hash
 * shared by two keys only costs a miss). The other gates (documents, subtrees) are evaluated every
 * time. Per th_hits: one thread's. */
#define PLAN_CACHE 4096   /* entries, in sets of PLAN_WAYS by the key's hash */
#define PLAN_WAYS 4
#define PLAN_KEY_MAX 2048 /* longer keys are not remembered */
#define PLAN_WINDOW 4096  /* look-ups between checks that remembering pays */
#define PLAN_PAUSE 32768  /* records planned directly after a window of few hits */

typedef struct plan_entry {
    bool used;
    bool served; /* found by a look-up since it was stored (plan_cache_find's victims) */
    uint64_t hash;
    unsigned char *key;
    size_t klen, kcap;
    /* where the plan is not whole: the candidates (their places in h->seen,
     * in order) that a record of this key may plan, those without a gate,
     * with one that is not kept, or whose kept gate held; the others (a kept
     * gate that failed) are not looked at again */
    uint32_t *todo;
    size_t ntodo, tcap;
    /* whether every gate of the candidates is a kept one: the plan is then a
     * function of the key, and the rules planned (plan[0..nplan)) are
     * remembered, not only the gates' results */
    bool whole;
    uint32_t *plan;
    size_t nplan, plcap;
    /* what the rules in plan demand of the mapping, merged: one merge a
     * hit, not one a planned rule (b100k with the pack: 160,372 calls) */
    th_ecs_demand dem;
} plan_entry;

struct th_plan_cache {
    plan_entry e[PLAN_CACHE];
    unsigned char key[PLAN_KEY_MAX]; /* the key being written */
    size_t len;
    bool over; /* it would grow past PLAN_KEY_MAX */
    uint32_t looks, hits, pause;
};

static th_plan_cache *plan_cache_new(void)
{
    return th_xcalloc(1, sizeof(th_plan_cache));
}

static void plan_cache_free(th_plan_cache *pc)
{
    if (!pc)
        return;
    for (size_t i = 0; i < PLAN_CACHE; i++) {
        free(pc->e[i].key);
        free(pc->e[i].todo);
        free(pc->e[i].plan);
    }
    free(pc);
}

static inline void key_put(th_plan_cache *pc, const void *p, size_t n)
{
    if (n > PLAN_KEY_MAX - pc->len) {
        pc->over = true;
        return;
    }
    memcpy(pc->key + pc->len, p, n);
    pc->len += n;
}

static inline void key_u32(th_plan_cache *pc, uint32_t v)
{
    key_put(pc, &v, sizeof v);
}

/* A value as its type, then its text or its parts, each with its length:
 * everything th_cnode_eval_slots can read of it (the type, the text of a
 * string or number, the items of an array, the keys and values of an object
 * in order). */
static void key_val(th_plan_cache *pc, const th_jval *v)
{
    unsigned char t = (unsigned char)v->type;
    key_put(pc, &t, 1);
    switch (v->type) {
    case TH_JSTR:
    case TH_JNUM:
        key_u32(pc, (uint32_t)v->u.str.n);
        key_put(pc, v->u.str.p, v->u.str.n);
        break;
    case TH_JARR:
        key_u32(pc, v->len);
        for (uint32_t i = 0; i < v->len && !pc->over; i++)
            key_val(pc, v->u.items[i]);
        break;
    case TH_JOBJ:
        key_u32(pc, v->len);
        for (uint32_t i = 0; i < v->len && !pc->over; i++) {
            key_u32(pc, (uint32_t)v->u.members[i].key.n);
            key_put(pc, v->u.members[i].key.p, v->u.members[i].key.n);
            key_val(pc, v->u.members[i].val);
        }
        break;
    default: break;
    }
}

/* The n bytes at p to d, as memcpy copies them: up to 32 bytes (nearly every
 * string of a key but the user agent and the role's ARN: the identity type,
 * addresses, key ids, providers, actions, user names) in words that may
 * overlap, without memcpy's call, which cost about as much as the copy. */
static inline void key_copy(unsigned char *d, const char *p, uint32_t n)
{
    uint64_t a, b, c, x;
    if (n - 8u <= 8u) {
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n - 17u <= 15u) {
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        memcpy(&c, p + n - 16, 8);
        memcpy(&x, p + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + 8, &b, 8);
        memcpy(d + n - 16, &c, 8);
        memcpy(d + n - 8, &x, 8);
    } else {
        memcpy(d, p, n);
    }
}

/* A slot's head in the key, eight bytes: a slot of one string or number
 * (most of them) is its length and type, the bytes following; any other,
 * its count and KEY_SLOT_ANY, its values following as key_val writes them.
 * The type is never KEY_SLOT_ANY, so the heads tell the two apart. One
 * store a slot, where the count, then each value's type and length, took
 * three (b10k with the pack: ~8 slots a key). */
#define KEY_SLOT_ANY 0xffu
_Static_assert(TH_JSTR < KEY_SLOT_ANY && TH_JNUM < KEY_SLOT_ANY, "a type is no KEY_SLOT_ANY");
static inline uint64_t key_head(uint64_t n, unsigned t)
{
    return n << 8 | t;
}

/* The values of the slots in read, written after the key's first pc->len
 * bytes (key_head), the text of each string or number hashed into *hash
 * (plan_str): 1, or 0 where the key would grow past PLAN_KEY_MAX; -1, with
 * nothing written or hashed, where a value is neither (key_values_any's).
 * The values written through a cursor held in a register, each checked
 * once against the room left: key_put's way, which kept the length in
 * memory (it may alias what memcpy writes), cost a third of a look-up.
 * With key_val's call for the other values in the loop, GCC kept the hash
 * in memory, loaded and stored at every string (b100k with the pack:
 * th_engine_plan_slots 86.0 -> 85.1 M). */
static inline int key_strings(th_plan_cache *pc, const th_ecs_slots *s, uint64_t read,
                              uint64_t *hash)
{
    unsigned char *k = pc->key + pc->len, *const end = pc->key + PLAN_KEY_MAX;
    uint64_t x = *hash;
    for (uint64_t u = read; u; u &= u - 1) {
        const th_qslot *sl = &s->slot[__builtin_ctzll(u)];
        const th_jval *vals = sl->vals; /* in locals: the copies below may alias *sl */
        uint32_t nv = sl->n;
        if (nv == 1 && (vals->type == TH_JSTR || vals->type == TH_JNUM)) {
            uint32_t n = (uint32_t)vals->u.str.n;
            if ((size_t)(end - k) < 8 + (size_t)n)
                return 0;
            x = plan_str(x, vals->u.str);
            uint64_t hd = key_head(n, vals->type);
            memcpy(k, &hd, 8);
            key_copy(k + 8, vals->u.str.p, n);
            k += 8 + (size_t)n;
            continue;
        }
        if (end - k < 8)
            return 0;
        uint64_t hd = key_head(nv, KEY_SLOT_ANY);
        memcpy(k, &hd, 8);
        k += 8;
        for (uint32_t i = 0; i < nv; i++) {
            const th_jval *v = &vals[i];
            if (v->type != TH_JSTR && v->type != TH_JNUM)
                return -1;
            const char *p = v->u.str.p;
            uint32_t n = (uint32_t)v->u.str.n;
            if ((size_t)(end - k) < 5 + (size_t)n)
                return 0;
            x = plan_str(x, v->u.str);
            k[0] = (unsigned char)v->type;
            memcpy(k + 1, &n, 4);
            key_copy(k + 5, p, n);
            k += 5 + (size_t)n;
        }
    }
    pc->len = (size_t)(k - pc->key);
    *hash = x;
    return 1;
}

/* key_strings where some value is neither a string nor a number (none
 * over b100k: the fill's slots hold strings, source.as.number a number),
 * through key_val: the same bytes and hash. */
static __attribute__((noinline)) int key_values_any(th_plan_cache *pc, const th_ecs_slots *s,
                                                    uint64_t read, uint64_t *hash)
{
    for (uint64_t u = read; u && !pc->over; u &= u - 1) {
        const th_qslot *sl = &s->slot[__builtin_ctzll(u)];
        const th_jval *v = sl->vals;
        if (sl->n == 1 && (v->type == TH_JSTR || v->type == TH_JNUM)) {
            uint64_t hd = key_head(v->u.str.n, v->type);
            *hash = plan_str(*hash, v->u.str);
            key_put(pc, &hd, 8);
            key_put(pc, v->u.str.p, v->u.str.n);
            continue;
        }
        uint64_t hd = key_head(sl->n, KEY_SLOT_ANY);
        key_put(pc, &hd, 8);
        for (uint32_t i = 0; i < sl->n && !pc->over; i++) {
            if (v[i].type == TH_JSTR || v[i].type == TH_JNUM)
                *hash = plan_str(*hash, v[i].u.str);
            key_val(pc, &v[i]);
        }
    }
    return !pc->over;
}

/* The entry of the record's key: holding its gates' results when used, else
 * the one to store them in; NULL when this record is planned directly. */
static plan_entry *plan_cache_find(const th_engine *e, const th_ecs_slots *s, th_hits *h)
{
    th_plan_cache *pc = h->plan_cache;
    if (pc->pause) {
        pc->pause--;
        return NULL;
    }
    /* hashed as written, from the parts that tell keys apart most cheaply
     * (the candidates, and each string's length and two words of it) */
    th_ecs_proj_need need;
    uint64_t read, hash;
    cand_gates(e, h, &need, &read, &hash);
    if (!read)
        return NULL; /* no kept gate: nothing to remember */
    /* the candidates: their set's number, else (none) the list itself; the
     * routed values' number, whose slots' values are then not written */
    const th_cand_memo *cm = h->cand_memo;
    uint32_t cset = h->cand ? h->cand->set : NO_NUMBER;
    uint32_t num = h->cand ? cm->num : NO_NUMBER;
    uint64_t vals = read;
    if (num != NO_NUMBER) {
        vals &= ~cm->nf_slots;
        hash = key_mix(hash, num);
    }
    /* the identity's slots by their userIdentity text's number (0: none),
     * their values then not written: the slots it stands for are those of
     * `read` it may stand for (th_ecs_slots_ident), so the key tells them */
    uint64_t idslots = 0;
    const uint64_t ident = th_ecs_slots_ident(s, vals, &idslots);
    if (ident) {
        vals &= ~idslots;
        hash = key_mix(hash, ident);
    }
    /* the AS slots by source.ip's values, written with the others, where
     * they are its function (th_ecs_slots_asn); the slots left out above
     * bit 32 of `read` in the key, which the key's other parts do not tell
     * (b100k with the pack: 37% of the keys read both) */
    _Static_assert(TH_ECS_NSLOTS <= 32, "a slot's bit below bit 32");
    const uint64_t asn = th_ecs_slots_asn(s, vals);
    vals &= ~asn;
    /* user_agent.name by user_agent.original's text, likewise: the name is
     * then looked up only where a gate is evaluated (TH_PROJ_UA_LATER) */
    uint64_t uatext;
    const uint64_t uaname = th_ecs_slots_ua(s, vals, &uatext);
    vals = (vals & ~uaname) | uatext;
    const uint64_t kread = read | (asn | uaname) << 32;
    pc->over = false;
    if (cset != NO_NUMBER) { /* the head at once, as key_put would write it */
        const uint32_t head[3] = {e->gate_gen, cset, num};
        memcpy(pc->key, head, sizeof head);
        memcpy(pc->key + sizeof head, &kread, sizeof kread);
        memcpy(pc->key + sizeof head + sizeof read, &ident, sizeof ident);
        pc->len = sizeof head + sizeof read + sizeof ident;
    } else {
        pc->len = 0;
        key_u32(pc, e->gate_gen);
        key_u32(pc, cset);
        key_u32(pc, (uint32_t)h->nseen);
        key_put(pc, h->seen, h->nseen * sizeof *h->seen);
        key_u32(pc, num);
        key_put(pc, &kread, sizeof kread);
        key_put(pc, &ident, sizeof ident);
    }
    if (pc->over)
        return NULL;
    int written = key_strings(pc, s, vals, &hash);
    if (written < 0)
        written = key_values_any(pc, s, vals, &hash);
    if (!written)
        return NULL;
    hash = key_fmix(hash);
    if (++pc->looks == PLAN_WINDOW) { /* too few repeats: plan directly for a while */
        if (pc->hits < PLAN_WINDOW / 8)
            pc->pause = PLAN_PAUSE;
        pc->looks = pc->hits = 0;
    }
    /* A set of PLAN_WAYS entries: b100k makes 916 distinct keys without
     * ES|QL (1,466 with the pack), which direct-mapped over 1,024 entries
     * pushed one another out: 6,727 of 100,000 look-ups missed. Entries
     * that served no look-up since they were stored go first, so keys seen
     * once do not push out the repeated ones. Sets of four over 1,024
     * entries still missed 3,430 look-ups with the pack (each miss
     * evaluates its ~15 candidates' gates); over 4,096, 1,681. */
    _Static_assert(PLAN_CACHE % PLAN_WAYS == 0, "whole sets");
    plan_entry *set = &pc->e[hash % (PLAN_CACHE / PLAN_WAYS) * PLAN_WAYS], *pe = NULL;
    for (size_t w = 0; w < PLAN_WAYS; w++) {
        plan_entry *x = &set[w];
        if (x->used && x->hash == hash && x->klen == pc->len &&
            memcmp(x->key, pc->key, pc->len) == 0) {
            x->served = true;
            pc->hits++;
            return x;
        }
        if (!pe && (!x->used || !x->served))
            pe = x;
    }
    if (!pe) { /* all served: they start again, and one of them goes */
        for (size_t w = 0; w < PLAN_WAYS; w++)
            set[w].served = false;
        pe = &set[hash >> 62];
        _Static_assert(PLAN_WAYS == 4, "the top two bits of the hash");
    }
    pe->used = false; /* to hold this key's results (th_engine_plan_slots) */
    pe->served = false;
    pe->hash = hash;
    if (pe->kcap < pc->len) {
        pe->kcap = pc->len;
        pe->key = th_xrealloc(pe->key, pe->kcap);
    }
    memcpy(pe->key, pc->key, pc->len);
    pe->klen = pc->len;
    if (pe->tcap < h->nseen) {
        pe->tcap = h->nseen;
        pe->todo = th_xrealloc(pe->todo, pe->tcap * sizeof *pe->todo);
    }
    pe->ntodo = 0;
    return pe;
}

bool th_engine_routes_slots(const th_engine *e, const th_ecs_slots *s, th_hits *h)
{
    candidates_slots(e, s, h);
    return h->nseen > 0;
}

/* The candidates whose gates hold, into h->plan: a kept gate's result from
 * pe when it holds them (pe->used), else evaluated, and stored in pe when
 * there is one; the other gates evaluated. Where every gate was a kept one
 * (pe->whole), the planned rules themselves come from pe: the loop over the
 * candidates would find the same (b10k with the pack: ~300 instructions a
 * record for its ~16 candidates; th_engine_plan_slots 23.5 -> 22.3 M).
 * Else the loop visits only pe's todo: a candidate whose kept gate failed
 * under this key fails again, and the rest keep their order (b100k without
 * ES|QL: 37,889 records reached the loop, misses and entries that are not
 * whole; b10k: 31,694 candidates looked at per 10k records). */
bool th_engine_plan_slots(const th_engine *e, th_ecs_slots *s, const th_jval *proj, th_hits *h,
                          th_ecs_demand *d)
{
    plan_entry *pe = h->plan_cache ? plan_cache_find(e, s, h) : NULL;
    uint32_t *plan = h->plan_buf;
    h->plan = plan;
    h->nplan = 0;
    if (pe && pe->used) {
        if (pe->whole) { /* read where pe keeps it, as cand_use reads the candidates */
            if (pe->nplan)
                h->plan = pe->plan;
            th_ecs_demand_merge(d, &pe->dem);
            h->nplan = pe->nplan;
            return h->nplan > 0;
        }
        th_ecs_slots_ua_now(s); /* a gate may read the name */
        for (size_t k = 0; k < pe->ntodo; k++) {
            const uint32_t ri = h->seen[pe->todo[k]];
            const th_erule *r = e->rules.items[ri];
            if (r->gate_fn && !r->gate_kept &&
                !(r->gate_slots ? gate_any_slots(r, s, h->gate_memo)
                                : !proj || r->gate_fn(r->gate, proj)))
                continue;
            plan[h->nplan++] = ri;
            th_ecs_demand_merge(d, &r->dem);
        }
        return h->nplan > 0;
    }
    th_ecs_slots_ua_now(s); /* a gate may read the name */
    bool whole = true;
    for (size_t i = 0; i < h->nseen; i++) {
        const th_erule *r = e->rules.items[h->seen[i]];
        if (r->gate_fn) {
            whole &= r->gate_kept;
            bool pass = r->gate_slots ? gate_any_slots(r, s, h->gate_memo)
                                      : !proj || r->gate_fn(r->gate, proj);
            if (pe && (pass || !r->gate_kept))
                pe->todo[pe->ntodo++] = (uint32_t)i;
            if (!pass)
                continue;
        } else if (pe) {
            pe->todo[pe->ntodo++] = (uint32_t)i;
        }
        plan[h->nplan++] = h->seen[i];
        th_ecs_demand_merge(d, &r->dem);
    }
    if (pe) { /* a new entry: whether its plan is remembered too */
        pe->whole = whole;
        if (whole) {
            keep_rules(&pe->plan, &pe->plcap, &pe->nplan, h->plan, h->nplan);
            pe->dem = (th_ecs_demand){0};
            for (size_t k = 0; k < h->nplan; k++)
                th_ecs_demand_merge(&pe->dem, &e->rules.items[h->plan[k]]->dem);
        }
        pe->used = true;
    }
    return h->nplan > 0;
}

bool th_engine_routes(const th_engine *e, const th_jval *proj, th_hits *h)
{
    candidates(e, proj, h);
    return h->nseen > 0;
}

bool th_engine_plan(const th_engine *e, const th_jval *proj, th_hits *h, th_ecs_demand *d)
{
    candidates(e, proj, h);
    return th_engine_plan_routed(e, proj, h, d);
}

bool th_engine_plan_routed(const th_engine *e, const th_jval *proj, th_hits *h, th_ecs_demand *d)
{
    h->plan = h->plan_buf;
    h->nplan = 0;
    for (size_t i = 0; i < h->nseen; i++) {
        const th_erule *r = e->rules.items[h->seen[i]];
        if (r->gate_fn && !r->gate_fn(r->gate, proj))
            continue;
        h->plan_buf[h->nplan++] = h->seen[i];
        th_ecs_demand_merge(d, &r->dem);
    }
    return h->nplan > 0;
}

/* The event's fields are found afresh for its n rules (rules[0..n)) and
 * their captures when its document's fields are known (known: a slot
 * document, whose fields are then read without a walk), or when one of them
 * captures a field its query reads: that field is then read twice. Else each leaf walks the document itself, which
 * stops at the first value that decides it, where filling the cache walks
 * the whole field: the rules of an event without such a capture share few
 * fields (the pack without ES|QL on b10k, the cache serving the events of two
 * rules or more too: 1,713 of its 7,867 reads found their field there); the
 * captures then read through a cache of their own. In line: its call (six
 * arguments, the registers saved) cost ~15 instructions a planned record. */
static inline __attribute__((always_inline)) void fields_start(const th_engine *e, th_hits *h,
                                                               const th_event *ev,
                                                               const uint32_t *rules, size_t n,
                                                               const th_qknown *known)
{
    bool shared = known && ev->doc;
    for (size_t i = 0; i < n && !shared; i++)
        shared = e->rules.items[rules[i]]->query_captures;
    th_qfields_reset(h->fields, shared ? ev->doc : NULL);
    if (known && ev->doc)
        th_qfields_put(h->fields, known);
    th_qfields_reset(h->capfields, ev->doc);
    h->fields_from = h->len;
    if (++h->capevent == 0) { /* the numbers went round: no range may look current */
        memset(h->capgen, 0, h->ncapfid * sizeof *h->capgen);
        h->capevent = 1;
    }
}

void th_engine_eval_plan(const th_engine *e, const th_event *ev, const th_qknown *known,
                         th_hits *h)
{
    if (th_event_combined_ts(ev) == TH_TIME_NONE && !e->o.filters_only)
        return;
    fields_start(e, h, ev, h->plan, h->nplan, known);
    h->exact_slots = known && ev->doc ? known->exact_slots : 0;
    eval_rules(e, ev, h, h->plan, h->nplan);
    h->fields_to = h->len;
}

void th_engine_set_rule_fields(th_engine *e, size_t idx, const th_str *fields, size_t n)
{
    if (idx >= e->rules.len)
        return;
    th_erule *r = e->rules.items[idx];
    r->fields = TH_ANEWN(&e->arena, const char *, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        r->fields[i] = th_arena_strndup(&e->arena, fields[i].p, fields[i].n);
    r->nfields = n;
    r->fields_known = true;
}

void th_engine_eval(const th_engine *e, const th_event *ev, th_hits *h)
{
    if (th_event_combined_ts(ev) == TH_TIME_NONE && !e->o.filters_only)
        return; /* no time at all: no window can contain it */
    candidates(e, ev->doc, h);
    fields_start(e, h, ev, h->seen, h->nseen, NULL);
    h->exact_slots = 0; /* no plan on slots */
    eval_rules(e, ev, h, h->seen, h->nseen);
    h->fields_to = h->len;
}

/* ---- commit (single thread, input order) ------------------------------- */

/* A rule's matches past MATCHES_BIG bytes take MATCHES_MAPPED at once:
 * the most glibc's mmap threshold can be (main.c sets it so) */
#define MATCHES_BIG (1u << 20)
#define MATCHES_MAPPED (32u << 20)

/* Room for more of r's matches. A vector under malloc's mmap threshold
 * grows by a copy and leaves its old block a hole in the heap, touched and
 * kept: on the 1 GB bench file 60.8 MB of the heap were free at the hot
 * pass's end, the holes the broad ES|QL rules' vectors left (703k matches:
 * 28 MB in a vector of 42 MB, grown through 21, 10.5, 5.2 MB ...). Past
 * 1 MB a vector grows to 32 MB at once, which malloc maps: its pages are
 * touched as matches fill them, and it grows on by mremap, without a copy. */
static __attribute__((noinline)) void matches_grow(th_erule *r)
{
    size_t cap = r->matches.cap ? r->matches.cap * 2 : 8;
    if (cap * sizeof(th_match) >= MATCHES_BIG && cap * sizeof(th_match) < MATCHES_MAPPED)
        cap = (MATCHES_MAPPED + sizeof(th_match) - 1) / sizeof(th_match);
    r->matches.items = th_xrealloc(r->matches.items, cap * sizeof(th_match));
    r->matches.cap = cap;
}

/* ts_text: the event's @timestamp can be taken from a match's ts (capture),
 * the event's alone */
static void commit_match(th_engine *e, th_erule *r, const th_event *ev, int64_t *docidx,
                         const th_hits *h, uint32_t cap, th_qfields *fields, const cap_known *ck,
                         bool ts_text)
{
    r->rep.matches++;
    bool retain = th_retain_applies(r);
    if (retain &&
        th_retain_drop(e, r, ev, r->use_ingested ? th_event_combined_ts(ev) : ev->timestamp_ms))
        return; /* no run can alert it: nothing kept */
    /* the process-wide budget: past it a match is counted, not kept (at most
     * its event.ingested kept too: th_match_keep_ingested, and its document's
     * index and stages beside it: th_erule.mdoc) */
    uint64_t need =
        sizeof(th_match) + 2 * sizeof(uint32_t) + sizeof(int64_t) + r->ncap * sizeof(uint32_t) +
        (*docidx < 0 && r->exec != TH_EXEC_THRESHOLD ? (ev->raw.n ? ev->raw.n : 1024) : 0);
    if (!th_budget_fits(e, need)) {
        r->rep.budget_dropped++;
        r->rep.state_capped = true;
        return;
    }
    /* filled where it is kept, not copied there (r->matches is not read
     * before the push below) */
    if (r->matches.len == r->matches.cap)
        matches_grow(r);
    th_match *m = &r->matches.items[r->matches.len];
    m->ts = ev->timestamp_ms;
    /* the combined time is ts, or the ingested time kept here */
    m->ing = r->use_ingested ? th_match_keep_ingested(e, r, ev->timestamp_ms, ev->ingested_ms) : 0;
    m->order = e->o.order_base + ev->index;
    m->fv = 0;
    capture(e, r, m, ev->doc, h, cap, fields, ck, ts_text);
    e->match_bytes += sizeof(th_match); /* capture charges its row and lists */
    /* sequences: which stages (rare: matches only) */
    if (r->nstages) {
        uint32_t stages = 0;
        for (size_t i = 0; i < r->nstages; i++)
            if (r->stages[i].fn(r->stages[i].pred, ev->doc))
                stages |= 1u << i;
        th_match_side_push(e, &r->mstages.items, &r->mstages.cap, &r->mstages.len, stages);
    }
    /* threshold alerts are synthetic: they never need the source document
     * (th_rule_keeps_doc); new_terms needs it only when the match can build
     * an alert */
    if (th_rule_keeps_doc(r)) {
        bool need_doc = r->exec != TH_EXEC_NEW_TERMS || th_nt_doc_needed(e, r, m) ||
                        e->trace; /* explain names a term's first sighting by its id */
        if (need_doc && *docidx < 0)
            *docidx = store_doc(e, ev);
        th_match_side_push(e, &r->mdoc.items, &r->mdoc.cap, &r->mdoc.len,
                           need_doc ? (uint32_t)*docidx : UINT32_MAX);
    }
    r->matches.len++;
    if (retain)
        th_retain_kept(r);
}

/* explain: is this the traced event? (only when a trace is set) */
static void trace_hit(th_engine_trace *t, const th_erule *r, const th_event *ev, uint8_t result)
{
    const th_jval *id = th_json_path_first(ev->doc, TH_STR_LIT("event.id"));
    if (t->matched || t->excepted || !t->id || !id || id->type != TH_JSTR ||
        !th_str_eqc(id->u.str, t->id))
        return;
    t->order = ev->index;
    if (result == 2) {
        t->excepted = true;
        return;
    }
    t->matched = true;
    for (size_t i = 0; i < r->nstages; i++)
        if (r->stages[i].fn(r->stages[i].pred, ev->doc))
            t->stages |= 1u << i;
}

void th_engine_commit(th_engine *e, const th_event *ev, const th_hits *h, size_t from, size_t to)
{
    e->events++;
    if (ev->ingested_ms != TH_TIME_NONE)
        e->with_ingested++;
    if (e->o.filters_only) { /* the verb reads the hits; nothing is kept */
        for (size_t i = from; i < to; i++) {
            th_erule *r = e->rules.items[h->items[i].rule];
            r->rep.evals++;
            r->rep.eval_ns += h->items[i].ns;
            r->rep.matches += h->items[i].result == 1;
        }
        return;
    }
    int64_t c = th_event_combined_ts(ev);
    if (c == TH_TIME_NONE)
        return;
    if (c < e->data_min)
        e->data_min = c;
    if (c > e->data_max)
        e->data_max = c;
    int64_t docidx = -1;
    /* the fields evaluation found, while h still holds them: when these hits
     * are those of the last event evaluated with h (one thread) */
    th_qfields *fields = from < to && h->fields_from == from && h->fields_to == to && ev->doc &&
                                 th_qfields_doc(h->fields) == ev->doc
                             ? h->fields
                             : NULL;
    /* the event's, once (not per match: b100k's pack makes 191,696 matches
     * of 100,000 events; with the note below 1,460.4 -> 1,458.8 M, without
     * the ES|QL rules, whose matches are few, 967.2 -> 967.3 M) */
    bool ts_text = ev->ts_formatted && th_ts_text_exact(ev->timestamp_ms);
    ts_current(e, ts_text);
    const th_qknown *k = fields ? fields->known : NULL;
    const cap_known ck = k ? (cap_known){k->at, k->nids, k->mask, k->val}
                           : (cap_known){NULL, 0, 0, NULL};
    uint64_t kept = e->match_bytes; /* grows by every match kept */
    for (size_t i = from; i < to; i++) {
        th_erule *r = e->rules.items[h->items[i].rule];
        r->rep.evals++;
        r->rep.eval_ns += h->items[i].ns;
        if (e->trace && h->items[i].result && h->items[i].rule == e->trace->rule)
            trace_hit(e->trace, r, ev, h->items[i].result);
        if (h->items[i].result == 2)
            r->rep.excepted++;
        else if (h->items[i].result == 1)
            commit_match(e, r, ev, &docidx, h, h->items[i].cap, fields, &ck, ts_text);
    }
    /* once per event, not per match kept: what the engine keeps only grows
     * in a commit (th_state_release is the temporal pass's; a state charge
     * notes its own), so its peak is where the commit leaves it */
    if (e->match_bytes != kept)
        th_budget_note(e);
}

void th_engine_feed(th_engine *e, const th_event *ev)
{
    if (e->scratch_ready && e->scratch.nrules != e->rules.len) {
        th_hits_free(&e->scratch); /* rules were added since */
        e->scratch_ready = false;
    }
    if (!e->scratch_ready) {
        th_hits_init(&e->scratch, e);
        e->scratch_ready = true;
    }
    th_hits_clear(&e->scratch);
    th_engine_eval(e, ev, &e->scratch);
    th_engine_commit(e, ev, &e->scratch, 0, e->scratch.len);
}
