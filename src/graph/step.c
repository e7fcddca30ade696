/* step — one partition's share of a superstep, on the message path and on
 * the pull path, plus the per-partition initialisation. Each call runs on
 * one pool thread and touches only its partition's vertices, its own
 * context and (pull path) other vertices' values from the previous step. */
#include "graph/engine_int.h"

#include <math.h>
#include <string.h>

static void compute_one(struct herd_engine *en, struct herd_part *pt, uint32_t v,
                        const void *msgs, uint32_t nm)
{
    struct herd_vctx *c = &pt->ctx;
    uint8_t was = en->halted[v];
    c->cur = v;
    c->vote = 0;
    en->prog->compute(c, v, herd_engine_val(en, v), msgs, nm);
    en->halted[v] = (uint8_t)c->vote;
    if (was && !c->vote)
        pt->nactive++;
    else if (!was && c->vote)
        pt->nactive--;
    pt->computed++;
}

static int take_inbox(struct herd_engine *en, struct herd_part *pt)
{
    int rc = HERD_OK;
    for (uint32_t p = 0; p < en->nparts; p++) {
        pt->lists[p] = NULL;
        if (rc == HERD_OK)
            rc = en->ex.ops->take(en->ex.impl, pt->idx, p, en->step - 1, &pt->lists[p]);
    }
    if (rc == HERD_OK)
        rc = herd_inbox_fill(&pt->inbox, pt->lists, en->nparts);
    for (uint32_t p = 0; p < en->nparts; p++)
        herd_msgbatch_free_list(pt->lists[p]);
    return rc;
}

static void compute_range(struct herd_engine *en, struct herd_part *pt)
{
    struct herd_inbox *ib = &pt->inbox;
    uint32_t size = pt->hi - pt->lo;
    const void *msgs;
    if (ib->cnt == NULL) { /* a program without messages */
        for (uint32_t v = pt->lo; v < pt->hi; v++)
            if (!en->halted[v])
                compute_one(en, pt, v, NULL, 0);
        return;
    }
    if (pt->nactive == 0 && ib->nrecv < size / 4) {
        /* sparse superstep: only the receivers, in ascending order */
        herd_inbox_sort(ib);
        for (uint32_t j = 0; j < ib->nrecv; j++) {
            uint32_t i = ib->recv[j];
            uint32_t nm = herd_inbox_get(ib, i, &msgs);
            compute_one(en, pt, pt->lo + i, msgs, nm);
        }
        return;
    }
    int all = pt->nactive == size;
    for (uint32_t i = 0; i < size; i++) {
        if (all || !en->halted[pt->lo + i] || ib->cnt[i]) {
            uint32_t nm = herd_inbox_get(ib, i, &msgs);
            compute_one(en, pt, pt->lo + i, msgs, nm);
        }
    }
}

/* Hands over pt's queued messages and ends its step towards every partition. */
static void end_sends(struct herd_engine *en, struct herd_part *pt)
{
    struct herd_vctx *c = &pt->ctx;
    for (uint32_t q = 0; c->out && q < en->nparts; q++) {
        int rc = herd_msgout_flush(&c->out[q]);
        if (rc == HERD_OK)
            rc = en->ex.ops->end_step(en->ex.impl, pt->idx, q, en->step);
        if (rc != HERD_OK)
            herd_vctx_set_error(c, rc, "send messages");
    }
    if (c->out == NULL)
        for (uint32_t q = 0; q < en->nparts; q++)
            en->ex.ops->end_step(en->ex.impl, pt->idx, q, en->step);
}

static void step_messages(struct herd_engine *en, struct herd_part *pt)
{
    struct herd_vctx *c = &pt->ctx;
    if (en->step > 0) {
        int rc = take_inbox(en, pt);
        if (rc != HERD_OK) {
            herd_vctx_set_error(c, rc, "receive messages");
            return;
        }
    }
    compute_range(en, pt);
    if (c->dense && en->holder[pt->thread] == NULL) {
        en->holder[pt->thread] = pt; /* ends its step after the thread's last partition */
        return;
    }
    end_sends(en, pt);
}

/* The end of a pool thread's share of a message superstep with dense
 * combining: its first partition (the holder) sends everything the
 * thread's partitions combined, so a target gets one record per thread
 * rather than one per sending partition, then ends its step. Which
 * partition sends a record may vary from run to run; with an exact
 * combiner the receiver's value cannot. */
static void finish_dense(struct herd_engine *en, struct herd_part *pt)
{
    struct herd_vctx *c = &pt->ctx;
    int rc = herd_msgdense_flush(c->dense, en->bounds, c->out);
    if (rc != HERD_OK)
        herd_vctx_set_error(c, rc, "send messages");
    end_sends(en, pt);
}

/* Combined value over v's in-arcs from the previous superstep's senders. */
static uint32_t gather(const struct herd_engine *en, uint32_t v, double *acc)
{
    const struct herd_vgraph *g = &en->view;
    unsigned prev = (en->step + 1) & 1;
    const double *x = en->contrib[prev];
    uint64_t a = g->in_off[v], b = g->in_off[v + 1];
    int sum = en->prog->combiner == HERD_COMBINE_SUM_F64;
    if (en->step == 0 || en->emitters_prev == 0 || a == b)
        return 0;
    if (en->emitters_prev == g->n) {
        double s = sum ? 0.0 : INFINITY;
        if (sum)
            for (uint64_t k = a; k < b; k++)
                s += x[g->in_src[k]];
        else
            for (uint64_t k = a; k < b; k++)
                s = fmin(s, x[g->in_src[k]]);
        *acc = s;
        return 1;
    }
    const uint8_t *em = en->emitted[prev];
    double s = sum ? 0.0 : INFINITY;
    uint32_t got = 0;
    for (uint64_t k = a; k < b; k++) {
        uint32_t u = g->in_src[k];
        if (!em[u])
            continue;
        got = 1;
        s = sum ? s + x[u] : fmin(s, x[u]);
    }
    *acc = s;
    return got;
}

/* Sums over the in-arcs of lo..hi-1 when every vertex sent last superstep:
 * the hot loop of PageRank-like programs, with no per-arc checks. Four
 * partial sums (arcs k, k+1, k+2, k+3 of a row in turn) keep four additions
 * in flight instead of one chain of dependent ones; with most sources in
 * cache the chain, not memory, was the limit. The order of the additions
 * depends only on the row, so results are the same on every run. */
static void gather_sum_dense(const struct herd_engine *en, uint32_t lo, uint32_t hi,
                             double *out)
{
    const uint64_t *off = en->view.in_off;
    const uint32_t *src = en->view.in_src;
    const double *x = en->contrib[(en->step + 1) & 1];
    for (uint32_t v = lo; v < hi; v++) {
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        uint64_t k = off[v], b = off[v + 1];
        for (; k + 4 <= b; k += 4) {
            s0 += x[src[k]];
            s1 += x[src[k + 1]];
            s2 += x[src[k + 2]];
            s3 += x[src[k + 3]];
        }
        for (; k < b; k++)
            s0 += x[src[k]];
        out[v - lo] = (s0 + s1) + (s2 + s3);
    }
}

/* Combined messages of lo..hi-1 into out[], the identity where none came. */
static void gather_chunk(const struct herd_engine *en, uint32_t lo, uint32_t hi, double *out)
{
    int sum = en->prog->combiner == HERD_COMBINE_SUM_F64;
    if (sum && en->emitters_prev == en->view.n) {
        gather_sum_dense(en, lo, hi, out);
        return;
    }
    for (uint32_t v = lo; v < hi; v++) {
        double acc = sum ? 0.0 : INFINITY;
        gather(en, v, &acc);
        out[v - lo] = acc;
    }
}

/* Applies compute_range's verdict on lo..hi-1 to the engine's bookkeeping. */
static void range_verdict(struct herd_engine *en, struct herd_part *pt, uint32_t lo, uint32_t hi,
                          unsigned verdict)
{
    uint32_t k = hi - lo;
    if (verdict & HERD_VR_SENT) {
        uint64_t arcs = 0;
        for (uint32_t v = lo; v < hi; v++)
            arcs += en->outdeg[v];
        memset(en->emitted[en->step & 1] + lo, 1, k);
        pt->ctx.emitters += k;
        pt->ctx.sent += arcs;
    }
    if (verdict & HERD_VR_HALT) {
        memset(en->halted + lo, 1, k);
        pt->nactive -= k;
    }
    pt->computed += k;
}

/* The whole partition through the program's compute_range, one chunk of
 * gathered messages at a time. Precondition: every vertex is active. */
static void step_range(struct herd_engine *en, struct herd_part *pt)
{
    int have = en->step > 0 && en->emitters_prev > 0;
    uint32_t vs = en->prog->value_size;
    double *send = en->contrib[en->step & 1];
    for (uint32_t lo = pt->lo, hi; lo < pt->hi; lo = hi) {
        hi = pt->hi - lo > HERD_RANGE_CHUNK ? lo + HERD_RANGE_CHUNK : pt->hi;
        if (have)
            gather_chunk(en, lo, hi, pt->gathered);
        struct herd_vrange r = {lo, hi, have ? pt->gathered : NULL,
                                en->values + (size_t)lo * vs, en->outdeg + lo, send + lo};
        pt->ctx.cur = lo;
        range_verdict(en, pt, lo, hi, en->range(&pt->ctx, &r));
    }
}

static void step_pull(struct herd_engine *en, struct herd_part *pt)
{
    memset(en->emitted[en->step & 1] + pt->lo, 0, pt->hi - pt->lo);
    if (en->range && pt->nactive == pt->hi - pt->lo) {
        step_range(en, pt);
        return;
    }
    for (uint32_t v = pt->lo; v < pt->hi; v++) {
        double acc = 0;
        uint32_t got = gather(en, v, &acc);
        if (got || !en->halted[v])
            compute_one(en, pt, v, got ? &acc : NULL, got);
    }
}

void herd_step_part(struct herd_engine *en, struct herd_part *pt)
{
    struct herd_vctx *c = &pt->ctx;
    c->sent = c->emitters = 0;
    pt->computed = 0;
    herd_vctx_reset_aggs(c);
    if (en->path == HERD_PATH_PULL)
        step_pull(en, pt);
    else
        step_messages(en, pt);
}

void herd_step_init_part(struct herd_engine *en, struct herd_part *pt)
{
    uint32_t vs = en->prog->value_size;
    memset(en->values + (size_t)pt->lo * vs, 0, (size_t)(pt->hi - pt->lo) * vs);
    memset(en->halted + pt->lo, 0, pt->hi - pt->lo);
    pt->nactive = pt->hi - pt->lo;
    if (en->prog->init == NULL)
        return;
    herd_vctx_reset_aggs(&pt->ctx);
    for (uint32_t v = pt->lo; v < pt->hi; v++) {
        pt->ctx.cur = v;
        en->prog->init(&pt->ctx, v, herd_engine_val(en, v));
    }
}

struct each {
    struct herd_engine *en;
    void (*fn)(struct herd_engine *, struct herd_part *);
};

static void each_task(void *arg, uint32_t t, uint32_t n)
{
    (void)n;
    struct each *ea = arg;
    struct herd_engine *en = ea->en;
    if (en->dense)
        en->holder[t] = NULL;
    for (;;) {
        uint32_t i = __atomic_fetch_add(&en->next_part, 1, __ATOMIC_RELAXED);
        if (i >= en->nparts)
            break;
        if (en->owned && !en->owned[i])
            continue; /* another worker runs it (engine_dist.c) */
        en->parts[i].thread = t;
        en->parts[i].ctx.dense = en->dense ? &en->dense[t] : NULL;
        ea->fn(en, &en->parts[i]);
    }
    if (en->dense && en->holder[t])
        finish_dense(en, en->holder[t]);
}

void herd_step_each_part(struct herd_engine *en, void (*fn)(struct herd_engine *, struct herd_part *))
{
    struct each ea = {en, fn};
    en->next_part = 0;
    herd_pool_run(en->pool, each_task, &ea);
}
