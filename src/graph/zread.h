/* zread — a sequential byte reader over a file or a memory buffer that
 * decompresses gzip (zlib) and xz (liblzma) streams on the fly, recognised
 * by their magic bytes, so every loader streams compressed input without
 * unpacking it to disk or holding it whole.
 *
 * Internal to src/graph. One reader per user; not thread-safe. Error
 * messages start with the name given at open ("g.txt.gz: truncated gzip
 * stream"). */
#ifndef HERD_GRAPH_ZREAD_H
#define HERD_GRAPH_ZREAD_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

struct herd_zread;

/* Opens a file. HERD_OK and *out, HERD_EIO (cannot open: "PATH: reason"),
 * HERD_EPARSE (a compressed stream whose header is bad). */
int herd_zread_open(const char *path, struct herd_zread **out, struct herd_err *e);

/* Reads from memory the caller keeps alive until close; `name` (copied)
 * labels messages. Same returns as herd_zread_open. */
int herd_zread_open_mem(const char *name, const void *p, size_t len, struct herd_zread **out,
                        struct herd_err *e);

/* Reads up to `cap` decoded bytes; *got < cap only at the end of input
 * (*got == 0: nothing left). HERD_OK, HERD_EIO, or HERD_EPARSE (corrupt or
 * truncated compressed data). */
int herd_zread_read(struct herd_zread *z, void *buf, size_t cap, size_t *got,
                    struct herd_err *e);

/* Shows the next (up to) `want` decoded bytes without consuming them. The
 * pointer stays valid until the next call on `z`. */
int herd_zread_peek(struct herd_zread *z, size_t want, const uint8_t **p, size_t *len,
                    struct herd_err *e);

/* Decoded bytes left when known (uncompressed regular file or memory),
 * else UINT64_MAX. */
uint64_t herd_zread_left(const struct herd_zread *z);

/* "plain", "gzip" or "xz". */
const char *herd_zread_codec(const struct herd_zread *z);

void herd_zread_close(struct herd_zread *z);

#endif
