#include "graph/gen.h"
#include "base/mem.h"
#include "base/rand.h"
#include "graph/binfmt.h"
#include "graph/textout.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 64
#define TEXT_EDGES (1u << 18) /* edges formatted per thread per round */

/* Quadrant thresholds (out of 2^32) for A, A+B, A+B+C. */
#define T_A ((uint64_t)(0.57 * 4294967296.0))
#define T_AB ((uint64_t)(0.76 * 4294967296.0))
#define T_ABC ((uint64_t)(0.95 * 4294967296.0))

struct gen {
    const struct herd_gen_opts *o;
    uint64_t key;   /* seed, mixed */
    uint32_t *perm; /* 2^scale */
    uint64_t m;
};

const char *herd_gen_kind_name(enum herd_gen_kind k)
{
    return k == HERD_GEN_KRONECKER ? "kronecker" : "uniform";
}

int herd_gen_check(const struct herd_gen_opts *g, struct herd_err *e)
{
    if (g->scale < 1 || g->scale > 31)
        return herd_err_set(e, HERD_EINVAL, "scale %u: must be 1..31", g->scale);
    if (g->degree < 1 || g->degree > (1u << 20))
        return herd_err_set(e, HERD_EINVAL, "degree %u: must be 1..%u", g->degree, 1u << 20);
    if ((uint64_t)g->degree << g->scale > (1ULL << 40))
        return herd_err_set(e, HERD_EINVAL, "degree %u at scale %u: more than 2^40 edges",
                            g->degree, g->scale);
    return HERD_OK;
}

static int threads_of(const struct herd_gen_opts *o)
{
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    int t = o->threads > 0 ? o->threads : c > 0 ? (int)c : 1;
    return t > MAX_THREADS ? MAX_THREADS : t;
}

/* Edge i: endpoints (permuted) and weight code k (weight k/1000). */
static void edge(const struct gen *g, uint64_t i, uint32_t *s, uint32_t *d, uint32_t *wk)
{
    uint64_t x = herd_mix64(g->key ^ herd_mix64(i)), u = 0, v = 0;
    unsigned scale = g->o->scale;
    if (g->o->kind == HERD_GEN_UNIFORM) {
        u = x & ((1ULL << scale) - 1);
        x = herd_mix64(x);
        v = x & ((1ULL << scale) - 1);
    } else {
        for (unsigned lvl = 0; lvl < scale; lvl++) {
            uint64_t r = lvl & 1 ? x >> 32 : (x = herd_mix64(x)) & 0xffffffffu;
            unsigned bs = r >= T_AB, bd = (r >= T_A && r < T_AB) || r >= T_ABC;
            u = u << 1 | bs;
            v = v << 1 | bd;
        }
    }
    *s = g->perm[u];
    *d = g->perm[v];
    *wk = (uint32_t)(1 + herd_mix64(x ^ 0x5bd1e995u) % 1000);
}

static int setup(const struct herd_gen_opts *o, struct gen *g, struct herd_err *e)
{
    int rc = herd_gen_check(o, e);
    if (rc != HERD_OK)
        return rc;
    uint64_t n = 1ULL << o->scale;
    g->o = o;
    g->key = herd_mix64(o->seed ^ 0x243f6a8885a308d3ULL);
    g->m = (uint64_t)o->degree << o->scale;
    g->perm = malloc(n * sizeof *g->perm);
    if (g->perm == NULL)
        return herd_err_set(e, HERD_ENOMEM, "permutation of 2^%u ids", o->scale);
    struct herd_rand r;
    herd_rand_seed(&r, o->seed);
    for (uint64_t i = 0; i < n; i++)
        g->perm[i] = (uint32_t)i;
    for (uint64_t i = n - 1; i > 0; i--) {
        uint64_t j = herd_rand_below(&r, i + 1);
        uint32_t t = g->perm[i];
        g->perm[i] = g->perm[j];
        g->perm[j] = t;
    }
    return HERD_OK;
}

struct span {
    const struct gen *g;
    uint64_t from, to;
    struct herd_eblock b;
    char *text; /* text mode: formatted lines */
    size_t len;
};

static void *fill_block(void *arg)
{
    struct span *sp = arg;
    for (uint64_t i = sp->from; i < sp->to; i++) {
        uint64_t k = i - sp->from;
        uint32_t wk;
        edge(sp->g, i, &sp->b.s32[k], &sp->b.d32[k], &wk);
        if (sp->b.w)
            sp->b.w[k] = wk / 1000.0;
    }
    sp->b.n = sp->to - sp->from;
    return NULL;
}

static void run_spans(struct span *sp, int k, void *(*fn)(void *))
{
    pthread_t tid[MAX_THREADS];
    int ok[MAX_THREADS] = {0};
    for (int t = 1; t < k; t++)
        ok[t] = pthread_create(&tid[t], NULL, fn, &sp[t]) == 0;
    fn(&sp[0]);
    for (int t = 1; t < k; t++) {
        if (ok[t])
            pthread_join(tid[t], NULL);
        else
            fn(&sp[t]);
    }
}

int herd_gen_edges(const struct herd_gen_opts *o, struct herd_elist *el, struct herd_err *e)
{
    struct gen g;
    struct span sp[MAX_THREADS];
    int rc = setup(o, &g, e), k = threads_of(o), t;
    if (rc != HERD_OK)
        return rc;
    memset(sp, 0, sizeof sp);
    for (t = 0; t < k; t++) {
        sp[t].g = &g;
        sp[t].from = g.m * (uint64_t)t / (uint64_t)k;
        sp[t].to = g.m * (uint64_t)(t + 1) / (uint64_t)k;
        size_t n = sp[t].to - sp[t].from + 1;
        sp[t].b.s32 = malloc(n * sizeof(uint32_t));
        sp[t].b.d32 = malloc(n * sizeof(uint32_t));
        sp[t].b.w = o->weighted ? malloc(n * sizeof(double)) : NULL;
        if (!sp[t].b.s32 || !sp[t].b.d32 || (o->weighted && !sp[t].b.w)) {
            rc = herd_err_set(e, HERD_ENOMEM, "edge list of %llu edges",
                              (unsigned long long)g.m);
            t++;
            break;
        }
    }
    if (rc == HERD_OK)
        run_spans(sp, k, fill_block);
    for (int i = 0; i < t; i++) {
        if (rc == HERD_OK)
            herd_elist_add(el, &sp[i].b);
        else
            herd_eblock_free(&sp[i].b);
    }
    free(g.perm);
    return rc;
}

/* Text mode: formats edges [from, to) as lines into sp->text. */
static void *fill_text(void *arg)
{
    struct span *sp = arg;
    char *p = sp->text;
    for (uint64_t i = sp->from; i < sp->to; i++) {
        uint32_t s, d, wk;
        edge(sp->g, i, &s, &d, &wk);
        p += herd_textout_u64(p, s);
        *p++ = '\t';
        p += herd_textout_u64(p, d);
        if (sp->g->o->weighted) {
            *p++ = '\t';
            p += herd_textout_u64(p, wk / 1000);
            *p++ = '.';
            *p++ = (char)('0' + wk % 1000 / 100);
            *p++ = (char)('0' + wk % 100 / 10);
            *p++ = (char)('0' + wk % 10);
        }
        *p++ = '\n';
    }
    sp->len = (size_t)(p - sp->text);
    return NULL;
}

static int write_text(const struct gen *g, FILE *f, struct herd_err *e)
{
    struct span sp[MAX_THREADS];
    int k = threads_of(g->o), rc = HERD_OK;
    memset(sp, 0, sizeof sp);
    for (int t = 0; t < k; t++) {
        sp[t].g = g;
        sp[t].text = malloc(TEXT_EDGES * 40ul);
        if (sp[t].text == NULL)
            rc = herd_err_set(e, HERD_ENOMEM, "text buffers");
    }
    for (uint64_t at = 0; rc == HERD_OK && at < g->m;) {
        for (int t = 0; t < k; t++) {
            sp[t].from = at < g->m ? at : g->m;
            at = sp[t].from + TEXT_EDGES < g->m ? sp[t].from + TEXT_EDGES : g->m;
            sp[t].to = at;
        }
        run_spans(sp, k, fill_text);
        for (int t = 0; t < k && rc == HERD_OK; t++)
            if (fwrite(sp[t].text, 1, sp[t].len, f) != sp[t].len)
                rc = herd_err_set(e, HERD_EIO, "write: %s", strerror(errno));
    }
    for (int t = 0; t < k; t++)
        free(sp[t].text);
    return rc;
}

static int write_hgr(const struct herd_gen_opts *o, const char *path, struct herd_err *e)
{
    struct herd_elist el;
    struct herd_graph *g = NULL;
    struct herd_graph_opts go = {.directed = 1, .need_out = 1, .threads = o->threads,
                                 .weighted = HERD_GRAPH_WEIGHTS_AUTO};
    herd_elist_init(&el);
    int rc = herd_gen_edges(o, &el, e);
    if (rc == HERD_OK)
        rc = herd_elist_build(&el, NULL, NULL, 0, &go, &g, e);
    else
        herd_elist_fini(&el);
    if (rc == HERD_OK)
        rc = herd_binfmt_write(g, path, e);
    herd_graph_destroy(g);
    return rc;
}

int herd_gen_write(const struct herd_gen_opts *o, const char *path, struct herd_err *e)
{
    size_t n = strlen(path);
    if (n > 4 && strcmp(path + n - 4, ".hgr") == 0)
        return write_hgr(o, path, e);
    struct gen g;
    int rc = setup(o, &g, e);
    if (rc != HERD_OK)
        return rc;
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (f == NULL) {
        free(g.perm);
        return herd_err_set(e, HERD_EIO, "%s: %s", path, strerror(errno));
    }
    fprintf(f, "# herd generate %s --scale %u --degree %u --seed %llu%s\n",
            herd_gen_kind_name(o->kind), o->scale, o->degree, (unsigned long long)o->seed,
            o->weighted ? " --weighted" : "");
    fprintf(f, "# ids 0..%llu (permuted); ids without edges are not vertices\n# Edges: %llu\n",
            (unsigned long long)((1ULL << o->scale) - 1), (unsigned long long)g.m);
    rc = write_text(&g, f, e);
    int bad = f == stdout ? fflush(f) != 0 : fclose(f) != 0;
    if (rc == HERD_OK && bad)
        rc = herd_err_set(e, HERD_EIO, "%s: %s", path, strerror(errno));
    else if (rc != HERD_OK)
        herd_err_wrap(e, "%s", path);
    free(g.perm);
    return rc;
}
