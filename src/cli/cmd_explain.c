/* trailhound explain --rule RULE --event EVENT.json | --data PATH --event-id ID:
 * every clause of the rule's query with its truth value on the event and the
 * values it saw (tune/explain.h); with --data, also whether the rule raised
 * an alert for the event when replayed (stateful rules). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/timeutil.h"
#include "cli/args.h"
#include "cli/tune_cli.h"
#include "cli/verbs.h"
#include "ecs/mapper.h"
#include "io/input.h"
#include "query/query.h"
#include "tune/explain.h"
#include "tune/replay.h"

static const th_opt opts[] = {
    {"rule", TH_OPT_VALUE, "RULE", "the rule: FILE or FILE@REV"},
    {"event", TH_OPT_VALUE, "EVENT.json", "one event: raw CloudTrail record or ECS document"},
    {"data", TH_OPT_MULTI, "PATH", "data to find --event-id in (and to replay the rule over)"},
    {"event-id", TH_OPT_VALUE, "ID", "the event's eventID / event.id"},
    {"from", TH_OPT_VALUE, "TIME", "start of the replayed period (with --data)"},
    {"to", TH_OPT_VALUE, "TIME", "end of the replayed period (with --data)"},
    {"format", TH_OPT_VALUE, "text|json", "output (default text)"},
};

static bool is_raw(const th_jval *doc)
{
    return th_jobj_get(doc, "eventName") && th_jobj_get(doc, "eventSource");
}

/* The ECS document of a raw record or ECS doc, in arena a. */
static th_jval *as_ecs(th_mapper *m, th_arena *a, th_jval *doc, th_str text)
{
    if (!is_raw(doc))
        return th_json_clone(a, doc);
    return th_json_clone(a, th_ecs_map(m, a, doc, text));
}

static th_jval *event_from_file(const char *path, th_mapper *m, th_arena *a)
{
    size_t len;
    char *text = th_tune_cli_read(path, &len);
    if (!text) {
        fprintf(stderr, "trailhound explain: cannot read %s\n", path);
        return NULL;
    }
    th_json_error err;
    char *keep = th_arena_strndup(a, text, len);
    free(text);
    th_jval *doc = th_json_parse(a, keep, len, &err);
    if (!doc) {
        fprintf(stderr, "%s: byte %zu: %s\n", path, err.offset, err.reason);
        return NULL;
    }
    th_jval *recs = th_jobj_get(doc, "Records"); /* an S3 object: its first record */
    if (th_jis(recs, TH_JARR) && recs->len)
        doc = recs->u.items[0];
    return as_ecs(m, a, doc, th_str_make(keep, len));
}

static th_jval *event_from_data(const char *const *data, size_t n, const char *id, th_mapper *m,
                                th_arena *a, th_diags *diags)
{
    th_input_opts io;
    th_input_opts_default(&io, diags);
    th_input *in = th_input_open(data, n, &io);
    th_record rec;
    th_jval *found = NULL;
    while (in && !found && th_input_next(in, &rec)) {
        const char *path = rec.kind == TH_REC_ECS ? "event.id" : "eventID";
        th_str v = th_jstr(th_json_path_first(rec.json, th_str_c(path)));
        if (th_str_eqc(v, id))
            found = as_ecs(m, a, rec.json, rec.text);
    }
    if (in)
        th_input_close(in);
    return found;
}

/* Replays the rule over the data: was an alert raised for this event? */
/* Same values at every new_terms field? (first value of each, as text) */
static bool same_terms(const th_rule *r, const th_jval *a, const th_jval *b)
{
    for (size_t i = 0; i < r->new_terms_fields.len; i++) {
        th_str f = th_str_c(r->new_terms_fields.items[i]), x, y;
        if (!th_tune_value_text(th_json_path_first(a, f), &x) ||
            !th_tune_value_text(th_json_path_first(b, f), &y) || !th_str_eq(x, y))
            return false;
    }
    return r->new_terms_fields.len > 0;
}

/* The earlier alert that made this event's terms "seen", if the replay has it. */
static void new_terms_claim(const th_rule *r, const th_replay *rp, const th_jval *doc)
{
    for (size_t i = 0; i < rp->alerts[0].len; i++) {
        const th_talert *al = &rp->alerts[0].items[i];
        if (!same_terms(r, al->doc, doc))
            continue;
        char ts[32] = "-";
        if (al->ts_ms != TH_TIME_NONE)
            th_time_format_iso(al->ts_ms, ts);
        printf("  the same terms alerted first at %s (event %.*s)\n", ts, (int)al->id.n, al->id.p);
        return;
    }
    printf("  no alert in the period carries these terms: they were already in the history\n"
           "  window when the period began\n");
}

static void stateful(const th_rule *r, const th_args *args, const char *const *data, size_t n,
                     const char *id, bool selected, const th_jval *doc, th_diags *diags)
{
    th_replay rp;
    th_replay_init(&rp);
    th_replay_add(&rp, r, NULL);
    th_replay_opts ro = {data, n, TH_TIME_NONE, TH_TIME_NONE, diags};
    if (!th_tune_cli_period("explain", args, &ro.from_ms, &ro.to_ms) || !th_replay_run(&rp, &ro)) {
        th_replay_free(&rp);
        return;
    }
    if (rp.skipped[0]) {
        printf("replay: the rule did not run: %s\n", rp.skipped[0]);
        th_replay_free(&rp);
        return;
    }
    bool raised = false;
    for (size_t i = 0; i < rp.alerts[0].len && !raised; i++)
        raised = th_str_eqc(rp.alerts[0].items[i].id, id);
    printf("replay: %zu alerts by the rule over the data; this event %s an alert\n",
           rp.alerts[0].len, raised ? "RAISED" : "did not raise");
    if (selected && !raised) {
        switch (r->type) {
        case TH_RULE_NEW_TERMS:
            printf("  why: new_terms alerts only on the first event of a term: a value of %s\n"
                   "  was already seen in the history window (%s) before this event\n",
                   r->new_terms_fields.len ? r->new_terms_fields.items[0] : "the term fields",
                   r->history_window_start ? r->history_window_start : "?");
            new_terms_claim(r, &rp, doc);
            break;
        case TH_RULE_THRESHOLD:
            printf("  why: threshold alerts are per bucket, not per event: this event's bucket\n"
                   "  did not reach %lld in a run's window (or the alert has no event id)\n",
                   (long long)r->threshold_value);
            break;
        default:
            printf("  why: outside the replayed period, past max_signals in its run, or\n"
                   "  removed by de-duplication or suppression\n");
        }
    }
    th_replay_free(&rp);
}

int th_cmd_explain(int argc, char **argv)
{
    th_args a;
    if (!th_args_parse(&a, "explain", opts, TH_NELEM(opts), argc, argv, 2))
        return TH_EXIT_USAGE;
    if (a.help) {
        th_args_help("trailhound explain --rule RULE (--event EVENT.json | --data PATH... "
                     "--event-id ID)",
                     "Shows every clause of the rule's query with its truth value on the event\n"
                     "and the values it saw, and the verdict. With --data, also replays the rule\n"
                     "and says whether the event raised an alert (and why not, for stateful "
                     "rules).\nExit 0 when the query selects the event, 1 when it does not.",
                     opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    const char *rulespec = th_args_value(&a, "rule"), *evfile = th_args_value(&a, "event");
    const char *id = th_args_value(&a, "event-id"), *fmt = th_args_value(&a, "format");
    const char *data[TH_ARGS_MAX];
    size_t ndata = th_args_values(&a, "data", data, TH_ARGS_MAX);
    if (!rulespec || (!evfile && !(ndata && id)) || a.npos ||
        (fmt && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0)) {
        fprintf(stderr, "trailhound explain: need --rule and --event FILE or --data PATH "
                        "--event-id ID (try --help)\n");
        return TH_EXIT_USAGE;
    }
    bool json = fmt && strcmp(fmt, "json") == 0;
    int rc = TH_EXIT_USAGE;
    th_diags diags;
    th_diags_init(&diags);
    th_replay rp; /* only for loading the rule (FILE@REV) */
    th_replay_init(&rp);
    th_arena arena;
    th_arena_init(&arena, 1 << 16);
    th_mapper *m = th_replay_mapper(&diags);
    const th_rule *r = th_replay_load(&rp, rulespec, &diags);
    th_query *q = NULL;
    if (r && r->query) {
        th_qlang lang = r->language == TH_LANG_EQL    ? TH_QLANG_EQL
                        : r->language == TH_LANG_ESQL ? TH_QLANG_ESQL
                                                      : TH_QLANG_KQL;
        th_qsource src = {r->path, r->query_line, r->query_col};
        q = th_query_compile(&arena, lang, r->query, strlen(r->query), &src, &diags);
        th_jval *doc = !m       ? NULL
                       : evfile ? event_from_file(evfile, m, &arena)
                                : event_from_data(data, ndata, id, m, &arena, &diags);
        if (q && doc) {
            th_buf out;
            th_buf_init(&out);
            th_explain_stats st;
            if (!json)
                th_buf_printf(&out, "rule   %s\nevent  %s\n\n", r->name ? r->name : "-",
                              id ? id : evfile);
            th_explain_query(&out, &arena, q, lang, doc, json, &st);
            if (json)
                th_buf_putc(&out, '\n');
            th_buf_write(&out, stdout);
            th_buf_free(&out);
            fflush(stdout);
            if (ndata && id && !json)
                stateful(r, &a, data, ndata, id, st.verdict, doc, &diags);
            rc = st.verdict ? TH_EXIT_OK : TH_EXIT_FINDINGS;
        } else if (q && !doc && m) {
            fprintf(stderr, "trailhound explain: event %s not found\n", id ? id : evfile);
        }
    } else if (r) {
        fprintf(stderr, "trailhound explain: the rule has no query\n");
    }
    for (size_t i = 0; i < diags.len; i++)
        if (diags.items[i].severity == TH_SEV_ERROR)
            th_diag_print(&diags.items[i], stderr);
    th_mapper_free(m);
    th_arena_free(&arena);
    th_replay_free(&rp);
    th_diags_free(&diags);
    return rc;
}
