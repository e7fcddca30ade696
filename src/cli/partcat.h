/* partcat — the fast way to join a distributed run's part files
 * (DIR/part-NNNNN, each "ID VALUE" lines ascending by ID) into one result:
 * when the parts, taken in index order, are already in ID order as a whole
 * (a range partitioning: part p holds an ID range below part p+1's), their
 * concatenation is exactly what the k-way merge by ID would write, so they
 * are appended to the output in the kernel (copy_file_range, sendfile, or
 * read/write as the last resort) instead of parsed and merged line by line.
 * Used by run_dist.c on the CLI main thread; any thread would do.
 *
 * What is checked: every non-empty part starts with a decimal ID, ends with
 * a newline, and the ID of its last line is <= the ID of the first line of
 * the next non-empty part. The lines in between are trusted to be ascending
 * (the workers write them so); the k-way merge (graph/renumber.h) is the
 * path that checks every line. */
#ifndef HERD_CLI_PARTCAT_H
#define HERD_CLI_PARTCAT_H

#include "base/err.h"

#include <stdint.h>

/* Whether DIR/part-00000 .. part-(nparts-1) may be concatenated (see
 * above): HERD_OK and *ordered = 1 or 0 (0 also when a part's first or last
 * line cannot be read as "ID ..." within a bounded window: the caller then
 * merges). HERD_EIO ("PATH: reason") when a part cannot be opened or read. */
int herd_partcat_ordered(const char *dir, uint32_t nparts, int *ordered, struct herd_err *e);

/* Appends DIR/part-00000 .. part-(nparts-1), in index order, to the open
 * descriptor `fd` (a regular file, a pipe, a terminal: anything writable,
 * at its current offset) and removes each part once copied. Precondition:
 * herd_partcat_ordered() said 1 (otherwise the output is not in ID order).
 * HERD_OK, or HERD_EIO ("PATH: reason"; the parts not yet copied are left). */
int herd_partcat_copy(const char *dir, uint32_t nparts, int fd, struct herd_err *e);

#endif
