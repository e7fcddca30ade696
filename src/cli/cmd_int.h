/* cmd_int — helpers shared by the client commands (cmd_client.c,
 * cmd_submit.c, cmd_fetch.c): the options every command takes, the master
 * connection, one API call with its error printed, job/task selection and
 * the wait loop. Internal to src/cli; main thread only (getopt state). */
#ifndef HERD_CLI_CMD_INT_H
#define HERD_CLI_CMD_INT_H

#include "api/client.h"

#include <getopt.h>
#include <jansson.h>
#include <stdint.h>

enum {
    O_MASTER = 1000, O_SECRET, O_NAME, O_PRIORITY, O_RETRIES, O_CORES, O_TIMEOUT, O_MEMORY,
    O_EACH, O_SHELL, O_WAIT, O_QUIET, O_STDERR, O_STAGE, O_INPUT, O_OUTPUT, O_FUNCTION,
    O_PLUGIN, O_PAYLOAD, O_COUNT, O_RETRY_ON, O_MASTER_FILES
};

#define HERD_CLI_COMMON_OPTS                                                                       \
    {"master", required_argument, NULL, O_MASTER},                                                 \
        {"secret-file", required_argument, NULL, O_SECRET}, {"help", no_argument, NULL, 'h'}

struct herd_cli_common {
    const char *master;
    const char *secret_file;
};

/* Handles an option every client command takes (and -h); 1 if consumed. */
int herd_cli_common_opt(int ch, struct herd_cli_common *o);
/* Prints "usage: herd CMD ARGS ..." (stdout after --help) and returns the
 * exit status: 0 after --help, else 2. */
int herd_cli_usage(const char *cmd, const char *args);
/* A client for the master, or NULL after printing why. */
struct herd_client *herd_cli_connect(const char *cmd, const struct herd_cli_common *o);
/* One API call expecting HTTP status `want`: 0 (and *reply, if asked, the
 * caller's), or -1 after printing the error. */
int herd_cli_api(struct herd_client *c, const char *cmd, const char *method, const char *path,
                 const json_t *body, long want, json_t **reply);
/* A decimal job id: 0 and *out, or -1 after a message. */
int herd_cli_parse_job_id(const char *cmd, const char *s, uint64_t *out);
/* The index of the task of `tasks` (GET /v1/jobs/J/tasks "tasks") named or
 * numbered `sel`, or -1 after a message. */
long long herd_cli_find_task(const char *cmd, const json_t *tasks, const char *sel);
/* Polls the job until it ends, showing progress on stderr unless `quiet`;
 * the exit status of `herd wait` (0 only if it succeeded). */
int herd_cli_wait_job(struct herd_client *c, const char *cmd, uint64_t id, int quiet);

long long herd_cli_jint(const json_t *o, const char *key);
const char *herd_cli_jstr(const json_t *o, const char *key);

#endif
