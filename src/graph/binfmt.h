/* binfmt — herd's binary graph format (.hgr): a 64-byte header, then the
 * id map and the out-CSR arrays, all little-endian; the layout is written
 * down in docs/graph-formats.md. Loading reads each array with one large
 * read and then validates it, so a corrupt file is an error, never a crash.
 *
 * Internal to src/graph and the CLI (`herd convert`, `herd generate`). Any
 * thread; calls are independent. */
#ifndef HERD_GRAPH_BINFMT_H
#define HERD_GRAPH_BINFMT_H

#include "graph/graph.h"
#include "graph/zread.h"

#include <stddef.h>
#include <stdint.h>

#define HERD_BINFMT_VERSION 1
#define HERD_BINFMT_HEADER 64

/* Whether the first bytes of an input carry the .hgr magic. */
int herd_binfmt_is(const uint8_t *head, size_t n);

/* Reads a .hgr stream (plain, or compressed through `z`) into a graph
 * shaped by `o` (directedness, weights, in/out rows, simplify; see
 * docs/graph-formats.md for how a file stored directed is loaded
 * undirected). `name` labels messages. HERD_OK and *out; HERD_EPARSE
 * ("NAME: reason": bad magic, version, truncated, offsets not monotone,
 * target out of range...), HERD_EINVAL (an undirected file asked for as
 * directed), HERD_EIO, HERD_ENOMEM. */
int herd_binfmt_read(const char *name, struct herd_zread *z, const struct herd_graph_opts *o,
                     struct herd_graph **out, struct herd_err *e);

/* Partial read (a distributed worker's share): computes the split of the
 * whole graph into `nparts` partitions (graph/partition.h, from the file's
 * offsets: the same bounds as herd_partition_bounds_of() on the graph the
 * whole-file reader would build with `o`), then reads only the rows of
 * the partitions with owned[p] != 0 (nparts entries) with positioned
 * reads. The result is a PARTIAL graph (graph.h): whole n, ids and (for a
 * directed pull-only load) out_deg; the owned rows exactly as the
 * whole-file reader has them; empty rows elsewhere. Checked like the
 * whole-file reader (header, sizes, offsets, ids, entries and weights of
 * the rows read), so a corrupt file is an error, never a crash; not
 * checked: the symmetry of an undirected file (it needs every row).
 * Returns HERD_OK, *out and bounds[0..nparts]; HERD_EUNSUPPORTED (nothing
 * written, no error text needed by the caller, which loads the whole file
 * instead) when the input is not a plain .hgr file (text, compressed) or
 * the load needs every row: simplify, a directed file loaded undirected
 * (in-rows asked of a file without them are built for the owned vertices
 * by streaming the out-rows); HERD_EINVAL (an undirected file
 * asked for as directed, nparts == 0), HERD_EPARSE, HERD_EIO, HERD_ENOMEM.
 * Any thread. */
int herd_binfmt_read_part(const char *path, const struct herd_graph_opts *o, uint32_t nparts,
                          const uint8_t *owned, uint32_t *bounds, struct herd_graph **out,
                          struct herd_err *e);

/* Writes g (which must have its out-CSR) to `path`, replacing it
 * atomically (temp file + rename). HERD_OK, HERD_EINVAL (no out-CSR),
 * HERD_EIO. */
int herd_binfmt_write(const struct herd_graph *g, const char *path, struct herd_err *e);

#endif
