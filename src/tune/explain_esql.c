/* Explain for ES|QL rules (tune/explain.h): the query's commands with the
 * rows each took in and gave out in one scheduled run, and where the event
 * asked about left the pipeline. The run is the real evaluator's
 * (th_esql_run_traced), so the counts are the ones `run` sees. */
#include <stdint.h>
#include <stdio.h>

#include "base/timeutil.h"
#include "json/json.h"
#include "query/esql.h"
#include "tune/explain.h"

size_t th_explain_esql_reach(th_arena *a, const th_esql *q, const th_esql_doc *docs, size_t n, size_t track,
                             int64_t run_ms, size_t limit)
{
    const char *err = NULL;
    th_esql_result *res = th_esql_run_traced(a, q, docs, n, run_ms, limit, track, &err);
    if (!res)
        return 0;
    size_t nc = th_esql_ncmds(q), k = 0;
    while (k < nc && th_esql_cmd_tracked(res, k) > 0)
        k++;
    return k == nc && th_esql_tracked_rows(res) > 0 ? nc + 1 : k;
}

bool th_explain_esql(th_buf *out, th_arena *a, const th_esql *q, const th_esql_doc *docs, size_t n,
                     size_t track, int64_t from_ms, int64_t run_ms, size_t limit, bool json)
{
    const char *err = NULL;
    /* a LIMIT of SIZE_MAX: the query's own (Kibana pages on for these) */
    th_esql_result *res = th_esql_run_traced(a, q, docs, n, run_ms, limit, track, &err);
    char from[32], run[32];
    th_time_format_iso(from_ms, from);
    th_time_format_iso(run_ms, run);
    size_t nc = th_esql_ncmds(q), drop = SIZE_MAX;
    if (res)
        for (size_t i = 0; i < nc && drop == SIZE_MAX; i++)
            if (th_esql_cmd_tracked(res, i) == 0)
                drop = i;
    size_t final = res ? th_esql_tracked_rows(res) : 0;
    bool limited = res && drop == SIZE_MAX && final == 0;
    bool agg = th_esql_aggregating(q);
    if (json) {
        th_buf_printf(out, "{\"esql\":{\"run\":\"%s\",\"window_from\":\"%s\",\"documents\":%zu,", run, from, n);
        if (!res) {
            th_buf_puts(out, "\"error\":");
            th_json_write_str(out, th_str_c(err ? err : "query error"));
            th_buf_puts(out, ",\"selected\":false}}");
            return false;
        }
        th_buf_puts(out, "\"commands\":[");
        for (size_t i = 0; i < nc; i++) {
            size_t in, o;
            th_esql_cmd_rows(res, i, &in, &o);
            th_buf_printf(out, "%s{\"command\":\"%s\",\"line\":%u,\"rows_in\":%zu,\"rows_out\":%zu,\"event_rows\":%zu}",
                          i ? "," : "", th_esql_cmd_name(q, i), th_esql_cmd_line(q, i), in, o,
                          th_esql_cmd_tracked(res, i));
        }
        th_buf_printf(out, "],\"result_rows\":%zu,\"event_result_rows\":%zu,\"dropped_at\":", th_esql_nrows(res),
                      final);
        if (drop != SIZE_MAX)
            th_buf_printf(out, "{\"command\":\"%s\",\"index\":%zu,\"line\":%u}", th_esql_cmd_name(q, drop), drop,
                          th_esql_cmd_line(q, drop));
        else if (limited)
            th_buf_puts(out, "{\"command\":\"LIMIT\",\"index\":null,\"line\":null}");
        else
            th_buf_puts(out, "null");
        th_buf_printf(out, ",\"selected\":%s}}", final ? "true" : "false");
        return final > 0;
    }
    th_buf_printf(out, "ES|QL  the run at %s over [%s, %s]: %zu document%s of the rule's index\n", run, from, run,
                  n, n == 1 ? "" : "s");
    if (!res) {
        th_buf_printf(out, "  the query failed: %s (Elasticsearch fails the run: no alerts)\n",
                      err ? err : "error");
        return false;
    }
    th_buf_printf(out, "  %-10s %5s %9s %9s  %s\n", "command", "line", "rows in", "rows out", "this event");
    for (size_t i = 0; i < nc; i++) {
        size_t in, o, tr = th_esql_cmd_tracked(res, i);
        th_esql_cmd_rows(res, i, &in, &o);
        char inb[24];
        if (i == 0)
            snprintf(inb, sizeof inb, "-");
        else
            snprintf(inb, sizeof inb, "%zu", in);
        const char *what;
        char held[48];
        if (i > drop)
            what = "";
        else if (i == drop)
            what = "DROPPED here";
        else {
            snprintf(held, sizeof held, "in %zu row%s", tr, tr == 1 ? "" : "s");
            what = held;
        }
        th_buf_printf(out, "  %-10s %5u %9s %9zu  %s\n", th_esql_cmd_name(q, i), th_esql_cmd_line(q, i), inb, o,
                      what);
    }
    if (limited) {
        size_t in, o;
        th_esql_cmd_rows(res, nc - 1, &in, &o);
        th_buf_printf(out, "  %-10s %5s %9zu %9zu  DROPPED here (past the LIMIT %zu)\n", "LIMIT", "-", o,
                      th_esql_nrows(res), limit == SIZE_MAX ? (size_t)1000 : limit);
    }
    th_buf_printf(out, "verdict: ");
    if (final)
        th_buf_printf(out, "the event reaches %zu of the %zu result row%s (%s)\n", final, th_esql_nrows(res),
                      th_esql_nrows(res) == 1 ? "" : "s",
                      agg ? "an aggregate row it counts in: each row is an alert" : "its own row: an alert");
    else if (drop != SIZE_MAX)
        th_buf_printf(out, "the event leaves the pipeline at %s (line %u of the rule file)\n", th_esql_cmd_name(q, drop),
                      th_esql_cmd_line(q, drop));
    else
        th_buf_printf(out, "the event's rows are past the LIMIT\n");
    return final > 0;
}
