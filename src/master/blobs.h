/* blobs — the master's content-addressed blob store: task inputs uploaded by
 * clients, plugins, and outputs staged back by workers, each kept once as
 * <dir>/<sha256> (docs/tasks.md). Files are written under a temporary name
 * and renamed into place only once their bytes hash to their name, so a
 * reader never sees a partial blob. Workers fetch blobs in chunks (FETCH /
 * BLOB) and store outputs in chunks (STORE), see docs/protocol.md.
 *
 * Only the master's loop thread calls this (the core and the HTTP handlers).
 * Every function returns HERD_OK or a HERD_E* code with a reason in *e. */
#ifndef HERD_MASTER_BLOBS_H
#define HERD_MASTER_BLOBS_H

#include "base/err.h"
#include "wire/cas.h"

#include <stddef.h>
#include <stdint.h>

struct herd_blobs;

/* Opens (creating) the store directory. HERD_EIO if it cannot be made. */
int herd_blobs_open(const char *dir, struct herd_blobs **out, struct herd_err *e);
/* Drops partial uploads (their temporary files) and frees b; NULL is fine. */
void herd_blobs_close(struct herd_blobs *b);

/* 1 and *size (if not NULL) when the blob is stored, else 0. */
int herd_blobs_has(struct herd_blobs *b, const char *sha, uint64_t *size);
/* Path of a blob's file (whether or not it exists) into buf. */
void herd_blobs_path(struct herd_blobs *b, const char *sha, char *buf, size_t n);

/* Stores n bytes; their address goes to out. If `want` is not NULL the
 * bytes must hash to it (HERD_EINVAL otherwise, nothing kept). HERD_EIO. */
int herd_blobs_put(struct herd_blobs *b, const void *p, size_t n, const char *want,
                   char out[HERD_CAS_HEX + 1], struct herd_err *e);
/* Copies a file of the master's machine into the store (HERD_EIO). */
int herd_blobs_put_file(struct herd_blobs *b, const char *path, char out[HERD_CAS_HEX + 1],
                        struct herd_err *e);

/* Reads up to max bytes of a blob from offset into a malloc'd *data (caller
 * frees; NULL when *len is 0) with the blob's size in *total. HERD_ENOTFOUND,
 * HERD_EINVAL (offset past the end), HERD_ENOMEM, HERD_EIO. */
int herd_blobs_read(struct herd_blobs *b, const char *sha, uint64_t offset, uint32_t max,
                    uint8_t **data, uint32_t *len, uint64_t *total, struct herd_err *e);

/* One chunk of an upload by `owner` (a worker id). Chunks must come in
 * order from offset 0; when offset + len == total the upload is checked
 * against sha and kept (*done = 1). An upload of a blob already stored is
 * accepted and its bytes dropped. HERD_EINVAL (out of order, bad address,
 * hash mismatch: the upload is dropped), HERD_EIO. */
int herd_blobs_chunk(struct herd_blobs *b, const char *owner, const char *sha, uint64_t offset,
                     uint64_t total, const uint8_t *data, uint32_t len, int *done,
                     struct herd_err *e);

#endif
