/* The graph-job messages (wire/gmsg.h): every op round-trips through a
 * GRAPH control frame, and every truncation or trailing byte is refused. */
#include "check.h"

#include "base/mem.h"
#include "wire/gmsg.h"

#include <stdlib.h>
#include <string.h>

static uint32_t owners[5] = {0, 1, 2, 0, 1};
static char *peers[3] = {"127.0.0.1:1", "127.0.0.1:2", "10.0.0.3:7000"};
static struct herd_gpart_report reps[2];

static struct herd_gmsg make(uint8_t op)
{
    struct herd_gmsg g;
    memset(&g, 0, sizeof g);
    g.op = op;
    switch (op) {
    case HERD_GOP_SETUP:
        g.u.setup = (struct herd_gsetup){.algo = "sssp", .plugin = (uint8_t *)"\x7f" "ELF\0x",
                                         .plugin_len = 6, .graph = "/data/g.e", .format = 2,
                                         .directed = 1, .has_source = 1, .source = 1ULL << 40,
                                         .iterations = 7, .damping = 0.85, .seed = 99,
                                         .arg = "k=v", .threads = 2, .nworkers = 3, .me = 2,
                                         .nparts = 5, .owner = owners, .ckpt_dir = "/ck",
                                         .restore = 10, .partitioning = 2,
                                         .npeers = 3, .peers = peers};
        break;
    case HERD_GOP_READY:
        g.u.ready = (struct herd_gready){.ok = 1, .error = "", .dp_addr = "127.0.0.1:5",
                                         .n = 10, .m = 20, .max_steps = 21, .naggs = 2,
                                         .agg_op = {0, 3}, .agg_type = {1, 0}, .load_ms = 1.5};
        break;
    case HERD_GOP_STEP:
        g.u.step = (struct herd_gstep){.step = 4, .checkpoint = 1, .naggs = 2,
                                       .aggs = {5, 0xffffffffffffffffULL}, .npeers = 3,
                                       .peers = peers};
        break;
    case HERD_GOP_REPORT:
        reps[0] = (struct herd_gpart_report){.part = 1, .computed = 2, .active = 3, .sent = 4,
                                             .exchanged = 5, .aggs = {6, 7}};
        reps[1] = (struct herd_gpart_report){.part = 4, .aggs = {8, 9}};
        g.u.report = (struct herd_greport){.step = 4, .status = HERD_GREP_STOPPED,
                                           .error = "none", .saved = 1, .compute_ms = 2.5,
                                           .bytes = 1000, .naggs = 2, .nparts = 2,
                                           .parts = reps};
        break;
    case HERD_GOP_WRITE: g.u.write.dir = "/out"; break;
    case HERD_GOP_DONE: g.u.done = (struct herd_gdone){.ok = 0, .error = "disk full"}; break;
    default: break;
    }
    return g;
}

static void encoded(const struct herd_gmsg *g, struct herd_wbuf *w)
{
    herd_wbuf_init(w);
    herd_gmsg_encode(g, w);
}

HERD_TEST(gmsg_every_op_round_trips_through_a_graph_frame)
{
    for (uint8_t op = HERD_GOP_SETUP; op <= HERD_GOP_ABORT; op++) {
        struct herd_gmsg g = make(op), d;
        struct herd_msg m, back;
        struct herd_wbuf w1, w2, frame;
        struct herd_err e;
        herd_gmsg_wrap(&g, 1000007, 9, &m);
        herd_wbuf_init(&frame);
        herd_msg_encode(&m, &frame);
        CHECK_EQ(herd_msg_decode(HERD_MSG_GRAPH, frame.p, frame.len, &back, &e), HERD_OK);
        CHECK_EQ(back.u.graph.job_id, 1000007);
        CHECK_EQ(back.u.graph.epoch, 9);
        CHECK_EQ(back.u.graph.op, op);
        CHECK_EQ(herd_gmsg_decode(op, back.u.graph.body, back.u.graph.body_len, &d, &e), HERD_OK);
        encoded(&g, &w1);
        encoded(&d, &w2);
        CHECK_EQ(w1.len, w2.len);
        CHECK(w1.len == 0 || memcmp(w1.p, w2.p, w1.len) == 0);
        herd_wbuf_fini(&w1);
        herd_wbuf_fini(&w2);
        herd_wbuf_fini(&frame);
        herd_gmsg_free(&d);
        herd_msg_free(&m);
        herd_msg_free(&back);
    }
}

HERD_TEST(gmsg_fields_survive)
{
    struct herd_gmsg g = make(HERD_GOP_SETUP), d;
    struct herd_wbuf w;
    struct herd_err e;
    encoded(&g, &w);
    CHECK_EQ(herd_gmsg_decode(HERD_GOP_SETUP, w.p, w.len, &d, &e), HERD_OK);
    CHECK_STR(d.u.setup.graph, "/data/g.e");
    CHECK_EQ(d.u.setup.plugin_len, 6);
    CHECK(memcmp(d.u.setup.plugin, "\x7f" "ELF\0x", 6) == 0);
    CHECK_EQ(d.u.setup.source, 1ULL << 40);
    CHECK(d.u.setup.damping == 0.85);
    CHECK_EQ(d.u.setup.owner[4], 1);
    CHECK_EQ(d.u.setup.restore, 10);
    CHECK_EQ(d.u.setup.partitioning, 2);
    CHECK_EQ(d.u.setup.npeers, 3);
    CHECK_STR(d.u.setup.peers[0], "127.0.0.1:1");
    CHECK_STR(d.u.setup.peers[2], "10.0.0.3:7000");
    herd_gmsg_free(&d);
    herd_wbuf_fini(&w);
    g.u.setup.npeers = 0; /* no peer list: the last field is a zero count */
    encoded(&g, &w);
    CHECK_EQ(herd_gmsg_decode(HERD_GOP_SETUP, w.p, w.len, &d, &e), HERD_OK);
    CHECK_EQ(d.u.setup.npeers, 0);
    herd_gmsg_free(&d);
    w.p[w.len - 5] = 3; /* no such partitioning */
    CHECK_EQ(herd_gmsg_decode(HERD_GOP_SETUP, w.p, w.len, &d, &e), HERD_EPARSE);
    herd_wbuf_fini(&w);
}

HERD_TEST(gmsg_setup_peers_are_one_per_worker_or_none)
{
    struct herd_gmsg g = make(HERD_GOP_SETUP), d;
    struct herd_wbuf w;
    struct herd_err e;
    g.u.setup.npeers = 2; /* of 3 workers */
    encoded(&g, &w);
    CHECK_EQ(herd_gmsg_decode(HERD_GOP_SETUP, w.p, w.len, &d, &e), HERD_EPARSE);
    CHECK(strstr(e.msg, "SETUP") != NULL);
    herd_wbuf_fini(&w);
}

HERD_TEST(gmsg_rejects_truncation_and_trailing_bytes)
{
    for (uint8_t op = HERD_GOP_SETUP; op <= HERD_GOP_DONE; op++) {
        struct herd_gmsg g = make(op), d;
        struct herd_wbuf w;
        struct herd_err e;
        encoded(&g, &w);
        for (size_t cut = 0; cut < w.len; cut++)
            CHECK_EQ(herd_gmsg_decode(op, w.p, cut, &d, &e), HERD_EPARSE);
        herd_wbuf_u8(&w, 0);
        CHECK_EQ(herd_gmsg_decode(op, w.p, w.len, &d, &e), HERD_EPARSE);
        CHECK(strstr(e.msg, "GRAPH") != NULL);
        herd_wbuf_fini(&w);
    }
}

HERD_TEST(gmsg_rejects_bad_owner_and_huge_counts)
{
    struct herd_gmsg g = make(HERD_GOP_SETUP), d;
    struct herd_wbuf w;
    struct herd_err e;
    uint32_t bad[5] = {0, 1, 3, 0, 1}; /* worker 3 of 3 */
    g.u.setup.owner = bad;
    encoded(&g, &w);
    CHECK_EQ(herd_gmsg_decode(HERD_GOP_SETUP, w.p, w.len, &d, &e), HERD_EPARSE);
    herd_wbuf_fini(&w);
    uint8_t body[16] = {0, 0, 0, 0, 0, 0, 0, 4, 1, 0xff, 0xff, 0xff, 0xff}; /* naggs 4G */
    CHECK_EQ(herd_gmsg_decode(HERD_GOP_STEP, body, sizeof body, &d, &e), HERD_EPARSE);
    CHECK_EQ(herd_gmsg_decode(42, body, sizeof body, &d, &e), HERD_EPARSE);
}

/* herd_gmsg_put_head + the data is byte for byte the frame herd_msg_frame
 * makes of herd_gmsg_wrap, and its chunk decodes pointing into the body. */
HERD_TEST(gmsg_put_head_then_data_is_the_whole_frame)
{
    uint32_t lens[] = {0, 1, 4093, 1u << 20};
    for (size_t t = 0; t < sizeof lens / sizeof lens[0]; t++) {
        uint32_t n = lens[t];
        uint8_t *data = herd_xmalloc(n + 1);
        for (uint32_t i = 0; i < n; i++)
            data[i] = (uint8_t)(i * 13 + t);
        struct herd_gckpt k = {.step = 15, .part = 65535, .offset = 3ull << 33,
                               .total = (3ull << 33) + n + 7, .len = n, .data = data};
        struct herd_gmsg g = {.op = HERD_GOP_CKPT_PUT, .u.ckpt = k};
        struct herd_msg m;
        struct herd_wbuf whole, split;
        herd_gmsg_wrap(&g, 1000007, 9, &m);
        herd_wbuf_init(&whole);
        herd_msg_frame(&m, &whole);
        herd_msg_free(&m);
        uint8_t head[HERD_GMSG_PUT_HEAD];
        CHECK_EQ(herd_gmsg_put_head(&k, 1000007, 9, head), HERD_GMSG_PUT_HEAD);
        herd_wbuf_init(&split);
        herd_wbuf_bytes(&split, head, sizeof head);
        herd_wbuf_bytes(&split, data, n);
        CHECK_EQ(split.len, whole.len);
        CHECK(memcmp(split.p, whole.p, whole.len) == 0);
        /* the decoded chunk borrows the body's bytes */
        struct herd_msg back;
        struct herd_gmsg gb;
        struct herd_err e;
        CHECK_EQ(herd_msg_decode_view(HERD_MSG_GRAPH, split.p + 12, split.len - 12, &back, &e),
                 HERD_OK);
        CHECK_EQ(herd_gmsg_decode(back.u.graph.op, back.u.graph.body, back.u.graph.body_len, &gb,
                                  &e), HERD_OK);
        CHECK_EQ(gb.u.ckpt.len, n);
        CHECK_EQ(gb.u.ckpt.offset, k.offset);
        CHECK(n == 0 || gb.u.ckpt.data == split.p + HERD_GMSG_PUT_HEAD);
        CHECK(n == 0 || memcmp(gb.u.ckpt.data, data, n) == 0);
        herd_gmsg_free(&gb);
        herd_msg_free(&back);
        herd_wbuf_fini(&whole);
        herd_wbuf_fini(&split);
        free(data);
    }
}
