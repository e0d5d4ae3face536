/* The newest pipeline's entity script (script_append_related_entity), run only
 * with actor_target_mapping: related entities, targets per service/action,
 * target classification (user/host/service/generic), actor classification.
 * Sets are Java TreeSets of strings: sorted, deduplicated (String.compareTo;
 * bytewise UTF-8 order equals it except for supplementary characters). */
#include <stdlib.h>
#include <string.h>

#include "ecs/mapper_int.h"

typedef struct sset {
    th_str *v;
    size_t n, cap;
} sset;

typedef struct ectx {
    mctx *c;
    sset related, target;
    th_str actor;
    /* userIdentity, its sessionContext.sessionIssuer and type, found once */
    const th_jval *ui, *issuer;
    th_str ui_type;
} ectx;

static void ss_add(th_arena *a, sset *s, th_str x)
{
    if (!x.p || !x.n)
        return;
    for (size_t i = 0; i < s->n; i++)
        if (th_str_eq(s->v[i], x))
            return;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        s->v = th_arena_realloc(a, s->v, s->cap * sizeof(th_str), nc * sizeof(th_str));
        s->cap = nc;
    }
    s->v[s->n++] = x;
}

static int cmp_str(const void *x, const void *y)
{
    return th_str_cmp(*(const th_str *)x, *(const th_str *)y);
}

/* The strings of a set are distinct, so any sort gives the same order: small
 * sets (nearly all) by insertion, without qsort's call per comparison. */
static void ss_sort(sset *s)
{
    if (s->n > 16) {
        qsort(s->v, s->n, sizeof(th_str), cmp_str);
        return;
    }
    for (size_t i = 1; i < s->n; i++) {
        th_str x = s->v[i];
        size_t j = i;
        for (; j > 0 && th_str_cmp(s->v[j - 1], x) > 0; j--)
            s->v[j] = s->v[j - 1];
        s->v[j] = x;
    }
}

static th_jval *ss_list(th_arena *a, const sset *s)
{
    th_jval *arr = th_jnew_arr(a);
    for (size_t i = 0; i < s->n; i++)
        th_jarr_push(a, arr, th_jnew_str(a, s->v[i]));
    return arr;
}

/* addValue takes Strings only: other values are left out */
static void add_val(ectx *e, sset *s, const th_jval *v)
{
    if (th_jis(v, TH_JSTR))
        ss_add(e->c->a, s, v->u.str);
}

static void add_field(ectx *e, sset *s, const char *path) { add_val(e, s, mx_json(e->c, path)); }

static void add_fields(ectx *e, sset *s, const char *const *paths)
{
    for (; *paths; paths++)
        add_field(e, s, *paths);
}

/* each item of the list at path: item.<key> (key NULL: the item itself) */
static void add_each(ectx *e, sset *s, const char *path, const char *key)
{
    th_jval *l = mx_json(e->c, path);
    if (!th_jis(l, TH_JARR))
        return;
    for (uint32_t i = 0; i < l->len; i++) {
        th_jval *it = l->u.items[i];
        if (!key)
            add_val(e, s, it);
        else if (th_jis(it, TH_JOBJ))
            add_val(e, s, th_jobj_get_path(it, key));
    }
}

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})
#define IS(x) th_str_eqc(name, x)

static void services(ectx *e, th_str src, th_str name)
{
    sset *R = &e->related, *T = &e->target;
    if (th_str_eqc(src, "cloudformation.amazonaws.com")) {
        if (IS("CreateStackSet"))
            add_field(e, T, "responseElements.stackSetId");
        else if (IS("CreateStack"))
            add_field(e, T, "responseElements.stackId");
    } else if (th_str_eqc(src, "cloudtrail.amazonaws.com")) {
        add_fields(e, R, L("requestParameters.name", "requestParameters.s3BucketName",
                           "responseElements.cloudWatchLogsLogGroupArn",
                           "responseElements.cloudWatchLogsRoleArn", "responseElements.kmsKeyId",
                           "responseElements.snsTopicARN", "responseElements.trailARN",
                           "responseElements.name"));
        if (IS("DeleteTrail") || IS("StopLogging"))
            add_field(e, T, "requestParameters.name");
        else if (IS("DescribeTrails"))
            add_field(e, T, "recipientAccountId");
    } else if (th_str_eqc(src, "config.amazonaws.com")) {
        add_field(e, R, "requestParameters.configurationRecorderName");
        if (IS("StopConfigurationRecorder") || IS("StartConfigurationRecorder"))
            add_field(e, T, "requestParameters.configurationRecorderName");
    } else if (th_str_eqc(src, "ec2-instance-connect.amazonaws.com")) {
        if (IS("SendSSHPublicKey") || IS("SendSerialConsoleSSHPublicKey"))
            add_field(e, T, "requestParameters.instanceId");
    } else if (th_str_eqc(src, "ec2.amazonaws.com")) {
        add_fields(e, R, L("requestParameters.groupId", "requestParameters.groupName",
                           "requestParameters.roleName", "requestParameters.subnetId",
                           "requestParameters.volumeId", "requestParameters.networkInterfaceId",
                           "requestParameters.vpcId", "requestParameters.snapshotId",
                           "responseElements.groupId", "responseElements.reservationId",
                           "responseElements.vpc.vpcId", "responseElements.vpc.dhcpOptionsId",
                           "responseElements.snapshotId", "responseElements.volumeId"));
        th_jval *l = mx_json(e->c, "responseElements.securityGroupRuleSet.items");
        for (uint32_t i = 0; th_jis(l, TH_JARR) && i < l->len; i++) {
            th_jval *it = l->u.items[i];
            if (!th_jis(it, TH_JOBJ))
                continue;
            add_val(e, R, th_jobj_get(it, "groupId"));
            add_val(e, R, th_jobj_get_path(it, "referencedGroupInfo.groupId"));
            add_val(e, R, th_jobj_get(it, "securityGroupRuleId"));
        }
        add_each(e, R, "responseElements.groupSet.items", "groupId");
        add_each(e, R, "requestParameters.groupSet.items", "groupId");
        add_each(e, R, "requestParameters.instancesSet.items", "instanceId");
        l = mx_json(e->c, "responseElements.instancesSet.items");
        for (uint32_t i = 0; th_jis(l, TH_JARR) && i < l->len; i++) {
            th_jval *in = l->u.items[i];
            if (!th_jis(in, TH_JOBJ))
                continue;
            static const char *const k[] = {"subnetId", "vpcId", "instanceId", "imageId",
                                            "iamInstanceProfile.arn"};
            for (size_t j = 0; j < 5; j++)
                add_val(e, R, th_jobj_get_path(in, k[j]));
            th_jval *nets = th_jobj_get_path(in, "networkInterfaceSet.items");
            for (uint32_t n = 0; th_jis(nets, TH_JARR) && n < nets->len; n++) {
                th_jval *net = nets->u.items[n];
                if (!th_jis(net, TH_JOBJ))
                    continue;
                add_val(e, R, th_jobj_get(net, "networkInterfaceId"));
                add_val(e, R, th_jobj_get(net, "vpcId"));
                add_val(e, R, th_jobj_get(net, "subnetId"));
                th_jval *gs = th_jobj_get_path(net, "groupSet.items");
                for (uint32_t g = 0; th_jis(gs, TH_JARR) && g < gs->len; g++)
                    if (th_jis(gs->u.items[g], TH_JOBJ))
                        add_val(e, R, th_jobj_get(gs->u.items[g], "groupId"));
            }
        }
        l = mx_json(e->c, "requestParameters.revokedSecurityGroupRuleSet.items");
        for (uint32_t i = 0; th_jis(l, TH_JARR) && i < l->len; i++) {
            if (!th_jis(l->u.items[i], TH_JOBJ))
                continue;
            add_val(e, R, th_jobj_get(l->u.items[i], "securityGroupRuleId"));
            add_val(e, R, th_jobj_get(l->u.items[i], "groupId"));
        }
        if (IS("AuthorizeSecurityGroupIngress") || IS("AuthorizeSecurityGroupEgress")) {
            add_field(e, T, "requestParameters.groupId");
            add_each(e, T, "responseElements.securityGroupRuleSet.items", "securityGroupRuleId");
        } else if (IS("CreateTrafficMirrorFilter")) {
            add_field(e, T, "responseElements.CreateTrafficMirrorFilterResponse.trafficMirrorFilter.trafficMirrorFilterId");
        } else if (IS("CreateTrafficMirrorFilterRule")) {
            add_field(e, T, "responseElements.CreateTrafficMirrorFilterRuleResponse.trafficMirrorFilterRule.trafficMirrorFilterRuleId");
        } else if (IS("CreateTrafficMirrorSession")) {
            add_field(e, T, "responseElements.CreateTrafficMirrorSessionResponse.trafficMirrorSession.trafficMirrorSessionId");
        } else if (IS("CreateTrafficMirrorTarget")) {
            add_field(e, T, "responseElements.CreateTrafficMirrorTargetResponse.trafficMirrorTarget.trafficMirrorTargetId");
        } else if (IS("DeleteFlowLogs")) {
            add_field(e, T, "requestParameters.DeleteFlowLogsRequest.FlowLogId.content");
        } else if (IS("DeleteNetworkAcl")) {
            add_field(e, T, "requestParameters.networkAclId");
        } else if (IS("DeleteNetworkAclEntry")) {
            add_field(e, T, "requestParameters.networkAclId");
            th_jval *rn = mx_json(e->c, "requestParameters.ruleNumber");
            if (rn)
                ss_add(e->c->a, T, mx_render(e->c, rn)); /* String.valueOf */
        } else if (IS("GetPasswordData")) {
            add_field(e, T, "requestParameters.instanceId");
        } else if (IS("ModifyImageAttribute")) {
            add_field(e, T, "requestParameters.imageId");
        } else if (IS("ModifySnapshotAttribute")) {
            add_field(e, T, "requestParameters.snapshotId");
        } else if (IS("DescribeSecurityGroups") || IS("DescribeNetworkInterfaces") ||
                   IS("DescribeRegions") || IS("DescribeVpcs") || IS("DescribeNetworkAcls") ||
                   IS("DescribeVolumes")) {
            add_field(e, T, "recipientAccountId");
        }
    } else if (th_str_eqc(src, "elasticfilesystem.amazonaws.com")) {
        if (IS("DeleteFileSystem"))
            add_field(e, T, "requestParameters.fileSystemId");
        else if (IS("DeleteMountTarget"))
            add_field(e, T, "requestParameters.mountTargetId");
    } else if (th_str_eqc(src, "events.amazonaws.com")) {
        if (IS("DeleteRule"))
            add_field(e, T, "requestParameters.name");
    } else if (th_str_eqc(src, "guardduty.amazonaws.com")) {
        add_fields(e, R, L("requestParameters.detectorId", "responseElements.detectorId"));
        if (IS("CreateDetector"))
            add_field(e, T, "responseElements.detectorId");
        else if (IS("DeleteDetector"))
            add_field(e, T, "requestParameters.detectorId");
    } else if (th_str_eqc(src, "iam.amazonaws.com")) {
        add_fields(e, R, L("requestParameters.userName", "requestParameters.serialNumber",
                           "requestParameters.accessKeyId", "requestParameters.policyArn",
                           "requestParameters.roleName", "requestParameters.policyName",
                           "responseElements.accessKey.userName",
                           "responseElements.accessKey.accessKeyId", "responseElements.user.arn",
                           "responseElements.user.userId", "responseElements.user.userName",
                           "responseElements.userId", "responseElements.role.arn",
                           "responseElements.serialNumber"));
        if (IS("AttachGroupPolicy"))
            add_field(e, T, "requestParameters.groupName");
        else if (IS("AttachRolePolicy") || IS("ListAttachedRolePolicies") ||
                 IS("UpdateAssumeRolePolicy"))
            add_field(e, T, "requestParameters.roleName");
        else if (IS("AttachUserPolicy"))
            add_fields(e, T, L("requestParameters.policyArn", "requestParameters.userName"));
        else if (IS("CreateAccessKey"))
            add_fields(e, T, L("responseElements.accessKey.accessKeyId", "requestParameters.userName"));
        else if (IS("CreateUser") || IS("DeactivateMFADevice"))
            add_field(e, T, "requestParameters.userName");
        else if (IS("DeleteVirtualMFADevice"))
            add_field(e, T, "requestParameters.serialNumber");
        else if (IS("GetPolicy"))
            add_field(e, T, "requestParameters.policyArn");
        else if (IS("CreatePolicy"))
            add_field(e, T, "responseElements.policy.arn");
        else if (IS("ListRoles") || IS("ListUsers"))
            add_field(e, T, "recipientAccountId");
    } else if (th_str_eqc(src, "kms.amazonaws.com")) {
        add_fields(e, R, L("requestParameters.keyId", "responseElements.keyId",
                           "responseElements.keyMetadata.arn", "responseElements.keyMetadata.keyId"));
        if (IS("DisableKey") || IS("ScheduleKeyDeletion"))
            add_each(e, T, "resources", "ARN");
    } else if (th_str_eqc(src, "lambda.amazonaws.com")) {
        add_fields(e, R, L("requestParameters.functionName", "responseElements.functionArn",
                           "responseElements.functionName", "responseElements.role"));
        add_each(e, R, "responseElements.vpcConfig.securityGroupIds", NULL);
        add_each(e, R, "responseElements.vpcConfig.subnetIds", NULL);
        char *nm = th_arena_strndup(e->c->a, name.p ? name.p : "", name.n);
        if (strstr(nm, "AddPermission"))
            add_field(e, T, "requestParameters.functionName");
        else if (strstr(nm, "ListFunctions"))
            add_field(e, T, "recipientAccountId");
    } else if (th_str_eqc(src, "logs.amazonaws.com")) {
        if (IS("DeleteLogGroup"))
            add_field(e, T, "requestParameters.logGroupName");
        else if (IS("DeleteLogStream"))
            add_field(e, T, "requestParameters.logStreamName");
    } else if (th_str_eqc(src, "monitoring.amazonaws.com")) {
        if (IS("DeleteAlarms"))
            add_each(e, T, "requestParameters.alarmNames", NULL);
    } else if (th_str_eqc(src, "rds.amazonaws.com")) {
        add_fields(e, R, L("requestParameters.dBInstanceIdentifier", "requestParameters.dBInstanceArn",
                           "responseElements.dBInstanceIdentifier", "responseElements.dbInstanceArn",
                           "responseElements.dBSubnetGroup.vpcId",
                           "responseElements.vpcSecurityGroups.vpcSecurityGroupId"));
        add_each(e, R, "responseElements.dBSubnetGroup.subnets", "subnetIdentifier");
        add_each(e, R, "responseElements.vpcSecurityGroups", "vpcSecurityGroupId");
        if (IS("DeleteDBCluster") || IS("ModifyDBCluster") || IS("StopDBCluster"))
            add_field(e, T, "responseElements.dBClusterArn");
        else if (IS("DeleteDBInstance") || IS("ModifyDBInstance") ||
                 IS("RestoreDBInstanceFromDBSnapshot") || IS("RestoreDBInstanceFromS3") ||
                 IS("StopDBInstance"))
            add_field(e, T, "responseElements.dBInstanceArn");
        else if (IS("DeleteGlobalCluster"))
            add_field(e, T, "responseElements.globalClusterArn");
        else if (IS("ModifyDBClusterSnapshotAttribute"))
            add_field(e, T, "responseElements.dBClusterSnapshotIdentifier");
        else if (IS("ModifyDBSnapshotAttribute"))
            add_field(e, T, "responseElements.dBSnapshotIdentifier");
        else if (IS("DescribeDBInstances"))
            add_field(e, T, "recipientAccountId");
    } else if (th_str_eqc(src, "rolesanywhere.amazonaws.com")) {
        if (IS("CreateTrustAnchor"))
            add_field(e, T, "responseElements.trustAnchor.trustAnchorArn");
    } else if (th_str_eqc(src, "route53resolver.amazonaws.com")) {
        if (IS("DeleteResolverQueryLogConfig"))
            add_field(e, T, "responseElements.resolverQueryLogConfig.arn");
    } else if (th_str_eqc(src, "s3.amazonaws.com")) {
        add_field(e, R, "requestParameters.bucketName");
        if (IS("CopyObject") || IS("PutBucketLogging") || IS("PutBucketVersioning") ||
            IS("PutObject") || IS("GetBucketPolicy") || IS("ListObjects") || IS("HeadObject") ||
            IS("GetObject") || IS("DeleteObject") || IS("DeleteBucket")) {
            add_each(e, T, "resources", "ARN");
        } else if (IS("PutBucketReplication")) {
            add_each(e, T, "resources", "ARN");
            add_field(e, T, "requestParameters.ReplicationConfiguration.Rule.Destination.Bucket");
        } else if (IS("ListBuckets")) {
            add_field(e, T, "recipientAccountId");
        }
    } else if (th_str_eqc(src, "secretsmanager.amazonaws.com")) {
        if (IS("BatchGetSecretValue"))
            add_each(e, T, "requestParameters.secretIdList", NULL);
        else if (IS("GetSecretValue"))
            add_field(e, T, "requestParameters.secretId");
    } else if (th_str_eqc(src, "signin.amazonaws.com")) {
        if (IS("ConsoleLogin"))
            add_field(e, T, "recipientAccountId");
    } else if (th_str_eqc(src, "ssm.amazonaws.com")) {
        if (IS("GetParameter") || IS("GetParameters") || IS("CreateControlChannel") ||
            IS("OpenControlChannel")) {
            add_each(e, T, "resources", "ARN");
        } else if (IS("StartSession")) {
            add_field(e, T, "requestParameters.target");
        } else if (IS("CreateDocument")) {
            add_field(e, T, "requestParameters.name");
        } else if (IS("TerminateSession") || IS("OpenDataChannel")) {
            add_field(e, T, "requestParameters.sessionId");
        } else if (IS("SendCommand")) {
            th_jval *ids = mx_json(e->c, "requestParameters.instanceIds");
            sset tmp = {0};
            if (th_jis(ids, TH_JARR) && ids->len) {
                for (uint32_t i = 0; i < ids->len; i++)
                    if (th_jis(ids->u.items[i], TH_JSTR))
                        ss_add(e->c->a, &tmp, ids->u.items[i]->u.str);
            } else {
                th_jval *tg = mx_json(e->c, "requestParameters.targets");
                for (uint32_t i = 0; th_jis(tg, TH_JARR) && i < tg->len; i++) {
                    th_jval *vals = th_jis(tg->u.items[i], TH_JOBJ)
                                        ? th_jobj_get(tg->u.items[i], "values") : NULL;
                    for (uint32_t k = 0; th_jis(vals, TH_JARR) && k < vals->len; k++)
                        if (th_jis(vals->u.items[k], TH_JSTR))
                            ss_add(e->c->a, &tmp, vals->u.items[k]->u.str);
                }
            }
            if (tmp.n == 1 && th_str_eqc(tmp.v[0], "*")) {
                add_field(e, T, "recipientAccountId");
            } else {
                for (size_t i = 0; i < tmp.n; i++)
                    ss_add(e->c->a, T, tmp.v[i]);
            }
        } else if (IS("ListInstanceAssociations")) {
            add_field(e, T, "recipientAccountId");
        }
    } else if (th_str_eqc(src, "sts.amazonaws.com")) {
        add_fields(e, R, L("requestParameters.roleArn", "sourceIdentity",
                           "additionalEventData.MFAIdentifier",
                           "responseElements.assumedRoleUser.arn",
                           "requestParameters.roleSessionName", "responseElements.accessKeyId"));
        if (IS("AssumeRole")) {
            if (th_str_eqc(e->ui_type, "AWSService"))
                e->actor = th_jstr(th_jobj_get(e->ui, "invokedBy"));
            else if (th_str_eqc(e->ui_type, "AssumedRole"))
                e->actor = th_jstr(th_jobj_get(e->issuer, "arn"));
            else
                e->actor = th_jstr(th_jobj_get(e->ui, "arn"));
            add_field(e, T, "requestParameters.roleArn");
        } else if (IS("GetCallerIdentity")) {
            add_field(e, T, "recipientAccountId");
            e->actor = th_jstr(th_jobj_get(e->ui, "arn"));
        }
    } else if (th_str_eqc(src, "wafv2.amazonaws.com")) {
        add_fields(e, R, L("requestParameters.id", "responseElements.summary"));
        if (IS("DeleteRuleGroup") || IS("DeleteWebACL"))
            add_field(e, T, "requestParameters.id");
    } else if (th_str_eqc(src, "sns.amazonaws.com")) {
        if (IS("CreateTopic"))
            add_field(e, T, "responseElements.topicArn");
        else if (IS("Subscribe") || IS("Publish"))
            add_field(e, T, "requestParameters.topicArn");
    } else if (th_str_eqc(src, "bedrock.amazonaws.com")) {
        if (IS("Converse"))
            add_field(e, T, "requestParameters.modelId");
    } else if (th_str_eqc(src, "elasticloadbalancing.amazonaws.com")) {
        if (IS("DescribeLoadBalancers"))
            add_field(e, T, "recipientAccountId");
    } else if (th_str_eqc(src, "dynamodb.amazonaws.com")) {
        if (IS("ListTables"))
            add_field(e, T, "recipientAccountId");
    }
}

static bool in_list(th_str s, const char *const *list)
{
    for (; *list; list++)
        if (th_str_eqc(s, *list))
            return true;
    return false;
}

static const char *const user_types[] = {"user", "role", "assumed-role", "federated-user",
                                         "instance-profile", "mfa", "serialNumber", NULL};
static const char *const service_types[] = {
    "stack", "stack-set", "trail", "configuration-recorder", "file-system", "mount-target",
    "rule", "detector", "key", "function", "log-group", "log-stream", "alarm", "db", "cluster",
    "global-cluster", "trust-anchor", "resolver-query-log-config", "secret", "parameter",
    "document", "session", "webacl", "rulegroup", "ipset", "topic", "model", "loadbalancer",
    "table", "group", "policy", "security-group", "network-interface", "vpc", "subnet",
    "network-acl", "dhcp-options", NULL};
static const char *const service_prefixes[] = {"sg-", "sgr-", "eni-", "vpc-", "subnet-", "acl-",
                                               "rtb-", "igw-", "nat-", "vpce-", "tgw-", "pcx-",
                                               NULL};

/* splitOnToken(":") of an ARN: the parts (empty parts kept) */
static size_t split_colon(th_str s, th_str *parts, size_t max)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= s.n && n < max; i++) {
        if (i == s.n || s.p[i] == ':') {
            parts[n++] = th_str_make(s.p + start, i - start);
            start = i + 1;
        }
    }
    return n;
}

static th_str resource_type(th_str part)
{
    const char *slash = part.n ? memchr(part.p, '/', part.n) : NULL;
    if (slash && slash > part.p)
        return th_str_make(part.p, (size_t)(slash - part.p));
    return part;
}

static void classify_targets(ectx *e)
{
    th_arena *a = e->c->a;
    sset user = {0}, host = {0}, svc = {0}, gen = {0};
    for (size_t i = 0; i < e->target.n; i++) {
        th_str t = e->target.v[i];
        bool done = false;
        if (th_str_starts(t, "arn:")) {
            th_str parts[8];
            size_t np = split_colon(t, parts, 8);
            if (np >= 6) {
                th_str rt = resource_type(parts[5]);
                if (mx_find(t, "/AWSServiceRoleFor") || mx_find(t, "/aws-service-role/"))
                    ss_add(a, &svc, t), done = true;
                else if (in_list(rt, user_types))
                    ss_add(a, &user, t), done = true;
                else if (th_str_eqc(rt, "instance"))
                    ss_add(a, &host, t), done = true;
                else if (in_list(rt, service_types))
                    ss_add(a, &svc, t), done = true;
                else if (th_str_eqc(parts[2], "s3"))
                    ss_add(a, &svc, t), done = true;
            }
        } else if (t.n == 20 && th_str_starts(t, "AKIA")) {
            ss_add(a, &user, t), done = true;
        } else if (th_str_starts(t, "i-")) {
            ss_add(a, &host, t), done = true;
        } else {
            for (const char *const *p = service_prefixes; *p && !done; p++)
                if (th_str_starts(t, *p))
                    ss_add(a, &svc, t), done = true;
        }
        if (!done)
            ss_add(a, &gen, t);
    }
    ss_sort(&user), ss_sort(&host), ss_sort(&svc), ss_sort(&gen);
    if (user.n)
        mx_set(e->c, "user.target.entity.id", ss_list(a, &user));
    if (host.n) {
        mx_set(e->c, "host.target.entity.id", ss_list(a, &host));
        sset ids = {0};
        for (size_t i = 0; i < host.n; i++) {
            th_str h = host.v[i];
            if (th_str_starts(h, "arn:")) {
                th_str parts[8];
                size_t np = split_colon(h, parts, 8);
                if (np < 6 || !th_str_eqc(parts[2], "ec2") || !th_str_starts(parts[5], "instance/"))
                    continue;
                /* substring of the whole 6th part on: splitOnToken stops at ':' */
                h = th_str_make(parts[5].p + 9, parts[5].n - 9);
            }
            if (th_str_starts(h, "i-"))
                ss_add(a, &ids, h);
        }
        ss_sort(&ids);
        if (ids.n)
            mx_set(e->c, "host.target.id", ss_list(a, &ids));
    }
    if (svc.n)
        mx_set(e->c, "service.target.entity.id", ss_list(a, &svc));
    if (gen.n)
        mx_set(e->c, "entity.target.id", ss_list(a, &gen));
}

static th_jval *one(th_arena *a, th_str s)
{
    th_jval *arr = th_jnew_arr(a);
    th_jarr_push(a, arr, th_jnew_str(a, s));
    return arr;
}

static void classify_actor(ectx *e)
{
    th_arena *a = e->c->a;
    th_str actor = e->actor;
    mx_set(e->c, "actor.entity.id", one(a, actor));
    th_str type = e->ui_type;
    th_str user_id = actor;
    if (th_str_eqc(type, "AssumedRole")) {
        th_str role = th_jstr(th_jobj_get(e->issuer, "arn"));
        if (role.n)
            user_id = role;
    }
    bool done = false;
    if (th_str_eqc(type, "AWSService") || mx_find(actor, "/AWSServiceRoleFor") ||
        mx_find(actor, "/aws-service-role/")) {
        mx_set(e->c, "service.entity.id", one(a, actor));
        done = true;
    } else if (th_str_eqc(type, "IAMUser") || th_str_eqc(type, "Root") ||
               th_str_eqc(type, "AssumedRole")) {
        mx_set(e->c, "user.entity.id", one(a, user_id));
        done = true;
    }
    if (!done && th_str_starts(actor, "arn:")) {
        th_str parts[8];
        if (split_colon(actor, parts, 8) >= 6) {
            th_str rt = resource_type(parts[5]);
            if (th_str_eqc(rt, "user") || th_str_eqc(rt, "role") || th_str_eqc(rt, "assumed-role") ||
                th_str_eqc(rt, "federated-user")) {
                mx_set(e->c, "user.entity.id", one(a, user_id));
                done = true;
            } else if (th_str_eqc(rt, "instance")) {
                mx_set(e->c, "host.entity.id", one(a, actor));
                done = true;
            }
        }
    }
    if (!done && th_str_starts(actor, "i-")) {
        mx_set(e->c, "host.entity.id", one(a, actor));
        done = true;
    }
    if (!done)
        mx_set(e->c, "entity.id", one(a, actor));
}

void th_ecs_entity(mctx *c)
{
    ectx e = {.c = c};
    e.ui = mx_raw(c, MK_userIdentity);
    e.issuer = th_jobj_get(th_jobj_get(e.ui, "sessionContext"), "sessionIssuer");
    e.ui_type = th_jstr(th_jobj_get(e.ui, "type"));
    const th_jval *obo = th_jobj_get(e.ui, "onBehalfOf");
    e.actor = th_jstr(th_jobj_get(e.ui, "arn"));
    if (!e.actor.p)
        e.actor = th_jstr(th_jobj_get(obo, "userId"));
    add_val(&e, &e.related, th_jobj_get(e.ui, "accessKeyId"));
    add_val(&e, &e.related, th_jobj_get(e.ui, "arn"));
    add_val(&e, &e.related, th_jobj_get(e.ui, "userName"));
    add_val(&e, &e.related, th_jobj_get(e.issuer, "arn"));
    add_val(&e, &e.related, th_jobj_get(e.issuer, "userName"));
    if (th_str_eqc(e.ui_type, "IdentityCenterUser"))
        add_val(&e, &e.related, th_jobj_get(obo, "identityStoreArn"));
    add_each(&e, &e.related, "resources", "ARN");
    services(&e, th_jstr(mx_raw(c, MK_eventSource)), th_jstr(mx_raw(c, MK_eventName)));
    ss_sort(&e.target);
    if (e.target.n) {
        mx_set(c, "target.entity.id", ss_list(c->a, &e.target));
        classify_targets(&e);
        for (size_t i = 0; i < e.target.n; i++)
            ss_add(c->a, &e.related, e.target.v[i]);
    }
    if (e.actor.p)
        classify_actor(&e);
    ss_sort(&e.related);
    mx_set(c, "related.entity", ss_list(c->a, &e.related));
}
