/* u64map — an open-addressing hash map from non-zero 64-bit ids (attempt ids,
 * connection ids, job ids) to pointers (used by the master core). Linear probing
 * with backward-shift deletion, so there are no tombstones and lookups stay
 * short after churn. The map does not own the values. One thread. */
#ifndef HERD_BASE_U64MAP_H
#define HERD_BASE_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct herd_u64map_slot {
    uint64_t key; /* 0 = empty */
    void *val;
};

struct herd_u64map {
    struct herd_u64map_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
};

void herd_u64map_init(struct herd_u64map *m);
void herd_u64map_fini(struct herd_u64map *m);
/* The value for key, or NULL. key 0 is never present. */
void *herd_u64map_get(const struct herd_u64map *m, uint64_t key);
/* Inserts or replaces; key must be non-zero. Aborts on out-of-memory
 * (control objects). */
void herd_u64map_put(struct herd_u64map *m, uint64_t key, void *val);
/* Removes key; returns its value or NULL if absent. */
void *herd_u64map_del(struct herd_u64map *m, uint64_t key);

/* Iteration: for (size_t i = 0; herd_u64map_next(m, &i, &k, &v);) — do not
 * modify the map while iterating. */
int herd_u64map_next(const struct herd_u64map *m, size_t *i, uint64_t *key, void **val);

#endif
