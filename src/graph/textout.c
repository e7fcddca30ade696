#include "graph/textout.h"

#include "base/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t herd_textout_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < k; i++)
        p[i] = tmp[k - 1 - i];
    return k;
}

static void write_header(FILE *f, const char *header)
{
    const char *p = header;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(f, "# %.*s\n", (int)n, p);
        p += n + (nl != NULL);
    }
}

/* Whether arc j (u -> x) is the one written for its undirected edge. */
static int undirected_keep(const struct herd_graph *g, uint32_t u, uint64_t j)
{
    uint32_t x = g->out_dst[j];
    if (x != u)
        return u < x;
    /* a self-loop is two consecutive arcs u -> u: keep every other one */
    uint64_t first = j;
    while (first > g->out_off[u] && g->out_dst[first - 1] == u)
        first--;
    return (j - first) % 2 == 0;
}

static void write_rows(FILE *f, const struct herd_graph *g)
{
    char line[96];
    for (uint32_t u = 0; u < g->n; u++) {
        for (uint64_t j = g->out_off[u]; j < g->out_off[u + 1]; j++) {
            if (!g->directed && !undirected_keep(g, u, j))
                continue;
            size_t k = herd_textout_u64(line, herd_graph_id(g, u));
            line[k++] = '\t';
            k += herd_textout_u64(line + k, herd_graph_id(g, g->out_dst[j]));
            if (g->out_w)
                k += (size_t)snprintf(line + k, sizeof line - k, "\t%.17g", g->out_w[j]);
            line[k++] = '\n';
            fwrite(line, 1, k, f);
        }
    }
}

int herd_textout_graph(const struct herd_graph *g, const char *path, const char *header,
                       struct herd_err *e)
{
    if (g->out_off == NULL)
        return herd_err_set(e, HERD_EINVAL, "%s: the graph has no out-rows to write", path);
    int to_stdout = strcmp(path, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(path, "w");
    if (f == NULL)
        return herd_err_set(e, HERD_EIO, "%s: %s", path, strerror(errno));
    char *buf = to_stdout ? NULL : herd_xmalloc(1 << 20);
    if (buf)
        setvbuf(f, buf, _IOFBF, 1 << 20);
    write_header(f, header);
    write_rows(f, g);
    int bad = ferror(f) != 0;
    bad |= to_stdout ? fflush(f) != 0 : fclose(f) != 0;
    if (bad)
        herd_err_set(e, HERD_EIO, "%s: write failed: %s", path, strerror(errno));
    free(buf);
    return bad ? HERD_EIO : HERD_OK;
}
