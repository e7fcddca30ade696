/* Loader tests: each format from small files written into a temp dir,
 * compressed inputs, CRLF, the binary round trip, and the real datasets of
 * ../shared/datasets (or $HERD_DATASETS), whose counts must match the table
 * in their README. */
#include "../unit/check.h"

#include "graph/graph.h"
#include "graph/load.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static const char *tmpdir(void)
{
    if (dir[0] == '\0') {
        strcpy(dir, "/tmp/herd-load-XXXXXX");
        CHECK(mkdtemp(dir) != NULL);
    }
    return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes this test's temp dir (each test runs in its own process). */
static void done(void)
{
    if (dir[0])
        nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Writes `text` to DIR/name and returns the path (static buffer per slot). */
static const char *put(const char *name, const char *text, size_t len)
{
    static char paths[4][256];
    static int slot;
    char *p = paths[slot++ % 4];
    snprintf(p, 256, "%s/%s", tmpdir(), name);
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    CHECK_EQ(fwrite(text, 1, len, f), len);
    fclose(f);
    return p;
}

static const char *puts_(const char *name, const char *text)
{
    return put(name, text, strlen(text));
}

static struct herd_graph *load(const char *path, int directed, int weighted)
{
    struct herd_graph_opts o = {.directed = directed, .weighted = weighted, .need_out = 1,
                                .need_in = directed};
    struct herd_graph *g = NULL;
    struct herd_err e;
    int rc = herd_graph_load(path, &o, &g, &e);
    if (rc != HERD_OK)
        herd_test_fail(__FILE__, __LINE__, "load %s: %s", path, e.msg);
    return g;
}

static int load_err(const char *path, char *msg, size_t cap)
{
    struct herd_graph_opts o = {.directed = 1, .weighted = 1, .need_out = 1};
    struct herd_graph *g = NULL;
    struct herd_err e;
    int rc = herd_graph_load(path, &o, &g, &e);
    CHECK(rc != HERD_OK);
    CHECK(g == NULL);
    snprintf(msg, cap, "%s", e.msg);
    return rc;
}

/* Out-degree of the vertex with input id `id`. */
static uint64_t outdeg(const struct herd_graph *g, uint64_t id)
{
    uint32_t v;
    CHECK_EQ(herd_graph_lookup(g, id, &v), HERD_OK);
    return g->out_off[v + 1] - g->out_off[v];
}

HERD_TEST(snap_comments_tabs_gaps)
{
    const char *p = puts_("a.txt", "# Directed graph\n# Nodes: 4 Edges: 5\n3\t9\n9\t3\n"
                                   "  3 12  \n\n12\t100\n100 3\n");
    struct herd_graph *g = load(p, 1, 0);
    CHECK_EQ(g->n, 4);
    CHECK_EQ(g->m, 5);
    CHECK_EQ(outdeg(g, 3), 2);
    CHECK_EQ(outdeg(g, 100), 1);
    CHECK_EQ(g->ids[3], 100);
    herd_graph_destroy(g);
    g = load(p, 0, 0);
    CHECK_EQ(g->m, 10);
    CHECK_EQ(outdeg(g, 3), 4);
    herd_graph_destroy(g);
    done();
}

HERD_TEST(snap_crlf_and_no_final_newline)
{
    const char *p = puts_("crlf.txt", "# c\r\n0 1\r\n1 2\r\n\r\n2 0");
    struct herd_graph *g = load(p, 1, 0);
    CHECK_EQ(g->n, 3);
    CHECK_EQ(g->m, 3);
    CHECK(g->ids == NULL);
    herd_graph_destroy(g);
    done();
}

HERD_TEST(snap_weights)
{
    const char *p = puts_("w.txt", "1 2 0.5\n2 3 7\n3 1 1e-3\n");
    struct herd_graph *g = load(p, 1, 1);
    CHECK(g->out_w != NULL);
    CHECK(g->out_w[0] == 0.5);
    CHECK(g->out_w[1] == 7.0);
    CHECK(g->out_w[2] == 1e-3);
    CHECK(g->in_w[0] == 1e-3); /* in-row of 1 */
    herd_graph_destroy(g);
    g = load(p, 1, 0);
    CHECK(g->out_w == NULL);
    herd_graph_destroy(g);
    p = puts_("now.txt", "1 2\n2 3\n");
    g = load(p, 1, 1);
    CHECK(g->out_w != NULL && g->out_w[1] == 1.0);
    herd_graph_destroy(g);
    done();
}

HERD_TEST(snap_errors_name_file_and_line)
{
    char msg[512], want[300];
    const char *p = puts_("bad.txt", "# x\n1 2\n3 -4\n");
    CHECK_EQ(load_err(p, msg, sizeof msg), HERD_EPARSE);
    snprintf(want, sizeof want, "%s:3: negative target vertex id", p);
    CHECK(strstr(msg, want) != NULL);
    p = puts_("empty.txt", "# only comments\n\n");
    CHECK_EQ(load_err(p, msg, sizeof msg), HERD_EPARSE);
    CHECK(strstr(msg, "no edges and no vertices") != NULL);
    CHECK_EQ(load_err("/nonexistent/graph.txt", msg, sizeof msg), HERD_EIO);
    done();
}

/* ---- the real datasets ---------------------------------------------------- */

static const char *datasets(void)
{
    static char path[1024];
    const char *env = getenv("HERD_DATASETS");
    snprintf(path, sizeof path, "%s", env ? env : "../shared/datasets");
    struct stat st;
    if (stat(path, &st) != 0)
        return NULL;
    return path;
}

static struct herd_graph *load_dataset(const char *file, int directed)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", datasets(), file);
    return load(path, directed, HERD_GRAPH_WEIGHTS_AUTO);
    done();
}

#define NEED_DATASETS()                                                                            \
    do {                                                                                           \
        if (datasets() == NULL) {                                                                  \
            fprintf(stderr, "skip: no ../shared/datasets (set HERD_DATASETS)\n");                 \
            return;                                                                                \
        }                                                                                          \
    } while (0)

HERD_TEST(dataset_wiki_vote)
{
    NEED_DATASETS();
    struct herd_graph *g = load_dataset("Wiki-Vote.txt", 1);
    CHECK_EQ(g->n, 7115);
    CHECK_EQ(g->m, 103689);
    CHECK(g->ids != NULL); /* ids 3..8297 with gaps */
    CHECK_EQ(g->ids[0], 3);
    CHECK_EQ(g->ids[g->n - 1], 8297);
    uint64_t dangling = 0;
    for (uint32_t v = 0; v < g->n; v++)
        dangling += g->out_off[v] == g->out_off[v + 1];
    CHECK_EQ(dangling, 1005);
    herd_graph_destroy(g);
}

HERD_TEST(dataset_gnutella)
{
    NEED_DATASETS();
    static const struct {
        const char *file;
        uint32_t n;
        uint64_t m, dangling;
    } t[] = {{"p2p-Gnutella08.txt", 6301, 20777, 3836},
             {"p2p-Gnutella24.txt", 26518, 65369, 18948},
             {"p2p-Gnutella31.txt", 62586, 147892, 46199}};
    for (unsigned i = 0; i < 3; i++) {
        struct herd_graph *g = load_dataset(t[i].file, 1);
        CHECK_EQ(g->n, t[i].n);
        CHECK_EQ(g->m, t[i].m);
        CHECK(g->ids == NULL && g->id_base == 0);
        uint64_t dangling = 0;
        for (uint32_t v = 0; v < g->n; v++)
            dangling += g->out_off[v] == g->out_off[v + 1];
        CHECK_EQ(dangling, t[i].dangling);
        herd_graph_destroy(g);
    }
}

HERD_TEST(dataset_facebook_undirected)
{
    NEED_DATASETS();
    struct herd_graph *g = load_dataset("facebook_combined.txt", 0);
    CHECK_EQ(g->n, 4039);
    CHECK_EQ(g->m, 2 * 88234);
    herd_graph_destroy(g);
}

HERD_TEST(dataset_p2p31_graphalytics_with_v)
{
    NEED_DATASETS();
    struct herd_graph *g = load_dataset("p2p-31.e", 1);
    CHECK_EQ(g->n, 62586);
    CHECK_EQ(g->m, 147892);
    CHECK(g->ids == NULL && g->id_base == 1); /* 1-based, no vertex 0 */
    CHECK(g->out_w != NULL);
    for (uint64_t j = 0; j < g->m; j++)
        CHECK(g->out_w[j] >= 1 && g->out_w[j] <= 100);
    herd_graph_destroy(g);
    g = load_dataset("p2p-31.v", 0);
    CHECK_EQ(g->n, 62586);
    CHECK_EQ(g->m, 2 * 147892);
    herd_graph_destroy(g);
    g = load_dataset("p2p-31", 1); /* the prefix names the pair */
    CHECK_EQ(g->n, 62586);
    herd_graph_destroy(g);
    g = load_dataset("p2p-Gnutella31.e", 1); /* no .v beside it */
    CHECK_EQ(g->n, 62586);
    CHECK_EQ(g->m, 147892);
    herd_graph_destroy(g);
}

HERD_TEST(dataset_ny_road_xz)
{
    NEED_DATASETS();
    struct herd_graph *g = load_dataset("NY.gr.xz", 0);
    CHECK_EQ(g->n, 264346);
    CHECK_EQ(g->m, 2 * 365050);
    CHECK(g->ids == NULL && g->id_base == 1);
    herd_graph_destroy(g);
}

/* ---- compressed inputs ---------------------------------------------------- */

#include <lzma.h>
#include <zlib.h>

static const char *put_gz(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir(), name);
    gzFile f = gzopen(path, "wb");
    CHECK(f != NULL);
    CHECK_EQ(gzwrite(f, text, (unsigned)strlen(text)), (int)strlen(text));
    CHECK_EQ(gzclose(f), Z_OK);
    static char out[256];
    strcpy(out, path);
    return out;
}

static size_t xz_bytes(const char *text, uint8_t *out, size_t cap)
{
    size_t pos = 0;
    CHECK_EQ(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text,
                                     strlen(text), out, &pos, cap),
             LZMA_OK);
    return pos;
}

static char *big_text(int lines, size_t *len)
{
    char *t = malloc((size_t)lines * 24 + 64);
    size_t k = (size_t)sprintf(t, "# many lines\n");
    for (int i = 0; i < lines; i++)
        k += (size_t)sprintf(t + k, "%d\t%d\n", i % 5000, (i * 7 + 3) % 5000);
    *len = k;
    return t;
}

HERD_TEST(gzip_and_xz_are_read_directly)
{
    const char *text = "# c\n1 2\n2 3\n3 1\n3 4\n";
    struct herd_graph *g = load(put_gz("g.txt.gz", text), 1, 0);
    CHECK_EQ(g->n, 4);
    CHECK_EQ(g->m, 4);
    herd_graph_destroy(g);
    uint8_t buf[4096];
    size_t n = xz_bytes(text, buf, sizeof buf);
    g = load(put("g.txt.xz", (const char *)buf, n), 1, 0);
    CHECK_EQ(g->m, 4);
    herd_graph_destroy(g);
    /* a truncated stream is an error, not a short graph */
    char msg[512];
    CHECK_EQ(load_err(put("cut.txt.xz", (const char *)buf, n - 9), msg, sizeof msg), HERD_EPARSE);
    CHECK(strstr(msg, "xz") != NULL);
    done();
}

HERD_TEST(big_gzip_crosses_chunks_and_threads)
{
    size_t len;
    char *text = big_text(400000, &len); /* ~4 MB: several parser pieces */
    struct herd_graph *a = load(put("big.txt", text, len), 1, 0);
    struct herd_graph *b = load(put_gz("big.txt.gz", text), 1, 0);
    CHECK_EQ(a->m, 400000);
    CHECK_EQ(a->n, b->n);
    CHECK_EQ(a->m, b->m);
    CHECK(memcmp(a->out_dst, b->out_dst, a->m * 4) == 0);
    CHECK(memcmp(a->in_src, b->in_src, a->m * 4) == 0);
    /* a bad line far in: its line number counts every line before it */
    memcpy(text + len - 4, "x\n", 2);
    text[len - 2] = '\0';
    char msg[512], want[64];
    CHECK_EQ(load_err(put("bigbad.txt", text, strlen(text)), msg, sizeof msg), HERD_EPARSE);
    snprintf(want, sizeof want, ":%d: ", 400001);
    CHECK(strstr(msg, want) != NULL);
    herd_graph_destroy(a);
    herd_graph_destroy(b);
    free(text);
    done();
}

HERD_TEST(thread_count_does_not_change_the_graph)
{
    size_t len;
    char *text = big_text(300000, &len);
    const char *p = put("t.txt", text, len);
    struct herd_graph *g[3];
    for (int t = 0; t < 3; t++) {
        struct herd_graph_opts o = {.directed = 1, .need_out = 1, .threads = 1 + t * 2};
        struct herd_err e;
        CHECK_EQ(herd_graph_load(p, &o, &g[t], &e), HERD_OK);
    }
    for (int t = 1; t < 3; t++) {
        CHECK_EQ(g[t]->m, g[0]->m);
        CHECK(memcmp(g[t]->out_off, g[0]->out_off, (g[0]->n + 1) * 8ul) == 0);
        CHECK(memcmp(g[t]->out_dst, g[0]->out_dst, g[0]->m * 4) == 0);
    }
    for (int t = 0; t < 3; t++)
        herd_graph_destroy(g[t]);
    free(text);
    done();
}

/* ---- Graphalytics and DIMACS ------------------------------------------------ */

HERD_TEST(graphalytics_v_gives_isolated_vertices)
{
    puts_("g.v", "10\n20\n30\n40\n50\n");
    const char *e = puts_("g.e", "10 20 1.5\n20 30 2\n30 10 0.25\n");
    struct herd_graph *g = load(e, 1, 1);
    CHECK_EQ(g->n, 5); /* 40 and 50 have no edges */
    CHECK_EQ(g->m, 3);
    CHECK(g->ids != NULL && g->ids[4] == 50);
    CHECK(g->out_w[0] == 1.5);
    herd_graph_destroy(g);
    char path[300];
    snprintf(path, sizeof path, "%s/g", tmpdir()); /* prefix */
    g = load(path, 0, 0);
    CHECK_EQ(g->n, 5);
    CHECK_EQ(g->m, 6);
    herd_graph_destroy(g);
    puts_("h.v", "1\n2\n");
    const char *he = puts_("h.e", "1 2\n2 3\n");
    char msg[512], want[300];
    CHECK_EQ(load_err(he, msg, sizeof msg), HERD_EPARSE);
    snprintf(want, sizeof want, "%s:2: vertex 3 is not listed in", he);
    CHECK(strstr(msg, want) != NULL);
    done();
}

HERD_TEST(dimacs_sp_tw_edge)
{
    const char *sp = puts_("r.gr", "c road\np sp 4 3\nc arcs\na 1 2 7\na 2 3 1\na 4 1 2.5\n");
    struct herd_graph *g = load(sp, 1, 1);
    CHECK_EQ(g->n, 4);
    CHECK_EQ(g->m, 3);
    CHECK(g->ids == NULL && g->id_base == 1);
    CHECK(g->out_w[0] == 7.0);
    CHECK(g->out_w[2] == 2.5);
    herd_graph_destroy(g);
    const char *tw = puts_("p.txt", "p tw 5 2\r\n1 2\r\n4 5\r\n");
    g = load(tw, 0, 0);
    CHECK_EQ(g->n, 5); /* vertex 3 is isolated but counted: n comes from p */
    CHECK_EQ(g->m, 4);
    herd_graph_destroy(g);
    const char *col = puts_("c.col", "c colouring\np edge 3 2\ne 1 2\ne 2 3\n");
    g = load(col, 0, 0);
    CHECK_EQ(g->n, 3);
    CHECK_EQ(g->m, 4);
    herd_graph_destroy(g);
    char msg[512], want[300];
    const char *bad = puts_("bad.gr", "p sp 3 3\na 1 2 1\na 2 3 1\n");
    CHECK_EQ(load_err(bad, msg, sizeof msg), HERD_EPARSE);
    snprintf(want, sizeof want, "%s:1: the 'p' line declares 3 arcs but the file has 2", bad);
    CHECK(strstr(msg, want) != NULL);
    done();
}

/* ---- binary format ----------------------------------------------------------- */

static void same_graph(const struct herd_graph *a, const struct herd_graph *b)
{
    CHECK_EQ(a->n, b->n);
    CHECK_EQ(a->m, b->m);
    CHECK_EQ(a->directed, b->directed);
    for (uint32_t v = 0; v < a->n; v++)
        CHECK(herd_graph_id(a, v) == herd_graph_id(b, v));
    CHECK(memcmp(a->out_off, b->out_off, (a->n + 1) * 8ul) == 0);
    CHECK(memcmp(a->out_dst, b->out_dst, a->m * 4) == 0);
    CHECK((a->out_w == NULL) == (b->out_w == NULL));
    if (a->out_w)
        CHECK(memcmp(a->out_w, b->out_w, a->m * 8) == 0);
    if (a->directed && a->in_off && b->in_off)
        CHECK(memcmp(a->in_src, b->in_src, a->m * 4) == 0);
}

#include "graph/binfmt.h"

HERD_TEST(binary_round_trip)
{
    const char *t = puts_("r.txt", "5 7 0.5\n7 9 1.25\n9 5 3\n5 9 2\n1000000000000 5 1\n");
    for (int directed = 0; directed < 2; directed++) {
        struct herd_graph *a = load(t, directed, 1), *b;
        char path[300];
        snprintf(path, sizeof path, "%s/r%d.hgr", tmpdir(), directed);
        struct herd_err e;
        CHECK_EQ(herd_binfmt_write(a, path, &e), HERD_OK);
        b = load(path, directed, 1);
        same_graph(a, b);
        herd_graph_destroy(b);
        if (directed) { /* a directed file loads undirected too */
            struct herd_graph *u1 = load(t, 0, 1), *u2 = load(path, 0, 1);
            same_graph(u1, u2);
            herd_graph_destroy(u1);
            herd_graph_destroy(u2);
        } else { /* an undirected file refuses to load directed */
            struct herd_graph_opts o = {.directed = 1, .need_out = 1};
            CHECK_EQ(herd_graph_load(path, &o, &b, &e), HERD_EINVAL);
        }
        herd_graph_destroy(a);
    }
    done();
}

HERD_TEST(binary_rejects_corruption)
{
    const char *t = puts_("c.txt", "0 1\n1 2\n2 0\n2 1\n");
    struct herd_graph *a = load(t, 1, 0);
    char path[300];
    snprintf(path, sizeof path, "%s/c.hgr", tmpdir());
    struct herd_err e;
    CHECK_EQ(herd_binfmt_write(a, path, &e), HERD_OK);
    herd_graph_destroy(a);
    FILE *f = fopen(path, "rb");
    uint8_t buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    struct herd_graph_opts o = {.directed = 1, .need_out = 1, .need_in = 1};
    struct herd_graph *g;
    /* every truncation fails cleanly */
    for (size_t k = 0; k < n; k++) {
        CHECK(herd_graph_load_mem("c.hgr", buf, k, &o, &g, &e) != HERD_OK);
    }
    /* every single-byte change either fails or still gives a valid graph */
    for (size_t k = 0; k < n; k++) {
        uint8_t save = buf[k];
        buf[k] ^= 0x41;
        if (herd_graph_load_mem("c.hgr", buf, n, &o, &g, &e) == HERD_OK) {
            for (uint64_t j = 0; j < g->m; j++)
                CHECK(g->out_dst[j] < g->n);
            herd_graph_destroy(g);
        }
        buf[k] = save;
    }
    CHECK_EQ(herd_graph_load_mem("c.hgr", buf, n, &o, &g, &e), HERD_OK);
    herd_graph_destroy(g);
    done();
}

HERD_TEST(binary_without_vertices_is_refused_like_text)
{
    /* The same policy for every format: nothing in it is an error. */
    struct herd_graph_opts o = {.directed = 1, .need_out = 1};
    struct herd_graph *g = NULL;
    struct herd_err e;
    CHECK_EQ(herd_graph_build(NULL, NULL, NULL, 0, NULL, 0, &o, &g, &e), HERD_OK);
    CHECK_EQ(g->n, 0);
    char path[300];
    snprintf(path, sizeof path, "%s/empty.hgr", tmpdir());
    CHECK_EQ(herd_binfmt_write(g, path, &e), HERD_OK);
    herd_graph_destroy(g);
    g = NULL;
    CHECK_EQ(herd_graph_load(path, &o, &g, &e), HERD_EPARSE);
    CHECK(g == NULL);
    CHECK(strstr(e.msg, "empty.hgr: no edges and no vertices") != NULL);
    done();
}

HERD_TEST(mem_pair_loader)
{
    const char *v = "1\n2\n3\n9\n";
    const char *edges = "1 2\n2 3\n";
    struct herd_graph_opts o = {.directed = 1, .need_out = 1};
    struct herd_graph *g;
    struct herd_err e;
    CHECK_EQ(herd_graph_load_mem_pair("m.e", edges, strlen(edges), "m.v", v, strlen(v), &o, &g,
                                      &e),
             HERD_OK);
    CHECK_EQ(g->n, 4);
    herd_graph_destroy(g);
    CHECK_EQ(herd_graph_load_mem_pair("m.e", edges, strlen(edges), "m.v", "1\n", 2, &o, &g, &e),
             HERD_EPARSE);
    CHECK(strstr(e.msg, "m.e:1: vertex 2 is not listed in m.v") != NULL);
}
