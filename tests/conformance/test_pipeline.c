/* Conformance of the CloudTrail -> ECS mapper with the Elastic integration's
 * pipeline test fixtures (../shared/corpus/integration-pipeline): every raw
 * .log line is mapped with the test configuration (common config + the case's
 * -config.yml; the case's tags as its expected output shows them) and compared
 * field by field (flattened dotted paths; arrays order-sensitive, as ES keeps
 * them) with the expected document.
 *
 * The fixtures come from many pipeline versions; we map as the newest does.
 * Every difference must be attributed to a cause: a rule in pipeline_causes.h
 * over the fixture's pipeline generation (from its commit), the field, the
 * expected and our value (and our mapping with the actor_target_mapping tag
 * toggled). The test fails on any unattributed difference; one-offs (listed
 * with their reason below, empty today) may not touch fields rules read.
 *  - geo (source.geo.*, source.as.*): the fixtures were produced with several
 *    versions of MaxMind's test databases; reported separately, not compared.
 *  - user_agent.version: a dynamic field in the test config (must match its
 *    pattern), as elastic-package checks it.
 * TH_DEBUG_FIELD=<path>|* prints each difference with its cause; TH_DEBUG_GEO=1
 * the geo ones. docs/pipeline-conformance.md has the cause table. */
#include "th_test.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "base/arena.h"
#include "base/buf.h"
#include "ecs/mapper.h"
#include "pipeline_causes.h"
#include "json/json.h"

#define MAXF 2048

typedef struct fentry {
    char path[256];
    const th_jval *v;
} fentry;

typedef struct fset {
    fentry f[MAXF];
    size_t n;
} fset;

static void flatten(fset *s, const th_jval *v, char *path, size_t len)
{
    if (th_jis(v, TH_JOBJ)) {
        for (uint32_t i = 0; i < v->len; i++) {
            const th_jmember *m = &v->u.members[i];
            int w =
                snprintf(path + len, 256 - len, "%s%.*s", len ? "." : "", (int)m->key.n, m->key.p);
            if (w > 0 && len + (size_t)w < 256)
                flatten(s, m->val, path, len + (size_t)w);
        }
        return;
    }
    if (s->n < MAXF) {
        snprintf(s->f[s->n].path, sizeof s->f[s->n].path, "%.*s", (int)len, path);
        s->f[s->n].v = v;
        s->n++;
    }
}

static const th_jval *fget(const fset *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->f[i].path, path) == 0)
            return s->f[i].v;
    return NULL;
}

/* JSON equality: objects as key sets, arrays in order, numbers by value */
static bool jeq(const th_jval *a, const th_jval *b)
{
    if (!a || !b)
        return a == b;
    if (a->type == TH_JNUM && b->type == TH_JNUM) {
        double x, y;
        return th_jnum_double(a, &x) && th_jnum_double(b, &y) && x == y;
    }
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case TH_JSTR: return th_str_eq(a->u.str, b->u.str);
    case TH_JARR:
        if (a->len != b->len)
            return false;
        for (uint32_t i = 0; i < a->len; i++)
            if (!jeq(a->u.items[i], b->u.items[i]))
                return false;
        return true;
    case TH_JOBJ:
        if (a->len != b->len)
            return false;
        for (uint32_t i = 0; i < a->len; i++)
            if (!jeq(a->u.members[i].val, th_jobj_getn(b, a->u.members[i].key)))
                return false;
        return true;
    default: return true;
    }
}

static bool is_geo(const char *p)
{
    return strncmp(p, "source.geo.", 11) == 0 || strncmp(p, "source.as.", 10) == 0;
}

/* Fields the detection rules use (SEMANTICS.md 8.1), by exact name or prefix. */
static bool is_strict(const char *p)
{
    static const char *const exact[] = {"@timestamp",
                                        "cloud.account.id",
                                        "cloud.region",
                                        "event.action",
                                        "event.category",
                                        "event.id",
                                        "event.outcome",
                                        "event.provider",
                                        "event.type",
                                        "related.entity",
                                        "source.address",
                                        "source.ip",
                                        "tls.client.server_name",
                                        "user.changes.name",
                                        "user.entity.id",
                                        "user.id",
                                        "user.name",
                                        "user.target.name",
                                        "user_agent.name",
                                        "user_agent.original",
                                        "entity.target.id",
                                        NULL};
    for (const char *const *e = exact; *e; e++)
        if (strcmp(p, *e) == 0)
            return true;
    return strncmp(p, "aws.cloudtrail.", 15) == 0;
}

/* One-off differences no rule explains, each with its reason. Empty today:
 * every difference has a rule in pipeline_causes.h. A row here must name the
 * fixture, the field and why it is not a bug. */
typedef struct one_off {
    const char *name; /* fixture name without "test-" and ".log" */
    const char *field;
    const char *reason;
} one_off;

static const one_off one_offs[] = {{NULL, NULL, NULL}};

static const char *one_off_reason(const char *casename, const char *field)
{
    for (const one_off *o = one_offs; o->name; o++)
        if (strcmp(o->name, casename) == 0 && strcmp(o->field, field) == 0)
            return o->reason;
    return NULL;
}

static void show(const char *what, const char *example, const char *field, const th_jval *exp,
                 const th_jval *ours)
{
    th_buf b1, b2;
    th_buf_init(&b1), th_buf_init(&b2);
    if (exp)
        th_json_write(&b1, exp);
    if (ours)
        th_json_write(&b2, ours);
    print_message("%s %s %s\n  expected: %s\n  ours:     %s\n", what, example, field,
                  exp ? b1.data : "(absent)", ours ? b2.data : "(absent)");
    th_buf_free(&b1), th_buf_free(&b2);
}

static char *config_value(const char *text, const char *key)
{
    const char *p = text ? strstr(text, key) : NULL;
    if (!p)
        return NULL;
    p += strlen(key);
    while (*p == ' ' || *p == ':' || *p == '\'' || *p == '"')
        p++;
    const char *e = p;
    while (*e && *e != '\n' && *e != '\'' && *e != '"')
        e++;
    return strndup(p, (size_t)(e - p));
}

static void test_pipeline_fixtures(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    char dir[4096], path[4600];
    snprintf(dir, sizeof dir, "%s/integration-pipeline", corpus);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    size_t mlen;
    char *mtext = th_test_read_file(path, &mlen);
    assert_non_null(mtext);
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_json_error err;
    th_jval *man = th_json_parse(&a, mtext, mlen, &err);
    assert_non_null(man);
    th_jval *pairs = th_jobj_get(man, "pairs");
    assert_true(th_jis(pairs, TH_JARR));

    snprintf(path, sizeof path, "%s/test-common-config.yml", dir);
    char *common = th_test_read_file(path, NULL);
    char *created = config_value(common, "'@timestamp'");
    assert_non_null(created);

    /* user_agent.version dynamic pattern from the config */
    char *dyn = config_value(common, "\"user_agent.version\"");
    int perr;
    PCRE2_SIZE poff;
    assert_non_null(dyn);
    pcre2_code *dynre =
        pcre2_compile((PCRE2_SPTR)dyn, PCRE2_ZERO_TERMINATED, 0, &perr, &poff, NULL);
    assert_non_null(dynre);
    pcre2_match_data *md = pcre2_match_data_create(4, NULL);

    const char *ua = getenv("TH_UA_REGEXES");
    char uapath[4600];
    snprintf(uapath, sizeof uapath, "%s/node_modules/uap-core/regexes.yaml", th_test_root());
    if (!ua)
        ua = uapath;
    char city[4600], asn[4600];
    snprintf(city, sizeof city, "%s/geoip-test/GeoLite2-City-Test.mmdb", corpus);
    snprintf(asn, sizeof asn, "%s/geoip-test/GeoLite2-ASN-Test.mmdb", corpus);
    FILE *uaf = fopen(ua, "rb");
    if (uaf)
        fclose(uaf);
    else {
        print_message("NOTE: %s absent (run scripts/setup.sh): user agents not parsed\n", ua);
        ua = NULL;
    }

    unsigned docs = 0, identical = 0, attributed_docs = 0, geo_docs_differ = 0, unattributed = 0,
             strict_bad = 0, one_off_n = 0;
    for (uint32_t pi = 0; pi < pairs->len; pi++) {
        th_jval *pair = pairs->u.items[pi];
        th_str name = th_jstr(th_jobj_get(pair, "name"));
        th_str commit = th_jstr(th_jobj_get_path(pair, "expected_json.commit"));
        char cname[256], ccommit[64];
        snprintf(cname, sizeof cname, "%.*s", (int)name.n, name.p);
        snprintf(ccommit, sizeof ccommit, "%.*s", (int)commit.n, commit.p ? commit.p : "");
        char cbase[256];
        snprintf(cbase, sizeof cbase, "%s", cname + (strncmp(cname, "test-", 5) ? 0 : 5));
        char *dot = strstr(cbase, ".log");
        if (dot)
            *dot = 0;
        th_jval *tags = th_jobj_get(pair, "tags_in_expected_output");
        bool atm = false;
        for (uint32_t i = 0; th_jis(tags, TH_JARR) && i < tags->len; i++)
            atm |= th_str_eqc(th_jstr(tags->u.items[i]), "actor_target_mapping");
        snprintf(path, sizeof path, "%s/%s-config.yml", dir, cname);
        char *cfg = th_test_read_file(path, NULL);
        char *retain = config_value(cfg, "retain");

        th_mapper_opts o;
        th_mapper_opts_default(&o);
        o.actor_target_mapping = atm;
        o.preserve_original = true;
        o.ingest_delay_ms = -1; /* the fixtures have no event.ingested */
        o.data_stream = false;  /* nor index-template constants */
        o.created_str = created;
        o.retain = retain;
        o.ua_regexes = ua;
        o.geoip_city_db = city;
        o.geoip_asn_db = asn;
        th_diags diags;
        th_diags_init(&diags);
        th_mapper *m = th_mapper_new(&o, &diags);
        o.actor_target_mapping = !atm; /* to tell tag gating from other causes */
        th_mapper *malt = th_mapper_new(&o, &diags);
        th_diags_print(&diags, stderr);
        assert_non_null(m);
        assert_non_null(malt);
        unsigned gen = fixture_gen_of(ccommit);
        if (!gen)
            print_message("NOTE %s: commit %s has no generation in pipeline_causes.h: no version "
                          "cause applies\n",
                          cname, ccommit);

        snprintf(path, sizeof path, "%s/%s", dir, cname);
        size_t loglen;
        char *log = th_test_read_file(path, &loglen);
        snprintf(path, sizeof path, "%s/%s-expected.json", dir, cname);
        size_t exlen;
        char *extext = th_test_read_file(path, &exlen);
        assert_non_null(log);
        assert_non_null(extext);
        th_jval *ex = th_jobj_get(th_json_parse(&a, extext, exlen, &err), "expected");
        assert_true(th_jis(ex, TH_JARR));

        char *line = log;
        for (uint32_t di = 0; di < ex->len; di++) {
            char *nl = strchr(line, '\n');
            size_t n = nl ? (size_t)(nl - line) : strlen(line);
            th_jval *raw = n ? th_json_parse(&a, line, n, &err) : NULL;
            th_jval *got = th_ecs_map(m, &a, raw, th_str_make(line, n));
            th_jval *alt = th_ecs_map(malt, &a, raw, th_str_make(line, n));
            line = nl ? nl + 1 : line + n;
            static fset fg, fe;
            char pbuf[256];
            fg.n = fe.n = 0;
            flatten(&fg, got, pbuf, 0);
            flatten(&fe, ex->u.items[di], pbuf, 0);
            bool same = true, geo_same = true, attributed = true;
            char example[160];
            snprintf(example, sizeof example, "%.100s#%u", cbase, di + 1);
            diff_ctx dc = {.casename = cbase,
                           .gen = gen,
                           .tagged = atm,
                           .raw = raw,
                           .exp_doc = ex->u.items[di],
                           .our_doc = got,
                           .alt_doc = alt};
            for (int pass = 0; pass < 2; pass++) {
                const fset *x = pass ? &fg : &fe, *y = pass ? &fe : &fg;
                for (size_t i = 0; i < x->n; i++) {
                    const char *fp = x->f[i].path;
                    const th_jval *yv = fget(y, fp);
                    if (pass && yv)
                        continue; /* compared in pass 0 */
                    bool eq;
                    if (strcmp(fp, "user_agent.version") == 0 && dyn && yv) {
                        const th_jval *gv = pass ? x->f[i].v : yv;
                        th_str s = th_jstr(gv);
                        eq = s.p && pcre2_match(dynre, (PCRE2_SPTR)s.p, s.n, 0, 0, md, NULL) >= 0;
                    } else {
                        eq = yv && jeq(x->f[i].v, yv);
                    }
                    if (eq)
                        continue;
                    if (is_geo(fp)) {
                        if (getenv("TH_DEBUG_GEO"))
                            show("GEO", example, fp, pass ? NULL : x->f[i].v,
                                 pass ? x->f[i].v : yv);
                        geo_same = false;
                        continue;
                    }
                    same = false;
                    dc.field = fp;
                    dc.exp = pass ? NULL : x->f[i].v;
                    dc.ours = pass ? x->f[i].v : yv;
                    cause *c = NULL;
                    for (size_t k = 0; k < sizeof causes / sizeof causes[0] && !c; k++)
                        if ((causes[k].gens & gen) && causes[k].match(&dc))
                            c = &causes[k];
                    const char *dbg = getenv("TH_DEBUG_FIELD");
                    if (dbg && (strcmp(dbg, fp) == 0 || strcmp(dbg, "*") == 0)) {
                        show(c ? c->id : "UNATTRIBUTED", example, fp, dc.exp, dc.ours);
                        show("  tag toggled:", example, fp, NULL, th_jobj_get_path(alt, fp));
                    }
                    if (c) {
                        c->fields++;
                        if (c->last_doc != (int)docs)
                            c->docs++, c->last_doc = (int)docs;
                        continue;
                    }
                    if (one_off_reason(cbase, fp) && !is_strict(fp)) {
                        one_off_n++;
                        continue;
                    }
                    attributed = false;
                    if (!dbg)
                        show(is_strict(fp) ? "UNATTRIBUTED (rule field)" : "UNATTRIBUTED", example,
                             fp, dc.exp, dc.ours);
                    strict_bad += is_strict(fp);
                }
            }
            docs++;
            identical += same;
            attributed_docs += attributed;
            unattributed += !attributed;
            geo_docs_differ += !geo_same;
        }
        free(log);
        free(extext);
        free(cfg);
        free(retain);
        th_mapper_free(m);
        th_mapper_free(malt);
        th_diags_free(&diags);
    }
    print_message("RATE: pipeline fixtures identical %u/%u; identical but for attributed "
                  "pipeline-version causes %u/%u; unattributed %u\n",
                  identical, docs, attributed_docs, docs, unattributed);
    print_message("geo (source.geo.*, source.as.*; MaxMind test-DB versions, not compared) "
                  "differs in %u documents; one-off differences %u\n",
                  geo_docs_differ, one_off_n);
    print_message("%-24s %5s %6s  %s\n", "cause", "docs", "fields", "why");
    for (size_t k = 0; k < sizeof causes / sizeof causes[0]; k++)
        print_message("%-24s %5u %6u  %s\n", causes[k].id, causes[k].docs, causes[k].fields,
                      causes[k].why);
    pcre2_match_data_free(md);
    pcre2_code_free(dynre);
    free(dyn);
    free(created);
    free(common);
    free(mtext);
    th_arena_free(&a);
    assert_int_equal(strict_bad, 0);
    assert_int_equal(unattributed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pipeline_fixtures)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
