/* msgbuf — batches, sender-side combining and the per-partition inbox.
 *
 * Combining on the sender: a direct-mapped cache keyed by target holds the
 * latest message for each slot; a message for the same target merges into
 * it, a different target evicts the old one into the batch. Nearby targets
 * (contiguous dense ranges) fall into different slots, so hot targets stay
 * cached. The receiver merges again, so the cache only saves traffic. */
#include "graph/msgbuf.h"

#include "base/err.h"

#include <stdlib.h>
#include <string.h>

#define BATCH_BYTES (256u * 1024u)

struct herd_msgbatch *herd_msgbatch_new(uint32_t msg_size, uint32_t cap)
{
    uint32_t rec = 4 + msg_size;
    struct herd_msgbatch *b = malloc(sizeof *b + (size_t)rec * cap);
    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->count = 0;
    b->cap = cap;
    b->rec = rec;
    return b;
}

void herd_msgbatch_free_list(struct herd_msgbatch *b)
{
    while (b) {
        struct herd_msgbatch *n = b->next;
        free(b);
        b = n;
    }
}

int herd_msgout_init(struct herd_msgout *o, uint32_t msg_size, herd_combine_fn comb,
                     uint32_t cache_slots, herd_msgsink_fn sink, void *sink_arg)
{
    memset(o, 0, sizeof *o);
    o->msg_size = msg_size;
    o->comb = comb;
    o->sink = sink;
    o->sink_arg = sink_arg;
    if (comb == NULL || cache_slots == 0)
        return HERD_OK;
    o->tag = malloc(sizeof *o->tag * cache_slots);
    o->slot = malloc((size_t)msg_size * cache_slots);
    o->used = malloc(sizeof *o->used * cache_slots);
    if (o->tag == NULL || o->slot == NULL || o->used == NULL) {
        herd_msgout_fini(o);
        return HERD_ENOMEM;
    }
    memset(o->tag, 0xff, sizeof *o->tag * cache_slots);
    o->mask = cache_slots - 1;
    return HERD_OK;
}

void herd_msgout_fini(struct herd_msgout *o)
{
    herd_msgbatch_free_list(o->cur);
    free(o->tag);
    free(o->slot);
    free(o->used);
    memset(o, 0, sizeof *o);
}

static int append(struct herd_msgout *o, uint32_t to, const void *msg)
{
    struct herd_msgbatch *b = o->cur;
    if (b == NULL) {
        uint32_t cap = BATCH_BYTES / (4 + o->msg_size);
        b = o->cur = herd_msgbatch_new(o->msg_size, cap ? cap : 1);
        if (b == NULL)
            return HERD_ENOMEM;
    }
    uint8_t *r = b->data + (size_t)b->count * b->rec;
    memcpy(r, &to, 4);
    memcpy(r + 4, msg, o->msg_size);
    if (++b->count < b->cap)
        return HERD_OK;
    o->cur = NULL;
    o->records += b->count;
    return o->sink(o->sink_arg, b);
}

int herd_msgout_put(struct herd_msgout *o, uint32_t to, const void *msg)
{
    if (o->tag == NULL)
        return append(o, to, msg);
    uint32_t s = to & o->mask;
    uint8_t *slot = o->slot + (size_t)s * o->msg_size;
    if (o->tag[s] == to) {
        o->comb(slot, msg);
        return HERD_OK;
    }
    if (o->tag[s] == UINT32_MAX) {
        o->used[o->nused++] = s;
    } else {
        int rc = append(o, o->tag[s], slot);
        if (rc != HERD_OK)
            return rc;
    }
    o->tag[s] = to;
    memcpy(slot, msg, o->msg_size);
    return HERD_OK;
}

int herd_msgout_append(struct herd_msgout *o, uint32_t to, const void *msg)
{
    return append(o, to, msg);
}

int herd_msgout_flush(struct herd_msgout *o)
{
    int rc = HERD_OK;
    for (uint32_t i = 0; i < o->nused && rc == HERD_OK; i++) {
        uint32_t s = o->used[i];
        rc = append(o, o->tag[s], o->slot + (size_t)s * o->msg_size);
        o->tag[s] = UINT32_MAX;
    }
    for (uint32_t i = 0; i < o->nused; i++)
        o->tag[o->used[i]] = UINT32_MAX;
    o->nused = 0;
    if (rc != HERD_OK || o->cur == NULL)
        return rc;
    struct herd_msgbatch *b = o->cur;
    o->cur = NULL;
    o->records += b->count;
    return o->sink(o->sink_arg, b);
}

int herd_inbox_init(struct herd_inbox *ib, uint32_t lo, uint32_t size, uint32_t msg_size,
                    herd_combine_fn comb)
{
    memset(ib, 0, sizeof *ib);
    ib->lo = lo;
    ib->size = size;
    ib->msg_size = msg_size;
    ib->comb = comb;
    size_t n = size ? size : 1;
    ib->cnt = calloc(n, sizeof *ib->cnt);
    ib->recv = malloc(n * sizeof *ib->recv);
    if (comb)
        ib->val = malloc(n * msg_size);
    else
        ib->off = malloc(n * sizeof *ib->off);
    if (ib->cnt == NULL || ib->recv == NULL || (comb ? !ib->val : !ib->off)) {
        herd_inbox_fini(ib);
        return HERD_ENOMEM;
    }
    return HERD_OK;
}

void herd_inbox_fini(struct herd_inbox *ib)
{
    free(ib->cnt);
    free(ib->recv);
    free(ib->val);
    free(ib->off);
    free(ib->data);
    memset(ib, 0, sizeof *ib);
}

static void clear(struct herd_inbox *ib)
{
    for (uint32_t i = 0; i < ib->nrecv; i++)
        ib->cnt[ib->recv[i]] = 0;
    ib->nrecv = 0;
    ib->total = 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Counts messages per target; combined mode also merges them. */
static int count_pass(struct herd_inbox *ib, struct herd_msgbatch *const *lists, uint32_t nlists)
{
    for (uint32_t l = 0; l < nlists; l++) {
        for (const struct herd_msgbatch *b = lists[l]; b; b = b->next) {
            for (uint32_t k = 0; k < b->count; k++) {
                const uint8_t *r = b->data + (size_t)k * b->rec;
                uint32_t to;
                memcpy(&to, r, 4);
                uint32_t i = to - ib->lo;
                if (to < ib->lo || i >= ib->size)
                    return HERD_EPROTO;
                if (ib->cnt[i] == 0)
                    ib->recv[ib->nrecv++] = i;
                else if (ib->cnt[i] == UINT32_MAX)
                    return HERD_ETOOBIG;
                if (ib->comb == NULL) {
                    ib->cnt[i]++;
                    ib->total++;
                    continue;
                }
                uint8_t *acc = ib->val + (size_t)i * ib->msg_size;
                if (ib->cnt[i] == 0) {
                    memcpy(acc, r + 4, ib->msg_size);
                    ib->cnt[i] = 1;
                    ib->total++;
                } else {
                    ib->comb(acc, r + 4);
                }
            }
        }
    }
    return HERD_OK;
}

/* List mode: lays the messages out grouped by target, in arrival order. */
static int place_pass(struct herd_inbox *ib, struct herd_msgbatch *const *lists, uint32_t nlists)
{
    if (ib->total > ib->data_cap) {
        size_t cap = ib->total + ib->total / 4;
        uint8_t *d = realloc(ib->data, cap * ib->msg_size);
        if (d == NULL)
            return HERD_ENOMEM;
        ib->data = d;
        ib->data_cap = cap;
    }
    uint64_t at = 0;
    for (uint32_t j = 0; j < ib->nrecv; j++) {
        uint32_t i = ib->recv[j];
        ib->off[i] = at;
        at += ib->cnt[i];
    }
    for (uint32_t l = 0; l < nlists; l++) {
        for (const struct herd_msgbatch *b = lists[l]; b; b = b->next) {
            for (uint32_t k = 0; k < b->count; k++) {
                const uint8_t *r = b->data + (size_t)k * b->rec;
                uint32_t to;
                memcpy(&to, r, 4);
                uint32_t i = to - ib->lo;
                memcpy(ib->data + ib->off[i]++ * ib->msg_size, r + 4, ib->msg_size);
            }
        }
    }
    for (uint32_t j = 0; j < ib->nrecv; j++) {
        uint32_t i = ib->recv[j];
        ib->off[i] -= ib->cnt[i];
    }
    return HERD_OK;
}

int herd_inbox_fill(struct herd_inbox *ib, struct herd_msgbatch *const *lists, uint32_t nlists)
{
    clear(ib);
    int rc = count_pass(ib, lists, nlists);
    if (rc == HERD_OK && ib->comb == NULL && ib->total > 0)
        rc = place_pass(ib, lists, nlists);
    if (rc != HERD_OK) {
        clear(ib);
        return rc;
    }
    return HERD_OK;
}

void herd_inbox_sort(struct herd_inbox *ib)
{
    qsort(ib->recv, ib->nrecv, sizeof *ib->recv, cmp_u32);
}
