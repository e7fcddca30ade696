/* dplink — one data-plane connection (dataplane.c's transport): a blocking
 * TCP socket that carries frames, either plain or under TLS (net/tls.h,
 * driven here from blocking reads and writes instead of libuv). With TLS
 * the handshake runs inside the first reads: the dialer sends its hello at
 * open, and a frame written before the handshake ended is sent when it
 * ends. A peer that does not speak TLS fails the first read with the reason.
 *
 * Threads: a link is used by one thread at a time (the data plane's locks
 * see to it); read and write may each block. One-way use (one side writes
 * frames, the other reads them, after the opening exchange) is what keeps
 * a TLS session free of concurrent reads and writes. */
#ifndef HERD_WORKER_DPLINK_H
#define HERD_WORKER_DPLINK_H

#include "base/err.h"
#include "net/tls.h"

#include <stddef.h>
#include <stdint.h>

struct herd_dplink {
    int fd;                       /* -1 = not open */
    struct herd_tls_session *tls; /* NULL = plain TCP */
    uint8_t *in;                  /* TLS: decrypted bytes not yet read */
    size_t in_off, in_len, in_cap;
    int wfail;                    /* a ciphertext write failed */
};

/* A closed link (fd -1); safe to fini. */
void herd_dplink_init(struct herd_dplink *l);

/* Takes ownership of connected socket fd (closed by fini, even on
 * failure). tls NULL = plain; else a session of tls's role (a client sends
 * its hello now; peer names are not checked, the certificate must chain to
 * the CA). HERD_OK, or HERD_EAUTH / HERD_EIO with the reason. */
int herd_dplink_open(struct herd_dplink *l, int fd, struct herd_tls *tls, struct herd_err *e);

/* Writes one frame: the 12-byte header, then hdr (hlen <= 64 bytes), then
 * body. HERD_OK or HERD_ECLOSED / HERD_EAUTH with the reason. */
int herd_dplink_send(struct herd_dplink *l, uint16_t type, const uint8_t *hdr, size_t hlen,
                     const uint8_t *body, size_t blen, struct herd_err *e);

/* Reads one frame of at most `max` body bytes: its type and a malloc'd body
 * (caller frees; never NULL on success). HERD_OK; HERD_EPROTO / HERD_EVERSION
 * / HERD_ETOOBIG for a bad header ("bad frame: ..."), HERD_ECLOSED (end of
 * stream or socket error), HERD_ETIMEOUT (SO_RCVTIMEO ran out), HERD_EAUTH
 * (TLS failed: not TLS, bad certificate, tampering), HERD_ENOMEM. */
int herd_dplink_read(struct herd_dplink *l, uint32_t max, uint16_t *type, uint8_t **body,
                     uint32_t *len, struct herd_err *e);

/* Wakes a thread blocked in read (shutdown of the socket); any thread. */
void herd_dplink_shutdown(struct herd_dplink *l);

/* Closes the socket and frees the session; the link is closed after. */
void herd_dplink_fini(struct herd_dplink *l);

#endif
