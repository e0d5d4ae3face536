#include "base/file.h"

#include <stdlib.h>

#include "base/buf.h"

/* All of f, NUL-terminated; *failed tells whether a read error ended it. */
static char *slurp(FILE *f, size_t *len, bool *failed)
{
    th_buf b;
    th_buf_init(&b);
    char tmp[65536];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
        th_buf_put(&b, tmp, k);
    *failed = ferror(f) != 0;
    th_buf_put(&b, "", 0); /* an empty file still gets a (NUL-terminated) buffer */
    *len = b.len;
    return b.data;
}

char *th_file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    bool failed;
    char *s = slurp(f, len, &failed);
    fclose(f);
    return s;
}

char *th_file_read_stream(FILE *f, size_t *len)
{
    bool failed;
    char *s = slurp(f, len, &failed);
    if (failed) {
        free(s);
        return NULL;
    }
    return s;
}
