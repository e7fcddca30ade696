/* binfmt_int — what binfmt.c (whole-file reader, writer) shares with
 * binfmt_part.c (the partial reader): the header's meaning and where each
 * array lies in a plain .hgr file. Not for use outside src/graph/binfmt*.c. */
#ifndef HERD_GRAPH_BINFMT_INT_H
#define HERD_GRAPH_BINFMT_INT_H

#include "base/err.h"

#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HERD_BINFMT_HOST_LE 0
#else
#define HERD_BINFMT_HOST_LE 1
#endif

/* A decoded, checked header and the byte position of every array. */
struct herd_binfmt_layout {
    uint64_t n, m, id_base;
    int directed, weighted, has_ids, has_in;
    uint64_t ids_at;                /* when has_ids */
    uint64_t off_at[2];             /* [0] out-rows, [1] in-rows (when has_in) */
    uint64_t adj_at[2], w_at[2];    /* w_at only when weighted */
    uint64_t size;                  /* the whole file's size the header implies */
};

/* Decodes the 64-byte header `hb` of file `name` (magic, version, flags,
 * counts: the checks of the whole-file reader) into *l. HERD_OK or
 * HERD_EPARSE ("NAME: reason"). */
int herd_binfmt__layout(const char *name, const uint8_t *hb, struct herd_binfmt_layout *l,
                        struct herd_err *e);

/* HERD_OK when ids[0..n) strictly ascend, else HERD_EPARSE naming `name`. */
int herd_binfmt__check_ids(const char *name, const uint64_t *ids, uint64_t n,
                           struct herd_err *e);

/* Reverses the bytes of each `width`-byte element (big-endian hosts). */
void herd_binfmt__swap(void *arr, uint64_t count, int width);

#endif
