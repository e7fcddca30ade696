/* gpart — the worker's graph thread: queue, set-up (graph, program,
 * partitions, data plane), supersteps and output. See gpart.h. */
#include "worker/gpart_int.h"

#include "worker/gshm.h"

#include "base/log.h"
#include "base/mem.h"
#include "graph/algo/algo.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- queues ---- */

static void push(struct qent **head, struct qent **tail, struct qent *q)
{
    q->next = NULL;
    if (*tail)
        (*tail)->next = q;
    else
        *head = q;
    *tail = q;
}

static struct qent *pop(struct qent **head, struct qent **tail)
{
    struct qent *q = *head;
    if (q) {
        *head = q->next;
        if (*head == NULL)
            *tail = NULL;
    }
    return q;
}

static void reply(struct herd_gpart *g, uint64_t job, uint32_t epoch, const struct herd_gmsg *gm)
{
    struct qent *q = herd_xcalloc(1, sizeof *q);
    herd_gmsg_wrap(gm, job, epoch, &q->m);
    pthread_mutex_lock(&g->mu);
    push(&g->out_head, &g->out_tail, q);
    pthread_mutex_unlock(&g->mu);
    uv_async_send(&g->async);
}

static void on_async(uv_async_t *a)
{
    struct herd_gpart *g = a->data;
    for (;;) {
        pthread_mutex_lock(&g->mu);
        struct qent *q = pop(&g->out_head, &g->out_tail);
        pthread_mutex_unlock(&g->mu);
        if (q == NULL)
            break;
        g->send(g->ctx, &q->m);
        herd_msg_free(&q->m);
        free(q);
    }
    herd_gpart__ship_async(g);
}

/* ---- one epoch of a job ---- */

static void run_free(struct herd_gpart *g, struct gjobrun *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&g->mu);
    if (g->live == r->dp)
        g->live = NULL;
    pthread_mutex_unlock(&g->mu);
    if (r->dp)
        herd_dp_abort(r->dp);
    herd_gpart__ship_trim(g); /* the run's checkpoint buffers */
    /* the session first: its receiver threads write peers' VECTOR frames
     * into the engine's arrays (the last step's may still arrive after
     * WRITE), so they must be joined before the engine goes */
    herd_dp_session_destroy(r->dp);
    herd_groute_rx_destroy(r->route); /* after the session: its receivers file into it */
    herd_engine_destroy(r->en);
    herd_gshm_close(r->shm);
    if (r->dl)
        dlclose(r->dl);
    if (r->plugin_path)
        unlink(r->plugin_path);
    free(r->plugin_path);
    free(r->owner);
    free(r->ckpt_dir);
    free(r->arg);
    free(r->exch_prev);
    free(r->stats);
    free(r);
}

static int load_plugin(struct herd_gpart *g, struct gjobrun *r, const struct herd_gsetup *s,
                       struct herd_err *e)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/plugin-%" PRIu64 "-%u.so", g->work_dir, r->job, r->epoch);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(s->plugin, 1, s->plugin_len, f) != s->plugin_len) {
        if (f)
            fclose(f);
        return herd_err_set(e, HERD_EIO, "write plugin %s: %s", path, strerror(errno));
    }
    fclose(f);
    r->plugin_path = herd_xstrdup(path);
    r->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (r->dl == NULL)
        return herd_err_set(e, HERD_EINVAL, "plugin: %s", dlerror());
    herd_plugin_fn fn;
    void *sym = dlsym(r->dl, HERD_PLUGIN_SYMBOL);
    memcpy(&fn, &sym, sizeof fn);
    r->prog = fn ? fn() : NULL;
    if (r->prog == NULL)
        return herd_err_set(e, HERD_EINVAL, "plugin: no %s() or it returned NULL",
                            HERD_PLUGIN_SYMBOL);
    return HERD_OK;
}

static int find_program(struct herd_gpart *g, struct gjobrun *r, const struct herd_gsetup *s,
                        struct herd_err *e)
{
    if (s->plugin_len > 0)
        return load_plugin(g, r, s, e);
    const struct herd_algo *a = herd_algo_find(s->algo);
    if (a == NULL)
        return herd_err_set(e, HERD_EINVAL, "unknown algorithm '%s'", s->algo);
    r->prog = a->program();
    return HERD_OK;
}

/* Pull path with co-located peers (gshm.h): the engine's arrays go into the
 * mapping they share. Any failure leaves the engine's own arrays: the
 * peers then see this worker missing and everyone ships vectors. */
static void share_pull(struct gjobrun *r)
{
    const char *dir = getenv("HERD_PULL_SHM_DIR");
    r->shared = -1;
    if (dir == NULL || dir[0] == '\0' || r->nworkers < 2)
        return;
    size_t bytes = herd_engine_dist_pull_bytes(herd_engine_dist_nvertices(r->en));
    struct herd_err e;
    int rc = herd_gshm_open(dir, r->job, r->epoch, r->me, r->nworkers, bytes, &r->shm, &e);
    if (rc == HERD_OK && (rc = herd_engine_dist_share_pull(r->en, herd_gshm_mem(r->shm), bytes,
                                                           &e)) != HERD_OK) {
        herd_gshm_close(r->shm); /* never marked present */
        r->shm = NULL;
    }
    if (rc == HERD_OK)
        herd_gshm_join(r->shm);
    else
        herd_warn("gpart", "job %" PRIu64 ": pull arrays not shared: %s", r->job, e.msg);
}

static int make_engine(struct herd_gpart *g, struct gjobrun *r, const struct herd_gsetup *s,
                       struct herd_err *e)
{
    const struct herd_graph *gr = g->cache.g;
    r->params = (struct herd_vparams){.has_source = s->has_source, .source_id = s->source,
                                      .iterations = s->iterations, .damping = s->damping,
                                      .seed = s->seed, .arg = r->arg[0] ? r->arg : NULL};
    if (s->has_source && herd_gpart__lookup(&g->cache, s->source, &r->params.source) != HERD_OK)
        return herd_err_set(e, HERD_EINVAL, "--source %" PRIu64 " is not a vertex of %s",
                            s->source, s->graph);
    uint8_t *owned = herd_xcalloc(s->nparts, 1);
    for (uint32_t p = 0; p < s->nparts; p++)
        owned[p] = s->owner[p] == s->me;
    char name[64];
    snprintf(name, sizeof name, "job-%" PRIu64, r->job);
    int rc = herd_engine_dist_create(gr, r->prog, &r->params, r->threads, s->nparts,
                                     g->cache.bounds, owned, !s->no_fast_path, herd_dp_exchange(r->dp), name, &r->en, e);
    free(owned);
    if (rc != HERD_OK)
        return rc;
    r->pull = herd_engine_dist_pulls(r->en);
    if (r->pull)
        share_pull(r);
    if (r->pull) {
        double *contrib[2];
        uint8_t *emitted[2];
        herd_engine_dist_pull_arrays(r->en, contrib, emitted);
        herd_dp_set_pull(r->dp, contrib, emitted, herd_engine_dist_bounds(r->en));
    }
    r->restored_at = s->restore;
    if (s->restore == 0)
        return herd_engine_dist_init(r->en, e);
    double t0 = now_ms();
    rc = r->ckpt_dir[0] ? herd_gpart__restore(r, r->ckpt_dir, s->restore, e)
                        : herd_gpart__restore_net(g, r, s->restore, e);
    if (rc == HERD_OK)
        herd_info("gpart", "job %" PRIu64 " epoch %u: checkpoint %" PRIu64 " restored (%s) in "
                  "%.0f ms", r->job, r->epoch, s->restore,
                  r->ckpt_dir[0] ? "shared path" : "from the master", now_ms() - t0);
    return rc;
}

/* A job whose input is routed between workers connects its data plane at
 * SETUP, from SETUP's peer list; every other job at its first STEP. */
static int connect_early(struct gjobrun *r, const struct herd_gsetup *s, struct herd_err *e)
{
    if (!herd_gpart__routes(s))
        return HERD_OK;
    int rc = herd_gpart__route_begin(r, s, e);
    rc = rc ? rc : herd_dp_connect(r->dp, s->peers, e);
    r->connected = rc == HERD_OK;
    if (rc == HERD_OK)
        herd_info("gpart", "job %" PRIu64 " epoch %u: data plane connected at set-up", r->job,
                  r->epoch);
    return rc;
}

static int setup_run(struct herd_gpart *g, struct gjobrun *r, const struct herd_gsetup *s,
                     struct herd_err *e)
{
    r->nparts = s->nparts;
    r->me = s->me;
    r->nworkers = s->nworkers;
    /* the job's threads (herd run gives each local worker its share of the
     * cores, so workers on one machine do not oversubscribe it) */
    r->threads = s->threads && (g->threads == 0 || s->threads < g->threads) ? s->threads
                                                                            : g->threads;
    r->owner = herd_xmalloc((size_t)s->nparts * sizeof *r->owner);
    memcpy(r->owner, s->owner, (size_t)s->nparts * sizeof *r->owner);
    r->ckpt_dir = herd_xstrdup(s->ckpt_dir);
    r->arg = herd_xstrdup(s->arg);
    r->exch_prev = herd_xcalloc(s->nparts, sizeof *r->exch_prev);
    r->stats = herd_xcalloc(s->nparts, sizeof *r->stats);
    int rc = find_program(g, r, s, e);
    if (rc == HERD_OK) {
        /* the session before loading: a routed load exchanges edges over it */
        r->dp = herd_dp_session_create(g->dp, r->job, r->epoch, s->me, s->nworkers, s->nparts,
                                       s->owner, r->prog->msg_size);
        pthread_mutex_lock(&g->mu); /* an ABORT now also unblocks a routed load */
        g->live = r->dp;
        g->live_job = r->job;
        g->live_epoch = r->epoch;
        pthread_mutex_unlock(&g->mu);
        rc = connect_early(r, s, e);
    }
    if (rc == HERD_OK)
        rc = herd_gpart__graph(g, r, s, e);
    if (rc == HERD_OK)
        rc = make_engine(g, r, s, e);
    return rc;
}

static void on_setup(struct herd_gpart *g, const struct herd_msg_graph *m,
                     const struct herd_gsetup *s)
{
    struct herd_err e;
    herd_err_clear(&e);
    run_free(g, g->run);
    g->run = NULL;
    struct gjobrun *r = herd_xcalloc(1, sizeof *r);
    r->job = m->job_id;
    r->epoch = m->epoch;
    double t0 = now_ms();
    herd_info("gpart", "job %" PRIu64 " epoch %u: set up (%s, %u partitions, worker %u of %u%s)",
              r->job, r->epoch, s->plugin_len ? "plugin" : s->algo, s->nparts, s->me,
              s->nworkers, s->restore ? ", from a checkpoint" : "");
    int rc = setup_run(g, r, s, &e);
    if (rc == HERD_ECLOSED && r->route) {
        /* a routed load lost a peer: the peer's own error, its loss (by
         * heartbeats) or the load timeout tells the master, not this */
        herd_warn("gpart", "job %" PRIu64 " epoch %u: %s; waiting for the master", r->job,
                  r->epoch, e.msg);
        run_free(g, r);
        return;
    }
    struct herd_gmsg gm = {.op = HERD_GOP_READY};
    struct herd_gready *rd = &gm.u.ready;
    rd->ok = rc == HERD_OK;
    rd->error = rc == HERD_OK ? "" : e.msg;
    rd->dp_addr = (char *)herd_dp_addr(g->dp);
    if (rc == HERD_OK) {
        rd->n = g->cache.g->n;
        rd->m = g->cache.g->partial ? g->cache.g->m_whole : g->cache.g->m;
        rd->max_steps = herd_engine_dist_max_steps(r->en);
        rd->pull = (uint8_t)r->pull;
        rd->naggs = herd_engine_dist_naggs(r->en);
        for (uint32_t i = 0; i < rd->naggs; i++)
            herd_engine_dist_agg_kind(r->en, i, &rd->agg_op[i], &rd->agg_type[i]);
        g->run = r;
    } else {
        herd_warn("gpart", "job %" PRIu64 ": %s", r->job, e.msg);
        run_free(g, r);
    }
    rd->load_ms = now_ms() - t0;
    reply(g, m->job_id, m->epoch, &gm);
}

/* ---- supersteps ---- */

static void fill_report(struct gjobrun *r, struct herd_greport *rep)
{
    rep->naggs = herd_engine_dist_naggs(r->en);
    rep->parts = herd_xcalloc(r->nparts, sizeof *rep->parts);
    for (uint32_t p = 0; p < r->nparts; p++) {
        if (r->owner[p] != r->me)
            continue;
        const struct herd_dist_part_stats *st = &r->stats[p];
        struct herd_gpart_report *pr = &rep->parts[rep->nparts++];
        pr->part = p;
        pr->computed = st->computed;
        pr->active = st->active;
        pr->sent = st->sent;
        pr->exchanged = st->exchanged - r->exch_prev[p];
        r->exch_prev[p] = st->exchanged;
        memcpy(pr->aggs, st->agg, sizeof pr->aggs);
    }
}

/* Pull path: the owned partitions' contributions of `step` to every peer,
 * then the end marker. */
static int send_vectors(struct gjobrun *r, uint64_t step, struct herd_err *e)
{
    if (r->shared < 0) { /* once, at the first step: everyone mapped at SETUP */
        r->shared = r->shm && herd_gshm_everyone(r->shm);
        if (r->shm) /* everyone who maps has mapped: the name can go */
            herd_gshm_unlink(r->shm);
        if (r->shared)
            herd_info("gpart", "job %" PRIu64 " epoch %u: pull arrays shared by the %u "
                      "workers: no VECTOR frames", r->job, r->epoch, r->nworkers);
    }
    uint32_t mine = 0;
    for (uint32_t p = 0; p < r->nparts; p++)
        if (r->owner[p] == r->me &&
            (++mine, !r->shared && herd_dp_send_vector(r->dp, p, step) != HERD_OK))
            return herd_err_set(e, HERD_ECLOSED, "send contributions: a peer was lost");
    /* a worker without partitions sends no marker: peers count one per
     * worker that owns partitions, and an extra one would let a peer start
     * the next step before the real vectors are in */
    if (mine > 0 && herd_dp_end_all(r->dp, step) != HERD_OK)
        return herd_err_set(e, HERD_ECLOSED, "send end of step: a peer was lost");
    return HERD_OK;
}

static int do_step(struct herd_gpart *g, struct gjobrun *r, const struct herd_gstep *s,
                   struct herd_greport *rep, struct herd_err *e)
{
    int rc = HERD_OK;
    if (!r->connected && s->npeers == r->nworkers) {
        rc = herd_dp_connect(r->dp, s->peers, e);
        r->connected = rc == HERD_OK;
    }
    if (rc == HERD_OK && !r->connected && r->nworkers > 1)
        rc = herd_err_set(e, HERD_EPROTO, "superstep before the peer list");
    if (rc == HERD_OK && r->pull && s->step > 0 && s->step != r->restored_at) {
        /* every other worker's contributions of the previous step */
        if (herd_dp_wait_step(r->dp, s->step - 1) != HERD_OK)
            rc = herd_err_set(e, HERD_ECLOSED, "a peer was lost");
        else
            herd_engine_dist_count_emitters(r->en, s->step - 1);
    }
    double t0 = now_ms();
    if (rc == HERD_OK && s->checkpoint && s->step > 0) {
        rc = r->ckpt_dir[0] ? herd_gpart__save(r, r->ckpt_dir, s->step, e)
                            : herd_gpart__save_net(g, r, s->step, e);
        rep->saved = rc == HERD_OK;
    }
    double t1 = now_ms();
    rep->ckpt_ms = t1 - t0;
    int stop = 0;
    if (rc == HERD_OK && s->step > 0)
        rc = herd_engine_dist_hook(r->en, s->step - 1, s->aggs, &stop, e);
    if (rc == HERD_OK && stop) {
        rep->status = HERD_GREP_STOPPED;
        return HERD_OK;
    }
    if (rc == HERD_OK)
        rc = herd_engine_dist_step(r->en, s->step, r->stats, e);
    if (rc == HERD_OK && r->pull)
        rc = send_vectors(r, s->step, e);
    rep->compute_ms = now_ms() - t1;
    if (rc == HERD_OK)
        fill_report(r, rep);
    return rc;
}

static void on_step(struct herd_gpart *g, const struct herd_msg_graph *m,
                    const struct herd_gstep *s)
{
    struct gjobrun *r = g->run;
    if (r == NULL || r->job != m->job_id || r->epoch != m->epoch)
        return; /* a stale epoch: the master ignores our silence */
    struct herd_err e;
    herd_err_clear(&e);
    struct herd_gmsg gm = {.op = HERD_GOP_REPORT};
    struct herd_greport *rep = &gm.u.report;
    rep->step = s->step;
    uint64_t b0 = herd_dp_bytes_sent(r->dp);
    if (do_step(g, r, s, rep, &e) != HERD_OK) {
        rep->status = HERD_GREP_ERROR;
        rep->error = e.msg;
        herd_warn("gpart", "job %" PRIu64 " epoch %u step %" PRIu64 ": %s", r->job, r->epoch,
                  s->step, e.msg);
    }
    rep->bytes = herd_dp_bytes_sent(r->dp) - b0;
    reply(g, m->job_id, m->epoch, &gm);
    free(rep->parts);
}

/* ---- output ---- */

static int write_parts(struct gjobrun *r, const char *dir, struct herd_err *e)
{
    mkdir(dir, 0777); /* the client usually made it */
    for (uint32_t p = 0; p < r->nparts; p++) {
        if (r->owner[p] != r->me)
            continue;
        char path[4096], tmp[4200];
        herd_gmsg_part_path(path, sizeof path, dir, p);
        snprintf(tmp, sizeof tmp, "%s.tmp-%u", path, r->epoch);
        FILE *f = fopen(tmp, "w");
        if (f == NULL)
            return herd_err_set(e, HERD_EIO, "%s: %s", tmp, strerror(errno));
        int rc = herd_engine_dist_write_part(r->en, p, f, e);
        if (fclose(f) != 0 && rc == HERD_OK)
            rc = herd_err_set(e, HERD_EIO, "%s: close failed", tmp);
        if (rc == HERD_OK && rename(tmp, path) != 0)
            rc = herd_err_set(e, HERD_EIO, "rename %s: %s", path, strerror(errno));
        if (rc != HERD_OK)
            return rc;
    }
    return HERD_OK;
}

static void on_write(struct herd_gpart *g, const struct herd_msg_graph *m, const char *dir)
{
    struct gjobrun *r = g->run;
    if (r == NULL || r->job != m->job_id || r->epoch != m->epoch)
        return;
    struct herd_err e;
    herd_err_clear(&e);
    double t0 = now_ms();
    int rc = write_parts(r, dir, &e);
    struct herd_gmsg gm = {.op = HERD_GOP_DONE};
    gm.u.done.ok = rc == HERD_OK;
    gm.u.done.error = rc == HERD_OK ? "" : e.msg;
    gm.u.done.write_ms = now_ms() - t0;
    reply(g, m->job_id, m->epoch, &gm);
    herd_info("gpart", "job %" PRIu64 ": results written (%s)", r->job,
              rc == HERD_OK ? "ok" : e.msg);
    run_free(g, r); /* the job is over on this worker */
    g->run = NULL;
}

/* ---- the thread ---- */

static void handle(struct herd_gpart *g, const struct herd_msg_graph *m)
{
    struct herd_gmsg gm;
    struct herd_err e;
    if (herd_gmsg_decode(m->op, m->body, m->body_len, &gm, &e) != HERD_OK) {
        herd_warn("gpart", "job %" PRIu64 ": %s", m->job_id, e.msg);
        return;
    }
    switch (gm.op) {
    case HERD_GOP_SETUP: on_setup(g, m, &gm.u.setup); break;
    case HERD_GOP_STEP: on_step(g, m, &gm.u.step); break;
    case HERD_GOP_WRITE: on_write(g, m, gm.u.write.dir); break;
    case HERD_GOP_ABORT:
        if (g->run && g->run->job == m->job_id && g->run->epoch <= m->epoch) {
            herd_info("gpart", "job %" PRIu64 " epoch %u: aborted", m->job_id, g->run->epoch);
            run_free(g, g->run);
            g->run = NULL;
        }
        break;
    default:
        herd_warn("gpart", "job %" PRIu64 ": unexpected %s", m->job_id, herd_gop_name(gm.op));
    }
    herd_gmsg_free(&gm);
}

static void *thread_main(void *arg)
{
    struct herd_gpart *g = arg;
    for (;;) {
        pthread_mutex_lock(&g->mu);
        while (g->in_head == NULL && !g->stop)
            pthread_cond_wait(&g->cv, &g->mu);
        struct qent *q = g->stop ? NULL : pop(&g->in_head, &g->in_tail);
        pthread_mutex_unlock(&g->mu);
        if (q == NULL)
            break;
        handle(g, &q->m.u.graph);
        herd_msg_free(&q->m);
        free(q);
    }
    run_free(g, g->run);
    g->run = NULL;
    return NULL;
}

int herd_gpart_create(uv_loop_t *loop, struct herd_dp *dp, uint32_t threads,
                      const char *work_dir, void (*send)(void *ctx, const struct herd_msg *m),
                      void *ctx, struct herd_gpart **out, struct herd_err *e)
{
    struct herd_gpart *g = herd_xcalloc(1, sizeof *g);
    g->loop = loop;
    g->dp = dp;
    g->threads = threads;
    g->work_dir = herd_xstrdup(work_dir);
    g->send = send;
    g->ctx = ctx;
    mkdir(work_dir, 0700);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    uv_async_init(loop, &g->async, on_async);
    g->async.data = g;
    uv_unref((uv_handle_t *)&g->async); /* never keeps a draining worker alive */
    herd_gpart__ship_create(g);
    if (pthread_create(&g->th, NULL, thread_main, g) != 0) {
        uv_close((uv_handle_t *)&g->async, NULL);
        return herd_err_set(e, HERD_EIO, "graph thread: cannot start");
    }
    *out = g;
    return HERD_OK;
}

void herd_gpart_set_queued(struct herd_gpart *g, size_t (*queued)(void *ctx))
{
    g->queued = queued;
}

void herd_gpart_set_send_tail(struct herd_gpart *g, herd_gpart_send_tail_fn fn)
{
    g->send_tail = fn;
}

void herd_gpart_msg(struct herd_gpart *g, const struct herd_msg_graph *m)
{
    if (herd_gpart__ship_msg(g, m))
        return; /* a checkpoint chunk for a fetch (ckpt_ship.c) */
    struct qent *q = herd_xcalloc(1, sizeof *q);
    struct herd_msg src = {.type = HERD_MSG_GRAPH};
    src.u.graph = *m;
    herd_msg_copy(&q->m, &src);
    pthread_mutex_lock(&g->mu);
    if (m->op == HERD_GOP_ABORT && g->live && g->live_job == m->job_id &&
        m->epoch >= g->live_epoch) /* not a late ABORT of an earlier epoch */
        herd_dp_abort(g->live); /* unblocks a superstep waiting on a lost peer */
    push(&g->in_head, &g->in_tail, q);
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void free_queue(struct qent *q)
{
    while (q) {
        struct qent *next = q->next;
        herd_msg_free(&q->m);
        free(q);
        q = next;
    }
}

static void close_cb(uv_handle_t *h)
{
    free(h->data);
}

void herd_gpart_destroy(struct herd_gpart *g)
{
    if (g == NULL)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    if (g->live)
        herd_dp_abort(g->live);
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->th, NULL);
    herd_gpart__ship_destroy(g);
    free_queue(g->in_head);
    free_queue(g->out_head);
    herd_gpart__cache_drop(&g->cache);
    free(g->work_dir);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    uv_close((uv_handle_t *)&g->async, close_cb); /* frees g */
}
