/* Command-line option parsing shared by every verb.
 *
 * A verb declares its options in a table; th_args_parse accepts `--name value`,
 * `--name=value`, flags, repeatable options, and options that take several
 * values (`--rules A B C`: a TH_OPT_MULTI option takes every following argument
 * up to the next one starting with `--`). Anything else is positional. `--`
 * ends option parsing. `-` alone is a positional (stdin). */
#ifndef TH_CLI_ARGS_H
#define TH_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum th_opt_kind {
    TH_OPT_FLAG,  /* --verbose */
    TH_OPT_VALUE, /* --format json (last one wins) */
    TH_OPT_MULTI, /* --data a b c, repeatable */
} th_opt_kind;

typedef struct th_opt {
    const char *name; /* without the leading dashes */
    th_opt_kind kind;
    const char *arg;  /* placeholder shown in help, e.g. "PATH" */
    const char *help;
} th_opt;

#define TH_ARGS_MAX 256

typedef struct th_args {
    const th_opt *specs;
    size_t nspecs;
    const char *pos[TH_ARGS_MAX];
    size_t npos;
    /* parallel to argv order: which spec each value belongs to */
    struct {
        size_t spec;
        const char *value;
    } vals[TH_ARGS_MAX];
    size_t nvals;
    bool help;
} th_args;

/* Parses argv[first..argc). On a usage error prints `trailhound VERB: message`
 * to stderr and returns false. `--help`/`-h` sets args->help. */
bool th_args_parse(th_args *args, const char *verb, const th_opt *specs, size_t nspecs, int argc,
                   char **argv, int first);
bool th_args_flag(const th_args *args, const char *name);
/* Last value of an option, or NULL. */
const char *th_args_value(const th_args *args, const char *name);
/* Every value of a multi/repeated option, in order; returns the count. */
size_t th_args_values(const th_args *args, const char *name, const char **out, size_t max);
/* The name among names closest to s (edit distance at most 2, or one is a
 * prefix of the other), for "did you mean" hints; NULL when none is close. */
const char *th_args_nearest(const char *s, const char *const *names, size_t n);
/* Prints `usage` then the option table. */
void th_args_help(const char *usage, const char *summary, const th_opt *specs, size_t nspecs);

#define TH_NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif
