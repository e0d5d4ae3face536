/* Attack stories around identities: stolen temporary credentials used on IAM
 * (the seed story), access keys for persistence, Lambda and role-trust
 * backdoors, console sign-in anomalies. */
#include <string.h>

#include "emulate/emu.h"
#include "emulate/rules.h"

static void go(emu_ctx *c, emu_event *e, const char *step, const char *rules)
{
    emu_attack(c, e, step, rules);
}

static emu_actor attacker_user(emu_ctx *c, int user, bool session, const char *ip)
{
    emu_actor a = emu_iam_user(c, user, session);
    a.source = ip;
    a.session_start = c->w->start; /* overwritten by callers that know better */
    return a;
}

static const char *cli(emu_ctx *c, const char *cmd)
{
    /* the attacker's own tooling: the Linux build of the CLI */
    return emu_printf(c,
                      "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.11.2-amd64 md/arch#x86_64 "
                      "lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard "
                      "md/installer#exe md/distrib#kali.2024 md/prompt#off md/command#%s",
                      cmd);
}

void emu_story_iam_temp_creds(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    emu_actor a = attacker_user(c, 4, true, w->attacker_ip[2]);
    a.session_start = t - th_rng_range(&c->rng, 3600, 20000) * 1000; /* stolen earlier */
    /* The owner keeps working with the same session from the office while the
     * attacker uses it: one token, two addresses, cities and clients inside one
     * 30-minute bucket, what "AWS Access Token Used from Multiple Addresses"
     * means to catch. Its query cannot alert on CloudTrail, though: `not
     * session_credential_from_console == "true"` is null, and drops the row,
     * whenever the field is absent (AWS writes it only as "true"), so the
     * events are not labelled with it. Not on IAM, so the seed rule's benign
     * near misses stay clean. */
    emu_actor own = emu_iam_user(c, 4, true);
    own.access_key = a.access_key;
    own.session_start = a.session_start;
    own.agent = emu_keep(c, "%s", emu_ua_cli(c, NULL));
    int64_t bucket = t / 1800000 * 1800000, ot = t - 100000;
    if (ot < bucket)
        ot = t + 1000;
    static const char *const own_calls[][2] = {{"s3.amazonaws.com", "ListBuckets"},
                                               {"ec2.amazonaws.com", "DescribeInstances"},
                                               {"logs.amazonaws.com", "DescribeLogGroups"}};
    for (int i = 0; i < 3; i++) {
        emu_event oe = emu_ev(&own, ot, own_calls[i][0], own_calls[i][1], true, NULL);
        if (i == 0)
            oe.tls_host = "s3.amazonaws.com";
        emu_benign(c, &oe, "owner-same-session");
        ot += th_rng_range(&c->rng, 5, 25) * 1000;
    }
    const char *acc = w->account;
    static const char *const names[] = {"svc-monitoring", "backup-admin", "aws-support-ops",
                                        "deploy-bot", "ci-runner"};
    const char *nu = emu_keep(c, "%s", EMU_PICK(c, names));
    const char *nu_id = emu_key(c, "AIDA");
    const char *nk = emu_key(c, "AKIA");

    a.agent = cli(c, "sts.get-caller-identity");
    emu_event e = emu_ev(&a, t, "sts.amazonaws.com", "GetCallerIdentity", true, NULL);
    go(c, &e, "whoami", R_GETCALLER);

    static const char *const reads[][2] = {
        {"ListUsers", "iam.list-users"},
        {"ListRoles", "iam.list-roles"},
        {"ListAttachedUserPolicies", "iam.list-attached-user-policies"},
        {"GetAccountAuthorizationDetails", "iam.get-account-authorization-details"},
        {"ListGroups", "iam.list-groups"}};
    for (size_t i = 0; i < 5; i++) {
        t += th_rng_range(&c->rng, 2, 25) * 1000;
        a.agent = cli(c, reads[i][1]);
        e = emu_ev(&a, t, "iam.amazonaws.com", reads[i][0], true,
                   i == 2 ? emu_printf(c, "{\"userName\":\"%s\"}", a.name) : NULL);
        go(c, &e, "iam-discovery", R_IAM_SESSION_TOKEN);
    }

    t += th_rng_range(&c->rng, 30, 120) * 1000;
    a.agent = cli(c, "iam.create-role");
    e = emu_ev(
        &a, t, "iam.amazonaws.com", "CreateRole", false,
        emu_printf(
            c,
            "{\"roleName\":\"%s-role\",\"assumeRolePolicyDocument\":\"{\\\"Version\\\":"
            "\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":"
            "{\\\"AWS\\\":\\\"arn:aws:iam::%s:root\\\"},\\\"Action\\\":\\\"sts:AssumeRole\\\"}]}"
            "\"}",
            nu, w->attacker_account));
    e.error_code = "AccessDenied";
    e.error_message =
        emu_denied(c, &a, "iam:CreateRole", emu_printf(c, "arn:aws:iam::%s:role/%s-role", acc, nu));
    go(c, &e, "create-role-denied", NULL);

    t += th_rng_range(&c->rng, 10, 60) * 1000;
    a.agent = cli(c, "iam.create-user");
    e = emu_ev(&a, t, "iam.amazonaws.com", "CreateUser", false,
               emu_printf(c, "{\"userName\":\"%s\"}", nu));
    e.response =
        emu_printf(c,
                   "{\"user\":{\"path\":\"/\",\"userName\":\"%s\",\"userId\":\"%s\",\"arn\":"
                   "\"arn:aws:iam::%s:user/%s\",\"createDate\":\"%s\"}}",
                   nu, nu_id, acc, nu, emu_aws_date(c, t));
    go(c, &e, "create-user", R_IAM_SESSION_TOKEN);

    t += th_rng_range(&c->rng, 5, 30) * 1000;
    a.agent = cli(c, "iam.create-access-key");
    e = emu_ev(&a, t, "iam.amazonaws.com", "CreateAccessKey", false,
               emu_printf(c, "{\"userName\":\"%s\"}", nu));
    e.response = emu_printf(
        c,
        "{\"accessKey\":{\"userName\":\"%s\",\"accessKeyId\":\"%s\",\"status\":\"Active\","
        "\"createDate\":\"%s\"}}",
        nu, nk, emu_aws_date(c, t));
    go(c, &e, "create-access-key", R_IAM_SESSION_TOKEN "," R_KEY_FOR_OTHER);

    t += th_rng_range(&c->rng, 5, 30) * 1000;
    a.agent = cli(c, "iam.attach-user-policy");
    e = emu_ev(
        &a, t, "iam.amazonaws.com", "AttachUserPolicy", false,
        emu_printf(
            c,
            "{\"userName\":\"%s\",\"policyArn\":\"arn:aws:iam::aws:policy/AdministratorAccess\"}",
            nu));
    go(c, &e, "attach-admin-policy", R_IAM_SESSION_TOKEN "," R_ADMIN_TO_USER);

    t += th_rng_range(&c->rng, 5, 30) * 1000;
    a.agent = cli(c, "iam.create-login-profile");
    e = emu_ev(&a, t, "iam.amazonaws.com", "CreateLoginProfile", false,
               emu_printf(c, "{\"userName\":\"%s\",\"passwordResetRequired\":false}", nu));
    e.response = emu_printf(c,
                            "{\"loginProfile\":{\"userName\":\"%s\",\"createDate\":\"%s\","
                            "\"passwordResetRequired\":false}}",
                            nu, emu_aws_date(c, t));
    go(c, &e, "create-login-profile", R_IAM_SESSION_TOKEN "," R_LOGIN_PROFILE);

    t += th_rng_range(&c->rng, 5, 30) * 1000;
    a.agent = cli(c, "iam.put-user-policy");
    e = emu_ev(&a, t, "iam.amazonaws.com", "PutUserPolicy", false,
               emu_printf(c,
                          "{\"userName\":\"%s\",\"policyName\":\"inline-ops\",\"policyDocument\":"
                          "\"{\\\"Version\\\":"
                          "\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\","
                          "\\\"Action\\\":\\\"*\\\","
                          "\\\"Resource\\\":\\\"*\\\"}]}\"}",
                          a.name));
    go(c, &e, "put-user-policy", R_IAM_SESSION_TOKEN);
}

void emu_story_access_keys(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    emu_actor a = attacker_user(c, 5, false, w->attacker_ip[1]);
    const char *other = w->users[2];
    const char *nk = emu_key(c, "AKIA");
    const char *ok = emu_key(c, "AKIA");

    a.agent = cli(c, "iam.list-access-keys");
    emu_event e = emu_ev(&a, t, "iam.amazonaws.com", "ListAccessKeys", true, NULL);
    go(c, &e, "list-access-keys", R_AKIA_NEW_IP);

    t += th_rng_range(&c->rng, 10, 40) * 1000;
    a.agent = cli(c, "iam.create-access-key");
    e = emu_ev(&a, t, "iam.amazonaws.com", "CreateAccessKey", false, NULL);
    e.response = emu_printf(
        c,
        "{\"accessKey\":{\"userName\":\"%s\",\"accessKeyId\":\"%s\",\"status\":\"Active\","
        "\"createDate\":\"%s\"}}",
        a.name, nk, emu_aws_date(c, t));
    go(c, &e, "create-own-key", R_AKIA_NEW_IP "," R_KEY_SELF_USED);

    t += th_rng_range(&c->rng, 10, 40) * 1000;
    e = emu_ev(&a, t, "iam.amazonaws.com", "CreateAccessKey", false,
               emu_printf(c, "{\"userName\":\"%s\"}", other));
    e.response = emu_printf(
        c,
        "{\"accessKey\":{\"userName\":\"%s\",\"accessKeyId\":\"%s\",\"status\":\"Active\","
        "\"createDate\":\"%s\"}}",
        other, ok, emu_aws_date(c, t));
    /* the high-severity alert on this event and the new-IP alert of the same
     * address make the alert-correlation rule fire */
    go(c, &e, "create-key-for-other-user", R_AKIA_NEW_IP "," R_KEY_FOR_OTHER "," R_AKIA_CORRELATED);

    /* the new key, minutes later, from another address */
    emu_actor b = a;
    b.access_key = nk;
    b.source = w->attacker_ip[2];
    t += th_rng_range(&c->rng, 300, 1500) * 1000;
    static const char *const uses[][3] = {
        {"sts.amazonaws.com", "GetCallerIdentity", "sts.get-caller-identity"},
        {"s3.amazonaws.com", "ListBuckets", "s3api.list-buckets"},
        {"ec2.amazonaws.com", "DescribeInstances", "ec2.describe-instances"},
        {"iam.amazonaws.com", "ListUsers", "iam.list-users"},
    };
    for (int i = 0; i < 4; i++) {
        b.agent = cli(c, uses[i][2]);
        e = emu_ev(&b, t, uses[i][0], uses[i][1], true, NULL);
        if (i == 1)
            e.tls_host = "s3.amazonaws.com";
        go(c, &e, "use-new-key",
           i == 0 ? R_AKIA_NEW_IP "," R_KEY_SELF_USED "," R_GETCALLER
                  : R_AKIA_NEW_IP "," R_KEY_SELF_USED);
        t += th_rng_range(&c->rng, 3, 40) * 1000;
    }
}

void emu_story_lambda_backdoor(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    emu_actor a =
        emu_role(c, emu_keep(c, "%s-ops-admin", w->org), "ops-session", w->attacker_ip[2], NULL);
    a.session_start = t - 600000;
    const char *fn = w->functions[th_rng_below(&c->rng, 5)];
    const char *region = "us-east-1";

    a.agent = cli(c, "lambda.list-functions");
    emu_event e = emu_ev(&a, t, "lambda.amazonaws.com", "ListFunctions20150331", true, NULL);
    go(c, &e, "list-functions", NULL);

    t += th_rng_range(&c->rng, 20, 90) * 1000;
    a.agent = cli(c, "lambda.add-permission");
    e = emu_ev(&a, t, "lambda.amazonaws.com", "AddPermission20150331v2", false,
               emu_printf(c,
                          "{\"functionName\":\"%s\",\"statementId\":\"public-invoke\",\"action\":"
                          "\"lambda:InvokeFunction\",\"principal\":\"*\"}",
                          fn));
    e.response = emu_printf(
        c,
        "{\"statement\":\"{\\\"Sid\\\":\\\"public-invoke\\\",\\\"Effect\\\":\\\"Allow\\\","
        "\\\"Principal\\\":\\\"*\\\",\\\"Action\\\":\\\"lambda:InvokeFunction\\\","
        "\\\"Resource\\\":\\\"arn:aws:lambda:%s:%s:function:%s\\\"}\"}",
        region, w->account, fn);
    go(c, &e, "add-permission-any-principal", R_LAMBDA_ANY);

    t += th_rng_range(&c->rng, 20, 90) * 1000;
    e = emu_ev(&a, t, "lambda.amazonaws.com", "AddPermission20150331v2", false,
               emu_printf(c,
                          "{\"functionName\":\"%s\",\"statementId\":\"xacct\",\"action\":"
                          "\"lambda:InvokeFunction\",\"principal\":\"%s\"}",
                          fn, w->attacker_account));
    e.response =
        emu_printf(c,
                   "{\"statement\":\"{\\\"Sid\\\":\\\"xacct\\\",\\\"Effect\\\":\\\"Allow\\\","
                   "\\\"Principal\\\":{\\\"AWS\\\":\\\"arn:aws:iam::%s:root\\\"},\\\"Action\\\":"
                   "\\\"lambda:InvokeFunction\\\",\\\"Resource\\\":\\\"arn:aws:lambda:%s:%s:"
                   "function:%s\\\"}\"}",
                   w->attacker_account, region, w->account, fn);
    go(c, &e, "add-permission-external-account", R_LAMBDA_XACCT);

    /* From the attacker's own account, through the permission just granted: a
     * flood of invocations inside one minute (denial of wallet). Lambda data
     * events of a cross-account call reach the function owner's trail. */
    {
        int64_t ti = t + th_rng_range(&c->rng, 120, 600) * 1000;
        emu_actor x = emu_role(c, "lambda-runner", "botocore-session-1718", w->attacker_ip[2],
                               emu_keep(c, "%s", emu_ua_boto(c)));
        x.account = w->attacker_account;
        x.session_start = ti - 900000;
        const char *farn = emu_keep(c, "arn:aws:lambda:%s:%s:function:%s", region, w->account, fn);
        int n = (int)th_rng_range(&c->rng, 1050, 1150);
        for (int i = 0; i < n; i++) {
            emu_event v = emu_ev(&x, ti, "lambda.amazonaws.com", "Invoke", false,
                                 emu_printf(c,
                                            "{\"functionName\":\"%s\",\"invocationType\":"
                                            "\"Event\",\"logType\":\"None\"}",
                                            farn));
            v.data_event = true;
            v.recipient = w->account;
            v.shared_id = emu_uuid(c);
            v.resources = emu_printf(c,
                                     "[{\"accountId\":\"%s\",\"type\":\"AWS::Lambda::"
                                     "Function\",\"ARN\":\"%s\"}]",
                                     w->account, farn);
            go(c, &v, "cross-account-invoke-flood",
               i == 0 ? R_LAMBDA_XACCT_INVOKE "," R_LAMBDA_FLOOD "," R_LAMBDA_NEW_PRINCIPAL
                      : R_LAMBDA_XACCT_INVOKE "," R_LAMBDA_FLOOD);
            ti += th_rng_range(&c->rng, 20, 80); /* ms: ~1,100 calls in under a minute */
        }
        t = ti;
    }

    t += th_rng_range(&c->rng, 60, 300) * 1000;
    const char *role = emu_keep(c, "%s-lambda-role", fn);
    a.agent = cli(c, "iam.get-role");
    e = emu_ev(&a, t, "iam.amazonaws.com", "GetRole", true,
               emu_printf(c, "{\"roleName\":\"%s\"}", role));
    go(c, &e, "get-role", NULL);
    t += th_rng_range(&c->rng, 10, 60) * 1000;
    a.agent = cli(c, "iam.update-assume-role-policy");
    e = emu_ev(
        &a, t, "iam.amazonaws.com", "UpdateAssumeRolePolicy", false,
        emu_printf(
            c,
            "{\"roleName\":\"%s\",\"policyDocument\":\"{\\\"Version\\\":\\\"2012-10-17\\\","
            "\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":{\\\"Service\\\":"
            "\\\"lambda.amazonaws.com\\\"},\\\"Action\\\":\\\"sts:AssumeRole\\\"},{\\\"Effect\\\":"
            "\\\"Allow\\\",\\\"Principal\\\":{\\\"AWS\\\":\\\"arn:aws:iam::%s:root\\\"},"
            "\\\"Action\\\":"
            "\\\"sts:AssumeRole\\\"}]}\"}",
            role, w->attacker_account));
    go(c, &e, "update-assume-role-policy", R_ASSUME_POLICY);
}

static void console_login(emu_ctx *c, emu_actor *a, int64_t t, bool ok, bool mfa, const char *step,
                          const char *rules)
{
    emu_event e = emu_ev(a, t, "signin.amazonaws.com", "ConsoleLogin", false, NULL);
    e.event_type = "AwsConsoleSignIn";
    e.response = ok ? "{\"ConsoleLogin\":\"Success\"}" : "{\"ConsoleLogin\":\"Failure\"}";
    e.error_message = ok ? NULL : "Failed authentication";
    e.extra = emu_printf(c,
                         "{\"LoginTo\":\"https://console.aws.amazon.com/console/"
                         "home?state=hashArgs%%23&isauthcode=true\","
                         "\"MobileVersion\":\"No\",\"MFAUsed\":\"%s\"}",
                         mfa ? "Yes" : "No");
    go(c, &e, step, rules);
}

void emu_story_console(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    const char *ua = emu_keep(c, "%s", emu_ua_browser(c));
    emu_actor root = emu_root(c, w->attacker_ip[0], ua);
    root.access_key = "";
    int fails = (int)th_rng_range(&c->rng, 11, 16);
    for (int i = 0; i < fails; i++) {
        console_login(c, &root, t, false, false, "root-login-failure", R_ROOT_BRUTE);
        t += th_rng_range(&c->rng, 8, 45) * 1000;
    }
    console_login(c, &root, t, true, false, "root-login-success", R_ROOT_LOGIN);
    emu_actor rs = root;
    rs.access_key = emu_key(c, "ASIA");
    rs.session = true;
    rs.session_start = t;
    rs.console = true;
    static const char *const looks[][2] = {{"iam.amazonaws.com", "GetAccountSummary"},
                                           {"iam.amazonaws.com", "ListUsers"},
                                           {"billing.amazonaws.com", "GetBillingPreferences"},
                                           {"iam.amazonaws.com", "ListAccessKeys"}};
    for (int i = 0; i < 4; i++) {
        t += th_rng_range(&c->rng, 5, 60) * 1000;
        emu_event e = emu_ev(&rs, t, looks[i][0], looks[i][1], true, NULL);
        go(c, &e, "root-console-activity", NULL);
    }

    /* an IAM user's password sprayed, then a login without MFA from abroad */
    t += th_rng_range(&c->rng, 1800, 7200) * 1000;
    emu_actor u = emu_iam_user(c, 3, false);
    u.access_key = "";
    /* the real user signed in from the office (with MFA) shortly before */
    emu_actor real = u;
    real.agent = emu_keep(c, "%s", emu_ua_browser(c));
    {
        emu_event e = emu_ev(&real, t - th_rng_range(&c->rng, 600, 1800) * 1000,
                             "signin.amazonaws.com", "ConsoleLogin", false, NULL);
        e.event_type = "AwsConsoleSignIn";
        e.response = "{\"ConsoleLogin\":\"Success\"}";
        e.extra = "{\"LoginTo\":\"https://console.aws.amazon.com/console/home?state=hashArgs%23"
                  "&isauthcode=true\",\"MobileVersion\":\"No\",\"MFAUsed\":\"Yes\"}";
        emu_benign(c, &e, "real-user-login");
    }
    u.source = w->attacker_ip[2];
    u.agent = ua;
    for (int i = 0; i < 3; i++) {
        console_login(c, &u, t, false, false, "user-login-failure", NULL);
        t += th_rng_range(&c->rng, 20, 90) * 1000;
    }
    u.access_key = NULL;
    /* a second country within the hour: the multiple-geolocations rule */
    console_login(c, &u, t, true, false, "user-login-no-mfa", R_NO_MFA "," R_CONSOLE_GEOS);
}
