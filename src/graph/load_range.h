/* load_range — parsing one byte range of a text graph file, for distributed
 * loading: each worker of a graph job reads only its share of the input and
 * routes the edges to their owners (the routing is the caller's).
 *
 * Any thread may call these; each call is independent and opens the file
 * itself. The line parsers are those of the whole-file loader (load_text.c),
 * so every range accepts and refuses exactly what herd_graph_load() does:
 * comments, blank lines, CRLF, tabs, weights, and the same error texts.
 *
 * Range semantics. A range [start, end) holds the lines that START in it: a
 * line that starts before `start` belongs to the previous range, one that
 * starts before `end` is read to its end even past `end`. So the ranges
 * [size*i/k, size*(i+1)/k), i < k, cover every line exactly once, whatever
 * the cut points (a cut may fall anywhere, even inside a CRLF).
 *
 * What one range checks, and what is left to the whole job:
 *  - Every line of the range is checked as the whole-file loader checks it,
 *    with the context of the lines before the range that matters: the column
 *    count of the file's first data line (SNAP/Graphalytics: every data line
 *    must match it) and the DIMACS 'p' line (problem kind and n, so ids of
 *    'a' lines are checked against 1..n in every range). A range with
 *    start > 0 reads that context from the beginning of the file (normally a
 *    few hundred bytes: the comment header and the first data line).
 *  - An error is reported with the ABSOLUTE line number ("FILE:LINE:
 *    reason"); the newlines before the range are counted only on that path.
 *  - A range returns the first error among its own lines, in file order, or
 *    an error of the file's first data line (the context it depends on) —
 *    that one is the same text in every range at or after it. The error of
 *    a whole job is therefore the error of the LOWEST-numbered failing range,
 *    and it equals herd_graph_load()'s error on the same file.
 *  - Whole-job checks are the caller's, once every range returned HERD_OK:
 *    call herd_graph_scan_finish() with the totals. It gives the whole-file
 *    loader's errors for an empty input ("FILE: no edges and no vertices"), a
 *    DIMACS file without a 'p' line, and a DIMACS arc count that differs from
 *    the 'p' line's.
 *  - Graphalytics: an .e endpoint missing from the .v file is checked only
 *    when the caller sets `listed` (it needs the set of .v ids); without it,
 *    that check is the caller's (e.g. by the owner after routing).
 *
 * Threads and callbacks: a range is parsed on o->threads threads (0 = all
 * cores), but `edges`, `vertices` and `header` are SERIALISED: they are
 * called from the calling thread only, one at a time, in file order (the
 * batches of one range, concatenated, are its lines in order). A batch's
 * arrays are valid only during the call. `listed` (optional) is the
 * exception: it is called from the parser threads concurrently and must be
 * a thread-safe read-only lookup.
 *
 * Memory: a scan reads 8 MiB per round and keeps its batch buffers from one
 * round to the next, whatever the size of the range (about 20-25 MB peak
 * resident for a whole process scanning a quarter of a 233 MB edge list). */
#ifndef HERD_GRAPH_LOAD_RANGE_H
#define HERD_GRAPH_LOAD_RANGE_H

#include "graph/graph.h"

#include <stddef.h>
#include <stdint.h>

struct herd_scan_cb {
    /* A batch of n edges as input ids (DIMACS: 1..n as written). w is NULL
     * when unweighted, per o->weighted like the whole-file loader: 0 never
     * weights; 1 always (1.0 for lines without a weight column, and for
     * DIMACS tw/edge files); HERD_GRAPH_WEIGHTS_AUTO only when the file has
     * them (a third column, or DIMACS sp). May be NULL (edges ignored).
     * Returning non-zero (a HERD_E* code, with *e set) stops the scan, and
     * the scan returns that code. */
    int (*edges)(void *arg, const uint64_t *src, const uint64_t *dst, const double *w, size_t n,
                 struct herd_err *e);
    /* A batch of vertex ids that exist even without edges (.v lines of a
     * Graphalytics graph, through herd_graph_scan_vertices_range(); for
     * DIMACS the header's 1..n is reported through `header`). Duplicates
     * are passed on (they count once in the graph). May be NULL. */
    int (*vertices)(void *arg, const uint64_t *ids, size_t n, struct herd_err *e);
    /* The DIMACS/PACE 'p' line, n and m as declared; called only by the
     * range that holds that line, before any of its edges. May be NULL. */
    int (*header)(void *arg, uint64_t n, uint64_t m, struct herd_err *e);
    /* ADDED, optional. Graphalytics .e: 1 if `id` is a vertex of the .v file,
     * 0 if not; then the scan fails like the whole-file loader with
     * "FILE:LINE: vertex ID is not listed in LISTED_IN". Called from parser
     * threads concurrently (see above). NULL: no check. */
    int (*listed)(void *arg, uint64_t id);
    const char *listed_in; /* the .v name for that message (NULL: "the vertex file") */
};

/* Parses the lines of `path` that start in [start, end) and passes them to
 * `cb` (with `arg`). end may exceed the file size; start >= end (or >= the
 * size) is an empty range and returns HERD_OK. Format from o->format; AUTO is
 * detected from the name and then the first bytes of the file as the
 * whole-file loader does, also when start > 0 (Graphalytics: `path` is the
 * .e file; o->vertex_file is ignored, scan the .v with
 * herd_graph_scan_vertices_range()). o->weighted and o->threads are used;
 * directedness, simplify and need_* are the graph builder's business.
 * Returns HERD_OK; HERD_EIO ("PATH: reason"); HERD_EPARSE ("FILE:LINE:
 * reason", absolute line); HERD_ENOMEM; HERD_EINVAL (compressed or binary
 * input, which cannot be split: see herd_graph_splittable()); or the code a
 * callback returned, which stops the scan (its *e is kept). */
int herd_graph_scan_range(const char *path, const struct herd_graph_opts *o, uint64_t start,
                          uint64_t end, const struct herd_scan_cb *cb, void *arg,
                          struct herd_err *e);

/* The same for a Graphalytics vertex file: `id [vertex data, ignored]` lines,
 * passed to cb->vertices. Returns as herd_graph_scan_range(). */
int herd_graph_scan_vertices_range(const char *vpath, const struct herd_graph_opts *o,
                                   uint64_t start, uint64_t end, const struct herd_scan_cb *cb,
                                   void *arg, struct herd_err *e);

/* 1 if the file can be split into byte ranges (plain text), 0 if it cannot
 * (gzip, xz or herd binary, or o->format is HERD_FMT_BIN); its size in bytes
 * in *size either way. On error returns -1 with *e set (e->code HERD_EIO:
 * cannot open or read) and leaves *size alone. */
int herd_graph_splittable(const char *path, const struct herd_graph_opts *o, uint64_t *size,
                          struct herd_err *e);

/* The whole-job checks, once every range of `path` returned HERD_OK:
 * `nedges` is the total of edges passed to `edges` by all ranges, and
 * `nvertices` the total of ids passed to `vertices` (only zero matters; for
 * DIMACS pass 0, n comes from the 'p' line). Gives HERD_EPARSE with the
 * whole-file loader's text for an input without edges or vertices ("FILE: no
 * edges and no vertices"), a DIMACS file without a 'p' line, or a DIMACS arc
 * count different from the 'p' line's ("FILE:LINE: the 'p' line declares M
 * arcs but the file has X"); HERD_EIO/HERD_EINVAL as herd_graph_scan_range;
 * else HERD_OK. Reads only the beginning of the file. */
int herd_graph_scan_finish(const char *path, const struct herd_graph_opts *o, uint64_t nedges,
                           uint64_t nvertices, struct herd_err *e);

/* ---- staged ranges ----------------------------------------------------------
 * For a range whose bytes are shipped to a worker that cannot read the file
 * (staged by the master): where the file is, herd_graph_scan_contexts()
 * gives each range's exact byte span and the context it needs from before
 * it, in one pass over the file; where the bytes are,
 * herd_graph_scan_staged() parses them with that context, exactly as
 * herd_graph_scan_range() would parse the range in the file (same
 * callbacks, same errors and absolute line numbers). The context is plain
 * data: encode its fields for the wire as you like. */
struct herd_scan_context {
    uint64_t first, stop; /* the range's lines are the file's bytes [first, stop) */
    uint64_t line;        /* the number of the line at `first` (1-based) */
    int32_t format;       /* as detected: HERD_FMT_SNAP, _GRAPHALYTICS or _DIMACS */
    int32_t vertices;     /* a Graphalytics .v range */
    int32_t before;       /* the file's first data line starts before `first`; then: */
    int32_t ncols;        /*   SNAP/Graphalytics: its column count */
    int32_t dim;          /*   DIMACS: its problem, 0 sp, 1 tw, 2 edge */
    uint64_t n, m;        /*   DIMACS: the counts it declares */
};

/* The contexts of the k ranges [cuts[i], cuts[i+1]), i < k (cuts ascending;
 * a cut past the end of the file counts as the end), in out[0..k). `vertices`:
 * `path` is a .v file. Returns HERD_OK, HERD_EIO, HERD_EINVAL (compressed
 * or binary input, cuts not ascending), HERD_ENOMEM, or HERD_EPARSE: the
 * error of the file's first data line, which the context of later ranges
 * depends on (it is also the whole-file loader's error). */
int herd_graph_scan_contexts(const char *path, const struct herd_graph_opts *o, int vertices,
                             const uint64_t *cuts, int k, struct herd_scan_context *out,
                             struct herd_err *e);

/* Parses a staged range: `bytes` are exactly the file's bytes [ctx->first,
 * ctx->stop) (len = stop - first), `name` the file's name for messages.
 * o->format and the name are not consulted (ctx->format is). Callbacks and
 * returns as herd_graph_scan_range() (HERD_EINVAL: len does not match). */
int herd_graph_scan_staged(const char *name, const void *bytes, size_t len,
                           const struct herd_graph_opts *o, const struct herd_scan_context *ctx,
                           const struct herd_scan_cb *cb, void *arg, struct herd_err *e);

/* In-memory twins for tests and fuzz targets: `name` labels messages and
 * guides the format guess, the text is `bytes` (kept alive by the caller).
 * Returns as the file versions. */
int herd_graph_scan_range_mem(const char *name, const void *bytes, size_t len,
                              const struct herd_graph_opts *o, uint64_t start, uint64_t end,
                              const struct herd_scan_cb *cb, void *arg, struct herd_err *e);
int herd_graph_scan_vertices_range_mem(const char *name, const void *bytes, size_t len,
                                       const struct herd_graph_opts *o, uint64_t start,
                                       uint64_t end, const struct herd_scan_cb *cb, void *arg,
                                       struct herd_err *e);
int herd_graph_scan_contexts_mem(const char *name, const void *bytes, size_t len,
                                 const struct herd_graph_opts *o, int vertices,
                                 const uint64_t *cuts, int k, struct herd_scan_context *out,
                                 struct herd_err *e);
int herd_graph_scan_finish_mem(const char *name, const void *bytes, size_t len,
                               const struct herd_graph_opts *o, uint64_t nedges, uint64_t nvertices,
                               struct herd_err *e);

#endif
