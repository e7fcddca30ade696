/* load — choosing a graph loader and running it: herd_graph_load() (declared
 * in graph.h) for files, and in-memory twins for tests and fuzz targets.
 *
 * The format is opts.format, else guessed: "*.hgr" or the binary magic ->
 * herd binary; "*.e"/"*.v" (or a path X with X.e beside it) ->
 * Graphalytics; "*.gr", "*.dimacs" or a first line "p ..."/"c ..." ->
 * DIMACS; anything else -> SNAP edge list. ".gz" and ".xz" inputs are
 * recognised by their magic bytes and decompressed while streaming. Any
 * thread may call these; each call is independent. An input with no edges
 * and no vertices is an error ("NAME: no edges and no vertices"). */
#ifndef HERD_GRAPH_LOAD_H
#define HERD_GRAPH_LOAD_H

#include "graph/graph.h"

#include <stddef.h>
#include <stdint.h>

/* Loads a graph from `len` bytes in memory; `name` labels messages and its
 * extension guides the format guess. Returns as herd_graph_load(). */
int herd_graph_load_mem(const char *name, const void *bytes, size_t len,
                        const struct herd_graph_opts *o, struct herd_graph **out,
                        struct herd_err *e);

/* Loads a Graphalytics pair from memory: edge text and vertex text (`vbytes`
 * may be NULL: no .v, the vertices are the endpoints). */
int herd_graph_load_mem_pair(const char *ename, const void *ebytes, size_t elen,
                             const char *vname, const void *vbytes, size_t vlen,
                             const struct herd_graph_opts *o, struct herd_graph **out,
                             struct herd_err *e);

/* The format a file name suggests (HERD_FMT_AUTO when it says nothing);
 * ".gz"/".xz" suffixes are looked through. */
enum herd_graph_format herd_graph_format_by_name(const char *name);

/* The format the first decoded bytes of an input suggest (never AUTO). */
enum herd_graph_format herd_graph_format_by_content(const uint8_t *head, size_t n);

/* The files herd_graph_load() would read for `path` and o: *epath the edge
 * file and *vpath a Graphalytics vertex file (NULL when there is none),
 * both malloc'd; *fmt the format by name (as herd_graph_load resolves it
 * before looking at content: AUTO stays AUTO when the name says nothing;
 * GRAPHALYTICS for X.e, X.v or a stem X with X.e beside it). */
void herd_graph_input_paths(const char *path, const struct herd_graph_opts *o,
                            enum herd_graph_format *fmt, char **epath, char **vpath);

/* "auto", "snap", "graphalytics", "dimacs", "bin". */
const char *herd_graph_format_name(enum herd_graph_format f);

/* Parses a --format value (the names above, plus "hgr" and "el" aliases).
 * HERD_OK and *f, or HERD_EINVAL. */
int herd_graph_format_parse(const char *s, enum herd_graph_format *f);

#endif
