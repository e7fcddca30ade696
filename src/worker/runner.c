#include "worker/runner.h"

#include "base/log.h"
#include "base/mem.h"
#include "worker/spawn.h"
#include "worker/stage.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

struct capture {
    uv_pipe_t pipe;
    struct proc *owner;
    uint8_t *data;
    size_t len, cap;
    int open;
};

struct proc {
    struct herd_runner *r;
    struct proc *next;
    uv_process_t process; /* uv_spawn (run-as user, no pidfd) ... */
    struct herd_spawn sp; /* ... or posix_spawn + pidfd (worker/spawn.h) */
    int fast;             /* which of the two */
    pid_t pid;            /* the child, leader of its process group */
    uv_timer_t timer;
    struct capture out, err;
    uint64_t attempt_id, job_id, task_id;
    int exited, killed, timed_out;
    int64_t exit_status;
    int term_signal;
    int handles; /* open uv handles left to close */
    uint32_t noutputs;
    char **outputs; /* declared output names (copies) */
    char rbuf[16384];
};

struct herd_runner {
    uv_loop_t *loop;
    char *work_dir;
    herd_runner_done_fn done;
    void *arg;
    struct proc *procs;
    size_t count;
    int destroying;
    int fast_ok;       /* posix_spawn + pidfd usable (else uv_spawn) */
    int run_as;        /* attempts run as uid/gid below */
    uid_t uid;
    gid_t gid;
    enum herd_keep keep;  /* which sandboxes stay (worker/sweep.h) */
    struct herd_sweep *sweep;
};

int herd_runner_create(uv_loop_t *loop, const char *work_dir, herd_runner_done_fn done, void *arg,
                       struct herd_runner **out, struct herd_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sandbox", work_dir);
    if ((mkdir(work_dir, 0700) != 0 && errno != EEXIST) ||
        (mkdir(path, 0700) != 0 && errno != EEXIST))
        return herd_err_set(e, HERD_EIO, "work dir %s: %s", path, strerror(errno));
    struct herd_runner *r = herd_xcalloc(1, sizeof *r);
    r->loop = loop;
    r->work_dir = herd_xstrdup(work_dir);
    r->sweep = herd_sweep_create(loop, path);
    r->done = done;
    r->arg = arg;
    const char *how = getenv("HERD_SPAWN"); /* "uv": always uv_spawn (benchmarks) */
    r->fast_ok = herd_spawn_supported() && !(how != NULL && strcmp(how, "uv") == 0);
    *out = r;
    return HERD_OK;
}

int herd_runner_set_user(struct herd_runner *r, uid_t uid, gid_t gid, struct herd_err *e)
{
    char path[4096];
    if (geteuid() != 0)
        return herd_err_set(e, HERD_EINVAL, "running tasks as uid %u needs root",
                            (unsigned)uid);
    snprintf(path, sizeof path, "%s/sandbox", r->work_dir);
    if (chmod(r->work_dir, 0711) != 0 || chmod(path, 0711) != 0)
        return herd_err_set(e, HERD_EIO, "work dir %s: %s", path, strerror(errno));
    r->run_as = 1;
    r->uid = uid;
    r->gid = gid;
    return HERD_OK;
}

void herd_runner_set_keep(struct herd_runner *r, enum herd_keep k)
{
    r->keep = k;
}

static void maybe_free_runner(struct herd_runner *r)
{
    if (r->destroying && r->procs == NULL) {
        herd_sweep_destroy(r->sweep);
        free(r->work_dir);
        free(r);
    }
}

static void unlink_proc(struct proc *p)
{
    struct proc **pp = &p->r->procs;
    while (*pp && *pp != p)
        pp = &(*pp)->next;
    if (*pp)
        *pp = p->next;
    p->r->count--;
}

static void on_handle_closed(uv_handle_t *h)
{
    struct proc *p = h->data;
    if (--p->handles > 0)
        return;
    struct herd_runner *r = p->r;
    free(p->out.data);
    free(p->err.data);
    for (uint32_t i = 0; i < p->noutputs; i++)
        free(p->outputs[i]);
    free(p->outputs);
    free(p);
    maybe_free_runner(r);
}

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, on_handle_closed);
}

static void close_child(struct proc *p)
{
    if (!p->fast)
        close_handle((uv_handle_t *)&p->process);
    else if (!uv_is_closing((uv_handle_t *)&p->sp.poll))
        herd_spawn_close(&p->sp, on_handle_closed);
}

static int collect(struct proc *p, char ***entries, struct herd_err *e)
{
    char sandbox[4096], cache[4096];
    snprintf(sandbox, sizeof sandbox, "%s/sandbox/%" PRIu64, p->r->work_dir, p->attempt_id);
    snprintf(cache, sizeof cache, "%s/cache", p->r->work_dir);
    herd_err_clear(e);
    return herd_stage_collect_outputs(cache, sandbox, p->outputs, p->noutputs, entries, e);
}

static void finish(struct proc *p)
{
    if (!p->exited || p->out.open || p->err.open)
        return;
    struct herd_msg_result res = {.attempt_id = p->attempt_id,
                                  .job_id = p->job_id,
                                  .task_id = p->task_id,
                                  .stdout_len = (uint32_t)p->out.len,
                                  .stdout_data = p->out.data,
                                  .stderr_len = (uint32_t)p->err.len,
                                  .stderr_data = p->err.data,
                                  .error = (char *)""};
    if (p->timed_out) {
        res.status = HERD_RESULT_TIMEOUT;
        res.error = (char *)"timed out; process group killed";
    } else if (p->killed) {
        res.status = HERD_RESULT_KILLED;
    } else {
        res.status = (p->exit_status == 0 && p->term_signal == 0) ? HERD_RESULT_OK
                                                                  : HERD_RESULT_FAILED;
    }
    res.exit_code = p->term_signal ? -p->term_signal : (int32_t)p->exit_status;
    char **entries = NULL;
    struct herd_err e;
    if (res.status == HERD_RESULT_OK && p->noutputs > 0 && collect(p, &entries, &e) != HERD_OK) {
        res.status = HERD_RESULT_FAILED;
        res.error = e.msg;
    }
    res.noutputs = entries ? p->noutputs : 0;
    res.outputs = entries;
    unlink_proc(p);
    if (!p->r->destroying)
        p->r->done(p->r->arg, &res);
    for (uint32_t i = 0; i < res.noutputs; i++)
        free(entries[i]);
    free(entries);
    if (!herd_keep_sandbox(p->r->keep, res.status)) {
        char sandbox[4096];
        snprintf(sandbox, sizeof sandbox, "%s/sandbox/%" PRIu64, p->r->work_dir, p->attempt_id);
        herd_sweep_add(p->r->sweep, sandbox);
    }
    close_handle((uv_handle_t *)&p->timer);
    close_child(p);
    close_handle((uv_handle_t *)&p->out.pipe);
    close_handle((uv_handle_t *)&p->err.pipe);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct proc *p = h->data;
    (void)hint;
    buf->base = p->rbuf;
    buf->len = sizeof p->rbuf;
}

static void keep(struct capture *c, const char *p, size_t n)
{
    if (c->len >= HERD_RUNNER_OUTPUT_MAX)
        return;
    if (n > HERD_RUNNER_OUTPUT_MAX - c->len)
        n = HERD_RUNNER_OUTPUT_MAX - c->len;
    herd_xgrow((void **)&c->data, &c->cap, c->len + n, 1);
    memcpy(c->data + c->len, p, n);
    c->len += n;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct capture *c = (struct capture *)s; /* the pipe is the first member */
    if (n > 0) {
        keep(c, buf->base, (size_t)n);
        return;
    }
    if (n == 0)
        return;
    c->open = 0;
    uv_read_stop(s);
    finish(c->owner);
}

static void exited(struct proc *p, int64_t status, int sig)
{
    p->exited = 1;
    p->exit_status = status;
    p->term_signal = sig;
    uv_timer_stop(&p->timer);
    kill(-p->pid, SIGKILL); /* stragglers of the group must not outlive the task */
    finish(p);
}

static void on_exit_cb(uv_process_t *proc, int64_t status, int sig)
{
    exited(proc->data, status, sig);
}

static void on_spawn_exit(struct herd_spawn *s, int64_t status, int sig)
{
    exited(s->data, status, sig);
}

static void on_timeout(uv_timer_t *t)
{
    struct proc *p = t->data;
    herd_warn("runner", "attempt %" PRIu64 " timed out; killing its process group",
              p->attempt_id);
    p->timed_out = 1;
    kill(-p->pid, SIGKILL);
}

/* The child's environment: ours, the task's, and HERD_ATTEMPT (written into
 * `var`, which must outlive the spawn). */
static char **build_env(const struct herd_msg_assign *a, char *var, size_t varlen)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = herd_xcalloc(n + a->nenv + 2, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        env[k++] = environ[i];
    for (uint32_t i = 0; i < a->nenv; i++)
        env[k++] = a->env[i];
    snprintf(var, varlen, "HERD_ATTEMPT=%" PRIu64, a->attempt_id);
    env[k++] = var;
    return env;
}

static int make_sandbox(struct herd_runner *r, uint64_t id, char *path, size_t n,
                        struct herd_err *e)
{
    snprintf(path, n, "%s/sandbox/%" PRIu64, r->work_dir, id);
    if (!herd_sweep_reuse(r->sweep, path) && mkdir(path, 0700) != 0 && errno != EEXIST)
        return herd_err_set(e, HERD_EIO, "sandbox %s: %s", path, strerror(errno));
    if (r->run_as && chown(path, r->uid, r->gid) != 0)
        return herd_err_set(e, HERD_EIO, "sandbox %s: chown: %s", path, strerror(errno));
    return HERD_OK;
}

static void init_capture(struct herd_runner *r, struct proc *p, struct capture *c)
{
    uv_pipe_init(r->loop, &c->pipe, 0);
    c->pipe.data = p;
    c->owner = p;
    c->open = 1;
}

/* uv_spawn: fork + exec, libuv's pipes; the only way to run as another user. */
static int spawn_uv(struct herd_runner *r, struct proc *p, const struct herd_msg_assign *a,
                    char **argv, char **env, const char *cwd, struct herd_err *e)
{
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&p->out.pipe;
    stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[2].data.stream = (uv_stream_t *)&p->err.pipe;
    uv_process_options_t o = {.exit_cb = on_exit_cb,
                              .file = argv[0],
                              .args = argv,
                              .env = env,
                              .cwd = cwd,
                              .flags = UV_PROCESS_DETACHED,
                              .stdio_count = 3,
                              .stdio = stdio};
    if (r->run_as) {
        o.flags |= UV_PROCESS_SETUID | UV_PROCESS_SETGID;
        o.uid = r->uid;
        o.gid = r->gid;
    }
    p->process.data = p;
    int rc = uv_spawn(r->loop, &p->process, &o);
    if (rc != 0)
        return herd_err_set(e, HERD_EIO, "spawn %s: %s", a->argv[0], uv_strerror(rc));
    p->pid = p->process.pid;
    return HERD_OK;
}

/* posix_spawn with our own pipes; the read ends go to the capture pipes. */
static int spawn_fast(struct herd_runner *r, struct proc *p, char **argv, char **env,
                      const char *cwd, struct herd_err *e)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        herd_err_set(e, HERD_EIO, "spawn %s: pipe: %s", argv[0], strerror(errno));
        goto fail;
    }
    struct herd_spawn_opts o = {.file = argv[0], .argv = argv, .env = env, .cwd = cwd,
                                .out_fd = out[1], .err_fd = err[1]};
    p->sp.data = p;
    if (herd_spawn_start(r->loop, &p->sp, &o, on_spawn_exit, e) != HERD_OK)
        goto fail;
    p->sp.poll.data = p;
    p->pid = p->sp.pid;
    close(out[1]);
    close(err[1]);
    uv_pipe_open(&p->out.pipe, out[0]); /* cannot fail for a fresh pipe fd */
    uv_pipe_open(&p->err.pipe, err[0]);
    return HERD_OK;
fail:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (err[i] >= 0)
            close(err[i]);
    }
    return HERD_EIO;
}

static int spawn(struct herd_runner *r, struct proc *p, const struct herd_msg_assign *a,
                 const char *cwd, struct herd_err *e)
{
    char **argv = herd_xcalloc(a->nargv + 1, sizeof *argv);
    memcpy(argv, a->argv, a->nargv * sizeof *argv);
    char attempt_var[64];
    char **env = build_env(a, attempt_var, sizeof attempt_var);
    p->fast = r->fast_ok && !r->run_as;
    int rc = p->fast ? spawn_fast(r, p, argv, env, cwd, e) : spawn_uv(r, p, a, argv, env, cwd, e);
    free(argv);
    free(env);
    return rc;
}

static void abandon(struct proc *p)
{
    p->handles = p->fast ? 3 : 4; /* a failed posix_spawn left no poll handle */
    p->out.open = p->err.open = 0;
    if (!p->fast)
        uv_close((uv_handle_t *)&p->process, on_handle_closed);
    uv_close((uv_handle_t *)&p->out.pipe, on_handle_closed);
    uv_close((uv_handle_t *)&p->err.pipe, on_handle_closed);
    uv_close((uv_handle_t *)&p->timer, on_handle_closed);
}

int herd_runner_start(struct herd_runner *r, const struct herd_msg_assign *a, struct herd_err *e)
{
    char cwd[4096];
    if (a->kind != HERD_TASK_COMMAND)
        return herd_err_set(e, HERD_EUNSUPPORTED, "task kind %u not supported", a->kind);
    if (a->nargv == 0 || a->argv[0][0] == '\0')
        return herd_err_set(e, HERD_EINVAL, "empty argv");
    int rc = make_sandbox(r, a->attempt_id, cwd, sizeof cwd, e);
    if (rc != HERD_OK)
        return rc;
    if (a->ninputs > 0) {
        char cache[4096];
        snprintf(cache, sizeof cache, "%s/cache", r->work_dir);
        if ((rc = herd_stage_link_inputs(cache, a, cwd, e)) != HERD_OK)
            return rc;
    }
    struct proc *p = herd_xcalloc(1, sizeof *p);
    p->r = r;
    p->attempt_id = a->attempt_id;
    p->job_id = a->job_id;
    p->task_id = a->task_id;
    if (a->noutputs > 0) {
        p->noutputs = a->noutputs;
        p->outputs = herd_xcalloc(a->noutputs, sizeof *p->outputs);
        for (uint32_t i = 0; i < a->noutputs; i++)
            p->outputs[i] = herd_xstrdup(a->outputs[i]);
    }
    init_capture(r, p, &p->out);
    init_capture(r, p, &p->err);
    uv_timer_init(r->loop, &p->timer);
    p->timer.data = p;
    p->process.data = p;
    if ((rc = spawn(r, p, a, cwd, e)) != HERD_OK) {
        abandon(p);
        return rc;
    }
    p->handles = 4; /* process, timer, two pipes */
    uv_read_start((uv_stream_t *)&p->out.pipe, on_alloc, on_read);
    uv_read_start((uv_stream_t *)&p->err.pipe, on_alloc, on_read);
    if (a->timeout_ms)
        uv_timer_start(&p->timer, on_timeout, a->timeout_ms, 0);
    p->next = r->procs;
    r->procs = p;
    r->count++;
    return HERD_OK;
}

void herd_runner_kill(struct herd_runner *r, uint64_t attempt_id)
{
    for (struct proc *p = r->procs; p; p = p->next) {
        if (p->attempt_id == attempt_id && !p->exited) {
            p->killed = 1;
            kill(-p->pid, SIGKILL);
        }
    }
}

size_t herd_runner_count(const struct herd_runner *r)
{
    return r->count;
}

void herd_runner_destroy(struct herd_runner *r)
{
    if (r == NULL)
        return;
    r->destroying = 1;
    for (struct proc *p = r->procs; p; p = p->next)
        if (!p->exited)
            kill(-p->pid, SIGKILL);
    maybe_free_runner(r);
}
