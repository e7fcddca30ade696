/* The journal's page-cache wrapper (journal_pcache.c): with results of
 * many jobs interleaved (B-tree splits away from the right edge, which move
 * a page through SQLite's temporary page number), commits no longer hand
 * the default cache a truncate that makes it scan every cached page; and
 * what must be dropped still is (a rolled-back transaction that grew the
 * file), the journal staying intact and complete. */
#include "check.h"
#include "fakeio.h"

#include "master/journal.h"
#include "master/journal_int.h"

#include <unistd.h>

#define NJOBS 24
#define PER_JOB 300

static void tmp_path(char *p, size_t n)
{
    const char *dir = getenv("TMPDIR");
    snprintf(p, n, "%s/herd-pcache-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(p);
    CHECK(fd >= 0);
    close(fd);
}

static void rm_db(const char *p)
{
    char q[300];
    unlink(p);
    snprintf(q, sizeof q, "%s-wal", p);
    unlink(q);
    snprintf(q, sizeof q, "%s-shm", p);
    unlink(q);
}

static int64_t count_rows(struct herd_journal *j, const char *sql)
{
    sqlite3_stmt *q = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(j->db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}

static int intact(struct herd_journal *j)
{
    sqlite3_stmt *q = NULL;
    int ok = sqlite3_prepare_v2(j->db, "PRAGMA integrity_check", -1, &q, NULL) == SQLITE_OK &&
             sqlite3_step(q) == SQLITE_ROW &&
             strcmp((const char *)sqlite3_column_text(q, 0), "ok") == 0;
    sqlite3_finalize(q);
    return ok;
}

static void add_job(struct herd_journal *j, uint32_t n, uint64_t *tids)
{
    struct herd_job_spec s;
    struct herd_err e;
    uint64_t id;
    fk_spec(&s, n, 1, 0);
    CHECK_EQ(herd_journal_add_job(j, &s, 1, &id, tids, &e), HERD_OK);
    herd_job_spec_free(&s);
}

/* Results and attempts of NJOBS jobs, round robin in turns of 16 tasks, a
 * commit every 10 results (the master's pattern with many jobs queued). */
static void interleave(struct herd_journal *j, uint64_t tids[NJOBS][PER_JOB])
{
    struct herd_err e;
    uint64_t att = 1;
    uint32_t n = 0;
    for (uint32_t base = 0; base < PER_JOB; base += 16)
        for (uint32_t jb = 0; jb < NJOBS; jb++)
            for (uint32_t i = base; i < base + 16 && i < PER_JOB; i++, att++) {
                CHECK_EQ(herd_journal_attempt_add(j, att, tids[jb][i], "w0", 1, &e), HERD_OK);
                struct herd_journal_result r = {.task_id = tids[jb][i], .attempt_id = att};
                CHECK_EQ(herd_journal_result(j, &r, &e), HERD_OK);
                if (++n % 10 == 0)
                    CHECK_EQ(herd_journal_commit(j, &e), HERD_OK);
            }
    CHECK_EQ(herd_journal_commit(j, &e), HERD_OK);
}

HERD_TEST(pcache_commits_skip_the_full_scan)
{
    static uint64_t tids[NJOBS][PER_JOB];
    char path[256];
    tmp_path(path, sizeof path);
    struct herd_journal *j;
    struct herd_err e;
    CHECK_EQ(herd_journal_open(path, &j, &e), HERD_OK);
    CHECK_EQ(herd_journal__pcache_install(), 1);
    for (int k = 0; k < NJOBS; k++)
        add_job(j, PER_JOB, tids[k]);
    CHECK_EQ(herd_journal_commit(j, &e), HERD_OK);
    struct herd_journal_pcache_stats a, b;
    herd_journal__pcache_stats(&a);
    interleave(j, tids);
    herd_journal__pcache_stats(&b);
    uint64_t truncates = b.truncates - a.truncates, passed = b.passed - a.passed;
    /* the scenario happened: pages moved through the temporary number */
    CHECK_INT(b.parked - a.parked, >, 0);
    CHECK_INT(truncates, >=, NJOBS * PER_JOB / 10);
    /* and almost no commit had to pass its truncate on (pcache1 would
     * have scanned its whole table after each such move) */
    CHECK_INT(passed * 50, <, truncates);
    CHECK(intact(j));
    CHECK_EQ(count_rows(j, "SELECT COUNT(*) FROM results"), NJOBS * PER_JOB);
    CHECK_EQ(count_rows(j, "SELECT COUNT(*) FROM attempts"), NJOBS * PER_JOB);
    herd_journal_close(j);
    rm_db(path);
}

HERD_TEST(pcache_rollback_still_drops_the_grown_pages)
{
    static uint64_t tids[NJOBS][PER_JOB];
    static uint64_t big[4000];
    char path[256];
    tmp_path(path, sizeof path);
    struct herd_journal *j;
    struct herd_err e;
    CHECK_EQ(herd_journal_open(path, &j, &e), HERD_OK);
    for (int k = 0; k < NJOBS; k++)
        add_job(j, PER_JOB, tids[k]);
    CHECK_EQ(herd_journal_commit(j, &e), HERD_OK);
    struct herd_journal_pcache_stats a, b;
    herd_journal__pcache_stats(&a);
    add_job(j, 4000, big); /* grows the file by many pages ... */
    CHECK_EQ(sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK); /* ... undone */
    j->in_txn = 0;
    herd_journal__pcache_stats(&b);
    CHECK_INT(b.passed - a.passed, >, 0); /* the pages past the end were dropped */
    interleave(j, tids);
    add_job(j, 4000, big);
    CHECK_EQ(herd_journal_commit(j, &e), HERD_OK);
    CHECK(intact(j));
    CHECK_EQ(count_rows(j, "SELECT COUNT(*) FROM tasks"), NJOBS * PER_JOB + 4000);
    CHECK_EQ(count_rows(j, "SELECT COUNT(*) FROM results"), NJOBS * PER_JOB);
    herd_journal_close(j);
    CHECK_EQ(herd_journal_open(path, &j, &e), HERD_OK);
    CHECK(intact(j));
    CHECK_EQ(count_rows(j, "SELECT COUNT(*) FROM tasks"), NJOBS * PER_JOB + 4000);
    herd_journal_close(j);
    rm_db(path);
}
