/* trailhound: detection engine and detection-engineering workbench for AWS CloudTrail. */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/verbs.h"

static const th_verb verbs[] = {
    {"run", th_cmd_run, "run rules over CloudTrail as Elastic Security would; write alerts"},
    {"match", th_cmd_match, "the events each rule's query selects (no scheduling)"},
    {"hunt", th_cmd_hunt, "run hunting queries (ES|QL) over logs; a table, NDJSON or CSV"},
    {"convert", th_cmd_convert, "map raw CloudTrail to ECS NDJSON (as Elastic's AWS integration)"},
    {"rules", th_cmd_rules, "list, show, validate, lint Elastic rule files"},
    {"lint", th_cmd_rules_lint, "lint rule files (same as `rules lint`)"},
    {"tune", th_cmd_tune, "compare two versions of a rule over the same data (+ HTML report)"},
    {"explain", th_cmd_explain, "why a rule's query selects an event or not, clause by clause"},
    {"noise", th_cmd_noise, "rank single conditions that would remove the most of a rule's alerts"},
    {"emulate", th_cmd_emulate, "write realistic raw CloudTrail for attack and benign scenarios"},
    {"test", th_cmd_test, "run rule tests (*.test.toml): events in, expected alerts out"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: trailhound <verb> [options]\n\n"
               "trailhound runs Elastic detection rules (detection-rules TOML) over AWS CloudTrail.\n\n"
               "verbs:\n");
    for (size_t i = 0; i < TH_NELEM(verbs); i++)
        fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(f, "\n`trailhound <verb> --help` describes each verb.\n"
               "exit codes: 0 ok, 1 findings or errors in input, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TH_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return TH_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("trailhound %s\n", TH_VERSION);
        return TH_EXIT_OK;
    }
    for (size_t i = 0; i < TH_NELEM(verbs); i++) {
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].fn(argc, argv);
    }
    fprintf(stderr, "trailhound: unknown verb '%s'\n\n", argv[1]);
    usage(stderr);
    return TH_EXIT_USAGE;
}
