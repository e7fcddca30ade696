/* daemon/worker — the `herd worker` process: binds the agent (agent.h) to a libuv
 * loop, a TCP connection to the master (trying each resolved address in
 * turn), the command runner (runner.h), a tick timer, and SIGTERM/SIGINT
 * (drain). Called from the CLI on the main thread; returns when the worker
 * exits. */
#ifndef HERD_DAEMON_WORKER_H
#define HERD_DAEMON_WORKER_H

#include "wire/auth.h"

#include <stdint.h>

struct herd_worker_config {
    const char *master_host;   /* name or address; all resolved addresses are tried */
    uint16_t master_port;
    const char *worker_id;     /* NULL = generated ("host-xxxxxx"), kept for the process life */
    const char *work_dir;      /* sandboxes; NULL = a fresh directory under $TMPDIR */
    uint32_t cores;            /* 0 = online CPUs */
    uint64_t memory;           /* 0 = physical memory */
    uint32_t nlabels;
    char *const *labels;
    const struct herd_secret *secret;
    const char *tls_cert;      /* TLS to the master (net/tls.h): optional client */
    const char *tls_key;       /* certificate and key; tls_ca verifies the master's */
    const char *tls_ca;        /* certificate (any of the three turns TLS on) */
    const char *keep_sandboxes; /* "failed" (default), "all", "none": see worker/sweep.h */
    const char *run_as;        /* user name (or numeric uid) tasks run as; NULL = this
                                * process's user. Needs root. */
};

/* Runs the worker until it drains (exit code 0) or is refused for good (1). */
int herd_worker_run(const struct herd_worker_config *cfg);

#endif
