#include "graph/zread.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

enum codec { PLAIN, GZIP, XZ };

#define INBUF (1u << 20)

struct herd_zread {
    char *name;
    int fd;               /* -1 for memory */
    const uint8_t *mem;   /* memory source */
    size_t mem_len, mem_pos;
    uint64_t file_left;   /* bytes left in a regular file, or UINT64_MAX */
    enum codec codec;
    int raw_eof;
    uint8_t *in;          /* compressed input buffer (file source) */
    z_stream zs;
    lzma_stream xs;
    int stream_end;       /* compressed stream finished */
    uint8_t *peek;        /* decoded bytes read ahead by herd_zread_peek */
    size_t peek_len, peek_pos;
};

/* Reads raw (possibly compressed) bytes from the source. */
static int raw_read(struct herd_zread *z, uint8_t *buf, size_t cap, size_t *got,
                    struct herd_err *e)
{
    size_t n = 0;
    if (z->fd < 0) {
        n = z->mem_len - z->mem_pos < cap ? z->mem_len - z->mem_pos : cap;
        memcpy(buf, z->mem + z->mem_pos, n);
        z->mem_pos += n;
    } else {
        while (n < cap) {
            ssize_t r = read(z->fd, buf + n, cap - n);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return herd_err_set(e, HERD_EIO, "%s: read: %s", z->name, strerror(errno));
            if (r == 0)
                break;
            n += (size_t)r;
        }
    }
    if (n < cap)
        z->raw_eof = 1;
    if (z->file_left != UINT64_MAX)
        z->file_left -= n < z->file_left ? n : z->file_left;
    *got = n;
    return HERD_OK;
}

/* Points the decoder at compressed input: the memory itself, or a refill. */
static int refill(struct herd_zread *z, const uint8_t **p, size_t *n, struct herd_err *e)
{
    if (z->fd < 0) {
        size_t left = z->mem_len - z->mem_pos;
        *p = z->mem + z->mem_pos;
        *n = left < (1u << 30) ? left : (1u << 30);
        z->mem_pos += *n;
        z->raw_eof = z->mem_pos == z->mem_len;
        return HERD_OK;
    }
    *p = z->in;
    return raw_read(z, z->in, INBUF, n, e);
}

/* Gives inflate the next piece of compressed input. */
static int gz_feed(struct herd_zread *z, struct herd_err *e)
{
    const uint8_t *p;
    size_t n;
    int rc = refill(z, &p, &n, e);
    if (rc != HERD_OK)
        return rc;
    z->zs.next_in = (Bytef *)p;
    z->zs.avail_in = (uInt)n;
    return HERD_OK;
}

static int gz_read(struct herd_zread *z, uint8_t *buf, size_t cap, size_t *got,
                   struct herd_err *e)
{
    z->zs.next_out = buf;
    z->zs.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
    while (z->zs.avail_out > 0 && !z->stream_end) {
        int rc = z->zs.avail_in == 0 && !z->raw_eof ? gz_feed(z, e) : HERD_OK;
        if (rc != HERD_OK)
            return rc;
        int zr = inflate(&z->zs, Z_NO_FLUSH);
        /* A member that ends with the input buffer: only a refill tells
         * whether another member follows or the file ends here. */
        if (zr == Z_STREAM_END && z->zs.avail_in == 0 && !z->raw_eof &&
            (rc = gz_feed(z, e)) != HERD_OK)
            return rc;
        if (zr == Z_STREAM_END) {
            if (z->zs.avail_in == 0 && z->raw_eof)
                z->stream_end = 1;
            else
                inflateReset(&z->zs); /* another gzip member follows */
        } else if (zr == Z_BUF_ERROR && z->zs.avail_in == 0 && z->raw_eof) {
            return herd_err_set(e, HERD_EPARSE, "%s: truncated gzip stream", z->name);
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            return herd_err_set(e, HERD_EPARSE, "%s: corrupt gzip stream (%s)", z->name,
                                z->zs.msg ? z->zs.msg : "inflate failed");
        }
    }
    *got = (size_t)(z->zs.next_out - buf);
    return HERD_OK;
}

static int xz_read(struct herd_zread *z, uint8_t *buf, size_t cap, size_t *got,
                   struct herd_err *e)
{
    z->xs.next_out = buf;
    z->xs.avail_out = cap;
    while (z->xs.avail_out > 0 && !z->stream_end) {
        if (z->xs.avail_in == 0 && !z->raw_eof) {
            const uint8_t *p;
            size_t n;
            int rc = refill(z, &p, &n, e);
            if (rc != HERD_OK)
                return rc;
            z->xs.next_in = p;
            z->xs.avail_in = n;
        }
        lzma_action act = z->xs.avail_in == 0 && z->raw_eof ? LZMA_FINISH : LZMA_RUN;
        lzma_ret r = lzma_code(&z->xs, act);
        if (r == LZMA_STREAM_END)
            z->stream_end = 1;
        else if (r == LZMA_BUF_ERROR)
            return herd_err_set(e, HERD_EPARSE, "%s: truncated xz stream", z->name);
        else if (r == LZMA_MEM_ERROR)
            return herd_err_set(e, HERD_ENOMEM, "%s: xz decoder", z->name);
        else if (r != LZMA_OK)
            return herd_err_set(e, HERD_EPARSE, "%s: corrupt xz stream (code %d)", z->name,
                                (int)r);
    }
    *got = cap - z->xs.avail_out;
    return HERD_OK;
}

static int decode(struct herd_zread *z, uint8_t *buf, size_t cap, size_t *got,
                  struct herd_err *e)
{
    if (z->codec == GZIP)
        return gz_read(z, buf, cap, got, e);
    if (z->codec == XZ)
        return xz_read(z, buf, cap, got, e);
    return raw_read(z, buf, cap, got, e);
}

/* Sniffs the magic bytes and starts the decoder. */
static int start_codec(struct herd_zread *z, struct herd_err *e)
{
    uint8_t head[6] = {0};
    size_t n = 0;
    if (z->fd < 0) {
        n = z->mem_len < 6 ? z->mem_len : 6;
        memcpy(head, z->mem, n);
    } else {
        ssize_t r = pread(z->fd, head, 6, 0);
        n = r > 0 ? (size_t)r : 0;
    }
    static const uint8_t xzmagic[6] = {0xfd, '7', 'z', 'X', 'Z', 0};
    if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
        z->codec = GZIP;
        if (inflateInit2(&z->zs, 15 + 32) != Z_OK)
            return herd_err_set(e, HERD_ENOMEM, "%s: gzip decoder", z->name);
    } else if (n == 6 && memcmp(head, xzmagic, 6) == 0) {
        z->codec = XZ;
        lzma_stream init = LZMA_STREAM_INIT;
        z->xs = init;
        if (lzma_stream_decoder(&z->xs, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
            return herd_err_set(e, HERD_ENOMEM, "%s: xz decoder", z->name);
    } else {
        return HERD_OK;
    }
    z->file_left = UINT64_MAX;
    if (z->fd >= 0)
        z->in = malloc(INBUF);
    if (z->fd >= 0 && z->in == NULL)
        return herd_err_set(e, HERD_ENOMEM, "%s: input buffer", z->name);
    return HERD_OK;
}

static struct herd_zread *new_reader(const char *name)
{
    struct herd_zread *z = herd_xcalloc(1, sizeof *z);
    z->name = herd_xstrdup(name);
    z->fd = -1;
    z->file_left = UINT64_MAX;
    return z;
}

int herd_zread_open(const char *path, struct herd_zread **out, struct herd_err *e)
{
    struct herd_zread *z = new_reader(path);
    struct stat st;
    int rc;
    z->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (z->fd < 0) {
        rc = herd_err_set(e, HERD_EIO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(z->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = herd_err_set(e, HERD_EIO, "%s: is a directory", path);
        goto fail;
    }
    if (fstat(z->fd, &st) == 0 && S_ISREG(st.st_mode))
        z->file_left = (uint64_t)st.st_size;
    rc = start_codec(z, e);
    if (rc != HERD_OK)
        goto fail;
    posix_fadvise(z->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    *out = z;
    return HERD_OK;
fail:
    herd_zread_close(z);
    return rc;
}

int herd_zread_open_mem(const char *name, const void *p, size_t len, struct herd_zread **out,
                        struct herd_err *e)
{
    struct herd_zread *z = new_reader(name);
    z->mem = p;
    z->mem_len = len;
    z->file_left = len;
    int rc = start_codec(z, e);
    if (rc != HERD_OK) {
        herd_zread_close(z);
        return rc;
    }
    *out = z;
    return HERD_OK;
}

int herd_zread_read(struct herd_zread *z, void *buf, size_t cap, size_t *got,
                    struct herd_err *e)
{
    uint8_t *b = buf;
    size_t from_peek = z->peek_len - z->peek_pos < cap ? z->peek_len - z->peek_pos : cap;
    if (from_peek > 0) {
        memcpy(b, z->peek + z->peek_pos, from_peek);
        z->peek_pos += from_peek;
    }
    size_t n = 0;
    if (from_peek < cap) {
        int rc = decode(z, b + from_peek, cap - from_peek, &n, e);
        if (rc != HERD_OK)
            return rc;
    }
    *got = from_peek + n;
    return HERD_OK;
}

int herd_zread_peek(struct herd_zread *z, size_t want, const uint8_t **p, size_t *len,
                    struct herd_err *e)
{
    size_t have = z->peek_len - z->peek_pos;
    if (have < want) {
        uint8_t *nb = herd_xmalloc(want);
        if (have > 0)
            memcpy(nb, z->peek + z->peek_pos, have);
        size_t n = 0;
        int rc = decode(z, nb + have, want - have, &n, e);
        free(z->peek);
        z->peek = nb;
        z->peek_pos = 0;
        z->peek_len = have + n;
        if (rc != HERD_OK)
            return rc;
    }
    *p = z->peek + z->peek_pos;
    *len = z->peek_len - z->peek_pos < want ? z->peek_len - z->peek_pos : want;
    return HERD_OK;
}

uint64_t herd_zread_left(const struct herd_zread *z)
{
    if (z->file_left == UINT64_MAX)
        return UINT64_MAX;
    return z->file_left + (z->peek_len - z->peek_pos);
}

const char *herd_zread_codec(const struct herd_zread *z)
{
    return z->codec == GZIP ? "gzip" : z->codec == XZ ? "xz" : "plain";
}

void herd_zread_close(struct herd_zread *z)
{
    if (z == NULL)
        return;
    if (z->codec == GZIP)
        inflateEnd(&z->zs);
    if (z->codec == XZ)
        lzma_end(&z->xs);
    if (z->fd >= 0)
        close(z->fd);
    free(z->in);
    free(z->peek);
    free(z->name);
    free(z);
}
