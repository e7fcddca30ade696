/* groute_scan — scanner callbacks that route (groute_scan.h). */
#include "worker/groute_scan.h"

#include "graph/load_range.h"
#include "graph/renumber.h"

struct ctx {
    struct herd_groute_tx *tx;
    const struct herd_groute_scan *sc;
    struct herd_groute_counts n;
};

static uint64_t cut(uint64_t size, uint32_t i, uint32_t k)
{
    return size / k * i + size % k * i / k; /* = floor(size * i / k) */
}

void herd_groute_range(uint64_t size, uint32_t i, uint32_t k, uint64_t *start, uint64_t *end)
{
    *start = cut(size, i, k);
    *end = i + 1 >= k ? size : cut(size, i + 1, k);
}

static int on_edges(void *arg, const uint64_t *src, const uint64_t *dst, const double *w,
                    size_t n, struct herd_err *e)
{
    struct ctx *c = arg;
    const struct herd_groute_scan *sc = c->sc;
    int rc = HERD_OK;
    for (size_t i = 0; i < n && rc == HERD_OK; i++) {
        uint32_t ps = herd_renumber_part_of(src[i], sc->nparts);
        uint32_t pd = herd_renumber_part_of(dst[i], sc->nparts);
        double wi = w ? w[i] : 1.0;
        rc = sc->out_rows     ? herd_groute_tx_edge(c->tx, ps, HERD_DPF_OUT, src[i], dst[i], wi, e)
             : sc->src_counts ? herd_groute_tx_src(c->tx, ps, src[i], e)
                              : herd_groute_tx_id(c->tx, ps, src[i], e);
        if (rc == HERD_OK)
            rc = sc->in_rows ? herd_groute_tx_edge(c->tx, pd, HERD_DPF_IN, src[i], dst[i], wi, e)
                             : herd_groute_tx_id(c->tx, pd, dst[i], e);
    }
    c->n.edges += n;
    return rc;
}

static int on_vertices(void *arg, const uint64_t *ids, size_t n, struct herd_err *e)
{
    struct ctx *c = arg;
    int rc = HERD_OK;
    for (size_t i = 0; i < n && rc == HERD_OK; i++)
        rc = herd_groute_tx_id(c->tx, herd_renumber_part_of(ids[i], c->sc->nparts), ids[i], e);
    c->n.vertices += n;
    return rc;
}

/* DIMACS: the vertices are 1..n, whatever the arcs use. */
static int on_header(void *arg, uint64_t n, uint64_t m, struct herd_err *e)
{
    struct ctx *c = arg;
    (void)m;
    int rc = HERD_OK;
    for (uint64_t v = 1; v <= n && rc == HERD_OK; v++)
        rc = herd_groute_tx_id(c->tx, herd_renumber_part_of(v, c->sc->nparts), v, e);
    return rc;
}

/* Range me of the file at path through `scan`. */
static int scan_share(struct ctx *c, const char *path, int vertices, struct herd_err *e)
{
    const struct herd_groute_scan *sc = c->sc;
    uint64_t size = 0, start, end;
    int ok = herd_graph_splittable(path, &sc->o, &size, e);
    if (ok < 0)
        return e->code;
    if (ok == 0)
        return herd_err_set(e, HERD_EINVAL, "%s: cannot be split between workers", path);
    herd_groute_range(size, sc->me, sc->nworkers, &start, &end);
    struct herd_scan_cb cb = {.edges = on_edges, .vertices = on_vertices, .header = on_header};
    return vertices ? herd_graph_scan_vertices_range(path, &sc->o, start, end, &cb, c, e)
                    : herd_graph_scan_range(path, &sc->o, start, end, &cb, c, e);
}

int herd_groute_scan_run(struct herd_groute_tx *tx, const struct herd_groute_scan *sc,
                         struct herd_groute_counts *out, struct herd_err *e)
{
    struct ctx c = {.tx = tx, .sc = sc};
    int rc = sc->vpath ? scan_share(&c, sc->vpath, 1, e) : HERD_OK;
    if (rc == HERD_OK)
        rc = scan_share(&c, sc->path, 0, e);
    if (rc == HERD_OK)
        *out = c.n;
    return rc;
}
