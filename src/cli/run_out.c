/* Alert output formats and the run summary (run_out.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "base/timeutil.h"
#include "cli/run_out.h"

bool th_run_out_init(th_run_out *o, const char *format, const char *path,
                     const char *const *inputs, size_t ninputs)
{
    memset(o, 0, sizeof(*o));
    th_buf_init(&o->buf);
    if (!format || strcmp(format, "ndjson") == 0)
        o->fmt = TH_RUN_NDJSON;
    else if (strcmp(format, "table") == 0)
        o->fmt = TH_RUN_TABLE;
    else if (strcmp(format, "summary") == 0)
        o->fmt = TH_RUN_SUMMARY;
    else if (strcmp(format, "json") == 0)
        o->fmt = TH_RUN_JSON;
    else if (strcmp(format, "bulk") == 0)
        o->fmt = TH_RUN_BULK;
    else {
        fprintf(stderr,
                "trailhound run: unknown --format '%s' (ndjson, bulk, table, summary, json)\n",
                format);
        return false;
    }
    if (!th_outfile_open(&o->out, "run", path, inputs, ninputs))
        return false;
    o->f = o->out.f;
    return true;
}

void th_run_out_bulk_action(th_buf *b, const th_jval *doc, bool update)
{
    const th_jval *id = th_json_path_first(doc, TH_STR_LIT("kibana.alert.uuid"));
    th_jw w;
    th_jw_init(&w, b);
    th_jw_obj(&w);
    th_jw_key(&w, update ? "index" : "create");
    th_jw_obj(&w);
    th_jw_key(&w, "_index");
    th_jw_cstr(&w, ".alerts-security.alerts-default");
    if (id && id->type == TH_JSTR) {
        th_jw_key(&w, "_id");
        th_jw_str(&w, id->u.str);
    }
    th_jw_end(&w);
    th_jw_end(&w);
    th_buf_putc(b, '\n');
}

static void flush(th_run_out *o, bool force)
{
    if (o->buf.len && (force || o->buf.len > (1u << 16))) {
        if (th_buf_write(&o->buf, o->f) != 0)
            o->werr = true;
        th_buf_clear(&o->buf);
    }
}

/* Values of a field joined with ",", or "-". */
static void cell(th_buf *b, const th_jval *doc, const char *field, size_t width)
{
    const th_jval *v = th_json_path_first(doc, th_str_c(field));
    size_t start = b->len;
    if (!v)
        th_buf_putc(b, '-');
    else if (v->type == TH_JSTR || v->type == TH_JNUM)
        th_buf_putstr(b, v->u.str);
    else
        th_json_write(b, v);
    size_t n = b->len - start;
    if (width && n > width) {
        b->len = start + width;
        b->data[b->len - 1] = '~';
        b->data[b->len] = 0;
        n = width;
    }
    for (; n < width; n++)
        th_buf_putc(b, ' ');
}

void th_run_out_alert(void *ctx, const th_alert *a)
{
    th_run_out *o = ctx;
    o->alerts++;
    o->updates += a->update;
    switch (o->fmt) {
    case TH_RUN_NDJSON:
        th_json_write(&o->buf, a->doc);
        th_buf_putc(&o->buf, '\n');
        break;
    case TH_RUN_TABLE: {
        if (o->alerts == 1)
            th_buf_printf(&o->buf, "%-24s %-8s %-40s %-24s %-28s %-20s %-16s %s\n", "run time",
                          "severity", "rule", "original time", "event.action", "user.name",
                          "source.ip", "event.id / key");
        char t[32];
        th_time_format_iso(a->time_ms, t);
        th_buf_printf(&o->buf, "%-24s ", t);
        cell(&o->buf, a->doc, "kibana.alert.severity", 8);
        th_buf_putc(&o->buf, ' ');
        cell(&o->buf, a->doc, "kibana.alert.rule.name", 40);
        th_buf_putc(&o->buf, ' ');
        cell(&o->buf, a->doc, "kibana.alert.original_time", 24);
        th_buf_putc(&o->buf, ' ');
        cell(&o->buf, a->doc, "event.action", 28);
        th_buf_putc(&o->buf, ' ');
        cell(&o->buf, a->doc, "user.name", 20);
        th_buf_putc(&o->buf, ' ');
        cell(&o->buf, a->doc, "source.ip", 16);
        th_buf_putc(&o->buf, ' ');
        if (th_json_path_first(a->doc, TH_STR_LIT("kibana.alert.threshold_result")))
            cell(&o->buf, a->doc, "kibana.alert.threshold_result.terms", 0);
        else if (th_json_path_first(a->doc, TH_STR_LIT("kibana.alert.new_terms")))
            cell(&o->buf, a->doc, "kibana.alert.new_terms", 0);
        else
            cell(&o->buf, a->doc, "event.id", 0);
        th_buf_putc(&o->buf, '\n');
        break;
    }
    case TH_RUN_BULK:
        th_run_out_bulk_action(&o->buf, a->doc, a->update);
        th_json_write(&o->buf, a->doc);
        th_buf_putc(&o->buf, '\n');
        break;
    case TH_RUN_SUMMARY:
    case TH_RUN_JSON:
        break;
    }
    flush(o, false);
}

bool th_run_out_close(th_run_out *o)
{
    flush(o, true);
    if (o->werr) {
        th_outfile_discard(&o->out);
        fprintf(stderr, "trailhound run: write error%s\n",
                th_outfile_atomic(&o->out) ? "; nothing written, the output file is as it was"
                                           : "");
    } else if (!th_outfile_commit(&o->out)) {
        o->werr = true;
    }
    th_buf_free(&o->buf);
    return !o->werr;
}

bool th_run_out_stage(th_run_out *o, th_buf *content)
{
    flush(o, true);
    if (o->werr || !o->out.tmp || fflush(o->f) != 0 || fsync(fileno(o->f)) != 0)
        return false;
    FILE *f = fopen(o->out.tmp, "rb");
    if (!f)
        return false;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        th_buf_put(content, chunk, n);
    bool ok = !ferror(f);
    fclose(f);
    return ok;
}

void th_run_out_raw(th_run_out *o, const void *p, size_t n)
{
    th_buf_put(&o->buf, p, n);
    flush(o, false);
}

void th_run_out_discard(th_run_out *o)
{
    th_buf_free(&o->buf);
    th_outfile_discard(&o->out);
}

static const char *rid(const th_rule *r)
{
    return r->rule_id ? r->rule_id : r->path ? r->path : "?";
}

static int cmp_report(const void *a, const void *b)
{
    const th_rule_report *x = *(const th_rule_report *const *)a;
    const th_rule_report *y = *(const th_rule_report *const *)b;
    uint64_t nx = x->alerts + x->building_blocks, ny = y->alerts + y->building_blocks;
    if (nx != ny)
        return nx > ny ? -1 : 1;
    int c = strcmp(x->rule->name ? x->rule->name : "", y->rule->name ? y->rule->name : "");
    return c ? c : strcmp(rid(x->rule), rid(y->rule));
}

/* The engine's reports, most alerts first (ties by name, then rule_id). */
static const th_rule_report **by_alerts(const th_engine *e, size_t *n)
{
    const th_rule_report *rep = th_engine_reports(e, n);
    const th_rule_report **v = th_xcalloc(*n + 1, sizeof *v);
    for (size_t i = 0; i < *n; i++)
        v[i] = &rep[i];
    qsort(v, *n, sizeof *v, cmp_report);
    return v;
}

void th_run_summary_print(const th_run_summary *s, FILE *f)
{
    size_t n;
    const th_rule_report *rep = th_engine_reports(s->engine, &n);
    const th_rule_report **sorted = by_alerts(s->engine, &n);
    uint64_t alerts = 0, ran = 0, skipped = 0, failed = 0;
    fprintf(f, "run: rules with alerts, most first (alerts, runs truncated by max_signals):\n");
    for (size_t i = 0; i < n; i++) {
        const th_rule_report *r = sorted[i];
        if (r->skipped) {
            skipped += !r->failed;
            failed += r->failed;
            continue;
        }
        ran++;
        alerts += r->alerts + r->building_blocks;
        if (r->alerts || r->runs_truncated || r->state_capped)
            fprintf(f, "  %6llu  %4llu  %-10s %s (%s)%s%s\n", (unsigned long long)(r->alerts + r->building_blocks),
                    (unsigned long long)r->runs_truncated, th_rule_type_name(r->rule->type),
                    r->rule->name ? r->rule->name : "?", rid(r->rule),
                    r->budget_dropped || r->budget_reached
                        ? "  MEMORY BUDGET REACHED (--max-memory): results incomplete"
                    : r->state_capped ? "  STATE CAPPED (--max-state-mb): results incomplete"
                                      : "",
                    "");
    }
    if (failed) {
        fprintf(f, "run: %llu rules failed (their query does not compile or holds what "
                   "Elasticsearch rejects; no alerts):\n",
                (unsigned long long)failed);
        for (size_t i = 0; i < n; i++) {
            if (rep[i].skipped && rep[i].failed)
                fprintf(f, "  %-10s %s (%s): %s\n", th_rule_type_name(rep[i].rule->type),
                        rep[i].rule->name ? rep[i].rule->name : "?", rid(rep[i].rule),
                        rep[i].skipped);
        }
    }
    if (skipped) {
        fprintf(f, "run: %llu rules skipped:\n", (unsigned long long)skipped);
        for (size_t i = 0; i < n; i++) {
            if (rep[i].skipped && !rep[i].failed)
                fprintf(f, "  %-10s %s (%s): %s\n", th_rule_type_name(rep[i].rule->type),
                        rep[i].rule->name ? rep[i].rule->name : "?", rid(rep[i].rule),
                        rep[i].skipped);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!rep[i].skipped && rep[i].reads_alerts)
            fprintf(f, "run: %s (%s) read this run's own alerts (ES|QL FROM .alerts-security.*): "
                       "%llu alert reads over %llu runs\n",
                    rep[i].rule->name ? rep[i].rule->name : "?", rid(rep[i].rule),
                    (unsigned long long)rep[i].matches, (unsigned long long)rep[i].runs);
    if (s->profile && s->pipe)
        th_pipeline_profile_print(s->pipe, s->temporal_s, "run", f);
    if (s->profile) {
        fprintf(f, "run: profile (per rule: evaluations, eval ms, matches, excepted, runs, "
                   "temporal ms, peak state KiB; \"folded\": an ES|QL rule whose rows were grouped "
                   "into panes chunk by chunk):\n");
        for (size_t i = 0; i < n; i++) {
            const th_rule_report *r = &rep[i];
            if (r->skipped)
                continue;
            fprintf(f, "  %10llu %9.2f %8llu %6llu %7llu %9.2f %8.1f  %s%s\n",
                    (unsigned long long)r->evals, (double)r->eval_ns / 1e6,
                    (unsigned long long)r->matches, (unsigned long long)r->excepted,
                    (unsigned long long)r->runs, (double)r->temporal_ns / 1e6,
                    (double)r->state_peak_bytes / 1024.0, rid(r->rule),
                    r->esql_folded ? " folded" : "");
        }
    }
    int64_t from, to;
    th_engine_period(s->engine, &from, &to);
    char a[32] = "-", b[32] = "-";
    if (from != TH_TIME_NONE)
        th_time_format_iso(from, a);
    if (to != TH_TIME_NONE)
        th_time_format_iso(to, b);
    uint64_t ev, ing;
    th_engine_event_counts(s->engine, &ev, &ing);
    const th_input_stats *in = s->input;
    double mb = in ? (double)in->bytes / 1e6 : 0;
    fprintf(f, "run: %llu rules ran, %llu skipped", (unsigned long long)ran,
            (unsigned long long)skipped);
    if (failed)
        fprintf(f, ", %llu failed", (unsigned long long)failed);
    fprintf(f, "; %llu alerts; period %s .. %s\n", (unsigned long long)alerts, a, b);
    fprintf(f, "run: %llu events (%llu raw CloudTrail mapped, %llu ECS), %llu records skipped, "
               "%llu events without any timestamp; %llu files (%llu skipped)\n",
            (unsigned long long)s->events, (unsigned long long)s->raw,
            (unsigned long long)(s->events - s->raw),
            in ? (unsigned long long)in->records_skipped : 0ULL, (unsigned long long)s->no_time,
            in ? (unsigned long long)in->files : 0ULL,
            in ? (unsigned long long)in->files_skipped : 0ULL);
    fprintf(f, "run: event.ingested: %llu of %llu events have it", (unsigned long long)ing,
            (unsigned long long)ev);
    if (s->raw && s->ingest_delay_ms >= 0)
        fprintf(f, "; raw CloudTrail: set to @timestamp + %llds (--ingest-delay)",
                (long long)(s->ingest_delay_ms / 1000));
    if (s->raw && s->ingest_delay_ms < 0)
        fprintf(f, "; raw CloudTrail: not set (--ingest-delay none)");
    if (s->derived_ingested)
        fprintf(f, "; %llu ECS events stamped @timestamp + %llds", (unsigned long long)s->derived_ingested,
                (long long)(s->ecs_delay_ms / 1000));
    fprintf(f, "; the rest window on @timestamp\n");
    if (s->mapper)
        fprintf(f, "run: raw CloudTrail mapping: user agents %s; geo %s\n",
                th_mapper_has_ua(s->mapper) ? "parsed (uap-core)"
                                            : "not parsed (no regexes.yaml; scripts/setup.sh)",
                th_mapper_geo_desc(s->mapper)
                    ? th_mapper_geo_desc(s->mapper)
                    : "off (--no-geoip, or no database: run scripts/setup.sh or give --geoip-city)");
    uint64_t nd, db, mbytes;
    th_engine_memory(s->engine, &nd, &db, &mbytes);
    fprintf(f, "run: kept %llu matched documents (%.1f MB) and %.1f MB of match records\n",
            (unsigned long long)nd, (double)db / 1e6, (double)mbytes / 1e6);
    bool reached;
    uint64_t kept_peak = th_engine_retained_peak(s->engine, &reached), dropped = 0, bdropped = 0;
    for (size_t i = 0; i < n; i++)
        dropped += rep[i].dropped, bdropped += rep[i].budget_dropped;
    fprintf(f, "run: memory: engine kept at most %.1f MB", (double)kept_peak / 1e6);
    if (s->max_memory)
        fprintf(f, " of the --max-memory budget of %.0f MB", (double)s->max_memory / 1048576.0);
    fprintf(f, "; %llu matches not kept (no run could alert them); alerts held %.1f MB",
            (unsigned long long)dropped, (double)th_engine_alert_bytes(s->engine) / 1e6);
    if (reached)
        fprintf(f, "; BUDGET REACHED: %llu matches and some state not kept, results incomplete",
                (unsigned long long)bdropped);
    fprintf(f, "\n");
    if (s->exceptions)
        fprintf(f, "run: %zu exception items loaded\n", s->exceptions);
    fprintf(f, "run: %.1f MB read in %.3f s (%.1f MB/s, %.0f events/s); total %.3f s; "
               "peak RSS %.0f MB\n",
            mb, s->read_s, s->read_s > 0 ? mb / s->read_s : 0.0,
            s->read_s > 0 ? (double)s->events / s->read_s : 0.0, s->total_s,
            (double)th_peak_rss() / 1e6);
    free(sorted);
}

void th_run_summary_json(const th_run_summary *s, th_buf *out)
{
    size_t n;
    const th_rule_report **v = by_alerts(s->engine, &n);
    uint64_t alerts = 0, ran = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        skipped += v[i]->skipped != NULL;
        ran += v[i]->skipped == NULL;
        alerts += v[i]->alerts + v[i]->building_blocks;
    }
    int64_t from, to;
    th_engine_period(s->engine, &from, &to);
    uint64_t ev, ing;
    th_engine_event_counts(s->engine, &ev, &ing);
    const th_input_stats *in = s->input;
    th_jw w;
    th_jw_init(&w, out);
    th_jw_obj(&w);
    th_jw_key(&w, "alerts");
    th_jw_int(&w, (int64_t)alerts);
    th_jw_key(&w, "rules_ran");
    th_jw_int(&w, (int64_t)ran);
    th_jw_key(&w, "rules_skipped");
    th_jw_int(&w, (int64_t)skipped);
    th_jw_key(&w, "period");
    th_jw_obj(&w);
    th_jw_key(&w, "from");
    if (from != TH_TIME_NONE)
        th_jw_time(&w, from);
    else
        th_jw_null(&w);
    th_jw_key(&w, "to");
    if (to != TH_TIME_NONE)
        th_jw_time(&w, to);
    else
        th_jw_null(&w);
    th_jw_end(&w);
    th_jw_key(&w, "events");
    th_jw_obj(&w);
    th_jw_key(&w, "total");
    th_jw_int(&w, (int64_t)s->events);
    th_jw_key(&w, "raw_cloudtrail");
    th_jw_int(&w, (int64_t)s->raw);
    th_jw_key(&w, "ecs");
    th_jw_int(&w, (int64_t)(s->events - s->raw));
    th_jw_key(&w, "without_timestamp");
    th_jw_int(&w, (int64_t)s->no_time);
    th_jw_key(&w, "with_event_ingested");
    th_jw_int(&w, (int64_t)ing);
    th_jw_end(&w);
    th_jw_key(&w, "input");
    th_jw_obj(&w);
    th_jw_key(&w, "files");
    th_jw_int(&w, in ? (int64_t)in->files : 0);
    th_jw_key(&w, "files_skipped");
    th_jw_int(&w, in ? (int64_t)in->files_skipped : 0);
    th_jw_key(&w, "files_unreadable");
    th_jw_int(&w, in ? (int64_t)in->files_unreadable : 0);
    th_jw_key(&w, "records_skipped");
    th_jw_int(&w, in ? (int64_t)in->records_skipped : 0);
    th_jw_key(&w, "bytes");
    th_jw_int(&w, in ? (int64_t)in->bytes : 0);
    th_jw_end(&w);
    th_jw_key(&w, "rules");
    th_jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        const th_rule_report *r = v[i];
        th_jw_obj(&w);
        th_jw_key(&w, "rule_id");
        th_jw_cstr(&w, rid(r->rule));
        th_jw_key(&w, "name");
        th_jw_cstr(&w, r->rule->name ? r->rule->name : "");
        th_jw_key(&w, "type");
        th_jw_cstr(&w, th_rule_type_name(r->rule->type));
        if (r->skipped) {
            th_jw_key(&w, "skipped");
            th_jw_cstr(&w, r->skipped);
        } else {
            th_jw_key(&w, "alerts");
            th_jw_int(&w, (int64_t)(r->alerts + r->building_blocks));
            th_jw_key(&w, "runs");
            th_jw_int(&w, (int64_t)r->runs);
            th_jw_key(&w, "runs_truncated");
            th_jw_int(&w, (int64_t)r->runs_truncated);
            th_jw_key(&w, "matches");
            th_jw_int(&w, (int64_t)r->matches);
            th_jw_key(&w, "state_capped");
            th_jw_bool(&w, r->state_capped);
            th_jw_key(&w, "budget_reached"); /* --max-memory cut this rule's results */
            th_jw_bool(&w, r->budget_dropped || r->budget_reached);
        }
        th_jw_end(&w);
    }
    th_jw_end(&w);
    /* the budget and what it cut: the same for every --threads value, as
     * the commit keeps matches in input order (the text summary's "memory"
     * line); peak RSS is the process's, and varies like "seconds" */
    bool reached;
    uint64_t kept_peak = th_engine_retained_peak(s->engine, &reached);
    uint64_t ndocs, doc_bytes, match_bytes;
    th_engine_memory(s->engine, &ndocs, &doc_bytes, &match_bytes);
    uint64_t bdropped = 0;
    for (size_t i = 0; i < n; i++)
        bdropped += v[i]->budget_dropped;
    th_jw_key(&w, "memory");
    th_jw_obj(&w);
    th_jw_key(&w, "budget_bytes");
    if (s->max_memory)
        th_jw_int(&w, (int64_t)s->max_memory);
    else
        th_jw_null(&w);
    th_jw_key(&w, "budget_reached");
    th_jw_bool(&w, reached);
    th_jw_key(&w, "matches_not_kept");
    th_jw_int(&w, (int64_t)bdropped);
    /* the text summary's "kept" and "engine kept at most", in bytes */
    th_jw_key(&w, "documents_kept");
    th_jw_int(&w, (int64_t)ndocs);
    th_jw_key(&w, "document_bytes");
    th_jw_int(&w, (int64_t)doc_bytes);
    th_jw_key(&w, "match_bytes");
    th_jw_int(&w, (int64_t)match_bytes);
    th_jw_key(&w, "engine_peak_bytes");
    th_jw_int(&w, (int64_t)kept_peak);
    th_jw_end(&w);
    th_jw_key(&w, "seconds");
    th_jw_double(&w, s->total_s);
    th_jw_key(&w, "peak_rss_bytes");
    th_jw_int(&w, (int64_t)th_peak_rss());
    th_jw_end(&w);
    th_buf_putc(out, '\n');
    free(v);
}

uint64_t th_peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024u; /* Linux reports KiB */
}

void th_pipeline_profile_print(const th_pipeline *p, double temporal_s, const char *verb, FILE *f)
{
    const th_pipeline_profile *x = &p->prof;
    fprintf(f, "%s: profile (stages, CPU ms summed over threads): read+split+scan %.1f, "
               "DOM parse %.1f, plan+map %.1f, route+evaluate %.1f, commit %.1f, output %.1f",
            verb, (double)(x->read_ns + x->judge_ns + x->files_ns) / 1e6, (double)x->parse_ns / 1e6,
            (double)x->map_ns / 1e6,
            (double)x->eval_ns / 1e6, (double)x->commit_ns / 1e6, (double)(x->output_ns + x->render_ns) / 1e6);
    if (temporal_s >= 0)
        fprintf(f, ", temporal %.1f", temporal_s * 1e3);
    fputc('\n', f);
    if (x->worker_files || x->worker_parts)
        fprintf(f, "%s: profile (reading): %llu files read whole and %llu parts of big NDJSON "
                   "files read by the worker threads\n",
                verb, (unsigned long long)x->worker_files, (unsigned long long)x->worker_parts);
    fprintf(f, "%s: profile (mapping): %llu raw events ruled out before mapping (routing and "
               "gates on the raw record), %llu mapped for their planned rules (at most [%s]), "
               "%llu evaluated on exact slots (not mapped; %llu of them on the values alone), "
               "%llu mapped for every rule (no usable raw projection), %llu fully (alert sources, "
               "outputs)\n",
            verb, (unsigned long long)x->skipped, (unsigned long long)x->mapped_base,
            p->demand_rules, (unsigned long long)x->slotdoc, (unsigned long long)x->slotbare,
            (unsigned long long)x->mapped_unplanned,
            (unsigned long long)x->mapped_full);
}
