/* core — the facade of the master's brain: life cycle, the periodic tick,
 * submit and cancel. See core.h for the contract and core_int.h for the map
 * of the other core*.c files. */
#include "master/core.h"

#include "base/log.h"
#include "base/mem.h"
#include "master/core_int.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_HEARTBEAT_MS 1000
#define DEFAULT_LOST_AFTER 3
#define DEFAULT_BACKOFF_MS 100
#define DEFAULT_MAX_QUEUED 4000000u
#define DEFAULT_KEEP_FINISHED 1000u
#define DEFAULT_KEEP_FINISHED_MS 600000u

uint64_t herd_core__now(struct herd_core *c)
{
    return c->io.now(c->io.ctx);
}

uint64_t herd_core__lost_ms(const struct herd_core *c)
{
    return (uint64_t)c->cfg.heartbeat_ms * c->cfg.lost_after;
}

void herd_core__send(struct herd_core *c, uint64_t conn, const struct herd_msg *m)
{
    if (conn != 0)
        c->io.send(c->io.ctx, conn, m);
}

void herd_core__journal_err(struct herd_core *c, int rc, const struct herd_err *e)
{
    (void)c;
    if (rc != HERD_OK)
        herd_error("master", "%s", e->msg);
}

void herd_core__flush(struct herd_core *c)
{
    struct herd_err e;
    herd_core__journal_err(c, herd_journal_commit(c->journal, &e), &e);
    if (c->nrecorded > 0) {
        /* Not committed here: what this writes (attempts ended and started,
         * jobs finished) rides with the next commit, the next loop
         * iteration's or at the latest the next tick's. Losing it to a crash
         * loses no work: see docs/RATIONALE.md, "One commit per iteration". */
        herd_core__complete_recorded(c);
        herd_core__dispatch(c);
    }
    herd_core__evict(c); /* after the commit: views of evicted jobs read the journal */
}

void herd_core_flush(struct herd_core *c)
{
    herd_core__flush(c);
}

uint64_t herd_core_queued(struct herd_core *c)
{
    uint64_t done = c->tst.into[HERD_TASK_SUCCEEDED] + c->tst.into[HERD_TASK_FAILED] +
                    c->tst.into[HERD_TASK_CANCELED] + c->tst.into[HERD_TASK_DEP_FAILED];
    return c->tasks_added > done ? c->tasks_added - done : 0;
}

struct herd_blobs *herd_core_blobs(struct herd_core *c)
{
    return c->blobs;
}

void herd_core__add_job(struct herd_core *c, struct herd_job *j)
{
    herd_u64map_put(&c->jobs, j->id, j);
    herd_xgrow((void **)&c->joblist, &c->capjobs, c->njobs + 1, sizeof *c->joblist);
    c->joblist[c->njobs++] = j;
}

void herd_core__link_deps(struct herd_job *j)
{
    for (uint32_t i = 0; i < j->ntasks; i++) {
        struct herd_task *t = &j->tasks[i];
        for (uint32_t d = 0; d < t->ndeps; d++)
            j->tasks[t->deps[d]].ndependants++;
        t->ndeps_left = t->ndeps;
    }
    for (uint32_t i = 0; i < j->ntasks; i++) {
        struct herd_task *t = &j->tasks[i];
        t->dependants = herd_xcalloc(t->ndependants ? t->ndependants : 1, sizeof *t->dependants);
        t->ndependants = 0;
    }
    for (uint32_t i = 0; i < j->ntasks; i++) {
        struct herd_task *t = &j->tasks[i];
        for (uint32_t d = 0; d < t->ndeps; d++) {
            struct herd_task *dep = &j->tasks[t->deps[d]];
            dep->dependants[dep->ndependants++] = i;
        }
    }
}

static void apply_defaults(struct herd_core_config *cfg)
{
    if (cfg->heartbeat_ms == 0)
        cfg->heartbeat_ms = DEFAULT_HEARTBEAT_MS;
    if (cfg->lost_after == 0)
        cfg->lost_after = DEFAULT_LOST_AFTER;
    if (cfg->retry_backoff_ms == 0)
        cfg->retry_backoff_ms = DEFAULT_BACKOFF_MS;
    if (cfg->max_queued == 0)
        cfg->max_queued = DEFAULT_MAX_QUEUED;
    if (cfg->keep_finished == 0)
        cfg->keep_finished = DEFAULT_KEEP_FINISHED;
    if (cfg->keep_finished_ms == 0)
        cfg->keep_finished_ms = DEFAULT_KEEP_FINISHED_MS;
}

int herd_core_create(const struct herd_core_config *cfg, const struct herd_core_io *io,
                     struct herd_core **out, struct herd_err *e)
{
    struct herd_core *c = herd_xcalloc(1, sizeof *c);
    c->cfg = *cfg;
    apply_defaults(&c->cfg);
    if (cfg->secret != NULL && cfg->secret->len > 0)
        c->secret = *cfg->secret;
    c->cfg.secret = NULL;
    c->cfg.journal_path = NULL; /* not kept: the caller owns the string */
    c->cfg.blob_dir = NULL;
    c->io = *io;
    herd_registry_init(&c->reg);
    herd_sched_init(&c->sched);
    herd_sched_set_quantum(&c->sched, HERD_SCHED_QUANTUM);
    herd_u64map_init(&c->conns);
    herd_u64map_init(&c->jobs);
    herd_u64map_init(&c->attempts);
    c->gjobs = herd_gjobs_create(c); /* reads cfg.graph_dir */
    c->cfg.graph_dir = NULL;
    int rc = herd_journal_open(cfg->journal_path ? cfg->journal_path : ":memory:", &c->journal, e);
    if (rc == HERD_OK && cfg->blob_dir != NULL)
        rc = herd_blobs_open(cfg->blob_dir, &c->blobs, e);
    if (rc == HERD_OK)
        rc = herd_core__load(c, e);
    if (rc == HERD_OK)
        rc = herd_gjobs_load(c, e);
    if (rc != HERD_OK)
        goto fail;
    herd_core__flush(c);
    c->next_heartbeat = herd_core__now(c);
    if (c->secret.len == 0)
        herd_warn("master", "no cluster secret: workers are not authenticated");
    *out = c;
    return HERD_OK;
fail:
    herd_core_destroy(c);
    return rc;
}

static void free_attempts(struct herd_core *c)
{
    size_t i = 0;
    uint64_t k;
    void *v;
    while (herd_u64map_next(&c->attempts, &i, &k, &v))
        free(v);
    herd_u64map_fini(&c->attempts);
}

static void free_conns(struct herd_core *c)
{
    size_t i = 0;
    uint64_t k;
    void *v;
    while (herd_u64map_next(&c->conns, &i, &k, &v)) {
        struct herd_core_conn *conn = v;
        free(conn->peer);
        free(conn);
    }
    herd_u64map_fini(&c->conns);
}

void herd_core_destroy(struct herd_core *c)
{
    if (c == NULL)
        return;
    if (c->journal != NULL)
        herd_core__flush(c);
    herd_journal_close(c->journal);
    herd_blobs_close(c->blobs);
    free(c->recorded);
    free(c->fin);
    free(c->view_name);
    herd_sched_fini(&c->sched);
    free_attempts(c);
    free_conns(c);
    for (size_t i = 0; i < c->njobs; i++)
        herd_job_destroy(c->joblist[i]);
    free(c->joblist);
    herd_u64map_fini(&c->jobs);
    free(c->heap);
    herd_gjobs_destroy(c->gjobs);
    herd_registry_fini(&c->reg);
    memset(&c->secret, 0, sizeof c->secret);
    free(c);
}

static void check_losses(struct herd_core *c, uint64_t now)
{
    uint64_t lost_ms = herd_core__lost_ms(c);
    struct herd_link *p;
    herd_list_each(p, &c->reg.workers)
    {
        struct herd_worker *w = herd_container_of(p, struct herd_worker, link);
        if (w->state != HERD_WORKER_CONNECTING && w->state != HERD_WORKER_READY &&
            w->state != HERD_WORKER_DRAINING)
            continue;
        if (now >= w->last_seen + lost_ms)
            herd_core__worker_lost(c, w, "missed heartbeats");
    }
}

void herd_core_tick(struct herd_core *c)
{
    uint64_t now = herd_core__now(c);
    if (now >= c->next_heartbeat) {
        herd_core__heartbeats(c);
        c->next_heartbeat = now + c->cfg.heartbeat_ms;
    }
    check_losses(c, now);
    herd_core__expire_backoff(c);
    herd_core__dispatch(c);
    herd_gjobs_tick(c);
    herd_core__flush(c);
}

uint64_t herd_core_next_deadline(struct herd_core *c)
{
    uint64_t now = herd_core__now(c), next = c->next_heartbeat;
    uint64_t lost_ms = herd_core__lost_ms(c);
    struct herd_link *p;
    herd_list_each(p, &c->reg.workers)
    {
        struct herd_worker *w = herd_container_of(p, struct herd_worker, link);
        if ((w->state == HERD_WORKER_CONNECTING || w->state == HERD_WORKER_READY ||
             w->state == HERD_WORKER_DRAINING) &&
            w->last_seen + lost_ms < next)
            next = w->last_seen + lost_ms;
    }
    uint64_t b = herd_core__next_backoff(c);
    if (b < next)
        next = b;
    b = herd_gjobs_next_deadline(c);
    if (b < next)
        next = b;
    return next > now ? next - now : 0;
}

void herd_core_stats(struct herd_core *c, struct herd_core_stats *out)
{
    *out = c->stats;
    out->illegal_transitions = c->ast.illegal + c->tst.illegal + c->jst.illegal + c->reg.illegal;
    out->jobs_in_memory = c->njobs;
}
