/* sim_fault — building and tearing down a simulated cluster, the faults a
 * test injects, and what it may observe. */
#include "base/log.h"
#include "base/mem.h"
#include "sim/sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void defaults(struct herd_sim_config *c)
{
    if (c->cores == 0)
        c->cores = 2;
    if (c->heartbeat_ms == 0)
        c->heartbeat_ms = 1000;
    if (c->lost_after == 0)
        c->lost_after = 3;
    if (c->retry_backoff_ms == 0)
        c->retry_backoff_ms = 100;
    if (c->latency_max_ms == 0) {
        c->latency_min_ms = 1;
        c->latency_max_ms = 5;
    }
    if (c->task_max_ms == 0) {
        c->task_min_ms = 50;
        c->task_max_ms = 500;
    }
    if (c->latency_min_ms > c->latency_max_ms)
        c->latency_min_ms = c->latency_max_ms;
    if (c->task_min_ms > c->task_max_ms)
        c->task_min_ms = c->task_max_ms;
}

static int start_master(struct herd_sim *s, struct herd_err *e)
{
    struct herd_core_config cc = {
        .journal_path = s->journal_path,
        .secret = s->has_secret ? &s->secret : NULL,
        .heartbeat_ms = s->cfg.heartbeat_ms,
        .lost_after = s->cfg.lost_after,
        .retry_backoff_ms = s->cfg.retry_backoff_ms,
    };
    struct herd_core_io io = herd_sim__master_io(s);
    int rc = herd_core_create(&cc, &io, &s->core, e);
    if (rc != HERD_OK)
        s->core = NULL;
    herd_sim__after_master(s);
    return rc;
}

int herd_sim_create(const struct herd_sim_config *cfg, struct herd_sim **out, struct herd_err *e)
{
    if (cfg->journal_path == NULL)
        return herd_err_set(e, HERD_EINVAL, "sim: a journal path is required");
    struct herd_sim *s = herd_xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    defaults(&s->cfg);
    s->journal_path = herd_xstrdup(cfg->journal_path);
    s->cfg.journal_path = s->journal_path;
    if (cfg->secret != NULL && cfg->secret->len > 0) {
        s->secret = *cfg->secret;
        s->has_secret = 1;
    }
    s->cfg.secret = NULL;
    herd_rand_seed(&s->rng, cfg->seed);
    herd_u64map_init(&s->starts);
    s->now = 1000; /* not zero: nothing special about the epoch */
    int rc = start_master(s, e);
    if (rc != HERD_OK) {
        herd_sim_destroy(s);
        return rc;
    }
    for (uint32_t i = 0; i < s->cfg.nworkers; i++) {
        char id[32];
        snprintf(id, sizeof id, "w%u", i);
        herd_sim_add_worker(s, id, s->cfg.cores, s->has_secret ? &s->secret : NULL);
    }
    *out = s;
    return HERD_OK;
}

static void free_worker(struct simworker *w)
{
    herd_agent_destroy(w->agent);
    for (size_t i = 0; i < w->backlog.n; i++)
        herd_sim__free_ev(w->backlog.v[i]);
    free(w->backlog.v);
    free(w->tasks);
    free(w->refused);
    free(w->id);
    memset(&w->secret, 0, sizeof w->secret);
    free(w);
}

void herd_sim_destroy(struct herd_sim *s)
{
    if (s == NULL)
        return;
    herd_core_destroy(s->core);
    for (size_t i = 0; i < s->nheap; i++)
        herd_sim__free_ev(s->heap[i]);
    free(s->heap);
    for (size_t i = 0; i < s->held.n; i++)
        herd_sim__free_ev(s->held.v[i]);
    free(s->held.v);
    for (uint32_t i = 0; i < s->nworkers; i++)
        free_worker(s->workers[i]);
    free(s->workers);
    free(s->conns);
    herd_u64map_fini(&s->starts);
    free(s->journal_path);
    free(s);
}

void herd_sim_observe(struct herd_sim *s, herd_sim_observe_fn fn, void *arg)
{
    s->observe = fn;
    s->observe_arg = arg;
}

struct herd_core *herd_sim_core(struct herd_sim *s)
{
    return s->core;
}

uint64_t herd_sim_now(const struct herd_sim *s)
{
    return s->now;
}

uint32_t herd_sim_nworkers(const struct herd_sim *s)
{
    return s->nworkers;
}

static void spawn_agent(struct simworker *w)
{
    struct herd_agent_config ac = {
        .worker_id = w->id,
        .host = "sim",
        .cores = w->cores,
        .secret = w->has_secret ? &w->secret : NULL,
    };
    struct herd_agent_io io = herd_sim__agent_io(w);
    struct herd_err e;
    if (herd_agent_create(&ac, &io, &w->agent, &e) != HERD_OK) {
        herd_error("sim", "worker %s: %s", w->id, e.msg);
        return;
    }
    w->alive = 1;
    w->exited = 0;
    w->stopped = 0;
    herd_agent_start(w->agent);
    herd_sim__after_agent(w);
}

uint32_t herd_sim_add_worker(struct herd_sim *s, const char *id, uint32_t cores,
                             const struct herd_secret *secret)
{
    struct simworker *w = herd_xcalloc(1, sizeof *w);
    w->s = s;
    w->idx = s->nworkers;
    w->id = herd_xstrdup(id);
    w->cores = cores ? cores : s->cfg.cores;
    if (secret != NULL && secret->len > 0) {
        w->secret = *secret;
        w->has_secret = 1;
    }
    w->tick_at = SIM_NEVER;
    herd_xgrow((void **)&s->workers, &s->capworkers, s->nworkers + 1, sizeof *s->workers);
    s->workers[s->nworkers++] = w;
    spawn_agent(w);
    return w->idx;
}

/* --- faults --- */

static void drop_backlog(struct simworker *w)
{
    for (size_t i = 0; i < w->backlog.n; i++)
        herd_sim__free_ev(w->backlog.v[i]);
    w->backlog.n = 0;
}

void herd_sim_kill_worker(struct herd_sim *s, uint32_t i)
{
    struct simworker *w = s->workers[i];
    if (!w->alive)
        return;
    w->inc++; /* its pending events and task completions are void */
    struct simconn *k = herd_sim__conn(s, w->conn);
    if (k != NULL && k->w_open) {
        k->w_open = 0;
        struct ev *e = herd_sim__ev(s, EV_M_CLOSED, i, w->conn);
        herd_sim__send_net(s, e, 1);
    }
    w->conn = 0;
    w->ntasks = 0;
    w->busy = 0;
    w->stopped = 0;
    drop_backlog(w);
    herd_agent_destroy(w->agent);
    w->agent = NULL;
    w->alive = 0;
    w->tick_at = SIM_NEVER;
}

void herd_sim_revive_worker(struct herd_sim *s, uint32_t i)
{
    struct simworker *w = s->workers[i];
    if (w->alive)
        return;
    w->inc++;
    spawn_agent(w);
}

void herd_sim_stop_worker(struct herd_sim *s, uint32_t i)
{
    struct simworker *w = s->workers[i];
    if (!w->alive)
        return;
    w->stopped = 1;
    w->tick_at = SIM_NEVER;
}

void herd_sim_resume_worker(struct herd_sim *s, uint32_t i)
{
    struct simworker *w = s->workers[i];
    if (!w->alive || !w->stopped)
        return;
    w->stopped = 0;
    w->tick_at = s->now; /* timers first */
    for (size_t k = 0; k < w->backlog.n; k++)
        herd_sim__schedule(s, w->backlog.v[k], s->now);
    w->backlog.n = 0;
}

void herd_sim_partition(struct herd_sim *s, uint32_t i)
{
    s->workers[i]->partitioned = 1;
}

void herd_sim_heal(struct herd_sim *s, uint32_t i)
{
    struct simworker *w = s->workers[i];
    if (!w->partitioned)
        return;
    w->partitioned = 0;
    size_t keep = 0;
    uint64_t at = s->now;
    for (size_t k = 0; k < s->held.n; k++) {
        struct ev *e = s->held.v[k];
        if (e->worker != i) {
            s->held.v[keep++] = e;
            continue;
        }
        uint64_t t = s->now + herd_sim__latency(s);
        at = t > at ? t : at; /* held traffic flows in order */
        herd_sim__schedule(s, e, at);
    }
    s->held.n = keep;
}

void herd_sim_kill_master(struct herd_sim *s)
{
    if (s->core == NULL)
        return;
    herd_core_destroy(s->core);
    s->core = NULL;
    s->minc++;
    for (size_t k = 0; k < s->nconns; k++) {
        struct simconn *c = &s->conns[k];
        if (!c->m_open)
            continue;
        c->m_open = 0;
        c->m_known = 0;
        herd_sim__send_net(s, herd_sim__ev(s, EV_W_DISCONNECTED, c->worker, k + 1), 0);
    }
    herd_sim__after_master(s);
}

int herd_sim_restart_master(struct herd_sim *s, struct herd_err *e)
{
    if (s->core != NULL)
        return HERD_OK;
    s->stats.master_restarts++;
    return start_master(s, e);
}

void herd_sim_drain_worker(struct herd_sim *s, uint32_t i)
{
    struct simworker *w = s->workers[i];
    if (!w->alive || w->stopped)
        return;
    herd_agent_drain(w->agent);
    herd_sim__after_agent(w);
}

/* --- observation --- */

void herd_sim_worker_info(struct herd_sim *s, uint32_t i, struct herd_sim_worker_info *out)
{
    struct simworker *w = s->workers[i];
    out->id = w->id;
    out->alive = w->alive;
    out->stopped = w->stopped;
    out->exited = w->exited;
    out->exit_code = w->exit_code;
    out->cores = w->cores;
    out->cores_busy = w->busy;
    out->max_cores_busy = w->max_busy;
    out->running = (uint32_t)w->ntasks;
    out->refused = w->refused;
}

void herd_sim_stats(const struct herd_sim *s, struct herd_sim_stats *out)
{
    *out = s->stats;
}
