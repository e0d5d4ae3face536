/* Word checks through libhunspell (spell.h); the tokenizer that decides what
 * is a word is ours. */
#include "tune/spell.h"

#include <ctype.h>
#include <hunspell.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/file.h"

struct th_spell {
    Hunhandle *h; /* NULL until a dictionary is loaded */
    size_t added; /* project words */
};

th_spell *th_spell_new(void)
{
    return th_xcalloc(1, sizeof(th_spell));
}

void th_spell_free(th_spell *s)
{
    if (!s)
        return;
    if (s->h)
        Hunspell_destroy(s->h);
    free(s);
}

size_t th_spell_size(const th_spell *s)
{
    return s->added;
}

bool th_spell_load_hunspell(th_spell *s, const char *base)
{
    char dic[4096], aff[4096];
    snprintf(dic, sizeof dic, "%s.dic", base);
    snprintf(aff, sizeof aff, "%s.aff", base);
    FILE *f = fopen(dic, "rb"); /* Hunspell_create does not say when a file is missing */
    if (!f)
        return false;
    fclose(f);
    if (s->h)
        Hunspell_destroy(s->h);
    s->h = Hunspell_create(aff, dic);
    return s->h != NULL;
}

/* w as a NUL-terminated string in buf; false when it does not fit. */
static bool cstr(th_str w, char *buf, size_t cap)
{
    if (w.n == 0 || w.n >= cap)
        return false;
    memcpy(buf, w.p, w.n);
    buf[w.n] = 0;
    return true;
}

void th_spell_add_word(th_spell *s, th_str w)
{
    char b[256];
    if (s->h && cstr(w, b, sizeof b) && Hunspell_add(s->h, b) == 0)
        s->added++;
}

bool th_spell_load_list(th_spell *s, const char *path)
{
    size_t len;
    char *buf = th_file_read(path, &len);
    if (!buf)
        return false;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len, e = end;
        while (e > pos && (buf[e - 1] == '\r' || buf[e - 1] == ' ' || buf[e - 1] == '\t'))
            e--;
        if (e > pos && buf[pos] != '#')
            th_spell_add_word(s, th_str_make(buf + pos, e - pos));
        pos = end + 1;
    }
    free(buf);
    return true;
}

/* Hunspell accepts a known word as written, capitalised (sentence start) and
 * in capitals; a word of the project list spelt with other capitals (aws for
 * AWS) is accepted lowercased too, as the reader before Hunspell did. */
bool th_spell_check(const th_spell *s, th_str w)
{
    char b[256];
    if (!s->h || !cstr(w, b, sizeof b))
        return true;
    if (Hunspell_spell(s->h, b))
        return true;
    bool changed = false;
    for (size_t i = 0; i < w.n; i++) {
        char c = (char)tolower((unsigned char)b[i]);
        changed |= c != b[i];
        b[i] = c;
    }
    return changed && Hunspell_spell(s->h, b);
}

size_t th_spell_suggest(const th_spell *s, th_str w, char *out, size_t cap)
{
    char b[256];
    if (cap)
        out[0] = 0;
    if (!s->h || !cstr(w, b, sizeof b) || cap == 0)
        return 0;
    char **list = NULL;
    int n = Hunspell_suggest(s->h, &list, b);
    size_t len = 0, taken = 0;
    for (int i = 0; i < n && taken < 3; i++) {
        size_t k = strlen(list[i]);
        if (len + k + 3 > cap)
            break;
        if (taken)
            memcpy(out + len, ", ", 2), len += 2;
        memcpy(out + len, list[i], k);
        len += k;
        taken++;
    }
    out[len] = 0;
    if (list)
        Hunspell_free_list(s->h, &list, n);
    return taken;
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
