#include "base/bytes.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

void herd_wbuf_init(struct herd_wbuf *w)
{
    w->p = NULL;
    w->len = 0;
    w->cap = 0;
}

void herd_wbuf_fini(struct herd_wbuf *w)
{
    free(w->p);
    herd_wbuf_init(w);
}

void herd_wbuf_reset(struct herd_wbuf *w)
{
    w->len = 0;
}

void herd_wbuf_reserve(struct herd_wbuf *w, size_t extra)
{
    herd_xgrow((void **)&w->p, &w->cap, w->len + extra, 1);
}

void herd_wbuf_bytes(struct herd_wbuf *w, const void *p, size_t n)
{
    herd_wbuf_reserve(w, n);
    if (n)
        memcpy(w->p + w->len, p, n);
    w->len += n;
}

void herd_wbuf_u8(struct herd_wbuf *w, uint8_t v)
{
    herd_wbuf_bytes(w, &v, 1);
}

void herd_wbuf_u16(struct herd_wbuf *w, uint16_t v)
{
    uint8_t b[2];
    herd_put_u16(b, v);
    herd_wbuf_bytes(w, b, 2);
}

void herd_wbuf_u32(struct herd_wbuf *w, uint32_t v)
{
    uint8_t b[4];
    herd_put_u32(b, v);
    herd_wbuf_bytes(w, b, 4);
}

void herd_wbuf_u64(struct herd_wbuf *w, uint64_t v)
{
    uint8_t b[8];
    herd_put_u64(b, v);
    herd_wbuf_bytes(w, b, 8);
}

void herd_wbuf_f64(struct herd_wbuf *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    herd_wbuf_u64(w, u);
}

void herd_wbuf_blob(struct herd_wbuf *w, const void *p, size_t n)
{
    herd_wbuf_u32(w, (uint32_t)n);
    herd_wbuf_bytes(w, p, n);
}

void herd_wbuf_str(struct herd_wbuf *w, const char *s)
{
    herd_wbuf_blob(w, s, s ? strlen(s) : 0);
}

void herd_wbuf_patch_u32(struct herd_wbuf *w, size_t off, uint32_t v)
{
    herd_put_u32(w->p + off, v);
}

void herd_rbuf_init(struct herd_rbuf *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->bad = 0;
}

size_t herd_rbuf_left(const struct herd_rbuf *r)
{
    return r->bad ? 0 : r->len - r->off;
}

static const uint8_t *take(struct herd_rbuf *r, size_t n)
{
    if (r->bad || r->len - r->off < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *q = r->p + r->off;
    r->off += n;
    return q;
}

uint8_t herd_rbuf_u8(struct herd_rbuf *r)
{
    const uint8_t *q = take(r, 1);
    return q ? q[0] : 0;
}

uint16_t herd_rbuf_u16(struct herd_rbuf *r)
{
    const uint8_t *q = take(r, 2);
    return q ? herd_get_u16(q) : 0;
}

uint32_t herd_rbuf_u32(struct herd_rbuf *r)
{
    const uint8_t *q = take(r, 4);
    return q ? herd_get_u32(q) : 0;
}

uint64_t herd_rbuf_u64(struct herd_rbuf *r)
{
    const uint8_t *q = take(r, 8);
    return q ? herd_get_u64(q) : 0;
}

double herd_rbuf_f64(struct herd_rbuf *r)
{
    uint64_t u = herd_rbuf_u64(r);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

void herd_rbuf_bytes(struct herd_rbuf *r, void *out, size_t n)
{
    const uint8_t *q = take(r, n);
    if (q)
        memcpy(out, q, n);
    else
        memset(out, 0, n);
}

const uint8_t *herd_rbuf_blob(struct herd_rbuf *r, size_t *n, size_t max)
{
    uint32_t len = herd_rbuf_u32(r);
    if (r->bad || len > max) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *q = take(r, len);
    if (q)
        *n = len;
    return q;
}

char *herd_rbuf_str(struct herd_rbuf *r, size_t max)
{
    size_t n = 0;
    const uint8_t *q = herd_rbuf_blob(r, &n, max);
    if (q == NULL)
        return NULL;
    if (n && memchr(q, 0, n) != NULL) {
        r->bad = 1;
        return NULL;
    }
    char *s = malloc(n + 1);
    if (s == NULL) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, q, n);
    s[n] = '\0';
    return s;
}
