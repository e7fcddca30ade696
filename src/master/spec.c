#include "master/spec.h"

#include <stdlib.h>

static void free_strv(char **v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void herd_job_spec_free(struct herd_job_spec *s)
{
    if (s == NULL)
        return;
    for (uint32_t i = 0; i < s->ntasks; i++) {
        struct herd_task_spec *t = &s->tasks[i];
        free(t->name);
        free_strv(t->argv, t->nargv);
        free_strv(t->env, t->nenv);
        free(t->deps);
        free(t->payload);
        free_strv(t->inputs, t->ninputs);
        free_strv(t->outputs, t->noutputs);
        free(t->plugin);
    }
    free(s->tasks);
    free(s->name);
    s->tasks = NULL;
    s->ntasks = 0;
    s->name = NULL;
}
