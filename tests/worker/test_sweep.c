/* Unit tests of sandbox removal and the keep policy (src/worker/sweep.c). */
#include "check.h"

#include "wire/msg.h"
#include "worker/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

HERD_TEST(keep_policy)
{
    enum herd_keep k;
    CHECK_EQ(herd_keep_parse("failed", &k), 0);
    CHECK_EQ(k, HERD_KEEP_FAILED);
    CHECK_EQ(herd_keep_parse("none", &k), 0);
    CHECK_EQ(k, HERD_KEEP_NONE);
    CHECK_EQ(herd_keep_parse("all", &k), 0);
    CHECK_STR(herd_keep_name(k), "all");
    CHECK_EQ(herd_keep_parse("sometimes", &k), -1);
    CHECK_EQ(herd_keep_sandbox(HERD_KEEP_FAILED, HERD_RESULT_OK), 0);
    CHECK_EQ(herd_keep_sandbox(HERD_KEEP_FAILED, HERD_RESULT_KILLED), 0);
    CHECK_EQ(herd_keep_sandbox(HERD_KEEP_FAILED, HERD_RESULT_FAILED), 1);
    CHECK_EQ(herd_keep_sandbox(HERD_KEEP_FAILED, HERD_RESULT_TIMEOUT), 1);
    CHECK_EQ(herd_keep_sandbox(HERD_KEEP_NONE, HERD_RESULT_FAILED), 0);
    CHECK_EQ(herd_keep_sandbox(HERD_KEEP_ALL, HERD_RESULT_OK), 1);
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("x\n", f);
    fclose(f);
}

HERD_TEST(removes_tree_with_read_only_dirs)
{
    char dir[] = "/tmp/herd-sweep-XXXXXX", p[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(p, sizeof p, "%s/box", dir);
    CHECK_EQ(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/box/a", dir);
    CHECK_EQ(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/box/a/f.txt", dir);
    touch(p);
    snprintf(p, sizeof p, "%s/box/top.txt", dir);
    touch(p);
    snprintf(p, sizeof p, "%s/box/a", dir);
    CHECK_EQ(chmod(p, 0500), 0); /* a task made it read-only */
    snprintf(p, sizeof p, "%s/box", dir);
    uv_loop_t loop;
    CHECK_EQ(uv_loop_init(&loop), 0);
    struct herd_sweep *sw = herd_sweep_create(&loop, dir);
    herd_sweep_add(sw, p);
    /* more while the first batch runs: they form the next batch */
    char more[8][256];
    for (int i = 0; i < 8; i++) {
        snprintf(more[i], sizeof more[i], "%s/empty-%d", dir, i);
        CHECK_EQ(mkdir(more[i], 0700), 0);
        herd_sweep_add(sw, more[i]);
    }
    CHECK_INT(herd_sweep_pending(sw), >=, 1);
    herd_sweep_destroy(sw); /* queued paths still go, free ones too */
    uv_run(&loop, UV_RUN_DEFAULT); /* returns once the removals have ended */
    CHECK(access(p, F_OK) != 0);
    for (int i = 0; i < 8; i++)
        CHECK(access(more[i], F_OK) != 0);
    CHECK_EQ(uv_loop_close(&loop), 0);
    CHECK_EQ(rmdir(dir), 0); /* nothing else was left */
}

HERD_TEST(empty_sandboxes_are_reused)
{
    char dir[] = "/tmp/herd-sweep-XXXXXX", a[256], b[256], c[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(a, sizeof a, "%s/1", dir);
    snprintf(b, sizeof b, "%s/2", dir);
    snprintf(c, sizeof c, "%s/3", dir);
    uv_loop_t loop;
    CHECK_EQ(uv_loop_init(&loop), 0);
    struct herd_sweep *sw = herd_sweep_create(&loop, dir);
    CHECK_EQ(herd_sweep_reuse(sw, b), 0); /* nothing free yet */
    CHECK_EQ(mkdir(a, 0700), 0);
    CHECK_EQ(chmod(a, 0500), 0);           /* a task changed its mode */
    herd_sweep_add(sw, a);
    CHECK(access(a, F_OK) != 0);
    CHECK_EQ(herd_sweep_pending(sw), 0);   /* kept, not queued */
    CHECK_EQ(herd_sweep_reuse(sw, b), 1);
    struct stat st;
    CHECK_EQ(stat(b, &st), 0);
    CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
    CHECK_EQ(herd_sweep_reuse(sw, c), 0);  /* it was the only one */
    snprintf(c, sizeof c, "%s/2/file", dir);
    touch(c);
    herd_sweep_add(sw, b);                 /* not empty: removed */
    CHECK_EQ(mkdir(a, 0700), 0);
    herd_sweep_add(sw, a);                 /* empty: kept until destroy */
    herd_sweep_destroy(sw);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
    CHECK(access(b, F_OK) != 0);
    CHECK_EQ(rmdir(dir), 0);               /* no free sandbox left behind */
}
