/* cluster_local — the embedded local cluster of `herd run` without
 * --master (like Dask's LocalCluster): a `herd master` and N `herd worker`
 * child processes of this process on loopback, ports taken from a port
 * file, logs and data in a private temporary directory, torn down by
 * herd_local_stop(). Main thread of the CLI only. */
#ifndef HERD_CLI_CLUSTER_LOCAL_H
#define HERD_CLI_CLUSTER_LOCAL_H

#include "base/err.h"

#include <stdint.h>
#include <sys/types.h>

struct herd_local {
    char dir[512];           /* private directory: port file, logs, data, checkpoints */
    char shm[528];           /* the workers' HERD_PULL_SHM_DIR (worker/gshm.h): a private
                                directory in /dev/shm, else dir/shm; "" if none */
    char master[64];         /* "127.0.0.1:PORT" (control port; HTTP is PORT+1's rule: see addr) */
    char http[64];           /* "127.0.0.1:HTTPPORT" */
    pid_t master_pid;
    uint32_t nworkers;
    pid_t *worker_pids;
    int keep_logs;           /* leave dir behind (a failed run) */
};

/* Starts the master and `nworkers` workers and waits until every worker is
 * registered (up to 30 s). The workers, all on this host, share the pull
 * arrays of a PageRank-like job through files in lc->shm instead of sending
 * each other their contributions. HERD_OK and *lc filled, or HERD_EIO with the
 * reason (children already stopped). Children log to dir/ unless
 * $HERD_LOCAL_LOGS=stderr. */
int herd_local_start(uint32_t nworkers, struct herd_local *lc, struct herd_err *e);
/* Stops the workers and the master (SIGTERM to all at once, then SIGKILL to
 * any still running after 5 s), waits for them, and removes the directory
 * unless keep_logs. */
void herd_local_stop(struct herd_local *lc);

#endif
