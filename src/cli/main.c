#include "cli/cli.h"

int main(int argc, char **argv)
{
    return herd_cli_main(argc, argv);
}
