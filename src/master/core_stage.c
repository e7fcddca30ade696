/* core_stage — the master's side of file staging: chunks of blobs for
 * workers (FETCH -> BLOB), output chunks from workers (STORE), the output
 * files named in a RESULT, and resolving the files of a submitted spec. */
#include "base/log.h"
#include "base/mem.h"
#include "master/core_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (256u << 10) /* bytes per BLOB: a heartbeat waits behind at most one */

void herd_core__fetch(struct herd_core *c, struct herd_worker *w, const struct herd_msg_fetch *f)
{
    struct herd_msg m = {.type = HERD_MSG_BLOB};
    struct herd_msg_blob *b = &m.u.blob;
    struct herd_err e;
    herd_err_clear(&e);
    b->sha256 = f->sha256;
    b->offset = f->offset;
    b->error = (char *)"";
    int rc = c->blobs == NULL
                 ? herd_err_set(&e, HERD_ENOTFOUND, "the master has no blob store")
                 : herd_blobs_read(c->blobs, f->sha256, f->offset, CHUNK, &b->data, &b->data_len,
                                   &b->total, &e);
    if (rc != HERD_OK) {
        herd_warn("master", "worker %s: fetch %.64s: %s", w->id, f->sha256, e.msg);
        b->error = e.msg;
    }
    herd_core__send(c, w->conn, &m);
    free(b->data);
}

void herd_core__store(struct herd_core *c, struct herd_worker *w, const struct herd_msg_store *s)
{
    struct herd_err e;
    int done = 0;
    herd_err_clear(&e);
    if (c->blobs == NULL)
        return;
    if (herd_blobs_chunk(c->blobs, w->id, s->sha256, s->offset, s->total, s->data, s->data_len,
                         &done, &e) != HERD_OK)
        herd_warn("master", "worker %s: %s", w->id, e.msg);
}

/* "SHA SIZE NAME" -> parts; 0 if malformed. */
static int split_output(const char *s, char *sha, uint64_t *size, const char **name)
{
    char *end;
    if (strlen(s) < HERD_CAS_HEX + 3 || s[HERD_CAS_HEX] != ' ')
        return 0;
    memcpy(sha, s, HERD_CAS_HEX);
    sha[HERD_CAS_HEX] = '\0';
    *size = strtoull(s + HERD_CAS_HEX + 1, &end, 10);
    if (*end != ' ' || end[1] == '\0' || !herd_cas_valid(sha))
        return 0;
    *name = end + 1;
    return 1;
}

int herd_core__record_files(struct herd_core *c, struct herd_task *t,
                            const struct herd_msg_result *r, struct herd_err *e)
{
    if (r->noutputs != t->noutputs)
        return herd_err_set(e, HERD_EINVAL, "%u of %u declared outputs reported", r->noutputs,
                            t->noutputs);
    for (uint32_t i = 0; i < r->noutputs; i++) {
        char sha[HERD_CAS_HEX + 1];
        uint64_t size = 0, have = 0;
        const char *name;
        if (!split_output(r->outputs[i], sha, &size, &name))
            return herd_err_set(e, HERD_EINVAL, "malformed output entry %u", i);
        if (c->blobs == NULL || !herd_blobs_has(c->blobs, sha, &have) || have != size)
            return herd_err_set(e, HERD_EINVAL, "output %.200s (%s) was not stored", name, sha);
        int rc = herd_journal_file_add(c->journal, t->id, name, sha, size, e);
        if (rc != HERD_OK)
            return rc;
    }
    return HERD_OK;
}

/* A name a task may use inside its sandbox: relative, no "..", no empty
 * component. */
static int good_name(const char *n)
{
    if (n == NULL || n[0] == '\0' || n[0] == '/')
        return 0;
    for (const char *p = n; *p;) {
        size_t k = strcspn(p, "/");
        if (k == 0 || (k == 2 && p[0] == '.' && p[1] == '.') || (k == 1 && p[0] == '.'))
            return 0;
        p += k;
        if (*p == '/')
            p++;
        else
            break;
    }
    return n[strlen(n) - 1] != '/';
}

/* The last "@path" resolved in this spec and the last address checked:
 * 10,000 tasks naming one plugin cost one copy and one stat. */
struct memo {
    char *path;
    char sha[HERD_CAS_HEX + 1];
    char checked[HERD_CAS_HEX + 1];
};

/* "@path" -> stored blob address; an address -> checked. *src replaced. */
static int resolve_src(struct herd_core *c, struct memo *m, char **src, uint32_t ti,
                       struct herd_err *e)
{
    if ((*src)[0] == '@') {
        if (m->path == NULL || strcmp(m->path, *src) != 0) {
            int rc = herd_blobs_put_file(c->blobs, *src + 1, m->sha, e);
            if (rc != HERD_OK)
                return herd_err_wrap(e, "task %u", ti);
            free(m->path);
            m->path = herd_xstrdup(*src);
        }
        free(*src);
        *src = herd_xstrdup(m->sha);
        return HERD_OK;
    }
    if (strcmp(m->checked, *src) == 0)
        return HERD_OK;
    snprintf(m->checked, sizeof m->checked, "%s", *src);
    if (!herd_blobs_has(c->blobs, *src, NULL))
        return herd_err_set(e, HERD_EINVAL, "task %u: blob %.64s is not in the master's store "
                            "(upload it first: PUT /v1/blobs/SHA256)", ti, *src);
    return HERD_OK;
}

static int resolve_input(struct herd_core *c, struct memo *m, char **in, uint32_t ti,
                         struct herd_err *e)
{
    const char *sp = strrchr(*in, ' ');
    if (sp == NULL || !good_name(sp + 1))
        return herd_err_set(e, HERD_EINVAL, "task %u: bad input name in '%.200s'", ti, *in);
    char *src = strndup(*in, (size_t)(sp - *in));
    if (src == NULL)
        return herd_err_set(e, HERD_ENOMEM, "task %u: input", ti);
    int rc = resolve_src(c, m, &src, ti, e);
    if (rc == HERD_OK) {
        size_t n = strlen(src) + strlen(sp) + 1;
        char *joined = herd_xmalloc(n);
        snprintf(joined, n, "%s%s", src, sp);
        free(*in);
        *in = joined;
    }
    free(src);
    return rc;
}

static int resolve_task(struct herd_core *c, struct memo *m, struct herd_task_spec *t,
                        uint32_t ti, struct herd_err *e)
{
    int rc = HERD_OK;
    if (c->blobs == NULL && (t->ninputs || t->noutputs || t->plugin))
        return herd_err_set(e, HERD_EINVAL, "task %u: files need a master with a blob store", ti);
    for (uint32_t i = 0; rc == HERD_OK && i < t->ninputs; i++)
        rc = resolve_input(c, m, &t->inputs[i], ti, e);
    for (uint32_t i = 0; rc == HERD_OK && i < t->noutputs; i++)
        if (!good_name(t->outputs[i]))
            rc = herd_err_set(e, HERD_EINVAL, "task %u: bad output name '%.200s'", ti,
                              t->outputs[i]);
    if (rc == HERD_OK && t->plugin != NULL)
        rc = resolve_src(c, m, &t->plugin, ti, e);
    return rc;
}

int herd_core_resolve_files(struct herd_core *c, struct herd_job_spec *spec, struct herd_err *e)
{
    struct memo m = {0};
    int rc = HERD_OK;
    for (uint32_t i = 0; rc == HERD_OK && i < spec->ntasks; i++)
        rc = resolve_task(c, &m, &spec->tasks[i], i, e);
    free(m.path);
    return rc;
}

int herd_core_task_file(struct herd_core *c, uint64_t job_id, uint32_t index, const char *name,
                        char *sha, uint64_t *size)
{
    struct herd_err e;
    return herd_journal_file_get(c->journal, job_id, index, name, sha, size, &e);
}

void herd_core_each_file(struct herd_core *c, uint64_t job_id, uint32_t index,
                         void (*fn)(void *arg, const char *name, const char *sha, uint64_t size),
                         void *arg)
{
    struct herd_err e;
    herd_core__journal_err(c, herd_journal_file_list(c->journal, job_id, index, fn, arg, &e), &e);
}

void herd_core_each_attempt(struct herd_core *c, uint64_t job_id, uint32_t index,
                            void (*fn)(void *arg, const struct herd_journal_attempt_info *a),
                            void *arg)
{
    struct herd_err e;
    herd_core__journal_err(c, herd_journal_attempt_list(c->journal, job_id, index, fn, arg, &e),
                           &e);
}
