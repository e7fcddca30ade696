/* list — intrusive, circular, doubly-linked lists for the master core's
 * queues (ready tasks of a job, jobs of a priority level, attempts of a
 * worker). A `struct herd_link` is embedded in the element; an unlinked
 * element's link points at itself, so removal is O(1) and idempotent.
 * Header-only; not thread-safe (the core runs on one thread). */
#ifndef HERD_MASTER_LIST_H
#define HERD_MASTER_LIST_H

#include <stddef.h>

struct herd_link {
    struct herd_link *prev;
    struct herd_link *next;
};

#define herd_container_of(p, type, member) ((type *)(void *)((char *)(p) - offsetof(type, member)))

/* Makes h an empty list head (or an unlinked element). */
static inline void herd_list_init(struct herd_link *h)
{
    h->prev = h->next = h;
}

static inline int herd_list_empty(const struct herd_link *h)
{
    return h->next == h;
}

/* 1 if the element n is in some list. */
static inline int herd_list_linked(const struct herd_link *n)
{
    return n->next != n;
}

/* Appends n (unlinked) at the back of list h. */
static inline void herd_list_push_back(struct herd_link *h, struct herd_link *n)
{
    n->prev = h->prev;
    n->next = h;
    h->prev->next = n;
    h->prev = n;
}

/* Inserts n (unlinked) just before element `at` (or at the back if at == head). */
static inline void herd_list_insert_before(struct herd_link *at, struct herd_link *n)
{
    herd_list_push_back(at, n);
}

/* Unlinks n; harmless if n is not linked. */
static inline void herd_list_remove(struct herd_link *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

/* First element of h, or NULL if empty. */
static inline struct herd_link *herd_list_first(const struct herd_link *h)
{
    return h->next == h ? NULL : h->next;
}

#define herd_list_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)
/* Safe against removal of pos. */
#define herd_list_each_safe(pos, tmp, head)                                                        \
    for (pos = (head)->next, tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)

#endif
