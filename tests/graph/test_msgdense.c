/* Dense sender-side combining: records per distinct target, routed to the
 * target's partition, combined exactly, and an empty combiner after flush. */
#include "check.h"

#include "base/err.h"
#include "graph/msgdense.h"

#include <stdlib.h>
#include <string.h>

/* A sink that keeps every batch it gets (per partition). */
struct kept {
    struct herd_msgbatch *head[4];
};

struct lane {
    struct kept *k;
    uint32_t q;
};

static int keep(void *arg, struct herd_msgbatch *b)
{
    struct lane *l = arg;
    b->next = l->k->head[l->q];
    l->k->head[l->q] = b;
    return HERD_OK;
}

static const uint32_t bounds[5] = {0, 100, 250, 251, 400};

static void outs_init(struct herd_msgout *o, struct lane *ln, struct kept *k, uint32_t msg_size)
{
    memset(k, 0, sizeof *k);
    for (uint32_t q = 0; q < 4; q++) {
        ln[q] = (struct lane){k, q};
        CHECK_EQ(herd_msgout_init(&o[q], msg_size, NULL, 0, keep, &ln[q]), HERD_OK);
    }
}

/* Flushes outs and returns the value sent to `to` (-1: none; -2: twice),
 * checking that each record sits in its target's partition. */
static int64_t sent_to(struct herd_msgout *o, struct kept *k, uint32_t to, uint32_t msg_size)
{
    int64_t got = -1;
    for (uint32_t q = 0; q < 4; q++) {
        CHECK_EQ(herd_msgout_flush(&o[q]), HERD_OK);
        for (const struct herd_msgbatch *b = k->head[q]; b; b = b->next)
            for (uint32_t i = 0; i < b->count; i++) {
                const uint8_t *r = b->data + (size_t)i * b->rec;
                uint32_t t;
                memcpy(&t, r, 4);
                CHECK(t >= bounds[q] && t < bounds[q + 1]);
                if (t != to)
                    continue;
                int64_t x = 0;
                if (msg_size == 4) {
                    uint32_t u;
                    memcpy(&u, r + 4, 4);
                    x = u;
                } else {
                    memcpy(&x, r + 4, 8);
                }
                got = got == -1 ? x : -2;
            }
    }
    return got;
}

static uint64_t records(struct herd_msgout *o)
{
    uint64_t n = 0;
    for (uint32_t q = 0; q < 4; q++) {
        herd_msgout_flush(&o[q]);
        n += o[q].records;
    }
    return n;
}

static void outs_fini(struct herd_msgout *o, struct kept *k)
{
    for (uint32_t q = 0; q < 4; q++) {
        herd_msgout_fini(&o[q]);
        herd_msgbatch_free_list(k->head[q]);
        k->head[q] = NULL;
    }
}

static void put32(struct herd_msgdense *d, uint32_t to, uint32_t x)
{
    uint8_t m[8] = {0}; /* the inline put reads 8 bytes on its (untaken) i64 branch */
    memcpy(m, &x, 4);
    herd_msgdense_put(d, to, m);
}

HERD_TEST(eligible_only_exact_integer_combiners)
{
    CHECK(herd_msgdense_eligible(HERD_COMBINE_MIN_U32, 4));
    CHECK(herd_msgdense_eligible(HERD_COMBINE_MIN_I64, 8));
    CHECK(herd_msgdense_eligible(HERD_COMBINE_SUM_I64, 8));
    CHECK(!herd_msgdense_eligible(HERD_COMBINE_MIN_U32, 8));
    CHECK(!herd_msgdense_eligible(HERD_COMBINE_SUM_F64, 8));
    CHECK(!herd_msgdense_eligible(HERD_COMBINE_MIN_F64, 8));
    CHECK(!herd_msgdense_eligible(HERD_COMBINE_FN, 8));
    CHECK(!herd_msgdense_eligible(HERD_COMBINE_NONE, 4));
}

HERD_TEST(min_u32_one_record_per_target_in_its_partition)
{
    struct herd_msgdense d;
    CHECK_EQ(herd_msgdense_init(&d, HERD_COMBINE_MIN_U32, 4, 400), HERD_OK);
    struct herd_msgout o[4];
    struct lane ln[4];
    struct kept k;
    outs_init(o, ln, &k, 4);
    /* uniform at first (7 to many targets), then a smaller and a larger value */
    for (uint32_t r = 0; r < 3; r++)
        for (uint32_t t = 0; t < 400; t += 3)
            put32(&d, t, 7);
    put32(&d, 250, 2);
    put32(&d, 99, 9);
    put32(&d, 399, UINT32_MAX);
    CHECK_EQ(d.mode, HERD_MSGDENSE_SLOTS);
    CHECK_EQ(herd_msgdense_flush(&d, bounds, o), HERD_OK);
    CHECK_EQ(records(o), 134 + 1); /* 0, 3, ..., 399 and 250 */
    CHECK_EQ(sent_to(o, &k, 0, 4), 7);
    CHECK_EQ(sent_to(o, &k, 99, 4), 7);
    CHECK_EQ(sent_to(o, &k, 250, 4), 2);
    CHECK_EQ(sent_to(o, &k, 399, 4), 7);
    CHECK_EQ(sent_to(o, &k, 1, 4), -1);
    outs_fini(o, &k);
    /* empty after the flush: the next step starts afresh */
    outs_init(o, ln, &k, 4);
    CHECK_EQ(d.mode, HERD_MSGDENSE_EMPTY);
    put32(&d, 399, UINT32_MAX);
    put32(&d, 5, 8);
    CHECK_EQ(herd_msgdense_flush(&d, bounds, o), HERD_OK);
    CHECK_EQ(records(o), 2);
    CHECK_EQ(sent_to(o, &k, 399, 4), UINT32_MAX);
    CHECK_EQ(sent_to(o, &k, 5, 4), 8);
    CHECK_EQ(sent_to(o, &k, 250, 4), -1);
    outs_fini(o, &k);
    herd_msgdense_fini(&d);
}

HERD_TEST(uniform_flush_sends_the_uniform_value)
{
    struct herd_msgdense d;
    CHECK_EQ(herd_msgdense_init(&d, HERD_COMBINE_MIN_U32, 4, 400), HERD_OK);
    struct herd_msgout o[4];
    struct lane ln[4];
    struct kept k;
    outs_init(o, ln, &k, 4);
    for (uint32_t t = 0; t < 400; t++)
        put32(&d, (t * 7) % 400, 0);
    CHECK_EQ(d.mode, HERD_MSGDENSE_UNIFORM);
    CHECK_EQ(herd_msgdense_flush(&d, bounds, o), HERD_OK);
    CHECK_EQ(records(o), 400);
    CHECK_EQ(o[2].records, 1); /* partition 2 is vertex 250 alone */
    CHECK_EQ(sent_to(o, &k, 250, 4), 0);
    CHECK_EQ(sent_to(o, &k, 123, 4), 0);
    outs_fini(o, &k);
    herd_msgdense_fini(&d);
}

HERD_TEST(sum_and_min_i64_combine_exactly)
{
    struct herd_msgdense d;
    struct herd_msgout o[4];
    struct lane ln[4];
    struct kept k;
    CHECK_EQ(herd_msgdense_init(&d, HERD_COMBINE_SUM_I64, 8, 400), HERD_OK);
    outs_init(o, ln, &k, 8);
    int64_t x = 5, big = INT64_MAX;
    herd_msgdense_put(&d, 10, &x); /* equal values still add up */
    herd_msgdense_put(&d, 10, &x);
    herd_msgdense_put(&d, 300, &big);
    herd_msgdense_put(&d, 300, &x); /* wraps like the SUM_I64 combiner */
    CHECK_EQ(herd_msgdense_flush(&d, bounds, o), HERD_OK);
    CHECK_EQ(sent_to(o, &k, 10, 8), 10);
    CHECK_EQ(sent_to(o, &k, 300, 8), (int64_t)((uint64_t)INT64_MAX + 5));
    outs_fini(o, &k);
    herd_msgdense_fini(&d);
    CHECK_EQ(herd_msgdense_init(&d, HERD_COMBINE_MIN_I64, 8, 400), HERD_OK);
    outs_init(o, ln, &k, 8);
    int64_t a = -3, b = 4;
    herd_msgdense_put(&d, 0, &b);
    herd_msgdense_put(&d, 0, &a);
    herd_msgdense_put(&d, 0, &b);
    herd_msgdense_put(&d, 64, &b);
    CHECK_EQ(herd_msgdense_flush(&d, bounds, o), HERD_OK);
    CHECK_EQ(sent_to(o, &k, 0, 8), -3);
    CHECK_EQ(sent_to(o, &k, 64, 8), 4);
    outs_fini(o, &k);
    herd_msgdense_fini(&d);
}
