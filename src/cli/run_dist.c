/* run_dist — client side of a distributed `herd run` (run_dist.h). */
#include "cli/run_dist.h"

#include "api/b64.h"
#include "api/client.h"
#include "base/err.h"
#include "base/log.h"
#include "cli/cluster_local.h"
#include "cli/partcat.h"
#include "graph/renumber.h"
#include "wire/gmsg.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POLL_MAX_US 20000L    /* job state poll while loading and running */
#define POLL_WRITING_US 2000L /* ... and once the workers write their parts */

/* Where a run's wall time went, for the debug line at the end
 * ($HERD_LOG=debug): the client's own timers and the job report's. */
struct phases {
    double start, job, seen_ms, merge, stop; /* seconds, but seen_ms */
    double load_ms, steps_ms, write_ms;
    const char *how;
};

static double secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_plugin(const char *name)
{
    size_t n = strlen(name);
    return strchr(name, '/') || (n >= 3 && strcmp(name + n - 3, ".so") == 0);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Opens the plugin here first, so a bad one is reported by its own name
 * before anything is shipped. */
static int check_plugin(const char *path)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        fprintf(stderr, "herd run: %s\n", dlerror());
        return -1;
    }
    int ok = dlsym(dl, "herd_plugin_program") != NULL;
    if (!ok)
        fprintf(stderr, "herd run: %s: no herd_plugin_program()\n", path);
    dlclose(dl);
    return ok ? 0 : -1;
}

static int add_plugin(json_t *o, const char *path)
{
    if (check_plugin(path) != 0)
        return -1;
    size_t n;
    char *bytes = read_all(path, &n);
    if (bytes == NULL) {
        fprintf(stderr, "herd run: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *b64 = herd_b64_encode((const uint8_t *)bytes, n);
    free(bytes);
    json_object_set_new(o, "plugin_b64", json_string(b64));
    free(b64);
    return 0;
}

static json_t *spec_json(const struct herd_run_req *r, const char *graph, const char *outdir,
                         const char *ckpt)
{
    json_t *o = json_object();
    const char *base = strrchr(r->algo, '/');
    json_object_set_new(o, "algo", json_string(is_plugin(r->algo) ? (base ? base + 1 : r->algo)
                                                                   : r->algo));
    if (is_plugin(r->algo) && add_plugin(o, r->algo) != 0) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "graph", json_string(graph));
    json_object_set_new(o, "output_dir", json_string(outdir));
    json_object_set_new(o, "format", json_string(r->format ? r->format : "auto"));
    json_object_set_new(o, "directed", json_integer(r->directed));
    json_object_set_new(o, "simplify", json_integer(r->simplify));
    json_object_set_new(o, "no_fast_path", json_integer(r->no_fast));
    if (r->partitioning)
        json_object_set_new(o, "partitioning", json_string(r->partitioning));
    json_object_set_new(o, "seed", json_integer((json_int_t)r->seed));
    if (r->has_source)
        json_object_set_new(o, "source", json_integer((json_int_t)r->source));
    if (r->iterations)
        json_object_set_new(o, "iterations", json_integer(r->iterations));
    if (r->damping > 0)
        json_object_set_new(o, "damping", json_real(r->damping));
    if (r->arg)
        json_object_set_new(o, "arg", json_string(r->arg));
    json_object_set_new(o, "workers", json_integer(r->workers));
    json_object_set_new(o, "partitions", json_integer(r->partitions));
    json_object_set_new(o, "threads", json_integer(r->threads));
    json_object_set_new(o, "checkpoint_every", json_integer(r->checkpoint_every));
    if (r->checkpoint_every && ckpt) /* none: through the master (its data dir) */
        json_object_set_new(o, "checkpoint_dir", json_string(ckpt));
    if (r->barrier_timeout_ms)
        json_object_set_new(o, "barrier_timeout_ms", json_integer(r->barrier_timeout_ms));
    return o;
}

/* Submits and follows the job; *job is its final JSON. 0 or -1. */
static int follow(struct herd_client *cl, json_t *spec, json_t **job)
{
    long st;
    json_t *rep = NULL;
    struct herd_err e;
    if (herd_client_call(cl, "POST", "/v1/graph-jobs", spec, &st, &rep, &e) != HERD_OK) {
        fprintf(stderr, "herd run: %s\n", e.msg);
        return -1;
    }
    if (st != 201) {
        fprintf(stderr, "herd run: %s\n", herd_client_error_text(rep, st));
        json_decref(rep);
        return -1;
    }
    char path[64];
    snprintf(path, sizeof path, "/v1/graph-jobs/%" PRIu64,
             (uint64_t)json_integer_value(json_object_get(rep, "id")));
    json_decref(rep);
    for (long wait_us = 200;;) {
        if (herd_client_call(cl, "GET", path, NULL, &st, &rep, &e) != HERD_OK || st != 200) {
            fprintf(stderr, "herd run: lost the master: %s\n", e.msg);
            json_decref(rep);
            return -1;
        }
        const char *state = json_string_value(json_object_get(rep, "state"));
        if (state && (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0)) {
            *job = rep;
            return 0;
        }
        /* back off to POLL_MAX_US while it runs (each poll costs the master
         * CPU that the workers want), but follow the short write closely:
         * the end of a run waits for this poll */
        long cap = state && strcmp(state, "writing") == 0 ? POLL_WRITING_US : POLL_MAX_US;
        wait_us = wait_us * 2 < cap ? wait_us * 2 : cap;
        json_decref(rep);
        usleep((useconds_t)wait_us);
    }
}

static int part_open(void *arg, uint32_t p, FILE **f, struct herd_err *e)
{
    char path[PATH_MAX + 32];
    herd_gmsg_part_path(path, sizeof path, (const char *)arg, p);
    if ((*f = fopen(path, "r")) == NULL)
        return herd_err_set(e, HERD_EIO, "%s: %s", path, strerror(errno));
    return HERD_OK;
}

static void part_done(void *arg, uint32_t p, FILE *f)
{
    char path[PATH_MAX + 32];
    herd_gmsg_part_path(path, sizeof path, (const char *)arg, p);
    fclose(f);
    unlink(path);
}

/* Every part is ascending by input id (a range partition is an id range, a
 * hash partition is ranked by id), so one k-way merge by id serves both;
 * parts are opened a bounded number at a time. When the parts in index
 * order are already in id order as a whole (range partitioning), the merge
 * would write their concatenation: the kernel copies them instead
 * (partcat.h). *how says which was done. */
static int merge_parts(const char *dir, uint32_t nparts, const char *output, const char **how)
{
    FILE *out = output ? fopen(output, "w") : stdout;
    if (out == NULL) {
        fprintf(stderr, "herd run: %s: %s\n", output, strerror(errno));
        return -1;
    }
    struct herd_err e = {0};
    int ordered = 0;
    int rc = herd_partcat_ordered(dir, nparts, &ordered, &e) == HERD_OK ? 0 : -1;
    if (rc == 0 && ordered) {
        *how = "concatenated";
        rc = fflush(out) == 0 && herd_partcat_copy(dir, nparts, fileno(out), &e) == HERD_OK
                 ? 0
                 : -1;
    } else if (rc == 0) {
        *how = "merged";
        struct herd_merge_src src = {part_open, part_done, (void *)dir};
        rc = herd_renumber_merge_many(&src, nparts, out, &e) == HERD_OK ? 0 : -1;
    }
    if (rc != 0 && e.msg[0])
        fprintf(stderr, "herd run: %s\n", e.msg);
    if ((output ? fclose(out) : fflush(out)) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "herd run: writing the result failed\n");
    return rc;
}

static int write_stats(const char *path, json_t *job)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "herd run: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "superstep\tcomputed\tactive\tsent\texchanged\tms\tbytes\tcompute_ms\tcheckpoint_ms\n");
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(job, "steps"), i, s)
    {
#define I(k) (long long)json_integer_value(json_object_get(s, k))
#define F(k) json_number_value(json_object_get(s, k))
        fprintf(f, "%lld\t%lld\t%lld\t%lld\t%lld\t%.3f\t%lld\t%.3f\t%.3f\n", I("step"),
                I("computed"), I("active"), I("sent"), I("exchanged"), F("ms"), I("bytes"),
                F("compute_ms"), F("checkpoint_ms"));
#undef I
#undef F
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* One "superstep" event per step, like the one-process engine's. */
static int write_events(const char *path, json_t *job)
{
    if (herd_event_open(path) != HERD_OK) {
        fprintf(stderr, "herd run: cannot open event log %s\n", path);
        return -1;
    }
    char id[32], info[200];
    snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(job, "id")));
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(job, "steps"), i, s)
    {
#define I(k) (long long)json_integer_value(json_object_get(s, k))
        snprintf(info, sizeof info,
                 "step=%lld computed=%lld active=%lld sent=%lld exchanged=%lld ms=%.3f", I("step"),
                 I("computed"), I("active"), I("sent"), I("exchanged"),
                 json_number_value(json_object_get(s, "ms")));
#undef I
        herd_event("superstep", id, NULL, NULL, info);
    }
    return 0;
}

static void summary(json_t *job, double t_run, double t_merge, const char *how)
{
#define I(k) (long long)json_integer_value(json_object_get(job, k))
    fprintf(stderr,
            "herd run: %s: %lld vertices, %lld arcs, %zu supersteps (%s path, "
            "distributed), %lld workers, %lld partitions, %lld recoveries; load %.3f s, "
            "job %.3f s, write %.3f s, %s %.3f s\n",
            json_string_value(json_object_get(job, "algo")), I("vertices"), I("arcs"),
            json_array_size(json_object_get(job, "steps")),
            json_string_value(json_object_get(job, "path")), I("workers"), I("partitions"),
            I("recoveries"), json_number_value(json_object_get(job, "load_ms")) / 1e3, t_run,
            json_number_value(json_object_get(job, "write_ms")) / 1e3, how, t_merge);
#undef I
}

/* The job report's share of *ph, and how late the client saw the end
 * (its submit-to-seen time less the master's submitted-to-finished). */
static void job_phases(json_t *job, struct phases *ph)
{
    double ran_ms = (double)json_integer_value(json_object_get(job, "finished_ms")) -
                    (double)json_integer_value(json_object_get(job, "submitted_ms"));
    ph->seen_ms = ph->job * 1e3 - ran_ms;
    ph->load_ms = json_number_value(json_object_get(job, "load_ms"));
    ph->write_ms = json_number_value(json_object_get(job, "write_ms"));
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(job, "steps"), i, s)
        ph->steps_ms += json_number_value(json_object_get(s, "ms"));
}

static void log_phases(const struct phases *ph)
{
    herd_debug("run", "phases: cluster start %.3f s; submit to done seen %.3f s (load %.3f s, "
               "supersteps %.3f s, write %.3f s, seen %.0f ms after done); %s %.3f s; "
               "cluster stop %.3f s",
               ph->start, ph->job, ph->load_ms / 1e3, ph->steps_ms / 1e3, ph->write_ms / 1e3,
               ph->seen_ms, ph->how ? ph->how : "no result", ph->merge, ph->stop);
}

static int finish(const struct herd_run_req *r, json_t *job, const char *outdir, double t_run,
                  struct phases *ph)
{
    const char *state = json_string_value(json_object_get(job, "state"));
    if (strcmp(state, "done") != 0) {
        fprintf(stderr, "herd run: %s\n", json_string_value(json_object_get(job, "error")));
        return 1;
    }
    double t0 = secs();
    uint32_t nparts = (uint32_t)json_integer_value(json_object_get(job, "partitions"));
    const char *how = "left in --output-dir";
    int bad = r->output_dir == NULL && merge_parts(outdir, nparts, r->output, &how) != 0;
    ph->how = how;
    ph->merge = secs() - t0;
    if (bad)
        return 1;
    if (r->stats && write_stats(r->stats, job) != 0)
        return 1;
    if (r->events && write_events(r->events, job) != 0)
        return 1;
    summary(job, t_run, secs() - t0, how);
    return 0;
}

/* Absolute form of a path (which need not exist yet for directories). */
static char *absolute(const char *p)
{
    char *a = realpath(p, NULL);
    if (a || p[0] == '/')
        return a ? a : strdup(p);
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL)
        return NULL;
    size_t n = strlen(cwd) + strlen(p) + 2;
    a = malloc(n);
    if (a)
        snprintf(a, n, "%s/%s", cwd, p);
    return a;
}

static int run_on(const struct herd_run_req *r, const char *master, const char *scratch,
                  struct phases *ph)
{
    struct herd_err e;
    struct herd_client *cl;
    char outdir[PATH_MAX + 16];
    char *graph = absolute(r->graph);
    if (graph == NULL || access(graph, R_OK) != 0) {
        fprintf(stderr, "herd run: %s: %s\n", r->graph, strerror(errno));
        free(graph);
        return 1;
    }
    snprintf(outdir, sizeof outdir, "%s/out", scratch);
    char *od = r->output_dir ? absolute(r->output_dir) : NULL;
    if (od)
        mkdir(od, 0777);
    mkdir(outdir, 0777);
    json_t *spec = spec_json(r, graph, od ? od : outdir, r->ckpt_dir);
    free(graph);
    int rc = 1;
    json_t *job = NULL;
    if (spec && herd_client_create(master, NULL, &cl, &e) == HERD_OK) {
        double t0 = secs();
        if (follow(cl, spec, &job) == 0) {
            ph->job = secs() - t0;
            job_phases(job, ph);
            rc = finish(r, job, outdir, ph->job, ph);
        }
        herd_client_destroy(cl);
    } else if (spec) {
        fprintf(stderr, "herd run: %s\n", e.msg);
    }
    json_decref(spec);
    json_decref(job);
    free(od);
    return rc;
}

int herd_run_dist(const struct herd_run_req *r)
{
    struct herd_err e;
    if (r->master) {
        char scratch[PATH_MAX];
        const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(scratch, sizeof scratch, "%s/herd-run-XXXXXX", tmp);
        if (mkdtemp(scratch) == NULL) {
            fprintf(stderr, "herd run: mkdtemp: %s\n", strerror(errno));
            return 1;
        }
        struct phases ph = {0};
        int rc = run_on(r, r->master, scratch, &ph);
        log_phases(&ph);
        char cmd[PATH_MAX + 32];
        snprintf(cmd, sizeof cmd, "%s/out", scratch);
        rmdir(cmd);
        snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", scratch);
        if (system(cmd) != 0)
            fprintf(stderr, "herd run: could not remove %s\n", scratch);
        return rc;
    }
    struct herd_local lc;
    struct phases ph = {0};
    double t0 = secs();
    if (herd_local_start(r->workers ? r->workers : 2, &lc, &e) != HERD_OK) {
        fprintf(stderr, "herd run: %s\n", e.msg);
        return 1;
    }
    ph.start = secs() - t0;
    int rc = run_on(r, lc.http, lc.dir, &ph);
    t0 = secs();
    herd_local_stop(&lc);
    ph.stop = secs() - t0;
    log_phases(&ph);
    return rc;
}
