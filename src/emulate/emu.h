/* Internal model of the emulator: actors (who calls), events (one API call),
 * the world of names shared by all scenarios, and the emit path that renders an
 * event as CloudTrail JSON plus its label.
 *
 * Ownership: a world and its strings live in the run's arena; events borrow
 * strings (literals, world strings, or the per-event scratch arena, which is
 * reset after each emit).
 * Thread safety: everything hangs off one emu_ctx, used by one thread. */
#ifndef TH_EMULATE_EMU_H
#define TH_EMULATE_EMU_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/vec.h"
#include "emulate/prng.h"

typedef enum emu_idtype {
    EMU_IAMUSER,
    EMU_ASSUMED,
    EMU_AWSSERVICE,
    EMU_ROOT,
    EMU_FEDERATED,
    EMU_WEBIDENTITY, /* name = token subject, role = identity provider */
} emu_idtype;

/* The caller of an API: identity plus the network and client it calls from. */
typedef struct emu_actor {
    emu_idtype type;
    const char *account;
    const char *name;       /* IAM user name, role session name, federated name */
    const char *uid;        /* AIDA... / AROA... unique id */
    const char *role;       /* session issuer: role name (assumed) or user name (federated) */
    const char *role_path;  /* path of the issuer role, "" or "aws-reserved/sso.amazonaws.com/" */
    const char *issuer_uid; /* federated: the issuing user's AIDA id */
    const char *access_key; /* AKIA.../ASIA...; NULL = no accessKeyId, "" = empty */
    bool session;           /* sessionContext present (temporary credentials) */
    bool mfa;
    int64_t session_start;  /* sessionContext.attributes.creationDate */
    const char *invoked_by; /* userIdentity.invokedBy, or NULL */
    const char *source;     /* sourceIPAddress: an IP or a service name */
    const char *agent;      /* userAgent */
    bool console;           /* sessionCredentialFromConsole "true" */
    bool ec2_role;          /* ec2RoleDelivery "2.0" */
} emu_actor;

/* One API call. NULL fields take defaults (see emu_emit). */
typedef struct emu_event {
    const emu_actor *who;
    int64_t t;
    const char *region;
    const char *service; /* eventSource, e.g. "iam.amazonaws.com" */
    const char *name;    /* eventName */
    const char *params;  /* requestParameters JSON text; NULL = null */
    const char *response;
    const char *extra;     /* additionalEventData JSON; NULL = absent */
    const char *resources; /* resources JSON array; NULL = absent */
    const char *error_code, *error_message;
    const char *event_type;      /* NULL = "AwsApiCall" */
    const char *service_details; /* serviceEventDetails JSON, or NULL */
    const char *tls_host;        /* NULL = derived from the service; "" = no tlsDetails */
    const char *request_id;      /* NULL = random UUID */
    const char *shared_id;       /* sharedEventID, or NULL */
    /* recipientAccountId when it is not the caller's account (a cross-account
     * call delivered to the resource owner), or NULL */
    const char *recipient;
    bool read_only;
    bool data_event;   /* eventCategory Data, managementEvent false */
    bool no_read_only; /* leave readOnly out (sign-in events) */
    /* label */
    const char *step;
    bool malicious;
    const char *rules; /* comma-separated Elastic rule_ids expected to fire, or NULL */
} emu_event;

/* Names shared by all scenarios of a run, derived from the seed. */
typedef struct emu_world {
    const char *account, *account2, *attacker_account;
    const char *org; /* short company name used in resource names */
    const char *office_ip[3];
    const char *vpn_ip;
    const char *nat_ip[3]; /* egress IPs of workloads */
    const char *ci_ip[3];  /* hosted CI runners */
    const char *attacker_ip[3];
    const char *users[8]; /* IAM users (humans) */
    const char *user_ip[8];
    const char *user_akia[8];
    const char *user_aida[8];
    const char *buckets[6];
    const char *instances[6];
    const char *functions[5];
    const char *secrets[30];
    const char *trail_arn;
    const char *detector_id;
    int64_t start, end; /* the period */
} emu_world;

typedef struct emu_meta {
    int64_t t;
    const char *account, *region; /* world or static strings */
    size_t off, len;              /* record text in the collection buffer */
    size_t loff, llen;            /* label text */
    bool malicious;
} emu_meta;

/* Rendered records in generation order. */
typedef struct emu_coll {
    th_buf text;
    TH_VEC(emu_meta) meta;
} emu_coll;

typedef struct emu_ctx {
    th_rng rng;
    th_arena *scratch; /* reset after each emit */
    th_arena *world_arena;
    const emu_world *w;
    const char *scenario;
    const char *technique;
    emu_coll *out;
    void *state; /* per-scenario state that lives across calls (background pools) */
} emu_ctx;

/* Renders ev as CloudTrail JSON (AWS field order) and its label into ctx->out,
 * then resets the scratch arena. */
void emu_emit(emu_ctx *c, const emu_event *ev);

/* ---- helpers for scenario code (emulate/names.c) ---------------------- */
char *emu_printf(emu_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Persistent string (world arena), for actors that outlive one event. */
char *emu_keep(emu_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *emu_key(emu_ctx *c, const char *prefix); /* AKIA/ASIA/AIDA/AROA + 16 */
const char *emu_uuid(emu_ctx *c);
const char *emu_s3_request_id(emu_ctx *c);
const char *emu_hex(emu_ctx *c, int n);
/* Standard base64 (RFC 4648, padded) of a C string, in the scratch arena. */
const char *emu_base64(emu_ctx *c, const char *s);
const char *emu_pick(emu_ctx *c, const char *const *v, size_t n);
#define EMU_PICK(c, arr) emu_pick((c), (arr), sizeof(arr) / sizeof((arr)[0]))
/* "2024-06-02T19:41:40Z" into out[21]. */
void emu_time(int64_t ms, char out[24]);
/* Formats a time in the scratch arena. */
const char *emu_time_str(emu_ctx *c, int64_t ms);
/* The AccessDenied error text AWS writes for an identity and action. */
const char *emu_denied(emu_ctx *c, const emu_actor *who, const char *action, const char *resource);
/* "Jan 8, 2020, 9:43:06 PM", the date format of IAM and STS responses. */
const char *emu_aws_date(emu_ctx *c, int64_t ms);
/* An event with the common fields set (region us-east-1, step, label). */
emu_event emu_ev(const emu_actor *who, int64_t t, const char *service, const char *name, bool ro,
                 const char *params);
/* Emits a malicious event: `rules` plus the rules any such event satisfies by
 * its shape alone (IAM calls on a user's session token from an IP; long-term
 * key use from an address, a new-terms pair). */
void emu_attack(emu_ctx *c, emu_event *e, const char *step, const char *rules);
/* Emits a benign event. */
void emu_benign(emu_ctx *c, emu_event *e, const char *step);
/* The ARN of an actor as userIdentity.arn shows it. */
const char *emu_arn(emu_ctx *c, const emu_actor *who);

/* User agents of real clients. */
const char *emu_ua_cli(emu_ctx *c, const char *command); /* aws-cli v2, md/command#... */
const char *emu_ua_boto(emu_ctx *c);
const char *emu_ua_sdk(emu_ctx *c); /* java, go, js */
const char *emu_ua_terraform(emu_ctx *c, const char *api);
const char *emu_ua_browser(emu_ctx *c);

/* Builds the world for a run (names from the seed). */
void emu_world_init(emu_world *w, th_arena *a, uint64_t seed, int64_t start, int64_t end);

/* Actor constructors (strings persist in the world arena). */
emu_actor emu_iam_user(emu_ctx *c, int user, bool session_creds);
emu_actor emu_role(emu_ctx *c, const char *role, const char *session, const char *source,
                   const char *agent);
emu_actor emu_service(const char *service);
emu_actor emu_root(emu_ctx *c, const char *source, const char *agent);

/* ---- scenario entry points ------------------------------------------- */
typedef void (*emu_story_fn)(emu_ctx *c);
void emu_background_slice(emu_ctx *c, int64_t from, int64_t to, double rate);
void emu_background_free(emu_ctx *c);
void emu_story_iam_temp_creds(emu_ctx *c);
void emu_story_access_keys(emu_ctx *c);
void emu_story_log_tamper(emu_ctx *c);
void emu_story_s3_exfil(emu_ctx *c);
void emu_story_s3_ransom(emu_ctx *c);
void emu_story_ec2_userdata(emu_ctx *c);
void emu_story_snapshot_share(emu_ctx *c);
void emu_story_secrets(emu_ctx *c);
void emu_story_lambda_backdoor(emu_ctx *c);
void emu_story_console(emu_ctx *c);
void emu_story_discovery(emu_ctx *c);
void emu_story_bedrock(emu_ctx *c);
void emu_benign_cicd(emu_ctx *c);
void emu_benign_console_admin(emu_ctx *c);
void emu_benign_aws_internal(emu_ctx *c);
void emu_benign_iam_lookalikes(emu_ctx *c);
void emu_story_cryptomining(emu_ctx *c);
void emu_story_sagemaker(emu_ctx *c);
void emu_story_ci_token_theft(emu_ctx *c);
void emu_story_eks_irsa(emu_ctx *c);
void emu_benign_esql_lookalikes(emu_ctx *c);
/* Shared by an attack story and its look-alikes (stories_cloud.c):
 * GetServiceQuota ec2/L-1216C47A in n regions inside the 30-second bucket
 * starting at `bucket`; a service account's AssumeRoleWithWebIdentity through
 * the cluster's EKS OIDC provider, returning the issued key. */
void emu_quota_sweep(emu_ctx *c, const emu_actor *a, int64_t bucket, int n, bool attack,
                     const char *step);
const char *emu_irsa_assume(emu_ctx *c, int64_t t, const char *sa, const char *role, const char *ip,
                            bool attack);
/* One GitHub Actions run of the platform deploy role from a hosted runner:
 * the OIDC web identity exchange, the action's own GetCallerIdentity
 * (configure-aws-credentials' client string), then `reads` Terraform plan
 * reads; benign events. Returns the run's access key. */
const char *emu_gha_run(emu_ctx *c, int64_t t, const char *runner_ip, int reads);

/* When an attack story starts: a deterministic instant in the later part of the
 * period (so new-terms rules have benign history before it). */
int64_t emu_story_start(emu_ctx *c);

#endif
