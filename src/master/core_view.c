/* core_view — read-only views of workers, jobs and tasks for the HTTP API,
 * and recorded task output. */
#include "base/mem.h"
#include "master/core_int.h"

#include <stdlib.h>
#include <string.h>

static void worker_info(const struct herd_worker *w, struct herd_worker_info *i)
{
    i->id = w->id;
    i->host = w->host;
    i->state = herd_worker_state_name(w->state);
    i->cores = w->cores;
    i->cores_used = w->cores_used;
    i->memory = w->memory;
    i->running = w->nlive;
    i->last_heartbeat_ms = w->last_seen;
    i->data_port = w->data_port;
    i->nlabels = w->nlabels;
    i->labels = w->labels;
}

void herd_core_each_worker(struct herd_core *c,
                           void (*fn)(void *arg, const struct herd_worker_info *w), void *arg)
{
    struct herd_link *p;
    herd_list_each(p, &c->reg.workers)
    {
        struct herd_worker_info i;
        worker_info(herd_container_of(p, struct herd_worker, link), &i);
        fn(arg, &i);
    }
}

static void job_info(const struct herd_job *j, struct herd_job_info *i)
{
    const uint32_t *n = j->count;
    i->id = j->id;
    i->name = j->name;
    i->state = herd_job_state_name(j->state);
    i->priority = j->priority;
    i->total = j->ntasks;
    i->pending = n[HERD_TASK_PENDING] + n[HERD_TASK_READY] + n[HERD_TASK_BACKOFF];
    i->running = n[HERD_TASK_RUNNING];
    i->succeeded = n[HERD_TASK_SUCCEEDED];
    i->failed = n[HERD_TASK_FAILED] + n[HERD_TASK_DEP_FAILED];
    i->canceled = n[HERD_TASK_CANCELED];
    i->submitted_ms = j->submitted_ms;
    i->finished_ms = j->finished_ms;
}

/* Job info from a journal row; the name is copied to c->view_name. */
static void stored_job_info(struct herd_core *c, const struct herd_journal_job_view *v,
                            struct herd_job_info *i)
{
    free(c->view_name);
    c->view_name = herd_xstrdup(v->name);
    uint32_t done = v->succeeded + v->failed + v->canceled;
    *i = (struct herd_job_info){
        .id = v->id,
        .name = c->view_name,
        .state = "?",
        .priority = v->priority,
        .total = v->ntasks,
        .pending = v->ntasks > done ? v->ntasks - done : 0,
        .succeeded = v->succeeded,
        .failed = v->failed,
        .canceled = v->canceled,
        .submitted_ms = v->submitted_ms,
        .finished_ms = v->finished_ms,
    };
    /* the state string is the journal's, valid only in the callback: map it
     * to the static name */
    for (int s = 0; s < HERD_JOB_NSTATES; s++)
        if (strcmp(v->state, herd_job_state_name((enum herd_job_state)s)) == 0)
            i->state = herd_job_state_name((enum herd_job_state)s);
}

struct got_job {
    struct herd_core *c;
    struct herd_job_info *out;
};

static void got_job(void *arg, const struct herd_journal_job_view *v)
{
    struct got_job *g = arg;
    stored_job_info(g->c, v, g->out);
}

int herd_core_job_info(struct herd_core *c, uint64_t job_id, struct herd_job_info *out)
{
    struct herd_job *j = herd_u64map_get(&c->jobs, job_id);
    if (j != NULL) {
        job_info(j, out);
        return HERD_OK;
    }
    struct herd_job_info i;
    struct got_job g = {c, &i};
    struct herd_err e;
    int rc = herd_journal_job_get(c->journal, job_id, got_job, &g, &e);
    if (rc == HERD_EDB)
        herd_core__journal_err(c, rc, &e);
    if (rc != HERD_OK)
        return HERD_ENOTFOUND;
    *out = i;
    return HERD_OK;
}

struct each_job {
    struct herd_core *c;
    void (*fn)(void *arg, const struct herd_job_info *j);
    void *arg;
};

/* Every journalled job: the in-memory record where there is one (it is
 * current), the journal's row for an evicted one. */
static void each_stored_job(void *arg, const struct herd_journal_job_view *v)
{
    struct each_job *k = arg;
    struct herd_job *j = herd_u64map_get(&k->c->jobs, v->id);
    struct herd_job_info i;
    if (j != NULL)
        job_info(j, &i);
    else
        stored_job_info(k->c, v, &i);
    k->fn(k->arg, &i);
}

void herd_core_each_job(struct herd_core *c, void (*fn)(void *arg, const struct herd_job_info *j),
                        void *arg)
{
    struct each_job k = {c, fn, arg};
    struct herd_err e;
    herd_core__journal_err(c, herd_journal_job_list(c->journal, each_stored_job, &k, &e), &e);
}

struct each_task {
    void (*fn)(void *arg, const struct herd_task_info *t);
    void *arg;
};

static void each_stored_task(void *arg, const struct herd_journal_task_view *v)
{
    struct each_task *k = arg;
    struct herd_task_info i = {
        .id = v->id,
        .index = v->index,
        .name = v->name,
        .state = v->state,
        .attempts = v->attempts,
        .exit_code = v->exit_code,
        .worker = v->worker,
    };
    k->fn(k->arg, &i);
}

void herd_core_each_task(struct herd_core *c, uint64_t job_id,
                         void (*fn)(void *arg, const struct herd_task_info *t), void *arg)
{
    struct herd_job *j = herd_u64map_get(&c->jobs, job_id);
    if (j == NULL) { /* evicted (or unknown: no rows) */
        struct each_task k = {fn, arg};
        struct herd_err e;
        herd_core__journal_err(c, herd_journal_task_list(c->journal, job_id, each_stored_task,
                                                         &k, &e),
                               &e);
        return;
    }
    for (uint32_t k = 0; k < j->ntasks; k++) {
        const struct herd_task *t = &j->tasks[k];
        struct herd_task_info i = {
            .id = t->id,
            .index = t->index,
            .name = t->name ? t->name : "",
            .state = herd_task_state_name(t->state),
            .attempts = t->attempts,
            .exit_code = t->exit_code,
            .worker = t->last_worker ? t->last_worker : "",
        };
        fn(arg, &i);
    }
}

int herd_core_task_output(struct herd_core *c, uint64_t job_id, uint32_t index, int want_stderr,
                          uint8_t **out, size_t *len)
{
    struct herd_err e;
    return herd_journal_output(c->journal, job_id, index, want_stderr, out, len, &e);
}
