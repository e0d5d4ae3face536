/* trailhound rules lint PATH... (also `trailhound lint`): tune/lint.h over
 * rule files and directories. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/timeutil.h"
#include "base/vec.h"
#include "cli/args.h"
#include "cli/rules_cli.h"
#include "cli/verbs.h"
#include "tune/lint.h"

static const th_opt opts[] = {
    {"today", TH_OPT_VALUE, "DATE", "date to check updated_date against (default: the clock)"},
    {"strict", TH_OPT_FLAG, NULL, "warnings fail too (exit 1)"},
    {"dict", TH_OPT_VALUE, "BASE", "Hunspell dictionary (default /usr/share/hunspell/en_US)"},
    {"wordlist", TH_OPT_VALUE, "FILE", "project words (default data/wordlist.txt)"},
    {"no-spell", TH_OPT_FLAG, NULL, "skip the spelling check"},
    {"quiet", TH_OPT_FLAG, NULL, "print only the summary"},
};

typedef TH_VEC(char *) paths_vec;

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *path, paths_vec *out, bool top)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (top)
            TH_VEC_PUSH(out, th_xstrdup(path)); /* reported when read */
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        size_t n = strlen(path);
        if (top || (n > 5 && strcmp(path + n - 5, ".toml") == 0))
            TH_VEC_PUSH(out, th_xstrdup(path));
        return;
    }
    DIR *d = opendir(path);
    if (!d)
        return;
    paths_vec kids = {0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *p = th_xmalloc(n);
        snprintf(p, n, "%s/%s", path, e->d_name);
        TH_VEC_PUSH(&kids, p);
    }
    closedir(d);
    if (kids.len)
        qsort(kids.items, kids.len, sizeof *kids.items, str_cmp);
    for (size_t i = 0; i < kids.len; i++) {
        walk(kids.items[i], out, false);
        free(kids.items[i]);
    }
    TH_VEC_FREE(&kids);
}

static bool parse_today(const char *s, int64_t *days)
{
    char d[16];
    if (!s || strlen(s) != 10)
        return false;
    memcpy(d, s, 11);
    d[4] = d[7] = '/';
    return th_lint_parse_date(d, days);
}

/* data/wordlist.txt next to the repository the binary was built in, or in
 * the current directory. */
static const char *default_wordlist(char *buf, size_t n)
{
    if (access("data/wordlist.txt", R_OK) == 0)
        return "data/wordlist.txt";
    const char *root = getenv("TH_ROOT");
    if (root) {
        snprintf(buf, n, "%s/data/wordlist.txt", root);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    ssize_t k = readlink("/proc/self/exe", buf, n - 32);
    if (k > 0) {
        buf[k] = 0;
        for (int up = 0; up < 4; up++) {
            char *slash = strrchr(buf, '/');
            if (!slash)
                break;
            *slash = 0;
            size_t l = strlen(buf);
            snprintf(buf + l, n - l, "/data/wordlist.txt");
            if (access(buf, R_OK) == 0)
                return buf;
            buf[l] = 0;
        }
    }
    return NULL;
}

int th_cmd_rules_lint(int argc, char **argv)
{
    int first = 2;
    for (int i = 1; i < argc && i < 3; i++)
        if (strcmp(argv[i], "lint") == 0)
            first = i + 1;
    th_args a;
    if (!th_args_parse(&a, "rules lint", opts, TH_NELEM(opts), argc, argv, first))
        return TH_EXIT_USAGE;
    if (a.help) {
        th_args_help("trailhound rules lint [options] PATH...",
                     "Checks rule files for problems a reviewer would flag: dates, versions,\n"
                     "spelling, query fields against the schema, ATT&CK mappings.\n"
                     "Exit 1 when there are errors (or warnings, with --strict).",
                     opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    if (a.npos == 0) {
        fprintf(stderr, "trailhound rules lint: no PATH given (try --help)\n");
        return TH_EXIT_USAGE;
    }
    int64_t today = (int64_t)time(NULL) / 86400;
    const char *t = th_args_value(&a, "today");
    if (t && !parse_today(t, &today)) {
        fprintf(stderr, "trailhound rules lint: --today '%s' is not YYYY/MM/DD\n", t);
        return TH_EXIT_USAGE;
    }
    th_spell *spell = NULL;
    if (!th_args_flag(&a, "no-spell")) {
        spell = th_spell_new();
        const char *dict = th_args_value(&a, "dict");
        if (!th_spell_load_hunspell(spell, dict ? dict : "/usr/share/hunspell/en_US")) {
            fprintf(stderr,
                    "trailhound rules lint: no Hunspell dictionary at %s.dic (install "
                    "hunspell-en-us); spelling not checked\n",
                    dict ? dict : "/usr/share/hunspell/en_US");
            th_spell_free(spell);
            spell = NULL;
        } else {
            char buf[4096];
            const char *wl = th_args_value(&a, "wordlist");
            if (!wl)
                wl = default_wordlist(buf, sizeof buf);
            if (wl && !th_spell_load_list(spell, wl))
                fprintf(stderr, "trailhound rules lint: cannot read word list %s\n", wl);
        }
    }
    th_lint l;
    th_lint_init(&l, today, spell);
    th_diags d;
    th_diags_init(&d);
    bool quiet = th_args_flag(&a, "quiet");
    paths_vec files = {0};
    for (size_t i = 0; i < a.npos; i++)
        walk(a.pos[i], &files, true);
    size_t unreadable = 0;
    for (size_t i = 0; i < files.len; i++) {
        size_t len;
        char *text = th_file_read(files.items[i], &len);
        if (!text) {
            th_diag_at(&d, TH_SEV_ERROR, files.items[i], 0, 0, "cannot read file");
            unreadable++;
        } else {
            th_lint_text(&l, files.items[i], text, len, &d);
            free(text);
        }
        free(files.items[i]);
    }
    TH_VEC_FREE(&files);
    th_lint_finish(&l, &d);
    if (!quiet)
        th_rules_cli_print_diags(&d, stdout, false); /* sorted by file and line */
    fflush(stdout);
    fprintf(quiet ? stdout : stderr,
            "%zu files, %zu errors, %zu warnings (fields checked against the schema in %zu KQL, "
            "%zu EQL and %zu ES|QL queries; %zu EQL sequences or other languages not field-checked)\n",
            l.files, d.errors, d.warnings, l.rules_kql, l.rules_eql, l.rules_esql, l.rules_other_lang);
    bool strict = th_args_flag(&a, "strict");
    int rc = d.errors || (strict && d.warnings) ? TH_EXIT_FINDINGS : TH_EXIT_OK;
    if (unreadable && unreadable == l.files + unreadable)
        rc = TH_EXIT_USAGE;
    th_diags_free(&d);
    th_lint_free(&l);
    th_spell_free(spell);
    return rc;
}
