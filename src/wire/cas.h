/* cas — content addresses: the lower-case hex SHA-256 that names a blob in
 * the master's blob store and in each worker's cache (docs/tasks.md). A
 * streaming hasher, whole-buffer and whole-file helpers, and the check that a
 * string is a well-formed address (so one can be used as a file name).
 * Any thread; no shared state. */
#ifndef HERD_WIRE_CAS_H
#define HERD_WIRE_CAS_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#define HERD_CAS_HEX 64 /* characters of an address, without the NUL */

struct herd_cas_hasher {
    void *ctx; /* EVP_MD_CTX */
};

/* Starts a hash. Aborts on out-of-memory (control-sized object). */
void herd_cas_begin(struct herd_cas_hasher *h);
void herd_cas_update(struct herd_cas_hasher *h, const void *p, size_t n);
/* Writes the address (65 bytes with the NUL) and frees the hasher. */
void herd_cas_end(struct herd_cas_hasher *h, char out[HERD_CAS_HEX + 1]);
/* Frees a hasher without a result (safe after herd_cas_end). */
void herd_cas_abort(struct herd_cas_hasher *h);

void herd_cas_buf(const void *p, size_t n, char out[HERD_CAS_HEX + 1]);

/* Hashes a file's contents. HERD_OK and *out (and *size if not NULL), or
 * HERD_EIO naming the path. */
int herd_cas_file(const char *path, char out[HERD_CAS_HEX + 1], uint64_t *size,
                  struct herd_err *e);

/* 1 if s is exactly 64 lower-case hex digits. */
int herd_cas_valid(const char *s);

#endif
