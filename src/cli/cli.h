/* cli — the `herd` command line: one table of subcommands (STYLE habit 10),
 * dispatched by name, with `herd help` generated from the same table.
 * Each subcommand lives in its own src/cli/cmd_*.c and returns the process
 * exit status (0 success, 1 failure, 2 usage error). */
#ifndef HERD_CLI_CLI_H
#define HERD_CLI_CLI_H

int herd_cli_main(int argc, char **argv);

/* Subcommands; argv[0] is the subcommand name. */
int herd_cmd_master(int argc, char **argv);
int herd_cmd_worker(int argc, char **argv);
int herd_cmd_run(int argc, char **argv);
int herd_cmd_generate(int argc, char **argv);
int herd_cmd_convert(int argc, char **argv);
int herd_cmd_submit(int argc, char **argv);
int herd_cmd_wait(int argc, char **argv);
int herd_cmd_status(int argc, char **argv);
int herd_cmd_cancel(int argc, char **argv);
int herd_cmd_workers(int argc, char **argv);
int herd_cmd_logs(int argc, char **argv);
int herd_cmd_fetch(int argc, char **argv);

#include "base/version.h"

#endif
