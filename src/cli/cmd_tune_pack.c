/* trailhound tune over a whole pack (tune/pack.h): two folders, or two git
 * revisions of a detection-rules checkout (--rules DIR). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/timeutil.h"
#include "cli/tune_cli.h"
#include "cli/verbs.h"
#include "tune/pack.h"
#include "json/json.h"

bool th_tune_cli_is_dir(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void print_text(const th_pack *p, const char *before, const char *after, size_t top)
{
    char f[32] = "-", t[32] = "-";
    if (p->from_ms != TH_TIME_NONE)
        th_time_format_iso(p->from_ms, f);
    if (p->to_ms != TH_TIME_NONE)
        th_time_format_iso(p->to_ms, t);
    printf("pack    before %s (%zu rules)  after %s (%zu rules)\n", before, p->side[0].rules.len,
           after, p->side[1].rules.len);
    printf("period  %s .. %s (%llu events, %zu pass%s over the data)\n", f, t,
           (unsigned long long)p->events, p->passes, p->passes == 1 ? "" : "es");
    double pct = p->total_before ? 100.0 * ((double)p->total_after - (double)p->total_before) /
                                       (double)p->total_before
                                 : 0;
    printf("alerts  before %zu  after %zu  change %+.1f%%\n", p->total_before, p->total_after, pct);
    printf("rules   changed %zu  added %zu  removed %zu  unchanged %zu  (did not run: %zu)\n\n",
           p->changed, p->added, p->removed, p->unchanged, p->not_run);
    printf("%-60s %-9s %7s %7s %8s\n", "rule (biggest movers first)", "status", "before", "after",
           "change");
    size_t shown = 0;
    for (size_t i = 0; i < p->nrows && shown < top; i++) {
        const th_pack_row *r = &p->rows[i];
        if (r->status == TH_PACK_UNCHANGED && r->nbefore == 0)
            continue; /* quiet and untouched: only in the totals */
        long d = (long)r->nafter - (long)r->nbefore;
        printf("%-60.60s %-9s %7zu %7zu %+8ld%s%s\n", r->name ? r->name : r->rule_id,
               th_pack_status_names[r->status], r->nbefore, r->nafter, d,
               r->skipped[0] ? "  not run: " : "", r->skipped);
        shown++;
    }
}

static void print_json(const th_pack *p)
{
    th_buf b;
    th_buf_init(&b);
    th_jw w;
    th_jw_init(&w, &b);
    th_jw_obj(&w);
    th_jw_key(&w, "before");
    th_jw_int(&w, (int64_t)p->total_before);
    th_jw_key(&w, "after");
    th_jw_int(&w, (int64_t)p->total_after);
    static const char *const keys[] = {"changed", "added", "removed", "unchanged", "not_run"};
    const size_t vals[] = {p->changed, p->added, p->removed, p->unchanged, p->not_run};
    for (size_t i = 0; i < 5; i++) {
        th_jw_key(&w, keys[i]);
        th_jw_int(&w, (int64_t)vals[i]);
    }
    th_jw_key(&w, "events");
    th_jw_int(&w, (int64_t)p->events);
    th_jw_key(&w, "rules");
    th_jw_arr(&w);
    for (size_t i = 0; i < p->nrows; i++) {
        const th_pack_row *r = &p->rows[i];
        th_jw_obj(&w);
        th_jw_key(&w, "rule_id");
        th_jw_cstr(&w, r->rule_id);
        th_jw_key(&w, "name");
        th_jw_cstr(&w, r->name ? r->name : "");
        th_jw_key(&w, "status");
        th_jw_cstr(&w, th_pack_status_names[r->status]);
        th_jw_key(&w, "before");
        th_jw_int(&w, (int64_t)r->nbefore);
        th_jw_key(&w, "after");
        th_jw_int(&w, (int64_t)r->nafter);
        if (r->skipped[0]) {
            th_jw_key(&w, "not_run");
            th_jw_cstr(&w, r->skipped);
        }
        th_jw_end(&w);
    }
    th_jw_end(&w);
    th_jw_end(&w);
    th_buf_putc(&b, '\n');
    th_buf_write(&b, stdout);
    th_buf_free(&b);
}

int th_tune_cli_pack(const char *rules_dir, const char *before, const char *after,
                     const th_replay_opts *ro, const char *fmt, size_t top)
{
    th_diags diags;
    th_diags_init(&diags);
    th_replay_opts o = *ro;
    o.diags = &diags;
    o.sequences = true;
    th_pack p;
    th_pack_init(&p);
    int rc = TH_EXIT_OK;
    size_t nb = rules_dir ? th_pack_load(&p, 0, rules_dir, before, &diags)
                          : th_pack_load(&p, 0, before, NULL, &diags);
    size_t na = rules_dir ? th_pack_load(&p, 1, rules_dir, after, &diags)
                          : th_pack_load(&p, 1, after, NULL, &diags);
    if ((nb == 0 && na == 0) || !th_pack_run(&p, &o)) {
        th_diags_print(&diags, stderr);
        fprintf(stderr, "trailhound tune: no rules to compare, or the data could not be read\n");
        rc = TH_EXIT_USAGE;
        goto out;
    }
    if (fmt && strcmp(fmt, "json") == 0)
        print_json(&p);
    else
        print_text(&p, before, after, top);
out:
    th_pack_free(&p);
    th_diags_free(&diags);
    return rc;
}
