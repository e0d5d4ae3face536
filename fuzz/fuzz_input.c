/* libFuzzer target for io/: the bytes become one file (through a memfd, so
 * the whole path — gzip detection, window, splitting, scanning, parsing — is
 * exercised); every record must lie inside the content and be an event.
 *
 *   make fuzz            (all targets; FUZZ_SECONDS each)
 *   build/fuzz/fuzz_input -max_len=65536 corpus_dir/ */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "io/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_input", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    th_diags d;
    th_diags_init(&d);
    th_input_opts o;
    th_input_opts_default(&o, &d);
    o.max_inflated = 1u << 22;
    const char *paths[] = {path};
    th_input *in = th_input_open(paths, 1, &o);
    th_record r;
    while (th_input_next(in, &r)) {
        if (!r.json || r.text.n == 0 || (r.text.p[0] != '{'))
            abort();
    }
    const th_input_stats *st = th_input_stats_get(in);
    if (st->files + st->files_skipped != 1)
        abort();
    th_input_close(in);
    th_diags_free(&d);
    close(fd);
    return 0;
}
