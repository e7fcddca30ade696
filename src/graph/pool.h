/* pool — a fixed set of compute threads for the vertex engine. The creating
 * thread takes part as thread 0, so a pool of 1 starts no thread at all.
 * herd_pool_run() must be called from the creating thread only, never from
 * inside a pool task (no nesting). */
#ifndef HERD_GRAPH_POOL_H
#define HERD_GRAPH_POOL_H

#include "base/err.h"

#include <stdint.h>

struct herd_pool;

typedef void (*herd_pool_fn)(void *arg, uint32_t t, uint32_t nthreads);

/* Starts threads-1 threads. Returns HERD_OK and *out, or HERD_EIO (thread
 * creation failed) with a reason. threads >= 1. */
int herd_pool_create(uint32_t threads, struct herd_pool **out, struct herd_err *e);
/* Runs fn(arg, t, n) on every thread t in 0..n-1 and returns when all are
 * done (the full barrier between supersteps). */
void herd_pool_run(struct herd_pool *p, herd_pool_fn fn, void *arg);
uint32_t herd_pool_size(const struct herd_pool *p);
/* Joins the threads. NULL is a no-op. */
void herd_pool_destroy(struct herd_pool *p);

/* Online CPU count (at least 1). */
uint32_t herd_pool_cores(void);

#endif
