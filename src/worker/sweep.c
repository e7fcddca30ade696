/* sweep — see sweep.h. Two nftw passes on a pool thread: the first makes
 * every directory writable (pre-order, so children can then be unlinked),
 * the second removes everything bottom-up (an empty sandbox takes one
 * rmdir). Never on the loop thread: a directory operation can wait for the
 * file system's journal, e.g. behind the master's fsync on the same disk. */
#include "worker/sweep.h"

#include "base/log.h"
#include "base/mem.h"
#include "wire/msg.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sweep {
    uv_work_t req;
    char *path;
    int err; /* errno of the first failure, or 0 */
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

static void work(uv_work_t *req)
{
    struct sweep *s = req->data;
    if (rmdir(s->path) == 0 || errno == ENOENT)
        return; /* an empty sandbox, the common case */
    nftw(s->path, open_up, 32, FTW_PHYS);
    int rc = nftw(s->path, remove_one, 32, FTW_DEPTH | FTW_PHYS);
    s->err = rc > 0 ? rc : rc < 0 ? errno : 0;
}

static void after(uv_work_t *req, int status)
{
    struct sweep *s = req->data;
    if (s->err != 0 && s->err != ENOENT)
        herd_warn("worker", "removing sandbox %s: %s", s->path, strerror(s->err));
    else if (status != 0)
        herd_warn("worker", "removing sandbox %s: %s", s->path, uv_strerror(status));
    free(s->path);
    free(s);
}

void herd_sweep_remove(uv_loop_t *loop, const char *path)
{
    struct sweep *s = herd_xcalloc(1, sizeof *s);
    s->path = herd_xstrdup(path);
    s->req.data = s;
    if (uv_queue_work(loop, &s->req, work, after) != 0) {
        herd_warn("worker", "removing sandbox %s: cannot queue", path);
        free(s->path);
        free(s);
    }
}
