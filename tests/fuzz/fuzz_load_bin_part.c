/* libFuzzer target: the partial .hgr reader (herd_binfmt_read_part). The
 * first byte picks options (bit 0 directed, bit 1 weighted, bit 2 in-rows,
 * bit 3 in-rows only: the pull path's load) and the second the owned
 * partitions (one bit each of 8); the rest is the file, handed over as a
 * memfd. Any input must give a graph or an error, never a crash, and a
 * graph must be well-formed: entries in range, arrays that hold exactly the
 * owned rows. Seeds: the corpus of fuzz_load_bin (shifted by one byte). */
#include "graph/binfmt.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NP 8

static void check_rows(const struct herd_graph *g, const uint64_t *off, const uint32_t *adj,
                       const uint32_t *b, uint8_t owned)
{
    if (off[0] != 0)
        abort();
    for (uint32_t p = 0; p < NP; p++)
        for (uint32_t v = b[p]; v < b[p + 1]; v++) {
            if (off[v + 1] < off[v] || (!(owned >> p & 1) && off[v + 1] != off[v]))
                abort();
            for (uint64_t j = off[v]; j < off[v + 1]; j++)
                if (adj[j] >= g->n)
                    abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct herd_graph_opts o = {.format = HERD_FMT_BIN, .directed = data[0] & 1,
                                .weighted = data[0] >> 1 & 1, .need_out = 1,
                                .need_in = data[0] >> 2 & 1, .threads = 1};
    if (o.need_in && (data[0] >> 3 & 1))
        o.need_out = 0;
    uint8_t owned[NP];
    for (int p = 0; p < NP; p++)
        owned[p] = data[1] >> p & 1;
    int fd = memfd_create("fuzz-hgr", 0);
    if (fd < 0 || write(fd, data + 2, size - 2) != (ssize_t)(size - 2))
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct herd_graph *g = NULL;
    struct herd_err e;
    uint32_t b[NP + 1];
    if (herd_binfmt_read_part(path, &o, NP, owned, b, &g, &e) == HERD_OK) {
        if (b[0] != 0 || b[NP] != g->n || !g->partial)
            abort();
        if (g->out_off)
            check_rows(g, g->out_off, g->out_dst, b, data[1]);
        if (g->in_off)
            check_rows(g, g->in_off, g->in_src, b, data[1]);
        herd_graph_destroy(g);
    }
    close(fd);
    return 0;
}
