/* Design notes. The core names connections by opaque u64 ids; this file maps
 * them to live `struct herd_conn`s through a slot table whose ids carry a
 * generation, so an id of a closed connection never reaches a new one. */
#include "daemon/master.h"

#include "api/http.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/rand.h"
#include "master/core.h"
#include "net/conn.h"
#include "net/tls.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TICK_MS 50
#define DEFAULT_MAX_CONNS 1024
#define DEFAULT_HANDSHAKE_MS 10000
#define REFUSE_LOG_EVERY_MS 1000

struct slot {
    struct herd_conn *conn;
    uint32_t gen;
    uint64_t opened_ms;
    int heard;                 /* a frame arrived: the handshake is the core's now */
    int batched;               /* frames wait in the conn's batch (listed in s->dirty) */
};

struct server {
    uv_loop_t *loop;
    const struct herd_master_config *cfg;
    struct herd_core *core;
    struct herd_http *http;
    struct herd_tls *tls;      /* NULL = plain TCP control connections */
    uv_tcp_t listener;
    uv_poll_t http_poll;
    uv_timer_t http_again;     /* MHD has more to do now (a long body): run it next iteration */
    uv_timer_t tick;
    uv_check_t commit;         /* one journal transaction per loop iteration */
    uv_prepare_t before_poll;  /* batched frames out before the loop waits */
    uint32_t *dirty;           /* slot indices with batched frames */
    size_t ndirty, capdirty;
    uv_signal_t sigterm, sigint;
    struct herd_rand rng;
    struct slot *slots;
    size_t nslots, capslots;
    uint64_t bad_frames;
    size_t nopen;              /* live control connections */
    uint64_t refused;          /* connections closed for the limit */
    uint64_t refused_logged;   /* `refused` at the last log line */
    uint64_t refuse_log_ms;
    const char *listen_host; /* where the control port listens */
    int stopping;
};

static uint64_t slot_add(struct server *s, struct herd_conn *c)
{
    size_t i = 0;
    while (i < s->nslots && s->slots[i].conn != NULL)
        i++;
    if (i == s->nslots) {
        herd_xgrow((void **)&s->slots, &s->capslots, s->nslots + 1, sizeof *s->slots);
        s->slots[s->nslots++] = (struct slot){NULL, 0};
    }
    s->slots[i].conn = c;
    s->slots[i].batched = 0;
    s->slots[i].gen++;
    s->slots[i].opened_ms = uv_now(s->loop);
    s->slots[i].heard = 0;
    s->nopen++;
    return ((uint64_t)s->slots[i].gen << 32) | (uint64_t)(i + 1);
}

static struct herd_conn *slot_get(struct server *s, uint64_t id)
{
    size_t i = (size_t)(id & 0xffffffffu);
    if (i == 0 || i > s->nslots)
        return NULL;
    struct slot *sl = &s->slots[i - 1];
    return sl->gen == (uint32_t)(id >> 32) ? sl->conn : NULL;
}

static void slot_del(struct server *s, uint64_t id)
{
    size_t i = (size_t)(id & 0xffffffffu);
    if (i >= 1 && i <= s->nslots && s->slots[i - 1].gen == (uint32_t)(id >> 32) &&
        s->slots[i - 1].conn != NULL) {
        s->slots[i - 1].conn = NULL;
        s->nopen--;
    }
}

/* --- core io --- */

/* The core's messages wait in their connection's batch until the end of
 * the loop iteration (flush_batches): a turn of ASSIGNs to one worker is
 * one write(), not one per task. */
static void io_send(void *ctx, uint64_t conn, const struct herd_msg *m)
{
    struct server *s = ctx;
    struct herd_conn *c = slot_get(s, conn);
    if (c == NULL)
        return;
    herd_conn_send_batched(c, m);
    struct slot *sl = &s->slots[(conn & 0xffffffffu) - 1];
    if (!sl->batched) {
        sl->batched = 1;
        herd_xgrow((void **)&s->dirty, &s->capdirty, s->ndirty + 1, sizeof *s->dirty);
        s->dirty[s->ndirty++] = (uint32_t)((conn & 0xffffffffu) - 1);
    }
}

static void flush_batches(struct server *s)
{
    for (size_t i = 0; i < s->ndirty; i++) {
        struct slot *sl = &s->slots[s->dirty[i]];
        if (sl->conn && sl->batched)
            herd_conn_flush(sl->conn);
        sl->batched = 0;
    }
    s->ndirty = 0;
}

static void on_before_poll(uv_prepare_t *h)
{
    flush_batches(h->data);
}

static void io_close(void *ctx, uint64_t conn)
{
    struct herd_conn *c = slot_get(ctx, conn);
    if (c)
        herd_conn_close(c, "closed by the master");
}

static uint64_t io_now(void *ctx)
{
    struct server *s = ctx;
    uv_update_time(s->loop);
    return uv_now(s->loop);
}

static uint64_t io_random(void *ctx)
{
    struct server *s = ctx;
    return herd_rand_next(&s->rng);
}

/* --- connections --- */

struct conn_ref {
    struct server *s;
    uint64_t id;
};

static void on_conn_msg(struct herd_conn *c, const struct herd_msg *m)
{
    struct conn_ref *ref = herd_conn_data(c);
    size_t i = (size_t)(ref->id & 0xffffffffu);
    ref->s->slots[i - 1].heard = 1;
    herd_core_conn_msg(ref->s->core, ref->id, m);
}

static void on_conn_close(struct herd_conn *c, const char *why)
{
    struct conn_ref *ref = herd_conn_data(c);
    struct server *s = ref->s;
    herd_debug("master", "connection %s closed: %s", herd_conn_peer(c), why);
    if (strncmp(why, "bad frame", 9) == 0)
        s->bad_frames++;
    slot_del(s, ref->id);
    if (!s->stopping)
        herd_core_conn_closed(s->core, ref->id);
    free(ref);
}

static const struct herd_conn_handler conn_handler = {NULL, on_conn_msg, on_conn_close};

/* --- limits: connection count and handshake time --- */

static void ignore_msg(struct herd_conn *c, const struct herd_msg *m)
{
    (void)c;
    (void)m;
}

static void ignore_close(struct herd_conn *c, const char *why)
{
    (void)c;
    (void)why;
}

static const struct herd_conn_handler refused_handler = {NULL, ignore_msg, ignore_close};

static uint32_t max_conns(const struct server *s)
{
    return s->cfg->max_conns ? s->cfg->max_conns : DEFAULT_MAX_CONNS;
}

/* Logs refusals at most once a second, with the count since the last line. */
static void log_refusals(struct server *s, const char *peer)
{
    uint64_t now = uv_now(s->loop);
    if (s->refused_logged != 0 && now - s->refuse_log_ms < REFUSE_LOG_EVERY_MS)
        return;
    herd_warn("master",
              "refusing control connection from %s: %zu open, the limit (--max-conns) is %u; "
              "%" PRIu64 " refused since the last report",
              peer, s->nopen, max_conns(s), s->refused - s->refused_logged);
    s->refused_logged = s->refused;
    s->refuse_log_ms = now;
}

/* Accepts and closes at once: the backlog drains, the peer sees a close. */
static void refuse_connection(struct server *s, uv_stream_t *server)
{
    struct herd_conn *c;
    struct herd_err e;
    if (herd_conn_accept(server, &refused_handler, NULL, 0, &c, &e) != HERD_OK)
        return;
    s->refused++;
    log_refusals(s, herd_conn_peer(c));
    herd_conn_close(c, "connection limit");
}

/* A TLS master's connection whose peer never said a word is most likely a
 * worker without TLS waiting for CHALLENGE: a plain REFUSE (HERD_EAUTH)
 * tells it why, and it exits instead of retrying forever. */
static void tell_plain_peer(struct server *s, struct herd_conn *c)
{
    if (s->tls == NULL)
        return;
    struct herd_msg m = {.type = HERD_MSG_REFUSE};
    m.u.refuse.code = HERD_EAUTH;
    m.u.refuse.reason = "this master requires TLS: start the worker with --tls-cert, "
                        "--tls-key and --tls-ca";
    if (herd_conn_send_plain(c, &m) == HERD_OK)
        herd_info("master", "%s: silent peer on the TLS port; told it in plain text that TLS "
                            "is required", herd_conn_peer(c));
}

/* Closes connections that have sent no frame within the handshake time. */
static void expire_handshakes(struct server *s)
{
    uint64_t limit = s->cfg->handshake_ms ? s->cfg->handshake_ms : DEFAULT_HANDSHAKE_MS;
    uint64_t now = uv_now(s->loop);
    for (size_t i = 0; i < s->nslots; i++) {
        struct slot *sl = &s->slots[i];
        if (sl->conn == NULL || sl->heard || now - sl->opened_ms < limit)
            continue;
        herd_info("master", "%s: no HELLO within %" PRIu64 " ms; closing",
                  herd_conn_peer(sl->conn), limit);
        tell_plain_peer(s, sl->conn);
        herd_conn_close(sl->conn, "handshake timeout");
        sl->heard = 1; /* once */
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    struct server *s = server->data;
    struct herd_conn *c;
    struct herd_err e;
    if (status != 0) {
        herd_warn("master", "accept: %s", uv_strerror(status));
        return;
    }
    if (s->nopen >= max_conns(s)) {
        refuse_connection(s, server);
        return;
    }
    struct conn_ref *ref = herd_xcalloc(1, sizeof *ref);
    ref->s = s;
    if (herd_conn_accept(server, &conn_handler, ref, 0, &c, &e) != HERD_OK) {
        herd_warn("master", "%s", e.msg);
        free(ref);
        return;
    }
    if (s->tls != NULL)
        herd_conn_start_tls(c, s->tls, NULL);
    ref->id = slot_add(s, c);
    herd_debug("master", "connection from %s", herd_conn_peer(c));
    herd_core_conn_open(s->core, ref->id);
}

/* --- timers, HTTP, signals --- */

static void run_http(struct server *s);

static void on_tick(uv_timer_t *t)
{
    struct server *s = t->data;
    expire_handshakes(s);
    herd_core_tick(s->core);
    if (s->http)
        run_http(s);
}

static void on_check(uv_check_t *h)
{
    struct server *s = h->data;
    if (s->core != NULL)
        herd_core_flush(s->core);
    flush_batches(s); /* the turn just dispatched, and this iteration's replies */
    herd_event_flush(); /* the event log is buffered per loop iteration */
}

static void on_http_again(uv_timer_t *t);

/* Runs MHD; when it says it has more to do at once (it reads a request body
 * one buffer per run, and its sockets are edge-triggered), runs it again on
 * the next loop iteration instead of at the next tick: a 2 MB submit took
 * 120 ticks, 6 s. */
static void run_http(struct server *s)
{
    herd_http_run(s->http);
    if (herd_http_timeout_ms(s->http) == 0)
        uv_timer_start(&s->http_again, on_http_again, 0, 0);
}

static void on_http_again(uv_timer_t *t)
{
    run_http(t->data);
}

static void on_http_ready(uv_poll_t *p, int status, int events)
{
    struct server *s = p->data;
    (void)status;
    (void)events;
    run_http(s);
}

/* Closes the loop's own handles; worker connections are closed through
 * herd_conn_close() so that their memory is released by their callbacks. */
static void close_walk(uv_handle_t *h, void *arg)
{
    struct server *s = arg;
    if (h->type == UV_TCP && h != (uv_handle_t *)&s->listener)
        return;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void close_all(struct server *s)
{
    s->stopping = 1;
    for (size_t i = 0; i < s->nslots; i++)
        if (s->slots[i].conn)
            herd_conn_close(s->slots[i].conn, "master shutting down");
    uv_walk(s->loop, close_walk, s);
    uv_run(s->loop, UV_RUN_DEFAULT);
}

static void on_signal(uv_signal_t *sig, int signum)
{
    struct server *s = sig->data;
    herd_info("master", "signal %d: shutting down", signum);
    s->stopping = 1;
    uv_stop(s->loop);
}

/* --- start-up --- */

static int bind_listener(struct server *s, const char *host, uint16_t port, uint16_t *bound,
                         struct herd_err *e)
{
    struct sockaddr_storage ss;
    int rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
    if (rc != 0)
        rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
    if (rc != 0)
        return herd_err_set(e, HERD_EINVAL, "listen address %s: not an IP address", host);
    uv_tcp_init(s->loop, &s->listener);
    s->listener.data = s;
    rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
    if (rc != 0)
        return herd_err_set(e, HERD_EIO, "listen %s:%u: %s", host, port, uv_strerror(rc));
    int len = sizeof ss;
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len);
    *bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return HERD_OK;
}

static int write_port_file(const char *path, uint16_t control, uint16_t http, struct herd_err *e)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return herd_err_set(e, HERD_EIO, "port file %s: %s", tmp, strerror(errno));
    fprintf(f, "control=%u\nhttp=%u\n", control, http);
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        return herd_err_set(e, HERD_EIO, "port file %s: %s", path, strerror(errno));
    return HERD_OK;
}

static int start_core(struct server *s, struct herd_err *e)
{
    const struct herd_master_config *cfg = s->cfg;
    char path[4096], blobs[4096], graph[4096];
    if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST)
        return herd_err_set(e, HERD_EIO, "data dir %s: %s", cfg->data_dir, strerror(errno));
    snprintf(path, sizeof path, "%s/events.jsonl", cfg->data_dir);
    if (herd_event_open(path) != 0)
        herd_warn("master", "cannot open the event log %s", path);
    herd_event_buffer(1); /* flushed by on_check() */
    snprintf(path, sizeof path, "%s/journal.db", cfg->data_dir);
    static const struct herd_core_io io = {NULL, io_send, io_close, io_now, io_random};
    struct herd_core_io bound = io;
    bound.ctx = s;
    snprintf(blobs, sizeof blobs, "%s/blobs", cfg->data_dir);
    snprintf(graph, sizeof graph, "%s/graph", cfg->data_dir);
    struct herd_core_config cc = {.journal_path = path,
                                  .secret = cfg->secret,
                                  .heartbeat_ms = cfg->heartbeat_ms,
                                  .lost_after = cfg->lost_after,
                                  .blob_dir = blobs,
                                  .graph_dir = graph,
                                  .max_queued = cfg->max_queued,
                                  .batch_commits = 1,
                                  .keep_finished = cfg->keep_finished,
                                  .keep_finished_ms = cfg->keep_finished_ms};
    if (cfg->keep_finished || cfg->keep_finished_ms)
        herd_info("master", "finished jobs in memory: the newest %u, each for at most %" PRIu64
                            " s (--keep-finished-jobs, --keep-finished-for)",
                  cfg->keep_finished ? cfg->keep_finished : 1000,
                  (cfg->keep_finished_ms ? cfg->keep_finished_ms : 600000) / 1000);
    return herd_core_create(&cc, &bound, &s->core, e);
}

static const char *listen_host(const struct herd_master_config *cfg);

/* The API listens where the control port does (loopback without a secret),
 * unless --http names another address. */
static int start_http(struct server *s, uint16_t control, uint16_t *http_port, struct herd_err *e)
{
    const struct herd_master_config *cfg = s->cfg;
    int port = cfg->http_port;
    if (port < 0) /* the documented convention: HTTP on the control port + 1 */
        port = control == UINT16_MAX ? 0 : control + 1;
    struct herd_http_config hc = {.host = cfg->http_host ? cfg->http_host : s->listen_host,
                                  .port = (uint16_t)port,
                                  .secret = cfg->secret,
                                  .max_conns = cfg->max_http_conns,
                                  .now = io_now,
                                  .now_ctx = s};
    int rc = herd_http_create(&hc, s->core, &s->http, e);
    if (rc != HERD_OK)
        return rc;
    *http_port = herd_http_port(s->http);
    uv_poll_init(s->loop, &s->http_poll, herd_http_fd(s->http));
    s->http_poll.data = s;
    uv_poll_start(&s->http_poll, UV_READABLE, on_http_ready);
    uv_timer_init(s->loop, &s->http_again);
    s->http_again.data = s;
    return HERD_OK;
}

static const char *listen_host(const struct herd_master_config *cfg)
{
    const char *host = cfg->listen_host ? cfg->listen_host : "127.0.0.1";
    int secure = cfg->secret && cfg->secret->len;
    if (!secure && strcmp(host, "127.0.0.1") != 0 && strcmp(host, "::1") != 0) {
        herd_warn("master", "no cluster secret configured: listening on 127.0.0.1 only "
                            "(give --secret-file to accept remote workers)");
        return "127.0.0.1";
    }
    if (!secure)
        herd_info("master", "no cluster secret configured: loopback only, no authentication");
    return host;
}

static int start_tls(struct server *s, struct herd_err *e)
{
    const struct herd_master_config *cfg = s->cfg;
    if (cfg->tls_cert == NULL && cfg->tls_key == NULL && cfg->tls_ca == NULL)
        return HERD_OK;
    struct herd_tls_config tc = {cfg->tls_cert, cfg->tls_key, cfg->tls_ca};
    int rc = herd_tls_create(HERD_TLS_SERVER, &tc, &s->tls, e);
    if (rc == HERD_OK)
        herd_info("master", "control connections use TLS%s",
                  cfg->tls_ca ? "; workers must present a certificate from the CA" : "");
    return rc;
}

static int start(struct server *s, struct herd_err *e)
{
    uint16_t control = 0, http = 0;
    int rc = start_tls(s, e);
    if (rc == HERD_OK)
        rc = start_core(s, e);
    if (rc == HERD_OK)
        rc = bind_listener(s, s->listen_host = listen_host(s->cfg), s->cfg->listen_port, &control, e);
    if (rc == HERD_OK)
        rc = start_http(s, control, &http, e);
    if (rc == HERD_OK && s->cfg->port_file)
        rc = write_port_file(s->cfg->port_file, control, http, e);
    if (rc == HERD_OK)
        herd_info("master", "listening: workers on port %u, HTTP API on port %u, data in %s",
                  control, http, s->cfg->data_dir);
    return rc;
}

static void start_loop_handles(struct server *s)
{
    uv_timer_init(s->loop, &s->tick);
    s->tick.data = s;
    uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);
    uv_check_init(s->loop, &s->commit);
    s->commit.data = s;
    uv_check_start(&s->commit, on_check);
    uv_prepare_init(s->loop, &s->before_poll);
    s->before_poll.data = s;
    uv_prepare_start(&s->before_poll, on_before_poll);
    uv_signal_init(s->loop, &s->sigterm);
    uv_signal_init(s->loop, &s->sigint);
    s->sigterm.data = s->sigint.data = s;
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
}

int herd_master_run(const struct herd_master_config *cfg)
{
    struct server s = {.cfg = cfg, .loop = uv_default_loop()};
    struct herd_err e;
    herd_err_clear(&e);
    signal(SIGPIPE, SIG_IGN);
    herd_log_set_process("master");
    herd_rand_seed(&s.rng, herd_wall_ms() ^ (uint64_t)getpid());
    start_loop_handles(&s);
    int rc = start(&s, &e);
    if (rc != HERD_OK)
        herd_error("master", "%s", e.msg);
    else
        uv_run(s.loop, UV_RUN_DEFAULT);
    close_all(&s);
    if (s.http)
        herd_http_destroy(s.http);
    if (s.core)
        herd_core_destroy(s.core);
    herd_event_open(NULL);
    free(s.slots);
    free(s.dirty);
    herd_tls_destroy(s.tls);
    uv_loop_close(s.loop);
    herd_info("master", "stopped");
    return rc == HERD_OK ? 0 : 1;
}
