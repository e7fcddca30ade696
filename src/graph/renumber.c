/* renumber — hash partitioning, the partition-major renumbering of a whole
 * graph and the k-way merge of part files (renumber.h). */
#include "graph/renumber.h"

#include "base/mem.h"
#include "graph/load.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *herd_partitioning_name(enum herd_partitioning p)
{
    switch (p) {
    case HERD_PARTITIONING_AUTO: return "auto";
    case HERD_PARTITIONING_RANGE: return "range";
    case HERD_PARTITIONING_HASH: return "hash";
    }
    return NULL;
}

int herd_partitioning_parse(const char *s, enum herd_partitioning *p)
{
    for (int k = HERD_PARTITIONING_AUTO; s && k <= HERD_PARTITIONING_HASH; k++)
        if (strcmp(s, herd_partitioning_name((enum herd_partitioning)k)) == 0) {
            *p = (enum herd_partitioning)k;
            return 0;
        }
    return -1;
}

enum herd_partitioning herd_partitioning_resolve(enum herd_partitioning p, int distributed,
                                                 const char *graph, int format)
{
    if (p != HERD_PARTITIONING_AUTO)
        return p;
    enum herd_graph_format f = format != HERD_FMT_AUTO ? (enum herd_graph_format)format
                                                       : herd_graph_format_by_name(graph);
    return distributed && f != HERD_FMT_BIN ? HERD_PARTITIONING_HASH : HERD_PARTITIONING_RANGE;
}

uint64_t herd_renumber_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* ---- renumbering ---- */

/* One row set of the graph being rebuilt: the new arrays, filled from the
 * old ones through perm. */
struct rows {
    uint64_t *off;
    uint32_t *adj;
    double *w;
};

struct arc {
    uint32_t v;
    double w;
};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* By neighbour, then by weight (parallel arcs of different weights get one
 * order whatever the input order was). */
static int cmp_arc(const void *a, const void *b)
{
    const struct arc *x = a, *y = b;
    if (x->v != y->v)
        return (x->v > y->v) - (x->v < y->v);
    return (x->w > y->w) - (x->w < y->w);
}

static int rows_alloc(struct rows *r, uint32_t n, uint64_t m, int weighted)
{
    r->off = malloc(((size_t)n + 1) * sizeof *r->off);
    r->adj = malloc((m ? m : 1) * sizeof *r->adj);
    r->w = weighted ? malloc((m ? m : 1) * sizeof *r->w) : NULL;
    return r->off && r->adj && (!weighted || r->w) ? 0 : -1;
}

static void rows_free(struct rows *r)
{
    free(r->off);
    free(r->adj);
    free(r->w);
}

/* Sorts one weighted row through a scratch array of arcs. */
static void sort_weighted(uint32_t *adj, double *w, uint64_t deg, struct arc **scr, size_t *cap)
{
    herd_xgrow((void **)scr, cap, deg, sizeof **scr);
    for (uint64_t i = 0; i < deg; i++)
        (*scr)[i] = (struct arc){adj[i], w[i]};
    qsort(*scr, deg, sizeof **scr, cmp_arc);
    for (uint64_t i = 0; i < deg; i++) {
        adj[i] = (*scr)[i].v;
        w[i] = (*scr)[i].w;
    }
}

/* Fills r (allocated for n vertices) with the rows off/adj/w under perm. */
static void rows_fill(struct rows *r, uint32_t n, const uint32_t *perm, const uint64_t *off,
                      const uint32_t *adj, const double *w)
{
    r->off[0] = 0;
    for (uint32_t v = 0; v < n; v++)
        r->off[perm[v] + 1] = off[v + 1] - off[v];
    for (uint32_t v = 0; v < n; v++)
        r->off[v + 1] += r->off[v];
    struct arc *scr = NULL;
    size_t cap = 0;
    for (uint32_t v = 0; v < n; v++) {
        uint64_t at = r->off[perm[v]], deg = off[v + 1] - off[v];
        for (uint64_t i = 0; i < deg; i++)
            r->adj[at + i] = perm[adj[off[v] + i]];
        if (w) {
            memcpy(r->w + at, w + off[v], deg * sizeof *w);
            sort_weighted(r->adj + at, r->w + at, deg, &scr, &cap);
        } else if (deg > 1) {
            qsort(r->adj + at, deg, sizeof *r->adj, cmp_u32);
        }
    }
    free(scr);
}

/* perm[v] = new dense id of v; bounds = partition starts. Dense ids ascend
 * in input-id order, so handing out slots in v order ranks each partition's
 * ids ascending. */
static void make_perm(const struct herd_graph *g, uint32_t nparts, uint32_t *bounds,
                      uint32_t *perm)
{
    uint32_t *next = herd_xcalloc((size_t)nparts + 1, sizeof *next);
    for (uint32_t v = 0; v < g->n; v++)
        next[herd_renumber_part_of(herd_graph_id(g, v), nparts) + 1]++;
    for (uint32_t p = 0; p < nparts; p++)
        next[p + 1] += next[p];
    memcpy(bounds, next, ((size_t)nparts + 1) * sizeof *bounds);
    for (uint32_t v = 0; v < g->n; v++)
        perm[v] = next[herd_renumber_part_of(herd_graph_id(g, v), nparts)]++;
    free(next);
}

struct plan {
    uint32_t *perm, *deg;
    uint64_t *ids;
    struct rows out, in;
};

static void plan_free(struct plan *pl)
{
    free(pl->perm);
    free(pl->deg);
    free(pl->ids);
    rows_free(&pl->out);
    rows_free(&pl->in);
}

/* Every new array, before anything of g changes. */
static int plan_alloc(const struct herd_graph *g, int own_in, struct plan *pl)
{
    size_t nn = g->n ? g->n : 1;
    memset(pl, 0, sizeof *pl);
    pl->perm = malloc(nn * sizeof *pl->perm);
    pl->ids = malloc(nn * sizeof *pl->ids);
    if (pl->perm == NULL || pl->ids == NULL)
        return -1;
    if (g->out_deg && (pl->deg = malloc(nn * sizeof *pl->deg)) == NULL)
        return -1;
    if (g->out_off && rows_alloc(&pl->out, g->n, g->out_off[g->n], g->out_w != NULL) != 0)
        return -1;
    if (own_in && rows_alloc(&pl->in, g->n, g->in_off[g->n], g->in_w != NULL) != 0)
        return -1;
    return 0;
}

static void swap_rows(uint64_t **off, uint32_t **adj, double **w, struct rows *r)
{
    free(*off);
    free(*adj);
    free(*w);
    *off = r->off;
    *adj = r->adj;
    *w = r->w;
    memset(r, 0, sizeof *r);
}

int herd_renumber_hash(struct herd_graph *g, uint32_t nparts, uint32_t *bounds,
                       struct herd_err *e)
{
    if (g->partial)
        return herd_err_set(e, HERD_EINVAL, "hash partitioning needs the whole graph");
    int aliased = g->in_off != NULL && g->in_off == g->out_off;
    int own_in = g->in_off != NULL && !aliased;
    struct plan pl;
    if (plan_alloc(g, own_in, &pl) != 0) {
        plan_free(&pl);
        return herd_err_set(e, HERD_ENOMEM, "renumbering %u vertices", g->n);
    }
    make_perm(g, nparts, bounds, pl.perm);
    for (uint32_t v = 0; v < g->n; v++)
        pl.ids[pl.perm[v]] = herd_graph_id(g, v);
    for (uint32_t v = 0; pl.deg && v < g->n; v++)
        pl.deg[pl.perm[v]] = g->out_deg[v];
    if (g->out_off) {
        rows_fill(&pl.out, g->n, pl.perm, g->out_off, g->out_dst, g->out_w);
        swap_rows(&g->out_off, &g->out_dst, &g->out_w, &pl.out);
    }
    if (own_in) {
        rows_fill(&pl.in, g->n, pl.perm, g->in_off, g->in_src, g->in_w);
        swap_rows(&g->in_off, &g->in_src, &g->in_w, &pl.in);
    } else if (aliased) {
        g->in_off = g->out_off;
        g->in_src = g->out_dst;
        g->in_w = g->out_w;
    }
    free(g->ids);
    g->ids = pl.ids;
    pl.ids = NULL;
    if (pl.deg) {
        free(g->out_deg);
        g->out_deg = pl.deg;
        pl.deg = NULL;
    }
    plan_free(&pl);
    return HERD_OK;
}

int herd_renumber_lookup(const struct herd_graph *g, uint32_t nparts, const uint32_t *bounds,
                         uint64_t x, uint32_t *v)
{
    uint32_t p = herd_renumber_part_of(x, nparts);
    uint32_t lo = bounds[p], hi = bounds[p + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint64_t y = herd_graph_id(g, mid);
        if (y == x) {
            *v = mid;
            return HERD_OK;
        }
        if (y < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return HERD_ENOTFOUND;
}

/* ---- k-way merge ---- */

struct src {
    FILE *f;
    const char *name;
    char *line;
    size_t cap;
    ssize_t len;     /* < 0: exhausted */
    uint64_t id, lineno;
};

/* Reads the next line of s and its leading id. */
static int advance(struct src *s, struct herd_err *e)
{
    uint64_t prev = s->id;
    int had = s->lineno > 0;
    errno = 0;
    s->len = getline(&s->line, &s->cap, s->f);
    if (s->len < 0)
        return ferror(s->f) ? herd_err_set(e, errno == ENOMEM ? HERD_ENOMEM : HERD_EIO,
                                           "%s: read failed", s->name)
                            : HERD_OK;
    s->lineno++;
    uint64_t id = 0;
    ssize_t i = 0;
    for (; i < s->len && s->line[i] >= '0' && s->line[i] <= '9' && i < 20; i++)
        id = id * 10 + (uint64_t)(s->line[i] - '0');
    if (i == 0 || (i < s->len && s->line[i] != ' ' && s->line[i] != '\t' && s->line[i] != '\n'))
        return herd_err_set(e, HERD_EPARSE, "%s:%" PRIu64 ": no leading vertex id", s->name,
                            s->lineno);
    if (had && id < prev)
        return herd_err_set(e, HERD_EPARSE, "%s:%" PRIu64 ": ids not ascending", s->name,
                            s->lineno);
    s->id = id;
    return HERD_OK;
}

static int before(const struct src *s, uint32_t a, uint32_t b)
{
    return s[a].id < s[b].id || (s[a].id == s[b].id && a < b);
}

/* Restores the heap property below slot i (min-heap of source indices). */
static void sift_down(uint32_t *heap, uint32_t n, uint32_t i, const struct src *s)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(s, heap[l], heap[m]))
            m = l;
        if (r < n && before(s, heap[r], heap[m]))
            m = r;
        if (m == i)
            return;
        uint32_t t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
}

static int emit(const struct src *s, FILE *out, struct herd_err *e)
{
    size_t n = (size_t)s->len;
    if (fwrite(s->line, 1, n, out) != n || (s->line[n - 1] != '\n' && fputc('\n', out) == EOF))
        return herd_err_set(e, HERD_EIO, "write merged result: %s", strerror(errno));
    return HERD_OK;
}

int herd_renumber_merge(FILE **in, const char *const *names, uint32_t k, FILE *out,
                        struct herd_err *e)
{
    struct src *s = calloc(k ? k : 1, sizeof *s);
    uint32_t *heap = malloc((k ? k : 1) * sizeof *heap), n = 0;
    int rc = s && heap ? HERD_OK : herd_err_set(e, HERD_ENOMEM, "merging %u parts", k);
    for (uint32_t i = 0; rc == HERD_OK && i < k; i++) {
        s[i] = (struct src){.f = in[i], .name = names ? names[i] : "part"};
        rc = advance(&s[i], e);
        if (rc == HERD_OK && s[i].len >= 0)
            heap[n++] = i;
    }
    for (uint32_t i = n; rc == HERD_OK && i-- > 0;)
        sift_down(heap, n, i, s);
    while (rc == HERD_OK && n > 0) {
        struct src *top = &s[heap[0]];
        rc = emit(top, out, e);
        rc = rc ? rc : advance(top, e);
        if (rc == HERD_OK && top->len < 0)
            heap[0] = heap[--n];
        sift_down(heap, n, 0, s);
    }
    for (uint32_t i = 0; s && i < k; i++)
        free(s[i].line);
    free(s);
    free(heap);
    return rc;
}

/* ---- merging any number of inputs ---- */

/* Merges inputs [lo, hi) of src (hi - lo <= FANIN) into out. */
static int merge_group(const struct herd_merge_src *src, uint32_t lo, uint32_t hi, FILE *out,
                       struct herd_err *e)
{
    FILE *in[HERD_RENUMBER_FANIN];
    uint32_t n = 0;
    int rc = HERD_OK;
    for (uint32_t i = lo; i < hi && rc == HERD_OK; i++)
        if ((rc = src->open(src->arg, i, &in[n], e)) == HERD_OK)
            n++;
    if (rc == HERD_OK)
        rc = herd_renumber_merge(in, NULL, n, out, e);
    for (uint32_t i = 0; i < n; i++)
        src->done(src->arg, lo + i, in[i]);
    return rc;
}

static int tmp_open(void *arg, uint32_t i, FILE **f, struct herd_err *e)
{
    FILE **tmp = arg;
    if (fseek(tmp[i], 0, SEEK_SET) != 0)
        return herd_err_set(e, HERD_EIO, "temporary file: %s", strerror(errno));
    *f = tmp[i];
    return HERD_OK;
}

static void tmp_done(void *arg, uint32_t i, FILE *f)
{
    FILE **tmp = arg;
    fclose(f);
    tmp[i] = NULL;
}

int herd_renumber_merge_many(const struct herd_merge_src *src, uint32_t k, FILE *out,
                             struct herd_err *e)
{
    if (k <= HERD_RENUMBER_FANIN)
        return merge_group(src, 0, k, out, e);
    uint32_t ng = (k + HERD_RENUMBER_FANIN - 1) / HERD_RENUMBER_FANIN;
    FILE **tmp = calloc(ng, sizeof *tmp);
    int rc = tmp ? HERD_OK : herd_err_set(e, HERD_ENOMEM, "merging %u parts", k);
    for (uint32_t g = 0; rc == HERD_OK && g < ng; g++) {
        uint32_t lo = g * HERD_RENUMBER_FANIN;
        uint32_t hi = lo + HERD_RENUMBER_FANIN < k ? lo + HERD_RENUMBER_FANIN : k;
        tmp[g] = tmpfile();
        rc = tmp[g] ? merge_group(src, lo, hi, tmp[g], e)
                    : herd_err_set(e, HERD_EIO, "temporary file: %s", strerror(errno));
        if (rc == HERD_OK && fflush(tmp[g]) != 0)
            rc = herd_err_set(e, HERD_EIO, "temporary file: %s", strerror(errno));
    }
    struct herd_merge_src t = {tmp_open, tmp_done, tmp};
    if (rc == HERD_OK)
        rc = herd_renumber_merge_many(&t, ng, out, e);
    for (uint32_t g = 0; tmp && g < ng; g++)
        if (tmp[g])
            fclose(tmp[g]);
    free(tmp);
    return rc;
}
