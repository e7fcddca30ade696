/* bytes — explicit big-endian byte helpers for everything that crosses a wire
 * or lands in a file (STYLE habit 9: never memcpy a struct onto the wire).
 *
 * A `struct herd_wbuf` is a growable output buffer (control-sized: aborts on
 * OOM). A `struct herd_rbuf` reads a bounded slice of untrusted bytes: every
 * get checks bounds, and the first failure makes the reader sticky-bad
 * (`r->bad`), so a decoder may read every field and check once at the end.
 * Strings on the wire are u32 length + bytes (no NUL); herd_rbuf_str() copies
 * them into a NUL-terminated heap string the caller frees. Not thread-safe per
 * buffer. */
#ifndef HERD_BASE_BYTES_H
#define HERD_BASE_BYTES_H

#include <stddef.h>
#include <stdint.h>

struct herd_wbuf {
    uint8_t *p;
    size_t len;
    size_t cap;
};

void herd_wbuf_init(struct herd_wbuf *w);
void herd_wbuf_fini(struct herd_wbuf *w);
void herd_wbuf_reset(struct herd_wbuf *w);
void herd_wbuf_reserve(struct herd_wbuf *w, size_t extra);
void herd_wbuf_u8(struct herd_wbuf *w, uint8_t v);
void herd_wbuf_u16(struct herd_wbuf *w, uint16_t v);
void herd_wbuf_u32(struct herd_wbuf *w, uint32_t v);
void herd_wbuf_u64(struct herd_wbuf *w, uint64_t v);
void herd_wbuf_f64(struct herd_wbuf *w, double v);
void herd_wbuf_bytes(struct herd_wbuf *w, const void *p, size_t n);
/* u32 length then the bytes; NULL is written as the empty string. */
void herd_wbuf_blob(struct herd_wbuf *w, const void *p, size_t n);
void herd_wbuf_str(struct herd_wbuf *w, const char *s);
/* Overwrites 4 bytes at `off` (which must already be written) with v. */
void herd_wbuf_patch_u32(struct herd_wbuf *w, size_t off, uint32_t v);

struct herd_rbuf {
    const uint8_t *p;
    size_t len;
    size_t off;
    int bad;
};

void herd_rbuf_init(struct herd_rbuf *r, const void *p, size_t len);
uint8_t herd_rbuf_u8(struct herd_rbuf *r);
uint16_t herd_rbuf_u16(struct herd_rbuf *r);
uint32_t herd_rbuf_u32(struct herd_rbuf *r);
uint64_t herd_rbuf_u64(struct herd_rbuf *r);
double herd_rbuf_f64(struct herd_rbuf *r);
/* Copies n bytes out; zero-fills and marks bad if fewer remain. */
void herd_rbuf_bytes(struct herd_rbuf *r, void *out, size_t n);
/* Returns a pointer into the buffer to a u32-length-prefixed blob, and its
 * length in *n; NULL (and bad) if it runs past the end or exceeds `max`. */
const uint8_t *herd_rbuf_blob(struct herd_rbuf *r, size_t *n, size_t max);
/* Heap copy of a length-prefixed string, NUL-terminated; NULL (and bad) on
 * overrun, length > max, or an embedded NUL byte. Caller frees. */
char *herd_rbuf_str(struct herd_rbuf *r, size_t max);
size_t herd_rbuf_left(const struct herd_rbuf *r);

/* Raw helpers for fixed headers. */
static inline void herd_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void herd_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void herd_put_u64(uint8_t *p, uint64_t v)
{
    herd_put_u32(p, (uint32_t)(v >> 32));
    herd_put_u32(p + 4, (uint32_t)v);
}
static inline uint16_t herd_get_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t herd_get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t herd_get_u64(const uint8_t *p)
{
    return ((uint64_t)herd_get_u32(p) << 32) | herd_get_u32(p + 4);
}

#endif
