/* fakeio — a recording io for master core unit tests (header-only, static):
 * a manual clock, a fixed random sequence, and every sent message kept
 * (deep-copied) with its connection. Included by tests/master/test_*.c. */
#ifndef HERD_TEST_FAKEIO_H
#define HERD_TEST_FAKEIO_H

#include "base/mem.h"
#include "master/core.h"
#include "wire/frame.h"
#include "wire/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sent {
    uint64_t conn;
    struct herd_msg m;
};

struct fakeio {
    uint64_t now;
    uint64_t rnd;
    struct sent *out;
    size_t nout, cap;
    uint64_t closed[64];
    size_t nclosed;
};

static inline void fk_send(void *ctx, uint64_t conn, const struct herd_msg *m)
{
    struct fakeio *f = ctx;
    herd_xgrow((void **)&f->out, &f->cap, f->nout + 1, sizeof *f->out);
    f->out[f->nout].conn = conn;
    herd_msg_copy(&f->out[f->nout].m, m);
    f->nout++;
}

static inline void fk_close(void *ctx, uint64_t conn)
{
    struct fakeio *f = ctx;
    if (f->nclosed < 64)
        f->closed[f->nclosed++] = conn;
}

static inline uint64_t fk_now(void *ctx)
{
    return ((struct fakeio *)ctx)->now;
}

static inline uint64_t fk_random(void *ctx)
{
    struct fakeio *f = ctx;
    f->rnd = f->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
    return f->rnd >> 11;
}

static inline struct herd_core_io fk_io(struct fakeio *f)
{
    memset(f, 0, sizeof *f);
    f->now = 1000000;
    return (struct herd_core_io){f, fk_send, fk_close, fk_now, fk_random};
}

static inline void fk_clear(struct fakeio *f)
{
    for (size_t i = 0; i < f->nout; i++)
        herd_msg_free(&f->out[i].m);
    f->nout = 0;
    f->nclosed = 0;
}

static inline void fk_fini(struct fakeio *f)
{
    fk_clear(f);
    free(f->out);
}

/* The last message of `type` sent on conn (0 = any), or NULL. */
static inline struct herd_msg *fk_last(struct fakeio *f, uint64_t conn, uint16_t type)
{
    for (size_t i = f->nout; i-- > 0;)
        if ((conn == 0 || f->out[i].conn == conn) && f->out[i].m.type == type)
            return &f->out[i].m;
    return NULL;
}

static inline size_t fk_count(struct fakeio *f, uint64_t conn, uint16_t type)
{
    size_t n = 0;
    for (size_t i = 0; i < f->nout; i++)
        if ((conn == 0 || f->out[i].conn == conn) && f->out[i].m.type == type)
            n++;
    return n;
}

static inline int fk_was_closed(struct fakeio *f, uint64_t conn)
{
    for (size_t i = 0; i < f->nclosed; i++)
        if (f->closed[i] == conn)
            return 1;
    return 0;
}

/* Sends HELLO for worker `id` on conn (after conn_open), listing running. */
static inline void fk_hello(struct herd_core *c, uint64_t conn, const char *id, uint32_t cores,
                     const uint64_t *running, uint32_t nrunning)
{
    struct herd_msg m = {.type = HERD_MSG_HELLO};
    m.u.hello.proto = HERD_PROTO_VERSION;
    m.u.hello.herd_version = (char *)"test";
    m.u.hello.worker_id = (char *)id;
    m.u.hello.host = (char *)"h";
    m.u.hello.cores = cores;
    m.u.hello.running = (uint64_t *)running;
    m.u.hello.nrunning = nrunning;
    herd_core_conn_msg(c, conn, &m);
}

static inline void fk_heartbeat(struct herd_core *c, uint64_t conn, const uint64_t *running, uint32_t n)
{
    struct herd_msg m = {.type = HERD_MSG_HEARTBEAT};
    m.u.heartbeat.running = (uint64_t *)running;
    m.u.heartbeat.nrunning = n;
    herd_core_conn_msg(c, conn, &m);
}

static inline void fk_result(struct herd_core *c, uint64_t conn, const struct herd_msg_assign *a,
                      uint8_t status, const char *out)
{
    struct herd_msg m = {.type = HERD_MSG_RESULT};
    m.u.result.attempt_id = a->attempt_id;
    m.u.result.job_id = a->job_id;
    m.u.result.task_id = a->task_id;
    m.u.result.status = status;
    m.u.result.exit_code = status == HERD_RESULT_OK ? 0 : 1;
    m.u.result.stdout_data = (uint8_t *)out;
    m.u.result.stdout_len = out ? (uint32_t)strlen(out) : 0;
    m.u.result.error = (char *)"";
    herd_core_conn_msg(c, conn, &m);
}

/* A job spec of n command tasks "t<i>" with `cores` each and no deps. */
static inline void fk_spec(struct herd_job_spec *s, uint32_t n, uint32_t cores, int32_t prio)
{
    memset(s, 0, sizeof *s);
    s->priority = prio;
    s->max_retries = 3;
    s->ntasks = n;
    s->tasks = herd_xcalloc(n, sizeof *s->tasks);
    for (uint32_t i = 0; i < n; i++) {
        struct herd_task_spec *t = &s->tasks[i];
        t->kind = HERD_TASK_COMMAND;
        t->nargv = 2;
        t->argv = herd_xcalloc(2, sizeof *t->argv);
        t->argv[0] = herd_xstrdup("echo");
        t->argv[1] = herd_xmalloc(16);
        snprintf(t->argv[1], 16, "t%u", i);
        t->cores = cores;
    }
}

static inline void fk_dep(struct herd_job_spec *s, uint32_t task, uint32_t dep)
{
    struct herd_task_spec *t = &s->tasks[task];
    t->deps = herd_xrealloc(t->deps, (t->ndeps + 1) * sizeof *t->deps);
    t->deps[t->ndeps++] = dep;
}

#endif
