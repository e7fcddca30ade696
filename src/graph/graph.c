#include "graph/graph.h"
#include "graph/elist.h"

#include <stdlib.h>

int herd_graph_build(const uint64_t *src, const uint64_t *dst, const double *w, uint64_t nedges,
                     const uint64_t *extra_ids, uint64_t nextra, const struct herd_graph_opts *o,
                     struct herd_graph **out, struct herd_err *e)
{
    struct herd_elist el;
    struct herd_eblock b = {0};
    herd_elist_init(&el);
    b.n = nedges;
    b.s64 = (uint64_t *)src;
    b.d64 = (uint64_t *)dst;
    b.w = o->weighted ? (double *)w : NULL;
    b.ids_borrowed = 1;
    b.w_borrowed = 1;
    herd_elist_add(&el, &b);
    return herd_elist_build(&el, NULL, extra_ids, nextra, o, out, e);
}

void herd_graph_destroy(struct herd_graph *g)
{
    if (g == NULL)
        return;
    if (g->in_off != g->out_off)
        free(g->in_off);
    if (g->in_src != g->out_dst)
        free(g->in_src);
    if (g->in_w != g->out_w)
        free(g->in_w);
    free(g->out_off);
    free(g->out_dst);
    free(g->out_w);
    free(g->ids);
    free(g->out_deg);
    free(g);
}

int herd_graph_lookup(const struct herd_graph *g, uint64_t id, uint32_t *v)
{
    struct herd_idmap m = {.n = g->n, .base = g->id_base, .ids = g->ids};
    uint32_t x;
    if (!herd_idmap_find(&m, id, &x))
        return HERD_ENOTFOUND;
    *v = x;
    return HERD_OK;
}
