/* libFuzzer target for the raw projection (ecs/rawproj.h), which the pipeline's
 * routing and gates read instead of the mapped document. Any text the scanner
 * loads must project without reading past the input (it is copied into an
 * exact-size heap block for ASan). When th_json_parse accepts it as an object
 * too, the full mapping of it must keep the promises the gates rely on:
 * every value it gives a projected field is among the projected values (the
 * routing-only projection's too), a projected subtree equals the mapped one,
 * and th_ecs_times gives the mapped document's times. The slot document's
 * nodes alone are its nodes (slot_nodes); the identity's number stands for
 * the same values wherever it is met again (ident_check). A broken promise
 * aborts.
 *
 *   make fuzz            (all targets; FUZZ_SECONDS each)
 *   build/fuzz/fuzz_rawproj -max_len=4096 corpus_dir/ */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/diag.h"
#include "ecs/mapper.h"
#include "ecs/rawproj.h"
#include "event/event.h"
#include "json/jscan.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct texts {
    th_str v[64];
    size_t n;
    bool full; /* more than v holds: not checked */
} texts;

static bool collect(const th_jval *v, void *ctx)
{
    texts *t = ctx;
    th_str s;
    if (t->n == 64)
        t->full = true;
    else if (th_jscalar_text(v, &s))
        t->v[t->n++] = s;
    return true;
}

/* Every value `full` has at `field` is among those `proj` has. */
static void superset(const th_jval *full, const th_jval *proj, const char *field)
{
    texts want = {0}, have = {0};
    th_json_path_each(full, th_str_c(field), collect, &want);
    th_json_path_each(proj, th_str_c(field), collect, &have);
    if (want.full || have.full)
        return;
    for (size_t k = 0; k < want.n; k++) {
        bool found = false;
        for (size_t j = 0; j < have.n && !found; j++)
            found = th_str_eq(want.v[k], have.v[j]);
        if (!found)
            abort(); /* a mapped value the gates would not see */
    }
}

/* The identity's number (rawproj.h th_ecs_slots_ident) stands for its
 * slots' values: the last numbers met, each with the text of the slots it
 * stood for, must meet the same text again (a number is never given to
 * two userIdentity texts). */
typedef struct ident_ring {
    uint64_t num[16];
    char *text[16];
    size_t next;
} ident_ring;

static void ident_check(const th_ecs_slots *sl)
{
    static ident_ring r;
    uint64_t slots = 0;
    const uint64_t num = th_ecs_slots_ident(sl, ~0ull, &slots);
    if (!num)
        return;
    th_buf b;
    th_buf_init(&b);
    for (uint64_t u = slots; u; u &= u - 1) {
        const th_qslot *q = &sl->slot[__builtin_ctzll(u)];
        th_buf_putc(&b, (char)('A' + __builtin_ctzll(u)));
        for (uint32_t k = 0; k < q->n; k++) {
            th_buf_putc(&b, (char)('0' + q->vals[k].type));
            th_json_write(&b, &q->vals[k]);
        }
    }
    th_buf_putc(&b, '\0');
    for (size_t k = 0; k < 16; k++)
        if (r.num[k] == num && strcmp(r.text[k], b.data) != 0)
            abort(); /* one number, two identities */
    free(r.text[r.next]);
    r.num[r.next] = num;
    r.text[r.next] = strdup(b.data);
    r.next = (r.next + 1) % 16;
    th_buf_free(&b);
}

/* The slot document of every field (rawproj.h th_ecs_slots_doc) and its
 * nodes alone (th_ecs_slots_nodes) from the same slots: the nodes are made
 * exactly where the document is and holds no field of several nodes, each
 * the same value as the document's node, borrowed and `lasting` alike. */
static void slot_nodes(const th_mapper *m, th_arena *a, const th_jscan *raw, th_ecs_slots *sl)
{
    int64_t ts, ing;
    bool timed;
    if (!th_ecs_slots_start(m, a, raw, 0, sl, &ts, &ing, &timed) || !timed)
        return;
    uint64_t all = 0;
    for (size_t i = 0; th_ecs_docfield_name(i); i++)
        all |= 1ull << i;
    th_ecs_proj_need need = th_ecs_docfields_need(all);
    if (!th_ecs_slots_fill(sl, need.extras, need.fields))
        return;
    ident_check(sl);
    const th_jval *written[64] = {0};
    th_jval *doc = th_ecs_slots_doc(sl, all, ts, true, written);
    bool several = sl->walked != 0;
    for (int lasting = 0; lasting < 2; lasting++) { /* the slots' own values, then copies */
        const th_jval *bare[64] = {0};
        bool made = th_ecs_slots_nodes(sl, all, ts, false, lasting, bare);
        if (made != (doc && !several))
            abort(); /* nodes alone where the document is not, or the reverse */
        for (size_t i = 0; made && i < 64; i++)
            if (!written[i] != !bare[i] || (bare[i] && !th_json_equal(written[i], bare[i])))
                abort(); /* a node alone differs from the document's */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static th_mapper *m;
    static th_jscan *s;
    static th_diags d;
    static th_ecs_slots sl; /* reused, as a worker's (zeroed: as th_ecs_slots_init) */
    if (!m) {
        th_mapper_opts o;
        th_mapper_opts_default(&o);
        th_diags_init(&d);
        m = th_mapper_new(&o, &d);
        s = th_jscan_new();
    }
    char *p = malloc(size ? size : 1);
    if (size)
        memcpy(p, data, size);
    th_arena a;
    th_arena_init(&a, 0);
    if (th_jscan_load(s, p, size, NULL)) {
        th_jval *proj = th_ecs_project(m, &a, s);
        th_jval *route = th_ecs_project_with(m, &a, s, TH_PROJ_ROUTING);
        int64_t ts = 0, ing = 0;
        bool times = th_ecs_times(m, &a, s, &ts, &ing);
        th_json_error err;
        slot_nodes(m, &a, s, &sl);
        th_jval *dom = th_json_parse(&a, p, size, &err);
        if (dom && th_jis(dom, TH_JOBJ)) {
            th_jval *full = th_ecs_map(m, &a, dom, th_str_make(p, size));
            if (proj) {
                for (size_t i = 0; th_ecs_raw_field_at(i); i++)
                    superset(full, proj, th_ecs_raw_field_at(i));
                for (size_t i = 0; th_ecs_raw_tree_at(i); i++) {
                    th_str f = th_str_c(th_ecs_raw_tree_at(i));
                    const th_jval *want = th_json_path_first(full, f);
                    const th_jval *have = th_json_path_first(proj, f);
                    if (want && (!have || !th_json_equal(want, have)))
                        abort(); /* the subtree differs from the mapped one */
                }
            }
            if (proj && route) {
                superset(full, route, "event.provider");
                superset(full, route, "event.action");
            }
            if (times) {
                th_event ev = {.doc = full};
                th_event_read_times(&ev);
                if (ev.timestamp_ms != ts || ev.ingested_ms != ing)
                    abort(); /* raw times differ from the mapped ones */
            }
        }
    }
    th_arena_free(&a);
    free(p);
    return 0;
}
