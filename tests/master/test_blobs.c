/* Unit tests of the master's blob store (src/master/blobs.c): whole puts,
 * copies of files, ranged reads, chunked uploads from workers (order, hash
 * check, duplicates) and the clean-up of partial uploads. */
#include "check.h"

#include "base/mem.h"
#include "master/blobs.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmpdir(void)
{
    char *d = herd_xstrdup("/tmp/herd-blobs-XXXXXX");
    CHECK(mkdtemp(d) != NULL);
    return d;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static struct herd_blobs *open_store(char **dir)
{
    *dir = tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/blobs", *dir);
    struct herd_blobs *b = NULL;
    struct herd_err e;
    CHECK_EQ(herd_blobs_open(path, &b, &e), HERD_OK);
    return b;
}

static void done(struct herd_blobs *b, char *dir)
{
    herd_blobs_close(b);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* Number of entries in dir/blobs/tmp. */
static int tmp_files(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/blobs/tmp", dir);
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

HERD_TEST(put_has_read_roundtrip)
{
    char *dir;
    struct herd_blobs *b = open_store(&dir);
    const char *text = "hello, blob store";
    char sha[HERD_CAS_HEX + 1], want[HERD_CAS_HEX + 1];
    struct herd_err e;
    herd_cas_buf(text, strlen(text), want);
    CHECK_EQ(herd_blobs_has(b, want, NULL), 0);
    CHECK_EQ(herd_blobs_put(b, text, strlen(text), NULL, sha, &e), HERD_OK);
    CHECK_STR(sha, want);
    uint64_t size = 0;
    CHECK_EQ(herd_blobs_has(b, sha, &size), 1);
    CHECK_EQ(size, strlen(text));
    uint8_t *data = NULL;
    uint32_t len = 0;
    uint64_t total = 0;
    CHECK_EQ(herd_blobs_read(b, sha, 7, 4, &data, &len, &total, &e), HERD_OK);
    CHECK_EQ(len, 4);
    CHECK_EQ(total, strlen(text));
    CHECK(memcmp(data, "blob", 4) == 0);
    free(data);
    CHECK_EQ(herd_blobs_read(b, sha, total + 1, 4, &data, &len, &total, &e), HERD_EINVAL);
    herd_cas_buf("absent", 6, want);
    CHECK_EQ(herd_blobs_read(b, want, 0, 4, &data, &len, &total, &e), HERD_ENOTFOUND);
    /* the blob's file is read-only under its address */
    char path[512];
    struct stat st;
    herd_blobs_path(b, sha, path, sizeof path);
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_size, strlen(text));
    done(b, dir);
}

HERD_TEST(put_with_wrong_address_keeps_nothing)
{
    char *dir;
    struct herd_blobs *b = open_store(&dir);
    char claimed[HERD_CAS_HEX + 1], sha[HERD_CAS_HEX + 1];
    struct herd_err e;
    herd_cas_buf("other bytes", 11, claimed);
    CHECK_EQ(herd_blobs_put(b, "some bytes", 10, claimed, sha, &e), HERD_EINVAL);
    CHECK_EQ(herd_blobs_has(b, claimed, NULL), 0);
    herd_cas_buf("some bytes", 10, sha);
    CHECK_EQ(herd_blobs_has(b, sha, NULL), 0);
    CHECK_EQ(tmp_files(dir), 0);
    done(b, dir);
}

HERD_TEST(put_file_copies_into_store)
{
    char *dir;
    struct herd_blobs *b = open_store(&dir);
    char path[512], sha[HERD_CAS_HEX + 1], want[HERD_CAS_HEX + 1];
    snprintf(path, sizeof path, "%s/input.txt", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("file contents\n", f);
    fclose(f);
    struct herd_err e;
    CHECK_EQ(herd_blobs_put_file(b, path, sha, &e), HERD_OK);
    herd_cas_buf("file contents\n", 14, want);
    CHECK_STR(sha, want);
    CHECK_EQ(herd_blobs_has(b, sha, NULL), 1);
    snprintf(path, sizeof path, "%s/nope", dir);
    CHECK_EQ(herd_blobs_put_file(b, path, sha, &e), HERD_EIO);
    CHECK(strstr(e.msg, "nope") != NULL);
    done(b, dir);
}

HERD_TEST(chunked_upload_in_order)
{
    char *dir;
    struct herd_blobs *b = open_store(&dir);
    uint8_t data[1000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 13);
    char sha[HERD_CAS_HEX + 1];
    herd_cas_buf(data, sizeof data, sha);
    struct herd_err e;
    int fin = -1;
    CHECK_EQ(herd_blobs_chunk(b, "w1", sha, 0, sizeof data, data, 400, &fin, &e), HERD_OK);
    CHECK_EQ(fin, 0);
    CHECK_EQ(herd_blobs_has(b, sha, NULL), 0);
    /* a chunk out of order drops the upload */
    CHECK_EQ(herd_blobs_chunk(b, "w1", sha, 800, sizeof data, data + 800, 200, &fin, &e),
             HERD_EINVAL);
    CHECK_EQ(herd_blobs_has(b, sha, NULL), 0);
    /* from the start again, in order */
    CHECK_EQ(herd_blobs_chunk(b, "w1", sha, 0, sizeof data, data, 400, &fin, &e), HERD_OK);
    CHECK_EQ(herd_blobs_chunk(b, "w1", sha, 400, sizeof data, data + 400, 400, &fin, &e), HERD_OK);
    CHECK_EQ(fin, 0);
    CHECK_EQ(herd_blobs_chunk(b, "w1", sha, 800, sizeof data, data + 800, 200, &fin, &e), HERD_OK);
    CHECK_EQ(fin, 1);
    uint64_t size = 0;
    CHECK_EQ(herd_blobs_has(b, sha, &size), 1);
    CHECK_EQ(size, sizeof data);
    /* the same blob again, from another worker: accepted, still one copy */
    CHECK_EQ(herd_blobs_chunk(b, "w2", sha, 0, sizeof data, data, sizeof data, &fin, &e),
             HERD_OK);
    CHECK_EQ(fin, 1);
    CHECK_EQ(tmp_files(dir), 0);
    done(b, dir);
}

HERD_TEST(chunked_upload_with_bad_hash_is_dropped)
{
    char *dir;
    struct herd_blobs *b = open_store(&dir);
    char sha[HERD_CAS_HEX + 1];
    herd_cas_buf("the real bytes", 14, sha);
    struct herd_err e;
    int fin = 0;
    CHECK_EQ(herd_blobs_chunk(b, "w1", sha, 0, 14, (const uint8_t *)"the fake bytes", 14, &fin,
                              &e),
             HERD_EINVAL);
    CHECK_EQ(herd_blobs_has(b, sha, NULL), 0);
    CHECK_EQ(tmp_files(dir), 0);
    CHECK_EQ(herd_blobs_chunk(b, "w1", "not-an-address", 0, 1, (const uint8_t *)"x", 1, &fin, &e),
             HERD_EINVAL);
    done(b, dir);
}

HERD_TEST(close_drops_partial_uploads)
{
    char *dir;
    struct herd_blobs *b = open_store(&dir);
    char sha[HERD_CAS_HEX + 1];
    herd_cas_buf("0123456789", 10, sha);
    struct herd_err e;
    int fin = 0;
    CHECK_EQ(herd_blobs_chunk(b, "w1", sha, 0, 10, (const uint8_t *)"01234", 5, &fin, &e),
             HERD_OK);
    CHECK_EQ(tmp_files(dir), 1);
    herd_blobs_close(b);
    CHECK_EQ(tmp_files(dir), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/blobs", dir);
    CHECK_EQ(herd_blobs_open(path, &b, &e), HERD_OK);
    CHECK_EQ(herd_blobs_has(b, sha, NULL), 0);
    done(b, dir);
}
