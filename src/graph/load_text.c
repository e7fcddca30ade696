#include "graph/load_text.h"
#include "base/mem.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (32u << 20)      /* text read per round */
#define MIN_PARALLEL (1u << 20) /* smaller chunks are parsed on one thread */
#define MAX_THREADS 64

enum kind { K_EDGES, K_VERTS, K_DIMACS };
enum dim { D_SP, D_TW, D_EDGE };

struct ctx {
    const struct herd_text_src *src;
    enum kind kind;
    const struct herd_idmap *vmap;
    const char *vname;
    enum dim dim;
    uint64_t dim_n;
};

/* One piece of a chunk, parsed by one thread. */
struct piece {
    const struct ctx *c;
    const char *p, *end;
    uint64_t lines;       /* lines seen so far in this piece */
    uint64_t cap;         /* capacity of the block arrays */
    struct herd_eblock b; /* edges */
    uint64_t *v;          /* vertex ids (K_VERTS) */
    uint64_t nv;
    int ncols;            /* columns of the first data line; 0 before it */
    uint64_t first_line;  /* its line within the piece */
    int err;              /* HERD_OK or the error */
    uint64_t err_line;
    char msg[200];
};

__attribute__((format(printf, 2, 3))) static int fail(struct piece *pc, const char *fmt, ...)
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

static inline int is_ws(char ch)
{
    return ch == ' ' || ch == '\t';
}

static inline const char *skip_ws(const char *p, const char *le)
{
    while (p < le && is_ws(*p))
        p++;
    return p;
}

static int parse_u64(struct piece *pc, const char **pp, const char *le, const char *what,
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
    if (p < le && !is_ws(*p))
        return fail(pc, "malformed %s '%s'", what, show(*pp, le, tok, sizeof tok));
    *pp = p;
    *out = v;
    return 0;
}

static int parse_weight(struct piece *pc, const char **pp, const char *le, double *out)
{
    const char *p = *pp, *q = p;
    char tok[64];
    uint64_t v = 0;
    while (q < le && *q >= '0' && *q <= '9' && q - p < 15)
        v = v * 10 + (uint64_t)(*q++ - '0');
    if (q > p && (q == le || is_ws(*q))) {
        *out = (double)v; /* plain integer: exact */
        *pp = q;
        return 0;
    }
    char *stop;
    double w = strtod(p, &stop);
    if (stop == p || (stop < le && !is_ws(*stop)) || stop > le)
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
static int widen(struct piece *pc)
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

static int store(struct piece *pc, uint64_t s, uint64_t d, double w, int has_w)
{
    struct herd_eblock *b = &pc->b;
    if (pc->c->vmap) {
        uint32_t ds, dd;
        if (!herd_idmap_find(pc->c->vmap, s, &ds))
            return fail(pc, "vertex %llu is not listed in %s", (unsigned long long)s,
                        pc->c->vname);
        if (!herd_idmap_find(pc->c->vmap, d, &dd))
            return fail(pc, "vertex %llu is not listed in %s", (unsigned long long)d,
                        pc->c->vname);
        s = ds;
        d = dd;
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
static int columns(struct piece *pc, int cols)
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

static int edge_line(struct piece *pc, const char *p, const char *le)
{
    uint64_t s, d;
    double w = 1.0;
    char tok[64];
    int cols = 2;
    if (parse_u64(pc, &p, le, "source vertex id", &s))
        return -1;
    p = skip_ws(p, le);
    if (p == le)
        return fail(pc, "missing target vertex id (expected 'src dst [weight]')");
    if (parse_u64(pc, &p, le, "target vertex id", &d))
        return -1;
    p = skip_ws(p, le);
    if (p < le) {
        if (parse_weight(pc, &p, le, &w))
            return -1;
        cols = 3;
        p = skip_ws(p, le);
        if (p < le)
            return fail(pc, "extra column '%s' (expected 'src dst [weight]')",
                        show(p, le, tok, sizeof tok));
    }
    if (columns(pc, cols))
        return -1;
    return store(pc, s, d, w, cols == 3);
}

static int vertex_line(struct piece *pc, const char *p, const char *le)
{
    uint64_t id;
    if (parse_u64(pc, &p, le, "vertex id", &id))
        return -1;
    pc->v[pc->nv++] = id; /* further columns (vertex data) are ignored */
    return 0;
}

static int dimacs_id(struct piece *pc, const char **p, const char *le, const char *what,
                     uint64_t *dense)
{
    uint64_t id;
    *p = skip_ws(*p, le);
    if (*p == le)
        return fail(pc, "missing %s", what);
    if (parse_u64(pc, p, le, what, &id))
        return -1;
    if (id < 1 || id > pc->c->dim_n)
        return fail(pc, "%s %llu is out of range 1..%llu", what, (unsigned long long)id,
                    (unsigned long long)pc->c->dim_n);
    *dense = id - 1;
    return 0;
}

static int dimacs_line(struct piece *pc, const char *p, const char *le)
{
    static const char tag[] = {[D_SP] = 'a', [D_TW] = 0, [D_EDGE] = 'e'};
    enum dim dim = pc->c->dim;
    uint64_t u, v;
    double w = 1.0;
    char tok[64];
    if (*p == 'c')
        return 0;
    if (*p == 'p')
        return fail(pc, "a second 'p' line");
    if (tag[dim] && (*p != tag[dim] || p + 1 == le || !is_ws(p[1])))
        return fail(pc, "expected an '%c' line, found '%s'", tag[dim], show(p, le, tok, sizeof tok));
    if (tag[dim])
        p++;
    if (dimacs_id(pc, &p, le, "source vertex", &u) || dimacs_id(pc, &p, le, "target vertex", &v))
        return -1;
    p = skip_ws(p, le);
    if (dim == D_SP) {
        if (p == le)
            return fail(pc, "missing arc weight");
        if (parse_weight(pc, &p, le, &w))
            return -1;
        p = skip_ws(p, le);
    }
    if (p < le)
        return fail(pc, "extra column '%s'", show(p, le, tok, sizeof tok));
    return store(pc, u, v, w, dim == D_SP);
}

static int handle_line(struct piece *pc, const char *p, const char *le)
{
    p = skip_ws(p, le);
    if (p == le)
        return 0;
    if (pc->c->kind != K_DIMACS && (*p == '#' || *p == '%')) {
        if (memchr(p, '\0', (size_t)(le - p)))
            return fail(pc, "NUL byte in a comment line");
        return 0;
    }
    int rc;
    if (pc->c->kind == K_EDGES)
        rc = edge_line(pc, p, le);
    else if (pc->c->kind == K_VERTS)
        rc = vertex_line(pc, p, le);
    else
        rc = dimacs_line(pc, p, le);
    if (rc != 0 && pc->err == HERD_EPARSE && memchr(p, '\0', (size_t)(le - p)))
        snprintf(pc->msg, sizeof pc->msg, "NUL byte in line");
    return rc;
}

static void *piece_run(void *arg)
{
    struct piece *pc = arg;
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

/* ---- the chunk driver ---------------------------------------------------- */

struct drive {
    struct ctx *c;
    struct herd_elist *el; /* edges (K_EDGES, K_DIMACS) */
    uint64_t *v;           /* vertex ids (K_VERTS) */
    uint64_t nv, vcap;
    uint64_t line_base;    /* lines before the current chunk */
    int ncols;             /* column count fixed by the first data line */
    int nthreads;
    uint64_t p_line, p_m;  /* DIMACS 'p' line and its arc count */
};

static void piece_free(struct piece *pc)
{
    herd_eblock_free(&pc->b);
    free(pc->v);
    pc->v = NULL;
}

static int piece_init(struct piece *pc, const struct ctx *c, const char *p, const char *end)
{
    size_t bytes = (size_t)(end - p);
    memset(pc, 0, sizeof *pc);
    pc->c = c;
    pc->p = p;
    pc->end = end;
    if (c->kind == K_VERTS) {
        pc->cap = bytes / 2 + 1;
        pc->v = malloc(pc->cap * sizeof *pc->v);
        return pc->v ? 0 : -1;
    }
    pc->cap = bytes / 4 + 1;
    pc->b.s32 = malloc(pc->cap * sizeof *pc->b.s32);
    pc->b.d32 = malloc(pc->cap * sizeof *pc->b.d32);
    int want_w = c->src->weights && (c->kind == K_EDGES || c->dim == D_SP);
    if (want_w)
        pc->b.w = malloc(pc->cap * sizeof *pc->b.w);
    return pc->b.s32 && pc->b.d32 && (!want_w || pc->b.w) ? 0 : -1;
}

static void *shrink(void *p, size_t bytes)
{
    void *q = realloc(p, bytes ? bytes : 1);
    return q ? q : p;
}

/* Trims a parsed piece's block to its size and hands it to the list. */
static void piece_give_edges(struct piece *pc, struct herd_elist *el)
{
    struct herd_eblock *b = &pc->b;
    int has_w = pc->c->kind == K_DIMACS ? pc->c->dim == D_SP : pc->ncols == 3;
    if (!has_w) {
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

static int piece_give_vertices(struct piece *pc, struct drive *dv, struct herd_err *e)
{
    if (dv->nv + pc->nv > dv->vcap) {
        uint64_t cap = dv->vcap ? dv->vcap : 1024;
        while (cap < dv->nv + pc->nv)
            cap *= 2;
        uint64_t *v = realloc(dv->v, cap * sizeof *v);
        if (v == NULL)
            return herd_err_set(e, HERD_ENOMEM, "%s: vertex list of %llu ids",
                                dv->c->src->name, (unsigned long long)cap);
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

static int column_mismatch(struct drive *dv, struct piece *pc, struct herd_err *e)
{
    return herd_err_set(e, HERD_EPARSE, "%s:%llu: %d columns, but earlier lines have %d",
                        dv->c->src->name, (unsigned long long)(dv->line_base + pc->first_line),
                        pc->ncols, dv->ncols);
}

/* Folds one parsed piece into the result, in file order. */
static int merge(struct drive *dv, struct piece *pc, struct herd_err *e)
{
    const char *name = dv->c->src->name;
    int mismatch = dv->ncols && pc->ncols && pc->ncols != dv->ncols;
    if (pc->err == HERD_ENOMEM)
        return herd_err_set(e, HERD_ENOMEM, "%s: %s", name, pc->msg);
    if (mismatch && (!pc->err || pc->first_line < pc->err_line))
        return column_mismatch(dv, pc, e);
    if (pc->err)
        return herd_err_set(e, pc->err, "%s:%llu: %s", name,
                            (unsigned long long)(dv->line_base + pc->err_line), pc->msg);
    if (!dv->ncols)
        dv->ncols = pc->ncols;
    dv->line_base += pc->lines;
    if (dv->c->kind == K_VERTS)
        return piece_give_vertices(pc, dv, e);
    piece_give_edges(pc, dv->el);
    return HERD_OK;
}

static int run_pieces(struct piece *pcs, int k)
{
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
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

/* Parses [p, end) — whole lines — on up to dv->nthreads threads. */
static int run_chunk(struct drive *dv, const char *p, const char *end, struct herd_err *e)
{
    size_t len = (size_t)(end - p);
    int k = len < MIN_PARALLEL ? 1 : dv->nthreads, rc = HERD_OK, i;
    struct piece pcs[MAX_THREADS];
    const char *at = p;
    for (i = 0; i < k; i++) {
        const char *to = i == k - 1 ? end : p + len / (size_t)k * (size_t)(i + 1);
        if (to < at)
            to = at;
        const char *nl = to < end ? memchr(to, '\n', (size_t)(end - to)) : NULL;
        to = i == k - 1 || nl == NULL ? end : nl + 1;
        if (piece_init(&pcs[i], dv->c, at, to) != 0) {
            piece_free(&pcs[i]);
            rc = herd_err_set(e, HERD_ENOMEM, "%s: buffers for %zu bytes of text",
                              dv->c->src->name, len);
            break;
        }
        at = to;
    }
    if (rc == HERD_OK)
        run_pieces(pcs, k);
    for (int j = 0; j < i; j++) {
        if (rc == HERD_OK)
            rc = merge(dv, &pcs[j], e);
        piece_free(&pcs[j]);
    }
    return rc;
}

/* Finds and parses the DIMACS 'p' line at the start of the first chunk;
 * *skip is the byte offset after it. */
static int dimacs_header(struct drive *dv, const char *buf, size_t len, size_t *skip,
                         struct herd_err *e)
{
    const char *p = buf, *end = buf + len, *name = dv->c->src->name;
    struct piece tmp;
    char tok[64];
    uint64_t line = 0, n, m;
    memset(&tmp, 0, sizeof tmp);
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
        const char *next = nl ? nl + 1 : end, *q = skip_ws(p, le);
        le = le > q && le[-1] == '\r' ? le - 1 : le;
        if (q == le || *q == 'c') {
            p = next;
            continue;
        }
        if (*q != 'p' || q + 1 == le || !is_ws(q[1]))
            return herd_err_set(e, HERD_EPARSE, "%s:%llu: expected the 'p' line first, found '%s'",
                                name, (unsigned long long)line, show(q, le, tok, sizeof tok));
        q = skip_ws(q + 1, le);
        size_t kl = 0;
        while (q + kl < le && !is_ws(q[kl]))
            kl++;
        if (kl == 2 && memcmp(q, "sp", 2) == 0)
            dv->c->dim = D_SP;
        else if (kl == 2 && memcmp(q, "tw", 2) == 0)
            dv->c->dim = D_TW;
        else if (kl == 4 && memcmp(q, "edge", 4) == 0)
            dv->c->dim = D_EDGE;
        else
            return herd_err_set(e, HERD_EPARSE,
                                "%s:%llu: unknown problem '%s' (expected sp, tw or edge)", name,
                                (unsigned long long)line, show(q, le, tok, sizeof tok));
        q = skip_ws(q + kl, le);
        if (parse_u64(&tmp, &q, le, "vertex count", &n) == 0) {
            q = skip_ws(q, le);
            if (parse_u64(&tmp, &q, le, "arc count", &m) == 0 && skip_ws(q, le) != le)
                fail(&tmp, "extra column '%s'", show(skip_ws(q, le), le, tok, sizeof tok));
        }
        if (tmp.err == HERD_OK && n > UINT32_MAX)
            fail(&tmp, "vertex count %llu is more than 2^32-1", (unsigned long long)n);
        if (tmp.err != HERD_OK)
            return herd_err_set(e, HERD_EPARSE, "%s:%llu: %s", name, (unsigned long long)line,
                                tmp.msg);
        dv->c->dim_n = n;
        dv->p_line = line;
        dv->p_m = m;
        dv->line_base = line;
        *skip = (size_t)(next - buf);
        return HERD_OK;
    }
    return herd_err_set(e, HERD_EPARSE, "%s:%llu: missing the 'p' line", name,
                        (unsigned long long)line + 1);
}

static int line_too_long(struct drive *dv, size_t cap, struct herd_err *e)
{
    return herd_err_set(e, HERD_EPARSE, "%s:%llu: line longer than %zu bytes", dv->c->src->name,
                        (unsigned long long)dv->line_base + 1, cap);
}

/* Reads the whole stream chunk by chunk, cutting at the last newline. */
static int drive_stream(struct drive *dv, struct herd_err *e)
{
    struct herd_zread *z = dv->c->src->z;
    uint64_t left = herd_zread_left(z);
    size_t cap = left < CHUNK ? (size_t)left + 1 : CHUNK, carry = 0, got;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    dv->nthreads = dv->c->src->threads > 0 ? dv->c->src->threads : cores > 0 ? (int)cores : 1;
    dv->nthreads = dv->nthreads > MAX_THREADS ? MAX_THREADS : dv->nthreads;
    char *buf = malloc(cap + 1);
    if (buf == NULL)
        return herd_err_set(e, HERD_ENOMEM, "%s: read buffer", dv->c->src->name);
    int rc = HERD_OK, first = 1;
    for (;;) {
        rc = herd_zread_read(z, buf + carry, cap - carry, &got, e);
        if (rc != HERD_OK)
            break;
        size_t len = carry + got, cut = len, skip = 0;
        int eof = got < cap - carry;
        if (len == 0)
            break;
        if (!eof) {
            const char *nl = memrchr(buf, '\n', len);
            if (nl == NULL) {
                rc = line_too_long(dv, cap, e);
                break;
            }
            cut = (size_t)(nl - buf) + 1;
        }
        char saved = buf[cut];
        buf[cut] = '\0'; /* stops strtod on a last line without newline */
        if (first && dv->c->kind == K_DIMACS)
            rc = dimacs_header(dv, buf, cut, &skip, e);
        first = 0;
        if (rc == HERD_OK)
            rc = run_chunk(dv, buf + skip, buf + cut, e);
        buf[cut] = saved;
        if (rc != HERD_OK || eof)
            break;
        memmove(buf, buf + cut, len - cut);
        carry = len - cut;
    }
    if (rc == HERD_OK && first && dv->c->kind == K_DIMACS)
        rc = herd_err_set(e, HERD_EPARSE, "%s:1: missing the 'p' line", dv->c->src->name);
    free(buf);
    return rc;
}

int herd_text_load_edges(const struct herd_text_src *s, const struct herd_idmap *vmap,
                         const char *vname, struct herd_elist *el, struct herd_err *e)
{
    struct ctx c = {.src = s, .kind = K_EDGES, .vmap = vmap, .vname = vname};
    struct drive dv = {.c = &c, .el = el};
    int rc = drive_stream(&dv, e);
    if (rc == HERD_OK && vmap)
        el->dense = 1;
    return rc;
}

int herd_text_load_vertices(const struct herd_text_src *s, struct herd_idmap *map,
                            struct herd_err *e)
{
    struct ctx c = {.src = s, .kind = K_VERTS};
    struct drive dv = {.c = &c};
    int rc = drive_stream(&dv, e);
    if (rc != HERD_OK) {
        free(dv.v);
        return rc;
    }
    return herd_idmap_from_list(map, dv.v, dv.nv, e);
}

int herd_text_load_dimacs(const struct herd_text_src *s, struct herd_elist *el,
                          struct herd_idmap *map, struct herd_err *e)
{
    struct ctx c = {.src = s, .kind = K_DIMACS};
    struct drive dv = {.c = &c, .el = el};
    uint64_t before = el->m;
    int rc = drive_stream(&dv, e);
    if (rc != HERD_OK)
        return rc;
    if (el->m - before != dv.p_m)
        return herd_err_set(e, HERD_EPARSE,
                            "%s:%llu: the 'p' line declares %llu arcs but the file has %llu",
                            s->name, (unsigned long long)dv.p_line, (unsigned long long)dv.p_m,
                            (unsigned long long)(el->m - before));
    el->dense = 1;
    herd_idmap_offset(map, 1, c.dim_n);
    return HERD_OK;
}
