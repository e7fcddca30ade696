/* ckpt_file — checks an untrusted checkpoint file field by field. See
 * ckpt_file.h; the writer is gpart_ckpt.c. */
#include "worker/ckpt_file.h"

#include "base/bytes.h"

#include <inttypes.h>

int herd_ckpt_header(const uint8_t *buf, size_t len, struct herd_ckpt_expect *out,
                     struct herd_err *e)
{
    if (len < HERD_CKPT_HEADER)
        return herd_err_set(e, HERD_EPARSE, "checkpoint: %zu bytes, shorter than the header",
                            len);
    if (herd_get_u32(buf) != HERD_CKPT_MAGIC)
        return herd_err_set(e, HERD_EPARSE, "checkpoint: bad magic");
    if (herd_get_u32(buf + 4) != HERD_CKPT_VERSION)
        return herd_err_set(e, HERD_EPARSE, "checkpoint: version %" PRIu32 ", want %u",
                            herd_get_u32(buf + 4), HERD_CKPT_VERSION);
    out->part = herd_get_u32(buf + 8);
    out->step = herd_get_u64(buf + 12);
    out->value_size = herd_get_u32(buf + 20);
    out->msg_size = herd_get_u32(buf + 24);
    out->mode = herd_get_u32(buf + 28);
    out->lo = 0;
    out->hi = herd_get_u32(buf + 32);
    out->nparts = 0;
    return HERD_OK;
}

/* Each header field against the expectation, named when it differs. */
static int check_header(const struct herd_ckpt_expect *h, const struct herd_ckpt_expect *x,
                        struct herd_err *e)
{
    if (h->part != x->part)
        return herd_err_set(e, HERD_EPARSE, "checkpoint: holds partition %" PRIu32 ", want %"
                            PRIu32, h->part, x->part);
    if (h->step != x->step)
        return herd_err_set(e, HERD_EPARSE, "checkpoint of partition %" PRIu32 ": superstep %"
                            PRIu64 ", want %" PRIu64, x->part, h->step, x->step);
    if (h->value_size != x->value_size || h->msg_size != x->msg_size)
        return herd_err_set(e, HERD_EPARSE, "checkpoint of partition %" PRIu32 ": value/message "
                            "size %" PRIu32 "/%" PRIu32 ", the program's %" PRIu32 "/%" PRIu32,
                            x->part, h->value_size, h->msg_size, x->value_size, x->msg_size);
    if (h->mode != x->mode)
        return herd_err_set(e, HERD_EPARSE, "checkpoint of partition %" PRIu32 ": mode %" PRIu32
                            ", want %" PRIu32, x->part, h->mode, x->mode);
    if (x->hi < x->lo || h->hi != x->hi - x->lo)
        return herd_err_set(e, HERD_EPARSE, "checkpoint: partition %" PRIu32 " holds %" PRIu32
                            " vertices, want %" PRIu32, x->part, h->hi, x->hi - x->lo);
    return HERD_OK;
}

/* 1 if every byte of p[0..n) is 0 or 1. */
static int flags_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] > 1)
            return 0;
    return 1;
}

/* Mode 0: the sender sections; every count fits the bytes left and every
 * target lies in the partition. */
static int check_msgs(struct herd_rbuf *rb, const struct herd_ckpt_expect *x,
                      struct herd_err *e)
{
    uint32_t np = herd_rbuf_u32(rb);
    if (rb->bad || np != x->nparts)
        return herd_err_set(e, HERD_EPARSE, "checkpoint of partition %" PRIu32 ": %" PRIu32
                            " sender partitions, want %" PRIu32, x->part, np, x->nparts);
    size_t rec = 4 + (size_t)x->msg_size;
    for (uint32_t from = 0; from < np; from++) {
        uint64_t count = herd_rbuf_u64(rb);
        if (rb->bad || count > herd_rbuf_left(rb) / rec)
            return herd_err_set(e, HERD_EPARSE, "checkpoint of partition %" PRIu32 ": sender %"
                                PRIu32 " claims %" PRIu64 " messages past the end of the file",
                                x->part, from, count);
        for (uint64_t i = 0; i < count; i++) {
            uint32_t t = herd_get_u32(rb->p + rb->off);
            if (t < x->lo || t >= x->hi)
                return herd_err_set(e, HERD_EPARSE, "checkpoint of partition %" PRIu32
                                    ": message to vertex %" PRIu32 " outside [%" PRIu32 ", %"
                                    PRIu32 ")", x->part, t, x->lo, x->hi);
            rb->off += rec;
        }
    }
    return HERD_OK;
}

static int check_body(struct herd_rbuf *rb, const struct herd_ckpt_expect *x,
                      struct herd_ckpt_view *v, struct herd_err *e)
{
    size_t n = v->n;
    if ((uint64_t)n * ((uint64_t)x->value_size + 1) > herd_rbuf_left(rb))
        return herd_err_set(e, HERD_EPARSE, "checkpoint of partition %" PRIu32
                            ": values truncated", x->part);
    v->values = rb->p + rb->off;
    v->halted = v->values + n * x->value_size;
    rb->off += n * ((size_t)x->value_size + 1);
    if (!flags_ok(v->halted, n))
        return herd_err_set(e, HERD_EPARSE, "checkpoint of partition %" PRIu32
                            ": a halted flag is neither 0 nor 1", x->part);
    if (x->mode == HERD_CKPT_PULL) {
        if (herd_rbuf_left(rb) != n * 9)
            return herd_err_set(e, HERD_EPARSE, "checkpoint of partition %" PRIu32 ": %zu bytes "
                                "of contributions, want %zu", x->part, herd_rbuf_left(rb), n * 9);
        v->contrib = rb->p + rb->off;
        v->emitted = v->contrib + n * 8;
        rb->off += n * 9;
        if (!flags_ok(v->emitted, n))
            return herd_err_set(e, HERD_EPARSE, "checkpoint of partition %" PRIu32
                                ": an emitted flag is neither 0 nor 1", x->part);
        return HERD_OK;
    }
    v->msgs = rb->p + rb->off;
    int rc = check_msgs(rb, x, e);
    v->msgs_len = (size_t)(rb->p + rb->off - v->msgs);
    return rc;
}

int herd_ckpt_parse(const uint8_t *buf, size_t len, const struct herd_ckpt_expect *x,
                    struct herd_ckpt_view *out, struct herd_err *e)
{
    struct herd_ckpt_expect h;
    int rc = herd_ckpt_header(buf, len, &h, e);
    if (rc == HERD_OK)
        rc = check_header(&h, x, e);
    if (rc != HERD_OK)
        return rc;
    if (x->mode != HERD_CKPT_MESSAGES && x->mode != HERD_CKPT_PULL)
        return herd_err_set(e, HERD_EPARSE, "checkpoint: unknown mode %" PRIu32, x->mode);
    if (x->mode == HERD_CKPT_MESSAGES && (x->nparts == 0 || x->nparts > HERD_CKPT_MAX_PARTS))
        return herd_err_set(e, HERD_EPARSE, "checkpoint: %" PRIu32 " partitions", x->nparts);
    struct herd_rbuf rb;
    herd_rbuf_init(&rb, buf, len);
    rb.off = HERD_CKPT_HEADER;
    struct herd_ckpt_view v = {.n = h.hi};
    rc = check_body(&rb, x, &v, e);
    if (rc == HERD_OK && herd_rbuf_left(&rb) != 0)
        rc = herd_err_set(e, HERD_EPARSE, "checkpoint of partition %" PRIu32 ": %zu trailing "
                          "bytes", x->part, herd_rbuf_left(&rb));
    if (rc == HERD_OK)
        *out = v;
    return rc;
}
