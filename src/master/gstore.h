/* gstore — the master's store of graph-job checkpoints saved over the
 * network: workers send each partition's checkpoint file in chunks
 * (GRAPH CKPT_PUT), the store writes it to
 *   <root>/<job>/ckpt-<step>/part-NNNNN
 * (root is <data-dir>/graph; <root>/<job>/spare/ holds a superseded
 * checkpoint's files for reuse), under a temporary name, fsync'd and renamed
 * once whole by a sync thread of the store (the core's thread never waits
 * for the disk), so a file that exists is complete and durable; a restoring
 * worker reads it back in chunks (CKPT_GET -> CKPT_DATA). Which checkpoint
 * is complete (every partition's file arrived) is the coordinator's
 * business (gjob_ckpt.c); the store only keeps files and deletes the ones it
 * is told to.
 *
 * Only the master core's thread calls it (a sync thread of its own does
 * the fsyncs). Every function returns HERD_OK or
 * a HERD_E* code with a reason in *e. */
#ifndef HERD_MASTER_GSTORE_H
#define HERD_MASTER_GSTORE_H

#include "base/err.h"

#include <stdint.h>

struct herd_gstore;

/* Opens (creating) the root directory. HERD_OK and *out, or HERD_EIO. */
int herd_gstore_open(const char *root, struct herd_gstore **out, struct herd_err *e);
/* Drops unfinished uploads (their temporary files) and frees gs; NULL is fine. */
void herd_gstore_close(struct herd_gstore *gs);

/* One chunk of the file of (job, step, part). Chunks come in order; offset 0
 * (re)starts the file. When offset + len == total the file goes to the sync
 * thread (fdatasync, rename into place); herd_gstore_poll() reports it with
 * `tag`, which the store does not interpret (the coordinator passes the
 * job's epoch, to ignore a file of an epoch it has left).
 * HERD_EINVAL (out of order, over `total`: the upload is dropped), HERD_EIO. */
int herd_gstore_put(struct herd_gstore *gs, uint64_t job, uint32_t tag, uint64_t step,
                    uint32_t part, uint64_t offset, uint64_t total, const uint8_t *data,
                    uint32_t len, struct herd_err *e);
/* Calls fn (unless NULL) for every file (or seal) the sync thread finished
 * since the last poll: ok = 1 when it is durable under its name, 0 when the
 * sync or rename failed (the file is gone). Returns how many. */
typedef void (*herd_gstore_done_fn)(void *arg, uint64_t job, uint32_t tag, uint64_t step,
                                    uint32_t part, int ok);
size_t herd_gstore_poll(struct herd_gstore *gs, herd_gstore_done_fn fn, void *arg);
/* 1 while handed-over files are not yet polled (the core then ticks soon). */
int herd_gstore_busy(struct herd_gstore *gs);
/* Blocks until the sync thread has finished every file handed to it (they
 * still await a poll). For drops and tests. */
void herd_gstore_wait(struct herd_gstore *gs);
/* Once every file of (job, step) is reported durable: the sync thread
 * fsyncs the checkpoint's directory and its parent, then poll reports it
 * with part = HERD_GSTORE_SEALED. */
#define HERD_GSTORE_SEALED UINT32_MAX
void herd_gstore_seal(struct herd_gstore *gs, uint64_t job, uint32_t tag, uint64_t step);
/* Up to `max` bytes of a stored file from `offset` into a malloc'd *data
 * (caller frees; may be NULL when *len is 0), the file's size in *total.
 * HERD_ENOTFOUND (no such file), HERD_EINVAL (offset past the end),
 * HERD_ENOMEM, HERD_EIO. */
int herd_gstore_read(struct herd_gstore *gs, uint64_t job, uint64_t step, uint32_t part,
                     uint64_t offset, uint32_t max, uint8_t **data, uint32_t *len,
                     uint64_t *total, struct herd_err *e);
/* Deletes the job's checkpoints of steps below `below` (a newer one is
 * complete). Deleting is renaming out of the way now (a trash-* directory
 * under the root) and removing on the sync thread later; a restarted store
 * removes the trash it finds. One of them instead becomes the job's spare
 * set (<root>/<job>/spare), whose files the next uploads overwrite rather
 * than creating new ones (never visible as a checkpoint). */
void herd_gstore_drop_below(struct herd_gstore *gs, uint64_t job, uint64_t below);
/* Deletes every checkpoint of the job but `keep` (0: all of them, and the
 * job's directory), and drops its unfinished uploads: partial checkpoints of
 * an old epoch, or of a master that died. */
void herd_gstore_drop_except(struct herd_gstore *gs, uint64_t job, uint64_t keep);

#endif
