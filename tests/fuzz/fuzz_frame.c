/* fuzz_frame — libFuzzer target for the frame reader plus message decoder,
 * the path every byte from the network takes.
 *
 * Input: 1 byte choosing the chunk size (low 7 bits: 1..128) and the way
 * bytes arrive (high bit: as conn.c reads plain TCP — straight into the
 * body wherever the reader offers room, blobs decoded as views — else fed),
 * then the byte stream, given to a reader with a small limit in chunks of
 * that size. Every frame delivered must have a valid header within the
 * limit; its body is decoded and, when accepted, must re-encode to the same
 * bytes. Feeding stops at the first error, as a connection would be closed. */
#include "base/bytes.h"
#include "wire/frame.h"
#include "wire/msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SMALL_MAX 4096

static void require(int cond)
{
    if (!cond)
        abort();
}

static int on_frame(void *arg, const struct herd_frame_header *h, const uint8_t *body)
{
    int view = arg != NULL;
    require(h->magic == HERD_FRAME_MAGIC && h->version == HERD_PROTO_VERSION);
    require(h->length <= SMALL_MAX && body != NULL);
    struct herd_msg m;
    struct herd_err e;
    if ((view ? herd_msg_decode_view : herd_msg_decode)(h->type, body, h->length, &m, &e) !=
        HERD_OK)
        return 0;
    struct herd_wbuf w;
    herd_wbuf_init(&w);
    herd_msg_frame(&m, &w);
    require(w.len == HERD_FRAME_HEADER + (size_t)h->length);
    require(memcmp(w.p + HERD_FRAME_HEADER, body, h->length) == 0);
    herd_wbuf_fini(&w);
    herd_msg_free(&m);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (size_t)(data[0] & 0x7f) + 1;
    int in_place = data[0] >> 7;
    void *arg = in_place ? &in_place : NULL;
    struct herd_frame_reader r;
    struct herd_err e;
    herd_frame_reader_init(&r, SMALL_MAX);
    for (size_t off = 1, n; off < size; off += n) {
        n = size - off < chunk ? size - off : chunk;
        uint8_t *p = NULL;
        size_t room = in_place ? herd_frame_reader_room(&r, 16, &p, &e) : 0;
        int rc;
        if (room > 0) {
            require(room <= r.h.length - r.body_have && p == r.body + r.body_have);
            n = n < room ? n : room;
            memcpy(p, data + off, n);
            rc = herd_frame_reader_commit(&r, n, on_frame, arg, &e);
        } else {
            rc = herd_frame_reader_feed(&r, data + off, n, on_frame, arg, &e);
        }
        require(r.body == NULL || r.body_cap <= SMALL_MAX);
        if (rc != HERD_OK) {
            require(r.failed && r.body == NULL);
            require(herd_frame_reader_feed(&r, data + off, n, on_frame, arg, &e) == HERD_EPROTO);
            break;
        }
    }
    herd_frame_reader_fini(&r);
    return 0;
}
