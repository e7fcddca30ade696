/* sim — a deterministic simulation of one master core and N worker agents
 * (in the manner of canonical/raft's fixture): a virtual clock, an event
 * queue, an in-memory network that delivers `struct herd_msg` copies with
 * seeded latency (FIFO per connection and direction, like TCP), simulated
 * task execution, and fault injection: kill/revive a worker, stop/resume one
 * (SIGSTOP-like), partition/heal its link, kill the master and restart it
 * on the same journal file.
 *
 * Everything is driven from the caller's thread by herd_sim_run_for() /
 * herd_sim_run_until(); a run is a pure function of the seed (nonces from
 * the OS CSPRNG never influence control flow).
 *
 * Simulated tasks: an attempt runs for a seeded random time in
 * [task_min_ms, task_max_ms], or argv[1] ms if that is a number. Its stdout
 * is herd_sim_expected_output() of its argv plus " attempt=<hex id>", so a
 * test can check a recorded result belongs to the task and names the attempt
 * that produced it. An argv word "fail=N" makes the first N runs of that
 * task fail (exit code 1). Used by tests/sim/; lives in src/ so tests link
 * it from libherd.a. */
#ifndef HERD_SIM_SIM_H
#define HERD_SIM_SIM_H

#include "base/err.h"
#include "master/core.h"
#include "wire/auth.h"
#include "wire/msg.h"

#include <stddef.h>
#include <stdint.h>

struct herd_sim;

struct herd_sim_config {
    uint64_t seed;
    const char *journal_path;        /* required: a file that survives master restarts */
    uint32_t nworkers;               /* started at create, ids "w0".."wN-1" */
    uint32_t cores;                  /* per worker; default 2 */
    const struct herd_secret *secret; /* master's and the initial workers'; NULL = none */
    uint32_t heartbeat_ms;           /* default 1000 */
    uint32_t lost_after;             /* default 3 */
    uint32_t retry_backoff_ms;       /* default 100 */
    uint32_t latency_min_ms, latency_max_ms; /* default 1..5 */
    uint32_t task_min_ms, task_max_ms;       /* default 50..500 */
};

/* Observer of every message put on the network: from_worker is 1 for
 * worker -> master. Called at send time. */
typedef void (*herd_sim_observe_fn)(void *arg, struct herd_sim *s, uint32_t worker,
                                    int from_worker, const struct herd_msg *m);

int herd_sim_create(const struct herd_sim_config *cfg, struct herd_sim **out, struct herd_err *e);
void herd_sim_destroy(struct herd_sim *s);
void herd_sim_observe(struct herd_sim *s, herd_sim_observe_fn fn, void *arg);

/* The master core now, or NULL while the master is down. */
struct herd_core *herd_sim_core(struct herd_sim *s);
uint64_t herd_sim_now(const struct herd_sim *s);

/* Runs the simulation for ms virtual milliseconds. */
void herd_sim_run_for(struct herd_sim *s, uint64_t ms);
/* Runs until cond returns non-zero (checked after every step) or max_ms
 * pass; returns 1 if cond became true. */
int herd_sim_run_until(struct herd_sim *s, int (*cond)(void *arg, struct herd_sim *s), void *arg,
                       uint64_t max_ms);

/* Adds (and starts) a worker; returns its index. secret NULL = none. */
uint32_t herd_sim_add_worker(struct herd_sim *s, const char *id, uint32_t cores,
                             const struct herd_secret *secret);
uint32_t herd_sim_nworkers(const struct herd_sim *s);

/* --- faults --- */
/* The worker process dies: its connection drops (the master sees it closed
 * after one latency), its running tasks vanish. */
void herd_sim_kill_worker(struct herd_sim *s, uint32_t i);
/* A new process with the same worker id and no running attempts. */
void herd_sim_revive_worker(struct herd_sim *s, uint32_t i);
/* SIGSTOP: processes nothing, its connection stays open, input queues; its
 * tasks (other processes) keep running and their completions queue too. */
void herd_sim_stop_worker(struct herd_sim *s, uint32_t i);
/* SIGCONT: its timers run first, then the queued input in order. */
void herd_sim_resume_worker(struct herd_sim *s, uint32_t i);
/* Messages on the worker's link are held (not lost) and connects fail
 * after a timeout, until heal; held messages then flow in order. */
void herd_sim_partition(struct herd_sim *s, uint32_t i);
void herd_sim_heal(struct herd_sim *s, uint32_t i);
/* The master process dies: its core is destroyed without warning (every
 * acknowledged change is already in the journal); connections drop. */
void herd_sim_kill_master(struct herd_sim *s);
/* A new master on the same journal. HERD_OK or the core's error. */
int herd_sim_restart_master(struct herd_sim *s, struct herd_err *e);
/* SIGTERM to a worker: it drains. */
void herd_sim_drain_worker(struct herd_sim *s, uint32_t i);

/* --- observation --- */
struct herd_sim_worker_info {
    const char *id;
    int alive;                       /* process exists (not killed, not exited) */
    int stopped;
    int exit_code;                   /* valid when it exited by itself */
    int exited;
    uint32_t cores;
    uint32_t cores_busy;             /* cores of tasks running there now */
    uint32_t max_cores_busy;         /* high-water mark */
    uint32_t running;                /* tasks running there now */
    const char *refused;             /* reason of the last REFUSE it got, or NULL */
};
void herd_sim_worker_info(struct herd_sim *s, uint32_t i, struct herd_sim_worker_info *out);

struct herd_sim_stats {
    uint64_t steps;
    uint64_t tasks_started, tasks_finished;
    uint64_t over_capacity;          /* starts beyond a worker's cores */
    uint64_t master_restarts;
};
void herd_sim_stats(const struct herd_sim *s, struct herd_sim_stats *out);

/* Writes the output a correct run of argv prints (before " attempt=...")
 * into buf (NUL-terminated, truncated to n). */
void herd_sim_expected_output(uint32_t nargv, char *const *argv, char *buf, size_t n);

#endif
