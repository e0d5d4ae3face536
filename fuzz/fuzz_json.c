/* libFuzzer target for the JSON reader (json/reader.c) and writer: any input
 * either parses or is refused with an error offset inside it; what parses is
 * written out, and that text must parse again and write out byte-identical
 * (the writer's output is a fixed point of reader + writer); and the pruned
 * writer writes what the plain writer writes of a pruned copy.
 *
 *   make fuzz            (all targets; FUZZ_SECONDS each)
 *   build/fuzz/fuzz_json -max_len=4096 CORPUS_DIR */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference for th_json_write_pruned: a copy without null, "" and the
 * containers left with nothing, NULL when v itself goes. */
static th_jval *pruned_copy(th_arena *a, const th_jval *v)
{
    if (v->type == TH_JNULL || (v->type == TH_JSTR && v->u.str.n == 0))
        return NULL;
    if (v->type != TH_JOBJ && v->type != TH_JARR)
        return (th_jval *)v;
    th_jval *c = v->type == TH_JOBJ ? th_jnew_obj(a) : th_jnew_arr(a);
    for (uint32_t i = 0; i < v->len; i++) {
        th_jval *x = pruned_copy(a, v->type == TH_JOBJ ? v->u.members[i].val : v->u.items[i]);
        if (x && v->type == TH_JOBJ)
            th_jobj_push(a, c, v->u.members[i].key, x);
        else if (x)
            th_jarr_push(a, c, x);
    }
    return c->len ? c : NULL;
}

static void check_pruned(th_arena *a, const th_jval *v)
{
    th_buf got, want;
    th_buf_init(&got);
    th_buf_init(&want);
    th_json_write_pruned(&got, v);
    bool container = v->type == TH_JOBJ || v->type == TH_JARR;
    const th_jval *p = container ? pruned_copy(a, v) : v; /* a scalar root is written as it is */
    if (p)
        th_json_write(&want, p);
    else /* a root left with nothing */
        th_buf_puts(&want, v->type == TH_JOBJ ? "{}" : "[]");
    if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
        abort();
    th_buf_free(&got);
    th_buf_free(&want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    th_arena a;
    th_arena_init(&a, 0);
    char *copy = malloc(size ? size : 1); /* exact size: ASan sees any read past the end */
    if (size)
        memcpy(copy, data, size);
    th_json_error err;
    th_jval *v = th_json_parse(&a, copy, size, &err);
    if (v) {
        th_buf one, two;
        th_buf_init(&one);
        th_buf_init(&two);
        th_json_write(&one, v);
        th_jval *w = th_json_parse(&a, one.data ? one.data : "", one.len, &err);
        if (!w)
            abort(); /* the writer produced something the reader refuses */
        th_json_write(&two, w);
        if (one.len != two.len || memcmp(one.data, two.data, one.len) != 0)
            abort();
        th_buf_free(&one);
        th_buf_free(&two);
        check_pruned(&a, v);
    }
    free(copy);
    th_arena_free(&a);
    return 0;
}
