/* Byte-range scans (src/graph/load_range.h) against the whole-file loader:
 * for every input and several range counts k, the ranges together give the
 * whole-file graph (same CSR, built from the union of their edges), each
 * range's edges in file order, and for every malformed input of
 * tests/graph/bad/ exactly the whole-file error text, line number included.
 * Run from the repository root (scripts/run-unit.sh does); the real
 * datasets come from ../shared/datasets or $HERD_DATASETS (skipped when
 * absent). */
#include "../unit/check.h"

#include "graph/graph.h"
#include "graph/load.h"
#include "graph/load_range.h"
#include "graph/zread.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CORPUS "tests/graph/bad"

/* ---- collecting what the callbacks see ----------------------------------- */

struct got {
    uint64_t *s, *d, *v;
    double *w;
    size_t m, cap, nv, vcap;
    int weighted; /* -1 before the first batch, then whether w was given */
    int mixed;    /* batches disagreed about w */
    int headers;  /* header calls */
    uint64_t hn, hm;
    const uint64_t *vset; /* sorted .v ids for `listed`, or NULL */
    size_t nvset;
    const char *vname; /* the .v path, for `listed` messages */
    int fail_after;    /* edges callback fails once m reaches this (0: never) */
};

static void got_init(struct got *g)
{
    memset(g, 0, sizeof *g);
    g->weighted = -1;
}

static void got_fini(struct got *g)
{
    free(g->s);
    free(g->d);
    free(g->w);
    free(g->v);
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    while (*cap < need)
        *cap = *cap ? *cap * 2 : 1024;
    p = realloc(p, *cap * size);
    CHECK(p != NULL);
    return p;
}

static int on_edges(void *arg, const uint64_t *s, const uint64_t *d, const double *w, size_t n,
                    struct herd_err *e)
{
    struct got *g = arg;
    CHECK(n > 0);
    if (g->weighted >= 0 && g->weighted != (w != NULL))
        g->mixed = 1;
    g->weighted = w != NULL;
    size_t cap = g->cap;
    g->s = grow(g->s, &cap, g->m + n, sizeof *g->s);
    cap = g->cap;
    g->d = grow(g->d, &cap, g->m + n, sizeof *g->d);
    cap = g->cap;
    g->w = grow(g->w, &cap, g->m + n, sizeof *g->w);
    g->cap = cap;
    memcpy(g->s + g->m, s, n * sizeof *s);
    memcpy(g->d + g->m, d, n * sizeof *d);
    for (size_t i = 0; i < n; i++)
        g->w[g->m + i] = w ? w[i] : -1.0;
    g->m += n;
    if (g->fail_after && g->m >= (size_t)g->fail_after)
        return herd_err_set(e, HERD_ECANCELED, "enough edges");
    return HERD_OK;
}

static int on_vertices(void *arg, const uint64_t *ids, size_t n, struct herd_err *e)
{
    struct got *g = arg;
    (void)e;
    g->v = grow(g->v, &g->vcap, g->nv + n, sizeof *g->v);
    memcpy(g->v + g->nv, ids, n * sizeof *ids);
    g->nv += n;
    return HERD_OK;
}

static int on_header(void *arg, uint64_t n, uint64_t m, struct herd_err *e)
{
    struct got *g = arg;
    (void)e;
    CHECK_EQ(g->m, 0); /* before any edge */
    g->headers++;
    g->hn = n;
    g->hm = m;
    return HERD_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int on_listed(void *arg, uint64_t id)
{
    const struct got *g = arg;
    return bsearch(&id, g->vset, g->nvset, sizeof id, cmp_u64) != NULL;
}

static const struct herd_scan_cb CB = {
    .edges = on_edges, .vertices = on_vertices, .header = on_header};

static uint64_t file_size(const char *path)
{
    struct stat st;
    CHECK(stat(path, &st) == 0);
    return (uint64_t)st.st_size;
}

enum { VERTS = 1, STAGED = 2 }; /* scan_k modes */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    size_t n = (size_t)file_size(path);
    char *p = malloc(n + 1);
    CHECK(p != NULL);
    CHECK_EQ(fread(p, 1, n, f), n);
    fclose(f);
    *len = n;
    return p;
}

/* The staged way: contexts computed where the file is, then each range's
 * bytes alone (as a master would ship them). */
static int scan_staged(const char *path, const struct herd_graph_opts *o, int k,
                       const struct herd_scan_cb *cb, struct got *g, int vertices,
                       struct herd_err *e)
{
    size_t size;
    char *text = slurp(path, &size);
    uint64_t *cuts = malloc(((size_t)k + 1) * sizeof *cuts);
    struct herd_scan_context *ctx = malloc((size_t)k * sizeof *ctx);
    for (int i = 0; i <= k; i++)
        cuts[i] = (uint64_t)size * (uint64_t)i / (uint64_t)k;
    int rc = herd_graph_scan_contexts(path, o, vertices, cuts, k, ctx, e);
    for (int i = 0; i < k && rc == HERD_OK; i++) {
        CHECK(ctx[i].first <= ctx[i].stop && ctx[i].stop <= size);
        CHECK(i == 0 || ctx[i].first == ctx[i - 1].stop);
        size_t n = ctx[i].stop - ctx[i].first;
        char *copy = malloc(n + 1); /* only the range's bytes */
        memcpy(copy, text + ctx[i].first, n);
        rc = herd_graph_scan_staged(path, copy, n, o, &ctx[i], cb, g, e);
        free(copy);
    }
    free(text);
    free(cuts);
    free(ctx);
    return rc;
}

/* Scans all k ranges of `path` in order, as a job would: the error is the
 * lowest failing range's, then the whole-job checks. */
static int scan_k(const char *path, const struct herd_graph_opts *o, int k, struct got *g, int mode,
                  struct herd_err *e)
{
    uint64_t size = file_size(path);
    int vertices = mode & VERTS, rc = HERD_OK;
    struct herd_scan_cb cb = CB;
    if (g->vset) {
        cb.listed = on_listed;
        cb.listed_in = g->vname;
    }
    if (mode & STAGED)
        rc = scan_staged(path, o, k, &cb, g, vertices, e);
    for (int i = 0; i < k && !(mode & STAGED) && rc == HERD_OK; i++) {
        uint64_t a = size * (uint64_t)i / (uint64_t)k, b = size * (uint64_t)(i + 1) / (uint64_t)k;
        rc = vertices ? herd_graph_scan_vertices_range(path, o, a, b, &cb, g, e)
                      : herd_graph_scan_range(path, o, a, b, &cb, g, e);
    }
    if (rc != HERD_OK || vertices)
        return rc;
    return herd_graph_scan_finish(path, o, g->m, g->nvset, e);
}

/* ---- comparing with the whole-file loader --------------------------------- */

static void same_graph(const struct herd_graph *a, const struct herd_graph *b)
{
    CHECK_EQ(a->n, b->n);
    CHECK_EQ(a->m, b->m);
    for (uint32_t v = 0; v < a->n; v++)
        CHECK(herd_graph_id(a, v) == herd_graph_id(b, v));
    CHECK(memcmp(a->out_off, b->out_off, (a->n + 1) * sizeof *a->out_off) == 0);
    CHECK(memcmp(a->out_dst, b->out_dst, a->m * sizeof *a->out_dst) == 0);
    CHECK((a->out_w == NULL) == (b->out_w == NULL));
    if (a->out_w)
        CHECK(memcmp(a->out_w, b->out_w, a->m * sizeof *a->out_w) == 0);
}

/* Builds the graph of what the ranges gave, with `extra` vertices. */
static struct herd_graph *build(const struct got *g, const uint64_t *extra, size_t nextra,
                                const struct herd_graph_opts *o)
{
    struct herd_graph *out = NULL;
    struct herd_err e;
    int rc = herd_graph_build(g->s, g->d, g->weighted == 1 ? g->w : NULL, g->m, extra, nextra, o,
                              &out, &e);
    if (rc != HERD_OK)
        herd_test_fail(__FILE__, __LINE__, "build: %s", e.msg);
    return out;
}

static void same_sequence(const struct got *a, const struct got *b)
{
    CHECK_EQ(a->m, b->m);
    CHECK(memcmp(a->s, b->s, a->m * sizeof *a->s) == 0);
    CHECK(memcmp(a->d, b->d, a->m * sizeof *a->d) == 0);
    CHECK(memcmp(a->w, b->w, a->m * sizeof *a->w) == 0);
    CHECK_EQ(a->nv, b->nv);
    if (a->nv)
        CHECK(memcmp(a->v, b->v, a->nv * sizeof *a->v) == 0);
}

/* Every k of `ks`: the ranges give the whole-file graph, and their
 * concatenation is the k = 1 sequence. `vpath` (may be NULL) is a .v. */
static void check_good(const char *path, const char *vpath, const struct herd_graph_opts *o,
                       const int *ks, int nk)
{
    struct herd_graph *whole = NULL;
    struct herd_err e;
    int rc = herd_graph_load(path, o, &whole, &e);
    if (rc != HERD_OK)
        herd_test_fail(__FILE__, __LINE__, "whole %s: %s", path, e.msg);
    struct got ref;
    got_init(&ref);
    for (int j = 0; j < nk; j++) {
        struct got g, vg;
        got_init(&g);
        got_init(&vg);
        if (vpath) {
            CHECK_EQ(scan_k(vpath, o, ks[j], &vg, VERTS | (j % 2 ? STAGED : 0), &e), HERD_OK);
            qsort(vg.v, vg.nv, sizeof *vg.v, cmp_u64);
            g.vset = vg.v;
            g.nvset = vg.nv;
            g.vname = vpath;
        }
        rc = scan_k(path, o, ks[j], &g, 0, &e);
        if (rc != HERD_OK)
            herd_test_fail(__FILE__, __LINE__, "%s k=%d: %s", path, ks[j], e.msg);
        CHECK(!g.mixed);
        uint64_t *extra = vg.v;
        size_t nextra = vg.nv;
        if (g.headers) { /* DIMACS: vertices 1..n */
            CHECK_EQ(g.headers, 1);
            CHECK_EQ(g.hm, g.m);
            extra = malloc(g.hn * sizeof *extra + 1);
            for (uint64_t i = 0; i < g.hn; i++)
                extra[i] = i + 1;
            nextra = g.hn;
        }
        struct herd_graph *u = build(&g, extra, nextra, o);
        same_graph(whole, u);
        herd_graph_destroy(u);
        if (extra != vg.v)
            free(extra);
        struct got sg; /* staged: the same sequence */
        got_init(&sg);
        sg.vset = g.vset;
        sg.nvset = g.nvset;
        sg.vname = g.vname;
        CHECK_EQ(scan_k(path, o, ks[j], &sg, STAGED, &e), HERD_OK);
        same_sequence(&g, &sg);
        got_fini(&sg);
        if (j == 0)
            ref = g;
        else
            same_sequence(&ref, &g);
        if (j > 0)
            got_fini(&g);
        got_fini(&vg);
    }
    got_fini(&ref);
    herd_graph_destroy(whole);
}

static const int KS[] = {1, 2, 3, 5, 8, 17};
#define NKS ((int)(sizeof KS / sizeof KS[0]))

/* ---- temp files ------------------------------------------------------------ */

static char dir[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void done(void)
{
    if (dir[0])
        nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static const char *put(const char *name, const char *text, size_t len)
{
    static char paths[4][256];
    static int slot;
    if (dir[0] == '\0') {
        strcpy(dir, "/tmp/herd-range-XXXXXX");
        CHECK(mkdtemp(dir) != NULL);
    }
    char *p = paths[slot++ % 4];
    snprintf(p, 256, "%s/%s", dir, name);
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

/* ---- the malformed-input corpus -------------------------------------------- */

static int unsplittable(const char *file)
{
    return strstr(file, ".hgr") || strstr(file, ".gz");
}

/* The .v set of the corpus's Graphalytics pair, for `listed`. */
static void corpus_vset(const char *file, struct got *g, struct got *vg)
{
    static char vpath[1200];
    struct herd_graph_opts o = {.directed = 1};
    struct herd_err e;
    size_t n = strlen(file);
    if (n < 2 || strcmp(file + n - 2, ".e") != 0)
        return;
    snprintf(vpath, sizeof vpath, "%s/%.*sv", CORPUS, (int)(n - 1), file);
    CHECK_EQ(scan_k(vpath, &o, 1, vg, VERTS, &e), HERD_OK);
    qsort(vg->v, vg->nv, sizeof *vg->v, cmp_u64);
    g->vset = vg->v;
    g->nvset = vg->nv;
    g->vname = vpath;
}

/* Every k up to one range per byte (each byte a cut point), plain and
 * staged: the ranges fail exactly as the whole file does, or give its graph. */
static void check_like_whole(const char *path, const char *corpus_file,
                             const struct herd_graph_opts *o)
{
    struct herd_graph *whole = NULL;
    struct herd_err we, e;
    uint64_t size;
    int wrc = herd_graph_load(path, o, &whole, &we);
    herd_graph_destroy(whole);
    CHECK_EQ(herd_graph_splittable(path, o, &size, &e), 1);
    if (wrc == HERD_OK) {
        check_good(path, NULL, o, KS, NKS);
        return;
    }
    for (int k = 1; k <= (int)size + 1; k += k < 8 ? 1 : 3) {
        struct got g, vg;
        got_init(&g);
        got_init(&vg);
        if (corpus_file)
            corpus_vset(corpus_file, &g, &vg);
        for (int mode = 0; mode <= STAGED; mode += STAGED) {
            g.m = 0;
            int rc = scan_k(path, o, k, &g, mode, &e);
            if (rc != wrc || strcmp(e.msg, we.msg) != 0)
                herd_test_fail(__FILE__, __LINE__, "%s k=%d%s: got %d '%s', whole file %d '%s'",
                               path, k, mode ? " staged" : "", rc, rc ? e.msg : "", wrc, we.msg);
        }
        got_fini(&g);
        got_fini(&vg);
    }
}

static void check_bad_case(const char *file)
{
    char path[1200];
    struct herd_graph_opts o = {.directed = 1, .weighted = 1, .need_out = 1};
    struct herd_err e;
    uint64_t size;
    snprintf(path, sizeof path, "%s/%s", CORPUS, file);
    if (unsplittable(file)) {
        CHECK_EQ(herd_graph_splittable(path, &o, &size, &e), 0);
        CHECK_EQ(size, file_size(path));
        CHECK_EQ(herd_graph_scan_range(path, &o, 0, size, &CB, NULL, &e), HERD_EINVAL);
        return;
    }
    check_like_whole(path, file, &o);
}

HERD_TEST(bad_corpus_gives_the_whole_file_errors)
{
    FILE *f = fopen(CORPUS "/EXPECTED", "r");
    if (f == NULL)
        herd_test_fail(__FILE__, __LINE__, "%s/EXPECTED not found: run from the repository root",
                       CORPUS);
    char line[1024];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        line[strcspn(line, " \t")] = '\0';
        check_bad_case(line);
        cases++;
    }
    fclose(f);
    CHECK_INT(cases, >=, 30);
}

/* Line-ending, comment and DIMACS corner cases, at every cut point. */
#define TEXT(name, lit)                                                                            \
    {                                                                                              \
        name, lit, sizeof lit - 1                                                                  \
    }
HERD_TEST(corner_cases_at_every_cut)
{
    static const struct {
        const char *name, *text;
        size_t len;
    } t[] = {
        TEXT("crcr.txt", "\t\t3 \r\r\n6 2\n"), /* a CR left after the stripped one */
        TEXT("crcr2.txt", "# c\r\n1 2\r\r\n3 4\r\n"),
        TEXT("cronly.txt", "\r\n\r\n1 2 3\r\n\r\n4 5 6\r"), /* blank CRLF lines, final CR */
        TEXT("nulcomment.txt", "# a\n#\0b\n1 2\n"),
        TEXT("later-nul.txt", "1 2\n3 4\n#x\0\n5 6\n"),
        TEXT("nul-data.txt", "1 2\n3\0 4\n"),
        TEXT("tabs.txt", "\t1\t2\t\n  3 4 \n5\t 6"),
        TEXT("mixed2.txt", "% c\n\n1 2 3\n4 5 6\n7 8\n"),
        TEXT("badfirst.txt", "# c\n1 x\n1 2\n3 4 5\n"),
        TEXT("crlf.gr", "c x\r\np sp 3 2\r\na 1 2 1\r\na 2 3 0.5\r\n"),
        TEXT("crcr.gr", "p tw 3 1\r\r\n1 2\n"),
        TEXT("latep.gr", "c x\n\nc y\na 1 2 1\np sp 2 1\n"),
        TEXT("twop.gr", "p edge 3 1\ne 1 2\np edge 3 1\n"),
        TEXT("range.gr", "p sp 3 2\na 1 2 1\na 3 4 1\n"),
        TEXT("onlyp.gr", "c\np sp 0 0\n"),
        TEXT("isolated.gr", "p tw 5 1\n\n2 3\n"),
        TEXT("blank.gr", "\n\n"),
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct herd_graph_opts o = {
            .directed = 1, .weighted = HERD_GRAPH_WEIGHTS_AUTO, .threads = (int)i % 2 + 1};
        check_like_whole(put(t[i].name, t[i].text, t[i].len), NULL, &o);
    }
    done();
}

/* ---- generated inputs ------------------------------------------------------- */

/* A SNAP text of `m` random edges with comments, blank lines, tabs and
 * CRLF sprinkled in; the edges (in file order) go to *s, *d, *w. */
static char *random_snap(unsigned seed, size_t m, int weighted, uint64_t *s, uint64_t *d, double *w,
                         size_t *len)
{
    size_t cap = m * 64 + 256, n = 0;
    char *t = malloc(cap);
    srand(seed);
    n += (size_t)sprintf(t + n, "# random graph %u\n%% another comment\n\n", seed);
    for (size_t i = 0; i < m; i++) {
        s[i] = (uint64_t)rand() % 50;
        d[i] = i % 7 == 3 ? (uint64_t)rand() * 4294967311ull : (uint64_t)rand() % 50;
        w[i] = weighted ? (double)(rand() % 1000) / 8 : -1.0;
        const char *sep = i % 3 ? " " : "\t ", *eol = i % 5 == 1 ? "\r\n" : "\n";
        n += (size_t)sprintf(t + n, "%s%llu%s%llu", i % 4 == 2 ? "  " : "",
                             (unsigned long long)s[i], sep, (unsigned long long)d[i]);
        if (weighted)
            n += (size_t)sprintf(t + n, " %g", w[i]);
        n += (size_t)sprintf(t + n, "%s", i % 6 == 5 ? " \t" : "");
        if (i + 1 < m || seed % 2 == 0)
            n += (size_t)sprintf(t + n, "%s", eol);
        if (i % 9 == 4)
            n += (size_t)sprintf(t + n, "%s", i % 2 ? "# c\n" : "\n");
    }
    *len = n;
    return t;
}

HERD_TEST(random_snap_ranges_are_the_lines_in_order)
{
    enum { M = 400 };
    static uint64_t s[M], d[M];
    static double w[M];
    for (unsigned seed = 1; seed <= 6; seed++) {
        int weighted = seed % 3 != 0;
        size_t len;
        char *text = random_snap(seed, M, weighted, s, d, w, &len);
        const char *path = put("r.txt", text, len);
        struct herd_graph_opts o = {
            .directed = seed % 2, .weighted = HERD_GRAPH_WEIGHTS_AUTO, .threads = (int)seed % 3};
        check_good(path, NULL, &o, KS, NKS);
        for (int k = 1; k <= 64; k *= 4) { /* exact sequence, each range in file order */
            struct got g;
            struct herd_err e;
            got_init(&g);
            CHECK_EQ(scan_k(path, &o, k, &g, 0, &e), HERD_OK);
            CHECK_EQ(g.m, M);
            CHECK(memcmp(g.s, s, sizeof s) == 0);
            CHECK(memcmp(g.d, d, sizeof d) == 0);
            CHECK(memcmp(g.w, w, sizeof w) == 0);
            got_fini(&g);
        }
        free(text);
    }
    done();
}

HERD_TEST(weights_follow_opts_weighted)
{
    const char *two = puts_("two.txt", "1 2\n2 3\n3 1\n");
    const char *three = puts_("three.txt", "1 2 0.5\n2 3 7\n");
    const char *tw = puts_("p.gr", "p tw 3 2\n1 2\n2 3\n");
    const struct {
        const char *path;
        int weighted, want_w;
        double first;
    } t[] = {{two, 0, 0, 0},
             {two, 1, 1, 1.0},
             {two, HERD_GRAPH_WEIGHTS_AUTO, 0, 0},
             {three, 0, 0, 0},
             {three, 1, 1, 0.5},
             {three, HERD_GRAPH_WEIGHTS_AUTO, 1, 0.5},
             {tw, 1, 1, 1.0},
             {tw, HERD_GRAPH_WEIGHTS_AUTO, 0, 0}};
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct herd_graph_opts o = {.weighted = t[i].weighted};
        struct got g;
        struct herd_err e;
        got_init(&g);
        CHECK_EQ(scan_k(t[i].path, &o, 2, &g, 0, &e), HERD_OK);
        CHECK_EQ(g.weighted, t[i].want_w);
        if (t[i].want_w)
            CHECK(g.w[0] == t[i].first);
        got_fini(&g);
    }
    done();
}

HERD_TEST(dimacs_header_only_in_its_range_and_ids_checked_everywhere)
{
    const char *text = "c a road\nc more\np sp 4 5\na 1 2 7\na 2 3 1\nc mid\na 4 1 2.5\n"
                       "a 3 4 1\na 4 4 0\n";
    const char *path = puts_("r.gr", text);
    struct herd_graph_opts o = {.directed = 1, .weighted = 1};
    check_good(path, NULL, &o, KS, NKS);
    uint64_t size = strlen(text), p_at = strstr(text, "p sp") - text;
    for (uint64_t cut = 1; cut < size; cut++) { /* two ranges, every cut */
        struct got a, b;
        struct herd_err e;
        got_init(&a);
        got_init(&b);
        CHECK_EQ(herd_graph_scan_range(path, &o, 0, cut, &CB, &a, &e), HERD_OK);
        CHECK_EQ(herd_graph_scan_range(path, &o, cut, size, &CB, &b, &e), HERD_OK);
        CHECK_EQ(a.headers, cut > p_at);
        CHECK_EQ(b.headers, cut <= p_at);
        CHECK_EQ(a.m + b.m, 5);
        got_fini(&a);
        got_fini(&b);
    }
    /* an id beyond n in the last range is caught there, with its line */
    const char *bad = puts_("b.gr", "p sp 3 2\na 1 2 1\na 2 9 1\n");
    struct got g;
    struct herd_err e;
    char want[400];
    got_init(&g);
    CHECK_EQ(herd_graph_scan_range(bad, &o, 10, 100, &CB, &g, &e), HERD_EPARSE);
    snprintf(want, sizeof want, "%s:3: target vertex 9 is out of range 1..3", bad);
    CHECK_STR(e.msg, want);
    CHECK_EQ(g.headers, 0);
    /* a file of comments: no range fails, the whole-job check does */
    const char *none = puts_("n.gr", "c nothing\nc here\n");
    got_init(&g);
    CHECK_EQ(scan_k(none, &o, 3, &g, 0, &e), HERD_EPARSE);
    snprintf(want, sizeof want, "%s:3: missing the 'p' line", none);
    CHECK_STR(e.msg, want);
    done();
}

HERD_TEST(vertex_file_ranges)
{
    const char *v = puts_("g.v", "# ids\n5 data\n1\r\n\n9 x y\n3\n");
    static const uint64_t want[] = {5, 1, 9, 3};
    for (int k = 1; k <= 12; k++) {
        struct got g;
        struct herd_err e;
        struct herd_graph_opts o = {0};
        got_init(&g);
        CHECK_EQ(scan_k(v, &o, k, &g, VERTS | (k % 2 ? STAGED : 0), &e), HERD_OK);
        CHECK_EQ(g.nv, 4);
        CHECK(memcmp(g.v, want, sizeof want) == 0);
        got_fini(&g);
    }
    done();
}

HERD_TEST(empty_ranges_and_ends_past_the_file)
{
    const char *path = puts_("g.txt", "1 2\n3 4\n");
    struct herd_graph_opts o = {0};
    struct got g;
    struct herd_err e;
    got_init(&g);
    CHECK_EQ(herd_graph_scan_range(path, &o, 5, 5, &CB, &g, &e), HERD_OK);
    CHECK_EQ(herd_graph_scan_range(path, &o, 6, 2, &CB, &g, &e), HERD_OK);
    CHECK_EQ(herd_graph_scan_range(path, &o, 100, 200, &CB, &g, &e), HERD_OK);
    CHECK_EQ(g.m, 0);
    CHECK_EQ(herd_graph_scan_range(path, &o, 1, 1000, &CB, &g, &e), HERD_OK);
    CHECK_EQ(g.m, 1); /* "3 4" only: the line at 0 is the previous range's */
    CHECK_EQ(g.s[0], 3);
    CHECK_EQ(herd_graph_scan_range(path, &o, 0, 1, &CB, &g, &e), HERD_OK);
    CHECK_EQ(g.m, 2); /* "1 2", read past the end of the range */
    got_fini(&g);
    CHECK_EQ(herd_graph_scan_range("/nonexistent/g.txt", &o, 0, 1, &CB, NULL, &e), HERD_EIO);
    CHECK_EQ(herd_graph_splittable("/nonexistent/g.txt", &o, NULL, &e), -1);
    CHECK_EQ(e.code, HERD_EIO);
    const char *empty = puts_("e.txt", "# only a comment\n");
    got_init(&g);
    CHECK_EQ(scan_k(empty, &o, 2, &g, 0, &e), HERD_EPARSE);
    char want[300];
    snprintf(want, sizeof want, "%s: no edges and no vertices", empty);
    CHECK_STR(e.msg, want);
    done();
}

/* A file of several read chunks (~12 MB): `lines` lines "A B", one of them
 * spoilt near the end when `bad_line` is not NULL (its number there). */
static const char *big_file(size_t lines, uint64_t *bad_line)
{
    size_t cap = lines * 16, n = 0;
    char *t = malloc(cap);
    CHECK(t != NULL);
    for (size_t i = 0; i < lines; i++)
        n += (size_t)sprintf(t + n, "%zu %zu\n", i % 1000, i % 997);
    if (bad_line) {
        size_t at = n - 40;
        t[at] = 'x';
        *bad_line = 1;
        for (size_t i = 0; i < at; i++)
            *bad_line += t[i] == '\n';
    }
    const char *path = put("many.txt", t, n);
    free(t);
    return path;
}

HERD_TEST(callback_error_stops_the_scan)
{
    const char *path = big_file(1500000, NULL);
    struct herd_graph_opts o = {.threads = 2};
    struct got g;
    struct herd_err e;
    got_init(&g);
    g.fail_after = 1;
    CHECK_EQ(herd_graph_scan_range(path, &o, 0, file_size(path), &CB, &g, &e), HERD_ECANCELED);
    CHECK_STR(e.msg, "enough edges");
    CHECK_INT(g.m, >, 0);
    CHECK_INT(g.m, <, 1500000);
    got_fini(&g);
    done();
}

/* Lines far into a file of several read chunks keep their absolute numbers,
 * whichever range and thread finds them. */
HERD_TEST(error_lines_are_absolute_across_chunks)
{
    uint64_t bad_line;
    const char *path = big_file(1500000, &bad_line);
    struct herd_graph_opts o = {.threads = 2};
    struct herd_graph *whole = NULL;
    struct herd_err we, e;
    CHECK_EQ(herd_graph_load(path, &o, &whole, &we), HERD_EPARSE);
    char want[300];
    snprintf(want, sizeof want, "%s:%llu: ", path, (unsigned long long)bad_line);
    CHECK(strncmp(we.msg, want, strlen(want)) == 0);
    for (int k = 1; k <= 3; k++) {
        struct got g;
        got_init(&g);
        CHECK_EQ(scan_k(path, &o, k, &g, k == 3 ? STAGED : 0, &e), HERD_EPARSE);
        CHECK_STR(e.msg, we.msg);
        got_fini(&g);
    }
    done();
}

HERD_TEST(compressed_and_binary_are_not_splittable)
{
    static const uint8_t gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    const char *path = put("g.txt", (const char *)gz, sizeof gz);
    struct herd_graph_opts o = {0};
    struct herd_err e;
    uint64_t size = 0;
    CHECK_EQ(herd_graph_splittable(path, &o, &size, &e), 0);
    CHECK_EQ(size, sizeof gz);
    CHECK_EQ(herd_graph_scan_range(path, &o, 0, size, &CB, NULL, &e), HERD_EINVAL);
    CHECK(strstr(e.msg, "gzip") != NULL);
    const char *text = puts_("t.txt", "1 2\n");
    o.format = HERD_FMT_BIN;
    CHECK_EQ(herd_graph_splittable(text, &o, &size, &e), 0);
    o.format = HERD_FMT_AUTO;
    CHECK_EQ(herd_graph_splittable(text, &o, &size, &e), 1);
    CHECK_EQ(size, 4);
    done();
}

/* ---- the real datasets ------------------------------------------------------- */

static const char *datasets(void)
{
    static char path[1024];
    const char *env = getenv("HERD_DATASETS");
    struct stat st;
    snprintf(path, sizeof path, "%s", env ? env : "../shared/datasets");
    return stat(path, &st) == 0 ? path : NULL;
}

#define NEED_DATASETS()                                                                            \
    do {                                                                                           \
        if (datasets() == NULL) {                                                                  \
            fprintf(stderr, "skip: no ../shared/datasets (set HERD_DATASETS)\n");                  \
            return;                                                                                \
        }                                                                                          \
    } while (0)

HERD_TEST(datasets_snap_and_graphalytics)
{
    NEED_DATASETS();
    static const int ks[] = {1, 2, 7};
    static const char *const snap[] = {"Wiki-Vote.txt", "facebook_combined.txt",
                                       "p2p-Gnutella08.txt"};
    char path[1200], vpath[1200];
    for (unsigned i = 0; i < 3; i++) {
        struct herd_graph_opts o = {
            .directed = i != 1, .weighted = HERD_GRAPH_WEIGHTS_AUTO, .threads = 2};
        snprintf(path, sizeof path, "%s/%s", datasets(), snap[i]);
        check_good(path, NULL, &o, ks, 3);
    }
    struct herd_graph_opts o = {.directed = 1, .weighted = 1, .threads = 2};
    snprintf(path, sizeof path, "%s/p2p-31.e", datasets());
    snprintf(vpath, sizeof vpath, "%s/p2p-31.v", datasets());
    check_good(path, vpath, &o, ks, 3);
}

/* A real DIMACS road graph, decompressed to a plain file first. */
HERD_TEST(dataset_ny_road_dimacs)
{
    NEED_DATASETS();
    char src[1200];
    snprintf(src, sizeof src, "%s/NY.gr.xz", datasets());
    struct herd_zread *z;
    struct herd_err e;
    CHECK_EQ(herd_zread_open(src, &z, &e), HERD_OK);
    const char *path = put("NY.gr", "", 0);
    FILE *f = fopen(path, "wb");
    static char buf[1 << 20];
    size_t got;
    do {
        CHECK_EQ(herd_zread_read(z, buf, sizeof buf, &got, &e), HERD_OK);
        CHECK_EQ(fwrite(buf, 1, got, f), got);
    } while (got == sizeof buf);
    fclose(f);
    herd_zread_close(z);
    static const int ks[] = {1, 4};
    struct herd_graph_opts o = {.directed = 1, .weighted = 1, .threads = 2};
    check_good(path, NULL, &o, ks, 2);
    done();
}

/* A context from the wire is checked before it steers the parser. */
HERD_TEST(staged_context_is_checked)
{
    const char *text = "p sp 3 2\na 1 2 1\na 2 3 1\n";
    const char *path = puts_("s.gr", text);
    struct herd_graph_opts o = {.weighted = 1};
    struct herd_scan_context ctx[2];
    uint64_t cuts[3] = {0, 12, 100};
    struct herd_err e;
    struct got g;
    CHECK_EQ(herd_graph_scan_contexts(path, &o, 0, cuts, 2, ctx, &e), HERD_OK);
    CHECK_EQ(ctx[1].first, 17); /* "a 2 3 1": the line that starts after byte 12 */
    CHECK_EQ(ctx[1].stop, strlen(text));
    CHECK_EQ(ctx[1].line, 3);
    CHECK(ctx[1].before && ctx[1].dim == 0 && ctx[1].n == 3 && ctx[1].m == 2);
    CHECK(!ctx[0].before);
    const char *bytes = text + ctx[1].first;
    size_t len = ctx[1].stop - ctx[1].first;
    got_init(&g);
    CHECK_EQ(herd_graph_scan_staged(path, bytes, len, &o, &ctx[1], &CB, &g, &e), HERD_OK);
    CHECK_EQ(g.m, 1);
    CHECK_EQ(g.s[0], 2);
    struct herd_scan_context bad = ctx[1];
    bad.dim = 7;
    CHECK_EQ(herd_graph_scan_staged(path, bytes, len, &o, &bad, &CB, &g, &e), HERD_EINVAL);
    bad = ctx[1];
    CHECK_EQ(herd_graph_scan_staged(path, bytes, len - 1, &o, &bad, &CB, &g, &e), HERD_EINVAL);
    bad.format = HERD_FMT_BIN;
    CHECK_EQ(herd_graph_scan_staged(path, bytes, len, &o, &bad, &CB, &g, &e), HERD_EINVAL);
    CHECK_EQ(g.m, 1);
    cuts[1] = 200; /* not ascending */
    CHECK_EQ(herd_graph_scan_contexts(path, &o, 0, cuts, 2, ctx, &e), HERD_EINVAL);
    got_fini(&g);
    done();
}
