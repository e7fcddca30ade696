/* Design notes. A session owns an SSL object whose read and write BIOs are
 * OpenSSL memory BIOs: herd_tls_feed() pushes socket bytes into the read
 * BIO and pulls whatever OpenSSL produced out of the write BIO (handshake
 * records, alerts, application records) through io->emit. OpenSSL never
 * touches a file descriptor, so libuv keeps sole ownership of the socket
 * and every call returns at once (WANT_READ just means "feed me more").
 * Plaintext written before the handshake ends waits in `pending`. */
#include "net/tls.h"

#include "base/bytes.h"
#include "base/log.h"
#include "base/mem.h"
#include "wire/frame.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct herd_tls {
    SSL_CTX *ctx;
    enum herd_tls_role role;
    int verify;
};

struct herd_tls_session {
    SSL *ssl;
    BIO *rbio, *wbio; /* owned by ssl */
    struct herd_wbuf pending;
    int ready;
    int failed;
    int got_plain;  /* the peer's first application byte arrived */
    int refused;    /* failed before that: certificate, alert, not TLS */
    int plain_peer; /* the peer's first bytes were a plain herd frame header */
    size_t seen;    /* bytes fed so far, up to 4 */
    uint8_t first[4];
};

static void die_oom(void)
{
    herd_error("tls", "out of memory creating a TLS session");
    abort();
}

/* OpenSSL's most recent reason (or the certificate verdict) into e. */
static int tls_fail(SSL *ssl, struct herd_err *e, const char *what)
{
    char buf[256] = "unknown error";
    unsigned long code = ERR_get_error();
    if (code != 0)
        ERR_error_string_n(code, buf, sizeof buf);
    long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    ERR_clear_error();
    if (v != X509_V_OK)
        return herd_err_set(e, HERD_EAUTH, "%s: %s (certificate: %s)", what, buf,
                            X509_verify_cert_error_string(v));
    return herd_err_set(e, HERD_EAUTH, "%s: %s", what, buf);
}

/* Loads one PEM file into ctx; on failure e says which file and why. */
static int load_one(SSL_CTX *ctx, int what, const char *path, struct herd_err *e)
{
    int ok = 0;
    if (what == 0)
        ok = SSL_CTX_use_certificate_chain_file(ctx, path) == 1;
    else if (what == 1)
        ok = SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM) == 1 &&
             SSL_CTX_check_private_key(ctx) == 1;
    else
        ok = SSL_CTX_load_verify_locations(ctx, path, NULL) == 1;
    if (ok)
        return HERD_OK;
    static const char *const names[] = {"certificate", "key", "CA"};
    tls_fail(NULL, e, path);
    herd_err_wrap(e, "TLS %s ", names[what]);
    if (e)
        e->code = HERD_EIO;
    return HERD_EIO;
}

static int load_files(SSL_CTX *ctx, const struct herd_tls_config *cfg, struct herd_err *e)
{
    int rc = HERD_OK;
    if (cfg->cert)
        rc = load_one(ctx, 0, cfg->cert, e);
    if (rc == HERD_OK && cfg->key)
        rc = load_one(ctx, 1, cfg->key, e);
    if (rc == HERD_OK && cfg->ca)
        rc = load_one(ctx, 2, cfg->ca, e);
    return rc;
}

int herd_tls_create(enum herd_tls_role role, const struct herd_tls_config *cfg,
                    struct herd_tls **out, struct herd_err *e)
{
    if (role == HERD_TLS_SERVER && (cfg->cert == NULL || cfg->key == NULL))
        return herd_err_set(e, HERD_EINVAL, "TLS: the master needs --tls-cert and --tls-key");
    if ((cfg->cert == NULL) != (cfg->key == NULL))
        return herd_err_set(e, HERD_EINVAL, "TLS: --tls-cert and --tls-key go together");
    SSL_CTX *ctx = SSL_CTX_new(role == HERD_TLS_SERVER ? TLS_server_method() : TLS_client_method());
    if (ctx == NULL)
        return tls_fail(NULL, e, "TLS context");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    int rc = load_files(ctx, cfg, e);
    if (rc != HERD_OK) {
        SSL_CTX_free(ctx);
        return rc;
    }
    int mode = SSL_VERIFY_NONE;
    if (cfg->ca)
        mode = SSL_VERIFY_PEER | (role == HERD_TLS_SERVER ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
    SSL_CTX_set_verify(ctx, mode, NULL);
    struct herd_tls *t = herd_xcalloc(1, sizeof *t);
    t->ctx = ctx;
    t->role = role;
    t->verify = cfg->ca != NULL;
    if (!t->verify)
        herd_warn("tls", "no --tls-ca: the peer's certificate is not verified "
                         "(encryption only; the cluster secret still authenticates)");
    *out = t;
    return HERD_OK;
}

void herd_tls_destroy(struct herd_tls *t)
{
    if (t == NULL)
        return;
    SSL_CTX_free(t->ctx);
    free(t);
}

static void set_peer_name(SSL *ssl, const char *name)
{
    unsigned char tmp[16];
    if (inet_pton(AF_INET, name, tmp) == 1 || inet_pton(AF_INET6, name, tmp) == 1) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
        return;
    }
    SSL_set_tlsext_host_name(ssl, name);
    SSL_set1_host(ssl, name);
}

struct herd_tls_session *herd_tls_session_create(struct herd_tls *t, const char *peer_name)
{
    struct herd_tls_session *s = herd_xcalloc(1, sizeof *s);
    s->ssl = SSL_new(t->ctx);
    s->rbio = BIO_new(BIO_s_mem());
    s->wbio = BIO_new(BIO_s_mem());
    if (s->ssl == NULL || s->rbio == NULL || s->wbio == NULL)
        die_oom();
    BIO_set_mem_eof_return(s->rbio, -1); /* empty = "retry", not end of stream */
    SSL_set_bio(s->ssl, s->rbio, s->wbio);
    if (t->role == HERD_TLS_SERVER) {
        SSL_set_accept_state(s->ssl);
    } else {
        SSL_set_connect_state(s->ssl);
        if (t->verify && peer_name != NULL && peer_name[0] != '\0')
            set_peer_name(s->ssl, peer_name);
    }
    herd_wbuf_init(&s->pending);
    return s;
}

void herd_tls_session_destroy(struct herd_tls_session *s)
{
    if (s == NULL)
        return;
    SSL_free(s->ssl);
    herd_wbuf_fini(&s->pending);
    free(s);
}

int herd_tls_ready(const struct herd_tls_session *s)
{
    return s->ready;
}

int herd_tls_refused(const struct herd_tls_session *s)
{
    return s->failed && s->refused;
}

/* Hands every byte OpenSSL wrote to the socket. */
static void flush_out(struct herd_tls_session *s, const struct herd_tls_io *io)
{
    uint8_t buf[16384];
    int k;
    while ((k = BIO_read(s->wbio, buf, sizeof buf)) > 0)
        io->emit(io->arg, buf, (size_t)k);
}

/* The session failed: refused if no application byte had come yet. */
static int session_fail(struct herd_tls_session *s, struct herd_err *e, const char *what)
{
    s->failed = 1;
    s->refused = !s->got_plain;
    if (s->plain_peer && !s->ready) {
        ERR_clear_error();
        return herd_err_set(e, HERD_EAUTH, "%s: the peer speaks plain herd frames, not TLS "
                                           "(TLS must be configured on both ends)", what);
    }
    return tls_fail(s->ssl, e, what);
}

static int encrypt(struct herd_tls_session *s, const uint8_t *p, size_t n,
                   const struct herd_tls_io *io, struct herd_err *e)
{
    while (n > 0) {
        int chunk = n > (1u << 30) ? 1 << 30 : (int)n;
        int k = SSL_write(s->ssl, p, chunk);
        if (k <= 0)
            return session_fail(s, e, "TLS write");
        p += k;
        n -= (size_t)k;
    }
    flush_out(s, io);
    return HERD_OK;
}

static int handshake(struct herd_tls_session *s, const struct herd_tls_io *io,
                     struct herd_err *e)
{
    int rc = SSL_do_handshake(s->ssl);
    flush_out(s, io); /* our next flight, or an alert telling the peer why */
    if (rc == 1) {
        s->ready = 1;
        herd_debug("tls", "handshake done: %s, %s", SSL_get_version(s->ssl),
                   SSL_get_cipher_name(s->ssl));
        rc = encrypt(s, s->pending.p, s->pending.len, io, e);
        herd_wbuf_reset(&s->pending);
        return rc;
    }
    int err = SSL_get_error(s->ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        return HERD_OK;
    return session_fail(s, e, "TLS handshake");
}

int herd_tls_start(struct herd_tls_session *s, const struct herd_tls_io *io, struct herd_err *e)
{
    return handshake(s, io, e);
}

/* Decrypts everything buffered and hands it on. */
static int drain_plain(struct herd_tls_session *s, const struct herd_tls_io *io,
                       struct herd_err *e)
{
    uint8_t buf[16384];
    for (;;) {
        int k = SSL_read(s->ssl, buf, sizeof buf);
        if (k > 0) {
            s->got_plain = 1;
            if (io->plain(io->arg, buf, (size_t)k) != 0)
                return HERD_ECLOSED;
            continue;
        }
        int err = SSL_get_error(s->ssl, k);
        flush_out(s, io); /* e.g. a key update answer */
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
            return HERD_OK;
        if (err == SSL_ERROR_ZERO_RETURN)
            return herd_err_set(e, HERD_ECLOSED, "peer closed TLS");
        return session_fail(s, e, "TLS record");
    }
}

int herd_tls_feed(struct herd_tls_session *s, const uint8_t *p, size_t n,
                  const struct herd_tls_io *io, struct herd_err *e)
{
    if (s->failed)
        return herd_err_set(e, HERD_EAUTH, "TLS session already failed");
    if (n > 0 && BIO_write(s->rbio, p, (int)n) != (int)n)
        die_oom();
    for (size_t i = 0; s->seen < sizeof s->first && i < n; i++)
        s->first[s->seen++] = p[i];
    if (s->seen == sizeof s->first)
        s->plain_peer = herd_get_u32(s->first) == HERD_FRAME_MAGIC;
    if (!s->ready) {
        int rc = handshake(s, io, e);
        if (rc != HERD_OK || !s->ready)
            return rc;
    }
    return drain_plain(s, io, e);
}

int herd_tls_write(struct herd_tls_session *s, const uint8_t *p, size_t n,
                   const struct herd_tls_io *io, struct herd_err *e)
{
    if (s->failed)
        return herd_err_set(e, HERD_EAUTH, "TLS session already failed");
    if (!s->ready) {
        herd_wbuf_bytes(&s->pending, p, n);
        return HERD_OK;
    }
    return encrypt(s, p, n, io, e);
}
