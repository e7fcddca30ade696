/* The worker agent driven by hand through a recording fake io. */
#include "check.h"

#include "wire/frame.h"
#include "worker/agent.h"

#include <stdlib.h>
#include <string.h>

struct fake {
    uint64_t now;
    int connects, closes, exits, exit_code, started, killed;
    int fail_start;
    struct herd_msg sent[64];
    int nsent;
};

static void f_connect(void *c) { ((struct fake *)c)->connects++; }
static void f_close(void *c) { ((struct fake *)c)->closes++; }
static void f_kill(void *c, uint64_t id) { (void)id; ((struct fake *)c)->killed++; }
static uint64_t f_now(void *c) { return ((struct fake *)c)->now; }
static uint64_t f_random(void *c) { (void)c; return 12345; }

static void f_send(void *c, const struct herd_msg *m)
{
    struct fake *f = c;
    CHECK(f->nsent < 64);
    herd_msg_copy(&f->sent[f->nsent++], m);
}

static int f_start(void *c, const struct herd_msg_assign *a)
{
    struct fake *f = c;
    (void)a;
    if (f->fail_start)
        return -1;
    f->started++;
    return 0;
}

static void f_exit(void *c, int code)
{
    struct fake *f = c;
    f->exits++;
    f->exit_code = code;
}

static struct herd_agent *make(struct fake *f, uint32_t cores)
{
    static const struct herd_agent_io io = {NULL,   f_connect, f_send, f_close, f_start,
                                            f_kill, f_exit,    f_now,  f_random};
    struct herd_agent_io b = io;
    b.ctx = f;
    struct herd_agent_config cfg = {.worker_id = "w1", .host = "h", .cores = cores};
    struct herd_agent *a;
    struct herd_err e;
    CHECK_EQ(herd_agent_create(&cfg, &b, &a, &e), HERD_OK);
    return a;
}

static const struct herd_msg *last(struct fake *f)
{
    CHECK(f->nsent > 0);
    return &f->sent[f->nsent - 1];
}

static void register_agent(struct herd_agent *a, struct fake *f)
{
    herd_agent_start(a);
    herd_agent_connected(a);
    struct herd_msg ch = {.type = HERD_MSG_CHALLENGE};
    ch.u.challenge.proto = HERD_PROTO_VERSION;
    herd_agent_msg(a, &ch);
    CHECK_EQ(last(f)->type, HERD_MSG_HELLO);
    struct herd_msg w = {.type = HERD_MSG_WELCOME};
    w.u.welcome.heartbeat_ms = 1000;
    w.u.welcome.lost_after = 3;
    herd_agent_msg(a, &w);
}

static struct herd_msg assign(uint64_t id, uint32_t cores)
{
    struct herd_msg m = {.type = HERD_MSG_ASSIGN};
    m.u.assign.attempt_id = id;
    m.u.assign.cores = cores;
    m.u.assign.kind = HERD_TASK_COMMAND;
    return m;
}

static void cleanup(struct herd_agent *a, struct fake *f)
{
    herd_agent_destroy(a);
    for (int i = 0; i < f->nsent; i++)
        herd_msg_free(&f->sent[i]);
}

HERD_TEST(agent_registers_and_heartbeats_with_running_attempts)
{
    struct fake f = {0};
    struct herd_agent *a = make(&f, 2);
    register_agent(a, &f);
    CHECK_STR(f.sent[0].u.hello.worker_id, "w1");
    struct herd_msg as = assign(42, 1);
    herd_agent_msg(a, &as);
    CHECK_EQ(f.started, 1);
    f.now = 1000;
    herd_agent_tick(a);
    CHECK_EQ(last(&f)->type, HERD_MSG_HEARTBEAT);
    CHECK_EQ(last(&f)->u.heartbeat.nrunning, 1);
    CHECK(last(&f)->u.heartbeat.running[0] == 42);
    cleanup(a, &f);
}

HERD_TEST(agent_refuses_assignments_beyond_its_cores)
{
    struct fake f = {0};
    struct herd_agent *a = make(&f, 2);
    register_agent(a, &f);
    struct herd_msg a1 = assign(1, 2), a2 = assign(2, 1);
    herd_agent_msg(a, &a1);
    herd_agent_msg(a, &a2);
    CHECK_EQ(f.started, 1);
    CHECK_EQ(last(&f)->type, HERD_MSG_RESULT);
    CHECK_EQ(last(&f)->u.result.attempt_id, 2);
    CHECK_EQ(last(&f)->u.result.status, HERD_RESULT_ERROR);
    cleanup(a, &f);
}

HERD_TEST(agent_holds_results_while_disconnected_and_resends_after_welcome)
{
    struct fake f = {0};
    struct herd_agent *a = make(&f, 1);
    register_agent(a, &f);
    struct herd_msg as = assign(7, 1);
    herd_agent_msg(a, &as);
    herd_agent_disconnected(a);
    struct herd_msg_result r = {.attempt_id = 7, .status = HERD_RESULT_OK, .error = (char *)""};
    int before = f.nsent;
    herd_agent_task_done(a, &r);
    CHECK_EQ(f.nsent, before); /* held, not sent */
    /* backoff: reconnect only after the deadline */
    herd_agent_tick(a);
    CHECK_EQ(f.connects, 1);
    f.now += 10000;
    herd_agent_tick(a);
    CHECK_EQ(f.connects, 2);
    register_agent(a, &f);
    CHECK_EQ(last(&f)->type, HERD_MSG_RESULT);
    CHECK_EQ(last(&f)->u.result.attempt_id, 7);
    cleanup(a, &f);
}

HERD_TEST(agent_reconnects_when_the_master_goes_silent)
{
    struct fake f = {0};
    struct herd_agent *a = make(&f, 1);
    register_agent(a, &f);
    f.now = 2999;
    herd_agent_tick(a);
    CHECK_EQ(f.closes, 0);
    f.now = 3001;
    herd_agent_tick(a);
    CHECK_EQ(f.closes, 1);
    cleanup(a, &f);
}

HERD_TEST(agent_drain_waits_for_running_then_exits_zero)
{
    struct fake f = {0};
    struct herd_agent *a = make(&f, 1);
    register_agent(a, &f);
    struct herd_msg as = assign(9, 1);
    herd_agent_msg(a, &as);
    herd_agent_drain(a);
    CHECK_EQ(last(&f)->type, HERD_MSG_DRAIN);
    CHECK_EQ(f.exits, 0);
    struct herd_msg as2 = assign(10, 1);
    herd_agent_msg(a, &as2);
    CHECK_EQ(f.started, 1); /* no new work while draining */
    struct herd_msg_result r = {.attempt_id = 9, .status = HERD_RESULT_OK, .error = (char *)""};
    herd_agent_task_done(a, &r);
    CHECK_EQ(f.exits, 1);
    CHECK_EQ(f.exit_code, 0);
    cleanup(a, &f);
}

HERD_TEST(agent_exits_nonzero_when_refused_for_authentication)
{
    struct fake f = {0};
    struct herd_agent *a = make(&f, 1);
    herd_agent_start(a);
    herd_agent_connected(a);
    struct herd_msg ref = {.type = HERD_MSG_REFUSE};
    ref.u.refuse.code = HERD_EAUTH;
    ref.u.refuse.reason = (char *)"authentication failed";
    herd_agent_msg(a, &ref);
    CHECK_EQ(f.exits, 1);
    CHECK_EQ(f.exit_code, 1);
    cleanup(a, &f);
}
