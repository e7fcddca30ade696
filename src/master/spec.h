/* spec — a task job as submitted: the plain data that the HTTP API builds
 * from JSON (api/spec_json.c) and the master core accepts (core.h). Owned by
 * whoever created it; herd_job_spec_free() releases everything inside. */
#ifndef HERD_MASTER_SPEC_H
#define HERD_MASTER_SPEC_H

#include <stddef.h>
#include <stdint.h>

struct herd_task_spec {
    char *name;              /* optional, may be NULL */
    uint8_t kind;            /* enum herd_task_kind (wire/msg.h) */
    uint32_t nargv;
    char **argv;             /* command: argv[0] is the program; function: argv[0] is the symbol */
    uint32_t nenv;
    char **env;              /* "NAME=value" */
    uint32_t cores;          /* >= 1 */
    uint64_t memory;         /* bytes, 0 = unspecified */
    uint32_t timeout_ms;     /* 0 = none */
    uint32_t ndeps;
    uint32_t *deps;          /* indices of tasks in the same job that must succeed first */
    uint32_t payload_len;
    uint8_t *payload;        /* function-task argument */
    uint32_t ninputs;
    char **inputs;           /* "SRC NAME": SRC is a blob address (64 hex) or, before the
                                master resolves it, "@" and a path on the master */
    uint32_t noutputs;
    char **outputs;          /* sandbox-relative file names staged back after success */
    char *plugin;            /* function task: plugin blob address (or "@path"); NULL = none */
};

/* Which failures of an attempt are retried (job->retry_on); 0 means all. */
#define HERD_RETRY_LOST 1u    /* the worker was lost */
#define HERD_RETRY_FAILED 2u  /* non-zero exit, function error, could not start */
#define HERD_RETRY_TIMEOUT 4u /* ran past its timeout */
#define HERD_RETRY_ALL 7u

struct herd_job_spec {
    char *name;              /* optional */
    int32_t priority;        /* higher runs first; default 0 */
    uint32_t max_retries;    /* re-runs after failure or loss; default 3 */
    uint32_t retry_on;       /* HERD_RETRY_* bits; 0 = HERD_RETRY_ALL */
    uint32_t ntasks;
    struct herd_task_spec *tasks;
};

void herd_job_spec_free(struct herd_job_spec *s);

#endif
