/* Tests for worker/gshm: two "workers" of one job in one process map the
 * same file, see each other's writes, and agree on sharing only once both
 * joined; a file of another size is refused; closing removes the file. */
#include "check.h"

#include "worker/gshm.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/herd-gshm-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void done(void)
{
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static int file_exists(uint64_t job, uint32_t epoch)
{
    char path[128];
    snprintf(path, sizeof path, "%s/pull-%llu-%u", dir, (unsigned long long)job, epoch);
    return access(path, F_OK) == 0;
}

HERD_TEST(two_workers_share_once_both_joined)
{
    make_dir();
    struct herd_gshm *a, *b;
    struct herd_err e = {0};
    CHECK_EQ(herd_gshm_open(dir, 7, 1, 0, 2, 1000, &a, &e), HERD_OK);
    CHECK_EQ(herd_gshm_open(dir, 7, 1, 1, 2, 1000, &b, &e), HERD_OK);
    CHECK(!herd_gshm_everyone(a));
    herd_gshm_join(a);
    CHECK(!herd_gshm_everyone(a) && !herd_gshm_everyone(b));
    herd_gshm_join(b);
    CHECK(herd_gshm_everyone(a) && herd_gshm_everyone(b));
    uint8_t *ma = herd_gshm_mem(a), *mb = herd_gshm_mem(b);
    CHECK(ma != mb);                     /* two mappings ... */
    CHECK_EQ((uintptr_t)ma % 4096, 0);
    for (int i = 0; i < 1000; i++)       /* ... zeroed at creation ... */
        CHECK_EQ(mb[i], 0);
    ma[999] = 42;                        /* ... of the same bytes */
    CHECK_EQ(mb[999], 42);
    CHECK(file_exists(7, 1));
    herd_gshm_unlink(b);                 /* the name goes, the mappings stay */
    CHECK(!file_exists(7, 1));
    ma[998] = 7;
    CHECK_EQ(mb[998], 7);
    herd_gshm_close(a);                  /* a second removal is harmless */
    mb[0] = 1;
    CHECK_EQ(mb[999], 42);
    herd_gshm_close(b);
    herd_gshm_close(NULL);
    done();
}

HERD_TEST(a_new_epoch_is_a_new_file_and_a_missing_worker_blocks_sharing)
{
    make_dir();
    struct herd_gshm *a, *c;
    struct herd_err e = {0};
    CHECK_EQ(herd_gshm_open(dir, 7, 1, 0, 3, 64, &a, &e), HERD_OK);
    herd_gshm_join(a);
    CHECK_EQ(herd_gshm_open(dir, 7, 2, 0, 2, 64, &c, &e), HERD_OK);
    herd_gshm_join(c);
    CHECK(file_exists(7, 1) && file_exists(7, 2));
    CHECK(!herd_gshm_everyone(a)); /* workers 1 and 2 of epoch 1 never came */
    CHECK(!herd_gshm_everyone(c));
    herd_gshm_close(a);
    CHECK(!file_exists(7, 1) && file_exists(7, 2)); /* closing removes */
    herd_gshm_close(c);
    done();
}

HERD_TEST(a_file_of_another_size_or_a_bad_slot_is_refused)
{
    make_dir();
    struct herd_gshm *a, *b = NULL;
    struct herd_err e = {0};
    CHECK_EQ(herd_gshm_open(dir, 9, 1, 0, 2, 4096, &a, &e), HERD_OK);
    CHECK_EQ(herd_gshm_open(dir, 9, 1, 1, 2, 8192, &b, &e), HERD_EIO); /* another graph? */
    CHECK(b == NULL);
    CHECK(strstr(e.msg, "pull-9-1") != NULL);
    CHECK_EQ(herd_gshm_open(dir, 9, 1, 2, 2, 4096, &b, &e), HERD_EINVAL);
    CHECK_EQ(herd_gshm_open("/nonexistent-dir-of-herd", 9, 1, 0, 2, 64, &b, &e), HERD_EIO);
    CHECK(b == NULL);
    herd_gshm_close(a);
    done();
}
