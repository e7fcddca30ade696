/* bfs — hop count from the source along out-arcs (both ways when the graph
 * is undirected). Min-combined int64 messages; every vertex halts at once
 * and wakes only when a shorter distance arrives. */
#include "graph/algo/algo.h"

#include <string.h>

static void init(struct herd_vctx *c, uint32_t v, void *value)
{
    (void)c;
    (void)v;
    int64_t inf = INT64_MAX;
    memcpy(value, &inf, sizeof inf);
}

static void compute(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                    uint32_t nmsgs)
{
    int64_t d, cur;
    memcpy(&cur, value, sizeof cur);
    if (herd_v_superstep(c) == 0) {
        d = v == herd_v_params(c)->source ? 0 : INT64_MAX;
    } else {
        d = INT64_MAX;
        if (nmsgs)
            memcpy(&d, msgs, sizeof d);
    }
    if (d < cur) {
        memcpy(value, &d, sizeof d);
        int64_t next = d + 1;
        herd_v_send_all(c, v, &next);
    }
    herd_v_halt(c);
}

static const struct herd_vertex_program prog = {
    .api = HERD_VERTEX_API,
    .name = "bfs",
    .help = "breadth-first search from --source",
    .value_size = sizeof(int64_t),
    .msg_size = sizeof(int64_t),
    .flags = HERD_VP_OUT_EDGES | HERD_VP_SOURCE,
    .combiner = HERD_COMBINE_MIN_I64,
    .value_type = HERD_VALUE_I64,
    .init = init,
    .compute = compute,
};

const struct herd_vertex_program *herd_algo_bfs(void)
{
    return &prog;
}
