/* groute_num — numbering a routed load's partitions (groute_num.h). */
#include "worker/groute_num.h"

#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int herd_groute_part_ids(const struct herd_groute_part *gp, uint64_t **ids, size_t *n,
                         struct herd_err *e)
{
    size_t total = gp->out.n + gp->in.n + gp->nids;
    if (total == 0) {
        *ids = NULL;
        *n = 0;
        return HERD_OK;
    }
    uint64_t *v = malloc(total * sizeof *v);
    if (v == NULL)
        return herd_err_set(e, HERD_ENOMEM, "routed load: %zu vertex ids", total);
    size_t k = 0; /* (an empty buffer's array is NULL: no memcpy from it) */
    if (gp->out.n)
        memcpy(v + k, gp->out.src, gp->out.n * sizeof *v);
    k += gp->out.n;
    if (gp->in.n)
        memcpy(v + k, gp->in.dst, gp->in.n * sizeof *v);
    k += gp->in.n;
    if (gp->nids)
        memcpy(v + k, gp->ids, gp->nids * sizeof *v);
    qsort(v, total, sizeof *v, cmp_u64);
    size_t u = 1;
    for (size_t i = 1; i < total; i++)
        if (v[i] != v[u - 1])
            v[u++] = v[i];
    uint64_t *shrunk = realloc(v, u * sizeof *v);
    *ids = shrunk ? shrunk : v;
    *n = u;
    return HERD_OK;
}

int herd_groute_bases(const uint64_t *counts, uint32_t nparts, uint32_t *base,
                      struct herd_err *e)
{
    uint64_t at = 0;
    for (uint32_t p = 0; p < nparts; p++) {
        if (counts[p] > UINT32_MAX - at)
            return herd_err_set(e, HERD_EINVAL,
                                "routed load: more than %u vertices (partition %u)", UINT32_MAX,
                                p);
        base[p] = (uint32_t)at;
        at += counts[p];
    }
    base[nparts] = (uint32_t)at;
    return HERD_OK;
}

int herd_groute_dense(const uint64_t *ids, size_t n, uint32_t base, uint64_t x, uint32_t *v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == n || ids[lo] != x)
        return HERD_ENOTFOUND;
    *v = base + (uint32_t)lo;
    return HERD_OK;
}
