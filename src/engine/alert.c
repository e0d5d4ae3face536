/* Alert documents shaped like Elastic Security alerts (SEMANTICS.md 9):
 * the source document with event.kind removed, merged with flat dotted
 * `kibana.alert.*` fields; deterministic ids (2.3); the reason string (9.3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/sha256.h"
#include "engine/internal.h"

static void compact(th_engine *e, th_ealert *al, th_buf *b)
{
    if (al->text || !al->doc)
        return;
    b->len = 0;
    th_json_write(b, al->doc);
    al->text = th_xstrndup(b->data ? b->data : "", b->len);
    al->text_len = b->len;
    al->doc = NULL;
    al->pub.doc = NULL;
    if (al->instance.n && !al->inst_heap) /* suppression looks it up in later runs */
        al->inst_heap = th_xstrndup(al->instance.p, al->instance.n);
    al->instance = al->inst_heap ? th_str_make(al->inst_heap, strlen(al->inst_heap)) : TH_STR_NULL;
    e->alert_bytes += b->len + 1;
}

void th_alert_compact(th_engine *e, size_t from)
{
    th_buf b;
    th_buf_init(&b);
    for (size_t k = from; k < e->alerts.len; k++)
        compact(e, &e->alerts.items[k], &b);
    th_buf_free(&b);
}

void th_alert_compact_one(th_engine *e, th_ealert *al)
{
    th_buf b;
    th_buf_init(&b);
    compact(e, al, &b);
    th_buf_free(&b);
}

th_jval *th_alert_source(th_engine *e, const th_edoc *d)
{
    if (d->raw)
        return e->materialise ? e->materialise(e->materialise_ctx, &e->arena, d->json) : NULL;
    th_json_error err;
    th_jval *v = th_json_parse(&e->arena, d->json.p, d->json.n, &err);
    if (!v || v->type != TH_JOBJ)
        return NULL;
    return v;
}

/* A uuid-shaped stable id for the rule (Kibana's saved-object id is
 * environment-specific; ours is sha256("trailhound-rule:" + rule_id)). */
void th_alert_rule_uuid(const th_rule *r, char out[37])
{
    char hex[65];
    char buf[512];
    int n = snprintf(buf, sizeof buf, "trailhound-rule:%s", r->rule_id ? r->rule_id : r->path ? r->path : "");
    th_sha256_hex(buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, hex);
    hex[12] = '5'; /* version nibble, as a uuidv5 would carry */
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

void th_alert_event_id(const th_engine *e, const th_erule *r, const th_edoc *d,
                       const th_str *extra, size_t nextra, char out[65])
{
    const char *uuid = r->uuid;
    th_sha256 c;
    unsigned char dg[32];
    th_sha256_init(&c);
    th_sha256_update(&c, e->o.source_index, strlen(e->o.source_index));
    th_sha256_update(&c, d->id.p, d->id.n);
    th_sha256_update(&c, "undefined", 9); /* String(_version) of an unversioned hit */
    th_sha256_update(&c, e->o.space_id, strlen(e->o.space_id));
    th_sha256_update(&c, ":", 1);
    th_sha256_update(&c, uuid, 36);
    for (size_t i = 0; i < nextra; i++) { /* new_terms: the term tuple */
        th_sha256_update(&c, "\x1f", 1);
        th_sha256_update(&c, extra[i].p, extra[i].n);
    }
    th_sha256_final(&c, dg);
    th_sha256_tohex(dg, out);
}

bool th_alert_id_claim(th_engine *e, th_erule *r, const char *id)
{
    th_str k = th_str_make(id, 64);
    if (th_map_has(&r->ids, k))
        return false;
    (void)e;
    int64_t *when = TH_ANEW(&r->ids_arena, int64_t); /* the run: snapshot.c prunes by it */
    *when = r->cur_run;
    th_map_put(&r->ids, th_str_make(th_arena_strndup(&r->ids_arena, id, 64), 64), when);
    return true;
}

void th_alert_revive(th_engine *e, th_ealert *al)
{
    if (al->doc || !al->text)
        return;
    th_json_error err;
    /* the tree's strings point into the text it is parsed from: a copy in
     * the arena, so that the heap text can go */
    char *copy = th_arena_strndup(&e->arena, al->text, al->text_len);
    al->doc = th_json_parse(&e->arena, copy, al->text_len, &err);
    if (!al->doc)
        return;
    al->pub.doc = al->doc;
    free(al->text);
    al->text = NULL;
    al->dirty = true;
}

th_jval *th_alert_value(th_arena *a, th_str s)
{
    th_json_error err;
    th_jval *v = th_json_parse(a, s.p, s.n, &err);
    return v ? v : th_jnew(a, TH_JNULL);
}

/* ---- reason ---------------------------------------------------------------- */

typedef struct join_ctx {
    th_buf *b;
    size_t n;
} join_ctx;

static bool join_visit(const th_jval *v, void *ctx)
{
    join_ctx *c = ctx;
    if (v->type != TH_JSTR && v->type != TH_JNUM && v->type != TH_JTRUE && v->type != TH_JFALSE)
        return true;
    if (c->n++)
        th_buf_puts(c->b, ", ");
    if (v->type == TH_JTRUE)
        th_buf_puts(c->b, "true");
    else if (v->type == TH_JFALSE)
        th_buf_puts(c->b, "false");
    else
        th_buf_putstr(c->b, v->u.str);
    return true;
}

/* The field's values joined with ", "; NULL when absent or a lone "-". */
static char *field_text(th_arena *a, const th_jval *doc, const char *field)
{
    th_buf b;
    th_buf_init(&b);
    join_ctx c = {&b, 0};
    th_json_path_each(doc, th_str_c(field), join_visit, &c);
    char *out = NULL;
    if (c.n > 0 && !(b.len == 1 && b.data[0] == '-'))
        out = th_arena_strndup(a, b.data, b.len);
    th_buf_free(&b);
    return out;
}

char *th_alert_reason(th_arena *a, const th_jval *doc, const th_rule *r)
{
    char *cat = field_text(a, doc, "event.category");
    char *proc = field_text(a, doc, "process.name");
    char *parent = field_text(a, doc, "process.parent.name");
    char *file = field_text(a, doc, "file.name");
    char *src = field_text(a, doc, "source.ip");
    char *sport = field_text(a, doc, "source.port");
    char *dst = field_text(a, doc, "destination.ip");
    char *dport = field_text(a, doc, "destination.port");
    char *user = field_text(a, doc, "user.name");
    char *host = field_text(a, doc, "host.name");
    th_buf b;
    th_buf_init(&b);
    if (cat)
        th_buf_printf(&b, "%s ", cat);
    th_buf_puts(&b, "event");
    if (proc || parent || file || src || dst)
        th_buf_puts(&b, " with");
    if (proc)
        th_buf_printf(&b, " process %s,", proc);
    if (parent)
        th_buf_printf(&b, " parent process %s,", parent);
    if (file)
        th_buf_printf(&b, " file %s,", file);
    if (src)
        th_buf_printf(&b, " source %s", src);
    if (sport)
        th_buf_printf(&b, ":%s,", sport);
    if (dst)
        th_buf_printf(&b, " destination %s", dst);
    if (dport)
        th_buf_printf(&b, ":%s,", dport);
    if (user)
        th_buf_printf(&b, " by %s", user);
    if (host)
        th_buf_printf(&b, " on %s", host);
    th_buf_printf(&b, " created %s alert %s.", r->severity ? r->severity : "low",
                  r->name ? r->name : "");
    char *out = th_arena_strndup(a, b.data, b.len);
    th_buf_free(&b);
    return out;
}

/* ---- the document ----------------------------------------------------------- */

static th_jval *iso(th_arena *a, int64_t ms)
{
    char buf[32];
    th_time_format_iso(ms, buf);
    return th_jnew_strcopy(a, th_str_c(buf));
}

static th_jval *strlist(th_arena *a, const th_strlist *l)
{
    th_jval *arr = th_jnew_arr(a);
    for (size_t i = 0; i < l->len; i++)
        th_jarr_push(a, arr, th_jnew_cstr(a, l->items[i]));
    return arr;
}

static void set(th_arena *a, th_jval *o, const char *k, th_jval *v)
{
    th_jobj_set(a, o, th_str_c(k), v);
}

static void set_s(th_arena *a, th_jval *o, const char *k, const char *s)
{
    if (s)
        set(a, o, k, th_jnew_cstr(a, s));
}

static th_jval *ref_obj(th_arena *a, const char *id, const char *name, const char *ref)
{
    th_jval *o = th_jnew_obj(a);
    set_s(a, o, "id", id);
    set_s(a, o, "name", name);
    set_s(a, o, "reference", ref);
    return o;
}

static th_jval *technique(th_arena *a, const th_threat_technique *t)
{
    th_jval *o = ref_obj(a, t->id, t->name, t->reference);
    if (t->nsub) {
        th_jval *subs = th_jnew_arr(a);
        for (size_t i = 0; i < t->nsub; i++)
            th_jarr_push(a, subs, ref_obj(a, t->subtechniques[i].id, t->subtechniques[i].name,
                                          t->subtechniques[i].reference));
        set(a, o, "subtechnique", subs);
    }
    return o;
}

static th_jval *threat(th_arena *a, const th_rule *r)
{
    th_jval *arr = th_jnew_arr(a);
    for (size_t i = 0; i < r->nthreat; i++) {
        const th_threat *t = &r->threat[i];
        th_jval *o = th_jnew_obj(a);
        set_s(a, o, "framework", t->framework);
        set(a, o, "tactic", ref_obj(a, t->tactic_id, t->tactic_name, t->tactic_reference));
        if (t->ntechniques) {
            th_jval *techs = th_jnew_arr(a);
            for (size_t j = 0; j < t->ntechniques; j++)
                th_jarr_push(a, techs, technique(a, &t->techniques[j]));
            set(a, o, "technique", techs);
        }
        th_jarr_push(a, arr, o);
    }
    return arr;
}

static const char *rule_type_id(th_rule_type t)
{
    switch (t) {
    case TH_RULE_EQL: return "siem.eqlRule";
    case TH_RULE_NEW_TERMS: return "siem.newTermsRule";
    case TH_RULE_THRESHOLD: return "siem.thresholdRule";
    case TH_RULE_ESQL: return "siem.esqlRule";
    default: return "siem.queryRule";
    }
}

static th_jval *parameters(th_arena *a, const th_erule *er)
{
    const th_rule *r = er->rule;
    th_jval *p = th_jnew_obj(a);
    set_s(a, p, "type", r->type_name ? r->type_name : th_rule_type_name(r->type));
    set_s(a, p, "language", r->language_name);
    set_s(a, p, "query", r->query);
    set(a, p, "index", strlist(a, &r->index));
    set_s(a, p, "from", r->from ? r->from : "now-6m");
    set_s(a, p, "to", r->to ? r->to : "now");
    set_s(a, p, "interval", r->interval ? r->interval : "5m");
    set(a, p, "max_signals", th_jnew_i64(a, er->max_signals));
    set_s(a, p, "timestamp_override", r->timestamp_override);
    set_s(a, p, "rule_id", r->rule_id);
    if (r->type == TH_RULE_NEW_TERMS) {
        set(a, p, "new_terms_fields", strlist(a, &r->new_terms_fields));
        set_s(a, p, "history_window_start", r->history_window_start);
    }
    if (r->type == TH_RULE_THRESHOLD) {
        th_jval *t = th_jnew_obj(a);
        set(a, t, "field", strlist(a, &r->threshold_fields));
        set(a, t, "value", th_jnew_i64(a, r->threshold_value));
        th_jval *card = th_jnew_arr(a);
        if (r->cardinality_field) {
            th_jval *c = th_jnew_obj(a);
            set_s(a, c, "field", r->cardinality_field);
            set(a, c, "value", th_jnew_i64(a, r->cardinality_value));
            th_jarr_push(a, card, c);
        }
        set(a, t, "cardinality", card);
        set(a, p, "threshold", t);
    }
    if (er->suppress) {
        th_jval *s = th_jnew_obj(a);
        set(a, s, "group_by", strlist(a, &r->suppression_group_by));
        set_s(a, s, "missing_fields_strategy",
              r->missing_fields_strategy ? r->missing_fields_strategy : "suppress");
        if (r->suppression_duration_ms > 0) {
            th_jval *d = th_jnew_obj(a);
            set(a, d, "value", th_jnew_i64(a, r->suppression_duration_ms / 1000));
            set_s(a, d, "unit", "s");
            set(a, s, "duration", d);
        }
        set(a, p, "alert_suppression", s);
    }
    return p;
}

/* Kibana's rule type names (ruleTypeName), which it writes as
 * kibana.alert.rule.category. */
static const char *rule_category(th_rule_type t)
{
    switch (t) {
    case TH_RULE_QUERY: return "Custom Query Rule";
    case TH_RULE_SAVED_QUERY: return "Saved Query Rule";
    case TH_RULE_EQL: return "Event Correlation Rule";
    case TH_RULE_THRESHOLD: return "Threshold Rule";
    case TH_RULE_NEW_TERMS: return "New Terms Rule";
    case TH_RULE_THREAT_MATCH: return "Indicator Match Rule";
    case TH_RULE_MACHINE_LEARNING: return "Machine Learning Rule";
    case TH_RULE_ESQL: return "ES|QL Rule";
    default: return "Custom Query Rule";
    }
}

/* "2024/05/01" (detection-rules metadata) -> "2024-05-01T00:00:00.000Z" */
static th_jval *meta_time(th_arena *a, const char *d)
{
    if (!d || strlen(d) != 10)
        return NULL;
    return th_jnew_cstr(a, th_arena_printf(a, "%.4s-%.2s-%.2sT00:00:00.000Z", d, d + 5, d + 8));
}

/* The rule's exceptions_list as Kibana stores it: [{id, list_id,
 * namespace_type, type}], the string members the rule file gives. */
static th_jval *exceptions_list(th_arena *a, const th_rule *r)
{
    th_jval *arr = th_jnew_arr(a);
    const th_toml *l = th_toml_get_path(r->toml, "rule.exceptions_list");
    if (!l || l->type != TH_TOML_ARRAY)
        return arr;
    static const char *const keys[] = {"id", "list_id", "namespace_type", "type"};
    for (size_t i = 0; i < l->u.arr.len; i++) {
        const th_toml *t = l->u.arr.items[i];
        if (t->type != TH_TOML_TABLE)
            continue;
        th_jval *o = th_jnew_obj(a);
        for (size_t k = 0; k < 4; k++) {
            th_str s;
            if (th_toml_get_str(t, keys[k], &s))
                set(a, o, keys[k], th_jnew_strcopy(a, s));
        }
        th_jarr_push(a, arr, o);
    }
    return arr;
}

/* kibana.alert.original_event.<name> for every field of the source's event
 * object (event.kind included, as it was before the alert replaced it):
 * flat keys, as Kibana's alert builder writes them. */
static void original_event(th_arena *a, th_jval *src)
{
    const th_jval *ev = NULL;
    for (uint32_t i = 0; i < src->len; i++)
        if (th_str_eq(src->u.members[i].key, TH_STR_LIT("event")) &&
            src->u.members[i].val->type == TH_JOBJ)
            ev = src->u.members[i].val;
    size_t nflat = 0;
    th_jmember flat[64];
    for (uint32_t i = 0; i < src->len && nflat < 64; i++) {
        th_str k = src->u.members[i].key;
        if (k.n > 6 && memcmp(k.p, "event.", 6) == 0)
            flat[nflat++] = src->u.members[i];
    }
    if (ev)
        for (uint32_t i = 0; i < ev->len; i++)
            set(a, src,
                th_arena_printf(a, "kibana.alert.original_event.%.*s", (int)ev->u.members[i].key.n,
                                ev->u.members[i].key.p),
                th_json_clone(a, ev->u.members[i].val));
    for (size_t i = 0; i < nflat; i++)
        set(a, src,
            th_arena_printf(a, "kibana.alert.original_event.%.*s", (int)(flat[i].key.n - 6),
                            flat[i].key.p + 6),
            th_json_clone(a, flat[i].val));
}

static void rule_fields(th_arena *a, th_jval *o, const th_erule *er, const char *uuid)
{
    const th_rule *r = er->rule;
    set_s(a, o, "kibana.alert.rule.uuid", uuid);
    set_s(a, o, "kibana.alert.rule.rule_id", r->rule_id);
    set_s(a, o, "kibana.alert.rule.name", r->name);
    set_s(a, o, "kibana.alert.rule.description", r->description);
    set_s(a, o, "kibana.alert.rule.type", r->type_name ? r->type_name : th_rule_type_name(r->type));
    set_s(a, o, "kibana.alert.rule.rule_type_id", rule_type_id(r->type));
    set_s(a, o, "kibana.alert.rule.severity", r->severity);
    set(a, o, "kibana.alert.rule.risk_score", th_jnew_i64(a, r->risk_score));
    set(a, o, "kibana.alert.rule.tags", strlist(a, &r->tags));
    set(a, o, "kibana.alert.rule.author", strlist(a, &r->author));
    set(a, o, "kibana.alert.rule.references", strlist(a, &r->references));
    set(a, o, "kibana.alert.rule.false_positives", strlist(a, &r->false_positives));
    set_s(a, o, "kibana.alert.rule.license", r->license);
    set(a, o, "kibana.alert.rule.threat", threat(a, r));
    set_s(a, o, "kibana.alert.rule.from", r->from ? r->from : "now-6m");
    set_s(a, o, "kibana.alert.rule.to", r->to ? r->to : "now");
    if (r->version > 0)
        set_s(a, o, "kibana.alert.rule.version", th_arena_printf(a, "%lld", (long long)r->version));
    if (r->building_block_type)
        set_s(a, o, "kibana.alert.building_block_type", r->building_block_type);
    set_s(a, o, "kibana.alert.rule.interval", r->interval ? r->interval : "5m");
    set(a, o, "kibana.alert.rule.max_signals", th_jnew_i64(a, er->max_signals));
    set_s(a, o, "kibana.alert.rule.timestamp_override", r->timestamp_override);
    set(a, o, "kibana.alert.rule.indices", strlist(a, &r->index));
    set(a, o, "kibana.alert.rule.immutable", th_jnew_bool(a, true));
    set(a, o, "kibana.alert.rule.enabled", th_jnew_bool(a, true));
    set_s(a, o, "kibana.alert.rule.consumer", "siem");
    set_s(a, o, "kibana.alert.rule.producer", "siem");
    set_s(a, o, "kibana.alert.rule.execution.type", "scheduled");
    set(a, o, "kibana.alert.rule.parameters", parameters(a, er));
    set_s(a, o, "kibana.alert.rule.category", rule_category(r->type));
    set(a, o, "kibana.alert.rule.revision", th_jnew_i64(a, 0)); /* a rule never edited */
    set(a, o, "kibana.alert.rule.exceptions_list", exceptions_list(a, r));
    th_jval *created = meta_time(a, r->creation_date), *updated = meta_time(a, r->updated_date);
    if (created)
        set(a, o, "kibana.alert.rule.created_at", created);
    if (updated)
        set(a, o, "kibana.alert.rule.updated_at", updated);
    if (r->note)
        set_s(a, o, "kibana.alert.rule.note", r->note);
    if (r->rule_name_override)
        set_s(a, o, "kibana.alert.rule.rule_name_override", r->rule_name_override);
}

th_ealert *th_alert_make(th_engine *e, th_erule *r, th_jval *src, int64_t t, const char *uuid,
                         int64_t original_time, const char *ancestor_id)
{
    th_arena *a = &e->arena;
    const char *ruuid = r->uuid;
    char *reason = th_alert_reason(a, src, r->rule);
    original_event(a, src);
    th_jobj_remove_path(src, "event.kind");
    th_jobj_remove(src, TH_STR_LIT("event.kind"));
    set(a, src, "@timestamp", iso(a, t));
    set_s(a, src, "event.kind", "signal");
    set_s(a, src, "kibana.alert.uuid", th_arena_strdup(a, uuid));
    if (original_time != TH_TIME_NONE)
        set(a, src, "kibana.alert.original_time", iso(a, original_time));
    th_jval *anc = th_jnew_obj(a);
    set_s(a, anc, "id", ancestor_id);
    set_s(a, anc, "type", "event");
    set_s(a, anc, "index", e->o.source_index);
    set(a, anc, "depth", th_jnew_i64(a, 0));
    th_jval *ancs = th_jnew_arr(a);
    th_jarr_push(a, ancs, anc);
    set(a, src, "kibana.alert.ancestors", ancs);
    set(a, src, "kibana.alert.depth", th_jnew_i64(a, 1));
    set_s(a, src, "kibana.alert.reason", reason);
    set_s(a, src, "kibana.alert.status", "active");
    set_s(a, src, "kibana.alert.workflow_status", "open");
    set(a, src, "kibana.alert.workflow_tags", th_jnew_arr(a));
    set(a, src, "kibana.alert.workflow_assignee_ids", th_jnew_arr(a));
    set_s(a, src, "kibana.alert.severity", r->rule->severity);
    set(a, src, "kibana.alert.risk_score", th_jnew_i64(a, r->rule->risk_score));
    rule_fields(a, src, r, ruuid);
    /* one execution per (rule, run time): a stable uuid-shaped id for it */
    char ebuf[96], ehex[65];
    int en = snprintf(ebuf, sizeof ebuf, "%s@%lld", r->uuid, (long long)t);
    th_sha256_hex(ebuf, en > 0 ? (size_t)en : 0, ehex);
    set_s(a, src, "kibana.alert.rule.execution.uuid",
          th_arena_printf(a, "%.8s-%.4s-%.4s-%.4s-%.12s", ehex, ehex + 8, ehex + 12, ehex + 16,
                          ehex + 20));
    set(a, src, "kibana.alert.start", iso(a, t));
    set(a, src, "kibana.alert.last_detected", iso(a, t));
    set(a, src, "kibana.alert.intended_timestamp", iso(a, t));
    th_jval *spaces = th_jnew_arr(a);
    th_jarr_push(a, spaces, th_jnew_cstr(a, e->o.space_id));
    set(a, src, "kibana.space_ids", spaces);
    set_s(a, src, "kibana.version", TH_KIBANA_VERSION);

    th_ealert al = {0};
    al.pub.time_ms = t;
    al.pub.rule = r->rule;
    al.seq = e->seq++;
    al.doc = src;
    TH_VEC_PUSH(&e->alerts, al);
    r->rep.alerts++;
    return &e->alerts.items[e->alerts.len - 1];
}
