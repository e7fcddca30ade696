/* journal_files — the journal's record of task output files (name -> blob)
 * and of what failed attempts printed (their stderr, kept although the task
 * was retried). */
#include "master/journal.h"
#include "master/journal_int.h"

#include <string.h>

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS files("
    " task_id INTEGER NOT NULL, name TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
    " PRIMARY KEY(task_id, name));"
    "CREATE TABLE IF NOT EXISTS attempt_logs("
    " attempt_id INTEGER PRIMARY KEY, status INTEGER NOT NULL, exit_code INTEGER NOT NULL,"
    " stderr BLOB, error TEXT);";

static const char *const sql[JF_COUNT] = {
    [JF_FILE_ADD] = "INSERT OR REPLACE INTO files(task_id, name, sha256, size) VALUES(?, ?, ?, ?)",
    [JF_FILE_GET] = "SELECT f.sha256, f.size FROM files f JOIN tasks t ON f.task_id = t.id"
                    " WHERE t.job_id = ? AND t.idx = ? AND f.name = ?",
    [JF_FILE_LIST] = "SELECT f.name, f.sha256, f.size FROM files f JOIN tasks t"
                     " ON f.task_id = t.id WHERE t.job_id = ? AND t.idx = ? ORDER BY f.name",
    [JF_LOG_ADD] = "INSERT OR REPLACE INTO attempt_logs(attempt_id, status, exit_code, stderr,"
                   " error) VALUES(?, ?, ?, ?, ?)",
    [JF_LOG_LIST] = "SELECT a.id, a.worker, a.state, a.status, a.exit_code, a.started_ms,"
                    " a.ended_ms, l.stderr, l.error FROM attempts a JOIN tasks t"
                    " ON a.task_id = t.id LEFT JOIN attempt_logs l ON l.attempt_id = a.id"
                    " WHERE t.job_id = ? AND t.idx = ? ORDER BY a.id",
};

int herd_journal__files_init(struct herd_journal *j, struct herd_err *e)
{
    if (sqlite3_exec(j->db, schema, NULL, NULL, NULL) != SQLITE_OK)
        return herd_journal_fail(j, e, "create file tables");
    for (int i = 0; i < JF_COUNT; i++)
        if (sqlite3_prepare_v2(j->db, sql[i], -1, &j->fst[i], NULL) != SQLITE_OK)
            return herd_journal_fail(j, e, "prepare");
    return HERD_OK;
}

void herd_journal__files_fini(struct herd_journal *j)
{
    for (int i = 0; i < JF_COUNT; i++)
        sqlite3_finalize(j->fst[i]);
}

static int write_done(struct herd_journal *j, sqlite3_stmt *q, const char *what,
                      struct herd_err *e)
{
    int s = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return s == SQLITE_DONE ? HERD_OK : herd_journal_fail(j, e, what);
}

int herd_journal_file_add(struct herd_journal *j, uint64_t task_id, const char *name,
                          const char *sha, uint64_t size, struct herd_err *e)
{
    sqlite3_stmt *q = j->fst[JF_FILE_ADD];
    int rc = herd_journal__begin(j, e);
    if (rc != HERD_OK)
        return rc;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)task_id);
    sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, sha, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)size);
    return write_done(j, q, "insert file", e);
}

static void bind_task(sqlite3_stmt *q, uint64_t job_id, uint32_t index)
{
    sqlite3_bind_int64(q, 1, (sqlite3_int64)job_id);
    sqlite3_bind_int64(q, 2, index);
}

int herd_journal_file_get(struct herd_journal *j, uint64_t job_id, uint32_t index,
                          const char *name, char *sha, uint64_t *size, struct herd_err *e)
{
    sqlite3_stmt *q = j->fst[JF_FILE_GET];
    bind_task(q, job_id, index);
    sqlite3_bind_text(q, 3, name, -1, SQLITE_STATIC);
    int s = sqlite3_step(q), rc = HERD_OK;
    const char *got = s == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
    if (got != NULL && strlen(got) == 64) {
        memcpy(sha, got, 65);
        *size = (uint64_t)sqlite3_column_int64(q, 1);
    } else if (s == SQLITE_ROW || s == SQLITE_DONE) {
        rc = herd_err_set(e, HERD_ENOTFOUND, "job %llu task %u has no output file '%.200s'",
                          (unsigned long long)job_id, index, name);
    } else {
        rc = herd_journal_fail(j, e, "read file");
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc;
}

int herd_journal_file_list(struct herd_journal *j, uint64_t job_id, uint32_t index,
                           void (*fn)(void *arg, const char *name, const char *sha,
                                      uint64_t size),
                           void *arg, struct herd_err *e)
{
    sqlite3_stmt *q = j->fst[JF_FILE_LIST];
    bind_task(q, job_id, index);
    int s;
    while ((s = sqlite3_step(q)) == SQLITE_ROW)
        fn(arg, (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
           (uint64_t)sqlite3_column_int64(q, 2));
    sqlite3_reset(q);
    return s == SQLITE_DONE ? HERD_OK : herd_journal_fail(j, e, "list files");
}

int herd_journal_attempt_log(struct herd_journal *j, uint64_t attempt_id, int status,
                             int32_t exit_code, const uint8_t *err, size_t err_len,
                             const char *error, struct herd_err *e)
{
    sqlite3_stmt *q = j->fst[JF_LOG_ADD];
    int rc = herd_journal__begin(j, e);
    if (rc != HERD_OK)
        return rc;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)attempt_id);
    sqlite3_bind_int(q, 2, status);
    sqlite3_bind_int(q, 3, exit_code);
    sqlite3_bind_blob(q, 4, err ? (const void *)err : "", (int)err_len, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, error ? error : "", -1, SQLITE_STATIC);
    return write_done(j, q, "insert attempt log", e);
}

int herd_journal_attempt_list(struct herd_journal *j, uint64_t job_id, uint32_t index,
                              void (*fn)(void *arg, const struct herd_journal_attempt_info *a),
                              void *arg, struct herd_err *e)
{
    sqlite3_stmt *q = j->fst[JF_LOG_LIST];
    bind_task(q, job_id, index);
    int s;
    while ((s = sqlite3_step(q)) == SQLITE_ROW) {
        struct herd_journal_attempt_info a = {
            .id = (uint64_t)sqlite3_column_int64(q, 0),
            .worker = (const char *)sqlite3_column_text(q, 1),
            .state = (const char *)sqlite3_column_text(q, 2),
            .status = sqlite3_column_type(q, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 3),
            .exit_code = sqlite3_column_int(q, 4),
            .started_ms = (uint64_t)sqlite3_column_int64(q, 5),
            .ended_ms = (uint64_t)sqlite3_column_int64(q, 6),
            .err = sqlite3_column_blob(q, 7),
            .err_len = (size_t)sqlite3_column_bytes(q, 7),
            .error = (const char *)sqlite3_column_text(q, 8),
        };
        fn(arg, &a);
    }
    sqlite3_reset(q);
    return s == SQLITE_DONE ? HERD_OK : herd_journal_fail(j, e, "list attempts");
}
