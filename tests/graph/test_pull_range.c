/* Tests of the pull path's compute_range() fast path (include/herd/vertex.h):
 * a program run through compute_range must give the values and statistics
 * of the same program run one vertex at a time, and of the message path. */
#include "check.h"

#include "base/rand.h"
#include "graph/algo/algo.h"
#include "graph/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 6

/* A random directed multigraph with self-loops, sources and sinks. */
static struct herd_graph *random_graph(uint32_t n, uint32_t m, uint64_t seed)
{
    struct herd_rand r;
    herd_rand_seed(&r, seed);
    uint64_t *s = malloc(m * sizeof *s), *d = malloc(m * sizeof *d);
    for (uint32_t i = 0; i < m; i++) {
        s[i] = 5 * herd_rand_below(&r, n) + 1;
        d[i] = 5 * herd_rand_below(&r, n / 2) + 1;
    }
    struct herd_graph_opts o = {.directed = 1, .need_out = 1, .need_in = 1};
    struct herd_graph *g = NULL;
    struct herd_err e = {0};
    CHECK_EQ(herd_graph_build(s, d, NULL, m, NULL, 0, &o, &g, &e), HERD_OK);
    free(s);
    free(d);
    return g;
}

static struct herd_engine *run(const struct herd_graph *g, const struct herd_vertex_program *p,
                               uint32_t parts, int no_fast)
{
    struct herd_engine_opts o = {.threads = 2, .partitions = parts, .no_fast_path = no_fast};
    struct herd_vparams vp = {.iterations = 12};
    struct herd_engine *en = NULL;
    struct herd_err e = {0};
    int rc = herd_engine_create(g, p, &vp, &o, &en, &e);
    if (rc == HERD_OK)
        rc = herd_engine_run(en, &e);
    if (rc != HERD_OK)
        fprintf(stderr, "%s: %s\n", p->name, e.msg);
    CHECK_EQ(rc, HERD_OK);
    return en;
}

static double dval(const struct herd_engine *en, uint32_t v)
{
    double x;
    memcpy(&x, herd_engine_value(en, v), sizeof x);
    return x;
}

/* Same number of supersteps, and per superstep the same counts. */
static int same_stats(const struct herd_engine *a, const struct herd_engine *b)
{
    size_t na, nb;
    const struct herd_step_stats *sa = herd_engine_stats(a, &na);
    const struct herd_step_stats *sb = herd_engine_stats(b, &nb);
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (sa[i].computed != sb[i].computed || sa[i].active != sb[i].active ||
            sa[i].sent != sb[i].sent)
            return 0;
    return 1;
}

/* minlabel: every vertex keeps the smallest value seen (starting from
 * its dense id, scaled), sends it along its out-arcs, and all halt after
 * ROUNDS supersteps. A MIN_F64 combiner, so every path is exact. */
static void ml_compute(struct herd_vctx *c, uint32_t v, void *value, const void *msgs,
                       uint32_t nmsgs)
{
    double x, m;
    if (herd_v_superstep(c) == 0)
        x = 0.5 * v + 3;
    else
        memcpy(&x, value, sizeof x);
    if (nmsgs) {
        memcpy(&m, msgs, sizeof m);
        if (m < x)
            x = m;
    }
    memcpy(value, &x, sizeof x);
    if (herd_v_superstep(c) >= ROUNDS) {
        herd_v_halt(c);
        return;
    }
    herd_v_agg_i64(c, 0, 1);
    herd_v_send_all(c, v, &x);
}

static unsigned ml_range(struct herd_vctx *c, const struct herd_vrange *r)
{
    double *val = r->values;
    uint64_t s = herd_v_superstep(c);
    for (uint32_t i = 0; i < r->hi - r->lo; i++) {
        double x = s == 0 ? 0.5 * (r->lo + i) + 3 : val[i];
        if (r->msg && r->msg[i] < x) /* no message: +infinity */
            x = r->msg[i];
        val[i] = x;
        r->send[i] = x;
    }
    if (s >= ROUNDS)
        return HERD_VR_HALT;
    for (uint32_t i = 0; i < r->hi - r->lo; i++)
        herd_v_agg_i64(c, 0, 1);
    return HERD_VR_SENT;
}

static const struct herd_agg_def ml_aggs[] = {{"senders", HERD_AGG_COUNT, HERD_AGG_I64}};

static int64_t senders_seen;

static int ml_master(struct herd_vctx *c)
{
    senders_seen += herd_v_aggregate_i64(c, 0);
    return HERD_VM_CONTINUE;
}

#define MINLABEL(nm, range)                                                                    \
    {.api = HERD_VERTEX_API, .name = nm, .value_size = 8, .msg_size = 8,                       \
     .flags = HERD_VP_OUT_EDGES | HERD_VP_PULL, .combiner = HERD_COMBINE_MIN_F64,              \
     .value_type = HERD_VALUE_F64, .aggs = ml_aggs, .naggs = 1, .master = ml_master,           \
     .compute = ml_compute, .compute_range = range}

HERD_TEST(range_equals_per_vertex_and_messages)
{
    static const struct herd_vertex_program with = MINLABEL("ml-range", ml_range);
    static const struct herd_vertex_program without = MINLABEL("ml", NULL);
    struct herd_graph *g = random_graph(3000, 7000, 11);
    senders_seen = 0;
    struct herd_engine *a = run(g, &with, 5, 0);
    int64_t seen_a = senders_seen;
    senders_seen = 0;
    struct herd_engine *b = run(g, &without, 5, 0);
    CHECK_EQ(seen_a, senders_seen);
    CHECK_EQ(seen_a, (int64_t)g->n * ROUNDS);
    struct herd_engine *c = run(g, &without, 3, 1);
    CHECK(herd_engine_path(a) == HERD_PATH_PULL);
    CHECK(herd_engine_path(c) == HERD_PATH_MESSAGES);
    uint32_t lowered = 0;
    for (uint32_t v = 0; v < g->n; v++) {
        CHECK(dval(a, v) == dval(b, v));
        CHECK(dval(a, v) == dval(c, v));
        lowered += dval(a, v) < 0.5 * v + 3;
    }
    CHECK_INT(lowered, >, g->n / 4); /* labels really travelled */
    CHECK(same_stats(a, b));
    herd_engine_destroy(a);
    herd_engine_destroy(b);
    herd_engine_destroy(c);
    herd_graph_destroy(g);
}

HERD_TEST(pagerank_range_equals_per_vertex)
{
    struct herd_vertex_program plain = *herd_algo_pagerank();
    plain.compute_range = NULL;
    CHECK(herd_algo_pagerank()->compute_range != NULL);
    struct herd_graph *g = random_graph(4000, 15000, 5);
    struct herd_engine *a = run(g, herd_algo_pagerank(), 0, 0);
    struct herd_engine *b = run(g, &plain, 0, 0);
    double sum = 0;
    for (uint32_t v = 0; v < g->n; v++) {
        CHECK(fabs(dval(a, v) - dval(b, v)) <= 1e-13 * dval(b, v));
        sum += dval(a, v);
    }
    CHECK(fabs(sum - 1.0) < 1e-9);
    CHECK(same_stats(a, b));
    herd_engine_destroy(a);
    herd_engine_destroy(b);
    herd_graph_destroy(g);
}

static unsigned never_called(struct herd_vctx *c, const struct herd_vrange *r)
{
    (void)r;
    herd_v_fail(c, "compute_range called for an API version 1 program");
    return 0;
}

HERD_TEST(version_1_programs_have_no_range_field)
{
    /* A version-1 struct ends before compute_range: whatever lies there
     * must not be called. */
    struct herd_vertex_program v1 = MINLABEL("ml-v1", never_called);
    v1.api = 1;
    struct herd_graph *g = random_graph(500, 1500, 3);
    struct herd_engine *en = run(g, &v1, 0, 0);
    CHECK(herd_engine_path(en) == HERD_PATH_PULL);
    herd_engine_destroy(en);
    herd_graph_destroy(g);
}
