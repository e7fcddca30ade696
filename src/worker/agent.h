/* agent — the worker's brain: the control conversation with the master,
 * reconnection with exponential backoff and jitter, the set of running
 * attempts, results held until the master has them, and drain. No I/O of its
 * own: it reaches the world only through `struct herd_agent_io`, so the same
 * logic runs in the worker daemon (daemon/worker.c, libuv) and in the
 * deterministic simulator (tests/sim/). One thread.
 *
 * Life of a connection: the binding calls herd_agent_connected() once a TCP
 * connection is up; the master sends CHALLENGE; the agent answers HELLO (with
 * its running attempts, for reconciliation); WELCOME or REFUSE follows. On
 * herd_agent_disconnected() (or a missed-heartbeat timeout the agent detects
 * itself) the agent asks the binding to reconnect after a backoff of
 * min(max_backoff, base * 2^k) * (0.5 + random/2) ms.
 *
 * Results: an attempt's result is sent at once when connected and kept until
 * the next HELLO otherwise; it is re-sent after reconnect (the master refuses
 * it if the attempt no longer owns its task). */
#ifndef HERD_WORKER_AGENT_H
#define HERD_WORKER_AGENT_H

#include "wire/auth.h"
#include "wire/msg.h"

#include <stdint.h>

struct herd_agent;

struct herd_agent_io {
    void *ctx;
    /* Start connecting to the master (the binding tries each address in turn);
     * it reports with herd_agent_connected() or herd_agent_disconnected(). */
    void (*connect)(void *ctx);
    void (*send)(void *ctx, const struct herd_msg *m);
    /* Close the current connection; herd_agent_disconnected() follows. */
    void (*close)(void *ctx);
    /* Start running an attempt; completion comes back via
     * herd_agent_task_done(). Return non-zero if it could not start. */
    int (*start)(void *ctx, const struct herd_msg_assign *a);
    /* Kill a running attempt (its process group); task_done follows. */
    void (*kill)(void *ctx, uint64_t attempt_id);
    /* The agent has drained (or was refused for good): exit with this code. */
    void (*exit)(void *ctx, int code);
    uint64_t (*now)(void *ctx);
    uint64_t (*random)(void *ctx);
    /* Optional (NULL = dropped): a message for another part of the worker
     * once registered (BLOB chunks for staging; GRAPH messages for worker/gpart.h). */
    void (*other)(void *ctx, const struct herd_msg *m);
};

struct herd_agent_config {
    const char *worker_id;           /* stable id; required */
    const char *host;
    uint16_t data_port;
    const char *data_host;           /* host part of the data-plane address; NULL = "" */
    uint32_t cores;
    uint64_t memory;
    uint32_t nlabels;
    char *const *labels;
    const struct herd_secret *secret; /* NULL = none */
    uint32_t backoff_base_ms;        /* default 100 */
    uint32_t backoff_max_ms;         /* default 5000 */
};

int herd_agent_create(const struct herd_agent_config *cfg, const struct herd_agent_io *io,
                      struct herd_agent **out, struct herd_err *e);
void herd_agent_destroy(struct herd_agent *a);

/* Begins: asks io->connect(). */
void herd_agent_start(struct herd_agent *a);
void herd_agent_connected(struct herd_agent *a);
void herd_agent_disconnected(struct herd_agent *a);
void herd_agent_msg(struct herd_agent *a, const struct herd_msg *m);
/* An attempt ended; r is copied. */
void herd_agent_task_done(struct herd_agent *a, const struct herd_msg_result *r);
/* Periodic: heartbeats, master-silence detection, reconnect timer. */
void herd_agent_tick(struct herd_agent *a);
uint64_t herd_agent_next_deadline(struct herd_agent *a);
/* SIGTERM: tell the master, take no new attempts, exit 0 when none run. */
void herd_agent_drain(struct herd_agent *a);

/* Number of attempts running now (for tests). */
uint32_t herd_agent_running(const struct herd_agent *a);

#endif
