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
