/* client — the CLI's HTTP client for the master's API (libcurl).
 *
 * A client is made from the master address (api/addr.h convention: the
 * --master flag, else $HERD_MASTER, else 127.0.0.1:7070; requests go to
 * port P+1) and an optional secret file (--secret-file, else
 * $HERD_SECRET_FILE); with a secret every request carries a HERD-HMAC
 * Authorization header (api/sign.h). One client per thread; it keeps its
 * connection alive between calls. */
#ifndef HERD_API_CLIENT_H
#define HERD_API_CLIENT_H

#include "base/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define HERD_CLIENT_SECRET_ENV "HERD_SECRET_FILE"

struct herd_client;

/* `master` and `secret_file` may be NULL (then the environment and defaults
 * apply). HERD_OK and *out; HERD_EINVAL for a bad address; HERD_EIO or
 * HERD_EINVAL from loading the secret (the message names the file). */
int herd_client_create(const char *master, const char *secret_file, struct herd_client **out,
                       struct herd_err *e);
void herd_client_destroy(struct herd_client *c);

/* "http://host:port" the client talks to. */
const char *herd_client_url(const struct herd_client *c);

/* One request. `body` (may be NULL) is sent as JSON. On HERD_OK, *status is
 * the HTTP status and *reply the parsed JSON answer (a new reference; NULL if
 * the answer was empty or not JSON) — any status, including 4xx/5xx, is
 * HERD_OK. HERD_EIO if the master cannot be reached or the exchange fails,
 * with a reason naming the URL. */
int herd_client_call(struct herd_client *c, const char *method, const char *path,
                     const json_t *body, long *status, json_t **reply, struct herd_err *e);

/* A GET that asks for raw bytes (Accept: application/octet-stream). On
 * HERD_OK, *data (malloc'd, NUL-terminated, caller frees) holds *len bytes. */
int herd_client_get_raw(struct herd_client *c, const char *path, long *status, uint8_t **data,
                        size_t *len, struct herd_err *e);

/* A PUT of n raw bytes (Content-Type: application/octet-stream), e.g. a
 * blob upload. Status and reply as for herd_client_call. */
int herd_client_put_raw(struct herd_client *c, const char *path, const void *body, size_t n,
                        long *status, json_t **reply, struct herd_err *e);

/* The "error" text of an API error reply, or a generic text for `status`. */
const char *herd_client_error_text(const json_t *reply, long status);

#endif
