/* runner — runs command attempts as child processes on the worker's libuv
 * loop: a private sandbox directory per attempt (its working directory), the
 * child in its own session and process group (so a timeout or a kill takes
 * the whole group), stdout and stderr captured up to a limit, an optional
 * timeout. When the process has exited and both pipes are drained, `done` is
 * called once with the result (then the attempt is forgotten).
 * Loop thread only. */
#ifndef HERD_WORKER_RUNNER_H
#define HERD_WORKER_RUNNER_H

#include "base/err.h"
#include "wire/msg.h"
#include "worker/sweep.h"

#include <stddef.h>
#include <uv.h>

#define HERD_RUNNER_OUTPUT_MAX (1u << 20) /* bytes kept per stream */

struct herd_runner;

typedef void (*herd_runner_done_fn)(void *arg, const struct herd_msg_result *r);

/* work_dir must exist or be creatable; sandboxes go to work_dir/sandbox/<attempt>. */
int herd_runner_create(uv_loop_t *loop, const char *work_dir, herd_runner_done_fn done, void *arg,
                       struct herd_runner **out, struct herd_err *e);
/* Runs every later attempt as uid/gid (setuid/setgid in the child; libuv
 * also drops supplementary groups) and gives each sandbox to that user.
 * Makes work_dir and work_dir/sandbox traversable (0711) so the user can
 * reach its own sandbox but list nothing. Precondition: the process runs as
 * root. HERD_EINVAL if it does not, HERD_EIO if the directories cannot be
 * changed. */
int herd_runner_set_user(struct herd_runner *r, uid_t uid, gid_t gid, struct herd_err *e);
/* Which sandboxes stay after their attempt ends (default HERD_KEEP_FAILED:
 * a succeeded or killed attempt's sandbox is removed in the background once
 * its outputs are in the cache and its result is reported; a failed one
 * stays for debugging). */
void herd_runner_set_keep(struct herd_runner *r, enum herd_keep k);
/* Kills every running attempt (SIGKILL to each group) and frees the runner
 * once their handles have closed (the loop must keep running until then). */
void herd_runner_destroy(struct herd_runner *r);

/* Starts an attempt. HERD_EINVAL (empty argv, unsupported kind), HERD_EIO
 * (sandbox or spawn failed) with a reason; on error nothing runs. */
int herd_runner_start(struct herd_runner *r, const struct herd_msg_assign *a, struct herd_err *e);
/* SIGKILLs the attempt's process group; its result says KILLED. No-op if unknown. */
void herd_runner_kill(struct herd_runner *r, uint64_t attempt_id);
size_t herd_runner_count(const struct herd_runner *r);

#endif
