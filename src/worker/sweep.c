/* sweep — see sweep.h. Two nftw passes on a pool thread: the first makes
 * every directory writable (pre-order, so children can then be unlinked),
 * the second removes everything bottom-up (an empty sandbox takes one
 * rmdir). Never on the loop thread: a directory operation can wait for the
 * file system's journal, e.g. behind the master's fsync on the same disk.
 * At most one batch runs at a time; paths added meanwhile form the next. */
#include "worker/sweep.h"

#include "base/log.h"
#include "base/mem.h"
#include "wire/msg.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FREE 64

struct herd_sweep {
    uv_loop_t *loop;
    char *root;
    char *free[MAX_FREE]; /* empty sandboxes kept for reuse */
    size_t nfree;
    uint64_t seq;         /* names .free-N */
    char **queued;       /* waiting for the next batch */
    size_t nqueued, cap;
    size_t inflight;     /* paths in the running batch */
    int destroyed;
};

struct batch {
    uv_work_t req;
    struct herd_sweep *owner;
    char **paths;
    size_t n;
    int *err;            /* errno per path, 0 if removed */
};

int herd_keep_parse(const char *s, enum herd_keep *out)
{
    static const char *const names[] = {"failed", "all", "none"};
    for (int k = 0; k < 3; k++)
        if (strcmp(s, names[k]) == 0) {
            *out = (enum herd_keep)k;
            return 0;
        }
    return -1;
}

const char *herd_keep_name(enum herd_keep k)
{
    return k == HERD_KEEP_ALL ? "all" : k == HERD_KEEP_NONE ? "none" : "failed";
}

int herd_keep_sandbox(enum herd_keep k, int status)
{
    if (k != HERD_KEEP_FAILED)
        return k == HERD_KEEP_ALL;
    return status == HERD_RESULT_FAILED || status == HERD_RESULT_TIMEOUT ||
           status == HERD_RESULT_ERROR;
}

static int open_up(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_D || flag == FTW_DNR)
        chmod(p, (st->st_mode & 07777) | S_IRWXU);
    return 0;
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p) == 0 || errno == ENOENT ? 0 : errno;
}

static int remove_tree(const char *path)
{
    if (rmdir(path) == 0 || errno == ENOENT)
        return 0; /* an empty sandbox, the common case */
    nftw(path, open_up, 32, FTW_PHYS);
    int rc = nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS);
    return rc > 0 ? rc : rc < 0 && errno != ENOENT ? errno : 0;
}

static void work(uv_work_t *req)
{
    struct batch *b = req->data;
    for (size_t i = 0; i < b->n; i++)
        b->err[i] = remove_tree(b->paths[i]);
}

static void start_batch(struct herd_sweep *s);

static void free_sweep(struct herd_sweep *s)
{
    free(s->queued);
    free(s->root);
    free(s);
}

static void after(uv_work_t *req, int status)
{
    struct batch *b = req->data;
    struct herd_sweep *s = b->owner;
    for (size_t i = 0; i < b->n; i++) {
        if (b->err[i] != 0 || status != 0)
            herd_warn("worker", "removing sandbox %s: %s", b->paths[i],
                      status ? uv_strerror(status) : strerror(b->err[i]));
        free(b->paths[i]);
    }
    free(b->paths);
    free(b->err);
    free(b);
    s->inflight = 0;
    start_batch(s);
    if (s->destroyed && s->inflight == 0)
        free_sweep(s);
}

/* Hands the queued paths to the pool, unless a batch is running. */
static void start_batch(struct herd_sweep *s)
{
    if (s->inflight > 0 || s->nqueued == 0)
        return;
    struct batch *b = herd_xcalloc(1, sizeof *b);
    b->owner = s;
    b->paths = s->queued;
    b->n = s->nqueued;
    b->err = herd_xcalloc(b->n, sizeof *b->err);
    b->req.data = b;
    s->queued = NULL;
    s->nqueued = s->cap = 0;
    s->inflight = b->n;
    if (uv_queue_work(s->loop, &b->req, work, after) != 0) {
        herd_warn("worker", "cannot queue the removal of %zu sandboxes", b->n);
        for (size_t i = 0; i < b->n; i++)
            free(b->paths[i]);
        free(b->paths);
        free(b->err);
        free(b);
        s->inflight = 0;
    }
}

struct herd_sweep *herd_sweep_create(uv_loop_t *loop, const char *root)
{
    struct herd_sweep *s = herd_xcalloc(1, sizeof *s);
    s->loop = loop;
    s->root = herd_xstrdup(root);
    return s;
}

static int is_empty_dir(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int n = 0;
    while (d != NULL && n == 0 && (de = readdir(d)) != NULL)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    if (d != NULL)
        closedir(d);
    return d != NULL && n == 0;
}

/* Keeps an empty sandbox for reuse; 1 if kept. */
static int keep_free(struct herd_sweep *s, const char *path)
{
    if (s->nfree == MAX_FREE || s->destroyed || !is_empty_dir(path))
        return 0;
    size_t n = strlen(s->root) + 32;
    char *name = herd_xmalloc(n);
    snprintf(name, n, "%s/.free-%llu", s->root, (unsigned long long)++s->seq);
    if (rename(path, name) != 0) {
        free(name);
        return 0;
    }
    s->free[s->nfree++] = name;
    return 1;
}

int herd_sweep_reuse(struct herd_sweep *s, const char *path)
{
    while (s->nfree > 0) {
        char *name = s->free[--s->nfree];
        int ok = rename(name, path) == 0 && chmod(path, 0700) == 0;
        if (!ok)
            herd_sweep_add(s, name); /* odd: drop it */
        free(name);
        if (ok)
            return 1;
    }
    return 0;
}

void herd_sweep_add(struct herd_sweep *s, const char *path)
{
    if (keep_free(s, path))
        return;
    herd_xgrow((void **)&s->queued, &s->cap, s->nqueued + 1, sizeof *s->queued);
    s->queued[s->nqueued++] = herd_xstrdup(path);
    start_batch(s);
}

size_t herd_sweep_pending(const struct herd_sweep *s)
{
    return s->nqueued + s->inflight;
}

void herd_sweep_destroy(struct herd_sweep *s)
{
    if (s == NULL)
        return;
    s->destroyed = 1;
    while (s->nfree > 0) {
        char *name = s->free[--s->nfree];
        herd_sweep_add(s, name);
        free(name);
    }
    start_batch(s);
    if (s->inflight == 0)
        free_sweep(s);
}
