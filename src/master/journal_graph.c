/* journal_graph — the graph_jobs table. See journal_graph.h. */
#include "master/journal_graph.h"

#include "master/journal_int.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS graph_jobs("
    " id INTEGER PRIMARY KEY, spec BLOB NOT NULL, state TEXT NOT NULL, rec BLOB NOT NULL);";

static int create(struct herd_journal *j, struct herd_err *e)
{
    if (sqlite3_exec(j->db, schema, NULL, NULL, NULL) != SQLITE_OK)
        return herd_journal_fail(j, e, "create graph_jobs");
    return HERD_OK;
}

int herd_journal_gjob_put(struct herd_journal *j, const struct herd_journal_gjob *g,
                          struct herd_err *e)
{
    const char *sql = g->spec ? "INSERT OR REPLACE INTO graph_jobs(id, state, rec, spec)"
                                " VALUES(?, ?, ?, ?)"
                              : "UPDATE graph_jobs SET state = ?2, rec = ?3 WHERE id = ?1";
    sqlite3_stmt *q = NULL;
    int rc = herd_journal__begin(j, e);
    if (rc == HERD_OK)
        rc = create(j, e);
    if (rc != HERD_OK)
        return rc;
    if (sqlite3_prepare_v2(j->db, sql, -1, &q, NULL) != SQLITE_OK)
        return herd_journal_fail(j, e, "prepare graph job");
    sqlite3_bind_int64(q, 1, (sqlite3_int64)g->id);
    sqlite3_bind_text(q, 2, g->state, -1, SQLITE_STATIC);
    sqlite3_bind_blob(q, 3, g->rec, (int)g->rec_len, SQLITE_STATIC);
    if (g->spec)
        sqlite3_bind_blob(q, 4, g->spec, (int)g->spec_len, SQLITE_STATIC);
    int s = sqlite3_step(q);
    sqlite3_finalize(q);
    return s == SQLITE_DONE ? HERD_OK : herd_journal_fail(j, e, "write graph job");
}

/* Runs `sql` (id bound to ?1 when `id` is nonzero) and calls fn per row. */
static int each_row(struct herd_journal *j, const char *sql, uint64_t id,
                    void (*fn)(void *arg, const struct herd_journal_gjob *g), void *arg,
                    size_t *rows, struct herd_err *e)
{
    int rc = create(j, e);
    if (rc != HERD_OK)
        return rc;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(j->db, sql, -1, &q, NULL) != SQLITE_OK)
        return herd_journal_fail(j, e, "read graph jobs");
    if (id)
        sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
    int s;
    while ((s = sqlite3_step(q)) == SQLITE_ROW) {
        struct herd_journal_gjob g = {
            .id = (uint64_t)sqlite3_column_int64(q, 0),
            .spec = sqlite3_column_blob(q, 1),
            .spec_len = (size_t)sqlite3_column_bytes(q, 1),
            .state = (const char *)sqlite3_column_text(q, 2),
            .rec = sqlite3_column_blob(q, 3),
            .rec_len = (size_t)sqlite3_column_bytes(q, 3)};
        if (g.state == NULL)
            g.state = "";
        fn(arg, &g);
        (*rows)++;
    }
    rc = s == SQLITE_DONE ? HERD_OK : herd_journal_fail(j, e, "read graph jobs");
    sqlite3_finalize(q);
    return rc;
}

int herd_journal_gjob_each(struct herd_journal *j,
                           void (*fn)(void *arg, const struct herd_journal_gjob *g), void *arg,
                           struct herd_err *e)
{
    size_t rows = 0;
    return each_row(j, "SELECT id, spec, state, rec FROM graph_jobs ORDER BY id", 0, fn, arg,
                    &rows, e);
}

int herd_journal_gjob_get(struct herd_journal *j, uint64_t id,
                          void (*fn)(void *arg, const struct herd_journal_gjob *g), void *arg,
                          struct herd_err *e)
{
    size_t rows = 0;
    int rc = each_row(j, "SELECT id, spec, state, rec FROM graph_jobs WHERE id = ?1", id, fn,
                      arg, &rows, e);
    if (rc == HERD_OK && rows == 0)
        return herd_err_set(e, HERD_ENOTFOUND, "no graph job %llu", (unsigned long long)id);
    return rc;
}
