#include "cli/args.h"

#include <stdio.h>
#include <string.h>

static const th_opt *find(const th_opt *specs, size_t n, const char *name, size_t len, size_t *idx)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(specs[i].name) == len && strncmp(specs[i].name, name, len) == 0) {
            *idx = i;
            return &specs[i];
        }
    }
    return NULL;
}

/* Levenshtein distance, capped: names are short (< 64 bytes compared). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *th_args_nearest(const char *s, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t bestd = 3;
    size_t ls = strlen(s);
    for (size_t i = 0; i < n; i++) {
        size_t ln = strlen(names[i]);
        size_t d = distance(s, names[i]);
        if (ls >= 3 && ln >= 3 && strncmp(s, names[i], ls < ln ? ls : ln) == 0 && d > 2)
            d = 2; /* --rule for --rules, --dat for --data */
        if (d < bestd) {
            bestd = d;
            best = names[i];
        }
    }
    return best;
}

static bool add_val(th_args *a, const char *verb, size_t spec, const char *v)
{
    if (a->nvals >= TH_ARGS_MAX) {
        fprintf(stderr, "trailhound %s: too many option values\n", verb);
        return false;
    }
    a->vals[a->nvals].spec = spec;
    a->vals[a->nvals].value = v;
    a->nvals++;
    return true;
}

bool th_args_parse(th_args *a, const char *verb, const th_opt *specs, size_t nspecs, int argc,
                   char **argv, int first)
{
    memset(a, 0, sizeof(*a));
    a->specs = specs;
    a->nspecs = nspecs;
    bool only_pos = false;
    for (int i = first; i < argc; i++) {
        const char *s = argv[i];
        if (only_pos || s[0] != '-' || strcmp(s, "-") == 0) {
            if (a->npos >= TH_ARGS_MAX) {
                fprintf(stderr, "trailhound %s: too many arguments\n", verb);
                return false;
            }
            a->pos[a->npos++] = s;
            continue;
        }
        if (strcmp(s, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            a->help = true;
            continue;
        }
        if (s[1] != '-') {
            fprintf(stderr, "trailhound %s: unknown option '%s' (options are --long; see --help)\n",
                    verb, s);
            return false;
        }
        const char *name = s + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        size_t idx;
        const th_opt *o = find(specs, nspecs, name, len, &idx);
        if (!o) {
            char given[64];
            snprintf(given, sizeof given, "%.*s", (int)(len < 63 ? len : 63), name);
            const char *names[TH_ARGS_MAX];
            size_t k = 0;
            for (size_t j = 0; j < nspecs && k < TH_ARGS_MAX; j++)
                names[k++] = specs[j].name;
            const char *near = th_args_nearest(given, names, k);
            if (near)
                fprintf(stderr, "trailhound %s: unknown option '--%s' (did you mean '--%s'?)\n",
                        verb, given, near);
            else
                fprintf(stderr, "trailhound %s: unknown option '--%s' (see --help)\n", verb,
                        given);
            return false;
        }
        if (o->kind == TH_OPT_FLAG) {
            if (eq) {
                fprintf(stderr, "trailhound %s: option '--%s' takes no value\n", verb, o->name);
                return false;
            }
            if (!add_val(a, verb, idx, "1"))
                return false;
            continue;
        }
        if (eq) {
            if (!add_val(a, verb, idx, eq + 1))
                return false;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "trailhound %s: option '--%s' needs a value (%s)\n", verb, o->name,
                    o->arg ? o->arg : "VALUE");
            return false;
        }
        if (o->kind == TH_OPT_VALUE) {
            if (!add_val(a, verb, idx, argv[++i]))
                return false;
            continue;
        }
        /* multi: every following argument up to the next option (`-` alone is
         * standard input; a path that starts with `-` can be given as ./-x) */
        int taken = 0;
        while (i + 1 < argc && !(argv[i + 1][0] == '-' && argv[i + 1][1] != '\0')) {
            if (!add_val(a, verb, idx, argv[++i]))
                return false;
            taken++;
        }
        if (!taken) {
            fprintf(stderr, "trailhound %s: option '--%s' needs at least one %s\n", verb,
                    o->name, o->arg ? o->arg : "value");
            return false;
        }
    }
    return true;
}

static bool spec_is(const th_args *a, size_t spec, const char *name)
{
    return strcmp(a->specs[spec].name, name) == 0;
}

bool th_args_flag(const th_args *a, const char *name)
{
    for (size_t i = 0; i < a->nvals; i++) {
        if (spec_is(a, a->vals[i].spec, name))
            return true;
    }
    return false;
}

const char *th_args_value(const th_args *a, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < a->nvals; i++) {
        if (spec_is(a, a->vals[i].spec, name))
            v = a->vals[i].value;
    }
    return v;
}

size_t th_args_values(const th_args *a, const char *name, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < a->nvals && n < max; i++) {
        if (spec_is(a, a->vals[i].spec, name))
            out[n++] = a->vals[i].value;
    }
    return n;
}

void th_args_help(const char *usage, const char *summary, const th_opt *specs, size_t nspecs)
{
    printf("usage: %s\n\n%s\n", usage, summary);
    if (nspecs)
        printf("\noptions:\n");
    for (size_t i = 0; i < nspecs; i++) {
        char left[64];
        if (specs[i].kind == TH_OPT_FLAG)
            snprintf(left, sizeof left, "--%s", specs[i].name);
        else if (specs[i].kind == TH_OPT_MULTI)
            snprintf(left, sizeof left, "--%s %s...", specs[i].name, specs[i].arg ? specs[i].arg : "V");
        else
            snprintf(left, sizeof left, "--%s %s", specs[i].name, specs[i].arg ? specs[i].arg : "V");
        printf("  %-28s %s\n", left, specs[i].help);
    }
    printf("  %-28s %s\n", "-h, --help", "show this help");
}
