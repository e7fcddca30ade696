/* cdlp — community detection by synchronous label propagation (LDBC
 * Graphalytics). Labels start as the vertex itself (dense id, printed as
 * its input id; ties go to the smallest input id, whatever the numbering). Each
 * iteration a vertex takes the most frequent label among its neighbours'
 * previous labels, counting in- and out-neighbours with multiplicity, ties
 * to the smallest label; a vertex with no neighbours keeps its label.
 * Superstep 0 sends the first labels; superstep i computes iteration i. */
#include "graph/algo/algo.h"

#include <stdlib.h>
#include <string.h>

static int setup(struct herd_vparams *p, const struct herd_vgraph *g, char *err, size_t cap)
{
    (void)g;
    (void)err;
    (void)cap;
    if (p->iterations == 0)
        p->iterations = 10;
    p->supersteps = p->iterations + 1; /* supersteps 0..iterations */
    return 0;
}

static void init(struct herd_vctx *c, uint32_t v, void *value)
{
    (void)c;
    memcpy(value, &v, sizeof v);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Most frequent label, ties to the smallest INPUT id (under hash
 * partitioning dense order is not input-id order); sorts `l` in place. */
static uint32_t mode(const struct herd_vctx *c, uint32_t *l, uint32_t n)
{
    qsort(l, n, sizeof *l, cmp_u32);
    uint32_t best = l[0], best_n = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j < n && l[j] == l[i])
            j++;
        if (j - i > best_n || (j - i == best_n && herd_v_id(c, l[i]) < herd_v_id(c, best))) {
            best = l[i];
            best_n = j - i;
        }
        i = j;
    }
    return best;
}

static void compute(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                    uint32_t nmsgs)
{
    uint32_t label;
    memcpy(&label, value, sizeof label);
    if (herd_v_superstep(c) > 0 && nmsgs) {
        uint32_t *l = herd_v_scratch(c, (size_t)nmsgs * sizeof *l);
        if (l == NULL) {
            herd_v_fail(c, "cdlp: out of memory");
            return;
        }
        memcpy(l, msgs, (size_t)nmsgs * sizeof *l);
        label = mode(c, l, nmsgs);
        memcpy(value, &label, sizeof label);
    }
    if (herd_v_superstep(c) >= herd_v_params(c)->iterations) {
        herd_v_halt(c);
        return;
    }
    herd_v_send_all(c, v, &label);
    if (herd_v_graph(c)->directed)
        herd_v_send_in(c, v, &label);
}

static const struct herd_vertex_program prog = {
    .api = HERD_VERTEX_API,
    .name = "cdlp",
    .help = "label propagation communities: --iterations 10",
    .value_size = sizeof(uint32_t),
    .msg_size = sizeof(uint32_t),
    .flags = HERD_VP_OUT_EDGES | HERD_VP_IN_EDGES,
    .combiner = HERD_COMBINE_NONE,
    .value_type = HERD_VALUE_VERTEX,
    .setup = setup,
    .init = init,
    .compute = compute,
};

const struct herd_vertex_program *herd_algo_cdlp(void)
{
    return &prog;
}
