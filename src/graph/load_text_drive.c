/* The chunk reader of the text loaders: reads a feed (a zread stream for
 * whole files, a byte range for load_range.c) in chunks of whole lines,
 * finds the DIMACS 'p' line, and hands each chunk to the pieces of
 * load_text.c; plus the entry points of load_text.h and load_text_scan.h. */
#include "graph/load_text.h"
#include "graph/load_text_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- DIMACS 'p' line ----------------------------------------------------- */

/* The end of the line at p (CR stripped) in *le; returns where the next
 * line starts. */
static const char *next_line(const char *p, const char *end, const char **le)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p)), *l = nl ? nl : end;
    *le = l > p && l[-1] == '\r' ? l - 1 : l;
    return nl ? nl + 1 : end;
}

/* A DIMACS line before the 'p' line: blank or a comment. */
static int dimacs_skippable(const char *q, const char *le)
{
    return q == le || *q == 'c';
}

static int dimacs_take(struct herd_text_drive *dv, const struct herd_text_phead *h, uint64_t line,
                       struct herd_err *e)
{
    dv->c->dim = h->dim;
    dv->c->dim_n = h->n;
    dv->p_line = line;
    dv->p_m = h->m;
    dv->line_base = line;
    dv->need_header = 0;
    if (dv->cb && dv->cb->header)
        return dv->cb->header(dv->cb_arg, h->n, h->m, e);
    return HERD_OK;
}

/* Finds and parses the DIMACS 'p' line at the start of a chunk; *skip is
 * the byte offset after it. Whole file: it must be in the first chunk. A
 * range may hold only comments: then the chunk is skipped whole. */
static int dimacs_header(struct herd_text_drive *dv, const char *buf, size_t len, size_t *skip,
                         struct herd_err *e)
{
    const char *p = buf, *end = buf + len, *name = dv->c->name;
    struct herd_text_piece tmp;
    uint64_t line = 0;
    memset(&tmp, 0, sizeof tmp);
    while (p < end) {
        const char *le, *next = next_line(p, end, &le), *q = herd_text_skip_ws(p, le);
        line++;
        p = next;
        if (dimacs_skippable(q, le))
            continue;
        struct herd_text_phead h;
        if (herd_text_p_line(&tmp, q, le, &h) != 0)
            return herd_err_set(e, HERD_EPARSE, "%s:%llu: %s", name,
                                (unsigned long long)herd_text_lineno(dv, dv->line_base + line),
                                tmp.msg);
        *skip = (size_t)(next - buf);
        return dimacs_take(dv, &h, dv->line_base + line, e);
    }
    if (dv->cb == NULL)
        return herd_err_set(e, HERD_EPARSE, "%s:%llu: missing the 'p' line", name,
                            (unsigned long long)line + 1);
    dv->line_base += line;
    *skip = len;
    return HERD_OK;
}

/* ---- reading ------------------------------------------------------------- */

static int line_too_long(struct herd_text_drive *dv, struct herd_err *e)
{
    return herd_err_set(e, HERD_EPARSE, "%s:%llu: line longer than %zu bytes", dv->c->name,
                        (unsigned long long)herd_text_lineno(dv, dv->line_base + 1),
                        (size_t)HERD_TEXT_LINE_MAX);
}

static int set_threads(int threads)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = threads > 0 ? threads : cores > 0 ? (int)cores : 1;
    return n > HERD_TEXT_MAX_THREADS ? HERD_TEXT_MAX_THREADS : n;
}

/* Doubles the read buffer (up to the line limit) for a line that did not
 * fit; HERD_OK, or the line's error at the limit. */
static int grow(struct herd_text_drive *dv, char **buf, size_t *cap, struct herd_err *e)
{
    if (*cap >= HERD_TEXT_LINE_MAX)
        return line_too_long(dv, e);
    size_t ncap = *cap * 2 < HERD_TEXT_LINE_MAX ? *cap * 2 : HERD_TEXT_LINE_MAX;
    char *nb = realloc(*buf, ncap + 1);
    if (nb == NULL)
        return herd_err_set(e, HERD_ENOMEM, "%s: read buffer", dv->c->name);
    *buf = nb;
    *cap = ncap;
    return HERD_OK;
}

/* Parses one chunk of whole lines, buf[len] writable. */
static int drive_chunk(struct herd_text_drive *dv, char *buf, size_t len, struct herd_err *e)
{
    size_t skip = 0;
    int rc = HERD_OK;
    char saved = buf[len];
    buf[len] = '\0'; /* stops strtod on a last line without newline */
    if (dv->need_header)
        rc = dimacs_header(dv, buf, len, &skip, e);
    if (rc == HERD_OK)
        rc = herd_text_run_chunk(dv, buf + skip, buf + len, e);
    buf[len] = saved;
    return rc;
}

/* Reads the whole feed chunk by chunk, cutting at the last newline. */
static int drive_stream(struct herd_text_drive *dv, struct herd_err *e)
{
    const struct herd_text_feed *f = dv->feed;
    size_t chunk = dv->cb ? HERD_TEXT_RANGE_CHUNK : HERD_TEXT_CHUNK;
    size_t cap = f->size < chunk ? (size_t)f->size + 1 : chunk, carry = 0, got;
    dv->nthreads = set_threads(dv->c->threads);
    dv->need_header = dv->need_header || (dv->c->kind == HERD_TEXT_DIMACS && dv->cb == NULL);
    char *buf = malloc(cap + 1);
    if (buf == NULL)
        return herd_err_set(e, HERD_ENOMEM, "%s: read buffer", dv->c->name);
    int rc, read_any = 0;
    for (;;) {
        rc = f->read(f->arg, buf + carry, cap - carry, &got, e);
        if (rc != HERD_OK)
            break;
        size_t len = carry + got, cut = len;
        int eof = got < cap - carry;
        if (len == 0)
            break;
        if (!eof) {
            const char *nl = memrchr(buf, '\n', len);
            if (nl == NULL) {
                carry = len;
                if ((rc = grow(dv, &buf, &cap, e)) != HERD_OK)
                    break;
                continue;
            }
            cut = (size_t)(nl - buf) + 1;
        }
        read_any = 1;
        rc = drive_chunk(dv, buf, cut, e);
        if (rc != HERD_OK || eof)
            break;
        memmove(buf, buf + cut, len - cut);
        carry = len - cut;
    }
    if (rc == HERD_OK && !read_any && dv->need_header && dv->cb == NULL)
        rc = herd_err_set(e, HERD_EPARSE, "%s:1: missing the 'p' line", dv->c->name);
    free(buf);
    return rc;
}

/* ---- the whole-file loaders ---------------------------------------------- */

static int zread_feed(void *arg, char *buf, size_t cap, size_t *got, struct herd_err *e)
{
    return herd_zread_read(arg, buf, cap, got, e);
}

static int drive_file(const struct herd_text_src *s, struct herd_text_cfg *c,
                      struct herd_text_drive *dv, struct herd_err *e)
{
    struct herd_text_feed f = {.read = zread_feed, .arg = s->z, .size = herd_zread_left(s->z)};
    c->name = s->name;
    c->weights = s->weights;
    c->threads = s->threads;
    dv->c = c;
    dv->feed = &f;
    return drive_stream(dv, e);
}

int herd_text_load_edges(const struct herd_text_src *s, const struct herd_idmap *vmap,
                         const char *vname, struct herd_elist *el, struct herd_err *e)
{
    struct herd_text_cfg c = {
        .kind = HERD_TEXT_EDGES, .vmap = vmap, .vname = vname, .check_ids = vmap != NULL};
    struct herd_text_drive dv = {.el = el};
    int rc = drive_file(s, &c, &dv, e);
    if (rc == HERD_OK && vmap)
        el->dense = 1;
    return rc;
}

int herd_text_load_vertices(const struct herd_text_src *s, struct herd_idmap *map,
                            struct herd_err *e)
{
    struct herd_text_cfg c = {.kind = HERD_TEXT_VERTICES};
    struct herd_text_drive dv = {0};
    int rc = drive_file(s, &c, &dv, e);
    if (rc != HERD_OK) {
        free(dv.v);
        return rc;
    }
    return herd_idmap_from_list(map, dv.v, dv.nv, e);
}

int herd_text_load_dimacs(const struct herd_text_src *s, struct herd_elist *el,
                          struct herd_idmap *map, struct herd_err *e)
{
    struct herd_text_cfg c = {.kind = HERD_TEXT_DIMACS};
    struct herd_text_drive dv = {.el = el};
    uint64_t before = el->m;
    int rc = drive_file(s, &c, &dv, e);
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

/* ---- range scans --------------------------------------------------------- */

int herd_text_scan(const struct herd_text_range *r, struct herd_err *e)
{
    int edges = r->kind == HERD_TEXT_EDGES;
    struct herd_text_cfg c = {.name = r->name,
                              .kind = r->kind,
                              .weights = r->weights,
                              .threads = r->threads,
                              .raw = 1,
                              .listed = edges ? r->cb->listed : NULL,
                              .listed_arg = r->cb_arg,
                              .listed_in = r->cb->listed_in,
                              .check_ids = edges && r->cb->listed};
    struct herd_text_keep keep[HERD_TEXT_MAX_THREADS];
    struct herd_text_drive dv = {.c = &c,
                                 .feed = &r->feed,
                                 .cb = r->cb,
                                 .cb_arg = r->cb_arg,
                                 .lines_before = r->lines_before,
                                 .lines_arg = r->lines_arg,
                                 .keep = keep};
    memset(keep, 0, sizeof keep);
    if (r->before && r->before->found) {
        dv.ncols = r->before->ncols;
        c.dim = (enum herd_text_dim)r->before->dim;
        c.dim_n = r->before->n;
    } else {
        dv.need_header = r->kind == HERD_TEXT_DIMACS;
    }
    int rc = drive_stream(&dv, e);
    for (int i = 0; i < HERD_TEXT_MAX_THREADS; i++)
        herd_text_keep_free(&keep[i]);
    return rc;
}

/* A growing window over the start of a file, for herd_text_prologue(). */
struct window {
    const struct herd_text_feed *f;
    char *buf;
    size_t len, cap, pos; /* bytes held, room, the next line's start */
    uint64_t off;         /* file offset of buf[0] */
    uint64_t line;        /* lines taken */
    int eof;
};

/* Reads more, keeping the line at w->pos; a line that fills the largest
 * window is refused like the whole-file loader refuses it. */
static int window_fill(struct window *w, const char *name, struct herd_err *e)
{
    memmove(w->buf, w->buf + w->pos, w->len - w->pos);
    w->off += w->pos;
    w->len -= w->pos;
    w->pos = 0;
    if (w->len == w->cap) {
        if (w->cap >= HERD_TEXT_LINE_MAX)
            return herd_err_set(e, HERD_EPARSE, "%s:%llu: line longer than %zu bytes", name,
                                (unsigned long long)w->line + 1, (size_t)HERD_TEXT_LINE_MAX);
        size_t cap = w->cap * 2 < HERD_TEXT_LINE_MAX ? w->cap * 2 : HERD_TEXT_LINE_MAX;
        char *nb = realloc(w->buf, cap + 1);
        if (nb == NULL)
            return herd_err_set(e, HERD_ENOMEM, "%s: read buffer", name);
        w->buf = nb;
        w->cap = cap;
    }
    size_t got;
    int rc = w->f->read(w->f->arg, w->buf + w->len, w->cap - w->len, &got, e);
    if (rc != HERD_OK)
        return rc;
    w->eof = got < w->cap - w->len;
    w->len += got;
    w->buf[w->len] = '\0'; /* stops strtod on a last line without newline */
    return HERD_OK;
}

/* The next whole line starting before `limit`: 1 with [*p, *le) (without
 * its newline), 0 when there is none, or minus an error code (*e set). */
static int window_line(struct window *w, const char *name, uint64_t limit, const char **p,
                       const char **le, struct herd_err *e)
{
    const char *nl;
    int rc;
    if (w->off + w->pos >= limit)
        return 0;
    while ((nl = memchr(w->buf + w->pos, '\n', w->len - w->pos)) == NULL && !w->eof)
        if ((rc = window_fill(w, name, e)) != HERD_OK)
            return -rc;
    if (w->pos == w->len)
        return 0;
    *p = w->buf + w->pos;
    *le = nl ? nl : w->buf + w->len;
    w->pos = nl ? (size_t)(nl - w->buf) + 1 : w->len;
    w->line++;
    return 1;
}

/* Parses one line before the range, [p, le) without its newline (a CR
 * is still there); 1 when it was the first data line. */
static int first_line(enum herd_text_kind kind, struct herd_text_piece *pc, const char *p,
                      const char *le, struct herd_text_first *out)
{
    if (kind == HERD_TEXT_EDGES) {
        pc->b.n = 0;
        if (herd_text_line(pc, p, le) != 0)
            return -1;
        out->ncols = pc->ncols;
        return pc->ncols != 0;
    }
    next_line(p, le, &le); /* strips the CR as dimacs_header() does */
    const char *q = herd_text_skip_ws(p, le);
    struct herd_text_phead h;
    if (q == le || *q == 'c')
        return 0;
    if (herd_text_p_line(pc, q, le, &h) != 0)
        return -1;
    out->dim = (int)h.dim;
    out->n = h.n;
    out->m = h.m;
    return 1;
}

int herd_text_prologue(const char *name, enum herd_text_kind kind,
                       const struct herd_text_feed *feed, uint64_t limit,
                       struct herd_text_first *out, struct herd_err *e)
{
    struct herd_text_first r = {0};
    struct herd_text_cfg c = {.name = name, .kind = kind, .raw = 1};
    struct herd_text_piece pc = {.c = &c, .cap = 1};
    uint64_t s1, d1;
    struct window w = {.f = feed, .cap = 64u << 10, .eof = 0};
    const char *p = NULL, *le = NULL;
    int rc = HERD_OK, got;
    pc.b.s64 = &s1;
    pc.b.d64 = &d1;
    if (kind == HERD_TEXT_VERTICES) {
        *out = r;
        return HERD_OK;
    }
    if ((w.buf = malloc(w.cap + 1)) == NULL)
        return herd_err_set(e, HERD_ENOMEM, "%s: read buffer", name);
    while ((got = window_line(&w, name, limit, &p, &le, e)) == 1) {
        r.at = w.off + (uint64_t)(p - w.buf);
        int f = first_line(kind, &pc, p, le, &r);
        if (f < 0)
            rc = herd_err_set(e, pc.err, "%s:%llu: %s", name, (unsigned long long)w.line, pc.msg);
        if (f != 0)
            break;
    }
    rc = got < 0 ? -got : rc;
    r.found = got == 1 && rc == HERD_OK;
    r.line = w.line;
    free(w.buf);
    if (rc == HERD_OK)
        *out = r;
    return rc;
}
