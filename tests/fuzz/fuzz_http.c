/* fuzz_http — libFuzzer target for what the HTTP API decodes from a request
 * before any handler runs: the route match over the one route table, the id
 * captures, and the HERD-HMAC Authorization check (precheck + MAC + replay
 * cache) with a fixed secret. libmicrohttpd itself parses the request line and
 * headers; this covers herd's own code on the bytes it hands us.
 *
 * Input: "METHOD\nPATH\nAUTHORIZATION\nBODY..." (missing parts are empty).
 * Properties: a route match yields captures that are the path's segments; a
 * parsed id prints back to the same text; a request signed by
 * herd_sign_header_nonce verifies once and is refused as a replay after. */
#include "api/http_int.h"
#include "api/sign.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW_MS 1700000000000ull

static void require(int cond)
{
    if (!cond)
        abort();
}

/* Splits off the text up to the next '\n' as a fresh NUL-terminated string. */
static char *take_line(const uint8_t **p, size_t *n)
{
    const uint8_t *nl = memchr(*p, '\n', *n);
    size_t k = nl ? (size_t)(nl - *p) : *n;
    char *s = malloc(k + 1);
    if (s == NULL)
        abort();
    memcpy(s, *p, k);
    s[k] = '\0';
    *p += nl ? k + 1 : k;
    *n -= nl ? k + 1 : k;
    return s;
}

static void check_id(const char *cap, uint64_t max)
{
    uint64_t v;
    if (herd_http_parse_id(cap, max, &v) != 0)
        return;
    char back[32];
    snprintf(back, sizeof back, "%" PRIu64, v);
    require(v <= max && strcmp(back, cap) == 0);
}

static void check_routes(const char *path)
{
    for (size_t i = 0; i < herd_http_nroutes; i++) {
        char caps[3][80];
        memset(caps, 0, sizeof caps);
        if (!herd_http_route_match(herd_http_routes[i].pattern, path, caps))
            continue;
        for (int k = 0; k < 2; k++) {
            require(memchr(caps[k], '\0', 80) != NULL);
            require(strchr(caps[k], '/') == NULL);
            check_id(caps[k], k == 0 ? UINT64_MAX : UINT32_MAX);
        }
    }
}

static void check_auth(const struct herd_secret *s, const char *method, const char *path,
                       const char *auth, const uint8_t *body, size_t len)
{
    struct herd_sign_replay *r = herd_sign_replay_create();
    struct herd_err e;
    /* Whatever the header says, it must not crash; almost surely it fails. */
    herd_sign_verify(s, r, auth, method, path, body, len, NOW_MS, &e);
    /* A genuinely signed request verifies exactly once. */
    char hdr[HERD_SIGN_HEADER_MAX];
    herd_sign_header_nonce(s, method, path, body, len, NOW_MS, "00112233445566778899aabbccddeeff",
                           hdr);
    int first = herd_sign_verify(s, r, hdr, method, path, body, len, NOW_MS, &e);
    int second = herd_sign_verify(s, r, hdr, method, path, body, len, NOW_MS, &e);
    require(first == HERD_OK || strcmp(auth, hdr) == 0);
    require(second != HERD_OK);
    herd_sign_replay_destroy(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct herd_secret secret;
    if (secret.len == 0) {
        secret.len = 32;
        memset(secret.key, 'k', secret.len);
    }
    char *method = take_line(&data, &size);
    char *path = take_line(&data, &size);
    char *auth = take_line(&data, &size);
    check_routes(path);
    check_auth(&secret, method, path, auth, data, size);
    free(method);
    free(path);
    free(auth);
    return 0;
}
