/* Rendering one emulated API call as CloudTrail JSON, in the field order AWS
 * writes (eventVersion, userIdentity, eventTime, eventSource, eventName,
 * awsRegion, sourceIPAddress, userAgent, errorCode, errorMessage,
 * requestParameters, responseElements, additionalEventData, requestID,
 * eventID, readOnly, resources, eventType, managementEvent, recipientAccountId,
 * sharedEventID, eventCategory, tlsDetails, sessionCredentialFromConsole), and
 * its label line. Written straight into a buffer: this is the hot path of
 * `emulate background` (hundreds of MB per run). */
#include <string.h>

#include "emulate/emu.h"
#include "json/json.h"

#define LIT(b, s) th_buf_put((b), (s), sizeof(s) - 1)

static void qstr(th_buf *b, const char *s)
{
    th_json_write_str(b, th_str_c(s ? s : ""));
}

/* `"key":"value"` preceded by a comma. */
static void kv(th_buf *b, const char *k, const char *v)
{
    th_buf_putc(b, ',');
    th_buf_putc(b, '"');
    th_buf_puts(b, k);
    LIT(b, "\":");
    qstr(b, v);
}

static void attributes(th_buf *b, const emu_actor *a)
{
    char t[24];
    emu_time(a->session_start, t);
    LIT(b, "\"attributes\":{\"creationDate\":\"");
    th_buf_puts(b, t);
    LIT(b, "\",\"mfaAuthenticated\":\"");
    th_buf_puts(b, a->mfa ? "true" : "false");
    LIT(b, "\"}");
}

static void identity(th_buf *b, const emu_actor *a)
{
    const char *acc = a->account;
    switch (a->type) {
    case EMU_AWSSERVICE:
        LIT(b, "{\"type\":\"AWSService\"");
        kv(b, "invokedBy", a->invoked_by);
        th_buf_putc(b, '}');
        return;
    case EMU_IAMUSER:
        LIT(b, "{\"type\":\"IAMUser\"");
        kv(b, "principalId", a->uid);
        th_buf_printf(b, ",\"arn\":\"arn:aws:iam::%s:user/%s\"", acc, a->name);
        kv(b, "accountId", acc);
        if (a->access_key)
            kv(b, "accessKeyId", a->access_key);
        kv(b, "userName", a->name);
        if (a->session) {
            LIT(b, ",\"sessionContext\":{\"sessionIssuer\":{},\"webIdFederationData\":{},");
            attributes(b, a);
            th_buf_putc(b, '}');
        }
        break;
    case EMU_ROOT:
        LIT(b, "{\"type\":\"Root\"");
        kv(b, "principalId", acc);
        th_buf_printf(b, ",\"arn\":\"arn:aws:iam::%s:root\"", acc);
        kv(b, "accountId", acc);
        if (a->access_key)
            kv(b, "accessKeyId", a->access_key);
        if (a->session) {
            LIT(b, ",\"sessionContext\":{\"sessionIssuer\":{},\"webIdFederationData\":{},");
            attributes(b, a);
            th_buf_putc(b, '}');
        }
        break;
    case EMU_ASSUMED:
        LIT(b, "{\"type\":\"AssumedRole\"");
        th_buf_printf(b, ",\"principalId\":\"%s:%s\"", a->uid, a->name);
        th_buf_printf(b, ",\"arn\":\"arn:aws:sts::%s:assumed-role/%s/%s\"", acc, a->role, a->name);
        kv(b, "accountId", acc);
        if (a->access_key)
            kv(b, "accessKeyId", a->access_key);
        LIT(b, ",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\"");
        kv(b, "principalId", a->uid);
        th_buf_printf(b, ",\"arn\":\"arn:aws:iam::%s:role/%s%s\"", acc,
                      a->role_path ? a->role_path : "", a->role);
        kv(b, "accountId", acc);
        kv(b, "userName", a->role);
        LIT(b, "},\"webIdFederationData\":{},");
        attributes(b, a);
        if (a->ec2_role)
            LIT(b, ",\"ec2RoleDelivery\":\"2.0\"");
        th_buf_putc(b, '}');
        break;
    case EMU_WEBIDENTITY:
        LIT(b, "{\"type\":\"WebIdentityUser\"");
        th_buf_printf(b, ",\"principalId\":\"%s:sts.amazonaws.com:%s\"", a->role, a->name);
        kv(b, "userName", a->name);
        kv(b, "identityProvider", a->role);
        break;
    case EMU_FEDERATED:
        LIT(b, "{\"type\":\"FederatedUser\"");
        th_buf_printf(b, ",\"principalId\":\"%s:%s\"", acc, a->name);
        th_buf_printf(b, ",\"arn\":\"arn:aws:sts::%s:federated-user/%s\"", acc, a->name);
        kv(b, "accountId", acc);
        if (a->access_key)
            kv(b, "accessKeyId", a->access_key);
        LIT(b, ",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"IAMUser\"");
        kv(b, "principalId", a->issuer_uid);
        th_buf_printf(b, ",\"arn\":\"arn:aws:iam::%s:user/%s\"", acc, a->role);
        kv(b, "accountId", acc);
        kv(b, "userName", a->role);
        LIT(b, "},\"webIdFederationData\":{},");
        attributes(b, a);
        th_buf_putc(b, '}');
        break;
    }
    if (a->invoked_by)
        kv(b, "invokedBy", a->invoked_by);
    th_buf_putc(b, '}');
}

static const char *version_for(const char *service, bool data)
{
    if (data)
        return "1.10";
    if (!strcmp(service, "iam.amazonaws.com") || !strcmp(service, "signin.amazonaws.com") ||
        !strcmp(service, "sts.amazonaws.com"))
        return "1.08";
    return "1.09";
}

/* clientProvidedHostHeader as the SDKs send it. */
static void tls_host(th_buf *b, const emu_event *ev)
{
    if (ev->tls_host) {
        th_buf_puts(b, ev->tls_host);
        return;
    }
    const char *svc = ev->service;
    size_t n = strcspn(svc, ".");
    if (!strcmp(svc, "iam.amazonaws.com") || !strcmp(svc, "sts.amazonaws.com")) {
        th_buf_puts(b, svc);
        return;
    }
    if (!strcmp(svc, "signin.amazonaws.com")) {
        th_buf_puts(b, "signin.aws.amazon.com");
        return;
    }
    if (!strcmp(svc, "bedrock.amazonaws.com") &&
        (!strncmp(ev->name, "Invoke", 6) || !strncmp(ev->name, "Converse", 8))) {
        th_buf_printf(b, "bedrock-runtime.%s.amazonaws.com", ev->region);
        return;
    }
    th_buf_put(b, svc, n);
    th_buf_printf(b, ".%s.amazonaws.com", ev->region);
}

static void label(emu_ctx *c, const emu_event *ev, const char *event_id, const char *when)
{
    th_buf *b = &c->out->text;
    LIT(b, "{\"eventID\":\"");
    th_buf_puts(b, event_id);
    LIT(b, "\",\"time\":\"");
    th_buf_puts(b, when);
    LIT(b, "\",\"action\":");
    qstr(b, ev->name);
    LIT(b, ",\"scenario\":");
    qstr(b, c->scenario);
    LIT(b, ",\"step\":");
    qstr(b, ev->step ? ev->step : "activity");
    LIT(b, ",\"malicious\":");
    th_buf_puts(b, ev->malicious ? "true" : "false");
    LIT(b, ",\"technique\":");
    qstr(b, ev->malicious ? c->technique : "");
    LIT(b, ",\"rules\":[");
    for (const char *r = ev->rules; r && *r;) {
        size_t n = strcspn(r, ",");
        if (r != ev->rules)
            th_buf_putc(b, ',');
        th_json_write_str(b, th_str_make(r, n));
        r += n;
        if (*r == ',')
            r++;
    }
    LIT(b, "]}");
}

void emu_emit(emu_ctx *c, const emu_event *ev)
{
    th_buf *b = &c->out->text;
    const emu_actor *a = ev->who;
    const char *event_id = emu_uuid(c);
    char when[24];
    emu_time(ev->t, when);
    size_t off = b->len;
    const char *account = ev->recipient               ? ev->recipient
                          : a->type == EMU_AWSSERVICE ? c->w->account
                                                      : a->account;

    LIT(b, "{\"eventVersion\":\"");
    th_buf_puts(b, version_for(ev->service, ev->data_event));
    LIT(b, "\",\"userIdentity\":");
    identity(b, a);
    kv(b, "eventTime", when);
    kv(b, "eventSource", ev->service);
    kv(b, "eventName", ev->name);
    kv(b, "awsRegion", ev->region);
    kv(b, "sourceIPAddress", a->source);
    kv(b, "userAgent", a->agent);
    if (ev->error_code)
        kv(b, "errorCode", ev->error_code);
    if (ev->error_message)
        kv(b, "errorMessage", ev->error_message);
    LIT(b, ",\"requestParameters\":");
    th_buf_puts(b, ev->params ? ev->params : "null");
    LIT(b, ",\"responseElements\":");
    th_buf_puts(b, ev->response && !ev->error_code ? ev->response : "null");
    if (ev->extra) {
        LIT(b, ",\"additionalEventData\":");
        th_buf_puts(b, ev->extra);
    }
    bool signin = ev->event_type && !strcmp(ev->event_type, "AwsConsoleSignIn");
    if (!signin) /* sign-in events carry no request id */
        kv(b, "requestID", ev->request_id ? ev->request_id : emu_uuid(c));
    kv(b, "eventID", event_id);
    if (!ev->no_read_only) {
        LIT(b, ",\"readOnly\":");
        th_buf_puts(b, ev->read_only ? "true" : "false");
    }
    if (ev->resources) {
        LIT(b, ",\"resources\":");
        th_buf_puts(b, ev->resources);
    }
    kv(b, "eventType", ev->event_type ? ev->event_type : "AwsApiCall");
    LIT(b, ",\"managementEvent\":");
    th_buf_puts(b, ev->data_event ? "false" : "true");
    kv(b, "recipientAccountId", account);
    if (ev->shared_id)
        kv(b, "sharedEventID", ev->shared_id);
    if (ev->service_details) {
        LIT(b, ",\"serviceEventDetails\":");
        th_buf_puts(b, ev->service_details);
    }
    kv(b, "eventCategory", ev->data_event ? "Data" : "Management");
    bool from_ip = a->source && a->source[0] >= '0' && a->source[0] <= '9';
    if (from_ip && !(ev->tls_host && !ev->tls_host[0])) {
        LIT(b, ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_"
               "SHA256\","
               "\"clientProvidedHostHeader\":\"");
        tls_host(b, ev);
        LIT(b, "\"}");
    }
    if (a->console)
        LIT(b, ",\"sessionCredentialFromConsole\":\"true\"");
    th_buf_putc(b, '}');
    size_t len = b->len - off;

    size_t loff = b->len;
    label(c, ev, event_id, when);
    emu_meta m = {ev->t, account, ev->region, off, len, loff, b->len - loff, ev->malicious};
    TH_VEC_PUSH(&c->out->meta, m);
    th_arena_reset(c->scratch);
}
