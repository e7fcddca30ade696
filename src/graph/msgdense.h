/* msgdense — dense sender-side combining for exact integer combiners
 * (MIN_U32, MIN_I64, SUM_I64): one slot per dense vertex of the whole
 * graph plus a bitmap of the slots in use, so every message to a target
 * merges into that target's one slot whatever came in between, and a
 * sending partition ships at most one record per distinct target. The
 * direct-mapped cache of herd_msgout (msgbuf.h) keeps only the latest
 * message per slot; on power-law graphs most repeats of a target had
 * been evicted before they came (docs/benchmarks.md, WCC).
 *
 * Only exact combiners qualify: the combined value cannot depend on the
 * grouping of messages, so a run gives the same values as with the
 * cache. Floating-point sums would change in the last bits.
 *
 * Uniform mode: while every message since the last flush carried the same
 * value and the combiner is a MIN (idempotent), only the bitmap is written
 * (a BFS level, WCC's pivot search); the first different value fills the
 * slots of the targets seen so far and switches to per-slot values.
 *
 * For the vertex engine only: engine.c keeps one object per pool thread,
 * vctx.c puts into the running thread's, step.c flushes it into the
 * herd_msgouts of the thread's first partition of the superstep (one
 * record per slot), which empties it. Single-threaded per object. */
#ifndef HERD_GRAPH_MSGDENSE_H
#define HERD_GRAPH_MSGDENSE_H

#include "graph/msgbuf.h"
#include "herd/vertex.h"

#include <stdint.h>
#include <string.h>

enum herd_msgdense_mode {
    HERD_MSGDENSE_EMPTY,   /* nothing since the last flush */
    HERD_MSGDENSE_UNIFORM, /* every message was `uniform`; val not used */
    HERD_MSGDENSE_SLOTS    /* val holds each target's combined message */
};

struct herd_msgdense {
    enum herd_combiner kind; /* MIN_U32, MIN_I64 or SUM_I64 */
    enum herd_msgdense_mode mode;
    uint32_t n, msg_size;
    uint64_t uniform;   /* UNIFORM: the one value (a u32 in the low bits for MIN_U32) */
    uint8_t *val;       /* n * msg_size, SLOTS mode: the message where the bit is set
                           (pages are touched only where messages land) */
    uint64_t *bits;     /* nwords = (n + 63) / 64 words: slot in use */
    uint32_t nwords;
};

/* 1 when combiner `kind` with messages of msg_size bytes can be combined
 * densely (exact integer combiners). Pure. */
int herd_msgdense_eligible(enum herd_combiner kind, uint32_t msg_size);
/* Sets up d for dense ids 0..n-1. Precondition: eligible(kind, msg_size).
 * HERD_OK or HERD_ENOMEM (d is then empty; fini is still safe). */
int herd_msgdense_init(struct herd_msgdense *d, enum herd_combiner kind, uint32_t msg_size,
                       uint32_t n);
void herd_msgdense_fini(struct herd_msgdense *d);

/* Hands every slot in use to outs[q] (q: the partition of its target, by
 * the partition starts `bounds`, whose last entry is n), as one record each
 * in ascending target order, and empties d. On an error d is emptied all
 * the same. HERD_OK or herd_msgout_append's error. */
int herd_msgdense_flush(struct herd_msgdense *d, const uint32_t *bounds, struct herd_msgout *outs);

/* Before messages of value x (bits as in `uniform`): leaves d in UNIFORM
 * mode if x keeps it uniform, else switches to SLOTS. Returns 1 in
 * UNIFORM mode (then a put is herd_msgdense_claim alone). */
int herd_msgdense_mode_for(struct herd_msgdense *d, uint64_t x);

/* Marks slot `to` in use: one bit, no branch (whether a target was seen
 * is unpredictable). The flush scans the whole bitmap, n/64 words per
 * engine thread and superstep. to < n. */
static inline void herd_msgdense_claim(struct herd_msgdense *d, uint32_t to)
{
    d->bits[to >> 6] |= 1ull << (to & 63);
}

/* claim, returning 1 when the slot was free (its value is then garbage). */
static inline int herd_msgdense_claim_new(struct herd_msgdense *d, uint32_t to)
{
    uint64_t *w = &d->bits[to >> 6], bit = 1ull << (to & 63);
    int fresh = (*w & bit) == 0;
    *w |= bit;
    return fresh;
}

/* MIN of a u32 message into slot `to` (SLOTS mode). */
static inline void herd_msgdense_min_u32(struct herd_msgdense *d, uint32_t to, uint32_t m)
{
    uint32_t *slot = (uint32_t *)d->val + to;
    if (herd_msgdense_claim_new(d, to) || m < *slot)
        *slot = m;
}

/* Merges msg (msg_size bytes) into slot `to` with d's combiner. to < n. */
static inline void herd_msgdense_put(struct herd_msgdense *d, uint32_t to, const void *msg)
{
    if (d->kind == HERD_COMBINE_MIN_U32) {
        uint32_t m;
        memcpy(&m, msg, 4);
        if (herd_msgdense_mode_for(d, m))
            herd_msgdense_claim(d, to);
        else
            herd_msgdense_min_u32(d, to, m);
        return;
    }
    int64_t *slot = (int64_t *)d->val + to, m;
    memcpy(&m, msg, 8);
    if (herd_msgdense_mode_for(d, (uint64_t)m)) {
        herd_msgdense_claim(d, to);
        return;
    }
    if (herd_msgdense_claim_new(d, to))
        *slot = m;
    else if (d->kind == HERD_COMBINE_SUM_I64) /* wraps modulo 2^64, like sum_i64 */
        *slot = (int64_t)((uint64_t)*slot + (uint64_t)m);
    else if (m < *slot)
        *slot = m;
}

#endif
