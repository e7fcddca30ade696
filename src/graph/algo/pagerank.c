/* pagerank — LDBC Graphalytics PageRank for a fixed number of iterations:
 *   PR_0 = 1/N,  PR_i(v) = (1-d)/N + d * sum_{u->v} PR_{i-1}(u)/outdeg(u)
 *                          + d/N * sum_{dangling w} PR_{i-1}(w)
 * Superstep s computes PR_s; the dangling sum travels in aggregator 0 (its
 * value from superstep s-1 is read in s). Every vertex, dangling ones too,
 * calls send_all every superstep (a dangling vertex sends to nobody), which
 * lets the engine's pull path skip per-arc "did u send" checks.
 * compute_range() is the same computation over a run of vertices (the
 * engine's pull fast path); it evaluates the same expressions, so both give
 * the same values but for the order in which the dangling sum is added. */
#include "graph/algo/algo.h"

#include <stdio.h>
#include <string.h>

static const struct herd_agg_def aggs[] = {{"dangling", HERD_AGG_SUM, HERD_AGG_F64}};

static int setup(struct herd_vparams *p, const struct herd_vgraph *g, char *err, size_t cap)
{
    (void)g;
    if (p->iterations == 0)
        p->iterations = 20;
    p->supersteps = p->iterations + 1; /* supersteps 0..iterations */
    if (p->damping == 0)
        p->damping = 0.85;
    if (!(p->damping > 0 && p->damping <= 1)) {
        snprintf(err, cap, "--damping must be in (0, 1], not %g", p->damping);
        return -1;
    }
    return 0;
}

static void compute(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                    uint32_t nmsgs)
{
    const struct herd_vparams *p = herd_v_params(c);
    double n = (double)herd_v_graph(c)->n, d = p->damping, pr;
    uint64_t s = herd_v_superstep(c);
    if (s == 0) {
        pr = 1.0 / n;
    } else {
        double sum = 0;
        if (nmsgs)
            memcpy(&sum, msgs, sizeof sum);
        pr = (1.0 - d) / n + d * sum + d * herd_v_aggregate_f64(c, 0) / n;
    }
    memcpy(value, &pr, sizeof pr);
    if (s >= p->iterations) {
        herd_v_halt(c);
        return;
    }
    uint32_t deg = herd_v_out_degree(c, v);
    double share = deg ? pr / deg : 0.0;
    if (deg == 0)
        herd_v_agg_f64(c, 0, pr);
    herd_v_send_all(c, v, &share);
}

static unsigned compute_range(struct herd_vctx *c, const struct herd_vrange *r)
{
    const struct herd_vparams *p = herd_v_params(c);
    double n = (double)herd_v_graph(c)->n, d = p->damping;
    double base = (1.0 - d) / n, extra = d * herd_v_aggregate_f64(c, 0) / n;
    uint64_t s = herd_v_superstep(c);
    uint32_t k = r->hi - r->lo;
    double *val = r->values, dangling = 0.0;
    for (uint32_t i = 0; i < k; i++) {
        double sum = r->msg ? r->msg[i] : 0.0;
        val[i] = s == 0 ? 1.0 / n : base + d * sum + extra;
    }
    if (s >= p->iterations)
        return HERD_VR_HALT;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t deg = r->outdeg[i];
        r->send[i] = deg ? val[i] / deg : 0.0;
        if (deg == 0)
            dangling += val[i];
    }
    herd_v_agg_f64(c, 0, dangling);
    return HERD_VR_SENT;
}

static const struct herd_vertex_program prog = {
    .api = HERD_VERTEX_API,
    .name = "pagerank",
    .help = "PageRank (LDBC): --iterations 20 --damping 0.85",
    .value_size = sizeof(double),
    .msg_size = sizeof(double),
    .flags = HERD_VP_OUT_EDGES | HERD_VP_PULL,
    .combiner = HERD_COMBINE_SUM_F64,
    .value_type = HERD_VALUE_F64,
    .aggs = aggs,
    .naggs = 1,
    .setup = setup,
    .compute = compute,
    .compute_range = compute_range,
};

const struct herd_vertex_program *herd_algo_pagerank(void)
{
    return &prog;
}
