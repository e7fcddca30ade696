/* The line parsers behind both the whole-file loaders (load_text.h) and the
 * byte-range scanner (load_text_scan.h, load_range.c): one per-line and
 * per-chunk code path, so both accept and refuse exactly the same text.
 * A chunk of whole lines is cut into pieces parsed by one thread each; the
 * pieces are then folded in file order — kept in an edge list (whole file)
 * or passed to the caller's callbacks (range). */
#include "graph/load_text_int.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_PARALLEL (1u << 20) /* smaller chunks are parsed on one thread */

__attribute__((format(printf, 2, 3))) static int fail(struct herd_text_piece *pc, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pc->msg, sizeof pc->msg, fmt, ap);
    va_end(ap);
    pc->err = HERD_EPARSE;
    return -1;
}

/* A printable excerpt of a token, for messages (cap >= 16). */
static const char *show(const char *p, const char *le, char *buf, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (; p < le && *p != ' ' && *p != '\t' && k + 8 < cap; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x20 && ch < 0x7f && ch != '\'') {
            buf[k++] = (char)ch;
        } else {
            buf[k++] = '\\';
            buf[k++] = 'x';
            buf[k++] = hex[ch >> 4];
            buf[k++] = hex[ch & 15];
        }
    }
    if (p < le && *p != ' ' && *p != '\t') {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

static int parse_u64(struct herd_text_piece *pc, const char **pp, const char *le, const char *what,
                     uint64_t *out)
{
    const char *p = *pp;
    char tok[64];
    if (p < le && *p == '-')
        return fail(pc, "negative %s '%s'", what, show(p, le, tok, sizeof tok));
    if (p >= le || *p < '0' || *p > '9')
        return fail(pc, "expected %s, found '%s'", what, show(p, le, tok, sizeof tok));
    uint64_t v = 0;
    for (; p < le && *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return fail(pc, "%s '%s' is larger than 2^64-1", what, show(*pp, le, tok, sizeof tok));
        v = v * 10 + d;
    }
    if (p < le && !herd_text_is_ws(*p))
        return fail(pc, "malformed %s '%s'", what, show(*pp, le, tok, sizeof tok));
    *pp = p;
    *out = v;
    return 0;
}

static int parse_weight(struct herd_text_piece *pc, const char **pp, const char *le, double *out)
{
    const char *p = *pp, *q = p;
    char tok[64];
    uint64_t v = 0;
    while (q < le && *q >= '0' && *q <= '9' && q - p < 15)
        v = v * 10 + (uint64_t)(*q++ - '0');
    if (q > p && (q == le || herd_text_is_ws(*q))) {
        *out = (double)v; /* plain integer: exact */
        *pp = q;
        return 0;
    }
    char *stop;
    double w = strtod(p, &stop);
    if (stop == p || (stop < le && !herd_text_is_ws(*stop)) || stop > le)
        return fail(pc, "weight '%s' is not a number", show(p, le, tok, sizeof tok));
    if (isnan(w))
        return fail(pc, "weight '%s' is NaN", show(p, le, tok, sizeof tok));
    if (!isfinite(w))
        return fail(pc, "weight '%s' is not finite", show(p, le, tok, sizeof tok));
    if (w < 0)
        return fail(pc, "negative weight '%s'", show(p, le, tok, sizeof tok));
    *out = w;
    *pp = stop;
    return 0;
}

/* Switches a block from 32-bit to 64-bit endpoints. */
static int widen(struct herd_text_piece *pc)
{
    struct herd_eblock *b = &pc->b;
    uint64_t *s = malloc(pc->cap * sizeof *s), *d = malloc(pc->cap * sizeof *d);
    if (s == NULL || d == NULL) {
        free(s);
        free(d);
        pc->err = HERD_ENOMEM;
        snprintf(pc->msg, sizeof pc->msg, "out of memory widening an edge block");
        return -1;
    }
    for (uint64_t i = 0; i < b->n; i++) {
        s[i] = b->s32[i];
        d[i] = b->d32[i];
    }
    free(b->s32);
    free(b->d32);
    b->s32 = b->d32 = NULL;
    b->s64 = s;
    b->d64 = d;
    return 0;
}

/* Checks both endpoints against the vertex file: the whole-file loader's
 * map (then they become dense ids) or a range scan caller's `listed`. */
static int check_ids(struct herd_text_piece *pc, uint64_t *s, uint64_t *d)
{
    const struct herd_text_cfg *c = pc->c;
    uint64_t id[2] = {*s, *d};
    uint32_t dense[2];
    for (int i = 0; i < 2; i++) {
        int ok =
            c->vmap ? herd_idmap_find(c->vmap, id[i], &dense[i]) : c->listed(c->listed_arg, id[i]);
        if (!ok)
            return fail(pc, "vertex %llu is not listed in %s", (unsigned long long)id[i],
                        c->vmap        ? c->vname
                        : c->listed_in ? c->listed_in
                                       : "the vertex file");
    }
    if (c->vmap) {
        *s = dense[0];
        *d = dense[1];
    }
    return 0;
}

static int store(struct herd_text_piece *pc, uint64_t s, uint64_t d, double w, int has_w)
{
    struct herd_eblock *b = &pc->b;
    if (pc->c->check_ids) {
        if (check_ids(pc, &s, &d))
            return -1;
    } else if ((s > UINT32_MAX || d > UINT32_MAX) && b->s32 && widen(pc) != 0) {
        return -1;
    }
    if (b->s32) {
        b->s32[b->n] = (uint32_t)s;
        b->d32[b->n] = (uint32_t)d;
    } else {
        b->s64[b->n] = s;
        b->d64[b->n] = d;
    }
    if (has_w && b->w)
        b->w[b->n] = w;
    b->n++;
    return 0;
}

/* Records the column count of a data line; every line must match the first. */
static int columns(struct herd_text_piece *pc, int cols)
{
    if (pc->ncols == 0) {
        pc->ncols = cols;
        pc->first_line = pc->lines;
        return 0;
    }
    if (cols != pc->ncols)
        return fail(pc, "%d columns, but earlier lines have %d", cols, pc->ncols);
    return 0;
}

static int edge_line(struct herd_text_piece *pc, const char *p, const char *le)
{
    uint64_t s, d;
    double w = 1.0;
    char tok[64];
    int cols = 2;
    if (parse_u64(pc, &p, le, "source vertex id", &s))
        return -1;
    p = herd_text_skip_ws(p, le);
    if (p == le)
        return fail(pc, "missing target vertex id (expected 'src dst [weight]')");
    if (parse_u64(pc, &p, le, "target vertex id", &d))
        return -1;
    p = herd_text_skip_ws(p, le);
    if (p < le) {
        if (parse_weight(pc, &p, le, &w))
            return -1;
        cols = 3;
        p = herd_text_skip_ws(p, le);
        if (p < le)
            return fail(pc, "extra column '%s' (expected 'src dst [weight]')",
                        show(p, le, tok, sizeof tok));
    }
    if (columns(pc, cols))
        return -1;
    return store(pc, s, d, w, cols == 3);
}

static int vertex_line(struct herd_text_piece *pc, const char *p, const char *le)
{
    uint64_t id;
    if (parse_u64(pc, &p, le, "vertex id", &id))
        return -1;
    pc->v[pc->nv++] = id; /* further columns (vertex data) are ignored */
    return 0;
}

static int dimacs_id(struct herd_text_piece *pc, const char **p, const char *le, const char *what,
                     uint64_t *dense)
{
    uint64_t id;
    *p = herd_text_skip_ws(*p, le);
    if (*p == le)
        return fail(pc, "missing %s", what);
    if (parse_u64(pc, p, le, what, &id))
        return -1;
    if (id < 1 || id > pc->c->dim_n)
        return fail(pc, "%s %llu is out of range 1..%llu", what, (unsigned long long)id,
                    (unsigned long long)pc->c->dim_n);
    *dense = pc->c->raw ? id : id - 1;
    return 0;
}

static int dimacs_line(struct herd_text_piece *pc, const char *p, const char *le)
{
    static const char tag[] = {[HERD_DIM_SP] = 'a', [HERD_DIM_TW] = 0, [HERD_DIM_EDGE] = 'e'};
    enum herd_text_dim dim = pc->c->dim;
    uint64_t u, v;
    double w = 1.0;
    char tok[64];
    if (*p == 'c')
        return 0;
    if (*p == 'p')
        return fail(pc, "a second 'p' line");
    if (tag[dim] && (*p != tag[dim] || p + 1 == le || !herd_text_is_ws(p[1])))
        return fail(pc, "expected an '%c' line, found '%s'", tag[dim],
                    show(p, le, tok, sizeof tok));
    if (tag[dim])
        p++;
    if (dimacs_id(pc, &p, le, "source vertex", &u) || dimacs_id(pc, &p, le, "target vertex", &v))
        return -1;
    p = herd_text_skip_ws(p, le);
    if (dim == HERD_DIM_SP) {
        if (p == le)
            return fail(pc, "missing arc weight");
        if (parse_weight(pc, &p, le, &w))
            return -1;
        p = herd_text_skip_ws(p, le);
    }
    if (p < le)
        return fail(pc, "extra column '%s'", show(p, le, tok, sizeof tok));
    return store(pc, u, v, w, dim == HERD_DIM_SP);
}

static int handle_line(struct herd_text_piece *pc, const char *p, const char *le)
{
    p = herd_text_skip_ws(p, le);
    if (p == le)
        return 0;
    if (pc->c->kind != HERD_TEXT_DIMACS && (*p == '#' || *p == '%')) {
        if (memchr(p, '\0', (size_t)(le - p)))
            return fail(pc, "NUL byte in a comment line");
        return 0;
    }
    int rc;
    if (pc->c->kind == HERD_TEXT_EDGES)
        rc = edge_line(pc, p, le);
    else if (pc->c->kind == HERD_TEXT_VERTICES)
        rc = vertex_line(pc, p, le);
    else
        rc = dimacs_line(pc, p, le);
    if (rc != 0 && pc->err == HERD_EPARSE && memchr(p, '\0', (size_t)(le - p)))
        snprintf(pc->msg, sizeof pc->msg, "NUL byte in line");
    return rc;
}

static void *piece_run(void *arg)
{
    struct herd_text_piece *pc = arg;
    const char *p = pc->p;
    while (p < pc->end) {
        const char *nl = memchr(p, '\n', (size_t)(pc->end - p));
        const char *le = nl ? nl : pc->end;
        pc->lines++;
        const char *stop = le > p && le[-1] == '\r' ? le - 1 : le;
        if (handle_line(pc, p, stop) != 0) {
            pc->err_line = pc->lines;
            return NULL;
        }
        p = le + 1;
    }
    return NULL;
}

/* One line through piece_run() (which alone calls handle_line(), so that it
 * stays inlined in the hot loop). */
int herd_text_line(struct herd_text_piece *pc, const char *p, const char *le)
{
    pc->p = p;
    pc->end = le;
    piece_run(pc);
    return pc->err == HERD_OK ? 0 : -1;
}

/* ---- pieces -------------------------------------------------------------- */

static void piece_free(struct herd_text_piece *pc)
{
    herd_eblock_free(&pc->b);
    free(pc->v);
    pc->v = NULL;
}

void herd_text_keep_free(struct herd_text_keep *k)
{
    herd_eblock_free(&k->b);
    free(k->v);
    memset(k, 0, sizeof *k);
}

/* Allocates the arrays a piece lacks, pc->cap entries each. */
static int piece_alloc(struct herd_text_piece *pc)
{
    const struct herd_text_cfg *c = pc->c;
    struct herd_eblock *b = &pc->b;
    size_t cap = pc->cap;
    if (c->kind == HERD_TEXT_VERTICES) {
        pc->v = pc->v ? pc->v : malloc(cap * sizeof *pc->v);
        return pc->v ? 0 : -1;
    }
    if (c->raw) {
        b->s64 = b->s64 ? b->s64 : malloc(cap * sizeof *b->s64);
        b->d64 = b->d64 ? b->d64 : malloc(cap * sizeof *b->d64);
    } else {
        b->s32 = malloc(cap * sizeof *b->s32);
        b->d32 = malloc(cap * sizeof *b->d32);
    }
    int want_w = c->weights && (c->kind == HERD_TEXT_EDGES || c->dim == HERD_DIM_SP ||
                                (c->raw && c->weights == 1));
    if (want_w && b->w == NULL)
        b->w = malloc(cap * sizeof *b->w);
    int ids = c->raw ? b->s64 && b->d64 : b->s32 && b->d32;
    return ids && (!want_w || b->w) ? 0 : -1;
}

/* Sets a piece up over [p, end), taking `keep`'s buffers when they are
 * large enough (range scans; NULL for the whole-file loaders). */
static int piece_init(struct herd_text_piece *pc, const struct herd_text_cfg *c, const char *p,
                      const char *end, struct herd_text_keep *keep)
{
    size_t bytes = (size_t)(end - p);
    memset(pc, 0, sizeof *pc);
    pc->c = c;
    pc->p = p;
    pc->end = end;
    pc->cap = c->kind == HERD_TEXT_VERTICES ? bytes / 2 + 1 : bytes / 4 + 1;
    if (keep && keep->cap >= pc->cap) {
        pc->b = keep->b;
        pc->b.n = 0;
        pc->v = keep->v;
        pc->cap = keep->cap;
        memset(keep, 0, sizeof *keep);
    } else if (keep) {
        herd_text_keep_free(keep);
    }
    return piece_alloc(pc);
}

/* Range scans: keeps a delivered piece's buffers for the next chunk. */
static void piece_keep(struct herd_text_piece *pc, struct herd_text_keep *keep)
{
    keep->b = pc->b;
    keep->v = pc->v;
    keep->cap = pc->cap;
    memset(&pc->b, 0, sizeof pc->b);
    pc->v = NULL;
}

static void *shrink(void *p, size_t bytes)
{
    void *q = realloc(p, bytes ? bytes : 1);
    return q ? q : p;
}

/* Whether a parsed piece's lines carry weights. */
static int piece_has_w(const struct herd_text_piece *pc)
{
    return pc->c->kind == HERD_TEXT_DIMACS ? pc->c->dim == HERD_DIM_SP : pc->ncols == 3;
}

/* Trims a parsed piece's block to its size and hands it to the list. */
static void piece_give_edges(struct herd_text_piece *pc, struct herd_elist *el)
{
    struct herd_eblock *b = &pc->b;
    if (!piece_has_w(pc)) {
        free(b->w);
        b->w = NULL;
    }
    if (b->n > 0) {
        size_t k = b->s32 ? sizeof *b->s32 : sizeof *b->s64;
        if (b->s32) {
            b->s32 = shrink(b->s32, b->n * k);
            b->d32 = shrink(b->d32, b->n * k);
        } else {
            b->s64 = shrink(b->s64, b->n * k);
            b->d64 = shrink(b->d64, b->n * k);
        }
        if (b->w)
            b->w = shrink(b->w, b->n * sizeof *b->w);
    }
    herd_elist_add(el, b); /* frees an empty block */
    memset(b, 0, sizeof *b);
}

static int piece_give_vertices(struct herd_text_piece *pc, struct herd_text_drive *dv,
                               struct herd_err *e)
{
    if (dv->nv + pc->nv > dv->vcap) {
        uint64_t cap = dv->vcap ? dv->vcap : 1024;
        while (cap < dv->nv + pc->nv)
            cap *= 2;
        uint64_t *v = realloc(dv->v, cap * sizeof *v);
        if (v == NULL)
            return herd_err_set(e, HERD_ENOMEM, "%s: vertex list of %llu ids", dv->c->name,
                                (unsigned long long)cap);
        dv->v = v;
        dv->vcap = cap;
    }
    if (pc->nv > 0)
        memcpy(dv->v + dv->nv, pc->v, pc->nv * sizeof *pc->v);
    dv->nv += pc->nv;
    free(pc->v);
    pc->v = NULL;
    return HERD_OK;
}

/* Range scan: passes a parsed piece to the caller's callbacks. */
static int piece_deliver(struct herd_text_piece *pc, struct herd_text_drive *dv, struct herd_err *e)
{
    const struct herd_scan_cb *cb = dv->cb;
    struct herd_eblock *b = &pc->b;
    if (dv->c->kind == HERD_TEXT_VERTICES)
        return pc->nv > 0 && cb->vertices ? cb->vertices(dv->cb_arg, pc->v, pc->nv, e) : HERD_OK;
    if (b->n == 0 || cb->edges == NULL)
        return HERD_OK;
    const double *w = piece_has_w(pc) ? b->w : NULL;
    if (w == NULL && dv->c->weights == 1) { /* kept weights, none written: 1.0 */
        for (uint64_t i = 0; i < b->n; i++)
            b->w[i] = 1.0;
        w = b->w;
    }
    return cb->edges(dv->cb_arg, b->s64, b->d64, w, b->n, e);
}

static int column_mismatch(struct herd_text_drive *dv, struct herd_text_piece *pc,
                           struct herd_err *e)
{
    return herd_err_set(e, HERD_EPARSE, "%s:%llu: %d columns, but earlier lines have %d",
                        dv->c->name,
                        (unsigned long long)herd_text_lineno(dv, dv->line_base + pc->first_line),
                        pc->ncols, dv->ncols);
}

/* Folds one parsed piece into the result, in file order. */
static int merge(struct herd_text_drive *dv, struct herd_text_piece *pc, struct herd_err *e)
{
    const char *name = dv->c->name;
    int mismatch = dv->ncols && pc->ncols && pc->ncols != dv->ncols;
    if (pc->err == HERD_ENOMEM)
        return herd_err_set(e, HERD_ENOMEM, "%s: %s", name, pc->msg);
    if (mismatch && (!pc->err || pc->first_line < pc->err_line))
        return column_mismatch(dv, pc, e);
    if (pc->err)
        return herd_err_set(e, pc->err, "%s:%llu: %s", name,
                            (unsigned long long)herd_text_lineno(dv, dv->line_base + pc->err_line),
                            pc->msg);
    if (!dv->ncols)
        dv->ncols = pc->ncols;
    dv->line_base += pc->lines;
    if (dv->cb)
        return piece_deliver(pc, dv, e);
    if (dv->c->kind == HERD_TEXT_VERTICES)
        return piece_give_vertices(pc, dv, e);
    piece_give_edges(pc, dv->el);
    return HERD_OK;
}

static int run_pieces(struct herd_text_piece *pcs, int k)
{
    pthread_t tid[HERD_TEXT_MAX_THREADS];
    int started[HERD_TEXT_MAX_THREADS] = {0};
    for (int i = 1; i < k; i++)
        started[i] = pthread_create(&tid[i], NULL, piece_run, &pcs[i]) == 0;
    piece_run(&pcs[0]);
    for (int i = 1; i < k; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            piece_run(&pcs[i]);
    }
    return 0;
}

int herd_text_run_chunk(struct herd_text_drive *dv, const char *p, const char *end,
                        struct herd_err *e)
{
    size_t len = (size_t)(end - p);
    int k = len < MIN_PARALLEL ? 1 : dv->nthreads, rc = HERD_OK, i;
    struct herd_text_piece pcs[HERD_TEXT_MAX_THREADS];
    const char *at = p;
    for (i = 0; i < k; i++) {
        const char *to = i == k - 1 ? end : p + len / (size_t)k * (size_t)(i + 1);
        if (to < at)
            to = at;
        const char *nl = to < end ? memchr(to, '\n', (size_t)(end - to)) : NULL;
        to = i == k - 1 || nl == NULL ? end : nl + 1;
        if (piece_init(&pcs[i], dv->c, at, to, dv->keep ? &dv->keep[i] : NULL) != 0) {
            piece_free(&pcs[i]);
            rc =
                herd_err_set(e, HERD_ENOMEM, "%s: buffers for %zu bytes of text", dv->c->name, len);
            break;
        }
        at = to;
    }
    if (rc == HERD_OK)
        run_pieces(pcs, k);
    for (int j = 0; j < i; j++) {
        if (rc == HERD_OK)
            rc = merge(dv, &pcs[j], e);
        if (dv->keep)
            piece_keep(&pcs[j], &dv->keep[j]);
        piece_free(&pcs[j]);
    }
    return rc;
}

/* ---- DIMACS 'p' line ----------------------------------------------------- */

int herd_text_p_line(struct herd_text_piece *tmp, const char *q, const char *le,
                     struct herd_text_phead *h)
{
    char tok[64];
    if (*q != 'p' || q + 1 == le || !herd_text_is_ws(q[1]))
        return fail(tmp, "expected the 'p' line first, found '%s'", show(q, le, tok, sizeof tok));
    q = herd_text_skip_ws(q + 1, le);
    size_t kl = 0;
    while (q + kl < le && !herd_text_is_ws(q[kl]))
        kl++;
    if (kl == 2 && memcmp(q, "sp", 2) == 0)
        h->dim = HERD_DIM_SP;
    else if (kl == 2 && memcmp(q, "tw", 2) == 0)
        h->dim = HERD_DIM_TW;
    else if (kl == 4 && memcmp(q, "edge", 4) == 0)
        h->dim = HERD_DIM_EDGE;
    else
        return fail(tmp, "unknown problem '%s' (expected sp, tw or edge)",
                    show(q, le, tok, sizeof tok));
    q = herd_text_skip_ws(q + kl, le);
    if (parse_u64(tmp, &q, le, "vertex count", &h->n))
        return -1;
    q = herd_text_skip_ws(q, le);
    if (parse_u64(tmp, &q, le, "arc count", &h->m))
        return -1;
    if (herd_text_skip_ws(q, le) != le)
        return fail(tmp, "extra column '%s'", show(herd_text_skip_ws(q, le), le, tok, sizeof tok));
    if (h->n > UINT32_MAX)
        return fail(tmp, "vertex count %llu is more than 2^32-1", (unsigned long long)h->n);
    return 0;
}

/* Takes a parsed 'p' line as the drive's header. */
