/* partition — how a graph's dense ids are split into P partitions: P
 * contiguous ranges with about equal (vertices + arcs) each, computed from
 * one row-offset array (the out-rows' when the graph keeps them or is
 * undirected, else the in-rows'). The one-process engine (graph/engine.c),
 * the partial .hgr reader (graph/binfmt.h) and the worker (worker/gpart.c)
 * all split with these functions, so every process of a distributed job
 * and the one-process engine with the same P agree on the bounds without
 * talking to each other.
 *
 * Pure functions; any thread. */
#ifndef HERD_GRAPH_PARTITION_H
#define HERD_GRAPH_PARTITION_H

#include "graph/graph.h"

#include <stdint.h>

/* Writes nparts+1 partition starts into bounds (bounds[0] = 0,
 * bounds[nparts] = n, non-decreasing). `off` holds n+1 row offsets of a
 * WHOLE graph (ascending, off[0] = 0) or is NULL (split by vertices only).
 * Precondition: nparts >= 1. */
void herd_partition_bounds(const uint64_t *off, uint32_t n, uint32_t nparts, uint32_t *bounds);

/* Which rows the split of a graph loaded with these options is computed
 * from: 1 the out-rows (the graph keeps them, or is undirected), 0 the
 * in-rows (a directed graph loaded with its in-rows only: the pull path).
 * `o` must be normalised (need_out or need_in set). */
int herd_partition_by_out(const struct herd_graph_opts *o);

/* The split of a whole graph g, as the one-process engine makes it.
 * Precondition: g is not partial (graph.h), nparts >= 1. */
void herd_partition_bounds_of(const struct herd_graph *g, uint32_t nparts, uint32_t *bounds);

/* Partition of dense vertex v under bounds (nparts+1 starts): the largest
 * q with bounds[q] <= v. */
uint32_t herd_partition_of(const uint32_t *bounds, uint32_t nparts, uint32_t v);

#endif
