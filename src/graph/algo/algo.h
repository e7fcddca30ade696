/* algo — the built-in graph algorithms, each a vertex program written
 * against include/herd/vertex.h exactly as a plugin would be, and the one
 * table that names them (used by `herd run` and its --help). */
#ifndef HERD_GRAPH_ALGO_ALGO_H
#define HERD_GRAPH_ALGO_ALGO_H

#include "herd/vertex.h"

#include <stddef.h>

struct herd_algo {
    const char *name;
    const char *help;     /* one line */
    const char *defaults; /* the options it reads and their defaults */
    const struct herd_vertex_program *(*program)(void);
};

/* The table, in display order; *n gets its length. */
const struct herd_algo *herd_algo_list(size_t *n);
/* The algorithm called `name`, or NULL. */
const struct herd_algo *herd_algo_find(const char *name);

const struct herd_vertex_program *herd_algo_bfs(void);
const struct herd_vertex_program *herd_algo_pagerank(void);
const struct herd_vertex_program *herd_algo_wcc(void);
const struct herd_vertex_program *herd_algo_cdlp(void);
const struct herd_vertex_program *herd_algo_lcc(void);
const struct herd_vertex_program *herd_algo_sssp(void);
const struct herd_vertex_program *herd_algo_coloring(void);

#endif
