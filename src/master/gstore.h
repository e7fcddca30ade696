/* gstore — the master's store of graph-job checkpoints saved over the
 * network: workers send each partition's checkpoint file in chunks
 * (GRAPH CKPT_PUT), the store writes it to
 *   <root>/<job>/ckpt-<step>/part-NNNNN
 * (root is <data-dir>/graph), under a temporary name, fsync'd and renamed
 * once whole, so a file that exists is complete and durable; a restoring
 * worker reads it back in chunks (CKPT_GET -> CKPT_DATA). Which checkpoint
 * is complete (every partition's file arrived) is the coordinator's
 * business (gjob_ckpt.c); the store only keeps files and deletes the ones it
 * is told to.
 *
 * Only the master core's thread calls it. Every function returns HERD_OK or
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
 * (re)starts the file. When offset + len == total the file is fsync'd and
 * renamed into place and *done is set to 1 (else 0). HERD_EINVAL (out of
 * order, over `total`: the upload is dropped), HERD_EIO. */
int herd_gstore_put(struct herd_gstore *gs, uint64_t job, uint64_t step, uint32_t part,
                    uint64_t offset, uint64_t total, const uint8_t *data, uint32_t len,
                    int *done, struct herd_err *e);
/* Makes the checkpoint directory of (job, step) durable (fsync of the
 * directory and its parent) once every file is in. HERD_EIO. */
int herd_gstore_seal(struct herd_gstore *gs, uint64_t job, uint64_t step, struct herd_err *e);
/* Up to `max` bytes of a stored file from `offset` into a malloc'd *data
 * (caller frees; may be NULL when *len is 0), the file's size in *total.
 * HERD_ENOTFOUND (no such file), HERD_EINVAL (offset past the end),
 * HERD_ENOMEM, HERD_EIO. */
int herd_gstore_read(struct herd_gstore *gs, uint64_t job, uint64_t step, uint32_t part,
                     uint64_t offset, uint32_t max, uint8_t **data, uint32_t *len,
                     uint64_t *total, struct herd_err *e);
/* Deletes the job's checkpoints of steps below `below` (a newer one is
 * complete). */
void herd_gstore_drop_below(struct herd_gstore *gs, uint64_t job, uint64_t below);
/* Deletes every checkpoint of the job but `keep` (0: all of them, and the
 * job's directory), and drops its unfinished uploads: partial checkpoints of
 * an old epoch, or of a master that died. */
void herd_gstore_drop_except(struct herd_gstore *gs, uint64_t job, uint64_t keep);

#endif
