/* groute_tx — the sending side of a routed graph load (docs/distributed.md
 * "Loading"): records for partitions this worker owns go straight into its
 * own receiver (groute_rx.h); records for other workers' partitions are
 * gathered per (partition, kind) and sent as EDGES / VIDS / SRCS frames over
 * the data-plane session once a buffer is full; herd_groute_tx_finish
 * flushes everything and sends every other worker LOADED with the counts.
 *
 * One thread (the loading thread: the range scanner's callbacks are
 * serialised on it). Sends block on TCP's window; the peers' receiver
 * threads drain their sockets into memory, so two workers routing to each
 * other cannot deadlock. Buffer memory: at most 4 * nparts buffers (two of
 * edges, a VIDS and a SRCS one per partition) of 1-256 KiB (32 MiB in all
 * for many partitions), allocated on first use. */
#ifndef HERD_WORKER_GROUTE_TX_H
#define HERD_WORKER_GROUTE_TX_H

#include "base/err.h"
#include "worker/dataplane.h"
#include "worker/groute_rx.h"

#include <stdint.h>

struct herd_groute_tx;

/* A sender over session s (connected) for worker `me`; `self` receives
 * this worker's own records (borrowed). owner[nparts] is copied. weighted:
 * records carry a weight (as in every worker's receiver). */
struct herd_groute_tx *herd_groute_tx_create(struct herd_dp_session *s,
                                             struct herd_groute_rx *self, uint32_t nparts,
                                             const uint32_t *owner, uint32_t nworkers,
                                             uint32_t me, int weighted);
/* NULL ok; unsent records are dropped. */
void herd_groute_tx_destroy(struct herd_groute_tx *tx);

/* Routes one edge record to the row set `kind` (HERD_DPF_OUT / _IN) of
 * partition part. HERD_OK, HERD_EINVAL (part or kind out of range),
 * HERD_ENOMEM, or HERD_ECLOSED (a peer was lost), with the reason in e. */
int herd_groute_tx_edge(struct herd_groute_tx *tx, uint32_t part, uint8_t kind, uint64_t src,
                        uint64_t dst, double w, struct herd_err *e);
/* Routes one vertex id to partition part. As herd_groute_tx_edge. */
int herd_groute_tx_id(struct herd_groute_tx *tx, uint32_t part, uint64_t id,
                      struct herd_err *e);
/* Routes one out-arc of source `id` to partition part (SRCS: its owner
 * counts them, the out-degree, when out-rows are not routed). As
 * herd_groute_tx_edge. */
int herd_groute_tx_src(struct herd_groute_tx *tx, uint32_t part, uint64_t id,
                       struct herd_err *e);
/* Step 3's all-gather: the sizes of my partitions (counts[p] for every p
 * I own; others ignored) into my receiver and, as one COUNTS frame, to
 * every other worker. HERD_OK, HERD_ENOMEM or HERD_ECLOSED. */
int herd_groute_tx_counts(struct herd_groute_tx *tx, const uint64_t *counts, struct herd_err *e);

/* Sends what is buffered, then LOADED to every other worker. Call once. */
int herd_groute_tx_finish(struct herd_groute_tx *tx, struct herd_err *e);

#endif
