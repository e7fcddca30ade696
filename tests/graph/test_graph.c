/* Builder tests: id mapping, gaps, directed/undirected, in/out rows,
 * weights, simplify and lookup, checked against a brute-force arc list. */
#include "../unit/check.h"

#include "base/rand.h"
#include "graph/graph.h"

#include <stdlib.h>

struct arc {
    uint64_t s, d;
    double w;
};

static int arc_cmp(const void *a, const void *b)
{
    const struct arc *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    return x->w < y->w ? -1 : x->w > y->w;
}

/* The arcs a graph should hold, computed the slow way. */
static struct arc *expected_arcs(const uint64_t *s, const uint64_t *d, const double *w,
                                 uint64_t ne, int directed, int simplify, uint64_t *na)
{
    struct arc *a = malloc((2 * ne + 1) * sizeof *a);
    uint64_t k = 0;
    for (uint64_t i = 0; i < ne; i++) {
        double wi = w ? w[i] : 1.0;
        if (simplify && s[i] == d[i])
            continue;
        a[k++] = (struct arc){s[i], d[i], wi};
        if (!directed)
            a[k++] = (struct arc){d[i], s[i], wi};
    }
    qsort(a, k, sizeof *a, arc_cmp);
    if (simplify) { /* keep the first (smallest weight) of each (s, d) */
        uint64_t j = 0;
        for (uint64_t i = 0; i < k; i++)
            if (j == 0 || a[j - 1].s != a[i].s || a[j - 1].d != a[i].d)
                a[j++] = a[i];
        k = j;
    }
    *na = k;
    return a;
}

/* The arcs of one CSR direction, as input ids (in-rows reversed back). */
static struct arc *graph_arcs(const struct herd_graph *g, int in, uint64_t *na)
{
    const uint64_t *off = in ? g->in_off : g->out_off;
    const uint32_t *adj = in ? g->in_src : g->out_dst;
    const double *w = in ? g->in_w : g->out_w;
    struct arc *a = malloc((off[g->n] + 1) * sizeof *a);
    for (uint32_t v = 0; v < g->n; v++)
        for (uint64_t j = off[v]; j < off[v + 1]; j++) {
            if (j > off[v])
                CHECK(adj[j - 1] <= adj[j]); /* rows sorted */
            uint64_t x = herd_graph_id(g, v), y = herd_graph_id(g, adj[j]);
            a[j] = (struct arc){in ? y : x, in ? x : y, w ? w[j] : 1.0};
        }
    *na = off[g->n];
    qsort(a, *na, sizeof *a, arc_cmp);
    return a;
}

static void check_same(struct arc *a, uint64_t na, struct arc *b, uint64_t nb)
{
    CHECK_EQ(na, nb);
    for (uint64_t i = 0; i < na; i++) {
        CHECK(a[i].s == b[i].s);
        CHECK(a[i].d == b[i].d);
        CHECK(a[i].w == b[i].w);
    }
}

static void check_graph(const uint64_t *s, const uint64_t *d, const double *w, uint64_t ne,
                        const uint64_t *extra, uint64_t nextra, struct herd_graph_opts o)
{
    struct herd_graph *g = NULL;
    struct herd_err e;
    CHECK_EQ(herd_graph_build(s, d, w, ne, extra, nextra, &o, &g, &e), HERD_OK);
    /* dense ids follow ascending input ids, and lookup inverts them */
    for (uint32_t v = 0; v < g->n; v++) {
        uint32_t back;
        if (v > 0)
            CHECK(herd_graph_id(g, v - 1) < herd_graph_id(g, v));
        CHECK_EQ(herd_graph_lookup(g, herd_graph_id(g, v), &back), HERD_OK);
        CHECK_EQ(back, v);
    }
    for (uint64_t i = 0; i < ne; i++) {
        uint32_t v;
        CHECK_EQ(herd_graph_lookup(g, s[i], &v), HERD_OK);
        CHECK_EQ(herd_graph_lookup(g, d[i], &v), HERD_OK);
    }
    uint64_t nx, ng;
    struct arc *x = expected_arcs(s, d, o.weighted ? w : NULL, ne, o.directed, o.simplify, &nx);
    CHECK_EQ(g->m, nx);
    if (o.need_out || !o.need_in) {
        struct arc *a = graph_arcs(g, 0, &ng);
        check_same(a, ng, x, nx);
        free(a);
    }
    if (o.need_in || !o.directed) {
        struct arc *a = graph_arcs(g, 1, &ng);
        check_same(a, ng, x, nx);
        free(a);
    }
    if (!o.directed)
        CHECK(g->in_off == g->out_off && g->in_src == g->out_dst);
    free(x);
    herd_graph_destroy(g);
}

HERD_TEST(build_maps_gapped_ids_in_ascending_order)
{
    uint64_t s[] = {30, 10, 20, 40, 30}, d[] = {20, 30, 10, 10, 20};
    struct herd_graph_opts o = {.directed = 1, .need_out = 1};
    struct herd_graph *g;
    struct herd_err e;
    CHECK_EQ(herd_graph_build(s, d, NULL, 5, NULL, 0, &o, &g, &e), HERD_OK);
    CHECK_EQ(g->n, 4);
    CHECK_EQ(g->m, 5);
    CHECK(g->ids != NULL);
    CHECK_EQ(g->ids[0], 10);
    CHECK_EQ(g->ids[3], 40);
    uint32_t v;
    CHECK_EQ(herd_graph_lookup(g, 30, &v), HERD_OK);
    CHECK_EQ(v, 2);
    CHECK_EQ(herd_graph_lookup(g, 25, &v), HERD_ENOTFOUND);
    CHECK_EQ(herd_graph_lookup(g, 41, &v), HERD_ENOTFOUND);
    /* 30 -> 20 twice: a parallel arc is kept */
    CHECK_EQ(g->out_off[3] - g->out_off[2], 2);
    CHECK_EQ(g->out_dst[g->out_off[2]], 1);
    CHECK(g->in_off == NULL);
    herd_graph_destroy(g);
    check_graph(s, d, NULL, 5, NULL, 0, o);
}

HERD_TEST(build_offset_ids_need_no_array)
{
    uint64_t s[] = {5, 6, 7, 8}, d[] = {6, 7, 8, 9};
    struct herd_graph_opts o = {.directed = 1, .need_out = 1};
    struct herd_graph *g;
    struct herd_err e;
    CHECK_EQ(herd_graph_build(s, d, NULL, 4, NULL, 0, &o, &g, &e), HERD_OK);
    CHECK(g->ids == NULL);
    CHECK_EQ(g->id_base, 5);
    CHECK_EQ(g->n, 5);
    uint32_t v;
    CHECK_EQ(herd_graph_lookup(g, 9, &v), HERD_OK);
    CHECK_EQ(v, 4);
    CHECK_EQ(herd_graph_lookup(g, 4, &v), HERD_ENOTFOUND);
    CHECK_EQ(herd_graph_lookup(g, 10, &v), HERD_ENOTFOUND);
    herd_graph_destroy(g);
}

HERD_TEST(build_extra_ids_are_isolated_vertices)
{
    uint64_t s[] = {2, 4}, d[] = {4, 2}, extra[] = {1, 2, 3, 4, 100};
    struct herd_graph_opts o = {.directed = 1, .need_out = 1, .need_in = 1};
    struct herd_graph *g;
    struct herd_err e;
    CHECK_EQ(herd_graph_build(s, d, NULL, 2, extra, 5, &o, &g, &e), HERD_OK);
    CHECK_EQ(g->n, 5);
    CHECK_EQ(g->ids[4], 100);
    CHECK_EQ(g->out_off[1] - g->out_off[0], 0); /* vertex 1 */
    CHECK_EQ(g->out_off[5] - g->out_off[4], 0); /* vertex 100 */
    CHECK_EQ(g->in_off[2] - g->in_off[1], 1);   /* vertex 2 <- 4 */
    herd_graph_destroy(g);
    check_graph(s, d, NULL, 2, extra, 5, o);
}

HERD_TEST(build_undirected_doubles_arcs_and_aliases_in)
{
    uint64_t s[] = {1, 2, 3, 3}, d[] = {2, 3, 1, 3};
    struct herd_graph_opts o = {.directed = 0, .need_out = 1};
    struct herd_graph *g;
    struct herd_err e;
    CHECK_EQ(herd_graph_build(s, d, NULL, 4, NULL, 0, &o, &g, &e), HERD_OK);
    CHECK_EQ(g->m, 8); /* the self-loop 3-3 is two arcs 3->3 */
    CHECK_EQ(g->out_off[3] - g->out_off[2], 4);
    CHECK(g->in_src == g->out_dst);
    herd_graph_destroy(g);
    check_graph(s, d, NULL, 4, NULL, 0, o);
    o.simplify = 1;
    check_graph(s, d, NULL, 4, NULL, 0, o);
}

HERD_TEST(build_simplify_drops_loops_and_duplicates_keeping_min_weight)
{
    uint64_t s[] = {1, 1, 1, 2, 2, 3}, d[] = {2, 2, 1, 3, 3, 1};
    double w[] = {5.0, 2.5, 9.0, 1.0, 7.0, 3.0};
    struct herd_graph_opts o = {.directed = 1, .need_out = 1, .need_in = 1, .weighted = 1,
                                .simplify = 1};
    struct herd_graph *g;
    struct herd_err e;
    CHECK_EQ(herd_graph_build(s, d, w, 6, NULL, 0, &o, &g, &e), HERD_OK);
    CHECK_EQ(g->m, 3);
    CHECK_EQ(g->out_off[1], 1);
    CHECK(g->out_w[0] == 2.5);
    CHECK(g->out_w[1] == 1.0);
    CHECK(g->in_w[g->in_off[1]] == 2.5); /* in-row of 2 */
    herd_graph_destroy(g);
    check_graph(s, d, w, 6, NULL, 0, o);
}

HERD_TEST(build_need_in_only)
{
    uint64_t s[] = {7, 8, 9, 7}, d[] = {8, 9, 7, 9};
    struct herd_graph_opts o = {.directed = 1, .need_in = 1};
    struct herd_graph *g;
    struct herd_err e;
    CHECK_EQ(herd_graph_build(s, d, NULL, 4, NULL, 0, &o, &g, &e), HERD_OK);
    CHECK(g->out_off == NULL);
    CHECK(g->in_off != NULL);
    CHECK_EQ(g->in_off[3] - g->in_off[2], 2); /* 9 <- 7, 8 */
    herd_graph_destroy(g);
    check_graph(s, d, NULL, 4, NULL, 0, o);
}

HERD_TEST(build_wide_sparse_ids)
{
    uint64_t s[] = {UINT64_MAX, 1ULL << 40, 3, 1ULL << 40}, d[] = {3, UINT64_MAX, 1ULL << 40, 0};
    struct herd_graph_opts o = {.directed = 1, .need_out = 1, .need_in = 1};
    struct herd_graph *g;
    struct herd_err e;
    CHECK_EQ(herd_graph_build(s, d, NULL, 4, NULL, 0, &o, &g, &e), HERD_OK);
    CHECK_EQ(g->n, 4);
    CHECK(g->ids[3] == UINT64_MAX);
    uint32_t v;
    CHECK_EQ(herd_graph_lookup(g, 1ULL << 40, &v), HERD_OK);
    CHECK_EQ(v, 2);
    herd_graph_destroy(g);
    check_graph(s, d, NULL, 4, NULL, 0, o);
}

HERD_TEST(build_empty_graph)
{
    struct herd_graph_opts o = {.directed = 1, .need_out = 1};
    struct herd_graph *g;
    struct herd_err e;
    CHECK_EQ(herd_graph_build(NULL, NULL, NULL, 0, NULL, 0, &o, &g, &e), HERD_OK);
    CHECK_EQ(g->n, 0);
    CHECK_EQ(g->m, 0);
    CHECK_EQ(g->out_off[0], 0);
    herd_graph_destroy(g);
}

/* Random graphs over gapped id pools, every mode, against the oracle. */
HERD_TEST(build_random_against_oracle)
{
    struct herd_rand r;
    herd_rand_seed(&r, 42);
    for (int round = 0; round < 24; round++) {
        uint64_t ne = 1 + herd_rand_below(&r, 3000), pool = 2 + herd_rand_below(&r, 400);
        uint64_t stride = round % 3 == 0 ? 1 : round % 3 == 1 ? 7 : (1ULL << 35);
        uint64_t *s = malloc(ne * 8), *d = malloc(ne * 8);
        double *w = malloc(ne * 8);
        for (uint64_t i = 0; i < ne; i++) {
            s[i] = 11 + stride * herd_rand_below(&r, pool);
            d[i] = 11 + stride * herd_rand_below(&r, pool);
            w[i] = (double)herd_rand_below(&r, 10);
        }
        struct herd_graph_opts o = {.directed = round & 1, .need_out = 1,
                                    .need_in = (round >> 1) & 1, .weighted = (round >> 2) & 1,
                                    .simplify = (round >> 3) & 1};
        check_graph(s, d, w, ne, NULL, 0, o);
        free(s);
        free(d);
        free(w);
    }
}
