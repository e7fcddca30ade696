/* fuzz_ckpt — libFuzzer target for the checkpoint-file reader
 * (worker/ckpt_file.h). The input is a whole file. It is checked twice:
 * against the expectation its own header implies (so the fuzzer reaches the
 * body), and against a fixed one (partition 1 of 4, dense ids [100, 100+n),
 * 8-byte values and messages). Parsing must never crash or read out of
 * bounds; whatever it accepts is walked to the last byte it points at. */
#include "base/bytes.h"
#include "worker/ckpt_file.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile uint64_t sink;

/* Touches every byte the view claims, and re-reads every message record. */
static void walk(const struct herd_ckpt_view *v, const struct herd_ckpt_expect *x)
{
    uint64_t s = 0;
    size_t n = v->n;
    for (size_t i = 0; i < n * x->value_size; i++)
        s += v->values[i];
    for (size_t i = 0; i < n; i++)
        s += v->halted[i];
    if (x->mode == HERD_CKPT_PULL) {
        for (size_t i = 0; i < n * 9; i++)
            s += v->contrib[i];
    } else {
        struct herd_rbuf rb;
        herd_rbuf_init(&rb, v->msgs, v->msgs_len);
        uint32_t np = herd_rbuf_u32(&rb);
        for (uint32_t p = 0; p < np && !rb.bad; p++) {
            uint64_t count = herd_rbuf_u64(&rb);
            for (uint64_t i = 0; i < count && !rb.bad; i++) {
                uint32_t t = herd_rbuf_u32(&rb);
                if (t < x->lo || t >= x->hi)
                    abort();
                rb.off += x->msg_size;
            }
        }
        if (rb.bad || herd_rbuf_left(&rb) != 0)
            abort(); /* the view must be exactly the checked section */
    }
    sink = s;
}

static void try_one(const uint8_t *buf, size_t len, const struct herd_ckpt_expect *x)
{
    struct herd_ckpt_view v;
    struct herd_err e;
    if (herd_ckpt_parse(buf, len, x, &v, &e) == HERD_OK)
        walk(&v, x);
    else if (e.msg[0] == '\0')
        abort(); /* an error always says why */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1); /* exact size: ASan sees any over-read */
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    struct herd_ckpt_expect x;
    struct herd_err e;
    if (herd_ckpt_header(buf, size, &x, &e) == HERD_OK) {
        /* the partition count sits after the values when the file is long enough */
        size_t at = HERD_CKPT_HEADER + (size_t)x.hi * ((size_t)x.value_size + 1);
        x.nparts = at + 4 <= size && (uint64_t)x.hi * ((uint64_t)x.value_size + 1) < size
                       ? herd_get_u32(buf + at) : 1;
        try_one(buf, size, &x);
        x.lo = 7;
        x.hi += 7;
        try_one(buf, size, &x);
    }
    uint32_t n = size >= 36 ? herd_get_u32(buf + 32) : 3;
    struct herd_ckpt_expect f = {.part = 1, .step = 5, .value_size = 8, .msg_size = 8,
                                 .mode = size & 1, .lo = 100, .hi = 100 + (n & 0xffff),
                                 .nparts = 4};
    try_one(buf, size, &f);
    free(buf);
    return 0;
}
