/* core_evict — keeps the master's memory flat: a finished job (succeeded,
 * failed, canceled) stays in memory while it is among the newest
 * cfg.keep_finished finished jobs and younger than cfg.keep_finished_ms;
 * then its job, task and attempt records are freed. Everything stays in the
 * journal, and the views (core_view.c) answer evicted jobs from there. Late
 * messages about their attempts find no attempt id and are refused as for
 * any unknown attempt. */
#include "base/log.h"
#include "base/mem.h"
#include "master/core_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void herd_core__job_final(struct herd_core *c, struct herd_job *j)
{
    if (c->finhead > 0 && c->finhead * 2 >= c->nfin) { /* reclaim the consumed front */
        memmove(c->fin, c->fin + c->finhead, (c->nfin - c->finhead) * sizeof *c->fin);
        c->nfin -= c->finhead;
        c->finhead = 0;
    }
    herd_xgrow((void **)&c->fin, &c->capfin, c->nfin + 1, sizeof *c->fin);
    c->fin[c->nfin++] = (struct fin_ent){j->id, herd_core__now(c)};
}

/* 1 when no live attempt (a KILLING one after a cancel) still points into j. */
static int unreferenced(struct herd_core *c, const struct herd_job *j)
{
    size_t i = 0;
    uint64_t k;
    void *v;
    while (herd_u64map_next(&c->attempts, &i, &k, &v))
        if (((struct herd_attempt *)v)->task->job == j)
            return 0;
    return 1;
}

static void unlist(struct herd_core *c, const struct herd_job *j)
{
    size_t lo = 0, hi = c->njobs; /* joblist is ascending by id */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->joblist[mid]->id < j->id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->njobs && c->joblist[lo] == j) {
        memmove(c->joblist + lo, c->joblist + lo + 1, (c->njobs - lo - 1) * sizeof *c->joblist);
        c->njobs--;
    }
}

static void evict_one(struct herd_core *c, struct herd_job *j)
{
    herd_debug("master", "job %" PRIu64 " evicted from memory (%s, %u tasks)", j->id,
               herd_job_state_name(j->state), j->ntasks);
    herd_core__heap_drop_job(c, j);
    herd_u64map_del(&c->jobs, j->id);
    unlist(c, j);
    herd_job_destroy(j);
    c->stats.jobs_evicted++;
}

static int due(struct herd_core *c, const struct fin_ent *f, uint64_t now)
{
    return c->nfin - c->finhead > c->cfg.keep_finished || now >= f->at + c->cfg.keep_finished_ms;
}

void herd_core__evict(struct herd_core *c)
{
    uint64_t now = herd_core__now(c);
    while (c->finhead < c->nfin && due(c, &c->fin[c->finhead], now)) {
        struct herd_job *j = herd_u64map_get(&c->jobs, c->fin[c->finhead].job_id);
        if (j != NULL && !unreferenced(c, j))
            break; /* a KILL is unanswered: try again later */
        c->finhead++;
        if (j != NULL)
            evict_one(c, j);
    }
    if (c->finhead == c->nfin)
        c->finhead = c->nfin = 0;
}
