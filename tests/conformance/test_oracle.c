/* Differential test against the oracle cases (../shared/corpus/oracle): every
 * KQL rule of rules.txt is evaluated over events.ndjson and the selected event
 * indexes are compared, as sets, with expected.ndjson. Also: every KQL query of
 * the AWS rule pack compiles. Queries are taken from the rule TOML files with a
 * small extractor (the rules use `query = '''...'''` literal strings). */
#include "th_test.h"

#include <dirent.h>

#include "base/arena.h"
#include "base/diag.h"
#include "json/json.h"
#include "query/ir.h"
#include "query/query.h"

#define MAX_RULES 256

typedef struct oracle_rule {
    char id[64], type[32], lang[16], file[256];
} oracle_rule;

/* The text of the `query = '''...'''` key of a rule file (malloc'd), or NULL. */
static char *extract_query(const char *toml, unsigned *line)
{
    const char *p = toml;
    unsigned ln = 1;
    while (*p) {
        if (strncmp(p, "query = '''", 11) == 0) {
            const char *b = p + 11;
            if (*b == '\n') {
                b++;
                ln++;
            }
            const char *e = strstr(b, "'''");
            if (!e)
                return NULL;
            *line = ln;
            return strndup(b, (size_t)(e - b));
        }
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
        ln++;
    }
    return NULL;
}

static char *rule_query(const char *corpus, const char *file, unsigned *line)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/detection-rules/%s", corpus, file);
    size_t n;
    char *text = th_test_read_file(path, &n);
    if (!text)
        return NULL;
    char *q = extract_query(text, line);
    free(text);
    return q;
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

/* The rule's event_category_override, or NULL (static buffer). */
static const char *category_override(const char *corpus, const char *file)
{
    static char out[128];
    char path[1024];
    snprintf(path, sizeof path, "%s/detection-rules/%s", corpus, file);
    size_t n;
    char *text = th_test_read_file(path, &n);
    const char *k = text ? strstr(text, "\nevent_category_override = \"") : NULL;
    const char *r = NULL;
    if (k && sscanf(k, "\nevent_category_override = \"%127[^\"]\"", out) == 1)
        r = out;
    free(text);
    return r;
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
    for (size_t r = 0; r < nrules; r++) {
        if (strcmp(rules[r].lang, lang) != 0 || (eql && strcmp(rules[r].type, "eql") != 0))
            continue;
        total++;
        unsigned line = 0;
        char *q = rule_query(corpus, rules[r].file, &line);
        assert_non_null(q);
        th_diags diags;
        th_diags_init(&diags);
        th_qsource src = {rules[r].file, line, 1};
        if (eql && strncmp(q, "sequence", 8) == 0) { /* run by the engine, not a filter */
            total--;
            free(q);
            th_diags_free(&diags);
            continue;
        }
        th_query *cq = eql ? th_query_compile_eql(&qa, q, strlen(q), category_override(corpus, rules[r].file),
                                                  &src, &diags)
                           : th_query_compile(&qa, TH_QLANG_KQL, q, strlen(q), &src, &diags);
        if (!cq) {
            print_message("rule %s (%s): does not compile\n", rules[r].id, rules[r].file);
            th_diags_print(&diags, stderr);
            th_diags_free(&diags);
            free(q);
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
        free(q);
        th_arena_reset(&qa);
    }
    print_message("RATE: oracle %s rules exact %zu/%zu (compiled %zu/%zu; %zu matches, oracle %zu; "
                  "%zu disagreeing events)\n",
                  eql ? "EQL single-event" : "KQL", exact, total, compiled, total, matched, expected_total,
                  disagree_events);
    th_arena_free(&qa);
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

/* Every kuery rule and every single-event EQL rule of the AWS pack parses and
 * compiles without warnings. */
static void test_all_aws_kql_compile(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/detection-rules/rules/integrations/aws", corpus);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    size_t kql = 0, ok = 0, warnings = 0, eql = 0, eql_ok = 0, eql_seq = 0;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    while ((de = readdir(d)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (nl < 6 || strcmp(de->d_name + nl - 5, ".toml") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t n;
        char *text = th_test_read_file(path, &n);
        assert_non_null(text);
        bool is_kql = strstr(text, "\nlanguage = \"kuery\"") != NULL;
        bool is_eql = strstr(text, "\nlanguage = \"eql\"") != NULL;
        unsigned line = 0;
        char *q = is_kql || is_eql ? extract_query(text, &line) : NULL;
        char cat[128] = "";
        const char *k = strstr(text, "\nevent_category_override = \"");
        if (k)
            sscanf(k, "\nevent_category_override = \"%127[^\"]\"", cat);
        free(text);
        if (is_eql) {
            assert_non_null(q);
            eql++;
            if (strncmp(q, "sequence", 8) == 0) {
                eql_seq++;
            } else {
                th_diags diags;
                th_diags_init(&diags);
                th_qsource src = {de->d_name, line, 1};
                if (th_query_compile_eql(&a, q, strlen(q), cat[0] ? cat : NULL, &src, &diags))
                    eql_ok++;
                warnings += diags.warnings;
                if (diags.len)
                    th_diags_print(&diags, stderr);
                th_diags_free(&diags);
            }
            free(q);
            continue;
        }
        if (!is_kql)
            continue;
        kql++;
        assert_non_null(q);
        th_diags diags;
        th_diags_init(&diags);
        th_qsource src = {de->d_name, line, 1};
        th_query *cq = th_query_compile(&a, TH_QLANG_KQL, q, strlen(q), &src, &diags);
        if (cq)
            ok++;
        warnings += diags.warnings;
        if (!cq || diags.warnings)
            th_diags_print(&diags, stderr);
        th_diags_free(&diags);
        free(q);
        th_arena_reset(&a);
    }
    closedir(d);
    th_arena_free(&a);
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
        cmocka_unit_test(test_all_aws_kql_compile),
        cmocka_unit_test(test_oracle_kql),
        cmocka_unit_test(test_oracle_eql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
