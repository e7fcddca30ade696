/* binfmt_part — the partial .hgr reader (binfmt.h, herd_binfmt_read_part):
 * header and offsets with positioned reads, the split of partition.h, then
 * one read per owned partition and array (targets or sources, weights):
 * a partition's rows are contiguous in the file. In-rows of a file stored
 * without them: a streamed transpose of the out-rows (each_arc). */
#include "graph/binfmt.h"
#include "graph/binfmt_int.h"
#include "graph/csr.h"
#include "graph/partition.h"

#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The open file and what the load needs of it. */
struct preader {
    const char *name;
    int fd;
    struct herd_binfmt_layout l;
    uint32_t n, nparts;
    const uint8_t *owned;
    const uint32_t *bounds;
    int weights;         /* 1 keep (1.0 when the file has none), 0 drop */
};

static int read_at(const struct preader *r, void *buf, uint64_t len, uint64_t at,
                   const char *what, struct herd_err *e)
{
    uint8_t *p = buf;
    while (len > 0) {
        size_t chunk = len > (1u << 30) ? (1u << 30) : (size_t)len;
        ssize_t got = pread(r->fd, p, chunk, (off_t)at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return herd_err_set(e, HERD_EIO, "%s: read %s: %s", r->name, what, strerror(errno));
        if (got == 0)
            return herd_err_set(e, HERD_EPARSE, "%s: truncated: %s end early", r->name, what);
        p += got;
        at += (uint64_t)got;
        len -= (uint64_t)got;
    }
    return HERD_OK;
}

/* count little-endian elements of `width` bytes at `at`, into new memory. */
static int read_array(const struct preader *r, uint64_t count, int width, uint64_t at,
                      const char *what, void **out, struct herd_err *e)
{
    void *p = malloc(count ? count * (uint64_t)width : 1);
    if (p == NULL)
        return herd_err_set(e, HERD_ENOMEM, "%s: %s (%llu entries)", r->name, what,
                            (unsigned long long)count);
    int rc = read_at(r, p, count * (uint64_t)width, at, what, e);
    if (rc != HERD_OK) {
        free(p);
        return rc;
    }
    if (!HERD_BINFMT_HOST_LE)
        herd_binfmt__swap(p, count, width);
    *out = p;
    return HERD_OK;
}

/* Whole offsets of one set of rows (k: 0 out, 1 in), checked. */
static int read_offsets(const struct preader *r, int k, uint64_t **out, struct herd_err *e)
{
    const char *what = k ? "in-offsets" : "offsets";
    uint64_t *off;
    int rc = read_array(r, (uint64_t)r->n + 1, 8, r->l.off_at[k], what, (void **)&off, e);
    if (rc != HERD_OK)
        return rc;
    if (off[0] != 0)
        rc = herd_err_set(e, HERD_EPARSE, "%s: %s of vertex 0 is %llu, not 0", r->name, what,
                          (unsigned long long)off[0]);
    for (uint32_t v = 0; rc == HERD_OK && v < r->n; v++)
        if (off[v + 1] < off[v])
            rc = herd_err_set(e, HERD_EPARSE, "%s: %s decrease at vertex %u", r->name, what,
                              v + 1);
    if (rc == HERD_OK && off[r->n] != r->l.m)
        rc = herd_err_set(e, HERD_EPARSE, "%s: last %s entry %llu does not match %llu arcs",
                          r->name, what, (unsigned long long)off[r->n],
                          (unsigned long long)r->l.m);
    if (rc != HERD_OK) {
        free(off);
        return rc;
    }
    *out = off;
    return HERD_OK;
}

/* Entries < n and sorted within each row; weights finite and >= 0.
 * `off` is already the partial offsets. */
static int check_entries(const struct preader *r, int k, const struct herd_csr *c,
                         struct herd_err *e)
{
    const char *what = k ? "in-" : "";
    for (uint32_t v = 0; v < r->n; v++)
        for (uint64_t j = c->off[v]; j < c->off[v + 1]; j++) {
            if (c->adj[j] >= r->n)
                return herd_err_set(e, HERD_EPARSE, "%s: %srow of vertex %u holds vertex %u, "
                                    "but there are %u", r->name, what, v, c->adj[j], r->n);
            if (j > c->off[v] && c->adj[j] < c->adj[j - 1])
                return herd_err_set(e, HERD_EPARSE, "%s: %srow of vertex %u is not sorted",
                                    r->name, what, v);
            if (c->w && !(isfinite(c->w[j]) && c->w[j] >= 0))
                return herd_err_set(e, HERD_EPARSE, "%s: %srow of vertex %u has weight %g",
                                    r->name, what, v, c->w[j]);
        }
    return HERD_OK;
}

/* Turns whole offsets into partial ones in place (rows outside the owned
 * partitions become empty). */
static void make_partial(const struct preader *r, uint64_t *off)
{
    uint64_t local = 0, prev = off[0];
    for (uint32_t p = 0; p < r->nparts; p++)
        for (uint32_t v = r->bounds[p]; v < r->bounds[p + 1]; v++) {
            uint64_t next = off[v + 1];
            off[v] = local;
            if (r->owned[p])
                local += next - prev;
            prev = next;
        }
    off[r->n] = local;
}

/* The owned partitions' entries (and weights) of row set k, whose whole
 * offsets are `off`; reads them back to back into c. */
static int read_entries(const struct preader *r, int k, const uint64_t *off, uint64_t arcs,
                        struct herd_csr *c, struct herd_err *e)
{
    int file_w = r->l.weighted && r->weights;
    c->adj = malloc(arcs ? arcs * 4 : 1);
    c->w = r->weights ? malloc(arcs ? arcs * 8 : 1) : NULL;
    if (c->adj == NULL || (r->weights && c->w == NULL))
        return herd_err_set(e, HERD_ENOMEM, "%s: %llu arcs", r->name, (unsigned long long)arcs);
    uint64_t pos = 0;
    for (uint32_t p = 0; p < r->nparts; p++) {
        uint64_t a = off[r->bounds[p]], b = off[r->bounds[p + 1]];
        if (!r->owned[p] || a == b)
            continue;
        int rc = read_at(r, c->adj + pos, (b - a) * 4, r->l.adj_at[k] + a * 4, "rows", e);
        if (rc == HERD_OK && file_w)
            rc = read_at(r, c->w + pos, (b - a) * 8, r->l.w_at[k] + a * 8, "weights", e);
        if (rc != HERD_OK)
            return rc;
        pos += b - a;
    }
    if (!HERD_BINFMT_HOST_LE) {
        herd_binfmt__swap(c->adj, arcs, 4);
        if (file_w)
            herd_binfmt__swap(c->w, arcs, 8);
    }
    for (uint64_t j = 0; c->w && !file_w && j < arcs; j++)
        c->w[j] = 1.0;
    return HERD_OK;
}

static uint64_t owned_arcs(const struct preader *r, const uint64_t *off)
{
    uint64_t arcs = 0;
    for (uint32_t p = 0; p < r->nparts; p++)
        if (r->owned[p])
            arcs += off[r->bounds[p + 1]] - off[r->bounds[p]];
    return arcs;
}

/* Row set k of the owned partitions: c->off takes `off` (whole offsets,
 * made partial), on success and on failure. */
static int load_rows(const struct preader *r, int k, uint64_t *off, struct herd_csr *c,
                     struct herd_err *e)
{
    uint64_t arcs = owned_arcs(r, off);
    int rc = read_entries(r, k, off, arcs, c, e);
    make_partial(r, off);
    c->off = off;
    return rc != HERD_OK ? rc : check_entries(r, k, c, e);
}

/* ---- in-rows of a file that stores only out-rows: streamed transpose ---- */

#define CHUNK (1u << 20) /* arcs per read while streaming the out-rows */

/* Calls fn on every arc (u, target, weight or NULL) of the out-rows, read
 * in chunks; checks targets and row order like the whole-file reader. */
static int each_arc(const struct preader *r, const uint64_t *out_off, int with_w,
                    void (*fn)(void *arg, uint32_t u, uint32_t v, const double *w), void *arg,
                    struct herd_err *e)
{
    uint32_t *t = malloc(CHUNK * sizeof *t);
    double *w = with_w ? malloc(CHUNK * sizeof *w) : NULL;
    int rc = t && (w || !with_w) ? HERD_OK : herd_err_set(e, HERD_ENOMEM, "%s: buffer", r->name);
    uint32_t u = 0;
    for (uint64_t a = 0; rc == HERD_OK && a < r->l.m; a += CHUNK) {
        uint64_t k = r->l.m - a < CHUNK ? r->l.m - a : CHUNK;
        rc = read_at(r, t, k * 4, r->l.adj_at[0] + a * 4, "targets", e);
        if (rc == HERD_OK && w)
            rc = read_at(r, w, k * 8, r->l.w_at[0] + a * 8, "weights", e);
        if (rc == HERD_OK && !HERD_BINFMT_HOST_LE) {
            herd_binfmt__swap(t, k, 4);
            if (w)
                herd_binfmt__swap(w, k, 8);
        }
        for (uint64_t j = 0; rc == HERD_OK && j < k; j++) {
            while (out_off[u + 1] <= a + j)
                u++;
            if (t[j] >= r->n || (a + j > out_off[u] && j > 0 && t[j] < t[j - 1]))
                rc = herd_err_set(e, HERD_EPARSE, "%s: row of vertex %u %s", r->name, u,
                                  t[j] >= r->n ? "targets a vertex out of range" : "is not sorted");
            else if (w && !(isfinite(w[j]) && w[j] >= 0))
                rc = herd_err_set(e, HERD_EPARSE, "%s: row of vertex %u has weight %g", r->name,
                                  u, w[j]);
            else
                fn(arg, u, t[j], w ? &w[j] : NULL);
        }
    }
    free(t);
    free(w);
    return rc;
}

static void count_arc(void *arg, uint32_t u, uint32_t v, const double *w)
{
    (void)u, (void)w;
    ((uint64_t *)arg)[v + 1]++;
}

/* Whole in-offsets, counted over the out-rows. */
static int count_in(const struct preader *r, const uint64_t *out_off, uint64_t **out,
                    struct herd_err *e)
{
    uint64_t *off = calloc((size_t)r->n + 1, sizeof *off);
    if (off == NULL)
        return herd_err_set(e, HERD_ENOMEM, "%s: in-offsets", r->name);
    int rc = each_arc(r, out_off, 0, count_arc, off, e);
    for (uint32_t v = 0; rc == HERD_OK && v < r->n; v++)
        off[v + 1] += off[v];
    if (rc != HERD_OK) {
        free(off);
        return rc;
    }
    *out = off;
    return HERD_OK;
}

struct fill {
    struct herd_csr *c;
    uint64_t *cur; /* next free slot of each in-row */
};

static void fill_arc(void *arg, uint32_t u, uint32_t v, const double *w)
{
    struct fill *f = arg;
    if (f->c->off[v] == f->c->off[v + 1])
        return; /* v's row is not loaded (another worker's partition) */
    uint64_t at = f->cur[v];
    f->c->adj[at] = u;
    if (f->c->w)
        f->c->w[at] = w ? *w : 1.0;
    f->cur[v]++;
}

/* Parallel arcs in a row (equal sources) by ascending weight, as the
 * whole-file reader's transpose leaves them. */
static void order_ties(struct herd_csr *c, uint32_t n)
{
    for (uint32_t v = 0; v < n; v++)
        for (uint64_t j = c->off[v] + 1; j < c->off[v + 1]; j++) {
            double x = c->w[j];
            uint64_t k = j;
            while (k > c->off[v] && c->adj[k - 1] == c->adj[j] && c->w[k - 1] > x) {
                c->w[k] = c->w[k - 1];
                k--;
            }
            c->w[k] = x;
        }
}

/* The owned partitions' in-rows from the out-rows: in_off (whole, counted)
 * becomes c->off (partial), on success and failure. */
static int transpose_rows(const struct preader *r, const uint64_t *out_off, uint64_t *in_off,
                          struct herd_csr *c, struct herd_err *e)
{
    uint64_t arcs = owned_arcs(r, in_off);
    make_partial(r, in_off);
    c->off = in_off;
    c->adj = malloc(arcs ? arcs * 4 : 1);
    c->w = r->weights ? malloc(arcs ? arcs * 8 : 1) : NULL;
    if (c->adj == NULL || (r->weights && c->w == NULL))
        return herd_err_set(e, HERD_ENOMEM, "%s: %llu in-arcs", r->name,
                            (unsigned long long)arcs);
    /* cursors: a copy of the row starts (the partial offsets stay put) */
    struct fill f = {.c = c, .cur = malloc(((size_t)r->n + 1) * sizeof *f.cur)};
    if (f.cur == NULL)
        return herd_err_set(e, HERD_ENOMEM, "%s: in-row cursors", r->name);
    memcpy(f.cur, in_off, ((size_t)r->n + 1) * sizeof *f.cur);
    int rc = each_arc(r, out_off, r->weights && r->l.weighted, fill_arc, &f, e);
    free(f.cur);
    if (rc == HERD_OK && c->w)
        order_ties(c, r->n);
    return rc;
}

/* Opens `path` and reads its header: HERD_EUNSUPPORTED when it is not a
 * plain .hgr file. */
static int open_file(struct preader *r, const char *path, struct herd_err *e)
{
    uint8_t hb[HERD_BINFMT_HEADER];
    struct stat st;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) /* the whole-file loader reports it (or finds X.e for X) */
        return HERD_EUNSUPPORTED;
    if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < HERD_BINFMT_HEADER ||
        pread(r->fd, hb, sizeof hb, 0) != (ssize_t)sizeof hb || !herd_binfmt_is(hb, sizeof hb))
        return HERD_EUNSUPPORTED;
    int rc = herd_binfmt__layout(path, hb, &r->l, e);
    if (rc == HERD_OK && (uint64_t)st.st_size != r->l.size)
        rc = herd_err_set(e, HERD_EPARSE,
                          "%s: %llu bytes after the header, but the header implies %llu", path,
                          (unsigned long long)st.st_size - HERD_BINFMT_HEADER,
                          (unsigned long long)r->l.size - HERD_BINFMT_HEADER);
    if (rc == HERD_OK && r->l.n == 0)
        rc = herd_err_set(e, HERD_EPARSE, "%s: no edges and no vertices", path);
    r->n = (uint32_t)r->l.n;
    return rc;
}

/* Whether this load can be partial; HERD_EUNSUPPORTED or an error. */
static int check_opts(const struct preader *r, const struct herd_graph_opts *o,
                      struct herd_err *e)
{
    if (!r->l.directed && o->directed)
        return herd_err_set(e, HERD_EINVAL,
                            "%s: stored undirected; load it undirected, or convert the source "
                            "again with --directed",
                            r->name);
    if (o->simplify || (r->l.directed && !o->directed))
        return HERD_EUNSUPPORTED;
    return HERD_OK;
}

/* The pieces read so far; freed by drop() unless handed to a graph. */
struct pieces {
    uint64_t *ids, *off[2];
    uint32_t *deg;
    struct herd_csr rows[2];
};

static void drop(struct pieces *pc)
{
    free(pc->ids);
    free(pc->off[0]);
    free(pc->off[1]);
    free(pc->deg);
    herd_csr_free(&pc->rows[0]);
    herd_csr_free(&pc->rows[1]);
}

static uint32_t *degrees(const uint64_t *off, uint32_t n)
{
    uint32_t *d = malloc(n ? (size_t)n * sizeof *d : 1);
    for (uint32_t v = 0; d && v < n; v++)
        d[v] = (uint32_t)(off[v + 1] - off[v]);
    return d;
}

/* ids, both offset arrays as needed, the split, out-degrees. */
static int read_index(struct preader *r, const struct herd_graph_opts *o, int use[2],
                      struct pieces *pc, uint32_t *bounds, struct herd_err *e)
{
    int rc = HERD_OK, only_in = use[1] && !use[0];
    if (r->l.has_ids) {
        rc = read_array(r, r->n, 8, r->l.ids_at, "vertex ids", (void **)&pc->ids, e);
        if (rc == HERD_OK)
            rc = herd_binfmt__check_ids(r->name, pc->ids, r->n, e);
    }
    if (rc == HERD_OK) /* the out-offsets: rows, degrees, or the transpose */
        rc = read_offsets(r, 0, &pc->off[0], e);
    if (rc == HERD_OK && use[1])
        rc = r->l.has_in ? read_offsets(r, 1, &pc->off[1], e)
                         : count_in(r, pc->off[0], &pc->off[1], e);
    if (rc != HERD_OK)
        return rc;
    herd_partition_bounds(pc->off[herd_partition_by_out(o) ? 0 : 1], r->n, r->nparts, bounds);
    r->bounds = bounds;
    if (only_in && (pc->deg = degrees(pc->off[0], r->n)) == NULL) /* the pull path's */
        return herd_err_set(e, HERD_ENOMEM, "%s: out-degrees", r->name);
    return HERD_OK;
}

static struct herd_graph *assemble(const struct preader *r, const struct herd_graph_opts *o,
                                   struct pieces *pc)
{
    struct herd_graph *g = herd_xcalloc(1, sizeof *g);
    g->n = r->n;
    g->directed = o->directed;
    g->ids = pc->ids;
    g->id_base = r->l.id_base;
    g->out_deg = pc->deg;
    g->out_off = pc->rows[0].off;
    g->out_dst = pc->rows[0].adj;
    g->out_w = pc->rows[0].w;
    if (o->directed) {
        g->in_off = pc->rows[1].off;
        g->in_src = pc->rows[1].adj;
        g->in_w = pc->rows[1].w;
    } else {
        g->in_off = g->out_off;
        g->in_src = g->out_dst;
        g->in_w = g->out_w;
    }
    const uint64_t *off = g->out_off ? g->out_off : g->in_off;
    g->m = off[r->n];
    g->partial = 1;
    g->m_whole = r->l.m;
    free(pc->off[0]); /* whole offsets kept only for the degrees or a transpose */
    free(pc->off[1]);
    memset(pc, 0, sizeof *pc);
    return g;
}

int herd_binfmt_read_part(const char *path, const struct herd_graph_opts *opts, uint32_t nparts,
                          const uint8_t *owned, uint32_t *bounds, struct herd_graph **out,
                          struct herd_err *e)
{
    struct herd_graph_opts o = *opts;
    if (!o.need_out && !o.need_in)
        o.need_out = 1;
    if (nparts == 0)
        return herd_err_set(e, HERD_EINVAL, "%s: zero partitions", path);
    struct preader r = {.name = path, .nparts = nparts, .owned = owned};
    struct pieces pc = {0};
    int rc = open_file(&r, path, e);
    if (rc == HERD_OK)
        rc = check_opts(&r, &o, e);
    r.weights = o.weighted == HERD_GRAPH_WEIGHTS_AUTO ? r.l.weighted : o.weighted != 0;
    /* which row sets: out-rows (also for an undirected graph), in-rows */
    int use[2] = {o.need_out || !o.directed, o.directed && o.need_in};
    uint32_t *b = herd_xmalloc(((size_t)nparts + 1) * sizeof *b);
    if (rc == HERD_OK)
        rc = read_index(&r, &o, use, &pc, b, e);
    if (rc == HERD_OK && use[1]) { /* first: a transpose reads the whole out-offsets */
        rc = r.l.has_in ? load_rows(&r, 1, pc.off[1], &pc.rows[1], e)
                        : transpose_rows(&r, pc.off[0], pc.off[1], &pc.rows[1], e);
        pc.off[1] = NULL;
    }
    if (rc == HERD_OK && use[0]) {
        rc = load_rows(&r, 0, pc.off[0], &pc.rows[0], e);
        pc.off[0] = NULL;
    }
    if (r.fd >= 0)
        close(r.fd);
    if (rc != HERD_OK) {
        drop(&pc);
        free(b);
        return rc;
    }
    *out = assemble(&r, &o, &pc);
    memcpy(bounds, b, ((size_t)nparts + 1) * sizeof *b);
    free(b);
    return HERD_OK;
}
