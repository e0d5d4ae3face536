/* The scenario table and the run: stories are generated up front (they are
 * small), background traffic slice by slice; each 5-minute slice is grouped
 * into one delivery object per account and region and shuffled, as CloudTrail
 * delivers it. */
#include "emulate/emulate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "emulate/emu.h"

#define SLICE_MS (5 * 60 * 1000LL)

typedef struct scenario {
    th_emu_scenario_info info;
    emu_story_fn fn; /* NULL for background */
} scenario;

static const scenario table[] = {
    {{"background", "benign", "",
      "a busy account's normal day: read-heavy API mix across services, workload and CI roles, "
      "console users, AWS services and AWS-internal calls, errors at a realistic rate "
      "(--rate events/hour); a second, development account's workloads too"},
     NULL},
    {{"iam-temp-creds", "attack", "T1078.004,T1098,T1136.003",
      "stolen ASIA session credentials of an IAM user used from an external IP: "
      "GetCallerIdentity, IAM discovery, CreateUser, CreateAccessKey, AttachUserPolicy "
      "AdministratorAccess, CreateLoginProfile, PutUserPolicy, one denied call; the owner uses "
      "the same session from the office meanwhile (one token, two addresses)"},
     emu_story_iam_temp_creds},
    {{"access-key-persistence", "attack", "T1098.001",
      "an IAM user with a long-term key creates access keys for itself and another user and "
      "uses the new key minutes later from a new address (its new-IP and high-severity alerts "
      "share that address: the alert-correlation rule)"},
     emu_story_access_keys},
    {{"log-tampering", "attack", "T1562.008,T1562.001",
      "CloudTrail and GuardDuty tampering: StopLogging, PutEventSelectors without management "
      "events, UpdateTrail, DeleteTrail, GuardDuty UpdateDetector/DeleteDetector, "
      "DisassociateFromAdministratorAccount, StopConfigurationRecorder"},
     emu_story_log_tamper},
    {{"s3-exfiltration", "attack", "T1530,T1537",
      "bucket discovery and a posture sweep over 18 buckets in 10 seconds, a public "
      "PutBucketPolicy, a burst of GetObject data events, a cross-account bucket policy, a "
      "static site's static/js file overwritten"},
     emu_story_s3_exfil},
    {{"s3-ransomware", "attack", "T1485,T1486,T1490",
      "PutBucketVersioning Suspended, DeleteBucketEncryption, CopyObject under a KMS key of "
      "another account, SSE-C re-encryption burst, DeleteObjects, a ransom note upload"},
     emu_story_s3_ransom},
    {{"ec2-userdata", "attack", "T1059.009,T1578",
      "DescribeInstanceAttribute userData, then StopInstances, ModifyInstanceAttribute "
      "userData, StartInstances on the same instance within minutes"},
     emu_story_ec2_userdata},
    {{"snapshot-share", "attack", "T1537",
      "CreateSnapshot and ModifySnapshotAttribute CREATE_VOLUME_PERMISSION add for an external "
      "account"},
     emu_story_snapshot_share},
    {{"secrets-access", "attack", "T1555.006",
      "ListSecrets and a burst of GetSecretValue over 25 secrets, SSM DescribeParameters and "
      "GetParameters WithDecryption"},
     emu_story_secrets},
    {{"lambda-backdoor", "attack", "T1546,T1098.003",
      "Lambda AddPermission for principal * and for an external account, ~1,100 Invoke calls "
      "from that account within a minute, UpdateAssumeRolePolicy trusting an external "
      "account"},
     emu_story_lambda_backdoor},
    {{"console-anomalies", "attack", "T1078.004,T1110.001",
      "root ConsoleLogin failures then success, an IAM user's own login from the office, then "
      "failed logins and a login without MFA from another country within the hour"},
     emu_story_console},
    {{"discovery-burst", "attack", "T1087.004,T1580,T1526",
      "aws-cli Describe/List/Get calls across services within seconds, GetCallerIdentity"},
     emu_story_discovery},
    {{"bedrock-abuse", "attack", "T1496.004",
      "long-term key ListFoundationModels then InvokeModel, model invocation logging deleted, "
      "an access key created for a Bedrock API key's phantom user, the API key (bearer token) "
      "deleting a guardrail, a burst of 600 InvokeModel calls"},
     emu_story_bedrock},
    {{"cryptomining", "attack", "T1496,T1610,T1580",
      "a leaked service user key: GetServiceQuota for the EC2 vCPU quota in 12 regions within "
      "30 seconds, an ECR repository policy opened to Principal *, an ECS task definition "
      "running a public xmrig image on 16 vCPUs, RunTask"},
     emu_story_cryptomining},
    {{"sagemaker-backdoor", "attack", "T1059,T1098,T1552.005",
      "a read-only analytics role creates a SageMaker notebook lifecycle configuration whose "
      "script steals IMDS credentials and opens a reverse shell, then a notebook instance "
      "passing the SageMaker admin execution role"},
     emu_story_sagemaker},
    {{"ci-token-theft", "attack", "T1528,T1078.004",
      "a week of GitHub Actions OIDC deploy runs from hosted runners, then one run's "
      "credentials used from a residential network: GetCallerIdentity, ListBuckets, "
      "ListSecrets, GetSecretValue"},
     emu_story_ci_token_theft},
    {{"eks-irsa-abuse", "attack", "T1550.001,T1087.004,T1555.006",
      "a Kubernetes service account's token exchanged by AssumeRoleWithWebIdentity, the "
      "issued key then used for recon and Secrets Manager reads"},
     emu_story_eks_irsa},
    {{"cicd-pipelines", "benign", "",
      "CI/CD: GitHub Actions OIDC role (AssumeRoleWithWebIdentity) deploying with Terraform, "
      "IAM changes via the assumed role, a legacy deploy user with an AKIA key"},
     emu_benign_cicd},
    {{"console-admins", "benign", "",
      "admins in the console (SSO and IAM users, sessionCredentialFromConsole true) doing IAM "
      "work, console logins with MFA"},
     emu_benign_console_admin},
    {{"aws-internal", "benign", "",
      "AWS-internal operations: sourceIPAddress \"AWS Internal\", services acting for users "
      "(invokedBy, sourceIPAddress a service name), AWSService AssumeRole"},
     emu_benign_aws_internal},
    {{"iam-lookalikes", "benign", "",
      "every near miss of the temporary-credential IAM rule: console sessions, AWS Internal, "
      "CloudFormation on a user's behalf, AKIA keys, assumed roles, failed calls"},
     emu_benign_iam_lookalikes},
    {{"esql-lookalikes", "benign", "",
      "near misses of the ES|QL rules, each one step short of its decisive condition: own "
      "access keys, 9-region quota checks, 15-bucket posture scans, ECR and KMS use within "
      "the account, Terraform and source-map uploads, same-country logins, in-account "
      "Lambda use under 1,000 calls an hour, benign lifecycle scripts, pods doing their job"},
     emu_benign_esql_lookalikes},
};

size_t th_emu_scenarios(const th_emu_scenario_info **out)
{
    static th_emu_scenario_info infos[sizeof table / sizeof table[0]];
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        infos[i] = table[i].info;
    *out = infos;
    return sizeof table / sizeof table[0];
}

static const scenario *find(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].info.name, name))
            return &table[i];
    return NULL;
}

const th_emu_scenario_info *th_emu_find(const char *name)
{
    const scenario *s = find(name);
    return s ? &s->info : NULL;
}

int64_t emu_story_start(emu_ctx *c)
{
    /* Between 60% and 90% into the period, and at least 4 hours before its end
     * so the longest story (console-anomalies) still fits. */
    int64_t span = c->w->end - c->w->start;
    int64_t lo = c->w->start + span * 6 / 10, hi = c->w->start + span * 9 / 10;
    if (hi > c->w->end - 4 * 3600000LL)
        hi = c->w->end - 4 * 3600000LL;
    if (lo > hi)
        lo = hi;
    return th_rng_range(&c->rng, lo, hi) / 1000 * 1000;
}

typedef struct ref {
    const char *text;
    const emu_meta *m;
} ref;

static int meta_time_cmp(const void *x, const void *y)
{
    const emu_meta *a = x, *b = y;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->off < b->off ? -1 : a->off > b->off;
}

static int ref_group_cmp(const void *x, const void *y)
{
    const ref *a = x, *b = y;
    int c = strcmp(a->m->account, b->m->account);
    if (!c)
        c = strcmp(a->m->region, b->m->region);
    if (!c)
        c = a->m->t < b->m->t ? -1 : a->m->t > b->m->t;
    if (!c)
        c = a->text < b->text ? -1 : a->text > b->text;
    if (!c)
        c = a->m->off < b->m->off ? -1 : a->m->off > b->m->off;
    return c;
}

static void coll_free(emu_coll *c)
{
    th_buf_free(&c->text);
    TH_VEC_FREE(&c->meta);
}

typedef struct run {
    const th_emu_sink *sink;
    th_rng shuffle;
    TH_VEC(ref) refs;
    TH_VEC(th_emu_record) recs;
    th_emu_stats st;
} run;

/* Delivers one slice: group by account and region, shuffle, hand to the sink. */
static int deliver(run *r, int64_t slice_end)
{
    ref *v = r->refs.items;
    size_t n = r->refs.len;
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, ref_group_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && !strcmp(v[j].m->account, v[i].m->account) &&
               !strcmp(v[j].m->region, v[i].m->region))
            j++;
        th_rng_shuffle(&r->shuffle, v + i, j - i, sizeof *v);
        r->recs.len = 0;
        TH_VEC_GROW(&r->recs, j - i);
        for (size_t k = i; k < j; k++) {
            th_emu_record rec = {v[k].m->t, v[k].text + v[k].m->off, v[k].m->len,
                                 v[k].text + v[k].m->loff, v[k].m->llen};
            r->recs.items[r->recs.len++] = rec;
            r->st.bytes += v[k].m->len + 1;
            r->st.malicious += v[k].m->malicious;
        }
        static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        char suffix[17];
        for (int k = 0; k < 16; k++)
            suffix[k] = al[th_rng_below(&r->shuffle, 62)];
        suffix[16] = 0;
        r->st.records += j - i;
        r->st.objects++;
        if (r->sink->object(r->sink->ctx, v[i].m->account, v[i].m->region, slice_end, suffix,
                            r->recs.items, r->recs.len))
            return -1;
        i = j;
    }
    return 0;
}

bool th_emu_start_ok(int64_t start_ms, int days, char *err, size_t errlen)
{
    /* CloudTrail times have four-digit years: the period, and the day of
     * delivery after it, must end before year 10000 (else they would wrap) */
    const int64_t day_ms = 86400000;
    int64_t first = th_days_from_civil(1970, 1, 1) * day_ms;
    int64_t last = th_days_from_civil(10000, 1, 1) * day_ms - (int64_t)(days + 1) * day_ms;
    if (start_ms >= first && start_ms <= last)
        return true;
    char lim[32];
    th_time_format_iso(last, lim);
    snprintf(err, errlen,
             "start out of range: with %d day%s it must lie in 1970-01-01 .. %.10s (times have "
             "four-digit years)",
             days, days == 1 ? "" : "s", lim);
    return false;
}

int th_emu_run(const th_emu_options *o, const char *const *names, size_t n, const th_emu_sink *sink,
               th_emu_stats *stats, char *err, size_t errlen)
{
    if (o->days <= 0 || o->days > 3660) {
        snprintf(err, errlen, "--days must be between 1 and 3660");
        return -1;
    }
    if (!(o->rate >= 0) || o->rate > 1e9) {
        snprintf(err, errlen, "--rate must be a number of events per hour >= 0");
        return -1;
    }
    if (!th_emu_start_ok(o->start_ms, o->days, err, errlen))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!find(names[i])) {
            snprintf(err, errlen, "unknown scenario '%s' (see --list)", names[i]);
            return -1;
        }
    int64_t start = o->start_ms / SLICE_MS * SLICE_MS, end = start + o->days * 86400000LL;
    th_arena world_arena, scratch;
    th_arena_init(&world_arena, 0);
    th_arena_init(&scratch, 0);
    emu_world w;
    emu_world_init(&w, &world_arena, o->seed, start, end);

    emu_coll stories = {0}, slice = {0};
    bool background = false;
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t k = 0; k < i; k++)
            dup |= !strcmp(names[k], names[i]);
        const scenario *s = find(names[i]);
        if (dup)
            continue;
        if (!s->fn) {
            background = true;
            continue;
        }
        emu_ctx c = {.scratch = &scratch,
                     .world_arena = &world_arena,
                     .w = &w,
                     .scenario = s->info.name,
                     .technique = s->info.technique,
                     .out = &stories};
        th_rng_seed(&c.rng, o->seed, s->info.name);
        s->fn(&c);
    }
    if (stories.meta.len)
        qsort(stories.meta.items, stories.meta.len, sizeof(emu_meta), meta_time_cmp);

    run r = {.sink = sink};
    th_rng_seed(&r.shuffle, o->seed, "delivery");
    emu_ctx bg = {.scratch = &scratch,
                  .world_arena = &world_arena,
                  .w = &w,
                  .scenario = "background",
                  .technique = "",
                  .out = &slice};
    th_rng_seed(&bg.rng, o->seed, "background");
    size_t si = 0;
    int rc = 0;
    for (int64_t t = start; t < end && rc == 0; t += SLICE_MS) {
        slice.text.len = 0;
        slice.meta.len = 0;
        if (background)
            emu_background_slice(&bg, t, t + SLICE_MS, o->rate);
        r.refs.len = 0;
        for (size_t k = 0; k < slice.meta.len; k++) {
            ref x = {slice.text.data, &slice.meta.items[k]};
            TH_VEC_PUSH(&r.refs, x);
        }
        while (si < stories.meta.len && stories.meta.items[si].t < t + SLICE_MS) {
            if (stories.meta.items[si].t >= t) {
                ref x = {stories.text.data, &stories.meta.items[si]};
                TH_VEC_PUSH(&r.refs, x);
            }
            si++;
        }
        rc = deliver(&r, t + SLICE_MS);
    }
    if (rc)
        snprintf(err, errlen, "output failed");
    if (stats)
        *stats = r.st;
    emu_background_free(&bg);
    TH_VEC_FREE(&r.refs);
    TH_VEC_FREE(&r.recs);
    coll_free(&stories);
    coll_free(&slice);
    th_arena_free(&scratch);
    th_arena_free(&world_arena);
    return rc;
}
