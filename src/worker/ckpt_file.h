/* ckpt_file — the reader of one partition's checkpoint file (the layout is
 * written by gpart_ckpt.c and specified in docs/distributed.md, "Checkpoint
 * format"). A checkpoint file is untrusted input: it may come from another
 * worker, from the master over the network, or from a shared disk, so every
 * field is checked against what the reader expects (partition, superstep,
 * sizes, vertex count, partition count, message targets, flag bytes) and
 * against the bytes present before anything is read or allocated.
 *
 * Pure functions over a byte buffer: any thread, no shared state, no I/O.
 * Callers: gpart_ckpt.c (restore), tests/fuzz/fuzz_ckpt.c. */
#ifndef HERD_WORKER_CKPT_FILE_H
#define HERD_WORKER_CKPT_FILE_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#define HERD_CKPT_MAGIC 0x48434b50u /* "HCKP" */
#define HERD_CKPT_VERSION 2u
#define HERD_CKPT_HEADER 36u        /* bytes before the values */
#define HERD_CKPT_MAX_PARTS 65536u  /* as HERD_GMSG_MAX_PARTS */

enum herd_ckpt_mode { HERD_CKPT_MESSAGES = 0, HERD_CKPT_PULL = 1 };

/* What a reader expects of a file: the partition and superstep it asked
 * for, the program's value and message sizes, the engine's path (mode), the
 * partition's dense-id range [lo, hi) and the job's partition count. */
struct herd_ckpt_expect {
    uint32_t part;
    uint64_t step;
    uint32_t value_size, msg_size, mode;
    uint32_t lo, hi;
    uint32_t nparts;
};

/* A checked file, as pointers into the caller's buffer (valid while it is).
 * values: n * value_size bytes; halted: n bytes, each 0 or 1.
 * Mode 0: msgs points at `nparts` sender sections, each u64 count then count
 * records of (u32 target in [lo, hi), msg_size bytes); all checked.
 * Mode 1: contrib (n big-endian u64 double bit patterns) and emitted (n
 * bytes, each 0 or 1). */
struct herd_ckpt_view {
    uint32_t n;
    const uint8_t *values, *halted;
    const uint8_t *msgs;
    size_t msgs_len;
    const uint8_t *contrib, *emitted;
};

/* Reads only the fixed header into *out (part, step, sizes, mode; lo = 0 and
 * hi = the vertex count; nparts = 0, unknown before the message section).
 * HERD_OK, or HERD_EPARSE (short, bad magic or version). For tools and the
 * fuzz target. */
int herd_ckpt_header(const uint8_t *buf, size_t len, struct herd_ckpt_expect *out,
                     struct herd_err *e);

/* Checks the whole file against *x. HERD_OK and *out, or HERD_EPARSE with
 * the field that is wrong ("checkpoint: partition 3 holds 7 vertices, want
 * 9"). Never reads past buf + len; allocates nothing. */
int herd_ckpt_parse(const uint8_t *buf, size_t len, const struct herd_ckpt_expect *x,
                    struct herd_ckpt_view *out, struct herd_err *e);

#endif
