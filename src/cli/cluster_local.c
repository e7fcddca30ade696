/* cluster_local — spawns and tears down the embedded local cluster
 * (cluster_local.h). The children are this same binary (/proc/self/exe,
 * resolved) started as `herd master` and `herd worker`. */
#include "cli/cluster_local.h"

#include "api/client.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEARTBEAT_MS "250"

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static pid_t spawn(const struct herd_local *lc, char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
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
    for (int i = 0; i < 3000; i++) {
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
        nap_ms(5);
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
    for (int i = 0; i < 6000; i++) {
        if (count_ready(cl) >= (int)lc->nworkers) {
            herd_client_destroy(cl);
            return HERD_OK;
        }
        nap_ms(5);
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
        lc->worker_pids[i] = spawn(lc, argv, log);
    }
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
    char pf[600], dd[600];
    snprintf(pf, sizeof pf, "%s/ports", lc->dir);
    snprintf(dd, sizeof dd, "%s/master", lc->dir);
    char *argv[] = {"herd", "master", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
                    "--port-file", pf, "--data-dir", dd, "--heartbeat-ms", HEARTBEAT_MS, NULL};
    lc->master_pid = spawn(lc, argv, "master.log");
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

/* SIGTERM, then SIGKILL if it has not exited after `ms`. */
static void stop_pid(pid_t pid, long ms)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (long t = 0; t < ms; t += 5) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        nap_ms(5);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void remove_tree(const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

void herd_local_stop(struct herd_local *lc)
{
    for (uint32_t i = 0; lc->worker_pids && i < lc->nworkers; i++)
        if (lc->worker_pids[i] > 0)
            kill(lc->worker_pids[i], SIGTERM);
    for (uint32_t i = 0; lc->worker_pids && i < lc->nworkers; i++)
        stop_pid(lc->worker_pids[i], 5000);
    stop_pid(lc->master_pid, 5000);
    free(lc->worker_pids);
    lc->worker_pids = NULL;
    if (!lc->keep_logs)
        remove_tree(lc->dir);
    else
        fprintf(stderr, "herd run: local cluster logs kept in %s\n", lc->dir);
}
