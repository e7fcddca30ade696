/* engine — runs a vertex program (include/herd/vertex.h) over a graph held
 * in this process: bulk-synchronous supersteps over P partitions (contiguous
 * dense-id ranges) on a pool of threads, with sender-side combining, active
 * vertex tracking, aggregators, a master hook and per-superstep statistics
 * (kept for a report and emitted as herd_event("superstep", ...) lines).
 * Messages between partitions go through struct herd_exchange
 * (graph/exchange.h), bound in-process here.
 *
 * Use from one thread: herd_engine_needs() (to load the right CSRs), then
 * create, run, read values or write the result, destroy. The graph must
 * outlive the engine and stay unchanged. docs/engine.md has the design. */
#ifndef HERD_GRAPH_ENGINE_H
#define HERD_GRAPH_ENGINE_H

#include "base/err.h"
#include "graph/graph.h"
#include "herd/vertex.h"

#include <stdint.h>
#include <stdio.h>

struct herd_engine;

/* Partition state grows with the square of the count (a message lane per
 * ordered pair), so the count is bounded. */
#define HERD_ENGINE_MAX_PARTITIONS 4096u

struct herd_engine_opts {
    uint32_t threads;        /* 0 = online cores */
    uint32_t partitions;     /* 0 = max(threads, 8), so results do not depend on threads;
                                at most HERD_ENGINE_MAX_PARTITIONS */
    int no_fast_path;        /* force the superstep message path (no pull, no solve) */
    uint32_t max_supersteps; /* 0 = the program's own limit */
    const char *job;         /* id used in events and logs; NULL = program name */
    const uint32_t *bounds;  /* partitions+1 dense starts (copied), or NULL: the split of
                                graph/partition.h; required for a partial graph */
};

/* What one superstep did. */
struct herd_step_stats {
    uint64_t step;
    uint64_t computed;  /* vertices that ran compute() */
    uint64_t active;    /* vertices not halted afterwards */
    uint64_t sent;      /* messages sent (pull mode: arcs carrying a value) */
    uint64_t exchanged; /* records passed between partitions after combining */
    double ms;          /* wall time of the superstep */
};

enum herd_engine_path { HERD_PATH_MESSAGES, HERD_PATH_PULL, HERD_PATH_SOLVE };

/* Which parts of the graph the program needs when run with these options:
 * out-CSR, in-CSR, weights. Pure; any thread. */
void herd_engine_needs(const struct herd_vertex_program *p, int directed,
                       const struct herd_engine_opts *o, int *need_out, int *need_in,
                       int *weighted);

/* Checks the program against the graph and parameters (API version, sizes,
 * combiner, required CSRs and --source, the program's setup()), allocates
 * the per-vertex state and starts the threads. `params` is copied (its
 * strings must outlive the engine). Returns HERD_OK and *out, or
 * HERD_EINVAL (with the reason; also more than HERD_ENGINE_MAX_PARTITIONS
 * partitions), HERD_ENOMEM, HERD_EIO (threads). */
int herd_engine_create(const struct herd_graph *g, const struct herd_vertex_program *prog,
                       const struct herd_vparams *params, const struct herd_engine_opts *o,
                       struct herd_engine **out, struct herd_err *e);

/* Initialises the values and runs supersteps until the job ends (or runs
 * the program's solve() fast path). Call once. Returns HERD_OK, HERD_ENOMEM,
 * HERD_EINVAL (the program failed: herd_v_fail or misuse) or an exchange
 * error. */
int herd_engine_run(struct herd_engine *en, struct herd_err *e);

/* The value of dense vertex v after the run (value_size bytes). */
const void *herd_engine_value(const struct herd_engine *en, uint32_t v);

/* Writes "ID VALUE\n" per vertex in ascending input-id order. HERD_OK,
 * HERD_EIO (write failed) or HERD_ENOMEM. */
int herd_engine_write(struct herd_engine *en, FILE *f, struct herd_err *e);

const struct herd_step_stats *herd_engine_stats(const struct herd_engine *en, size_t *nsteps);
enum herd_engine_path herd_engine_path(const struct herd_engine *en);
const char *herd_engine_path_name(enum herd_engine_path p);
uint32_t herd_engine_threads(const struct herd_engine *en);
uint32_t herd_engine_partitions(const struct herd_engine *en);
/* Global value of aggregator i after the run. */
int64_t herd_engine_agg_i64(const struct herd_engine *en, uint32_t i);
double herd_engine_agg_f64(const struct herd_engine *en, uint32_t i);

/* Joins the threads and frees everything. NULL is a no-op. */
void herd_engine_destroy(struct herd_engine *en);

#endif
