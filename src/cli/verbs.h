/* The verbs of the trailhound command line. Each lives in its own cmd_*.c and
 * is a few calls into the layers below. Exit codes, for every verb (docs/manual/cli.md):
 *   0  the job was done and found nothing that needs attention
 *   1  findings: alerts, matches, validation or lint problems, failed tests
 *   2  the job could not be done as asked: usage error, a missing path, no rule
 *      loaded from --rules, an input that could not be read, output that could
 *      not be written, and (with --strict) skipped records. Checked before any
 *      data is read wherever it can be (cli/guard.h). */
#ifndef TH_CLI_VERBS_H
#define TH_CLI_VERBS_H

#define TH_EXIT_OK 0
#define TH_EXIT_FINDINGS 1
#define TH_EXIT_USAGE 2

typedef int (*th_verb_fn)(int argc, char **argv);

typedef struct th_verb {
    const char *name;
    th_verb_fn fn;
    const char *summary;
} th_verb;

int th_cmd_rules(int argc, char **argv);
int th_cmd_rules_lint(int argc, char **argv);
int th_cmd_tune(int argc, char **argv);
int th_cmd_noise(int argc, char **argv);
int th_cmd_explain(int argc, char **argv);
int th_cmd_convert(int argc, char **argv);
int th_cmd_match(int argc, char **argv);
int th_cmd_hunt(int argc, char **argv);
int th_cmd_emulate(int argc, char **argv);
int th_cmd_run(int argc, char **argv);
int th_cmd_test(int argc, char **argv);
int th_cmd_state(int argc, char **argv);

#endif
