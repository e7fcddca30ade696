/* libFuzzer target: the loader for herd binary graphs (.hgr), from memory.
 * The first byte picks options (directed, weighted, in-rows, simplify, and
 * bit 4: in-rows without out-rows, as PageRank loads); the rest is the file. Any input must give a graph or an error, never a crash,
 * and a graph must be well-formed. Seeds: tests/fuzz/corpus/fuzz_load_bin/. */
#include "graph/graph.h"
#include "graph/load.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rows(uint32_t n, uint64_t m, const uint64_t *off, const uint32_t *adj)
{
    for (uint32_t v = 0; v < n; v++)
        for (uint64_t j = off[v]; j < off[v + 1]; j++)
            if (adj[j] >= n)
                abort();
    if (off[n] != m)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct herd_graph_opts o = {.format = HERD_FMT_BIN, .directed = data[0] & 1,
                                .weighted = data[0] >> 1 & 1, .need_out = 1,
                                .need_in = data[0] >> 2 & 1, .simplify = data[0] >> 3 & 1,
                                .threads = 1};
    if (o.need_in && (data[0] >> 4 & 1))
        o.need_out = 0; /* the pull path's load: in-rows and out-degrees only */
    struct herd_graph *g = NULL;
    struct herd_err e;
    if (herd_graph_load_mem("fuzz.hgr", data + 1, size - 1, &o, &g, &e) != HERD_OK)
        return 0;
    if (g->out_off)
        check_rows(g->n, g->m, g->out_off, g->out_dst);
    if (g->in_off)
        check_rows(g->n, g->m, g->in_off, g->in_src);
    if (g->out_deg) {
        uint64_t sum = 0;
        for (uint32_t v = 0; v < g->n; v++)
            sum += g->out_deg[v];
        if (sum != g->m)
            abort();
    }
    herd_graph_destroy(g);
    return 0;
}
