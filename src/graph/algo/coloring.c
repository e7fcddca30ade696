/* coloring — Jones-Plassmann colouring. Every vertex gets a random priority
 * (a hash of --seed and its input id, ties by id). A vertex colours itself
 * once all higher-priority neighbours have: it takes the smallest colour
 * none of them has, so the result is a proper colouring with at most
 * max-degree + 1 colours. Neighbours are in- and out-neighbours; self-loops
 * are ignored (no colouring could respect them).
 *
 * Messages are fixed-size, so a vertex does not hoard its neighbours'
 * colours: when its last higher neighbour reports DONE it ASKs them all,
 * they answer with COLOR, and it picks from the answers — three supersteps
 * per level of the priority order. */
#include "graph/algo/algo.h"

#include <stdlib.h>
#include <string.h>

enum { WAITING, ASKED, COLORED };
enum { MSG_DONE, MSG_ASK, MSG_COLOR };

struct value {
    uint32_t color;
    uint32_t wait; /* higher-priority neighbour arcs not yet DONE */
    uint32_t state;
};

struct msg {
    uint32_t kind;
    uint32_t arg; /* ASK: asker; COLOR: colour */
};

static uint64_t prio(struct herd_vctx *c, uint32_t v)
{
    uint64_t x = herd_v_params(c)->seed ^ (herd_v_id(c, v) * 0x9e3779b97f4a7c15ULL);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 29;
    return x;
}

static int higher(struct herd_vctx *c, uint32_t u, uint64_t pu, uint32_t v, uint64_t pv)
{
    (void)c;
    return pu > pv || (pu == pv && u > v);
}

/* Calls fn for each neighbour arc of v (out, then in when directed). */
typedef void (*visit_fn)(struct herd_vctx *c, uint32_t v, uint64_t pv, uint32_t u, void *arg);

static void each_neighbour(struct herd_vctx *c, uint32_t v, visit_fn fn, void *arg)
{
    const struct herd_vgraph *g = herd_v_graph(c);
    uint64_t pv = prio(c, v);
    for (uint64_t a = g->out_off[v]; a < g->out_off[v + 1]; a++)
        if (g->out_dst[a] != v)
            fn(c, v, pv, g->out_dst[a], arg);
    for (uint64_t a = g->directed ? g->in_off[v] : 0; g->directed && a < g->in_off[v + 1]; a++)
        if (g->in_src[a] != v)
            fn(c, v, pv, g->in_src[a], arg);
}

static void count_higher(struct herd_vctx *c, uint32_t v, uint64_t pv, uint32_t u, void *arg)
{
    if (higher(c, u, prio(c, u), v, pv))
        ++*(uint32_t *)arg;
}

static void send_up(struct herd_vctx *c, uint32_t v, uint64_t pv, uint32_t u, void *arg)
{
    if (higher(c, u, prio(c, u), v, pv))
        herd_v_send(c, u, arg);
}

static void send_down(struct herd_vctx *c, uint32_t v, uint64_t pv, uint32_t u, void *arg)
{
    if (!higher(c, u, prio(c, u), v, pv))
        herd_v_send(c, u, arg);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Smallest colour not among the n answers in msgs. */
static uint32_t pick(struct herd_vctx *c, const struct msg *m, uint32_t n)
{
    uint32_t *col = herd_v_scratch(c, (size_t)n * sizeof *col + 1);
    uint32_t k = 0, want = 0;
    if (col == NULL) {
        herd_v_fail(c, "coloring: out of memory");
        return 0;
    }
    for (uint32_t i = 0; i < n; i++)
        if (m[i].kind == MSG_COLOR)
            col[k++] = m[i].arg;
    qsort(col, k, sizeof *col, cmp_u32);
    for (uint32_t i = 0; i < k && col[i] <= want; i++)
        if (col[i] == want)
            want++;
    return want;
}

static void become(struct herd_vctx *c, uint32_t v, struct value *x, uint32_t color)
{
    struct msg done = {MSG_DONE, 0};
    x->color = color;
    x->state = COLORED;
    each_neighbour(c, v, send_down, &done);
}

static void compute(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                    uint32_t nmsgs)
{
    struct value x;
    memcpy(&x, value, sizeof x);
    const struct msg *m = msgs;
    uint32_t done = 0, answers = 0;
    if (herd_v_superstep(c) == 0) {
        x.state = WAITING;
        each_neighbour(c, v, count_higher, &x.wait);
    }
    for (uint32_t i = 0; i < nmsgs; i++) {
        if (m[i].kind == MSG_DONE)
            done++;
        else if (m[i].kind == MSG_COLOR)
            answers++;
        else if (m[i].kind == MSG_ASK) {
            struct msg r = {MSG_COLOR, x.color};
            herd_v_send(c, m[i].arg, &r);
        }
    }
    x.wait -= done;
    if (x.state == ASKED && answers)
        become(c, v, &x, pick(c, m, nmsgs));
    else if (x.state == WAITING && x.wait == 0 && herd_v_superstep(c) == 0)
        become(c, v, &x, 0);
    else if (x.state == WAITING && x.wait == 0) {
        struct msg ask = {MSG_ASK, v};
        x.state = ASKED;
        each_neighbour(c, v, send_up, &ask);
    }
    memcpy(value, &x, sizeof x);
    herd_v_halt(c);
}

static const struct herd_vertex_program prog = {
    .api = HERD_VERTEX_API,
    .name = "coloring",
    .help = "Jones-Plassmann colouring: --seed 1",
    .value_size = sizeof(struct value),
    .msg_size = sizeof(struct msg),
    .flags = HERD_VP_OUT_EDGES | HERD_VP_IN_EDGES,
    .combiner = HERD_COMBINE_NONE,
    .value_type = HERD_VALUE_U32,
    .compute = compute,
};

const struct herd_vertex_program *herd_algo_coloring(void)
{
    return &prog;
}
