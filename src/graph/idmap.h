/* idmap — the map between a graph's input ids (any 64-bit values) and its
 * dense ids 0..n-1, assigned in ascending input-id order.
 *
 * Used by src/graph (the builder and the loaders) and by a worker's routed
 * load (worker/groute_*: herd_idmap_sort and herd_idmap_bisect on its own
 * id arrays). Three shapes, chosen
 * by herd_idmap_finish(): an offset (ids are exactly base..base+n-1, no
 * array at all), a bitmap with per-word ranks over [base, base+span) for
 * ids that are dense enough, or a sorted id array searched by bisection.
 * A finished map is read-only and may be shared by threads. */
#ifndef HERD_GRAPH_IDMAP_H
#define HERD_GRAPH_IDMAP_H

#include "base/err.h"

#include <stdint.h>

struct herd_idmap {
    uint64_t n;     /* distinct ids */
    uint64_t base;  /* smallest id (offset and bitmap shapes) */
    uint64_t span;  /* bitmap covers ids base .. base+span-1; 0 = no bitmap */
    uint64_t *bits; /* span bits, or NULL */
    uint32_t *rank; /* set bits before each 64-bit word, or NULL */
    uint64_t *ids;  /* n ascending ids, or NULL for the offset shape */
};

/* Set bits of x (SWAR: the build targets baseline x86-64, where the
 * builtin becomes a library call). */
static inline uint32_t herd_idmap_popcount(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (uint32_t)((x * 0x0101010101010101ULL) >> 56);
}

/* An empty map (n = 0, offset shape). */
void herd_idmap_init(struct herd_idmap *m);
void herd_idmap_fini(struct herd_idmap *m);

/* Whether a bitmap over [lo, hi] is affordable for a graph of about `items`
 * endpoints (a few bytes per endpoint, or 16 MiB, whichever is larger). */
int herd_idmap_bitmap_fits(uint64_t lo, uint64_t hi, uint64_t items);

/* Starts a bitmap map over [lo, hi] (lo <= hi). HERD_OK or HERD_ENOMEM. */
int herd_idmap_begin(struct herd_idmap *m, uint64_t lo, uint64_t hi, struct herd_err *e);

/* Marks an id in a begun bitmap map; the id must lie in [lo, hi]. */
static inline void herd_idmap_mark(struct herd_idmap *m, uint64_t id)
{
    uint64_t k = id - m->base;
    m->bits[k >> 6] |= 1ULL << (k & 63);
}

/* Ends marking: counts, and turns the map into the offset shape when every
 * id in the range was marked, else builds ranks and the id array.
 * HERD_OK, HERD_ENOMEM, or HERD_EINVAL (more than 2^32-1 ids). */
int herd_idmap_finish(struct herd_idmap *m, struct herd_err *e);

/* Builds a map from an id list (any order, duplicates allowed). Takes
 * ownership of `ids` (malloc'd, `k` entries) in every case. HERD_OK,
 * HERD_ENOMEM, or HERD_EINVAL (more than 2^32-1 distinct ids). */
int herd_idmap_from_list(struct herd_idmap *m, uint64_t *ids, uint64_t k, struct herd_err *e);

/* The offset shape: ids base .. base+n-1. */
void herd_idmap_offset(struct herd_idmap *m, uint64_t base, uint64_t n);

/* The position of `id` in ids[0..n) (ascending, distinct): 1 and *v, or 0
 * when absent. The sorted-array shape's lookup, also used on the id arrays
 * of a routed load (worker/groute_num.c). */
static inline int herd_idmap_bisect(const uint64_t *ids, uint64_t n, uint64_t id, uint32_t *v)
{
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == n || ids[lo] != id)
        return 0;
    *v = (uint32_t)lo;
    return 1;
}

/* Dense id of `id`: 1 and *v when present, 0 when not. */
static inline int herd_idmap_find(const struct herd_idmap *m, uint64_t id, uint32_t *v)
{
    uint64_t k = id - m->base;
    if (m->ids == NULL) {
        if (id < m->base || k >= m->n)
            return 0;
        *v = (uint32_t)k;
        return 1;
    }
    if (m->bits != NULL) {
        if (id < m->base || k >= m->span)
            return 0;
        uint64_t word = m->bits[k >> 6], below = word & ((1ULL << (k & 63)) - 1);
        if (!(word >> (k & 63) & 1))
            return 0;
        *v = m->rank[k >> 6] + herd_idmap_popcount(below);
        return 1;
    }
    return herd_idmap_bisect(m->ids, m->n, id, v);
}

/* Hands the id array (NULL for the offset shape) to the caller and drops
 * the lookup structures; the map keeps n and base. */
uint64_t *herd_idmap_take_ids(struct herd_idmap *m);

/* Sorts k u64 values ascending in place: LSD radix over 11-bit digits (one
 * histogram pass, digits every key shares skipped); qsort for k <= 512 or
 * when scratch memory is short, so it always succeeds (HERD_OK; e unused,
 * may be NULL). The loaders' id arrays and the routed load's (worker/groute_*)
 * use it. */
int herd_idmap_sort(uint64_t *a, uint64_t k, struct herd_err *e);

#endif
