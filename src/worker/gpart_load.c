/* gpart_load — the graph a worker holds for a job:
 *  - a text input of a hash-partitioned job with several workers (routed,
 *    herd_gpart__routes): its share only, read from byte range i of the
 *    file and routed between the workers over the data plane
 *    (worker/groute_load.h); every routed job and epoch re-runs the round
 *    among its live workers, so it is never reused for one — but its rows
 *    equal the hash-renumbered whole graph's, so a later non-routed hash
 *    job with the same partitions may use it like any kept graph;
 *  - a .hgr file: its share (the rows of the partitions it owns,
 *    graph/binfmt.h partial read);
 *  - otherwise (compressed text, a program that reads other vertices' arcs,
 *    one worker, a range-partitioned text input) the whole graph, renumbered
 *    partition-major under hash partitioning (graph/renumber.h).
 * Plus the partition bounds, the same on every worker: from the whole
 * graph's offsets (range) or the hash of every input id (hash). A non-routed
 * graph is kept between epochs and jobs while path, options, file stamp and
 * partition count agree and the kept rows cover the partitions asked for;
 * otherwise loaded again. Graph thread only. */
#include "worker/gpart_int.h"

#include "base/log.h"
#include "base/mem.h"
#include "graph/binfmt.h"
#include "graph/load.h"
#include "graph/partition.h"
#include "graph/renumber.h"
#include "worker/groute_load.h"

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

/* The job's partitioning is hash (asked, or the default for text). */
static int job_hash(const struct herd_gsetup *s)
{
    return herd_partitioning_resolve(s->partitioning, 1, s->graph, s->format) ==
           HERD_PARTITIONING_HASH;
}

int herd_gpart__routes(const struct herd_gsetup *s)
{
    enum herd_graph_format f = s->format != HERD_FMT_AUTO ? (enum herd_graph_format)s->format
                                                          : herd_graph_format_by_name(s->graph);
    return job_hash(s) && s->nworkers > 1 && s->npeers == s->nworkers && f != HERD_FMT_BIN;
}

/* The loader's options for the job's program. */
static void job_opts(const struct gjobrun *r, const struct herd_gsetup *s,
                     struct herd_graph_opts *o)
{
    *o = (struct herd_graph_opts){.format = s->format, .directed = s->directed,
                                  .simplify = s->simplify, .threads = (int)r->threads};
    struct herd_engine_opts eo = {
        .no_fast_path = s->no_fast_path || !herd_engine_dist_pull_capable(r->prog)};
    herd_engine_needs(r->prog, s->directed, &eo, &o->need_out, &o->need_in, &o->weighted);
    if (!o->need_out && !o->need_in)
        o->need_out = 1;
}

static struct herd_groute_job route_job(const struct herd_gsetup *s,
                                        const struct herd_graph_opts *o)
{
    return (struct herd_groute_job){.path = s->graph, .o = *o, .me = s->me,
                                    .nworkers = s->nworkers, .nparts = s->nparts,
                                    .owner = s->owner};
}

int herd_gpart__route_begin(struct gjobrun *r, const struct herd_gsetup *s, struct herd_err *e)
{
    struct herd_graph_opts o;
    job_opts(r, s, &o);
    struct herd_groute_job j = route_job(s, &o);
    int rc = herd_groute_load_rx(&j, &r->route, e);
    if (rc == HERD_OK)
        herd_dp_set_route(r->dp, r->route);
    return rc;
}

/* 1: the job's input is routed (the program reads only its own rows and
 * the files are plain text); 0: loaded as before; -1 with *e. */
static int routed(const struct gjobrun *r, const struct herd_gsetup *s,
                  const struct herd_graph_opts *o, struct herd_err *e)
{
    if (r->route == NULL || !r->connected || (r->prog->flags & HERD_VP_GLOBAL_READ))
        return 0;
    struct herd_groute_job j = route_job(s, o);
    return herd_groute_load_splittable(&j, e);
}

static int load_routed(struct gcache *c, const struct gjobrun *r, const struct herd_gsetup *s,
                       const struct herd_graph_opts *o, const uint8_t *owned,
                       struct herd_err *e)
{
    struct herd_groute_job j = route_job(s, o);
    c->bounds = herd_xmalloc(((size_t)s->nparts + 1) * sizeof *c->bounds);
    c->nparts = s->nparts;
    int rc = herd_groute_load_run(r->dp, r->route, &j, &c->g, c->bounds, e);
    if (rc != HERD_OK)
        return rc;
    c->hashed = 1;
    c->owned = herd_xmalloc(s->nparts ? s->nparts : 1);
    memcpy(c->owned, owned, s->nparts);
    herd_info("gpart", "%s: loaded the rows of my partitions by routing: %" PRIu64 " of %" PRIu64
              " arcs", s->graph, c->g->m, c->g->m_whole);
    return HERD_OK;
}

int herd_gpart__graph(struct herd_gpart *g, const struct gjobrun *r, const struct herd_gsetup *s,
                      struct herd_err *e)
{
    struct herd_graph_opts o;
    job_opts(r, s, &o);
    uint8_t *owned = herd_xcalloc(s->nparts ? s->nparts : 1, 1);
    for (uint32_t p = 0; p < s->nparts; p++)
        owned[p] = s->owner[p] == s->me;
    int hash = job_hash(s);
    int route = routed(r, s, &o, e), fresh = 1, rc;
    if (route < 0) {
        rc = e->code;
    } else if (route == 1) {
        herd_gpart__cache_drop(&g->cache); /* a routed graph is never reused */
        rc = load_routed(&g->cache, r, s, &o, owned, e);
    } else if (!same_graph(&g->cache, s->graph, &o) ||
               !covers(&g->cache, s->nparts, owned,
                       (r->prog->flags & HERD_VP_GLOBAL_READ) != 0, hash)) {
        herd_gpart__cache_drop(&g->cache);
        rc = load(&g->cache, s->graph, &o, r->prog, s->nparts, owned, hash, e);
    } else {
        rc = HERD_OK;
        fresh = 0; /* kept from an earlier epoch or job */
    }
    if (rc == HERD_OK && fresh) {
        g->cache.path = herd_xstrdup(s->graph);
        g->cache.opts = o;
        file_stamp(s->graph, &g->cache.mtime_ns, &g->cache.size);
    } else if (rc != HERD_OK) {
        herd_gpart__cache_drop(&g->cache);
    }
    free(owned);
    return rc;
}
