/* gshm — see gshm.h. Layout of the file: a HEADER-byte page (an 8-byte
 * magic, then one presence byte per worker), then the arrays. */
#include "worker/gshm.h"

#include "base/bytes.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER 4096u
#define MAGIC 0x6865726470756c6cULL /* "herdpull" */

struct herd_gshm {
    uint8_t *map;
    size_t len;
    uint32_t nworkers, me;
    char path[PATH_MAX];
};

/* Sizes a new (empty) file, or accepts one a peer already sized the same,
 * and reserves its blocks: a sparse file on a full tmpfs (a small /dev/shm)
 * would fail at a page fault in the middle of a superstep (SIGBUS), a
 * failed reservation fails here instead. 0, or -1 with errno. */
static int size_file(int fd, size_t len)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    if (st.st_size != 0 && (size_t)st.st_size != len) {
        errno = EEXIST; /* the name is taken by something else */
        return -1;
    }
    int rc = posix_fallocate(fd, 0, (off_t)len);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

int herd_gshm_open(const char *dir, uint64_t job, uint32_t epoch, uint32_t me,
                   uint32_t nworkers, size_t bytes, struct herd_gshm **out, struct herd_err *e)
{
    if (nworkers > HEADER - 8 || me >= nworkers)
        return herd_err_set(e, HERD_EINVAL, "shared pull arrays: worker %u of %u", me, nworkers);
    struct herd_gshm *m = herd_xcalloc(1, sizeof *m);
    m->nworkers = nworkers;
    m->len = HEADER + bytes;
    snprintf(m->path, sizeof m->path, "%s/pull-%" PRIu64 "-%u", dir, job, epoch);
    int fd = open(m->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || size_file(fd, m->len) != 0) {
        herd_err_set(e, HERD_EIO, "%s: %s", m->path, strerror(errno));
        goto fail;
    }
    m->map = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m->map == MAP_FAILED) {
        m->map = NULL;
        herd_err_set(e, HERD_EIO, "%s: mmap: %s", m->path, strerror(errno));
        goto fail;
    }
    close(fd);
    uint8_t magic[8];
    herd_put_u64(magic, MAGIC);
    memcpy(m->map, magic, sizeof magic); /* every worker writes the same bytes */
    m->me = me;
    *out = m;
    return HERD_OK;
fail:
    if (fd >= 0)
        close(fd);
    free(m);
    return HERD_EIO;
}

void herd_gshm_join(struct herd_gshm *m)
{
    __atomic_store_n(&m->map[8 + m->me], 1, __ATOMIC_SEQ_CST);
}

void *herd_gshm_mem(const struct herd_gshm *m)
{
    return m->map + HEADER;
}

int herd_gshm_everyone(const struct herd_gshm *m)
{
    if (herd_get_u64(m->map) != MAGIC)
        return 0;
    for (uint32_t w = 0; w < m->nworkers; w++)
        if (__atomic_load_n(&m->map[8 + w], __ATOMIC_SEQ_CST) != 1)
            return 0;
    return 1;
}

void herd_gshm_unlink(struct herd_gshm *m)
{
    unlink(m->path); /* ENOENT: a peer was first */
}

void herd_gshm_close(struct herd_gshm *m)
{
    if (m == NULL)
        return;
    munmap(m->map, m->len);
    herd_gshm_unlink(m);
    free(m);
}
