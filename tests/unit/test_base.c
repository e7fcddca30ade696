#include "check.h"

#include "base/bytes.h"
#include "base/err.h"
#include "base/log.h"
#include "base/rand.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

HERD_TEST(err_names_and_wrap)
{
    struct herd_err e;
    herd_err_clear(&e);
    CHECK_STR(herd_err_name(HERD_EPARSE), "PARSE");
    CHECK_STR(herd_err_name(9999), "UNKNOWN");
    CHECK_EQ(herd_err_set(&e, HERD_EIO, "read frame: %s", "connection reset"), HERD_EIO);
    herd_err_wrap(&e, "worker %d", 7);
    CHECK_STR(e.msg, "worker 7: read frame: connection reset");
    CHECK_EQ(e.code, HERD_EIO);
}

HERD_TEST(bytes_roundtrip)
{
    struct herd_wbuf w;
    herd_wbuf_init(&w);
    herd_wbuf_u8(&w, 0xab);
    herd_wbuf_u16(&w, 0x1234);
    herd_wbuf_u32(&w, 0xdeadbeef);
    herd_wbuf_u64(&w, 0x0102030405060708ULL);
    herd_wbuf_f64(&w, 0.85);
    herd_wbuf_str(&w, "hello");
    CHECK_EQ(w.p[1], 0x12); /* big-endian */
    struct herd_rbuf r;
    herd_rbuf_init(&r, w.p, w.len);
    CHECK_EQ(herd_rbuf_u8(&r), 0xab);
    CHECK_EQ(herd_rbuf_u16(&r), 0x1234);
    CHECK_EQ(herd_rbuf_u32(&r), 0xdeadbeef);
    CHECK(herd_rbuf_u64(&r) == 0x0102030405060708ULL);
    CHECK(herd_rbuf_f64(&r) == 0.85);
    char *s = herd_rbuf_str(&r, 100);
    CHECK_STR(s, "hello");
    free(s);
    CHECK_EQ(herd_rbuf_left(&r), 0);
    CHECK(!r.bad);
    herd_rbuf_u8(&r);
    CHECK(r.bad);
    herd_wbuf_fini(&w);
}

HERD_TEST(bytes_rejects_overrun_and_nul)
{
    uint8_t evil[] = {0, 0, 0, 9, 'a', 'b'};
    struct herd_rbuf r;
    herd_rbuf_init(&r, evil, sizeof evil);
    CHECK(herd_rbuf_str(&r, 100) == NULL);
    CHECK(r.bad);
    uint8_t nul[] = {0, 0, 0, 2, 'a', 0};
    herd_rbuf_init(&r, nul, sizeof nul);
    CHECK(herd_rbuf_str(&r, 100) == NULL);
    uint8_t big[] = {0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e'};
    herd_rbuf_init(&r, big, sizeof big);
    CHECK(herd_rbuf_str(&r, 4) == NULL);
}

HERD_TEST(rand_is_deterministic)
{
    struct herd_rand a, b;
    herd_rand_seed(&a, 42);
    herd_rand_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        CHECK(herd_rand_next(&a) == herd_rand_next(&b));
    for (int i = 0; i < 1000; i++)
        CHECK(herd_rand_below(&a, 7) < 7);
}

HERD_TEST(event_lines_are_json_whatever_the_names)
{
    /* The process name (a worker id chosen by the operator) and the
     * fields may hold quotes, backslashes and control characters. */
    char path[] = "/tmp/herd-event-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    herd_log_set_process("worker \"w\\1\"\n");
    CHECK_EQ(herd_event_open(path), 0);
    herd_event("job", "7\"", "a\\b", "c\td", NULL);
    CHECK_EQ(herd_event_open(NULL), 0);
    FILE *f = fopen(path, "r");
    char line[1024];
    CHECK(fgets(line, sizeof line, f) != NULL);
    fclose(f);
    unlink(path);
    json_error_t je;
    json_t *j = json_loads(line, 0, &je);
    if (j == NULL)
        herd_test_fail(__FILE__, __LINE__, "not JSON (%s): %s", je.text, line);
    CHECK_STR(json_string_value(json_object_get(j, "proc")), "worker \"w\\1\"\n");
    CHECK_STR(json_string_value(json_object_get(j, "id")), "7\"");
    CHECK_STR(json_string_value(json_object_get(j, "from")), "a\\b");
    CHECK_STR(json_string_value(json_object_get(j, "to")), "c\td");
    json_decref(j);
}
