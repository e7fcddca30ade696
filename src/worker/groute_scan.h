/* groute_scan — worker i's share of a routed text load: it parses the
 * lines of the input that start in byte range i of W ([size*i/W,
 * size*(i+1)/W), graph/load_range.h) and routes them with a sender
 * (groute_tx.h) to the owners of hash partitioning (graph/renumber.h:
 * partition of input id x = mix64(x) mod P):
 *  - each edge to the partition of its source as an out-row record when
 *    out_rows, else as a counted source (SRCS) when src_counts, else just
 *    the source id; to the partition of its target as
 *    an in-row record when in_rows (directed programs reading in-edges, the
 *    pull path, and every undirected graph: there both records make the
 *    symmetric rows), else just the target id;
 *  - Graphalytics .v ids (range i of the .v file) and DIMACS 1..n (from the
 *    'p' line, by the range that holds it) to their partitions.
 * Graphalytics: every worker first reads the whole .v file into an id set
 * (about 24-48 bytes per vertex while it scans), so that an .e endpoint
 * missing from it fails the range like the whole-file loader ("FILE:LINE:
 * vertex ID is not listed in VFILE"); a .v error is then every worker's.
 * The scan does not call herd_groute_tx_finish, nor the whole-job checks
 * (herd_graph_scan_finish needs every worker's totals: the caller's).
 * One thread (the loading thread). */
#ifndef HERD_WORKER_GROUTE_SCAN_H
#define HERD_WORKER_GROUTE_SCAN_H

#include "base/err.h"
#include "graph/graph.h"
#include "worker/groute_tx.h"

#include <stdint.h>

struct herd_groute_scan {
    const char *path;          /* edge file (Graphalytics .e) */
    const char *vpath;         /* Graphalytics .v, or NULL */
    struct herd_graph_opts o;  /* format, weighted, threads */
    uint32_t me, nworkers, nparts;
    int out_rows, in_rows;
    int src_counts;            /* without out_rows: each source as an out-arc
                                  (SRCS, counted by its owner), not an id */
};

/* What this worker's ranges held, for herd_graph_scan_finish's totals. */
struct herd_groute_counts {
    uint64_t edges, vertices;
};

/* Scans and routes worker me's ranges. HERD_OK and *out; or the scanner's
 * error ("FILE:LINE: reason", HERD_EPARSE; HERD_EIO; HERD_EINVAL for an
 * input that cannot be split), or the sender's (HERD_ECLOSED, HERD_ENOMEM). */
int herd_groute_scan_run(struct herd_groute_tx *tx, const struct herd_groute_scan *sc,
                         struct herd_groute_counts *out, struct herd_err *e);

/* [start, end) of range i of k over size bytes, exactly size*i/k rounded
 * down without overflow. */
void herd_groute_range(uint64_t size, uint32_t i, uint32_t k, uint64_t *start, uint64_t *end);

#endif
