/* Placeholder until the range scanner lands: every entry point reports
 * HERD_EUNSUPPORTED, so callers can link against the contract. */
#include "graph/load_range.h"

int herd_graph_scan_range(const char *path, const struct herd_graph_opts *o, uint64_t start,
                          uint64_t end, const struct herd_scan_cb *cb, void *arg,
                          struct herd_err *e)
{
    (void)o, (void)start, (void)end, (void)cb, (void)arg;
    return herd_err_set(e, HERD_EUNSUPPORTED, "%s: range scan not built yet", path);
}

int herd_graph_scan_vertices_range(const char *vpath, const struct herd_graph_opts *o,
                                   uint64_t start, uint64_t end, const struct herd_scan_cb *cb,
                                   void *arg, struct herd_err *e)
{
    return herd_graph_scan_range(vpath, o, start, end, cb, arg, e);
}

int herd_graph_splittable(const char *path, const struct herd_graph_opts *o, uint64_t *size,
                          struct herd_err *e)
{
    (void)o, (void)size;
    herd_err_set(e, HERD_EUNSUPPORTED, "%s: range scan not built yet", path);
    return -1;
}

int herd_graph_scan_finish(const char *path, const struct herd_graph_opts *o, uint64_t nedges,
                           uint64_t nvertices, struct herd_err *e)
{
    (void)o, (void)nedges, (void)nvertices;
    return herd_err_set(e, HERD_EUNSUPPORTED, "%s: range scan not built yet", path);
}
