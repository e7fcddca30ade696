/* msg — the control-message codec, driven by one layout table.
 *
 * Design notes. Each message type's body is declared once, below, as a list
 * of fields (kind, name, offset inside struct herd_msg, limits). Four small
 * walkers interpret that list: encode, decode, free and copy, so a field
 * cannot be encoded in one order and decoded in another, and docs/protocol.md
 * mirrors these tables line by line. Decoding reads untrusted bytes: every
 * count and length is checked against its limit and against the bytes that
 * remain *before* anything is allocated, and the first failure names the
 * message and the field ("HELLO: labels: count 5000 over limit 4096"). */
#include "wire/msg.h"

#include "base/mem.h"
#include "wire/frame.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fkind {
    F_END,
    F_U8,    /* u8, optionally range-checked [lo, hi] */
    F_U16,
    F_U32,
    F_I32,   /* two's complement in a u32 */
    F_U64,
    F_FIXED, /* `limit` raw bytes (nonces, MACs) */
    F_STR,   /* u32 length + bytes, no NUL, length <= limit */
    F_BLOB,  /* u32 length + bytes, length <= limit; length at count_off */
    F_STRS,  /* u32 count <= limit, then count strings of <= item_limit */
    F_U64S,  /* u32 count <= limit, then count u64 */
    F_OPT    /* not a field: a body may end here (the fields after it were
                added later; absent, they decode as NULL; only strings may
                follow, and when all are NULL the encoder stops here) */
};

struct field {
    const char *name;
    enum fkind kind;
    size_t off;       /* of the value / pointer inside struct herd_msg */
    size_t count_off; /* F_BLOB, F_STRS, F_U64S: of the uint32_t count */
    uint32_t limit;
    uint32_t item_limit;
    uint32_t lo, hi;  /* F_U8 range when hi != 0 */
};

#define AT(m, f) offsetof(struct herd_msg, u.m.f)
#define SCALAR(k, m, f) {#f, k, AT(m, f), 0, 0, 0, 0, 0}
#define RANGED(m, f, l, h) {#f, F_U8, AT(m, f), 0, 0, 0, l, h}
#define FIXED(m, f, n) {#f, F_FIXED, AT(m, f), 0, n, 0, 0, 0}
#define STR(m, f, lim) {#f, F_STR, AT(m, f), 0, lim, 0, 0, 0}
#define BLOB(m, f, n, lim) {#f, F_BLOB, AT(m, f), AT(m, n), lim, 0, 0, 0}
#define STRS(m, f, n, lim, ilim) {#f, F_STRS, AT(m, f), AT(m, n), lim, ilim, 0, 0}
#define U64S(m, f, n, lim) {#f, F_U64S, AT(m, f), AT(m, n), lim, 0, 0, 0}
#define END {NULL, F_END, 0, 0, 0, 0, 0, 0}
#define OPTIONAL_FROM_HERE {NULL, F_OPT, 0, 0, 0, 0, 0, 0}

static const struct field fields_CHALLENGE[] = {
    SCALAR(F_U16, challenge, proto),
    FIXED(challenge, nonce, HERD_NONCE_LEN),
    END,
};

static const struct field fields_HELLO[] = {
    SCALAR(F_U16, hello, proto),
    STR(hello, herd_version, HERD_MSG_MAX_STR),
    STR(hello, worker_id, HERD_MSG_MAX_STR),
    STR(hello, host, HERD_MSG_MAX_STR),
    SCALAR(F_U16, hello, data_port),
    SCALAR(F_U32, hello, cores),
    SCALAR(F_U64, hello, memory),
    STRS(hello, labels, nlabels, HERD_MSG_MAX_ARGS, HERD_MSG_MAX_STR),
    FIXED(hello, nonce, HERD_NONCE_LEN),
    FIXED(hello, mac, HERD_MAC_LEN),
    U64S(hello, running, nrunning, HERD_MSG_MAX_IDS),
    OPTIONAL_FROM_HERE, /* workers from before data_host send none */
    STR(hello, data_host, HERD_MSG_MAX_STR),
    END,
};

static const struct field fields_WELCOME[] = {
    SCALAR(F_U32, welcome, heartbeat_ms),
    SCALAR(F_U32, welcome, lost_after),
    FIXED(welcome, mac, HERD_MAC_LEN),
    END,
};

static const struct field fields_REFUSE[] = {
    SCALAR(F_U16, refuse, code),
    STR(refuse, reason, HERD_MSG_MAX_STR),
    END,
};

static const struct field fields_HEARTBEAT[] = {
    SCALAR(F_U64, heartbeat, seq),
    U64S(heartbeat, running, nrunning, HERD_MSG_MAX_IDS),
    END,
};

static const struct field fields_ASSIGN[] = {
    SCALAR(F_U64, assign, attempt_id),
    SCALAR(F_U64, assign, job_id),
    SCALAR(F_U64, assign, task_id),
    RANGED(assign, kind, HERD_TASK_COMMAND, HERD_TASK_FUNCTION),
    SCALAR(F_U32, assign, cores),
    SCALAR(F_U64, assign, memory),
    SCALAR(F_U32, assign, timeout_ms),
    STRS(assign, argv, nargv, HERD_MSG_MAX_ARGS, HERD_MSG_MAX_ARG),
    STRS(assign, env, nenv, HERD_MSG_MAX_ARGS, HERD_MSG_MAX_ARG),
    BLOB(assign, payload, payload_len, HERD_MSG_MAX_BLOB),
    STRS(assign, inputs, ninputs, HERD_MSG_MAX_FILES, HERD_MSG_MAX_STR),
    STRS(assign, outputs, noutputs, HERD_MSG_MAX_FILES, HERD_MSG_MAX_STR),
    STR(assign, plugin, HERD_MSG_MAX_STR),
    END,
};

static const struct field fields_RESULT[] = {
    SCALAR(F_U64, result, attempt_id),
    SCALAR(F_U64, result, job_id),
    SCALAR(F_U64, result, task_id),
    RANGED(result, status, HERD_RESULT_OK, HERD_RESULT_ERROR),
    SCALAR(F_I32, result, exit_code),
    BLOB(result, stdout_data, stdout_len, HERD_MSG_MAX_BLOB),
    BLOB(result, stderr_data, stderr_len, HERD_MSG_MAX_BLOB),
    STR(result, error, HERD_MSG_MAX_STR),
    STRS(result, outputs, noutputs, HERD_MSG_MAX_FILES, HERD_MSG_MAX_STR),
    END,
};

static const struct field fields_KILL[] = {
    SCALAR(F_U64, kill, attempt_id),
    END,
};

static const struct field fields_DRAIN[] = {
    END,
};

static const struct field fields_GRAPH[] = {
    SCALAR(F_U64, graph, job_id),
    SCALAR(F_U32, graph, epoch),
    RANGED(graph, op, 1, 10),
    BLOB(graph, body, body_len, HERD_MSG_MAX_GRAPH),
    END,
};

static const struct field fields_FETCH[] = {
    STR(fetch, sha256, HERD_MSG_MAX_STR),
    SCALAR(F_U64, fetch, offset),
    END,
};

static const struct field fields_BLOB[] = {
    STR(blob, sha256, HERD_MSG_MAX_STR),
    SCALAR(F_U64, blob, offset),
    SCALAR(F_U64, blob, total),
    BLOB(blob, data, data_len, HERD_MSG_MAX_CHUNK),
    STR(blob, error, HERD_MSG_MAX_STR),
    END,
};

static const struct field fields_STORE[] = {
    STR(store, sha256, HERD_MSG_MAX_STR),
    SCALAR(F_U64, store, offset),
    SCALAR(F_U64, store, total),
    BLOB(store, data, data_len, HERD_MSG_MAX_CHUNK),
    END,
};

struct layout {
    const char *name;
    const struct field *fields;
};

static const struct layout layouts[] = {
#define HERD_X_LAYOUT(name, val, dir) [val] = {#name, fields_##name},
    HERD_MSG_TYPES(HERD_X_LAYOUT)
#undef HERD_X_LAYOUT
};

#define NLAYOUTS (sizeof layouts / sizeof layouts[0])

static const struct layout *layout_of(uint16_t type)
{
    if (type >= NLAYOUTS || layouts[type].name == NULL)
        return NULL;
    return &layouts[type];
}

const char *herd_msg_type_name(uint16_t type)
{
    const struct layout *l = layout_of(type);
    return l ? l->name : NULL;
}

/* Typed access to a field of a message through its offset. */
#define REF(T, m, off) (*(T *)((char *)(m) + (off)))
#define CREF(T, m, off) (*(T const *)((const char *)(m) + (off)))

/* ---- encode ---- */

static void encode_field(const struct herd_msg *m, const struct field *f, struct herd_wbuf *w)
{
    switch (f->kind) {
    case F_U8: herd_wbuf_u8(w, CREF(uint8_t, m, f->off)); break;
    case F_U16: herd_wbuf_u16(w, CREF(uint16_t, m, f->off)); break;
    case F_U32: herd_wbuf_u32(w, CREF(uint32_t, m, f->off)); break;
    case F_I32: herd_wbuf_u32(w, (uint32_t)CREF(int32_t, m, f->off)); break;
    case F_U64: herd_wbuf_u64(w, CREF(uint64_t, m, f->off)); break;
    case F_FIXED: herd_wbuf_bytes(w, (const uint8_t *)m + f->off, f->limit); break;
    case F_STR: herd_wbuf_str(w, CREF(char *, m, f->off)); break;
    case F_BLOB:
        herd_wbuf_blob(w, CREF(uint8_t *, m, f->off), CREF(uint32_t, m, f->count_off));
        break;
    case F_STRS: {
        uint32_t n = CREF(uint32_t, m, f->count_off);
        char *const *v = CREF(char **, m, f->off);
        herd_wbuf_u32(w, n);
        for (uint32_t i = 0; i < n; i++)
            herd_wbuf_str(w, v[i]);
        break;
    }
    case F_U64S: {
        uint32_t n = CREF(uint32_t, m, f->count_off);
        const uint64_t *v = CREF(uint64_t *, m, f->off);
        herd_wbuf_u32(w, n);
        for (uint32_t i = 0; i < n; i++)
            herd_wbuf_u64(w, v[i]);
        break;
    }
    case F_OPT:
    case F_END: break;
    }
}

/* 1 when every field after the F_OPT at `f` is absent (a NULL string), so
 * the body ends at `f`: what an older peer sends and a decoder gives back,
 * which keeps decode -> encode exact. */
static int rest_absent(const struct herd_msg *m, const struct field *f)
{
    for (f++; f->kind != F_END; f++)
        if (f->kind != F_STR || CREF(char *, m, f->off) != NULL)
            return 0;
    return 1;
}

void herd_msg_encode(const struct herd_msg *m, struct herd_wbuf *w)
{
    const struct layout *l = layout_of(m->type);
    if (l == NULL)
        return; /* precondition: known type; nothing sensible to write */
    for (const struct field *f = l->fields; f->kind != F_END; f++) {
        if (f->kind == F_OPT && rest_absent(m, f))
            break;
        encode_field(m, f, w);
    }
}

void herd_msg_frame(const struct herd_msg *m, struct herd_wbuf *w)
{
    uint8_t hdr[HERD_FRAME_HEADER];
    size_t start = w->len;
    herd_frame_header_put(hdr, m->type, 0);
    herd_wbuf_bytes(w, hdr, sizeof hdr);
    herd_msg_encode(m, w);
    herd_wbuf_patch_u32(w, start + 8, (uint32_t)(w->len - start - HERD_FRAME_HEADER));
}

/* ---- decode ---- */

struct dec {
    struct herd_rbuf r;
    const char *msg;  /* message name for errors */
    struct herd_err *e;
    int rc;           /* first error, HERD_OK while fine */
    int borrow;       /* blobs point into the body instead of being copied */
};

__attribute__((format(printf, 4, 5))) static int dfail(struct dec *d, int code, const char *field,
                                                      const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    d->rc = code;
    return herd_err_set(d->e, code, "%s: %s: %s", d->msg, field, what);
}

static int truncated(struct dec *d, const char *field)
{
    return dfail(d, HERD_EPARSE, field, "truncated");
}

/* Reads a u32 count or length and checks it against `limit` and against the
 * bytes left (each item needs at least `min_item` bytes). */
static int get_count(struct dec *d, const char *field, uint32_t limit, size_t min_item,
                     uint32_t *out)
{
    const char *unit = min_item == 1 ? "length" : "count";
    uint32_t n = herd_rbuf_u32(&d->r);
    if (d->r.bad)
        return truncated(d, field);
    if (n > limit)
        return dfail(d, HERD_EPARSE, field, "%s %u over limit %u", unit, n, limit);
    size_t left = herd_rbuf_left(&d->r);
    if ((uint64_t)n * min_item > left)
        return dfail(d, HERD_EPARSE, field, "%s %u needs %llu bytes, %zu left", unit, n,
                     (unsigned long long)n * min_item, left);
    *out = n;
    return HERD_OK;
}

/* A string of at most `limit` bytes without NUL, copied to the heap. */
static int get_str(struct dec *d, const char *field, uint32_t limit, char **out)
{
    uint32_t n;
    if (get_count(d, field, limit, 1, &n) != HERD_OK)
        return d->rc;
    const uint8_t *q = d->r.p + d->r.off; /* get_count checked n bytes remain */
    const uint8_t *nul = memchr(q, 0, n);
    if (nul != NULL)
        return dfail(d, HERD_EPARSE, field, "embedded NUL byte at offset %zu", (size_t)(nul - q));
    char *s = malloc((size_t)n + 1);
    if (s == NULL)
        return dfail(d, HERD_ENOMEM, field, "cannot allocate %u bytes", n + 1);
    memcpy(s, q, n);
    s[n] = '\0';
    d->r.off += n;
    *out = s;
    return HERD_OK;
}

static int get_blob(struct dec *d, const struct field *f, struct herd_msg *m)
{
    uint32_t n;
    if (get_count(d, f->name, f->limit, 1, &n) != HERD_OK)
        return d->rc;
    uint8_t *p = NULL;
    if (n > 0 && d->borrow) {
        p = (uint8_t *)(d->r.p + d->r.off); /* get_count checked n bytes remain */
        d->r.off += n;
    } else if (n > 0) {
        p = malloc(n);
        if (p == NULL)
            return dfail(d, HERD_ENOMEM, f->name, "cannot allocate %u bytes", n);
        herd_rbuf_bytes(&d->r, p, n);
    }
    REF(uint8_t *, m, f->off) = p;
    REF(uint32_t, m, f->count_off) = n;
    return HERD_OK;
}

static int get_strs(struct dec *d, const struct field *f, struct herd_msg *m)
{
    uint32_t n;
    if (get_count(d, f->name, f->limit, 4, &n) != HERD_OK)
        return d->rc;
    if (n == 0)
        return HERD_OK;
    char **v = calloc(n, sizeof *v);
    if (v == NULL)
        return dfail(d, HERD_ENOMEM, f->name, "cannot allocate %u entries", n);
    REF(char **, m, f->off) = v;      /* owned by m from here: free() finds it */
    REF(uint32_t, m, f->count_off) = n;
    for (uint32_t i = 0; i < n; i++) {
        char name[96];
        snprintf(name, sizeof name, "%s[%u]", f->name, i);
        if (get_str(d, name, f->item_limit, &v[i]) != HERD_OK)
            return d->rc;
    }
    return HERD_OK;
}

static int get_u64s(struct dec *d, const struct field *f, struct herd_msg *m)
{
    uint32_t n;
    if (get_count(d, f->name, f->limit, 8, &n) != HERD_OK)
        return d->rc;
    if (n == 0)
        return HERD_OK;
    uint64_t *v = malloc((size_t)n * sizeof *v);
    if (v == NULL)
        return dfail(d, HERD_ENOMEM, f->name, "cannot allocate %u ids", n);
    for (uint32_t i = 0; i < n; i++)
        v[i] = herd_rbuf_u64(&d->r);
    REF(uint64_t *, m, f->off) = v;
    REF(uint32_t, m, f->count_off) = n;
    return HERD_OK;
}

static int get_u8(struct dec *d, const struct field *f, struct herd_msg *m)
{
    uint8_t v = herd_rbuf_u8(&d->r);
    if (d->r.bad)
        return truncated(d, f->name);
    if (f->hi != 0 && (v < f->lo || v > f->hi))
        return dfail(d, HERD_EPARSE, f->name, "value %u outside %u..%u", v, f->lo, f->hi);
    REF(uint8_t, m, f->off) = v;
    return HERD_OK;
}

static int32_t to_i32(uint32_t v)
{
    return v <= INT32_MAX ? (int32_t)v : (int32_t)(v - 0x80000000u) + INT32_MIN;
}

/* Fixed-size scalars: read, then one truncation check. */
static int get_scalar(struct dec *d, const struct field *f, struct herd_msg *m)
{
    switch (f->kind) {
    case F_U16: REF(uint16_t, m, f->off) = herd_rbuf_u16(&d->r); break;
    case F_U32: REF(uint32_t, m, f->off) = herd_rbuf_u32(&d->r); break;
    case F_I32: REF(int32_t, m, f->off) = to_i32(herd_rbuf_u32(&d->r)); break;
    case F_U64: REF(uint64_t, m, f->off) = herd_rbuf_u64(&d->r); break;
    case F_FIXED: herd_rbuf_bytes(&d->r, (uint8_t *)m + f->off, f->limit); break;
    default: break;
    }
    return d->r.bad ? truncated(d, f->name) : HERD_OK;
}

static int decode_field(struct dec *d, const struct field *f, struct herd_msg *m)
{
    switch (f->kind) {
    case F_U8: return get_u8(d, f, m);
    case F_STR: return get_str(d, f->name, f->limit, &REF(char *, m, f->off));
    case F_BLOB: return get_blob(d, f, m);
    case F_STRS: return get_strs(d, f, m);
    case F_U64S: return get_u64s(d, f, m);
    default: return get_scalar(d, f, m);
    }
}

static int decode(uint16_t type, const uint8_t *body, size_t len, int borrow,
                  struct herd_msg *out, struct herd_err *e)
{
    const struct layout *l = layout_of(type);
    if (l == NULL)
        return herd_err_set(e, HERD_EPARSE, "unknown message type %u", (unsigned)type);
    struct herd_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.blobs_borrowed = (uint8_t)borrow;
    struct dec d = {.msg = l->name, .e = e, .rc = HERD_OK, .borrow = borrow};
    herd_rbuf_init(&d.r, len ? body : (const uint8_t *)"", len);
    for (const struct field *f = l->fields; f->kind != F_END; f++) {
        if (f->kind == F_OPT && herd_rbuf_left(&d.r) == 0)
            break;
        if (f->kind != F_OPT && decode_field(&d, f, &m) != HERD_OK)
            goto fail;
    }
    if (herd_rbuf_left(&d.r) != 0) {
        herd_err_set(e, HERD_EPARSE, "%s: %zu trailing bytes after the last field", l->name,
                     herd_rbuf_left(&d.r));
        d.rc = HERD_EPARSE;
        goto fail;
    }
    *out = m;
    return HERD_OK;
fail:
    herd_msg_free(&m);
    return d.rc;
}

int herd_msg_decode(uint16_t type, const uint8_t *body, size_t len, struct herd_msg *out,
                    struct herd_err *e)
{
    return decode(type, body, len, 0, out, e);
}

int herd_msg_decode_view(uint16_t type, const uint8_t *body, size_t len, struct herd_msg *out,
                         struct herd_err *e)
{
    return decode(type, body, len, 1, out, e);
}

int herd_msg_validate(const struct herd_msg *m, struct herd_err *e)
{
    if (layout_of(m->type) == NULL)
        return herd_err_set(e, HERD_EPARSE, "unknown message type %u", (unsigned)m->type);
    struct herd_wbuf w;
    struct herd_msg back;
    herd_wbuf_init(&w);
    herd_msg_encode(m, &w);
    int rc = HERD_OK;
    if (w.len > HERD_FRAME_MAX_DEFAULT)
        rc = herd_err_set(e, HERD_ETOOBIG, "%s: body of %zu bytes over the frame limit %u",
                          herd_msg_type_name(m->type), w.len, HERD_FRAME_MAX_DEFAULT);
    else if ((rc = herd_msg_decode(m->type, w.p, w.len, &back, e)) == HERD_OK)
        herd_msg_free(&back);
    herd_wbuf_fini(&w);
    return rc;
}

/* ---- free and copy ---- */

static void free_field(struct herd_msg *m, const struct field *f)
{
    switch (f->kind) {
    case F_STRS: {
        char **v = REF(char **, m, f->off);
        for (uint32_t i = 0; v != NULL && i < REF(uint32_t, m, f->count_off); i++)
            free(v[i]);
        free(v);
        break;
    }
    case F_BLOB:
        if (!m->blobs_borrowed)
            free(REF(void *, m, f->off));
        break;
    case F_STR:
    case F_U64S: free(REF(void *, m, f->off)); break;
    default: break;
    }
}

void herd_msg_free(struct herd_msg *m)
{
    const struct layout *l = layout_of(m->type);
    for (const struct field *f = l ? l->fields : fields_DRAIN; f->kind != F_END; f++)
        free_field(m, f);
    memset(m, 0, sizeof *m);
}

static void *dup_bytes(const void *p, size_t n)
{
    if (p == NULL || n == 0)
        return NULL;
    void *q = herd_xmalloc(n);
    memcpy(q, p, n);
    return q;
}

static void copy_field(struct herd_msg *dst, const struct field *f)
{
    uint32_t n = f->count_off ? REF(uint32_t, dst, f->count_off) : 0;
    switch (f->kind) {
    case F_STR: {
        char **s = &REF(char *, dst, f->off);
        *s = *s ? herd_xstrdup(*s) : NULL;
        break;
    }
    case F_BLOB: REF(uint8_t *, dst, f->off) = dup_bytes(REF(uint8_t *, dst, f->off), n); break;
    case F_U64S:
        REF(uint64_t *, dst, f->off) = dup_bytes(REF(uint64_t *, dst, f->off), (size_t)n * 8);
        break;
    case F_STRS: {
        char **src = REF(char **, dst, f->off), **v = NULL;
        if (src != NULL && n > 0) {
            v = herd_xcalloc(n, sizeof *v);
            for (uint32_t i = 0; i < n; i++)
                v[i] = src[i] ? herd_xstrdup(src[i]) : NULL;
        }
        REF(char **, dst, f->off) = v;
        break;
    }
    default: break;
    }
}

void herd_msg_copy(struct herd_msg *dst, const struct herd_msg *src)
{
    *dst = *src; /* scalars and fixed arrays; pointers replaced below */
    const struct layout *l = layout_of(src->type);
    if (l == NULL) {
        memset(dst, 0, sizeof *dst);
        return;
    }
    for (const struct field *f = l->fields; f->kind != F_END; f++)
        copy_field(dst, f);
    dst->blobs_borrowed = 0; /* copy_field gave dst its own blobs */
}
