/* auth — the cluster secret and the HMAC-SHA256 challenge-response proofs
 * (OpenSSL libcrypto). The secret is never sent, never logged, and compared
 * only in constant time. See docs/protocol.md, "Authentication".
 *
 *   worker proof = HMAC(secret, "herd-worker\0" || master_nonce || worker_nonce || worker_id)
 *   master proof = HMAC(secret, "herd-master\0" || worker_nonce || master_nonce)
 *
 * Thread-safe. */
#ifndef HERD_WIRE_AUTH_H
#define HERD_WIRE_AUTH_H

#include "base/err.h"
#include "wire/msg.h"

#include <stddef.h>
#include <stdint.h>

#define HERD_SECRET_MAX 4096

struct herd_secret {
    size_t len;                      /* 0 = no secret */
    uint8_t key[HERD_SECRET_MAX];
};

/* Reads a secret file: its bytes, with one trailing "\n" stripped, are the
 * key (binary is fine). Returns HERD_OK; HERD_EIO if it cannot be opened or
 * read; HERD_EINVAL if shorter than 16 or longer than HERD_SECRET_MAX bytes.
 * The error message names the path, never the content. *out is written only
 * on success. Warns (log) when the file is group/other-accessible. */
int herd_secret_load(const char *path, struct herd_secret *out, struct herd_err *e);

/* Fresh random nonce from the OS CSPRNG (OpenSSL RAND_bytes). Aborts the
 * process if no random source is available: nothing can be secured then. */
void herd_auth_nonce(uint8_t out[HERD_NONCE_LEN]);

/* The proofs below take `s` NULL or of len 0 as the empty key: the
 * handshake then still runs, but proves nothing (no-secret mode, loopback
 * only). A NULL worker_id is the empty string. If libcrypto cannot compute
 * HMAC-SHA256 the output is random (it never verifies) and an error is
 * logged. */
void herd_auth_worker_mac(const struct herd_secret *s, const uint8_t master_nonce[HERD_NONCE_LEN],
                          const uint8_t worker_nonce[HERD_NONCE_LEN], const char *worker_id,
                          uint8_t out[HERD_MAC_LEN]);
void herd_auth_master_mac(const struct herd_secret *s, const uint8_t worker_nonce[HERD_NONCE_LEN],
                          const uint8_t master_nonce[HERD_NONCE_LEN], uint8_t out[HERD_MAC_LEN]);

/* Constant-time comparison of two MACs: 1 if equal. */
int herd_auth_equal(const uint8_t a[HERD_MAC_LEN], const uint8_t b[HERD_MAC_LEN]);

/* HMAC-SHA256 of arbitrary data (also used for HTTP client tokens). */
void herd_auth_hmac(const struct herd_secret *s, const void *data, size_t len,
                    uint8_t out[HERD_MAC_LEN]);

#endif
