/* job — a submitted set of tasks, and its state machine.
 *
 *   RUNNING --all tasks succeeded--> SUCCEEDED
 *   RUNNING --all tasks final, one failed or dep_failed--> FAILED
 *   RUNNING --cancel--> CANCELED
 *
 * A job owns its task array and per-task-state counters, which
 * herd_task_set_state() keeps up to date, so "is it finished?" is O(1).
 * Only the master core calls this module; one thread. */
#ifndef HERD_MASTER_JOB_H
#define HERD_MASTER_JOB_H

#include "master/list.h"
#include "master/task.h"

#include <stdint.h>

struct herd_sched_level;

enum herd_job_state {
    HERD_JOB_RUNNING,
    HERD_JOB_SUCCEEDED,
    HERD_JOB_FAILED,
    HERD_JOB_CANCELED,
    HERD_JOB_NSTATES
};

struct herd_job {
    uint64_t id;
    char *name;                    /* never NULL ("" if unnamed) */
    int32_t priority;
    uint32_t max_retries;
    uint32_t retry_on;             /* HERD_RETRY_* bits (master/spec.h) */
    enum herd_job_state state;
    uint64_t submitted_ms, finished_ms; /* wall clock */
    uint32_t ntasks;
    struct herd_task *tasks;       /* owned array */
    uint32_t count[HERD_TASK_NSTATES]; /* tasks per state */
    /* scheduler */
    struct herd_link ready;        /* READY tasks, FIFO */
    struct herd_link rlink;        /* in its level's ring while it has ready tasks */
    struct herd_sched_level *level;
};

struct herd_job_stats {
    uint64_t into[HERD_JOB_NSTATES];
    uint64_t illegal;
};

const char *herd_job_state_name(enum herd_job_state s);
int herd_job_legal(enum herd_job_state from, enum herd_job_state to);

/* Allocates a RUNNING job with ntasks zeroed PENDING tasks (each with its
 * job, index and an unlinked qlink). Takes a copy of name (NULL -> ""). */
struct herd_job *herd_job_create(uint64_t id, const char *name, int32_t priority,
                                 uint32_t max_retries, uint32_t ntasks);
/* Frees the job and its tasks. The job must not be in a scheduler ring. */
void herd_job_destroy(struct herd_job *j);

/* 1 when every task is in a final state. */
int herd_job_all_final(const struct herd_job *j);
/* The final state the job deserves once all tasks are final: SUCCEEDED if
 * every task succeeded, else FAILED. */
enum herd_job_state herd_job_outcome(const struct herd_job *j);

/* The one transition function (see herd_task_set_state for the contract). */
int herd_job_set_state(struct herd_job *j, enum herd_job_state to, const char *why,
                       struct herd_job_stats *st);

#endif
