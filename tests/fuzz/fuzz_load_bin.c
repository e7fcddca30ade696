/* libFuzzer target: the loader for herd binary graphs (.hgr), from memory.
 * The first byte picks options (directed, weighted, in-rows, simplify); the
 * rest is the file. Any input must give a graph or an error, never a crash,
 * and a graph must be well-formed. Seeds: tests/fuzz/corpus/fuzz_load_bin/. */
#include "graph/graph.h"
#include "graph/load.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct herd_graph_opts o = {.format = HERD_FMT_BIN, .directed = data[0] & 1,
                                .weighted = data[0] >> 1 & 1, .need_out = 1,
                                .need_in = data[0] >> 2 & 1, .simplify = data[0] >> 3 & 1,
                                .threads = 1};
    struct herd_graph *g = NULL;
    struct herd_err e;
    if (herd_graph_load_mem("fuzz.hgr", data + 1, size - 1, &o, &g, &e) != HERD_OK)
        return 0;
    for (uint32_t v = 0; v < g->n; v++)
        for (uint64_t j = g->out_off[v]; j < g->out_off[v + 1]; j++)
            if (g->out_dst[j] >= g->n)
                abort();
    if (g->out_off[g->n] != g->m)
        abort();
    herd_graph_destroy(g);
    return 0;
}
