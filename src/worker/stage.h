/* stage — the worker's side of file staging (docs/tasks.md): a
 * content-addressed cache of blobs in <work_dir>/cache/<sha256>, filled from
 * the master in chunks (FETCH -> BLOB) the first time an attempt needs a
 * blob, so a file used by many tasks crosses the network once per worker;
 * inputs hard-linked into a sandbox under their declared names; declared
 * outputs hashed, kept in the cache and sent to the master (STORE chunks)
 * before the attempt's RESULT.
 *
 * An attempt whose blobs are all cached is ready at once; otherwise it
 * waits, and `ready` (or `failed`) is called later from herd_stage_blob().
 * Loop thread only. Cached files are read-only; a task that must modify an
 * input copies it first (the files are hard links into the cache). */
#ifndef HERD_WORKER_STAGE_H
#define HERD_WORKER_STAGE_H

#include "base/err.h"
#include "wire/msg.h"

#include <stdint.h>

struct herd_stage;

struct herd_stage_io {
    void *ctx;
    /* Send FETCH / STORE to the master; returns 0 if there is no connection. */
    int (*send)(void *ctx, const struct herd_msg *m);
    /* Every blob of the attempt is cached: start it (a is borrowed). */
    void (*ready)(void *ctx, const struct herd_msg_assign *a);
    /* A blob could not be fetched: end the attempt with status ERROR. */
    void (*failed)(void *ctx, const struct herd_msg_assign *a, const char *why);
    /* Output uploads (herd_stage_upload_paced); these may be NULL when only
     * herd_stage_upload is used. Bytes queued on the connection to the
     * master and not yet written (NULL: never wait): */
    size_t (*queued)(void *ctx);
    /* The connection is over the window: call herd_stage_pump() soon. */
    void (*later)(void *ctx);
    /* Every output of r is on the connection (or could not be sent, the
     * connection being gone): send r's RESULT now (r is borrowed). */
    void (*uploaded)(void *ctx, const struct herd_msg_result *r);
};

/* Upload flow control: at most this many bytes queued on the connection
 * before the pump waits for it to drain. */
#define HERD_STAGE_UPLOAD_WINDOW (4u << 20)

/* Creates <work_dir>/cache. HERD_EIO. */
int herd_stage_create(const char *work_dir, const struct herd_stage_io *io,
                      struct herd_stage **out, struct herd_err *e);
void herd_stage_destroy(struct herd_stage *s);
const char *herd_stage_cache_dir(const struct herd_stage *s);

/* Begins staging an attempt (its inputs and plugin). Returns 1 if all is
 * cached (the caller starts it now; `ready` is not called), 0 if it waits
 * (a copy is kept), or -1 with *e if an address is malformed. */
int herd_stage_start(struct herd_stage *s, const struct herd_msg_assign *a, struct herd_err *e);
/* A BLOB chunk from the master. */
void herd_stage_blob(struct herd_stage *s, const struct herd_msg_blob *b);
/* Forgets a waiting attempt: 1 if it was waiting (the caller reports it
 * KILLED), 0 if it is not staging. */
int herd_stage_kill(struct herd_stage *s, uint64_t attempt_id);
/* The connection to the master is gone: every fetch in flight is dropped
 * and every waiting attempt fails. */
void herd_stage_disconnected(struct herd_stage *s);

/* Hard-links (or copies) each cached input of a into the sandbox directory
 * under its name, creating parent directories. HERD_EIO, HERD_EINVAL. */
int herd_stage_link_inputs(const char *cache_dir, const struct herd_msg_assign *a,
                           const char *sandbox, struct herd_err *e);
/* For each declared output name: hashes sandbox/name, links it into the
 * cache, and writes "SHA SIZE NAME" into (*entries)[i] (malloc'd array of
 * malloc'd strings). HERD_ENOTFOUND naming a missing output, HERD_EIO. */
int herd_stage_collect_outputs(const char *cache_dir, const char *sandbox, char *const *names,
                               uint32_t n, char ***entries, struct herd_err *e);
/* Sends the outputs listed in r (entries as above) to the master in STORE
 * chunks, all at once. Returns 0 if all were queued on the connection, -1
 * otherwise. */
int herd_stage_upload(struct herd_stage *s, const struct herd_msg_result *r);

/* The same with flow control: r is copied into a FIFO of uploads, and STORE
 * chunks go out only while io.queued() is under HERD_STAGE_UPLOAD_WINDOW
 * (otherwise io.later() asks for herd_stage_pump()). Once all of r's
 * chunks are queued, io.uploaded(r) is called (possibly before this
 * returns), so the RESULT follows its outputs and no upload holds more than
 * the window in memory. */
void herd_stage_upload_paced(struct herd_stage *s, const struct herd_msg_result *r);
/* Sends what the window allows now. */
void herd_stage_pump(struct herd_stage *s);
/* Uploads not yet handed to io.uploaded. */
size_t herd_stage_uploads(const struct herd_stage *s);

#endif
