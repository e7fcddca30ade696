#include "wire/cas.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void herd_cas_begin(struct herd_cas_hasher *h)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
        abort(); /* only allocation can fail here */
    h->ctx = c;
}

void herd_cas_update(struct herd_cas_hasher *h, const void *p, size_t n)
{
    if (n > 0)
        EVP_DigestUpdate(h->ctx, p, n);
}

void herd_cas_end(struct herd_cas_hasher *h, char out[HERD_CAS_HEX + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(h->ctx, md, &n);
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[HERD_CAS_HEX] = '\0';
    herd_cas_abort(h);
}

void herd_cas_abort(struct herd_cas_hasher *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void herd_cas_buf(const void *p, size_t n, char out[HERD_CAS_HEX + 1])
{
    struct herd_cas_hasher h;
    herd_cas_begin(&h);
    herd_cas_update(&h, p, n);
    herd_cas_end(&h, out);
}

int herd_cas_file(const char *path, char out[HERD_CAS_HEX + 1], uint64_t *size,
                  struct herd_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return herd_err_set(e, HERD_EIO, "%s: %s", path, strerror(errno));
    struct herd_cas_hasher h;
    herd_cas_begin(&h);
    char buf[65536];
    uint64_t total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        herd_cas_update(&h, buf, (size_t)n);
        total += (uint64_t)n;
    }
    int err = errno;
    close(fd);
    if (n < 0) {
        herd_cas_abort(&h);
        return herd_err_set(e, HERD_EIO, "read %s: %s", path, strerror(err));
    }
    herd_cas_end(&h, out);
    if (size != NULL)
        *size = total;
    return HERD_OK;
}

int herd_cas_valid(const char *s)
{
    if (s == NULL)
        return 0;
    size_t i = 0;
    for (; s[i] != '\0'; i++)
        if (i >= HERD_CAS_HEX || !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return i == HERD_CAS_HEX;
}
