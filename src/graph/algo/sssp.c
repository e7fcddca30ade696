/* sssp — weighted shortest-path distances from the source (Bellman-Ford
 * style relaxation in supersteps, min-combined). Weights must not be
 * negative; a graph without weights has weight 1 on every arc. */
#include "graph/algo/algo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int setup(struct herd_vparams *p, const struct herd_vgraph *g, char *err, size_t cap)
{
    (void)p;
    for (uint64_t a = 0; g->out_w && a < g->m; a++)
        if (!(g->out_w[a] >= 0)) {
            snprintf(err, cap, "negative or NaN arc weight (%g)", g->out_w[a]);
            return -1;
        }
    return 0;
}

static void init(struct herd_vctx *c, uint32_t v, void *value)
{
    (void)c;
    (void)v;
    double inf = INFINITY;
    memcpy(value, &inf, sizeof inf);
}

static void relax(struct herd_vctx *c, uint32_t v, double d)
{
    const struct herd_vgraph *g = herd_v_graph(c);
    for (uint64_t a = g->out_off[v]; a < g->out_off[v + 1]; a++) {
        double next = d + (g->out_w ? g->out_w[a] : 1.0);
        herd_v_send(c, g->out_dst[a], &next);
    }
}

static void compute(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                    uint32_t nmsgs)
{
    double d = INFINITY, cur;
    memcpy(&cur, value, sizeof cur);
    if (herd_v_superstep(c) == 0) {
        if (v == herd_v_params(c)->source)
            d = 0.0;
    } else if (nmsgs) {
        memcpy(&d, msgs, sizeof d);
    }
    if (d < cur) {
        memcpy(value, &d, sizeof d);
        relax(c, v, d);
    }
    herd_v_halt(c);
}

static const struct herd_vertex_program prog = {
    .api = HERD_VERTEX_API,
    .name = "sssp",
    .help = "single-source shortest paths from --source",
    .value_size = sizeof(double),
    .msg_size = sizeof(double),
    .flags = HERD_VP_OUT_EDGES | HERD_VP_WEIGHTS | HERD_VP_SOURCE,
    .combiner = HERD_COMBINE_MIN_F64,
    .value_type = HERD_VALUE_F64,
    .setup = setup,
    .init = init,
    .compute = compute,
};

const struct herd_vertex_program *herd_algo_sssp(void)
{
    return &prog;
}
