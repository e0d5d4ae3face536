/* Benign look-alikes of the ES|QL rules' attack steps: each is the ordinary
 * activity a rule must tell apart from its attack, one step short of the
 * rule's decisive condition (the comments name it). Spread over the period on
 * working days, like the other benign scenarios. */
#include <string.h>

#include "emulate/emu.h"

#define DAY 86400000LL
#define HOUR 3600000LL

static bool weekday(int64_t day_start)
{
    int dow = (int)(((day_start / DAY) + 4) % 7);
    return dow != 0 && dow != 6;
}

static int64_t office(emu_ctx *c, int64_t day)
{
    return day + th_rng_range(&c->rng, 9 * 3600, 16 * 3600) * 1000;
}

static void ok(emu_ctx *c, emu_event *e, const char *step)
{
    emu_benign(c, e, step);
}

static void s3_params(emu_ctx *c, emu_event *e, const char *bucket, const char *key,
                      const char *extra)
{
    const emu_world *w = c->w;
    e->params = emu_printf(
        c, "{\"bucketName\":\"%s\",\"Host\":\"%s.s3.us-east-1.amazonaws.com\"%s%s%s%s}", bucket,
        bucket, key ? ",\"key\":\"" : "", key ? key : "", key ? "\"" : "", extra ? extra : "");
    e->tls_host = emu_printf(c, "%s.s3.us-east-1.amazonaws.com", bucket);
    e->request_id = emu_s3_request_id(c);
    e->resources = emu_printf(
        c, "[{\"accountId\":\"%s\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::%s\"}]",
        w->account, bucket);
}

/* An IAM user rotates their own key: CreateAccessKey naming themselves
 * (user.name == user.target.name), the new key first used the next day
 * (more than the self-created-key rule's hour later). */
static void own_key_rotation(emu_ctx *c, int64_t t)
{
    const emu_world *w = c->w;
    emu_actor u = emu_iam_user(c, 1, false);
    u.agent = emu_keep(c, "%s", emu_ua_cli(c, "iam.create-access-key"));
    const char *nk = emu_key(c, "AKIA");
    emu_event e = emu_ev(&u, t, "iam.amazonaws.com", "CreateAccessKey", false,
                         emu_printf(c, "{\"userName\":\"%s\"}", u.name));
    e.response = emu_printf(
        c,
        "{\"accessKey\":{\"userName\":\"%s\",\"accessKeyId\":\"%s\",\"status\":\"Active\","
        "\"createDate\":\"%s\"}}",
        u.name, nk, emu_aws_date(c, t));
    ok(c, &e, "own-key-rotation");
    emu_actor n = u;
    n.access_key = nk;
    n.agent = emu_keep(c, "%s", emu_ua_cli(c, "sts.get-caller-identity"));
    e = emu_ev(&n, t + DAY + th_rng_range(&c->rng, 0, 3600) * 1000, "sts.amazonaws.com",
               "GetCallerIdentity", true, NULL);
    ok(c, &e, "own-key-first-use-next-day");
    e = emu_ev(&n, e.t + 60000, "iam.amazonaws.com", "UpdateAccessKey", false,
               emu_printf(c, "{\"userName\":\"%s\",\"accessKeyId\":\"%s\",\"status\":\"Inactive\"}",
                          u.name, w->user_akia[1]));
    ok(c, &e, "own-key-rotation");
}

/* Capacity planning: the vCPU quota in 9 regions (the rule wants 10). */
static void quota_check(emu_ctx *c, int64_t t)
{
    const emu_world *w = c->w;
    emu_actor a = emu_role(c, emu_keep(c, "%s-capacity-planner", w->org), "capacity-report",
                           w->nat_ip[1], NULL);
    a.agent = emu_keep(c, "%s", emu_ua_boto(c));
    a.session_start = t - 60000;
    emu_quota_sweep(c, &a, t / 30000 * 30000, 9, false, "capacity-quota-check");
}

/* A posture scanner reading ACL, public-access block and versioning of 15
 * buckets within 10 seconds (the rule wants more than 15). */
static void posture_scan(emu_ctx *c, int64_t t)
{
    const emu_world *w = c->w;
    emu_actor a =
        emu_role(c, emu_keep(c, "%s-security-audit", w->org), "prowler-scan", w->nat_ip[2], NULL);
    a.agent = emu_keep(c, "%s", emu_ua_boto(c));
    a.session_start = t - 120000;
    static const char *const acts[][2] = {
        {"GetBucketAcl", ",\"acl\":\"\""},
        {"GetBucketPublicAccessBlock", ",\"publicAccessBlock\":\"\""},
        {"GetBucketVersioning", ",\"versioning\":\"\""}};
    int64_t base = t / 10000 * 10000 + 200;
    for (int i = 0; i < 15; i++) {
        const char *b =
            i < 6 ? w->buckets[i] : emu_keep(c, "%s-app-%02d-%s", w->org, i, w->account + 7);
        for (int k = 0; k < 3; k++) {
            emu_event e =
                emu_ev(&a, base + (i * 3 + k) * 180, "s3.amazonaws.com", acts[k][0], true, NULL);
            s3_params(c, &e, b, NULL, acts[k][1]);
            ok(c, &e, "posture-scan-15-buckets");
        }
    }
}

/* Sharing a repository with the development account: Effect Allow, but the
 * principal is one account, not "*". */
static void ecr_share(emu_ctx *c, int64_t t)
{
    const emu_world *w = c->w;
    emu_actor a = emu_iam_user(c, 2, false);
    a.agent = emu_keep(c, "%s", emu_ua_cli(c, "ecr.set-repository-policy"));
    const char *repo = emu_keep(c, "%s/orders-api", w->org);
    emu_event e =
        emu_ev(&a, t, "ecr.amazonaws.com", "SetRepositoryPolicy", false,
               emu_printf(c,
                          "{\"repositoryName\":\"%s\",\"policyText\":\"{\\\"Version\\\": "
                          "\\\"2012-10-17\\\", \\\"Statement\\\": [{\\\"Sid\\\": "
                          "\\\"dev-pull\\\", \\\"Effect\\\": \\\"Allow\\\", "
                          "\\\"Principal\\\": {\\\"AWS\\\": \\\"arn:aws:iam::%s:root\\\"},"
                          " \\\"Action\\\": [\\\"ecr:GetDownloadUrlForLayer\\\", "
                          "\\\"ecr:BatchGetImage\\\"]}]}\"}",
                          repo, w->account2));
    e.response =
        emu_printf(c, "{\"registryId\":\"%s\",\"repositoryName\":\"%s\"}", w->account, repo);
    ok(c, &e, "ecr-share-with-dev-account");
}

/* ECS deployments: a big ML batch task from the account's own ECR (16 vCPUs,
 * but not a public registry image) and nginx from Docker Hub on half a vCPU;
 * both run. No registration matches image and cpu at once. */
static void ecs_deploys(emu_ctx *c, int64_t t)
{
    const emu_world *w = c->w;
    emu_actor a =
        emu_role(c, emu_keep(c, "%s-ecs-deployer", w->org), "GitHubActions", w->ci_ip[1], NULL);
    a.session_start = t - 30000;
    static const char *const defs[][4] = {
        {"feature-batch", ".dkr.ecr.us-east-1.amazonaws.com/ml/feature-batch:2024.10.3", "16384",
         "65536"},
        {"edge-proxy", "docker.io/library/nginx:1.27-alpine", "512", "1024"}};
    for (int i = 0; i < 2; i++) {
        a.agent = emu_ua_terraform(c, "ecs#1.45.2");
        const char *image = i == 0 ? emu_printf(c, "%s%s", w->account, defs[i][1]) : defs[i][1];
        emu_event e = emu_ev(&a, t, "ecs.amazonaws.com", "RegisterTaskDefinition", false,
                             emu_printf(c,
                                        "{\"family\":\"%s\",\"networkMode\":\"awsvpc\","
                                        "\"containerDefinitions\":[{\"name\":\"%s\",\"image\":"
                                        "\"%s\",\"cpu\":0,\"essential\":true}],"
                                        "\"requiresCompatibilities\":[\"FARGATE\"],\"cpu\":\"%s\","
                                        "\"memory\":\"%s\"}",
                                        defs[i][0], defs[i][0], image, defs[i][2], defs[i][3]));
        ok(c, &e, "ecs-register-task-definition");
        t += th_rng_range(&c->rng, 5, 30) * 1000;
        e = emu_ev(&a, t, "ecs.amazonaws.com", "RunTask", false,
                   emu_printf(c,
                              "{\"cluster\":\"%s-prod\",\"count\":1,\"launchType\":\"FARGATE\","
                              "\"taskDefinition\":\"%s\"}",
                              w->org, defs[i][0]));
        ok(c, &e, "ecs-run-task");
        t += th_rng_range(&c->rng, 5, 30) * 1000;
    }
}

/* Web deploys: Terraform uploads static/js/app.js (client excluded by the
 * rule) and an error tracker uploads a source map (static/js/...js.map: the
 * LIKE matches, ends_with(".js") does not). */
static void static_site_deploy(emu_ctx *c, int64_t t)
{
    const emu_world *w = c->w;
    emu_actor a =
        emu_role(c, emu_keep(c, "%s-web-deploy", w->org), "GitHubActions", w->ci_ip[2], NULL);
    a.session_start = t - 60000;
    const char *h = emu_keep(c, "%s", emu_hex(c, 8));
    static const char *const files[] = {"", ".map"};
    for (int i = 0; i < 2; i++) {
        a.agent = i == 0 ? emu_ua_terraform(c, "s3#1.58.2")
                         : "sentry-cli/2.36.1 aws-sdk-js/3.637.0 ua/2.1 os/linux lang/js";
        emu_event e = emu_ev(&a, t, "s3.amazonaws.com", "PutObject", false, NULL);
        s3_params(c, &e, w->buckets[2], emu_printf(c, "static/js/app.%s.js%s", h, files[i]), NULL);
        e.data_event = true;
        ok(c, &e, "static-site-deploy");
        t += th_rng_range(&c->rng, 2, 20) * 1000;
    }
}

/* Re-encryption under the account's own KMS key (the key's account is the
 * bucket's account). */
static void own_kms_copy(emu_ctx *c, int64_t t)
{
    const emu_world *w = c->w;
    emu_actor a =
        emu_role(c, emu_keep(c, "%s-data-lifecycle", w->org), "reencrypt-job", w->nat_ip[0], NULL);
    a.agent = emu_keep(c, "%s", emu_ua_boto(c));
    a.session_start = t - 60000;
    const char *b = w->buckets[4];
    const char *kms = emu_keep(c, "arn:aws:kms:us-east-1:%s:key/%s", w->account, emu_uuid(c));
    for (int i = 0; i < 3; i++) {
        const char *key = emu_printf(c, "datasets/2024/shard-%03d.parquet", i);
        emu_event e = emu_ev(&a, t, "s3.amazonaws.com", "CopyObject", false, NULL);
        s3_params(c, &e, b, key, NULL);
        e.params = emu_printf(c,
                              "{\"bucketName\":\"%s\",\"x-amz-server-side-encryption-aws-kms-key-"
                              "id\":\"%s\",\"Host\":\"%s.s3.us-east-1.amazonaws.com\","
                              "\"x-amz-server-side-encryption\":\"aws:kms\",\"x-amz-copy-source\":"
                              "\"%s/%s\",\"key\":\"%s\"}",
                              b, kms, b, b, key, key);
        e.data_event = true;
        ok(c, &e, "reencrypt-own-kms-key");
        t += th_rng_range(&c->rng, 200, 2000);
    }
}

/* An application role invoking the account's own functions, 400 times over an
 * hour (the flood rule wants 1,000; caller and function in one account). */
static void lambda_app(emu_ctx *c, int64_t t)
{
    const emu_world *w = c->w;
    emu_actor a = emu_role(c, emu_keep(c, "%s-orders-service-ec2-role", w->org), w->instances[0],
                           w->nat_ip[0], NULL);
    a.agent = emu_keep(c, "%s", emu_ua_sdk(c));
    a.ec2_role = true;
    a.session_start = t - 1800000;
    for (int i = 0; i < 400; i++) {
        const char *fn = w->functions[i % 5];
        const char *arn = emu_printf(c, "arn:aws:lambda:us-east-1:%s:function:%s", w->account, fn);
        emu_event e = emu_ev(&a, t + (int64_t)i * 9000 + th_rng_range(&c->rng, 0, 8000),
                             "lambda.amazonaws.com", "Invoke", false,
                             emu_printf(c,
                                        "{\"functionName\":\"%s\",\"invocationType\":"
                                        "\"RequestResponse\",\"logType\":\"None\"}",
                                        arn));
        e.data_event = true;
        e.resources = emu_printf(
            c, "[{\"accountId\":\"%s\",\"type\":\"AWS::Lambda::Function\",\"ARN\":\"%s\"}]",
            w->account, arn);
        ok(c, &e, "in-account-invoke");
    }
}

static void console_login(emu_ctx *c, emu_actor *u, int64_t t)
{
    emu_event e = emu_ev(u, t, "signin.amazonaws.com", "ConsoleLogin", false, NULL);
    e.event_type = "AwsConsoleSignIn";
    e.response = "{\"ConsoleLogin\":\"Success\"}";
    e.extra = "{\"LoginTo\":\"https://console.aws.amazon.com/console/home?state=hashArgs%23"
              "&isauthcode=true\",\"MobileVersion\":\"No\",\"MFAUsed\":\"Yes\"}";
    ok(c, &e, "login-office-then-vpn");
}

/* Two sign-ins of one user within the hour from two addresses of one country
 * (office and VPN egress, both GB): one distinct country. */
static void office_and_vpn(emu_ctx *c, int64_t t)
{
    const emu_world *w = c->w;
    emu_actor u = emu_iam_user(c, 1, false);
    u.access_key = NULL;
    u.agent = emu_keep(c, "%s", emu_ua_browser(c));
    console_login(c, &u, t);
    u.source = w->vpn_ip;
    console_login(c, &u, t + th_rng_range(&c->rng, 900, 2700) * 1000);
}

static const char *const setup_script =
    "#!/bin/bash\n"
    "set -e\n"
    "sudo -u ec2-user -i <<'EOF'\n"
    "source /home/ec2-user/anaconda3/bin/activate python3\n"
    "pip install --quiet --upgrade pandas==2.2.2 scikit-learn==1.5.1\n"
    "conda deactivate\n"
    "EOF\n"
    "echo 'idle_timeout=3600' > /home/ec2-user/.idle-shutdown.conf\n";

/* The data science team: a lifecycle script that installs packages, and
 * training jobs every working day passing their usual execution role (a
 * principal/role pair seen from the first day on). */
static void sagemaker_team(emu_ctx *c, int64_t t, bool with_config)
{
    const emu_world *w = c->w;
    emu_actor a =
        emu_role(c, emu_keep(c, "%s-data-science", w->org), "airflow", w->nat_ip[1], NULL);
    a.agent = emu_keep(c, "%s", emu_ua_boto(c));
    a.session_start = t - 60000;
    if (with_config) {
        const char *b64 = emu_base64(c, setup_script);
        emu_event e =
            emu_ev(&a, t, "sagemaker.amazonaws.com", "CreateNotebookInstanceLifecycleConfig", false,
                   emu_printf(c,
                              "{\"notebookInstanceLifecycleConfigName\":\"ds-conda-"
                              "setup\",\"onStart\":[{\"content\":\"%s\"}]}",
                              b64));
        ok(c, &e, "lifecycle-config-packages");
        t += 60000;
    }
    const char *job = emu_printf(c, "churn-model-%lld", (long long)(t / 1000));
    emu_event e = emu_ev(&a, t, "sagemaker.amazonaws.com", "CreateTrainingJob", false,
                         emu_printf(c,
                                    "{\"trainingJobName\":\"%s\",\"roleArn\":\"arn:aws:iam::%s:"
                                    "role/%s-sagemaker-training\",\"resourceConfig\":"
                                    "{\"instanceType\":\"ml.m5.xlarge\",\"instanceCount\":1,"
                                    "\"volumeSizeInGB\":30}}",
                                    job, w->account, w->org));
    ok(c, &e, "daily-training-job");
}

/* A pod doing its job: the web identity exchange, a GetCallerIdentity, then
 * object reads and writes (two distinct actions in the rule's list). */
static void pod_at_work(emu_ctx *c, int64_t t)
{
    const emu_world *w = c->w;
    const char *role = emu_keep(c, "%s-orders-api-irsa", w->org);
    const char *key =
        emu_irsa_assume(c, t, "system:serviceaccount:orders:orders-api", role, w->nat_ip[0], false);
    emu_actor a = emu_role(c, role, emu_keep(c, "botocore-session-%lld", (long long)(t / 1000)),
                           w->nat_ip[0], NULL);
    a.access_key = key;
    a.session_start = t;
    a.agent = emu_keep(c, "%s", emu_ua_boto(c));
    t += 800;
    emu_event e = emu_ev(&a, t, "sts.amazonaws.com", "GetCallerIdentity", true, NULL);
    ok(c, &e, "pod-at-work");
    for (int i = 0; i < 6; i++) {
        t += th_rng_range(&c->rng, 1, 30) * 1000;
        e = emu_ev(&a, t, "s3.amazonaws.com", i % 2 ? "PutObject" : "GetObject", i % 2 == 0, NULL);
        s3_params(c, &e, w->buckets[0], emu_printf(c, "orders/2024/%06d.json", i), NULL);
        e.data_event = true;
        ok(c, &e, "pod-at-work");
    }
}

/* One long-term key from two addresses of the same office network (one city),
 * on two clients: the multiple-addresses rule's "low" class at most. */
static void two_office_addresses(emu_ctx *c, int64_t t)
{
    emu_actor u = emu_iam_user(c, 0, false);
    u.agent = emu_keep(c, "%s", emu_ua_cli(c, NULL));
    emu_event e = emu_ev(&u, t, "ec2.amazonaws.com", "DescribeInstances", true, NULL);
    ok(c, &e, "key-two-office-addresses");
    emu_actor v = u;
    v.source = "216.160.83.62";
    v.agent = emu_keep(c, "%s", emu_ua_boto(c));
    e = emu_ev(&v, t + th_rng_range(&c->rng, 60, 600) * 1000, "s3.amazonaws.com", "ListBuckets",
               true, NULL);
    e.tls_host = "s3.amazonaws.com";
    ok(c, &e, "key-two-office-addresses");
}

/* Five distinct Describe calls from the CLI within 10 seconds (the rule wants
 * more than five). */
static void cli_five_calls(emu_ctx *c, int64_t t)
{
    emu_actor u = emu_iam_user(c, 3, false);
    static const char *const calls[][3] = {
        {"ec2.amazonaws.com", "DescribeInstances", "ec2.describe-instances"},
        {"ec2.amazonaws.com", "DescribeVolumes", "ec2.describe-volumes"},
        {"ec2.amazonaws.com", "DescribeSecurityGroups", "ec2.describe-security-groups"},
        {"rds.amazonaws.com", "DescribeDBInstances", "rds.describe-db-instances"},
        {"ec2.amazonaws.com", "DescribeInstances", "ec2.describe-instances"},
        {"lambda.amazonaws.com", "ListFunctions20150331", "lambda.list-functions"}};
    int64_t base = t / 10000 * 10000 + 500;
    for (int i = 0; i < 6; i++) {
        u.agent = emu_ua_cli(c, calls[i][2]);
        emu_event e = emu_ev(&u, base + i * 1500, calls[i][0], calls[i][1], true, NULL);
        ok(c, &e, "cli-five-distinct-calls");
    }
}

/* Patching: stop, change the instance type, start (no user data change: two
 * distinct actions of the three). */
static void resize_instance(emu_ctx *c, int64_t t)
{
    const emu_world *w = c->w;
    emu_actor u = emu_iam_user(c, 2, false);
    const char *i = w->instances[1];
    int64_t base = t / 300000 * 300000 + 5000;
    u.agent = emu_keep(c, "%s", emu_ua_boto(c)); /* one patching script: one client */
    emu_event e = emu_ev(
        &u, base, "ec2.amazonaws.com", "StopInstances", false,
        emu_printf(c, "{\"instancesSet\":{\"items\":[{\"instanceId\":\"%s\"}]},\"force\":false}",
                   i));
    ok(c, &e, "resize-instance");
    e = emu_ev(
        &u, base + 90000, "ec2.amazonaws.com", "ModifyInstanceAttribute", false,
        emu_printf(c, "{\"instanceId\":\"%s\",\"instanceType\":{\"value\":\"m6i.xlarge\"}}", i));
    ok(c, &e, "resize-instance");
    e = emu_ev(&u, base + 150000, "ec2.amazonaws.com", "StartInstances", false,
               emu_printf(c, "{\"instancesSet\":{\"items\":[{\"instanceId\":\"%s\"}]}}", i));
    ok(c, &e, "resize-instance");
}

/* Bedrock: an app's 450 invocations of one model in an hour (the probing rule
 * wants 500), an API key invoking a model (bearer token, not a destructive
 * action), and the console creating an API key: its phantom user gets a
 * service-specific credential, not an access key. */
static void bedrock_app(emu_ctx *c, int64_t t)
{
    const emu_world *w = c->w;
    emu_actor a = emu_role(c, emu_keep(c, "%s-support-assistant", w->org), w->instances[3],
                           w->nat_ip[2], NULL);
    a.agent = emu_keep(c, "%s", emu_ua_boto(c));
    a.ec2_role = true;
    a.session_start = t - 600000;
    for (int i = 0; i < 450; i++) {
        emu_event e = emu_ev(&a, t + (int64_t)i * 7000 + th_rng_range(&c->rng, 0, 6000),
                             "bedrock.amazonaws.com", "InvokeModel", true,
                             "{\"modelId\":\"anthropic.claude-3-haiku-20240307-v1:0\"}");
        ok(c, &e, "app-inference");
    }
    const char *phantom = emu_keep(c, "BedrockAPIKey-%s", emu_hex(c, 4));
    emu_actor adm = emu_role(c, "AWSReservedSSO_AdministratorAccess_4f2c9a0b7d1e3c5a",
                             emu_keep(c, "%s@%s.com", w->users[0], w->org), w->office_ip[0],
                             emu_keep(c, "%s", emu_ua_browser(c)));
    adm.role_path = "aws-reserved/sso.amazonaws.com/";
    adm.console = true;
    adm.session_start = t - 300000;
    int64_t u = t + 3600000;
    emu_event e = emu_ev(&adm, u, "iam.amazonaws.com", "CreateUser", false,
                         emu_printf(c, "{\"userName\":\"%s\"}", phantom));
    ok(c, &e, "bedrock-api-key-created");
    e = emu_ev(&adm, u + 1000, "iam.amazonaws.com", "AttachUserPolicy", false,
               emu_printf(c,
                          "{\"userName\":\"%s\",\"policyArn\":\"arn:aws:iam::aws:policy/"
                          "AmazonBedrockLimitedAccess\"}",
                          phantom));
    ok(c, &e, "bedrock-api-key-created");
    e = emu_ev(&adm, u + 2000, "iam.amazonaws.com", "CreateServiceSpecificCredential", false,
               emu_printf(c,
                          "{\"userName\":\"%s\",\"serviceName\":\"bedrock.amazonaws.com\","
                          "\"credentialAgeDays\":30}",
                          phantom));
    ok(c, &e, "bedrock-api-key-created");
    emu_actor k = {0};
    k.type = EMU_IAMUSER;
    k.account = w->account;
    k.name = phantom;
    k.uid = emu_key(c, "AIDA");
    k.source = w->nat_ip[2];
    k.agent = "python-requests/2.32.3";
    e = emu_ev(&k, u + 600000, "bedrock.amazonaws.com", "InvokeModel", true,
               "{\"modelId\":\"anthropic.claude-3-haiku-20240307-v1:0\"}");
    e.extra = "{\"callWithBearerToken\":true}";
    ok(c, &e, "bedrock-api-key-invoke");
}

void emu_benign_esql_lookalikes(emu_ctx *c)
{
    const emu_world *w = c->w;
    int nday = 0;
    for (int64_t day = w->start; day < w->end; day += DAY) {
        if (!weekday(day))
            continue;
        /* every working day */
        quota_check(c, office(c, day));
        posture_scan(c, office(c, day));
        sagemaker_team(c, office(c, day), nday == 0);
        pod_at_work(c, office(c, day));
        emu_gha_run(c, office(c, day), w->ci_ip[nday % 3], 6);
        /* once a week, in turn */
        switch (nday % 5) {
        case 0:
            ecs_deploys(c, office(c, day));
            static_site_deploy(c, office(c, day));
            break;
        case 1:
            office_and_vpn(c, office(c, day));
            two_office_addresses(c, office(c, day));
            break;
        case 2:
            cli_five_calls(c, office(c, day));
            resize_instance(c, office(c, day));
            break;
        case 3:
            ecr_share(c, office(c, day));
            own_kms_copy(c, office(c, day));
            break;
        default: break;
        }
        if (nday == 4)
            own_key_rotation(c, office(c, day));
        if (nday == 6)
            lambda_app(c, day + 10 * HOUR);
        if (nday == 7)
            bedrock_app(c, day + 10 * HOUR);
        nday++;
    }
}
