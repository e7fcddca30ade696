/* `herd generate` and `herd convert`: the graph tools of the CLI. */
#include "base/log.h"
#include "cli/cli.h"
#include "graph/binfmt.h"
#include "graph/gen.h"
#include "graph/graph.h"
#include "graph/load.h"
#include "graph/textout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char gen_usage[] =
    "usage: herd generate kronecker|uniform --scale S --degree D [--seed N] [--weighted]\n"
    "                     [--threads N] -o FILE\n"
    "  Kronecker: Graph500 R-MAT (A=0.57 B=0.19 C=0.19), ids permuted by the seed.\n"
    "  uniform:   Erdos-Renyi style, D*2^S edges with uniform endpoints.\n"
    "  ids are 0..2^S-1; D*2^S edges; duplicates and self-loops are kept as generated.\n"
    "  FILE ending in .hgr is herd's binary format (directed); anything else is a\n"
    "  SNAP-style text edge list. --weighted adds weights k/1000, k in 1..1000.\n";

static const char conv_usage[] =
    "usage: herd convert IN OUT [--directed|--undirected] [--format F] [--simplify]\n"
    "                    [--weighted|--unweighted] [--vertex-file F] [--threads N]\n"
    "                    [--no-in-rows]\n"
    "  IN: SNAP edge list, Graphalytics .e/.v, DIMACS (.gr, p sp|tw|edge), or .hgr,\n"
    "      optionally .gz/.xz; --format snap|graphalytics|dimacs|bin overrides the guess.\n"
    "  OUT: .hgr writes herd's binary format; anything else (or -) a text edge list.\n"
    "  A directed .hgr also stores the in-rows (twice the size; runs that need them,\n"
    "  like pagerank, then skip building them); --no-in-rows stores out-rows only.\n"
    "  Edges are taken as given: a duplicate line is a parallel arc and a self-loop is\n"
    "  kept; --simplify drops both. Default: --directed, weights kept when present.\n";

/* Parses an unsigned decimal option value within [lo, hi]. */
static int num(const char *opt, const char *s, unsigned long long lo, unsigned long long hi,
               unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = s && *s != '-' ? strtoull(s, &end, 10) : 0;
    if (s == NULL || *s == '-' || errno || *end || end == s || v < lo || v > hi) {
        fprintf(stderr, "herd: %s needs a number in %llu..%llu, got '%s'\n", opt, lo, hi,
                s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* Value of option argv[*i] (which takes one), advancing *i; NULL if missing. */
static const char *value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "herd: %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

static int gen_option(int argc, char **argv, int *i, struct herd_gen_opts *o, const char **out)
{
    static const char *const valued[] = {"--scale", "--degree", "--seed", "--threads"};
    const char *a = argv[*i], *s;
    unsigned long long v;
    int which = -1;
    if (strcmp(a, "--weighted") == 0) {
        o->weighted = 1;
        return 0;
    }
    if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
        return (*out = value(argc, argv, i)) ? 0 : -1;
    for (int k = 0; k < 4; k++)
        if (strcmp(a, valued[k]) == 0)
            which = k;
    if (which < 0) {
        fprintf(stderr, "herd generate: unknown argument '%s'\n", a);
        return -1;
    }
    if ((s = value(argc, argv, i)) == NULL)
        return -1;
    static const unsigned long long lo[] = {1, 1, 0, 0}, hi[] = {31, 1u << 20, UINT64_MAX, 1024};
    if (num(a, s, lo[which], hi[which], &v) != 0)
        return -1;
    if (which == 0)
        o->scale = (unsigned)v;
    else if (which == 1)
        o->degree = (unsigned)v;
    else if (which == 2)
        o->seed = v;
    else
        o->threads = (int)v;
    return 0;
}

int herd_cmd_generate(int argc, char **argv)
{
    struct herd_gen_opts o = {.seed = 1};
    const char *out = NULL;
    struct herd_err e;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(gen_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "kronecker") == 0)
        o.kind = HERD_GEN_KRONECKER;
    else if (strcmp(argv[1], "uniform") == 0)
        o.kind = HERD_GEN_UNIFORM;
    else {
        fprintf(stderr, "herd generate: unknown generator '%s'\n%s", argv[1], gen_usage);
        return 2;
    }
    for (int i = 2; i < argc; i++)
        if (gen_option(argc, argv, &i, &o, &out) != 0)
            return 2;
    if (o.scale == 0 || o.degree == 0 || out == NULL) {
        fprintf(stderr, "herd generate: --scale, --degree and -o are required\n%s", gen_usage);
        return 2;
    }
    uint64_t t0 = herd_mono_ms();
    if (herd_gen_write(&o, out, &e) != HERD_OK) {
        fprintf(stderr, "herd generate: %s\n", e.msg);
        return 1;
    }
    herd_info("generate", "%s scale %u degree %u seed %llu: %llu edges to %s in %llu ms",
              herd_gen_kind_name(o.kind), o.scale, o.degree, (unsigned long long)o.seed,
              (unsigned long long)o.degree << o.scale, out,
              (unsigned long long)(herd_mono_ms() - t0));
    return 0;
}

static int conv_option(int argc, char **argv, int *i, struct herd_graph_opts *o)
{
    const char *a = argv[*i], *s;
    unsigned long long v;
    if (strcmp(a, "--directed") == 0 || strcmp(a, "--undirected") == 0)
        o->directed = a[2] == 'd';
    else if (strcmp(a, "--simplify") == 0)
        o->simplify = 1;
    else if (strcmp(a, "--no-in-rows") == 0)
        o->need_in = 0;
    else if (strcmp(a, "--weighted") == 0 || strcmp(a, "--unweighted") == 0)
        o->weighted = a[2] == 'w';
    else if (strcmp(a, "--format") == 0) {
        if ((s = value(argc, argv, i)) == NULL)
            return -1;
        if (herd_graph_format_parse(s, &o->format) != HERD_OK) {
            fprintf(stderr, "herd convert: unknown format '%s'\n", s);
            return -1;
        }
    } else if (strcmp(a, "--vertex-file") == 0) {
        if ((o->vertex_file = value(argc, argv, i)) == NULL)
            return -1;
    } else if (strcmp(a, "--threads") == 0) {
        if ((s = value(argc, argv, i)) == NULL || num(a, s, 0, 1024, &v) != 0)
            return -1;
        o->threads = (int)v;
    } else {
        fprintf(stderr, "herd convert: unknown argument '%s'\n", a);
        return -1;
    }
    return 0;
}

static int is_hgr(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".hgr") == 0;
}

int herd_cmd_convert(int argc, char **argv)
{
    struct herd_graph_opts o = {.directed = 1, .need_out = 1, .need_in = 1,
                                .weighted = HERD_GRAPH_WEIGHTS_AUTO};
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    struct herd_err e;
    struct herd_graph *g = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(conv_usage, stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            if (conv_option(argc, argv, &i, &o) != 0)
                return 2;
        } else if (npos < 2) {
            pos[npos++] = argv[i];
        } else {
            fprintf(stderr, "herd convert: unexpected argument '%s'\n%s", argv[i], conv_usage);
            return 2;
        }
    }
    if (npos != 2) {
        fputs(conv_usage, stderr);
        return 2;
    }
    o.need_in = o.need_in && o.directed && is_hgr(pos[1]);
    uint64_t t0 = herd_mono_ms();
    int rc = herd_graph_load(pos[0], &o, &g, &e);
    uint64_t t1 = herd_mono_ms();
    if (rc == HERD_OK)
        rc = is_hgr(pos[1]) ? herd_binfmt_write(g, pos[1], &e)
                            : herd_textout_graph(g, pos[1], NULL, &e);
    if (rc != HERD_OK) {
        fprintf(stderr, "herd convert: %s\n", e.msg);
        herd_graph_destroy(g);
        return 1;
    }
    herd_info("convert", "%s: %u vertices, %llu arcs, %s, loaded in %llu ms, written in %llu ms",
              pos[0], g->n, (unsigned long long)g->m, g->directed ? "directed" : "undirected",
              (unsigned long long)(t1 - t0), (unsigned long long)(herd_mono_ms() - t1));
    herd_graph_destroy(g);
    return 0;
}
