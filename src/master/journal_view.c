/* journal_view — reading jobs and tasks back from the journal, for the views
 * of finished jobs that the core no longer keeps in memory. Statements are
 * prepared per call: these answer HTTP requests, not the hot path. */
#include "master/journal.h"
#include "master/journal_int.h"

#include <stdio.h>
#include <string.h>

static const char job_sql[] =
    "SELECT j.id, j.name, j.priority, j.ntasks, j.state, j.submitted_ms, j.finished_ms,"
    " COALESCE(SUM(" HERD_JOURNAL_TASK_STATE " = 'succeeded'), 0),"
    " COALESCE(SUM(t.state IN ('failed', 'dep_failed')), 0),"
    " COALESCE(SUM(t.state = 'canceled'), 0)"
    " FROM jobs j LEFT JOIN tasks t ON t.job_id = j.id LEFT JOIN results r ON r.task_id = t.id"
    " WHERE j.id %s ? GROUP BY j.id ORDER BY j.id";

static const char task_sql[] =
    "SELECT t.id, t.idx, t.name, " HERD_JOURNAL_TASK_STATE ", " HERD_JOURNAL_TASK_ATTEMPTS ", "
    HERD_JOURNAL_TASK_EXIT ", " HERD_JOURNAL_TASK_WORKER " FROM tasks t"
    " LEFT JOIN results r ON r.task_id = t.id WHERE t.job_id = ? ORDER BY t.idx";

static void job_row(sqlite3_stmt *q, struct herd_journal_job_view *v)
{
    memset(v, 0, sizeof *v);
    v->id = (uint64_t)sqlite3_column_int64(q, 0);
    v->name = (const char *)sqlite3_column_text(q, 1);
    v->priority = sqlite3_column_int(q, 2);
    v->ntasks = (uint32_t)sqlite3_column_int64(q, 3);
    v->state = (const char *)sqlite3_column_text(q, 4);
    v->submitted_ms = (uint64_t)sqlite3_column_int64(q, 5);
    v->finished_ms = (uint64_t)sqlite3_column_int64(q, 6);
    v->succeeded = (uint32_t)sqlite3_column_int64(q, 7);
    v->failed = (uint32_t)sqlite3_column_int64(q, 8);
    v->canceled = (uint32_t)sqlite3_column_int64(q, 9);
    if (v->name == NULL)
        v->name = "";
    if (v->state == NULL)
        v->state = "?";
}

/* Runs the job query with "id <op> ?" and calls fn per row; *rows counts them. */
static int jobs_where(struct herd_journal *j, const char *op, uint64_t id,
                      void (*fn)(void *arg, const struct herd_journal_job_view *v), void *arg,
                      size_t *rows, struct herd_err *e)
{
    char sql[sizeof job_sql + 8];
    sqlite3_stmt *q = NULL;
    int s;
    snprintf(sql, sizeof sql, job_sql, op);
    if (sqlite3_prepare_v2(j->db, sql, -1, &q, NULL) != SQLITE_OK)
        return herd_journal_fail(j, e, "prepare job view");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
    *rows = 0;
    while ((s = sqlite3_step(q)) == SQLITE_ROW) {
        struct herd_journal_job_view v;
        job_row(q, &v);
        fn(arg, &v);
        (*rows)++;
    }
    sqlite3_finalize(q);
    return s == SQLITE_DONE ? HERD_OK : herd_journal_fail(j, e, "read jobs");
}

int herd_journal_job_get(struct herd_journal *j, uint64_t job_id,
                         void (*fn)(void *arg, const struct herd_journal_job_view *v), void *arg,
                         struct herd_err *e)
{
    size_t rows = 0;
    int rc = jobs_where(j, "=", job_id, fn, arg, &rows, e);
    if (rc == HERD_OK && rows == 0)
        return herd_err_set(e, HERD_ENOTFOUND, "job %llu not in the journal",
                            (unsigned long long)job_id);
    return rc;
}

int herd_journal_job_list(struct herd_journal *j,
                          void (*fn)(void *arg, const struct herd_journal_job_view *v), void *arg,
                          struct herd_err *e)
{
    size_t rows = 0;
    return jobs_where(j, ">", 0, fn, arg, &rows, e);
}

int herd_journal_task_list(struct herd_journal *j, uint64_t job_id,
                           void (*fn)(void *arg, const struct herd_journal_task_view *v),
                           void *arg, struct herd_err *e)
{
    sqlite3_stmt *q = NULL;
    int s;
    if (sqlite3_prepare_v2(j->db, task_sql, -1, &q, NULL) != SQLITE_OK)
        return herd_journal_fail(j, e, "prepare task view");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)job_id);
    while ((s = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 2);
        const char *state = (const char *)sqlite3_column_text(q, 3);
        const char *worker = (const char *)sqlite3_column_text(q, 6);
        struct herd_journal_task_view v = {
            .id = (uint64_t)sqlite3_column_int64(q, 0),
            .index = (uint32_t)sqlite3_column_int64(q, 1),
            .name = name ? name : "",
            .state = state ? state : "?",
            .attempts = (uint32_t)sqlite3_column_int64(q, 4),
            .exit_code = sqlite3_column_int(q, 5),
            .worker = worker ? worker : "",
        };
        fn(arg, &v);
    }
    sqlite3_finalize(q);
    return s == SQLITE_DONE ? HERD_OK : herd_journal_fail(j, e, "read tasks");
}
