/* gpart_int — state shared by gpart.c (queue, thread, set-up, supersteps,
 * output) and gpart_ckpt.c (checkpoint files). Graph thread only, except
 * where noted. Not for other modules. */
#ifndef HERD_WORKER_GPART_INT_H
#define HERD_WORKER_GPART_INT_H

#include "graph/engine_dist.h"
#include "graph/graph.h"
#include "worker/dataplane.h"
#include "worker/groute_rx.h"
#include "wire/gmsg.h"
#include "worker/gpart.h"

#include <pthread.h>

/* The graph a worker keeps between epochs of a job (recovery reuses it
 * when it holds the rows of the partitions asked for). gpart_load.c. */
struct gcache {
    char *path;
    struct herd_graph_opts opts;
    int64_t mtime_ns, size;   /* of the file when it was loaded */
    struct herd_graph *g;     /* whole, or partial (graph.h) */
    uint32_t nparts;
    uint32_t *bounds;         /* nparts+1 partition starts */
    uint8_t *owned;           /* partial: the partitions whose rows g holds; NULL: whole */
    int hashed;               /* g renumbered partition-major for nparts (graph/renumber.h) */
};

/* One epoch of one job on this worker. */
struct gjobrun {
    uint64_t job;
    uint32_t epoch;
    uint32_t nparts, me, nworkers;
    uint32_t threads;         /* the job's thread count, capped by the worker's cores */
    uint32_t *owner;
    char *ckpt_dir;
    char *arg;                /* the program's --arg (params.arg points here) */
    void *dl;                 /* plugin handle, or NULL */
    char *plugin_path;
    const struct herd_vertex_program *prog;
    struct herd_vparams params;
    struct herd_engine *en;
    struct herd_dp_session *dp;
    struct herd_groute_rx *route; /* a routed load's receiver (outlives dp), or NULL */
    int connected;
    int pull;                 /* the engine runs the pull path: ship vectors */
    struct herd_gshm *shm;    /* pull arrays mapped with co-located workers (gshm.h), or NULL */
    int shared;               /* -1 undecided; 1: every worker shares them, no VECTOR frames */
    uint64_t restored_at;     /* the step restored from a checkpoint (0 = none) */
    uint64_t *exch_prev;      /* per partition: cumulative records last step */
    struct herd_dist_part_stats *stats;
};

struct ckpt_ship;

struct qent {
    struct qent *next;
    struct herd_msg m;        /* a GRAPH message (deep copy) */
};

struct herd_gpart {
    uv_loop_t *loop;
    uv_async_t async;
    struct herd_dp *dp;
    uint32_t threads;
    char *work_dir;
    void (*send)(void *ctx, const struct herd_msg *m);
    void *ctx;
    pthread_t th;
    pthread_mutex_t mu;       /* guards the two queues, stop and live */
    pthread_cond_t cv;
    struct qent *in_head, *in_tail;   /* loop -> graph thread */
    struct qent *out_head, *out_tail; /* graph thread -> loop */
    int stop;
    struct herd_dp_session *live;     /* the running epoch's session, for ABORT */
    uint64_t live_job;
    uint32_t live_epoch;
    /* graph thread only */
    struct gcache cache;
    struct gjobrun *run;
    /* checkpoints through the master (ckpt_ship.c) */
    struct ckpt_ship *ship;
    size_t (*queued)(void *ctx);      /* bytes waiting on the control connection */
    herd_gpart_send_tail_fn send_tail; /* NULL: chunks are copied into messages */
};

/* gpart_load.c: makes g->cache hold the rows of the partitions s assigns
 * to this worker (loaded, or kept from an earlier epoch or job) and their
 * bounds. r->prog must be set. HERD_OK or the loader's error (the cache is
 * then empty). */
int herd_gpart__graph(struct herd_gpart *g, const struct gjobrun *r, const struct herd_gsetup *s,
                      struct herd_err *e);
/* Dense id of input id x in the cached graph (either partitioning):
 * HERD_OK and *v, or HERD_ENOTFOUND. */
int herd_gpart__lookup(const struct gcache *c, uint64_t x, uint32_t *v);
/* 1 when the job's input is routed between its workers over the data plane
 * (a text input, hash partitioning, several workers, peers in SETUP): the
 * data plane is then connected at SETUP, before loading. */
int herd_gpart__routes(const struct herd_gsetup *s);
/* A routed job (herd_gpart__routes): creates r->route and gives it to the
 * session r->dp, before herd_dp_connect. r->prog must be set. HERD_OK or
 * HERD_EINVAL (a bad owner map). */
int herd_gpart__route_begin(struct gjobrun *r, const struct herd_gsetup *s, struct herd_err *e);
/* Frees the cached graph and clears the cache. */
void herd_gpart__cache_drop(struct gcache *c);

/* gpart_ckpt.c: saves the state at the start of superstep `step` (values
 * and halted flags after step-1, messages sent in step-1) of every owned
 * partition as root/c<step>/p<part>; HERD_OK or HERD_EIO/HERD_ECLOSED. */
int herd_gpart__save(struct gjobrun *r, const char *root, uint64_t step, struct herd_err *e);
/* The same, each owned partition's file built in memory and handed to
 * sink->emit (len bytes in a malloc'd buffer of cap bytes, emit's to own).
 * Where the size is known first (the pull path) the file is built in a
 * buffer from sink->take (at least `size` bytes, its allocation in *cap;
 * NULL: out of memory), else in a growing one. HERD_OK, HERD_ECLOSED or
 * HERD_ENOMEM. */
struct herd_gpart_ckpt_sink {
    uint8_t *(*take)(void *arg, size_t size, size_t *cap);
    void (*emit)(void *arg, uint32_t part, uint8_t *data, size_t len, size_t cap);
    void *arg;
};
int herd_gpart__save_mem(struct gjobrun *r, uint64_t step, const struct herd_gpart_ckpt_sink *sink,
                         struct herd_err *e);
/* Loads the checkpoint of `step` from root/c<step>/ for every owned
 * partition (every partition on the pull path) into the engine and the
 * data-plane session. HERD_OK, HERD_EIO, HERD_EPARSE, HERD_ENOMEM. */
int herd_gpart__restore(struct gjobrun *r, const char *root, uint64_t step, struct herd_err *e);

/* ckpt_ship.c: checkpoints through the master (the job has no shared
 * checkpoint dir). create/destroy/msg/async on the loop thread. */
void herd_gpart__ship_create(struct herd_gpart *g);
void herd_gpart__ship_destroy(struct herd_gpart *g);
/* A GRAPH message from the master: 1 if it was a CKPT_DATA (consumed here);
 * ABORT and SETUP also cancel the job's stale uploads and fetch (0). */
int herd_gpart__ship_msg(struct herd_gpart *g, const struct herd_msg_graph *m);
/* Starts a handed-over fetch and sends upload chunks while the connection's
 * queue allows (the uv_async callback calls it). */
void herd_gpart__ship_async(struct herd_gpart *g);
void herd_gpart__ship_pump(struct herd_gpart *g);
/* Frees the buffers kept for the next checkpoint (the job's run ended). Any
 * thread. */
void herd_gpart__ship_trim(struct herd_gpart *g);
/* Graph thread: builds the owned partitions' files in memory and queues
 * them for the master; returns before they are sent. HERD_OK or as
 * herd_gpart__save_mem. */
int herd_gpart__save_net(struct herd_gpart *g, struct gjobrun *r, uint64_t step,
                         struct herd_err *e);
/* Graph thread: fetches the needed partitions' files of checkpoint `step`
 * from the master (blocking) and restores them. HERD_OK, HERD_EIO (the fetch
 * failed or was cancelled), or as herd_gpart__restore. */
int herd_gpart__restore_net(struct herd_gpart *g, struct gjobrun *r, uint64_t step,
                            struct herd_err *e);

#endif
