/* Whole-pack comparison (pack.h). */
#include "tune/pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "engine/engine.h"

const char *const th_pack_status_names[] = {"unchanged", "changed", "added", "removed"};

void th_pack_init(th_pack *p)
{
    memset(p, 0, sizeof *p);
    th_ruleset_init(&p->side[0].rules);
    th_ruleset_init(&p->side[1].rules);
}

void th_pack_free(th_pack *p)
{
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < p->side[s].ntexts; i++)
            free(p->side[s].texts[i]);
        free(p->side[s].texts);
        th_ruleset_free(&p->side[s].rules);
    }
    free(p->rows);
    for (size_t i = 0; i < p->nreplays; i++) {
        th_replay_free(p->replays[i]);
        free(p->replays[i]);
    }
    free(p->replays);
}

/* Keeps the text of every rule loaded so far (rules.len may grow by one
 * or none per file). */
static void keep_text(th_pack_side *s, char *text)
{
    s->texts = realloc(s->texts, (s->rules.len + 1) * sizeof *s->texts);
    while (s->ntexts + 1 < s->rules.len)
        s->texts[s->ntexts++] = NULL;
    if (s->ntexts < s->rules.len)
        s->texts[s->ntexts++] = text;
    else
        free(text);
}

size_t th_pack_load(th_pack *p, int side, const char *dir, const char *rev, th_diags *diags)
{
    th_pack_side *s = &p->side[side];
    if (!rev) {
        const char *paths[1] = {dir};
        th_ruleset_load(&s->rules, paths, 1, diags);
        for (size_t i = s->ntexts; i < s->rules.len; i++) {
            size_t len;
            s->texts = realloc(s->texts, (i + 1) * sizeof *s->texts);
            s->texts[s->ntexts++] = th_file_read(s->rules.rules[i]->path, &len);
        }
        return s->rules.len;
    }
    size_t len;
    char *list = th_git_ls(dir, rev, &len);
    if (!list) {
        th_diag_at(diags, TH_SEV_ERROR, dir, 0, 0, "cannot list the files at revision %s", rev);
        return 0;
    }
    for (char *line = list; line < list + len && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        size_t n = strlen(line);
        if (n > 5 && strcmp(line + n - 5, ".toml") == 0) {
            char path[4096], label[4400];
            snprintf(path, sizeof path, "%s/%s", dir, line);
            snprintf(label, sizeof label, "%s@%s", path, rev);
            size_t tl;
            char *text = th_git_show(path, rev, &tl);
            if (text && strstr(text, "[rule]") &&
                th_rule_from_text(&s->rules, text, tl, label, diags))
                keep_text(s, text);
            else
                free(text);
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    free(list);
    return s->rules.len;
}

static const char *text_of(const th_pack_side *s, const th_rule *r)
{
    for (size_t i = 0; i < s->rules.len && i < s->ntexts; i++)
        if (s->rules.rules[i] == r)
            return s->texts[i];
    return NULL;
}

static const th_rule *find(const th_pack_side *s, const char *id)
{
    for (size_t i = 0; i < s->rules.len; i++)
        if (s->rules.rules[i]->rule_id && strcmp(s->rules.rules[i]->rule_id, id) == 0)
            return s->rules.rules[i];
    return NULL;
}

static void pair(th_pack *p)
{
    size_t cap = p->side[0].rules.len + p->side[1].rules.len + 1;
    p->rows = calloc(cap, sizeof *p->rows);
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < p->side[s].rules.len; i++) {
            const th_rule *r = p->side[s].rules.rules[i];
            if (!r->rule_id || (s == 1 && find(&p->side[0], r->rule_id)))
                continue;
            th_pack_row *row = &p->rows[p->nrows++];
            row->rule_id = r->rule_id;
            row->before = s == 0 ? r : NULL;
            row->after = find(&p->side[1], r->rule_id);
            row->name = (row->after ? row->after : r)->name;
            if (!row->before)
                row->status = TH_PACK_ADDED;
            else if (!row->after)
                row->status = TH_PACK_REMOVED;
            else {
                const char *a = text_of(&p->side[0], row->before),
                           *b = text_of(&p->side[1], row->after);
                row->status = a && b && strcmp(a, b) == 0 ? TH_PACK_UNCHANGED : TH_PACK_CHANGED;
            }
        }
}

typedef struct slot {
    th_pack_row *row;
    bool after;  /* the version replayed: before (false) or after */
    bool reader; /* a rule over the alert index: replayed after the others, on their alerts */
    bool both;   /* an unchanged rule's one replay stands for both sides */
} slot;

static int mover_cmp(const void *x, const void *y)
{
    const th_pack_row *a = x, *b = y;
    size_t da = a->nafter > a->nbefore ? a->nafter - a->nbefore : a->nbefore - a->nafter;
    size_t db = b->nafter > b->nbefore ? b->nafter - b->nbefore : b->nbefore - b->nafter;
    if (da != db)
        return da > db ? -1 : 1;
    return strcmp(a->name ? a->name : "", b->name ? b->name : "");
}

/* One replay of up to TH_REPLAY_MAX_RULES versions: their alert counts
 * into the rows; with texts, each version's alerts as text into texts[]
 * (parallel to sl). */
static bool run_batch(th_pack *p, const th_replay_opts *o, const slot *sl, size_t k, th_replay_texts *texts)
{
    th_replay *rp = calloc(1, sizeof *rp), *keep = NULL;
    th_replay_init(rp);
    rp->keep_texts = texts != NULL;
    if (p->keep_alerts) {
        p->replays = realloc(p->replays, (p->nreplays + 1) * sizeof *p->replays);
        p->replays[p->nreplays++] = keep = rp;
    }
    for (size_t j = 0; j < k; j++)
        th_replay_add(rp, sl[j].after ? sl[j].row->after : sl[j].row->before, NULL);
    bool ok = th_replay_run(rp, o);
    p->passes++;
    p->events = rp->events;
    if (p->from_ms == INT64_MIN) {
        p->from_ms = rp->from_ms;
        p->to_ms = rp->to_ms;
    }
    for (size_t j = 0; j < k; j++) {
        th_pack_row *row = sl[j].row;
        size_t c = rp->alerts[j].len;
        const th_talerts *al = keep ? &rp->alerts[j] : NULL;
        if (rp->skipped[j])
            snprintf(row->skipped, sizeof row->skipped, "%s", rp->skipped[j]);
        if (sl[j].after) {
            row->nafter = c;
            row->alerts[1] = al;
        } else {
            row->nbefore = c;
            row->alerts[0] = al;
            if (sl[j].both) {
                row->nafter = c;
                row->alerts[1] = al;
            }
        }
        if (texts) { /* moved out of the replay, which may be freed now */
            texts[j] = rp->texts[j];
            memset(&rp->texts[j], 0, sizeof rp->texts[j]);
        }
    }
    if (!keep) {
        th_replay_free(rp);
        free(rp);
    }
    return ok;
}

/* The alerts side s's rules raised, in the order `run` over that side's
 * folder creates them (rule after rule, in load order), for its rules over
 * the alert index. */
static th_replay_text *side_alerts(const th_pack *p, int s, const slot *todo, size_t n,
                                   const th_replay_texts *texts, size_t *out_n)
{
    size_t cap = 0, len = 0;
    th_replay_text *v = NULL;
    const th_ruleset *rs = &p->side[s].rules;
    for (size_t i = 0; i < rs->len; i++) {
        const th_rule *ru = rs->rules[i];
        for (size_t k = 0; k < n; k++) {
            const slot *sl = &todo[k];
            if (sl->reader)
                continue;
            const th_rule *v_rule = sl->after ? sl->row->after : sl->row->before;
            bool of_side = s == 0 ? !sl->after : sl->after || sl->both;
            if (!of_side || (s == 0 ? v_rule : sl->row->after) != ru)
                continue;
            for (size_t a = 0; a < texts[k].len; a++) {
                if (len == cap) {
                    cap = cap ? cap * 2 : 64;
                    v = realloc(v, cap * sizeof *v);
                }
                v[len++] = texts[k].items[a]; /* borrowed */
            }
            break;
        }
    }
    *out_n = len;
    return v;
}

bool th_pack_run(th_pack *p, const th_replay_opts *o)
{
    pair(p);
    /* the versions to replay: an unchanged rule once, for both sides, except
     * a rule over the alert index (its input, the other rules' alerts, may
     * differ between the sides) */
    slot *todo = calloc(2 * p->nrows + 1, sizeof *todo);
    size_t n = 0, nreaders = 0;
    for (size_t i = 0; i < p->nrows; i++) {
        th_pack_row *r = &p->rows[i];
        bool rb = r->before && th_engine_esql_reads_alerts(r->before);
        bool ra = r->after && th_engine_esql_reads_alerts(r->after);
        if (r->before)
            todo[n++] = (slot){r, false, rb, r->status == TH_PACK_UNCHANGED && !rb};
        if (r->after && (r->status != TH_PACK_UNCHANGED || ra))
            todo[n++] = (slot){r, true, ra, false};
        nreaders += rb + ra;
    }
    /* the others first, in passes of TH_REPLAY_MAX_RULES (their alerts kept
     * as text when some rule reads them) ... */
    slot *first = calloc(n + 1, sizeof *first), *last = calloc(n + 1, sizeof *last);
    size_t nfirst = 0, nlast = 0;
    for (size_t k = 0; k < n; k++) {
        if (todo[k].reader)
            last[nlast++] = todo[k];
        else
            first[nfirst++] = todo[k];
    }
    th_replay_texts *texts = nreaders ? calloc(nfirst + 1, sizeof *texts) : NULL;
    bool ok = true;
    p->from_ms = p->to_ms = INT64_MIN;
    for (size_t at = 0; at < nfirst || (nfirst == 0 && at == 0 && !p->passes); at += TH_REPLAY_MAX_RULES) {
        size_t k = nfirst - at < TH_REPLAY_MAX_RULES ? nfirst - at : TH_REPLAY_MAX_RULES;
        ok = run_batch(p, o, first + at, k, texts ? texts + at : NULL) && ok;
        if (nfirst == 0)
            break;
    }
    /* ... then the rules over the alert index of each side, reading the
     * alerts of the other rules of the same side, as `run` over that side's
     * folder would (one engine there: every rule's alerts in one store) */
    for (int s = 0; s < 2 && nlast; s++) {
        slot sl[TH_REPLAY_MAX_RULES];
        size_t k = 0;
        for (size_t j = 0; j < nlast && k < TH_REPLAY_MAX_RULES; j++)
            if (last[j].after == (s == 1))
                sl[k++] = last[j];
        if (!k)
            continue;
        th_replay_opts ro = *o;
        ro.foreign = side_alerts(p, s, first, nfirst, texts, &ro.nforeign);
        ok = run_batch(p, &ro, sl, k, NULL) && ok;
        free((void *)ro.foreign);
    }
    for (size_t k = 0; texts && k < nfirst; k++)
        th_replay_texts_free(&texts[k]);
    free(texts);
    free(first);
    free(last);
    free(todo);
    for (size_t i = 0; i < p->nrows; i++) {
        th_pack_row *r = &p->rows[i];
        p->total_before += r->nbefore;
        p->total_after += r->nafter;
        p->not_run += r->skipped[0] != 0;
        switch (r->status) {
        case TH_PACK_UNCHANGED: p->unchanged++; break;
        case TH_PACK_CHANGED: p->changed++; break;
        case TH_PACK_ADDED: p->added++; break;
        case TH_PACK_REMOVED: p->removed++; break;
        }
    }
    qsort(p->rows, p->nrows, sizeof *p->rows, mover_cmp);
    return ok;
}
