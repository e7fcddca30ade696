/* journal_graph — graph jobs in the master's journal (SQLite, the same file
 * and transaction as journal.h): one row per job with its submitted spec
 * and the coordinator's record (state, epoch, last complete checkpoint,
 * summary), both opaque bytes encoded by master/gjob_journal.c. The table
 * (graph_jobs) is created if missing, so a data dir from before it opens
 * unchanged.
 *
 * Only the master core's thread calls this. HERD_OK or HERD_EDB with the
 * SQLite reason in *e. Writes join the journal's open transaction (or open
 * one); herd_journal_commit() makes them durable. */
#ifndef HERD_MASTER_JOURNAL_GRAPH_H
#define HERD_MASTER_JOURNAL_GRAPH_H

#include "master/journal.h"

struct herd_journal_gjob {
    uint64_t id;
    const uint8_t *spec;      /* NULL in an update: the spec is written once */
    size_t spec_len;
    const char *state;
    const uint8_t *rec;
    size_t rec_len;
};

/* Inserts the job (spec != NULL) or updates its state and record. */
int herd_journal_gjob_put(struct herd_journal *j, const struct herd_journal_gjob *g,
                          struct herd_err *e);
/* Calls fn for every graph job in ascending id (pointers valid during the
 * call only); creates the table when it is missing. */
int herd_journal_gjob_each(struct herd_journal *j,
                           void (*fn)(void *arg, const struct herd_journal_gjob *g), void *arg,
                           struct herd_err *e);

/* Calls fn for graph job `id` (pointers valid during the call only).
 * HERD_OK, HERD_ENOTFOUND (no such row) or HERD_EDB. */
int herd_journal_gjob_get(struct herd_journal *j, uint64_t id,
                          void (*fn)(void *arg, const struct herd_journal_gjob *g), void *arg,
                          struct herd_err *e);

#endif
