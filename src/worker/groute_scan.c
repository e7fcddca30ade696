/* groute_scan — scanner callbacks that route (groute_scan.h). */
#include "worker/groute_scan.h"

#include "graph/load_range.h"
#include "graph/renumber.h"
#include "worker/groute_idx.h"

struct ctx {
    struct herd_groute_tx *tx;
    const struct herd_groute_scan *sc;
    struct herd_groute_counts n;
    struct herd_groute_idx listed; /* Graphalytics: every .v id (the whole file) */
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

/* The whole .v file into c->listed (serialised callback). */
static int on_listed(void *arg, const uint64_t *ids, size_t n, struct herd_err *e)
{
    struct ctx *c = arg;
    for (size_t i = 0; i < n; i++)
        if (herd_groute_idx_put(&c->listed, ids[i], NULL) == NULL)
            return herd_err_set(e, HERD_ENOMEM, "%s: out of memory for the vertex ids",
                                c->sc->vpath);
    return HERD_OK;
}

/* The scanner's .e check (parser threads, concurrently: a read-only get). */
static int is_listed(void *arg, uint64_t id)
{
    uint32_t v;
    return herd_groute_idx_get(&((struct ctx *)arg)->listed, id, &v) == HERD_OK;
}

/* Range me of the file at path through `scan`; whole: the whole file into
 * c->listed instead. */
static int scan_share(struct ctx *c, const char *path, int vertices, int whole,
                      struct herd_err *e)
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
    if (whole)
        return herd_graph_scan_vertices_range(path, &sc->o, 0, size,
                                              &(struct herd_scan_cb){.vertices = on_listed},
                                              c, e);
    if (sc->vpath) { /* every endpoint must be a .v id, as the whole-file loader checks */
        cb.listed = is_listed;
        cb.listed_in = sc->vpath;
    }
    return vertices ? herd_graph_scan_vertices_range(path, &sc->o, start, end, &cb, c, e)
                    : herd_graph_scan_range(path, &sc->o, start, end, &cb, c, e);
}

int herd_groute_scan_run(struct herd_groute_tx *tx, const struct herd_groute_scan *sc,
                         struct herd_groute_counts *out, struct herd_err *e)
{
    struct ctx c = {.tx = tx, .sc = sc};
    herd_groute_idx_init(&c.listed);
    int rc = sc->vpath ? scan_share(&c, sc->vpath, 1, 1, e) : HERD_OK;
    rc = rc ? rc : sc->vpath ? scan_share(&c, sc->vpath, 1, 0, e) : HERD_OK;
    if (rc == HERD_OK)
        rc = scan_share(&c, sc->path, 0, 0, e);
    herd_groute_idx_fini(&c.listed);
    if (rc == HERD_OK)
        *out = c.n;
    return rc;
}
