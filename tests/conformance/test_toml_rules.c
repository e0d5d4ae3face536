/* Every .toml file of the Elastic detection-rules corpus (rules and hunting)
 * must parse with zero errors, and each must have a [rule] or [hunt] table with a name. */
#include "th_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "toml/toml.h"

typedef struct tally {
    int files, ok, rules, hunts, missing; /* missing: no [rule] name / [hunt] name */
} tally;

static void walk(const char *dir, tally *t, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 32) {
        if (d)
            closedir(d);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(path, t, depth + 1);
            continue;
        }
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".toml") != 0)
            continue;
        size_t len;
        char *text = th_test_read_file(path, &len);
        assert_non_null(text);
        th_arena a;
        th_arena_init(&a, 0);
        th_diags g;
        th_diags_init(&g);
        th_toml *doc = th_toml_parse(&a, text, len, path, &g);
        t->files++;
        if (doc && g.len == 0) {
            t->ok++;
            /* rule files carry their rule in [rule], hunting files theirs in [hunt];
             * both have a name string */
            const th_toml *name = NULL;
            if (th_toml_get(doc, "rule")) {
                t->rules++;
                name = th_toml_get_path(doc, "rule.name");
            } else if (th_toml_get(doc, "hunt")) {
                t->hunts++;
                name = th_toml_get_path(doc, "hunt.name");
            }
            if (!name || name->type != TH_TOML_STRING || name->u.str.n == 0) {
                t->missing++;
                fprintf(stderr, "%s: no [rule] or [hunt] name\n", path);
            }
        } else {
            for (size_t i = 0; i < g.len; i++)
                th_diag_print(&g.items[i], stderr);
        }
        th_diags_free(&g);
        th_arena_free(&a);
        free(text);
    }
    closedir(d);
}

static void detection_rules_parse(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/detection-rules", corpus);
    tally t = {0, 0, 0, 0, 0};
    walk(dir, &t, 0);
    print_message("RATE: detection-rules TOML files parsed %d/%d (%d rules, %d hunting queries)\n",
                  t.ok, t.files, t.rules, t.hunts);
    assert_true(t.files > 0);
    assert_int_equal(t.ok, t.files);
    assert_true(t.rules > 0);
    assert_int_equal(t.missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(detection_rules_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
