/* core_submit — accepting a job (validation, journal, queueing) and
 * canceling one. */
#include "base/log.h"
#include "base/mem.h"
#include "master/core_int.h"

#include <stdlib.h>
#include <string.h>

static int check_task(const struct herd_job_spec *s, uint32_t i, struct herd_err *e)
{
    const struct herd_task_spec *t = &s->tasks[i];
    if (t->kind != HERD_TASK_COMMAND && t->kind != HERD_TASK_FUNCTION)
        return herd_err_set(e, HERD_EINVAL, "task %u: unknown kind %u", i, t->kind);
    if (t->nargv == 0 || t->argv == NULL || t->argv[0] == NULL || t->argv[0][0] == '\0')
        return herd_err_set(e, HERD_EINVAL, "task %u: empty %s", i,
                            t->kind == HERD_TASK_COMMAND ? "command" : "function name");
    for (uint32_t d = 0; d < t->ndeps; d++) {
        if (t->deps[d] >= s->ntasks)
            return herd_err_set(e, HERD_EINVAL, "task %u: dependency %u out of range (%u tasks)",
                                i, t->deps[d], s->ntasks);
        if (t->deps[d] == i)
            return herd_err_set(e, HERD_EINVAL, "task %u depends on itself", i);
    }
    return HERD_OK;
}

/* Kahn's algorithm: HERD_EINVAL naming a task on a cycle. */
static int check_acyclic(const struct herd_job_spec *s, struct herd_err *e)
{
    uint32_t n = s->ntasks, head = 0, tail = 0;
    uint32_t *indeg = calloc(n, sizeof *indeg), *queue = calloc(n, sizeof *queue);
    uint32_t *first = calloc((size_t)n + 1, sizeof *first), *adj = NULL;
    size_t nedges = 0;
    int rc = HERD_OK;
    if (indeg == NULL || queue == NULL || first == NULL)
        goto nomem;
    for (uint32_t i = 0; i < n; i++)
        nedges += s->tasks[i].ndeps;
    adj = calloc(nedges ? nedges : 1, sizeof *adj);
    if (adj == NULL)
        goto nomem;
    /* CSR of dep -> dependant edges */
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t d = 0; d < s->tasks[i].ndeps; d++)
            first[s->tasks[i].deps[d] + 1]++;
    for (uint32_t i = 0; i < n; i++)
        first[i + 1] += first[i];
    memcpy(queue, first, n * sizeof *queue); /* queue doubles as fill cursor */
    for (uint32_t i = 0; i < n; i++) {
        indeg[i] = s->tasks[i].ndeps;
        for (uint32_t d = 0; d < s->tasks[i].ndeps; d++)
            adj[queue[s->tasks[i].deps[d]]++] = i;
    }
    for (uint32_t i = 0; i < n; i++)
        if (indeg[i] == 0)
            queue[tail++] = i;
    while (head < tail) {
        uint32_t v = queue[head++];
        for (uint32_t k = first[v]; k < first[v + 1]; k++)
            if (--indeg[adj[k]] == 0)
                queue[tail++] = adj[k];
    }
    if (tail < n) {
        uint32_t bad = 0;
        while (indeg[bad] == 0)
            bad++;
        rc = herd_err_set(e, HERD_EINVAL, "dependency cycle through task %u", bad);
    }
    goto out;
nomem:
    rc = herd_err_set(e, HERD_ENOMEM, "dependency check of %u tasks", n);
out:
    free(indeg);
    free(queue);
    free(first);
    free(adj);
    return rc;
}

static int validate(const struct herd_job_spec *s, struct herd_err *e)
{
    if (s == NULL || s->ntasks == 0 || s->tasks == NULL)
        return herd_err_set(e, HERD_EINVAL, "job has no tasks");
    for (uint32_t i = 0; i < s->ntasks; i++) {
        int rc = check_task(s, i, e);
        if (rc != HERD_OK)
            return rc;
    }
    return check_acyclic(s, e);
}

static char **copy_strv(char *const *v, uint32_t n)
{
    if (n == 0)
        return NULL;
    char **out = herd_xcalloc(n, sizeof *out);
    for (uint32_t i = 0; i < n; i++)
        out[i] = herd_xstrdup(v[i] ? v[i] : "");
    return out;
}

static void fill_task(struct herd_task *t, uint64_t id, const struct herd_task_spec *s)
{
    t->id = id;
    t->name = s->name ? herd_xstrdup(s->name) : NULL;
    t->kind = s->kind;
    t->cores = s->cores ? s->cores : 1;
    t->memory = s->memory;
    t->timeout_ms = s->timeout_ms;
    t->nargv = s->nargv;
    t->argv = copy_strv(s->argv, s->nargv);
    t->nenv = s->nenv;
    t->env = copy_strv(s->env, s->nenv);
    t->payload_len = s->payload_len;
    if (s->payload_len > 0) {
        t->payload = herd_xmalloc(s->payload_len);
        memcpy(t->payload, s->payload, s->payload_len);
    }
    t->ninputs = s->ninputs;
    t->inputs = copy_strv(s->inputs, s->ninputs);
    t->noutputs = s->noutputs;
    t->outputs = copy_strv(s->outputs, s->noutputs);
    t->plugin = s->plugin ? herd_xstrdup(s->plugin) : NULL;
    t->ndeps = s->ndeps;
    if (s->ndeps > 0) {
        t->deps = herd_xcalloc(s->ndeps, sizeof *t->deps);
        memcpy(t->deps, s->deps, s->ndeps * sizeof *t->deps);
    }
}

int herd_core_submit(struct herd_core *c, const struct herd_job_spec *spec, uint64_t *job_id,
                     struct herd_err *e)
{
    int rc = validate(spec, e);
    if (rc != HERD_OK)
        return rc;
    uint64_t queued = herd_core_queued(c);
    if (queued + spec->ntasks > c->cfg.max_queued)
        return herd_err_set(e, HERD_EFULL, "queue full: %llu tasks unfinished, limit %llu",
                            (unsigned long long)queued, (unsigned long long)c->cfg.max_queued);
    uint64_t *ids = malloc(spec->ntasks * sizeof *ids), id = 0;
    if (ids == NULL)
        return herd_err_set(e, HERD_ENOMEM, "job of %u tasks", spec->ntasks);
    uint64_t wall = herd_wall_ms();
    herd_core__flush(c); /* the job's transaction holds the job alone */
    rc = herd_journal_add_job(c->journal, spec, wall, &id, ids, e);
    if (rc == HERD_OK)
        rc = herd_journal_commit(c->journal, e);
    if (rc != HERD_OK) {
        free(ids);
        return herd_err_wrap(e, "submit");
    }
    struct herd_job *j =
        herd_job_create(id, spec->name, spec->priority, spec->max_retries, spec->ntasks);
    j->submitted_ms = wall;
    j->retry_on = spec->retry_on ? spec->retry_on : HERD_RETRY_ALL;
    for (uint32_t i = 0; i < spec->ntasks; i++)
        fill_task(&j->tasks[i], ids[i], &spec->tasks[i]);
    free(ids);
    herd_core__link_deps(j);
    herd_core__add_job(c, j);
    c->tasks_added += j->ntasks;
    herd_info("master", "job %llu submitted: %u tasks, priority %d", (unsigned long long)id,
              j->ntasks, j->priority);
    for (uint32_t i = 0; i < j->ntasks; i++)
        if (j->tasks[i].ndeps_left == 0)
            herd_core__make_ready(c, &j->tasks[i], "submitted");
    herd_core__dispatch(c);
    herd_core__flush(c);
    *job_id = id;
    return HERD_OK;
}

int herd_core_cancel(struct herd_core *c, uint64_t job_id, struct herd_err *e)
{
    struct herd_job *j = herd_u64map_get(&c->jobs, job_id);
    struct herd_job_info ji;
    if (j == NULL && herd_core_job_info(c, job_id, &ji) == HERD_OK)
        return HERD_OK; /* finished and evicted from memory */
    if (j == NULL)
        return herd_err_set(e, HERD_ENOTFOUND, "job %llu not found", (unsigned long long)job_id);
    if (j->state != HERD_JOB_RUNNING)
        return HERD_OK;
    for (uint32_t i = 0; i < j->ntasks; i++)
        if (!herd_task_state_final(j->tasks[i].state))
            herd_core__task_cancel(c, &j->tasks[i]);
    if (j->state == HERD_JOB_RUNNING) {
        herd_job_set_state(j, HERD_JOB_CANCELED, "canceled by request", &c->jst);
        j->finished_ms = herd_wall_ms();
        struct herd_err je;
        herd_core__journal_err(
            c, herd_journal_job_state(c->journal, j->id, "canceled", j->finished_ms, &je), &je);
        herd_core__job_final(c, j);
    }
    herd_info("master", "job %llu canceled", (unsigned long long)job_id);
    herd_core__dispatch(c);
    herd_core__flush(c);
    return HERD_OK;
}
