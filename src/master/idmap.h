/* idmap — an open-addressing hash map from non-zero 64-bit ids (attempt ids,
 * connection ids, job ids) to pointers, for the master core. Linear probing
 * with backward-shift deletion, so there are no tombstones and lookups stay
 * short after churn. The map does not own the values. One thread. */
#ifndef HERD_MASTER_IDMAP_H
#define HERD_MASTER_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct herd_idmap_slot {
    uint64_t key; /* 0 = empty */
    void *val;
};

struct herd_idmap {
    struct herd_idmap_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
};

void herd_idmap_init(struct herd_idmap *m);
void herd_idmap_fini(struct herd_idmap *m);
/* The value for key, or NULL. key 0 is never present. */
void *herd_idmap_get(const struct herd_idmap *m, uint64_t key);
/* Inserts or replaces; key must be non-zero. Aborts on out-of-memory
 * (control objects). */
void herd_idmap_put(struct herd_idmap *m, uint64_t key, void *val);
/* Removes key; returns its value or NULL if absent. */
void *herd_idmap_del(struct herd_idmap *m, uint64_t key);

/* Iteration: for (size_t i = 0; herd_idmap_next(m, &i, &k, &v);) — do not
 * modify the map while iterating. */
int herd_idmap_next(const struct herd_idmap *m, size_t *i, uint64_t *key, void **val);

#endif
