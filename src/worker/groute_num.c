/* groute_num — numbering a routed load's partitions (groute_num.h). */
#include "worker/groute_num.h"

#include "graph/idmap.h"
#include "worker/groute_idx.h"

#include <stdlib.h>
#include <string.h>

/* Adds the n ids of a to the set. */
static int add_all(struct herd_groute_idx *set, const uint64_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (herd_groute_idx_put(set, a[i], NULL) == NULL)
            return -1;
    return 0;
}

/* Adds the keys of map m to the set. */
static int add_keys(struct herd_groute_idx *set, const struct herd_groute_idx *m)
{
    size_t i = 0;
    uint64_t id;
    uint32_t unused;
    while (herd_groute_idx_next(m, &i, &id, &unused))
        if (herd_groute_idx_put(set, id, NULL) == NULL)
            return -1;
    return 0;
}

int herd_groute_part_ids(const struct herd_groute_part *gp, uint64_t **ids, size_t *n,
                         struct herd_err *e)
{
    struct herd_groute_idx set;
    herd_groute_idx_init(&set);
    uint64_t *v = NULL;
    if (add_all(&set, gp->out.src, gp->out.n) != 0 || add_all(&set, gp->in.dst, gp->in.n) != 0 ||
        add_all(&set, gp->ids, gp->nids) != 0 || add_keys(&set, &gp->srcs) != 0 ||
        (v = malloc((set.n ? set.n : 1) * sizeof *v)) == NULL) {
        herd_groute_idx_fini(&set);
        return herd_err_set(e, HERD_ENOMEM, "routed load: the vertex ids of a partition");
    }
    size_t k = 0, i = 0;
    uint64_t id;
    uint32_t unused;
    while (herd_groute_idx_next(&set, &i, &id, &unused))
        v[k++] = id;
    herd_groute_idx_fini(&set);
    herd_idmap_sort(v, k, NULL);
    if (k == 0) {
        free(v);
        v = NULL;
    }
    *ids = v;
    *n = k;
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
    uint32_t at;
    if (!herd_idmap_bisect(ids, n, x, &at))
        return HERD_ENOTFOUND;
    *v = base + at;
    return HERD_OK;
}
