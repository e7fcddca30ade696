/* daemon/master — the `herd master` process: binds the master core (core.h) to a
 * libuv loop: the control-plane TCP listener, one framed connection per
 * worker (net/conn.h), the HTTP API (api/http.h) polled on the same loop, a
 * tick timer, and SIGTERM/SIGINT for a clean shutdown (journal closed
 * consistent). Without a cluster secret it binds loopback only and says so.
 * Called from the CLI on the main thread; returns the exit code. */
#ifndef HERD_DAEMON_MASTER_H
#define HERD_DAEMON_MASTER_H

#include "wire/auth.h"

#include <stdint.h>

struct herd_master_config {
    const char *listen_host;   /* default "127.0.0.1" (forced when there is no secret) */
    uint16_t listen_port;      /* 0 = any (tests); default from the CLI is 7070 */
    const char *http_host;     /* default: loopback */
    int http_port;             /* -1 = listen_port + 1 (or any, when listen_port is 0) */
    const char *data_dir;      /* journal.db and events.jsonl live here */
    const struct herd_secret *secret;
    uint32_t heartbeat_ms;     /* 0 = default 1000 */
    uint32_t lost_after;       /* 0 = default 3 */
    uint64_t max_queued;       /* back-pressure: unfinished tasks over which submit gets 429;
                                  0 = the core's default */
    const char *port_file;     /* if set, "control=P\nhttp=Q\n" is written here once listening */
    uint32_t max_conns;        /* open control connections; 0 = 1024. Beyond it a new
                                * connection is closed at once (logged, rate-limited) */
    uint32_t max_http_conns;   /* open HTTP connections; 0 = 1024 */
    const char *tls_cert;      /* TLS on the control port (net/tls.h): certificate and */
    const char *tls_key;       /* key, both or neither; tls_ca (optional) makes every */
    const char *tls_ca;        /* worker present a certificate signed by it */
    uint32_t handshake_ms;     /* a control connection that sends nothing (no HELLO)
                                * for this long is closed; 0 = 10000 */
    uint32_t keep_finished;    /* finished jobs kept in memory, the newest (older ones are
                                * answered from the journal); 0 = the core's 1000 */
    uint64_t keep_finished_ms; /* and each at most this long; 0 = the core's 10 minutes */
};

int herd_master_run(const struct herd_master_config *cfg);

#endif
