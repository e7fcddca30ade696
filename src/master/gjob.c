/* gjob — graph jobs on the master: the job table, the state machine and
 * its one transition function, submission and the read-only views. The
 * conversation with workers is in gjob_run.c. */
#include "master/gjob_int.h"

#include "master/core_int.h"
#include "master/gstore.h"

#include "base/log.h"
#include "base/mem.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[HERD_GJ_NSTATES] = {
    "waiting", "loading", "running", "recovering", "writing", "done", "failed"};

const char *herd_gjob_state_name(enum herd_gjob_state s)
{
    return (unsigned)s < HERD_GJ_NSTATES ? names[s] : "?";
}

int herd_gjob_state_final(enum herd_gjob_state s)
{
    return s == HERD_GJ_DONE || s == HERD_GJ_FAILED;
}

/* Legal transitions (docs/distributed.md has the drawing). */
int herd_gjob_legal(enum herd_gjob_state from, enum herd_gjob_state to)
{
    if (to == HERD_GJ_FAILED)
        return !herd_gjob_state_final(from);
    switch (from) {
    case HERD_GJ_WAITING: return to == HERD_GJ_LOADING;
    case HERD_GJ_LOADING: return to == HERD_GJ_RUNNING || to == HERD_GJ_RECOVERING;
    case HERD_GJ_RUNNING:
        return to == HERD_GJ_RUNNING || to == HERD_GJ_RECOVERING || to == HERD_GJ_WRITING;
    case HERD_GJ_RECOVERING: return to == HERD_GJ_LOADING || to == HERD_GJ_WAITING;
    case HERD_GJ_WRITING: return to == HERD_GJ_DONE || to == HERD_GJ_RECOVERING;
    default: return 0;
    }
}

int herd_gjob__set_state(struct herd_core *c, struct gjob *j, enum herd_gjob_state to,
                         const char *why)
{
    char id[32];
    snprintf(id, sizeof id, "%" PRIu64, j->id);
    if (!herd_gjob_legal(j->state, to)) {
        herd_error("gjob", "graph job %s: illegal transition %s -> %s", id, names[j->state],
                   names[to]);
        c->gjobs->illegal++;
        return HERD_ESTATE;
    }
    if (to != HERD_GJ_RUNNING || j->state != HERD_GJ_RUNNING)
        herd_info("gjob", "graph job %s: %s -> %s%s%s", id, names[j->state], names[to],
                  why ? ": " : "", why ? why : "");
    herd_event("gjob", id, names[j->state], names[to], why);
    j->state = to;
    j->transitions++;
    c->gjobs->into[to]++;
    if (herd_gjob_state_final(to)) {
        j->finished = herd_core__now(c);
        j->deadline = 0;
        herd_gjob__ckpt_over(c, j);
        herd_gjob__journal(c, j);
    }
    return HERD_OK;
}

void herd_gjob__fail(struct herd_core *c, struct gjob *j, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (j->error == NULL)
        j->error = herd_xstrdup(buf);
    struct herd_gmsg ab = {.op = HERD_GOP_ABORT};
    for (uint32_t i = 0; i < j->nw; i++)
        herd_gjob__send(c, j, i, &ab);
    herd_gjob__set_state(c, j, HERD_GJ_FAILED, buf);
}

void herd_gjob__send(struct herd_core *c, struct gjob *j, uint32_t wi, const struct herd_gmsg *g)
{
    struct herd_worker *w = j->ws[wi].w;
    if (w == NULL || w->conn == 0)
        return; /* the barrier or loss detection notices */
    struct herd_msg m;
    herd_gmsg_wrap(g, j->id, j->epoch, &m);
    herd_core__send(c, w->conn, &m);
    herd_msg_free(&m);
}

/* ---- the table ---- */

struct herd_gjobs *herd_gjobs_create(struct herd_core *c)
{
    struct herd_gjobs *g = herd_xcalloc(1, sizeof *g);
    g->next_id = HERD_GJOB_ID_BASE + 1;
    struct herd_err e;
    herd_err_clear(&e);
    if (c->cfg.graph_dir && herd_gstore_open(c->cfg.graph_dir, &g->store, &e) != HERD_OK)
        herd_warn("gjob", "%s: graph jobs need a shared checkpoint_dir", e.msg);
    return g;
}

static void free_spec(struct herd_gjob_spec *s)
{
    free((void *)s->algo);
    free((void *)s->plugin);
    free((void *)s->graph);
    free((void *)s->ckpt_dir);
    free((void *)s->output_dir);
    free((void *)s->arg);
}

static void free_job(struct gjob *j)
{
    free_spec(&j->spec);
    for (uint32_t i = 0; i < j->nw; i++)
        free(j->ws[i].dp_addr);
    free(j->ws);
    free(j->owner);
    free(j->part_aggs);
    free(j->steps);
    free(j->excluded);
    free(j->error);
    for (size_t i = 0; i < j->npend; i++)
        free(j->pend[i].got);
    free(j->pend);
    free(j);
}

void herd_gjob__free(struct gjob *j)
{
    if (j != NULL)
        free_job(j);
}

void herd_gjobs_destroy(struct herd_gjobs *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->n; i++)
        free_job(g->jobs[i]);
    herd_gjob__free(g->viewed);
    free(g->jobs);
    herd_gstore_close(g->store);
    free(g);
}

/* Jobs are kept in ascending id (submission order; reloaded ones first). */
struct gjob *herd_gjob__find(struct herd_core *c, uint64_t id)
{
    struct herd_gjobs *g = c->gjobs;
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->jobs[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < g->n && g->jobs[lo]->id == id ? g->jobs[lo] : NULL;
}

void herd_gjob__adopt(struct herd_core *c, struct gjob *j)
{
    struct herd_gjobs *g = c->gjobs;
    herd_xgrow((void **)&g->jobs, &g->cap, g->n + 1, sizeof *g->jobs);
    g->jobs[g->n++] = j;
    if (j->id >= g->next_id)
        g->next_id = j->id + 1;
}

static char *dup_or_empty(const char *s)
{
    return herd_xstrdup(s ? s : "");
}

static void copy_spec(struct herd_gjob_spec *d, const struct herd_gjob_spec *s)
{
    *d = *s;
    d->algo = dup_or_empty(s->algo);
    d->graph = dup_or_empty(s->graph);
    d->ckpt_dir = dup_or_empty(s->ckpt_dir);
    d->output_dir = dup_or_empty(s->output_dir);
    d->arg = dup_or_empty(s->arg);
    d->plugin = NULL;
    if (s->plugin_len) {
        uint8_t *p = herd_xmalloc(s->plugin_len);
        memcpy(p, s->plugin, s->plugin_len);
        d->plugin = p;
    }
    if (d->barrier_timeout_ms == 0)
        d->barrier_timeout_ms = 30000;
    if (d->max_recoveries == 0)
        d->max_recoveries = 8;
}

static int check_spec(struct herd_core *c, const struct herd_gjob_spec *s, struct herd_err *e)
{
    if (s->graph == NULL || s->graph[0] != '/')
        return herd_err_set(e, HERD_EINVAL, "graph: an absolute path the workers can read");
    if (s->output_dir == NULL || s->output_dir[0] != '/')
        return herd_err_set(e, HERD_EINVAL, "output_dir: an absolute path the workers can write");
    if ((s->algo == NULL || s->algo[0] == '\0') && s->plugin_len == 0)
        return herd_err_set(e, HERD_EINVAL, "algo or plugin is required");
    int shared = s->ckpt_dir != NULL && s->ckpt_dir[0] != '\0';
    if (s->checkpoint_every && shared && s->ckpt_dir[0] != '/')
        return herd_err_set(e, HERD_EINVAL, "checkpoint_dir: an absolute path the workers share");
    if (s->checkpoint_every && !shared && c->gjobs->store == NULL)
        return herd_err_set(e, HERD_EINVAL, "checkpoint_every needs a checkpoint_dir: this master "
                            "has no data dir to keep checkpoints in");
    if (s->partitions > HERD_GMSG_MAX_PARTS || s->workers > HERD_GMSG_MAX_WORKERS)
        return herd_err_set(e, HERD_EINVAL, "too many partitions or workers");
    if (s->plugin_len > HERD_MSG_MAX_GRAPH - 65536)
        return herd_err_set(e, HERD_EINVAL, "plugin of %u bytes is over the limit",
                            s->plugin_len);
    return HERD_OK;
}

int herd_core_graph_submit(struct herd_core *c, const struct herd_gjob_spec *s, uint64_t *id,
                           struct herd_err *e)
{
    int rc = check_spec(c, s, e);
    if (rc != HERD_OK)
        return rc;
    struct herd_gjobs *g = c->gjobs;
    struct gjob *j = herd_xcalloc(1, sizeof *j);
    copy_spec(&j->spec, s);
    j->net = j->spec.checkpoint_every && j->spec.ckpt_dir[0] == '\0';
    j->id = g->next_id++;
    j->state = HERD_GJ_WAITING;
    j->submitted = herd_core__now(c);
    rc = herd_gjob__journal_new(c, j, e);
    if (rc != HERD_OK) {
        g->next_id--;
        free_job(j);
        return rc;
    }
    herd_xgrow((void **)&g->jobs, &g->cap, g->n + 1, sizeof *g->jobs);
    g->jobs[g->n++] = j;
    herd_info("gjob", "graph job %" PRIu64 ": %s on %s submitted", j->id, j->spec.algo,
              j->spec.graph);
    herd_gjob__try_start(c, j);
    *id = j->id;
    return HERD_OK;
}

int herd_core_graph_cancel(struct herd_core *c, uint64_t id)
{
    struct gjob *j = herd_gjob__find(c, id);
    if (j == NULL)
        return HERD_ENOTFOUND;
    if (!herd_gjob_state_final(j->state))
        herd_gjob__fail(c, j, "canceled");
    return HERD_OK;
}

/* ---- glue from the core ---- */

static int worker_index(const struct gjob *j, const struct herd_worker *w)
{
    for (uint32_t i = 0; i < j->nw; i++)
        if (j->ws[i].w == w)
            return (int)i;
    return -1;
}

void herd_gjobs_msg(struct herd_core *c, struct herd_worker *w, const struct herd_msg_graph *m)
{
    herd_gjobs__ckpt_poll(c);
    struct gjob *j = herd_gjob__find(c, m->job_id);
    int wi = j ? worker_index(j, w) : -1;
    if (j == NULL || wi < 0 || m->epoch != j->epoch)
        return; /* a stale epoch, or a worker the job dropped */
    struct herd_gmsg g;
    struct herd_err e;
    if (herd_gmsg_decode(m->op, m->body, m->body_len, &g, &e) != HERD_OK) {
        herd_warn("gjob", "graph job %" PRIu64 ": worker %s: %s", j->id, w->id, e.msg);
        return;
    }
    herd_gjob__on_msg(c, j, (uint32_t)wi, m, &g);
    herd_gmsg_free(&g);
}

void herd_gjobs_worker_gone(struct herd_core *c, struct herd_worker *w)
{
    struct herd_gjobs *g = c->gjobs;
    for (size_t i = 0; g && i < g->n; i++) {
        struct gjob *j = g->jobs[i];
        int active = j->state == HERD_GJ_LOADING || j->state == HERD_GJ_RUNNING ||
                     j->state == HERD_GJ_WRITING;
        if (active && worker_index(j, w) >= 0) {
            char why[200];
            snprintf(why, sizeof why, "worker %s lost", w->id);
            herd_gjob__recover(c, j, why);
        }
    }
}

/* Keeps memory flat under a stream of graph jobs, with the bounds of task
 * jobs: a finished job stays in memory while it is among the newest
 * cfg.keep_finished finished ones and younger than cfg.keep_finished_ms;
 * then it is freed, and its view is rebuilt from the journal on demand
 * (herd_core_graph_info). Late messages about it find no job and are
 * dropped, as for any unknown job. */
static void evict(struct herd_core *c, uint64_t now)
{
    struct herd_gjobs *g = c->gjobs;
    size_t nfin = 0, out = 0;
    for (size_t i = 0; i < g->n; i++)
        nfin += herd_gjob_state_final(g->jobs[i]->state);
    for (size_t i = 0; i < g->n; i++) {
        struct gjob *j = g->jobs[i];
        if (herd_gjob_state_final(j->state) && j->npend == 0 &&
            (nfin > c->cfg.keep_finished || now >= j->finished + c->cfg.keep_finished_ms)) {
            herd_debug("gjob", "graph job %" PRIu64 " evicted from memory (%s)", j->id,
                       names[j->state]);
            free_job(j);
            nfin--;
            g->evicted++;
            continue;
        }
        g->jobs[out++] = j;
    }
    g->n = out;
}

void herd_gjobs_tick(struct herd_core *c)
{
    struct herd_gjobs *g = c->gjobs;
    uint64_t now = herd_core__now(c);
    herd_gjobs__ckpt_poll(c);
    for (size_t i = 0; i < g->n; i++) {
        struct gjob *j = g->jobs[i];
        if (j->state == HERD_GJ_WAITING)
            herd_gjob__try_start(c, j);
        else if (j->deadline && now >= j->deadline)
            herd_gjob__timeout(c, j);
    }
    evict(c, now);
}

uint64_t herd_gjobs_next_deadline(struct herd_core *c)
{
    struct herd_gjobs *g = c->gjobs;
    uint64_t next = UINT64_MAX;
    if (g && g->store && herd_gstore_busy(g->store))
        next = herd_core__now(c) + 5; /* checkpoint files are being synced: poll soon */
    for (size_t i = 0; g && i < g->n; i++)
        if (g->jobs[i]->deadline && g->jobs[i]->deadline < next)
            next = g->jobs[i]->deadline;
    return next;
}

/* ---- views ---- */

static void info_of(const struct gjob *j, struct herd_gjob_info *o)
{
    memset(o, 0, sizeof *o);
    o->id = j->id;
    o->algo = j->spec.algo;
    o->graph = j->spec.graph;
    o->state = names[j->state];
    o->error = j->error ? j->error : "";
    o->output_dir = j->spec.output_dir;
    o->path = j->pull ? "pull" : "messages";
    o->step = j->step;
    o->epoch = j->epoch;
    o->workers = j->nw;
    o->partitions = j->nparts;
    o->recoveries = j->recoveries;
    o->last_checkpoint = j->last_ckpt;
    o->vertices = j->vertices;
    o->arcs = j->arcs;
    o->load_ms = j->load_ms;
    o->write_ms = j->write_ms;
    o->submitted_ms = j->submitted;
    o->finished_ms = j->finished;
    o->nsteps = j->nsteps;
    o->steps = j->steps;
}

int herd_core_graph_info(struct herd_core *c, uint64_t id, struct herd_gjob_info *out)
{
    struct gjob *j = herd_gjob__find(c, id);
    if (j == NULL && id < c->gjobs->next_id) { /* evicted: from the journal */
        herd_gjob__free(c->gjobs->viewed);
        j = c->gjobs->viewed = herd_gjob__from_journal(c, id);
    }
    if (j == NULL)
        return HERD_ENOTFOUND;
    info_of(j, out);
    return HERD_OK;
}

void herd_core_graph_each(struct herd_core *c,
                          void (*fn)(void *arg, const struct herd_gjob_info *j), void *arg)
{
    struct herd_gjobs *g = c->gjobs;
    for (size_t i = 0; i < g->n; i++) {
        struct herd_gjob_info info;
        info_of(g->jobs[i], &info);
        fn(arg, &info);
    }
}
