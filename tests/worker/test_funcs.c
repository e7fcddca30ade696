/* Unit tests of function tasks on the worker (src/worker/funcs.c) with the
 * example plugin (examples/task-plugin, built beside the tests): results,
 * failures, unknown functions, timeouts and kills reported once, and many
 * calls on the thread pool. */
#include "check.h"

#include "base/mem.h"
#include "wire/cas.h"
#include "worker/funcs.h"

#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXRES 2048

struct got {
    int n;
    uint64_t ids[MAXRES];
    uint8_t status[MAXRES];
    int32_t code[MAXRES];
    char out[MAXRES][32];
    char error[256];
};

static void on_done(void *arg, const struct herd_msg_result *r)
{
    struct got *g = arg;
    CHECK(g->n < MAXRES);
    g->ids[g->n] = r->attempt_id;
    g->status[g->n] = r->status;
    g->code[g->n] = r->exit_code;
    snprintf(g->out[g->n], sizeof g->out[0], "%.*s", (int)(r->stdout_len < 31 ? r->stdout_len : 31),
             r->stdout_data ? (const char *)r->stdout_data : "");
    if (r->error && r->error[0])
        snprintf(g->error, sizeof g->error, "%s", r->error);
    g->n++;
}

struct env {
    uv_loop_t loop;
    char dir[64];
    char plugin[HERD_CAS_HEX + 1];
    struct herd_funcs *f;
    struct got got;
    uv_timer_t keep; /* funcs' async handle is unref'd: the daemon's handles keep a loop alive */
};

static void tick(uv_timer_t *t)
{
    (void)t;
}

/* Copies the example plugin into a fresh cache under its address. */
static void setup(struct env *v, unsigned threads)
{
    char exe[PATH_MAX], so[PATH_MAX + 64], dst[256];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0);
    exe[n] = '\0';
    /* <build>/tests/worker/test_funcs -> <build>/examples/task-plugin/tasks.so */
    snprintf(so, sizeof so, "%s/../../examples/task-plugin/tasks.so", dirname(exe));
    struct herd_err e;
    uint64_t size;
    CHECK_EQ(herd_cas_file(so, v->plugin, &size, &e), HERD_OK);
    snprintf(v->dir, sizeof v->dir, "/tmp/herd-funcs-XXXXXX");
    CHECK(mkdtemp(v->dir) != NULL);
    snprintf(dst, sizeof dst, "%s/%s", v->dir, v->plugin);
    FILE *in = fopen(so, "rb"), *out = fopen(dst, "wb");
    CHECK(in != NULL && out != NULL);
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, in)) > 0)
        CHECK_EQ(fwrite(buf, 1, k, out), k);
    fclose(in);
    fclose(out);
    CHECK_EQ(uv_loop_init(&v->loop), 0);
    uv_timer_init(&v->loop, &v->keep);
    uv_timer_start(&v->keep, tick, 1000, 1000);
    memset(&v->got, 0, sizeof v->got);
    CHECK_EQ(herd_funcs_create(&v->loop, v->dir, threads, on_done, &v->got, &v->f, &e), HERD_OK);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void teardown(struct env *v)
{
    herd_funcs_destroy(v->f);
    uv_close((uv_handle_t *)&v->keep, NULL);
    uv_run(&v->loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&v->loop), 0);
    nftw(v->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static int start(struct env *v, uint64_t id, const char *fn, const char *payload,
                 uint32_t timeout_ms, struct herd_err *e)
{
    char *argv[] = {(char *)fn};
    struct herd_msg_assign a = {0};
    a.attempt_id = id;
    a.kind = HERD_TASK_FUNCTION;
    a.nargv = 1;
    a.argv = argv;
    a.payload = (uint8_t *)payload;
    a.payload_len = (uint32_t)strlen(payload);
    a.plugin = v->plugin;
    a.timeout_ms = timeout_ms;
    return herd_funcs_start(v->f, &a, e);
}

/* Runs the loop until n results have come. */
static void run_until(struct env *v, int n)
{
    while (v->got.n < n)
        uv_run(&v->loop, UV_RUN_ONCE);
}

static int find(const struct got *g, uint64_t id)
{
    for (int i = 0; i < g->n; i++)
        if (g->ids[i] == id)
            return i;
    return -1;
}

HERD_TEST(results_and_failures)
{
    struct env v;
    struct herd_err e;
    setup(&v, 2);
    CHECK_EQ(start(&v, 1, "echo", "hello", 0, &e), HERD_OK);
    CHECK_EQ(start(&v, 2, "sum", "abc", 0, &e), HERD_OK);
    CHECK_EQ(start(&v, 3, "fail", "xy", 0, &e), HERD_OK);
    run_until(&v, 3);
    int i = find(&v.got, 1);
    CHECK(i >= 0 && v.got.status[i] == HERD_RESULT_OK);
    CHECK_STR(v.got.out[i], "hello");
    i = find(&v.got, 2);
    CHECK(i >= 0 && v.got.status[i] == HERD_RESULT_OK);
    CHECK_STR(v.got.out[i], "294\n");
    i = find(&v.got, 3);
    CHECK(i >= 0 && v.got.status[i] == HERD_RESULT_FAILED);
    CHECK_EQ(v.got.code[i], 3);
    CHECK(strstr(v.got.error, "failing on purpose (2 bytes in)") != NULL);
    CHECK_EQ(herd_funcs_count(v.f), 0);
    teardown(&v);
}

HERD_TEST(unknown_function_or_plugin_is_refused)
{
    struct env v;
    struct herd_err e;
    setup(&v, 1);
    CHECK_EQ(start(&v, 1, "no_such_fn", "", 0, &e), HERD_EINVAL);
    CHECK(strstr(e.msg, "no_such_fn") != NULL);
    herd_cas_buf("not a plugin", 12, v.plugin);
    CHECK(start(&v, 2, "noop", "", 0, &e) != HERD_OK);
    v.plugin[0] = '\0';
    CHECK_EQ(start(&v, 3, "noop", "", 0, &e), HERD_EINVAL);
    CHECK_EQ(herd_funcs_count(v.f), 0);
    CHECK_EQ(v.got.n, 0);
    teardown(&v);
}

HERD_TEST(timeout_and_kill_reported_once)
{
    struct env v;
    struct herd_err e;
    setup(&v, 2);
    CHECK_EQ(start(&v, 1, "sleep_ms", "400", 20, &e), HERD_OK);
    CHECK_EQ(start(&v, 2, "sleep_ms", "400", 0, &e), HERD_OK);
    herd_funcs_kill(v.f, 2);
    herd_funcs_kill(v.f, 99); /* unknown: nothing */
    run_until(&v, 2);
    int i = find(&v.got, 1), k = find(&v.got, 2);
    CHECK(i >= 0 && v.got.status[i] == HERD_RESULT_TIMEOUT);
    CHECK(k >= 0 && v.got.status[k] == HERD_RESULT_KILLED);
    /* the calls return later; their results are dropped */
    teardown(&v);
    CHECK_EQ(v.got.n, 2);
}

HERD_TEST(many_calls_each_reported_once)
{
    struct env v;
    struct herd_err e;
    setup(&v, 4);
    for (uint64_t id = 1; id <= 1000; id++)
        CHECK_EQ(start(&v, id, id % 2 ? "noop" : "sum", "\x01\x02", 0, &e), HERD_OK);
    run_until(&v, 1000);
    uv_run(&v.loop, UV_RUN_NOWAIT);
    CHECK_EQ(v.got.n, 1000);
    static uint8_t seen[1001];
    for (int i = 0; i < v.got.n; i++) {
        CHECK(v.got.ids[i] >= 1 && v.got.ids[i] <= 1000);
        CHECK_EQ(seen[v.got.ids[i]]++, 0);
        CHECK_EQ(v.got.status[i], HERD_RESULT_OK);
        if (v.got.ids[i] % 2 == 0)
            CHECK_STR(v.got.out[i], "3\n");
    }
    teardown(&v);
}
