/* pool — threads wait on a generation counter; each run bumps it, and the
 * caller waits until every thread has reported the same generation done. */
#include "graph/pool.h"

#include "base/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct herd_pool {
    uint32_t n;
    pthread_t *tids;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    uint64_t gen;
    uint32_t finished;
    int quit;
    herd_pool_fn fn;
    void *arg;
};

struct start {
    struct herd_pool *p;
    uint32_t t;
};

static void *worker(void *a)
{
    struct herd_pool *p = ((struct start *)a)->p;
    uint32_t t = ((struct start *)a)->t;
    free(a);
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->gen == seen && !p->quit)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit)
            break;
        seen = p->gen;
        herd_pool_fn fn = p->fn;
        void *arg = p->arg;
        pthread_mutex_unlock(&p->mu);
        fn(arg, t, p->n);
        pthread_mutex_lock(&p->mu);
        if (++p->finished == p->n - 1)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int herd_pool_create(uint32_t threads, struct herd_pool **out, struct herd_err *e)
{
    struct herd_pool *p = herd_xcalloc(1, sizeof *p);
    p->n = threads ? threads : 1;
    p->tids = herd_xcalloc(p->n, sizeof *p->tids);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    for (uint32_t t = 1; t < p->n; t++) {
        struct start *s = herd_xmalloc(sizeof *s);
        s->p = p;
        s->t = t;
        int rc = pthread_create(&p->tids[t], NULL, worker, s);
        if (rc != 0) {
            free(s);
            p->n = t; /* join only those started */
            herd_pool_destroy(p);
            return herd_err_set(e, HERD_EIO, "pool: start thread %u: %s", t, strerror(rc));
        }
    }
    *out = p;
    return HERD_OK;
}

void herd_pool_run(struct herd_pool *p, herd_pool_fn fn, void *arg)
{
    if (p->n > 1) {
        pthread_mutex_lock(&p->mu);
        p->fn = fn;
        p->arg = arg;
        p->finished = 0;
        p->gen++;
        pthread_cond_broadcast(&p->go);
        pthread_mutex_unlock(&p->mu);
    }
    fn(arg, 0, p->n);
    if (p->n > 1) {
        pthread_mutex_lock(&p->mu);
        while (p->finished < p->n - 1)
            pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

uint32_t herd_pool_size(const struct herd_pool *p)
{
    return p->n;
}

void herd_pool_destroy(struct herd_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (uint32_t t = 1; t < p->n; t++)
        pthread_join(p->tids[t], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    free(p->tids);
    free(p);
}

uint32_t herd_pool_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1;
}
