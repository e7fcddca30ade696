/* Tests for cli/partcat: when part files may be concatenated instead of
 * merged, and the concatenation itself into a file and into a pipe. */
#include "check.h"

#include "cli/partcat.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/herd-partcat-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes this test's directory (each test runs in its own process). */
static void done(void)
{
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void put_part(uint32_t p, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/part-%05u", dir, p);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK_EQ(fwrite(text, 1, strlen(text), f), strlen(text));
    CHECK_EQ(fclose(f), 0);
}

static int part_exists(uint32_t p)
{
    char path[128];
    snprintf(path, sizeof path, "%s/part-%05u", dir, p);
    return access(path, F_OK) == 0;
}

static int ordered(uint32_t n)
{
    struct herd_err e = {0};
    int ok = -1;
    CHECK_EQ(herd_partcat_ordered(dir, n, &ok, &e), HERD_OK);
    return ok;
}

/* Reads a whole file into a NUL-terminated heap string. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char *b = calloc(1, 1 << 20);
    size_t n = fread(b, 1, (1 << 20) - 1, f);
    b[n] = '\0';
    fclose(f);
    return b;
}

HERD_TEST(ranges_in_order_with_empty_parts_concatenate)
{
    make_dir();
    put_part(0, "1 0.5\n7 0.25\n");
    put_part(1, "");
    put_part(2, "7 x\n9 0.125\n10 1e-05\n"); /* a tie with the previous part is fine */
    put_part(3, "");
    CHECK_EQ(ordered(4), 1);
    char out[128];
    snprintf(out, sizeof out, "%s/result", dir);
    FILE *f = fopen(out, "w");
    CHECK(f != NULL);
    struct herd_err e = {0};
    CHECK_EQ(herd_partcat_copy(dir, 4, fileno(f), &e), HERD_OK);
    CHECK_EQ(fclose(f), 0);
    char *got = slurp(out);
    CHECK_STR(got, "1 0.5\n7 0.25\n7 x\n9 0.125\n10 1e-05\n");
    free(got);
    for (uint32_t p = 0; p < 4; p++)
        CHECK(!part_exists(p));
    done();
}

HERD_TEST(interleaved_ids_are_left_to_the_merge)
{
    make_dir();
    put_part(0, "1 a\n4 b\n");
    put_part(1, "3 c\n8 d\n"); /* hash-like: 3 < 4 */
    CHECK_EQ(ordered(2), 0);
    put_part(1, "12 c\n13 d\n");
    CHECK_EQ(ordered(2), 1);
    put_part(2, "");
    put_part(3, "11 e\n"); /* below the last id two parts back */
    CHECK_EQ(ordered(4), 0);
    done();
}

HERD_TEST(unreadable_ends_are_left_to_the_merge)
{
    make_dir();
    put_part(0, "1 a\n2 b"); /* no final newline */
    CHECK_EQ(ordered(1), 0);
    put_part(0, "x 1\n");    /* no leading id */
    CHECK_EQ(ordered(1), 0);
    put_part(0, "12345678901234567890 1\n"); /* 20 digits: more than read here */
    CHECK_EQ(ordered(1), 0);
    /* a last line longer than the window read at the end */
    size_t n = 10000;
    char *big = malloc(n + 16);
    strcpy(big, "1 a\n2 ");
    memset(big + 6, 'z', n);
    strcpy(big + 6 + n, "\n");
    put_part(0, big);
    CHECK_EQ(ordered(1), 0);
    /* the same length in lines that fit: fine */
    for (size_t i = 6; i < 6 + n; i += 100)
        big[i] = '\n', big[i + 1] = '5', big[i + 2] = ' ';
    put_part(0, big);
    CHECK_EQ(ordered(1), 1);
    free(big);
    done();
}

HERD_TEST(a_missing_part_is_an_error)
{
    make_dir();
    put_part(0, "1 a\n");
    struct herd_err e = {0};
    int ok = 7;
    CHECK_EQ(herd_partcat_ordered(dir, 2, &ok, &e), HERD_EIO);
    CHECK_EQ(ok, 7); /* untouched on failure */
    CHECK(strstr(e.msg, "part-00001") != NULL);
    done();
}

HERD_TEST(copies_into_a_pipe)
{
    make_dir();
    put_part(0, "1 a\n2 b\n");
    put_part(1, "3 c\n");
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    struct herd_err e = {0};
    CHECK_EQ(herd_partcat_copy(dir, 2, fds[1], &e), HERD_OK);
    close(fds[1]);
    char buf[64] = {0};
    ssize_t k = read(fds[0], buf, sizeof buf - 1);
    CHECK_EQ(k, 12);
    CHECK_STR(buf, "1 a\n2 b\n3 c\n");
    close(fds[0]);
    done();
}

HERD_TEST(copies_after_what_the_output_already_holds)
{
    make_dir();
    put_part(0, "5 a\n");
    char out[128];
    snprintf(out, sizeof out, "%s/result", dir);
    FILE *f = fopen(out, "a"); /* O_APPEND: copy_file_range refuses it */
    CHECK(f != NULL);
    fputs("# head\n", f);
    fflush(f);
    struct herd_err e = {0};
    CHECK_EQ(herd_partcat_copy(dir, 1, fileno(f), &e), HERD_OK);
    CHECK_EQ(fclose(f), 0);
    char *got = slurp(out);
    CHECK_STR(got, "# head\n5 a\n");
    free(got);
    done();
}
