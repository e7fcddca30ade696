/* groute_load — one worker's part in a routed load of a text graph
 * (docs/distributed.md "Loading"), every step in order over one data-plane
 * session:
 *  1. scan my byte range of the edge file (and of a Graphalytics .v) and
 *     route the records to the owners of hash partitioning (groute_scan.h),
 *     then LOADED to every peer;
 *  2. SCANNED to every peer: my range's totals, or my scan's error. Once
 *     every worker's is in, a failed job fails on EVERY worker with the
 *     error of the lowest failing range ("FILE:LINE: reason", the error
 *     herd_graph_load gives on the whole file); otherwise the whole-job
 *     checks (herd_graph_scan_finish) run on the totals;
 *  3. number my partitions and all-gather their sizes (COUNTS);
 *  4. translate the remote endpoints (ASK/ANSWER) and build my rows
 *     (groute_build.h);
 *  5. all-gather every partition's input ids and out-degrees (PINFO), so
 *     the partial graph answers what the whole graph would for any vertex.
 * The result equals herd_renumber_hash() of the whole graph restricted to
 * my partitions' rows: same n, ids, out-degrees, bounds, rows.
 *
 * The loading thread of the worker; every worker of the job must run it
 * with the same job description (but its own `me`). */
#ifndef HERD_WORKER_GROUTE_LOAD_H
#define HERD_WORKER_GROUTE_LOAD_H

#include "base/err.h"
#include "graph/graph.h"
#include "worker/dataplane.h"
#include "worker/groute_rx.h"

#include <stdint.h>

struct herd_groute_job {
    const char *path;          /* the job's graph, as herd_graph_load takes it */
    struct herd_graph_opts o;  /* format, directed, weighted (0 or 1), need_out,
                                  need_in, simplify, threads, vertex_file */
    uint32_t me, nworkers, nparts;
    const uint32_t *owner;     /* nparts entries */
};

/* 1 when the job's input can be routed (plain-text edge and vertex files,
 * not binary or compressed), 0 when it must be loaded whole; -1 with *e
 * (HERD_EIO) when a file cannot be read. Same answer on every worker that
 * sees the same files. */
int herd_groute_load_splittable(const struct herd_groute_job *j, struct herd_err *e);

/* The receiver for the job (create before herd_dp_connect and give it to
 * the session with herd_dp_set_route). As herd_groute_rx_create. */
int herd_groute_load_rx(const struct herd_groute_job *j, struct herd_groute_rx **rx,
                        struct herd_err *e);

/* Runs steps 1-5 over session s (connected; its receiver rx). HERD_OK with
 * the partial graph in *out (the caller's) and the nparts+1 partition
 * starts in bounds; or the job's error: the lowest failing range's parse
 * error (HERD_EPARSE) or I/O error, the whole-job checks' (HERD_EPARSE),
 * HERD_ECLOSED (a peer was lost or the session aborted), HERD_ENOMEM,
 * HERD_EINVAL (more than 2^32-1 vertices), HERD_EPROTO. */
int herd_groute_load_run(struct herd_dp_session *s, struct herd_groute_rx *rx,
                         const struct herd_groute_job *j, struct herd_graph **out,
                         uint32_t *bounds, struct herd_err *e);

#endif
