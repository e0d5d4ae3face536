/* jscan: dispatch, the scalar stage 1, the stage-2 tape and the cursor API. */
#include "json/jscan.h"

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/utf8.h"
#include "json/escape.h"
#include "json/jscan_int.h"

/* One value on the tape (th_jnode, jscan.h). Objects hold key, value, key,
 * value ... nodes after their own node; arrays hold their items; `size`, the
 * subtree's node count, skips it (a key's is not written: see put_key). */
typedef th_jnode jnode;

/* An open container in stage 2: its node (end and size are written when it
 * closes) and whether it is an object. Addressed through a pointer to the
 * next free frame, which keeps the depth out of the address arithmetic. */
typedef struct jframe {
    jnode *node;
    bool obj;
} jframe;

struct th_jscan {
    const unsigned char *p;
    size_t n;
    uint32_t *idx;
    size_t nidx, idx_cap;
    jnode *tape;
    size_t ntape, tape_cap;
    /* what stage 1 says of the text (TH_JSCAN_* of jscan_int.h: a backslash,
     * the last string open, a byte < 0x20 or >= 0x80, an '@'), kept as it
     * comes: a bool each took ten instructions a load to unpack */
    unsigned flags;
    uint32_t root;    /* tape index of th_jscan_root: 0, or th_jscan_set_root's */
    th_jscan_impl impl;
    th_jscan_stage1_fn stage1;
    th_jscan_line_fn line;                 /* NULL: th_jscan_load_line finds the '\n' with memchr */
    jframe stack[TH_MAX_JSON_DEPTH];       /* stage 2: the open containers, outermost first */
};

/* ---- dispatch -------------------------------------------------------- */

bool th_jscan_supported(th_jscan_impl impl)
{
    switch (impl) {
    case TH_JSCAN_AUTO:
    case TH_JSCAN_SCALAR: return true;
#if defined(__x86_64__)
    case TH_JSCAN_SSE:
        __builtin_cpu_init();
        return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt");
    case TH_JSCAN_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul") &&
               __builtin_cpu_supports("bmi") && __builtin_cpu_supports("popcnt");
    case TH_JSCAN_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vbmi2") &&
               __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("bmi") &&
               __builtin_cpu_supports("popcnt");
#endif
    default: return false;
    }
}

const char *th_jscan_impl_name(th_jscan_impl impl)
{
    switch (impl) {
    case TH_JSCAN_SCALAR: return "scalar";
    case TH_JSCAN_SSE: return "sse";
    case TH_JSCAN_AVX2: return "avx2";
    case TH_JSCAN_AVX512: return "avx512";
    default: return "auto";
    }
}

static th_jscan_impl best_impl(void)
{
    const char *env = getenv("TH_JSCAN");
    if (env) {
        for (int i = TH_JSCAN_SCALAR; i <= TH_JSCAN_AVX512; i++)
            if (strcmp(env, th_jscan_impl_name((th_jscan_impl)i)) == 0 &&
                th_jscan_supported((th_jscan_impl)i))
                return (th_jscan_impl)i;
    }
    if (th_jscan_supported(TH_JSCAN_AVX512))
        return TH_JSCAN_AVX512;
    if (th_jscan_supported(TH_JSCAN_AVX2))
        return TH_JSCAN_AVX2;
    if (th_jscan_supported(TH_JSCAN_SSE))
        return TH_JSCAN_SSE;
    return TH_JSCAN_SCALAR;
}

bool th_jscan_use(th_jscan *s, th_jscan_impl impl)
{
    if (impl == TH_JSCAN_AUTO)
        impl = best_impl();
    if (!th_jscan_supported(impl))
        return false;
    s->impl = impl;
    switch (impl) {
#if defined(__x86_64__)
    case TH_JSCAN_SSE: s->stage1 = th_jscan_stage1_sse; break;
    case TH_JSCAN_AVX2: s->stage1 = th_jscan_stage1_avx2; break;
    case TH_JSCAN_AVX512: s->stage1 = th_jscan_stage1_avx512; break;
#endif
    default: s->stage1 = th_jscan_stage1_scalar; break;
    }
    s->line = NULL;
#if defined(__x86_64__)
    if (impl == TH_JSCAN_AVX2)
        s->line = th_jscan_line_avx2;
    else if (impl == TH_JSCAN_AVX512)
        s->line = th_jscan_line_avx512;
#endif
    return true;
}

th_jscan_impl th_jscan_impl_of(const th_jscan *s)
{
    return s->impl;
}

th_jscan *th_jscan_new(void)
{
    th_jscan *s = th_xcalloc(1, sizeof *s);
    th_jscan_use(s, TH_JSCAN_AUTO);
    return s;
}

void th_jscan_free(th_jscan *s)
{
    if (!s)
        return;
    free(s->idx);
    free(s->tape);
    free(s);
}

/* ---- stage 1, portable ----------------------------------------------- */

/* Byte at a time, written independently of the block logic so that the tests
 * can hold the SIMD variants against it. */
size_t th_jscan_stage1_scalar(const unsigned char *p, size_t n, uint32_t *out, unsigned *flags)
{
    size_t k = 0;
    bool esc = false, inside = false, prev_other = false, bs = false, special = false, at = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        special |= c < 0x20 || c >= 0x80;
        at |= c == '@';
        bool escaped = esc;
        esc = !escaped && c == '\\';
        bs |= c == '\\';
        if (c == '"' && !escaped) {
            inside = !inside;
            if (inside)
                out[k++] = (uint32_t)i;
            prev_other = false;
            continue;
        }
        if (inside) {
            prev_other = false;
            continue;
        }
        switch (c) {
        case '{':
        case '}':
        case '[':
        case ']':
            out[k++] = (uint32_t)i;
            prev_other = false;
            break;
        case ':':
        case ',':
        case ' ':
        case '\t':
        case '\n':
        case '\r': prev_other = false; break;
        default:
            if (!prev_other)
                out[k++] = (uint32_t)i;
            prev_other = true;
        }
    }
    *flags = (bs ? TH_JSCAN_HAS_BS : 0u) | (inside ? TH_JSCAN_OPEN_STRING : 0u) |
             (special ? TH_JSCAN_CTL_HIGH : 0u) | (at ? TH_JSCAN_HAS_AT : 0u);
    return k;
}

/* ---- stage 2 --------------------------------------------------------- */

static bool fail(th_json_error *err, size_t at, const char *why)
{
    if (err) {
        err->offset = at;
        err->reason = why;
    }
    return false;
}

static inline bool is_delim(unsigned char c)
{
    switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '{':
    case '}':
    case '[':
    case ']':
    case ':':
    case ',':
    case '"': return true;
    default: return false;
    }
}

/* The reason th_json_parse gives for an unexpected byte after a value. */
static const char *after_value_reason(const th_jscan *s, int depth)
{
    if (depth == 0)
        return "trailing characters after JSON value";
    return s->stack[depth - 1].obj ? "expected ',' or '}' in object"
                                   : "expected ',' or ']' in array";
}

/* Number grammar of th_json_parse, with the same offsets; *end past the number. */
static bool scan_number(const unsigned char *s, size_t n, size_t start, size_t *end,
                        th_json_error *err)
{
    size_t i = start;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return fail(err, start, "truncated number");
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return fail(err, i, "invalid number");
    }
    if (i < n && s[i] == '.') {
        i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return fail(err, i, "digit expected after decimal point");
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return fail(err, i, "digit expected in exponent");
    }
    *end = i;
    return true;
}

static void grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    free(*buf);
    *buf = th_xmalloc(c * elem);
    *cap = c;
}

/* Offset past the closing quote of the string opened at index entry x[0];
 * x[0] + 1 when it is unterminated. Only whitespace can separate a closing
 * quote from the next index entry (any other byte is indexed), so it is found
 * by stepping back over whitespace from there. Only the last string of the
 * text can be unterminated: build_tape puts an entry after the last one that
 * leads here, the end of the text or, for that string, the byte after its
 * opening quote. */
static inline uint32_t string_end(const unsigned char *p, const uint32_t *x)
{
    uint32_t e = x[1];
    /* minified text: the quote is right before the next entry (one load and
     * one compare, where the loop costs twice that); p + e - 1 in pointer
     * arithmetic, which the compare takes as its address, where the 32-bit
     * e - 1 would be computed first */
    if (__builtin_expect((p + e)[-1] == '"', 1))
        return e;
    do
        e--;
    while (p[e - 1] != '"');
    return e;
}

/* Bytes as one unaligned word, in the machine's order: compared with
 * another load of known bytes, or hashed. */
static inline uint16_t load2(const unsigned char *p)
{
    uint16_t x;
    memcpy(&x, p, 2);
    return x;
}

static inline uint64_t load8(const unsigned char *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

static inline uint32_t load4(const unsigned char *p)
{
    uint32_t x;
    memcpy(&x, p, 4);
    return x;
}

/* Writes the node of a string or scalar, whose subtree is itself: a size of
 * 1, a constant, so that stage 2 keeps no count of the nodes written. GCC's
 * vectorizer would pack neighbouring fields (pos and end, end and size, size
 * and the following node's pos) into 8-byte stores through vector registers
 * (four instructions where two stores do): the empty asms keep the stores
 * apart. */
static inline void put_leaf(jnode *w, uint32_t pos, uint32_t end)
{
    w->pos = pos;
    __asm__("" : "+m"(w->pos));
    w->end = end;
    __asm__("" : "+m"(w->end));
    w->size = 1;
    __asm__("" : "+m"(w->size)); /* and apart from the next node's pos */
}

/* Writes the node of a key: its pos and end. No reader asks a key for its
 * subtree (the walks step from a member's value, th_jcur_iter and th_jcur_type
 * read a string's first byte), so `size` is left unwritten: a lea and a store
 * were two of the loop of common members' 30 instructions a member. Stores kept
 * apart as put_leaf's. */
static inline void put_key(jnode *w, uint32_t pos, uint32_t end)
{
    w->pos = pos;
    __asm__("" : "+m"(w->pos));
    w->end = end;
    __asm__("" : "+m"(w->end));
}

/* Offset past the scalar (literal or number) that starts at pos, checked as
 * th_json_parse checks it; 0 (and *err) when it is invalid. Out of line:
 * CloudTrail has few scalars besides strings. */
static __attribute__((noinline)) uint32_t scalar_end(const th_jscan *s, uint32_t pos, int depth,
                                                     th_json_error *err)
{
    const unsigned char *p = s->p;
    unsigned char c = p[pos];
    size_t end;
    if (c == 't' || c == 'f' || c == 'n') {
        const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
        size_t len = c == 'f' ? 5 : 4;
        /* a fixed length, so that the compiler compares words, not calls */
        if (s->n - pos < len || memcmp(p + pos, word, 4) != 0 || (len == 5 && p[pos + 4] != 'e')) {
            fail(err, pos, "invalid literal");
            return 0;
        }
        end = pos + len;
    } else {
        if (c != '-' && (c < '0' || c > '9')) {
            fail(err, pos, "unexpected character");
            return 0;
        }
        if (!scan_number(p, s->n, pos, &end, err))
            return 0;
    }
    /* a scalar must end where its token ends */
    if (end < s->n && !is_delim(p[end])) {
        fail(err, end, after_value_reason(s, depth));
        return 0;
    }
    return (uint32_t)end;
}

/* The first byte at or after i, before y, that is not whitespace. Outside
 * strings only whitespace, ':' and ',' go unindexed, so between the end of a
 * token and the next index entry y (or the end of the text) the byte found
 * is y itself or a ':' or ','. Minified text has no whitespace: one compare. */
static inline uint32_t skip_ws(const unsigned char *p, uint32_t i, uint32_t y)
{
    while (i < y && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i;
}

/* One value, after byte i, onto the tape, then on to `after` with i past
 * it; a container goes to `open`. For build_tape, which has a copy for each
 * context (top level, object, array) so that the context is where the code
 * is, not a variable. The checks are th_json_parse's parse_value: whitespace,
 * then a ':' or ',' (unindexed) is an unexpected character, the end of the
 * text an unexpected end. Only the last entry can open an unterminated
 * string (stage 1 indexes nothing after its opening quote), and string_end
 * says so by ending it right after that quote. */
#define TAPE_VALUE(after)                                                                          \
    do {                                                                                           \
        uint32_t y = x < xe ? *x : n32, j = skip_ws(p, i, y), pos, e;                              \
        if (j < y)                                                                                 \
            return fail(err, j, "unexpected character");                                          \
        if (x >= xe)                                                                               \
            return fail(err, n32, "unexpected end of input");                                      \
        pos = *x;                                                                                  \
        unsigned char c = p[pos];                                                                  \
        if (c == '"') {                                                                            \
            if ((e = string_end(p, x)) == pos + 1)                                                 \
                return fail(err, pos, "unterminated string");                                      \
        } else if (c == '{' || c == '[') {                                                         \
            goto open;                                                                             \
        } else if (!(e = scalar_end(s, pos, (int)(sp - s->stack), err))) {                         \
            return false;                                                                          \
        }                                                                                          \
        put_leaf(w++, pos, e);                                                                     \
        x++;                                                                                       \
        i = e;                                                                                     \
        goto after;                                                                                \
    } while (0)

/* Walks the index once, as th_json_parse walks the text: the byte offset i
 * past what was read stands for its position, and the bytes between i and
 * the next entry (whitespace, ':' and ',', which stage 1 does not index) are
 * read where th_json_parse expects a separator. Few variables, so that they
 * stay in registers: the entry pointer x, the next tape slot w, the next
 * stack frame sp and i. In line in both loads
 * (th_jscan_load, th_jscan_load_line): a call from two places cost 2.2 M
 * instructions over b100k with the pack, 2.3 M with the seed rule. */
static inline __attribute__((always_inline)) bool build_tape(th_jscan *s, th_json_error *err)
{
    const unsigned char *p = s->p;
    const uint32_t *x = s->idx;
    const uint32_t *const xe = x + s->nidx;
    const uint32_t n32 = (uint32_t)s->n;
    jnode *const t = s->tape;
    jnode *w = t; /* the next node */
    jframe *sp = s->stack;
    jframe *const sp_end = s->stack + TH_MAX_JSON_DEPTH;
    uint32_t i = 0;
    /* the common member's key, value and the entry after them: the loop's,
     * which member_tail goes on with (it reloaded them: 1.1 M on b100k);
     * as 64-bit values, which address the text without a zero extension
     * (1.7 M on b100k since the tape counts no nodes; before that, the
     * jscan8 and tape2 rounds found them dearer) */
    size_t kpos, v, after;
    /* the last entry that starts three, for the loop of common members; the
     * first entry when there are fewer, where the loop's test fails anyway
     * (no object can open before the first entry) */
    const uint32_t *const x_last3 = s->nidx >= 3 ? xe - 3 : x;
    const uint16_t quote_colon = load2((const unsigned char *)"\":"),
                   quote_comma = load2((const unsigned char *)"\","),
                   quote_brace = load2((const unsigned char *)"\"}"),
                   colon_quote = load2((const unsigned char *)":\"");
    const uint32_t lit_true = load4((const unsigned char *)"true"),
                   lit_null = load4((const unsigned char *)"null"),
                   lit_fals = load4((const unsigned char *)"fals");
    /* stage 1 leaves room for it (the index has 64 entries of slack) */
    s->idx[s->nidx] = s->flags & TH_JSCAN_OPEN_STRING ? xe[-1] + 1 : n32;

    TAPE_VALUE(top_after);

top_after : {
    uint32_t j = skip_ws(p, i, x < xe ? *x : n32);
    if (j < n32)
        return fail(err, j, "trailing characters after JSON value");
    s->ntape = (size_t)(w - t);
    return true;
}

open : {
    uint32_t pos = *x;
    unsigned char c = p[pos];
    if (sp == sp_end)
        return fail(err, pos, "nesting too deep");
    sp->node = w;
    sp->obj = c == '{';
    sp++;
    w->pos = pos;
    w++;
    x++;
    i = pos + 1;
    /* '{'+2 = '}', '['+2 = ']'; a ':' or ',' between is the error that
     * key or arr_value reports */
    if (x < xe && p[*x] == (unsigned char)(c + 2) && skip_ws(p, i, *x) == *x) {
        i = *x;
        goto close;
    }
    if (c == '{')
        goto key;
    goto arr_value;
}

close : {
    /* i and *x are the closing bracket of the innermost container */
    jnode *open = (--sp)->node;
    open->end = ++i;
    /* the nodes from the open one to w: their bytes / 12, as (bytes / 4)
     * times the inverse of 3 modulo 2^32, exact for a multiple of 3, in 32
     * bits: GCC divided the 64-bit difference (a movabs more) when the
     * stack's frames changed, and with this form build_tape's allocation
     * took 0.06 M fewer instructions over b10k as it is */
    open->size = (uint32_t)(((uintptr_t)w - (uintptr_t)open) >> 2) * 0xAAAAAAABu;
    x++;
    if (sp == s->stack)
        goto top_after;
    if (sp[-1].obj)
        goto obj_after;
    goto arr_after;
}

key: /* i is past the '{' or ',' */
    /* The common member, minified (nothing between the '{' or ',' and the
     * key, the key's closing quote and the ':', the ':' and the value) with
     * a string value followed right away by ',' and the next key: in a loop
     * of its own, two index entries a member. Any other key leaves for the
     * general code below, which checks it again from i; any other value goes
     * on at member_tail, and from there to key_value, where the general
     * code's value checks begin. So the verdict, offsets and reasons are the
     * general code's. */
    /* no test of x < xe: at the end of the index *x is the entry put after
     * the last one, and whether it equals i or not, the loop's test fails
     * there (a '{' was read, so the index has an entry and x_last3 is below
     * xe) and the general code below checks again (0.6 M on b100k) */
    if (__builtin_expect(*x == i, 1)) {
    members:; /* i is *x (from member_tail) */
        /* only x and w change in the loop (i is *x at its top), so that
         * GCC keeps them in registers; members it does not finish go on at
         * member_tail */
        kpos = i; /* *x, carried from the previous member's `after` */
        while (__builtin_expect(x <= x_last3, 1)) {
            v = x[1], after = x[2];
            /* the key closes right before the ':' (a quote there closes it:
             * one inside it would make the ':' part of it, and v is outside) */
            if (p[kpos] != '"' || load2(p + v - 2) != quote_colon)
                break;
            /* p[v] is a quote, tested with the ':' before it (known): as a
             * byte compare, GCC computed p + v for member_tail before the
             * branch (an add a member; 1.3 M over b100k) */
            if (load2(p + v - 1) != colon_quote)
                goto member_tail;
            uint16_t end2 = load2(p + after - 2);
            if (end2 != quote_comma) {
                /* the last member: its string closes right before the '}' */
                if (load2(p + after - 1) != quote_brace)
                    goto member_tail;
                put_key(w, kpos, v - 1);
                put_leaf(w + 1, v, after);
                w += 2;
                x += 2;
                i = after;
                goto close;
            }
            put_key(w, kpos, v - 1);
            put_leaf(w + 1, v, after - 1);
            w += 2;
            x += 2;
            kpos = after;
        }
        i = kpos;
    }
    {
        uint32_t y = x < xe ? *x : n32, j = skip_ws(p, i, y);
        if (j < y || x >= xe || p[j] != '"')
            return fail(err, j, "expected string key in object");
        uint32_t pos = j, e = string_end(p, x);
        if (e == pos + 1)
            return fail(err, pos, "unterminated string");
        put_key(w++, pos, e);
        x++;
        y = x < xe ? *x : n32;
        j = skip_ws(p, e, y);
        if (j == y || p[j] != ':')
            return fail(err, j, "expected ':' after object key");
        i = j + 1;
    }
key_value: /* i is past the ':' */
    TAPE_VALUE(obj_after);

member_tail : {
    /* from the loop of common members: a key checked there, its value not a
     * string followed by ',' and the next key or by '}'. An object or array
     * at open (an object with a first key, or empty, here), an integer, true,
     * false or null followed by ',' and the next key or by '}' here; any
     * other value at key_value. A literal followed by an index entry or ','
     * has a delimiter there (no scalar starts right after a letter):
     * scalar_end accepts it. */
    uint32_t e;
    put_key(w++, kpos, v - 1);
    x++;
    i = v;
    /* an object or array: key_value would find nothing before v and go
     * there */
    if (p[v] == '{') {
        /* an object whose first key follows the '{' at once (x[2] is in the
         * index: the loop tested x <= x_last3): what `open` and `key` would
         * do, then the loop, without their tests for an empty object or the
         * end of the index */
        if (after == v + 1 && sp != sp_end) {
            if (p[after] == '"') {
                sp->node = w;
                sp->obj = true;
                sp++;
                w->pos = v;
                w++;
                x++;
                i = after;
                goto members;
            }
            /* an empty object: what `open` and `close` would write */
            if (p[after] == '}') {
                put_leaf(w++, v, after + 1);
                x += 2;
                i = after + 1;
                goto obj_after;
            }
        }
        goto open;
    }
    if (p[v] == '[')
        goto open;
    /* an integer (digits alone: a first one of 1-9, or a lone 0, as
     * scan_number reads them; b100k has 46k numbers, mostly byte counts)
     * followed by ',' and the next key or by '}': what key_value, scalar_end
     * and obj_after would do. Anything else, a fraction or exponent
     * included, stops the digits before a ',' or '}' and goes on there. */
    if ((unsigned)(p[v] - '0') < 10) {
        e = v + 1;
        if (p[v] != '0')
            while (e < after && (unsigned)(p[e] - '0') < 10)
                e++;
        if (after == e + 1 && p[e] == ',') {
            put_leaf(w++, v, e);
            x++;
            i = after;
            goto key;
        }
        if (after != e || p[after] != '}')
            goto key_value;
        put_leaf(w++, v, e);
        x++;
        i = after;
        goto close;
    }
    /* the four bytes read are before the next entry, which is in the text */
    if (after < v + 4)
        goto key_value;
    uint32_t w4 = load4(p + v);
    if (w4 == lit_true || w4 == lit_null)
        e = v + 4;
    else if (w4 == lit_fals && p[v + 4] == 'e')
        e = v + 5;
    else
        goto key_value; /* a string read by the loop, anything else */
    if (after == e + 1 && p[e] == ',') {
        put_leaf(w++, v, e);
        x++;
        i = after;
        goto key;
    }
    if (after != e || p[after] != '}')
        goto key_value;
    put_leaf(w++, v, e);
    x++;
    i = after;
    goto close;
}

obj_after : {
    /* minified: the ',' right after the value (a byte between entries, or
     * the end of the text). i < *x stands for i < n32: i is at most the next
     * entry *x (the value's end, or past a bracket that was *x), which is
     * at most n32 (the entry put after the last one is n32 here: no string
     * is left open when a value was read), and at *x < n32 the byte is a
     * token's first, not a ','. *x is at hand where n32 was spilled (GCC
     * loaded it into a register first) */
    if (__builtin_expect(i < *x && p[i] == ',', 1)) {
        i++;
        goto key;
    }
    /* the '}' right after the value: the branch below would get there */
    if (i < n32 && p[i] == '}')
        goto close;
    uint32_t j = skip_ws(p, i, x < xe ? *x : n32);
    if (j >= n32)
        return fail(err, n32, "unterminated object");
    if (p[j] == ',') {
        i = j + 1;
        goto key;
    }
    if (p[j] == '}') { /* indexed: j is *x */
        i = j;
        goto close;
    }
    return fail(err, j, "expected ',' or '}' in object");
}

arr_value: /* i is past the '[' or ',' */
    TAPE_VALUE(arr_after);

arr_after : {
    /* minified: the ',' or ']' right after the item, as in obj_after */
    if (i < *x && p[i] == ',') {
        i++;
        goto arr_value;
    }
    if (i < n32 && p[i] == ']')
        goto close;
    uint32_t j = skip_ws(p, i, x < xe ? *x : n32);
    if (j >= n32)
        return fail(err, n32, "unterminated array");
    if (p[j] == ',') {
        i = j + 1;
        goto arr_value;
    }
    if (p[j] == ']') { /* indexed: j is *x */
        i = j;
        goto close;
    }
    return fail(err, j, "expected ',' or ']' in array");
}
}
#undef TAPE_VALUE

bool th_jscan_load(th_jscan *s, const char *text, size_t n, th_json_error *err)
{
    if (err) {
        err->offset = 0;
        err->reason = NULL;
    }
    s->nidx = s->ntape = 0;
    s->root = 0;
    s->p = (const unsigned char *)text;
    s->n = n;
    if (n >= (size_t)UINT32_MAX - 64)
        return fail(err, 0, "input too large for the scanner");
    grow((void **)&s->idx, &s->idx_cap, n + 64, sizeof *s->idx);
    s->nidx = s->stage1(s->p, n, s->idx, &s->flags);
    grow((void **)&s->tape, &s->tape_cap, s->nidx + 1, sizeof *s->tape);
    return build_tape(s, err);
}

bool th_jscan_load_line(th_jscan *s, const char *text, size_t avail, size_t *n, size_t *nl)
{
    s->nidx = s->ntape = 0;
    s->root = 0;
    s->p = (const unsigned char *)text;
    s->n = 0;
    /* the reach: what the index holds (16 K entries at least); a longer line
     * is found by the caller, and a load of it grows the index */
    grow((void **)&s->idx, &s->idx_cap, ((size_t)16 << 10) + 64, sizeof *s->idx);
    size_t reach = avail < s->idx_cap - 64 ? avail : s->idx_cap - 64, count;
    if (s->line) {
        count = s->line(s->p, reach, s->idx, &s->flags, n, nl);
    } else {
        (void)jline_find(s->p, 0, reach, 0, nl, n); /* scanned below, whatever it says */
        count = TH_JSCAN_LINE_AGAIN;
    }
    if (*nl == reach) {
        *nl = SIZE_MAX;
        return false;
    }
    if (count == TH_JSCAN_LINE_AGAIN)
        count = s->stage1(s->p, *n, s->idx, &s->flags);
    s->n = *n;
    s->nidx = count;
    grow((void **)&s->tape, &s->tape_cap, s->nidx + 1, sizeof *s->tape);
    return build_tape(s, NULL);
}

bool th_jscan_has_backslash(const th_jscan *s)
{
    return s->flags & TH_JSCAN_HAS_BS;
}

bool th_jscan_has_ctl_high(const th_jscan *s)
{
    return s->flags & TH_JSCAN_CTL_HIGH;
}

bool th_jscan_has_at(const th_jscan *s)
{
    return s->flags & TH_JSCAN_HAS_AT;
}

const uint32_t *th_jscan_index(const th_jscan *s, size_t *count)
{
    *count = s->nidx;
    return s->idx;
}

/* ---- strings --------------------------------------------------------- */

/* th_json_parse's checks of a string's raw bytes p[b..e): control characters and
 * UTF-8 (escape sequences are checked while decoding). */
static bool check_content(const th_jscan *s, size_t b, size_t e, th_json_error *err)
{
    const unsigned char *p = s->p;
    for (size_t i = b; i < e;) {
        unsigned char c = p[i];
        if (c == '\\') {
            i += 2;
            continue;
        }
        if (c < 0x20)
            return fail(err, i, "control character in string");
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t l;
        uint32_t cp;
        if (th_utf8_decode(p + i, s->n - i, &l, &cp) != TH_UTF8_OK)
            return fail(err, i, "invalid UTF-8 in string");
        i += l;
    }
    return true;
}

/* Unescapes p[b..e) into o (room for e - b + 1 bytes); *w gets the length. */
static bool unescape(const th_jscan *s, size_t b, size_t e, char *o, size_t *w_out,
                     th_json_error *err)
{
    return th_json_unescape(s->p, s->n, b, e, o, w_out, err);
}

/* decode_node's work for a string that may need it: its contents checked
 * (strict) and its escapes decoded. */
static bool decode_checked(const th_jscan *s, const jnode *t, th_arena *a, bool strict,
                           th_str *out, th_json_error *err)
{
    size_t b = t->pos + 1, e = t->end - 1;
    /* check_content only fails on a byte < 0x20 or >= 0x80: without one in
     * the whole text (stage 1 says so) every string passes */
    if (strict && (s->flags & TH_JSCAN_CTL_HIGH) && !check_content(s, b, e, err))
        return false;
    if (!(s->flags & TH_JSCAN_HAS_BS) || !memchr(s->p + b, '\\', e - b)) {
        *out = th_str_make((const char *)s->p + b, e - b);
        return true;
    }
    char *o = th_arena_alloc(a, e - b + 1);
    size_t w;
    if (!unescape(s, b, e, o, &w, err))
        return false;
    *out = th_str_make(o, w);
    return true;
}

/* Decoded text of the string node t (zero copy without escapes). Inline for
 * the common text, printable ASCII without a backslash (stage 1 says so),
 * where every string is its raw bytes. */
static inline bool decode_node(const th_jscan *s, const jnode *t, th_arena *a, bool strict,
                               th_str *out, th_json_error *err)
{
    if (__builtin_expect(
            !(s->flags & TH_JSCAN_HAS_BS) && !(strict && (s->flags & TH_JSCAN_CTL_HIGH)), 1)) {
        *out = th_str_make((const char *)s->p + t->pos + 1, t->end - t->pos - 2);
        return true;
    }
    return decode_checked(s, t, a, strict, out, err);
}

/* Whether key node t decodes to key[0..klen). */
static bool key_eq(const th_jscan *s, const jnode *t, const char *key, size_t klen)
{
    const char *r = (const char *)s->p + t->pos + 1;
    size_t rn = t->end - t->pos - 2;
    if (rn == klen)
        /* equal raw bytes: either no escapes, or key has a backslash where the raw
         * text starts an escape, and then the decoded key is shorter */
        return (klen == 0 || (r[0] == key[0] && memcmp(r, key, klen) == 0)) &&
               (!(s->flags & TH_JSCAN_HAS_BS) || !memchr(key, '\\', klen));
    if (rn < klen || !(s->flags & TH_JSCAN_HAS_BS) || !memchr(r, '\\', rn))
        return false; /* decoding only ever shortens */
    char small[256];
    char *o = rn < sizeof small ? small : th_xmalloc(rn + 1);
    size_t w = 0;
    bool eq =
        unescape(s, t->pos + 1, t->end - 1, o, &w, NULL) && w == klen && memcmp(o, key, klen) == 0;
    if (o != small)
        free(o);
    return eq;
}

/* ---- cursors --------------------------------------------------------- */

/* The tape index past the value at v and its subtree (v + t[v].size). Most
 * values are scalars, whose subtree ends right after them: a branch the CPU
 * predicts lets the loads of the next member start before `size` is read, where
 * walking from one to the next would otherwise be a chain of loads. For the
 * member walks that look for keys (mostly over a record's root); the
 * iterators that build documents keep the load (nested values are containers
 * more often: the DOM build of b100k took about 4% longer with the branch). */
static inline uint32_t skip_value(const jnode *t, uint32_t v)
{
    uint32_t size = t[v].size, after = v + 1;
    if (__builtin_expect(size == 1, 1)) {
        __asm__("" : "+r"(after)); /* keeps the branch: the compiler would add size */
        return after;
    }
    return v + size;
}

/* skip_value for a walk over an object's members that holds both the key's
 * tape index *k and its node *kn: on to the next member's key. Stepping the
 * node pointer with the index spares the address arithmetic of t[k] (two
 * instructions a member, in walks whose members mostly cost about 17); past a
 * container too, so that the walk needs no register for the tape's base
 * (th_jcur_members_find then kept `found` in one: b10k with the pack 7.85 ->
 * 7.76 M). */
static inline void next_member(const jnode **kn, uint32_t *k)
{
    uint32_t size = (*kn)[1].size, k0 = *k;
    if (__builtin_expect(size == 1, 1)) {
        /* keeps the branch, as skip_value; on k0, not on k0 + 2 (the add
         * then went to another register and a copy back) */
        __asm__("" : "+r"(k0));
        *k = k0 + 2;
        *kn += 2;
        return;
    }
    *k = k0 + 1 + size;
    *kn += 1 + size;
}

th_jcur th_jscan_root(const th_jscan *s)
{
    return (th_jcur){s, s->root};
}

void th_jscan_set_root(th_jscan *s, th_jcur c)
{
    s->root = c.i;
}

void th_jscan_load_copy(th_jscan *s, th_jcur c, const char *text)
{
    const jnode *t = c.s->tape;
    uint32_t first = c.i, count = t[first].size, base = t[first].pos;
    size_t n = t[first].end - base;
    unsigned flags = c.s->flags & ~TH_JSCAN_OPEN_STRING;
    if (s != c.s) /* on s itself the nodes move down in place (k <= first + k) */
        grow((void **)&s->tape, &s->tape_cap, (size_t)count + 1, sizeof *s->tape);
    for (uint32_t k = 0; k < count; k++) {
        jnode x = t[first + k];
        s->tape[k] = (jnode){x.pos - base, x.end - base, x.size};
    }
    s->p = (const unsigned char *)text;
    s->n = n;
    s->nidx = 0;
    s->ntape = count;
    s->root = 0;
    s->flags = flags;
}

th_jtype th_jcur_type(th_jcur c)
{
    switch (c.s->p[c.s->tape[c.i].pos]) {
    case '{': return TH_JOBJ;
    case '[': return TH_JARR;
    case '"': return TH_JSTR;
    case 't': return TH_JTRUE;
    case 'f': return TH_JFALSE;
    case 'n': return TH_JNULL;
    default: return TH_JNUM;
    }
}

th_str th_jcur_raw(th_jcur c)
{
    const jnode *t = &c.s->tape[c.i];
    return th_str_make((const char *)c.s->p + t->pos, t->end - t->pos);
}

bool th_jcur_get(th_jcur obj, const char *key, size_t klen, th_jcur *out)
{
    const th_jscan *s = obj.s;
    const jnode *t = s->tape;
    if (s->p[t[obj.i].pos] != '{')
        return false;
    bool found = false;
    for (uint32_t k = obj.i + 1, end = obj.i + t[obj.i].size; k < end; k = skip_value(t, k + 1)) {
        if (key_eq(s, &t[k], key, klen)) {
            out->s = s;
            out->i = k + 1;
            found = true;
        }
    }
    return found;
}

bool th_jcur_path(th_jcur obj, const char *dotted, th_jcur *out)
{
    th_jcur cur = obj;
    const char *seg = dotted;
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        if (!th_jcur_get(cur, seg, len, &cur))
            return false;
        if (!dot)
            break;
        seg = dot + 1;
    }
    *out = cur;
    return true;
}

th_jscan_plain th_jscan_plain_of(const th_jscan *s)
{
    return s->flags & TH_JSCAN_HAS_BS ? (th_jscan_plain){NULL, NULL}
                                      : (th_jscan_plain){s->p, s->tape};
}

bool th_jcur_str(th_jcur c, th_arena *a, th_str *out)
{
    const jnode *t = &c.s->tape[c.i];
    if (c.s->p[t->pos] != '"')
        return false;
    return decode_node(c.s, t, a, false, out, NULL);
}

void th_jcur_members_first(th_jcur obj, const uint64_t first[4], th_jcur_member_fn fn, void *ctx)
{
    const th_jscan *s = obj.s;
    const jnode *t = s->tape;
    if (s->p[t[obj.i].pos] != '{')
        return;
    uint32_t k = obj.i + 1;
    const uint32_t end = obj.i + t[obj.i].size;
    /* the text past each key's opening quote, in a local: fn's calls would
     * have s->p read again at every member; and a 32-bit byte, which
     * indexes first[] without a zero extension */
    const unsigned char *const p1 = s->p + 1;
    for (const jnode *kn = t + k; k < end; next_member(&kn, &k)) {
        uint32_t pos = kn->pos;
        /* the byte after the opening quote: the closing one only for an
         * empty key (a quote in a key is escaped), so no length is needed to
         * read it or to skip the empty key */
        unsigned b = p1[pos];
        if (!(first[b >> 6] >> (b & 63) & 1) || b == '"')
            continue;
        if (!fn(ctx, th_str_make((const char *)p1 + pos, kn->end - pos - 2), (th_jcur){s, k + 1}))
            return;
    }
}

bool th_jcur_members_after(th_jcur obj, th_jcur val, const bool first[256])
{
    const th_jscan *s = obj.s;
    const jnode *t = s->tape;
    const unsigned char *const p1 = s->p + 1; /* past each key's opening quote */
    const uint32_t end = obj.i + t[obj.i].size;
    uint32_t k = skip_value(t, val.i); /* the next member's key */
    for (const jnode *kn = t + k; k < end; next_member(&kn, &k))
        if (first[p1[kn->pos]])
            return true;
    return false;
}

/* ---- key sets ---------------------------------------------------------- */

/* A word of the key k[0..n) that differs between distinct keys of up to 16
 * bytes (every byte is in it: two overlapping loads from each end), read
 * within the key's bytes only; with `prefix` only the first 8 bytes of a key
 * of 8 or more, the first 4 of one of 4 to 7 (for sets whose keys differ
 * there or in their length: th_jkeys.prefix). */
static inline uint64_t key_word(const unsigned char *k, size_t n, bool prefix)
{
    if (n >= 8)
        return prefix ? load8(k) : load8(k) ^ (load8(k + n - 8) * 0x9E3779B97F4A7C15ull);
    if (n >= 4)
        return prefix ? load4(k) : load4(k) | (uint64_t)load4(k + n - 4) << 32;
    return n ? (uint64_t)k[0] | (uint64_t)k[n >> 1] << 8 | (uint64_t)k[n - 1] << 16 : 0;
}

static inline unsigned key_bucket(uint64_t seed, const unsigned char *k, size_t n, bool prefix)
{
    _Static_assert(TH_JKEYS_BUCKETS == 128, "the top 7 bits of the product");
    return (unsigned)(((key_word(k, n, prefix) + n) * seed) >> 57);
}

/* Whether the keys' words with `prefix` (and their lengths) are distinct, so
 * that some seed separates them. */
static bool words_distinct(size_t n, const char *const *name, const size_t *len, bool prefix)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (len[i] == len[j] && key_word((const unsigned char *)name[i], len[i], prefix) ==
                                        key_word((const unsigned char *)name[j], len[j], prefix))
                return false;
    return true;
}

bool th_jkeys_build(th_jkeys *ks, size_t n, const char *const *name, const size_t *len,
                    const int *id)
{
    memset(ks, 0, sizeof *ks);
    ks->name[0] = "";
    ks->quoted[0] = UINT32_MAX; /* an empty bucket's: no key is this long */
    ks->id[0] = -1;
    if (n > TH_JKEYS_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        ks->name[i + 1] = name[i];
        ks->quoted[i + 1] = (uint32_t)len[i] + 2;
        ks->id[i + 1] = id[i];
        ks->at[i + 1] = (uint32_t)id[i] * (uint32_t)sizeof(th_jcur);
        ks->lens |= 1ull << ((len[i] + 2) & 63);
    }
    /* the first word alone where it tells the keys apart (the lookup's hash
     * then loads and multiplies one word fewer) */
    ks->prefix = words_distinct(n, name, len, true);
    if (!ks->prefix && !words_distinct(n, name, len, false))
        return false; /* a key repeated */
    /* odd multipliers from a fixed sequence until no two keys share a bucket
     * (with 32 keys in 128 buckets about one try in 60 succeeds) */
    uint64_t x = 0x2545F4914F6CDD1Dull;
    for (int tries = 0; tries < 100000; tries++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t seed = x | 1;
        uint8_t b[TH_JKEYS_BUCKETS];
        memset(b, 0, sizeof b);
        size_t i = 0;
        for (; i < n; i++) {
            unsigned h = key_bucket(seed, (const unsigned char *)name[i], len[i], ks->prefix);
            if (b[h])
                break;
            b[h] = (uint8_t)(i + 1);
        }
        if (i == n) {
            ks->seed = seed;
            memcpy(ks->bucket, b, sizeof b);
            return true;
        }
    }
    return false;
}

/* th_jcur_members_find's walk, made once for each kind of hash (a test of
 * ks->prefix per member would cost what the shorter hash saves). kn is the
 * first key's node t + k, one past the object's (t + k took two lea and a
 * register more: 0.47 M over b100k's 463k walks). */
static inline __attribute__((always_inline)) void find_members(const th_jscan *s, uint32_t k,
                                                               const jnode *kn, uint32_t end,
                                                               const th_jkeys *ks, th_jcur *found,
                                                               bool *have, bool prefix)
{
    const unsigned char *p = s->p;
    const uint64_t lens = ks->lens, seed = ks->seed;
    for (; k < end; next_member(&kn, &k)) {
        /* end in memory, which the loop's compare takes as its operand: GCC
         * gives the register to `have`, which it otherwise reloaded from the
         * stack for every key found (2.2 M on b100k with the pack) */
        __asm__("" : "+m"(end));
        uint32_t pos = kn->pos, quoted = kn->end - pos;
        /* the length with the key's two quotes modulo 64, as the shift takes
         * it: a key 64 bytes longer or shorter than one of the set's passes,
         * and the bucket's length compare rejects it (the filter had a
         * compare and a branch for keys of 64+ bytes and the quotes' subtraction
         * before it: three instructions of about 15 a member) */
        if (!(lens >> (quoted & 63) & 1))
            continue;
        /* the bucket's length with its quotes, compared with `quoted`: the
         * length without them went through a copy before the hash's
         * dispatch (b10k with the pack: 7.76 -> 7.56 M) */
        const unsigned char *key = p + pos + 1;
        unsigned i = ks->bucket[key_bucket(seed, key, quoted - 2, prefix)];
        if (ks->quoted[i] != quoted || !th_bytes_eq(ks->name[i], key, quoted - 2))
            continue;
        /* found + id by the byte offset: id * 16 took a sign extension, a
         * copy, a shift and an add */
        *(th_jcur *)(void *)((char *)found + ks->at[i]) = (th_jcur){s, k + 1};
        have[ks->id[i]] = true;
    }
}

void th_jcur_members_find(th_jcur obj, const th_jkeys *ks, th_jcur *found, bool *have)
{
    const th_jscan *s = obj.s;
    const jnode *on = s->tape + obj.i;
    if (s->p[on->pos] != '{')
        return;
    if (ks->prefix)
        find_members(s, obj.i + 1, on + 1, obj.i + on->size, ks, found, have, true);
    else
        find_members(s, obj.i + 1, on + 1, obj.i + on->size, ks, found, have, false);
}

th_jiter th_jcur_iter(th_jcur c)
{
    const jnode *t = &c.s->tape[c.i];
    unsigned char b = c.s->p[t->pos];
    if (b != '{' && b != '[')
        return (th_jiter){c.s, 0, 0, false};
    return (th_jiter){c.s, c.i + 1, c.i + t->size, b == '{'};
}

bool th_jiter_next(th_jiter *it, th_jcur *key, th_jcur *val)
{
    if (it->k >= it->end)
        return false;
    const jnode *t = it->s->tape;
    if (it->obj) {
        if (key)
            *key = (th_jcur){it->s, it->k};
        *val = (th_jcur){it->s, it->k + 1};
        it->k += 1 + t[it->k + 1].size;
    } else {
        *val = (th_jcur){it->s, it->k};
        it->k += t[it->k].size;
    }
    return true;
}

uint32_t th_jcur_count(th_jcur c)
{
    th_jiter it = th_jcur_iter(c);
    th_jcur v;
    uint32_t n = 0;
    while (th_jiter_next(&it, NULL, &v))
        n++;
    return n;
}

/* ---- DOM ------------------------------------------------------------- */

static bool build(const th_jscan *s, uint32_t i, th_jval *v, th_arena *a, th_json_error *err);

/* Fills v with the tree of the value at tape index i: a scalar or string here,
 * without a call (most values are), a container by build. */
static inline bool build_value(const th_jscan *s, uint32_t i, th_jval *v, th_arena *a,
                               th_json_error *err)
{
    const jnode *t = &s->tape[i];
    v->len = v->cap = 0;
    switch (s->p[t->pos]) {
    case '"': v->type = TH_JSTR; return decode_node(s, t, a, true, &v->u.str, err);
    case '{':
    case '[': return build(s, i, v, a, err);
    case 't': v->type = TH_JTRUE; break;
    case 'f': v->type = TH_JFALSE; break;
    case 'n': v->type = TH_JNULL; break;
    default:
        v->type = TH_JNUM;
        v->u.str = th_str_make((const char *)s->p + t->pos, t->end - t->pos);
        return true;
    }
    v->u.str = TH_STR_NULL; /* as th_jnew leaves it */
    return true;
}

/* Fills v with the tree of the container at tape index i. Its children take
 * one arena block, the member (or item pointer) array followed by their
 * th_jval nodes, instead of one allocation each. */
static bool build(const th_jscan *s, uint32_t i, th_jval *v, th_arena *a, th_json_error *err)
{
    const jnode *t = s->tape;
    uint32_t end = i + t[i].size, count = 0;
    if (s->p[t[i].pos] == '{') {
        for (uint32_t k = i + 1; k < end; k += 1 + t[k + 1].size)
            count++;
        v->type = TH_JOBJ;
        v->len = v->cap = count;
        v->u.members = NULL;
        if (!count)
            return true;
        th_jmember *m = th_arena_alloc(a, count * (sizeof *m + sizeof *v));
        th_jval *kids = (th_jval *)(void *)(m + count);
        v->u.members = m;
        for (uint32_t k = i + 1, j = 0; k < end; k += 1 + t[k + 1].size, j++) {
            m[j].val = &kids[j];
            if (!decode_node(s, &t[k], a, true, &m[j].key, err) ||
                !build_value(s, k + 1, &kids[j], a, err))
                return false;
        }
        return true;
    }
    for (uint32_t k = i + 1; k < end; k += t[k].size)
        count++;
    v->type = TH_JARR;
    v->len = v->cap = count;
    v->u.items = NULL;
    if (!count)
        return true;
    th_jval **items = th_arena_alloc(a, count * (sizeof *items + sizeof *v));
    th_jval *kids = (th_jval *)(void *)(items + count);
    v->u.items = items;
    for (uint32_t k = i + 1, j = 0; k < end; k += t[k].size, j++) {
        items[j] = &kids[j];
        if (!build_value(s, k, &kids[j], a, err))
            return false;
    }
    return true;
}

th_jval *th_jcur_to_jval(th_jcur c, th_arena *a, th_json_error *err)
{
    if (err) {
        err->offset = 0;
        err->reason = NULL;
    }
    th_jval *v = th_arena_alloc(a, sizeof *v);
    return build_value(c.s, c.i, v, a, err) ? v : NULL;
}
