/* ECS categorisation (script_add_ecs_categorization of the newest pipeline):
 * event.kind = event, event.type = [info], event.outcome from the error fields
 * (ConsoleLogin: its responseElements.ConsoleLogin, lowercased), then the
 * per-action category/type table below (sorted by action for bsearch). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ecs/mapper_int.h"

typedef struct cat_row {
    const char *action;
    const char *category;
    const char *type[3];
} cat_row;

static const cat_row rows[] = {
    {"AddUserToGroup", "iam", {"group", "change"}},
    {"AssumeRole", "authentication", {"info"}},
    {"AttachGroupPolicy", "iam", {"group", "change"}},
    {"AttachRolePolicy", "iam", {"change"}},
    {"AttachUserPolicy", "iam", {"user", "change"}},
    {"AuthorizeSecurityGroupIngress", "network", {"access"}},
    {"ChangePassword", "iam", {"user", "change"}},
    {"ConsoleLogin", "authentication", {"info"}},
    {"Converse", "api", {"info"}},
    {"CreateAccessKey", "iam", {"user", "change"}},
    {"CreateBucket", "file", {"creation"}},
    {"CreateControlChannel", "session", {"start"}},
    {"CreateDataChannel", "session", {"start"}},
    {"CreateDocument", "file", {"creation"}},
    {"CreateGroup", "iam", {"group", "creation"}},
    {"CreateKeyPair", "iam", {"admin", "creation"}},
    {"CreatePolicy", "iam", {"creation"}},
    {"CreateTopic", "configuration", {"creation"}},
    {"CreateUser", "iam", {"user", "creation"}},
    {"CreateVirtualMFADevice", "iam", {"user", "change"}},
    {"DeactivateMFADevice", "iam", {"user", "change"}},
    {"DeleteAccessKey", "iam", {"user", "change"}},
    {"DeleteBucket", "file", {"deletion"}},
    {"DeleteGroup", "iam", {"group", "deletion"}},
    {"DeleteGroupPolicy", "iam", {"group", "change"}},
    {"DeleteObject", "file", {"deletion"}},
    {"DeleteSSHPublicKey", "iam", {"user", "change"}},
    {"DeleteTrail", "configuration", {"deletion"}},
    {"DeleteUser", "iam", {"user", "deletion"}},
    {"DeleteUserPermissionsBoundary", "iam", {"user", "change"}},
    {"DeleteUserPolicy", "iam", {"user", "change"}},
    {"DeleteVirtualMFADevice", "iam", {"user", "change"}},
    {"DescribeDBInstances", "database", {"info"}},
    {"DescribeInstances", "host", {"info"}},
    {"DescribeLoadBalancers", "network", {"info"}},
    {"DescribeNetworkAcls", "network", {"info"}},
    {"DescribeNetworkInterfaces", "network", {"info"}},
    {"DescribeRegions", "api", {"info"}},
    {"DescribeSecurityGroups", "network", {"info"}},
    {"DescribeTrails", "configuration", {"info"}},
    {"DescribeVolumes", "host", {"info"}},
    {"DescribeVpcs", "network", {"info"}},
    {"DetachGroupPolicy", "iam", {"group", "change"}},
    {"DetachUserPolicy", "iam", {"user", "change"}},
    {"EnableMFADevice", "iam", {"user", "change"}},
    {"GetCallerIdentity", "authentication", {"info"}},
    {"GetGroup", "iam", {"group", "info"}},
    {"GetGroupPolicy", "iam", {"group", "info"}},
    {"GetObject", "file", {"info"}},
    {"GetPolicy", "iam", {"info"}},
    {"GetUser", "iam", {"user", "info"}},
    {"GetUserPolicy", "iam", {"user", "info"}},
    {"HeadObject", "file", {"info"}},
    {"ListAttachedGroupPolicies", "iam", {"group", "info"}},
    {"ListAttachedRolePolicies", "iam", {"info"}},
    {"ListAttachedUserPolicies", "iam", {"user", "info"}},
    {"ListBuckets", "file", {"info"}},
    {"ListFunctions", "package", {"info"}},
    {"ListGroupPolicies", "iam", {"group", "info"}},
    {"ListGroups", "iam", {"group", "info"}},
    {"ListGroupsForUser", "iam", {"user", "info"}},
    {"ListInstanceAssociations", "host", {"info"}},
    {"ListObjects", "file", {"info"}},
    {"ListRoles", "iam", {"info"}},
    {"ListTables", "database", {"info"}},
    {"ListUserPolicies", "iam", {"user", "info"}},
    {"ListUserTags", "iam", {"user", "info"}},
    {"ListUsers", "iam", {"user", "info"}},
    {"OpenControlChannel", "session", {"start"}},
    {"OpenDataChannel", "session", {"start"}},
    {"Publish", "api", {"info"}},
    {"PutGroupPolicy", "iam", {"group", "change"}},
    {"PutObject", "file", {"change"}},
    {"PutUserPermissionsBoundary", "iam", {"user", "change"}},
    {"PutUserPolicy", "iam", {"user", "change"}},
    {"RemoveUserFromGroup", "iam", {"group", "change"}},
    {"SendCommand", "process", {"start"}},
    {"SetDefaultPolicyVersion", "iam", {"admin", "change"}},
    {"SetSecurityTokenServicePreferences", "iam", {"admin", "change"}},
    {"StartSession", "session", {"start"}},
    {"Subscribe", "configuration", {"change"}},
    {"TagUser", "iam", {"user", "change"}},
    {"TerminateSession", "session", {"end"}},
    {"UntagUser", "iam", {"user", "change"}},
    {"UpdateAccessKey", "iam", {"user", "change"}},
    {"UpdateAccountPasswordPolicy", "iam", {"admin", "change"}},
    {"UpdateGroup", "iam", {"group", "change"}},
    {"UpdateLoginProfile", "iam", {"user", "change"}},
    {"UpdateRole", "iam", {"admin", "change"}},
    {"UpdateSSHPublicKey", "iam", {"user", "change"}},
    {"UpdateUser", "iam", {"user", "change"}},
};

static int cmp_row(const void *k, const void *r)
{
    return strcmp((const char *)k, ((const cat_row *)r)->action);
}

bool th_ecs_login_outcome(th_str action) { return th_str_eqc(action, "ConsoleLogin"); }

/* The table's row of an action (a string), or NULL. */
static const cat_row *row_of(th_str action)
{
    char key[128];
    if (action.n >= sizeof key)
        return NULL;
    memcpy(key, action.p, action.n);
    key[action.n] = 0;
    return bsearch(key, rows, sizeof rows / sizeof rows[0], sizeof rows[0], cmp_row);
}

const char *th_ecs_action_category(th_str action)
{
    const cat_row *r = row_of(action);
    return r ? r->category : NULL;
}

void th_ecs_categorize(mctx *c)
{
    th_arena *a = c->a;
    mx_dst ev = MX_DST("event");
    /* type and category: an optional block (demand.h); kind and outcome
     * always */
    bool typed = mx_runs(c, TH_MB_CATEGORY);
    mx_put(c, &ev, "kind", th_jnew_cstr(a, "event"));
    if (typed) {
        th_jval *types = th_jnew_arr(a);
        th_jarr_push(a, types, th_jnew_cstr(a, "info"));
        mx_put(c, &ev, "type", types);
    }
    /* aws.cloudtrail.error_code and error_message: what the mapping renamed
     * there from the raw record (nothing else writes them) */
    bool failed = mx_raw(c, MK_errorCode) || mx_raw(c, MK_errorMessage);
    mx_put(c, &ev, "outcome", th_jnew_cstr(a, failed ? "failure" : "success"));
    th_jval *action = mx_dst_get(c, &ev, "action");
    if (!th_jis(action, TH_JSTR))
        return;
    th_str act = action->u.str;
    th_jval *cl = th_ecs_login_outcome(act)
                      ? mx_raw_at(c, MK_responseElements, "ConsoleLogin")
                      : NULL;
    if (th_jis(cl, TH_JSTR)) {
        char *low = th_arena_strndup(a, cl->u.str.p, cl->u.str.n);
        for (size_t i = 0; i < cl->u.str.n; i++)
            low[i] = (char)tolower((unsigned char)low[i]);
        mx_put(c, &ev, "outcome", th_jnew_str(a, th_str_make(low, cl->u.str.n)));
    }
    if (!typed)
        return;
    const cat_row *r = row_of(act);
    if (!r)
        return;
    th_jval *cat = th_jnew_arr(a);
    th_jarr_push(a, cat, th_jnew_cstr(a, r->category));
    mx_put(c, &ev, "category", cat);
    th_jval *ty = th_jnew_arr(a);
    for (size_t i = 0; i < 3 && r->type[i]; i++)
        th_jarr_push(a, ty, th_jnew_cstr(a, r->type[i]));
    mx_put(c, &ev, "type", ty);
}
