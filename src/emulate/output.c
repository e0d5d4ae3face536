/* Writers for emulated CloudTrail: the S3 layout CloudTrail delivers to
 * (gzip'd {"Records":[...]} objects plus labels.ndjson), or NDJSON on a stream. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/timeutil.h"
#include "emulate/emulate.h"

struct th_emu_writer {
    char *dir;     /* NULL in stream mode */
    FILE *records; /* stream mode */
    FILE *labels;  /* labels.ndjson (dir mode) or the --labels file; may be NULL */
    bool own_labels;
    th_buf json, gz, path;
    char last_dir[4096];
    int failed;
    char why[256];
};

static int mkdir_p(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        int rc = mkdir(path, 0777);
        *p = '/';
        if (rc && errno != EEXIST)
            return -1;
    }
    if (mkdir(path, 0777) && errno != EEXIST)
        return -1;
    return 0;
}

th_emu_writer *th_emu_writer_dir(const char *dir, char *err, size_t errlen)
{
    th_emu_writer *w = th_xcalloc(1, sizeof *w);
    w->dir = th_xstrdup(dir);
    char *d = th_xstrdup(dir);
    if (mkdir_p(d)) {
        snprintf(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
        free(d);
        free(w->dir);
        free(w);
        return NULL;
    }
    free(d);
    th_buf_init(&w->path);
    th_buf_printf(&w->path, "%s/labels.ndjson", dir);
    w->labels = fopen(w->path.data, "wb");
    if (!w->labels) {
        snprintf(err, errlen, "%s: %s", w->path.data, strerror(errno));
        th_buf_free(&w->path);
        free(w->dir);
        free(w);
        return NULL;
    }
    w->own_labels = true;
    return w;
}

th_emu_writer *th_emu_writer_stream(FILE *records, FILE *labels)
{
    th_emu_writer *w = th_xcalloc(1, sizeof *w);
    w->records = records;
    w->labels = labels;
    return w;
}

static int write_labels(th_emu_writer *w, const th_emu_record *recs, size_t n)
{
    if (!w->labels)
        return 0;
    for (size_t i = 0; i < n; i++) {
        fwrite(recs[i].label, 1, recs[i].label_len, w->labels);
        putc('\n', w->labels);
    }
    return ferror(w->labels) ? -1 : 0;
}

static int gzip_into(th_buf *out, const th_buf *in)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: gzip wrapper, as CloudTrail's objects have. Level 1:
     * the objects are valid gzip either way and speed matters more here. */
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    out->len = 0;
    th_buf_reserve(out, deflateBound(&z, in->len) + 32);
    z.next_in = (Bytef *)in->data;
    z.avail_in = (uInt)in->len;
    z.next_out = (Bytef *)out->data;
    z.avail_out = (uInt)(out->cap - 1);
    int rc = deflate(&z, Z_FINISH);
    out->len = z.total_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

static int object_cb(void *ctx, const char *account, const char *region, int64_t delivery_ms,
                     const char *suffix, const th_emu_record *recs, size_t n)
{
    th_emu_writer *w = ctx;
    if (w->records) {
        for (size_t i = 0; i < n; i++) {
            fwrite(recs[i].json, 1, recs[i].json_len, w->records);
            putc('\n', w->records);
        }
        if (ferror(w->records) || write_labels(w, recs, n)) {
            snprintf(w->why, sizeof w->why, "write error: %s", strerror(errno));
            return w->failed = -1;
        }
        return 0;
    }
    char iso[32];
    th_time_format_iso(delivery_ms, iso); /* YYYY-MM-DDTHH:MM:SS.mmmZ */
    th_buf *p = &w->path;
    p->len = 0;
    th_buf_printf(p, "%s/AWSLogs/%s/CloudTrail/%s/%.4s/%.2s/%.2s", w->dir, account, region, iso,
                  iso + 5, iso + 8);
    if (strcmp(p->data, w->last_dir) != 0) {
        if (mkdir_p(p->data)) {
            snprintf(w->why, sizeof w->why, "%s: %s", p->data, strerror(errno));
            return w->failed = -1;
        }
        snprintf(w->last_dir, sizeof w->last_dir, "%s", p->data);
    }
    th_buf_printf(p, "/%s_CloudTrail_%s_%.4s%.2s%.2sT%.2s%.2sZ_%s.json.gz", account, region, iso,
                  iso + 5, iso + 8, iso + 11, iso + 14, suffix);
    th_buf *j = &w->json;
    j->len = 0;
    th_buf_puts(j, "{\"Records\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            th_buf_putc(j, ',');
        th_buf_put(j, recs[i].json, recs[i].json_len);
    }
    th_buf_puts(j, "]}");
    if (gzip_into(&w->gz, j)) {
        snprintf(w->why, sizeof w->why, "gzip failed");
        return w->failed = -1;
    }
    FILE *f = fopen(p->data, "wb");
    if (!f || fwrite(w->gz.data, 1, w->gz.len, f) != w->gz.len) {
        snprintf(w->why, sizeof w->why, "%s: %s", p->data, strerror(errno));
        if (f)
            fclose(f);
        return w->failed = -1;
    }
    if (fclose(f) || write_labels(w, recs, n)) {
        snprintf(w->why, sizeof w->why, "%s: %s", p->data, strerror(errno));
        return w->failed = -1;
    }
    return 0;
}

th_emu_sink th_emu_writer_sink(th_emu_writer *w)
{
    return (th_emu_sink){w, object_cb};
}

int th_emu_writer_close(th_emu_writer *w, char *err, size_t errlen)
{
    int rc = w->failed;
    if (w->records && fflush(w->records))
        rc = -1;
    if (w->labels && (w->own_labels ? fclose(w->labels) : fflush(w->labels)))
        rc = -1;
    if (rc)
        snprintf(err, errlen, "%s", w->why[0] ? w->why : "write error");
    th_buf_free(&w->json);
    th_buf_free(&w->gz);
    th_buf_free(&w->path);
    free(w->dir);
    free(w);
    return rc;
}
