/* cmd_run — `herd run ALGO|PLUGIN.so GRAPH [options]`: loads a graph, runs a
 * built-in algorithm or a plugin's vertex program on the in-process engine
 * (src/graph/engine.h) and writes "ID VALUE" lines ascending by input id. */
#include "cli/cli.h"

#include "base/log.h"
#include "base/mem.h"
#include "graph/algo/algo.h"
#include "graph/engine.h"
#include "graph/renumber.h"
#include "cli/run_dist.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct run_args {
    const char *algo, *graph, *output, *stats, *arg, *events;
    const char *master, *output_dir, *ckpt_dir, *format_name;
    int directed, simplify, no_fast, in_process;
    uint32_t checkpoint_every, barrier_timeout_ms;
    int has_source;
    uint64_t source, seed;
    uint32_t iterations, threads, partitions, workers;
    double damping;
    enum herd_graph_format format;
    enum herd_partitioning partitioning;
};

/* Partitions of a hash-partitioned one-process run when --partitions is not
 * given: the distributed default for up to 8 workers, so the two agree. */
#define HASH_DEFAULT_PARTS 16u

static const char policy[] =
    "Edges are taken as given: a duplicate line is a parallel arc and a self-loop\n"
    "is kept (as igraph does); --simplify drops both while loading. PageRank's N\n"
    "counts every vertex (a .v file's too), not max_id+1. Graphs are directed\n"
    "unless --undirected (then every edge is two arcs).\n";

static void usage(FILE *f)
{
    size_t n;
    const struct herd_algo *a = herd_algo_list(&n);
    fprintf(f, "usage: herd run ALGO|./prog.so GRAPH [--output FILE] [--directed|--undirected]\n"
               "         [--source ID] [--iterations N] [--damping D] [--seed N]\n"
               "         [--format snap|graphalytics|dimacs|bin] [--threads N] [--partitions N]\n"
               "         [--partitioning range|hash] [--simplify] [--no-fast-path]\n"
               "         [--stats FILE] [--events FILE]\n"
               "         [--arg STRING]\n"
               "         [--workers N | --master ADDR | --in-process] [--output-dir DIR]\n"
               "         [--checkpoint-every K] [--checkpoint-dir DIR] [--barrier-timeout-ms MS]\n\n"
               "algorithms:\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-9s %s%s%s%s\n", a[i].name, a[i].help, a[i].defaults[0] ? " [" : "",
                a[i].defaults, a[i].defaults[0] ? "]" : "");
    fprintf(f, "  PLUGIN.so a shared object exporting herd_plugin_program() (see docs/engine.md)\n\n"
               "Output: one \"ID VALUE\" line per vertex, ascending by ID; a summary on stderr.\n%s"
               "Where it runs: with --master ADDR the job goes to that cluster (the graph and\n"
               "output paths must be readable/writable by its workers); otherwise an embedded\n"
               "local cluster of a master and --workers N worker processes (default 2) runs\n"
               "it and is torn down; --in-process (or --workers 0) uses the one-process\n"
               "engine (fast paths, --threads). Distributed runs use the message path, and\n"
               "PageRank the pull path (--no-fast-path: messages); their results equal the\n"
               "one-process run of the same path with the same --partitions (default\n"
               "max(16, 2 x workers)). --output-dir leaves one part-NNNNN file per partition\n"
               "(each ascending by ID; merging them by ID gives the result). --partitioning\n"
               "hash splits vertices by a hash of their ID, range by contiguous ID ranges\n"
               "(default: hash for a distributed run on a text input, whose workers then\n"
               "each read a share of the file; range for .hgr and --in-process); a hash\n"
               "run equals the in-process hash run with the same\n"
               "--partitions (default 16 in process). --checkpoint-every K\n"
               "saves every K supersteps; a lost worker's job then resumes from there.\n"
               "Checkpoints go to the master's data dir over the network, or to\n"
               "--checkpoint-dir DIR, a path every worker shares.\n",
            policy);
}

static int num_u64(const char *s, uint64_t *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int num_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (num_u64(s, &v) || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_format(const char *s, enum herd_graph_format *f)
{
    static const struct {
        const char *name;
        enum herd_graph_format f;
    } t[] = {{"auto", HERD_FMT_AUTO},       {"snap", HERD_FMT_SNAP},
             {"graphalytics", HERD_FMT_GRAPHALYTICS}, {"dimacs", HERD_FMT_DIMACS},
             {"bin", HERD_FMT_BIN}};
    for (size_t i = 0; s && i < sizeof t / sizeof t[0]; i++)
        if (strcmp(s, t[i].name) == 0) {
            *f = t[i].f;
            return 0;
        }
    return -1;
}

/* One option with a value; returns 0, or -1 (bad value or unknown). */
static int option_value(struct run_args *a, const char *opt, const char *val)
{
    if (strcmp(opt, "--output") == 0 || strcmp(opt, "-o") == 0)
        return (a->output = val) ? 0 : -1;
    if (strcmp(opt, "--stats") == 0)
        return (a->stats = val) ? 0 : -1;
    if (strcmp(opt, "--arg") == 0)
        return (a->arg = val) ? 0 : -1;
    if (strcmp(opt, "--events") == 0)
        return (a->events = val) ? 0 : -1;
    if (strcmp(opt, "--source") == 0)
        return a->has_source = 1, num_u64(val, &a->source);
    if (strcmp(opt, "--seed") == 0)
        return num_u64(val, &a->seed);
    if (strcmp(opt, "--iterations") == 0)
        return num_u32(val, &a->iterations) || a->iterations == 0 ? -1 : 0;
    if (strcmp(opt, "--threads") == 0)
        return num_u32(val, &a->threads);
    if (strcmp(opt, "--partitions") == 0)
        return num_u32(val, &a->partitions);
    if (strcmp(opt, "--workers") == 0)
        return num_u32(val, &a->workers);
    if (strcmp(opt, "--master") == 0)
        return (a->master = val) ? 0 : -1;
    if (strcmp(opt, "--output-dir") == 0)
        return (a->output_dir = val) ? 0 : -1;
    if (strcmp(opt, "--checkpoint-dir") == 0)
        return (a->ckpt_dir = val) ? 0 : -1;
    if (strcmp(opt, "--checkpoint-every") == 0)
        return num_u32(val, &a->checkpoint_every);
    if (strcmp(opt, "--barrier-timeout-ms") == 0)
        return num_u32(val, &a->barrier_timeout_ms);
    if (strcmp(opt, "--partitioning") == 0)
        return herd_partitioning_parse(val, &a->partitioning);
    if (strcmp(opt, "--format") == 0)
        return a->format_name = val, parse_format(val, &a->format);
    if (strcmp(opt, "--damping") == 0) {
        char *end;
        if (val == NULL)
            return -1;
        a->damping = strtod(val, &end);
        return *end || end == val || !(a->damping > 0 && a->damping <= 1) ? -1 : 0;
    }
    return -1;
}

/* Returns 0, 1 (--help printed) or 2 (usage error, message printed). */
static int parse(int argc, char **argv, struct run_args *a)
{
    memset(a, 0, sizeof *a);
    a->directed = 1;
    a->seed = 1;
    a->workers = UINT32_MAX; /* not given */
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            usage(stdout);
            return 1;
        } else if (strcmp(s, "--directed") == 0) {
            a->directed = 1;
        } else if (strcmp(s, "--undirected") == 0) {
            a->directed = 0;
        } else if (strcmp(s, "--simplify") == 0) {
            a->simplify = 1;
        } else if (strcmp(s, "--no-fast-path") == 0) {
            a->no_fast = 1;
        } else if (strcmp(s, "--in-process") == 0) {
            a->in_process = 1;
        } else if (s[0] == '-' && s[1] != '\0') {
            const char *val = i + 1 < argc ? argv[++i] : NULL;
            if (option_value(a, s, val) != 0) {
                fprintf(stderr, "herd run: bad or unknown option %s %s\n", s, val ? val : "");
                return 2;
            }
        } else if (pos < 2) {
            *(pos++ ? &a->graph : &a->algo) = s;
        } else {
            fprintf(stderr, "herd run: unexpected argument '%s'\n", s);
            return 2;
        }
    }
    if (pos < 2) {
        fprintf(stderr, "herd run: need ALGO and GRAPH (herd run --help)\n");
        return 2;
    }
    return 0;
}

static double secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A built-in by name, or a plugin when the name has a '/' or ends in .so. */
static const struct herd_vertex_program *find_program(const char *name, void **dl)
{
    size_t len = strlen(name);
    *dl = NULL;
    if (strchr(name, '/') == NULL && (len < 3 || strcmp(name + len - 3, ".so") != 0)) {
        const struct herd_algo *a = herd_algo_find(name);
        if (a == NULL)
            fprintf(stderr, "herd run: unknown algorithm '%s' (herd run --help)\n", name);
        return a ? a->program() : NULL;
    }
    *dl = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (*dl == NULL) {
        fprintf(stderr, "herd run: %s\n", dlerror());
        return NULL;
    }
    herd_plugin_fn fn;
    void *sym = dlsym(*dl, HERD_PLUGIN_SYMBOL);
    memcpy(&fn, &sym, sizeof fn);
    const struct herd_vertex_program *p = fn ? fn() : NULL;
    if (p == NULL)
        fprintf(stderr, "herd run: %s: no %s() or it returned NULL\n", name, HERD_PLUGIN_SYMBOL);
    return p;
}

static int load(const struct run_args *a, const struct herd_vertex_program *p,
                const struct herd_engine_opts *eo, struct herd_graph **g)
{
    struct herd_graph_opts go = {0};
    struct herd_err e = {0};
    go.format = a->format;
    go.directed = a->directed;
    go.simplify = a->simplify;
    go.threads = a->threads;
    herd_engine_needs(p, a->directed, eo, &go.need_out, &go.need_in, &go.weighted);
    if (herd_graph_load(a->graph, &go, g, &e) != HERD_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    return 0;
}

static int write_stats(const char *path, const struct herd_engine *en)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "herd run: %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t n;
    const struct herd_step_stats *st = herd_engine_stats(en, &n);
    fprintf(f, "superstep\tcomputed\tactive\tsent\texchanged\tms\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%.3f\n",
                st[i].step, st[i].computed, st[i].active, st[i].sent, st[i].exchanged, st[i].ms);
    return fclose(f) == 0 ? 0 : 1;
}

/* Hash partitioning: each partition's lines (ascending by input id) go to
 * a temporary file when the merge opens it; the merge orders them by id. */
struct part_src {
    struct herd_engine *en;
    const uint32_t *bounds;
};

static int part_open(void *arg, uint32_t p, FILE **f, struct herd_err *e)
{
    struct part_src *ps = arg;
    FILE *t = tmpfile();
    if (t == NULL)
        return herd_err_set(e, HERD_EIO, "temporary file: %s", strerror(errno));
    int rc = herd_engine_write_range(ps->en, ps->bounds[p], ps->bounds[p + 1], t, e);
    if (rc == HERD_OK && fseek(t, 0, SEEK_SET) != 0)
        rc = herd_err_set(e, HERD_EIO, "temporary file: %s", strerror(errno));
    if (rc != HERD_OK) {
        fclose(t);
        return rc;
    }
    *f = t;
    return HERD_OK;
}

static void part_done(void *arg, uint32_t p, FILE *f)
{
    (void)arg;
    (void)p;
    fclose(f);
}

static int write_merged(struct herd_engine *en, const uint32_t *bounds, uint32_t nparts, FILE *f,
                        struct herd_err *e)
{
    struct part_src ps = {en, bounds};
    struct herd_merge_src src = {part_open, part_done, &ps};
    return herd_renumber_merge_many(&src, nparts, f, e);
}

/* bounds: NULL for a range-partitioned run (dense order is input-id order). */
static int write_result(const struct run_args *a, struct herd_engine *en, const uint32_t *bounds,
                        uint32_t nparts)
{
    struct herd_err e = {0};
    FILE *f = a->output ? fopen(a->output, "w") : stdout;
    if (f == NULL) {
        fprintf(stderr, "herd run: %s: %s\n", a->output, strerror(errno));
        return 1;
    }
    int rc = bounds ? write_merged(en, bounds, nparts, f, &e) : herd_engine_write(en, f, &e);
    if (a->output && fclose(f) != 0 && rc == HERD_OK)
        rc = herd_err_set(&e, HERD_EIO, "%s: close failed", a->output);
    if (rc != HERD_OK)
        fprintf(stderr, "herd run: %s\n", e.msg);
    return rc == HERD_OK ? 0 : 1;
}

/* Hash partitioning: renumbers g partition-major and hands the engine the
 * partition starts (*bounds, the caller's to free). 0 or 1 (printed). */
static int renumber(const struct run_args *a, struct herd_graph *g, struct herd_engine_opts *eo,
                    uint32_t **bounds)
{
    struct herd_err e = {0};
    uint32_t nparts = a->partitions ? a->partitions : HASH_DEFAULT_PARTS;
    if (nparts > HERD_ENGINE_MAX_PARTITIONS) {
        fprintf(stderr, "herd run: at most %u partitions\n", HERD_ENGINE_MAX_PARTITIONS);
        return 1;
    }
    *bounds = herd_xmalloc(((size_t)nparts + 1) * sizeof **bounds);
    if (herd_renumber_hash(g, nparts, *bounds, &e) != HERD_OK) {
        fprintf(stderr, "herd run: %s\n", e.msg);
        return 1;
    }
    eo->partitions = nparts;
    eo->bounds = *bounds;
    return 0;
}

static int find_source(const struct run_args *a, const struct herd_graph *g,
                       const struct herd_engine_opts *eo, uint32_t *v)
{
    int rc = eo->bounds ? herd_renumber_lookup(g, eo->partitions, eo->bounds, a->source, v)
                        : herd_graph_lookup(g, a->source, v);
    if (rc != HERD_OK)
        fprintf(stderr, "herd run: --source %" PRIu64 " is not a vertex of %s\n", a->source,
                a->graph);
    return rc == HERD_OK ? 0 : 1;
}

static int execute(const struct run_args *a, const struct herd_vertex_program *p,
                   const struct herd_engine_opts *eo_in)
{
    struct herd_graph *g = NULL;
    struct herd_engine *en = NULL;
    struct herd_err e = {0};
    struct herd_vparams vp = {0};
    struct herd_engine_opts eo = *eo_in;
    uint32_t *bounds = NULL;
    int rc = 1;
    double t0 = secs();
    if (load(a, p, &eo, &g) != 0)
        return 1;
    if (herd_partitioning_resolve(a->partitioning, 0, a->graph, a->format) ==
            HERD_PARTITIONING_HASH &&
        renumber(a, g, &eo, &bounds) != 0)
        goto out;
    double t1 = secs();
    vp = (struct herd_vparams){.has_source = a->has_source, .source_id = a->source,
                               .iterations = a->iterations, .damping = a->damping,
                               .seed = a->seed, .arg = a->arg};
    if (a->has_source && find_source(a, g, &eo, &vp.source) != 0)
        goto out;
    if (herd_engine_create(g, p, &vp, &eo, &en, &e) != HERD_OK ||
        herd_engine_run(en, &e) != HERD_OK) {
        fprintf(stderr, "herd run: %s\n", e.msg);
        goto out;
    }
    double t2 = secs();
    if (write_result(a, en, bounds, eo.partitions) != 0 ||
        (a->stats && write_stats(a->stats, en) != 0))
        goto out;
    size_t steps;
    herd_engine_stats(en, &steps);
    fprintf(stderr,
            "herd run: %s: %" PRIu32 " vertices, %" PRIu64 " arcs, %zu supersteps (%s path), "
            "%u threads, %u partitions (%s); load %.3f s, run %.3f s, write %.3f s\n",
            p->name, g->n, g->m, herd_engine_path(en) == HERD_PATH_SOLVE ? 0 : steps,
            herd_engine_path_name(herd_engine_path(en)), herd_engine_threads(en),
            herd_engine_partitions(en), bounds ? "hash" : "range", t1 - t0, t2 - t1,
            secs() - t2);
    rc = 0;
out:
    herd_engine_destroy(en);
    herd_graph_destroy(g);
    free(bounds);
    return rc;
}

static int run_distributed(const struct run_args *a)
{
    if (!a->master && !strchr(a->algo, '/') && strcmp(a->algo + (strlen(a->algo) > 3 ? strlen(a->algo) - 3 : 0), ".so") != 0 &&
        herd_algo_find(a->algo) == NULL) {
        fprintf(stderr, "herd run: unknown algorithm '%s' (herd run --help)\n", a->algo);
        return 1;
    }
    uint32_t workers = a->workers == UINT32_MAX ? (a->master ? 0 : 2) : a->workers;
    uint32_t threads = a->threads;
    if (threads == 0 && !a->master) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        threads = ncpu > (long)workers ? (uint32_t)(ncpu / workers) : 1;
    }
    struct herd_run_req r = {
        .algo = a->algo, .graph = a->graph, .output = a->output, .output_dir = a->output_dir,
        .stats = a->stats, .events = a->events, .arg = a->arg, .format = a->format_name, .master = a->master,
        .ckpt_dir = a->ckpt_dir, .directed = a->directed, .simplify = a->simplify,
        .no_fast = a->no_fast,
        .has_source = a->has_source, .source = a->source, .seed = a->seed,
        .iterations = a->iterations, .threads = threads, .partitions = a->partitions,
        .workers = workers, .checkpoint_every = a->checkpoint_every,
        .barrier_timeout_ms = a->barrier_timeout_ms, .damping = a->damping,
        .partitioning = herd_partitioning_name(a->partitioning)};
    return herd_run_dist(&r);
}

int herd_cmd_run(int argc, char **argv)
{
    struct run_args a;
    int rc = parse(argc, argv, &a);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    if (!a.in_process && a.workers != 0)
        return run_distributed(&a);
    if (a.events && herd_event_open(a.events) != HERD_OK) {
        fprintf(stderr, "herd run: cannot open event log %s\n", a.events);
        return 1;
    }
    void *dl;
    const struct herd_vertex_program *p = find_program(a.algo, &dl);
    if (p == NULL)
        return 1;
    struct herd_engine_opts eo = {.threads = a.threads, .partitions = a.partitions,
                                  .no_fast_path = a.no_fast, .job = p->name};
    rc = execute(&a, p, &eo);
    if (dl)
        dlclose(dl);
    herd_event_open(NULL);
    return rc;
}
