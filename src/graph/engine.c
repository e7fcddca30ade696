/* engine — set-up, the superstep loop and the master step of the vertex
 * engine. Per superstep: every partition task runs (step.c) on the pool,
 * then this thread merges aggregates and statistics, calls the program's
 * master hook and decides whether to go on. */
#include "graph/engine_int.h"

#include "base/log.h"
#include "base/mem.h"
#include "graph/partition.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sum_f64(void *acc, const void *m)
{
    double a, b;
    memcpy(&a, acc, 8);
    memcpy(&b, m, 8);
    a += b;
    memcpy(acc, &a, 8);
}

static void min_f64(void *acc, const void *m)
{
    double a, b;
    memcpy(&a, acc, 8);
    memcpy(&b, m, 8);
    if (b < a)
        memcpy(acc, &b, 8);
}

static void min_i64(void *acc, const void *m)
{
    int64_t a, b;
    memcpy(&a, acc, 8);
    memcpy(&b, m, 8);
    if (b < a)
        memcpy(acc, &b, 8);
}

static void sum_i64(void *acc, const void *m)
{
    int64_t a, b;
    memcpy(&a, acc, 8);
    memcpy(&b, m, 8);
    a = (int64_t)((uint64_t)a + (uint64_t)b);
    memcpy(acc, &a, 8);
}

static void min_u32(void *acc, const void *m)
{
    uint32_t a, b;
    memcpy(&a, acc, 4);
    memcpy(&b, m, 4);
    if (b < a)
        memcpy(acc, &b, 4);
}

/* The combine function and the message size it needs (0 = any). */
static herd_combine_fn combiner_fn(const struct herd_vertex_program *p, uint32_t *need)
{
    *need = 8;
    switch (p->combiner) {
    case HERD_COMBINE_SUM_F64:
        return sum_f64;
    case HERD_COMBINE_MIN_F64:
        return min_f64;
    case HERD_COMBINE_MIN_I64:
        return min_i64;
    case HERD_COMBINE_SUM_I64:
        return sum_i64;
    case HERD_COMBINE_MIN_U32:
        *need = 4;
        return min_u32;
    case HERD_COMBINE_FN:
        *need = 0;
        return p->combine;
    default:
        *need = 0;
        return NULL;
    }
}

static int pull_capable(const struct herd_vertex_program *p)
{
    return (p->flags & HERD_VP_PULL) && p->msg_size == 8 &&
           (p->combiner == HERD_COMBINE_SUM_F64 || p->combiner == HERD_COMBINE_MIN_F64);
}

static enum herd_engine_path choose_path(const struct herd_vertex_program *p,
                                         const struct herd_engine_opts *o)
{
    if (o && o->no_fast_path)
        return HERD_PATH_MESSAGES;
    if (p->solve)
        return HERD_PATH_SOLVE;
    if (pull_capable(p))
        return HERD_PATH_PULL;
    return HERD_PATH_MESSAGES;
}

static void needs_for_path(const struct herd_vertex_program *p, enum herd_engine_path path,
                           int directed, int *need_out, int *need_in)
{
    int out = (p->flags & HERD_VP_OUT_EDGES) != 0;
    int in = (p->flags & HERD_VP_IN_EDGES) != 0;
    if (path == HERD_PATH_SOLVE) {
        out = 1;
        in = 0;
    } else if (path == HERD_PATH_PULL) {
        out = 0;
        in = 1;
    }
    if (!directed && (out || in)) { /* one CSR serves both */
        out = 1;
        in = 0;
    }
    *need_out = out;
    *need_in = in;
}

void herd_engine_needs(const struct herd_vertex_program *p, int directed,
                       const struct herd_engine_opts *o, int *need_out, int *need_in,
                       int *weighted)
{
    needs_for_path(p, choose_path(p, o), directed, need_out, need_in);
    *weighted = (p->flags & HERD_VP_WEIGHTS) != 0;
}

static int check_program(const struct herd_vertex_program *p, struct herd_err *e)
{
    uint32_t need;
    herd_combine_fn fn = combiner_fn(p, &need);
    if (p->api < 1 || p->api > HERD_VERTEX_API)
        return herd_err_set(e, HERD_EINVAL, "program API version %u, engine runs 1 to %u",
                            p->api, HERD_VERTEX_API);
    if (p->value_size == 0 || p->compute == NULL)
        return herd_err_set(e, HERD_EINVAL, "program needs value_size > 0 and compute()");
    if (p->combiner != HERD_COMBINE_NONE && fn == NULL)
        return herd_err_set(e, HERD_EINVAL, "program's combiner has no combine()");
    if (need && p->msg_size != need)
        return herd_err_set(e, HERD_EINVAL, "combiner needs msg_size %u, program has %u", need,
                            p->msg_size);
    if (p->naggs > HERD_ENGINE_MAX_AGGS || (p->naggs && p->aggs == NULL))
        return herd_err_set(e, HERD_EINVAL, "program declares %u aggregators (max %d)",
                            p->naggs, HERD_ENGINE_MAX_AGGS);
    if (p->format == NULL && p->value_type == HERD_VALUE_F64 && p->value_size < 8)
        return herd_err_set(e, HERD_EINVAL, "value_type F64 needs value_size >= 8");
    return HERD_OK;
}

static int check_graph(struct herd_engine *en, struct herd_err *e)
{
    const struct herd_vgraph *g = &en->view;
    int out, in;
    needs_for_path(en->prog, en->path, g->directed, &out, &in);
    if ((out && !g->out_off) || (in && !g->in_off))
        return herd_err_set(e, HERD_EINVAL, "%s: graph was loaded without the %s-arcs it needs",
                            en->prog->name, out && !g->out_off ? "out" : "in");
    if ((en->prog->flags & HERD_VP_SOURCE) && !en->params.has_source)
        return herd_err_set(e, HERD_EINVAL, "%s needs --source", en->prog->name);
    if (en->prog->setup) {
        char msg[256] = "";
        if (en->prog->setup(&en->params, g, msg, sizeof msg) != 0)
            return herd_err_set(e, HERD_EINVAL, "%s: %s", en->prog->name,
                                msg[0] ? msg : "bad parameters");
    }
    return HERD_OK;
}

static void view_of(struct herd_vgraph *v, const struct herd_graph *g)
{
    v->n = g->n;
    v->m = g->m;
    v->directed = g->directed;
    v->out_off = g->out_off;
    v->out_dst = g->out_dst;
    v->out_w = g->out_w;
    v->in_off = g->directed ? g->in_off : g->out_off;
    v->in_src = g->directed ? g->in_src : g->out_dst;
    v->in_w = g->directed ? g->in_w : g->out_w;
}

/* The caller's partition starts (checked), or the split of partition.h. */
static int make_bounds(struct herd_engine *en, const uint32_t *given, struct herd_err *e)
{
    if (given == NULL) {
        if (en->g->partial)
            return herd_err_set(e, HERD_EINVAL, "a partial graph needs the partition bounds");
        herd_partition_bounds_of(en->g, en->nparts, en->bounds);
        return HERD_OK;
    }
    if (given[0] != 0 || given[en->nparts] != en->view.n)
        return herd_err_set(e, HERD_EINVAL, "partition bounds do not cover %u vertices",
                            en->view.n);
    for (uint32_t k = 0; k < en->nparts; k++)
        if (given[k] > given[k + 1])
            return herd_err_set(e, HERD_EINVAL, "partition bounds decrease at %u", k + 1);
    memcpy(en->bounds, given, ((size_t)en->nparts + 1) * sizeof *en->bounds);
    return HERD_OK;
}

/* Out-degrees as an array: the loader's, from the out-CSR's offsets, or
 * counted over the in-arcs. */
static int count_outdeg(struct herd_engine *en, struct herd_err *e)
{
    const struct herd_vgraph *g = &en->view;
    en->outdeg = calloc(g->n ? g->n : 1, sizeof *en->outdeg);
    if (en->outdeg == NULL)
        return herd_err_set(e, HERD_ENOMEM, "out-degrees for %u vertices", g->n);
    if (en->g->out_deg) {
        memcpy(en->outdeg, en->g->out_deg, (size_t)g->n * sizeof *en->outdeg);
        return HERD_OK;
    }
    if (g->out_off) {
        for (uint32_t v = 0; v < g->n; v++)
            en->outdeg[v] = (uint32_t)(g->out_off[v + 1] - g->out_off[v]);
        return HERD_OK;
    }
    for (uint64_t a = 0; g->in_off && a < g->in_off[g->n]; a++)
        en->outdeg[g->in_src[a]]++;
    return HERD_OK;
}

static int alloc_state(struct herd_engine *en, struct herd_err *e)
{
    uint32_t n = en->view.n;
    size_t nn = n ? n : 1;
    en->values = malloc(nn * en->prog->value_size);
    en->halted = malloc(nn);
    if (en->values == NULL || en->halted == NULL)
        return herd_err_set(e, HERD_ENOMEM, "vertex values for %u vertices", n);
    if (en->view.out_off == NULL || en->range) {
        int rc = count_outdeg(en, e);
        if (rc != HERD_OK)
            return rc;
    }
    if (en->path == HERD_PATH_PULL) {
        for (int k = 0; k < 2; k++) {
            en->contrib[k] = malloc(nn * sizeof(double));
            en->emitted[k] = calloc(nn, 1);
            if (en->contrib[k] == NULL || en->emitted[k] == NULL)
                return herd_err_set(e, HERD_ENOMEM, "pull arrays for %u vertices", n);
        }
    }
    return HERD_OK;
}

/* Dense sender-side combining (graph/msgdense.h): one combiner per pool
 * thread on the message path with an exact integer combiner, unless the
 * slots of all threads would exceed DENSE_MAX_BYTES (then the cache of
 * herd_msgout alone combines). Pages are touched only where sends land. */
#define DENSE_MAX_BYTES ((size_t)1 << 30)

static int alloc_dense(struct herd_engine *en, struct herd_err *e)
{
    const struct herd_vertex_program *p = en->prog;
    uint32_t nt = herd_pool_size(en->pool);
    if (en->path != HERD_PATH_MESSAGES || !herd_msgdense_eligible(p->combiner, p->msg_size) ||
        (size_t)en->view.n * p->msg_size * nt > DENSE_MAX_BYTES)
        return HERD_OK;
    en->dense = herd_xcalloc(nt, sizeof *en->dense);
    en->holder = herd_xcalloc(nt, sizeof *en->holder);
    en->ndense = nt;
    for (uint32_t t = 0; t < nt; t++)
        if (herd_msgdense_init(&en->dense[t], p->combiner, p->msg_size, en->view.n) != HERD_OK)
            return herd_err_set(e, HERD_ENOMEM, "dense combining for %u vertices", en->view.n);
    return HERD_OK;
}

static int make_parts(struct herd_engine *en, const uint32_t *given, struct herd_err *e)
{
    en->bounds = herd_xcalloc(en->nparts + 1, sizeof *en->bounds);
    en->parts = aligned_alloc(64, en->nparts * sizeof *en->parts);
    if (en->parts == NULL)
        return herd_err_set(e, HERD_ENOMEM, "%u partitions", en->nparts);
    memset(en->parts, 0, en->nparts * sizeof *en->parts);
    int rc = make_bounds(en, given, e);
    if (rc != HERD_OK)
        return rc;
    int inbox = en->path == HERD_PATH_MESSAGES && en->prog->msg_size > 0;
    for (uint32_t i = 0; i < en->nparts; i++) {
        struct herd_part *pt = &en->parts[i];
        pt->idx = i;
        pt->lo = en->bounds[i];
        pt->hi = en->bounds[i + 1];
        pt->lists = herd_xcalloc(en->nparts, sizeof *pt->lists);
        if (en->range)
            pt->gathered = herd_xcalloc(HERD_RANGE_CHUNK, sizeof *pt->gathered);
        rc = herd_vctx_init(&pt->ctx, en, pt);
        if (rc == HERD_OK && inbox)
            rc = herd_inbox_init(&pt->inbox, pt->lo, pt->hi - pt->lo, en->prog->msg_size,
                                 en->comb);
        if (rc != HERD_OK)
            return herd_err_set(e, rc, "partition %u: message buffers", i);
    }
    rc = herd_exchange_local(en->nparts, &en->ex, e);
    en->have_ex = rc == HERD_OK;
    return rc;
}

int herd_engine_create(const struct herd_graph *g, const struct herd_vertex_program *prog,
                       const struct herd_vparams *params, const struct herd_engine_opts *o,
                       struct herd_engine **out, struct herd_err *e)
{
    struct herd_engine_opts dflt = {0};
    if (o == NULL)
        o = &dflt;
    int rc = check_program(prog, e);
    if (rc != HERD_OK)
        return rc;
    if (o->partitions > HERD_ENGINE_MAX_PARTITIONS)
        return herd_err_set(e, HERD_EINVAL, "%u partitions: at most %u", o->partitions,
                            HERD_ENGINE_MAX_PARTITIONS);
    struct herd_engine *en = herd_xcalloc(1, sizeof *en);
    en->g = g;
    en->prog = prog;
    en->params = *params;
    en->job = o->job ? o->job : prog->name;
    en->path = choose_path(prog, o);
    uint32_t need;
    en->comb = combiner_fn(prog, &need);
    en->threads = o->threads ? o->threads : herd_pool_cores();
    en->nparts = o->partitions ? o->partitions : (en->threads > 8 ? en->threads : 8);
    if (en->nparts > HERD_ENGINE_MAX_PARTITIONS) /* many threads, default partitions */
        en->nparts = HERD_ENGINE_MAX_PARTITIONS;
    en->max_steps = o->max_supersteps ? o->max_supersteps : prog->max_supersteps;
    view_of(&en->view, g);
    if (en->path == HERD_PATH_PULL && en->view.in_off == NULL)
        en->path = HERD_PATH_MESSAGES;
    if (en->path == HERD_PATH_SOLVE && en->view.out_off == NULL)
        en->path = HERD_PATH_MESSAGES;
    if (en->path == HERD_PATH_PULL && prog->api >= 2)
        en->range = prog->compute_range;
    herd_vctx_identity_aggs(en->agg, prog->naggs, prog->aggs);
    herd_vctx_init(&en->master, en, NULL);
    rc = check_graph(en, e);
    if (rc == HERD_OK && en->max_steps == 0)
        en->max_steps = en->params.supersteps; /* what setup() knows of this run */
    if (rc == HERD_OK)
        rc = alloc_state(en, e);
    if (rc == HERD_OK)
        rc = make_parts(en, o->bounds, e);
    if (rc == HERD_OK)
        rc = herd_pool_create(en->threads, &en->pool, e);
    if (rc == HERD_OK)
        rc = alloc_dense(en, e);
    if (rc != HERD_OK) {
        herd_engine_destroy(en);
        return rc;
    }
    *out = en;
    return HERD_OK;
}

void herd_engine_destroy(struct herd_engine *en)
{
    if (en == NULL)
        return;
    herd_pool_destroy(en->pool);
    for (uint32_t i = 0; en->parts && i < en->nparts; i++) {
        herd_vctx_fini(&en->parts[i].ctx);
        herd_inbox_fini(&en->parts[i].inbox);
        free(en->parts[i].lists);
        free(en->parts[i].gathered);
    }
    if (en->have_ex)
        en->ex.ops->destroy(en->ex.impl);
    herd_vctx_fini(&en->master);
    free(en->parts);
    free(en->bounds);
    free(en->values);
    free(en->halted);
    free(en->outdeg);
    for (int k = 0; k < 2 && !en->pull_shared; k++) {
        free(en->contrib[k]);
        free(en->emitted[k]);
    }
    for (uint32_t t = 0; t < en->ndense; t++)
        herd_msgdense_fini(&en->dense[t]);
    free(en->dense);
    free(en->holder);
    free(en->stats);
    free(en->owned);
    free(en);
}
