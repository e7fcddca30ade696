/* gstore — checkpoint files of graph jobs under the master's data dir. See
 * gstore.h. Uploads in progress are a short list (at most one per worker
 * of each job: a worker sends its files one after the other). */
#include "master/gstore.h"

#include "base/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct upload {
    uint64_t job, step, off, total;
    uint32_t part;
    int fd;
};

struct herd_gstore {
    char *root;
    struct upload *ups;
    size_t nups, capups;
};

static void job_dir(const struct herd_gstore *gs, uint64_t job, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%" PRIu64, gs->root, job);
}

static void step_dir(const struct herd_gstore *gs, uint64_t job, uint64_t step, char *buf,
                     size_t n)
{
    snprintf(buf, n, "%s/%" PRIu64 "/ckpt-%" PRIu64, gs->root, job, step);
}

static void part_path(const struct herd_gstore *gs, uint64_t job, uint64_t step, uint32_t part,
                      const char *suffix, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%" PRIu64 "/ckpt-%" PRIu64 "/part-%05" PRIu32 "%s", gs->root, job, step,
             part, suffix);
}

int herd_gstore_open(const char *root, struct herd_gstore **out, struct herd_err *e)
{
    if (mkdir(root, 0700) != 0 && errno != EEXIST)
        return herd_err_set(e, HERD_EIO, "checkpoint store %s: %s", root, strerror(errno));
    struct herd_gstore *gs = herd_xcalloc(1, sizeof *gs);
    gs->root = herd_xstrdup(root);
    *out = gs;
    return HERD_OK;
}

static void drop_upload(struct herd_gstore *gs, size_t i)
{
    struct upload *u = &gs->ups[i];
    char tmp[4200];
    close(u->fd);
    part_path(gs, u->job, u->step, u->part, ".tmp", tmp, sizeof tmp);
    unlink(tmp);
    gs->ups[i] = gs->ups[--gs->nups];
}

void herd_gstore_close(struct herd_gstore *gs)
{
    if (gs == NULL)
        return;
    while (gs->nups > 0)
        drop_upload(gs, gs->nups - 1);
    free(gs->ups);
    free(gs->root);
    free(gs);
}

static int find_upload(const struct herd_gstore *gs, uint64_t job, uint64_t step, uint32_t part)
{
    for (size_t i = 0; i < gs->nups; i++)
        if (gs->ups[i].job == job && gs->ups[i].step == step && gs->ups[i].part == part)
            return (int)i;
    return -1;
}

/* A fresh upload: the directories, then the temporary file. */
static int begin_upload(struct herd_gstore *gs, uint64_t job, uint64_t step, uint32_t part,
                        uint64_t total, struct herd_err *e)
{
    char path[4200];
    job_dir(gs, job, path, sizeof path);
    mkdir(path, 0700);
    step_dir(gs, job, step, path, sizeof path);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return herd_err_set(e, HERD_EIO, "checkpoint %s: %s", path, strerror(errno));
    part_path(gs, job, step, part, ".tmp", path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return herd_err_set(e, HERD_EIO, "checkpoint %s: %s", path, strerror(errno));
    herd_xgrow((void **)&gs->ups, &gs->capups, gs->nups + 1, sizeof *gs->ups);
    gs->ups[gs->nups++] = (struct upload){.job = job, .step = step, .part = part, .fd = fd,
                                          .total = total};
    return HERD_OK;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* The last chunk is in: fsync, close, rename into place. */
static int finish_upload(struct herd_gstore *gs, size_t i, struct herd_err *e)
{
    struct upload u = gs->ups[i];
    char tmp[4200], path[4200];
    part_path(gs, u.job, u.step, u.part, ".tmp", tmp, sizeof tmp);
    part_path(gs, u.job, u.step, u.part, "", path, sizeof path);
    int bad = fdatasync(u.fd) != 0;
    bad |= close(u.fd) != 0;
    gs->ups[i] = gs->ups[--gs->nups];
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return herd_err_set(e, HERD_EIO, "checkpoint %s: %s", path, strerror(errno));
    }
    return HERD_OK;
}

int herd_gstore_put(struct herd_gstore *gs, uint64_t job, uint64_t step, uint32_t part,
                    uint64_t offset, uint64_t total, const uint8_t *data, uint32_t len,
                    int *done, struct herd_err *e)
{
    int i = find_upload(gs, job, step, part);
    if (offset == 0 && i >= 0)
        drop_upload(gs, (size_t)i); /* a restarted upload */
    if (offset == 0) {
        int rc = begin_upload(gs, job, step, part, total, e);
        if (rc != HERD_OK)
            return rc;
        i = (int)gs->nups - 1;
    }
    struct upload *u = i >= 0 ? &gs->ups[i] : NULL;
    if (u == NULL || offset != u->off || total != u->total || len > total - offset) {
        if (u)
            drop_upload(gs, (size_t)i);
        return herd_err_set(e, HERD_EINVAL, "checkpoint of job %" PRIu64 " step %" PRIu64
                            " partition %" PRIu32 ": chunk at %" PRIu64 " out of order", job,
                            step, part, offset);
    }
    if (write_all(u->fd, data, len) != 0) {
        drop_upload(gs, (size_t)i);
        return herd_err_set(e, HERD_EIO, "checkpoint of job %" PRIu64 " partition %" PRIu32
                            ": write: %s", job, part, strerror(errno));
    }
    u->off += len;
    *done = 0;
    if (u->off < u->total)
        return HERD_OK;
    int rc = finish_upload(gs, (size_t)i, e);
    if (rc == HERD_OK)
        *done = 1;
    return rc;
}

static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int herd_gstore_seal(struct herd_gstore *gs, uint64_t job, uint64_t step, struct herd_err *e)
{
    char path[4200];
    step_dir(gs, job, step, path, sizeof path);
    int bad = sync_path(path) != 0;
    job_dir(gs, job, path, sizeof path);
    bad |= sync_path(path) != 0;
    if (bad)
        return herd_err_set(e, HERD_EIO, "checkpoint %s: fsync: %s", path, strerror(errno));
    return HERD_OK;
}

int herd_gstore_read(struct herd_gstore *gs, uint64_t job, uint64_t step, uint32_t part,
                     uint64_t offset, uint32_t max, uint8_t **data, uint32_t *len,
                     uint64_t *total, struct herd_err *e)
{
    char path[4200];
    part_path(gs, job, step, part, "", path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return herd_err_set(e, HERD_ENOTFOUND, "checkpoint of step %" PRIu64 " partition %"
                            PRIu32 ": not stored", step, part);
    }
    uint64_t size = (uint64_t)st.st_size;
    int rc = HERD_OK;
    uint64_t want = offset > size ? 0 : size - offset < max ? size - offset : max;
    uint8_t *buf = offset > size ? NULL : malloc(want ? want : 1);
    ssize_t n = buf ? pread(fd, buf, want, (off_t)offset) : -1;
    if (offset > size)
        rc = herd_err_set(e, HERD_EINVAL, "checkpoint read at %" PRIu64 " past the end", offset);
    else if (buf == NULL)
        rc = herd_err_set(e, HERD_ENOMEM, "checkpoint read: out of memory");
    else if (n != (ssize_t)want)
        rc = herd_err_set(e, HERD_EIO, "checkpoint %s: read failed", path);
    close(fd);
    if (rc != HERD_OK) {
        free(buf);
        return rc;
    }
    *data = buf;
    *len = (uint32_t)want;
    *total = size;
    return HERD_OK;
}

/* Removes a directory's files, then the directory. */
static void remove_dir(const char *path) /* at most 4500 bytes */
{
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    struct dirent *de;
    char f[4800];
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(f, sizeof f, "%s/%s", path, de->d_name);
        unlink(f);
    }
    closedir(d);
    rmdir(path);
}

/* Deletes ckpt-<s> of the job where drop(s) says so. */
static void drop_where(struct herd_gstore *gs, uint64_t job, uint64_t keep, int below)
{
    for (size_t i = gs->nups; i-- > 0;)
        if (gs->ups[i].job == job && (below ? gs->ups[i].step < keep : gs->ups[i].step != keep))
            drop_upload(gs, i);
    char dir[4200], sub[4500];
    job_dir(gs, job, dir, sizeof dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint64_t s;
        char extra;
        if (sscanf(de->d_name, "ckpt-%" SCNu64 "%c", &s, &extra) != 1)
            continue;
        if (below ? s < keep : s != keep) {
            snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
            remove_dir(sub);
        }
    }
    closedir(d);
    if (!below && keep == 0)
        rmdir(dir);
}

void herd_gstore_drop_below(struct herd_gstore *gs, uint64_t job, uint64_t below)
{
    if (gs)
        drop_where(gs, job, below, 1);
}

void herd_gstore_drop_except(struct herd_gstore *gs, uint64_t job, uint64_t keep)
{
    if (gs)
        drop_where(gs, job, keep, 0);
}
