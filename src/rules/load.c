/* The rule set: reading rule files and directories, and the checks that need
 * the whole set (duplicate ids and names). Directory entries are visited in
 * bytewise name order so a set loads in the same order everywhere. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/limits.h"
#include "base/map.h"
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

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_toml(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".toml") == 0;
}

static size_t load_path(th_ruleset *rs, const char *path, th_diags *diags, unsigned depth,
                        bool named);

static size_t load_dir(th_ruleset *rs, const char *path, th_diags *diags, unsigned depth)
{
    if (depth > TH_MAX_RULE_DIR_DEPTH) {
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0,
                   "directories nested deeper than %d (a symlink loop?); not descended",
                   TH_MAX_RULE_DIR_DEPTH);
        return 1;
    }
    DIR *d = opendir(path);
    if (!d) {
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "cannot open directory: %s", strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ., .., and hidden files (.git) */
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = th_xrealloc(names, cap * sizeof(*names));
        }
        names[n++] = th_xstrdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    size_t failed = 0;
    size_t plen = strlen(path);
    bool slash = plen && path[plen - 1] == '/';
    for (size_t i = 0; i < n; i++) {
        size_t need = plen + strlen(names[i]) + 2;
        char *child = th_xmalloc(need);
        snprintf(child, need, "%s%s%s", path, slash ? "" : "/", names[i]);
        failed += load_path(rs, child, diags, depth + 1, false);
        free(child);
        free(names[i]);
    }
    free(names);
    return failed;
}

static size_t load_path(th_ruleset *rs, const char *path, th_diags *diags, unsigned depth,
                        bool named)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (named) {
            rs->files_seen++;
            th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "cannot open: %s", strerror(errno));
            return 1;
        }
        return 0; /* a dangling link inside a directory is not a rule file */
    }
    if (S_ISDIR(st.st_mode))
        return load_dir(rs, path, diags, depth);
    if (!named && (!S_ISREG(st.st_mode) || !is_toml(path)))
        return 0;
    if (load_file(rs, path, diags))
        return 0;
    rs->files_failed++;
    return 1;
}

size_t th_ruleset_load(th_ruleset *rs, const char *const *paths, size_t n, th_diags *diags)
{
    size_t failed = 0;
    for (size_t i = 0; i < n; i++)
        failed += load_path(rs, paths[i], diags, 0, true);
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
