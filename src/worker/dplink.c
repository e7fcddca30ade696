/* dplink — a data-plane connection, plain or TLS (dplink.h). The TLS
 * session only transforms bytes (memory BIOs); this file moves them: the
 * session's ciphertext goes straight to the socket with blocking writes,
 * socket bytes are fed to it 16 KiB at a time and the plaintext it yields
 * waits in `in` until read. Plaintext is handed to the session in slices
 * of at most 256 KiB, so a large batch never sits whole in a second
 * (ciphertext) buffer. */
#include "worker/dplink.h"

#include "base/bytes.h"
#include "wire/frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FEED_CHUNK 16384
#define WRITE_SLICE (256u << 10)

void herd_dplink_init(struct herd_dplink *l)
{
    memset(l, 0, sizeof *l);
    l->fd = -1;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void emit(void *arg, const uint8_t *p, size_t n)
{
    struct herd_dplink *l = arg;
    if (!l->wfail && write_all(l->fd, p, n) != 0)
        l->wfail = 1;
}

static int keep_plain(void *arg, const uint8_t *p, size_t n)
{
    struct herd_dplink *l = arg;
    if (l->in_off == l->in_len)
        l->in_off = l->in_len = 0;
    if (l->in_len + n > l->in_cap) {
        size_t cap = l->in_cap ? l->in_cap : FEED_CHUNK;
        while (cap < l->in_len + n)
            cap *= 2;
        uint8_t *q = realloc(l->in, cap);
        if (q == NULL)
            return -1;
        l->in = q;
        l->in_cap = cap;
    }
    memcpy(l->in + l->in_len, p, n);
    l->in_len += n;
    return 0;
}

static struct herd_tls_io io_of(struct herd_dplink *l)
{
    return (struct herd_tls_io){l, emit, keep_plain};
}

int herd_dplink_open(struct herd_dplink *l, int fd, struct herd_tls *tls, struct herd_err *e)
{
    herd_dplink_init(l);
    l->fd = fd;
    if (tls == NULL)
        return HERD_OK;
    l->tls = herd_tls_session_create(tls, NULL);
    struct herd_tls_io io = io_of(l);
    int rc = herd_tls_start(l->tls, &io, e);
    if (rc == HERD_OK && l->wfail)
        rc = herd_err_set(e, HERD_ECLOSED, "TLS hello: %s", strerror(errno));
    return rc;
}

int herd_dplink_send(struct herd_dplink *l, uint16_t type, const uint8_t *hdr, size_t hlen,
                     const uint8_t *body, size_t blen, struct herd_err *e)
{
    uint8_t head[HERD_FRAME_HEADER + 64];
    if (hlen > 64 || (uint64_t)hlen + blen > UINT32_MAX)
        return herd_err_set(e, HERD_EINVAL, "data-plane frame too large");
    herd_frame_header_put(head, type, (uint32_t)(hlen + blen));
    if (hlen)
        memcpy(head + HERD_FRAME_HEADER, hdr, hlen);
    if (l->fd < 0)
        return herd_err_set(e, HERD_ECLOSED, "data-plane connection not open");
    if (l->tls == NULL) {
        if (write_all(l->fd, head, HERD_FRAME_HEADER + hlen) ||
            (blen && write_all(l->fd, body, blen)))
            return herd_err_set(e, HERD_ECLOSED, "data-plane write: %s", strerror(errno));
        return HERD_OK;
    }
    struct herd_tls_io io = io_of(l);
    int rc = herd_tls_write(l->tls, head, HERD_FRAME_HEADER + hlen, &io, e);
    for (size_t off = 0; rc == HERD_OK && off < blen && !l->wfail; off += WRITE_SLICE) {
        size_t k = blen - off < WRITE_SLICE ? blen - off : WRITE_SLICE;
        rc = herd_tls_write(l->tls, body + off, k, &io, e);
    }
    if (rc == HERD_OK && l->wfail)
        rc = herd_err_set(e, HERD_ECLOSED, "data-plane write: %s", strerror(errno));
    return rc;
}

/* Socket bytes into the session until some plaintext is buffered. */
static int fill(struct herd_dplink *l, struct herd_err *e)
{
    uint8_t buf[FEED_CHUNK];
    struct herd_tls_io io = io_of(l);
    while (l->in_off == l->in_len) {
        ssize_t k = recv(l->fd, buf, sizeof buf, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return herd_err_set(e, HERD_ETIMEOUT, "timed out waiting for the peer");
        if (k <= 0)
            return herd_err_set(e, HERD_ECLOSED, "connection closed%s",
                                herd_tls_ready(l->tls) ? "" : " during the TLS handshake");
        int rc = herd_tls_feed(l->tls, buf, (size_t)k, &io, e);
        if (rc != HERD_OK)
            return rc;
        if (l->wfail)
            return herd_err_set(e, HERD_ECLOSED, "data-plane write: %s", strerror(errno));
    }
    return HERD_OK;
}

static int read_exact(struct herd_dplink *l, uint8_t *p, size_t n, struct herd_err *e)
{
    while (n > 0) {
        if (l->tls == NULL) {
            ssize_t k = recv(l->fd, p, n, 0);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return herd_err_set(e, HERD_ETIMEOUT, "timed out waiting for the peer");
            if (k <= 0)
                return herd_err_set(e, HERD_ECLOSED, "connection closed");
            p += k;
            n -= (size_t)k;
            continue;
        }
        int rc = l->in_off < l->in_len ? HERD_OK : fill(l, e);
        if (rc != HERD_OK)
            return rc;
        size_t k = l->in_len - l->in_off < n ? l->in_len - l->in_off : n;
        memcpy(p, l->in + l->in_off, k);
        l->in_off += k;
        p += k;
        n -= k;
    }
    return HERD_OK;
}

int herd_dplink_read(struct herd_dplink *l, uint32_t max, uint16_t *type, uint8_t **body,
                     uint32_t *len, struct herd_err *e)
{
    uint8_t h[HERD_FRAME_HEADER];
    struct herd_frame_header fh;
    int rc = read_exact(l, h, sizeof h, e);
    if (rc != HERD_OK)
        return rc;
    rc = herd_frame_header_get(h, max, &fh, e);
    if (rc != HERD_OK)
        return herd_err_wrap(e, "bad frame: "), rc;
    uint8_t *b = malloc(fh.length ? fh.length : 1);
    if (b == NULL)
        return herd_err_set(e, HERD_ENOMEM, "data-plane frame of %u bytes", fh.length);
    rc = read_exact(l, b, fh.length, e);
    if (rc != HERD_OK) {
        free(b);
        return rc;
    }
    *type = fh.type;
    *body = b;
    *len = fh.length;
    return HERD_OK;
}

void herd_dplink_shutdown(struct herd_dplink *l)
{
    if (l->fd >= 0)
        shutdown(l->fd, SHUT_RDWR);
}

void herd_dplink_fini(struct herd_dplink *l)
{
    if (l->fd >= 0)
        close(l->fd);
    herd_tls_session_destroy(l->tls);
    free(l->in);
    herd_dplink_init(l);
}
