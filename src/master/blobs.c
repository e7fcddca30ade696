/* Design notes. A blob is <dir>/<sha>; a blob being written is
 * <dir>/tmp/<owner-sequence>, renamed to its address once complete and
 * verified. Uploads in progress (STORE chunks) are a short list: a worker
 * uploads one output at a time, so there are at most a few per worker. */
#include "master/blobs.h"

#include "base/log.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct upload {
    char sha[HERD_CAS_HEX + 1];
    char *owner;
    char tmp[4096];
    int fd;                  /* -1 when the blob already exists (bytes dropped) */
    uint64_t next, total;
    struct herd_cas_hasher h;
};

struct herd_blobs {
    char *dir;
    uint64_t seq;
    struct upload **up;
    size_t nup, capup;
};

int herd_blobs_open(const char *dir, struct herd_blobs **out, struct herd_err *e)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || (mkdir(tmp, 0700) != 0 && errno != EEXIST))
        return herd_err_set(e, HERD_EIO, "blob store %s: %s", tmp, strerror(errno));
    struct herd_blobs *b = herd_xcalloc(1, sizeof *b);
    b->dir = herd_xstrdup(dir);
    *out = b;
    return HERD_OK;
}

static void drop_upload(struct herd_blobs *b, size_t i)
{
    struct upload *u = b->up[i];
    if (u->fd >= 0) {
        close(u->fd);
        unlink(u->tmp);
    }
    herd_cas_abort(&u->h);
    free(u->owner);
    free(u);
    b->up[i] = b->up[--b->nup];
}

void herd_blobs_close(struct herd_blobs *b)
{
    if (b == NULL)
        return;
    while (b->nup > 0)
        drop_upload(b, b->nup - 1);
    free(b->up);
    free(b->dir);
    free(b);
}

void herd_blobs_path(struct herd_blobs *b, const char *sha, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", b->dir, sha);
}

int herd_blobs_has(struct herd_blobs *b, const char *sha, uint64_t *size)
{
    char path[4096];
    struct stat st;
    if (!herd_cas_valid(sha))
        return 0;
    herd_blobs_path(b, sha, path, sizeof path);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    if (size != NULL)
        *size = (uint64_t)st.st_size;
    return 1;
}

static int open_tmp(struct herd_blobs *b, char *tmp, size_t n, struct herd_err *e)
{
    snprintf(tmp, n, "%s/tmp/%ld-%llu", b->dir, (long)getpid(), (unsigned long long)++b->seq);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return herd_err_set(e, HERD_EIO, "blob store: %s: %s", tmp, strerror(errno)), -1;
    return fd;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Moves a complete temporary file to its address. */
static int keep(struct herd_blobs *b, const char *tmp, const char *sha, struct herd_err *e)
{
    char path[4096];
    herd_blobs_path(b, sha, path, sizeof path);
    if (rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return herd_err_set(e, HERD_EIO, "blob store: rename to %s: %s", path, strerror(err));
    }
    return HERD_OK;
}

int herd_blobs_put(struct herd_blobs *b, const void *p, size_t n, const char *want,
                   char out[HERD_CAS_HEX + 1], struct herd_err *e)
{
    char sha[HERD_CAS_HEX + 1], tmp[4096];
    herd_cas_buf(p, n, sha);
    if (want != NULL && strcmp(want, sha) != 0)
        return herd_err_set(e, HERD_EINVAL, "content hashes to %s, not %.64s", sha, want);
    if (!herd_blobs_has(b, sha, NULL)) {
        int fd = open_tmp(b, tmp, sizeof tmp, e);
        if (fd < 0)
            return HERD_EIO;
        int bad = write_all(fd, p, n) != 0;
        int err = errno;
        if (close(fd) != 0 || bad) {
            unlink(tmp);
            return herd_err_set(e, HERD_EIO, "blob store: write %s: %s", tmp, strerror(err));
        }
        int rc = keep(b, tmp, sha, e);
        if (rc != HERD_OK)
            return rc;
    }
    memcpy(out, sha, sizeof sha);
    return HERD_OK;
}

static int copy_fd(int in, int out, struct herd_cas_hasher *h)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        herd_cas_update(h, buf, (size_t)n);
        if (write_all(out, buf, (size_t)n) != 0)
            return -1;
    }
    return n < 0 ? -1 : 0;
}

int herd_blobs_put_file(struct herd_blobs *b, const char *path, char out[HERD_CAS_HEX + 1],
                        struct herd_err *e)
{
    char tmp[4096], sha[HERD_CAS_HEX + 1];
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return herd_err_set(e, HERD_EIO, "%s: %s", path, strerror(errno));
    int fd = open_tmp(b, tmp, sizeof tmp, e);
    if (fd < 0) {
        close(in);
        return HERD_EIO;
    }
    struct herd_cas_hasher h;
    herd_cas_begin(&h);
    int bad = copy_fd(in, fd, &h) != 0;
    int err = errno;
    close(in);
    if (close(fd) != 0 || bad) {
        herd_cas_abort(&h);
        unlink(tmp);
        return herd_err_set(e, HERD_EIO, "copy %s into the blob store: %s", path, strerror(err));
    }
    herd_cas_end(&h, sha);
    int rc = keep(b, tmp, sha, e);
    if (rc == HERD_OK)
        memcpy(out, sha, sizeof sha);
    return rc;
}

int herd_blobs_read(struct herd_blobs *b, const char *sha, uint64_t offset, uint32_t max,
                    uint8_t **data, uint32_t *len, uint64_t *total, struct herd_err *e)
{
    char path[4096];
    uint64_t size = 0;
    if (!herd_blobs_has(b, sha, &size))
        return herd_err_set(e, HERD_ENOTFOUND, "no blob %.64s", sha);
    if (offset > size)
        return herd_err_set(e, HERD_EINVAL, "blob %.64s: offset %llu past its end", sha,
                            (unsigned long long)offset);
    uint64_t want = size - offset < max ? size - offset : max;
    uint8_t *buf = want ? malloc(want) : NULL;
    if (want && buf == NULL)
        return herd_err_set(e, HERD_ENOMEM, "blob chunk of %llu bytes", (unsigned long long)want);
    herd_blobs_path(b, sha, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t got = fd < 0 ? -1 : (want ? pread(fd, buf, want, (off_t)offset) : 0);
    int err = errno;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)want) {
        free(buf);
        return herd_err_set(e, HERD_EIO, "read blob %s: %s", path,
                            got < 0 ? strerror(err) : "short read");
    }
    *data = buf;
    *len = (uint32_t)want;
    *total = size;
    return HERD_OK;
}

static struct upload *find_upload(struct herd_blobs *b, const char *owner, const char *sha,
                                  size_t *ix)
{
    for (size_t i = 0; i < b->nup; i++) {
        if (strcmp(b->up[i]->sha, sha) == 0 && strcmp(b->up[i]->owner, owner) == 0) {
            *ix = i;
            return b->up[i];
        }
    }
    return NULL;
}

static struct upload *new_upload(struct herd_blobs *b, const char *owner, const char *sha,
                                 uint64_t total, size_t *ix, struct herd_err *e)
{
    struct upload *u = herd_xcalloc(1, sizeof *u);
    memcpy(u->sha, sha, HERD_CAS_HEX + 1);
    u->owner = herd_xstrdup(owner);
    u->total = total;
    u->fd = -1;
    if (!herd_blobs_has(b, sha, NULL) && (u->fd = open_tmp(b, u->tmp, sizeof u->tmp, e)) < 0) {
        free(u->owner);
        free(u);
        return NULL;
    }
    herd_cas_begin(&u->h);
    herd_xgrow((void **)&b->up, &b->capup, b->nup + 1, sizeof *b->up);
    *ix = b->nup;
    b->up[b->nup++] = u;
    return u;
}

/* The last chunk arrived: verify and keep. */
static int finish_upload(struct herd_blobs *b, size_t ix, struct herd_err *e)
{
    struct upload *u = b->up[ix];
    char got[HERD_CAS_HEX + 1];
    int rc = HERD_OK;
    herd_cas_end(&u->h, got);
    if (u->fd >= 0) {
        int bad = close(u->fd) != 0;
        u->fd = -1;
        if (bad || strcmp(got, u->sha) != 0) {
            unlink(u->tmp);
            rc = herd_err_set(e, HERD_EINVAL, "upload of %s: content hashes to %s", u->sha, got);
        } else {
            rc = keep(b, u->tmp, u->sha, e);
        }
    }
    drop_upload(b, ix);
    return rc;
}

int herd_blobs_chunk(struct herd_blobs *b, const char *owner, const char *sha, uint64_t offset,
                     uint64_t total, const uint8_t *data, uint32_t len, int *done,
                     struct herd_err *e)
{
    size_t ix = 0;
    *done = 0;
    if (!herd_cas_valid(sha))
        return herd_err_set(e, HERD_EINVAL, "upload: bad blob address");
    struct upload *u = find_upload(b, owner, sha, &ix);
    if (u == NULL && offset == 0 && (u = new_upload(b, owner, sha, total, &ix, e)) == NULL)
        return HERD_EIO;
    if (u == NULL || u->next != offset || u->total != total || offset + len > total) {
        if (u != NULL)
            drop_upload(b, ix);
        return herd_err_set(e, HERD_EINVAL, "upload of %s: chunk at %llu out of order", sha,
                            (unsigned long long)offset);
    }
    herd_cas_update(&u->h, data, len);
    if (u->fd >= 0 && write_all(u->fd, data, len) != 0) {
        int err = errno;
        drop_upload(b, ix);
        return herd_err_set(e, HERD_EIO, "upload of %s: %s", sha, strerror(err));
    }
    u->next += len;
    if (u->next < total)
        return HERD_OK;
    *done = 1;
    return finish_upload(b, ix, e);
}
