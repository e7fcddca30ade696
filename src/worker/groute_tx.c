/* groute_tx — buffered routing of a load's records (groute_tx.h). A buffer
 * holds one frame's body being filled: buffers [2p] and [2p+1] are the
 * out- and in-row EDGES of partition p, ids[p] its VIDS. */
#include "worker/groute_tx.h"

#include "base/bytes.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

#define TX_TOTAL (32u << 20)
#define TX_MIN 1024u
#define TX_MAX (256u << 10)

struct txbuf {
    uint8_t *p;      /* cap bytes, NULL until first use */
    uint32_t count;  /* records in p */
};

struct herd_groute_tx {
    struct herd_dp_session *s;
    struct herd_groute_rx *self;
    uint32_t nparts, nworkers, me;
    uint8_t weighted;
    uint32_t *owner;
    size_t cap;              /* bytes per buffer */
    struct txbuf *edges;     /* 2 * nparts */
    struct txbuf *ids;       /* 2 * nparts: [2p] VIDS, [2p+1] SRCS */
    uint64_t *sent_edges, *sent_ids; /* per worker */
};

struct herd_groute_tx *herd_groute_tx_create(struct herd_dp_session *s,
                                             struct herd_groute_rx *self, uint32_t nparts,
                                             const uint32_t *owner, uint32_t nworkers,
                                             uint32_t me, int weighted)
{
    struct herd_groute_tx *tx = herd_xcalloc(1, sizeof *tx);
    tx->s = s;
    tx->self = self;
    tx->nparts = nparts;
    tx->nworkers = nworkers;
    tx->me = me;
    tx->weighted = weighted != 0;
    tx->owner = herd_xmalloc((nparts ? nparts : 1) * sizeof *owner);
    memcpy(tx->owner, owner, (size_t)nparts * sizeof *owner);
    size_t cap = nparts ? TX_TOTAL / (4 * (size_t)nparts) : TX_MAX;
    tx->cap = cap < TX_MIN ? TX_MIN : cap > TX_MAX ? TX_MAX : cap;
    tx->edges = herd_xcalloc(2 * (size_t)(nparts ? nparts : 1), sizeof *tx->edges);
    tx->ids = herd_xcalloc(2 * (size_t)(nparts ? nparts : 1), sizeof *tx->ids);
    tx->sent_edges = herd_xcalloc(nworkers, sizeof *tx->sent_edges);
    tx->sent_ids = herd_xcalloc(nworkers, sizeof *tx->sent_ids);
    return tx;
}

void herd_groute_tx_destroy(struct herd_groute_tx *tx)
{
    if (tx == NULL)
        return;
    for (size_t i = 0; i < 2 * (size_t)tx->nparts; i++)
        free(tx->edges[i].p);
    for (size_t i = 0; i < 2 * (size_t)tx->nparts; i++)
        free(tx->ids[i].p);
    free(tx->edges);
    free(tx->ids);
    free(tx->owner);
    free(tx->sent_edges);
    free(tx->sent_ids);
    free(tx);
}

/* Sends buffer [part, kind] (kind 2: the ids, 3: the sources) if it holds
 * anything. */
static int flush(struct herd_groute_tx *tx, uint32_t part, uint8_t kind, struct herd_err *e)
{
    struct txbuf *b = kind >= 2 ? &tx->ids[2 * (size_t)part + kind - 2]
                                : &tx->edges[2 * (size_t)part + kind];
    if (b->count == 0)
        return HERD_OK;
    uint32_t w = tx->owner[part];
    uint8_t hdr[HERD_DPF_EDGES_HDR];
    size_t hlen, blen;
    uint16_t type;
    if (kind >= 2) {
        herd_dpframe_vids_put(hdr, part, b->count);
        hlen = HERD_DPF_VIDS_HDR;
        blen = (size_t)b->count * 8;
        type = kind == 2 ? HERD_DP_VIDS : HERD_DP_SRCS;
        tx->sent_ids[w] += b->count;
    } else {
        herd_dpframe_edges_put(hdr, part, kind, tx->weighted, b->count);
        hlen = HERD_DPF_EDGES_HDR;
        blen = (size_t)b->count * herd_dpframe_edge_size(tx->weighted);
        type = HERD_DP_EDGES;
        tx->sent_edges[w] += b->count;
    }
    b->count = 0;
    if (herd_dp_send_route(tx->s, w, type, hdr, hlen, b->p, blen) != HERD_OK)
        return herd_err_set(e, HERD_ECLOSED, "routed load: worker %u was lost", w);
    return HERD_OK;
}

/* Room for one record of `size` bytes in buffer b of [part, kind]: the
 * buffer allocated, or flushed when full. */
static int room(struct herd_groute_tx *tx, struct txbuf *b, uint32_t part, uint8_t kind,
                size_t size, struct herd_err *e)
{
    if (b->p == NULL && (b->p = malloc(tx->cap)) == NULL)
        return herd_err_set(e, HERD_ENOMEM, "routed load: a %zu-byte send buffer", tx->cap);
    if (((size_t)b->count + 1) * size > tx->cap)
        return flush(tx, part, kind, e);
    return HERD_OK;
}

int herd_groute_tx_edge(struct herd_groute_tx *tx, uint32_t part, uint8_t kind, uint64_t src,
                        uint64_t dst, double w, struct herd_err *e)
{
    if (part >= tx->nparts || kind > HERD_DPF_IN)
        return herd_err_set(e, HERD_EINVAL, "routed load: partition %u, kind %u", part, kind);
    if (tx->owner[part] == tx->me) {
        int rc = herd_groute_rx_add_edge(tx->self, part, kind, src, dst, w);
        return rc ? herd_err_set(e, rc, "routed load: out of memory for my own edges") : rc;
    }
    size_t size = herd_dpframe_edge_size(tx->weighted);
    struct txbuf *b = &tx->edges[2 * (size_t)part + kind];
    int rc = room(tx, b, part, kind, size, e);
    if (rc != HERD_OK)
        return rc;
    herd_dpframe_edge_put(b->p + (size_t)b->count * size, src, dst, tx->weighted, w);
    b->count++;
    return HERD_OK;
}

/* An id (kind 2) or an out-arc's source (kind 3) to partition part. */
static int route_id(struct herd_groute_tx *tx, uint32_t part, uint8_t kind, uint64_t id,
                    struct herd_err *e)
{
    if (part >= tx->nparts)
        return herd_err_set(e, HERD_EINVAL, "routed load: partition %u", part);
    if (tx->owner[part] == tx->me) {
        int rc = kind == 2 ? herd_groute_rx_add_id(tx->self, part, id)
                           : herd_groute_rx_add_src(tx->self, part, id);
        return rc ? herd_err_set(e, rc, "routed load: out of memory for my own ids") : rc;
    }
    struct txbuf *b = &tx->ids[2 * (size_t)part + kind - 2];
    int rc = room(tx, b, part, kind, 8, e);
    if (rc != HERD_OK)
        return rc;
    herd_put_u64(b->p + (size_t)b->count * 8, id);
    b->count++;
    return HERD_OK;
}

int herd_groute_tx_id(struct herd_groute_tx *tx, uint32_t part, uint64_t id, struct herd_err *e)
{
    return route_id(tx, part, 2, id, e);
}

int herd_groute_tx_src(struct herd_groute_tx *tx, uint32_t part, uint64_t id, struct herd_err *e)
{
    return route_id(tx, part, 3, id, e);
}

int herd_groute_tx_finish(struct herd_groute_tx *tx, struct herd_err *e)
{
    int rc = HERD_OK;
    for (uint32_t p = 0; p < tx->nparts && rc == HERD_OK; p++)
        for (uint8_t k = 0; k <= 3 && rc == HERD_OK; k++)
            rc = flush(tx, p, k, e);
    for (uint32_t w = 0; w < tx->nworkers && rc == HERD_OK; w++) {
        if (w == tx->me)
            continue;
        uint8_t l[HERD_DPF_LOADED_LEN];
        herd_dpframe_loaded_put(l, tx->sent_edges[w], tx->sent_ids[w]);
        if (herd_dp_send_route(tx->s, w, HERD_DP_LOADED, l, sizeof l, NULL, 0) != HERD_OK)
            rc = herd_err_set(e, HERD_ECLOSED, "routed load: worker %u was lost", w);
    }
    return rc;
}

int herd_groute_tx_counts(struct herd_groute_tx *tx, const uint64_t *counts, struct herd_err *e)
{
    uint32_t k = 0;
    for (uint32_t p = 0; p < tx->nparts; p++)
        k += tx->owner[p] == tx->me;
    uint8_t hdr[HERD_DPF_COUNTS_HDR], *body = malloc((size_t)k * 12 + 1);
    if (body == NULL)
        return herd_err_set(e, HERD_ENOMEM, "routed load: COUNTS of %u partitions", k);
    herd_dpframe_counts_put(hdr, k);
    for (uint32_t p = 0, i = 0; p < tx->nparts; p++)
        if (tx->owner[p] == tx->me) {
            herd_dpframe_count_put(body + (size_t)12 * i++, p, counts[p]);
            herd_groute_rx_set_count(tx->self, p, counts[p]);
        }
    int rc = HERD_OK;
    for (uint32_t w = 0; w < tx->nworkers && rc == HERD_OK; w++)
        if (w != tx->me &&
            herd_dp_send_route(tx->s, w, HERD_DP_COUNTS, hdr, sizeof hdr, body, (size_t)k * 12))
            rc = herd_err_set(e, HERD_ECLOSED, "routed load: worker %u was lost", w);
    free(body);
    return rc;
}
