/* gstore — checkpoint files of graph jobs under the master's data dir. See
 * gstore.h.
 *
 * The core's thread only writes chunks into page cache and renames
 * directories; everything that waits for the disk happens on the store's
 * sync thread, fed by a FIFO of jobs:
 *   SYNC   a whole file: fdatasync, close, rename tmp -> final name;
 *   SEAL   a checkpoint directory: fsync it and its parent;
 *   REMOVE a directory already renamed out of the way (trash-*): delete it.
 * SYNC and SEAL come back through herd_gstore_poll(). Temporary names carry
 * a sequence number, and a dropped checkpoint's directory is renamed to
 * trash at once, so a new upload of the same step never meets a file of the
 * old one. Uploads in progress are a short list (at most one per worker of
 * each job: a worker sends its files one after the other).
 *
 * Recycling: the first checkpoint a newer one supersedes is not deleted but
 * renamed to <job>/spare, and the next upload of a partition takes
 * spare/part-NNNNN as its temporary file and overwrites it (truncated to
 * the new size on the sync thread). Checkpoints of one job have the same
 * sizes, so this saves creating an inode, allocating its blocks and
 * freeing the old ones per file — a third of what a checkpoint through the
 * master cost the master (docs/benchmarks.md). A job keeps at most one
 * spare set on disk; the job's end trashes it with the rest. */
#include "master/gstore.h"

#include "base/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH 4300

struct upload {
    uint64_t job, step, off, total, seq;
    uint32_t part, tag;
    int fd;
    int recycled;             /* the file was a spare: may be longer than total */
};

enum sjkind { SJ_SYNC, SJ_SEAL, SJ_REMOVE };

struct syncjob {
    struct syncjob *next;
    enum sjkind kind;
    uint64_t job, step;
    uint32_t part, tag;
    int fd, ok;
    int64_t size;             /* SYNC: truncate to this first (>= 0: a recycled file) */
    char a[PATH], b[PATH];    /* SYNC: tmp, final; SEAL: dir, parent; REMOVE: dir */
};

struct herd_gstore {
    char *root;
    struct upload *ups;
    size_t nups, capups;
    uint64_t seq;                       /* temporary and trash names */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;                  /* work for the thread, or a finished one */
    struct syncjob *todo, **todo_tail;  /* under mu */
    struct syncjob *done;               /* under mu */
    size_t busy;                        /* SYNC/SEAL handed over, not yet polled; under mu */
    int stop;                           /* under mu */
    int running;                        /* the thread is on a job; under mu */
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

static void spare_dir(const struct herd_gstore *gs, uint64_t job, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%" PRIu64 "/spare", gs->root, job);
}

static void spare_file(const struct herd_gstore *gs, uint64_t job, uint32_t part, char *buf,
                       size_t n)
{
    snprintf(buf, n, "%s/%" PRIu64 "/spare/part-%05" PRIu32, gs->root, job, part);
}

static void part_path(const struct herd_gstore *gs, const struct upload *u, int tmp, char *buf,
                      size_t n)
{
    if (tmp)
        snprintf(buf, n, "%s/%" PRIu64 "/ckpt-%" PRIu64 "/part-%05" PRIu32 ".tmp-%" PRIu64,
                 gs->root, u->job, u->step, u->part, u->seq);
    else
        snprintf(buf, n, "%s/%" PRIu64 "/ckpt-%" PRIu64 "/part-%05" PRIu32, gs->root, u->job,
                 u->step, u->part);
}

/* ---- the sync thread ---- */

static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Deletes a directory tree of depth <= 2 (trash of a job or of a step). */
static void remove_tree(const char *path, int depth)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        unlink(path);
        return;
    }
    struct dirent *de;
    char f[PATH + 300];
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(f, sizeof f, "%s/%s", path, de->d_name);
        if (depth > 0 && (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN))
            remove_tree(f, depth - 1);
        else
            unlink(f);
    }
    closedir(d);
    rmdir(path);
}

static void run_job(struct syncjob *sj)
{
    switch (sj->kind) {
    case SJ_SYNC: {
        int bad = sj->size >= 0 && ftruncate(sj->fd, (off_t)sj->size) != 0;
        bad |= fdatasync(sj->fd) != 0;
        bad |= close(sj->fd) != 0;
        sj->ok = !bad && rename(sj->a, sj->b) == 0;
        if (!sj->ok)
            unlink(sj->a);
        break;
    }
    case SJ_SEAL: sj->ok = sync_path(sj->a) == 0 && sync_path(sj->b) == 0; break;
    case SJ_REMOVE: remove_tree(sj->a, 2); break;
    }
}

static void *sync_main(void *arg)
{
    struct herd_gstore *gs = arg;
    pthread_mutex_lock(&gs->mu);
    for (;;) {
        while (gs->todo == NULL && !gs->stop)
            pthread_cond_wait(&gs->cv, &gs->mu);
        struct syncjob *sj = gs->todo;
        if (sj == NULL)
            break;
        gs->todo = sj->next;
        if (gs->todo == NULL)
            gs->todo_tail = &gs->todo;
        gs->running = 1;
        int stopping = gs->stop;
        pthread_mutex_unlock(&gs->mu);
        if (!stopping)
            run_job(sj);
        else if (sj->kind == SJ_SYNC)
            close(sj->fd); /* left as a temporary file: the next start drops it */
        pthread_mutex_lock(&gs->mu);
        gs->running = 0;
        if (sj->kind == SJ_REMOVE) {
            free(sj);
        } else {
            sj->next = gs->done;
            gs->done = sj;
        }
        pthread_cond_broadcast(&gs->cv);
    }
    pthread_mutex_unlock(&gs->mu);
    return NULL;
}

static void hand_over(struct herd_gstore *gs, struct syncjob *sj)
{
    pthread_mutex_lock(&gs->mu);
    *gs->todo_tail = sj;
    gs->todo_tail = &sj->next;
    if (sj->kind != SJ_REMOVE)
        gs->busy++;
    pthread_cond_broadcast(&gs->cv);
    pthread_mutex_unlock(&gs->mu);
}

/* Renames path out of the way at once and lets the thread delete it. */
static void trash(struct herd_gstore *gs, const char *path)
{
    struct syncjob *sj = herd_xcalloc(1, sizeof *sj);
    sj->kind = SJ_REMOVE;
    snprintf(sj->a, sizeof sj->a, "%s/trash-%" PRIu64, gs->root, ++gs->seq);
    if (rename(path, sj->a) != 0) {
        free(sj);
        return;
    }
    hand_over(gs, sj);
}

/* Trash left by a master that died: to the thread. */
static void sweep_trash(struct herd_gstore *gs)
{
    DIR *d = opendir(gs->root);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, "trash-", 6) == 0) {
            struct syncjob *sj = herd_xcalloc(1, sizeof *sj);
            sj->kind = SJ_REMOVE;
            snprintf(sj->a, sizeof sj->a, "%s/%s", gs->root, de->d_name);
            hand_over(gs, sj);
        }
    closedir(d);
}

/* ---- open, close, poll ---- */

int herd_gstore_open(const char *root, struct herd_gstore **out, struct herd_err *e)
{
    if (mkdir(root, 0700) != 0 && errno != EEXIST)
        return herd_err_set(e, HERD_EIO, "checkpoint store %s: %s", root, strerror(errno));
    struct herd_gstore *gs = herd_xcalloc(1, sizeof *gs);
    gs->root = herd_xstrdup(root);
    gs->todo_tail = &gs->todo;
    gs->seq = (uint64_t)getpid() << 32; /* trash names of an earlier master differ */
    pthread_mutex_init(&gs->mu, NULL);
    pthread_cond_init(&gs->cv, NULL);
    if (pthread_create(&gs->th, NULL, sync_main, gs) != 0) {
        free(gs->root);
        free(gs);
        return herd_err_set(e, HERD_EIO, "checkpoint store: cannot start its sync thread");
    }
    sweep_trash(gs);
    *out = gs;
    return HERD_OK;
}

static void drop_upload(struct herd_gstore *gs, size_t i)
{
    struct upload *u = &gs->ups[i];
    char tmp[PATH];
    close(u->fd);
    part_path(gs, u, 1, tmp, sizeof tmp);
    unlink(tmp);
    gs->ups[i] = gs->ups[--gs->nups];
}

void herd_gstore_close(struct herd_gstore *gs)
{
    if (gs == NULL)
        return;
    while (gs->nups > 0)
        drop_upload(gs, gs->nups - 1);
    pthread_mutex_lock(&gs->mu);
    gs->stop = 1; /* what is left is abandoned: unsynced files are not complete
                     checkpoints, and trash is swept at the next open */
    pthread_cond_broadcast(&gs->cv);
    pthread_mutex_unlock(&gs->mu);
    pthread_join(gs->th, NULL);
    herd_gstore_poll(gs, NULL, NULL);
    pthread_mutex_destroy(&gs->mu);
    pthread_cond_destroy(&gs->cv);
    free(gs->ups);
    free(gs->root);
    free(gs);
}

size_t herd_gstore_poll(struct herd_gstore *gs, herd_gstore_done_fn fn, void *arg)
{
    pthread_mutex_lock(&gs->mu);
    struct syncjob *d = gs->done;
    gs->done = NULL;
    size_t n = 0;
    for (struct syncjob *x = d; x; x = x->next)
        n++;
    gs->busy -= n; /* before the callbacks, which may hand over more */
    pthread_mutex_unlock(&gs->mu);
    while (d) {
        struct syncjob *next = d->next;
        uint32_t part = d->kind == SJ_SEAL ? HERD_GSTORE_SEALED : d->part;
        if (fn)
            fn(arg, d->job, d->tag, d->step, part, d->ok);
        free(d);
        d = next;
    }
    return n;
}

int herd_gstore_busy(struct herd_gstore *gs)
{
    pthread_mutex_lock(&gs->mu);
    int b = gs->busy > 0;
    pthread_mutex_unlock(&gs->mu);
    return b;
}

void herd_gstore_wait(struct herd_gstore *gs)
{
    pthread_mutex_lock(&gs->mu);
    for (;;) {
        size_t finished = 0;
        for (struct syncjob *d = gs->done; d; d = d->next)
            finished++;
        if (gs->todo == NULL && !gs->running && finished == gs->busy)
            break;
        pthread_cond_wait(&gs->cv, &gs->mu);
    }
    pthread_mutex_unlock(&gs->mu);
}

/* ---- uploads ---- */

static int find_upload(const struct herd_gstore *gs, uint64_t job, uint64_t step, uint32_t part)
{
    for (size_t i = 0; i < gs->nups; i++)
        if (gs->ups[i].job == job && gs->ups[i].step == step && gs->ups[i].part == part)
            return (int)i;
    return -1;
}

/* A fresh upload: the directories, then the temporary file. */
static int begin_upload(struct herd_gstore *gs, const struct upload *tmpl, struct herd_err *e)
{
    char path[PATH];
    job_dir(gs, tmpl->job, path, sizeof path);
    mkdir(path, 0700);
    step_dir(gs, tmpl->job, tmpl->step, path, sizeof path);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return herd_err_set(e, HERD_EIO, "checkpoint %s: %s", path, strerror(errno));
    struct upload u = *tmpl;
    u.seq = ++gs->seq;
    part_path(gs, &u, 1, path, sizeof path);
    char spare[PATH];
    spare_file(gs, u.job, u.part, spare, sizeof spare);
    u.recycled = rename(spare, path) == 0;
    u.fd = open(path, O_WRONLY | O_CREAT | (u.recycled ? 0 : O_TRUNC) | O_CLOEXEC, 0600);
    if (u.fd < 0)
        return herd_err_set(e, HERD_EIO, "checkpoint %s: %s", path, strerror(errno));
    herd_xgrow((void **)&gs->ups, &gs->capups, gs->nups + 1, sizeof *gs->ups);
    gs->ups[gs->nups++] = u;
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

/* The last chunk is in: to the sync thread. */
static void finish_upload(struct herd_gstore *gs, size_t i)
{
    struct upload u = gs->ups[i];
    gs->ups[i] = gs->ups[--gs->nups];
    struct syncjob *sj = herd_xcalloc(1, sizeof *sj);
    *sj = (struct syncjob){.kind = SJ_SYNC, .job = u.job, .step = u.step, .part = u.part,
                           .tag = u.tag, .fd = u.fd, .size = u.recycled ? (int64_t)u.total : -1};
    part_path(gs, &u, 1, sj->a, sizeof sj->a);
    part_path(gs, &u, 0, sj->b, sizeof sj->b);
    hand_over(gs, sj);
}

int herd_gstore_put(struct herd_gstore *gs, uint64_t job, uint32_t tag, uint64_t step,
                    uint32_t part, uint64_t offset, uint64_t total, const uint8_t *data,
                    uint32_t len, struct herd_err *e)
{
    int i = find_upload(gs, job, step, part);
    if (offset == 0 && i >= 0)
        drop_upload(gs, (size_t)i); /* a restarted upload */
    if (offset == 0) {
        struct upload u = {.job = job, .step = step, .part = part, .tag = tag, .total = total};
        int rc = begin_upload(gs, &u, e);
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
    if (u->off == u->total)
        finish_upload(gs, (size_t)i);
    return HERD_OK;
}

void herd_gstore_seal(struct herd_gstore *gs, uint64_t job, uint32_t tag, uint64_t step)
{
    struct syncjob *sj = herd_xcalloc(1, sizeof *sj);
    *sj = (struct syncjob){.kind = SJ_SEAL, .job = job, .step = step, .tag = tag};
    step_dir(gs, job, step, sj->a, sizeof sj->a);
    job_dir(gs, job, sj->b, sizeof sj->b);
    hand_over(gs, sj);
}

/* ---- reads ---- */

int herd_gstore_read(struct herd_gstore *gs, uint64_t job, uint64_t step, uint32_t part,
                     uint64_t offset, uint32_t max, uint8_t **data, uint32_t *len,
                     uint64_t *total, struct herd_err *e)
{
    char path[PATH];
    struct upload u = {.job = job, .step = step, .part = part};
    part_path(gs, &u, 0, path, sizeof path);
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

/* ---- drops ---- */

/* A superseded checkpoint's directory becomes the job's spare set (what
 * is left of the previous one — usually nothing — goes to the trash).
 * 1 if it did. */
static int make_spare(struct herd_gstore *gs, uint64_t job, const char *dir)
{
    char spare[PATH];
    spare_dir(gs, job, spare, sizeof spare);
    trash(gs, spare);
    return rename(dir, spare) == 0;
}

/* Trashes ckpt-<s> of the job where `below` ? s < keep : s != keep, with
 * the uploads into them (superseded ones may become the spare set). */
static void drop_where(struct herd_gstore *gs, uint64_t job, uint64_t keep, int below)
{
    for (size_t i = gs->nups; i-- > 0;)
        if (gs->ups[i].job == job && (below ? gs->ups[i].step < keep : gs->ups[i].step != keep))
            drop_upload(gs, i);
    char dir[PATH], sub[PATH + 300];
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
            if (!below || !make_spare(gs, job, sub))
                trash(gs, sub);
        }
    }
    closedir(d);
}

void herd_gstore_drop_below(struct herd_gstore *gs, uint64_t job, uint64_t below)
{
    if (gs)
        drop_where(gs, job, below, 1);
}

void herd_gstore_drop_except(struct herd_gstore *gs, uint64_t job, uint64_t keep)
{
    if (gs == NULL)
        return;
    if (keep != 0) {
        drop_where(gs, job, keep, 0);
        return;
    }
    for (size_t i = gs->nups; i-- > 0;)
        if (gs->ups[i].job == job)
            drop_upload(gs, i);
    char dir[PATH];
    job_dir(gs, job, dir, sizeof dir);
    trash(gs, dir);
}
