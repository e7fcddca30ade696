/* journal_ckpt — WAL checkpoints off the master's loop thread.
 *
 * With SQLite's automatic checkpoint, the commit that takes the WAL past
 * 1,000 pages copies them into the database file and fsyncs twice, on the
 * loop thread: a stall of milliseconds (tens when the disk is busy) in the
 * middle of dispatching. Here the journal's connection does no automatic
 * checkpoint; its WAL hook (called after each commit with the WAL's length)
 * wakes a thread that runs a PASSIVE checkpoint on its own connection,
 * which WAL mode lets run alongside the writer: the copying and the fsyncs
 * happen there. But the writer restarts the WAL from its start only when a
 * checkpoint has copied all of it before the writer's next transaction,
 * which a busy writer never leaves time for: so once the WAL passes
 * CKPT_RESTART pages the hook itself runs a PASSIVE checkpoint between two
 * transactions (by then the thread has copied nearly everything: what is
 * left is the last frames and the fsyncs), as SQLite's own automatic
 * checkpoint would every 1,000 pages. Nothing here changes what is durable:
 * a commit is in the WAL either way.
 *
 * Threads: the hook runs on the loop thread (inside a commit) and only
 * signals; the checkpointer touches nothing but its own connection. */
#include "base/log.h"
#include "master/journal_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CKPT_PAGES 1000    /* SQLite's own threshold: wake the thread */
#define CKPT_RESTART 8000  /* the loop thread completes a checkpoint (32 MiB of WAL) */

struct herd_journal_ckpt {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sqlite3 *db;
    int want, stop;
};

static void *run(void *arg)
{
    struct herd_journal_ckpt *k = arg;
    pthread_mutex_lock(&k->mu);
    for (;;) {
        while (!k->want && !k->stop)
            pthread_cond_wait(&k->cv, &k->mu);
        if (k->stop)
            break;
        k->want = 0;
        pthread_mutex_unlock(&k->mu);
        int rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            herd_warn("journal", "checkpoint: %s", sqlite3_errmsg(k->db));
        pthread_mutex_lock(&k->mu);
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

static int on_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct herd_journal_ckpt *k = arg;
    if (pages >= CKPT_RESTART) /* SQLITE_BUSY while the thread runs one: next time */
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    else if (pages >= CKPT_PAGES) {
        pthread_mutex_lock(&k->mu);
        k->want = 1;
        pthread_cond_signal(&k->cv);
        pthread_mutex_unlock(&k->mu);
    }
    return SQLITE_OK;
}

int herd_journal__ckpt_start(struct herd_journal *j, const char *path, struct herd_err *e)
{
    if (strcmp(path, ":memory:") == 0 || path[0] == '\0')
        return HERD_OK; /* no WAL */
    struct herd_journal_ckpt *k = calloc(1, sizeof *k);
    if (k == NULL)
        return herd_err_set(e, HERD_ENOMEM, "journal: checkpointer");
    /* a connection that has not read the file yet does not know it is in
     * WAL mode, and its checkpoints silently do nothing: say it */
    if (sqlite3_open_v2(path, &k->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(k->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
        herd_err_set(e, HERD_EDB, "journal: checkpointer: %s", sqlite3_errmsg(k->db));
        goto fail;
    }
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    if (pthread_create(&k->thread, NULL, run, k) != 0) {
        herd_err_set(e, HERD_EIO, "journal: checkpointer thread");
        pthread_cond_destroy(&k->cv);
        pthread_mutex_destroy(&k->mu);
        goto fail;
    }
    sqlite3_wal_hook(j->db, on_commit, k); /* replaces the automatic checkpoint */
    j->ckpt = k;
    return HERD_OK;
fail:
    sqlite3_close(k->db);
    free(k);
    return HERD_EDB;
}

void herd_journal__ckpt_stop(struct herd_journal *j)
{
    struct herd_journal_ckpt *k = j->ckpt;
    if (k == NULL)
        return;
    sqlite3_wal_hook(j->db, NULL, NULL);
    pthread_mutex_lock(&k->mu);
    k->stop = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    sqlite3_close(k->db);
    free(k);
    j->ckpt = NULL;
}
