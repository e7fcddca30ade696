/* simutil — helpers for the simulation tests (header-only, static): a temp
 * journal, job specs of simulated tasks, waiting on jobs and workers, and
 * reading the journal back with a second SQLite connection. */
#ifndef HERD_TEST_SIMUTIL_H
#define HERD_TEST_SIMUTIL_H

#include "base/mem.h"
#include "master/core.h"
#include "sim/sim.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tmpdb {
    char path[256];
};

static inline void tmpdb_make(struct tmpdb *t)
{
    const char *dir = getenv("TMPDIR");
    snprintf(t->path, sizeof t->path, "%s/herd-sim-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(t->path);
    if (fd >= 0)
        close(fd);
}

static inline void tmpdb_remove(struct tmpdb *t)
{
    char p[300];
    unlink(t->path);
    snprintf(p, sizeof p, "%s-wal", t->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", t->path);
    unlink(p);
}

/* n simulated tasks; argv = {"sim", dur or "-", extra}. */
static inline void sim_spec(struct herd_job_spec *s, uint32_t n, const char *dur, const char *extra)
{
    memset(s, 0, sizeof *s);
    s->max_retries = 3;
    s->ntasks = n;
    s->tasks = herd_xcalloc(n, sizeof *s->tasks);
    for (uint32_t i = 0; i < n; i++) {
        struct herd_task_spec *t = &s->tasks[i];
        char word[32];
        t->kind = HERD_TASK_COMMAND;
        t->nargv = extra ? 4 : 3;
        t->argv = herd_xcalloc(t->nargv, sizeof *t->argv);
        t->argv[0] = herd_xstrdup("sim");
        t->argv[1] = herd_xstrdup(dur ? dur : "-");
        snprintf(word, sizeof word, "i%u", i);
        t->argv[2] = herd_xstrdup(word);
        if (extra)
            t->argv[3] = herd_xstrdup(extra);
        t->cores = 1;
    }
}

static inline uint64_t sim_submit(struct herd_sim *s, struct herd_job_spec *spec)
{
    uint64_t id = 0;
    struct herd_err e;
    if (herd_core_submit(herd_sim_core(s), spec, &id, &e) != HERD_OK) {
        fprintf(stderr, "submit: %s\n", e.msg);
        return 0;
    }
    return id;
}

struct job_wait {
    uint64_t id;
};

static inline int job_final(void *arg, struct herd_sim *s)
{
    struct job_wait *w = arg;
    struct herd_job_info ji;
    if (herd_sim_core(s) == NULL || herd_core_job_info(herd_sim_core(s), w->id, &ji) != HERD_OK)
        return 0;
    return strcmp(ji.state, "running") != 0;
}

static inline const char *job_state_of(struct herd_sim *s, uint64_t id)
{
    struct herd_job_info ji;
    if (herd_core_job_info(herd_sim_core(s), id, &ji) != HERD_OK)
        return "?";
    return ji.state;
}

struct wstate_q {
    const char *id;
    const char *state; /* found */
};

static inline void wstate_cb(void *arg, const struct herd_worker_info *w)
{
    struct wstate_q *q = arg;
    if (strcmp(w->id, q->id) == 0)
        q->state = w->state;
}

/* Core's view of a worker's state, or "" if unknown / master down. */
static inline const char *worker_state(struct herd_sim *s, const char *id)
{
    struct wstate_q q = {id, ""};
    if (herd_sim_core(s) != NULL)
        herd_core_each_worker(herd_sim_core(s), wstate_cb, &q);
    return q.state;
}

struct wwait {
    const char *id;
    const char *state;
};

static inline int worker_in(void *arg, struct herd_sim *s)
{
    struct wwait *w = arg;
    return strcmp(worker_state(s, w->id), w->state) == 0;
}

/* Reads the journal: for each recorded result, calls fn(task_id, attempt_id,
 * status, stdout). Returns the number of rows, or -1. */
static inline int journal_results(const char *path,
                           void (*fn)(void *arg, uint64_t task, uint64_t attempt, int status,
                                      const char *out),
                           void *arg)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto out;
    sqlite3_busy_timeout(db, 2000);
    if (sqlite3_prepare_v2(db, "SELECT task_id, attempt_id, status, CAST(stdout AS TEXT)"
                               " FROM results ORDER BY task_id", -1, &q, NULL) != SQLITE_OK)
        goto out;
    n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *o = (const char *)sqlite3_column_text(q, 3);
        if (fn)
            fn(arg, (uint64_t)sqlite3_column_int64(q, 0), (uint64_t)sqlite3_column_int64(q, 1),
               sqlite3_column_int(q, 2), o ? o : "");
        n++;
    }
out:
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

/* The attempt id printed in a simulated task's stdout, or 0. */
static inline uint64_t out_attempt(const char *out)
{
    const char *p = strstr(out, "attempt=");
    return p ? strtoull(p + 8, NULL, 16) : 0;
}

#endif
