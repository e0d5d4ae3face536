/* The rule set: reading rule files and directories, and the checks that need
 * the whole set (duplicate ids and names). Directories are walked by the one
 * walker (base/walk.h: bytewise name order, loop-safe), so a set loads in the
 * same order everywhere and a symlink loop never loads a rule twice. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/map.h"
#include "base/walk.h"
#include "rules/rule.h"
#include "rules/rule_internal.h"

void th_ruleset_init(th_ruleset *rs)
{
    memset(rs, 0, sizeof(*rs));
    th_arena_init(&rs->arena, 1u << 20);
}

void th_ruleset_free(th_ruleset *rs)
{
    th_arena_free(&rs->arena);
    free(rs->rules);
    memset(rs, 0, sizeof(*rs));
}

/* Reads a whole file (at most TH_MAX_RULE_FILE_BYTES) into a malloc'd buffer. */
static char *read_file(const char *path, size_t *len, th_diags *diags)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1u << 14, n = 0;
    char *buf = th_xmalloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if (cap >= TH_MAX_RULE_FILE_BYTES) {
                th_diag_at(diags, TH_SEV_ERROR, path, 0, 0,
                           "file is larger than the limit of %u bytes",
                           (unsigned)TH_MAX_RULE_FILE_BYTES);
                free(buf);
                fclose(f);
                return NULL;
            }
            cap *= 2;
            buf = th_xrealloc(buf, cap + 1);
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "read error");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static bool load_file(th_ruleset *rs, const char *path, th_diags *diags)
{
    rs->files_seen++;
    size_t len = 0;
    char *buf = read_file(path, &len, diags);
    if (!buf)
        return false;
    if (th_rules_is_kibana_export(buf, len)) {
        rs->files_seen--; /* each exported rule counts as a file */
        size_t failed = th_rules_load_kibana(rs, path, buf, len, diags);
        free(buf);
        return failed == 0;
    }
    th_rule *r = th_rule_from_text(rs, buf, len, path, diags);
    free(buf);
    return r != NULL;
}

size_t th_ruleset_load(th_ruleset *rs, const char *const *paths, size_t n, th_diags *diags)
{
    th_walk_opts o = {.suffix = ".toml", .diags = diags};
    th_walk *w = th_walk_open(paths, n, &o);
    size_t failed = 0;
    th_walk_item it;
    th_walk_kind k;
    while ((k = th_walk_next(w, &it)) != TH_WALK_END) {
        if (k == TH_WALK_FILE && load_file(rs, it.path, diags))
            continue;
        if (k == TH_WALK_SKIPPED)
            rs->files_seen++; /* reported by the walker */
        rs->files_failed++;
        failed++;
    }
    th_walk_close(w);
    return failed;
}

const th_rule *th_ruleset_find(const th_ruleset *rs, const char *rule_id)
{
    for (size_t i = 0; rule_id && i < rs->len; i++)
        if (rs->rules[i]->rule_id && strcmp(rs->rules[i]->rule_id, rule_id) == 0)
            return rs->rules[i];
    return NULL;
}

/* Position of a key's value in the rule's own table, for pointing at it. */
static void key_pos(const th_rule *r, const char *key, unsigned *line, unsigned *col)
{
    const th_toml *t = th_toml_get(r->toml, r->type == TH_RULE_HUNT ? "hunt" : "rule");
    const th_toml *v = th_toml_get(t, key);
    *line = v ? v->line : 1;
    *col = v ? v->col : 1;
}

/* Rules and hunting queries are separate name spaces. */
static size_t dup_pass(const th_ruleset *rs, th_diags *diags, bool by_name, bool hunts)
{
    th_map seen;
    th_map_init(&seen);
    size_t found = 0;
    for (size_t i = 0; i < rs->len; i++) {
        const th_rule *r = rs->rules[i];
        if ((r->type == TH_RULE_HUNT) != hunts)
            continue;
        const char *k = by_name ? r->name : r->rule_id;
        if (!k)
            continue;
        bool inserted;
        void **slot = th_map_ref(&seen, th_str_c(k), &inserted);
        if (inserted) {
            *slot = (void *)r;
            continue;
        }
        const th_rule *first = *slot;
        unsigned line, col;
        key_pos(r, by_name ? "name" : (r->type == TH_RULE_HUNT ? "uuid" : "rule_id"), &line, &col);
        th_diag_at(diags, TH_SEV_ERROR, r->path, line, col, "duplicate %s '%s' (also in %s)",
                   by_name ? "name"
                   : hunts ? "uuid"
                           : "rule_id",
                   k, first->path);
        found++;
    }
    th_map_free(&seen);
    return found;
}

size_t th_ruleset_check_duplicates(const th_ruleset *rs, th_diags *diags)
{
    return dup_pass(rs, diags, false, false) + dup_pass(rs, diags, true, false) +
           dup_pass(rs, diags, false, true) + dup_pass(rs, diags, true, true);
}
