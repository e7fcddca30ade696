/* lcc — local clustering coefficient (LDBC Graphalytics). N(v) is the set
 * of v's in- and out-neighbours without v; with d = |N(v)|,
 *   LCC(v) = |{(u,w) : u,w in N(v), u != w, arc u->w}| / (d (d-1)),
 * and 0 when d < 2. On an undirected graph each edge is two arcs, so this
 * is edges among neighbours / (d (d-1) / 2). Parallel arcs count once.
 * One superstep, no messages: each vertex reads its neighbours' out-arcs
 * directly (HERD_VP_GLOBAL_READ: the whole graph is in this process). */
#include "graph/algo/algo.h"

#include <stdlib.h>
#include <string.h>

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint32_t sort_unique(uint32_t *l, uint64_t n, uint32_t skip)
{
    qsort(l, n, sizeof *l, cmp_u32);
    uint32_t k = 0;
    for (uint64_t i = 0; i < n; i++)
        if (l[i] != skip && (k == 0 || l[k - 1] != l[i]))
            l[k++] = l[i];
    return k;
}

static int member(const uint32_t *l, uint32_t n, uint32_t x)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l[mid] == x)
            return 1;
        if (l[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Distinct w in N (w != u) with an arc u->w; `tmp` holds outdeg(u). */
static uint64_t links_from(const struct herd_vgraph *g, uint32_t u, const uint32_t *nb, uint32_t d,
                           uint32_t *tmp)
{
    uint64_t k = 0;
    for (uint64_t a = g->out_off[u]; a < g->out_off[u + 1]; a++) {
        uint32_t w = g->out_dst[a];
        if (w != u && member(nb, d, w))
            tmp[k++] = w;
    }
    return k ? sort_unique(tmp, k, u) : 0;
}

static void compute(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                    uint32_t nmsgs)
{
    (void)msgs;
    (void)nmsgs;
    const struct herd_vgraph *g = herd_v_graph(c);
    uint64_t dout = g->out_off[v + 1] - g->out_off[v];
    uint64_t din = g->directed ? g->in_off[v + 1] - g->in_off[v] : 0;
    uint32_t *nb = herd_v_scratch(c, (dout + din + 1) * sizeof *nb);
    double lcc = 0;
    herd_v_halt(c);
    if (nb == NULL)
        goto oom;
    memcpy(nb, g->out_dst + g->out_off[v], dout * sizeof *nb);
    if (din)
        memcpy(nb + dout, g->in_src + g->in_off[v], din * sizeof *nb);
    uint32_t d = sort_unique(nb, dout + din, v);
    if (d >= 2) {
        uint64_t maxdeg = 0;
        for (uint32_t i = 0; i < d; i++) {
            uint64_t du = g->out_off[nb[i] + 1] - g->out_off[nb[i]];
            maxdeg = du > maxdeg ? du : maxdeg;
        }
        nb = herd_v_scratch(c, (d + maxdeg + 1) * sizeof *nb); /* keeps nb's contents */
        if (nb == NULL)
            goto oom;
        uint64_t links = 0;
        for (uint32_t i = 0; i < d; i++)
            links += links_from(g, nb[i], nb, d, nb + d);
        lcc = (double)links / ((double)d * (double)(d - 1));
    }
    memcpy(value, &lcc, sizeof lcc);
    return;
oom:
    herd_v_fail(c, "lcc: out of memory");
}

static const struct herd_vertex_program prog = {
    .api = HERD_VERTEX_API,
    .name = "lcc",
    .help = "local clustering coefficient",
    .value_size = sizeof(double),
    .msg_size = 0,
    .flags = HERD_VP_OUT_EDGES | HERD_VP_IN_EDGES | HERD_VP_GLOBAL_READ,
    .value_type = HERD_VALUE_F64,
    .max_supersteps = 1,
    .compute = compute,
};

const struct herd_vertex_program *herd_algo_lcc(void)
{
    return &prog;
}
