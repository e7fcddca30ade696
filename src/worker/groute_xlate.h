/* groute_xlate — step 4 of a routed load (docs/distributed.md "Loading"):
 * the dense ids of the endpoints of this worker's rows that live in other
 * workers' partitions, asked of their owners. For every partition q that
 * is not mine it sends one ASK (the distinct input ids of q that my rows
 * reference: targets of out-rows, sources of in-rows; possibly none) and,
 * meanwhile, answers every peer's ASKs about my partitions from my
 * numbering (groute_num.h), until every ANSWER is in.
 *
 * Afterwards every id my rows name (my partitions' vertices and the
 * answered remote endpoints) is in one hash index (groute_idx.h), so a
 * lookup is O(1).
 *
 * The loading thread, after the counts are gathered (the bases known) and
 * with the session's receiver (herd_dp_set_route) the same rx. */
#ifndef HERD_WORKER_GROUTE_XLATE_H
#define HERD_WORKER_GROUTE_XLATE_H

#include "base/err.h"
#include "worker/dataplane.h"
#include "worker/groute_rx.h"

#include <stddef.h>
#include <stdint.h>

/* My numbering: for each partition p I own, its sorted distinct ids[p]
 * (n[p] of them); base[0..nparts] for all. Borrowed. */
struct herd_groute_numbering {
    uint32_t nparts, me;
    const uint32_t *owner;
    uint64_t *const *ids;
    const size_t *n;
    const uint32_t *base;
};

struct herd_groute_xlate;

/* Runs the exchange. HERD_OK and *out; HERD_ECLOSED (a peer lost),
 * HERD_ENOMEM, or HERD_EPROTO (a peer asked for an id that is not in my
 * partition: a routing bug). */
int herd_groute_xlate_run(struct herd_dp_session *s, struct herd_groute_rx *rx,
                          const struct herd_groute_numbering *num,
                          struct herd_groute_xlate **out, struct herd_err *e);
/* Dense id of input id x: from my numbering when its partition is mine,
 * else from the answers. HERD_OK and *v, or HERD_ENOTFOUND (an id my rows
 * do not reference, or not a vertex). */
int herd_groute_xlate_dense(const struct herd_groute_xlate *x, uint64_t id, uint32_t *v);
void herd_groute_xlate_destroy(struct herd_groute_xlate *x);

#endif
