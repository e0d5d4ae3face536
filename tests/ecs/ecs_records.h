/* The raw CloudTrail records the ECS differential tests (test_demand,
 * test_slotdoc, test_ua_filter) check: those of input paths (the corpus, read by io as `run`
 * reads them) and one emulated day of every scenario (the attacks hold the
 * rare actions and parameters the rules look for), each handed to a callback
 * as a th_record with its text and DOM. Header-only, for tests/ecs. */
#ifndef TH_TESTS_ECS_RECORDS_H
#define TH_TESTS_ECS_RECORDS_H

#include "th_test.h"

#include "base/arena.h"
#include "base/buf.h"
#include "ecs/mapper.h"
#include "emulate/emulate.h"
#include "io/input.h"
#include "json/json.h"

typedef void (*ecs_record_fn)(void *ctx, const th_record *rec);

/* Every raw CloudTrail record io reads from paths[0..n). */
static inline void ecs_each_input(const char *const *paths, size_t n, ecs_record_fn fn, void *ctx)
{
    th_diags d;
    th_diags_init(&d);
    th_input_opts io;
    th_input_opts_default(&io, &d);
    th_input *in = th_input_open(paths, n, &io);
    th_record rec;
    while (in && th_input_next(in, &rec))
        if (rec.kind == TH_REC_CLOUDTRAIL)
            fn(ctx, &rec);
    th_input_close(in);
    th_diags_free(&d);
}

/* Every raw CloudTrail record of the corpus's folders the differential
 * tests read: the real samples, the pipeline fixtures and the oracle cases. */
static inline void ecs_each_corpus(const char *corpus, ecs_record_fn fn, void *ctx)
{
    static const char *const dirs[] = {"cloudtrail-real", "integration-pipeline", "oracle"};
    char buf[3][4096];
    const char *paths[3];
    for (size_t i = 0; i < 3; i++) {
        snprintf(buf[i], sizeof buf[i], "%s/%s", corpus, dirs[i]);
        paths[i] = buf[i];
    }
    ecs_each_input(paths, 3, fn, ctx);
}

typedef struct ecs_emu_ctx {
    ecs_record_fn fn;
    void *ctx;
} ecs_emu_ctx;

static inline int ecs_emu_object(void *ctx, const char *account, const char *region,
                                 int64_t delivery_ms, const char *suffix, const th_emu_record *recs,
                                 size_t n)
{
    (void)account, (void)region, (void)delivery_ms, (void)suffix;
    ecs_emu_ctx *e = ctx;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    for (size_t i = 0; i < n; i++) {
        th_json_error err;
        th_jval *raw = th_json_parse(&a, recs[i].json, recs[i].json_len, &err);
        assert_non_null(raw); /* the emulator writes valid JSON */
        th_record rec = {.json = raw,
                         .text = th_str_make(recs[i].json, recs[i].json_len),
                         .kind = TH_REC_CLOUDTRAIL,
                         .file = "emulated",
                         .offset = i};
        e->fn(e->ctx, &rec);
    }
    th_arena_free(&a);
    return 0;
}

/* Every record of one emulated day (2026-10-01, seed 11) of every scenario. */
static inline void ecs_each_emulated(ecs_record_fn fn, void *ctx)
{
    const th_emu_scenario_info *sc;
    size_t n = th_emu_scenarios(&sc);
    const char **names = calloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = sc[i].name;
    th_emu_options o = {.seed = 11, .start_ms = 1790812800000LL /* 2026-10-01 */, .days = 1,
                        .rate = 300};
    ecs_emu_ctx e = {fn, ctx};
    th_emu_sink sink = {&e, ecs_emu_object};
    th_emu_stats st;
    char err[256];
    assert_int_equal(th_emu_run(&o, names, n, &sink, &st, err, sizeof err), 0);
    free(names);
}

typedef struct ecs_vals {
    th_buf b;
    bool typed;
} ecs_vals;

static inline bool ecs_collect(const th_jval *v, void *ctx)
{
    ecs_vals *x = ctx;
    if (x->typed) /* the type, not only the text */
        th_buf_printf(&x->b, "%d:", (int)v->type);
    th_json_write(&x->b, v);
    th_buf_putc(&x->b, '\n');
    return true;
}

/* The JSON text of every value th_json_path_each visits at field, one per
 * line (typed: each with its type first), into out. */
static inline void ecs_values(const th_jval *doc, const char *field, bool typed, th_buf *out)
{
    ecs_vals x = {.typed = typed};
    th_buf_init(&x.b);
    th_json_path_each(doc, th_str_c(field), ecs_collect, &x);
    th_buf_clear(out);
    th_buf_put(out, x.b.data ? x.b.data : "", x.b.len);
    th_buf_free(&x.b);
}

/* The mapper of the differential tests: the corpus's MaxMind test databases
 * (City and ASN), uap-core's user agents and the entity script, so that every
 * optional block has something to do. */
static inline th_mapper *ecs_test_mapper(const char *corpus, th_diags *d)
{
    th_mapper_opts o;
    th_mapper_opts_default(&o);
    o.actor_target_mapping = true; /* exercise the entity script too */
    static char city[4096], asn[4096], ua[4096];
    snprintf(city, sizeof city, "%s/geoip-test/GeoLite2-City-Test.mmdb", corpus);
    snprintf(asn, sizeof asn, "%s/geoip-test/GeoLite2-ASN-Test.mmdb", corpus);
    o.geoip_city_db = city;
    o.geoip_asn_db = asn;
    o.ua_regexes = th_mapper_default_ua_path(ua, sizeof ua);
    return th_mapper_new(&o, d);
}

#endif
