/* tls — TLS (OpenSSL) for framed connections: a shared context per process
 * (certificate, key, CA) and one session per connection driven entirely
 * through memory BIOs, so the socket stays libuv's and the session only
 * transforms bytes: ciphertext in from the socket, plaintext out to the frame
 * reader; plaintext in from the sender, ciphertext out to the socket.
 * net/conn.c is the only user of sessions; daemons create the context.
 *
 * Policy: TLS 1.2 or later. When a CA is given, the peer's certificate must
 * chain to it (the master then requires a client certificate from every
 * worker; a worker checks the master's certificate and, when it dialled a
 * name or address, that the certificate is for it). TLS adds confidentiality
 * and integrity; the cluster-secret handshake still runs inside it.
 *
 * A context is immutable once created (any thread); a session belongs to
 * its connection's loop thread. */
#ifndef HERD_NET_TLS_H
#define HERD_NET_TLS_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

struct herd_tls;         /* context: role + certificate + key + CA */
struct herd_tls_session; /* one connection */

enum herd_tls_role { HERD_TLS_SERVER, HERD_TLS_CLIENT };

struct herd_tls_config {
    const char *cert; /* PEM certificate chain; required for a server, optional for a client */
    const char *key;  /* PEM private key for cert */
    const char *ca;   /* PEM CA bundle that the peer's certificate must chain to; NULL = no
                       * peer verification (a client then trusts any server: say so in logs) */
};

/* Creates a context. HERD_EINVAL (server without cert/key, key without
 * cert), HERD_EIO (a file cannot be read or does not match) with a message
 * naming the file and OpenSSL's reason. */
int herd_tls_create(enum herd_tls_role role, const struct herd_tls_config *cfg,
                    struct herd_tls **out, struct herd_err *e);
void herd_tls_destroy(struct herd_tls *t);

/* A session on t. `peer_name` (client only, may be NULL): the host name or IP
 * address the certificate must be for. Never fails except on OOM (aborts). */
struct herd_tls_session *herd_tls_session_create(struct herd_tls *t, const char *peer_name);
void herd_tls_session_destroy(struct herd_tls_session *s);

/* Callbacks of herd_tls_feed / herd_tls_write / herd_tls_start. `emit` gets
 * ciphertext to send on the socket; `plain` gets decrypted application
 * bytes (a non-zero return stops the feed: the connection is closing). */
struct herd_tls_io {
    void *arg;
    void (*emit)(void *arg, const uint8_t *p, size_t n);
    int (*plain)(void *arg, const uint8_t *p, size_t n);
};

/* Starts the handshake (a client sends its hello). HERD_OK or HERD_EAUTH. */
int herd_tls_start(struct herd_tls_session *s, const struct herd_tls_io *io, struct herd_err *e);

/* Ciphertext from the socket: advances the handshake, then hands plaintext
 * to io->plain; queued plaintext (herd_tls_write before the handshake ended)
 * is sent as soon as it completes. HERD_OK; HERD_EAUTH if the handshake or a
 * record fails (bad certificate, not TLS, tampering) with OpenSSL's reason;
 * HERD_ECLOSED when the peer sent close_notify or io->plain asked to stop. */
int herd_tls_feed(struct herd_tls_session *s, const uint8_t *p, size_t n,
                  const struct herd_tls_io *io, struct herd_err *e);

/* Plaintext to send: encrypted now if the handshake is done, else queued.
 * HERD_OK, or HERD_EAUTH if the session has failed. */
int herd_tls_write(struct herd_tls_session *s, const uint8_t *p, size_t n,
                   const struct herd_tls_io *io, struct herd_err *e);

/* 1 once the handshake has completed. */
int herd_tls_ready(const struct herd_tls_session *s);

/* 1 if the session failed before the peer's first application byte: the
 * handshake failed here (the peer's certificate does not verify, or the
 * peer does not speak TLS, in which case the reason says so when its bytes
 * were a plain herd frame) or the peer refused it with an alert (our
 * certificate, none, a protocol mismatch; with TLS 1.3 a client learns
 * that only after its side of the handshake). Trying again will not help,
 * unlike a failure after data flowed (a corrupted record). 0 otherwise. */
int herd_tls_refused(const struct herd_tls_session *s);

#endif
