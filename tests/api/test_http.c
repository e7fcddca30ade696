/* The HTTP API against a real master core (SQLite journal in a temp dir) and
 * real HTTP over loopback: the core and the API run on a server thread, as
 * on the master's loop thread; requests come from this thread with libcurl.
 * A fake worker, driven on the server thread through the core's connection
 * API, runs assigned tasks instantly so task output can be fetched. */
#include "check.h"

#include "api/client.h"
#include "api/http.h"
#include "api/sign.h"
#include "base/log.h"
#include "cli/cli.h"
#include "master/core.h"
#include "wire/frame.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SECRET "http-test-secret-0123456789"
#define FAKE_CONN 1

struct srv {
    pthread_t thread;
    int ready[2];
    atomic_int stop;
    uint16_t port;
    int with_secret;
    int fake_worker;
    size_t max_body;
    char dir[64];
    struct herd_core *core;
    struct herd_msg *outbox; /* core -> fake worker */
    size_t nout, capout;
    uint64_t last_beat;
};

static void io_send(void *ctx, uint64_t conn, const struct herd_msg *m)
{
    struct srv *s = ctx;
    if (conn != FAKE_CONN)
        return;
    if (s->nout == s->capout) {
        s->capout = s->capout ? s->capout * 2 : 16;
        s->outbox = realloc(s->outbox, s->capout * sizeof *s->outbox);
    }
    herd_msg_copy(&s->outbox[s->nout++], m);
}

static void io_close(void *ctx, uint64_t conn)
{
    (void)ctx;
    (void)conn;
}

static uint64_t io_now(void *ctx)
{
    (void)ctx;
    return herd_mono_ms();
}

static uint64_t io_random(void *ctx)
{
    (void)ctx;
    return (uint64_t)rand();
}

/* The fake worker's answer to one message from the core. */
static void fake_answer(struct srv *s, const struct herd_msg *in)
{
    struct herd_msg m;
    memset(&m, 0, sizeof m);
    if (in->type == HERD_MSG_CHALLENGE) {
        m.type = HERD_MSG_HELLO;
        m.u.hello.proto = HERD_PROTO_VERSION;
        m.u.hello.herd_version = "0.1.0";
        m.u.hello.worker_id = "fake-1";
        m.u.hello.host = "127.0.0.1";
        m.u.hello.cores = 4;
        m.u.hello.memory = 1ull << 30;
    } else if (in->type == HERD_MSG_ASSIGN) {
        const struct herd_msg_assign *a = &in->u.assign;
        static char out[256];
        static uint8_t err[3] = {'e', 0xff, 0xfe}; /* not UTF-8 */
        int fail = a->nargv > 0 && strcmp(a->argv[0], "fail") == 0;
        snprintf(out, sizeof out, "out:%s %s", a->nargv > 0 ? a->argv[0] : "",
                 a->nargv > 1 ? a->argv[1] : "");
        m.type = HERD_MSG_RESULT;
        m.u.result.attempt_id = a->attempt_id;
        m.u.result.job_id = a->job_id;
        m.u.result.task_id = a->task_id;
        m.u.result.status = fail ? HERD_RESULT_FAILED : HERD_RESULT_OK;
        m.u.result.exit_code = fail ? 3 : 0;
        m.u.result.stdout_len = (uint32_t)strlen(out);
        m.u.result.stdout_data = (uint8_t *)out;
        m.u.result.stderr_len = sizeof err;
        m.u.result.stderr_data = err;
        m.u.result.error = "";
    } else {
        return;
    }
    herd_core_conn_msg(s->core, FAKE_CONN, &m);
}

static void pump(struct srv *s)
{
    for (size_t i = 0; i < s->nout; i++) {
        struct herd_msg m = s->outbox[i]; /* answers may grow the outbox */
        fake_answer(s, &m);
        herd_msg_free(&m);
    }
    s->nout = 0;
    if (s->fake_worker && herd_mono_ms() - s->last_beat >= 100) {
        struct herd_msg hb = {.type = HERD_MSG_HEARTBEAT};
        hb.u.heartbeat.seq = s->last_beat = herd_mono_ms();
        herd_core_conn_msg(s->core, FAKE_CONN, &hb);
    }
}

static void *serve(void *arg)
{
    struct srv *s = arg;
    struct herd_err e;
    struct herd_secret sec = {0};
    char journal[128];
    snprintf(journal, sizeof journal, "%s/journal.db", s->dir);
    if (s->with_secret) {
        sec.len = strlen(SECRET);
        memcpy(sec.key, SECRET, sec.len);
    }
    struct herd_core_config cc = {.journal_path = journal, .secret = NULL};
    struct herd_core_io io = {s, io_send, io_close, io_now, io_random};
    if (herd_core_create(&cc, &io, &s->core, &e) != HERD_OK)
        herd_test_fail(__FILE__, __LINE__, "core: %s", e.msg);
    struct herd_http_config hc = {.host = "127.0.0.1", .port = 0, .max_body = s->max_body,
                                  .secret = s->with_secret ? &sec : NULL};
    struct herd_http *h = NULL;
    if (herd_http_create(&hc, s->core, &h, &e) != HERD_OK)
        herd_test_fail(__FILE__, __LINE__, "http: %s", e.msg);
    if (s->fake_worker) {
        herd_core_conn_open(s->core, FAKE_CONN);
        pump(s);
    }
    s->port = herd_http_port(h);
    CHECK(write(s->ready[1], "x", 1) == 1);
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {herd_http_fd(h), POLLIN, 0};
        uint64_t t = herd_http_timeout_ms(h);
        poll(&p, 1, t < 5 ? (int)t : 5);
        herd_http_run(h);
        herd_core_tick(s->core);
        pump(s);
    }
    herd_http_destroy(h);
    herd_core_destroy(s->core);
    free(s->outbox);
    return NULL;
}

static struct srv *start(int with_secret, int fake_worker, size_t max_body)
{
    struct srv *s = calloc(1, sizeof *s);
    s->with_secret = with_secret;
    s->fake_worker = fake_worker;
    s->max_body = max_body;
    snprintf(s->dir, sizeof s->dir, "/tmp/herd-http-XXXXXX");
    CHECK(mkdtemp(s->dir) != NULL);
    CHECK(pipe(s->ready) == 0);
    CHECK(pthread_create(&s->thread, NULL, serve, s) == 0);
    char c;
    CHECK(read(s->ready[0], &c, 1) == 1);
    return s;
}

static void stop(struct srv *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s->dir);
    CHECK(system(cmd) == 0);
    close(s->ready[0]);
    close(s->ready[1]);
    free(s);
}

/* ---- raw HTTP with libcurl ---- */

struct resp {
    long status;
    char body[65536];
    size_t len;
    char allow[128];
    char www[64];
    json_t *json;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t k = size * n;
    if (r->len + k >= sizeof r->body)
        k = sizeof r->body - 1 - r->len;
    memcpy(r->body + r->len, p, k);
    r->len += k;
    r->body[r->len] = '\0';
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t k = size * n;
    if (k > 7 && strncasecmp(p, "Allow: ", 7) == 0)
        snprintf(r->allow, sizeof r->allow, "%.*s", (int)(k - 9), p + 7);
    if (k > 18 && strncasecmp(p, "WWW-Authenticate: ", 18) == 0)
        snprintf(r->www, sizeof r->www, "%.*s", (int)(k - 20), p + 18);
    return k;
}

/* One request; `hdrs` is a NULL-terminated list; chunked forces
 * Transfer-Encoding: chunked for the body. */
static struct resp *req(struct srv *s, const char *method, const char *path, const char *body,
                        size_t blen, const char *const *hdrs, int chunked)
{
    static struct resp r;
    json_decref(r.json);
    memset(&r, 0, sizeof r);
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)s->port, path);
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    for (size_t i = 0; hdrs && hdrs[i]; i++)
        h = curl_slist_append(h, hdrs[i]);
    if (chunked)
        h = curl_slist_append(h, "Transfer-Encoding: chunked");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        if (!chunked)
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK)
        herd_test_fail(__FILE__, __LINE__, "%s %s: %s", method, path, curl_easy_strerror(cc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    r.json = json_loadb(r.body, r.len, 0, NULL);
    return &r;
}

static struct resp *get(struct srv *s, const char *path)
{
    return req(s, "GET", path, NULL, 0, NULL, 0);
}

static struct resp *post(struct srv *s, const char *path, const char *body)
{
    static const char *const json_hdr[] = {"Content-Type: application/json", NULL};
    return req(s, "POST", path, body, strlen(body), json_hdr, 0);
}

static const char *err_of(struct resp *r)
{
    const char *m = json_string_value(json_object_get(r->json, "error"));
    return m ? m : "";
}

#define CHECK_ERR(r, code, frag)                                                                   \
    do {                                                                                           \
        struct resp *_r = (r);                                                                     \
        if (_r->status != (code) || strstr(err_of(_r), (frag)) == NULL)                            \
            herd_test_fail(__FILE__, __LINE__, "want %d '%s', got %ld %s", (code), (frag),        \
                           _r->status, _r->body);                                                  \
    } while (0)

static long long jint(struct resp *r, const char *key)
{
    return json_integer_value(json_object_get(r->json, key));
}

static const char *jstr(struct resp *r, const char *key)
{
    return json_string_value(json_object_get(r->json, key));
}

static void sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls GET path until its "state" is `want` (5 s at most). */
static void poll_state(struct srv *s, const char *path, const char *want)
{
    for (int i = 0; i < 500; i++) {
        struct resp *r = get(s, path);
        if (r->status == 200 && jstr(r, "state") && strcmp(jstr(r, "state"), want) == 0)
            return;
        sleep_ms(10);
    }
    herd_test_fail(__FILE__, __LINE__, "%s never reached state %s", path, want);
}

/* ---- tests ---- */

HERD_TEST(http_health_and_route_list)
{
    struct srv *s = start(0, 0, 0);
    struct resp *r = get(s, "/v1/health");
    CHECK_EQ(r->status, 200);
    CHECK_STR(jstr(r, "status"), "ok");
    CHECK(json_is_false(json_object_get(r->json, "auth")));
    CHECK(json_is_integer(json_object_get(json_object_get(r->json, "stats"), "results_refused")));
    r = get(s, "/v1");
    CHECK_EQ(r->status, 200);
    CHECK_INT(json_array_size(json_object_get(r->json, "routes")), >=, 10);
    r = get(s, "/v1/workers");
    CHECK_EQ(r->status, 200);
    CHECK_EQ(json_array_size(json_object_get(r->json, "workers")), 0);
    stop(s);
}

HERD_TEST(http_submit_get_list_cancel)
{
    struct srv *s = start(0, 0, 0);
    struct resp *r = post(s, "/v1/jobs",
                          "{\"name\": \"j1\", \"priority\": 4, \"tasks\": ["
                          "{\"name\": \"a\", \"argv\": [\"/bin/true\"]},"
                          "{\"name\": \"b\", \"cmd\": \"echo hi\", \"deps\": [\"a\"]}]}");
    CHECK_EQ(r->status, 201);
    long long id = jint(r, "id");
    CHECK_INT(id, >, 0);
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%lld", id);
    r = get(s, path);
    CHECK_EQ(r->status, 200);
    CHECK_EQ(jint(r, "id"), id);
    CHECK_STR(jstr(r, "name"), "j1");
    CHECK_EQ(jint(r, "priority"), 4);
    CHECK_EQ(jint(r, "total"), 2);
    CHECK_STR(jstr(r, "state"), "running");
    r = get(s, "/v1/jobs");
    CHECK_EQ(r->status, 200);
    CHECK_EQ(json_array_size(json_object_get(r->json, "jobs")), 1);
    snprintf(path, sizeof path, "/v1/jobs/%lld/tasks", id);
    r = get(s, path);
    CHECK_EQ(r->status, 200);
    json_t *tasks = json_object_get(r->json, "tasks");
    CHECK_EQ(json_array_size(tasks), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(tasks, 1), "name")), "b");
    snprintf(path, sizeof path, "/v1/jobs/%lld/cancel", id);
    r = post(s, path, "");
    CHECK_EQ(r->status, 200);
    CHECK_STR(jstr(r, "state"), "canceled");
    CHECK_EQ(jint(r, "canceled"), 2);
    snprintf(path, sizeof path, "/v1/jobs/%lld", id);
    poll_state(s, path, "canceled");
    stop(s);
}

HERD_TEST(http_bad_requests_400)
{
    struct srv *s = start(0, 0, 0);
    CHECK_ERR(post(s, "/v1/jobs", "{\"tasks\": [}"), 400, "invalid JSON");
    CHECK_ERR(post(s, "/v1/jobs", "{\"tasks\": [{\"argv\": [\"a\"], \"cpus\": 1}]}"), 400,
              "tasks[0]: unknown field 'cpus'");
    CHECK_ERR(post(s, "/v1/jobs", "{\"tasks\": [{\"argv\": [\"a\", 2]}]}"), 400,
              "tasks[0].argv[1]: expected string");
    CHECK_ERR(post(s, "/v1/jobs", "{\"tasks\": [{\"argv\": [\"a\"], \"deps\": [0]}]}"), 400, "");
    CHECK_ERR(post(s, "/v1/jobs", ""), 400, "invalid JSON");
    CHECK_ERR(get(s, "/v1/jobs/abc"), 400, "bad job id 'abc'");
    CHECK_ERR(get(s, "/v1/jobs/-1"), 400, "bad job id");
    CHECK_ERR(get(s, "/v1/jobs/99999999999999999999999"), 400, "bad job id");
    CHECK_ERR(get(s, "/v1/jobs/007"), 400, "bad job id");
    struct resp *r = get(s, "/v1/jobs");
    CHECK_EQ(json_array_size(json_object_get(r->json, "jobs")), 0); /* nothing was created */
    stop(s);
}

HERD_TEST(http_not_found_and_wrong_method)
{
    struct srv *s = start(0, 0, 0);
    CHECK_ERR(get(s, "/v2/health"), 404, "no route for GET /v2/health");
    CHECK_ERR(get(s, "/v1/jobs/"), 404, "no route");
    CHECK_ERR(get(s, "/v1/jobs/42"), 404, "no job 42");
    CHECK_ERR(post(s, "/v1/jobs/42/cancel", ""), 404, "no job 42");
    CHECK_ERR(get(s, "/v1/jobs/42/tasks/0/stdout"), 404, "no job 42");
    struct resp *r = post(s, "/v1/jobs", "{\"tasks\": [{\"argv\": [\"x\"]}]}");
    CHECK_EQ(r->status, 201);
    long long id = jint(r, "id");
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%lld/tasks/1/stdout", id);
    CHECK_ERR(get(s, path), 404, "has no task 1");
    snprintf(path, sizeof path, "/v1/jobs/%lld/tasks/x/stdout", id);
    CHECK_ERR(get(s, path), 400, "bad task index 'x'");
    snprintf(path, sizeof path, "/v1/jobs/%lld/tasks/0/stderr", id);
    CHECK_ERR(get(s, path), 404, "no output recorded yet");
    CHECK_ERR(req(s, "DELETE", "/v1/jobs", NULL, 0, NULL, 0), 405, "not allowed");
    CHECK_STR(req(s, "DELETE", "/v1/jobs", NULL, 0, NULL, 0)->allow, "GET, POST");
    r = get(s, "/v1/jobs/1/cancel");
    CHECK_ERR(r, 405, "method GET not allowed");
    CHECK_STR(r->allow, "POST");
    CHECK_STR(post(s, "/v1/health", "{}")->allow, "GET");
    stop(s);
}

HERD_TEST(http_body_limit_413)
{
    struct srv *s = start(0, 0, 1024);
    char big[4000];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "{\"tasks\": [{\"argv\": [\"a\"]}]", 27);
    big[sizeof big - 2] = '}';
    CHECK_ERR(post(s, "/v1/jobs", big), 413, "over the limit of 1024 bytes");
    /* without Content-Length (chunked) the limit holds as the body arrives */
    static const char *const hdr[] = {"Content-Type: application/json", NULL};
    CHECK_ERR(req(s, "POST", "/v1/jobs", big, strlen(big), hdr, 1), 413, "over the limit");
    /* just under the limit is fine */
    big[1000] = '}';
    big[1001] = '\0';
    CHECK_EQ(post(s, "/v1/jobs", big)->status, 201);
    CHECK_EQ(get(s, "/v1/health")->status, 200); /* server still serving */
    stop(s);
}

static const char *signed_hdr(const char *secret, const char *method, const char *path,
                              const char *body, uint64_t ts)
{
    static char line[HERD_SIGN_HEADER_MAX + 32];
    struct herd_secret sec = {0};
    sec.len = strlen(secret);
    memcpy(sec.key, secret, sec.len);
    char h[HERD_SIGN_HEADER_MAX];
    herd_sign_header(&sec, method, path, body, body ? strlen(body) : 0, ts, h);
    snprintf(line, sizeof line, "Authorization: %s", h);
    return line;
}

HERD_TEST(http_client_auth_401_and_replay)
{
    struct srv *s = start(1, 0, 0);
    struct resp *r = get(s, "/v1/health");
    CHECK_ERR(r, 401, "missing Authorization header");
    CHECK_STR(r->www, "HERD-HMAC");
    const char *bad1[] = {"Authorization: Bearer x", NULL};
    CHECK_ERR(req(s, "GET", "/v1/health", NULL, 0, bad1, 0), 401, "malformed");
    const char *wrong[] = {signed_hdr("another-secret-0123456789", "GET", "/v1/health", NULL,
                                      herd_wall_ms()),
                           NULL};
    CHECK_ERR(req(s, "GET", "/v1/health", NULL, 0, wrong, 0), 401, "bad mac");
    const char *old[] = {signed_hdr(SECRET, "GET", "/v1/health", NULL,
                                    herd_wall_ms() - 6 * 60 * 1000),
                         NULL};
    CHECK_ERR(req(s, "GET", "/v1/health", NULL, 0, old, 0), 401, "skew");
    const char *good[] = {signed_hdr(SECRET, "GET", "/v1/health", NULL, herd_wall_ms()), NULL};
    r = req(s, "GET", "/v1/health", NULL, 0, good, 0);
    CHECK_EQ(r->status, 200);
    CHECK(json_is_true(json_object_get(r->json, "auth")));
    CHECK_ERR(req(s, "GET", "/v1/health", NULL, 0, good, 0), 401, "replayed nonce");
    /* the signature covers the path and the body */
    const char *body = "{\"tasks\": [{\"argv\": [\"a\"]}]}";
    const char *other[] = {signed_hdr(SECRET, "GET", "/v1/jobs", NULL, herd_wall_ms()), NULL};
    CHECK_ERR(req(s, "GET", "/v1/workers", NULL, 0, other, 0), 401, "bad mac");
    const char *forged[] = {signed_hdr(SECRET, "POST", "/v1/jobs", "{}", herd_wall_ms()), NULL};
    CHECK_ERR(req(s, "POST", "/v1/jobs", body, strlen(body), forged, 0), 401, "bad mac");
    const char *ok[] = {signed_hdr(SECRET, "POST", "/v1/jobs", body, herd_wall_ms()), NULL};
    CHECK_EQ(req(s, "POST", "/v1/jobs", body, strlen(body), ok, 0)->status, 201);
    stop(s);
}

HERD_TEST(http_client_library_signs_requests)
{
    struct srv *s = start(1, 0, 0);
    char master[64], sf[128];
    snprintf(master, sizeof master, "127.0.0.1:%u", (unsigned)(s->port - 1));
    snprintf(sf, sizeof sf, "%s/secret", s->dir);
    FILE *f = fopen(sf, "w");
    fprintf(f, "%s\n", SECRET);
    fclose(f);
    chmod(sf, 0600);
    struct herd_client *c = NULL;
    struct herd_err e;
    long status = 0;
    json_t *reply = NULL;
    unsetenv("HERD_SECRET_FILE");
    CHECK_EQ(herd_client_create(master, NULL, &c, &e), HERD_OK);
    CHECK_EQ(herd_client_call(c, "GET", "/v1/health", NULL, &status, &reply, &e), HERD_OK);
    CHECK_EQ(status, 401);
    CHECK(strstr(herd_client_error_text(reply, status), "missing") != NULL);
    json_decref(reply);
    herd_client_destroy(c);
    setenv("HERD_SECRET_FILE", sf, 1);
    CHECK_EQ(herd_client_create(master, NULL, &c, &e), HERD_OK);
    json_t *spec = json_pack("{s:[{s:[s]}]}", "tasks", "argv", "/bin/true");
    for (int i = 0; i < 3; i++) { /* fresh nonce each time: no replay refusals */
        CHECK_EQ(herd_client_call(c, "POST", "/v1/jobs", spec, &status, &reply, &e), HERD_OK);
        CHECK_EQ(status, 201);
        CHECK_INT(json_integer_value(json_object_get(reply, "id")), >, 0);
        json_decref(reply);
    }
    json_decref(spec);
    herd_client_destroy(c);
    stop(s);
}

HERD_TEST(http_task_output_from_a_worker)
{
    struct srv *s = start(0, 1, 0);
    struct resp *r = post(s, "/v1/jobs", "{\"retries\": 0, \"tasks\": ["
                                         "{\"argv\": [\"echo\", \"hi\"]},"
                                         "{\"argv\": [\"fail\", \"x\"]}]}");
    CHECK_EQ(r->status, 201);
    long long id = jint(r, "id");
    char path[128];
    snprintf(path, sizeof path, "/v1/jobs/%lld", id);
    poll_state(s, path, "failed");
    r = get(s, path);
    CHECK_EQ(jint(r, "succeeded"), 1);
    CHECK_EQ(jint(r, "failed"), 1);
    snprintf(path, sizeof path, "/v1/jobs/%lld/tasks", id);
    r = get(s, path);
    json_t *t0 = json_array_get(json_object_get(r->json, "tasks"), 0);
    json_t *t1 = json_array_get(json_object_get(r->json, "tasks"), 1);
    CHECK_STR(json_string_value(json_object_get(t0, "state")), "succeeded");
    CHECK_STR(json_string_value(json_object_get(t0, "worker")), "fake-1");
    CHECK_STR(json_string_value(json_object_get(t1, "state")), "failed");
    CHECK_EQ(json_integer_value(json_object_get(t1, "exit_code")), 3);
    snprintf(path, sizeof path, "/v1/jobs/%lld/tasks/0/stdout", id);
    r = get(s, path);
    CHECK_EQ(r->status, 200);
    CHECK_STR(jstr(r, "encoding"), "utf-8");
    CHECK_STR(jstr(r, "data"), "out:echo hi");
    CHECK_STR(jstr(r, "stream"), "stdout");
    snprintf(path, sizeof path, "/v1/jobs/%lld/tasks/1/stderr", id);
    r = get(s, path);
    CHECK_STR(jstr(r, "encoding"), "base64");
    CHECK_STR(jstr(r, "data"), "Zf/+");
    static const char *const raw[] = {"Accept: application/octet-stream", NULL};
    r = req(s, "GET", path, NULL, 0, raw, 0);
    CHECK_EQ(r->status, 200);
    CHECK_EQ(r->len, 3);
    CHECK(memcmp(r->body, "e\xff\xfe", 3) == 0);
    r = get(s, "/v1/workers");
    json_t *w = json_array_get(json_object_get(r->json, "workers"), 0);
    CHECK_STR(json_string_value(json_object_get(w, "id")), "fake-1");
    CHECK_STR(json_string_value(json_object_get(w, "state")), "ready");
    CHECK_EQ(json_integer_value(json_object_get(w, "cores")), 4);
    r = get(s, "/v1/health");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(r->json, "stats"),
                                                 "results_accepted")),
              >=, 1);
    stop(s);
}

/* ---- the CLI commands, in process, against the same server ---- */

/* Runs a command with stdout captured into out (stderr discarded); returns
 * its exit status. */
static int run_cli(int (*fn)(int, char **), char *out, size_t cap, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    char tmpl[] = "/tmp/herd-cli-XXXXXX";
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    fflush(stdout);
    fflush(stderr);
    int saved = dup(1), saved_err = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(fd, 1);
    dup2(null, 2); /* task stderr and expected error messages */
    int rc = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved, 1);
    dup2(saved_err, 2);
    close(saved);
    close(saved_err);
    close(null);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, out, cap - 1);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(tmpl);
    return rc;
}

HERD_TEST(http_cli_commands)
{
    struct srv *s = start(0, 1, 0);
    char master[64], out[8192], id[32];
    snprintf(master, sizeof master, "127.0.0.1:%u", (unsigned)(s->port - 1));
    setenv("HERD_MASTER", master, 1);
    unsetenv("HERD_SECRET_FILE");
    char *sub[] = {"submit", "--quiet", "--name", "pics", "--each", "conv {} {.}.png",
                   "a.jpg", "b c.jpg", NULL};
    CHECK_EQ(run_cli(herd_cmd_submit, out, sizeof out, sub), 0);
    snprintf(id, sizeof id, "%.20s", out);
    id[strcspn(id, "\n")] = '\0';
    CHECK_INT(atoi(id), >, 0);
    char *wait[] = {"wait", "--quiet", id, NULL};
    CHECK_EQ(run_cli(herd_cmd_wait, out, sizeof out, wait), 0);
    CHECK(strstr(out, "succeeded: 2 tasks, 2 succeeded, 0 failed") != NULL);
    char *logs[] = {"logs", id, "b c.jpg", NULL};
    CHECK_EQ(run_cli(herd_cmd_logs, out, sizeof out, logs), 0);
    CHECK_STR(out, "out:conv b c.jpg");
    char *status[] = {"status", id, NULL};
    CHECK_EQ(run_cli(herd_cmd_status, out, sizeof out, status), 0);
    CHECK(strstr(out, "succeeded") != NULL && strstr(out, "fake-1") != NULL);
    char *workers[] = {"workers", "--master", master, NULL};
    CHECK_EQ(run_cli(herd_cmd_workers, out, sizeof out, workers), 0);
    CHECK(strstr(out, "LAST-HEARTBEAT") != NULL && strstr(out, "fake-1") != NULL);
    char *failing[] = {"submit", "--quiet", "--retries", "0", "--wait", "--", "fail", "x", NULL};
    CHECK_EQ(run_cli(herd_cmd_submit, out, sizeof out, failing), 1);
    CHECK(strstr(out, "failed: 1 tasks, 0 succeeded, 1 failed") != NULL);
    char *all[] = {"status", NULL};
    CHECK_EQ(run_cli(herd_cmd_status, out, sizeof out, all), 0);
    CHECK(strstr(out, "pics") != NULL);
    char *cancel[] = {"cancel", "424242", NULL};
    CHECK_EQ(run_cli(herd_cmd_cancel, out, sizeof out, cancel), 1);
    char *usage[] = {"wait", NULL};
    CHECK_EQ(run_cli(herd_cmd_wait, out, sizeof out, usage), 2);
    stop(s);
}
