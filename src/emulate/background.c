/* Background: the normal traffic of a busy production account. Most calls are
 * reads by machines (workload roles, AWS Config, services assuming roles),
 * then console users, CI/CD and a few engineers on the CLI; about 3% fail
 * (AccessDenied, throttling, missing resources), as in real trails. Human
 * traffic follows office hours; machine traffic does not. */
#include <stdlib.h>
#include <string.h>

#include "emulate/emu.h"

enum cls { C_WORKLOAD, C_LAMBDA, C_CONFIG, C_SVC_ASSUME, C_INTERNAL, C_CONSOLE, C_CLI, C_CI, C_N };
static const unsigned class_weight[C_N] = {30, 12, 14, 8, 5, 14, 7, 10};

typedef struct api {
    const char *svc, *name;
    bool ro;
    int p; /* parameter shape, see params() */
} api;

enum {
    P_NULL,
    P_EC2_DESCRIBE,
    P_S3_BUCKET,
    P_S3_GET,
    P_S3_PUT,
    P_KMS,
    P_STS_ASSUME,
    P_SECRET,
    P_SSM_PARAM,
    P_LOGS,
    P_LAMBDA_FN,
    P_IAM_ROLE,
    P_IAM_USER,
    P_DDB,
    P_CW,
    P_ECR,
    P_MAXRES,
    P_CT_LOOKUP,
    P_TAGS,
};

static const api reads_common[] = {
    {"ec2.amazonaws.com", "DescribeInstances", true, P_EC2_DESCRIBE},
    {"ec2.amazonaws.com", "DescribeSecurityGroups", true, P_EC2_DESCRIBE},
    {"ec2.amazonaws.com", "DescribeVolumes", true, P_EC2_DESCRIBE},
    {"ec2.amazonaws.com", "DescribeSubnets", true, P_EC2_DESCRIBE},
    {"ec2.amazonaws.com", "DescribeVpcs", true, P_EC2_DESCRIBE},
    {"ec2.amazonaws.com", "DescribeNetworkInterfaces", true, P_EC2_DESCRIBE},
    {"s3.amazonaws.com", "GetBucketLocation", true, P_S3_BUCKET},
    {"s3.amazonaws.com", "GetBucketAcl", true, P_S3_BUCKET},
    {"s3.amazonaws.com", "GetBucketPolicy", true, P_S3_BUCKET},
    {"s3.amazonaws.com", "GetBucketVersioning", true, P_S3_BUCKET},
    {"s3.amazonaws.com", "ListBuckets", true, P_NULL},
    {"lambda.amazonaws.com", "ListFunctions20150331", true, P_MAXRES},
    {"lambda.amazonaws.com", "GetFunction20150331v2", true, P_LAMBDA_FN},
    {"iam.amazonaws.com", "GetRole", true, P_IAM_ROLE},
    {"iam.amazonaws.com", "ListRoles", true, P_MAXRES},
    {"iam.amazonaws.com", "ListAttachedRolePolicies", true, P_IAM_ROLE},
    {"iam.amazonaws.com", "GetUser", true, P_IAM_USER},
    {"rds.amazonaws.com", "DescribeDBInstances", true, P_NULL},
    {"monitoring.amazonaws.com", "DescribeAlarms", true, P_MAXRES},
    {"monitoring.amazonaws.com", "GetMetricData", true, P_CW},
    {"logs.amazonaws.com", "DescribeLogGroups", true, P_NULL},
    {"dynamodb.amazonaws.com", "DescribeTable", true, P_DDB},
    {"dynamodb.amazonaws.com", "ListTables", true, P_NULL},
    {"ecr.amazonaws.com", "DescribeRepositories", true, P_NULL},
    {"tagging.amazonaws.com", "GetResources", true, P_TAGS},
    {"cloudtrail.amazonaws.com", "LookupEvents", true, P_CT_LOOKUP},
    {"elasticloadbalancing.amazonaws.com", "DescribeLoadBalancers", true, P_NULL},
    {"sts.amazonaws.com", "GetCallerIdentity", true, P_NULL},
};

static const api workload_apis[] = {
    {"kms.amazonaws.com", "Decrypt", true, P_KMS},
    {"kms.amazonaws.com", "GenerateDataKey", true, P_KMS},
    {"s3.amazonaws.com", "GetObject", true, P_S3_GET},
    {"s3.amazonaws.com", "PutObject", false, P_S3_PUT},
    {"s3.amazonaws.com", "ListObjects", true, P_S3_BUCKET},
    {"secretsmanager.amazonaws.com", "GetSecretValue", true, P_SECRET},
    {"ssm.amazonaws.com", "GetParameter", true, P_SSM_PARAM},
    {"ssm.amazonaws.com", "GetParameters", true, P_SSM_PARAM},
    {"logs.amazonaws.com", "CreateLogStream", false, P_LOGS},
    {"sts.amazonaws.com", "AssumeRole", true, P_STS_ASSUME},
    {"ec2.amazonaws.com", "DescribeInstances", true, P_EC2_DESCRIBE},
    {"ecr.amazonaws.com", "GetAuthorizationToken", true, P_NULL},
    {"dynamodb.amazonaws.com", "DescribeTable", true, P_DDB},
    {"monitoring.amazonaws.com", "PutMetricData", false, P_CW},
};
static const unsigned workload_w[] = {22, 10, 14, 6, 4, 4, 8, 3, 5, 6, 5, 4, 5, 4};

static const api config_apis[] = {
    {"ec2.amazonaws.com", "DescribeInstances", true, P_EC2_DESCRIBE},
    {"ec2.amazonaws.com", "DescribeSecurityGroups", true, P_EC2_DESCRIBE},
    {"ec2.amazonaws.com", "DescribeNetworkInterfaces", true, P_EC2_DESCRIBE},
    {"ec2.amazonaws.com", "DescribeVolumes", true, P_EC2_DESCRIBE},
    {"s3.amazonaws.com", "GetBucketAcl", true, P_S3_BUCKET},
    {"s3.amazonaws.com", "GetBucketPolicy", true, P_S3_BUCKET},
    {"s3.amazonaws.com", "GetBucketEncryption", true, P_S3_BUCKET},
    {"iam.amazonaws.com", "GetRole", true, P_IAM_ROLE},
    {"iam.amazonaws.com", "ListAttachedRolePolicies", true, P_IAM_ROLE},
    {"lambda.amazonaws.com", "GetFunction20150331v2", true, P_LAMBDA_FN},
    {"rds.amazonaws.com", "DescribeDBInstances", true, P_NULL},
    {"config.amazonaws.com", "PutEvaluations", false, P_NULL},
};

/* ---- actors pools ---------------------------------------------------------- */

#define POOL 6
typedef struct bg_state {
    emu_actor workload[POOL], lambda[POOL], config, console[POOL], ci[2], internal;
    emu_actor cli[4];
    emu_actor dev[2];      /* workloads of the second (development) account */
    TH_VEC(int64_t) times; /* heap: freed by emu_background_free */
} bg_state;

static void refresh(emu_ctx *c, emu_actor *a, int64_t t, int64_t life)
{
    if (a->access_key && t - a->session_start < life && t >= a->session_start)
        return;
    if (a->type != EMU_IAMUSER || a->session)
        a->access_key = emu_key(c, "ASIA");
    a->session_start = t - th_rng_range(&c->rng, 0, 600) * 1000;
}

static bg_state *state(emu_ctx *c)
{
    if (c->state)
        return c->state;
    const emu_world *w = c->w;
    bg_state *s = TH_ANEW(c->world_arena, bg_state);
    static const char *const wroles[] = {"orders-service", "web-frontend",     "batch-worker",
                                         "search-indexer", "payments-service", "data-pipeline"};
    for (int i = 0; i < POOL; i++) {
        const char *inst = w->instances[i];
        s->workload[i] = emu_role(c, emu_keep(c, "%s-%s-ec2-role", w->org, wroles[i]), inst,
                                  w->nat_ip[i % 3], emu_ua_sdk(c));
        s->workload[i].agent = emu_keep(c, "%s", s->workload[i].agent);
        s->workload[i].ec2_role = true;
        const char *fn = w->functions[i % 5];
        s->lambda[i] = emu_role(c, emu_keep(c, "%s-lambda-role", fn), fn, w->nat_ip[(i + 1) % 3],
                                emu_keep(c, "%s", emu_ua_boto(c)));
        static const char *const people[] = {"alice", "bob", "carol", "dave", "erin", "frank"};
        s->console[i] =
            emu_role(c,
                     i < 2 ? emu_keep(c, "AWSReservedSSO_AdministratorAccess_%s", emu_hex(c, 16))
                           : emu_keep(c, "AWSReservedSSO_ReadOnlyAccess_%s", emu_hex(c, 16)),
                     emu_keep(c, "%s@%s.com", w->users[i] ? w->users[i] : people[i], w->org),
                     w->office_ip[i % 3], emu_keep(c, "%s", emu_ua_browser(c)));
        s->console[i].role_path = "aws-reserved/sso.amazonaws.com/";
        s->console[i].console = true;
        s->console[i].mfa = false;
    }
    s->config = emu_role(c, "AWSServiceRoleForConfig", "AWSConfig-Describe", "config.amazonaws.com",
                         "config.amazonaws.com");
    s->config.role_path = "aws-service-role/config.amazonaws.com/";
    s->config.invoked_by = "config.amazonaws.com";
    for (int i = 0; i < 2; i++) {
        s->ci[i] = emu_role(c, emu_keep(c, "%s-github-actions-%s", w->org, i ? "deploy" : "plan"),
                            "GitHubActions", w->ci_ip[i], NULL);
    }
    for (int i = 0; i < 2; i++) {
        s->dev[i] = emu_role(c, emu_keep(c, "%s-dev-%s-ec2-role", w->org, wroles[i]),
                             w->instances[i + 2], w->nat_ip[2], emu_keep(c, "%s", emu_ua_sdk(c)));
        s->dev[i].account = w->account2;
        s->dev[i].ec2_role = true;
    }
    for (int i = 0; i < 4; i++) {
        s->cli[i] = emu_iam_user(c, i, false);
        s->cli[i].agent = emu_keep(c, "%s", s->cli[i].agent);
    }
    c->state = s;
    return s;
}

/* ---- parameters ------------------------------------------------------------- */

static const char *bucket(emu_ctx *c)
{
    return c->w->buckets[th_rng_below(&c->rng, 6)];
}

static void params(emu_ctx *c, emu_event *e, int p, const emu_actor *who)
{
    const emu_world *w = c->w;
    switch (p) {
    case P_EC2_DESCRIBE:
        if (!strcmp(e->name, "DescribeInstances") && th_rng_chance(&c->rng, 0.5))
            e->params = emu_printf(c,
                                   "{\"instancesSet\":{\"items\":[{\"instanceId\":\"%s\"}]},"
                                   "\"filterSet\":{}}",
                                   w->instances[th_rng_below(&c->rng, 6)]);
        else if (!strcmp(e->name, "DescribeInstances"))
            e->params = "{\"instancesSet\":{},\"filterSet\":{}}";
        else
            e->params = "{\"maxResults\":1000,\"filterSet\":{}}";
        break;
    case P_S3_BUCKET: {
        const char *b = bucket(c);
        const char *sub = !strcmp(e->name, "GetBucketLocation")     ? "location"
                          : !strcmp(e->name, "GetBucketAcl")        ? "acl"
                          : !strcmp(e->name, "GetBucketPolicy")     ? "policy"
                          : !strcmp(e->name, "GetBucketVersioning") ? "versioning"
                          : !strcmp(e->name, "GetBucketEncryption") ? "encryption"
                                                                    : "list-type";
        e->params =
            emu_printf(c, "{\"bucketName\":\"%s\",\"Host\":\"%s.s3.%s.amazonaws.com\",\"%s\":\"\"}",
                       b, b, e->region, sub);
        e->tls_host = emu_printf(c, "%s.s3.%s.amazonaws.com", b, e->region);
        e->resources = emu_printf(c,
                                  "[{\"accountId\":\"%s\",\"type\":\"AWS::S3::Bucket\","
                                  "\"ARN\":\"arn:aws:s3:::%s\"}]",
                                  w->account, b);
        if (!strcmp(e->name, "ListObjects"))
            e->data_event = true;
        break;
    }
    case P_S3_GET:
    case P_S3_PUT: {
        const char *b = bucket(c);
        static const char *const dirs[] = {"exports", "uploads", "reports", "thumbnails", "raw"};
        const char *key = emu_printf(c, "%s/%04u/%s.%s", EMU_PICK(c, dirs),
                                     (unsigned)th_rng_below(&c->rng, 10000), emu_hex(c, 12),
                                     p == P_S3_GET ? "json" : "parquet");
        e->params = emu_printf(
            c, "{\"bucketName\":\"%s\",\"Host\":\"%s.s3.%s.amazonaws.com\",\"key\":\"%s\"}", b, b,
            e->region, key);
        e->tls_host = emu_printf(c, "%s.s3.%s.amazonaws.com", b, e->region);
        unsigned bytes = (unsigned)th_rng_range(&c->rng, 200, 5000000);
        e->extra =
            emu_printf(c,
                       "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\","
                       "\"bytesTransferredIn\":%u,\"AuthenticationMethod\":\"AuthHeader\","
                       "\"x-amz-id-2\":\"%s\",\"bytesTransferredOut\":%u}",
                       p == P_S3_PUT ? bytes : 0, emu_hex(c, 40), p == P_S3_GET ? bytes : 0);
        e->resources = emu_printf(
            c,
            "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::%s/%s\"},"
            "{\"accountId\":\"%s\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::%s\"}]",
            b, key, w->account, b);
        e->request_id = emu_s3_request_id(c);
        e->data_event = true;
        if (p == P_S3_PUT)
            e->response = "{\"x-amz-server-side-encryption\":\"AES256\"}";
        break;
    }
    case P_KMS:
        e->params = emu_printf(
            c,
            "{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"keyId\":"
            "\"arn:aws:kms:%s:%s:key/%s-%s-4%s-a%s-%s\"%s}",
            e->region, w->account, emu_hex(c, 8), emu_hex(c, 4), emu_hex(c, 3), emu_hex(c, 3),
            emu_hex(c, 12), !strcmp(e->name, "GenerateDataKey") ? ",\"keySpec\":\"AES_256\"" : "");
        e->resources = emu_printf(c,
                                  "[{\"accountId\":\"%s\",\"type\":\"AWS::KMS::Key\",\"ARN\":"
                                  "\"arn:aws:kms:%s:%s:key/%s\"}]",
                                  w->account, e->region, w->account, emu_uuid(c));
        break;
    case P_STS_ASSUME: {
        const char *role = emu_printf(
            c, "%s-%s", w->org, who->type == EMU_AWSSERVICE ? "task-role" : "cross-service-role");
        const char *sess = who->type == EMU_AWSSERVICE ? emu_hex(c, 32) : "botocore-session";
        e->params = emu_printf(c,
                               "{\"roleArn\":\"arn:aws:iam::%s:role/"
                               "%s\",\"roleSessionName\":\"%s\",\"durationSeconds\":3600}",
                               w->account, role, sess);
        e->response = emu_printf(
            c,
            "{\"credentials\":{\"accessKeyId\":\"%s\",\"sessionToken\":\"IQoJb3JpZ2luX2VjE%s\","
            "\"expiration\":\"%s\"},\"assumedRoleUser\":{\"assumedRoleId\":\"AROA%s:%s\","
            "\"arn\":\"arn:aws:sts::%s:assumed-role/%s/%s\"}}",
            emu_key(c, "ASIA"), emu_hex(c, 24), emu_aws_date(c, e->t + 3600000), emu_hex(c, 16),
            sess, w->account, role, sess);
        e->resources = emu_printf(c,
                                  "[{\"accountId\":\"%s\",\"type\":\"AWS::IAM::Role\",\"ARN\":"
                                  "\"arn:aws:iam::%s:role/%s\"}]",
                                  w->account, w->account, role);
        e->shared_id = who->type == EMU_AWSSERVICE ? emu_uuid(c) : NULL;
        break;
    }
    case P_SECRET:
        e->params = emu_printf(c, "{\"secretId\":\"%s\"}", w->secrets[th_rng_below(&c->rng, 12)]);
        break;
    case P_SSM_PARAM:
        if (!strcmp(e->name, "GetParameters"))
            e->params = emu_printf(c,
                                   "{\"names\":[\"/%s/prod/db-host\",\"/%s/prod/"
                                   "feature-flags\"],\"withDecryption\":false}",
                                   w->org, w->org);
        else
            e->params = emu_printf(c, "{\"name\":\"/%s/prod/config/%s\",\"withDecryption\":false}",
                                   w->org, emu_hex(c, 6));
        break;
    case P_LOGS:
        e->params =
            emu_printf(c, "{\"logGroupName\":\"/aws/ecs/%s\",\"logStreamName\":\"ecs/app/%s\"}",
                       w->org, emu_hex(c, 32));
        break;
    case P_LAMBDA_FN:
        e->params =
            emu_printf(c, "{\"functionName\":\"%s\"}", w->functions[th_rng_below(&c->rng, 5)]);
        break;
    case P_IAM_ROLE:
        e->params = emu_printf(c, "{\"roleName\":\"%s-%s\"}", w->org,
                               th_rng_chance(&c->rng, 0.5) ? "orders-service-ec2-role"
                                                           : "batch-worker-ec2-role");
        break;
    case P_IAM_USER:
        e->params = emu_printf(c, "{\"userName\":\"%s\"}", w->users[th_rng_below(&c->rng, 6)]);
        break;
    case P_DDB:
        e->params = emu_printf(c, "{\"tableName\":\"%s-%s\"}", w->org,
                               th_rng_chance(&c->rng, 0.5) ? "orders" : "sessions");
        break;
    case P_CW:
        e->params = "{\"namespace\":\"App/Metrics\"}";
        if (!strcmp(e->name, "GetMetricData"))
            e->params = "{\"metricDataQueries\":[{\"id\":\"m1\",\"returnData\":true}],\"scanBy\":"
                        "\"TimestampDescending\"}";
        break;
    case P_MAXRES: e->params = "{\"maxItems\":100}"; break;
    case P_CT_LOOKUP: e->params = "{\"maxResults\":50}"; break;
    case P_TAGS:
        e->params = "{\"resourcesPerPage\":100,\"resourceTypeFilters\":[\"ec2:instance\"]}";
        break;
    default: break;
    }
}

static const char *pick_region(emu_ctx *c, const char *svc)
{
    if (!strcmp(svc, "iam.amazonaws.com") || !strcmp(svc, "sts.amazonaws.com"))
        return "us-east-1";
    uint64_t x = th_rng_below(&c->rng, 100);
    return x < 80 ? "us-east-1" : x < 92 ? "us-west-2" : "eu-west-1";
}

static void maybe_fail(emu_ctx *c, emu_event *e, const api *a)
{
    uint64_t x = th_rng_below(&c->rng, 1000);
    if (x < 20) {
        bool ec2 = !strcmp(a->svc, "ec2.amazonaws.com");
        bool plain = ec2 || !strcmp(a->svc, "iam.amazonaws.com") ||
                     !strcmp(a->svc, "s3.amazonaws.com") || !strcmp(a->svc, "sts.amazonaws.com");
        e->error_code = ec2     ? "Client.UnauthorizedOperation"
                        : plain ? "AccessDenied"
                                : "AccessDeniedException";
        size_t n = strcspn(a->svc, ".");
        const char *prefix = emu_printf(c, "%.*s", (int)n, a->svc);
        if (!strcmp(prefix, "monitoring"))
            prefix = "cloudwatch";
        e->error_message =
            ec2 ? "You are not authorized to perform this operation."
                : emu_denied(c, e->who, emu_printf(c, "%s:%s", prefix, a->name), "*");
        e->response = NULL;
    } else if (x < 26) {
        e->error_code = "ThrottlingException";
        e->error_message = "Rate exceeded";
        e->response = NULL;
    } else if (x < 30 && !strcmp(a->name, "GetSecretValue")) {
        e->error_code = "ResourceNotFoundException";
        e->error_message = "Secrets Manager can't find the specified secret.";
    }
}

static double office_factor(int64_t t)
{
    int h = (int)((t / 3600000) % 24);
    int dow = (int)(((t / 86400000) + 4) % 7); /* 0 = Sunday */
    double f = (h >= 8 && h < 19) ? 1.8 : (h >= 6 && h < 22) ? 0.8 : 0.15;
    return (dow == 0 || dow == 6) ? f * 0.25 : f;
}

static void one(emu_ctx *c, bg_state *s, int64_t t)
{
    emu_event e = {0};
    e.t = t;
    size_t k = th_rng_weighted(&c->rng, class_weight, C_N);
    /* fold human classes to machine ones outside office hours */
    if ((k == C_CONSOLE || k == C_CLI || k == C_CI) &&
        th_rng_unit(&c->rng) * 1.8 > office_factor(t))
        k = C_WORKLOAD;
    const api *a;
    emu_actor *who;
    emu_actor tmp;
    switch (k) {
    case C_WORKLOAD:
    case C_LAMBDA:
        who = k == C_WORKLOAD ? &s->workload[th_rng_below(&c->rng, POOL)]
                              : &s->lambda[th_rng_below(&c->rng, POOL)];
        if (k == C_WORKLOAD && th_rng_chance(&c->rng, 0.12))
            who = &s->dev[th_rng_below(&c->rng, 2)];
        refresh(c, who, t, 6 * 3600000LL);
        a = &workload_apis[th_rng_weighted(&c->rng, workload_w,
                                           sizeof workload_w / sizeof workload_w[0])];
        break;
    case C_CONFIG:
        who = &s->config;
        refresh(c, who, t, 3600000LL);
        a = &config_apis[th_rng_below(&c->rng, sizeof config_apis / sizeof config_apis[0])];
        break;
    case C_SVC_ASSUME: {
        static const char *const svcs[] = {"lambda.amazonaws.com", "ecs-tasks.amazonaws.com",
                                           "ec2.amazonaws.com", "events.amazonaws.com",
                                           "states.amazonaws.com"};
        tmp = emu_service(EMU_PICK(c, svcs));
        who = &tmp;
        static const api assume = {"sts.amazonaws.com", "AssumeRole", true, P_STS_ASSUME};
        a = &assume;
        break;
    }
    case C_INTERNAL: {
        who = &s->console[th_rng_below(&c->rng, POOL)];
        refresh(c, who, t, 8 * 3600000LL);
        tmp = *who;
        tmp.source = "AWS Internal";
        tmp.agent = "AWS Internal";
        tmp.invoked_by = "AWS Internal";
        who = &tmp;
        a = &reads_common[th_rng_below(&c->rng, sizeof reads_common / sizeof reads_common[0] - 1)];
        break;
    }
    case C_CONSOLE:
        who = &s->console[th_rng_below(&c->rng, POOL)];
        refresh(c, who, t, 8 * 3600000LL);
        a = &reads_common[th_rng_below(&c->rng, sizeof reads_common / sizeof reads_common[0] - 1)];
        break;
    case C_CLI:
        who = &s->cli[th_rng_below(&c->rng, 4)];
        a = &reads_common[th_rng_below(&c->rng, sizeof reads_common / sizeof reads_common[0] - 1)];
        break;
    default: {
        who = &s->ci[th_rng_below(&c->rng, 2)];
        refresh(c, who, t, 3600000LL);
        a = &reads_common[th_rng_below(&c->rng, sizeof reads_common / sizeof reads_common[0])];
        size_t n = strcspn(a->svc, ".");
        tmp = *who;
        tmp.agent = emu_ua_terraform(c, emu_printf(c, "%.*s#1.177.3", (int)n, a->svc));
        who = &tmp;
        break;
    }
    }
    static const char *const steps[C_N] = {
        "workload",     "lambda",  "aws-config", "service-assume-role",
        "aws-internal", "console", "cli",        "ci"};
    e.step = steps[k];
    e.who = who;
    e.service = a->svc;
    e.name = a->name;
    e.read_only = a->ro;
    e.region = pick_region(c, a->svc);
    params(c, &e, a->p, who);
    if (k != C_CONFIG && k != C_SVC_ASSUME)
        maybe_fail(c, &e, a);
    emu_emit(c, &e);
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

void emu_background_slice(emu_ctx *c, int64_t from, int64_t to, double rate)
{
    bg_state *s = state(c);
    double mean = rate * (double)(to - from) / 3600000.0;
    /* office hours carry more traffic; the factor averages about 1 over a week */
    mean *= (0.55 + 0.45 * office_factor(from)) / 0.919;
    uint64_t n = th_rng_poisson(&c->rng, mean);
    /* times in order, so that session keys rotate forward only */
    s->times.len = 0;
    for (uint64_t i = 0; i < n; i++)
        TH_VEC_PUSH(&s->times, from + th_rng_range(&c->rng, 0, to - from - 1));
    if (n)
        qsort(s->times.items, n, sizeof(int64_t), cmp_i64);
    for (uint64_t i = 0; i < n; i++)
        one(c, s, s->times.items[i]);
}

void emu_background_free(emu_ctx *c)
{
    bg_state *s = c->state;
    if (s)
        TH_VEC_FREE(&s->times);
}
