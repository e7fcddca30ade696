#include "master/journal.h"

#include "base/bytes.h"
#include "base/log.h"
#include "base/mem.h"
#include "master/journal_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES('epoch', 0);"
    "INSERT OR IGNORE INTO meta VALUES('schema', 1);"
    "CREATE TABLE IF NOT EXISTS jobs("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, priority INTEGER NOT NULL,"
    " max_retries INTEGER NOT NULL, ntasks INTEGER NOT NULL, state TEXT NOT NULL,"
    " submitted_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL DEFAULT 0,"
    " retry_on INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS tasks("
    " id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, idx INTEGER NOT NULL, name TEXT,"
    " kind INTEGER NOT NULL, cores INTEGER NOT NULL, memory INTEGER NOT NULL,"
    " timeout_ms INTEGER NOT NULL, spec BLOB NOT NULL, deps BLOB NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,"
    " exit_code INTEGER NOT NULL DEFAULT 0, worker TEXT, UNIQUE(job_id, idx));"
    "CREATE TABLE IF NOT EXISTS attempts("
    " id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL, worker TEXT NOT NULL,"
    " state TEXT NOT NULL, started_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL DEFAULT 0,"
    " status INTEGER, exit_code INTEGER);"
    "CREATE INDEX IF NOT EXISTS attempts_task ON attempts(task_id);"
    "CREATE TABLE IF NOT EXISTS results("
    " task_id INTEGER PRIMARY KEY, attempt_id INTEGER NOT NULL, status INTEGER NOT NULL,"
    " exit_code INTEGER NOT NULL, stdout BLOB, stderr BLOB, error TEXT,"
    " recorded_ms INTEGER NOT NULL);";

static const char *const sql[JS_COUNT] = {
    [JS_ADD_JOB] = "INSERT INTO jobs(name, priority, max_retries, ntasks, state, submitted_ms,"
                   " retry_on) VALUES(?, ?, ?, ?, 'running', ?, ?)",
    [JS_ADD_TASK] = "INSERT INTO tasks(job_id, idx, name, kind, cores, memory, timeout_ms,"
                    " spec, deps) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [JS_JOB_STATE] = "UPDATE jobs SET state = ?, finished_ms = ? WHERE id = ?",
    [JS_TASK_FINAL] = "UPDATE tasks SET state = ?, attempts = ?, exit_code = ?, worker = ?"
                      " WHERE id = ?",
    [JS_ATTEMPT_ADD] = "INSERT INTO attempts(id, task_id, worker, state, started_ms)"
                       " VALUES(?, ?, ?, 'running', ?)",
    [JS_ATTEMPT_END] = "UPDATE attempts SET state = ?, status = ?, exit_code = ?, ended_ms = ?"
                       " WHERE id = ?",
    [JS_RESULT] = "INSERT INTO results(task_id, attempt_id, status, exit_code, stdout, stderr,"
                  " error, recorded_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
    [JS_RESULT_ATTEMPT] = "SELECT attempt_id FROM results WHERE task_id = ?",
    [JS_OUTPUT_OUT] = "SELECT r.stdout FROM results r JOIN tasks t ON r.task_id = t.id"
                      " WHERE t.job_id = ? AND t.idx = ?",
    [JS_OUTPUT_ERR] = "SELECT r.stderr FROM results r JOIN tasks t ON r.task_id = t.id"
                      " WHERE t.job_id = ? AND t.idx = ?",
};

int herd_journal_fail(struct herd_journal *j, struct herd_err *e, const char *what)
{
    return herd_err_set(e, HERD_EDB, "journal: %s: %s", what,
                        j->db ? sqlite3_errmsg(j->db) : "cannot open");
}

static int exec(struct herd_journal *j, const char *s, struct herd_err *e)
{
    if (sqlite3_exec(j->db, s, NULL, NULL, NULL) != SQLITE_OK)
        return herd_journal_fail(j, e, s);
    return HERD_OK;
}

static int bump_epoch(struct herd_journal *j, struct herd_err *e)
{
    sqlite3_stmt *q = NULL;
    int rc = exec(j, "BEGIN IMMEDIATE; UPDATE meta SET value = value + 1 WHERE key = 'epoch';", e);
    if (rc != HERD_OK)
        return rc;
    if (sqlite3_prepare_v2(j->db, "SELECT value FROM meta WHERE key = 'epoch'", -1, &q, NULL) !=
            SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW)
        goto fail;
    j->epoch = (uint32_t)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return exec(j, "COMMIT", e);
fail:
    rc = herd_journal_fail(j, e, "read epoch");
    sqlite3_finalize(q);
    sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The page cache: 64 MiB unless $HERD_JOURNAL_CACHE_MIB (1..65536) says
 * otherwise. With SQLite's default 2 MiB a queue of 100k tasks no longer
 * fits, and every dispatch and result paid page reads (dispatch rate 0.5-0.7x
 * that with 1k queued; 1.0x with 64 MiB). The cache fills as the journal
 * grows, so it is the master's largest memory bound after the finished jobs
 * kept in memory (docs/soak.md). */
static int set_cache(struct herd_journal *j, struct herd_err *e)
{
    const char *env = getenv("HERD_JOURNAL_CACHE_MIB");
    char *end = NULL;
    unsigned long mib = env ? strtoul(env, &end, 10) : 64;
    if (env && (*env == '\0' || *end != '\0' || mib < 1 || mib > 65536)) {
        herd_warn("journal", "HERD_JOURNAL_CACHE_MIB='%.20s' is not 1..65536; using 64", env);
        mib = 64;
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%lu", mib * 1024);
    return exec(j, pragma, e);
}

static int setup(struct herd_journal *j, struct herd_err *e)
{
    const char *sync = getenv("HERD_JOURNAL_SYNC"), *pragma = "PRAGMA synchronous=NORMAL";
    if (sync != NULL && strcmp(sync, "full") == 0)
        pragma = "PRAGMA synchronous=FULL";
    else if (sync != NULL && strcmp(sync, "off") == 0)
        pragma = "PRAGMA synchronous=OFF"; /* simulation sweeps only */
    sqlite3_busy_timeout(j->db, 5000);
    int rc = exec(j, pragma, e); /* first: it also governs the switch to WAL */
    if (rc == HERD_OK)
        rc = exec(j, "PRAGMA journal_mode=WAL", e);
    if (rc == HERD_OK)
        rc = set_cache(j, e);
    if (rc == HERD_OK)
        rc = exec(j, schema, e);
    for (int i = 0; rc == HERD_OK && i < JS_COUNT; i++)
        if (sqlite3_prepare_v2(j->db, sql[i], -1, &j->st[i], NULL) != SQLITE_OK)
            rc = herd_journal_fail(j, e, "prepare");
    if (rc == HERD_OK)
        rc = herd_journal__files_init(j, e);
    if (rc == HERD_OK)
        rc = bump_epoch(j, e);
    return rc;
}

int herd_journal_open(const char *path, struct herd_journal **out, struct herd_err *e)
{
    struct herd_journal *j = herd_xcalloc(1, sizeof *j);
    int rc;
    herd_journal__pcache_install();
    if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = herd_journal_fail(j, e, "open");
        goto fail;
    }
    rc = setup(j, e);
    if (rc == HERD_OK)
        rc = herd_journal__ckpt_start(j, path, e);
    if (rc != HERD_OK)
        goto fail;
    herd_info("journal", "opened %s, epoch %u", path, j->epoch);
    *out = j;
    return HERD_OK;
fail:
    herd_err_wrap(e, "%s", path);
    j->in_txn = 0;
    herd_journal_close(j);
    return rc;
}

void herd_journal_close(struct herd_journal *j)
{
    if (j == NULL)
        return;
    if (j->in_txn)
        herd_journal_commit(j, NULL);
    herd_journal__ckpt_stop(j);
    for (int i = 0; i < JS_COUNT; i++)
        sqlite3_finalize(j->st[i]);
    herd_journal__files_fini(j);
    sqlite3_close(j->db);
    free(j);
}

uint32_t herd_journal_epoch(const struct herd_journal *j)
{
    return j->epoch;
}

int herd_journal__begin(struct herd_journal *j, struct herd_err *e)
{
    if (j->in_txn)
        return HERD_OK;
    int rc = exec(j, "BEGIN IMMEDIATE", e);
    if (rc == HERD_OK)
        j->in_txn = 1;
    return rc;
}

int herd_journal_commit(struct herd_journal *j, struct herd_err *e)
{
    if (!j->in_txn)
        return HERD_OK;
    int rc = exec(j, "COMMIT", e);
    if (rc != HERD_OK)
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
    j->in_txn = 0;
    return rc;
}

/* Runs a bound write statement to completion and resets it. */
static int step_done(struct herd_journal *j, sqlite3_stmt *q, const char *what, struct herd_err *e)
{
    int s = sqlite3_step(q);
    int rc = s == SQLITE_DONE ? HERD_OK : herd_journal_fail(j, e, what);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc;
}

static void bind_text(sqlite3_stmt *q, int i, const char *s)
{
    if (s == NULL)
        sqlite3_bind_null(q, i);
    else
        sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

static void encode_strv(struct herd_wbuf *w, char *const *v, uint32_t n)
{
    herd_wbuf_u32(w, n);
    for (uint32_t i = 0; i < n; i++)
        herd_wbuf_str(w, v[i]);
}

/* The run description blob: argv, env, payload (layout read back by
 * journal_load.c). */
static void encode_run(struct herd_wbuf *w, const struct herd_task_spec *t)
{
    encode_strv(w, t->argv, t->nargv);
    encode_strv(w, t->env, t->nenv);
    herd_wbuf_blob(w, t->payload, t->payload_len);
    encode_strv(w, t->inputs, t->ninputs);
    encode_strv(w, t->outputs, t->noutputs);
    herd_wbuf_str(w, t->plugin ? t->plugin : "");
}

static int add_task(struct herd_journal *j, uint64_t job_id, uint32_t idx,
                    const struct herd_task_spec *t, struct herd_wbuf *w, uint64_t *id,
                    struct herd_err *e)
{
    sqlite3_stmt *q = j->st[JS_ADD_TASK];
    herd_wbuf_reset(w);
    encode_run(w, t);
    size_t run_len = w->len;
    herd_wbuf_u32(w, t->ndeps);
    for (uint32_t d = 0; d < t->ndeps; d++)
        herd_wbuf_u32(w, t->deps[d]);
    sqlite3_bind_int64(q, 1, (sqlite3_int64)job_id);
    sqlite3_bind_int64(q, 2, idx);
    bind_text(q, 3, t->name);
    sqlite3_bind_int(q, 4, t->kind);
    sqlite3_bind_int64(q, 5, t->cores);
    sqlite3_bind_int64(q, 6, (sqlite3_int64)t->memory);
    sqlite3_bind_int64(q, 7, t->timeout_ms);
    sqlite3_bind_blob(q, 8, w->p, (int)run_len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 9, w->p + run_len, (int)(w->len - run_len), SQLITE_STATIC);
    int rc = step_done(j, q, "insert task", e);
    if (rc == HERD_OK)
        *id = (uint64_t)sqlite3_last_insert_rowid(j->db);
    return rc;
}

int herd_journal_add_job(struct herd_journal *j, const struct herd_job_spec *spec,
                         uint64_t submitted_ms, uint64_t *job_id, uint64_t *task_ids,
                         struct herd_err *e)
{
    sqlite3_stmt *q = j->st[JS_ADD_JOB];
    struct herd_wbuf w;
    herd_wbuf_init(&w);
    int rc = herd_journal__begin(j, e);
    if (rc != HERD_OK)
        goto out;
    bind_text(q, 1, spec->name ? spec->name : "");
    sqlite3_bind_int(q, 2, spec->priority);
    sqlite3_bind_int64(q, 3, spec->max_retries);
    sqlite3_bind_int64(q, 4, spec->ntasks);
    sqlite3_bind_int64(q, 5, (sqlite3_int64)submitted_ms);
    sqlite3_bind_int64(q, 6, spec->retry_on);
    rc = step_done(j, q, "insert job", e);
    if (rc != HERD_OK)
        goto out;
    uint64_t id = (uint64_t)sqlite3_last_insert_rowid(j->db);
    for (uint32_t i = 0; rc == HERD_OK && i < spec->ntasks; i++)
        rc = add_task(j, id, i, &spec->tasks[i], &w, &task_ids[i], e);
    if (rc == HERD_OK)
        *job_id = id;
out:
    herd_wbuf_fini(&w);
    return rc;
}

int herd_journal_job_state(struct herd_journal *j, uint64_t job_id, const char *state,
                           uint64_t finished_ms, struct herd_err *e)
{
    sqlite3_stmt *q = j->st[JS_JOB_STATE];
    int rc = herd_journal__begin(j, e);
    if (rc != HERD_OK)
        return rc;
    bind_text(q, 1, state);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)finished_ms);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)job_id);
    return step_done(j, q, "update job", e);
}

int herd_journal_task_final(struct herd_journal *j, uint64_t task_id, const char *state,
                            uint32_t attempts, int32_t exit_code, const char *worker,
                            struct herd_err *e)
{
    sqlite3_stmt *q = j->st[JS_TASK_FINAL];
    int rc = herd_journal__begin(j, e);
    if (rc != HERD_OK)
        return rc;
    bind_text(q, 1, state);
    sqlite3_bind_int64(q, 2, attempts);
    sqlite3_bind_int(q, 3, exit_code);
    bind_text(q, 4, worker);
    sqlite3_bind_int64(q, 5, (sqlite3_int64)task_id);
    return step_done(j, q, "update task", e);
}

int herd_journal_attempt_add(struct herd_journal *j, uint64_t attempt_id, uint64_t task_id,
                             const char *worker, uint64_t started_ms, struct herd_err *e)
{
    sqlite3_stmt *q = j->st[JS_ATTEMPT_ADD];
    int rc = herd_journal__begin(j, e);
    if (rc != HERD_OK)
        return rc;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)attempt_id);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)task_id);
    bind_text(q, 3, worker);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)started_ms);
    return step_done(j, q, "insert attempt", e);
}

int herd_journal_attempt_end(struct herd_journal *j, uint64_t attempt_id, const char *state,
                             int status, int32_t exit_code, uint64_t ended_ms,
                             struct herd_err *e)
{
    sqlite3_stmt *q = j->st[JS_ATTEMPT_END];
    int rc = herd_journal__begin(j, e);
    if (rc != HERD_OK)
        return rc;
    bind_text(q, 1, state);
    if (status < 0)
        sqlite3_bind_null(q, 2);
    else
        sqlite3_bind_int(q, 2, status);
    sqlite3_bind_int(q, 3, exit_code);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)ended_ms);
    sqlite3_bind_int64(q, 5, (sqlite3_int64)attempt_id);
    return step_done(j, q, "update attempt", e);
}

int herd_journal_result(struct herd_journal *j, const struct herd_journal_result *r,
                        struct herd_err *e)
{
    sqlite3_stmt *q = j->st[JS_RESULT];
    int rc = herd_journal__begin(j, e);
    if (rc != HERD_OK)
        return rc;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)r->task_id);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)r->attempt_id);
    sqlite3_bind_int(q, 3, r->status);
    sqlite3_bind_int(q, 4, r->exit_code);
    sqlite3_bind_blob(q, 5, r->out ? (const void *)r->out : "", (int)r->out_len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 6, r->err ? (const void *)r->err : "", (int)r->err_len, SQLITE_STATIC);
    bind_text(q, 7, r->error);
    sqlite3_bind_int64(q, 8, (sqlite3_int64)r->recorded_ms);
    int s = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (s == SQLITE_DONE)
        return HERD_OK;
    if (s == SQLITE_CONSTRAINT)
        return herd_err_set(e, HERD_EEXISTS, "journal: task %llu already has a result",
                            (unsigned long long)r->task_id);
    return herd_journal_fail(j, e, "insert result");
}

int herd_journal_result_attempt(struct herd_journal *j, uint64_t task_id, uint64_t *attempt_id,
                                struct herd_err *e)
{
    sqlite3_stmt *q = j->st[JS_RESULT_ATTEMPT];
    sqlite3_bind_int64(q, 1, (sqlite3_int64)task_id);
    int s = sqlite3_step(q);
    int rc = HERD_OK;
    if (s == SQLITE_ROW)
        *attempt_id = (uint64_t)sqlite3_column_int64(q, 0);
    else if (s == SQLITE_DONE)
        rc = herd_err_set(e, HERD_ENOTFOUND, "no result for task %llu",
                          (unsigned long long)task_id);
    else
        rc = herd_journal_fail(j, e, "read result");
    sqlite3_reset(q);
    return rc;
}

int herd_journal_output(struct herd_journal *j, uint64_t job_id, uint32_t index, int want_stderr,
                        uint8_t **out, size_t *len, struct herd_err *e)
{
    sqlite3_stmt *q = j->st[want_stderr ? JS_OUTPUT_ERR : JS_OUTPUT_OUT];
    sqlite3_bind_int64(q, 1, (sqlite3_int64)job_id);
    sqlite3_bind_int64(q, 2, index);
    int s = sqlite3_step(q), rc = HERD_OK;
    if (s == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(q, 0);
        const void *p = sqlite3_column_blob(q, 0);
        uint8_t *buf = malloc(n + 1);
        if (buf == NULL) {
            rc = herd_err_set(e, HERD_ENOMEM, "output of task %u", index);
        } else {
            if (n > 0)
                memcpy(buf, p, n);
            buf[n] = 0;
            *out = buf;
            *len = n;
        }
    } else if (s == SQLITE_DONE) {
        rc = herd_err_set(e, HERD_ENOTFOUND, "job %llu task %u has no recorded result",
                          (unsigned long long)job_id, index);
    } else {
        rc = herd_journal_fail(j, e, "read output");
    }
    sqlite3_reset(q);
    return rc;
}
