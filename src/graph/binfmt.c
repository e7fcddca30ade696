#include "graph/binfmt.h"

#include <string.h>

static const uint8_t magic[8] = {0x89, 'H', 'G', 'R', '\r', '\n', 0x1a, '\n'};

int herd_binfmt_is(const uint8_t *head, size_t n)
{
    return n >= sizeof magic && memcmp(head, magic, sizeof magic) == 0;
}

int herd_binfmt_read(const char *name, struct herd_zread *z, const struct herd_graph_opts *o,
                     struct herd_graph **out, struct herd_err *e)
{
    (void)z;
    (void)o;
    (void)out;
    return herd_err_set(e, HERD_EUNSUPPORTED, "%s: binary format not built yet", name);
}

int herd_binfmt_write(const struct herd_graph *g, const char *path, struct herd_err *e)
{
    (void)g;
    return herd_err_set(e, HERD_EUNSUPPORTED, "%s: binary format not built yet", path);
}
