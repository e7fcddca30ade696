/* herd/vertex.h — the vertex-program API for plugin authors (Pregel model).
 *
 * A vertex program is a `struct herd_vertex_program`: fixed-size vertex
 * values and messages, and callbacks that herd's engine calls. The built-in
 * algorithms (bfs, pagerank, wcc, cdlp, lcc, sssp, coloring) use this same
 * API. A plugin is a shared object exporting
 *
 *     const struct herd_vertex_program *herd_plugin_program(void);
 *
 * and is run with `herd run ./prog.so GRAPH`. The herd binary exports the
 * herd_v_* functions below; a plugin needs no library to link against.
 *
 * Model. Vertices have dense ids 0..n-1 in ascending input-id order
 * (herd_v_id() maps back), except under --partitioning hash, where they are
 * ascending only within each partition: compare herd_v_id() values, not
 * dense ids, where the input order matters. Superstep s runs compute() on every vertex that
 * has not voted to halt or that received messages sent in s-1; compute reads
 * those messages, may update its value, send messages (delivered in s+1),
 * contribute to aggregators (global value readable in s+1) and vote to halt
 * (a message reactivates a halted vertex). The job ends when every vertex is
 * halted and no message is in flight, when the master hook says stop, or
 * after `max_supersteps`.
 *
 * Threads. compute() runs concurrently on several threads, each on its own
 * partition (a contiguous dense-id range); it may write only its own
 * vertex's value and must not keep pointers to messages past its return.
 * The master hook runs alone between supersteps.
 *
 * Fast paths (optional, same results; docs/engine.md has the details):
 *  - HERD_VP_PULL: the program promises that compute() only sends through
 *    herd_v_send_all() (one double to every out-neighbour) and that its
 *    combiner is HERD_COMBINE_SUM_F64 or HERD_COMBINE_MIN_F64. The engine
 *    may then skip message objects entirely: send_all stores the double in a
 *    per-vertex array, and next superstep each vertex's single combined
 *    message is gathered over its in-arcs (a sparse matrix-vector product).
 *    compute() sees exactly what the message path would deliver: nmsgs is 1
 *    when at least one in-neighbour sent, and the message is the sum (or
 *    min) of what they sent, one term per arc. Sums are taken in an order
 *    fixed by the in-arcs (not by threads), so they may differ from the
 *    message path in the last bits.
 *    A pull program may also offer compute_range(): compute() for a run of
 *    consecutive vertices at once, given their gathered messages. The engine
 *    then calls it instead of compute() whenever every vertex of a partition
 *    is active, saving two indirect calls per vertex (see below).
 *  - solve(): a whole-graph callback the engine may call INSTEAD of running
 *    supersteps when the job runs in one process. It must write the same
 *    final values that the superstep program would produce (WCC uses a
 *    union-find here). `herd run --no-fast-path` forces the superstep path.
 */
#ifndef HERD_VERTEX_H
#define HERD_VERTEX_H

#include <stddef.h>
#include <stdint.h>

/* Version 2 added compute_range; the engine still runs version-1 programs
 * (whose struct ends at solve). */
#define HERD_VERTEX_API 2

/* Per-thread context of a running superstep, passed to every callback. */
struct herd_vctx;

/* Read-only view of the graph. Arcs of v: out_dst[out_off[v]..out_off[v+1])
 * with weights out_w (NULL when unweighted); in-arcs likewise. A CSR the
 * program did not ask for (flags) may be NULL. For undirected graphs every
 * edge is two arcs and the in-arrays equal the out-arrays. */
struct herd_vgraph {
    uint32_t n;
    uint64_t m;
    int directed;
    const uint64_t *out_off;
    const uint32_t *out_dst;
    const double *out_w;
    const uint64_t *in_off;
    const uint32_t *in_src;
    const double *in_w;
};

/* Job parameters from the command line. */
struct herd_vparams {
    int has_source;      /* --source given */
    uint32_t source;     /* dense id of --source */
    uint64_t source_id;  /* its input id */
    uint32_t iterations; /* --iterations (0 = program's default) */
    double damping;      /* --damping (0 = program's default) */
    uint64_t seed;       /* --seed */
    const char *arg;     /* --arg STRING for plugins, or NULL */
    /* setup() may set this when the program knows how many supersteps the
     * run takes (PageRank: iterations + 1); 0 = until halted. The engine
     * stops after that many, and a distributed job saves no checkpoint in
     * the last one (it would save at most that step's work). */
    uint32_t supersteps;
};

enum herd_agg_op { HERD_AGG_SUM, HERD_AGG_MIN, HERD_AGG_MAX, HERD_AGG_COUNT };
enum herd_agg_type { HERD_AGG_I64, HERD_AGG_F64 };

/* One aggregator. COUNT counts calls (the value passed is ignored) and is
 * read as an int64. Index i in the program's array is the handle. */
struct herd_agg_def {
    const char *name;
    enum herd_agg_op op;
    enum herd_agg_type type;
};

enum herd_combiner {
    HERD_COMBINE_NONE = 0, /* every message delivered */
    HERD_COMBINE_FN,       /* program's combine() */
    HERD_COMBINE_SUM_F64,  /* message is one double, summed */
    HERD_COMBINE_MIN_F64,  /* one double, minimum */
    HERD_COMBINE_MIN_I64,  /* one int64_t, minimum */
    HERD_COMBINE_MIN_U32,  /* one uint32_t, minimum */
    HERD_COMBINE_SUM_I64   /* one int64_t, summed */
};

/* How the default formatter prints a value (when format is NULL). */
enum herd_vvalue {
    HERD_VALUE_I64,    /* int64_t, decimal */
    HERD_VALUE_F64,    /* double, %.17g; +inf printed as "infinity" */
    HERD_VALUE_VERTEX, /* uint32_t dense id, printed as its input id */
    HERD_VALUE_U32     /* uint32_t, decimal */
};

/* A run of vertices handed to compute_range(): lo..hi-1, all in one
 * partition and all active. Index i stands for vertex lo + i. */
struct herd_vrange {
    uint32_t lo, hi;
    /* msg[i]: vertex lo+i's combined message, exactly as compute() would get
     * it, or the combiner's identity (0.0 for SUM_F64, +infinity for
     * MIN_F64) when it has none. NULL when no vertex has a message (e.g.
     * superstep 0). */
    const double *msg;
    void *values;            /* value of lo+i at values + i * value_size */
    const uint32_t *outdeg;  /* outdeg[i]: out-degree of lo+i (with multiplicity) */
    double *send;            /* send[i]: what lo+i sends along its out-arcs */
};

/* compute_range() verdicts, a bit set describing every vertex of the run. */
#define HERD_VR_SENT 0x1u /* each vertex sent send[i], like herd_v_send_all() */
#define HERD_VR_HALT 0x2u /* each vertex voted to halt */

/* Program flags: what the program needs and promises. */
#define HERD_VP_OUT_EDGES 0x1u /* reads or sends along out-arcs */
#define HERD_VP_IN_EDGES 0x2u  /* reads or sends along in-arcs */
#define HERD_VP_WEIGHTS 0x4u   /* reads arc weights (missing weight = 1.0) */
#define HERD_VP_SOURCE 0x8u    /* requires --source */
#define HERD_VP_PULL 0x10u     /* pull fast path allowed (see above) */
#define HERD_VP_GLOBAL_READ 0x20u /* reads other vertices' arcs via herd_v_graph() (one process only) */

/* Master-hook verdicts. */
#define HERD_VM_CONTINUE 0
#define HERD_VM_STOP 1

struct herd_vertex_program {
    uint32_t api;        /* HERD_VERTEX_API */
    const char *name;
    const char *help;    /* one line for `herd run --help` */
    uint32_t value_size; /* bytes per vertex value (> 0) */
    uint32_t msg_size;   /* bytes per message (0: sends nothing) */
    uint32_t flags;      /* HERD_VP_* */
    enum herd_combiner combiner;
    enum herd_vvalue value_type;
    uint32_t max_supersteps; /* 0 = until halted (or the hook stops) */
    const struct herd_agg_def *aggs;
    uint32_t naggs;
    /* Optional: checks parameters before the run and may set defaults.
     * Returns 0, or non-zero with a reason in err (size errcap). */
    int (*setup)(struct herd_vparams *p, const struct herd_vgraph *g, char *err, size_t errcap);
    /* Sets the initial value of v (zeroed before the call). Optional. */
    void (*init)(struct herd_vctx *c, uint32_t v, void *value);
    /* One vertex in one superstep. msgs holds nmsgs messages of msg_size
     * bytes, back to back (with a combiner, nmsgs <= 1). */
    void (*compute)(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                    uint32_t nmsgs);
    /* HERD_COMBINE_FN: merge msg into acc (commutative and associative). */
    void (*combine)(void *acc, const void *msg);
    /* Optional: runs alone after superstep s (herd_v_superstep() = s) with
     * this superstep's aggregates readable. Returns HERD_VM_CONTINUE/STOP. */
    int (*master)(struct herd_vctx *c);
    /* Optional: prints v's value (no newline) into buf; returns the length
     * like snprintf (>= cap means truncated; the engine retries larger). */
    int (*format)(struct herd_vctx *c, uint32_t v, const void *value, char *buf, size_t cap);
    /* Optional whole-graph fast path (see above). values is n * value_size
     * bytes, already init()ed. Returns 0, or non-zero on failure. */
    int (*solve)(struct herd_vctx *c, void *values);
    /* Optional (HERD_VP_PULL programs, api >= 2): the same as calling
     * compute() on every vertex of r in turn, with every vertex sending
     * (HERD_VR_SENT) or none, and every vertex halting (HERD_VR_HALT) or
     * none; returns those bits. It may add to aggregators (once per call is
     * enough) but must not call herd_v_send*() or herd_v_halt(). Runs on
     * several threads at once, each with its own range. */
    unsigned (*compute_range)(struct herd_vctx *c, const struct herd_vrange *r);
};

/* The symbol a plugin exports. */
typedef const struct herd_vertex_program *(*herd_plugin_fn)(void);
#define HERD_PLUGIN_SYMBOL "herd_plugin_program"

/* --- calls available inside callbacks ---------------------------------- */

const struct herd_vgraph *herd_v_graph(const struct herd_vctx *c);
const struct herd_vparams *herd_v_params(const struct herd_vctx *c);
uint64_t herd_v_superstep(const struct herd_vctx *c);
/* Input id of dense vertex v. */
uint64_t herd_v_id(const struct herd_vctx *c, uint32_t v);
/* Out-degree (arcs, with multiplicity), available even without the out-CSR. */
uint32_t herd_v_out_degree(const struct herd_vctx *c, uint32_t v);

/* Sends msg (msg_size bytes, copied) to dense vertex `to`. Not in pull mode. */
void herd_v_send(struct herd_vctx *c, uint32_t to, const void *msg);
/* Sends msg along every out-arc of v (once per arc). Allowed in pull mode,
 * where v must be the vertex being computed. */
void herd_v_send_all(struct herd_vctx *c, uint32_t v, const void *msg);
/* Sends msg along every in-arc of v, to its source (needs HERD_VP_IN_EDGES;
 * on an undirected graph this is the same set as send_all). */
void herd_v_send_in(struct herd_vctx *c, uint32_t v, const void *msg);
/* The vertex being computed votes to halt. */
void herd_v_halt(struct herd_vctx *c);

/* Contributes to aggregator i in this superstep. The value is converted to
 * the aggregator's type: a double given to an I64 aggregator is truncated
 * and saturates at the int64 range (NaN counts as 0). An I64 SUM wraps
 * modulo 2^64, like HERD_COMBINE_SUM_I64. An index >= naggs fails the job. */
void herd_v_agg_i64(struct herd_vctx *c, uint32_t i, int64_t x);
void herd_v_agg_f64(struct herd_vctx *c, uint32_t i, double x);
/* Global value of aggregator i from the previous superstep (in the master
 * hook: from the superstep just finished). Identity before superstep 1:
 * 0 for SUM/COUNT, +max for MIN, -max for MAX. */
int64_t herd_v_aggregate_i64(const struct herd_vctx *c, uint32_t i);
double herd_v_aggregate_f64(const struct herd_vctx *c, uint32_t i);

/* Scratch memory private to this context (one thread at a time), at least
 * `size` bytes; a later call may move it but keeps its contents (like
 * realloc). NULL when out of memory. */
void *herd_v_scratch(struct herd_vctx *c, size_t size);

/* Fails the job with a message (the engine stops after this superstep). */
void herd_v_fail(struct herd_vctx *c, const char *msg);

/* In solve(): runs fn(arg, t, nthreads) on every engine thread t in
 * parallel and returns when all are done. */
void herd_v_parallel(struct herd_vctx *c, void (*fn)(void *arg, uint32_t t, uint32_t nthreads),
                     void *arg);

#endif
