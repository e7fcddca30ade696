/* gmsg — encoder and decoder of the graph-job messages (gmsg.h). Each op
 * has one encode and one decode function, field for field in the order of
 * docs/protocol.md section 10; decoders read every field through a sticky
 * herd_rbuf and check counts against the bytes left before allocating. */
#include "wire/gmsg.h"

#include "wire/frame.h"

#include "base/mem.h"

#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STR 4096
#define MAX_PATH_STR 65536

const char *herd_gop_name(uint8_t op)
{
    static const char *const names[] = {NULL,     "SETUP", "READY", "STEP",
                                        "REPORT", "WRITE", "DONE",  "ABORT",
                                        "CKPT_PUT", "CKPT_GET", "CKPT_DATA"};
    return op < sizeof names / sizeof names[0] ? names[op] : NULL;
}

/* ---- encoders ---- */

static void enc_setup(const struct herd_gsetup *s, struct herd_wbuf *w)
{
    herd_wbuf_str(w, s->algo);
    herd_wbuf_blob(w, s->plugin, s->plugin_len);
    herd_wbuf_str(w, s->graph);
    herd_wbuf_u8(w, s->format);
    herd_wbuf_u8(w, s->directed);
    herd_wbuf_u8(w, s->simplify);
    herd_wbuf_u8(w, s->has_source);
    herd_wbuf_u8(w, s->no_fast_path);
    herd_wbuf_u64(w, s->source);
    herd_wbuf_u32(w, s->iterations);
    herd_wbuf_f64(w, s->damping);
    herd_wbuf_u64(w, s->seed);
    herd_wbuf_str(w, s->arg);
    herd_wbuf_u32(w, s->threads);
    herd_wbuf_u32(w, s->nworkers);
    herd_wbuf_u32(w, s->me);
    herd_wbuf_u32(w, s->nparts);
    for (uint32_t i = 0; i < s->nparts; i++)
        herd_wbuf_u32(w, s->owner[i]);
    herd_wbuf_str(w, s->ckpt_dir);
    herd_wbuf_u64(w, s->restore);
    herd_wbuf_u8(w, s->partitioning);
    herd_wbuf_u32(w, s->npeers);
    for (uint32_t i = 0; i < s->npeers; i++)
        herd_wbuf_str(w, s->peers[i]);
}

static void enc_ready(const struct herd_gready *r, struct herd_wbuf *w)
{
    herd_wbuf_u8(w, r->ok);
    herd_wbuf_str(w, r->error);
    herd_wbuf_str(w, r->dp_addr);
    herd_wbuf_u64(w, r->n);
    herd_wbuf_u64(w, r->m);
    herd_wbuf_u32(w, r->max_steps);
    herd_wbuf_u8(w, r->pull);
    herd_wbuf_u32(w, r->naggs);
    for (uint32_t i = 0; i < r->naggs; i++) {
        herd_wbuf_u8(w, r->agg_op[i]);
        herd_wbuf_u8(w, r->agg_type[i]);
    }
    herd_wbuf_f64(w, r->load_ms);
}

static void enc_step(const struct herd_gstep *s, struct herd_wbuf *w)
{
    herd_wbuf_u64(w, s->step);
    herd_wbuf_u8(w, s->checkpoint);
    herd_wbuf_u32(w, s->naggs);
    for (uint32_t i = 0; i < s->naggs; i++)
        herd_wbuf_u64(w, s->aggs[i]);
    herd_wbuf_u32(w, s->npeers);
    for (uint32_t i = 0; i < s->npeers; i++)
        herd_wbuf_str(w, s->peers[i]);
}

static void enc_report(const struct herd_greport *r, struct herd_wbuf *w)
{
    herd_wbuf_u64(w, r->step);
    herd_wbuf_u8(w, r->status);
    herd_wbuf_str(w, r->error);
    herd_wbuf_u8(w, r->saved);
    herd_wbuf_f64(w, r->compute_ms);
    herd_wbuf_f64(w, r->ckpt_ms);
    herd_wbuf_u64(w, r->bytes);
    herd_wbuf_u32(w, r->naggs);
    herd_wbuf_u32(w, r->nparts);
    for (uint32_t i = 0; i < r->nparts; i++) {
        const struct herd_gpart_report *p = &r->parts[i];
        herd_wbuf_u32(w, p->part);
        herd_wbuf_u64(w, p->computed);
        herd_wbuf_u64(w, p->active);
        herd_wbuf_u64(w, p->sent);
        herd_wbuf_u64(w, p->exchanged);
        for (uint32_t k = 0; k < r->naggs; k++)
            herd_wbuf_u64(w, p->aggs[k]);
    }
}

static void enc_ckpt(uint8_t op, const struct herd_gckpt *c, struct herd_wbuf *w)
{
    herd_wbuf_u64(w, c->step);
    herd_wbuf_u32(w, c->part);
    herd_wbuf_u64(w, c->offset);
    if (op == HERD_GOP_CKPT_GET)
        return;
    herd_wbuf_u64(w, c->total);
    herd_wbuf_blob(w, c->data, c->len);
    if (op == HERD_GOP_CKPT_DATA)
        herd_wbuf_str(w, c->error ? c->error : "");
}

void herd_gmsg_encode(const struct herd_gmsg *g, struct herd_wbuf *w)
{
    switch (g->op) {
    case HERD_GOP_SETUP: enc_setup(&g->u.setup, w); break;
    case HERD_GOP_READY: enc_ready(&g->u.ready, w); break;
    case HERD_GOP_STEP: enc_step(&g->u.step, w); break;
    case HERD_GOP_REPORT: enc_report(&g->u.report, w); break;
    case HERD_GOP_WRITE: herd_wbuf_str(w, g->u.write.dir); break;
    case HERD_GOP_DONE:
        herd_wbuf_u8(w, g->u.done.ok);
        herd_wbuf_str(w, g->u.done.error);
        herd_wbuf_f64(w, g->u.done.write_ms);
        break;
    case HERD_GOP_CKPT_PUT:
    case HERD_GOP_CKPT_GET:
    case HERD_GOP_CKPT_DATA: enc_ckpt(g->op, &g->u.ckpt, w); break;
    default: break;
    }
}

void herd_gmsg_wrap(const struct herd_gmsg *g, uint64_t job_id, uint32_t epoch,
                    struct herd_msg *m)
{
    struct herd_wbuf w;
    herd_wbuf_init(&w);
    if (g->op == HERD_GOP_CKPT_PUT || g->op == HERD_GOP_CKPT_DATA)
        herd_wbuf_reserve(&w, (size_t)g->u.ckpt.len + 64); /* one allocation per chunk */
    herd_gmsg_encode(g, &w);
    memset(m, 0, sizeof *m);
    m->type = HERD_MSG_GRAPH;
    m->u.graph.job_id = job_id;
    m->u.graph.epoch = epoch;
    m->u.graph.op = g->op;
    m->u.graph.body_len = (uint32_t)w.len;
    m->u.graph.body = w.p; /* the wbuf's buffer becomes the message's */
}

size_t herd_gmsg_put_head(const struct herd_gckpt *c, uint64_t job_id, uint32_t epoch,
                          uint8_t out[HERD_GMSG_PUT_HEAD])
{
    /* GRAPH: job_id u64, epoch u32, op u8, body blob (u32 length + bytes);
     * CKPT_PUT body: step u64, part u32, offset u64, total u64, data blob */
    uint32_t body = 8 + 4 + 8 + 8 + 4 + c->len;
    herd_frame_header_put(out, HERD_MSG_GRAPH, 8 + 4 + 1 + 4 + body);
    uint8_t *p = out + HERD_FRAME_HEADER;
    herd_put_u64(p, job_id);
    herd_put_u32(p + 8, epoch);
    p[12] = HERD_GOP_CKPT_PUT;
    herd_put_u32(p + 13, body);
    p += 17;
    herd_put_u64(p, c->step);
    herd_put_u32(p + 8, c->part);
    herd_put_u64(p + 12, c->offset);
    herd_put_u64(p + 20, c->total);
    herd_put_u32(p + 28, c->len);
    return HERD_GMSG_PUT_HEAD;
}

void herd_gmsg_part_path(char *buf, size_t n, const char *dir, uint32_t part)
{
    snprintf(buf, n, "%s/part-%05" PRIu32, dir, part);
}

/* ---- decoders ---- */

/* A count that needs at least `each` bytes per entry and at most `max`. */
static int count_ok(struct herd_rbuf *r, uint32_t n, uint32_t max, size_t each)
{
    if (r->bad || n > max || (size_t)n * each > herd_rbuf_left(r)) {
        r->bad = 1;
        return 0;
    }
    return 1;
}

/* u32 count, then count strings: a peer list (SETUP, STEP). NULL and
 * *n = 0 when the count does not fit the bytes left (r marked bad). */
static char **dec_peers(struct herd_rbuf *r, uint32_t *n)
{
    uint32_t np = herd_rbuf_u32(r);
    *n = 0;
    if (!count_ok(r, np, HERD_GMSG_MAX_WORKERS, 4))
        return NULL;
    char **peers = herd_xcalloc(np ? np : 1, sizeof *peers);
    *n = np;
    for (uint32_t i = 0; i < np; i++)
        peers[i] = herd_rbuf_str(r, MAX_STR);
    return peers;
}

static void free_peers(char **peers, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(peers[i]);
    free(peers);
}

static void dec_setup(struct herd_rbuf *r, struct herd_gsetup *s)
{
    size_t n;
    s->algo = herd_rbuf_str(r, MAX_STR);
    const uint8_t *pl = herd_rbuf_blob(r, &n, HERD_MSG_MAX_GRAPH);
    if (pl && n) {
        s->plugin = herd_xmalloc(n);
        memcpy(s->plugin, pl, n);
        s->plugin_len = (uint32_t)n;
    }
    s->graph = herd_rbuf_str(r, MAX_PATH_STR);
    s->format = herd_rbuf_u8(r);
    s->directed = herd_rbuf_u8(r);
    s->simplify = herd_rbuf_u8(r);
    s->has_source = herd_rbuf_u8(r);
    s->no_fast_path = herd_rbuf_u8(r);
    s->source = herd_rbuf_u64(r);
    s->iterations = herd_rbuf_u32(r);
    s->damping = herd_rbuf_f64(r);
    s->seed = herd_rbuf_u64(r);
    s->arg = herd_rbuf_str(r, MAX_STR);
    s->threads = herd_rbuf_u32(r);
    s->nworkers = herd_rbuf_u32(r);
    s->me = herd_rbuf_u32(r);
    s->nparts = herd_rbuf_u32(r);
    if (!count_ok(r, s->nparts, HERD_GMSG_MAX_PARTS, 4) || s->nparts == 0 ||
        s->nworkers == 0 || s->nworkers > HERD_GMSG_MAX_WORKERS || s->me >= s->nworkers) {
        r->bad = 1;
        s->nparts = 0;
        return;
    }
    s->owner = herd_xcalloc(s->nparts, sizeof *s->owner);
    for (uint32_t i = 0; i < s->nparts; i++) {
        s->owner[i] = herd_rbuf_u32(r);
        if (s->owner[i] >= s->nworkers)
            r->bad = 1;
    }
    s->ckpt_dir = herd_rbuf_str(r, MAX_PATH_STR);
    s->restore = herd_rbuf_u64(r);
    s->partitioning = herd_rbuf_u8(r);
    if (s->partitioning > 2)
        r->bad = 1;
    s->peers = dec_peers(r, &s->npeers);
    if (s->npeers != 0 && s->npeers != s->nworkers)
        r->bad = 1;
}

static void dec_ready(struct herd_rbuf *r, struct herd_gready *g)
{
    g->ok = herd_rbuf_u8(r);
    g->error = herd_rbuf_str(r, MAX_STR);
    g->dp_addr = herd_rbuf_str(r, MAX_STR);
    g->n = herd_rbuf_u64(r);
    g->m = herd_rbuf_u64(r);
    g->max_steps = herd_rbuf_u32(r);
    g->pull = herd_rbuf_u8(r);
    g->naggs = herd_rbuf_u32(r);
    if (!count_ok(r, g->naggs, HERD_GMSG_MAX_AGGS, 2)) {
        g->naggs = 0;
        return;
    }
    for (uint32_t i = 0; i < g->naggs; i++) {
        g->agg_op[i] = herd_rbuf_u8(r);
        g->agg_type[i] = herd_rbuf_u8(r);
        if (g->agg_op[i] > 3 || g->agg_type[i] > 1)
            r->bad = 1;
    }
    g->load_ms = herd_rbuf_f64(r);
}

static void dec_step(struct herd_rbuf *r, struct herd_gstep *s)
{
    s->step = herd_rbuf_u64(r);
    s->checkpoint = herd_rbuf_u8(r);
    s->naggs = herd_rbuf_u32(r);
    if (!count_ok(r, s->naggs, HERD_GMSG_MAX_AGGS, 8)) {
        s->naggs = 0;
        return;
    }
    for (uint32_t i = 0; i < s->naggs; i++)
        s->aggs[i] = herd_rbuf_u64(r);
    s->peers = dec_peers(r, &s->npeers);
}

static void dec_report(struct herd_rbuf *r, struct herd_greport *g)
{
    g->step = herd_rbuf_u64(r);
    g->status = herd_rbuf_u8(r);
    if (g->status > HERD_GREP_ERROR)
        r->bad = 1;
    g->error = herd_rbuf_str(r, MAX_STR);
    g->saved = herd_rbuf_u8(r);
    g->compute_ms = herd_rbuf_f64(r);
    g->ckpt_ms = herd_rbuf_f64(r);
    g->bytes = herd_rbuf_u64(r);
    g->naggs = herd_rbuf_u32(r);
    if (g->naggs > HERD_GMSG_MAX_AGGS)
        r->bad = 1;
    uint32_t np = herd_rbuf_u32(r);
    if (!count_ok(r, np, HERD_GMSG_MAX_PARTS, 36 + (size_t)g->naggs * 8))
        return;
    g->parts = herd_xcalloc(np ? np : 1, sizeof *g->parts);
    g->nparts = np;
    for (uint32_t i = 0; i < np; i++) {
        struct herd_gpart_report *p = &g->parts[i];
        p->part = herd_rbuf_u32(r);
        p->computed = herd_rbuf_u64(r);
        p->active = herd_rbuf_u64(r);
        p->sent = herd_rbuf_u64(r);
        p->exchanged = herd_rbuf_u64(r);
        for (uint32_t k = 0; k < g->naggs; k++)
            p->aggs[k] = herd_rbuf_u64(r);
    }
}

/* The data points into the body (no copy); offset + len <= total. */
static int dec_ckpt(struct herd_rbuf *r, uint8_t op, struct herd_gckpt *c)
{
    c->step = herd_rbuf_u64(r);
    c->part = herd_rbuf_u32(r);
    c->offset = herd_rbuf_u64(r);
    if (c->part >= HERD_GMSG_MAX_PARTS)
        r->bad = 1;
    if (op == HERD_GOP_CKPT_GET || r->bad)
        return HERD_OK;
    c->total = herd_rbuf_u64(r);
    size_t n = 0;
    const uint8_t *p = herd_rbuf_blob(r, &n, HERD_GMSG_MAX_CHUNK);
    if (p == NULL || c->offset > c->total || n > c->total - c->offset) {
        r->bad = 1;
        return HERD_OK;
    }
    c->len = (uint32_t)n;
    c->data = (uint8_t *)p; /* the body's bytes: a chunk is written out, never kept */
    if (op == HERD_GOP_CKPT_DATA)
        c->error = herd_rbuf_str(r, MAX_STR);
    return HERD_OK;
}

int herd_gmsg_decode(uint8_t op, const uint8_t *body, size_t len, struct herd_gmsg *out,
                     struct herd_err *e)
{
    struct herd_rbuf r;
    struct herd_gmsg g;
    memset(&g, 0, sizeof g);
    g.op = op;
    herd_rbuf_init(&r, body, len);
    switch (op) {
    case HERD_GOP_SETUP: dec_setup(&r, &g.u.setup); break;
    case HERD_GOP_READY: dec_ready(&r, &g.u.ready); break;
    case HERD_GOP_STEP: dec_step(&r, &g.u.step); break;
    case HERD_GOP_REPORT: dec_report(&r, &g.u.report); break;
    case HERD_GOP_WRITE: g.u.write.dir = herd_rbuf_str(&r, MAX_PATH_STR); break;
    case HERD_GOP_DONE:
        g.u.done.ok = herd_rbuf_u8(&r);
        g.u.done.error = herd_rbuf_str(&r, MAX_STR);
        g.u.done.write_ms = herd_rbuf_f64(&r);
        break;
    case HERD_GOP_ABORT: break;
    case HERD_GOP_CKPT_PUT:
    case HERD_GOP_CKPT_GET:
    case HERD_GOP_CKPT_DATA:
        if (dec_ckpt(&r, op, &g.u.ckpt) != HERD_OK) {
            herd_gmsg_free(&g);
            return herd_err_set(e, HERD_ENOMEM, "GRAPH %s: out of memory", herd_gop_name(op));
        }
        break;
    default:
        return herd_err_set(e, HERD_EPARSE, "GRAPH: unknown op %u", op);
    }
    if (r.bad || herd_rbuf_left(&r) != 0) {
        const char *name = herd_gop_name(op);
        int trailing = !r.bad;
        herd_gmsg_free(&g);
        return herd_err_set(e, HERD_EPARSE, "GRAPH %s: %s", name,
                            trailing ? "trailing bytes after the last field"
                                     : "truncated, over a limit or out of range");
    }
    *out = g;
    return HERD_OK;
}

void herd_gmsg_free(struct herd_gmsg *g)
{
    switch (g->op) {
    case HERD_GOP_SETUP:
        free(g->u.setup.algo);
        free(g->u.setup.plugin);
        free(g->u.setup.graph);
        free(g->u.setup.arg);
        free(g->u.setup.owner);
        free(g->u.setup.ckpt_dir);
        free_peers(g->u.setup.peers, g->u.setup.npeers);
        break;
    case HERD_GOP_READY:
        free(g->u.ready.error);
        free(g->u.ready.dp_addr);
        break;
    case HERD_GOP_STEP:
        free_peers(g->u.step.peers, g->u.step.npeers);
        break;
    case HERD_GOP_REPORT:
        free(g->u.report.error);
        free(g->u.report.parts);
        break;
    case HERD_GOP_WRITE: free(g->u.write.dir); break;
    case HERD_GOP_DONE: free(g->u.done.error); break;
    case HERD_GOP_CKPT_PUT:
    case HERD_GOP_CKPT_GET:
    case HERD_GOP_CKPT_DATA:
        free(g->u.ckpt.error); /* data is the decoded body's */
        break;
    default: break;
    }
    memset(g, 0, sizeof *g);
}
