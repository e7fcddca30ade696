/* fuzz_msg — libFuzzer target for the message decoder.
 *
 * Input: 2 bytes of message type (big-endian), then the body. Decoding must
 * never crash, leak or read out of bounds; whatever it accepts must re-encode
 * to exactly the same body (the encoding is canonical), decode again to an
 * identical message, survive a deep copy, and pass herd_msg_validate; the
 * view decoder (blobs borrowed from the body, as conn.c decodes) must
 * accept exactly the same bodies and give the same message. */
#include "base/bytes.h"
#include "wire/msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void require(int cond)
{
    if (!cond)
        abort();
}

static void check_encodes_to(const struct herd_msg *m, const uint8_t *p, size_t n)
{
    struct herd_wbuf w;
    herd_wbuf_init(&w);
    herd_msg_encode(m, &w);
    require(w.len == n);
    require(n == 0 || memcmp(w.p, p, n) == 0);
    herd_wbuf_fini(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint16_t type = herd_get_u16(data);
    const uint8_t *body = data + 2;
    size_t len = size - 2;
    struct herd_msg m, again, copy;
    struct herd_err e;
    int rc = herd_msg_decode(type, body, len, &m, &e);
    struct herd_msg view;
    int vrc = herd_msg_decode_view(type, body, len, &view, &e);
    require((rc == HERD_OK) == (vrc == HERD_OK));
    if (vrc == HERD_OK) {
        check_encodes_to(&view, body, len);
        herd_msg_free(&view);
    }
    if (rc != HERD_OK) {
        require(rc == HERD_EPARSE || rc == HERD_ENOMEM);
        require(e.msg[0] != '\0');
        return 0;
    }
    require(m.type == type);
    check_encodes_to(&m, body, len);
    require(herd_msg_decode(type, body, len, &again, &e) == HERD_OK);
    check_encodes_to(&again, body, len);
    herd_msg_copy(&copy, &again);
    herd_msg_free(&again);
    check_encodes_to(&copy, body, len);
    require(herd_msg_validate(&copy, &e) == HERD_OK || e.code == HERD_ETOOBIG);
    herd_msg_free(&copy);
    herd_msg_free(&m);
    return 0;
}
