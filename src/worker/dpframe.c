/* dpframe — data-plane frame bodies (dpframe.h). Every length and index is
 * checked before the body is read; multiplications are done in 64 bits so a
 * hostile count cannot wrap. */
#include "worker/dpframe.h"

#include "base/bytes.h"
#include "wire/auth.h"

#include <string.h>

int herd_dpframe_batch_decode(const struct herd_dpframe_shape *sh, uint32_t sender,
                              const uint8_t *b, size_t n, struct herd_dpframe_batch *out,
                              struct herd_err *e)
{
    if (n < HERD_DPF_BATCH_HDR)
        return herd_err_set(e, HERD_EPROTO, "BATCH: %zu bytes, header needs %d", n,
                            HERD_DPF_BATCH_HDR);
    uint32_t from = herd_get_u32(b), to = herd_get_u32(b + 4);
    uint32_t count = herd_get_u32(b + 16), rec = herd_get_u32(b + 20);
    if (from >= sh->nparts || to >= sh->nparts)
        return herd_err_set(e, HERD_EPROTO, "BATCH: partition %u -> %u of %u", from, to,
                            sh->nparts);
    if (sh->owner[from] != sender || sh->owner[to] != sh->me)
        return herd_err_set(e, HERD_EPROTO, "BATCH: %u -> %u is not worker %u -> %u", from, to,
                            sender, sh->me);
    if ((uint64_t)rec != 4 + (uint64_t)sh->msg_size)
        return herd_err_set(e, HERD_EPROTO, "BATCH: record size %u, expected %u", rec,
                            4 + sh->msg_size);
    if ((uint64_t)count * rec != n - HERD_DPF_BATCH_HDR)
        return herd_err_set(e, HERD_EPROTO, "BATCH: %u records in %zu bytes", count,
                            n - HERD_DPF_BATCH_HDR);
    *out = (struct herd_dpframe_batch){.from = from,
                                       .to = to,
                                       .count = count,
                                       .rec = rec,
                                       .step = herd_get_u64(b + 8),
                                       .recs = b + HERD_DPF_BATCH_HDR};
    return HERD_OK;
}

void herd_dpframe_batch_copy(const struct herd_dpframe_batch *b, uint8_t *dst)
{
    const uint8_t *p = b->recs;
    for (uint32_t i = 0; i < b->count; i++, p += b->rec, dst += b->rec) {
        uint32_t t = herd_get_u32(p);
        memcpy(dst, &t, 4);
        memcpy(dst + 4, p + 4, b->rec - 4);
    }
}

void herd_dpframe_batch_put(uint8_t hdr[HERD_DPF_BATCH_HDR], uint32_t from, uint32_t to,
                            uint64_t step, uint32_t count, uint32_t rec)
{
    herd_put_u32(hdr, from);
    herd_put_u32(hdr + 4, to);
    herd_put_u64(hdr + 8, step);
    herd_put_u32(hdr + 16, count);
    herd_put_u32(hdr + 20, rec);
}

int herd_dpframe_end_decode(const uint8_t *b, size_t n, uint64_t *step, struct herd_err *e)
{
    if (n != HERD_DPF_END_LEN)
        return herd_err_set(e, HERD_EPROTO, "END: %zu bytes, expected %d", n, HERD_DPF_END_LEN);
    *step = herd_get_u64(b);
    return HERD_OK;
}

int herd_dpframe_vector_decode(const struct herd_dpframe_shape *sh, uint32_t sender,
                               const uint8_t *b, size_t n, struct herd_dpframe_vector *out,
                               struct herd_err *e)
{
    if (sh->bounds == NULL)
        return herd_err_set(e, HERD_EPROTO, "VECTOR on a session without the pull path");
    if (n < HERD_DPF_VECTOR_HDR)
        return herd_err_set(e, HERD_EPROTO, "VECTOR: %zu bytes, header needs %d", n,
                            HERD_DPF_VECTOR_HDR);
    uint32_t p = herd_get_u32(b), cnt = herd_get_u32(b + 12);
    if (p >= sh->nparts || sh->owner[p] != sender)
        return herd_err_set(e, HERD_EPROTO, "VECTOR: partition %u is not worker %u's", p,
                            sender);
    if (sh->bounds[p + 1] < sh->bounds[p] || cnt != sh->bounds[p + 1] - sh->bounds[p])
        return herd_err_set(e, HERD_EPROTO, "VECTOR: %u entries for partition %u", cnt, p);
    if ((uint64_t)cnt * 9 != n - HERD_DPF_VECTOR_HDR)
        return herd_err_set(e, HERD_EPROTO, "VECTOR: %u entries in %zu bytes", cnt,
                            n - HERD_DPF_VECTOR_HDR);
    *out = (struct herd_dpframe_vector){.part = p,
                                        .count = cnt,
                                        .step = herd_get_u64(b + 4),
                                        .values = b + HERD_DPF_VECTOR_HDR,
                                        .emitted = b + HERD_DPF_VECTOR_HDR + (size_t)cnt * 8};
    return HERD_OK;
}

void herd_dpframe_vector_copy(const struct herd_dpframe_vector *v, double *x, uint8_t *em)
{
    const uint8_t *q = v->values;
    for (uint32_t i = 0; i < v->count; i++, q += 8) {
        uint64_t bits = herd_get_u64(q);
        memcpy(&x[i], &bits, 8);
    }
    memcpy(em, v->emitted, v->count);
}

void herd_dpframe_vector_put(uint8_t hdr[HERD_DPF_VECTOR_HDR], uint32_t part, uint64_t step,
                             uint32_t count)
{
    herd_put_u32(hdr, part);
    herd_put_u64(hdr + 4, step);
    herd_put_u32(hdr + 12, count);
}

int herd_dpframe_hello_decode(const uint8_t *b, size_t n, struct herd_dpframe_hello *out,
                              struct herd_err *e)
{
    if (n != HERD_DPF_HELLO_ID + HERD_MAC_LEN)
        return herd_err_set(e, HERD_EPROTO, "DHELLO: %zu bytes, expected %d", n,
                            HERD_DPF_HELLO_ID + HERD_MAC_LEN);
    *out = (struct herd_dpframe_hello){.job = herd_get_u64(b),
                                       .epoch = herd_get_u32(b + 8),
                                       .from = herd_get_u32(b + 12),
                                       .mac = b + HERD_DPF_HELLO_ID};
    return HERD_OK;
}

void herd_dpframe_hello_put(uint8_t id[HERD_DPF_HELLO_ID], uint64_t job, uint32_t epoch,
                            uint32_t from)
{
    herd_put_u64(id, job);
    herd_put_u32(id + 8, epoch);
    herd_put_u32(id + 12, from);
}

int herd_dpframe_challenge_decode(const uint8_t *b, size_t n, const uint8_t **nonce,
                                  struct herd_err *e)
{
    if (n != HERD_NONCE_LEN)
        return herd_err_set(e, HERD_EPROTO, "DCHALLENGE: %zu bytes, expected %d", n,
                            HERD_NONCE_LEN);
    *nonce = b;
    return HERD_OK;
}

/* ---- routed loading ---- */

int herd_dpframe_edges_decode(const struct herd_dpframe_shape *sh, const uint8_t *b, size_t n,
                              struct herd_dpframe_edges *out, struct herd_err *e)
{
    if (n < HERD_DPF_EDGES_HDR)
        return herd_err_set(e, HERD_EPROTO, "EDGES: %zu bytes, header needs %d", n,
                            HERD_DPF_EDGES_HDR);
    uint32_t part = herd_get_u32(b), count = herd_get_u32(b + 8);
    uint8_t kind = b[4], weighted = b[5];
    if (part >= sh->nparts || sh->owner[part] != sh->me)
        return herd_err_set(e, HERD_EPROTO, "EDGES: partition %u is not worker %u's", part,
                            sh->me);
    if (kind > HERD_DPF_IN || weighted > 1 || b[6] != 0 || b[7] != 0)
        return herd_err_set(e, HERD_EPROTO, "EDGES: bad kind %u, weighted %u or reserved bytes",
                            kind, weighted);
    if ((uint64_t)count * herd_dpframe_edge_size(weighted) != n - HERD_DPF_EDGES_HDR)
        return herd_err_set(e, HERD_EPROTO, "EDGES: %u records in %zu bytes", count,
                            n - HERD_DPF_EDGES_HDR);
    *out = (struct herd_dpframe_edges){.part = part, .count = count, .kind = kind,
                                       .weighted = weighted, .recs = b + HERD_DPF_EDGES_HDR};
    return HERD_OK;
}

void herd_dpframe_edge_at(const struct herd_dpframe_edges *f, uint32_t i, uint64_t *src,
                          uint64_t *dst, double *w)
{
    const uint8_t *p = f->recs + (size_t)i * herd_dpframe_edge_size(f->weighted);
    *src = herd_get_u64(p);
    *dst = herd_get_u64(p + 8);
    *w = 1.0;
    if (f->weighted) {
        uint64_t bits = herd_get_u64(p + 16);
        memcpy(w, &bits, 8);
    }
}

void herd_dpframe_edges_put(uint8_t hdr[HERD_DPF_EDGES_HDR], uint32_t part, uint8_t kind,
                            uint8_t weighted, uint32_t count)
{
    herd_put_u32(hdr, part);
    hdr[4] = kind;
    hdr[5] = weighted;
    hdr[6] = hdr[7] = 0;
    herd_put_u32(hdr + 8, count);
}

size_t herd_dpframe_edge_put(uint8_t *rec, uint64_t src, uint64_t dst, uint8_t weighted,
                             double w)
{
    herd_put_u64(rec, src);
    herd_put_u64(rec + 8, dst);
    if (weighted) {
        uint64_t bits;
        memcpy(&bits, &w, 8);
        herd_put_u64(rec + 16, bits);
    }
    return herd_dpframe_edge_size(weighted);
}

int herd_dpframe_vids_decode(const struct herd_dpframe_shape *sh, const uint8_t *b, size_t n,
                             struct herd_dpframe_vids *out, struct herd_err *e)
{
    if (n < HERD_DPF_VIDS_HDR)
        return herd_err_set(e, HERD_EPROTO, "VIDS: %zu bytes, header needs %d", n,
                            HERD_DPF_VIDS_HDR);
    uint32_t part = herd_get_u32(b), count = herd_get_u32(b + 4);
    if (part >= sh->nparts || sh->owner[part] != sh->me)
        return herd_err_set(e, HERD_EPROTO, "VIDS: partition %u is not worker %u's", part,
                            sh->me);
    if ((uint64_t)count * 8 != n - HERD_DPF_VIDS_HDR)
        return herd_err_set(e, HERD_EPROTO, "VIDS: %u ids in %zu bytes", count,
                            n - HERD_DPF_VIDS_HDR);
    *out = (struct herd_dpframe_vids){.part = part, .count = count,
                                      .ids = b + HERD_DPF_VIDS_HDR};
    return HERD_OK;
}

uint64_t herd_dpframe_vid_at(const struct herd_dpframe_vids *f, uint32_t i)
{
    return herd_get_u64(f->ids + (size_t)i * 8);
}

void herd_dpframe_vids_put(uint8_t hdr[HERD_DPF_VIDS_HDR], uint32_t part, uint32_t count)
{
    herd_put_u32(hdr, part);
    herd_put_u32(hdr + 4, count);
}

int herd_dpframe_loaded_decode(const uint8_t *b, size_t n, uint64_t *edges, uint64_t *ids,
                               struct herd_err *e)
{
    if (n != HERD_DPF_LOADED_LEN)
        return herd_err_set(e, HERD_EPROTO, "LOADED: %zu bytes, expected %d", n,
                            HERD_DPF_LOADED_LEN);
    *edges = herd_get_u64(b);
    *ids = herd_get_u64(b + 8);
    return HERD_OK;
}

void herd_dpframe_loaded_put(uint8_t b[HERD_DPF_LOADED_LEN], uint64_t edges, uint64_t ids)
{
    herd_put_u64(b, edges);
    herd_put_u64(b + 8, ids);
}

int herd_dpframe_counts_decode(const struct herd_dpframe_shape *sh, uint32_t sender,
                               const uint8_t *b, size_t n, struct herd_dpframe_counts *out,
                               struct herd_err *e)
{
    if (n < HERD_DPF_COUNTS_HDR)
        return herd_err_set(e, HERD_EPROTO, "COUNTS: %zu bytes, header needs %d", n,
                            HERD_DPF_COUNTS_HDR);
    uint32_t k = herd_get_u32(b);
    if ((uint64_t)k * 12 != n - HERD_DPF_COUNTS_HDR)
        return herd_err_set(e, HERD_EPROTO, "COUNTS: %u entries in %zu bytes", k,
                            n - HERD_DPF_COUNTS_HDR);
    for (uint32_t i = 0; i < k; i++) {
        uint32_t part = herd_get_u32(b + HERD_DPF_COUNTS_HDR + (size_t)i * 12);
        if (part >= sh->nparts || sh->owner[part] != sender)
            return herd_err_set(e, HERD_EPROTO, "COUNTS: partition %u is not worker %u's",
                                part, sender);
    }
    *out = (struct herd_dpframe_counts){.k = k, .entries = b + HERD_DPF_COUNTS_HDR};
    return HERD_OK;
}

void herd_dpframe_count_at(const struct herd_dpframe_counts *f, uint32_t i, uint32_t *part,
                           uint64_t *count)
{
    const uint8_t *p = f->entries + (size_t)i * 12;
    *part = herd_get_u32(p);
    *count = herd_get_u64(p + 4);
}

void herd_dpframe_counts_put(uint8_t hdr[HERD_DPF_COUNTS_HDR], uint32_t k)
{
    herd_put_u32(hdr, k);
}

void herd_dpframe_count_put(uint8_t *p, uint32_t part, uint64_t count)
{
    herd_put_u32(p, part);
    herd_put_u64(p + 4, count);
}

/* ASK and ANSWER: part owned by `who`, count entries of `size` bytes. */
static int ids_decode(const char *name, const struct herd_dpframe_shape *sh, uint32_t who,
                      size_t size, const uint8_t *b, size_t n, struct herd_dpframe_ids *out,
                      struct herd_err *e)
{
    if (n < HERD_DPF_VIDS_HDR)
        return herd_err_set(e, HERD_EPROTO, "%s: %zu bytes, header needs %d", name, n,
                            HERD_DPF_VIDS_HDR);
    uint32_t part = herd_get_u32(b), count = herd_get_u32(b + 4);
    if (part >= sh->nparts || sh->owner[part] != who)
        return herd_err_set(e, HERD_EPROTO, "%s: partition %u is not worker %u's", name, part,
                            who);
    if ((uint64_t)count * size != n - HERD_DPF_VIDS_HDR)
        return herd_err_set(e, HERD_EPROTO, "%s: %u entries in %zu bytes", name, count,
                            n - HERD_DPF_VIDS_HDR);
    *out = (struct herd_dpframe_ids){.part = part, .count = count, .v = b + HERD_DPF_VIDS_HDR};
    return HERD_OK;
}

int herd_dpframe_ask_decode(const struct herd_dpframe_shape *sh, const uint8_t *b, size_t n,
                            struct herd_dpframe_ids *out, struct herd_err *e)
{
    return ids_decode("ASK", sh, sh->me, 8, b, n, out, e);
}

int herd_dpframe_answer_decode(const struct herd_dpframe_shape *sh, uint32_t sender,
                               const uint8_t *b, size_t n, struct herd_dpframe_ids *out,
                               struct herd_err *e)
{
    return ids_decode("ANSWER", sh, sender, 4, b, n, out, e);
}

int herd_dpframe_scanned_decode(const uint8_t *b, size_t n, struct herd_dpframe_scanned *out,
                                struct herd_err *e)
{
    if (n < HERD_DPF_SCANNED_HDR)
        return herd_err_set(e, HERD_EPROTO, "SCANNED: %zu bytes, header needs %d", n,
                            HERD_DPF_SCANNED_HDR);
    uint32_t code = herd_get_u32(b + 16), len = herd_get_u32(b + 20);
    if (len > HERD_DPF_SCANNED_MSG || len != n - HERD_DPF_SCANNED_HDR)
        return herd_err_set(e, HERD_EPROTO, "SCANNED: a %u-byte message in %zu bytes", len,
                            n - HERD_DPF_SCANNED_HDR);
    if (memchr(b + HERD_DPF_SCANNED_HDR, 0, len) != NULL)
        return herd_err_set(e, HERD_EPROTO, "SCANNED: a NUL in the message");
    *out = (struct herd_dpframe_scanned){.edges = herd_get_u64(b),
                                         .vertices = herd_get_u64(b + 8), .code = code,
                                         .len = len, .msg = b + HERD_DPF_SCANNED_HDR};
    return HERD_OK;
}

void herd_dpframe_scanned_put(uint8_t hdr[HERD_DPF_SCANNED_HDR], uint64_t edges,
                              uint64_t vertices, uint32_t code, uint32_t len)
{
    herd_put_u64(hdr, edges);
    herd_put_u64(hdr + 8, vertices);
    herd_put_u32(hdr + 16, code);
    herd_put_u32(hdr + 20, len);
}

int herd_dpframe_pinfo_decode(const struct herd_dpframe_shape *sh, uint32_t sender,
                              const uint8_t *b, size_t n, struct herd_dpframe_pinfo *out,
                              struct herd_err *e)
{
    if (n < HERD_DPF_PINFO_HDR)
        return herd_err_set(e, HERD_EPROTO, "PINFO: %zu bytes, header needs %d", n,
                            HERD_DPF_PINFO_HDR);
    uint32_t part = herd_get_u32(b), count = herd_get_u32(b + 8);
    if (part >= sh->nparts || sh->owner[part] != sender)
        return herd_err_set(e, HERD_EPROTO, "PINFO: partition %u is not worker %u's", part,
                            sender);
    if ((uint64_t)count * HERD_DPF_PINFO_REC != n - HERD_DPF_PINFO_HDR)
        return herd_err_set(e, HERD_EPROTO, "PINFO: %u records in %zu bytes", count,
                            n - HERD_DPF_PINFO_HDR);
    *out = (struct herd_dpframe_pinfo){.part = part, .first = herd_get_u32(b + 4),
                                       .count = count, .arcs = herd_get_u64(b + 12),
                                       .recs = b + HERD_DPF_PINFO_HDR};
    return HERD_OK;
}

void herd_dpframe_pinfo_put(uint8_t hdr[HERD_DPF_PINFO_HDR], uint32_t part, uint32_t first,
                            uint32_t count, uint64_t arcs)
{
    herd_put_u32(hdr, part);
    herd_put_u32(hdr + 4, first);
    herd_put_u32(hdr + 8, count);
    herd_put_u64(hdr + 12, arcs);
}

void herd_dpframe_pinfo_at(const struct herd_dpframe_pinfo *f, uint32_t i, uint64_t *id,
                           uint32_t *deg)
{
    const uint8_t *p = f->recs + (size_t)i * HERD_DPF_PINFO_REC;
    *id = herd_get_u64(p);
    *deg = herd_get_u32(p + 8);
}
