/* wcc — weakly connected components. The label of a component is its
 * smallest dense id, printed as that vertex's input id (dense order is input
 * order, so this is the smallest input id in the component).
 *
 * Superstep path (distributed runs, --no-fast-path): a BFS from the vertex
 * of largest degree labels its component, then min-label propagation over
 * out- and in-arcs labels the rest (see "two phases" below).
 * solve() fast path: a concurrent union-find over the out-CSR where a root
 * is always linked under a smaller root (compare-and-swap), so every root
 * is its component's minimum and the labels equal the superstep path's. */
#include "graph/algo/algo.h"

#include <stdlib.h>
#include <string.h>

static void init(struct herd_vctx *c, uint32_t v, void *value)
{
    (void)c;
    memcpy(value, &v, sizeof v);
}

/* Sends label along every arc (out and, if directed, in) to the
 * neighbours it can lower: a neighbour w <= label already holds a label
 * <= w (labels never exceed the vertex's own id), so it is skipped. */
static void spread(struct herd_vctx *c, uint32_t v, uint32_t label)
{
    const struct herd_vgraph *g = herd_v_graph(c);
    for (uint64_t a = g->out_off[v]; a < g->out_off[v + 1]; a++)
        if (g->out_dst[a] > label)
            herd_v_send(c, g->out_dst[a], &label);
    if (!g->directed)
        return;
    for (uint64_t a = g->in_off[v]; a < g->in_off[v + 1]; a++)
        if (g->in_src[a] > label)
            herd_v_send(c, g->in_src[a], &label);
}

/* The smallest id among v and its neighbours (both directions): read from
 * v's own rows, so superstep 0 starts one hop ahead without messages. */
static uint32_t local_min(const struct herd_vgraph *g, uint32_t v)
{
    uint32_t m = v;
    for (uint64_t a = g->out_off[v]; a < g->out_off[v + 1]; a++)
        m = g->out_dst[a] < m ? g->out_dst[a] : m;
    if (g->directed)
        for (uint64_t a = g->in_off[v]; a < g->in_off[v + 1]; a++)
            m = g->in_src[a] < m ? g->in_src[a] : m;
    return m;
}

/* The superstep path runs in two phases, both ending in the same labels
 * as plain min-label propagation (each component's smallest id):
 *
 *  1. Pivot BFS. Superstep 0 elects the vertex of largest degree (ties:
 *     smallest id) through a MAX aggregator; from superstep 1 a BFS from it
 *     marks its component: a vertex reached for the first time sends one
 *     message along each of its arcs, once, so the component (in a power-law
 *     graph the giant one) costs one message per arc and direction, where
 *     label propagation resends on every drop of a label. Reached vertices
 *     feed their ids to a MIN aggregator each step; nobody halts. When a
 *     step reached no new vertex (COUNT aggregator), the BFS is over.
 *  2. The step after that, reached vertices take the MIN aggregate as
 *     their label and halt; the others (other components) run min-label
 *     propagation from their local_min, sending only when a label drops. */
#define REACHED UINT32_MAX /* value of a vertex the BFS reached, in phase 1 */

enum { AGG_PIVOT, AGG_NEW, AGG_MIN };

static const struct herd_agg_def aggs[] = {
    {"pivot", HERD_AGG_MAX, HERD_AGG_I64}, /* degree << 32 | ~id */
    {"reached", HERD_AGG_COUNT, HERD_AGG_I64},
    {"min_reached", HERD_AGG_MIN, HERD_AGG_I64},
};

static uint64_t degree(const struct herd_vgraph *g, uint32_t v)
{
    uint64_t d = g->out_off[v + 1] - g->out_off[v];
    if (g->directed)
        d += g->in_off[v + 1] - g->in_off[v];
    return d;
}

/* Every arc of v, both directions, without the label filter of spread()
 * (the engine's own loops: no per-message checks). */
static void send_every_arc(struct herd_vctx *c, uint32_t v)
{
    uint32_t zero = 0;
    herd_v_send_all(c, v, &zero);
    if (herd_v_graph(c)->directed)
        herd_v_send_in(c, v, &zero);
}

static void elect(struct herd_vctx *c, uint32_t v)
{
    uint64_t d = degree(herd_v_graph(c), v);
    if (d > 0x7fffffffu)
        d = 0x7fffffffu;
    herd_v_agg_i64(c, AGG_PIVOT, (int64_t)(d << 32 | (uint32_t)~v));
}

static void bfs_step(struct herd_vctx *c, uint32_t v, uint32_t *label, uint32_t nmsgs)
{
    int hit = herd_v_superstep(c) == 1 ? v == ~(uint32_t)herd_v_aggregate_i64(c, AGG_PIVOT)
                                         : nmsgs > 0;
    if (*label != REACHED && hit) {
        *label = REACHED;
        herd_v_agg_i64(c, AGG_NEW, 1);
        send_every_arc(c, v);
    }
    if (*label == REACHED)
        herd_v_agg_i64(c, AGG_MIN, v);
}

/* Phase 2: a vertex runs without messages only in its first step (every
 * vertex halts there), later only when a smaller label arrives. */
static void label_step(struct herd_vctx *c, uint32_t v, uint32_t *label, const void *msgs,
                       uint32_t nmsgs)
{
    uint32_t m;
    if (nmsgs == 0 && *label == REACHED) {
        *label = (uint32_t)herd_v_aggregate_i64(c, AGG_MIN);
        return;
    }
    if (nmsgs == 0)
        m = local_min(herd_v_graph(c), v);
    else
        memcpy(&m, msgs, sizeof m);
    if (m < *label) {
        *label = m;
        spread(c, v, m);
    }
}

static void compute(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                    uint32_t nmsgs)
{
    uint64_t s = herd_v_superstep(c);
    uint32_t label;
    memcpy(&label, value, sizeof label);
    if (s == 0) {
        elect(c, v);
    } else if (s == 1 || herd_v_aggregate_i64(c, AGG_NEW) > 0) {
        bfs_step(c, v, &label, nmsgs);
    } else {
        label_step(c, v, &label, msgs, nmsgs);
        herd_v_halt(c);
    }
    memcpy(value, &label, sizeof label);
}

/* --- union-find fast path --------------------------------------------- */

static uint32_t find(uint32_t *parent, uint32_t x)
{
    for (;;) {
        uint32_t p = __atomic_load_n(&parent[x], __ATOMIC_RELAXED);
        if (p == x)
            return x;
        uint32_t gp = __atomic_load_n(&parent[p], __ATOMIC_RELAXED);
        if (gp != p) /* path halving; parents only ever decrease */
            __atomic_store_n(&parent[x], gp, __ATOMIC_RELAXED);
        x = gp;
    }
}

static void unite(uint32_t *parent, uint32_t a, uint32_t b)
{
    for (;;) {
        a = find(parent, a);
        b = find(parent, b);
        if (a == b)
            return;
        if (a < b) {
            uint32_t t = a;
            a = b;
            b = t;
        }
        uint32_t expect = a; /* link the larger root under the smaller */
        if (__atomic_compare_exchange_n(&parent[a], &expect, b, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return;
    }
}

/* Afforest-style on undirected graphs: link every vertex's first SAMPLE
 * arcs, find the component most vertices already share, then link the
 * remaining arcs of vertices outside it only (an edge from inside to outside
 * is seen from its outside end). Directed graphs link every out-arc. */
#define SAMPLE 2

struct uf {
    uint32_t *parent;
    const struct herd_vgraph *g;
    int phase;        /* 0: first arcs (or all, directed), 1: the rest */
    uint32_t giant;   /* root skipped in phase 1 */
};

static void link_task(void *arg, uint32_t t, uint32_t nt)
{
    struct uf *u = arg;
    const struct herd_vgraph *g = u->g;
    uint32_t lo = (uint32_t)((uint64_t)g->n * t / nt), hi = (uint32_t)((uint64_t)g->n * (t + 1) / nt);
    for (uint32_t v = lo; v < hi; v++) {
        uint64_t a = g->out_off[v], b = g->out_off[v + 1];
        if (!g->directed && u->phase == 0 && b - a > SAMPLE)
            b = a + SAMPLE;
        else if (!g->directed && u->phase == 1) {
            if (b - a <= SAMPLE || find(u->parent, v) == u->giant)
                continue;
            a += SAMPLE;
        }
        for (; a < b; a++)
            unite(u->parent, v, g->out_dst[a]);
    }
}

static void label_task(void *arg, uint32_t t, uint32_t nt)
{
    struct uf *u = arg;
    uint32_t n = u->g->n;
    uint32_t lo = (uint32_t)((uint64_t)n * t / nt), hi = (uint32_t)((uint64_t)n * (t + 1) / nt);
    for (uint32_t v = lo; v < hi; v++)
        __atomic_store_n(&u->parent[v], find(u->parent, v), __ATOMIC_RELAXED);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The most frequent root among 1024 sampled vertices (after label_task). */
static uint32_t most_frequent(const uint32_t *parent, uint32_t n)
{
    uint32_t s[1024], best = 0, best_n = 0;
    uint64_t x = 0x2545f4914f6cdd1dULL;
    for (int i = 0; i < 1024; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        s[i] = parent[x % n];
    }
    qsort(s, 1024, sizeof *s, cmp_u32);
    for (uint32_t i = 0, j; i < 1024; i = j) {
        for (j = i; j < 1024 && s[j] == s[i]; j++)
            ;
        if (j - i > best_n) {
            best = s[i];
            best_n = j - i;
        }
    }
    return best;
}

static int solve(struct herd_vctx *c, void *values)
{
    struct uf u = {values, herd_v_graph(c), 0, 0};
    herd_v_parallel(c, link_task, &u);
    if (!u.g->directed && u.g->n > 0) {
        herd_v_parallel(c, label_task, &u);
        u.giant = most_frequent(u.parent, u.g->n);
        u.phase = 1;
        herd_v_parallel(c, link_task, &u);
    }
    herd_v_parallel(c, label_task, &u);
    return 0;
}

static const struct herd_vertex_program prog = {
    .api = HERD_VERTEX_API,
    .name = "wcc",
    .help = "weakly connected components",
    .value_size = sizeof(uint32_t),
    .msg_size = sizeof(uint32_t),
    .flags = HERD_VP_OUT_EDGES | HERD_VP_IN_EDGES,
    .combiner = HERD_COMBINE_MIN_U32,
    .value_type = HERD_VALUE_VERTEX,
    .init = init,
    .aggs = aggs,
    .naggs = sizeof aggs / sizeof aggs[0],
    .compute = compute,
    .solve = solve,
};

const struct herd_vertex_program *herd_algo_wcc(void)
{
    return &prog;
}
