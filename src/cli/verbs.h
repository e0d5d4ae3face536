/* The verbs of the trailhound command line. Each lives in its own cmd_*.c and
 * is a few calls into the layers below. Exit codes, for every verb:
 *   0  success, nothing found that needs attention
 *   1  findings (alerts, validation or lint problems, failed tests) or errors in input
 *   2  usage error (bad options), or a file that could not be opened at all */
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

#endif
