/* graph — the in-memory graph one process holds: compressed sparse rows with
 * 32-bit dense vertex ids, and the map back to the input's 64-bit ids.
 *
 * Dense ids 0..n-1 are assigned in ascending input-id order, so writing
 * results in dense order gives the "ascending by input ID" output for free.
 * Partitions are contiguous dense-id ranges over these arrays (split by
 * graph/partition.h), so each partition's rows are a slice of the CSR.
 * Undirected graphs store every edge as two arcs in the out-CSR, and the
 * in-CSR fields alias the out-CSR ones (never free them twice).
 * Edges are taken as given: duplicates are parallel arcs and self-loops are
 * kept, unless opts.simplify drops both at build time (a duplicate keeps the
 * smallest weight). An undirected self-loop is two arcs v->v.
 * Every row (out and in) is sorted by dense neighbour id, ascending.
 *
 * Memory: out_dst/in_src are 4 bytes per arc; weights (8 bytes per arc) only
 * when asked for; the loaders keep whole-process peak near 12 bytes per arc.
 * Builders and loaders may use threads internally; a built graph is
 * read-only and safe to share between threads. */
#ifndef HERD_GRAPH_GRAPH_H
#define HERD_GRAPH_GRAPH_H

#include "base/err.h"

#include <stdint.h>

struct herd_graph {
    uint32_t n;            /* vertices */
    uint64_t m;            /* arcs in the out-CSR */
    int directed;
    /* id map: input id of dense v is ids[v], or id_base + v when ids == NULL */
    uint64_t *ids;
    uint64_t id_base;
    /* out-edges: arcs of v are out_dst[out_off[v] .. out_off[v+1]) */
    uint64_t *out_off;     /* n+1 entries, or NULL when not built */
    uint32_t *out_dst;
    double *out_w;         /* NULL when unweighted */
    /* in-edges (directed only; alias of out-* when undirected; NULL if not built) */
    uint64_t *in_off;
    uint32_t *in_src;
    double *in_w;
    /* out-degree of each vertex, kept by the loaders when a directed graph
     * has its in-CSR but not its out-CSR (the pull path needs only the
     * degrees); NULL otherwise */
    uint32_t *out_deg;
    /* A PARTIAL graph (herd_binfmt_read_part: a worker's share) holds the
     * rows of some vertices only: n, the id map and out_deg are whole; the
     * offsets have n+1 entries, and every vertex outside the loaded
     * partitions has an empty row; the arc arrays hold the loaded rows
     * back to back, so m counts the loaded arcs and m_whole the arcs of the
     * whole graph. Neighbour ids are global dense ids. Only code that reads
     * the rows of the vertices it owns may use one (the distributed engine);
     * partial = 0 for a whole graph (m_whole is then unused: 0). */
    int partial;
    uint64_t m_whole;
};

enum herd_graph_format {
    HERD_FMT_AUTO = 0,     /* by extension/content */
    HERD_FMT_SNAP,         /* "src dst [w]" lines, '#' comments, tabs or spaces */
    HERD_FMT_GRAPHALYTICS, /* X.v + X.e ("src dst [w]"); n from .v */
    HERD_FMT_DIMACS,       /* "p sp n m" + "a u v w", or PACE "p tw n m" + "u v" */
    HERD_FMT_BIN           /* herd's own binary format (herd convert) */
};

#define HERD_GRAPH_WEIGHTS_AUTO 2

struct herd_graph_opts {
    enum herd_graph_format format;
    int directed;          /* 1 directed, 0 undirected */
    int weighted;          /* 1: keep weights (missing weight column = 1.0);
                              0: drop them; HERD_GRAPH_WEIGHTS_AUTO: keep
                              them only when the input has them */
    int need_out;          /* build the out-CSR (if neither is set, out is built) */
    int need_in;           /* build the in-CSR (directed graphs) */
    int simplify;          /* drop self-loops and duplicate arcs */
    int threads;           /* parser/builder threads; 0 = all cores */
    const char *vertex_file; /* optional explicit .v path */
};

/* Builds a graph from an edge list of input ids. `extra_ids` (may be NULL)
 * lists vertices that exist even without edges (a .v file). Ids need not be
 * dense. Returns HERD_OK and *out, or HERD_ENOMEM / HERD_EINVAL (more than
 * 2^32-1 vertices) with a reason. Inputs are the caller's. */
int herd_graph_build(const uint64_t *src, const uint64_t *dst, const double *w, uint64_t nedges,
                     const uint64_t *extra_ids, uint64_t nextra, const struct herd_graph_opts *o,
                     struct herd_graph **out, struct herd_err *e);

/* Loads a graph file (see formats above; .gz/.xz are read directly).
 * Errors: HERD_EIO (cannot open/read), HERD_EPARSE ("FILE:LINE: reason"),
 * HERD_ENOMEM, HERD_EINVAL. */
int herd_graph_load(const char *path, const struct herd_graph_opts *o, struct herd_graph **out,
                    struct herd_err *e);

/* Frees a graph and its arrays (aliased in-* arrays once). NULL is a no-op. */
void herd_graph_destroy(struct herd_graph *g);

/* Input id of dense vertex v. */
static inline uint64_t herd_graph_id(const struct herd_graph *g, uint32_t v)
{
    return g->ids ? g->ids[v] : g->id_base + v;
}

/* Dense id of an input id: HERD_OK and *v, or HERD_ENOTFOUND. */
int herd_graph_lookup(const struct herd_graph *g, uint64_t id, uint32_t *v);

#endif
