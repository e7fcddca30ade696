/* The HTTP API's one route table (STYLE habit 10) and its handlers. Each
 * handler reads the core on the loop thread and answers JSON (docs/api.md). */
#include "api/http_int.h"

#include "api/b64.h"
#include "api/http_graph.h"
#include "api/spec_json.h"
#include "base/log.h"
#include "base/version.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a decimal id of at most `max`; -1 on junk (leading zeros allowed
 * only for "0" itself, so each id has one spelling). */
int herd_http_parse_id(const char *s, uint64_t max, uint64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* The {id} capture as a known job: fills *job and returns 1, or answers
 * 400/404 and returns 0. */
static int known_job(struct herd_http_call *c, struct herd_http_reply *r, uint64_t *id,
                     struct herd_job_info *job)
{
    if (herd_http_parse_id(c->caps[0], UINT64_MAX, id) != 0) {
        herd_http_reply_error(r, 400, "bad job id '%.40s'", c->caps[0]);
        return 0;
    }
    if (herd_core_job_info(c->h->core, *id, job) != HERD_OK) {
        herd_http_reply_error(r, 404, "no job %" PRIu64, *id);
        return 0;
    }
    return 1;
}

static uint64_t core_now(struct herd_http *h)
{
    return h->now ? h->now(h->now_ctx) : herd_mono_ms();
}

/* ---- views ---- */

static json_t *job_json(const struct herd_job_info *j)
{
    return json_pack("{s:I, s:s*, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:I}", "id",
                     (json_int_t)j->id, "name", j->name, "state", j->state, "priority",
                     (int)j->priority, "total", (int)j->total, "pending", (int)j->pending,
                     "running", (int)j->running, "succeeded", (int)j->succeeded, "failed",
                     (int)j->failed, "canceled", (int)j->canceled, "submitted_ms",
                     (json_int_t)j->submitted_ms, "finished_ms", (json_int_t)j->finished_ms);
}

struct collect {
    struct herd_http *h;
    json_t *arr;
    int oom;
};

static void add_item(struct collect *k, json_t *item)
{
    if (item == NULL || json_array_append_new(k->arr, item) != 0)
        k->oom = 1;
}

static void add_worker(void *arg, const struct herd_worker_info *w)
{
    struct collect *k = arg;
    json_t *labels = json_array();
    for (uint32_t i = 0; labels && i < w->nlabels; i++)
        json_array_append_new(labels, json_string(w->labels[i]));
    uint64_t now = core_now(k->h);
    uint64_t age = now > w->last_heartbeat_ms ? now - w->last_heartbeat_ms : 0;
    add_item(k, json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:i, s:I, s:I, s:i, s:o?}", "id", w->id,
                          "host", w->host, "state", w->state, "cores", (int)w->cores,
                          "cores_used", (int)w->cores_used, "memory", (json_int_t)w->memory,
                          "running", (int)w->running, "last_heartbeat_ms",
                          (json_int_t)w->last_heartbeat_ms, "heartbeat_age_ms",
                          (json_int_t)age, "data_port", (int)w->data_port, "labels", labels));
}

static void add_job(void *arg, const struct herd_job_info *j)
{
    add_item(arg, job_json(j));
}

static void add_task(void *arg, const struct herd_task_info *t)
{
    add_item(arg, json_pack("{s:i, s:I, s:s*, s:s, s:i, s:i, s:s}", "index", (int)t->index, "id",
                            (json_int_t)t->id, "name", t->name, "state", t->state, "attempts",
                            (int)t->attempts, "exit_code", (int)t->exit_code, "worker",
                            t->worker ? t->worker : ""));
}

/* Answers {key: collected array}. */
static void reply_list(struct herd_http_reply *r, struct collect *k, const char *key,
                       json_t *extra)
{
    if (k->oom || k->arr == NULL) {
        json_decref(k->arr);
        json_decref(extra);
        herd_http_reply_error(r, 500, "out of memory");
        return;
    }
    json_t *o = extra ? extra : json_object();
    if (o != NULL && json_object_set_new(o, key, k->arr) != 0) {
        json_decref(o);
        o = NULL;
    }
    herd_http_reply_json(r, 200, o);
}

/* ---- handlers ---- */

static void get_index(struct herd_http_call *c, struct herd_http_reply *r)
{
    (void)c;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < herd_http_nroutes; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "method",
                                             herd_http_routes[i].method, "path",
                                             herd_http_routes[i].pattern, "help",
                                             herd_http_routes[i].help));
    herd_http_reply_json(r, 200, arr ? json_pack("{s:o}", "routes", arr) : NULL);
}

static void get_health(struct herd_http_call *c, struct herd_http_reply *r)
{
    struct herd_core_stats st;
    herd_core_stats(c->h->core, &st);
    herd_http_reply_json(
        r, 200,
        json_pack("{s:s, s:s, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I}}", "status", "ok",
                  "version", HERD_VERSION, "auth", c->h->secret != NULL, "stats",
                  "results_accepted", (json_int_t)st.results_accepted, "results_refused",
                  (json_int_t)st.results_refused, "workers_lost", (json_int_t)st.workers_lost,
                  "attempts_retried", (json_int_t)st.attempts_retried, "jobs_in_memory",
                  (json_int_t)st.jobs_in_memory, "jobs_evicted", (json_int_t)st.jobs_evicted));
}

static void get_workers(struct herd_http_call *c, struct herd_http_reply *r)
{
    struct collect k = {c->h, json_array(), 0};
    if (k.arr != NULL)
        herd_core_each_worker(c->h->core, add_worker, &k);
    reply_list(r, &k, "workers", NULL);
}

static void get_jobs(struct herd_http_call *c, struct herd_http_reply *r)
{
    struct collect k = {c->h, json_array(), 0};
    if (k.arr != NULL)
        herd_core_each_job(c->h->core, add_job, &k);
    reply_list(r, &k, "jobs", NULL);
}

static void post_jobs(struct herd_http_call *c, struct herd_http_reply *r)
{
    struct herd_job_spec spec;
    struct herd_err e;
    uint64_t id = 0;
    herd_err_clear(&e);
    int rc = herd_spec_json_parse(c->body, c->len, &spec, &e);
    if (rc == HERD_OK) {
        rc = herd_core_resolve_files(c->h->core, &spec, &e);
        if (rc == HERD_OK)
            rc = herd_core_submit(c->h->core, &spec, &id, &e);
        herd_job_spec_free(&spec);
    }
    if (rc == HERD_EFULL) {
        herd_http_reply_error(r, 429, "%s", e.msg);
        r->retry_after = 1;
        return;
    }
    if (rc == HERD_EINVAL || rc == HERD_EPARSE) {
        herd_http_reply_error(r, 400, "%s", e.msg);
        return;
    }
    if (rc != HERD_OK) {
        herd_warn("http", "submit failed: %s", e.msg);
        herd_http_reply_error(r, rc == HERD_ENOMEM ? 503 : 500, "%s", e.msg);
        return;
    }
    snprintf(r->location, sizeof r->location, "/v1/jobs/%" PRIu64, id);
    herd_http_reply_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

static void get_job(struct herd_http_call *c, struct herd_http_reply *r)
{
    uint64_t id;
    struct herd_job_info j;
    json_t *g = herd_http_parse_id(c->caps[0], UINT64_MAX, &id) == 0 ? herd_http_graph_json(c->h, id)
                                                                   : NULL;
    if (g != NULL) /* graph jobs share the id space (ids above 1000000) */
        herd_http_reply_json(r, 200, g);
    else if (known_job(c, r, &id, &j))
        herd_http_reply_json(r, 200, job_json(&j));
}

static void get_tasks(struct herd_http_call *c, struct herd_http_reply *r)
{
    uint64_t id;
    struct herd_job_info j;
    if (!known_job(c, r, &id, &j))
        return;
    struct collect k = {c->h, json_array(), 0};
    if (k.arr != NULL)
        herd_core_each_task(c->h->core, id, add_task, &k);
    reply_list(r, &k, "tasks", json_pack("{s:I}", "job", (json_int_t)id));
}

static void post_cancel(struct herd_http_call *c, struct herd_http_reply *r)
{
    uint64_t id;
    struct herd_job_info j;
    struct herd_err e;
    if (!known_job(c, r, &id, &j))
        return;
    if (herd_core_cancel(c->h->core, id, &e) != HERD_OK) {
        herd_http_reply_error(r, 500, "cancel job %" PRIu64 ": %s", id, e.msg);
        return;
    }
    if (herd_core_job_info(c->h->core, id, &j) != HERD_OK) {
        herd_http_reply_error(r, 404, "no job %" PRIu64, id);
        return;
    }
    herd_http_reply_json(r, 200, job_json(&j));
}

/* stdout/stderr of one task: JSON by default (UTF-8 text, or base64 when
 * the bytes are not UTF-8), raw bytes when the client's Accept asks. */
static void task_output(struct herd_http_call *c, struct herd_http_reply *r, int want_stderr)
{
    uint64_t id, index;
    struct herd_job_info j;
    const char *stream = want_stderr ? "stderr" : "stdout";
    if (!known_job(c, r, &id, &j))
        return;
    if (herd_http_parse_id(c->caps[1], UINT32_MAX, &index) != 0) {
        herd_http_reply_error(r, 400, "bad task index '%.40s'", c->caps[1]);
        return;
    }
    if (index >= j.total) {
        herd_http_reply_error(r, 404, "job %" PRIu64 " has no task %" PRIu64 " (%u tasks)", id,
                              index, j.total);
        return;
    }
    uint8_t *out = NULL;
    size_t len = 0;
    if (herd_core_task_output(c->h->core, id, (uint32_t)index, want_stderr, &out, &len) !=
        HERD_OK) {
        herd_http_reply_error(r, 404, "no output recorded yet for job %" PRIu64 " task %" PRIu64,
                              id, index);
        return;
    }
    if (c->want_raw) {
        r->status = 200;
        r->raw = out ? (char *)out : calloc(1, 1);
        r->rawlen = len;
        r->ctype = "application/octet-stream";
        return;
    }
    json_t *data = json_stringn((const char *)(out ? out : (uint8_t *)""), len);
    const char *enc = "utf-8";
    if (data == NULL) {
        char *b = herd_b64_encode(out, len);
        data = b ? json_string(b) : NULL;
        free(b);
        enc = "base64";
    }
    free(out);
    herd_http_reply_json(r, 200,
                         data ? json_pack("{s:I, s:I, s:s, s:s, s:o}", "job", (json_int_t)id,
                                          "task", (json_int_t)index, "stream", stream,
                                          "encoding", enc, "data", data)
                              : NULL);
}

int herd_http_known_task(struct herd_http_call *c, struct herd_http_reply *r, uint64_t *job,
                         uint32_t *index)
{
    uint64_t ix;
    struct herd_job_info j;
    if (!known_job(c, r, job, &j))
        return 0;
    if (herd_http_parse_id(c->caps[1], UINT32_MAX, &ix) != 0) {
        herd_http_reply_error(r, 400, "bad task index '%.40s'", c->caps[1]);
        return 0;
    }
    if (ix >= j.total) {
        herd_http_reply_error(r, 404, "job %" PRIu64 " has no task %" PRIu64, *job, ix);
        return 0;
    }
    *index = (uint32_t)ix;
    return 1;
}

static void get_stdout(struct herd_http_call *c, struct herd_http_reply *r)
{
    task_output(c, r, 0);
}

static void get_stderr(struct herd_http_call *c, struct herd_http_reply *r)
{
    task_output(c, r, 1);
}

const struct herd_http_route herd_http_routes[] = {
    {"GET", "/v1", get_index, "this list of routes"},
    {"GET", "/v1/health", get_health, "liveness, version and core counters"},
    {"GET", "/v1/workers", get_workers, "workers with state, cores and heartbeat age"},
    {"GET", "/v1/jobs", get_jobs, "all jobs with task counts"},
    {"POST", "/v1/jobs", post_jobs, "submit a job spec (docs/job-spec.md); 201 {\"id\": N}"},
    {"GET", "/v1/jobs/{id}", get_job, "one job with task counts"},
    {"GET", "/v1/jobs/{id}/tasks", get_tasks, "the tasks of a job"},
    {"POST", "/v1/jobs/{id}/cancel", post_cancel, "cancel a job; answers the job"},
    {"GET", "/v1/jobs/{id}/tasks/{index}/stdout", get_stdout, "recorded stdout of a task"},
    {"GET", "/v1/jobs/{id}/tasks/{index}/stderr", get_stderr, "recorded stderr of a task"},
    {"POST", "/v1/graph-jobs", herd_http_graph_post,
     "submit a distributed graph job (docs/api.md); 201 {\"id\": N}"},
    {"GET", "/v1/graph-jobs", herd_http_graph_list, "all graph jobs"},
    {"GET", "/v1/graph-jobs/{id}", herd_http_graph_get,
     "one graph job: state, superstep, per-superstep statistics"},
    {"POST", "/v1/graph-jobs/{id}/cancel", herd_http_graph_cancel, "fail a running graph job"},
    {"GET", "/v1/jobs/{id}/tasks/{index}/files", herd_http_get_files,
     "output files of a task: name, sha256, size"},
    {"GET", "/v1/jobs/{id}/tasks/{index}/files/{name}", herd_http_get_file,
     "the bytes of one output file of a task"},
    {"GET", "/v1/jobs/{id}/tasks/{index}/attempts", herd_http_get_attempts,
     "every attempt of a task, with the stderr of failed ones"},
    {"PUT", "/v1/blobs/{sha256}", herd_http_put_blob,
     "store the body as a blob (input or plugin); the path names its SHA-256"},
    {"GET", "/v1/blobs/{sha256}", herd_http_get_blob, "the bytes of a stored blob"},
};
const size_t herd_http_nroutes = sizeof herd_http_routes / sizeof herd_http_routes[0];
