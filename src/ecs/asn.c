/* ip-location-db ASN ranges: CSV -> sorted range tables -> binary search.
 * See asn.h for the data and its licence. */
#include "ecs/asn.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/file.h"
#include "base/map.h"

typedef struct r4 {
    uint32_t lo, hi, asn, name;
} r4;

typedef struct r6 {
    uint64_t lo[2], hi[2]; /* [0] = the address's first 64 bits */
    uint32_t asn, name;
} r6;

struct th_asn {
    const r4 *v4;
    size_t n4;
    const r6 *v6;
    size_t n6;
    /* organisation i is name_bytes[name_off[i] .. name_off[i + 1]); 0 = none */
    const uint32_t *name_off;
    const char *name_bytes;
    size_t nnames;
    void *map; /* the compiled file, mmap'd (NULL when read from CSV) */
    size_t map_len;
    void *owned[4]; /* CSV: the malloc'd tables */
    char *desc;
};

/* While reading CSV: growable tables and the names seen so far. */
typedef struct build {
    r4 *v4;
    size_t n4;
    r6 *v6;
    size_t n6;
    th_str *names;
    size_t nnames, capnames;
    th_arena arena; /* name bytes until they are packed */
    th_map map;     /* name text -> index + 1 */
    th_str last;    /* consecutive rows often repeat a name */
    uint32_t last_idx;
} build;

static uint32_t intern(build *bd, th_str s)
{
    if (s.n == 0)
        return 0;
    if (bd->last.n == s.n && memcmp(bd->last.p, s.p, s.n) == 0)
        return bd->last_idx;
    void *v = th_map_get(&bd->map, s);
    uint32_t idx;
    if (v) {
        idx = (uint32_t)((uintptr_t)v - 1);
    } else {
        if (bd->nnames == bd->capnames) {
            bd->capnames *= 2;
            bd->names = th_xrealloc(bd->names, bd->capnames * sizeof *bd->names);
        }
        th_str copy = th_str_make(th_arena_strndup(&bd->arena, s.p, s.n), s.n);
        idx = (uint32_t)bd->nnames++;
        bd->names[idx] = copy;
        th_map_put(&bd->map, copy, (void *)(uintptr_t)(idx + 1));
    }
    bd->last = bd->names[idx];
    bd->last_idx = idx;
    return idx;
}

/* One CSV line's cursor: the fields are plain except the last, which may be
 * quoted ("Cloudflare, Inc.", "LLC ""SPUTNIK"""). */
typedef struct line {
    const char *p, *end;
} line;

static bool field(line *l, th_str *out)
{
    const char *s = l->p;
    while (l->p < l->end && *l->p != ',')
        l->p++;
    *out = th_str_make(s, (size_t)(l->p - s));
    if (l->p == l->end)
        return false;
    l->p++;
    return true;
}

static bool parse_u32(th_str s, uint32_t *out)
{
    if (s.n == 0 || s.n > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* The last field, unquoted into scratch when needed. */
static bool last_field(line *l, char *scratch, size_t cap, th_str *out)
{
    const char *p = l->p, *e = l->end;
    if (e > p && e[-1] == '\r')
        e--;
    if (p == e || *p != '"') {
        *out = th_str_make(p, (size_t)(e - p));
        return true;
    }
    size_t n = 0;
    for (p++; p < e; p++) {
        if (*p == '"') {
            if (p + 1 < e && p[1] == '"')
                p++;
            else
                break;
        }
        if (n == cap)
            return false;
        scratch[n++] = *p;
    }
    if (p >= e || p + 1 != e)
        return false; /* no closing quote, or text after it */
    *out = th_str_make(scratch, n);
    return true;
}

static bool parse_v6(th_str s, uint64_t out[2])
{
    char buf[64];
    unsigned char b[16];
    if (s.n == 0 || s.n >= sizeof buf)
        return false;
    memcpy(buf, s.p, s.n);
    buf[s.n] = 0;
    if (inet_pton(AF_INET6, buf, b) != 1)
        return false;
    out[0] = out[1] = 0;
    for (int i = 0; i < 8; i++) {
        out[0] = out[0] << 8 | b[i];
        out[1] = out[1] << 8 | b[8 + i];
    }
    return true;
}

static int cmp128(const uint64_t a[2], const uint64_t b[2])
{
    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

static int by_lo4(const void *a, const void *b)
{
    uint32_t x = ((const r4 *)a)->lo, y = ((const r4 *)b)->lo;
    return x < y ? -1 : x > y;
}

static int by_lo6(const void *a, const void *b)
{
    return cmp128(((const r6 *)a)->lo, ((const r6 *)b)->lo);
}

static size_t count_lines(const char *p, size_t n)
{
    size_t c = 0;
    for (const char *e = p + n; p < e && (p = memchr(p, '\n', (size_t)(e - p))); p++)
        c++;
    return c + 1;
}

/* Parses one file into t->v4 or t->v6. */
static bool load(build *t, const char *path, bool v6, th_diags *diags)
{
    size_t len = 0;
    char *text = th_file_read(path, &len);
    if (!text) {
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "cannot read ASN ranges");
        return false;
    }
    size_t cap = count_lines(text, len);
    if (v6)
        t->v6 = th_xcalloc(cap, sizeof *t->v6);
    else
        t->v4 = th_xcalloc(cap, sizeof *t->v4);
    char scratch[1024];
    unsigned lineno = 0;
    bool ok = true, sorted = true;
    for (const char *p = text, *end = text + len; p < end && ok;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        line l = {p, nl ? nl : end};
        p = nl ? nl + 1 : end;
        lineno++;
        if (l.p == l.end || (l.end - l.p == 1 && *l.p == '\r'))
            continue;
        th_str a, b, n, org;
        uint32_t asn = 0;
        ok = field(&l, &a) && field(&l, &b) && field(&l, &n) && parse_u32(n, &asn) &&
             last_field(&l, scratch, sizeof scratch, &org);
        if (ok && v6) {
            r6 *r = &t->v6[t->n6];
            ok = parse_v6(a, r->lo) && parse_v6(b, r->hi) && cmp128(r->lo, r->hi) <= 0;
            if (ok) {
                r->asn = asn;
                r->name = intern(t, org);
                sorted &= t->n6 == 0 || cmp128(t->v6[t->n6 - 1].lo, r->lo) < 0;
                t->n6++;
            }
        } else if (ok) {
            r4 *r = &t->v4[t->n4];
            ok = parse_u32(a, &r->lo) && parse_u32(b, &r->hi) && r->lo <= r->hi;
            if (ok) {
                r->asn = asn;
                r->name = intern(t, org);
                sorted &= t->n4 == 0 || t->v4[t->n4 - 1].lo < r->lo;
                t->n4++;
            }
        }
    }
    free(text);
    if (!ok) {
        th_diag_at(diags, TH_SEV_ERROR, path, lineno, 0,
                   "malformed ASN range (expected start,end,asn,organisation)");
        return false;
    }
    if (!sorted) {
        if (v6)
            qsort(t->v6, t->n6, sizeof *t->v6, by_lo6);
        else
            qsort(t->v4, t->n4, sizeof *t->v4, by_lo4);
    }
    /* overlaps: the later range wins, the earlier ends just before it */
    for (size_t i = 1; !v6 && i < t->n4; i++)
        if (t->v4[i - 1].hi >= t->v4[i].lo)
            t->v4[i - 1].hi = t->v4[i].lo - 1; /* lo > previous lo >= 0 */
    for (size_t i = 1; v6 && i < t->n6; i++) {
        r6 *prev = &t->v6[i - 1];
        const r6 *cur = &t->v6[i];
        if (cmp128(prev->hi, cur->lo) >= 0) {
            prev->hi[0] = cur->lo[0];
            prev->hi[1] = cur->lo[1];
            if (prev->hi[1]-- == 0)
                prev->hi[0]--;
        }
    }
    return true;
}

/* ---- the compiled form ----------------------------------------------------
 * A header, then the tables exactly as th_asn holds them, so that opening is
 * one mmap: r4[n4], r6[n6], uint32 name_off[nnames + 1], name bytes. Written
 * in this machine's byte order, which the header records. */
#define MAGIC "THASN01\n"

typedef struct header {
    char magic[8];
    uint32_t order; /* 0x01020304 as written */
    uint32_t zero;
    uint64_t n4, n6, nnames, nbytes;
    char pad[16];
} header;

static size_t body_size(const header *h)
{
    return (size_t)h->n4 * sizeof(r4) + (size_t)h->n6 * sizeof(r6) +
           ((size_t)h->nnames + 1) * sizeof(uint32_t) + (size_t)h->nbytes;
}

static bool is_compiled(const char *path)
{
    FILE *f = fopen(path, "rb");
    char m[8] = {0};
    bool ok = f && fread(m, 1, 8, f) == 8 && memcmp(m, MAGIC, 8) == 0;
    if (f)
        fclose(f);
    return ok;
}

static th_asn *open_compiled(const char *path, th_diags *diags)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(header)) {
        if (fd >= 0)
            close(fd);
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "cannot read the compiled ASN table");
        return NULL;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "cannot map the compiled ASN table");
        return NULL;
    }
    const header *h = map;
    const char *body = (const char *)map + sizeof *h;
    const uint32_t *off = NULL;
    bool ok = h->order == 0x01020304u && h->nnames > 0 && h->n4 < (1ull << 32) &&
              h->n6 < (1ull << 32) && h->nnames < (1ull << 32) && h->nbytes < (1ull << 32) &&
              body_size(h) == (size_t)st.st_size - sizeof *h;
    if (ok) {
        off = (const void *)(body + h->n4 * sizeof(r4) + h->n6 * sizeof(r6));
        ok = off[0] == 0 && off[h->nnames] == h->nbytes;
        for (size_t i = 0; ok && i < h->nnames; i++)
            ok = off[i] <= off[i + 1];
    }
    if (!ok) {
        munmap(map, (size_t)st.st_size);
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0,
                   "not a compiled ASN table of this build (rebuild it: make asn-table)");
        return NULL;
    }
    th_asn *t = th_xcalloc(1, sizeof *t);
    t->map = map;
    t->map_len = (size_t)st.st_size;
    t->v4 = (const void *)body;
    t->n4 = h->n4;
    t->v6 = (const void *)(body + h->n4 * sizeof(r4));
    t->n6 = h->n6;
    t->name_off = off;
    t->nnames = h->nnames;
    t->name_bytes = (const char *)(off + h->nnames + 1);
    return t;
}

bool th_asn_write(const th_asn *t, const char *path, th_diags *diags)
{
    header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, 8);
    h.order = 0x01020304u;
    h.n4 = t->n4;
    h.n6 = t->n6;
    h.nnames = t->nnames;
    h.nbytes = t->name_off[t->nnames];
    size_t n = strlen(path) + 8;
    char *tmp = th_xcalloc(1, n);
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(&h, sizeof h, 1, f) == 1 &&
              fwrite(t->v4, sizeof(r4), t->n4, f) == t->n4 &&
              fwrite(t->v6, sizeof(r6), t->n6, f) == t->n6 &&
              fwrite(t->name_off, sizeof(uint32_t), t->nnames + 1, f) == t->nnames + 1 &&
              fwrite(t->name_bytes, 1, h.nbytes, f) == h.nbytes;
    if (f && fclose(f) != 0)
        ok = false;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        remove(tmp);
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "cannot write the compiled ASN table");
    }
    free(tmp);
    return ok;
}

/* ---- opening -------------------------------------------------------------- */

static bool readable_file(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, R_OK) == 0;
}

static bool csv_dir(const char *dir)
{
    return readable_file(dir, TH_ASN_V4_FILE) && readable_file(dir, TH_ASN_V6_FILE);
}

bool th_asn_probe(const char *path)
{
    return path && (csv_dir(path) || is_compiled(path));
}

/* The names, packed into one buffer with offsets (the compiled layout). */
static void pack_names(th_asn *t, build *bd)
{
    uint32_t *off = th_xcalloc(bd->nnames + 1, sizeof *off);
    size_t total = 0;
    for (size_t i = 0; i < bd->nnames; i++)
        total += bd->names[i].n;
    char *bytes = th_xcalloc(1, total + 1);
    size_t at = 0;
    for (size_t i = 0; i < bd->nnames; i++) {
        off[i] = (uint32_t)at;
        memcpy(bytes + at, bd->names[i].p, bd->names[i].n);
        at += bd->names[i].n;
    }
    off[bd->nnames] = (uint32_t)at;
    t->name_off = off;
    t->name_bytes = bytes;
    t->nnames = bd->nnames;
    t->owned[2] = off;
    t->owned[3] = bytes;
}

static th_asn *open_csv(const char *dir, th_diags *diags)
{
    build bd;
    memset(&bd, 0, sizeof bd);
    th_arena_init(&bd.arena, 1 << 16);
    th_map_init(&bd.map);
    bd.capnames = 1024;
    bd.names = th_xcalloc(bd.capnames, sizeof *bd.names);
    bd.names[bd.nnames++] = TH_STR_LIT(""); /* index 0: no organisation */
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, TH_ASN_V4_FILE);
    bool ok = load(&bd, p, false, diags);
    snprintf(p, sizeof p, "%s/%s", dir, TH_ASN_V6_FILE);
    ok = ok && load(&bd, p, true, diags);
    th_asn *t = NULL;
    if (ok) {
        t = th_xcalloc(1, sizeof *t);
        t->v4 = t->owned[0] = bd.v4;
        t->n4 = bd.n4;
        t->v6 = t->owned[1] = bd.v6;
        t->n6 = bd.n6;
        pack_names(t, &bd);
    } else {
        free(bd.v4);
        free(bd.v6);
    }
    th_map_free(&bd.map);
    th_arena_free(&bd.arena);
    free(bd.names);
    return t;
}

th_asn *th_asn_open(const char *path, th_diags *diags)
{
    bool csv = csv_dir(path);
    th_asn *t = csv ? open_csv(path, diags) : open_compiled(path, diags);
    if (!t)
        return NULL;
    size_t n = strlen(path) + 96;
    t->desc = th_xcalloc(1, n);
    snprintf(t->desc, n, "%s (ip-location-db %s, %zu IPv4 + %zu IPv6 ranges)", path,
             csv ? "CSV" : "compiled", t->n4, t->n6);
    return t;
}

void th_asn_close(th_asn *t)
{
    if (!t)
        return;
    if (t->map)
        munmap(t->map, t->map_len);
    for (size_t i = 0; i < 4; i++)
        free(t->owned[i]);
    free(t->desc);
    free(t);
}

const char *th_asn_desc(const th_asn *t)
{
    return t->desc;
}
size_t th_asn_count(const th_asn *t, bool v6)
{
    return v6 ? t->n6 : t->n4;
}

static const r4 *find4(const th_asn *t, uint32_t ip)
{
    size_t lo = 0, hi = t->n4; /* first range with lo > ip */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v4[mid].lo <= ip)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && ip <= t->v4[lo - 1].hi ? &t->v4[lo - 1] : NULL;
}

static const r6 *find6(const th_asn *t, const uint64_t ip[2])
{
    size_t lo = 0, hi = t->n6;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp128(t->v6[mid].lo, ip) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && cmp128(ip, t->v6[lo - 1].hi) <= 0 ? &t->v6[lo - 1] : NULL;
}

bool th_asn_lookup(const th_asn *t, const char *ip, uint32_t *asn, th_str *org)
{
    unsigned char b[16];
    uint32_t name;
    if (inet_pton(AF_INET, ip, b) == 1) {
        const r4 *r =
            find4(t, (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
        if (!r)
            return false;
        *asn = r->asn;
        name = r->name;
    } else if (inet_pton(AF_INET6, ip, b) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        const r4 *r4p = NULL;
        const r6 *r6p = NULL;
        if (memcmp(b, mapped, 12) == 0) { /* ::ffff:a.b.c.d is the IPv4 address */
            r4p = find4(t, (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 |
                               b[15]);
        } else {
            uint64_t v[2] = {0, 0};
            for (int i = 0; i < 8; i++) {
                v[0] = v[0] << 8 | b[i];
                v[1] = v[1] << 8 | b[8 + i];
            }
            r6p = find6(t, v);
        }
        if (!r4p && !r6p)
            return false;
        *asn = r4p ? r4p->asn : r6p->asn;
        name = r4p ? r4p->name : r6p->name;
    } else {
        return false;
    }
    if (name >= t->nnames)
        return false; /* a damaged compiled file */
    *org =
        th_str_make(t->name_bytes + t->name_off[name], t->name_off[name + 1] - t->name_off[name]);
    return true;
}
