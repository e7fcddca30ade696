/* frame — the fixed frame header of every control- and data-plane frame, and
 * an incremental frame reader for a byte stream.
 *
 * Header (12 bytes, big-endian): magic u32 "HERD" (0x48455244), version u16,
 * type u16, length u32 (body bytes that follow). See docs/protocol.md.
 * The reader takes bytes as they arrive and yields whole frames; a bad magic,
 * version, or length over the limit makes it fail with a reason, after which
 * the connection must be closed. Unknown types are the message layer's call.
 * One reader per connection; not thread-safe. */
#ifndef HERD_WIRE_FRAME_H
#define HERD_WIRE_FRAME_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#define HERD_FRAME_MAGIC 0x48455244u
#define HERD_PROTO_VERSION 1
#define HERD_FRAME_HEADER 12
#define HERD_FRAME_MAX_DEFAULT (16u << 20)

struct herd_frame_header {
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    uint32_t length;
};

/* Writes a header for this side's HERD_PROTO_VERSION. */
void herd_frame_header_put(uint8_t out[HERD_FRAME_HEADER], uint16_t type, uint32_t length);
/* Parses and validates a header: HERD_EPROTO (bad magic), HERD_EVERSION
 * (version != HERD_PROTO_VERSION), HERD_ETOOBIG (length > max); *out is
 * written only on success, e->msg says why otherwise. */
int herd_frame_header_get(const uint8_t in[HERD_FRAME_HEADER], uint32_t max,
                          struct herd_frame_header *out, struct herd_err *e);

struct herd_frame_reader {
    uint32_t max;        /* largest body accepted */
    uint8_t hdr[HERD_FRAME_HEADER];
    size_t hdr_have;
    struct herd_frame_header h;
    uint8_t *body;       /* malloc'd, grows to at most h.length bytes */
    size_t body_have;
    size_t body_cap;     /* bytes allocated at body */
    uint32_t idle;       /* frames delivered since the kept buffer was last used */
    int failed;
};

/* A body buffer of at most this many bytes is kept for the next split frame
 * (a stream of 1 MiB checkpoint chunks reuses one warm buffer instead of
 * faulting in fresh pages per chunk) until HERD_FRAME_KEEP_IDLE frames in a
 * row did not need it (whole frames, and split ones under a quarter of it). */
#define HERD_FRAME_KEEP_MAX ((1u << 20) + 4096)
#define HERD_FRAME_KEEP_IDLE 32

/* Prepares r to accept bodies of at most `max` bytes. */
void herd_frame_reader_init(struct herd_frame_reader *r, uint32_t max);
/* Releases a partially received body; r may be re-initialised after. */
void herd_frame_reader_fini(struct herd_frame_reader *r);

/* Called for each complete frame; body is valid only during the call and is
 * never NULL (an empty body points at a dummy byte). Return non-zero to stop
 * feeding (e.g. the connection is being closed). The callback must not fini
 * or free the reader, nor feed it again: return non-zero, and tear down after
 * feed has returned. */
typedef int (*herd_frame_cb)(void *arg, const struct herd_frame_header *h, const uint8_t *body);

/* Feeds n bytes; calls cb for each frame they complete, in order. A frame
 * wholly inside p is delivered in place (no copy); a split one is gathered
 * in a malloc'd buffer that grows with the bytes received, up to its length
 * (<= max), so a stalled peer cannot pin max bytes with a header alone.
 * Returns HERD_OK (all n bytes consumed; a partial frame is kept for the next
 * feed), HERD_ECLOSED when a callback returned non-zero (the bytes after that
 * frame are not consumed), or a header error: HERD_EPROTO (bad magic),
 * HERD_EVERSION (message names both versions), HERD_ETOOBIG (length over
 * max; nothing allocated), or HERD_ENOMEM (body allocation failed). After an
 * error the reader is failed and every later feed returns HERD_EPROTO. */
int herd_frame_reader_feed(struct herd_frame_reader *r, const uint8_t *p, size_t n,
                           herd_frame_cb cb, void *arg, struct herd_err *e);

/* Receiving straight into the body: once a split frame's body has begun to
 * arrive (4 KiB) and at least `min` bytes are still to come, makes room for
 * more of it (the buffer grows to at most twice what has arrived: a header
 * alone pins nothing) and sets *p to where the next bytes go;
 * returns how many may be written there (never past this frame's end), or
 * 0 when the caller should read into its own buffer and feed it. After writing k <= that many bytes
 * at *p, call herd_frame_reader_commit: it delivers the frame once whole,
 * as feed does (same returns). Saves one copy of every large body (conn.c
 * uses it for plain TCP). */
size_t herd_frame_reader_room(struct herd_frame_reader *r, size_t min, uint8_t **p,
                              struct herd_err *e);
int herd_frame_reader_commit(struct herd_frame_reader *r, size_t k, herd_frame_cb cb, void *arg,
                             struct herd_err *e);

#endif
