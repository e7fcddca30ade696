#include "graph/elist.h"
#include "base/mem.h"
#include "graph/csr.h"

#include <stdlib.h>
#include <string.h>

void herd_elist_init(struct herd_elist *el)
{
    memset(el, 0, sizeof *el);
}

void herd_eblock_free(struct herd_eblock *b)
{
    free(b->s32);
    free(b->d32);
    if (!b->ids_borrowed) {
        free(b->s64);
        free(b->d64);
    }
    if (!b->w_borrowed)
        free(b->w);
    memset(b, 0, sizeof *b);
}

void herd_elist_fini(struct herd_elist *el)
{
    for (size_t i = 0; i < el->nblk; i++)
        herd_eblock_free(&el->blk[i]);
    free(el->blk);
    herd_elist_init(el);
}

void herd_elist_add(struct herd_elist *el, const struct herd_eblock *b)
{
    struct herd_eblock copy = *b;
    if (b->n == 0) {
        herd_eblock_free(&copy);
        return;
    }
    herd_xgrow((void **)&el->blk, &el->cap, el->nblk + 1, sizeof *el->blk);
    el->blk[el->nblk++] = copy;
    el->m += b->n;
}

static inline uint64_t src_of(const struct herd_eblock *b, uint64_t i)
{
    return b->s32 ? b->s32[i] : b->s64[i];
}

static inline uint64_t dst_of(const struct herd_eblock *b, uint64_t i)
{
    return b->d32 ? b->d32[i] : b->d64[i];
}

static void id_range(const struct herd_elist *el, const uint64_t *extra, uint64_t nextra,
                     uint64_t *lo, uint64_t *hi)
{
    uint64_t a = UINT64_MAX, z = 0;
    for (size_t k = 0; k < el->nblk; k++) {
        const struct herd_eblock *b = &el->blk[k];
        for (uint64_t i = 0; i < b->n; i++) {
            uint64_t s = src_of(b, i), d = dst_of(b, i);
            a = s < a ? s : a;
            a = d < a ? d : a;
            z = s > z ? s : z;
            z = d > z ? d : z;
        }
    }
    for (uint64_t i = 0; i < nextra; i++) {
        a = extra[i] < a ? extra[i] : a;
        z = extra[i] > z ? extra[i] : z;
    }
    *lo = a;
    *hi = z;
}

static int map_by_bitmap(const struct herd_elist *el, const uint64_t *extra, uint64_t nextra,
                         uint64_t lo, uint64_t hi, struct herd_idmap *map, struct herd_err *e)
{
    int rc = herd_idmap_begin(map, lo, hi, e);
    if (rc != HERD_OK)
        return rc;
    for (size_t k = 0; k < el->nblk; k++) {
        const struct herd_eblock *b = &el->blk[k];
        for (uint64_t i = 0; i < b->n; i++) {
            herd_idmap_mark(map, src_of(b, i));
            herd_idmap_mark(map, dst_of(b, i));
        }
    }
    for (uint64_t i = 0; i < nextra; i++)
        herd_idmap_mark(map, extra[i]);
    return herd_idmap_finish(map, e);
}

static int map_by_sort(const struct herd_elist *el, const uint64_t *extra, uint64_t nextra,
                       struct herd_idmap *map, struct herd_err *e)
{
    uint64_t k = 2 * el->m + nextra, j = 0;
    uint64_t *all = malloc((k ? k : 1) * sizeof *all);
    if (all == NULL)
        return herd_err_set(e, HERD_ENOMEM, "id list of %llu entries", (unsigned long long)k);
    for (size_t x = 0; x < el->nblk; x++) {
        const struct herd_eblock *b = &el->blk[x];
        for (uint64_t i = 0; i < b->n; i++) {
            all[j++] = src_of(b, i);
            all[j++] = dst_of(b, i);
        }
    }
    if (nextra)
        memcpy(all + j, extra, nextra * sizeof *extra);
    return herd_idmap_from_list(map, all, k, e);
}

static int derive_map(const struct herd_elist *el, const uint64_t *extra, uint64_t nextra,
                      struct herd_idmap *map, struct herd_err *e)
{
    herd_idmap_init(map);
    if (el->m == 0 && nextra == 0)
        return HERD_OK;
    uint64_t lo, hi;
    id_range(el, extra, nextra, &lo, &hi);
    if (herd_idmap_bitmap_fits(lo, hi, 2 * el->m + nextra))
        return map_by_bitmap(el, extra, nextra, lo, hi, map, e);
    return map_by_sort(el, extra, nextra, map, e);
}

static int missing(uint64_t id, struct herd_err *e)
{
    return herd_err_set(e, HERD_EINVAL, "edge endpoint %llu is not a vertex of the graph",
                        (unsigned long long)id);
}

/* Rewrites one block's endpoints as dense 32-bit ids. */
static int remap_block(struct herd_eblock *b, const struct herd_idmap *map, struct herd_err *e)
{
    uint32_t *s = b->s32, *d = b->d32;
    if (s == NULL) {
        s = malloc(b->n * sizeof *s);
        d = malloc(b->n * sizeof *d);
        if (s == NULL || d == NULL) {
            free(s);
            free(d);
            return herd_err_set(e, HERD_ENOMEM, "edge block of %llu edges",
                                (unsigned long long)b->n);
        }
    }
    uint64_t bad;
    for (uint64_t i = 0; i < b->n; i++) {
        uint64_t si = src_of(b, i), di = dst_of(b, i);
        if (!herd_idmap_find(map, si, &s[i])) {
            bad = si;
            goto fail;
        }
        if (!herd_idmap_find(map, di, &d[i])) {
            bad = di;
            goto fail;
        }
    }
    if (s != b->s32) {
        if (!b->ids_borrowed) {
            free(b->s64);
            free(b->d64);
        }
        b->s64 = b->d64 = NULL;
        b->ids_borrowed = 0;
        b->s32 = s;
        b->d32 = d;
    }
    return HERD_OK;
fail:
    if (s != b->s32) {
        free(s);
        free(d);
    }
    return missing(bad, e);
}

static int remap(struct herd_elist *el, const struct herd_idmap *map, struct herd_err *e)
{
    if (map->ids == NULL && map->base == 0) {
        int all32 = 1;
        for (size_t k = 0; k < el->nblk; k++)
            all32 &= el->blk[k].s32 != NULL;
        if (all32)
            return HERD_OK; /* ids are already 0..n-1 */
    }
    for (size_t k = 0; k < el->nblk; k++) {
        int rc = remap_block(&el->blk[k], map, e);
        if (rc != HERD_OK)
            return rc;
    }
    el->dense = 1;
    return HERD_OK;
}

static int any_weights(const struct herd_elist *el)
{
    for (size_t k = 0; k < el->nblk; k++)
        if (el->blk[k].w)
            return 1;
    return 0;
}

static void take_csr(struct herd_csr *c, uint64_t **off, uint32_t **adj, double **w)
{
    *off = c->off;
    *adj = c->adj;
    *w = c->w;
    memset(c, 0, sizeof *c);
}

/* Undirected: both arcs of each edge, rows sorted; in-* alias out-*. */
static int build_undirected(struct herd_elist *el, struct herd_graph *g, int weighted,
                            const struct herd_graph_opts *o, struct herd_err *e)
{
    struct herd_csr a, b;
    int rc = herd_csr_scatter(el, g->n, HERD_CSR_BOTH, weighted, o->threads, &a, e);
    if (rc != HERD_OK)
        return rc;
    rc = herd_csr_transpose(&a, g->n, o->threads, &b, e);
    herd_csr_free(&a);
    if (rc != HERD_OK)
        return rc;
    if (o->simplify)
        herd_csr_simplify(&b, g->n);
    take_csr(&b, &g->out_off, &g->out_dst, &g->out_w);
    g->in_off = g->out_off;
    g->in_src = g->out_dst;
    g->in_w = g->out_w;
    g->m = g->out_off[g->n];
    return HERD_OK;
}

/* Directed: scatter to the opposite rows, transpose back (rows sorted). */
static int build_directed(struct herd_elist *el, struct herd_graph *g, int weighted,
                          const struct herd_graph_opts *o, struct herd_err *e)
{
    int out_first = o->need_out || !o->need_in;
    struct herd_csr a, b, c;
    int rc = herd_csr_scatter(el, g->n, out_first ? HERD_CSR_BY_DST : HERD_CSR_BY_SRC, weighted,
                              o->threads, &a, e);
    if (rc != HERD_OK)
        return rc;
    rc = herd_csr_transpose(&a, g->n, o->threads, &b, e);
    if (rc == HERD_OK && !out_first && !o->simplify) { /* a holds the out-rows */
        g->out_deg = herd_csr_degrees(&a, g->n);
        if (g->out_deg == NULL)
            rc = herd_err_set(e, HERD_ENOMEM, "out-degrees of %u vertices", g->n);
    }
    herd_csr_free(&a);
    if (rc != HERD_OK)
        return rc;
    if (o->simplify)
        herd_csr_simplify(&b, g->n);
    g->m = b.off[g->n];
    if (!out_first) {
        take_csr(&b, &g->in_off, &g->in_src, &g->in_w);
        return HERD_OK;
    }
    if (o->need_in) {
        rc = herd_csr_transpose(&b, g->n, o->threads, &c, e);
        if (rc != HERD_OK) {
            herd_csr_free(&b);
            return rc;
        }
        take_csr(&c, &g->in_off, &g->in_src, &g->in_w);
    }
    take_csr(&b, &g->out_off, &g->out_dst, &g->out_w);
    return HERD_OK;
}

int herd_elist_build(struct herd_elist *el, struct herd_idmap *map, const uint64_t *extra,
                     uint64_t nextra, const struct herd_graph_opts *o, struct herd_graph **out,
                     struct herd_err *e)
{
    struct herd_idmap own;
    struct herd_graph *g = NULL;
    int rc = HERD_OK;
    herd_idmap_init(&own);
    if (map == NULL) {
        map = &own;
        rc = derive_map(el, extra, nextra, map, e);
    }
    if (rc == HERD_OK && !el->dense)
        rc = remap(el, map, e);
    if (rc != HERD_OK)
        goto fail;
    if (map->n > UINT32_MAX) {
        rc = herd_err_set(e, HERD_EINVAL, "%llu vertices: more than 2^32-1 are not supported",
                          (unsigned long long)map->n);
        goto fail;
    }
    int weighted = o->weighted == 1 || (o->weighted == HERD_GRAPH_WEIGHTS_AUTO && any_weights(el));
    g = herd_xcalloc(1, sizeof *g);
    g->n = (uint32_t)map->n;
    g->directed = o->directed;
    g->id_base = map->base;
    g->ids = herd_idmap_take_ids(map);
    rc = o->directed ? build_directed(el, g, weighted, o, e)
                     : build_undirected(el, g, weighted, o, e);
    if (rc != HERD_OK)
        goto fail;
    herd_idmap_fini(map);
    herd_elist_fini(el);
    *out = g;
    return HERD_OK;
fail:
    herd_graph_destroy(g);
    herd_idmap_fini(map);
    herd_elist_fini(el);
    return rc;
}
