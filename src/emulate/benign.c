/* Benign look-alikes: activity that shares features with the attack stories
 * and must not be mistaken for them. Spread over the whole period, on working
 * days, so that rules with history windows see it as normal. */
#include <string.h>

#include "emulate/emu.h"

#define DAY 86400000LL

static bool weekday(int64_t day_start)
{
    int dow = (int)(((day_start / DAY) + 4) % 7);
    return dow != 0 && dow != 6;
}

/* A time during office hours of the given day. */
static int64_t office(emu_ctx *c, int64_t day)
{
    return day + th_rng_range(&c->rng, 8 * 3600, 18 * 3600) * 1000;
}

static void iam(emu_ctx *c, emu_actor *a, int64_t t, const char *name, bool ro, const char *params,
                const char *step)
{
    emu_event e = emu_ev(a, t, "iam.amazonaws.com", name, ro, params);
    emu_benign(c, &e, step);
}

void emu_benign_cicd(emu_ctx *c)
{
    const emu_world *w = c->w;
    const char *provider = emu_keep(
        c, "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com", w->account);
    const char *sub = emu_keep(c, "repo:%s/infrastructure:ref:refs/heads/main", w->org);
    const char *role = emu_keep(c, "%s-github-actions-deploy", w->org);
    for (int64_t day = w->start; day < w->end; day += DAY) {
        if (!weekday(day))
            continue;
        int runs = (int)th_rng_range(&c->rng, 1, 4);
        for (int r = 0; r < runs; r++) {
            int64_t t = office(c, day);
            emu_actor gh = {0};
            gh.type = EMU_WEBIDENTITY;
            gh.account = w->account;
            gh.name = sub;
            gh.role = provider;
            gh.source = w->ci_ip[r % 3];
            gh.agent =
                "aws-sdk-js/3.654.0 ua/2.1 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.17.0 "
                "api/sts#3.654.0 configure-aws-credentials-for-github-actions";
            emu_event e =
                emu_ev(&gh, t, "sts.amazonaws.com", "AssumeRoleWithWebIdentity", true,
                       emu_printf(c,
                                  "{\"roleArn\":\"arn:aws:iam::%s:role/%s\",\"roleSessionName\":"
                                  "\"GitHubActions\",\"durationSeconds\":3600}",
                                  w->account, role));
            const char *key = emu_key(c, "ASIA");
            e.response = emu_printf(
                c,
                "{\"credentials\":{\"accessKeyId\":\"%s\",\"sessionToken\":\"IQoJb3JpZ2luX2VjE%s\","
                "\"expiration\":\"%s\"},\"subjectFromWebIdentityToken\":\"%s\",\"assumedRoleUser\":"
                "{\"assumedRoleId\":\"AROA:GitHubActions\",\"arn\":\"arn:aws:sts::%s:assumed-role/"
                "%s/GitHubActions\"},"
                "\"provider\":\"%s\",\"audience\":\"sts.amazonaws.com\"}",
                key, emu_hex(c, 24), emu_aws_date(c, t + 3600000), sub, w->account, role, provider);
            emu_benign(c, &e, "oidc-assume-role");
            emu_actor a = emu_role(c, role, "GitHubActions", gh.source, NULL);
            a.access_key = key;
            a.session_start = t;
            static const char *const tf[][3] = {
                {"sts.amazonaws.com", "GetCallerIdentity", "sts#1.30.5"},
                {"iam.amazonaws.com", "GetRole", "iam#1.34.3"},
                {"iam.amazonaws.com", "ListRolePolicies", "iam#1.34.3"},
                {"iam.amazonaws.com", "ListAttachedRolePolicies", "iam#1.34.3"},
                {"iam.amazonaws.com", "GetPolicyVersion", "iam#1.34.3"},
                {"ec2.amazonaws.com", "DescribeSecurityGroups", "ec2#1.177.3"},
                {"lambda.amazonaws.com", "GetFunction20150331v2", "lambda#1.58.3"},
                {"iam.amazonaws.com", "CreatePolicyVersion", "iam#1.34.3"},
                {"iam.amazonaws.com", "AttachRolePolicy", "iam#1.34.3"},
                {"lambda.amazonaws.com", "UpdateFunctionCode20150331v2", "lambda#1.58.3"},
            };
            for (size_t i = 0; i < sizeof tf / sizeof tf[0]; i++) {
                t += th_rng_range(&c->rng, 1, 8) * 1000;
                a.agent = emu_ua_terraform(c, tf[i][2]);
                bool ro = strncmp(tf[i][1], "Create", 6) && strncmp(tf[i][1], "Attach", 6) &&
                          strncmp(tf[i][1], "Update", 6);
                const char *p = NULL;
                if (!strcmp(tf[i][1], "AttachRolePolicy"))
                    p = emu_printf(c,
                                   "{\"roleName\":\"%s-orders-service-ec2-role\",\"policyArn\":"
                                   "\"arn:aws:iam::%s:policy/%s-orders-s3-access\"}",
                                   w->org, w->account, w->org);
                else if (!strcmp(tf[i][1], "CreatePolicyVersion"))
                    p = emu_printf(c,
                                   "{\"policyArn\":\"arn:aws:iam::%s:policy/"
                                   "%s-orders-s3-access\",\"policyDocument\":"
                                   "\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{"
                                   "\\\"Effect\\\":\\\"Allow\\\","
                                   "\\\"Action\\\":[\\\"s3:GetObject\\\",\\\"s3:PutObject\\\"],"
                                   "\\\"Resource\\\":"
                                   "\\\"arn:aws:s3:::%s/*\\\"}]}\",\"setAsDefault\":true}",
                                   w->account, w->org, w->buckets[0]);
                else if (strstr(tf[i][1], "Function"))
                    p = emu_printf(c, "{\"functionName\":\"%s\"}", w->functions[r % 5]);
                else if (strstr(tf[i][1], "Role"))
                    p = emu_printf(c, "{\"roleName\":\"%s-orders-service-ec2-role\"}", w->org);
                emu_event x = emu_ev(&a, t, tf[i][0], tf[i][1], ro, p);
                emu_benign(c, &x, "terraform-apply");
            }
        }
        /* the legacy deploy user: long-term key, from the CI runners, every working day */
        emu_actor d = emu_iam_user(c, 6, false);
        d.source = w->ci_ip[0];
        int64_t t = office(c, day);
        static const char *const dep[][3] = {
            {"iam.amazonaws.com", "GetUser", "iam.get-user"},
            {"s3.amazonaws.com", "ListBuckets", "s3api.list-buckets"},
            {"bedrock.amazonaws.com", "InvokeModel", "bedrock-runtime.invoke-model"},
            {"ecr.amazonaws.com", "GetAuthorizationToken", "ecr.get-authorization-token"}};
        for (int i = 0; i < 4; i++) {
            d.agent = emu_ua_cli(c, dep[i][2]);
            emu_event x =
                emu_ev(&d, t, dep[i][0], dep[i][1], true,
                       i == 2 ? "{\"modelId\":\"anthropic.claude-3-haiku-20240307-v1:0\"}" : NULL);
            if (i == 1)
                x.tls_host = "s3.amazonaws.com";
            emu_benign(c, &x, "legacy-deploy-user");
            t += th_rng_range(&c->rng, 2, 30) * 1000;
        }
    }
}

static void login(emu_ctx *c, emu_actor *u, int64_t t, bool mfa)
{
    emu_event e = emu_ev(u, t, "signin.amazonaws.com", "ConsoleLogin", false, NULL);
    e.event_type = "AwsConsoleSignIn";
    e.response = "{\"ConsoleLogin\":\"Success\"}";
    e.extra = emu_printf(c,
                         "{\"LoginTo\":\"https://console.aws.amazon.com/console/"
                         "home?state=hashArgs%%23&isauthcode=true\","
                         "\"MobileVersion\":\"No\",\"MFAUsed\":\"%s\"}",
                         mfa ? "Yes" : "No");
    emu_benign(c, &e, "console-login");
}

void emu_benign_console_admin(emu_ctx *c)
{
    const emu_world *w = c->w;
    const char *ua = emu_keep(c, "%s", emu_ua_browser(c));
    for (int64_t day = w->start; day < w->end; day += DAY) {
        if (!weekday(day))
            continue;
        int u = (int)th_rng_below(&c->rng, 2);
        int64_t t = office(c, day);
        emu_actor in = emu_iam_user(c, u, false);
        in.access_key = NULL;
        in.agent = ua;
        login(c, &in, t, true);
        emu_actor s = emu_iam_user(c, u, true);
        s.mfa = true;
        s.console = true;
        s.agent = ua;
        s.session_start = t;
        static const char *const ops[] = {
            "ListUsers",         "GetUser",        "ListAttachedUserPolicies",
            "ListGroupsForUser", "ListAccessKeys", "AddUserToGroup"};
        for (int i = 0; i < 6; i++) {
            t += th_rng_range(&c->rng, 3, 90) * 1000;
            const char *p =
                i == 0   ? NULL
                : i == 5 ? emu_printf(c, "{\"groupName\":\"developers\",\"userName\":\"%s\"}",
                                      w->users[2 + i % 4])
                         : emu_printf(c, "{\"userName\":\"%s\"}", w->users[2 + i % 4]);
            iam(c, &s, t, ops[i], i < 5, p, "console-iam-admin");
        }
    }
}

void emu_benign_aws_internal(emu_ctx *c)
{
    const emu_world *w = c->w;
    for (int64_t day = w->start; day < w->end; day += DAY) {
        int64_t t = office(c, day);
        /* console pages load account data through AWS-internal calls */
        emu_actor s = emu_iam_user(c, (int)th_rng_below(&c->rng, 2), true);
        s.console = true;
        s.mfa = true;
        s.source = "AWS Internal";
        s.agent = "AWS Internal";
        s.session_start = t - 600000;
        iam(c, &s, t, "GetAccountSummary", true, NULL, "console-internal");
        iam(c, &s, t + 1000, "ListAccountAliases", true, NULL, "console-internal");
        iam(c, &s, t + 2000, "GetAccountPasswordPolicy", true, NULL, "console-internal");
        /* CloudTrail checks its bucket; services assume their roles */
        emu_actor ct = emu_service("cloudtrail.amazonaws.com");
        emu_event e = emu_ev(
            &ct, t + 5000, "s3.amazonaws.com", "GetBucketAcl", true,
            emu_printf(c, "{\"bucketName\":\"%s\",\"Host\":\"%s.s3.amazonaws.com\",\"acl\":\"\"}",
                       w->buckets[3], w->buckets[3]));
        e.resources = emu_printf(
            c, "[{\"accountId\":\"%s\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::%s\"}]",
            w->account, w->buckets[3]);
        e.request_id = emu_s3_request_id(c);
        emu_benign(c, &e, "service-call");
        /* an auto scaling service-linked role acting for the account */
        emu_actor as = emu_role(c, "AWSServiceRoleForAutoScaling", "AutoScaling",
                                "autoscaling.amazonaws.com", "autoscaling.amazonaws.com");
        as.role_path = "aws-service-role/autoscaling.amazonaws.com/";
        as.invoked_by = "autoscaling.amazonaws.com";
        as.session_start = t;
        e = emu_ev(&as, t + 9000, "ec2.amazonaws.com", "DescribeInstanceStatus", true,
                   "{\"instancesSet\":{},\"filterSet\":{},\"includeAllInstances\":false}");
        emu_benign(c, &e, "service-linked-role");
    }
}

void emu_benign_iam_lookalikes(emu_ctx *c)
{
    const emu_world *w = c->w;
    for (int64_t day = w->start; day < w->end; day += DAY) {
        if (!weekday(day))
            continue;
        int64_t t = office(c, day);
        /* (a) console session of an IAM user: ASIA key, sessionCredentialFromConsole */
        emu_actor con = emu_iam_user(c, 0, true);
        con.console = true;
        con.mfa = true;
        con.session_start = t - 900000;
        con.agent = emu_ua_browser(c);
        const char *who = emu_keep(c, "contractor-%s", emu_hex(c, 4));
        iam(c, &con, t, "CreateUser", false, emu_printf(c, "{\"userName\":\"%s\"}", who),
            "console-session");
        iam(c, &con, t + 4000, "AttachUserPolicy", false,
            emu_printf(
                c, "{\"userName\":\"%s\",\"policyArn\":\"arn:aws:iam::aws:policy/ReadOnlyAccess\"}",
                who),
            "console-session");
        /* (b) the same kind of session through AWS-internal calls */
        emu_actor in = con;
        in.source = "AWS Internal";
        in.agent = "AWS Internal";
        in.console = false; /* excluded by the missing IP and the agent alone */
        iam(c, &in, t + 6000, "UpdateLoginProfile", false,
            emu_printf(c, "{\"userName\":\"%s\",\"passwordResetRequired\":true}", who),
            "aws-internal");
        /* (c) CloudFormation creating roles on a user's behalf (ASIA, no IP) */
        t = office(c, day);
        emu_actor cf = emu_iam_user(c, 1, true);
        cf.session_start = t - 300000;
        cf.source = "cloudformation.amazonaws.com";
        cf.agent = "cloudformation.amazonaws.com";
        cf.invoked_by = "cloudformation.amazonaws.com";
        const char *stackrole = emu_printf(
            c,
            "{\"roleName\":\"%s-stack-%s-LambdaRole\",\"assumeRolePolicyDocument\":"
            "\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":"
            "\\\"Allow\\\",\\\"Principal\\\":{\\\"Service\\\":\\\"lambda.amazonaws.com\\\"},"
            "\\\"Action\\\":\\\"sts:AssumeRole\\\"}]}\"}",
            w->org, emu_hex(c, 8));
        iam(c, &cf, t, "CreateRole", false, stackrole, "service-on-behalf");
        /* (d) long-term key of a service user from the CI runners */
        emu_actor ak = emu_iam_user(c, 7, false);
        ak.source = w->ci_ip[1];
        ak.agent = emu_ua_cli(c, "iam.list-attached-user-policies");
        iam(c, &ak, t + 20000, "ListAttachedUserPolicies", true,
            emu_printf(c, "{\"userName\":\"%s\"}", w->users[7]), "long-term-key");
        /* (e) an assumed role (CI) changing IAM */
        emu_actor ci = emu_role(c, emu_keep(c, "%s-github-actions-deploy", w->org), "GitHubActions",
                                w->ci_ip[0], emu_ua_terraform(c, "iam#1.34.3"));
        ci.session_start = t;
        iam(c, &ci, t + 30000, "PutRolePolicy", false,
            emu_printf(c,
                       "{\"roleName\":\"%s-batch-worker-ec2-role\",\"policyName\":\"sqs-access\","
                       "\"policyDocument\":"
                       "\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":"
                       "\\\"Allow\\\","
                       "\\\"Action\\\":\\\"sqs:*\\\",\\\"Resource\\\":\\\"*\\\"}]}\"}",
                       w->org),
            "assumed-role");
        /* (f) an engineer's MFA CLI session (GetSessionToken) denied an IAM write */
        t = office(c, day);
        emu_actor dev = emu_iam_user(c, 2, true);
        dev.mfa = true;
        dev.session_start = t - 1200000;
        dev.agent = emu_ua_cli(c, "iam.create-user");
        emu_event e = emu_ev(&dev, t, "iam.amazonaws.com", "CreateUser", false,
                             "{\"userName\":\"test-user\"}");
        e.error_code = "AccessDenied";
        e.error_message = emu_denied(c, &dev, "iam:CreateUser",
                                     emu_printf(c, "arn:aws:iam::%s:user/test-user", w->account));
        emu_benign(c, &e, "failed-call");
        /* ... and the same session on other services (not IAM) */
        dev.agent = emu_ua_cli(c, "ec2.describe-instances");
        e = emu_ev(&dev, t + 15000, "ec2.amazonaws.com", "DescribeInstances", true,
                   "{\"instancesSet\":{},\"filterSet\":{}}");
        emu_benign(c, &e, "session-token-non-iam");
        /* (g) a federated user (GetFederationToken) reading IAM */
        emu_actor fed = {0};
        fed.type = EMU_FEDERATED;
        fed.account = w->account;
        fed.name = w->users[3];
        fed.role = w->users[3];
        fed.issuer_uid = w->user_aida[3];
        fed.access_key = emu_key(c, "ASIA");
        fed.session = true;
        fed.session_start = t - 600000;
        fed.source = w->office_ip[1];
        fed.agent = emu_ua_sdk(c);
        iam(c, &fed, t + 40000, "ListRoles", true, NULL, "federated-user");
    }
}
