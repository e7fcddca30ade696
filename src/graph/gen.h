/* gen — synthetic graphs: the Graph500 Kronecker (R-MAT) generator with
 * A=0.57, B=0.19, C=0.19 and a seeded vertex permutation, and a uniform
 * random (Erdos-Renyi style) generator. Scale S gives ids 0..2^S-1 and
 * degree D gives D*2^S edges; ids that get no edge are not vertices, just
 * as when the text is loaded. Edge i is a pure function of (seed, i), so
 * the output is the same for a seed whatever the thread count. Any thread. */
#ifndef HERD_GRAPH_GEN_H
#define HERD_GRAPH_GEN_H

#include "base/err.h"
#include "graph/elist.h"

#include <stdint.h>

enum herd_gen_kind { HERD_GEN_KRONECKER, HERD_GEN_UNIFORM };

struct herd_gen_opts {
    enum herd_gen_kind kind;
    unsigned scale;  /* 1..31 */
    unsigned degree; /* >= 1; edges = degree << scale */
    uint64_t seed;
    int weighted;    /* weights k/1000 for k in 1..1000 */
    int threads;     /* 0 = all online cores */
};

/* Checks the options: HERD_OK or HERD_EINVAL with a reason. */
int herd_gen_check(const struct herd_gen_opts *g, struct herd_err *e);

/* Appends the edges (input ids, 32-bit) to `el`. HERD_OK, HERD_EINVAL,
 * HERD_ENOMEM. */
int herd_gen_edges(const struct herd_gen_opts *g, struct herd_elist *el, struct herd_err *e);

/* Writes the graph to `path`: herd binary (directed) when it ends in
 * ".hgr", else a SNAP-style text edge list. HERD_OK, HERD_EINVAL,
 * HERD_ENOMEM, HERD_EIO. */
int herd_gen_write(const struct herd_gen_opts *g, const char *path, struct herd_err *e);

/* Lower-case name: "kronecker" or "uniform". */
const char *herd_gen_kind_name(enum herd_gen_kind k);

#endif
