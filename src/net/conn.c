#include "net/conn.h"

#include "base/bytes.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/tls.h"
#include "wire/frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 65536

struct herd_conn {
    uv_tcp_t tcp;
    uv_timer_t connect_timer;  /* connect side only: gives up on a silent SYN */
    int nhandles;              /* open uv handles; freed at 0 */
    uv_connect_t connect_req;
    uv_shutdown_t shutdown_req;
    const struct herd_conn_handler *h;
    void *data;
    struct herd_frame_reader reader;
    char peer[64];
    char why[256];
    int closing;
    size_t queued;
    uint64_t bytes_in;            /* received from the peer so far */
    struct herd_tls_session *tls; /* NULL = plain TCP */
    struct herd_wbuf pend;        /* herd_conn_send_batched frames not yet written */
    char rbuf[READ_CHUNK];
};

#define BATCH_MAX (64u << 10) /* pending bytes that are written at once */

static const struct herd_conn_handler no_handler;

struct write_req {
    uv_write_t req;
    struct herd_conn *conn;
    struct herd_wbuf buf;
    size_t tail_len;              /* herd_conn_send_tail: borrowed bytes after buf */
    void (*done)(void *arg);
    void *done_arg;
};

void herd_sockaddr_str(const struct sockaddr *sa, char *buf, size_t n)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        uv_ip4_name(in, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(buf, n, "%s:%d", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        uv_ip6_name(in6, host, sizeof host);
        port = ntohs(in6->sin6_port);
        snprintf(buf, n, "[%s]:%d", host, port);
    } else {
        snprintf(buf, n, "?");
    }
}

static struct herd_conn *conn_new(const struct herd_conn_handler *h, void *data, uint32_t max)
{
    struct herd_conn *c = herd_xcalloc(1, sizeof *c);
    c->h = h;
    c->data = data;
    c->tcp.data = c;
    herd_frame_reader_init(&c->reader, max ? max : HERD_FRAME_MAX_DEFAULT);
    herd_wbuf_init(&c->pend);
    snprintf(c->peer, sizeof c->peer, "?");
    return c;
}

static void release(struct herd_conn *c)
{
    if (--c->nhandles > 0)
        return;
    herd_frame_reader_fini(&c->reader);
    herd_tls_session_destroy(c->tls);
    herd_wbuf_fini(&c->pend);
    free(c);
}

static void on_closed(uv_handle_t *handle)
{
    struct herd_conn *c = handle->data;
    if (c->h->on_close)
        c->h->on_close(c, c->why[0] ? c->why : "closed");
    release(c);
}

static void on_timer_closed(uv_handle_t *handle)
{
    release(handle->data);
}

/* Records why the connection closes (first reason wins), truncating. */
static void set_why(struct herd_conn *c, const char *prefix, const char *why)
{
    if (c->why[0] != '\0' || why == NULL)
        return;
    size_t k = strlen(prefix), n = strlen(why), room = sizeof c->why - 1;
    if (k > room)
        k = room;
    memcpy(c->why, prefix, k);
    if (n > room - k)
        n = room - k;
    memcpy(c->why + k, why, n);
    c->why[k + n] = '\0';
}

static void close_now(struct herd_conn *c, const char *why)
{
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    set_why(c, "", why);
    c->closing = 1;
    c->queued -= c->pend.len; /* batched frames die with the connection */
    c->pend.len = 0;
    uv_close((uv_handle_t *)&c->tcp, on_closed);
    if (c->nhandles == 2)
        uv_close((uv_handle_t *)&c->connect_timer, on_timer_closed);
}

static void on_alloc(uv_handle_t *handle, size_t hint, uv_buf_t *buf)
{
    struct herd_conn *c = handle->data;
    (void)hint;
    uint8_t *p;
    struct herd_err e;
    herd_err_clear(&e);
    size_t room = c->tls == NULL ? herd_frame_reader_room(&c->reader, READ_CHUNK, &p, &e) : 0;
    if (room > 0) { /* the rest of a large body: read it in place, no copy */
        buf->base = (char *)p;
        buf->len = room;
        return;
    }
    if (c->reader.failed && e.msg[0]) /* room could not grow the body: the real reason */
        set_why(c, "bad frame: ", e.msg);
    buf->base = c->rbuf;
    buf->len = sizeof c->rbuf;
}

static int on_frame(void *arg, const struct herd_frame_header *fh, const uint8_t *body)
{
    struct herd_conn *c = arg;
    struct herd_msg m;
    struct herd_err e;
    herd_err_clear(&e);
    if (herd_msg_decode_view(fh->type, body, fh->length, &m, &e) != HERD_OK) {
        herd_warn("net", "%s: bad frame: %s; closing this connection", c->peer, e.msg);
        set_why(c, "bad frame: ", e.msg);
        close_now(c, NULL);
        return 1;
    }
    if (!c->closing)
        c->h->on_msg(c, &m);
    herd_msg_free(&m);
    return c->closing;
}

/* What the frame reader said: a bad frame closes the connection. */
static void reader_done(struct herd_conn *c, int rc, const struct herd_err *e)
{
    if (rc == HERD_OK || rc == HERD_ECLOSED)
        return;
    herd_warn("net", "%s: bad frame: %s; closing this connection", c->peer, e->msg);
    set_why(c, "bad frame: ", e->msg);
    close_now(c, NULL);
}

/* Plaintext bytes into the frame reader; non-zero once the conn is closing. */
static int feed_frames(void *arg, const uint8_t *p, size_t n)
{
    struct herd_conn *c = arg;
    struct herd_err e;
    herd_err_clear(&e);
    reader_done(c, herd_frame_reader_feed(&c->reader, p, n, on_frame, c, &e), &e);
    return c->closing;
}

/* n bytes were read straight into the frame reader's body. */
static void commit_frames(struct herd_conn *c, size_t n)
{
    struct herd_err e;
    herd_err_clear(&e);
    reader_done(c, herd_frame_reader_commit(&c->reader, n, on_frame, c, &e), &e);
}

static void raw_write(void *arg, const uint8_t *p, size_t n);

static const struct herd_tls_io *tls_io(struct herd_conn *c, struct herd_tls_io *io)
{
    io->arg = c;
    io->emit = raw_write;
    io->plain = feed_frames;
    return io;
}

/* Ciphertext from the socket through the TLS session. */
static void feed_tls(struct herd_conn *c, const uint8_t *p, size_t n)
{
    struct herd_tls_io io;
    struct herd_err e;
    herd_err_clear(&e);
    int rc = herd_tls_feed(c->tls, p, n, tls_io(c, &io), &e);
    if (rc == HERD_OK || c->closing)
        return;
    if (rc == HERD_ECLOSED) {
        close_now(c, "peer closed");
        return;
    }
    herd_warn("net", "%s: %s; closing this connection", c->peer, e.msg);
    set_why(c, "", e.msg);
    close_now(c, NULL);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct herd_conn *c = s->data;
    if (nread < 0) {
        close_now(c, nread == UV_EOF ? "peer closed" : uv_strerror((int)nread));
        return;
    }
    c->bytes_in += (uint64_t)nread;
    if (c->tls != NULL) {
        feed_tls(c, (const uint8_t *)buf->base, (size_t)nread);
        return;
    }
    if (buf->base != c->rbuf) { /* on_alloc gave the frame reader's body */
        commit_frames(c, (size_t)nread);
        return;
    }
    feed_frames(c, (const uint8_t *)buf->base, (size_t)nread);
}

static void fill_peer(struct herd_conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
        herd_sockaddr_str((struct sockaddr *)&ss, c->peer, sizeof c->peer);
}

int herd_conn_accept(uv_stream_t *server, const struct herd_conn_handler *h, void *data,
                     uint32_t max_frame, struct herd_conn **out, struct herd_err *e)
{
    struct herd_conn *c = conn_new(h, data, max_frame);
    uv_tcp_init(server->loop, &c->tcp);
    c->nhandles = 1;
    int rc = uv_accept(server, (uv_stream_t *)&c->tcp);
    if (rc != 0) {
        c->h = &no_handler;
        close_now(c, "accept failed");
        return herd_err_set(e, HERD_EIO, "accept: %s", uv_strerror(rc));
    }
    uv_tcp_nodelay(&c->tcp, 1);
    fill_peer(c);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    *out = c;
    return HERD_OK;
}

/* A SYN into a partition can wait minutes for the kernel's retries; the
 * owner would rather try again (next address, backoff) on its own terms. */
static void on_connect_timeout(uv_timer_t *t)
{
    struct herd_conn *c = t->data;
    close_now(c, "connect timed out");
}

static void on_connected(uv_connect_t *req, int status)
{
    struct herd_conn *c = req->handle->data;
    uv_timer_stop(&c->connect_timer);
    if (status != 0) {
        close_now(c, uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    fill_peer(c);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (c->tls != NULL) {
        struct herd_tls_io io;
        struct herd_err e;
        if (herd_tls_start(c->tls, tls_io(c, &io), &e) != HERD_OK) {
            close_now(c, e.msg);
            return;
        }
    }
    if (c->h->on_connect)
        c->h->on_connect(c);
}

int herd_conn_connect(uv_loop_t *loop, const struct sockaddr *addr,
                      const struct herd_conn_handler *h, void *data, uint32_t max_frame,
                      struct herd_conn **out, struct herd_err *e)
{
    struct herd_conn *c = conn_new(h, data, max_frame);
    uv_tcp_init(loop, &c->tcp);
    uv_timer_init(loop, &c->connect_timer);
    c->connect_timer.data = c;
    c->nhandles = 2;
    herd_sockaddr_str(addr, c->peer, sizeof c->peer);
    int rc = uv_tcp_connect(&c->connect_req, &c->tcp, addr, on_connected);
    if (rc == 0)
        uv_timer_start(&c->connect_timer, on_connect_timeout, HERD_CONN_CONNECT_TIMEOUT_MS, 0);
    if (rc != 0) {
        set_why(c, "connect: ", uv_strerror(rc));
        c->h = &no_handler;
        close_now(c, NULL);
        return herd_err_set(e, HERD_EIO, "connect %s: %s", c->peer, uv_strerror(rc));
    }
    *out = c;
    return HERD_OK;
}

static void on_written(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct herd_conn *c = w->conn;
    c->queued -= w->buf.len + w->tail_len;
    if (w->done)
        w->done(w->done_arg);
    herd_wbuf_fini(&w->buf);
    free(w);
    if (status != 0 && status != UV_ECANCELED)
        close_now(c, uv_strerror(status));
}

static void queue_write(struct herd_conn *c, struct write_req *w);

/* Ciphertext (or any bytes) to the socket, copied. */
static void raw_write(void *arg, const uint8_t *p, size_t n)
{
    struct herd_conn *c = arg;
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    struct write_req *w = herd_xcalloc(1, sizeof *w);
    w->conn = c;
    herd_wbuf_init(&w->buf);
    herd_wbuf_bytes(&w->buf, p, n);
    queue_write(c, w);
}

static void send_tls(struct herd_conn *c, const struct herd_msg *m)
{
    struct herd_wbuf plain;
    struct herd_tls_io io;
    struct herd_err e;
    herd_wbuf_init(&plain);
    herd_msg_frame(m, &plain);
    if (herd_tls_write(c->tls, plain.p, plain.len, tls_io(c, &io), &e) != HERD_OK)
        close_now(c, e.msg);
    herd_wbuf_fini(&plain);
}

/* m's frame as a write of its own, after what was batched (plain TCP). */
static void write_frame(struct herd_conn *c, const struct herd_msg *m)
{
    herd_conn_flush(c);
    struct write_req *w = herd_xcalloc(1, sizeof *w);
    w->conn = c;
    herd_wbuf_init(&w->buf);
    herd_msg_frame(m, &w->buf);
    queue_write(c, w);
}

void herd_conn_flush(struct herd_conn *c)
{
    if (c->pend.len == 0 || c->closing)
        return;
    struct write_req *w = herd_xcalloc(1, sizeof *w);
    w->conn = c;
    w->buf = c->pend; /* the batch's buffer becomes the write's */
    herd_wbuf_init(&c->pend);
    c->queued -= w->buf.len; /* counted when batched; queue_write counts it again */
    queue_write(c, w);
}

void herd_conn_send_batched(struct herd_conn *c, const struct herd_msg *m)
{
    if (c->closing)
        return;
    if (c->tls != NULL) {
        send_tls(c, m);
        return;
    }
    size_t before = c->pend.len;
    herd_msg_frame(m, &c->pend);
    c->queued += c->pend.len - before;
    if (c->pend.len >= BATCH_MAX)
        herd_conn_flush(c);
}

void herd_conn_send(struct herd_conn *c, const struct herd_msg *m)
{
    if (c->closing)
        return;
    if (c->tls != NULL) {
        send_tls(c, m);
        return;
    }
    write_frame(c, m);
}

static void queue_write(struct herd_conn *c, struct write_req *w)
{
    uv_buf_t b = uv_buf_init((char *)w->buf.p, (unsigned)w->buf.len);
    c->queued += w->buf.len;
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (rc != 0) {
        c->queued -= w->buf.len;
        herd_wbuf_fini(&w->buf);
        free(w);
        close_now(c, uv_strerror(rc));
    }
}

void herd_conn_send_tail(struct herd_conn *c, const uint8_t *head, size_t head_len,
                        const uint8_t *tail, size_t tail_len, void (*done)(void *arg), void *arg)
{
    if (c->closing || uv_is_closing((uv_handle_t *)&c->tcp)) {
        done(arg);
        return;
    }
    if (c->tls != NULL) { /* encrypted into records: copied either way */
        struct herd_tls_io io;
        struct herd_err e;
        if (herd_tls_write(c->tls, head, head_len, tls_io(c, &io), &e) != HERD_OK ||
            herd_tls_write(c->tls, tail, tail_len, tls_io(c, &io), &e) != HERD_OK)
            close_now(c, e.msg);
        done(arg);
        return;
    }
    herd_conn_flush(c); /* in order after what was batched */
    struct write_req *w = herd_xcalloc(1, sizeof *w);
    w->conn = c;
    herd_wbuf_init(&w->buf);
    herd_wbuf_bytes(&w->buf, head, head_len);
    w->tail_len = tail_len;
    w->done = done;
    w->done_arg = arg;
    uv_buf_t b[2] = {uv_buf_init((char *)w->buf.p, (unsigned)w->buf.len),
                     uv_buf_init((char *)tail, (unsigned)tail_len)};
    c->queued += head_len + tail_len;
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, b, 2, on_written);
    if (rc != 0) {
        c->queued -= head_len + tail_len;
        herd_wbuf_fini(&w->buf);
        free(w);
        done(arg);
        close_now(c, uv_strerror(rc));
    }
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct herd_conn *c = req->handle->data;
    (void)status;
    close_now(c, NULL);
}

void herd_conn_close(struct herd_conn *c, const char *why)
{
    if (c->closing)
        return;
    herd_conn_flush(c); /* a graceful close sends what was batched */
    c->closing = 1;
    set_why(c, "", why);
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
        close_now(c, why);
}

int herd_conn_start_tls(struct herd_conn *c, struct herd_tls *t, const char *peer_name)
{
    if (c->tls != NULL || c->closing)
        return HERD_ESTATE;
    c->tls = herd_tls_session_create(t, peer_name);
    return HERD_OK;
}

int herd_conn_tls_refused(const struct herd_conn *c)
{
    return c->tls != NULL && herd_tls_refused(c->tls);
}

int herd_conn_send_plain(struct herd_conn *c, const struct herd_msg *m)
{
    if (c->tls == NULL || c->bytes_in != 0 || c->closing)
        return HERD_ESTATE;
    write_frame(c, m);
    return HERD_OK;
}

int herd_conn_tls_ready(const struct herd_conn *c)
{
    return c->tls != NULL && herd_tls_ready(c->tls);
}

void *herd_conn_data(const struct herd_conn *c)
{
    return c->data;
}

void herd_conn_set_data(struct herd_conn *c, void *data)
{
    c->data = data;
}

const char *herd_conn_peer(const struct herd_conn *c)
{
    return c->peer;
}

size_t herd_conn_queued(const struct herd_conn *c)
{
    return c->queued;
}
