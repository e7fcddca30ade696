/* dataplane — worker-to-worker batches over blocking TCP sockets with
 * threads (dataplane.h). Design notes:
 *  - lanes: one per (owned `to`, parity of step, `from`), as in the local
 *    exchange; deliveries for s+1 may arrive while s is being taken because
 *    a peer starts s+1 only after the master saw every report of s;
 *  - one end marker per (sending worker, receiving worker) per superstep:
 *    the sender counts end_step() calls towards the receiver's partitions
 *    from all its own partitions and sends END after the last one, so a
 *    superstep costs one small frame per pair of workers. Finer markers
 *    would not help: messages of step s are read in s+1, after the barrier;
 *  - the session lock guards lanes and counters; each outgoing connection
 *    has its own send lock, so pool threads write to different peers at
 *    once; receivers never block on anything but their socket;
 *  - the listener (accept, handshake, adopting or holding connections) is
 *    dataplane_listen.c; what both files share, dataplane_int.h. */
#include "worker/dataplane_int.h"

#include "base/bytes.h"
#include "base/log.h"
#include "base/mem.h"
#include "wire/auth.h"
#include "wire/frame.h"
#include "worker/dpframe.h"
#include "worker/dplink.h"
#include "worker/groute_rx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Reads one frame; a bad header or a failed read is logged with `who`. */
static int read_frame(struct herd_dplink *l, const char *who, uint16_t *type, uint8_t **body,
                      uint32_t *len)
{
    struct herd_err e;
    int rc = herd_dplink_read(l, DP_FRAME_MAX, type, body, len, &e);
    if (rc == HERD_OK)
        return 0;
    if (rc == HERD_ECLOSED)
        herd_debug("dataplane", "%s: %s", who, e.msg);
    else
        herd_warn("dataplane", "%s: %s; closing", who, e.msg);
    return -1;
}


/* ---- lanes ---- */

static struct lane *lane(struct herd_dp_session *s, uint32_t to, uint64_t step, uint32_t from)
{
    return &s->lanes[((size_t)to * 2 + (step & 1)) * s->nparts + from];
}

static void append(struct lane *l, struct herd_msgbatch *b)
{
    b->next = NULL;
    if (l->tail)
        l->tail->next = b;
    else
        l->head = b;
    l->tail = b;
}

/* Under the lock: every partition of worker w ended towards all of ours. */
static void remote_end(struct herd_dp_session *s, uint32_t w, uint64_t step)
{
    unsigned par = step & 1;
    for (uint32_t to = 0; to < s->nparts; to++)
        for (uint32_t from = 0; s->owner[to] == s->me && from < s->nparts; from++)
            if (s->owner[from] == w)
                lane(s, to, step, from)->ended = step + 1;
    if (s->end_step[par] != step) {
        s->end_step[par] = step;
        s->ends[par] = 0;
    }
    s->ends[par]++;
    pthread_cond_broadcast(&s->cv);
}

/* ---- receiving ---- */

static struct herd_dpframe_shape shape_of(const struct herd_dp_session *s)
{
    return (struct herd_dpframe_shape){s->nparts, s->me, s->msg_size, s->owner, s->bounds};
}

static int rx_batch(struct herd_dp_session *s, const struct rx *r, const uint8_t *b, uint32_t n,
                    struct herd_err *e)
{
    struct herd_dpframe_shape sh = shape_of(s);
    struct herd_dpframe_batch fb;
    int rc = herd_dpframe_batch_decode(&sh, r->from_worker, b, n, &fb, e);
    if (rc != HERD_OK)
        return rc;
    struct herd_msgbatch *mb = herd_msgbatch_new(s->msg_size, fb.count ? fb.count : 1);
    if (mb == NULL)
        return herd_err_set(e, HERD_ENOMEM, "BATCH of %u records", fb.count);
    herd_dpframe_batch_copy(&fb, mb->data);
    mb->count = fb.count;
    pthread_mutex_lock(&s->mu);
    append(lane(s, fb.to, fb.step, fb.from), mb);
    pthread_mutex_unlock(&s->mu);
    return HERD_OK;
}

static int rx_end(struct herd_dp_session *s, const struct rx *r, const uint8_t *b, uint32_t n,
                  struct herd_err *e)
{
    uint64_t step;
    int rc = herd_dpframe_end_decode(b, n, &step, e);
    if (rc != HERD_OK)
        return rc;
    pthread_mutex_lock(&s->mu);
    remote_end(s, r->from_worker, step);
    pthread_mutex_unlock(&s->mu);
    return HERD_OK;
}

static int rx_vector(struct herd_dp_session *s, const struct rx *r, const uint8_t *b, uint32_t n,
                     struct herd_err *e)
{
    /* Under the lock: the arrays are the engine's, and herd_dp_abort (called
     * before the engine goes) must know no copy into them is under way. */
    pthread_mutex_lock(&s->mu);
    struct herd_dpframe_shape sh = shape_of(s);
    struct herd_dpframe_vector v;
    int rc = s->aborted ? herd_err_set(e, HERD_ECLOSED, "session aborted")
                        : herd_dpframe_vector_decode(&sh, r->from_worker, b, n, &v, e);
    if (rc == HERD_OK)
        herd_dpframe_vector_copy(&v, s->contrib[v.step & 1] + s->bounds[v.part],
                                 s->emitted[v.step & 1] + s->bounds[v.part]);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Routed loading: its frames into the session's receiver. */
static int rx_route(struct herd_dp_session *s, const struct rx *r, uint16_t type,
                    const uint8_t *b, uint32_t n, struct herd_err *e)
{
    if (s->route == NULL)
        return herd_err_set(e, HERD_EPROTO, "routed-load frame %u on a session without one",
                            type);
    struct herd_dpframe_shape sh = shape_of(s);
    struct herd_dpframe_edges fe;
    struct herd_dpframe_vids fv;
    struct herd_dpframe_counts fc;
    struct herd_dpframe_ids fi;
    struct herd_dpframe_scanned fs;
    struct herd_dpframe_pinfo fp;
    uint64_t ne, ni;
    int rc;
    switch (type) {
    case HERD_DP_EDGES:
        rc = herd_dpframe_edges_decode(&sh, b, n, &fe, e);
        return rc ? rc : herd_groute_rx_edges(s->route, r->from_worker, &fe, e);
    case HERD_DP_VIDS:
    case HERD_DP_SRCS:
        rc = herd_dpframe_vids_decode(&sh, b, n, &fv, e);
        return rc ? rc : herd_groute_rx_vids(s->route, r->from_worker, &fv,
                                             type == HERD_DP_SRCS, e);
    case HERD_DP_COUNTS:
        rc = herd_dpframe_counts_decode(&sh, r->from_worker, b, n, &fc, e);
        return rc ? rc : herd_groute_rx_counts(s->route, &fc, e);
    case HERD_DP_ASK:
        rc = herd_dpframe_ask_decode(&sh, b, n, &fi, e);
        return rc ? rc : herd_groute_rx_ask(s->route, r->from_worker, &fi, e);
    case HERD_DP_ANSWER:
        rc = herd_dpframe_answer_decode(&sh, r->from_worker, b, n, &fi, e);
        return rc ? rc : herd_groute_rx_answer(s->route, &fi, e);
    case HERD_DP_SCANNED:
        rc = herd_dpframe_scanned_decode(b, n, &fs, e);
        return rc ? rc : herd_groute_rx_scanned(s->route, r->from_worker, &fs, e);
    case HERD_DP_PINFO:
        rc = herd_dpframe_pinfo_decode(&sh, r->from_worker, b, n, &fp, e);
        return rc ? rc : herd_groute_rx_pinfo(s->route, r->from_worker, &fp, e);
    default:
        rc = herd_dpframe_loaded_decode(b, n, &ne, &ni, e);
        return rc ? rc : herd_groute_rx_loaded(s->route, r->from_worker, ne, ni, e);
    }
}

/* One received frame to its handler; the frame-type table of the receiver. */
static int rx_dispatch(struct herd_dp_session *s, const struct rx *r, uint16_t type,
                       const uint8_t *b, uint32_t n, struct herd_err *e)
{
    switch (type) {
    case HERD_DP_BATCH:
        return rx_batch(s, r, b, n, e);
    case HERD_DP_END:
        return rx_end(s, r, b, n, e);
    case HERD_DP_VECTOR:
        return rx_vector(s, r, b, n, e);
    case HERD_DP_EDGES:
    case HERD_DP_VIDS:
    case HERD_DP_LOADED:
    case HERD_DP_COUNTS:
    case HERD_DP_ASK:
    case HERD_DP_ANSWER:
    case HERD_DP_SCANNED:
    case HERD_DP_PINFO:
    case HERD_DP_SRCS:
        return rx_route(s, r, type, b, n, e);
    default:
        return herd_err_set(e, HERD_EPROTO, "unexpected frame type %u", type);
    }
}

void *herd_dp__rx_main(void *arg)
{
    struct rx *r = arg;
    struct herd_dp_session *s = r->s;
    char who[64];
    snprintf(who, sizeof who, "job %" PRIu64 ": worker %u", s->job, r->from_worker);
    for (;;) {
        uint16_t type;
        uint8_t *body;
        uint32_t len;
        struct herd_err e;
        if (read_frame(&r->link, who, &type, &body, &len) != 0)
            break;
        int rc = rx_dispatch(s, r, type, body, len, &e);
        free(body);
        if (rc != HERD_OK) {
            herd_warn("dataplane", "%s: bad frame: %s; closing", who, e.msg);
            break;
        }
    }
    pthread_mutex_lock(&s->mu);
    if (!s->aborted)
        herd_info("dataplane", "job %" PRIu64 " epoch %u: worker %u's connection ended", s->job,
                  s->epoch, r->from_worker);
    s->aborted = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (s->route)
        herd_groute_rx_lost(s->route, r->from_worker);
    return NULL;
}

/* ---- the exchange binding ---- */

static int send_frame(struct herd_dp_session *s, uint32_t w, uint16_t type, const uint8_t *hdr,
                      size_t hlen, const uint8_t *body, size_t blen)
{
    struct out_conn *o = &s->out[w];
    struct herd_err e;
    pthread_mutex_lock(&o->mu);
    int rc = herd_dplink_send(&o->link, type, hdr, hlen, body, blen, &e);
    pthread_mutex_unlock(&o->mu);
    if (rc != HERD_OK) {
        herd_debug("dataplane", "job %" PRIu64 ": send to worker %u: %s", s->job, w, e.msg);
        return HERD_ECLOSED;
    }
    __atomic_fetch_add(&s->bytes, HERD_FRAME_HEADER + hlen + blen, __ATOMIC_RELAXED);
    return HERD_OK;
}

static int send_batch(struct herd_dp_session *s, uint32_t from, uint32_t to, uint64_t step,
                      struct herd_msgbatch *b)
{
    uint8_t hdr[HERD_DPF_BATCH_HDR];
    herd_dpframe_batch_put(hdr, from, to, step, b->count, b->rec);
    for (uint32_t i = 0; i < b->count; i++) { /* targets to network order, in place */
        uint8_t *p = b->data + (size_t)i * b->rec;
        uint32_t t;
        memcpy(&t, p, 4);
        herd_put_u32(p, t);
    }
    int rc = send_frame(s, s->owner[to], HERD_DP_BATCH, hdr, sizeof hdr, b->data,
                        (size_t)b->count * b->rec);
    if (rc == HERD_OK) /* on failure the caller (the engine's sink) frees it */
        herd_msgbatch_free_list(b);
    return rc;
}

static int x_deliver(void *impl, uint32_t from, uint32_t to, uint64_t step,
                     struct herd_msgbatch *b)
{
    struct herd_dp_session *s = impl;
    if (s->owner[to] != s->me)
        return send_batch(s, from, to, step, b);
    pthread_mutex_lock(&s->mu);
    append(lane(s, to, step, from), b);
    pthread_mutex_unlock(&s->mu);
    return HERD_OK;
}

static int x_end_step(void *impl, uint32_t from, uint32_t to, uint64_t step)
{
    struct herd_dp_session *s = impl;
    uint32_t w = s->owner[to];
    if (w == s->me) {
        pthread_mutex_lock(&s->mu);
        lane(s, to, step, from)->ended = step + 1;
        pthread_mutex_unlock(&s->mu);
        return HERD_OK;
    }
    (void)from; /* every owned partition ends towards every partition of w */
    uint32_t *cnt = &s->endcnt[(step & 1) * s->nworkers + w];
    uint32_t want = s->wparts[s->me] * s->wparts[w];
    if (__atomic_add_fetch(cnt, 1, __ATOMIC_ACQ_REL) < want)
        return HERD_OK;
    __atomic_store_n(cnt, 0, __ATOMIC_RELEASE); /* nobody touches it again before s+2 */
    uint8_t body[8];
    herd_put_u64(body, step);
    return send_frame(s, w, HERD_DP_END, body, sizeof body, NULL, 0);
}

static int x_take(void *impl, uint32_t to, uint32_t from, uint64_t step,
                  struct herd_msgbatch **list)
{
    struct herd_dp_session *s = impl;
    struct lane *l = lane(s, to, step, from);
    pthread_mutex_lock(&s->mu);
    while (l->ended != step + 1 && !s->aborted && s->owner[from] != s->me)
        pthread_cond_wait(&s->cv, &s->mu);
    int rc = l->ended == step + 1 ? HERD_OK : s->aborted ? HERD_ECLOSED : HERD_EPROTO;
    if (rc == HERD_OK) {
        *list = l->head;
        l->head = l->tail = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static void x_destroy(void *impl)
{
    (void)impl; /* the session outlives the engine */
}

static const struct herd_exchange_ops dp_ops = {x_deliver, x_end_step, x_take, x_destroy};

struct herd_exchange herd_dp_exchange(struct herd_dp_session *s)
{
    return (struct herd_exchange){&dp_ops, s};
}

/* ---- the pull path ---- */

void herd_dp_set_pull(struct herd_dp_session *s, double *contrib[2], uint8_t *emitted[2],
                      const uint32_t *bounds)
{
    pthread_mutex_lock(&s->mu); /* a routed load's session is connected already */
    for (int k = 0; k < 2; k++) {
        s->contrib[k] = contrib[k];
        s->emitted[k] = emitted[k];
    }
    s->bounds = bounds;
    pthread_mutex_unlock(&s->mu);
}

int herd_dp_send_vector(struct herd_dp_session *s, uint32_t p, uint64_t step)
{
    uint32_t lo = s->bounds[p], n = s->bounds[p + 1] - lo;
    uint8_t hdr[HERD_DPF_VECTOR_HDR];
    herd_dpframe_vector_put(hdr, p, step, n);
    uint8_t *body = malloc((size_t)n * 9 + 1);
    if (body == NULL)
        return HERD_ENOMEM;
    const double *x = s->contrib[step & 1] + lo;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &x[i], 8);
        herd_put_u64(body + (size_t)i * 8, bits);
    }
    memcpy(body + (size_t)n * 8, s->emitted[step & 1] + lo, n);
    int rc = HERD_OK;
    for (uint32_t w = 0; w < s->nworkers && rc == HERD_OK; w++)
        if (w != s->me && s->wparts[w] > 0)
            rc = send_frame(s, w, HERD_DP_VECTOR, hdr, sizeof hdr, body, (size_t)n * 9);
    free(body);
    return rc;
}

int herd_dp_end_all(struct herd_dp_session *s, uint64_t step)
{
    uint8_t body[8];
    herd_put_u64(body, step);
    int rc = HERD_OK;
    for (uint32_t w = 0; w < s->nworkers && rc == HERD_OK; w++)
        if (w != s->me && s->wparts[w] > 0)
            rc = send_frame(s, w, HERD_DP_END, body, sizeof body, NULL, 0);
    return rc;
}

/* ---- sessions ---- */

struct herd_dp_session *herd_dp_session_create(struct herd_dp *dp, uint64_t job, uint32_t epoch,
                                               uint32_t me, uint32_t nworkers, uint32_t nparts,
                                               const uint32_t *owner, uint32_t msg_size)
{
    struct herd_dp_session *s = herd_xcalloc(1, sizeof *s);
    s->dp = dp;
    s->job = job;
    s->epoch = epoch;
    s->me = me;
    s->nworkers = nworkers;
    s->nparts = nparts;
    s->msg_size = msg_size;
    s->owner = herd_xmalloc((size_t)nparts * sizeof *owner);
    memcpy(s->owner, owner, (size_t)nparts * sizeof *owner);
    s->wparts = herd_xcalloc(nworkers, sizeof *s->wparts);
    for (uint32_t p = 0; p < nparts; p++)
        s->wparts[owner[p]]++;
    for (uint32_t w = 0; w < nworkers; w++) /* nobody ends a step towards a worker without
                                                partitions, so it waits for no one */
        s->nremote_workers += w != me && s->wparts[w] > 0 && s->wparts[me] > 0;
    s->lanes = herd_xcalloc((size_t)nparts * nparts * 2, sizeof *s->lanes);
    s->endcnt = herd_xcalloc((size_t)2 * nworkers, sizeof *s->endcnt);
    s->end_step[0] = s->end_step[1] = UINT64_MAX;
    s->out = herd_xcalloc(nworkers, sizeof *s->out);
    for (uint32_t w = 0; w < nworkers; w++) {
        herd_dplink_init(&s->out[w].link);
        pthread_mutex_init(&s->out[w].mu, NULL);
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_mutex_lock(&dp->mu);
    for (int i = 0; i < MAX_SESSIONS; i++)
        if (dp->sessions[i] == NULL) {
            dp->sessions[i] = s;
            break;
        }
    pthread_mutex_unlock(&dp->mu);
    return s;
}

static int aborted(struct herd_dp_session *s)
{
    pthread_mutex_lock(&s->mu);
    int a = s->aborted;
    pthread_mutex_unlock(&s->mu);
    return a;
}

/* A connected socket to addr, or -1 with *e set. A refused connect is
 * retried for 5 s (a peer starting its listener); the retries stop once
 * the session is aborted (a peer that died, so the master moved on). */
static int dial(struct herd_dp_session *s, const char *addr, struct herd_err *e)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || (size_t)(colon - addr) >= sizeof host)
        return herd_err_set(e, HERD_EINVAL, "data plane: bad peer address '%s'", addr), -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
        return herd_err_set(e, HERD_EIO, "data plane: cannot resolve '%s'", addr), -1;
    for (int tries = 0; tries < 50 && !aborted(s); tries++) {
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                freeaddrinfo(res);
                return fd;
            }
            if (fd >= 0)
                close(fd);
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL); /* a peer restarting its listener; bounded */
    }
    freeaddrinfo(res);
    herd_err_set(e, HERD_EIO, "data plane: cannot connect to %s", addr);
    return -1;
}

/* Dialer side: opens the link (TLS hello), reads DCHALLENGE, answers
 * DHELLO with the proof. HERD_OK or an error saying why. */
static int handshake_out(struct herd_dp_session *s, uint32_t w, int fd, struct herd_err *e)
{
    struct herd_dplink *l = &s->out[w].link;
    struct timeval tv = {5, 0}, none = {0, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int rc = herd_dplink_open(l, fd, s->dp->tls_client, e);
    uint16_t type = 0;
    uint8_t *body = NULL;
    uint32_t len = 0;
    const uint8_t *nonce;
    if (rc == HERD_OK)
        rc = herd_dplink_read(l, DP_FRAME_MAX, &type, &body, &len, e);
    if (rc == HERD_OK && type != HERD_DP_CHALLENGE)
        rc = herd_err_set(e, HERD_EPROTO, "bad frame: type %u instead of DCHALLENGE", type);
    if (rc == HERD_OK)
        rc = herd_dpframe_challenge_decode(body, len, &nonce, e);
    if (rc != HERD_OK) {
        free(body);
        return rc;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    uint8_t hello[HERD_DPF_HELLO_ID + HERD_MAC_LEN];
    herd_dpframe_hello_put(hello, s->job, s->epoch, s->me);
    herd_dp__hello_mac(&s->dp->secret, nonce, hello, hello + HERD_DPF_HELLO_ID);
    free(body);
    return herd_dplink_send(l, HERD_DP_HELLO, hello, sizeof hello, NULL, 0, e);
}

int herd_dp_connect(struct herd_dp_session *s, char *const *peers, struct herd_err *e)
{
    pthread_mutex_lock(&s->dp->mu); /* from now on peers' links are adopted */
    s->open = 1;
    herd_dp__unpark(s->dp, s);
    pthread_mutex_unlock(&s->dp->mu);
    for (uint32_t w = 0; w < s->nworkers; w++) {
        if (w == s->me)
            continue;
        int fd = dial(s, peers[w], e);
        if (fd < 0 && aborted(s))
            return herd_err_set(e, HERD_ECLOSED, "data plane: session aborted while connecting "
                                                 "to worker %u (%s)", w, peers[w]);
        if (fd < 0)
            return HERD_EIO;
        int rc = handshake_out(s, w, fd, e);
        if (rc != HERD_OK) {
            herd_warn("dataplane", "job %" PRIu64 " epoch %u: handshake with worker %u (%s): %s",
                      s->job, s->epoch, w, peers[w], e->msg);
            herd_err_wrap(e, "data plane: handshake with %s", peers[w]);
            /* closed before DCHALLENGE: the peer's process is gone (its
             * kernel took the connection into the backlog and reset it at
             * exit), which the master may not have seen yet when it chose
             * the epoch's workers; or an abort while waiting: a lost peer,
             * not a failed job (the master's loss detection decides) */
            return rc == HERD_ECLOSED || aborted(s) ? HERD_ECLOSED : HERD_EIO;
        }
    }
    return HERD_OK;
}

void herd_dp_abort(struct herd_dp_session *s)
{
    pthread_mutex_lock(&s->mu);
    s->aborted = 1; /* and no VECTOR is copied into the pull arrays from now on */
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (s->route)
        herd_groute_rx_fail(s->route);
}

void herd_dp_set_route(struct herd_dp_session *s, struct herd_groute_rx *rx)
{
    s->route = rx;
}

int herd_dp_send_route(struct herd_dp_session *s, uint32_t w, uint16_t type, const uint8_t *hdr,
                       size_t hlen, const uint8_t *body, size_t blen)
{
    return send_frame(s, w, type, hdr, hlen, body, blen);
}

int herd_dp_wait_step(struct herd_dp_session *s, uint64_t step)
{
    unsigned par = step & 1;
    pthread_mutex_lock(&s->mu);
    while (!s->aborted && s->nremote_workers > 0 &&
           !(s->end_step[par] == step && s->ends[par] >= s->nremote_workers))
        pthread_cond_wait(&s->cv, &s->mu);
    int rc = s->aborted ? HERD_ECLOSED : HERD_OK;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

const struct herd_msgbatch *herd_dp_peek(struct herd_dp_session *s, uint32_t to, uint32_t from,
                                         uint64_t step)
{
    pthread_mutex_lock(&s->mu);
    const struct herd_msgbatch *b = lane(s, to, step, from)->head;
    pthread_mutex_unlock(&s->mu);
    return b;
}

void herd_dp_inject(struct herd_dp_session *s, uint32_t to, uint32_t from, uint64_t step,
                    struct herd_msgbatch *list)
{
    struct lane *l = lane(s, to, step, from);
    while (list) {
        struct herd_msgbatch *next = list->next;
        append(l, list);
        list = next;
    }
    l->ended = step + 1;
}

uint64_t herd_dp_bytes_sent(const struct herd_dp_session *s)
{
    return __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
}

void herd_dp_session_destroy(struct herd_dp_session *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->dp->mu);
    for (int i = 0; i < MAX_SESSIONS; i++)
        if (s->dp->sessions[i] == s)
            s->dp->sessions[i] = NULL;
    pthread_mutex_unlock(&s->dp->mu);
    herd_dp_abort(s);
    for (uint32_t w = 0; w < s->nworkers; w++)
        herd_dplink_fini(&s->out[w].link);
    pthread_mutex_lock(&s->mu);
    uint32_t nrx = s->nrx;
    for (uint32_t i = 0; i < nrx; i++)
        herd_dplink_shutdown(&s->rxs[i]->link);
    pthread_mutex_unlock(&s->mu);
    for (uint32_t i = 0; i < nrx; i++) {
        pthread_join(s->rxs[i]->th, NULL);
        herd_dplink_fini(&s->rxs[i]->link);
        free(s->rxs[i]);
    }
    for (size_t i = 0; i < (size_t)s->nparts * s->nparts * 2; i++)
        herd_msgbatch_free_list(s->lanes[i].head);
    for (uint32_t w = 0; w < s->nworkers; w++)
        pthread_mutex_destroy(&s->out[w].mu);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->rxs);
    free(s->out);
    free(s->endcnt);
    free(s->lanes);
    free(s->wparts);
    free(s->owner);
    free(s);
}
