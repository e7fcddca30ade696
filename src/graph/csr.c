#include "graph/csr.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void herd_csr_free(struct herd_csr *c)
{
    free(c->off);
    free(c->adj);
    free(c->w);
    memset(c, 0, sizeof *c);
}

uint32_t *herd_csr_degrees(const struct herd_csr *c, uint32_t n)
{
    uint32_t *d = malloc((n ? n : 1) * sizeof *d);
    if (d == NULL)
        return NULL;
    for (uint32_t v = 0; v < n; v++)
        d[v] = (uint32_t)(c->off[v + 1] - c->off[v]);
    return d;
}

static int alloc_rows(struct herd_csr *c, uint32_t n, uint64_t m, int weighted,
                      struct herd_err *e)
{
    c->adj = malloc((m ? m : 1) * sizeof *c->adj);
    c->w = weighted ? malloc((m ? m : 1) * sizeof *c->w) : NULL;
    if (c->adj == NULL || (weighted && c->w == NULL)) {
        herd_csr_free(c);
        return herd_err_set(e, HERD_ENOMEM, "CSR of %u vertices and %llu arcs", n,
                            (unsigned long long)m);
    }
    return HERD_OK;
}

/* Turns counts in off[0..n-1] into starts; off[n] = total. */
static uint64_t starts_from_counts(uint64_t *off, uint32_t n)
{
    uint64_t total = 0;
    for (uint32_t v = 0; v < n; v++) {
        uint64_t d = off[v];
        off[v] = total;
        total += d;
    }
    off[n] = total;
    return total;
}

/* After filling with off[v]++ as the cursor, off[v] is the end of row v. */
static void ends_to_starts(uint64_t *off, uint32_t n)
{
    memmove(off + 1, off, (size_t)n * sizeof *off);
    off[0] = 0;
}

static void count_block(const struct herd_eblock *b, enum herd_csr_by by, uint64_t *deg)
{
    for (uint64_t i = 0; i < b->n; i++) {
        if (by != HERD_CSR_BY_DST)
            deg[b->s32[i]]++;
        if (by != HERD_CSR_BY_SRC)
            deg[b->d32[i]]++;
    }
}

static inline void put(struct herd_csr *c, uint32_t row, uint32_t x, double w)
{
    uint64_t p = c->off[row]++;
    c->adj[p] = x;
    if (c->w)
        c->w[p] = w;
}

static void fill_block(const struct herd_eblock *b, enum herd_csr_by by, struct herd_csr *c)
{
    for (uint64_t i = 0; i < b->n; i++) {
        uint32_t s = b->s32[i], d = b->d32[i];
        double w = b->w ? b->w[i] : 1.0;
        if (by != HERD_CSR_BY_DST)
            put(c, s, d, w);
        if (by != HERD_CSR_BY_SRC)
            put(c, d, s, w);
    }
}

int herd_csr_scatter(struct herd_elist *el, uint32_t n, enum herd_csr_by by, int weighted,
                     int threads, struct herd_csr *c, struct herd_err *e)
{
    (void)threads;
    memset(c, 0, sizeof *c);
    c->off = calloc((size_t)n + 1, sizeof *c->off);
    if (c->off == NULL)
        return herd_err_set(e, HERD_ENOMEM, "CSR offsets of %u vertices", n);
    for (size_t i = 0; i < el->nblk; i++) {
        assert(el->blk[i].s32 != NULL || el->blk[i].n == 0);
        count_block(&el->blk[i], by, c->off);
    }
    uint64_t m = starts_from_counts(c->off, n);
    int rc = alloc_rows(c, n, m, weighted, e);
    if (rc != HERD_OK)
        return rc;
    for (size_t i = 0; i < el->nblk; i++) {
        fill_block(&el->blk[i], by, c);
        herd_eblock_free(&el->blk[i]);
    }
    ends_to_starts(c->off, n);
    return HERD_OK;
}

/* Within a row, parallel arcs (equal entries) get ascending weights, so a
 * graph's rows do not depend on the order its edges were read in. */
static void order_ties(struct herd_csr *c, uint32_t n)
{
    for (uint32_t u = 0; u < n; u++) {
        for (uint64_t j = c->off[u] + 1; j < c->off[u + 1]; j++) {
            if (c->adj[j] != c->adj[j - 1] || c->w[j] >= c->w[j - 1])
                continue;
            double w = c->w[j]; /* insertion step within the run of equal entries */
            uint64_t k = j;
            while (k > c->off[u] && c->adj[k - 1] == c->adj[j] && c->w[k - 1] > w) {
                c->w[k] = c->w[k - 1];
                k--;
            }
            c->w[k] = w;
        }
    }
}

int herd_csr_transpose(const struct herd_csr *in, uint32_t n, int threads, struct herd_csr *out,
                       struct herd_err *e)
{
    (void)threads;
    memset(out, 0, sizeof *out);
    out->off = calloc((size_t)n + 1, sizeof *out->off);
    if (out->off == NULL)
        return herd_err_set(e, HERD_ENOMEM, "CSR offsets of %u vertices", n);
    uint64_t m = in->off[n];
    for (uint64_t j = 0; j < m; j++)
        out->off[in->adj[j]]++;
    starts_from_counts(out->off, n);
    int rc = alloc_rows(out, n, m, in->w != NULL, e);
    if (rc != HERD_OK)
        return rc;
    for (uint32_t u = 0; u < n; u++)
        for (uint64_t j = in->off[u]; j < in->off[u + 1]; j++)
            put(out, in->adj[j], u, in->w ? in->w[j] : 0.0);
    ends_to_starts(out->off, n);
    if (out->w)
        order_ties(out, n);
    return HERD_OK;
}

void herd_csr_simplify(struct herd_csr *c, uint32_t n)
{
    uint64_t wpos = 0, start = c->off[0];
    for (uint32_t u = 0; u < n; u++) {
        uint64_t end = c->off[u + 1], row = wpos;
        c->off[u] = wpos;
        for (uint64_t j = start; j < end; j++) {
            uint32_t x = c->adj[j];
            if (x == u)
                continue;
            if (wpos > row && c->adj[wpos - 1] == x) {
                if (c->w && c->w[j] < c->w[wpos - 1])
                    c->w[wpos - 1] = c->w[j];
                continue;
            }
            c->adj[wpos] = x;
            if (c->w)
                c->w[wpos] = c->w[j];
            wpos++;
        }
        start = end;
    }
    c->off[n] = wpos;
    uint32_t *adj = realloc(c->adj, (wpos ? wpos : 1) * sizeof *adj);
    if (adj)
        c->adj = adj;
    if (c->w) {
        double *w = realloc(c->w, (wpos ? wpos : 1) * sizeof *w);
        if (w)
            c->w = w;
    }
}
