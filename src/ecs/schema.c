/* Field schema lookup: binary search over the generated table. */
#include "ecs/schema.h"

#include <stdint.h>
#include <string.h>

static const th_field_def flattened_leaf = {"(flattened leaf)", TH_FT_FLATTENED_LEAF, 0, NULL, NULL};

static int cmp_name(th_str a, const char *b)
{
    size_t bn = strlen(b);
    size_t n = a.n < bn ? a.n : bn;
    int c = n ? memcmp(a.p, b, n) : 0;
    if (c)
        return c;
    return a.n < bn ? -1 : a.n > bn ? 1 : 0;
}

static const th_field_def *find_exact(th_str name)
{
    size_t lo = 0, hi = th_schema_nfields;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_name(name, th_schema_fields[mid].name);
        if (c == 0)
            return &th_schema_fields[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Whether the string name starts with the bytes of pre (a NUL in pre matches nothing). */
static bool has_prefix(const char *name, th_str pre)
{
    for (size_t k = 0; k < pre.n; k++)
        if (name[k] == '\0' || name[k] != pre.p[k])
            return false;
    return true;
}

void th_schema_prefix_range(th_str prefix, size_t *lo, size_t *hi)
{
    size_t l = 0, h = th_schema_nfields;
    while (l < h) { /* the first name not below prefix */
        size_t mid = l + (h - l) / 2;
        if (cmp_name(prefix, th_schema_fields[mid].name) > 0)
            l = mid + 1;
        else
            h = mid;
    }
    *lo = l;
    while (l < th_schema_nfields && has_prefix(th_schema_fields[l].name, prefix))
        l++;
    *hi = l;
}

void th_schema_glob_range(th_str pat, size_t *lo, size_t *hi)
{
    const char *star = pat.n ? memchr(pat.p, '*', pat.n) : NULL;
    th_str pre = {pat.p, star ? (size_t)(star - pat.p) : pat.n};
    th_schema_prefix_range(pre, lo, hi);
}

const th_field_def *th_schema_lookup(th_str name)
{
    const th_field_def *d = find_exact(name);
    if (d)
        return d;
    /* a key under a flattened field: try every dotted prefix, longest first */
    for (size_t i = name.n; i-- > 0;) {
        if (name.p[i] != '.')
            continue;
        const th_field_def *p = find_exact(th_str_make(name.p, i));
        if (p && p->type == TH_FT_FLATTENED)
            return &flattened_leaf;
        if (p && p->type != TH_FT_OBJECT)
            return NULL; /* below a leaf field: unknown */
    }
    return NULL;
}

const char *th_ftype_name(th_ftype t)
{
    switch (t) {
    case TH_FT_UNKNOWN: return "unknown";
    case TH_FT_KEYWORD: return "keyword";
    case TH_FT_CONSTANT_KEYWORD: return "constant_keyword";
    case TH_FT_WILDCARD: return "wildcard";
    case TH_FT_TEXT: return "text";
    case TH_FT_BOOLEAN: return "boolean";
    case TH_FT_LONG: return "long";
    case TH_FT_DOUBLE: return "double";
    case TH_FT_IP: return "ip";
    case TH_FT_DATE: return "date";
    case TH_FT_FLATTENED: return "flattened";
    case TH_FT_FLATTENED_LEAF: return "flattened leaf";
    case TH_FT_OBJECT: return "object";
    case TH_FT_NESTED: return "nested";
    case TH_FT_GEO_POINT: return "geo_point";
    }
    return "?";
}

bool th_ftype_is_keyword_like(th_ftype t)
{
    return t == TH_FT_KEYWORD || t == TH_FT_CONSTANT_KEYWORD || t == TH_FT_WILDCARD ||
           t == TH_FT_FLATTENED_LEAF;
}

/* Greedy, with a return to the last `*`: a later `*` can match whatever an
 * earlier one would have, so retrying only the last one finds every match
 * (the recursive form was 41 M instructions of the AWS pack's start-up when
 * KEEP patterns met the 2,790 schema fields). */
bool th_field_glob(th_str pat, th_str name)
{
    size_t p = 0, i = 0, star = SIZE_MAX, mark = 0;
    while (i < name.n) {
        if (p < pat.n && pat.p[p] == '*') {
            star = p++;
            mark = i;
        } else if (p < pat.n && pat.p[p] == name.p[i]) {
            p++;
            i++;
        } else if (star != SIZE_MAX) {
            p = star + 1;
            i = ++mark;
        } else {
            return false;
        }
    }
    while (p < pat.n && pat.p[p] == '*')
        p++;
    return p == pat.n;
}
