/* fuzz_gmsg — libFuzzer target for the graph-job message decoder.
 *
 * Input: 1 byte op, then the body. Decoding must never crash, leak or read
 * out of bounds; whatever it accepts must re-encode to the same bytes. */
#include "base/bytes.h"
#include "wire/gmsg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct herd_gmsg g;
    struct herd_err e;
    if (herd_gmsg_decode(data[0], data + 1, size - 1, &g, &e) != HERD_OK)
        return 0;
    struct herd_wbuf w;
    herd_wbuf_init(&w);
    herd_gmsg_encode(&g, &w);
    if (w.len != size - 1 || (w.len && memcmp(w.p, data + 1, w.len) != 0))
        abort();
    herd_wbuf_fini(&w);
    herd_gmsg_free(&g);
    return 0;
}
