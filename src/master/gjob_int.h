/* gjob_int — private state of the graph-job coordinator, shared by
 * gjob.c (jobs, state machine, submission, views) and gjob_run.c (the
 * conversation: set-up, barrier, checkpoints, recovery, output). */
#ifndef HERD_MASTER_GJOB_INT_H
#define HERD_MASTER_GJOB_INT_H

#include "master/gjob.h"
#include "wire/gmsg.h"

#define HERD_GJOB_ID_BASE 1000000u

struct gworker {
    struct herd_worker *w;
    char *dp_addr;
    int ready, reported, done;
};

/* A checkpoint saved over the network that is not complete yet: asked for
 * at the release of `step`, complete when its barrier said every worker
 * saved and every partition's file is in the store (gjob_ckpt.c). */
struct gpend {
    uint64_t step;
    uint64_t globals[HERD_GMSG_MAX_AGGS]; /* sent with STEP step (aggregates of step-1) */
    uint8_t *got;                   /* per partition: its file is stored */
    uint32_t ngot;
    int reported;                   /* the barrier of `step` passed, every worker saved */
    int sealing;                    /* every file in: the store is syncing the directory */
};

struct gjob {
    uint64_t id;
    struct herd_gjob_spec spec;     /* owns its strings and plugin */
    enum herd_gjob_state state;
    char *error;
    uint32_t epoch;
    uint32_t want;                  /* workers to start with */
    uint32_t nw;
    struct gworker *ws;
    uint32_t nparts;
    uint32_t *owner;                /* partition -> index into ws */
    uint64_t step;                  /* released last */
    uint64_t start_step;            /* first step of this epoch */
    uint64_t released_at;
    uint64_t deadline;              /* barrier / load / write timeout; 0 = none */
    uint32_t naggs;
    uint8_t agg_op[HERD_GMSG_MAX_AGGS], agg_type[HERD_GMSG_MAX_AGGS];
    uint64_t globals[HERD_GMSG_MAX_AGGS]; /* aggregates of step-1 */
    uint32_t max_steps;
    int pull;                       /* workers run the pull path */
    uint64_t *part_aggs;            /* nparts * naggs partials of the running step */
    struct herd_gjob_step cur;      /* the running step's sums */
    int ckpt_asked, ckpt_all, stopped;
    uint64_t last_ckpt;
    uint64_t ckpt_globals[HERD_GMSG_MAX_AGGS];
    uint32_t recoveries;
    uint64_t vertices, arcs;
    double load_ms, write_ms;
    uint64_t submitted, finished;
    struct herd_gjob_step *steps;
    size_t nsteps, capsteps;
    uint64_t transitions;
    struct herd_worker **excluded;  /* hung workers, never used again by this job */
    size_t nexcluded, capexcluded;
    int net;                        /* checkpoints go to the master's store (no shared dir) */
    uint32_t resume_need;           /* reloaded by a restarted master: workers to wait for */
    uint64_t resume_until;          /* ... until then (core clock); later any will do */
    struct gpend *pend;             /* network checkpoints in progress, ascending step */
    size_t npend, cappend;
};

struct herd_gjobs {
    struct gjob **jobs;
    size_t n, cap;
    uint64_t next_id;
    uint64_t into[HERD_GJ_NSTATES];
    uint64_t illegal;
    struct herd_gstore *store;      /* network checkpoints; NULL = none (no graph_dir) */
    struct gjob *viewed;            /* the last evicted job rebuilt for a view */
    uint64_t evicted;               /* finished jobs evicted from memory */
};

/* gjob.c */
struct gjob *herd_gjob__find(struct herd_core *c, uint64_t id);
/* The one transition function: checks legality, logs, counts, emits an
 * event. HERD_OK or HERD_ESTATE (refused, counted as illegal). */
int herd_gjob__set_state(struct herd_core *c, struct gjob *j, enum herd_gjob_state to,
                         const char *why);
void herd_gjob__fail(struct herd_core *c, struct gjob *j, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void herd_gjob__send(struct herd_core *c, struct gjob *j, uint32_t wi, const struct herd_gmsg *g);

/* gjob_run.c */
void herd_gjob__try_start(struct herd_core *c, struct gjob *j);
void herd_gjob__on_msg(struct herd_core *c, struct gjob *j, uint32_t wi,
                       const struct herd_msg_graph *m, const struct herd_gmsg *g);
void herd_gjob__recover(struct herd_core *c, struct gjob *j, const char *why);
void herd_gjob__timeout(struct herd_core *c, struct gjob *j);

/* gjob_journal.c: records the job (spec, state, epoch, last complete
 * checkpoint, summary) in the core's journal and commits. */
void herd_gjob__journal(struct herd_core *c, struct gjob *j);
/* A new job: its spec and record, committed. HERD_OK or HERD_EDB. */
int herd_gjob__journal_new(struct herd_core *c, struct gjob *j, struct herd_err *e);
/* gjob.c: appends a job reloaded from the journal (ascending ids). */
void herd_gjob__adopt(struct herd_core *c, struct gjob *j);
/* gjob.c: frees a job that is in no list. */
void herd_gjob__free(struct gjob *j);
/* gjob_journal.c: a finished job evicted from memory, rebuilt from its
 * journal row for a view (the caller frees it with herd_gjob__free), or
 * NULL when the journal has no such job. */
struct gjob *herd_gjob__from_journal(struct herd_core *c, uint64_t id);

/* gjob_ckpt.c: checkpoints. The STEP of `j->step` asks for one. */
void herd_gjob__ckpt_asked(struct herd_core *c, struct gjob *j);
/* The barrier of a step that asked for a checkpoint: `all` workers saved;
 * `globals` are those sent with the step. A shared-path checkpoint is
 * complete now; a network one when its files are in too. */
void herd_gjob__ckpt_barrier(struct herd_core *c, struct gjob *j, int all,
                             const uint64_t *globals);
/* A new epoch starts from j->last_ckpt: checkpoints in progress are dropped. */
void herd_gjob__ckpt_epoch(struct herd_core *c, struct gjob *j);
/* The job is over: its stored checkpoints are deleted. */
void herd_gjob__ckpt_over(struct herd_core *c, struct gjob *j);
/* CKPT_PUT / CKPT_GET from worker wi of the job's current epoch. */
void herd_gjob__ckpt_put(struct herd_core *c, struct gjob *j, uint32_t wi,
                         const struct herd_gckpt *k);
void herd_gjob__ckpt_get(struct herd_core *c, struct gjob *j, uint32_t wi,
                         const struct herd_gckpt *k);
/* Collects the checkpoint files the store made durable since the last call
 * (tick and every graph message); a checkpoint may complete here. */
void herd_gjobs__ckpt_poll(struct herd_core *c);

#endif
