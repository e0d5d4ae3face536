#include "base/file.h"

#include <stdio.h>

#include "base/buf.h"

char *th_file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    th_buf b;
    th_buf_init(&b);
    char tmp[65536];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
        th_buf_put(&b, tmp, k);
    fclose(f);
    th_buf_put(&b, "", 0); /* an empty file still gets a (NUL-terminated) buffer */
    *len = b.len;
    return b.data;
}
