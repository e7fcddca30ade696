#include "graph/binfmt.h"
#include "graph/binfmt_int.h"
#include "base/mem.h"
#include "graph/csr.h"
#include "graph/elist.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t magic[8] = {0x89, 'H', 'G', 'R', '\r', '\n', 0x1a, '\n'};

enum {
    F_DIRECTED = 1u << 0,
    F_WEIGHTED = 1u << 1,
    F_IDS = 1u << 2,    /* explicit id array, else ids are id_base + v */
    F_SORTED = 1u << 3, /* every row sorted by target (always set) */
    F_IN = 1u << 4,     /* in-rows follow the out-rows (directed only) */
    F_KNOWN = F_DIRECTED | F_WEIGHTED | F_IDS | F_SORTED | F_IN
};

#define HOST_LE HERD_BINFMT_HOST_LE

struct header {
    uint32_t version, flags;
    uint64_t n, m, id_base;
};

int herd_binfmt_is(const uint8_t *head, size_t n)
{
    return n >= sizeof magic && memcmp(head, magic, sizeof magic) == 0;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void encode_header(const struct header *h, uint8_t out[HERD_BINFMT_HEADER])
{
    memset(out, 0, HERD_BINFMT_HEADER);
    memcpy(out, magic, sizeof magic);
    put_le(out + 8, h->version, 4);
    put_le(out + 12, h->flags, 4);
    put_le(out + 16, h->n, 8);
    put_le(out + 24, h->m, 8);
    put_le(out + 32, h->id_base, 8);
}

/* Reverses the bytes of every `width`-byte element (big-endian hosts). */
static void swap_all(void *arr, uint64_t count, int width)
{
    uint8_t *p = arr;
    for (uint64_t i = 0; i < count; i++, p += width)
        for (int a = 0, b = width - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* ---- writing -------------------------------------------------------------- */

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes an array of `width`-byte integers or doubles little-endian. */
static int write_le(int fd, const void *arr, uint64_t count, int width)
{
    if (HOST_LE)
        return write_all(fd, arr, count * (uint64_t)width);
    uint8_t buf[1 << 16];
    const uint8_t *p = arr;
    uint64_t per = sizeof buf / (uint64_t)width;
    for (uint64_t i = 0; i < count; i += per) {
        uint64_t k = count - i < per ? count - i : per;
        memcpy(buf, p + i * (uint64_t)width, k * (uint64_t)width);
        swap_all(buf, k, width);
        if (write_all(fd, buf, k * (uint64_t)width) != 0)
            return -1;
    }
    return 0;
}

/* One set of rows: offsets, entries, padding to 8 bytes, weights. */
static int write_rows(int fd, uint32_t n, uint64_t m, const uint64_t *off, const uint32_t *adj,
                      const double *w)
{
    uint8_t pad[4] = {0};
    if (write_le(fd, off, (uint64_t)n + 1, 8) != 0 || write_le(fd, adj, m, 4) != 0)
        return -1;
    if (m % 2 && write_all(fd, pad, 4) != 0)
        return -1;
    return w ? write_le(fd, w, m, 8) : 0;
}

/* A directed graph's in-rows go into the file too when it has them (with
 * weights exactly when the out-rows have them). */
static int has_in_rows(const struct herd_graph *g)
{
    return g->directed && g->in_off && g->in_src && (g->out_w == NULL) == (g->in_w == NULL);
}

static int write_body(int fd, const struct herd_graph *g)
{
    struct header h = {.version = HERD_BINFMT_VERSION, .n = g->n, .m = g->m,
                       .id_base = g->ids ? 0 : g->id_base};
    h.flags = F_SORTED | (g->directed ? F_DIRECTED : 0) | (g->out_w ? F_WEIGHTED : 0) |
              (g->ids ? F_IDS : 0) | (has_in_rows(g) ? F_IN : 0);
    uint8_t hb[HERD_BINFMT_HEADER];
    encode_header(&h, hb);
    if (write_all(fd, hb, sizeof hb) != 0)
        return -1;
    if (g->ids && write_le(fd, g->ids, g->n, 8) != 0)
        return -1;
    if (write_rows(fd, g->n, g->m, g->out_off, g->out_dst, g->out_w) != 0)
        return -1;
    return h.flags & F_IN ? write_rows(fd, g->n, g->m, g->in_off, g->in_src, g->in_w) : 0;
}

int herd_binfmt_write(const struct herd_graph *g, const char *path, struct herd_err *e)
{
    struct stat st;
    char *tmp = NULL;
    int fd;
    if (g->out_off == NULL)
        return herd_err_set(e, HERD_EINVAL, "%s: the graph has no out-rows to write", path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        fd = open(path, O_WRONLY | O_CLOEXEC); /* a device or pipe: write in place */
    } else {
        static unsigned seq;
        tmp = herd_xmalloc(strlen(path) + 40);
        sprintf(tmp, "%s.tmp-%d-%u", path, (int)getpid(), __atomic_fetch_add(&seq, 1, 0));
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    }
    if (fd < 0) {
        herd_err_set(e, HERD_EIO, "%s: %s", path, strerror(errno));
        free(tmp);
        return HERD_EIO;
    }
    int bad = write_body(fd, g) != 0, saved = errno;
    bad |= close(fd) != 0;
    if (!bad && tmp && rename(tmp, path) != 0)
        bad = 1, saved = errno;
    if (bad && tmp)
        unlink(tmp);
    free(tmp);
    if (bad)
        return herd_err_set(e, HERD_EIO, "%s: write: %s", path, strerror(saved));
    return HERD_OK;
}

/* ---- reading -------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int bad(struct herd_err *e, const char *name,
                                                     const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return herd_err_set(e, HERD_EPARSE, "%s: %s", name, msg);
}

static int decode_header(const char *name, const uint8_t *b, struct header *h,
                         struct herd_err *e)
{
    if (memcmp(b, magic, sizeof magic) != 0)
        return bad(e, name, "not a herd binary graph (bad magic)");
    h->version = (uint32_t)get_le(b + 8, 4);
    h->flags = (uint32_t)get_le(b + 12, 4);
    h->n = get_le(b + 16, 8);
    h->m = get_le(b + 24, 8);
    h->id_base = get_le(b + 32, 8);
    if (h->version != HERD_BINFMT_VERSION)
        return bad(e, name, "format version %u, this herd reads version %u", h->version,
                   HERD_BINFMT_VERSION);
    if (h->flags & ~(uint32_t)F_KNOWN || !(h->flags & F_SORTED))
        return bad(e, name, "unknown header flags 0x%x", h->flags);
    if ((h->flags & F_IN) && !(h->flags & F_DIRECTED))
        return bad(e, name, "in-rows in a file stored undirected");
    for (int i = 40; i < HERD_BINFMT_HEADER; i++)
        if (b[i] != 0)
            return bad(e, name, "reserved header byte %d is not zero", i);
    if (h->n > UINT32_MAX)
        return bad(e, name, "%llu vertices: more than 2^32-1", (unsigned long long)h->n);
    if (h->m > (1ULL << 56))
        return bad(e, name, "implausible arc count %llu", (unsigned long long)h->m);
    if (!(h->flags & F_IDS) && h->n > 0 && h->id_base + (h->n - 1) < h->id_base)
        return bad(e, name, "id base %llu + %llu vertices overflows 64 bits",
                   (unsigned long long)h->id_base, (unsigned long long)h->n);
    return HERD_OK;
}

/* Bytes of one set of rows after the offsets. */
static uint64_t entries_size(const struct header *h)
{
    return h->m * 4 + (h->m % 2) * 4 + (h->flags & F_WEIGHTED ? h->m * 8 : 0);
}

/* Bytes after the header that the header implies. */
static uint64_t payload_size(const struct header *h)
{
    uint64_t rows = (h->n + 1) * 8 + entries_size(h);
    return (h->flags & F_IDS ? h->n * 8 : 0) + rows * (h->flags & F_IN ? 2 : 1);
}

int herd_binfmt__layout(const char *name, const uint8_t *hb, struct herd_binfmt_layout *l,
                        struct herd_err *e)
{
    struct header h;
    int rc = decode_header(name, hb, &h, e);
    if (rc != HERD_OK)
        return rc;
    memset(l, 0, sizeof *l);
    l->n = h.n;
    l->m = h.m;
    l->id_base = h.flags & F_IDS ? 0 : h.id_base;
    l->directed = (h.flags & F_DIRECTED) != 0;
    l->weighted = (h.flags & F_WEIGHTED) != 0;
    l->has_ids = (h.flags & F_IDS) != 0;
    l->has_in = (h.flags & F_IN) != 0;
    l->ids_at = HERD_BINFMT_HEADER;
    uint64_t at = HERD_BINFMT_HEADER + (l->has_ids ? h.n * 8 : 0);
    for (int k = 0; k < 1 + l->has_in; k++) {
        l->off_at[k] = at;
        l->adj_at[k] = at + (h.n + 1) * 8;
        l->w_at[k] = l->adj_at[k] + h.m * 4 + (h.m % 2) * 4;
        at += (h.n + 1) * 8 + entries_size(&h);
    }
    l->size = HERD_BINFMT_HEADER + payload_size(&h);
    return HERD_OK;
}

void herd_binfmt__swap(void *arr, uint64_t count, int width)
{
    swap_all(arr, count, width);
}

/* Reads `count` elements of `width` bytes. With the input size known and
 * checked, one allocation and one read; otherwise the array grows with the
 * data, so a lying header cannot make us allocate more than arrives. */
static int read_array(const char *name, struct herd_zread *z, int known, uint64_t count,
                      int width, const char *what, void **out, struct herd_err *e)
{
    uint64_t bytes = count * (uint64_t)width, have = 0;
    uint64_t cap = known ? bytes : (bytes < (1u << 20) ? bytes : (1u << 20));
    uint8_t *p = malloc(cap ? cap : 1);
    if (p == NULL)
        return herd_err_set(e, HERD_ENOMEM, "%s: %s (%llu bytes)", name, what,
                            (unsigned long long)bytes);
    while (have < bytes) {
        if (have == cap) {
            cap = bytes - cap < cap ? bytes : cap * 2;
            uint8_t *q = realloc(p, cap);
            if (q == NULL) {
                free(p);
                return herd_err_set(e, HERD_ENOMEM, "%s: %s", name, what);
            }
            p = q;
        }
        size_t got;
        int rc = herd_zread_read(z, p + have, cap - have, &got, e);
        if (rc != HERD_OK || got == 0) {
            free(p);
            return rc != HERD_OK ? rc
                                 : bad(e, name, "truncated: %s ends after %llu of %llu bytes",
                                       what, (unsigned long long)have, (unsigned long long)bytes);
        }
        have += got;
    }
    if (!HOST_LE)
        swap_all(p, count, width);
    *out = p;
    return HERD_OK;
}

int herd_binfmt__check_ids(const char *name, const uint64_t *ids, uint64_t n, struct herd_err *e)
{
    for (uint64_t v = 1; v < n; v++)
        if (ids[v - 1] >= ids[v])
            return bad(e, name, "vertex ids not strictly ascending at vertex %llu",
                       (unsigned long long)v);
    return HERD_OK;
}

/* Offsets always; entries and weights when they were read (`what`: "" for
 * the out-rows, "in-" for the in-rows). */
static int check_rows(const char *name, uint32_t n, uint64_t m, const struct herd_csr *c,
                      const char *what, struct herd_err *e)
{
    if (c->off[0] != 0)
        return bad(e, name, "%soffset of vertex 0 is %llu, not 0", what,
                   (unsigned long long)c->off[0]);
    for (uint32_t v = 0; v < n; v++)
        if (c->off[v + 1] < c->off[v])
            return bad(e, name, "%soffsets decrease at vertex %u", what, v + 1);
    if (c->off[n] != m)
        return bad(e, name, "last %soffset %llu does not match %llu arcs", what,
                   (unsigned long long)c->off[n], (unsigned long long)m);
    for (uint32_t v = 0; c->adj && v < n; v++)
        for (uint64_t j = c->off[v]; j < c->off[v + 1]; j++) {
            if (c->adj[j] >= n)
                return bad(e, name, "%sarc %llu %s vertex %u, but there are %u", what,
                           (unsigned long long)j, *what ? "comes from" : "targets", c->adj[j],
                           n);
            if (j > c->off[v] && c->adj[j] < c->adj[j - 1])
                return bad(e, name, "%srow of vertex %u is not sorted", what, v);
        }
    for (uint64_t j = 0; c->w && j < m; j++)
        if (!isfinite(c->w[j]) || c->w[j] < 0)
            return bad(e, name, "%sarc %llu has weight %g", what, (unsigned long long)j, c->w[j]);
    return HERD_OK;
}

/* An undirected file holds both arcs of each edge: in-degree = out-degree. */
static int check_symmetric(const char *name, uint32_t n, const struct herd_csr *c,
                           struct herd_err *e)
{
    uint64_t *in = calloc((size_t)n + 1, sizeof *in);
    if (in == NULL)
        return herd_err_set(e, HERD_ENOMEM, "%s: degree check", name);
    for (uint64_t j = 0; j < c->off[n]; j++)
        in[c->adj[j]]++;
    for (uint32_t v = 0; v < n; v++)
        if (in[v] != c->off[v + 1] - c->off[v]) {
            unsigned long long nin = in[v], nout = c->off[v + 1] - c->off[v];
            free(in);
            return bad(e, name, "stored undirected, but vertex %u has %llu arcs out and %llu in",
                       v, nout, nin);
        }
    free(in);
    return HERD_OK;
}

/* Reads and drops `bytes` bytes (arrays the caller does not need). */
static int skip_bytes(const char *name, struct herd_zread *z, uint64_t bytes, const char *what,
                      struct herd_err *e)
{
    size_t cap = bytes < (1u << 20) ? (size_t)bytes : (1u << 20), got;
    uint8_t *buf = malloc(cap ? cap : 1);
    int rc = buf ? HERD_OK : herd_err_set(e, HERD_ENOMEM, "%s: skip buffer", name);
    while (rc == HERD_OK && bytes > 0) {
        rc = herd_zread_read(z, buf, bytes < cap ? (size_t)bytes : cap, &got, e);
        if (rc == HERD_OK && got == 0)
            rc = bad(e, name, "truncated: %s end early", what);
        bytes -= got;
    }
    free(buf);
    return rc;
}

/* Which arrays of the file the caller keeps. */
struct keep {
    int out_adj; /* out-row entries and weights (the out-offsets are always read) */
    int in_rows; /* the in-rows, when the file has them */
};

/* One set of rows; `pre` is "" (out-rows) or "in-". With !keep_adj only
 * the offsets are kept. */
static int read_rows(const char *name, struct herd_zread *z, int known, const struct header *h,
                     const char *pre, int keep_adj, struct herd_csr *c, struct herd_err *e)
{
    char what[3][24];
    uint8_t pad[4];
    size_t got;
    snprintf(what[0], sizeof what[0], "%soffsets", pre);
    snprintf(what[1], sizeof what[1], "%s", *pre ? "sources" : "targets");
    snprintf(what[2], sizeof what[2], "%sweights", pre);
    int rc = read_array(name, z, known, h->n + 1, 8, what[0], (void **)&c->off, e);
    if (rc != HERD_OK || !keep_adj)
        return rc != HERD_OK ? rc : skip_bytes(name, z, entries_size(h), what[1], e);
    rc = read_array(name, z, known, h->m, 4, what[1], (void **)&c->adj, e);
    if (rc == HERD_OK && h->m % 2) {
        rc = herd_zread_read(z, pad, 4, &got, e);
        if (rc == HERD_OK && got < 4)
            rc = bad(e, name, "truncated: padding after the %s is missing", what[1]);
    }
    if (rc == HERD_OK && (h->flags & F_WEIGHTED))
        rc = read_array(name, z, known, h->m, 8, what[2], (void **)&c->w, e);
    return rc;
}

static int read_payload(const char *name, struct herd_zread *z, const struct header *h,
                        const struct keep *k, uint64_t **ids, struct herd_csr *c,
                        struct herd_csr *in, struct herd_err *e)
{
    uint64_t left = herd_zread_left(z);
    int known = left != UINT64_MAX, rc = HERD_OK;
    uint8_t extra;
    size_t got;
    if (known && left != payload_size(h))
        return bad(e, name, "%llu bytes after the header, but the header implies %llu",
                   (unsigned long long)left, (unsigned long long)payload_size(h));
    if (h->flags & F_IDS)
        rc = read_array(name, z, known, h->n, 8, "vertex ids", (void **)ids, e);
    if (rc == HERD_OK)
        rc = read_rows(name, z, known, h, "", k->out_adj, c, e);
    if (rc == HERD_OK && (h->flags & F_IN) && k->in_rows)
        rc = read_rows(name, z, known, h, "in-", 1, in, e);
    else if (rc == HERD_OK && (h->flags & F_IN))
        rc = skip_bytes(name, z, (h->n + 1) * 8 + entries_size(h), "in-rows", e);
    if (rc == HERD_OK)
        rc = herd_zread_read(z, &extra, 1, &got, e);
    if (rc == HERD_OK && got != 0)
        rc = bad(e, name, "trailing data after the last array");
    return rc;
}

static int set_weights(const char *name, struct herd_csr *c, uint64_t m, int want,
                       struct herd_err *e)
{
    if (want == HERD_GRAPH_WEIGHTS_AUTO)
        return HERD_OK;
    if (!want) {
        free(c->w);
        c->w = NULL;
    } else if (c->w == NULL) {
        c->w = malloc((m ? m : 1) * sizeof *c->w);
        if (c->w == NULL)
            return herd_err_set(e, HERD_ENOMEM, "%s: weights", name);
        for (uint64_t j = 0; j < m; j++)
            c->w[j] = 1.0;
    }
    return HERD_OK;
}

/* A file stored directed, asked for undirected: rebuild from its arcs. */
static int to_undirected(const struct header *h, uint64_t *ids, struct herd_csr *c,
                         const struct herd_graph_opts *o, struct herd_graph **out,
                         struct herd_err *e)
{
    uint32_t n = (uint32_t)h->n;
    struct herd_eblock b = {.n = h->m, .d32 = c->adj, .w = c->w};
    struct herd_elist el;
    struct herd_idmap map = {.n = n, .base = ids ? 0 : h->id_base, .ids = ids};
    b.s32 = malloc((h->m ? h->m : 1) * sizeof *b.s32);
    if (b.s32 == NULL) {
        free(ids);
        herd_csr_free(c);
        return herd_err_set(e, HERD_ENOMEM, "undirected copy of %llu arcs",
                            (unsigned long long)h->m);
    }
    for (uint32_t v = 0; v < n; v++)
        for (uint64_t j = c->off[v]; j < c->off[v + 1]; j++)
            b.s32[j] = v;
    free(c->off);
    memset(c, 0, sizeof *c);
    herd_elist_init(&el);
    herd_elist_add(&el, &b);
    el.dense = 1;
    return herd_elist_build(&el, &map, NULL, 0, o, out, e);
}

/* The in-rows: the file's, or the transpose of the out-rows. */
static int in_rows(const struct header *h, struct herd_csr *c, struct herd_csr *in,
                   const struct herd_graph_opts *o, struct herd_err *e)
{
    if (in->off == NULL)
        return herd_csr_transpose(c, (uint32_t)h->n, o->threads, in, e);
    return HERD_OK;
}

/* Builds the graph from the arrays read (all owned; freed on failure). */
static int shape(const struct header *h, uint64_t *ids, struct herd_csr *c,
                 struct herd_csr *in, const struct herd_graph_opts *o, struct herd_graph **out,
                 struct herd_err *e)
{
    uint32_t n = (uint32_t)h->n;
    uint32_t *deg = NULL;
    int rc = HERD_OK, only_in = o->directed && !o->need_out && o->need_in;
    if (h->flags & F_DIRECTED && !o->directed) {
        herd_csr_free(in);
        return to_undirected(h, ids, c, o, out, e);
    }
    if (o->simplify)
        herd_csr_simplify(c, n);
    if (o->directed && o->need_in)
        rc = in_rows(h, c, in, o, e);
    if (rc == HERD_OK && only_in && (deg = herd_csr_degrees(c, n)) == NULL)
        rc = herd_err_set(e, HERD_ENOMEM, "out-degrees of %u vertices", n);
    if (rc != HERD_OK) {
        free(ids);
        herd_csr_free(c);
        herd_csr_free(in);
        return rc;
    }
    struct herd_graph *g = herd_xcalloc(1, sizeof *g);
    g->n = n;
    g->m = c->off[n];
    g->directed = o->directed;
    g->ids = ids;
    g->id_base = ids ? 0 : h->id_base;
    g->out_deg = deg;
    if (only_in) {
        herd_csr_free(c);
    } else {
        g->out_off = c->off;
        g->out_dst = c->adj;
        g->out_w = c->w;
    }
    if (o->directed) {
        g->in_off = in->off;
        g->in_src = in->adj;
        g->in_w = in->w;
    } else {
        g->in_off = g->out_off;
        g->in_src = g->out_dst;
        g->in_w = g->out_w;
    }
    *out = g;
    return HERD_OK;
}

/* Validates what was read and applies the weight choice to both row sets. */
static int check_all(const char *name, const struct header *h, const uint64_t *ids,
                     struct herd_csr *c, struct herd_csr *in, const struct herd_graph_opts *o,
                     struct herd_err *e)
{
    uint32_t n = (uint32_t)h->n;
    int rc = ids ? herd_binfmt__check_ids(name, ids, h->n, e) : HERD_OK;
    if (rc == HERD_OK)
        rc = check_rows(name, n, h->m, c, "", e);
    if (rc == HERD_OK && in->off)
        rc = check_rows(name, n, h->m, in, "in-", e);
    if (rc == HERD_OK && !(h->flags & F_DIRECTED))
        rc = check_symmetric(name, n, c, e);
    if (rc == HERD_OK && c->adj)
        rc = set_weights(name, c, h->m, o->weighted, e);
    if (rc == HERD_OK && in->off)
        rc = set_weights(name, in, h->m, o->weighted, e);
    return rc;
}

int herd_binfmt_read(const char *name, struct herd_zread *z, const struct herd_graph_opts *o,
                     struct herd_graph **out, struct herd_err *e)
{
    uint8_t hb[HERD_BINFMT_HEADER];
    struct header h = {0};
    struct herd_csr c = {0}, in = {0};
    uint64_t *ids = NULL;
    size_t got;
    int rc = herd_zread_read(z, hb, sizeof hb, &got, e);
    if (rc != HERD_OK)
        return rc;
    if (memcmp(hb, magic, got < sizeof magic ? got : sizeof magic) != 0 || got < sizeof magic)
        return bad(e, name, "not a herd binary graph (bad magic)");
    if (got < sizeof hb)
        return bad(e, name, "truncated header (%zu of %d bytes)", got, HERD_BINFMT_HEADER);
    rc = decode_header(name, hb, &h, e);
    if (rc == HERD_OK && !(h.flags & F_DIRECTED) && o->directed)
        rc = herd_err_set(e, HERD_EINVAL,
                          "%s: stored undirected; load it undirected, or convert the source "
                          "again with --directed",
                          name);
    /* A pull-only load of a file with in-rows needs no out-row entries.
     * With --simplify the in-rows are the transpose of the simplified
     * out-rows, so the two sets cannot disagree. */
    struct keep k = {.out_adj = 1, .in_rows = o->directed && o->need_in && !o->simplify};
    if ((h.flags & F_IN) && k.in_rows && !o->need_out)
        k.out_adj = 0;
    if (rc == HERD_OK)
        rc = read_payload(name, z, &h, &k, &ids, &c, &in, e);
    if (rc == HERD_OK)
        rc = check_all(name, &h, ids, &c, &in, o, e);
    if (rc != HERD_OK) {
        free(ids);
        herd_csr_free(&c);
        herd_csr_free(&in);
        return rc;
    }
    return shape(&h, ids, &c, &in, o, out, e);
}
