#include "check.h"

#include "worker/runner.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct got {
    int n;
    struct herd_msg_result r;
    char out[256], err[256];
};

static void on_done(void *arg, const struct herd_msg_result *r)
{
    struct got *g = arg;
    g->n++;
    g->r = *r;
    snprintf(g->out, sizeof g->out, "%.*s", (int)r->stdout_len, (const char *)r->stdout_data);
    snprintf(g->err, sizeof g->err, "%.*s", (int)r->stderr_len, (const char *)r->stderr_data);
}

/* A killed process may linger as a zombie until init reaps it: count that as gone. */
static int process_gone(int pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static struct herd_runner *make(uv_loop_t *loop, struct got *g, char *dir)
{
    snprintf(dir, 64, "/tmp/herd-runner-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    struct herd_runner *r;
    struct herd_err e;
    CHECK_EQ(herd_runner_create(loop, dir, on_done, g, &r, &e), HERD_OK);
    return r;
}

static struct herd_msg_assign cmd(uint64_t id, const char *script, uint32_t timeout_ms)
{
    static char *argv[4];
    argv[0] = (char *)"/bin/sh";
    argv[1] = (char *)"-c";
    argv[2] = (char *)script;
    struct herd_msg_assign a = {.attempt_id = id, .job_id = 1, .task_id = 2,
                                .kind = HERD_TASK_COMMAND, .timeout_ms = timeout_ms,
                                .nargv = 3, .argv = argv};
    return a;
}

HERD_TEST(runner_captures_output_and_exit_code_in_a_sandbox)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = {0};
    char dir[64];
    struct herd_runner *r = make(&loop, &g, dir);
    struct herd_msg_assign a = cmd(7, "echo out-$HERD_ATTEMPT; echo err >&2; pwd; exit 3", 0);
    struct herd_err e;
    CHECK_EQ(herd_runner_start(r, &a, &e), HERD_OK);
    CHECK_EQ(herd_runner_count(r), 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(g.n, 1);
    CHECK_EQ(g.r.status, HERD_RESULT_FAILED);
    CHECK_EQ(g.r.exit_code, 3);
    CHECK(strncmp(g.out, "out-7\n", 6) == 0);
    CHECK(strstr(g.out, "/sandbox/7") != NULL);
    CHECK_STR(g.err, "err\n");
    herd_runner_destroy(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

HERD_TEST(runner_timeout_kills_the_whole_process_group)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = {0};
    char dir[64], pidfile[128], script[256];
    struct herd_runner *r = make(&loop, &g, dir);
    snprintf(pidfile, sizeof pidfile, "%s/grandchild.pid", dir);
    snprintf(script, sizeof script, "sleep 30 & echo $! > %s; wait", pidfile);
    struct herd_msg_assign a = cmd(8, script, 300);
    struct herd_err e;
    CHECK_EQ(herd_runner_start(r, &a, &e), HERD_OK);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(g.n, 1);
    CHECK_EQ(g.r.status, HERD_RESULT_TIMEOUT);
    FILE *f = fopen(pidfile, "r");
    CHECK(f != NULL);
    int pid = 0;
    CHECK_EQ(fscanf(f, "%d", &pid), 1);
    fclose(f);
    /* the grandchild `sleep` was in the task's group: it must be gone (poll) */
    int gone = 0;
    for (int i = 0; i < 200 && !gone; i++) {
        gone = process_gone(pid);
        if (!gone)
            usleep(10000);
    }
    CHECK(gone);
    herd_runner_destroy(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

static void kill_soon(uv_timer_t *t)
{
    herd_runner_kill(t->data, 9);
    uv_close((uv_handle_t *)t, NULL);
}

HERD_TEST(runner_kill_reports_killed)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = {0};
    char dir[64];
    struct herd_runner *r = make(&loop, &g, dir);
    struct herd_msg_assign a = cmd(9, "sleep 30", 0);
    struct herd_err e;
    CHECK_EQ(herd_runner_start(r, &a, &e), HERD_OK);
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = r;
    uv_timer_start(&t, kill_soon, 50, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(g.n, 1);
    CHECK_EQ(g.r.status, HERD_RESULT_KILLED);
    CHECK_EQ(g.r.exit_code, -SIGKILL);
    herd_runner_destroy(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

HERD_TEST(runner_refuses_missing_program_and_empty_argv)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct got g = {0};
    char dir[64];
    struct herd_runner *r = make(&loop, &g, dir);
    char *argv[] = {(char *)"/nonexistent/program"};
    struct herd_msg_assign a = {.attempt_id = 1, .kind = HERD_TASK_COMMAND, .nargv = 1,
                                .argv = argv};
    struct herd_err e;
    CHECK_EQ(herd_runner_start(r, &a, &e), HERD_EIO);
    CHECK(strstr(e.msg, "/nonexistent/program") != NULL);
    a.nargv = 0;
    CHECK_EQ(herd_runner_start(r, &a, &e), HERD_EINVAL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(g.n, 0);
    herd_runner_destroy(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
}
