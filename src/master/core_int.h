/* core_int — private state of the master core, shared by core*.c. Not for
 * other modules: they use core.h. All of it runs on the core's one thread.
 *
 * Files: core.c (create/destroy, tick, submit, cancel), core_load.c (journal
 * load), core_conn.c (connections, HELLO, auth, reconciliation,
 * heartbeats), core_run.c (dispatch, results, retries, dependants, loss),
 * core_view.c (read-only views), core_evict.c (dropping finished jobs from
 * memory). */
#ifndef HERD_MASTER_CORE_INT_H
#define HERD_MASTER_CORE_INT_H

#include "master/attempt.h"
#include "master/blobs.h"
#include "master/core.h"
#include "master/gjob.h"
#include "base/u64map.h"
#include "master/job.h"
#include "master/journal.h"
#include "master/registry.h"
#include "master/sched.h"
#include "master/task.h"

enum conn_state { CONN_CHALLENGED, CONN_REGISTERED, CONN_CLOSING };

struct herd_core_conn {
    uint64_t id;
    enum conn_state state;
    uint8_t nonce[HERD_NONCE_LEN];    /* the challenge we sent */
    struct herd_worker *worker;       /* while REGISTERED */
    char *peer;                       /* address from the binding, or NULL */
};

/* Retry timers: a binary min-heap of (when, task); stale entries (the task
 * left BACKOFF or was re-armed) are skipped when popped. */
struct backoff_ent {
    uint64_t when;
    struct herd_task *task;
};

/* A finished job still in memory, in the order jobs finished. */
struct fin_ent {
    uint64_t job_id;
    uint64_t at;                      /* core clock when it became final */
};

struct herd_core {
    struct herd_core_config cfg;
    struct herd_secret secret;        /* copy; len 0 = none */
    struct herd_core_io io;
    struct herd_journal *journal;
    struct herd_registry reg;
    struct herd_sched sched;
    struct herd_u64map conns;          /* conn id -> struct herd_core_conn */
    struct herd_u64map jobs;           /* job id -> struct herd_job */
    struct herd_u64map attempts;       /* live attempt id -> struct herd_attempt */
    struct herd_job **joblist;        /* every job, ascending id */
    size_t njobs, capjobs;
    struct backoff_ent *heap;
    size_t nheap, capheap;
    uint32_t attempt_counter;
    uint64_t next_heartbeat;
    uint64_t hb_seq;
    struct herd_core_stats stats;
    struct herd_attempt_stats ast;
    struct herd_task_stats tst;
    struct herd_job_stats jst;
    struct herd_gjobs *gjobs;          /* graph jobs (master/gjob.h) */
    struct herd_blobs *blobs;         /* NULL = none */
    uint64_t tasks_added;             /* unfinished tasks ever added (submit, load) */
    uint64_t *recorded;               /* attempts whose OK result awaits the commit */
    size_t nrecorded, caprecorded;
    struct fin_ent *fin;              /* finished jobs in memory: fin[finhead..nfin) */
    size_t finhead, nfin, capfin;
    char *view_name;                  /* job name of the last journal-backed view */
};

uint64_t herd_core__now(struct herd_core *c);
uint64_t herd_core__lost_ms(const struct herd_core *c);
void herd_core__send(struct herd_core *c, uint64_t conn, const struct herd_msg *m);
/* Commits the journal; logs a failure (the state in memory stays). */
void herd_core__flush(struct herd_core *c);
void herd_core__journal_err(struct herd_core *c, int rc, const struct herd_err *e);
void herd_core__add_job(struct herd_core *c, struct herd_job *j);
/* Builds dependants[] and ndeps_left from each task's deps. */
void herd_core__link_deps(struct herd_job *j);

/* core_run.c */
void herd_core__dispatch(struct herd_core *c);
void herd_core__make_ready(struct herd_core *c, struct herd_task *t, const char *why);
void herd_core__result(struct herd_core *c, struct herd_worker *w, const struct herd_msg_result *r);
/* Ends a live attempt in state `to` (not KILLING) and frees it; status < 0
 * if none. For FAILED/LOST the task is retried or failed. */
void herd_core__attempt_end(struct herd_core *c, struct herd_attempt *a,
                            enum herd_attempt_state to, const struct herd_msg_result *r,
                            const char *why);
void herd_core__worker_lost(struct herd_core *c, struct herd_worker *w, const char *why);
void herd_core__expire_backoff(struct herd_core *c);
uint64_t herd_core__next_backoff(const struct herd_core *c);
void herd_core__job_check_done(struct herd_core *c, struct herd_job *j);
/* Cancels a task that is not final (KILL for its running attempt). */
void herd_core__task_cancel(struct herd_core *c, struct herd_task *t);
void herd_core__send_kill(struct herd_core *c, struct herd_worker *w, uint64_t attempt_id);

/* core_stage.c: FETCH and STORE from a worker; the output files of a RESULT
 * (HERD_OK when every one is stored; recorded in the journal). */
void herd_core__fetch(struct herd_core *c, struct herd_worker *w, const struct herd_msg_fetch *f);
void herd_core__store(struct herd_core *c, struct herd_worker *w, const struct herd_msg_store *s);
int herd_core__record_files(struct herd_core *c, struct herd_task *t,
                            const struct herd_msg_result *r, struct herd_err *e);
/* Completes the attempts whose results were committed. */
void herd_core__complete_recorded(struct herd_core *c);

/* core_conn.c */
void herd_core__heartbeats(struct herd_core *c);
void herd_core__close_conn(struct herd_core *c, struct herd_core_conn *k, const char *why);

/* core_evict.c: a job just became final (queued for eviction); evicts the
 * finished jobs beyond cfg.keep_finished or older than cfg.keep_finished_ms
 * (their records stay in the journal, where the views find them). */
void herd_core__job_final(struct herd_core *c, struct herd_job *j);
void herd_core__evict(struct herd_core *c);
/* Removes a stale backoff entry's task from the heap (core_run.c). */
void herd_core__heap_drop_job(struct herd_core *c, const struct herd_job *j);

/* core_load.c */
int herd_core__load(struct herd_core *c, struct herd_err *e);

#endif
