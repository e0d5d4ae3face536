/* libFuzzer target for json/jscan: every stage-1 implementation the CPU has must
 * give the same index and verdict; nothing may read past the input (it is copied
 * into an exact-size heap block for ASan); when th_json_parse accepts, the
 * scanner must accept and th_jcur_to_jval must rebuild the same tree; when the
 * scanner accepts, to_jval must fail exactly where th_json_parse does; on
 * printable ASCII without a backslash the scanner's verdict, offset and reason
 * must be th_json_parse's; the
 * root's members found by a key set of some of its own raw keys must be
 * those a walk comparing raw bytes finds; every implementation's text flags
 * (a backslash, an '@', a byte < 0x20 or >= 0x80) must be the bytes'.
 *
 *   make fuzz            (all targets; FUZZ_SECONDS each)
 *   build/fuzz/fuzz_jscan -max_len=4096 corpus_dir/ */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "json/jscan.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static th_jscan *scanners[4];
static int nscanners;

static void open_all(void)
{
    th_jscan_impl all[] = {TH_JSCAN_SCALAR, TH_JSCAN_SSE, TH_JSCAN_AVX2, TH_JSCAN_AVX512};
    for (int i = 0; i < 4; i++) {
        if (!th_jscan_supported(all[i]))
            continue;
        scanners[nscanners] = th_jscan_new();
        th_jscan_use(scanners[nscanners], all[i]);
        nscanners++;
    }
}

/* th_jcur_members_find with raw keys of the root (those of every other
 * member, each also less its last byte; up to TH_JKEYS_MAX distinct ones)
 * must find what a walk comparing raw bytes finds, the last duplicate
 * winning. The members left out are the near misses: a key that hashes with
 * one of the set's cannot be in the set too (no perfect hash). */
static void members_check(th_jcur root)
{
    if (th_jcur_type(root) != TH_JOBJ)
        return;
    const char *name[TH_JKEYS_MAX];
    size_t len[TH_JKEYS_MAX];
    int id[TH_JKEYS_MAX], n = 0;
    th_jiter it = th_jcur_iter(root);
    th_jcur key, val;
    for (int m = 0; n < TH_JKEYS_MAX && th_jiter_next(&it, &key, &val); m++) {
        if (m % 2)
            continue;
        th_str k = th_jcur_raw(key);
        for (int cut = 0; cut < 2 && n < TH_JKEYS_MAX && k.n - 2 >= (size_t)cut; cut++) {
            const char *kp = k.p + 1;
            size_t kn = k.n - 2 - (size_t)cut;
            bool dup = false;
            for (int i = 0; i < n && !dup; i++)
                dup = len[i] == kn && memcmp(name[i], kp, kn) == 0;
            if (dup)
                continue;
            name[n] = kp;
            len[n] = kn;
            id[n] = n;
            n++;
        }
    }
    th_jkeys ks;
    if (!th_jkeys_build(&ks, (size_t)n, name, len, id))
        return; /* no perfect hash for these keys: nothing to check */
    th_jcur found[TH_JKEYS_MAX], want[TH_JKEYS_MAX];
    bool have[TH_JKEYS_MAX] = {0}, want_have[TH_JKEYS_MAX] = {0};
    th_jcur_members_find(root, &ks, found, have);
    it = th_jcur_iter(root);
    while (th_jiter_next(&it, &key, &val)) {
        th_str k = th_jcur_raw(key);
        for (int i = 0; i < n; i++)
            if (k.n - 2 == len[i] && memcmp(k.p + 1, name[i], len[i]) == 0) {
                want[i] = val;
                want_have[i] = true;
            }
    }
    for (int i = 0; i < n; i++)
        if (have[i] != want_have[i] || (have[i] && found[i].i != want[i].i))
            abort(); /* the key set finds another member than the walk */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!nscanners)
        open_all();
    char *p = malloc(size ? size : 1);
    if (size)
        memcpy(p, data, size);
    th_arena a;
    th_arena_init(&a, 0);
    th_json_error derr, serr[4];
    th_jval *dom = th_json_parse(&a, p, size, &derr);
    bool ok[4];
    /* the text's flags as the bytes give them */
    bool has_bs = size && memchr(p, '\\', size), has_at = size && memchr(p, '@', size),
         ctl_high = false;
    for (size_t j = 0; j < size; j++)
        ctl_high |= (unsigned char)p[j] < 0x20 || (unsigned char)p[j] >= 0x80;
    for (int i = 0; i < nscanners; i++) {
        ok[i] = th_jscan_load(scanners[i], p, size, &serr[i]);
        if (th_jscan_has_backslash(scanners[i]) != has_bs ||
            th_jscan_has_at(scanners[i]) != has_at || th_jscan_has_ctl_high(scanners[i]) != ctl_high)
            abort(); /* stage 1's flags differ from the bytes */
        size_t c0, ci;
        const uint32_t *x0 = th_jscan_index(scanners[0], &c0);
        const uint32_t *xi = th_jscan_index(scanners[i], &ci);
        if (c0 != ci || memcmp(x0, xi, c0 * sizeof *x0) != 0)
            abort(); /* indexes differ */
        if (ok[i] != ok[0] ||
            (!ok[0] && (serr[i].offset != serr[0].offset || serr[i].reason != serr[0].reason)))
            abort(); /* verdicts differ */
    }
    if (dom && !ok[0])
        abort(); /* valid JSON rejected */
    /* printable ASCII without a backslash: every string is well-formed, so
     * the verdict, offset and reason are th_json_parse's (stage 2 reads the
     * separators stage 1 does not index, and has fast paths for common
     * members) */
    bool plain = true;
    for (size_t j = 0; j < size && plain; j++)
        plain = (unsigned char)p[j] >= 0x20 && (unsigned char)p[j] < 0x80 && p[j] != '\\';
    if (plain && (ok[0] != !!dom || (!ok[0] && (serr[0].offset != derr.offset ||
                                                strcmp(serr[0].reason, derr.reason) != 0))))
        abort(); /* another verdict or error than th_json_parse's */
    if (ok[0]) {
        th_json_error terr;
        th_jval *tv = th_jcur_to_jval(th_jscan_root(scanners[0]), &a, &terr);
        if (!dom != !tv)
            abort();
        if (dom) {
            th_buf b1, b2;
            th_buf_init(&b1);
            th_buf_init(&b2);
            th_json_write(&b1, dom);
            th_json_write(&b2, tv);
            if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0)
                abort(); /* trees differ */
            th_buf_free(&b1);
            th_buf_free(&b2);
        } else if (terr.offset != derr.offset || strcmp(terr.reason, derr.reason) != 0) {
            abort(); /* to_jval reports another error than th_json_parse */
        }
        /* walk every cursor: lookups by every key must find the last duplicate;
         * without a backslash, th_jplain_str reads keys and values as
         * th_jcur_str */
        const th_jscan_plain pv = th_jscan_plain_of(scanners[0]);
        th_jiter it = th_jcur_iter(th_jscan_root(scanners[0]));
        th_jcur key, val, got;
        while (th_jiter_next(&it, &key, &val)) {
            th_str k;
            if (th_jcur_type(th_jscan_root(scanners[0])) != TH_JOBJ)
                break;
            for (int c = 0; pv.p && c < 2; c++) {
                th_str d, e = TH_STR_NULL;
                const bool dok = th_jcur_str(c ? val : key, &a, &d);
                if (th_jplain_str(pv, c ? val : key, &e) != dok ||
                    (dok && (d.p != e.p || d.n != e.n)))
                    abort(); /* a plain string read otherwise */
            }
            if (th_jcur_str(key, &a, &k) &&
                !th_jcur_get(th_jscan_root(scanners[0]), k.p, k.n, &got))
                abort(); /* a decodable key is not found */
            (void)th_jcur_raw(val);
        }
        members_check(th_jscan_root(scanners[0]));
    }
    /* the input as the bytes after an NDJSON line's start: every
     * implementation's th_jscan_load_line ends the line at the first '\n',
     * less the whitespace before it, and loads it as th_jscan_load does */
    const char *q = size ? memchr(p, '\n', size) : NULL;
    size_t m = q ? (size_t)(q - p) : 0;
    while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t' || p[m - 1] == '\r'))
        m--;
    bool want = q && th_jscan_load(scanners[0], p, m, NULL);
    size_t cw, cg;
    const uint32_t *xw = th_jscan_index(scanners[0], &cw);
    uint32_t *w = malloc((cw ? cw : 1) * sizeof *w);
    memcpy(w, xw, cw * sizeof *w);
    unsigned wf = (unsigned)th_jscan_has_backslash(scanners[0]) |
                  (unsigned)th_jscan_has_at(scanners[0]) << 1 |
                  (unsigned)th_jscan_has_ctl_high(scanners[0]) << 2;
    for (int i = 0; i < nscanners; i++) {
        size_t n = 0, nl = 0;
        bool got = th_jscan_load_line(scanners[i], p, size, &n, &nl);
        if (nl == SIZE_MAX && size > 16384)
            continue; /* past the reach the caller finds the end (-max_len is 4096) */
        if (!q) {
            if (nl != SIZE_MAX || got)
                abort(); /* a line end where there is no '\n' */
            continue;
        }
        const uint32_t *xg = th_jscan_index(scanners[i], &cg);
        unsigned gf = (unsigned)th_jscan_has_backslash(scanners[i]) |
                      (unsigned)th_jscan_has_at(scanners[i]) << 1 |
                      (unsigned)th_jscan_has_ctl_high(scanners[i]) << 2;
        if (nl != (size_t)(q - p) || n != m || got != want || cg != cw ||
            memcmp(xg, w, cw * sizeof *w) != 0 || gf != wf)
            abort(); /* the line loaded otherwise than by memchr and th_jscan_load */
    }
    free(w);
    th_arena_free(&a);
    free(p);
    return 0;
}
