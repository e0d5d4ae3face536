/* trailhound rules show FILE..., and the JSON form of a rule shared with
 * `rules list --format json`. */
#include <string.h>

#include "cli/args.h"
#include "cli/rules_cli.h"
#include "cli/verbs.h"

void th_rules_cli_fmt_ms(int64_t ms, char out[32])
{
    static const struct {
        int64_t ms;
        const char *u;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms != 0 && ms % units[i].ms == 0) {
            snprintf(out, 32, "%lld%s", (long long)(ms / units[i].ms), units[i].u);
            return;
        }
    }
    snprintf(out, 32, "%lldms", (long long)ms);
}

/* ---- JSON ---- */

static void jstr(th_jw *w, const char *key, const char *s)
{
    th_jw_key(w, key);
    if (s)
        th_jw_cstr(w, s);
    else
        th_jw_null(w);
}

static void jlist(th_jw *w, const char *key, th_strlist l)
{
    th_jw_key(w, key);
    th_jw_arr(w);
    for (size_t i = 0; i < l.len; i++)
        th_jw_cstr(w, l.items[i]);
    th_jw_end(w);
}

static void jthreat(th_jw *w, const th_rule *r)
{
    th_jw_key(w, "threat");
    th_jw_arr(w);
    for (size_t i = 0; i < r->nthreat; i++) {
        const th_threat *t = &r->threat[i];
        th_jw_obj(w);
        jstr(w, "framework", t->framework);
        jstr(w, "tactic_id", t->tactic_id);
        jstr(w, "tactic_name", t->tactic_name);
        th_jw_key(w, "techniques");
        th_jw_arr(w);
        for (size_t j = 0; j < t->ntechniques; j++) {
            const th_threat_technique *q = &t->techniques[j];
            th_jw_obj(w);
            jstr(w, "id", q->id);
            jstr(w, "name", q->name);
            th_jw_key(w, "subtechniques");
            th_jw_arr(w);
            for (size_t k = 0; k < q->nsub; k++) {
                th_jw_obj(w);
                jstr(w, "id", q->subtechniques[k].id);
                jstr(w, "name", q->subtechniques[k].name);
                th_jw_end(w);
            }
            th_jw_end(w);
            th_jw_end(w);
        }
        th_jw_end(w);
        th_jw_end(w);
    }
    th_jw_end(w);
}

static void jtype_specific(th_jw *w, const th_rule *r)
{
    if (r->type == TH_RULE_NEW_TERMS) {
        th_jw_key(w, "new_terms");
        th_jw_obj(w);
        jlist(w, "fields", r->new_terms_fields);
        jstr(w, "history_window_start", r->history_window_start);
        th_jw_key(w, "history_window_ms");
        th_jw_int(w, r->history_window_ms);
        th_jw_end(w);
    }
    if (r->type == TH_RULE_THRESHOLD) {
        th_jw_key(w, "threshold");
        th_jw_obj(w);
        jlist(w, "fields", r->threshold_fields);
        th_jw_key(w, "value");
        th_jw_int(w, r->threshold_value);
        if (r->cardinality_field) {
            jstr(w, "cardinality_field", r->cardinality_field);
            th_jw_key(w, "cardinality_value");
            th_jw_int(w, r->cardinality_value);
        }
        th_jw_end(w);
    }
    if (r->has_suppression) {
        th_jw_key(w, "alert_suppression");
        th_jw_obj(w);
        jlist(w, "group_by", r->suppression_group_by);
        th_jw_key(w, "duration_ms");
        th_jw_int(w, r->suppression_duration_ms);
        jstr(w, "missing_fields_strategy", r->missing_fields_strategy);
        th_jw_end(w);
    }
    if (r->type == TH_RULE_MACHINE_LEARNING) {
        jlist(w, "machine_learning_job_id", r->machine_learning_job_id);
        th_jw_key(w, "anomaly_threshold");
        th_jw_int(w, r->anomaly_threshold);
    }
}

void th_rules_cli_json(th_jw *w, const th_rule *r, bool full)
{
    th_jw_obj(w);
    jstr(w, "rule_id", r->rule_id);
    jstr(w, "name", r->name);
    jstr(w, "type", r->type == TH_RULE_UNKNOWN ? r->type_name : th_rule_type_name(r->type));
    jstr(w, "language", r->language == TH_LANG_NONE ? NULL : th_rule_lang_name(r->language));
    jstr(w, "severity", r->severity);
    th_jw_key(w, "risk_score");
    if (r->type == TH_RULE_HUNT)
        th_jw_null(w);
    else
        th_jw_int(w, r->risk_score);
    jstr(w, "path", r->path);
    jstr(w, "maturity", r->maturity);
    if (r->type != TH_RULE_HUNT) {
        jstr(w, "from", r->from);
        jstr(w, "interval", r->interval);
        th_jw_key(w, "lookback_ms");
        th_jw_int(w, r->lookback_ms);
        th_jw_key(w, "interval_ms");
        th_jw_int(w, r->interval_ms);
        th_jw_key(w, "max_signals");
        th_jw_int(w, r->max_signals);
        jstr(w, "timestamp_override", r->timestamp_override);
        jlist(w, "index", r->index);
    }
    jlist(w, "tags", r->tags);
    th_jw_key(w, "tactics");
    th_jw_arr(w);
    for (size_t i = 0; i < r->nthreat; i++)
        if (r->threat[i].tactic_id)
            th_jw_cstr(w, r->threat[i].tactic_id);
    th_jw_end(w);
    jtype_specific(w, r);
    if (full) {
        jstr(w, "query", r->query);
        th_jw_key(w, "query_line");
        th_jw_int(w, r->query_line);
        th_jw_key(w, "query_col");
        th_jw_int(w, r->query_col);
        jstr(w, "event_category_override", r->event_category_override);
        jstr(w, "description", r->description);
        jstr(w, "license", r->license);
        jlist(w, "author", r->author);
        jlist(w, "references", r->references);
        jlist(w, "false_positives", r->false_positives);
        jlist(w, "investigation_fields", r->investigation_fields);
        jlist(w, "integration", r->integration);
        jstr(w, "creation_date", r->creation_date);
        jstr(w, "updated_date", r->updated_date);
        jstr(w, "min_stack_version", r->min_stack_version);
        jstr(w, "note", r->note);
        jstr(w, "setup", r->setup);
        jthreat(w, r);
        if (r->type == TH_RULE_HUNT) {
            jlist(w, "queries", r->hunt_queries);
            jlist(w, "notes", r->hunt_notes);
            jlist(w, "mitre", r->hunt_mitre);
        }
    }
    th_jw_end(w);
}

/* ---- text ---- */

static void kv(th_buf *o, const char *k, const char *v)
{
    if (v)
        th_buf_printf(o, "  %-20s %s\n", k, v);
}

static void list_line(th_buf *o, const char *k, th_strlist l)
{
    if (!l.len)
        return;
    th_buf_printf(o, "  %-20s ", k);
    for (size_t i = 0; i < l.len; i++)
        th_buf_printf(o, "%s%s", i ? ", " : "", l.items[i]);
    th_buf_putc(o, '\n');
}

static void block(th_buf *o, const char *title, const char *text)
{
    if (!text)
        return;
    th_buf_printf(o, "\n[%s]\n", title);
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        th_buf_printf(o, "  %.*s\n", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
}

static void section_list(th_buf *o, const char *title, th_strlist l)
{
    if (!l.len)
        return;
    th_buf_printf(o, "\n[%s]\n", title);
    for (size_t i = 0; i < l.len; i++)
        th_buf_printf(o, "  - %s\n", l.items[i]);
}

static void show_threat(th_buf *o, const th_rule *r)
{
    if (!r->nthreat)
        return;
    th_buf_printf(o, "\n[threat]\n");
    for (size_t i = 0; i < r->nthreat; i++) {
        const th_threat *t = &r->threat[i];
        th_buf_printf(o, "  %s %s (%s)\n", t->tactic_id ? t->tactic_id : "?",
                      t->tactic_name ? t->tactic_name : "?", t->framework ? t->framework : "?");
        for (size_t j = 0; j < t->ntechniques; j++) {
            const th_threat_technique *q = &t->techniques[j];
            th_buf_printf(o, "    %s %s\n", q->id ? q->id : "?", q->name ? q->name : "?");
            for (size_t k = 0; k < q->nsub; k++)
                th_buf_printf(o, "      %s %s\n",
                              q->subtechniques[k].id ? q->subtechniques[k].id : "?",
                              q->subtechniques[k].name ? q->subtechniques[k].name : "?");
        }
    }
}

static void show_type_specific(th_buf *o, const th_rule *r)
{
    char a[32], b[32];
    if (r->type == TH_RULE_NEW_TERMS) {
        th_buf_printf(o, "\n[new_terms]\n");
        list_line(o, "fields", r->new_terms_fields);
        th_rules_cli_fmt_ms(r->history_window_ms, a);
        if (r->history_window_start)
            th_buf_printf(o, "  %-20s %s (history of %s)\n", "history_window_start",
                          r->history_window_start, a);
    }
    if (r->type == TH_RULE_THRESHOLD) {
        th_buf_printf(o, "\n[threshold]\n");
        list_line(o, "group by", r->threshold_fields);
        th_buf_printf(o, "  %-20s %lld\n", "value (count >=)", (long long)r->threshold_value);
        if (r->cardinality_field)
            th_buf_printf(o, "  %-20s distinct %s >= %lld\n", "cardinality", r->cardinality_field,
                          (long long)r->cardinality_value);
    }
    if (r->has_suppression) {
        th_buf_printf(o, "\n[alert_suppression]\n");
        list_line(o, "group_by", r->suppression_group_by);
        th_rules_cli_fmt_ms(r->suppression_duration_ms, b);
        kv(o, "duration", r->suppression_duration_ms ? b : "one rule execution");
        kv(o, "missing_fields", r->missing_fields_strategy);
    }
    if (r->type == TH_RULE_MACHINE_LEARNING) {
        th_buf_printf(o, "\n[machine_learning]\n");
        list_line(o, "job ids", r->machine_learning_job_id);
        th_buf_printf(o, "  %-20s %lld\n", "anomaly_threshold", (long long)r->anomaly_threshold);
    }
}

void th_rules_cli_show_text(const th_rule *r, th_buf *o)
{
    char a[32], b[32];
    th_buf_printf(o, "%s\n", r->path);
    kv(o, "name", r->name ? r->name : "(none)");
    kv(o, r->type == TH_RULE_HUNT ? "uuid" : "rule_id", r->rule_id ? r->rule_id : "(none)");
    th_buf_printf(o, "  %-20s %s", "type",
                  r->type == TH_RULE_UNKNOWN && r->type_name ? r->type_name
                                                             : th_rule_type_name(r->type));
    if (r->language_name)
        th_buf_printf(o, " (language %s)", r->language_name);
    th_buf_putc(o, '\n');
    if (r->type != TH_RULE_HUNT)
        th_buf_printf(o, "  %-20s %s, risk_score %lld\n", "severity",
                      r->severity ? r->severity : "?", (long long)r->risk_score);
    kv(o, "maturity", r->maturity);
    if (r->creation_date || r->updated_date)
        th_buf_printf(o, "  %-20s created %s, updated %s\n", "dates",
                      r->creation_date ? r->creation_date : "?",
                      r->updated_date ? r->updated_date : "?");
    kv(o, "min_stack_version", r->min_stack_version);
    list_line(o, "integration", r->integration);
    list_line(o, "author", r->author);
    kv(o, "license", r->license);

    if (r->type != TH_RULE_HUNT) {
        th_buf_printf(o, "\n[schedule]\n");
        th_rules_cli_fmt_ms(r->lookback_ms, a);
        th_rules_cli_fmt_ms(r->interval_ms, b);
        th_buf_printf(o, "  %-20s %s (looks back %s)\n", "from", r->from, a);
        th_buf_printf(o, "  %-20s %s (%s)\n", "interval", r->interval, b);
        kv(o, "to", r->to);
        th_buf_printf(o, "  %-20s %lld\n", "max_signals", (long long)r->max_signals);
        kv(o, "timestamp_override", r->timestamp_override);
        kv(o, "event_category", r->event_category_override);
        list_line(o, "index", r->index);
        kv(o, "data_view_id", r->data_view_id);
        kv(o, "building_block", r->building_block_type);
    }
    if (r->type == TH_RULE_HUNT) {
        for (size_t i = 0; i < r->hunt_queries.len; i++) {
            char t[64];
            snprintf(t, sizeof t, "query %zu, line %u", i + 1, r->hunt_query_lines[i]);
            block(o, t, r->hunt_queries.items[i]);
        }
    } else if (r->query) {
        char t[64];
        snprintf(t, sizeof t, "query, line %u col %u", r->query_line, r->query_col);
        block(o, t, r->query);
    }
    show_type_specific(o, r);
    show_threat(o, r);
    section_list(o, "mitre", r->hunt_mitre);
    section_list(o, "tags", r->tags);
    section_list(o, "investigation_fields", r->investigation_fields);
    block(o, "description", r->description);
    section_list(o, "false_positives", r->false_positives);
    section_list(o, "references", r->references);
    section_list(o, "notes", r->hunt_notes);
    block(o, "setup", r->setup);
    block(o, "note", r->note);
}

/* ---- rules show ---- */

static const th_opt show_opts[] = {
    {"format", TH_OPT_VALUE, "text|json", "output format (default text)"},
};

int th_cmd_rules_show(int argc, char **argv)
{
    th_args a;
    if (!th_args_parse(&a, "rules show", show_opts, TH_NELEM(show_opts), argc, argv, 3))
        return TH_EXIT_USAGE;
    if (a.help) {
        th_args_help("trailhound rules show [--format text|json] FILE...",
                     "Prints each rule as trailhound parsed it: identity, schedule (with the\n"
                     "lookback and interval it computed), query and where it starts in the file,\n"
                     "type-specific settings (new_terms, threshold, suppression), ATT&CK mapping,\n"
                     "tags and texts. JSON gives one object per rule, in an array.\n\n"
                     "example: trailhound rules show rules/my_rule.toml",
                     show_opts, TH_NELEM(show_opts));
        return TH_EXIT_OK;
    }
    bool json;
    if (!th_rules_cli_common_args("rules show", &a, "FILE", &json))
        return TH_EXIT_USAGE;
    th_ruleset rs;
    th_diags d;
    th_ruleset_init(&rs);
    th_diags_init(&d);
    int rc = th_rules_cli_load("rules show", &rs, &d, a.pos, a.npos);
    if (rc == TH_EXIT_OK) {
        th_buf out;
        th_buf_init(&out);
        th_jw w;
        th_jw_init(&w, &out);
        if (json)
            th_jw_arr(&w);
        for (size_t i = 0; i < rs.len; i++) {
            if (json) {
                th_rules_cli_json(&w, rs.rules[i], true);
            } else {
                if (i)
                    th_buf_puts(&out, "\n");
                th_rules_cli_show_text(rs.rules[i], &out);
            }
        }
        if (json) {
            th_jw_end(&w);
            th_buf_putc(&out, '\n');
        }
        th_buf_write(&out, stdout);
        th_buf_free(&out);
        th_rules_cli_print_diags(&d, stderr, false);
        rc = d.errors ? TH_EXIT_FINDINGS : TH_EXIT_OK;
    }
    th_diags_free(&d);
    th_ruleset_free(&rs);
    return rc;
}
