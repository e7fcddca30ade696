/* gjob_run — the graph-job conversation on the master: choosing workers and
 * partition owners, SETUP/READY, releasing supersteps, the barrier (merging
 * reports in partition order), checkpoints, recovery and output. All on the
 * core's thread; timeouts come from herd_gjobs_tick(). */
#include "master/gjob_int.h"

#include "master/core_int.h"

#include "base/log.h"
#include "base/mem.h"

#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD_TIMEOUT_MS 600000u

/* Aggregator ops and types as on the wire (include/herd/vertex.h order). */
enum { AGG_SUM, AGG_MIN, AGG_MAX, AGG_COUNT };
enum { AGG_I64, AGG_F64 };

static int excluded(const struct gjob *j, const struct herd_worker *w)
{
    for (size_t i = 0; i < j->nexcluded; i++)
        if (j->excluded[i] == w)
            return 1;
    return 0;
}

/* A worker runs one graph job at a time (worker/gpart.c keeps one). */
static int busy_elsewhere(struct herd_core *c, const struct gjob *j, const struct herd_worker *w)
{
    struct herd_gjobs *g = c->gjobs;
    for (size_t i = 0; i < g->n; i++) {
        const struct gjob *o = g->jobs[i];
        int active = o->state == HERD_GJ_LOADING || o->state == HERD_GJ_RUNNING ||
                     o->state == HERD_GJ_WRITING || o->state == HERD_GJ_RECOVERING;
        for (uint32_t k = 0; o != j && active && k < o->nw; k++)
            if (o->ws[k].w == w)
                return 1;
    }
    return 0;
}

static int usable(struct herd_core *c, const struct gjob *j, const struct herd_worker *w)
{
    return w->state == HERD_WORKER_READY && w->conn != 0 && !excluded(j, w) &&
           !busy_elsewhere(c, j, w);
}

/* Up to `want` usable workers: the job's own survivors first (they keep
 * their partitions), then others (a newly joined worker). */
static uint32_t candidates(struct herd_core *c, const struct gjob *j, uint32_t want,
                           struct herd_worker **out)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < j->nw && n < want; i++)
        if (j->ws[i].w && usable(c, j, j->ws[i].w))
            out[n++] = j->ws[i].w;
    struct herd_link *p;
    herd_list_each(p, &c->reg.workers)
    {
        struct herd_worker *w = herd_container_of(p, struct herd_worker, link);
        int dup = 0;
        for (uint32_t k = 0; k < n; k++)
            dup |= out[k] == w;
        if (n < want && !dup && usable(c, j, w))
            out[n++] = w;
    }
    return n;
}

/* New owners: a partition stays with its worker when that worker is still
 * in `list`; the others are dealt round-robin. */
static void assign(struct gjob *j, struct herd_worker **list, uint32_t n)
{
    uint32_t *owner = herd_xcalloc(j->nparts, sizeof *owner);
    uint32_t rr = 0;
    for (uint32_t p = 0; p < j->nparts; p++) {
        int keep = -1;
        for (uint32_t k = 0; j->owner && k < n; k++)
            if (j->ws[j->owner[p]].w == list[k])
                keep = (int)k;
        owner[p] = keep >= 0 ? (uint32_t)keep : (j->owner ? rr++ % n : p % n);
    }
    free(j->owner);
    j->owner = owner;
    for (uint32_t i = 0; i < j->nw; i++)
        free(j->ws[i].dp_addr);
    free(j->ws);
    j->ws = herd_xcalloc(n, sizeof *j->ws);
    j->nw = n;
    for (uint32_t i = 0; i < n; i++)
        j->ws[i].w = list[i];
}

/* "host:port" of every worker's data plane from their HELLOs, for SETUP;
 * NULL when one is unknown (a worker without a data host or port: peers
 * then come with the first STEP, from READY). Free with free_peers(). */
static void free_peers(char **peers, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(peers[i]);
    free(peers);
}

static char **setup_peers(const struct gjob *j)
{
    char **peers = herd_xcalloc(j->nw, sizeof *peers);
    for (uint32_t i = 0; i < j->nw; i++) {
        const struct herd_worker *w = j->ws[i].w;
        if (w->data_host == NULL || w->data_host[0] == '\0' || w->data_port == 0) {
            free_peers(peers, i);
            return NULL;
        }
        size_t n = strlen(w->data_host) + 8;
        peers[i] = herd_xmalloc(n);
        snprintf(peers[i], n, "%s:%u", w->data_host, (unsigned)w->data_port);
    }
    return peers;
}

static void send_setup(struct herd_core *c, struct gjob *j, uint32_t wi, char **peers)
{
    struct herd_gmsg g = {.op = HERD_GOP_SETUP};
    struct herd_gsetup *s = &g.u.setup;
    const struct herd_gjob_spec *sp = &j->spec;
    s->algo = (char *)sp->algo;
    s->plugin = (uint8_t *)sp->plugin;
    s->plugin_len = sp->plugin_len;
    s->graph = (char *)sp->graph;
    s->format = sp->format;
    s->directed = sp->directed;
    s->simplify = sp->simplify;
    s->has_source = sp->has_source;
    s->no_fast_path = sp->no_fast_path;
    s->partitioning = sp->partitioning;
    s->source = sp->source;
    s->iterations = sp->iterations;
    s->damping = sp->damping;
    s->seed = sp->seed;
    s->arg = (char *)sp->arg;
    s->threads = sp->threads;
    s->nworkers = j->nw;
    s->me = wi;
    s->nparts = j->nparts;
    s->owner = j->owner;
    s->ckpt_dir = sp->checkpoint_every ? (char *)sp->ckpt_dir : "";
    s->restore = j->last_ckpt;
    s->npeers = peers ? j->nw : 0;
    s->peers = peers;
    herd_gjob__send(c, j, wi, &g);
}

static void start_epoch(struct herd_core *c, struct gjob *j, struct herd_worker **list,
                        uint32_t n)
{
    if (j->nparts == 0)
        j->nparts = j->spec.partitions ? j->spec.partitions : (2 * n > 16 ? 2 * n : 16);
    assign(j, list, n);
    j->epoch++;
    j->resume_need = 0;
    j->start_step = j->last_ckpt;
    memcpy(j->globals, j->ckpt_globals, sizeof j->globals);
    while (j->nsteps > 0 && j->steps[j->nsteps - 1].step >= j->start_step)
        j->nsteps--;
    char why[96];
    snprintf(why, sizeof why, "epoch %u: %u workers, %u partitions, from step %" PRIu64, j->epoch,
             n, j->nparts, j->start_step);
    herd_gjob__set_state(c, j, HERD_GJ_LOADING, why);
    herd_gjob__ckpt_epoch(c, j);
    herd_gjob__journal(c, j);
    j->deadline = herd_core__now(c) + LOAD_TIMEOUT_MS;
    char **peers = setup_peers(j);
    for (uint32_t i = 0; i < n; i++)
        send_setup(c, j, i, peers);
    free_peers(peers, peers ? n : 0);
}

void herd_gjob__try_start(struct herd_core *c, struct gjob *j)
{
    if (j->state != HERD_GJ_WAITING)
        return;
    uint32_t want = j->spec.workers ? j->spec.workers : HERD_GMSG_MAX_WORKERS;
    struct herd_worker **list = herd_xcalloc(want < c->reg.n + 1 ? want : c->reg.n + 1,
                                             sizeof *list);
    uint32_t n = candidates(c, j, want < c->reg.n ? want : c->reg.n, list);
    uint32_t need = j->epoch == 0 && j->spec.workers ? j->spec.workers : 1;
    if (j->resume_need && herd_core__now(c) < j->resume_until)
        need = j->resume_need; /* a restarted master waits for the job's workers */
    if (n >= need)
        start_epoch(c, j, list, n);
    free(list);
}

/* ---- supersteps ---- */

static void release(struct herd_core *c, struct gjob *j, uint64_t step)
{
    j->step = step;
    memset(&j->cur, 0, sizeof j->cur);
    j->cur.step = step;
    free(j->part_aggs);
    j->part_aggs = herd_xcalloc((size_t)j->nparts * (j->naggs ? j->naggs : 1), 8);
    uint32_t every = j->spec.checkpoint_every;
    /* not at the epoch's first step (that is the checkpoint it started from),
     * nor in the last superstep (it would save at most one step's work) */
    j->ckpt_asked = every && step > 0 && step % every == 0 && step != j->start_step &&
                    (j->max_steps == 0 || step + 1 < j->max_steps);
    j->ckpt_all = 1;
    if (j->ckpt_asked)
        herd_gjob__ckpt_asked(c, j);
    j->stopped = 0;
    struct herd_gmsg g = {.op = HERD_GOP_STEP};
    struct herd_gstep *s = &g.u.step;
    s->step = step;
    s->checkpoint = (uint8_t)j->ckpt_asked;
    s->naggs = j->naggs;
    memcpy(s->aggs, j->globals, sizeof s->aggs);
    char **peers = herd_xcalloc(j->nw, sizeof *peers);
    if (step == j->start_step) {
        for (uint32_t i = 0; i < j->nw; i++)
            peers[i] = j->ws[i].dp_addr;
        s->npeers = j->nw;
        s->peers = peers;
    }
    if (j->state != HERD_GJ_RUNNING || step == j->start_step)
        herd_gjob__set_state(c, j, HERD_GJ_RUNNING, step == j->start_step ? "released" : NULL);
    j->released_at = herd_core__now(c);
    j->deadline = j->released_at + j->spec.barrier_timeout_ms;
    for (uint32_t i = 0; i < j->nw; i++) {
        j->ws[i].reported = 0;
        herd_gjob__send(c, j, i, &g);
    }
    free(peers);
}

static void on_ready(struct herd_core *c, struct gjob *j, uint32_t wi, const struct herd_gready *r)
{
    if (j->state != HERD_GJ_LOADING || j->ws[wi].ready)
        return;
    if (!r->ok) {
        herd_gjob__fail(c, j, "worker %s: %s", j->ws[wi].w->id, r->error);
        return;
    }
    j->ws[wi].ready = 1;
    free(j->ws[wi].dp_addr);
    j->ws[wi].dp_addr = herd_xstrdup(r->dp_addr);
    j->naggs = r->naggs;
    memcpy(j->agg_op, r->agg_op, sizeof j->agg_op);
    memcpy(j->agg_type, r->agg_type, sizeof j->agg_type);
    j->max_steps = r->max_steps;
    j->pull = r->pull;
    j->vertices = r->n;
    j->arcs = r->m;
    if (r->load_ms > j->load_ms)
        j->load_ms = r->load_ms;
    for (uint32_t i = 0; i < j->nw; i++)
        if (!j->ws[i].ready)
            return;
    release(c, j, j->start_step);
}

/* Identity and merge of one aggregator, as the one-process engine does. */
static uint64_t agg_identity(uint8_t op, uint8_t type)
{
    double d = op == AGG_MIN ? DBL_MAX : op == AGG_MAX ? -DBL_MAX : 0.0;
    int64_t i = op == AGG_MIN ? INT64_MAX : op == AGG_MAX ? INT64_MIN : 0;
    uint64_t b;
    if (type == AGG_F64 && op != AGG_COUNT)
        memcpy(&b, &d, 8);
    else
        memcpy(&b, &i, 8);
    return b;
}

static uint64_t agg_merge(uint8_t op, uint8_t type, uint64_t acc, uint64_t x)
{
    if (op == AGG_COUNT || type != AGG_F64) {
        int64_t a = (int64_t)acc, b = (int64_t)x;
        if (op == AGG_SUM || op == AGG_COUNT)
            return (uint64_t)a + (uint64_t)b;
        return op == AGG_MIN ? (uint64_t)(b < a ? b : a) : (uint64_t)(b > a ? b : a);
    }
    double a, b;
    memcpy(&a, &acc, 8);
    memcpy(&b, &x, 8);
    if (op == AGG_SUM)
        a += b;
    else if (op == AGG_MIN ? b < a : b > a)
        a = b;
    memcpy(&acc, &a, 8);
    return acc;
}

static void merge_globals(struct gjob *j)
{
    for (uint32_t i = 0; i < j->naggs; i++) {
        uint64_t acc = agg_identity(j->agg_op[i], j->agg_type[i]);
        for (uint32_t p = 0; p < j->nparts; p++)
            acc = agg_merge(j->agg_op[i], j->agg_type[i], acc,
                            j->part_aggs[(size_t)p * j->naggs + i]);
        j->globals[i] = acc;
    }
}

static void start_write(struct herd_core *c, struct gjob *j, const char *why)
{
    herd_gjob__set_state(c, j, HERD_GJ_WRITING, why);
    j->deadline = herd_core__now(c) + LOAD_TIMEOUT_MS;
    struct herd_gmsg g = {.op = HERD_GOP_WRITE};
    g.u.write.dir = (char *)j->spec.output_dir;
    for (uint32_t i = 0; i < j->nw; i++) {
        j->ws[i].done = 0;
        herd_gjob__send(c, j, i, &g);
    }
}

static void barrier(struct herd_core *c, struct gjob *j)
{
    if (j->stopped) {
        start_write(c, j, "the master hook stopped the job");
        return;
    }
    uint64_t before[HERD_GMSG_MAX_AGGS];
    memcpy(before, j->globals, sizeof before);
    merge_globals(j);
    j->cur.ms = (double)(herd_core__now(c) - j->released_at);
    herd_xgrow((void **)&j->steps, &j->capsteps, j->nsteps + 1, sizeof *j->steps);
    j->steps[j->nsteps++] = j->cur;
    if (j->ckpt_asked)
        herd_gjob__ckpt_barrier(c, j, j->ckpt_all, before);
    int stop = j->cur.active == 0 && j->cur.sent == 0;
    if (stop || (j->max_steps && j->step + 1 >= j->max_steps))
        start_write(c, j, stop ? "every vertex halted, no message in flight" : "last superstep");
    else
        release(c, j, j->step + 1);
}

static void on_report(struct herd_core *c, struct gjob *j, uint32_t wi,
                      const struct herd_greport *r)
{
    if (j->state != HERD_GJ_RUNNING || r->step != j->step || j->ws[wi].reported)
        return;
    if (r->status == HERD_GREP_ERROR) {
        char why[600];
        snprintf(why, sizeof why, "worker %s: %s", j->ws[wi].w->id, r->error);
        herd_gjob__recover(c, j, why);
        return;
    }
    for (uint32_t k = 0; k < r->nparts; k++) {
        const struct herd_gpart_report *p = &r->parts[k];
        if (p->part >= j->nparts || j->owner[p->part] != wi || r->naggs != j->naggs)
            continue;
        memcpy(&j->part_aggs[(size_t)p->part * j->naggs], p->aggs, (size_t)j->naggs * 8);
        j->cur.computed += p->computed;
        j->cur.active += p->active;
        j->cur.sent += p->sent;
        j->cur.exchanged += p->exchanged;
    }
    j->cur.bytes += r->bytes;
    if (r->compute_ms > j->cur.compute_ms_max)
        j->cur.compute_ms_max = r->compute_ms;
    if (r->ckpt_ms > j->cur.ckpt_ms_max)
        j->cur.ckpt_ms_max = r->ckpt_ms;
    j->ckpt_all &= r->saved;
    j->stopped |= r->status == HERD_GREP_STOPPED;
    j->ws[wi].reported = 1;
    for (uint32_t i = 0; i < j->nw; i++)
        if (!j->ws[i].reported)
            return;
    barrier(c, j);
}

static void on_done(struct herd_core *c, struct gjob *j, uint32_t wi, const struct herd_gdone *d)
{
    if (j->state != HERD_GJ_WRITING || j->ws[wi].done)
        return;
    if (!d->ok) {
        herd_gjob__fail(c, j, "worker %s: write results: %s", j->ws[wi].w->id, d->error);
        return;
    }
    j->ws[wi].done = 1;
    if (d->write_ms > j->write_ms)
        j->write_ms = d->write_ms;
    for (uint32_t i = 0; i < j->nw; i++)
        if (!j->ws[i].done)
            return;
    j->deadline = 0;
    herd_gjob__set_state(c, j, HERD_GJ_DONE, "results written");
}

void herd_gjob__on_msg(struct herd_core *c, struct gjob *j, uint32_t wi,
                       const struct herd_msg_graph *m, const struct herd_gmsg *g)
{
    (void)m;
    switch (g->op) {
    case HERD_GOP_READY: on_ready(c, j, wi, &g->u.ready); break;
    case HERD_GOP_REPORT: on_report(c, j, wi, &g->u.report); break;
    case HERD_GOP_DONE: on_done(c, j, wi, &g->u.done); break;
    case HERD_GOP_CKPT_PUT: herd_gjob__ckpt_put(c, j, wi, &g->u.ckpt); break;
    case HERD_GOP_CKPT_GET: herd_gjob__ckpt_get(c, j, wi, &g->u.ckpt); break;
    default:
        herd_warn("gjob", "graph job %" PRIu64 ": unexpected %s from a worker", j->id,
                  herd_gop_name(g->op));
    }
}

/* ---- recovery ---- */

void herd_gjob__recover(struct herd_core *c, struct gjob *j, const char *why)
{
    if (j->state != HERD_GJ_LOADING && j->state != HERD_GJ_RUNNING &&
        j->state != HERD_GJ_WRITING)
        return;
    herd_gjob__set_state(c, j, HERD_GJ_RECOVERING, why);
    j->deadline = 0;
    if (++j->recoveries > j->spec.max_recoveries) {
        herd_gjob__fail(c, j, "gave up after %u recoveries; last: %s", j->spec.max_recoveries,
                        why);
        return;
    }
    struct herd_gmsg ab = {.op = HERD_GOP_ABORT};
    for (uint32_t i = 0; i < j->nw; i++)
        herd_gjob__send(c, j, i, &ab);
    uint32_t want = j->spec.workers ? j->spec.workers : j->nw;
    struct herd_worker **list = herd_xcalloc(want + 1, sizeof *list);
    uint32_t n = candidates(c, j, want, list);
    herd_info("gjob", "graph job %" PRIu64 ": %s; %s with %u workers", j->id, why,
              j->last_ckpt ? "rolling back to the last checkpoint" : "restarting", n);
    if (n > 0) {
        start_epoch(c, j, list, n);
    } else {
        herd_gjob__set_state(c, j, HERD_GJ_WAITING, "no live worker");
    }
    free(list);
}

void herd_gjob__timeout(struct herd_core *c, struct gjob *j)
{
    char why[256] = "";
    for (uint32_t i = 0; i < j->nw; i++) {
        struct gworker *g = &j->ws[i];
        int waiting = (j->state == HERD_GJ_LOADING && !g->ready) ||
                      (j->state == HERD_GJ_RUNNING && !g->reported) ||
                      (j->state == HERD_GJ_WRITING && !g->done);
        if (!waiting || g->w == NULL)
            continue;
        herd_xgrow((void **)&j->excluded, &j->capexcluded, j->nexcluded + 1,
                   sizeof *j->excluded);
        j->excluded[j->nexcluded++] = g->w;
        snprintf(why, sizeof why, "barrier timeout: worker %s did not answer", g->w->id);
    }
    j->deadline = 0;
    herd_gjob__recover(c, j, why[0] ? why : "timeout");
}
