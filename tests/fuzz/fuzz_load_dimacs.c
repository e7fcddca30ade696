/* libFuzzer target: the loader for DIMACS files (p sp / p tw / p edge), from memory.
 * The first byte picks options (directed, weighted, in-rows, simplify); the
 * rest is the file. Any input must give a graph or an error, never a crash,
 * and a graph must be well-formed. Seeds: tests/fuzz/corpus/fuzz_load_dimacs/. */
#include "graph/graph.h"
#include "graph/load.h"

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Whether some 'p' line declares more than 2^20 vertices: a valid graph of
 * that many isolated vertices needs more memory than the fuzzer allows. */
static int huge_p_line(const uint8_t *d, size_t n) /* d[0] is the options byte */
{
    for (size_t i = 0; i < n; i++) {
        if (d[i] != 'p' || (i > 1 && d[i - 1] != '\n' && d[i - 1] != ' ' && d[i - 1] != '\t'))
            continue;
        char line[128];
        size_t k = 0;
        while (i + k < n && k + 1 < sizeof line && d[i + k] != '\n')
            line[k] = (char)d[i + k], k++;
        line[k] = '\0';
        char kind[16];
        unsigned long long vn;
        if (sscanf(line, "p %15s %llu", kind, &vn) == 2 && vn > (1u << 20))
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || huge_p_line(data, size))
        return 0;
    struct herd_graph_opts o = {.format = HERD_FMT_DIMACS, .directed = data[0] & 1,
                                .weighted = data[0] >> 1 & 1, .need_out = 1,
                                .need_in = data[0] >> 2 & 1, .simplify = data[0] >> 3 & 1,
                                .threads = 1};
    struct herd_graph *g = NULL;
    struct herd_err e;
    if (herd_graph_load_mem("fuzz.gr", data + 1, size - 1, &o, &g, &e) != HERD_OK)
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
