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

/* DHELLO: the 16 identifying bytes and the MAC. */
int herd_dpframe_hello_decode(const uint8_t *b, size_t n, struct herd_dpframe_hello *out,
                              struct herd_err *e);
void herd_dpframe_hello_put(uint8_t id[HERD_DPF_HELLO_ID], uint64_t job, uint32_t epoch,
                            uint32_t from);

/* DCHALLENGE: exactly a nonce. */
int herd_dpframe_challenge_decode(const uint8_t *b, size_t n, const uint8_t **nonce,
                                  struct herd_err *e);

#endif
