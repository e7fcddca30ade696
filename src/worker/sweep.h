/* sweep — removing a finished attempt's sandbox directory off the loop
 * thread (libuv's thread pool), and the policy for which sandboxes stay for
 * debugging (`herd worker --keep-sandboxes failed|all|none`).
 *
 * A removal is self-contained (it owns its path), so the runner that asked
 * for it may be gone when it ends; the loop must run until it has (uv_run
 * does, as a pending work request keeps the loop alive). Loop thread. */
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

/* Removes the directory tree at path in the background (directories are
 * made writable first, so a task's read-only directories go too). Errors
 * are logged, not returned. */
void herd_sweep_remove(uv_loop_t *loop, const char *path);

#endif
