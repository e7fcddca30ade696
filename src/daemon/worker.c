#include "daemon/worker.h"

#include "base/log.h"
#include "base/mem.h"
#include "base/rand.h"
#include "net/conn.h"
#include "worker/dataplane.h"
#include "worker/agent.h"
#include "worker/gpart.h"
#include "net/tls.h"
#include "worker/agent.h"
#include "worker/funcs.h"
#include "worker/runner.h"
#include "worker/stage.h"

#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TICK_MS 50

struct daemon {
    uv_loop_t *loop;
    const struct herd_worker_config *cfg;
    struct herd_agent *agent;
    struct herd_runner *runner;
    struct herd_stage *stage;
    struct herd_funcs *funcs;
    struct herd_conn *conn;
    struct herd_dp *dp;        /* data-plane listener (graph jobs) */
    struct herd_gpart *gpart;  /* graph jobs' side of this worker */
    struct herd_tls *tls;      /* NULL = plain TCP; also dials the data plane */
    struct herd_tls *dp_tls;   /* the data-plane listener's side (server role) */
    struct herd_rand rng;
    uv_timer_t tick;
    uv_timer_t pump;           /* resumes paced output uploads (stage.h) */
    uv_prepare_t before_poll;  /* the agent's batched messages go out before the loop waits */
    uv_signal_t sigterm, sigint;
    uv_getaddrinfo_t resolve;
    struct addrinfo *addrs;    /* result of the last resolution */
    struct addrinfo *next_addr;
    int connected;             /* the current conn completed its TCP connect */
    int exit_code;
    int stopping;
};

static void try_next_address(struct daemon *d);
static void io_exit(void *ctx, int code);

static void conn_on_connect(struct herd_conn *c)
{
    struct daemon *d = herd_conn_data(c);
    d->connected = 1;
    herd_info("worker", "connected to the master at %s", herd_conn_peer(c));
    herd_agent_connected(d->agent);
}

static void conn_on_msg(struct herd_conn *c, const struct herd_msg *m)
{
    struct daemon *d = herd_conn_data(c);
    herd_agent_msg(d->agent, m);
}

static void conn_on_close(struct herd_conn *c, const char *why)
{
    struct daemon *d = herd_conn_data(c);
    if (c != d->conn)
        return; /* an old connection the agent already gave up on */
    int was_up = d->connected;
    d->conn = NULL;
    d->connected = 0;
    if (d->stopping)
        return;
    if (herd_conn_tls_refused(c)) {
        herd_error("worker", "TLS with the master at %s failed: %s; not retrying (check "
                             "--tls-cert, --tls-key and --tls-ca on both ends)",
                   herd_conn_peer(c), why);
        io_exit(d, 1);
        return;
    }
    if (!was_up) {
        herd_debug("worker", "connect %s failed: %s", herd_conn_peer(c), why);
        try_next_address(d);
        return;
    }
    herd_info("worker", "master connection closed: %s", why);
    herd_stage_disconnected(d->stage);
    herd_agent_disconnected(d->agent);
}

static const struct herd_conn_handler conn_handler = {conn_on_connect, conn_on_msg, conn_on_close};

static void try_next_address(struct daemon *d)
{
    struct herd_err e;
    while (d->next_addr != NULL) {
        struct addrinfo *ai = d->next_addr;
        d->next_addr = ai->ai_next;
        if (herd_conn_connect(d->loop, ai->ai_addr, &conn_handler, d, 0, &d->conn, &e) ==
            HERD_OK) {
            if (d->tls != NULL)
                herd_conn_start_tls(d->conn, d->tls, d->cfg->master_host);
            return;
        }
        herd_debug("worker", "%s", e.msg);
    }
    herd_warn("worker", "could not reach the master at %s:%u", d->cfg->master_host,
              d->cfg->master_port);
    herd_agent_disconnected(d->agent);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct daemon *d = req->data;
    if (d->addrs)
        uv_freeaddrinfo(d->addrs);
    d->addrs = res;
    d->next_addr = res;
    if (status != 0) {
        herd_warn("worker", "resolve %s: %s", d->cfg->master_host, uv_strerror(status));
        d->addrs = NULL;
        d->next_addr = NULL;
        herd_agent_disconnected(d->agent);
        return;
    }
    try_next_address(d);
}

static void io_connect(void *ctx)
{
    struct daemon *d = ctx;
    char port[16];
    snprintf(port, sizeof port, "%u", d->cfg->master_port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    d->resolve.data = d;
    int rc = uv_getaddrinfo(d->loop, &d->resolve, on_resolved, d->cfg->master_host, port, &hints);
    if (rc != 0) {
        herd_warn("worker", "resolve %s: %s", d->cfg->master_host, uv_strerror(rc));
        herd_agent_disconnected(d->agent);
    }
}

/* The agent's messages wait in the connection's batch until the loop is
 * about to wait for I/O again (results of tasks that finished together:
 * one write). */
static void io_send(void *ctx, const struct herd_msg *m)
{
    struct daemon *d = ctx;
    if (d->conn)
        herd_conn_send_batched(d->conn, m);
}

static void on_before_poll(uv_prepare_t *h)
{
    struct daemon *d = h->data;
    if (d->conn)
        herd_conn_flush(d->conn);
}

/* Closing detaches the connection at once: whatever the agent does next
 * (a reconnect) must not be confused with this connection's close. */
static void io_close(void *ctx)
{
    struct daemon *d = ctx;
    if (d->conn) {
        struct herd_conn *c = d->conn;
        d->conn = NULL;
        d->connected = 0;
        herd_conn_close(c, "closed by the worker");
        herd_stage_disconnected(d->stage);
    }
}

/* Ends an attempt that never ran (staging failed, killed while staging). */
static void report_end(struct daemon *d, const struct herd_msg_assign *a, uint8_t status,
                       const char *why)
{
    struct herd_msg_result r = {.attempt_id = a->attempt_id,
                                .job_id = a->job_id,
                                .task_id = a->task_id,
                                .status = status,
                                .exit_code = -1,
                                .error = (char *)why};
    herd_agent_task_done(d->agent, &r);
}

/* Every blob the attempt needs is cached: run it. */
static int start_now(struct daemon *d, const struct herd_msg_assign *a, struct herd_err *e)
{
    int rc = a->kind == HERD_TASK_FUNCTION ? herd_funcs_start(d->funcs, a, e)
                                           : herd_runner_start(d->runner, a, e);
    if (rc == HERD_OK)
        herd_debug("worker", "attempt %" PRIu64 " started (%s)", a->attempt_id, a->argv[0]);
    else
        herd_warn("worker", "attempt %" PRIu64 ": %s", a->attempt_id, e->msg);
    return rc;
}

static int io_start(void *ctx, const struct herd_msg_assign *a)
{
    struct daemon *d = ctx;
    struct herd_err e;
    herd_err_clear(&e);
    int staged = herd_stage_start(d->stage, a, &e);
    if (staged < 0) {
        herd_warn("worker", "attempt %" PRIu64 ": %s", a->attempt_id, e.msg);
        return -1;
    }
    if (staged == 0)
        return 0; /* stage_ready() starts it once its blobs are here */
    return start_now(d, a, &e) == HERD_OK ? 0 : -1;
}

static void stage_ready(void *ctx, const struct herd_msg_assign *a)
{
    struct daemon *d = ctx;
    struct herd_err e;
    herd_err_clear(&e);
    if (start_now(d, a, &e) != HERD_OK)
        report_end(d, a, HERD_RESULT_ERROR, e.msg);
}

static void stage_failed(void *ctx, const struct herd_msg_assign *a, const char *why)
{
    report_end(ctx, a, HERD_RESULT_ERROR, why);
}

static size_t stage_queued(void *ctx)
{
    struct daemon *d = ctx;
    return d->conn && d->connected ? herd_conn_queued(d->conn) : 0;
}

static void on_pump(uv_timer_t *t)
{
    struct daemon *d = t->data;
    herd_stage_pump(d->stage);
}

static void stage_later(void *ctx)
{
    struct daemon *d = ctx;
    if (!d->stopping && !uv_is_active((uv_handle_t *)&d->pump))
        uv_timer_start(&d->pump, on_pump, 1, 0);
}

static void stage_uploaded(void *ctx, const struct herd_msg_result *r)
{
    struct daemon *d = ctx;
    herd_agent_task_done(d->agent, r);
}

static int stage_send(void *ctx, const struct herd_msg *m)
{
    struct daemon *d = ctx;
    if (d->conn == NULL || !d->connected)
        return 0;
    herd_conn_send(d->conn, m);
    return 1;
}

static void io_other(void *ctx, const struct herd_msg *m)
{
    struct daemon *d = ctx;
    if (m->type == HERD_MSG_BLOB)
        herd_stage_blob(d->stage, &m->u.blob);
    else if (m->type == HERD_MSG_GRAPH && d->gpart)
        herd_gpart_msg(d->gpart, &m->u.graph);
}

static void io_kill(void *ctx, uint64_t attempt_id)
{
    struct daemon *d = ctx;
    herd_info("worker", "killing attempt %" PRIu64 " on the master's request", attempt_id);
    struct herd_msg_assign a = {.attempt_id = attempt_id};
    if (herd_stage_kill(d->stage, attempt_id)) {
        report_end(d, &a, HERD_RESULT_KILLED, "killed while staging inputs");
        return;
    }
    herd_runner_kill(d->runner, attempt_id);
    herd_funcs_kill(d->funcs, attempt_id);
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void io_exit(void *ctx, int code)
{
    struct daemon *d = ctx;
    d->exit_code = code;
    d->stopping = 1;
    uv_timer_stop(&d->tick);
    uv_signal_stop(&d->sigterm);
    uv_signal_stop(&d->sigint);
    uv_close((uv_handle_t *)&d->tick, NULL);
    uv_close((uv_handle_t *)&d->pump, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    if (d->conn)
        herd_conn_close(d->conn, "worker exiting");
}

static uint64_t io_now(void *ctx)
{
    struct daemon *d = ctx;
    uv_update_time(d->loop);
    return uv_now(d->loop);
}

static uint64_t io_random(void *ctx)
{
    struct daemon *d = ctx;
    return herd_rand_next(&d->rng);
}

static void on_task_done(void *arg, const struct herd_msg_result *r)
{
    struct daemon *d = arg;
    herd_debug("worker", "attempt %" PRIu64 " ended: status %u exit %d", r->attempt_id,
               r->status, r->exit_code);
    if (r->noutputs > 0)
        herd_stage_upload_paced(d->stage, r); /* the RESULT follows in stage_uploaded() */
    else
        herd_agent_task_done(d->agent, r);
}

static void gpart_send(void *ctx, const struct herd_msg *m)
{
    struct daemon *d = ctx;
    if (d->conn && d->connected)
        herd_conn_send(d->conn, m);
}

static void gpart_send_tail(void *ctx, const uint8_t *head, size_t head_len, const uint8_t *tail,
                            size_t tail_len, void (*done)(void *arg), void *arg)
{
    struct daemon *d = ctx;
    if (d->conn && d->connected)
        herd_conn_send_tail(d->conn, head, head_len, tail, tail_len, done, arg);
    else
        done(arg);
}

/* The data-plane listener ($HERD_DATA_HOST, default loopback; with a cluster
 * secret its connections are authenticated, without one it must stay on
 * loopback, like the master; with TLS every data-plane connection is TLS
 * with the same certificate, key and CA as the control connection) and the
 * graph side. */
static int setup_graph(struct daemon *d, const char *dir, uint32_t cores, struct herd_err *e)
{
    const struct herd_worker_config *cfg = d->cfg;
    const char *host = getenv("HERD_DATA_HOST");
    int rc = HERD_OK;
    if (d->tls != NULL) {
        struct herd_tls_config tc = {cfg->tls_cert, cfg->tls_key, cfg->tls_ca};
        rc = herd_tls_create(HERD_TLS_SERVER, &tc, &d->dp_tls, e);
    }
    if (rc == HERD_OK)
        rc = herd_dp_listen_tls(host && *host ? host : "127.0.0.1", 0, cfg->secret, d->dp_tls,
                                d->tls, &d->dp, e);
    if (rc == HERD_OK && d->tls != NULL)
        herd_info("worker", "data-plane connections use TLS%s",
                  cfg->tls_ca ? " (peers verified against --tls-ca)" : "");
    if (rc == HERD_OK)
        rc = herd_gpart_create(d->loop, d->dp, cores, dir, gpart_send, d, &d->gpart, e);
    if (rc == HERD_OK) {
        herd_gpart_set_queued(d->gpart, stage_queued); /* paces checkpoint uploads */
        herd_gpart_set_send_tail(d->gpart, gpart_send_tail);
    }
    return rc;
}

static void on_tick(uv_timer_t *t)
{
    struct daemon *d = t->data;
    herd_agent_tick(d->agent);
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct daemon *d = s->data;
    herd_info("worker", "signal %d: draining", signum);
    herd_agent_drain(d->agent);
}

static void default_id(char *buf, size_t n, uint64_t r)
{
    char host[128] = "worker";
    gethostname(host, sizeof host - 1);
    snprintf(buf, n, "%s-%06" PRIx64, host, r & 0xffffff);
}

/* The sandbox policy (--keep-sandboxes). */
static int setup_keep(struct daemon *d, const char *name, struct herd_err *e)
{
    enum herd_keep k = HERD_KEEP_FAILED;
    if (name != NULL && herd_keep_parse(name, &k) != 0)
        return herd_err_set(e, HERD_EINVAL, "--keep-sandboxes: expected failed, all or none, "
                                            "got '%.40s'", name);
    herd_runner_set_keep(d->runner, k);
    return HERD_OK;
}

/* Resolves cfg->run_as (a name, else a numeric uid) and hands it to the runner. */
static int setup_run_as(struct daemon *d, const char *user, struct herd_err *e)
{
    struct passwd *pw = getpwnam(user);
    char *end;
    unsigned long n = strtoul(user, &end, 10);
    if (pw == NULL && *user != '\0' && *end == '\0')
        pw = getpwuid((uid_t)n);
    if (pw == NULL)
        return herd_err_set(e, HERD_EINVAL, "--run-as %s: no such user", user);
    if (pw->pw_uid == 0)
        return herd_err_set(e, HERD_EINVAL, "--run-as %s: refusing to run tasks as root", user);
    int rc = herd_runner_set_user(d->runner, pw->pw_uid, pw->pw_gid, e);
    if (rc == HERD_OK)
        herd_info("worker", "tasks run as user %s (uid %u, gid %u)", pw->pw_name,
                  (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
    return rc;
}

static int setup(struct daemon *d, const struct herd_worker_config *cfg, char *idbuf, size_t idn,
                 char *dirbuf, size_t dirn, struct herd_err *e)
{
    herd_rand_seed(&d->rng, herd_wall_ms() ^ ((uint64_t)getpid() << 32));
    const char *id = cfg->worker_id;
    if (id == NULL) {
        default_id(idbuf, idn, herd_rand_next(&d->rng));
        id = idbuf;
    }
    const char *dir = cfg->work_dir;
    if (dir == NULL) {
        snprintf(dirbuf, dirn, "%s/herd-worker-%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                 id);
        dir = dirbuf;
    }
    int rc = HERD_OK;
    if (cfg->tls_cert || cfg->tls_key || cfg->tls_ca) {
        struct herd_tls_config tc = {cfg->tls_cert, cfg->tls_key, cfg->tls_ca};
        if (cfg->tls_cert == NULL || cfg->tls_key == NULL)
            return herd_err_set(e, HERD_EINVAL, "TLS: a worker needs --tls-cert and --tls-key "
                                                "(its data-plane listener serves TLS too)");
        rc = herd_tls_create(HERD_TLS_CLIENT, &tc, &d->tls, e);
        if (rc != HERD_OK)
            return rc;
    }
    rc = herd_runner_create(d->loop, dir, on_task_done, d, &d->runner, e);
    if (rc == HERD_OK)
        rc = setup_keep(d, cfg->keep_sandboxes, e);
    if (rc == HERD_OK && cfg->run_as != NULL)
        rc = setup_run_as(d, cfg->run_as, e);
    if (rc != HERD_OK)
        return rc;
    const struct herd_stage_io sio = {d,           stage_send,   stage_ready,   stage_failed,
                                      stage_queued, stage_later, stage_uploaded};
    if ((rc = herd_stage_create(dir, &sio, &d->stage, e)) != HERD_OK)
        return rc;
    rc = herd_funcs_create(d->loop, herd_stage_cache_dir(d->stage), 0, on_task_done, d,
                           &d->funcs, e);
    if (rc != HERD_OK)
        return rc;
    static const struct herd_agent_io io = {NULL,     io_connect, io_send, io_close, io_start,
                                            io_kill,  io_exit,    io_now,  io_random, io_other};
    struct herd_agent_io bound = io;
    bound.ctx = d;
    static char host[256] = ""; /* the agent keeps the pointer (found by ASan) */
    gethostname(host, sizeof host - 1);
    struct herd_agent_config ac = {.worker_id = id,
                                   .host = host,
                                   .cores = cfg->cores ? cfg->cores : (uint32_t)uv_available_parallelism(),
                                   .memory = cfg->memory ? cfg->memory : uv_get_total_memory(),
                                   .nlabels = cfg->nlabels,
                                   .labels = cfg->labels,
                                   .secret = cfg->secret};
    rc = setup_graph(d, dir, cfg->cores, e);
    if (rc != HERD_OK)
        return rc;
    ac.data_port = herd_dp_port(d->dp);
    static char data_host[256] = ""; /* kept by the agent, like host */
    snprintf(data_host, sizeof data_host, "%s", herd_dp_addr(d->dp));
    char *colon = strrchr(data_host, ':'); /* "host:port" -> "host" */
    if (colon)
        *colon = '\0';
    ac.data_host = data_host;
    herd_log_set_process(id);
    herd_info("worker", "worker %s: %u cores, work dir %s, master %s:%u", id, ac.cores, dir,
              cfg->master_host, cfg->master_port);
    return herd_agent_create(&ac, &bound, &d->agent, e);
}

int herd_worker_run(const struct herd_worker_config *cfg)
{
    struct daemon d = {.cfg = cfg, .loop = uv_default_loop()};
    struct herd_err e;
    char idbuf[160], dirbuf[512];
    herd_err_clear(&e);
    signal(SIGPIPE, SIG_IGN);
    if (setup(&d, cfg, idbuf, sizeof idbuf, dirbuf, sizeof dirbuf, &e) != HERD_OK) {
        herd_error("worker", "%s", e.msg);
        if (d.runner)
            herd_runner_destroy(d.runner);
        herd_dp_destroy(d.dp);
        herd_tls_destroy(d.dp_tls);
        herd_tls_destroy(d.tls);
        return 1;
    }
    uv_timer_init(d.loop, &d.tick);
    d.tick.data = &d;
    uv_timer_init(d.loop, &d.pump);
    d.pump.data = &d;
    uv_timer_start(&d.tick, on_tick, TICK_MS, TICK_MS);
    uv_prepare_init(d.loop, &d.before_poll);
    d.before_poll.data = &d;
    uv_prepare_start(&d.before_poll, on_before_poll);
    uv_unref((uv_handle_t *)&d.before_poll); /* never what keeps the worker running */
    uv_signal_init(d.loop, &d.sigterm);
    uv_signal_init(d.loop, &d.sigint);
    d.sigterm.data = d.sigint.data = &d;
    uv_signal_start(&d.sigterm, on_signal, SIGTERM);
    uv_signal_start(&d.sigint, on_signal, SIGINT);
    herd_agent_start(d.agent);
    uv_run(d.loop, UV_RUN_DEFAULT);
    d.stopping = 1;
    herd_gpart_destroy(d.gpart);
    herd_runner_destroy(d.runner);
    herd_funcs_destroy(d.funcs);
    uv_walk(d.loop, close_walk, NULL);
    uv_run(d.loop, UV_RUN_DEFAULT);
    herd_agent_destroy(d.agent);
    herd_dp_destroy(d.dp);
    herd_stage_destroy(d.stage);
    if (d.addrs)
        uv_freeaddrinfo(d.addrs);
    herd_tls_destroy(d.dp_tls);
    herd_tls_destroy(d.tls);
    uv_loop_close(d.loop);
    return d.exit_code;
}
