#include "check.h"

#include <stdint.h>

#include "base/bytes.h"
#include "base/mem.h"
#include "base/rand.h"
#include "wire/frame.h"
#include "wire/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- builders: one message of each type with non-trivial contents ---- */

static char **strv(uint32_t n, const char *prefix)
{
    char **v = herd_xcalloc(n, sizeof *v);
    for (uint32_t i = 0; i < n; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s%u=v\xc3\xa9%u", prefix, i, i * 17); /* UTF-8 é */
        v[i] = herd_xstrdup(buf);
    }
    return v;
}

static uint8_t *bytes_of(uint32_t n, uint8_t seed)
{
    uint8_t *p = herd_xmalloc(n);
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 13); /* includes 0x00 bytes: blobs are binary */
    return p;
}

static void fill_fixed(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed ^ (i * 29));
}

static struct herd_msg make_msg(uint16_t type)
{
    struct herd_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    switch (type) {
    case HERD_MSG_CHALLENGE:
        m.u.challenge.proto = HERD_PROTO_VERSION;
        fill_fixed(m.u.challenge.nonce, HERD_NONCE_LEN, 0x5a);
        break;
    case HERD_MSG_HELLO: {
        struct herd_msg_hello *h = &m.u.hello;
        h->proto = 0xbeef;
        h->herd_version = herd_xstrdup("0.1.0-test");
        h->worker_id = herd_xstrdup("w-\xe2\x82\xac-7"); /* "w-€-7" */
        h->host = herd_xstrdup("node12.example.org");
        h->data_port = 65535;
        h->cores = 96;
        h->memory = 0xfedcba9876543210ULL;
        h->nlabels = 3;
        h->labels = strv(3, "zone");
        fill_fixed(h->nonce, HERD_NONCE_LEN, 0x11);
        fill_fixed(h->mac, HERD_MAC_LEN, 0x22);
        h->nrunning = 5;
        h->running = herd_xmalloc(5 * sizeof *h->running);
        for (int i = 0; i < 5; i++)
            h->running[i] = UINT64_MAX - (uint64_t)i * 1000003;
        h->data_host = herd_xstrdup("10.1.2.3");
        break;
    }
    case HERD_MSG_WELCOME:
        m.u.welcome.heartbeat_ms = 1000;
        m.u.welcome.lost_after = 3;
        fill_fixed(m.u.welcome.mac, HERD_MAC_LEN, 0x33);
        break;
    case HERD_MSG_REFUSE:
        m.u.refuse.code = 6;
        m.u.refuse.reason = herd_xstrdup("protocol version 2 not supported; master speaks 1");
        break;
    case HERD_MSG_HEARTBEAT:
        m.u.heartbeat.seq = 0x0123456789abcdefULL;
        m.u.heartbeat.nrunning = 2;
        m.u.heartbeat.running = herd_xmalloc(2 * sizeof(uint64_t));
        m.u.heartbeat.running[0] = 42;
        m.u.heartbeat.running[1] = 1ULL << 63;
        break;
    case HERD_MSG_ASSIGN: {
        struct herd_msg_assign *a = &m.u.assign;
        a->attempt_id = 9000000000ULL;
        a->job_id = 77;
        a->task_id = 3;
        a->kind = HERD_TASK_FUNCTION;
        a->cores = 4;
        a->memory = 3ULL << 30;
        a->timeout_ms = 60000;
        a->nargv = 4;
        a->argv = strv(4, "arg");
        a->nenv = 2;
        a->env = strv(2, "NAME");
        a->payload_len = 1000;
        a->payload = bytes_of(1000, 0);
        a->ninputs = 1;
        a->inputs = strv(1, "in");
        a->noutputs = 2;
        a->outputs = strv(2, "out");
        a->plugin = herd_xstrdup("ab01");
        break;
    }
    case HERD_MSG_RESULT: {
        struct herd_msg_result *r = &m.u.result;
        r->attempt_id = 9000000000ULL;
        r->job_id = 77;
        r->task_id = 3;
        r->status = HERD_RESULT_KILLED;
        r->exit_code = -9;
        r->stdout_len = 300;
        r->stdout_data = bytes_of(300, 1);
        r->stderr_len = 0;
        r->error = herd_xstrdup("killed on request");
        r->noutputs = 1;
        r->outputs = strv(1, "o");
        break;
    }
    case HERD_MSG_FETCH:
        m.u.fetch.sha256 = herd_xstrdup("00ff");
        m.u.fetch.offset = 1u << 20;
        break;
    case HERD_MSG_BLOB:
        m.u.blob.sha256 = herd_xstrdup("00ff");
        m.u.blob.offset = 5;
        m.u.blob.total = 77;
        m.u.blob.data_len = 72;
        m.u.blob.data = bytes_of(72, 3);
        m.u.blob.error = herd_xstrdup("");
        break;
    case HERD_MSG_STORE:
        m.u.store.sha256 = herd_xstrdup("00ee");
        m.u.store.total = 9;
        m.u.store.data_len = 9;
        m.u.store.data = bytes_of(9, 4);
        break;
    case HERD_MSG_KILL:
        m.u.kill.attempt_id = 0x0102030405060708ULL;
        break;
    case HERD_MSG_GRAPH:
        m.u.graph.job_id = 1000001;
        m.u.graph.epoch = 3;
        m.u.graph.op = 4;
        m.u.graph.body_len = 40;
        m.u.graph.body = bytes_of(40, 2);
        break;
    default:
        break;
    }
    return m;
}

static const uint16_t all_types[] = {
#define HERD_X_T(name, val, dir) HERD_MSG_##name,
    HERD_MSG_TYPES(HERD_X_T)
#undef HERD_X_T
};
#define NTYPES (int)(sizeof all_types / sizeof all_types[0])

static void encode(const struct herd_msg *m, struct herd_wbuf *w)
{
    herd_wbuf_init(w);
    herd_msg_encode(m, w);
}

/* Two messages are equal if they encode identically (the encoding is
 * canonical: one byte string per message). */
static int same(const struct herd_msg *a, const struct herd_msg *b)
{
    struct herd_wbuf x, y;
    encode(a, &x);
    encode(b, &y);
    int eq = a->type == b->type && x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);
    herd_wbuf_fini(&x);
    herd_wbuf_fini(&y);
    return eq;
}

static int decode_w(uint16_t type, const struct herd_wbuf *w, struct herd_msg *out,
                    struct herd_err *e)
{
    return herd_msg_decode(type, w->p, w->len, out, e);
}

/* ---- round trips ---- */

HERD_TEST(msg_type_names)
{
    CHECK_STR(herd_msg_type_name(HERD_MSG_CHALLENGE), "CHALLENGE");
    CHECK_STR(herd_msg_type_name(HERD_MSG_HELLO), "HELLO");
    CHECK_STR(herd_msg_type_name(HERD_MSG_DRAIN), "DRAIN");
    CHECK(herd_msg_type_name(0) == NULL);
    CHECK(herd_msg_type_name(10) == NULL);
    CHECK(herd_msg_type_name(100) == NULL);
    CHECK(herd_msg_type_name(65535) == NULL);
    for (int i = 0; i < NTYPES; i++)
        CHECK(herd_msg_type_name(all_types[i]) != NULL);
}

HERD_TEST(msg_roundtrip_hello_fields)
{
    struct herd_msg m = make_msg(HERD_MSG_HELLO), d;
    struct herd_wbuf w;
    struct herd_err e;
    encode(&m, &w);
    CHECK_EQ(decode_w(HERD_MSG_HELLO, &w, &d, &e), HERD_OK);
    const struct herd_msg_hello *h = &d.u.hello;
    CHECK_EQ(d.type, HERD_MSG_HELLO);
    CHECK_EQ(h->proto, 0xbeef);
    CHECK_STR(h->herd_version, "0.1.0-test");
    CHECK_STR(h->worker_id, "w-\xe2\x82\xac-7");
    CHECK_STR(h->host, "node12.example.org");
    CHECK_EQ(h->data_port, 65535);
    CHECK_EQ(h->cores, 96);
    CHECK(h->memory == 0xfedcba9876543210ULL);
    CHECK_EQ(h->nlabels, 3);
    CHECK_STR(h->labels[0], "zone0=v\xc3\xa9" "0");
    CHECK_STR(h->labels[2], "zone2=v\xc3\xa9" "34");
    CHECK(memcmp(h->nonce, m.u.hello.nonce, HERD_NONCE_LEN) == 0);
    CHECK(memcmp(h->mac, m.u.hello.mac, HERD_MAC_LEN) == 0);
    CHECK_EQ(h->nrunning, 5);
    for (int i = 0; i < 5; i++)
        CHECK(h->running[i] == UINT64_MAX - (uint64_t)i * 1000003);
    CHECK_STR(h->data_host, "10.1.2.3");
    herd_msg_free(&d);
    herd_msg_free(&m);
    herd_wbuf_fini(&w);
}

HERD_TEST(msg_roundtrip_assign_and_result_fields)
{
    struct herd_msg m = make_msg(HERD_MSG_ASSIGN), d;
    struct herd_wbuf w;
    struct herd_err e;
    encode(&m, &w);
    CHECK_EQ(decode_w(HERD_MSG_ASSIGN, &w, &d, &e), HERD_OK);
    const struct herd_msg_assign *a = &d.u.assign;
    CHECK(a->attempt_id == 9000000000ULL);
    CHECK_EQ(a->job_id, 77);
    CHECK_EQ(a->task_id, 3);
    CHECK_EQ(a->kind, HERD_TASK_FUNCTION);
    CHECK_EQ(a->cores, 4);
    CHECK(a->memory == 3ULL << 30);
    CHECK_EQ(a->timeout_ms, 60000);
    CHECK_EQ(a->nargv, 4);
    CHECK_STR(a->argv[3], "arg3=v\xc3\xa9" "51");
    CHECK_EQ(a->nenv, 2);
    CHECK_STR(a->env[1], "NAME1=v\xc3\xa9" "17");
    CHECK_EQ(a->payload_len, 1000);
    CHECK(memcmp(a->payload, m.u.assign.payload, 1000) == 0);
    herd_msg_free(&d);
    herd_msg_free(&m);
    herd_wbuf_fini(&w);

    m = make_msg(HERD_MSG_RESULT);
    encode(&m, &w);
    CHECK_EQ(decode_w(HERD_MSG_RESULT, &w, &d, &e), HERD_OK);
    const struct herd_msg_result *r = &d.u.result;
    CHECK_EQ(r->status, HERD_RESULT_KILLED);
    CHECK_EQ(r->exit_code, -9);
    CHECK_EQ(r->stdout_len, 300);
    CHECK(memcmp(r->stdout_data, m.u.result.stdout_data, 300) == 0);
    CHECK_EQ(r->stderr_len, 0);
    CHECK(r->stderr_data == NULL);
    CHECK_STR(r->error, "killed on request");
    herd_msg_free(&d);
    herd_msg_free(&m);
    herd_wbuf_fini(&w);
}

HERD_TEST(msg_roundtrip_every_type_and_copy)
{
    for (int i = 0; i < NTYPES; i++) {
        struct herd_msg m = make_msg(all_types[i]), d, c;
        struct herd_wbuf w;
        struct herd_err e;
        encode(&m, &w);
        CHECK_EQ(decode_w(m.type, &w, &d, &e), HERD_OK);
        CHECK(same(&m, &d));
        herd_msg_copy(&c, &d);
        herd_msg_free(&d); /* the copy must not share anything with d */
        CHECK(same(&m, &c));
        herd_msg_free(&c);
        herd_msg_free(&m);
        herd_wbuf_fini(&w);
    }
}

/* decode_view: every type decodes as with decode; blobs point into the
 * encoded body (not copied), strings are the message's own, free leaves
 * the blobs and a copy owns its own (checked under ASan in the suite). */
HERD_TEST(msg_decode_view_borrows_only_blobs)
{
    for (int i = 0; i < NTYPES; i++) {
        struct herd_msg m = make_msg(all_types[i]), d, c;
        struct herd_wbuf w;
        struct herd_err e;
        encode(&m, &w);
        CHECK_EQ(herd_msg_decode_view(m.type, w.p, w.len, &d, &e), HERD_OK);
        CHECK(same(&m, &d));
        CHECK_EQ(d.blobs_borrowed, 1);
        herd_msg_copy(&c, &d);
        CHECK_EQ(c.blobs_borrowed, 0);
        herd_msg_free(&d);
        CHECK(same(&m, &c));
        herd_msg_free(&c);
        herd_msg_free(&m);
        herd_wbuf_fini(&w);
    }
    struct herd_msg m = make_msg(HERD_MSG_RESULT), d;
    struct herd_wbuf w;
    struct herd_err e;
    encode(&m, &w);
    CHECK_EQ(herd_msg_decode_view(m.type, w.p, w.len, &d, &e), HERD_OK);
    CHECK(d.u.result.stdout_data >= w.p && d.u.result.stdout_data < w.p + w.len);
    CHECK(d.u.result.error < (char *)w.p || d.u.result.error >= (char *)w.p + w.len);
    herd_msg_free(&d);
    herd_msg_free(&m);
    herd_wbuf_fini(&w);
}

HERD_TEST(msg_exact_bytes)
{
    struct herd_msg m = make_msg(HERD_MSG_KILL);
    struct herd_wbuf w;
    herd_wbuf_init(&w);
    herd_msg_frame(&m, &w);
    const uint8_t want[] = {'H', 'E', 'R', 'D', 0, HERD_PROTO_VERSION, 0, HERD_MSG_KILL,
                            0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_EQ(w.len, sizeof want);
    CHECK(memcmp(w.p, want, sizeof want) == 0);
    herd_wbuf_fini(&w);

    m = make_msg(HERD_MSG_REFUSE);
    herd_msg_free(&m);
    m.type = HERD_MSG_REFUSE;
    m.u.refuse.code = 0x0102;
    m.u.refuse.reason = "ab";
    herd_wbuf_init(&w);
    herd_msg_encode(&m, &w);
    const uint8_t want2[] = {1, 2, 0, 0, 0, 2, 'a', 'b'};
    CHECK_EQ(w.len, sizeof want2);
    CHECK(memcmp(w.p, want2, sizeof want2) == 0);
    herd_wbuf_fini(&w);
}

HERD_TEST(msg_frame_appends_and_header_matches)
{
    struct herd_wbuf w;
    herd_wbuf_init(&w);
    herd_wbuf_bytes(&w, "xyz", 3); /* frames append after existing bytes */
    struct herd_msg m = make_msg(HERD_MSG_ASSIGN);
    herd_msg_frame(&m, &w);
    struct herd_frame_header h;
    struct herd_err e;
    CHECK_EQ(herd_frame_header_get(w.p + 3, HERD_FRAME_MAX_DEFAULT, &h, &e), HERD_OK);
    CHECK_EQ(h.type, HERD_MSG_ASSIGN);
    CHECK_EQ(h.length, w.len - 3 - HERD_FRAME_HEADER);
    struct herd_msg d;
    CHECK_EQ(herd_msg_decode(h.type, w.p + 3 + HERD_FRAME_HEADER, h.length, &d, &e), HERD_OK);
    CHECK(same(&m, &d));
    herd_msg_free(&d);
    herd_msg_free(&m);
    herd_wbuf_fini(&w);
}

HERD_TEST(msg_null_strings_encode_as_empty)
{
    struct herd_msg m, d;
    struct herd_wbuf w;
    struct herd_err e;
    memset(&m, 0, sizeof m);
    m.type = HERD_MSG_HELLO; /* all strings NULL, all arrays empty */
    encode(&m, &w);
    CHECK_EQ(decode_w(HERD_MSG_HELLO, &w, &d, &e), HERD_OK);
    CHECK_STR(d.u.hello.worker_id, "");
    CHECK(d.u.hello.labels == NULL);
    CHECK(d.u.hello.running == NULL);
    herd_msg_free(&d);
    herd_wbuf_fini(&w);
    herd_msg_free(&d); /* safe twice: free zeroes */
}

/* ---- rejections ---- */

HERD_TEST(msg_rejects_every_truncation)
{
    for (int i = 0; i < NTYPES; i++) {
        struct herd_msg m = make_msg(all_types[i]), d;
        struct herd_wbuf w;
        struct herd_err e;
        encode(&m, &w);
        /* HELLO's data_host came later and is optional: a body that ends
         * just before it is a complete HELLO from an older worker */
        size_t complete_at = m.type == HERD_MSG_HELLO ? w.len - 4 - strlen(m.u.hello.data_host)
                                                      : SIZE_MAX;
        for (size_t n = 0; n < w.len; n++) {
            memset(&d, 0x7f, sizeof d);
            if (n == complete_at) {
                CHECK_EQ(herd_msg_decode(m.type, w.p, n, &d, &e), HERD_OK);
                CHECK(d.u.hello.data_host == NULL);
                CHECK_STR(d.u.hello.worker_id, m.u.hello.worker_id);
                herd_msg_free(&d);
                continue;
            }
            CHECK_EQ(herd_msg_decode(m.type, w.p, n, &d, &e), HERD_EPARSE);
            CHECK(strncmp(e.msg, herd_msg_type_name(m.type), strlen(herd_msg_type_name(m.type))) == 0);
            CHECK_EQ(d.type, 0x7f7f); /* out untouched */
        }
        herd_msg_free(&m);
        herd_wbuf_fini(&w);
    }
}

HERD_TEST(msg_rejects_trailing_bytes)
{
    for (int i = 0; i < NTYPES; i++) {
        struct herd_msg m = make_msg(all_types[i]), d;
        struct herd_wbuf w;
        struct herd_err e;
        encode(&m, &w);
        herd_wbuf_u8(&w, 0);
        CHECK_EQ(decode_w(m.type, &w, &d, &e), HERD_EPARSE);
        CHECK(strstr(e.msg, "1 trailing bytes") != NULL);
        herd_msg_free(&m);
        herd_wbuf_fini(&w);
    }
}

HERD_TEST(msg_rejects_unknown_type)
{
    struct herd_msg d;
    struct herd_err e;
    CHECK_EQ(herd_msg_decode(77, (const uint8_t *)"", 0, &d, &e), HERD_EPARSE);
    CHECK_STR(e.msg, "unknown message type 77");
    CHECK_EQ(herd_msg_decode(0, NULL, 0, &d, &e), HERD_EPARSE);
    CHECK_EQ(herd_msg_decode(100, NULL, 0, &d, &e), HERD_EPARSE);
    CHECK_EQ(herd_msg_decode(HERD_MSG_DRAIN, NULL, 0, &d, &e), HERD_OK);
    CHECK_EQ(d.type, HERD_MSG_DRAIN);
}

/* A HELLO body up to (not including) the labels field. */
static void hello_prefix(struct herd_wbuf *w)
{
    herd_wbuf_init(w);
    herd_wbuf_u16(w, HERD_PROTO_VERSION);
    herd_wbuf_str(w, "0.1.0");
    herd_wbuf_str(w, "w1");
    herd_wbuf_str(w, "h");
    herd_wbuf_u16(w, 0);
    herd_wbuf_u32(w, 1);
    herd_wbuf_u64(w, 0);
}

HERD_TEST(msg_rejects_huge_counts_before_allocating)
{
    struct herd_wbuf w;
    struct herd_msg d;
    struct herd_err e;
    hello_prefix(&w);
    herd_wbuf_u32(&w, 5000);
    CHECK_EQ(decode_w(HERD_MSG_HELLO, &w, &d, &e), HERD_EPARSE);
    CHECK_STR(e.msg, "HELLO: labels: count 5000 over limit 4096");
    herd_wbuf_fini(&w);

    hello_prefix(&w);
    herd_wbuf_u32(&w, 4000); /* within the limit, but 4 bytes of "entries" */
    herd_wbuf_u32(&w, 0);
    CHECK_EQ(decode_w(HERD_MSG_HELLO, &w, &d, &e), HERD_EPARSE);
    CHECK_STR(e.msg, "HELLO: labels: count 4000 needs 16000 bytes, 4 left");
    herd_wbuf_fini(&w);

    /* 4 billion running ids in a 20-byte heartbeat */
    herd_wbuf_init(&w);
    herd_wbuf_u64(&w, 1);
    herd_wbuf_u32(&w, 0xffffffffu);
    herd_wbuf_u64(&w, 5);
    CHECK_EQ(decode_w(HERD_MSG_HEARTBEAT, &w, &d, &e), HERD_EPARSE);
    CHECK(strstr(e.msg, "HEARTBEAT: running: count 4294967295 over limit") != NULL);
    herd_wbuf_fini(&w);

    /* 999,999 ids (within the limit) claimed, one present */
    herd_wbuf_init(&w);
    herd_wbuf_u64(&w, 1);
    herd_wbuf_u32(&w, 999999);
    herd_wbuf_u64(&w, 5);
    CHECK_EQ(decode_w(HERD_MSG_HEARTBEAT, &w, &d, &e), HERD_EPARSE);
    CHECK_STR(e.msg, "HEARTBEAT: running: count 999999 needs 7999992 bytes, 8 left");
    herd_wbuf_fini(&w);

    /* a blob claiming 4 GiB */
    herd_wbuf_init(&w);
    herd_wbuf_u64(&w, 1);
    herd_wbuf_u64(&w, 1);
    herd_wbuf_u64(&w, 1);
    herd_wbuf_u8(&w, 0);
    herd_wbuf_u32(&w, 0);
    herd_wbuf_u32(&w, 0xfffffff0u);
    CHECK_EQ(decode_w(HERD_MSG_RESULT, &w, &d, &e), HERD_EPARSE);
    CHECK(strstr(e.msg, "RESULT: stdout_data: length 4294967280 over limit") != NULL);
    herd_wbuf_fini(&w);
}

HERD_TEST(msg_rejects_long_strings_and_nul)
{
    struct herd_wbuf w;
    struct herd_msg d;
    struct herd_err e;
    char big[HERD_MSG_MAX_STR + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    herd_wbuf_init(&w);
    herd_wbuf_u16(&w, 1);
    herd_wbuf_str(&w, "0.1.0");
    herd_wbuf_str(&w, big); /* worker_id of 4097 bytes */
    CHECK_EQ(decode_w(HERD_MSG_HELLO, &w, &d, &e), HERD_EPARSE);
    CHECK_STR(e.msg, "HELLO: worker_id: length 4097 over limit 4096");
    herd_wbuf_fini(&w);

    herd_wbuf_init(&w);
    herd_wbuf_u16(&w, 1);
    herd_wbuf_str(&w, "0.1.0");
    herd_wbuf_blob(&w, "w\0rker", 6);
    CHECK_EQ(decode_w(HERD_MSG_HELLO, &w, &d, &e), HERD_EPARSE);
    CHECK_STR(e.msg, "HELLO: worker_id: embedded NUL byte at offset 1");
    herd_wbuf_fini(&w);

    /* a NUL inside the third argv entry */
    struct herd_msg m = make_msg(HERD_MSG_ASSIGN);
    encode(&m, &w);
    uint8_t *third = memmem(w.p, w.len, "arg2=", 5);
    CHECK(third != NULL);
    third[3] = 0;
    CHECK_EQ(decode_w(HERD_MSG_ASSIGN, &w, &d, &e), HERD_EPARSE);
    CHECK_STR(e.msg, "ASSIGN: argv[2]: embedded NUL byte at offset 3");
    herd_msg_free(&m);
    herd_wbuf_fini(&w);
}

HERD_TEST(msg_rejects_enums_out_of_range)
{
    struct herd_msg m = make_msg(HERD_MSG_ASSIGN), d;
    struct herd_wbuf w;
    struct herd_err e;
    m.u.assign.kind = 7;
    encode(&m, &w);
    CHECK_EQ(decode_w(HERD_MSG_ASSIGN, &w, &d, &e), HERD_EPARSE);
    CHECK_STR(e.msg, "ASSIGN: kind: value 7 outside 1..2");
    herd_wbuf_fini(&w);
    m.u.assign.kind = 0;
    encode(&m, &w);
    CHECK_EQ(decode_w(HERD_MSG_ASSIGN, &w, &d, &e), HERD_EPARSE);
    herd_wbuf_fini(&w);
    herd_msg_free(&m);

    m = make_msg(HERD_MSG_RESULT);
    m.u.result.status = HERD_RESULT_ERROR + 1;
    encode(&m, &w);
    CHECK_EQ(decode_w(HERD_MSG_RESULT, &w, &d, &e), HERD_EPARSE);
    CHECK_STR(e.msg, "RESULT: status: value 5 outside 0..4");
    herd_wbuf_fini(&w);
    herd_msg_free(&m);
}

HERD_TEST(msg_validate)
{
    struct herd_err e;
    struct herd_msg m = make_msg(HERD_MSG_ASSIGN);
    CHECK_EQ(herd_msg_validate(&m, &e), HERD_OK);
    free(m.u.assign.argv[1]);
    m.u.assign.argv[1] = herd_xmalloc(HERD_MSG_MAX_ARG + 2);
    memset(m.u.assign.argv[1], 'x', HERD_MSG_MAX_ARG + 1);
    m.u.assign.argv[1][HERD_MSG_MAX_ARG + 1] = '\0';
    CHECK_EQ(herd_msg_validate(&m, &e), HERD_EPARSE);
    CHECK(strstr(e.msg, "ASSIGN: argv[1]: length 131073 over limit 131072") != NULL);
    m.u.assign.argv[1][HERD_MSG_MAX_ARG] = '\0'; /* exactly at the limit is fine */
    CHECK_EQ(herd_msg_validate(&m, &e), HERD_OK);
    herd_msg_free(&m);

    /* two blobs at their limits do not fit one default frame */
    m = make_msg(HERD_MSG_RESULT);
    free(m.u.result.stdout_data);
    m.u.result.stdout_len = HERD_MSG_MAX_BLOB;
    m.u.result.stdout_data = herd_xcalloc(HERD_MSG_MAX_BLOB, 1);
    m.u.result.stderr_len = HERD_MSG_MAX_BLOB;
    m.u.result.stderr_data = herd_xcalloc(HERD_MSG_MAX_BLOB, 1);
    CHECK_EQ(herd_msg_validate(&m, &e), HERD_ETOOBIG);
    m.u.result.stderr_len = 1000;
    CHECK_EQ(herd_msg_validate(&m, &e), HERD_OK);
    m.u.result.stderr_len = HERD_MSG_MAX_BLOB;
    herd_msg_free(&m);

    m.type = 99;
    CHECK_EQ(herd_msg_validate(&m, &e), HERD_EPARSE);
}

/* ---- garbage never crashes ---- */

static void check_decode_total(uint16_t type, const uint8_t *p, size_t n)
{
    struct herd_msg d;
    struct herd_err e;
    int rc = herd_msg_decode(type, p, n, &d, &e);
    CHECK(rc == HERD_OK || rc == HERD_EPARSE);
    if (rc != HERD_OK) {
        CHECK(e.msg[0] != '\0');
        return;
    }
    /* anything accepted re-encodes to exactly the same bytes */
    struct herd_wbuf w;
    encode(&d, &w);
    CHECK_EQ(w.len, n);
    CHECK(n == 0 || memcmp(w.p, p, n) == 0);
    herd_wbuf_fini(&w);
    herd_msg_free(&d);
}

HERD_TEST(msg_random_garbage_never_crashes)
{
    struct herd_rand r;
    herd_rand_seed(&r, 20261128);
    uint8_t buf[512];
    int accepted = 0;
    for (int it = 0; it < 200000; it++) {
        uint16_t type = (uint16_t)herd_rand_below(&r, 12);
        size_t n = (size_t)herd_rand_below(&r, sizeof buf);
        /* small numbers make plausible counts and lengths */
        for (size_t i = 0; i < n; i++)
            buf[i] = herd_rand_below(&r, 3) ? (uint8_t)herd_rand_below(&r, 3)
                                              : (uint8_t)herd_rand_next(&r);
        struct herd_msg d;
        struct herd_err e;
        if (herd_msg_decode(type, buf, n, &d, &e) == HERD_OK)
            accepted++, herd_msg_free(&d);
        check_decode_total(type, buf, n);
    }
    CHECK_INT(accepted, >, 0); /* the generator does reach valid messages */
}

HERD_TEST(msg_mutated_valid_messages_never_crash)
{
    struct herd_rand r;
    herd_rand_seed(&r, 77);
    for (int it = 0; it < 20000; it++) {
        struct herd_msg m = make_msg(all_types[it % NTYPES]);
        struct herd_wbuf w;
        encode(&m, &w);
        int flips = 1 + (int)herd_rand_below(&r, 4);
        for (int k = 0; k < flips && w.len > 0; k++)
            w.p[herd_rand_below(&r, w.len)] ^= (uint8_t)(1u << herd_rand_below(&r, 8));
        size_t n = herd_rand_below(&r, 4) == 0 ? (size_t)herd_rand_below(&r, w.len + 1) : w.len;
        check_decode_total(m.type, w.p, n);
        herd_msg_free(&m);
        herd_wbuf_fini(&w);
    }
}
