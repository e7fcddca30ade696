#include "check.h"

#include "base/bytes.h"
#include "base/rand.h"
#include "wire/frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A stream of frames with known types and bodies, and a sink recording what
 * the reader delivered. */
#define NFRAMES 40

struct stream {
    struct herd_wbuf w;
    uint16_t types[NFRAMES];
    uint32_t lens[NFRAMES];
    uint8_t seeds[NFRAMES];
};

struct sink {
    int n;
    int stop_after;  /* 0 = never stop */
    int bad;         /* a body or type did not match */
    const struct stream *want;
};

static uint8_t body_byte(uint8_t seed, uint32_t i)
{
    return (uint8_t)(seed * 31u + i * 7u + (i >> 8));
}

static void stream_build(struct stream *s, uint64_t seed)
{
    struct herd_rand r;
    herd_rand_seed(&r, seed);
    herd_wbuf_init(&s->w);
    for (int k = 0; k < NFRAMES; k++) {
        /* mostly small, some empty, a few large enough to span many chunks */
        uint32_t len = (uint32_t)herd_rand_below(&r, 5) == 0 ? 0 : (uint32_t)herd_rand_below(&r, 300);
        if (k % 13 == 5)
            len = 70000 + (uint32_t)herd_rand_below(&r, 1000);
        s->types[k] = (uint16_t)(1 + herd_rand_below(&r, 200));
        s->lens[k] = len;
        s->seeds[k] = (uint8_t)herd_rand_next(&r);
        uint8_t hdr[HERD_FRAME_HEADER];
        herd_frame_header_put(hdr, s->types[k], len);
        herd_wbuf_bytes(&s->w, hdr, sizeof hdr);
        for (uint32_t i = 0; i < len; i++)
            herd_wbuf_u8(&s->w, body_byte(s->seeds[k], i));
    }
}

static int on_frame(void *arg, const struct herd_frame_header *h, const uint8_t *body)
{
    struct sink *k = arg;
    const struct stream *s = k->want;
    if (k->n >= NFRAMES || body == NULL || h->type != s->types[k->n] ||
        h->length != s->lens[k->n] || h->magic != HERD_FRAME_MAGIC ||
        h->version != HERD_PROTO_VERSION)
        k->bad = 1;
    else
        for (uint32_t i = 0; i < h->length; i++)
            if (body[i] != body_byte(s->seeds[k->n], i))
                k->bad = 1;
    k->n++;
    return k->stop_after && k->n == k->stop_after;
}

/* Feeds the stream in chunks of random size up to maxchunk; checks every
 * frame. With `in_place`, bytes go straight into the reader's body
 * wherever it offers room (as conn.c reads), else through feed. */
static void feed_chunks(const struct stream *s, struct herd_rand *r, size_t maxchunk,
                        int in_place)
{
    struct herd_frame_reader rd;
    struct sink k = {.want = s};
    struct herd_err e;
    herd_frame_reader_init(&rd, HERD_FRAME_MAX_DEFAULT);
    size_t off = 0, placed = 0;
    while (off < s->w.len) {
        size_t n = maxchunk == 1 ? 1 : 1 + (size_t)herd_rand_below(r, maxchunk);
        if (n > s->w.len - off)
            n = s->w.len - off;
        uint8_t *p = NULL;
        size_t room = in_place ? herd_frame_reader_room(&rd, 64, &p, &e) : 0;
        if (room > 0) {
            CHECK(room <= rd.h.length - rd.body_have); /* never past the frame */
            n = n < room ? n : room;
            memcpy(p, s->w.p + off, n);
            CHECK_EQ(herd_frame_reader_commit(&rd, n, on_frame, &k, &e), HERD_OK);
            placed += n;
        } else {
            CHECK_EQ(herd_frame_reader_feed(&rd, s->w.p + off, n, on_frame, &k, &e), HERD_OK);
        }
        off += n;
    }
    CHECK_EQ(k.bad, 0);
    CHECK_EQ(k.n, NFRAMES);
    CHECK(!in_place || maxchunk > 4096 || placed > 0); /* big chunks may hold whole frames */
    /* no partial frame; at most one bounded buffer kept for the next one */
    CHECK(rd.body == NULL || rd.body_cap <= HERD_FRAME_KEEP_MAX);
    CHECK_EQ(rd.body_have, 0);
    CHECK_EQ(rd.hdr_have, 0);
    herd_frame_reader_fini(&rd);
    CHECK(rd.body == NULL);
}

static void feed_in_chunks(const struct stream *s, struct herd_rand *r, size_t maxchunk)
{
    feed_chunks(s, r, maxchunk, 0);
}

HERD_TEST(frame_header_layout_and_roundtrip)
{
    uint8_t b[HERD_FRAME_HEADER];
    herd_frame_header_put(b, 0x0107, 0x00a1b2c3);
    const uint8_t want[HERD_FRAME_HEADER] = {'H', 'E', 'R', 'D', 0, HERD_PROTO_VERSION,
                                             0x01, 0x07, 0x00, 0xa1, 0xb2, 0xc3};
    CHECK(memcmp(b, want, sizeof want) == 0);
    struct herd_frame_header h;
    struct herd_err e;
    CHECK_EQ(herd_frame_header_get(b, 0x00a1b2c3, &h, &e), HERD_OK);
    CHECK(h.magic == HERD_FRAME_MAGIC);
    CHECK_EQ(h.version, HERD_PROTO_VERSION);
    CHECK_EQ(h.type, 0x0107);
    CHECK_EQ(h.length, 0x00a1b2c3);
}

HERD_TEST(frame_header_rejections)
{
    uint8_t b[HERD_FRAME_HEADER];
    struct herd_frame_header h = {0};
    struct herd_err e;
    herd_frame_header_put(b, 2, 100);
    b[0] = 'X';
    CHECK_EQ(herd_frame_header_get(b, 1000, &h, &e), HERD_EPROTO);
    CHECK(strstr(e.msg, "magic") != NULL);
    CHECK_EQ(h.type, 0); /* out-param untouched on failure */

    herd_frame_header_put(b, 2, 100);
    herd_put_u16(b + 4, HERD_PROTO_VERSION + 1);
    CHECK_EQ(herd_frame_header_get(b, 1000, &h, &e), HERD_EVERSION);
    char want[64];
    snprintf(want, sizeof want, "version %d, this side %d", HERD_PROTO_VERSION + 1,
             HERD_PROTO_VERSION);
    CHECK(strstr(e.msg, want) != NULL);

    herd_frame_header_put(b, 2, 1001);
    CHECK_EQ(herd_frame_header_get(b, 1000, &h, &e), HERD_ETOOBIG);
    CHECK(strstr(e.msg, "1001") != NULL);
    herd_frame_header_put(b, 2, 1000);
    CHECK_EQ(herd_frame_header_get(b, 1000, &h, &e), HERD_OK); /* limit inclusive */
}

HERD_TEST(frame_reader_whole_stream_at_once)
{
    struct stream s;
    struct herd_rand r;
    stream_build(&s, 1);
    herd_rand_seed(&r, 1);
    feed_in_chunks(&s, &r, s.w.len); /* one or a few big chunks */
    struct herd_frame_reader rd;
    struct sink k = {.want = &s};
    struct herd_err e;
    herd_frame_reader_init(&rd, HERD_FRAME_MAX_DEFAULT);
    CHECK_EQ(herd_frame_reader_feed(&rd, s.w.p, s.w.len, on_frame, &k, &e), HERD_OK);
    CHECK_EQ(k.n, NFRAMES);
    CHECK_EQ(k.bad, 0);
    herd_frame_reader_fini(&rd);
    herd_wbuf_fini(&s.w);
}

HERD_TEST(frame_reader_byte_by_byte)
{
    struct stream s;
    struct herd_rand r;
    stream_build(&s, 2);
    herd_rand_seed(&r, 2);
    feed_in_chunks(&s, &r, 1);
    herd_wbuf_fini(&s.w);
}

HERD_TEST(frame_reader_random_splits)
{
    for (uint64_t seed = 10; seed < 60; seed++) {
        struct stream s;
        struct herd_rand r;
        stream_build(&s, seed);
        herd_rand_seed(&r, seed * 7919);
        /* chunk sizes around the header size and around the frame sizes */
        feed_in_chunks(&s, &r, seed % 3 == 0 ? 13 : seed % 3 == 1 ? 400 : 90000);
        herd_wbuf_fini(&s.w);
    }
}

HERD_TEST(frame_reader_stop_from_callback)
{
    struct stream s;
    stream_build(&s, 3);
    struct herd_frame_reader rd;
    struct sink k = {.want = &s, .stop_after = 3};
    struct herd_err e;
    herd_frame_reader_init(&rd, HERD_FRAME_MAX_DEFAULT);
    CHECK_EQ(herd_frame_reader_feed(&rd, s.w.p, s.w.len, on_frame, &k, &e), HERD_ECLOSED);
    CHECK_EQ(k.n, 3); /* nothing delivered after the stop */
    CHECK_EQ(k.bad, 0);
    herd_frame_reader_fini(&rd);
    herd_wbuf_fini(&s.w);
}

static int count_frames(void *arg, const struct herd_frame_header *h, const uint8_t *body)
{
    (void)h;
    (void)body;
    ++*(int *)arg;
    return 0;
}

HERD_TEST(frame_reader_bad_magic_fails_for_good)
{
    uint8_t b[2 * HERD_FRAME_HEADER + 4];
    herd_frame_header_put(b, 5, 4);
    memcpy(b + HERD_FRAME_HEADER, "abcd", 4);
    herd_frame_header_put(b + HERD_FRAME_HEADER + 4, 5, 0);
    b[HERD_FRAME_HEADER + 4] ^= 0x20; /* second frame: "hERD" */
    struct herd_frame_reader rd;
    struct herd_err e;
    int n = 0;
    herd_frame_reader_init(&rd, 1024);
    CHECK_EQ(herd_frame_reader_feed(&rd, b, sizeof b, count_frames, &n, &e), HERD_EPROTO);
    CHECK_EQ(n, 1); /* the good frame before the garbage was delivered */
    CHECK(rd.failed);
    /* a failed reader refuses even a valid frame */
    herd_frame_header_put(b, 5, 0);
    CHECK_EQ(herd_frame_reader_feed(&rd, b, HERD_FRAME_HEADER, count_frames, &n, &e),
             HERD_EPROTO);
    CHECK_EQ(n, 1);
    herd_frame_reader_fini(&rd);
}

HERD_TEST(frame_reader_wrong_version_and_oversize)
{
    uint8_t b[HERD_FRAME_HEADER];
    struct herd_frame_reader rd;
    struct herd_err e;
    int n = 0;
    herd_frame_header_put(b, 2, 10);
    herd_put_u16(b + 4, 9);
    herd_frame_reader_init(&rd, 1024);
    /* split header: the error appears once the 12th byte arrives */
    CHECK_EQ(herd_frame_reader_feed(&rd, b, 11, count_frames, &n, &e), HERD_OK);
    CHECK_EQ(herd_frame_reader_feed(&rd, b + 11, 1, count_frames, &n, &e), HERD_EVERSION);
    herd_frame_reader_fini(&rd);

    /* a header claiming 1 GiB against a 1 KiB limit: refused, nothing allocated */
    herd_frame_header_put(b, 2, 1u << 30);
    herd_frame_reader_init(&rd, 1024);
    CHECK_EQ(herd_frame_reader_feed(&rd, b, sizeof b, count_frames, &n, &e), HERD_ETOOBIG);
    CHECK(rd.body == NULL);
    CHECK_EQ(n, 0);
    herd_frame_reader_fini(&rd);
}

HERD_TEST(frame_reader_truncated_body_waits)
{
    uint8_t b[HERD_FRAME_HEADER + 100];
    struct herd_frame_reader rd;
    struct herd_err e;
    int n = 0;
    herd_frame_header_put(b, 7, 100);
    memset(b + HERD_FRAME_HEADER, 'x', 100);
    herd_frame_reader_init(&rd, 1024);
    CHECK_EQ(herd_frame_reader_feed(&rd, b, sizeof b - 1, count_frames, &n, &e), HERD_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(rd.body_have, 99);
    /* the connection closes here: fini releases the partial body (ASan checks) */
    herd_frame_reader_fini(&rd);
    herd_frame_reader_init(&rd, 1024);
    CHECK_EQ(herd_frame_reader_feed(&rd, b, sizeof b - 1, count_frames, &n, &e), HERD_OK);
    CHECK_EQ(herd_frame_reader_feed(&rd, b + sizeof b - 1, 1, count_frames, &n, &e), HERD_OK);
    CHECK_EQ(n, 1);
    herd_frame_reader_fini(&rd);
}

HERD_TEST(frame_reader_trailing_garbage_short_and_long)
{
    uint8_t b[HERD_FRAME_HEADER + 20];
    struct herd_frame_reader rd;
    struct herd_err e;
    int n = 0;
    herd_frame_header_put(b, 3, 0);
    memset(b + HERD_FRAME_HEADER, 0xee, 20);
    herd_frame_reader_init(&rd, 1024);
    /* 5 garbage bytes: not yet a header, so no verdict */
    CHECK_EQ(herd_frame_reader_feed(&rd, b, HERD_FRAME_HEADER + 5, count_frames, &n, &e), HERD_OK);
    CHECK_EQ(n, 1);
    CHECK_EQ(herd_frame_reader_feed(&rd, b + HERD_FRAME_HEADER + 5, 15, count_frames, &n, &e),
             HERD_EPROTO);
    CHECK_EQ(n, 1);
    herd_frame_reader_fini(&rd);
}

struct big_sink {
    int n;
    uint32_t len;
    int bad;
};

static int on_big(void *arg, const struct herd_frame_header *h, const uint8_t *body)
{
    struct big_sink *k = arg;
    k->n++;
    k->len = h->length;
    for (uint32_t i = 0; i < h->length; i++)
        if (body[i] != (uint8_t)(i * 7 + (i >> 16)))
            k->bad = 1;
    return 0;
}

HERD_TEST(frame_reader_memory_grows_with_received_bytes)
{
    const uint32_t len = 10u << 20;
    uint8_t *f = malloc(HERD_FRAME_HEADER + (size_t)len);
    CHECK(f != NULL);
    herd_frame_header_put(f, 200, len);
    for (uint32_t i = 0; i < len; i++)
        f[HERD_FRAME_HEADER + i] = (uint8_t)(i * 7 + (i >> 16));
    struct herd_frame_reader rd;
    struct herd_err e;
    struct big_sink k = {0};
    herd_frame_reader_init(&rd, HERD_FRAME_MAX_DEFAULT);
    /* a header claiming 10 MiB plus 100 bytes: only a few KiB are held */
    CHECK_EQ(herd_frame_reader_feed(&rd, f, HERD_FRAME_HEADER + 100, on_big, &k, &e), HERD_OK);
    CHECK_INT(rd.body_cap, <=, 4096);
    size_t off = HERD_FRAME_HEADER + 100;
    CHECK_EQ(herd_frame_reader_feed(&rd, f + off, 1u << 20, on_big, &k, &e), HERD_OK);
    off += 1u << 20;
    CHECK_INT(rd.body_cap, <=, 2 * (rd.body_have + 4096)); /* at most twice what arrived */
    CHECK_INT(rd.body_cap, >=, rd.body_have);
    while (off < HERD_FRAME_HEADER + (size_t)len) {
        size_t n = HERD_FRAME_HEADER + (size_t)len - off < 65536 ? HERD_FRAME_HEADER + len - off
                                                                  : 65536;
        CHECK_EQ(herd_frame_reader_feed(&rd, f + off, n, on_big, &k, &e), HERD_OK);
        CHECK_INT(rd.body_cap, <=, len); /* never more than the frame's length */
        off += n;
    }
    CHECK_EQ(k.n, 1);
    CHECK_EQ(k.len, len);
    CHECK_EQ(k.bad, 0);
    CHECK(rd.body == NULL);
    CHECK_EQ(rd.body_cap, 0);
    herd_frame_reader_fini(&rd);
    free(f);
}

HERD_TEST(frame_reader_in_place_random_splits)
{
    for (uint64_t seed = 1; seed <= 30; seed++) {
        struct stream s;
        struct herd_rand r;
        stream_build(&s, seed);
        herd_rand_seed(&r, seed * 7);
        feed_chunks(&s, &r, seed % 3 == 0 ? 13 : seed % 3 == 1 ? 400 : 90000, 1);
        herd_wbuf_fini(&s.w);
    }
}

/* `count` frames of `len` bytes (type 9, byte i = i) fed in `piece`-byte
 * reads; returns how many frames were delivered. */
static int feed_split(struct herd_frame_reader *rd, uint32_t len, int count, size_t piece,
                      uint8_t **first)
{
    struct herd_wbuf w;
    struct herd_err e;
    int n = 0;
    herd_wbuf_init(&w);
    for (int f = 0; f < count; f++) {
        uint8_t hdr[HERD_FRAME_HEADER];
        herd_frame_header_put(hdr, 9, len);
        herd_wbuf_bytes(&w, hdr, sizeof hdr);
        for (uint32_t i = 0; i < len; i++)
            herd_wbuf_u8(&w, (uint8_t)i);
    }
    for (size_t off = 0; off < w.len; off += piece) {
        size_t c = w.len - off < piece ? w.len - off : piece;
        CHECK_EQ(herd_frame_reader_feed(rd, w.p + off, c, count_frames, &n, &e), HERD_OK);
        if (first && n == 1 && *first == NULL)
            *first = rd->body;
    }
    herd_wbuf_fini(&w);
    return n;
}

HERD_TEST(frame_reader_keeps_one_bounded_buffer)
{
    struct herd_frame_reader rd;
    struct herd_err e;
    herd_frame_reader_init(&rd, HERD_FRAME_MAX_DEFAULT);
    /* split frames of 1 MiB: one buffer, kept and reused */
    uint8_t *first = NULL;
    CHECK_EQ(feed_split(&rd, 1u << 20, 3, 4096, &first), 3);
    CHECK(first != NULL);
    CHECK(rd.body == first); /* the later frames reused it */
    CHECK(rd.body_cap <= HERD_FRAME_KEEP_MAX);
    /* HERD_FRAME_KEEP_IDLE small whole frames later it is gone */
    uint8_t small[HERD_FRAME_HEADER + 3] = {0};
    herd_frame_header_put(small, 4, 3);
    int n = 0;
    for (int i = 0; i < HERD_FRAME_KEEP_IDLE - 1; i++)
        CHECK_EQ(herd_frame_reader_feed(&rd, small, sizeof small, count_frames, &n, &e), HERD_OK);
    CHECK(rd.body == first);
    CHECK_EQ(herd_frame_reader_feed(&rd, small, sizeof small, count_frames, &n, &e), HERD_OK);
    CHECK(rd.body == NULL);
    CHECK_EQ(n, HERD_FRAME_KEEP_IDLE);
    /* a split frame over the bound is not kept */
    CHECK_EQ(feed_split(&rd, 3u << 20, 1, 65536, NULL), 1);
    CHECK(rd.body == NULL);
    herd_frame_reader_fini(&rd);
}

HERD_TEST(frame_reader_room_grows_with_what_arrived)
{
    struct herd_frame_reader rd;
    struct herd_err e;
    int n = 0;
    herd_frame_reader_init(&rd, HERD_FRAME_MAX_DEFAULT);
    uint8_t hdr[HERD_FRAME_HEADER];
    herd_frame_header_put(hdr, 9, 10u << 20); /* claims 10 MiB, sends nothing */
    uint8_t *p = NULL;
    CHECK_EQ(herd_frame_reader_room(&rd, 65536, &p, &e), 0); /* no header yet */
    CHECK_EQ(herd_frame_reader_feed(&rd, hdr, sizeof hdr, count_frames, &n, &e), HERD_OK);
    CHECK_EQ(herd_frame_reader_room(&rd, 65536, &p, &e), 0); /* a header alone: no room */
    CHECK(rd.body == NULL);                                    /* ... and nothing pinned */
    static uint8_t zeros[65536];
    CHECK_EQ(herd_frame_reader_feed(&rd, zeros, sizeof zeros, count_frames, &n, &e), HERD_OK);
    size_t room = herd_frame_reader_room(&rd, 65536, &p, &e);
    CHECK(room > 0 && room <= 65536);
    CHECK(rd.body_cap <= 2 * 65536); /* at most doubles what arrived */
    CHECK(rd.body_cap <= 2 * rd.body_have);
    memset(p, 0, room);
    CHECK_EQ(herd_frame_reader_commit(&rd, room, count_frames, &n, &e), HERD_OK);
    room = herd_frame_reader_room(&rd, 65536, &p, &e);
    CHECK(room > 0 && rd.body_cap <= 2 * rd.body_have);
    CHECK_EQ(n, 0);
    herd_frame_reader_fini(&rd);
    /* a frame whose rest is under `min` is read the ordinary way */
    herd_frame_reader_init(&rd, HERD_FRAME_MAX_DEFAULT);
    herd_frame_header_put(hdr, 9, 100);
    CHECK_EQ(herd_frame_reader_feed(&rd, hdr, sizeof hdr, count_frames, &n, &e), HERD_OK);
    CHECK_EQ(herd_frame_reader_room(&rd, 65536, &p, &e), 0);
    herd_frame_reader_fini(&rd);
}

/* Small frames split across reads (a header in two pieces) do not count as
 * using a kept 1 MiB buffer: it goes after HERD_FRAME_KEEP_IDLE of them. */
HERD_TEST(frame_reader_small_split_frames_release_a_kept_buffer)
{
    struct herd_frame_reader rd;
    struct herd_err e;
    herd_frame_reader_init(&rd, HERD_FRAME_MAX_DEFAULT);
    uint8_t *first = NULL;
    CHECK_EQ(feed_split(&rd, 1u << 20, 1, 65536, &first), 1);
    CHECK(rd.body != NULL && rd.body_cap >= (1u << 20));
    uint8_t small[HERD_FRAME_HEADER + 20] = {0};
    herd_frame_header_put(small, 4, 20);
    int n = 0;
    for (int i = 0; i < HERD_FRAME_KEEP_IDLE; i++) {
        CHECK_EQ(herd_frame_reader_feed(&rd, small, 5, count_frames, &n, &e), HERD_OK);
        CHECK_EQ(herd_frame_reader_feed(&rd, small + 5, sizeof small - 5, count_frames, &n, &e),
                 HERD_OK);
    }
    CHECK_EQ(n, HERD_FRAME_KEEP_IDLE);
    CHECK(rd.body == NULL);
    herd_frame_reader_fini(&rd);
}
