/* CloudTrail -> ECS: the processors of the Elastic AWS integration's cloudtrail
 * ingest pipeline (newest stored version, 3ab42812), in their order. Each block
 * names the processor(s) it stands for; SEMANTICS.md 8.2 has the overview. */
#include "ecs/mapper.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "ecs/asn.h"
#include "ecs/javafmt.h"
#include "ecs/mapper_int.h"
#include "ecs/rawproj.h"

void th_mapper_opts_default(th_mapper_opts *o)
{
    memset(o, 0, sizeof *o);
    o->actor_target_mapping = false; /* the integration's default */
    o->preserve_original = false;
    o->ingest_delay_ms = 0;
    o->created_ms = TH_TIME_NONE;
    o->data_stream = true;
}

th_mapper *th_mapper_new(const th_mapper_opts *o, th_diags *diags)
{
    static _Atomic uint64_t serials;
    th_mapper *m = th_xcalloc(1, sizeof *m);
    m->serial = ++serials;
    m->o = *o;
    m->retain = o->retain ? th_xstrdup(o->retain) : NULL;
    m->created_str = o->created_str ? th_xstrdup(o->created_str) : NULL;
    m->o.retain = m->retain;
    m->o.created_str = m->created_str;
    if (o->ntags) {
        m->tags = th_xcalloc(o->ntags, sizeof(char *));
        for (size_t i = 0; i < o->ntags; i++)
            m->tags[i] = th_xstrdup(o->tags[i]);
        m->ntags = o->ntags;
    }
    m->o.tags = (const char *const *)m->tags;
    mx_keys_init(m);
    if (o->ua_regexes && *o->ua_regexes) {
        m->ua = th_ua_load(o->ua_regexes, diags);
        if (!m->ua) {
            th_mapper_free(m);
            return NULL;
        }
    }
    if (o->geoip_city_db && *o->geoip_city_db) {
        m->city = th_geo_open(o->geoip_city_db, diags);
        if (!m->city) {
            th_mapper_free(m);
            return NULL;
        }
    }
    if (o->geoip_asn_db && *o->geoip_asn_db) {
        if (th_asn_probe(o->geoip_asn_db))
            m->asn_tab = th_asn_open(o->geoip_asn_db, diags);
        else
            m->asn = th_geo_open(o->geoip_asn_db, diags);
        if (!m->asn && !m->asn_tab) {
            th_mapper_free(m);
            return NULL;
        }
    }
    if (m->city || m->asn || m->asn_tab) {
        const char *cd = m->city ? th_geo_desc(m->city) : "off";
        const char *ad = m->asn ? th_geo_desc(m->asn) : m->asn_tab ? th_asn_desc(m->asn_tab) : "off";
        size_t len = strlen(cd) + strlen(ad) + 16;
        m->geo_desc = th_xcalloc(1, len);
        snprintf(m->geo_desc, len, "city %s; ASN %s", cd, ad);
    }
    m->o.ua_regexes = m->o.geoip_city_db = m->o.geoip_asn_db = NULL;
    return m;
}

void th_mapper_free(th_mapper *m)
{
    if (!m)
        return;
    th_ua_free(m->ua);
    th_geo_close(m->city);
    th_geo_close(m->asn);
    th_asn_close(m->asn_tab);
    free(m->geo_desc);
    for (size_t i = 0; i < m->ntags; i++)
        free(m->tags[i]);
    free(m->tags);
    free(m->retain);
    free(m->created_str);
    free(m);
}

bool th_mapper_has_ua(const th_mapper *m) { return m->ua != NULL; }
bool th_mapper_has_geo(const th_mapper *m) { return m->city != NULL || m->asn != NULL || m->asn_tab != NULL; }
bool th_mapper_has_asn(const th_mapper *m) { return m->asn != NULL || m->asn_tab != NULL; }
const char *th_mapper_geo_desc(const th_mapper *m) { return m->geo_desc; }
const char *th_mapper_ua_version(const th_mapper *m) { return m->ua ? th_ua_version(m->ua) : NULL; }

/* ---- small helpers ------------------------------------------------------ */

/* rename json.<from> -> doc.<to> (ignore_missing) */
__attribute__((always_inline)) static inline void ren(mctx *c, mx_key from, const char *to)
{
    mx_set(c, to, mx_raw(c, from));
}

/* The text the pipeline writes for a time: ISO-8601 with milliseconds, or
 * YYYY-MM-DDTHH:MM:SSZ (`seconds`) as the Fleet final pipeline writes
 * event.ingested. th_ecs_times reads these back to know an event's times
 * without mapping it. */
static void time_text(int64_t ms, bool seconds, char buf[32])
{
    th_time_format_iso(ms, buf);
    if (seconds) {
        buf[19] = 'Z';
        buf[20] = 0;
    }
}

/* The date processor: the first of `fmts` that reads s gives the instant,
 * written as the processor's default output format (ms, UTC). */
static bool date_parse(th_str s, const th_java_datefmt *fmts, size_t n, int64_t *ms)
{
    for (size_t i = 0; i < n; i++)
        if (th_java_date_parse(fmts[i], s.p, s.n, ms))
            return true;
    return false;
}

static const th_java_datefmt ISO_ONLY[] = {TH_JDATE_ISO8601};

static bool canonical_time(th_str s, int64_t *ms);

static th_jval *date_val(mctx *c, th_str s, const th_java_datefmt *fmts, size_t n)
{
    int64_t ms;
    if (n && fmts[0] == TH_JDATE_ISO8601 && canonical_time(s, &ms)) {
        /* CloudTrail's own form, which ISO8601 reads (canonical_time): its
         * instant written back is the text with milliseconds, without the
         * general parser and formatter (two dates of every record) */
        char *t = th_arena_alloc(c->a, 25);
        memcpy(t, s.p, 19);
        memcpy(t + 19, ".000Z", 6);
        return th_jnew_str(c->a, th_str_make(t, 24));
    }
    if (!date_parse(s, fmts, n, &ms))
        return NULL;
    char buf[32];
    time_text(ms, false, buf);
    return th_jnew_strcopy(c->a, th_str_c(buf));
}

/* date processor json.<from> -> doc.<to> with the formats the pipeline lists
 * for it; on failure an error (event.kind: pipeline_error). */
static void date_of(mctx *c, th_jval *v, const char *from, const char *to,
                    const th_java_datefmt *fmts, size_t n)
{
    if (!v)
        return;
    th_jval *d = th_jis(v, TH_JSTR) ? date_val(c, v->u.str, fmts, n) : NULL;
    if (d)
        mx_set(c, to, d);
    else
        mx_fail(c, th_arena_printf(c->a, "Processor date failed to parse %s", from));
}

static void date_to(mctx *c, mx_key from, const char *to, const th_java_datefmt *fmts, size_t n)
{
    date_of(c, mx_raw(c, from), mx_key_names[from], to, fmts, n);
}

static bool ip_text(th_str s)
{
    char tmp[64];
    if (s.n == 0 || s.n >= sizeof tmp)
        return false;
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = 0;
    unsigned char addr[16];
    return inet_pton(AF_INET, tmp, addr) == 1 || inet_pton(AF_INET6, tmp, addr) == 1;
}

/* What the mapping learns of an address text, remembered per thread for the
 * texts seen last (one slot per hash of the text): whether it is an IP
 * address (ip_text: inet_pton on a copy) and the range th_asn_lookup finds
 * for it in the ASN table of the mapper numbered `serial`. Events repeat a
 * few addresses, and the two were over half of the source block's cost. */
#define ADDR_MEMO_SLOTS 64
#define ADDR_MEMO_TEXT 46 /* longer than any address text (45 bytes at most) */
typedef struct addr_memo {
    uint64_t serial; /* 0: no ASN range remembered */
    th_str org;      /* the bytes live as long as the table */
    uint32_t asn;
    bool ip, asn_hit;
    uint8_t n; /* 0: an empty slot */
    char text[ADDR_MEMO_TEXT];
} addr_memo;
static _Thread_local addr_memo addr_memos[ADDR_MEMO_SLOTS];

/* The memo of address text s, made when absent (ip set, no ASN range); NULL
 * when s is empty or too long to be remembered. */
static addr_memo *addr_memo_of(th_str s)
{
    if (s.n == 0 || s.n >= ADDR_MEMO_TEXT)
        return NULL;
    /* the length and four bytes: addresses that differ in their last digit
     * fall apart */
    const unsigned char *u = (const unsigned char *)s.p;
    uint32_t h = ((uint32_t)s.n * 0x9E3779B1u) ^ ((uint32_t)u[0] | (uint32_t)u[s.n - 1] << 8 |
                                                  (uint32_t)u[s.n / 2] << 16 |
                                                  (uint32_t)u[s.n * 3 / 4] << 24);
    h *= 0x85EBCA6Bu;
    addr_memo *e = &addr_memos[(h ^ (h >> 16)) % ADDR_MEMO_SLOTS];
    if (e->n == s.n && memcmp(e->text, s.p, s.n) == 0)
        return e;
    e->n = (uint8_t)s.n;
    memcpy(e->text, s.p, s.n);
    e->serial = 0;
    e->ip = ip_text(s);
    return e;
}

static bool is_ip(th_str s)
{
    addr_memo *e = addr_memo_of(s);
    return e ? e->ip : ip_text(s);
}

bool th_ecs_is_ip(th_str s) { return is_ip(s); }

/* th_asn_lookup in m's table, of the address text ip. */
static bool asn_lookup(const th_mapper *m, const char *ip, uint32_t *asn, th_str *org)
{
    addr_memo *e = addr_memo_of(th_str_c(ip));
    if (!e)
        return th_asn_lookup(m->asn_tab, ip, asn, org);
    if (e->serial != m->serial) {
        e->asn_hit = th_asn_lookup(m->asn_tab, ip, &e->asn, &e->org);
        e->serial = m->serial;
    }
    *asn = e->asn;
    *org = e->org;
    return e->asn_hit;
}

static bool has_tag(const th_mapper *m, const char *t)
{
    for (size_t i = 0; i < m->ntags; i++)
        if (strcmp(m->tags[i], t) == 0)
            return true;
    return false;
}

static const char *memfind(th_str s, char ch) { return s.n ? memchr(s.p, ch, s.n) : NULL; }

/* ---- who the actor is: decisions over raw strings -------------------------
 * Shared by the mapping (user_identity, event_source) and the slot document
 * (rawproj.c), so that both decide alike. A NULL th_str is an absent value
 * (the drop-empty copy has none where the record had an empty string). */

/* The first ":role/aws-service-role/" in arn (as mx_find finds it), found
 * from the marker's one '/', the end of ":role/": mx_find's memchr to every
 * ':' of the ARN (five before its resource) was most of
 * th_ecs_service_actor, which every captured AssumedRole event runs. The
 * first occurrence of the marker is at the first '/' whose five bytes
 * before and seventeen after complete it. */
static const char *service_role_marker(th_str arn)
{
    enum { PRE = 5, POST = 17 }; /* ":role" '/' "aws-service-role/" */
    if (!arn.p || arn.n < PRE + 1 + POST)
        return NULL;
    const char *p = arn.p + PRE, *last = arn.p + arn.n - POST - 1; /* the '/' */
    while (p <= last && (p = memchr(p, '/', (size_t)(last - p) + 1))) {
        if (memcmp(p - PRE, ":role", PRE) == 0 && memcmp(p + 1, "aws-service-role/", POST) == 0)
            return p - PRE;
        p++;
    }
    return NULL;
}

th_str th_ecs_service_actor(th_str type, th_str invoked_by, th_str issuer_arn)
{
    if (th_str_eqc(type, "AWSService"))
        return invoked_by;
    if (!th_str_eqc(type, "AssumedRole"))
        return TH_STR_NULL;
    const char *at = service_role_marker(issuer_arn);
    if (!at)
        return TH_STR_NULL;
    size_t skip = (size_t)(at - issuer_arn.p) + strlen(":role/aws-service-role/");
    th_str rest = th_str_make(issuer_arn.p + skip, issuer_arn.n - skip);
    const char *slash = memfind(rest, '/');
    if (invoked_by.p)
        return invoked_by;
    if (slash && slash > rest.p)
        return th_str_make(rest.p, (size_t)(slash - rest.p));
    return TH_STR_NULL;
}

bool th_ecs_issuer_names_user(th_str type, bool is_service)
{
    return (th_str_eqc(type, "AssumedRole") || th_str_eqc(type, "FederatedUser")) && !is_service;
}

bool th_ecs_delegate_ids_user(th_str type) { return th_str_eqc(type, "IdentityCenterUser"); }

bool th_ecs_event_names_user(th_str event_name)
{
    return th_str_eqc(event_name, "UserAuthentication");
}

/* ---- blocks of the pipeline ---------------------------------------------- */

/* The members of userIdentity that user_identity reads (NULL when absent),
 * found in one pass over its members: a search for each of the fifteen reads
 * went through all of them. The last of duplicates wins, as th_jobj_get finds
 * it (a pruned object has none). */
typedef struct ui_members {
    th_jval *type, *invoked_by, *user_name, *principal_id, *arn, *account_id, *access_key_id,
        *session_context, *on_behalf_of, *in_scope_of, *invoked_by_delegate, *credential_id,
        *identity_provider;
} ui_members;

static void ui_members_of(const th_jval *ui, ui_members *f)
{
    memset(f, 0, sizeof *f);
    if (!th_jis(ui, TH_JOBJ))
        return;
    for (uint32_t i = 0; i < ui->len; i++) {
        th_str k = ui->u.members[i].key;
        th_jval **to = NULL;
        switch (k.n) { /* the keys' lengths tell most of them apart */
        case 3: to = th_str_eqc(k, "arn") ? &f->arn : NULL; break;
        case 4: to = th_str_eqc(k, "type") ? &f->type : NULL; break;
        case 8: to = th_str_eqc(k, "userName") ? &f->user_name : NULL; break;
        case 9:
            to = th_str_eqc(k, "invokedBy")   ? &f->invoked_by
                 : th_str_eqc(k, "accountId") ? &f->account_id
                 : th_str_eqc(k, "inScopeOf") ? &f->in_scope_of
                                              : NULL;
            break;
        case 10: to = th_str_eqc(k, "onBehalfOf") ? &f->on_behalf_of : NULL; break;
        case 11:
            to = th_str_eqc(k, "principalId")   ? &f->principal_id
                 : th_str_eqc(k, "accessKeyId") ? &f->access_key_id
                                                : NULL;
            break;
        case 12: to = th_str_eqc(k, "credentialId") ? &f->credential_id : NULL; break;
        case 14: to = th_str_eqc(k, "sessionContext") ? &f->session_context : NULL; break;
        case 16: to = th_str_eqc(k, "identityProvider") ? &f->identity_provider : NULL; break;
        case 17: to = th_str_eqc(k, "invokedByDelegate") ? &f->invoked_by_delegate : NULL; break;
        default: break;
        }
        if (to)
            *to = ui->u.members[i].val;
    }
}

static void user_identity(mctx *c)
{
    if (mx_runs(c, TH_MB_RECORD))
        ren(c, MK_eventVersion, "aws.cloudtrail.event_version");
    /* userIdentity's objects, found once */
    th_jval *ui = mx_raw(c, MK_userIdentity);
    ui_members u;
    ui_members_of(ui, &u);
    th_jval *sc = u.session_context, *si = th_jobj_get(sc, "sessionIssuer");
    th_jval *obo = u.on_behalf_of, *iso = u.in_scope_of;
    th_jval *wif = th_jobj_get(sc, "webIdFederationData");
    mx_dst uid = MX_DST("aws.cloudtrail.user_identity");
    mx_dst usc = MX_DST_UP(&uid, "session_context");
    mx_dst usi = MX_DST_UP(&usc, "session_issuer");
    mx_dst uobo = MX_DST_UP(&uid, "on_behalf_of");
    mx_dst uiso = MX_DST_UP(&uid, "in_scope_of");
    mx_dst uwif = MX_DST_UP(&usc, "web_id_federation_data");
    mx_put(c, &uid, "type", u.type);
    th_str type = th_jstr(u.type);

    /* script_aws_service_actor: AWS-service actors get service.name, no user.* */
    th_str service = ui ? th_ecs_service_actor(type, th_jstr(u.invoked_by),
                                              th_jstr(th_jobj_get(si, "arn")))
                        : TH_STR_NULL;
    bool is_service = service.p && service.n;
    if (is_service)
        mx_set_str(c, "service.name", service);
    if (!is_service) {
        mx_set(c, "user.name", u.user_name);
        mx_set(c, "user.id", u.principal_id);
    }
    mx_put(c, &uid, "arn", u.arn);
    if (!mx_get(c, "cloud.account.id"))
        mx_set(c, "cloud.account.id", u.account_id);
    mx_put(c, &uid, "access_key_id", u.access_key_id);
    /* session_context.*, then the record's bookkeeping below: optional
     * blocks (demand.h), since nothing later reads them */
    bool session = mx_runs(c, TH_MB_SESSION);
    if (session) {
        th_jval *attrs = th_jobj_get(sc, "attributes");
        mx_put(c, &usc, "mfa_authenticated", th_jobj_get(attrs, "mfaAuthenticated"));
        /* date_json_userIdentity_sessionContext_attributes_creationDate_...: three formats */
        static const th_java_datefmt creation_fmts[] = {
            TH_JDATE_ISO8601, TH_JDATE_BASIC_DATE_TIME_NO_MILLIS, TH_JDATE_BASIC_DATE_TIME};
        th_jval *created = th_jobj_get(attrs, "creationDate");
        if (created) { /* date_of, into usc */
            th_jval *d = th_jis(created, TH_JSTR) ? date_val(c, created->u.str, creation_fmts, 3) : NULL;
            if (d)
                mx_put(c, &usc, "creation_date", d);
            else
                mx_fail(c, "Processor date failed to parse userIdentity.sessionContext.attributes.creationDate");
        }
        mx_put(c, &usi, "type", th_jobj_get(si, "type"));
    }
    if (th_ecs_issuer_names_user(type, is_service))
        mx_set(c, "user.name", th_jobj_get(si, "userName")); /* override */
    if (session)
        mx_put(c, &usi, "principal_id", th_jobj_get(si, "principalId"));

    /* grok the session name out of an sts ARN; related.user and user.email
     * (the related block's outputs) */
    th_str arn = th_jstr(u.arn);
    if (mx_runs(c, TH_MB_RELATED) &&
        (th_str_eqc(type, "AssumedRole") || th_str_eqc(type, "FederatedUser") ||
         th_str_eqc(type, "IdentityCenterUser")) &&
        arn.p && mx_find(arn, ":sts:") && memfind(arn, '/')) {
        /* ^arn:[a-z0-9-]+:sts:.*\/(.*)$ */
        size_t i = 4;
        bool ok = th_str_starts(arn, "arn:");
        size_t j = i;
        while (ok && j < arn.n && (islower((unsigned char)arn.p[j]) ||
                                   isdigit((unsigned char)arn.p[j]) || arn.p[j] == '-'))
            j++;
        ok = ok && j > i && j + 5 <= arn.n && memcmp(arn.p + j, ":sts:", 5) == 0;
        if (ok) {
            const char *last = NULL;
            for (size_t k = j + 5; k < arn.n; k++)
                if (arn.p[k] == '/')
                    last = arn.p + k;
            if (last) {
                th_str name = th_str_make(last + 1, (size_t)(arn.p + arn.n - last - 1));
                if (name.n) { /* an empty GREEDYDATA capture is not stored */
                    mx_append_unique(c, "related.user", name);
                    const char *at = memfind(name, '@');
                    if (at) {
                        th_str prefix = th_str_make(name.p, (size_t)(at - name.p));
                        if (prefix.n) {
                            mx_append_unique(c, "related.user", prefix);
                            if (!mx_get(c, "user.email"))
                                mx_set_str(c, "user.email", name);
                        }
                    }
                }
            }
        }
    }
    bool record = mx_runs(c, TH_MB_RECORD);
    if (record) {
        mx_put(c, &uobo, "user_id", th_jobj_get(obo, "userId"));
        mx_put(c, &uobo, "identity_store_arn", th_jobj_get(obo, "identityStoreArn"));
    }
    if (th_ecs_delegate_ids_user(type) && !mx_get(c, "user.id"))
        mx_set(c, "user.id", th_jobj_get(obo, "userId"));
    if (session) {
        mx_put(c, &usi, "arn", th_jobj_get(si, "arn"));
        mx_put(c, &usi, "account_id", th_jobj_get(si, "accountId"));
    }
    ren(c, MK_sessionCredentialFromConsole, "aws.cloudtrail.session_credential_from_console");
    mx_put(c, &uid, "invoked_by", u.invoked_by);
    if (record) {
        mx_set(c, "aws.cloudtrail.user_identity.invoked_by_delegate.account_id",
               th_jobj_get(u.invoked_by_delegate, "accountId"));
        mx_put(c, &uid, "credential_id", u.credential_id);
        mx_put(c, &uid, "identity_provider", u.identity_provider);
        mx_put(c, &uiso, "issuer_type", th_jobj_get(iso, "issuerType"));
        mx_put(c, &uiso, "credentials_issued_to", th_jobj_get(iso, "credentialsIssuedTo"));
        mx_put(c, &uiso, "source_arn", th_jobj_get(iso, "sourceArn"));
        mx_put(c, &uiso, "source_account", th_jobj_get(iso, "sourceAccount"));
    }
    if (session) {
        mx_put(c, &usc, "ec2_role_delivery", th_jobj_get(sc, "ec2RoleDelivery"));
        mx_put(c, &usc, "source_identity", th_jobj_get(sc, "sourceIdentity"));
        mx_put(c, &uwif, "federated_provider", th_jobj_get(wif, "federatedProvider"));
        mx_put(c, &uwif, "attributes", th_jobj_get(wif, "attributes"));
        mx_put(c, &usc, "assumed_root", th_jobj_get(sc, "assumedRoot"));
        mx_put(c, &usc, "sign_in_session_arn", th_jobj_get(sc, "signInSessionArn"));
    }
}

static void event_source(mctx *c)
{
    mx_dst ev = MX_DST("event"), cloud = MX_DST("cloud");
    th_str src = th_jstr(mx_raw(c, MK_eventSource));
    if (mx_runs(c, TH_MB_MINOR) && src.p && th_str_ends(src, ".amazonaws.com") &&
        !mx_get(c, "cloud.service.name")) {
        /* dissect '%{cloud.service.name}.amazonaws.com': up to the first match */
        const char *suffix = ".amazonaws.com";
        size_t sl = strlen(suffix);
        for (size_t i = 0; i + sl <= src.n; i++) {
            if (memcmp(src.p + i, suffix, sl) == 0) {
                if (i + sl == src.n && i > 0)
                    mx_set_str(c, "cloud.service.name", th_str_make(src.p, i));
                break;
            }
        }
    }
    if (!mx_dst_get(c, &ev, "provider"))
        mx_put(c, &ev, "provider", mx_raw(c, MK_eventSource));
    th_jval *name = mx_raw(c, MK_eventName);
    if (name) {
        th_str s = mx_render(c, name);
        if (s.n)
            mx_put(c, &ev, "action", th_jnew_str(c->a, s));
    }
    if (mx_runs(c, TH_MB_MINOR))
        ren(c, MK_eventCategory, "aws.cloudtrail.event_category");
    if (th_ecs_event_names_user(th_jstr(mx_raw(c, MK_eventName))) && !mx_get(c, "user.name")) {
        /* a real rename: the key leaves additionalEventData before it is
         * stringified (the HashMap keeps its table size) */
        th_jval *aed = mx_raw(c, MK_additionalEventData);
        th_jval *un = th_jobj_get(aed, "UserName");
        if (un) {
            mx_set(c, "user.name", un);
            th_jobj_remove(aed, TH_STR_LIT("UserName"));
            if (aed->len == 0) /* the map leaves the record */
                c->raw[MK_additionalEventData] = NULL;
        }
    }
    mx_put(c, &cloud, "provider", th_jnew_cstr(c->a, "aws"));
    mx_put(c, &cloud, "region", mx_raw(c, MK_awsRegion));
}

/* The geoip processor's `asn` and `organization_name` properties, renamed to
 * source.as.number / source.as.organization.name as the pipeline does, from
 * ip-location-db's ranges. A range without an organisation gives the number
 * only (the processor leaves absent properties out). */
static void asn_ranges(mctx *c, mx_dst *src, const char *ip)
{
    uint32_t n;
    th_str org;
    if (!asn_lookup(c->m, ip, &n, &org))
        return;
    mx_dst as = MX_DST_UP(src, "as"), as_org = MX_DST_UP(&as, "organization");
    mx_put(c, &as, "number", th_jnew_i64(c->a, n));
    if (org.n)
        mx_put(c, &as_org, "name", th_jnew_strcopy(c->a, org));
}

/* The ASN block of geo() (th_ecs_asn_of runs it alone for the raw projection);
 * src names doc's source. */
static void asn(mctx *c, mx_dst *src, const char *ip)
{
    if (c->m->asn && mx_runs(c, TH_MB_ASN))
        th_geo_asn(c->m->asn, c, ip);
    else if (c->m->asn_tab && mx_runs(c, TH_MB_ASN))
        asn_ranges(c, src, ip);
}

/* GeoIP and ASN of source.ip, addr (optional blocks) */
static void geo(mctx *c, mx_dst *src, const th_jval *addr)
{
    if (addr->u.str.n >= 64)
        return;
    char ip[64];
    memcpy(ip, addr->u.str.p, addr->u.str.n);
    ip[addr->u.str.n] = 0;
    if (c->m->city && mx_runs(c, TH_MB_GEO))
        th_geo_city(c->m->city, c, ip);
    asn(c, src, ip);
}

th_jval *th_ecs_asn_of(const th_mapper *m, th_arena *a, th_str ip)
{
    /* source(): only an address is a source.ip; geo(): only one under 64 bytes */
    if (!m->asn && !m->asn_tab)
        return NULL;
    if (!is_ip(ip) || ip.n >= 64)
        return NULL;
    char buf[64];
    memcpy(buf, ip.p, ip.n);
    buf[ip.n] = 0;
    mctx cx = {.m = m, .a = a, .doc = th_jnew_obj(a), .dem = NULL};
    mx_dst src = MX_DST("source");
    asn(&cx, &src, buf);
    return th_jobj_get_path(cx.doc, "source.as");
}

th_jval *th_ecs_geo_of(const th_mapper *m, th_arena *a, th_str ip)
{
    /* source(): only an address is a source.ip; geo(): only one under 64 bytes */
    if (!m->city || !is_ip(ip) || ip.n >= 64)
        return NULL;
    char buf[64];
    memcpy(buf, ip.p, ip.n);
    buf[ip.n] = 0;
    mctx cx = {.m = m, .a = a, .doc = th_jnew_obj(a), .dem = NULL};
    th_geo_city(m->city, &cx, buf); /* geo()'s city block, its cache included */
    return th_jobj_get_path(cx.doc, "source.geo");
}

th_jval *th_ecs_ua_name_of(const th_mapper *m, th_arena *a, th_str ua)
{
    if (!m->ua)
        return NULL;
    th_str name = th_ua_name(m->ua, a, ua);
    return name.n ? th_jnew_str(a, name) : NULL; /* final_prune drops "" */
}

static void source(mctx *c)
{
    mx_dst src = MX_DST("source");
    if (!mx_dst_get(c, &src, "address"))
        mx_put(c, &src, "address", mx_raw(c, MK_sourceIPAddress));
    th_jval *addr = mx_dst_get(c, &src, "address");
    if (!th_jis(addr, TH_JSTR) || !is_ip(addr->u.str))
        return;
    mx_put(c, &src, "ip", addr);
    geo(c, &src, addr); /* source.ip is addr */
}

/* Whether the text s[0..n) is under `limit` UTF-16 code units long, as
 * String.length() counts it. No byte counts for more than two units: below
 * half the limit in bytes, the count is not needed (it cost a loop over every
 * byte of every stringified object). */
static bool utf16_units_below(const char *s, size_t n, size_t limit)
{
    if (n < limit / 2)
        return true;
    size_t units = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch & 0xC0) != 0x80)
            units += ch >= 0xF0 ? 2 : 1;
    }
    return units < limit;
}

/* script_duplicate_rules_fields */
static void stringify(mctx *c, mx_key from, const char *to, const char *flat_to, bool keep_flat)
{
    th_jval *v = mx_raw(c, from);
    if (!v)
        return;
    th_buf b;
    th_buf_init(&b);
    th_java_tostring(&b, v, mx_keycount, NULL);
    mx_set(c, to,
           th_jnew_str(c->a, th_str_make(th_arena_strndup(c->a, b.data ? b.data : "", b.len), b.len)));
    if (keep_flat && utf16_units_below(b.data, b.len, 32766))
        mx_set(c, flat_to, v);
    th_buf_free(&b);
}

/* The parameter objects json_string turns into text, each its own block. */
static const struct {
    th_ecs_block block;
    mx_key from;
    const char *to, *flat_to;
} stringified[] = {
    {TH_MB_STRINGIFY, MK_requestParameters, "aws.cloudtrail.request_parameters",
     "aws.cloudtrail.flattened.request_parameters"},
    {TH_MB_STRINGIFY_RESPONSE, MK_responseElements, "aws.cloudtrail.response_elements",
     "aws.cloudtrail.flattened.response_elements"},
    {TH_MB_STRINGIFY_ADDITIONAL, MK_additionalEventData, "aws.cloudtrail.additional_eventdata",
     "aws.cloudtrail.flattened.additional_eventdata"},
    {TH_MB_STRINGIFY_SERVICE, MK_serviceEventDetails, "aws.cloudtrail.service_event_details",
     "aws.cloudtrail.flattened.service_event_details"},
};

static void stringify_all(mctx *c)
{
    const char *retain = c->m->retain;
    bool keep_flat = !retain || strstr(retain, "all") || strstr(retain, "flattened") ||
                     strstr(retain, "minimal");
    for (size_t i = 0; i < sizeof stringified / sizeof stringified[0]; i++)
        if (mx_runs(c, stringified[i].block))
            stringify(c, stringified[i].from, stringified[i].to, stringified[i].flat_to, keep_flat);
}

static void resources(mctx *c)
{
    th_jval *res = mx_raw(c, MK_resources);
    if (!res)
        return;
    if (!th_jis(res, TH_JARR)) {
        mx_set(c, "aws.cloudtrail.resources", res);
        return;
    }
    /* uniqueResources is a HashMap keyed "arn_account_type": its values() order */
    th_jval *keys = th_jnew(c->a, TH_JOBJ);
    for (uint32_t i = 0; i < res->len; i++) {
        th_jval *r = res->u.items[i];
        if (!th_jis(r, TH_JOBJ))
            continue;
        th_jval *o = th_jnew_obj(c->a);
        for (uint32_t k = 0; k < r->len; k++) {
            th_str key = r->u.members[k].key;
            if (th_str_eqc(key, "ARN"))
                key = TH_STR_LIT("arn");
            else if (th_str_eqc(key, "accountId"))
                key = TH_STR_LIT("account_id");
            th_jobj_set(c->a, o, key, r->u.members[k].val);
        }
        th_str part[3] = {mx_render(c, th_jobj_get(o, "arn")),
                          mx_render(c, th_jobj_get(o, "account_id")),
                          mx_render(c, th_jobj_get(o, "type"))};
        /* "arn_account_type", each part up to a NUL it may hold, as
         * "%.*s_%.*s_%.*s" wrote it (a printf per resource was a third of
         * this block) */
        size_t kn = 2;
        for (int j = 0; j < 3; j++) {
            const char *nul = part[j].n ? memchr(part[j].p, 0, part[j].n) : NULL;
            if (nul)
                part[j].n = (size_t)(nul - part[j].p);
            kn += part[j].n;
        }
        char *k = th_arena_alloc(c->a, kn), *at = k;
        for (int j = 0; j < 3; j++) {
            if (j)
                *at++ = '_';
            if (part[j].n)
                memcpy(at, part[j].p, part[j].n);
            at += part[j].n;
        }
        th_jobj_set(c->a, keys, th_str_make(k, kn), o);
    }
    uint32_t *order = th_arena_alloc(c->a, sizeof(uint32_t) * (keys->len + 1));
    if (keys->len == 1) /* one entry: no hash needed to order it */
        order[0] = 0;
    else
        th_java_hashmap_order(keys, keys->len, order);
    th_jval *out = th_jnew_arr(c->a);
    for (uint32_t i = 0; i < keys->len; i++)
        th_jarr_push(c->a, out, keys->u.members[order[i]].val);
    mx_set(c, "aws.cloudtrail.resources", out);
}

static void console_login(mctx *c)
{
    if (!th_str_eqc(th_jstr(mx_raw(c, MK_eventName)), "ConsoleLogin"))
        return;
    th_jval *aed = mx_raw(c, MK_additionalEventData);
    th_jval *mv = th_jobj_get(aed, "MobileVersion");
    th_jval *lt = th_jobj_get(aed, "LoginTo");
    th_jval *mfa = th_jobj_get(aed, "MFAUsed");
    const char *p = "aws.cloudtrail.console_login.additional_eventdata.";
    char path[128];
    if (mv) {
        snprintf(path, sizeof path, "%smobile_version", p);
        mx_set(c, th_arena_strdup(c->a, path),
               th_jnew_bool(c->a, !(th_jis(mv, TH_JSTR) && th_str_eqc(mv->u.str, "No"))));
    }
    if (lt) {
        snprintf(path, sizeof path, "%slogin_to", p);
        mx_set(c, th_arena_strdup(c->a, path), lt);
    }
    if (mfa) {
        snprintf(path, sizeof path, "%smfa_used", p);
        mx_set(c, th_arena_strdup(c->a, path),
               th_jnew_bool(c->a, !(th_jis(mfa, TH_JSTR) && th_str_eqc(mfa->u.str, "No"))));
    }
}

/* The digest file's fields. Its keys are absent from events: each test of a
 * field it may have set looks at the raw key first (a rename of an absent key
 * sets nothing), which spares events the walks of the document. */
static void digest(mctx *c)
{
    if (mx_raw(c, MK_awsAccountId) && !mx_get(c, "cloud.account.id"))
        ren(c, MK_awsAccountId, "cloud.account.id");
    if (mx_raw(c, MK_digestS3Object) && !mx_get(c, "file.path"))
        ren(c, MK_digestS3Object, "file.path");
    ren(c, MK_previousDigestS3Object, "aws.cloudtrail.digest.previous_s3_object");
    ren(c, MK_previousDigestSignature, "aws.cloudtrail.digest.previous_signature");
    ren(c, MK_previousDigestHashValue, "aws.cloudtrail.digest.previous_hash_value");
    th_jval *h = mx_raw(c, MK_previousDigestHashValue) && mx_runs(c, TH_MB_RELATED)
                     ? mx_get(c, "aws.cloudtrail.digest.previous_hash_value")
                     : NULL;
    if (h)
        mx_append_unique(c, "related.hash", mx_render(c, h));
    ren(c, MK_logFiles, "aws.cloudtrail.digest.log_files");
    date_to(c, MK_digestStartTime, "aws.cloudtrail.digest.start_time", ISO_ONLY, 1);
    date_to(c, MK_digestEndTime, "aws.cloudtrail.digest.end_time", ISO_ONLY, 1);
    th_jval *end = mx_raw(c, MK_digestEndTime) ? mx_get(c, "aws.cloudtrail.digest.end_time") : NULL;
    if (end)
        mx_set(c, "@timestamp", end);
    ren(c, MK_digestS3Bucket, "aws.cloudtrail.digest.s3_bucket");
    date_to(c, MK_newestEventTime, "aws.cloudtrail.digest.newest_event_time", ISO_ONLY, 1);
    date_to(c, MK_oldestEventTime, "aws.cloudtrail.digest.oldest_event_time", ISO_ONLY, 1);
    ren(c, MK_previousDigestS3Bucket, "aws.cloudtrail.digest.previous_s3_bucket");
    ren(c, MK_previousDigestHashAlgorithm, "aws.cloudtrail.digest.previous_hash_algorithm");
    ren(c, MK_digestPublicKeyFingerprint, "aws.cloudtrail.digest.public_key_fingerprint");
    if (mx_raw(c, MK_publicKeyFingerprint) && !mx_get(c, "aws.cloudtrail.digest.public_key_fingerprint"))
        ren(c, MK_publicKeyFingerprint, "aws.cloudtrail.digest.public_key_fingerprint");
    ren(c, MK_digestSignatureAlgorithm, "aws.cloudtrail.digest.signature_algorithm");
}

/* Whether the record has a key that digest() renames below
 * aws.cloudtrail.digest (nothing else writes there). */
static bool has_digest_keys(mctx *c)
{
    static const mx_key keys[] = {
        MK_previousDigestS3Object, MK_previousDigestSignature, MK_previousDigestHashValue,
        MK_logFiles, MK_digestStartTime, MK_digestEndTime, MK_digestS3Bucket,
        MK_newestEventTime, MK_oldestEventTime, MK_previousDigestS3Bucket,
        MK_previousDigestHashAlgorithm, MK_digestPublicKeyFingerprint, MK_publicKeyFingerprint,
        MK_digestSignatureAlgorithm};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (mx_raw(c, keys[i]))
            return true;
    return false;
}

static void set_nonempty(mctx *c, const char *to, th_jval *v)
{
    if (v && !(th_jis(v, TH_JSTR) && v->u.str.n == 0))
        mx_set(c, to, v);
}

static void tls(mctx *c)
{
    th_jval *td = mx_raw(c, MK_tlsDetails);
    th_jval *ver = th_jobj_get(td, "tlsVersion");
    if (th_jis(ver, TH_JSTR) && th_str_eqc(ver->u.str, "tlsVersion"))
        return; /* the whole tlsDetails is removed */
    if (ver) {
        th_str s = th_jis(ver, TH_JSTR) ? ver->u.str : TH_STR_NULL;
        const char *v = s.p ? memfind(s, 'v') : NULL;
        if (v) {
            size_t pl = (size_t)(v - s.p);
            char *lower = th_arena_strndup(c->a, s.p, pl);
            for (size_t i = 0; i < pl; i++)
                lower[i] = (char)tolower((unsigned char)lower[i]);
            if (pl)
                mx_set_str(c, "tls.version_protocol", th_str_make(lower, pl));
            if (s.n - pl - 1)
                mx_set_str(c, "tls.version", th_str_make(v + 1, s.n - pl - 1));
        } else {
            mx_set(c, "tls.version", ver);
        }
    }
    mx_set(c, "tls.cipher", th_jobj_get(td, "cipherSuite"));
    mx_set(c, "tls.client.server_name", th_jobj_get(td, "clientProvidedHostHeader"));
    mx_set(c, "aws.cloudtrail.tls_details.key_exchange", th_jobj_get(td, "keyExchange"));
}

static void add_host(th_jval *found, mctx *c, const th_jval *v)
{
    if (!th_jis(v, TH_JSTR) || v->u.str.n < 10 || !th_str_starts(v->u.str, "i-"))
        return;
    for (uint32_t i = 0; i < found->len; i++)
        if (th_str_eq(found->u.items[i]->u.str, v->u.str))
            return;
    th_jarr_push(c->a, found, (th_jval *)v);
}

static void add_container(th_jval *found, mctx *c, const th_jval *ctr)
{
    if (!th_jis(ctr, TH_JOBJ))
        return;
    static const char *const keys[] = {"instanceId", "target", "resourceId"};
    for (size_t i = 0; i < 3; i++)
        add_host(found, c, th_jobj_get(ctr, keys[i]));
    th_jval *ids = th_jobj_get(ctr, "instanceIds");
    if (th_jis(ids, TH_JARR))
        for (uint32_t i = 0; i < ids->len; i++)
            add_host(found, c, ids->u.items[i]);
    th_jval *items = th_jobj_get_path(ctr, "instancesSet.items");
    if (th_jis(items, TH_JARR))
        for (uint32_t i = 0; i < items->len; i++)
            if (th_jis(items->u.items[i], TH_JOBJ))
                add_host(found, c, th_jobj_get(items->u.items[i], "instanceId"));
}

static void related(mctx *c)
{
    th_jval *v;
    th_jval *name = mx_get(c, "user.name");
    if (!mx_get(c, "user.email") && th_jis(name, TH_JSTR)) {
        const char *at = memfind(name->u.str, '@');
        if (at && at > name->u.str.p)
            mx_set(c, "user.email", name);
    }
    if ((v = mx_get(c, "user.id")))
        mx_append_unique(c, "related.user", mx_render(c, v));
    if ((v = mx_get(c, "user.name")))
        mx_append_unique(c, "related.user", mx_render(c, v));
    if ((v = mx_get(c, "user.changes.name")))
        mx_append_unique(c, "related.user", mx_render(c, v));
    if ((v = mx_get(c, "aws.cloudtrail.user_identity.on_behalf_of.user_id")))
        mx_append_unique(c, "related.user", mx_render(c, v));
    th_jval *ip = mx_get(c, "source.ip");
    if (ip)
        mx_append_unique(c, "related.ip", mx_render(c, ip));
    th_jval *sip = th_jobj_get(mx_raw(c, MK_serviceEventDetails), "sourceIpAddress");
    if (th_jis(sip, TH_JSTR) && is_ip(sip->u.str))
        mx_append_unique(c, "related.ip", sip->u.str);
    th_jval *sn = mx_get(c, "tls.client.server_name");
    if (th_jis(sn, TH_JSTR) && !th_str_ends(sn->u.str, ".amazonaws.com"))
        mx_append_unique(c, "related.hosts", sn->u.str);
    th_jval *addr = mx_get(c, "source.address");
    if (!ip && th_jis(addr, TH_JSTR) && memfind(addr->u.str, '.') && !memfind(addr->u.str, ' ') &&
        !th_str_ends(addr->u.str, ".amazonaws.com"))
        mx_append_unique(c, "related.hosts", addr->u.str);
    th_jval *rp = mx_raw(c, MK_requestParameters), *re = mx_raw(c, MK_responseElements);
    th_jval *cn = th_jobj_get(rp, "computerName");
    if (cn)
        mx_append_unique(c, "related.hosts", mx_render(c, cn));
    /* script_append_related_hosts_instance_ids */
    th_jval *res = mx_get(c, "aws.cloudtrail.resources");
    if (!rp && !re && !res)
        return;
    th_jval *found = th_jnew_arr(c->a);
    if (th_jis(res, TH_JARR)) {
        for (uint32_t i = 0; i < res->len; i++) {
            th_jval *arn = th_jis(res->u.items[i], TH_JOBJ) ? th_jobj_get(res->u.items[i], "arn") : NULL;
            if (th_jis(arn, TH_JSTR) && mx_find(arn->u.str, ":instance/")) {
                const char *p = arn->u.str.p + arn->u.str.n;
                while (p > arn->u.str.p && p[-1] != '/')
                    p--;
                th_jval *id = th_jnew_str(c->a, th_str_make(p, (size_t)(arn->u.str.p + arn->u.str.n - p)));
                add_host(found, c, id);
            }
        }
    }
    add_container(found, c, rp);
    add_container(found, c, re);
    for (uint32_t i = 0; i < found->len; i++)
        mx_append_unique(c, "related.hosts", found->u.items[i]->u.str);
}

/* script_retain_minimal_flattened */
static void retain_minimal(mctx *c)
{
    th_jval *flat = mx_get(c, "aws.cloudtrail.flattened");
    if (!flat)
        return;
    static const char *const req[] = {
        "additional_eventdata.SSEApplied", "request_parameters.cidrIp",
        "request_parameters.dryRun", "request_parameters.fromPort",
        "request_parameters.includeDeprecated", "request_parameters.policyArn",
        "request_parameters.serialNumber", "request_parameters.withDecryption",
        "request_parameters.x-amz-server-side-encryption-customer-algorithm"};
    th_jval *nf = th_jnew_obj(c->a);
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
        /* $() path lookup: dotted segments; the last key may itself contain '-' */
        th_jval *v = th_jobj_get_path(flat, req[i]);
        if (v)
            th_jobj_set_path(c->a, nf, req[i], v);
    }
    static const char *const keep[] = {"digest", "insight_details"};
    for (size_t i = 0; i < 2; i++) {
        th_jval *v = th_jobj_get(flat, keep[i]);
        if (v)
            th_jobj_set(c->a, nf, th_str_c(keep[i]), v);
    }
    mx_set(c, "aws.cloudtrail.flattened", nf);
}

/* script_remove_nulls (final): null, "", empty maps and lists. On the same
 * walk, objects of the pruned record lose their mark (mx_keycount): cap is
 * their allocation size again, so that the document may be built on. */
static bool final_prune(th_jval *v);

/* final_prune of a member or item: scalars are settled here, without a call. */
static inline bool pruned_away(th_jval *v)
{
    if (v->type == TH_JOBJ || v->type == TH_JARR)
        return final_prune(v);
    return v->type == TH_JNULL || (v->type == TH_JSTR && v->u.str.n == 0);
}

static bool final_prune(th_jval *v)
{
    /* Members and items move down only from the first one removed on: most
     * objects lose none, and then nothing is written. */
    if (v->type == TH_JOBJ) {
        if (v->cap & 0x80000000u)
            v->cap = v->len; /* allocation holds at least len members */
        th_jmember *m = v->u.members;
        uint32_t n = v->len, i = 0;
        while (i < n && !pruned_away(m[i].val))
            i++;
        uint32_t out = i;
        for (i++; i < n; i++)
            if (!pruned_away(m[i].val))
                m[out++] = m[i];
        v->len = out;
        return out == 0;
    }
    if (v->type == TH_JARR) {
        th_jval **items = v->u.items;
        uint32_t n = v->len, i = 0;
        while (i < n && !pruned_away(items[i]))
            i++;
        uint32_t out = i;
        for (i++; i < n; i++)
            if (!pruned_away(items[i]))
                items[out++] = items[i];
        v->len = out;
        return out == 0;
    }
    return v->type == TH_JNULL || (v->type == TH_JSTR && v->u.str.n == 0);
}

/* final_prune for a document that th_json_write_pruned writes
 * (prune_on_write): only the root members that the mapping sets into or
 * replaces after that pass. Pruned later, by the writer, an empty event
 * would keep its place where final_prune's removal sends the event object
 * made again (event.kind, data_stream's constants, event.ingested) to the
 * end of the document, and a set replacing an empty member would keep its
 * place where it is appended after the removal. Every other empty value is
 * dropped by the writer where final_prune would have removed it. */
static void late_roots_prune(th_jval *doc)
{
    th_jmember *m = doc->u.members;
    uint32_t out = 0;
    for (uint32_t i = 0; i < doc->len; i++) {
        th_str k = m[i].key;
        bool late = th_str_eqc(k, "event") || th_str_eqc(k, "data_stream") || th_str_eqc(k, "tags");
        if (!late || !pruned_away(m[i].val))
            m[out++] = m[i];
    }
    doc->len = out;
}

static void set_time_str(mctx *c, const char *path, int64_t ms, bool seconds)
{
    char buf[32];
    time_text(ms, seconds, buf);
    mx_set(c, path, th_jnew_strcopy(c->a, th_str_c(buf)));
}

/* ---- the pipeline --------------------------------------------------------- */

/* The last eventTime each thread converted, with its results: records come
 * in time order, so runs of them share a second (3 of 4 on the bench data).
 * The result depends on the text and the ingest delay only. */
typedef struct times_memo {
    bool valid, ok;
    int64_t delay, ts, ing;
    size_t n;
    char text[48];
} times_memo;
static _Thread_local times_memo last_times;

static bool times_from(const th_mapper *m, th_str event_time, int64_t *timestamp_ms,
                       int64_t *ingested_ms);

bool th_ecs_times_from(const th_mapper *m, th_str event_time, int64_t *timestamp_ms,
                       int64_t *ingested_ms)
{
    times_memo *c = &last_times;
    int64_t delay = m->o.ingest_delay_ms;
    if (c->valid && c->n == event_time.n && c->delay == delay &&
        memcmp(c->text, event_time.p, event_time.n) == 0) {
        if (c->ok) {
            *timestamp_ms = c->ts;
            *ingested_ms = c->ing;
        }
        return c->ok;
    }
    int64_t ts = TH_TIME_NONE, ing = TH_TIME_NONE;
    bool ok = times_from(m, event_time, &ts, &ing);
    if (event_time.n <= sizeof c->text) {
        c->valid = true;
        c->ok = ok;
        c->delay = delay;
        c->ts = ts;
        c->ing = ing;
        c->n = event_time.n;
        memcpy(c->text, event_time.p, event_time.n);
    }
    if (ok) {
        *timestamp_ms = ts;
        *ingested_ms = ing;
    }
    return ok;
}

/* Two decimal digits at p, or -1. */
static int two_digits(const char *p)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return -1;
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* The instant of s when it is CloudTrail's own form, "YYYY-MM-DDTHH:MM:SSZ",
 * with a year from 1970 to 9999 and every field in range. For such a text the
 * general path (the date processor, then its output and event.ingested's
 * written and read back) gives exactly this instant, and ingested is it plus
 * the delay cut to whole seconds; anything else takes that path. */
static bool canonical_time(th_str s, int64_t *ms)
{
    static const unsigned char dim[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s.p;
    if (s.n != 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':' ||
        p[19] != 'Z')
        return false;
    int yh = two_digits(p), yl = two_digits(p + 2), mo = two_digits(p + 5), d = two_digits(p + 8),
        h = two_digits(p + 11), mi = two_digits(p + 14), sec = two_digits(p + 17);
    if (yh < 0 || yl < 0 || mo < 1 || mo > 12 || d < 1 || d > dim[mo] || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || sec < 0 || sec > 59)
        return false;
    int y = yh * 100 + yl;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || (mo == 2 && d == 29 && !leap))
        return false;
    *ms = ((th_days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 + mi) * 60000 +
          sec * 1000;
    return true;
}

/* Whether s is date_val's text of CloudTrail's own form (that text with .000
 * before the Z): then t is the own form and ms its instant, as
 * th_time_parse_iso reads s (canonical_time), without the general parser. */
static bool canonical_ms_text(th_str s, char t[20], int64_t *ms)
{
    if (s.n != 24 || memcmp(s.p + 19, ".000Z", 5) != 0)
        return false;
    memcpy(t, s.p, 19);
    t[19] = 'Z';
    return canonical_time(th_str_make(t, 20), ms);
}

static bool times_from(const th_mapper *m, th_str event_time, int64_t *timestamp_ms,
                       int64_t *ingested_ms)
{
    int64_t ms;
    /* year 10000 begins at this instant: below it, texts have four-digit years */
    const int64_t y10k = 253402300800000LL;
    int64_t delay = m->o.ingest_delay_ms;
    if (canonical_time(event_time, &ms) && (delay < 0 || (delay < y10k && ms + delay < y10k))) {
        *timestamp_ms = ms;
        *ingested_ms = delay >= 0 ? (ms + delay) / 1000 * 1000 : TH_TIME_NONE;
        return true;
    }
    if (!date_parse(event_time, ISO_ONLY, 1, &ms))
        return false;
    /* the texts th_ecs_map writes for @timestamp and event.ingested, read back */
    char buf[32];
    time_text(ms, false, buf);
    if (!th_time_parse_iso(buf, strlen(buf), timestamp_ms))
        return false;
    *ingested_ms = TH_TIME_NONE;
    if (m->o.ingest_delay_ms >= 0) {
        time_text(*timestamp_ms + m->o.ingest_delay_ms, true, buf);
        if (!th_time_parse_iso(buf, strlen(buf), ingested_ms))
            return false;
    }
    return true;
}

th_jval *th_ecs_map(const th_mapper *m, th_arena *a, const th_jval *raw, th_str raw_text)
{
    return th_ecs_map_demand(m, a, raw, raw_text, NULL);
}

/* The mapping of the record c's src or scan holds. */
static th_jval *map(mctx *c, th_str raw_text)
{
    const th_mapper *m = c->m;
    th_arena *a = c->a;
    c->atm = m->o.actor_target_mapping || has_tag(m, "actor_target_mapping");

    /* incoming document: @timestamp (as Filebeat sets it) and tags */
    th_jval *tags = th_jnew_arr(a);
    for (size_t i = 0; i < m->ntags; i++)
        th_jarr_push(a, tags, th_jnew_cstr(a, m->tags[i]));
    bool have_pre = false, have_atm = false;
    for (uint32_t i = 0; i < tags->len; i++) {
        have_pre |= th_str_eqc(tags->u.items[i]->u.str, "preserve_original_event");
        have_atm |= th_str_eqc(tags->u.items[i]->u.str, "actor_target_mapping");
    }
    if (m->o.preserve_original && !have_pre)
        th_jarr_push(a, tags, th_jnew_cstr(a, "preserve_original_event"));
    if (m->o.actor_target_mapping && !have_atm)
        th_jarr_push(a, tags, th_jnew_cstr(a, "actor_target_mapping"));

    th_jval *incoming = NULL;
    if (m->created_str)
        incoming = th_jnew_cstr(a, m->created_str);
    else if (m->o.created_ms != TH_TIME_NONE) {
        char buf[32];
        th_time_format_iso(m->o.created_ms, buf);
        incoming = th_jnew_strcopy(a, th_str_c(buf));
    }
    if (incoming) {
        mx_set(c, "@timestamp", incoming);
        mx_set(c, "event.created", incoming); /* set_event_created */
    }
    /* event.original and ecs.version: the record's bookkeeping (demand.h) */
    bool record = mx_runs(c, TH_MB_RECORD);
    if (raw_text.n && record)
        mx_set_str(c, "event.original", raw_text);

    /* json processor + drop-empty (before renames, so before stringification):
     * member by member, as the mapping reads them (mx_raw) */
    mx_index_raw(c);
    if (record)
        mx_set(c, "ecs.version", th_jnew_cstr(a, "8.11.0"));
    th_jval *et = mx_raw(c, MK_eventTime);
    th_jval *d = NULL;
    if (et) {
        d = th_jis(et, TH_JSTR) ? date_val(c, et->u.str, ISO_ONLY, 1) : NULL;
        if (d)
            mx_set(c, "@timestamp", d);
        else
            mx_fail(c, "Processor date with tag date_json_eventTime_to_timestamp failed to parse eventTime");
    }
    /* No usable eventTime: the pipeline keeps the incoming document's
     * @timestamp. A record exported with its own @timestamp (Logstash, the
     * OTRF data sets) carries that time; it stands for the incoming one. */
    th_jval *rts = d ? NULL : mx_json(c, "@timestamp");
    if (th_jis(rts, TH_JSTR) && (d = date_val(c, rts->u.str, ISO_ONLY, 1)))
        mx_set(c, "@timestamp", d);
    if (c->atm && mx_runs(c, TH_MB_ENTITY) && mx_raw(c, MK_eventName))
        th_ecs_entity(c);
    user_identity(c);
    event_source(c);
    source(c);
    th_jval *ua = mx_raw(c, MK_userAgent);
    if (ua) {
        th_str s = mx_render(c, ua);
        mx_set_str(c, "user_agent.original", s);
        if (m->ua && mx_runs(c, TH_MB_UA_PARSE))
            th_ua_apply(m->ua, c, s);
    }
    ren(c, MK_errorCode, "aws.cloudtrail.error_code");
    if (mx_runs(c, TH_MB_MINOR))
        ren(c, MK_errorMessage, "aws.cloudtrail.error_message");

    const char *retain = m->retain;
    stringify_all(c);

    if (record)
        ren(c, MK_requestID, "aws.cloudtrail.request_id");
    if (!mx_get(c, "event.id"))
        ren(c, MK_eventID, "event.id");
    if (record) {
        ren(c, MK_eventType, "aws.cloudtrail.event_type");
        ren(c, MK_apiVersion, "aws.cloudtrail.api_version");
        th_jval *me = mx_raw(c, MK_managementEvent);
        if (me)
            mx_set_str(c, "aws.cloudtrail.management_event", mx_render(c, me));
        ren(c, MK_readOnly, "aws.cloudtrail.read_only");
    }
    if (mx_runs(c, TH_MB_RESOURCES))
        resources(c);
    ren(c, MK_recipientAccountId, "aws.cloudtrail.recipient_account_id");
    th_jval *rcpt = mx_raw(c, MK_recipientAccountId); /* what the rename set, if anything */
    if (rcpt && !mx_get(c, "cloud.account.id"))
        mx_set(c, "cloud.account.id", rcpt);
    if (record) {
        ren(c, MK_sharedEventID, "aws.cloudtrail.shared_event_id");
        if (mx_raw(c, MK_sharedEventId) && !mx_get(c, "aws.cloudtrail.shared_event_id"))
            ren(c, MK_sharedEventId, "aws.cloudtrail.shared_event_id");
        ren(c, MK_vpcEndpointId, "aws.cloudtrail.vpc_endpoint_id");
        ren(c, MK_vpcEndpointAccountId, "aws.cloudtrail.vpc_endpoint_account_id");
        th_jval *add = mx_raw(c, MK_addendum);
        mx_set(c, "aws.cloudtrail.addendum.reason", th_jobj_get(add, "reason"));
        mx_set(c, "aws.cloudtrail.addendum.updated_fields", th_jobj_get(add, "updatedFields"));
        mx_set(c, "aws.cloudtrail.addendum.original_request_id", th_jobj_get(add, "originalRequestID"));
        mx_set(c, "aws.cloudtrail.addendum.original_event_id", th_jobj_get(add, "originalEventID"));
    }
    th_jval *rp_user = mx_raw_at(c, MK_requestParameters, "userName");
    th_jval *rp_new = mx_raw_at(c, MK_requestParameters, "newUserName");
    th_jval *re_user_id = mx_runs(c, TH_MB_RELATED) || mx_runs(c, TH_MB_MINOR)
                              ? mx_raw_at(c, MK_responseElements, "user.userId")
                              : NULL;
    th_jval *rel_user[] = {rp_user, rp_new, re_user_id};
    for (size_t i = 0; i < 3 && mx_runs(c, TH_MB_RELATED); i++)
        if (rel_user[i])
            mx_append_unique(c, "related.user", mx_render(c, rel_user[i]));
    if (mx_runs(c, TH_MB_CONSOLE))
        console_login(c);
    th_ecs_categorize(c);
    digest(c);
    bool minor = mx_runs(c, TH_MB_MINOR);
    if (minor) {
        set_nonempty(c, "group.id", mx_raw_at(c, MK_responseElements, "group.groupId"));
        set_nonempty(c, "user.target.id", re_user_id);
    }
    set_nonempty(c, "user.changes.name", rp_new);
    if (minor)
        set_nonempty(c, "group.name", mx_raw_at(c, MK_requestParameters, "groupName"));
    set_nonempty(c, "user.target.name", rp_user);
    th_jval *dg = has_digest_keys(c) ? mx_get(c, "aws.cloudtrail.digest") : NULL;
    if (dg) {
        mx_remove(c, "aws.cloudtrail.digest");
        mx_set(c, "aws.cloudtrail.flattened.digest", dg);
    }
    if (record)
        ren(c, MK_insightDetails, "aws.cloudtrail.flattened.insight_details");
    if (mx_runs(c, TH_MB_TLS))
        tls(c);
    if (mx_runs(c, TH_MB_RELATED))
        related(c);
    if (retain && strcmp(retain, "minimal") == 0)
        retain_minimal(c);
    if (retain && *retain && strcmp(retain, "all") && strcmp(retain, "keyword") &&
        strcmp(retain, "minimal")) {
        mx_remove(c, "aws.cloudtrail.response_elements");
        mx_remove(c, "aws.cloudtrail.request_parameters");
        mx_remove(c, "aws.cloudtrail.additional_eventdata");
        mx_remove(c, "aws.cloudtrail.service_event_details");
    }
    if (m->o.prune_on_write)
        late_roots_prune(c->doc);
    else
        final_prune(c->doc);
    mx_forget(c); /* final_prune may have removed aws.cloudtrail or a root object */
    if (c->failed) {
        mx_set(c, "event.kind", th_jnew_cstr(a, "pipeline_error"));
        bool pre = false;
        for (uint32_t i = 0; i < tags->len; i++)
            pre |= th_str_eqc(tags->u.items[i]->u.str, "preserve_original_event");
        if (!pre)
            th_jarr_push(a, tags, th_jnew_cstr(a, "preserve_original_event"));
    }
    if (tags->len)
        mx_set(c, "tags", tags);
    /* older pipelines drop event.original unless the event is tagged
     * preserve_original_event (the newest keeps it: the tag decides here) */
    bool pre = false;
    for (uint32_t i = 0; i < tags->len; i++)
        pre |= th_str_eqc(tags->u.items[i]->u.str, "preserve_original_event");
    if (!pre && record)
        mx_remove(c, "event.original");

    /* index template constants and the Fleet final pipeline */
    if (m->o.data_stream) {
        mx_dst ds = MX_DST("data_stream"), ev = MX_DST("event");
        mx_put(c, &ds, "type", th_jnew_cstr(a, "logs"));
        mx_put(c, &ds, "dataset", th_jnew_cstr(a, "aws.cloudtrail"));
        mx_put(c, &ds, "namespace", th_jnew_cstr(a, "default"));
        mx_put(c, &ev, "dataset", th_jnew_cstr(a, "aws.cloudtrail"));
        mx_put(c, &ev, "module", th_jnew_cstr(a, "aws"));
    }
    if (m->o.ingest_delay_ms >= 0) {
        th_jval *ts = mx_get(c, "@timestamp");
        int64_t ms;
        char t[20];
        bool canonical = th_jis(ts, TH_JSTR) && canonical_ms_text(ts->u.str, t, &ms);
        if (canonical && m->o.ingest_delay_ms == 0) /* the instant's text in seconds: t */
            mx_set(c, "event.ingested", th_jnew_strcopy(a, th_str_make(t, sizeof t)));
        else if (canonical || (th_jis(ts, TH_JSTR) && th_time_parse_iso(ts->u.str.p, ts->u.str.n, &ms)))
            set_time_str(c, "event.ingested", ms + m->o.ingest_delay_ms, true);
    }
    return c->doc;
}

th_jval *th_ecs_map_demand(const th_mapper *m, th_arena *a, const th_jval *raw, th_str raw_text,
                           const th_ecs_demand *demand)
{
    /* retain=minimal reads what stringify writes: no laziness then */
    mctx cx = {.m = m, .a = a, .doc = th_jnew_obj(a), .dem = m->retain ? NULL : demand};
    cx.src = th_jis(raw, TH_JOBJ) ? raw : NULL;
    return map(&cx, raw_text);
}

th_jval *th_ecs_map_scan(const th_mapper *m, th_arena *a, const th_jscan *scan, th_str raw_text,
                         const th_ecs_demand *demand)
{
    mctx cx = {.m = m, .a = a, .doc = th_jnew_obj(a), .dem = m->retain ? NULL : demand};
    cx.scan = th_jcur_type(th_jscan_root(scan)) == TH_JOBJ ? scan : NULL;
    th_jval *doc = map(&cx, raw_text);
    return cx.bad ? NULL : doc;
}
