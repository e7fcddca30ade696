/* dataplane_listen — the data plane's listener (dataplane.h): accepts,
 * runs the handshake (DCHALLENGE out, DHELLO in, the proof checked), and
 * hands each connection to its (job, epoch) session once that session is
 * open (herd_dp_connect); until then, and for a session not created yet
 * (a peer that connected at SETUP first), the connection is held, 30 s
 * at most. One accept thread per listener. */
#include "worker/dataplane_int.h"

#include "base/log.h"
#include "base/mem.h"
#include "wire/auth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- held connections ---- */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int start_rx(struct herd_dp_session *s, struct herd_dplink *l, uint32_t from);

/* Under dp->mu: hands the parked connections of s's (job, epoch) to s and
 * closes those that waited too long or belong to an earlier epoch of s's
 * job (a recovery moved on). */
void herd_dp__unpark(struct herd_dp *dp, struct herd_dp_session *s)
{
    uint64_t now = mono_ms();
    uint32_t k = 0;
    for (uint32_t i = 0; i < dp->nparked; i++) {
        struct parked *p = &dp->parked[i];
        int mine = s && p->job == s->job && p->epoch == s->epoch;
        if (mine && p->from < s->nworkers && p->from != s->me) {
            pthread_mutex_lock(&s->mu);
            if (start_rx(s, &p->link, p->from) != 0)
                herd_dplink_fini(&p->link);
            pthread_mutex_unlock(&s->mu);
        } else if (mine || now - p->at_ms > PARK_MS ||
                   (s && p->job == s->job && p->epoch < s->epoch)) { /* a past epoch's */
            herd_dplink_fini(&p->link);
        } else {
            dp->parked[k++] = *p;
        }
    }
    dp->nparked = k;
}

/* ---- the listener ---- */

/* Starts a receiver for link l (moved in) on session s, under s->mu. */
static int start_rx(struct herd_dp_session *s, struct herd_dplink *l, uint32_t from)
{
    herd_xgrow((void **)&s->rxs, &s->caprx, s->nrx + 1, sizeof *s->rxs);
    struct rx *r = herd_xcalloc(1, sizeof *r);
    *r = (struct rx){.link = *l, .from_worker = from, .s = s};
    if (pthread_create(&r->th, NULL, herd_dp__rx_main, r) != 0) {
        *l = r->link; /* back to the caller, who closes it */
        free(r);
        return -1;
    }
    s->rxs[s->nrx++] = r;
    return 0;
}

/* Hands an accepted connection whose DHELLO named (job, epoch, from) to its
 * session (the link moves there), or closes it. */
static void adopt(struct herd_dp *dp, struct herd_dplink *l, const struct herd_dpframe_hello *h)
{
    pthread_mutex_lock(&dp->mu);
    struct herd_dp_session *s = NULL;
    for (int i = 0; i < MAX_SESSIONS; i++)
        if (dp->sessions[i] && dp->sessions[i]->job == h->job &&
            dp->sessions[i]->epoch == h->epoch)
            s = dp->sessions[i];
    int ok = s && s->open && h->from < s->nworkers && h->from != s->me;
    if (ok) {
        pthread_mutex_lock(&s->mu);
        ok = !s->aborted && start_rx(s, l, h->from) == 0;
        pthread_mutex_unlock(&s->mu);
    } else if (s == NULL || !s->open) {
        herd_dp__unpark(dp, NULL); /* expire old ones */
        ok = dp->nparked < MAX_PARKED;
        if (ok)
            dp->parked[dp->nparked++] = (struct parked){.link = *l, .job = h->job,
                                                        .at_ms = mono_ms(), .epoch = h->epoch,
                                                        .from = h->from};
    }
    pthread_mutex_unlock(&dp->mu);
    if (!ok) {
        herd_info("dataplane", "connection for unknown job %" PRIu64 " epoch %u; closing",
                  h->job, h->epoch);
        herd_dplink_fini(l);
    }
}

/* The DHELLO proof: HMAC(secret, "herd-data" 0x00 || nonce || job, epoch, from). */
void herd_dp__hello_mac(const struct herd_secret *sec, const uint8_t nonce[HERD_NONCE_LEN],
                        const uint8_t hello[16], uint8_t out[HERD_MAC_LEN])
{
    static const char label[] = "herd-data";
    uint8_t buf[sizeof label + HERD_NONCE_LEN + 16];
    memcpy(buf, label, sizeof label); /* with its NUL */
    memcpy(buf + sizeof label, nonce, HERD_NONCE_LEN);
    memcpy(buf + sizeof label + HERD_NONCE_LEN, hello, 16);
    if (sec->len == 0)
        memset(out, 0, HERD_MAC_LEN);
    else
        herd_auth_hmac(sec, buf, sizeof buf, out);
}

/* Listener side of the handshake on an opened link: DCHALLENGE out, DHELLO
 * in and checked (its 16 identifying bytes copied to id). HERD_OK or why. */
static int handshake_in(struct herd_dp *dp, struct herd_dplink *l, uint8_t id[HERD_DPF_HELLO_ID],
                        struct herd_err *e)
{
    uint8_t nonce[HERD_NONCE_LEN], want[HERD_MAC_LEN];
    herd_auth_nonce(nonce);
    int rc = herd_dplink_send(l, HERD_DP_CHALLENGE, nonce, sizeof nonce, NULL, 0, e);
    uint16_t type = 0;
    uint8_t *body = NULL;
    uint32_t len = 0;
    struct herd_dpframe_hello h;
    if (rc == HERD_OK)
        rc = herd_dplink_read(l, DP_FRAME_MAX, &type, &body, &len, e);
    if (rc == HERD_OK && type != HERD_DP_HELLO)
        rc = herd_err_set(e, HERD_EPROTO, "bad frame: type %u instead of DHELLO", type);
    if (rc == HERD_OK)
        rc = herd_dpframe_hello_decode(body, len, &h, e);
    if (rc == HERD_OK) {
        herd_dp__hello_mac(&dp->secret, nonce, body, want);
        if (dp->secret.len != 0 && !herd_auth_equal(want, h.mac))
            rc = herd_err_set(e, HERD_EAUTH, "a peer failed the data-plane proof");
        else
            memcpy(id, body, HERD_DPF_HELLO_ID);
    }
    free(body);
    return rc;
}

/* One accepted socket: link (TLS when configured), handshake, adoption. */
static void accept_one(struct herd_dp *dp, int fd)
{
    struct timeval tv = {5, 0}, none = {0, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct herd_dplink l;
    struct herd_err e;
    uint8_t id[HERD_DPF_HELLO_ID + HERD_MAC_LEN] = {0};
    struct herd_dpframe_hello h;
    int rc = herd_dplink_open(&l, fd, dp->tls_server, &e);
    if (rc == HERD_OK)
        rc = handshake_in(dp, &l, id, &e);
    if (rc != HERD_OK) {
        herd_warn("dataplane", "incoming connection%s: %s; closing",
                  dp->tls_server ? " (TLS)" : "", e.msg);
        herd_dplink_fini(&l);
        return;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    herd_dpframe_hello_decode(id, sizeof id, &h, &e); /* cannot fail: the size is right */
    adopt(dp, &l, &h);
}

static void *accept_main(void *arg)
{
    struct herd_dp *dp = arg;
    for (;;) {
        int fd = accept4(dp->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            accept_one(dp, fd);
            continue;
        }
        if (errno != EINTR && errno != ECONNABORTED &&
            __atomic_load_n(&dp->stop, __ATOMIC_ACQUIRE))
            return NULL;
    }
}

int herd_dp_listen(const char *host, uint16_t port, const struct herd_secret *secret,
                   struct herd_dp **out, struct herd_err *e)
{
    return herd_dp_listen_tls(host, port, secret, NULL, NULL, out, e);
}

int herd_dp_listen_tls(const char *host, uint16_t port, const struct herd_secret *secret,
                       struct herd_tls *server, struct herd_tls *client, struct herd_dp **out,
                       struct herd_err *e)
{
    if ((server == NULL) != (client == NULL))
        return herd_err_set(e, HERD_EINVAL, "data plane: TLS needs both a server and a client "
                                            "context");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return herd_err_set(e, HERD_EINVAL, "data plane: listen address '%s' is not IPv4", host);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    socklen_t sl = sizeof sa;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return herd_err_set(e, HERD_EIO, "data plane: listen on %s:%u: %s", host, port,
                            strerror(err));
    }
    struct herd_dp *dp = herd_xcalloc(1, sizeof *dp);
    dp->fd = fd;
    if (secret)
        dp->secret = *secret;
    dp->tls_server = server;
    dp->tls_client = client;
    dp->port = ntohs(sa.sin_port);
    snprintf(dp->addr, sizeof dp->addr, "%s:%u", host, dp->port);
    pthread_mutex_init(&dp->mu, NULL);
    if (pthread_create(&dp->th, NULL, accept_main, dp) != 0) {
        close(fd);
        free(dp);
        return herd_err_set(e, HERD_EIO, "data plane: cannot start the accept thread");
    }
    *out = dp;
    return HERD_OK;
}

const char *herd_dp_addr(const struct herd_dp *dp)
{
    return dp->addr;
}

uint16_t herd_dp_port(const struct herd_dp *dp)
{
    return dp->port;
}

void herd_dp_destroy(struct herd_dp *dp)
{
    if (dp == NULL)
        return;
    __atomic_store_n(&dp->stop, 1, __ATOMIC_RELEASE);
    shutdown(dp->fd, SHUT_RDWR);
    pthread_join(dp->th, NULL);
    close(dp->fd);
    for (uint32_t i = 0; i < dp->nparked; i++)
        herd_dplink_fini(&dp->parked[i].link);
    pthread_mutex_destroy(&dp->mu);
    memset(&dp->secret, 0, sizeof dp->secret);
    free(dp);
}
