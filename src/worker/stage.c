/* Design notes. A fetch is one blob being copied from the master, one
 * chunk in flight at a time (FETCH offset -> BLOB), written to
 * cache/tmp.<sha> and renamed to cache/<sha> once it hashes right. A waiter
 * is an attempt (a deep copy of its ASSIGN) whose blobs are not all cached;
 * when a fetch ends, every waiter is re-checked (they are few: at most the
 * worker's cores). */
#include "worker/stage.h"

#include "base/log.h"
#include "base/mem.h"
#include "wire/cas.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (256u << 10)

struct fetch {
    char sha[HERD_CAS_HEX + 1];
    char tmp[4096];
    int fd;
    uint64_t offset;
    struct herd_cas_hasher h;
    struct fetch *next;
};

struct waiter {
    struct herd_msg m; /* ASSIGN copy */
    struct waiter *next;
};

/* An attempt's outputs being sent (herd_stage_upload_paced). */
struct upload {
    struct upload *next;
    struct herd_msg m;  /* a copy of the RESULT */
    uint32_t file;      /* output being sent */
    uint64_t off;       /* next offset in it */
    int fd;             /* open output file, or -1 */
    uint64_t size;
};

struct herd_stage {
    char *cache_dir;
    struct herd_stage_io io;
    struct fetch *fetches;
    struct waiter *waiters;
    struct upload *uploads, **utail; /* FIFO */
    size_t nuploads;
    uint8_t *chunk;                  /* CHUNK bytes, for uploads */
};

int herd_stage_create(const char *work_dir, const struct herd_stage_io *io,
                      struct herd_stage **out, struct herd_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/cache", work_dir);
    if ((mkdir(work_dir, 0700) != 0 && errno != EEXIST) || (mkdir(path, 0700) != 0 && errno != EEXIST))
        return herd_err_set(e, HERD_EIO, "cache %s: %s", path, strerror(errno));
    struct herd_stage *s = herd_xcalloc(1, sizeof *s);
    s->cache_dir = herd_xstrdup(path);
    s->io = *io;
    s->utail = &s->uploads;
    *out = s;
    return HERD_OK;
}

static void drop_fetch(struct herd_stage *s, struct fetch *f)
{
    struct fetch **pp = &s->fetches;
    while (*pp && *pp != f)
        pp = &(*pp)->next;
    if (*pp)
        *pp = f->next;
    if (f->fd >= 0) {
        close(f->fd);
        unlink(f->tmp);
    }
    herd_cas_abort(&f->h);
    free(f);
}

static void free_waiter(struct waiter *w)
{
    herd_msg_free(&w->m);
    free(w);
}

static void free_upload(struct upload *u)
{
    if (u->fd >= 0)
        close(u->fd);
    herd_msg_free(&u->m);
    free(u);
}

void herd_stage_destroy(struct herd_stage *s)
{
    if (s == NULL)
        return;
    while (s->fetches)
        drop_fetch(s, s->fetches);
    for (struct waiter *w = s->waiters, *n; w; w = n) {
        n = w->next;
        free_waiter(w);
    }
    while (s->uploads) {
        struct upload *u = s->uploads;
        s->uploads = u->next;
        free_upload(u);
    }
    free(s->chunk);
    free(s->cache_dir);
    free(s);
}

const char *herd_stage_cache_dir(const struct herd_stage *s)
{
    return s->cache_dir;
}

static int cached(const struct herd_stage *s, const char *sha)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->cache_dir, sha);
    return access(path, F_OK) == 0;
}

/* The blob address of input i ("SHA NAME"), copied into sha. */
static int input_sha(const char *in, char sha[HERD_CAS_HEX + 1])
{
    if (strlen(in) < HERD_CAS_HEX + 2 || in[HERD_CAS_HEX] != ' ')
        return -1;
    memcpy(sha, in, HERD_CAS_HEX);
    sha[HERD_CAS_HEX] = '\0';
    return herd_cas_valid(sha) ? 0 : -1;
}

static int request(struct herd_stage *s, struct fetch *f)
{
    struct herd_msg m = {.type = HERD_MSG_FETCH};
    m.u.fetch.sha256 = f->sha;
    m.u.fetch.offset = f->offset;
    return s->io.send(s->io.ctx, &m);
}

static void begin_fetch(struct herd_stage *s, const char *sha)
{
    for (struct fetch *f = s->fetches; f; f = f->next)
        if (strcmp(f->sha, sha) == 0)
            return;
    struct fetch *f = herd_xcalloc(1, sizeof *f);
    memcpy(f->sha, sha, sizeof f->sha);
    snprintf(f->tmp, sizeof f->tmp, "%s/tmp.%s", s->cache_dir, sha);
    f->fd = -1;
    herd_cas_begin(&f->h);
    f->next = s->fetches;
    s->fetches = f;
    herd_debug("stage", "fetching blob %.12s", sha);
    request(s, f);
}

/* Starts fetches for what a lacks; returns the number missing, -1 if bad. */
static int missing(struct herd_stage *s, const struct herd_msg_assign *a, int start)
{
    char sha[HERD_CAS_HEX + 1];
    int n = 0;
    for (uint32_t i = 0; i < a->ninputs; i++) {
        if (input_sha(a->inputs[i], sha) != 0)
            return -1;
        if (!cached(s, sha) && ++n && start)
            begin_fetch(s, sha);
    }
    if (a->plugin && a->plugin[0]) {
        if (!herd_cas_valid(a->plugin))
            return -1;
        if (!cached(s, a->plugin) && ++n && start)
            begin_fetch(s, a->plugin);
    }
    return n;
}

int herd_stage_start(struct herd_stage *s, const struct herd_msg_assign *a, struct herd_err *e)
{
    int n = missing(s, a, 1);
    if (n < 0)
        return herd_err_set(e, HERD_EINVAL, "malformed blob address in the task"), -1;
    if (n == 0)
        return 1;
    struct waiter *w = herd_xcalloc(1, sizeof *w);
    struct herd_msg m = {.type = HERD_MSG_ASSIGN};
    m.u.assign = *a;
    herd_msg_copy(&w->m, &m);
    w->next = s->waiters;
    s->waiters = w;
    return 0;
}

/* Re-checks the waiters after a fetch of sha ended (ok or not). */
static void wake(struct herd_stage *s, const char *sha, const char *failure)
{
    struct waiter **pp = &s->waiters;
    while (*pp) {
        struct waiter *w = *pp;
        const struct herd_msg_assign *a = &w->m.u.assign;
        int uses = a->plugin && strcmp(a->plugin, sha) == 0;
        for (uint32_t i = 0; !uses && i < a->ninputs; i++)
            uses = strncmp(a->inputs[i], sha, HERD_CAS_HEX) == 0;
        if (!uses || (failure == NULL && missing(s, a, 0) != 0)) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        if (failure != NULL)
            s->io.failed(s->io.ctx, a, failure);
        else
            s->io.ready(s->io.ctx, a);
        free_waiter(w);
    }
}

static void fetch_failed(struct herd_stage *s, struct fetch *f, const char *why)
{
    char sha[HERD_CAS_HEX + 1], msg[512];
    memcpy(sha, f->sha, sizeof sha);
    snprintf(msg, sizeof msg, "staging blob %.12s: %s", sha, why);
    herd_warn("stage", "%s", msg);
    drop_fetch(s, f);
    wake(s, sha, msg);
}

static void fetch_done(struct herd_stage *s, struct fetch *f)
{
    char sha[HERD_CAS_HEX + 1], got[HERD_CAS_HEX + 1], path[4096];
    memcpy(sha, f->sha, sizeof sha);
    herd_cas_end(&f->h, got);
    herd_cas_begin(&f->h); /* drop_fetch aborts it */
    if (strcmp(got, sha) != 0)
        return fetch_failed(s, f, "content does not match its address");
    snprintf(path, sizeof path, "%s/%s", s->cache_dir, sha);
    fchmod(f->fd, 0444);
    if (close(f->fd) != 0 || rename(f->tmp, path) != 0) {
        f->fd = -1;
        unlink(f->tmp);
        return fetch_failed(s, f, strerror(errno));
    }
    f->fd = -1;
    drop_fetch(s, f);
    herd_debug("stage", "blob %.12s cached", sha);
    wake(s, sha, NULL);
}

void herd_stage_blob(struct herd_stage *s, const struct herd_msg_blob *b)
{
    struct fetch *f = s->fetches;
    while (f && strcmp(f->sha, b->sha256 ? b->sha256 : "") != 0)
        f = f->next;
    if (f == NULL || b->offset != f->offset)
        return; /* stale (a dropped fetch) */
    if (b->error && b->error[0])
        return fetch_failed(s, f, b->error);
    if (f->fd < 0 && (f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
        return fetch_failed(s, f, strerror(errno));
    if (b->data_len > 0 && write(f->fd, b->data, b->data_len) != (ssize_t)b->data_len)
        return fetch_failed(s, f, "write to the cache failed");
    herd_cas_update(&f->h, b->data, b->data_len);
    f->offset += b->data_len;
    if (f->offset >= b->total)
        return fetch_done(s, f);
    if (b->data_len == 0)
        return fetch_failed(s, f, "empty chunk before the end");
    request(s, f);
}

int herd_stage_kill(struct herd_stage *s, uint64_t attempt_id)
{
    for (struct waiter **pp = &s->waiters; *pp; pp = &(*pp)->next) {
        if ((*pp)->m.u.assign.attempt_id == attempt_id) {
            struct waiter *w = *pp;
            *pp = w->next;
            free_waiter(w);
            return 1;
        }
    }
    return 0;
}

void herd_stage_disconnected(struct herd_stage *s)
{
    while (s->fetches)
        drop_fetch(s, s->fetches);
    while (s->waiters) {
        struct waiter *w = s->waiters;
        s->waiters = w->next;
        s->io.failed(s->io.ctx, &w->m.u.assign, "lost the master while staging inputs");
        free_waiter(w);
    }
    herd_stage_pump(s); /* uploads end at once: their RESULTs wait in the agent */
}

/* ---- sandbox side ---- */

/* mkdir -p of the directories above path (inside the sandbox). */
static int make_parents(char *path)
{
    for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    char buf[65536];
    ssize_t n;
    if (in < 0 || (out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
        goto done;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            goto done;
    rc = n < 0 ? -1 : 0;
done:
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        rc = -1;
    return rc;
}

int herd_stage_link_inputs(const char *cache_dir, const struct herd_msg_assign *a,
                           const char *sandbox, struct herd_err *e)
{
    char sha[HERD_CAS_HEX + 1], from[4096], to[8192];
    for (uint32_t i = 0; i < a->ninputs; i++) {
        if (input_sha(a->inputs[i], sha) != 0)
            return herd_err_set(e, HERD_EINVAL, "input %u: malformed", i);
        snprintf(from, sizeof from, "%s/%s", cache_dir, sha);
        snprintf(to, sizeof to, "%s/%s", sandbox, a->inputs[i] + HERD_CAS_HEX + 1);
        if (make_parents(to) != 0 ||
            (link(from, to) != 0 && errno != EEXIST && copy_file(from, to) != 0))
            return herd_err_set(e, HERD_EIO, "stage input %s: %s", to, strerror(errno));
    }
    return HERD_OK;
}

static int collect_one(const char *cache_dir, const char *sandbox, const char *name, char **entry,
                       struct herd_err *e)
{
    char path[8192], sha[HERD_CAS_HEX + 1], dest[4096];
    uint64_t size = 0;
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", sandbox, name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return herd_err_set(e, HERD_ENOTFOUND, "declared output %.200s was not produced", name);
    int rc = herd_cas_file(path, sha, &size, e);
    if (rc != HERD_OK)
        return rc;
    snprintf(dest, sizeof dest, "%s/%s", cache_dir, sha);
    if (access(dest, F_OK) != 0 && link(path, dest) != 0 && copy_file(path, dest) != 0)
        return herd_err_set(e, HERD_EIO, "output %.200s into the cache: %s", name,
                            strerror(errno));
    size_t n = strlen(name) + HERD_CAS_HEX + 32;
    *entry = herd_xmalloc(n);
    snprintf(*entry, n, "%s %" PRIu64 " %s", sha, size, name);
    return HERD_OK;
}

int herd_stage_collect_outputs(const char *cache_dir, const char *sandbox, char *const *names,
                               uint32_t n, char ***entries, struct herd_err *e)
{
    char **v = herd_xcalloc(n ? n : 1, sizeof *v);
    for (uint32_t i = 0; i < n; i++) {
        int rc = collect_one(cache_dir, sandbox, names[i], &v[i], e);
        if (rc != HERD_OK) {
            for (uint32_t k = 0; k < i; k++)
                free(v[k]);
            free(v);
            return rc;
        }
    }
    *entries = v;
    return HERD_OK;
}

static int upload_one(struct herd_stage *s, const char *entry)
{
    char sha[HERD_CAS_HEX + 1], path[4096];
    if (input_sha(entry, sha) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s", s->cache_dir, sha);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    uint8_t *buf = herd_xmalloc(CHUNK);
    uint64_t total = (uint64_t)st.st_size, off = 0;
    int ok = 1;
    do {
        ssize_t n = pread(fd, buf, CHUNK, (off_t)off);
        if (n < 0 || (n == 0 && off < total)) {
            ok = 0;
            break;
        }
        struct herd_msg m = {.type = HERD_MSG_STORE};
        m.u.store = (struct herd_msg_store){sha, off, total, (uint32_t)n, buf};
        ok = s->io.send(s->io.ctx, &m);
        off += (uint64_t)n;
    } while (ok && off < total);
    free(buf);
    close(fd);
    return ok ? 0 : -1;
}

int herd_stage_upload(struct herd_stage *s, const struct herd_msg_result *r)
{
    for (uint32_t i = 0; i < r->noutputs; i++)
        if (upload_one(s, r->outputs[i]) != 0)
            return -1;
    return 0;
}

/* ---- paced uploads ---- */

void herd_stage_upload_paced(struct herd_stage *s, const struct herd_msg_result *r)
{
    struct upload *u = herd_xcalloc(1, sizeof *u);
    struct herd_msg src = {.type = HERD_MSG_RESULT};
    src.u.result = *r;
    herd_msg_copy(&u->m, &src);
    u->fd = -1;
    *s->utail = u;
    s->utail = &u->next;
    s->nuploads++;
    herd_stage_pump(s);
}

size_t herd_stage_uploads(const struct herd_stage *s)
{
    return s->nuploads;
}

/* Opens the output u is at; 0, or -1 if it cannot be read (skipped). */
static int open_output(struct herd_stage *s, struct upload *u)
{
    char sha[HERD_CAS_HEX + 1], path[4096];
    struct stat st;
    if (input_sha(u->m.u.result.outputs[u->file], sha) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s", s->cache_dir, sha);
    u->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (u->fd < 0 || fstat(u->fd, &st) != 0)
        return -1;
    u->size = (uint64_t)st.st_size;
    u->off = 0;
    return 0;
}

static void next_output(struct upload *u)
{
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
    u->file++;
}

/* Sends one chunk of u; 0 when u has more to send, 1 when it is done. */
static int send_chunk(struct herd_stage *s, struct upload *u)
{
    const struct herd_msg_result *r = &u->m.u.result;
    if (u->file >= r->noutputs)
        return 1;
    if (u->fd < 0 && open_output(s, u) != 0) {
        next_output(u);
        return 0;
    }
    char sha[HERD_CAS_HEX + 1];
    input_sha(r->outputs[u->file], sha);
    ssize_t n = pread(u->fd, s->chunk, CHUNK, (off_t)u->off);
    struct herd_msg m = {.type = HERD_MSG_STORE};
    m.u.store = (struct herd_msg_store){sha, u->off, u->size, n > 0 ? (uint32_t)n : 0, s->chunk};
    if (n < 0 || (n == 0 && u->off < u->size) || !s->io.send(s->io.ctx, &m)) {
        u->file = r->noutputs; /* unreadable or no connection: give up on all */
        return 1;
    }
    u->off += (uint64_t)n;
    if (u->off >= u->size)
        next_output(u);
    return 0;
}

void herd_stage_pump(struct herd_stage *s)
{
    if (s->chunk == NULL && s->uploads != NULL)
        s->chunk = herd_xmalloc(CHUNK);
    while (s->uploads != NULL) {
        struct upload *u = s->uploads;
        if (s->io.queued && s->io.queued(s->io.ctx) >= HERD_STAGE_UPLOAD_WINDOW) {
            if (s->io.later)
                s->io.later(s->io.ctx);
            return;
        }
        if (send_chunk(s, u) == 0)
            continue;
        s->uploads = u->next; /* done: off the FIFO before the callback */
        if (s->uploads == NULL)
            s->utail = &s->uploads;
        s->nuploads--;
        s->io.uploaded(s->io.ctx, &u->m.u.result);
        free_upload(u);
    }
}
