/* Simulated scenarios for a job's retry_on (docs/job-spec.md): which
 * failures of an attempt are retried. A task that fails ("fail=N") and a
 * task whose worker is killed, under retry_on = failed only and = lost only,
 * counted by the ASSIGNs the workers receive. */
#include "check.h"
#include "simutil.h"

struct assigns {
    uint64_t task[64];
    uint32_t worker[64];
    int n;
};

static void record(void *arg, struct herd_sim *s, uint32_t worker, int from_worker,
                   const struct herd_msg *m)
{
    struct assigns *a = arg;
    (void)s;
    if (from_worker || m->type != HERD_MSG_ASSIGN || a->n == 64)
        return;
    a->task[a->n] = m->u.assign.task_id;
    a->worker[a->n++] = worker;
}

static int count_task(const struct assigns *a, uint64_t task)
{
    int n = 0;
    for (int i = 0; i < a->n; i++)
        n += a->task[i] == task;
    return n;
}

static int two_ready(void *arg, struct herd_sim *s)
{
    (void)arg;
    return strcmp(worker_state(s, "w0"), "ready") == 0 &&
           strcmp(worker_state(s, "w1"), "ready") == 0;
}

/* Two workers; a job of two tasks: 0 fails twice, 1 runs long. The worker
 * running task 1 is killed. Returns the job's final state. */
static const char *scenario(uint32_t retry_on, struct assigns *as, uint64_t *t0, uint64_t *t1)
{
    struct tmpdb db;
    struct herd_sim_config cfg = {.seed = 7, .journal_path = db.path, .nworkers = 2};
    struct herd_sim *s = NULL;
    struct herd_err e;
    tmpdb_make(&db);
    CHECK_EQ(herd_sim_create(&cfg, &s, &e), HERD_OK);
    herd_sim_observe(s, record, as);
    CHECK(herd_sim_run_until(s, two_ready, NULL, 2000));
    struct herd_job_spec spec;
    sim_spec(&spec, 2, "-", NULL);
    free(spec.tasks[0].argv[1]);
    spec.tasks[0].argv[1] = herd_xstrdup("10");
    spec.tasks[0].argv = herd_xrealloc(spec.tasks[0].argv, 4 * sizeof(char *));
    spec.tasks[0].argv[3] = herd_xstrdup("fail=2");
    spec.tasks[0].nargv = 4;
    free(spec.tasks[1].argv[1]);
    spec.tasks[1].argv[1] = herd_xstrdup("3000");
    spec.retry_on = retry_on;
    struct job_wait jw = {sim_submit(s, &spec)};
    herd_job_spec_free(&spec);
    CHECK(jw.id != 0);
    herd_sim_run_for(s, 100);
    CHECK_INT(as->n, >=, 2);
    /* task ids follow spec order: the smallest is task 0; the victim is the
     * worker running task 1 (it runs for 3 s, so it is still there) */
    uint32_t victim = 0;
    *t0 = *t1 = as->task[0];
    for (int i = 0; i < as->n; i++) {
        if (as->task[i] < *t0)
            *t0 = as->task[i];
        if (as->task[i] >= *t1) {
            *t1 = as->task[i];
            victim = as->worker[i];
        }
    }
    CHECK(*t1 != *t0);
    CHECK_EQ(count_task(as, *t1), 1);
    herd_sim_kill_worker(s, victim);
    CHECK(herd_sim_run_until(s, job_final, &jw, 30000));
    static char state[32];
    snprintf(state, sizeof state, "%s", job_state_of(s, jw.id));
    herd_sim_destroy(s);
    tmpdb_remove(&db);
    return state;
}

HERD_TEST(sim_retry_on_failed_only_does_not_retry_lost)
{
    struct assigns as = {0};
    uint64_t t0, t1;
    const char *st = scenario(HERD_RETRY_FAILED, &as, &t0, &t1);
    CHECK_STR(st, "failed");             /* task 1 lost its worker: not retried */
    CHECK_EQ(count_task(&as, t1), 1);
    CHECK_EQ(count_task(&as, t0), 3);    /* failed twice, retried, succeeded */
}

HERD_TEST(sim_retry_on_lost_only_does_not_retry_failures)
{
    struct assigns as = {0};
    uint64_t t0, t1;
    const char *st = scenario(HERD_RETRY_LOST, &as, &t0, &t1);
    CHECK_STR(st, "failed");             /* task 0 failed once: not retried */
    CHECK_EQ(count_task(&as, t0), 1);
    CHECK_EQ(count_task(&as, t1), 2);    /* moved to the surviving worker */
}

HERD_TEST(sim_retry_on_all_retries_both)
{
    struct assigns as = {0};
    uint64_t t0, t1;
    const char *st = scenario(HERD_RETRY_ALL, &as, &t0, &t1);
    CHECK_STR(st, "succeeded");
    CHECK_EQ(count_task(&as, t0), 3);
    CHECK_EQ(count_task(&as, t1), 2);
}
