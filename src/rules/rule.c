/* Building the rule model from a parsed TOML tree. Every field is read in a
 * type-safe way: a value of the wrong TOML type leaves the field at its
 * default (NULL, empty list, default number) and th_rule_validate reports it,
 * so a malformed file still loads as far as it can and never crashes. */
#include "rules/rule.h"

#include <string.h>

#include "base/limits.h"
#include "base/timeutil.h"
#include "rules/rule_internal.h"

static const char *const type_names[] = {
    [TH_RULE_QUERY] = "query",
    [TH_RULE_NEW_TERMS] = "new_terms",
    [TH_RULE_THRESHOLD] = "threshold",
    [TH_RULE_EQL] = "eql",
    [TH_RULE_ESQL] = "esql",
    [TH_RULE_MACHINE_LEARNING] = "machine_learning",
    [TH_RULE_SAVED_QUERY] = "saved_query",
    [TH_RULE_THREAT_MATCH] = "threat_match",
    [TH_RULE_HUNT] = "hunt",
    [TH_RULE_UNKNOWN] = "unknown",
};

static const char *const lang_names[] = {
    [TH_LANG_NONE] = "none", [TH_LANG_KUERY] = "kuery",   [TH_LANG_EQL] = "eql",
    [TH_LANG_ESQL] = "esql", [TH_LANG_LUCENE] = "lucene", [TH_LANG_OTHER] = "other",
};

const char *th_rule_type_name(th_rule_type t)
{
    return (unsigned)t <= TH_RULE_UNKNOWN ? type_names[t] : "unknown";
}

const char *th_rule_lang_name(th_rule_lang l)
{
    return (unsigned)l <= TH_LANG_OTHER ? lang_names[l] : "other";
}

th_rule_type th_rule_type_parse(const char *s)
{
    if (!s)
        return TH_RULE_UNKNOWN;
    /* "hunt" is ours, not a value a rule file may give */
    for (unsigned t = 0; t < TH_RULE_HUNT; t++)
        if (strcmp(s, type_names[t]) == 0)
            return (th_rule_type)t;
    return TH_RULE_UNKNOWN;
}

th_rule_lang th_rule_lang_parse(const char *s)
{
    if (!s)
        return TH_LANG_NONE;
    if (strcmp(s, "kuery") == 0)
        return TH_LANG_KUERY;
    if (strcmp(s, "eql") == 0)
        return TH_LANG_EQL;
    if (strcmp(s, "esql") == 0 || strcmp(s, "ES|QL") == 0)
        return TH_LANG_ESQL;
    if (strcmp(s, "lucene") == 0)
        return TH_LANG_LUCENE;
    return TH_LANG_OTHER;
}

bool th_rule_lookback_parse(const char *s, int64_t *out_ms)
{
    if (!s || strncmp(s, "now-", 4) != 0)
        return false;
    const char *p = s + 4;
    int64_t v = 0;
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (v > 1000000000LL) /* beyond any sane lookback; avoids overflow */
            return false;
        v = v * 10 + (*p - '0');
    }
    if (digits == 0 || p[0] == '\0' || p[1] != '\0')
        return false;
    int64_t unit;
    switch (p[0]) {
    case 's': unit = 1000; break;
    case 'm': unit = 60000; break;
    case 'h':
    case 'H': unit = 3600000; break;
    case 'd': unit = 86400000; break;
    case 'w': unit = 7 * 86400000LL; break;
    case 'M': unit = 30 * 86400000LL; break;
    case 'y': unit = 365 * 86400000LL; break;
    default: return false;
    }
    *out_ms = v * unit;
    return true;
}

/* ---- typed access (shared with validate.c through rule_internal.h) ---- */

const char *th_rules_dup(th_arena *a, const th_toml *v)
{
    if (!v || v->type != TH_TOML_STRING)
        return NULL;
    return th_arena_strndup(a, v->u.str.p ? v->u.str.p : "", v->u.str.n);
}

static const char *get_str(th_arena *a, const th_toml *t, const char *key)
{
    return th_rules_dup(a, th_toml_get(t, key));
}

/* An array's string items (others skipped: validate reports them), or a lone
 * string as a one-item list. */
static th_strlist get_list(th_arena *a, const th_toml *t, const char *key)
{
    th_strlist l = {NULL, 0};
    const th_toml *v = th_toml_get(t, key);
    if (!v)
        return l;
    if (v->type == TH_TOML_STRING) {
        l.items = TH_ANEWN(a, const char *, 1);
        l.items[l.len++] = th_rules_dup(a, v);
        return l;
    }
    if (v->type != TH_TOML_ARRAY || v->u.arr.len == 0)
        return l;
    l.items = TH_ANEWN(a, const char *, v->u.arr.len);
    for (size_t i = 0; i < v->u.arr.len; i++)
        if (v->u.arr.items[i] && v->u.arr.items[i]->type == TH_TOML_STRING)
            l.items[l.len++] = th_rules_dup(a, v->u.arr.items[i]);
    return l;
}

static int64_t get_int(const th_toml *t, const char *key, int64_t dflt)
{
    const th_toml *v = th_toml_get(t, key);
    return v && v->type == TH_TOML_INTEGER ? v->u.i : dflt;
}

static const th_toml *get_table(const th_toml *t, const char *key)
{
    const th_toml *v = th_toml_get(t, key);
    return v && v->type == TH_TOML_TABLE ? v : NULL;
}

/* The i-th table of an array of tables, or NULL. */
const th_toml *th_rules_table_at(const th_toml *arr, size_t i)
{
    if (!arr || arr->type != TH_TOML_ARRAY || i >= arr->u.arr.len)
        return NULL;
    const th_toml *e = arr->u.arr.items[i];
    return e && e->type == TH_TOML_TABLE ? e : NULL;
}

/* ---- where a string's text starts in the file ---- */

void th_rules_text_start(const char *buf, size_t len, const th_toml *v, unsigned *line,
                         unsigned *col, bool *literal)
{
    *line = v->line;
    *col = v->col;
    *literal = false;
    size_t off = 0;
    for (unsigned l = 1; l < v->line && off < len; l++) { /* to the value's line */
        const char *nl = memchr(buf + off, '\n', len - off);
        off = nl ? (size_t)(nl - buf) + 1 : len;
    }
    size_t line_start = off, p = off + (v->col ? v->col - 1 : 0);
    /* the reader's column should point at the opening quote; if it does not
     * (columns counted in characters on a line with multi-byte text), take the
     * first quote on the line, which is the value's for `key = '''` lines */
    if (p >= len || (buf[p] != '\'' && buf[p] != '"')) {
        p = line_start;
        while (p < len && buf[p] != '\n' && buf[p] != '\'' && buf[p] != '"')
            p++;
        if (p >= len || buf[p] == '\n')
            return;
    }
    char q = buf[p];
    *literal = q == '\'';
    bool multi = p + 2 < len && buf[p + 1] == q && buf[p + 2] == q;
    p += multi ? 3 : 1;
    if (multi && p < len &&
        (buf[p] == '\n' || (buf[p] == '\r' && p + 1 < len && buf[p + 1] == '\n'))) {
        *line = v->line + 1;
        *col = 1;
        return;
    }
    *col = (unsigned)(p - line_start) + 1;
}

bool th_rule_query_pos(const th_rule *r, size_t offset, unsigned *line, unsigned *col)
{
    if (!r->query || offset > strlen(r->query))
        return false;
    unsigned nl = 0;
    size_t last = 0;
    bool seen = false;
    for (size_t i = 0; i < offset; i++) {
        if (r->query[i] == '\n') {
            nl++;
            last = i + 1;
            seen = true;
        }
    }
    *line = r->query_line + nl;
    *col = seen ? (unsigned)(offset - last) + 1 : r->query_col + (unsigned)offset;
    return true;
}

/* ---- filling the model ---- */

static void fill_threat(th_arena *a, th_rule *r, const th_toml *arr)
{
    if (!arr || arr->type != TH_TOML_ARRAY || arr->u.arr.len == 0)
        return;
    r->threat = TH_ANEWN(a, th_threat, arr->u.arr.len);
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const th_toml *e = th_rules_table_at(arr, i);
        if (!e)
            continue;
        th_threat *t = &r->threat[r->nthreat++];
        t->framework = get_str(a, e, "framework");
        const th_toml *tac = get_table(e, "tactic");
        t->tactic_id = get_str(a, tac, "id");
        t->tactic_name = get_str(a, tac, "name");
        t->tactic_reference = get_str(a, tac, "reference");
        const th_toml *techs = th_toml_get(e, "technique");
        if (!techs || techs->type != TH_TOML_ARRAY || techs->u.arr.len == 0)
            continue;
        t->techniques = TH_ANEWN(a, th_threat_technique, techs->u.arr.len);
        for (size_t j = 0; j < techs->u.arr.len; j++) {
            const th_toml *te = th_rules_table_at(techs, j);
            if (!te)
                continue;
            th_threat_technique *tq = &t->techniques[t->ntechniques++];
            tq->id = get_str(a, te, "id");
            tq->name = get_str(a, te, "name");
            tq->reference = get_str(a, te, "reference");
            const th_toml *subs = th_toml_get(te, "subtechnique");
            if (!subs || subs->type != TH_TOML_ARRAY || subs->u.arr.len == 0)
                continue;
            tq->subtechniques = TH_ANEWN(a, th_threat_technique, subs->u.arr.len);
            for (size_t k = 0; k < subs->u.arr.len; k++) {
                const th_toml *se = th_rules_table_at(subs, k);
                if (!se)
                    continue;
                th_threat_technique *sq = &tq->subtechniques[tq->nsub++];
                sq->id = get_str(a, se, "id");
                sq->name = get_str(a, se, "name");
                sq->reference = get_str(a, se, "reference");
            }
        }
    }
}

static void fill_new_terms(th_arena *a, th_rule *r, const th_toml *nt)
{
    if (!nt)
        return;
    r->new_terms_fields = get_list(a, nt, "value");
    const th_toml *h = th_rules_table_at(th_toml_get(nt, "history_window_start"), 0);
    r->history_window_start = get_str(a, h, "value");
    int64_t ms;
    if (th_rule_lookback_parse(r->history_window_start, &ms)) {
        r->history_window_ms = ms;
    } else if (r->history_window_start) {
        /* other date math ("now-14d/d"): its distance from a fixed "now" */
        const int64_t now = 1767225600000LL; /* 2026-01-01T00:00:00Z */
        const char *s = r->history_window_start;
        if (th_datemath_eval(s, strlen(s), now, &ms) && ms < now)
            r->history_window_ms = now - ms;
    }
}

static void fill_threshold(th_arena *a, th_rule *r, const th_toml *th)
{
    if (!th)
        return;
    r->threshold_fields = get_list(a, th, "field");
    r->threshold_value = get_int(th, "value", 0);
    const th_toml *c = th_rules_table_at(th_toml_get(th, "cardinality"), 0);
    if (c) {
        r->cardinality_field = get_str(a, c, "field");
        r->cardinality_value = get_int(c, "value", 0);
    }
}

static int64_t unit_ms(const char *u)
{
    if (!u)
        return 0;
    if (strcmp(u, "s") == 0)
        return 1000;
    if (strcmp(u, "m") == 0)
        return 60000;
    if (strcmp(u, "h") == 0)
        return 3600000;
    return 0;
}

static void fill_suppression(th_arena *a, th_rule *r, const th_toml *s)
{
    if (!s)
        return;
    r->has_suppression = true;
    r->suppression_group_by = get_list(a, s, "group_by");
    r->missing_fields_strategy = get_str(a, s, "missing_fields_strategy");
    const th_toml *d = get_table(s, "duration");
    if (d) {
        r->suppression_duration_value = get_int(d, "value", 0);
        r->suppression_duration_unit = get_str(a, d, "unit");
        int64_t u = unit_ms(r->suppression_duration_unit);
        if (r->suppression_duration_value > 0 && r->suppression_duration_value < 1000000000LL)
            r->suppression_duration_ms = r->suppression_duration_value * u;
    }
}

static void fill_exceptions(th_arena *a, th_rule *r, const th_toml *arr)
{
    if (!arr || arr->type != TH_TOML_ARRAY || arr->u.arr.len == 0)
        return;
    r->exception_list_ids.items = TH_ANEWN(a, const char *, arr->u.arr.len);
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const char *id = get_str(a, th_rules_table_at(arr, i), "list_id");
        if (!id)
            id = get_str(a, th_rules_table_at(arr, i), "id");
        if (id)
            r->exception_list_ids.items[r->exception_list_ids.len++] = id;
    }
}

static void fill_query(th_arena *a, th_rule *r, const th_toml *q, const char *buf, size_t len)
{
    if (!q || q->type != TH_TOML_STRING)
        return;
    r->query = th_rules_dup(a, q);
    r->query_value_line = q->line;
    r->query_value_col = q->col;
    th_rules_text_start(buf, len, q, &r->query_line, &r->query_col, &r->query_literal);
}

static void fill_metadata(th_arena *a, th_rule *r, const th_toml *m)
{
    r->creation_date = get_str(a, m, "creation_date");
    r->updated_date = get_str(a, m, "updated_date");
    r->deprecation_date = get_str(a, m, "deprecation_date");
    r->maturity = get_str(a, m, "maturity");
    r->min_stack_version = get_str(a, m, "min_stack_version");
    r->min_stack_comments = get_str(a, m, "min_stack_comments");
    r->integration = get_list(a, m, "integration");
}

static void fill_rule(th_arena *a, th_rule *r, const th_toml *t, const char *buf, size_t len)
{
    r->rule_id = get_str(a, t, "rule_id");
    r->name = get_str(a, t, "name");
    r->description = get_str(a, t, "description");
    r->severity = get_str(a, t, "severity");
    r->license = get_str(a, t, "license");
    r->note = get_str(a, t, "note");
    r->setup = get_str(a, t, "setup");
    r->risk_score = get_int(t, "risk_score", 0);
    r->type_name = get_str(a, t, "type");
    r->type = th_rule_type_parse(r->type_name);
    r->language_name = get_str(a, t, "language");
    r->language = th_rule_lang_parse(r->language_name);
    fill_query(a, r, th_toml_get(t, "query"), buf, len);
    r->index = get_list(a, t, "index");
    r->tags = get_list(a, t, "tags");
    r->author = get_list(a, t, "author");
    r->references = get_list(a, t, "references");
    r->false_positives = get_list(a, t, "false_positives");
    r->investigation_fields = get_list(a, get_table(t, "investigation_fields"), "field_names");

    const char *from = get_str(a, t, "from");
    r->from = from ? from : "now-6m";
    int64_t ms;
    if (th_rule_lookback_parse(r->from, &ms))
        r->lookback_ms = ms;
    const char *interval = get_str(a, t, "interval");
    r->interval = interval ? interval : "5m";
    if (th_duration_parse(r->interval, strlen(r->interval), &ms) && ms > 0)
        r->interval_ms = ms;
    const char *to = get_str(a, t, "to");
    r->to = to ? to : "now";
    r->max_signals = get_int(t, "max_signals", TH_DEFAULT_MAX_SIGNALS);
    r->timestamp_override = get_str(a, t, "timestamp_override");
    r->event_category_override = get_str(a, t, "event_category_override");
    r->building_block_type = get_str(a, t, "building_block_type");
    r->rule_name_override = get_str(a, t, "rule_name_override");
    r->timeline_id = get_str(a, t, "timeline_id");
    r->timeline_title = get_str(a, t, "timeline_title");
    r->data_view_id = get_str(a, t, "data_view_id");
    r->tiebreaker_field = get_str(a, t, "tiebreaker_field");
    r->timestamp_field = get_str(a, t, "timestamp_field");
    r->version = get_int(t, "version", 0);
    r->anomaly_threshold = get_int(t, "anomaly_threshold", -1);
    r->machine_learning_job_id = get_list(a, t, "machine_learning_job_id");

    fill_threat(a, r, th_toml_get(t, "threat"));
    fill_new_terms(a, r, get_table(t, "new_terms"));
    fill_threshold(a, r, get_table(t, "threshold"));
    fill_suppression(a, r, get_table(t, "alert_suppression"));
    fill_exceptions(a, r, th_toml_get(t, "exceptions_list"));
}

static void fill_hunt(th_arena *a, th_rule *r, const th_toml *h, const char *buf, size_t len)
{
    r->type = TH_RULE_HUNT;
    r->type_name = "hunt";
    r->rule_id = get_str(a, h, "uuid");
    r->name = get_str(a, h, "name");
    r->description = get_str(a, h, "description");
    r->license = get_str(a, h, "license");
    r->author = get_list(a, h, "author");
    r->integration = get_list(a, h, "integration");
    r->references = get_list(a, h, "references");
    r->hunt_notes = get_list(a, h, "notes");
    r->hunt_mitre = get_list(a, h, "mitre");
    th_strlist langs = get_list(a, h, "language");
    if (langs.len) {
        r->language_name = langs.items[0];
        r->language = th_rule_lang_parse(langs.items[0]);
    }
    const th_toml *qs = th_toml_get(h, "query");
    if (qs && qs->type == TH_TOML_STRING)
        qs = NULL; /* validate reports it: query must be a list */
    if (!qs || qs->type != TH_TOML_ARRAY || qs->u.arr.len == 0)
        return;
    size_t n = qs->u.arr.len;
    r->hunt_queries.items = TH_ANEWN(a, const char *, n);
    r->hunt_query_lines = TH_ANEWN(a, unsigned, n);
    r->hunt_query_cols = TH_ANEWN(a, unsigned, n);
    for (size_t i = 0; i < n; i++) {
        const th_toml *q = qs->u.arr.items[i];
        if (!q || q->type != TH_TOML_STRING)
            continue;
        size_t k = r->hunt_queries.len++;
        r->hunt_queries.items[k] = th_rules_dup(a, q);
        bool lit;
        th_rules_text_start(buf, len, q, &r->hunt_query_lines[k], &r->hunt_query_cols[k], &lit);
        if (k == 0) {
            r->query = r->hunt_queries.items[0];
            r->query_value_line = q->line;
            r->query_value_col = q->col;
            r->query_line = r->hunt_query_lines[0];
            r->query_col = r->hunt_query_cols[0];
            r->query_literal = lit;
        }
    }
}

/* Strings longer than the limit make the file fail: the query layers and the
 * alert writer then never see a pathological value. */
static bool check_sizes(const th_toml *v, const char *path, th_diags *diags, unsigned depth)
{
    if (!v || depth > TH_MAX_TOML_DEPTH + 8)
        return true;
    switch (v->type) {
    case TH_TOML_STRING:
        if (v->u.str.n > TH_MAX_RULE_STRING_BYTES) {
            th_diag_at(diags, TH_SEV_ERROR, path, v->line, v->col,
                       "string of %zu bytes is longer than the limit of %u bytes", v->u.str.n,
                       (unsigned)TH_MAX_RULE_STRING_BYTES);
            return false;
        }
        return true;
    case TH_TOML_ARRAY:
        for (size_t i = 0; i < v->u.arr.len; i++)
            if (!check_sizes(v->u.arr.items[i], path, diags, depth + 1))
                return false;
        return true;
    case TH_TOML_TABLE:
        for (size_t i = 0; i < v->u.tab.len; i++) {
            const th_toml_kv *kv = &v->u.tab.kvs[i];
            if (kv->key.n > TH_MAX_RULE_STRING_BYTES) {
                th_diag_at(diags, TH_SEV_ERROR, path, kv->line, kv->col,
                           "key of %zu bytes is longer than the limit of %u bytes", kv->key.n,
                           (unsigned)TH_MAX_RULE_STRING_BYTES);
                return false;
            }
            if (!check_sizes(kv->val, path, diags, depth + 1))
                return false;
        }
        return true;
    default: return true;
    }
}

static void push_rule(th_ruleset *rs, th_rule *r)
{
    if (rs->len == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        rs->rules = th_xrealloc(rs->rules, cap * sizeof(*rs->rules));
        rs->cap = cap;
    }
    rs->rules[rs->len++] = r;
}

th_rule *th_rule_from_text(th_ruleset *rs, const char *text, size_t len, const char *path,
                           th_diags *diags)
{
    th_arena *a = &rs->arena;
    const char *p = th_arena_strdup(a, path ? path : "<input>");
    th_toml *root = th_toml_parse(a, text, len, p, diags);
    if (!root)
        return NULL;
    if (!check_sizes(root, p, diags, 0))
        return NULL;
    const th_toml *hunt = th_toml_get(root, "hunt");
    const th_toml *rule = th_toml_get(root, "rule");
    const th_toml *which = hunt ? hunt : rule;
    if (!which) {
        th_diag_at(diags, TH_SEV_ERROR, p, 1, 1,
                   "not a rule file: it has neither a [rule] nor a [hunt] table");
        return NULL;
    }
    if (which->type != TH_TOML_TABLE) {
        th_diag_at(diags, TH_SEV_ERROR, p, which->line, which->col, "'%s' must be a table, not %s",
                   hunt ? "hunt" : "rule", th_toml_type_name(which->type));
        return NULL;
    }
    th_rule *r = TH_ANEW(a, th_rule);
    r->path = p;
    r->toml = root;
    r->anomaly_threshold = -1;
    if (hunt) {
        fill_hunt(a, r, hunt, text, len);
    } else {
        r->lookback_ms = 6 * 60000;
        r->interval_ms = 5 * 60000;
        fill_metadata(a, r, get_table(root, "metadata"));
        fill_rule(a, r, rule, text, len);
    }
    push_rule(rs, r);
    return r;
}
