/* ckpt_ship — checkpoints through the master (no shared checkpoint path):
 * the worker's side of CKPT_PUT / CKPT_GET / CKPT_DATA (docs/protocol.md
 * section 10, docs/distributed.md "Checkpoints").
 *
 * Saving: the graph thread builds the owned partitions' files in memory (the
 * format of gpart_ckpt.c), hands them to the loop thread and goes on
 * computing. The loop thread sends each in 1 MiB CKPT_PUT chunks, only
 * while the control connection has less than SHIP_WINDOW bytes queued (a
 * timer resumes it), so a heartbeat or a REPORT waits behind at most a
 * window and a chunk; a sent file is freed. Memory: at most the checkpoints not yet sent
 * (18 bytes per vertex per checkpoint on the pull path).
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

struct upfile {
    struct upfile *next;
    uint64_t job, step;
    uint32_t epoch, part;
    uint8_t *data;
    size_t size;
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
    /* loop thread only */
    struct upfile *cur;                /* being sent */
    uint64_t off;
};

static void free_upfile(struct upfile *u)
{
    free(u->data);
    free(u);
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
    while (s->in_head) {
        struct upfile *u = s->in_head;
        s->in_head = u->next;
        free_upfile(u);
    }
    if (s->cur)
        free_upfile(s->cur);
    g->ship = NULL;
    uv_close((uv_handle_t *)&s->timer, timer_closed);
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

/* Graph thread: one partition's file, to the hand-over list. */
static void emit(void *arg, uint32_t part, uint8_t *data, size_t len)
{
    struct emit_ctx *x = arg;
    struct upfile *u = herd_xcalloc(1, sizeof *u);
    *u = (struct upfile){.job = x->r->job, .step = x->step, .epoch = x->r->epoch, .part = part,
                         .data = data, .size = len};
    pthread_mutex_lock(&x->g->mu);
    *x->g->ship->in_tail = u;
    x->g->ship->in_tail = &u->next;
    pthread_mutex_unlock(&x->g->mu);
}

int herd_gpart__save_net(struct herd_gpart *g, struct gjobrun *r, uint64_t step,
                         struct herd_err *e)
{
    struct emit_ctx x = {g, r, step};
    int rc = herd_gpart__save_mem(r, step, emit, &x, e);
    uv_async_send(&g->async);
    return rc;
}

/* The file being sent is done (or given up). */
static void end_file(struct ckpt_ship *s)
{
    free_upfile(s->cur);
    s->cur = NULL;
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

/* Sends one chunk of the current file; the file ends when its last is out. */
static void send_chunk(struct herd_gpart *g, struct ckpt_ship *s)
{
    struct upfile *u = s->cur;
    uint64_t n = u->size - s->off < SHIP_CHUNK ? u->size - s->off : SHIP_CHUNK;
    struct herd_gmsg gm = {.op = HERD_GOP_CKPT_PUT};
    gm.u.ckpt = (struct herd_gckpt){.step = u->step, .part = u->part, .offset = s->off,
                                    .total = u->size, .len = (uint32_t)n,
                                    .data = u->data + s->off};
    struct herd_msg m;
    herd_gmsg_wrap(&gm, u->job, u->epoch, &m);
    g->send(g->ctx, &m);
    herd_msg_free(&m);
    s->off += n;
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
