/* groute_xlate — asking the owners for dense ids (groute_xlate.h). */
#include "worker/groute_xlate.h"

#include "base/bytes.h"
#include "base/mem.h"
#include "graph/renumber.h"
#include "graph/idmap.h"
#include "worker/groute_idx.h"
#include "worker/groute_num.h"

#include <stdlib.h>
#include <string.h>

struct herd_groute_xlate {
    struct herd_groute_numbering num;
    const struct herd_groute_rx *rx;
    uint64_t **asked;  /* per remote partition: sorted distinct ids asked */
    size_t *nasked;
    struct herd_groute_idx index; /* every id my rows name -> its dense id */
};

/* Every remote endpoint of my rows into the set. */
static int gather(const struct herd_groute_numbering *nm, const struct herd_groute_rx *rx,
                  struct herd_groute_idx *set)
{
    for (uint32_t p = 0; p < nm->nparts; p++) {
        if (nm->owner[p] != nm->me)
            continue;
        const struct herd_groute_part *gp = herd_groute_rx_part(rx, p);
        for (int k = 0; k < 2; k++) {
            const struct herd_groute_edges *b = k ? &gp->in : &gp->out;
            const uint64_t *end = k ? b->src : b->dst; /* the other endpoint */
            for (size_t i = 0; i < b->n; i++)
                if (nm->owner[herd_renumber_part_of(end[i], nm->nparts)] != nm->me &&
                    herd_groute_idx_put(set, end[i], NULL) == NULL)
                    return -1;
        }
    }
    return 0;
}

/* The remote endpoints of my rows, per partition, sorted and distinct. */
static int collect(struct herd_groute_xlate *x, const struct herd_groute_rx *rx,
                   struct herd_err *e)
{
    const struct herd_groute_numbering *nm = &x->num;
    struct herd_groute_idx set;
    herd_groute_idx_init(&set);
    int bad = gather(nm, rx, &set) != 0;
    size_t i = 0;
    uint64_t id;
    uint32_t unused;
    while (!bad && herd_groute_idx_next(&set, &i, &id, &unused))
        x->nasked[herd_renumber_part_of(id, nm->nparts)]++;
    for (uint32_t q = 0; q < nm->nparts && !bad; q++) {
        bad = (x->asked[q] = malloc((x->nasked[q] ? x->nasked[q] : 1) * 8)) == NULL;
        x->nasked[q] = 0;
    }
    for (i = 0; !bad && herd_groute_idx_next(&set, &i, &id, &unused);) {
        uint32_t q = herd_renumber_part_of(id, nm->nparts);
        x->asked[q][x->nasked[q]++] = id;
    }
    herd_groute_idx_fini(&set);
    if (bad)
        return herd_err_set(e, HERD_ENOMEM, "routed load: remote endpoint ids");
    for (uint32_t q = 0; q < nm->nparts; q++)
        herd_idmap_sort(x->asked[q], x->nasked[q], NULL);
    return HERD_OK;
}

/* The index: my vertices from my numbering, the others from the answers. */
static int make_index(struct herd_groute_xlate *x, struct herd_err *e)
{
    const struct herd_groute_numbering *nm = &x->num;
    size_t total = 0;
    for (uint32_t p = 0; p < nm->nparts; p++)
        total += nm->owner[p] == nm->me ? nm->n[p] : x->nasked[p];
    if (herd_groute_idx_reserve(&x->index, total) != HERD_OK)
        return herd_err_set(e, HERD_ENOMEM, "routed load: an index of %zu ids", total);
    for (uint32_t p = 0; p < nm->nparts; p++) {
        uint32_t cnt;
        const uint32_t *d = nm->owner[p] == nm->me ? NULL : herd_groute_rx_answered(x->rx, p, &cnt);
        size_t n = nm->owner[p] == nm->me ? nm->n[p] : x->nasked[p];
        const uint64_t *ids = nm->owner[p] == nm->me ? nm->ids[p] : x->asked[p];
        for (size_t i = 0; i < n; i++)
            *herd_groute_idx_put(&x->index, ids[i], NULL) = d ? d[i] : nm->base[p] + (uint32_t)i;
    }
    return HERD_OK;
}

/* One ASK (count u64 ids) or ANSWER (count u32 dense ids) frame. */
static int send_ids(struct herd_dp_session *s, uint32_t w, uint16_t type, uint32_t part,
                    uint32_t count, uint8_t *body, struct herd_err *e)
{
    uint8_t hdr[HERD_DPF_VIDS_HDR];
    herd_dpframe_vids_put(hdr, part, count); /* ASK and ANSWER share VIDS's header */
    size_t blen = (size_t)count * (type == HERD_DP_ASK ? 8 : 4);
    if (herd_dp_send_route(s, w, type, hdr, sizeof hdr, body, blen) != HERD_OK)
        return herd_err_set(e, HERD_ECLOSED, "routed load: worker %u was lost", w);
    return HERD_OK;
}

static int send_asks(struct herd_groute_xlate *x, struct herd_dp_session *s, struct herd_err *e)
{
    const struct herd_groute_numbering *nm = &x->num;
    int rc = HERD_OK;
    for (uint32_t q = 0; q < nm->nparts && rc == HERD_OK; q++) {
        if (nm->owner[q] == nm->me)
            continue;
        if (x->nasked[q] > UINT32_MAX / 8)
            return herd_err_set(e, HERD_ENOMEM, "routed load: %zu ids to ask", x->nasked[q]);
        uint8_t *body = malloc(x->nasked[q] * 8 + 1);
        if (body == NULL)
            return herd_err_set(e, HERD_ENOMEM, "routed load: %zu ids to ask", x->nasked[q]);
        for (size_t i = 0; i < x->nasked[q]; i++)
            herd_put_u64(body + 8 * i, x->asked[q][i]);
        rc = send_ids(s, nm->owner[q], HERD_DP_ASK, q, (uint32_t)x->nasked[q], body, e);
        free(body);
    }
    return rc;
}

static int answer(struct herd_groute_xlate *x, struct herd_dp_session *s,
                  const struct herd_groute_ask *a, struct herd_err *e)
{
    const struct herd_groute_numbering *nm = &x->num;
    uint8_t *body = malloc((size_t)a->count * 4 + 1);
    if (body == NULL)
        return herd_err_set(e, HERD_ENOMEM, "routed load: an ANSWER of %u ids", a->count);
    int rc = HERD_OK;
    for (uint32_t i = 0; i < a->count && rc == HERD_OK; i++) {
        uint32_t v;
        if (herd_groute_dense(nm->ids[a->part], nm->n[a->part], nm->base[a->part], a->ids[i],
                              &v) != HERD_OK)
            rc = herd_err_set(e, HERD_EPROTO,
                              "routed load: worker %u asked for id %llu, not in partition %u",
                              a->from, (unsigned long long)a->ids[i], a->part);
        else
            herd_put_u32(body + 4 * (size_t)i, v);
    }
    if (rc == HERD_OK)
        rc = send_ids(s, a->from, HERD_DP_ANSWER, a->part, a->count, body, e);
    free(body);
    return rc;
}

int herd_groute_xlate_run(struct herd_dp_session *s, struct herd_groute_rx *rx,
                          const struct herd_groute_numbering *num,
                          struct herd_groute_xlate **out, struct herd_err *e)
{
    struct herd_groute_xlate *x = herd_xcalloc(1, sizeof *x);
    x->num = *num;
    x->rx = rx;
    x->asked = herd_xcalloc(num->nparts ? num->nparts : 1, sizeof *x->asked);
    x->nasked = herd_xcalloc(num->nparts ? num->nparts : 1, sizeof *x->nasked);
    int rc = collect(x, rx, e);
    if (rc == HERD_OK)
        rc = send_asks(x, s, e);
    for (;;) {
        struct herd_groute_ask *a = NULL;
        if (rc == HERD_OK && herd_groute_rx_next_ask(rx, &a) != HERD_OK)
            rc = herd_err_set(e, HERD_ECLOSED, "routed load: a peer was lost");
        if (rc != HERD_OK || a == NULL)
            break;
        rc = answer(x, s, a, e);
        herd_groute_ask_free(a);
    }
    for (uint32_t q = 0; rc == HERD_OK && q < num->nparts; q++) {
        uint32_t cnt;
        if (num->owner[q] == num->me)
            continue;
        herd_groute_rx_answered(rx, q, &cnt);
        if (cnt != x->nasked[q])
            rc = herd_err_set(e, HERD_EPROTO, "routed load: %u answers for %zu ids", cnt,
                              x->nasked[q]);
    }
    rc = rc ? rc : make_index(x, e);
    if (rc != HERD_OK) {
        herd_groute_rx_fail(rx);
        herd_groute_xlate_destroy(x);
        return rc;
    }
    *out = x;
    return HERD_OK;
}

int herd_groute_xlate_dense(const struct herd_groute_xlate *x, uint64_t id, uint32_t *v)
{
    return herd_groute_idx_get(&x->index, id, v);
}

void herd_groute_xlate_destroy(struct herd_groute_xlate *x)
{
    if (x == NULL)
        return;
    for (uint32_t q = 0; q < x->num.nparts; q++)
        free(x->asked[q]);
    free(x->asked);
    free(x->nasked);
    herd_groute_idx_fini(&x->index);
    free(x);
}
