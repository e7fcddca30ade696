/* attempt — one try at running a task on one worker, and its state machine.
 *
 *   ORPHAN ---adopt---> RUNNING ---result ok---> SUCCEEDED
 *     |                  |  |  \--result failed--> FAILED
 *     |                  |  \----worker lost-----> LOST
 *     +--- (grace) ------+-------cancel----------> KILLING --ended--> KILLED
 *
 * ORPHAN: loaded from the journal of a previous master; its worker may still
 * run it and adopt it on reconnect. KILLING: the master sent KILL (job
 * canceled); it still holds its cores until the worker reports it ended.
 * Attempt ids are (journal epoch << 32 | counter), unique across restarts.
 * Only the master core (master/core*.c) calls this module; one thread. */
#ifndef HERD_MASTER_ATTEMPT_H
#define HERD_MASTER_ATTEMPT_H

#include "master/list.h"

#include <stdint.h>

struct herd_task;
struct herd_worker;

enum herd_attempt_state {
    HERD_ATTEMPT_ORPHAN,
    HERD_ATTEMPT_RUNNING,
    HERD_ATTEMPT_KILLING,
    HERD_ATTEMPT_SUCCEEDED,
    HERD_ATTEMPT_FAILED,
    HERD_ATTEMPT_LOST,
    HERD_ATTEMPT_KILLED,
    HERD_ATTEMPT_NSTATES
};

struct herd_attempt {
    uint64_t id;
    struct herd_task *task;       /* the task it tries; not owned */
    struct herd_worker *worker;   /* where it runs; not owned */
    enum herd_attempt_state state;
    uint32_t cores;               /* reserved on the worker while live */
    uint64_t memory;
    uint32_t conn_gen;            /* worker connection generation at assignment */
    int missing;                  /* not in the worker's last HELLO; fail on next heartbeat */
    int recorded;                 /* its OK result is in the journal's open transaction: it
                                     succeeds at the next commit, whatever happens meanwhile */
    int32_t recorded_exit;
    uint64_t started_ms;          /* core clock */
    struct herd_link wlink;       /* in worker->attempts while live */
};

/* Transition counters (into each state, and refused transitions). */
struct herd_attempt_stats {
    uint64_t into[HERD_ATTEMPT_NSTATES];
    uint64_t illegal;
};

/* Lower-case name ("running"); "?" for an out-of-range value. */
const char *herd_attempt_state_name(enum herd_attempt_state s);

/* 1 while the attempt holds cores on its worker (ORPHAN, RUNNING, KILLING). */
int herd_attempt_live(const struct herd_attempt *a);

/* 1 if from -> to is legal. */
int herd_attempt_legal(enum herd_attempt_state from, enum herd_attempt_state to);

/* Allocates an attempt in its initial state (RUNNING for a new assignment,
 * ORPHAN when loaded from the journal), emits its creation event and counts
 * it. The caller links it to its worker. Aborts on out-of-memory. */
struct herd_attempt *herd_attempt_create(uint64_t id, struct herd_task *t, struct herd_worker *w,
                                         enum herd_attempt_state initial,
                                         struct herd_attempt_stats *st);

/* The one transition function: checks legality, logs at debug, emits
 * herd_event("attempt", ...) with `why` as info (may be NULL), counts in
 * *st. Returns HERD_OK, or HERD_ESTATE (logged as an error, counted as
 * illegal, state unchanged). */
int herd_attempt_set_state(struct herd_attempt *a, enum herd_attempt_state to, const char *why,
                           struct herd_attempt_stats *st);

#endif
