/* task — one unit of work of a job, and its state machine.
 *
 *   PENDING --deps ok--> READY --dispatch--> RUNNING --ok--> SUCCEEDED
 *      |                   ^                    |  \--failed, no retry--> FAILED
 *      |                   +----- BACKOFF <-----+  (failed or lost, retries left)
 *      +--dep failed--> DEP_FAILED
 *   PENDING, READY, BACKOFF, RUNNING --cancel--> CANCELED
 *
 * A task keeps what is needed to (re)send it (argv, env, payload) until it
 * reaches a final state, then drops it: the journal keeps the spec. Each
 * transition also moves the job's per-state counters (job->count[]). Only the
 * master core calls this module; one thread. */
#ifndef HERD_MASTER_TASK_H
#define HERD_MASTER_TASK_H

#include "master/list.h"

#include <stdint.h>

struct herd_job;
struct herd_attempt;

enum herd_task_state {
    HERD_TASK_PENDING,
    HERD_TASK_READY,
    HERD_TASK_RUNNING,
    HERD_TASK_BACKOFF,
    HERD_TASK_SUCCEEDED,
    HERD_TASK_FAILED,
    HERD_TASK_CANCELED,
    HERD_TASK_DEP_FAILED,
    HERD_TASK_NSTATES
};

struct herd_task {
    uint64_t id;
    struct herd_job *job;          /* owner; not owned */
    uint32_t index;                /* position in the submitted spec */
    enum herd_task_state state;
    /* what to run (dropped at a final state) */
    char *name;
    uint8_t kind;
    uint32_t cores;
    uint64_t memory;
    uint32_t timeout_ms;
    uint32_t nargv, nenv, payload_len;
    char **argv, **env;
    uint8_t *payload;
    uint32_t ninputs, noutputs;
    char **inputs;                 /* "SHA256HEX NAME" */
    char **outputs;                /* names to stage back */
    char *plugin;                  /* function task: plugin address, or NULL */
    /* dependency graph, as indices into job->tasks */
    uint32_t ndeps;
    uint32_t *deps;                /* tasks this one waits for */
    uint32_t ndeps_left;           /* dependencies not yet succeeded */
    uint32_t ndependants;
    uint32_t *dependants;
    /* progress */
    uint32_t attempts;             /* attempts started, across master restarts */
    int32_t exit_code;
    char *last_worker;             /* id of the last worker it ran on, or NULL */
    struct herd_attempt *current;  /* the attempt that owns it while RUNNING */
    uint64_t ready_at;             /* BACKOFF: core clock when it becomes READY */
    struct herd_link qlink;        /* in job->ready while READY */
};

struct herd_task_stats {
    uint64_t into[HERD_TASK_NSTATES];
    uint64_t illegal;
};

/* Name as the views show it ("pending", "dep_failed"); "?" if out of range. */
const char *herd_task_state_name(enum herd_task_state s);
/* 1 for SUCCEEDED, FAILED, CANCELED, DEP_FAILED. */
int herd_task_state_final(enum herd_task_state s);
int herd_task_legal(enum herd_task_state from, enum herd_task_state to);

/* The one transition function: checks legality, logs at debug, emits
 * herd_event("task", id, from, to, why), counts into *st and moves the job's
 * counters. Entering a final state frees the run description (argv...).
 * Returns HERD_OK or HERD_ESTATE (refused, logged, counted as illegal). */
int herd_task_set_state(struct herd_task *t, enum herd_task_state to, const char *why,
                        struct herd_task_stats *st);

/* Frees everything the task owns (not the task memory itself, which lives
 * in its job's array). */
void herd_task_fini(struct herd_task *t);

#endif
