/* trailhound rules lint PATH... (also `trailhound lint`): tune/lint.h over
 * rule files and directories. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/timeutil.h"
#include "base/vec.h"
#include "base/walk.h"
#include "cli/args.h"
#include "ecs/mapper.h"
#include "cli/guard.h"
#include "cli/report.h"
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
    {"format", TH_OPT_VALUE, "text|json|sarif", "output format (default text); sarif: SARIF 2.1.0 for code scanning"},
};

typedef TH_VEC(char *) paths_vec;

static bool parse_today(const char *s, int64_t *days)
{
    char d[16];
    if (!s || strlen(s) != 10)
        return false;
    memcpy(d, s, 11);
    d[4] = d[7] = '/';
    return th_lint_parse_date(d, days);
}

/* data/wordlist.txt, found as every data file is (th_mapper_default_path):
 * installed under PREFIX/share/trailhound, or in the source tree. */
static const char *default_wordlist(char *buf, size_t n)
{
    return th_mapper_default_path("data/wordlist.txt", buf, n);
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
                     "Exit 1 when there are errors (or warnings, with --strict).\n"
                     "--format json: an array of {file, line, col, severity, message}; sarif: a\n"
                     "SARIF 2.1.0 log (GitHub code scanning); the summary then goes to stderr.\n\n"
                     "example: trailhound rules lint --format sarif rules/ > lint.sarif",
                     opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    if (a.npos == 0) {
        fprintf(stderr, "trailhound rules lint: no PATH given (try --help)\n");
        return TH_EXIT_USAGE;
    }
    th_report_fmt fmt;
    if (!th_report_fmt_parse("rules lint", th_args_value(&a, "format"), &fmt))
        return TH_EXIT_USAGE;
    if (!th_cli_paths_ok("rules lint", "PATH", TH_ROLE_RULES, a.pos, a.npos))
        return TH_EXIT_USAGE;
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
    size_t unreadable = 0;
    th_walk_opts wo = {.suffix = ".toml", .diags = &d};
    th_walk *w = th_walk_open((const char *const *)a.pos, a.npos, &wo);
    th_walk_item it;
    th_walk_kind k;
    while ((k = th_walk_next(w, &it)) != TH_WALK_END) {
        if (k == TH_WALK_FILE)
            TH_VEC_PUSH(&files, th_xstrdup(it.path));
        else
            unreadable++; /* reported by the walker */
    }
    th_walk_close(w);
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
    if (files.len == 0) {
        TH_VEC_FREE(&files);
        th_lint_free(&l);
        th_diags_free(&d);
        th_spell_free(spell);
        return th_cli_no_rules("rules lint", a.pos, a.npos);
    }
    TH_VEC_FREE(&files);
    th_lint_finish(&l, &d);
    if (fmt != TH_REPORT_TEXT) {
        th_buf out;
        th_buf_init(&out);
        if (fmt == TH_REPORT_SARIF)
            th_report_diags_sarif(&d, false, "trailhound/lint",
                                  "reviewer checks: dates, spelling, fields, ATT&CK "
                                  "(trailhound rules lint)",
                                  &out);
        else
            th_report_diags_json(&d, false, &out);
        th_buf_write(&out, stdout);
        th_buf_free(&out);
        quiet = false; /* the summary goes to stderr, as with text */
    } else if (!quiet) {
        th_rules_cli_print_diags(&d, stdout, false); /* sorted by file and line */
    }
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
