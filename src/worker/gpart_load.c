/* gpart_load — the graph a worker holds for a job: its share of a .hgr
 * file (the rows of the partitions it owns, graph/binfmt.h partial read)
 * or, where a partial read does not apply (text inputs, compressed files,
 * --simplify, a program that reads other vertices' arcs, a hash-partitioned
 * job), the whole graph; plus the partition bounds, which are the same on
 * every worker because they come from the whole graph's offsets (range) or
 * from the hash of every input id (hash: the graph is renumbered
 * partition-major, graph/renumber.h). Kept between epochs and jobs
 * while path, options, file stamp and partition count agree and the kept
 * rows cover the partitions asked for; otherwise loaded again. Graph thread
 * only. */
#include "worker/gpart_int.h"

#include "base/log.h"
#include "base/mem.h"
#include "graph/binfmt.h"
#include "graph/load.h"
#include "graph/partition.h"
#include "graph/renumber.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void file_stamp(const char *path, int64_t *mtime_ns, int64_t *size)
{
    struct stat st;
    *mtime_ns = *size = -1;
    if (stat(path, &st) == 0) {
        *mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        *size = (int64_t)st.st_size;
    }
}

/* The cached graph serves when path, options and the file's stamp agree. */
static int same_graph(const struct gcache *c, const char *path, const struct herd_graph_opts *o)
{
    int64_t mt, sz;
    file_stamp(path, &mt, &sz);
    return c->g && strcmp(c->path, path) == 0 && c->mtime_ns == mt && c->size == sz &&
           c->opts.format == o->format &&
           c->opts.directed == o->directed && c->opts.simplify == o->simplify &&
           c->opts.weighted == o->weighted && c->opts.need_out == o->need_out &&
           c->opts.need_in == o->need_in;
}

/* A whole graph serves any partition set (the bounds are recomputed for a
 * new count); a partial one the partitions it loaded, unless the program
 * reads other vertices' rows (`whole`). */
static int covers(struct gcache *c, uint32_t nparts, const uint8_t *owned, int whole, int hash)
{
    if (c->hashed != hash || (hash && c->nparts != nparts))
        return 0; /* renumbered for another split: load again */
    if (c->owned == NULL) {
        if (c->nparts != nparts) {
            free(c->bounds);
            c->bounds = herd_xmalloc(((size_t)nparts + 1) * sizeof *c->bounds);
            herd_partition_bounds_of(c->g, nparts, c->bounds);
            c->nparts = nparts;
        }
        return 1;
    }
    if (c->nparts != nparts || whole)
        return 0;
    for (uint32_t p = 0; p < nparts; p++)
        if (owned[p] && !c->owned[p])
            return 0;
    return 1;
}

void herd_gpart__cache_drop(struct gcache *c)
{
    herd_graph_destroy(c->g);
    free(c->path);
    free(c->bounds);
    free(c->owned);
    memset(c, 0, sizeof *c);
}

int herd_gpart__lookup(const struct gcache *c, uint64_t x, uint32_t *v)
{
    return c->hashed ? herd_renumber_lookup(c->g, c->nparts, c->bounds, x, v)
                     : herd_graph_lookup(c->g, x, v);
}

/* Hash partitioning: the whole graph, renumbered partition-major. */
static int load_hashed(struct gcache *c, const char *path, const struct herd_graph_opts *o,
                       uint32_t nparts, struct herd_err *e)
{
    int rc = herd_graph_load(path, o, &c->g, e);
    rc = rc ? rc : herd_renumber_hash(c->g, nparts, c->bounds, e);
    if (rc != HERD_OK)
        return rc;
    c->hashed = 1;
    herd_info("gpart", "%s: loaded the whole graph (%" PRIu64 " arcs), hash-partitioned", path,
              c->g->m);
    return HERD_OK;
}

/* Partial when the input and the program allow it, else whole; hash
 * partitioning loads whole and renumbers. */
static int load(struct gcache *c, const char *path, const struct herd_graph_opts *o,
                const struct herd_vertex_program *prog, uint32_t nparts, const uint8_t *owned,
                int hash, struct herd_err *e)
{
    c->bounds = herd_xmalloc(((size_t)nparts + 1) * sizeof *c->bounds);
    c->nparts = nparts;
    if (hash)
        return load_hashed(c, path, o, nparts, e);
    int rc = HERD_EUNSUPPORTED;
    if (!(prog->flags & HERD_VP_GLOBAL_READ) &&
        (o->format == HERD_FMT_AUTO || o->format == HERD_FMT_BIN))
        rc = herd_binfmt_read_part(path, o, nparts, owned, c->bounds, &c->g, e);
    if (rc == HERD_OK) {
        c->owned = herd_xmalloc(nparts);
        memcpy(c->owned, owned, nparts);
        herd_info("gpart", "%s: loaded the rows of my partitions: %" PRIu64 " of %" PRIu64
                  " arcs", path, c->g->m, c->g->m_whole);
        return HERD_OK;
    }
    if (rc != HERD_EUNSUPPORTED)
        return rc;
    rc = herd_graph_load(path, o, &c->g, e);
    if (rc != HERD_OK)
        return rc;
    herd_partition_bounds_of(c->g, nparts, c->bounds);
    herd_info("gpart", "%s: loaded the whole graph (%" PRIu64 " arcs)", path, c->g->m);
    return HERD_OK;
}

int herd_gpart__routes(const struct herd_gsetup *s)
{
    enum herd_graph_format f = s->format != HERD_FMT_AUTO ? (enum herd_graph_format)s->format
                                                          : herd_graph_format_by_name(s->graph);
    return herd_partitioning_resolve(s->partitioning) == HERD_PARTITIONING_HASH &&
           s->nworkers > 1 && s->npeers == s->nworkers && f != HERD_FMT_BIN;
}

int herd_gpart__graph(struct herd_gpart *g, const struct gjobrun *r, const struct herd_gsetup *s,
                      struct herd_err *e)
{
    struct herd_graph_opts o = {.format = s->format, .directed = s->directed,
                                .simplify = s->simplify, .threads = (int)r->threads};
    struct herd_engine_opts eo = {
        .no_fast_path = s->no_fast_path || !herd_engine_dist_pull_capable(r->prog)};
    herd_engine_needs(r->prog, s->directed, &eo, &o.need_out, &o.need_in, &o.weighted);
    if (!o.need_out && !o.need_in)
        o.need_out = 1;
    uint8_t *owned = herd_xcalloc(s->nparts ? s->nparts : 1, 1);
    for (uint32_t p = 0; p < s->nparts; p++)
        owned[p] = s->owner[p] == s->me;
    int rc = HERD_OK;
    int hash = herd_partitioning_resolve(s->partitioning) == HERD_PARTITIONING_HASH;
    if (!same_graph(&g->cache, s->graph, &o) ||
        !covers(&g->cache, s->nparts, owned, (r->prog->flags & HERD_VP_GLOBAL_READ) != 0, hash)) {
        herd_gpart__cache_drop(&g->cache);
        rc = load(&g->cache, s->graph, &o, r->prog, s->nparts, owned, hash, e);
        if (rc == HERD_OK) {
            g->cache.path = herd_xstrdup(s->graph);
            g->cache.opts = o;
            file_stamp(s->graph, &g->cache.mtime_ns, &g->cache.size);
        } else {
            herd_gpart__cache_drop(&g->cache);
        }
    }
    free(owned);
    return rc;
}
