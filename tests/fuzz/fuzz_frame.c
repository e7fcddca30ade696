/* fuzz_frame — libFuzzer target for the frame reader plus message decoder,
 * the path every byte from the network takes.
 *
 * Input: 1 byte choosing the chunk size (1..256), then the byte stream, fed
 * to a reader with a small limit in chunks of that size. Every frame
 * delivered must have a valid header within the limit; its body is decoded
 * and, when accepted, must re-encode to the same bytes. Feeding stops at the
 * first error, as a connection would be closed. */
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
    (void)arg;
    require(h->magic == HERD_FRAME_MAGIC && h->version == HERD_PROTO_VERSION);
    require(h->length <= SMALL_MAX && body != NULL);
    struct herd_msg m;
    struct herd_err e;
    if (herd_msg_decode(h->type, body, h->length, &m, &e) != HERD_OK)
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
    size_t chunk = (size_t)data[0] + 1;
    struct herd_frame_reader r;
    struct herd_err e;
    herd_frame_reader_init(&r, SMALL_MAX);
    for (size_t off = 1; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        int rc = herd_frame_reader_feed(&r, data + off, n, on_frame, NULL, &e);
        if (rc != HERD_OK) {
            require(r.failed && r.body == NULL);
            require(herd_frame_reader_feed(&r, data + off, n, on_frame, NULL, &e) == HERD_EPROTO);
            break;
        }
    }
    herd_frame_reader_fini(&r);
    return 0;
}
