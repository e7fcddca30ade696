/* libFuzzer target: byte-range scans (graph/load_range.h) against the
 * whole-file loader, from memory. Input: an options byte (bit 0 DIMACS
 * else SNAP, bits 1-2 weighted 0/1/AUTO, bit 3 directed, bit 4 two parser
 * threads), a byte whose low 3 bits count the cut points, two bytes per
 * cut point (little-endian, taken modulo the text length + 1), then the
 * text. The ranges between the sorted cut points, scanned in order and then
 * checked as a whole job (herd_graph_scan_finish_mem), must fail exactly
 * like herd_graph_load_mem() (same code, same "FILE:LINE: reason"), or
 * succeed with the same graph, and their edges concatenated must be those
 * of the single range [0, len), in order; staged (contexts, then each
 * range's bytes alone) they must give the same. Compressed text must be refused
 * (HERD_EINVAL: not splittable). Seeds:
 * tests/fuzz/corpus/fuzz_load_range/. */
#include "graph/graph.h"
#include "graph/load.h"
#include "graph/load_range.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HUGE_N (1u << 20) /* DIMACS graphs of more vertices are not built here */

struct seq {
    uint64_t *s, *d;
    double *w;
    size_t m, cap;
    int weighted;
    uint64_t n; /* DIMACS 'p' line */
    int headers;
};

static int on_edges(void *arg, const uint64_t *s, const uint64_t *d, const double *w, size_t n,
                    struct herd_err *e)
{
    struct seq *q = arg;
    (void)e;
    if (q->m + n > q->cap) {
        q->cap = (q->m + n) * 2;
        q->s = realloc(q->s, q->cap * sizeof *q->s);
        q->d = realloc(q->d, q->cap * sizeof *q->d);
        q->w = realloc(q->w, q->cap * sizeof *q->w);
        if (!q->s || !q->d || !q->w)
            abort();
    }
    memcpy(q->s + q->m, s, n * sizeof *s);
    memcpy(q->d + q->m, d, n * sizeof *d);
    for (size_t i = 0; i < n; i++)
        q->w[q->m + i] = w ? w[i] : -1.0;
    q->weighted |= w != NULL;
    q->m += n;
    return HERD_OK;
}

static int on_header(void *arg, uint64_t n, uint64_t m, struct herd_err *e)
{
    struct seq *q = arg;
    (void)m, (void)e;
    if (q->m != 0) /* the header comes before any edge */
        abort();
    q->n = n;
    q->headers++;
    return HERD_OK;
}

static const struct herd_scan_cb CB = {.edges = on_edges, .header = on_header};

static void seq_free(struct seq *q)
{
    free(q->s);
    free(q->d);
    free(q->w);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Scans the ranges between cut points as a job would; the error is the
 * lowest failing range's, then the whole-job checks'. */
static int scan_ranges(const char *name, const uint8_t *t, size_t len, const uint64_t *cut,
                       int ncut, const struct herd_graph_opts *o, struct seq *q, struct herd_err *e)
{
    for (int i = 0; i + 1 < ncut; i++) {
        int rc = herd_graph_scan_range_mem(name, t, len, o, cut[i], cut[i + 1], &CB, q, e);
        if (rc != HERD_OK)
            return rc;
    }
    if (q->headers > 1)
        abort();
    return herd_graph_scan_finish_mem(name, t, len, o, q->m, 0, e);
}

/* The same ranges staged: contexts, then each range's bytes alone. */
static int scan_staged(const char *name, const uint8_t *t, size_t len, const uint64_t *cut,
                       int ncut, const struct herd_graph_opts *o, struct seq *q, struct herd_err *e)
{
    struct herd_scan_context ctx[16];
    int rc = herd_graph_scan_contexts_mem(name, t, len, o, 0, cut, ncut - 1, ctx, e);
    for (int i = 0; i + 1 < ncut && rc == HERD_OK; i++) {
        size_t n = ctx[i].stop - ctx[i].first;
        uint8_t *copy = malloc(n + 1);
        memcpy(copy, t + ctx[i].first, n);
        rc = herd_graph_scan_staged(name, copy, n, o, &ctx[i], &CB, q, e);
        free(copy);
    }
    return rc == HERD_OK ? herd_graph_scan_finish_mem(name, t, len, o, q->m, 0, e) : rc;
}

static int same_seq(const struct seq *a, const struct seq *b)
{
    if (a->m != b->m)
        return 0;
    return a->m == 0 || (memcmp(a->s, b->s, a->m * 8) == 0 && memcmp(a->d, b->d, a->m * 8) == 0 &&
                         memcmp(a->w, b->w, a->m * 8) == 0);
}

static void same_graph(const struct herd_graph *a, const struct herd_graph *b)
{
    if (a->n != b->n || a->m != b->m || (a->out_w == NULL) != (b->out_w == NULL))
        abort();
    for (uint32_t v = 0; v < a->n; v++)
        if (herd_graph_id(a, v) != herd_graph_id(b, v))
            abort();
    if (memcmp(a->out_off, b->out_off, (a->n + 1) * sizeof *a->out_off) != 0 ||
        memcmp(a->out_dst, b->out_dst, a->m * sizeof *a->out_dst) != 0 ||
        (a->out_w && memcmp(a->out_w, b->out_w, a->m * sizeof *a->out_w) != 0))
        abort();
}

/* The graph of what the ranges gave must be the whole-file graph. */
static void compare_built(const struct seq *q, const struct herd_graph_opts *o,
                          const struct herd_graph *whole)
{
    uint64_t *extra = NULL;
    struct herd_graph *u = NULL;
    struct herd_err e;
    if (q->headers) {
        extra = malloc(q->n * sizeof *extra + 1);
        for (uint64_t i = 0; i < q->n; i++)
            extra[i] = i + 1;
    }
    if (herd_graph_build(q->s, q->d, q->weighted ? q->w : NULL, q->m, extra, q->headers ? q->n : 0,
                         o, &u, &e) != HERD_OK)
        abort();
    same_graph(whole, u);
    herd_graph_destroy(u);
    free(extra);
}

/* The ranges must fail as the whole file does, or give its graph. */
static void compare_whole(const char *name, const uint8_t *t, size_t len, int rc,
                          const struct herd_err *e, const struct seq *q,
                          const struct herd_graph_opts *o)
{
    struct herd_graph *whole = NULL;
    struct herd_err we;
    int wrc = herd_graph_load_mem(name, t, len, o, &whole, &we);
    if (wrc != rc || (rc != HERD_OK && strcmp(e->msg, we.msg) != 0))
        abort();
    if (rc == HERD_OK)
        compare_built(q, o, whole);
    herd_graph_destroy(whole);
}

static void check(const char *name, const uint8_t *t, size_t len, const uint64_t *cut, int ncut,
                  const struct herd_graph_opts *o)
{
    static const uint8_t xz[6] = {0xfd, '7', 'z', 'X', 'Z', 0};
    struct seq q = {0}, one = {0}, st = {0};
    struct herd_err e, oe, se;
    uint64_t all[2] = {0, len};
    int rc = scan_ranges(name, t, len, cut, ncut, o, &q, &e);
    int orc = scan_ranges(name, t, len, all, 2, o, &one, &oe);
    int src = scan_staged(name, t, len, cut, ncut, o, &st, &se);
    if (rc != orc || (rc == HERD_OK && !same_seq(&q, &one)))
        abort();
    if (src != rc || (rc == HERD_OK && !same_seq(&q, &st)) ||
        (rc != HERD_OK && strcmp(e.msg, se.msg) != 0))
        abort();
    int zipped = (len >= 2 && t[0] == 0x1f && t[1] == 0x8b) || (len >= 6 && !memcmp(t, xz, 6));
    if (zipped != (rc == HERD_EINVAL)) /* compressed text cannot be split, and only that */
        abort();
    if (!zipped && !(q.headers && q.n > HUGE_N))
        compare_whole(name, t, len, rc, &e, &q, o);
    seq_free(&q);
    seq_free(&one);
    seq_free(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int dimacs = data[0] & 1, weighted = data[0] >> 1 & 3, ncut = data[1] & 7;
    struct herd_graph_opts o = {.format = dimacs ? HERD_FMT_DIMACS : HERD_FMT_SNAP,
                                .weighted = weighted == 3 ? HERD_GRAPH_WEIGHTS_AUTO : weighted,
                                .directed = data[0] >> 3 & 1,
                                .need_out = 1,
                                .threads = data[0] >> 4 & 1 ? 2 : 1};
    if (size < 2 + 2 * (size_t)ncut)
        return 0;
    const uint8_t *t = data + 2 + 2 * ncut;
    size_t len = size - 2 - 2 * (size_t)ncut;
    uint64_t cut[10];
    cut[0] = 0;
    for (int i = 0; i < ncut; i++)
        cut[i + 1] = (uint64_t)(data[2 + 2 * i] | data[3 + 2 * i] << 8) % (len + 1);
    cut[ncut + 1] = len;
    qsort(cut, (size_t)ncut + 2, sizeof *cut, cmp_u64);
    check(dimacs ? "fuzz.gr" : "fuzz.txt", t, len, cut, ncut + 2, &o);
    return 0;
}
