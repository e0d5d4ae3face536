/* trailhound hunt QUERY.toml|DIR... [--esql TEXT] --data PATH... : runs
 * Elastic's hunting queries (`[hunt]` files, ES|QL) over logs and prints each
 * query's result: a table on a terminal, or NDJSON / CSV. The events go
 * through the same pipeline as `run` (routing on each query's leading WHERE,
 * lazy mapping); the query then runs once over every matching event in
 * [--from, --to], with NOW() = --now (default: --to, else the latest event). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/timeutil.h"
#include "cli/args.h"
#include "cli/enrich.h"
#include "cli/guard.h"
#include "cli/run_rules.h"
#include "cli/verbs.h"
#include "ecs/mapper.h"
#include "engine/engine.h"
#include "io/input.h"
#include "json/json.h"
#include "pipeline/pipeline.h"
#include "query/esql.h"
#include "query/query.h"
#include "rules/rule.h"

static const th_opt opts[] = {
    {"data", TH_OPT_MULTI, "PATH", "events: raw CloudTrail or ECS NDJSON, files, dirs, gzip, `-`"},
    {"esql", TH_OPT_VALUE, "TEXT", "an ES|QL query to run (instead of, or besides, hunting files)"},
    {"from", TH_OPT_VALUE, "T", "only events with @timestamp >= T (ISO-8601 or now-7d)"},
    {"to", TH_OPT_VALUE, "T", "only events with @timestamp <= T; NOW() defaults to it"},
    {"now", TH_OPT_VALUE, "T", "the time NOW() returns (default: --to, else the latest event)"},
    {"format", TH_OPT_VALUE, "F", "table (default on a terminal), ndjson (default otherwise) or csv"},
    {"threads", TH_OPT_VALUE, "N", "map and evaluate on N threads, the reading thread one of them (default: the number of cores)"},
    TH_ENRICH_OPTS,
};

typedef enum hfmt { HF_TABLE, HF_NDJSON, HF_CSV } hfmt;

/* one query of a hunt (a hunt file may hold several) */
typedef struct hq {
    const th_rule *hunt;
    size_t qi;          /* which of its queries */
    const char *why;    /* NULL, or why it cannot run */
    size_t idx;         /* engine index */
    th_esql *q;
} hq;

typedef struct collect {
    th_esql_doc *docs;
    size_t n, cap;
    int64_t from, to;
} collect;

static void take(void *ctx, const th_jval *doc, th_str id, int64_t ts)
{
    collect *c = ctx;
    if ((c->from != TH_TIME_NONE && ts < c->from) || (c->to != TH_TIME_NONE && ts > c->to))
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->docs = realloc(c->docs, c->cap * sizeof *c->docs);
        if (!c->docs)
            abort();
    }
    c->docs[c->n++] = (th_esql_doc){
        .doc = doc, .id = id, .index = TH_STR_LIT("logs-aws.cloudtrail-default"), .version = 1};
}

static bool parse_time(const char *s, int64_t *out)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    return th_datemath_eval(s, strlen(s), now_ms, out);
}

/* a cell as text: strings as they are, multi-values joined by ", " */
static void cell_text(th_buf *b, const th_jval *v)
{
    if (!v)
        return;
    if (v->type == TH_JSTR) {
        th_buf_putstr(b, v->u.str);
    } else if (v->type == TH_JARR) {
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                th_buf_puts(b, ", ");
            cell_text(b, v->u.items[i]);
        }
    } else {
        th_json_write(b, v);
    }
}

static void csv_field(th_buf *o, th_str s)
{
    bool quote = memchr(s.p, ',', s.n) || memchr(s.p, '"', s.n) || memchr(s.p, '\n', s.n);
    if (!quote) {
        th_buf_putstr(o, s);
        return;
    }
    th_buf_putc(o, '"');
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '"')
            th_buf_putc(o, '"');
        th_buf_putc(o, s.p[i]);
    }
    th_buf_putc(o, '"');
}

#define MAXW 48

static void print_header(FILE *f, const hq *h, size_t nrows, uint64_t warnings)
{
    const th_rule *r = h->hunt;
    fprintf(f, "# %s", r->name ? r->name : "ES|QL query");
    if (r->hunt_queries.len > 1)
        fprintf(f, " (query %zu of %zu)", h->qi + 1, r->hunt_queries.len);
    fputc('\n', f);
    if (r->description) {
        fputs("#   ", f);
        for (const char *p = r->description; *p; p++) {
            if (*p == '\n') {
                if (p[1])
                    fputs("\n#   ", f);
            } else {
                fputc(*p, f);
            }
        }
        fputc('\n', f);
    }
    if (r->hunt_mitre.len) {
        fputs("#   MITRE:", f);
        for (size_t i = 0; i < r->hunt_mitre.len; i++)
            fprintf(f, " %s", r->hunt_mitre.items[i]);
        fputc('\n', f);
    }
    fprintf(f, "#   %zu rows", nrows);
    if (warnings)
        fprintf(f, "; %llu warnings (multi-valued operands, values that did not convert)",
                (unsigned long long)warnings);
    fputc('\n', f);
}

static void print_result(FILE *f, hfmt fmt, th_arena *a, const th_esql_result *res)
{
    size_t nc = th_esql_ncols(res), nr = th_esql_nrows(res);
    th_buf o;
    th_buf_init(&o);
    if (fmt == HF_NDJSON) {
        for (size_t r = 0; r < nr; r++) {
            th_jval *obj = th_jnew_obj(a);
            for (size_t c = 0; c < nc; c++) {
                th_jval *v = th_esql_cell(a, res, r, c);
                th_jobj_set(a, obj, th_esql_colname(res, c), v ? v : th_jnew(a, TH_JNULL));
            }
            th_json_write(&o, obj);
            th_buf_putc(&o, '\n');
        }
    } else if (fmt == HF_CSV) {
        for (size_t c = 0; c < nc; c++) {
            if (c)
                th_buf_putc(&o, ',');
            csv_field(&o, th_esql_colname(res, c));
        }
        th_buf_putc(&o, '\n');
        th_buf t;
        th_buf_init(&t);
        for (size_t r = 0; r < nr; r++) {
            for (size_t c = 0; c < nc; c++) {
                if (c)
                    th_buf_putc(&o, ',');
                th_buf_clear(&t);
                cell_text(&t, th_esql_cell(a, res, r, c));
                csv_field(&o, th_buf_str(&t));
            }
            th_buf_putc(&o, '\n');
        }
        th_buf_free(&t);
    } else {
        size_t *w = calloc(nc ? nc : 1, sizeof *w);
        th_buf *cells = calloc((nr + 1) * (nc ? nc : 1), sizeof *cells);
        if (!w || !cells)
            abort();
        for (size_t c = 0; c < nc; c++) {
            th_buf_putstr(&cells[c], th_esql_colname(res, c));
            for (size_t r = 0; r < nr; r++)
                cell_text(&cells[(r + 1) * nc + c], th_esql_cell(a, res, r, c));
        }
        for (size_t i = 0; i < (nr + 1) * nc; i++) {
            size_t cw = cells[i].len > MAXW ? MAXW : cells[i].len;
            if (cw > w[i % nc])
                w[i % nc] = cw;
        }
        for (size_t r = 0; r <= nr; r++) {
            for (size_t c = 0; c < nc; c++) {
                th_buf *b = &cells[r * nc + c];
                size_t len = b->len > MAXW ? MAXW - 3 : b->len;
                th_buf_put(&o, b->data ? b->data : "", len);
                if (b->len > MAXW)
                    th_buf_puts(&o, "...");
                size_t shown = b->len > MAXW ? MAXW : b->len;
                if (c + 1 < nc)
                    for (size_t k = shown; k < w[c] + 2; k++)
                        th_buf_putc(&o, ' ');
            }
            th_buf_putc(&o, '\n');
            if (r == 0) {
                for (size_t c = 0; c < nc; c++) {
                    for (size_t k = 0; k < w[c]; k++)
                        th_buf_putc(&o, '-');
                    if (c + 1 < nc)
                        th_buf_puts(&o, "  ");
                }
                th_buf_putc(&o, '\n');
            }
        }
        for (size_t i = 0; i < (nr + 1) * nc; i++)
            th_buf_free(&cells[i]);
        free(cells);
        free(w);
    }
    th_buf_write(&o, f);
    th_buf_free(&o);
}

int th_cmd_hunt(int argc, char **argv)
{
    th_args args;
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            break;
        } else if (strcmp(argv[i], "--state") == 0 || strncmp(argv[i], "--state=", 8) == 0) {
            fprintf(stderr, "trailhound hunt: no --state: a hunt answers over all the --data it is "
                            "given (narrow it with --from/--to); incremental daily detection is "
                            "`run --state` (docs/DESIGN-NOTES.md, incremental runs)\n");
            return TH_EXIT_USAGE;
        }
    if (!th_args_parse(&args, "hunt", opts, TH_NELEM(opts), argc, argv, 2))
        return TH_EXIT_USAGE;
    if (args.help) {
        th_args_help(
            "trailhound hunt QUERY.toml|DIR... [--esql TEXT] --data PATH... [--from T] [--to T] [--format F]",
            "Run hunting queries (detection-rules hunting/**/queries/*.toml, ES|QL) over logs and\n"
            "print each result: the hunt's name, description and MITRE ids, then its rows (a table\n"
            "on a terminal; --format ndjson or csv for one object or line per row, the header then\n"
            "on stderr). NOW() is --now, else --to, else the latest event's time, so a hunt's\n"
            "`@timestamp > now() - 7 day` looks back from the end of the data. ES|QL's default\n"
            "LIMIT 1000 applies to a query without LIMIT. A hunt has no --state: each one reads\n"
            "all of --data and answers over all of it (narrow it with --from/--to); incremental\n"
            "daily detection is `run --state`.\n"
            "exit codes: 0 no rows, 1 rows (or query / input errors), 2 usage error.\n\n"
            "example: trailhound hunt detection-rules/hunting/aws/queries --data cloudtrail/",
            opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    const char *dpaths[TH_ARGS_MAX];
    size_t nd = th_args_values(&args, "data", dpaths, TH_ARGS_MAX);
    const char *inline_q = th_args_value(&args, "esql");
    if (nd == 0 || (args.npos == 0 && !inline_q)) {
        fprintf(stderr, "trailhound hunt: give hunting files or --esql TEXT, and --data PATH...\n");
        return TH_EXIT_USAGE;
    }
    int64_t from = TH_TIME_NONE, to = TH_TIME_NONE, now = TH_TIME_NONE;
    const char *v;
    if (((v = th_args_value(&args, "from")) && !parse_time(v, &from)) ||
        ((v = th_args_value(&args, "to")) && !parse_time(v, &to)) ||
        ((v = th_args_value(&args, "now")) && !parse_time(v, &now))) {
        fprintf(stderr, "trailhound hunt: bad time '%s' (ISO-8601 or date math)\n", v);
        return TH_EXIT_USAGE;
    }
    hfmt fmt = isatty(1) ? HF_TABLE : HF_NDJSON;
    if ((v = th_args_value(&args, "format"))) {
        if (strcmp(v, "table") == 0)
            fmt = HF_TABLE;
        else if (strcmp(v, "ndjson") == 0)
            fmt = HF_NDJSON;
        else if (strcmp(v, "csv") == 0)
            fmt = HF_CSV;
        else {
            fprintf(stderr, "trailhound hunt: bad --format '%s' (table, ndjson, csv)\n", v);
            return TH_EXIT_USAGE;
        }
    }
    unsigned threads;
    if (!th_cli_threads("hunt", &args, &threads))
        return TH_EXIT_USAGE;
    /* the same mapping and enrichment as run, so a hunt sees the fields a rule sees */
    th_mapper_opts mo;
    th_mapper_paths paths;
    th_cli_enrich_opts(&args, &mo, &paths);

    int rc = TH_EXIT_OK;
    th_diags diags;
    th_diags_init(&diags);
    diags.echo = stderr;
    th_ruleset rs;
    th_ruleset_init(&rs);
    if (args.npos)
        th_ruleset_load(&rs, args.pos, args.npos, &diags);
    th_arena qa;
    th_arena_init(&qa, 1 << 16);
    th_rule inline_rule;
    memset(&inline_rule, 0, sizeof inline_rule);
    inline_rule.type = TH_RULE_HUNT;
    inline_rule.name = "--esql";
    inline_rule.rule_id = "esql";
    inline_rule.path = "--esql";
    inline_rule.query = inline_q;
    const char *one[1] = {inline_q};
    if (inline_q) {
        inline_rule.hunt_queries.items = one;
        inline_rule.hunt_queries.len = 1;
    }
    th_engine_opts eo;
    th_engine_opts_default(&eo);
    th_engine *e = th_engine_new(&eo);
    size_t cap = 16, nq = 0;
    hq *qs = th_xcalloc(cap, sizeof *qs);
    for (size_t i = 0; i <= rs.len; i++) {
        const th_rule *r = i < rs.len ? rs.rules[i] : inline_q ? &inline_rule : NULL;
        if (!r)
            break;
        if (r->type != TH_RULE_HUNT) {
            fprintf(stderr, "trailhound hunt: %s is a rule, not a hunting query (use `run`)\n", r->path);
            continue;
        }
        for (size_t k = 0; k < r->hunt_queries.len; k++) {
            if (nq == cap) {
                cap *= 2;
                qs = realloc(qs, cap * sizeof *qs);
                if (!qs)
                    abort();
            }
            hq *h = &qs[nq++];
            memset(h, 0, sizeof *h);
            h->hunt = r;
            h->qi = k;
            th_qsource src = {r->path, r->hunt_query_lines ? r->hunt_query_lines[k] : 1,
                              r->hunt_query_cols ? r->hunt_query_cols[k] : 1};
            h->why = th_run_add_esql(e, r, r->hunt_queries.items[k], &src, &qa, &diags, NULL, &h->idx, &h->q);
        }
    }
    th_input_opts io;
    th_input_opts_default(&io, &diags);
    io.lazy = true;
    th_input *in = th_input_open(dpaths, nd, &io);
    th_pipeline feed = {.engines = {e}, .nengines = 1, .mo = &mo, .diags = &diags,
                        .delay = TH_TIME_NONE, .threads = threads, .progress = isatty(2) != 0,
                        .verb = "hunt"};
    th_pipeline_run(&feed, in);
    th_engine_finish(e, NULL, NULL);
    if (now == TH_TIME_NONE) {
        int64_t pf, pt;
        th_engine_period(e, &pf, &pt);
        now = to != TH_TIME_NONE ? to : pt != TH_TIME_NONE ? pt : 0;
    }
    size_t with_rows = 0;
    for (size_t i = 0; i < nq; i++) {
        hq *h = &qs[i];
        FILE *hf = fmt == HF_TABLE ? stdout : stderr;
        if (h->why) {
            print_header(hf, h, 0, 0);
            fprintf(hf, "#   not run: %s\n", h->why);
            rc = TH_EXIT_FINDINGS;
            continue;
        }
        collect c = {.from = from, .to = to};
        th_engine_each_doc(e, h->idx, take, &c);
        th_arena ra;
        th_arena_init(&ra, 1 << 16);
        const char *err = NULL;
        th_esql_result *res = th_esql_run(&ra, h->q, c.docs, c.n, now, 0, &err);
        if (!res) {
            print_header(hf, h, 0, 0);
            fprintf(hf, "#   query error: %s\n", err);
            rc = TH_EXIT_FINDINGS;
        } else {
            print_header(hf, h, th_esql_nrows(res), th_esql_warnings(res));
            print_result(stdout, fmt, &ra, res);
            if (fmt == HF_TABLE && i + 1 < nq)
                fputc('\n', stdout);
            if (th_esql_nrows(res))
                with_rows++;
        }
        fflush(stdout);
        th_arena_free(&ra);
        free(c.docs);
    }
    fprintf(stderr, "hunt: %zu queries, %zu with rows; %llu events read\n", nq, with_rows,
            (unsigned long long)feed.events);
    if (with_rows && rc == TH_EXIT_OK)
        rc = TH_EXIT_FINDINGS;
    if (diags.errors || rs.files_failed)
        rc = TH_EXIT_FINDINGS;
    if (in)
        th_input_close(in);
    th_pipeline_free(&feed);
    th_engine_free(e);
    free(qs);
    th_arena_free(&qa);
    th_ruleset_free(&rs);
    th_diags_free(&diags);
    return rc;
}
