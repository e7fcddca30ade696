/* spawn — starts one command attempt's process the cheap way and reports its
 * exit on the caller's libuv loop. posix_spawn (glibc clones with
 * CLONE_VM|CLONE_VFORK: nothing of the worker's address space is copied,
 * unlike the fork() inside uv_spawn), the child in a new session and process
 * group, its signal dispositions and mask reset, its working directory and
 * stdio set by file actions; its exit is learnt from a pidfd (Linux >= 5.3)
 * watched by a uv_poll_t, then the child is reaped with waitpid. It cannot
 * change user: the runner keeps uv_spawn for --run-as, and for kernels
 * without pidfd_open (herd_spawn_supported()).
 * Loop thread only; the runner (worker/runner.c) is the only caller. */
#ifndef HERD_WORKER_SPAWN_H
#define HERD_WORKER_SPAWN_H

#include "base/err.h"

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

struct herd_spawn;

/* Called once, from the loop, when the child has exited and been reaped:
 * status is its exit code (0 when killed), sig the signal that killed it. */
typedef void (*herd_spawn_exit_fn)(struct herd_spawn *s, int64_t status, int sig);

/* Embedded in the caller's object (like a uv handle); fields are read-only
 * to the caller except `data`. */
struct herd_spawn {
    uv_poll_t poll; /* watches pidfd; its close is the caller's (herd_spawn_close) */
    pid_t pid;      /* also the process group id */
    int pidfd;
    int reaped;
    herd_spawn_exit_fn exit_cb;
    void *data;
};

struct herd_spawn_opts {
    const char *file;  /* searched in PATH when it has no '/', like execvp */
    char *const *argv; /* NULL-terminated */
    char *const *env;  /* NULL-terminated */
    const char *cwd;   /* the child's working directory */
    int out_fd, err_fd; /* become the child's stdout/stderr; stdin is /dev/null */
};

/* 1 when this kernel has pidfd_open (checked once), else 0. */
int herd_spawn_supported(void);

/* Starts the child. On HERD_OK the poll handle is initialised and active
 * (close it with herd_spawn_close, whose cb receives &s->poll) and exit_cb
 * will be called once unless the handle is closed first. HERD_EIO (spawn
 * failed: no such program, not executable, chdir failed...; errno's text in
 * *e) and on error nothing runs and no handle was initialised. The caller
 * keeps ownership of the fds (the child gets copies). */
int herd_spawn_start(uv_loop_t *loop, struct herd_spawn *s, const struct herd_spawn_opts *o,
                     herd_spawn_exit_fn exit_cb, struct herd_err *e);

/* Sends sig to the child's whole process group; a no-op once the leader is
 * reaped (its pid may be reused). */
void herd_spawn_kill_group(struct herd_spawn *s, int sig);

/* Stops watching and closes the pidfd; a child not yet reaped is killed
 * (SIGKILL to its group) and reaped. cb as for uv_close. */
void herd_spawn_close(struct herd_spawn *s, uv_close_cb cb);

#endif
