/* gjob_journal — graph jobs survive a master restart. The spec is written
 * to the journal (journal_graph.h) and committed before the submission is
 * answered; the coordinator's record (state, epoch, partition count, last
 * complete checkpoint and the aggregates that go with it, the summary and
 * per-step statistics) is rewritten and committed at every epoch, every
 * complete checkpoint and the end. On start the master reloads them: a
 * finished job keeps its summary (`herd status JOB`); an unfinished one
 * waits for its workers to reconnect and resumes from its last complete
 * checkpoint, or starts again from the beginning when it has none.
 *
 * Both encodings are herd's big-endian byte helpers, versioned by a leading
 * u32; a record that does not decode is logged and the job marked failed. */
#include "master/gjob_int.h"

#include "master/core_int.h"
#include "master/gstore.h"
#include "master/journal_graph.h"

#include "base/bytes.h"
#include "base/log.h"
#include "base/mem.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_VERSION 1u
#define REC_VERSION 1u
#define MAX_STR 65536

/* ---- the spec ---- */

static void enc_spec(const struct herd_gjob_spec *s, struct herd_wbuf *w)
{
    herd_wbuf_u32(w, SPEC_VERSION);
    herd_wbuf_str(w, s->algo);
    herd_wbuf_blob(w, s->plugin, s->plugin_len);
    herd_wbuf_str(w, s->graph);
    herd_wbuf_u8(w, s->format);
    herd_wbuf_u8(w, s->directed);
    herd_wbuf_u8(w, s->simplify);
    herd_wbuf_u8(w, s->has_source);
    herd_wbuf_u8(w, s->no_fast_path);
    herd_wbuf_u64(w, s->source);
    herd_wbuf_u32(w, s->iterations);
    herd_wbuf_f64(w, s->damping);
    herd_wbuf_u64(w, s->seed);
    uint32_t u[] = {s->workers, s->partitions, s->threads, s->checkpoint_every,
                    s->barrier_timeout_ms, s->max_recoveries};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        herd_wbuf_u32(w, u[i]);
    herd_wbuf_str(w, s->ckpt_dir);
    herd_wbuf_str(w, s->output_dir);
    herd_wbuf_str(w, s->arg);
    herd_wbuf_u8(w, s->partitioning); /* last: older records end before it */
}

/* Decodes into *s with owned strings (freed by the job). 0 or -1. */
static int dec_spec(const uint8_t *p, size_t n, struct herd_gjob_spec *s)
{
    struct herd_rbuf r;
    herd_rbuf_init(&r, p, n);
    memset(s, 0, sizeof *s);
    if (herd_rbuf_u32(&r) != SPEC_VERSION)
        return -1;
    s->algo = herd_rbuf_str(&r, MAX_STR);
    size_t plen = 0;
    const uint8_t *plugin = herd_rbuf_blob(&r, &plen, HERD_MSG_MAX_GRAPH);
    if (plugin && plen) {
        uint8_t *copy = malloc(plen);
        if (copy)
            memcpy(copy, plugin, plen);
        s->plugin = copy;
        s->plugin_len = copy ? (uint32_t)plen : 0;
    }
    s->graph = herd_rbuf_str(&r, MAX_STR);
    s->format = herd_rbuf_u8(&r);
    s->directed = herd_rbuf_u8(&r);
    s->simplify = herd_rbuf_u8(&r);
    s->has_source = herd_rbuf_u8(&r);
    s->no_fast_path = herd_rbuf_u8(&r);
    s->source = herd_rbuf_u64(&r);
    s->iterations = herd_rbuf_u32(&r);
    s->damping = herd_rbuf_f64(&r);
    s->seed = herd_rbuf_u64(&r);
    uint32_t *u[] = {&s->workers, &s->partitions, &s->threads, &s->checkpoint_every,
                     &s->barrier_timeout_ms, &s->max_recoveries};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        *u[i] = herd_rbuf_u32(&r);
    s->ckpt_dir = herd_rbuf_str(&r, MAX_STR);
    s->output_dir = herd_rbuf_str(&r, MAX_STR);
    s->arg = herd_rbuf_str(&r, MAX_STR);
    s->partitioning = herd_rbuf_left(&r) ? herd_rbuf_u8(&r) : 0; /* absent: auto */
    return r.bad || herd_rbuf_left(&r) != 0 || s->algo == NULL || s->graph == NULL ||
                   s->ckpt_dir == NULL || s->output_dir == NULL || s->arg == NULL
               ? -1
               : 0;
}

/* ---- the record ---- */

static void enc_steps(const struct gjob *j, struct herd_wbuf *w)
{
    herd_wbuf_u64(w, j->nsteps);
    for (size_t i = 0; i < j->nsteps; i++) {
        const struct herd_gjob_step *s = &j->steps[i];
        uint64_t u[] = {s->step, s->computed, s->active, s->sent, s->exchanged, s->bytes};
        for (size_t k = 0; k < sizeof u / sizeof u[0]; k++)
            herd_wbuf_u64(w, u[k]);
        herd_wbuf_f64(w, s->ms);
        herd_wbuf_f64(w, s->compute_ms_max);
        herd_wbuf_f64(w, s->ckpt_ms_max);
    }
}

static void enc_rec(const struct gjob *j, struct herd_wbuf *w)
{
    herd_wbuf_u32(w, REC_VERSION);
    herd_wbuf_u32(w, j->epoch);
    herd_wbuf_u32(w, j->nparts);
    herd_wbuf_u32(w, j->nw);
    herd_wbuf_u64(w, j->last_ckpt);
    for (uint32_t i = 0; i < HERD_GMSG_MAX_AGGS; i++)
        herd_wbuf_u64(w, j->ckpt_globals[i]);
    herd_wbuf_u64(w, j->step);
    herd_wbuf_u32(w, j->recoveries);
    herd_wbuf_u64(w, j->vertices);
    herd_wbuf_u64(w, j->arcs);
    herd_wbuf_u8(w, (uint8_t)j->pull);
    herd_wbuf_f64(w, j->load_ms);
    herd_wbuf_f64(w, j->write_ms);
    herd_wbuf_u64(w, j->submitted);
    herd_wbuf_u64(w, j->finished);
    herd_wbuf_str(w, j->error ? j->error : "");
    enc_steps(j, w);
}

static int dec_steps(struct herd_rbuf *r, struct gjob *j)
{
    uint64_t n = herd_rbuf_u64(r);
    if (r->bad || n > herd_rbuf_left(r) / 72)
        return -1;
    j->steps = herd_xcalloc(n ? n : 1, sizeof *j->steps);
    j->capsteps = n ? n : 1;
    for (uint64_t i = 0; i < n; i++) {
        struct herd_gjob_step *s = &j->steps[i];
        uint64_t *u[] = {&s->step, &s->computed, &s->active, &s->sent, &s->exchanged, &s->bytes};
        for (size_t k = 0; k < sizeof u / sizeof u[0]; k++)
            *u[k] = herd_rbuf_u64(r);
        s->ms = herd_rbuf_f64(r);
        s->compute_ms_max = herd_rbuf_f64(r);
        s->ckpt_ms_max = herd_rbuf_f64(r);
    }
    j->nsteps = (size_t)n;
    return 0;
}

static int dec_rec(const uint8_t *p, size_t n, struct gjob *j)
{
    struct herd_rbuf r;
    herd_rbuf_init(&r, p, n);
    if (herd_rbuf_u32(&r) != REC_VERSION)
        return -1;
    j->epoch = herd_rbuf_u32(&r);
    j->nparts = herd_rbuf_u32(&r);
    j->nw = herd_rbuf_u32(&r);
    j->last_ckpt = herd_rbuf_u64(&r);
    for (uint32_t i = 0; i < HERD_GMSG_MAX_AGGS; i++)
        j->ckpt_globals[i] = herd_rbuf_u64(&r);
    j->step = herd_rbuf_u64(&r);
    j->recoveries = herd_rbuf_u32(&r);
    j->vertices = herd_rbuf_u64(&r);
    j->arcs = herd_rbuf_u64(&r);
    j->pull = herd_rbuf_u8(&r);
    j->load_ms = herd_rbuf_f64(&r);
    j->write_ms = herd_rbuf_f64(&r);
    j->submitted = herd_rbuf_u64(&r);
    j->finished = herd_rbuf_u64(&r);
    char *err = herd_rbuf_str(&r, MAX_STR);
    if (err && err[0])
        j->error = err;
    else
        free(err);
    if (r.bad || j->nparts > HERD_GMSG_MAX_PARTS || j->nw > HERD_GMSG_MAX_WORKERS ||
        dec_steps(&r, j) != 0)
        return -1;
    return r.bad || herd_rbuf_left(&r) != 0 ? -1 : 0;
}

/* ---- writing ---- */

static void put(struct herd_core *c, struct gjob *j, int with_spec)
{
    struct herd_wbuf spec, rec;
    herd_wbuf_init(&spec);
    herd_wbuf_init(&rec);
    if (with_spec)
        enc_spec(&j->spec, &spec);
    enc_rec(j, &rec);
    struct herd_journal_gjob g = {.id = j->id, .spec = with_spec ? spec.p : NULL,
                                  .spec_len = spec.len, .state = herd_gjob_state_name(j->state),
                                  .rec = rec.p, .rec_len = rec.len};
    struct herd_err e;
    herd_err_clear(&e);
    int rc = herd_journal_gjob_put(c->journal, &g, &e);
    if (rc == HERD_OK)
        rc = herd_journal_commit(c->journal, &e);
    if (rc != HERD_OK)
        herd_core__journal_err(c, rc, &e);
    herd_wbuf_fini(&spec);
    herd_wbuf_fini(&rec);
}

void herd_gjob__journal(struct herd_core *c, struct gjob *j)
{
    put(c, j, 0);
}

int herd_gjob__journal_new(struct herd_core *c, struct gjob *j, struct herd_err *e)
{
    struct herd_wbuf spec, rec;
    herd_wbuf_init(&spec);
    herd_wbuf_init(&rec);
    enc_spec(&j->spec, &spec);
    enc_rec(j, &rec);
    struct herd_journal_gjob g = {.id = j->id, .spec = spec.p, .spec_len = spec.len,
                                  .state = herd_gjob_state_name(j->state), .rec = rec.p,
                                  .rec_len = rec.len};
    int rc = herd_journal_gjob_put(c->journal, &g, e);
    if (rc == HERD_OK)
        rc = herd_journal_commit(c->journal, e);
    herd_wbuf_fini(&spec);
    herd_wbuf_fini(&rec);
    return rc;
}

/* ---- loading ---- */

static int state_of(const char *name, enum herd_gjob_state *out)
{
    for (int s = 0; s < HERD_GJ_NSTATES; s++)
        if (strcmp(name, herd_gjob_state_name((enum herd_gjob_state)s)) == 0) {
            *out = (enum herd_gjob_state)s;
            return 0;
        }
    return -1;
}

/* An unfinished job waits for its workers: as many as it had, until a grace
 * period passes, then any. Checkpoints other than its last complete one are
 * partial (the old master died while they arrived): deleted. */
static void resume(struct herd_core *c, struct gjob *j)
{
    j->resume_need = j->spec.workers ? j->spec.workers : (j->nw ? j->nw : 1);
    j->resume_until = herd_core__now(c) + 4 * herd_core__lost_ms(c);
    j->nw = 0;
    /* the restart is a recovery of whatever the job was doing, through the
     * one transition function (logged, counted, in the event log) */
    if (j->state != HERD_GJ_WAITING && j->state != HERD_GJ_RECOVERING)
        herd_gjob__set_state(c, j, HERD_GJ_RECOVERING, "the master restarted");
    if (j->state == HERD_GJ_RECOVERING)
        herd_gjob__set_state(c, j, HERD_GJ_WAITING, "waiting for its workers");
    if (j->net)
        herd_gstore_drop_except(c->gjobs->store, j->id, j->last_ckpt);
    if (j->last_ckpt)
        herd_info("gjob", "graph job %" PRIu64 ": resuming from the checkpoint at superstep %"
                  PRIu64 " once %u workers are back", j->id, j->last_ckpt, j->resume_need);
    else
        herd_info("gjob", "graph job %" PRIu64 ": no complete checkpoint; restarting it from "
                  "the beginning once %u workers are back", j->id, j->resume_need);
}

/* A job from its journal row, not adopted: a finished one ready for the
 * views, an unfinished one still to be resumed. A row that does not decode
 * gives a failed job saying so. */
static struct gjob *decode_row(const struct herd_journal_gjob *g)
{
    struct gjob *j = herd_xcalloc(1, sizeof *j);
    j->id = g->id;
    enum herd_gjob_state st = HERD_GJ_FAILED;
    int bad = dec_spec(g->spec, g->spec_len, &j->spec) != 0 ||
              dec_rec(g->rec, g->rec_len, j) != 0 || state_of(g->state, &st) != 0;
    j->state = st;
    const char **strs[] = {&j->spec.algo, &j->spec.graph, &j->spec.ckpt_dir,
                           &j->spec.output_dir, &j->spec.arg};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (*strs[i] == NULL)
            *strs[i] = herd_xstrdup("");
    if (bad) {
        herd_error("gjob", "graph job %" PRIu64 ": its journal record does not decode", g->id);
        j->state = HERD_GJ_FAILED;
        if (j->error == NULL)
            j->error = herd_xstrdup("the journal record of this job was unreadable");
        return j;
    }
    j->net = j->spec.checkpoint_every && j->spec.ckpt_dir[0] == '\0';
    j->ws = herd_xcalloc(j->nw ? j->nw : 1, sizeof *j->ws); /* no live worker: views only */
    return j;
}

static void load_one(void *arg, const struct herd_journal_gjob *g)
{
    struct herd_core *c = arg;
    struct gjob *j = decode_row(g);
    herd_gjob__adopt(c, j);
    if (!herd_gjob_state_final(j->state)) {
        free(j->ws);
        j->ws = NULL;
        resume(c, j);
    }
}

static void keep_row(void *arg, const struct herd_journal_gjob *g)
{
    *(struct gjob **)arg = decode_row(g);
}

struct gjob *herd_gjob__from_journal(struct herd_core *c, uint64_t id)
{
    struct gjob *j = NULL;
    struct herd_err e;
    herd_err_clear(&e);
    if (herd_journal_gjob_get(c->journal, id, keep_row, &j, &e) != HERD_OK && j == NULL &&
        e.code != HERD_ENOTFOUND)
        herd_warn("gjob", "graph job %" PRIu64 ": %s", id, e.msg);
    return j;
}

int herd_gjobs_load(struct herd_core *c, struct herd_err *e)
{
    return herd_journal_gjob_each(c->journal, load_one, c, e);
}
