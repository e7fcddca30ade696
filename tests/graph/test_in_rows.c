/* Tests of in-rows stored in .hgr files (graph/binfmt.h) and of the
 * out-degrees the loaders keep when only the in-CSR is built. Every load is
 * compared with the graph built directly from the same edges. */
#include "check.h"

#include "base/rand.h"
#include "graph/algo/algo.h"
#include "graph/binfmt.h"
#include "graph/engine.h"
#include "graph/load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NE 900

struct edges {
    uint64_t s[NE], d[NE];
    double w[NE];
};

static void random_edges(struct edges *x, uint64_t seed)
{
    struct herd_rand r;
    herd_rand_seed(&r, seed);
    for (int i = 0; i < NE; i++) {
        x->s[i] = 2 * herd_rand_below(&r, 300) + 1; /* parallel arcs and loops too */
        x->d[i] = 2 * herd_rand_below(&r, 200) + 1;
        x->w[i] = (double)(1 + herd_rand_below(&r, 9)) / 4;
    }
}

static struct herd_graph *build(const struct edges *x, struct herd_graph_opts o)
{
    struct herd_graph *g = NULL;
    struct herd_err e = {0};
    CHECK_EQ(herd_graph_build(x->s, x->d, x->w, NE, NULL, 0, &o, &g, &e), HERD_OK);
    return g;
}

/* The bytes of g as a .hgr file. */
static uint8_t *to_bytes(const struct herd_graph *g, size_t *len)
{
    char path[] = "/tmp/herd-inrows-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    struct herd_err e = {0};
    CHECK_EQ(herd_binfmt_write(g, path, &e), HERD_OK);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    uint8_t *b = malloc(*len);
    CHECK_EQ(fread(b, 1, *len, f), *len);
    fclose(f);
    unlink(path);
    return b;
}

static struct herd_graph *from_bytes(const uint8_t *b, size_t len, struct herd_graph_opts o)
{
    struct herd_graph *g = NULL;
    struct herd_err e = {0};
    int rc = herd_graph_load_mem("t.hgr", b, len, &o, &g, &e);
    if (rc != HERD_OK)
        fprintf(stderr, "load: %s\n", e.msg);
    CHECK_EQ(rc, HERD_OK);
    return g;
}

static void same_in_rows(const struct herd_graph *a, const struct herd_graph *b)
{
    CHECK_EQ(a->n, b->n);
    CHECK_EQ(a->m, b->m);
    CHECK(memcmp(a->in_off, b->in_off, (a->n + 1) * sizeof *a->in_off) == 0);
    CHECK(memcmp(a->in_src, b->in_src, a->m * sizeof *a->in_src) == 0);
    CHECK((a->in_w == NULL) == (b->in_w == NULL));
    if (a->in_w && b->in_w)
        CHECK(memcmp(a->in_w, b->in_w, a->m * sizeof *a->in_w) == 0);
}

/* b kept only the in-rows: its out_deg must be a's out-row lengths. */
static void degrees_match(const struct herd_graph *a, const struct herd_graph *b)
{
    CHECK(b->out_off == NULL && b->out_deg != NULL);
    for (uint32_t v = 0; v < a->n; v++)
        CHECK_EQ(b->out_deg[v], a->out_off[v + 1] - a->out_off[v]);
}

static const struct herd_graph_opts BOTH = {.directed = 1, .need_out = 1, .need_in = 1,
                                            .weighted = HERD_GRAPH_WEIGHTS_AUTO};
static const struct herd_graph_opts IN_ONLY = {.directed = 1, .need_in = 1,
                                               .weighted = HERD_GRAPH_WEIGHTS_AUTO};

HERD_TEST(file_in_rows_equal_the_transpose)
{
    struct edges x;
    random_edges(&x, 1);
    struct herd_graph_opts wo = BOTH;
    wo.weighted = 1;
    struct herd_graph *ref = build(&x, wo);
    size_t len;
    uint8_t *b = to_bytes(ref, &len);
    struct herd_graph *both = from_bytes(b, len, BOTH);
    CHECK(memcmp(both->out_dst, ref->out_dst, ref->m * 4) == 0);
    same_in_rows(ref, both);
    struct herd_graph *in = from_bytes(b, len, IN_ONLY);
    same_in_rows(ref, in);
    degrees_match(ref, in);
    struct herd_graph_opts unw = IN_ONLY;
    unw.weighted = 0;
    struct herd_graph *nw = from_bytes(b, len, unw);
    CHECK(nw->in_w == NULL);
    CHECK(memcmp(nw->in_src, ref->in_src, ref->m * 4) == 0);
    herd_graph_destroy(nw);
    herd_graph_destroy(in);
    herd_graph_destroy(both);
    herd_graph_destroy(ref);
    free(b);
}

HERD_TEST(file_in_rows_simplified_and_undirected)
{
    struct edges x;
    random_edges(&x, 2);
    struct herd_graph *ref = build(&x, BOTH);
    size_t len;
    uint8_t *b = to_bytes(ref, &len);
    struct herd_graph_opts so = BOTH, sin = IN_ONLY, un = BOTH;
    so.simplify = sin.simplify = 1;
    un.directed = 0;
    struct herd_graph *sref = build(&x, so), *s = from_bytes(b, len, sin);
    CHECK_INT(sref->m, <, ref->m); /* there was something to drop */
    same_in_rows(sref, s);
    degrees_match(sref, s);
    struct herd_graph *uref = build(&x, un), *u = from_bytes(b, len, un);
    CHECK_EQ(u->m, uref->m);
    CHECK(memcmp(u->out_dst, uref->out_dst, u->m * 4) == 0);
    herd_graph_destroy(u);
    herd_graph_destroy(uref);
    herd_graph_destroy(s);
    herd_graph_destroy(sref);
    herd_graph_destroy(ref);
    free(b);
}

HERD_TEST(simplify_ignores_in_rows_that_disagree)
{
    /* Well-formed in-rows that are not the transpose (every source 0):
     * trusted as they are, but --simplify rebuilds them from the out-rows
     * (found by fuzz_load_bin: simplifying both sets gave unequal counts). */
    struct edges x;
    random_edges(&x, 5);
    struct herd_graph_opts wo = BOTH;
    wo.weighted = 0;
    struct herd_graph *ref = build(&x, wo);
    size_t len;
    uint8_t *b = to_bytes(ref, &len);
    size_t src_at = len - ref->m * 4 - (ref->m % 2) * 4;
    memset(b + src_at, 0, ref->m * 4);
    struct herd_graph_opts sin = IN_ONLY;
    struct herd_graph *plain = from_bytes(b, len, sin);
    CHECK_EQ(plain->in_src[ref->m - 1], 0);
    sin.simplify = 1;
    wo.simplify = 1;
    struct herd_graph *sref = build(&x, wo), *s = from_bytes(b, len, sin);
    same_in_rows(sref, s);
    degrees_match(sref, s);
    herd_graph_destroy(s);
    herd_graph_destroy(sref);
    herd_graph_destroy(plain);
    herd_graph_destroy(ref);
    free(b);
}

HERD_TEST(out_degrees_kept_without_file_in_rows)
{
    struct edges x;
    random_edges(&x, 3);
    struct herd_graph *ref = build(&x, BOTH);
    struct herd_graph_opts oo = BOTH;
    oo.need_in = 0;
    struct herd_graph *out_only = build(&x, oo);
    size_t len;
    uint8_t *b = to_bytes(out_only, &len);
    struct herd_graph *t = from_bytes(b, len, IN_ONLY); /* transposed at load */
    same_in_rows(ref, t);
    degrees_match(ref, t);
    struct herd_graph *text = build(&x, IN_ONLY); /* the edge-list builder */
    same_in_rows(ref, text);
    degrees_match(ref, text);
    herd_graph_destroy(text);
    herd_graph_destroy(t);
    herd_graph_destroy(out_only);
    herd_graph_destroy(ref);
    free(b);
}

HERD_TEST(corrupt_in_rows_fail_cleanly)
{
    static const uint64_t s[] = {1, 2, 3, 3, 1}, d[] = {2, 3, 1, 2, 1};
    struct herd_graph_opts o = BOTH;
    o.weighted = 0;
    struct herd_graph *g = NULL, *h;
    struct herd_err e = {0};
    CHECK_EQ(herd_graph_build(s, d, NULL, 5, NULL, 0, &o, &g, &e), HERD_OK);
    size_t len;
    uint8_t *b = to_bytes(g, &len);
    size_t in_start = len - (g->n + 1) * 8 - 5 * 4 - 4; /* in-offsets, sources, pad */
    for (size_t k = 0; k < len; k++) /* every truncation fails */
        CHECK(herd_graph_load_mem("c.hgr", b, k, &IN_ONLY, &h, &e) != HERD_OK);
    for (size_t k = in_start; k < len; k++) { /* flips fail or give a valid graph */
        b[k] ^= 0x41;
        if (herd_graph_load_mem("c.hgr", b, len, &IN_ONLY, &h, &e) == HERD_OK) {
            for (uint64_t j = 0; j < h->m; j++)
                CHECK(h->in_src[j] < h->n);
            herd_graph_destroy(h);
        }
        b[k] ^= 0x41;
    }
    b[len - 5 * 4 - 4 - 8] = 9; /* last in-offset: 9 instead of 5 */
    CHECK_EQ(herd_graph_load_mem("c.hgr", b, len, &IN_ONLY, &h, &e), HERD_EPARSE);
    CHECK(strstr(e.msg, "in-offset") != NULL);
    herd_graph_destroy(g);
    free(b);
}

HERD_TEST(pagerank_same_from_every_load)
{
    struct edges x;
    random_edges(&x, 4);
    struct herd_graph *ref = build(&x, BOTH);
    size_t len;
    uint8_t *b = to_bytes(ref, &len);
    struct herd_graph *in = from_bytes(b, len, IN_ONLY);
    struct herd_vparams vp = {.iterations = 9};
    struct herd_engine_opts eo = {.threads = 2};
    struct herd_engine *a = NULL, *c = NULL;
    struct herd_err e = {0};
    CHECK_EQ(herd_engine_create(ref, herd_algo_pagerank(), &vp, &eo, &a, &e), HERD_OK);
    CHECK_EQ(herd_engine_create(in, herd_algo_pagerank(), &vp, &eo, &c, &e), HERD_OK);
    CHECK_EQ(herd_engine_run(a, &e), HERD_OK);
    CHECK_EQ(herd_engine_run(c, &e), HERD_OK);
    /* partitions are cut by out- or in-arcs, so the dangling sum may be
     * added in another order: equal up to the last bits */
    for (uint32_t v = 0; v < ref->n; v++) {
        double pa, pc;
        memcpy(&pa, herd_engine_value(a, v), 8);
        memcpy(&pc, herd_engine_value(c, v), 8);
        CHECK(fabs(pa - pc) <= 1e-13 * pa);
    }
    herd_engine_destroy(a);
    herd_engine_destroy(c);
    herd_graph_destroy(in);
    herd_graph_destroy(ref);
    free(b);
}
