/* core_run — running tasks: dispatch to workers, results, failures and
 * retries with backoff, dependants, job completion, worker loss. */
#include "base/log.h"
#include "base/mem.h"
#include "master/core_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BACKOFF_MS 30000

/* --- backoff heap --- */

static void heap_swap(struct backoff_ent *h, size_t a, size_t b)
{
    struct backoff_ent t = h[a];
    h[a] = h[b];
    h[b] = t;
}

static void heap_push(struct herd_core *c, uint64_t when, struct herd_task *t)
{
    herd_xgrow((void **)&c->heap, &c->capheap, c->nheap + 1, sizeof *c->heap);
    size_t i = c->nheap++;
    c->heap[i] = (struct backoff_ent){when, t};
    while (i > 0 && c->heap[(i - 1) / 2].when > c->heap[i].when) {
        heap_swap(c->heap, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void sift_down(struct herd_core *c, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < c->nheap && c->heap[l].when < c->heap[m].when)
            m = l;
        if (r < c->nheap && c->heap[r].when < c->heap[m].when)
            m = r;
        if (m == i)
            break;
        heap_swap(c->heap, i, m);
        i = m;
    }
}

static void heap_pop(struct herd_core *c)
{
    c->heap[0] = c->heap[--c->nheap];
    sift_down(c, 0);
}

void herd_core__heap_drop_job(struct herd_core *c, const struct herd_job *j)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nheap; i++)
        if (c->heap[i].task->job != j)
            c->heap[n++] = c->heap[i];
    if (n == c->nheap)
        return;
    c->nheap = n;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(c, i);
}

static int heap_live(const struct backoff_ent *b)
{
    return b->task->state == HERD_TASK_BACKOFF && b->task->ready_at == b->when;
}

uint64_t herd_core__next_backoff(const struct herd_core *c)
{
    /* Stale heads are dropped by expire_backoff; a stale head only makes
     * the next tick come early. */
    return c->nheap > 0 ? c->heap[0].when : UINT64_MAX;
}

void herd_core__expire_backoff(struct herd_core *c)
{
    uint64_t now = herd_core__now(c);
    while (c->nheap > 0 && (c->heap[0].when <= now || !heap_live(&c->heap[0]))) {
        struct backoff_ent b = c->heap[0];
        heap_pop(c);
        if (heap_live(&b))
            herd_core__make_ready(c, b.task, "backoff over");
    }
}

/* --- states of tasks and jobs --- */

void herd_core__make_ready(struct herd_core *c, struct herd_task *t, const char *why)
{
    if (herd_task_set_state(t, HERD_TASK_READY, why, &c->tst) == HERD_OK)
        herd_sched_push(&c->sched, t);
}

void herd_core__job_check_done(struct herd_core *c, struct herd_job *j)
{
    if (j->state != HERD_JOB_RUNNING || !herd_job_all_final(j))
        return;
    enum herd_job_state to = herd_job_outcome(j);
    herd_job_set_state(j, to, "all tasks final", &c->jst);
    j->finished_ms = herd_wall_ms();
    struct herd_err e;
    herd_core__journal_err(
        c, herd_journal_job_state(c->journal, j->id, herd_job_state_name(to), j->finished_ms, &e),
        &e);
    herd_info("master", "job %" PRIu64 " %s (%u/%u tasks succeeded)", j->id,
              herd_job_state_name(to), j->count[HERD_TASK_SUCCEEDED], j->ntasks);
    herd_core__job_final(c, j);
}

static void journal_task_final(struct herd_core *c, struct herd_task *t)
{
    struct herd_err e;
    herd_core__journal_err(c,
                           herd_journal_task_final(c->journal, t->id,
                                                   herd_task_state_name(t->state), t->attempts,
                                                   t->exit_code, t->last_worker, &e),
                           &e);
}

/* Fails the pending dependants of t, transitively (iteratively: chains may
 * be long). */
static void fail_dependants(struct herd_core *c, struct herd_task *t)
{
    struct herd_job *j = t->job;
    size_t n = 0, cap = 0;
    struct herd_task **stack = NULL;
    herd_xgrow((void **)&stack, &cap, 1, sizeof *stack);
    stack[n++] = t;
    while (n > 0) {
        struct herd_task *x = stack[--n];
        for (uint32_t k = 0; k < x->ndependants; k++) {
            struct herd_task *d = &j->tasks[x->dependants[k]];
            if (d->state != HERD_TASK_PENDING)
                continue;
            herd_task_set_state(d, HERD_TASK_DEP_FAILED, "a dependency did not succeed", &c->tst);
            journal_task_final(c, d);
            herd_xgrow((void **)&stack, &cap, n + 1, sizeof *stack);
            stack[n++] = d;
        }
    }
    free(stack);
}

static void release_dependants(struct herd_core *c, struct herd_task *t)
{
    for (uint32_t k = 0; k < t->ndependants; k++) {
        struct herd_task *d = &t->job->tasks[t->dependants[k]];
        if (d->ndeps_left > 0 && --d->ndeps_left == 0 && d->state == HERD_TASK_PENDING)
            herd_core__make_ready(c, d, "dependencies succeeded");
    }
}

static uint64_t backoff_ms(struct herd_core *c, uint32_t failures)
{
    uint64_t d = c->cfg.retry_backoff_ms;
    for (uint32_t i = 1; i < failures && d < MAX_BACKOFF_MS; i++)
        d *= 2;
    if (d > MAX_BACKOFF_MS)
        d = MAX_BACKOFF_MS;
    /* jitter: 50%..100% */
    return d / 2 + c->io.random(c->io.ctx) % (d / 2 + 1);
}

static int record_result(struct herd_core *c, struct herd_task *t, uint64_t attempt_id,
                         const struct herd_msg_result *r)
{
    struct herd_journal_result jr = {
        .task_id = t->id,
        .attempt_id = attempt_id,
        .status = r->status,
        .exit_code = r->exit_code,
        .out = r->stdout_data,
        .out_len = r->stdout_len,
        .err = r->stderr_data,
        .err_len = r->stderr_len,
        .error = r->error,
        .recorded_ms = herd_wall_ms(),
    };
    struct herd_err e;
    int rc = herd_journal_result(c->journal, &jr, &e);
    herd_core__journal_err(c, rc, &e);
    return rc;
}

/* Which retry_on class a failure belongs to (r NULL: the worker was lost). */
static uint32_t failure_class(const struct herd_msg_result *r)
{
    if (r == NULL)
        return HERD_RETRY_LOST;
    return r->status == HERD_RESULT_TIMEOUT ? HERD_RETRY_TIMEOUT : HERD_RETRY_FAILED;
}

static void keep_attempt_log(struct herd_core *c, uint64_t attempt_id,
                             const struct herd_msg_result *r)
{
    struct herd_err e;
    herd_core__journal_err(c,
                           herd_journal_attempt_log(c->journal, attempt_id, r->status,
                                                    r->exit_code, r->stderr_data, r->stderr_len,
                                                    r->error, &e),
                           &e);
}

/* The attempt that owned t failed or was lost: retry or fail for good. */
static void task_failed(struct herd_core *c, struct herd_task *t, uint64_t attempt_id,
                        const struct herd_msg_result *r, const char *why)
{
    if (r != NULL)
        keep_attempt_log(c, attempt_id, r);
    if (t->attempts < 1 + t->job->max_retries && t->job->state == HERD_JOB_RUNNING &&
        (t->job->retry_on & failure_class(r))) {
        t->ready_at = herd_core__now(c) + backoff_ms(c, t->attempts);
        herd_task_set_state(t, HERD_TASK_BACKOFF, why, &c->tst);
        heap_push(c, t->ready_at, t);
        c->stats.attempts_retried++;
        return;
    }
    t->exit_code = r ? r->exit_code : -1;
    if (r != NULL)
        record_result(c, t, attempt_id, r);
    herd_task_set_state(t, HERD_TASK_FAILED, why, &c->tst);
    journal_task_final(c, t);
    fail_dependants(c, t);
    herd_core__job_check_done(c, t->job);
}

static void task_succeeded(struct herd_core *c, struct herd_task *t, uint64_t attempt_id,
                           const struct herd_msg_result *r)
{
    t->exit_code = r->exit_code;
    herd_task_set_state(t, HERD_TASK_SUCCEEDED, "result recorded", &c->tst);
    /* not journaled: the result row (status OK) says it (journal_int.h) */
    c->stats.results_accepted++;
    (void)attempt_id;
    release_dependants(c, t);
    herd_core__job_check_done(c, t->job);
}

/* --- attempts --- */

static void release(struct herd_core *c, struct herd_attempt *a)
{
    struct herd_worker *w = a->worker;
    herd_list_remove(&a->wlink);
    w->nlive--;
    w->cores_used -= a->cores;
    w->memory_used -= a->memory;
    herd_u64map_del(&c->attempts, a->id);
    if (a->task->current == a)
        a->task->current = NULL;
    free(a);
}

void herd_core__attempt_end(struct herd_core *c, struct herd_attempt *a,
                            enum herd_attempt_state to, const struct herd_msg_result *r,
                            const char *why)
{
    struct herd_task *t = a->task;
    int owned = t->current == a;
    uint64_t id = a->id;
    struct herd_msg_result ok = {.status = HERD_RESULT_OK, .exit_code = a->recorded_exit};
    if (a->recorded && owned && (to == HERD_ATTEMPT_FAILED || to == HERD_ATTEMPT_LOST)) {
        /* its result is already in the journal's transaction: it stands */
        to = HERD_ATTEMPT_SUCCEEDED;
        r = &ok;
        why = "result recorded";
    }
    if (herd_attempt_set_state(a, to, why, &c->ast) != HERD_OK)
        return;
    struct herd_err e;
    herd_core__journal_err(c,
                           herd_journal_attempt_end(c->journal, id, herd_attempt_state_name(to),
                                                    r ? r->status : -1, r ? r->exit_code : 0,
                                                    herd_core__now(c), &e),
                           &e);
    release(c, a);
    if (!owned)
        return;
    if (to == HERD_ATTEMPT_SUCCEEDED)
        task_succeeded(c, t, id, r);
    else if (to == HERD_ATTEMPT_FAILED || to == HERD_ATTEMPT_LOST)
        task_failed(c, t, id, r, why);
}

void herd_core__send_kill(struct herd_core *c, struct herd_worker *w, uint64_t attempt_id)
{
    struct herd_msg m = {.type = HERD_MSG_KILL};
    m.u.kill.attempt_id = attempt_id;
    herd_core__send(c, w->conn, &m);
}

void herd_core__task_cancel(struct herd_core *c, struct herd_task *t)
{
    struct herd_attempt *a = t->current;
    if (t->state == HERD_TASK_READY)
        herd_sched_remove(&c->sched, t);
    if (a != NULL) {
        t->current = NULL;
        herd_attempt_set_state(a, HERD_ATTEMPT_KILLING, "job canceled", &c->ast);
        herd_core__send_kill(c, a->worker, a->id);
    }
    herd_task_set_state(t, HERD_TASK_CANCELED, "job canceled", &c->tst);
    journal_task_final(c, t);
}

static int result_ok(const struct herd_msg_result *r)
{
    return r->status == HERD_RESULT_OK;
}

void herd_core__result(struct herd_core *c, struct herd_worker *w, const struct herd_msg_result *r)
{
    struct herd_attempt *a = herd_u64map_get(&c->attempts, r->attempt_id);
    if (a == NULL || a->worker != w || a->task->id != r->task_id ||
        a->task->job->id != r->job_id) {
        c->stats.results_refused++;
        herd_warn("master", "worker %s: refused result of attempt %" PRIx64
                  " (task %" PRIu64 "): it does not own its task", w->id, r->attempt_id, r->task_id);
        return;
    }
    if (a->state == HERD_ATTEMPT_KILLING) {
        herd_core__attempt_end(c, a, HERD_ATTEMPT_KILLED, r, "ended after kill");
        return;
    }
    if (!result_ok(r)) {
        herd_core__attempt_end(c, a, HERD_ATTEMPT_FAILED, r, "attempt failed");
        return;
    }
    if (a->recorded)
        return; /* a duplicate */
    struct herd_err e;
    herd_err_clear(&e);
    if (herd_core__record_files(c, a->task, r, &e) != HERD_OK) {
        herd_warn("master", "worker %s: attempt %" PRIx64 ": %s", w->id, a->id, e.msg);
        struct herd_msg_result bad = *r;
        bad.status = HERD_RESULT_FAILED;
        bad.error = e.msg;
        herd_core__attempt_end(c, a, HERD_ATTEMPT_FAILED, &bad, "outputs not stored");
        return;
    }
    /* The task succeeds once this is committed (herd_core__flush), so a
     * result is durable before the task counts as succeeded, and many
     * results share one transaction. */
    if (record_result(c, a->task, a->id, r) != HERD_OK) {
        herd_core__attempt_end(c, a, HERD_ATTEMPT_FAILED, NULL, "result not recorded");
        return;
    }
    a->recorded = 1;
    a->recorded_exit = r->exit_code;
    herd_xgrow((void **)&c->recorded, &c->caprecorded, c->nrecorded + 1, sizeof *c->recorded);
    c->recorded[c->nrecorded++] = a->id;
}

void herd_core__complete_recorded(struct herd_core *c)
{
    for (size_t i = 0; i < c->nrecorded; i++) {
        struct herd_attempt *a = herd_u64map_get(&c->attempts, c->recorded[i]);
        if (a == NULL || !a->recorded)
            continue; /* ended meanwhile (as succeeded: see attempt_end) */
        if (a->task->current != a) {
            a->recorded = 0; /* canceled meanwhile: its KILL answer ends it */
            continue;
        }
        struct herd_msg_result ok = {.status = HERD_RESULT_OK, .exit_code = a->recorded_exit};
        herd_core__attempt_end(c, a, HERD_ATTEMPT_SUCCEEDED, &ok, "result ok");
    }
    c->nrecorded = 0;
}

/* --- dispatch --- */

static struct herd_worker *place(void *ctx, const struct herd_task *t)
{
    struct herd_core *c = ctx;
    struct herd_worker *best = NULL;
    struct herd_link *p;
    herd_list_each(p, &c->reg.workers)
    {
        struct herd_worker *w = herd_container_of(p, struct herd_worker, link);
        if (!herd_worker_fits(w, t->cores, t->memory))
            continue;
        if (best == NULL || w->cores - w->cores_used > best->cores - best->cores_used)
            best = w;
    }
    return best;
}

static int any_capacity(struct herd_core *c)
{
    struct herd_link *p;
    herd_list_each(p, &c->reg.workers)
    {
        struct herd_worker *w = herd_container_of(p, struct herd_worker, link);
        if (herd_worker_fits(w, 1, 0))
            return 1;
    }
    return 0;
}

static void send_assign(struct herd_core *c, struct herd_task *t, struct herd_attempt *a)
{
    struct herd_msg m = {.type = HERD_MSG_ASSIGN};
    struct herd_msg_assign *as = &m.u.assign;
    as->attempt_id = a->id;
    as->job_id = t->job->id;
    as->task_id = t->id;
    as->kind = t->kind;
    as->cores = t->cores;
    as->memory = t->memory;
    as->timeout_ms = t->timeout_ms;
    as->nargv = t->nargv;
    as->argv = t->argv;
    as->nenv = t->nenv;
    as->env = t->env;
    as->payload_len = t->payload_len;
    as->payload = t->payload;
    as->ninputs = t->ninputs;
    as->inputs = t->inputs;
    as->noutputs = t->noutputs;
    as->outputs = t->outputs;
    as->plugin = t->plugin;
    herd_core__send(c, a->worker->conn, &m);
}

static void assign(struct herd_core *c, struct herd_task *t, struct herd_worker *w)
{
    uint64_t id = ((uint64_t)herd_journal_epoch(c->journal) << 32) | ++c->attempt_counter;
    struct herd_attempt *a = herd_attempt_create(id, t, w, HERD_ATTEMPT_RUNNING, &c->ast);
    a->cores = t->cores;
    a->memory = t->memory;
    a->conn_gen = w->conn_gen;
    a->started_ms = herd_core__now(c);
    herd_list_push_back(&w->attempts, &a->wlink);
    w->nlive++;
    w->cores_used += a->cores;
    w->memory_used += a->memory;
    herd_u64map_put(&c->attempts, id, a);
    t->attempts++;
    t->current = a;
    free(t->last_worker);
    t->last_worker = herd_xstrdup(w->id);
    herd_task_set_state(t, HERD_TASK_RUNNING, w->id, &c->tst);
    struct herd_err e;
    herd_core__journal_err(
        c, herd_journal_attempt_add(c->journal, id, t->id, w->id, a->started_ms, &e), &e);
    send_assign(c, t, a);
}

void herd_core__dispatch(struct herd_core *c)
{
    while (c->sched.nready > 0 && any_capacity(c)) {
        struct herd_worker *w = NULL;
        struct herd_task *t = herd_sched_next(&c->sched, place, c, &w);
        if (t == NULL)
            break;
        assign(c, t, w);
    }
}

/* --- loss --- */

void herd_core__worker_lost(struct herd_core *c, struct herd_worker *w, const char *why)
{
    if (herd_worker_set_state(&c->reg, w, HERD_WORKER_LOST, why) != HERD_OK)
        return;
    c->stats.workers_lost++;
    w->zombies = 0;
    herd_gjobs_worker_gone(c, w);
    struct herd_link *p, *tmp;
    herd_list_each_safe(p, tmp, &w->attempts)
    {
        struct herd_attempt *a = herd_container_of(p, struct herd_attempt, wlink);
        if (a->state == HERD_ATTEMPT_KILLING)
            herd_core__attempt_end(c, a, HERD_ATTEMPT_KILLED, NULL, "worker lost");
        else
            herd_core__attempt_end(c, a, HERD_ATTEMPT_LOST, NULL, "worker lost");
    }
}
