/* emulate/: record shape per scenario, S3 grouping, labels, determinism, the
 * seed story's near misses, and rule ids that exist in the rule corpus. */
#include "th_test.h"

#include <dirent.h>
#include <string.h>

#include "base/map.h"
#include "base/timeutil.h"
#include "emulate/emulate.h"
#include "json/json.h"

#define DAY 86400000LL
#define START 1717200000000LL /* 2024-06-01T00:00:00Z */

typedef struct check {
    th_arena a;    /* per record */
    th_arena keep; /* for the whole run */
    int64_t start, end;
    size_t records, malicious, objects;
    unsigned long long hash;
    th_map ids;           /* eventID -> non-NULL */
    th_map rule_ids;      /* every rule id named by a label */
    const char *scenario; /* expected label scenario, or NULL */
    /* seed-story features seen: */
    int attacker_iam, internal, on_behalf, console, akia, assumed, failed;
    int benign_matching_seed_rule, malicious_seed_without_label;
    char first_error[512];
} check;

static void problem(check *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(check *k, const char *fmt, ...)
{
    if (k->first_error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->first_error, sizeof k->first_error, fmt, ap);
    va_end(ap);
}

static th_str S(const th_jval *o, const char *key)
{
    return th_jstr(th_jobj_get(o, key));
}

static bool is_ip(th_str s)
{
    return s.n && s.p[0] >= '0' && s.p[0] <= '9';
}

static bool has_rule(const th_jval *label, const char *rule)
{
    const th_jval *r = th_jobj_get(label, "rules");
    for (uint32_t i = 0; r && i < r->len; i++)
        if (th_str_eqc(th_jstr(r->u.items[i]), rule))
            return true;
    return false;
}

static const char *const valid_types[] = {"IAMUser", "AssumedRole",   "AWSService",
                                          "Root",    "FederatedUser", "WebIdentityUser"};

static void check_record(check *k, const th_emu_record *r, const char *account, const char *region,
                         int64_t delivery)
{
    th_json_error e;
    th_jval *v = th_json_parse(&k->a, r->json, r->json_len, &e);
    th_jval *l = th_json_parse(&k->a, r->label, r->label_len, &e);
    if (!v || !l) {
        problem(k, "record or label does not parse: %.200s %s", r->json, "");
        return;
    }
    static const char *const strs[] = {"eventVersion",       "eventTime",    "eventSource",
                                       "eventName",          "awsRegion",    "sourceIPAddress",
                                       "userAgent",          "eventID",      "eventType",
                                       "recipientAccountId", "eventCategory"};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (!th_jis(th_jobj_get(v, strs[i]), TH_JSTR))
            problem(k, "%s is not a string in %.300s", strs[i], r->json);
    if (!th_jis(th_jobj_get(v, "managementEvent"), TH_JTRUE) &&
        !th_jis(th_jobj_get(v, "managementEvent"), TH_JFALSE))
        problem(k, "managementEvent not boolean in %.300s%s", r->json, "");
    const th_jval *ro = th_jobj_get(v, "readOnly");
    if (!th_jis(ro, TH_JTRUE) && !th_jis(ro, TH_JFALSE))
        problem(k, "readOnly not boolean in %.300s%s", r->json, "");
    for (int i = 0; i < 2; i++) {
        const th_jval *p = th_jobj_get(v, i ? "responseElements" : "requestParameters");
        if (!p || !(p->type == TH_JNULL || p->type == TH_JOBJ))
            problem(k, "%s missing or not object/null in %.300s",
                    i ? "responseElements" : "requestParameters", r->json);
    }
    if (!th_str_ends(S(v, "eventSource"), ".amazonaws.com"))
        problem(k, "eventSource %.300s%s", r->json, "");
    th_str id = S(v, "eventID");
    if (id.n != 36 || id.p[14] != '4')
        problem(k, "eventID not a v4 UUID in %.300s%s", r->json, "");
    th_str acct = S(v, "recipientAccountId");
    if (acct.n != 12 || !th_str_eqc(acct, account) || !th_str_eqc(S(v, "awsRegion"), region))
        problem(k, "record not in its account/region object: %.300s (%s)", r->json, account);
    int64_t t;
    th_str ts = S(v, "eventTime");
    if (!th_time_parse_iso(ts.p, ts.n, &t) || t < k->start || t >= k->end)
        problem(k, "eventTime outside the period: %.300s%s", r->json, "");
    else if (t < delivery - 300000 || t >= delivery)
        problem(k, "eventTime outside its 5-minute object: %.300s%s", r->json, "");
    if (t != r->time_ms / 1000 * 1000)
        problem(k, "record time differs from eventTime: %.300s%s", r->json, "");

    const th_jval *u = th_jobj_get(v, "userIdentity");
    th_str type = S(u, "type");
    bool known = false;
    for (size_t i = 0; i < sizeof valid_types / sizeof valid_types[0]; i++)
        known |= th_str_eqc(type, valid_types[i]);
    if (!th_jis(u, TH_JOBJ) || !known)
        problem(k, "userIdentity.type invalid in %.300s%s", r->json, "");
    th_str key = S(u, "accessKeyId");
    const th_jval *sc = th_jobj_get(u, "sessionContext");
    bool asia = th_str_starts(key, "ASIA"), akia = th_str_starts(key, "AKIA");
    if (asia && !sc)
        problem(k, "ASIA key without sessionContext: %.300s%s", r->json, "");
    if (akia && (sc || !th_str_eqc(type, "IAMUser")))
        problem(k, "AKIA key on a session or non-user: %.300s%s", r->json, "");
    if ((th_str_eqc(type, "AssumedRole") || th_str_eqc(type, "FederatedUser")) && !asia)
        problem(k, "temporary identity without ASIA key: %.300s%s", r->json, "");
    if (th_str_eqc(type, "AssumedRole") && !th_jobj_get_path(u, "sessionContext.sessionIssuer.arn"))
        problem(k, "AssumedRole without sessionIssuer: %.300s%s", r->json, "");
    const th_jval *console = th_jobj_get(v, "sessionCredentialFromConsole");
    if (console && (!th_str_eqc(th_jstr(console), "true") || !asia))
        problem(k, "sessionCredentialFromConsole wrong: %.300s%s", r->json, "");
    th_str src = S(v, "sourceIPAddress");
    if (!is_ip(src) && th_jobj_get(v, "tlsDetails"))
        problem(k, "tlsDetails on a call from a service: %.300s%s", r->json, "");

    /* label */
    if (!th_str_eq(S(l, "eventID"), id))
        problem(k, "label eventID differs: %.300s%s", r->label, "");
    if (k->scenario && !th_str_eqc(S(l, "scenario"), k->scenario))
        problem(k, "label scenario: %.300s (wanted %s)", r->label, k->scenario);
    const th_jval *mal = th_jobj_get(l, "malicious");
    if (!th_jis(mal, TH_JTRUE) && !th_jis(mal, TH_JFALSE))
        problem(k, "label malicious not boolean: %.300s%s", r->label, "");
    bool bad = th_jis(mal, TH_JTRUE);
    k->malicious += bad;
    const th_jval *rules = th_jobj_get(l, "rules");
    if (!th_jis(rules, TH_JARR))
        problem(k, "label rules not an array: %.300s%s", r->label, "");
    for (uint32_t i = 0; rules && i < rules->len; i++) {
        th_str rid = th_jstr(rules->u.items[i]);
        if (rid.n != 36)
            problem(k, "rule id malformed in %.300s%s", r->label, "");
        else if (!th_map_has(&k->rule_ids, rid))
            th_map_put(&k->rule_ids, th_str_make(th_arena_strndup(&k->keep, rid.p, rid.n), rid.n),
                       (void *)1);
    }
    if (!bad && rules && rules->len)
        problem(k, "benign label names rules: %.300s%s", r->label, "");
    if (th_map_has(&k->ids, id))
        problem(k, "duplicate eventID %.40s%s", id.p, "");
    else
        th_map_put(&k->ids, th_str_make(th_arena_strndup(&k->keep, id.p, id.n), id.n), (void *)1);

    /* the seed rule's query, evaluated on the raw record */
    bool iam = th_str_eqc(S(v, "eventSource"), "iam.amazonaws.com");
    bool ok = !th_jobj_get(v, "errorCode");
    bool seed = iam && ok && th_str_eqc(type, "IAMUser") && asia && is_ip(src) &&
                !th_str_eqc(S(v, "userAgent"), "AWS Internal") && !console;
    if (seed && !bad)
        k->benign_matching_seed_rule++;
    if (seed && bad && !has_rule(l, "c70d9f0d-8cb6-4cfc-85df-a95c1ccf4eab"))
        k->malicious_seed_without_label++;
    if (seed && bad)
        k->attacker_iam++;
    if (iam && !bad) {
        k->internal +=
            th_str_eqc(src, "AWS Internal") && th_str_eqc(S(v, "userAgent"), "AWS Internal");
        k->on_behalf += th_str_ends(src, ".amazonaws.com") && th_jobj_get(u, "invokedBy") != NULL;
        k->console += console != NULL;
        k->akia += akia;
        k->assumed += th_str_eqc(type, "AssumedRole");
        k->failed += !ok;
    }
}

static int sink_object(void *ctx, const char *account, const char *region, int64_t delivery,
                       const char *suffix, const th_emu_record *recs, size_t n)
{
    check *k = ctx;
    k->objects++;
    if (strlen(suffix) != 16)
        problem(k, "object suffix %s%s", suffix, "");
    for (size_t i = 0; i < n; i++) {
        k->records++;
        k->hash = th_hash_bytes(recs[i].json, recs[i].json_len) ^ (k->hash * 1099511628211ULL);
        k->hash = th_hash_bytes(recs[i].label, recs[i].label_len) ^ (k->hash * 31);
        check_record(k, &recs[i], account, region, delivery);
        th_arena_reset(&k->a);
    }
    k->hash ^= th_hash_bytes(suffix, 16);
    return 0;
}

static void check_init(check *k, int days)
{
    memset(k, 0, sizeof *k);
    th_arena_init(&k->a, 0);
    th_arena_init(&k->keep, 0);
    th_map_init(&k->ids);
    th_map_init(&k->rule_ids);
    k->start = START;
    k->end = START + days * DAY;
}

static void check_free(check *k)
{
    th_map_free(&k->ids);
    th_arena_free(&k->keep);
    th_map_free(&k->rule_ids);
    th_arena_free(&k->a);
}

static void run(check *k, uint64_t seed, int days, double rate, const char *const *names, size_t n)
{
    th_emu_options o = {.seed = seed, .start_ms = START, .days = days, .rate = rate};
    th_emu_sink sink = {k, sink_object};
    th_emu_stats st;
    char err[256];
    size_t before = k->malicious;
    if (th_emu_run(&o, names, n, &sink, &st, err, sizeof err))
        fail_msg("run failed: %s", err);
    assert_int_equal(st.records, k->records);
    assert_int_equal(st.malicious, k->malicious - before);
}

static void every_scenario_has_the_shape_of_cloudtrail(void **state)
{
    (void)state;
    const th_emu_scenario_info *s;
    size_t n = th_emu_scenarios(&s);
    assert_true(n >= 17);
    for (size_t i = 0; i < n; i++) {
        check k;
        check_init(&k, 10);
        k.scenario = s[i].name;
        const char *name = s[i].name;
        run(&k, 7, 10, 100, &name, 1);
        if (k.first_error[0])
            fail_msg("%s: %s", name, k.first_error);
        if (k.records == 0)
            fail_msg("%s: no records", name);
        bool attack = !strcmp(s[i].kind, "attack");
        if (attack && (k.malicious == 0 || !s[i].technique[0] || k.rule_ids.len == 0))
            fail_msg("%s: attack without malicious records, technique or rules", name);
        if (!attack && k.malicious)
            fail_msg("%s: benign scenario with malicious records", name);
        size_t mal10 = k.malicious;
        check_free(&k);
        /* a one-day period holds the whole story too */
        check_init(&k, 1);
        k.scenario = name;
        run(&k, 11, 1, 100, &name, 1);
        if (k.first_error[0])
            fail_msg("%s, one day: %s", name, k.first_error);
        if (attack && (k.malicious == 0 || k.malicious + 200 < mal10))
            fail_msg("%s, one day: %zu malicious records (10 days: %zu)", name, k.malicious, mal10);
        check_free(&k);
    }
    print_message("RATE: emulate scenarios well-formed over 10 days and 1 day: %zu/%zu\n", n, n);
    const th_emu_scenario_info *bad = th_emu_find("no-such-scenario");
    assert_null(bad);
}

static void same_seed_same_bytes_other_seed_differs(void **state)
{
    (void)state;
    const char *names[] = {"background", "iam-temp-creds", "s3-ransomware", "console-admins"};
    unsigned long long h[3];
    uint64_t seeds[3] = {42, 42, 43};
    for (int i = 0; i < 3; i++) {
        check k;
        check_init(&k, 2);
        run(&k, seeds[i], 2, 800, names, 4);
        assert_true(k.first_error[0] == 0);
        h[i] = k.hash;
        check_free(&k);
    }
    assert_true(h[0] == h[1]);
    assert_true(h[0] != h[2]);
}

static void seed_story_with_its_near_misses(void **state)
{
    (void)state;
    const char *names[] = {"background",     "iam-temp-creds", "iam-lookalikes",
                           "cicd-pipelines", "console-admins", "aws-internal"};
    check k;
    check_init(&k, 30);
    run(&k, 1, 30, 40, names, 6);
    if (k.first_error[0])
        fail_msg("%s", k.first_error);
    /* one eventID per record, all distinct */
    assert_int_equal(k.ids.len, k.records);
    assert_true(k.attacker_iam >= 5);
    assert_int_equal(k.malicious_seed_without_label, 0);
    /* benign records never satisfy the seed rule's query... */
    assert_int_equal(k.benign_matching_seed_rule, 0);
    /* ...while every near miss is present */
    assert_true(k.internal > 0);
    assert_true(k.on_behalf > 0);
    assert_true(k.console > 0);
    assert_true(k.akia > 0);
    assert_true(k.assumed > 0);
    assert_true(k.failed > 0);
    print_message("RATE: seed story 30 days: %zu records, %zu malicious; near misses internal %d, "
                  "on-behalf %d, console %d, akia %d, assumed %d, failed %d\n",
                  k.records, k.malicious, k.internal, k.on_behalf, k.console, k.akia, k.assumed,
                  k.failed);
    check_free(&k);
}

static void label_rule_ids_exist_in_the_rule_corpus(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    check k;
    check_init(&k, 5);
    const th_emu_scenario_info *s;
    size_t n = th_emu_scenarios(&s);
    const char *names[32];
    for (size_t i = 0; i < n; i++)
        names[i] = s[i].name;
    run(&k, 3, 5, 50, names, n);
    assert_true(k.first_error[0] == 0);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/detection-rules/rules/integrations/aws", corpus);
    DIR *d = opendir(dir);
    assert_non_null(d);
    th_map known;
    th_map_init(&known);
    th_arena a;
    th_arena_init(&a, 0);
    struct dirent *ent;
    while ((ent = readdir(d))) {
        if (!strstr(ent->d_name, ".toml"))
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        size_t len;
        char *text = th_test_read_file(path, &len);
        const char *p = text ? strstr(text, "\nrule_id = \"") : NULL;
        if (p) {
            p += 12;
            th_map_put(&known, th_str_make(th_arena_strndup(&a, p, 36), 36), (void *)1);
        }
        free(text);
    }
    closedir(d);
    size_t found = 0;
    for (size_t i = 0; i < k.rule_ids.cap; i++) {
        if (!k.rule_ids.slots[i].used)
            continue;
        th_str id = k.rule_ids.slots[i].key;
        if (!th_map_has(&known, id))
            fail_msg("label names rule %.36s, which is not in the corpus", id.p);
        found++;
    }
    assert_true(found >= 30);
    print_message("RATE: label rule ids found in the corpus %zu/%zu\n", found, k.rule_ids.len);
    th_map_free(&known);
    th_arena_free(&a);
    check_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_scenario_has_the_shape_of_cloudtrail),
        cmocka_unit_test(same_seed_same_bytes_other_seed_differs),
        cmocka_unit_test(seed_story_with_its_near_misses),
        cmocka_unit_test(label_rule_ids_exist_in_the_rule_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
