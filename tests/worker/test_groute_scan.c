/* A routed text load between two in-process workers (worker/groute_scan.h
 * over the data plane): each scans its byte range of a SNAP file, routes
 * by hash partition, and the owners end up with every edge exactly once in
 * the right partition; a malformed line fails the scanning worker with
 * "FILE:LINE: reason". */
#include "check.h"

#include "graph/load.h"
#include "graph/renumber.h"
#include "worker/dataplane.h"
#include "worker/groute_num.h"
#include "worker/groute_scan.h"
#include "worker/groute_xlate.h"

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NP 5
static const uint32_t owner[NP] = {0, 1, 0, 1, 1};

struct two {
    struct herd_dp *dp[2];
    struct herd_dp_session *s[2];
    struct herd_groute_rx *rx[2];
    struct herd_groute_tx *tx[2];
};

static void two_open(struct two *t, uint32_t epoch)
{
    struct herd_err e;
    for (int w = 0; w < 2; w++) {
        CHECK_EQ(herd_dp_listen("127.0.0.1", 0, NULL, &t->dp[w], &e), HERD_OK);
        t->s[w] = herd_dp_session_create(t->dp[w], 90, epoch, (uint32_t)w, 2, NP, owner, 8);
        CHECK_EQ(herd_groute_rx_create(NP, owner, 2, (uint32_t)w, 0, &t->rx[w], &e), HERD_OK);
        herd_dp_set_route(t->s[w], t->rx[w]);
    }
    char *peers[2] = {(char *)herd_dp_addr(t->dp[0]), (char *)herd_dp_addr(t->dp[1])};
    for (int w = 0; w < 2; w++) {
        CHECK_EQ(herd_dp_connect(t->s[w], peers, &e), HERD_OK);
        t->tx[w] = herd_groute_tx_create(t->s[w], t->rx[w], NP, owner, 2, (uint32_t)w, 0);
    }
}

static void two_close(struct two *t)
{
    for (int w = 0; w < 2; w++) {
        herd_groute_tx_destroy(t->tx[w]);
        herd_dp_session_destroy(t->s[w]);
        herd_dp_destroy(t->dp[w]);
        herd_groute_rx_destroy(t->rx[w]);
    }
}

static uint64_t id_of(uint64_t i)
{
    return (1ULL << 40) + i * 1000003; /* sparse, large */
}

/* A SNAP file of m edges id_of(i) -> id_of(7i % 1001), a comment first;
 * `bad` > 0 puts a malformed line there (1-based data line). */
static void write_graph(const char *path, uint64_t m, uint64_t bad)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fprintf(f, "# routed test graph\n");
    for (uint64_t i = 1; i <= m; i++) {
        if (i == bad)
            fprintf(f, "12 x\n");
        else
            fprintf(f, "%llu\t%llu\n", (unsigned long long)id_of(i),
                    (unsigned long long)id_of(7 * i % 1001));
    }
    fclose(f);
}

HERD_TEST(groute_ranges_cover_the_file)
{
    uint64_t sizes[] = {0, 1, 7, 1000, 0xffffffffffffULL};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (uint32_t w = 1; w <= 5; w++) {
            uint64_t prev = 0, s, en;
            for (uint32_t i = 0; i < w; i++) {
                herd_groute_range(sizes[k], i, w, &s, &en);
                CHECK_EQ(s, prev);
                CHECK_INT(en, >=, s);
                prev = en;
            }
            CHECK_EQ(prev, sizes[k]);
        }
}

HERD_TEST(groute_scan_routes_every_edge_once_to_its_owner)
{
    char path[] = "/tmp/herd-groute-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    const uint64_t M = 3000;
    write_graph(path, M, 0);
    struct two t;
    two_open(&t, 1);
    struct herd_groute_counts c[2];
    struct herd_err e;
    for (uint32_t w = 0; w < 2; w++) {
        struct herd_groute_scan sc = {.path = path, .o = {.threads = 1}, .me = w,
                                      .nworkers = 2, .nparts = NP, .out_rows = 1, .in_rows = 1};
        CHECK_EQ(herd_groute_scan_run(t.tx[w], &sc, &c[w], &e), HERD_OK);
        CHECK_EQ(herd_groute_tx_finish(t.tx[w], &e), HERD_OK);
    }
    CHECK_EQ(c[0].edges + c[1].edges, M);
    CHECK_INT(c[0].edges, >, 0);
    CHECK_INT(c[1].edges, >, 0);
    for (int w = 0; w < 2; w++)
        CHECK_EQ(herd_groute_rx_wait(t.rx[w]), HERD_OK);
    uint8_t *seen_out = calloc(M + 1, 1), *seen_in = calloc(M + 1, 1);
    for (uint32_t p = 0; p < NP; p++) {
        const struct herd_groute_part *gp = herd_groute_rx_part(t.rx[owner[p]], p);
        for (size_t k = 0; k < gp->out.n; k++) {
            uint64_t i = (gp->out.src[k] - (1ULL << 40)) / 1000003;
            CHECK(i >= 1 && i <= M && !seen_out[i]);
            seen_out[i] = 1;
            CHECK_EQ(gp->out.dst[k], id_of(7 * i % 1001));
            CHECK_EQ(herd_renumber_part_of(gp->out.src[k], NP), p);
        }
        for (size_t k = 0; k < gp->in.n; k++) {
            uint64_t i = (gp->in.src[k] - (1ULL << 40)) / 1000003;
            CHECK(i >= 1 && i <= M && !seen_in[i]);
            seen_in[i] = 1;
            CHECK_EQ(herd_renumber_part_of(gp->in.dst[k], NP), p);
        }
        CHECK_EQ(gp->nids, 0u);
    }
    for (uint64_t i = 1; i <= M; i++)
        CHECK(seen_out[i] && seen_in[i]);
    free(seen_out);
    free(seen_in);
    two_close(&t);
    unlink(path);
}

HERD_TEST(groute_scan_reports_a_malformed_line_of_its_range)
{
    char path[] = "/tmp/herd-groute-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    write_graph(path, 2000, 1900); /* in the second half: worker 1's range */
    struct two t;
    two_open(&t, 2);
    struct herd_groute_counts c;
    struct herd_err e;
    struct herd_groute_scan sc = {.path = path, .o = {.threads = 1}, .me = 0, .nworkers = 2,
                                  .nparts = NP, .out_rows = 1};
    CHECK_EQ(herd_groute_scan_run(t.tx[0], &sc, &c, &e), HERD_OK);
    sc.me = 1;
    CHECK_EQ(herd_groute_scan_run(t.tx[1], &sc, &c, &e), HERD_EPARSE);
    char want[64];
    snprintf(want, sizeof want, ":%d:", 1900 + 1); /* the comment is line 1 */
    CHECK(strstr(e.msg, want) != NULL);
    CHECK(strstr(e.msg, path) != NULL || strstr(e.msg, strrchr(path, '/') + 1) != NULL);
    two_close(&t);
    unlink(path);
}

/* Step 3: the numbering computed from the routed partitions equals the
 * one-process renumbering of the whole graph (herd_renumber_hash): same
 * bounds, same dense id for every input id. Out-rows only, so targets
 * travel as bare ids. */
HERD_TEST(groute_numbering_equals_the_whole_graph_renumbering)
{
    char path[] = "/tmp/herd-groute-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    const uint64_t M = 2500;
    write_graph(path, M, 0);
    struct two t;
    two_open(&t, 3);
    struct herd_groute_counts c;
    struct herd_err e;
    for (uint32_t w = 0; w < 2; w++) {
        struct herd_groute_scan sc = {.path = path, .o = {.threads = 1}, .me = w,
                                      .nworkers = 2, .nparts = NP, .out_rows = 1};
        CHECK_EQ(herd_groute_scan_run(t.tx[w], &sc, &c, &e), HERD_OK);
        CHECK_EQ(herd_groute_tx_finish(t.tx[w], &e), HERD_OK);
    }
    for (int w = 0; w < 2; w++)
        CHECK_EQ(herd_groute_rx_wait(t.rx[w]), HERD_OK);
    uint64_t *ids[NP], counts[NP];
    size_t n[NP];
    for (uint32_t p = 0; p < NP; p++) {
        CHECK_EQ(herd_groute_part_ids(herd_groute_rx_part(t.rx[owner[p]], p), &ids[p], &n[p], &e),
                 HERD_OK);
        counts[p] = n[p];
    }
    for (uint32_t w = 0; w < 2; w++) /* the all-gather: each sends its own partitions' */
        CHECK_EQ(herd_groute_tx_counts(t.tx[w], counts, &e), HERD_OK);
    uint64_t gathered[2][NP];
    for (uint32_t w = 0; w < 2; w++) {
        CHECK_EQ(herd_groute_rx_wait_counts(t.rx[w], gathered[w]), HERD_OK);
        for (uint32_t p = 0; p < NP; p++)
            CHECK_EQ(gathered[w][p], counts[p]);
    }
    uint32_t base[NP + 1], bounds[NP + 1];
    CHECK_EQ(herd_groute_bases(gathered[1], NP, base, &e), HERD_OK);
    struct herd_graph_opts o = {.threads = 1, .need_out = 1};
    struct herd_graph *g;
    CHECK_EQ(herd_graph_load(path, &o, &g, &e), HERD_OK);
    CHECK_EQ(herd_renumber_hash(g, NP, bounds, &e), HERD_OK);
    for (uint32_t p = 0; p <= NP; p++)
        CHECK_EQ(base[p], bounds[p]);
    CHECK_EQ(base[NP], g->n);
    for (uint64_t i = 0; i <= M; i++) { /* every input id (id_of(0) is a target: 7*143 % 1001) */
        uint64_t x = id_of(i);
        uint32_t want, got;
        int rw = herd_renumber_lookup(g, NP, bounds, x, &want);
        uint32_t p = herd_renumber_part_of(x, NP);
        int rg = herd_groute_dense(ids[p], n[p], base[p], x, &got);
        CHECK_EQ(rg, rw);
        if (rw == HERD_OK)
            CHECK_EQ(got, want);
    }
    uint32_t v;
    CHECK_EQ(herd_groute_dense(ids[0], n[0], base[0], 5, &v), HERD_ENOTFOUND);
    herd_graph_destroy(g);
    for (uint32_t p = 0; p < NP; p++)
        free(ids[p]);
    two_close(&t);
    unlink(path);
}

HERD_TEST(groute_bases_refuse_more_than_32_bit_ids)
{
    uint64_t counts[3] = {1, UINT32_MAX - 1, 1};
    uint32_t base[4];
    struct herd_err e;
    CHECK_EQ(herd_groute_bases(counts, 2, base, &e), HERD_OK);
    CHECK_EQ(base[2], UINT32_MAX);
    CHECK_EQ(herd_groute_bases(counts, 3, base, &e), HERD_EINVAL);
}

struct xl {
    struct herd_dp_session *s;
    struct herd_groute_rx *rx;
    struct herd_groute_numbering num;
    struct herd_groute_xlate *x;
    int rc;
};

static void *xlate_main(void *arg)
{
    struct xl *a = arg;
    struct herd_err e;
    a->rc = herd_groute_xlate_run(a->s, a->rx, &a->num, &a->x, &e);
    return NULL;
}

/* Step 4: with out- and in-rows routed, each worker asks the owners for
 * the dense ids of its rows' remote endpoints (both workers at once); every
 * endpoint of every row then translates to herd_renumber_hash's dense id. */
HERD_TEST(groute_translation_matches_the_whole_graph_renumbering)
{
    char path[] = "/tmp/herd-groute-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    const uint64_t M = 2500;
    write_graph(path, M, 0);
    struct two t;
    two_open(&t, 4);
    struct herd_groute_counts c;
    struct herd_err e;
    for (uint32_t w = 0; w < 2; w++) {
        struct herd_groute_scan sc = {.path = path, .o = {.threads = 1}, .me = w,
                                      .nworkers = 2, .nparts = NP, .out_rows = 1, .in_rows = 1};
        CHECK_EQ(herd_groute_scan_run(t.tx[w], &sc, &c, &e), HERD_OK);
        CHECK_EQ(herd_groute_tx_finish(t.tx[w], &e), HERD_OK);
    }
    uint64_t *ids[NP], counts[NP];
    size_t n[NP];
    for (int w = 0; w < 2; w++)
        CHECK_EQ(herd_groute_rx_wait(t.rx[w]), HERD_OK);
    for (uint32_t p = 0; p < NP; p++) {
        CHECK_EQ(herd_groute_part_ids(herd_groute_rx_part(t.rx[owner[p]], p), &ids[p], &n[p], &e),
                 HERD_OK);
        counts[p] = n[p];
    }
    for (uint32_t w = 0; w < 2; w++)
        CHECK_EQ(herd_groute_tx_counts(t.tx[w], counts, &e), HERD_OK);
    uint64_t gathered[NP];
    uint32_t base[NP + 1];
    CHECK_EQ(herd_groute_rx_wait_counts(t.rx[0], gathered), HERD_OK);
    CHECK_EQ(herd_groute_bases(gathered, NP, base, &e), HERD_OK);
    struct xl a[2];
    pthread_t th[2];
    for (uint32_t w = 0; w < 2; w++) {
        a[w] = (struct xl){.s = t.s[w], .rx = t.rx[w],
                           .num = {.nparts = NP, .me = w, .owner = owner, .ids = ids, .n = n,
                                   .base = base}};
        CHECK_EQ(pthread_create(&th[w], NULL, xlate_main, &a[w]), 0);
    }
    for (int w = 0; w < 2; w++) {
        pthread_join(th[w], NULL);
        CHECK_EQ(a[w].rc, HERD_OK);
    }
    struct herd_graph_opts o = {.threads = 1, .need_out = 1};
    struct herd_graph *g;
    uint32_t bounds[NP + 1];
    CHECK_EQ(herd_graph_load(path, &o, &g, &e), HERD_OK);
    CHECK_EQ(herd_renumber_hash(g, NP, bounds, &e), HERD_OK);
    uint64_t checked = 0;
    for (uint32_t p = 0; p < NP; p++) {
        const struct herd_groute_xlate *x = a[owner[p]].x;
        const struct herd_groute_part *gp = herd_groute_rx_part(t.rx[owner[p]], p);
        for (int k = 0; k < 2; k++) {
            const struct herd_groute_edges *b = k ? &gp->in : &gp->out;
            for (size_t i = 0; i < b->n; i++) {
                uint64_t ends[2] = {b->src[i], b->dst[i]};
                for (int j = 0; j < 2; j++) {
                    uint32_t want, got;
                    CHECK_EQ(herd_renumber_lookup(g, NP, bounds, ends[j], &want), HERD_OK);
                    CHECK_EQ(herd_groute_xlate_dense(x, ends[j], &got), HERD_OK);
                    CHECK_EQ(got, want);
                    checked++;
                }
            }
        }
    }
    CHECK_EQ(checked, 4 * M);
    herd_graph_destroy(g);
    for (int w = 0; w < 2; w++)
        herd_groute_xlate_destroy(a[w].x);
    for (uint32_t p = 0; p < NP; p++)
        free(ids[p]);
    two_close(&t);
    unlink(path);
}
