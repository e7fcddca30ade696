/* engine_dist — the vertex engine driven one superstep at a time by a
 * distributed coordinator: this process runs only the partitions it owns,
 * messages to and from other partitions go through a caller-supplied
 * exchange (worker/dataplane.h binds it to TCP), and aggregates, the master
 * hook and the stop decision are split between this process and the
 * master (master/gjob.h). The message path, or for a pull-capable program
 * (PageRank) the pull path, whose contributions the caller ships between
 * workers as dense vectors; never solve(). Either way the result depends
 * only on the partition count, never on how partitions are spread over
 * workers.
 *
 * Use from one thread (the worker's graph thread, worker/gpart.c):
 * create, init or restore, then per superstep hook() and step(), then
 * write_part(); destroy. Every process of a job must load the same graph
 * (whole, or the rows of its partitions) with the same options so dense
 * ids and partition bounds agree. */
#ifndef HERD_GRAPH_ENGINE_DIST_H
#define HERD_GRAPH_ENGINE_DIST_H

#include "base/err.h"
#include "graph/engine.h"
#include "graph/exchange.h"

#include <stdint.h>
#include <stdio.h>

/* What one partition did in a superstep. */
struct herd_dist_part_stats {
    uint64_t computed, active, sent, exchanged;
    uint64_t agg[64];          /* aggregator partials as bit patterns (i64 or f64) */
};

/* 1 if the program can run on the distributed pull path (HERD_VP_PULL, an
 * 8-byte SUM_F64 or MIN_F64 combiner, no solve()). Pure. */
int herd_engine_dist_pull_capable(const struct herd_vertex_program *p);

/* Creates an engine over graph g for `nparts` partitions with starts
 * `bounds` (nparts+1 dense ids, copied; every process of the job must pass
 * the same: graph/partition.h computes them from whole-graph offsets) of
 * which this process runs those with owned[p] != 0 (copied). g may be
 * partial (graph.h) when it holds the rows of every owned partition and
 * the program reads no other rows (no HERD_VP_GLOBAL_READ). `pull` asks for the pull
 * path (taken when the program is pull-capable and g has its in-CSR).
 * Ownership of the exchange `x` passes to the engine (destroyed with it,
 * also on failure). HERD_OK and *out, or the errors of herd_engine_create. */
int herd_engine_dist_create(const struct herd_graph *g, const struct herd_vertex_program *prog,
                            const struct herd_vparams *params, uint32_t threads,
                            uint32_t nparts, const uint32_t *bounds, const uint8_t *owned,
                            int pull,
                            struct herd_exchange x, const char *job, struct herd_engine **out,
                            struct herd_err *e);

/* Pull path: 1 if this engine runs it. Its per-vertex contributions and
 * "emitted" flags of superstep s live in contrib[s & 1] / emitted[s & 1]
 * (n entries, whole graph): a step writes the owned vertices' entries and
 * reads every in-neighbour's entry of the previous step, so the caller
 * must copy the other workers' entries of step s in before running s+1,
 * then call herd_engine_dist_count_emitters(en, s). */
int herd_engine_dist_pulls(const struct herd_engine *en);
void herd_engine_dist_pull_arrays(struct herd_engine *en, double *contrib[2], uint8_t *emitted[2]);

/* Bytes that hold the pull arrays of an engine over n vertices (two
 * supersteps of n doubles and n flags). Pure. */
size_t herd_engine_dist_pull_bytes(uint32_t n);

/* Pull path: moves the engine's contributions and flags into `mem`
 * (herd_engine_dist_pull_bytes(vertices) bytes, 8-byte aligned, zeroed or
 * shared with the other workers of the job on this host, whose engines
 * write their own vertices' entries there: then nobody needs to copy them
 * in). Precondition: herd_engine_dist_pulls(en), before init or restore.
 * `mem` stays the caller's; it must outlive the engine. HERD_OK, or
 * HERD_EINVAL (not the pull path, too small) with the engine unchanged. */
int herd_engine_dist_share_pull(struct herd_engine *en, void *mem, size_t len,
                                struct herd_err *e);
void herd_engine_dist_count_emitters(struct herd_engine *en, uint64_t step);
/* nparts+1 partition starts (dense ids). */
const uint32_t *herd_engine_dist_bounds(const struct herd_engine *en);
uint32_t herd_engine_dist_nvertices(const struct herd_engine *en);

/* Initial values of the owned partitions (program init). HERD_OK or the
 * program's error. */
int herd_engine_dist_init(struct herd_engine *en, struct herd_err *e);

/* Sets the global aggregates (bit patterns, naggs of them) of superstep
 * `step` and runs the program's master hook for it, as the one-process
 * engine does after that superstep. *stop = 1 when the hook says stop.
 * HERD_OK or the hook's error. */
int herd_engine_dist_hook(struct herd_engine *en, uint64_t step, const uint64_t *aggs,
                          int *stop, struct herd_err *e);

/* Runs superstep `step` on the owned partitions; stats[p] is filled for
 * every owned p (array of nparts). HERD_OK, or the first error (a program
 * failure, or the exchange's error when a peer is lost). */
int herd_engine_dist_step(struct herd_engine *en, uint64_t step,
                          struct herd_dist_part_stats *stats, struct herd_err *e);

/* Partition p's dense range. */
void herd_engine_dist_range(const struct herd_engine *en, uint32_t p, uint32_t *lo, uint32_t *hi);
uint32_t herd_engine_dist_value_size(const struct herd_engine *en);
uint32_t herd_engine_dist_naggs(const struct herd_engine *en);
/* Aggregator i's op and type (enum herd_agg_op / herd_agg_type). */
void herd_engine_dist_agg_kind(const struct herd_engine *en, uint32_t i, uint8_t *op,
                               uint8_t *type);
uint32_t herd_engine_dist_max_steps(const struct herd_engine *en);
uint32_t herd_engine_dist_msg_size(const struct herd_engine *en);
/* The program's combine function, or NULL when it has no combiner. */
herd_combine_fn herd_engine_dist_combiner(const struct herd_engine *en);

/* Values and halted flags of partition p (hi-lo entries each), for a
 * checkpoint. Pointers into the engine; valid until the next call. */
void herd_engine_dist_state(const struct herd_engine *en, uint32_t p, const uint8_t **values,
                            const uint8_t **halted);
/* Replaces partition p's values and halted flags from a checkpoint (sizes
 * must match: (hi-lo)*value_size and hi-lo bytes). HERD_OK or HERD_EINVAL. */
int herd_engine_dist_restore(struct herd_engine *en, uint32_t p, const uint8_t *values,
                             size_t vlen, const uint8_t *halted, size_t hlen,
                             struct herd_err *e);

/* Writes partition p's "ID VALUE" lines to f. HERD_OK, HERD_EIO, HERD_ENOMEM. */
int herd_engine_dist_write_part(struct herd_engine *en, uint32_t p, FILE *f, struct herd_err *e);

#endif
