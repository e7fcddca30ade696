/* groute_build — the end of step 4 of a routed load (docs/distributed.md
 * "Loading"): the compressed rows of the partitions this worker owns, built
 * from the records routed to them once every endpoint has its dense id
 * (groute_num.h for mine, groute_xlate.h for the others), exactly as
 * herd_renumber_hash() lays out the whole graph: partition-major dense ids,
 * each row sorted by (dense neighbour, weight).
 *
 * The result is a PARTIAL graph (graph/graph.h) of n = base[nparts]
 * vertices: the owned vertices' rows, empty rows elsewhere, neighbour ids
 * global. Its id map and out-degrees are filled for the owned vertices
 * only; the rest comes from the peers (the PINFO all-gather, groute_load.h).
 *
 * Out-rows come from the out-row records (rows of their sources) and, on an
 * undirected graph, from the in-row records too (rows of their targets:
 * both arcs of every edge). A directed graph's in-rows come from the in-row
 * records. The out-degrees come from the out-rows; a directed load whose
 * program needs no out-rows routes only each arc's source, counted by the
 * owner (SRCS), unless it simplifies (a degree then counts distinct
 * neighbours: the out-row records are routed, built for the degrees and
 * dropped).
 *
 * Memory: each row set is built one partition at a time; a partition's
 * records are turned into 8-byte sort keys (16 with a weight) and freed
 * before its rows are appended, so the records and the rows are never both
 * held at full size. One thread (the loading thread), after the
 * translation; it frees the receiver's records (herd_groute_rx_part_mut). */
#ifndef HERD_WORKER_GROUTE_BUILD_H
#define HERD_WORKER_GROUTE_BUILD_H

#include "base/err.h"
#include "graph/graph.h"
#include "worker/groute_rx.h"
#include "worker/groute_xlate.h"

#include <stdint.h>

struct herd_groute_build {
    const struct herd_groute_numbering *num; /* my numbering (owned ids, bases) */
    int directed, weighted, simplify;
    int need_out, need_in;                   /* as the engine asks (graph.h opts) */
    int out_records;                         /* out-row records were routed (else
                                                the sources were counted: SRCS) */
};

/* Builds the partial graph (*out, the caller's) and part_arcs[p], the out-arcs
 * of each owned partition p (other entries untouched). HERD_OK;
 * HERD_ENOMEM; HERD_EPROTO (an endpoint without a dense id: a routing
 * bug or a peer's). The records of every owned partition are freed either
 * way. */
int herd_groute_build_run(struct herd_groute_rx *rx, const struct herd_groute_xlate *x,
                          const struct herd_groute_build *b, struct herd_graph **out,
                          uint64_t *part_arcs, struct herd_err *e);

#endif
