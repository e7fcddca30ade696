/* core_load — rebuilding the core's memory from the journal at start:
 * every job, its tasks' recorded states, and the attempts that were running
 * when the previous master stopped (kept as orphans on a CONNECTING worker
 * record, so they are adopted if their worker comes back within the loss
 * timeout, and failed and retried otherwise). */
#include "base/log.h"
#include "base/mem.h"
#include "master/core_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int parse_state(const char *s, const char *(*name)(int), int n)
{
    for (int i = 0; s != NULL && i < n; i++)
        if (strcmp(s, name(i)) == 0)
            return i;
    return -1;
}

static const char *job_name(int i)
{
    return herd_job_state_name((enum herd_job_state)i);
}

static const char *task_name(int i)
{
    return herd_task_state_name((enum herd_task_state)i);
}

static int on_job(void *ctx, const struct herd_journal_job_row *r)
{
    struct herd_core *c = ctx;
    int st = parse_state(r->state, job_name, HERD_JOB_NSTATES);
    if (st < 0 || herd_u64map_get(&c->jobs, r->id) != NULL)
        return HERD_EDB;
    struct herd_job *j = herd_job_create(r->id, r->name, r->priority, r->max_retries, r->ntasks);
    j->state = (enum herd_job_state)st;
    j->submitted_ms = r->submitted_ms;
    j->finished_ms = r->finished_ms;
    j->retry_on = r->retry_on ? r->retry_on : HERD_RETRY_ALL;
    herd_core__add_job(c, j);
    return HERD_OK;
}

/* Sets a state read from the journal (no transition: it is where it was). */
static void load_state(struct herd_task *t, enum herd_task_state s)
{
    t->job->count[t->state]--;
    t->job->count[s]++;
    t->state = s;
}

static void take_spec(struct herd_task *t, struct herd_task_spec *s)
{
    t->kind = s->kind;
    t->cores = s->cores ? s->cores : 1;
    t->memory = s->memory;
    t->timeout_ms = s->timeout_ms;
    t->nargv = s->nargv;
    t->argv = s->argv;
    t->nenv = s->nenv;
    t->env = s->env;
    t->payload_len = s->payload_len;
    t->payload = s->payload;
    t->ninputs = s->ninputs;
    t->inputs = s->inputs;
    t->noutputs = s->noutputs;
    t->outputs = s->outputs;
    t->plugin = s->plugin;
    t->ndeps = s->ndeps;
    t->deps = s->deps;
    s->inputs = s->outputs = NULL;
    s->plugin = NULL;
    s->argv = s->env = NULL;
    s->payload = NULL;
    s->deps = NULL;
}

static int on_task(void *ctx, struct herd_journal_task_row *r)
{
    struct herd_core *c = ctx;
    struct herd_job *j = herd_u64map_get(&c->jobs, r->job_id);
    int st = r->state && strcmp(r->state, "pending") == 0
                 ? HERD_TASK_PENDING
                 : parse_state(r->state, task_name, HERD_TASK_NSTATES);
    if (j == NULL || r->index >= j->ntasks || st < 0 || j->tasks[r->index].id != 0)
        return HERD_EDB;
    for (uint32_t d = 0; d < r->spec.ndeps; d++)
        if (r->spec.deps[d] >= j->ntasks || r->spec.deps[d] == r->index)
            return HERD_EDB;
    struct herd_task *t = &j->tasks[r->index];
    t->id = r->id;
    t->name = r->name ? herd_xstrdup(r->name) : NULL;
    take_spec(t, &r->spec);
    t->attempts = r->attempts;
    t->exit_code = r->exit_code;
    t->last_worker = r->worker ? herd_xstrdup(r->worker) : NULL;
    if (st != HERD_TASK_PENDING)
        load_state(t, (enum herd_task_state)st);
    if (!herd_task_state_final(t->state))
        c->tasks_added++;
    return HERD_OK;
}

static int on_running(void *ctx, const struct herd_journal_attempt_row *r)
{
    struct herd_core *c = ctx;
    struct herd_job *j = herd_u64map_get(&c->jobs, r->job_id);
    if (j == NULL || r->index >= j->ntasks || j->tasks[r->index].id != r->task_id)
        return HERD_EDB;
    struct herd_task *t = &j->tasks[r->index];
    if (t->current != NULL) /* two running attempts for one task: keep the newest */
        herd_core__attempt_end(c, t->current, HERD_ATTEMPT_LOST, NULL, "superseded");
    struct herd_worker *w = herd_registry_get(&c->reg, r->worker, herd_core__now(c));
    struct herd_attempt *a = herd_attempt_create(r->id, t, w, HERD_ATTEMPT_ORPHAN, &c->ast);
    a->cores = t->cores;
    a->memory = t->memory;
    a->started_ms = herd_core__now(c);
    herd_list_push_back(&w->attempts, &a->wlink);
    w->nlive++;
    w->cores_used += a->cores;
    w->memory_used += a->memory;
    herd_u64map_put(&c->attempts, a->id, a);
    t->current = a;
    if (t->state != HERD_TASK_RUNNING)
        load_state(t, HERD_TASK_RUNNING);
    return HERD_OK;
}

/* Puts each waiting task of a resumed job where it belongs now. */
static void resume_job(struct herd_core *c, struct herd_job *j)
{
    herd_core__link_deps(j);
    for (uint32_t i = 0; i < j->ntasks; i++) {
        struct herd_task *t = &j->tasks[i];
        int bad = 0;
        t->ndeps_left = 0;
        for (uint32_t d = 0; d < t->ndeps; d++) {
            enum herd_task_state ds = j->tasks[t->deps[d]].state;
            t->ndeps_left += ds != HERD_TASK_SUCCEEDED;
            bad |= herd_task_state_final(ds) && ds != HERD_TASK_SUCCEEDED;
        }
        if (bad && t->state == HERD_TASK_PENDING &&
            herd_task_set_state(t, HERD_TASK_DEP_FAILED, "a dependency did not succeed",
                                &c->tst) == HERD_OK) {
            struct herd_err e;
            herd_core__journal_err(c,
                                   herd_journal_task_final(c->journal, t->id, "dep_failed",
                                                           t->attempts, t->exit_code,
                                                           t->last_worker, &e),
                                   &e);
        }
    }
    for (uint32_t i = 0; i < j->ntasks; i++) {
        struct herd_task *t = &j->tasks[i];
        if (t->state == HERD_TASK_PENDING && t->ndeps_left == 0)
            herd_core__make_ready(c, t, "resumed");
    }
    herd_core__job_check_done(c, j);
}

int herd_core__load(struct herd_core *c, struct herd_err *e)
{
    struct herd_journal_loader l = {c, on_job, on_task, on_running};
    herd_err_clear(e);
    int rc = herd_journal_load(c->journal, &l, e);
    if (rc == HERD_EDB && (e == NULL || e->code != HERD_EDB))
        herd_err_set(e, HERD_EDB, "journal: inconsistent rows");
    if (rc != HERD_OK)
        return rc;
    uint32_t resumed = 0;
    for (size_t k = 0; k < c->njobs; k++) {
        struct herd_job *j = c->joblist[k];
        if (j->state != HERD_JOB_RUNNING) {
            herd_core__job_final(c, j); /* evicted at the first flush if over the bound */
            continue;
        }
        for (uint32_t i = 0; i < j->ntasks; i++)
            if (j->tasks[i].id == 0)
                return herd_err_set(e, HERD_EDB, "journal: job %" PRIu64 " lacks task %u",
                                    j->id, i);
        resume_job(c, j);
        resumed++;
    }
    if (resumed > 0)
        herd_info("master", "resumed %u unfinished jobs, %zu running attempts to reconcile",
                  resumed, c->attempts.len);
    return HERD_OK;
}
