/* vctx — the calls a vertex program makes (include/herd/vertex.h), bound to
 * the engine's per-partition context. Each context is used by one thread at
 * a time; nothing here locks. Keep every herd_v_* function in this file: the
 * engine needs this object from libherd.a, so all of them end up in the herd
 * binary, which exports them (-rdynamic) to plugins that only the run loads. */
#include "graph/engine_int.h"

#include "base/mem.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int lane_sink(void *arg, struct herd_msgbatch *b)
{
    struct herd_lane_arg *l = arg;
    struct herd_engine *en = l->en;
    int rc = en->ex.ops->deliver(en->ex.impl, l->from, l->to, en->step, b);
    if (rc != HERD_OK)
        herd_msgbatch_free_list(b);
    return rc;
}

int herd_vctx_init(struct herd_vctx *c, struct herd_engine *en, struct herd_part *pt)
{
    memset(c, 0, sizeof *c);
    c->en = en;
    c->part = pt;
    if (pt == NULL || en->path != HERD_PATH_MESSAGES || en->prog->msg_size == 0)
        return HERD_OK;
    c->out = herd_xcalloc(en->nparts, sizeof *c->out);
    c->lanes = herd_xcalloc(en->nparts, sizeof *c->lanes);
    uint32_t slots = en->comb ? (en->nparts > 16 ? 256 : 1024) : 0;
    for (uint32_t q = 0; q < en->nparts; q++) {
        c->lanes[q] = (struct herd_lane_arg){en, pt->idx, q};
        int rc = herd_msgout_init(&c->out[q], en->prog->msg_size, en->comb, slots, lane_sink,
                                  &c->lanes[q]);
        if (rc != HERD_OK)
            return rc;
    }
    return HERD_OK;
}

void herd_vctx_fini(struct herd_vctx *c)
{
    if (c->out)
        for (uint32_t q = 0; q < c->en->nparts; q++)
            herd_msgout_fini(&c->out[q]);
    free(c->out);
    free(c->lanes);
    free(c->fail);
    free(c->scratch);
    memset(c, 0, sizeof *c);
}

void herd_vctx_set_error(struct herd_vctx *c, int rc, const char *msg)
{
    if (c->rc != HERD_OK)
        return;
    c->rc = rc;
    c->fail = herd_xstrdup(msg);
}

void herd_vctx_identity_aggs(union herd_aggval *a, uint32_t naggs, const struct herd_agg_def *d)
{
    for (uint32_t i = 0; i < naggs; i++) {
        int f = d[i].type == HERD_AGG_F64 && d[i].op != HERD_AGG_COUNT;
        switch (d[i].op) {
        case HERD_AGG_MIN:
            if (f)
                a[i].f = DBL_MAX;
            else
                a[i].i = INT64_MAX;
            break;
        case HERD_AGG_MAX:
            if (f)
                a[i].f = -DBL_MAX;
            else
                a[i].i = INT64_MIN;
            break;
        default:
            if (f)
                a[i].f = 0.0;
            else
                a[i].i = 0;
        }
    }
}

void herd_vctx_reset_aggs(struct herd_vctx *c)
{
    const struct herd_vertex_program *p = c->en->prog;
    herd_vctx_identity_aggs(c->agg, p->naggs, p->aggs);
}

static void agg_one(union herd_aggval *into, const struct herd_agg_def *d, union herd_aggval x)
{
    int f = d->type == HERD_AGG_F64 && d->op != HERD_AGG_COUNT;
    switch (d->op) {
    case HERD_AGG_SUM:
        if (f)
            into->f += x.f;
        else /* wraps modulo 2^64, as the SUM_I64 combiner does */
            into->i = (int64_t)((uint64_t)into->i + (uint64_t)x.i);
        break;
    case HERD_AGG_COUNT:
        into->i += x.i;
        break;
    case HERD_AGG_MIN:
        if (f ? x.f < into->f : x.i < into->i)
            *into = x;
        break;
    case HERD_AGG_MAX:
        if (f ? x.f > into->f : x.i > into->i)
            *into = x;
        break;
    }
}

void herd_vctx_merge_aggs(union herd_aggval *into, const struct herd_vctx *c, uint32_t naggs,
                          const struct herd_agg_def *defs)
{
    for (uint32_t i = 0; i < naggs; i++)
        agg_one(&into[i], &defs[i], c->agg[i]);
}

/* --- the public calls -------------------------------------------------- */

const struct herd_vgraph *herd_v_graph(const struct herd_vctx *c)
{
    return &c->en->view;
}

const struct herd_vparams *herd_v_params(const struct herd_vctx *c)
{
    return &c->en->params;
}

uint64_t herd_v_superstep(const struct herd_vctx *c)
{
    return c->en->step;
}

uint64_t herd_v_id(const struct herd_vctx *c, uint32_t v)
{
    return herd_graph_id(c->en->g, v);
}

uint32_t herd_v_out_degree(const struct herd_vctx *c, uint32_t v)
{
    const struct herd_engine *en = c->en;
    if (en->outdeg)
        return en->outdeg[v];
    return (uint32_t)(en->view.out_off[v + 1] - en->view.out_off[v]);
}

static int can_send(struct herd_vctx *c)
{
    if (c->part == NULL || c->en->prog->msg_size == 0) {
        herd_vctx_set_error(c, HERD_EINVAL, "send outside compute() or with msg_size 0");
        return 0;
    }
    return c->rc == HERD_OK;
}

static void put(struct herd_vctx *c, uint32_t to, const void *msg)
{
    if (c->dense) {
        herd_msgdense_put(c->dense, to, msg);
        c->sent++;
        return;
    }
    int rc = herd_msgout_put(&c->out[herd_engine_owner(c->en, to)], to, msg);
    if (rc != HERD_OK)
        herd_vctx_set_error(c, rc, "send: out of memory");
    c->sent++;
}

/* msg to nb[a] for a in [a, b): one arc row of send_all / send_in. */
static void put_arcs(struct herd_vctx *c, const uint32_t *nb, uint64_t a, uint64_t b,
                     const void *msg)
{
    struct herd_msgdense *d = c->dense;
    if (d && d->kind == HERD_COMBINE_MIN_U32) {
        uint32_t m;
        memcpy(&m, msg, 4);
        c->sent += b - a;
        if (a < b && herd_msgdense_mode_for(d, m))
            for (; a < b; a++)
                herd_msgdense_claim(d, nb[a]);
        else
            for (; a < b; a++)
                herd_msgdense_min_u32(d, nb[a], m);
        return;
    }
    for (; a < b; a++)
        put(c, nb[a], msg);
}

void herd_v_send(struct herd_vctx *c, uint32_t to, const void *msg)
{
    if (!can_send(c))
        return;
    if (c->en->path != HERD_PATH_MESSAGES) {
        herd_vctx_set_error(c, HERD_EINVAL, "herd_v_send() used by a pull-mode program");
        return;
    }
    if (to >= c->en->view.n) {
        herd_vctx_set_error(c, HERD_EINVAL, "send to a vertex that does not exist");
        return;
    }
    put(c, to, msg);
}

static void pull_emit(struct herd_vctx *c, uint32_t v, const void *msg)
{
    struct herd_engine *en = c->en;
    if (v != c->cur) {
        herd_vctx_set_error(c, HERD_EINVAL, "pull mode: send_all for another vertex");
        return;
    }
    unsigned par = en->step & 1;
    double x;
    memcpy(&x, msg, sizeof x);
    if (en->emitted[par][v]) {
        en->comb(&en->contrib[par][v], &x);
        return;
    }
    en->emitted[par][v] = 1;
    en->contrib[par][v] = x;
    c->emitters++;
    c->sent += herd_v_out_degree(c, v);
}

void herd_v_send_all(struct herd_vctx *c, uint32_t v, const void *msg)
{
    if (!can_send(c))
        return;
    if (c->en->path == HERD_PATH_PULL) {
        pull_emit(c, v, msg);
        return;
    }
    const struct herd_vgraph *g = &c->en->view;
    if (g->out_off == NULL) {
        herd_vctx_set_error(c, HERD_EINVAL, "send_all without HERD_VP_OUT_EDGES");
        return;
    }
    put_arcs(c, g->out_dst, g->out_off[v], g->out_off[v + 1], msg);
}

void herd_v_send_in(struct herd_vctx *c, uint32_t v, const void *msg)
{
    if (!can_send(c))
        return;
    const struct herd_vgraph *g = &c->en->view;
    if (c->en->path != HERD_PATH_MESSAGES || g->in_off == NULL) {
        herd_vctx_set_error(c, HERD_EINVAL, "send_in without HERD_VP_IN_EDGES or in pull mode");
        return;
    }
    put_arcs(c, g->in_src, g->in_off[v], g->in_off[v + 1], msg);
}

void herd_v_halt(struct herd_vctx *c)
{
    c->vote = 1;
}

/* A double as int64: truncated, saturated at the ends, NaN as 0 (a plain
 * cast is undefined outside the int64 range). */
static int64_t to_i64(double x)
{
    if (!(x == x))
        return 0;
    if (x >= 0x1p63)
        return INT64_MAX;
    if (x < -0x1p63)
        return INT64_MIN;
    return (int64_t)x;
}

/* Contributes x to aggregator i (COUNT ignores x). */
static void contribute(struct herd_vctx *c, uint32_t i, int is_f64, int64_t xi, double xf)
{
    const struct herd_vertex_program *p = c->en->prog;
    if (i >= p->naggs) {
        herd_vctx_set_error(c, HERD_EINVAL, "aggregator index out of range");
        return;
    }
    union herd_aggval v;
    if (p->aggs[i].op == HERD_AGG_COUNT)
        v.i = 1;
    else if (p->aggs[i].type == HERD_AGG_F64)
        v.f = is_f64 ? xf : (double)xi;
    else
        v.i = is_f64 ? to_i64(xf) : xi;
    agg_one(&c->agg[i], &p->aggs[i], v);
}

void herd_v_agg_i64(struct herd_vctx *c, uint32_t i, int64_t x)
{
    contribute(c, i, 0, x, 0.0);
}

void herd_v_agg_f64(struct herd_vctx *c, uint32_t i, double x)
{
    contribute(c, i, 1, 0, x);
}

int64_t herd_v_aggregate_i64(const struct herd_vctx *c, uint32_t i)
{
    return herd_engine_agg_i64(c->en, i);
}

double herd_v_aggregate_f64(const struct herd_vctx *c, uint32_t i)
{
    return herd_engine_agg_f64(c->en, i);
}

void *herd_v_scratch(struct herd_vctx *c, size_t size)
{
    if (size <= c->scratch_cap)
        return c->scratch;
    size_t cap = size + size / 2;
    void *p = realloc(c->scratch, cap);
    if (p == NULL)
        return NULL;
    c->scratch = p;
    c->scratch_cap = cap;
    return p;
}

void herd_v_fail(struct herd_vctx *c, const char *msg)
{
    herd_vctx_set_error(c, HERD_EINVAL, msg ? msg : "program failed");
}

void herd_v_parallel(struct herd_vctx *c, void (*fn)(void *arg, uint32_t t, uint32_t nthreads),
                     void *arg)
{
    if (c->part != NULL) {
        herd_vctx_set_error(c, HERD_EINVAL, "herd_v_parallel() inside compute()");
        return;
    }
    herd_pool_run(c->en->pool, fn, arg);
}
