/* sim — the event loop, delivery rules and fault injection of the
 * simulator (see sim.h). Ordering: at equal virtual times, due timers run
 * before queued events (as in libuv), and events run in scheduling order. */
#include "sim/sim.h"

#include "base/log.h"
#include "base/mem.h"
#include "sim/sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_CAP_MS 250

/* --- events --- */

struct ev *herd_sim__ev(struct herd_sim *s, enum ev_kind k, uint32_t worker, uint64_t conn)
{
    struct ev *e = herd_xcalloc(1, sizeof *e);
    e->kind = k;
    e->worker = worker;
    e->conn = conn;
    if (k <= EV_M_CLOSED)
        e->inc = s->minc;
    else
        e->inc = s->workers[worker]->inc;
    return e;
}

void herd_sim__free_ev(struct ev *e)
{
    herd_msg_free(&e->msg);
    free(e);
}

static int ev_before(const struct ev *a, const struct ev *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

void herd_sim__schedule(struct herd_sim *s, struct ev *e, uint64_t at)
{
    e->at = at;
    e->seq = ++s->seq;
    herd_xgrow((void **)&s->heap, &s->capheap, s->nheap + 1, sizeof *s->heap);
    size_t i = s->nheap++;
    s->heap[i] = e;
    while (i > 0 && ev_before(s->heap[i], s->heap[(i - 1) / 2])) {
        struct ev *t = s->heap[i];
        s->heap[i] = s->heap[(i - 1) / 2];
        s->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static struct ev *pop(struct herd_sim *s)
{
    struct ev *top = s->heap[0];
    s->heap[0] = s->heap[--s->nheap];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->nheap && ev_before(s->heap[l], s->heap[m]))
            m = l;
        if (r < s->nheap && ev_before(s->heap[r], s->heap[m]))
            m = r;
        if (m == i)
            break;
        struct ev *t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
    return top;
}

static void evlist_push(struct evlist *l, struct ev *e)
{
    herd_xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);
    l->v[l->n++] = e;
}

uint64_t herd_sim__latency(struct herd_sim *s)
{
    uint32_t lo = s->cfg.latency_min_ms, hi = s->cfg.latency_max_ms;
    return lo + herd_rand_below(&s->rng, (uint64_t)(hi - lo) + 1);
}

struct simconn *herd_sim__conn(struct herd_sim *s, uint64_t id)
{
    return id == 0 || id > s->nconns ? NULL : &s->conns[id - 1];
}

uint64_t herd_sim__new_conn(struct herd_sim *s, uint32_t worker)
{
    herd_xgrow((void **)&s->conns, &s->capconns, s->nconns + 1, sizeof *s->conns);
    memset(&s->conns[s->nconns], 0, sizeof *s->conns);
    s->conns[s->nconns].worker = worker;
    return ++s->nconns;
}

void herd_sim__send_net(struct herd_sim *s, struct ev *e, int to_master)
{
    struct simconn *k = herd_sim__conn(s, e->conn);
    uint64_t at = s->now + herd_sim__latency(s);
    uint64_t *last = to_master ? &k->last_to_m : &k->last_to_w;
    if (at < *last)
        at = *last;
    *last = at;
    e->net = 1;
    herd_sim__schedule(s, e, at);
}

/* --- after each call into an actor: when must it tick next? --- */

void herd_sim__after_master(struct herd_sim *s)
{
    if (s->core == NULL) {
        s->master_tick_at = SIM_NEVER;
        return;
    }
    uint64_t d = herd_core_next_deadline(s->core), cap = s->cfg.heartbeat_ms / 4;
    s->master_tick_at = s->now + (d < cap ? d : cap);
}

static void destroy_agent(struct simworker *w)
{
    herd_agent_destroy(w->agent);
    w->agent = NULL;
    w->alive = 0;
    w->tick_at = SIM_NEVER;
}

void herd_sim__after_agent(struct simworker *w)
{
    if (w->exited) {
        destroy_agent(w);
        return;
    }
    if (w->agent == NULL || w->stopped) {
        w->tick_at = SIM_NEVER;
        return;
    }
    uint64_t d = herd_agent_next_deadline(w->agent);
    w->tick_at = w->s->now + (d < TICK_CAP_MS ? d : TICK_CAP_MS);
}

/* --- delivery --- */

static void deliver_master(struct herd_sim *s, struct ev *e)
{
    struct simconn *k = herd_sim__conn(s, e->conn);
    if (s->core == NULL || e->inc != s->minc)
        return;
    if (e->kind == EV_M_OPEN && k->m_open && !k->m_known) {
        k->m_known = 1;
        herd_core_conn_open(s->core, e->conn);
    } else if (e->kind == EV_M_MSG && k->m_open && k->m_known) {
        herd_core_conn_msg(s->core, e->conn, &e->msg);
    } else if (e->kind == EV_M_CLOSED && k->m_known) {
        k->m_known = 0;
        k->m_open = 0;
        herd_core_conn_closed(s->core, e->conn);
    }
    herd_sim__after_master(s);
}

static void note_refuse(struct simworker *w, const struct herd_msg *m)
{
    if (m->type != HERD_MSG_REFUSE)
        return;
    free(w->refused);
    w->refused = herd_xstrdup(m->u.refuse.reason ? m->u.refuse.reason : "");
}

static void deliver_worker(struct herd_sim *s, struct simworker *w, struct ev *e)
{
    struct simconn *k = herd_sim__conn(s, e->conn);
    switch (e->kind) {
    case EV_W_CONNECTED:
        if (w->conn == e->conn)
            herd_agent_connected(w->agent);
        break;
    case EV_W_DISCONNECTED:
        if (e->force || w->conn == e->conn) {
            if (!e->force) {
                w->conn = 0;
                if (k != NULL)
                    k->w_open = 0;
            }
            herd_agent_disconnected(w->agent);
        }
        break;
    case EV_W_MSG:
        if (w->conn == e->conn && k->w_open) {
            note_refuse(w, &e->msg);
            herd_agent_msg(w->agent, &e->msg);
        }
        break;
    case EV_W_DONE:
        herd_agent_task_done(w->agent, &e->msg.u.result);
        break;
    default:
        break;
    }
    herd_sim__after_agent(w);
}

static int held_by_partition(struct herd_sim *s, struct ev *e)
{
    return e->net && s->workers[e->worker]->partitioned;
}

/* Delivers e; returns 1 if it was kept (held or queued), 0 if done with. */
static int deliver(struct herd_sim *s, struct ev *e)
{
    if (e->canceled)
        return 0;
    if (held_by_partition(s, e)) {
        evlist_push(&s->held, e);
        return 1;
    }
    if (e->kind <= EV_M_CLOSED) {
        deliver_master(s, e);
        return 0;
    }
    struct simworker *w = s->workers[e->worker];
    if (e->inc != w->inc)
        return 0;
    if (e->kind == EV_W_DONE)
        herd_sim__task_done(w, e);
    if (!w->alive)
        return 0;
    if (w->stopped) {
        evlist_push(&w->backlog, e);
        return 1;
    }
    deliver_worker(s, w, e);
    return 0;
}

/* --- the loop --- */

static struct simworker *next_ticker(struct herd_sim *s, uint64_t *at)
{
    struct simworker *best = NULL;
    *at = s->master_tick_at;
    for (uint32_t i = 0; i < s->nworkers; i++) {
        if (s->workers[i]->tick_at < *at) {
            *at = s->workers[i]->tick_at;
            best = s->workers[i];
        }
    }
    return best;
}

/* One step no later than `until`; 0 if nothing is due by then. */
static int step(struct herd_sim *s, uint64_t until)
{
    uint64_t tick_at;
    struct simworker *w = next_ticker(s, &tick_at);
    uint64_t ev_at = s->nheap > 0 ? s->heap[0]->at : SIM_NEVER;
    if (tick_at > until && ev_at > until)
        return 0;
    s->stats.steps++;
    if (tick_at <= ev_at) {
        s->now = tick_at > s->now ? tick_at : s->now;
        /* A tick that leaves itself due at once waits for this
         * millisecond's events (e.g. the close it asked for) first. */
        if (w != NULL) {
            herd_agent_tick(w->agent);
            herd_sim__after_agent(w);
            if (w->tick_at <= s->now)
                w->tick_at = s->now + 1;
        } else {
            herd_core_tick(s->core);
            herd_sim__after_master(s);
            if (s->master_tick_at <= s->now)
                s->master_tick_at = s->now + 1;
        }
        return 1;
    }
    struct ev *e = pop(s);
    s->now = e->at > s->now ? e->at : s->now;
    if (!deliver(s, e))
        herd_sim__free_ev(e);
    return 1;
}

void herd_sim_run_for(struct herd_sim *s, uint64_t ms)
{
    uint64_t until = s->now + ms;
    while (step(s, until))
        ;
    s->now = until;
}

int herd_sim_run_until(struct herd_sim *s, int (*cond)(void *arg, struct herd_sim *s), void *arg,
                       uint64_t max_ms)
{
    uint64_t until = s->now + max_ms;
    if (cond(arg, s))
        return 1;
    while (step(s, until))
        if (cond(arg, s))
            return 1;
    s->now = until;
    return cond(arg, s);
}
