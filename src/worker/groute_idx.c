/* groute_idx — id map and radix sort of a routed load (groute_idx.h). */
#include "worker/groute_idx.h"

#include "graph/renumber.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT32_MAX

void herd_groute_idx_init(struct herd_groute_idx *x)
{
    memset(x, 0, sizeof *x);
}

void herd_groute_idx_fini(struct herd_groute_idx *x)
{
    free(x->key);
    free(x->val);
    memset(x, 0, sizeof *x);
}

/* Slot of key in a table of cap slots: the high bits of a mix that differs
 * from the partition hash (whose low bits are fixed within a partition). */
static size_t slot_of(uint64_t key, size_t cap)
{
    return (size_t)(herd_renumber_mix64(key ^ 0x5851f42d4c957f2dULL) >> 32) & (cap - 1);
}

static int rehash(struct herd_groute_idx *x, size_t cap)
{
    uint64_t *k = malloc(cap * sizeof *k);
    uint32_t *v = malloc(cap * sizeof *v);
    if (k == NULL || v == NULL) {
        free(k);
        free(v);
        return HERD_ENOMEM;
    }
    memset(v, 0xff, cap * sizeof *v);
    for (size_t i = 0; i < x->cap; i++) {
        if (x->val[i] == EMPTY)
            continue;
        size_t s = slot_of(x->key[i], cap);
        while (v[s] != EMPTY)
            s = (s + 1) & (cap - 1);
        k[s] = x->key[i];
        v[s] = x->val[i];
    }
    free(x->key);
    free(x->val);
    x->key = k;
    x->val = v;
    x->cap = cap;
    return HERD_OK;
}

int herd_groute_idx_reserve(struct herd_groute_idx *x, size_t n)
{
    size_t cap = x->cap ? x->cap : 16;
    while (cap / 2 < n)
        cap *= 2;
    return cap == x->cap ? HERD_OK : rehash(x, cap);
}

uint32_t *herd_groute_idx_put(struct herd_groute_idx *x, uint64_t key, int *added)
{
    if ((x->n + 1) * 2 > x->cap && herd_groute_idx_reserve(x, x->n + 1) != HERD_OK)
        return NULL;
    size_t s = slot_of(key, x->cap);
    while (x->val[s] != EMPTY && x->key[s] != key)
        s = (s + 1) & (x->cap - 1);
    int fresh = x->val[s] == EMPTY;
    if (fresh) {
        x->key[s] = key;
        x->val[s] = 0;
        x->n++;
    }
    if (added)
        *added = fresh;
    return &x->val[s];
}

int herd_groute_idx_get(const struct herd_groute_idx *x, uint64_t key, uint32_t *v)
{
    if (x->cap == 0)
        return HERD_ENOTFOUND;
    for (size_t s = slot_of(key, x->cap); x->val[s] != EMPTY; s = (s + 1) & (x->cap - 1))
        if (x->key[s] == key) {
            *v = x->val[s];
            return HERD_OK;
        }
    return HERD_ENOTFOUND;
}

int herd_groute_idx_next(const struct herd_groute_idx *x, size_t *i, uint64_t *key,
                         uint32_t *v)
{
    for (; *i < x->cap; (*i)++)
        if (x->val[*i] != EMPTY) {
            *key = x->key[*i];
            *v = x->val[*i];
            (*i)++;
            return 1;
        }
    return 0;
}
