/* elist — an edge list held in blocks, as the loaders produce it, and the
 * step that turns it into a `struct herd_graph` (id mapping, then CSR).
 *
 * Internal to src/graph. Each loader thread fills its own block, so blocks
 * never need one big reallocation; a block stores 32-bit endpoints while the
 * ids fit (8 bytes per edge) and 64-bit ones otherwise. herd_elist_build()
 * consumes the list block by block so the whole-process peak stays near 12
 * bytes per arc (see docs/graph-formats.md, "Memory"). */
#ifndef HERD_GRAPH_ELIST_H
#define HERD_GRAPH_ELIST_H

#include "graph/graph.h"
#include "graph/idmap.h"

#include <stddef.h>
#include <stdint.h>

struct herd_eblock {
    uint64_t n;          /* edges */
    uint32_t *s32, *d32; /* endpoints when all fit in 32 bits (or are dense ids) */
    uint64_t *s64, *d64; /* endpoints otherwise */
    double *w;           /* n weights, or NULL (weight 1.0) */
    int ids_borrowed;    /* s64/d64 belong to the caller: never written or freed */
    int w_borrowed;      /* w belongs to the caller */
};

struct herd_elist {
    struct herd_eblock *blk;
    size_t nblk, cap;
    uint64_t m;   /* edges in all blocks */
    int dense;    /* endpoints are already dense ids of a given map */
};

void herd_elist_init(struct herd_elist *el);

/* Frees every block the list owns. */
void herd_elist_fini(struct herd_elist *el);

/* Appends a block (copied by value; the list owns its non-borrowed arrays).
 * Empty blocks are freed at once. */
void herd_elist_add(struct herd_elist *el, const struct herd_eblock *b);

/* Frees the arrays of one block that the list owns. */
void herd_eblock_free(struct herd_eblock *b);

/* Builds the graph. `map` gives the vertex set and must be given when
 * el->dense (ids then index it); when NULL the vertex set is every endpoint
 * plus `extra` (nextra ids, may be NULL). Consumes `el` (left empty) and
 * takes the map's id array. Returns HERD_OK and *out, HERD_ENOMEM, or
 * HERD_EINVAL (more than 2^32-1 vertices, or an endpoint missing from
 * `map`). Options as in graph.h (need_out/need_in both 0 means need_out). */
int herd_elist_build(struct herd_elist *el, struct herd_idmap *map, const uint64_t *extra,
                     uint64_t nextra, const struct herd_graph_opts *o, struct herd_graph **out,
                     struct herd_err *e);

#endif
