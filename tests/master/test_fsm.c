/* The four state machines refuse illegal transitions and count legal ones;
 * the scheduler orders by priority, round-robins jobs, keeps FIFO in a job
 * and honours placement. */
#include "check.h"

#include "base/err.h"
#include "master/attempt.h"
#include "master/job.h"
#include "master/registry.h"
#include "master/sched.h"
#include "master/task.h"

#include <stdlib.h>

HERD_TEST(fsm_attempt_legal_and_illegal)
{
    struct herd_attempt_stats st = {0};
    struct herd_attempt *a = herd_attempt_create(1, NULL, NULL, HERD_ATTEMPT_RUNNING, &st);
    CHECK_EQ(herd_attempt_set_state(a, HERD_ATTEMPT_ORPHAN, NULL, &st), HERD_ESTATE);
    CHECK_EQ(herd_attempt_set_state(a, HERD_ATTEMPT_KILLED, NULL, &st), HERD_ESTATE);
    CHECK_EQ(herd_attempt_set_state(a, HERD_ATTEMPT_KILLING, NULL, &st), HERD_OK);
    CHECK_EQ(herd_attempt_set_state(a, HERD_ATTEMPT_SUCCEEDED, NULL, &st), HERD_ESTATE);
    CHECK_EQ(herd_attempt_set_state(a, HERD_ATTEMPT_KILLED, NULL, &st), HERD_OK);
    CHECK_EQ(herd_attempt_set_state(a, HERD_ATTEMPT_RUNNING, NULL, &st), HERD_ESTATE);
    CHECK_EQ(st.illegal, 4);
    CHECK_EQ(st.into[HERD_ATTEMPT_KILLED], 1);
    CHECK_EQ(a->state, HERD_ATTEMPT_KILLED);
    CHECK_STR(herd_attempt_state_name(HERD_ATTEMPT_ORPHAN), "orphan");
    CHECK(herd_attempt_legal(HERD_ATTEMPT_ORPHAN, HERD_ATTEMPT_RUNNING));
    CHECK(!herd_attempt_legal(HERD_ATTEMPT_LOST, HERD_ATTEMPT_RUNNING));
    free(a);
}

HERD_TEST(fsm_task_and_job_counters)
{
    struct herd_task_stats ts = {0};
    struct herd_job_stats js = {0};
    struct herd_job *j = herd_job_create(1, NULL, 0, 3, 2);
    struct herd_task *t = &j->tasks[0];
    CHECK_EQ(herd_task_set_state(t, HERD_TASK_RUNNING, NULL, &ts), HERD_ESTATE);
    CHECK_EQ(herd_task_set_state(t, HERD_TASK_READY, NULL, &ts), HERD_OK);
    CHECK_EQ(herd_task_set_state(t, HERD_TASK_RUNNING, NULL, &ts), HERD_OK);
    CHECK_EQ(herd_task_set_state(t, HERD_TASK_BACKOFF, NULL, &ts), HERD_OK);
    CHECK_EQ(herd_task_set_state(t, HERD_TASK_SUCCEEDED, NULL, &ts), HERD_ESTATE);
    CHECK_EQ(herd_task_set_state(t, HERD_TASK_READY, NULL, &ts), HERD_OK);
    CHECK_EQ(herd_task_set_state(t, HERD_TASK_RUNNING, NULL, &ts), HERD_OK);
    CHECK_EQ(herd_task_set_state(t, HERD_TASK_SUCCEEDED, NULL, &ts), HERD_OK);
    CHECK_EQ(herd_task_set_state(t, HERD_TASK_CANCELED, NULL, &ts), HERD_ESTATE);
    CHECK_EQ(ts.illegal, 3);
    CHECK_EQ(j->count[HERD_TASK_SUCCEEDED], 1);
    CHECK_EQ(j->count[HERD_TASK_PENDING], 1);
    CHECK(!herd_job_all_final(j));
    CHECK_EQ(herd_task_set_state(&j->tasks[1], HERD_TASK_DEP_FAILED, NULL, &ts), HERD_OK);
    CHECK(herd_job_all_final(j));
    CHECK_EQ(herd_job_outcome(j), HERD_JOB_FAILED);
    CHECK_EQ(herd_job_set_state(j, HERD_JOB_FAILED, NULL, &js), HERD_OK);
    CHECK_EQ(herd_job_set_state(j, HERD_JOB_SUCCEEDED, NULL, &js), HERD_ESTATE);
    CHECK_EQ(js.illegal, 1);
    CHECK_STR(herd_task_state_name(HERD_TASK_DEP_FAILED), "dep_failed");
    herd_job_destroy(j);
}

HERD_TEST(fsm_worker_transitions)
{
    struct herd_registry r;
    herd_registry_init(&r);
    struct herd_worker *w = herd_registry_get(&r, "w1", 5);
    CHECK(herd_registry_get(&r, "w1", 9) == w);
    CHECK_EQ(w->state, HERD_WORKER_CONNECTING);
    CHECK_EQ(herd_worker_set_state(&r, w, HERD_WORKER_DRAINING, NULL), HERD_ESTATE);
    CHECK_EQ(herd_worker_set_state(&r, w, HERD_WORKER_READY, NULL), HERD_OK);
    CHECK_EQ(herd_worker_set_state(&r, w, HERD_WORKER_DRAINING, NULL), HERD_OK);
    CHECK_EQ(herd_worker_set_state(&r, w, HERD_WORKER_READY, NULL), HERD_ESTATE);
    CHECK_EQ(herd_worker_set_state(&r, w, HERD_WORKER_GONE, NULL), HERD_OK);
    CHECK_EQ(herd_worker_set_state(&r, w, HERD_WORKER_LOST, NULL), HERD_ESTATE);
    CHECK_EQ(herd_worker_set_state(&r, w, HERD_WORKER_READY, NULL), HERD_OK);
    CHECK_EQ(herd_worker_set_state(&r, w, HERD_WORKER_LOST, NULL), HERD_OK);
    CHECK_EQ(r.illegal, 3);
    CHECK_EQ(r.into[HERD_WORKER_READY], 2);
    herd_registry_fini(&r);
}

/* --- scheduler --- */

static struct herd_worker fake_worker;

static struct herd_worker *fits_small(void *ctx, const struct herd_task *t)
{
    (void)ctx;
    return t->cores <= 1 ? &fake_worker : NULL;
}

static struct herd_job *job_with(uint64_t id, int32_t prio, uint32_t n, struct herd_sched *s)
{
    struct herd_job *j = herd_job_create(id, NULL, prio, 0, n);
    for (uint32_t i = 0; i < n; i++) {
        j->tasks[i].id = id * 100 + i;
        j->tasks[i].cores = 1;
        j->tasks[i].state = HERD_TASK_READY;
        herd_sched_push(s, &j->tasks[i]);
    }
    return j;
}

HERD_TEST(sched_priority_fairness_fifo)
{
    struct herd_sched s;
    herd_sched_init(&s);
    struct herd_job *a = job_with(1, 0, 3, &s), *b = job_with(2, 0, 3, &s);
    struct herd_job *hi = job_with(3, 5, 2, &s);
    struct herd_worker *w;
    uint64_t order[8];
    for (int i = 0; i < 8; i++) {
        struct herd_task *t = herd_sched_next(&s, fits_small, NULL, &w);
        CHECK(t != NULL && w == &fake_worker);
        order[i] = t->id;
    }
    /* priority 5 first (FIFO), then jobs 1 and 2 alternate, each FIFO */
    uint64_t want[8] = {300, 301, 100, 200, 101, 201, 102, 202};
    for (int i = 0; i < 8; i++)
        CHECK_EQ(order[i], want[i]);
    CHECK(herd_sched_next(&s, fits_small, NULL, &w) == NULL);
    CHECK_EQ(s.nready, 0);
    CHECK(herd_list_empty(&s.levels));
    herd_job_destroy(a);
    herd_job_destroy(b);
    herd_job_destroy(hi);
    herd_sched_fini(&s);
}

HERD_TEST(sched_big_head_does_not_block_others)
{
    struct herd_sched s;
    herd_sched_init(&s);
    struct herd_job *big = job_with(1, 9, 2, &s), *small = job_with(2, 0, 1, &s);
    big->tasks[0].cores = 8; /* fits nowhere now */
    struct herd_worker *w;
    struct herd_task *t = herd_sched_next(&s, fits_small, NULL, &w);
    CHECK(t != NULL);
    CHECK_EQ(t->id, 200);
    CHECK(herd_sched_next(&s, fits_small, NULL, &w) == NULL); /* big's head still blocks big */
    CHECK_EQ(s.nready, 2);
    herd_sched_remove(&s, &big->tasks[0]);
    t = herd_sched_next(&s, fits_small, NULL, &w);
    CHECK(t != NULL && t->id == 101);
    herd_job_destroy(big);
    herd_job_destroy(small);
    herd_sched_fini(&s);
}
