#include "check.h"

#include "base/bytes.h"
#include "wire/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct herd_secret secret_of(const char *s)
{
    struct herd_secret k;
    memset(&k, 0, sizeof k);
    k.len = strlen(s);
    memcpy(k.key, s, k.len);
    return k;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 3);
}

HERD_TEST(auth_worker_mac_depends_on_every_input)
{
    struct herd_secret s = secret_of("correct horse battery staple"), s2 = s;
    uint8_t mn[HERD_NONCE_LEN], wn[HERD_NONCE_LEN], base[HERD_MAC_LEN], again[HERD_MAC_LEN],
        other[HERD_MAC_LEN];
    fill(mn, sizeof mn, 1);
    fill(wn, sizeof wn, 2);
    herd_auth_worker_mac(&s, mn, wn, "w-1", base);
    herd_auth_worker_mac(&s, mn, wn, "w-1", again);
    CHECK(herd_auth_equal(base, again)); /* deterministic */

    s2.key[s2.len - 1] ^= 1;
    herd_auth_worker_mac(&s2, mn, wn, "w-1", other);
    CHECK(!herd_auth_equal(base, other));
    s2 = s;
    s2.len--; /* a prefix of the secret is a different secret */
    herd_auth_worker_mac(&s2, mn, wn, "w-1", other);
    CHECK(!herd_auth_equal(base, other));

    mn[HERD_NONCE_LEN - 1] ^= 0x80;
    herd_auth_worker_mac(&s, mn, wn, "w-1", other);
    CHECK(!herd_auth_equal(base, other));
    mn[HERD_NONCE_LEN - 1] ^= 0x80;

    wn[0] ^= 1;
    herd_auth_worker_mac(&s, mn, wn, "w-1", other);
    CHECK(!herd_auth_equal(base, other));
    wn[0] ^= 1;

    herd_auth_worker_mac(&s, mn, wn, "w-2", other);
    CHECK(!herd_auth_equal(base, other));
    herd_auth_worker_mac(&s, mn, wn, "w-1x", other);
    CHECK(!herd_auth_equal(base, other));
    /* swapping the nonces is a different proof (no reflection) */
    herd_auth_worker_mac(&s, wn, mn, "w-1", other);
    CHECK(!herd_auth_equal(base, other));
}

HERD_TEST(auth_master_mac_depends_on_inputs_and_differs_from_worker)
{
    struct herd_secret s = secret_of("0123456789abcdef0123");
    uint8_t mn[HERD_NONCE_LEN], wn[HERD_NONCE_LEN], m1[HERD_MAC_LEN], m2[HERD_MAC_LEN],
        w[HERD_MAC_LEN];
    fill(mn, sizeof mn, 9);
    fill(wn, sizeof wn, 200);
    herd_auth_master_mac(&s, wn, mn, m1);
    herd_auth_master_mac(&s, wn, mn, m2);
    CHECK(herd_auth_equal(m1, m2));
    herd_auth_master_mac(&s, mn, wn, m2); /* nonce order matters */
    CHECK(!herd_auth_equal(m1, m2));
    wn[5] ^= 4;
    herd_auth_master_mac(&s, wn, mn, m2);
    CHECK(!herd_auth_equal(m1, m2));
    wn[5] ^= 4;
    /* a worker proof can never be replayed as the master's (labels differ) */
    herd_auth_worker_mac(&s, wn, mn, "", w);
    CHECK(!herd_auth_equal(m1, w));
    herd_auth_worker_mac(&s, mn, wn, "", w);
    CHECK(!herd_auth_equal(m1, w));
}

/* The proofs are exactly the HMACs of the byte strings docs/protocol.md
 * specifies, computed through the plain herd_auth_hmac. */
HERD_TEST(auth_proofs_match_spec_construction)
{
    struct herd_secret s = secret_of("a-secret-of-some-length");
    uint8_t mn[HERD_NONCE_LEN], wn[HERD_NONCE_LEN], got[HERD_MAC_LEN], want[HERD_MAC_LEN];
    fill(mn, sizeof mn, 50);
    fill(wn, sizeof wn, 60);
    struct herd_wbuf w;
    herd_wbuf_init(&w);
    herd_wbuf_bytes(&w, "herd-worker\0", 12);
    herd_wbuf_bytes(&w, mn, sizeof mn);
    herd_wbuf_bytes(&w, wn, sizeof wn);
    herd_wbuf_bytes(&w, "node-7", 6);
    herd_auth_hmac(&s, w.p, w.len, want);
    herd_auth_worker_mac(&s, mn, wn, "node-7", got);
    CHECK(memcmp(got, want, HERD_MAC_LEN) == 0);
    herd_wbuf_reset(&w);
    herd_wbuf_bytes(&w, "herd-master\0", 12);
    herd_wbuf_bytes(&w, wn, sizeof wn);
    herd_wbuf_bytes(&w, mn, sizeof mn);
    herd_auth_hmac(&s, w.p, w.len, want);
    herd_auth_master_mac(&s, wn, mn, got);
    CHECK(memcmp(got, want, HERD_MAC_LEN) == 0);
    herd_wbuf_fini(&w);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = '\0';
}

/* HMAC-SHA256 checked against an independent implementation (Python's hmac
 * module), computed at test time. */
HERD_TEST(auth_hmac_matches_python_oracle)
{
    if (access("/usr/bin/python3", X_OK) != 0) {
        printf("    skipped: /usr/bin/python3 not available as an HMAC oracle\n");
        return;
    }
    struct herd_secret s = secret_of("key with \x01 binary \xff bytes!");
    uint8_t data[300], mac[HERD_MAC_LEN];
    fill(data, sizeof data, 77);
    herd_auth_hmac(&s, data, sizeof data, mac);
    char khex[2 * 64 + 1], dhex[2 * sizeof data + 1], mhex[2 * HERD_MAC_LEN + 1], cmd[1024];
    hex(s.key, s.len, khex);
    hex(data, sizeof data, dhex);
    hex(mac, sizeof mac, mhex);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import hmac,hashlib,sys; print(hmac.new(bytes.fromhex(sys.argv[1]),"
             " bytes.fromhex(sys.argv[2]), hashlib.sha256).hexdigest())' %s %s",
             khex, dhex);
    FILE *f = popen(cmd, "r");
    CHECK(f != NULL);
    char line[128] = "";
    CHECK(fgets(line, sizeof line, f) != NULL);
    pclose(f);
    line[strcspn(line, "\n")] = '\0';
    CHECK_STR(line, mhex);
}

HERD_TEST(auth_empty_key_is_consistent_and_distinct)
{
    struct herd_secret none;
    memset(&none, 0, sizeof none);
    struct herd_secret s = secret_of("0123456789abcdef");
    uint8_t a[HERD_MAC_LEN], b[HERD_MAC_LEN], c[HERD_MAC_LEN];
    herd_auth_hmac(NULL, "x", 1, a);
    herd_auth_hmac(&none, "x", 1, b);
    herd_auth_hmac(&s, "x", 1, c);
    CHECK(herd_auth_equal(a, b));
    CHECK(!herd_auth_equal(a, c));
}

HERD_TEST(auth_equal_compares_every_byte)
{
    uint8_t a[HERD_MAC_LEN], b[HERD_MAC_LEN];
    fill(a, sizeof a, 5);
    memcpy(b, a, sizeof a);
    CHECK_EQ(herd_auth_equal(a, b), 1);
    for (int i = 0; i < HERD_MAC_LEN; i++) {
        b[i] ^= 0x01;
        CHECK_EQ(herd_auth_equal(a, b), 0);
        b[i] ^= 0x01;
    }
}

HERD_TEST(auth_nonces_are_fresh)
{
    uint8_t a[HERD_NONCE_LEN], b[HERD_NONCE_LEN], zero[HERD_NONCE_LEN] = {0};
    herd_auth_nonce(a);
    herd_auth_nonce(b);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK(memcmp(a, zero, sizeof a) != 0);
}

/* ---- secret files ---- */

struct tmp {
    char dir[256];
    char path[300];
};

static void tmp_write(struct tmp *t, const void *p, size_t n, mode_t mode)
{
    const char *base = getenv("TMPDIR");
    snprintf(t->dir, sizeof t->dir, "%s/herd-auth-XXXXXX", base && *base ? base : "/tmp");
    CHECK(mkdtemp(t->dir) != NULL);
    snprintf(t->path, sizeof t->path, "%s/secret", t->dir);
    FILE *f = fopen(t->path, "wb");
    CHECK(f != NULL);
    CHECK_EQ(fwrite(p, 1, n, f), n);
    fclose(f);
    chmod(t->path, mode);
}

static void tmp_remove(struct tmp *t)
{
    unlink(t->path);
    rmdir(t->dir);
}

static int load(const void *content, size_t n, struct herd_secret *s, struct herd_err *e)
{
    struct tmp t;
    tmp_write(&t, content, n, 0600);
    int rc = herd_secret_load(t.path, s, e);
    tmp_remove(&t);
    return rc;
}

HERD_TEST(secret_load_strips_one_newline)
{
    struct herd_secret s;
    struct herd_err e;
    CHECK_EQ(load("0123456789abcdef\n", 17, &s, &e), HERD_OK);
    CHECK_EQ(s.len, 16);
    CHECK(memcmp(s.key, "0123456789abcdef", 16) == 0);
    CHECK_EQ(load("0123456789abcdef", 16, &s, &e), HERD_OK);
    CHECK_EQ(s.len, 16);
    CHECK_EQ(load("0123456789abcdef\n\n", 18, &s, &e), HERD_OK);
    CHECK_EQ(s.len, 17); /* only one newline is stripped */
    CHECK_EQ(s.key[16], '\n');
    /* binary secrets with NUL bytes are whole */
    CHECK_EQ(load("\0\1\2\3\4\5\6\7\0\1\2\3\4\5\6\7\0", 17, &s, &e), HERD_OK);
    CHECK_EQ(s.len, 17);
}

HERD_TEST(secret_load_rejects_short_and_long_without_leaking)
{
    struct herd_secret s;
    struct herd_err e;
    s.len = 777;
    CHECK_EQ(load("shortsecret15ch\n", 16, &s, &e), HERD_EINVAL);
    CHECK_EQ(s.len, 777); /* out untouched */
    CHECK(strstr(e.msg, "too short") != NULL);
    CHECK(strstr(e.msg, "/secret") != NULL); /* names the path */
    CHECK(strstr(e.msg, "shortsecret") == NULL); /* never the content */
    CHECK_EQ(load("", 0, &s, &e), HERD_EINVAL);

    char *big = malloc(HERD_SECRET_MAX + 2);
    memset(big, 's', HERD_SECRET_MAX + 1);
    big[HERD_SECRET_MAX] = '\n';
    CHECK_EQ(load(big, HERD_SECRET_MAX + 1, &s, &e), HERD_OK); /* max + newline */
    CHECK_EQ(s.len, HERD_SECRET_MAX);
    big[HERD_SECRET_MAX] = 's';
    s.len = 777;
    CHECK_EQ(load(big, HERD_SECRET_MAX + 1, &s, &e), HERD_EINVAL);
    CHECK(strstr(e.msg, "longer than") != NULL);
    CHECK(strstr(e.msg, "sss") == NULL);
    CHECK_EQ(s.len, 777);
    free(big);
}

HERD_TEST(secret_load_unreadable_paths)
{
    struct herd_secret s;
    struct herd_err e;
    s.len = 777;
    CHECK_EQ(herd_secret_load("/nonexistent-herd-dir/secret", &s, &e), HERD_EIO);
    CHECK(strstr(e.msg, "/nonexistent-herd-dir/secret") != NULL);
    CHECK_EQ(s.len, 777);
    struct tmp t;
    tmp_write(&t, "0123456789abcdef", 16, 0600);
    CHECK_EQ(herd_secret_load(t.dir, &s, &e), HERD_EIO); /* a directory */
    CHECK(strstr(e.msg, t.dir) != NULL);
    CHECK_EQ(s.len, 777);
    if (geteuid() != 0) { /* root reads anything */
        chmod(t.path, 0);
        CHECK_EQ(herd_secret_load(t.path, &s, &e), HERD_EIO);
        CHECK_EQ(s.len, 777);
    }
    tmp_remove(&t);
}
