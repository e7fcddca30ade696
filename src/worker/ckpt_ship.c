/* ckpt_ship — checkpoints through the master (no shared checkpoint path):
 * the worker's side of CKPT_PUT / CKPT_GET / CKPT_DATA (docs/protocol.md
 * section 10, docs/distributed.md "Checkpoints").
 *
 * Saving: the graph thread builds the owned partitions' files in memory (the
 * format of gpart_ckpt.c), hands them to the loop thread and goes on
 * computing. The loop thread sends each in 1 MiB CKPT_PUT chunks, only
 * while the control connection has less than SHIP_WINDOW bytes queued (a
 * timer resumes it), so a heartbeat or a REPORT waits behind at most a
 * window and a chunk. A chunk's bytes go to the socket from the file's own
 * buffer (send_tail): a file stays until its last chunk is written, then
 * its buffer goes to a pool for the job's next checkpoint (the pull path
 * builds files of the same sizes each time). Memory: the checkpoints not
 * yet sent plus the pool — at most what the job's checkpoints ever had in
 * flight at once (18 bytes per vertex per checkpoint on the pull path),
 * held until the run ends (herd_gpart__ship_trim).
 *
 * Restoring: the graph thread (setting up an epoch) asks for the files it
 * needs and blocks; the loop thread fetches them one chunk in flight at a
 * time (CKPT_GET -> CKPT_DATA) into <work_dir>/fetch-<job>/c<step>/p<part>
 * and wakes it. An ABORT of the job, a newer SETUP, or no answer for
 * FETCH_TIMEOUT_S fails the fetch (the epoch's READY then says why).
 *
 * Locking: the hand-over list and the fetch live under g->mu; the loop
 * thread holds g->mu while it works on the fetch, and the graph thread waits
 * on g->cv. Upload state being sent is the loop thread's alone. */
#include "worker/gpart_int.h"

#include "base/log.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SHIP_CHUNK (1u << 20)
#define SHIP_WINDOW (1u << 20)
#define FETCH_TIMEOUT_S 60
#define POOL_MAX 256 /* buffers kept for the next checkpoint of the job */

/* One partition's file: handed over, being sent, in flight (its last chunk
 * queued, some still being written), or a buffer kept in the pool. */
struct upfile {
    struct upfile *next;
    uint64_t job, step;
    uint32_t epoch, part;
    uint8_t *data;
    size_t size, cap;          /* cap: bytes allocated at data */
    uint32_t writes;           /* chunks the connection still reads from data */
    int queued_all;            /* every chunk is queued: the ship is done with it */
    struct herd_gpart *g;      /* NULL once the ship is gone: then freed, not pooled */
};

struct fetch {
    uint64_t job, step;
    uint32_t epoch;
    const uint32_t *parts;
    uint32_t n, i;            /* parts[i] is being fetched */
    uint64_t off;
    int fd;
    const char *dir;
    int state;                /* 0 to start, 1 running, 2 done, 3 failed */
    char err[300];
};

struct ckpt_ship {
    uv_timer_t timer;                  /* first: timer_closed() frees the struct */
    struct upfile *in_head, **in_tail; /* under g->mu: handed by the graph thread */
    struct fetch *fetch;               /* under g->mu */
    uint64_t seen_job;                 /* under g->mu: the last SETUP or ABORT seen */
    uint32_t seen_epoch;
    int seen_abort;
    struct upfile *pool;               /* under g->mu: warm buffers of pool_job */
    uint32_t pool_n;
    uint64_t pool_job;
    /* loop thread only */
    struct upfile *cur;                /* being sent */
    uint64_t off;
    struct upfile *flying;             /* queued_all, writes > 0 */
};

static void free_upfile(struct upfile *u)
{
    free(u->data);
    free(u);
}

static void free_list(struct upfile *u)
{
    while (u) {
        struct upfile *n = u->next;
        free_upfile(u);
        u = n;
    }
}

void herd_gpart__ship_create(struct herd_gpart *g)
{
    struct ckpt_ship *s = herd_xcalloc(1, sizeof *s);
    s->in_tail = &s->in_head;
    uv_timer_init(g->loop, &s->timer);
    s->timer.data = g;
    uv_unref((uv_handle_t *)&s->timer);
    g->ship = s;
}

static void timer_closed(uv_handle_t *h)
{
    free(h); /* the timer is the first member of struct ckpt_ship */
}

void herd_gpart__ship_destroy(struct herd_gpart *g)
{
    struct ckpt_ship *s = g->ship;
    if (s == NULL)
        return;
    free_list(s->in_head);
    free_list(s->pool);
    /* files the connection still reads from are freed by its last write */
    for (struct upfile *u = s->flying; u; u = u->next)
        u->g = NULL;
    if (s->cur && s->cur->writes > 0) {
        s->cur->g = NULL;
        s->cur->queued_all = 1;
    } else if (s->cur) {
        free_upfile(s->cur);
    }
    g->ship = NULL;
    uv_close((uv_handle_t *)&s->timer, timer_closed);
}

void herd_gpart__ship_trim(struct herd_gpart *g)
{
    pthread_mutex_lock(&g->mu);
    struct upfile *l = g->ship ? g->ship->pool : NULL;
    if (g->ship) {
        g->ship->pool = NULL;
        g->ship->pool_n = 0;
        g->ship->pool_job = 0;
    }
    pthread_mutex_unlock(&g->mu);
    free_list(l);
}

/* Loop thread: neither the ship nor the connection needs u any more: its
 * buffer goes to the pool for the job's next checkpoint, or is freed. */
static void release(struct upfile *u)
{
    struct herd_gpart *g = u->g;
    if (g != NULL) {
        pthread_mutex_lock(&g->mu);
        struct ckpt_ship *s = g->ship;
        if (s && s->pool_job == u->job && s->pool_n < POOL_MAX) {
            u->next = s->pool;
            s->pool = u;
            s->pool_n++;
            u = NULL;
        }
        pthread_mutex_unlock(&g->mu);
    }
    if (u)
        free_upfile(u);
}

/* ---- saving ---- */

static void spool_dir(const struct herd_gpart *g, const char *kind, uint64_t job, char *buf,
                      size_t n)
{
    snprintf(buf, n, "%s/%s-%" PRIu64, g->work_dir, kind, job);
}

struct emit_ctx {
    struct herd_gpart *g;
    struct gjobrun *r;
    uint64_t step;
};

/* Graph thread: a buffer of at least `size` bytes, warm from the pool (best
 * fit) when the job's last checkpoint left one, else malloc'd. */
static uint8_t *take(void *arg, size_t size, size_t *cap)
{
    struct emit_ctx *x = arg;
    struct ckpt_ship *s = x->g->ship;
    struct upfile *u = NULL, *stale = NULL;
    pthread_mutex_lock(&x->g->mu);
    if (s->pool_job != x->r->job) { /* another job's buffers */
        stale = s->pool;
        s->pool = NULL;
        s->pool_n = 0;
        s->pool_job = x->r->job;
    }
    struct upfile **best = NULL;
    for (struct upfile **pp = &s->pool; *pp; pp = &(*pp)->next)
        if ((*pp)->cap >= size && (best == NULL || (*pp)->cap < (*best)->cap))
            best = pp;
    if (best) {
        u = *best;
        *best = u->next;
        s->pool_n--;
    }
    pthread_mutex_unlock(&x->g->mu);
    free_list(stale);
    if (u == NULL) {
        *cap = size;
        return malloc(size ? size : 1);
    }
    uint8_t *p = u->data;
    *cap = u->cap;
    free(u);
    return p;
}

/* Graph thread: one partition's file, to the hand-over list. */
static void emit(void *arg, uint32_t part, uint8_t *data, size_t len, size_t cap)
{
    struct emit_ctx *x = arg;
    struct upfile *u = herd_xcalloc(1, sizeof *u);
    *u = (struct upfile){.job = x->r->job, .step = x->step, .epoch = x->r->epoch, .part = part,
                         .data = data, .size = len, .cap = cap, .g = x->g};
    pthread_mutex_lock(&x->g->mu);
    *x->g->ship->in_tail = u;
    x->g->ship->in_tail = &u->next;
    pthread_mutex_unlock(&x->g->mu);
}

int herd_gpart__save_net(struct herd_gpart *g, struct gjobrun *r, uint64_t step,
                         struct herd_err *e)
{
    struct emit_ctx x = {g, r, step};
    struct herd_gpart_ckpt_sink sink = {take, emit, &x};
    int rc = herd_gpart__save_mem(r, step, &sink, e);
    uv_async_send(&g->async);
    return rc;
}

/* Loop thread: the connection is done with one chunk of u. */
static void chunk_written(void *arg)
{
    struct upfile *u = arg;
    if (--u->writes > 0 || !u->queued_all)
        return;
    if (u->g && u->g->ship) { /* off the in-flight list */
        struct upfile **pp = &u->g->ship->flying;
        while (*pp && *pp != u)
            pp = &(*pp)->next;
        if (*pp)
            *pp = u->next;
    }
    release(u);
}

/* The file being sent has every chunk queued (or is given up). */
static void end_file(struct ckpt_ship *s)
{
    struct upfile *u = s->cur;
    s->cur = NULL;
    u->queued_all = 1;
    if (u->writes == 0) {
        release(u);
        return;
    }
    u->next = s->flying;
    s->flying = u;
}

/* The next file to send; 0, or -1 when there is none. */
static int next_file(struct herd_gpart *g, struct ckpt_ship *s)
{
    if (s->cur)
        return 0;
    pthread_mutex_lock(&g->mu);
    struct upfile *u = s->in_head;
    if (u) {
        s->in_head = u->next;
        if (s->in_head == NULL)
            s->in_tail = &s->in_head;
    }
    pthread_mutex_unlock(&g->mu);
    s->cur = u;
    s->off = 0;
    return u ? 0 : -1;
}

/* Sends one chunk of the current file; the file ends when its last is out.
 * With send_tail the chunk's bytes go to the socket from the file itself. */
static void send_chunk(struct herd_gpart *g, struct ckpt_ship *s)
{
    struct upfile *u = s->cur;
    uint64_t n = u->size - s->off < SHIP_CHUNK ? u->size - s->off : SHIP_CHUNK;
    struct herd_gckpt k = {.step = u->step, .part = u->part, .offset = s->off, .total = u->size,
                           .len = (uint32_t)n, .data = u->data + s->off};
    s->off += n;
    if (g->send_tail) {
        uint8_t head[HERD_GMSG_PUT_HEAD];
        size_t hn = herd_gmsg_put_head(&k, u->job, u->epoch, head);
        u->writes++;
        g->send_tail(g->ctx, head, hn, k.data, n, chunk_written, u);
    } else {
        struct herd_gmsg gm = {.op = HERD_GOP_CKPT_PUT, .u.ckpt = k};
        struct herd_msg m;
        herd_gmsg_wrap(&gm, u->job, u->epoch, &m);
        g->send(g->ctx, &m);
        herd_msg_free(&m);
    }
    if (s->off >= u->size)
        end_file(s);
}

static void on_timer(uv_timer_t *t)
{
    herd_gpart__ship_pump(t->data);
}

void herd_gpart__ship_pump(struct herd_gpart *g)
{
    struct ckpt_ship *s = g->ship;
    if (s == NULL || g->stop)
        return;
    while (next_file(g, s) == 0) {
        if (g->queued && g->queued(g->ctx) >= SHIP_WINDOW) {
            if (!uv_is_active((uv_handle_t *)&s->timer))
                uv_timer_start(&s->timer, on_timer, 2, 0);
            return;
        }
        send_chunk(g, s);
    }
}

/* ABORT or a newer SETUP of `job`: uploads of older epochs are useless (the
 * master drops them by epoch). Loop thread. */
static void drop_uploads(struct herd_gpart *g, uint64_t job, uint32_t before)
{
    struct ckpt_ship *s = g->ship;
    if (s->cur && s->cur->job == job && s->cur->epoch < before)
        end_file(s);
    pthread_mutex_lock(&g->mu);
    struct upfile **pp = &s->in_head;
    while (*pp) {
        struct upfile *u = *pp;
        if (u->job == job && u->epoch < before) {
            *pp = u->next;
            free_upfile(u);
        } else {
            pp = &u->next;
        }
    }
    s->in_tail = &s->in_head;
    while (*s->in_tail)
        s->in_tail = &(*s->in_tail)->next;
    pthread_mutex_unlock(&g->mu);
}

/* ---- restoring ---- */

/* Under g->mu, loop thread: ends the fetch and wakes the graph thread. */
static void fetch_end(struct herd_gpart *g, struct fetch *f, int state, const char *why)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    f->state = state;
    if (why)
        snprintf(f->err, sizeof f->err, "%s", why);
    g->ship->fetch = NULL;
    pthread_cond_broadcast(&g->cv);
}

static void send_get(struct herd_gpart *g, struct fetch *f)
{
    struct herd_gmsg gm = {.op = HERD_GOP_CKPT_GET};
    gm.u.ckpt = (struct herd_gckpt){.step = f->step, .part = f->parts[f->i], .offset = f->off};
    struct herd_msg m;
    herd_gmsg_wrap(&gm, f->job, f->epoch, &m);
    g->send(g->ctx, &m);
    herd_msg_free(&m);
}

/* Under g->mu: opens the file for parts[i] and asks for its first chunk. */
static void fetch_next(struct herd_gpart *g, struct fetch *f)
{
    if (f->i >= f->n) {
        fetch_end(g, f, 2, NULL);
        return;
    }
    char path[3200];
    snprintf(path, sizeof path, "%s/p%u", f->dir, f->parts[f->i]);
    f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (f->fd < 0) {
        char why[300];
        snprintf(why, sizeof why, "checkpoint %.200s: %s", path, strerror(errno));
        fetch_end(g, f, 3, why);
        return;
    }
    f->off = 0;
    send_get(g, f);
}

/* A CKPT_DATA (loop thread): the chunk into the file, then the next ask. */
static void on_data(struct herd_gpart *g, const struct herd_msg_graph *m, const struct herd_gckpt *k)
{
    pthread_mutex_lock(&g->mu);
    struct fetch *f = g->ship->fetch;
    if (f == NULL || f->state != 1 || m->job_id != f->job || m->epoch != f->epoch ||
        k->step != f->step || k->part != f->parts[f->i] || k->offset != f->off) {
        pthread_mutex_unlock(&g->mu);
        return; /* an answer to a fetch given up */
    }
    char why[300];
    if (k->error && k->error[0]) {
        snprintf(why, sizeof why, "the master: %.250s", k->error);
        fetch_end(g, f, 3, why);
    } else if (pwrite(f->fd, k->data, k->len, (off_t)k->offset) != (ssize_t)k->len) {
        snprintf(why, sizeof why, "checkpoint of partition %u: write: %s", k->part,
                 strerror(errno));
        fetch_end(g, f, 3, why);
    } else if (k->len == 0 && k->offset < k->total) {
        fetch_end(g, f, 3, "the master sent an empty checkpoint chunk");
    } else if ((f->off += k->len) < k->total) {
        send_get(g, f);
    } else {
        close(f->fd);
        f->fd = -1;
        f->i++;
        fetch_next(g, f);
    }
    pthread_mutex_unlock(&g->mu);
}

/* Loop thread: starts a fetch the graph thread handed over. */
static void start_fetch(struct herd_gpart *g)
{
    pthread_mutex_lock(&g->mu);
    struct fetch *f = g->ship ? g->ship->fetch : NULL;
    if (f && f->state == 0) {
        f->state = 1;
        fetch_next(g, f);
    }
    pthread_mutex_unlock(&g->mu);
}

int herd_gpart__ship_msg(struct herd_gpart *g, const struct herd_msg_graph *m)
{
    if (g->ship == NULL)
        return 0;
    if (m->op == HERD_GOP_ABORT || m->op == HERD_GOP_SETUP) {
        uint32_t before = m->op == HERD_GOP_ABORT ? m->epoch + 1 : m->epoch;
        drop_uploads(g, m->job_id, before);
        pthread_mutex_lock(&g->mu);
        g->ship->seen_job = m->job_id; /* for a fetch not registered yet */
        g->ship->seen_epoch = m->epoch;
        g->ship->seen_abort = m->op == HERD_GOP_ABORT;
        struct fetch *f = g->ship->fetch;
        int stale = f && (m->op == HERD_GOP_ABORT
                              ? m->job_id == f->job && m->epoch >= f->epoch
                              : m->job_id != f->job || m->epoch > f->epoch);
        if (stale)
            fetch_end(g, f, 3, "the master moved on (abort or a new epoch)");
        pthread_mutex_unlock(&g->mu);
        return 0;
    }
    if (m->op != HERD_GOP_CKPT_DATA)
        return 0;
    struct herd_gmsg gm;
    struct herd_err e;
    if (herd_gmsg_decode(m->op, m->body, m->body_len, &gm, &e) != HERD_OK) {
        herd_warn("gpart", "job %" PRIu64 ": %s", m->job_id, e.msg);
        return 1;
    }
    on_data(g, m, &gm.u.ckpt);
    herd_gmsg_free(&gm);
    return 1;
}

/* Graph thread: fetches parts[0..n) of checkpoint `step` into dir/p<part>,
 * waiting for the loop thread. */
static int fetch_files(struct herd_gpart *g, const struct gjobrun *r, uint64_t step,
                       const uint32_t *parts, uint32_t n, const char *dir, struct herd_err *e)
{
    struct fetch f = {.job = r->job, .step = step, .epoch = r->epoch, .parts = parts, .n = n,
                      .fd = -1, .dir = dir};
    pthread_mutex_lock(&g->mu);
    struct ckpt_ship *s = g->ship;
    int stale = s->seen_job != f.job || s->seen_epoch > f.epoch ||
                (s->seen_abort && s->seen_epoch >= f.epoch);
    if (stale) { /* the master moved on before this fetch could start */
        pthread_mutex_unlock(&g->mu);
        return herd_err_set(e, HERD_EIO, "fetch checkpoint %" PRIu64 ": the master moved on",
                            step);
    }
    s->fetch = &f;
    pthread_mutex_unlock(&g->mu);
    uv_async_send(&g->async);
    pthread_mutex_lock(&g->mu);
    uint32_t seen = UINT32_MAX;
    uint64_t seen_off = 0;
    struct timespec until;
    while (f.state < 2 && !g->stop) {
        if (f.i != seen || f.off != seen_off) { /* progress: the timeout restarts */
            seen = f.i;
            seen_off = f.off;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += FETCH_TIMEOUT_S;
        }
        if (pthread_cond_timedwait(&g->cv, &g->mu, &until) == ETIMEDOUT && f.i == seen &&
            f.off == seen_off && f.state < 2)
            fetch_end(g, &f, 3, "the master did not answer");
    }
    if (f.state < 2) /* stopping */
        fetch_end(g, &f, 3, "the worker is stopping");
    pthread_mutex_unlock(&g->mu);
    if (f.state != 2)
        return herd_err_set(e, HERD_EIO, "fetch checkpoint %" PRIu64 ": %s", step, f.err);
    return HERD_OK;
}

int herd_gpart__restore_net(struct herd_gpart *g, struct gjobrun *r, uint64_t step,
                            struct herd_err *e)
{
    char root[3000], dir[3100];
    spool_dir(g, "fetch", r->job, root, sizeof root);
    snprintf(dir, sizeof dir, "%s/c%" PRIu64, root, step);
    mkdir(root, 0700);
    mkdir(dir, 0700);
    uint32_t *parts = herd_xcalloc(r->nparts, sizeof *parts), n = 0;
    for (uint32_t p = 0; p < r->nparts; p++)
        if (r->owner[p] == r->me || r->pull) /* the pull path reads every partition's */
            parts[n++] = p;
    int rc = fetch_files(g, r, step, parts, n, dir, e);
    if (rc == HERD_OK)
        rc = herd_gpart__restore(r, root, step, e);
    for (uint32_t i = 0; i < n; i++) {
        char path[3200];
        snprintf(path, sizeof path, "%s/p%u", dir, parts[i]);
        unlink(path);
    }
    rmdir(dir);
    rmdir(root);
    free(parts);
    return rc;
}

void herd_gpart__ship_async(struct herd_gpart *g)
{
    start_fetch(g);
    herd_gpart__ship_pump(g);
}
