/* csr — counting-sort construction of compressed sparse rows, internal to
 * src/graph: scatter an edge list into rows, transpose rows (which leaves
 * every row sorted by target), and drop self-loops and duplicate arcs.
 * All functions allocate with malloc and fail cleanly with HERD_ENOMEM. */
#ifndef HERD_GRAPH_CSR_H
#define HERD_GRAPH_CSR_H

#include "graph/elist.h"

struct herd_csr {
    uint64_t *off; /* n+1 */
    uint32_t *adj; /* off[n] */
    double *w;     /* off[n] or NULL */
};

enum herd_csr_by {
    HERD_CSR_BY_SRC, /* row = source, entries = targets (out-rows) */
    HERD_CSR_BY_DST, /* row = target, entries = sources (in-rows) */
    HERD_CSR_BOTH    /* both arcs of each edge (undirected) */
};

void herd_csr_free(struct herd_csr *c);

/* Row lengths of c as a new malloc'ed array of n entries (32 bits, as
 * herd_v_out_degree() reports them); NULL when out of memory. */
uint32_t *herd_csr_degrees(const struct herd_csr *c, uint32_t n);

/* Scatters the dense edge list into rows of `n` vertices, in input order
 * within a row; frees the list's blocks once read. `weighted`: fill c->w
 * (1.0 where a block has none). */
int herd_csr_scatter(struct herd_elist *el, uint32_t n, enum herd_csr_by by, int weighted,
                     int threads, struct herd_csr *c, struct herd_err *e);

/* out = transpose of in; every row of out is sorted by entry, and equal
 * entries (parallel arcs) by ascending weight. `in` is unchanged. */
int herd_csr_transpose(const struct herd_csr *in, uint32_t n, int threads, struct herd_csr *out,
                       struct herd_err *e);

/* Drops self-loops and repeated entries from rows sorted by entry (keeping
 * the smallest weight); compacts in place and shrinks the arrays. */
void herd_csr_simplify(struct herd_csr *c, uint32_t n);

#endif
