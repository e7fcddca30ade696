/* msg — the control-plane messages between master and workers, and their
 * codec. The normative byte layout is docs/protocol.md; this header is the C
 * view of it. A message is a `struct herd_msg` whose `type` selects one member
 * of the union. Decoding untrusted bytes never crashes: it returns HERD_EPARSE
 * (or HERD_ENOMEM) with a reason, and writes *out only on success.
 *
 * Ownership: herd_msg_decode() allocates the strings and arrays inside the
 * message (herd_msg_decode_view() all but the blobs, which stay the body's);
 * herd_msg_free() releases what the message owns (safe on a zeroed
 * message). Encoders only read the message. Any thread, no shared state. */
#ifndef HERD_WIRE_MSG_H
#define HERD_WIRE_MSG_H

#include "base/bytes.h"
#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#define HERD_NONCE_LEN 32
#define HERD_MAC_LEN 32

/* Limits a decoder enforces on untrusted input. */
#define HERD_MSG_MAX_STR 4096          /* ids, hosts, labels, reasons */
#define HERD_MSG_MAX_ARG (128u << 10)  /* one argv/env entry (Linux MAX_ARG_STRLEN) */
#define HERD_MSG_MAX_ARGS 4096         /* argv/env/labels entries */
#define HERD_MSG_MAX_BLOB (8u << 20)   /* stdout/stderr/payload blobs */
#define HERD_MSG_MAX_IDS 1000000       /* running-attempt lists */
#define HERD_MSG_MAX_GRAPH (15u << 20) /* GRAPH bodies (a plugin .so rides in SETUP) */
#define HERD_MSG_MAX_CHUNK (1u << 20)  /* FETCH/BLOB/STORE data chunk */
#define HERD_MSG_MAX_FILES 65536       /* inputs/outputs of one task */
#define HERD_SHA256_HEX 64             /* content address: lower-case hex SHA-256 */

/* X(NAME, value, direction): the one table of message types. */
#define HERD_MSG_TYPES(X)                                                                          \
    X(CHALLENGE, 1, "master->worker")                                                              \
    X(HELLO, 2, "worker->master")                                                                  \
    X(WELCOME, 3, "master->worker")                                                                \
    X(REFUSE, 4, "master->worker")                                                                 \
    X(HEARTBEAT, 5, "both")                                                                        \
    X(ASSIGN, 6, "master->worker")                                                                 \
    X(RESULT, 7, "worker->master")                                                                 \
    X(KILL, 8, "master->worker")                                                                   \
    X(DRAIN, 9, "worker->master")                                                                  \
    X(FETCH, 20, "worker->master")                                                                 \
    X(BLOB, 21, "master->worker")                                                                  \
    X(STORE, 22, "worker->master")                                                                 \
    X(GRAPH, 30, "both")

enum herd_msg_type {
#define HERD_X_MT(name, val, dir) HERD_MSG_##name = val,
    HERD_MSG_TYPES(HERD_X_MT)
#undef HERD_X_MT
};

/* Name of a message type ("HELLO"), or NULL for an unknown type. */
const char *herd_msg_type_name(uint16_t type);

/* Master -> worker, first frame on every connection. */
struct herd_msg_challenge {
    uint16_t proto;                  /* protocol version the master speaks */
    uint8_t nonce[HERD_NONCE_LEN];   /* fresh per connection */
};

/* Worker -> master: registration, proof of the secret, reconciliation. */
struct herd_msg_hello {
    uint16_t proto;                  /* protocol version the worker speaks */
    char *herd_version;              /* e.g. "0.1.0" */
    char *worker_id;                 /* stable across reconnects */
    char *host;
    uint16_t data_port;              /* worker's data-plane port, 0 if none */
    uint32_t cores;
    uint64_t memory;                 /* bytes */
    uint32_t nlabels;
    char **labels;                   /* "key=value" */
    uint8_t nonce[HERD_NONCE_LEN];   /* worker's nonce; master proves itself over it */
    uint8_t mac[HERD_MAC_LEN];       /* HMAC over the challenge (see auth.h) */
    uint32_t nrunning;
    uint64_t *running;               /* attempt ids still running on this worker */
    char *data_host;                 /* host peers dial for the data plane ("" if none) */
};

/* Master -> worker: accepted. */
struct herd_msg_welcome {
    uint32_t heartbeat_ms;
    uint32_t lost_after;             /* missed heartbeats before loss */
    uint8_t mac[HERD_MAC_LEN];       /* master's proof over the worker's nonce */
};

/* Master -> worker: refused; the connection closes after it. */
struct herd_msg_refuse {
    uint16_t code;                   /* a HERD_E* code */
    char *reason;
};

/* Either direction. From a worker it lists the attempts it still runs. */
struct herd_msg_heartbeat {
    uint64_t seq;
    uint32_t nrunning;
    uint64_t *running;
};

enum herd_task_kind { HERD_TASK_COMMAND = 1, HERD_TASK_FUNCTION = 2 };

/* Master -> worker: run this attempt. */
struct herd_msg_assign {
    uint64_t attempt_id;
    uint64_t job_id;
    uint64_t task_id;
    uint8_t kind;                    /* enum herd_task_kind */
    uint32_t cores;
    uint64_t memory;
    uint32_t timeout_ms;             /* 0 = none */
    uint32_t nargv;
    char **argv;
    uint32_t nenv;
    char **env;                      /* "NAME=value" */
    uint32_t payload_len;
    uint8_t *payload;                /* function-task argument blob */
    uint32_t ninputs;
    char **inputs;                   /* "SHA256HEX NAME": stage blob as sandbox NAME */
    uint32_t noutputs;
    char **outputs;                  /* sandbox-relative names to stage back */
    char *plugin;                    /* function task: SHA256HEX of the plugin .so, or "" */
};

enum herd_result_status {
    HERD_RESULT_OK = 0,              /* ran, exit code 0 */
    HERD_RESULT_FAILED = 1,          /* ran, non-zero exit or function error */
    HERD_RESULT_TIMEOUT = 2,
    HERD_RESULT_KILLED = 3,          /* killed on the master's request */
    HERD_RESULT_ERROR = 4            /* could not start (bad argv, no plugin...) */
};

/* Worker -> master: an attempt ended. */
struct herd_msg_result {
    uint64_t attempt_id;
    uint64_t job_id;
    uint64_t task_id;
    uint8_t status;                  /* enum herd_result_status */
    int32_t exit_code;               /* or -signal */
    uint32_t stdout_len;
    uint8_t *stdout_data;
    uint32_t stderr_len;
    uint8_t *stderr_data;
    char *error;                     /* worker-side reason, may be "" */
    uint32_t noutputs;
    char **outputs;                  /* "SHA256HEX SIZE NAME", each STOREd before */
};

/* Worker -> master: send me bytes [offset, ...) of the blob `sha256`. */
struct herd_msg_fetch {
    char *sha256;
    uint64_t offset;
};

/* Master -> worker: one chunk of a blob (answer to FETCH). `total` is the
 * blob's size; `error` non-empty (and no data) if the master lacks it. */
struct herd_msg_blob {
    char *sha256;
    uint64_t offset;
    uint64_t total;
    uint32_t data_len;
    uint8_t *data;
    char *error;
};

/* Worker -> master: one chunk of an output blob; chunks arrive in order
 * from offset 0; the master keeps the blob once offset + len == total and
 * the bytes hash to sha256. */
struct herd_msg_store {
    char *sha256;
    uint64_t offset;
    uint64_t total;
    uint32_t data_len;
    uint8_t *data;
};

struct herd_msg_kill {
    uint64_t attempt_id;
};

/* Either direction: one message of a distributed graph job; `op` and `body`
 * are the graph protocol's (wire/gmsg.h, docs/protocol.md section 10). */
struct herd_msg_graph {
    uint64_t job_id;
    uint32_t epoch;                  /* the job's run generation (bumped by recovery) */
    uint8_t op;                      /* enum herd_gop */
    uint32_t body_len;
    uint8_t *body;
};

struct herd_msg {
    uint16_t type;                   /* enum herd_msg_type */
    uint8_t blobs_borrowed;          /* herd_msg_decode_view: blobs are the body's */
    union {
        struct herd_msg_challenge challenge;
        struct herd_msg_hello hello;
        struct herd_msg_welcome welcome;
        struct herd_msg_refuse refuse;
        struct herd_msg_heartbeat heartbeat;
        struct herd_msg_assign assign;
        struct herd_msg_result result;
        struct herd_msg_kill kill;
        struct herd_msg_graph graph;
        struct herd_msg_fetch fetch;
        struct herd_msg_blob blob;
        struct herd_msg_store store;
    } u;                             /* DRAIN has no body */
};

/* Appends m's body (not the frame header) to w. m->type must be known (an
 * unknown type appends nothing); every array pointer must hold its count of
 * entries (NULL strings are sent as ""). Encoding does not check the limits:
 * a message over them is rejected by the receiver — use herd_msg_validate()
 * on anything built from user input (argv, env, labels, outputs). */
void herd_msg_encode(const struct herd_msg *m, struct herd_wbuf *w);

/* Appends a whole frame (header + body) for m to w. */
void herd_msg_frame(const struct herd_msg *m, struct herd_wbuf *w);

/* Decodes a body of the given type. Returns HERD_OK, HERD_EPARSE (truncated,
 * trailing bytes, over a limit, embedded NUL, enum out of range, unknown
 * type) or HERD_ENOMEM, with e->msg naming the message and field
 * ("HELLO: labels: count 5000 over limit 4096"). *out is written only on
 * success and then owns its strings and arrays (herd_msg_free). */
int herd_msg_decode(uint16_t type, const uint8_t *body, size_t len, struct herd_msg *out,
                    struct herd_err *e);

/* As herd_msg_decode, but every blob field (F_BLOB: payloads, outputs,
 * GRAPH bodies, data chunks) points into `body` instead of being copied:
 * valid only while `body` is. Strings and arrays are still the message's
 * own; herd_msg_free() leaves the blobs alone and herd_msg_copy() gives the
 * copy blobs of its own. For a frame handled within its callback (conn.c),
 * where a 1 MiB chunk would otherwise be copied once more. */
int herd_msg_decode_view(uint16_t type, const uint8_t *body, size_t len, struct herd_msg *out,
                         struct herd_err *e);

/* Checks that the peer would accept m: known type, every string/array within
 * its limit, enums in range, and the body within HERD_FRAME_MAX_DEFAULT.
 * Returns HERD_OK, HERD_EPARSE (e->msg as for decode) or HERD_ETOOBIG. Costs
 * one encode and decode; meant for submit-time checks, not per-frame use. */
int herd_msg_validate(const struct herd_msg *m, struct herd_err *e);

/* Frees what decode (or copy) allocated inside m and zeroes it. Safe on a
 * zeroed message and on a message of unknown type (only zeroes it). */
void herd_msg_free(struct herd_msg *m);

/* Deep copy (for queues in the simulator); dst is overwritten, not freed.
 * Aborts on out-of-memory (control-sized). An unknown type copies as zero. */
void herd_msg_copy(struct herd_msg *dst, const struct herd_msg *src);

#endif
