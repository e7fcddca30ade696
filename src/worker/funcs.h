/* funcs — function tasks on the worker: plugins (include/herd/task.h) loaded
 * once each with dlopen from the worker's blob cache, and a small pool of
 * threads that calls their functions. Results go back to the loop thread
 * through a uv_async handle and leave through `done`, once per attempt.
 *
 * Threads: herd_funcs_* are called on the loop thread only; the pool
 * threads touch nothing but the job queue and the completion queue (one
 * mutex each side). A call that outlives its timeout, or is killed, is
 * reported at once (TIMEOUT / KILLED); its thread keeps running until the
 * function returns, and the late result is dropped. */
#ifndef HERD_WORKER_FUNCS_H
#define HERD_WORKER_FUNCS_H

#include "base/err.h"
#include "wire/msg.h"

#include <stddef.h>
#include <uv.h>

struct herd_funcs;

typedef void (*herd_funcs_done_fn)(void *arg, const struct herd_msg_result *r);

/* Plugins are read from cache_dir/<sha256>. nthreads 0 = online CPUs. */
int herd_funcs_create(uv_loop_t *loop, const char *cache_dir, unsigned nthreads,
                      herd_funcs_done_fn done, void *arg, struct herd_funcs **out,
                      struct herd_err *e);
/* Stops the threads (waits for running calls), closes the async handle
 * (the loop must run once more) and frees f. Plugins stay loaded. */
void herd_funcs_destroy(struct herd_funcs *f);

/* Queues a function attempt (a->kind FUNCTION, a->argv[0] the function,
 * a->plugin the address of a cached plugin). HERD_EINVAL (no plugin, no
 * such function), HERD_EIO (dlopen failed) with a reason; nothing queued. */
int herd_funcs_start(struct herd_funcs *f, const struct herd_msg_assign *a, struct herd_err *e);
/* Reports the attempt KILLED now (its late result is dropped). No-op if unknown. */
void herd_funcs_kill(struct herd_funcs *f, uint64_t attempt_id);
size_t herd_funcs_count(const struct herd_funcs *f);

#endif
