/* http_files — HTTP handlers for files: blobs uploaded by clients (task
 * inputs, plugins), the output files tasks staged back, and the attempts of
 * a task with the stderr of failed ones (docs/api.md). Loop thread. */
#include "api/http_int.h"

#include "api/b64.h"
#include "master/blobs.h"
#include "master/journal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static struct herd_blobs *store(struct herd_http_call *c, struct herd_http_reply *r)
{
    struct herd_blobs *b = herd_core_blobs(c->h->core);
    if (b == NULL)
        herd_http_reply_error(r, 503, "this master has no blob store");
    return b;
}

void herd_http_put_blob(struct herd_http_call *c, struct herd_http_reply *r)
{
    struct herd_blobs *b = store(c, r);
    char sha[HERD_CAS_HEX + 1];
    struct herd_err e;
    if (b == NULL)
        return;
    if (!herd_cas_valid(c->caps[0])) {
        herd_http_reply_error(r, 400, "'%.80s' is not a SHA-256 in lower-case hex", c->caps[0]);
        return;
    }
    int rc = herd_blobs_put(b, c->body, c->len, c->caps[0], sha, &e);
    if (rc != HERD_OK) {
        herd_http_reply_error(r, rc == HERD_EINVAL ? 400 : 500, "%s", e.msg);
        return;
    }
    herd_http_reply_json(r, 201, json_pack("{s:s, s:I}", "sha256", sha, "size",
                                           (json_int_t)c->len));
}

/* Answers the whole blob as raw bytes. */
static void reply_blob(struct herd_http_reply *r, struct herd_blobs *b, const char *sha)
{
    uint8_t *data = NULL;
    uint32_t len = 0;
    uint64_t total = 0;
    struct herd_err e;
    int rc = herd_blobs_read(b, sha, 0, UINT32_MAX, &data, &len, &total, &e);
    if (rc != HERD_OK) {
        herd_http_reply_error(r, rc == HERD_ENOTFOUND ? 404 : 500, "%s", e.msg);
        return;
    }
    r->status = 200;
    r->raw = data ? (char *)data : calloc(1, 1);
    r->rawlen = len;
    r->ctype = "application/octet-stream";
}

void herd_http_get_blob(struct herd_http_call *c, struct herd_http_reply *r)
{
    struct herd_blobs *b = store(c, r);
    if (b != NULL)
        reply_blob(r, b, c->caps[0]);
}

struct list {
    json_t *arr;
    int oom;
};

static void add_file(void *arg, const char *name, const char *sha, uint64_t size)
{
    struct list *l = arg;
    json_t *o = json_pack("{s:s, s:s, s:I}", "name", name, "sha256", sha, "size",
                          (json_int_t)size);
    if (o == NULL || json_array_append_new(l->arr, o) != 0)
        l->oom = 1;
}

static void reply_list(struct herd_http_reply *r, struct list *l, const char *key, uint64_t job,
                       uint32_t index)
{
    if (l->oom || l->arr == NULL) {
        json_decref(l->arr);
        herd_http_reply_error(r, 500, "out of memory");
        return;
    }
    herd_http_reply_json(r, 200, json_pack("{s:I, s:i, s:o}", "job", (json_int_t)job, "task",
                                           (int)index, key, l->arr));
}

void herd_http_get_files(struct herd_http_call *c, struct herd_http_reply *r)
{
    uint64_t job;
    uint32_t index;
    if (!herd_http_known_task(c, r, &job, &index))
        return;
    struct list l = {json_array(), 0};
    if (l.arr != NULL)
        herd_core_each_file(c->h->core, job, index, add_file, &l);
    reply_list(r, &l, "files", job, index);
}

void herd_http_get_file(struct herd_http_call *c, struct herd_http_reply *r)
{
    uint64_t job, size;
    uint32_t index;
    char sha[HERD_CAS_HEX + 1];
    if (!herd_http_known_task(c, r, &job, &index))
        return;
    struct herd_blobs *b = store(c, r);
    if (b == NULL)
        return;
    if (herd_core_task_file(c->h->core, job, index, c->caps[2], sha, &size) != HERD_OK) {
        herd_http_reply_error(r, 404, "job %" PRIu64 " task %u has no output file '%.80s'", job,
                              index, c->caps[2]);
        return;
    }
    reply_blob(r, b, sha);
}

static json_t *text_or_b64(const uint8_t *p, size_t n)
{
    json_t *s = json_stringn(p ? (const char *)p : "", n);
    if (s != NULL)
        return s;
    char *b = herd_b64_encode(p, n);
    s = b ? json_string(b) : NULL;
    free(b);
    return s;
}

static void add_attempt(void *arg, const struct herd_journal_attempt_info *a)
{
    struct list *l = arg;
    json_t *o = json_pack("{s:I, s:s, s:s, s:i, s:i, s:I, s:I}", "id", (json_int_t)a->id,
                          "worker", a->worker ? a->worker : "", "state",
                          a->state ? a->state : "", "status", a->status, "exit_code",
                          (int)a->exit_code, "started_ms", (json_int_t)a->started_ms, "ended_ms",
                          (json_int_t)a->ended_ms);
    if (o != NULL && a->err != NULL)
        json_object_set_new(o, "stderr", text_or_b64(a->err, a->err_len));
    if (o != NULL && a->error != NULL && a->error[0] != '\0')
        json_object_set_new(o, "error", json_string(a->error));
    if (o == NULL || json_array_append_new(l->arr, o) != 0)
        l->oom = 1;
}

void herd_http_get_attempts(struct herd_http_call *c, struct herd_http_reply *r)
{
    uint64_t job;
    uint32_t index;
    if (!herd_http_known_task(c, r, &job, &index))
        return;
    struct list l = {json_array(), 0};
    if (l.arr != NULL)
        herd_core_each_attempt(c->h->core, job, index, add_attempt, &l);
    reply_list(r, &l, "attempts", job, index);
}
