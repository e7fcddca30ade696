/* Tests of the partial .hgr reader (graph/binfmt.h, herd_binfmt_read_part):
 * the rows of the owned partitions equal the whole-file graph's, other rows
 * are empty, the bounds equal the one-process split (graph/partition.h),
 * and a corrupt file is an error, not a crash. */
#include "check.h"

#include "base/rand.h"
#include "graph/binfmt.h"
#include "graph/partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NE 1500
#define NP 7

static void random_edges(uint64_t *s, uint64_t *d, double *w, uint64_t seed)
{
    struct herd_rand r;
    herd_rand_seed(&r, seed);
    for (int i = 0; i < NE; i++) { /* sparse ids, parallel arcs and loops too */
        s[i] = 1000003 * herd_rand_below(&r, 400) + 7;
        d[i] = 1000003 * herd_rand_below(&r, 250) + 7;
        w[i] = (double)(1 + herd_rand_below(&r, 9)) / 4;
    }
}

/* A .hgr file of random edges, directed with in-rows or undirected; its
 * name goes into path (room for 32 bytes). */
static void make_file_rows(char *path, int directed, int weighted, int in_rows)
{
    static uint64_t s[NE], d[NE];
    static double w[NE];
    random_edges(s, d, w, 42);
    struct herd_graph_opts o = {.directed = directed, .weighted = weighted, .need_out = 1,
                                .need_in = directed && in_rows};
    struct herd_graph *g = NULL;
    struct herd_err e = {0};
    CHECK_EQ(herd_graph_build(s, d, w, NE, NULL, 0, &o, &g, &e), HERD_OK);
    strcpy(path, "/tmp/herd-part-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_EQ(herd_binfmt_write(g, path, &e), HERD_OK);
    herd_graph_destroy(g);
}

static void make_file(char *path, int directed, int weighted)
{
    make_file_rows(path, directed, weighted, 1);
}

static void same_rows(const uint64_t *woff, const uint32_t *wadj, const double *ww,
                      const struct herd_graph *p, const uint64_t *poff, const uint32_t *padj,
                      const double *pw, const uint32_t *b, const uint8_t *owned)
{
    CHECK((ww == NULL) == (pw == NULL));
    uint64_t total = 0;
    for (uint32_t q = 0; q < NP; q++)
        for (uint32_t v = b[q]; v < b[q + 1]; v++) {
            uint64_t len = woff[v + 1] - woff[v], plen = poff[v + 1] - poff[v];
            CHECK_EQ(plen, owned[q] ? len : 0);
            if (!owned[q])
                continue;
            total += len;
            CHECK(memcmp(padj + poff[v], wadj + woff[v], len * 4) == 0);
            if (ww)
                CHECK(memcmp(pw + poff[v], ww + woff[v], len * 8) == 0);
        }
    CHECK_EQ(poff[p->n], total); /* the arrays hold the owned rows and nothing else */
}

/* Loads `path` whole and partially with `o` and compares. */
static void compare(const char *path, struct herd_graph_opts o, const uint8_t *owned)
{
    struct herd_graph *whole = NULL, *part = NULL;
    struct herd_err e = {0};
    uint32_t b[NP + 1], wb[NP + 1];
    CHECK_EQ(herd_graph_load(path, &o, &whole, &e), HERD_OK);
    int rc = herd_binfmt_read_part(path, &o, NP, owned, b, &part, &e);
    if (rc != HERD_OK)
        fprintf(stderr, "partial: %s\n", e.msg);
    CHECK_EQ(rc, HERD_OK);
    herd_partition_bounds_of(whole, NP, wb);
    CHECK(memcmp(b, wb, sizeof b) == 0);
    CHECK_INT(b[1], >, 0); /* a real split, not everything in one partition */
    CHECK_INT(b[NP - 1], <, whole->n);
    CHECK(part->partial && !whole->partial);
    CHECK_EQ(part->n, whole->n);
    CHECK_EQ(part->m_whole, whole->m);
    CHECK_EQ(part->m, (part->out_off ? part->out_off : part->in_off)[part->n]);
    CHECK_EQ(part->directed, whole->directed);
    CHECK((part->ids == NULL) == (whole->ids == NULL));
    if (whole->ids)
        CHECK(memcmp(part->ids, whole->ids, whole->n * 8) == 0);
    CHECK((part->out_deg == NULL) == (whole->out_deg == NULL));
    if (whole->out_deg)
        CHECK(memcmp(part->out_deg, whole->out_deg, whole->n * 4) == 0);
    CHECK((part->out_off == NULL) == (whole->out_off == NULL));
    if (whole->out_off)
        same_rows(whole->out_off, whole->out_dst, whole->out_w, part, part->out_off,
                  part->out_dst, part->out_w, b, owned);
    CHECK((part->in_off == NULL) == (whole->in_off == NULL));
    if (whole->in_off && whole->directed)
        same_rows(whole->in_off, whole->in_src, whole->in_w, part, part->in_off, part->in_src,
                  part->in_w, b, owned);
    if (!whole->directed)
        CHECK(part->in_off == part->out_off && part->in_src == part->out_dst);
    herd_graph_destroy(whole);
    herd_graph_destroy(part);
}

static const uint8_t some[NP] = {1, 0, 0, 1, 0, 1, 0};
static const uint8_t all[NP] = {1, 1, 1, 1, 1, 1, 1};
static const uint8_t none[NP] = {0};

HERD_TEST(directed_pull_only_rows_and_degrees)
{
    char path[] = "/tmp/herd-part-XXXXXX";
    make_file(path, 1, 0);
    struct herd_graph_opts o = {.directed = 1, .need_in = 1};
    compare(path, o, some);
    compare(path, o, all);
    compare(path, o, none);
    unlink(path);
}

HERD_TEST(directed_out_and_in_rows_weighted)
{
    char path[] = "/tmp/herd-part-XXXXXX";
    make_file(path, 1, 1);
    struct herd_graph_opts o = {.directed = 1, .need_out = 1, .need_in = 1, .weighted = 1};
    compare(path, o, some);
    o.need_in = 0;
    compare(path, o, all);
    o.weighted = HERD_GRAPH_WEIGHTS_AUTO;
    compare(path, o, some);
    o.weighted = 0;
    compare(path, o, some);
    unlink(path);
}

HERD_TEST(unweighted_file_asked_for_weights_gets_ones)
{
    char path[] = "/tmp/herd-part-XXXXXX";
    make_file(path, 1, 0);
    struct herd_graph_opts o = {.directed = 1, .need_out = 1, .weighted = 1};
    compare(path, o, some);
    unlink(path);
}

/* A directed file stored without in-rows: the owned in-rows come from a
 * streamed transpose of the out-rows, equal to the whole-file reader's
 * (parallel arcs by ascending weight included). */
HERD_TEST(in_rows_transposed_when_the_file_has_none)
{
    char path[32];
    make_file_rows(path, 1, 1, 0);
    struct herd_graph_opts o = {.directed = 1, .need_in = 1};
    compare(path, o, some); /* the pull path: in-rows and out-degrees */
    compare(path, o, all);
    o.weighted = 1;
    compare(path, o, some);
    o.need_out = 1;
    compare(path, o, some);
    o.weighted = HERD_GRAPH_WEIGHTS_AUTO;
    compare(path, o, none);
    unlink(path);
    make_file_rows(path, 1, 0, 0);
    o.weighted = 1; /* 1.0 for every arc */
    compare(path, o, some);
    unlink(path);
}

HERD_TEST(undirected_rows)
{
    char path[] = "/tmp/herd-part-XXXXXX";
    make_file(path, 0, 1);
    struct herd_graph_opts o = {.directed = 0, .need_out = 1, .weighted = 1};
    compare(path, o, some);
    unlink(path);
}

static int try_part(const char *path, struct herd_graph_opts o, char *msg, size_t cap)
{
    struct herd_graph *g = NULL;
    struct herd_err e = {0};
    uint32_t b[NP + 1];
    int rc = herd_binfmt_read_part(path, &o, NP, some, b, &g, &e);
    snprintf(msg, cap, "%s", e.msg);
    herd_graph_destroy(g);
    return rc;
}

HERD_TEST(loads_it_cannot_split_are_unsupported)
{
    char path[] = "/tmp/herd-part-XXXXXX", msg[512];
    make_file(path, 1, 0);
    struct herd_graph_opts o = {.directed = 1, .need_out = 1, .simplify = 1};
    CHECK_EQ(try_part(path, o, msg, sizeof msg), HERD_EUNSUPPORTED);
    o.simplify = 0;
    o.directed = 0; /* a directed file asked undirected: rebuilt from every arc */
    CHECK_EQ(try_part(path, o, msg, sizeof msg), HERD_EUNSUPPORTED);
    FILE *f = fopen(path, "w");
    fputs("1 2\n2 3\n", f); /* text */
    fclose(f);
    CHECK_EQ(try_part(path, o, msg, sizeof msg), HERD_EUNSUPPORTED);
    unlink(path);
    CHECK_EQ(try_part(path, o, msg, sizeof msg), HERD_EUNSUPPORTED); /* missing */
    char und[] = "/tmp/herd-part-XXXXXX";
    make_file(und, 0, 0);
    o.directed = 1;
    CHECK_EQ(try_part(und, o, msg, sizeof msg), HERD_EINVAL);
    CHECK(strstr(msg, "stored undirected") != NULL);
    unlink(und);
}

/* Overwrites 8 little-endian bytes at `at`. */
static void poke(const char *path, long at, uint64_t v)
{
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    fseek(f, at, SEEK_SET);
    for (int i = 0; i < 8; i++)
        fputc((int)(v >> (8 * i)) & 0xff, f);
    fclose(f);
}

HERD_TEST(corrupt_files_are_clear_errors)
{
    char path[] = "/tmp/herd-part-XXXXXX", msg[512];
    struct herd_graph_opts o = {.directed = 1, .need_out = 1};
    struct herd_graph *g = NULL;
    struct herd_err e = {0};
    make_file(path, 1, 0);
    CHECK_EQ(herd_graph_load(path, &o, &g, &e), HERD_OK);
    uint32_t n = g->n;
    long off_at = 64 + 8L * n; /* sparse ids: the id array comes first */
    long adj_at = off_at + 8L * (n + 1);
    herd_graph_destroy(g);

    poke(path, off_at + 8 * 5, 1ull << 40); /* offsets no longer ascend */
    CHECK_EQ(try_part(path, o, msg, sizeof msg), HERD_EPARSE);
    CHECK(strstr(msg, "offsets decrease") != NULL);
    unlink(path);

    make_file(path, 1, 0);
    poke(path, adj_at, 0xfffffff0fffffff0ull); /* vertex 0's first targets out of range */
    uint8_t first[NP] = {1, 0, 0, 0, 0, 0, 0};
    uint32_t b[NP + 1];
    CHECK_EQ(herd_binfmt_read_part(path, &o, NP, first, b, &g, &e), HERD_EPARSE);
    CHECK(strstr(e.msg, "but there are") != NULL);
    unlink(path);

    make_file_rows(path, 1, 0, 0); /* in-rows streamed from the out-rows */
    poke(path, adj_at + 8, 0xfffffff0fffffff0ull);
    struct herd_graph_opts pull = {.directed = 1, .need_in = 1};
    CHECK_EQ(try_part(path, pull, msg, sizeof msg), HERD_EPARSE);
    CHECK(strstr(msg, "out of range") != NULL);
    unlink(path);

    make_file(path, 1, 0);
    CHECK_EQ(truncate(path, adj_at + 100), 0);
    CHECK_EQ(try_part(path, o, msg, sizeof msg), HERD_EPARSE);
    CHECK(strstr(msg, "header implies") != NULL);
    poke(path, 16, 0); /* n = 0 with a payload: sizes disagree */
    CHECK_EQ(try_part(path, o, msg, sizeof msg), HERD_EPARSE);
    unlink(path);
}
