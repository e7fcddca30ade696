/* The sweep: many seeds of a randomized scenario (jobs with dependencies,
 * flaky tasks, worker kills, stops, partitions and master restarts), each
 * checked against the invariants:
 *   - every job reaches a final state once the faults stop;
 *   - each task succeeded at most once, its recorded result is correct for
 *     the task and comes from the attempt that owned it;
 *   - no task starts on a worker beyond its cores;
 *   - no task is assigned before its dependencies' results are recorded;
 *   - the core never attempted an illegal state transition.
 * $HERD_SIM_SEEDS sets the number of seeds (default 1000), $HERD_SIM_SEED
 * runs one. A failure prints "seed N: what". */
#include "check.h"
#include "simutil.h"

#include "base/rand.h"

#include <inttypes.h>
#include <time.h>

#define MAXJOBS 4

/* Totals over the sweep, to show the faults really happened. */
static struct {
    uint64_t lost, refused, retried, restarts, jobs, failed_jobs;
} total;
#define MAXTASKS 10

struct sjob {
    uint64_t id;
    uint32_t ntasks;
    uint32_t ndeps[MAXTASKS];
    uint32_t deps[MAXTASKS][MAXTASKS];
    uint64_t task_id[MAXTASKS];
    char expect[MAXTASKS][64];
};

struct world {
    uint64_t seed;
    struct herd_rand r;
    struct tmpdb db;
    sqlite3 *ro;
    sqlite3_stmt *q_result;
    struct herd_sim *s;
    struct sjob jobs[MAXJOBS];
    uint32_t njobs;
    uint32_t nworkers;
    char why[1024];
    int bad;
    uint64_t pending[64][2]; /* assigns seen during a submit, before its job is known */
    uint32_t npending;
};

static void fail(struct world *w, const char *fmt, const char *a, uint64_t x)
{
    if (w->bad)
        return;
    w->bad = 1;
    snprintf(w->why, sizeof w->why, fmt, a, x);
}

/* 1 if a successful result is recorded for task_id. */
static int recorded_ok(struct world *w, uint64_t task_id)
{
    sqlite3_bind_int64(w->q_result, 1, (sqlite3_int64)task_id);
    int ok = sqlite3_step(w->q_result) == SQLITE_ROW && sqlite3_column_int(w->q_result, 0) == 0;
    sqlite3_reset(w->q_result);
    return ok;
}

static const struct sjob *job_of(struct world *w, uint64_t job_id)
{
    for (uint32_t j = 0; j < w->njobs; j++)
        if (w->jobs[j].id == job_id)
            return &w->jobs[j];
    return NULL;
}

static void check_assign(struct world *w, const struct sjob *j, uint64_t task_id)
{
    for (uint32_t i = 0; i < j->ntasks; i++) {
        if (j->task_id[i] != task_id)
            continue;
        for (uint32_t d = 0; d < j->ndeps[i]; d++)
            if (!recorded_ok(w, j->task_id[j->deps[i][d]]))
                fail(w, "%stask %" PRIu64 " assigned before its dependencies succeeded", "",
                     task_id);
    }
}

static void observe(void *arg, struct herd_sim *s, uint32_t worker, int from_worker,
                    const struct herd_msg *m)
{
    struct world *w = arg;
    (void)s;
    (void)worker;
    if (from_worker && m->type == HERD_MSG_RESULT && m->u.result.error &&
        strstr(m->u.result.error, "over capacity"))
        fail(w, "%sa worker refused attempt %" PRIx64 " as over capacity", "",
             m->u.result.attempt_id);
    if (from_worker || m->type != HERD_MSG_ASSIGN)
        return;
    const struct sjob *j = job_of(w, m->u.assign.job_id);
    if (j != NULL)
        return check_assign(w, j, m->u.assign.task_id);
    if (w->npending == 64)
        return fail(w, "%stoo many assigns during a submit%" PRIu64, "", 0);
    w->pending[w->npending][0] = m->u.assign.job_id;
    w->pending[w->npending++][1] = m->u.assign.task_id;
}

static void build_job(struct world *w, struct sjob *j, struct herd_job_spec *spec, uint32_t cores)
{
    uint32_t n = 1 + (uint32_t)herd_rand_below(&w->r, MAXTASKS);
    memset(spec, 0, sizeof *spec);
    spec->priority = (int32_t)herd_rand_below(&w->r, 2);
    spec->max_retries = 2 + (uint32_t)herd_rand_below(&w->r, 3);
    spec->ntasks = n;
    spec->tasks = herd_xcalloc(n, sizeof *spec->tasks);
    j->ntasks = n;
    for (uint32_t i = 0; i < n; i++) {
        struct herd_task_spec *t = &spec->tasks[i];
        char word[32];
        t->kind = HERD_TASK_COMMAND;
        t->nargv = 4;
        t->argv = herd_xcalloc(4, sizeof *t->argv);
        t->argv[0] = herd_xstrdup("sim");
        /* run time in ms: mostly short, some long enough to outlive a fault */
        uint64_t ms = herd_rand_below(&w->r, 5) == 0 ? 1500 + herd_rand_below(&w->r, 3500)
                                                       : 20 + herd_rand_below(&w->r, 380);
        snprintf(word, sizeof word, "%" PRIu64, ms);
        t->argv[1] = herd_xstrdup(word);
        snprintf(word, sizeof word, "j%ut%u", w->njobs, i);
        t->argv[3] = herd_xstrdup(word);
        /* mostly reliable; some fail once or twice; a few never succeed */
        uint64_t f = herd_rand_below(&w->r, 20);
        snprintf(word, sizeof word, "fail=%u", f < 14 ? 0 : f < 19 ? (unsigned)(f - 13) % 3 : 9);
        t->argv[2] = herd_xstrdup(word);
        t->cores = 1 + (uint32_t)herd_rand_below(&w->r, cores);
        herd_sim_expected_output(t->nargv, t->argv, j->expect[i], sizeof j->expect[i]);
        j->ndeps[i] = 0;
        for (uint32_t d = 0; d < i; d++)
            if (herd_rand_below(&w->r, 4) == 0)
                j->deps[i][j->ndeps[i]++] = d;
        t->ndeps = j->ndeps[i];
        t->deps = herd_xcalloc(t->ndeps ? t->ndeps : 1, sizeof *t->deps);
        memcpy(t->deps, j->deps[i], t->ndeps * sizeof *t->deps);
    }
}

struct idq {
    struct sjob *j;
};

static void take_ids(void *arg, const struct herd_task_info *t)
{
    struct idq *q = arg;
    if (t->index < q->j->ntasks)
        q->j->task_id[t->index] = t->id;
}

static void submit_job(struct world *w, uint32_t cores)
{
    if (w->njobs == MAXJOBS || herd_sim_core(w->s) == NULL)
        return;
    struct sjob *j = &w->jobs[w->njobs];
    struct herd_job_spec spec;
    build_job(w, j, &spec, cores);
    j->id = sim_submit(w->s, &spec);
    herd_job_spec_free(&spec);
    if (j->id == 0)
        return fail(w, "%ssubmit failed%" PRIu64, "", 0);
    struct idq q = {j};
    herd_core_each_task(herd_sim_core(w->s), j->id, take_ids, &q);
    w->njobs++;
    for (uint32_t i = 0; i < w->npending; i++) {
        if (job_of(w, w->pending[i][0]) == NULL)
            fail(w, "%sassign of unknown job %" PRIu64, "", w->pending[i][0]);
        else
            check_assign(w, job_of(w, w->pending[i][0]), w->pending[i][1]);
    }
    w->npending = 0;
}

/* One random fault (or a new job) and, later, its repair. */
static void chaos_step(struct world *w, uint32_t cores)
{
    uint32_t k = (uint32_t)herd_rand_below(&w->r, w->nworkers);
    uint64_t pick = herd_rand_below(&w->r, 10), hold = 200 + herd_rand_below(&w->r, 6000);
    struct herd_err e;
    switch (pick) {
    case 0: case 1:
        herd_sim_kill_worker(w->s, k);
        herd_sim_run_for(w->s, hold);
        herd_sim_revive_worker(w->s, k);
        break;
    case 2: case 3:
        herd_sim_stop_worker(w->s, k);
        herd_sim_run_for(w->s, hold);
        herd_sim_resume_worker(w->s, k);
        break;
    case 4: case 5:
        herd_sim_partition(w->s, k);
        herd_sim_run_for(w->s, hold);
        herd_sim_heal(w->s, k);
        break;
    case 6:
        herd_sim_kill_master(w->s);
        herd_sim_run_for(w->s, hold / 2);
        if (herd_sim_restart_master(w->s, &e) != HERD_OK)
            fail(w, "master restart: %.500s%" PRIu64, e.msg, 0);
        break;
    case 7:
        submit_job(w, cores);
        break;
    default:
        break;
    }
    herd_sim_run_for(w->s, herd_rand_below(&w->r, 1500));
}

static int all_final(void *arg, struct herd_sim *s)
{
    struct world *w = arg;
    for (uint32_t j = 0; j < w->njobs; j++) {
        struct job_wait jw = {w->jobs[j].id};
        if (!job_final(&jw, s))
            return 0;
    }
    return 1;
}

struct taskview {
    struct world *w;
    const struct sjob *j;
};

static void check_task_state(void *arg, const struct herd_task_info *t)
{
    struct taskview *v = arg;
    int ok = recorded_ok(v->w, t->id);
    if (ok != (strcmp(t->state, "succeeded") == 0))
        fail(v->w, "task state %s disagrees with the journal for task %" PRIu64, t->state, t->id);
}

static void check_row(void *arg, uint64_t task, uint64_t attempt, int status, const char *out)
{
    struct world *w = arg;
    if (status != 0)
        return;
    if (out_attempt(out) != attempt)
        fail(w, "%srecorded result of task %" PRIu64 " names another attempt", "", task);
    for (uint32_t j = 0; j < w->njobs; j++)
        for (uint32_t i = 0; i < w->jobs[j].ntasks; i++)
            if (w->jobs[j].task_id[i] == task &&
                strncmp(out, w->jobs[j].expect[i], strlen(w->jobs[j].expect[i])) != 0)
                fail(w, "%swrong output recorded for task %" PRIu64, "", task);
}

/* At most one succeeded attempt per task, and it is the recorded one. */
static void check_attempts(struct world *w)
{
    sqlite3_stmt *q = NULL;
    const char *sql = "SELECT a.task_id, COUNT(*), SUM(a.id = r.attempt_id) FROM attempts a"
                      " LEFT JOIN results r ON r.task_id = a.task_id"
                      " WHERE a.state = 'succeeded' GROUP BY a.task_id";
    if (sqlite3_prepare_v2(w->ro, sql, -1, &q, NULL) != SQLITE_OK)
        return fail(w, "%sprepare: attempts%" PRIu64, "", 0);
    while (sqlite3_step(q) == SQLITE_ROW)
        if (sqlite3_column_int(q, 1) != 1 || sqlite3_column_int(q, 2) != 1)
            fail(w, "%stask %" PRIu64 " has several or unrecorded succeeded attempts", "",
                 (uint64_t)sqlite3_column_int64(q, 0));
    sqlite3_finalize(q);
}

static void check_end(struct world *w)
{
    struct herd_core_stats st;
    struct herd_sim_stats ss;
    herd_core_stats(herd_sim_core(w->s), &st);
    herd_sim_stats(w->s, &ss);
    if (st.illegal_transitions != 0)
        fail(w, "%s%" PRIu64 " illegal transitions", "", st.illegal_transitions);
    if (ss.over_capacity != 0)
        fail(w, "%s%" PRIu64 " starts beyond a worker's cores", "", ss.over_capacity);
    journal_results(w->db.path, check_row, w);
    check_attempts(w);
    for (uint32_t j = 0; j < w->njobs; j++) {
        struct taskview v = {w, &w->jobs[j]};
        herd_core_each_task(herd_sim_core(w->s), w->jobs[j].id, check_task_state, &v);
    }
}

static void calm_down(struct world *w)
{
    struct herd_err e;
    if (herd_sim_core(w->s) == NULL && herd_sim_restart_master(w->s, &e) != HERD_OK)
        fail(w, "master restart: %.500s%" PRIu64, e.msg, 0);
    for (uint32_t k = 0; k < w->nworkers; k++) {
        herd_sim_heal(w->s, k);
        herd_sim_resume_worker(w->s, k);
        herd_sim_revive_worker(w->s, k);
    }
}

static int run_seed(uint64_t seed, char *why, size_t n)
{
    struct world w = {.seed = seed};
    herd_rand_seed(&w.r, seed * 7919 + 1);
    tmpdb_make(&w.db);
    uint32_t cores = 1 + (uint32_t)herd_rand_below(&w.r, 3);
    w.nworkers = 2 + (uint32_t)herd_rand_below(&w.r, 3);
    struct herd_sim_config cfg = {.seed = seed, .journal_path = w.db.path,
                                  .nworkers = w.nworkers, .cores = cores,
                                  .task_min_ms = 20, .task_max_ms = 400};
    struct herd_err e;
    if (herd_sim_create(&cfg, &w.s, &e) != HERD_OK) {
        snprintf(why, n, "create: %.500s", e.msg);
        tmpdb_remove(&w.db);
        return 1;
    }
    sqlite3_open_v2(w.db.path, &w.ro, SQLITE_OPEN_READONLY, NULL);
    sqlite3_prepare_v2(w.ro, "SELECT status FROM results WHERE task_id = ?", -1, &w.q_result,
                       NULL);
    herd_sim_observe(w.s, observe, &w);
    herd_sim_run_for(w.s, 300);
    uint32_t first = 1 + (uint32_t)herd_rand_below(&w.r, 2);
    for (uint32_t i = 0; i < first; i++)
        submit_job(&w, cores);
    uint32_t faults = (uint32_t)herd_rand_below(&w.r, 6);
    for (uint32_t i = 0; i < faults && !w.bad; i++)
        chaos_step(&w, cores);
    calm_down(&w);
    if (!w.bad && !herd_sim_run_until(w.s, all_final, &w, 300000))
        fail(&w, "%sa job did not reach a final state%" PRIu64, "", 0);
    if (!w.bad)
        check_end(&w);
    struct herd_core_stats st = {0};
    struct herd_sim_stats ss;
    if (herd_sim_core(w.s) != NULL)
        herd_core_stats(herd_sim_core(w.s), &st);
    herd_sim_stats(w.s, &ss);
    total.lost += st.workers_lost;
    total.refused += st.results_refused;
    total.retried += st.attempts_retried;
    total.restarts += ss.master_restarts;
    total.jobs += w.njobs;
    for (uint32_t j = 0; j < w.njobs && herd_sim_core(w.s) != NULL; j++)
        total.failed_jobs += strcmp(job_state_of(w.s, w.jobs[j].id), "failed") == 0;
    snprintf(why, n, "%s", w.why);
    sqlite3_finalize(w.q_result);
    sqlite3_close(w.ro);
    herd_sim_destroy(w.s);
    tmpdb_remove(&w.db);
    return w.bad;
}

HERD_TEST(sim_sweep_invariants)
{
    const char *one = getenv("HERD_SIM_SEED"), *ns = getenv("HERD_SIM_SEEDS");
    uint64_t from = one ? strtoull(one, NULL, 10) : 1;
    uint64_t count = one ? 1 : ns ? strtoull(ns, NULL, 10) : 1000;
    struct timespec t0, t1;
    /* Durability against an OS crash is not under test here; process death
     * is, and it needs no fsync. */
    setenv("HERD_JOURNAL_SYNC", "off", 1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int failures = 0;
    for (uint64_t seed = from; seed < from + count; seed++) {
        char why[1024] = "";
        if (run_seed(seed, why, sizeof why)) {
            printf("seed %" PRIu64 ": %s\n", seed, why);
            if (++failures >= 10)
                break;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("sweep: %" PRIu64 " seeds in %.1f s, %d failed\n", count,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, failures);
    printf("sweep: %" PRIu64 " jobs (%" PRIu64 " failed for good), %" PRIu64
           " workers lost, %" PRIu64 " stale results refused, %" PRIu64 " retries, %" PRIu64
           " master restarts\n",
           total.jobs, total.failed_jobs, total.lost, total.refused, total.retried,
           total.restarts);
    fflush(stdout);
    CHECK_EQ(failures, 0);
    CHECK_INT(total.lost, >, 0);
    CHECK_INT(total.restarts, >, 0);
}
