/* Attack stories against the defences and for reconnaissance: CloudTrail,
 * GuardDuty and Config tampering; a burst of discovery calls from the CLI. */
#include <string.h>

#include "emulate/emu.h"
#include "emulate/rules.h"

static int64_t step(emu_ctx *c, int64_t t, int lo, int hi)
{
    return t + th_rng_range(&c->rng, lo, hi) * 1000;
}

void emu_story_log_tamper(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t = emu_story_start(c);
    emu_actor a =
        emu_role(c, emu_keep(c, "%s-security-audit", w->org), "audit", w->attacker_ip[0], NULL);
    a.session_start = t - 1200000;
    const char *trail = w->trail_arn;
    const char *det = w->detector_id;
    struct {
        const char *svc, *name, *cmd;
        bool ro;
        const char *params, *response, *step, *rules;
    } s[] = {
        {"cloudtrail.amazonaws.com", "DescribeTrails", "cloudtrail.describe-trails", true,
         "{\"includeShadowTrails\":true}", NULL, "describe-trails", NULL},
        {"cloudtrail.amazonaws.com", "GetTrailStatus", "cloudtrail.get-trail-status", true,
         emu_printf(c, "{\"name\":\"%s\"}", trail), NULL, "trail-status", NULL},
        {"cloudtrail.amazonaws.com", "PutEventSelectors", "cloudtrail.put-event-selectors", false,
         emu_printf(c,
                    "{\"trailName\":\"%s\",\"eventSelectors\":[{\"readWriteType\":\"All\","
                    "\"includeManagementEvents\":false,\"dataResources\":[],"
                    "\"excludeManagementEventSources\":[]}]}",
                    trail),
         emu_printf(c,
                    "{\"trailARN\":\"%s\",\"eventSelectors\":[{\"readWriteType\":\"All\","
                    "\"includeManagementEvents\":false,\"dataResources\":[],"
                    "\"excludeManagementEventSources\":[]}]}",
                    trail),
         "drop-management-events", R_CT_SELECTORS},
        {"cloudtrail.amazonaws.com", "StopLogging", "cloudtrail.stop-logging", false,
         emu_printf(c, "{\"name\":\"%s\"}", trail), NULL, "stop-logging", R_CT_STOP},
        {"cloudtrail.amazonaws.com", "UpdateTrail", "cloudtrail.update-trail", false,
         emu_printf(c, "{\"name\":\"%s\",\"s3BucketName\":\"log-archive-%s\"}", trail,
                    w->attacker_account),
         emu_printf(
             c,
             "{\"name\":\"%s-org-trail\",\"s3BucketName\":\"log-archive-%s\","
             "\"includeGlobalServiceEvents\":true,"
             "\"isMultiRegionTrail\":true,\"trailARN\":\"%s\",\"logFileValidationEnabled\":false,"
             "\"isOrganizationTrail\":false}",
             w->org, w->attacker_account, trail),
         "redirect-trail", R_CT_UPDATE},
        {"guardduty.amazonaws.com", "ListDetectors", "guardduty.list-detectors", true, "{}", NULL,
         "list-detectors", NULL},
        {"guardduty.amazonaws.com", "CreateIPSet", "guardduty.create-ip-set", false,
         emu_printf(
             c,
             "{\"detectorId\":\"%s\",\"name\":\"trusted-ops\",\"format\":\"TXT\",\"location\":"
             "\"https://s3.amazonaws.com/log-archive-%s/trusted.txt\",\"activate\":true}",
             det, w->attacker_account),
         emu_printf(c, "{\"ipSetId\":\"%s\"}", emu_hex(c, 32)), "trusted-ip-set", R_GD_SUPPRESS},
        {"guardduty.amazonaws.com", "UpdateDetector", "guardduty.update-detector", false,
         emu_printf(c, "{\"detectorId\":\"%s\",\"enable\":false}", det), NULL, "disable-detector",
         R_GD_SUPPRESS},
        {"guardduty.amazonaws.com", "DisassociateFromAdministratorAccount",
         "guardduty.disassociate-from-administrator-account", false,
         emu_printf(c, "{\"detectorId\":\"%s\"}", det), NULL, "leave-administrator", R_GD_MEMBER},
        {"guardduty.amazonaws.com", "DeleteDetector", "guardduty.delete-detector", false,
         emu_printf(c, "{\"detectorId\":\"%s\"}", det), NULL, "delete-detector", R_GD_DELETE},
        {"config.amazonaws.com", "StopConfigurationRecorder",
         "configservice.stop-configuration-recorder", false,
         "{\"configurationRecorderName\":\"default\"}", NULL, "stop-config-recorder",
         R_CONFIG_STOP},
        {"cloudtrail.amazonaws.com", "DeleteTrail", "cloudtrail.delete-trail", false,
         emu_printf(c, "{\"name\":\"%s\"}", trail), NULL, "delete-trail", R_CT_DELETE},
    };
    char *keep[sizeof s / sizeof s[0]][2];
    /* the params live in the scratch arena, which each emit resets: copy first */
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        keep[i][0] = s[i].params ? emu_keep(c, "%s", s[i].params) : NULL;
        keep[i][1] = s[i].response ? emu_keep(c, "%s", s[i].response) : NULL;
    }
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        a.agent = emu_ua_cli(c, s[i].cmd);
        emu_event e = emu_ev(&a, t, s[i].svc, s[i].name, s[i].ro, keep[i][0]);
        e.response = keep[i][1];
        emu_attack(c, &e, s[i].step, s[i].rules);
        t = step(c, t, 4, 50);
    }
}

void emu_story_discovery(emu_ctx *c)
{
    const emu_world *w = c->w;
    int64_t t0 = emu_story_start(c);
    emu_actor a = emu_iam_user(c, 7, false);
    a.source = w->attacker_ip[1];
    emu_event e = emu_ev(&a, t0, "sts.amazonaws.com", "GetCallerIdentity", true, NULL);
    a.agent = emu_ua_cli(c, "sts.get-caller-identity");
    emu_attack(c, &e, "whoami", R_GETCALLER);
    static const char *const calls[][3] = {
        {"iam.amazonaws.com", "ListUsers", "iam.list-users"},
        {"iam.amazonaws.com", "ListRoles", "iam.list-roles"},
        {"iam.amazonaws.com", "GetAccountAuthorizationDetails",
         "iam.get-account-authorization-details"},
        {"ec2.amazonaws.com", "DescribeInstances", "ec2.describe-instances"},
        {"ec2.amazonaws.com", "DescribeSecurityGroups", "ec2.describe-security-groups"},
        {"ec2.amazonaws.com", "DescribeVpcs", "ec2.describe-vpcs"},
        {"s3.amazonaws.com", "ListBuckets", "s3api.list-buckets"},
        {"lambda.amazonaws.com", "ListFunctions20150331", "lambda.list-functions"},
        {"rds.amazonaws.com", "DescribeDBInstances", "rds.describe-db-instances"},
        {"kms.amazonaws.com", "ListKeys", "kms.list-keys"},
        {"cloudtrail.amazonaws.com", "DescribeTrails", "cloudtrail.describe-trails"},
        {"dynamodb.amazonaws.com", "ListTables", "dynamodb.list-tables"},
        {"organizations.amazonaws.com", "DescribeOrganization",
         "organizations.describe-organization"},
    };
    /* all inside one 10-second window, as the ES|QL rule buckets them */
    int64_t base = (t0 / 10000 + 2) * 10000;
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        a.agent = emu_ua_cli(c, calls[i][2]);
        int64_t t = base + (int64_t)(i * 9000 / (sizeof calls / sizeof calls[0])) +
                    th_rng_range(&c->rng, 0, 400);
        e = emu_ev(&a, t, calls[i][0], calls[i][1], true, NULL);
        if (!strcmp(calls[i][0], "s3.amazonaws.com"))
            e.tls_host = "s3.amazonaws.com";
        if (!strcmp(calls[i][1], "DescribeOrganization")) {
            e.error_code = "AWSOrganizationsNotInUseException";
            e.error_message = "Your account is not a member of an organization.";
        }
        emu_attack(c, &e, "discovery-burst", e.error_code ? NULL : R_DISCOVERY_CLI);
    }
}
