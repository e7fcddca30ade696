/* The whole routed load (worker/groute_load.h) between 2 and 3 in-process
 * workers over real data-plane sessions, each on its own thread: every
 * worker's partial graph equals herd_renumber_hash() of the whole graph on
 * its partitions (n, bounds, every vertex's input id and out-degree, the
 * owned rows byte for byte, empty rows elsewhere, the whole arc count), for
 * directed, directed pull-path (in-rows only), undirected, weighted and
 * simplified loads, a Graphalytics pair with a .v-only vertex; and a
 * malformed line fails every worker with the whole-file loader's error. */
#include "check.h"

#include "graph/load.h"
#include "graph/renumber.h"
#include "worker/dataplane.h"
#include "worker/groute_load.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NP 7
#define MAXW 3
static const uint32_t owner2[NP] = {0, 1, 0, 1, 1, 0, 1};
static const uint32_t owner3[NP] = {2, 0, 1, 2, 0, 1, 1};

struct worker {
    struct herd_dp *dp;
    struct herd_dp_session *s;
    struct herd_groute_rx *rx;
    struct herd_groute_job j;
    struct herd_graph *g;
    uint32_t bounds[NP + 1];
    struct herd_err e;
    int rc;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->rc = herd_groute_load_run(w->s, w->rx, &w->j, &w->g, w->bounds, &w->e);
    return NULL;
}

/* Runs the routed load of `path` with options o on nw workers. */
static void run_workers(struct worker *ws, uint32_t nw, const char *path,
                        const struct herd_graph_opts *o, uint32_t epoch)
{
    const uint32_t *owner = nw == 2 ? owner2 : owner3;
    struct herd_err e;
    char *peers[MAXW];
    for (uint32_t w = 0; w < nw; w++) {
        memset(&ws[w], 0, sizeof ws[w]);
        ws[w].j = (struct herd_groute_job){.path = path, .o = *o, .me = w, .nworkers = nw,
                                           .nparts = NP, .owner = owner};
        CHECK_EQ(herd_dp_listen("127.0.0.1", 0, NULL, &ws[w].dp, &e), HERD_OK);
        ws[w].s = herd_dp_session_create(ws[w].dp, 77, epoch, w, nw, NP, owner, 8);
        CHECK_EQ(herd_groute_load_rx(&ws[w].j, &ws[w].rx, &e), HERD_OK);
        herd_dp_set_route(ws[w].s, ws[w].rx);
        peers[w] = (char *)herd_dp_addr(ws[w].dp);
    }
    for (uint32_t w = 0; w < nw; w++)
        CHECK_EQ(herd_dp_connect(ws[w].s, peers, &e), HERD_OK);
    pthread_t th[MAXW];
    for (uint32_t w = 0; w < nw; w++)
        CHECK_EQ(pthread_create(&th[w], NULL, worker_main, &ws[w]), 0);
    for (uint32_t w = 0; w < nw; w++)
        pthread_join(th[w], NULL);
}

static void close_workers(struct worker *ws, uint32_t nw)
{
    for (uint32_t w = 0; w < nw; w++) {
        herd_dp_session_destroy(ws[w].s);
        herd_dp_destroy(ws[w].dp);
        herd_groute_rx_destroy(ws[w].rx);
        if (ws[w].rc == HERD_OK)
            herd_graph_destroy(ws[w].g);
    }
}

/* The whole graph's out-degrees, as the engine derives them. */
static uint32_t *whole_degs(const struct herd_graph *g)
{
    uint32_t *d = calloc(g->n + 1, sizeof *d);
    for (uint32_t v = 0; v < g->n; v++)
        if (g->out_off)
            d[v] = (uint32_t)(g->out_off[v + 1] - g->out_off[v]);
        else if (g->out_deg)
            d[v] = g->out_deg[v];
    for (uint64_t a = 0; !g->out_off && !g->out_deg && a < g->in_off[g->n]; a++)
        d[g->in_src[a]]++;
    return d;
}

/* Row v of (off, adj, w) in the partial graph equals the whole graph's. */
static void same_row(const uint64_t *po, const uint32_t *pa, const double *pw, const uint64_t *wo,
                     const uint32_t *wa, const double *ww, uint32_t v, int mine)
{
    uint64_t deg = po[v + 1] - po[v];
    if (!mine) {
        CHECK_EQ(deg, 0);
        return;
    }
    CHECK_EQ(deg, wo[v + 1] - wo[v]);
    CHECK(memcmp(pa + po[v], wa + wo[v], deg * sizeof *pa) == 0);
    CHECK((pw == NULL) == (ww == NULL));
    if (pw)
        CHECK(memcmp(pw + po[v], ww + wo[v], deg * sizeof *pw) == 0);
}

/* Every worker's graph against the whole graph renumbered. */
static void check_equal(struct worker *ws, uint32_t nw, const char *path,
                        const struct herd_graph_opts *o)
{
    struct herd_err e;
    struct herd_graph *whole;
    uint32_t bounds[NP + 1];
    CHECK_EQ(herd_graph_load(path, o, &whole, &e), HERD_OK);
    CHECK_EQ(herd_renumber_hash(whole, NP, bounds, &e), HERD_OK);
    uint32_t *deg = whole_degs(whole);
    for (uint32_t w = 0; w < nw; w++) {
        const struct herd_graph *g = ws[w].g;
        CHECK_EQ(ws[w].rc, HERD_OK);
        CHECK_EQ(g->n, whole->n);
        CHECK(g->partial);
        CHECK_EQ(g->m_whole, whole->m);
        CHECK_EQ(g->directed, whole->directed);
        CHECK(memcmp(ws[w].bounds, bounds, sizeof bounds) == 0);
        CHECK((g->out_off == NULL) == (whole->out_off == NULL));
        CHECK((g->in_off == NULL) == (whole->in_off == NULL));
        for (uint32_t p = 0; p < NP; p++)
            for (uint32_t v = bounds[p]; v < bounds[p + 1]; v++) {
                int mine = ws[w].j.owner[p] == w;
                CHECK_EQ(g->ids[v], herd_graph_id(whole, v));
                CHECK_EQ(g->out_deg[v], deg[v]);
                if (g->out_off)
                    same_row(g->out_off, g->out_dst, g->out_w, whole->out_off, whole->out_dst,
                             whole->out_w, v, mine);
                if (g->in_off && g->directed)
                    same_row(g->in_off, g->in_src, g->in_w, whole->in_off, whole->in_src,
                             whole->in_w, v, mine);
            }
    }
    free(deg);
    herd_graph_destroy(whole);
}

static uint64_t id_of(uint64_t i)
{
    return (1ULL << 41) + i * 7919; /* sparse, large */
}

/* A SNAP file: `m` pseudo-random edges over 600 vertices, with repeated
 * edges and self-loops; a weight column when weighted; `bad` > 0 puts a
 * malformed line there (1-based data line). */
static void write_snap(const char *path, uint64_t m, int weighted, uint64_t bad)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fprintf(f, "# routed build test\n");
    uint64_t x = 12345;
    for (uint64_t i = 1; i <= m; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t a = (x >> 33) % 600, b = (x >> 13) % 600;
        if (i % 97 == 0)
            b = a; /* a self-loop */
        if (i == bad)
            fprintf(f, "1 2 3 4 5 oops\n");
        else if (weighted)
            fprintf(f, "%llu %llu %.3f\n", (unsigned long long)id_of(a),
                    (unsigned long long)id_of(b), (double)((x >> 40) % 50) / 4);
        else
            fprintf(f, "%llu\t%llu\n", (unsigned long long)id_of(a),
                    (unsigned long long)id_of(b));
        if (i % 50 == 0 && i != bad) /* a repeated edge */
            fprintf(f, weighted ? "%llu %llu 0.5\n" : "%llu %llu\n", (unsigned long long)id_of(a),
                    (unsigned long long)id_of(b));
    }
    fclose(f);
}

static void tmp_path(char *path)
{
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
}

/* One load compared, with 2 and with 3 workers. */
static void routed_equals_whole(const char *path, const struct herd_graph_opts *o)
{
    for (uint32_t nw = 2; nw <= 3; nw++) {
        struct worker ws[MAXW];
        run_workers(ws, nw, path, o, nw);
        check_equal(ws, nw, path, o);
        close_workers(ws, nw);
    }
}

HERD_TEST(groute_build_directed_out_and_in_rows)
{
    char path[] = "/tmp/herd-gbuild-XXXXXX";
    tmp_path(path);
    write_snap(path, 4000, 0, 0);
    struct herd_graph_opts o = {.threads = 1, .directed = 1, .need_out = 1, .need_in = 1};
    routed_equals_whole(path, &o);
    unlink(path);
}

HERD_TEST(groute_build_directed_pull_path_in_rows_and_degrees)
{
    char path[] = "/tmp/herd-gbuild-XXXXXX";
    tmp_path(path);
    write_snap(path, 3000, 0, 0);
    struct herd_graph_opts o = {.threads = 1, .directed = 1, .need_in = 1};
    routed_equals_whole(path, &o);
    o.simplify = 1;
    routed_equals_whole(path, &o);
    unlink(path);
}

HERD_TEST(groute_build_undirected)
{
    char path[] = "/tmp/herd-gbuild-XXXXXX";
    tmp_path(path);
    write_snap(path, 3000, 0, 0);
    struct herd_graph_opts o = {.threads = 1, .directed = 0, .need_out = 1};
    routed_equals_whole(path, &o);
    o.simplify = 1;
    routed_equals_whole(path, &o);
    unlink(path);
}

HERD_TEST(groute_build_weighted)
{
    char path[] = "/tmp/herd-gbuild-XXXXXX";
    tmp_path(path);
    write_snap(path, 3000, 1, 0);
    struct herd_graph_opts o = {.threads = 1, .directed = 1, .weighted = 1, .need_out = 1};
    routed_equals_whole(path, &o);
    o.directed = 0;
    o.simplify = 1;
    routed_equals_whole(path, &o);
    unlink(path);
}

HERD_TEST(groute_build_graphalytics_with_a_vertex_only_in_the_v_file)
{
    char dir[] = "/tmp/herd-gbuild-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char ep[64], vp[64], stem[64];
    snprintf(stem, sizeof stem, "%s/g", dir);
    snprintf(ep, sizeof ep, "%s/g.e", dir);
    snprintf(vp, sizeof vp, "%s/g.v", dir);
    FILE *v = fopen(vp, "w"), *f = fopen(ep, "w");
    CHECK(v && f);
    for (uint64_t i = 0; i < 400; i++)
        fprintf(v, "%llu\n", (unsigned long long)id_of(i));
    fprintf(v, "%llu\n", (unsigned long long)id_of(100000)); /* no edges */
    for (uint64_t i = 0; i < 1500; i++)
        fprintf(f, "%llu %llu\n", (unsigned long long)id_of(i * 7 % 400),
                (unsigned long long)id_of(i * 13 % 400));
    fclose(v);
    fclose(f);
    struct herd_graph_opts o = {.threads = 1, .directed = 1, .need_out = 1, .need_in = 1};
    routed_equals_whole(stem, &o);
    routed_equals_whole(ep, &o);
    unlink(ep);
    unlink(vp);
    rmdir(dir);
}

/* Two malformed lines, in the first and the last worker's ranges: every
 * worker reports the first one (the lowest failing range's). */
HERD_TEST(groute_build_two_malformed_ranges_report_the_first)
{
    char path[] = "/tmp/herd-gbuild-XXXXXX";
    tmp_path(path);
    write_snap(path, 3000, 0, 2900);
    FILE *f = fopen(path, "r+");
    CHECK(f != NULL);
    CHECK_EQ(fseek(f, 40, SEEK_SET), 0); /* inside the first data lines */
    fputs("zz", f);
    fclose(f);
    struct herd_graph_opts o = {.threads = 1, .directed = 1, .need_out = 1};
    struct herd_graph *g;
    struct herd_err want;
    CHECK_EQ(herd_graph_load(path, &o, &g, &want), HERD_EPARSE);
    CHECK(strstr(want.msg, ":3: ") != NULL || strstr(want.msg, ":2: ") != NULL);
    for (uint32_t nw = 2; nw <= 3; nw++) {
        struct worker ws[MAXW];
        run_workers(ws, nw, path, &o, 20 + nw);
        for (uint32_t w = 0; w < nw; w++) {
            CHECK_EQ(ws[w].rc, HERD_EPARSE);
            CHECK_STR(ws[w].e.msg, want.msg);
        }
        close_workers(ws, nw);
    }
    unlink(path);
}

HERD_TEST(groute_build_malformed_line_fails_every_worker_with_its_line)
{
    char path[] = "/tmp/herd-gbuild-XXXXXX";
    tmp_path(path);
    write_snap(path, 3000, 0, 2900); /* in the last worker's range */
    struct herd_graph_opts o = {.threads = 1, .directed = 1, .need_out = 1};
    struct herd_graph *g;
    struct herd_err want;
    CHECK_EQ(herd_graph_load(path, &o, &g, &want), HERD_EPARSE);
    for (uint32_t nw = 2; nw <= 3; nw++) {
        struct worker ws[MAXW];
        run_workers(ws, nw, path, &o, 10 + nw);
        for (uint32_t w = 0; w < nw; w++) {
            CHECK_EQ(ws[w].rc, HERD_EPARSE);
            CHECK_STR(ws[w].e.msg, want.msg);
        }
        close_workers(ws, nw);
    }
    unlink(path);
}

/* Graphalytics: every worker fails with the whole loader's error for an
 * .e endpoint missing from the .v file (lowest line), and for a malformed
 * .v line (every worker reads the whole .v), with 2 and 3 workers. */
static void unlisted_fails_like_the_whole_loader(const char *ep, const char *want_at)
{
    struct herd_graph_opts o = {.threads = 1, .directed = 1, .need_out = 1};
    struct herd_graph *g;
    struct herd_err want;
    int code = herd_graph_load(ep, &o, &g, &want);
    CHECK_EQ(code, HERD_EPARSE);
    CHECK(strstr(want.msg, want_at) != NULL);
    for (uint32_t nw = 2; nw <= 3; nw++) {
        struct worker ws[MAXW];
        run_workers(ws, nw, ep, &o, 30 + nw);
        for (uint32_t w = 0; w < nw; w++) {
            CHECK_EQ(ws[w].rc, code);
            CHECK_STR(ws[w].e.msg, want.msg);
        }
        close_workers(ws, nw);
    }
}

HERD_TEST(groute_build_graphalytics_endpoint_missing_from_the_v_file)
{
    char dir[] = "/tmp/herd-gbuild-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char ep[64], vp[64];
    snprintf(ep, sizeof ep, "%s/g.e", dir);
    snprintf(vp, sizeof vp, "%s/g.v", dir);
    for (int round = 0; round < 3; round++) {
        FILE *v = fopen(vp, "w"), *f = fopen(ep, "w");
        CHECK(v && f);
        for (uint64_t i = 0; i < 400; i++)
            fprintf(v, i == 350 && round == 2 ? "x%llu\n" : "%llu\n",
                    (unsigned long long)id_of(i));
        for (uint64_t i = 0; i < 1500; i++) {
            uint64_t s = id_of(i * 7 % 400), d = id_of(i * 13 % 400);
            if (i == 1400 || (i == 700 && round == 0))
                d = id_of(5000 + i); /* not in the .v file */
            fprintf(f, "%llu %llu\n", (unsigned long long)s, (unsigned long long)d);
        }
        fclose(v);
        fclose(f);
        unlisted_fails_like_the_whole_loader(ep, round == 0   ? "g.e:701: "
                                                 : round == 1 ? "g.e:1401: "
                                                              : "g.v:351: ");
    }
    unlink(ep);
    unlink(vp);
    rmdir(dir);
}
