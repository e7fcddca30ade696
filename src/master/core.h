/* core — the master's brain: worker registry, jobs, tasks, attempts, the
 * scheduler and the journal, with no I/O of its own (STYLE habit 4).
 *
 * Everything outside reaches it through calls on one thread (the master's
 * event-loop thread, or a simulation driver), and it reaches the world only
 * through `struct herd_core_io` (send a message, close a connection, the
 * clock, randomness) and the SQLite journal it owns. Production binds the io
 * to libuv sockets (daemon/master.c); tests bind it to an in-memory network
 * with a virtual clock (tests/sim/). Time is in milliseconds from io->now().
 *
 * Connections are identified by opaque non-zero ids chosen by the binding.
 * Contract of the conversation on one connection (docs/protocol.md):
 *   conn_open -> core sends CHALLENGE -> worker HELLO -> core sends WELCOME
 *   or REFUSE (+ close) -> HEARTBEAT/ASSIGN/RESULT/KILL/DRAIN ...
 *   -> conn_closed (from the binding; the core never assumes a close it asked
 *   for has happened until conn_closed is called).
 */
#ifndef HERD_MASTER_CORE_H
#define HERD_MASTER_CORE_H

#include "base/err.h"
#include "master/spec.h"
#include "wire/auth.h"
#include "wire/msg.h"

#include <stdint.h>

struct herd_core;

struct herd_core_io {
    void *ctx;
    /* Queue m for sending on conn (copy what you need; m is the caller's). */
    void (*send)(void *ctx, uint64_t conn, const struct herd_msg *m);
    /* Close conn after queued data is flushed. conn_closed() follows later. */
    void (*close)(void *ctx, uint64_t conn);
    uint64_t (*now)(void *ctx);
    uint64_t (*random)(void *ctx);
};

struct herd_core_config {
    const char *journal_path;      /* SQLite file; ":memory:" allowed in unit tests */
    const struct herd_secret *secret; /* NULL or len 0 = no authentication (loopback only) */
    uint32_t heartbeat_ms;         /* default 1000 */
    uint32_t lost_after;           /* missed heartbeats before loss; default 3 */
    uint32_t retry_backoff_ms;     /* base of exponential retry backoff; default 100 */
    const char *blob_dir;          /* content-addressed blob store (inputs, outputs,
                                      plugins); NULL = none: tasks with files are refused */
    const char *graph_dir;         /* graph jobs' checkpoints saved over the network
                                      (master/gstore.h); NULL = none: a graph job with
                                      checkpoints then needs a shared checkpoint_dir */
    uint64_t max_queued;           /* unfinished tasks over which submit answers HERD_EFULL;
                                      0 = default 4,000,000 */
    int batch_commits;             /* 1: calls do not commit the journal at their end; the
                                      binding calls herd_core_flush() once per loop
                                      iteration (one transaction for many results) */
    uint32_t keep_finished;        /* finished jobs kept in memory (the newest); older
                                      ones are evicted and answered from the journal;
                                      0 = default 1,000 */
    uint64_t keep_finished_ms;     /* a finished job is evicted after this long even
                                      under the bound; 0 = default 600,000 (10 minutes) */
};

/* Opens the journal, resumes every unfinished job (their RUNNING attempts from
 * the previous master are kept as "orphans" that a reconnecting worker may
 * still own — see conn_msg HELLO reconciliation — until a grace period of
 * lost_after heartbeats passes, after which they are failed and retried).
 * Returns HERD_OK and *out, or HERD_EDB with a reason. */
int herd_core_create(const struct herd_core_config *cfg, const struct herd_core_io *io,
                     struct herd_core **out, struct herd_err *e);
/* Closes the journal (consistent: every acknowledged change is committed). */
void herd_core_destroy(struct herd_core *c);

/* A new connection was accepted; the core sends CHALLENGE on it. */
void herd_core_conn_open(struct herd_core *c, uint64_t conn);
/* Optional: names the peer of conn ("10.0.0.7:51234") for log lines. */
void herd_core_conn_peer(struct herd_core *c, uint64_t conn, const char *peer);
/* A decoded message arrived on conn. Illegal messages for the connection's
 * state make the core log the reason and close that connection only. */
void herd_core_conn_msg(struct herd_core *c, uint64_t conn, const struct herd_msg *m);
/* conn is gone (peer closed, error, or after io->close). Its worker, if any,
 * is not lost yet: loss is decided by missed heartbeats, so a quick
 * reconnect keeps its attempts. */
void herd_core_conn_closed(struct herd_core *c, uint64_t conn);
/* Periodic work: heartbeats, loss detection, retry backoff expiry, dispatch.
 * Call at least every heartbeat_ms / 4. */
void herd_core_tick(struct herd_core *c);
/* Commits the journal, then completes what waited for the commit (tasks
 * whose results were recorded succeed, their dependants become ready), then
 * dispatches. With cfg.batch_commits the binding calls it once per loop
 * iteration (libuv: a uv_check handle); otherwise every call ends with it. */
void herd_core_flush(struct herd_core *c);
/* Unfinished tasks of all jobs (for back-pressure and /v1/health). */
uint64_t herd_core_queued(struct herd_core *c);
/* The blob store, or NULL if the core has none (cfg.blob_dir). For the HTTP
 * API on the core's thread. */
struct herd_blobs *herd_core_blobs(struct herd_core *c);
/* Checks and resolves the files of a spec before submit: "@path" inputs and
 * plugins are copied from the master's file system into the blob store and
 * replaced by their addresses; every address must name a stored blob; input
 * and output names must be relative paths without "..". HERD_OK, or
 * HERD_EINVAL / HERD_EIO with a reason naming the task. */
int herd_core_resolve_files(struct herd_core *c, struct herd_job_spec *spec, struct herd_err *e);

/* Milliseconds until the core next needs a tick (for a virtual clock). */
uint64_t herd_core_next_deadline(struct herd_core *c);

/* Submits a job. It is durable in the journal before HERD_OK is returned
 * with *job_id. HERD_EINVAL (bad spec: no tasks, dependency cycle or bad
 * index) with a reason. The spec is the caller's. */
int herd_core_submit(struct herd_core *c, const struct herd_job_spec *spec, uint64_t *job_id,
                     struct herd_err *e);
/* Cancels a job: pending tasks are canceled, running attempts are killed on
 * their workers. HERD_ENOTFOUND if unknown; HERD_OK if already finished
 * (evicted or not). */
int herd_core_cancel(struct herd_core *c, uint64_t job_id, struct herd_err *e);

/* --- read-only views for the HTTP API; strings valid until the next call
 * into the core. --- */
struct herd_worker_info {
    const char *id;
    const char *host;
    const char *state;             /* "ready", "draining", "lost", ... */
    uint32_t cores;
    uint32_t cores_used;
    uint64_t memory;
    uint32_t running;              /* attempts running there */
    uint64_t last_heartbeat_ms;    /* core clock of the last heartbeat */
    uint16_t data_port;
    uint32_t nlabels;
    char *const *labels;
};
void herd_core_each_worker(struct herd_core *c,
                           void (*fn)(void *arg, const struct herd_worker_info *w), void *arg);

struct herd_job_info {
    uint64_t id;
    const char *name;
    const char *state;             /* "running", "succeeded", "failed", "canceled" */
    int32_t priority;
    uint32_t total, pending, running, succeeded, failed, canceled;
    uint64_t submitted_ms, finished_ms; /* wall clock; finished 0 while running */
};
/* HERD_OK and *out, or HERD_ENOTFOUND. A finished job evicted from memory
 * is answered from the journal. */
int herd_core_job_info(struct herd_core *c, uint64_t job_id, struct herd_job_info *out);
void herd_core_each_job(struct herd_core *c, void (*fn)(void *arg, const struct herd_job_info *j),
                        void *arg);

struct herd_task_info {
    uint64_t id;
    uint32_t index;                /* position in the submitted spec */
    const char *name;
    const char *state;             /* "pending", "ready", "running", "succeeded", "failed",
                                      "canceled", "dep_failed" */
    uint32_t attempts;             /* attempts started so far */
    int32_t exit_code;
    const char *worker;            /* last worker, or "" */
};
void herd_core_each_task(struct herd_core *c, uint64_t job_id,
                         void (*fn)(void *arg, const struct herd_task_info *t), void *arg);

/* Copies the recorded stdout/stderr of task `index` of a job (from the
 * journal). Caller frees *out. HERD_ENOTFOUND if no result is recorded. */
int herd_core_task_output(struct herd_core *c, uint64_t job_id, uint32_t index, int want_stderr,
                          uint8_t **out, size_t *len);

/* The output file `name` of task `index`: its blob address (65 bytes) and
 * size. HERD_ENOTFOUND. */
int herd_core_task_file(struct herd_core *c, uint64_t job_id, uint32_t index, const char *name,
                        char *sha, uint64_t *size);
void herd_core_each_file(struct herd_core *c, uint64_t job_id, uint32_t index,
                         void (*fn)(void *arg, const char *name, const char *sha, uint64_t size),
                         void *arg);
/* Every attempt of task `index`, oldest first, with the stderr kept for
 * failed ones (see struct herd_journal_attempt_info in journal.h). */
struct herd_journal_attempt_info;
void herd_core_each_attempt(struct herd_core *c, uint64_t job_id, uint32_t index,
                            void (*fn)(void *arg, const struct herd_journal_attempt_info *a),
                            void *arg);

/* Counters for tests and /health: results accepted, stale results refused,
 * workers lost,attempts retried. */
struct herd_core_stats {
    uint64_t results_accepted;
    uint64_t results_refused;
    uint64_t workers_lost;
    uint64_t attempts_retried;
    uint64_t illegal_transitions;  /* refused state changes (a bug if non-zero) */
    uint64_t jobs_in_memory;       /* running jobs plus the finished ones still kept */
    uint64_t jobs_evicted;         /* finished jobs dropped from memory (journal only) */
};
void herd_core_stats(struct herd_core *c, struct herd_core_stats *out);

#endif
