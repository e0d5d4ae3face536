/* Pre-flight checks and exit statuses shared by the verbs (guard.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/timeutil.h"
#include "cli/guard.h"
#include "cli/verbs.h"
#include "pipeline/pipeline.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool event_name(const char *s)
{
    return ends_with(s, ".json") || ends_with(s, ".json.gz") || ends_with(s, ".ndjson") ||
           ends_with(s, ".jsonl") || ends_with(s, ".gz") || ends_with(s, ".ndjson.gz");
}

/* A Kibana export (saved objects, one JSON object a line) carries rule_id and
 * a rule type on every rule line; CloudTrail and ECS never carry rule_id. */
static bool kibana_export(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char line[8192];
    bool yes = fgets(line, sizeof line, f) && line[0] == '{' && strstr(line, "\"rule_id\"") &&
               strstr(line, "\"type\"") && !strstr(line, "\"eventVersion\"");
    fclose(f);
    return yes;
}

typedef struct census {
    size_t toml, events, seen;
} census;

/* Counts .toml and event files under dir; bounded (depth and entries) and
 * never follows a symbolic link to a directory, so loops cannot trap it. */
static void count_dir(const char *dir, unsigned depth, census *c)
{
    if (depth > 6 || c->seen > 4096)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && c->seen <= 4096) {
        if (e->d_name[0] == '.')
            continue;
        c->seen++;
        char p[4096];
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p)
            continue;
        bool sub;
        if (e->d_type != DT_UNKNOWN) { /* no lstat: a folder of objects is thousands */
            sub = e->d_type == DT_DIR;
        } else {
            struct stat st;
            if (lstat(p, &st) != 0)
                continue;
            sub = S_ISDIR(st.st_mode);
        }
        if (sub)
            count_dir(p, depth + 1, c);
        else if (ends_with(e->d_name, ".toml"))
            c->toml++;
        else if (event_name(e->d_name))
            c->events++;
    }
    closedir(d);
}

th_path_kind th_cli_path_kind(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return TH_KIND_MISSING;
    if (S_ISDIR(st.st_mode)) {
        census c = {0};
        count_dir(path, 0, &c);
        if (c.toml)
            return TH_KIND_TOML;
        return c.events ? TH_KIND_EVENTS : TH_KIND_EMPTY_DIR;
    }
    if (ends_with(path, ".toml"))
        return TH_KIND_TOML;
    if ((ends_with(path, ".ndjson") || ends_with(path, ".json")) && kibana_export(path))
        return TH_KIND_KIBANA_RULES;
    return event_name(path) ? TH_KIND_EVENTS : TH_KIND_OTHER;
}

static const char *other_opt(th_path_role role)
{
    return role == TH_ROLE_DATA ? "--rules" : "--data";
}

bool th_cli_paths_ok(const char *verb, const char *opt, th_path_role role, const char *const *paths,
                     size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = paths[i];
        if (role == TH_ROLE_DATA && strcmp(p, "-") == 0)
            continue;
        th_path_kind k = th_cli_path_kind(p);
        if (k == TH_KIND_MISSING) {
            fprintf(stderr, "trailhound %s: %s %s: %s\n", verb, opt, p, strerror(errno));
            return false;
        }
        if (role == TH_ROLE_DATA && k == TH_KIND_TOML) {
            fprintf(stderr,
                    "trailhound %s: %s %s holds rule files (.toml), not events\n"
                    "  hint: did you swap --rules and --data? rules go after --rules, "
                    "CloudTrail after --data\n",
                    verb, opt, p);
            return false;
        }
        if (role == TH_ROLE_DATA && k == TH_KIND_KIBANA_RULES) {
            fprintf(stderr,
                    "trailhound %s: %s %s is a Kibana rule export, not events\n"
                    "  hint: give it after --rules (trailhound reads Kibana rule exports as "
                    "rules)\n",
                    verb, opt, p);
            return false;
        }
        if (role == TH_ROLE_RULES && k == TH_KIND_EVENTS) {
            fprintf(stderr,
                    "trailhound %s: %s %s holds event files (.json, .ndjson, .gz), not rules\n"
                    "  hint: did you swap --rules and --data? rules (.toml) go after --rules, "
                    "CloudTrail after %s\n",
                    verb, opt, p, other_opt(role));
            return false;
        }
    }
    return true;
}

bool th_cli_threads(const char *verb, const th_args *args, unsigned *threads)
{
    const char *v = th_args_value(args, "threads");
    if (th_pipeline_threads_arg(v, threads))
        return true;
    fprintf(stderr, "trailhound %s: bad --threads '%s' (0..256)\n", verb, v);
    return false;
}

int th_cli_no_rules(const char *verb, const char *const *paths, size_t n)
{
    fprintf(stderr, "trailhound %s: no rule loaded from", verb);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", paths[i]);
    fprintf(stderr, "\n");
    for (size_t i = 0; i < n; i++) {
        th_path_kind k = th_cli_path_kind(paths[i]);
        if (k == TH_KIND_EMPTY_DIR)
            fprintf(stderr,
                    "  hint: %s holds no .toml file (rules are detection-rules TOML files; "
                    "a directory is read recursively)\n",
                    paths[i]);
        else if (k == TH_KIND_OTHER)
            fprintf(stderr, "  hint: %s is neither a .toml rule file nor a Kibana rule export\n",
                    paths[i]);
    }
    return TH_EXIT_USAGE;
}

int th_cli_input_rc(const char *verb, const th_input_stats *s, bool strict, int rc)
{
    if (!s)
        return rc;
    if (s->files_unreadable) {
        fprintf(stderr, "trailhound %s: %llu input file(s) could not be read (see above)\n", verb,
                (unsigned long long)s->files_unreadable);
        return TH_EXIT_USAGE;
    }
    if (strict && (s->records_skipped || s->files_not_events || s->gzip_errors)) {
        fprintf(stderr,
                "trailhound %s: --strict: %llu record(s) skipped, %llu file(s) not events, "
                "%llu gzip error(s)\n",
                verb, (unsigned long long)s->records_skipped,
                (unsigned long long)s->files_not_events, (unsigned long long)s->gzip_errors);
        return TH_EXIT_USAGE;
    }
    return rc;
}

bool th_cli_period(const char *verb, const th_args *a, int64_t *from, int64_t *to)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    const char *names[2] = {"from", "to"};
    int64_t *dst[2] = {from, to};
    for (int i = 0; i < 2; i++) {
        *dst[i] = TH_TIME_NONE;
        const char *v = th_args_value(a, names[i]);
        if (v && !th_datemath_eval(v, strlen(v), now_ms, dst[i])) {
            fprintf(stderr,
                    "trailhound %s: --%s '%s' is neither an ISO-8601 time nor date math "
                    "(now-30d)\n",
                    verb, names[i], v);
            return false;
        }
    }
    if (*from != TH_TIME_NONE && *to != TH_TIME_NONE && *from > *to) {
        fprintf(stderr, "trailhound %s: --from is after --to (an empty period)\n", verb);
        return false;
    }
    return true;
}

static uint64_t dir_size(const char *dir, unsigned depth)
{
    if (depth > 32)
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    uint64_t sum = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p)
            continue;
        struct stat st;
        if (lstat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            sum += dir_size(p, depth + 1);
        else if (S_ISLNK(st.st_mode) && stat(p, &st) == 0 && S_ISREG(st.st_mode))
            sum += (uint64_t)st.st_size;
        else if (S_ISREG(st.st_mode))
            sum += (uint64_t)st.st_size;
    }
    closedir(d);
    return sum;
}

uint64_t th_cli_input_size(const char *const *paths, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (strcmp(paths[i], "-") == 0 || stat(paths[i], &st) != 0)
            return 0;
        if (S_ISDIR(st.st_mode))
            sum += dir_size(paths[i], 0);
        else if (S_ISREG(st.st_mode))
            sum += (uint64_t)st.st_size;
        else
            return 0;
    }
    return sum;
}

bool th_cli_colour(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    return !(nc && *nc) && isatty(fileno(f));
}

bool th_cli_write_ok(const char *verb, FILE *f, const char *name, bool close)
{
    errno = 0;
    bool ok = fflush(f) == 0 && !ferror(f);
    int err = errno;
    if (close && fclose(f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (!ok)
        fprintf(stderr, "trailhound %s: cannot write %s: %s\n", verb, name,
                err ? strerror(err) : "write error");
    return ok;
}
