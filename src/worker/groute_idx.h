/* groute_idx — the small tools of a routed load that make it linear rather
 * than a sort or a binary search per record: a hash map from 64-bit input
 * ids (any value, 0 included) to a 32-bit value (a dense id, a count). Id
 * arrays are sorted with graph/idmap.h's radix sort, herd_idmap_sort.
 *
 * The map: open addressing with linear probing, at most half full; 12 bytes
 * per slot; grows by doubling (input-driven: failures are HERD_ENOMEM, not
 * aborts). Values are below UINT32_MAX (the empty mark). One thread per map
 * (the routed-load receiver takes its lock around it). */
#ifndef HERD_WORKER_GROUTE_IDX_H
#define HERD_WORKER_GROUTE_IDX_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

struct herd_groute_idx {
    uint64_t *key;
    uint32_t *val;  /* UINT32_MAX: empty slot */
    size_t cap, n;  /* cap a power of two (0 before the first put) */
};

/* An empty map (allocates nothing). */
void herd_groute_idx_init(struct herd_groute_idx *x);
/* Frees the slots; the map is empty again. */
void herd_groute_idx_fini(struct herd_groute_idx *x);
/* Room for `n` keys without growing. HERD_OK or HERD_ENOMEM. */
int herd_groute_idx_reserve(struct herd_groute_idx *x, size_t n);
/* The value slot of `key`, added with value 0 when absent (*added 1, may be
 * NULL). NULL when out of memory. The pointer is valid until the next put. */
uint32_t *herd_groute_idx_put(struct herd_groute_idx *x, uint64_t key, int *added);
/* HERD_OK and *v, or HERD_ENOTFOUND. */
int herd_groute_idx_get(const struct herd_groute_idx *x, uint64_t key, uint32_t *v);
/* Iteration: for (size_t i = 0; herd_groute_idx_next(x, &i, &k, &v);). */
int herd_groute_idx_next(const struct herd_groute_idx *x, size_t *i, uint64_t *key,
                         uint32_t *v);

#endif
