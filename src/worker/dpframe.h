/* dpframe — the data plane's frame bodies (docs/protocol.md section 9) as
 * pure functions: encoders that fill fixed-size headers, and decoders that
 * check a received body against the session's shape and the sending worker
 * before anything of it is used. No I/O, no allocation, no locks: the
 * worker's data plane (dataplane.c) and the fuzz target
 * (tests/fuzz/fuzz_dataplane.c) call exactly these.
 *
 * Every decoder returns HERD_OK and fills *out (pointers into the body,
 * valid as long as the body is), or HERD_EPROTO with the reason in e and
 * *out untouched. Any thread. */
#ifndef HERD_WORKER_DPFRAME_H
#define HERD_WORKER_DPFRAME_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#define HERD_DPF_BATCH_HDR 24 /* from, to, step, count, rec */
#define HERD_DPF_VECTOR_HDR 16 /* part, step, count */
#define HERD_DPF_END_LEN 8     /* step */
#define HERD_DPF_HELLO_ID 16   /* job, epoch, from (the MAC follows) */
#define HERD_DPF_EDGES_HDR 12  /* part, kind, weighted, 2 zero bytes, count */
#define HERD_DPF_VIDS_HDR 8    /* part, count */
#define HERD_DPF_LOADED_LEN 16 /* edges, ids */
#define HERD_DPF_COUNTS_HDR 4  /* k, then k (part, count) entries of 12 bytes */
#define HERD_DPF_SCANNED_HDR 24 /* edges, vertices, code, msg length; then the message */
#define HERD_DPF_SCANNED_MSG 511 /* longest SCANNED message */
#define HERD_DPF_PINFO_HDR 20  /* part, first, count, arcs; then count (id, degree) */
#define HERD_DPF_PINFO_REC 12  /* u64 input id, u32 out-degree */

/* Routed loading (docs/distributed.md "Loading"): an EDGES record belongs
 * to the row of its source (out-rows) or of its target (in-rows). */
enum herd_dpf_edge_kind { HERD_DPF_OUT = 0, HERD_DPF_IN = 1 };

/* What a receiving session knows: its partitions' owners, its own worker
 * number, the message size and (pull path only, else NULL) the partition
 * bounds (nparts + 1 starts). */
struct herd_dpframe_shape {
    uint32_t nparts, me, msg_size;
    const uint32_t *owner;
    const uint32_t *bounds;
};

struct herd_dpframe_batch {
    uint32_t from, to, count, rec;
    uint64_t step;
    const uint8_t *recs; /* count records: u32 target (big-endian), msg_size bytes */
};

struct herd_dpframe_vector {
    uint32_t part, count;
    uint64_t step;
    const uint8_t *values;  /* count big-endian u64 (double bits) */
    const uint8_t *emitted; /* count bytes */
};

/* EDGES: count records of u64 src, u64 dst and (weighted) f64 weight, all
 * for rows of partition `part`, which the receiver owns. */
struct herd_dpframe_edges {
    uint32_t part, count;
    uint8_t kind, weighted;
    const uint8_t *recs; /* count * (16 or 24) bytes, big-endian */
};

/* VIDS: count input vertex ids of partition `part`. */
struct herd_dpframe_vids {
    uint32_t part, count;
    const uint8_t *ids;  /* count big-endian u64 */
};

struct herd_dpframe_hello {
    uint64_t job;
    uint32_t epoch, from;
    const uint8_t *mac; /* HERD_MAC_LEN bytes */
};

/* BATCH from worker `sender`: partition `from` must be the sender's, `to`
 * ours, the record size 4 + msg_size and the body exactly the records. */
int herd_dpframe_batch_decode(const struct herd_dpframe_shape *sh, uint32_t sender,
                              const uint8_t *b, size_t n, struct herd_dpframe_batch *out,
                              struct herd_err *e);
/* Copies a decoded batch's records into `dst` (count * rec bytes) with
 * each target converted to host order, the layout of struct herd_msgbatch. */
void herd_dpframe_batch_copy(const struct herd_dpframe_batch *b, uint8_t *dst);
void herd_dpframe_batch_put(uint8_t hdr[HERD_DPF_BATCH_HDR], uint32_t from, uint32_t to,
                            uint64_t step, uint32_t count, uint32_t rec);

int herd_dpframe_end_decode(const uint8_t *b, size_t n, uint64_t *step, struct herd_err *e);

/* VECTOR from worker `sender`: the session must be on the pull path
 * (sh->bounds), the partition the sender's and the count its size. */
int herd_dpframe_vector_decode(const struct herd_dpframe_shape *sh, uint32_t sender,
                               const uint8_t *b, size_t n, struct herd_dpframe_vector *out,
                               struct herd_err *e);
/* Writes a decoded vector's values and emitted flags to x[0..count) and
 * em[0..count). */
void herd_dpframe_vector_copy(const struct herd_dpframe_vector *v, double *x, uint8_t *em);
void herd_dpframe_vector_put(uint8_t hdr[HERD_DPF_VECTOR_HDR], uint32_t part, uint64_t step,
                             uint32_t count);

/* EDGES: `part` must be the receiver's, kind 0 or 1, weighted 0 or 1, the
 * two reserved bytes zero and the body exactly the records. */
int herd_dpframe_edges_decode(const struct herd_dpframe_shape *sh, const uint8_t *b, size_t n,
                              struct herd_dpframe_edges *out, struct herd_err *e);
/* Record i (< count) of a decoded EDGES frame; *w is 1.0 when unweighted. */
void herd_dpframe_edge_at(const struct herd_dpframe_edges *f, uint32_t i, uint64_t *src,
                          uint64_t *dst, double *w);
void herd_dpframe_edges_put(uint8_t hdr[HERD_DPF_EDGES_HDR], uint32_t part, uint8_t kind,
                            uint8_t weighted, uint32_t count);
/* Writes one record at rec (24 bytes room when weighted, else 16); returns
 * its size. */
size_t herd_dpframe_edge_put(uint8_t *rec, uint64_t src, uint64_t dst, uint8_t weighted,
                             double w);
/* Bytes of one EDGES record. */
static inline size_t herd_dpframe_edge_size(uint8_t weighted)
{
    return weighted ? 24 : 16;
}

/* VIDS: `part` the receiver's and the body exactly count ids. */
int herd_dpframe_vids_decode(const struct herd_dpframe_shape *sh, const uint8_t *b, size_t n,
                             struct herd_dpframe_vids *out, struct herd_err *e);
uint64_t herd_dpframe_vid_at(const struct herd_dpframe_vids *f, uint32_t i);
void herd_dpframe_vids_put(uint8_t hdr[HERD_DPF_VIDS_HDR], uint32_t part, uint32_t count);

/* LOADED: the sender's end marker of a routed load, with how many edge
 * records and ids it sent to this worker (the receiver checks them). */
int herd_dpframe_loaded_decode(const uint8_t *b, size_t n, uint64_t *edges, uint64_t *ids,
                               struct herd_err *e);
void herd_dpframe_loaded_put(uint8_t b[HERD_DPF_LOADED_LEN], uint64_t edges, uint64_t ids);

/* COUNTS: the sizes (distinct vertex ids) of the sender's partitions, for
 * the all-gather of a routed load's numbering. */
struct herd_dpframe_counts {
    uint32_t k;
    const uint8_t *entries; /* k * (u32 part, u64 count) */
};
/* Every part < nparts and owned by `sender`; the body exactly k entries. */
int herd_dpframe_counts_decode(const struct herd_dpframe_shape *sh, uint32_t sender,
                               const uint8_t *b, size_t n, struct herd_dpframe_counts *out,
                               struct herd_err *e);
void herd_dpframe_count_at(const struct herd_dpframe_counts *f, uint32_t i, uint32_t *part,
                           uint64_t *count);
void herd_dpframe_counts_put(uint8_t hdr[HERD_DPF_COUNTS_HDR], uint32_t k);
/* Writes entry (part, count) at p (12 bytes). */
void herd_dpframe_count_put(uint8_t *p, uint32_t part, uint64_t count);

/* ASK (step 4): input ids of partition `part` (the receiver's) whose dense
 * ids the sender needs; ANSWER: those dense ids, in the same order, from
 * the owner of `part` (the sender). Same header as VIDS: u32 part, u32
 * count; then count u64 ids (ASK) or count u32 dense ids (ANSWER). */
struct herd_dpframe_ids {
    uint32_t part, count;
    const uint8_t *v;
};
int herd_dpframe_ask_decode(const struct herd_dpframe_shape *sh, const uint8_t *b, size_t n,
                            struct herd_dpframe_ids *out, struct herd_err *e);
int herd_dpframe_answer_decode(const struct herd_dpframe_shape *sh, uint32_t sender,
                               const uint8_t *b, size_t n, struct herd_dpframe_ids *out,
                               struct herd_err *e);

/* SCANNED: the sender's scan of its byte ranges is over: the edges and
 * .v ids its ranges held (for the whole-job checks), and either code 0
 * (then its LOADED came before) or its scan's error code and message
 * ("FILE:LINE: reason"; at most HERD_DPF_SCANNED_MSG bytes, no NUL). */
struct herd_dpframe_scanned {
    uint64_t edges, vertices;
    uint32_t code, len;
    const uint8_t *msg;
};
/* The body exactly the header and len message bytes, len within the
 * bound, no NUL in the message. */
int herd_dpframe_scanned_decode(const uint8_t *b, size_t n, struct herd_dpframe_scanned *out,
                                struct herd_err *e);
void herd_dpframe_scanned_put(uint8_t hdr[HERD_DPF_SCANNED_HDR], uint64_t edges,
                              uint64_t vertices, uint32_t code, uint32_t len);

/* PINFO (the all-gather of a routed load's vertex map): vertices first ..
 * first+count-1 of the sender's partition `part` (ranks within it), each
 * its input id and out-degree; `arcs` is the partition's out-arc total. */
struct herd_dpframe_pinfo {
    uint32_t part, first, count;
    uint64_t arcs;
    const uint8_t *recs; /* count * HERD_DPF_PINFO_REC bytes */
};
/* part < nparts and the sender's; the body exactly count records. */
int herd_dpframe_pinfo_decode(const struct herd_dpframe_shape *sh, uint32_t sender,
                              const uint8_t *b, size_t n, struct herd_dpframe_pinfo *out,
                              struct herd_err *e);
void herd_dpframe_pinfo_put(uint8_t hdr[HERD_DPF_PINFO_HDR], uint32_t part, uint32_t first,
                            uint32_t count, uint64_t arcs);
/* Record i (< count) of a decoded PINFO. */
void herd_dpframe_pinfo_at(const struct herd_dpframe_pinfo *f, uint32_t i, uint64_t *id,
                           uint32_t *deg);

/* DHELLO: the 16 identifying bytes and the MAC. */
int herd_dpframe_hello_decode(const uint8_t *b, size_t n, struct herd_dpframe_hello *out,
                              struct herd_err *e);
void herd_dpframe_hello_put(uint8_t id[HERD_DPF_HELLO_ID], uint64_t job, uint32_t epoch,
                            uint32_t from);

/* DCHALLENGE: exactly a nonce. */
int herd_dpframe_challenge_decode(const uint8_t *b, size_t n, const uint8_t **nonce,
                                  struct herd_err *e);

#endif
