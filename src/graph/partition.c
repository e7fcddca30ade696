/* partition — the dense-range split shared by the engine, the partial
 * loader and the worker (partition.h). */
#include "graph/partition.h"

void herd_partition_bounds(const uint64_t *off, uint32_t n, uint32_t nparts, uint32_t *bounds)
{
    uint64_t total = n + (off ? off[n] : 0);
    bounds[0] = 0;
    for (uint32_t k = 1; k < nparts; k++) {
        uint64_t target = total * k / nparts;
        uint32_t lo = bounds[k - 1], hi = n;
        while (lo < hi) { /* first v with v + off[v] >= target */
            uint32_t mid = lo + (hi - lo) / 2;
            if (mid + (off ? off[mid] : 0) >= target)
                hi = mid;
            else
                lo = mid + 1;
        }
        bounds[k] = lo;
    }
    bounds[nparts] = n;
}

int herd_partition_by_out(const struct herd_graph_opts *o)
{
    return o->need_out || !o->directed;
}

void herd_partition_bounds_of(const struct herd_graph *g, uint32_t nparts, uint32_t *bounds)
{
    const uint64_t *off = g->out_off ? g->out_off : g->in_off;
    herd_partition_bounds(off, g->n, nparts, bounds);
}

uint32_t herd_partition_of(const uint32_t *bounds, uint32_t nparts, uint32_t v)
{
    uint32_t lo = 0, hi = nparts;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (bounds[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
