/* sim_io — the io bindings the simulator gives the master core and each
 * worker agent: sends become network events, connects and closes become
 * connection events, task starts become completion events. */
#include "base/mem.h"
#include "sim/sim_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- master side --- */

static void m_send(void *ctx, uint64_t conn, const struct herd_msg *m)
{
    struct herd_sim *s = ctx;
    struct simconn *k = herd_sim__conn(s, conn);
    if (k == NULL || !k->m_open)
        return;
    if (s->observe)
        s->observe(s->observe_arg, s, k->worker, 0, m);
    struct ev *e = herd_sim__ev(s, EV_W_MSG, k->worker, conn);
    herd_msg_copy(&e->msg, m);
    herd_sim__send_net(s, e, 0);
}

static void m_close(void *ctx, uint64_t conn)
{
    struct herd_sim *s = ctx;
    struct simconn *k = herd_sim__conn(s, conn);
    if (k == NULL || !k->m_open)
        return;
    k->m_open = 0;
    herd_sim__send_net(s, herd_sim__ev(s, EV_W_DISCONNECTED, k->worker, conn), 0);
    struct ev *e = herd_sim__ev(s, EV_M_CLOSED, k->worker, conn);
    herd_sim__schedule(s, e, s->now); /* the binding reports its own close */
}

static uint64_t m_now(void *ctx)
{
    return ((struct herd_sim *)ctx)->now;
}

static uint64_t m_random(void *ctx)
{
    return herd_rand_next(&((struct herd_sim *)ctx)->rng);
}

struct herd_core_io herd_sim__master_io(struct herd_sim *s)
{
    return (struct herd_core_io){s, m_send, m_close, m_now, m_random};
}

/* --- worker side --- */

static void w_connect(void *ctx)
{
    struct simworker *w = ctx;
    struct herd_sim *s = w->s;
    uint64_t c = herd_sim__new_conn(s, w->idx);
    w->conn = c;
    if (w->partitioned || s->core == NULL) {
        /* a timeout behind a partition, a refusal from a dead master */
        struct ev *e = herd_sim__ev(s, EV_W_DISCONNECTED, w->idx, c);
        herd_sim__schedule(s, e, s->now + (w->partitioned ? 1000 : herd_sim__latency(s)));
        return;
    }
    struct simconn *k = herd_sim__conn(s, c);
    k->m_open = k->w_open = 1;
    herd_sim__send_net(s, herd_sim__ev(s, EV_M_OPEN, w->idx, c), 1);
    herd_sim__send_net(s, herd_sim__ev(s, EV_W_CONNECTED, w->idx, c), 0);
}

static void w_send(void *ctx, const struct herd_msg *m)
{
    struct simworker *w = ctx;
    struct herd_sim *s = w->s;
    struct simconn *k = herd_sim__conn(s, w->conn);
    if (k == NULL || !k->w_open)
        return;
    if (s->observe)
        s->observe(s->observe_arg, s, w->idx, 1, m);
    struct ev *e = herd_sim__ev(s, EV_M_MSG, w->idx, w->conn);
    herd_msg_copy(&e->msg, m);
    herd_sim__send_net(s, e, 1);
}

static void w_close(void *ctx)
{
    struct simworker *w = ctx;
    struct herd_sim *s = w->s;
    struct simconn *k = herd_sim__conn(s, w->conn);
    if (k != NULL && k->w_open) {
        k->w_open = 0;
        herd_sim__send_net(s, herd_sim__ev(s, EV_M_CLOSED, w->idx, w->conn), 1);
    }
    struct ev *e = herd_sim__ev(s, EV_W_DISCONNECTED, w->idx, w->conn);
    e->force = 1;
    w->conn = 0;
    herd_sim__schedule(s, e, s->now);
}

static uint32_t count_start(struct herd_sim *s, uint64_t task_id)
{
    uintptr_t n = (uintptr_t)herd_u64map_get(&s->starts, task_id) + 1;
    herd_u64map_put(&s->starts, task_id, (void *)n);
    return (uint32_t)n;
}

static uint32_t fail_first(const struct herd_msg_assign *a)
{
    for (uint32_t i = 1; i < a->nargv; i++)
        if (strncmp(a->argv[i], "fail=", 5) == 0)
            return (uint32_t)strtoul(a->argv[i] + 5, NULL, 10);
    return 0;
}

static uint64_t duration(struct herd_sim *s, const struct herd_msg_assign *a)
{
    char *end;
    if (a->nargv > 1) {
        unsigned long v = strtoul(a->argv[1], &end, 10);
        if (end != a->argv[1] && *end == '\0')
            return v;
    }
    uint32_t lo = s->cfg.task_min_ms, hi = s->cfg.task_max_ms;
    return lo + herd_rand_below(&s->rng, (uint64_t)(hi - lo) + 1);
}

static void fill_result(struct ev *e, const struct herd_msg_assign *a, int ok)
{
    char buf[128], out[256];
    struct herd_msg_result *r = &e->msg.u.result;
    e->msg.type = HERD_MSG_RESULT;
    r->attempt_id = a->attempt_id;
    r->job_id = a->job_id;
    r->task_id = a->task_id;
    r->status = ok ? HERD_RESULT_OK : HERD_RESULT_FAILED;
    r->exit_code = ok ? 0 : 1;
    herd_sim_expected_output(a->nargv, a->argv, buf, sizeof buf);
    int n = snprintf(out, sizeof out, "%s attempt=%" PRIx64, buf, a->attempt_id);
    r->stdout_len = (uint32_t)n;
    r->stdout_data = herd_xmalloc((size_t)n);
    memcpy(r->stdout_data, out, (size_t)n);
    r->error = herd_xstrdup("");
}

static int w_start(void *ctx, const struct herd_msg_assign *a)
{
    struct simworker *w = ctx;
    struct herd_sim *s = w->s;
    uint32_t cores = a->cores ? a->cores : 1;
    if (w->busy + cores > w->cores)
        s->stats.over_capacity++;
    int ok = count_start(s, a->task_id) > fail_first(a);
    struct ev *e = herd_sim__ev(s, EV_W_DONE, w->idx, 0);
    fill_result(e, a, ok);
    herd_xgrow((void **)&w->tasks, &w->captasks, w->ntasks + 1, sizeof *w->tasks);
    w->tasks[w->ntasks++] = (struct simtask){a->attempt_id, cores, e};
    w->busy += cores;
    if (w->busy > w->max_busy)
        w->max_busy = w->busy;
    s->stats.tasks_started++;
    herd_sim__schedule(s, e, s->now + duration(s, a));
    return 0;
}

static void w_kill(void *ctx, uint64_t attempt_id)
{
    struct simworker *w = ctx;
    struct herd_sim *s = w->s;
    for (size_t i = 0; i < w->ntasks; i++) {
        struct simtask *t = &w->tasks[i];
        if (t->attempt != attempt_id)
            continue;
        struct ev *e = herd_sim__ev(s, EV_W_DONE, w->idx, 0);
        herd_msg_copy(&e->msg, &t->done->msg);
        e->msg.u.result.status = HERD_RESULT_KILLED;
        e->msg.u.result.exit_code = -9;
        t->done->canceled = 1;
        t->done = e;
        herd_sim__schedule(s, e, s->now + 1);
        return;
    }
}

static void w_exit(void *ctx, int code)
{
    struct simworker *w = ctx;
    w->exited = 1;
    w->exit_code = code;
}

static uint64_t w_now(void *ctx)
{
    return ((struct simworker *)ctx)->s->now;
}

static uint64_t w_random(void *ctx)
{
    return herd_rand_next(&((struct simworker *)ctx)->s->rng);
}

struct herd_agent_io herd_sim__agent_io(struct simworker *w)
{
    return (struct herd_agent_io){w,      w_connect, w_send, w_close, w_start,
                                  w_kill, w_exit,    w_now,  w_random};
}

/* The task process ended: free its cores (the first time this event is
 * seen), then tell the agent. */
void herd_sim__task_done(struct simworker *w, struct ev *e)
{
    if (!e->physical_done) {
        e->physical_done = 1;
        for (size_t i = 0; i < w->ntasks; i++) {
            if (w->tasks[i].done == e) {
                w->busy -= w->tasks[i].cores;
                w->tasks[i] = w->tasks[--w->ntasks];
                w->s->stats.tasks_finished++;
                break;
            }
        }
    }
}

void herd_sim_expected_output(uint32_t nargv, char *const *argv, char *buf, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a over the words and their ends */
    for (uint32_t i = 0; i < nargv; i++) {
        for (const char *p = argv[i]; *p; p++)
            h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
        h = (h ^ 0xff) * 0x100000001b3ULL;
    }
    snprintf(buf, n, "value=%016" PRIx64, h);
}
