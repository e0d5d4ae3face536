/* libFuzzer target for the engine's parsers and passes: the first byte picks
 *   0: the EQL sequence header splitter (th_seq_split) on the rest as text;
 *   1: an exception item (JSON) loaded and matched against a fixed document;
 *   2: the rest as NDJSON events through query, new_terms, threshold and
 *      suppressed query rules (match-all predicate), then the temporal pass.
 * Any input must neither crash, hang nor leak.
 *
 * Build with clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc, linking
 * this file with every .c file of src/engine, src/event, src/ecs/schema*.c,
 * src/json, src/base, src/toml and src/rules/rule.c (-lm); run as
 * `fuzz_engine -max_total_time=60`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/exceptions.h"
#include "engine/sequence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ctx, const th_alert *a)
{
    th_buf b;
    th_buf_init(&b);
    th_json_write(&b, a->doc);
    *(size_t *)ctx += b.len;
    th_buf_free(&b);
}

static void events(const char *s, size_t n)
{
    static const char *nt_fields[] = {"user.name", "a"};
    static const char *th_fields[] = {"a"};
    th_rule q, nt, th, sq;
    memset(&q, 0, sizeof q);
    q.type = TH_RULE_QUERY;
    q.name = q.rule_id = "q";
    q.timestamp_override = "event.ingested";
    nt = q;
    nt.type = TH_RULE_NEW_TERMS;
    nt.new_terms_fields.items = nt_fields;
    nt.new_terms_fields.len = 2;
    nt.history_window_start = "now-1h";
    th = q;
    th.type = TH_RULE_THRESHOLD;
    th.threshold_fields.items = th_fields;
    th.threshold_fields.len = 1;
    th.threshold_value = 2;
    th.cardinality_field = "user.name";
    th.cardinality_value = 1;
    sq = q;
    sq.has_suppression = true;
    sq.suppression_group_by.items = th_fields;
    sq.suppression_group_by.len = 1;
    sq.suppression_duration_ms = 600000;
    th_engine_opts o;
    th_engine_opts_default(&o);
    o.max_signals = 3;
    o.max_state_bytes = 1 << 16;
    th_engine *e = th_engine_new(&o);
    th_engine_add_rule(e, &q, NULL, NULL, NULL, 0, NULL);
    th_engine_add_rule(e, &nt, NULL, NULL, NULL, 0, NULL);
    th_engine_add_rule(e, &th, NULL, NULL, NULL, 0, NULL);
    th_engine_add_rule(e, &sq, NULL, NULL, NULL, 0, NULL);
    th_arena a;
    th_arena_init(&a, 0);
    uint64_t idx = 0;
    const char *p = s, *end = s + n;
    while (p < end && idx < 64) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        th_json_error err;
        th_jval *doc = th_json_parse(&a, p, (size_t)(le - p), &err);
        if (doc) {
            th_event ev = {.doc = doc, .index = idx++, .file = "f", .offset = (uint64_t)(p - s)};
            th_event_read_times(&ev);
            th_engine_feed(e, &ev);
        }
        p = nl ? nl + 1 : end;
    }
    size_t bytes = 0;
    th_engine_finish(e, sink, &bytes);
    th_engine_free(e);
    th_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    th_arena a;
    th_arena_init(&a, 0);
    switch (data[0] % 3) {
    case 0: {
        char *text = th_arena_strndup(&a, s, n); /* queries are NUL-terminated strings */
        th_seq_text st;
        char err[160];
        if (th_seq_split(&a, text, &st, err, sizeof err) && st.nstages < 2)
            abort();
        break;
    }
    case 1: {
        th_json_error err;
        th_jval *v = th_json_parse(&a, s, n, &err);
        if (v) {
            th_exceptions x;
            th_exceptions_init(&x);
            th_diags d;
            th_diags_init(&d);
            th_exceptions_add_json(&x, v, "f", 1, &d);
            static const char doc[] = "{\"user\":{\"name\":\"svc\"},\"res\":[{\"type\":\"b\",\"arn\":"
                                      "\"a1\"}],\"n\":1,\"t\":true}";
            th_jval *dv = th_json_parse(&a, doc, sizeof doc - 1, &err);
            (void)th_exceptions_match(&x, dv);
            th_diags_free(&d);
            th_exceptions_free(&x);
        }
        break;
    }
    default:
        events(s, n);
        break;
    }
    th_arena_free(&a);
    return 0;
}
