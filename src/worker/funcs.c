/* Design notes. A `struct call` is created on the loop thread, queued for the
 * pool, run by one pool thread, queued back, and finished on the loop thread
 * in on_async(). While in flight it is also in the `live` list (loop thread
 * only), so kill and timeout can find it; `reported` says its RESULT is
 * already out, and then the late completion only frees it. A call is freed
 * by whichever of (completion, timer close) comes last. */
#include "worker/funcs.h"

#include "base/log.h"
#include "base/mem.h"

#include <dlfcn.h>
#include <herd/task.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64
#define RESULT_MAX (HERD_MSG_MAX_BLOB - (64u << 10))

struct plugin {
    char sha[65];
    void *handle;
    const struct herd_task_plugin *p;
    struct plugin *next;
};

struct call {
    struct herd_funcs *f;
    struct call *next;             /* in a queue */
    struct call *lprev, *lnext;    /* in f->live (loop thread) */
    uint64_t attempt_id, job_id, task_id;
    herd_task_fn fn;
    uint8_t *payload;
    uint32_t payload_len;
    int rc;
    struct herd_task_out out;
    int reported;                  /* RESULT already sent (timeout, kill) */
    int completed;                 /* back from the pool */
    int timer_open;
    uv_timer_t timer;
};

struct queue {
    struct call *head, *tail;
};

struct herd_funcs {
    uv_loop_t *loop;
    char *cache_dir;
    herd_funcs_done_fn done;
    void *arg;
    struct plugin *plugins;
    pthread_t threads[MAX_THREADS];
    unsigned nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct queue todo, finished;   /* under mu */
    int stopping;                  /* under mu */
    uv_async_t async;
    struct call *live;
    size_t count;
};

static void push(struct queue *q, struct call *c)
{
    c->next = NULL;
    if (q->tail)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
}

static struct call *pop(struct queue *q)
{
    struct call *c = q->head;
    if (c) {
        q->head = c->next;
        if (q->head == NULL)
            q->tail = NULL;
    }
    return c;
}

static void *worker_main(void *arg)
{
    struct herd_funcs *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        struct call *c;
        while ((c = pop(&f->todo)) == NULL && !f->stopping)
            pthread_cond_wait(&f->cv, &f->mu);
        if (c == NULL)
            break;
        pthread_mutex_unlock(&f->mu);
        c->rc = c->fn(c->payload, c->payload_len, &c->out);
        pthread_mutex_lock(&f->mu);
        int was_empty = f->finished.head == NULL;
        push(&f->finished, c);
        if (was_empty)
            uv_async_send(&f->async);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void live_add(struct herd_funcs *f, struct call *c)
{
    c->lprev = NULL;
    c->lnext = f->live;
    if (f->live)
        f->live->lprev = c;
    f->live = c;
    f->count++;
}

static void live_del(struct herd_funcs *f, struct call *c)
{
    if (c->lprev)
        c->lprev->lnext = c->lnext;
    else
        f->live = c->lnext;
    if (c->lnext)
        c->lnext->lprev = c->lprev;
    f->count--;
}

static void free_call(struct call *c)
{
    free(c->payload);
    free(c->out.data);
    free(c);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct call *c = h->data;
    c->timer_open = 0;
    if (c->completed)
        free_call(c);
}

/* Sends the RESULT of c (once) and takes it out of the live list. */
static void report(struct call *c, uint8_t status, const char *error)
{
    struct herd_msg_result r = {.attempt_id = c->attempt_id,
                                .job_id = c->job_id,
                                .task_id = c->task_id,
                                .status = status,
                                .exit_code = status == HERD_RESULT_OK ? 0 : c->rc,
                                .error = (char *)error};
    if (status == HERD_RESULT_OK || status == HERD_RESULT_FAILED) {
        r.stdout_data = c->out.data;
        r.stdout_len = (uint32_t)c->out.len;
    }
    c->reported = 1;
    live_del(c->f, c);
    if (c->timer_open)
        uv_timer_stop(&c->timer);
    c->f->done(c->f->arg, &r);
}

static void complete(struct call *c)
{
    c->completed = 1;
    if (!c->reported) {
        c->out.error[sizeof c->out.error - 1] = '\0';
        if (c->out.len > RESULT_MAX) {
            c->rc = c->rc ? c->rc : 1;
            c->out.len = 0;
            report(c, HERD_RESULT_FAILED, "function result over 8 MiB - 64 KiB");
        } else {
            report(c, c->rc == 0 ? HERD_RESULT_OK : HERD_RESULT_FAILED, c->out.error);
        }
    }
    if (c->timer_open) {
        if (!uv_is_closing((uv_handle_t *)&c->timer))
            uv_close((uv_handle_t *)&c->timer, on_timer_closed);
    } else {
        free_call(c);
    }
}

static void on_async(uv_async_t *h)
{
    struct herd_funcs *f = h->data;
    pthread_mutex_lock(&f->mu);
    struct queue q = f->finished;
    f->finished.head = f->finished.tail = NULL;
    pthread_mutex_unlock(&f->mu);
    struct call *c;
    while ((c = pop(&q)) != NULL)
        complete(c);
}

int herd_funcs_create(uv_loop_t *loop, const char *cache_dir, unsigned nthreads,
                      herd_funcs_done_fn done, void *arg, struct herd_funcs **out,
                      struct herd_err *e)
{
    struct herd_funcs *f = herd_xcalloc(1, sizeof *f);
    f->loop = loop;
    f->cache_dir = herd_xstrdup(cache_dir);
    f->done = done;
    f->arg = arg;
    if (nthreads == 0)
        nthreads = (unsigned)uv_available_parallelism();
    f->nthreads = nthreads > MAX_THREADS ? MAX_THREADS : nthreads;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    uv_async_init(loop, &f->async, on_async);
    uv_unref((uv_handle_t *)&f->async); /* the daemon's own handles keep the loop alive */
    f->async.data = f;
    for (unsigned i = 0; i < f->nthreads; i++) {
        if (pthread_create(&f->threads[i], NULL, worker_main, f) != 0) {
            f->nthreads = i;
            herd_funcs_destroy(f);
            return herd_err_set(e, HERD_EIO, "function pool: cannot start thread %u", i);
        }
    }
    *out = f;
    return HERD_OK;
}

static void free_funcs(uv_handle_t *h)
{
    struct herd_funcs *f = h->data;
    free(f->cache_dir);
    free(f);
}

void herd_funcs_destroy(struct herd_funcs *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->mu);
    f->stopping = 1;
    struct call *c;
    while ((c = pop(&f->todo)) != NULL)
        push(&f->finished, c);
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    for (unsigned i = 0; i < f->nthreads; i++)
        pthread_join(f->threads[i], NULL);
    while ((c = pop(&f->finished)) != NULL) {
        if (c->timer_open)
            uv_close((uv_handle_t *)&c->timer, NULL);
        free_call(c); /* not reported: the worker is going away */
    }
    for (struct plugin *p = f->plugins, *n; p; p = n) {
        n = p->next;
        free(p); /* handles stay open: code may still be referenced */
    }
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    uv_close((uv_handle_t *)&f->async, free_funcs);
}

static int load_plugin(struct herd_funcs *f, const char *sha, struct plugin **out,
                       struct herd_err *e)
{
    for (struct plugin *p = f->plugins; p; p = p->next)
        if (strcmp(p->sha, sha) == 0)
            return *out = p, HERD_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", f->cache_dir, sha);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        return herd_err_set(e, HERD_EIO, "plugin %.12s: %s", sha, dlerror());
    const struct herd_task_plugin *(*get)(void) = NULL;
    *(void **)&get = dlsym(h, HERD_TASK_PLUGIN_SYMBOL);
    const struct herd_task_plugin *tp = get ? get() : NULL;
    if (tp == NULL || tp->api_version != HERD_TASK_API_VERSION) {
        dlclose(h);
        return herd_err_set(e, HERD_EINVAL, "plugin %.12s: no %s() of API version %u", sha,
                            HERD_TASK_PLUGIN_SYMBOL, HERD_TASK_API_VERSION);
    }
    struct plugin *p = herd_xcalloc(1, sizeof *p);
    snprintf(p->sha, sizeof p->sha, "%s", sha);
    p->handle = h;
    p->p = tp;
    p->next = f->plugins;
    f->plugins = p;
    herd_info("funcs", "loaded plugin %.12s: %u functions", sha, tp->ntasks);
    *out = p;
    return HERD_OK;
}

static herd_task_fn find_fn(const struct plugin *p, const char *name)
{
    for (uint32_t i = 0; i < p->p->ntasks; i++)
        if (p->p->tasks[i].name && strcmp(p->p->tasks[i].name, name) == 0)
            return p->p->tasks[i].fn;
    return NULL;
}

static void on_timeout(uv_timer_t *t)
{
    struct call *c = t->data;
    if (c->reported)
        return;
    herd_warn("funcs", "attempt %" PRIu64 " timed out (its thread runs on)", c->attempt_id);
    c->rc = -1;
    report(c, HERD_RESULT_TIMEOUT, "timed out; result will be dropped");
}

static struct call *new_call(struct herd_funcs *f, const struct herd_msg_assign *a,
                             herd_task_fn fn)
{
    struct call *c = herd_xcalloc(1, sizeof *c);
    c->f = f;
    c->attempt_id = a->attempt_id;
    c->job_id = a->job_id;
    c->task_id = a->task_id;
    c->fn = fn;
    if (a->payload_len) {
        c->payload = herd_xmalloc(a->payload_len);
        memcpy(c->payload, a->payload, a->payload_len);
        c->payload_len = a->payload_len;
    }
    if (a->timeout_ms) {
        uv_timer_init(f->loop, &c->timer);
        c->timer.data = c;
        c->timer_open = 1;
        uv_timer_start(&c->timer, on_timeout, a->timeout_ms, 0);
    }
    return c;
}

int herd_funcs_start(struct herd_funcs *f, const struct herd_msg_assign *a, struct herd_err *e)
{
    struct plugin *p;
    if (a->nargv == 0 || a->argv[0][0] == '\0')
        return herd_err_set(e, HERD_EINVAL, "function task without a function name");
    if (a->plugin == NULL || a->plugin[0] == '\0')
        return herd_err_set(e, HERD_EINVAL, "function %.100s: no plugin given", a->argv[0]);
    int rc = load_plugin(f, a->plugin, &p, e);
    if (rc != HERD_OK)
        return rc;
    herd_task_fn fn = find_fn(p, a->argv[0]);
    if (fn == NULL)
        return herd_err_set(e, HERD_EINVAL, "plugin %.12s has no function '%.100s'", a->plugin,
                            a->argv[0]);
    struct call *c = new_call(f, a, fn);
    live_add(f, c);
    pthread_mutex_lock(&f->mu);
    push(&f->todo, c);
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return HERD_OK;
}

void herd_funcs_kill(struct herd_funcs *f, uint64_t attempt_id)
{
    for (struct call *c = f->live; c; c = c->lnext) {
        if (c->attempt_id == attempt_id) {
            c->rc = -9;
            report(c, HERD_RESULT_KILLED, "killed; result will be dropped");
            return;
        }
    }
}

size_t herd_funcs_count(const struct herd_funcs *f)
{
    return f->count;
}
