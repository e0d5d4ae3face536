/* Rules vs. the mapping's gaps (cli/never_see.h). */
#include "cli/never_see.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "rules/rule.h"

#define MAX_GROUPS 8

typedef struct hit {
    const th_rule *rule;
    const char *field; /* the first field of the group it reads */
} hit;

typedef struct group {
    const char *name, *why;
    hit *hits;
    size_t n, cap;
} group;

typedef struct ctx {
    const th_mapper_opts *mo;
    group g[MAX_GROUPS];
    size_t ng;
} ctx;

static void on_field(void *vc, const th_rule *rule, const char *field)
{
    ctx *c = vc;
    const char *name = NULL;
    const char *why = th_mapper_opts_gap(c->mo, th_str_c(field), &name);
    if (!why)
        return;
    size_t i = 0;
    while (i < c->ng && strcmp(c->g[i].name, name) != 0)
        i++;
    if (i == c->ng) {
        if (c->ng == MAX_GROUPS)
            return;
        c->g[c->ng++] = (group){name, why, NULL, 0, 0};
    }
    group *g = &c->g[i];
    for (size_t k = 0; k < g->n; k++)
        if (g->hits[k].rule == rule)
            return; /* one line per rule: the first field it reads */
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->hits = th_xrealloc(g->hits, g->cap * sizeof *g->hits);
    }
    g->hits[g->n++] = (hit){rule, field};
}

size_t th_never_see_print(const th_engine *e, const th_mapper_opts *mo, const char *verb, FILE *f)
{
    ctx c = {.mo = mo};
    th_engine_each_field(e, on_field, &c);
    size_t total = 0;
    for (size_t i = 0; i < c.ng; i++) {
        group *g = &c.g[i];
        total += g->n;
        fprintf(f, "%s: %zu rule%s read %s, which raw CloudTrail never has here: %s\n", verb, g->n,
                g->n == 1 ? "" : "s", g->name, g->why);
        for (size_t k = 0; k < g->n && k < TH_NEVER_SEE_LISTED; k++)
            fprintf(f, "%s:   %s (%s)\n", verb, g->hits[k].rule->name ? g->hits[k].rule->name : "?",
                    g->hits[k].field);
        if (g->n > TH_NEVER_SEE_LISTED)
            fprintf(f, "%s:   ... and %zu more\n", verb, g->n - TH_NEVER_SEE_LISTED);
        free(g->hits);
    }
    return total;
}
