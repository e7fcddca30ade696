/* Unit tests of the vertex engine (src/graph/engine.h) and the built-in
 * algorithms on hand-made graphs whose answers are worked out here. */
#include "check.h"

#include "base/rand.h"
#include "graph/algo/algo.h"
#include "graph/engine.h"
#include "graph/msgbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Builds a graph from "a b" pairs of input ids (directed or not). */
static struct herd_graph *mk(const uint64_t (*e)[2], size_t ne, int directed)
{
    uint64_t *s = malloc((ne + 1) * 8), *d = malloc((ne + 1) * 8);
    for (size_t i = 0; i < ne; i++) {
        s[i] = e[i][0];
        d[i] = e[i][1];
    }
    struct herd_graph_opts o = {.directed = directed, .need_out = 1, .need_in = 1};
    struct herd_graph *g = NULL;
    struct herd_err err = {0};
    CHECK_EQ(herd_graph_build(s, d, NULL, ne, NULL, 0, &o, &g, &err), HERD_OK);
    free(s);
    free(d);
    return g;
}

/* A random directed multigraph with self-loops and dangling vertices. */
static struct herd_graph *random_graph(uint32_t n, uint32_t m, uint64_t seed, int directed)
{
    struct herd_rand r;
    herd_rand_seed(&r, seed);
    uint64_t (*e)[2] = malloc(sizeof *e * m);
    for (uint32_t i = 0; i < m; i++) {
        e[i][0] = 3 * herd_rand_below(&r, n) + 7; /* sparse input ids */
        e[i][1] = 3 * herd_rand_below(&r, n / 2) + 7;
    }
    struct herd_graph *g = mk((const uint64_t(*)[2])e, m, directed);
    free(e);
    return g;
}

static struct herd_engine *run(const struct herd_graph *g, const struct herd_vertex_program *p,
                               struct herd_vparams *vp, uint32_t threads, uint32_t parts,
                               int no_fast)
{
    struct herd_engine_opts o = {.threads = threads, .partitions = parts, .no_fast_path = no_fast};
    struct herd_engine *en = NULL;
    struct herd_err e = {0};
    struct herd_vparams dflt = {.seed = 1};
    int rc = herd_engine_create(g, p, vp ? vp : &dflt, &o, &en, &e);
    if (rc != HERD_OK)
        fprintf(stderr, "create: %s\n", e.msg);
    CHECK_EQ(rc, HERD_OK);
    rc = herd_engine_run(en, &e);
    if (rc != HERD_OK)
        fprintf(stderr, "run: %s\n", e.msg);
    CHECK_EQ(rc, HERD_OK);
    return en;
}

static int64_t ival(const struct herd_engine *en, uint32_t v)
{
    int64_t x;
    memcpy(&x, herd_engine_value(en, v), 8);
    return x;
}

static double dval(const struct herd_engine *en, uint32_t v)
{
    double x;
    memcpy(&x, herd_engine_value(en, v), 8);
    return x;
}

static uint32_t uval(const struct herd_engine *en, uint32_t v)
{
    uint32_t x;
    memcpy(&x, herd_engine_value(en, v), 4);
    return x;
}

static uint32_t dense(const struct herd_graph *g, uint64_t id)
{
    uint32_t v = UINT32_MAX;
    CHECK_EQ(herd_graph_lookup(g, id, &v), HERD_OK);
    return v;
}

HERD_TEST(bfs_directed_tree)
{
    /* 10 -> 20 -> 30, 10 -> 40, 50 -> 10: from 10, 20 and 40 are one hop,
     * 30 two; nothing reaches 50. */
    static const uint64_t e[][2] = {{10, 20}, {20, 30}, {10, 40}, {50, 10}};
    struct herd_graph *g = mk(e, 4, 1);
    struct herd_vparams vp = {.has_source = 1, .source = dense(g, 10)};
    for (uint32_t parts = 1; parts <= 5; parts += 4) {
        struct herd_engine *en = run(g, herd_algo_bfs(), &vp, 2, parts, 0);
        CHECK_EQ(ival(en, dense(g, 10)), 0);
        CHECK_EQ(ival(en, dense(g, 20)), 1);
        CHECK_EQ(ival(en, dense(g, 40)), 1);
        CHECK_EQ(ival(en, dense(g, 30)), 2);
        CHECK(ival(en, dense(g, 50)) == INT64_MAX);
        herd_engine_destroy(en);
    }
    herd_graph_destroy(g);
}

HERD_TEST(sssp_prefers_light_detour_and_prints_infinity)
{
    /* Undirected and unweighted (every arc weighs 1):
     * 1-2-3 and 1-3 directly: d(3) = 1. 9 is isolated from 1 (edge 8-9). */
    static const uint64_t e[][2] = {{1, 2}, {2, 3}, {1, 3}, {8, 9}};
    struct herd_graph *g = mk(e, 4, 0);
    struct herd_vparams vp = {.has_source = 1, .source = dense(g, 1)};
    struct herd_engine *en = run(g, herd_algo_sssp(), &vp, 1, 2, 0);
    CHECK(dval(en, dense(g, 1)) == 0.0);
    CHECK(dval(en, dense(g, 2)) == 1.0);
    CHECK(dval(en, dense(g, 3)) == 1.0);
    CHECK(isinf(dval(en, dense(g, 9))));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct herd_err err = {0};
    CHECK_EQ(herd_engine_write(en, f, &err), HERD_OK);
    fclose(f);
    CHECK_STR(buf, "1 0\n2 1\n3 1\n8 infinity\n9 infinity\n");
    free(buf);
    herd_engine_destroy(en);
    herd_graph_destroy(g);
}

/* --- a probe program: aggregators, halting, master hook ---------------- */

static const struct herd_agg_def probe_aggs[] = {
    {"sum", HERD_AGG_SUM, HERD_AGG_I64}, {"min", HERD_AGG_MIN, HERD_AGG_I64},
    {"max", HERD_AGG_MAX, HERD_AGG_F64}, {"count", HERD_AGG_COUNT, HERD_AGG_I64},
    {"fsum", HERD_AGG_SUM, HERD_AGG_F64}};

struct probe {
    int64_t seen_sum[3], seen_min[3], seen_count[3];
    double seen_max[3], seen_fsum[3];
};

static void probe_compute(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                          uint32_t nmsgs)
{
    (void)msgs;
    (void)nmsgs;
    struct probe *p = value;
    uint64_t s = herd_v_superstep(c);
    if (s < 3) {
        p->seen_sum[s] = herd_v_aggregate_i64(c, 0);
        p->seen_min[s] = herd_v_aggregate_i64(c, 1);
        p->seen_max[s] = herd_v_aggregate_f64(c, 2);
        p->seen_count[s] = herd_v_aggregate_i64(c, 3);
        p->seen_fsum[s] = herd_v_aggregate_f64(c, 4);
    }
    /* contribute (v+1)*(s+1) */
    int64_t x = (int64_t)(v + 1) * (int64_t)(s + 1);
    herd_v_agg_i64(c, 0, x);
    herd_v_agg_i64(c, 1, x);
    herd_v_agg_f64(c, 2, (double)x);
    herd_v_agg_i64(c, 3, 0);
    herd_v_agg_f64(c, 4, 0.5);
}

static int probe_master(struct herd_vctx *c)
{
    return herd_v_superstep(c) == 3 ? HERD_VM_STOP : HERD_VM_CONTINUE;
}

static const struct herd_vertex_program probe = {
    .api = HERD_VERTEX_API,
    .name = "probe",
    .value_size = sizeof(struct probe),
    .value_type = HERD_VALUE_I64,
    .aggs = probe_aggs,
    .naggs = 5,
    .compute = probe_compute,
    .master = probe_master,
};

HERD_TEST(aggregates_visible_next_superstep_and_master_stops)
{
    /* 4 vertices that never halt: only the master hook can end the job,
     * after superstep 3, so exactly 4 supersteps run. In superstep s each
     * vertex adds (v+1)(s+1): sum over v of (v+1) = 10, so superstep s
     * sees 10*s from s-1, min s, max 4s, count 4, fsum 2. */
    static const uint64_t e[][2] = {{1, 2}, {2, 3}, {3, 4}};
    struct herd_graph *g = mk(e, 3, 1);
    struct herd_engine *en = run(g, &probe, NULL, 2, 3, 0);
    size_t n;
    herd_engine_stats(en, &n);
    CHECK_EQ(n, 4);
    for (uint32_t v = 0; v < 4; v++) {
        const struct probe *p = herd_engine_value(en, v);
        CHECK_EQ(p->seen_sum[0], 0); /* identity before superstep 1 */
        CHECK(p->seen_min[0] == INT64_MAX);
        for (int s = 1; s < 3; s++) {
            CHECK_EQ(p->seen_sum[s], 10 * s);
            CHECK_EQ(p->seen_min[s], s);
            CHECK(p->seen_max[s] == 4.0 * s);
            CHECK_EQ(p->seen_count[s], 4);
            CHECK(p->seen_fsum[s] == 2.0);
        }
    }
    CHECK_EQ(herd_engine_agg_i64(en, 0), 40); /* superstep 3: 10 * 4 */
    herd_engine_destroy(en);
    herd_graph_destroy(g);
}

/* --- integer aggregates at the edges of int64 ------------------------- */

static const struct herd_agg_def wide_aggs[] = {{"sum", HERD_AGG_SUM, HERD_AGG_I64},
                                                {"imax", HERD_AGG_MAX, HERD_AGG_I64},
                                                {"imin", HERD_AGG_MIN, HERD_AGG_I64}};

static void wide_compute(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                         uint32_t nmsgs)
{
    (void)v;
    (void)value;
    (void)msgs;
    (void)nmsgs;
    herd_v_agg_i64(c, 0, INT64_MAX);
    herd_v_agg_f64(c, 1, 1e300); /* a double far outside int64 */
    herd_v_agg_f64(c, 2, NAN);
    herd_v_halt(c);
}

static const struct herd_vertex_program wide = {
    .api = HERD_VERTEX_API,
    .name = "wide",
    .value_size = 8,
    .value_type = HERD_VALUE_I64,
    .aggs = wide_aggs,
    .naggs = 3,
    .compute = wide_compute,
};

HERD_TEST(i64_aggregates_wrap_and_saturate_without_undefined_behaviour)
{
    /* Four vertices add INT64_MAX each: the sum wraps modulo 2^64 like the
     * SUM_I64 combiner does (4 * (2^63 - 1) = -4 mod 2^64). A double too
     * large for int64 saturates; NaN counts as 0. */
    static const uint64_t e[][2] = {{1, 2}, {3, 4}};
    struct herd_graph *g = mk(e, 2, 1);
    struct herd_engine *en = run(g, &wide, NULL, 2, 2, 0);
    CHECK_EQ(herd_engine_agg_i64(en, 0), -4);
    CHECK(herd_engine_agg_i64(en, 1) == INT64_MAX);
    CHECK_EQ(herd_engine_agg_i64(en, 2), 0);
    herd_engine_destroy(en);
    herd_graph_destroy(g);
}

/* --- fan-in: combiners and plain delivery ------------------------------ */

struct fan {
    int64_t nmsgs, acc, first, last;
};

static void fan_compute(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                        uint32_t nmsgs)
{
    struct fan *f = value;
    if (herd_v_superstep(c) == 0) {
        int64_t x = v + 1;
        herd_v_send(c, 0, &x); /* twice: combining must merge both */
        herd_v_send(c, 0, &x);
    } else {
        const int64_t *m = msgs;
        f->nmsgs = nmsgs;
        for (uint32_t i = 0; i < nmsgs; i++)
            f->acc += m[i];
        f->first = m[0];
        f->last = m[nmsgs - 1];
    }
    herd_v_halt(c);
}

static void max_i64(void *acc, const void *msg)
{
    int64_t a, b;
    memcpy(&a, acc, 8);
    memcpy(&b, msg, 8);
    if (b > a)
        memcpy(acc, &b, 8);
}

#define FAN(comb, fn)                                                                              \
    {.api = HERD_VERTEX_API, .name = "fan", .value_size = sizeof(struct fan), .msg_size = 8,      \
     .combiner = comb, .combine = fn, .value_type = HERD_VALUE_I64, .compute = fan_compute}

static struct herd_graph *chain(uint32_t n)
{
    uint64_t(*e)[2] = malloc(sizeof *e * n);
    for (uint32_t i = 0; i + 1 < n; i++) {
        e[i][0] = i;
        e[i][1] = i + 1;
    }
    struct herd_graph *g = mk((const uint64_t(*)[2])e, n - 1, 1);
    free(e);
    return g;
}

HERD_TEST(sum_combiner_merges_on_sender_side)
{
    /* 100 vertices each send v+1 twice to vertex 0: the sum is
     * 2 * (1 + ... + 100) = 10100 in one combined message; an exact
     * combiner combines densely per engine thread (graph/msgdense.h), so
     * the 4 sender partitions on 2 threads ship one or two records. */
    static const struct herd_vertex_program p = FAN(HERD_COMBINE_SUM_I64, NULL);
    struct herd_graph *g = chain(100);
    struct herd_engine *en = run(g, &p, NULL, 2, 4, 0);
    const struct fan *f = herd_engine_value(en, 0);
    CHECK_EQ(f->nmsgs, 1);
    CHECK_EQ(f->acc, 10100);
    size_t n;
    const struct herd_step_stats *st = herd_engine_stats(en, &n);
    CHECK_EQ(n, 2);
    CHECK_EQ(st[0].sent, 200);
    CHECK_INT(st[0].exchanged, >=, 1);
    CHECK_INT(st[0].exchanged, <=, 2);
    CHECK_EQ(st[1].computed, 1); /* only the receiver woke up */
    herd_engine_destroy(en);
    herd_graph_destroy(g);
}

HERD_TEST(custom_combiner_and_plain_delivery_in_sender_order)
{
    static const struct herd_vertex_program pmax = FAN(HERD_COMBINE_FN, max_i64);
    static const struct herd_vertex_program pall = FAN(HERD_COMBINE_NONE, NULL);
    struct herd_graph *g = chain(50);
    struct herd_engine *en = run(g, &pmax, NULL, 2, 3, 0);
    const struct fan *f = herd_engine_value(en, 0);
    CHECK_EQ(f->nmsgs, 1);
    CHECK_EQ(f->acc, 50); /* max of 1..50 */
    herd_engine_destroy(en);
    /* Without a combiner all 100 arrive, partitions in order and each
     * partition's sends in order: 1, 1, 2, 2, ..., 50, 50. */
    en = run(g, &pall, NULL, 2, 3, 0);
    f = herd_engine_value(en, 0);
    CHECK_EQ(f->nmsgs, 100);
    CHECK_EQ(f->acc, 2 * 1275);
    CHECK_EQ(f->first, 1);
    CHECK_EQ(f->last, 50);
    herd_engine_destroy(en);
    herd_graph_destroy(g);
}

HERD_TEST(halted_vertices_wake_only_on_messages)
{
    /* BFS along the chain 0 -> 1 -> 2 -> 3: superstep 0 runs all four,
     * then one vertex per superstep, and the job ends after superstep 3
     * when vertex 3 has nobody to tell. */
    struct herd_graph *g = chain(4);
    struct herd_vparams vp = {.has_source = 1, .source = 0};
    struct herd_engine *en = run(g, herd_algo_bfs(), &vp, 2, 2, 0);
    size_t n;
    const struct herd_step_stats *st = herd_engine_stats(en, &n);
    CHECK_EQ(n, 4);
    CHECK_EQ(st[0].computed, 4);
    for (int s = 1; s < 4; s++) {
        CHECK_EQ(st[s].computed, 1);
        CHECK_EQ(st[s].active, 0);
    }
    CHECK_EQ(ival(en, 3), 3);
    herd_engine_destroy(en);
    herd_graph_destroy(g);
}

HERD_TEST(lcc_triangle_with_pendant)
{
    /* Undirected 1-2, 2-3, 1-3, 3-4: 1 and 2 sit in a closed triangle (1);
     * 3 has neighbours {1,2,4} with one edge among them: 1/3; 4 has one
     * neighbour: 0. Directed 1->2, 2->3, 3->1, 3->4: N(3) = {1,2,4} with one
     * arc (1->2) among them: 1/6; N(1) = {2,3} with 2->3: 1/2. */
    static const uint64_t e[][2] = {{1, 2}, {2, 3}, {1, 3}, {3, 4}};
    static const uint64_t d[][2] = {{1, 2}, {2, 3}, {3, 1}, {3, 4}};
    struct herd_graph *g = mk(e, 4, 0);
    struct herd_engine *en = run(g, herd_algo_lcc(), NULL, 2, 2, 0);
    CHECK(dval(en, 0) == 1.0 && dval(en, 1) == 1.0);
    CHECK(fabs(dval(en, 2) - 1.0 / 3) < 1e-15);
    CHECK(dval(en, 3) == 0.0);
    herd_engine_destroy(en);
    herd_graph_destroy(g);
    g = mk(d, 4, 1);
    en = run(g, herd_algo_lcc(), NULL, 1, 1, 0);
    CHECK(fabs(dval(en, 2) - 1.0 / 6) < 1e-15);
    CHECK(dval(en, 0) == 0.5);
    herd_engine_destroy(en);
    herd_graph_destroy(g);
}

HERD_TEST(cdlp_two_triangles)
{
    /* Triangles {1,2,3} and {4,5,6} joined by 3-4 (undirected). Iteration
     * 1 (ties to the smallest label): 1->2, 2->1, 3->1, 4->3, 5->4, 6->4.
     * Iteration 2: 1->1, 2->1 (tie 2 vs 1), 3->1, 4->4, 5->3 (tie), 6->3. */
    static const uint64_t e[][2] = {{1, 2}, {2, 3}, {1, 3}, {4, 5}, {5, 6}, {4, 6}, {3, 4}};
    struct herd_graph *g = mk(e, 7, 0);
    struct herd_vparams vp = {.iterations = 2};
    struct herd_engine *en = run(g, herd_algo_cdlp(), &vp, 2, 3, 0);
    static const uint64_t want[] = {1, 1, 1, 4, 3, 3};
    for (uint32_t v = 0; v < 6; v++)
        CHECK_EQ(herd_graph_id(g, uval(en, v)), want[v]);
    herd_engine_destroy(en);
    herd_graph_destroy(g);
}

/* --- determinism and fast paths ---------------------------------------- */

static int same_values(const struct herd_engine *a, const struct herd_engine *b, uint32_t n,
                       size_t vs)
{
    for (uint32_t v = 0; v < n; v++)
        if (memcmp(herd_engine_value(a, v), herd_engine_value(b, v), vs) != 0)
            return 0;
    return 1;
}

HERD_TEST(threads_do_not_change_results)
{
    struct herd_graph *g = random_graph(3000, 12000, 42, 1);
    const struct herd_vertex_program *progs[] = {herd_algo_pagerank(), herd_algo_wcc(),
                                                 herd_algo_cdlp(), herd_algo_coloring()};
    for (size_t i = 0; i < 4; i++) {
        for (int nf = 0; nf < 2; nf++) {
            struct herd_vparams vp = {.seed = 1};
            struct herd_engine *a = run(g, progs[i], &vp, 1, 6, nf);
            struct herd_engine *b = run(g, progs[i], &vp, 3, 6, nf);
            CHECK(same_values(a, b, g->n, progs[i]->value_size));
            herd_engine_destroy(a);
            herd_engine_destroy(b);
        }
    }
    herd_graph_destroy(g);
}

HERD_TEST(pagerank_pull_equals_messages_and_sums_to_one)
{
    struct herd_graph *g = random_graph(2000, 9000, 7, 1);
    struct herd_vparams vp = {.iterations = 15};
    struct herd_engine *pull = run(g, herd_algo_pagerank(), &vp, 2, 0, 0);
    struct herd_engine *msg = run(g, herd_algo_pagerank(), &vp, 2, 5, 1);
    CHECK(herd_engine_path(pull) == HERD_PATH_PULL);
    CHECK(herd_engine_path(msg) == HERD_PATH_MESSAGES);
    double sum = 0;
    for (uint32_t v = 0; v < g->n; v++) {
        double a = dval(pull, v), b = dval(msg, v);
        CHECK(fabs(a - b) <= 1e-12 * b);
        sum += a;
    }
    CHECK(fabs(sum - 1.0) < 1e-9); /* dangling mass is kept */
    size_t n;
    herd_engine_stats(pull, &n);
    CHECK_EQ(n, 16);
    herd_engine_destroy(pull);
    herd_engine_destroy(msg);
    herd_graph_destroy(g);
}

HERD_TEST(wcc_union_find_equals_label_propagation)
{
    /* sparse (many small components) and dense (a giant one, which the
     * undirected fast path samples and skips), directed and not */
    for (int k = 0; k < 4; k++) {
        int directed = k & 1;
        struct herd_graph *g = k < 2 ? random_graph(5000, 3000, 99 + k, directed)
                                     : random_graph(3000, 7000, 99 + k, directed);
        struct herd_engine *a = run(g, herd_algo_wcc(), NULL, 2, 0, 0);
        struct herd_engine *b = run(g, herd_algo_wcc(), NULL, 2, 7, 1);
        CHECK(herd_engine_path(a) == HERD_PATH_SOLVE);
        CHECK(same_values(a, b, g->n, 4));
        /* every label is the smallest member of its component */
        for (uint32_t v = 0; v < g->n; v++)
            CHECK(uval(a, v) <= v && uval(a, uval(a, v)) == uval(a, v));
        herd_engine_destroy(a);
        herd_engine_destroy(b);
        herd_graph_destroy(g);
    }
}

HERD_TEST(coloring_is_proper)
{
    struct herd_graph *g = random_graph(2000, 16000, 5, 1);
    struct herd_engine *en = run(g, herd_algo_coloring(), NULL, 2, 0, 0);
    uint32_t maxc = 0, maxdeg = 0;
    for (uint32_t v = 0; v < g->n; v++) {
        uint32_t deg = (uint32_t)(g->out_off[v + 1] - g->out_off[v] + g->in_off[v + 1] - g->in_off[v]);
        maxdeg = deg > maxdeg ? deg : maxdeg;
        maxc = uval(en, v) > maxc ? uval(en, v) : maxc;
        for (uint64_t a = g->out_off[v]; a < g->out_off[v + 1]; a++)
            if (g->out_dst[a] != v)
                CHECK(uval(en, v) != uval(en, g->out_dst[a]));
    }
    CHECK_INT(maxc, <=, maxdeg);
    herd_engine_destroy(en);
    herd_graph_destroy(g);
}

/* --- misuse is an error, not a crash ----------------------------------- */

static void bad_send(struct herd_vctx *c, uint32_t v, void *value, const void *m, uint32_t n)
{
    (void)v, (void)value, (void)m, (void)n;
    double x = 1;
    herd_v_send(c, 0, &x);
}

static void failing(struct herd_vctx *c, uint32_t v, void *value, const void *m, uint32_t n)
{
    (void)value, (void)m, (void)n;
    if (v == 2)
        herd_v_fail(c, "vertex two objects");
}

HERD_TEST(program_errors_are_reported)
{
    static const struct herd_vertex_program pull_send = {
        .api = HERD_VERTEX_API, .name = "ps", .value_size = 8, .msg_size = 8,
        .flags = HERD_VP_PULL, .combiner = HERD_COMBINE_SUM_F64, .compute = bad_send};
    static const struct herd_vertex_program fail = {
        .api = HERD_VERTEX_API, .name = "f", .value_size = 8, .compute = failing};
    static const struct herd_vertex_program old = {
        .api = 99, .name = "old", .value_size = 8, .compute = failing};
    struct herd_graph *g = chain(5);
    struct herd_engine_opts o = {.threads = 2};
    struct herd_vparams vp = {0};
    struct herd_engine *en = NULL;
    struct herd_err e = {0};
    CHECK_EQ(herd_engine_create(g, &pull_send, &vp, &o, &en, &e), HERD_OK);
    CHECK_EQ(herd_engine_run(en, &e), HERD_EINVAL);
    CHECK(strstr(e.msg, "pull") != NULL);
    herd_engine_destroy(en);
    CHECK_EQ(herd_engine_create(g, &fail, &vp, &o, &en, &e), HERD_OK);
    CHECK_EQ(herd_engine_run(en, &e), HERD_EINVAL);
    CHECK(strstr(e.msg, "vertex two objects") != NULL);
    herd_engine_destroy(en);
    CHECK_EQ(herd_engine_create(g, &old, &vp, &o, &en, &e), HERD_EINVAL);
    CHECK_EQ(herd_engine_create(g, herd_algo_bfs(), &vp, &o, &en, &e), HERD_EINVAL);
    CHECK(strstr(e.msg, "--source") != NULL);
    herd_graph_destroy(g);
}

HERD_TEST(partition_count_is_bounded)
{
    /* Per-partition state grows with partitions squared (one lane per
     * pair): a count from the command line beyond the limit is refused,
     * and 2^32-1 (where partitions + 1 wraps) never reaches allocation. */
    struct herd_graph *g = chain(5);
    struct herd_vparams vp = {.seed = 1};
    struct herd_engine *en = NULL;
    struct herd_err e = {0};
    uint32_t bad[] = {HERD_ENGINE_MAX_PARTITIONS + 1, UINT32_MAX};
    for (size_t i = 0; i < 2; i++) {
        struct herd_engine_opts o = {.threads = 1, .partitions = bad[i]};
        CHECK_EQ(herd_engine_create(g, herd_algo_wcc(), &vp, &o, &en, &e), HERD_EINVAL);
        CHECK(strstr(e.msg, "partitions") != NULL);
    }
    struct herd_engine_opts o = {.threads = 1, .partitions = 64};
    CHECK_EQ(herd_engine_create(g, herd_algo_wcc(), &vp, &o, &en, &e), HERD_OK);
    CHECK_EQ(herd_engine_run(en, &e), HERD_OK);
    herd_engine_destroy(en);
    herd_graph_destroy(g);
}

/* --- msgbuf on its own ------------------------------------------------- */

struct sink {
    struct herd_msgbatch *head;
};

static int keep(void *arg, struct herd_msgbatch *b)
{
    struct sink *s = arg;
    b->next = s->head;
    s->head = b;
    return HERD_OK;
}

static void add_i64(void *acc, const void *m)
{
    int64_t a, b;
    memcpy(&a, acc, 8);
    memcpy(&b, m, 8);
    a += b;
    memcpy(acc, &a, 8);
}

HERD_TEST(msgout_cache_eviction_keeps_every_message)
{
    /* 1000 random sends over 40 targets through a 4-slot cache: evictions
     * happen constantly, yet per target the delivered records must add up
     * to what was sent, and the inbox must merge them to one per target. */
    struct sink s = {NULL};
    struct herd_msgout o;
    CHECK_EQ(herd_msgout_init(&o, 8, add_i64, 4, keep, &s), HERD_OK);
    int64_t want[40] = {0};
    struct herd_rand r;
    herd_rand_seed(&r, 3);
    for (int i = 0; i < 1000; i++) {
        uint32_t t = 100 + (uint32_t)herd_rand_below(&r, 40);
        int64_t x = (int64_t)herd_rand_below(&r, 1000);
        want[t - 100] += x;
        CHECK_EQ(herd_msgout_put(&o, t, &x), HERD_OK);
    }
    CHECK_EQ(herd_msgout_flush(&o), HERD_OK);
    CHECK_INT(o.records, <, 1000);
    struct herd_inbox ib;
    CHECK_EQ(herd_inbox_init(&ib, 100, 40, 8, add_i64), HERD_OK);
    CHECK_EQ(herd_inbox_fill(&ib, &s.head, 1), HERD_OK);
    for (uint32_t i = 0; i < 40; i++) {
        const void *m;
        int64_t got = 0;
        if (herd_inbox_get(&ib, i, &m))
            memcpy(&got, m, 8);
        CHECK_EQ(got, want[i]);
    }
    /* a record for a vertex outside the range is refused */
    struct herd_inbox small;
    CHECK_EQ(herd_inbox_init(&small, 100, 10, 8, add_i64), HERD_OK);
    CHECK_EQ(herd_inbox_fill(&small, &s.head, 1), HERD_EPROTO);
    herd_inbox_fini(&small);
    herd_inbox_fini(&ib);
    herd_msgout_fini(&o);
    herd_msgbatch_free_list(s.head);
}
