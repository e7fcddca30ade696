/* Unit tests of the worker's staging (src/worker/stage.c) against a fake
 * master: FETCH requests are recorded and answered with BLOB chunks by the
 * test; STORE chunks are collected and checked against the files. */
#include "check.h"

#include "base/mem.h"
#include "wire/cas.h"
#include "worker/stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXSENT 64

struct fake {
    int connected;
    int nfetch, nstore;
    char fetch_sha[MAXSENT][HERD_CAS_HEX + 1];
    uint64_t fetch_off[MAXSENT];
    uint8_t *stored; /* concatenated STORE data */
    size_t stored_len;
    char store_sha[HERD_CAS_HEX + 1];
    uint64_t blob_off;
    int nready, nfailed;
    size_t drained;                  /* stored bytes the fake connection has written */
    int nlater, nuploaded;
    uint64_t uploaded_ids[MAXSENT];
    size_t stored_at_upload[MAXSENT]; /* stored_len when each RESULT was released */
    uint64_t ready_ids[MAXSENT], failed_ids[MAXSENT];
    char why[256];
};

static int fake_send(void *ctx, const struct herd_msg *m)
{
    struct fake *f = ctx;
    if (!f->connected)
        return 0;
    if (m->type == HERD_MSG_FETCH && f->nfetch < MAXSENT) {
        snprintf(f->fetch_sha[f->nfetch], HERD_CAS_HEX + 1, "%s", m->u.fetch.sha256);
        f->fetch_off[f->nfetch++] = m->u.fetch.offset;
    } else if (m->type == HERD_MSG_STORE) {
        const struct herd_msg_store *s = &m->u.store;
        if (strcmp(s->sha256, f->store_sha) != 0)
            f->blob_off = 0; /* the next blob starts at 0 */
        CHECK_EQ(s->offset, f->blob_off);
        f->blob_off += s->data_len;
        f->stored = herd_xrealloc(f->stored, f->stored_len + s->data_len + 1);
        memcpy(f->stored + f->stored_len, s->data, s->data_len);
        f->stored_len += s->data_len;
        snprintf(f->store_sha, sizeof f->store_sha, "%s", s->sha256);
        f->nstore++;
    }
    return 1;
}

static void fake_ready(void *ctx, const struct herd_msg_assign *a)
{
    struct fake *f = ctx;
    f->ready_ids[f->nready++] = a->attempt_id;
}

static void fake_failed(void *ctx, const struct herd_msg_assign *a, const char *why)
{
    struct fake *f = ctx;
    f->failed_ids[f->nfailed++] = a->attempt_id;
    snprintf(f->why, sizeof f->why, "%s", why);
}

static size_t fake_queued(void *ctx)
{
    struct fake *f = ctx;
    return f->stored_len - f->drained;
}

static void fake_later(void *ctx)
{
    ((struct fake *)ctx)->nlater++;
}

static void fake_uploaded(void *ctx, const struct herd_msg_result *r)
{
    struct fake *f = ctx;
    f->stored_at_upload[f->nuploaded] = f->stored_len;
    f->uploaded_ids[f->nuploaded++] = r->attempt_id;
}

static char *tmpdir(void)
{
    char *d = herd_xstrdup("/tmp/herd-stage-XXXXXX");
    CHECK(mkdtemp(d) != NULL);
    return d;
}

static struct herd_stage *make(struct fake *f, char **dir)
{
    memset(f, 0, sizeof *f);
    f->connected = 1;
    struct herd_stage_io io = {f,           fake_send,  fake_ready,   fake_failed,
                               fake_queued, fake_later, fake_uploaded};
    struct herd_stage *s = NULL;
    struct herd_err e;
    *dir = tmpdir();
    CHECK_EQ(herd_stage_create(*dir, &io, &s, &e), HERD_OK);
    return s;
}

/* An ASSIGN with one input "SHA NAME". */
static struct herd_msg_assign assign(uint64_t id, char *input)
{
    struct herd_msg_assign a = {0};
    a.attempt_id = id;
    a.kind = HERD_TASK_COMMAND;
    a.ninputs = 1;
    a.inputs = herd_xcalloc(1, sizeof *a.inputs);
    a.inputs[0] = input;
    a.plugin = "";
    return a;
}

static void free_assign(struct herd_msg_assign *a)
{
    for (uint32_t i = 0; i < a->ninputs; i++)
        free(a->inputs[i]);
    free(a->inputs);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Frees the stage and removes its work directory. */
static void done(struct herd_stage *s, struct fake *f, char *dir)
{
    herd_stage_destroy(s);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
    free(f->stored);
}

static char *input_of(const char *sha, const char *name)
{
    char *s = herd_xmalloc(HERD_CAS_HEX + strlen(name) + 2);
    sprintf(s, "%s %s", sha, name);
    return s;
}

/* Answers every outstanding FETCH from `data` with chunks of at most `chunk`. */
static void serve(struct herd_stage *s, struct fake *f, const char *sha, const uint8_t *data,
                  size_t len, int *served)
{
    while (*served < f->nfetch) {
        uint64_t off = f->fetch_off[*served];
        CHECK_STR(f->fetch_sha[*served], sha);
        (*served)++;
        size_t n = len - off < (256u << 10) ? len - off : (256u << 10);
        struct herd_msg_blob b = {(char *)sha, off, len, (uint32_t)n, (uint8_t *)data + off, ""};
        herd_stage_blob(s, &b);
    }
}

static uint8_t *pattern(size_t n)
{
    uint8_t *p = herd_xmalloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + i / 251);
    return p;
}

static int file_equals(const char *path, const uint8_t *data, size_t len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return 0;
    uint8_t *got = herd_xmalloc(len + 1);
    size_t n = fread(got, 1, len + 1, fp);
    fclose(fp);
    int ok = n == len && memcmp(got, data, len) == 0;
    free(got);
    return ok;
}

HERD_TEST(fetch_in_chunks_then_cached_once)
{
    struct fake f;
    char *dir;
    struct herd_stage *s = make(&f, &dir);
    size_t len = 600 * 1024;
    uint8_t *data = pattern(len);
    char sha[HERD_CAS_HEX + 1];
    herd_cas_buf(data, len, sha);
    struct herd_msg_assign a1 = assign(1, input_of(sha, "in.bin"));
    struct herd_msg_assign a2 = assign(2, input_of(sha, "other"));
    struct herd_err e;
    CHECK_EQ(herd_stage_start(s, &a1, &e), 0);
    CHECK_EQ(herd_stage_start(s, &a2, &e), 0);
    CHECK_EQ(f.nfetch, 1); /* both wait on one fetch */
    int served = 0;
    serve(s, &f, sha, data, len, &served);
    CHECK_EQ(f.nfetch, 3); /* 256 KiB + 256 KiB + the rest */
    CHECK_EQ(f.fetch_off[2], 512 * 1024);
    CHECK_EQ(f.nready, 2);
    CHECK_EQ(f.nfailed, 0);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", herd_stage_cache_dir(s), sha);
    CHECK(file_equals(path, data, len));
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_mode & 0222, 0); /* read-only */
    /* a third attempt finds it cached: no fetch, ready at once */
    struct herd_msg_assign a3 = assign(3, input_of(sha, "x"));
    CHECK_EQ(herd_stage_start(s, &a3, &e), 1);
    CHECK_EQ(f.nfetch, 3);
    free_assign(&a1);
    free_assign(&a2);
    free_assign(&a3);
    free(data);
    done(s, &f, dir);
}

HERD_TEST(corrupt_blob_fails_waiters_and_is_not_kept)
{
    struct fake f;
    char *dir;
    struct herd_stage *s = make(&f, &dir);
    uint8_t data[100];
    memset(data, 'a', sizeof data);
    char sha[HERD_CAS_HEX + 1];
    herd_cas_buf("something else", 14, sha);
    struct herd_msg_assign a = assign(7, input_of(sha, "in"));
    struct herd_err e;
    CHECK_EQ(herd_stage_start(s, &a, &e), 0);
    int served = 0;
    serve(s, &f, sha, data, sizeof data, &served);
    CHECK_EQ(f.nready, 0);
    CHECK_EQ(f.nfailed, 1);
    CHECK_EQ(f.failed_ids[0], 7);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", herd_stage_cache_dir(s), sha);
    CHECK(access(path, F_OK) != 0);
    free_assign(&a);
    done(s, &f, dir);
}

HERD_TEST(master_error_kill_and_disconnect)
{
    struct fake f;
    char *dir;
    struct herd_stage *s = make(&f, &dir);
    char sha1[HERD_CAS_HEX + 1], sha2[HERD_CAS_HEX + 1];
    herd_cas_buf("one", 3, sha1);
    herd_cas_buf("two", 3, sha2);
    struct herd_msg_assign a1 = assign(1, input_of(sha1, "a"));
    struct herd_msg_assign a2 = assign(2, input_of(sha2, "b"));
    struct herd_msg_assign a3 = assign(3, input_of(sha2, "c"));
    struct herd_err e;
    CHECK_EQ(herd_stage_start(s, &a1, &e), 0);
    CHECK_EQ(herd_stage_start(s, &a2, &e), 0);
    CHECK_EQ(herd_stage_start(s, &a3, &e), 0);
    struct herd_msg_blob err = {sha1, 0, 0, 0, NULL, "no such blob"};
    herd_stage_blob(s, &err);
    CHECK_EQ(f.nfailed, 1);
    CHECK_EQ(f.failed_ids[0], 1);
    CHECK(strstr(f.why, "no such blob") != NULL);
    CHECK_EQ(herd_stage_kill(s, 2), 1);
    CHECK_EQ(herd_stage_kill(s, 2), 0);
    herd_stage_disconnected(s);
    CHECK_EQ(f.nfailed, 2); /* only 3 was still waiting */
    CHECK_EQ(f.failed_ids[1], 3);
    CHECK_EQ(f.nready, 0);
    free_assign(&a1);
    free_assign(&a2);
    free_assign(&a3);
    done(s, &f, dir);
}

HERD_TEST(malformed_address_is_refused)
{
    struct fake f;
    char *dir;
    struct herd_stage *s = make(&f, &dir);
    struct herd_msg_assign a = assign(1, herd_xstrdup("../../etc/passwd name"));
    struct herd_err e;
    CHECK_EQ(herd_stage_start(s, &a, &e), -1);
    CHECK_EQ(f.nfetch, 0);
    free_assign(&a);
    done(s, &f, dir);
}

HERD_TEST(link_inputs_collect_and_upload_outputs)
{
    struct fake f;
    char *dir;
    struct herd_stage *s = make(&f, &dir);
    const char *text = "staged input\n";
    char sha[HERD_CAS_HEX + 1];
    herd_cas_buf(text, strlen(text), sha);
    struct herd_msg_assign a = assign(1, input_of(sha, "sub/dir/in.txt"));
    struct herd_err e;
    CHECK_EQ(herd_stage_start(s, &a, &e), 0);
    int served = 0;
    serve(s, &f, sha, (const uint8_t *)text, strlen(text), &served);
    CHECK_EQ(f.nready, 1);
    char sandbox[512], path[600];
    snprintf(sandbox, sizeof sandbox, "%s/box", dir);
    CHECK_EQ(mkdir(sandbox, 0700), 0);
    CHECK_EQ(herd_stage_link_inputs(herd_stage_cache_dir(s), &a, sandbox, &e), HERD_OK);
    snprintf(path, sizeof path, "%s/sub/dir/in.txt", sandbox);
    CHECK(file_equals(path, (const uint8_t *)text, strlen(text)));
    /* an output of 300 KiB: two STORE chunks */
    size_t len = 300 * 1024;
    uint8_t *out = pattern(len);
    snprintf(path, sizeof path, "%s/result.bin", sandbox);
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL && fwrite(out, 1, len, fp) == len);
    fclose(fp);
    char *names[] = {"result.bin", "missing.txt"};
    char **entries = NULL;
    CHECK_EQ(herd_stage_collect_outputs(herd_stage_cache_dir(s), sandbox, names, 2, &entries, &e),
             HERD_ENOTFOUND);
    CHECK(strstr(e.msg, "missing.txt") != NULL);
    CHECK_EQ(herd_stage_collect_outputs(herd_stage_cache_dir(s), sandbox, names, 1, &entries, &e),
             HERD_OK);
    char osha[HERD_CAS_HEX + 1], want[128];
    herd_cas_buf(out, len, osha);
    snprintf(want, sizeof want, "%s %zu result.bin", osha, len);
    CHECK_STR(entries[0], want);
    struct herd_msg_result r = {.attempt_id = 1, .noutputs = 1, .outputs = entries};
    CHECK_EQ(herd_stage_upload(s, &r), 0);
    CHECK_EQ(f.nstore, 2);
    CHECK_STR(f.store_sha, osha);
    CHECK(f.stored_len == len && memcmp(f.stored, out, len) == 0);
    f.connected = 0;
    CHECK_EQ(herd_stage_upload(s, &r), -1);
    free(entries[0]);
    free(entries);
    free(out);
    free_assign(&a);
    done(s, &f, dir);
}

/* Writes n pattern bytes to sandbox/name and collects it as an output. */
static char **make_output(struct herd_stage *s, const char *sandbox, const char *name, size_t n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", sandbox, name);
    uint8_t *p = pattern(n);
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL && fwrite(p, 1, n, fp) == n);
    fclose(fp);
    free(p);
    char *names[] = {(char *)name}, **entries = NULL;
    struct herd_err e;
    CHECK_EQ(herd_stage_collect_outputs(herd_stage_cache_dir(s), sandbox, names, 1, &entries, &e),
             HERD_OK);
    return entries;
}

HERD_TEST(paced_upload_waits_for_the_window_and_results_follow_outputs)
{
    struct fake f;
    char *dir;
    struct herd_stage *s = make(&f, &dir);
    char sandbox[512];
    snprintf(sandbox, sizeof sandbox, "%s/box", dir);
    CHECK_EQ(mkdir(sandbox, 0700), 0);
    size_t big = 10u << 20, small = 1000;
    char **e1 = make_output(s, sandbox, "big.bin", big);
    char **e2 = make_output(s, sandbox, "small.txt", small);
    struct herd_msg_result r1 = {.attempt_id = 1, .noutputs = 1, .outputs = e1, .error = ""};
    struct herd_msg_result r2 = {.attempt_id = 2, .noutputs = 1, .outputs = e2, .error = ""};
    herd_stage_upload_paced(s, &r1);
    herd_stage_upload_paced(s, &r2);
    /* the window is full: nothing more until the connection drains */
    CHECK_EQ(f.stored_len, HERD_STAGE_UPLOAD_WINDOW);
    CHECK_EQ(f.nuploaded, 0);
    CHECK_INT(f.nlater, >=, 1);
    CHECK_EQ(herd_stage_uploads(s), 2);
    herd_stage_pump(s);
    CHECK_EQ(f.stored_len, HERD_STAGE_UPLOAD_WINDOW);
    int rounds = 0;
    while (herd_stage_uploads(s) > 0 && rounds++ < 100) {
        f.drained = f.stored_len;
        herd_stage_pump(s);
        CHECK_INT(f.stored_len - f.drained, <=, HERD_STAGE_UPLOAD_WINDOW + (256u << 10));
    }
    CHECK_EQ(f.nuploaded, 2);
    CHECK_EQ(f.uploaded_ids[0], 1);
    CHECK_EQ(f.uploaded_ids[1], 2);
    CHECK_EQ(f.stored_at_upload[0], big); /* each RESULT after all of its chunks */
    CHECK_EQ(f.stored_at_upload[1], big + small);
    uint8_t *want = pattern(big);
    CHECK(memcmp(f.stored, want, big) == 0);
    free(want);
    /* without a connection an upload ends at once (its RESULT waits in the agent) */
    f.connected = 0;
    herd_stage_upload_paced(s, &r2);
    CHECK_EQ(f.nuploaded, 3);
    CHECK_EQ(herd_stage_uploads(s), 0);
    free(e1[0]);
    free(e1);
    free(e2[0]);
    free(e2);
    done(s, &f, dir);
}
