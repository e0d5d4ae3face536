/* trailhound rules list|show|validate|lint PATH... (placeholder until the loader lands) */
#include <stdio.h>

#include "cli/verbs.h"

int th_cmd_rules(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "trailhound rules: not built yet\n");
    return TH_EXIT_USAGE;
}
