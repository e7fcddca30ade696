/* Simulated cluster scenarios that mirror the real-process acceptance
 * tests: registration, a killed worker, a stopped worker, a killed master,
 * a wrong secret, a healed partition. */
#include "check.h"
#include "simutil.h"

#include <inttypes.h>

struct assigns {
    uint64_t attempt[64];
    uint32_t worker[64];
    uint64_t task[64];
    int n;
};

static void record_assigns(void *arg, struct herd_sim *s, uint32_t worker, int from_worker,
                           const struct herd_msg *m)
{
    struct assigns *a = arg;
    (void)s;
    if (from_worker || m->type != HERD_MSG_ASSIGN || a->n == 64)
        return;
    a->attempt[a->n] = m->u.assign.attempt_id;
    a->task[a->n] = m->u.assign.task_id;
    a->worker[a->n++] = worker;
}

static struct herd_sim *make(struct tmpdb *db, uint64_t seed, uint32_t nworkers,
                             const struct herd_secret *secret)
{
    struct herd_sim_config cfg = {
        .seed = seed, .journal_path = db->path, .nworkers = nworkers, .secret = secret};
    struct herd_sim *s = NULL;
    struct herd_err e;
    tmpdb_make(db);
    CHECK_EQ(herd_sim_create(&cfg, &s, &e), HERD_OK);
    return s;
}

static int all_ready(void *arg, struct herd_sim *s)
{
    uint32_t *n = arg;
    for (uint32_t i = 0; i < *n; i++) {
        char id[16];
        snprintf(id, sizeof id, "w%u", i);
        if (strcmp(worker_state(s, id), "ready") != 0)
            return 0;
    }
    return 1;
}

HERD_TEST(sim_three_workers_register)
{
    struct tmpdb db;
    struct herd_sim *s = make(&db, 1, 3, NULL);
    uint32_t n = 3;
    CHECK(herd_sim_run_until(s, all_ready, &n, 2000));
    CHECK_INT(herd_sim_now(s), <, 1000 + 1000);
    herd_sim_destroy(s);
    tmpdb_remove(&db);
}

HERD_TEST(sim_killed_worker_lost_in_time_and_task_moves)
{
    struct tmpdb db;
    struct herd_sim *s = make(&db, 2, 3, NULL);
    struct assigns as = {0};
    herd_sim_observe(s, record_assigns, &as);
    uint32_t n = 3;
    CHECK(herd_sim_run_until(s, all_ready, &n, 2000));
    herd_sim_run_for(s, 700); /* somewhere between heartbeats */
    struct herd_job_spec spec;
    sim_spec(&spec, 1, "4000", NULL);
    struct job_wait jw = {sim_submit(s, &spec)};
    herd_job_spec_free(&spec);
    herd_sim_run_for(s, 50);
    CHECK_EQ(as.n, 1);
    uint32_t victim = as.worker[0];
    char vid[16];
    snprintf(vid, sizeof vid, "w%u", victim);
    uint64_t killed_at = herd_sim_now(s);
    herd_sim_kill_worker(s, victim);
    struct wwait lost = {vid, "lost"};
    CHECK(herd_sim_run_until(s, worker_in, &lost, 10000));
    uint64_t took = herd_sim_now(s) - killed_at;
    CHECK_INT(took, <=, 3 * 1000 + 1000); /* lost_after * heartbeat + one heartbeat */
    CHECK(herd_sim_run_until(s, job_final, &jw, 20000));
    CHECK_STR(job_state_of(s, jw.id), "succeeded");
    CHECK_EQ(as.n, 2);
    CHECK(as.worker[1] != victim);
    struct herd_core_stats st;
    herd_core_stats(herd_sim_core(s), &st);
    CHECK_EQ(st.workers_lost, 1);
    CHECK_EQ(st.results_accepted, 1);
    herd_sim_destroy(s);
    tmpdb_remove(&db);
}

struct one_result {
    uint64_t attempt, out_attempt;
    int n;
};

static void grab_result(void *arg, uint64_t task, uint64_t attempt, int status, const char *out)
{
    struct one_result *r = arg;
    (void)task;
    (void)status;
    r->attempt = attempt;
    r->out_attempt = out_attempt(out);
    r->n++;
}

HERD_TEST(sim_stopped_worker_rejoins_and_its_late_result_is_refused)
{
    struct tmpdb db;
    struct herd_sim *s = make(&db, 3, 3, NULL);
    struct assigns as = {0};
    herd_sim_observe(s, record_assigns, &as);
    uint32_t n = 3;
    CHECK(herd_sim_run_until(s, all_ready, &n, 2000));
    struct herd_job_spec spec;
    sim_spec(&spec, 1, "2000", NULL);
    struct job_wait jw = {sim_submit(s, &spec)};
    herd_job_spec_free(&spec);
    herd_sim_run_for(s, 20);
    CHECK_EQ(as.n, 1);
    uint32_t victim = as.worker[0];
    char vid[16];
    snprintf(vid, sizeof vid, "w%u", victim);
    herd_sim_stop_worker(s, victim);
    herd_sim_run_for(s, 5000);
    CHECK_STR(worker_state(s, vid), "lost");
    herd_sim_resume_worker(s, victim);
    CHECK(herd_sim_run_until(s, job_final, &jw, 20000));
    struct wwait back = {vid, "ready"};
    CHECK(herd_sim_run_until(s, worker_in, &back, 10000));
    herd_sim_run_for(s, 3000); /* let the late result arrive */
    CHECK_STR(job_state_of(s, jw.id), "succeeded");
    struct herd_core_stats st;
    herd_core_stats(herd_sim_core(s), &st);
    CHECK_INT(st.results_refused, >, 0);
    CHECK_EQ(st.results_accepted, 1);
    struct one_result r = {0};
    CHECK_EQ(journal_results(db.path, grab_result, &r), 1);
    CHECK(r.attempt != as.attempt[0]);
    CHECK(r.attempt == r.out_attempt);
    CHECK_INT(as.n, >=, 2);
    CHECK(as.worker[1] != victim);
    herd_sim_destroy(s);
    tmpdb_remove(&db);
}

struct exact_once {
    int n, mismatched, failed;
};

static void check_row(void *arg, uint64_t task, uint64_t attempt, int status, const char *out)
{
    struct exact_once *x = arg;
    (void)task;
    x->n++;
    x->mismatched += attempt != out_attempt(out);
    x->failed += status != 0;
}

static int some_succeeded(void *arg, struct herd_sim *s)
{
    struct job_wait *w = arg;
    struct herd_job_info ji;
    return herd_core_job_info(herd_sim_core(s), w->id, &ji) == HERD_OK && ji.succeeded >= 4;
}

HERD_TEST(sim_master_killed_mid_job_resumes_and_records_once)
{
    struct tmpdb db;
    struct herd_sim *s = make(&db, 4, 3, NULL);
    uint32_t n = 3;
    CHECK(herd_sim_run_until(s, all_ready, &n, 2000));
    struct herd_job_spec spec;
    sim_spec(&spec, 12, NULL, NULL);
    for (uint32_t i = 6; i < 12; i++) { /* second half waits on the first */
        spec.tasks[i].deps = herd_xcalloc(1, sizeof *spec.tasks[i].deps);
        spec.tasks[i].deps[0] = i - 6;
        spec.tasks[i].ndeps = 1;
    }
    struct job_wait jw = {sim_submit(s, &spec)};
    herd_job_spec_free(&spec);
    CHECK(herd_sim_run_until(s, some_succeeded, &jw, 20000));
    herd_sim_kill_master(s);
    herd_sim_run_for(s, 1500);
    struct herd_err e;
    CHECK_EQ(herd_sim_restart_master(s, &e), HERD_OK);
    CHECK(herd_sim_run_until(s, job_final, &jw, 60000));
    CHECK_STR(job_state_of(s, jw.id), "succeeded");
    struct exact_once x = {0};
    CHECK_EQ(journal_results(db.path, check_row, &x), 12);
    CHECK_EQ(x.mismatched, 0);
    CHECK_EQ(x.failed, 0);
    herd_sim_destroy(s);
    tmpdb_remove(&db);
}

static int refused(void *arg, struct herd_sim *s)
{
    struct herd_sim_worker_info wi;
    herd_sim_worker_info(s, *(uint32_t *)arg, &wi);
    return wi.refused != NULL;
}

HERD_TEST(sim_wrong_secret_is_refused)
{
    struct herd_secret good = {.len = 24}, bad = {.len = 24};
    memcpy(good.key, "correct-horse-battery-st", 24);
    memcpy(bad.key, "wrong-horse-battery-stap", 24);
    struct tmpdb db;
    struct herd_sim *s = make(&db, 5, 1, &good);
    uint32_t n = 1;
    CHECK(herd_sim_run_until(s, all_ready, &n, 2000));
    uint32_t i = herd_sim_add_worker(s, "intruder", 2, &bad);
    CHECK(herd_sim_run_until(s, refused, &i, 5000));
    struct herd_sim_worker_info wi;
    herd_sim_worker_info(s, i, &wi);
    CHECK_STR(wi.refused, "authentication failed");
    CHECK(strstr(wi.refused, "correct") == NULL && strstr(wi.refused, "wrong") == NULL);
    herd_sim_run_for(s, 100);
    herd_sim_worker_info(s, i, &wi);
    CHECK(wi.exited);
    CHECK_EQ(wi.exit_code, 1);
    CHECK_STR(worker_state(s, "intruder"), "");
    CHECK_STR(worker_state(s, "w0"), "ready");
    herd_sim_destroy(s);
    tmpdb_remove(&db);
}

HERD_TEST(sim_partition_healed_after_10s)
{
    struct tmpdb db;
    struct herd_sim *s = make(&db, 6, 3, NULL);
    struct assigns as = {0};
    herd_sim_observe(s, record_assigns, &as);
    uint32_t n = 3;
    CHECK(herd_sim_run_until(s, all_ready, &n, 2000));
    struct herd_job_spec spec;
    sim_spec(&spec, 1, "3000", NULL);
    struct job_wait jw = {sim_submit(s, &spec)};
    herd_job_spec_free(&spec);
    herd_sim_run_for(s, 20);
    CHECK_EQ(as.n, 1);
    uint32_t victim = as.worker[0];
    char vid[16];
    snprintf(vid, sizeof vid, "w%u", victim);
    herd_sim_partition(s, victim);
    herd_sim_run_for(s, 10000);
    CHECK_STR(worker_state(s, vid), "lost");
    CHECK(job_final(&jw, s)); /* it ran elsewhere meanwhile */
    herd_sim_heal(s, victim);
    struct wwait back = {vid, "ready"};
    CHECK(herd_sim_run_until(s, worker_in, &back, 15000));
    herd_sim_run_for(s, 2000);
    CHECK_STR(job_state_of(s, jw.id), "succeeded");
    struct one_result r = {0};
    CHECK_EQ(journal_results(db.path, grab_result, &r), 1);
    CHECK(r.attempt != as.attempt[0]);
    CHECK(r.attempt == r.out_attempt);
    struct herd_core_stats st;
    herd_core_stats(herd_sim_core(s), &st);
    CHECK_EQ(st.results_accepted, 1);
    CHECK_INT(st.results_refused, >, 0); /* its held result came after the heal */
    herd_sim_destroy(s);
    tmpdb_remove(&db);
}
