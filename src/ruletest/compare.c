/* Expected vs got for one rule test (ruletest.h). */
#include <string.h>

#include "ruletest/ruletest.h"

static bool has(const th_rtest_got *g, const char *id)
{
    for (size_t i = 0; i < g->nids; i++)
        if (strcmp(g->ids[i], id) == 0)
            return true;
    return false;
}

void th_rtest_compare(th_arena *a, const th_rtest *t, const th_rtest_got *got, th_rtest_diff *d)
{
    memset(d, 0, sizeof *d);
    if (got->skipped) {
        /* a rule that did not run cannot satisfy anything, not even
         * `alerts = 0`: that would pass for the wrong reason */
        d->verdict = t->pending ? TH_RTEST_PENDING : TH_RTEST_FAIL;
        return;
    }
    d->count_ok = !t->has_count || (int64_t)got->alerts == t->count;
    d->missing = TH_ANEWN(a, const char *, t->nmust ? t->nmust : 1);
    d->unexpected = TH_ANEWN(a, const char *, t->nmust_not ? t->nmust_not : 1);
    for (size_t i = 0; i < t->nmust; i++)
        if (!has(got, t->must[i]))
            d->missing[d->nmissing++] = t->must[i];
    for (size_t i = 0; i < t->nmust_not; i++)
        if (has(got, t->must_not[i]))
            d->unexpected[d->nunexpected++] = t->must_not[i];
    bool ok = d->count_ok && !d->nmissing && !d->nunexpected;
    if (t->pending)
        d->verdict = ok ? TH_RTEST_PENDING_PASS : TH_RTEST_FAIL;
    else
        d->verdict = ok ? TH_RTEST_PASS : TH_RTEST_FAIL;
}

void th_rtest_diff_print(FILE *f, const th_rtest *t, const th_rtest_got *got,
                         const th_rtest_diff *d)
{
    if (got->skipped) {
        fprintf(f, "    the rule did not run: %s\n", got->skipped);
        return;
    }
    if (t->has_count)
        fprintf(f, "    alerts:     expected %lld, got %zu%s\n", (long long)t->count, got->alerts,
                d->count_ok ? "" : "   <-- differs");
    for (size_t i = 0; i < d->nmissing; i++)
        fprintf(f, "    - missing:    %s (expected to alert, did not)\n", d->missing[i]);
    for (size_t i = 0; i < d->nunexpected; i++)
        fprintf(f, "    + unexpected: %s (must not alert, did)\n", d->unexpected[i]);
    fprintf(f, "    got ids:    ");
    if (!got->nids)
        fprintf(f, "(none)");
    for (size_t i = 0; i < got->nids && i < 20; i++)
        fprintf(f, "%s%s", i ? ", " : "", got->ids[i]);
    if (got->nids > 20)
        fprintf(f, ", ... (%zu in all)", got->nids);
    fprintf(f, "\n");
}
