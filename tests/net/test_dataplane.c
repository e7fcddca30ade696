/* The data plane (worker/dataplane.h) over real loopback TCP: two "workers" in
 * one process, each with a listener and a session, exchange batches through
 * the exchange interface; end markers release take(); abort unblocks it. */
#include "check.h"

#include "base/bytes.h"
#include "worker/dataplane.h"
#include "worker/dpframe.h"
#include "worker/groute_rx.h"
#include "worker/groute_tx.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

/* 4 partitions: 0 and 2 on worker 0, 1 and 3 on worker 1. */
static const uint32_t owner[4] = {0, 1, 0, 1};

struct pair {
    struct herd_dp *dp[2];
    struct herd_dp_session *s[2];
};

static void open_pair_with(struct pair *p, uint32_t epoch, const struct herd_secret *s0,
                           const struct herd_secret *s1)
{
    struct herd_err e;
    for (int w = 0; w < 2; w++) {
        CHECK_EQ(herd_dp_listen("127.0.0.1", 0, w ? s1 : s0, &p->dp[w], &e), HERD_OK);
        p->s[w] = herd_dp_session_create(p->dp[w], 77, epoch, (uint32_t)w, 2, 4, owner, 8);
    }
    char *peers[2] = {(char *)herd_dp_addr(p->dp[0]), (char *)herd_dp_addr(p->dp[1])};
    for (int w = 0; w < 2; w++)
        CHECK_EQ(herd_dp_connect(p->s[w], peers, &e), HERD_OK);
}

static void open_pair(struct pair *p, uint32_t epoch)
{
    open_pair_with(p, epoch, NULL, NULL);
}

static void close_pair(struct pair *p)
{
    for (int w = 0; w < 2; w++) {
        herd_dp_session_destroy(p->s[w]);
        herd_dp_destroy(p->dp[w]);
    }
}

static struct herd_msgbatch *batch(uint32_t target, uint64_t value)
{
    struct herd_msgbatch *b = herd_msgbatch_new(8, 2);
    memcpy(b->data, &target, 4);
    memcpy(b->data + 4, &value, 8);
    b->count = 1;
    return b;
}

/* Everything partition `from` sends in `step`, as the engine would. */
static void send_step(struct herd_exchange x, uint32_t from, uint64_t step, uint64_t value)
{
    for (uint32_t to = 0; to < 4; to++) {
        if (to != from)
            CHECK_EQ(x.ops->deliver(x.impl, from, to, step, batch(to * 10, value + to)), HERD_OK);
        CHECK_EQ(x.ops->end_step(x.impl, from, to, step), HERD_OK);
    }
}

HERD_TEST(dataplane_batches_cross_between_workers_in_order)
{
    struct pair p;
    open_pair(&p, 1);
    struct herd_exchange x0 = herd_dp_exchange(p.s[0]), x1 = herd_dp_exchange(p.s[1]);
    for (uint64_t step = 0; step < 3; step++) {
        for (uint32_t from = 0; from < 4; from++)
            send_step(owner[from] ? x1 : x0, from, step, 1000 * step + 100 * from);
        CHECK_EQ(herd_dp_wait_step(p.s[0], step), HERD_OK);
        for (uint32_t to = 0; to < 4; to++) {
            struct herd_exchange x = owner[to] ? x1 : x0;
            for (uint32_t from = 0; from < 4; from++) {
                struct herd_msgbatch *l = NULL;
                CHECK_EQ(x.ops->take(x.impl, to, from, step, &l), HERD_OK);
                if (from == to) {
                    CHECK(l == NULL);
                    continue;
                }
                CHECK(l != NULL && l->count == 1 && l->next == NULL);
                uint32_t t;
                uint64_t v;
                memcpy(&t, l->data, 4);
                memcpy(&v, l->data + 4, 8);
                CHECK_EQ(t, to * 10);
                CHECK_EQ(v, 1000 * step + 100 * from + to);
                herd_msgbatch_free_list(l);
            }
        }
    }
    CHECK_INT(herd_dp_bytes_sent(p.s[0]), >, 0);
    close_pair(&p);
}

struct taker {
    struct herd_exchange x;
    int rc;
};

static void *take_remote(void *arg)
{
    struct taker *t = arg;
    struct herd_msgbatch *l = NULL;
    t->rc = t->x.ops->take(t->x.impl, 0, 1, 5, &l); /* partition 1 never ends step 5 */
    herd_msgbatch_free_list(l);
    return NULL;
}

HERD_TEST(dataplane_abort_unblocks_take)
{
    struct pair p;
    open_pair(&p, 2);
    struct taker t = {herd_dp_exchange(p.s[0]), -1};
    pthread_t th;
    pthread_create(&th, NULL, take_remote, &t);
    herd_dp_abort(p.s[0]);
    pthread_join(th, NULL);
    CHECK_EQ(t.rc, HERD_ECLOSED);
    close_pair(&p);
}

HERD_TEST(dataplane_peer_loss_unblocks_take)
{
    struct pair p;
    open_pair(&p, 3);
    struct taker t = {herd_dp_exchange(p.s[0]), -1};
    pthread_t th;
    pthread_create(&th, NULL, take_remote, &t);
    herd_dp_session_destroy(p.s[1]); /* worker 1 goes away: its connection closes */
    p.s[1] = herd_dp_session_create(p.dp[1], 77, 99, 1, 2, 4, owner, 8);
    pthread_join(th, NULL);
    CHECK_EQ(t.rc, HERD_ECLOSED);
    close_pair(&p);
}

HERD_TEST(dataplane_inject_and_peek_for_checkpoints)
{
    struct pair p;
    open_pair(&p, 4);
    herd_dp_inject(p.s[0], 2, 1, 7, batch(25, 42));
    const struct herd_msgbatch *b = herd_dp_peek(p.s[0], 2, 1, 7);
    CHECK(b != NULL && b->count == 1);
    struct herd_exchange x = herd_dp_exchange(p.s[0]);
    struct herd_msgbatch *l = NULL;
    CHECK_EQ(x.ops->take(x.impl, 2, 1, 7, &l), HERD_OK); /* no wait: the pair is ended */
    CHECK(l != NULL && l->count == 1);
    herd_msgbatch_free_list(l);
    close_pair(&p);
}

static struct herd_secret secret_of(const char *text)
{
    struct herd_secret s = {.len = strlen(text)};
    memcpy(s.key, text, s.len);
    return s;
}

HERD_TEST(dataplane_with_a_secret_works_and_refuses_a_wrong_proof)
{
    struct herd_secret good = secret_of("0123456789abcdef-cluster"), bad = secret_of("not-the-secret!!");
    struct pair p;
    open_pair_with(&p, 5, &good, &good);
    struct herd_exchange x0 = herd_dp_exchange(p.s[0]), x1 = herd_dp_exchange(p.s[1]);
    send_step(x0, 0, 0, 7); /* partition 0 (worker 0) -> 1 and 3 (worker 1) */
    send_step(x0, 2, 0, 9);
    struct herd_msgbatch *l = NULL;
    CHECK_EQ(x1.ops->take(x1.impl, 1, 0, 0, &l), HERD_OK);
    CHECK(l != NULL && l->count == 1);
    herd_msgbatch_free_list(l);
    close_pair(&p);
    /* worker 1 holds another secret: worker 0 refuses its connection, so
     * worker 1's sends fail once the close arrives */
    open_pair_with(&p, 6, &good, &bad);
    x1 = herd_dp_exchange(p.s[1]);
    int rc = HERD_OK;
    for (int i = 0; i < 200 && rc == HERD_OK; i++) {
        struct herd_msgbatch *b = herd_msgbatch_new(8, 1);
        b->count = 0;
        rc = x1.ops->deliver(x1.impl, 1, 0, 0, b);
        if (rc != HERD_OK)
            herd_msgbatch_free_list(b);
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    CHECK_EQ(rc, HERD_ECLOSED);
    close_pair(&p);
}

/* Routed loading connects at SETUP, possibly before the peer has a session
 * for the epoch: the listener holds the connection until the session
 * exists, and what was sent meanwhile arrives. */
HERD_TEST(dataplane_connection_before_the_session_is_held_for_it)
{
    struct pair p;
    struct herd_err e;
    for (int w = 0; w < 2; w++)
        CHECK_EQ(herd_dp_listen("127.0.0.1", 0, NULL, &p.dp[w], &e), HERD_OK);
    char *peers[2] = {(char *)herd_dp_addr(p.dp[0]), (char *)herd_dp_addr(p.dp[1])};
    p.s[0] = herd_dp_session_create(p.dp[0], 77, 5, 0, 2, 4, owner, 8);
    CHECK_EQ(herd_dp_connect(p.s[0], peers, &e), HERD_OK); /* worker 1 has no session yet */
    struct herd_exchange x0 = herd_dp_exchange(p.s[0]);
    send_step(x0, 0, 0, 500);
    send_step(x0, 2, 0, 700);
    p.s[1] = herd_dp_session_create(p.dp[1], 77, 5, 1, 2, 4, owner, 8);
    CHECK_EQ(herd_dp_connect(p.s[1], peers, &e), HERD_OK);
    struct herd_exchange x1 = herd_dp_exchange(p.s[1]);
    struct herd_msgbatch *l = NULL;
    CHECK_EQ(x1.ops->take(x1.impl, 3, 2, 0, &l), HERD_OK);
    CHECK(l != NULL);
    uint64_t v;
    memcpy(&v, l->data + 4, 8);
    CHECK_EQ(v, 703);
    herd_msgbatch_free_list(l);
    close_pair(&p);
}

/* Routed loading over real sockets: worker 1 sends EDGES, VIDS and LOADED
 * to worker 0, whose receiver files them under partition 2; a frame for a
 * partition worker 0 does not own closes the connection and fails the wait. */
HERD_TEST(dataplane_routed_frames_reach_the_receiver)
{
    struct herd_err e;
    struct pair p;
    struct herd_groute_rx *rx[2];
    for (int w = 0; w < 2; w++) {
        CHECK_EQ(herd_dp_listen("127.0.0.1", 0, NULL, &p.dp[w], &e), HERD_OK);
        p.s[w] = herd_dp_session_create(p.dp[w], 78, 1, (uint32_t)w, 2, 4, owner, 8);
        CHECK_EQ(herd_groute_rx_create(4, owner, 2, (uint32_t)w, 0, &rx[w], &e), HERD_OK);
        herd_dp_set_route(p.s[w], rx[w]);
    }
    char *peers[2] = {(char *)herd_dp_addr(p.dp[0]), (char *)herd_dp_addr(p.dp[1])};
    for (int w = 0; w < 2; w++)
        CHECK_EQ(herd_dp_connect(p.s[w], peers, &e), HERD_OK);
    uint8_t hdr[HERD_DPF_EDGES_HDR], recs[2 * 16], vh[HERD_DPF_VIDS_HDR], ids[8];
    uint8_t l[HERD_DPF_LOADED_LEN];
    herd_dpframe_edges_put(hdr, 2, HERD_DPF_OUT, 0, 2);
    herd_dpframe_edge_put(recs, 5, 6, 0, 0);
    herd_dpframe_edge_put(recs + 16, 1ULL << 50, 6, 0, 0);
    CHECK_EQ(herd_dp_send_route(p.s[1], 0, HERD_DP_EDGES, hdr, sizeof hdr, recs, sizeof recs),
             HERD_OK);
    herd_dpframe_vids_put(vh, 2, 1);
    herd_put_u64(ids, 77);
    CHECK_EQ(herd_dp_send_route(p.s[1], 0, HERD_DP_VIDS, vh, sizeof vh, ids, 8), HERD_OK);
    herd_dpframe_loaded_put(l, 2, 1);
    CHECK_EQ(herd_dp_send_route(p.s[1], 0, HERD_DP_LOADED, l, sizeof l, NULL, 0), HERD_OK);
    CHECK_EQ(herd_groute_rx_wait(rx[0]), HERD_OK);
    const struct herd_groute_part *p2 = herd_groute_rx_part(rx[0], 2);
    CHECK_EQ(p2->out.n, 2u);
    CHECK(p2->out.src[1] == 1ULL << 50);
    CHECK_EQ(p2->nids, 1u);
    CHECK_EQ(p2->ids[0], 77u);
    herd_dpframe_edges_put(hdr, 2, HERD_DPF_OUT, 0, 0); /* worker 1 is not the owner of 2 */
    CHECK_EQ(herd_dp_send_route(p.s[0], 1, HERD_DP_EDGES, hdr, sizeof hdr, NULL, 0), HERD_OK);
    CHECK_EQ(herd_groute_rx_wait(rx[1]), HERD_ECLOSED);
    close_pair(&p);
    for (int w = 0; w < 2; w++)
        herd_groute_rx_destroy(rx[w]);
}

/* The routed load's sender (worker/groute_tx.h) between two workers: each
 * routes the same edge list's share (alternate edges) by partition of the
 * source (out-rows) and of the target (in-rows), plus ids; after both
 * finish, every owned partition holds exactly its records. */
HERD_TEST(dataplane_routed_load_between_two_workers)
{
    enum { N = 100000 }; /* > one 256 KiB buffer per partition: several frames */
    struct herd_err e;
    struct pair p;
    struct herd_groute_rx *rx[2];
    struct herd_groute_tx *tx[2];
    for (int w = 0; w < 2; w++) {
        CHECK_EQ(herd_dp_listen("127.0.0.1", 0, NULL, &p.dp[w], &e), HERD_OK);
        p.s[w] = herd_dp_session_create(p.dp[w], 79, 1, (uint32_t)w, 2, 4, owner, 8);
        CHECK_EQ(herd_groute_rx_create(4, owner, 2, (uint32_t)w, 1, &rx[w], &e), HERD_OK);
        herd_dp_set_route(p.s[w], rx[w]);
    }
    char *peers[2] = {(char *)herd_dp_addr(p.dp[0]), (char *)herd_dp_addr(p.dp[1])};
    for (int w = 0; w < 2; w++) {
        CHECK_EQ(herd_dp_connect(p.s[w], peers, &e), HERD_OK);
        tx[w] = herd_groute_tx_create(p.s[w], rx[w], 4, owner, 2, (uint32_t)w, 1);
    }
    for (uint64_t i = 0; i < N; i++) { /* edge i: i -> 3i+1, weight i/2 */
        struct herd_groute_tx *t = tx[i & 1];
        uint64_t src = i, dst = 3 * i + 1;
        CHECK_EQ(herd_groute_tx_edge(t, (uint32_t)(src % 4), HERD_DPF_OUT, src, dst, i / 2.0, &e),
                 HERD_OK);
        CHECK_EQ(herd_groute_tx_edge(t, (uint32_t)(dst % 4), HERD_DPF_IN, src, dst, i / 2.0, &e),
                 HERD_OK);
        CHECK_EQ(herd_groute_tx_id(t, (uint32_t)(src % 4), src, &e), HERD_OK);
    }
    for (int w = 0; w < 2; w++)
        CHECK_EQ(herd_groute_tx_finish(tx[w], &e), HERD_OK);
    for (int w = 0; w < 2; w++)
        CHECK_EQ(herd_groute_rx_wait(rx[w]), HERD_OK);
    uint64_t outs = 0, ins = 0, ids = 0, sum = 0;
    for (uint32_t part = 0; part < 4; part++) {
        const struct herd_groute_part *gp = herd_groute_rx_part(rx[owner[part]], part);
        for (size_t k = 0; k < gp->out.n; k++) {
            CHECK_EQ(gp->out.src[k] % 4, part);
            CHECK_EQ(gp->out.dst[k], 3 * gp->out.src[k] + 1);
            CHECK(gp->out.w[k] == gp->out.src[k] / 2.0);
            sum += gp->out.src[k];
        }
        for (size_t k = 0; k < gp->in.n; k++)
            CHECK_EQ(gp->in.dst[k] % 4, part);
        for (size_t k = 0; k < gp->nids; k++)
            CHECK_EQ(gp->ids[k] % 4, part);
        outs += gp->out.n;
        ins += gp->in.n;
        ids += gp->nids;
    }
    CHECK_EQ(outs, N);
    CHECK_EQ(ins, N);
    CHECK_EQ(ids, N);
    CHECK_EQ(sum, (uint64_t)N * (N - 1) / 2);
    for (int w = 0; w < 2; w++)
        herd_groute_tx_destroy(tx[w]);
    close_pair(&p);
    for (int w = 0; w < 2; w++)
        herd_groute_rx_destroy(rx[w]);
}

/* A connection held for an epoch that never opened here is closed when a
 * later epoch of the job opens; the later epoch works. */
HERD_TEST(dataplane_a_held_connection_of_a_past_epoch_is_dropped)
{
    struct herd_err e;
    struct herd_dp *dp[2];
    for (int w = 0; w < 2; w++)
        CHECK_EQ(herd_dp_listen("127.0.0.1", 0, NULL, &dp[w], &e), HERD_OK);
    char *peers[2] = {(char *)herd_dp_addr(dp[0]), (char *)herd_dp_addr(dp[1])};
    struct herd_dp_session *old = herd_dp_session_create(dp[0], 77, 3, 0, 2, 4, owner, 8);
    CHECK_EQ(herd_dp_connect(old, peers, &e), HERD_OK); /* held by worker 1: no epoch 3 there */
    struct pair p = {{dp[0], dp[1]}, {NULL, NULL}};
    p.s[0] = herd_dp_session_create(dp[0], 77, 4, 0, 2, 4, owner, 8);
    p.s[1] = herd_dp_session_create(dp[1], 77, 4, 1, 2, 4, owner, 8);
    for (int w = 0; w < 2; w++)
        CHECK_EQ(herd_dp_connect(p.s[w], peers, &e), HERD_OK);
    /* the held epoch-3 link was closed on worker 1: worker 0's sends on it fail
     * once the reset comes back (poll, bounded) */
    struct herd_exchange x = herd_dp_exchange(old);
    int failed = 0;
    for (int i = 0; i < 200 && !failed; i++) {
        struct herd_msgbatch *b = batch(1, 1);
        failed = x.ops->deliver(x.impl, 0, 1, 0, b) != HERD_OK;
        if (failed)
            herd_msgbatch_free_list(b); /* a failed delivery leaves it to the caller */
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    CHECK(failed);
    herd_dp_session_destroy(old);
    struct herd_exchange x0 = herd_dp_exchange(p.s[0]), x1 = herd_dp_exchange(p.s[1]);
    send_step(x0, 0, 0, 10);
    send_step(x0, 2, 0, 20);
    struct herd_msgbatch *l = NULL;
    CHECK_EQ(x1.ops->take(x1.impl, 1, 2, 0, &l), HERD_OK);
    CHECK(l != NULL);
    herd_msgbatch_free_list(l);
    close_pair(&p);
}
