/* groute_build — the owned rows of a routed load (groute_build.h). */
#include "worker/groute_build.h"

#include "base/mem.h"
#include "graph/idmap.h"
#include "worker/groute_idx.h"

#include <stdlib.h>
#include <string.h>

/* One arc before it is placed: (row within its partition << 32 | dense
 * neighbour), and its weight. */
struct kw {
    uint64_t key;
    double w;
};

/* One row set being built over all n vertices. */
struct rowset {
    uint64_t *off; /* n+1 */
    uint32_t *adj;
    double *w;
    uint64_t m;
};

/* A partition's records as sort keys: k (unweighted) or kw (weighted). */
struct keys {
    uint64_t *k;
    struct kw *kw;
    size_t n;
};

/* By key (row, neighbour), then weight: herd_renumber_hash's row order. */
static int cmp_kw(const void *a, const void *b)
{
    const struct kw *x = a, *y = b;
    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    return (x->w > y->w) - (x->w < y->w);
}

static void records_free(struct herd_groute_edges *r)
{
    free(r->src);
    free(r->dst);
    free(r->w);
    memset(r, 0, sizeof *r);
}

/* Appends the records of r (of partition p; the row is the source's when
 * row_is_src, else the target's) to k, and frees them. */
static int add_keys(const struct herd_groute_build *b, const struct herd_groute_xlate *x,
                    uint32_t p, struct herd_groute_edges *r, int row_is_src, struct keys *k,
                    struct herd_err *e)
{
    const struct herd_groute_numbering *nm = b->num;
    for (size_t i = 0; i < r->n; i++) {
        uint64_t row = row_is_src ? r->src[i] : r->dst[i];
        uint64_t nb = row_is_src ? r->dst[i] : r->src[i];
        uint32_t dr, v;
        if (herd_groute_xlate_dense(x, row, &dr) != HERD_OK || dr < nm->base[p] ||
            dr >= nm->base[p + 1] || herd_groute_xlate_dense(x, nb, &v) != HERD_OK)
            return herd_err_set(e, HERD_EPROTO, "routed load: edge %llu-%llu has no dense id",
                                (unsigned long long)row, (unsigned long long)nb);
        uint64_t key = (uint64_t)(dr - nm->base[p]) << 32 | v;
        if (k->kw)
            k->kw[k->n++] = (struct kw){key, r->w ? r->w[i] : 1.0};
        else
            k->k[k->n++] = key;
    }
    records_free(r);
    return HERD_OK;
}

/* Places partition p's sorted keys as the rows of its vertices (dropping
 * self-loops and repeated neighbours under simplify). */
static void emit(const struct herd_groute_build *b, uint32_t p, const struct keys *k,
                 struct rowset *rs)
{
    uint32_t base = b->num->base[p];
    for (size_t i = 0; i < k->n; i++) {
        uint64_t key = k->kw ? k->kw[i].key : k->k[i];
        uint32_t row = base + (uint32_t)(key >> 32), v = (uint32_t)key;
        if (b->simplify &&
            (row == v || (i > 0 && key == (k->kw ? k->kw[i - 1].key : k->k[i - 1]))))
            continue;
        rs->adj[rs->m] = v;
        if (rs->w)
            rs->w[rs->m] = k->kw[i].w;
        rs->m++;
        rs->off[row + 1]++;
    }
}

/* Partition p's row set from its record buffers a (and b2, may be NULL),
 * rows of sources in a when a_src. */
static int build_part(const struct herd_groute_build *b, const struct herd_groute_xlate *x,
                      uint32_t p, struct herd_groute_edges *a, int a_src,
                      struct herd_groute_edges *b2, struct rowset *rs, struct herd_err *e)
{
    size_t total = a->n + (b2 ? b2->n : 0);
    struct keys k = {0};
    if (b->weighted)
        k.kw = malloc((total ? total : 1) * sizeof *k.kw);
    else
        k.k = malloc((total ? total : 1) * sizeof *k.k);
    if (k.kw == NULL && k.k == NULL)
        return herd_err_set(e, HERD_ENOMEM, "routed load: %zu arcs of partition %u", total, p);
    int rc = add_keys(b, x, p, a, a_src, &k, e);
    if (rc == HERD_OK && b2)
        rc = add_keys(b, x, p, b2, 0, &k, e);
    if (rc == HERD_OK) {
        if (k.kw)
            qsort(k.kw, k.n, sizeof *k.kw, cmp_kw);
        else
            herd_idmap_sort(k.k, k.n, NULL);
        emit(b, p, &k, rs);
    }
    free(k.k);
    free(k.kw);
    return rc;
}

static void rowset_free(struct rowset *rs)
{
    free(rs->off);
    free(rs->adj);
    free(rs->w);
    memset(rs, 0, sizeof *rs);
}

/* Records of every owned partition of one kind (`in`: in-row records). */
static size_t records_of(struct herd_groute_rx *rx, const struct herd_groute_numbering *nm,
                         int in)
{
    size_t t = 0;
    for (uint32_t p = 0; p < nm->nparts; p++)
        if (nm->owner[p] == nm->me) {
            const struct herd_groute_part *gp = herd_groute_rx_part(rx, p);
            t += in ? gp->in.n : gp->out.n;
        }
    return t;
}

/* One row set over every owned partition: out-rows (`in` 0; with the
 * in-row records too when undirected) or a directed graph's in-rows. */
static int build_rows(struct herd_groute_rx *rx, const struct herd_groute_xlate *x,
                      const struct herd_groute_build *b, int in, struct rowset *rs,
                      struct herd_err *e)
{
    const struct herd_groute_numbering *nm = b->num;
    uint32_t n = nm->base[nm->nparts];
    int both = !in && !b->directed;
    size_t total = records_of(rx, nm, in) + (both ? records_of(rx, nm, 1) : 0);
    rs->off = calloc((size_t)n + 1, sizeof *rs->off);
    rs->adj = malloc((total ? total : 1) * sizeof *rs->adj);
    rs->w = b->weighted ? malloc((total ? total : 1) * sizeof *rs->w) : NULL;
    if (rs->off == NULL || rs->adj == NULL || (b->weighted && rs->w == NULL))
        return herd_err_set(e, HERD_ENOMEM, "routed load: rows of %zu arcs", total);
    int rc = HERD_OK;
    for (uint32_t p = 0; p < nm->nparts && rc == HERD_OK; p++) {
        if (nm->owner[p] != nm->me)
            continue;
        struct herd_groute_part *gp = herd_groute_rx_part_mut(rx, p);
        rc = in ? build_part(b, x, p, &gp->in, 0, NULL, rs, e)
                : build_part(b, x, p, &gp->out, 1, both ? &gp->in : NULL, rs, e);
    }
    for (uint32_t v = 0; v < n; v++)
        rs->off[v + 1] += rs->off[v];
    return rc;
}

/* Frees every owned partition's records (the error path). */
static void drop_records(struct herd_groute_rx *rx, const struct herd_groute_numbering *nm)
{
    for (uint32_t p = 0; p < nm->nparts; p++)
        if (nm->owner[p] == nm->me) {
            struct herd_groute_part *gp = herd_groute_rx_part_mut(rx, p);
            records_free(&gp->out);
            records_free(&gp->in);
            herd_groute_idx_fini(&gp->srcs);
        }
}

/* The owned vertices' input ids and out-degrees (from the out-row offsets
 * `off`, or the counted sources when NULL), the partitions' arcs. */
static void fill_owned(const struct herd_groute_build *b, const uint64_t *off,
                       struct herd_groute_rx *rx, struct herd_graph *g, uint64_t *part_arcs)
{
    const struct herd_groute_numbering *nm = b->num;
    for (uint32_t p = 0; p < nm->nparts; p++) {
        if (nm->owner[p] != nm->me)
            continue;
        uint32_t lo = nm->base[p];
        const struct herd_groute_idx *srcs = &herd_groute_rx_part(rx, p)->srcs;
        part_arcs[p] = 0;
        for (size_t i = 0; i < nm->n[p]; i++) {
            uint32_t d = 0;
            g->ids[lo + i] = nm->ids[p][i];
            if (off)
                d = (uint32_t)(off[lo + i + 1] - off[lo + i]);
            else if (herd_groute_idx_get(srcs, nm->ids[p][i], &d) != HERD_OK)
                d = 0;
            g->out_deg[lo + i] = d;
            part_arcs[p] += d;
        }
    }
}

static struct herd_graph *assemble(const struct herd_groute_build *b, struct rowset *out,
                                   struct rowset *in)
{
    struct herd_graph *g = herd_xcalloc(1, sizeof *g);
    g->directed = b->directed;
    g->partial = 1;
    if (b->need_out || !b->directed) {
        g->out_off = out->off;
        g->out_dst = out->adj;
        g->out_w = out->w;
        memset(out, 0, sizeof *out);
    }
    if (b->directed) {
        g->in_off = in->off;
        g->in_src = in->adj;
        g->in_w = in->w;
        memset(in, 0, sizeof *in);
    } else {
        g->in_off = g->out_off;
        g->in_src = g->out_dst;
        g->in_w = g->out_w;
    }
    return g;
}

int herd_groute_build_run(struct herd_groute_rx *rx, const struct herd_groute_xlate *x,
                          const struct herd_groute_build *b, struct herd_graph **out,
                          uint64_t *part_arcs, struct herd_err *e)
{
    const struct herd_groute_numbering *nm = b->num;
    uint32_t n = nm->base[nm->nparts];
    struct rowset ro = {0}, ri = {0};
    int in = b->directed && b->need_in;
    int rc = b->out_records || !b->directed ? build_rows(rx, x, b, 0, &ro, e) : HERD_OK;
    if (rc == HERD_OK && in)
        rc = build_rows(rx, x, b, 1, &ri, e);
    struct herd_graph *g = NULL;
    if (rc == HERD_OK) {
        g = assemble(b, &ro, &ri);
        g->n = n;
        g->ids = malloc(((size_t)n ? n : 1) * sizeof *g->ids);
        g->out_deg = malloc(((size_t)n ? n : 1) * sizeof *g->out_deg);
        if (g->ids == NULL || g->out_deg == NULL)
            rc = herd_err_set(e, HERD_ENOMEM, "routed load: the map of %u vertices", n);
    }
    if (rc == HERD_OK) {
        fill_owned(b, g->out_off ? g->out_off : ro.off, rx, g, part_arcs);
        const uint64_t *off = g->out_off ? g->out_off : g->in_off;
        g->m = off ? off[n] : 0;
        *out = g;
    } else {
        herd_graph_destroy(g);
    }
    drop_records(rx, nm);
    rowset_free(&ro);
    rowset_free(&ri);
    return rc;
}
