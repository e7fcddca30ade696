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
    herd_sweep_remove(&loop, p);
    uv_run(&loop, UV_RUN_DEFAULT); /* returns once the removal has ended */
    CHECK(access(p, F_OK) != 0);
    CHECK_EQ(uv_loop_close(&loop), 0);
    CHECK_EQ(rmdir(dir), 0); /* nothing else was left */
}
