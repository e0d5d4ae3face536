/* Names the emulator invents: ids, keys, times, error texts, user agents, the
 * world of accounts, people and resources, and actor constructors. */
#include <stdarg.h>
#include <string.h>

#include "base/timeutil.h"
#include "emulate/emu.h"
#include "emulate/rules.h"

/* emu_printf and emu_keep only choose the arena: per-event scratch or the world. */
char *emu_printf(emu_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = th_arena_vprintf(c->scratch, fmt, ap);
    va_end(ap);
    return p;
}

char *emu_keep(emu_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = th_arena_vprintf(c->world_arena, fmt, ap);
    va_end(ap);
    return p;
}

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void key_into(th_rng *r, char *out, const char *prefix)
{
    size_t p = strlen(prefix);
    memcpy(out, prefix, p);
    for (size_t i = p; i < 20; i++)
        out[i] = B32[th_rng_below(r, 32)];
    out[20] = 0;
}

const char *emu_key(emu_ctx *c, const char *prefix)
{
    char *k = th_arena_alloc(c->world_arena, 21);
    key_into(&c->rng, k, prefix);
    return k;
}

const char *emu_uuid(emu_ctx *c)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t hi = th_rng_next(&c->rng), lo = th_rng_next(&c->rng);
    hi = (hi & ~0xf000ULL) | 0x4000ULL;                        /* version 4 */
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* variant 10 */
    char *o = th_arena_alloc(c->scratch, 37);
    int k = 0;
    for (int i = 0; i < 16; i++) {
        unsigned byte = (unsigned)((i < 8 ? hi >> (56 - 8 * i) : lo >> (56 - 8 * (i - 8))) & 0xff);
        if (i == 4 || i == 6 || i == 8 || i == 10)
            o[k++] = '-';
        o[k++] = hex[byte >> 4];
        o[k++] = hex[byte & 15];
    }
    o[k] = 0;
    return o;
}

const char *emu_hex(emu_ctx *c, int n)
{
    static const char hex[] = "0123456789abcdef";
    char *o = th_arena_alloc(c->scratch, (size_t)n + 1);
    for (int i = 0; i < n; i++)
        o[i] = hex[th_rng_below(&c->rng, 16)];
    o[n] = 0;
    return o;
}

const char *emu_s3_request_id(emu_ctx *c)
{
    static const char al[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    char *o = th_arena_alloc(c->scratch, 17);
    for (int i = 0; i < 16; i++)
        o[i] = al[th_rng_below(&c->rng, 36)];
    o[16] = 0;
    return o;
}

const char *emu_base64(emu_ctx *c, const char *s)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s), k = 0;
    char *o = th_arena_alloc(c->scratch, (n + 2) / 3 * 4 + 1);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        o[k++] = al[v >> 18 & 63];
        o[k++] = al[v >> 12 & 63];
        o[k++] = i + 1 < n ? al[v >> 6 & 63] : '=';
        o[k++] = i + 2 < n ? al[v & 63] : '=';
    }
    o[k] = 0;
    return o;
}

const char *emu_pick(emu_ctx *c, const char *const *v, size_t n)
{
    return v[th_rng_below(&c->rng, n)];
}

void emu_time(int64_t ms, char out[24])
{
    int64_t rem;
    int64_t days = th_time_split_day(ms, &rem);
    int64_t y;
    unsigned m, d;
    th_civil_from_days(days, &y, &m, &d);
    unsigned s = (unsigned)(rem / 1000);
    unsigned v[6] = {(unsigned)y, m, d, s / 3600, s / 60 % 60, s % 60};
    /* fixed layout YYYY-MM-DDTHH:MM:SSZ, no printf on the hot path */
    out[0] = (char)('0' + v[0] / 1000 % 10);
    out[1] = (char)('0' + v[0] / 100 % 10);
    out[2] = (char)('0' + v[0] / 10 % 10);
    out[3] = (char)('0' + v[0] % 10);
    static const int pos[5] = {5, 8, 11, 14, 17};
    for (int i = 0; i < 5; i++) {
        out[pos[i]] = (char)('0' + v[i + 1] / 10);
        out[pos[i] + 1] = (char)('0' + v[i + 1] % 10);
    }
    out[4] = out[7] = '-';
    out[10] = 'T';
    out[13] = out[16] = ':';
    out[19] = 'Z';
    out[20] = 0;
}

const char *emu_time_str(emu_ctx *c, int64_t ms)
{
    char *o = th_arena_alloc(c->scratch, 24);
    emu_time(ms, o);
    return o;
}

const char *emu_arn(emu_ctx *c, const emu_actor *a)
{
    switch (a->type) {
    case EMU_IAMUSER: return emu_printf(c, "arn:aws:iam::%s:user/%s", a->account, a->name);
    case EMU_ASSUMED:
        return emu_printf(c, "arn:aws:sts::%s:assumed-role/%s/%s", a->account, a->role, a->name);
    case EMU_ROOT: return emu_printf(c, "arn:aws:iam::%s:root", a->account);
    case EMU_FEDERATED:
        return emu_printf(c, "arn:aws:sts::%s:federated-user/%s", a->account, a->name);
    default: return a->invoked_by;
    }
}

const char *emu_denied(emu_ctx *c, const emu_actor *who, const char *action, const char *resource)
{
    return emu_printf(c,
                      "User: %s is not authorized to perform: %s on resource: %s because no "
                      "identity-based policy allows the %s action",
                      emu_arn(c, who), action, resource, action);
}

/* ---- user agents ------------------------------------------------------- */

const char *emu_ua_cli(emu_ctx *c, const char *command)
{
    static const char *const v[] = {
        "aws-cli/2.17.60 md/awscrt#0.21.2 ua/2.0 os/macos#23.6.0 md/arch#x86_64 lang/python#3.12.6 "
        "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off",
        "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1019-aws md/arch#x86_64 "
        "lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
        "md/distrib#ubuntu.24 md/prompt#off",
        "aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off",
        "aws-cli/2.24.10 md/awscrt#0.23.8 ua/2.1 os/windows#10 md/arch#amd64 lang/python#3.12.9 "
        "md/pyimpl#CPython m/N cfg/retry-mode#standard md/installer#exe md/prompt#off",
    };
    const char *base = EMU_PICK(c, v);
    if (!command || !strstr(base, "md/prompt"))
        return base;
    return emu_printf(c, "%s md/command#%s", base, command);
}

const char *emu_ua_boto(emu_ctx *c)
{
    static const char *const v[] = {
        "Boto3/1.35.50 md/Botocore#1.35.50 ua/2.0 os/linux#6.8.0-1016-aws md/arch#x86_64 "
        "lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.50",
        "Boto3/1.34.162 md/Botocore#1.34.162 ua/2.0 os/linux#5.10.227-219.884.amzn2.x86_64 "
        "md/arch#x86_64 lang/python#3.11.10 md/pyimpl#CPython exec-env/AWS_Lambda_python3.11 "
        "cfg/retry-mode#legacy Botocore/1.34.162",
    };
    return EMU_PICK(c, v);
}

const char *emu_ua_sdk(emu_ctx *c)
{
    static const char *const v[] = {
        "aws-sdk-java/2.25.60 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/"
        "17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/"
        "legacy",
        "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2",
        "aws-sdk-js/3.637.0 ua/2.1 os/linux#5.10.225-213.878.amzn2.x86_64 lang/js "
        "md/nodejs#20.17.0 "
        "api/dynamodb#3.637.0 m/D,E",
        "aws-sdk-go/1.55.5 (go1.22.6; linux; amd64)",
    };
    return EMU_PICK(c, v);
}

const char *emu_ua_terraform(emu_ctx *c, const char *api)
{
    return emu_printf(c,
                      "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) "
                      "terraform-provider-aws/5.67.0 (+https://registry.terraform.io/providers/"
                      "hashicorp/aws) aws-sdk-go-v2/1.30.5 ua/2.1 os/linux lang/go#1.22.6 "
                      "md/GOOS#linux md/GOARCH#amd64 api/%s",
                      api);
}

const char *emu_ua_browser(emu_ctx *c)
{
    static const char *const v[] = {
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:132.0) Gecko/20100101 Firefox/132.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Safari/605.1.15",
    };
    return EMU_PICK(c, v);
}

/* ---- world -------------------------------------------------------------- */

static const char *account_id(th_rng *r, th_arena *a)
{
    char *s = th_arena_alloc(a, 13);
    s[0] = (char)('1' + th_rng_below(r, 9));
    for (int i = 1; i < 12; i++)
        s[i] = (char)('0' + th_rng_below(r, 10));
    s[12] = 0;
    return s;
}

void emu_world_init(emu_world *w, th_arena *a, uint64_t seed, int64_t start, int64_t end)
{
    th_rng r;
    th_rng_seed(&r, seed, "world");
    memset(w, 0, sizeof *w);
    w->start = start;
    w->end = end;
    w->account = account_id(&r, a);
    w->account2 = account_id(&r, a);
    w->attacker_account = account_id(&r, a);
    static const char *const orgs[] = {"acme",     "globex", "initech",
                                       "umbrella", "hooli",  "vandelay"};
    w->org = orgs[th_rng_below(&r, 6)];
    /* Public addresses; most sit in networks of MaxMind's test databases so
     * geo/AS enrichment has something to find. */
    w->office_ip[0] = th_arena_printf(a, "216.160.83.%u", (unsigned)th_rng_range(&r, 56, 61));
    w->office_ip[1] = th_arena_printf(a, "81.2.69.%u", (unsigned)th_rng_range(&r, 142, 160));
    w->office_ip[2] = th_arena_printf(a, "89.160.20.%u", (unsigned)th_rng_range(&r, 112, 128));
    w->vpn_ip = th_arena_printf(a, "2.125.160.%u", (unsigned)th_rng_range(&r, 216, 220));
    for (int i = 0; i < 3; i++) {
        w->nat_ip[i] =
            th_arena_printf(a, "%s.%u.%u.%u",
                            i == 0   ? "3"
                            : i == 1 ? "52"
                                     : "54",
                            (unsigned)th_rng_range(&r, 80, 230), (unsigned)th_rng_range(&r, 1, 254),
                            (unsigned)th_rng_range(&r, 1, 254));
        /* 20/8: Azure (AS8075 "Microsoft Corporation" in the default ASN
         * data), where GitHub's hosted runners are */
        w->ci_ip[i] = th_arena_printf(
            a, "20.%u.%u.%u", (unsigned)th_rng_range(&r, 20, 200),
            (unsigned)th_rng_range(&r, 1, 254), (unsigned)th_rng_range(&r, 1, 254));
    }
    w->attacker_ip[0] = th_arena_printf(a, "175.16.199.%u", (unsigned)th_rng_range(&r, 2, 250));
    w->attacker_ip[1] = th_arena_printf(a, "67.43.156.%u", (unsigned)th_rng_range(&r, 2, 250));
    w->attacker_ip[2] = th_arena_printf(a, "1.128.%u.%u", (unsigned)th_rng_range(&r, 0, 31),
                                        (unsigned)th_rng_range(&r, 2, 250));
    static const char *const people[] = {"alice", "bob",   "carol",  "dave",  "erin",    "frank",
                                         "grace", "heidi", "ivan",   "judy",  "mallory", "oscar",
                                         "peggy", "trent", "victor", "walter"};
    size_t first = (size_t)th_rng_below(&r, 16);
    for (int i = 0; i < 8; i++) {
        const char *p = people[(first + (size_t)i * 3) % 16];
        w->users[i] = i < 6 ? p : th_arena_printf(a, "svc-%s", i == 6 ? "deploy" : "backup");
        w->user_ip[i] = i < 6 ? w->office_ip[i % 3] : w->nat_ip[i % 3];
        char *k = th_arena_alloc(a, 21), *u = th_arena_alloc(a, 21);
        key_into(&r, k, "AKIA");
        key_into(&r, u, "AIDA");
        w->user_akia[i] = k;
        w->user_aida[i] = u;
    }
    static const char *const bk[] = {"prod-data", "backups",     "web-assets",
                                     "logs",      "ml-datasets", "customer-exports"};
    for (int i = 0; i < 6; i++)
        w->buckets[i] = th_arena_printf(a, "%s-%s-%s", w->org, bk[i], w->account + 7);
    for (int i = 0; i < 6; i++) {
        uint64_t x = th_rng_next(&r);
        w->instances[i] = th_arena_printf(a, "i-0%016llx", (unsigned long long)(x >> 4));
    }
    static const char *const fn[] = {"orders-api", "image-resize", "billing-sync", "audit-export",
                                     "notify-slack"};
    for (int i = 0; i < 5; i++)
        w->functions[i] = fn[i];
    static const char *const sec[] = {
        "prod/db/postgres",   "prod/db/replica",   "prod/api/stripe",     "prod/api/sendgrid",
        "prod/api/twilio",    "prod/oauth/github", "prod/oauth/google",   "prod/redis",
        "prod/kafka",         "prod/ldap/bind",    "staging/db/postgres", "staging/api/stripe",
        "ci/dockerhub",       "ci/npm-token",      "ci/pypi-token",       "prod/jwt-signing",
        "prod/saml-cert",     "prod/elastic",      "prod/datadog",        "prod/pagerduty",
        "prod/slack-webhook", "prod/snowflake",    "prod/mongodb",        "prod/s3-sync",
        "prod/vpn-psk",       "prod/smtp",         "prod/okta",           "prod/gcp-sa",
        "prod/azure-sp",      "prod/backup-key"};
    for (int i = 0; i < 30; i++)
        w->secrets[i] = th_arena_printf(
            a, "arn:aws:secretsmanager:us-east-1:%s:secret:%s-%c%c%c%c%c%c", w->account, sec[i],
            B32[th_rng_below(&r, 26)], B32[th_rng_below(&r, 26)] | 0x20, B32[th_rng_below(&r, 26)],
            B32[th_rng_below(&r, 26)] | 0x20, B32[th_rng_below(&r, 26)],
            B32[th_rng_below(&r, 26)] | 0x20);
    w->trail_arn = th_arena_printf(a, "arn:aws:cloudtrail:us-east-1:%s:trail/%s-org-trail",
                                   w->account, w->org);
    uint64_t d = th_rng_next(&r);
    w->detector_id = th_arena_printf(a, "%016llx%016llx", (unsigned long long)d,
                                     (unsigned long long)(d * 0x9e3779b97f4a7c15ULL));
}

/* ---- actors -------------------------------------------------------------- */

emu_actor emu_iam_user(emu_ctx *c, int user, bool session_creds)
{
    const emu_world *w = c->w;
    emu_actor a = {0};
    a.type = EMU_IAMUSER;
    a.account = w->account;
    a.name = w->users[user];
    a.uid = w->user_aida[user];
    a.access_key = session_creds ? emu_key(c, "ASIA") : w->user_akia[user];
    a.session = session_creds;
    a.source = w->user_ip[user];
    a.agent = emu_ua_cli(c, NULL);
    return a;
}

emu_actor emu_role(emu_ctx *c, const char *role, const char *session, const char *source,
                   const char *agent)
{
    emu_actor a = {0};
    a.type = EMU_ASSUMED;
    a.account = c->w->account;
    a.role = role;
    a.role_path = "";
    a.name = session;
    /* a role's unique id is stable: derive it from the name */
    th_rng r;
    th_rng_seed(&r, th_hash_bytes(c->w->account, 12), role);
    char *uid = th_arena_alloc(c->world_arena, 21);
    key_into(&r, uid, "AROA");
    a.uid = uid;
    a.access_key = emu_key(c, "ASIA");
    a.session = true;
    a.source = source;
    a.agent = agent;
    return a;
}

emu_actor emu_service(const char *service)
{
    emu_actor a = {0};
    a.type = EMU_AWSSERVICE;
    a.invoked_by = service;
    a.source = service;
    a.agent = service;
    return a;
}

emu_actor emu_root(emu_ctx *c, const char *source, const char *agent)
{
    emu_actor a = {0};
    a.type = EMU_ROOT;
    a.account = c->w->account;
    a.source = source;
    a.agent = agent;
    return a;
}

const char *emu_aws_date(emu_ctx *c, int64_t ms)
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t days = ms / 86400000, rem = ms % 86400000, y;
    unsigned m, d;
    th_civil_from_days(days, &y, &m, &d);
    unsigned s = (unsigned)(rem / 1000), h = s / 3600;
    return emu_printf(c, "%s %u, %lld, %u:%02u:%02u %s", mon[m - 1], d, (long long)y,
                      h % 12 ? h % 12 : 12, s / 60 % 60, s % 60, h < 12 ? "AM" : "PM");
}

emu_event emu_ev(const emu_actor *who, int64_t t, const char *service, const char *name, bool ro,
                 const char *params)
{
    emu_event e = {0};
    e.who = who;
    e.t = t;
    e.region = "us-east-1";
    e.service = service;
    e.name = name;
    e.read_only = ro;
    e.params = params;
    return e;
}

static bool is_ip(const char *s)
{
    return s && s[0] >= '0' && s[0] <= '9';
}

void emu_attack(emu_ctx *c, emu_event *e, const char *step, const char *rules)
{
    const emu_actor *a = e->who;
    bool ok = !e->error_code && !e->error_message;
    const char *r = rules ? rules : "";
    if (ok && is_ip(a->source) && a->access_key && !strncmp(a->access_key, "AKIA", 4) &&
        !strstr(r, R_AKIA_NEW_IP))
        r = emu_printf(c, "%s%s%s", r, *r ? "," : "", R_AKIA_NEW_IP);
    if (ok && is_ip(a->source) && a->type == EMU_IAMUSER && a->access_key &&
        !strncmp(a->access_key, "ASIA", 4) && !a->console && strcmp(a->agent, "AWS Internal") &&
        !strcmp(e->service, "iam.amazonaws.com") && !strstr(r, R_IAM_SESSION_TOKEN))
        r = emu_printf(c, "%s%s%s", r, *r ? "," : "", R_IAM_SESSION_TOKEN);
    e->step = step;
    e->malicious = true;
    e->rules = *r ? r : NULL;
    emu_emit(c, e);
}

void emu_benign(emu_ctx *c, emu_event *e, const char *step)
{
    e->step = step;
    e->malicious = false;
    e->rules = NULL;
    emu_emit(c, e);
}
