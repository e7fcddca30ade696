/* sim_int — private structures of the simulator shared by sim.c (event
 * loop, faults) and sim_io.c (the io bindings of the master core and the
 * worker agents). Not for other modules. */
#ifndef HERD_SIM_SIM_INT_H
#define HERD_SIM_SIM_INT_H

#include "base/rand.h"
#include "base/u64map.h"
#include "sim/sim.h"
#include "worker/agent.h"

enum ev_kind {
    EV_M_OPEN,         /* master: a connection was accepted */
    EV_M_MSG,          /* master: a message arrived */
    EV_M_CLOSED,       /* master: the connection is gone */
    EV_W_CONNECTED,    /* worker: its connect succeeded */
    EV_W_DISCONNECTED, /* worker: its connection is gone (or the connect failed) */
    EV_W_MSG,          /* worker: a message arrived */
    EV_W_DONE          /* worker: a task process ended (msg is the RESULT) */
};

struct ev {
    uint64_t at, seq;
    enum ev_kind kind;
    uint32_t worker;
    uint32_t inc;       /* incarnation of the master (EV_M_*) or worker (EV_W_*) */
    uint64_t conn;
    int net;            /* travels on the worker's link: held while partitioned */
    int force;          /* EV_W_DISCONNECTED after the worker's own close */
    int canceled;       /* EV_W_DONE superseded by a kill */
    int physical_done;  /* EV_W_DONE: the process already ended (replay after stop) */
    struct herd_msg msg;
};

struct simconn {
    uint32_t worker;
    int m_open, w_open;        /* each side's socket is open */
    int m_known;               /* the core was told of it (conn_open) */
    uint64_t last_to_m, last_to_w; /* FIFO delivery times per direction */
};

struct simtask {
    uint64_t attempt;
    uint32_t cores;
    struct ev *done;
};

struct evlist {
    struct ev **v;
    size_t n, cap;
};

struct simworker {
    struct herd_sim *s;
    uint32_t idx;
    char *id;
    uint32_t cores;
    struct herd_secret secret;
    int has_secret;
    struct herd_agent *agent;
    uint32_t inc;
    int alive, stopped, partitioned, exited, exit_code;
    uint64_t conn;
    uint64_t tick_at;
    struct evlist backlog;     /* input while stopped */
    struct simtask *tasks;
    size_t ntasks, captasks;
    uint32_t busy, max_busy;
    char *refused;
};

struct herd_sim {
    struct herd_sim_config cfg;
    char *journal_path;
    struct herd_secret secret;
    int has_secret;
    struct herd_rand rng;
    uint64_t now, seq;
    struct ev **heap;
    size_t nheap, capheap;
    struct evlist held;        /* network events held by partitions */
    struct herd_core *core;
    uint32_t minc;
    uint64_t master_tick_at;
    struct simconn *conns;     /* index = conn id - 1 */
    size_t nconns, capconns;
    struct simworker **workers;
    uint32_t nworkers;
    size_t capworkers;
    struct herd_u64map starts;  /* task id -> number of starts */
    herd_sim_observe_fn observe;
    void *observe_arg;
    struct herd_sim_stats stats;
};

#define SIM_NEVER UINT64_MAX

/* sim.c */
struct ev *herd_sim__ev(struct herd_sim *s, enum ev_kind k, uint32_t worker, uint64_t conn);
void herd_sim__schedule(struct herd_sim *s, struct ev *e, uint64_t at);
void herd_sim__free_ev(struct ev *e);
uint64_t herd_sim__latency(struct herd_sim *s);
struct simconn *herd_sim__conn(struct herd_sim *s, uint64_t id);
uint64_t herd_sim__new_conn(struct herd_sim *s, uint32_t worker);
/* Schedules a network event in FIFO order on its connection. */
void herd_sim__send_net(struct herd_sim *s, struct ev *e, int to_master);
void herd_sim__after_master(struct herd_sim *s);
void herd_sim__after_agent(struct simworker *w);

/* sim_io.c */
struct herd_core_io herd_sim__master_io(struct herd_sim *s);
struct herd_agent_io herd_sim__agent_io(struct simworker *w);
void herd_sim__task_done(struct simworker *w, struct ev *e);

#endif
