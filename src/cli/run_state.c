/* run --state: the summary lines about the state file (run_state.h). */
#include "cli/run_state.h"

#include <stdlib.h>

void th_run_state_loaded(const th_engine *e, const th_state_rule_status *st, const char *path,
                         FILE *f)
{
    if (!f)
        return;
    size_t n;
    const th_rule_report *rep = th_engine_reports(e, &n);
    size_t cnt[4] = {0};
    for (size_t i = 0; i < n; i++)
        if (!rep[i].skipped)
            cnt[st[i]]++;
    fprintf(f, "state: %s: %zu rules resume, %zu new, %zu changed (start fresh)%s\n", path,
            cnt[TH_STATE_RESUMED], cnt[TH_STATE_NEW], cnt[TH_STATE_CHANGED],
            cnt[TH_STATE_UNREADABLE] ? ", some unreadable (start fresh)" : "");
    for (size_t i = 0; i < n; i++) {
        if (rep[i].skipped)
            continue;
        if (st[i] == TH_STATE_CHANGED)
            fprintf(f, "state:   changed, starts fresh: %s (its query, type or schedule changed)\n",
                    rep[i].rule->name);
        else if (st[i] == TH_STATE_UNREADABLE)
            fprintf(f, "state:   unreadable state, starts fresh: %s\n", rep[i].rule->name);
    }
}

static int by_bytes_desc(const void *x, const void *y, const th_state_rule_size *sz)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return sz[a].bytes < sz[b].bytes ? 1 : sz[a].bytes > sz[b].bytes ? -1 : (a > b) - (a < b);
}

void th_run_state_saved(const th_engine *e, const th_state_rule_size *sz, const char *path,
                        const th_input_stats *in, FILE *f)
{
    size_t n;
    const th_rule_report *rep = th_engine_reports(e, &n);
    uint64_t total = 0, capped = 0;
    size_t *ord = malloc((n ? n : 1) * sizeof *ord);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        total += sz[i].bytes;
        capped += sz[i].capped;
        if (sz[i].bytes)
            ord[k++] = i;
    }
    for (size_t i = 1; i < k; i++) { /* few rules: insertion sort */
        size_t x = ord[i], j = i;
        while (j > 0 && by_bytes_desc(&ord[j - 1], &x, sz) > 0) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = x;
    }
    fprintf(f, "state: saved %s: %.1f KB of rule state over %zu rules; %llu input files read before, not opened\n",
            path, (double)total / 1024.0, k, (unsigned long long)(in ? in->files_read_before : 0));
    for (size_t i = 0; i < k && i < 5; i++)
        fprintf(f, "state:   %8.1f KB  %6llu matches  %s%s\n", (double)sz[ord[i]].bytes / 1024.0,
                (unsigned long long)sz[ord[i]].matches, rep[ord[i]].rule->name,
                sz[ord[i]].capped ? "  STATE CAPPED (--max-state-mb)" : "");
    if (capped) {
        fprintf(f, "state: %llu rules over --max-state-mb: trimmed to it, their oldest matches "
                   "not saved (a later run's results may be incomplete):\n",
                (unsigned long long)capped);
        for (size_t i = 0; i < n; i++)
            if (sz[i].capped)
                fprintf(f, "state:   STATE CAPPED  %s: %llu oldest matches not saved, %llu kept "
                           "(%.1f KB)\n",
                        rep[i].rule->name, (unsigned long long)sz[i].dropped,
                        (unsigned long long)sz[i].matches, (double)sz[i].bytes / 1024.0);
    }
    free(ord);
}
