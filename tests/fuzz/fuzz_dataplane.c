/* fuzz_dataplane — libFuzzer target for the worker-to-worker data plane's
 * receiving side: the frame reader of a data-plane connection
 * (worker/dplink.h, plain TCP) and every frame-body decoder
 * (worker/dpframe.h: DCHALLENGE, DHELLO, BATCH, END, VECTOR, and the routed
 * load's EDGES, VIDS, LOADED, COUNTS, ASK, ANSWER, SCANNED, PINFO, SRCS, which go on into a routed-load receiver,
 * worker/groute_rx.h, as from worker 1).
 *
 * Input: byte 0 picks the receiving session's shape (bit 7: pull path with
 * partition bounds; bit 6: a weighted routed load; bits 0-2: message size
 * 1..8); the rest is the byte
 * stream a peer sends, written into a socketpair and read back frame by
 * frame with herd_dplink_read, exactly as a receiver thread reads its
 * socket. Each frame goes to its decoder; whatever a decoder accepts is
 * copied out as the worker would (into a message batch, into the pull
 * vectors) and must re-encode to the same header bytes. Nothing may crash,
 * leak or read out of bounds. */
#include "worker/dataplane.h"
#include "worker/dpframe.h"
#include "worker/dplink.h"
#include "worker/groute_rx.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NPARTS 4
#define NVERT 17

static const uint32_t owner[NPARTS] = {0, 1, 0, 1};
static const uint32_t bounds[NPARTS + 1] = {0, 3, 3, 10, NVERT};

static void check_batch(const struct herd_dpframe_shape *sh, const uint8_t *b, uint32_t n)
{
    struct herd_dpframe_batch fb;
    struct herd_err e;
    if (herd_dpframe_batch_decode(sh, 1, b, n, &fb, &e) != HERD_OK)
        return;
    uint8_t hdr[HERD_DPF_BATCH_HDR];
    herd_dpframe_batch_put(hdr, fb.from, fb.to, fb.step, fb.count, fb.rec);
    if (memcmp(hdr, b, sizeof hdr) != 0 || sh->owner[fb.to] != sh->me)
        abort();
    uint8_t *dst = malloc((size_t)fb.count * fb.rec + 1);
    if (dst == NULL)
        return;
    herd_dpframe_batch_copy(&fb, dst);
    for (uint32_t i = 0; i < fb.count; i++) { /* the payload is copied unchanged */
        const uint8_t *src = fb.recs + (size_t)i * fb.rec, *got = dst + (size_t)i * fb.rec;
        uint32_t t;
        memcpy(&t, got, 4);
        if (t != ((uint32_t)src[0] << 24 | (uint32_t)src[1] << 16 | (uint32_t)src[2] << 8 | src[3]) ||
            memcmp(got + 4, src + 4, fb.rec - 4) != 0)
            abort();
    }
    free(dst);
}

static void check_vector(const struct herd_dpframe_shape *sh, const uint8_t *b, uint32_t n)
{
    struct herd_dpframe_vector v;
    struct herd_err e;
    if (herd_dpframe_vector_decode(sh, 1, b, n, &v, &e) != HERD_OK)
        return;
    uint8_t hdr[HERD_DPF_VECTOR_HDR];
    herd_dpframe_vector_put(hdr, v.part, v.step, v.count);
    if (memcmp(hdr, b, sizeof hdr) != 0 || bounds[v.part] + v.count > NVERT)
        abort();
    double x[NVERT];
    uint8_t em[NVERT];
    herd_dpframe_vector_copy(&v, x + bounds[v.part], em + bounds[v.part]);
}

/* EDGES, VIDS, LOADED: decoded, headers re-encode, records into rx. */
static void check_route(const struct herd_dpframe_shape *sh, struct herd_groute_rx *rx,
                        uint16_t type, const uint8_t *b, uint32_t n)
{
    struct herd_err e;
    struct herd_dpframe_edges fe;
    struct herd_dpframe_vids fv;
    struct herd_dpframe_counts fc;
    struct herd_dpframe_ids fi;
    uint64_t ne, ni;
    uint8_t hdr[HERD_DPF_EDGES_HDR];
    if (type == HERD_DP_EDGES && herd_dpframe_edges_decode(sh, b, n, &fe, &e) == HERD_OK) {
        herd_dpframe_edges_put(hdr, fe.part, fe.kind, fe.weighted, fe.count);
        if (memcmp(hdr, b, HERD_DPF_EDGES_HDR) != 0 || sh->owner[fe.part] != sh->me)
            abort();
        (void)herd_groute_rx_edges(rx, 1, &fe, &e);
    } else if ((type == HERD_DP_VIDS || type == HERD_DP_SRCS) &&
               herd_dpframe_vids_decode(sh, b, n, &fv, &e) == HERD_OK) {
        herd_dpframe_vids_put(hdr, fv.part, fv.count);
        if (memcmp(hdr, b, HERD_DPF_VIDS_HDR) != 0 || sh->owner[fv.part] != sh->me)
            abort();
        (void)herd_groute_rx_vids(rx, 1, &fv, type == HERD_DP_SRCS, &e);
    } else if (type == HERD_DP_LOADED && herd_dpframe_loaded_decode(b, n, &ne, &ni, &e) == 0) {
        (void)herd_groute_rx_loaded(rx, 1, ne, ni, &e);
    } else if (type == HERD_DP_COUNTS &&
               herd_dpframe_counts_decode(sh, 1, b, n, &fc, &e) == HERD_OK) {
        for (uint32_t i = 0; i < fc.k; i++) {
            uint32_t part;
            uint64_t count;
            herd_dpframe_count_at(&fc, i, &part, &count);
            if (part >= sh->nparts || sh->owner[part] != 1)
                abort();
        }
        (void)herd_groute_rx_counts(rx, &fc, &e);
    } else if (type == HERD_DP_ASK && herd_dpframe_ask_decode(sh, b, n, &fi, &e) == HERD_OK) {
        if (sh->owner[fi.part] != sh->me || (size_t)fi.count * 8 + HERD_DPF_VIDS_HDR != n)
            abort();
        (void)herd_groute_rx_ask(rx, 1, &fi, &e);
    } else if (type == HERD_DP_ANSWER &&
               herd_dpframe_answer_decode(sh, 1, b, n, &fi, &e) == HERD_OK) {
        if (sh->owner[fi.part] != 1 || (size_t)fi.count * 4 + HERD_DPF_VIDS_HDR != n)
            abort();
        (void)herd_groute_rx_answer(rx, &fi, &e);
    }
}

/* SCANNED, PINFO: decoded, headers re-encode, into rx. */
static void check_verdict(const struct herd_dpframe_shape *sh, struct herd_groute_rx *rx,
                          uint16_t type, const uint8_t *b, uint32_t n)
{
    struct herd_err e;
    struct herd_dpframe_scanned fs;
    struct herd_dpframe_pinfo fp;
    if (type == HERD_DP_SCANNED && herd_dpframe_scanned_decode(b, n, &fs, &e) == HERD_OK) {
        uint8_t hdr[HERD_DPF_SCANNED_HDR];
        herd_dpframe_scanned_put(hdr, fs.edges, fs.vertices, fs.code, fs.len);
        if (memcmp(hdr, b, sizeof hdr) != 0 || fs.len > HERD_DPF_SCANNED_MSG ||
            memchr(fs.msg, 0, fs.len) != NULL)
            abort();
        (void)herd_groute_rx_scanned(rx, 1, &fs, &e);
    } else if (type == HERD_DP_PINFO &&
               herd_dpframe_pinfo_decode(sh, 1, b, n, &fp, &e) == HERD_OK) {
        uint8_t hdr[HERD_DPF_PINFO_HDR];
        herd_dpframe_pinfo_put(hdr, fp.part, fp.first, fp.count, fp.arcs);
        if (memcmp(hdr, b, sizeof hdr) != 0 || sh->owner[fp.part] != 1 ||
            (size_t)fp.count * HERD_DPF_PINFO_REC + HERD_DPF_PINFO_HDR != n)
            abort();
        (void)herd_groute_rx_pinfo(rx, 1, &fp, &e);
    }
}

static void check_frame(const struct herd_dpframe_shape *sh, struct herd_groute_rx *rx,
                        uint16_t type, const uint8_t *b, uint32_t n)
{
    struct herd_err e;
    uint64_t step;
    const uint8_t *nonce;
    struct herd_dpframe_hello h;
    switch (type) {
    case HERD_DP_BATCH:
        check_batch(sh, b, n);
        break;
    case HERD_DP_VECTOR:
        check_vector(sh, b, n);
        break;
    case HERD_DP_EDGES:
    case HERD_DP_VIDS:
    case HERD_DP_SRCS:
    case HERD_DP_LOADED:
    case HERD_DP_COUNTS:
    case HERD_DP_ASK:
    case HERD_DP_ANSWER:
        check_route(sh, rx, type, b, n);
        break;
    case HERD_DP_SCANNED:
    case HERD_DP_PINFO:
        check_verdict(sh, rx, type, b, n);
        break;
    case HERD_DP_END:
        (void)herd_dpframe_end_decode(b, n, &step, &e);
        break;
    case HERD_DP_CHALLENGE:
        (void)herd_dpframe_challenge_decode(b, n, &nonce, &e);
        break;
    case HERD_DP_HELLO:
        if (herd_dpframe_hello_decode(b, n, &h, &e) == HERD_OK) {
            uint8_t id[HERD_DPF_HELLO_ID];
            herd_dpframe_hello_put(id, h.job, h.epoch, h.from);
            if (memcmp(id, b, sizeof id) != 0 || h.mac != b + HERD_DPF_HELLO_ID)
                abort();
        }
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    struct herd_dpframe_shape sh = {NPARTS, 0, 1 + (data[0] & 7), owner,
                                    data[0] & 0x80 ? bounds : NULL};
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return 0;
    int big = 1 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    if (write(sv[0], data + 1, size - 1) != (ssize_t)(size - 1)) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    close(sv[0]); /* end of stream after the input */
    struct herd_dplink l;
    struct herd_err e;
    struct herd_groute_rx *rx;
    if (herd_groute_rx_create(NPARTS, owner, 2, 0, data[0] & 0x40, &rx, &e) != HERD_OK)
        abort();
    herd_dplink_open(&l, sv[1], NULL, &e);
    uint16_t type;
    uint8_t *body;
    uint32_t len;
    while (herd_dplink_read(&l, 64u << 20, &type, &body, &len, &e) == HERD_OK) {
        check_frame(&sh, rx, type, body, len);
        free(body);
    }
    herd_dplink_fini(&l);
    herd_groute_rx_destroy(rx);
    return 0;
}
