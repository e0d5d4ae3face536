/* The emulated scenarios written for Elastic's AWS ES|QL rules, checked
 * without an ES|QL engine: each scenario is emulated, every record mapped to
 * ECS as `run` maps it, and each rule's query is evaluated by hand-written C
 * that follows the query (its WHERE clauses, DISSECT/GROK extractions, STATS
 * groups with their date_trunc buckets or the schedule's look-back, and the
 * thresholds after STATS), read from the rule files by hand.
 *
 * Per rule: the attack scenario reaches the rule's threshold; the benign
 * look-alikes (scenario esql-lookalikes) do not, and for each the decisive
 * difference is shown: either the rule without its decisive condition matches
 * them (per-event rules), or their aggregate sits just under the threshold
 * (aggregating rules). Every event a label ties to the rule passes the rule's
 * first WHERE.
 *
 * Not covered: conditions on source.as.* (no ASN database is installed; the
 * three rules that need one are checked on their other conditions), and the
 * Kibana scheduler (look-backs are treated as sliding windows). */
#include "th_test.h"

#include <regex.h>
#include <string.h>

#include "base/vec.h"
#include "ecs/mapper.h"
#include "emulate/emulate.h"
#include "json/json.h"

#define START 1790812800000LL /* 2026-10-01T00:00:00Z */
#define DAYS 30
#define MIN 60000LL
#define DAY 86400000LL

typedef struct doc {
    const th_jval *e; /* ECS document */
    const th_jval *l; /* label */
    int64_t t;
} doc;

typedef struct set {
    th_arena a;
    TH_VEC(doc) d;
    const th_mapper *m;
    const char *name;
} set;

/* ---- building the sets ---------------------------------------------------- */

static th_mapper *mapper;
static bool have_geo, have_ua;
static set sets[16];
static size_t nsets;

static int sink(void *ctx, const char *account, const char *region, int64_t delivery,
                const char *suffix, const th_emu_record *recs, size_t n)
{
    (void)account, (void)region, (void)delivery, (void)suffix;
    set *s = ctx;
    for (size_t i = 0; i < n; i++) {
        th_json_error err;
        char *raw = th_arena_strndup(&s->a, recs[i].json, recs[i].json_len);
        char *lab = th_arena_strndup(&s->a, recs[i].label, recs[i].label_len);
        th_jval *v = th_json_parse(&s->a, raw, recs[i].json_len, &err);
        th_jval *l = th_json_parse(&s->a, lab, recs[i].label_len, &err);
        if (!v || !l)
            return -1;
        doc d = {th_ecs_map(s->m, &s->a, v, th_str_make(raw, recs[i].json_len)), l,
                 recs[i].time_ms};
        TH_VEC_PUSH(&s->d, d);
    }
    return 0;
}

static set *get(const char *name)
{
    for (size_t i = 0; i < nsets; i++)
        if (!strcmp(sets[i].name, name))
            return &sets[i];
    assert_true(nsets < sizeof sets / sizeof sets[0]);
    set *s = &sets[nsets++];
    memset(s, 0, sizeof *s);
    th_arena_init(&s->a, 0);
    s->m = mapper;
    s->name = name;
    th_emu_options o = {.seed = 1, .start_ms = START, .days = DAYS, .rate = 0};
    th_emu_sink k = {s, sink};
    char err[256];
    const char *names[] = {name};
    if (th_emu_run(&o, names, 1, &k, NULL, err, sizeof err))
        fail_msg("emulate %s: %s", name, err);
    return s;
}

/* ---- field access ---------------------------------------------------------- */

/* A field's first value as text (NUL-terminated, in the set's arena), or NULL
 * when absent or null, as ES|QL reads a keyword column. */
static const char *F(set *s, const doc *d, const char *path)
{
    th_str t;
    if (!th_jscalar_text(th_json_path_first(d->e, th_str_c(path)), &t))
        return NULL;
    return th_arena_strndup(&s->a, t.p, t.n);
}

static bool eq(set *s, const doc *d, const char *path, const char *v)
{
    const char *x = F(s, d, path);
    return x && !strcmp(x, v);
}

static bool in(set *s, const doc *d, const char *path, const char *const *v)
{
    const char *x = F(s, d, path);
    for (; x && *v; v++)
        if (!strcmp(x, *v))
            return true;
    return false;
}

/* ES|QL LIKE: `*` any run, `?` one character, whole-string match. */
static bool like(const char *s, const char *p)
{
    if (!s)
        return false;
    if (!*p)
        return !*s;
    if (*p == '*')
        return like(s, p + 1) || (*s && like(s + 1, p));
    return *s && (*p == '?' || *p == *s) && like(s + 1, p + 1);
}

static bool tool_ua(const char *ua)
{
    return like(ua, "*Terraform*") || like(ua, "*Ansible*") || like(ua, "*Pulumi*");
}

/* POSIX ERE search; group 1 (or the whole match) into the arena, or NULL. */
static const char *re(set *s, const char *pattern, const char *text)
{
    static struct {
        const char *p;
        regex_t r;
    } cache[32];
    static size_t ncache;
    if (!text)
        return NULL;
    regex_t *r = NULL;
    for (size_t i = 0; i < ncache && !r; i++)
        if (cache[i].p == pattern)
            r = &cache[i].r;
    if (!r) {
        assert_true(ncache < 32);
        assert_int_equal(regcomp(&cache[ncache].r, pattern, REG_EXTENDED), 0);
        cache[ncache].p = pattern;
        r = &cache[ncache++].r;
    }
    regmatch_t m[2];
    if (regexec(r, text, 2, m, 0))
        return NULL;
    int g = m[1].rm_so >= 0 ? 1 : 0;
    return th_arena_strndup(&s->a, text + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
}

/* Elasticsearch's dissect: literals between %{...} keys are delimiters found
 * left to right; a key takes the text up to its delimiter (the last one, with
 * no delimiter after it, the rest). Values of the keys in order into out[]
 * (skip keys too); returns the number of keys, or -1 when the text does not
 * fit the pattern. */
static int dissect(set *s, const char *pattern, const char *text, const char **out, int max)
{
    if (!text)
        return -1;
    const char *p = pattern, *t = text;
    int n = 0;
    while (*p) {
        if (p[0] != '%' || p[1] != '{') {
            if (*p != *t)
                return -1;
            p++, t++;
            continue;
        }
        p = strchr(p + 2, '}');
        if (!p)
            return -1;
        p++;
        size_t dl = strcspn(p, "%");
        const char *end;
        if (dl == 0) {
            end = t + strlen(t);
        } else {
            char delim[128];
            if (dl >= sizeof delim)
                return -1;
            memcpy(delim, p, dl);
            delim[dl] = 0;
            end = strstr(t, delim);
            if (!end)
                return -1;
        }
        if (n < max)
            out[n] = th_arena_strndup(&s->a, t, (size_t)(end - t));
        n++;
        t = end;
    }
    return *t ? -1 : n;
}

static const char *b64_decode(set *s, const char *in)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), k = 0;
    char *o = th_arena_alloc(&s->a, n / 4 * 3 + 4);
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < n && in[i] != '='; i++) {
        const char *q = strchr(al, in[i]);
        if (!q)
            return NULL;
        v = v << 6 | (unsigned)(q - al);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (char)(v >> bits & 0xff);
        }
    }
    o[k] = 0;
    return o;
}

static bool has_rule(const doc *d, const char *rule)
{
    const th_jval *r = th_jobj_get(d->l, "rules");
    for (uint32_t i = 0; r && i < r->len; i++)
        if (th_str_eqc(th_jstr(r->u.items[i]), rule))
            return true;
    return false;
}

static bool label_step(const doc *d, const char *step)
{
    return th_str_eqc(th_jstr(th_jobj_get(d->l, "step")), step);
}

/* ---- aggregation ------------------------------------------------------------ */

typedef struct row {
    const char *key, *val; /* val NULL: COUNT(*) */
    int64_t t;
} row;
typedef TH_VEC(row) rows;

/* The largest COUNT (val NULL) or COUNT_DISTINCT(val) over the rows of one key
 * inside one window: date_trunc buckets of bucket_ms, or (bucket_ms 0) a
 * look-back of window_ms ending at any row. */
static int agg_max(const rows *r, int64_t bucket_ms, int64_t window_ms)
{
    int best = 0;
    for (size_t i = 0; i < r->len; i++) {
        const row *a = &r->items[i];
        int64_t lo = bucket_ms ? a->t / bucket_ms * bucket_ms : a->t;
        int64_t hi = bucket_ms ? lo + bucket_ms : a->t + window_ms;
        const char *seen[256];
        int ns = 0, n = 0;
        for (size_t j = 0; j < r->len; j++) {
            const row *b = &r->items[j];
            if (b->t < lo || b->t >= hi || strcmp(a->key, b->key))
                continue;
            n++;
            bool dup = false;
            for (int k = 0; b->val && k < ns && !dup; k++)
                dup = !strcmp(seen[k], b->val);
            if (b->val && !dup && ns < 256)
                seen[ns++] = b->val;
        }
        int v = a->val ? ns : n;
        if (v > best)
            best = v;
    }
    return best;
}

static const char *K(set *s, const doc *d, const char *const *paths)
{
    th_buf b = {0};
    for (; *paths; paths++) {
        const char *v = F(s, d, *paths);
        th_buf_puts(&b, v ? v : "(null)");
        th_buf_putc(&b, '|');
    }
    const char *k = th_arena_strndup(&s->a, b.data, b.len);
    th_buf_free(&b);
    return k;
}

/* ---- the rules, by hand ------------------------------------------------------ */

/* mode 0: the rule's WHERE; mode 1: the same without its decisive condition
 * (the one the look-alikes fail). */
typedef bool (*where_fn)(set *s, const doc *d, int mode);
/* The rule's result on a set: per-event rules, matching events; aggregating
 * rules, the aggregate the threshold is applied to. */
typedef int (*metric_fn)(set *s, int mode);

#define SUCCESS(s, d) eq(s, d, "event.outcome", "success")

static bool w_key_for_other(set *s, const doc *d, int mode)
{
    const char *u = F(s, d, "user.name"), *t = F(s, d, "user.target.name");
    return eq(s, d, "data_stream.dataset", "aws.cloudtrail") &&
           eq(s, d, "event.provider", "iam.amazonaws.com") &&
           eq(s, d, "event.action", "CreateAccessKey") && SUCCESS(s, d) && u && t &&
           (mode || strcmp(u, t));
}

/* the self-created key rule: creation (flag 1) or use of an AKIA key (flag 2) */
static int self_key_kind(set *s, const doc *d, const char **corr)
{
    bool create = eq(s, d, "event.provider", "iam.amazonaws.com") &&
                  eq(s, d, "event.action", "CreateAccessKey");
    bool user = eq(s, d, "aws.cloudtrail.user_identity.type", "IAMUser");
    const char *key = F(s, d, "aws.cloudtrail.user_identity.access_key_id");
    if (create && SUCCESS(s, d) && user) {
        const char *u = F(s, d, "user.name"), *t = F(s, d, "user.target.name");
        const char *made =
            re(s, "accessKeyId=(AKIA[A-Z0-9]{16})", F(s, d, "aws.cloudtrail.response_elements"));
        if ((!t || (u && !strcmp(u, t))) && made) {
            *corr = made;
            return 1;
        }
        return 0;
    }
    if (!create && user && like(key, "AKIA*")) {
        *corr = key;
        return 2;
    }
    return 0;
}

static bool w_self_key(set *s, const doc *d, int mode)
{
    (void)mode;
    const char *corr;
    return eq(s, d, "data_stream.dataset", "aws.cloudtrail") && self_key_kind(s, d, &corr) &&
           F(s, d, "aws.cloudtrail.user_identity.arn");
}

/* groups (account, arn, key) with a creation then a use of the created key
 * within the hour, inside the 35-minute look-back (mode 1: any time later) */
static int m_self_key(set *s, int mode)
{
    int alerts = 0;
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *c = &s->d.items[i];
        const char *ck;
        if (!w_self_key(s, c, 0) || self_key_kind(s, c, &ck) != 1)
            continue;
        const char *arn = F(s, c, "aws.cloudtrail.user_identity.arn");
        bool hit = false;
        for (size_t j = 0; j < s->d.len && !hit; j++) {
            const doc *u = &s->d.items[j];
            const char *uk;
            if (!w_self_key(s, u, 0) || self_key_kind(s, u, &uk) != 2 || strcmp(uk, ck) ||
                !eq(s, u, "aws.cloudtrail.user_identity.arn", arn))
                continue;
            int64_t gap = u->t - c->t;
            hit = gap > 0 && (mode || (gap <= 3600000 && gap <= 35 * MIN));
        }
        alerts += hit;
    }
    return alerts;
}

static bool w_userdata(set *s, const doc *d, int mode)
{
    (void)mode;
    static const char *const stopstart[] = {"StopInstances", "StartInstances", NULL};
    static const char *const svc[] = {"cloudformation.amazonaws.com",
                                      "servicecatalog.amazonaws.com", NULL};
    const char *type = F(s, d, "aws.cloudtrail.user_identity.type");
    const char *ua = F(s, d, "user_agent.original");
    return eq(s, d, "event.provider", "ec2.amazonaws.com") && SUCCESS(s, d) && type &&
           strcmp(type, "AWSService") && ua && !tool_ua(ua) && F(s, d, "source.address") &&
           !in(s, d, "source.address", svc) &&
           (in(s, d, "event.action", stopstart) ||
            (eq(s, d, "event.action", "ModifyInstanceAttribute") &&
             like(F(s, d, "aws.cloudtrail.request_parameters"), "*userData=*")));
}

static int m_userdata(set *s, int mode)
{
    static const char *const by[] = {"user.name",
                                     "cloud.account.id",
                                     "user_agent.original",
                                     "source.ip",
                                     "source.as.organization.name",
                                     "source.geo.country_name",
                                     NULL};
    rows r = {0};
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *d = &s->d.items[i];
        if (!w_userdata(s, d, mode))
            continue;
        const char *inst =
            re(s, "instanceId=([^],}]+)", F(s, d, "aws.cloudtrail.request_parameters"));
        row x = {th_arena_printf(&s->a, "%s|%s", inst ? inst : "(null)", K(s, d, by)),
                 F(s, d, "event.action"), d->t};
        TH_VEC_PUSH(&r, x);
    }
    int v = agg_max(&r, 5 * MIN, 0);
    TH_VEC_FREE(&r);
    return v;
}

static bool w_discovery(set *s, const doc *d, int mode)
{
    (void)mode;
    static const char *const prov[] = {"iam.amazonaws.com",
                                       "ec2.amazonaws.com",
                                       "s3.amazonaws.com",
                                       "rds.amazonaws.com",
                                       "lambda.amazonaws.com",
                                       "dynamodb.amazonaws.com",
                                       "kms.amazonaws.com",
                                       "cloudfront.amazonaws.com",
                                       "elasticloadbalancing.amazonaws.com",
                                       "cloudtrail.amazonaws.com",
                                       "sts.amazonaws.com",
                                       "ses.amazonaws.com",
                                       "organizations.amazonaws.com",
                                       NULL};
    const char *type = F(s, d, "aws.cloudtrail.user_identity.type");
    const char *act = F(s, d, "event.action"), *user = F(s, d, "user.name");
    return eq(s, d, "data_stream.dataset", "aws.cloudtrail") && F(s, d, "source.ip") &&
           !F(s, d, "aws.cloudtrail.session_credential_from_console") &&
           in(s, d, "event.provider", prov) && type && strcmp(type, "AWSService") &&
           eq(s, d, "user_agent.name", "aws-cli") && act &&
           strcmp(act, "DescribeCapacityReservations") && user &&
           strcmp(user, "AWSServiceRoleForConfig") &&
           (like(act, "Describe*") || like(act, "Get*") || like(act, "List*") ||
            like(act, "Generate*"));
}

static int m_discovery(set *s, int mode)
{
    rows r = {0};
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *d = &s->d.items[i];
        if (!w_discovery(s, d, mode))
            continue;
        const char *arn = F(s, d, "aws.cloudtrail.user_identity.arn");
        row x = {arn ? arn : "(null)", F(s, d, "event.action"), d->t};
        TH_VEC_PUSH(&r, x);
    }
    int v = agg_max(&r, 10000, 0);
    TH_VEC_FREE(&r);
    return v;
}

static const char *model_id(set *s, const doc *d)
{
    return re(s, "modelId=([^],}]+)", F(s, d, "aws.cloudtrail.request_parameters"));
}

static bool w_bedrock_burst(set *s, const doc *d, int mode)
{
    (void)mode;
    static const char *const acts[] = {"InvokeModel", "Converse", "ConverseStream",
                                       "InvokeModelWithResponseStream", NULL};
    return eq(s, d, "event.provider", "bedrock.amazonaws.com") && in(s, d, "event.action", acts) &&
           SUCCESS(s, d) && F(s, d, "aws.cloudtrail.user_identity.arn") && model_id(s, d);
}

static int m_bedrock_burst(set *s, int mode)
{
    static const char *const by[] = {"aws.cloudtrail.user_identity.arn", "cloud.account.id", NULL};
    rows r = {0};
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *d = &s->d.items[i];
        if (!w_bedrock_burst(s, d, mode))
            continue;
        row x = {th_arena_printf(&s->a, "%s%s", K(s, d, by), model_id(s, d)), NULL, d->t};
        TH_VEC_PUSH(&r, x);
    }
    int v = agg_max(&r, 0, 60 * MIN);
    TH_VEC_FREE(&r);
    return v;
}

static bool w_posture(set *s, const doc *d, int mode)
{
    (void)mode;
    static const char *const acts[] = {"GetBucketAcl",        "GetBucketPublicAccessBlock",
                                       "GetBucketPolicy",     "GetBucketPolicyStatus",
                                       "GetBucketVersioning", NULL};
    const char *type = F(s, d, "aws.cloudtrail.user_identity.type");
    return eq(s, d, "data_stream.dataset", "aws.cloudtrail") &&
           eq(s, d, "event.provider", "s3.amazonaws.com") && SUCCESS(s, d) &&
           in(s, d, "event.action", acts) && type && strcmp(type, "AWSService") &&
           F(s, d, "source.ip") && F(s, d, "aws.cloudtrail.resources.arn") &&
           F(s, d, "aws.cloudtrail.user_identity.arn") &&
           !F(s, d, "aws.cloudtrail.session_credential_from_console");
}

typedef struct collect {
    set *s;
    rows *r;
    row proto;
} collect;

static bool each_value(const th_jval *v, void *ctx)
{
    collect *c = ctx;
    th_str t;
    if (th_jscalar_text(v, &t)) {
        row x = c->proto;
        x.val = th_arena_strndup(&c->s->a, t.p, t.n);
        TH_VEC_PUSH(c->r, x);
    }
    return true;
}

static int m_posture(set *s, int mode)
{
    static const char *const by[] = {"aws.cloudtrail.user_identity.arn", "source.ip", NULL};
    rows r = {0};
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *d = &s->d.items[i];
        if (!w_posture(s, d, mode))
            continue;
        /* resources.arn is multi-valued: COUNT_DISTINCT counts every value */
        collect c = {s, &r, {K(s, d, by), NULL, d->t}};
        th_json_path_each(d->e, th_str_c("aws.cloudtrail.resources.arn"), each_value, &c);
    }
    int v = agg_max(&r, 10000, 0);
    TH_VEC_FREE(&r);
    return v;
}

static bool w_quota(set *s, const doc *d, int mode)
{
    (void)mode;
    if (!eq(s, d, "data_stream.dataset", "aws.cloudtrail") ||
        !eq(s, d, "event.provider", "servicequotas.amazonaws.com") ||
        !eq(s, d, "event.action", "GetServiceQuota"))
        return false;
    const char *v[4];
    if (dissect(s, "{%{?k}=%{sc}, %{?q}=%{qc}}", F(s, d, "aws.cloudtrail.request_parameters"), v,
                4) != 4)
        return false;
    return !strcmp(v[1], "ec2") && !strcmp(v[3], "L-1216C47A");
}

static int m_quota(set *s, int mode)
{
    rows r = {0};
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *d = &s->d.items[i];
        if (!w_quota(s, d, mode))
            continue;
        const char *arn = F(s, d, "aws.cloudtrail.user_identity.arn");
        row x = {arn ? arn : "(null)", F(s, d, "cloud.region"), d->t};
        TH_VEC_PUSH(&r, x);
    }
    int v = agg_max(&r, 30000, 0); /* distinct regions >= 10 implies count >= 10 */
    TH_VEC_FREE(&r);
    return v;
}

static bool invoke_ok(set *s, const doc *d)
{
    return eq(s, d, "event.provider", "lambda.amazonaws.com") &&
           like(F(s, d, "event.action"), "Invoke*") && SUCCESS(s, d) &&
           F(s, d, "aws.cloudtrail.user_identity.arn");
}

static bool w_lambda_xacct(set *s, const doc *d, int mode)
{
    if (!invoke_ok(s, d) || F(s, d, "aws.cloudtrail.user_identity.invoked_by") ||
        !F(s, d, "aws.cloudtrail.request_parameters"))
        return false;
    const char *caller = re(s, ":([0-9]{12}):", F(s, d, "aws.cloudtrail.user_identity.arn"));
    const char *owner = re(s, "functionName=arn:aws:lambda:[a-z0-9-]*:([0-9]{12}):",
                           F(s, d, "aws.cloudtrail.request_parameters"));
    return caller && owner && (mode || strcmp(caller, owner));
}

static bool w_lambda_flood(set *s, const doc *d, int mode)
{
    (void)mode;
    return invoke_ok(s, d);
}

static int m_lambda_flood(set *s, int mode)
{
    rows r = {0};
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *d = &s->d.items[i];
        if (!w_lambda_flood(s, d, mode))
            continue;
        row x = {F(s, d, "aws.cloudtrail.user_identity.arn"), NULL, d->t};
        TH_VEC_PUSH(&r, x);
    }
    int v = agg_max(&r, 0, 61 * MIN);
    TH_VEC_FREE(&r);
    return v;
}

static bool w_ecr_public(set *s, const doc *d, int mode)
{
    static const char *const acts[] = {"SetRepositoryPolicy", "PutRegistryPolicy", NULL};
    const char *type = F(s, d, "aws.cloudtrail.user_identity.type");
    const char *p = F(s, d, "aws.cloudtrail.request_parameters");
    return eq(s, d, "event.provider", "ecr.amazonaws.com") && in(s, d, "event.action", acts) &&
           SUCCESS(s, d) && (!type || strcmp(type, "AWSService")) &&
           re(s, "\"Effect\": *\"Allow\"", p) &&
           (mode || re(s, "\"Principal\": *\"\\*\"", p) ||
            re(s, "\"Principal\": *\\{ *\"AWS\": *\"\\*\"", p));
}

static bool w_bedrock_destruct(set *s, const doc *d, int mode)
{
    static const char *const acts[] = {"DeleteGuardrail",
                                       "DeleteModelInvocationLoggingConfiguration",
                                       "PutModelInvocationLoggingConfiguration",
                                       "DeleteImportedModel",
                                       "DeleteCustomModel",
                                       "DeleteModelCustomizationJob",
                                       "DeleteProvisionedModelThroughput",
                                       "DeleteMarketplaceModelEndpoint",
                                       NULL};
    return eq(s, d, "event.provider", "bedrock.amazonaws.com") &&
           re(s, "callWithBearerToken=true", F(s, d, "aws.cloudtrail.additional_eventdata")) &&
           (mode || in(s, d, "event.action", acts));
}

static bool w_ecs(set *s, const doc *d, int mode)
{
    (void)mode;
    static const char *const acts[] = {"RegisterTaskDefinition", "RunTask", "StartTask",
                                       "CreateService", NULL};
    return eq(s, d, "event.provider", "ecs.amazonaws.com") && in(s, d, "event.action", acts);
}

/* principals with a miner registration and a task start (mode 1: any
 * registration) */
static int m_ecs(set *s, int mode)
{
    int alerts = 0;
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *a = &s->d.items[i];
        if (!w_ecs(s, a, 0) || !eq(s, a, "event.action", "RegisterTaskDefinition"))
            continue;
        const char *p = F(s, a, "aws.cloudtrail.request_parameters");
        bool miner =
            (re(s, "image=(docker.io|index.docker.io|ghcr.io|quay.io|public.ecr.aws)/", p) ||
             re(s, "image=[-a-zA-Z0-9_]+(/|[,} :])", p)) &&
            re(s, "cpu=(8192|16384)[,} ]", p);
        if (!miner && !mode)
            continue;
        const char *arn = F(s, a, "aws.cloudtrail.user_identity.arn");
        bool run = false;
        for (size_t j = 0; j < s->d.len && !run; j++) {
            const doc *b = &s->d.items[j];
            run = w_ecs(s, b, 0) && !eq(s, b, "event.action", "RegisterTaskDefinition") &&
                  eq(s, b, "aws.cloudtrail.user_identity.arn", arn) && b->t - a->t < 30 * MIN &&
                  a->t - b->t < 30 * MIN;
        }
        alerts += run;
    }
    return alerts;
}

static bool w_s3_kms(set *s, const doc *d, int mode)
{
    if (!eq(s, d, "data_stream.dataset", "aws.cloudtrail") ||
        !eq(s, d, "event.provider", "s3.amazonaws.com") ||
        !eq(s, d, "event.action", "CopyObject") || !SUCCESS(s, d))
        return false;
    const char *v[20];
    int n = dissect(s,
                    "{%{?bucketName}=%{b},%{?k}=%{?arn}:%{?aws}:%{?kms}:%{?region}:%{acct}:%{?key}/"
                    "%{id},%{?Host}=%{?h},%{?s}=%{?sse},%{?c}=%{?src},%{?key}=%{obj}}",
                    F(s, d, "aws.cloudtrail.request_parameters"), v, 20);
    if (n < 8)
        return false;
    const char *acct = F(s, d, "cloud.account.id"); /* v[7]: the key's account */
    return acct && (mode || strcmp(acct, v[7]));
}

static bool w_static_js(set *s, const doc *d, int mode)
{
    static const char *const types[] = {"IAMUser", "AssumedRole", NULL};
    const char *p = F(s, d, "aws.cloudtrail.request_parameters");
    const char *ua = F(s, d, "user_agent.original");
    if (!eq(s, d, "data_stream.dataset", "aws.cloudtrail") ||
        !eq(s, d, "event.provider", "s3.amazonaws.com") || !eq(s, d, "event.action", "PutObject") ||
        !SUCCESS(s, d) || !in(s, d, "aws.cloudtrail.user_identity.type", types) ||
        !like(p, "*static/js/*.js*") || !ua || (!mode && tool_ua(ua)))
        return false;
    const char *v[6], *w[2];
    if (dissect(s, "%{{?bucket.name.key}=%{b}, %{?host.key}=%{h}, %{?loc.key}=%{loc}}", p, v, 6) !=
            6 ||
        dissect(s, "%{}static/js/%{key}", v[5], w, 2) != 2)
        return false;
    size_t n = strlen(w[1]);
    return mode || (n >= 3 && !strcmp(w[1] + n - 3, ".js"));
}

static bool w_console_geo(set *s, const doc *d, int mode)
{
    (void)mode;
    return eq(s, d, "event.provider", "signin.amazonaws.com") &&
           eq(s, d, "event.action", "ConsoleLogin") && SUCCESS(s, d) &&
           eq(s, d, "aws.cloudtrail.user_identity.type", "IAMUser") &&
           F(s, d, "source.geo.country_iso_code");
}

static int m_console_geo(set *s, int mode)
{
    static const char *const by[] = {"aws.cloudtrail.user_identity.arn", "cloud.account.id", NULL};
    rows r = {0};
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *d = &s->d.items[i];
        if (!w_console_geo(s, d, mode))
            continue;
        row x = {K(s, d, by), F(s, d, "source.geo.country_iso_code"), d->t};
        TH_VEC_PUSH(&r, x);
    }
    int v = agg_max(&r, 0, 65 * MIN);
    TH_VEC_FREE(&r);
    return v;
}

/* the multiple-addresses rule without its source.as.* conditions (no ASN
 * database): per 30-minute bucket and key, 2+ addresses, 2+ cities and 2+
 * services. The "high" class also wants 2+ networks, which only an ASN
 * database gives. `not session_credential_from_console == "true"` is ES|QL's
 * three-valued logic: null when the field is absent, and the row is dropped,
 * so the rule cannot fire on CloudTrail (the field is "true" or absent); mode 1
 * reads it as its author meant (absent passes). */
static bool w_token(set *s, const doc *d, int mode)
{
    static const char *const quiet[] = {"health.amazonaws.com",
                                        "monitoring.amazonaws.com",
                                        "notifications.amazonaws.com",
                                        "ce.amazonaws.com",
                                        "cost-optimization-hub.amazonaws.com",
                                        "servicecatalog-appregistry.amazonaws.com",
                                        "securityhub.amazonaws.com",
                                        "account.amazonaws.com",
                                        "budgets.amazonaws.com",
                                        "freetier.amazonaws.com",
                                        "support.amazonaws.com",
                                        "support-console.amazonaws.com",
                                        NULL};
    const char *ua = F(s, d, "user_agent.original");
    const char *console = F(s, d, "aws.cloudtrail.session_credential_from_console");
    return eq(s, d, "data_stream.dataset", "aws.cloudtrail") &&
           F(s, d, "aws.cloudtrail.user_identity.arn") &&
           eq(s, d, "aws.cloudtrail.user_identity.type", "IAMUser") && F(s, d, "source.ip") &&
           F(s, d, "aws.cloudtrail.user_identity.access_key_id") &&
           (console ? strcmp(console, "true") != 0 : mode == 1) && ua && !tool_ua(ua) &&
           !in(s, d, "event.provider", quiet);
}

static int m_token(set *s, int mode)
{
    int alerts = 0;
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *a = &s->d.items[i];
        if (!w_token(s, a, mode))
            continue;
        const char *key = F(s, a, "aws.cloudtrail.user_identity.access_key_id");
        int64_t lo = a->t / (30 * MIN) * (30 * MIN);
        rows ip = {0}, city = {0}, prov = {0};
        for (size_t j = 0; j < s->d.len; j++) {
            const doc *b = &s->d.items[j];
            if (b->t < lo || b->t >= lo + 30 * MIN || !w_token(s, b, mode) ||
                !eq(s, b, "aws.cloudtrail.user_identity.access_key_id", key))
                continue;
            row x = {"k", F(s, b, "source.ip"), 0};
            TH_VEC_PUSH(&ip, x);
            x.val = F(s, b, "source.geo.city_name");
            if (x.val)
                TH_VEC_PUSH(&city, x);
            x.val = F(s, b, "event.provider");
            TH_VEC_PUSH(&prov, x);
        }
        alerts += agg_max(&ip, 0, 1) >= 2 && agg_max(&city, 0, 1) >= 2 && agg_max(&prov, 0, 1) >= 2;
        TH_VEC_FREE(&ip);
        TH_VEC_FREE(&city);
        TH_VEC_FREE(&prov);
    }
    return alerts;
}

static const char *const k8s_acts[] = {"ListBuckets",
                                       "DescribeInstances",
                                       "GetCallerIdentity",
                                       "ListUsers",
                                       "ListRoles",
                                       "ListAttachedRolePolicies",
                                       "GetRolePolicy",
                                       "GetSecretValue",
                                       "ListSecrets",
                                       "GetParameters",
                                       "DescribeParameters",
                                       "ListKeys",
                                       "Decrypt",
                                       "ListFunctions",
                                       "GetAuthorizationToken",
                                       "SendCommand",
                                       "StartSession",
                                       "CreateUser",
                                       "CreateAccessKey",
                                       "AttachRolePolicy",
                                       "CreateRole",
                                       "PutRolePolicy",
                                       "UpdateAssumeRolePolicy",
                                       "UpdateFunctionCode",
                                       "UpdateFunctionConfiguration",
                                       "ModifyInstanceAttribute",
                                       "StopLogging",
                                       "DeleteTrail",
                                       NULL};

static bool w_k8s(set *s, const doc *d, int mode)
{
    (void)mode;
    return (eq(s, d, "event.action", "AssumeRoleWithWebIdentity") &&
            like(F(s, d, "user.name"), "system:serviceaccount:*")) ||
           (in(s, d, "event.action", k8s_acts) &&
            eq(s, d, "aws.cloudtrail.user_identity.type", "AssumedRole"));
}

/* GROK "accessKeyId=%{NOTSPACE:k}," : the longest non-space run, cut at its
 * last comma */
static const char *issued_key(set *s, const doc *d)
{
    const char *r = F(s, d, "aws.cloudtrail.response_elements");
    const char *p = r ? strstr(r, "accessKeyId=") : NULL;
    if (!p)
        return NULL;
    p += 12;
    size_t n = strcspn(p, " \t\r\n");
    while (n && p[n - 1] != ',')
        n--;
    return n > 1 ? th_arena_strndup(&s->a, p, n - 1) : NULL;
}

/* among keys with an AssumeRoleWithWebIdentity, the most distinct actions in
 * a day */
static int m_k8s(set *s, int mode)
{
    rows r = {0};
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *d = &s->d.items[i];
        if (!w_k8s(s, d, mode))
            continue;
        const char *k = issued_key(s, d);
        if (!k)
            k = F(s, d, "aws.cloudtrail.user_identity.access_key_id");
        if (!k)
            continue;
        row x = {k, F(s, d, "event.action"), d->t};
        TH_VEC_PUSH(&r, x);
    }
    int best = 0;
    for (size_t i = 0; i < r.len; i++) {
        if (strcmp(r.items[i].val, "AssumeRoleWithWebIdentity"))
            continue;
        rows one = {0};
        for (size_t j = 0; j < r.len; j++)
            if (!strcmp(r.items[j].key, r.items[i].key) && r.items[j].t >= r.items[i].t &&
                r.items[j].t < r.items[i].t + DAY)
                TH_VEC_PUSH(&one, r.items[j]);
        int v = agg_max(&one, 0, DAY);
        if (v > best)
            best = v;
        TH_VEC_FREE(&one);
    }
    TH_VEC_FREE(&r);
    return best;
}

static bool w_sm_lifecycle(set *s, const doc *d, int mode)
{
    static const char *const acts[] = {"CreateNotebookInstanceLifecycleConfig",
                                       "UpdateNotebookInstanceLifecycleConfig", NULL};
    const char *type = F(s, d, "aws.cloudtrail.user_identity.type");
    if (!eq(s, d, "event.provider", "sagemaker.amazonaws.com") || !in(s, d, "event.action", acts) ||
        !SUCCESS(s, d) || !type || !strcmp(type, "AWSService"))
        return false;
    const char *b64 =
        re(s, "[Cc]ontent=([A-Za-z0-9+/=]+)", F(s, d, "aws.cloudtrail.request_parameters"));
    const char *script = b64 ? b64_decode(s, b64) : NULL;
    if (!script)
        return false;
    char *low = th_arena_strndup(&s->a, script, strlen(script));
    for (char *p = low; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return mode ||
           re(s,
              "(/dev/tcp/|/dev/udp/|bash -i|sh -i|nc -e|ncat |socat |mkfifo|169\\.254\\.169\\.254|"
              "/latest/meta-data/|/latest/api/token|\\| ?sh|\\| ?bash|base64 -d|import socket|"
              "pty\\.spawn|perl -e|ruby -rsocket|php -r|xmrig|minerd|stratum\\+|authorized_keys|"
              "/etc/cron|crontab )",
              low);
}

static bool w_phantom(set *s, const doc *d, int mode)
{
    static const char *const acts[] = {"CreateAccessKey", "CreateLoginProfile",
                                       "UpdateLoginProfile", NULL};
    return eq(s, d, "event.provider", "iam.amazonaws.com") &&
           (mode || in(s, d, "event.action", acts)) && SUCCESS(s, d) &&
           like(F(s, d, "user.target.name"), "BedrockAPIKey-*");
}

static const char *sm_pair(set *s, const doc *d)
{
    static const char *const acts[] = {"CreateNotebookInstance", "CreateTrainingJob",
                                       "CreateProcessingJob",    "CreateAutoMLJob",
                                       "CreatePipeline",         NULL};
    const char *type = F(s, d, "aws.cloudtrail.user_identity.type");
    if (!eq(s, d, "data_stream.dataset", "aws.cloudtrail") ||
        !eq(s, d, "event.provider", "sagemaker.amazonaws.com") || !in(s, d, "event.action", acts) ||
        !SUCCESS(s, d) || !type || !strcmp(type, "AWSService"))
        return NULL;
    const char *role = re(s, "roleArn=(arn:aws[a-z-]*:iam::[0-9]{12}:role/[^,}]+)",
                          F(s, d, "aws.cloudtrail.request_parameters"));
    const char *who = F(s, d, "aws.cloudtrail.user_identity.session_context.session_issuer.arn");
    if (!who)
        who = F(s, d, "aws.cloudtrail.user_identity.arn");
    return role ? th_arena_printf(&s->a, "%s|%s", who ? who : "(null)", role) : NULL;
}

static bool w_sm_role(set *s, const doc *d, int mode)
{
    (void)mode;
    return sm_pair(s, d) != NULL;
}

/* events whose (principal, role) pair was not seen in the 7 days before,
 * after a first week of history (mode 1: counting that first week too) */
static int m_sm_role(set *s, int mode)
{
    int alerts = 0;
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *a = &s->d.items[i];
        const char *p = sm_pair(s, a);
        if (!p || (!mode && a->t < START + 7 * DAY))
            continue;
        bool seen = false;
        for (size_t j = 0; j < s->d.len && !seen; j++) {
            const doc *b = &s->d.items[j];
            const char *q = b->t < a->t && b->t >= a->t - 7 * DAY ? sm_pair(s, b) : NULL;
            seen = q && !strcmp(p, q);
        }
        alerts += !seen;
    }
    return alerts;
}

/* GitHub Actions credentials used elsewhere, without the ASN conditions: a
 * key whose events include the configure-aws-credentials client and an
 * address none of those events came from (mode 1: any key with that client) */
static int m_gha(set *s, int mode)
{
    int alerts = 0;
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *a = &s->d.items[i];
        const char *key = F(s, a, "aws.cloudtrail.user_identity.access_key_id");
        if (!key || !like(F(s, a, "user_agent.original"), "*aws-credentials-for-github-actions"))
            continue;
        const char *ip = F(s, a, "source.ip");
        bool other = false;
        for (size_t j = 0; j < s->d.len && !other; j++) {
            const doc *b = &s->d.items[j];
            const char *bip = F(s, b, "source.ip");
            other = eq(s, b, "aws.cloudtrail.user_identity.access_key_id", key) && bip && ip &&
                    strcmp(bip, ip);
        }
        alerts += mode || other;
    }
    return alerts;
}

static bool w_rare(set *s, const doc *d, int mode)
{
    (void)mode;
    return eq(s, d, "event.dataset", "aws.cloudtrail") && SUCCESS(s, d) && F(s, d, "user.name");
}

/* The rare-network rule without source.as.*: taking the labelled events as
 * the rare network's and the rest of their (user.name, type) group's week as
 * the trusted clouds', the group meets the rule's ratios: 100+ others, at
 * most 1% labelled, 2+ distinct suspicious actions among the labelled. */
static int m_rare(set *s, int mode)
{
    (void)mode;
    static const char *const susp[] = {
        "GetCallerIdentity", "ListBuckets", "ListSecrets", "GetSecretValue",
        "GetObject",         "AssumeRole",  NULL};
    const char *group = NULL;
    int64_t last = 0;
    rows acts = {0};
    int bad = 0;
    static const char *const by[] = {"user.name", "aws.cloudtrail.user_identity.type", NULL};
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *d = &s->d.items[i];
        if (!w_rare(s, d, 0) || !has_rule(d, "d1b37c0b-4f8b-4cfb-9a1d-639bf8c028b7"))
            continue;
        group = K(s, d, by);
        bad++;
        last = d->t > last ? d->t : last;
        if (in(s, d, "event.action", susp)) {
            row x = {"k", F(s, d, "event.action"), 0};
            TH_VEC_PUSH(&acts, x);
        }
    }
    int good = 0;
    for (size_t i = 0; group && i < s->d.len; i++) {
        const doc *d = &s->d.items[i];
        good += w_rare(s, d, 0) && !has_rule(d, "d1b37c0b-4f8b-4cfb-9a1d-639bf8c028b7") &&
                d->t > last - 7 * DAY && d->t <= last && !strcmp(K(s, d, by), group);
    }
    int distinct = agg_max(&acts, 0, 1);
    TH_VEC_FREE(&acts);
    return group && good >= 100 && bad * 100 <= bad + good && distinct >= 2;
}

/* the correlation rule reads alerts: the event labelled for it carries a
 * high-severity rule's label, and an event of the same source.ip is labelled
 * for the new-IP rule */
static int m_correlated(set *s, int mode)
{
    (void)mode;
    int hits = 0;
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *a = &s->d.items[i];
        if (!has_rule(a, "98cfaa44-83f0-4aba-90c4-363fb9d51a75") ||
            !has_rule(a, "696015ef-718e-40ff-ac4a-cc2ba88dbeeb"))
            continue;
        const char *ip = F(s, a, "source.ip");
        for (size_t j = 0; j < s->d.len; j++)
            if (has_rule(&s->d.items[j], "9f8e3c5e-f72e-4e91-93f6-e98a4fae3e4f") &&
                eq(s, &s->d.items[j], "source.ip", ip)) {
                hits++;
                break;
            }
    }
    return hits;
}

/* ---- the table ---------------------------------------------------------------- */

enum { NEED_UA = 1, NEED_GEO = 2 };

typedef struct esql_case {
    const char *rule, *file, *scenario;
    where_fn where;   /* the WHERE before STATS; NULL: none to check */
    metric_fn metric; /* NULL: per-event rule, the events `where` matches */
    int fire;         /* the attack scenario's metric reaches this */
    int near;         /* look-alikes' metric (just under `fire`); -1: per-event, see mode 1;
                         -2: no look-alike */
    unsigned needs;
    /* the query cannot alert on CloudTrail as written: its metric is 0 on the
     * scenario and reaches `fire` only in mode 1 (the condition read as meant) */
    bool never;
} esql_case;

static const esql_case cases[] = {
    {"696015ef-718e-40ff-ac4a-cc2ba88dbeeb",
     "persistence_iam_user_created_access_keys_for_another_user", "access-key-persistence",
     w_key_for_other, NULL, 1, -1, 0, false},
    {"dfb7dc0b-2caf-4186-9b59-5752bc59bc19",
     "persistence_iam_user_self_created_access_key_subsequently_used", "access-key-persistence",
     w_self_key, m_self_key, 1, -1, 0, false},
    {"7e5c0e5a-95a5-404e-a5b0-278d35dc3325", "execution_ec2_stop_start_with_user_data_modification",
     "ec2-userdata", w_userdata, m_userdata, 3, 2, 0, false},
    {"74f45152-9aee-11ef-b0a5-f661ea17fbcd", "discovery_multiple_discovery_api_calls_via_cli",
     "discovery-burst", w_discovery, m_discovery, 6, 5, NEED_UA, false},
    {"56312ef5-656c-4bf7-ad9a-affed052b102",
     "exfiltration_bedrock_high_frequency_inference_api_probing", "bedrock-abuse", w_bedrock_burst,
     m_bedrock_burst, 500, 450, 0, false},
    {"a7577205-88a1-4a08-85d4-7b72a9a2e969", "discovery_s3_rapid_bucket_posture_api_calls",
     "s3-exfiltration", w_posture, m_posture, 16, 15, 0, false},
    {"19be0164-63d2-11ef-8e38-f661ea17fbce",
     "discovery_servicequotas_multi_region_service_quota_requests", "cryptomining", w_quota,
     m_quota, 10, 9, 0, false},
    {"49002bbe-7aea-4146-91eb-b2b683bf5ed5", "execution_lambda_function_invoked_cross_account",
     "lambda-backdoor", w_lambda_xacct, NULL, 1, -1, 0, false},
    {"55260656-76d6-427b-bd02-7acdde131b64", "impact_lambda_high_frequency_invocation",
     "lambda-backdoor", w_lambda_flood, m_lambda_flood, 1000, 400, 0, false},
    {"699fdfb9-8430-4dcb-b5a9-da67dae64808",
     "exfiltration_ecr_repository_policy_granted_public_access", "cryptomining", w_ecr_public, NULL,
     1, -1, 0, false},
    {"89b68231-5134-4499-8eca-20e5d9c90cce", "impact_bedrock_api_key_destructive_action",
     "bedrock-abuse", w_bedrock_destruct, NULL, 1, -1, 0, false},
    {"3ca27e45-b0cd-417a-914c-d086869acd1b", "impact_ecs_cryptomining_task_definition_deployment",
     "cryptomining", w_ecs, m_ecs, 1, -1, 0, false},
    {"ab8f074c-5565-4bc4-991c-d49770e19fc9", "impact_s3_object_encryption_with_external_key",
     "s3-ransomware", w_s3_kms, NULL, 1, -1, 0, false},
    {"16acac42-b2f9-4802-9290-d6c30914db6e", "impact_s3_static_site_js_file_uploaded",
     "s3-exfiltration", w_static_js, NULL, 1, -1, 0, false},
    {"d1b37c0b-4f8b-4cfb-9a1d-639bf8c028b7", "initial_access_aws_api_unusual_asn", "ci-token-theft",
     w_rare, m_rare, 1, -2, 0, false},
    {"5301ac83-7a43-4c92-95e7-c372afea807d",
     "initial_access_console_login_iam_user_multiple_geolocations", "console-anomalies",
     w_console_geo, m_console_geo, 2, 1, NEED_GEO, false},
    {"b8c7d6e5-f4a3-4b2c-9d8e-7f6a5b4c3d2e",
     "initial_access_github_actions_oidc_credentials_used_from_suspicious_network",
     "ci-token-theft", NULL, m_gha, 1, -1, 0, false},
    {"0d92d30a-5f3e-4b71-bc3d-4a0c4914b7e0",
     "initial_access_iam_session_token_used_from_multiple_addresses", "iam-temp-creds", w_token,
     m_token, 1, -2, NEED_GEO, true},
    {"a1b2c3d4-e5f6-4789-a0b1-c2d3e4f5a6b7",
     "lateral_movement_k8_assumed_web_identity_session_with_multi_phase_api_use", "eks-irsa-abuse",
     w_k8s, m_k8s, 3, 2, 0, false},
    {"0471a12b-c740-4a72-91f0-12bf95014d3c",
     "persistence_sagemaker_lifecycle_config_suspicious_script_content", "sagemaker-backdoor",
     w_sm_lifecycle, NULL, 1, -1, 0, false},
    {"71159cad-f8b3-4b3c-ac6e-9cab05594670",
     "privilege_escalation_bedrock_phantom_user_credentials_added", "bedrock-abuse", w_phantom,
     NULL, 1, -1, 0, false},
    {"ca8c2751-5507-44f2-b58d-08958200cde9",
     "privilege_escalation_sagemaker_execution_role_passed_by_unusual_principal",
     "sagemaker-backdoor", w_sm_role, m_sm_role, 1, -1, 0, false},
    {"98cfaa44-83f0-4aba-90c4-363fb9d51a75",
     "credential_access_iam_long_term_access_key_correlated_with_elevated_detection_alerts",
     "access-key-persistence", NULL, m_correlated, 1, -2, 0, false},
};

static int metric(const esql_case *c, set *s, int mode)
{
    if (c->metric)
        return c->metric(s, mode);
    int n = 0;
    for (size_t i = 0; i < s->d.len; i++)
        n += c->where(s, &s->d.items[i], mode);
    return n;
}

/* ---- tests ---------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    th_mapper_opts o;
    th_mapper_opts_default(&o);
    char city[4096], ua[4096];
    o.geoip_city_db = th_mapper_default_path(TH_GEOIP_CITY_DEFAULT, city, sizeof city);
    o.ua_regexes = th_mapper_default_ua_path(ua, sizeof ua);
    th_diags d;
    th_diags_init(&d);
    mapper = th_mapper_new(&o, &d);
    th_diags_free(&d);
    have_geo = mapper && th_mapper_has_geo(mapper);
    have_ua = mapper && th_mapper_has_ua(mapper);
    return mapper ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < nsets; i++) {
        TH_VEC_FREE(&sets[i].d);
        th_arena_free(&sets[i].a);
    }
    th_mapper_free(mapper);
    return 0;
}

static bool usable(const esql_case *c)
{
    if (((c->needs & NEED_UA) && !have_ua) || ((c->needs & NEED_GEO) && !have_geo)) {
        print_message("SKIP: %s needs %s (scripts/setup.sh installs it)\n", c->file,
                      (c->needs & NEED_UA) && !have_ua ? "uap-core's regexes.yaml"
                                                       : "the GeoLite2 City database");
        return false;
    }
    return true;
}

/* Every rule the table names is an ES|QL rule of the corpus (when present),
 * and every ES|QL AWS rule has a row. */
static void every_esql_rule_has_a_case(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    size_t n = sizeof cases / sizeof cases[0];
    assert_int_equal(n, 23);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/detection-rules/rules/integrations/aws/%s.toml", corpus,
                 cases[i].file);
        size_t len;
        char *text = th_test_read_file(path, &len);
        if (!text)
            fail_msg("%s: no such rule file", cases[i].file);
        char want[64];
        snprintf(want, sizeof want, "rule_id = \"%s\"", cases[i].rule);
        bool ok = strstr(text, want) && strstr(text, "type = \"esql\"");
        free(text);
        if (!ok)
            fail_msg("%s is not the ES|QL rule %s", cases[i].file, cases[i].rule);
    }
}

/* The attack scenario reaches each rule's threshold, and the events labelled
 * for the rule pass its WHERE. */
static void attack_scenarios_reach_the_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const esql_case *c = &cases[i];
        if (!usable(c))
            continue;
        set *s = get(c->scenario);
        int v = metric(c, s, 0);
        if (c->never) {
            int meant = metric(c, s, 1);
            if (v != 0 || meant < c->fire)
                fail_msg("%s on %s: %d as written (wanted 0), %d as meant (wanted %d+)", c->file,
                         c->scenario, v, meant, c->fire);
            if (metric(c, get("esql-lookalikes"), 1) != 0)
                fail_msg("%s as meant fires on the look-alikes", c->file);
            for (size_t k = 0; k < s->d.len; k++)
                if (has_rule(&s->d.items[k], c->rule))
                    fail_msg("%s cannot fire, yet an event is labelled for it", c->file);
            print_message("RATE: %s on %s: 0 as written, %d as meant\n", c->file, c->scenario,
                          meant);
            continue;
        }
        if (v < c->fire)
            fail_msg("%s on %s: %d, wanted at least %d", c->file, c->scenario, v, c->fire);
        print_message("RATE: %s on %s: %d (fires from %d)\n", c->file, c->scenario, v, c->fire);
        size_t labelled = 0;
        for (size_t k = 0; k < s->d.len; k++) {
            const doc *d = &s->d.items[k];
            if (!has_rule(d, c->rule))
                continue;
            labelled++;
            if (c->where && !c->where(s, d, 0))
                fail_msg("%s: an event labelled for it fails its WHERE: %.*s", c->file,
                         (int)th_jstr(th_jobj_get(d->l, "step")).n,
                         th_jstr(th_jobj_get(d->l, "step")).p);
        }
        if (!labelled)
            fail_msg("%s: no event of %s is labelled for it", c->file, c->scenario);
    }
}

/* The look-alikes stay under each threshold, by the decisive condition alone. */
static void lookalikes_stay_under_the_rules(void **state)
{
    (void)state;
    set *s = get("esql-lookalikes");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const esql_case *c = &cases[i];
        if (c->near == -2 || !usable(c))
            continue;
        int v = metric(c, s, 0);
        if (v >= c->fire)
            fail_msg("%s fires on the look-alikes: %d (threshold %d)", c->file, v, c->fire);
        if (c->near >= 0 && v != c->near)
            fail_msg("%s on the look-alikes: %d, designed to be %d", c->file, v, c->near);
        if (c->near == -1 && metric(c, s, 1) < c->fire)
            fail_msg("%s: without its decisive condition it still misses the look-alikes (%d)",
                     c->file, metric(c, s, 1));
    }
    for (size_t k = 0; k < s->d.len; k++)
        if (th_jis(th_jobj_get(s->d.items[k].l, "malicious"), TH_JTRUE))
            fail_msg("esql-lookalikes has a malicious event");
}

/* Spot checks of the decisive fields, as the ECS documents carry them. */
static void decisive_fields(void **state)
{
    (void)state;
    set *s = get("esql-lookalikes");
    int own = 0, sentry = 0, kms = 0;
    for (size_t i = 0; i < s->d.len; i++) {
        const doc *d = &s->d.items[i];
        if (label_step(d, "own-key-rotation") && eq(s, d, "event.action", "CreateAccessKey")) {
            const char *u = F(s, d, "user.name"), *t = F(s, d, "user.target.name");
            assert_non_null(u);
            assert_non_null(t);
            assert_string_equal(u, t);
            own++;
        }
        if (label_step(d, "static-site-deploy") &&
            like(F(s, d, "aws.cloudtrail.request_parameters"), "*.js.map}"))
            sentry++;
        if (label_step(d, "reencrypt-own-kms-key")) {
            const char *p = F(s, d, "aws.cloudtrail.request_parameters");
            assert_non_null(strstr(p, F(s, d, "cloud.account.id")));
            kms++;
        }
    }
    assert_int_equal(own, 1);
    assert_true(sentry >= 1);
    assert_true(kms >= 3);
    set *a = get("s3-ransomware");
    int ext = 0;
    for (size_t i = 0; i < a->d.len; i++) {
        const doc *d = &a->d.items[i];
        if (!label_step(d, "external-kms-reencrypt"))
            continue;
        const char *p = F(a, d, "aws.cloudtrail.request_parameters");
        /* the key's account is not the bucket's */
        assert_null(strstr(p, th_arena_printf(&a->a, ":%s:key/", F(a, d, "cloud.account.id"))));
        ext++;
    }
    assert_int_equal(ext, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_esql_rule_has_a_case),
        cmocka_unit_test(attack_scenarios_reach_the_rules),
        cmocka_unit_test(lookalikes_stay_under_the_rules),
        cmocka_unit_test(decisive_fields),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
