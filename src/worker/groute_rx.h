/* groute_rx — the receiving side of a routed graph load (docs/distributed.md
 * "Loading"): everything peers send a worker during the load round, in
 * the order the loading thread (groute_load.c) waits for it:
 *   SCANNED  every worker's verdict on its byte range (wait_scanned);
 *   EDGES / VIDS / SRCS and LOADED: the records routed to the partitions
 *            this worker owns, appended into per-partition buffers, and
 *            the end markers that say each sender is done (wait);
 *   COUNTS   each partition's distinct-id count (wait_counts);
 *   ASK / ANSWER: input ids to translate to dense ids (next_ask, answered);
 *   PINFO    every partition's ids and out-degrees (wait_pinfo).
 * The data plane's receiver threads call the frame entry points for
 * decoded frames (worker/dpframe.h); the loading thread adds its own
 * records with herd_groute_rx_add_edge / _add_id / _add_src. A lost peer
 * (herd_groute_rx_lost) or herd_groute_rx_fail wakes every wait with an
 * error. After herd_groute_rx_wait no sender appends any more: the loading
 * thread reads the buffers without locking (herd_groute_rx_part), and the
 * builder frees each partition's records as it consumes them
 * (herd_groute_rx_part_mut). All other entry points are thread-safe.
 *
 * Memory: 16 bytes per routed edge record (u64 source, u64 target input
 * ids), 8 more only when the load is weighted; 8 bytes per routed id; a
 * hash map entry (12 bytes, at most half full) per distinct counted source.
 * Buffers grow by doubling with malloc/realloc; running out of memory
 * fails the call with HERD_ENOMEM (and the load with it). */
#ifndef HERD_WORKER_GROUTE_RX_H
#define HERD_WORKER_GROUTE_RX_H

#include "base/err.h"
#include "worker/dpframe.h"
#include "worker/groute_idx.h"

#include <stddef.h>
#include <stdint.h>

/* One row set's edges of one partition, as parallel arrays. */
struct herd_groute_edges {
    uint64_t *src, *dst;
    double *w;           /* NULL unless the load is weighted */
    size_t n, cap;
};

/* What was routed to one owned partition. */
struct herd_groute_part {
    struct herd_groute_edges out; /* rows of the sources (HERD_DPF_OUT) */
    struct herd_groute_edges in;  /* rows of the targets (HERD_DPF_IN) */
    uint64_t *ids;                /* vertex ids (.v lines, isolated vertices) */
    size_t nids, capids;
    struct herd_groute_idx srcs;  /* sources of out-arcs (SRCS) -> arcs: the
                                     out-degrees when out-rows are not routed */
};

struct herd_groute_rx;

/* A receiver for worker `me` of `nworkers`; owner[nparts] (copied) says
 * which worker owns each partition. weighted: records carry a weight.
 * HERD_OK and *out, or HERD_EINVAL (me out of range, an owner >= nworkers). */
int herd_groute_rx_create(uint32_t nparts, const uint32_t *owner, uint32_t nworkers,
                          uint32_t me, int weighted, struct herd_groute_rx **out,
                          struct herd_err *e);
/* NULL ok. */
void herd_groute_rx_destroy(struct herd_groute_rx *rx);

/* The loading thread's own records (part must be owned by me): HERD_OK,
 * HERD_EINVAL (not my partition) or HERD_ENOMEM. */
int herd_groute_rx_add_edge(struct herd_groute_rx *rx, uint32_t part, uint8_t kind,
                            uint64_t src, uint64_t dst, double w);
int herd_groute_rx_add_id(struct herd_groute_rx *rx, uint32_t part, uint64_t id);
/* One out-arc of source `id` (counted in part's srcs). As add_id. */
int herd_groute_rx_add_src(struct herd_groute_rx *rx, uint32_t part, uint64_t id);

/* A decoded frame from worker `sender` (a receiver thread). HERD_OK;
 * HERD_EPROTO (sender out of range or already LOADED, weightedness differs
 * from the load's, counts that disagree with LOADED); HERD_ENOMEM. Any
 * error also fails the receiver (herd_groute_rx_fail). */
int herd_groute_rx_edges(struct herd_groute_rx *rx, uint32_t sender,
                         const struct herd_dpframe_edges *f, struct herd_err *e);
/* VIDS (srcs 0) or SRCS (srcs 1: one out-arc per id, counted). */
int herd_groute_rx_vids(struct herd_groute_rx *rx, uint32_t sender,
                        const struct herd_dpframe_vids *f, int srcs, struct herd_err *e);
int herd_groute_rx_loaded(struct herd_groute_rx *rx, uint32_t sender, uint64_t edges,
                          uint64_t ids, struct herd_err *e);

/* The all-gather of partition sizes (step 3): my own partitions' with
 * set_count (the loading thread), the others' from COUNTS frames (a
 * receiver thread; HERD_EPROTO for a partition counted twice, HERD_EPROTO
 * from the decoder for one not the sender's). */
void herd_groute_rx_set_count(struct herd_groute_rx *rx, uint32_t part, uint64_t count);
int herd_groute_rx_counts(struct herd_groute_rx *rx, const struct herd_dpframe_counts *f,
                          struct herd_err *e);
/* Waits until every partition's size is known, then copies them to
 * counts[nparts]. HERD_OK, or HERD_ECLOSED when the receiver failed. */
int herd_groute_rx_wait_counts(struct herd_groute_rx *rx, uint64_t *counts);

/* Step 4, translation. An ASK from a peer: ids of my partition `part`
 * whose dense ids it needs (queued for the loading thread, which answers).
 * An ANSWER: the dense ids of what I asked of `part`, in my order. */
struct herd_groute_ask {
    uint32_t from, part, count;
    uint64_t *ids;
    struct herd_groute_ask *next;
};
int herd_groute_rx_ask(struct herd_groute_rx *rx, uint32_t sender,
                       const struct herd_dpframe_ids *f, struct herd_err *e);
int herd_groute_rx_answer(struct herd_groute_rx *rx, const struct herd_dpframe_ids *f,
                          struct herd_err *e);
/* The loading thread: the next queued ASK (*ask, free with
 * herd_groute_ask_free), or *ask NULL once every peer's ASKs (one per
 * partition of mine) were handed out and an ANSWER arrived for every
 * partition that is not mine. HERD_OK, or HERD_ECLOSED (failed). */
int herd_groute_rx_next_ask(struct herd_groute_rx *rx, struct herd_groute_ask **ask);
void herd_groute_ask_free(struct herd_groute_ask *a);
/* Partition p's answer (not mine; after next_ask gave NULL): count dense
 * ids in the order they were asked. */
const uint32_t *herd_groute_rx_answered(const struct herd_groute_rx *rx, uint32_t p,
                                        uint32_t *count);

/* The end of every worker's scan (SCANNED): a peer's frame (a receiver
 * thread; HERD_EPROTO for a second one, or a success before its LOADED),
 * my own with set_scanned (code 0 or my scan's error, msg NULL or its
 * text). wait_scanned waits for every worker's and sums them: HERD_OK and
 * *out, or HERD_ECLOSED when the receiver failed. */
struct herd_groute_scanned {
    uint64_t edges, vertices;  /* totals over every worker's ranges */
    int failed;                /* the lowest worker whose scan failed, or -1 */
    int code;                  /* its error code and message */
    char msg[HERD_DPF_SCANNED_MSG + 1];
};
int herd_groute_rx_scanned(struct herd_groute_rx *rx, uint32_t sender,
                           const struct herd_dpframe_scanned *f, struct herd_err *e);
void herd_groute_rx_set_scanned(struct herd_groute_rx *rx, uint64_t edges, uint64_t vertices,
                                int code, const char *msg);
int herd_groute_rx_wait_scanned(struct herd_groute_rx *rx, struct herd_groute_scanned *out);

/* The all-gather of the vertex map (PINFO): a peer's chunk of one of its
 * partitions (a receiver thread; after that partition's COUNTS, chunks in
 * order: HERD_EPROTO otherwise; HERD_ENOMEM). wait_pinfo waits until every
 * partition that is not mine is complete, then writes its input ids and
 * out-degrees at ids[base[p] + rank], deg[base[p] + rank] and adds the
 * partitions' arc totals to *arcs. HERD_OK or HERD_ECLOSED. */
int herd_groute_rx_pinfo(struct herd_groute_rx *rx, uint32_t sender,
                         const struct herd_dpframe_pinfo *f, struct herd_err *e);
int herd_groute_rx_wait_pinfo(struct herd_groute_rx *rx, const uint32_t *base, uint64_t *ids,
                              uint32_t *deg, uint64_t *arcs);

/* Worker w's connection ended: fails the receiver, except between w's
 * SCANNED and the verdict (herd_groute_rx_wait_scanned): a worker leaves
 * then when it saw a failed scan, and the others must still reach the same
 * verdict from the SCANNED frames; if the verdict is a success after all,
 * the wait fails (the worker crashed). Any thread. */
void herd_groute_rx_lost(struct herd_groute_rx *rx, uint32_t w);

/* Makes the wait fail (a lost peer, an aborted session). Any thread. */
void herd_groute_rx_fail(struct herd_groute_rx *rx);

/* Waits until every other worker sent LOADED. HERD_OK, or HERD_ECLOSED
 * when the receiver failed first. */
int herd_groute_rx_wait(struct herd_groute_rx *rx);

/* Partition p's records; p must be owned by me. Read after the wait. */
const struct herd_groute_part *herd_groute_rx_part(const struct herd_groute_rx *rx, uint32_t p);
/* The same, for the builder that frees the records as it consumes them
 * (after the translation: groute_build.h). */
struct herd_groute_part *herd_groute_rx_part_mut(struct herd_groute_rx *rx, uint32_t p);

#endif
