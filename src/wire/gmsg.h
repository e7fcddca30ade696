/* gmsg — the messages of a distributed graph job between the master's
 * superstep coordinator (master/gjob.c) and a worker's graph side
 * (worker/gpart.c). Each travels in the body of a control-plane GRAPH frame
 * (wire/msg.h: job id, epoch, op); this module encodes and decodes that
 * body. Layouts are normative in docs/protocol.md section 10.
 *
 * Decoding untrusted bytes never crashes: HERD_EPARSE with a reason naming
 * the op and field; *out written only on success, then owning its strings
 * and arrays (herd_gmsg_free) — a checkpoint chunk's data excepted, which
 * points into the decoded body. Any thread, no shared state. */
#ifndef HERD_WIRE_GMSG_H
#define HERD_WIRE_GMSG_H

#include "base/bytes.h"
#include "base/err.h"
#include "wire/msg.h"

#include <stdint.h>

#define HERD_GMSG_MAX_AGGS 64
#define HERD_GMSG_MAX_PARTS 65536
#define HERD_GMSG_MAX_WORKERS 4096

enum herd_gop {
    HERD_GOP_SETUP = 1,   /* M->W: load the graph, own these partitions */
    HERD_GOP_READY = 2,   /* W->M: loaded (or failed), data-plane address */
    HERD_GOP_STEP = 3,    /* M->W: run superstep s with these global aggregates */
    HERD_GOP_REPORT = 4,  /* W->M: what superstep s did, per partition */
    HERD_GOP_WRITE = 5,   /* M->W: write your partitions' results */
    HERD_GOP_DONE = 6,    /* W->M: results written (or failed) */
    HERD_GOP_ABORT = 7,   /* M->W: drop this epoch of the job */
    HERD_GOP_CKPT_PUT = 8,  /* W->M: a chunk of a partition's checkpoint file */
    HERD_GOP_CKPT_GET = 9,  /* W->M: send me a chunk of a stored checkpoint file */
    HERD_GOP_CKPT_DATA = 10 /* M->W: the chunk asked for (or why not) */
};

#define HERD_GMSG_MAX_CHUNK (1u << 20)

const char *herd_gop_name(uint8_t op);

struct herd_gsetup {
    char *algo;               /* built-in name, or "" when plugin_len > 0 */
    uint32_t plugin_len;
    uint8_t *plugin;          /* the plugin's .so bytes */
    char *graph;              /* path the worker reads */
    uint8_t format, directed, simplify, has_source;
    uint8_t no_fast_path;     /* 1: the message path even for a pull-capable program */
    uint64_t source;          /* input id */
    uint32_t iterations;
    double damping;
    uint64_t seed;
    char *arg;
    uint32_t threads;         /* 0 = the worker's cores */
    uint32_t nworkers, me;    /* this worker's index among the job's workers */
    uint32_t nparts;
    uint32_t *owner;          /* nparts entries: worker index of each partition */
    char *ckpt_dir;           /* "" = no checkpoints */
    uint64_t restore;         /* 0 = start fresh; else resume from the checkpoint at step `restore` */
    uint8_t partitioning;     /* 0 auto, 1 range, 2 hash (graph/renumber.h) */
    uint32_t npeers;          /* 0 (peers come with the first STEP) or nworkers */
    char **peers;             /* "host:port" of worker i's data plane (i = index) */
};

struct herd_gready {
    uint8_t ok;
    char *error;
    char *dp_addr;            /* "host:port" of this worker's data plane */
    uint64_t n, m;            /* vertices and arcs of the graph */
    uint32_t max_steps;       /* 0 = none */
    uint8_t pull;             /* the engine runs the pull path */
    uint32_t naggs;
    uint8_t agg_op[HERD_GMSG_MAX_AGGS], agg_type[HERD_GMSG_MAX_AGGS];
    double load_ms;
};

struct herd_gstep {
    uint64_t step;
    uint8_t checkpoint;       /* save the state before computing this step */
    uint32_t naggs;
    uint64_t aggs[HERD_GMSG_MAX_AGGS]; /* globals of step-1 (bit patterns) */
    uint32_t npeers;          /* first step of an epoch: every worker's data plane */
    char **peers;
};

struct herd_gpart_report {
    uint32_t part;
    uint64_t computed, active, sent, exchanged;
    uint64_t aggs[HERD_GMSG_MAX_AGGS];
};

enum herd_greport_status { HERD_GREP_OK = 0, HERD_GREP_STOPPED = 1, HERD_GREP_ERROR = 2 };

struct herd_greport {
    uint64_t step;
    uint8_t status;           /* enum herd_greport_status */
    char *error;
    uint8_t saved;            /* a checkpoint of this step was written */
    double compute_ms, ckpt_ms;  /* worker wall time of the step; of its checkpoint */
    uint64_t bytes;           /* data-plane bytes sent in this step */
    uint32_t naggs;
    uint32_t nparts;
    struct herd_gpart_report *parts;
};

struct herd_gwrite {
    char *dir;                /* write part-NNNNN files here */
};

/* WRITE's file of partition `part` in `dir`: "dir/part-NNNNN" (5 digits),
 * written by the worker that owns it and read by the client that merges. */
void herd_gmsg_part_path(char *buf, size_t n, const char *dir, uint32_t part);

struct herd_gdone {
    uint8_t ok;
    char *error;
    double write_ms;
};

/* CKPT_PUT, CKPT_GET and CKPT_DATA: one chunk of the checkpoint file of
 * partition `part` taken at the start of superstep `step` (docs/protocol.md
 * section 10). GET carries step, part and offset only; PUT no error. */
struct herd_gckpt {
    uint64_t step;
    uint32_t part;
    uint64_t offset;          /* of the chunk in the file; chunks come in order */
    uint64_t total;           /* size of the whole file */
    uint32_t len;             /* <= HERD_GMSG_MAX_CHUNK */
    uint8_t *data;
    char *error;              /* DATA: non-empty (and no data) if the master cannot serve it */
};

struct herd_gmsg {
    uint8_t op;
    union {
        struct herd_gsetup setup;
        struct herd_gready ready;
        struct herd_gstep step;
        struct herd_greport report;
        struct herd_gwrite write;
        struct herd_gdone done;
        struct herd_gckpt ckpt;
    } u;                      /* ABORT has no body */
};

/* Appends g's body to w. */
void herd_gmsg_encode(const struct herd_gmsg *g, struct herd_wbuf *w);
/* Builds a GRAPH control message around g; the body is malloc'd into m
 * (free with herd_msg_free). */
void herd_gmsg_wrap(const struct herd_gmsg *g, uint64_t job_id, uint32_t epoch,
                    struct herd_msg *m);
/* The frame of a CKPT_PUT, less its data: the frame header, the GRAPH
 * fields and the chunk's fields up to the data's length; the whole frame is
 * these HERD_GMSG_PUT_HEAD bytes followed by c->len bytes of c->data (the
 * same bytes as herd_msg_frame of herd_gmsg_wrap, which copies the data
 * twice), so a sender can hand the data to the socket as it is
 * (net/conn.h herd_conn_send_tail). Returns HERD_GMSG_PUT_HEAD. */
#define HERD_GMSG_PUT_HEAD (12 + 17 + 32)
size_t herd_gmsg_put_head(const struct herd_gckpt *c, uint64_t job_id, uint32_t epoch,
                          uint8_t out[HERD_GMSG_PUT_HEAD]);
/* Decodes a GRAPH message's body. HERD_OK, HERD_EPARSE or HERD_ENOMEM.
 * A CKPT_PUT/CKPT_DATA chunk's `data` points into `body` (valid while the
 * body is; herd_gmsg_free leaves it alone): chunks of up to 1 MiB are
 * written straight to a file, not copied first. */
int herd_gmsg_decode(uint8_t op, const uint8_t *body, size_t len, struct herd_gmsg *out,
                     struct herd_err *e);
void herd_gmsg_free(struct herd_gmsg *g);

#endif
