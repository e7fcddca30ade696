/* zread tests at the reader's own level: compressed files whose size falls
 * exactly on the reader's input-buffer boundary (1 MiB), where the end of
 * the raw input is only seen by a read that returns nothing. */
#include "../unit/check.h"

#include "graph/zread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MIB (1u << 20)

/* gzip of `data` with stored blocks (level 0) and an FEXTRA field of
 * `extra` bytes; returns the size written into out (cap bytes). */
static size_t gzip_stored(const char *data, size_t n, unsigned extra, uint8_t *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CHECK_EQ(deflateInit2(&zs, 0, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    static uint8_t pad[65535];
    gz_header h;
    memset(&h, 0, sizeof h);
    h.extra = pad;
    h.extra_len = extra;
    h.os = 3;
    if (extra)
        CHECK_EQ(deflateSetHeader(&zs, &h), Z_OK);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    CHECK_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t k = cap - zs.avail_out;
    deflateEnd(&zs);
    return k;
}

/* An edge list of about `n` bytes. */
static char *edges_text(size_t n, size_t *len)
{
    char *t = malloc(n + 32);
    size_t k = 0;
    for (unsigned i = 0; k + 24 < n; i++)
        k += (size_t)sprintf(t + k, "%u %u\n", i, i + 1);
    *len = k;
    return t;
}

static void read_whole_file(const char *path, const char *want, size_t wantlen)
{
    struct herd_zread *z = NULL;
    struct herd_err e;
    herd_err_clear(&e);
    int rc = herd_zread_open(path, &z, &e);
    if (rc != HERD_OK)
        fprintf(stderr, "open: %s\n", e.msg);
    CHECK_EQ(rc, HERD_OK);
    char *got = malloc(wantlen + 4096);
    size_t have = 0, k;
    for (;;) {
        rc = herd_zread_read(z, got + have, 4096, &k, &e);
        if (rc != HERD_OK)
            fprintf(stderr, "read: %s\n", e.msg);
        CHECK_EQ(rc, HERD_OK);
        have += k;
        if (k < 4096)
            break;
        CHECK_INT(have, <=, wantlen);
    }
    CHECK_EQ(have, wantlen);
    CHECK(memcmp(got, want, wantlen) == 0);
    free(got);
    herd_zread_close(z);
}

HERD_TEST(gzip_file_of_exactly_one_mib)
{
    size_t len;
    char *text = edges_text(MIB - 4000, &len);
    uint8_t *gz = malloc(2 * MIB);
    size_t plain = gzip_stored(text, len, 0, gz, 2 * MIB);
    CHECK_INT(plain + 2, <, MIB);
    size_t sized = gzip_stored(text, len, (unsigned)(MIB - plain - 2), gz, 2 * MIB);
    CHECK_EQ(sized, MIB);
    char path[] = "/tmp/herd-zread-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, gz, sized), (ssize_t)sized);
    close(fd);
    read_whole_file(path, text, len);
    unlink(path);
    free(gz);
    free(text);
}

HERD_TEST(gzip_two_members_one_on_the_boundary)
{
    /* The first member ends exactly at 1 MiB; a second one follows. */
    size_t len;
    char *text = edges_text(MIB - 4000, &len);
    uint8_t *gz = malloc(3 * MIB);
    size_t plain = gzip_stored(text, len, 0, gz, 3 * MIB);
    size_t first = gzip_stored(text, len, (unsigned)(MIB - plain - 2), gz, 3 * MIB);
    CHECK_EQ(first, MIB);
    size_t second = gzip_stored("7 8\n", 4, 0, gz + first, 3 * MIB - first);
    char *want = malloc(len + 4);
    memcpy(want, text, len);
    memcpy(want + len, "7 8\n", 4);
    char path[] = "/tmp/herd-zread-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, gz, first + second), (ssize_t)(first + second));
    close(fd);
    read_whole_file(path, want, len + 4);
    unlink(path);
    free(want);
    free(gz);
    free(text);
}
