#include "cli/cli.h"

#include <stdio.h>

int herd_cmd_generate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "herd generate: not built yet\n");
    return 2;
}

int herd_cmd_convert(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "herd convert: not built yet\n");
    return 2;
}
