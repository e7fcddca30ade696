/* gpart — a worker's side of distributed graph jobs: it loads the graph,
 * owns the partitions the master assigns, runs supersteps when released,
 * exchanges messages with peer workers over the data plane
 * (worker/dataplane.h), saves and restores checkpoints and writes its
 * partitions' results (docs/distributed.md).
 *
 * Threads: herd_gpart_create/msg/destroy are called on the worker's event
 * loop thread. The work runs on one graph thread of its own (plus the
 * engine's pool), fed by a queue; replies come back to the loop thread
 * through a uv_async and leave through `send`. An ABORT also takes effect
 * at once: it aborts the running epoch's data-plane session so a superstep
 * blocked on a lost peer returns. */
#ifndef HERD_WORKER_GPART_H
#define HERD_WORKER_GPART_H

#include "base/err.h"
#include "worker/dataplane.h"
#include "wire/msg.h"

#include <uv.h>

struct herd_gpart;

/* `send` is called on the loop thread with a message to the master (the
 * callee copies what it needs). `dp` is the worker's data-plane listener
 * (outlives the gpart); `threads` caps the engine's pool (0 = all cores);
 * `work_dir` holds shipped plugins. HERD_OK and *out, or HERD_EIO. */
int herd_gpart_create(uv_loop_t *loop, struct herd_dp *dp, uint32_t threads,
                      const char *work_dir, void (*send)(void *ctx, const struct herd_msg *m),
                      void *ctx, struct herd_gpart **out, struct herd_err *e);
/* Paces checkpoint uploads to the master: `queued` (loop thread) says how
 * many bytes wait on the control connection; chunks go out only while that
 * is under 1 MiB. Without it uploads are not paced. */
void herd_gpart_set_queued(struct herd_gpart *g, size_t (*queued)(void *ctx));
/* Sends a checkpoint chunk without copying its bytes (loop thread): `head`
 * (copied) then `tail`, which stays untouched until done(arg) — called
 * exactly once, maybe at once (net/conn.h herd_conn_send_tail). Without it
 * chunks are copied into messages for `send`. */
typedef void (*herd_gpart_send_tail_fn)(void *ctx, const uint8_t *head, size_t head_len,
                                        const uint8_t *tail, size_t tail_len,
                                        void (*done)(void *arg), void *arg);
void herd_gpart_set_send_tail(struct herd_gpart *g, herd_gpart_send_tail_fn fn);
/* A GRAPH message from the master (loop thread; m is the caller's). */
void herd_gpart_msg(struct herd_gpart *g, const struct herd_msg_graph *m);
/* Stops the graph thread (aborting the running job) and frees everything;
 * closes the async handle (the loop must run once more to finish). */
void herd_gpart_destroy(struct herd_gpart *g);

#endif
