/* gjob — the master's superstep coordinator for distributed graph jobs. It
 * picks workers, assigns partitions, releases supersteps, merges the
 * workers' reports (aggregates in partition order, counts, times), decides
 * whether to go on, orders checkpoints, and on a lost or hung worker rolls
 * every partition back to the last complete checkpoint (or restarts the
 * job), reassigns the lost partitions to live workers and continues. It
 * never holds the graph or any message: workers load their share and talk
 * to each other over the data plane (docs/distributed.md).
 *
 * Part of the master core: every call runs on the core's one thread, and it
 * reaches the world only through the core's io (send, clock), so the
 * simulator can drive it. One state machine per job with one transition
 * function (gjob.c: set_state). */
#ifndef HERD_MASTER_GJOB_H
#define HERD_MASTER_GJOB_H

#include "base/err.h"
#include "wire/msg.h"

#include <stdint.h>

struct herd_core;
struct herd_worker;
struct herd_gjobs;

enum herd_gjob_state {
    HERD_GJ_WAITING,    /* for enough ready workers */
    HERD_GJ_LOADING,    /* SETUP sent; waiting for every READY */
    HERD_GJ_RUNNING,    /* superstep `step` released; waiting for every REPORT (the barrier) */
    HERD_GJ_RECOVERING, /* a worker was lost or hung: rolling back (transient) */
    HERD_GJ_WRITING,    /* WRITE sent; waiting for every DONE */
    HERD_GJ_DONE,
    HERD_GJ_FAILED,
    HERD_GJ_NSTATES
};

const char *herd_gjob_state_name(enum herd_gjob_state s);
/* 1 for the final states (done, failed): no transition leaves them. Pure. */
int herd_gjob_state_final(enum herd_gjob_state s);
/* 1 if the coordinator may go from `from` to `to`. */
int herd_gjob_legal(enum herd_gjob_state from, enum herd_gjob_state to);

/* A graph job as submitted (POST /v1/graph-jobs). Strings and the plugin
 * are copied at submission. */
struct herd_gjob_spec {
    const char *algo;          /* built-in name, or a label for a plugin */
    const uint8_t *plugin;     /* .so bytes shipped to workers; NULL for a built-in */
    uint32_t plugin_len;
    const char *graph;         /* path every worker can read */
    uint8_t format, directed, simplify, has_source;
    uint8_t no_fast_path;      /* message path even for PageRank */
    uint8_t partitioning;      /* enum herd_partitioning (graph/renumber.h); 0 = auto */
    uint64_t source;
    uint32_t iterations;
    double damping;
    uint64_t seed;
    uint32_t workers;          /* 0 = every ready worker (at least 1) */
    uint32_t partitions;       /* 0 = max(16, 2 * workers) */
    uint32_t threads;          /* per worker; 0 = its cores */
    uint32_t checkpoint_every; /* 0 = no checkpoints */
    const char *ckpt_dir;      /* where workers save (shared path); needed with checkpoints */
    const char *output_dir;    /* where workers write part-NNNNN files */
    const char *arg;           /* --arg for the program, may be NULL */
    uint32_t barrier_timeout_ms; /* 0 = 30000 */
    uint32_t max_recoveries;   /* 0 = 8 */
};

/* One superstep as the master saw it. */
struct herd_gjob_step {
    uint64_t step, computed, active, sent, exchanged, bytes;
    double ms;                 /* release to last report, master clock */
    double compute_ms_max;     /* slowest worker's step time */
    double ckpt_ms_max;
};

struct herd_gjob_info {
    uint64_t id;
    const char *algo, *graph, *state, *error, *output_dir;
    const char *path;          /* "messages" or "pull" */
    uint64_t step;             /* superstep released last */
    uint32_t epoch, workers, partitions, recoveries;
    uint64_t last_checkpoint;  /* 0 = none */
    uint64_t vertices, arcs;
    double load_ms, write_ms;
    uint64_t submitted_ms, finished_ms; /* core clock */
    size_t nsteps;
    const struct herd_gjob_step *steps;
};

/* Core glue (core.c, core_conn.c, core_run.c call these). */
struct herd_gjobs *herd_gjobs_create(struct herd_core *c);
void herd_gjobs_destroy(struct herd_gjobs *g);
void herd_gjobs_msg(struct herd_core *c, struct herd_worker *w, const struct herd_msg_graph *m);
/* The worker's connection closed or it was declared lost. */
void herd_gjobs_worker_gone(struct herd_core *c, struct herd_worker *w);
void herd_gjobs_tick(struct herd_core *c);
/* Core clock time of the next deadline, UINT64_MAX if none. */
uint64_t herd_gjobs_next_deadline(struct herd_core *c);

/* Reloads the graph jobs of the journal (core create, after the task jobs):
 * finished ones for the views, unfinished ones to resume once workers
 * reconnect (master/gjob_journal.c). HERD_OK or HERD_EDB. */
int herd_gjobs_load(struct herd_core *c, struct herd_err *e);

/* Submits a graph job; it is committed to the journal before HERD_OK (the
 * caller answers 201 after). HERD_OK and *id, HERD_EINVAL with a reason, or
 * HERD_EDB (not kept). */
int herd_core_graph_submit(struct herd_core *c, const struct herd_gjob_spec *s, uint64_t *id,
                           struct herd_err *e);
/* HERD_OK and *out (valid until the next call into the core), or
 * HERD_ENOTFOUND. */
int herd_core_graph_info(struct herd_core *c, uint64_t id, struct herd_gjob_info *out);
void herd_core_graph_each(struct herd_core *c,
                          void (*fn)(void *arg, const struct herd_gjob_info *j), void *arg);
/* Fails a job that is not finished. HERD_OK or HERD_ENOTFOUND. */
int herd_core_graph_cancel(struct herd_core *c, uint64_t id);

#endif
