/* noise's attributes: which fields, their class, and the generalised values
 * (conditions) a document holds (noise.h). */
#include <stdio.h>
#include <string.h>

#include "tune/noise_int.h"

const char *const th_noise_common_fields[] = {
    "source.ip",
    "user_agent.original",
    "user.name",
    "aws.cloudtrail.user_identity.type",
    "aws.cloudtrail.user_identity.arn",
    "aws.cloudtrail.user_identity.invoked_by",
    "aws.cloudtrail.session_credential_from_console",
    "event.action",
    "event.outcome",
    "cloud.region",
    "cloud.account.id",
    NULL,
};

const char *const th_noise_class_names[] = {"provenance", "identity", "scope"};

/* How an attribute's values generalise. */
static const attr known[] = {
    {"aws.cloudtrail.session_credential_from_console", NULL, TH_NOISE_PROVENANCE, G_PLAIN, false},
    {"aws.cloudtrail.user_identity.invoked_by", NULL, TH_NOISE_PROVENANCE, G_PLAIN, false},
    {"source.ip", "source.address", TH_NOISE_PROVENANCE, G_SOURCE, false},
    {"user_agent.original", NULL, TH_NOISE_PROVENANCE, G_UA, false},
    {"tls.version", NULL, TH_NOISE_PROVENANCE, G_PLAIN, false},
    {"event.outcome", NULL, TH_NOISE_PROVENANCE, G_PLAIN, false},
    {"source.as.organization.name", NULL, TH_NOISE_PROVENANCE, G_PLAIN, false},
    {"aws.cloudtrail.user_identity.session_context.session_issuer.arn", NULL, TH_NOISE_IDENTITY,
     G_PLAIN, false},
    {"user.name", "related.user", TH_NOISE_IDENTITY, G_PLAIN, false},
    {"aws.cloudtrail.user_identity.arn", NULL, TH_NOISE_IDENTITY, G_ARN, false},
    {"aws.cloudtrail.user_identity.type", NULL, TH_NOISE_IDENTITY, G_PLAIN, false},
    {"aws.cloudtrail.user_identity.access_key_id", NULL, TH_NOISE_IDENTITY, G_PLAIN, false},
    {"event.action", NULL, TH_NOISE_SCOPE, G_PLAIN, false},
    {"event.provider", NULL, TH_NOISE_SCOPE, G_PLAIN, false},
    {"cloud.region", NULL, TH_NOISE_SCOPE, G_PLAIN, false},
    {"cloud.account.id", NULL, TH_NOISE_SCOPE, G_PLAIN, false},
};
#define NKNOWN (sizeof known / sizeof known[0])
static th_noise_class class_of(const char *f)
{
    static const char *const ident[] = {"user.", "related.user", "aws.cloudtrail.user_identity.",
                                        "group.", NULL};
    static const char *const scope[] = {"cloud.",        "event.provider", "event.action",
                                        "event.dataset", "data_stream.",   NULL};
    for (size_t i = 0; ident[i]; i++)
        if (strncmp(f, ident[i], strlen(ident[i])) == 0)
            return TH_NOISE_IDENTITY;
    for (size_t i = 0; scope[i]; i++)
        if (strncmp(f, scope[i], strlen(scope[i])) == 0)
            return TH_NOISE_SCOPE;
    return TH_NOISE_PROVENANCE;
}

/* ---- generalisation --------------------------------------------------- */

static bool ipv4(th_str v, unsigned o[4])
{
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        unsigned n = 0, digits = 0;
        while (i < v.n && v.p[i] >= '0' && v.p[i] <= '9' && digits < 4)
            n = n * 10 + (unsigned)(v.p[i++] - '0'), digits++;
        if (!digits || n > 255)
            return false;
        o[k] = n;
        if (k < 3 && (i >= v.n || v.p[i++] != '.'))
            return false;
    }
    return i == v.n;
}

/* A user agent's family: the product token of the tool that made the call.
 * Returns the pattern in `out` (a prefix when the token starts the agent,
 * else `*token*`) and whether it is a prefix; false when there is none. */
static bool ua_family(th_str v, char *out, size_t cap, bool *prefix)
{
    static const char *const tokens[] = {"Terraform/", "aws-cli/",         "Boto3/",
                                         "botocore/",  "aws-sdk-go",       "aws-sdk-java",
                                         "aws-sdk-js", "aws-sdk-dotnet",   "S3Console/",
                                         "Mozilla/",   "python-requests/", "curl/",
                                         NULL};
    for (size_t i = 0; tokens[i]; i++) {
        size_t tl = strlen(tokens[i]);
        for (size_t at = 0; at + tl <= v.n; at++) {
            if (memcmp(v.p + at, tokens[i], tl) != 0)
                continue;
            if (at + tl == v.n)
                return false; /* the token is the whole agent: the value says it */
            *prefix = at == 0;
            snprintf(out, cap, "%s%s*", at ? "*" : "", tokens[i]);
            if (*prefix)
                out[strlen(out) - 1] = 0; /* a prefix is stored without its '*' */
            return true;
        }
    }
    if (th_str_ends(v, ".amazonaws.com") && !memchr(v.p, '/', v.n) && !memchr(v.p, ' ', v.n)) {
        *prefix = false;
        snprintf(out, cap, "*.amazonaws.com");
        return true;
    }
    return false;
}

/* An ARN's path through its last '/', when something follows it. */
static th_str arn_path(th_str v)
{
    for (size_t i = v.n; i-- > 3;)
        if (v.p[i] == '/')
            return i + 1 < v.n ? th_str_make(v.p, i + 1) : TH_STR_NULL;
    return TH_STR_NULL;
}

typedef struct emit {
    th_noise *n;
    bool insert;
    feat **out;
    size_t len;
} emit;

static void put(emit *e, size_t ai, th_noise_kind kind, const char *field, th_str value)
{
    th_noise *n = e->n;
    n->key.len = 0;
    th_buf_printf(&n->key, "%zu|%d|%s|", ai, (int)kind, field);
    th_buf_put(&n->key, value.p, value.n);
    th_str k = th_str_make(n->key.data, n->key.len);
    feat *f = th_map_get(&n->fmap, k);
    if (!f && e->insert) {
        f = TH_ANEW(n->a, feat);
        char *kk = th_arena_strndup(n->a, k.p, k.n);
        f->c = (th_noise_cond){kind, field, th_str_make(kk + (k.n - value.n), value.n),
                               n->attrs[ai].cls};
        f->attr = ai;
        f->top = -1;
        f->bits = TH_ANEWN(n->a, uint64_t, n->nwords);
        th_map_put(&n->fmap, th_str_make(kk, k.n), f);
        TH_VEC_PUSH(&n->feats, f);
    }
    if (!f)
        return;
    for (size_t i = 0; i < e->len; i++)
        if (e->out[i] == f)
            return;
    if (e->len < MAX_FEATS)
        e->out[e->len++] = f;
}

typedef struct vals {
    th_str v[MAX_VALS];
    size_t n;
} vals;

static bool vals_visit(const th_jval *v, void *ctx)
{
    vals *c = ctx;
    th_str s;
    if (!th_tune_value_text(v, &s) || s.n == 0)
        return true;
    for (size_t i = 0; i < c->n; i++)
        if (th_str_eq(c->v[i], s))
            return true;
    if (c->n == MAX_VALS)
        return false;
    c->v[c->n++] = s;
    return true;
}

static void read_vals(const th_jval *doc, const char *field, vals *out)
{
    out->n = 0;
    th_json_path_each(doc, th_str_c(field), vals_visit, out);
}

static void source_feats(emit *e, size_t ai, const th_jval *doc)
{
    const attr *at = &e->n->attrs[ai];
    vals v;
    read_vals(doc, at->field, &v);
    if (v.n == 0) {
        put(e, ai, TH_NOISE_MISSING, at->field, TH_STR_NULL);
        read_vals(doc, at->alias, &v);
        for (size_t i = 0; i < v.n; i++) {
            put(e, ai, TH_NOISE_VALUE, at->alias, v.v[i]);
            if (th_str_ends(v.v[i], ".amazonaws.com"))
                put(e, ai, TH_NOISE_PATTERN, at->alias, th_str_c("*.amazonaws.com"));
        }
        return;
    }
    put(e, ai, TH_NOISE_PRESENT, at->field, TH_STR_NULL);
    for (size_t i = 0; i < v.n; i++) {
        put(e, ai, TH_NOISE_VALUE, at->field, v.v[i]);
        unsigned o[4];
        if (ipv4(v.v[i], o)) {
            char net[32];
            snprintf(net, sizeof net, "%u.%u.%u.0/24", o[0], o[1], o[2]);
            put(e, ai, TH_NOISE_CIDR, at->field, th_str_c(net));
            snprintf(net, sizeof net, "%u.%u.0.0/16", o[0], o[1]);
            put(e, ai, TH_NOISE_CIDR, at->field, th_str_c(net));
        }
    }
}

static void attr_feats(emit *e, size_t ai, const th_jval *doc)
{
    const attr *at = &e->n->attrs[ai];
    if (at->g == G_SOURCE) {
        source_feats(e, ai, doc);
        return;
    }
    const char *field = at->field;
    vals v;
    read_vals(doc, field, &v);
    if (v.n == 0 && at->alias) {
        field = at->alias;
        read_vals(doc, field, &v);
    }
    if (v.n == 0) {
        if (!at->extra)
            put(e, ai, TH_NOISE_MISSING, at->field, TH_STR_NULL);
        return;
    }
    if (!at->extra)
        put(e, ai, TH_NOISE_PRESENT, field, TH_STR_NULL);
    for (size_t i = 0; i < v.n; i++) {
        put(e, ai, TH_NOISE_VALUE, field, v.v[i]);
        if (at->g == G_ARN) {
            th_str p = arn_path(v.v[i]);
            if (p.n)
                put(e, ai, TH_NOISE_PREFIX, field, p);
        } else if (at->g == G_UA) {
            char pat[64];
            bool prefix;
            if (ua_family(v.v[i], pat, sizeof pat, &prefix))
                put(e, ai, prefix ? TH_NOISE_PREFIX : TH_NOISE_PATTERN, field, th_str_c(pat));
        }
    }
}

size_t th_noise_doc_feats(th_noise *n, const th_jval *doc, bool insert, feat **out)
{
    emit e = {n, insert, out, 0};
    for (size_t ai = 0; ai < n->nattrs; ai++)
        attr_feats(&e, ai, doc);
    return e.len;
}

static void add_attr(th_noise *n, const char *field, const char *alias, th_noise_class cls, gen g,
                     bool extra)
{
    for (size_t i = 0; i < n->nattrs; i++)
        if (strcmp(n->attrs[i].field, field) == 0 ||
            (n->attrs[i].alias && strcmp(n->attrs[i].alias, field) == 0))
            return;
    if (n->nattrs < MAX_ATTRS)
        n->attrs[n->nattrs++] = (attr){field, alias, cls, g, extra};
}

void th_noise_attrs(th_noise *n, const th_noise_opts *o)
{
    for (size_t k = 0; k < NKNOWN; k++)
        add_attr(n, known[k].field, known[k].alias, known[k].cls, known[k].g, false);
    n->nknown = n->nattrs;
    for (size_t i = 0; i < o->nfields; i++)
        add_attr(n, o->fields[i], NULL, class_of(o->fields[i]), G_PLAIN, true);
}
