/* partcat — see partcat.h. The order check reads at most WINDOW bytes at
 * each end of every part; the copy moves whole parts with copy_file_range
 * (regular files: no trip through user space), falling back to sendfile
 * (pipes, /dev/null, O_APPEND outputs) and then to read/write. */
#include "cli/partcat.h"

#include "wire/gmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define WINDOW 4096
#define CHUNK ((size_t)1 << 30) /* bytes per copy call */
#define MAX_DIGITS 19           /* any 19-digit decimal fits in 64 bits */

enum how { BY_RANGE, BY_SENDFILE, BY_RW };

/* The decimal id leading s[0..n): 1 and *id, or 0 (no digit, too many
 * digits, or no blank or newline right after it). */
static int lead_id(const char *s, size_t n, uint64_t *id)
{
    uint64_t x = 0;
    size_t i = 0;
    for (; i < n && i < MAX_DIGITS && s[i] >= '0' && s[i] <= '9'; i++)
        x = x * 10 + (uint64_t)(s[i] - '0');
    if (i == 0 || i >= n || (s[i] != ' ' && s[i] != '\t' && s[i] != '\n'))
        return 0;
    *id = x;
    return 1;
}

/* Reads exactly n bytes at offset `at`: 0, or -1 with errno (EIO for a
 * file that ended early). */
static int pread_full(int fd, char *buf, size_t n, off_t at)
{
    while (n > 0) {
        ssize_t k = pread(fd, buf, n, at);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return -1;
        }
        buf += k;
        n -= (size_t)k;
        at += k;
    }
    return 0;
}

/* The ids of the first and the last line of a part of `size` > 0 bytes:
 * 1, 0 when they cannot be read within WINDOW bytes (or the part does not
 * end with a newline), -1 on a read error (errno). */
static int ends_of(int fd, off_t size, uint64_t *first, uint64_t *last)
{
    char buf[WINDOW];
    size_t n = size < WINDOW ? (size_t)size : WINDOW;
    if (pread_full(fd, buf, n, 0) != 0)
        return -1;
    if (!lead_id(buf, n, first))
        return 0;
    off_t at = size - (off_t)n;
    if (at > 0 && pread_full(fd, buf, n, at) != 0)
        return -1;
    if (buf[n - 1] != '\n')
        return 0;
    size_t i = n - 1; /* the last line starts after the newline before it */
    while (i > 0 && buf[i - 1] != '\n')
        i--;
    if (i == 0 && at > 0)
        return 0; /* a last line longer than the window */
    return lead_id(buf + i, n - i, last);
}

/* Opens part p: the descriptor and its size, or -1 with *e set. */
static int open_part(const char *dir, uint32_t p, off_t *size, struct herd_err *e)
{
    char path[PATH_MAX + 32];
    herd_gmsg_part_path(path, sizeof path, dir, p);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0) {
        *size = st.st_size;
        return fd;
    }
    herd_err_set(e, HERD_EIO, "%s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

int herd_partcat_ordered(const char *dir, uint32_t nparts, int *ordered, struct herd_err *e)
{
    uint64_t prev = 0;
    int have = 0;
    for (uint32_t p = 0; p < nparts; p++) {
        off_t size;
        int fd = open_part(dir, p, &size, e);
        if (fd < 0)
            return HERD_EIO;
        uint64_t first, last;
        int r = size > 0 ? ends_of(fd, size, &first, &last) : 2;
        int err = errno;
        close(fd);
        if (r < 0) {
            char path[PATH_MAX + 32];
            herd_gmsg_part_path(path, sizeof path, dir, p);
            return herd_err_set(e, HERD_EIO, "%s: %s", path, strerror(err));
        }
        if (r == 2)
            continue; /* empty: nothing to order */
        if (r == 0 || (have && first < prev)) {
            *ordered = 0;
            return HERD_OK;
        }
        prev = last;
        have = 1;
    }
    *ordered = 1;
    return HERD_OK;
}

/* Whether a failed copy call means "not this way for these descriptors"
 * rather than an I/O error. */
static int try_next_way(int err)
{
    return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP ||
           err == EBADF || err == ETXTBSY;
}

/* read/write of up to n bytes: bytes written, 0 at end of input, -1. */
static ssize_t copy_rw(int in, int out, size_t n)
{
    char buf[65536];
    ssize_t k = read(in, buf, n < sizeof buf ? n : sizeof buf);
    for (ssize_t done = 0; k > 0 && done < k;) {
        ssize_t w = write(out, buf + done, (size_t)(k - done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += w;
    }
    return k;
}

/* Copies `len` bytes from in's offset to out's; *how is the way that
 * worked last (it only moves forward). 0 or -1 with errno. */
static int copy_part(int in, int out, off_t len, enum how *how)
{
    while (len > 0) {
        size_t n = (uint64_t)len < CHUNK ? (size_t)len : CHUNK;
        ssize_t k;
        if (*how == BY_RANGE)
            k = copy_file_range(in, NULL, out, NULL, n, 0);
        else if (*how == BY_SENDFILE)
            k = sendfile(out, in, NULL, n);
        else
            k = copy_rw(in, out, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && *how != BY_RW && try_next_way(errno)) {
            *how = *how == BY_RANGE ? BY_SENDFILE : BY_RW;
            continue;
        }
        if (k <= 0) {
            if (k == 0)
                errno = EIO; /* the part shrank under us */
            return -1;
        }
        len -= k;
    }
    return 0;
}

int herd_partcat_copy(const char *dir, uint32_t nparts, int fd, struct herd_err *e)
{
    enum how how = BY_RANGE;
    for (uint32_t p = 0; p < nparts; p++) {
        off_t size;
        int in = open_part(dir, p, &size, e);
        if (in < 0)
            return HERD_EIO;
        int rc = copy_part(in, fd, size, &how);
        int err = errno;
        close(in);
        char path[PATH_MAX + 32];
        herd_gmsg_part_path(path, sizeof path, dir, p);
        if (rc != 0)
            return herd_err_set(e, HERD_EIO, "copy %s to the result: %s", path, strerror(err));
        unlink(path);
    }
    return HERD_OK;
}
