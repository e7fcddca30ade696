/* registry — the workers the master knows, and the worker state machine.
 *
 *   CONNECTING --HELLO accepted--> READY --DRAIN--> DRAINING
 *        ^  \                       |  \               |  \--closed, idle--> GONE
 *        |   \--missed heartbeats---+---+--------------+-------------------> LOST
 *        +--------- connection closed (READY, DRAINING with attempts) -----+
 *   LOST, GONE --HELLO (or, for LOST, any message on its open conn)--> READY
 *
 * CONNECTING means "known but without a registered connection": a worker
 * whose connection dropped (its attempts are kept until it is LOST), or one
 * named by orphan attempts loaded from the journal. A worker keeps its
 * record (and id) across reconnects; records are never freed while the core
 * lives. Only the master core calls this module; one thread. */
#ifndef HERD_MASTER_REGISTRY_H
#define HERD_MASTER_REGISTRY_H

#include "master/list.h"

#include <stdint.h>

enum herd_worker_state {
    HERD_WORKER_CONNECTING,
    HERD_WORKER_READY,
    HERD_WORKER_DRAINING,
    HERD_WORKER_LOST,
    HERD_WORKER_GONE,
    HERD_WORKER_NSTATES
};

struct herd_worker {
    char *id;
    char *host;                    /* "" until HELLO */
    enum herd_worker_state state;
    uint32_t cores, cores_used;
    uint64_t memory, memory_used;
    uint16_t data_port;
    char *data_host;               /* from HELLO; "" from an older worker, NULL until HELLO */
    uint32_t nlabels;
    char **labels;
    uint64_t conn;                 /* registered connection, 0 if none */
    uint32_t conn_gen;             /* bumped at every accepted HELLO */
    uint64_t last_seen;            /* core clock of the last message (or of creation) */
    uint32_t zombies;              /* attempts it runs that the master killed; no new work while > 0 */
    int wants_drain;               /* DRAIN arrived while LOST: drain on rejoin */
    uint32_t nlive;                /* live attempts (in `attempts`) */
    struct herd_link attempts;     /* live attempts (herd_attempt.wlink) */
    struct herd_link link;         /* in the registry */
};

struct herd_registry {
    struct herd_link workers;
    uint32_t n;
    uint64_t into[HERD_WORKER_NSTATES];
    uint64_t illegal;
};

const char *herd_worker_state_name(enum herd_worker_state s);
int herd_worker_legal(enum herd_worker_state from, enum herd_worker_state to);

void herd_registry_init(struct herd_registry *r);
/* Frees every worker record (their attempts must be gone already). */
void herd_registry_fini(struct herd_registry *r);

/* The worker with this id, or NULL. */
struct herd_worker *herd_registry_find(struct herd_registry *r, const char *id);
/* Finds or creates (CONNECTING, last_seen = now) the worker with this id. */
struct herd_worker *herd_registry_get(struct herd_registry *r, const char *id, uint64_t now);

/* Replaces host and labels (copies). */
void herd_worker_set_identity(struct herd_worker *w, const char *host, uint32_t nlabels,
                              char *const *labels);

/* 1 if the worker may take a new attempt needing `cores` and `memory` now:
 * READY, connected, no zombies, and enough free capacity (memory 0 on either
 * side means "unspecified" and is not checked). */
int herd_worker_fits(const struct herd_worker *w, uint32_t cores, uint64_t memory);

/* The one transition function (see herd_task_set_state for the contract);
 * counts into r. Entering a state also logs at info for operators. */
int herd_worker_set_state(struct herd_registry *r, struct herd_worker *w,
                          enum herd_worker_state to, const char *why);

#endif
