/* gpart_ckpt — checkpoint files of a distributed graph job: one file per
 * partition per checkpointed superstep, CKPT_DIR/c<step>/p<part>, written
 * to a temporary name and renamed, so a file that exists is whole. Layout
 * (integers big-endian; docs/distributed.md "Checkpoint format"):
 *   u32 magic "HCKP", u32 version 2, u32 part, u64 step, u32 value_size,
 *   u32 msg_size, u32 mode, u32 n, n*value_size value bytes, n halted
 *   bytes, then
 *   mode 0 (message path): u32 nparts, then per sender partition: u64
 *     count, count records of (u32 target dense id, msg_size message bytes);
 *   mode 1 (pull path): the partition's contributions of step-1, n x u64
 *     (double bits), and their n "emitted" bytes — every worker reads every
 *     partition's file for these, since a step reads all in-neighbours.
 * Value and message bytes are the program's own, stored as they are in
 * memory (every worker of a cluster has the same byte order). */
#include "worker/gpart_int.h"

#include "base/bytes.h"
#include "worker/ckpt_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CKPT_MAGIC HERD_CKPT_MAGIC
#define CKPT_VERSION HERD_CKPT_VERSION

/* Files are written through a 1 MiB stdio buffer without locking (one
 * thread writes a file); a record costs a memcpy, not a library call. */
static void put32(FILE *f, uint32_t v)
{
    uint8_t b[4];
    herd_put_u32(b, v);
    fwrite_unlocked(b, 1, 4, f);
}

static void put64(FILE *f, uint64_t v)
{
    uint8_t b[8];
    herd_put_u64(b, v);
    fwrite_unlocked(b, 1, 8, f);
}

/* With a combiner, what partition `to` will read is one message per target:
 * the senders' messages merged in sender order, exactly as its inbox will
 * merge them. Saved as if partition 0 had sent them all (same result,
 * far fewer records). -1 on out-of-memory (then the plain form is used). */
static int write_combined(struct gjobrun *r, FILE *f, uint32_t to, uint64_t step)
{
    herd_combine_fn comb = herd_engine_dist_combiner(r->en);
    uint32_t ms = herd_engine_dist_msg_size(r->en), lo, hi;
    herd_engine_dist_range(r->en, to, &lo, &hi);
    uint8_t *val = malloc((size_t)(hi - lo) * ms + 1), *has = calloc((size_t)(hi - lo) + 1, 1);
    if (comb == NULL || val == NULL || has == NULL) {
        free(val);
        free(has);
        return -1;
    }
    uint64_t count = 0;
    for (uint32_t from = 0; from < r->nparts; from++)
        for (const struct herd_msgbatch *b = herd_dp_peek(r->dp, to, from, step); b; b = b->next)
            for (uint32_t i = 0; i < b->count; i++) {
                const uint8_t *rec = b->data + (size_t)i * b->rec;
                uint32_t t;
                memcpy(&t, rec, 4);
                if (t < lo || t >= hi)
                    continue; /* the inbox refuses it; so does the restore */
                uint8_t *acc = val + (size_t)(t - lo) * ms;
                if (has[t - lo]) {
                    comb(acc, rec + 4);
                } else {
                    memcpy(acc, rec + 4, ms);
                    has[t - lo] = 1;
                    count++;
                }
            }
    put32(f, r->nparts);
    put64(f, count);
    for (uint32_t i = 0; i < hi - lo; i++)
        if (has[i]) {
            put32(f, lo + i);
            fwrite_unlocked(val + (size_t)i * ms, 1, ms, f);
        }
    for (uint32_t from = 1; from < r->nparts; from++)
        put64(f, 0);
    free(val);
    free(has);
    return 0;
}

static void write_msgs(struct gjobrun *r, FILE *f, uint32_t to, uint64_t step)
{
    uint32_t ms = herd_engine_dist_msg_size(r->en);
    if (write_combined(r, f, to, step) == 0)
        return;
    put32(f, r->nparts);
    for (uint32_t from = 0; from < r->nparts; from++) {
        const struct herd_msgbatch *l = herd_dp_peek(r->dp, to, from, step);
        uint64_t count = 0;
        for (const struct herd_msgbatch *b = l; b; b = b->next)
            count += b->count;
        put64(f, count);
        for (const struct herd_msgbatch *b = l; b; b = b->next)
            for (uint32_t i = 0; i < b->count; i++) {
                const uint8_t *rec = b->data + (size_t)i * b->rec;
                uint32_t t;
                memcpy(&t, rec, 4);
                put32(f, t);
                fwrite_unlocked(rec + 4, 1, ms, f);
            }
    }
}

static void write_vector(struct gjobrun *r, FILE *f, uint32_t lo, uint32_t hi, uint64_t step)
{
    double *contrib[2];
    uint8_t *emitted[2];
    herd_engine_dist_pull_arrays(r->en, contrib, emitted);
    uint8_t buf[8 * 1024]; /* converted in batches: one library call per 1024 */
    for (uint32_t v = lo; v < hi;) {
        uint32_t k = 0;
        for (; k < 1024 && v < hi; k++, v++) {
            uint64_t bits;
            memcpy(&bits, &contrib[step & 1][v], 8);
            herd_put_u64(buf + 8 * k, bits);
        }
        fwrite_unlocked(buf, 8, k, f);
    }
    fwrite(emitted[step & 1] + lo, 1, hi - lo, f);
}

/* Partition p's checkpoint of `step` into f; ferror(f) says if it failed. */
static void write_part(struct gjobrun *r, FILE *f, uint32_t p, uint64_t step)
{
    uint32_t lo, hi, vs = herd_engine_dist_value_size(r->en);
    const uint8_t *vals, *halted;
    herd_engine_dist_range(r->en, p, &lo, &hi);
    herd_engine_dist_state(r->en, p, &vals, &halted);
    put32(f, CKPT_MAGIC);
    put32(f, CKPT_VERSION);
    put32(f, p);
    put64(f, step);
    put32(f, vs);
    put32(f, herd_engine_dist_msg_size(r->en));
    put32(f, (uint32_t)r->pull);
    put32(f, hi - lo);
    fwrite(vals, 1, (size_t)(hi - lo) * vs, f);
    fwrite(halted, 1, hi - lo, f);
    if (r->pull)
        write_vector(r, f, lo, hi, step - 1);
    else
        write_msgs(r, f, p, step - 1);
}

static int save_part(struct gjobrun *r, const char *dir, uint32_t p, uint64_t step,
                     struct herd_err *e)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/p%u", dir, p);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return herd_err_set(e, HERD_EIO, "checkpoint %s: %s", tmp, strerror(errno));
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    write_part(r, f, p, step);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0)
        return herd_err_set(e, HERD_EIO, "checkpoint %s: write failed", path);
    return HERD_OK;
}

int herd_gpart__save(struct gjobrun *r, const char *root, uint64_t step, struct herd_err *e)
{
    char dir[4096];
    if (herd_dp_wait_step(r->dp, step - 1) != HERD_OK)
        return herd_err_set(e, HERD_ECLOSED, "checkpoint: a peer was lost");
    mkdir(root, 0777);
    snprintf(dir, sizeof dir, "%s/c%" PRIu64, root, step);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return herd_err_set(e, HERD_EIO, "checkpoint dir %s: %s", dir, strerror(errno));
    for (uint32_t p = 0; p < r->nparts; p++)
        if (r->owner[p] == r->me) {
            int rc = save_part(r, dir, p, step, e);
            if (rc != HERD_OK)
                return rc;
        }
    return HERD_OK;
}

static int read_file(const char *path, uint8_t **out, size_t *len, struct herd_err *e)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return herd_err_set(e, HERD_EIO, "checkpoint %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(b);
        return herd_err_set(e, b ? HERD_EIO : HERD_ENOMEM, "checkpoint %s: read failed", path);
    }
    fclose(f);
    *out = b;
    *len = (size_t)n;
    return HERD_OK;
}

/* Mode 0: the checked sender sections into the data plane's lanes. */
static int restore_msgs(struct gjobrun *r, const struct herd_ckpt_view *v, uint32_t to,
                        uint64_t step, uint32_t ms)
{
    struct herd_rbuf rb;
    herd_rbuf_init(&rb, v->msgs, v->msgs_len);
    herd_rbuf_u32(&rb); /* nparts, checked */
    for (uint32_t from = 0; from < r->nparts; from++) {
        uint64_t count = herd_rbuf_u64(&rb);
        struct herd_msgbatch *b = NULL;
        if (count > 0) {
            b = herd_msgbatch_new(ms, (uint32_t)count);
            if (b == NULL)
                return HERD_ENOMEM;
            for (uint32_t i = 0; i < count; i++) {
                uint32_t t = herd_rbuf_u32(&rb);
                memcpy(b->data + (size_t)i * b->rec, &t, 4);
                herd_rbuf_bytes(&rb, b->data + (size_t)i * b->rec + 4, ms);
            }
            b->count = (uint32_t)count;
        }
        herd_dp_inject(r->dp, to, from, step, b);
    }
    return HERD_OK;
}

/* Pull path: the partition's contributions of step-1 into the engine. */
static void restore_vector(struct gjobrun *r, const struct herd_ckpt_view *v, uint32_t lo,
                           uint32_t hi, uint64_t step)
{
    double *contrib[2];
    uint8_t *emitted[2];
    herd_engine_dist_pull_arrays(r->en, contrib, emitted);
    for (uint32_t i = lo; i < hi; i++) {
        uint64_t bits = herd_get_u64(v->contrib + (size_t)(i - lo) * 8);
        memcpy(&contrib[step & 1][i], &bits, 8);
    }
    memcpy(emitted[step & 1] + lo, v->emitted, hi - lo);
}

static int restore_part(struct gjobrun *r, const uint8_t *buf, size_t len, uint32_t p,
                        uint64_t step, struct herd_err *e)
{
    struct herd_ckpt_expect x = {.part = p, .step = step,
                                 .value_size = herd_engine_dist_value_size(r->en),
                                 .msg_size = herd_engine_dist_msg_size(r->en),
                                 .mode = r->pull ? HERD_CKPT_PULL : HERD_CKPT_MESSAGES,
                                 .nparts = r->nparts};
    herd_engine_dist_range(r->en, p, &x.lo, &x.hi);
    struct herd_ckpt_view v;
    int rc = herd_ckpt_parse(buf, len, &x, &v, e);
    if (rc == HERD_OK && r->owner[p] == r->me)
        rc = herd_engine_dist_restore(r->en, p, v.values, (size_t)v.n * x.value_size, v.halted,
                                      v.n, e);
    if (rc != HERD_OK)
        return rc;
    if (r->pull) {
        restore_vector(r, &v, x.lo, x.hi, step - 1);
        return HERD_OK;
    }
    rc = restore_msgs(r, &v, p, step - 1, x.msg_size);
    if (rc != HERD_OK)
        return herd_err_set(e, rc, "checkpoint of partition %u: out of memory", p);
    return HERD_OK;
}

int herd_gpart__restore(struct gjobrun *r, const char *root, uint64_t step, struct herd_err *e)
{
    for (uint32_t p = 0; p < r->nparts; p++) {
        if (r->owner[p] != r->me && !r->pull)
            continue; /* the pull path needs every partition's contributions */
        char path[4096];
        snprintf(path, sizeof path, "%s/c%" PRIu64 "/p%u", root, step, p);
        uint8_t *buf = NULL;
        size_t len = 0;
        int rc = read_file(path, &buf, &len, e);
        if (rc == HERD_OK)
            rc = restore_part(r, buf, len, p, step, e);
        free(buf);
        if (rc != HERD_OK)
            return rc;
    }
    if (r->pull)
        herd_engine_dist_count_emitters(r->en, step - 1);
    return HERD_OK;
}

/* Bytes of partition p's file on the pull path (write_part's layout). */
static size_t pull_size(struct gjobrun *r, uint32_t p)
{
    uint32_t lo, hi;
    herd_engine_dist_range(r->en, p, &lo, &hi);
    size_t n = hi - lo;
    return 7 * 4 + 8 + n * herd_engine_dist_value_size(r->en) + n + n * 8 + n;
}

/* Partition p's file in a buffer of the sink's (size known first). */
static int save_sized(struct gjobrun *r, uint32_t p, uint64_t step,
                      const struct herd_gpart_ckpt_sink *sink, struct herd_err *e)
{
    size_t size = pull_size(r, p), cap = 0;
    uint8_t *buf = sink->take(sink->arg, size + 1, &cap); /* + fmemopen's NUL */
    FILE *f = buf ? fmemopen(buf, cap, "w") : NULL;
    if (f == NULL) {
        free(buf);
        return herd_err_set(e, HERD_ENOMEM, "checkpoint of partition %u: out of memory", p);
    }
    setvbuf(f, NULL, _IONBF, 0); /* straight into buf: no second copy */
    write_part(r, f, p, step);
    int bad = ferror(f) || ftell(f) != (long)size;
    if (fclose(f) != 0 || bad) {
        free(buf);
        return herd_err_set(e, HERD_EIO, "checkpoint of partition %u: %zu bytes expected", p,
                            size);
    }
    sink->emit(sink->arg, p, buf, size, cap);
    return HERD_OK;
}

/* Partition p's file in a growing buffer (message path: size unknown). */
static int save_grown(struct gjobrun *r, uint32_t p, uint64_t step,
                      const struct herd_gpart_ckpt_sink *sink, struct herd_err *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return herd_err_set(e, HERD_ENOMEM, "checkpoint of partition %u: %s", p,
                            strerror(errno));
    write_part(r, f, p, step);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(buf);
        return herd_err_set(e, HERD_ENOMEM, "checkpoint of partition %u: out of memory", p);
    }
    sink->emit(sink->arg, p, (uint8_t *)buf, len, len);
    return HERD_OK;
}

int herd_gpart__save_mem(struct gjobrun *r, uint64_t step, const struct herd_gpart_ckpt_sink *sink,
                         struct herd_err *e)
{
    if (herd_dp_wait_step(r->dp, step - 1) != HERD_OK)
        return herd_err_set(e, HERD_ECLOSED, "checkpoint: a peer was lost");
    for (uint32_t p = 0; p < r->nparts; p++) {
        if (r->owner[p] != r->me)
            continue;
        int rc = r->pull ? save_sized(r, p, step, sink, e) : save_grown(r, p, step, sink, e);
        if (rc != HERD_OK)
            return rc;
    }
    return HERD_OK;
}
