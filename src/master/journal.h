/* journal — the master's durable state in SQLite: jobs, tasks, attempts and
 * results, and the epoch that makes attempt ids unique across restarts.
 *
 * Mode: WAL with synchronous=NORMAL. A commit is then durable against the
 * master process dying (SIGKILL, crash: the WAL is in the OS page cache and
 * reaches the file), which is the failure herd promises to survive; an OS
 * crash or power cut may lose the last commits but never corrupts the file.
 * FULL would add an fsync per commit (milliseconds) to every submit and
 * every result, against the ≤ 0.5 ms round-trip goal. Set
 * $HERD_JOURNAL_SYNC=full to choose FULL anyway ("off" exists for the
 * simulation sweep, which restarts masters thousands of times and never
 * loses the OS; do not use it in production).
 *
 * Writes open a transaction lazily; herd_journal_commit() ends it. The core
 * commits at the end of every call into it, and before it acknowledges a
 * submit or marks a task succeeded. Only the master core calls this; one
 * thread. Every function returns HERD_OK or HERD_EDB with the SQLite reason
 * in *e (unless stated otherwise). */
#ifndef HERD_MASTER_JOURNAL_H
#define HERD_MASTER_JOURNAL_H

#include "base/err.h"
#include "master/spec.h"

#include <stddef.h>
#include <stdint.h>

struct herd_journal;

/* Opens (creating if needed) the journal at path (":memory:" allowed),
 * bumps and commits the epoch. */
int herd_journal_open(const char *path, struct herd_journal **out, struct herd_err *e);
/* Commits anything pending and closes. NULL is ignored. */
void herd_journal_close(struct herd_journal *j);

/* The epoch of this open (1 on a fresh journal, +1 at each open). */
uint32_t herd_journal_epoch(const struct herd_journal *j);

int herd_journal_commit(struct herd_journal *j, struct herd_err *e);

/* Inserts a job (state "running") and its tasks; the task ids are written to
 * task_ids[0..ntasks). Does not commit. */
int herd_journal_add_job(struct herd_journal *j, const struct herd_job_spec *spec,
                         uint64_t submitted_ms, uint64_t *job_id, uint64_t *task_ids,
                         struct herd_err *e);
int herd_journal_job_state(struct herd_journal *j, uint64_t job_id, const char *state,
                           uint64_t finished_ms, struct herd_err *e);
/* Records a task's final state with its attempt count, exit code and last
 * worker (may be NULL). */
int herd_journal_task_final(struct herd_journal *j, uint64_t task_id, const char *state,
                            uint32_t attempts, int32_t exit_code, const char *worker,
                            struct herd_err *e);
int herd_journal_attempt_add(struct herd_journal *j, uint64_t attempt_id, uint64_t task_id,
                             const char *worker, uint64_t started_ms, struct herd_err *e);
int herd_journal_attempt_end(struct herd_journal *j, uint64_t attempt_id, const char *state,
                             int status, int32_t exit_code, uint64_t ended_ms,
                             struct herd_err *e);

struct herd_journal_result {
    uint64_t task_id, attempt_id;
    int status;
    int32_t exit_code;
    const uint8_t *out;
    size_t out_len;
    const uint8_t *err;
    size_t err_len;
    const char *error;
    uint64_t recorded_ms;
};
/* Records the result of a task; a task has at most one (task_id is the
 * primary key): HERD_EEXISTS if one is already recorded (nothing written). */
int herd_journal_result(struct herd_journal *j, const struct herd_journal_result *r,
                        struct herd_err *e);
/* The attempt whose result is recorded for the task: HERD_OK and *attempt_id,
 * or HERD_ENOTFOUND. */
int herd_journal_result_attempt(struct herd_journal *j, uint64_t task_id, uint64_t *attempt_id,
                                struct herd_err *e);
/* Copies stdout (or stderr) of task `index` of a job; caller frees *out.
 * HERD_ENOTFOUND if no result; HERD_ENOMEM. */
int herd_journal_output(struct herd_journal *j, uint64_t job_id, uint32_t index, int want_stderr,
                        uint8_t **out, size_t *len, struct herd_err *e);

/* --- output files and failed attempts' logs (journal_files.c) --- */

/* Records that the task produced output `name` stored as blob sha. */
int herd_journal_file_add(struct herd_journal *j, uint64_t task_id, const char *name,
                          const char *sha, uint64_t size, struct herd_err *e);
/* The blob of output `name` of task `index` of a job: HERD_OK with sha (65
 * bytes) and *size, or HERD_ENOTFOUND. */
int herd_journal_file_get(struct herd_journal *j, uint64_t job_id, uint32_t index,
                          const char *name, char *sha, uint64_t *size, struct herd_err *e);
/* Calls fn for each output file of task `index` of a job, by name. */
int herd_journal_file_list(struct herd_journal *j, uint64_t job_id, uint32_t index,
                           void (*fn)(void *arg, const char *name, const char *sha,
                                      uint64_t size),
                           void *arg, struct herd_err *e);
/* Keeps what a failed attempt printed (its task may be retried). */
int herd_journal_attempt_log(struct herd_journal *j, uint64_t attempt_id, int status,
                             int32_t exit_code, const uint8_t *err, size_t err_len,
                             const char *error, struct herd_err *e);
struct herd_journal_attempt_info {
    uint64_t id;
    const char *worker, *state;
    int status;                    /* -1 if none */
    int32_t exit_code;
    uint64_t started_ms, ended_ms;
    const uint8_t *err;            /* kept stderr of a failed attempt, or NULL */
    size_t err_len;
    const char *error;
};
/* Calls fn for each attempt of task `index` of a job, oldest first. */
int herd_journal_attempt_list(struct herd_journal *j, uint64_t job_id, uint32_t index,
                              void (*fn)(void *arg, const struct herd_journal_attempt_info *a),
                              void *arg, struct herd_err *e);

/* --- jobs and tasks read back (journal_view.c), for finished jobs the core
 * no longer keeps in memory. Strings are borrowed for the callback only. --- */
struct herd_journal_job_view {
    uint64_t id;
    const char *name, *state;      /* state as recorded: "running", "succeeded", ... */
    int32_t priority;
    uint32_t ntasks;
    uint32_t succeeded, failed, canceled; /* tasks by recorded final state
                                             (failed includes dep_failed) */
    uint64_t submitted_ms, finished_ms;
};
struct herd_journal_task_view {
    uint64_t id;
    uint32_t index;
    const char *name;              /* "" if unnamed */
    const char *state;             /* recorded final state, or "pending" */
    uint32_t attempts;
    int32_t exit_code;
    const char *worker;            /* "" if none */
};
/* Calls fn once with job job_id: HERD_OK, HERD_ENOTFOUND or HERD_EDB. */
int herd_journal_job_get(struct herd_journal *j, uint64_t job_id,
                         void (*fn)(void *arg, const struct herd_journal_job_view *v), void *arg,
                         struct herd_err *e);
/* Calls fn for every job ever recorded, ascending id. */
int herd_journal_job_list(struct herd_journal *j,
                          void (*fn)(void *arg, const struct herd_journal_job_view *v), void *arg,
                          struct herd_err *e);
/* Calls fn for each task of a job, by index (none if the job is unknown). */
int herd_journal_task_list(struct herd_journal *j, uint64_t job_id,
                           void (*fn)(void *arg, const struct herd_journal_task_view *v),
                           void *arg, struct herd_err *e);

/* --- loading, for herd_core_create --- */
struct herd_journal_job_row {
    uint64_t id;
    const char *name;
    int32_t priority;
    uint32_t max_retries, ntasks;
    uint32_t retry_on;
    const char *state;
    uint64_t submitted_ms, finished_ms;
};
struct herd_journal_task_row {
    uint64_t id, job_id;
    uint32_t index;
    const char *name;              /* NULL if unnamed */
    const char *state;             /* recorded final state, or "pending" */
    uint32_t attempts;             /* attempts started (counted from attempts rows) */
    int32_t exit_code;
    const char *worker;            /* last worker or NULL */
    struct herd_task_spec spec;    /* run description and deps (borrowed) */
};
struct herd_journal_attempt_row {
    uint64_t id, task_id, job_id;
    uint32_t index;                /* the task's index in its job */
    const char *worker;
    uint64_t started_ms;
};
struct herd_journal_loader {
    void *ctx;
    /* every job, ascending id */
    int (*job)(void *ctx, const struct herd_journal_job_row *r);
    /* every task of every job, by job then index. r->spec holds the run
     * description (argv, env, payload; only for unfinished tasks) and deps;
     * the callback may take ownership of its arrays by setting the pointers
     * in r->spec to NULL; the loader frees what is left. r->spec.name is
     * always NULL (see r->name). */
    int (*task)(void *ctx, struct herd_journal_task_row *r);
    /* every attempt still "running" in the journal, of running jobs */
    int (*running)(void *ctx, const struct herd_journal_attempt_row *r);
};
/* Calls the loader for everything recorded. A callback's non-zero return
 * stops the load and is returned. HERD_EDB on a read error or corrupt row. */
int herd_journal_load(struct herd_journal *j, const struct herd_journal_loader *l,
                      struct herd_err *e);

#endif
