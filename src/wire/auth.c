/* auth — cluster secret loading and the HMAC-SHA256 proofs (OpenSSL 3).
 *
 * Design notes. Each proof is one HMAC over a domain label and the inputs,
 * fed piecewise through EVP_MAC so nothing secret is copied into temporary
 * buffers. The labels ("herd-worker\0", "herd-master\0") keep a worker proof
 * from ever being replayed as a master proof, and the worker id comes last
 * so its variable length cannot shift another field. If libcrypto fails
 * (no HMAC provider), the proof is filled with random bytes: it will not
 * match, so authentication fails closed, and the failure is logged. */
#include "wire/auth.h"

#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_MIN 16

static const char worker_label[] = "herd-worker"; /* sizeof includes the \0 */
static const char master_label[] = "herd-master";

void herd_auth_nonce(uint8_t out[HERD_NONCE_LEN])
{
    if (RAND_bytes(out, HERD_NONCE_LEN) != 1) {
        /* No CSPRNG: nothing can be authenticated safely. */
        herd_error("auth", "RAND_bytes failed: the OS random source is unavailable");
        abort();
    }
}

/* The HMAC algorithm object is fetched once and shared (EVP_MAC is
 * reference-counted and safe to use from several threads). */
static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void fetch_hmac(void)
{
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

struct piece {
    const void *p;
    size_t n;
};

/* HMAC-SHA256(key, pieces[0] || ... || pieces[n-1]) into out. */
static void hmac_pieces(const struct herd_secret *s, const struct piece *pieces, size_t n,
                        uint8_t out[HERD_MAC_LEN])
{
    static const uint8_t no_key[1];
    const uint8_t *key = s && s->len ? s->key : no_key;
    size_t keylen = s ? s->len : 0, outlen = 0;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    pthread_once(&hmac_once, fetch_hmac);
    EVP_MAC_CTX *ctx = hmac_alg ? EVP_MAC_CTX_new(hmac_alg) : NULL;
    int ok = ctx != NULL && EVP_MAC_init(ctx, key, keylen, params) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_MAC_update(ctx, pieces[i].p, pieces[i].n) == 1;
    ok = ok && EVP_MAC_final(ctx, out, &outlen, HERD_MAC_LEN) == 1 && outlen == HERD_MAC_LEN;
    EVP_MAC_CTX_free(ctx);
    if (!ok) {
        herd_error("auth", "HMAC-SHA256 unavailable in libcrypto; refusing to authenticate");
        herd_auth_nonce(out); /* fail closed: a random proof never verifies */
    }
}

void herd_auth_hmac(const struct herd_secret *s, const void *data, size_t len,
                    uint8_t out[HERD_MAC_LEN])
{
    struct piece p[] = {{data, len}};
    hmac_pieces(s, p, 1, out);
}

void herd_auth_worker_mac(const struct herd_secret *s, const uint8_t master_nonce[HERD_NONCE_LEN],
                          const uint8_t worker_nonce[HERD_NONCE_LEN], const char *worker_id,
                          uint8_t out[HERD_MAC_LEN])
{
    struct piece p[] = {
        {worker_label, sizeof worker_label},
        {master_nonce, HERD_NONCE_LEN},
        {worker_nonce, HERD_NONCE_LEN},
        {worker_id ? worker_id : "", worker_id ? strlen(worker_id) : 0},
    };
    hmac_pieces(s, p, sizeof p / sizeof p[0], out);
}

void herd_auth_master_mac(const struct herd_secret *s, const uint8_t worker_nonce[HERD_NONCE_LEN],
                          const uint8_t master_nonce[HERD_NONCE_LEN], uint8_t out[HERD_MAC_LEN])
{
    struct piece p[] = {
        {master_label, sizeof master_label},
        {worker_nonce, HERD_NONCE_LEN},
        {master_nonce, HERD_NONCE_LEN},
    };
    hmac_pieces(s, p, sizeof p / sizeof p[0], out);
}

int herd_auth_equal(const uint8_t a[HERD_MAC_LEN], const uint8_t b[HERD_MAC_LEN])
{
    return CRYPTO_memcmp(a, b, HERD_MAC_LEN) == 0;
}

/* Reads at most `cap` bytes of fd into buf; *n is the count. -1 on error. */
static int read_all(int fd, uint8_t *buf, size_t cap, size_t *n)
{
    size_t have = 0;
    while (have < cap) {
        ssize_t k = read(fd, buf + have, cap - have);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        have += (size_t)k;
    }
    *n = have;
    return 0;
}

static void warn_if_shared(int fd, const char *path)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        herd_warn("auth", "secret file %s is accessible to group or others (mode %03o); "
                          "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
}

int herd_secret_load(const char *path, struct herd_secret *out, struct herd_err *e)
{
    /* One byte beyond the largest accepted secret plus its newline, so an
     * oversized file is detected without reading all of it. */
    uint8_t buf[HERD_SECRET_MAX + 2];
    size_t n = 0;
    int rc = HERD_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return herd_err_set(e, HERD_EIO, "secret file %s: %s", path, strerror(errno));
    if (read_all(fd, buf, sizeof buf, &n) != 0) {
        rc = herd_err_set(e, HERD_EIO, "secret file %s: %s", path, strerror(errno));
        goto fail;
    }
    warn_if_shared(fd, path);
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n < SECRET_MIN) {
        rc = herd_err_set(e, HERD_EINVAL, "secret file %s: secret too short (%zu bytes, need %d)",
                          path, n, SECRET_MIN);
        goto fail;
    }
    if (n > HERD_SECRET_MAX) {
        rc = herd_err_set(e, HERD_EINVAL, "secret file %s: secret longer than %d bytes", path,
                          HERD_SECRET_MAX);
        goto fail;
    }
    out->len = n;
    memcpy(out->key, buf, n);
fail:
    OPENSSL_cleanse(buf, sizeof buf);
    close(fd);
    return rc;
}
