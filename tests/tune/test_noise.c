/* tune/noise: root-cause clusters on hand-made alerts and events: what ranks
 * first, what is flagged as blinding, what becomes an exception, what labels
 * change, and the KQL each suggestion carries. */
#include "th_test.h"

#include "base/timeutil.h"
#include "tune/noise.h"
#include "tune/tune.h"

typedef struct ev {
    const char *id, *ip, *addr, *ua, *user, *issuer, *region;
    bool console;
    int day;
} ev;

static th_jval *doc_of(th_arena *a, const ev *e, int n)
{
    char buf[1024];
    int k = snprintf(buf, sizeof buf,
                     "{\"event\":{\"id\":\"%s-%d\",\"action\":\"AttachRolePolicy\"},"
                     "\"@timestamp\":\"2026-10-%02dT%02d:00:00Z\",\"cloud\":{\"region\":\"%s\","
                     "\"account\":{\"id\":\"111122223333\"}},\"user_agent\":{\"original\":\"%s\"},"
                     "\"user\":{\"name\":\"%s\"}",
                     e->id, n, e->day + 1, n % 24, e->region, e->ua, e->user);
    if (e->ip)
        k += snprintf(buf + k, sizeof buf - (size_t)k,
                      ",\"source\":{\"ip\":\"%s\",\"address\":\"%s\"}", e->ip, e->ip);
    else if (e->addr)
        k += snprintf(buf + k, sizeof buf - (size_t)k, ",\"source\":{\"address\":\"%s\"}", e->addr);
    k += snprintf(buf + k, sizeof buf - (size_t)k,
                  ",\"aws\":{\"cloudtrail\":{%s\"user_identity\":{\"type\":\"%s\"%s%s%s}}}}",
                  e->console ? "\"session_credential_from_console\":\"true\"," : "",
                  e->issuer ? "AssumedRole" : "IAMUser",
                  e->issuer ? ",\"session_context\":{\"session_issuer\":{\"arn\":\"" : "",
                  e->issuer ? e->issuer : "", e->issuer ? "\"}}" : "");
    th_json_error err; /* the reader is zero-copy: the text must outlive the doc */
    th_jval *d = th_json_parse(a, th_arena_strndup(a, buf, (size_t)k), (size_t)k, &err);
    assert_non_null(d);
    return d;
}

static void add_alert(th_talerts *s, th_jval *d)
{
    th_talert al;
    assert_true(th_talert_from_doc(d, &al));
    th_talerts_push(s, al);
}

static bool mentions(const th_noise_cluster *c, const char *field)
{
    for (size_t i = 0; i < c->ncond; i++)
        if (strcmp(c->cond[i].field, field) == 0)
            return true;
    return false;
}

/* The cluster or one of its equivalents (same alerts) names the field. */
static bool mentions_any(const th_noise_cluster *c, const char *field)
{
    bool m = mentions(c, field);
    for (size_t k = 0; k < c->nsame; k++)
        m |= mentions(c->same[k], field);
    return m;
}

/* Thirty days of a query rule's alerts in one region and account: AWS acting
 * inside the account (no source IP) daily, console sessions daily, and an
 * attacker's burst on one day (labeled). The rest of the data is the same
 * region and account too, so region and account explain every alert and
 * mean nothing. */
typedef struct world {
    th_arena a;
    th_talerts alerts;
    th_labels labels;
    th_noise *n;
} world;

static const ev internal = {"int", NULL, "AWS Internal", "AWS Internal", "ops", NULL, "us-east-1",
                            false, 0};
static const ev console = {
    "con",   "203.0.113.50", NULL,        "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0",
    "admin", NULL,           "us-east-1", true,
    0};
static const ev attacker = {
    "atk",       "198.51.100.23", NULL, "aws-cli/2.15.0 Python/3.11.6", "ops", NULL,
    "us-east-1", false,           17};
static const ev workload = {"wl",
                            "10.0.3.7",
                            NULL,
                            "Boto3/1.34.0 Python/3.11",
                            "app",
                            "arn:aws:iam::111122223333:role/app",
                            "us-east-1",
                            false,
                            0};

static void build_world(world *w, bool labels)
{
    th_arena_init(&w->a, 1 << 16);
    th_labels_init(&w->labels);
    for (int d = 0; d < 30; d++) {
        for (int i = 0; i < 2; i++) {
            ev e = internal;
            e.day = d;
            add_alert(&w->alerts, doc_of(&w->a, &e, d * 10 + i));
            e = console;
            e.day = d;
            add_alert(&w->alerts, doc_of(&w->a, &e, d * 10 + i + 2));
        }
    }
    for (int i = 0; i < 4; i++) {
        add_alert(&w->alerts, doc_of(&w->a, &attacker, i));
        char line[128];
        int k = snprintf(line, sizeof line, "{\"eventID\":\"atk-%d\",\"malicious\":true}\n", i);
        th_labels_load_ndjson(&w->labels, line, (size_t)k, "r", NULL, "labels", NULL);
    }
    static const char *const fields[] = {"user.name", "source.ip"};
    th_noise_opts o = {fields, 2, labels ? &w->labels : NULL, 0, 30};
    w->n = th_noise_build(&w->a, &w->alerts, &o);
    /* the data: the alerts (selected) and 600 workload calls (not), all in
     * the same region and account; AWS-internal and console calls are also
     * made outside the rule's selection, but rarely */
    for (size_t i = 0; i < w->alerts.len; i++)
        th_noise_observe(w->n, w->alerts.items[i].doc, true);
    for (int i = 0; i < 600; i++) {
        ev e = workload;
        e.day = i % 30;
        th_noise_observe(w->n, doc_of(&w->a, &e, i), false);
    }
    for (int i = 0; i < 10; i++) {
        ev e = i % 2 ? internal : console;
        e.day = i;
        th_noise_observe(w->n, doc_of(&w->a, &e, 500 + i), false);
    }
}

static void free_world(world *w)
{
    th_noise_free(w->n);
    th_talerts_free(&w->alerts);
    th_labels_free(&w->labels);
    th_arena_free(&w->a);
}

static void provenance_ranks_first_scope_is_flagged(void **state)
{
    (void)state;
    world w = {0};
    build_world(&w, false);
    th_noise_cluster **c;
    size_t n = th_noise_rank(w.n, &c);
    assert_true(n >= 3);
    size_t events, selected;
    th_noise_totals(w.n, &events, &selected);
    assert_int_equal(events, w.alerts.len + 610);
    assert_int_equal(selected, w.alerts.len);
    /* the two mechanisms come first, both provenance, both daily */
    assert_int_equal(c[0]->cls, TH_NOISE_PROVENANCE);
    assert_int_equal(c[1]->cls, TH_NOISE_PROVENANCE);
    bool internal_seen = false, console_seen = false;
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(c[i]->alerts, 60);
        assert_int_equal(c[i]->days, 30);
        internal_seen |= mentions(c[i], "source.ip") || mentions(c[i], "user_agent.original") ||
                         mentions(c[i], "source.address");
        console_seen |= mentions(c[i], "aws.cloudtrail.session_credential_from_console") ||
                        mentions(c[i], "user_agent.original") || mentions(c[i], "source.ip");
    }
    assert_true(internal_seen && console_seen);
    /* region and account hold every alert: scope, ranked after every other
     * cluster, never first */
    bool region = false;
    for (size_t i = 0; i < n; i++) {
        if (mentions_any(c[i], "cloud.region") || mentions_any(c[i], "cloud.account.id")) {
            region = true;
            assert_int_equal(c[i]->cls, TH_NOISE_SCOPE);
            assert_true(c[i]->removes_all);
            assert_true(c[i]->lift_data < 1.1);
        }
        if (i > 0 && c[i - 1]->cls == TH_NOISE_SCOPE)
            assert_int_equal(c[i]->cls, TH_NOISE_SCOPE);
    }
    assert_true(region);
    /* no cluster that is not an identity's exception removes every alert */
    for (size_t i = 0; i < n; i++)
        if (c[i]->cls == TH_NOISE_PROVENANCE)
            assert_false(c[i]->removes_all);
    /* equivalent fields are one suggestion: no two share their alerts */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (c[i]->alerts == c[j]->alerts &&
                (c[i]->cls == TH_NOISE_SCOPE) == (c[j]->cls == TH_NOISE_SCOPE))
                assert_true(memcmp(c[i]->bits, c[j]->bits, (w.alerts.len / 64 + 1) * 8) != 0);
    free_world(&w);
}

static void labels_rank_clusters_losing_none_first(void **state)
{
    (void)state;
    world w = {0};
    build_world(&w, true);
    th_noise_cluster **c;
    size_t n = th_noise_rank(w.n, &c);
    assert_true(n >= 3);
    /* the two mechanisms lose none; a cluster that loses some never ranks
     * above one that does not (scope clusters aside: they come last) */
    assert_int_equal(c[0]->tp, 0);
    assert_int_equal(c[1]->tp, 0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (c[j]->cls != TH_NOISE_SCOPE)
                assert_false(c[i]->tp > 0 && c[j]->tp == 0);
    /* the attacker's burst is a cluster too (one day, the four labeled
     * alerts), and it reports them */
    bool burst = false;
    for (size_t i = 0; i < n; i++)
        if (c[i]->ncond == 1 && c[i]->cond[0].kind == TH_NOISE_VALUE &&
            th_str_eqc(c[i]->cond[0].value, "198.51.100.23")) {
            burst = true;
            assert_int_equal(c[i]->tp, 4);
            assert_int_equal(c[i]->days, 1);
        }
    assert_true(burst);
    free_world(&w);
}

/* Every alert from one CI role, over three rotating runner addresses: one
 * identity cluster holds them all and is offered as an exception; the
 * addresses are not listed twice (source.ip and source.address). */
static void ci_role_is_one_exception(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_talerts s = {0};
    static const char *const ips[] = {"20.120.161.204", "20.178.20.209", "4.161.116.64"};
    for (int i = 0; i < 24; i++) {
        ev e = {"ci",
                ips[i % 3],
                NULL,
                "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) "
                "aws-sdk-go-v2/1.30.5",
                "ci-deploy",
                "arn:aws:iam::111122223333:role/ci-deploy",
                "eu-west-1",
                false,
                i % 20};
        add_alert(&s, doc_of(&a, &e, i));
    }
    th_noise_opts o = {NULL, 0, NULL, 0, 30};
    th_noise *nz = th_noise_build(&a, &s, &o);
    for (size_t i = 0; i < s.len; i++)
        th_noise_observe(nz, s.items[i].doc, true);
    for (int i = 0; i < 300; i++) {
        ev e = workload;
        e.region = "eu-west-1";
        e.day = i % 30;
        th_noise_observe(nz, doc_of(&a, &e, i), false);
    }
    th_noise_cluster **c;
    size_t n = th_noise_rank(nz, &c);
    assert_true(n >= 1);
    assert_int_equal(c[0]->cls, TH_NOISE_IDENTITY);
    assert_true(c[0]->removes_all);
    assert_int_equal(c[0]->alerts, 24);
    assert_int_equal(c[0]->ncond, 1);
    size_t addr = 0;
    for (size_t i = 0; i < n && i < 5; i++) {
        assert_false(mentions(c[i], "source.address"));
        addr += mentions(c[i], "source.ip");
        /* the Terraform family holds every alert: disabling, not offered */
        assert_false(mentions(c[i], "user_agent.original"));
    }
    assert_true(addr <= 3);
    th_noise_free(nz);
    th_talerts_free(&s);
    th_arena_free(&a);
}

static void generalised_values(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_talerts s = {0};
    static const char *const docs[] = {
        "{\"event\":{\"id\":\"1\"},\"aws\":{\"cloudtrail\":{\"user_identity\":{\"arn\":\"arn:aws:"
        "iam::1:user/ci-a\"}}},"
        "\"user_agent\":{\"original\":\"APN/1.0 HashiCorp/1.0 Terraform/1.9.5 x\"}}",
        "{\"event\":{\"id\":\"2\"},\"aws\":{\"cloudtrail\":{\"user_identity\":{\"arn\":\"arn:aws:"
        "iam::1:user/ci-b\"}}},"
        "\"user_agent\":{\"original\":\"APN/1.0 HashiCorp/1.0 Terraform/1.6.0 y\"}}",
        "{\"event\":{\"id\":\"3\"},\"aws\":{\"cloudtrail\":{\"user_identity\":{\"arn\":\"arn:aws:"
        "sts::1:assumed-role/R/s\"}}},"
        "\"user_agent\":{\"original\":\"aws-cli/2.15.0 Python/3.11\"}}",
    };
    for (size_t i = 0; i < 3; i++) {
        th_json_error err;
        add_alert(&s, th_json_parse(&a, docs[i], strlen(docs[i]), &err));
    }
    th_noise_opts o = {NULL, 0, NULL, 0, 1};
    th_noise *nz = th_noise_build(&a, &s, &o);
    th_noise_cluster **c;
    size_t n = th_noise_rank(nz, &c);
    bool path = false, family = false;
    for (size_t i = 0; i < n; i++) {
        const char *all[8] = {c[i]->kql};
        for (size_t k = 0; k < c[i]->nsame; k++)
            all[k + 1] = c[i]->same[k]->kql;
        for (size_t k = 0; k <= c[i]->nsame; k++) {
            if (strcmp(
                    all[k],
                    "and not aws.cloudtrail.user_identity.arn: arn\\:aws\\:iam\\:\\:1\\:user/*") ==
                0)
                path = c[i]->alerts == 2;
            if (strcmp(all[k], "and not user_agent.original: *Terraform/*") == 0)
                family = c[i]->alerts == 2;
        }
    }
    assert_true(path);
    assert_true(family);
    th_noise_free(nz);
    th_talerts_free(&s);
    th_arena_free(&a);
}

/* No alerts (exceptions took them all): nothing to cluster, and no crash. */
static void no_alerts_no_clusters(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 12);
    th_talerts s = {0};
    th_noise_opts o = {NULL, 0, NULL, 0, 30};
    th_noise *nz = th_noise_build(&a, &s, &o);
    th_noise_observe(nz, doc_of(&a, &workload, 1), true);
    th_noise_cluster **c;
    assert_int_equal(th_noise_rank(nz, &c), 0);
    size_t events, selected;
    th_noise_totals(nz, &events, &selected);
    assert_int_equal(events, 1);
    th_noise_free(nz);
    th_arena_free(&a);
}

static void kql_of_conditions(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1 << 12);
    assert_string_equal(th_noise_kql(&a, TH_NOISE_VALUE, "f", th_str_c("a\"b\\c")),
                        "and not f: \"a\\\"b\\\\c\"");
    assert_string_equal(th_noise_kql(&a, TH_NOISE_VALUE, "f", th_str_c("true")), "and not f: true");
    assert_string_equal(th_noise_kql(&a, TH_NOISE_PREFIX, "f", th_str_c("Mozilla 5 (x")),
                        "and not f: Mozilla\\ 5\\ \\(x*");
    assert_string_equal(th_noise_kql(&a, TH_NOISE_MISSING, "source.ip", TH_STR_NULL),
                        "and source.ip: *");
    assert_string_equal(th_noise_kql(&a, TH_NOISE_PRESENT, "f", TH_STR_NULL), "and not f: *");
    assert_string_equal(th_noise_kql(&a, TH_NOISE_CIDR, "source.ip", th_str_c("10.0.0.0/16")),
                        "and not source.ip: \"10.0.0.0/16\"");
    th_noise_cond c = {TH_NOISE_PATTERN, "user_agent.original", th_str_c("*Terraform/*"),
                       TH_NOISE_PROVENANCE};
    assert_string_equal(th_noise_cond_kql(&a, &c), "user_agent.original: *Terraform/*");
    th_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(provenance_ranks_first_scope_is_flagged),
        cmocka_unit_test(labels_rank_clusters_losing_none_first),
        cmocka_unit_test(ci_role_is_one_exception),
        cmocka_unit_test(generalised_values),
        cmocka_unit_test(no_alerts_no_clusters),
        cmocka_unit_test(kql_of_conditions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
