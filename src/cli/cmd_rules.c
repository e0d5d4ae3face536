/* trailhound rules list|show|validate|lint PATH... (placeholder until the loader lands) */
#include <stdio.h>
#include <string.h>

#include "cli/verbs.h"

int th_cmd_rules(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[2], "lint") == 0)
        return th_cmd_rules_lint(argc, argv);
    fprintf(stderr, "trailhound rules: not built yet\n");
    return TH_EXIT_USAGE;
}
