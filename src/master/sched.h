/* sched — the ready queue: which READY task runs next, and where.
 *
 * Structure (docs/scheduler.md): a list of priority levels, highest first;
 * each level is a ring of the jobs that have READY tasks; each job keeps its
 * READY tasks in FIFO order. Picking the next task looks at the head task of
 * each job ring in turn (round-robin between jobs of equal priority, a turn
 * being up to `quantum` tasks of one job), never
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
    uint32_t turn;                 /* tasks the head job has taken in its turn */
    struct herd_link jobs;         /* ring of jobs with READY tasks (job->rlink) */
    struct herd_link link;         /* in sched->levels, descending priority */
};

struct herd_sched {
    struct herd_link levels;
    uint64_t nready;               /* READY tasks queued */
    uint32_t quantum;              /* tasks per turn (>= 1) */
};

/* The master core's turn: 64 tasks of a job, then the next job's. Strict
 * alternation (1) scatters the journal's inserts over one B-tree leaf per
 * job in every commit (results and attempts are keyed by task, and each
 * job's tasks are a contiguous id range); 64 in a row keep them on one leaf
 * for a while, and are fair at the scale of a few milliseconds. */
#define HERD_SCHED_QUANTUM 64

/* Chooses a worker for t, or NULL if none fits now. */
typedef struct herd_worker *(*herd_sched_place_fn)(void *ctx, const struct herd_task *t);

/* Starts empty, with a turn of one task (strict alternation). */
void herd_sched_init(struct herd_sched *s);
/* Sets how many tasks in a row a job may take before the next job of its
 * level gets its turn; q >= 1 (0 is taken as 1). */
void herd_sched_set_quantum(struct herd_sched *s, uint32_t q);
/* Frees the levels; jobs are unlinked, not freed. */
void herd_sched_fini(struct herd_sched *s);

/* Appends a READY task (not queued) at the back of its job's FIFO. */
void herd_sched_push(struct herd_sched *s, struct herd_task *t);
/* Removes a queued task (e.g. canceled); harmless if not queued. */
void herd_sched_remove(struct herd_sched *s, struct herd_task *t);

/* Picks the next task that fits somewhere: by priority, round-robin between
 * jobs of a level (a job whose head task fits nowhere loses the rest of its
 * turn), FIFO within a job. Unqueues it and returns it with the
 * chosen worker in *w, or returns NULL if nothing queued fits any worker. */
struct herd_task *herd_sched_next(struct herd_sched *s, herd_sched_place_fn place, void *ctx,
                                  struct herd_worker **w);

#endif
