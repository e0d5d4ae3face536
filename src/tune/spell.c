/* Hunspell dictionary reader and word checker (spell.h). */
#include "tune/spell.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/file.h"
#include "base/map.h"
#include "base/vec.h"

typedef struct affix {
    bool prefix, cross;
    char flag;
    const char *strip, *add, *cond; /* "" for 0 */
    size_t nstrip, nadd;
} affix;

struct th_spell {
    th_arena arena;
    th_map words; /* word -> flags (NUL-terminated, may be "") */
    TH_VEC(affix) affixes;
};

th_spell *th_spell_new(void)
{
    th_spell *s = th_xcalloc(1, sizeof *s);
    th_arena_init(&s->arena, 1 << 20);
    th_map_init(&s->words);
    return s;
}

void th_spell_free(th_spell *s)
{
    if (!s)
        return;
    th_map_free(&s->words);
    TH_VEC_FREE(&s->affixes);
    th_arena_free(&s->arena);
    free(s);
}

size_t th_spell_size(const th_spell *s)
{
    return s->words.len;
}

static void add_entry(th_spell *s, th_str w, th_str flags)
{
    if (w.n == 0)
        return;
    if (!flags.p)
        flags = TH_STR_LIT("");
    const char *old = th_map_get(&s->words, w);
    if (!old) {
        /* keys are borrowed by the map: keep them in the arena */
        char *k = th_arena_strndup(&s->arena, w.p, w.n);
        th_map_put(&s->words, th_str_make(k, w.n), th_arena_strndup(&s->arena, flags.p, flags.n));
        return;
    }
    th_map_put(&s->words, w, th_arena_printf(&s->arena, "%s%.*s", old, (int)flags.n, flags.p));
}

void th_spell_add_word(th_spell *s, th_str w)
{
    add_entry(s, w, TH_STR_NULL);
}

/* Next line of buf (CR and trailing blanks trimmed); false at the end. */
static bool next_line(const char *buf, size_t len, size_t *pos, th_str *line)
{
    if (*pos >= len)
        return false;
    const char *nl = memchr(buf + *pos, '\n', len - *pos);
    size_t end = nl ? (size_t)(nl - buf) : len, e = end;
    while (e > *pos && (buf[e - 1] == '\r' || buf[e - 1] == ' '))
        e--;
    *line = th_str_make(buf + *pos, e - *pos);
    *pos = end + 1;
    return true;
}

static th_str field_at(th_str line, size_t idx)
{
    size_t i = 0, k = 0;
    while (i < line.n) {
        while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
            i++;
        size_t b = i;
        while (i < line.n && line.p[i] != ' ' && line.p[i] != '\t')
            i++;
        if (b < i && k++ == idx)
            return th_str_make(line.p + b, i - b);
    }
    return TH_STR_NULL;
}

static const char *zero_or(th_spell *s, th_str v, size_t *n)
{
    /* continuation classes after '/' are not used by the checks here */
    const char *slash = memchr(v.p, '/', v.n);
    if (slash)
        v.n = (size_t)(slash - v.p);
    if (th_str_eqc(v, "0"))
        v.n = 0;
    *n = v.n;
    return th_arena_strndup(&s->arena, v.p, v.n);
}

static void load_aff(th_spell *s, const char *path)
{
    size_t len;
    char *buf = th_file_read(path, &len);
    if (!buf)
        return;
    size_t pos = 0;
    th_str line;
    while (next_line(buf, len, &pos, &line)) {
        bool pfx = th_str_starts(line, "PFX "), sfx = th_str_starts(line, "SFX ");
        if (pfx || sfx) {
            th_str flag = field_at(line, 1), a = field_at(line, 2), b = field_at(line, 3),
                   c = field_at(line, 4);
            /* header lines: "SFX V N 2" (3rd field Y/N, 4th a count, no 5th) */
            if (flag.n == 1 && c.n > 0) {
                affix af = {.prefix = pfx, .flag = flag.p[0]};
                af.strip = zero_or(s, a, &af.nstrip);
                af.add = zero_or(s, b, &af.nadd);
                af.cond = th_arena_strndup(&s->arena, c.p, c.n);
                TH_VEC_PUSH(&s->affixes, af);
            } else if (flag.n == 1 && a.n == 1) {
                /* a header: remembers cross-product permission for the rules after it */
                affix marker = {
                    .prefix = pfx, .flag = flag.p[0], .cross = a.p[0] == 'Y', .cond = NULL};
                TH_VEC_PUSH(&s->affixes, marker);
            }
        }
    }
    /* Propagate each header's cross flag to its rules and drop the headers. */
    size_t w = 0;
    bool cross = false;
    for (size_t i = 0; i < s->affixes.len; i++) {
        affix af = s->affixes.items[i];
        if (!af.cond) {
            cross = af.cross;
            continue;
        }
        af.cross = cross;
        s->affixes.items[w++] = af;
    }
    s->affixes.len = w;
    free(buf);
}

bool th_spell_load_hunspell(th_spell *s, const char *base)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.dic", base);
    size_t len;
    char *buf = th_file_read(path, &len);
    if (!buf)
        return false;
    bool first = true;
    size_t pos = 0;
    th_str line;
    while (next_line(buf, len, &pos, &line)) {
        if (first) {
            first = false; /* the word count */
        } else if (line.n) {
            size_t i = 0;
            while (i < line.n && line.p[i] != '/' && line.p[i] != '\t' && line.p[i] != ' ')
                i++;
            th_str w = th_str_make(line.p, i), flags = TH_STR_NULL;
            if (i < line.n && line.p[i] == '/') {
                size_t b = ++i;
                while (i < line.n && line.p[i] != '\t' && line.p[i] != ' ')
                    i++;
                flags = th_str_make(line.p + b, i - b);
            }
            add_entry(s, w, flags);
        }
    }
    free(buf);
    snprintf(path, sizeof path, "%s.aff", base);
    load_aff(s, path);
    return true;
}

bool th_spell_load_list(th_spell *s, const char *path)
{
    size_t len;
    char *buf = th_file_read(path, &len);
    if (!buf)
        return false;
    size_t pos = 0;
    th_str line;
    while (next_line(buf, len, &pos, &line)) {
        size_t b = 0;
        while (b < line.n && (line.p[b] == ' ' || line.p[b] == '\t'))
            b++;
        if (b < line.n && line.p[b] != '#')
            add_entry(s, th_str_make(line.p + b, line.n - b), TH_STR_NULL);
    }
    free(buf);
    return true;
}

/* Does the condition match the end (suffix) or start (prefix) of stem? */
static bool cond_match(const char *cond, th_str stem, bool at_end)
{
    if (strcmp(cond, ".") == 0)
        return true;
    /* split the condition into units, then match them against stem */
    const char *units[64];
    size_t nu = 0;
    for (const char *c = cond; *c && nu < 64;) {
        units[nu++] = c;
        if (*c == '[') {
            const char *e = strchr(c, ']');
            c = e ? e + 1 : c + strlen(c);
        } else {
            c++;
        }
    }
    if (nu > stem.n)
        return false;
    size_t start = at_end ? stem.n - nu : 0;
    for (size_t u = 0; u < nu; u++) {
        char ch = stem.p[start + u];
        const char *c = units[u];
        if (*c == '.')
            continue;
        if (*c != '[') {
            if (*c != ch)
                return false;
            continue;
        }
        bool neg = c[1] == '^', found = false;
        for (const char *k = c + 1 + neg; *k && *k != ']'; k++)
            if (*k == ch)
                found = true;
        if (found == neg)
            return false;
    }
    return true;
}

static bool has_flag(const th_spell *s, th_str w, char flag)
{
    const char *f = th_map_get(&s->words, w);
    return f && strchr(f, flag);
}

/* Stem of w under affix af (into buf), or false when af cannot apply. */
static bool unaffix(const affix *af, th_str w, char *buf, size_t cap, th_str *stem)
{
    if (w.n <= af->nadd || w.n - af->nadd + af->nstrip >= cap)
        return false;
    size_t rest = w.n - af->nadd;
    if (af->prefix) {
        if (memcmp(w.p, af->add, af->nadd) != 0)
            return false;
        memcpy(buf, af->strip, af->nstrip);
        memcpy(buf + af->nstrip, w.p + af->nadd, rest);
    } else {
        if (memcmp(w.p + rest, af->add, af->nadd) != 0)
            return false;
        memcpy(buf, w.p, rest);
        memcpy(buf + rest, af->strip, af->nstrip);
    }
    *stem = th_str_make(buf, rest + af->nstrip);
    return cond_match(af->cond, *stem, !af->prefix);
}

static bool known(const th_spell *s, th_str w)
{
    if (th_map_has(&s->words, w))
        return true;
    char b1[256], b2[256];
    for (size_t i = 0; i < s->affixes.len; i++) {
        const affix *af = &s->affixes.items[i];
        th_str stem;
        if (!unaffix(af, w, b1, sizeof b1, &stem))
            continue;
        if (has_flag(s, stem, af->flag))
            return true;
        if (!af->prefix || !af->cross)
            continue;
        for (size_t j = 0; j < s->affixes.len; j++) { /* prefix + suffix */
            const affix *sf = &s->affixes.items[j];
            th_str stem2;
            if (!sf->prefix && sf->cross && unaffix(sf, stem, b2, sizeof b2, &stem2) &&
                has_flag(s, stem2, sf->flag) && has_flag(s, stem2, af->flag))
                return true;
        }
    }
    return false;
}

bool th_spell_check(const th_spell *s, th_str w)
{
    if (w.n == 0 || w.n >= 200)
        return true;
    if (known(s, w))
        return true;
    char low[256];
    bool changed = false;
    for (size_t i = 0; i < w.n; i++) {
        low[i] = (char)tolower((unsigned char)w.p[i]);
        changed |= low[i] != w.p[i];
    }
    return changed && known(s, th_str_make(low, w.n));
}

/* ---- text ------------------------------------------------------------- */

static bool codeish(th_str t)
{
    size_t upper = 0, lower = 0;
    for (size_t i = 0; i < t.n; i++) {
        unsigned char c = (unsigned char)t.p[i];
        if (isdigit(c) || strchr("_./@=:\\#$%&+|~<>[]{}*`^", c))
            return true;
        if (isupper(c)) {
            if (i > 0 && lower)
                return true; /* camelCase, PascalCase with inner capital */
            upper++;
        } else if (islower(c)) {
            lower++;
        }
    }
    if (upper >= 2)
        return true; /* acronyms: IAM, ARNs, APIs */
    return false;
}

static bool is_trim(unsigned char c)
{
    return strchr("()[]{},.;:!?\"'*<>`", c) != NULL;
}

static size_t check_word(const th_spell *s, th_str w, size_t off, th_spell_bad_fn bad, void *ctx)
{
    /* possessive / plural-possessive apostrophes at the end */
    if (w.n > 2 && w.p[w.n - 1] == '\'')
        w.n--;
    if (w.n == 0 || codeish(w))
        return 0;
    bool letter = false;
    for (size_t i = 0; i < w.n; i++)
        letter |= isalpha((unsigned char)w.p[i]) || (unsigned char)w.p[i] >= 0x80;
    if (!letter || th_spell_check(s, w))
        return 0;
    bad(w, off, ctx);
    return 1;
}

/* Length of a word separator at text[i] (dashes, curly double quotes,
 * parentheses, slashes between words), 0 if none. */
static size_t separator(th_str t, size_t i)
{
    static const char *const seps[] = {
        "\xe2\x80\x94", "\xe2\x80\x93", "\xe2\x80\x9c", "\xe2\x80\x9d", "(", ")", "[", "]"};
    for (size_t k = 0; k < sizeof seps / sizeof seps[0]; k++) {
        size_t n = strlen(seps[k]);
        if (i + n <= t.n && memcmp(t.p + i, seps[k], n) == 0)
            return n;
    }
    return 0;
}

size_t th_spell_text(const th_spell *s, th_str text, th_spell_bad_fn bad, void *ctx)
{
    /* Normalise the typographic apostrophe (U+2019) to ' as the .aff's ICONV does;
     * offsets stay those of the original text. */
    size_t nbad = 0, i = 0;
    char tok[256];
    size_t offs[256];
    while (i < text.n) {
        unsigned char c = (unsigned char)text.p[i];
        if (c == '`') { /* code span */
            const char *e = memchr(text.p + i + 1, '`', text.n - i - 1);
            i = e ? (size_t)(e - text.p) + 1 : text.n;
            continue;
        }
        if (isspace(c)) {
            i++;
            continue;
        }
        size_t b = i;
        while (i < text.n && !isspace((unsigned char)text.p[i]) && text.p[i] != '`' &&
               !separator(text, i))
            i++;
        if (i == b) { /* a separator on its own */
            i += separator(text, i);
            continue;
        }
        th_str raw = th_str_make(text.p + b, i - b);
        if (th_str_starts(raw, "http://") || th_str_starts(raw, "https://") || raw.n >= sizeof tok)
            continue;
        size_t n = 0;
        for (size_t k = 0; k < raw.n; k++) {
            if (k + 2 < raw.n && memcmp(raw.p + k, "\xe2\x80\x99", 3) == 0) {
                offs[n] = b + k;
                tok[n++] = '\'';
                k += 2;
                continue;
            }
            offs[n] = b + k;
            tok[n++] = raw.p[k];
        }
        size_t lo = 0, hi = n;
        while (lo < hi && is_trim((unsigned char)tok[lo]))
            lo++;
        while (hi > lo && is_trim((unsigned char)tok[hi - 1]))
            hi--;
        if (lo == hi)
            continue;
        th_str w = th_str_make(tok + lo, hi - lo);
        if (codeish(w))
            continue;
        /* hyphenated: part by part */
        size_t p = lo;
        for (size_t k = lo; k <= hi; k++) {
            if (k == hi || tok[k] == '-') {
                if (k > p)
                    nbad += check_word(s, th_str_make(tok + p, k - p), offs[p], bad, ctx);
                p = k + 1;
            }
        }
    }
    return nbad;
}
