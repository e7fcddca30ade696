#include "check.h"

#include "api/sign.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct herd_secret secret(const char *text)
{
    struct herd_secret s;
    memset(&s, 0, sizeof s);
    s.len = strlen(text);
    memcpy(s.key, text, s.len);
    return s;
}

HERD_TEST(sign_verify_roundtrip_and_tamper)
{
    struct herd_secret s = secret("0123456789abcdef-secret");
    struct herd_sign_replay *r = herd_sign_replay_create();
    struct herd_err e;
    char h[HERD_SIGN_HEADER_MAX];
    uint64_t now = 1700000000000ull;
    const char *body = "{\"tasks\": []}";
    herd_sign_header(&s, "POST", "/v1/jobs", body, strlen(body), now, h);
    CHECK(strncmp(h, "HERD-HMAC ts=1700000000000,nonce=", 33) == 0);
    /* tampered body, path, method, other secret: all refused, nothing recorded */
    CHECK_EQ(herd_sign_verify(&s, r, h, "POST", "/v1/jobs", "{}", 2, now, &e), HERD_EAUTH);
    CHECK_STR(e.msg, "bad mac");
    CHECK_EQ(herd_sign_verify(&s, r, h, "POST", "/v1/jobs/1", body, strlen(body), now, &e),
             HERD_EAUTH);
    CHECK_EQ(herd_sign_verify(&s, r, h, "GET", "/v1/jobs", body, strlen(body), now, &e),
             HERD_EAUTH);
    struct herd_secret other = secret("0123456789abcdef-other!");
    CHECK_EQ(herd_sign_verify(&other, r, h, "POST", "/v1/jobs", body, strlen(body), now, &e),
             HERD_EAUTH);
    CHECK_EQ(herd_sign_replay_size(r), 0);
    CHECK_EQ(herd_sign_verify(&s, r, h, "POST", "/v1/jobs", body, strlen(body), now + 1000, &e),
             HERD_OK);
    CHECK_EQ(herd_sign_replay_size(r), 1);
    CHECK_EQ(herd_sign_verify(&s, r, h, "POST", "/v1/jobs", body, strlen(body), now + 2000, &e),
             HERD_EAUTH);
    CHECK_STR(e.msg, "replayed nonce");
    herd_sign_replay_destroy(r);
}

HERD_TEST(sign_skew_and_expiry)
{
    struct herd_secret s = secret("0123456789abcdef-secret");
    struct herd_sign_replay *r = herd_sign_replay_create();
    struct herd_err e;
    char h[HERD_SIGN_HEADER_MAX];
    uint64_t now = 1700000000000ull;
    herd_sign_header_nonce(&s, "GET", "/v1/health", NULL, 0, now, "00112233445566778899", h);
    CHECK_EQ(herd_sign_verify(&s, r, h, "GET", "/v1/health", NULL, 0,
                              now + HERD_SIGN_SKEW_MS + 1, &e), HERD_EAUTH);
    CHECK(strstr(e.msg, "skew") != NULL);
    CHECK_EQ(herd_sign_verify(&s, r, h, "GET", "/v1/health", NULL, 0,
                              now - HERD_SIGN_SKEW_MS - 1, &e), HERD_EAUTH);
    /* accepted at the far edge of the window, then remembered until it is
     * out of the window for good */
    uint64_t t = now - HERD_SIGN_SKEW_MS;
    CHECK_EQ(herd_sign_verify(&s, r, h, "GET", "/v1/health", NULL, 0, t, &e), HERD_OK);
    CHECK_EQ(herd_sign_verify(&s, r, h, "GET", "/v1/health", NULL, 0, now + HERD_SIGN_SKEW_MS,
                              &e), HERD_EAUTH);
    CHECK_STR(e.msg, "replayed nonce");
    /* many later nonces expire the old one from memory */
    char h2[HERD_SIGN_HEADER_MAX];
    uint64_t later = t + 2ull * HERD_SIGN_SKEW_MS + 10;
    for (int i = 0; i < 500; i++) {
        herd_sign_header(&s, "GET", "/v1/health", NULL, 0, later, h2);
        CHECK_EQ(herd_sign_verify(&s, r, h2, "GET", "/v1/health", NULL, 0, later, &e), HERD_OK);
    }
    CHECK_EQ(herd_sign_replay_size(r), 500);
    herd_sign_replay_destroy(r);
}

HERD_TEST(sign_malformed_headers)
{
    static const char *bad[] = {
        NULL, "", "Bearer abc", "HERD-HMAC", "HERD-HMAC ts=1,nonce=0011223344556677",
        "HERD-HMAC ts=x,nonce=0011223344556677,mac=" /* 64 zeros follow */
        "0000000000000000000000000000000000000000000000000000000000000000",
        "HERD-HMAC ts=1,nonce=00112233,mac="
        "0000000000000000000000000000000000000000000000000000000000000000",
        "HERD-HMAC ts=1,nonce=zz112233445566778899,mac="
        "0000000000000000000000000000000000000000000000000000000000000000",
        "HERD-HMAC ts=1,ts=2,nonce=00112233445566778899,mac="
        "0000000000000000000000000000000000000000000000000000000000000000",
        "HERD-HMAC ts=1,nonce=00112233445566778899,mac=00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct herd_sign_fields f;
        struct herd_err e;
        CHECK_EQ(herd_sign_precheck(bad[i], 1, &f, &e), HERD_EAUTH);
        CHECK(strstr(e.msg, i < 2 ? "missing" : "malformed") != NULL);
    }
    struct herd_sign_fields f;
    struct herd_err e;
    CHECK_EQ(herd_sign_precheck("HERD-HMAC ts=5, nonce=00112233445566778899, mac="
                                "00000000000000000000000000000000000000000000000000000000000000ff",
                                5, &f, &e),
             HERD_OK);
    CHECK_EQ(f.ts_ms, 5);
    CHECK_STR(f.nonce, "00112233445566778899");
    CHECK_EQ(f.mac[31], 0xff);
}

/* The MAC matches an independent HMAC-SHA256 (Python's hmac/hashlib), as the
 * process-test harness computes it. */
HERD_TEST(sign_matches_python_hmac)
{
    if (access("/usr/bin/python3", X_OK) != 0) {
        printf("SKIP sign_matches_python_hmac: /usr/bin/python3 absent\n");
        return;
    }
    struct herd_secret s = secret("0123456789abcdef-secret");
    char h[HERD_SIGN_HEADER_MAX];
    const char *body = "{\"a\": 1}";
    herd_sign_header_nonce(&s, "POST", "/v1/jobs", body, strlen(body), 1234567,
                           "a1b2c3d4e5f60718", h);
    FILE *p = popen("/usr/bin/python3 -c '"
                    "import hmac, hashlib\n"
                    "m = \"\\n\".join([\"POST\", \"/v1/jobs\", \"1234567\", \"a1b2c3d4e5f60718\","
                    " hashlib.sha256(b\"{\\\"a\\\": 1}\").hexdigest()])\n"
                    "print(hmac.new(b\"0123456789abcdef-secret\", m.encode(), "
                    "hashlib.sha256).hexdigest())'",
                    "r");
    CHECK(p != NULL);
    char mac[100] = {0};
    CHECK(fgets(mac, sizeof mac, p) != NULL);
    CHECK_EQ(pclose(p), 0);
    mac[strcspn(mac, "\n")] = '\0';
    CHECK_EQ(strlen(mac), 64);
    const char *got = strstr(h, "mac=");
    CHECK(got != NULL);
    CHECK_STR(got + 4, mac);
}
