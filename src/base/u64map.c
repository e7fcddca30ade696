#include "base/u64map.h"

#include "base/mem.h"
#include "base/rand.h"

#include <assert.h>
#include <stdlib.h>

void herd_u64map_init(struct herd_u64map *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->len = 0;
}

void herd_u64map_fini(struct herd_u64map *m)
{
    free(m->slots);
    herd_u64map_init(m);
}

static size_t home(const struct herd_u64map *m, uint64_t key)
{
    return (size_t)herd_mix64(key) & (m->cap - 1);
}

static void insert_slot(struct herd_u64map *m, uint64_t key, void *val)
{
    size_t i = home(m, key);
    while (m->slots[i].key != 0 && m->slots[i].key != key)
        i = (i + 1) & (m->cap - 1);
    if (m->slots[i].key == 0)
        m->len++;
    m->slots[i].key = key;
    m->slots[i].val = val;
}

static void grow(struct herd_u64map *m)
{
    struct herd_u64map_slot *old = m->slots;
    size_t oldcap = m->cap;
    m->cap = oldcap ? oldcap * 2 : 16;
    m->slots = herd_xcalloc(m->cap, sizeof *m->slots);
    m->len = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].key != 0)
            insert_slot(m, old[i].key, old[i].val);
    free(old);
}

void *herd_u64map_get(const struct herd_u64map *m, uint64_t key)
{
    if (m->cap == 0 || key == 0)
        return NULL;
    for (size_t i = home(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == key)
            return m->slots[i].val;
        if (m->slots[i].key == 0)
            return NULL;
    }
}

void herd_u64map_put(struct herd_u64map *m, uint64_t key, void *val)
{
    assert(key != 0);
    if ((m->len + 1) * 4 > m->cap * 3)
        grow(m);
    insert_slot(m, key, val);
}

void *herd_u64map_del(struct herd_u64map *m, uint64_t key)
{
    if (m->cap == 0 || key == 0)
        return NULL;
    size_t mask = m->cap - 1, i = home(m, key);
    while (m->slots[i].key != key) {
        if (m->slots[i].key == 0)
            return NULL;
        i = (i + 1) & mask;
    }
    void *val = m->slots[i].val;
    /* Backward shift: pull later entries of the probe run into the hole. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->slots[j].key != 0; j = (j + 1) & mask) {
        size_t h = home(m, m->slots[j].key);
        /* Entry j may move to the hole if its home is not in (hole, j]. */
        if (((j - h) & mask) >= ((j - hole) & mask)) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].key = 0;
    m->slots[hole].val = NULL;
    m->len--;
    return val;
}

int herd_u64map_next(const struct herd_u64map *m, size_t *i, uint64_t *key, void **val)
{
    for (; *i < m->cap; (*i)++) {
        if (m->slots[*i].key != 0) {
            *key = m->slots[*i].key;
            *val = m->slots[*i].val;
            (*i)++;
            return 1;
        }
    }
    return 0;
}
