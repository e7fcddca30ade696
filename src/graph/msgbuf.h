/* msgbuf — message batches of the vertex engine: what a partition sends to
 * another (struct herd_msgout, with sender-side combining) and what a
 * partition reads its messages from (struct herd_inbox).
 *
 * A batch is a run of records, each a host-order u32 dense target followed by
 * msg_size message bytes. Batches live in one process; a binding that ships
 * them between machines encodes them itself (src/graph/exchange.h).
 * Everything here is single-threaded per object: a msgout belongs to the
 * partition task that sends, an inbox to the partition task that reads. */
#ifndef HERD_GRAPH_MSGBUF_H
#define HERD_GRAPH_MSGBUF_H

#include <stddef.h>
#include <stdint.h>

/* Merges msg into acc (both msg_size bytes). */
typedef void (*herd_combine_fn)(void *acc, const void *msg);

struct herd_msgbatch {
    struct herd_msgbatch *next;
    uint32_t count; /* records held */
    uint32_t cap;   /* records that fit */
    uint32_t rec;   /* bytes per record: 4 + msg_size */
    uint8_t data[];
};

/* Allocates an empty batch for `cap` records of msg_size bytes; NULL on
 * out-of-memory. Free with herd_msgbatch_free_list(). */
struct herd_msgbatch *herd_msgbatch_new(uint32_t msg_size, uint32_t cap);
/* Frees a whole ->next list. */
void herd_msgbatch_free_list(struct herd_msgbatch *b);

/* Where full batches go; returns 0 or a HERD_E* code. Takes ownership. */
typedef int (*herd_msgsink_fn)(void *arg, struct herd_msgbatch *b);

struct herd_msgout {
    uint32_t msg_size;
    herd_combine_fn comb;  /* NULL: no combining */
    herd_msgsink_fn sink;
    void *sink_arg;
    struct herd_msgbatch *cur;
    uint32_t *tag;         /* combining cache: target per slot, UINT32_MAX = empty */
    uint8_t *slot;         /* msg_size bytes per slot */
    uint32_t *used;        /* occupied slots, nused of them */
    uint32_t nused;
    uint32_t mask;
    uint64_t records;      /* records handed to the sink so far */
};

/* Sets up o; `cache_slots` (a power of two, or 0 without a combiner) sizes
 * the combining cache. Returns HERD_OK or HERD_ENOMEM. */
int herd_msgout_init(struct herd_msgout *o, uint32_t msg_size, herd_combine_fn comb,
                     uint32_t cache_slots, herd_msgsink_fn sink, void *sink_arg);
void herd_msgout_fini(struct herd_msgout *o);
/* Queues one message for dense vertex `to`, combining it with a cached one
 * for the same target when possible. Returns HERD_OK, HERD_ENOMEM or the
 * sink's error. */
int herd_msgout_put(struct herd_msgout *o, uint32_t to, const void *msg);
/* Queues one record for `to` as it is, past the combining cache (for a
 * sender that combined it already, graph/msgdense.h). Returns as put. */
int herd_msgout_append(struct herd_msgout *o, uint32_t to, const void *msg);
/* Hands everything queued to the sink (cache, then the partial batch). */
int herd_msgout_flush(struct herd_msgout *o);

/* The messages of one partition for one superstep. */
struct herd_inbox {
    uint32_t lo, size, msg_size;
    herd_combine_fn comb;  /* non-NULL: at most one message per vertex */
    uint8_t *val;          /* combined: size * msg_size */
    uint32_t *cnt;         /* messages per local vertex (0 = none) */
    uint64_t *off;         /* list mode: first message of a local vertex */
    uint8_t *data;         /* list mode: messages grouped by target */
    size_t data_cap;       /* in messages */
    uint32_t *recv;        /* local indices with messages (see herd_inbox_sort) */
    uint32_t nrecv;
    uint64_t total;        /* messages this superstep (after combining) */
};

/* Sets up an inbox for dense range [lo, lo+size). HERD_OK or HERD_ENOMEM. */
int herd_inbox_init(struct herd_inbox *ib, uint32_t lo, uint32_t size, uint32_t msg_size,
                    herd_combine_fn comb);
void herd_inbox_fini(struct herd_inbox *ib);
/* Replaces the contents with the messages of `lists` (nlists batch lists,
 * read in order, so a fixed order of senders gives a fixed result). The
 * batches stay the caller's. HERD_OK, HERD_ENOMEM, or HERD_EPROTO when a
 * target lies outside the range. */
int herd_inbox_fill(struct herd_inbox *ib, struct herd_msgbatch *const *lists, uint32_t nlists);
/* Sorts recv ascending (fill leaves it in arrival order). */
void herd_inbox_sort(struct herd_inbox *ib);
/* Messages of local vertex i: returns the count and sets *msgs. */
static inline uint32_t herd_inbox_get(const struct herd_inbox *ib, uint32_t i, const void **msgs)
{
    uint32_t n = ib->cnt[i];
    if (n == 0)
        *msgs = NULL;
    else if (ib->comb)
        *msgs = ib->val + (size_t)i * ib->msg_size;
    else
        *msgs = ib->data + ib->off[i] * ib->msg_size;
    return n;
}

#endif
