#include "master/sched.h"

#include "base/mem.h"

#include <assert.h>
#include <stdlib.h>

void herd_sched_init(struct herd_sched *s)
{
    herd_list_init(&s->levels);
    s->nready = 0;
    s->quantum = 1;
}

void herd_sched_set_quantum(struct herd_sched *s, uint32_t q)
{
    s->quantum = q ? q : 1;
}

static void free_level(struct herd_sched_level *l)
{
    herd_list_remove(&l->link);
    free(l);
}

void herd_sched_fini(struct herd_sched *s)
{
    struct herd_link *p, *tmp, *q, *qtmp;
    herd_list_each_safe(p, tmp, &s->levels)
    {
        struct herd_sched_level *l = herd_container_of(p, struct herd_sched_level, link);
        herd_list_each_safe(q, qtmp, &l->jobs)
        {
            struct herd_job *j = herd_container_of(q, struct herd_job, rlink);
            herd_list_remove(&j->rlink);
            j->level = NULL;
        }
        free_level(l);
    }
    s->nready = 0;
}

/* The level for priority p, created in order if absent. Levels are few
 * (distinct priorities in use), so a linear walk is fine. */
static struct herd_sched_level *level_for(struct herd_sched *s, int32_t p)
{
    struct herd_link *pos;
    herd_list_each(pos, &s->levels)
    {
        struct herd_sched_level *l = herd_container_of(pos, struct herd_sched_level, link);
        if (l->priority == p)
            return l;
        if (l->priority < p)
            break;
    }
    struct herd_sched_level *l = herd_xcalloc(1, sizeof *l);
    l->priority = p;
    herd_list_init(&l->jobs);
    herd_list_insert_before(pos, &l->link);
    return l;
}

static void link_job(struct herd_sched *s, struct herd_job *j)
{
    struct herd_sched_level *l = level_for(s, j->priority);
    herd_list_push_back(&l->jobs, &j->rlink);
    l->njobs++;
    j->level = l;
}

static void unlink_job(struct herd_job *j)
{
    struct herd_sched_level *l = j->level;
    if (l->jobs.next == &j->rlink)
        l->turn = 0; /* the head job leaves: the next one starts its turn */
    herd_list_remove(&j->rlink);
    j->level = NULL;
    if (--l->njobs == 0)
        free_level(l);
}

void herd_sched_push(struct herd_sched *s, struct herd_task *t)
{
    struct herd_job *j = t->job;
    assert(!herd_list_linked(&t->qlink));
    herd_list_push_back(&j->ready, &t->qlink);
    s->nready++;
    if (j->level == NULL)
        link_job(s, j);
}

void herd_sched_remove(struct herd_sched *s, struct herd_task *t)
{
    if (!herd_list_linked(&t->qlink))
        return;
    herd_list_remove(&t->qlink);
    s->nready--;
    if (herd_list_empty(&t->job->ready) && t->job->level != NULL)
        unlink_job(t->job);
}

/* Moves the job at the head of its ring to the back (its turn is over). */
static void rotate(struct herd_sched_level *l, struct herd_job *j)
{
    l->turn = 0;
    herd_list_remove(&j->rlink);
    herd_list_push_back(&l->jobs, &j->rlink);
}

/* Tries each job of level l once; see herd_sched_next. */
static struct herd_task *next_in_level(struct herd_sched *s, struct herd_sched_level *l,
                                       herd_sched_place_fn place, void *ctx,
                                       struct herd_worker **w)
{
    uint32_t n = l->njobs;
    for (uint32_t i = 0; i < n; i++) {
        struct herd_job *j = herd_container_of(l->jobs.next, struct herd_job, rlink);
        struct herd_task *t = herd_container_of(j->ready.next, struct herd_task, qlink);
        struct herd_worker *got = place(ctx, t);
        if (got == NULL || ++l->turn >= s->quantum)
            rotate(l, j);
        if (got != NULL) {
            herd_sched_remove(s, t); /* may free l when it was the last task */
            *w = got;
            return t;
        }
    }
    return NULL;
}

struct herd_task *herd_sched_next(struct herd_sched *s, herd_sched_place_fn place, void *ctx,
                                  struct herd_worker **w)
{
    struct herd_link *p, *tmp;
    herd_list_each_safe(p, tmp, &s->levels)
    {
        struct herd_sched_level *l = herd_container_of(p, struct herd_sched_level, link);
        struct herd_task *t = next_in_level(s, l, place, ctx, w);
        if (t != NULL)
            return t;
    }
    return NULL;
}
