/* json/jscan: the structural index of the three stage-1 implementations agrees,
 * stage 2 rejects malformed text with th_json_parse's offsets, cursors find what
 * the DOM finds, and th_jcur_to_jval rebuilds th_json_parse's tree exactly. */
#include "th_test.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/limits.h"
#include "json/jscan.h"
#include "json/json.h"

/* ---- helpers --------------------------------------------------------- */

static th_jscan *scanners[4];
static int nscanners;

static void open_scanners(void)
{
    nscanners = 0;
    th_jscan_impl all[] = {TH_JSCAN_SCALAR, TH_JSCAN_SSE, TH_JSCAN_AVX2, TH_JSCAN_AVX512};
    for (int i = 0; i < 4; i++) {
        if (!th_jscan_supported(all[i]))
            continue;
        th_jscan *s = th_jscan_new();
        assert_true(th_jscan_use(s, all[i]));
        scanners[nscanners++] = s;
    }
}

static void close_scanners(void)
{
    for (int i = 0; i < nscanners; i++)
        th_jscan_free(scanners[i]);
    nscanners = 0;
}

static int setup(void **state)
{
    (void)state;
    open_scanners();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    close_scanners();
    return 0;
}

/* The text is copied into an exact-size heap block so that ASan sees any read
 * past the end. */
static char *exact_copy(const char *p, size_t n)
{
    char *c = malloc(n ? n : 1);
    if (n)
        memcpy(c, p, n);
    return c;
}

static void write_val(th_buf *b, const th_jval *v)
{
    th_buf_clear(b);
    th_json_write(b, v);
}

/* r reads as the record loaded alone in `alone` does: the same tree, and
 * userIdentity.arn found at the same bytes of the same text. */
static void same_as_alone(th_jcur r, th_jscan *alone, th_arena *a, th_buf *w1, th_buf *w2)
{
    th_json_error e1, e2;
    th_arena_reset(a);
    th_jval *t1 = th_jcur_to_jval(r, a, &e1);
    th_jval *t2 = th_jcur_to_jval(th_jscan_root(alone), a, &e2);
    assert_true((t1 == NULL) == (t2 == NULL));
    if (t1) {
        write_val(w1, t1);
        write_val(w2, t2);
        assert_int_equal(w1->len, w2->len);
        assert_memory_equal(w1->data, w2->data, w1->len);
    }
    th_jcur c1, c2;
    bool f1 = th_jcur_path(r, "userIdentity.arn", &c1);
    bool f2 = th_jcur_path(th_jscan_root(alone), "userIdentity.arn", &c2);
    assert_int_equal(f1, f2);
    if (f1)
        assert_ptr_equal(th_jcur_raw(c1).p, th_jcur_raw(c2).p);
}

typedef struct stats {
    size_t inputs, dom_ok, scan_ok;
    size_t plain_bad; /* printable ASCII, no backslash, rejected by th_json_parse */
} stats;

/* Every implementation yields the same index and verdict; when th_json_parse
 * accepts, the scanner accepts and rebuilds the same tree; when the scanner
 * accepts, to_jval fails exactly when (and where) th_json_parse fails. */
static void differential(const char *text, size_t n, stats *st)
{
    char *p = exact_copy(text, n);
    th_arena a;
    th_arena_init(&a, 0);
    th_json_error derr, serr[4];
    th_jval *dom = th_json_parse(&a, p, n, &derr);
    bool ok[4];
    bool ctl_high = false; /* what th_jscan_has_ctl_high must say */
    bool has_at = memchr(p, '@', n) != NULL; /* and th_jscan_has_at */
    for (size_t j = 0; j < n; j++)
        ctl_high |= (unsigned char)p[j] < 0x20 || (unsigned char)p[j] >= 0x80;
    for (int i = 0; i < nscanners; i++) {
        ok[i] = th_jscan_load(scanners[i], p, n, &serr[i]);
        if (th_jscan_has_ctl_high(scanners[i]) != ctl_high)
            fail_msg("%s: has_ctl_high %d, the bytes say %d, for: %.*s",
                     th_jscan_impl_name(th_jscan_impl_of(scanners[i])),
                     th_jscan_has_ctl_high(scanners[i]), ctl_high, (int)n, p);
        if (th_jscan_has_at(scanners[i]) != has_at)
            fail_msg("%s: has_at %d, the bytes say %d, for: %.*s",
                     th_jscan_impl_name(th_jscan_impl_of(scanners[i])),
                     th_jscan_has_at(scanners[i]), has_at, (int)n, p);
        if (i == 0)
            continue;
        size_t c0, ci;
        const uint32_t *x0 = th_jscan_index(scanners[0], &c0);
        const uint32_t *xi = th_jscan_index(scanners[i], &ci);
        if (c0 != ci || memcmp(x0, xi, c0 * sizeof *x0) != 0)
            fail_msg("index of %s differs from scalar (%zu vs %zu entries) for: %.*s",
                     th_jscan_impl_name(th_jscan_impl_of(scanners[i])), ci, c0, (int)n, p);
        if (ok[i] != ok[0] ||
            (!ok[0] && (serr[i].offset != serr[0].offset || serr[i].reason != serr[0].reason)))
            fail_msg("verdict of %s differs for: %.*s",
                     th_jscan_impl_name(th_jscan_impl_of(scanners[i])), (int)n, p);
    }
    st->inputs++;
    /* printable ASCII without a backslash: every string is well-formed, so
     * the scanner's verdict, offset and reason are th_json_parse's (the
     * header's promise; stage 2 has fast paths for common members that must
     * hand every other text to the general checks) */
    if (!ctl_high && !memchr(p, '\\', n)) {
        st->plain_bad += !dom;
        if (ok[0] != !!dom ||
            (!ok[0] && (serr[0].offset != derr.offset || strcmp(serr[0].reason, derr.reason) != 0)))
            fail_msg("load %s at %zu (%s) but th_json_parse %s at %zu (%s): %.*s",
                     ok[0] ? "accepts" : "rejects", ok[0] ? 0 : serr[0].offset,
                     ok[0] ? "" : serr[0].reason, dom ? "accepts" : "rejects",
                     dom ? 0 : derr.offset, dom ? "" : derr.reason, (int)n, p);
    }
    if (dom) {
        st->dom_ok++;
        if (!ok[0])
            fail_msg("scanner rejects valid JSON at %zu (%s): %.*s", serr[0].offset, serr[0].reason,
                     (int)n, p);
    }
    if (ok[0]) {
        st->scan_ok++;
        th_json_error terr;
        th_jval *tv = th_jcur_to_jval(th_jscan_root(scanners[nscanners - 1]), &a, &terr);
        if (!dom != !tv)
            fail_msg("to_jval %s but th_json_parse %s: %.*s", tv ? "accepts" : "rejects",
                     dom ? "accepts" : "rejects", (int)n, p);
        if (dom) {
            th_buf b1, b2;
            th_buf_init(&b1);
            th_buf_init(&b2);
            write_val(&b1, dom);
            write_val(&b2, tv);
            if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0)
                fail_msg("trees differ:\n dom  %.*s\n scan %.*s", (int)b1.len, b1.data, (int)b2.len,
                         b2.data);
            th_buf_free(&b1);
            th_buf_free(&b2);
        } else if (terr.offset != derr.offset || strcmp(terr.reason, derr.reason) != 0) {
            fail_msg("to_jval error %zu (%s) vs th_json_parse %zu (%s): %.*s", terr.offset,
                     terr.reason, derr.offset, derr.reason, (int)n, p);
        }
    }
    th_arena_free(&a);
    free(p);
}

/* ---- valid inputs ---------------------------------------------------- */

static void tables_of_valid_text(void **state)
{
    (void)state;
    const char *cases[] = {
        "{}",
        "[]",
        " \t\n{ } \r\n",
        "0",
        "-0.5e+10",
        "\"\"",
        "true",
        "false",
        "null",
        "[1,2.5,-3e2,true,false,null,\"x\",{},[]]",
        "{\"a\":{\"b\":{\"c\":[1,{\"d\":\"e\"}]}}}",
        "\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00 \\udc00 \\ud800x\"",
        "{\"k\\\"ey\":1,\"k\\\\\":2,\"\\\\\\\"\":3}",
        "[\"\\\\\",\"\\\\\\\\\",\"\\\\\\\"\\\\\"]",
        "{\"a\" : 1 , \"b\" :[ 1 , 2 ] }",
        "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"",
        "{\"dup\":1,\"dup\":2}",
    };
    stats st = {0, 0, 0, 0};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        differential(cases[k], strlen(cases[k]), &st);
    assert_int_equal(st.dom_ok, sizeof cases / sizeof cases[0]);
    assert_int_equal(st.scan_ok, st.dom_ok);
}

/* Backslash runs of every length ending just before, on and after the 64-byte
 * block boundaries, inside strings and followed by quotes; strings spanning
 * several blocks. */
static void escapes_across_block_boundaries(void **state)
{
    (void)state;
    stats st = {0, 0, 0, 0};
    char buf[512];
    for (int run = 0; run <= 7; run++) {
        for (int pad = 0; pad < 140; pad++) {
            for (int tail = 0; tail < 3; tail++) {
                size_t w = 0;
                buf[w++] = '[';
                buf[w++] = '"';
                for (int i = 0; i < pad; i++)
                    buf[w++] = (char)('a' + i % 26);
                for (int i = 0; i < run; i++)
                    buf[w++] = '\\';
                if (run % 2) /* odd run: escape something */
                    buf[w++] = tail == 0 ? '"' : tail == 1 ? 'n' : '\\';
                for (int i = 0; i < 70; i++) /* carry the string over a block */
                    buf[w++] = i % 9 == 0 ? ' ' : 'z';
                buf[w++] = '"';
                buf[w++] = ',';
                buf[w++] = '1';
                buf[w++] = ']';
                differential(buf, w, &st);
                /* and without the closing quote: unterminated */
                differential(buf, w - 4, &st);
            }
        }
    }
    assert_true(st.dom_ok > 1000);
    print_message("escapes: %zu inputs, %zu valid\n", st.inputs, st.dom_ok);
}

static void deep_nesting(void **state)
{
    (void)state;
    stats st = {0, 0, 0, 0};
    size_t d = TH_MAX_JSON_DEPTH;
    char *buf = malloc(2 * d + 8);
    for (int extra = 0; extra <= 1; extra++) {
        size_t depth = d + (size_t)extra, w = 0;
        for (size_t i = 0; i < depth; i++)
            buf[w++] = '[';
        for (size_t i = 0; i < depth; i++)
            buf[w++] = ']';
        differential(buf, w, &st);
        th_json_error e;
        bool ok = th_jscan_load(scanners[0], buf, w, &e);
        assert_int_equal(ok, !extra);
        if (extra) {
            assert_int_equal(e.offset, d);
            assert_string_equal(e.reason, "nesting too deep");
        }
    }
    /* deep objects, skipped in O(1) */
    size_t w = 0;
    for (size_t i = 0; i < 100; i++) {
        memcpy(buf + w, "{\"a\":", 5);
        w += 5;
    }
    buf[w++] = '1';
    for (size_t i = 0; i < 100; i++)
        buf[w++] = '}';
    differential(buf, w, &st);
    assert_int_equal(st.dom_ok, 2);
    free(buf);
    /* objects as members' values, opened by the member loop's own paths, at
     * the limit and past it, innermost a string, an empty object or one
     * with a member */
    const char *inner[] = {"\"x\"", "{}", "{\"b\":1}"};
    static char ob[6 * (TH_MAX_JSON_DEPTH + 2) + 16];
    for (size_t n = d - 1; n <= d + 1; n++) {
        for (size_t v = 0; v < 3; v++) {
            w = 0;
            for (size_t i = 0; i < n; i++, w += 5)
                memcpy(ob + w, "{\"a\":", 5);
            memcpy(ob + w, inner[v], strlen(inner[v]));
            w += strlen(inner[v]);
            for (size_t i = 0; i < n; i++)
                ob[w++] = '}';
            differential(ob, w, &st);
            th_json_error e;
            bool ok = th_jscan_load(scanners[0], ob, w, &e);
            size_t levels = n + (v > 0);
            assert_int_equal(ok, levels <= d);
            if (!ok) {
                assert_int_equal(e.offset, 5 * d);
                assert_string_equal(e.reason, "nesting too deep");
            }
        }
    }
}

/* ---- malformed input ------------------------------------------------- */

static void malformed_forms_carry_offsets(void **state)
{
    (void)state;
    struct {
        const char *text;
        size_t offset;
        const char *reason;
    } cases[] = {
        {"", 0, "unexpected end of input"},
        {"   ", 3, "unexpected end of input"},
        {"{\"a\":1,}", 7, "expected string key in object"},
        {"[1,2", 4, "unterminated array"},
        {"{\"a\":1", 6, "unterminated object"},
        {"{\"a\" 1}", 5, "expected ':' after object key"},
        {"{\"a\"", 4, "expected ':' after object key"},
        {"{\"a\":", 5, "unexpected end of input"},
        {"{", 1, "expected string key in object"},
        {"{1:2}", 1, "expected string key in object"},
        {"\"abc", 0, "unterminated string"},
        {"[\"abc\\\"]", 1, "unterminated string"},
        {"{\"ab", 1, "unterminated string"},
        {"tru", 0, "invalid literal"},
        {"nul", 0, "invalid literal"},
        {"[falsy]", 1, "invalid literal"},
        {"truex", 4, "trailing characters after JSON value"},
        {"[nullx]", 5, "expected ',' or ']' in array"},
        {"{\"a\":01}", 6, "expected ',' or '}' in object"},
        {"[1] x", 4, "trailing characters after JSON value"},
        {"{} {}", 3, "trailing characters after JSON value"},
        {"-", 0, "truncated number"},
        {"-x", 1, "invalid number"},
        {"[1.]", 3, "digit expected after decimal point"},
        {"[1e]", 3, "digit expected in exponent"},
        {"[1,]", 3, "unexpected character"},
        {"[1 2]", 3, "expected ',' or ']' in array"},
        {"[1}", 2, "expected ',' or ']' in array"},
        {"{\"a\":1]", 6, "expected ',' or '}' in object"},
        {"]", 0, "unexpected character"},
        {"[\"a\"\"b\"]", 4, "expected ',' or ']' in array"},
        {"@", 0, "unexpected character"},
        {"\\\"a\"", 0, "unexpected character"},
        {"[1]\x01", 3, "trailing characters after JSON value"},
        {"{\"a\":1,\"b\":[true,{\"c\":nan}]}", 22, "invalid literal"},
        {"{\"a\":1,\"b\":[true,{\"c\":+1}]}", 22, "unexpected character"},
        /* a member with more entries after it (stage 2's path that tests the
         * end of the index once for four entries) */
        {"{\"a\":1,\"b\" 2,\"c\":3}", 11, "expected ':' after object key"},
        {"{\"a\":1,2:3,\"c\":4}", 7, "expected string key in object"},
        {"{\"a\":1,\"b\":],\"c\":4}", 11, "unexpected character"},
        {"{\"a\":1,\"b\"::2,\"c\":3}", 11, "unexpected character"},
        {"{\"a\":1,\"b\":\"x\" \"y\",\"c\":4}", 15, "expected ',' or '}' in object"},
        {"{\"a\":1,\"b\":tru,\"c\":4}", 11, "invalid literal"},
        {"{\"a\":1,\"b\":\"x\":2,\"c\":4}", 14, "expected ',' or '}' in object"},
        /* literals after a key, read by stage 2's loop of common members */
        {"{\"a\":1,\"b\":truex,\"c\":3}", 15, "expected ',' or '}' in object"},
        {"{\"a\":1,\"b\":true\"x\",\"c\":3}", 15, "expected ',' or '}' in object"},
        {"{\"a\":1,\"b\":fals,\"c\":3}", 11, "invalid literal"},
        {"{\"a\":1,\"b\":falsee,\"c\":3}", 16, "expected ',' or '}' in object"},
        {"{\"a\":1,\"b\":nul,\"c\":3}", 11, "invalid literal"},
        {"{\"a\":1,\"b\":null:,\"c\":3}", 15, "expected ',' or '}' in object"},
        {"{\"a\":1,\"b\":\"x\"]\"c\":3}", 14, "expected ',' or '}' in object"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t n = strlen(cases[k].text);
        char *p = exact_copy(cases[k].text, n);
        for (int i = 0; i < nscanners; i++) {
            th_json_error e;
            if (th_jscan_load(scanners[i], p, n, &e))
                fail_msg("case %zu (%s) accepted", k, cases[k].text);
            if (e.offset != cases[k].offset || strcmp(e.reason, cases[k].reason) != 0)
                fail_msg("case %zu (%s) on %s: %zu (%s), wanted %zu (%s)", k, cases[k].text,
                         th_jscan_impl_name(th_jscan_impl_of(scanners[i])), e.offset, e.reason,
                         cases[k].offset, cases[k].reason);
        }
        /* the DOM reader agrees on every structural error */
        th_arena a;
        th_arena_init(&a, 0);
        th_json_error d;
        assert_null(th_json_parse(&a, p, n, &d));
        if (d.offset != cases[k].offset || strcmp(d.reason, cases[k].reason) != 0)
            fail_msg("case %zu (%s): th_json_parse says %zu (%s)", k, cases[k].text, d.offset,
                     d.reason);
        th_arena_free(&a);
        free(p);
    }
}

/* String contents are not checked by load; to_jval reports what the DOM does. */
static void string_contents_checked_by_to_jval(void **state)
{
    (void)state;
    struct {
        const char *text;
        size_t offset;
    } cases[] = {
        {"[\"a\x01\"]", 3},
        {"\"\xff\"", 1},
        {"\"\\q\"", 1},
        {"{\"k\":\"\\u12x4\"}", 10},
        {"\"\\ud800\\u00zz\"", 11},
        {"{\"\xc3\":1}", 2},
    };
    th_arena a;
    th_arena_init(&a, 0);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *t = cases[k].text;
        th_json_error e;
        assert_true(th_jscan_load(scanners[0], t, strlen(t), &e));
        assert_null(th_jcur_to_jval(th_jscan_root(scanners[0]), &a, &e));
        if (e.offset != cases[k].offset)
            fail_msg("case %zu: offset %zu (%s), wanted %zu", k, e.offset, e.reason,
                     cases[k].offset);
        stats st = {0, 0, 0, 0};
        differential(t, strlen(t), &st);
    }
    th_arena_free(&a);
}

/* ---- cursors --------------------------------------------------------- */

static void cursors_find_fields(void **state)
{
    (void)state;
    const char *text =
        " {\"eventName\":\"GetObject\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"a:b\","
        "\"sessionContext\":{\"attributes\":{\"mfaAuthenticated\":\"false\"}}},"
        "\"n\":-12.5,\"list\":[1,\"two\",[3],{\"four\":4}],\"dup\":1,\"dup\":\"last\","
        "\"k\\u0065y\":\"escaped key\",\"q\\\"\":\"v\\n\\u00e9\",\"a.b\":true,\"z\":null} ";
    th_jscan *s = scanners[nscanners - 1];
    th_json_error e;
    assert_true(th_jscan_load(s, text, strlen(text), &e));
    th_jcur root = th_jscan_root(s), c;
    th_arena a;
    th_arena_init(&a, 0);
    th_str v;
    assert_int_equal(th_jcur_type(root), TH_JOBJ);
    assert_true(th_jcur_get(root, "eventName", 9, &c));
    assert_int_equal(th_jcur_type(c), TH_JSTR);
    assert_true(th_jcur_str(c, &a, &v));
    assert_true(th_str_eqc(v, "GetObject"));
    assert_true(v.p > text && v.p < text + strlen(text)); /* zero copy */
    assert_true(th_str_eqc(th_jcur_raw(c), "\"GetObject\""));
    assert_true(th_jcur_path(root, "userIdentity.sessionContext.attributes.mfaAuthenticated", &c));
    assert_true(th_jcur_str(c, &a, &v) && th_str_eqc(v, "false"));
    assert_false(th_jcur_path(root, "userIdentity.nope", &c));
    assert_false(th_jcur_path(root, "eventName.x", &c));
    assert_true(th_jcur_get(root, "n", 1, &c));
    assert_int_equal(th_jcur_type(c), TH_JNUM);
    assert_true(th_str_eqc(th_jcur_raw(c), "-12.5"));
    assert_false(th_jcur_str(c, &a, &v));
    assert_true(th_jcur_get(root, "dup", 3, &c)); /* last duplicate wins */
    assert_true(th_jcur_str(c, &a, &v) && th_str_eqc(v, "last"));
    assert_true(th_jcur_get(root, "key", 3, &c)); /* decoded key */
    assert_true(th_jcur_str(c, &a, &v) && th_str_eqc(v, "escaped key"));
    assert_false(th_jcur_get(root, "k\\u0065y", 8, &c)); /* not by its raw bytes */
    assert_true(th_jcur_get(root, "q\"", 2, &c));
    assert_true(th_jcur_str(c, &a, &v) && th_str_eqc(v, "v\n\xc3\xa9"));
    assert_false(th_jcur_get(root, "q\\\"", 3, &c));
    assert_true(th_jcur_get(root, "a.b", 3, &c));
    assert_int_equal(th_jcur_type(c), TH_JTRUE);
    assert_false(th_jcur_path(root, "a.b", &c)); /* paths go through objects */
    assert_true(th_jcur_get(root, "z", 1, &c));
    assert_int_equal(th_jcur_type(c), TH_JNULL);
    /* iteration */
    assert_true(th_jcur_get(root, "list", 4, &c));
    assert_int_equal(th_jcur_count(c), 4);
    th_jiter it = th_jcur_iter(c);
    th_jcur item, key;
    th_jtype want[] = {TH_JNUM, TH_JSTR, TH_JARR, TH_JOBJ};
    for (int i = 0; i < 4; i++) {
        assert_true(th_jiter_next(&it, NULL, &item));
        assert_int_equal(th_jcur_type(item), want[i]);
    }
    assert_false(th_jiter_next(&it, NULL, &item));
    assert_true(th_str_eqc(th_jcur_raw(item), "{\"four\":4}"));
    it = th_jcur_iter(root);
    size_t members = 0;
    while (th_jiter_next(&it, &key, &item)) {
        assert_int_equal(th_jcur_type(key), TH_JSTR);
        members++;
    }
    assert_int_equal(members, th_jcur_count(root));
    assert_int_equal(members, 10);
    it = th_jcur_iter(item); /* a scalar: nothing */
    assert_false(th_jiter_next(&it, &key, &item));
    /* a subtree as DOM */
    assert_true(th_jcur_get(root, "userIdentity", 12, &c));
    th_jval *sub = th_jcur_to_jval(c, &a, &e);
    assert_non_null(sub);
    assert_true(th_str_eqc(
        th_jstr(th_jobj_get_path(sub, "sessionContext.attributes.mfaAuthenticated")), "false"));
    th_arena_free(&a);
}

static void implementation_choice(void **state)
{
    (void)state;
    assert_true(th_jscan_supported(TH_JSCAN_SCALAR));
    setenv("TH_JSCAN", "scalar", 1);
    th_jscan *s = th_jscan_new();
    assert_int_equal(th_jscan_impl_of(s), TH_JSCAN_SCALAR);
    unsetenv("TH_JSCAN");
    assert_true(th_jscan_use(s, TH_JSCAN_AUTO));
    th_jscan_impl best = th_jscan_impl_of(s);
    assert_true(best != TH_JSCAN_AUTO);
    print_message("jscan: best implementation here is %s\n", th_jscan_impl_name(best));
    for (int i = TH_JSCAN_SCALAR; i <= TH_JSCAN_AVX512; i++)
        assert_int_equal(th_jscan_use(s, (th_jscan_impl)i), th_jscan_supported((th_jscan_impl)i));
    th_jscan_free(s);
}

/* ---- random and mutated inputs --------------------------------------- */

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

static void put_ws(th_buf *b)
{
    static const char ws[] = " \t\n\r";
    while (rnd() % 5 == 0)
        th_buf_putc(b, ws[rnd() % 4]);
}

static void gen_string(th_buf *b)
{
    static const char *pieces[] = {
        "a",   "Z", " ", "\\\"", "\\\\", "\\n",      "\\u00e9", "\\ud83d\\ude00", "\xc3\xa9",
        "\\/", ":", ",", "{",    "]",    "\\\\\\\"", "\\u0000", "\xe2\x82\xac",   "x"};
    th_buf_putc(b, '"');
    int len = (int)(rnd() % 12);
    if (rnd() % 8 == 0)
        len += 60;
    for (int i = 0; i < len; i++)
        th_buf_puts(b, pieces[rnd() % (sizeof pieces / sizeof pieces[0])]);
    th_buf_putc(b, '"');
}

static void gen_value(th_buf *b, int depth)
{
    put_ws(b);
    uint32_t r = rnd() % (depth > 6 ? 6 : 9);
    switch (r) {
    case 0: gen_string(b); break;
    case 1: th_buf_printf(b, "%d", (int)(rnd() % 2000) - 1000); break;
    case 2:
        th_buf_printf(b, "%d.%ue%d", (int)(rnd() % 20) - 10, rnd() % 1000, (int)(rnd() % 9) - 4);
        break;
    case 3: th_buf_puts(b, "true"); break;
    case 4: th_buf_puts(b, "false"); break;
    case 5: th_buf_puts(b, "null"); break;
    case 6:
    case 7: {
        th_buf_putc(b, '[');
        int n = (int)(rnd() % 5);
        for (int i = 0; i < n; i++) {
            if (i)
                th_buf_putc(b, ',');
            gen_value(b, depth + 1);
        }
        put_ws(b);
        th_buf_putc(b, ']');
        break;
    }
    default: {
        th_buf_putc(b, '{');
        int n = (int)(rnd() % 5);
        for (int i = 0; i < n; i++) {
            if (i)
                th_buf_putc(b, ',');
            put_ws(b);
            gen_string(b);
            put_ws(b);
            th_buf_putc(b, ':');
            gen_value(b, depth + 1);
        }
        put_ws(b);
        th_buf_putc(b, '}');
    }
    }
    put_ws(b);
}

/* A CloudTrail-shaped record with variable content. */
static void gen_cloudtrail(th_buf *b, uint32_t seed)
{
    static const char *names[] = {"GetObject", "AssumeRole", "ConsoleLogin", "PutBucketPolicy",
                                  "CreateUser"};
    th_buf_printf(
        b,
        "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":"
        "\"AROA3H67KLNIGO7UDQCR:frank@vandelay.com\",\"arn\":\"arn:aws:sts::162038209354:assumed-"
        "role/Admin/frank\",\"accountId\":\"162038209354\",\"sessionContext\":{\"sessionIssuer\":"
        "{},\"webIdFederationData\":{},\"attributes\":{\"creationDate\":\"2026-09-30T23:59:06Z\","
        "\"mfaAuthenticated\":\"%s\"}}},\"eventTime\":\"2026-10-01T00:02:%02uZ\",\"eventSource\":"
        "\"s3.amazonaws.com\",\"eventName\":\"%s\",\"awsRegion\":\"eu-west-1\",\"sourceIPAddress\":"
        "\"203.0.113.%u\",\"userAgent\":\"aws-cli/2.15 Python/3.11 \\\"quoted\\\"\","
        "\"requestParameters\":{\"bucketName\":\"b%u\",\"policy\":\"{\\\"Version\\\":\\\"2012-10-"
        "17\\\","
        "\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":\\\"*\\\"}]}\","
        "\"maxResults\":%u,\"list\":[1,2.5e3,true,null,\"\\u00e9\\ud83d\\ude00\"]},"
        "\"responseElements\":null,\"readOnly\":%s,\"eventType\":\"AwsApiCall\","
        "\"recipientAccountId\":\"162038209354\"}",
        seed % 2 ? "true" : "false", seed % 60, names[seed % 5], seed % 256, seed, seed % 100,
        seed % 3 ? "true" : "false");
}

static void mutate(th_buf *b)
{
    static const char bytes[] = "{}[]:,\"\\ \n0-eE.tfnul\x01\xc3\xff";
    int edits = 1 + (int)(rnd() % 3);
    for (int e = 0; e < edits && b->len; e++) {
        size_t at = rnd() % b->len;
        switch (rnd() % 4) {
        case 0: b->data[at] = bytes[rnd() % (sizeof bytes - 1)]; break;
        case 1: /* delete */
            memmove(b->data + at, b->data + at + 1, b->len - at - 1);
            b->len--;
            break;
        case 2: /* insert */
            th_buf_putc(b, ' ');
            memmove(b->data + at + 1, b->data + at, b->len - at - 1);
            b->data[at] = bytes[rnd() % (sizeof bytes - 1)];
            break;
        default: b->len = at; /* truncate */
        }
    }
}

static void random_and_mutated_inputs_agree(void **state)
{
    (void)state;
    rng_state = 20261001;
    stats st = {0, 0, 0, 0};
    th_buf b;
    th_buf_init(&b);
    for (int i = 0; i < 4000; i++) {
        th_buf_clear(&b);
        gen_value(&b, 0);
        differential(b.data, b.len, &st);
        mutate(&b);
        differential(b.data, b.len, &st);
    }
    for (uint32_t i = 0; i < 3000; i++) {
        th_buf_clear(&b);
        gen_cloudtrail(&b, i);
        differential(b.data, b.len, &st);
        th_jscan *s = scanners[nscanners - 1];
        th_jcur c;
        assert_true(th_jscan_load(s, b.data, b.len, NULL));
        assert_true(th_jcur_path(th_jscan_root(s),
                                 "userIdentity.sessionContext.attributes."
                                 "mfaAuthenticated",
                                 &c));
        mutate(&b);
        differential(b.data, b.len, &st);
    }
    th_buf_free(&b);
    print_message("random: %zu inputs, %zu valid, %zu accepted by the scanner\n", st.inputs,
                  st.dom_ok, st.scan_ok);
    assert_true(st.dom_ok > 7000);
    assert_true(st.scan_ok < st.inputs);
    /* enough malformed plain text that the error paths were held against
     * th_json_parse's */
    print_message("random: %zu malformed inputs of plain text\n", st.plain_bad);
    assert_true(st.plain_bad > 1000);
}

/* th_jscan_set_root: each element of a container, taken as the root on the
 * container's tape, gives what the element loaded alone gives (its raw
 * text, its tree, field lookups); a load makes the whole text the root again.
 * th_jscan_load_copy of the element onto a copy of its text gives what
 * loading the copy gives. */
static void elements_as_roots(void **state)
{
    (void)state;
    rng_state = 20261205;
    th_buf b, w1, w2;
    th_buf_init(&b);
    th_buf_init(&w1);
    th_buf_init(&w2);
    th_arena a;
    th_arena_init(&a, 0);
    th_jscan *alone = th_jscan_new(), *copied = th_jscan_new();
    size_t elements = 0;
    for (int i = 0; i < 300; i++) {
        th_buf_clear(&b);
        th_buf_puts(&b, i % 2 ? "{\"Records\":[" : "[");
        int n = (int)(rnd() % 6);
        for (int k = 0; k < n; k++) {
            if (k)
                th_buf_putc(&b, ',');
            if (rnd() % 2)
                gen_cloudtrail(&b, (uint32_t)rnd());
            else
                gen_value(&b, 0);
        }
        th_buf_puts(&b, i % 2 ? "]}" : "]");
        char *text = exact_copy(b.data, b.len);
        for (int si = 0; si < nscanners; si++) {
            th_jscan *s = scanners[si];
            assert_true(th_jscan_load(s, text, b.len, NULL));
            th_jcur arr = th_jscan_root(s);
            if (i % 2)
                assert_true(th_jcur_get(arr, "Records", 7, &arr));
            th_jiter it = th_jcur_iter(arr);
            th_jcur k, v;
            while (th_jiter_next(&it, &k, &v)) {
                th_str raw = th_jcur_raw(v);
                th_jscan_set_root(s, v);
                th_jcur r = th_jscan_root(s);
                assert_int_equal(r.i, v.i);
                assert_ptr_equal(th_jcur_raw(r).p, raw.p);
                assert_true(th_jscan_load(alone, raw.p, raw.n, NULL));
                same_as_alone(r, alone, &a, &w1, &w2);
                /* th_jscan_load_copy: the element's tape moved onto a copy
                 * of its text gives what loading the copy gives */
                char *cp = exact_copy(raw.p, raw.n);
                th_jscan_load_copy(copied, v, cp);
                assert_true(th_jscan_load(alone, cp, raw.n, NULL));
                th_jcur rc = th_jscan_root(copied);
                assert_int_equal(th_jcur_raw(rc).n, raw.n);
                assert_ptr_equal(th_jcur_raw(rc).p, cp);
                same_as_alone(rc, alone, &a, &w1, &w2);
                assert_int_equal(th_jcur_count(rc), th_jcur_count(th_jscan_root(alone)));
                /* and onto the scanner it is on: a load of the text, moved
                 * to the copy in place */
                assert_true(th_jscan_load(copied, raw.p, raw.n, NULL));
                th_jscan_load_copy(copied, th_jscan_root(copied), cp);
                rc = th_jscan_root(copied);
                assert_ptr_equal(th_jcur_raw(rc).p, cp);
                same_as_alone(rc, alone, &a, &w1, &w2);
                free(cp);
                elements++;
            }
            assert_true(th_jscan_load(s, text, b.len, NULL));
            assert_int_equal(th_jscan_root(s).i, 0);
        }
        free(text);
    }
    print_message("  %zu elements as roots\n", elements);
    assert_true(elements > 1000);
    th_jscan_free(alone);
    th_jscan_free(copied);
    th_arena_free(&a);
    th_buf_free(&b);
    th_buf_free(&w1);
    th_buf_free(&w2);
}

/* ---- real records ---------------------------------------------------- */

static void corpus_file(const char *path, stats *st)
{
    size_t len;
    char *text = th_test_read_file(path, &len);
    if (!text)
        return;
    size_t plen = strlen(path);
    if (plen > 6 && strcmp(path + plen - 6, ".jsonl") == 0) {
        for (char *p = text, *end = text + len; p < end;) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (n)
                differential(p, n, st);
            p += n + 1;
        }
    } else {
        differential(text, len, st);
        th_jscan *s = th_jscan_new();
        th_jcur recs;
        if (th_jscan_load(s, text, len, NULL) &&
            th_jcur_get(th_jscan_root(s), "Records", 7, &recs)) {
            th_jiter it = th_jcur_iter(recs);
            th_jcur r;
            while (th_jiter_next(&it, NULL, &r)) {
                th_str raw = th_jcur_raw(r);
                differential(raw.p, raw.n, st);
            }
        }
        th_jscan_free(s);
    }
    free(text);
}

static void corpus_walk(const char *dir, stats *st, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 8) {
        if (d)
            closedir(d);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0)
            continue;
        size_t l = strlen(e->d_name);
        if (S_ISDIR(sb.st_mode))
            corpus_walk(path, st, depth + 1);
        else if ((l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) ||
                 (l > 6 && strcmp(e->d_name + l - 6, ".jsonl") == 0))
            corpus_file(path, st);
    }
    closedir(d);
}

static void real_cloudtrail_records(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/../shared/corpus/cloudtrail-real", th_test_root());
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        print_message("SKIP jscan: %s is absent; real-record differential not run\n", dir);
        return;
    }
    stats st = {0, 0, 0, 0};
    corpus_walk(dir, &st, 0);
    print_message("corpus: %zu records, %zu valid\n", st.inputs, st.dom_ok);
    assert_true(st.dom_ok > 500);
}

/* Callback test helper: the members seen, raw key and raw value text. */
typedef struct sized_seen {
    char keys[8][80];
    char vals[8][16];
    int n;
} sized_seen;

static bool sized_member(void *ctx, th_str k, th_jcur val)
{
    sized_seen *x = ctx;
    if (x->n == 8)
        return true;
    th_str v = th_jcur_raw(val);
    snprintf(x->keys[x->n], sizeof x->keys[x->n], "%.*s", (int)k.n, k.p);
    snprintf(x->vals[x->n], sizeof x->vals[x->n], "%.*s", (int)v.n, v.p);
    x->n++;
    return true;
}

/* The key set of name[0..n) (their lengths into len), with ids id0, id0 + 1, ... */
static void keys_of(th_jkeys *ks, const char *const *name, size_t *len, int n, int id0)
{
    int id[TH_JKEYS_MAX];
    assert_true(n <= TH_JKEYS_MAX);
    for (int i = 0; i < n; i++) {
        len[i] = strlen(name[i]);
        id[i] = id0 + i;
    }
    assert_true(th_jkeys_build(ks, (size_t)n, name, len, id));
}

/* th_jcur_members_find: the members whose raw key is in the set, by id, the
 * last duplicate winning; not those of nested objects, nor other keys of the
 * same length; the empty key and keys of 64+ bytes too. */
static void members_by_key_set(void **state)
{
    (void)state;
    char longkey[70];
    memset(longkey, 'k', 66);
    longkey[66] = 0;
    char text[512];
    snprintf(text, sizeof text,
             "{\"abc\":1,\"abd\":7,\"hello\":{\"abc\":9},\"xyz\":3,\"\":4,\"abc\":5,\"%s\":6,"
             "\"eventName\":8,\"eventTime\":10}",
             longkey);
    th_jscan *s = scanners[nscanners - 1];
    assert_true(th_jscan_load(s, text, strlen(text), NULL));
    const char *name[] = {"abc", "hello", "", longkey, "eventTime", "absent", "eventNamf"};
    size_t len[7];
    th_jkeys ks;
    keys_of(&ks, name, len, 7, 10);
    th_jcur found[20];
    bool have[20] = {0};
    th_jcur_members_find(th_jscan_root(s), &ks, found, have);
    for (int i = 0; i < 20; i++)
        assert_int_equal(have[i], i >= 10 && i <= 14);
    const char *want[] = {"5", "{\"abc\":9}", "4", "6", "10"};
    for (int i = 0; i < 5; i++) {
        th_str v = th_jcur_raw(found[10 + i]);
        assert_int_equal(v.n, strlen(want[i]));
        assert_memory_equal(v.p, want[i], v.n);
    }
    bool none[20] = {0}; /* not an object: nothing */
    assert_true(th_jscan_load(s, "[1,2]", 5, NULL));
    th_jcur_members_find(th_jscan_root(s), &ks, found, none);
    for (int i = 0; i < 20; i++)
        assert_false(none[i]);
    th_jkeys empty; /* no keys: nothing matches */
    assert_true(th_jkeys_build(&empty, 0, NULL, NULL, NULL));
    assert_true(th_jscan_load(s, "{\"\":1,\"a\":2}", 12, NULL));
    th_jcur_members_find(th_jscan_root(s), &empty, found, none);
    for (int i = 0; i < 20; i++)
        assert_false(none[i]);
}

/* The members whose raw key equals name[i], the last one winning, by a plain
 * walk over the members: what th_jcur_members_find must give. */
static void members_by_walk(th_jcur obj, size_t n, const char *const *name, th_jcur *found,
                            bool *have)
{
    th_jiter it = th_jcur_iter(obj);
    th_jcur key, val;
    while (th_jiter_next(&it, &key, &val)) {
        th_str k = th_jcur_raw(key);
        for (size_t i = 0; i < n; i++)
            if (k.n - 2 == strlen(name[i]) && memcmp(k.p + 1, name[i], k.n - 2) == 0) {
                found[i] = val;
                have[i] = true;
            }
    }
}

/* Records of one shape, then the same keys moved, missing, duplicated,
 * escaped, replaced by keys of the same length that differ in one byte (at
 * either end), or nested one level down, in an order that changes from round
 * to round: th_jcur_members_find finds what a plain walk finds on each,
 * whatever the records before it (a lookup that remembered where the keys
 * were last time must not be fooled by a record that moved them). */
static void members_across_shapes(void **state)
{
    (void)state;
    static const char *const rec[] = {
        "{\"eventVersion\":\"1\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"a\"},"
        "\"eventTime\":\"t\",\"eventSource\":\"s\",\"eventName\":\"n\",\"eventID\":\"i\","
        "\"recipientAccountId\":\"r\",\"sessionCredentialFromConsole\":\"true\"}",
        /* the same, keys moved */
        "{\"eventName\":\"n\",\"eventVersion\":\"1\",\"eventSource\":\"s\",\"eventTime\":\"t\","
        "\"userIdentity\":{\"arn\":\"a\",\"type\":\"IAMUser\"},\"sessionCredentialFromConsole\":"
        "\"true\",\"eventID\":\"i\",\"recipientAccountId\":\"r\"}",
        /* keys missing */
        "{\"eventVersion\":\"1\",\"eventTime\":\"t\",\"eventName\":\"n\"}",
        /* duplicated: the last wins */
        "{\"eventVersion\":\"1\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"a\"},"
        "\"eventTime\":\"t\",\"eventSource\":\"s\",\"eventName\":\"n\",\"eventID\":\"i\","
        "\"recipientAccountId\":\"r\",\"eventName\":\"n2\",\"eventID\":\"i2\",\"eventTime\":3}",
        /* escaped keys are compared raw: they match nothing */
        "{\"eventVersion\":\"1\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"a\"},"
        "\"eventTime\":\"t\",\"eventSource\":\"s\",\"event\\u004eame\":\"n\",\"eventI\\u0044\":"
        "\"i\","
        "\"recipientAccountId\":\"r\",\"sessionCredentialFromConsole\":\"true\"}",
        /* same lengths, one byte off at the start or the end */
        "{\"eventVersion\":\"1\",\"userIdentity\":{\"typf\":\"IAMUser\",\"arm\":\"a\"},"
        "\"eventTimf\":\"t\",\"fventSource\":\"s\",\"eventNamd\":\"n\",\"eventIE\":\"i\","
        "\"recipientAccountIe\":\"r\",\"sessionCredentialFromConsolf\":\"true\"}",
        /* nested one level down: not members of the root */
        "{\"eventVersion\":{\"eventTime\":\"t\",\"eventSource\":\"s\",\"eventName\":\"n\","
        "\"eventID\":\"i\"},\"userIdentity\":[{\"type\":\"IAMUser\"}],\"x\":1}",
        "{}",
    };
    static const char *const name[] = {"eventTime",
                                       "eventSource",
                                       "eventName",
                                       "eventID",
                                       "recipientAccountId",
                                       "sessionCredentialFromConsole",
                                       "userIdentity",
                                       "type",
                                       "arn"};
    enum { NREC = sizeof rec / sizeof rec[0], NNAME = sizeof name / sizeof name[0] };
    size_t len[NNAME];
    th_jkeys ks;
    keys_of(&ks, name, len, NNAME, 0);
    th_jscan *s = scanners[nscanners - 1];
    uint32_t x = 12345;
    size_t hits = 0;
    for (int round = 0; round < 200; round++) {
        /* the first round in order, then each record after a random one */
        int r = round < NREC ? round : (int)((x = x * 1103515245u + 12345u) >> 16) % NREC;
        size_t n = strlen(rec[r]);
        char *text = exact_copy(rec[r], n);
        assert_true(th_jscan_load(s, text, n, NULL));
        th_jcur root = th_jscan_root(s);
        th_jcur found[NNAME], want[NNAME];
        bool have[NNAME] = {0}, want_have[NNAME] = {0};
        th_jcur_members_find(root, &ks, found, have);
        members_by_walk(root, NNAME, name, want, want_have);
        /* and one level down, in userIdentity when it is an object */
        if (want_have[6] && th_jcur_type(want[6]) == TH_JOBJ) {
            th_jcur ui = want[6];
            th_jcur f2[NNAME], w2[NNAME];
            bool h2[NNAME] = {0}, wh2[NNAME] = {0};
            th_jcur_members_find(ui, &ks, f2, h2);
            members_by_walk(ui, NNAME, name, w2, wh2);
            for (int i = 0; i < NNAME; i++) {
                assert_int_equal(h2[i], wh2[i]);
                if (h2[i])
                    assert_int_equal(f2[i].i, w2[i].i);
            }
        }
        for (int i = 0; i < NNAME; i++) {
            assert_int_equal(have[i], want_have[i]);
            if (have[i]) {
                assert_int_equal(found[i].i, want[i].i);
                hits++;
            }
        }
        free(text);
    }
    assert_true(hits > 200); /* the rounds found keys, not only their absence */
}

/* The one-member object {"key":1} in text[0..n) finds, of the set ks of
 * names, at most a key spelled exactly as its own (the near misses none). */
static void finds_only_exact(th_jscan *s, const th_jkeys *ks, const char *text, size_t n,
                             const char *const *name, const size_t *len, int nname)
{
    enum { MAX_NAMES = 16 };
    assert_true(nname <= MAX_NAMES);
    char *t = exact_copy(text, n);
    assert_true(th_jscan_load(s, t, n, NULL));
    th_jcur found[MAX_NAMES];
    bool have[MAX_NAMES] = {0};
    th_jcur_members_find(th_jscan_root(s), ks, found, have);
    size_t klen = n - 6; /* {"key":1} */
    for (int k = 0; k < nname; k++)
        if (have[k])
            assert_true(len[k] == klen && memcmp(t + 2, name[k], len[k]) == 0);
    free(t);
}

/* A key of the set's length that differs from a key of the set in one byte,
 * at any place and of any printable value, matches nothing: the hash may put
 * it in that key's bucket (1 in 128), and then only the comparison of every
 * byte tells them apart. */
static void near_keys_never_match(void **state)
{
    (void)state;
    static const char *const name[] = {"eventTime",
                                       "eventSource",
                                       "eventName",
                                       "eventID",
                                       "recipientAccountId",
                                       "sessionCredentialFromConsole",
                                       "userIdentity",
                                       "type",
                                       "arn",
                                       "eventNam"};
    enum { NNAME = sizeof name / sizeof name[0] };
    size_t len[NNAME];
    th_jkeys ks;
    keys_of(&ks, name, len, NNAME, 0);
    th_jscan *s = scanners[nscanners - 1];
    size_t tried = 0;
    for (int i = 0; i < NNAME; i++)
        for (size_t j = 0; j < len[i]; j++)
            for (int b = ' '; b < 0x7f; b++) {
                if (b == name[i][j] || b == '"' || b == '\\')
                    continue;
                char text[64];
                int n = snprintf(text, sizeof text, "{\"%.*s%c%s\":1}", (int)j, name[i], b,
                                 name[i] + j + 1);
                finds_only_exact(s, &ks, text, (size_t)n, name, len, NNAME);
                tried++;
            }
    /* keys under 8 bytes: every pair of last two bytes too (some of the
     * thousands share the bucket of the key) */
    for (int i = 0; i < NNAME; i++)
        for (int b = ' '; len[i] < 8 && b < 0x7f; b++)
            for (int c = ' '; c < 0x7f; c++) {
                size_t n0 = len[i] - 2;
                if ((b == name[i][n0] && c == name[i][n0 + 1]) || b == '"' || b == '\\' ||
                    c == '"' || c == '\\')
                    continue;
                char text[64];
                int n = snprintf(text, sizeof text, "{\"%.*s%c%c\":1}", (int)n0, name[i], b, c);
                finds_only_exact(s, &ks, text, (size_t)n, name, len, NNAME);
                tried++;
            }
    assert_true(tried > 30000);
}

/* Keys 64 bytes longer or shorter than a key of the set (the length filter
 * takes lengths modulo 64, so they pass it), sharing its first and last
 * bytes or not, among the set's own keys: th_jcur_members_find finds what a
 * plain walk finds. */
static void lengths_64_apart(void **state)
{
    (void)state;
    enum { NNAME = 4, NTEXT = 300 };
    char names[NNAME][140];
    const char *name[NNAME];
    size_t len[NNAME];
    static const size_t name_len[NNAME] = {2, 66, 7, 63};
    for (int i = 0; i < NNAME; i++) {
        for (size_t j = 0; j < name_len[i]; j++)
            names[i][j] = (char)('a' + (i * 7 + j) % 26);
        names[i][name_len[i]] = 0;
        name[i] = names[i];
    }
    th_jkeys ks;
    keys_of(&ks, name, len, NNAME, 0);
    th_jscan *s = scanners[nscanners - 1];
    uint32_t x = 777;
    size_t hits = 0;
    for (int round = 0; round < NTEXT; round++) {
        char text[4096];
        size_t w = 0;
        text[w++] = '{';
        for (int m = 0; m < 12; m++) {
            int i = (int)((x = x * 1103515245u + 12345u) >> 16) % NNAME;
            unsigned r = (x = x * 1103515245u + 12345u) >> 16;
            /* the key itself, or its length +-64 (at least 1), its first
             * and last bytes kept, the middle filled with one byte */
            size_t n = name_len[i];
            if (r % 3 == 1)
                n += 64;
            else if (r % 3 == 2 && n > 64)
                n -= 64;
            char key[140];
            for (size_t j = 0; j < n; j++)
                key[j] = j < 8 && j < name_len[i]             ? names[i][j]
                         : n - j <= 8 && n - j <= name_len[i] ? names[i][name_len[i] - (n - j)]
                                                              : (char)('a' + r / 3 % 26);
            w += (size_t)snprintf(text + w, sizeof text - w, "%s\"%.*s\":%d", m ? "," : "", (int)n,
                                  key, m);
        }
        text[w++] = '}';
        char *t = exact_copy(text, w);
        assert_true(th_jscan_load(s, t, w, NULL));
        th_jcur found[NNAME], want[NNAME];
        bool have[NNAME] = {0}, want_have[NNAME] = {0};
        th_jcur_members_find(th_jscan_root(s), &ks, found, have);
        members_by_walk(th_jscan_root(s), NNAME, name, want, want_have);
        for (int i = 0; i < NNAME; i++) {
            assert_int_equal(have[i], want_have[i]);
            if (have[i]) {
                assert_int_equal(found[i].i, want[i].i);
                hits++;
            }
        }
        free(t);
    }
    assert_true(hits > NTEXT); /* the set's own keys were found too */
    /* a key 64 bytes shorter than a key of the set and equal to its start
     * (so that only the length tells them apart) after it, for 676 starts
     * of that key in sets of TH_JKEYS_MAX keys: some put it in that key's
     * bucket (with the length compare left out, 6 of them) */
    for (int set = 0; set < 26 * 26; set++) {
        names[1][0] = (char)('a' + set / 26);
        names[1][1] = (char)('a' + set % 26);
        char others[TH_JKEYS_MAX][32];
        const char *full[TH_JKEYS_MAX] = {names[1]};
        size_t full_len[TH_JKEYS_MAX];
        for (int j = 1; j < TH_JKEYS_MAX; j++) {
            snprintf(others[j], sizeof others[j], "o%d_%d", set, j);
            full[j] = others[j];
        }
        keys_of(&ks, full, full_len, TH_JKEYS_MAX, 0);
        char text[256];
        int w = snprintf(text, sizeof text, "{\"%s\":1,\"%.2s\":2}", names[1], names[1]);
        char *t = exact_copy(text, (size_t)w);
        assert_true(th_jscan_load(s, t, (size_t)w, NULL));
        th_jcur found[TH_JKEYS_MAX];
        bool have[TH_JKEYS_MAX] = {0};
        th_jcur_members_find(th_jscan_root(s), &ks, found, have);
        assert_true(have[0] && !have[1]);
        assert_int_equal(found[0].i, 2);
        free(t);
    }
}

/* A set whose keys of the same length share their first word (8 bytes, or
 * 4 for keys of 4 to 7) hashes both words of a key (ks.prefix false); a set
 * whose keys differ there, the first word alone. Either finds what a plain
 * walk finds among keys that share those words with the set's, in every
 * order. */
static void key_sets_by_first_words(void **state)
{
    (void)state;
    static const char *const shared[] = {"eventSourceA", "eventSourceB", "abcdX",
                                         "abcdY",        "eventName",    "ab"};
    static const char *const apart[] = {"eventSourceA", "eventNameB__", "abcdX",
                                        "wxyzY",        "eventName",    "ab"};
    static const char *const keys[] = {
        "eventSourceA", "eventSourceB", "eventSourceC", "eventNameB__", "eventNameBA_",
        "abcdX",        "abcdY",        "abcdZ",        "wxyzY",        "wxyzX",
        "eventName",    "eventNamf",    "ab",           "ac",           "abcdXY"};
    enum { NSET = 6, NKEY = sizeof keys / sizeof keys[0] };
    const char *const *sets[2] = {shared, apart};
    th_jscan *s = scanners[nscanners - 1];
    uint32_t x = 4242;
    size_t hits = 0;
    for (int k = 0; k < 2; k++) {
        size_t len[NSET];
        th_jkeys ks;
        keys_of(&ks, sets[k], len, NSET, 0);
        assert_int_equal(ks.prefix, k == 1);
        for (int round = 0; round < 200; round++) {
            char text[1024];
            size_t w = 0;
            text[w++] = '{';
            for (int m = 0; m < 10; m++) {
                int i = (int)((x = x * 1103515245u + 12345u) >> 16) % NKEY;
                w += (size_t)snprintf(text + w, sizeof text - w, "%s\"%s\":%d", m ? "," : "",
                                      keys[i], m);
            }
            text[w++] = '}';
            char *t = exact_copy(text, w);
            assert_true(th_jscan_load(s, t, w, NULL));
            th_jcur found[NSET], want[NSET];
            bool have[NSET] = {0}, want_have[NSET] = {0};
            th_jcur_members_find(th_jscan_root(s), &ks, found, have);
            members_by_walk(th_jscan_root(s), NSET, sets[k], want, want_have);
            for (int i = 0; i < NSET; i++) {
                assert_int_equal(have[i], want_have[i]);
                if (have[i]) {
                    assert_int_equal(found[i].i, want[i].i);
                    hits++;
                }
            }
            free(t);
        }
    }
    assert_true(hits > 400);
}

/* th_jkeys_build: a full set of short keys that differ in one byte each
 * finds every one; more keys than TH_JKEYS_MAX, or a repeated key, fail. */
static void key_sets_build(void **state)
{
    (void)state;
    char names[TH_JKEYS_MAX + 1][16];
    const char *name[TH_JKEYS_MAX + 1];
    size_t len[TH_JKEYS_MAX + 1];
    int id[TH_JKEYS_MAX + 1];
    char text[1024];
    size_t w = 0;
    text[w++] = '{';
    for (int i = 0; i <= TH_JKEYS_MAX; i++) {
        snprintf(names[i], sizeof names[i], "k%c%s", 'A' + i % 26, i < 26 ? "" : "x");
        name[i] = names[i];
        len[i] = strlen(names[i]);
        id[i] = i;
        w += (size_t)snprintf(text + w, sizeof text - w, "%s\"%s\":%d", i ? "," : "", names[i], i);
    }
    text[w++] = '}';
    th_jkeys ks;
    assert_false(th_jkeys_build(&ks, TH_JKEYS_MAX + 1, name, len, id));
    assert_true(th_jkeys_build(&ks, TH_JKEYS_MAX, name, len, id));
    th_jscan *s = scanners[nscanners - 1];
    assert_true(th_jscan_load(s, text, w, NULL));
    th_jcur found[TH_JKEYS_MAX + 1];
    bool have[TH_JKEYS_MAX + 1] = {0};
    th_jcur_members_find(th_jscan_root(s), &ks, found, have);
    for (int i = 0; i <= TH_JKEYS_MAX; i++) {
        assert_int_equal(have[i], i < TH_JKEYS_MAX);
        if (i < TH_JKEYS_MAX) {
            char want[16];
            snprintf(want, sizeof want, "%d", i);
            th_str v = th_jcur_raw(found[i]);
            assert_int_equal(v.n, strlen(want));
            assert_memory_equal(v.p, want, v.n);
        }
    }
    name[1] = name[0];
    len[1] = len[0];
    assert_false(th_jkeys_build(&ks, 2, name, len, id));
}

/* A callback that narrows the set it was given to '@' keys after its first
 * call (io/classify.c narrows so). */
typedef struct narrowing {
    uint64_t set[4];
    sized_seen seen;
} narrowing;

static bool narrow_member(void *ctx, th_str k, th_jcur val)
{
    narrowing *x = ctx;
    sized_member(&x->seen, k, val);
    x->set[0] = x->set[2] = x->set[3] = 0;
    x->set[1] = 1ull << ('@' - 64);
    return true;
}

/* A callback that ends the walk at the member whose key is its context's
 * text, remembering that member's value. */
typedef struct ending {
    const char *at;
    th_jcur val;
    sized_seen seen;
} ending;

static bool end_member(void *ctx, th_str k, th_jcur val)
{
    ending *x = ctx;
    sized_member(&x->seen, k, val);
    x->val = val;
    return !(k.n == strlen(x->at) && memcmp(k.p, x->at, k.n) == 0);
}

/* Whether a member of obj after the one whose value is val has a raw key
 * whose byte after its opening quote is in first[], by a plain walk: what
 * th_jcur_members_after must say. */
static bool after_by_walk(th_jcur obj, th_jcur val, const bool *first)
{
    th_jiter it = th_jcur_iter(obj);
    th_jcur key, v;
    bool past = false, seen = false;
    while (th_jiter_next(&it, &key, &v)) {
        th_str k = th_jcur_raw(key);
        if (past && first[(unsigned char)k.p[1]])
            seen = true;
        past |= v.i == val.i;
    }
    return seen;
}

/* th_jcur_members_first ended by its callback: no member after that one;
 * th_jcur_members_after from each member of objects with nested containers,
 * empty keys, escaped keys, raw bytes 64 and 128 away from '@' and the bytes
 * at either end, for sets of one or two bytes and the empty key's quote: a
 * plain walk's answer (a loop that started at the member itself, or took a
 * container's members for keys, fails). */
static void members_after(void **state)
{
    (void)state;
    static const char *const text[] = {
        "{\"eventVersion\":\"1\",\"a\":{\"@x\":1},\"\":2,\"@t\":[{\"@y\":3}],\"b\":4}",
        "{\"@timestamp\":1,\"eventTime\":{\"@timestamp\":{\"\\\\u0040\":2}},\"\":\"@\"}",
        "{\"x\":[1,2,{\"@\":3}],\"\\u0040timestamp\":4,\"y\":{},\"z\":[]}",
        "{\"only\":{\"@a\":{\"@b\":1}}}",
        "{\"a\":1,\"b\":2,\"c\":3,\"@d\":4,\"\\\\\":5}",
        "{\"a\":1,\"\x01x\":2,\"c\":3,\"\x80y\":4,\"\xc0z\":5,\"e\":{\"@\":5}}",
    };
    static const unsigned char sets[][2] = {{'@', '@'}, {'@', '\\'}, {'\\', '\\'},
                                            {'b', 'z'}, {'a', '"'}};
    th_jscan *s = scanners[nscanners - 1];
    size_t checked = 0, trues = 0;
    for (size_t r = 0; r < sizeof text / sizeof text[0]; r++) {
        assert_true(th_jscan_load(s, text[r], strlen(text[r]), NULL));
        th_jcur root = th_jscan_root(s);
        th_jiter it = th_jcur_iter(root);
        th_jcur key, val;
        while (th_jiter_next(&it, &key, &val)) {
            for (size_t j = 0; j < sizeof sets / sizeof sets[0]; j++) {
                bool first[256] = {0};
                first[sets[j][0]] = first[sets[j][1]] = true;
                bool want = after_by_walk(root, val, first);
                assert_int_equal(th_jcur_members_after(root, val, first), want);
                checked++;
                trues += want;
            }
        }
    }
    assert_true(checked > 60 && trues > 10 && trues < checked - 10);
    /* the walk ends at the member whose callback said so */
    const char *t = "{\"abc\":1,\"stop\":{\"abd\":2},\"abe\":3,\"@\":4}";
    assert_true(th_jscan_load(s, t, strlen(t), NULL));
    uint64_t all[4] = {~0ull, ~0ull, ~0ull, ~0ull};
    ending e = {"stop", {NULL, 0}, {.n = 0}};
    th_jcur_members_first(th_jscan_root(s), all, end_member, &e);
    assert_int_equal(e.seen.n, 2);
    assert_string_equal(e.seen.keys[1], "stop");
    bool at[256] = {['@'] = true}, xy[256] = {['x'] = true, ['y'] = true};
    assert_true(th_jcur_members_after(th_jscan_root(s), e.val, at));
    assert_false(th_jcur_members_after(th_jscan_root(s), e.val, xy));
}

/* th_jcur_members_first: the members whose raw key starts with a byte of the
 * set, in order; never the empty key, nor members of nested objects. The set
 * as it is at each member: a callback may change it. */
static void members_by_first_byte(void **state)
{
    (void)state;
    const char *text =
        "{\"abc\":1,\"\":2,\"eventName\":{\"apple\":9},\"xyz\":3,\"\\u0065x\":4,\"@t\":5,\"ab\":6}";
    th_jscan *s = scanners[nscanners - 1];
    assert_true(th_jscan_load(s, text, strlen(text), NULL));
    uint64_t set[4] = {0, 0, 0, 0};
    const unsigned char firsts[] = {'a', 'e', '@', '\\'};
    for (size_t i = 0; i < sizeof firsts; i++)
        set[firsts[i] >> 6] |= 1ull << (firsts[i] & 63);
    sized_seen x = {0};
    th_jcur_members_first(th_jscan_root(s), set, sized_member, &x);
    assert_int_equal(x.n, 5); /* not "", xyz, nor the nested apple */
    assert_string_equal(x.keys[0], "abc");
    assert_string_equal(x.vals[0], "1");
    assert_string_equal(x.keys[1], "eventName");
    assert_string_equal(x.vals[1], "{\"apple\":9}");
    assert_string_equal(x.keys[2], "\\u0065x"); /* raw, not decoded */
    assert_string_equal(x.vals[2], "4");
    assert_string_equal(x.keys[3], "@t");
    assert_string_equal(x.keys[4], "ab");
    assert_string_equal(x.vals[4], "6");
    narrowing w;
    memset(&w, 0, sizeof w);
    memcpy(w.set, set, sizeof set);
    th_jcur_members_first(th_jscan_root(s), w.set, narrow_member, &w);
    assert_int_equal(w.seen.n, 2); /* abc, then only @t */
    assert_string_equal(w.seen.keys[0], "abc");
    assert_string_equal(w.seen.keys[1], "@t");
    uint64_t none[4] = {0, 0, 0, 0};
    sized_seen y = {0};
    th_jcur_members_first(th_jscan_root(s), none, sized_member, &y);
    assert_int_equal(y.n, 0);
    uint64_t all[4] = {~0ull, ~0ull, ~0ull, ~0ull};
    sized_seen z = {0}; /* not an object: nothing */
    assert_true(th_jscan_load(s, "[1,2]", 5, NULL));
    th_jcur_members_first(th_jscan_root(s), all, sized_member, &z);
    assert_int_equal(z.n, 0);
}

/* th_jscan_has_ctl_high and th_jscan_has_at under every implementation: each
 * byte value at positions across the first block, the second one and the
 * padded tail. */
static void ctl_high_every_byte(void **state)
{
    (void)state;
    stats st = {0, 0, 0, 0};
    char buf[160];
    size_t n = 150;
    for (unsigned v = 0; v < 256; v++) {
        for (size_t at = 7; at < n - 2; at += 11) {
            memset(buf, 'x', n);
            memcpy(buf, "{\"a\":\"", 6);
            buf[n - 2] = '"';
            buf[n - 1] = '}';
            buf[at] = (char)v;
            differential(buf, n, &st); /* checks the flag against the bytes */
        }
    }
    assert_true(st.inputs == 256 * 13);
}

/* Every byte value outside strings, inside a run of scalar bytes, at
 * positions across the first block, the second one and the padded tail,
 * alone and after a backslash (which escapes it): whether the byte ends a
 * scalar token, is a bracket, a quote or a backslash decides the index, which
 * the differential holds to the scalar stage 1's for every implementation
 * (the SIMD variants classify by table lookups: a byte in the wrong class
 * shows here, where text inside strings hides it). */
static void classes_every_byte_outside_strings(void **state)
{
    (void)state;
    stats st = {0, 0, 0, 0};
    char buf[160];
    size_t n = 150;
    for (unsigned v = 0; v < 256; v++) {
        for (size_t at = 2; at < n - 2; at += 9) {
            for (int escaped = 0; escaped < 2; escaped++) {
                memset(buf, 'x', n);
                buf[0] = '[';
                buf[n - 1] = ']';
                if (escaped)
                    buf[at - 1] = '\\';
                buf[at] = (char)v;
                differential(buf, n, &st);
            }
        }
    }
    assert_true(st.inputs == 256 * 17 * 2);
}

/* Stage 1 indexes no ':' or ',': stage 2 reads them between entries, where
 * th_json_parse expects a separator. Every insertion of a ':', ',', space or
 * newline, every deletion and every swap of neighbours in a few small
 * documents (members with strings, literals, numbers, containers, at the
 * start, middle and end of objects and arrays) goes through the
 * differential, which holds the verdict, offset and reason of such plain
 * text against th_json_parse's. */
static void separators_between_entries(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{\"a\":\"x\",\"b\":true,\"c\":null,\"d\":false,\"e\":\"y\"}",
        "{\"a\":{\"b\":\"x\"},\"c\":[1,\"y\",{}],\"d\":[],\"e\":{\"f\":2}}",
        "[\"x\",true,{\"a\":1},[2,3],-4.5e1,null,\"\"]",
        "{\"a\":1,\"b\":[{\"c\":\"d\"}],\"e\":\"f\"}",
    };
    static const char ins[] = ":, \n";
    stats st = {0, 0, 0, 0};
    char buf[128];
    for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++) {
        size_t n = strlen(docs[d]);
        assert_true(n + 1 < sizeof buf);
        differential(docs[d], n, &st);
        for (size_t at = 0; at <= n; at++) {
            for (size_t k = 0; k < sizeof ins - 1; k++) { /* insert */
                memcpy(buf, docs[d], at);
                buf[at] = ins[k];
                memcpy(buf + at + 1, docs[d] + at, n - at);
                differential(buf, n + 1, &st);
            }
            if (at < n) { /* delete */
                memcpy(buf, docs[d], at);
                memcpy(buf + at, docs[d] + at + 1, n - at - 1);
                differential(buf, n - 1, &st);
            }
            if (at + 1 < n) { /* swap */
                memcpy(buf, docs[d], n);
                buf[at] = docs[d][at + 1];
                buf[at + 1] = docs[d][at];
                differential(buf, n, &st);
            }
        }
    }
    print_message("separators: %zu inputs, %zu valid, %zu malformed plain text\n", st.inputs,
                  st.dom_ok, st.plain_bad);
    assert_true(st.dom_ok > 100);
    assert_true(st.plain_bad > 500);
}

/* th_jplain_str reads every value of a text without a backslash as
 * th_jcur_str does (strings of every length, the empty one, strings of
 * other bytes; false for the other types), on every implementation; a text
 * with a backslash gives no view at all. */
static void plain_strings_as_jcur_str(void **state)
{
    (void)state;
    const char *text =
        "{\"a\":\"\",\"bb\":[\"x\",1,\"{}[]:,\",null,true,{\"c\":\"\xc3\xa9 tab\t\"}],"
        "\"ddd\":-0.5e3,\"e\":{},\"f\":\"a string of thirty-two bytes!!!\"}";
    th_arena a;
    th_arena_init(&a, 0);
    for (int i = 0; i < nscanners; i++) {
        th_jscan *s = scanners[i];
        th_json_error e;
        assert_true(th_jscan_load(s, text, strlen(text), &e));
        th_jscan_plain v = th_jscan_plain_of(s);
        assert_non_null(v.p);
        size_t strs = 0;
        /* every value on the tape: index j is some value's node */
        th_jcur root = th_jscan_root(s);
        th_jcur stack[16];
        size_t n = 0;
        stack[n++] = root;
        while (n) {
            th_jcur c = stack[--n];
            th_str want, got = TH_STR_NULL;
            bool ok = th_jcur_str(c, &a, &want);
            assert_int_equal(th_jplain_str(v, c, &got), ok);
            if (ok) {
                strs++;
                assert_true(want.p == got.p && want.n == got.n);
            }
            th_jiter it = th_jcur_iter(c);
            th_jcur key, item;
            while (th_jiter_next(&it, &key, &item)) {
                if (it.obj) {
                    assert_true(th_jplain_str(v, key, &got));
                    assert_true(th_jcur_str(key, &a, &want) && th_str_eq(want, got));
                }
                assert_true(n < 16);
                stack[n++] = item;
            }
        }
        assert_int_equal(strs, 5);
    }
    const char *esc = "{\"a\":\"b\\\"c\"}";
    th_json_error e;
    assert_true(th_jscan_load(scanners[0], esc, strlen(esc), &e));
    th_jscan_plain v = th_jscan_plain_of(scanners[0]);
    assert_null(v.p);
    assert_null(v.tape);
    th_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tables_of_valid_text),
        cmocka_unit_test(members_by_first_byte),
        cmocka_unit_test(members_after),
        cmocka_unit_test(ctl_high_every_byte),
        cmocka_unit_test(classes_every_byte_outside_strings),
        cmocka_unit_test(escapes_across_block_boundaries),
        cmocka_unit_test(deep_nesting),
        cmocka_unit_test(malformed_forms_carry_offsets),
        cmocka_unit_test(separators_between_entries),
        cmocka_unit_test(string_contents_checked_by_to_jval),
        cmocka_unit_test(cursors_find_fields),
        cmocka_unit_test(plain_strings_as_jcur_str),
        cmocka_unit_test(members_by_key_set),
        cmocka_unit_test(members_across_shapes),
        cmocka_unit_test(near_keys_never_match),
        cmocka_unit_test(lengths_64_apart),
        cmocka_unit_test(key_sets_by_first_words),
        cmocka_unit_test(key_sets_build),
        cmocka_unit_test(implementation_choice),
        cmocka_unit_test(random_and_mutated_inputs_agree),
        cmocka_unit_test(elements_as_roots),
        cmocka_unit_test(real_cloudtrail_records),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
