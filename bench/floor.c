/* floor: the cost floor of "load a record, read one field" over raw CloudTrail
 * NDJSON, with the on-demand scanner (default) or the DOM reader (--dom).
 *
 *   make MODE=release build/release/bench/floor
 *   build/release/bench/floor [--dom|--lines] [--impl scalar|sse|avx2|avx512] [--repeat N] FILE
 *
 * --lines only splits the lines (the memory-bandwidth baseline of the loop).
 * Prints `floor: N records, B bytes, S seconds, X MB/s` (CPU time of the loop;
 * the file is read into memory first) and `impl: ...`. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json/jscan.h"
#include "json/json.h"

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int dom = 0, lines = 0, repeat = 1;
    const char *path = NULL, *impl = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dom") == 0)
            dom = 1;
        else if (strcmp(argv[i], "--lines") == 0)
            lines = 1;
        else if (strcmp(argv[i], "--impl") == 0 && i + 1 < argc)
            impl = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr,
                "usage: floor [--dom|--lines] [--impl scalar|sse|avx2|avx512] [--repeat N] FILE\n");
        return 2;
    }
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
        perror(path);
        return 1;
    }
    size_t len = (size_t)st.st_size;
    /* one big read, before the clock starts: the loop measures parsing, not I/O */
    char *buf = malloc(len);
    for (size_t got = 0; got < len;) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r <= 0) {
            perror("read");
            return 1;
        }
        got += (size_t)r;
    }
    /* touch every page once before the clock starts: in some VMs the first user
     * access to a page the kernel filled costs more than parsing it */
    volatile unsigned char sink = 0;
    for (size_t i = 0; i < len; i += 4096)
        sink = (unsigned char)(sink + (unsigned char)buf[i]);
    (void)sink;
    th_jscan *s = th_jscan_new();
    if (impl) {
        th_jscan_impl want = strcmp(impl, "scalar") == 0   ? TH_JSCAN_SCALAR
                             : strcmp(impl, "sse") == 0    ? TH_JSCAN_SSE
                             : strcmp(impl, "avx2") == 0   ? TH_JSCAN_AVX2
                             : strcmp(impl, "avx512") == 0 ? TH_JSCAN_AVX512
                                                           : TH_JSCAN_AUTO;
        if (!th_jscan_use(s, want)) {
            fprintf(stderr, "floor: %s is not available here\n", impl);
            return 1;
        }
    }
    th_arena a;
    th_arena_init(&a, 1 << 16);
    size_t records = 0, bytes = 0, bad = 0, names = 0;
    double t0 = cpu_seconds();
    for (int r = 0; r < repeat; r++) {
        const char *p = buf, *end = buf + len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (n) {
                records++;
                bytes += n;
                th_json_error err;
                if (lines) {
                    names += (unsigned char)p[n - 1]; /* touch the line, nothing more */
                } else if (dom) {
                    th_jval *v = th_json_parse(&a, p, n, &err);
                    th_str name = th_jstr(v ? th_jobj_get(v, "eventName") : NULL);
                    if (!v)
                        bad++;
                    names += name.n;
                    th_arena_reset(&a);
                } else if (th_jscan_load(s, p, n, &err)) {
                    th_jcur c;
                    th_str name;
                    if (th_jcur_get(th_jscan_root(s), "eventName", 9, &c) &&
                        th_jcur_str(c, &a, &name))
                        names += name.n;
                } else {
                    bad++;
                }
            }
            p += n + 1;
        }
    }
    double secs = cpu_seconds() - t0;
    printf("floor: %zu records, %zu bytes, %.3f seconds, %.0f MB/s\n", records, bytes, secs,
           secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
    printf("impl: %s\n", lines ? "lines (newline split only)"
                         : dom ? "dom"
                               : th_jscan_impl_name(th_jscan_impl_of(s)));
    if (bad)
        printf("rejected: %zu records\n", bad);
    fprintf(stderr, "(eventName bytes: %zu)\n", names);
    th_arena_free(&a);
    th_jscan_free(s);
    free(buf);
    close(fd);
    return bad ? 1 : 0;
}
