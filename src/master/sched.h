/* sched — the ready queue: which READY task runs next, and where.
 *
 * Structure (docs/scheduler.md): a list of priority levels, highest first;
 * each level is a ring of the jobs that have READY tasks; each job keeps its
 * READY tasks in FIFO order. Picking the next task looks at the head task of
 * each job ring in turn (round-robin between jobs of equal priority), never
 * at the whole queue, so a dispatch costs O(levels + jobs + workers), not
 * O(queued tasks). A task whose head does not fit any worker does not block
 * other jobs (backfilling). Only the master core calls this; one thread. */
#ifndef HERD_MASTER_SCHED_H
#define HERD_MASTER_SCHED_H

#include "master/job.h"
#include "master/list.h"
#include "master/task.h"

#include <stdint.h>

struct herd_worker;

struct herd_sched_level {
    int32_t priority;
    uint32_t njobs;
    struct herd_link jobs;         /* ring of jobs with READY tasks (job->rlink) */
    struct herd_link link;         /* in sched->levels, descending priority */
};

struct herd_sched {
    struct herd_link levels;
    uint64_t nready;               /* READY tasks queued */
};

/* Chooses a worker for t, or NULL if none fits now. */
typedef struct herd_worker *(*herd_sched_place_fn)(void *ctx, const struct herd_task *t);

void herd_sched_init(struct herd_sched *s);
/* Frees the levels; jobs are unlinked, not freed. */
void herd_sched_fini(struct herd_sched *s);

/* Appends a READY task (not queued) at the back of its job's FIFO. */
void herd_sched_push(struct herd_sched *s, struct herd_task *t);
/* Removes a queued task (e.g. canceled); harmless if not queued. */
void herd_sched_remove(struct herd_sched *s, struct herd_task *t);

/* Picks the next task that fits somewhere: by priority, round-robin between
 * jobs of a level, FIFO within a job. Unqueues it and returns it with the
 * chosen worker in *w, or returns NULL if nothing queued fits any worker. */
struct herd_task *herd_sched_next(struct herd_sched *s, herd_sched_place_fn place, void *ctx,
                                  struct herd_worker **w);

#endif
