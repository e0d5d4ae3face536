/* json/: reader (zero copy, errors with offsets), path resolution, builders, writer. */
#include "th_test.h"

#include <stdlib.h>
#include <string.h>

#include "json/json.h"

static th_jval *parse(th_arena *a, const char *s)
{
    th_json_error e;
    th_jval *v = th_json_parse(a, s, strlen(s), &e);
    if (!v)
        fail_msg("parse failed at %zu: %s", e.offset, e.reason);
    return v;
}

static void reads_all_types_and_borrows_plain_strings(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 0);
    const char *text = "{\"a\":\"plain\",\"b\":\"esc\\n\\u00e9\\ud83d\\ude00\",\"n\":-1.5e3,"
                       "\"t\":true,\"f\":false,\"z\":null,\"arr\":[1,[2],{}]}";
    th_jval *v = parse(&a, text);
    th_str s = th_jstr(th_jobj_get(v, "a"));
    assert_true(s.p >= text && s.p < text + strlen(text)); /* zero copy */
    assert_true(th_str_eqc(s, "plain"));
    assert_true(th_str_eqc(th_jstr(th_jobj_get(v, "b")), "esc\n\xc3\xa9\xf0\x9f\x98\x80"));
    double d;
    assert_true(th_jnum_double(th_jobj_get(v, "n"), &d));
    assert_true(d == -1500.0);
    int64_t i;
    assert_false(th_jnum_i64(th_jobj_get(v, "n"), &i));
    assert_int_equal(th_jobj_get(v, "t")->type, TH_JTRUE);
    assert_int_equal(th_jobj_get(v, "z")->type, TH_JNULL);
    assert_int_equal(th_jobj_get(v, "arr")->len, 3);
    th_arena_free(&a);
}

static void errors_carry_offsets(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 0);
    struct {
        const char *text;
        size_t offset;
    } cases[] = {
        {"{\"a\":1,}", 7},         {"[1,2", 4},          {"{\"a\" 1}", 5},
        {"\"abc", 0},              {"tru", 0},           {"{\"a\":01}", 6},
        {"[1] x", 4},              {"\"a\x01\"", 2},     {"\"\xff\"", 1},
        {"\"\\q\"", 1},            {"", 0},              {"-", 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        th_json_error e;
        th_jval *v = th_json_parse(&a, cases[k].text, strlen(cases[k].text), &e);
        assert_null(v);
        assert_non_null(e.reason);
        if (e.offset != cases[k].offset)
            fail_msg("case %zu (%s): offset %zu, wanted %zu (%s)", k, cases[k].text, e.offset,
                     cases[k].offset, e.reason);
    }
    th_arena_free(&a);
}

static void deep_nesting_is_rejected_not_crashing(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 0);
    size_t n = 100000;
    char *s = malloc(n + 1);
    memset(s, '[', n);
    s[n] = '\0';
    th_json_error e;
    assert_null(th_json_parse(&a, s, n, &e));
    assert_string_equal(e.reason, "nesting too deep");
    free(s);
    th_arena_free(&a);
}

static bool collect(const th_jval *v, void *ctx)
{
    th_buf *b = ctx;
    th_json_write(b, v);
    th_buf_putc(b, ';');
    return true;
}

static void path_flattens_arrays_and_reads_dotted_keys(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 0);
    th_jval *v = parse(&a, "{\"a\":{\"items\":[{\"x\":1},{\"x\":[2,3]},{\"y\":4}]},"
                           "\"event.action\":\"Dotted\",\"event\":{\"provider\":\"p\"},"
                           "\"n\":null}");
    th_buf b;
    th_buf_init(&b);
    th_json_path_each(v, th_str_c("a.items.x"), collect, &b);
    assert_string_equal(b.data, "1;2;3;");
    th_buf_clear(&b);
    th_json_path_each(v, th_str_c("event.action"), collect, &b);
    assert_string_equal(b.data, "\"Dotted\";");
    th_buf_clear(&b);
    th_json_path_each(v, th_str_c("event.provider"), collect, &b);
    assert_string_equal(b.data, "\"p\";");
    assert_null(th_json_path_first(v, th_str_c("n")));
    assert_null(th_json_path_first(v, th_str_c("a.items.z")));
    th_buf_free(&b);
    th_arena_free(&a);
}

/* ---- th_json_path_each against a plain reference over random documents -- */

/* The reference: a member matches when its key starts the path and ends at
 * the path's end or at a '.' (compared byte by byte); arrays are flattened. */
static bool ref_flat(const th_jval *v, th_json_visit_fn visit, void *ctx)
{
    if (v->type != TH_JARR)
        return visit(v, ctx);
    for (uint32_t i = 0; i < v->len; i++)
        if (!ref_flat(v->u.items[i], visit, ctx))
            return false;
    return true;
}

static bool ref_walk(const th_jval *v, th_str path, th_json_visit_fn visit, void *ctx)
{
    if (v->type == TH_JARR) {
        for (uint32_t i = 0; i < v->len; i++)
            if (!ref_walk(v->u.items[i], path, visit, ctx))
                return false;
        return true;
    }
    if (v->type != TH_JOBJ)
        return true;
    for (uint32_t i = 0; i < v->len; i++) {
        th_str k = v->u.members[i].key;
        if (k.n > path.n)
            continue;
        bool same = true;
        for (size_t j = 0; j < k.n; j++)
            same = same && k.p[j] == path.p[j];
        if (!same)
            continue;
        if (k.n == path.n) {
            if (!ref_flat(v->u.members[i].val, visit, ctx))
                return false;
        } else if (path.p[k.n] == '.') {
            if (!ref_walk(v->u.members[i].val, th_str_make(path.p + k.n + 1, path.n - k.n - 1),
                          visit, ctx))
                return false;
        }
    }
    return true;
}

/* th_json_path_each: an empty path has no values */
static bool ref_each(const th_jval *doc, th_str path, th_json_visit_fn visit, void *ctx)
{
    return path.n == 0 || ref_walk(doc, path, visit, ctx);
}

typedef struct seen {
    const th_jval *v[256];
    size_t n, stop; /* stop after `stop` visits (0: never) */
} seen;

static bool remember(const th_jval *v, void *ctx)
{
    seen *s = ctx;
    if (s->n < 256)
        s->v[s->n] = v;
    s->n++;
    return s->stop == 0 || s->n < s->stop;
}

static uint64_t rnd_next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* 60, 63 and 65 bytes: keys and chains of segments of 64 bytes or more */
#define A60 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A63 A60 "aaa"
#define A65 A60 "aaaaa"

/* Keys made of the path's segments, alone or joined by dots (flattened
 * keys), and near misses: a prefix, a longer key, a trailing dot, empty. */
static const char *const rnd_keys[] = {
    "a", "b", "ab", "a.b", "b.a", "a.b.c", "c", "", "a.", ".b", "abcdefgh", "abcdefghi",
    "abcdefgh.b", "aaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaab", "event", "event.action", "action",
    "a.b.d", "abcdefgx", "event.actiom", "evenz", "ac", "abd", "abc",
    A60, A65, "abcdefgh." A60, "x." A65, A65 ".b", "x", A63 ".b", A63,
};
#define RND_NKEYS (sizeof rnd_keys / sizeof rnd_keys[0])

static th_jval *rnd_value(th_arena *a, uint64_t *x, int depth)
{
    unsigned r = (unsigned)(rnd_next(x) % 10);
    if (depth >= 4 || r < 3)
        return r == 0 ? th_jnew(a, TH_JNULL) : th_jnew_cstr(a, rnd_keys[rnd_next(x) % RND_NKEYS]);
    if (r < 5) {
        th_jval *arr = th_jnew_arr(a);
        for (unsigned i = (unsigned)(rnd_next(x) % 4); i > 0; i--)
            th_jarr_push(a, arr, rnd_value(a, x, depth + 1));
        return arr;
    }
    th_jval *o = th_jnew_obj(a);
    for (unsigned i = (unsigned)(rnd_next(x) % 6); i > 0; i--) {
        /* appended: duplicate keys are kept, as a parsed document may have them */
        th_jval *v = rnd_value(a, x, depth + 1);
        if (o->len == o->cap) {
            uint32_t cap = o->cap ? o->cap * 2 : 4;
            o->u.members = th_arena_realloc(a, o->u.members, o->len * sizeof(th_jmember),
                                            cap * sizeof(th_jmember));
            o->cap = cap;
        }
        o->u.members[o->len].key = th_str_c(rnd_keys[rnd_next(x) % RND_NKEYS]);
        o->u.members[o->len].val = v;
        o->len++;
    }
    return o;
}

static void path_each_matches_reference_on_random_documents(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "a", "a.b", "a.b.c", "b.a", "ab", "a..b", "a.", ".b", "abcdefgh.b", "abcdefghi",
        "aaaaaaaaaaaaaaaaaaaaa.b", "event.action", "a.b.c.a.b", "c", "x", "abc", "abcdefgx.a",
    };
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t visits = 0;
    for (int round = 0; round < 3000; round++) {
        th_arena a;
        th_arena_init(&a, 0);
        th_jval *doc = rnd_value(&a, &x, 0);
        for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
            th_str path = th_str_c(paths[p]);
            for (size_t stop = 0; stop < 3; stop++) {
                seen want = {.stop = stop}, got = {.stop = stop};
                bool w = ref_each(doc, path, remember, &want);
                bool g = th_json_path_each(doc, path, remember, &got);
                assert_int_equal(w, g);
                assert_int_equal(want.n, got.n);
                for (size_t i = 0; i < want.n && i < 256; i++)
                    assert_ptr_equal(want.v[i], got.v[i]);
                visits += got.n;
            }
        }
        th_arena_free(&a);
    }
    assert_true(visits > 5000); /* the documents do reach the paths (8,091 visits) */
}

static void build_and_write(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 0);
    th_jval *o = th_jnew_obj(&a);
    th_jobj_set_path(&a, o, "event.action", th_jnew_cstr(&a, "X\"y\n"));
    th_jobj_set_path(&a, o, "event.kind", th_jnew_cstr(&a, "event"));
    th_jobj_set_path(&a, o, "b", th_jnew_i64(&a, -42));
    th_jobj_set_path(&a, o, "a", th_jnew_double(&a, 0.1));
    th_buf b;
    th_buf_init(&b);
    th_json_write(&b, o);
    assert_string_equal(b.data, "{\"event\":{\"action\":\"X\\\"y\\n\",\"kind\":\"event\"},\"b\":-42,\"a\":0.1}");
    th_buf_clear(&b);
    th_json_write_sorted(&b, o);
    assert_string_equal(b.data, "{\"a\":0.1,\"b\":-42,\"event\":{\"action\":\"X\\\"y\\n\",\"kind\":\"event\"}}");
    /* round trip and equality */
    th_jval *back = parse(&a, b.data);
    assert_true(th_json_equal(back, o));
    assert_true(th_jobj_remove_path(o, "event.kind"));
    assert_false(th_json_equal(back, o));
    th_buf_clear(&b);
    th_jw w;
    th_jw_init(&w, &b);
    th_jw_obj(&w);
    th_jw_key(&w, "list");
    th_jw_arr(&w);
    th_jw_int(&w, 1);
    th_jw_cstr(&w, "two");
    th_jw_obj(&w);
    th_jw_end(&w);
    th_jw_end(&w);
    th_jw_key(&w, "t");
    th_jw_time(&w, 0);
    th_jw_end(&w);
    assert_string_equal(b.data, "{\"list\":[1,\"two\",{}],\"t\":\"1970-01-01T00:00:00.000Z\"}");
    th_buf_free(&b);
    th_arena_free(&a);
}

/* The plain writer the tree writer must agree with: byte by byte, every
 * string escaped as JSON requires, through th_buf's own appends. */
static void ref_write(th_buf *b, const th_jval *v)
{
    switch (v->type) {
    case TH_JNULL: th_buf_puts(b, "null"); break;
    case TH_JTRUE: th_buf_puts(b, "true"); break;
    case TH_JFALSE: th_buf_puts(b, "false"); break;
    case TH_JNUM: th_buf_putstr(b, v->u.str); break;
    case TH_JSTR:
        th_buf_putc(b, '"');
        for (size_t i = 0; i < v->u.str.n; i++) {
            unsigned char c = (unsigned char)v->u.str.p[i];
            switch (c) {
            case '"': th_buf_puts(b, "\\\""); break;
            case '\\': th_buf_puts(b, "\\\\"); break;
            case '\n': th_buf_puts(b, "\\n"); break;
            case '\r': th_buf_puts(b, "\\r"); break;
            case '\t': th_buf_puts(b, "\\t"); break;
            case '\b': th_buf_puts(b, "\\b"); break;
            case '\f': th_buf_puts(b, "\\f"); break;
            default:
                if (c < 0x20)
                    th_buf_printf(b, "\\u%04x", c);
                else
                    th_buf_putc(b, (char)c);
            }
        }
        th_buf_putc(b, '"');
        break;
    case TH_JARR:
        th_buf_putc(b, '[');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                th_buf_putc(b, ',');
            ref_write(b, v->u.items[i]);
        }
        th_buf_putc(b, ']');
        break;
    case TH_JOBJ:
        th_buf_putc(b, '{');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                th_buf_putc(b, ',');
            th_jval key = {.type = TH_JSTR, .u.str = v->u.members[i].key};
            ref_write(b, &key);
            th_buf_putc(b, ':');
            ref_write(b, v->u.members[i].val);
        }
        th_buf_putc(b, '}');
        break;
    }
}

/* A string of n bytes from the generator's state, with a byte to escape now
 * and then (quotes, backslashes, control bytes) among plain ones. */
static th_str gen_text(th_arena *a, uint32_t *rng, size_t n)
{
    char *p = th_arena_alloc(a, n + 1);
    for (size_t i = 0; i < n; i++) {
        *rng = *rng * 1103515245u + 12345u;
        uint32_t r = *rng >> 16;
        p[i] = r % 23 == 0 ? "\"\\\n\x01\x1f\t"[r % 6] : (char)('a' + r % 26);
    }
    p[n] = '\0';
    return th_str_make(p, n);
}

static th_jval *gen_value(th_arena *a, uint32_t *rng, int depth)
{
    *rng = *rng * 1103515245u + 12345u;
    uint32_t r = *rng >> 16;
    switch (depth > 3 ? r % 5 : r % 7) {
    case 0: return th_jnew(a, TH_JNULL);
    case 1: return th_jnew_bool(a, r & 64);
    case 2: return th_jnew_i64(a, (int64_t)r - 30000);
    case 3:
    case 4: return th_jnew_str(a, gen_text(a, rng, r % 7 == 0 ? r % 300 : r % 40));
    case 5: {
        th_jval *arr = th_jnew_arr(a);
        for (uint32_t i = 0, n = r % 6; i < n; i++)
            th_jarr_push(a, arr, gen_value(a, rng, depth + 1));
        return arr;
    }
    default: {
        th_jval *obj = th_jnew_obj(a);
        for (uint32_t i = 0, n = r % 12; i < n; i++)
            th_jobj_push(a, obj, gen_text(a, rng, 1 + i % 20), gen_value(a, rng, depth + 1));
        return obj;
    }
    }
}

/* th_json_write writes what the plain writer writes, appended after what the
 * buffer holds, NUL-terminated, whether the buffer grows during the document
 * (it starts empty, or small and partly filled) or not. */
static void write_matches_plain_writer(void **state)
{
    (void)state;
    uint32_t rng = 7;
    size_t grew = 0, escaped = 0;
    for (int doc = 0; doc < 300; doc++) {
        th_arena a;
        th_arena_init(&a, 0);
        th_jval *v = th_jnew_arr(&a); /* up to a few KiB */
        for (int i = 0; i < 1 + doc % 20; i++)
            th_jarr_push(&a, v, gen_value(&a, &rng, i % 3 ? 0 : 4));
        th_buf want, got;
        th_buf_init(&want);
        th_buf_init(&got);
        th_buf_puts(&want, "prefix,");
        ref_write(&want, v);
        if (doc % 2)
            th_buf_puts(&got, "prefix,"); /* 256 bytes of room: most documents grow it */
        else
            th_buf_reserve(&got, want.len + 16); /* no growth */
        if (!(doc % 2))
            th_buf_puts(&got, "prefix,");
        size_t cap0 = got.cap;
        th_json_write(&got, v);
        grew += got.cap != cap0;
        escaped += memchr(want.data, '\\', want.len) != NULL;
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, want.len);
        assert_int_equal(got.data[got.len], '\0');
        th_buf_free(&want);
        th_buf_free(&got);
        th_arena_free(&a);
    }
    assert_true(grew > 50);    /* the growth path is taken */
    assert_true(escaped > 50); /* and the escapes */
}

/* A value for the pruning writer: about half of the scalars are what pruning
 * drops (null, ""), and containers are often empty or hold only such values,
 * at any depth, among long strings that make the buffer grow. */
static th_jval *gen_sparse(th_arena *a, uint32_t *rng, int depth)
{
    *rng = *rng * 1103515245u + 12345u;
    uint32_t r = *rng >> 16;
    switch (depth > 4 ? r % 6 : r % 9) {
    case 0:
    case 1: return th_jnew(a, TH_JNULL);
    case 2: return th_jnew_str(a, TH_STR_NULL);
    case 3: return th_jnew_str(a, th_str_make("", 0));
    case 4: return r & 64 ? th_jnew_bool(a, r & 128) : th_jnew_i64(a, (int64_t)r - 30000);
    case 5: return th_jnew_str(a, gen_text(a, rng, 1 + (r % 5 == 0 ? r % 400 : r % 30)));
    case 6: {
        th_jval *arr = th_jnew_arr(a);
        for (uint32_t i = 0, n = r % 5; i < n; i++)
            th_jarr_push(a, arr, gen_sparse(a, rng, depth + 1));
        return arr;
    }
    default: {
        th_jval *obj = th_jnew_obj(a);
        for (uint32_t i = 0, n = r % 7; i < n; i++)
            th_jobj_push(a, obj, gen_text(a, rng, 1 + i % 12), gen_sparse(a, rng, depth + 1));
        return obj;
    }
    }
}

/* The reference pruning: a copy of v without what the mapper's final_prune
 * removes (null, "", and containers left with nothing, at every depth), NULL
 * when v itself is removed. Written for clarity, not speed. */
static th_jval *ref_pruned(th_arena *a, const th_jval *v)
{
    if (v->type == TH_JNULL || (v->type == TH_JSTR && v->u.str.n == 0))
        return NULL;
    if (v->type == TH_JARR) {
        th_jval *arr = th_jnew_arr(a);
        for (uint32_t i = 0; i < v->len; i++) {
            th_jval *x = ref_pruned(a, v->u.items[i]);
            if (x)
                th_jarr_push(a, arr, x);
        }
        return arr->len ? arr : NULL;
    }
    if (v->type == TH_JOBJ) {
        th_jval *obj = th_jnew_obj(a);
        for (uint32_t i = 0; i < v->len; i++) {
            th_jval *x = ref_pruned(a, v->u.members[i].val);
            if (x)
                th_jobj_push(a, obj, v->u.members[i].key, x);
        }
        return obj->len ? obj : NULL;
    }
    return (th_jval *)v;
}

/* th_json_write_pruned writes what the plain writer writes of the pruned
 * copy ("{}" or "[]" for a root left with nothing), appended after what the
 * buffer holds, NUL-terminated; whether the buffer grows or not, also where
 * a container written speculatively is taken back after the growth. */
static void write_pruned_matches_pruned_copy(void **state)
{
    (void)state;
    uint32_t rng = 11;
    size_t grew = 0, dropped = 0, emptied = 0, escaped = 0;
    for (int doc = 0; doc < 2000; doc++) {
        th_arena a;
        th_arena_init(&a, 0);
        th_jval *v = doc % 3 ? th_jnew_obj(&a) : th_jnew_arr(&a);
        for (int i = 0; i < doc % 25; i++) {
            th_jval *x = gen_sparse(&a, &rng, i % 4 ? 0 : 3);
            if (v->type == TH_JOBJ)
                th_jobj_push(&a, v, gen_text(&a, &rng, 1 + i % 9), x);
            else
                th_jarr_push(&a, v, x);
        }
        th_jval *p = ref_pruned(&a, v);
        th_buf want, got, plain;
        th_buf_init(&want);
        th_buf_init(&got);
        th_buf_init(&plain);
        th_buf_puts(&want, "prefix,");
        if (p)
            ref_write(&want, p);
        else
            th_buf_puts(&want, v->type == TH_JOBJ ? "{}" : "[]");
        if (doc % 2)
            th_buf_puts(&got, "prefix,"); /* 256 bytes of room: many documents grow it */
        else
            th_buf_reserve(&got, want.len + 16);
        if (!(doc % 2))
            th_buf_puts(&got, "prefix,");
        size_t cap0 = got.cap;
        th_json_write_pruned(&got, v);
        grew += got.cap != cap0;
        th_json_write(&plain, v);
        dropped += plain.len + 7 != want.len;
        emptied += !p && v->len;
        escaped += memchr(want.data, '\\', want.len) != NULL;
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, want.len);
        assert_int_equal(got.data[got.len], '\0');
        th_buf_free(&want);
        th_buf_free(&got);
        th_buf_free(&plain);
        th_arena_free(&a);
    }
    assert_true(grew > 200);    /* the growth path is taken */
    assert_true(dropped > 1000); /* most documents lose something */
    assert_true(emptied > 20);  /* some lose everything */
    assert_true(escaped > 100);
}

/* th_jobj_getn finds the last member with a key, th_jobj_set replaces that
 * one (or appends), th_jobj_remove removes every one: on random objects of 0
 * to 40 members with duplicate keys of equal and different lengths, against
 * a search of the members from the first. */
static void lookups_find_the_last_duplicate(void **state)
{
    (void)state;
    static const char *const keys[] = {"a",       "b",          "ab",         "ba",    "abc",
                                       "user",    "tags",       "event",      "cloud", "source",
                                       "related", "user_agent", "data_stream"};
    enum { NKEYS = sizeof keys / sizeof keys[0] };
    uint32_t rng = 3;
    for (int t = 0; t < 2000; t++) {
        th_arena a;
        th_arena_init(&a, 0);
        th_jval *o = th_jnew_obj(&a);
        rng = rng * 1103515245u + 12345u;
        uint32_t n = (rng >> 16) % 41;
        for (uint32_t i = 0; i < n; i++) {
            rng = rng * 1103515245u + 12345u;
            th_jobj_push(&a, o, th_str_c(keys[(rng >> 16) % NKEYS]), th_jnew_i64(&a, i));
        }
        for (int k = 0; k < NKEYS; k++) {
            th_str key = th_str_c(keys[k]);
            th_jval *last = NULL;
            uint32_t count = 0;
            for (uint32_t i = 0; i < o->len; i++)
                if (th_str_eq(o->u.members[i].key, key))
                    last = o->u.members[i].val, count++;
            assert_ptr_equal(th_jobj_getn(o, key), last);
            th_jval *v = th_jnew_bool(&a, true);
            uint32_t len = o->len;
            th_jobj_set(&a, o, key, v);
            assert_int_equal(o->len, len + (last == NULL)); /* replaced, or appended */
            assert_ptr_equal(th_jobj_getn(o, key), v);
            uint32_t with_key = 0;
            for (uint32_t i = 0; i < o->len; i++)
                with_key += th_str_eq(o->u.members[i].key, key);
            assert_int_equal(with_key, count ? count : 1); /* the earlier duplicates stay */
        }
        th_str gone = th_str_c(keys[t % NKEYS]);
        assert_true(th_jobj_remove(o, gone));
        assert_null(th_jobj_getn(o, gone));
        th_arena_free(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_all_types_and_borrows_plain_strings),
        cmocka_unit_test(errors_carry_offsets),
        cmocka_unit_test(deep_nesting_is_rejected_not_crashing),
        cmocka_unit_test(path_flattens_arrays_and_reads_dotted_keys),
        cmocka_unit_test(path_each_matches_reference_on_random_documents),
        cmocka_unit_test(build_and_write),
        cmocka_unit_test(write_matches_plain_writer),
        cmocka_unit_test(write_pruned_matches_pruned_copy),
        cmocka_unit_test(lookups_find_the_last_duplicate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
