/* Design notes. The agent is a small state machine over one connection at a
 * time (enum conn_state) plus two sets that outlive connections: the attempts
 * running here and the results not yet handed to a master. Every state change
 * goes through set_state(). Time only moves when the binding calls tick() or
 * delivers an event; deadlines are absolute io->now() values. */
#include "worker/agent.h"

#include "base/log.h"
#include "base/mem.h"
#include "base/version.h"
#include "wire/frame.h"

#include <stdlib.h>
#include <string.h>

enum conn_state {
    ST_IDLE,         /* not started */
    ST_BACKOFF,      /* waiting to reconnect */
    ST_CONNECTING,   /* io->connect() in progress */
    ST_CHALLENGE,    /* connected, waiting for CHALLENGE */
    ST_WELCOME,      /* HELLO sent, waiting for WELCOME */
    ST_READY,        /* registered */
    ST_EXITED
};

static const char *const state_names[] = {"idle",    "backoff", "connecting", "challenge",
                                          "welcome", "ready",   "exited"};

struct running {
    uint64_t attempt_id;
    uint32_t cores;
};

struct herd_agent {
    struct herd_agent_config cfg;
    struct herd_agent_io io;
    enum conn_state state;
    uint32_t failures;        /* consecutive failed connections, for backoff */
    uint64_t reconnect_at;
    uint64_t heartbeat_ms;
    uint32_t lost_after;
    uint64_t next_heartbeat;
    uint64_t last_heard;      /* last message from the master */
    uint64_t hb_seq;
    int draining;
    uint8_t nonce[HERD_NONCE_LEN];
    uint8_t master_nonce[HERD_NONCE_LEN];
    struct running *run;
    size_t nrun, caprun;
    struct herd_msg_result *held; /* results waiting for a registered connection */
    size_t nheld, capheld;
};

static void set_state(struct herd_agent *a, enum conn_state to)
{
    if (a->state == to)
        return;
    herd_debug("agent", "connection %s -> %s", state_names[a->state], state_names[to]);
    herd_event("worker-conn", a->cfg.worker_id, state_names[a->state], state_names[to], NULL);
    a->state = to;
}

int herd_agent_create(const struct herd_agent_config *cfg, const struct herd_agent_io *io,
                      struct herd_agent **out, struct herd_err *e)
{
    if (cfg->worker_id == NULL || cfg->worker_id[0] == '\0')
        return herd_err_set(e, HERD_EINVAL, "agent: worker id is required");
    struct herd_agent *a = herd_xcalloc(1, sizeof *a);
    a->cfg = *cfg;
    if (a->cfg.backoff_base_ms == 0)
        a->cfg.backoff_base_ms = 100;
    if (a->cfg.backoff_max_ms == 0)
        a->cfg.backoff_max_ms = 5000;
    a->io = *io;
    a->heartbeat_ms = 1000;
    a->lost_after = 3;
    *out = a;
    return HERD_OK;
}

static void free_result(struct herd_msg_result *r)
{
    free(r->stdout_data);
    free(r->stderr_data);
    free(r->error);
}

void herd_agent_destroy(struct herd_agent *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->nheld; i++)
        free_result(&a->held[i]);
    free(a->held);
    free(a->run);
    free(a);
}

static uint64_t now(struct herd_agent *a)
{
    return a->io.now(a->io.ctx);
}

static void send_msg(struct herd_agent *a, struct herd_msg *m)
{
    a->io.send(a->io.ctx, m);
}

static uint64_t backoff_delay(struct herd_agent *a)
{
    uint64_t d = a->cfg.backoff_base_ms;
    for (uint32_t i = 0; i < a->failures && d < a->cfg.backoff_max_ms; i++)
        d *= 2;
    if (d > a->cfg.backoff_max_ms)
        d = a->cfg.backoff_max_ms;
    /* jitter: uniform in [d/2, d) */
    uint64_t r = a->io.random(a->io.ctx);
    return d / 2 + (d > 1 ? r % (d - d / 2) : 0);
}

static void schedule_reconnect(struct herd_agent *a)
{
    uint64_t d = backoff_delay(a);
    a->failures++;
    a->reconnect_at = now(a) + d;
    set_state(a, ST_BACKOFF);
    herd_info("agent", "reconnecting to the master in %llu ms", (unsigned long long)d);
}

/* The agent gives up on the current connection itself: from now on results
 * are held, and a reconnect is scheduled (the binding's later
 * herd_agent_disconnected() for this connection is then a no-op). */
static void drop_connection(struct herd_agent *a)
{
    a->io.close(a->io.ctx);
    schedule_reconnect(a);
}

void herd_agent_start(struct herd_agent *a)
{
    set_state(a, ST_CONNECTING);
    a->io.connect(a->io.ctx);
}

void herd_agent_connected(struct herd_agent *a)
{
    if (a->state != ST_CONNECTING)
        return;
    a->last_heard = now(a);
    set_state(a, ST_CHALLENGE);
}

void herd_agent_disconnected(struct herd_agent *a)
{
    if (a->state == ST_EXITED || a->state == ST_BACKOFF)
        return;
    if (a->state == ST_READY)
        herd_warn("agent", "lost the master connection");
    schedule_reconnect(a);
}

static void running_ids(struct herd_agent *a, uint64_t **ids, uint32_t *n)
{
    *n = (uint32_t)a->nrun;
    *ids = herd_xcalloc(a->nrun ? a->nrun : 1, sizeof **ids);
    for (size_t i = 0; i < a->nrun; i++)
        (*ids)[i] = a->run[i].attempt_id;
}

static void send_hello(struct herd_agent *a, const struct herd_msg_challenge *c)
{
    struct herd_msg m = {.type = HERD_MSG_HELLO};
    struct herd_msg_hello *h = &m.u.hello;
    memcpy(a->master_nonce, c->nonce, HERD_NONCE_LEN);
    herd_auth_nonce(a->nonce);
    h->proto = HERD_PROTO_VERSION;
    h->herd_version = (char *)HERD_VERSION;
    h->worker_id = (char *)a->cfg.worker_id;
    h->host = (char *)(a->cfg.host ? a->cfg.host : "");
    h->data_port = a->cfg.data_port;
    h->data_host = (char *)(a->cfg.data_host ? a->cfg.data_host : "");
    h->cores = a->cfg.cores;
    h->memory = a->cfg.memory;
    h->nlabels = a->cfg.nlabels;
    h->labels = (char **)a->cfg.labels;
    memcpy(h->nonce, a->nonce, HERD_NONCE_LEN);
    if (a->cfg.secret && a->cfg.secret->len)
        herd_auth_worker_mac(a->cfg.secret, c->nonce, a->nonce, a->cfg.worker_id, h->mac);
    running_ids(a, &h->running, &h->nrunning);
    send_msg(a, &m);
    free(h->running);
    set_state(a, ST_WELCOME);
}

static void send_result(struct herd_agent *a, const struct herd_msg_result *r)
{
    struct herd_msg m = {.type = HERD_MSG_RESULT};
    m.u.result = *r;
    send_msg(a, &m);
}

static void flush_held(struct herd_agent *a)
{
    for (size_t i = 0; i < a->nheld; i++) {
        send_result(a, &a->held[i]);
        free_result(&a->held[i]);
    }
    a->nheld = 0;
}

static int master_proof_ok(struct herd_agent *a, const struct herd_msg_welcome *w)
{
    if (a->cfg.secret == NULL || a->cfg.secret->len == 0)
        return 1;
    uint8_t want[HERD_MAC_LEN];
    herd_auth_master_mac(a->cfg.secret, a->nonce, a->master_nonce, want);
    return herd_auth_equal(want, w->mac);
}

static void on_welcome(struct herd_agent *a, const struct herd_msg_welcome *w)
{
    if (!master_proof_ok(a, w)) {
        herd_error("agent", "the master failed to prove it knows the cluster secret; closing");
        drop_connection(a);
        return;
    }
    a->heartbeat_ms = w->heartbeat_ms ? w->heartbeat_ms : 1000;
    a->lost_after = w->lost_after ? w->lost_after : 3;
    a->failures = 0;
    a->next_heartbeat = now(a) + a->heartbeat_ms;
    set_state(a, ST_READY);
    herd_info("agent", "registered with the master as %s", a->cfg.worker_id);
    if (a->draining)
        send_msg(a, &(struct herd_msg){.type = HERD_MSG_DRAIN});
    flush_held(a);
}

static void on_refuse(struct herd_agent *a, const struct herd_msg_refuse *r)
{
    herd_error("agent", "the master refused this worker: %s", r->reason ? r->reason : "");
    if (r->code == HERD_EAUTH || r->code == HERD_EVERSION) {
        set_state(a, ST_EXITED);
        a->io.close(a->io.ctx);
        a->io.exit(a->io.ctx, 1);
        return;
    }
    drop_connection(a);
}

static uint32_t cores_used(const struct herd_agent *a)
{
    uint32_t u = 0;
    for (size_t i = 0; i < a->nrun; i++)
        u += a->run[i].cores;
    return u;
}

static void reject_assign(struct herd_agent *a, const struct herd_msg_assign *as, const char *why)
{
    struct herd_msg_result r = {.attempt_id = as->attempt_id,
                                .job_id = as->job_id,
                                .task_id = as->task_id,
                                .status = HERD_RESULT_ERROR,
                                .exit_code = -1,
                                .error = (char *)why};
    herd_warn("agent", "attempt %llu not started: %s", (unsigned long long)as->attempt_id, why);
    send_result(a, &r);
}

static int is_running(const struct herd_agent *a, uint64_t id)
{
    for (size_t i = 0; i < a->nrun; i++)
        if (a->run[i].attempt_id == id)
            return 1;
    return 0;
}

static void on_assign(struct herd_agent *a, const struct herd_msg_assign *as)
{
    uint32_t need = as->cores ? as->cores : 1;
    if (is_running(a, as->attempt_id))
        return;
    if (a->draining)
        return reject_assign(a, as, "worker is draining");
    if (a->cfg.cores && cores_used(a) + need > a->cfg.cores)
        return reject_assign(a, as, "worker over capacity");
    if (a->io.start(a->io.ctx, as) != 0)
        return reject_assign(a, as, "could not start the task");
    herd_xgrow((void **)&a->run, &a->caprun, a->nrun + 1, sizeof *a->run);
    a->run[a->nrun++] = (struct running){as->attempt_id, need};
}

void herd_agent_msg(struct herd_agent *a, const struct herd_msg *m)
{
    a->last_heard = now(a);
    if (a->state == ST_CHALLENGE && m->type == HERD_MSG_CHALLENGE)
        return send_hello(a, &m->u.challenge);
    if (m->type == HERD_MSG_REFUSE)
        return on_refuse(a, &m->u.refuse);
    if (a->state == ST_WELCOME && m->type == HERD_MSG_WELCOME)
        return on_welcome(a, &m->u.welcome);
    if (a->state != ST_READY) {
        herd_warn("agent", "unexpected %s before registration; closing",
                  herd_msg_type_name(m->type) ? herd_msg_type_name(m->type) : "message");
        drop_connection(a);
        return;
    }
    if (m->type == HERD_MSG_ASSIGN)
        on_assign(a, &m->u.assign);
    else if (m->type == HERD_MSG_KILL && is_running(a, m->u.kill.attempt_id))
        a->io.kill(a->io.ctx, m->u.kill.attempt_id);
    else if ((m->type == HERD_MSG_BLOB || m->type == HERD_MSG_GRAPH) && a->io.other != NULL)
        a->io.other(a->io.ctx, m);
}

static void copy_result(struct herd_msg_result *d, const struct herd_msg_result *s)
{
    *d = *s;
    d->stdout_data = herd_xmalloc(s->stdout_len ? s->stdout_len : 1);
    if (s->stdout_len)
        memcpy(d->stdout_data, s->stdout_data, s->stdout_len);
    d->stderr_data = herd_xmalloc(s->stderr_len ? s->stderr_len : 1);
    if (s->stderr_len)
        memcpy(d->stderr_data, s->stderr_data, s->stderr_len);
    d->error = herd_xstrdup(s->error ? s->error : "");
}

static void maybe_exit(struct herd_agent *a)
{
    if (!a->draining || a->nrun > 0 || a->state == ST_EXITED)
        return;
    if (a->nheld > 0 && a->state != ST_BACKOFF && a->state != ST_CONNECTING)
        return; /* let held results go first */
    herd_info("agent", "drained: no attempts left, exiting");
    set_state(a, ST_EXITED);
    a->io.close(a->io.ctx);
    a->io.exit(a->io.ctx, 0);
}

void herd_agent_task_done(struct herd_agent *a, const struct herd_msg_result *r)
{
    for (size_t i = 0; i < a->nrun; i++) {
        if (a->run[i].attempt_id == r->attempt_id) {
            a->run[i] = a->run[--a->nrun];
            break;
        }
    }
    if (a->state == ST_READY) {
        send_result(a, r);
    } else {
        herd_xgrow((void **)&a->held, &a->capheld, a->nheld + 1, sizeof *a->held);
        copy_result(&a->held[a->nheld++], r);
    }
    maybe_exit(a);
}

static void send_heartbeat(struct herd_agent *a)
{
    struct herd_msg m = {.type = HERD_MSG_HEARTBEAT};
    m.u.heartbeat.seq = ++a->hb_seq;
    running_ids(a, &m.u.heartbeat.running, &m.u.heartbeat.nrunning);
    send_msg(a, &m);
    free(m.u.heartbeat.running);
}

void herd_agent_tick(struct herd_agent *a)
{
    uint64_t t = now(a);
    if (a->state == ST_BACKOFF && t >= a->reconnect_at) {
        herd_agent_start(a);
        return;
    }
    if (a->state < ST_CHALLENGE || a->state == ST_EXITED)
        return;
    if (t - a->last_heard > (uint64_t)a->heartbeat_ms * a->lost_after) {
        herd_warn("agent", "the master has been silent for %llu ms; reconnecting",
                  (unsigned long long)(t - a->last_heard));
        drop_connection(a);
        return;
    }
    if (a->state == ST_READY && t >= a->next_heartbeat) {
        send_heartbeat(a);
        a->next_heartbeat = t + a->heartbeat_ms;
    }
}

uint64_t herd_agent_next_deadline(struct herd_agent *a)
{
    uint64_t t = now(a);
    if (a->state == ST_BACKOFF)
        return a->reconnect_at > t ? a->reconnect_at - t : 0;
    if (a->state < ST_CHALLENGE || a->state == ST_EXITED)
        return UINT64_MAX;
    uint64_t silent = a->last_heard + (uint64_t)a->heartbeat_ms * a->lost_after + 1;
    uint64_t next = silent;
    if (a->state == ST_READY && a->next_heartbeat < next)
        next = a->next_heartbeat;
    return next > t ? next - t : 0;
}

void herd_agent_drain(struct herd_agent *a)
{
    if (a->draining)
        return;
    a->draining = 1;
    herd_info("agent", "draining: %zu attempt(s) still running", a->nrun);
    if (a->state == ST_READY)
        send_msg(a, &(struct herd_msg){.type = HERD_MSG_DRAIN});
    maybe_exit(a);
}

uint32_t herd_agent_running(const struct herd_agent *a)
{
    return (uint32_t)a->nrun;
}
