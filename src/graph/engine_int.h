/* engine_int — the vertex engine's private state, shared by engine.c (run
 * loop, master step), step.c (partition tasks), vctx.c (the herd_v_* calls
 * programs make) and output.c. Not for use outside src/graph/engine*.c,
 * step.c, vctx.c and output.c. */
#ifndef HERD_GRAPH_ENGINE_INT_H
#define HERD_GRAPH_ENGINE_INT_H

#include "graph/engine.h"
#include "graph/exchange.h"
#include "graph/msgbuf.h"
#include "graph/msgdense.h"
#include "graph/pool.h"

#define HERD_ENGINE_MAX_AGGS 64

union herd_aggval {
    int64_t i;
    double f;
};

struct herd_part;

typedef unsigned (*herd_range_fn)(struct herd_vctx *c, const struct herd_vrange *r);

/* Vertices per compute_range() call: the gathered messages of one chunk
 * stay in L1. */
#define HERD_RANGE_CHUNK 1024u

/* Where a msgout's full batches go: the exchange, from this lane. */
struct herd_lane_arg {
    struct herd_engine *en;
    uint32_t from, to;
};

struct herd_vctx {
    struct herd_engine *en;
    struct herd_part *part;  /* NULL: master hook, solve, output */
    uint32_t cur;            /* vertex being computed */
    int vote;                /* cur voted to halt */
    struct herd_msgout *out; /* one per destination partition (message path) */
    struct herd_lane_arg *lanes;
    struct herd_msgdense *dense; /* the running thread's dense combiner, or NULL */
    union herd_aggval agg[HERD_ENGINE_MAX_AGGS]; /* partials of this superstep */
    uint64_t sent, emitters;
    int rc;                  /* first error in this context */
    char *fail;              /* herd_v_fail message (owned) */
    void *scratch;
    size_t scratch_cap;
};

struct herd_part {
    uint32_t idx, lo, hi;
    uint32_t thread;         /* pool thread running it in the current phase */
    uint32_t nactive;        /* vertices in range not halted */
    uint64_t computed;
    struct herd_inbox inbox;
    struct herd_msgbatch **lists; /* take() results, one per sender */
    double *gathered;        /* pull path with compute_range: one chunk's messages */
    struct herd_vctx ctx;
} __attribute__((aligned(64))); /* no cache line shared between partitions */

struct herd_engine {
    const struct herd_graph *g;
    struct herd_vgraph view;
    const struct herd_vertex_program *prog;
    struct herd_vparams params;
    const char *job;
    enum herd_engine_path path;
    herd_combine_fn comb;
    uint32_t threads, nparts, max_steps;
    struct herd_pool *pool;
    struct herd_part *parts;
    uint32_t *bounds;        /* nparts+1 partition starts */
    struct herd_exchange ex;
    int have_ex;
    uint8_t *values;
    uint8_t *halted;
    uint32_t *outdeg;        /* when there is no out-CSR, and on the pull path */
    herd_range_fn range;     /* the program's compute_range (pull path), or NULL */
    /* pull path: value sent in a superstep, by parity of the superstep */
    double *contrib[2];
    uint8_t *emitted[2];
    int pull_shared;         /* the four arrays live in the caller's memory (engine_dist.h) */
    uint64_t emitters_prev;  /* vertices that sent in the previous superstep */
    union herd_aggval agg[HERD_ENGINE_MAX_AGGS]; /* global values */
    uint64_t step;
    uint32_t next_part;      /* work counter of the current phase */
    struct herd_step_stats *stats;
    size_t nstats, stats_cap;
    struct herd_vctx master;
    int ran;
    uint8_t *owned;          /* distributed mode: partitions this process runs (NULL = all) */
    struct herd_msgdense *dense; /* one per pool thread (message path, exact combiner), or NULL */
    uint32_t ndense;
    struct herd_part **holder;   /* per pool thread: the partition that sends what the
                                    thread's partitions combined in this superstep (step.c) */
};

static inline uint8_t *herd_engine_val(const struct herd_engine *en, uint32_t v)
{
    return en->values + (size_t)v * en->prog->value_size;
}

/* Partition owning dense vertex v. */
static inline uint32_t herd_engine_owner(const struct herd_engine *en, uint32_t v)
{
    uint32_t lo = 0, hi = en->nparts; /* largest q with bounds[q] <= v */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (en->bounds[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* step.c */
void herd_step_part(struct herd_engine *en, struct herd_part *pt);
void herd_step_init_part(struct herd_engine *en, struct herd_part *pt);
/* Runs fn on every partition, spread over the pool. */
void herd_step_each_part(struct herd_engine *en, void (*fn)(struct herd_engine *, struct herd_part *));

/* vctx.c */
int herd_vctx_init(struct herd_vctx *c, struct herd_engine *en, struct herd_part *pt);
void herd_vctx_fini(struct herd_vctx *c);
void herd_vctx_reset_aggs(struct herd_vctx *c);
void herd_vctx_merge_aggs(union herd_aggval *into, const struct herd_vctx *c, uint32_t naggs,
                          const struct herd_agg_def *defs);
void herd_vctx_identity_aggs(union herd_aggval *a, uint32_t naggs, const struct herd_agg_def *d);
void herd_vctx_set_error(struct herd_vctx *c, int rc, const char *msg);

#endif
