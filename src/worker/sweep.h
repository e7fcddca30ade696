/* sweep — removing finished attempts' sandbox directories off the loop
 * thread (libuv's thread pool), and the policy for which sandboxes stay for
 * debugging (`herd worker --keep-sandboxes failed|all|none`).
 * Loop thread; a batch in flight keeps the loop alive until it ends. */
#ifndef HERD_WORKER_SWEEP_H
#define HERD_WORKER_SWEEP_H

#include <uv.h>

enum herd_keep {
    HERD_KEEP_FAILED = 0, /* default: remove after success (and after a kill); keep failures */
    HERD_KEEP_ALL,        /* never remove */
    HERD_KEEP_NONE        /* always remove */
};

/* "failed", "all" or "none": 0 and *out, or -1. */
int herd_keep_parse(const char *s, enum herd_keep *out);
const char *herd_keep_name(enum herd_keep k);

/* Whether an attempt that ended with `status` (enum herd_result_status)
 * leaves its sandbox in place under policy k. */
int herd_keep_sandbox(enum herd_keep k, int status);

/* A sweeper removes directory trees in the background, in batches: one
 * batch at a time runs on libuv's thread pool, and paths added meanwhile
 * wait for the next, so a busy worker pays one thread hand-off per batch,
 * not per sandbox. Directories are made writable first, so a task's
 * read-only directories go too; errors are logged. */
struct herd_sweep;

/* root is the directory the sandboxes live in (free ones wait there as
 * root/.free-N). */
struct herd_sweep *herd_sweep_create(uv_loop_t *loop, const char *root);
/* Done with the sandbox at path (a directory under root): an empty one is
 * kept for reuse (renamed, a few microseconds: creating and removing a
 * directory can cost a millisecond on a busy file system); anything else is
 * queued (copied) for removal. */
void herd_sweep_add(struct herd_sweep *s, const char *path);
/* Makes path a fresh sandbox from a free one if there is one (renamed into
 * place, mode 0700): 1, else 0 (the caller creates it). */
int herd_sweep_reuse(struct herd_sweep *s, const char *path);
/* Paths queued or being removed. */
size_t herd_sweep_pending(const struct herd_sweep *s);
/* Gives the sweeper up: what is queued is still removed (free sandboxes
 * too), and it frees
 * itself when the last batch ends (the loop must run until then). */
void herd_sweep_destroy(struct herd_sweep *s);

#endif
