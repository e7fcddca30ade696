/* Generator tests: determinism for a seed (whatever the thread count),
 * edge counts, id range, the Kronecker degree skew against the uniform
 * generator, and text and binary outputs that load to the same graph. */
#include "../unit/check.h"

#include "graph/elist.h"
#include "graph/gen.h"
#include "graph/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* All edges of a generator run, flattened (s, d pairs) in edge order. */
static uint32_t *gen_pairs(struct herd_gen_opts o, uint64_t *m, double **w)
{
    struct herd_elist el;
    struct herd_err e;
    herd_elist_init(&el);
    CHECK_EQ(herd_gen_edges(&o, &el, &e), HERD_OK);
    uint32_t *p = malloc(el.m * 8 + 8);
    *w = o.weighted ? malloc(el.m * 8 + 8) : NULL;
    uint64_t k = 0;
    for (size_t b = 0; b < el.nblk; b++)
        for (uint64_t i = 0; i < el.blk[b].n; i++, k++) {
            p[2 * k] = el.blk[b].s32[i];
            p[2 * k + 1] = el.blk[b].d32[i];
            if (*w)
                (*w)[k] = el.blk[b].w[i];
        }
    *m = el.m;
    herd_elist_fini(&el);
    return p;
}

HERD_TEST(gen_is_deterministic_for_a_seed)
{
    struct herd_gen_opts o = {.kind = HERD_GEN_KRONECKER, .scale = 12, .degree = 8, .seed = 7,
                              .weighted = 1, .threads = 1};
    uint64_t m1, m2, m3;
    double *w1, *w2, *w3;
    uint32_t *a = gen_pairs(o, &m1, &w1);
    o.threads = 3;
    uint32_t *b = gen_pairs(o, &m2, &w2);
    o.seed = 8;
    uint32_t *c = gen_pairs(o, &m3, &w3);
    CHECK_EQ(m1, 8u << 12);
    CHECK_EQ(m1, m2);
    CHECK(memcmp(a, b, m1 * 8) == 0);
    CHECK(memcmp(w1, w2, m1 * 8) == 0);
    CHECK(memcmp(a, c, m1 * 8) != 0);
    for (uint64_t i = 0; i < m1; i++) {
        CHECK(a[2 * i] < 4096 && a[2 * i + 1] < 4096);
        CHECK(w1[i] > 0 && w1[i] <= 1.0);
        long k = lround(w1[i] * 1000); /* weights are exactly k/1000 */
        CHECK(k >= 1 && k <= 1000 && w1[i] == (double)k / 1000.0);
    }
    free(a), free(b), free(c), free(w1), free(w2), free(w3);
}

struct degstats {
    double mean, max, isolated_frac;
};

static struct degstats degrees(enum herd_gen_kind kind)
{
    struct herd_gen_opts o = {.kind = kind, .scale = 14, .degree = 16, .seed = 3};
    uint64_t m, n = 1u << 14;
    double *w;
    uint32_t *p = gen_pairs(o, &m, &w);
    uint64_t *deg = calloc(n, sizeof *deg), max = 0, iso = 0;
    for (uint64_t i = 0; i < 2 * m; i++)
        deg[p[i]]++;
    for (uint64_t v = 0; v < n; v++) {
        max = deg[v] > max ? deg[v] : max;
        iso += deg[v] == 0;
    }
    free(p);
    free(deg);
    return (struct degstats){2.0 * (double)m / (double)n, (double)max, (double)iso / (double)n};
}

HERD_TEST(gen_kronecker_is_skewed_uniform_is_not)
{
    struct degstats k = degrees(HERD_GEN_KRONECKER), u = degrees(HERD_GEN_UNIFORM);
    CHECK(k.max > 20 * k.mean);    /* a few hubs */
    CHECK(k.isolated_frac > 0.10); /* and many ids with no edge */
    CHECK(u.max < 3 * u.mean);     /* Poisson(32): no hubs */
    CHECK(u.isolated_frac < 0.001);
}

HERD_TEST(gen_text_and_binary_load_to_the_same_graph)
{
    char dir[] = "/tmp/herd-gen-XXXXXX", txt[64], hgr[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(txt, sizeof txt, "%s/k.txt", dir);
    snprintf(hgr, sizeof hgr, "%s/k.hgr", dir);
    struct herd_gen_opts o = {.kind = HERD_GEN_KRONECKER, .scale = 10, .degree = 4, .seed = 11,
                              .weighted = 1};
    struct herd_err e;
    CHECK_EQ(herd_gen_write(&o, txt, &e), HERD_OK);
    CHECK_EQ(herd_gen_write(&o, hgr, &e), HERD_OK);
    struct herd_graph_opts go = {.directed = 1, .need_out = 1, .weighted = 1};
    struct herd_graph *a, *b;
    CHECK_EQ(herd_graph_load(txt, &go, &a, &e), HERD_OK);
    CHECK_EQ(herd_graph_load(hgr, &go, &b, &e), HERD_OK);
    CHECK_EQ(a->m, 4u << 10);
    CHECK_EQ(a->n, b->n);
    CHECK_EQ(a->m, b->m);
    CHECK(memcmp(a->out_off, b->out_off, (a->n + 1) * 8ul) == 0);
    CHECK(memcmp(a->out_dst, b->out_dst, a->m * 4) == 0);
    CHECK(memcmp(a->out_w, b->out_w, a->m * 8) == 0);
    for (uint32_t v = 0; v < a->n; v++)
        CHECK(herd_graph_id(a, v) == herd_graph_id(b, v));
    herd_graph_destroy(a);
    herd_graph_destroy(b);
    unlink(txt);
    unlink(hgr);
    rmdir(dir);
}

HERD_TEST(gen_rejects_bad_options)
{
    struct herd_gen_opts o = {.kind = HERD_GEN_UNIFORM, .scale = 0, .degree = 4};
    struct herd_err e;
    CHECK_EQ(herd_gen_check(&o, &e), HERD_EINVAL);
    o.scale = 32;
    CHECK_EQ(herd_gen_check(&o, &e), HERD_EINVAL);
    o.scale = 10;
    o.degree = 0;
    CHECK_EQ(herd_gen_check(&o, &e), HERD_EINVAL);
    o.degree = 4;
    CHECK_EQ(herd_gen_check(&o, &e), HERD_OK);
}
