/* TLS sessions over memory (net/tls.h): a client and a server session are
 * pumped into each other by hand, with certificates made in the test. */
#include "check.h"
#include "net/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- a throwaway PKI in a temp dir --- */

struct pki {
    char dir[64];
    char ca[128], cert[128], key[128], other_ca[128];
};

static EVP_PKEY *new_key(void)
{
    return EVP_EC_gen("P-256");
}

static X509 *new_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                      const char *san)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(random() & 0xffffff));
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, san ? NID_subject_alt_name
                                                             : NID_basic_constraints,
                                              san ? san : "critical,CA:TRUE");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
    return x;
}

static void write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    if (x)
        PEM_write_X509(f, x);
    if (k)
        PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
}

static void make_pki(struct pki *p)
{
    snprintf(p->dir, sizeof p->dir, "/tmp/herd-tls-XXXXXX");
    CHECK(mkdtemp(p->dir) != NULL);
    EVP_PKEY *cak = new_key(), *k = new_key(), *ok = new_key();
    X509 *ca = new_cert(cak, "ca", NULL, NULL, NULL);
    X509 *other = new_cert(ok, "other", NULL, NULL, NULL);
    X509 *leaf = new_cert(k, "node", ca, cak, "IP:127.0.0.1, DNS:node.test");
    snprintf(p->ca, sizeof p->ca, "%s/ca.pem", p->dir);
    snprintf(p->other_ca, sizeof p->other_ca, "%s/other.pem", p->dir);
    snprintf(p->cert, sizeof p->cert, "%s/cert.pem", p->dir);
    snprintf(p->key, sizeof p->key, "%s/key.pem", p->dir);
    write_pem(p->ca, ca, NULL);
    write_pem(p->other_ca, other, NULL);
    write_pem(p->cert, leaf, NULL);
    write_pem(p->key, NULL, k);
    X509_free(ca);
    X509_free(other);
    X509_free(leaf);
    EVP_PKEY_free(cak);
    EVP_PKEY_free(k);
    EVP_PKEY_free(ok);
}

static void drop_pki(struct pki *p)
{
    unlink(p->ca);
    unlink(p->other_ca);
    unlink(p->cert);
    unlink(p->key);
    rmdir(p->dir);
}

/* --- one end: ciphertext out, plaintext in --- */

struct end {
    uint8_t wire[1 << 16];
    size_t wlen;
    char plain[1 << 12];
    size_t plen;
};

static void emit(void *arg, const uint8_t *p, size_t n)
{
    struct end *e = arg;
    CHECK(e->wlen + n <= sizeof e->wire);
    memcpy(e->wire + e->wlen, p, n);
    e->wlen += n;
}

static int plain(void *arg, const uint8_t *p, size_t n)
{
    struct end *e = arg;
    CHECK(e->plen + n <= sizeof e->plain);
    memcpy(e->plain + e->plen, p, n);
    e->plen += n;
    return 0;
}

/* Moves a's ciphertext into b; returns b's result. */
static int pump(struct end *a, struct herd_tls_session *b, struct end *bend, struct herd_err *e)
{
    struct herd_tls_io io = {bend, emit, plain};
    uint8_t buf[sizeof a->wire];
    size_t n = a->wlen;
    memcpy(buf, a->wire, n);
    a->wlen = 0;
    return herd_tls_feed(b, buf, n, &io, e);
}

struct pair {
    struct herd_tls *sctx, *cctx;
    struct herd_tls_session *s, *c;
    struct end se, ce;
};

static int handshake(struct pair *p, struct herd_err *e)
{
    struct herd_tls_io cio = {&p->ce, emit, plain};
    int rc = herd_tls_start(p->c, &cio, e);
    for (int i = 0; i < 8 && rc == HERD_OK && !(herd_tls_ready(p->c) && herd_tls_ready(p->s));
         i++) {
        rc = pump(&p->ce, p->s, &p->se, e);
        if (rc == HERD_OK)
            rc = pump(&p->se, p->c, &p->ce, e);
    }
    return rc;
}

static void pair_open(struct pair *p, struct pki *k, const char *client_ca, const char *name,
                      int client_cert)
{
    memset(p, 0, sizeof *p);
    struct herd_err e;
    struct herd_tls_config sc = {k->cert, k->key, k->ca};
    struct herd_tls_config cc = {client_cert ? k->cert : NULL, client_cert ? k->key : NULL,
                                 client_ca};
    CHECK_EQ(herd_tls_create(HERD_TLS_SERVER, &sc, &p->sctx, &e), HERD_OK);
    CHECK_EQ(herd_tls_create(HERD_TLS_CLIENT, &cc, &p->cctx, &e), HERD_OK);
    p->s = herd_tls_session_create(p->sctx, NULL);
    p->c = herd_tls_session_create(p->cctx, name);
}

static void pair_close(struct pair *p)
{
    herd_tls_session_destroy(p->s);
    herd_tls_session_destroy(p->c);
    herd_tls_destroy(p->sctx);
    herd_tls_destroy(p->cctx);
}

HERD_TEST(tls_round_trip_with_queued_writes_before_the_handshake)
{
    struct pki k;
    struct pair p;
    struct herd_err e;
    make_pki(&k);
    pair_open(&p, &k, k.ca, "127.0.0.1", 1);
    struct herd_tls_io sio = {&p.se, emit, plain};
    /* The server speaks first in herd (CHALLENGE): queued until ready. */
    CHECK_EQ(herd_tls_write(p.s, (const uint8_t *)"challenge", 9, &sio, &e), HERD_OK);
    CHECK_EQ(p.se.wlen, 0u);
    CHECK_EQ(handshake(&p, &e), HERD_OK);
    CHECK(herd_tls_ready(p.c) && herd_tls_ready(p.s));
    CHECK_EQ(pump(&p.se, p.c, &p.ce, &e), HERD_OK);
    CHECK_EQ(p.ce.plen, 9u);
    CHECK(memcmp(p.ce.plain, "challenge", 9) == 0);
    struct herd_tls_io cio = {&p.ce, emit, plain};
    CHECK_EQ(herd_tls_write(p.c, (const uint8_t *)"hello", 5, &cio, &e), HERD_OK);
    CHECK(memmem(p.ce.wire, p.ce.wlen, "hello", 5) == NULL); /* encrypted on the wire */
    CHECK_EQ(pump(&p.ce, p.s, &p.se, &e), HERD_OK);
    CHECK_EQ(p.se.plen, 5u);
    CHECK(memcmp(p.se.plain, "hello", 5) == 0);
    pair_close(&p);
    drop_pki(&k);
}

HERD_TEST(tls_refuses_a_server_from_another_ca_or_for_another_name)
{
    struct pki k;
    struct pair p;
    struct herd_err e;
    make_pki(&k);
    pair_open(&p, &k, k.other_ca, "127.0.0.1", 1);
    CHECK_EQ(handshake(&p, &e), HERD_EAUTH);
    CHECK(strstr(e.msg, "certificate verify failed") != NULL);
    pair_close(&p);
    pair_open(&p, &k, k.ca, "10.9.9.9", 1);
    CHECK_EQ(handshake(&p, &e), HERD_EAUTH);
    pair_close(&p);
    pair_open(&p, &k, k.ca, "node.test", 1);
    CHECK_EQ(handshake(&p, &e), HERD_OK);
    pair_close(&p);
    drop_pki(&k);
}

HERD_TEST(tls_server_with_a_ca_requires_a_client_certificate)
{
    struct pki k;
    struct pair p;
    struct herd_err e;
    make_pki(&k);
    pair_open(&p, &k, k.ca, "127.0.0.1", 0);
    int rc = handshake(&p, &e);
    if (rc == HERD_OK) /* TLS 1.3: the client learns of the refusal on its next read */
        rc = pump(&p.se, p.c, &p.ce, &e);
    CHECK_EQ(rc, HERD_EAUTH);
    CHECK(!herd_tls_ready(p.s));
    pair_close(&p);
    drop_pki(&k);
}

HERD_TEST(tls_garbage_and_tampering_fail_cleanly)
{
    struct pki k;
    struct pair p;
    struct herd_err e;
    make_pki(&k);
    pair_open(&p, &k, k.ca, "127.0.0.1", 1);
    struct herd_tls_io sio = {&p.se, emit, plain};
    const char *junk = "GET / HTTP/1.1\r\n\r\n";
    CHECK_EQ(herd_tls_feed(p.s, (const uint8_t *)junk, strlen(junk), &sio, &e), HERD_EAUTH);
    CHECK_EQ(herd_tls_feed(p.s, (const uint8_t *)"x", 1, &sio, &e), HERD_EAUTH);
    pair_close(&p);
    pair_open(&p, &k, k.ca, "127.0.0.1", 1);
    CHECK_EQ(handshake(&p, &e), HERD_OK);
    struct herd_tls_io cio = {&p.ce, emit, plain};
    CHECK_EQ(herd_tls_write(p.c, (const uint8_t *)"payload", 7, &cio, &e), HERD_OK);
    p.ce.wire[p.ce.wlen - 1] ^= 0x40; /* flip a bit of the record's tag */
    CHECK_EQ(pump(&p.ce, p.s, &p.se, &e), HERD_EAUTH);
    CHECK_EQ(p.se.plen, 0u);
    pair_close(&p);
    drop_pki(&k);
}

HERD_TEST(tls_context_errors_name_the_file)
{
    struct herd_tls *t;
    struct herd_err e;
    struct herd_tls_config none = {NULL, NULL, NULL};
    CHECK_EQ(herd_tls_create(HERD_TLS_SERVER, &none, &t, &e), HERD_EINVAL);
    struct herd_tls_config missing = {"/nonexistent/cert.pem", "/nonexistent/key.pem", NULL};
    CHECK_EQ(herd_tls_create(HERD_TLS_SERVER, &missing, &t, &e), HERD_EIO);
    CHECK(strstr(e.msg, "/nonexistent/cert.pem") != NULL);
    struct herd_tls_config half = {"/x.pem", NULL, NULL};
    CHECK_EQ(herd_tls_create(HERD_TLS_CLIENT, &half, &t, &e), HERD_EINVAL);
}
