/* core_conn — the conversation on each worker connection: CHALLENGE, HELLO
 * (version, authentication, registration, reconciliation of what the worker
 * still runs), heartbeats both ways, RESULT, DRAIN, and closing. */
#include "base/log.h"
#include "base/mem.h"
#include "master/core_int.h"
#include "wire/frame.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *peer_of(const struct herd_core_conn *k, char *buf, size_t n)
{
    if (k->peer != NULL)
        return k->peer;
    snprintf(buf, n, "conn %" PRIu64, k->id);
    return buf;
}

void herd_core_conn_open(struct herd_core *c, uint64_t conn)
{
    struct herd_core_conn *k = herd_xcalloc(1, sizeof *k);
    k->id = conn;
    k->state = CONN_CHALLENGED;
    herd_auth_nonce(k->nonce);
    herd_u64map_put(&c->conns, conn, k);
    struct herd_msg m = {.type = HERD_MSG_CHALLENGE};
    m.u.challenge.proto = HERD_PROTO_VERSION;
    memcpy(m.u.challenge.nonce, k->nonce, HERD_NONCE_LEN);
    herd_core__send(c, conn, &m);
}

void herd_core_conn_peer(struct herd_core *c, uint64_t conn, const char *peer)
{
    struct herd_core_conn *k = herd_u64map_get(&c->conns, conn);
    if (k == NULL || peer == NULL)
        return;
    free(k->peer);
    k->peer = herd_xstrdup(peer);
}

/* The worker's registered connection is gone (closed or superseded). */
static void detach(struct herd_core *c, struct herd_core_conn *k, const char *why)
{
    struct herd_worker *w = k->worker;
    k->worker = NULL;
    if (w == NULL || w->conn != k->id)
        return;
    w->conn = 0;
    herd_gjobs_worker_gone(c, w); /* its data plane state is gone with it, most likely */
    if (w->state == HERD_WORKER_READY)
        herd_worker_set_state(&c->reg, w, HERD_WORKER_CONNECTING, why);
    else if (w->state == HERD_WORKER_DRAINING)
        herd_worker_set_state(&c->reg, w, w->nlive == 0 ? HERD_WORKER_GONE
                                                        : HERD_WORKER_CONNECTING, why);
}

void herd_core__close_conn(struct herd_core *c, struct herd_core_conn *k, const char *why)
{
    if (k->state == CONN_CLOSING)
        return;
    detach(c, k, why);
    k->state = CONN_CLOSING;
    c->io.close(c->io.ctx, k->id);
}

static void refuse(struct herd_core *c, struct herd_core_conn *k, int code, const char *reason)
{
    struct herd_msg m = {.type = HERD_MSG_REFUSE};
    m.u.refuse.code = (uint16_t)code;
    m.u.refuse.reason = (char *)reason;
    herd_core__send(c, k->id, &m);
    herd_core__close_conn(c, k, reason);
}

/* Version, identity and proof checks; refuses and returns non-zero on failure. */
static int check_hello(struct herd_core *c, struct herd_core_conn *k,
                       const struct herd_msg_hello *h)
{
    char reason[160], pb[48];
    const char *id = h->worker_id ? h->worker_id : "";
    if (h->proto != HERD_PROTO_VERSION) {
        snprintf(reason, sizeof reason, "protocol version %u not supported; master speaks %u",
                 h->proto, HERD_PROTO_VERSION);
        herd_warn("master", "worker %s from %s refused: %s", id, peer_of(k, pb, sizeof pb), reason);
        refuse(c, k, HERD_EVERSION, reason);
        return -1;
    }
    if (id[0] == '\0' || h->cores == 0) {
        herd_warn("master", "%s refused: HELLO without worker id or cores", peer_of(k, pb, sizeof pb));
        refuse(c, k, HERD_EINVAL, "HELLO needs a worker id and at least one core");
        return -1;
    }
    if (c->secret.len > 0) {
        uint8_t want[HERD_MAC_LEN];
        herd_auth_worker_mac(&c->secret, k->nonce, h->nonce, id, want);
        int ok = herd_auth_equal(want, h->mac);
        memset(want, 0, sizeof want);
        if (!ok) {
            herd_warn("master", "worker %s from %s refused: authentication failed", id,
                      peer_of(k, pb, sizeof pb));
            refuse(c, k, HERD_EAUTH, "authentication failed");
            return -1;
        }
    }
    return 0;
}

static void welcome(struct herd_core *c, struct herd_core_conn *k, const struct herd_msg_hello *h)
{
    struct herd_msg m = {.type = HERD_MSG_WELCOME};
    m.u.welcome.heartbeat_ms = c->cfg.heartbeat_ms;
    m.u.welcome.lost_after = c->cfg.lost_after;
    if (c->secret.len > 0)
        herd_auth_master_mac(&c->secret, h->nonce, k->nonce, m.u.welcome.mac);
    herd_core__send(c, k->id, &m);
}

/* Kills what the worker runs that the master does not know as its own;
 * marks which of its own attempts it reported (missing = 0). Returns the
 * number of attempts it runs that the master killed. */
static uint32_t reconcile(struct herd_core *c, struct herd_worker *w, const uint64_t *ids,
                          uint32_t n, int adopt)
{
    uint32_t zombies = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct herd_attempt *a = herd_u64map_get(&c->attempts, ids[i]);
        if (a != NULL && a->worker == w) {
            a->missing = 0;
            if (adopt && a->state == HERD_ATTEMPT_ORPHAN)
                herd_attempt_set_state(a, HERD_ATTEMPT_RUNNING, "adopted on reconnect", &c->ast);
            else if (adopt && a->state == HERD_ATTEMPT_KILLING)
                herd_core__send_kill(c, w, a->id);
            continue;
        }
        herd_info("master", "worker %s: killing attempt %" PRIx64 " it should not run", w->id,
                  ids[i]);
        herd_core__send_kill(c, w, ids[i]);
        zombies++;
    }
    return zombies;
}

static void mark_missing(struct herd_worker *w)
{
    struct herd_link *p;
    herd_list_each(p, &w->attempts)
        herd_container_of(p, struct herd_attempt, wlink)->missing = 1;
}

/* After HELLO: live attempts it did not report are done (their result may
 * follow) or never arrived. Killed ones are over; the others are resolved
 * at its next heartbeat. */
static void end_unreported_kills(struct herd_core *c, struct herd_worker *w)
{
    struct herd_link *p, *tmp;
    herd_list_each_safe(p, tmp, &w->attempts)
    {
        struct herd_attempt *a = herd_container_of(p, struct herd_attempt, wlink);
        if (a->missing && a->state == HERD_ATTEMPT_KILLING)
            herd_core__attempt_end(c, a, HERD_ATTEMPT_KILLED, NULL, "gone after reconnect");
    }
}

static void bind_worker(struct herd_core *c, struct herd_core_conn *k, struct herd_worker *w,
                        const struct herd_msg_hello *h)
{
    if (w->conn != 0 && w->conn != k->id) {
        struct herd_core_conn *old = herd_u64map_get(&c->conns, w->conn);
        if (old != NULL)
            herd_core__close_conn(c, old, "superseded by a new connection");
        w->conn = 0;
    }
    herd_worker_set_identity(w, h->host, h->nlabels, h->labels);
    w->cores = h->cores;
    w->memory = h->memory;
    w->data_port = h->data_port;
    free(w->data_host);
    w->data_host = herd_xstrdup(h->data_host ? h->data_host : "");
    w->conn = k->id;
    w->conn_gen++;
    w->last_seen = herd_core__now(c);
    w->wants_drain = 0;
    k->worker = w;
    k->state = CONN_REGISTERED;
}

static void on_hello(struct herd_core *c, struct herd_core_conn *k, const struct herd_msg_hello *h)
{
    char pb[48];
    if (check_hello(c, k, h) != 0)
        return;
    struct herd_worker *w = herd_registry_get(&c->reg, h->worker_id, herd_core__now(c));
    bind_worker(c, k, w, h);
    welcome(c, k, h);
    mark_missing(w);
    w->zombies = reconcile(c, w, h->running, h->nrunning, 1);
    end_unreported_kills(c, w);
    if (w->state != HERD_WORKER_READY)
        herd_worker_set_state(&c->reg, w, HERD_WORKER_READY, "registered");
    herd_info("master", "worker %s registered from %s: host %s, %u cores, %u running", w->id,
              peer_of(k, pb, sizeof pb), w->host, w->cores, h->nrunning);
}

/* Live attempts still flagged missing at a heartbeat never ran there. */
static void fail_missing(struct herd_core *c, struct herd_worker *w)
{
    struct herd_link *p, *tmp;
    herd_list_each_safe(p, tmp, &w->attempts)
    {
        struct herd_attempt *a = herd_container_of(p, struct herd_attempt, wlink);
        if (a->missing)
            herd_core__attempt_end(c, a, HERD_ATTEMPT_LOST, NULL, "not running on its worker");
    }
}

static void on_heartbeat(struct herd_core *c, struct herd_worker *w,
                         const struct herd_msg_heartbeat *hb)
{
    if (w->state == HERD_WORKER_LOST) {
        herd_worker_set_state(&c->reg, w, HERD_WORKER_READY, "heartbeat after loss");
        if (w->wants_drain)
            herd_worker_set_state(&c->reg, w, HERD_WORKER_DRAINING, "drain requested");
    }
    w->zombies = reconcile(c, w, hb->running, hb->nrunning, 0);
    fail_missing(c, w);
}

static void on_drain(struct herd_core *c, struct herd_worker *w)
{
    if (w->state == HERD_WORKER_READY)
        herd_worker_set_state(&c->reg, w, HERD_WORKER_DRAINING, "drain requested");
    else if (w->state == HERD_WORKER_LOST)
        w->wants_drain = 1;
}

static void registered_msg(struct herd_core *c, struct herd_core_conn *k, const struct herd_msg *m)
{
    struct herd_worker *w = k->worker;
    w->last_seen = herd_core__now(c);
    switch (m->type) {
    case HERD_MSG_HEARTBEAT:
        on_heartbeat(c, w, &m->u.heartbeat);
        break;
    case HERD_MSG_RESULT:
        herd_core__result(c, w, &m->u.result);
        break;
    case HERD_MSG_DRAIN:
        on_drain(c, w);
        break;
    case HERD_MSG_GRAPH:
        herd_gjobs_msg(c, w, &m->u.graph);
        break;
    case HERD_MSG_FETCH:
        herd_core__fetch(c, w, &m->u.fetch);
        break;
    case HERD_MSG_STORE:
        herd_core__store(c, w, &m->u.store);
        break;
    default:
        herd_warn("master", "worker %s: unexpected %s; closing", w->id,
                  herd_msg_type_name(m->type) ? herd_msg_type_name(m->type) : "message");
        herd_core__close_conn(c, k, "protocol error");
    }
}

void herd_core_conn_msg(struct herd_core *c, uint64_t conn, const struct herd_msg *m)
{
    char pb[48];
    struct herd_core_conn *k = herd_u64map_get(&c->conns, conn);
    if (k == NULL || k->state == CONN_CLOSING)
        return;
    if (k->state == CONN_CHALLENGED) {
        if (m->type == HERD_MSG_HELLO) {
            on_hello(c, k, &m->u.hello);
        } else {
            herd_warn("master", "%s: expected HELLO; closing", peer_of(k, pb, sizeof pb));
            herd_core__close_conn(c, k, "protocol error");
        }
    } else {
        registered_msg(c, k, m);
    }
    herd_core__dispatch(c);
    if (!c->cfg.batch_commits)
        herd_core__flush(c);
}

void herd_core_conn_closed(struct herd_core *c, uint64_t conn)
{
    struct herd_core_conn *k = herd_u64map_del(&c->conns, conn);
    if (k == NULL)
        return;
    detach(c, k, "connection closed");
    free(k->peer);
    free(k);
    herd_core__flush(c);
}

void herd_core__heartbeats(struct herd_core *c)
{
    struct herd_msg m = {.type = HERD_MSG_HEARTBEAT};
    m.u.heartbeat.seq = ++c->hb_seq;
    struct herd_link *p;
    herd_list_each(p, &c->reg.workers)
    {
        struct herd_worker *w = herd_container_of(p, struct herd_worker, link);
        herd_core__send(c, w->conn, &m);
    }
}
