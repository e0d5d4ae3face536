/* Replaying rule versions with the engine (replay.h). */
#include "tune/replay.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/timeutil.h"
#include "ecs/mapper.h"
#include "engine/engine.h"
#include "engine/sequence.h"
#include "event/event.h"
#include "io/input.h"
#include "pipeline/pipeline.h"
#include "query/esql.h"
#include "query/ir.h"
#include "query/query.h"

void th_replay_init(th_replay *r)
{
    memset(r, 0, sizeof *r);
    th_arena_init(&r->arena, 1 << 20);
    th_ruleset_init(&r->rules);
}

void th_replay_texts_free(th_replay_texts *t)
{
    for (size_t i = 0; i < t->len; i++)
        free(t->items[i].text);
    free(t->items);
    memset(t, 0, sizeof *t);
}

void th_replay_free(th_replay *r)
{
    for (size_t i = 0; i < r->n; i++) {
        th_talerts_free(&r->alerts[i]);
        th_replay_texts_free(&r->texts[i]);
    }
    th_ruleset_free(&r->rules);
    th_arena_free(&r->arena);
}

/* Runs git with argv (NULL-terminated, argv[0] "git") and returns its
 * standard output, malloc'd and NUL-terminated; NULL when it fails. */
static char *git_out(char *const *argv, size_t *len)
{
    int fd[2];
    if (pipe(fd) != 0)
        return NULL;
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return NULL;
    }
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execvp("git", argv);
        _exit(127);
    }
    close(fd[1]);
    th_buf b;
    th_buf_init(&b);
    char tmp[65536];
    ssize_t k;
    while ((k = read(fd[0], tmp, sizeof tmp)) > 0)
        th_buf_put(&b, tmp, (size_t)k);
    close(fd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        th_buf_free(&b);
        return NULL;
    }
    th_buf_put(&b, "", 0);
    *len = b.len;
    return b.data;
}

char *th_git_show(const char *path, const char *rev, size_t *len)
{
    char dir[PATH_MAX], spec[PATH_MAX + 128];
    const char *slash = strrchr(path, '/');
    if (slash) {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
        if (!dir[0])
            snprintf(dir, sizeof dir, "/");
    } else {
        snprintf(dir, sizeof dir, ".");
    }
    snprintf(spec, sizeof spec, "%s:./%s", rev, slash ? slash + 1 : path);
    char *argv[] = {"git", "-C", dir, "show", spec, NULL};
    return git_out(argv, len);
}

char *th_git_ls(const char *dir, const char *rev, size_t *len)
{
    char r[256];
    snprintf(r, sizeof r, "%s", rev);
    char *argv[] = {"git", "-C", (char *)dir, "ls-tree", "-r", "--name-only", r, "--", ".", NULL};
    return git_out(argv, len);
}

const th_rule *th_replay_load(th_replay *r, const char *spec, th_diags *diags)
{
    /* FILE@REV: the last '@' after the last '/' (file names rarely hold '@') */
    const char *at = strrchr(spec, '@'), *slash = strrchr(spec, '/');
    char *path = th_arena_strdup(&r->arena, spec);
    const char *rev = NULL;
    if (at && (!slash || at > slash) && at[1]) {
        path[at - spec] = 0;
        rev = at + 1;
    }
    size_t len = 0;
    char *text = rev ? th_git_show(path, rev, &len) : th_file_read(path, &len);
    if (!text) {
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0,
                   rev ? "cannot read the file at revision %s (git show failed)"
                       : "cannot read the file%s",
                   rev ? rev : "");
        return NULL;
    }
    th_rule *rule = th_rule_from_text(&r->rules, text, len, spec, diags);
    free(text);
    return rule;
}

size_t th_replay_add(th_replay *r, const th_rule *rule, const char *query)
{
    if (r->n >= TH_REPLAY_MAX_RULES)
        return r->n - 1;
    r->rule[r->n] = rule;
    r->query_text[r->n] = query ? th_arena_strdup(&r->arena, query) : NULL;
    return r->n++;
}

static bool pred_match(const void *pred, const th_jval *doc)
{
    return th_query_match(pred, doc);
}

typedef struct sink_ctx {
    th_replay *r;
    size_t i;
} sink_ctx;

static void keep_text(th_replay_texts *t, const th_alert *a)
{
    th_buf b;
    th_buf_init(&b);
    th_json_write(&b, a->doc);
    if (t->len == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->items = th_xrealloc(t->items, t->cap * sizeof *t->items);
    }
    t->items[t->len++] = (th_replay_text){a->time_ms, th_xstrndup(b.data ? b.data : "", b.len), b.len};
    th_buf_free(&b);
}

static void on_alert(void *vctx, const th_alert *a)
{
    sink_ctx *c = vctx;
    if (c->r->keep_texts)
        keep_text(&c->r->texts[c->i], a);
    th_jval *doc = th_json_clone(&c->r->arena, a->doc);
    th_talert al;
    bool ok = th_talert_from_doc(doc, &al);
    const th_jval *thr = th_json_path_first(doc, TH_STR_LIT("kibana.alert.threshold_result"));
    if (thr && !th_json_path_first(doc, TH_STR_LIT("event.id"))) {
        /* a threshold alert has no source event: it is the same alert in both
         * versions when its bucket (term values) and last event time agree */
        th_buf b;
        th_buf_init(&b);
        th_buf_puts(&b, "threshold:");
        const th_jval *terms = th_jobj_get(thr, "terms");
        for (uint32_t i = 0; th_jis(terms, TH_JARR) && i < terms->len; i++) {
            th_str v;
            if (th_tune_value_text(th_jobj_get(terms->u.items[i], "value"), &v))
                th_buf_printf(&b, "%s%.*s", i ? "," : "", (int)v.n, v.p);
        }
        th_buf_printf(&b, "@%lld", (long long)al.ts_ms);
        al.id = th_str_make(th_arena_strndup(&c->r->arena, b.data, b.len), b.len);
        th_buf_free(&b);
        ok = true;
    }
    const th_jval *rt = th_json_path_first(doc, TH_STR_LIT("kibana.alert.rule.type"));
    if (th_jis(doc, TH_JOBJ) && rt && th_str_eqc(th_jstr(rt), "esql") &&
        !th_json_path_first(doc, TH_STR_LIT("event.id"))) {
        /* an ES|QL result row (aggregating): its alert id hashes the query
         * text, so across versions it is the same alert when the run and the
         * row's columns agree (a changed aggregate is a different alert) */
        th_buf b;
        th_buf_init(&b);
        th_buf_printf(&b, "esql@%lld", (long long)a->time_ms);
        for (uint32_t k = 0; k < doc->len; k++) {
            th_str key = doc->u.members[k].key;
            if ((key.n >= 7 && memcmp(key.p, "kibana.", 7) == 0) || th_str_eqc(key, "@timestamp") ||
                th_str_eqc(key, "event.kind"))
                continue;
            th_buf_printf(&b, "|%.*s=", (int)key.n, key.p);
            th_json_write(&b, doc->u.members[k].val);
        }
        al.id = th_str_make(th_arena_strndup(&c->r->arena, b.data, b.len), b.len);
        th_buf_free(&b);
        al.ts_ms = a->time_ms;
        ok = true;
    }
    if (!ok)
        return;
    if (al.ts_ms == TH_TIME_NONE)
        al.ts_ms = a->time_ms;
    th_talerts_push(&c->r->alerts[c->i], al);
}

static th_qlang lang_of(const th_rule *rule)
{
    switch (rule->language) {
    case TH_LANG_EQL: return TH_QLANG_EQL;
    case TH_LANG_ESQL: return TH_QLANG_ESQL;
    default: return TH_QLANG_KQL;
    }
}

/* Prefilter conditions the engine indexes, from the compiled query. */
static size_t prefilters(th_arena *a, const th_query *q, th_prefilter *pf)
{
    static const char *const fields[] = {"event.provider", "event.action", "data_stream.dataset"};
    size_t n = 0;
    for (size_t f = 0; f < 3; f++) {
        th_str *vals = TH_ANEWN(a, th_str, 64);
        int k = th_query_required_values(q, fields[f], vals, 64);
        if (k > 0)
            pf[n++] = (th_prefilter){fields[f], vals, (size_t)k, false};
    }
    return n;
}

static th_engine *new_engine(const th_replay_opts *o)
{
    th_engine_opts eo;
    th_engine_opts_default(&eo);
    eo.from_ms = o->from_ms;
    eo.to_ms = o->to_ms;
    return th_engine_new(&eo);
}

/* An EQL sequence version (explain): every stage compiled on its own. */
static th_engine *sequence_engine(th_replay *r, size_t i, const th_replay_opts *o, const char *text,
                                  const th_qsource *src)
{
    const th_rule *rule = r->rule[i];
    th_seq_text st;
    char err[160];
    if (!th_seq_split(&r->arena, text, &st, err, sizeof err)) {
        r->skipped[i] = th_arena_printf(&r->arena, "EQL sequence: %s", err);
        return NULL;
    }
    th_seq_stage stages[TH_SEQ_MAX_STAGES];
    for (size_t k = 0; k < st.nstages; k++) {
        th_query *q = th_query_compile_eql(&r->arena, st.stage[k], strlen(st.stage[k]),
                                           rule->event_category_override, src, o->diags);
        if (!q) {
            r->skipped[i] = "an EQL sequence stage does not compile";
            return NULL;
        }
        stages[k] = (th_seq_stage){pred_match, q};
    }
    th_engine *e = new_engine(o);
    th_engine_add_sequence(e, rule, stages, st.nstages, st.keys, st.nkeys, st.maxspan_ms,
                           r->exc[i] ? r->exc[i] : o->exc);
    if (i == 0 && o->trace)
        th_engine_set_trace(e, o->trace);
    return e;
}

static th_engine *version_engine(th_replay *r, size_t i, const th_replay_opts *o,
                                 const th_query **q0)
{
    const th_rule *rule = r->rule[i];
    const char *why = th_engine_unsupported(rule);
    if (why) {
        r->skipped[i] = why;
        return NULL;
    }
    const char *text = r->query_text[i] ? r->query_text[i] : rule->query;
    if (!text) {
        r->skipped[i] = "the rule has no query";
        return NULL;
    }
    th_qsource src = {rule->path, rule->query_line, rule->query_col};
    if (o->sequences && rule->type == TH_RULE_EQL && th_seq_is_sequence(text))
        return sequence_engine(r, i, o, text, &src);
    if (rule->type == TH_RULE_ESQL) { /* the same path as `run` */
        th_engine *e = new_engine(o);
        th_esql *eq = NULL;
        const char *no =
            th_engine_add_esql_query(e, rule, text, &src, &r->arena, o->diags, o->exc, NULL, &eq);
        if (no) {
            r->skipped[i] = no;
            th_engine_free(e);
            return NULL;
        }
        /* what "the query selects" means for an observer: the events that
         * pass its leading WHERE (the necessary condition the engine routes on) */
        th_ir *ir = i == 0 ? th_esql_lower(&r->arena, eq) : NULL;
        if (ir) {
            th_diags local;
            th_diags_init(&local);
            *q0 = th_query_compile_ir(&r->arena, TH_QLANG_ESQL, ir, &src, &local);
            th_diags_free(&local);
        }
        if (i == 0 && o->trace)
            th_engine_set_trace(e, o->trace);
        return e;
    }
    th_query *q = th_query_compile(&r->arena, lang_of(rule), text, strlen(text), &src, o->diags);
    if (!q) {
        r->skipped[i] = "the query does not compile";
        return NULL;
    }
    if (i == 0)
        *q0 = q;
    th_engine *e = new_engine(o);
    th_prefilter *pf = TH_ANEWN(&r->arena, th_prefilter, 3);
    size_t npf = prefilters(&r->arena, q, pf);
    th_engine_add_rule(e, rule, pred_match, q, pf, npf, r->exc[i] ? r->exc[i] : o->exc);
    if (i == 0 && o->trace)
        th_engine_set_trace(e, o->trace);
    return e;
}

th_mapper *th_replay_mapper(th_diags *diags, const th_mapper_opts *mo)
{
    if (mo)
        return th_mapper_new(mo, diags);
    th_mapper_opts d;
    th_mapper_paths paths;
    th_mapper_opts_deployed(&d, &paths);
    return th_mapper_new(&d, diags);
}

typedef struct observer {
    const th_replay_opts *o;
    const th_query *q0;
} observer;

static void on_event(void *vctx, const th_event *ev, th_rec_kind kind)
{
    (void)kind;
    observer *ob = vctx;
    ob->o->observe(ob->o->observe_ctx, ev->doc, ob->q0 && th_query_match(ob->q0, ev->doc));
}

/* The replay's events go through the pipeline: every rule version's engine
 * is fed in one pass, on every core, with the same result as one. With an
 * observer every event is mapped completely and shown to it. */
static uint64_t feed(th_pipeline *p, th_engine **eng, size_t n, th_mapper *m, th_input *in,
                     const th_replay_opts *o, observer *ob)
{
    *p = (th_pipeline){.diags = o->diags,
                       .delay = TH_TIME_NONE,
                       .threads = th_pipeline_default_threads(),
                       .verb = "tune",
                       .mapper = m};
    if (o->observe) {
        p->full_docs = true;
        p->on_event = on_event;
        p->ctx = ob;
    }
    for (size_t i = 0; i < n && p->nengines < TH_PIPELINE_MAX_ENGINES; i++)
        if (eng[i])
            p->engines[p->nengines++] = eng[i];
    th_pipeline_run(p, in);
    return p->events; /* the mapper stays the caller's; p lives through th_engine_finish */
}

bool th_replay_run(th_replay *r, const th_replay_opts *o)
{
    th_engine *eng[TH_REPLAY_MAX_RULES] = {0};
    observer ob = {o, NULL};
    for (size_t i = 0; i < r->n; i++) {
        eng[i] = version_engine(r, i, o, &ob.q0);
        for (size_t k = 0; eng[i] && k < o->nforeign; k++)
            th_engine_add_foreign_alert(eng[i], o->foreign[k].time_ms, o->foreign[k].text, o->foreign[k].len);
    }
    th_mapper *m = th_replay_mapper(o->diags, o->mo);
    th_input_opts io;
    th_input_opts_default(&io, o->diags);
    io.lazy = true; /* the pipeline parses only what it maps */
    th_input *in = m ? th_input_open(o->data, o->ndata, &io) : NULL;
    bool ok = in != NULL;
    th_pipeline pipe = {0};
    if (in)
        r->events += feed(&pipe, eng, r->n, m, in, o, &ob);
    r->from_ms = r->to_ms = TH_TIME_NONE;
    for (size_t i = 0; i < r->n; i++) {
        if (!eng[i])
            continue;
        sink_ctx c = {r, i};
        th_engine_finish(eng[i], on_alert, &c);
        if (r->from_ms == TH_TIME_NONE)
            th_engine_period(eng[i], &r->from_ms, &r->to_ms);
        th_engine_free(eng[i]);
    }
    if (in)
        th_input_close(in);
    th_mapper_free(m);
    /* nothing read and something went wrong reading: the data is not there */
    if (r->events == 0 && o->diags && o->diags->errors > 0)
        ok = false;
    return ok;
}
