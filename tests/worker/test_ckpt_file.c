/* test_ckpt_file — the checkpoint reader (worker/ckpt_file.h) accepts a
 * well-formed file and refuses corrupt ones with an error naming the field. */
#include "check.h"

#include "base/bytes.h"
#include "worker/ckpt_file.h"

#include <string.h>

/* A message-path file for partition 1 of 3 (dense ids [10, 13)), superstep
 * 5, 8-byte values and 4-byte messages: two messages from sender 0, one
 * from sender 2. */
static void build_msgs(struct herd_wbuf *w)
{
    herd_wbuf_init(w);
    uint32_t hdr[] = {HERD_CKPT_MAGIC, HERD_CKPT_VERSION, 1};
    for (int i = 0; i < 3; i++)
        herd_wbuf_u32(w, hdr[i]);
    herd_wbuf_u64(w, 5);
    herd_wbuf_u32(w, 8);
    herd_wbuf_u32(w, 4);
    herd_wbuf_u32(w, HERD_CKPT_MESSAGES);
    herd_wbuf_u32(w, 3);
    for (int v = 0; v < 3; v++)
        herd_wbuf_u64(w, 1000 + (uint64_t)v);
    uint8_t halted[3] = {0, 1, 0};
    herd_wbuf_bytes(w, halted, 3);
    herd_wbuf_u32(w, 3);
    herd_wbuf_u64(w, 2);
    herd_wbuf_u32(w, 10);
    herd_wbuf_u32(w, 77);
    herd_wbuf_u32(w, 12);
    herd_wbuf_u32(w, 78);
    herd_wbuf_u64(w, 0);
    herd_wbuf_u64(w, 1);
    herd_wbuf_u32(w, 11);
    herd_wbuf_u32(w, 79);
}

static const struct herd_ckpt_expect want = {.part = 1, .step = 5, .value_size = 8,
                                             .msg_size = 4, .mode = HERD_CKPT_MESSAGES,
                                             .lo = 10, .hi = 13, .nparts = 3};

/* Parses buf against `want`; returns the error text ("" when accepted). */
static const char *parse(const uint8_t *buf, size_t len, struct herd_ckpt_view *v)
{
    static struct herd_err e;
    herd_err_clear(&e);
    if (herd_ckpt_parse(buf, len, &want, v, &e) == HERD_OK)
        return "";
    CHECK(e.code == HERD_EPARSE);
    return e.msg;
}

HERD_TEST(ckpt_good_file_is_read)
{
    struct herd_wbuf w;
    build_msgs(&w);
    struct herd_ckpt_view v;
    CHECK_STR(parse(w.p, w.len, &v), "");
    CHECK_EQ(v.n, 3);
    CHECK_EQ(herd_get_u64(v.values + 16), 1002);
    CHECK_EQ(v.halted[1], 1);
    CHECK_EQ(v.msgs_len, 4 + 8 + 16 + 8 + 8 + 8);
    CHECK_EQ(herd_get_u32(v.msgs + 12), 10);
    herd_wbuf_fini(&w);
}

/* Byte offsets into build_msgs()'s file. */
enum { OFF_MAGIC = 0, OFF_VERSION = 4, OFF_PART = 8, OFF_STEP = 12, OFF_VS = 20, OFF_MS = 24,
       OFF_MODE = 28, OFF_N = 32, OFF_HALTED = 36 + 24, OFF_NPARTS = OFF_HALTED + 3,
       OFF_COUNT0 = OFF_NPARTS + 4, OFF_TARGET0 = OFF_COUNT0 + 8 };

static const char *corrupt32(size_t off, uint32_t val)
{
    struct herd_wbuf w;
    build_msgs(&w);
    herd_put_u32(w.p + off, val);
    struct herd_ckpt_view v;
    const char *msg = parse(w.p, w.len, &v);
    herd_wbuf_fini(&w);
    return msg;
}

HERD_TEST(ckpt_bad_header_fields_are_named)
{
    CHECK(strstr(corrupt32(OFF_MAGIC, 0x12345678), "bad magic"));
    CHECK(strstr(corrupt32(OFF_VERSION, 1), "version 1, want 2"));
    CHECK(strstr(corrupt32(OFF_PART, 2), "holds partition 2, want 1"));
    CHECK(strstr(corrupt32(OFF_STEP + 4, 6), "superstep 6, want 5"));
    CHECK(strstr(corrupt32(OFF_VS, 16), "value/message size 16/4"));
    CHECK(strstr(corrupt32(OFF_MS, 8), "value/message size 8/8"));
    CHECK(strstr(corrupt32(OFF_MODE, 1), "mode 1, want 0"));
    CHECK(strstr(corrupt32(OFF_N, 4), "holds 4 vertices, want 3"));
}

HERD_TEST(ckpt_bad_body_is_refused)
{
    CHECK(strstr(corrupt32(OFF_NPARTS, 2), "2 sender partitions, want 3"));
    CHECK(strstr(corrupt32(OFF_COUNT0 + 4, 1000000), "past the end"));
    CHECK(strstr(corrupt32(OFF_COUNT0, 0xffffffffu), "past the end"));
    CHECK(strstr(corrupt32(OFF_TARGET0, 13), "vertex 13 outside [10, 13)"));
    CHECK(strstr(corrupt32(OFF_TARGET0, 9), "vertex 9 outside"));
    struct herd_wbuf w;
    build_msgs(&w);
    w.p[OFF_HALTED] = 2;
    struct herd_ckpt_view v;
    CHECK(strstr(parse(w.p, w.len, &v), "halted flag"));
    herd_wbuf_fini(&w);
}

HERD_TEST(ckpt_every_truncation_and_extension_is_refused)
{
    struct herd_wbuf w;
    build_msgs(&w);
    struct herd_ckpt_view v;
    for (size_t len = 0; len < w.len; len++)
        CHECK(parse(w.p, len, &v)[0] != '\0');
    herd_wbuf_u8(&w, 0);
    CHECK(strstr(parse(w.p, w.len, &v), "1 trailing bytes"));
    herd_wbuf_fini(&w);
}

HERD_TEST(ckpt_pull_file_checks_contributions)
{
    struct herd_wbuf w;
    herd_wbuf_init(&w);
    herd_wbuf_u32(&w, HERD_CKPT_MAGIC);
    herd_wbuf_u32(&w, HERD_CKPT_VERSION);
    herd_wbuf_u32(&w, 0);
    herd_wbuf_u64(&w, 3);
    herd_wbuf_u32(&w, 8);
    herd_wbuf_u32(&w, 8);
    herd_wbuf_u32(&w, HERD_CKPT_PULL);
    herd_wbuf_u32(&w, 2);
    herd_wbuf_u64(&w, 1);
    herd_wbuf_u64(&w, 2);
    uint8_t flags[2] = {0, 0};
    herd_wbuf_bytes(&w, flags, 2);
    herd_wbuf_u64(&w, 42);
    herd_wbuf_u64(&w, 43);
    uint8_t em[2] = {1, 0};
    herd_wbuf_bytes(&w, em, 2);
    struct herd_ckpt_expect x = {.part = 0, .step = 3, .value_size = 8, .msg_size = 8,
                                 .mode = HERD_CKPT_PULL, .lo = 0, .hi = 2, .nparts = 5};
    struct herd_ckpt_view v;
    struct herd_err e;
    CHECK_EQ(herd_ckpt_parse(w.p, w.len, &x, &v, &e), HERD_OK);
    CHECK_EQ(herd_get_u64(v.contrib + 8), 43);
    CHECK_EQ(v.emitted[0], 1);
    w.p[w.len - 1] = 7;
    CHECK_EQ(herd_ckpt_parse(w.p, w.len, &x, &v, &e), HERD_EPARSE);
    CHECK(strstr(e.msg, "emitted flag"));
    CHECK_EQ(herd_ckpt_parse(w.p, w.len - 1, &x, &v, &e), HERD_EPARSE);
    CHECK(strstr(e.msg, "17 bytes of contributions, want 18"));
    herd_wbuf_fini(&w);
}
