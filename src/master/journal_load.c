/* journal_load — reading the journal back at master start. */
#include "base/bytes.h"
#include "base/mem.h"
#include "master/journal.h"
#include "master/journal_int.h"
#include "wire/msg.h"

#include <stdlib.h>
#include <string.h>

static const char q_jobs[] = "SELECT id, name, priority, max_retries, ntasks, state, submitted_ms,"
                             " finished_ms, retry_on FROM jobs ORDER BY id";
static const char q_tasks[] =
    "SELECT t.id, t.job_id, t.idx, t.name, t.kind, t.cores, t.memory, t.timeout_ms, t.spec,"
    " t.deps, " HERD_JOURNAL_TASK_STATE ", " HERD_JOURNAL_TASK_ATTEMPTS ", "
    HERD_JOURNAL_TASK_EXIT ", " HERD_JOURNAL_TASK_WORKER
    " FROM tasks t LEFT JOIN results r ON r.task_id = t.id ORDER BY t.job_id, t.idx";
static const char q_running[] =
    "SELECT a.id, a.task_id, t.job_id, a.worker, a.started_ms, t.idx FROM attempts a"
    " JOIN tasks t ON a.task_id = t.id JOIN jobs j ON t.job_id = j.id"
    " WHERE a.state = 'running' AND t.state = 'pending' AND j.state = 'running'"
    " AND NOT EXISTS (SELECT 1 FROM results r WHERE r.task_id = t.id) ORDER BY a.id";

static const char *col_text(sqlite3_stmt *q, int i)
{
    return (const char *)sqlite3_column_text(q, i);
}

static int load_jobs(struct herd_journal *j, const struct herd_journal_loader *l, sqlite3_stmt *q)
{
    int s, rc = HERD_OK;
    while (rc == HERD_OK && (s = sqlite3_step(q)) == SQLITE_ROW) {
        struct herd_journal_job_row r = {
            .id = (uint64_t)sqlite3_column_int64(q, 0),
            .name = col_text(q, 1),
            .priority = sqlite3_column_int(q, 2),
            .max_retries = (uint32_t)sqlite3_column_int64(q, 3),
            .ntasks = (uint32_t)sqlite3_column_int64(q, 4),
            .state = col_text(q, 5),
            .submitted_ms = (uint64_t)sqlite3_column_int64(q, 6),
            .finished_ms = (uint64_t)sqlite3_column_int64(q, 7),
            .retry_on = (uint32_t)sqlite3_column_int64(q, 8),
        };
        rc = l->job(l->ctx, &r);
    }
    (void)j;
    return rc;
}

static void free_strv(char **v, uint32_t n)
{
    for (uint32_t i = 0; v != NULL && i < n; i++)
        free(v[i]);
    free(v);
}

static char **decode_strv(struct herd_rbuf *r, uint32_t *n)
{
    uint32_t k = herd_rbuf_u32(r);
    if (r->bad || k > HERD_MSG_MAX_FILES || (size_t)k * 4 > herd_rbuf_left(r)) {
        r->bad = 1;
        return NULL;
    }
    char **v = herd_xcalloc(k ? k : 1, sizeof *v);
    for (uint32_t i = 0; i < k; i++)
        v[i] = herd_rbuf_str(r, HERD_MSG_MAX_BLOB);
    *n = k;
    return v;
}

/* Decodes the run blob and the deps blob into t; 0 on success. */
static int decode_spec(const void *run, size_t run_len, const void *deps, size_t deps_len,
                       int want_run, struct herd_task_spec *t)
{
    struct herd_rbuf r;
    if (want_run) {
        herd_rbuf_init(&r, run, run_len);
        t->argv = decode_strv(&r, &t->nargv);
        t->env = decode_strv(&r, &t->nenv);
        size_t n = 0;
        const uint8_t *p = herd_rbuf_blob(&r, &n, HERD_MSG_MAX_BLOB);
        if (p != NULL && n > 0) {
            t->payload = herd_xmalloc(n);
            memcpy(t->payload, p, n);
            t->payload_len = (uint32_t)n;
        }
        t->inputs = decode_strv(&r, &t->ninputs);
        t->outputs = decode_strv(&r, &t->noutputs);
        char *plugin = herd_rbuf_str(&r, HERD_MSG_MAX_STR);
        if (plugin != NULL && plugin[0] != '\0')
            t->plugin = plugin;
        else
            free(plugin);
        if (r.bad || herd_rbuf_left(&r) != 0)
            return -1;
    }
    herd_rbuf_init(&r, deps, deps_len);
    uint32_t nd = herd_rbuf_u32(&r);
    if (r.bad || (size_t)nd * 4 != herd_rbuf_left(&r))
        return -1;
    t->deps = herd_xcalloc(nd ? nd : 1, sizeof *t->deps);
    t->ndeps = nd;
    for (uint32_t i = 0; i < nd; i++)
        t->deps[i] = herd_rbuf_u32(&r);
    return 0;
}

static void free_spec(struct herd_task_spec *t)
{
    free_strv(t->argv, t->nargv);
    free_strv(t->env, t->nenv);
    free(t->payload);
    free_strv(t->inputs, t->ninputs);
    free_strv(t->outputs, t->noutputs);
    free(t->plugin);
    free(t->deps);
    memset(t, 0, sizeof *t);
}

static int task_row(struct herd_journal *j, const struct herd_journal_loader *l, sqlite3_stmt *q,
                    struct herd_err *e)
{
    struct herd_journal_task_row r = {
        .id = (uint64_t)sqlite3_column_int64(q, 0),
        .job_id = (uint64_t)sqlite3_column_int64(q, 1),
        .index = (uint32_t)sqlite3_column_int64(q, 2),
        .name = col_text(q, 3),
        .state = col_text(q, 10),
        .exit_code = sqlite3_column_int(q, 12),
    };
    int unfinished = r.state != NULL && strcmp(r.state, "pending") == 0;
    r.attempts = (uint32_t)sqlite3_column_int64(q, 11);
    r.worker = col_text(q, 13);
    r.spec.kind = (uint8_t)sqlite3_column_int(q, 4);
    r.spec.cores = (uint32_t)sqlite3_column_int64(q, 5);
    r.spec.memory = (uint64_t)sqlite3_column_int64(q, 6);
    r.spec.timeout_ms = (uint32_t)sqlite3_column_int64(q, 7);
    if (r.state == NULL ||
        decode_spec(sqlite3_column_blob(q, 8), (size_t)sqlite3_column_bytes(q, 8),
                    sqlite3_column_blob(q, 9), (size_t)sqlite3_column_bytes(q, 9), unfinished,
                    &r.spec) != 0) {
        free_spec(&r.spec);
        return herd_err_set(e, HERD_EDB, "journal: task %llu: corrupt row",
                            (unsigned long long)r.id);
    }
    int rc = l->task(l->ctx, &r);
    free_spec(&r.spec);
    (void)j;
    return rc;
}

static int load_running(const struct herd_journal_loader *l, sqlite3_stmt *q)
{
    int s, rc = HERD_OK;
    while (rc == HERD_OK && (s = sqlite3_step(q)) == SQLITE_ROW) {
        struct herd_journal_attempt_row r = {
            .id = (uint64_t)sqlite3_column_int64(q, 0),
            .task_id = (uint64_t)sqlite3_column_int64(q, 1),
            .job_id = (uint64_t)sqlite3_column_int64(q, 2),
            .worker = col_text(q, 3),
            .started_ms = (uint64_t)sqlite3_column_int64(q, 4),
            .index = (uint32_t)sqlite3_column_int64(q, 5),
        };
        if (r.worker == NULL)
            r.worker = "";
        rc = l->running(l->ctx, &r);
    }
    return rc;
}

int herd_journal_load(struct herd_journal *j, const struct herd_journal_loader *l,
                      struct herd_err *e)
{
    sqlite3_stmt *q = NULL;
    int rc = HERD_OK, s;
    if (sqlite3_prepare_v2(j->db, q_jobs, -1, &q, NULL) != SQLITE_OK)
        goto dbfail;
    rc = load_jobs(j, l, q);
    sqlite3_finalize(q);
    q = NULL;
    if (rc != HERD_OK)
        return rc;
    if (sqlite3_prepare_v2(j->db, q_tasks, -1, &q, NULL) != SQLITE_OK)
        goto dbfail;
    while (rc == HERD_OK && (s = sqlite3_step(q)) == SQLITE_ROW)
        rc = task_row(j, l, q, e);
    sqlite3_finalize(q);
    q = NULL;
    if (rc != HERD_OK)
        return rc;
    if (sqlite3_prepare_v2(j->db, q_running, -1, &q, NULL) != SQLITE_OK)
        goto dbfail;
    rc = load_running(l, q);
    sqlite3_finalize(q);
    return rc;
dbfail:
    rc = herd_journal_fail(j, e, "load");
    sqlite3_finalize(q);
    return rc;
}
