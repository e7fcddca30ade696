/* load_text_int — what the two halves of the text loaders share: the line
 * parsers and pieces (load_text.c) and the chunk reader with the entry
 * points (load_text_drive.c). Private to those two files.
 *
 * A "drive" reads a feed in chunks of whole lines; each chunk is cut into
 * pieces, one per thread, parsed with the same per-line code whatever the
 * entry point, and folded back in file order: into an edge list or vertex
 * list (whole file) or through the scan callbacks (range). */
#ifndef HERD_GRAPH_LOAD_TEXT_INT_H
#define HERD_GRAPH_LOAD_TEXT_INT_H

#include "graph/elist.h"
#include "graph/idmap.h"
#include "graph/load_text_scan.h"

#include <stdint.h>

#define HERD_TEXT_CHUNK (32u << 20)        /* text read per round (whole file) */
#define HERD_TEXT_RANGE_CHUNK (8u << 20)   /* a range's round: its 64-bit blocks are larger */
#define HERD_TEXT_LINE_MAX HERD_TEXT_CHUNK /* longer lines are refused */
#define HERD_TEXT_MAX_THREADS 64

enum herd_text_dim { HERD_DIM_SP, HERD_DIM_TW, HERD_DIM_EDGE };

/* What every piece of one load shares (read-only while pieces run). */
struct herd_text_cfg {
    const char *name; /* for messages */
    enum herd_text_kind kind;
    int weights; /* as herd_graph_opts.weighted */
    int threads;
    const struct herd_idmap *vmap; /* whole-file .e: the .v ids, or NULL */
    const char *vname;
    enum herd_text_dim dim;
    uint64_t dim_n;
    int raw;                               /* range scan: 64-bit blocks of input ids (DIMACS too) */
    int (*listed)(void *arg, uint64_t id); /* range scan: .v membership, or NULL */
    void *listed_arg;
    const char *listed_in;
    int check_ids; /* vmap or listed is set */
};

/* One piece of a chunk, parsed by one thread. */
struct herd_text_piece {
    const struct herd_text_cfg *c;
    const char *p, *end;
    uint64_t lines;       /* lines seen so far in this piece */
    uint64_t cap;         /* capacity of the block arrays */
    struct herd_eblock b; /* edges */
    uint64_t *v;          /* vertex ids (vertex files) */
    uint64_t nv;
    int ncols;           /* columns of the first data line; 0 before it */
    uint64_t first_line; /* its line within the piece */
    int err;             /* HERD_OK or the error */
    uint64_t err_line;
    char msg[200];
};

/* A range scan's piece buffers, kept from one chunk to the next so that
 * each chunk does not fault in fresh pages. */
struct herd_text_keep {
    struct herd_eblock b;
    uint64_t *v;
    uint64_t cap;
};

struct herd_text_drive {
    struct herd_text_cfg *c;
    const struct herd_text_feed *feed;
    struct herd_elist *el; /* edges, whole file */
    uint64_t *v;           /* vertex ids, whole file */
    uint64_t nv, vcap;
    uint64_t line_base; /* lines before the current chunk (of the range) */
    int ncols;          /* column count fixed by the first data line */
    int nthreads;
    int need_header;      /* DIMACS: the 'p' line is still to come */
    uint64_t p_line, p_m; /* DIMACS 'p' line and its arc count */
    /* range scan only */
    const struct herd_scan_cb *cb; /* NULL: whole file */
    void *cb_arg;
    uint64_t (*lines_before)(void *arg);
    void *lines_arg;
    uint64_t before; /* lines_before's answer, once asked */
    int have_before;
    struct herd_text_keep *keep; /* HERD_TEXT_MAX_THREADS kept buffers, or NULL */
};

/* A DIMACS 'p' line. */
struct herd_text_phead {
    enum herd_text_dim dim;
    uint64_t n, m;
};

static inline int herd_text_is_ws(char ch)
{
    return ch == ' ' || ch == '\t';
}

static inline const char *herd_text_skip_ws(const char *p, const char *le)
{
    while (p < le && herd_text_is_ws(*p))
        p++;
    return p;
}

/* The absolute number of the range's line `rel` (whole file: rel itself). */
static inline uint64_t herd_text_lineno(struct herd_text_drive *dv, uint64_t rel)
{
    if (dv->lines_before && !dv->have_before) {
        dv->before = dv->lines_before(dv->lines_arg);
        dv->have_before = 1;
    }
    return dv->before + rel;
}

/* Frees kept buffers. */
void herd_text_keep_free(struct herd_text_keep *k);

/* Parses [p, end) — whole lines — on up to dv->nthreads threads and folds
 * the pieces into the drive in order. HERD_OK or the first error. */
int herd_text_run_chunk(struct herd_text_drive *dv, const char *p, const char *end,
                        struct herd_err *e);

/* Parses one line [p, le) (without its newline; a final CR is stripped
 * here, as for every line of a chunk) into a piece: 0, or -1 with pc->err
 * and pc->msg. */
int herd_text_line(struct herd_text_piece *pc, const char *p, const char *le);

/* Parses a DIMACS file's first data line, q at its first non-blank, which
 * must be the 'p' line: 0, or -1 with the reason in tmp->msg. */
int herd_text_p_line(struct herd_text_piece *tmp, const char *q, const char *le,
                     struct herd_text_phead *h);

#endif
