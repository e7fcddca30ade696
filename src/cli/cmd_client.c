/* The client commands: herd submit / wait / status / cancel / workers / logs.
 * Each talks to the master's HTTP API (api/client.h) and returns the process
 * exit status: 0 success, 1 failure (or a job that did not succeed), 2 usage.
 * Machine-readable results go to stdout (a submitted job's id, tables,
 * summaries, task output); progress and errors go to stderr. */
#include "cli/cli.h"

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

enum {
    O_MASTER = 1000, O_SECRET, O_NAME, O_PRIORITY, O_RETRIES, O_CORES, O_TIMEOUT, O_MEMORY,
    O_EACH, O_SHELL, O_WAIT, O_QUIET, O_STDERR
};

#define COMMON_OPTS                                                                                \
    {"master", required_argument, NULL, O_MASTER},                                                 \
        {"secret-file", required_argument, NULL, O_SECRET}, {"help", no_argument, NULL, 'h'}

struct common {
    const char *master;
    const char *secret_file;
};

/* Set by -h/--help: usage() then prints to stdout and exits 0. */
static int help_wanted;

/* Handles the options every client command takes; 1 if consumed. */
static int common_opt(int ch, struct common *o)
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

static int usage(const char *cmd, const char *args)
{
    fprintf(help_wanted ? stdout : stderr,
            "usage: herd %s %s [--master HOST[:PORT]] [--secret-file F]\n", cmd, args);
    return help_wanted ? 0 : 2;
}

static struct herd_client *connect_master(const char *cmd, const struct common *o)
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
static int api(struct herd_client *c, const char *cmd, const char *method, const char *path,
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

static int parse_job_id(const char *cmd, const char *s, uint64_t *out)
{
    char *end = NULL;
    if (s[0] >= '0' && s[0] <= '9') {
        unsigned long long v = strtoull(s, &end, 10);
        if (*end == '\0') {
            *out = v;
            return 0;
        }
    }
    fprintf(stderr, "herd %s: bad job id '%s'\n", cmd, s);
    return -1;
}

static long long jint(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static const char *jstr(const json_t *o, const char *key)
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
    long long total = jint(j, "total"), ok = jint(j, "succeeded"), bad = jint(j, "failed"),
              can = jint(j, "canceled"), run = jint(j, "running");
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
        fprintf(stderr, "job %lld: %s\n", jint(j, "id"), line);
    }
    snprintf(last, lastn, "%s", line);
}

static void summary(const json_t *j)
{
    long long sub = jint(j, "submitted_ms"), fin = jint(j, "finished_ms");
    printf("job %lld %s: %lld tasks, %lld succeeded, %lld failed, %lld canceled", jint(j, "id"),
           jstr(j, "state"), jint(j, "total"), jint(j, "succeeded"), jint(j, "failed"),
           jint(j, "canceled"));
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
static int wait_job(struct herd_client *c, const char *cmd, uint64_t id, int quiet)
{
    char path[64], last[200] = "";
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64, id);
    int tty = isatty(STDERR_FILENO) && !quiet;
    long interval = 20;
    for (;;) {
        json_t *j = NULL;
        if (api(c, cmd, "GET", path, NULL, 200, &j) != 0)
            return 1;
        if (!quiet)
            progress(j, tty, last, sizeof last);
        if (final_state(jstr(j, "state"))) {
            if (tty)
                fprintf(stderr, "\n");
            summary(j);
            int ok = strcmp(jstr(j, "state"), "succeeded") == 0;
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
    static const struct option opts[] = {COMMON_OPTS, {"quiet", no_argument, NULL, O_QUIET},
                                         {0}};
    struct common o = {0};
    int quiet = 0, ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        if (common_opt(ch, &o))
            continue;
        if (ch == O_QUIET || ch == 'q')
            quiet = 1;
        else
            return usage("wait", "JOB [--quiet]");
    }
    uint64_t id;
    if (optind != argc - 1)
        return usage("wait", "JOB [--quiet]");
    if (parse_job_id("wait", argv[optind], &id) != 0)
        return 2;
    struct herd_client *c = connect_master("wait", &o);
    if (c == NULL)
        return 1;
    int rc = wait_job(c, "wait", id, quiet);
    herd_client_destroy(c);
    return rc;
}

/* =============================== submit =============================== */

#define SUBMIT_ARGS                                                                                \
    "(SPEC.json | - | --each 'CMD {}' [FILES...] | -- CMD ARGS...) [--name N] [--priority P]\n"   \
    "       [--retries N] [--cores N] [--memory SIZE] [--timeout SECONDS] [--shell] [--wait]"

struct submit_opts {
    struct common o;
    const char *name, *each;
    int has_prio, has_retries, has_cores, has_timeout, has_memory;
    long long prio, retries, cores;
    uint32_t timeout_ms;
    uint64_t memory;
    int shell, wait, quiet;
};

static int num_opt(const char *what, const char *s, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "herd submit: %s: expected an integer in [%lld, %lld], got '%s'\n", what,
                lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int timeout_opt(const char *s, uint32_t *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || !(v >= 0) || v * 1000.0 > (double)UINT32_MAX) {
        fprintf(stderr, "herd submit: --timeout: expected seconds, got '%s'\n", s);
        return -1;
    }
    *out = (uint32_t)llround(v * 1000.0);
    return 0;
}

/* One submit option; -1 on a bad value, 1 if not a submit option. */
static int submit_opt(int ch, struct submit_opts *s)
{
    switch (ch) {
    case O_NAME: s->name = optarg; return 0;
    case O_EACH: s->each = optarg; return 0;
    case O_SHELL: s->shell = 1; return 0;
    case O_WAIT: s->wait = 1; return 0;
    case O_QUIET: s->quiet = 1; return 0;
    case O_PRIORITY:
        s->has_prio = 1;
        return num_opt("--priority", optarg, INT32_MIN, INT32_MAX, &s->prio);
    case O_RETRIES:
        s->has_retries = 1;
        return num_opt("--retries", optarg, 0, HERD_SPEC_MAX_RETRIES, &s->retries);
    case O_CORES:
        s->has_cores = 1;
        return num_opt("--cores", optarg, 1, HERD_SPEC_MAX_CORES, &s->cores);
    case O_TIMEOUT:
        s->has_timeout = 1;
        return timeout_opt(optarg, &s->timeout_ms);
    case O_MEMORY:
        s->has_memory = 1;
        if (herd_spec_parse_size(optarg, &s->memory) == HERD_OK)
            return 0;
        fprintf(stderr, "herd submit: --memory: bad size '%s'\n", optarg);
        return -1;
    default:
        return 1;
    }
}

/* Options given on the command line override the spec's values. */
static void apply_overrides(const struct submit_opts *s, struct herd_job_spec *spec)
{
    if (s->name) {
        free(spec->name);
        spec->name = strdup(s->name);
    }
    if (s->has_prio)
        spec->priority = (int32_t)s->prio;
    if (s->has_retries)
        spec->max_retries = (uint32_t)s->retries;
    for (uint32_t i = 0; i < spec->ntasks; i++) {
        if (s->has_cores)
            spec->tasks[i].cores = (uint32_t)s->cores;
        if (s->has_timeout)
            spec->tasks[i].timeout_ms = s->timeout_ms;
        if (s->has_memory)
            spec->tasks[i].memory = s->memory;
    }
}

/* Reads all of f; NULL (with a message) on error or over the API's limit. */
static char *slurp(FILE *f, const char *name, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *p = malloc(cap);
    while (p != NULL) {
        if (n + 1 >= cap) {
            char *q = cap < (64u << 20) ? realloc(p, cap * 2) : NULL;
            if (q == NULL)
                break;
            p = q;
            cap *= 2;
        }
        size_t k = fread(p + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0) {
            if (ferror(f))
                break;
            p[n] = '\0';
            *len = n;
            return p;
        }
    }
    fprintf(stderr, "herd submit: cannot read %s (unreadable or over 64 MiB)\n", name);
    free(p);
    return NULL;
}

static int spec_from_file(const char *path, struct herd_job_spec *spec)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "herd submit: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t len = 0;
    char *text = slurp(f, path, &len);
    if (f != stdin)
        fclose(f);
    if (text == NULL)
        return -1;
    struct herd_err e;
    herd_err_clear(&e);
    int rc = herd_spec_json_parse(text, len, spec, &e);
    free(text);
    if (rc != HERD_OK) {
        fprintf(stderr, "herd submit: %s: %s\n", path, e.msg);
        return -1;
    }
    return 0;
}

/* Input lines from stdin for --each without FILES (as parallel does). */
static char **stdin_inputs(uint32_t *n)
{
    char **v = NULL, *line = NULL;
    size_t cap = 0, lcap = 0;
    ssize_t k;
    *n = 0;
    while ((k = getline(&line, &lcap, stdin)) >= 0) {
        if (k > 0 && line[k - 1] == '\n')
            line[--k] = '\0';
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            v = realloc(v, cap * sizeof *v);
            if (v == NULL)
                abort();
        }
        v[(*n)++] = strdup(line);
    }
    free(line);
    return v;
}

static int spec_from_each(const struct submit_opts *s, char **files, uint32_t nfiles,
                          struct herd_job_spec *spec)
{
    struct herd_each x;
    struct herd_err e;
    herd_err_clear(&e);
    char **inputs = files;
    uint32_t n = nfiles;
    if (nfiles == 0)
        inputs = stdin_inputs(&n);
    int rc = herd_each_init(&x, s->each, s->shell, &e);
    if (rc == HERD_OK) {
        rc = herd_each_spec(&x, inputs, n, spec, &e);
        herd_each_fini(&x);
    }
    if (inputs != files) {
        for (uint32_t i = 0; i < n; i++)
            free(inputs[i]);
        free(inputs);
    }
    if (rc != HERD_OK) {
        fprintf(stderr, "herd submit: %s\n", e.msg);
        return -1;
    }
    return 0;
}

/* `-- CMD ARGS...`: one task; with --shell the words are joined for sh -c. */
static void spec_from_cmd(const struct submit_opts *s, char **words, uint32_t n,
                          struct herd_job_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->max_retries = 3;
    spec->ntasks = 1;
    spec->tasks = herd_xcalloc(1, sizeof *spec->tasks);
    struct herd_task_spec *t = spec->tasks;
    t->kind = HERD_TASK_COMMAND;
    t->cores = 1;
    if (!s->shell) {
        t->argv = herd_xcalloc(n, sizeof *t->argv);
        for (t->nargv = 0; t->nargv < n; t->nargv++)
            t->argv[t->nargv] = herd_xstrdup(words[t->nargv]);
        return;
    }
    size_t len = 1;
    for (uint32_t i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    char *line = herd_xcalloc(1, len);
    for (uint32_t i = 0; i < n; i++)
        strcat(strcat(line, i ? " " : ""), words[i]);
    t->nargv = 3;
    t->argv = herd_xcalloc(3, sizeof *t->argv);
    t->argv[0] = herd_xstrdup("/bin/sh");
    t->argv[1] = herd_xstrdup("-c");
    t->argv[2] = line;
}

/* argv index of the first "--", or argc. */
static int find_dashdash(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0)
            return i;
    return argc;
}

static int build_spec(struct submit_opts *s, char **pos, int npos, char **cmd, int ncmd,
                      struct herd_job_spec *spec)
{
    if (s->each != NULL) {
        /* FILES may come before and after a "--" (for names starting with '-') */
        char **files = herd_xcalloc((size_t)(npos + ncmd) + 1, sizeof *files);
        memcpy(files, pos, (size_t)npos * sizeof *files);
        memcpy(files + npos, cmd, (size_t)ncmd * sizeof *files);
        int rc = spec_from_each(s, files, (uint32_t)(npos + ncmd), spec);
        free(files);
        return rc;
    }
    if (ncmd > 0 && npos == 0) {
        spec_from_cmd(s, cmd, (uint32_t)ncmd, spec);
        return 0;
    }
    if (npos == 1 && ncmd == 0)
        return spec_from_file(pos[0], spec);
    usage("submit", SUBMIT_ARGS);
    return -2;
}

static int submit_spec(struct submit_opts *s, struct herd_job_spec *spec)
{
    apply_overrides(s, spec);
    json_t *body = herd_spec_json_encode(spec);
    uint32_t ntasks = spec->ntasks;
    herd_job_spec_free(spec);
    struct herd_client *c = connect_master("submit", &s->o);
    json_t *reply = NULL;
    int rc = body == NULL || c == NULL ? 1 : api(c, "submit", "POST", "/v1/jobs", body, 201, &reply);
    json_decref(body);
    if (rc != 0) {
        herd_client_destroy(c);
        return 1;
    }
    uint64_t id = (uint64_t)jint(reply, "id");
    json_decref(reply);
    printf("%" PRIu64 "\n", id);
    fflush(stdout);
    if (!s->quiet)
        fprintf(stderr, "herd submit: job %" PRIu64 " submitted (%u task%s)\n", id, ntasks,
                ntasks == 1 ? "" : "s");
    rc = s->wait ? wait_job(c, "submit", id, s->quiet) : 0;
    herd_client_destroy(c);
    return rc;
}

int herd_cmd_submit(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_OPTS,
        {"name", required_argument, NULL, O_NAME},
        {"priority", required_argument, NULL, O_PRIORITY},
        {"retries", required_argument, NULL, O_RETRIES},
        {"cores", required_argument, NULL, O_CORES},
        {"memory", required_argument, NULL, O_MEMORY},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"each", required_argument, NULL, O_EACH},
        {"shell", no_argument, NULL, O_SHELL},
        {"wait", no_argument, NULL, O_WAIT},
        {"quiet", no_argument, NULL, O_QUIET},
        {0},
    };
    struct submit_opts s = {0};
    int dd = find_dashdash(argc, argv), ch;
    optind = 0;
    while ((ch = getopt_long(dd, argv, "hq", opts, NULL)) != -1) {
        if (common_opt(ch, &s.o))
            continue;
        if (ch == 'q')
            ch = O_QUIET;
        int rc = submit_opt(ch, &s);
        if (rc < 0)
            return 2;
        if (rc > 0)
            return usage("submit", SUBMIT_ARGS);
    }
    struct herd_job_spec spec;
    int ncmd = dd < argc ? argc - dd - 1 : 0;
    int rc = build_spec(&s, argv + optind, dd - optind, argv + dd + 1, ncmd, &spec);
    if (rc != 0)
        return rc == -2 ? 2 : 1;
    return submit_spec(&s, &spec);
}

/* =============================== status =============================== */

static void print_job_row(const json_t *j)
{
    printf("%-6lld %-10s %7lld/%-7lld %7lld %7lld %6lld  %s\n", jint(j, "id"), jstr(j, "state"),
           jint(j, "succeeded") + jint(j, "failed") + jint(j, "canceled"), jint(j, "total"),
           jint(j, "running"), jint(j, "failed"), jint(j, "priority"), jstr(j, "name"));
}

static int status_all(struct herd_client *c)
{
    json_t *r = NULL;
    if (api(c, "status", "GET", "/v1/jobs", NULL, 200, &r) != 0)
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
           jint(j, "id"), jstr(j, "algo"), jstr(j, "graph"), jstr(j, "state"),
           jint(j, "superstep"), jint(j, "epoch"), jint(j, "workers"), jint(j, "partitions"),
           jint(j, "recoveries"), jint(j, "last_checkpoint"), *jstr(j, "error") ? ": " : "",
           jstr(j, "error"));
    json_decref(j);
    return 0;
}

static int status_one(struct herd_client *c, uint64_t id)
{
    char path[64];
    json_t *j = NULL, *t = NULL;
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64, id);
    if (api(c, "status", "GET", path, NULL, 200, &j) != 0)
        return 1;
    if (strcmp(jstr(j, "kind"), "graph") == 0)
        return graph_status(j);
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64 "/tasks", id);
    if (api(c, "status", "GET", path, NULL, 200, &t) != 0) {
        json_decref(j);
        return 1;
    }
    summary(j);
    printf("%-6s %-10s %8s %5s %-16s %s\n", "INDEX", "STATE", "ATTEMPTS", "EXIT", "WORKER",
           "NAME");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(t, "tasks"), i, x)
        printf("%-6lld %-10s %8lld %5lld %-16s %s\n", jint(x, "index"), jstr(x, "state"),
               jint(x, "attempts"), jint(x, "exit_code"), jstr(x, "worker"), jstr(x, "name"));
    json_decref(j);
    json_decref(t);
    return 0;
}

/* Parses the usual `cmd [--master A] [--secret-file F] POSITIONALS`; -1 on
 * a usage error. */
static int simple_opts(int argc, char **argv, struct common *o)
{
    static const struct option opts[] = {COMMON_OPTS, {0}};
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
        if (!common_opt(ch, o))
            return -1;
    return optind;
}

int herd_cmd_status(int argc, char **argv)
{
    struct common o = {0};
    int k = simple_opts(argc, argv, &o);
    uint64_t id = 0;
    if (k < 0 || argc - k > 1)
        return usage("status", "[JOB]");
    if (argc - k == 1 && parse_job_id("status", argv[k], &id) != 0)
        return 2;
    struct herd_client *c = connect_master("status", &o);
    if (c == NULL)
        return 1;
    int rc = argc - k == 1 ? status_one(c, id) : status_all(c);
    herd_client_destroy(c);
    return rc;
}

/* =============================== cancel =============================== */

int herd_cmd_cancel(int argc, char **argv)
{
    struct common o = {0};
    int k = simple_opts(argc, argv, &o);
    uint64_t id;
    if (k < 0 || argc - k != 1)
        return usage("cancel", "JOB");
    if (parse_job_id("cancel", argv[k], &id) != 0)
        return 2;
    struct herd_client *c = connect_master("cancel", &o);
    if (c == NULL)
        return 1;
    char path[64];
    json_t *j = NULL;
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64 "/cancel", id);
    int rc = api(c, "cancel", "POST", path, NULL, 200, &j) == 0 ? 0 : 1;
    if (rc == 0)
        printf("job %" PRIu64 ": %s\n", id, jstr(j, "state"));
    json_decref(j);
    herd_client_destroy(c);
    return rc;
}

/* =============================== workers ============================== */

int herd_cmd_workers(int argc, char **argv)
{
    struct common o = {0};
    int k = simple_opts(argc, argv, &o);
    if (k < 0 || argc != k)
        return usage("workers", "");
    struct herd_client *c = connect_master("workers", &o);
    json_t *r = NULL;
    if (c == NULL || api(c, "workers", "GET", "/v1/workers", NULL, 200, &r) != 0) {
        herd_client_destroy(c);
        return 1;
    }
    printf("%-16s %-20s %-9s %-7s %7s %s\n", "ID", "HOST", "STATE", "CORES", "RUNNING",
           "LAST-HEARTBEAT");
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(r, "workers"), i, w) {
        char cores[32];
        snprintf(cores, sizeof cores, "%lld/%lld", jint(w, "cores_used"), jint(w, "cores"));
        printf("%-16s %-20s %-9s %-7s %7lld %.1fs ago\n", jstr(w, "id"), jstr(w, "host"),
               jstr(w, "state"), cores, jint(w, "running"),
               (double)jint(w, "heartbeat_age_ms") / 1000.0);
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
                    task && jstr(task, "name")[0] ? " (" : "", task ? jstr(task, "name") : "",
                    task && jstr(task, "name")[0] ? ")" : "", stream);
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
static long long find_task(const json_t *tasks, const char *sel)
{
    size_t i;
    json_t *t;
    char *end = NULL;
    long long n = strtoll(sel, &end, 10);
    int numeric = sel[0] != '\0' && *end == '\0';
    json_array_foreach(tasks, i, t) {
        if ((numeric && jint(t, "index") == n) || strcmp(jstr(t, "name"), sel) == 0)
            return jint(t, "index");
    }
    fprintf(stderr, "herd logs: no task '%s' in this job\n", sel);
    return -1;
}

static int logs(struct herd_client *c, uint64_t id, const char *sel)
{
    char path[64];
    json_t *r = NULL;
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64 "/tasks", id);
    if (api(c, "logs", "GET", path, NULL, 200, &r) != 0)
        return 1;
    json_t *tasks = json_object_get(r, "tasks");
    int rc = 0;
    if (sel != NULL) {
        long long ix = find_task(tasks, sel);
        rc = ix < 0 || copy_stream(c, id, ix, "stdout", stdout, 0, NULL) != 0 ||
             copy_stream(c, id, ix, "stderr", stderr, 0, NULL) != 0;
    } else {
        size_t i;
        json_t *t;
        json_array_foreach(tasks, i, t) {
            if (copy_stream(c, id, jint(t, "index"), "stdout", stdout, 1, t) != 0 ||
                copy_stream(c, id, jint(t, "index"), "stderr", stderr, 1, t) != 0) {
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
    struct common o = {0};
    int k = simple_opts(argc, argv, &o);
    uint64_t id;
    if (k < 0 || argc - k < 1 || argc - k > 2)
        return usage("logs", "JOB [TASK]");
    if (parse_job_id("logs", argv[k], &id) != 0)
        return 2;
    struct herd_client *c = connect_master("logs", &o);
    if (c == NULL)
        return 1;
    int rc = logs(c, id, argc - k == 2 ? argv[k + 1] : NULL);
    herd_client_destroy(c);
    return rc;
}
