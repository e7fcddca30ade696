/* msgdense — dense sender-side combining (msgdense.h). */
#include "graph/msgdense.h"

#include "base/err.h"

#include <stdlib.h>

int herd_msgdense_eligible(enum herd_combiner kind, uint32_t msg_size)
{
    switch (kind) {
    case HERD_COMBINE_MIN_U32:
        return msg_size == 4;
    case HERD_COMBINE_MIN_I64:
    case HERD_COMBINE_SUM_I64:
        return msg_size == 8;
    default:
        return 0;
    }
}

/* Slot v set to x (the message's bits, as in d->uniform). */
static void set_slot(struct herd_msgdense *d, uint32_t v, uint64_t x)
{
    if (d->kind == HERD_COMBINE_MIN_U32)
        ((uint32_t *)d->val)[v] = (uint32_t)x;
    else
        ((int64_t *)d->val)[v] = (int64_t)x;
}

static uint64_t get_slot(const struct herd_msgdense *d, uint32_t v)
{
    if (d->kind == HERD_COMBINE_MIN_U32)
        return ((const uint32_t *)d->val)[v];
    return (uint64_t)((const int64_t *)d->val)[v];
}

int herd_msgdense_init(struct herd_msgdense *d, enum herd_combiner kind, uint32_t msg_size,
                       uint32_t n)
{
    memset(d, 0, sizeof *d);
    size_t words = ((size_t)n + 63) / 64;
    d->kind = kind;
    d->mode = HERD_MSGDENSE_EMPTY;
    d->n = n;
    d->msg_size = msg_size;
    d->val = malloc(((size_t)n ? n : 1) * msg_size);
    d->bits = calloc(words ? words : 1, sizeof *d->bits);
    d->nwords = (uint32_t)words;
    if (d->val == NULL || d->bits == NULL) {
        herd_msgdense_fini(d);
        return HERD_ENOMEM;
    }
    return HERD_OK;
}

void herd_msgdense_fini(struct herd_msgdense *d)
{
    free(d->val);
    free(d->bits);
    memset(d, 0, sizeof *d);
}

/* UNIFORM -> SLOTS: every target seen so far gets the uniform value. */
static void fill_slots(struct herd_msgdense *d)
{
    for (uint32_t w = 0; w < d->nwords; w++)
        for (uint64_t bits = d->bits[w]; bits; bits &= bits - 1)
            set_slot(d, w * 64 + (uint32_t)__builtin_ctzll(bits), d->uniform);
    d->mode = HERD_MSGDENSE_SLOTS;
}

int herd_msgdense_mode_for(struct herd_msgdense *d, uint64_t x)
{
    switch (d->mode) {
    case HERD_MSGDENSE_EMPTY:
        if (d->kind == HERD_COMBINE_SUM_I64) { /* a sum of equal values is not the value */
            d->mode = HERD_MSGDENSE_SLOTS;
            return 0;
        }
        d->mode = HERD_MSGDENSE_UNIFORM;
        d->uniform = x;
        return 1;
    case HERD_MSGDENSE_UNIFORM:
        if (x == d->uniform)
            return 1;
        fill_slots(d);
        return 0;
    default:
        return 0;
    }
}

/* The records of one word's slots (while *rc is HERD_OK), then the word
 * cleared (always, so an error leaves d empty). *q is the
 * partition of the last target flushed (targets only ascend). */
static void flush_word(struct herd_msgdense *d, uint32_t w, const uint32_t *bounds,
                       uint32_t *q, struct herd_msgout *outs, int *rc)
{
    uint64_t bits = d->bits[w];
    uint8_t rec[8];
    d->bits[w] = 0;
    int slots = d->mode == HERD_MSGDENSE_SLOTS;
    while (bits) {
        uint32_t v = w * 64 + (uint32_t)__builtin_ctzll(bits);
        bits &= bits - 1;
        while (v >= bounds[*q + 1])
            ++*q;
        uint64_t x = slots ? get_slot(d, v) : d->uniform;
        if (d->kind == HERD_COMBINE_MIN_U32) {
            uint32_t x32 = (uint32_t)x;
            memcpy(rec, &x32, 4);
        } else {
            memcpy(rec, &x, 8);
        }
        if (*rc == HERD_OK)
            *rc = herd_msgout_append(&outs[*q], v, rec);
    }
}

int herd_msgdense_flush(struct herd_msgdense *d, const uint32_t *bounds, struct herd_msgout *outs)
{
    int rc = HERD_OK;
    uint32_t q = 0;
    if (d->mode != HERD_MSGDENSE_EMPTY)
        for (uint32_t w = 0; w < d->nwords; w++)
            if (d->bits[w])
                flush_word(d, w, bounds, &q, outs, &rc);
    d->mode = HERD_MSGDENSE_EMPTY;
    return rc;
}
