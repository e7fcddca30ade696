/* core_view — read-only views of workers, jobs and tasks for the HTTP API,
 * and recorded task output. */
#include "master/core_int.h"

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

int herd_core_job_info(struct herd_core *c, uint64_t job_id, struct herd_job_info *out)
{
    struct herd_job *j = herd_u64map_get(&c->jobs, job_id);
    if (j == NULL)
        return HERD_ENOTFOUND;
    job_info(j, out);
    return HERD_OK;
}

void herd_core_each_job(struct herd_core *c, void (*fn)(void *arg, const struct herd_job_info *j),
                        void *arg)
{
    for (size_t k = 0; k < c->njobs; k++) {
        struct herd_job_info i;
        job_info(c->joblist[k], &i);
        fn(arg, &i);
    }
}

void herd_core_each_task(struct herd_core *c, uint64_t job_id,
                         void (*fn)(void *arg, const struct herd_task_info *t), void *arg)
{
    struct herd_job *j = herd_u64map_get(&c->jobs, job_id);
    if (j == NULL)
        return;
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
