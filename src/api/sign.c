#include "api/sign.h"

#include "base/mem.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nonces are kept this long after arrival: a nonce's ts is at most SKEW
 * ahead of its arrival, and it is refused by the clock SKEW after its ts. */
#define KEEP_MS (2ull * HERD_SIGN_SKEW_MS)

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int unhex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The MAC of a request. */
static void request_mac(const struct herd_secret *s, const char *method, const char *path,
                        const void *body, size_t len, uint64_t ts_ms, const char *nonce,
                        uint8_t mac[HERD_MAC_LEN])
{
    uint8_t digest[32];
    char digest_hex[65];
    unsigned dlen = 0;
    EVP_Digest(len ? body : "", len, digest, &dlen, EVP_sha256(), NULL);
    hex(digest, sizeof digest, digest_hex);
    size_t n = strlen(method) + strlen(path) + strlen(nonce) + 128;
    char *msg = herd_xmalloc(n);
    int k = snprintf(msg, n, "%s\n%s\n%" PRIu64 "\n%s\n%s", method, path, ts_ms, nonce,
                     digest_hex);
    herd_auth_hmac(s, msg, (size_t)k, mac);
    free(msg);
}

void herd_sign_header_nonce(const struct herd_secret *s, const char *method, const char *path,
                            const void *body, size_t len, uint64_t ts_ms, const char *nonce,
                            char *out)
{
    uint8_t mac[HERD_MAC_LEN];
    char mac_hex[2 * HERD_MAC_LEN + 1];
    request_mac(s, method, path, body, len, ts_ms, nonce, mac);
    hex(mac, sizeof mac, mac_hex);
    snprintf(out, HERD_SIGN_HEADER_MAX, HERD_SIGN_SCHEME " ts=%" PRIu64 ",nonce=%.128s,mac=%s",
             ts_ms, nonce, mac_hex);
}

void herd_sign_header(const struct herd_secret *s, const char *method, const char *path,
                      const void *body, size_t len, uint64_t ts_ms, char *out)
{
    uint8_t raw[HERD_NONCE_LEN];
    char nonce[2 * 16 + 1];
    herd_auth_nonce(raw);
    hex(raw, 16, nonce);
    herd_sign_header_nonce(s, method, path, body, len, ts_ms, nonce, out);
}

/* ---- header parsing ---- */

/* Copies the value of `key=` from a comma-separated list; -1 if absent,
 * repeated or longer than cap-1. */
static int field(const char *list, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    int found = 0;
    for (const char *p = list; *p;) {
        p += strspn(p, " ");
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t vlen = n - klen - 1;
            if (found++ || vlen >= cap)
                return -1;
            memcpy(out, p + klen + 1, vlen);
            out[vlen] = '\0';
        }
        p += n + (end != NULL);
    }
    return found ? 0 : -1;
}

static int parse_ts(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t n = strlen(s);
    if (n == 0 || n > 19)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_fields(const char *list, struct herd_sign_fields *f)
{
    char ts[32], mac[2 * HERD_MAC_LEN + 2];
    if (field(list, "ts", ts, sizeof ts) || parse_ts(ts, &f->ts_ms))
        return -1;
    if (field(list, "nonce", f->nonce, sizeof f->nonce) || strlen(f->nonce) < 16)
        return -1;
    for (const char *p = f->nonce; *p; p++)
        if (unhex(*p) < 0)
            return -1;
    if (field(list, "mac", mac, sizeof mac) || strlen(mac) != 2 * HERD_MAC_LEN)
        return -1;
    for (size_t i = 0; i < HERD_MAC_LEN; i++) {
        int hi = unhex(mac[2 * i]), lo = unhex(mac[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        f->mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int herd_sign_precheck(const char *header, uint64_t now_ms, struct herd_sign_fields *out,
                       struct herd_err *e)
{
    struct herd_sign_fields f;
    size_t slen = strlen(HERD_SIGN_SCHEME);
    if (header == NULL || header[0] == '\0')
        return herd_err_set(e, HERD_EAUTH, "missing Authorization header");
    if (strncmp(header, HERD_SIGN_SCHEME, slen) != 0 || header[slen] != ' ')
        return herd_err_set(e, HERD_EAUTH, "malformed Authorization header: expected scheme "
                                           HERD_SIGN_SCHEME);
    if (parse_fields(header + slen + 1, &f) != 0)
        return herd_err_set(e, HERD_EAUTH, "malformed Authorization header: expected "
                                           "ts=<ms>,nonce=<16+ hex>,mac=<64 hex>");
    uint64_t skew = f.ts_ms > now_ms ? f.ts_ms - now_ms : now_ms - f.ts_ms;
    if (skew > HERD_SIGN_SKEW_MS)
        return herd_err_set(e, HERD_EAUTH, "timestamp skew of %" PRIu64 " ms exceeds %u s",
                            skew, HERD_SIGN_SKEW_MS / 1000);
    *out = f;
    return HERD_OK;
}

/* ---- replay cache: a chained hash set plus a FIFO by arrival ---- */

struct seen {
    struct seen *chain;  /* next in bucket */
    struct seen *older;  /* FIFO: next to expire after this one */
    uint64_t arrived_ms;
    char nonce[129];
};

struct herd_sign_replay {
    struct seen **buckets;
    size_t nbuckets;
    size_t count;
    struct seen *head, *tail; /* oldest, newest */
};

static size_t hash_nonce(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return (size_t)h;
}

struct herd_sign_replay *herd_sign_replay_create(void)
{
    struct herd_sign_replay *r = herd_xcalloc(1, sizeof *r);
    r->nbuckets = 64;
    r->buckets = herd_xcalloc(r->nbuckets, sizeof *r->buckets);
    return r;
}

void herd_sign_replay_destroy(struct herd_sign_replay *r)
{
    if (r == NULL)
        return;
    for (struct seen *s = r->head, *next; s; s = next) {
        next = s->older;
        free(s);
    }
    free(r->buckets);
    free(r);
}

size_t herd_sign_replay_size(const struct herd_sign_replay *r)
{
    return r->count;
}

static void unlink_chain(struct herd_sign_replay *r, struct seen *s)
{
    struct seen **pp = &r->buckets[hash_nonce(s->nonce) % r->nbuckets];
    while (*pp != s)
        pp = &(*pp)->chain;
    *pp = s->chain;
}

static void expire(struct herd_sign_replay *r, uint64_t now_ms)
{
    while (r->head && r->head->arrived_ms + KEEP_MS < now_ms) {
        struct seen *s = r->head;
        r->head = s->older;
        if (r->head == NULL)
            r->tail = NULL;
        unlink_chain(r, s);
        r->count--;
        free(s);
    }
}

static void rehash(struct herd_sign_replay *r)
{
    size_t n = r->nbuckets * 4;
    struct seen **b = herd_xcalloc(n, sizeof *b);
    for (struct seen *s = r->head; s; s = s->older) {
        size_t i = hash_nonce(s->nonce) % n;
        s->chain = b[i];
        b[i] = s;
    }
    free(r->buckets);
    r->buckets = b;
    r->nbuckets = n;
}

/* 1 if the nonce was seen (and is still remembered); else records it. */
static int seen_or_add(struct herd_sign_replay *r, const char *nonce, uint64_t now_ms)
{
    expire(r, now_ms);
    for (struct seen *s = r->buckets[hash_nonce(nonce) % r->nbuckets]; s; s = s->chain)
        if (strcmp(s->nonce, nonce) == 0)
            return 1;
    if (r->count >= r->nbuckets * 2)
        rehash(r);
    struct seen *s = herd_xcalloc(1, sizeof *s);
    snprintf(s->nonce, sizeof s->nonce, "%s", nonce);
    s->arrived_ms = now_ms;
    size_t i = hash_nonce(nonce) % r->nbuckets;
    s->chain = r->buckets[i];
    r->buckets[i] = s;
    if (r->tail)
        r->tail->older = s;
    else
        r->head = s;
    r->tail = s;
    r->count++;
    return 0;
}

int herd_sign_verify(const struct herd_secret *s, struct herd_sign_replay *r, const char *header,
                     const char *method, const char *path, const void *body, size_t len,
                     uint64_t now_ms, struct herd_err *e)
{
    struct herd_sign_fields f;
    int rc = herd_sign_precheck(header, now_ms, &f, e);
    if (rc != HERD_OK)
        return rc;
    uint8_t want[HERD_MAC_LEN];
    request_mac(s, method, path, body, len, f.ts_ms, f.nonce, want);
    if (!herd_auth_equal(want, f.mac))
        return herd_err_set(e, HERD_EAUTH, "bad mac");
    if (seen_or_add(r, f.nonce, now_ms))
        return herd_err_set(e, HERD_EAUTH, "replayed nonce");
    return HERD_OK;
}
