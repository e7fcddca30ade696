/* libFuzzer target: the Graphalytics loader, from memory. The first byte
 * picks options (directed, weighted, in-rows, simplify); the rest is the .e
 * text, optionally followed by the marker "\n%%V%%\n" and the .v text. Any
 * input must give a graph or an error, never a crash, and every endpoint
 * must be a vertex. Seeds: tests/fuzz/corpus/fuzz_load_graphalytics/. */
#include "graph/graph.h"
#include "graph/load.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char marker[] = "\n%%V%%\n";
    if (size < 1)
        return 0;
    struct herd_graph_opts o = {.directed = data[0] & 1, .weighted = data[0] >> 1 & 1,
                                .need_out = 1, .need_in = data[0] >> 2 & 1,
                                .simplify = data[0] >> 3 & 1, .threads = 1};
    const uint8_t *e_text = data + 1, *v_text = NULL;
    size_t e_len = size - 1, v_len = 0;
    const uint8_t *m = memmem(e_text, e_len, marker, sizeof marker - 1);
    if (m) {
        v_text = m + sizeof marker - 1;
        v_len = (size_t)(data + size - v_text);
        e_len = (size_t)(m - e_text);
    }
    struct herd_graph *g = NULL;
    struct herd_err e;
    if (herd_graph_load_mem_pair("fuzz.e", e_text, e_len, "fuzz.v", v_text, v_len, &o, &g, &e) !=
        HERD_OK)
        return 0;
    for (uint32_t v = 0; v < g->n; v++)
        for (uint64_t j = g->out_off[v]; j < g->out_off[v + 1]; j++)
            if (g->out_dst[j] >= g->n)
                abort();
    herd_graph_destroy(g);
    return 0;
}
