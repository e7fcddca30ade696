/* Master core eviction: finished jobs beyond cfg.keep_finished (or older
 * than cfg.keep_finished_ms) leave memory, yet the views answer them from
 * the journal; a job whose KILL is unanswered stays until it is. */
#include "check.h"
#include "fakeio.h"

#include "master/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP 3

struct fixture {
    struct fakeio f;
    struct herd_core *c;
};

static void setup(struct fixture *x)
{
    struct herd_core_io io = fk_io(&x->f);
    struct herd_core_config cfg = {.journal_path = ":memory:", .keep_finished = KEEP,
                                   .keep_finished_ms = 60000};
    struct herd_err e;
    CHECK_EQ(herd_core_create(&cfg, &io, &x->c, &e), HERD_OK);
    herd_core_conn_open(x->c, 1);
    fk_hello(x->c, 1, "w1", 2, NULL, 0);
}

static void teardown(struct fixture *x)
{
    herd_core_destroy(x->c);
    fk_fini(&x->f);
}

static struct herd_core_stats stats(struct herd_core *c)
{
    struct herd_core_stats st;
    herd_core_stats(c, &st);
    return st;
}

/* Submits a 2-task job and answers both assignments: "ok" results, or a
 * failed first task when fail is set (no retries). */
static uint64_t run_job(struct fixture *x, int fail)
{
    struct herd_job_spec s;
    fk_spec(&s, 2, 1, 0);
    s.max_retries = 0;
    uint64_t id = 0;
    struct herd_err e;
    CHECK_EQ(herd_core_submit(x->c, &s, &id, &e), HERD_OK);
    herd_job_spec_free(&s);
    CHECK_EQ(fk_count(&x->f, 1, HERD_MSG_ASSIGN), 2);
    struct herd_msg_assign a[2];
    size_t k = 0;
    for (size_t i = 0; i < x->f.nout && k < 2; i++)
        if (x->f.out[i].m.type == HERD_MSG_ASSIGN)
            a[k++] = x->f.out[i].m.u.assign;
    char out[32];
    for (size_t i = 0; i < 2; i++) {
        snprintf(out, sizeof out, "out-%llu-%zu", (unsigned long long)id, i);
        fk_result(x->c, 1, &a[i], fail && i == 0 ? HERD_RESULT_FAILED : HERD_RESULT_OK, out);
    }
    fk_clear(&x->f);
    return id;
}

struct tasks_seen {
    uint32_t n;
    char state[4][16];
    uint32_t attempts[4];
    char worker[4][8];
};

static void on_task(void *arg, const struct herd_task_info *t)
{
    struct tasks_seen *s = arg;
    if (s->n < 4) {
        snprintf(s->state[s->n], sizeof s->state[0], "%s", t->state);
        snprintf(s->worker[s->n], sizeof s->worker[0], "%s", t->worker);
        s->attempts[s->n] = t->attempts;
    }
    s->n++;
}

struct jobs_seen {
    uint32_t n;
    uint64_t ids[16];
    char state[16][16];
};

static void on_job(void *arg, const struct herd_job_info *j)
{
    struct jobs_seen *s = arg;
    if (s->n < 16) {
        s->ids[s->n] = j->id;
        snprintf(s->state[s->n], sizeof s->state[0], "%s", j->state);
    }
    s->n++;
}

static void check_output(struct herd_core *c, uint64_t id, uint32_t index)
{
    char want[32];
    uint8_t *out = NULL;
    size_t len = 0;
    snprintf(want, sizeof want, "out-%llu-%u", (unsigned long long)id, index);
    CHECK_EQ(herd_core_task_output(c, id, index, 0, &out, &len), HERD_OK);
    CHECK_EQ(len, strlen(want));
    CHECK(memcmp(out, want, len) == 0);
    free(out);
}

HERD_TEST(evict_beyond_bound_views_from_journal)
{
    struct fixture x;
    setup(&x);
    uint64_t ids[8];
    for (int i = 0; i < 8; i++)
        ids[i] = run_job(&x, i == 1);
    struct herd_core_stats st = stats(x.c);
    CHECK_EQ(st.jobs_in_memory, KEEP);
    CHECK_EQ(st.jobs_evicted, 8 - KEEP);
    CHECK_EQ(st.illegal_transitions, 0);
    /* an evicted succeeded job */
    struct herd_job_info ji;
    CHECK_EQ(herd_core_job_info(x.c, ids[0], &ji), HERD_OK);
    CHECK_STR(ji.state, "succeeded");
    CHECK_EQ(ji.total, 2);
    CHECK_EQ(ji.succeeded, 2);
    CHECK_EQ(ji.pending, 0);
    CHECK(ji.finished_ms >= ji.submitted_ms && ji.finished_ms > 0);
    /* an evicted failed job */
    CHECK_EQ(herd_core_job_info(x.c, ids[1], &ji), HERD_OK);
    CHECK_STR(ji.state, "failed");
    CHECK_EQ(ji.failed, 1);
    CHECK_EQ(ji.succeeded, 1);
    struct tasks_seen ts = {0};
    herd_core_each_task(x.c, ids[1], on_task, &ts);
    CHECK_EQ(ts.n, 2);
    CHECK_STR(ts.state[0], "failed");
    CHECK_STR(ts.state[1], "succeeded");
    CHECK_EQ(ts.attempts[0], 1);
    CHECK_STR(ts.worker[1], "w1");
    check_output(x.c, ids[0], 1);
    check_output(x.c, ids[7], 0); /* still in memory */
    /* every job is listed, in order, evicted or not */
    struct jobs_seen js = {0};
    herd_core_each_job(x.c, on_job, &js);
    CHECK_EQ(js.n, 8);
    for (int i = 0; i < 8; i++) {
        CHECK_EQ(js.ids[i], ids[i]);
        CHECK_STR(js.state[i], i == 1 ? "failed" : "succeeded");
    }
    struct herd_err e;
    CHECK_EQ(herd_core_cancel(x.c, ids[0], &e), HERD_OK);
    CHECK_EQ(herd_core_cancel(x.c, 9999, &e), HERD_ENOTFOUND);
    CHECK_EQ(herd_core_job_info(x.c, 9999, &ji), HERD_ENOTFOUND);
    teardown(&x);
}

HERD_TEST(evict_refuses_late_result_and_keeps_killing_job)
{
    struct fixture x;
    setup(&x);
    /* a canceled job whose attempt has not answered its KILL yet */
    struct herd_job_spec s;
    fk_spec(&s, 1, 1, 0);
    uint64_t cid = 0;
    struct herd_err e;
    CHECK_EQ(herd_core_submit(x.c, &s, &cid, &e), HERD_OK);
    herd_job_spec_free(&s);
    struct herd_msg_assign killed = fk_last(&x.f, 1, HERD_MSG_ASSIGN)->u.assign;
    CHECK_EQ(herd_core_cancel(x.c, cid, &e), HERD_OK);
    fk_clear(&x.f);
    /* one core is still taken by the killing attempt: run 1-task jobs */
    uint64_t first = 0;
    for (int i = 0; i < KEEP + 3; i++) {
        fk_spec(&s, 1, 1, 0);
        uint64_t id = 0;
        CHECK_EQ(herd_core_submit(x.c, &s, &id, &e), HERD_OK);
        herd_job_spec_free(&s);
        struct herd_msg_assign a = fk_last(&x.f, 1, HERD_MSG_ASSIGN)->u.assign;
        fk_result(x.c, 1, &a, HERD_RESULT_OK, "x");
        fk_clear(&x.f);
        if (i == 0)
            first = id;
    }
    /* the canceled job heads the queue and is held: nothing is evicted */
    CHECK_EQ(stats(x.c).jobs_in_memory, KEEP + 4);
    fk_result(x.c, 1, &killed, HERD_RESULT_KILLED, "");
    CHECK_EQ(stats(x.c).jobs_in_memory, KEEP);
    /* a late (duplicate) result for an evicted attempt is refused cleanly */
    struct herd_msg_assign late = killed;
    fk_result(x.c, 1, &late, HERD_RESULT_OK, "late");
    struct herd_job_info ji;
    CHECK_EQ(herd_core_job_info(x.c, cid, &ji), HERD_OK);
    CHECK_STR(ji.state, "canceled");
    CHECK_EQ(ji.canceled, 1);
    CHECK_EQ(herd_core_job_info(x.c, first, &ji), HERD_OK);
    CHECK_STR(ji.state, "succeeded");
    CHECK_EQ(stats(x.c).illegal_transitions, 0);
    uint8_t *out = NULL;
    size_t len = 0;
    CHECK_EQ(herd_core_task_output(x.c, cid, 0, 0, &out, &len), HERD_ENOTFOUND);
    teardown(&x);
}

HERD_TEST(evict_after_keep_ms)
{
    struct fixture x;
    setup(&x);
    uint64_t id = run_job(&x, 0);
    CHECK_EQ(stats(x.c).jobs_in_memory, 1);
    x.f.now += 30000;
    herd_core_tick(x.c);
    CHECK_EQ(stats(x.c).jobs_in_memory, 1);
    x.f.now += 30000;
    fk_heartbeat(x.c, 1, NULL, 0);
    herd_core_tick(x.c);
    CHECK_EQ(stats(x.c).jobs_in_memory, 0);
    struct herd_job_info ji;
    CHECK_EQ(herd_core_job_info(x.c, id, &ji), HERD_OK);
    CHECK_STR(ji.state, "succeeded");
    check_output(x.c, id, 0);
    teardown(&x);
}
