/* spec_json — the JSON job spec (docs/job-spec.md) to and from
 * `struct herd_job_spec` (master/spec.h), with jansson.
 *
 * The parser is strict: unknown fields, wrong types and out-of-range values
 * are refused with a message that starts with the JSON path of the culprit,
 * e.g. "tasks[3].argv[1]: expected string". It fills the defaults (priority 0,
 * retries 3, cores 1) and checks that dependencies name existing tasks;
 * dependency cycles are left to the master core (herd_core_submit). Each
 * task must also fit the ASSIGN message a worker decodes (herd_msg_validate).
 * Called by the HTTP API (POST /v1/jobs) and by `herd submit`, on any thread;
 * no shared state. */
#ifndef HERD_API_SPEC_JSON_H
#define HERD_API_SPEC_JSON_H

#include "base/err.h"
#include "master/spec.h"
#include "wire/msg.h"

#include <jansson.h>
#include <stddef.h>

#define HERD_SPEC_MAX_TASKS 1000000u
#define HERD_SPEC_MAX_STR HERD_MSG_MAX_ARG /* one argv/env/cmd/name string (wire limit) */
#define HERD_SPEC_MAX_CORES 65536u
#define HERD_SPEC_MAX_RETRIES 1000u

/* Parses `len` bytes of JSON text. HERD_OK and *out (free with
 * herd_job_spec_free), HERD_EPARSE for text that is not JSON ("invalid JSON
 * at line L, column C: ..."), HERD_EINVAL for JSON that is not a valid spec
 * (the message starts with the path), or HERD_ENOMEM. *out is written only
 * on success. */
int herd_spec_json_parse(const char *text, size_t len, struct herd_job_spec *out,
                         struct herd_err *e);

/* The same from an already parsed JSON value (borrowed). */
int herd_spec_json_from(const json_t *root, struct herd_job_spec *out, struct herd_err *e);

/* Encodes a spec as JSON that herd_spec_json_parse() reads back to an equal
 * spec. Returns a new reference, or NULL on out-of-memory. */
json_t *herd_spec_json_encode(const struct herd_job_spec *s);

/* spec_files.c: the file fields of one task ("inputs", "outputs",
 * "plugin"; after its program is parsed) and the job's "retry_on". */
int herd_spec_json_files(const json_t *task, struct herd_task_spec *t, const char *path,
                         struct herd_err *e);
int herd_spec_json_retry_on(const json_t *v, struct herd_job_spec *s, struct herd_err *e);
/* Adds the file fields of t to the task object o; -1 on out-of-memory. */
int herd_spec_json_encode_files(const struct herd_task_spec *t, json_t *o);
json_t *herd_spec_json_encode_retry_on(uint32_t bits);

/* Parses a byte size: a non-negative integer, optionally followed by K, M, G
 * or T (powers of 1024; case-insensitive; an optional trailing "B" or "iB").
 * HERD_OK and *out, or HERD_EINVAL on junk or overflow. */
int herd_spec_parse_size(const char *s, uint64_t *out);

#endif
