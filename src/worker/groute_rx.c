/* groute_rx — per-partition buffers of a routed load (groute_rx.h). One
 * mutex guards the buffers and the per-sender tallies: appends come from
 * one receiver thread per peer plus the loading thread, each frame's
 * records appended under a single lock hold. */
#include "worker/groute_rx.h"

#include "base/bytes.h"
#include "base/mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scanned {
    int in, code;
    uint64_t edges, vertices;
    char *msg;
};

struct pinfo {
    uint64_t *ids;
    uint32_t *deg;
    uint32_t got;
    uint64_t arcs;
    int done;
};

struct herd_groute_rx {
    uint32_t nparts, nworkers, me;
    int weighted;
    uint32_t *owner;
    struct herd_groute_part *parts; /* nparts entries, used where owner == me */
    uint64_t *got_edges, *got_ids;  /* per sender: records received so far */
    uint8_t *loaded;                /* per sender: LOADED arrived */
    uint32_t nloaded;
    uint64_t *counts;               /* per partition: its size, once known */
    uint8_t *counted;
    uint32_t ncounted;
    struct herd_groute_ask *asks, **asks_tail; /* queued ASKs */
    uint32_t asks_in, asks_want;    /* received; expected (peers x my partitions) */
    uint32_t **answer;              /* per partition: its ANSWER's dense ids */
    uint32_t *answer_n;
    uint8_t *answered;
    uint32_t nanswered, answers_want;
    struct scanned *scanned;        /* per worker: its SCANNED */
    uint32_t nscanned, nlost;       /* nlost: workers gone after their SCANNED */
    int scan_ok;                    /* every scan succeeded (wait_scanned said so) */
    struct pinfo *pinfo;            /* per partition not mine: its vertex map */
    uint32_t npinfo, pinfo_want;
    int failed;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

int herd_groute_rx_create(uint32_t nparts, const uint32_t *owner, uint32_t nworkers,
                          uint32_t me, int weighted, struct herd_groute_rx **out,
                          struct herd_err *e)
{
    if (me >= nworkers)
        return herd_err_set(e, HERD_EINVAL, "routed load: worker %u of %u", me, nworkers);
    for (uint32_t p = 0; p < nparts; p++)
        if (owner[p] >= nworkers)
            return herd_err_set(e, HERD_EINVAL, "routed load: partition %u owned by worker %u",
                                p, owner[p]);
    struct herd_groute_rx *rx = herd_xcalloc(1, sizeof *rx);
    rx->nparts = nparts;
    rx->nworkers = nworkers;
    rx->me = me;
    rx->weighted = weighted != 0;
    rx->owner = herd_xmalloc((nparts ? nparts : 1) * sizeof *rx->owner);
    memcpy(rx->owner, owner, (size_t)nparts * sizeof *owner);
    rx->parts = herd_xcalloc(nparts ? nparts : 1, sizeof *rx->parts);
    rx->got_edges = herd_xcalloc(nworkers, sizeof *rx->got_edges);
    rx->got_ids = herd_xcalloc(nworkers, sizeof *rx->got_ids);
    rx->loaded = herd_xcalloc(nworkers, 1);
    rx->counts = herd_xcalloc(nparts ? nparts : 1, sizeof *rx->counts);
    rx->counted = herd_xcalloc(nparts ? nparts : 1, 1);
    rx->asks_tail = &rx->asks;
    rx->answer = herd_xcalloc(nparts ? nparts : 1, sizeof *rx->answer);
    rx->answer_n = herd_xcalloc(nparts ? nparts : 1, sizeof *rx->answer_n);
    rx->answered = herd_xcalloc(nparts ? nparts : 1, 1);
    for (uint32_t p = 0; p < nparts; p++) {
        rx->asks_want += owner[p] == me ? nworkers - 1 : 0;
        rx->answers_want += owner[p] != me;
    }
    rx->scanned = herd_xcalloc(nworkers, sizeof *rx->scanned);
    rx->pinfo = herd_xcalloc(nparts ? nparts : 1, sizeof *rx->pinfo);
    rx->pinfo_want = rx->answers_want;
    pthread_mutex_init(&rx->mu, NULL);
    pthread_cond_init(&rx->cv, NULL);
    *out = rx;
    return HERD_OK;
}

static void edges_free(struct herd_groute_edges *b)
{
    free(b->src);
    free(b->dst);
    free(b->w);
}

void herd_groute_rx_destroy(struct herd_groute_rx *rx)
{
    if (rx == NULL)
        return;
    for (uint32_t p = 0; p < rx->nparts; p++) {
        edges_free(&rx->parts[p].out);
        edges_free(&rx->parts[p].in);
        free(rx->parts[p].ids);
        herd_groute_idx_fini(&rx->parts[p].srcs);
    }
    pthread_mutex_destroy(&rx->mu);
    pthread_cond_destroy(&rx->cv);
    free(rx->parts);
    free(rx->owner);
    free(rx->got_edges);
    free(rx->got_ids);
    free(rx->loaded);
    free(rx->counts);
    free(rx->counted);
    while (rx->asks) {
        struct herd_groute_ask *a = rx->asks;
        rx->asks = a->next;
        herd_groute_ask_free(a);
    }
    for (uint32_t p = 0; p < rx->nparts; p++)
        free(rx->answer[p]);
    free(rx->answer);
    free(rx->answer_n);
    free(rx->answered);
    for (uint32_t w = 0; w < rx->nworkers; w++)
        free(rx->scanned[w].msg);
    free(rx->scanned);
    for (uint32_t p = 0; p < rx->nparts; p++) {
        free(rx->pinfo[p].ids);
        free(rx->pinfo[p].deg);
    }
    free(rx->pinfo);
    free(rx);
}

/* Room for `more` entries in an array of `size`-byte items with capacity
 * *cap (doubling). 0 or -1 (out of memory; nothing changed). */
static int reserve(void **p, size_t *cap, size_t n, size_t more, size_t size)
{
    if (n + more <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < n + more)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Room for `more` edges in b (all its arrays). */
static int edges_reserve(struct herd_groute_edges *b, size_t more, int weighted)
{
    if (b->n + more <= b->cap)
        return 0;
    size_t c1 = b->cap, c2 = b->cap, c3 = b->cap;
    if (reserve((void **)&b->src, &c1, b->n, more, 8) != 0 ||
        reserve((void **)&b->dst, &c2, b->n, more, 8) != 0 ||
        (weighted && reserve((void **)&b->w, &c3, b->n, more, sizeof(double)) != 0))
        return -1; /* the arrays that grew stay valid; cap stays the smallest */
    b->cap = c1;
    return 0;
}

static struct herd_groute_edges *edges_of(struct herd_groute_rx *rx, uint32_t part, uint8_t kind)
{
    return kind == HERD_DPF_IN ? &rx->parts[part].in : &rx->parts[part].out;
}

static void fail_locked(struct herd_groute_rx *rx)
{
    rx->failed = 1;
    pthread_cond_broadcast(&rx->cv);
}

int herd_groute_rx_add_edge(struct herd_groute_rx *rx, uint32_t part, uint8_t kind,
                            uint64_t src, uint64_t dst, double w)
{
    if (part >= rx->nparts || rx->owner[part] != rx->me || kind > HERD_DPF_IN)
        return HERD_EINVAL;
    pthread_mutex_lock(&rx->mu);
    struct herd_groute_edges *b = edges_of(rx, part, kind);
    int rc = edges_reserve(b, 1, rx->weighted) == 0 ? HERD_OK : HERD_ENOMEM;
    if (rc == HERD_OK) {
        b->src[b->n] = src;
        b->dst[b->n] = dst;
        if (rx->weighted)
            b->w[b->n] = w;
        b->n++;
    }
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

/* Under rx->mu: one more out-arc of `id`. -1 when out of memory. */
static int count_src(struct herd_groute_part *pp, uint64_t id)
{
    uint32_t *c = herd_groute_idx_put(&pp->srcs, id, NULL);
    if (c == NULL)
        return -1;
    if (*c < UINT32_MAX - 1)
        (*c)++;
    return 0;
}

int herd_groute_rx_add_src(struct herd_groute_rx *rx, uint32_t part, uint64_t id)
{
    if (part >= rx->nparts || rx->owner[part] != rx->me)
        return HERD_EINVAL;
    pthread_mutex_lock(&rx->mu);
    int rc = count_src(&rx->parts[part], id) == 0 ? HERD_OK : HERD_ENOMEM;
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

int herd_groute_rx_add_id(struct herd_groute_rx *rx, uint32_t part, uint64_t id)
{
    if (part >= rx->nparts || rx->owner[part] != rx->me)
        return HERD_EINVAL;
    pthread_mutex_lock(&rx->mu);
    struct herd_groute_part *pp = &rx->parts[part];
    int rc = reserve((void **)&pp->ids, &pp->capids, pp->nids, 1, 8) == 0 ? HERD_OK
                                                                         : HERD_ENOMEM;
    if (rc == HERD_OK)
        pp->ids[pp->nids++] = id;
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

/* Under rx->mu: may `sender` still send records (for partition `part`;
 * UINT32_MAX: none)? */
static int sender_ok(struct herd_groute_rx *rx, uint32_t sender, uint32_t part, const char *what,
                     struct herd_err *e)
{
    if (part != UINT32_MAX && (part >= rx->nparts || rx->owner[part] != rx->me))
        return herd_err_set(e, HERD_EPROTO, "%s for partition %u, not worker %u's", what, part,
                            rx->me);
    if (sender >= rx->nworkers || sender == rx->me)
        return herd_err_set(e, HERD_EPROTO, "%s from worker %u of %u", what, sender,
                            rx->nworkers);
    if (rx->loaded[sender])
        return herd_err_set(e, HERD_EPROTO, "%s from worker %u after its LOADED", what, sender);
    return HERD_OK;
}

int herd_groute_rx_edges(struct herd_groute_rx *rx, uint32_t sender,
                         const struct herd_dpframe_edges *f, struct herd_err *e)
{
    pthread_mutex_lock(&rx->mu);
    int rc = sender_ok(rx, sender, f->part, "EDGES", e);
    if (rc == HERD_OK && (f->weighted != 0) != rx->weighted)
        rc = herd_err_set(e, HERD_EPROTO, "EDGES: weighted %u in a load that is%s weighted",
                          f->weighted, rx->weighted ? "" : " not");
    struct herd_groute_edges *b = rc == HERD_OK ? edges_of(rx, f->part, f->kind) : NULL;
    if (rc == HERD_OK && edges_reserve(b, f->count, rx->weighted) != 0)
        rc = herd_err_set(e, HERD_ENOMEM, "EDGES: %u more records", f->count);
    for (uint32_t i = 0; rc == HERD_OK && i < f->count; i++) {
        double w;
        herd_dpframe_edge_at(f, i, &b->src[b->n], &b->dst[b->n], &w);
        if (rx->weighted)
            b->w[b->n] = w;
        b->n++;
    }
    if (rc == HERD_OK)
        rx->got_edges[sender] += f->count;
    else
        fail_locked(rx);
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

int herd_groute_rx_vids(struct herd_groute_rx *rx, uint32_t sender,
                        const struct herd_dpframe_vids *f, int srcs, struct herd_err *e)
{
    pthread_mutex_lock(&rx->mu);
    int rc = sender_ok(rx, sender, f->part, srcs ? "SRCS" : "VIDS", e);
    struct herd_groute_part *pp = rc == HERD_OK ? &rx->parts[f->part] : NULL;
    if (rc == HERD_OK && !srcs &&
        reserve((void **)&pp->ids, &pp->capids, pp->nids, f->count, 8) != 0)
        rc = herd_err_set(e, HERD_ENOMEM, "VIDS: %u more ids", f->count);
    for (uint32_t i = 0; rc == HERD_OK && i < f->count; i++)
        if (!srcs)
            pp->ids[pp->nids++] = herd_dpframe_vid_at(f, i);
        else if (count_src(pp, herd_dpframe_vid_at(f, i)) != 0)
            rc = herd_err_set(e, HERD_ENOMEM, "SRCS: %u more ids", f->count);
    if (rc == HERD_OK)
        rx->got_ids[sender] += f->count;
    else
        fail_locked(rx);
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

int herd_groute_rx_loaded(struct herd_groute_rx *rx, uint32_t sender, uint64_t edges,
                          uint64_t ids, struct herd_err *e)
{
    pthread_mutex_lock(&rx->mu);
    int rc = sender_ok(rx, sender, UINT32_MAX, "LOADED", e);
    if (rc == HERD_OK && (edges != rx->got_edges[sender] || ids != rx->got_ids[sender]))
        rc = herd_err_set(e, HERD_EPROTO,
                          "LOADED from worker %u: %llu edges and %llu ids sent, %llu and %llu "
                          "received",
                          sender, (unsigned long long)edges, (unsigned long long)ids,
                          (unsigned long long)rx->got_edges[sender],
                          (unsigned long long)rx->got_ids[sender]);
    if (rc == HERD_OK) {
        rx->loaded[sender] = 1;
        rx->nloaded++;
        pthread_cond_broadcast(&rx->cv);
    } else {
        fail_locked(rx);
    }
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

/* Under rx->mu. */
static int count_locked(struct herd_groute_rx *rx, uint32_t part, uint64_t count)
{
    if (part >= rx->nparts || rx->counted[part])
        return -1;
    rx->counts[part] = count;
    rx->counted[part] = 1;
    if (++rx->ncounted == rx->nparts)
        pthread_cond_broadcast(&rx->cv);
    return 0;
}

void herd_groute_rx_set_count(struct herd_groute_rx *rx, uint32_t part, uint64_t count)
{
    pthread_mutex_lock(&rx->mu);
    if (count_locked(rx, part, count) != 0)
        fail_locked(rx); /* a caller's bug; the wait reports it */
    pthread_mutex_unlock(&rx->mu);
}

int herd_groute_rx_counts(struct herd_groute_rx *rx, const struct herd_dpframe_counts *f,
                          struct herd_err *e)
{
    int rc = HERD_OK;
    pthread_mutex_lock(&rx->mu);
    for (uint32_t i = 0; i < f->k && rc == HERD_OK; i++) {
        uint32_t part;
        uint64_t count;
        herd_dpframe_count_at(f, i, &part, &count);
        if (count_locked(rx, part, count) != 0)
            rc = herd_err_set(e, HERD_EPROTO, "COUNTS: partition %u counted twice", part);
    }
    if (rc != HERD_OK)
        fail_locked(rx);
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

int herd_groute_rx_wait_counts(struct herd_groute_rx *rx, uint64_t *counts)
{
    pthread_mutex_lock(&rx->mu);
    while (!rx->failed && rx->ncounted < rx->nparts)
        pthread_cond_wait(&rx->cv, &rx->mu);
    int rc = rx->failed ? HERD_ECLOSED : HERD_OK;
    if (rc == HERD_OK)
        memcpy(counts, rx->counts, (size_t)rx->nparts * sizeof *counts);
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

void herd_groute_rx_fail(struct herd_groute_rx *rx)
{
    pthread_mutex_lock(&rx->mu);
    fail_locked(rx);
    pthread_mutex_unlock(&rx->mu);
}

void herd_groute_rx_lost(struct herd_groute_rx *rx, uint32_t w)
{
    pthread_mutex_lock(&rx->mu);
    /* gone after its SCANNED but before the verdict: it saw every SCANNED
     * and a failure among them (or it crashed: then the verdict, if it is a
     * success, reports the loss) */
    if (w < rx->nworkers && rx->scanned[w].in && !rx->scan_ok)
        rx->nlost++;
    else
        fail_locked(rx);
    pthread_mutex_unlock(&rx->mu);
}

int herd_groute_rx_wait(struct herd_groute_rx *rx)
{
    pthread_mutex_lock(&rx->mu);
    while (!rx->failed && rx->nloaded < rx->nworkers - 1)
        pthread_cond_wait(&rx->cv, &rx->mu);
    int rc = rx->failed ? HERD_ECLOSED : HERD_OK;
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

const struct herd_groute_part *herd_groute_rx_part(const struct herd_groute_rx *rx, uint32_t p)
{
    return &rx->parts[p];
}

struct herd_groute_part *herd_groute_rx_part_mut(struct herd_groute_rx *rx, uint32_t p)
{
    return &rx->parts[p];
}

/* ---- end of the scans ---- */

/* Under rx->mu. */
static void scanned_locked(struct herd_groute_rx *rx, uint32_t w, uint64_t edges,
                           uint64_t vertices, int code, char *msg)
{
    rx->scanned[w] = (struct scanned){.in = 1, .code = code, .edges = edges,
                                      .vertices = vertices, .msg = msg};
    if (++rx->nscanned == rx->nworkers)
        pthread_cond_broadcast(&rx->cv);
}

int herd_groute_rx_scanned(struct herd_groute_rx *rx, uint32_t sender,
                           const struct herd_dpframe_scanned *f, struct herd_err *e)
{
    char *msg = herd_xmalloc((size_t)f->len + 1);
    memcpy(msg, f->msg, f->len);
    msg[f->len] = 0;
    pthread_mutex_lock(&rx->mu);
    int rc = HERD_OK;
    if (sender >= rx->nworkers || sender == rx->me || rx->scanned[sender].in)
        rc = herd_err_set(e, HERD_EPROTO, "SCANNED from worker %u: not expected", sender);
    else if (f->code == 0 && !rx->loaded[sender])
        rc = herd_err_set(e, HERD_EPROTO, "SCANNED from worker %u before its LOADED", sender);
    if (rc == HERD_OK) {
        scanned_locked(rx, sender, f->edges, f->vertices, f->code ? (int)f->code : 0, msg);
        msg = NULL;
    } else {
        fail_locked(rx);
    }
    pthread_mutex_unlock(&rx->mu);
    free(msg);
    return rc;
}

void herd_groute_rx_set_scanned(struct herd_groute_rx *rx, uint64_t edges, uint64_t vertices,
                                int code, const char *msg)
{
    char *m = herd_xstrdup(msg ? msg : "");
    pthread_mutex_lock(&rx->mu);
    if (rx->scanned[rx->me].in) {
        fail_locked(rx); /* a caller's bug; the wait reports it */
        free(m);
    } else {
        scanned_locked(rx, rx->me, edges, vertices, code, m);
    }
    pthread_mutex_unlock(&rx->mu);
}

int herd_groute_rx_wait_scanned(struct herd_groute_rx *rx, struct herd_groute_scanned *out)
{
    pthread_mutex_lock(&rx->mu);
    while (!rx->failed && rx->nscanned < rx->nworkers)
        pthread_cond_wait(&rx->cv, &rx->mu);
    int rc = rx->failed ? HERD_ECLOSED : HERD_OK;
    if (rc == HERD_OK) {
        memset(out, 0, sizeof *out);
        out->failed = -1;
        for (uint32_t w = 0; w < rx->nworkers; w++) {
            const struct scanned *sc = &rx->scanned[w];
            out->edges += sc->edges;
            out->vertices += sc->vertices;
            if (sc->code && out->failed < 0) {
                out->failed = (int)w;
                out->code = sc->code;
                snprintf(out->msg, sizeof out->msg, "%s", sc->msg);
            }
        }
        rx->scan_ok = out->failed < 0;
        if (rx->scan_ok && rx->nlost > 0) {
            fail_locked(rx); /* a worker went after a clean scan */
            rc = HERD_ECLOSED;
        }
    }
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

/* ---- the vertex map's all-gather ---- */

/* Under rx->mu: files chunk f of partition f->part. */
static int pinfo_locked(struct herd_groute_rx *rx, const struct herd_dpframe_pinfo *f,
                        struct herd_err *e)
{
    struct pinfo *pi = &rx->pinfo[f->part];
    if (!rx->counted[f->part] || pi->done || f->first != pi->got ||
        (uint64_t)f->first + f->count > rx->counts[f->part])
        return herd_err_set(e, HERD_EPROTO, "PINFO: partition %u, %u ids at %u: not expected",
                            f->part, f->count, f->first);
    size_t n = (size_t)rx->counts[f->part], want = (size_t)pi->got + f->count;
    /* grown by what arrives, not by the announced count (a peer's word) */
    uint64_t *ids = realloc(pi->ids, (want ? want : 1) * sizeof *ids);
    if (ids)
        pi->ids = ids;
    uint32_t *deg = ids ? realloc(pi->deg, (want ? want : 1) * sizeof *deg) : NULL;
    if (deg)
        pi->deg = deg;
    if (ids == NULL || deg == NULL)
        return herd_err_set(e, HERD_ENOMEM, "PINFO: %zu ids", want);
    if (f->first == 0)
        pi->arcs = f->arcs;
    for (uint32_t i = 0; i < f->count; i++)
        herd_dpframe_pinfo_at(f, i, &pi->ids[f->first + i], &pi->deg[f->first + i]);
    pi->got += f->count;
    if (pi->got == n) {
        pi->done = 1;
        if (++rx->npinfo == rx->pinfo_want)
            pthread_cond_broadcast(&rx->cv);
    }
    return HERD_OK;
}

int herd_groute_rx_pinfo(struct herd_groute_rx *rx, uint32_t sender,
                         const struct herd_dpframe_pinfo *f, struct herd_err *e)
{
    pthread_mutex_lock(&rx->mu);
    int rc = sender < rx->nworkers && sender != rx->me && rx->owner[f->part] == sender
                 ? pinfo_locked(rx, f, e)
                 : herd_err_set(e, HERD_EPROTO, "PINFO from worker %u: not expected", sender);
    if (rc != HERD_OK)
        fail_locked(rx);
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

int herd_groute_rx_wait_pinfo(struct herd_groute_rx *rx, const uint32_t *base, uint64_t *ids,
                              uint32_t *deg, uint64_t *arcs)
{
    pthread_mutex_lock(&rx->mu);
    while (!rx->failed && rx->npinfo < rx->pinfo_want)
        pthread_cond_wait(&rx->cv, &rx->mu);
    int rc = rx->failed ? HERD_ECLOSED : HERD_OK;
    for (uint32_t p = 0; rc == HERD_OK && p < rx->nparts; p++) {
        struct pinfo *pi = &rx->pinfo[p];
        if (rx->owner[p] == rx->me)
            continue;
        if (pi->got) {
            memcpy(ids + base[p], pi->ids, (size_t)pi->got * sizeof *ids);
            memcpy(deg + base[p], pi->deg, (size_t)pi->got * sizeof *deg);
        }
        *arcs += pi->arcs;
        free(pi->ids);
        free(pi->deg);
        pi->ids = NULL;
        pi->deg = NULL;
    }
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

/* ---- translation ---- */

void herd_groute_ask_free(struct herd_groute_ask *a)
{
    if (a) {
        free(a->ids);
        free(a);
    }
}

int herd_groute_rx_ask(struct herd_groute_rx *rx, uint32_t sender,
                       const struct herd_dpframe_ids *f, struct herd_err *e)
{
    struct herd_groute_ask *a = calloc(1, sizeof *a);
    uint64_t *ids = malloc((size_t)f->count * 8 + 1);
    if (a == NULL || ids == NULL) {
        free(a);
        free(ids);
        herd_groute_rx_fail(rx);
        return herd_err_set(e, HERD_ENOMEM, "ASK of %u ids", f->count);
    }
    for (uint32_t i = 0; i < f->count; i++)
        ids[i] = herd_get_u64(f->v + (size_t)i * 8);
    *a = (struct herd_groute_ask){.from = sender, .part = f->part, .count = f->count,
                                  .ids = ids};
    pthread_mutex_lock(&rx->mu);
    int rc = HERD_OK;
    if (sender >= rx->nworkers || sender == rx->me || rx->asks_in == rx->asks_want) {
        rc = herd_err_set(e, HERD_EPROTO, "ASK from worker %u: not expected", sender);
        fail_locked(rx);
    } else {
        rx->asks_in++;
        *rx->asks_tail = a;
        rx->asks_tail = &a->next;
        pthread_cond_broadcast(&rx->cv);
    }
    pthread_mutex_unlock(&rx->mu);
    if (rc != HERD_OK)
        herd_groute_ask_free(a);
    return rc;
}

int herd_groute_rx_answer(struct herd_groute_rx *rx, const struct herd_dpframe_ids *f,
                          struct herd_err *e)
{
    uint32_t *d = malloc((size_t)f->count * 4 + 1);
    if (d == NULL) {
        herd_groute_rx_fail(rx);
        return herd_err_set(e, HERD_ENOMEM, "ANSWER of %u ids", f->count);
    }
    for (uint32_t i = 0; i < f->count; i++)
        d[i] = herd_get_u32(f->v + (size_t)i * 4);
    pthread_mutex_lock(&rx->mu);
    int rc = HERD_OK;
    if (f->part >= rx->nparts || rx->owner[f->part] == rx->me || rx->answered[f->part]) {
        rc = herd_err_set(e, HERD_EPROTO, "ANSWER for partition %u: not expected", f->part);
        fail_locked(rx);
    } else {
        rx->answer[f->part] = d;
        rx->answer_n[f->part] = f->count;
        rx->answered[f->part] = 1;
        rx->nanswered++;
        pthread_cond_broadcast(&rx->cv);
    }
    pthread_mutex_unlock(&rx->mu);
    if (rc != HERD_OK)
        free(d);
    return rc;
}

int herd_groute_rx_next_ask(struct herd_groute_rx *rx, struct herd_groute_ask **ask)
{
    pthread_mutex_lock(&rx->mu);
    while (!rx->failed && rx->asks == NULL &&
           (rx->asks_in < rx->asks_want || rx->nanswered < rx->answers_want))
        pthread_cond_wait(&rx->cv, &rx->mu);
    int rc = rx->failed ? HERD_ECLOSED : HERD_OK;
    *ask = NULL;
    if (rc == HERD_OK && rx->asks) {
        *ask = rx->asks;
        rx->asks = (*ask)->next;
        if (rx->asks == NULL)
            rx->asks_tail = &rx->asks;
        (*ask)->next = NULL;
    }
    pthread_mutex_unlock(&rx->mu);
    return rc;
}

const uint32_t *herd_groute_rx_answered(const struct herd_groute_rx *rx, uint32_t p,
                                        uint32_t *count)
{
    *count = rx->answer_n[p];
    return rx->answer[p];
}
