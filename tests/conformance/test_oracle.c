/* Differential test against the oracle cases (../shared/corpus/oracle): every
 * KQL and single-event EQL rule of rules.txt is evaluated over events.ndjson and
 * the selected event indexes are compared, as sets, with expected.ndjson. Also:
 * every KQL and single-event EQL query of the AWS rule pack compiles. Rules are
 * read with the rule loader (src/rules), as `trailhound match` reads them. */
#include "th_test.h"

#include "base/arena.h"
#include "base/diag.h"
#include "json/json.h"
#include "query/ir.h"
#include "query/query.h"
#include "rules/rule.h"

#define MAX_RULES 256

typedef struct oracle_rule {
    char id[64], type[32], lang[16], file[256];
} oracle_rule;

/* Loads one rule file with the real loader. */
static const th_rule *load_rule(th_ruleset *rs, const char *corpus, const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/detection-rules/%s", corpus, file);
    const char *paths[1] = {path};
    size_t before = rs->len;
    th_diags d;
    th_diags_init(&d);
    th_ruleset_load(rs, paths, 1, &d);
    th_diags_free(&d);
    return rs->len == before + 1 ? rs->rules[before] : NULL;
}

static bool is_sequence(const char *q)
{
    while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
        q++;
    return strncmp(q, "sequence", 8) == 0;
}

/* Compiles a rule's query as match does (EQL with its event_category_override). */
static th_query *compile_rule(th_arena *a, const th_rule *r, th_diags *d)
{
    th_qsource src = {r->path, r->query_line, r->query_col};
    if (r->language == TH_LANG_EQL)
        return th_query_compile_eql(a, r->query, strlen(r->query), r->event_category_override, &src, d);
    return th_query_compile(a, TH_QLANG_KQL, r->query, strlen(r->query), &src, d);
}

static size_t load_rules(const char *corpus, oracle_rule *rules)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/oracle/rules.txt", corpus);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    size_t n = 0;
    while (fgets(line, sizeof line, f) && n < MAX_RULES) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        oracle_rule *r = &rules[n];
        if (sscanf(line, "%63[^\t]\t%31[^\t]\t%15[^\t]\t%255[^\t\n]", r->id, r->type, r->lang, r->file) == 4)
            n++;
    }
    fclose(f);
    return n;
}

typedef struct events {
    th_arena arena;
    th_jval **docs;
    size_t n;
    char *buf;
} events;

static void load_events(const char *corpus, events *ev)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/oracle/events.ndjson", corpus);
    size_t len;
    ev->buf = th_test_read_file(path, &len);
    assert_non_null(ev->buf);
    th_arena_init(&ev->arena, 1 << 20);
    size_t cap = 16384;
    ev->docs = malloc(cap * sizeof *ev->docs);
    ev->n = 0;
    char *p = ev->buf, *end = ev->buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t k = 0;
        while (k < ll && (p[k] == ' ' || p[k] == '\r' || p[k] == '\t'))
            k++;
        if (k < ll) {
            th_json_error err;
            th_jval *d = th_json_parse(&ev->arena, p, ll, &err);
            assert_non_null(d);
            if (ev->n == cap) {
                cap *= 2;
                ev->docs = realloc(ev->docs, cap * sizeof *ev->docs);
            }
            ev->docs[ev->n++] = d;
        }
        p += ll + 1;
    }
}

/* expected[i] marks the events the oracle selects for one rule */
static size_t load_expected(const char *corpus, const char *rule_id, unsigned char *mark, size_t nev)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/oracle/expected.ndjson", corpus);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    memset(mark, 0, nev);
    char *line = NULL;
    size_t cap = 0, count = 0;
    char needle[96];
    snprintf(needle, sizeof needle, "\"rule_id\": \"%.63s\"", rule_id);
    th_arena a;
    th_arena_init(&a, 1 << 16);
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (!strstr(line, needle))
            continue;
        th_json_error err;
        th_jval *d = th_json_parse(&a, line, (size_t)len, &err);
        assert_non_null(d);
        int64_t idx;
        if (th_jnum_i64(th_jobj_get(d, "index"), &idx) && idx >= 0 && (size_t)idx < nev &&
            !th_jobj_get(d, "sequence")) {
            mark[idx] = 1;
            count++;
        }
        th_arena_reset(&a);
    }
    free(line);
    th_arena_free(&a);
    fclose(f);
    return count;
}

static void run_oracle(const char *lang)
{
    bool eql = strcmp(lang, "eql") == 0;
    TH_REQUIRE_CORPUS(corpus);
    static oracle_rule rules[MAX_RULES];
    size_t nrules = load_rules(corpus, rules);
    assert_true(nrules > 100);
    events ev;
    load_events(corpus, &ev);
    assert_true(ev.n > 10000);
    unsigned char *mark = malloc(ev.n);
    size_t total = 0, exact = 0, compiled = 0, disagree_events = 0, matched = 0, expected_total = 0;
    th_arena qa;
    th_arena_init(&qa, 1 << 16);
    th_ruleset rs;
    th_ruleset_init(&rs);
    for (size_t r = 0; r < nrules; r++) {
        if (strcmp(rules[r].lang, lang) != 0 || (eql && strcmp(rules[r].type, "eql") != 0))
            continue;
        total++;
        const th_rule *rule = load_rule(&rs, corpus, rules[r].file);
        if (!rule || !rule->query) {
            print_message("rule %s (%s): does not load\n", rules[r].id, rules[r].file);
            continue; /* counted in total, not compiled: the final check fails */
        }
        th_diags diags;
        th_diags_init(&diags);
        if (eql && is_sequence(rule->query)) { /* run by the engine, not a filter */
            total--;
            th_diags_free(&diags);
            continue;
        }
        th_query *cq = compile_rule(&qa, rule, &diags);
        if (!cq) {
            print_message("rule %s (%s): does not compile\n", rules[r].id, rules[r].file);
            th_diags_print(&diags, stderr);
            th_diags_free(&diags);
            continue;
        }
        compiled++;
        size_t nexp = load_expected(corpus, rules[r].id, mark, ev.n);
        size_t tp = 0, fp = 0, fn = 0;
        char fps[256] = "", fns[256] = "";
        for (size_t i = 0; i < ev.n; i++) {
            bool got = th_query_match(cq, ev.docs[i]);
            if (got && mark[i]) {
                tp++;
            } else if (got) {
                if (fp++ < 8)
                    snprintf(fps + strlen(fps), sizeof fps - strlen(fps), " %zu", i);
            } else if (mark[i]) {
                if (fn++ < 8)
                    snprintf(fns + strlen(fns), sizeof fns - strlen(fns), " %zu", i);
            }
        }
        matched += tp + fp;
        expected_total += nexp;
        if (fp == 0 && fn == 0) {
            exact++;
        } else {
            disagree_events += fp + fn;
            print_message("DISAGREE %s %s: expected %zu, tp %zu, fp %zu [%s ], fn %zu [%s ]\n",
                          rules[r].id, rules[r].file, nexp, tp, fp, fps, fn, fns);
        }
        th_diags_free(&diags);
        th_arena_reset(&qa);
    }
    print_message("RATE: oracle %s rules exact %zu/%zu (compiled %zu/%zu; %zu matches, oracle %zu; "
                  "%zu disagreeing events)\n",
                  eql ? "EQL single-event" : "KQL", exact, total, compiled, total, matched, expected_total,
                  disagree_events);
    th_arena_free(&qa);
    th_ruleset_free(&rs);
    th_arena_free(&ev.arena);
    free(ev.docs);
    free(ev.buf);
    free(mark);
    assert_int_equal(compiled, total);
    assert_true(expected_total > (eql ? 100u : 1000u)); /* the comparison saw the oracle's labels */
    assert_int_equal(exact, total);
}

static void test_oracle_kql(void **state)
{
    (void)state;
    run_oracle("kuery");
}

static void test_oracle_eql(void **state)
{
    (void)state;
    run_oracle("eql");
}

/* Every kuery rule and every single-event EQL rule of the AWS pack loads,
 * parses and compiles without warnings. */
static void test_all_aws_compile(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/detection-rules/rules/integrations/aws", corpus);
    th_ruleset rs;
    th_ruleset_init(&rs);
    th_diags ld;
    th_diags_init(&ld);
    const char *paths[1] = {dir};
    assert_int_equal(th_ruleset_load(&rs, paths, 1, &ld), 0);
    th_diags_free(&ld);
    size_t kql = 0, ok = 0, warnings = 0, eql = 0, eql_ok = 0, eql_seq = 0;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    for (size_t i = 0; i < rs.len; i++) {
        const th_rule *r = rs.rules[i];
        if (r->language != TH_LANG_KUERY && r->language != TH_LANG_EQL)
            continue;
        assert_non_null(r->query);
        bool is_eql = r->language == TH_LANG_EQL;
        if (is_eql)
            eql++;
        else
            kql++;
        if (is_eql && is_sequence(r->query)) {
            eql_seq++;
            continue;
        }
        th_diags diags;
        th_diags_init(&diags);
        if (compile_rule(&a, r, &diags)) {
            if (is_eql)
                eql_ok++;
            else
                ok++;
        }
        warnings += diags.warnings;
        if (diags.len)
            th_diags_print(&diags, stderr);
        th_diags_free(&diags);
        th_arena_reset(&a);
    }
    th_arena_free(&a);
    th_ruleset_free(&rs);
    print_message("RATE: AWS KQL queries compiled %zu/%zu, EQL single-event %zu/%zu (+%zu sequence) "
                  "(%zu warnings)\n", ok, kql, eql_ok, eql - eql_seq, eql_seq, warnings);
    assert_int_equal(kql, 139);
    assert_int_equal(ok, kql);
    assert_int_equal(eql, 27);
    assert_int_equal(eql_ok, eql - eql_seq);
    assert_int_equal(warnings, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_aws_compile),
        cmocka_unit_test(test_oracle_kql),
        cmocka_unit_test(test_oracle_eql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
