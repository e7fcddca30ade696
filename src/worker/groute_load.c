/* groute_load — the steps of a routed load in order (groute_load.h). */
#include "worker/groute_load.h"

#include "base/bytes.h"
#include "base/log.h"
#include "base/mem.h"
#include "graph/load.h"
#include "graph/load_range.h"
#include "worker/groute_build.h"
#include "worker/groute_num.h"
#include "worker/groute_scan.h"
#include "worker/groute_tx.h"
#include "worker/groute_xlate.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define PINFO_CHUNK (1u << 20) /* vertices per PINFO frame (12 MiB) */

/* The job's files and the options the scanner takes. */
struct files {
    char *epath, *vpath;
    struct herd_graph_opts o;
};

static void files_open(const struct herd_groute_job *j, struct files *f)
{
    enum herd_graph_format fmt;
    herd_graph_input_paths(j->path, &j->o, &fmt, &f->epath, &f->vpath);
    f->o = j->o;
    f->o.format = fmt;
}

static void files_close(struct files *f)
{
    free(f->epath);
    free(f->vpath);
}

int herd_groute_load_splittable(const struct herd_groute_job *j, struct herd_err *e)
{
    struct files f;
    files_open(j, &f);
    uint64_t size;
    int ok = herd_graph_splittable(f.epath, &f.o, &size, e);
    if (ok == 1 && f.vpath)
        ok = herd_graph_splittable(f.vpath, &f.o, &size, e);
    files_close(&f);
    return ok;
}

int herd_groute_load_rx(const struct herd_groute_job *j, struct herd_groute_rx **rx,
                        struct herd_err *e)
{
    return herd_groute_rx_create(j->nparts, j->owner, j->nworkers, j->me, j->o.weighted == 1, rx,
                                 e);
}

/* One frame of `type` to every other worker. */
static int to_peers(struct herd_dp_session *s, const struct herd_groute_job *j, uint16_t type,
                    const uint8_t *hdr, size_t hlen, const uint8_t *body, size_t blen,
                    struct herd_err *e)
{
    for (uint32_t w = 0; w < j->nworkers; w++)
        if (w != j->me && herd_dp_send_route(s, w, type, hdr, hlen, body, blen) != HERD_OK)
            return herd_err_set(e, HERD_ECLOSED, "routed load: worker %u was lost", w);
    return HERD_OK;
}

/* Out-row records are routed for out-rows, and for the out-degrees under
 * --simplify; otherwise the owners count the sources (SRCS). */
static int out_records(const struct herd_groute_job *j)
{
    return j->o.need_out || !j->o.directed || j->o.simplify;
}

/* Step 1: my ranges routed, LOADED sent; *c my ranges' totals. */
static int scan(struct herd_dp_session *s, struct herd_groute_rx *rx,
                const struct herd_groute_job *j, const struct files *f,
                struct herd_groute_counts *c, struct herd_groute_tx **tx, struct herd_err *e)
{
    *tx = herd_groute_tx_create(s, rx, j->nparts, j->owner, j->nworkers, j->me,
                                j->o.weighted == 1);
    struct herd_groute_scan sc = {.path = f->epath, .vpath = f->vpath, .o = f->o, .me = j->me,
                                  .nworkers = j->nworkers, .nparts = j->nparts,
                                  .out_rows = out_records(j),
                                  .src_counts = !out_records(j),
                                  .in_rows = j->o.need_in || !j->o.directed};
    int rc = herd_groute_scan_run(*tx, &sc, c, e);
    return rc ? rc : herd_groute_tx_finish(*tx, e);
}

/* Step 2: every worker's verdict; the job's error, or the whole-job checks. */
static int verdict(struct herd_dp_session *s, struct herd_groute_rx *rx,
                   const struct herd_groute_job *j, const struct files *f,
                   const struct herd_groute_counts *c, int rc, struct herd_err *e)
{
    size_t len = rc ? strlen(e->msg) : 0;
    len = len > HERD_DPF_SCANNED_MSG ? HERD_DPF_SCANNED_MSG : len;
    uint8_t hdr[HERD_DPF_SCANNED_HDR];
    herd_dpframe_scanned_put(hdr, c->edges, c->vertices, (uint32_t)rc, (uint32_t)len);
    herd_groute_rx_set_scanned(rx, c->edges, c->vertices, rc, rc ? e->msg : NULL);
    struct herd_err se;
    if (rc != HERD_ECLOSED && to_peers(s, j, HERD_DP_SCANNED, hdr, sizeof hdr,
                                       (const uint8_t *)e->msg, len, &se) != HERD_OK)
        rc = rc ? rc : herd_err_set(e, se.code, "%s", se.msg);
    struct herd_groute_scanned sum;
    if (herd_groute_rx_wait_scanned(rx, &sum) != HERD_OK)
        return rc ? rc : herd_err_set(e, HERD_ECLOSED, "routed load: a peer was lost");
    if (sum.failed >= 0)
        return herd_err_set(e, sum.code, "%s", sum.msg);
    if (herd_groute_rx_wait(rx) != HERD_OK)
        return herd_err_set(e, HERD_ECLOSED, "routed load: a peer was lost");
    return herd_graph_scan_finish(f->epath, &f->o, sum.edges, f->vpath ? sum.vertices : 0, e);
}

/* My numbering: sorted ids of my partitions, bases from every worker's. */
struct numbering {
    uint64_t **ids;
    size_t *n;
    uint32_t *base;
    struct herd_groute_numbering num;
};

static void numbering_free(struct numbering *nb, uint32_t nparts)
{
    for (uint32_t p = 0; nb->ids && p < nparts; p++)
        free(nb->ids[p]);
    free(nb->ids);
    free(nb->n);
    free(nb->base);
}

/* Step 3. */
static int number(struct herd_groute_tx *tx, struct herd_groute_rx *rx,
                  const struct herd_groute_job *j, struct numbering *nb, struct herd_err *e)
{
    uint32_t np = j->nparts;
    nb->ids = herd_xcalloc(np ? np : 1, sizeof *nb->ids);
    nb->n = herd_xcalloc(np ? np : 1, sizeof *nb->n);
    nb->base = herd_xcalloc((size_t)np + 1, sizeof *nb->base);
    uint64_t *counts = herd_xcalloc(np ? np : 1, sizeof *counts);
    int rc = HERD_OK;
    for (uint32_t p = 0; p < np && rc == HERD_OK; p++)
        if (j->owner[p] == j->me) {
            rc = herd_groute_part_ids(herd_groute_rx_part(rx, p), &nb->ids[p], &nb->n[p], e);
            counts[p] = nb->n[p];
        }
    rc = rc ? rc : herd_groute_tx_counts(tx, counts, e);
    if (rc == HERD_OK && herd_groute_rx_wait_counts(rx, counts) != HERD_OK)
        rc = herd_err_set(e, HERD_ECLOSED, "routed load: a peer was lost");
    rc = rc ? rc : herd_groute_bases(counts, np, nb->base, e);
    free(counts);
    nb->num = (struct herd_groute_numbering){.nparts = np, .me = j->me, .owner = j->owner,
                                             .ids = nb->ids, .n = nb->n, .base = nb->base};
    return rc;
}

/* Step 5, my side: partition p's ids and out-degrees to every peer. */
static int send_pinfo(struct herd_dp_session *s, const struct herd_groute_job *j,
                      const struct herd_graph *g, uint32_t lo, uint32_t n, uint32_t p,
                      uint64_t arcs, struct herd_err *e)
{
    uint8_t *body = malloc((size_t)(n < PINFO_CHUNK ? n : PINFO_CHUNK) * HERD_DPF_PINFO_REC + 1);
    if (body == NULL)
        return herd_err_set(e, HERD_ENOMEM, "routed load: the map of partition %u", p);
    int rc = HERD_OK;
    uint32_t first = 0;
    do {
        uint32_t k = n - first < PINFO_CHUNK ? n - first : PINFO_CHUNK;
        for (uint32_t i = 0; i < k; i++) {
            herd_put_u64(body + (size_t)i * HERD_DPF_PINFO_REC, g->ids[lo + first + i]);
            herd_put_u32(body + (size_t)i * HERD_DPF_PINFO_REC + 8, g->out_deg[lo + first + i]);
        }
        uint8_t hdr[HERD_DPF_PINFO_HDR];
        herd_dpframe_pinfo_put(hdr, p, first, k, arcs);
        rc = to_peers(s, j, HERD_DP_PINFO, hdr, sizeof hdr, body,
                      (size_t)k * HERD_DPF_PINFO_REC, e);
        first += k;
    } while (rc == HERD_OK && first < n);
    free(body);
    return rc;
}

/* Step 5: every vertex's input id and out-degree; the whole graph's arcs. */
static int gather_map(struct herd_dp_session *s, struct herd_groute_rx *rx,
                      const struct herd_groute_job *j, const uint32_t *base,
                      const uint64_t *part_arcs, struct herd_graph *g, struct herd_err *e)
{
    uint64_t arcs = 0;
    int rc = HERD_OK;
    for (uint32_t p = 0; p < j->nparts && rc == HERD_OK; p++)
        if (j->owner[p] == j->me) {
            arcs += part_arcs[p];
            rc = send_pinfo(s, j, g, base[p], base[p + 1] - base[p], p, part_arcs[p], e);
        }
    if (rc == HERD_OK && herd_groute_rx_wait_pinfo(rx, base, g->ids, g->out_deg, &arcs) != 0)
        rc = herd_err_set(e, HERD_ECLOSED, "routed load: a peer was lost");
    g->m_whole = arcs;
    return rc;
}

/* Steps 3-5 after a clean scan. */
static int build(struct herd_dp_session *s, struct herd_groute_tx *tx, struct herd_groute_rx *rx,
                 const struct herd_groute_job *j, struct herd_graph **out, uint32_t *bounds,
                 struct herd_err *e)
{
    struct numbering nb = {0};
    struct herd_groute_xlate *x = NULL;
    struct herd_graph *g = NULL;
    uint64_t *part_arcs = herd_xcalloc(j->nparts ? j->nparts : 1, sizeof *part_arcs);
    int rc = number(tx, rx, j, &nb, e);
    rc = rc ? rc : herd_groute_xlate_run(s, rx, &nb.num, &x, e);
    struct herd_groute_build b = {.num = &nb.num, .directed = j->o.directed,
                                  .weighted = j->o.weighted == 1, .simplify = j->o.simplify,
                                  .need_out = j->o.need_out || !j->o.need_in,
                                  .need_in = j->o.need_in, .out_records = out_records(j)};
    rc = rc ? rc : herd_groute_build_run(rx, x, &b, &g, part_arcs, e);
    herd_groute_xlate_destroy(x);
    rc = rc ? rc : gather_map(s, rx, j, nb.base, part_arcs, g, e);
    if (rc == HERD_OK) {
        memcpy(bounds, nb.base, ((size_t)j->nparts + 1) * sizeof *bounds);
        *out = g;
    } else {
        herd_graph_destroy(g);
    }
    free(part_arcs);
    numbering_free(&nb, j->nparts);
    return rc;
}

int herd_groute_load_run(struct herd_dp_session *s, struct herd_groute_rx *rx,
                         const struct herd_groute_job *j, struct herd_graph **out,
                         uint32_t *bounds, struct herd_err *e)
{
    struct files f;
    files_open(j, &f);
    struct herd_groute_counts c = {0};
    struct herd_groute_tx *tx = NULL;
    herd_info("gpart", "%s: routed load, worker %u of %u: scanning my range", j->path, j->me,
              j->nworkers);
    int rc = scan(s, rx, j, &f, &c, &tx, e);
    rc = verdict(s, rx, j, &f, &c, rc, e);
    if (rc == HERD_OK)
        rc = build(s, tx, rx, j, out, bounds, e);
    if (rc == HERD_OK)
        herd_info("gpart", "%s: routed load, worker %u of %u: my rows hold %" PRIu64 " of %" PRIu64
                  " arcs (%" PRIu64 " edges read from my range)", j->path, j->me, j->nworkers,
                  (*out)->m, (*out)->m_whole, c.edges);
    herd_groute_tx_destroy(tx);
    files_close(&f);
    return rc;
}
