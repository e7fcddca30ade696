#include "master/job.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const names[HERD_JOB_NSTATES] = {"running", "succeeded", "failed", "canceled"};

#define B(s) (1u << HERD_JOB_##s)
static const unsigned legal[HERD_JOB_NSTATES] = {
    [HERD_JOB_RUNNING] = B(SUCCEEDED) | B(FAILED) | B(CANCELED),
};
#undef B

const char *herd_job_state_name(enum herd_job_state s)
{
    return (unsigned)s < HERD_JOB_NSTATES ? names[s] : "?";
}

int herd_job_legal(enum herd_job_state from, enum herd_job_state to)
{
    if ((unsigned)from >= HERD_JOB_NSTATES || (unsigned)to >= HERD_JOB_NSTATES)
        return 0;
    return (legal[from] >> to) & 1u;
}

struct herd_job *herd_job_create(uint64_t id, const char *name, int32_t priority,
                                 uint32_t max_retries, uint32_t ntasks)
{
    struct herd_job *j = herd_xcalloc(1, sizeof *j);
    j->id = id;
    j->name = herd_xstrdup(name ? name : "");
    j->priority = priority;
    j->max_retries = max_retries;
    j->state = HERD_JOB_RUNNING;
    j->ntasks = ntasks;
    j->tasks = herd_xcalloc(ntasks ? ntasks : 1, sizeof *j->tasks);
    for (uint32_t i = 0; i < ntasks; i++) {
        j->tasks[i].job = j;
        j->tasks[i].index = i;
        j->tasks[i].state = HERD_TASK_PENDING;
        herd_list_init(&j->tasks[i].qlink);
    }
    j->count[HERD_TASK_PENDING] = ntasks;
    herd_list_init(&j->ready);
    herd_list_init(&j->rlink);
    return j;
}

void herd_job_destroy(struct herd_job *j)
{
    if (j == NULL)
        return;
    for (uint32_t i = 0; i < j->ntasks; i++)
        herd_task_fini(&j->tasks[i]);
    free(j->tasks);
    free(j->name);
    free(j);
}

int herd_job_all_final(const struct herd_job *j)
{
    uint32_t n = j->count[HERD_TASK_SUCCEEDED] + j->count[HERD_TASK_FAILED] +
                 j->count[HERD_TASK_CANCELED] + j->count[HERD_TASK_DEP_FAILED];
    return n == j->ntasks;
}

enum herd_job_state herd_job_outcome(const struct herd_job *j)
{
    return j->count[HERD_TASK_SUCCEEDED] == j->ntasks ? HERD_JOB_SUCCEEDED : HERD_JOB_FAILED;
}

int herd_job_set_state(struct herd_job *j, enum herd_job_state to, const char *why,
                       struct herd_job_stats *st)
{
    char id[32];
    snprintf(id, sizeof id, "%" PRIu64, j->id);
    if (!herd_job_legal(j->state, to)) {
        herd_error("job", "job %s: illegal transition %s -> %s", id, herd_job_state_name(j->state),
                   herd_job_state_name(to));
        st->illegal++;
        return HERD_ESTATE;
    }
    herd_debug("job", "job %s: %s -> %s%s%s", id, names[j->state], names[to], why ? ": " : "",
              why ? why : "");
    herd_event("job", id, names[j->state], names[to], why);
    j->state = to;
    st->into[to]++;
    return HERD_OK;
}
