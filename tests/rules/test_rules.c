/* rules/: the model filled from TOML, defaults, validation (each problem at
 * the line:col of the value it is about), malformed files, the loader. */
#include "th_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/limits.h"
#include "rules/rule.h"
#include "rules/validate_internal.h"

/* A rule of our own (not a corpus file); line numbers matter to the tests. */
static const char base_rule[] =
    "[metadata]\n"
    "creation_date = \"2026/01/10\"\n"
    "integration = [\"aws\"]\n"
    "maturity = \"production\"\n"
    "updated_date = \"2026/02/01\"\n"
    "\n"
    "[rule]\n"
    "author = [\"trailhound\"]\n"
    "description = \"Test rule.\"\n"
    "from = \"now-9m\"\n"
    "index = [\"logs-aws.cloudtrail-*\"]\n"
    "interval = \"5m\"\n"
    "language = \"kuery\"\n"
    "license = \"Apache-2.0\"\n"
    "name = \"Test Rule For CloudTrail\"\n"
    "risk_score = 47\n"
    "rule_id = \"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"\n"
    "severity = \"medium\"\n"
    "tags = [\"Domain: Cloud\"]\n"
    "timestamp_override = \"event.ingested\"\n"
    "type = \"query\"\n"
    "query = '''\n"
    "event.provider: \"cloudtrail.amazonaws.com\" and event.action: \"StopLogging\"\n"
    "'''\n"
    "\n"
    "[[rule.threat]]\n"
    "framework = \"MITRE ATT&CK\"\n"
    "\n"
    "[[rule.threat.technique]]\n"
    "id = \"T1562\"\n"
    "name = \"Impair Defenses\"\n"
    "reference = \"https://attack.mitre.org/techniques/T1562/\"\n"
    "\n"
    "[[rule.threat.technique.subtechnique]]\n"
    "id = \"T1562.008\"\n"
    "name = \"Disable or Modify Cloud Logs\"\n"
    "reference = \"https://attack.mitre.org/techniques/T1562/008/\"\n"
    "\n"
    "[rule.threat.tactic]\n"
    "id = \"TA0005\"\n"
    "name = \"Defense Evasion\"\n"
    "reference = \"https://attack.mitre.org/tactics/TA0005/\"\n";

static const char meta_and_rule_head[] = "[metadata]\n"
                                         "creation_date = \"2026/01/10\"\n"
                                         "maturity = \"production\"\n"
                                         "updated_date = \"2026/01/10\"\n"
                                         "\n"
                                         "[rule]\n"
                                         "author = [\"trailhound\"]\n"
                                         "description = \"Test rule.\"\n"
                                         "name = \"Another Test Rule\"\n"
                                         "rule_id = \"11111111-2222-4333-8444-555555555555\"\n";

static const char new_terms_tail[] =
    "index = [\"logs-aws.cloudtrail-*\"]\n"
    "language = \"kuery\"\n"
    "risk_score = 21\n"
    "severity = \"low\"\n"
    "type = \"new_terms\"\n"
    "query = \"event.provider: \\\"sts.amazonaws.com\\\"\"\n"
    "\n"
    "[rule.new_terms]\n"
    "field = \"new_terms_fields\"\n"
    "value = [\"aws.cloudtrail.user_identity.arn\", \"cloud.region\"]\n"
    "[[rule.new_terms.history_window_start]]\n"
    "field = \"history_window_start\"\n"
    "value = \"now-10d\"\n";

static const char threshold_tail[] = "from = \"now-6m\"\n"
                                     "index = [\"logs-aws.cloudtrail-*\"]\n"
                                     "language = \"kuery\"\n"
                                     "risk_score = 73\n"
                                     "severity = \"high\"\n"
                                     "type = \"threshold\"\n"
                                     "query = 'aws.cloudtrail.error_code: \"AccessDenied\"'\n"
                                     "\n"
                                     "[rule.threshold]\n"
                                     "field = [\"user.name\"]\n"
                                     "value = 25\n"
                                     "[[rule.threshold.cardinality]]\n"
                                     "field = \"event.action\"\n"
                                     "value = 5\n"
                                     "\n"
                                     "[rule.alert_suppression]\n"
                                     "duration = {value = 30, unit = \"m\"}\n";

static const char esql_tail[] = "from = \"now-30m\"\n"
                                "interval = \"10m\"\n"
                                "language = \"esql\"\n"
                                "risk_score = 21\n"
                                "severity = \"low\"\n"
                                "type = \"esql\"\n"
                                "query = '''\n"
                                "from logs-aws.cloudtrail-* metadata _id, _version, _index\n"
                                "| where event.action == \"StopLogging\"\n"
                                "| keep _id, _version, _index, event.action\n"
                                "'''\n"
                                "\n"
                                "[rule.alert_suppression]\n"
                                "group_by = [\"user.name\"]\n"
                                "missing_fields_strategy = \"suppress\"\n"
                                "[rule.alert_suppression.duration]\n"
                                "unit = \"h\"\n"
                                "value = 2\n";

static const char ml_tail[] = "anomaly_threshold = 50\n"
                              "machine_learning_job_id = \"rare_aws_error\"\n"
                              "risk_score = 21\n"
                              "severity = \"low\"\n"
                              "type = \"machine_learning\"\n";

static const char hunt_text[] = "[hunt]\n"
                                "author = \"trailhound\"\n"
                                "description = \"Many regions in a short time.\"\n"
                                "integration = [\"aws.cloudtrail\"]\n"
                                "uuid = \"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\"\n"
                                "name = \"Multi-Region Enumeration\"\n"
                                "language = [\"ES|QL\"]\n"
                                "license = \"Apache-2.0\"\n"
                                "notes = [\"Look at cloud.region.\"]\n"
                                "mitre = ['T1580']\n"
                                "query = ['''\n"
                                "from logs-aws.cloudtrail-*\n"
                                "| stats regions = count_distinct(cloud.region) by user.name\n"
                                "''']\n";

typedef struct fixture {
    th_ruleset rs;
    th_diags d;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    th_ruleset_init(&f->rs);
    th_diags_init(&f->d);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    th_ruleset_free(&f->rs);
    th_diags_free(&f->d);
    free(f);
    return 0;
}

static th_rule *load_text(fixture *f, const char *text)
{
    return th_rule_from_text(&f->rs, text, strlen(text), "t.toml", &f->d);
}

/* malloc'd concatenation */
static char *cat2(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    char *s = malloc(n + m + 1);
    memcpy(s, a, n);
    memcpy(s + n, b, m + 1);
    return s;
}

/* malloc'd copy of text with the first `old` replaced by `new_` */
static char *replace(const char *text, const char *old, const char *new_)
{
    const char *p = strstr(text, old);
    assert_non_null(p);
    size_t pre = (size_t)(p - text), on = strlen(old), nn = strlen(new_), tn = strlen(text);
    char *s = malloc(tn - on + nn + 1);
    memcpy(s, text, pre);
    memcpy(s + pre, new_, nn);
    memcpy(s + pre + nn, p + on, tn - pre - on + 1);
    return s;
}

/* 1-based line:col of the first occurrence of snippet */
static void where(const char *text, const char *snippet, unsigned *line, unsigned *col)
{
    const char *p = strstr(text, snippet);
    assert_non_null(p);
    *line = 1;
    const char *ls = text;
    for (const char *q = text; q < p; q++)
        if (*q == '\n') {
            (*line)++;
            ls = q + 1;
        }
    *col = (unsigned)(p - ls) + 1;
}

static const th_diag *find_diag(const th_diags *d, th_severity sev, const char *frag)
{
    for (size_t i = 0; i < d->len; i++)
        if (d->items[i].severity == sev && strstr(d->items[i].message, frag))
            return &d->items[i];
    return NULL;
}

static void dump(const th_diags *d)
{
    for (size_t i = 0; i < d->len; i++)
        th_diag_print(&d->items[i], stderr);
}

/* ---- model ---- */

static void query_rule_fields(void **state)
{
    fixture *f = *state;
    th_rule *r = load_text(f, base_rule);
    assert_non_null(r);
    assert_string_equal(r->path, "t.toml");
    assert_string_equal(r->creation_date, "2026/01/10");
    assert_string_equal(r->updated_date, "2026/02/01");
    assert_string_equal(r->maturity, "production");
    assert_int_equal(r->integration.len, 1);
    assert_string_equal(r->integration.items[0], "aws");
    assert_int_equal(r->type, TH_RULE_QUERY);
    assert_string_equal(r->type_name, "query");
    assert_int_equal(r->language, TH_LANG_KUERY);
    assert_string_equal(r->name, "Test Rule For CloudTrail");
    assert_string_equal(r->rule_id, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    assert_string_equal(r->severity, "medium");
    assert_int_equal(r->risk_score, 47);
    assert_string_equal(r->from, "now-9m");
    assert_int_equal(r->lookback_ms, 9 * 60000);
    assert_int_equal(r->interval_ms, 5 * 60000);
    assert_int_equal(r->max_signals, TH_DEFAULT_MAX_SIGNALS);
    assert_string_equal(r->to, "now");
    assert_string_equal(r->timestamp_override, "event.ingested");
    assert_int_equal(r->index.len, 1);
    assert_string_equal(r->index.items[0], "logs-aws.cloudtrail-*");
    assert_string_equal(
        r->query,
        "event.provider: \"cloudtrail.amazonaws.com\" and event.action: \"StopLogging\"\n");
    /* query = ''' on line 22: the text starts on line 23, column 1 */
    assert_int_equal(r->query_value_line, 22);
    assert_int_equal(r->query_value_col, 9);
    assert_int_equal(r->query_line, 23);
    assert_int_equal(r->query_col, 1);
    assert_true(r->query_literal);
    unsigned l, c;
    assert_true(th_rule_query_pos(r, 17, &l, &c)); /* the opening quote of the value */
    assert_int_equal(l, 23);
    assert_int_equal(c, 18);
    assert_false(th_rule_query_pos(r, 100000, &l, &c));
    assert_int_equal(r->nthreat, 1);
    assert_string_equal(r->threat[0].framework, "MITRE ATT&CK");
    assert_string_equal(r->threat[0].tactic_id, "TA0005");
    assert_string_equal(r->threat[0].tactic_name, "Defense Evasion");
    assert_int_equal(r->threat[0].ntechniques, 1);
    assert_string_equal(r->threat[0].techniques[0].id, "T1562");
    assert_int_equal(r->threat[0].techniques[0].nsub, 1);
    assert_string_equal(r->threat[0].techniques[0].subtechniques[0].id, "T1562.008");
    assert_false(r->has_suppression);
    assert_ptr_equal(r->toml, f->rs.rules[0]->toml);
    assert_int_equal(f->rs.len, 1);
    assert_int_equal(th_rule_validate(r, &f->d), 0);
    if (f->d.len)
        dump(&f->d);
    assert_int_equal(f->d.len, 0);
}

static void defaults_when_absent(void **state)
{
    fixture *f = *state;
    char *t = replace(base_rule, "from = \"now-9m\"\n", "");
    char *t2 = replace(t, "interval = \"5m\"\n", "");
    th_rule *r = load_text(f, t2);
    assert_non_null(r);
    assert_string_equal(r->from, "now-6m");
    assert_int_equal(r->lookback_ms, 360000);
    assert_string_equal(r->interval, "5m");
    assert_int_equal(r->interval_ms, 300000);
    assert_int_equal(r->max_signals, 100);
    assert_null(r->setup);
    assert_null(r->event_category_override);
    assert_int_equal(r->anomaly_threshold, -1);
    assert_int_equal(r->references.len, 0);
    assert_int_equal(th_rule_validate(r, &f->d), 0);
    free(t);
    free(t2);
}

static void basic_string_query_position(void **state)
{
    fixture *f = *state;
    char *t = cat2(meta_and_rule_head, new_terms_tail);
    th_rule *r = load_text(f, t);
    assert_non_null(r);
    unsigned l, c;
    where(t, "\"event.provider", &l, &c);
    assert_int_equal(r->query_value_line, l);
    assert_int_equal(r->query_line, l);
    assert_int_equal(r->query_col, c + 1);
    assert_false(r->query_literal);
    assert_string_equal(r->query, "event.provider: \"sts.amazonaws.com\"");
    free(t);
}

static void new_terms_fields(void **state)
{
    fixture *f = *state;
    char *t = cat2(meta_and_rule_head, new_terms_tail);
    th_rule *r = load_text(f, t);
    assert_non_null(r);
    assert_int_equal(r->type, TH_RULE_NEW_TERMS);
    assert_int_equal(r->new_terms_fields.len, 2);
    assert_string_equal(r->new_terms_fields.items[0], "aws.cloudtrail.user_identity.arn");
    assert_string_equal(r->new_terms_fields.items[1], "cloud.region");
    assert_string_equal(r->history_window_start, "now-10d");
    assert_int_equal(r->history_window_ms, 10LL * 86400000);
    assert_int_equal(th_rule_validate(r, &f->d), 0);
    free(t);
}

static void threshold_fields(void **state)
{
    fixture *f = *state;
    char *t = cat2(meta_and_rule_head, threshold_tail);
    th_rule *r = load_text(f, t);
    assert_non_null(r);
    assert_int_equal(r->type, TH_RULE_THRESHOLD);
    assert_int_equal(r->threshold_fields.len, 1);
    assert_string_equal(r->threshold_fields.items[0], "user.name");
    assert_int_equal(r->threshold_value, 25);
    assert_string_equal(r->cardinality_field, "event.action");
    assert_int_equal(r->cardinality_value, 5);
    assert_true(r->has_suppression);
    assert_int_equal(r->suppression_duration_ms, 30 * 60000);
    assert_int_equal(r->suppression_duration_value, 30);
    assert_string_equal(r->suppression_duration_unit, "m");
    assert_int_equal(r->suppression_group_by.len, 0);
    assert_int_equal(th_rule_validate(r, &f->d), 0);
    if (f->d.len)
        dump(&f->d);
    free(t);
}

static void esql_and_suppression_fields(void **state)
{
    fixture *f = *state;
    char *t = cat2(meta_and_rule_head, esql_tail);
    th_rule *r = load_text(f, t);
    assert_non_null(r);
    assert_int_equal(r->type, TH_RULE_ESQL);
    assert_int_equal(r->language, TH_LANG_ESQL);
    assert_int_equal(r->lookback_ms, 30 * 60000);
    assert_int_equal(r->interval_ms, 10 * 60000);
    assert_true(r->has_suppression);
    assert_int_equal(r->suppression_group_by.len, 1);
    assert_string_equal(r->missing_fields_strategy, "suppress");
    assert_int_equal(r->suppression_duration_ms, 2 * 3600000);
    assert_int_equal(th_rule_validate(r, &f->d), 0);
    if (f->d.len)
        dump(&f->d);
    free(t);
}

static void ml_fields(void **state)
{
    fixture *f = *state;
    char *t = cat2(meta_and_rule_head, ml_tail);
    th_rule *r = load_text(f, t);
    assert_non_null(r);
    assert_int_equal(r->type, TH_RULE_MACHINE_LEARNING);
    assert_int_equal(r->language, TH_LANG_NONE);
    assert_int_equal(r->anomaly_threshold, 50);
    assert_int_equal(r->machine_learning_job_id.len, 1);
    assert_string_equal(r->machine_learning_job_id.items[0], "rare_aws_error");
    assert_null(r->query);
    assert_int_equal(th_rule_validate(r, &f->d), 0);
    free(t);
}

static void hunt_fields(void **state)
{
    fixture *f = *state;
    th_rule *r = load_text(f, hunt_text);
    assert_non_null(r);
    assert_int_equal(r->type, TH_RULE_HUNT);
    assert_string_equal(r->rule_id, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
    assert_string_equal(r->name, "Multi-Region Enumeration");
    assert_int_equal(r->language, TH_LANG_ESQL);
    assert_int_equal(r->author.len, 1);
    assert_int_equal(r->hunt_queries.len, 1);
    assert_ptr_equal(r->query, r->hunt_queries.items[0]);
    assert_int_equal(r->hunt_query_lines[0], 12);
    assert_int_equal(r->hunt_query_cols[0], 1);
    assert_int_equal(r->hunt_mitre.len, 1);
    assert_string_equal(r->hunt_mitre.items[0], "T1580");
    assert_int_equal(r->hunt_notes.len, 1);
    assert_null(r->from);
    assert_int_equal(th_rule_validate(r, &f->d), 0);

    char *bad = replace(hunt_text, "uuid = \"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\"\n", "");
    th_rule *r2 = load_text(f, bad);
    assert_non_null(r2);
    assert_int_equal(th_rule_validate(r2, &f->d), 1);
    assert_non_null(find_diag(&f->d, TH_SEV_ERROR, "missing required key 'hunt.uuid'"));
    free(bad);
}

static void lookback_parse_table(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool ok;
        int64_t ms;
    } cases[] = {
        {"now-6m", true, 360000},
        {"now-30s", true, 30000},
        {"now-2h", true, 7200000},
        {"now-2H", true, 7200000},
        {"now-7d", true, 604800000},
        {"now-1w", true, 604800000},
        {"now-1M", true, 2592000000LL},
        {"now-1y", true, 31536000000LL},
        {"now-6", false, 0},
        {"now-m", false, 0},
        {"now+6m", false, 0},
        {"6m", false, 0},
        {"now-6mm", false, 0},
        {"", false, 0},
        {"now-99999999999999999999d", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ms = -1;
        bool ok = th_rule_lookback_parse(cases[i].s, &ms);
        if (ok != cases[i].ok)
            fail_msg("%s: parse %d, wanted %d", cases[i].s, ok, cases[i].ok);
        if (ok)
            assert_int_equal(ms, cases[i].ms);
    }
    assert_int_equal(th_rule_type_parse("new_terms"), TH_RULE_NEW_TERMS);
    assert_int_equal(th_rule_type_parse("hunt"), TH_RULE_UNKNOWN);
    assert_int_equal(th_rule_lang_parse("ES|QL"), TH_LANG_ESQL);
    assert_string_equal(th_rule_type_name(TH_RULE_MACHINE_LEARNING), "machine_learning");
}

static void schema_patterns_table(void **state)
{
    (void)state;
    static const struct {
        bool (*fn)(const char *, size_t);
        const char *s;
        bool ok;
    } cases[] = {
        {v_is_uuid, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", true},
        {v_is_uuid, "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", false}, /* lower-case only */
        {v_is_uuid, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4", false},
        {v_is_uuid, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4dd", false},
        {v_is_uuid, "0a1b2c3d4e5f-4a6b-8c7d-9e0f1a2b3c4d-", false},
        {v_is_date, "2024/02/29", true},
        {v_is_date, "2023/02/29", false},
        {v_is_date, "2026/13/01", false},
        {v_is_date, "2026/1/01", false},
        {v_is_date, "2026/01/00", false},
        {v_is_interval, "5m", true},
        {v_is_interval, "60m", true},
        {v_is_interval, "1h", true},
        {v_is_interval, "30s", true},
        {v_is_interval, "1d", true},
        {v_is_interval, "1w", false},
        {v_is_interval, "m", false},
        {v_is_interval, "5mm", false},
        {v_is_from, "now-6m", true},
        {v_is_from, "now-7d", true},
        {v_is_from, "now-2H", true},
        {v_is_from, "now-1M", true},
        {v_is_from, "now-1y", true},
        {v_is_from, "now-6", false},
        {v_is_from, "now-6x", false},
        {v_is_from, "now+6m", false},
        {v_is_from, "now-6m/d", false},
        {v_is_semver, "9.2.0", true},
        {v_is_semver, "8.12", true},
        {v_is_semver, "9.3.0-beta1", true},
        {v_is_semver, "9", false},
        {v_is_semver, "9.x", false},
        {v_is_rule_name, "AWS IAM Login (Console)", true},
        {v_is_rule_name, "Potential [Bad]", true},
        {v_is_rule_name, "ab", false},
        {v_is_rule_name, " Leading space", false},
        {v_is_rule_name, "Trailing dot.", false},
        {v_is_rule_name, "Two\nLines", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (cases[i].fn(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
            fail_msg("case %zu \"%s\": wanted %s", i, cases[i].s, cases[i].ok ? "ok" : "rejected");
    assert_true(v_semver_cmp("9.2.0", 5, "9.2.0") == 0);
    assert_true(v_semver_cmp("9.10.0", 6, "9.2.0") > 0);
    assert_true(v_semver_cmp("8.19.3", 6, "9.2.0") < 0);
    assert_true(v_semver_cmp("9.3", 3, "9.2.0") > 0);
}

/* ---- validation: each mutation gives one problem at a known place ---- */

typedef struct vcase {
    const char *base; /* NULL: base_rule */
    const char *old, *new_;
    const char *at;  /* snippet of the mutated text where the problem is reported */
    const char *msg; /* fragment of the message */
    th_severity sev;
} vcase;

static const vcase vcases[] = {
    {NULL, "risk_score = 47", "risk_score = 150", "150", "between 0 and 100", TH_SEV_ERROR},
    {NULL, "risk_score = 47", "risk_score = 10", "10\n", "does not fit severity medium",
     TH_SEV_ERROR},
    {NULL, "risk_score = 47", "risk_score = \"47\"", "\"47\"", "must be an integer, not a string",
     TH_SEV_ERROR},
    {NULL, "severity = \"medium\"", "severity = \"severe\"", "\"severe\"",
     "must be one of low, medium", TH_SEV_ERROR},
    {NULL, "\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"", "\"not-a-uuid\"", "\"not-a-uuid\"", "UUID",
     TH_SEV_ERROR},
    {NULL, "\"Test Rule For CloudTrail\"", "\"x\"", "\"x\"", "'rule.name' must start",
     TH_SEV_ERROR},
    {NULL, "\"Test Rule For CloudTrail\"", "\"Trailing dot.\"", "\"Trailing",
     "'rule.name' must start", TH_SEV_ERROR},
    {NULL, "\"2026/01/10\"", "\"2026-01-10\"", "\"2026-01-10\"", "YYYY/MM/DD", TH_SEV_ERROR},
    {NULL, "\"2026/01/10\"", "\"2026/02/30\"", "\"2026/02/30\"", "YYYY/MM/DD", TH_SEV_ERROR},
    {NULL, "\"2026/02/01\"", "\"2025/12/31\"", "\"2025/12/31\"", "before creation_date",
     TH_SEV_ERROR},
    {NULL, "maturity = \"production\"", "maturity = \"prod\"", "\"prod\"",
     "'metadata.maturity' must be one of", TH_SEV_ERROR},
    {NULL, "interval = \"5m\"", "interval = \"5 minutes\"", "\"5 minutes\"",
     "'rule.interval' must look like", TH_SEV_ERROR},
    {NULL, "interval = \"5m\"", "interval = \"5w\"", "\"5w\"", "'rule.interval' must look like",
     TH_SEV_ERROR},
    {NULL, "from = \"now-9m\"", "from = \"now-9\"", "\"now-9\"", "'rule.from' must look like",
     TH_SEV_ERROR},
    {NULL, "from = \"now-9m\"", "from = \"now-9m\"\nmax_signals = 0", "0\n",
     "'rule.max_signals' must be between 1 and 1000", TH_SEV_ERROR},
    {NULL, "from = \"now-9m\"", "from = \"now-9m\"\nmax_signals = 1001", "1001",
     "'rule.max_signals' must be between 1 and 1000", TH_SEV_ERROR},
    {NULL, "type = \"query\"", "type = \"banana\"", "\"banana\"", "'rule.type' must be one of",
     TH_SEV_ERROR},
    {NULL, "language = \"kuery\"", "language = \"eql\"", "\"eql\"",
     "'rule.language' must be one of kuery, lucene", TH_SEV_ERROR},
    {NULL, "index = [\"logs-aws.cloudtrail-*\"]\n", "", "[rule]", "missing 'rule.index'",
     TH_SEV_ERROR},
    {NULL, "index = [\"logs-aws.cloudtrail-*\"]", "index = [\"a\", 3]", "3]",
     "'rule.index' item 2 must be a string", TH_SEV_ERROR},
    {NULL, "description = \"Test rule.\"\n", "", "[rule]",
     "missing required key 'rule.description'", TH_SEV_ERROR},
    {NULL, "author = [\"trailhound\"]", "author = \"trailhound\"", "\"trailhound\"",
     "'rule.author' must be an array", TH_SEV_ERROR},
    {NULL, "tags = [\"Domain: Cloud\"]", "tags = [\"Domain: Cloud\"]\ncolour = \"blue\"", "colour",
     "unknown key 'rule.colour'", TH_SEV_WARNING},
    {NULL, "maturity = \"production\"", "maturity = \"production\"\nowner = \"me\"", "owner",
     "unknown key 'metadata.owner'", TH_SEV_WARNING},
    {NULL, "type = \"query\"", "type = \"query\"\nanomaly_threshold = 5", "anomaly_threshold",
     "not used by query rules", TH_SEV_WARNING},
    {NULL, "framework = \"MITRE ATT&CK\"", "framework = \"MITRE\"", "\"MITRE\"",
     "must be \"MITRE ATT&CK\"", TH_SEV_ERROR},
    {NULL, "id = \"TA0005\"", "id = \"TA05\"", "\"TA05\"",
     "'rule.threat.tactic.id' must look like TA0001", TH_SEV_ERROR},
    {NULL, "\"https://attack.mitre.org/tactics/TA0005/\"",
     "\"https://attack.mitre.org/tactics/TA0006/\"", "\"https://attack.mitre.org/tactics/TA0006/\"",
     "must be https://attack.mitre.org/tactics/TA0005/", TH_SEV_ERROR},
    {NULL, "id = \"T1562\"", "id = \"T15620\"", "\"T15620\"", "must look like T1234", TH_SEV_ERROR},
    {NULL, "id = \"T1562.008\"", "id = \"T1059.008\"", "\"T1059.008\"",
     "does not belong to technique T1562", TH_SEV_ERROR},
    {NULL, "\"https://attack.mitre.org/techniques/T1562/008/\"",
     "\"https://attack.mitre.org/techniques/T1562/8/\"",
     "\"https://attack.mitre.org/techniques/T1562/8/\"",
     "must be https://attack.mitre.org/techniques/T1562/008/", TH_SEV_ERROR},
    {NULL, "name = \"Defense Evasion\"\n", "", "[rule.threat.tactic]",
     "missing required key 'rule.threat.tactic.name'", TH_SEV_ERROR},
    {NULL, "reference = \"https://attack.mitre.org/tactics/TA0005/\"\n",
     "reference = \"https://attack.mitre.org/tactics/TA0005/\"\n\n[[rule.threat]]\nframework = "
     "\"MITRE ATT&CK\"\n[rule.threat.tactic]\nid = \"TA0005\"\nname = \"Defense "
     "Evasion\"\nreference = \"https://attack.mitre.org/tactics/TA0005\"\n",
     "\"TA0005\"\nname = \"Defense Evasion\"\nreference = "
     "\"https://attack.mitre.org/tactics/TA0005\"\n",
     "tactic TA0005 is listed twice", TH_SEV_ERROR},
    {NULL, "type = \"query\"", "type = \"query\"\nbuilding_block_type = \"default\"", "\"now-9m\"",
     "building-block rules need 'rule.from' of now-119m or earlier", TH_SEV_ERROR},
    {NULL, "type = \"query\"", "type = \"query\"\nbuilding_block_type = \"default\"", "\"5m\"",
     "building-block rules need 'rule.interval' of 60m or more", TH_SEV_ERROR},
    {NULL, "type = \"query\"", "type = \"query\"\nbuilding_block_type = \"block\"", "\"block\"",
     "'rule.building_block_type' must be one of default", TH_SEV_ERROR},
    {NULL, "type = \"query\"",
     "type = \"query\"\nseverity_mapping = [{field = \"x\", operator = \"is\", value = \"1\", "
     "severity = \"low\"}]",
     "\"is\"", "'rule.severity_mapping.operator' must be one of equals", TH_SEV_ERROR},
    {NULL, "type = \"query\"",
     "type = \"query\"\nseverity_mapping = [{field = \"x\", operator = \"equals\", value = \"1\", "
     "severity = \"urgent\"}]",
     "\"urgent\"", "'rule.severity_mapping.severity' must be one of low", TH_SEV_ERROR},
    /* new_terms */
    {new_terms_tail, "\"aws.cloudtrail.user_identity.arn\", \"cloud.region\"",
     "\"a\", \"b\", \"c\", \"d\"", "[\"a\"", "must have 1 to 3 items (has 4)", TH_SEV_ERROR},
    {new_terms_tail, "value = [\"aws.cloudtrail.user_identity.arn\", \"cloud.region\"]",
     "value = []", "[]", "must have 1 to 3 items (has 0)", TH_SEV_ERROR},
    {new_terms_tail, "field = \"new_terms_fields\"", "field = \"terms\"", "\"terms\"",
     "must be \"new_terms_fields\"", TH_SEV_ERROR},
    {new_terms_tail, "value = \"now-10d\"", "value = \"now-3m\"", "\"now-3m\"",
     "must be earlier than 'rule.from' now-6m", TH_SEV_ERROR},
    {new_terms_tail, "value = \"now-10d\"", "value = \"10d\"", "\"10d\"",
     "must be date math in the past", TH_SEV_ERROR},
    {new_terms_tail, "value = \"now-10d\"\n",
     "value = \"now-10d\"\n[[rule.new_terms.history_window_start]]\nfield = "
     "\"history_window_start\"\nvalue = \"now-5d\"\n",
     "[[rule.new_terms.history_window_start]]", "exactly one entry (has 2)", TH_SEV_ERROR},
    {new_terms_tail,
     "\n[rule.new_terms]\nfield = \"new_terms_fields\"\n"
     "value = [\"aws.cloudtrail.user_identity.arn\", \"cloud.region\"]\n"
     "[[rule.new_terms.history_window_start]]\nfield = \"history_window_start\"\nvalue = "
     "\"now-10d\"\n",
     "", "[rule]", "missing required key 'rule.new_terms'", TH_SEV_ERROR},
    /* threshold and its suppression */
    {threshold_tail, "value = 25", "value = 0", "0\n", "'rule.threshold.value' must be at least 1",
     TH_SEV_ERROR},
    {threshold_tail, "[\"user.name\"]", "[\"a\", \"b\", \"c\", \"d\"]", "[\"a\"",
     "at most 3 unless", TH_SEV_ERROR},
    {threshold_tail, "[\"user.name\"]", "[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]", "[\"a\"",
     "must have 0 to 5 items", TH_SEV_ERROR},
    {threshold_tail, "value = 5\n", "value = -1\n", "-1",
     "'rule.threshold.cardinality.value' must be at least 1", TH_SEV_ERROR},
    {threshold_tail, "duration = {value = 30, unit = \"m\"}",
     "duration = {value = 30, unit = \"d\"}", "\"d\"",
     "'rule.alert_suppression.duration.unit' must be one of s, m, h", TH_SEV_ERROR},
    {threshold_tail, "duration = {value = 30, unit = \"m\"}", "group_by = [\"user.name\"]",
     "group_by", "not allowed in threshold rules", TH_SEV_ERROR},
    /* ES|QL */
    {esql_tail, " metadata _id, _version, _index", "", "'''\nfrom",
     "neither reads 'FROM ... METADATA", TH_SEV_ERROR},
    {esql_tail, " metadata _id, _version, _index", " metadata _id, _index", "'''\nfrom",
     "neither reads 'FROM ... METADATA", TH_SEV_ERROR},
    {esql_tail, "| keep _id, _version, _index, event.action\n", "", "'''\nfrom",
     "has no KEEP command", TH_SEV_ERROR},
    {esql_tail, "language = \"esql\"", "language = \"esql\"\nindex = [\"logs-*\"]", "[\"logs-*\"]",
     "'rule.index' is not allowed in ES|QL rules", TH_SEV_ERROR},
    {esql_tail, "missing_fields_strategy = \"suppress\"", "missing_fields_strategy = \"skip\"",
     "\"skip\"", "must be one of suppress, doNotSuppress", TH_SEV_ERROR},
    {esql_tail, "group_by = [\"user.name\"]", "group_by = [\"a\", \"b\", \"c\", \"d\"]", "[\"a\"",
     "must have 1 to 3 items", TH_SEV_ERROR},
    {esql_tail, "value = 2\n", "value = 0\n", "0\n",
     "'rule.alert_suppression.duration.value' must be at least 1", TH_SEV_ERROR},
    {esql_tail,
     " metadata _id, _version, _index\n| where event.action == \"StopLogging\"\n| keep _id, "
     "_version, _index, event.action",
     "\n| where user.name == \"by\"\n| stats c = count(*)\n| keep c", "'''\nfrom",
     "neither reads 'FROM ... METADATA", TH_SEV_ERROR},
    /* machine learning */
    {ml_tail, "anomaly_threshold = 50\n", "", "[rule]",
     "missing required key 'rule.anomaly_threshold'", TH_SEV_ERROR},
    {ml_tail, "\"rare_aws_error\"", "7", "7\n",
     "'rule.machine_learning_job_id' must be an array of strings", TH_SEV_ERROR},
};

static void validation_cases(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < sizeof vcases / sizeof vcases[0]; i++) {
        const vcase *vc = &vcases[i];
        char *text;
        if (vc->base) {
            char *tail = replace(vc->base, vc->old, vc->new_);
            text = cat2(meta_and_rule_head, tail);
            free(tail);
        } else {
            text = replace(base_rule, vc->old, vc->new_);
        }
        th_diags d;
        th_diags_init(&d);
        th_rule *r = th_rule_from_text(&f->rs, text, strlen(text), "case.toml", &d);
        if (!r) {
            dump(&d);
            fail_msg("case %zu (%s): did not load", i, vc->msg);
        }
        size_t errors = th_rule_validate(r, &d);
        unsigned line, col;
        where(text, vc->at, &line, &col);
        const th_diag *g = find_diag(&d, vc->sev, vc->msg);
        if (!g || g->line != line || g->col != col) {
            dump(&d);
            fail_msg("case %zu: wanted %s '%s' at %u:%u", i, th_severity_name(vc->sev), vc->msg,
                     line, col);
        }
        assert_string_equal(g->file, "case.toml");
        if (vc->sev == TH_SEV_ERROR)
            assert_true(errors >= 1);
        else
            assert_int_equal(errors, 0);
        th_diags_free(&d);
        free(text);
    }
}

static void history_window_other_date_math(void **state)
{
    fixture *f = *state;
    char *tail = replace(new_terms_tail, "value = \"now-10d\"", "value = \"now-14d/d\"");
    char *text = cat2(meta_and_rule_head, tail);
    th_rule *r = load_text(f, text);
    assert_non_null(r);
    /* rounded down to the day: 14 days, plus the part of the day already gone (none at 00:00) */
    assert_int_equal(r->history_window_ms, 14LL * 86400000);
    assert_int_equal(th_rule_validate(r, &f->d), 0);
    free(tail);
    free(text);
}

static void threshold_five_fields_with_new_stack(void **state)
{
    fixture *f = *state;
    char *tail = replace(threshold_tail, "[\"user.name\"]", "[\"a\", \"b\", \"c\", \"d\", \"e\"]");
    char *head = replace(meta_and_rule_head, "maturity = \"production\"",
                         "maturity = \"production\"\nmin_stack_version = \"9.2.0\"");
    char *text = cat2(head, tail);
    th_rule *r = load_text(f, text);
    assert_non_null(r);
    assert_int_equal(r->threshold_fields.len, 5);
    assert_int_equal(th_rule_validate(r, &f->d), 0);
    free(tail);
    free(head);
    free(text);
}

static void esql_stats_by_needs_no_metadata(void **state)
{
    fixture *f = *state;
    char *tail = replace(esql_tail,
                         " metadata _id, _version, _index\n| where event.action == "
                         "\"StopLogging\"\n| keep _id, _version, _index, event.action",
                         "\n| STATS calls = COUNT(*) BY user.name\n| KEEP user.name, calls");
    char *text = cat2(meta_and_rule_head, tail);
    th_rule *r = load_text(f, text);
    assert_non_null(r);
    assert_int_equal(th_rule_validate(r, &f->d), 0);
    if (f->d.len)
        dump(&f->d);
    free(tail);
    free(text);
}

/* ---- malformed files: a diagnostic with a position, never a crash ---- */

static void malformed_files(void **state)
{
    fixture *f = *state;
    /* truncated in the middle of the query */
    size_t cut = (size_t)(strstr(base_rule, "StopLogging") - base_rule);
    th_diags d;
    th_diags_init(&d);
    assert_null(th_rule_from_text(&f->rs, base_rule, cut, "trunc.toml", &d));
    assert_true(d.errors >= 1);
    assert_true(d.items[0].line >= 22);
    assert_string_equal(d.items[0].file, "trunc.toml");
    th_diags_free(&d);

    /* duplicate key */
    char *dup = replace(base_rule, "risk_score = 47", "risk_score = 47\nrisk_score = 21");
    th_diags_init(&d);
    assert_null(th_rule_from_text(&f->rs, dup, strlen(dup), "dup.toml", &d));
    assert_true(d.errors >= 1);
    assert_int_equal(d.items[0].line, 17);
    th_diags_free(&d);
    free(dup);

    /* invalid UTF-8 inside a string */
    char *utf = replace(base_rule, "Test rule.", "Test \xff\xfe rule.");
    th_diags_init(&d);
    assert_null(th_rule_from_text(&f->rs, utf, strlen(utf), "utf.toml", &d));
    assert_true(d.errors >= 1);
    assert_int_equal(d.items[0].line, 9);
    th_diags_free(&d);
    free(utf);

    /* no [rule] / [hunt] table */
    th_diags_init(&d);
    assert_null(th_rule_from_text(&f->rs, "a = 1\n", 6, "none.toml", &d));
    assert_non_null(find_diag(&d, TH_SEV_ERROR, "neither a [rule] nor a [hunt]"));
    th_diags_free(&d);

    /* rule is not a table */
    th_diags_init(&d);
    assert_null(th_rule_from_text(&f->rs, "rule = 5\n", 9, "scalar.toml", &d));
    assert_non_null(find_diag(&d, TH_SEV_ERROR, "'rule' must be a table"));
    th_diags_free(&d);

    /* wrong types everywhere: loads (fields left unset), validate reports each */
    static const char wrong[] = "[metadata]\ncreation_date = 2026-01-10\nupdated_date = 5\n"
                                "[rule]\nname = 1\nauthor = 2\ndescription = []\nrisk_score = 1.5\n"
                                "rule_id = true\nseverity = {a = 1}\ntype = [\"query\"]\n"
                                "threat = 3\nnew_terms = \"x\"\nquery = 9\n";
    th_diags_init(&d);
    th_rule *r = th_rule_from_text(&f->rs, wrong, strlen(wrong), "wrong.toml", &d);
    assert_non_null(r);
    assert_null(r->name);
    assert_null(r->rule_id);
    assert_null(r->query);
    assert_int_equal(r->type, TH_RULE_UNKNOWN);
    assert_int_equal(r->author.len, 0);
    size_t errors = th_rule_validate(r, &d);
    assert_true(errors >= 10);
    assert_non_null(
        find_diag(&d, TH_SEV_ERROR, "'metadata.creation_date' must be a string, not a date/time"));
    assert_non_null(
        find_diag(&d, TH_SEV_ERROR, "'rule.risk_score' must be an integer, not a float"));
    assert_non_null(find_diag(&d, TH_SEV_ERROR, "'rule.threat' must be an array"));
    th_diags_free(&d);

    /* a 10 MB string: refused with a clear message, no crash */
    size_t big = 10u * 1024u * 1024u;
    char *huge = malloc(big + 256);
    int n = snprintf(huge, 256, "[hunt]\nname = \"");
    memset(huge + n, 'a', big);
    memcpy(huge + n + big, "\"\n", 3);
    th_diags_init(&d);
    assert_null(th_rule_from_text(&f->rs, huge, strlen(huge), "huge.toml", &d));
    const th_diag *g = find_diag(&d, TH_SEV_ERROR, "longer than the limit");
    assert_non_null(g);
    if (!g)
        return;
    assert_int_equal(g->line, 2);
    assert_int_equal(g->col, 8);
    th_diags_free(&d);
    free(huge);

    assert_int_equal(f->rs.len, 1); /* only the wrong-types file loaded */
}

/* ---- loader ---- */

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void loader_walks_sorted_and_skips_bad_files(void **state)
{
    fixture *f = *state;
    char dir[] = "/tmp/th_rules_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[512];
    snprintf(p, sizeof p, "%s/b_rule.toml", dir);
    write_file(p, base_rule);
    snprintf(p, sizeof p, "%s/a_broken.toml", dir);
    write_file(p, "[rule\nname = \"x\"\n");
    snprintf(p, sizeof p, "%s/sub", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/sub/c_hunt.toml", dir);
    write_file(p, hunt_text);
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    write_file(p, "not toml");
    snprintf(p, sizeof p, "%s/.hidden.toml", dir);
    write_file(p, "garbage [[[");
    snprintf(p, sizeof p, "%s/a_dup.toml", dir);
    write_file(p, base_rule);

    const char *paths[] = {dir};
    size_t failed = th_ruleset_load(&f->rs, paths, 1, &f->d);
    assert_int_equal(failed, 1);
    assert_int_equal(f->rs.files_seen, 4);
    assert_int_equal(f->rs.files_failed, 1);
    assert_int_equal(f->rs.len, 3);
    /* sorted: a_broken (failed), a_dup, b_rule, sub/c_hunt */
    assert_non_null(strstr(f->rs.rules[0]->path, "/a_dup.toml"));
    assert_non_null(strstr(f->rs.rules[1]->path, "/b_rule.toml"));
    assert_non_null(strstr(f->rs.rules[2]->path, "/sub/c_hunt.toml"));
    assert_int_equal(f->rs.rules[2]->type, TH_RULE_HUNT);
    assert_int_equal(f->d.errors, 1);
    assert_non_null(strstr(f->d.items[0].file, "a_broken.toml"));
    assert_true(f->d.items[0].line >= 1);

    /* the same rule twice: duplicate rule_id and name, reported at the second */
    assert_int_equal(th_ruleset_check_duplicates(&f->rs, &f->d), 2);
    const th_diag *g = find_diag(&f->d, TH_SEV_ERROR, "duplicate rule_id");
    assert_non_null(g);
    if (!g)
        return;
    assert_non_null(strstr(g->file, "b_rule.toml"));
    assert_int_equal(g->line, 17);
    assert_int_equal(g->col, 11);
    assert_ptr_equal(th_ruleset_find(&f->rs, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
                     f->rs.rules[0]);
    assert_null(th_ruleset_find(&f->rs, "nope"));

    /* a missing path is reported and counted */
    const char *missing[] = {"/nonexistent/th/rules"};
    assert_int_equal(th_ruleset_load(&f->rs, missing, 1, &f->d), 1);

    /* clean up */
    const char *names[] = {"b_rule.toml", "a_broken.toml", "sub/c_hunt.toml",
                           "notes.txt",   ".hidden.toml",  "a_dup.toml"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/sub", dir);
    rmdir(p);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(query_rule_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(defaults_when_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(basic_string_query_position, setup, teardown),
        cmocka_unit_test_setup_teardown(new_terms_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(threshold_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(esql_and_suppression_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(ml_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(hunt_fields, setup, teardown),
        cmocka_unit_test(lookback_parse_table),
        cmocka_unit_test(schema_patterns_table),
        cmocka_unit_test_setup_teardown(validation_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(history_window_other_date_math, setup, teardown),
        cmocka_unit_test_setup_teardown(threshold_five_fields_with_new_stack, setup, teardown),
        cmocka_unit_test_setup_teardown(esql_stats_by_needs_no_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_files, setup, teardown),
        cmocka_unit_test_setup_teardown(loader_walks_sorted_and_skips_bad_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
