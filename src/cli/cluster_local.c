/* cluster_local — spawns and tears down the embedded local cluster
 * (cluster_local.h). The children are this same binary (/proc/self/exe,
 * resolved) started as `herd master` and `herd worker`. */
#include "cli/cluster_local.h"

#include "api/client.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEARTBEAT_MS "250"

#define POLL_US 1000L /* start-up and tear-down poll: cheap checks, and every ms counts */

static void nap_us(long us)
{
    struct timespec ts = {us / 1000000L, (us % 1000000L) * 1000L};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts argv as a child logging to dir/log; a worker (shm) gets
 * HERD_PULL_SHM_DIR. */
static pid_t spawn(const struct herd_local *lc, char *const argv[], const char *log, int shm)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (shm && lc->shm[0])
        setenv("HERD_PULL_SHM_DIR", lc->shm, 1);
    const char *where = getenv("HERD_LOCAL_LOGS");
    if (where == NULL || strcmp(where, "stderr") != 0) {
        char path[700];
        snprintf(path, sizeof path, "%s/%s", lc->dir, log);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    execv(n > 0 ? self : "/proc/self/exe", argv); /* the real path keeps the name "herd" */
    _exit(127);
}

/* Reads "control=P\nhttp=Q\n" once the master wrote it. */
static int read_ports(const char *path, unsigned *control, unsigned *http)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int n = fscanf(f, "control=%u\nhttp=%u", control, http);
    fclose(f);
    return n == 2 ? 0 : -1;
}

static int wait_ports(struct herd_local *lc, struct herd_err *e)
{
    char pf[600];
    unsigned control = 0, http = 0;
    snprintf(pf, sizeof pf, "%s/ports", lc->dir);
    for (double end = now_s() + 15; now_s() < end;) {
        if (read_ports(pf, &control, &http) == 0) {
            snprintf(lc->master, sizeof lc->master, "127.0.0.1:%u", control);
            /* clients derive HTTP as port+1 (api/addr.h): name the port below it */
            snprintf(lc->http, sizeof lc->http, "127.0.0.1:%u", http - 1);
            return HERD_OK;
        }
        if (waitpid(lc->master_pid, NULL, WNOHANG) == lc->master_pid) {
            lc->master_pid = 0;
            return herd_err_set(e, HERD_EIO, "local cluster: the master exited (log in %s)",
                                lc->dir);
        }
        nap_us(POLL_US);
    }
    return herd_err_set(e, HERD_EIO, "local cluster: the master did not start");
}

static int count_ready(struct herd_client *cl)
{
    long status;
    json_t *reply = NULL;
    struct herd_err e;
    if (herd_client_call(cl, "GET", "/v1/workers", NULL, &status, &reply, &e) != HERD_OK ||
        status != 200) {
        json_decref(reply);
        return -1;
    }
    int n = 0;
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(reply, "workers"), i, w)
        n += strcmp(json_string_value(json_object_get(w, "state")) ?: "", "ready") == 0;
    json_decref(reply);
    return n;
}

static int wait_workers(struct herd_local *lc, struct herd_err *e)
{
    struct herd_client *cl;
    int rc = herd_client_create(lc->http, NULL, &cl, e);
    if (rc != HERD_OK)
        return rc;
    for (double end = now_s() + 30; now_s() < end;) {
        if (count_ready(cl) >= (int)lc->nworkers) {
            herd_client_destroy(cl);
            return HERD_OK;
        }
        nap_us(POLL_US);
    }
    herd_client_destroy(cl);
    return herd_err_set(e, HERD_EIO, "local cluster: workers did not register (logs in %s)",
                        lc->dir);
}

static void start_workers(struct herd_local *lc)
{
    lc->worker_pids = herd_xcalloc(lc->nworkers, sizeof *lc->worker_pids);
    for (uint32_t i = 0; i < lc->nworkers; i++) {
        char id[32], wd[600], log[32];
        snprintf(id, sizeof id, "local-%u", i);
        snprintf(wd, sizeof wd, "%s/w%u", lc->dir, i);
        snprintf(log, sizeof log, "worker-%u.log", i);
        char *argv[] = {"herd", "worker", lc->master, "--id", id, "--work-dir", wd, NULL};
        lc->worker_pids[i] = spawn(lc, argv, log, 1);
    }
}

/* lc->shm: memory-backed (/dev/shm) where there is one, so the shared
 * arrays are never written back to a disk; else under lc->dir. Without
 * either the workers ship their contributions over the data plane. */
static void make_shm_dir(struct herd_local *lc)
{
    struct stat st;
    snprintf(lc->shm, sizeof lc->shm, "/dev/shm/herd-local-XXXXXX");
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && mkdtemp(lc->shm) != NULL)
        return;
    snprintf(lc->shm, sizeof lc->shm, "%s/shm", lc->dir);
    if (mkdir(lc->shm, 0700) != 0)
        lc->shm[0] = '\0';
}

int herd_local_start(uint32_t nworkers, struct herd_local *lc, struct herd_err *e)
{
    memset(lc, 0, sizeof *lc);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(lc->dir, sizeof lc->dir, "%s/herd-local-XXXXXX", tmp);
    if (mkdtemp(lc->dir) == NULL)
        return herd_err_set(e, HERD_EIO, "local cluster: mkdtemp %s: %s", lc->dir,
                            strerror(errno));
    lc->nworkers = nworkers;
    make_shm_dir(lc);
    char pf[600], dd[600];
    snprintf(pf, sizeof pf, "%s/ports", lc->dir);
    snprintf(dd, sizeof dd, "%s/master", lc->dir);
    char *argv[] = {"herd", "master", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
                    "--port-file", pf, "--data-dir", dd, "--heartbeat-ms", HEARTBEAT_MS, NULL};
    lc->master_pid = spawn(lc, argv, "master.log", 0);
    int rc = lc->master_pid > 0 ? wait_ports(lc, e)
                                : herd_err_set(e, HERD_EIO, "local cluster: fork failed");
    if (rc == HERD_OK) {
        start_workers(lc);
        rc = wait_workers(lc, e);
    }
    if (rc != HERD_OK) {
        lc->keep_logs = 1;
        herd_local_stop(lc);
    }
    return rc;
}

/* Reaps every child in pids[0..n) that has exited (slots become 0);
 * returns how many are left. */
static uint32_t reap(pid_t *pids, uint32_t n)
{
    uint32_t left = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) == pids[i])
            pids[i] = 0;
        left += pids[i] > 0;
    }
    return left;
}

/* SIGTERM to every child at once (the workers drain, the master shuts
 * down: none needs another to go first), then SIGKILL to any still there
 * after `ms`; waits for all. */
static void stop_all(pid_t *pids, uint32_t n, long ms)
{
    for (uint32_t i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGTERM);
    for (double end = now_s() + (double)ms / 1e3; reap(pids, n) > 0 && now_s() < end;)
        nap_us(POLL_US);
    for (uint32_t i = 0; i < n; i++) {
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
            pids[i] = 0;
        }
    }
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0; /* best effort: go on */
}

/* rm -rf, in this process (no fork and exec of rm on the way out). */
static void remove_tree(const char *dir)
{
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void herd_local_stop(struct herd_local *lc)
{
    uint32_t n = lc->worker_pids ? lc->nworkers : 0;
    pid_t *pids = herd_xcalloc(n + 1, sizeof *pids);
    if (lc->worker_pids)
        memcpy(pids, lc->worker_pids, n * sizeof *pids);
    pids[n] = lc->master_pid;
    stop_all(pids, n + 1, 5000);
    free(pids);
    lc->master_pid = 0;
    free(lc->worker_pids);
    lc->worker_pids = NULL;
    if (lc->shm[0])
        remove_tree(lc->shm); /* (inside dir or not) */
    if (!lc->keep_logs)
        remove_tree(lc->dir);
    else
        fprintf(stderr, "herd run: local cluster logs kept in %s\n", lc->dir);
}
