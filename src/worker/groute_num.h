/* groute_num — step 3 of a routed load (docs/distributed.md "Loading"):
 * the dense numbering of hash partitioning, computed from what was routed
 * to each owned partition, so that it equals herd_renumber_hash()'s on the
 * whole graph: dense id = base[p] + rank of the input id among partition
 * p's ids (ascending), base the prefix sum of the partition sizes in
 * partition order.
 *
 * Pure functions on caller-owned data; any thread. */
#ifndef HERD_WORKER_GROUTE_NUM_H
#define HERD_WORKER_GROUTE_NUM_H

#include "base/err.h"
#include "worker/groute_rx.h"

#include <stddef.h>
#include <stdint.h>

/* The vertex ids of one owned partition, ascending and distinct: the
 * sources of its out-row records, the targets of its in-row records, its
 * routed ids and its counted sources (SRCS). HERD_OK and *ids (malloc'd; NULL when *n is 0) and *n,
 * or HERD_ENOMEM. */
int herd_groute_part_ids(const struct herd_groute_part *gp, uint64_t **ids, size_t *n,
                         struct herd_err *e);

/* base[0..nparts] from the partition sizes (every worker's, gathered):
 * base[0] = 0, base[p+1] = base[p] + counts[p]. HERD_OK, or HERD_EINVAL
 * when the total exceeds the 32-bit dense ids (UINT32_MAX vertices). */
int herd_groute_bases(const uint64_t *counts, uint32_t nparts, uint32_t *base,
                      struct herd_err *e);

/* Dense id of input id x of a partition whose sorted ids are ids[0..n)
 * and whose base is `base`: HERD_OK and *v, or HERD_ENOTFOUND. */
int herd_groute_dense(const uint64_t *ids, size_t n, uint32_t base, uint64_t x, uint32_t *v);

#endif
