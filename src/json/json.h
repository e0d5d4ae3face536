/* JSON values, a zero-copy reader and a writer.
 *
 * Value model: a tree of th_jval nodes allocated in an arena. Strings are
 * decoded UTF-8 slices: when the source string has no escapes the slice points
 * straight into the input buffer (zero copy), otherwise into the arena. Numbers
 * keep their source text (so output and Java-style formatting are exact);
 * th_jnum_* convert on demand. Objects keep members in source order, duplicate
 * keys included; lookups return the LAST member with a key (as a HashMap put
 * would leave it).
 *
 * Ownership: a tree borrows the input buffer and the arena it was parsed into;
 * both must outlive it. Builders (th_jobj_set, th_jarr_push ...) allocate from
 * the arena given to them. */
#ifndef TH_JSON_JSON_H
#define TH_JSON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/str.h"

typedef enum th_jtype {
    TH_JNULL,
    TH_JFALSE,
    TH_JTRUE,
    TH_JNUM,
    TH_JSTR,
    TH_JARR,
    TH_JOBJ,
} th_jtype;

typedef struct th_jval th_jval;

typedef struct th_jmember {
    th_str key;
    th_jval *val;
} th_jmember;

struct th_jval {
    th_jtype type;
    uint32_t len; /* array items / object members */
    uint32_t cap; /* allocated items / members (builders grow it) */
    union {
        th_str str; /* TH_JSTR: decoded text; TH_JNUM: source text */
        th_jval **items;
        th_jmember *members;
    } u;
};

/* ---- reader ---------------------------------------------------------- */

typedef struct th_json_error {
    size_t offset;      /* byte offset of the problem within the parsed text */
    const char *reason; /* static string */
} th_json_error;

/* Parses exactly one JSON value (surrounding whitespace allowed) from buf[0..len).
 * Rejects invalid UTF-8, control characters in strings, nesting deeper than
 * TH_MAX_JSON_DEPTH and trailing bytes. Returns NULL and fills *err on failure. */
th_jval *th_json_parse(th_arena *a, const char *buf, size_t len, th_json_error *err);

/* Like th_json_parse but stops after the first value: *consumed gets the number of
 * bytes used (trailing whitespace included). For reading concatenated values. */
th_jval *th_json_parse_prefix(th_arena *a, const char *buf, size_t len, size_t *consumed,
                              th_json_error *err);

/* ---- access ---------------------------------------------------------- */

static inline bool th_jis(const th_jval *v, th_jtype t) { return v && v->type == t; }
th_jval *th_jobj_getn(const th_jval *obj, th_str key);
/* Inline: a literal key's length is then known when compiling (no strlen). */
static inline th_jval *th_jobj_get(const th_jval *obj, const char *key)
{
    return th_jobj_getn(obj, th_str_c(key));
}
/* The length of the first segment of the dotted path of n bytes: the position
 * of its first '.', or n. Inline: a literal's is known when compiling. */
static inline size_t th_path_first(const char *dotted, size_t n)
{
    const char *dot = memchr(dotted, '.', n);
    return dot ? (size_t)(dot - dotted) : n;
}
/* Nested lookup through objects only ("a.b.c" means obj.a.b.c); NULL if absent.
 * The _pathn form takes the path's length n and th_path_first's; the inline
 * one finds them (for a literal path, when compiling). */
th_jval *th_jobj_get_pathn(const th_jval *obj, const char *dotted, size_t n, size_t first);
static inline th_jval *th_jobj_get_path(const th_jval *obj, const char *dotted)
{
    size_t n = strlen(dotted);
    return th_jobj_get_pathn(obj, dotted, n, th_path_first(dotted, n));
}
/* Returns the string slice of a TH_JSTR value, or TH_STR_NULL. */
th_str th_jstr(const th_jval *v);
bool th_jnum_i64(const th_jval *v, int64_t *out);   /* integral numbers only */
/* A scalar as text, the way keyword fields index it: strings as they are, numbers
 * as their source text, booleans as true/false. False for NULL, null, objects and
 * arrays. Inline: the engine's router and matcher call it for every value. */
static inline bool th_jscalar_text(const th_jval *v, th_str *out)
{
    if (!v)
        return false;
    switch (v->type) {
    case TH_JSTR:
    case TH_JNUM: *out = v->u.str; return true;
    case TH_JTRUE: *out = TH_STR_LIT("true"); return true;
    case TH_JFALSE: *out = TH_STR_LIT("false"); return true;
    default: return false;
    }
}
bool th_jnum_double(const th_jval *v, double *out);

/* Visits every value found at a dotted field path, the way Elasticsearch
 * resolves a field: arrays anywhere on the path are flattened, and an object key
 * may itself contain dots (`{"event.action": "x"}` is found by "event.action").
 * Leaf arrays are flattened too, so `visit` never receives an array; it does
 * receive null values and objects. Return false from `visit` to stop early.
 * Returns false if stopped early. */
typedef bool (*th_json_visit_fn)(const th_jval *v, void *ctx);
bool th_json_path_each(const th_jval *root, th_str path, th_json_visit_fn visit, void *ctx);
/* The values of v's members named seg (one segment: not empty, no dot),
 * arrays walked item by item as th_json_path_each walks them, each given to
 * visit as it is (arrays too): the nodes th_json_path_each(v, "seg.rest")
 * walks on from, in its order, so that it visits what th_json_path_each(node,
 * "rest") visits over them. Returns false, at once, where that does not hold:
 * at a member key "seg.x..." (a dotted key reaching past the segment); also
 * when visit returns false. */
bool th_json_seg_nodes(const th_jval *v, th_str seg, th_json_visit_fn visit, void *ctx);
/* The first non-null value at path (after flattening), or NULL. */
const th_jval *th_json_path_first(const th_jval *root, th_str path);

/* ---- building -------------------------------------------------------- */

th_jval *th_jnew(th_arena *a, th_jtype t);
th_jval *th_jnew_str(th_arena *a, th_str s);          /* borrows s */
th_jval *th_jnew_strcopy(th_arena *a, th_str s);      /* copies s into the arena */
static inline th_jval *th_jnew_cstr(th_arena *a, const char *s) /* borrows s */
{
    return th_jnew_str(a, th_str_c(s));
}
th_jval *th_jnew_num_raw(th_arena *a, th_str text);   /* borrows text */
th_jval *th_jnew_i64(th_arena *a, int64_t v);
th_jval *th_jnew_double(th_arena *a, double v);
th_jval *th_jnew_bool(th_arena *a, bool b);
th_jval *th_jnew_obj(th_arena *a);
th_jval *th_jnew_arr(th_arena *a);
void th_jarr_push(th_arena *a, th_jval *arr, th_jval *v);
/* Sets key (replacing an existing member in place, else appending). Borrows key. */
void th_jobj_set(th_arena *a, th_jval *obj, th_str key, th_jval *v);
/* Appends a member without looking for one with key: for callers that know
 * obj has none (th_jobj_set would search the members again). Borrows key. */
void th_jobj_push(th_arena *a, th_jval *obj, th_str key, th_jval *v);
/* Sets a nested path, creating intermediate objects ("a.b" -> {"a":{"b":v}}).
 * An intermediate non-object is replaced by an object. Borrows the path text.
 * n and first as for th_jobj_get_pathn. */
void th_jobj_set_pathn(th_arena *a, th_jval *obj, const char *dotted, size_t n, size_t first,
                       th_jval *v);
static inline void th_jobj_set_path(th_arena *a, th_jval *obj, const char *dotted, th_jval *v)
{
    size_t n = strlen(dotted);
    th_jobj_set_pathn(a, obj, dotted, n, th_path_first(dotted, n), v);
}
/* Removes every member with key; returns true if any was removed. */
bool th_jobj_remove(th_jval *obj, th_str key);
/* Removes a nested path; empty parent objects are left in place. */
bool th_jobj_remove_path(th_jval *obj, const char *dotted);
/* Deep copy (strings copied into the arena too). */
th_jval *th_json_clone(th_arena *a, const th_jval *v);
/* Structural equality (numbers compared by value when both parse as doubles). */
bool th_json_equal(const th_jval *x, const th_jval *y);

/* ---- writer ---------------------------------------------------------- */

/* Appends compact JSON text for v. Object members are written in stored order. */
void th_json_write(th_buf *out, const th_jval *v);
/* Same, with object keys sorted bytewise at every level (canonical form). */
void th_json_write_sorted(th_buf *out, const th_jval *v);
/* th_json_write of v as the mapper's last drop-empty pass (final_prune) would
 * leave it: below v, members and items that are null, "" or containers left
 * with nothing are not written (v itself is written, "{}" when nothing is
 * left). The same bytes as pruning a copy and writing it, in one walk:
 * convert's documents are written so (th_mapper_opts.prune_on_write). */
void th_json_write_pruned(th_buf *out, const th_jval *v);
/* Appends a JSON string literal for s (quotes included, escapes applied). */
void th_json_write_str(th_buf *out, th_str s);
/* th_json_write_str's text of s as a NUL-terminated copy in a, what
 * th_arena_strndup of buf would give after th_json_write_str on it: written
 * there directly, through buf (cleared) only when s needs an escape. */
th_str th_json_quote_copy(th_arena *a, th_buf *buf, th_str s);

/* Streaming writer: keeps commas and nesting right.
 *   th_jw w; th_jw_init(&w, &buf);
 *   th_jw_obj(&w); th_jw_key(&w, "a"); th_jw_int(&w, 1); th_jw_end(&w); */
#define TH_JW_MAX_DEPTH 64
typedef struct th_jw {
    th_buf *out;
    int depth;
    bool first[TH_JW_MAX_DEPTH];
    char closer[TH_JW_MAX_DEPTH];
    bool after_key;
} th_jw;

void th_jw_init(th_jw *w, th_buf *out);
void th_jw_obj(th_jw *w);
void th_jw_arr(th_jw *w);
void th_jw_end(th_jw *w);
void th_jw_key(th_jw *w, const char *key);
void th_jw_keyn(th_jw *w, th_str key);
void th_jw_str(th_jw *w, th_str s);
void th_jw_cstr(th_jw *w, const char *s);
void th_jw_int(th_jw *w, int64_t v);
void th_jw_double(th_jw *w, double v);
void th_jw_bool(th_jw *w, bool b);
void th_jw_null(th_jw *w);
void th_jw_value(th_jw *w, const th_jval *v);
/* Writes a timestamp (epoch ms) as an ISO-8601 string. */
void th_jw_time(th_jw *w, int64_t ms);

#endif
