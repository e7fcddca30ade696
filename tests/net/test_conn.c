/* net/conn over real loopback TCP: batched, copied, tail (borrowed) and
 * direct sends interleaved arrive in order with their bytes (bodies of 1
 * and 3 MiB go through the in-place reads), every tail's done() fires once;
 * a graceful close sends what was batched; tails in flight when the peer
 * hangs up are each released exactly once (run under ASan in the suite). */
#include "check.h"
#include "net/conn.h"
#include "wire/gmsg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG ((1u << 20))

struct side {
    uv_loop_t *loop;
    uv_tcp_t listener;
    struct herd_conn *srv, *cli;
    /* server's view */
    uint64_t next_seq;       /* expected sequence in every message */
    int bad, got, closed_srv, closed_cli;
    char why[256];
    /* client */
    int dones;
    uint8_t *tails[64];
    int ntails;
};

static void fill(uint8_t *p, size_t n, uint64_t seq)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + seq);
}

static int check_fill(const uint8_t *p, size_t n, uint64_t seq)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(i * 31 + seq))
            return 0;
    return 1;
}

static void srv_msg(struct herd_conn *c, const struct herd_msg *m)
{
    struct side *s = herd_conn_data(c);
    uint64_t seq;
    if (m->type == HERD_MSG_HEARTBEAT) {
        seq = m->u.heartbeat.seq;
    } else if (m->type == HERD_MSG_GRAPH && m->u.graph.op != HERD_GOP_CKPT_PUT) {
        seq = m->u.graph.job_id;
        if (!check_fill(m->u.graph.body, m->u.graph.body_len, seq))
            s->bad++;
    } else if (m->type == HERD_MSG_GRAPH) {
        struct herd_gmsg g;
        struct herd_err e;
        if (herd_gmsg_decode(m->u.graph.op, m->u.graph.body, m->u.graph.body_len, &g, &e) !=
            HERD_OK) {
            s->bad++;
            return;
        }
        seq = g.u.ckpt.step;
        if (!check_fill(g.u.ckpt.data, g.u.ckpt.len, seq))
            s->bad++;
        herd_gmsg_free(&g);
    } else {
        s->bad++;
        return;
    }
    if (seq != s->next_seq)
        s->bad++;
    s->next_seq = seq + 1;
    s->got++;
}

static void srv_close(struct herd_conn *c, const char *why)
{
    struct side *s = herd_conn_data(c);
    snprintf(s->why, sizeof s->why, "%s", why);
    s->closed_srv = 1;
    s->srv = NULL;
}

static const struct herd_conn_handler srv_h = {NULL, srv_msg, srv_close};

static void on_conn(uv_stream_t *l, int status)
{
    struct side *s = l->data;
    struct herd_err e;
    CHECK_EQ(status, 0);
    CHECK_EQ(herd_conn_accept(l, &srv_h, s, 0, &s->srv, &e), HERD_OK);
    uv_close((uv_handle_t *)&s->listener, NULL);
}

static void cli_msg(struct herd_conn *c, const struct herd_msg *m)
{
    (void)c;
    (void)m;
}

static void cli_close(struct herd_conn *c, const char *why)
{
    struct side *s = herd_conn_data(c);
    (void)why;
    s->closed_cli = 1;
    s->cli = NULL;
}

static void (*on_up)(struct side *s);

static void cli_connect(struct herd_conn *c)
{
    on_up(herd_conn_data(c));
}

static const struct herd_conn_handler cli_h = {cli_connect, cli_msg, cli_close};

static void tail_done(void *arg)
{
    struct side *s = arg;
    s->dones++;
}

static void hb(struct side *s, uint64_t seq, int batched)
{
    struct herd_msg m = {.type = HERD_MSG_HEARTBEAT};
    m.u.heartbeat.seq = seq;
    if (batched)
        herd_conn_send_batched(s->cli, &m);
    else
        herd_conn_send(s->cli, &m);
}

static void put_copy(struct side *s, uint64_t seq, uint32_t len)
{
    uint8_t *d = malloc(len);
    fill(d, len, seq);
    struct herd_msg m = {.type = HERD_MSG_GRAPH};
    m.u.graph.job_id = seq;
    m.u.graph.op = HERD_GOP_SETUP;
    m.u.graph.body = d;
    m.u.graph.body_len = len;
    herd_conn_send_batched(s->cli, &m);
    free(d);
}

static void put_tail(struct side *s, uint64_t seq, uint32_t len)
{
    uint8_t *d = malloc(len);
    fill(d, len, seq);
    s->tails[s->ntails++] = d;
    struct herd_gckpt k = {.step = seq, .part = 0, .offset = 0, .total = len, .len = len,
                           .data = d};
    uint8_t head[HERD_GMSG_PUT_HEAD];
    size_t hn = herd_gmsg_put_head(&k, 1, 1, head);
    herd_conn_send_tail(s->cli, head, hn, d, len, tail_done, s);
}

/* Interleaves batched small frames, big copied frames, big tails and direct sends. */
static void mixed(struct side *s)
{
    uint64_t q = 0;
    for (int r = 0; r < 6; r++) {
        hb(s, q++, 1);
        hb(s, q++, 1);
        put_tail(s, q++, BIG);
        hb(s, q++, 1);
        put_copy(s, q++, BIG + 7);
        hb(s, q++, 0);
        put_tail(s, q++, 100);
        hb(s, q++, 1);
        put_copy(s, q++, 3 * BIG);
        hb(s, q++, 1);
    }
    herd_conn_close(s->cli, "done");
}

static void run(void (*up)(struct side *s), struct side *s)
{
    struct herd_err e;
    struct sockaddr_in a;
    s->loop = uv_default_loop();
    uv_tcp_init(s->loop, &s->listener);
    s->listener.data = s;
    uv_ip4_addr("127.0.0.1", 0, &a);
    CHECK_EQ(uv_tcp_bind(&s->listener, (struct sockaddr *)&a, 0), 0);
    CHECK_EQ(uv_listen((uv_stream_t *)&s->listener, 4, on_conn), 0);
    int len = sizeof a;
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&a, &len);
    on_up = up;
    CHECK_EQ(herd_conn_connect(s->loop, (struct sockaddr *)&a, &cli_h, s, 0, &s->cli, &e),
             HERD_OK);
    uv_run(s->loop, UV_RUN_DEFAULT);
}

HERD_TEST(conn_mixed_sends_arrive_in_order_with_their_bytes)
{
    struct side s;
    memset(&s, 0, sizeof s);
    run(mixed, &s);
    CHECK_EQ(s.bad, 0);
    CHECK_EQ(s.got, 60);
    CHECK_EQ(s.dones, 12);
    CHECK(s.closed_srv && s.closed_cli);
    for (int i = 0; i < s.ntails; i++)
        free(s.tails[i]);
}

/* Batched then a close that the peer sees: nothing lost. */
static void batch_then_close(struct side *s)
{
    for (uint64_t q = 0; q < 5000; q++)
        hb(s, q, 1);
    herd_conn_close(s->cli, "bye");
}

HERD_TEST(conn_graceful_close_sends_the_batch)
{
    struct side s;
    memset(&s, 0, sizeof s);
    run(batch_then_close, &s);
    CHECK_EQ(s.bad, 0);
    CHECK_EQ(s.got, 5000);
}

static int freed; /* done() calls of the tails below */

static void free_done(void *arg)
{
    void **pp = arg;
    CHECK(*pp != NULL); /* not twice */
    free(*pp);
    *pp = NULL;
    freed++;
}

static void *owned[40];
static int srv_seen_first;

static void srv_msg_close(struct herd_conn *c, const struct herd_msg *m)
{
    (void)m;
    if (!srv_seen_first++)
        herd_conn_close(c, "server hangs up");
}

static const struct herd_conn_handler srv_h2 = {NULL, srv_msg_close, srv_close};

static void on_conn2(uv_stream_t *l, int status)
{
    struct side *s = l->data;
    struct herd_err e;
    CHECK_EQ(status, 0);
    CHECK_EQ(herd_conn_accept(l, &srv_h2, s, 0, &s->srv, &e), HERD_OK);
    uv_close((uv_handle_t *)&s->listener, NULL);
}

static void many_tails(struct side *s)
{
    for (int i = 0; i < 40; i++) {
        owned[i] = malloc(BIG);
        fill(owned[i], BIG, (uint64_t)i);
        struct herd_gckpt k = {.step = (uint64_t)i, .total = BIG, .len = BIG, .data = owned[i]};
        uint8_t head[HERD_GMSG_PUT_HEAD];
        size_t hn = herd_gmsg_put_head(&k, 1, 1, head);
        herd_conn_send_tail(s->cli, head, hn, owned[i], BIG, free_done, &owned[i]);
        hb(s, 1000 + (uint64_t)i, 1);
    }
}

HERD_TEST(conn_tails_released_once_when_the_peer_hangs_up)
{
    struct side s;
    memset(&s, 0, sizeof s);
    struct herd_err e;
    struct sockaddr_in a;
    s.loop = uv_default_loop();
    uv_tcp_init(s.loop, &s.listener);
    s.listener.data = &s;
    uv_ip4_addr("127.0.0.1", 0, &a);
    CHECK_EQ(uv_tcp_bind(&s.listener, (struct sockaddr *)&a, 0), 0);
    CHECK_EQ(uv_listen((uv_stream_t *)&s.listener, 4, on_conn2), 0);
    int len = sizeof a;
    uv_tcp_getsockname(&s.listener, (struct sockaddr *)&a, &len);
    on_up = many_tails;
    CHECK_EQ(herd_conn_connect(s.loop, (struct sockaddr *)&a, &cli_h, &s, 0, &s.cli, &e),
             HERD_OK);
    uv_run(s.loop, UV_RUN_DEFAULT);
    for (int i = 0; i < 40; i++)
        CHECK(owned[i] == NULL);
    CHECK_EQ(freed, 40);
    CHECK(s.closed_cli && s.closed_srv);
}
