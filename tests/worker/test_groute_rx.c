/* The routed load's receiver (worker/groute_rx.h): records land in their
 * partition's buffers, LOADED counts are checked against what arrived, the
 * wait ends when every peer is done or the receiver fails. */
#include "check.h"

#include "worker/groute_rx.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* 4 partitions over 3 workers; I am worker 0 and own 0 and 3. */
static const uint32_t owner[4] = {0, 1, 2, 0};

/* An EDGES frame body for partition part with n records i -> i + 100. */
static size_t edges_body(uint8_t *b, uint32_t part, uint8_t kind, uint8_t wt, uint32_t n)
{
    herd_dpframe_edges_put(b, part, kind, wt, n);
    size_t len = HERD_DPF_EDGES_HDR;
    for (uint32_t i = 0; i < n; i++)
        len += herd_dpframe_edge_put(b + len, i, (uint64_t)i + 100, wt, 0.5 * i);
    return len;
}

static struct herd_dpframe_edges decode_edges(const uint8_t *b, size_t n)
{
    struct herd_dpframe_shape sh = {4, 0, 8, owner, NULL};
    struct herd_dpframe_edges f;
    struct herd_err e;
    CHECK_EQ(herd_dpframe_edges_decode(&sh, b, n, &f, &e), HERD_OK);
    return f;
}

HERD_TEST(groute_rx_appends_into_partition_buffers)
{
    struct herd_groute_rx *rx;
    struct herd_err e;
    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 1, &rx, &e), HERD_OK);
    uint8_t b[HERD_DPF_EDGES_HDR + 300 * 24];
    struct herd_dpframe_edges f = decode_edges(b, edges_body(b, 3, HERD_DPF_OUT, 1, 300));
    CHECK_EQ(herd_groute_rx_edges(rx, 1, &f, &e), HERD_OK);
    f = decode_edges(b, edges_body(b, 0, HERD_DPF_IN, 1, 2));
    CHECK_EQ(herd_groute_rx_edges(rx, 2, &f, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_add_edge(rx, 3, HERD_DPF_OUT, 9, 8, 7.0), HERD_OK);
    CHECK_EQ(herd_groute_rx_add_edge(rx, 1, HERD_DPF_OUT, 9, 8, 7.0), HERD_EINVAL);
    CHECK_EQ(herd_groute_rx_add_id(rx, 0, 42), HERD_OK);
    const struct herd_groute_part *p3 = herd_groute_rx_part(rx, 3);
    CHECK_EQ(p3->out.n, 301u);
    CHECK_EQ(p3->in.n, 0u);
    CHECK_EQ(p3->out.src[299], 299u);
    CHECK_EQ(p3->out.dst[299], 399u);
    CHECK(p3->out.w[299] == 0.5 * 299);
    CHECK_EQ(p3->out.src[300], 9u);
    CHECK(p3->out.w[300] == 7.0);
    const struct herd_groute_part *p0 = herd_groute_rx_part(rx, 0);
    CHECK_EQ(p0->in.n, 2u);
    CHECK_EQ(p0->in.dst[1], 101u);
    CHECK_EQ(p0->nids, 1u);
    CHECK_EQ(p0->ids[0], 42u);
    herd_groute_rx_destroy(rx);
}

HERD_TEST(groute_rx_loaded_checks_counts_and_ends_the_wait)
{
    struct herd_groute_rx *rx;
    struct herd_err e;
    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 0, &rx, &e), HERD_OK);
    uint8_t b[HERD_DPF_EDGES_HDR + 5 * 16];
    struct herd_dpframe_edges f = decode_edges(b, edges_body(b, 0, HERD_DPF_OUT, 0, 5));
    CHECK_EQ(herd_groute_rx_edges(rx, 1, &f, &e), HERD_OK);
    uint8_t v[HERD_DPF_VIDS_HDR + 8];
    herd_dpframe_vids_put(v, 3, 1);
    memset(v + HERD_DPF_VIDS_HDR, 0, 8);
    struct herd_dpframe_shape sh = {4, 0, 8, owner, NULL};
    struct herd_dpframe_vids fv;
    CHECK_EQ(herd_dpframe_vids_decode(&sh, v, sizeof v, &fv, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_vids(rx, 2, &fv, 0, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_loaded(rx, 1, 5, 0, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_edges(rx, 1, &f, &e), HERD_EPROTO); /* after its LOADED */
    CHECK(strstr(e.msg, "after its LOADED") != NULL);
    herd_groute_rx_destroy(rx);

    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 0, &rx, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_vids(rx, 2, &fv, 0, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_loaded(rx, 1, 0, 0, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_loaded(rx, 2, 0, 1, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_wait(rx), HERD_OK);
    herd_groute_rx_destroy(rx);

    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 0, &rx, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_loaded(rx, 2, 3, 0, &e), HERD_EPROTO); /* 3 sent, 0 arrived */
    CHECK(strstr(e.msg, "worker 2") != NULL);
    CHECK_EQ(herd_groute_rx_wait(rx), HERD_ECLOSED);
    herd_groute_rx_destroy(rx);
}

HERD_TEST(groute_rx_refuses_wrong_senders_and_weights)
{
    struct herd_groute_rx *rx;
    struct herd_err e;
    uint32_t bad[4] = {0, 1, 3, 0};
    CHECK_EQ(herd_groute_rx_create(4, bad, 3, 0, 0, &rx, &e), HERD_EINVAL);
    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 3, 0, &rx, &e), HERD_EINVAL);
    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 0, &rx, &e), HERD_OK);
    uint8_t b[HERD_DPF_EDGES_HDR + 24];
    struct herd_dpframe_edges f = decode_edges(b, edges_body(b, 0, HERD_DPF_OUT, 1, 1));
    CHECK_EQ(herd_groute_rx_edges(rx, 1, &f, &e), HERD_EPROTO); /* weighted, load is not */
    herd_groute_rx_destroy(rx);
    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 0, &rx, &e), HERD_OK);
    f = decode_edges(b, edges_body(b, 0, HERD_DPF_OUT, 0, 1));
    CHECK_EQ(herd_groute_rx_edges(rx, 0, &f, &e), HERD_EPROTO); /* from myself */
    CHECK_EQ(herd_groute_rx_loaded(rx, 7, 0, 0, &e), HERD_EPROTO);
    herd_groute_rx_destroy(rx);
}

static void *waiter(void *arg)
{
    return (void *)(intptr_t)herd_groute_rx_wait(arg);
}

HERD_TEST(groute_rx_fail_wakes_a_waiter)
{
    struct herd_groute_rx *rx;
    struct herd_err e;
    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 0, &rx, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_loaded(rx, 1, 0, 0, &e), HERD_OK);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, waiter, rx), 0);
    herd_groute_rx_fail(rx); /* before or after it waits: either way it returns */
    void *rc;
    pthread_join(th, &rc);
    CHECK_EQ((int)(intptr_t)rc, HERD_ECLOSED);
    herd_groute_rx_destroy(rx);
}

HERD_TEST(groute_rx_counts_gather_and_refuse_a_second_count)
{
    struct herd_groute_rx *rx;
    struct herd_err e;
    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 0, &rx, &e), HERD_OK);
    struct herd_dpframe_shape sh = {4, 0, 8, owner, NULL};
    uint8_t b[HERD_DPF_COUNTS_HDR + 12];
    herd_dpframe_counts_put(b, 1);
    herd_dpframe_count_put(b + HERD_DPF_COUNTS_HDR, 1, 11);
    struct herd_dpframe_counts f;
    CHECK_EQ(herd_dpframe_counts_decode(&sh, 1, b, sizeof b, &f, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_counts(rx, &f, &e), HERD_OK);
    herd_groute_rx_set_count(rx, 0, 5);
    herd_groute_rx_set_count(rx, 3, 7);
    herd_dpframe_count_put(b + HERD_DPF_COUNTS_HDR, 2, 13);
    CHECK_EQ(herd_dpframe_counts_decode(&sh, 2, b, sizeof b, &f, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_counts(rx, &f, &e), HERD_OK);
    uint64_t c[4];
    CHECK_EQ(herd_groute_rx_wait_counts(rx, c), HERD_OK);
    CHECK_EQ(c[0], 5u);
    CHECK_EQ(c[1], 11u);
    CHECK_EQ(c[2], 13u);
    CHECK_EQ(c[3], 7u);
    CHECK_EQ(herd_groute_rx_counts(rx, &f, &e), HERD_EPROTO); /* partition 2 again */
    CHECK(strstr(e.msg, "twice") != NULL);
    herd_groute_rx_destroy(rx);
}

static struct herd_dpframe_scanned scanned(uint8_t *b, uint64_t edges, uint32_t code,
                                           const char *msg)
{
    size_t len = strlen(msg);
    herd_dpframe_scanned_put(b, edges, 0, code, (uint32_t)len);
    memcpy(b + HERD_DPF_SCANNED_HDR, msg, len);
    struct herd_dpframe_scanned f;
    struct herd_err e;
    CHECK_EQ(herd_dpframe_scanned_decode(b, HERD_DPF_SCANNED_HDR + len, &f, &e), HERD_OK);
    return f;
}

/* The verdict: the lowest failing worker's error, whatever the order; a
 * worker gone after its SCANNED does not fail the wait when the verdict is
 * a failure, and does when it is a success (it crashed). */
HERD_TEST(groute_rx_verdict_is_the_lowest_failing_worker)
{
    struct herd_groute_rx *rx;
    struct herd_err e;
    uint8_t b[HERD_DPF_SCANNED_HDR + 64];
    struct herd_groute_scanned v;
    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 0, &rx, &e), HERD_OK);
    struct herd_dpframe_scanned f = scanned(b, 5, HERD_EPARSE, "g.txt:90: bad");
    CHECK_EQ(herd_groute_rx_scanned(rx, 2, &f, &e), HERD_OK);
    CHECK_EQ(herd_groute_rx_scanned(rx, 2, &f, &e), HERD_EPROTO); /* twice */
    herd_groute_rx_destroy(rx);

    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 0, &rx, &e), HERD_OK);
    f = scanned(b, 5, HERD_EPARSE, "g.txt:90: bad");
    CHECK_EQ(herd_groute_rx_scanned(rx, 2, &f, &e), HERD_OK);
    herd_groute_rx_lost(rx, 2); /* it saw a failure and left */
    f = scanned(b, 7, HERD_EPARSE, "g.txt:40: worse");
    CHECK_EQ(herd_groute_rx_scanned(rx, 1, &f, &e), HERD_OK);
    herd_groute_rx_set_scanned(rx, 3, 0, 0, NULL);
    CHECK_EQ(herd_groute_rx_wait_scanned(rx, &v), HERD_OK);
    CHECK_EQ(v.failed, 1);
    CHECK_EQ(v.code, HERD_EPARSE);
    CHECK_STR(v.msg, "g.txt:40: worse");
    CHECK_EQ(v.edges, 15u);
    herd_groute_rx_destroy(rx);

    /* a clean scan everywhere, but worker 1 went: the verdict fails */
    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 0, &rx, &e), HERD_OK);
    f = scanned(b, 5, 0, "");
    CHECK_EQ(herd_groute_rx_scanned(rx, 1, &f, &e), HERD_EPROTO); /* before its LOADED */
    herd_groute_rx_destroy(rx);
    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 0, &rx, &e), HERD_OK);
    for (uint32_t w = 1; w <= 2; w++) {
        CHECK_EQ(herd_groute_rx_loaded(rx, w, 0, 0, &e), HERD_OK);
        f = scanned(b, 5, 0, "");
        CHECK_EQ(herd_groute_rx_scanned(rx, w, &f, &e), HERD_OK);
    }
    herd_groute_rx_lost(rx, 1);
    herd_groute_rx_set_scanned(rx, 1, 0, 0, NULL);
    CHECK_EQ(herd_groute_rx_wait_scanned(rx, &v), HERD_ECLOSED);
    herd_groute_rx_destroy(rx);

    /* a worker lost before its SCANNED fails the wait */
    CHECK_EQ(herd_groute_rx_create(4, owner, 3, 0, 0, &rx, &e), HERD_OK);
    herd_groute_rx_lost(rx, 2);
    CHECK_EQ(herd_groute_rx_wait_scanned(rx, &v), HERD_ECLOSED);
    herd_groute_rx_destroy(rx);
}
