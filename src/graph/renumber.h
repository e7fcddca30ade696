/* renumber — hash partitioning by input id: which partition an input id
 * belongs to, the partition-major renumbering of a loaded graph, the
 * lookup of an input id in a renumbered graph, and the k-way merge of
 * per-partition "ID VALUE" files into one file ascending by input id.
 *
 * Hash partitioning: the partition of input id x is mix64(x) mod P, where
 * mix64 is the SplitMix64 finaliser (xor-shift 30/27/31 with two odd
 * multipliers: a bijection on 64 bits that spreads consecutive ids evenly).
 * Dense ids are partition-major: dense = base[p] + rank of x among the ids
 * of partition p (ascending), base the prefix sum of the partition sizes in
 * partition order. Partitions therefore stay contiguous dense ranges
 * (bounds = base), so the engines, the exchange and checkpoints work on a
 * renumbered graph unchanged; within a partition dense order is input-id
 * order, so a partition's result is ascending by input id and the whole
 * result is a k-way merge of the partitions.
 *
 * Used by the one-process run (`herd run --in-process --partitioning
 * hash`), by workers that load a whole graph for a hash-partitioned job
 * (worker/gpart_load.c), and by the client merging part files
 * (cli/run_dist.c). Pure functions on caller-owned data; any thread. */
#ifndef HERD_GRAPH_RENUMBER_H
#define HERD_GRAPH_RENUMBER_H

#include "base/err.h"
#include "graph/graph.h"

#include <stdint.h>
#include <stdio.h>

enum herd_partitioning {
    HERD_PARTITIONING_AUTO = 0, /* per input: see herd_partitioning_resolve() */
    HERD_PARTITIONING_RANGE = 1,
    HERD_PARTITIONING_HASH = 2
};

/* "auto", "range" or "hash"; NULL for anything else. */
const char *herd_partitioning_name(enum herd_partitioning p);

/* Parses "auto" | "range" | "hash": 0 and *p, or -1. */
int herd_partitioning_parse(const char *s, enum herd_partitioning *p);

/* The scheme a job uses: `p` unless it is AUTO, which becomes HASH for a
 * distributed job (`distributed` non-zero) on a text input — `format`
 * (enum herd_graph_format) is not HERD_FMT_BIN and, when it is AUTO, the
 * name of `graph` does not say herd binary — whose workers then load by
 * routing; RANGE otherwise: a .hgr input (its partial reads are by range)
 * and a one-process run (see docs/distributed.md "Partitions"). Every
 * process of a job resolves the same way (same graph name and format). */
enum herd_partitioning herd_partitioning_resolve(enum herd_partitioning p, int distributed,
                                                 const char *graph, int format);

/* The SplitMix64 finaliser (a bijection on 64-bit values). */
uint64_t herd_renumber_mix64(uint64_t x);

/* Partition of input id x under hash partitioning. Precondition: nparts >= 1. */
static inline uint32_t herd_renumber_part_of(uint64_t x, uint32_t nparts)
{
    return (uint32_t)(herd_renumber_mix64(x) % nparts);
}

/* Renumbers a WHOLE graph in place, partition-major under hash
 * partitioning with `nparts` partitions: every row is rebuilt under the new
 * dense ids and re-sorted (by neighbour, then weight), ids[] becomes the
 * permuted input ids, out_deg is permuted; writes nparts+1 partition starts
 * into bounds. Preconditions: g is not partial, nparts >= 1. Returns
 * HERD_OK, or HERD_ENOMEM / HERD_EINVAL (partial graph) with g unchanged. */
int herd_renumber_hash(struct herd_graph *g, uint32_t nparts, uint32_t *bounds,
                       struct herd_err *e);

/* Dense id of input id x in a graph renumbered by herd_renumber_hash with
 * these nparts and bounds: HERD_OK and *v, or HERD_ENOTFOUND. */
int herd_renumber_lookup(const struct herd_graph *g, uint32_t nparts, const uint32_t *bounds,
                         uint64_t x, uint32_t *v);

/* Merges k text inputs whose lines each start with a decimal input id and
 * are ascending by it into `out`, ascending by id (ties: the input with
 * the smaller index first). Lines are copied byte for byte; a last line
 * without a newline gets one. `names` (k entries, may be NULL) name the
 * inputs in errors. HERD_OK, HERD_EPARSE ("NAME:LINE: reason": no leading
 * id, or ids not ascending), HERD_EIO, HERD_ENOMEM. */
int herd_renumber_merge(FILE **in, const char *const *names, uint32_t k, FILE *out,
                        struct herd_err *e);

/* Where herd_renumber_merge_many() gets its k inputs: open(arg, i, &f, e)
 * opens input i (HERD_OK or an error with *e set), done(arg, i, f) closes
 * it once read (and may remove it). Inputs are opened at most
 * HERD_RENUMBER_FANIN at a time, so any k works under a small open-file
 * limit. */
struct herd_merge_src {
    int (*open)(void *arg, uint32_t i, FILE **f, struct herd_err *e);
    void (*done)(void *arg, uint32_t i, FILE *f);
    void *arg;
};

#define HERD_RENUMBER_FANIN 128u

/* herd_renumber_merge over k inputs from src, in rounds of at most
 * HERD_RENUMBER_FANIN open inputs (groups merged into temporary files,
 * then those merged). Returns as herd_renumber_merge (errors name "part"). */
int herd_renumber_merge_many(const struct herd_merge_src *src, uint32_t k, FILE *out,
                             struct herd_err *e);

#endif
