/* libFuzzer target for the JSON reader (json/reader.c) and writer: any input
 * either parses or is refused with an error offset inside it; what parses is
 * written out, and that text must parse again and write out byte-identical
 * (the writer's output is a fixed point of reader + writer).
 *
 *   make fuzz            (all targets; FUZZ_SECONDS each)
 *   build/fuzz/fuzz_json -max_len=4096 CORPUS_DIR */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    }
    free(copy);
    th_arena_free(&a);
    return 0;
}
