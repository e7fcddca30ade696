/* load_range — byte ranges of a text graph file (see load_range.h). This
 * file finds a range's lines (pread over the file, or a memory buffer),
 * refuses inputs that cannot be split, reads the context a range needs from
 * the start of the file, and hands the lines to the parsers of load_text.c
 * through load_text_scan.h. */
#include "graph/load_range.h"
#include "graph/load.h"
#include "graph/load_text_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNIFF 4096
#define SEEK_BLOCK (64u << 10) /* read size when looking for a newline or counting lines */

/* The bytes of one input: a file (read with pread) or memory. */
struct src {
    const char *name;
    int fd; /* -1: memory */
    const uint8_t *mem;
    uint64_t size;
};

static int src_open(const char *path, struct src *s, struct herd_err *e)
{
    struct stat st;
    memset(s, 0, sizeof *s);
    s->name = path;
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0)
        return herd_err_set(e, HERD_EIO, "%s: %s", path, strerror(errno));
    const char *why = fstat(s->fd, &st) != 0 ? strerror(errno)
                      : !S_ISREG(st.st_mode) ? "not a regular file (ranges need pread)"
                                             : NULL;
    if (why) {
        herd_err_set(e, HERD_EIO, "%s: %s", path, why);
        close(s->fd);
        return HERD_EIO;
    }
    s->size = (uint64_t)st.st_size;
    return HERD_OK;
}

static void src_mem(const char *name, const void *bytes, size_t len, struct src *s)
{
    memset(s, 0, sizeof *s);
    s->name = name;
    s->fd = -1;
    s->mem = bytes;
    s->size = len;
}

static void src_close(struct src *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

/* Reads up to n bytes at `off`; fewer only at the end of the input. */
static int src_read(const struct src *s, void *buf, size_t n, uint64_t off, size_t *got,
                    struct herd_err *e)
{
    size_t k = 0;
    if (off >= s->size) {
        *got = 0;
        return HERD_OK;
    }
    if (n > s->size - off)
        n = (size_t)(s->size - off);
    if (s->fd < 0) {
        memcpy(buf, s->mem + off, n);
        *got = n;
        return HERD_OK;
    }
    while (k < n) {
        ssize_t r = pread(s->fd, (char *)buf + k, n - k, (off_t)(off + k));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return herd_err_set(e, HERD_EIO, "%s: read: %s", s->name, strerror(errno));
        if (r == 0)
            break;
        k += (size_t)r;
    }
    *got = k;
    return HERD_OK;
}

/* ---- what kind of input ---------------------------------------------------- */

/* A compressed stream (recognised whatever the name or format, as zread
 * does), or NULL. */
static const char *compressed(const uint8_t *head, size_t n)
{
    static const uint8_t xz[6] = {0xfd, '7', 'z', 'X', 'Z', 0};
    if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        return "gzip";
    if (n >= 6 && memcmp(head, xz, 6) == 0)
        return "xz";
    return NULL;
}

/* The format of an input as the whole-file loader would guess it (the
 * binary magic counts only when the format is still unknown after the
 * name); refuses compressed and binary inputs with HERD_EINVAL. */
static int sniff(const struct src *s, const struct herd_graph_opts *o, enum herd_graph_format *out,
                 struct herd_err *e)
{
    uint8_t head[SNIFF];
    size_t n;
    int rc = src_read(s, head, sizeof head, 0, &n, e);
    if (rc != HERD_OK)
        return rc;
    const char *what = compressed(head, n);
    enum herd_graph_format f = o->format;
    if (what == NULL && f == HERD_FMT_AUTO)
        f = herd_graph_format_by_name(s->name);
    if (what == NULL && f == HERD_FMT_AUTO)
        f = herd_graph_format_by_content(head, n);
    if (what == NULL && f == HERD_FMT_BIN)
        what = "herd binary";
    if (what)
        return herd_err_set(e, HERD_EINVAL, "%s: %s input cannot be split into byte ranges",
                            s->name, what);
    *out = f;
    return HERD_OK;
}

/* ---- finding a range's lines ----------------------------------------------- */

/* Where the first line that starts at or after `start` begins (size: none). */
static int first_line_at(const struct src *s, uint64_t start, uint64_t *first, struct herd_err *e)
{
    char buf[SEEK_BLOCK];
    uint64_t pos = start - 1; /* a line starts at `start` if byte start-1 is a newline */
    size_t got;
    if (start == 0) {
        *first = 0;
        return HERD_OK;
    }
    for (;;) {
        int rc = src_read(s, buf, sizeof buf, pos, &got, e);
        if (rc != HERD_OK)
            return rc;
        const char *nl = memchr(buf, '\n', got);
        if (nl || got < sizeof buf) {
            *first = nl ? pos + (uint64_t)(nl - buf) + 1 : s->size;
            return HERD_OK;
        }
        pos += got;
    }
}

/* The feed of one range: bytes from `pos` to the end of the line that
 * holds byte end-1 (found while reading). */
struct range_rd {
    const struct src *s;
    uint64_t pos, end, stop; /* stop: UINT64_MAX until found */
};

static int range_read(void *arg, char *buf, size_t cap, size_t *got, struct herd_err *e)
{
    struct range_rd *r = arg;
    uint64_t lim = r->stop != UINT64_MAX ? r->stop : r->s->size;
    size_t want = lim - r->pos < cap ? (size_t)(lim - r->pos) : cap, n;
    int rc = src_read(r->s, buf, want, r->pos, &n, e);
    if (rc != HERD_OK)
        return rc;
    if (r->stop == UINT64_MAX && r->pos + n >= r->end) {
        size_t from = r->end - 1 > r->pos ? (size_t)(r->end - 1 - r->pos) : 0;
        const char *nl = from < n ? memchr(buf + from, '\n', n - from) : NULL;
        if (nl) {
            n = (size_t)(nl - buf) + 1;
            r->stop = r->pos + n;
        }
    }
    if (r->stop == UINT64_MAX && n < want)
        r->stop = r->pos + n; /* the input ended */
    r->pos += n;
    *got = n;
    return HERD_OK;
}

/* The whole input from byte 0, for the prologue. */
static int whole_read(void *arg, char *buf, size_t cap, size_t *got, struct herd_err *e)
{
    struct range_rd *r = arg;
    int rc = src_read(r->s, buf, cap, r->pos, got, e);
    if (rc == HERD_OK)
        r->pos += *got;
    return rc;
}

struct line_count {
    const struct src *s;
    uint64_t upto;
};

/* Newlines before byte `upto`: the line number of a range's first line,
 * less one. Asked only for an error message; a read error undercounts. */
static uint64_t count_lines(void *arg)
{
    const struct line_count *lc = arg;
    char buf[SEEK_BLOCK];
    uint64_t n = 0, pos = 0;
    struct herd_err e;
    while (pos < lc->upto) {
        size_t want = lc->upto - pos < sizeof buf ? (size_t)(lc->upto - pos) : sizeof buf, got;
        if (src_read(lc->s, buf, want, pos, &got, &e) != HERD_OK || got == 0)
            break;
        for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))) != NULL; p++)
            n++;
        pos += got;
    }
    return n;
}

/* The file's first data line, when it starts before `limit`. */
static int prologue(const struct src *s, enum herd_text_kind kind, uint64_t limit,
                    struct herd_text_first *out, struct herd_err *e)
{
    struct range_rd r = {.s = s};
    struct herd_text_feed f = {.read = whole_read, .arg = &r, .size = s->size};
    return herd_text_prologue(s->name, kind, &f, limit, out, e);
}

/* ---- the scans ------------------------------------------------------------- */

static int scan(const struct src *s, const struct herd_graph_opts *o, int vertices, uint64_t start,
                uint64_t end, const struct herd_scan_cb *cb, void *arg, struct herd_err *e)
{
    static const struct herd_scan_cb none;
    enum herd_graph_format fmt;
    struct herd_text_first before = {0};
    uint64_t first;
    int rc = sniff(s, o, &fmt, e);
    if (rc != HERD_OK)
        return rc;
    enum herd_text_kind kind = vertices                 ? HERD_TEXT_VERTICES
                               : fmt == HERD_FMT_DIMACS ? HERD_TEXT_DIMACS
                                                        : HERD_TEXT_EDGES;
    end = end < s->size ? end : s->size;
    if (start >= end)
        return HERD_OK;
    if ((rc = first_line_at(s, start, &first, e)) != HERD_OK || first >= end)
        return rc;
    if (first > 0 && (rc = prologue(s, kind, first, &before, e)) != HERD_OK)
        return rc;
    struct range_rd r = {.s = s, .pos = first, .end = end, .stop = UINT64_MAX};
    struct line_count lc = {.s = s, .upto = first};
    struct herd_text_range tr = {
        .name = s->name,
        .kind = kind,
        .threads = o->threads,
        .weights = o->weighted,
        .feed = {.read = range_read, .arg = &r, .size = end - first + SEEK_BLOCK},
        .before = &before,
        .lines_before = count_lines,
        .lines_arg = &lc,
        .cb = cb ? cb : &none,
        .cb_arg = arg};
    return herd_text_scan(&tr, e);
}

/* The DIMACS whole-job checks: a 'p' line, and its arc count. */
static int finish_dimacs(const struct src *s, uint64_t nedges, uint64_t *n, struct herd_err *e)
{
    struct herd_text_first p;
    int rc = prologue(s, HERD_TEXT_DIMACS, UINT64_MAX, &p, e);
    if (rc != HERD_OK)
        return rc;
    if (!p.found)
        return herd_err_set(e, HERD_EPARSE, "%s:%llu: missing the 'p' line", s->name,
                            (unsigned long long)p.line + 1);
    if (p.m != nedges)
        return herd_err_set(e, HERD_EPARSE,
                            "%s:%llu: the 'p' line declares %llu arcs but the file has %llu",
                            s->name, (unsigned long long)p.line, (unsigned long long)p.m,
                            (unsigned long long)nedges);
    *n = p.n;
    return HERD_OK;
}

static int finish(const struct src *s, const struct herd_graph_opts *o, uint64_t nedges,
                  uint64_t nvertices, struct herd_err *e)
{
    enum herd_graph_format fmt;
    int rc = sniff(s, o, &fmt, e);
    if (rc == HERD_OK && fmt == HERD_FMT_DIMACS)
        rc = finish_dimacs(s, nedges, &nvertices, e);
    if (rc == HERD_OK && nedges == 0 && nvertices == 0)
        rc = herd_err_set(e, HERD_EPARSE, "%s: no edges and no vertices", s->name);
    return rc;
}

/* ---- staged ranges ---------------------------------------------------------- */

/* Newlines in [from, to). */
static int count_newlines(const struct src *s, uint64_t from, uint64_t to, uint64_t *n,
                          struct herd_err *e)
{
    char buf[SEEK_BLOCK];
    while (from < to) {
        size_t want = to - from < sizeof buf ? (size_t)(to - from) : sizeof buf, got;
        int rc = src_read(s, buf, want, from, &got, e);
        if (rc != HERD_OK)
            return rc;
        if (got == 0)
            break;
        for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))) != NULL; p++)
            (*n)++;
        from += got;
    }
    return HERD_OK;
}

static void context_fill(struct herd_scan_context *c, enum herd_graph_format fmt, int vertices,
                         const struct herd_text_first *p)
{
    c->format = (int32_t)fmt;
    c->vertices = vertices;
    c->before = p->found && p->at < c->first;
    c->ncols = c->before ? p->ncols : 0;
    c->dim = c->before ? p->dim : 0;
    c->n = c->before ? p->n : 0;
    c->m = c->before ? p->m : 0;
}

static int contexts(const struct src *s, const struct herd_graph_opts *o, int vertices,
                    const uint64_t *cuts, int k, struct herd_scan_context *out, struct herd_err *e)
{
    enum herd_graph_format fmt;
    struct herd_text_first p = {0};
    uint64_t first = 0, next, newlines = 0;
    int rc = sniff(s, o, &fmt, e);
    if (rc == HERD_OK && !vertices)
        rc = prologue(s, fmt == HERD_FMT_DIMACS ? HERD_TEXT_DIMACS : HERD_TEXT_EDGES, UINT64_MAX,
                      &p, e);
    for (int i = 0; i <= k && rc == HERD_OK; i++) {
        if (i > 0 && cuts[i] < cuts[i - 1])
            return herd_err_set(e, HERD_EINVAL, "%s: cut %d (%llu) is before cut %d", s->name, i,
                                (unsigned long long)cuts[i], i - 1);
        rc = first_line_at(s, cuts[i] < s->size ? cuts[i] : s->size, &next, e);
        if (rc == HERD_OK && i > 0) {
            out[i - 1].stop = next;
            context_fill(&out[i - 1], fmt, vertices, &p);
        }
        if (rc == HERD_OK && i < k) {
            rc = count_newlines(s, first, next, &newlines, e);
            out[i].first = next;
            out[i].line = newlines + 1;
        }
        first = next;
    }
    return rc;
}

/* A context from the wire is checked before it steers the parser. */
static int context_valid(const struct herd_scan_context *c, size_t len)
{
    int f = c->format;
    return c->stop >= c->first && len == c->stop - c->first && c->line > 0 &&
           (f == HERD_FMT_SNAP || f == HERD_FMT_GRAPHALYTICS || f == HERD_FMT_DIMACS) &&
           (c->vertices == 0 || c->vertices == 1) && (c->before == 0 || c->before == 1) &&
           c->dim >= 0 && c->dim <= 2 && (c->ncols == 0 || c->ncols == 2 || c->ncols == 3);
}

static uint64_t staged_lines_before(void *arg)
{
    return *(const uint64_t *)arg;
}

/* ---- entry points ---------------------------------------------------------- */

static int scan_file(const char *path, const struct herd_graph_opts *o, int vertices,
                     uint64_t start, uint64_t end, const struct herd_scan_cb *cb, void *arg,
                     struct herd_err *e)
{
    struct src s;
    int rc = src_open(path, &s, e);
    if (rc != HERD_OK)
        return rc;
    rc = scan(&s, o, vertices, start, end, cb, arg, e);
    src_close(&s);
    return rc;
}

int herd_graph_scan_range(const char *path, const struct herd_graph_opts *o, uint64_t start,
                          uint64_t end, const struct herd_scan_cb *cb, void *arg,
                          struct herd_err *e)
{
    return scan_file(path, o, 0, start, end, cb, arg, e);
}

int herd_graph_scan_vertices_range(const char *vpath, const struct herd_graph_opts *o,
                                   uint64_t start, uint64_t end, const struct herd_scan_cb *cb,
                                   void *arg, struct herd_err *e)
{
    return scan_file(vpath, o, 1, start, end, cb, arg, e);
}

int herd_graph_splittable(const char *path, const struct herd_graph_opts *o, uint64_t *size,
                          struct herd_err *e)
{
    struct src s;
    enum herd_graph_format fmt;
    struct herd_err tmp;
    if (src_open(path, &s, e) != HERD_OK)
        return -1;
    int rc = sniff(&s, o, &fmt, &tmp);
    src_close(&s);
    if (rc != HERD_OK && rc != HERD_EINVAL) {
        if (e)
            *e = tmp;
        return -1;
    }
    *size = s.size;
    return rc == HERD_OK;
}

int herd_graph_scan_finish(const char *path, const struct herd_graph_opts *o, uint64_t nedges,
                           uint64_t nvertices, struct herd_err *e)
{
    struct src s;
    int rc = src_open(path, &s, e);
    if (rc != HERD_OK)
        return rc;
    rc = finish(&s, o, nedges, nvertices, e);
    src_close(&s);
    return rc;
}

int herd_graph_scan_range_mem(const char *name, const void *bytes, size_t len,
                              const struct herd_graph_opts *o, uint64_t start, uint64_t end,
                              const struct herd_scan_cb *cb, void *arg, struct herd_err *e)
{
    struct src s;
    src_mem(name, bytes, len, &s);
    return scan(&s, o, 0, start, end, cb, arg, e);
}

int herd_graph_scan_vertices_range_mem(const char *name, const void *bytes, size_t len,
                                       const struct herd_graph_opts *o, uint64_t start,
                                       uint64_t end, const struct herd_scan_cb *cb, void *arg,
                                       struct herd_err *e)
{
    struct src s;
    src_mem(name, bytes, len, &s);
    return scan(&s, o, 1, start, end, cb, arg, e);
}

int herd_graph_scan_finish_mem(const char *name, const void *bytes, size_t len,
                               const struct herd_graph_opts *o, uint64_t nedges, uint64_t nvertices,
                               struct herd_err *e)
{
    struct src s;
    src_mem(name, bytes, len, &s);
    return finish(&s, o, nedges, nvertices, e);
}

int herd_graph_scan_contexts(const char *path, const struct herd_graph_opts *o, int vertices,
                             const uint64_t *cuts, int k, struct herd_scan_context *out,
                             struct herd_err *e)
{
    struct src s;
    int rc = src_open(path, &s, e);
    if (rc != HERD_OK)
        return rc;
    rc = contexts(&s, o, vertices, cuts, k, out, e);
    src_close(&s);
    return rc;
}

int herd_graph_scan_staged(const char *name, const void *bytes, size_t len,
                           const struct herd_graph_opts *o, const struct herd_scan_context *ctx,
                           const struct herd_scan_cb *cb, void *arg, struct herd_err *e)
{
    static const struct herd_scan_cb none;
    struct src s;
    int f = ctx->format;
    if (!context_valid(ctx, len))
        return herd_err_set(e, HERD_EINVAL,
                            "%s: staged range of %zu bytes does not match its context", name, len);
    src_mem(name, bytes, len, &s);
    struct range_rd r = {.s = &s, .pos = 0, .end = len, .stop = len};
    struct herd_text_first before = {
        .found = ctx->before, .ncols = ctx->ncols, .dim = ctx->dim, .n = ctx->n, .m = ctx->m};
    uint64_t lines = ctx->line - 1;
    struct herd_text_range tr = {.name = name,
                                 .kind = ctx->vertices          ? HERD_TEXT_VERTICES
                                         : f == HERD_FMT_DIMACS ? HERD_TEXT_DIMACS
                                                                : HERD_TEXT_EDGES,
                                 .threads = o->threads,
                                 .weights = o->weighted,
                                 .feed = {.read = range_read, .arg = &r, .size = len},
                                 .before = &before,
                                 .lines_before = staged_lines_before,
                                 .lines_arg = &lines,
                                 .cb = cb ? cb : &none,
                                 .cb_arg = arg};
    return herd_text_scan(&tr, e);
}

int herd_graph_scan_contexts_mem(const char *name, const void *bytes, size_t len,
                                 const struct herd_graph_opts *o, int vertices,
                                 const uint64_t *cuts, int k, struct herd_scan_context *out,
                                 struct herd_err *e)
{
    struct src s;
    src_mem(name, bytes, len, &s);
    return contexts(&s, o, vertices, cuts, k, out, e);
}
