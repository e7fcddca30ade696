/* degree — an example herd vertex program (a plugin): each vertex's total
 * degree (out-arcs + in-arcs, with multiplicity), found with messages
 * rather than by reading the in-CSR, plus the largest degree through an
 * aggregator and a master hook that logs it.
 *
 * Build: `make` (the Makefile turns examples/x/y.c into build/examples/x/y.so)
 * Run:   herd run build/examples/degree-plugin/degree.so GRAPH [--undirected]
 */
#include "herd/vertex.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum { AGG_MAX_DEGREE };

static const struct herd_agg_def aggs[] = {{"max-degree", HERD_AGG_MAX, HERD_AGG_I64}};

static void compute(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                    uint32_t nmsgs)
{
    int64_t deg;
    if (herd_v_superstep(c) == 0) {
        /* tell every out-neighbour "one arc comes to you" */
        int64_t one = 1;
        deg = herd_v_out_degree(c, v);
        herd_v_send_all(c, v, &one);
    } else {
        /* the combiner summed all the ones sent to v into one message */
        int64_t in = 0;
        memcpy(&deg, value, sizeof deg);
        if (nmsgs)
            memcpy(&in, msgs, sizeof in);
        deg += in;
    }
    memcpy(value, &deg, sizeof deg);
    herd_v_agg_i64(c, AGG_MAX_DEGREE, deg);
    herd_v_halt(c); /* a message wakes v up again in superstep 1 */
}

static int master(struct herd_vctx *c)
{
    if (herd_v_superstep(c) == 1)
        fprintf(stderr, "degree: largest degree %" PRId64 "\n",
                herd_v_aggregate_i64(c, AGG_MAX_DEGREE));
    return HERD_VM_CONTINUE;
}

static const struct herd_vertex_program program = {
    .api = HERD_VERTEX_API,
    .name = "degree",
    .help = "total degree of every vertex (example plugin)",
    .value_size = sizeof(int64_t),
    .msg_size = sizeof(int64_t),
    .flags = HERD_VP_OUT_EDGES,
    .combiner = HERD_COMBINE_SUM_I64,
    .value_type = HERD_VALUE_I64,
    .aggs = aggs,
    .naggs = 1,
    .compute = compute,
    .master = master,
};

const struct herd_vertex_program *herd_plugin_program(void)
{
    return &program;
}
