/* gshm — the pull path's per-vertex arrays (graph/engine_dist.h:
 * contributions and "emitted" flags of two supersteps) in one file mapping
 * that the workers of a job share when they run on one host, so that each
 * writes its own vertices' entries where the others read them and no
 * VECTOR frame crosses the data plane (which then carries only the
 * end-of-step markers). One copy of the arrays instead of one per worker
 * also halves what the workers' random reads need of the shared CPU cache.
 *
 * Who may share: workers given the same directory (env HERD_PULL_SHM_DIR,
 * which `herd run`'s local cluster sets for the workers it starts: all on
 * this host). The file is DIR/pull-JOB-EPOCH, a header page then the arrays;
 * each worker marks its slot in the header once its engine uses them. Every worker of an
 * epoch maps during SETUP, before it reports loaded, and the master starts
 * superstep 0 only once all have; so at superstep 0 every worker reads the
 * same header and herd_gshm_everyone() gives them all the same answer: all
 * share, or (a worker without the directory, a mapping that failed) none
 * skips its VECTOR frames. Graph thread of the worker (gpart.c) only. */
#ifndef HERD_WORKER_GSHM_H
#define HERD_WORKER_GSHM_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

struct herd_gshm;

/* Maps (creating it if this worker is the first) DIR/pull-JOB-EPOCH with
 * room for `bytes` of arrays for worker `me` of `nworkers`. HERD_OK and
 * *out; HERD_EIO ("PATH: reason": cannot create, size or map; the file has
 * another size), HERD_EINVAL (more workers than the header holds). */
int herd_gshm_open(const char *dir, uint64_t job, uint32_t epoch, uint32_t me,
                   uint32_t nworkers, size_t bytes, struct herd_gshm **out, struct herd_err *e);

/* Marks this worker present: call once its engine uses the arrays. */
void herd_gshm_join(struct herd_gshm *m);

/* The arrays: `bytes` zeroed (at creation) bytes, page-aligned. */
void *herd_gshm_mem(const struct herd_gshm *m);

/* 1 when every worker of the epoch has marked its slot. */
int herd_gshm_everyone(const struct herd_gshm *m);

/* Removes the file's name; the mappings stay. Once every worker of the
 * epoch has mapped (superstep 0) the name is not needed, and without it a
 * killed job leaves nothing behind in a memory-backed directory. */
void herd_gshm_unlink(struct herd_gshm *m);

/* Unmaps and removes the file (the others keep their mappings). NULL is a
 * no-op. */
void herd_gshm_close(struct herd_gshm *m);

#endif
