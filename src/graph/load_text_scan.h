/* load_text_scan — the range-scanning entry points of the line parsers in
 * load_text.c, for load_range.c only (internal to src/graph).
 *
 * The whole-file loaders (load_text.h) and these share the per-line and
 * per-chunk code: the same pieces parsed on several threads, the same
 * error texts. Here the parsed pieces are passed, in file order, to the
 * callbacks of a `struct herd_scan_cb` instead of being kept, and ids stay
 * the input's 64-bit ids (DIMACS too). */
#ifndef HERD_GRAPH_LOAD_TEXT_SCAN_H
#define HERD_GRAPH_LOAD_TEXT_SCAN_H

#include "graph/load_range.h"

#include <stddef.h>
#include <stdint.h>

/* A sequential byte source: fills up to `cap` bytes; *got < cap only at its
 * end. HERD_OK or HERD_EIO with *e set. */
struct herd_text_feed {
    int (*read)(void *arg, char *buf, size_t cap, size_t *got, struct herd_err *e);
    void *arg;
    uint64_t size; /* bytes it will give, or an estimate (buffer sizing only) */
};

enum herd_text_kind { HERD_TEXT_EDGES, HERD_TEXT_VERTICES, HERD_TEXT_DIMACS };

/* What the lines before a range fix for it: the file's first data line. */
struct herd_text_first {
    int found;     /* a data line starts before the limit (else the rest is unset) */
    int ncols;     /* SNAP/Graphalytics: its column count (2 or 3) */
    int dim;       /* DIMACS: its problem kind (load_text.c's private enum) */
    uint64_t n, m; /* DIMACS: the counts it declares */
    uint64_t line; /* its line number; when !found, the lines read */
    uint64_t at;   /* its byte offset */
};

/* Reads `feed` (which must start at byte 0 of the file) line by line, up to
 * the file's first data line (DIMACS: the 'p' line) if that line starts
 * before byte `limit`, and parses that line as the whole-file loader does.
 * HERD_OK with *ctx (found = 0 when no data line starts before `limit`), or
 * that line's error: HERD_EPARSE "NAME:LINE: reason" (absolute line),
 * HERD_EIO, HERD_ENOMEM. HERD_TEXT_VERTICES needs no context: found = 0. */
int herd_text_prologue(const char *name, enum herd_text_kind kind,
                       const struct herd_text_feed *feed, uint64_t limit,
                       struct herd_text_first *ctx, struct herd_err *e);

struct herd_text_range {
    const char *name; /* for messages */
    enum herd_text_kind kind;
    int threads;                /* 0 = all cores */
    int weights;                /* as herd_graph_opts.weighted */
    struct herd_text_feed feed; /* the lines of the range, whole */
    /* the file's first data line when it starts before the range (from
     * herd_text_prologue); NULL or !found: the range holds it, if any */
    const struct herd_text_first *before;
    /* newlines before the range; called only to number an error's line */
    uint64_t (*lines_before)(void *arg);
    void *lines_arg;
    const struct herd_scan_cb *cb;
    void *cb_arg;
};

/* Parses the range and passes its edges/vertices/header to r->cb, serially
 * from the calling thread, in file order (`listed` from parser threads).
 * Returns HERD_OK, HERD_EPARSE "NAME:LINE: reason" (absolute line),
 * HERD_EIO, HERD_ENOMEM, or a callback's code. */
int herd_text_scan(const struct herd_text_range *r, struct herd_err *e);

#endif
