/* The client commands: herd submit / wait / status / cancel / workers / logs.
 * Each talks to the master's HTTP API (api/client.h) and returns the process
 * exit status: 0 success, 1 failure (or a job that did not succeed), 2 usage.
 * Machine-readable results go to stdout (a submitted job's id, tables,
 * summaries, task output); progress and errors go to stderr. */
#include "cli/cli.h"
#include "cli/cmd_int.h"

#include "api/client.h"
#include "api/spec_json.h"
#include "cli/each.h"
#include "base/mem.h"
#include "wire/msg.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Set by -h/--help: herd_cli_usage() then prints to stdout and exits 0. */
static int help_wanted;

/* Handles the options every client command takes; 1 if consumed. */
int herd_cli_common_opt(int ch, struct herd_cli_common *o)
{
    if (ch == 'h')
        help_wanted = 1;
    if (ch == O_MASTER)
        o->master = optarg;
    else if (ch == O_SECRET)
        o->secret_file = optarg;
    else
        return 0;
    return 1;
}

int herd_cli_usage(const char *cmd, const char *args)
{
    fprintf(help_wanted ? stdout : stderr,
            "usage: herd %s %s [--master HOST[:PORT]] [--secret-file F]\n", cmd, args);
    return help_wanted ? 0 : 2;
}

struct herd_client *herd_cli_connect(const char *cmd, const struct herd_cli_common *o)
{
    struct herd_client *c = NULL;
    struct herd_err e;
    herd_err_clear(&e);
    if (herd_client_create(o->master, o->secret_file, &c, &e) != HERD_OK) {
        fprintf(stderr, "herd %s: %s\n", cmd, e.msg);
        return NULL;
    }
    return c;
}

/* One API call expecting status `want`; prints the error and returns -1
 * otherwise. *reply (if asked) is the caller's. */
int herd_cli_api(struct herd_client *c, const char *cmd, const char *method, const char *path,
               const json_t *body, long want, json_t **reply)
{
    long status = 0;
    json_t *r = NULL;
    struct herd_err e;
    herd_err_clear(&e);
    if (herd_client_call(c, method, path, body, &status, &r, &e) != HERD_OK) {
        fprintf(stderr, "herd %s: %s (is a master running there? see --master)\n", cmd, e.msg);
        return -1;
    }
    if (status != want) {
        fprintf(stderr, "herd %s: %s (HTTP %ld)\n", cmd, herd_client_error_text(r, status),
                status);
        json_decref(r);
        return -1;
    }
    if (reply)
        *reply = r;
    else
        json_decref(r);
    return 0;
}

int herd_cli_parse_job_id(const char *cmd, const char *s, uint64_t *out)
{
    char *end = NULL;
    if (s[0] >= '0' && s[0] <= '9') {
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (*end == '\0' && errno != ERANGE) {
            *out = v;
            return 0;
        }
    }
    fprintf(stderr, "herd %s: bad job id '%s'\n", cmd, s);
    return -1;
}

long long herd_cli_jint(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

const char *herd_cli_jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* ================================ wait ================================ */

static int final_state(const char *s)
{
    return strcmp(s, "succeeded") == 0 || strcmp(s, "failed") == 0 ||
           strcmp(s, "canceled") == 0;
}

static void progress(const json_t *j, int tty, char *last, size_t lastn)
{
    long long total = herd_cli_jint(j, "total"), ok = herd_cli_jint(j, "succeeded"), bad = herd_cli_jint(j, "failed"),
              can = herd_cli_jint(j, "canceled"), run = herd_cli_jint(j, "running");
    long long done = ok + bad + can;
    char line[200];
    snprintf(line, sizeof line, "%lld/%lld done, %lld running, %lld failed, %lld canceled", done,
             total, run, bad, can);
    if (tty) {
        char bar[31];
        int fill = total > 0 ? (int)(30 * done / total) : 0;
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %s\033[K", bar, line);
        fflush(stderr);
    } else if (strcmp(line, last) != 0) {
        fprintf(stderr, "job %lld: %s\n", herd_cli_jint(j, "id"), line);
    }
    snprintf(last, lastn, "%s", line);
}

static void summary(const json_t *j)
{
    long long sub = herd_cli_jint(j, "submitted_ms"), fin = herd_cli_jint(j, "finished_ms");
    printf("job %lld %s: %lld tasks, %lld succeeded, %lld failed, %lld canceled", herd_cli_jint(j, "id"),
           herd_cli_jstr(j, "state"), herd_cli_jint(j, "total"), herd_cli_jint(j, "succeeded"), herd_cli_jint(j, "failed"),
           herd_cli_jint(j, "canceled"));
    if (fin >= sub && sub > 0)
        printf(", %.3f s", (double)(fin - sub) / 1000.0);
    printf("\n");
    fflush(stdout);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls the job until it ends; the exit status of `herd wait`. */
int herd_cli_wait_job(struct herd_client *c, const char *cmd, uint64_t id, int quiet)
{
    char path[64], last[200] = "";
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64, id);
    int tty = isatty(STDERR_FILENO) && !quiet;
    long interval = 20;
    for (;;) {
        json_t *j = NULL;
        if (herd_cli_api(c, cmd, "GET", path, NULL, 200, &j) != 0)
            return 1;
        if (!quiet)
            progress(j, tty, last, sizeof last);
        if (final_state(herd_cli_jstr(j, "state"))) {
            if (tty)
                fprintf(stderr, "\n");
            summary(j);
            int ok = strcmp(herd_cli_jstr(j, "state"), "succeeded") == 0;
            json_decref(j);
            return ok ? 0 : 1;
        }
        json_decref(j);
        sleep_ms(interval);
        interval = interval * 3 / 2 > 500 ? 500 : interval * 3 / 2;
    }
}

int herd_cmd_wait(int argc, char **argv)
{
    static const struct option opts[] = {HERD_CLI_COMMON_OPTS, {"quiet", no_argument, NULL, O_QUIET},
                                         {0}};
    struct herd_cli_common o = {0};
    int quiet = 0, ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        if (herd_cli_common_opt(ch, &o))
            continue;
        if (ch == O_QUIET || ch == 'q')
            quiet = 1;
        else
            return herd_cli_usage("wait", "JOB [--quiet]");
    }
    uint64_t id;
    if (optind != argc - 1)
        return herd_cli_usage("wait", "JOB [--quiet]");
    if (herd_cli_parse_job_id("wait", argv[optind], &id) != 0)
        return 2;
    struct herd_client *c = herd_cli_connect("wait", &o);
    if (c == NULL)
        return 1;
    int rc = herd_cli_wait_job(c, "wait", id, quiet);
    herd_client_destroy(c);
    return rc;
}

/* =============================== status =============================== */

static void print_job_row(const json_t *j)
{
    printf("%-6lld %-10s %7lld/%-7lld %7lld %7lld %6lld  %s\n", herd_cli_jint(j, "id"), herd_cli_jstr(j, "state"),
           herd_cli_jint(j, "succeeded") + herd_cli_jint(j, "failed") + herd_cli_jint(j, "canceled"), herd_cli_jint(j, "total"),
           herd_cli_jint(j, "running"), herd_cli_jint(j, "failed"), herd_cli_jint(j, "priority"), herd_cli_jstr(j, "name"));
}

static int status_all(struct herd_client *c)
{
    json_t *r = NULL;
    if (herd_cli_api(c, "status", "GET", "/v1/jobs", NULL, 200, &r) != 0)
        return 1;
    printf("%-6s %-10s %15s %7s %7s %6s  %s\n", "ID", "STATE", "DONE/TOTAL", "RUNNING", "FAILED",
           "PRIO", "NAME");
    size_t i;
    json_t *j;
    json_array_foreach(json_object_get(r, "jobs"), i, j)
        print_job_row(j);
    json_decref(r);
    return 0;
}

/* A distributed graph job (docs/distributed.md): no tasks, a superstep. */
static int graph_status(json_t *j)
{
    printf("graph job %lld: %s %s, %s, superstep %lld, epoch %lld, %lld workers, "
           "%lld partitions, %lld recoveries, last checkpoint %lld%s%s\n",
           herd_cli_jint(j, "id"), herd_cli_jstr(j, "algo"), herd_cli_jstr(j, "graph"), herd_cli_jstr(j, "state"),
           herd_cli_jint(j, "superstep"), herd_cli_jint(j, "epoch"), herd_cli_jint(j, "workers"), herd_cli_jint(j, "partitions"),
           herd_cli_jint(j, "recoveries"), herd_cli_jint(j, "last_checkpoint"), *herd_cli_jstr(j, "error") ? ": " : "",
           herd_cli_jstr(j, "error"));
    json_decref(j);
    return 0;
}

static int status_one(struct herd_client *c, uint64_t id)
{
    char path[64];
    json_t *j = NULL, *t = NULL;
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64, id);
    if (herd_cli_api(c, "status", "GET", path, NULL, 200, &j) != 0)
        return 1;
    if (strcmp(herd_cli_jstr(j, "kind"), "graph") == 0)
        return graph_status(j);
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64 "/tasks", id);
    if (herd_cli_api(c, "status", "GET", path, NULL, 200, &t) != 0) {
        json_decref(j);
        return 1;
    }
    summary(j);
    printf("%-6s %-10s %8s %5s %-16s %s\n", "INDEX", "STATE", "ATTEMPTS", "EXIT", "WORKER",
           "NAME");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(t, "tasks"), i, x)
        printf("%-6lld %-10s %8lld %5lld %-16s %s\n", herd_cli_jint(x, "index"), herd_cli_jstr(x, "state"),
               herd_cli_jint(x, "attempts"), herd_cli_jint(x, "exit_code"), herd_cli_jstr(x, "worker"), herd_cli_jstr(x, "name"));
    json_decref(j);
    json_decref(t);
    return 0;
}

/* Parses the usual `cmd [--master A] [--secret-file F] POSITIONALS`; -1 on
 * a usage error. */
static int simple_opts(int argc, char **argv, struct herd_cli_common *o)
{
    static const struct option opts[] = {HERD_CLI_COMMON_OPTS, {0}};
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
        if (!herd_cli_common_opt(ch, o))
            return -1;
    return optind;
}

int herd_cmd_status(int argc, char **argv)
{
    struct herd_cli_common o = {0};
    int k = simple_opts(argc, argv, &o);
    uint64_t id = 0;
    if (k < 0 || argc - k > 1)
        return herd_cli_usage("status", "[JOB]");
    if (argc - k == 1 && herd_cli_parse_job_id("status", argv[k], &id) != 0)
        return 2;
    struct herd_client *c = herd_cli_connect("status", &o);
    if (c == NULL)
        return 1;
    int rc = argc - k == 1 ? status_one(c, id) : status_all(c);
    herd_client_destroy(c);
    return rc;
}

/* =============================== cancel =============================== */

int herd_cmd_cancel(int argc, char **argv)
{
    struct herd_cli_common o = {0};
    int k = simple_opts(argc, argv, &o);
    uint64_t id;
    if (k < 0 || argc - k != 1)
        return herd_cli_usage("cancel", "JOB");
    if (herd_cli_parse_job_id("cancel", argv[k], &id) != 0)
        return 2;
    struct herd_client *c = herd_cli_connect("cancel", &o);
    if (c == NULL)
        return 1;
    char path[64];
    json_t *j = NULL;
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64 "/cancel", id);
    int rc = herd_cli_api(c, "cancel", "POST", path, NULL, 200, &j) == 0 ? 0 : 1;
    if (rc == 0)
        printf("job %" PRIu64 ": %s\n", id, herd_cli_jstr(j, "state"));
    json_decref(j);
    herd_client_destroy(c);
    return rc;
}

/* =============================== workers ============================== */

int herd_cmd_workers(int argc, char **argv)
{
    struct herd_cli_common o = {0};
    int k = simple_opts(argc, argv, &o);
    if (k < 0 || argc != k)
        return herd_cli_usage("workers", "");
    struct herd_client *c = herd_cli_connect("workers", &o);
    json_t *r = NULL;
    if (c == NULL || herd_cli_api(c, "workers", "GET", "/v1/workers", NULL, 200, &r) != 0) {
        herd_client_destroy(c);
        return 1;
    }
    printf("%-16s %-20s %-9s %-7s %7s %s\n", "ID", "HOST", "STATE", "CORES", "RUNNING",
           "LAST-HEARTBEAT");
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(r, "workers"), i, w) {
        char cores[32];
        snprintf(cores, sizeof cores, "%lld/%lld", herd_cli_jint(w, "cores_used"), herd_cli_jint(w, "cores"));
        printf("%-16s %-20s %-9s %-7s %7lld %.1fs ago\n", herd_cli_jstr(w, "id"), herd_cli_jstr(w, "host"),
               herd_cli_jstr(w, "state"), cores, herd_cli_jint(w, "running"),
               (double)herd_cli_jint(w, "heartbeat_age_ms") / 1000.0);
    }
    json_decref(r);
    herd_client_destroy(c);
    return 0;
}

/* ================================ logs ================================ */

/* Copies one recorded stream of a task to `out`; 0 if written or absent. */
static int copy_stream(struct herd_client *c, uint64_t id, long long index, const char *stream,
                       FILE *out, int header, const json_t *task)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64 "/tasks/%lld/%s", id, index, stream);
    long status = 0;
    uint8_t *data = NULL;
    size_t len = 0;
    struct herd_err e;
    herd_err_clear(&e);
    if (herd_client_get_raw(c, path, &status, &data, &len, &e) != HERD_OK) {
        fprintf(stderr, "herd logs: %s\n", e.msg);
        return -1;
    }
    int rc = 0;
    if (status == 200 && (len > 0 || !header)) {
        if (header)
            fprintf(out, "==> job %" PRIu64 " task %lld%s%s%s %s <==\n", id, index,
                    task && herd_cli_jstr(task, "name")[0] ? " (" : "", task ? herd_cli_jstr(task, "name") : "",
                    task && herd_cli_jstr(task, "name")[0] ? ")" : "", stream);
        fwrite(data, 1, len, out);
        fflush(out);
    } else if (status != 200 && status != 404) {
        json_t *j = json_loadb((const char *)data, len, 0, NULL);
        fprintf(stderr, "herd logs: %s (HTTP %ld)\n", herd_client_error_text(j, status), status);
        json_decref(j);
        rc = -1;
    } else if (status == 404 && !header) {
        fprintf(stderr, "herd logs: no %s recorded yet for job %" PRIu64 " task %lld\n", stream,
                id, index);
    }
    free(data);
    return rc;
}

/* The index of the task named or numbered `sel`, or -1 (after a message). */
long long herd_cli_find_task(const char *cmd, const json_t *tasks, const char *sel)
{
    size_t i;
    json_t *t;
    char *end = NULL;
    long long n = strtoll(sel, &end, 10);
    int numeric = sel[0] != '\0' && *end == '\0';
    json_array_foreach(tasks, i, t) {
        if ((numeric && herd_cli_jint(t, "index") == n) || strcmp(herd_cli_jstr(t, "name"), sel) == 0)
            return herd_cli_jint(t, "index");
    }
    fprintf(stderr, "herd %s: no task '%s' in this job\n", cmd, sel);
    return -1;
}

static int logs(struct herd_client *c, uint64_t id, const char *sel)
{
    char path[64];
    json_t *r = NULL;
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64 "/tasks", id);
    if (herd_cli_api(c, "logs", "GET", path, NULL, 200, &r) != 0)
        return 1;
    json_t *tasks = json_object_get(r, "tasks");
    int rc = 0;
    if (sel != NULL) {
        long long ix = herd_cli_find_task("logs", tasks, sel);
        rc = ix < 0 || copy_stream(c, id, ix, "stdout", stdout, 0, NULL) != 0 ||
             copy_stream(c, id, ix, "stderr", stderr, 0, NULL) != 0;
    } else {
        size_t i;
        json_t *t;
        json_array_foreach(tasks, i, t) {
            if (copy_stream(c, id, herd_cli_jint(t, "index"), "stdout", stdout, 1, t) != 0 ||
                copy_stream(c, id, herd_cli_jint(t, "index"), "stderr", stderr, 1, t) != 0) {
                rc = 1;
                break;
            }
        }
    }
    json_decref(r);
    return rc;
}

int herd_cmd_logs(int argc, char **argv)
{
    struct herd_cli_common o = {0};
    int k = simple_opts(argc, argv, &o);
    uint64_t id;
    if (k < 0 || argc - k < 1 || argc - k > 2)
        return herd_cli_usage("logs", "JOB [TASK]");
    if (herd_cli_parse_job_id("logs", argv[k], &id) != 0)
        return 2;
    struct herd_client *c = herd_cli_connect("logs", &o);
    if (c == NULL)
        return 1;
    int rc = logs(c, id, argc - k == 2 ? argv[k + 1] : NULL);
    herd_client_destroy(c);
    return rc;
}
