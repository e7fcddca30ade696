#include "worker/spawn.h"

#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same number on every architecture */
#endif

static int pidfd_open_(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int herd_spawn_supported(void)
{
    static int known = -1;
    if (known < 0) {
        int fd = pidfd_open_(getpid());
        known = fd >= 0;
        if (fd >= 0)
            close(fd);
    }
    return known;
}

/* The child starts in a new session (so in its own process group: a timeout
 * kills the whole group), with every catchable signal at its default and
 * none blocked, as uv_spawn leaves it. */
static int set_attrs(posix_spawnattr_t *at)
{
    sigset_t none, all;
    sigemptyset(&none);
    sigemptyset(&all);
    for (int sig = 1; sig < 32; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaddset(&all, sig);
    int rc = posix_spawnattr_setflags(at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                              POSIX_SPAWN_SETSIGDEF);
    if (rc == 0)
        rc = posix_spawnattr_setsigmask(at, &none);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(at, &all);
    return rc;
}

/* stdin from /dev/null, stdout and stderr to the given fds, then the cwd. */
static int set_actions(posix_spawn_file_actions_t *fa, const struct herd_spawn_opts *o)
{
    int rc = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(fa, o->out_fd, 1);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(fa, o->err_fd, 2);
    if (rc == 0 && o->cwd != NULL)
        rc = posix_spawn_file_actions_addchdir_np(fa, o->cwd);
    return rc;
}

static int do_spawn(pid_t *pid, const struct herd_spawn_opts *o)
{
    posix_spawnattr_t at;
    posix_spawn_file_actions_t fa;
    int rc = posix_spawnattr_init(&at);
    if (rc != 0)
        return rc;
    rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0)
        goto fail_attr;
    if ((rc = set_attrs(&at)) == 0 && (rc = set_actions(&fa, o)) == 0)
        rc = posix_spawnp(pid, o->file, &fa, &at, o->argv, o->env);
    posix_spawn_file_actions_destroy(&fa);
fail_attr:
    posix_spawnattr_destroy(&at);
    return rc;
}

/* Reaps the child if it has exited (flags: 0 or WNOHANG) and reports its
 * exit through exit_cb, once; the poll stops first, for the callback may
 * close it. */
static void reap(struct herd_spawn *s, int flags)
{
    int st = 0;
    pid_t r;
    do
        r = waitpid(s->pid, &st, flags);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return; /* still running */
    s->reaped = 1;
    if (s->exit_cb == NULL)
        return;
    int64_t status = 0;
    int sig = 0;
    if (r > 0 && WIFEXITED(st))
        status = WEXITSTATUS(st);
    else if (r > 0 && WIFSIGNALED(st))
        sig = WTERMSIG(st);
    else
        status = 127; /* lost to someone else's wait: should not happen */
    herd_spawn_exit_fn cb = s->exit_cb;
    s->exit_cb = NULL;
    uv_poll_stop(&s->poll);
    cb(s, status, sig);
}

static void on_pidfd(uv_poll_t *h, int status, int events)
{
    struct herd_spawn *s = (struct herd_spawn *)h; /* the poll handle is the first member */
    (void)events;
    if (status < 0)
        herd_warn("spawn", "watching pid %d: %s", (int)s->pid, uv_strerror(status));
    reap(s, WNOHANG);
}

int herd_spawn_start(uv_loop_t *loop, struct herd_spawn *s, const struct herd_spawn_opts *o,
                     herd_spawn_exit_fn exit_cb, struct herd_err *e)
{
    void *data = s->data;
    memset(s, 0, sizeof *s);
    s->data = data;
    int rc = do_spawn(&s->pid, o);
    if (rc != 0)
        return herd_err_set(e, HERD_EIO, "spawn %s: %s", o->file, strerror(rc));
    s->pidfd = pidfd_open_(s->pid);
    if (s->pidfd < 0 || (rc = uv_poll_init(loop, &s->poll, s->pidfd)) != 0) {
        int err = errno;
        kill(-s->pid, SIGKILL);
        reap(s, 0);
        if (s->pidfd >= 0)
            close(s->pidfd);
        return herd_err_set(e, HERD_EIO, "spawn %s: watch: %s", o->file,
                            s->pidfd < 0 ? strerror(err) : uv_strerror(rc));
    }
    s->exit_cb = exit_cb;
    uv_poll_start(&s->poll, UV_READABLE, on_pidfd);
    return HERD_OK;
}

void herd_spawn_kill_group(struct herd_spawn *s, int sig)
{
    if (!s->reaped)
        kill(-s->pid, sig);
}

void herd_spawn_close(struct herd_spawn *s, uv_close_cb cb)
{
    s->exit_cb = NULL;
    if (!s->reaped) {
        kill(-s->pid, SIGKILL);
        reap(s, WNOHANG); /* a child stuck in the kernel stays a zombie until we exit */
    }
    uv_close((uv_handle_t *)&s->poll, cb);
    close(s->pidfd); /* after uv_close: libuv has dropped it from epoll */
}
