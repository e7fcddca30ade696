/* Tests of the partition split (graph/partition.h) and of the engine's
 * caller-supplied bounds (herd_engine_opts.bounds), which the distributed
 * engine relies on to agree with the one-process run. */
#include "check.h"

#include "base/rand.h"
#include "graph/algo/algo.h"
#include "graph/engine.h"
#include "graph/partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct herd_graph *random_graph(uint64_t seed, int directed)
{
    enum { M = 3000 };
    static uint64_t s[M], d[M];
    struct herd_rand r;
    herd_rand_seed(&r, seed);
    for (int i = 0; i < M; i++) { /* a few heavy rows, many light ones */
        s[i] = herd_rand_below(&r, 4) ? herd_rand_below(&r, 900) : herd_rand_below(&r, 5);
        d[i] = herd_rand_below(&r, 900);
    }
    struct herd_graph_opts o = {.directed = directed, .need_out = 1, .need_in = 1};
    struct herd_graph *g = NULL;
    struct herd_err e = {0};
    CHECK_EQ(herd_graph_build(s, d, NULL, M, NULL, 0, &o, &g, &e), HERD_OK);
    return g;
}

/* Every split covers 0..n in order, and each part's (vertices + arcs) is
 * within one row of the ideal share. */
HERD_TEST(bounds_cover_and_balance)
{
    struct herd_graph *g = random_graph(3, 1);
    for (uint32_t np = 1; np <= 64; np = np * 2 + 1) {
        uint32_t b[130];
        herd_partition_bounds(g->out_off, g->n, np, b);
        CHECK_EQ(b[0], 0u);
        CHECK_EQ(b[np], g->n);
        uint64_t total = g->n + g->m, maxrow = 0;
        for (uint32_t v = 0; v < g->n; v++)
            if (g->out_off[v + 1] - g->out_off[v] + 1 > maxrow)
                maxrow = g->out_off[v + 1] - g->out_off[v] + 1;
        for (uint32_t k = 0; k < np; k++) {
            CHECK_INT(b[k], <=, b[k + 1]);
            uint64_t w = (b[k + 1] + g->out_off[b[k + 1]]) - (b[k] + g->out_off[b[k]]);
            CHECK_INT(w, <=, total / np + maxrow + 1);
            for (uint32_t v = b[k]; v < b[k + 1]; v++)
                CHECK_EQ(herd_partition_of(b, np, v), k);
        }
    }
    uint32_t b[5];
    herd_partition_bounds(NULL, 10, 4, b); /* by vertices only */
    CHECK(b[0] == 0 && b[1] == 2 && b[2] == 5 && b[3] == 7 && b[4] == 10); /* 10·k/4 */
    herd_graph_destroy(g);
}

HERD_TEST(split_basis_follows_the_rows_kept)
{
    struct herd_graph_opts o = {.directed = 1, .need_in = 1};
    CHECK(!herd_partition_by_out(&o)); /* pull path: in-rows only */
    o.need_out = 1;
    CHECK(herd_partition_by_out(&o));
    o = (struct herd_graph_opts){.directed = 0, .need_in = 1};
    CHECK(herd_partition_by_out(&o)); /* undirected: one row set */
}

static char *run_to_text(const struct herd_graph *g, const uint32_t *bounds, uint32_t np)
{
    const struct herd_vertex_program *p = herd_algo_find("pagerank")->program();
    struct herd_vparams vp = {.iterations = 5, .damping = 0.85};
    struct herd_engine_opts o = {.threads = 2, .partitions = np, .bounds = bounds,
                                 .no_fast_path = 1};
    struct herd_engine *en = NULL;
    struct herd_err e = {0};
    CHECK_EQ(herd_engine_create(g, p, &vp, &o, &en, &e), HERD_OK);
    CHECK_EQ(herd_engine_run(en, &e), HERD_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_EQ(herd_engine_write(en, f, &e), HERD_OK);
    fclose(f);
    herd_engine_destroy(en);
    return buf;
}

/* The engine given the split it would make itself gives the same bytes;
 * bad bounds are refused, not trusted. */
HERD_TEST(engine_takes_the_callers_bounds)
{
    struct herd_graph *g = random_graph(5, 1);
    uint32_t b[10];
    herd_partition_bounds_of(g, 9, b);
    char *own = run_to_text(g, NULL, 9), *given = run_to_text(g, b, 9);
    CHECK_STR(own, given);
    free(own);
    free(given);

    const struct herd_vertex_program *p = herd_algo_find("pagerank")->program();
    struct herd_vparams vp = {.iterations = 5, .damping = 0.85};
    struct herd_engine *en = NULL;
    struct herd_err e = {0};
    uint32_t bad[10];
    memcpy(bad, b, sizeof bad);
    bad[4] = bad[6] + 1; /* decreasing */
    struct herd_engine_opts o = {.threads = 1, .partitions = 9, .bounds = bad};
    CHECK_EQ(herd_engine_create(g, p, &vp, &o, &en, &e), HERD_EINVAL);
    bad[4] = b[4];
    bad[9] = g->n - 1; /* does not cover every vertex */
    CHECK_EQ(herd_engine_create(g, p, &vp, &o, &en, &e), HERD_EINVAL);
    g->partial = 1; /* a partial graph cannot be split by the engine */
    o.bounds = NULL;
    CHECK_EQ(herd_engine_create(g, p, &vp, &o, &en, &e), HERD_EINVAL);
    CHECK(strstr(e.msg, "partial") != NULL);
    g->partial = 0;
    herd_graph_destroy(g);
}
