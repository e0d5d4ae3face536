/* libFuzzer target for exception lists (engine/exceptions.h): a Kibana NDJSON
 * export or a detection-rules TOML file, chosen by content as `run
 * --exceptions` chooses. Any input must load (some items, or none with
 * diagnostics), never crash, hang or leak; every loaded item is then matched
 * against a few documents, multi-valued and nested ones included.
 *
 * The loader reads a path, so the input is handed over as a memory file
 * (memfd_create, read through /proc/self/fd). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/exceptions.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const docs[] = {
    "{\"user\":{\"name\":\"svc\"},\"source\":{\"ip\":\"1.2.3.4\"},\"cloud\":{\"account\":{\"id\":\"111\"}}}",
    "{\"user\":{\"name\":[\"ci-bot\",\"root\"]},\"user_agent\":{\"original\":\"Terraform/1.9\"}}",
    "{\"res\":[{\"type\":\"bucket\",\"arn\":\"a1\"},{\"type\":\"key\",\"arn\":\"a2\"}],\"x\":null}",
    "{}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-exceptions", 0);
    if (fd < 0)
        return 0;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            close(fd);
            return 0;
        }
        off += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    th_exceptions x;
    th_exceptions_init(&x);
    th_diags d;
    th_diags_init(&d);
    size_t n = th_exceptions_load(&x, path, &d);
    if (n != x.len)
        abort(); /* the count returned is the items kept */
    th_arena a;
    th_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        th_json_error err;
        th_jval *doc = th_json_parse(&a, docs[i], strlen(docs[i]), &err);
        if (doc)
            (void)th_exceptions_match(&x, doc);
    }
    th_arena_free(&a);
    th_diags_free(&d);
    th_exceptions_free(&x);
    close(fd);
    return 0;
}
