/* Tests of hash partitioning (graph/renumber.h): the partition-major
 * renumbering keeps every arc and weight under the new ids, partitions are
 * contiguous and ranked by input id, lookups find every id, the engine
 * gives the same per-id results on the renumbered graph, and the k-way
 * merge of part files. */
#include "check.h"

#include "base/rand.h"
#include "graph/algo/algo.h"
#include "graph/engine.h"
#include "graph/renumber.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { M = 4000 };

static struct herd_graph *random_graph(uint64_t seed, int directed, int weighted)
{
    static uint64_t s[M], d[M];
    static double w[M];
    struct herd_rand r;
    herd_rand_seed(&r, seed);
    for (int i = 0; i < M; i++) { /* sparse ids, parallel arcs, self-loops */
        s[i] = 1000 + 7 * herd_rand_below(&r, 700);
        d[i] = 1000 + 7 * herd_rand_below(&r, 700);
        w[i] = (double)herd_rand_below(&r, 5);
    }
    struct herd_graph_opts o = {.directed = directed, .need_out = 1, .need_in = 1,
                                .weighted = weighted};
    struct herd_graph *g = NULL;
    struct herd_err e = {0};
    CHECK_EQ(herd_graph_build(s, d, weighted ? w : NULL, M, NULL, 0, &o, &g, &e), HERD_OK);
    return g;
}

struct trip {
    uint64_t a, b;
    double w;
};

static int cmp_trip(const void *x, const void *y)
{
    const struct trip *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    return (p->w > q->w) - (p->w < q->w);
}

/* The rows as sorted (input id, input id, weight) triples; checks each row
 * is sorted by dense neighbour. */
static struct trip *triples(const struct herd_graph *g, const uint64_t *off, const uint32_t *adj,
                            const double *w)
{
    struct trip *t = malloc(off[g->n] * sizeof *t);
    for (uint32_t v = 0; v < g->n; v++)
        for (uint64_t a = off[v]; a < off[v + 1]; a++) {
            if (a > off[v])
                CHECK(adj[a - 1] <= adj[a]);
            t[a] = (struct trip){herd_graph_id(g, v), herd_graph_id(g, adj[a]), w ? w[a] : 0};
        }
    qsort(t, off[g->n], sizeof *t, cmp_trip);
    return t;
}

static void check_rows_kept(int directed, int weighted, uint32_t np)
{
    struct herd_graph *g = random_graph(11 + np, directed, weighted);
    uint64_t m = g->out_off[g->n], m_in = g->in_off[g->n];
    struct trip *out0 = triples(g, g->out_off, g->out_dst, g->out_w);
    struct trip *in0 = triples(g, g->in_off, g->in_src, g->in_w);
    uint32_t *b = malloc((np + 1) * sizeof *b);
    struct herd_err e = {0};
    CHECK_EQ(herd_renumber_hash(g, np, b, &e), HERD_OK);
    CHECK_EQ(b[0], 0u);
    CHECK_EQ(b[np], g->n);
    for (uint32_t p = 0; p < np; p++)
        for (uint32_t v = b[p]; v < b[p + 1]; v++) {
            CHECK_EQ(herd_renumber_part_of(herd_graph_id(g, v), np), p);
            if (v > b[p])
                CHECK(herd_graph_id(g, v - 1) < herd_graph_id(g, v));
            uint32_t x;
            CHECK_EQ(herd_renumber_lookup(g, np, b, herd_graph_id(g, v), &x), HERD_OK);
            CHECK_EQ(x, v);
        }
    uint32_t x;
    CHECK_EQ(herd_renumber_lookup(g, np, b, 1001, &x), HERD_ENOTFOUND);
    CHECK_EQ(g->out_off[g->n], m);
    CHECK(directed || (g->in_off == g->out_off && g->in_src == g->out_dst));
    struct trip *out1 = triples(g, g->out_off, g->out_dst, g->out_w);
    struct trip *in1 = triples(g, g->in_off, g->in_src, g->in_w);
    CHECK(memcmp(out0, out1, m * sizeof *out0) == 0);
    CHECK(memcmp(in0, in1, m_in * sizeof *in0) == 0);
    free(out0);
    free(out1);
    free(in0);
    free(in1);
    free(b);
    herd_graph_destroy(g);
}

HERD_TEST(renumber_keeps_every_arc)
{
    check_rows_kept(1, 1, 7);
    check_rows_kept(1, 0, 1);
    check_rows_kept(0, 1, 16);
    check_rows_kept(0, 0, 3);
}

/* Partitions of consecutive ids are about equal (the mixer spreads them). */
HERD_TEST(hash_spreads_consecutive_ids)
{
    uint32_t count[8] = {0};
    for (uint64_t x = 0; x < 80000; x++)
        count[herd_renumber_part_of(x, 8)]++;
    for (int p = 0; p < 8; p++)
        CHECK(count[p] > 9500 && count[p] < 10500);
    CHECK(herd_renumber_mix64(1) != herd_renumber_mix64(2));
}

HERD_TEST(partitioning_names)
{
    enum herd_partitioning p;
    CHECK_EQ(herd_partitioning_parse("hash", &p), 0);
    CHECK_EQ(p, HERD_PARTITIONING_HASH);
    CHECK_EQ(herd_partitioning_parse("range", &p), 0);
    CHECK_EQ(p, HERD_PARTITIONING_RANGE);
    CHECK_EQ(herd_partitioning_parse("Hash", &p), -1);
    CHECK_EQ(herd_partitioning_parse(NULL, &p), -1);
    CHECK_EQ(herd_partitioning_resolve(HERD_PARTITIONING_HASH, 0, "g.hgr", 0),
             HERD_PARTITIONING_HASH);
    CHECK_EQ(herd_partitioning_resolve(HERD_PARTITIONING_RANGE, 1, "g.txt", 0),
             HERD_PARTITIONING_RANGE);
    /* the default: hash for a distributed job on text, range for .hgr and
     * for one process */
    CHECK_EQ(herd_partitioning_resolve(HERD_PARTITIONING_AUTO, 1, "g.txt", 0),
             HERD_PARTITIONING_HASH);
    CHECK_EQ(herd_partitioning_resolve(HERD_PARTITIONING_AUTO, 1, "g.e", HERD_FMT_GRAPHALYTICS),
             HERD_PARTITIONING_HASH);
    CHECK_EQ(herd_partitioning_resolve(HERD_PARTITIONING_AUTO, 1, "g.hgr", 0),
             HERD_PARTITIONING_RANGE);
    CHECK_EQ(herd_partitioning_resolve(HERD_PARTITIONING_AUTO, 1, "g.bin", HERD_FMT_BIN),
             HERD_PARTITIONING_RANGE);
    CHECK_EQ(herd_partitioning_resolve(HERD_PARTITIONING_AUTO, 0, "g.txt", 0),
             HERD_PARTITIONING_RANGE);
}

/* BFS from the same source gives the same depth per input id on the
 * renumbered graph (engine with the hash bounds) as on the original. */
static void depths(struct herd_graph *g, const uint32_t *bounds, uint32_t np, uint64_t *out)
{
    struct herd_engine_opts eo = {.threads = 2, .partitions = np, .bounds = bounds,
                                  .no_fast_path = 1};
    struct herd_vparams vp = {.has_source = 1, .source_id = 1000 + 7 * 5};
    struct herd_err e = {0};
    int rc = bounds ? herd_renumber_lookup(g, np, bounds, vp.source_id, &vp.source)
                    : herd_graph_lookup(g, vp.source_id, &vp.source);
    CHECK_EQ(rc, HERD_OK);
    struct herd_engine *en = NULL;
    CHECK_EQ(herd_engine_create(g, herd_algo_find("bfs")->program(), &vp, &eo, &en, &e), HERD_OK);
    CHECK_EQ(herd_engine_run(en, &e), HERD_OK);
    for (uint32_t v = 0; v < g->n; v++) { /* ids are 1000 + 7k: slot k */
        int64_t x;
        memcpy(&x, herd_engine_value(en, v), sizeof x);
        out[(herd_graph_id(g, v) - 1000) / 7] = (uint64_t)x;
    }
    herd_engine_destroy(en);
}

HERD_TEST(engine_agrees_on_renumbered_graph)
{
    static uint64_t a[700], b[700];
    struct herd_graph *g = random_graph(5, 1, 0);
    memset(a, 0xff, sizeof a);
    memset(b, 0xff, sizeof b);
    depths(g, NULL, 6, a);
    uint32_t bounds[7];
    struct herd_err e = {0};
    CHECK_EQ(herd_renumber_hash(g, 6, bounds, &e), HERD_OK);
    depths(g, bounds, 6, b);
    CHECK(memcmp(a, b, sizeof a) == 0);
    herd_graph_destroy(g);
}

static FILE *text(const char *s)
{
    FILE *f = tmpfile();
    fputs(s, f);
    rewind(f);
    return f;
}

HERD_TEST(merge_orders_by_id)
{
    FILE *in[3] = {text("2 x\n9 y\n"), text(""), text("1 a\n3 b\n10 c")};
    FILE *out = tmpfile();
    struct herd_err e = {0};
    CHECK_EQ(herd_renumber_merge(in, NULL, 3, out, &e), HERD_OK);
    char buf[128] = "";
    rewind(out);
    size_t n = fread(buf, 1, sizeof buf - 1, out);
    buf[n] = '\0';
    CHECK_STR(buf, "1 a\n2 x\n3 b\n9 y\n10 c\n");
    for (int i = 0; i < 3; i++)
        fclose(in[i]);
    fclose(out);
}

HERD_TEST(merge_refuses_unsorted_and_bad_lines)
{
    const char *names[2] = {"p0", "p1"};
    FILE *in[2] = {text("1 a\n5 b\n4 c\n"), text("2 z\n")};
    FILE *out = tmpfile();
    struct herd_err e = {0};
    CHECK_EQ(herd_renumber_merge(in, names, 2, out, &e), HERD_EPARSE);
    CHECK(strstr(e.msg, "p0:3") != NULL);
    fclose(in[0]);
    fclose(in[1]);
    FILE *bad[1] = {text("x 1\n")};
    struct herd_err e2 = {0};
    CHECK_EQ(herd_renumber_merge(bad, names, 1, out, &e2), HERD_EPARSE);
    CHECK(strstr(e2.msg, "p0:1") != NULL);
    fclose(bad[0]);
    fclose(out);
}

/* More inputs than the fan-in: input i holds the ids i, i + K, i + 2K, ... */
enum { K = 3 * HERD_RENUMBER_FANIN + 5, PER = 4 };

static int gen_open(void *arg, uint32_t i, FILE **f, struct herd_err *e)
{
    (void)e;
    uint32_t *opened = arg;
    char buf[256] = "";
    for (uint32_t j = 0; j < PER; j++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%u v%u\n", i + j * K, i);
    *f = text(buf);
    opened[0]++;
    opened[1] = opened[0] - opened[2] > opened[1] ? opened[0] - opened[2] : opened[1];
    return HERD_OK;
}

static void gen_done(void *arg, uint32_t i, FILE *f)
{
    (void)i;
    uint32_t *opened = arg;
    opened[2]++;
    fclose(f);
}

HERD_TEST(merge_many_beyond_the_fanin)
{
    uint32_t opened[3] = {0, 0, 0}; /* opened, most open at once, closed */
    struct herd_merge_src src = {gen_open, gen_done, opened};
    FILE *out = tmpfile();
    struct herd_err e = {0};
    CHECK_EQ(herd_renumber_merge_many(&src, K, out, &e), HERD_OK);
    CHECK_EQ(opened[0], K);
    CHECK_EQ(opened[2], K);
    CHECK_INT(opened[1], <=, HERD_RENUMBER_FANIN);
    rewind(out);
    unsigned id, from, want = 0;
    while (fscanf(out, "%u v%u", &id, &from) == 2) {
        CHECK_EQ(id, want);
        CHECK_EQ(from, want % K);
        want++;
    }
    CHECK_EQ(want, K * PER);
    fclose(out);
}
