/* engine_dist — the distributed face of the vertex engine (engine_dist.h):
 * the same partitions, partition tasks and vertex contexts as the
 * one-process engine, but only the owned partitions run, supersteps are
 * released one by one from outside, and the exchange is the caller's. */
#include "graph/engine_dist.h"

#include "graph/engine_int.h"

#include "base/mem.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int herd_engine_dist_pull_capable(const struct herd_vertex_program *p)
{
    return (p->flags & HERD_VP_PULL) && p->solve == NULL && p->msg_size == 8 &&
           (p->combiner == HERD_COMBINE_SUM_F64 || p->combiner == HERD_COMBINE_MIN_F64);
}

int herd_engine_dist_create(const struct herd_graph *g, const struct herd_vertex_program *prog,
                            const struct herd_vparams *params, uint32_t threads,
                            uint32_t nparts, const uint32_t *bounds, const uint8_t *owned,
                            int pull, struct herd_exchange x, const char *job,
                            struct herd_engine **out, struct herd_err *e)
{
    if (g->partial && (prog->flags & HERD_VP_GLOBAL_READ)) {
        x.ops->destroy(x.impl);
        return herd_err_set(e, HERD_EINVAL, "%s reads other vertices' arcs: it needs the whole "
                            "graph on every worker", prog->name);
    }
    struct herd_engine_opts o = {.threads = threads, .partitions = nparts, .bounds = bounds,
                                 .no_fast_path = !(pull && herd_engine_dist_pull_capable(prog)),
                                 .job = job};
    struct herd_engine *en;
    int rc = herd_engine_create(g, prog, params, &o, &en, e);
    if (rc != HERD_OK) {
        x.ops->destroy(x.impl);
        return rc;
    }
    if (en->have_ex)
        en->ex.ops->destroy(en->ex.impl);
    en->ex = x;
    en->have_ex = 1;
    en->owned = herd_xmalloc(en->nparts);
    memcpy(en->owned, owned, en->nparts);
    en->ran = 1;
    *out = en;
    return HERD_OK;
}

static int first_error(struct herd_engine *en, const char *what, struct herd_err *e)
{
    for (uint32_t i = 0; i < en->nparts; i++) {
        const struct herd_vctx *c = &en->parts[i].ctx;
        if (en->owned[i] && c->rc != HERD_OK)
            return herd_err_set(e, c->rc, "%s: %s, superstep %" PRIu64 ", partition %u: %s",
                                en->job, what, en->step, i, c->fail ? c->fail : "failed");
    }
    if (en->master.rc != HERD_OK)
        return herd_err_set(e, en->master.rc, "%s: %s: %s", en->job, what,
                            en->master.fail ? en->master.fail : "failed");
    return HERD_OK;
}

int herd_engine_dist_init(struct herd_engine *en, struct herd_err *e)
{
    en->step = 0;
    herd_step_each_part(en, herd_step_init_part);
    return first_error(en, "init", e);
}

int herd_engine_dist_hook(struct herd_engine *en, uint64_t step, const uint64_t *aggs,
                          int *stop, struct herd_err *e)
{
    for (uint32_t i = 0; i < en->prog->naggs; i++)
        memcpy(&en->agg[i], &aggs[i], 8);
    en->step = step;
    *stop = 0;
    if (en->prog->master && en->prog->master(&en->master) == HERD_VM_STOP)
        *stop = 1;
    return first_error(en, "master hook", e);
}

static void part_stats(const struct herd_engine *en, const struct herd_part *pt,
                       struct herd_dist_part_stats *st)
{
    memset(st, 0, sizeof *st);
    st->computed = pt->computed;
    st->active = pt->nactive;
    st->sent = pt->ctx.sent;
    for (uint32_t q = 0; pt->ctx.out && q < en->nparts; q++)
        st->exchanged += pt->ctx.out[q].records;
    for (uint32_t i = 0; i < en->prog->naggs; i++)
        memcpy(&st->agg[i], &pt->ctx.agg[i], 8);
}

int herd_engine_dist_step(struct herd_engine *en, uint64_t step,
                          struct herd_dist_part_stats *stats, struct herd_err *e)
{
    en->step = step;
    herd_step_each_part(en, herd_step_part);
    int rc = first_error(en, "compute", e);
    if (rc != HERD_OK)
        return rc;
    for (uint32_t p = 0; p < en->nparts; p++)
        if (en->owned[p])
            part_stats(en, &en->parts[p], &stats[p]);
    return HERD_OK;
}

int herd_engine_dist_pulls(const struct herd_engine *en)
{
    return en->path == HERD_PATH_PULL;
}

void herd_engine_dist_pull_arrays(struct herd_engine *en, double *contrib[2], uint8_t *emitted[2])
{
    for (int k = 0; k < 2; k++) {
        contrib[k] = en->contrib[k];
        emitted[k] = en->emitted[k];
    }
}

size_t herd_engine_dist_pull_bytes(uint32_t n)
{
    return (size_t)(n ? n : 1) * (2 * sizeof(double) + 2);
}

int herd_engine_dist_share_pull(struct herd_engine *en, void *mem, size_t len,
                                struct herd_err *e)
{
    size_t n = en->view.n ? en->view.n : 1;
    if (en->path != HERD_PATH_PULL || en->pull_shared)
        return herd_err_set(e, HERD_EINVAL, "%s: no pull arrays to share", en->job);
    if (len < herd_engine_dist_pull_bytes(en->view.n) || (uintptr_t)mem % sizeof(double))
        return herd_err_set(e, HERD_EINVAL, "%s: %zu bytes for the pull arrays of %zu vertices",
                            en->job, len, n);
    uint8_t *b = mem;
    for (int k = 0; k < 2; k++) {
        free(en->contrib[k]);
        free(en->emitted[k]);
        en->contrib[k] = (double *)(void *)(b + (size_t)k * n * sizeof(double));
        en->emitted[k] = b + 2 * n * sizeof(double) + (size_t)k * n;
    }
    en->pull_shared = 1;
    return HERD_OK;
}

void herd_engine_dist_count_emitters(struct herd_engine *en, uint64_t step)
{
    const uint8_t *em = en->emitted[step & 1];
    uint64_t n = 0;
    for (uint32_t v = 0; v < en->view.n; v++)
        n += em[v];
    en->emitters_prev = n;
}

const uint32_t *herd_engine_dist_bounds(const struct herd_engine *en)
{
    return en->bounds;
}

uint32_t herd_engine_dist_nvertices(const struct herd_engine *en)
{
    return en->view.n;
}

void herd_engine_dist_range(const struct herd_engine *en, uint32_t p, uint32_t *lo, uint32_t *hi)
{
    *lo = en->bounds[p];
    *hi = en->bounds[p + 1];
}

uint32_t herd_engine_dist_value_size(const struct herd_engine *en)
{
    return en->prog->value_size;
}

uint32_t herd_engine_dist_msg_size(const struct herd_engine *en)
{
    return en->prog->msg_size;
}

herd_combine_fn herd_engine_dist_combiner(const struct herd_engine *en)
{
    return en->comb;
}

uint32_t herd_engine_dist_naggs(const struct herd_engine *en)
{
    return en->prog->naggs;
}

void herd_engine_dist_agg_kind(const struct herd_engine *en, uint32_t i, uint8_t *op,
                               uint8_t *type)
{
    *op = (uint8_t)en->prog->aggs[i].op;
    *type = (uint8_t)en->prog->aggs[i].type;
}

uint32_t herd_engine_dist_max_steps(const struct herd_engine *en)
{
    return en->max_steps;
}

void herd_engine_dist_state(const struct herd_engine *en, uint32_t p, const uint8_t **values,
                            const uint8_t **halted)
{
    *values = herd_engine_val(en, en->bounds[p]);
    *halted = en->halted + en->bounds[p];
}

int herd_engine_dist_restore(struct herd_engine *en, uint32_t p, const uint8_t *values,
                             size_t vlen, const uint8_t *halted, size_t hlen,
                             struct herd_err *e)
{
    struct herd_part *pt = &en->parts[p];
    size_t n = pt->hi - pt->lo;
    if (vlen != n * en->prog->value_size || hlen != n)
        return herd_err_set(e, HERD_EINVAL, "partition %u: checkpoint holds %zu values, want %zu",
                            p, hlen, n);
    memcpy(herd_engine_val(en, pt->lo), values, vlen);
    memcpy(en->halted + pt->lo, halted, n);
    pt->nactive = 0;
    for (size_t i = 0; i < n; i++)
        pt->nactive += halted[i] == 0;
    return HERD_OK;
}

int herd_engine_dist_write_part(struct herd_engine *en, uint32_t p, FILE *f, struct herd_err *e)
{
    return herd_engine_write_range(en, en->bounds[p], en->bounds[p + 1], f, e);
}
