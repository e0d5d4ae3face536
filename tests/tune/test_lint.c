/* tune/lint: each check, with the line and column it reports. A clean rule
 * gives no findings; each case changes one thing and expects exactly the
 * finding(s) it causes. */
#include "th_test.h"

#include "base/diag.h"
#include "tune/lint.h"
#include "tune/spell.h"

/* A clean rule. Line numbers below refer to this layout (1-based). */
#define RULE(created, updated, version, name, desc, query, threat, inv)                            \
    "[metadata]\n"                          /* 1 */                                                \
    "creation_date = \"" created "\"\n"     /* 2 */                                                \
    "updated_date = \"" updated "\"\n"      /* 3 */                                                \
    "min_stack_version = \"" version "\"\n" /* 4 */                                                \
    "\n"                                    /* 5 */                                                \
    "[rule]\n"                              /* 6 */                                                \
    "name = \"" name "\"\n"                 /* 7 */                                                \
    "description = \"\"\"\n"                /* 8 */                                                \
        desc "\n"                           /* 9 */                                                \
    "\"\"\"\n"                              /* 10 */                                               \
    "note = \"Investigate the caller.\"\n"  /* 11 */                                               \
    "language = \"kuery\"\n"                /* 12 */                                               \
    "type = \"query\"\n"                    /* 13 */                                               \
    "query = '''\n"                         /* 14 */                                               \
        query "\n"                          /* 15.. */                                             \
    "'''\n" threat inv

#define OKQ "event.provider: \"iam.amazonaws.com\" and source.ip: * and event.outcome: success"
#define OKTHREAT                                                                                   \
    "\n[[rule.threat]]\n"                                                                          \
    "framework = \"MITRE ATT&CK\"\n"                                                               \
    "[[rule.threat.technique]]\n"                                                                  \
    "id = \"T1078\"\n"                                                                             \
    "name = \"Valid Accounts\"\n"                                                                  \
    "reference = \"https://attack.mitre.org/techniques/T1078/\"\n"                                 \
    "[[rule.threat.technique.subtechnique]]\n"                                                     \
    "id = \"T1078.004\"\n"                                                                         \
    "name = \"Cloud Accounts\"\n"                                                                  \
    "reference = \"https://attack.mitre.org/techniques/T1078/004/\"\n"                             \
    "[rule.threat.tactic]\n"                                                                       \
    "id = \"TA0005\"\n"                                                                            \
    "name = \"Defense Evasion\"\n"                                                                 \
    "reference = \"https://attack.mitre.org/tactics/TA0005/\"\n"
#define OKINV "[rule.investigation_fields]\nfield_names = [\"source.ip\", \"user.name\"]\n"
#define OKDESC "Detects a user creating credentials for another user."
#define CLEAN(...)                                                                                 \
    RULE("2024/01/01", "2026/06/01", "8.17.0", "Credentials Created", OKDESC, OKQ, OKTHREAT, OKINV)

typedef struct want {
    const char *check;  /* "[dates]" */
    unsigned line, col; /* col 0 = any */
    th_severity sev;
    const char *text; /* a part of the message */
} want;

typedef struct lcase {
    const char *name;
    const char *toml;
    want w[3];
    size_t nw;
} lcase;

static const lcase cases[] = {
    {"clean", CLEAN(), {{0}}, 0},
    {"updated in the future",
     RULE("2024/01/01", "2026/12/01", "8.17.0", "Credentials Created", OKDESC, OKQ, OKTHREAT,
          OKINV),
     {{"[dates]", 3, 16, TH_SEV_ERROR, "in the future (today is 2026/11/28)"}},
     1},
    {"updated before created",
     RULE("2025/01/01", "2024/06/01", "8.17.0", "Credentials Created", OKDESC, OKQ, OKTHREAT,
          OKINV),
     {{"[dates]", 3, 16, TH_SEV_ERROR, "before creation_date"}},
     1},
    {"not a real date",
     RULE("2024/02/30", "2026-06-01", "8.17.0", "Credentials Created", OKDESC, OKQ, OKTHREAT,
          OKINV),
     {{"[dates]", 2, 17, TH_SEV_ERROR, "'2024/02/30' is not a valid"},
      {"[dates]", 3, 16, TH_SEV_ERROR, "'2026-06-01' is not a valid"}},
     2},
    {"stack version",
     RULE("2024/01/01", "2026/06/01", "8.17", "Credentials Created", OKDESC, OKQ, OKTHREAT, OKINV),
     {{"[version]", 4, 21, TH_SEV_ERROR, "'8.17' is not MAJOR.MINOR.PATCH"}},
     1},
    {"spelling in name and description",
     RULE("2024/01/01", "2026/06/01", "8.17.0", "Credentails Created",
          "Detects `not_a_wurd` and IAM users; the attackr uses CreateAccessKey.", OKQ, OKTHREAT,
          OKINV),
     {{"[spelling]", 7, 9, TH_SEV_WARNING, "'Credentails'"},
      {"[spelling]", 9, 41, TH_SEV_WARNING, "'attackr'"}},
     2},
    {"unknown field",
     RULE("2024/01/01", "2026/06/01", "8.17.0", "Credentials Created", OKDESC,
          "event.provider: \"iam.amazonaws.com\"\n  and aws.cloudtrail.no_such_field: x", OKTHREAT,
          OKINV),
     {{"[fields]", 16, 7, TH_SEV_ERROR, "'aws.cloudtrail.no_such_field' is not in the field"}},
     1},
    {"wildcard on an ip field, text on a boolean",
     RULE("2024/01/01", "2026/06/01", "8.17.0", "Credentials Created", OKDESC,
          "source.ip: 10.* and aws.cloudtrail.read_only: yes", OKTHREAT, OKINV),
     {{"[fields]", 15, 1, TH_SEV_ERROR, "wildcard '10.*' on ip field"},
      {"[fields]", 15, 21, TH_SEV_ERROR, "'yes' is not a boolean"}},
     2},
    {"not exists is overly exclusive",
     RULE("2024/01/01", "2026/06/01", "8.17.0", "Credentials Created", OKDESC,
          "event.provider: \"iam.amazonaws.com\" and not (user.name: x or source.ip: *)", OKTHREAT,
          OKINV),
     {{"[negation]", 15, 62, TH_SEV_WARNING, "`not source.ip: *`"}},
     1},
    {"an even number of nots is no negation; spaced wildcards are one value; field patterns",
     RULE("2024/01/01", "2026/06/01", "8.17.0", "Credentials Created", OKDESC,
          "event.provider: x and not (user.name: y and not source.ip: *)\n"
          "  and user_agent.original: (*S3 Browser* or *Cyberduck*) and aws.cloudtrail.user_identity.ar*: yes\n"
          "  and not aws.cloudtrail.user_identity.invoked_by: *",
          OKTHREAT, OKINV),
     {{"[negation]", 17, 11, TH_SEV_WARNING, "`not aws.cloudtrail.user_identity.invoked_by: *`"}},
     1},
    {"query syntax",
     RULE("2024/01/01", "2026/06/01", "8.17.0", "Credentials Created", OKDESC,
          "event.provider: (a or b", OKTHREAT, OKINV),
     /* the parser's own report: the furthest point it reached (the end of
      * the query text, on the closing line) and what it expected there */
     {{"[fields]", 16, 1, TH_SEV_ERROR, "expected AND, OR or \")\" but found end of input"}},
     1},
    {"investigation field",
     RULE("2024/01/01", "2026/06/01", "8.17.0", "Credentials Created", OKDESC, OKQ, OKTHREAT,
          "[rule.investigation_fields]\nfield_names = [\"source.ip\",\n  \"no.such.field\"]\n"),
     {{"[inv-fields]", 34, 3, TH_SEV_ERROR, "'no.such.field'"}},
     1},
    {"subtechnique under another technique, tactic misnamed",
     RULE("2024/01/01", "2026/06/01", "8.17.0", "Credentials Created", OKDESC, OKQ,
          "\n[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[[rule.threat.technique]]\n"
          "id = \"T1098\"\nname = \"Account Manipulation\"\n"
          "[[rule.threat.technique.subtechnique]]\nid = \"T1078.004\"\nname = \"Cloud "
          "Accounts\"\n[rule.threat.tactic]\nid = \"TA0003\"\nname = \"Persistance\"\n",
          OKINV),
     {{"[attack]", 24, 6, TH_SEV_ERROR, "T1078.004 is not under its technique T1098"},
      {"[attack]", 28, 8, TH_SEV_ERROR, "is 'Persistence' in ATT&CK, not 'Persistance'"}},
     2},
    {"technique id format and reference",
     RULE("2024/01/01", "2026/06/01", "8.17.0", "Credentials Created", OKDESC, OKQ,
          "\n[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[[rule.threat.technique]]\n"
          "id = \"T1078\"\nname = \"Valid Accounts\"\n"
          "reference = \"https://attack.mitre.org/techniques/T1098/\"\n"
          "[[rule.threat.technique]]\nid = \"1098\"\nname = \"Account Manipulation\"\n"
          "[rule.threat.tactic]\nid = \"TA0003\"\nname = \"Persistence\"\n",
          OKINV),
     {{"[attack]", 23, 13, TH_SEV_WARNING, "does not match the id"},
      {"[attack]", 25, 6, TH_SEV_ERROR, "'1098' is not of the form T1234"}},
     2},
};

static th_spell *load_spell(void)
{
    th_spell *s = th_spell_new();
    if (!th_spell_load_hunspell(s, "/usr/share/hunspell/en_US")) {
        th_spell_free(s);
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/data/wordlist.txt", th_test_root());
    th_spell_load_list(s, path);
    return s;
}

static int64_t today(void)
{
    int64_t d;
    assert_true(th_lint_parse_date("2026/11/28", &d));
    return d;
}

static int by_position(const void *x, const void *y)
{
    const th_diag *a = x, *b = y;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return a->col < b->col ? -1 : a->col > b->col;
}

static void each_case_reports_exactly_its_findings(void **state)
{
    (void)state;
    th_spell *spell = load_spell();
    if (!spell)
        print_message("SKIP: hunspell-en-us absent; spelling cases not checked\n");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const lcase *c = &cases[i];
        bool needs_spell = strstr(c->name, "spelling") != NULL;
        if (needs_spell && !spell)
            continue;
        th_lint l;
        th_lint_init(&l, today(), spell);
        th_diags d;
        th_diags_init(&d);
        th_lint_text(&l, "rule.toml", c->toml, strlen(c->toml), &d);
        th_lint_finish(&l, &d);
        if (d.len)
            qsort(d.items, d.len, sizeof *d.items, by_position);
        if (d.len != c->nw) {
            print_message("case '%s': %zu findings, wanted %zu\n", c->name, d.len, c->nw);
            th_diags_print(&d, stderr);
        }
        assert_int_equal(d.len, c->nw);
        for (size_t k = 0; k < c->nw; k++) {
            const want *w = &c->w[k];
            const th_diag *g = &d.items[k];
            bool ok = strstr(g->message, w->check) && strstr(g->message, w->text) &&
                      g->line == w->line && (!w->col || g->col == w->col) && g->severity == w->sev;
            if (!ok) {
                print_message("case '%s' finding %zu: got ", c->name, k);
                th_diag_print(g, stderr);
                print_message("  wanted %u:%u %s %s\n", w->line, w->col, w->check, w->text);
            }
            assert_true(ok);
        }
        th_diags_free(&d);
        th_lint_free(&l);
    }
    th_spell_free(spell);
}

static void pack_names_tactic_consistently(void **state)
{
    (void)state;
    th_lint l;
    th_lint_init(&l, today(), NULL);
    th_diags d;
    th_diags_init(&d);
    const char *a = CLEAN();
    th_lint_text(&l, "a.toml", a, strlen(a), &d);
    th_lint_text(&l, "b.toml", a, strlen(a), &d);
    /* c.toml calls T1078 something else */
    char *c = strdup(a);
    char *p = strstr(c, "Valid Accounts");
    memcpy(p, "Valid Acounts\"", 14);
    p[14] = ' '; /* keep the length: `"Valid Acounts" ` */
    th_lint_text(&l, "c.toml", c, strlen(c), &d);
    assert_int_equal(d.len, 0);
    assert_int_equal(th_lint_finish(&l, &d), 1);
    assert_string_equal(d.items[0].file, "c.toml");
    assert_int_equal(d.items[0].line, 22);
    assert_int_equal(d.items[0].col, 8);
    assert_non_null(strstr(d.items[0].message, "'Valid Acounts' here but 'Valid Accounts' in 2"));
    free(c);
    th_diags_free(&d);
    th_lint_free(&l);
}

static void count_bad(th_str w, size_t off, void *ctx)
{
    (void)w;
    (void)off;
    (*(size_t *)ctx)++;
}

static void spell_uses_affixes_and_skips_code(void **state)
{
    (void)state;
    th_spell *s = load_spell();
    if (!s) {
        print_message("SKIP: hunspell-en-us absent\n");
        skip();
        return;
    }
    const char *good[] = {"detects", "credentials",  "unusual",           "Privileged",
                          "role's",  "exfiltration", "misconfigurations", "hijacking"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        th_str w = th_str_c(good[i]);
        if (!th_spell_check(s, w))
            print_message("not known: %.*s\n", (int)w.n, w.p);
        assert_true(th_spell_check(s, w));
    }
    assert_false(th_spell_check(s, th_str_c("recieve")));
    assert_false(th_spell_check(s, th_str_c("occurance")));
    /* Hunspell's suggestions name the word meant */
    char sug[160];
    assert_true(th_spell_suggest(s, th_str_c("recieve"), sug, sizeof sug) > 0);
    assert_non_null(strstr(sug, "receive"));
    assert_true(th_spell_suggest(s, th_str_c("occurance"), sug, sizeof sug) > 0);
    assert_non_null(strstr(sug, "occurrence"));
    /* lowercase forms rule texts use (project word list) are not warnings */
    const char *project[] = {"aws", "http", "env", "ie", "AWS", "Kubernetes"};
    for (size_t i = 0; i < sizeof project / sizeof project[0]; i++)
        assert_true(th_spell_check(s, th_str_c(project[i])));
    size_t n = 0;
    size_t bad = th_spell_text(s,
                               th_str_c("Calls `GetSessionToken` via aws_cli v2.0, IAM, ARNs, "
                                        "https://example.com/x, DescribeInstances, foo.bar "
                                        "and the user’s keys—twice (re-enabled)"),
                               count_bad, &n);
    assert_int_equal(bad, 0);
    assert_int_equal(n, 0);
    bad = th_spell_text(s, th_str_c("a wrod here, and “anothr” one"), count_bad, &n);
    assert_int_equal(bad, 2);
    assert_int_equal(n, 2);
    th_spell_free(s);
}

static void eql_fields_are_checked_too(void **state)
{
    (void)state;
    static const char t[] =
        "[metadata]\ncreation_date = \"2024/01/01\"\nupdated_date = \"2026/06/01\"\n"
        "[rule]\nname = \"Logging Stopped\"\ndescription = \"Detects it.\"\n"
        "note = \"Look.\"\nlanguage = \"eql\"\ntype = \"eql\"\nquery = '''\n"
        "any where event.provider == \"cloudtrail.amazonaws.com\"\n"
        "  and aws.cloudtrail.flavour == \"x\"\n'''\n";
    th_lint l;
    th_lint_init(&l, today(), NULL);
    th_diags d;
    th_diags_init(&d);
    th_lint_text(&l, "eql.toml", t, sizeof t - 1, &d);
    assert_int_equal(l.rules_eql, 1);
    assert_int_equal(d.len, 1);
    assert_int_equal(d.items[0].line, 12);
    assert_int_equal(d.items[0].col, 7);
    assert_non_null(
        strstr(d.items[0].message, "'aws.cloudtrail.flavour' is not in the field schema"));
    th_diags_free(&d);
    th_lint_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_case_reports_exactly_its_findings),
        cmocka_unit_test(pack_names_tactic_consistently),
        cmocka_unit_test(eql_fields_are_checked_too),
        cmocka_unit_test(spell_uses_affixes_and_skips_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
