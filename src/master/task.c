#include "master/task.h"

#include "base/err.h"
#include "base/log.h"
#include "master/job.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const names[HERD_TASK_NSTATES] = {
    "pending", "ready", "running", "backoff", "succeeded", "failed", "canceled", "dep_failed",
};

#define B(s) (1u << HERD_TASK_##s)
static const unsigned legal[HERD_TASK_NSTATES] = {
    [HERD_TASK_PENDING] = B(READY) | B(DEP_FAILED) | B(CANCELED),
    [HERD_TASK_READY] = B(RUNNING) | B(CANCELED),
    [HERD_TASK_RUNNING] = B(SUCCEEDED) | B(FAILED) | B(BACKOFF) | B(CANCELED),
    [HERD_TASK_BACKOFF] = B(READY) | B(CANCELED),
};
#undef B

const char *herd_task_state_name(enum herd_task_state s)
{
    return (unsigned)s < HERD_TASK_NSTATES ? names[s] : "?";
}

int herd_task_state_final(enum herd_task_state s)
{
    return s == HERD_TASK_SUCCEEDED || s == HERD_TASK_FAILED || s == HERD_TASK_CANCELED ||
           s == HERD_TASK_DEP_FAILED;
}

int herd_task_legal(enum herd_task_state from, enum herd_task_state to)
{
    if ((unsigned)from >= HERD_TASK_NSTATES || (unsigned)to >= HERD_TASK_NSTATES)
        return 0;
    return (legal[from] >> to) & 1u;
}

static void free_strv(char **v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Drops what is only needed to run the task again. */
static void drop_run_description(struct herd_task *t)
{
    free_strv(t->argv, t->nargv);
    free_strv(t->env, t->nenv);
    free(t->payload);
    free_strv(t->inputs, t->ninputs);
    free_strv(t->outputs, t->noutputs);
    free(t->plugin);
    t->argv = t->env = t->inputs = t->outputs = NULL;
    t->payload = NULL;
    t->plugin = NULL;
    t->nargv = t->nenv = t->payload_len = t->ninputs = t->noutputs = 0;
}

int herd_task_set_state(struct herd_task *t, enum herd_task_state to, const char *why,
                        struct herd_task_stats *st)
{
    char id[32];
    snprintf(id, sizeof id, "%" PRIu64, t->id);
    if (!herd_task_legal(t->state, to)) {
        herd_error("task", "task %s: illegal transition %s -> %s", id,
                   herd_task_state_name(t->state), herd_task_state_name(to));
        st->illegal++;
        return HERD_ESTATE;
    }
    herd_debug("task", "task %s: %s -> %s%s%s", id, names[t->state], names[to], why ? ": " : "",
               why ? why : "");
    herd_event("task", id, names[t->state], names[to], why);
    if (t->job != NULL) {
        t->job->count[t->state]--;
        t->job->count[to]++;
    }
    t->state = to;
    st->into[to]++;
    if (herd_task_state_final(to))
        drop_run_description(t);
    return HERD_OK;
}

void herd_task_fini(struct herd_task *t)
{
    drop_run_description(t);
    free(t->name);
    free(t->dependants);
    free(t->deps);
    free(t->last_worker);
    t->name = NULL;
    t->dependants = NULL;
    t->deps = NULL;
    t->last_worker = NULL;
}
