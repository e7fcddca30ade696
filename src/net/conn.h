/* conn — one framed TCP connection on the libuv loop: reads bytes into the
 * frame reader (the rest of a large body straight into it), decodes each
 * frame into a `struct herd_msg` and hands it to the owner; encodes and
 * queues outgoing messages, at once or batched per loop iteration, or with
 * a borrowed tail (herd_conn_send_tail). A malformed frame (bad
 * magic, version, size, unknown type, undecodable body) is logged with the
 * peer's address and closes this connection only.
 *
 * Lifetime (libuv "handle" rules): a conn is created by herd_conn_accept() or
 * herd_conn_connect(), lives until herd_conn_close() or a read error, and is
 * freed right after on_close() returns. After on_close() the owner must not
 * touch it. Loop thread only. */
#ifndef HERD_NET_CONN_H
#define HERD_NET_CONN_H

#include "base/err.h"
#include "wire/msg.h"

#include <stdint.h>
#include <uv.h>

struct herd_conn;

struct herd_conn_handler {
    /* A TCP connection completed (connect side only). */
    void (*on_connect)(struct herd_conn *c);
    /* One decoded frame. m is the conn's: valid only during the call, and
     * its blobs (payloads, outputs, GRAPH bodies, data chunks) point into
     * the frame (herd_msg_decode_view) — copy what must outlive the call. */
    void (*on_msg)(struct herd_conn *c, const struct herd_msg *m);
    /* The connection is closed; `why` says why ("peer closed", "bad frame: ...").
     * The conn is freed when this returns. */
    void (*on_close)(struct herd_conn *c, const char *why);
};

/* Accepts a pending connection on `server`. HERD_EIO if accept fails. */
int herd_conn_accept(uv_stream_t *server, const struct herd_conn_handler *h, void *data,
                     uint32_t max_frame, struct herd_conn **out, struct herd_err *e);

/* A connect that has not completed after this long is abandoned: on_close
 * follows with "connect timed out". */
#define HERD_CONN_CONNECT_TIMEOUT_MS 3000

/* Starts connecting to addr; on_connect or on_close follows (at the latest
 * after HERD_CONN_CONNECT_TIMEOUT_MS). */
int herd_conn_connect(uv_loop_t *loop, const struct sockaddr *addr,
                      const struct herd_conn_handler *h, void *data, uint32_t max_frame,
                      struct herd_conn **out, struct herd_err *e);

struct herd_tls;

/* Makes c a TLS connection (net/tls.h) with a session on context t. Call it
 * right after herd_conn_accept() or herd_conn_connect() returns, before the
 * loop runs again: no byte has moved yet then. Messages sent before the
 * handshake completes are queued and encrypted once it does; a failed
 * handshake closes c with OpenSSL's reason. `peer_name` (connect side): the
 * name or address the server's certificate must be for (NULL = not checked).
 * HERD_OK, or HERD_ESTATE if c already has TLS or is closing. */
int herd_conn_start_tls(struct herd_conn *c, struct herd_tls *t, const char *peer_name);
/* 1 if c is a TLS connection whose handshake has completed. */
int herd_conn_tls_ready(const struct herd_conn *c);
/* 1 if c's TLS failed in a way retrying will not mend (herd_tls_refused:
 * a certificate, the peer's alert, a peer that does not speak TLS); valid
 * in on_close. 0 for plain connections and transport errors. */
int herd_conn_tls_refused(const struct herd_conn *c);
/* For a TLS connection whose peer has sent nothing yet (so it may be a
 * plain peer waiting to be spoken to): sends m as a plain frame, outside
 * TLS, so that such a peer can read why it is turned away; call it just
 * before herd_conn_close(). HERD_OK, or HERD_ESTATE (no TLS, bytes already
 * received, or closing). */
int herd_conn_send_plain(struct herd_conn *c, const struct herd_msg *m);

/* Encodes and queues m. Silently dropped if the conn is closing. */
void herd_conn_send(struct herd_conn *c, const struct herd_msg *m);
/* Like herd_conn_send, but the frame waits in the connection's batch until
 * herd_conn_flush (or any other send on c, a graceful close, or 64 KiB
 * waiting): a caller that sends many small messages in one loop iteration
 * (the master dispatching a turn of ASSIGNs) and flushes before the loop
 * blocks pays one write() per connection instead of one per message. An
 * abrupt close drops the batch. herd_conn_queued() counts it. TLS
 * connections send at once. */
void herd_conn_send_batched(struct herd_conn *c, const struct herd_msg *m);
/* Writes the batch, if any. */
void herd_conn_flush(struct herd_conn *c);

/* Sends head_len bytes of `head` (copied) followed by tail_len bytes of
 * `tail`, which are NOT copied on a plain connection: the caller keeps them
 * unchanged until done(arg) is called — exactly once, when the kernel has
 * them, the connection closed, or at once (TLS, which encrypts a copy; a
 * closing conn). Together they must be one or more whole frames (the bulk
 * of a checkpoint chunk rides as the tail: wire/gmsg.h herd_gmsg_put_head). */
void herd_conn_send_tail(struct herd_conn *c, const uint8_t *head, size_t head_len,
                        const uint8_t *tail, size_t tail_len, void (*done)(void *arg), void *arg);

/* Closes after queued writes are flushed; on_close follows with `why`. */
void herd_conn_close(struct herd_conn *c, const char *why);

void *herd_conn_data(const struct herd_conn *c);
void herd_conn_set_data(struct herd_conn *c, void *data);
/* "1.2.3.4:5678" of the peer (for logs). */
const char *herd_conn_peer(const struct herd_conn *c);
/* Bytes queued for writing and not yet sent (back-pressure signal). */
size_t herd_conn_queued(const struct herd_conn *c);

/* Formats a sockaddr as "host:port" (or "[v6]:port") into buf. */
void herd_sockaddr_str(const struct sockaddr *sa, char *buf, size_t n);

#endif
