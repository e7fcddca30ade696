/* submit — how `herd submit` turns its command line into a job spec: a spec
 * file, one command after "--", one task per input with --each (GNU parallel
 * replacement strings, cli/each.h), or function tasks (--function), plus the
 * files every task gets (--stage, --input, --output) and the job options.
 * cmd_submit.c parses the options and sends the result; this builds it.
 * Main thread of the CLI. */
#ifndef HERD_CLI_SUBMIT_H
#define HERD_CLI_SUBMIT_H

#include "cli/cmd_int.h"
#include "master/spec.h"

#include <stdint.h>

struct herd_submit_opts {
    struct herd_cli_common o;
    const char *name, *each, *function, *plugin, *payload;
    int has_prio, has_retries, has_cores, has_timeout, has_memory, has_retry_on, has_count;
    long long prio, retries, cores, count;
    uint32_t timeout_ms, retry_on;
    uint64_t memory;
    int shell, wait, quiet, stage, master_files;
    uint32_t ninputs, noutputs;
    const char **inputs;  /* --input PATH[=NAME] values */
    const char **outputs; /* --output NAME values */
};

/* Builds the spec from the positional words `pos` (before any "--") and
 * `cmd` (after it). 0 and *spec (free with herd_job_spec_free); -1 after an
 * error message; -2 for a usage error (usage not printed). */
int herd_submit_build(struct herd_submit_opts *s, char **pos, int npos, char **cmd, int ncmd,
                      struct herd_job_spec *spec);

/* Parses --retry-on: a comma-separated list of lost, failed, timeout (or
 * "none" / empty for none). 0 and *bits (HERD_RETRY_*), or -1. */
int herd_submit_retry_on(const char *s, uint32_t *bits);

#endif
