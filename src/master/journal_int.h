/* journal_int — private parts of the journal shared by journal.c and
 * journal_load.c. Not for other modules. */
#ifndef HERD_MASTER_JOURNAL_INT_H
#define HERD_MASTER_JOURNAL_INT_H

#include "base/err.h"

#include <sqlite3.h>
#include <stdint.h>

enum jstmt {
    JS_ADD_JOB,
    JS_ADD_TASK,
    JS_JOB_STATE,
    JS_TASK_FINAL,
    JS_ATTEMPT_ADD,
    JS_ATTEMPT_END,
    JS_RESULT,
    JS_RESULT_ATTEMPT,
    JS_OUTPUT_OUT,
    JS_OUTPUT_ERR,
    JS_COUNT
};

/* Statements of journal_files.c (task output files, failed attempts' logs). */
enum jfstmt { JF_FILE_ADD, JF_FILE_GET, JF_FILE_LIST, JF_LOG_ADD, JF_LOG_LIST, JF_COUNT };

struct herd_journal_ckpt;

struct herd_journal {
    sqlite3 *db;
    struct herd_journal_ckpt *ckpt; /* journal_ckpt.c; NULL for ":memory:" */
    uint32_t epoch;
    int in_txn;
    sqlite3_stmt *st[JS_COUNT];
    sqlite3_stmt *fst[JF_COUNT];
};

/* A task's state as the readers see it, for "tasks t LEFT JOIN results r ON
 * r.task_id = t.id": a succeeded task's row is not updated (its result row,
 * status 0, is the record: one write per result instead of two on the
 * hottest path), so a pending row with an OK result is succeeded. Failed,
 * canceled and dep_failed tasks are still written by herd_journal_task_final. */
#define HERD_JOURNAL_TASK_STATE "(CASE WHEN t.state = 'pending' AND r.status = 0" \
                                " THEN 'succeeded' ELSE t.state END)"
/* For such a task: its attempt count and last worker come from attempts
 * (index attempts_task), its exit code from the result. */
#define HERD_JOURNAL_TASK_ATTEMPTS "(CASE WHEN t.state = 'pending' THEN" \
    " (SELECT COUNT(*) FROM attempts a WHERE a.task_id = t.id) ELSE t.attempts END)"
#define HERD_JOURNAL_TASK_WORKER "(CASE WHEN t.state = 'pending' THEN" \
    " (SELECT a.worker FROM attempts a WHERE a.task_id = t.id ORDER BY a.id DESC LIMIT 1)" \
    " ELSE t.worker END)"
#define HERD_JOURNAL_TASK_EXIT "(CASE WHEN t.state = 'pending' AND r.status = 0" \
                               " THEN r.exit_code ELSE t.exit_code END)"

/* Opens a transaction unless one is open. */
int herd_journal__begin(struct herd_journal *j, struct herd_err *e);
/* journal_files.c: creates its tables and prepares its statements / frees them. */
int herd_journal__files_init(struct herd_journal *j, struct herd_err *e);
void herd_journal__files_fini(struct herd_journal *j);

/* journal_ckpt.c: checkpoints on a thread of their own, replacing SQLite's
 * automatic ones (after setup, the WAL on); stop before closing j->db.
 * start: HERD_EDB/HERD_EIO/HERD_ENOMEM if the connection or thread fails. */
int herd_journal__ckpt_start(struct herd_journal *j, const char *path, struct herd_err *e);
void herd_journal__ckpt_stop(struct herd_journal *j);

/* journal_pcache.c: wraps SQLite's default page cache so that a commit does
 * not scan all cached pages (see there). Process-wide, once, before the
 * first connection; 1 if installed, 0 if SQLite was initialised already
 * (the default cache stays). Any thread; idempotent. */
int herd_journal__pcache_install(void);
/* Counters over all caches of the process since it started, for tests:
 * truncate calls, those passed to the default cache (a page at or past the
 * limit may exist), and moves of a page past the bound (parked). */
struct herd_journal_pcache_stats {
    uint64_t truncates, passed, parked;
};
void herd_journal__pcache_stats(struct herd_journal_pcache_stats *out);

/* Sets *e to HERD_EDB with "journal: what: sqlite message"; returns HERD_EDB. */
int herd_journal_fail(struct herd_journal *j, struct herd_err *e, const char *what);

#endif
