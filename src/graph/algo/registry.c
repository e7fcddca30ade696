/* registry — the table of built-in algorithms. */
#include "graph/algo/algo.h"

#include <string.h>

static const struct herd_algo algos[] = {
    {"bfs", "breadth-first search: hops from --source (unreachable 9223372036854775807)",
     "--source required", herd_algo_bfs},
    {"pagerank", "PageRank, LDBC definition: dangling mass spread over all N vertices",
     "--iterations 20 --damping 0.85", herd_algo_pagerank},
    {"wcc", "weakly connected components: label = smallest input id in the component", "",
     herd_algo_wcc},
    {"cdlp", "community detection by synchronous label propagation (ties: smallest label)",
     "--iterations 10", herd_algo_cdlp},
    {"lcc", "local clustering coefficient over in- and out-neighbours (0 for degree < 2)", "",
     herd_algo_lcc},
    {"sssp", "single-source shortest paths over arc weights (unreachable: infinity)",
     "--source required; missing weights are 1", herd_algo_sssp},
    {"coloring", "Jones-Plassmann graph colouring with seeded random priorities",
     "--seed 1", herd_algo_coloring},
};

const struct herd_algo *herd_algo_list(size_t *n)
{
    *n = sizeof algos / sizeof algos[0];
    return algos;
}

const struct herd_algo *herd_algo_find(const char *name)
{
    for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++)
        if (strcmp(algos[i].name, name) == 0)
            return &algos[i];
    return NULL;
}
