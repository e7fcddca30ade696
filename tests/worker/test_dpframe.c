/* The data plane's frame bodies (worker/dpframe.h): what the encoders write
 * decodes back; each rule of the receiving side refuses a body that breaks
 * it, with a reason; and the plain link (worker/dplink.h) reads frames
 * from a socket and reports a bad header as a bad frame. */
#include "check.h"

#include "base/bytes.h"
#include "worker/dataplane.h"
#include "worker/dpframe.h"
#include "worker/dplink.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* 4 partitions: 0 and 2 on worker 0 (me), 1 and 3 on worker 1. */
static const uint32_t owner[4] = {0, 1, 0, 1};
static const uint32_t bounds[5] = {0, 2, 5, 5, 9};

static size_t batch_body(uint8_t *b, uint32_t from, uint32_t to, uint32_t count, uint32_t rec)
{
    herd_dpframe_batch_put(b, from, to, 9, count, rec);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *p = b + HERD_DPF_BATCH_HDR + (size_t)i * rec;
        herd_put_u32(p, 100 + i);
        memset(p + 4, 'a' + (int)i, rec - 4);
    }
    return HERD_DPF_BATCH_HDR + (size_t)count * rec;
}

HERD_TEST(dpframe_batch_round_trip_and_copy)
{
    struct herd_dpframe_shape sh = {4, 0, 8, owner, NULL};
    uint8_t b[HERD_DPF_BATCH_HDR + 3 * 12];
    size_t n = batch_body(b, 3, 2, 3, 12);
    struct herd_dpframe_batch fb;
    struct herd_err e;
    CHECK_EQ(herd_dpframe_batch_decode(&sh, 1, b, n, &fb, &e), HERD_OK);
    CHECK_EQ(fb.from, 3u);
    CHECK_EQ(fb.to, 2u);
    CHECK_EQ(fb.step, 9u);
    CHECK_EQ(fb.count, 3u);
    uint8_t out[3 * 12];
    herd_dpframe_batch_copy(&fb, out);
    uint32_t t;
    memcpy(&t, out + 12, 4);
    CHECK_EQ(t, 101u); /* host order now */
    CHECK(memcmp(out + 16, "bbbbbbbb", 8) == 0);
}

HERD_TEST(dpframe_batch_refuses_what_the_session_cannot_take)
{
    struct herd_dpframe_shape sh = {4, 0, 8, owner, NULL};
    uint8_t b[HERD_DPF_BATCH_HDR + 2 * 12];
    struct herd_dpframe_batch fb;
    struct herd_err e;
    size_t n = batch_body(b, 1, 0, 2, 12);
    CHECK_EQ(herd_dpframe_batch_decode(&sh, 1, b, n, &fb, &e), HERD_OK);
    CHECK_EQ(herd_dpframe_batch_decode(&sh, 0, b, n, &fb, &e), HERD_EPROTO); /* not 0's */
    CHECK(strstr(e.msg, "BATCH") != NULL);
    CHECK_EQ(herd_dpframe_batch_decode(&sh, 1, b, n - 1, &fb, &e), HERD_EPROTO);
    CHECK_EQ(herd_dpframe_batch_decode(&sh, 1, b, 23, &fb, &e), HERD_EPROTO);
    n = batch_body(b, 1, 3, 2, 12); /* to a partition of the sender's */
    CHECK_EQ(herd_dpframe_batch_decode(&sh, 1, b, n, &fb, &e), HERD_EPROTO);
    n = batch_body(b, 4, 0, 2, 12); /* no partition 4 */
    CHECK_EQ(herd_dpframe_batch_decode(&sh, 1, b, n, &fb, &e), HERD_EPROTO);
    sh.msg_size = 4; /* record size no longer 4 + msg_size */
    n = batch_body(b, 1, 0, 2, 12);
    CHECK_EQ(herd_dpframe_batch_decode(&sh, 1, b, n, &fb, &e), HERD_EPROTO);
    /* a count whose product with rec wraps 32 bits */
    sh.msg_size = 8;
    herd_dpframe_batch_put(b, 1, 0, 0, 0x80000000u, 12);
    CHECK_EQ(herd_dpframe_batch_decode(&sh, 1, b, HERD_DPF_BATCH_HDR, &fb, &e), HERD_EPROTO);
}

HERD_TEST(dpframe_vector_end_hello_challenge)
{
    struct herd_dpframe_shape sh = {4, 0, 8, owner, bounds};
    uint8_t b[HERD_DPF_VECTOR_HDR + 4 * 9];
    herd_dpframe_vector_put(b, 3, 6, 4);
    for (int i = 0; i < 4; i++) {
        double x = 0.25 * i;
        uint64_t bits;
        memcpy(&bits, &x, 8);
        herd_put_u64(b + HERD_DPF_VECTOR_HDR + 8 * i, bits);
        b[HERD_DPF_VECTOR_HDR + 32 + i] = (uint8_t)(i & 1);
    }
    struct herd_dpframe_vector v;
    struct herd_err e;
    CHECK_EQ(herd_dpframe_vector_decode(&sh, 1, b, sizeof b, &v, &e), HERD_OK);
    double x[4];
    uint8_t em[4];
    herd_dpframe_vector_copy(&v, x, em);
    CHECK(x[3] == 0.75 && em[3] == 1 && em[2] == 0 && v.step == 6);
    CHECK_EQ(herd_dpframe_vector_decode(&sh, 0, b, sizeof b, &v, &e), HERD_EPROTO);
    CHECK_EQ(herd_dpframe_vector_decode(&sh, 1, b, sizeof b - 1, &v, &e), HERD_EPROTO);
    herd_dpframe_vector_put(b, 1, 6, 4); /* partition 1 has 3 entries */
    CHECK_EQ(herd_dpframe_vector_decode(&sh, 1, b, sizeof b, &v, &e), HERD_EPROTO);
    sh.bounds = NULL; /* not on the pull path */
    herd_dpframe_vector_put(b, 3, 6, 4);
    CHECK_EQ(herd_dpframe_vector_decode(&sh, 1, b, sizeof b, &v, &e), HERD_EPROTO);

    uint8_t end[8];
    uint64_t step = 0;
    herd_put_u64(end, 41);
    CHECK_EQ(herd_dpframe_end_decode(end, 8, &step, &e), HERD_OK);
    CHECK_EQ(step, 41u);
    CHECK_EQ(herd_dpframe_end_decode(end, 7, &step, &e), HERD_EPROTO);

    uint8_t hello[HERD_DPF_HELLO_ID + 32] = {0};
    herd_dpframe_hello_put(hello, 77, 2, 1);
    struct herd_dpframe_hello h;
    CHECK_EQ(herd_dpframe_hello_decode(hello, sizeof hello, &h, &e), HERD_OK);
    CHECK(h.job == 77 && h.epoch == 2 && h.from == 1 && h.mac == hello + HERD_DPF_HELLO_ID);
    CHECK_EQ(herd_dpframe_hello_decode(hello, 16, &h, &e), HERD_EPROTO);
    const uint8_t *nonce = NULL;
    CHECK_EQ(herd_dpframe_challenge_decode(hello, 32, &nonce, &e), HERD_OK);
    CHECK(nonce == hello);
    CHECK_EQ(herd_dpframe_challenge_decode(hello, 31, &nonce, &e), HERD_EPROTO);
}

HERD_TEST(dplink_plain_reads_frames_and_names_a_bad_one)
{
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct herd_dplink out, in;
    struct herd_err e;
    CHECK_EQ(herd_dplink_open(&out, sv[0], NULL, &e), HERD_OK);
    CHECK_EQ(herd_dplink_open(&in, sv[1], NULL, &e), HERD_OK);
    uint8_t hdr[8] = {1, 2, 3, 4, 5, 6, 7, 8}, body[3] = {9, 10, 11};
    CHECK_EQ(herd_dplink_send(&out, HERD_DP_END, hdr, 8, body, 3, &e), HERD_OK);
    CHECK_EQ(write(sv[0], "GET / HTTP/1.1\r\n", 16), 16);
    uint16_t type;
    uint8_t *b;
    uint32_t len;
    CHECK_EQ(herd_dplink_read(&in, 1024, &type, &b, &len, &e), HERD_OK);
    CHECK_EQ(type, HERD_DP_END);
    CHECK_EQ(len, 11u);
    CHECK(b[0] == 1 && b[8] == 9 && b[10] == 11);
    free(b);
    CHECK(herd_dplink_read(&in, 1024, &type, &b, &len, &e) != HERD_OK);
    CHECK(strstr(e.msg, "bad frame") != NULL);
    herd_dplink_fini(&out); /* end of stream for the reader */
    CHECK_EQ(herd_dplink_read(&in, 1024, &type, &b, &len, &e), HERD_ECLOSED);
    herd_dplink_fini(&in);
}

/* ---- routed loading: EDGES, VIDS, LOADED ---- */

HERD_TEST(dpframe_edges_round_trip_weighted_and_not)
{
    struct herd_dpframe_shape sh = {4, 0, 8, owner, NULL};
    for (uint8_t wt = 0; wt <= 1; wt++) {
        uint8_t b[HERD_DPF_EDGES_HDR + 2 * 24];
        herd_dpframe_edges_put(b, 2, HERD_DPF_IN, wt, 2);
        size_t n = HERD_DPF_EDGES_HDR;
        n += herd_dpframe_edge_put(b + n, 1ULL << 40, 7, wt, 0.25);
        n += herd_dpframe_edge_put(b + n, UINT64_MAX, 0, wt, -3.5);
        CHECK_EQ(n, HERD_DPF_EDGES_HDR + 2 * herd_dpframe_edge_size(wt));
        struct herd_dpframe_edges f;
        struct herd_err e;
        CHECK_EQ(herd_dpframe_edges_decode(&sh, b, n, &f, &e), HERD_OK);
        CHECK_EQ(f.part, 2u);
        CHECK_EQ(f.kind, HERD_DPF_IN);
        CHECK_EQ(f.weighted, wt);
        CHECK_EQ(f.count, 2u);
        uint64_t src, dst;
        double w;
        herd_dpframe_edge_at(&f, 1, &src, &dst, &w);
        CHECK(src == UINT64_MAX);
        CHECK_EQ(dst, 0u);
        CHECK(w == (wt ? -3.5 : 1.0));
        herd_dpframe_edge_at(&f, 0, &src, &dst, &w);
        CHECK(src == 1ULL << 40);
        CHECK_EQ(dst, 7u);
    }
}

HERD_TEST(dpframe_edges_refuses_bad_bodies)
{
    struct herd_dpframe_shape sh = {4, 0, 8, owner, NULL};
    uint8_t b[HERD_DPF_EDGES_HDR + 16];
    struct herd_dpframe_edges f;
    struct herd_err e;
    herd_dpframe_edges_put(b, 0, HERD_DPF_OUT, 0, 1);
    herd_dpframe_edge_put(b + HERD_DPF_EDGES_HDR, 1, 2, 0, 0);
    CHECK_EQ(herd_dpframe_edges_decode(&sh, b, sizeof b, &f, &e), HERD_OK);
    CHECK_EQ(herd_dpframe_edges_decode(&sh, b, sizeof b - 1, &f, &e), HERD_EPROTO);
    CHECK_EQ(herd_dpframe_edges_decode(&sh, b, 5, &f, &e), HERD_EPROTO);
    herd_dpframe_edges_put(b, 1, HERD_DPF_OUT, 0, 1); /* worker 1's partition */
    CHECK_EQ(herd_dpframe_edges_decode(&sh, b, sizeof b, &f, &e), HERD_EPROTO);
    CHECK(strstr(e.msg, "partition 1") != NULL);
    herd_dpframe_edges_put(b, 4, HERD_DPF_OUT, 0, 1); /* no such partition */
    CHECK_EQ(herd_dpframe_edges_decode(&sh, b, sizeof b, &f, &e), HERD_EPROTO);
    herd_dpframe_edges_put(b, 0, 2, 0, 1); /* no such kind */
    CHECK_EQ(herd_dpframe_edges_decode(&sh, b, sizeof b, &f, &e), HERD_EPROTO);
    herd_dpframe_edges_put(b, 0, HERD_DPF_OUT, 1, 1); /* weighted: 24 bytes a record */
    CHECK_EQ(herd_dpframe_edges_decode(&sh, b, sizeof b, &f, &e), HERD_EPROTO);
    herd_dpframe_edges_put(b, 0, HERD_DPF_OUT, 0, 1);
    b[7] = 1; /* reserved */
    CHECK_EQ(herd_dpframe_edges_decode(&sh, b, sizeof b, &f, &e), HERD_EPROTO);
    herd_dpframe_edges_put(b, 0, HERD_DPF_OUT, 0, 0x10000001); /* count * 16 wraps in 32 bits */
    CHECK_EQ(herd_dpframe_edges_decode(&sh, b, sizeof b, &f, &e), HERD_EPROTO);
}

HERD_TEST(dpframe_vids_and_loaded)
{
    struct herd_dpframe_shape sh = {4, 0, 8, owner, NULL};
    uint8_t b[HERD_DPF_VIDS_HDR + 3 * 8];
    herd_dpframe_vids_put(b, 2, 3);
    for (int i = 0; i < 3; i++)
        herd_put_u64(b + HERD_DPF_VIDS_HDR + 8 * i, 1000000000000ULL * (uint64_t)(i + 1));
    struct herd_dpframe_vids f;
    struct herd_err e;
    CHECK_EQ(herd_dpframe_vids_decode(&sh, b, sizeof b, &f, &e), HERD_OK);
    CHECK_EQ(f.count, 3u);
    CHECK(herd_dpframe_vid_at(&f, 2) == 3000000000000ULL);
    CHECK_EQ(herd_dpframe_vids_decode(&sh, b, sizeof b - 8, &f, &e), HERD_EPROTO);
    herd_dpframe_vids_put(b, 3, 3); /* worker 1's */
    CHECK_EQ(herd_dpframe_vids_decode(&sh, b, sizeof b, &f, &e), HERD_EPROTO);
    uint8_t l[HERD_DPF_LOADED_LEN];
    uint64_t ne, ni;
    herd_dpframe_loaded_put(l, 5, 1ULL << 33);
    CHECK_EQ(herd_dpframe_loaded_decode(l, sizeof l, &ne, &ni, &e), HERD_OK);
    CHECK_EQ(ne, 5u);
    CHECK(ni == 1ULL << 33);
    CHECK_EQ(herd_dpframe_loaded_decode(l, sizeof l - 1, &ne, &ni, &e), HERD_EPROTO);
}

HERD_TEST(dpframe_counts_only_for_the_senders_partitions)
{
    struct herd_dpframe_shape sh = {4, 0, 8, owner, NULL};
    uint8_t b[HERD_DPF_COUNTS_HDR + 2 * 12];
    herd_dpframe_counts_put(b, 2);
    herd_dpframe_count_put(b + HERD_DPF_COUNTS_HDR, 1, 10);
    herd_dpframe_count_put(b + HERD_DPF_COUNTS_HDR + 12, 3, 1ULL << 35);
    struct herd_dpframe_counts f;
    struct herd_err e;
    CHECK_EQ(herd_dpframe_counts_decode(&sh, 1, b, sizeof b, &f, &e), HERD_OK);
    uint32_t part;
    uint64_t count;
    herd_dpframe_count_at(&f, 1, &part, &count);
    CHECK_EQ(part, 3u);
    CHECK(count == 1ULL << 35);
    CHECK_EQ(herd_dpframe_counts_decode(&sh, 0, b, sizeof b, &f, &e), HERD_EPROTO);
    CHECK_EQ(herd_dpframe_counts_decode(&sh, 1, b, sizeof b - 1, &f, &e), HERD_EPROTO);
    herd_dpframe_count_put(b + HERD_DPF_COUNTS_HDR, 9, 10); /* no such partition */
    CHECK_EQ(herd_dpframe_counts_decode(&sh, 1, b, sizeof b, &f, &e), HERD_EPROTO);
}

HERD_TEST(dpframe_ask_is_for_my_partition_and_answer_from_its_owner)
{
    struct herd_dpframe_shape sh = {4, 0, 8, owner, NULL};
    uint8_t b[HERD_DPF_VIDS_HDR + 2 * 8];
    struct herd_dpframe_ids f;
    struct herd_err e;
    herd_dpframe_vids_put(b, 2, 2); /* ASK about my partition 2: two u64 ids */
    CHECK_EQ(herd_dpframe_ask_decode(&sh, b, sizeof b, &f, &e), HERD_OK);
    CHECK_EQ(f.count, 2u);
    herd_dpframe_vids_put(b, 1, 2); /* partition 1 is worker 1's */
    CHECK_EQ(herd_dpframe_ask_decode(&sh, b, sizeof b, &f, &e), HERD_EPROTO);
    herd_dpframe_vids_put(b, 1, 4); /* ANSWER from worker 1 about its partition 1: 4 u32 */
    CHECK_EQ(herd_dpframe_answer_decode(&sh, 1, b, sizeof b, &f, &e), HERD_OK);
    CHECK_EQ(herd_dpframe_answer_decode(&sh, 0, b, sizeof b, &f, &e), HERD_EPROTO);
    herd_dpframe_vids_put(b, 1, 3);
    CHECK_EQ(herd_dpframe_answer_decode(&sh, 1, b, sizeof b, &f, &e), HERD_EPROTO);
}
