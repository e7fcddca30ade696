/* sign — HTTP client authentication for the master's API (docs/api.md,
 * "Authentication"). A client that knows the cluster secret sends
 *
 *   Authorization: HERD-HMAC ts=<unix ms>,nonce=<hex, 16-128 digits>,mac=<64 hex>
 *   mac = HMAC-SHA256(secret, METHOD "\n" PATH "\n" ts "\n" nonce "\n" hex(SHA-256(body)))
 *
 * PATH is the request path without the query string. The server refuses a
 * timestamp more than HERD_SIGN_SKEW_MS away from its clock and a nonce it
 * has already accepted (replay), remembering nonces long enough that a
 * replayed one is always either remembered or out of the time window.
 *
 * herd_sign_header() is pure (any thread). A `struct herd_sign_replay` is
 * owned by one server and used from its thread only. */
#ifndef HERD_API_SIGN_H
#define HERD_API_SIGN_H

#include "base/err.h"
#include "wire/auth.h"

#include <stddef.h>
#include <stdint.h>

#define HERD_SIGN_SKEW_MS (5u * 60u * 1000u)
#define HERD_SIGN_SCHEME "HERD-HMAC"
#define HERD_SIGN_HEADER_MAX 256

/* Writes the Authorization header value for a request into out (at least
 * HERD_SIGN_HEADER_MAX bytes), with timestamp ts_ms and a fresh random
 * nonce. `body` may be NULL when len is 0. */
void herd_sign_header(const struct herd_secret *s, const char *method, const char *path,
                      const void *body, size_t len, uint64_t ts_ms, char *out);

/* The same with a caller-chosen nonce (hex text), for tests and replays. */
void herd_sign_header_nonce(const struct herd_secret *s, const char *method, const char *path,
                            const void *body, size_t len, uint64_t ts_ms, const char *nonce,
                            char *out);

struct herd_sign_replay;

struct herd_sign_replay *herd_sign_replay_create(void);
void herd_sign_replay_destroy(struct herd_sign_replay *r);
/* Nonces currently remembered (for tests). */
size_t herd_sign_replay_size(const struct herd_sign_replay *r);

/* Parsed header fields. */
struct herd_sign_fields {
    uint64_t ts_ms;
    char nonce[129];
    uint8_t mac[HERD_MAC_LEN];
};

/* Parses a header value and checks the timestamp against now_ms (wall
 * clock). Cheap: done before the body is read. HERD_OK and *out, or
 * HERD_EAUTH with the reason ("missing Authorization header", "malformed
 * Authorization header: ...", "timestamp skew ... exceeds 300 s"). */
int herd_sign_precheck(const char *header, uint64_t now_ms, struct herd_sign_fields *out,
                       struct herd_err *e);

/* Full check of a request: precheck, then the MAC over method, path and body
 * (constant-time comparison), then the nonce against the replay cache
 * (recorded on success). HERD_OK, or HERD_EAUTH with the reason ("bad mac",
 * "replayed nonce"). */
int herd_sign_verify(const struct herd_secret *s, struct herd_sign_replay *r, const char *header,
                     const char *method, const char *path, const void *body, size_t len,
                     uint64_t now_ms, struct herd_err *e);

#endif
