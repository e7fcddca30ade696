/* dataplane_int — what dataplane.c (sessions, sending, receiving) and
 * dataplane_listen.c (the listener: accepting, the handshake, adopting or
 * holding incoming connections) share. Not for other modules. */
#ifndef HERD_WORKER_DATAPLANE_INT_H
#define HERD_WORKER_DATAPLANE_INT_H

#include "worker/dataplane.h"
#include "worker/dpframe.h"
#include "worker/dplink.h"

#include <pthread.h>
#include <stdint.h>

#define MAX_SESSIONS 64
#define MAX_PARKED 64
#define PARK_MS 30000 /* an early connection waits this long for its session */
#define DP_FRAME_MAX (64u << 20)

struct lane {
    struct herd_msgbatch *head, *tail;
    uint64_t ended; /* step + 1 of the last end marker */
};

struct out_conn {
    struct herd_dplink link;
    pthread_mutex_t mu;
};

struct rx {
    struct herd_dplink link;
    uint32_t from_worker;
    pthread_t th;
    struct herd_dp_session *s;
};

struct herd_dp_session {
    struct herd_dp *dp;
    uint64_t job;
    uint32_t epoch, me, nworkers, nparts, msg_size;
    uint32_t *owner;
    uint32_t *wparts;           /* partitions owned per worker */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int aborted;
    int open;                   /* herd_dp_connect called: incoming links are adopted */
    struct herd_groute_rx *route; /* routed load: where EDGES/VIDS/LOADED go (not owned) */
    struct lane *lanes;         /* [to][parity][from] (only owned `to` used) */
    uint64_t end_step[2];       /* step whose remote END markers are counted */
    uint32_t ends[2];           /* remote workers whose END of end_step[] arrived */
    uint32_t nremote_workers;   /* workers other than me that own partitions */
    uint32_t *endcnt;           /* [parity * nworkers + w]: end_step calls towards w (atomic) */
    struct out_conn *out;       /* per worker */
    double *contrib[2];         /* pull path: where VECTOR frames land */
    uint8_t *emitted[2];
    const uint32_t *bounds;
    struct rx **rxs;            /* heap-allocated: a receiver thread holds its own */
    uint32_t nrx;
    size_t caprx;
    uint64_t bytes;
};

/* An accepted connection whose session does not exist yet (a peer that
 * connected at SETUP before this worker handled its own SETUP). */
struct parked {
    struct herd_dplink link;
    uint64_t job, at_ms;
    uint32_t epoch, from;
};

struct herd_dp {
    int fd;
    struct herd_secret secret; /* len 0 = no authentication */
    struct herd_tls *tls_server, *tls_client; /* both NULL = plain TCP (not owned) */
    uint16_t port;
    char addr[80];
    pthread_t th;
    pthread_mutex_t mu;
    struct herd_dp_session *sessions[MAX_SESSIONS];
    struct parked parked[MAX_PARKED];
    uint32_t nparked;
    int stop;
};

/* dataplane.c: a receiver thread (arg: a struct rx of its session). */
void *herd_dp__rx_main(void *arg);
/* dataplane_listen.c: the DHELLO proof over the listener's nonce and the
 * 16 identifying bytes. */
void herd_dp__hello_mac(const struct herd_secret *sec, const uint8_t nonce[HERD_NONCE_LEN],
                        const uint8_t hello[16], uint8_t out[HERD_MAC_LEN]);
/* dataplane_listen.c, under dp->mu: hands the held connections of s's
 * (job, epoch) to s (s NULL: none) and closes those held too long. */
void herd_dp__unpark(struct herd_dp *dp, struct herd_dp_session *s);

#endif
