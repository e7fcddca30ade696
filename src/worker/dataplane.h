/* dataplane — worker-to-worker TCP for distributed graph jobs: message
 * batches and end-of-superstep markers between the partitions that workers
 * own, bound to the vertex engine's exchange interface (graph/exchange.h).
 *
 * A worker process has one listener (struct herd_dp, started by the worker
 * daemon; its port travels in HELLO and its address in the graph READY
 * message). A job epoch has one session (struct herd_dp_session): it opens
 * one outgoing connection to every other worker of the epoch, and the
 * listener hands it the incoming ones (each begins with a DHELLO naming job,
 * epoch and sender). Connections are one-way: a worker sends on the
 * connections it opened and receives on those it accepted.
 *
 * Threads: the listener has an accept thread; a session has one receiver
 * thread per incoming connection (it files batches under the session lock);
 * sends happen on the engine's pool threads (one lock per outgoing
 * connection, blocking writes: TCP's window is the flow control, the
 * receiver always drains into memory). take() blocks until the sender's
 * end-of-step marker arrived or the session is aborted (herd_dp_abort, a
 * peer's connection dropping) — then it fails with HERD_ECLOSED, which
 * fails the superstep instead of hanging it. docs/distributed.md has the
 * design and docs/protocol.md section 9 the frames.
 *
 * Layers: worker/dplink.h carries frames over one socket, plain or TLS;
 * worker/dpframe.h decodes and checks frame bodies (pure, fuzzed); this
 * module owns listener, sessions, lanes and the exchange binding. */
#ifndef HERD_WORKER_DATAPLANE_H
#define HERD_WORKER_DATAPLANE_H

#include "base/err.h"
#include "graph/exchange.h"
#include "graph/msgbuf.h"
#include "net/tls.h"
#include "wire/auth.h"

#include <stdint.h>

#define HERD_DP_BATCH 100
#define HERD_DP_END 101
#define HERD_DP_HELLO 102
#define HERD_DP_VECTOR 103
#define HERD_DP_CHALLENGE 104
#define HERD_DP_EDGES 105  /* routed loading (worker/groute_rx.h) */
#define HERD_DP_VIDS 106
#define HERD_DP_LOADED 107
#define HERD_DP_COUNTS 108
#define HERD_DP_ASK 109
#define HERD_DP_ANSWER 110
#define HERD_DP_SCANNED 111
#define HERD_DP_PINFO 112
#define HERD_DP_SRCS 113

struct herd_dp;
struct herd_dp_session;
struct herd_groute_rx;

/* Listens on host:port (port 0 = any) and starts the accept thread. With a
 * cluster secret (copied; NULL or len 0 = none) every connection must prove
 * it holds the secret: the listener sends DCHALLENGE (a fresh nonce), the
 * dialer's DHELLO carries HMAC(secret, "herd-data" 0 || nonce || job, epoch,
 * from). HERD_OK and *out, or HERD_EIO with the reason. */
int herd_dp_listen(const char *host, uint16_t port, const struct herd_secret *secret,
                   struct herd_dp **out, struct herd_err *e);
/* herd_dp_listen with TLS on every data-plane connection: accepted ones are
 * sessions of `server` (HERD_TLS_SERVER: its certificate, and with a CA a
 * client certificate is required), dialled ones sessions of `client`
 * (HERD_TLS_CLIENT; the peer's certificate must chain to its CA, peer names
 * are not checked: workers' certificates need not name their data address).
 * Both contexts are borrowed and must outlive dp; both or neither (NULL =
 * plain TCP, HERD_EINVAL if only one). A peer that does not speak TLS, or
 * whose certificate fails, is refused and logged; to a session that is a
 * lost peer (herd_dp_connect fails, or take() fails with HERD_ECLOSED). */
int herd_dp_listen_tls(const char *host, uint16_t port, const struct herd_secret *secret,
                       struct herd_tls *server, struct herd_tls *client, struct herd_dp **out,
                       struct herd_err *e);
/* "host:port" peers should dial. */
const char *herd_dp_addr(const struct herd_dp *dp);
uint16_t herd_dp_port(const struct herd_dp *dp);
/* Stops accepting and joins the thread; sessions must be destroyed first. */
void herd_dp_destroy(struct herd_dp *dp);

/* A session for epoch `epoch` of job `job`: this worker is `me` of
 * `nworkers`; owner[p] is the worker of partition p (copied); messages are
 * msg_size bytes. Registered with dp at once, so peers may connect. */
struct herd_dp_session *herd_dp_session_create(struct herd_dp *dp, uint64_t job, uint32_t epoch,
                                               uint32_t me, uint32_t nworkers, uint32_t nparts,
                                               const uint32_t *owner, uint32_t msg_size);
/* Opens the session to peers: their incoming connections (including any
 * that arrived earlier and were held by the listener, 30 s at most) are
 * adopted from now on; then the outgoing connections, peers[w] being
 * worker w's "host:port" (peers[me] unused). Retries a refused connect for
 * a few seconds, not once the session is aborted. HERD_OK; HERD_ECLOSED
 * when a peer is gone (it closed the connection before the handshake's
 * DCHALLENGE: its process exited after the master chose the epoch's
 * workers) or the session was aborted meanwhile; HERD_EIO otherwise
 * (cannot connect, a timed-out or failed handshake). Call once, from the
 * session's user thread, after herd_dp_set_pull / herd_dp_set_route. */
int herd_dp_connect(struct herd_dp_session *s, char *const *peers, struct herd_err *e);
/* The exchange binding over this session (its destroy is a no-op: the
 * session outlives the engine). */
struct herd_exchange herd_dp_exchange(struct herd_dp_session *s);
/* Any thread: makes every waiting and future take() fail. Once it returns,
 * no receiver writes into the pull arrays (herd_dp_set_pull) any more, so
 * the engine that owns them may go. */
void herd_dp_abort(struct herd_dp_session *s);
/* Waits until every remote partition's end marker of `step` has arrived
 * (for a checkpoint). HERD_OK or HERD_ECLOSED (aborted). */
int herd_dp_wait_step(struct herd_dp_session *s, uint64_t step);
/* What `from` sent to owned partition `to` in `step`, left in place (for a
 * checkpoint). Call only after the step's markers are in. */
const struct herd_msgbatch *herd_dp_peek(struct herd_dp_session *s, uint32_t to, uint32_t from,
                                         uint64_t step);
/* Restore: files `list` (ownership passes) as what `from` sent to `to` in
 * `step` and marks that pair ended. Before the first step of the session. */
void herd_dp_inject(struct herd_dp_session *s, uint32_t to, uint32_t from, uint64_t step,
                    struct herd_msgbatch *list);
/* Pull path (graph/engine_dist.h): VECTOR frames of a partition's
 * contributions are written straight into contrib[step & 1] and
 * emitted[step & 1] at the partition's bounds (nparts+1 starts). Set before
 * herd_dp_connect; the arrays must outlive the session's connections. */
void herd_dp_set_pull(struct herd_dp_session *s, double *contrib[2], uint8_t *emitted[2],
                      const uint32_t *bounds);
/* Sends owned partition p's entries of `step` to every other worker. HERD_OK
 * or HERD_ECLOSED. The session's user thread. */
int herd_dp_send_vector(struct herd_dp_session *s, uint32_t p, uint64_t step);
/* Sends END(step) to every other worker (the pull path, where the engine
 * calls no end_step). HERD_OK or HERD_ECLOSED. */
int herd_dp_end_all(struct herd_dp_session *s, uint64_t step);
/* Routed loading: EDGES, VIDS and LOADED frames from peers go to rx (not
 * owned; it must outlive the session's connections); an abort or a lost
 * peer fails it (herd_groute_rx_fail). Set before herd_dp_connect: peers'
 * connections are adopted, and their frames read, only from then on. */
void herd_dp_set_route(struct herd_dp_session *s, struct herd_groute_rx *rx);
/* Sends one frame of `type` (a header and a body, either may be empty) to
 * worker w, blocking while TCP's window is full. HERD_OK or HERD_ECLOSED.
 * For the routed load's sender (EDGES, VIDS, LOADED). */
int herd_dp_send_route(struct herd_dp_session *s, uint32_t w, uint16_t type, const uint8_t *hdr,
                       size_t hlen, const uint8_t *body, size_t blen);
/* Data-plane bytes sent so far by this session. */
uint64_t herd_dp_bytes_sent(const struct herd_dp_session *s);
/* Aborts, closes every connection, joins the receivers, frees. NULL ok. */
void herd_dp_session_destroy(struct herd_dp_session *s);

#endif
