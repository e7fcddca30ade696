/* output — writes a finished run as "ID VALUE" lines in dense (= ascending
 * input id) order. Blocks of vertices are formatted in parallel, one block
 * per pool thread, and written in order, so memory stays bounded. */
#include "graph/engine_int.h"

#include "base/mem.h"
#include "graph/numfmt.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 65536u

struct outbuf {
    char *p;
    size_t len, cap;
    int rc;
};

struct round {
    struct herd_engine *en;
    uint32_t first;           /* first vertex of block 0 of this round */
    uint32_t end;             /* one past the last vertex to write */
    struct outbuf *bufs;      /* one per thread */
    struct herd_vctx *ctxs;   /* one per thread, for format() */
};

static int reserve(struct outbuf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return 0;
    size_t cap = (b->len + extra) * 2;
    char *p = realloc(b->p, cap);
    if (p == NULL)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

/* Precondition: cap > HERD_NUMFMT_MAX (format_one reserves more). */
static int default_format(const struct herd_engine *en, uint32_t v, char *s, size_t cap)
{
    const uint8_t *val = herd_engine_val(en, v);
    switch (en->prog->value_type) {
    case HERD_VALUE_I64: {
        int64_t x;
        memcpy(&x, val, 8);
        if (x >= 0)
            return (int)herd_numfmt_u64(s, (uint64_t)x);
        return snprintf(s, cap, "%" PRId64, x);
    }
    case HERD_VALUE_F64: {
        double x;
        memcpy(&x, val, 8);
        if (isinf(x))
            return snprintf(s, cap, "%sinfinity", x < 0 ? "-" : "");
        return (int)herd_numfmt_f64(s, x); /* "%.17g" */
    }
    case HERD_VALUE_VERTEX: {
        uint32_t x;
        memcpy(&x, val, 4);
        if (x >= en->view.n)
            return snprintf(s, cap, "%" PRIu32 "?", x);
        return (int)herd_numfmt_u64(s, herd_graph_id(en->g, x));
    }
    default: {
        uint32_t x;
        memcpy(&x, val, 4);
        return (int)herd_numfmt_u64(s, x);
    }
    }
}

static int format_one(struct herd_engine *en, struct herd_vctx *c, uint32_t v, struct outbuf *b)
{
    size_t want = 64;
    for (;;) {
        if (reserve(b, 24 + want) != 0)
            return HERD_ENOMEM;
        char *s = b->p + b->len;
        int k = (int)herd_numfmt_u64(s, herd_graph_id(en->g, v));
        s[k++] = ' ';
        size_t cap = b->cap - b->len - (size_t)k - 1;
        int n = en->prog->format
                    ? en->prog->format(c, v, herd_engine_val(en, v), s + k, cap)
                    : default_format(en, v, s + k, cap);
        if (n < 0)
            return HERD_EINVAL;
        if ((size_t)n < cap) {
            s[k + n] = '\n';
            b->len += (size_t)k + (size_t)n + 1;
            return HERD_OK;
        }
        want = (size_t)n + 1;
    }
}

static void format_task(void *arg, uint32_t t, uint32_t nt)
{
    (void)nt;
    struct round *r = arg;
    struct outbuf *b = &r->bufs[t];
    b->len = 0;
    b->rc = HERD_OK;
    uint64_t lo = (uint64_t)r->first + (uint64_t)t * BLOCK;
    uint64_t hi = lo + BLOCK < r->end ? lo + BLOCK : r->end;
    for (uint64_t v = lo; v < hi && b->rc == HERD_OK; v++)
        b->rc = format_one(r->en, &r->ctxs[t], (uint32_t)v, b);
}

int herd_engine_write(struct herd_engine *en, FILE *f, struct herd_err *e)
{
    return herd_engine_write_range(en, 0, en->view.n, f, e);
}

int herd_engine_write_range(struct herd_engine *en, uint32_t lo, uint32_t hi, FILE *f,
                            struct herd_err *e)
{
    uint32_t nt = herd_pool_size(en->pool);
    struct round r = {en, lo, hi, herd_xcalloc(nt, sizeof *r.bufs),
                      herd_xcalloc(nt, sizeof *r.ctxs)};
    int rc = HERD_OK;
    for (uint32_t t = 0; t < nt; t++)
        herd_vctx_init(&r.ctxs[t], en, NULL);
    for (uint64_t first = lo; first < hi && rc == HERD_OK; first += (uint64_t)BLOCK * nt) {
        r.first = (uint32_t)first;
        herd_pool_run(en->pool, format_task, &r);
        for (uint32_t t = 0; t < nt && rc == HERD_OK; t++) {
            if (r.bufs[t].rc != HERD_OK)
                rc = herd_err_set(e, r.bufs[t].rc, "%s: format values", en->job);
            else if (r.bufs[t].len && fwrite(r.bufs[t].p, 1, r.bufs[t].len, f) != r.bufs[t].len)
                rc = herd_err_set(e, HERD_EIO, "write result: short write");
        }
    }
    if (rc == HERD_OK && fflush(f) != 0)
        rc = herd_err_set(e, HERD_EIO, "write result: flush failed");
    for (uint32_t t = 0; t < nt; t++) {
        free(r.bufs[t].p);
        herd_vctx_fini(&r.ctxs[t]);
    }
    free(r.bufs);
    free(r.ctxs);
    return rc;
}
