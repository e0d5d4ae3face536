/* Every rule file of the Elastic detection-rules corpus loads and validates
 * with zero errors (the AWS pack on its own, then every integration), and every
 * hunting file loads as a hunt with its queries. Prints RATE: lines. Skips
 * visibly when ../shared/corpus is absent. */
#include "th_test.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rules/rule.h"

typedef struct tally {
    size_t files, loaded, valid, errors, warnings;
} tally;

static tally run(const char *dir, th_rule_type want, bool print_problems)
{
    tally t = {0};
    th_ruleset rs;
    th_diags d;
    th_ruleset_init(&rs);
    th_diags_init(&d);
    const char *paths[] = {dir};
    th_ruleset_load(&rs, paths, 1, &d);
    t.files = rs.files_seen;
    for (size_t i = 0; i < rs.len; i++) {
        const th_rule *r = rs.rules[i];
        if (want == TH_RULE_HUNT ? r->type == TH_RULE_HUNT : r->type != TH_RULE_HUNT)
            t.loaded++;
        size_t before = d.errors;
        th_rule_validate(r, &d);
        if (d.errors == before)
            t.valid++;
    }
    th_ruleset_check_duplicates(&rs, &d);
    t.errors = d.errors;
    t.warnings = d.warnings;
    if (print_problems)
        for (size_t i = 0; i < d.len && i < 30; i++)
            th_diag_print(&d.items[i], stdout);
    th_diags_free(&d);
    th_ruleset_free(&rs);
    return t;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void aws_rules_load_and_validate(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/detection-rules/rules/integrations/aws", corpus);
    assert_true(is_dir(dir));
    tally t = run(dir, TH_RULE_QUERY, true);
    print_message("RATE: aws rules loaded %zu/%zu, valid %zu/%zu (%zu errors, %zu warnings)\n",
                  t.loaded, t.files, t.valid, t.files, t.errors, t.warnings);
    assert_int_equal(t.files, 194); /* SEMANTICS.md section 0 */
    assert_int_equal(t.loaded, t.files);
    assert_int_equal(t.valid, t.files);
    assert_int_equal(t.errors, 0);
}

static void all_rules_load_and_validate(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/detection-rules/rules", corpus);
    assert_true(is_dir(dir));
    tally t = run(dir, TH_RULE_QUERY, true);
    print_message("RATE: all rules loaded %zu/%zu, valid %zu/%zu (%zu errors, %zu warnings)\n",
                  t.loaded, t.files, t.valid, t.files, t.errors, t.warnings);
    assert_true(t.files >= 194);
    assert_int_equal(t.loaded, t.files);
    assert_int_equal(t.valid, t.files);
    assert_int_equal(t.errors, 0);
}

static void hunting_files_load(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/detection-rules/hunting", corpus);
    assert_true(is_dir(dir));
    th_ruleset rs;
    th_diags d;
    th_ruleset_init(&rs);
    th_diags_init(&d);
    const char *paths[] = {dir};
    th_ruleset_load(&rs, paths, 1, &d);
    size_t hunts = 0, with_query = 0;
    for (size_t i = 0; i < rs.len; i++) {
        const th_rule *r = rs.rules[i];
        hunts += r->type == TH_RULE_HUNT;
        with_query += r->hunt_queries.len > 0 && r->query && r->rule_id && r->name &&
                      r->language == TH_LANG_ESQL;
        th_rule_validate(r, &d);
    }
    print_message("RATE: hunting files loaded %zu/%zu, with an ES|QL query %zu, "
                  "validate errors %zu\n",
                  hunts, rs.files_seen, with_query, d.errors);
    for (size_t i = 0; i < d.len && i < 30; i++)
        th_diag_print(&d.items[i], stdout);
    assert_true(rs.files_seen >= 24);
    assert_int_equal(hunts, rs.files_seen);
    assert_int_equal(with_query, hunts);
    assert_int_equal(d.errors, 0);
    th_diags_free(&d);
    th_ruleset_free(&rs);
}

/* The schedule numbers the engine relies on, over the AWS pack: every rule has a
 * lookback and interval, new_terms rules a history window longer than `from`. */
static void aws_schedule_fields_are_filled(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/detection-rules/rules/integrations/aws", corpus);
    th_ruleset rs;
    th_diags d;
    th_ruleset_init(&rs);
    th_diags_init(&d);
    const char *paths[] = {dir};
    th_ruleset_load(&rs, paths, 1, &d);
    size_t counts[TH_RULE_UNKNOWN + 1] = {0};
    for (size_t i = 0; i < rs.len; i++) {
        const th_rule *r = rs.rules[i];
        counts[r->type]++;
        assert_true(r->lookback_ms >= 60000);
        assert_true(r->interval_ms >= 60000);
        assert_int_equal(r->max_signals, 100);
        if (r->type != TH_RULE_MACHINE_LEARNING) {
            assert_non_null(r->query);
            assert_true(r->query_line > 0);
        }
        if (r->type == TH_RULE_NEW_TERMS) {
            assert_true(r->new_terms_fields.len >= 1 && r->new_terms_fields.len <= 3);
            assert_true(r->history_window_ms > r->lookback_ms);
        }
        if (r->type == TH_RULE_THRESHOLD)
            assert_true(r->threshold_value >= 1);
    }
    /* SEMANTICS.md section 0 */
    print_message("RATE: aws types query %zu, new_terms %zu, eql %zu, esql %zu, threshold %zu, "
                  "ml %zu\n",
                  counts[TH_RULE_QUERY], counts[TH_RULE_NEW_TERMS], counts[TH_RULE_EQL],
                  counts[TH_RULE_ESQL], counts[TH_RULE_THRESHOLD],
                  counts[TH_RULE_MACHINE_LEARNING]);
    assert_int_equal(counts[TH_RULE_QUERY], 85);
    assert_int_equal(counts[TH_RULE_NEW_TERMS], 49);
    assert_int_equal(counts[TH_RULE_EQL], 27);
    assert_int_equal(counts[TH_RULE_ESQL], 23);
    assert_int_equal(counts[TH_RULE_THRESHOLD], 5);
    assert_int_equal(counts[TH_RULE_MACHINE_LEARNING], 5);
    th_diags_free(&d);
    th_ruleset_free(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aws_rules_load_and_validate),
        cmocka_unit_test(all_rules_load_and_validate),
        cmocka_unit_test(hunting_files_load),
        cmocka_unit_test(aws_schedule_fields_are_filled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
