/* spawn: posix_spawn + pidfd — exit codes and signals, the working
 * directory and stdio, the new process group, a missing program; and the
 * runner giving the same result through both of its ways to spawn. */
#include "check.h"

#include "worker/runner.h"
#include "worker/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

struct exit_seen {
    int n;
    int64_t status;
    int sig;
};

static void on_exit_seen(struct herd_spawn *s, int64_t status, int sig)
{
    struct exit_seen *x = s->data;
    x->n++;
    x->status = status;
    x->sig = sig;
    herd_spawn_close(s, NULL);
}

/* Runs sh -c script in cwd with stdout/stderr to out_fd; returns what exited. */
static struct exit_seen run_sh(const char *script, const char *cwd, int out_fd)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct exit_seen x = {0};
    char *argv[] = {(char *)"sh", (char *)"-c", (char *)script, NULL};
    struct herd_spawn_opts o = {.file = "sh", .argv = argv, .env = environ, .cwd = cwd,
                                .out_fd = out_fd, .err_fd = out_fd};
    struct herd_spawn s = {.data = &x};
    struct herd_err e;
    CHECK_EQ(herd_spawn_start(&loop, &s, &o, on_exit_seen, &e), HERD_OK);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
    return x;
}

static int read_file(int fd, char *buf, size_t n)
{
    ssize_t k = pread(fd, buf, n - 1, 0);
    buf[k > 0 ? k : 0] = '\0';
    return (int)k;
}

HERD_TEST(spawn_reports_exit_code_cwd_stdio_and_own_group)
{
    if (!herd_spawn_supported()) {
        printf("skipped: no pidfd_open on this kernel\n");
        return;
    }
    char path[] = "/tmp/herd-spawn-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    /* pid, pgid and sid of the shell; its cwd; stdin is /dev/null (read gives EOF) */
    struct exit_seen x = run_sh("echo $$ $(ps -o pgid= -p $$) $(ps -o sid= -p $$); pwd;"
                                " read line || echo eof; echo to-err >&2; exit 7",
                                "/tmp", fd);
    CHECK_EQ(x.n, 1);
    CHECK_EQ(x.status, 7);
    CHECK_EQ(x.sig, 0);
    char buf[512];
    CHECK(read_file(fd, buf, sizeof buf) > 0);
    long pid = 0, pgid = 0, sid = 0;
    int got = sscanf(buf, "%ld %ld %ld", &pid, &pgid, &sid);
    if (got == 3) { /* ps present (procps) */
        CHECK_EQ(pgid, pid);
        CHECK_EQ(sid, pid);
    }
    CHECK(strstr(buf, "\n/tmp\neof\nto-err\n") != NULL);
    close(fd);
    unlink(path);
}

HERD_TEST(spawn_reports_the_killing_signal_and_refuses_missing_programs)
{
    if (!herd_spawn_supported()) {
        printf("skipped: no pidfd_open on this kernel\n");
        return;
    }
    int fd = open("/dev/null", O_WRONLY);
    struct exit_seen x = run_sh("kill -TERM $$; sleep 5", NULL, fd);
    CHECK_EQ(x.n, 1);
    CHECK_EQ(x.sig, SIGTERM);
    uv_loop_t loop;
    uv_loop_init(&loop);
    char *argv[] = {(char *)"herd-no-such-program", NULL};
    struct herd_spawn_opts o = {.file = argv[0], .argv = argv, .env = environ,
                                .out_fd = fd, .err_fd = fd};
    struct herd_spawn s = {0};
    struct herd_err e;
    CHECK_EQ(herd_spawn_start(&loop, &s, &o, on_exit_seen, &e), HERD_EIO);
    CHECK(strstr(e.msg, "herd-no-such-program") != NULL);
    CHECK_EQ(uv_loop_close(&loop), 0); /* no handle left behind */
    close(fd);
}

struct got {
    int n;
    struct herd_msg_result r;
    char out[256];
};

static void on_done(void *arg, const struct herd_msg_result *r)
{
    struct got *g = arg;
    g->n++;
    g->r = *r;
    snprintf(g->out, sizeof g->out, "%.*s", (int)r->stdout_len, (const char *)r->stdout_data);
}

/* One attempt through a runner created with HERD_SPAWN=how ("uv" or "").*/
static struct got run_attempt(const char *how)
{
    setenv("HERD_SPAWN", how, 1);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = {0};
    char dir[] = "/tmp/herd-spawn-runner-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct herd_runner *r;
    struct herd_err e;
    CHECK_EQ(herd_runner_create(&loop, dir, on_done, &g, &r, &e), HERD_OK);
    char *argv[] = {(char *)"/bin/sh", (char *)"-c",
                    (char *)"echo $HERD_ATTEMPT $(basename $PWD); exit 4"};
    struct herd_msg_assign a = {.attempt_id = 9, .job_id = 1, .task_id = 2,
                                .kind = HERD_TASK_COMMAND, .nargv = 3, .argv = argv};
    CHECK_EQ(herd_runner_start(r, &a, &e), HERD_OK);
    uv_run(&loop, UV_RUN_DEFAULT);
    herd_runner_destroy(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
    unsetenv("HERD_SPAWN");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ(system(cmd), 0);
    return g;
}

HERD_TEST(runner_gives_the_same_result_through_uv_spawn_and_posix_spawn)
{
    struct got fast = run_attempt(""), uv = run_attempt("uv");
    CHECK_EQ(fast.n, 1);
    CHECK_EQ(uv.n, 1);
    CHECK_EQ(fast.r.status, HERD_RESULT_FAILED);
    CHECK_EQ(uv.r.status, HERD_RESULT_FAILED);
    CHECK_EQ(fast.r.exit_code, 4);
    CHECK_EQ(uv.r.exit_code, 4);
    CHECK_STR(fast.out, "9 9\n");
    CHECK_STR(uv.out, fast.out);
}
