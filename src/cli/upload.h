/* upload — `herd submit`'s side of staging: the local files a job spec
 * names (inputs given by path, plugins given by path) are uploaded to the
 * master's blob store (PUT /v1/blobs/SHA256) and the spec is rewritten to
 * name them by content address, so the client and the master need not share
 * a file system (docs/tasks.md). Each distinct path is read and uploaded
 * once per call, whatever the number of tasks naming it.
 *
 * Main thread of the CLI; uses the caller's client. */
#ifndef HERD_CLI_UPLOAD_H
#define HERD_CLI_UPLOAD_H

#include "api/client.h"
#include "base/err.h"
#include "master/spec.h"
#include "wire/cas.h"

#include <stdint.h>

struct herd_upload_stats {
    uint32_t files;  /* distinct local files uploaded */
    uint64_t bytes;  /* their total size */
};

/* Uploads one local file; HERD_OK and its address in sha. HERD_EIO when it
 * cannot be read, HERD_ENOMEM, or HERD_EIO/HERD_EINVAL when the master
 * refuses it (the message says why, e.g. over its body limit). */
int herd_upload_file(struct herd_client *c, const char *path, char sha[HERD_CAS_HEX + 1],
                     uint64_t *size, struct herd_err *e);

/* Uploads every "@path" input and plugin of spec and rewrites them in place
 * to content addresses. Paths are relative to the current directory. On
 * failure the spec may be partly rewritten (the caller frees it anyway);
 * the message names the file. *st (may be NULL) is written on success. */
int herd_upload_spec(struct herd_client *c, struct herd_job_spec *spec,
                     struct herd_upload_stats *st, struct herd_err *e);

#endif
