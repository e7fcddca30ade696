/* run_dist — `herd run` on a cluster: submits a graph job to a master
 * (--master) or to an embedded local cluster (cluster_local.h), follows it
 * to the end, merges the workers' part files (each ascending by input id) by id into one "ID VALUE" file (or
 * leaves them in --output-dir) and prints a summary. CLI main thread. */
#ifndef HERD_CLI_RUN_DIST_H
#define HERD_CLI_RUN_DIST_H

#include <stdint.h>

struct herd_run_req {
    const char *algo, *graph, *output, *output_dir, *stats, *arg, *format;
    const char *events;          /* superstep events (JSON lines), as the one-process run */
    const char *master;          /* NULL: local cluster */
    const char *ckpt_dir;        /* NULL: checkpoints through the master */
    const char *partitioning;    /* "range" | "hash" | "auto" (or NULL): spec field */
    int directed, simplify, has_source, no_fast;
    uint64_t source, seed;
    uint32_t iterations, threads, partitions, workers, checkpoint_every, barrier_timeout_ms;
    double damping;
};

/* Returns the process exit code (0 ok, 1 job or I/O failure). */
int herd_run_dist(const struct herd_run_req *r);

#endif
