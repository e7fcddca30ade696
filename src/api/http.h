/* http — the master's HTTP JSON API (docs/api.md), served by libmicrohttpd
 * inside the master's event-loop thread.
 *
 * The daemon runs in MHD's external epoll mode: it owns no thread. The
 * embedding loop watches herd_http_fd() for readability and calls
 * herd_http_run() when it is readable, and also when herd_http_timeout_ms()
 * expires (re-read it after every run). With libuv:
 *
 *   uv_poll_init(loop, &poll, herd_http_fd(h));
 *   uv_poll_start(&poll, UV_READABLE, on_readable);   // -> herd_http_run(h)
 *   after each run: uv_timer_start(&timer, on_timer,  // -> herd_http_run(h)
 *                                  min(herd_http_timeout_ms(h), 1000), 0);
 *
 * Handlers call herd_core_* directly, so every herd_http_* call must be made
 * on the thread that owns the core. Routes, errors and authentication are
 * declared once in the route table (api/http_routes.c) and in docs/api.md.
 */
#ifndef HERD_API_HTTP_H
#define HERD_API_HTTP_H

#include "base/err.h"
#include "master/core.h"
#include "wire/auth.h"

#include <stddef.h>
#include <stdint.h>

#define HERD_HTTP_MAX_BODY_DEFAULT (64u << 20)

struct herd_http;

struct herd_http_config {
    const char *host;                 /* bind address (IP literal or name); NULL = 127.0.0.1 */
    uint16_t port;                    /* 0 = any free port (see herd_http_port) */
    size_t max_body;                  /* request body limit; 0 = 64 MiB */
    unsigned max_conns;               /* open connections; 0 = 1024. Beyond it a
                                       * connection is closed at once and logged */
    const struct herd_secret *secret; /* NULL or len 0: no client auth, loopback bind only */
    /* The core's clock (io->now), to turn heartbeat times into ages; NULL =
     * herd_mono_ms. */
    uint64_t (*now)(void *ctx);
    void *now_ctx;
};

/* Binds and starts the API server for `core` (borrowed; must outlive the
 * server). The secret is copied. Returns HERD_OK and *out; HERD_EINVAL for a
 * bad or unresolvable host, or a non-loopback host without a secret;
 * HERD_EIO if the port cannot be bound (the message names host:port). */
int herd_http_create(const struct herd_http_config *cfg, struct herd_core *core,
                     struct herd_http **out, struct herd_err *e);

/* Stops the daemon, closes every connection and frees h (NULL is fine).
 * Stop watching herd_http_fd() before calling it. */
void herd_http_destroy(struct herd_http *h);

/* The epoll fd to watch for readability (stable for h's lifetime). */
int herd_http_fd(struct herd_http *h);

/* Processes whatever is ready: accepts, reads, runs handlers, writes. Never
 * blocks. */
void herd_http_run(struct herd_http *h);

/* Milliseconds until herd_http_run() must be called even if the fd stays
 * quiet (0 = now), or UINT64_MAX if only fd activity matters. */
uint64_t herd_http_timeout_ms(struct herd_http *h);

/* The bound port (the actual one when created with port 0). */
uint16_t herd_http_port(struct herd_http *h);

/* Visits the route table (method, path pattern, help text), for docs and
 * `herd help`-style listings. */
void herd_http_each_route(void (*fn)(void *arg, const char *method, const char *pattern,
                                     const char *help),
                          void *arg);

#endif
