/* textout — writing graphs as SNAP-style text edge lists ("src<TAB>dst[<TAB>w]"
 * lines, input ids, '#' header comments), for `herd convert` and
 * `herd generate`. Internal to src/graph and the CLI; any thread. */
#ifndef HERD_GRAPH_TEXTOUT_H
#define HERD_GRAPH_TEXTOUT_H

#include "base/err.h"
#include "graph/graph.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes v in decimal at p (no NUL); returns the number of characters (<= 20). */
size_t herd_textout_u64(char *p, uint64_t v);

/* Writes the graph's out-rows as text to `path` ("-" = stdout); undirected
 * graphs list each edge once (u <= v, and half the self-loop arcs). Weights
 * are written with 17 significant digits so they read back exactly.
 * `header` (may be NULL) is written first, each line prefixed "# ".
 * HERD_OK, HERD_EINVAL (no out-rows), HERD_EIO ("PATH: reason"). */
int herd_textout_graph(const struct herd_graph *g, const char *path, const char *header,
                       struct herd_err *e);

#endif
