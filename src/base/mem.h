/* mem — allocation policy (STYLE habit 8).
 *
 * Small control objects use herd_xmalloc() and friends, which abort the
 * process with a message on out-of-memory: there is nothing sensible to do
 * when a 64-byte task record cannot be allocated. Sizes driven by input
 * (graphs, frame bodies, HTTP bodies) must use plain malloc()/calloc() and
 * fail cleanly with HERD_ENOMEM instead. Thread-safe. */
#ifndef HERD_BASE_MEM_H
#define HERD_BASE_MEM_H

#include <stddef.h>

void *herd_xmalloc(size_t n);
void *herd_xcalloc(size_t count, size_t size);
void *herd_xrealloc(void *p, size_t n);
char *herd_xstrdup(const char *s);

/* Grows *arr (of elements of `size` bytes, capacity *cap) to hold at least
 * `need` elements, doubling. Aborts on out-of-memory (control objects only). */
void herd_xgrow(void **arr, size_t *cap, size_t need, size_t size);

#endif
