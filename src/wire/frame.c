/* frame — header codec and the incremental frame reader.
 *
 * Design notes. The reader has two paths:
 *  - fast path: when no partial frame is buffered and the chunk holds a whole
 *    frame, the callback gets a pointer straight into the caller's bytes (no
 *    copy, no allocation) — the common case for small control frames;
 *  - slow path: a header split across chunks is gathered in r->hdr; a body
 *    split across chunks is gathered in a malloc'd buffer that grows (at
 *    least doubling) with the bytes actually received, up to h.length (never
 *    more than r->max), and is freed after its callback unless small enough
 *    to keep for the next split frame (HERD_FRAME_KEEP_MAX, dropped after
 *    HERD_FRAME_KEEP_IDLE frames that did not use it). Growing rather than
 *    allocating h.length up front means a peer that sends a header claiming
 *    16 MiB and then stalls costs a few KiB, not 16 MiB, per connection.
 * Once a header is rejected the reader stays failed: the stream position is
 * lost and nothing after it can be trusted. */
#include "wire/frame.h"

#include "base/bytes.h"

#include <stdlib.h>
#include <string.h>

/* Non-NULL body pointer for empty frames, so callbacks may memcpy it. */
static const uint8_t empty_body[1];

void herd_frame_header_put(uint8_t out[HERD_FRAME_HEADER], uint16_t type, uint32_t length)
{
    herd_put_u32(out, HERD_FRAME_MAGIC);
    herd_put_u16(out + 4, HERD_PROTO_VERSION);
    herd_put_u16(out + 6, type);
    herd_put_u32(out + 8, length);
}

int herd_frame_header_get(const uint8_t in[HERD_FRAME_HEADER], uint32_t max,
                          struct herd_frame_header *out, struct herd_err *e)
{
    struct herd_frame_header h;
    h.magic = herd_get_u32(in);
    h.version = herd_get_u16(in + 4);
    h.type = herd_get_u16(in + 6);
    h.length = herd_get_u32(in + 8);
    if (h.magic != HERD_FRAME_MAGIC)
        return herd_err_set(e, HERD_EPROTO, "bad frame magic 0x%08x (want 0x%08x)", h.magic,
                            HERD_FRAME_MAGIC);
    if (h.version != HERD_PROTO_VERSION)
        return herd_err_set(e, HERD_EVERSION, "peer speaks protocol version %u, this side %u",
                            (unsigned)h.version, (unsigned)HERD_PROTO_VERSION);
    if (h.length > max)
        return herd_err_set(e, HERD_ETOOBIG, "frame type %u: length %u over limit %u",
                            (unsigned)h.type, h.length, max);
    *out = h;
    return HERD_OK;
}

void herd_frame_reader_init(struct herd_frame_reader *r, uint32_t max)
{
    memset(r, 0, sizeof *r);
    r->max = max;
}

#define BODY_MIN_CAP 4096

static void drop_body(struct herd_frame_reader *r)
{
    free(r->body);
    r->body = NULL;
    r->body_have = 0;
    r->body_cap = 0;
}

static int fail(struct herd_frame_reader *r, int code)
{
    r->failed = 1;
    drop_body(r);
    return code;
}

void herd_frame_reader_fini(struct herd_frame_reader *r)
{
    drop_body(r);
    r->hdr_have = 0;
}

/* A frame was delivered: keep a warm buffer of bounded size for the next
 * split frame, else free it. `split` says whether this frame was gathered
 * in it; only one that needed a fair share of it counts as using it (small
 * frames split across reads would otherwise pin a 1 MiB buffer for good). */
static void done_body(struct herd_frame_reader *r, int split)
{
    int used = split && r->h.length > r->body_cap / 4;
    r->body_have = 0;
    r->idle = used ? 0 : r->idle + 1;
    if (r->body_cap > HERD_FRAME_KEEP_MAX || r->idle >= HERD_FRAME_KEEP_IDLE)
        drop_body(r);
}

/* Makes room for `need` body bytes in total (need <= h.length). */
static int reserve_body(struct herd_frame_reader *r, size_t need, struct herd_err *e)
{
    if (need <= r->body_cap)
        return HERD_OK;
    size_t cap = r->body_cap * 2 > BODY_MIN_CAP ? r->body_cap * 2 : BODY_MIN_CAP;
    if (cap < need)
        cap = need;
    if (cap > r->h.length)
        cap = r->h.length;
    uint8_t *p = realloc(r->body, cap);
    if (p == NULL)
        return fail(r, herd_err_set(e, HERD_ENOMEM, "frame type %u: cannot allocate %zu bytes",
                                    (unsigned)r->h.type, cap));
    r->body = p;
    r->body_cap = cap;
    return HERD_OK;
}

static int deliver(struct herd_frame_reader *r, const uint8_t *body, herd_frame_cb cb, void *arg,
                   struct herd_err *e)
{
    int stop = cb(arg, &r->h, r->h.length ? body : empty_body);
    if (stop)
        return herd_err_set(e, HERD_ECLOSED, "frame reader stopped by its consumer");
    return HERD_OK;
}

/* Header complete in r->hdr: validate it; the body buffer starts empty. */
static int start_body(struct herd_frame_reader *r, struct herd_err *e)
{
    int rc = herd_frame_header_get(r->hdr, r->max, &r->h, e);
    if (rc != HERD_OK)
        return fail(r, rc);
    r->body_have = 0;
    return HERD_OK;
}

/* Whole frame at p (n bytes available, no partial state): deliver in place.
 * Returns the bytes consumed (0 if the frame is not complete in p), or sets
 * *rc on a header error or a stop. */
static size_t fast_path(struct herd_frame_reader *r, const uint8_t *p, size_t n, herd_frame_cb cb,
                        void *arg, struct herd_err *e, int *rc)
{
    if (n < HERD_FRAME_HEADER)
        return 0;
    struct herd_frame_header h;
    *rc = herd_frame_header_get(p, r->max, &h, e);
    if (*rc != HERD_OK) {
        fail(r, *rc);
        return 0;
    }
    if (n - HERD_FRAME_HEADER < h.length)
        return 0;
    r->h = h;
    *rc = deliver(r, p + HERD_FRAME_HEADER, cb, arg, e);
    if (r->body)
        done_body(r, 0);
    return HERD_FRAME_HEADER + (size_t)h.length;
}

/* Copies up to n bytes into the partial header or body; delivers the frame
 * when it completes. Returns bytes consumed; *rc set on error or stop. */
static size_t slow_path(struct herd_frame_reader *r, const uint8_t *p, size_t n, herd_frame_cb cb,
                        void *arg, struct herd_err *e, int *rc)
{
    size_t used = 0;
    if (r->hdr_have < HERD_FRAME_HEADER) {
        used = HERD_FRAME_HEADER - r->hdr_have;
        if (used > n)
            used = n;
        memcpy(r->hdr + r->hdr_have, p, used);
        r->hdr_have += used;
        if (r->hdr_have < HERD_FRAME_HEADER)
            return used;
        *rc = start_body(r, e);
        if (*rc != HERD_OK)
            return used;
    }
    size_t want = r->h.length - r->body_have, take = n - used < want ? n - used : want;
    if (take) {
        *rc = reserve_body(r, r->body_have + take, e);
        if (*rc != HERD_OK)
            return used;
        memcpy(r->body + r->body_have, p + used, take);
    }
    r->body_have += take;
    used += take;
    if (r->body_have < r->h.length)
        return used;
    *rc = deliver(r, r->body, cb, arg, e);
    done_body(r, 1);
    r->hdr_have = 0;
    return used;
}

int herd_frame_reader_feed(struct herd_frame_reader *r, const uint8_t *p, size_t n,
                           herd_frame_cb cb, void *arg, struct herd_err *e)
{
    if (r->failed)
        return herd_err_set(e, HERD_EPROTO, "frame reader already failed on this connection");
    while (n > 0) {
        int rc = HERD_OK;
        size_t used = 0;
        if (r->hdr_have == 0)
            used = fast_path(r, p, n, cb, arg, e, &rc);
        if (used == 0 && rc == HERD_OK)
            used = slow_path(r, p, n, cb, arg, e, &rc);
        if (rc != HERD_OK)
            return rc;
        p += used;
        n -= used;
    }
    return HERD_OK;
}

size_t herd_frame_reader_room(struct herd_frame_reader *r, size_t min, uint8_t **p,
                              struct herd_err *e)
{
    if (r->failed || r->hdr_have < HERD_FRAME_HEADER)
        return 0;
    size_t left = r->h.length - r->body_have;
    if (left < min || left == 0 || r->body_have < BODY_MIN_CAP)
        return 0; /* the first bytes come the ordinary way: a header alone pins nothing */
    size_t grow = r->body_have; /* the buffer at most doubles what has arrived */
    if (reserve_body(r, r->body_have + (grow < left ? grow : left), e) != HERD_OK)
        return 0; /* failed: the next feed or commit reports it */
    *p = r->body + r->body_have;
    size_t room = r->body_cap - r->body_have;
    return room < left ? room : left;
}

int herd_frame_reader_commit(struct herd_frame_reader *r, size_t k, herd_frame_cb cb, void *arg,
                             struct herd_err *e)
{
    if (r->failed)
        return herd_err_set(e, HERD_EPROTO, "frame reader already failed on this connection");
    r->body_have += k;
    if (r->body_have < r->h.length)
        return HERD_OK;
    int rc = deliver(r, r->body, cb, arg, e);
    done_body(r, 1);
    r->hdr_have = 0;
    return rc;
}
