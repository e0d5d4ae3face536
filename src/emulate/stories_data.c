/* Attack stories around data: S3 exfiltration and ransomware, EC2 user data
 * and snapshot sharing, Secrets Manager / SSM credential access, Bedrock
 * model abuse. */
#include <string.h>

#include "emulate/emu.h"
#include "emulate/rules.h"

static void go(emu_ctx *c, emu_event *e, const char *step, const char *rules)
{
    emu_attack(c, e, step, rules);
}

/* A workload role whose credentials were taken off an instance (IMDS) and are
 * now used from outside. */
static emu_actor stolen_role(emu_ctx *c, int64_t t, const char *ip)
{
    const emu_world *w = c->w;
    emu_actor a = emu_role(c, emu_keep(c, "%s-data-pipeline-ec2-role", w->org), w->instances[5], ip,
                           emu_keep(c, "%s", emu_ua_boto(c)));
    a.ec2_role = true;
    a.session_start = t - 1800000;
    return a;
}

static void s3(emu_ctx *c, emu_event *e, const char *bucket, const char *key,
               const char *extra_params)
{
    const emu_world *w = c->w;
    e->params =
        emu_printf(c, "{\"bucketName\":\"%s\",\"Host\":\"%s.s3.us-east-1.amazonaws.com\"%s%s%s%s}",
                   bucket, bucket, key ? ",\"key\":\"" : "", key ? key : "", key ? "\"" : "",
                   extra_params ? extra_params : "");
    e->tls_host = emu_printf(c, "%s.s3.us-east-1.amazonaws.com", bucket);
    e->request_id = emu_s3_request_id(c);
    if (key)
        e->resources = emu_printf(
            c,
            "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::%s/%s\"},"
            "{\"accountId\":\"%s\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::%s\"}]",
            bucket, key, w->account, bucket);
    else
        e->resources = emu_printf(
            c, "[{\"accountId\":\"%s\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::%s\"}]",
            w->account, bucket);
}

void emu_story_s3_exfil(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    emu_actor a = stolen_role(c, t, w->attacker_ip[1]);
    const char *b = w->buckets[5];
    emu_event e =
        emu_ev(&a, t, "s3.amazonaws.com", "ListBuckets", true, "{\"Host\":\"s3.amazonaws.com\"}");
    e.tls_host = "s3.amazonaws.com";
    e.request_id = emu_s3_request_id(c);
    go(c, &e, "list-buckets", NULL);

    /* A posture sweep over every bucket the listing returned (18): ACL,
     * public-access block and versioning of each, all inside one 10-second
     * bucket of the ES|QL rule (more than 15 distinct bucket ARNs). */
    static const char *const more[] = {"static-site",      "terraform-state",   "athena-results",
                                       "cloudtrail-logs",  "alb-logs",          "config-snapshots",
                                       "data-lake-raw",    "data-lake-curated", "emr-logs",
                                       "lambda-artifacts", "sagemaker-models",  "partner-uploads"};
    static const char *const posture[][2] = {
        {"GetBucketAcl", ",\"acl\":\"\""},
        {"GetBucketPublicAccessBlock", ",\"publicAccessBlock\":\"\""},
        {"GetBucketVersioning", ",\"versioning\":\"\""}};
    int64_t sweep = (t / 10000 + 2) * 10000 + th_rng_range(&c->rng, 0, 500);
    for (int i = 0; i < 18; i++) {
        const char *bk =
            i < 6 ? w->buckets[i] : emu_keep(c, "%s-%s-%s", w->org, more[i - 6], w->account + 7);
        for (int k = 0; k < 3; k++) {
            e = emu_ev(&a, sweep + (i * 3 + k) * 150 + th_rng_range(&c->rng, 0, 100),
                       "s3.amazonaws.com", posture[k][0], true, NULL);
            s3(c, &e, bk, NULL, posture[k][1]);
            go(c, &e, "bucket-posture-sweep", R_S3_POSTURE);
        }
    }
    t = sweep + 10000;
    t += th_rng_range(&c->rng, 5, 30) * 1000;
    e = emu_ev(&a, t, "s3.amazonaws.com", "GetBucketPolicy", true, NULL);
    s3(c, &e, b, NULL, ",\"policy\":\"\"");
    e.error_code = "NoSuchBucketPolicy";
    e.error_message = "The bucket policy does not exist";
    go(c, &e, "get-bucket-policy", NULL);

    t += th_rng_range(&c->rng, 5, 30) * 1000;
    e = emu_ev(&a, t, "s3.amazonaws.com", "PutBucketPolicy", false, NULL);
    s3(c, &e, b, NULL,
       emu_printf(c,
                  ",\"bucketPolicy\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":"
                  "\"PublicRead\",\"Effect\":"
                  "\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:"
                  "aws:s3:::%s/*\"}]},"
                  "\"policy\":\"\"",
                  b));
    go(c, &e, "public-bucket-policy", R_S3_PUBLIC);

    int n = (int)th_rng_range(&c->rng, 60, 120);
    for (int i = 0; i < n; i++) {
        t += th_rng_range(&c->rng, 100, 2500);
        const char *key = emu_printf(c, "exports/customers/%04d/part-%05d.csv.gz", 2020 + i % 5, i);
        e = emu_ev(&a, t, "s3.amazonaws.com", "GetObject", true, NULL);
        s3(c, &e, b, key, NULL);
        e.data_event = true;
        e.extra =
            emu_printf(c,
                       "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\","
                       "\"bytesTransferredIn\":0,\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-"
                       "id-2\":\"%s\","
                       "\"bytesTransferredOut\":%u}",
                       emu_hex(c, 40), (unsigned)th_rng_range(&c->rng, 1000000, 90000000));
        go(c, &e, "get-object-burst", NULL);
    }
    t += th_rng_range(&c->rng, 60, 300) * 1000;
    e = emu_ev(&a, t, "s3.amazonaws.com", "PutBucketPolicy", false, NULL);
    s3(c, &e, w->buckets[1], NULL,
       emu_printf(c,
                  ",\"bucketPolicy\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
                  "\"Allow\",\"Principal\":"
                  "{\"AWS\":\"arn:aws:iam::%s:root\"},\"Action\":[\"s3:GetObject\",\"s3:"
                  "ListBucket\"],\"Resource\":"
                  "[\"arn:aws:s3:::%s\",\"arn:aws:s3:::%s/*\"]}]},\"policy\":\"\"",
                  w->attacker_account, w->buckets[1], w->buckets[1]));
    go(c, &e, "cross-account-bucket-policy", R_S3_EXTERNAL);

    /* a skimmer planted in the static site's JavaScript */
    t += th_rng_range(&c->rng, 120, 900) * 1000;
    e = emu_ev(&a, t, "s3.amazonaws.com", "PutObject", false, NULL);
    s3(c, &e, w->buckets[2], emu_printf(c, "static/js/main.%s.js", emu_hex(c, 8)), NULL);
    e.data_event = true;
    e.extra = emu_printf(
        c,
        "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\","
        "\"bytesTransferredIn\":48213,\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":"
        "\"%s\",\"bytesTransferredOut\":0}",
        emu_hex(c, 40));
    go(c, &e, "static-site-js-overwrite", R_S3_STATIC_JS);
}

void emu_story_s3_ransom(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    emu_actor a = emu_iam_user(c, 4, false);
    a.source = w->attacker_ip[0];
    a.agent = emu_keep(c, "%s", emu_ua_boto(c));
    const char *b = w->buckets[0];
    const char *tls = emu_keep(c, "%s.s3.us-east-1.amazonaws.com", b);

    emu_event e = emu_ev(&a, t, "s3.amazonaws.com", "PutBucketVersioning", false, NULL);
    s3(c, &e, b, NULL,
       ",\"versioning\":\"\",\"VersioningConfiguration\":{\"Status\":\"Suspended\",\"xmlns\":"
       "\"http://s3.amazonaws.com/doc/2006-03-01/\"}");
    go(c, &e, "suspend-versioning", R_S3_VERSIONING);

    t += th_rng_range(&c->rng, 10, 60) * 1000;
    e = emu_ev(&a, t, "s3.amazonaws.com", "DeleteBucketEncryption", false, NULL);
    s3(c, &e, b, NULL, ",\"encryption\":\"\"");
    go(c, &e, "delete-bucket-encryption", R_S3_CONFIG_DELETE);

    /* the first objects re-encrypted in place under a KMS key of the attacker's
     * account (parameters in the order CloudTrail writes them for CopyObject) */
    const char *xkey =
        emu_keep(c, "arn:aws:kms:us-east-1:%s:key/%s", w->attacker_account, emu_uuid(c));
    for (int i = 0; i < 5; i++) {
        t += th_rng_range(&c->rng, 300, 3000);
        const char *key = emu_printf(c, "data/customers/customers-%04d.parquet", i);
        e = emu_ev(&a, t, "s3.amazonaws.com", "CopyObject", false, NULL);
        s3(c, &e, b, key, NULL);
        e.params = emu_printf(c,
                              "{\"bucketName\":\"%s\",\"x-amz-server-side-encryption-aws-kms-key-"
                              "id\":\"%s\",\"Host\":\"%s\",\"x-amz-server-side-encryption\":"
                              "\"aws:kms\",\"x-amz-copy-source\":\"%s/%s\",\"key\":\"%s\"}",
                              b, xkey, tls, b, key, key);
        e.data_event = true;
        e.response = emu_printf(c,
                                "{\"x-amz-server-side-encryption-aws-kms-key-id\":\"%s\","
                                "\"x-amz-server-side-encryption\":\"aws:kms\"}",
                                xkey);
        e.extra = emu_printf(
            c,
            "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\","
            "\"bytesTransferredIn\":0,\"SSEApplied\":\"SSE_KMS\",\"AuthenticationMethod\":"
            "\"AuthHeader\",\"x-amz-id-2\":\"%s\",\"bytesTransferredOut\":0}",
            emu_hex(c, 40));
        go(c, &e, "external-kms-reencrypt", R_S3_EXTERNAL_KMS);
    }

    int n = (int)th_rng_range(&c->rng, 25, 40);
    for (int i = 0; i < n; i++) {
        t += th_rng_range(&c->rng, 200, 3000);
        const char *key =
            emu_printf(c, "data/%s/records-%04d.parquet", i % 2 ? "orders" : "invoices", i);
        e = emu_ev(&a, t, "s3.amazonaws.com", "CopyObject", false, NULL);
        s3(c, &e, b, key,
           emu_printf(c,
                      ",\"x-amz-copy-source\":\"%s/"
                      "%s\",\"x-amz-server-side-encryption-customer-algorithm\":"
                      "\"AES256\"",
                      b, key));
        e.tls_host = tls;
        e.data_event = true;
        e.response = "{\"x-amz-server-side-encryption-customer-algorithm\":\"AES256\"}";
        e.extra =
            emu_printf(c,
                       "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\","
                       "\"bytesTransferredIn\":0,\"SSEApplied\":\"SSE_C\",\"AuthenticationMethod\":"
                       "\"AuthHeader\",\"x-amz-id-2\":\"%s\",\"bytesTransferredOut\":0}",
                       emu_hex(c, 40));
        go(c, &e, "sse-c-reencrypt", R_S3_SSEC);
    }
    t += th_rng_range(&c->rng, 5, 30) * 1000;
    e = emu_ev(&a, t, "s3.amazonaws.com", "DeleteObjects", false, NULL);
    s3(c, &e, b, NULL, ",\"delete\":\"\"");
    e.data_event = true;
    go(c, &e, "delete-objects", NULL);

    t += th_rng_range(&c->rng, 5, 30) * 1000;
    e = emu_ev(&a, t, "s3.amazonaws.com", "PutObject", false, NULL);
    s3(c, &e, b, "README_HOW_TO_RESTORE_FILES.txt", NULL);
    e.data_event = true;
    e.extra = emu_printf(
        c,
        "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\","
        "\"bytesTransferredIn\":1417,\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"%s\","
        "\"bytesTransferredOut\":0}",
        emu_hex(c, 40));
    go(c, &e, "ransom-note", R_S3_RANSOM_NOTE);
}

void emu_story_ec2_userdata(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    emu_actor a = emu_iam_user(c, 4, false);
    a.source = w->attacker_ip[1];
    const char *i = w->instances[2];
    /* one script does it all: the same client string on every call */
    a.agent = emu_keep(c, "%s", emu_ua_boto(c));
    emu_event e = emu_ev(&a, t, "ec2.amazonaws.com", "DescribeInstanceAttribute", true,
                         emu_printf(c, "{\"instanceId\":\"%s\",\"attribute\":\"userData\"}", i));
    go(c, &e, "read-user-data", R_USERDATA_READ);
    /* align the three changes inside one 5-minute bucket, as the ES|QL rule groups them */
    int64_t base = (t / 300000 + 1) * 300000 + th_rng_range(&c->rng, 5, 60) * 1000;
    e = emu_ev(
        &a, base, "ec2.amazonaws.com", "StopInstances", false,
        emu_printf(c, "{\"instancesSet\":{\"items\":[{\"instanceId\":\"%s\"}]},\"force\":false}",
                   i));
    e.response = emu_printf(c,
                            "{\"requestId\":\"%s\",\"instancesSet\":{\"items\":[{\"instanceId\":\"%"
                            "s\",\"currentState\":"
                            "{\"code\":64,\"name\":\"stopping\"},\"previousState\":{\"code\":16,"
                            "\"name\":\"running\"}}]}}",
                            emu_uuid(c), i);
    go(c, &e, "stop-instance", R_USERDATA_MODIFY);
    base += th_rng_range(&c->rng, 40, 90) * 1000;
    e = emu_ev(&a, base, "ec2.amazonaws.com", "ModifyInstanceAttribute", false,
               emu_printf(c, "{\"instanceId\":\"%s\",\"userData\":\"<sensitiveDataRemoved>\"}", i));
    e.response = emu_printf(c, "{\"requestId\":\"%s\",\"_return\":true}", emu_uuid(c));
    go(c, &e, "modify-user-data", R_USERDATA_MODIFY);
    base += th_rng_range(&c->rng, 10, 60) * 1000;
    e = emu_ev(&a, base, "ec2.amazonaws.com", "StartInstances", false,
               emu_printf(c, "{\"instancesSet\":{\"items\":[{\"instanceId\":\"%s\"}]}}", i));
    e.response = emu_printf(c,
                            "{\"requestId\":\"%s\",\"instancesSet\":{\"items\":[{\"instanceId\":\"%"
                            "s\",\"currentState\":"
                            "{\"code\":0,\"name\":\"pending\"},\"previousState\":{\"code\":80,"
                            "\"name\":\"stopped\"}}]}}",
                            emu_uuid(c), i);
    go(c, &e, "start-instance", R_USERDATA_MODIFY);
}

void emu_story_snapshot_share(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    emu_actor a = stolen_role(c, t, w->attacker_ip[2]);
    const char *vol = emu_keep(c, "vol-0%s", emu_hex(c, 16));
    const char *snap = emu_keep(c, "snap-0%s", emu_hex(c, 16));
    emu_event e = emu_ev(&a, t, "ec2.amazonaws.com", "DescribeVolumes", true,
                         "{\"volumeSet\":{},\"filterSet\":{}}");
    go(c, &e, "describe-volumes", NULL);
    t += th_rng_range(&c->rng, 20, 120) * 1000;
    e = emu_ev(&a, t, "ec2.amazonaws.com", "CreateSnapshot", false,
               emu_printf(c, "{\"volumeId\":\"%s\",\"description\":\"backup\"}", vol));
    e.response = emu_printf(
        c,
        "{\"requestId\":\"%s\",\"snapshotId\":\"%s\",\"volumeId\":\"%s\",\"status\":\"pending\","
        "\"startTime\":%lld,\"progress\":\"\",\"ownerId\":\"%s\",\"volumeSize\":100,\"encrypted\":"
        "false}",
        emu_uuid(c), snap, vol, (long long)t, w->account);
    go(c, &e, "create-snapshot", NULL);
    t += th_rng_range(&c->rng, 300, 900) * 1000;
    e = emu_ev(&a, t, "ec2.amazonaws.com", "ModifySnapshotAttribute", false,
               emu_printf(c,
                          "{\"snapshotId\":\"%s\",\"createVolumePermission\":{\"add\":{\"items\":[{"
                          "\"userId\":\"%s\"}]}},"
                          "\"attributeType\":\"CREATE_VOLUME_PERMISSION\"}",
                          snap, w->attacker_account));
    e.response = emu_printf(c, "{\"requestId\":\"%s\",\"_return\":true}", emu_uuid(c));
    go(c, &e, "share-snapshot", R_SNAPSHOT_SHARE);
}

void emu_story_secrets(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    emu_actor a = emu_iam_user(c, 5, true);
    a.source = w->attacker_ip[0];
    a.session_start = t - 900000;
    a.agent = emu_keep(c, "%s", emu_ua_boto(c));
    emu_event e = emu_ev(&a, t, "secretsmanager.amazonaws.com", "ListSecrets", true, NULL);
    e.region = "us-east-1";
    go(c, &e, "list-secrets", NULL);
    for (int i = 0; i < 25; i++) {
        t += th_rng_range(&c->rng, 300, 4000);
        e = emu_ev(&a, t, "secretsmanager.amazonaws.com", "GetSecretValue", true,
                   emu_printf(c, "{\"secretId\":\"%s\"}", w->secrets[i + 5]));
        go(c, &e, "get-secret-value-burst", R_SECRET_NEW "," R_SECRET_RAPID);
    }
    t += th_rng_range(&c->rng, 20, 120) * 1000;
    e = emu_ev(&a, t, "ssm.amazonaws.com", "DescribeParameters", true, "{\"maxResults\":50}");
    go(c, &e, "describe-parameters", NULL);
    for (int i = 0; i < 3; i++) {
        t += th_rng_range(&c->rng, 2, 20) * 1000;
        e = emu_ev(&a, t, "ssm.amazonaws.com", "GetParameters", true,
                   emu_printf(c,
                              "{\"names\":[\"/%s/prod/db-password\",\"/%s/prod/"
                              "api-key-%d\"],\"withDecryption\":true}",
                              w->org, w->org, i));
        go(c, &e, "get-parameters-decrypted", R_SSM_DECRYPT);
    }
}

void emu_story_bedrock(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    emu_actor a = emu_iam_user(c, 6, false); /* a service user's leaked long-term key */
    a.source = w->attacker_ip[2];
    a.agent = emu_keep(c, "%s", emu_ua_boto(c));
    emu_event e = emu_ev(&a, t, "bedrock.amazonaws.com", "ListFoundationModels", true, NULL);
    go(c, &e, "list-foundation-models", R_BEDROCK_RECON);
    t += th_rng_range(&c->rng, 5, 40) * 1000;
    e = emu_ev(&a, t, "bedrock.amazonaws.com", "GetFoundationModelAvailability", true,
               "{\"modelId\":\"anthropic.claude-3-5-sonnet-20240620-v1:0\"}");
    go(c, &e, "model-availability", NULL);
    t += th_rng_range(&c->rng, 5, 40) * 1000;
    e = emu_ev(&a, t, "bedrock.amazonaws.com", "DeleteModelInvocationLoggingConfiguration", false,
               NULL);
    go(c, &e, "disable-invocation-logging", R_BEDROCK_LOGGING);
    /* persistence through the phantom IAM user behind a Bedrock API key */
    const char *phantom = emu_keep(c, "BedrockAPIKey-%s", emu_hex(c, 4));
    const char *pk = emu_key(c, "AKIA");
    t += th_rng_range(&c->rng, 20, 90) * 1000;
    e = emu_ev(&a, t, "iam.amazonaws.com", "ListUsers", true, NULL);
    go(c, &e, "list-users", NULL);
    t += th_rng_range(&c->rng, 10, 60) * 1000;
    e = emu_ev(&a, t, "iam.amazonaws.com", "CreateAccessKey", false,
               emu_printf(c, "{\"userName\":\"%s\"}", phantom));
    e.response = emu_printf(
        c,
        "{\"accessKey\":{\"userName\":\"%s\",\"accessKeyId\":\"%s\",\"status\":\"Active\","
        "\"createDate\":\"%s\"}}",
        phantom, pk, emu_aws_date(c, t));
    go(c, &e, "phantom-user-access-key", R_BEDROCK_PHANTOM "," R_KEY_FOR_OTHER);
    /* the API key itself (a bearer token) used to delete a guardrail */
    emu_actor bk = {0};
    bk.type = EMU_IAMUSER;
    bk.account = w->account;
    bk.name = phantom;
    bk.uid = emu_key(c, "AIDA");
    bk.source = w->attacker_ip[2];
    bk.agent = "python-requests/2.32.3";
    t += th_rng_range(&c->rng, 30, 120) * 1000;
    e = emu_ev(&bk, t, "bedrock.amazonaws.com", "DeleteGuardrail", false,
               emu_printf(c, "{\"guardrailIdentifier\":\"%s\"}", emu_hex(c, 12)));
    e.extra = "{\"callWithBearerToken\":true}";
    go(c, &e, "bearer-token-delete-guardrail", R_BEDROCK_KEY_DESTRUCT "," R_GUARDRAIL_DELETED);

    int n = (int)th_rng_range(&c->rng, 550, 650);
    for (int i = 0; i < n; i++) {
        t += th_rng_range(&c->rng, 200, 3500);
        e = emu_ev(&a, t, "bedrock.amazonaws.com", "InvokeModel", true,
                   "{\"modelId\":\"anthropic.claude-3-5-sonnet-20240620-v1:0\"}");
        go(c, &e, "invoke-model-burst",
           i == 0 ? R_BEDROCK_RECON "," R_BEDROCK_BURST : R_BEDROCK_BURST);
    }
}
