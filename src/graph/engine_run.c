/* engine_run — the superstep loop, the master step between supersteps, the
 * solve() fast path and the engine's read-only accessors. */
#include "graph/engine_int.h"

#include "base/log.h"
#include "base/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* First error of any context, in partition order. */
static int first_error(struct herd_engine *en, const char *what, struct herd_err *e)
{
    for (uint32_t i = 0; i < en->nparts; i++) {
        const struct herd_vctx *c = &en->parts[i].ctx;
        if (c->rc != HERD_OK)
            return herd_err_set(e, c->rc, "%s: %s, superstep %" PRIu64 ", partition %u: %s",
                                en->job, what, en->step, i, c->fail ? c->fail : "failed");
    }
    if (en->master.rc != HERD_OK)
        return herd_err_set(e, en->master.rc, "%s: %s: %s", en->job, what,
                            en->master.fail ? en->master.fail : "failed");
    return HERD_OK;
}

static uint64_t exchanged_total(const struct herd_engine *en)
{
    uint64_t t = 0;
    for (uint32_t i = 0; i < en->nparts; i++)
        for (uint32_t q = 0; en->parts[i].ctx.out && q < en->nparts; q++)
            t += en->parts[i].ctx.out[q].records;
    return t;
}

/* Merges what the partitions did in this superstep; returns emitters. */
static uint64_t merge_step(struct herd_engine *en, struct herd_step_stats *st)
{
    const struct herd_vertex_program *p = en->prog;
    uint64_t emitters = 0;
    herd_vctx_identity_aggs(en->agg, p->naggs, p->aggs);
    memset(st, 0, sizeof *st);
    st->step = en->step;
    for (uint32_t i = 0; i < en->nparts; i++) {
        const struct herd_part *pt = &en->parts[i];
        herd_vctx_merge_aggs(en->agg, &pt->ctx, p->naggs, p->aggs);
        st->computed += pt->computed;
        st->active += pt->nactive;
        st->sent += pt->ctx.sent;
        emitters += pt->ctx.emitters;
    }
    return emitters;
}

static void record(struct herd_engine *en, const struct herd_step_stats *st)
{
    herd_xgrow((void **)&en->stats, &en->stats_cap, en->nstats + 1, sizeof *en->stats);
    en->stats[en->nstats++] = *st;
    char info[200];
    snprintf(info, sizeof info,
             "step=%" PRIu64 " computed=%" PRIu64 " active=%" PRIu64 " sent=%" PRIu64
             " exchanged=%" PRIu64 " ms=%.3f",
             st->step, st->computed, st->active, st->sent, st->exchanged, st->ms);
    herd_event("superstep", en->job, NULL, NULL, info);
    herd_debug("engine", "%s: %s", en->job, info);
}

static int superstep_loop(struct herd_engine *en, struct herd_err *e)
{
    uint64_t exch_before = 0;
    for (en->step = 0;; en->step++) {
        double t0 = now_ms();
        herd_step_each_part(en, herd_step_part);
        struct herd_step_stats st;
        en->emitters_prev = merge_step(en, &st);
        uint64_t exch = exchanged_total(en);
        st.exchanged = exch - exch_before;
        exch_before = exch;
        int rc = first_error(en, "compute", e);
        if (rc != HERD_OK)
            return rc;
        int stop = st.active == 0 && st.sent == 0;
        if (en->prog->master && en->prog->master(&en->master) == HERD_VM_STOP)
            stop = 1;
        rc = first_error(en, "master hook", e);
        st.ms = now_ms() - t0;
        record(en, &st);
        if (rc != HERD_OK)
            return rc;
        if (stop || (en->max_steps && en->step + 1 >= en->max_steps))
            return HERD_OK;
    }
}

static int run_solve(struct herd_engine *en, struct herd_err *e)
{
    double t0 = now_ms();
    int rc = en->prog->solve(&en->master, en->values);
    int rc2 = first_error(en, "solve", e);
    if (rc2 != HERD_OK)
        return rc2;
    if (rc != 0)
        return herd_err_set(e, HERD_EINVAL, "%s: solve() failed", en->job);
    struct herd_step_stats st = {0};
    st.computed = en->view.n;
    st.ms = now_ms() - t0;
    record(en, &st);
    return HERD_OK;
}

int herd_engine_run(struct herd_engine *en, struct herd_err *e)
{
    if (en->ran)
        return herd_err_set(e, HERD_EINVAL, "%s: engine already ran", en->job);
    en->ran = 1;
    en->step = 0;
    herd_step_each_part(en, herd_step_init_part);
    int rc = first_error(en, "init", e);
    if (rc != HERD_OK)
        return rc;
    herd_debug("engine", "%s: %u vertices, %" PRIu64 " arcs, %u partitions, %u threads, %s path",
              en->job, en->view.n, en->view.m, en->nparts, en->threads,
              herd_engine_path_name(en->path));
    if (en->path == HERD_PATH_SOLVE)
        return run_solve(en, e);
    return superstep_loop(en, e);
}

const void *herd_engine_value(const struct herd_engine *en, uint32_t v)
{
    return herd_engine_val(en, v);
}

const struct herd_step_stats *herd_engine_stats(const struct herd_engine *en, size_t *nsteps)
{
    *nsteps = en->nstats;
    return en->stats;
}

enum herd_engine_path herd_engine_path(const struct herd_engine *en)
{
    return en->path;
}

const char *herd_engine_path_name(enum herd_engine_path p)
{
    switch (p) {
    case HERD_PATH_MESSAGES:
        return "messages";
    case HERD_PATH_PULL:
        return "pull";
    case HERD_PATH_SOLVE:
        return "solve";
    }
    return "?";
}

uint32_t herd_engine_threads(const struct herd_engine *en)
{
    return en->threads;
}

uint32_t herd_engine_partitions(const struct herd_engine *en)
{
    return en->nparts;
}

int64_t herd_engine_agg_i64(const struct herd_engine *en, uint32_t i)
{
    return i < en->prog->naggs ? en->agg[i].i : 0;
}

double herd_engine_agg_f64(const struct herd_engine *en, uint32_t i)
{
    return i < en->prog->naggs ? en->agg[i].f : 0.0;
}
