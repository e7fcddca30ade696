/* herd_dp_connect's return codes (worker/dataplane.h), against fake peers
 * on loopback: a peer whose process is gone — it closes (or resets) the
 * connection before DCHALLENGE, as the kernel does with a dying process's
 * backlog — is HERD_ECLOSED (a lost peer: the master's loss detection
 * decides); a refused peer stops being retried once the session is aborted
 * (HERD_ECLOSED, well before the 5 s of retries); a peer that answers with
 * a wrong frame is HERD_EIO (a failed job, with the reason). */
#include "check.h"

#include "wire/frame.h"
#include "worker/dataplane.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const uint32_t owner[2] = {0, 1};

enum fake_mode { FAKE_CLOSE, FAKE_RESET, FAKE_WRONG_FRAME };

struct fake {
    int fd;
    enum fake_mode mode;
    char addr[64];
    pthread_t th;
};

/* A socket bound to an ephemeral loopback port; listening when `listening`. */
static int bound(char addr[64], int listening)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    CHECK(fd >= 0);
    CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    if (listening)
        CHECK_EQ(listen(fd, 4), 0);
    CHECK_EQ(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(addr, 64, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    return fd;
}

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    int c = accept(f->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    if (f->mode == FAKE_RESET) {
        struct linger lg = {1, 0}; /* close sends RST, as a dying backlog does */
        setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    } else if (f->mode == FAKE_WRONG_FRAME) {
        uint8_t h[HERD_FRAME_HEADER];
        herd_frame_header_put(h, 999, 0);
        if (write(c, h, sizeof h) != (ssize_t)sizeof h)
            return NULL;
        char b;
        (void)!read(c, &b, 1); /* until the dialer closes */
    }
    close(c);
    return NULL;
}

static void fake_start(struct fake *f, enum fake_mode mode)
{
    f->mode = mode;
    f->fd = bound(f->addr, 1);
    CHECK_EQ(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
    pthread_join(f->th, NULL);
    close(f->fd);
}

/* Worker 0 of 2 connects to a peer at addr; returns herd_dp_connect's code. */
static int connect_to(const char *addr, struct herd_err *e)
{
    struct herd_dp *dp;
    CHECK_EQ(herd_dp_listen("127.0.0.1", 0, NULL, &dp, e), HERD_OK);
    struct herd_dp_session *s = herd_dp_session_create(dp, 9, 2, 0, 2, 2, owner, 8);
    char *peers[2] = {(char *)herd_dp_addr(dp), (char *)addr};
    int rc = herd_dp_connect(s, peers, e);
    herd_dp_session_destroy(s);
    herd_dp_destroy(dp);
    return rc;
}

HERD_TEST(a_peer_closing_before_the_challenge_is_a_lost_peer)
{
    struct fake f;
    fake_start(&f, FAKE_CLOSE);
    struct herd_err e;
    CHECK_EQ(connect_to(f.addr, &e), HERD_ECLOSED);
    CHECK(strstr(e.msg, "handshake with") != NULL);
    CHECK(strstr(e.msg, f.addr) != NULL);
    CHECK(strstr(e.msg, ": :") == NULL);
    fake_stop(&f);
}

HERD_TEST(a_peer_resetting_before_the_challenge_is_a_lost_peer)
{
    struct fake f;
    fake_start(&f, FAKE_RESET);
    struct herd_err e;
    CHECK_EQ(connect_to(f.addr, &e), HERD_ECLOSED);
    fake_stop(&f);
}

HERD_TEST(a_wrong_first_frame_fails_with_the_reason)
{
    struct fake f;
    fake_start(&f, FAKE_WRONG_FRAME);
    struct herd_err e;
    CHECK_EQ(connect_to(f.addr, &e), HERD_EIO);
    CHECK(strstr(e.msg, "instead of DCHALLENGE") != NULL);
    fake_stop(&f);
}

struct aborter {
    struct herd_dp_session *s;
    pthread_t th;
};

static void *abort_main(void *arg)
{
    struct aborter *a = arg;
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL); /* inside the dialer's 5 s of retries */
    herd_dp_abort(a->s);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

HERD_TEST(an_abort_stops_the_retries_of_a_refused_peer)
{
    char refused[64];
    int hole = bound(refused, 0); /* bound, not listening: connect is refused */
    struct herd_err e;
    struct herd_dp *dp;
    CHECK_EQ(herd_dp_listen("127.0.0.1", 0, NULL, &dp, &e), HERD_OK);
    struct aborter a = {.s = herd_dp_session_create(dp, 9, 2, 0, 2, 2, owner, 8)};
    char *peers[2] = {(char *)herd_dp_addr(dp), refused};
    CHECK_EQ(pthread_create(&a.th, NULL, abort_main, &a), 0);
    double t0 = now_s();
    CHECK_EQ(herd_dp_connect(a.s, peers, &e), HERD_ECLOSED);
    CHECK_INT(now_s() - t0, <, 3.0);
    CHECK(strstr(e.msg, "aborted") != NULL);
    pthread_join(a.th, NULL);
    herd_dp_session_destroy(a.s);
    herd_dp_destroy(dp);
    close(hole);
}
