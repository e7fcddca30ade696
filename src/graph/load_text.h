/* load_text — the line-oriented graph loaders: SNAP edge lists, Graphalytics
 * vertex (.v) and edge (.e) files, and DIMACS (`p sp` shortest-path files,
 * PACE `p tw` edge lists, `p edge` colouring files).
 *
 * Internal to src/graph; herd_graph_load() picks the loader. Each loader
 * streams its reader in chunks cut at line boundaries and parses every
 * chunk on `threads` threads (one piece each, its own edge block), so the
 * raw text is never held whole. Errors are HERD_EPARSE with
 * "NAME:LINE: reason" (NAME as given in `src`), HERD_EIO or HERD_ENOMEM from
 * the reader, and HERD_EINVAL for graphs too large to represent. Line rules
 * shared by all formats: LF or CRLF endings, columns separated by spaces or
 * tabs, blank lines skipped. */
#ifndef HERD_GRAPH_LOAD_TEXT_H
#define HERD_GRAPH_LOAD_TEXT_H

#include "graph/elist.h"
#include "graph/idmap.h"
#include "graph/zread.h"

struct herd_text_src {
    const char *name;      /* used in messages */
    struct herd_zread *z;  /* the caller's; read to its end */
    int threads;           /* 0 = all online cores */
    int weights;           /* 0 skip, 1 keep, HERD_GRAPH_WEIGHTS_AUTO keep when present */
};

/* SNAP / Graphalytics edge lines "src dst [weight]" with '#' or '%'
 * comments. Every data line must have the column count of the first one.
 * With `vmap` (a .v file's ids, named `vname` in messages) every endpoint
 * must be listed there and the blocks hold dense ids (el->dense = 1).
 * Appends to `el` (initialised by the caller). */
int herd_text_load_edges(const struct herd_text_src *s, const struct herd_idmap *vmap,
                         const char *vname, struct herd_elist *el, struct herd_err *e);

/* Graphalytics vertex lines "id [anything]"; builds *map from the ids
 * (duplicates count once). */
int herd_text_load_vertices(const struct herd_text_src *s, struct herd_idmap *map,
                            struct herd_err *e);

/* DIMACS: 'c' comments, one `p sp|tw|edge N M` line before any arc, then
 * `a u v w` (sp), `u v` (tw) or `e u v` (edge) lines with 1 <= u,v <= N;
 * the number of arc lines must equal M. Fills `el` with dense ids and *map
 * with the offset map 1..N. */
int herd_text_load_dimacs(const struct herd_text_src *s, struct herd_elist *el,
                          struct herd_idmap *map, struct herd_err *e);

#endif
