/* Master core through a recording fake io: registration, dispatch, results,
 * retries, dependencies, cancel, loss, reconciliation, authentication. */
#include "check.h"
#include "fakeio.h"

#include "master/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture {
    struct fakeio f;
    struct herd_core *c;
};

static void setup(struct fixture *x, const struct herd_secret *secret)
{
    struct herd_core_io io = fk_io(&x->f);
    struct herd_core_config cfg = {.journal_path = ":memory:", .secret = secret};
    struct herd_err e;
    CHECK_EQ(herd_core_create(&cfg, &io, &x->c, &e), HERD_OK);
}

static void teardown(struct fixture *x)
{
    herd_core_destroy(x->c);
    fk_fini(&x->f);
}

static void job_state(struct herd_core *c, uint64_t id, const char *want)
{
    struct herd_job_info ji;
    CHECK_EQ(herd_core_job_info(c, id, &ji), HERD_OK);
    CHECK_STR(ji.state, want);
}

static uint64_t submit(struct herd_core *c, struct herd_job_spec *s)
{
    uint64_t id = 0;
    struct herd_err e;
    CHECK_EQ(herd_core_submit(c, s, &id, &e), HERD_OK);
    herd_job_spec_free(s);
    return id;
}

HERD_TEST(core_registers_and_runs_one_task)
{
    struct fixture x;
    setup(&x, NULL);
    herd_core_conn_open(x.c, 7);
    CHECK(fk_last(&x.f, 7, HERD_MSG_CHALLENGE) != NULL);
    fk_hello(x.c, 7, "w1", 2, NULL, 0);
    struct herd_msg *w = fk_last(&x.f, 7, HERD_MSG_WELCOME);
    CHECK(w != NULL);
    CHECK_EQ(w->u.welcome.heartbeat_ms, 1000);
    struct herd_job_spec s;
    fk_spec(&s, 1, 1, 0);
    uint64_t id = submit(x.c, &s);
    struct herd_msg *a = fk_last(&x.f, 7, HERD_MSG_ASSIGN);
    CHECK(a != NULL);
    CHECK_STR(a->u.assign.argv[1], "t0");
    job_state(x.c, id, "running");
    fk_result(x.c, 7, &a->u.assign, HERD_RESULT_OK, "hello");
    job_state(x.c, id, "succeeded");
    uint8_t *out = NULL;
    size_t len = 0;
    CHECK_EQ(herd_core_task_output(x.c, id, 0, 0, &out, &len), HERD_OK);
    CHECK_EQ(len, 5);
    CHECK(memcmp(out, "hello", 5) == 0);
    free(out);
    struct herd_core_stats st;
    herd_core_stats(x.c, &st);
    CHECK_EQ(st.results_accepted, 1);
    teardown(&x);
}

HERD_TEST(core_respects_cores_and_fifo)
{
    struct fixture x;
    setup(&x, NULL);
    herd_core_conn_open(x.c, 1);
    fk_hello(x.c, 1, "w1", 3, NULL, 0);
    struct herd_job_spec s;
    fk_spec(&s, 5, 2, 0);
    submit(x.c, &s);
    CHECK_EQ(fk_count(&x.f, 1, HERD_MSG_ASSIGN), 1); /* 2 of 3 cores; the next needs 2 */
    struct herd_msg a0 = *fk_last(&x.f, 1, HERD_MSG_ASSIGN);
    CHECK_STR(a0.u.assign.argv[1], "t0");
    fk_result(x.c, 1, &a0.u.assign, HERD_RESULT_OK, "");
    CHECK_EQ(fk_count(&x.f, 1, HERD_MSG_ASSIGN), 2);
    CHECK_STR(fk_last(&x.f, 1, HERD_MSG_ASSIGN)->u.assign.argv[1], "t1");
    teardown(&x);
}

HERD_TEST(core_dependencies_and_dep_failed)
{
    struct fixture x;
    setup(&x, NULL);
    herd_core_conn_open(x.c, 1);
    fk_hello(x.c, 1, "w1", 4, NULL, 0);
    struct herd_job_spec s;
    fk_spec(&s, 3, 1, 0);
    s.max_retries = 0;
    fk_dep(&s, 1, 0);
    fk_dep(&s, 2, 1);
    uint64_t id = submit(x.c, &s);
    CHECK_EQ(fk_count(&x.f, 1, HERD_MSG_ASSIGN), 1);
    struct herd_msg *a = fk_last(&x.f, 1, HERD_MSG_ASSIGN);
    CHECK_STR(a->u.assign.argv[1], "t0");
    fk_result(x.c, 1, &a->u.assign, HERD_RESULT_OK, "");
    a = fk_last(&x.f, 1, HERD_MSG_ASSIGN);
    CHECK_STR(a->u.assign.argv[1], "t1");
    fk_result(x.c, 1, &a->u.assign, HERD_RESULT_FAILED, "");
    CHECK_EQ(fk_count(&x.f, 1, HERD_MSG_ASSIGN), 2);
    job_state(x.c, id, "failed");
    struct herd_job_info ji;
    herd_core_job_info(x.c, id, &ji);
    CHECK_EQ(ji.succeeded, 1);
    CHECK_EQ(ji.failed, 2); /* t1 failed, t2 dep_failed */
    teardown(&x);
}

HERD_TEST(core_submit_rejects_bad_specs)
{
    struct fixture x;
    setup(&x, NULL);
    struct herd_job_spec s;
    struct herd_err e;
    uint64_t id = 0;
    fk_spec(&s, 3, 1, 0);
    fk_dep(&s, 0, 2);
    fk_dep(&s, 2, 1);
    fk_dep(&s, 1, 0);
    CHECK_EQ(herd_core_submit(x.c, &s, &id, &e), HERD_EINVAL);
    CHECK(strstr(e.msg, "cycle") != NULL);
    herd_job_spec_free(&s);
    fk_spec(&s, 2, 1, 0);
    fk_dep(&s, 0, 5);
    CHECK_EQ(herd_core_submit(x.c, &s, &id, &e), HERD_EINVAL);
    CHECK(strstr(e.msg, "out of range") != NULL);
    herd_job_spec_free(&s);
    memset(&s, 0, sizeof s);
    CHECK_EQ(herd_core_submit(x.c, &s, &id, &e), HERD_EINVAL);
    CHECK_EQ(id, 0);
    teardown(&x);
}

HERD_TEST(core_retries_then_fails)
{
    struct fixture x;
    setup(&x, NULL);
    herd_core_conn_open(x.c, 1);
    fk_hello(x.c, 1, "w1", 1, NULL, 0);
    struct herd_job_spec s;
    fk_spec(&s, 1, 1, 0);
    s.max_retries = 2;
    uint64_t id = submit(x.c, &s);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(fk_count(&x.f, 1, HERD_MSG_ASSIGN), (size_t)i + 1);
        struct herd_msg *a = fk_last(&x.f, 1, HERD_MSG_ASSIGN);
        fk_result(x.c, 1, &a->u.assign, HERD_RESULT_FAILED, "");
        x.f.now += 60000; /* past any backoff */
        fk_heartbeat(x.c, 1, NULL, 0);
        herd_core_tick(x.c);
    }
    CHECK_EQ(fk_count(&x.f, 1, HERD_MSG_ASSIGN), 3);
    job_state(x.c, id, "failed");
    struct herd_core_stats st;
    herd_core_stats(x.c, &st);
    CHECK_EQ(st.attempts_retried, 2);
    teardown(&x);
}

HERD_TEST(core_lost_worker_task_moves)
{
    struct fixture x;
    setup(&x, NULL);
    herd_core_conn_open(x.c, 1);
    fk_hello(x.c, 1, "w1", 1, NULL, 0);
    struct herd_job_spec s;
    fk_spec(&s, 1, 1, 0);
    uint64_t id = submit(x.c, &s);
    struct herd_msg a1 = {0};
    herd_msg_copy(&a1, fk_last(&x.f, 1, HERD_MSG_ASSIGN));
    herd_core_conn_open(x.c, 2);
    fk_hello(x.c, 2, "w2", 1, NULL, 0);
    /* w1 goes silent; w2 keeps beating */
    for (int i = 0; i < 16; i++) {
        x.f.now += 250;
        fk_heartbeat(x.c, 2, NULL, 0);
        herd_core_tick(x.c);
    }
    struct herd_core_stats st;
    herd_core_stats(x.c, &st);
    CHECK_EQ(st.workers_lost, 1);
    struct herd_msg *a2 = fk_last(&x.f, 2, HERD_MSG_ASSIGN);
    CHECK(a2 != NULL);
    CHECK(a2->u.assign.attempt_id != a1.u.assign.attempt_id);
    /* w1's late result is refused; w2's is recorded */
    fk_result(x.c, 1, &a1.u.assign, HERD_RESULT_OK, "late");
    fk_result(x.c, 2, &a2->u.assign, HERD_RESULT_OK, "good");
    herd_core_stats(x.c, &st);
    CHECK_EQ(st.results_refused, 1);
    CHECK_EQ(st.results_accepted, 1);
    job_state(x.c, id, "succeeded");
    uint8_t *out;
    size_t len;
    CHECK_EQ(herd_core_task_output(x.c, id, 0, 0, &out, &len), HERD_OK);
    CHECK(len == 4 && memcmp(out, "good", 4) == 0);
    free(out);
    herd_msg_free(&a1);
    teardown(&x);
}

HERD_TEST(core_reconnect_keeps_attempt_and_kills_strangers)
{
    struct fixture x;
    setup(&x, NULL);
    herd_core_conn_open(x.c, 1);
    fk_hello(x.c, 1, "w1", 2, NULL, 0);
    struct herd_job_spec s;
    fk_spec(&s, 1, 1, 0);
    uint64_t id = submit(x.c, &s);
    struct herd_msg a = {0};
    herd_msg_copy(&a, fk_last(&x.f, 1, HERD_MSG_ASSIGN));
    herd_core_conn_closed(x.c, 1);
    x.f.now += 500;
    herd_core_conn_open(x.c, 2);
    uint64_t running[2] = {a.u.assign.attempt_id, 0xdead};
    fk_hello(x.c, 2, "w1", 2, running, 2);
    struct herd_msg *k = fk_last(&x.f, 2, HERD_MSG_KILL);
    CHECK(k != NULL);
    CHECK(k->u.kill.attempt_id == 0xdead);
    CHECK_EQ(fk_count(&x.f, 2, HERD_MSG_KILL), 1);
    fk_result(x.c, 2, &a.u.assign, HERD_RESULT_OK, "x");
    job_state(x.c, id, "succeeded");
    herd_msg_free(&a);
    teardown(&x);
}

HERD_TEST(core_refuses_bad_version_and_bad_mac)
{
    struct herd_secret sec = {.len = 20};
    memcpy(sec.key, "0123456789abcdefghij", 20);
    struct fixture x;
    setup(&x, &sec);
    herd_core_conn_open(x.c, 1);
    struct herd_msg m = {.type = HERD_MSG_HELLO};
    m.u.hello.proto = 2;
    m.u.hello.worker_id = (char *)"w1";
    m.u.hello.cores = 1;
    herd_core_conn_msg(x.c, 1, &m);
    struct herd_msg *r = fk_last(&x.f, 1, HERD_MSG_REFUSE);
    CHECK(r != NULL);
    CHECK_STR(r->u.refuse.reason, "protocol version 2 not supported; master speaks 1");
    CHECK(fk_was_closed(&x.f, 1));
    herd_core_conn_open(x.c, 2);
    fk_hello(x.c, 2, "w2", 1, NULL, 0); /* zero MAC */
    r = fk_last(&x.f, 2, HERD_MSG_REFUSE);
    CHECK(r != NULL);
    CHECK_EQ(r->u.refuse.code, HERD_EAUTH);
    CHECK_STR(r->u.refuse.reason, "authentication failed");
    CHECK(fk_last(&x.f, 2, HERD_MSG_WELCOME) == NULL);
    /* the right MAC is accepted */
    herd_core_conn_open(x.c, 3);
    struct herd_msg *ch = fk_last(&x.f, 3, HERD_MSG_CHALLENGE);
    struct herd_msg h = {.type = HERD_MSG_HELLO};
    h.u.hello.proto = HERD_PROTO_VERSION;
    h.u.hello.worker_id = (char *)"w3";
    h.u.hello.cores = 1;
    memset(h.u.hello.nonce, 7, HERD_NONCE_LEN);
    herd_auth_worker_mac(&sec, ch->u.challenge.nonce, h.u.hello.nonce, "w3", h.u.hello.mac);
    herd_core_conn_msg(x.c, 3, &h);
    struct herd_msg *w = fk_last(&x.f, 3, HERD_MSG_WELCOME);
    CHECK(w != NULL);
    uint8_t want[HERD_MAC_LEN];
    herd_auth_master_mac(&sec, h.u.hello.nonce, ch->u.challenge.nonce, want);
    CHECK(memcmp(want, w->u.welcome.mac, HERD_MAC_LEN) == 0);
    teardown(&x);
}

HERD_TEST(core_cancel_kills_running)
{
    struct fixture x;
    setup(&x, NULL);
    herd_core_conn_open(x.c, 1);
    fk_hello(x.c, 1, "w1", 1, NULL, 0);
    struct herd_job_spec s;
    fk_spec(&s, 3, 1, 0);
    uint64_t id = submit(x.c, &s);
    struct herd_msg *a = fk_last(&x.f, 1, HERD_MSG_ASSIGN);
    uint64_t att = a->u.assign.attempt_id;
    struct herd_err e;
    CHECK_EQ(herd_core_cancel(x.c, id, &e), HERD_OK);
    job_state(x.c, id, "canceled");
    struct herd_msg *k = fk_last(&x.f, 1, HERD_MSG_KILL);
    CHECK(k != NULL);
    CHECK(k->u.kill.attempt_id == att);
    /* the core stays busy until the killed attempt ends */
    struct herd_job_spec s2;
    fk_spec(&s2, 1, 1, 0);
    submit(x.c, &s2);
    CHECK_EQ(fk_count(&x.f, 1, HERD_MSG_ASSIGN), 1);
    a = fk_last(&x.f, 1, HERD_MSG_ASSIGN);
    struct herd_msg_assign copy = a->u.assign;
    fk_result(x.c, 1, &copy, HERD_RESULT_KILLED, "");
    CHECK_EQ(fk_count(&x.f, 1, HERD_MSG_ASSIGN), 2);
    CHECK_EQ(herd_core_cancel(x.c, 999, &e), HERD_ENOTFOUND);
    teardown(&x);
}
