/* exchange — how message batches travel between partitions of the vertex
 * engine. The engine sees only this small interface, so one binding keeps
 * batches in memory (herd_exchange_local, this file) and a later one sends
 * them to a peer worker over TCP.
 *
 * Contract for superstep s, per ordered pair (from, to) of partitions:
 * the task of `from` calls deliver() zero or more times, then end_step()
 * exactly once; after the superstep barrier the task of `to` calls take()
 * once per sender, in ascending `from` order, during superstep s+1. Only
 * the task of `from` calls deliver/end_step for that pair, and only the
 * task of `to` calls take, so a binding needs no lock for one pair; it
 * must allow deliveries for s+1 while batches of s are still being taken. */
#ifndef HERD_GRAPH_EXCHANGE_H
#define HERD_GRAPH_EXCHANGE_H

#include "base/err.h"
#include "graph/msgbuf.h"

#include <stdint.h>

struct herd_exchange_ops {
    /* Passes batch b (ownership too) from partition `from` to `to`. Returns
     * HERD_OK or an error (the engine fails the job). */
    int (*deliver)(void *impl, uint32_t from, uint32_t to, uint64_t step, struct herd_msgbatch *b);
    /* `from` sends nothing more to `to` in superstep `step`. */
    int (*end_step)(void *impl, uint32_t from, uint32_t to, uint64_t step);
    /* Everything `from` sent to `to` in `step`, as a ->next list in delivery
     * order (ownership passes; NULL when nothing). Blocks until end_step of
     * that pair is known. HERD_OK, or HERD_EPROTO when called out of order. */
    int (*take)(void *impl, uint32_t to, uint32_t from, uint64_t step,
                struct herd_msgbatch **list);
    void (*destroy)(void *impl);
};

struct herd_exchange {
    const struct herd_exchange_ops *ops;
    void *impl;
};

/* In-process binding for `nparts` partitions. Returns HERD_OK or
 * HERD_ENOMEM. Destroy with x->ops->destroy(x->impl). */
int herd_exchange_local(uint32_t nparts, struct herd_exchange *x, struct herd_err *e);

#endif
