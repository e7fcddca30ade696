/* gjob_ckpt — checkpoints of graph jobs on the master. With a shared
 * checkpoint_dir the workers write the files themselves and a checkpoint is
 * complete at the barrier of its step when every worker says it saved. Over
 * the network (no shared dir: the default) each worker also streams every
 * owned partition's file to the master (CKPT_PUT, paced behind heartbeats
 * and reports), the store (gstore.h) writes it durably, and the checkpoint
 * is complete only when the barrier passed AND every partition's file is
 * in; then older ones are deleted. A restoring worker reads the files of
 * the last complete checkpoint back in chunks (CKPT_GET -> CKPT_DATA). All
 * on the core's thread (docs/distributed.md, "Checkpoints"). */
#include "master/gjob_int.h"

#include "master/core_int.h"
#include "master/gstore.h"

#include "base/log.h"
#include "base/mem.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (256u << 10) /* bytes per CKPT_DATA: a heartbeat waits behind at most one */

static void complete(struct herd_core *c, struct gjob *j, uint64_t step, const uint64_t *globals)
{
    j->last_ckpt = step;
    memcpy(j->ckpt_globals, globals, sizeof j->ckpt_globals);
    herd_info("gjob", "graph job %" PRIu64 ": checkpoint at superstep %" PRIu64 "%s", j->id, step,
              j->net ? " stored on the master" : "");
    herd_gjob__journal(c, j);
}

static void drop_pend(struct gjob *j, size_t i)
{
    free(j->pend[i].got);
    memmove(&j->pend[i], &j->pend[i + 1], (j->npend - i - 1) * sizeof *j->pend);
    j->npend--;
}

static struct gpend *find_pend(struct gjob *j, uint64_t step, size_t *at)
{
    for (size_t i = 0; i < j->npend; i++)
        if (j->pend[i].step == step) {
            *at = i;
            return &j->pend[i];
        }
    return NULL;
}

/* A network checkpoint whose barrier passed and whose files are all in:
 * its directory is synced, then (on_synced) it is complete. */
static void check_complete(struct herd_core *c, struct gjob *j, size_t i)
{
    struct gpend *p = &j->pend[i];
    if (!p->reported || p->ngot < j->nparts || p->sealing)
        return;
    p->sealing = 1;
    herd_gstore_seal(c->gjobs->store, j->id, j->epoch, p->step);
}

static void sealed(struct herd_core *c, struct gjob *j, size_t i)
{
    uint64_t step = j->pend[i].step;
    complete(c, j, step, j->pend[i].globals);
    while (j->npend > 0 && j->pend[0].step <= step)
        drop_pend(j, 0);
    herd_gstore_drop_below(c->gjobs->store, j->id, step);
}

void herd_gjob__ckpt_asked(struct herd_core *c, struct gjob *j)
{
    (void)c;
    if (!j->net)
        return;
    herd_xgrow((void **)&j->pend, &j->cappend, j->npend + 1, sizeof *j->pend);
    struct gpend *p = &j->pend[j->npend++];
    memset(p, 0, sizeof *p);
    p->step = j->step;
    memcpy(p->globals, j->globals, sizeof p->globals);
    p->got = herd_xcalloc(j->nparts, 1);
}

void herd_gjob__ckpt_barrier(struct herd_core *c, struct gjob *j, int all,
                             const uint64_t *globals)
{
    if (!j->net) {
        if (all)
            complete(c, j, j->step, globals);
        return;
    }
    size_t i;
    struct gpend *p = find_pend(j, j->step, &i);
    if (p == NULL)
        return;
    if (!all) {
        drop_pend(j, i);
        return;
    }
    p->reported = 1;
    check_complete(c, j, i);
}

void herd_gjob__ckpt_epoch(struct herd_core *c, struct gjob *j)
{
    while (j->npend > 0)
        drop_pend(j, j->npend - 1);
    if (j->net)
        herd_gstore_drop_except(c->gjobs->store, j->id, j->last_ckpt);
}

void herd_gjob__ckpt_over(struct herd_core *c, struct gjob *j)
{
    while (j->npend > 0)
        drop_pend(j, j->npend - 1);
    if (j->net)
        herd_gstore_drop_except(c->gjobs->store, j->id, 0);
}

void herd_gjob__ckpt_put(struct herd_core *c, struct gjob *j, uint32_t wi,
                         const struct herd_gckpt *k)
{
    size_t i;
    struct gpend *p = j->net ? find_pend(j, k->step, &i) : NULL;
    if (p == NULL || k->part >= j->nparts || j->owner[k->part] != wi || p->got[k->part])
        return; /* a checkpoint given up, or not this worker's partition */
    struct herd_err e;
    herd_err_clear(&e);
    if (herd_gstore_put(c->gjobs->store, j->id, j->epoch, k->step, k->part, k->offset, k->total,
                        k->data, k->len, &e) != HERD_OK)
        herd_warn("gjob", "graph job %" PRIu64 ": worker %s: %s", j->id, j->ws[wi].w->id, e.msg);
}

/* A file the store's sync thread made durable (or failed to). */
static void on_synced(void *arg, uint64_t job, uint32_t epoch, uint64_t step, uint32_t part,
                      int ok)
{
    struct herd_core *c = arg;
    struct gjob *j = herd_gjob__find(c, job);
    size_t i;
    struct gpend *p = j && j->epoch == epoch ? find_pend(j, step, &i) : NULL;
    if (p != NULL && part == HERD_GSTORE_SEALED && p->sealing) {
        if (ok)
            sealed(c, j, i);
        else
            drop_pend(j, i);
        return;
    }
    if (p == NULL || part >= j->nparts || p->got[part])
        return; /* an epoch left behind, or a checkpoint given up */
    if (!ok) {
        herd_warn("gjob", "graph job %" PRIu64 ": checkpoint %" PRIu64 " partition %" PRIu32
                  ": could not be made durable", job, step, part);
        return;
    }
    p->got[part] = 1;
    p->ngot++;
    check_complete(c, j, i);
}

void herd_gjobs__ckpt_poll(struct herd_core *c)
{
    if (c->gjobs->store)
        herd_gstore_poll(c->gjobs->store, on_synced, c);
}

void herd_gjob__ckpt_get(struct herd_core *c, struct gjob *j, uint32_t wi,
                         const struct herd_gckpt *k)
{
    struct herd_gmsg g = {.op = HERD_GOP_CKPT_DATA};
    struct herd_gckpt *d = &g.u.ckpt;
    struct herd_err e;
    herd_err_clear(&e);
    d->step = k->step;
    d->part = k->part;
    d->offset = k->offset;
    d->error = (char *)"";
    int rc = !j->net || k->step != j->last_ckpt || k->part >= j->nparts
                 ? herd_err_set(&e, HERD_ENOTFOUND, "no stored checkpoint of step %" PRIu64
                                " partition %" PRIu32, k->step, k->part)
                 : herd_gstore_read(c->gjobs->store, j->id, k->step, k->part, k->offset, CHUNK,
                                    &d->data, &d->len, &d->total, &e);
    if (rc != HERD_OK) {
        herd_warn("gjob", "graph job %" PRIu64 ": worker %s: %s", j->id, j->ws[wi].w->id, e.msg);
        d->error = e.msg;
    }
    herd_gjob__send(c, j, wi, &g);
    free(d->data);
}
