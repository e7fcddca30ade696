/* upload — local files of a job spec to the master's blob store; see
 * upload.h. The spec's references are gathered, sorted by path so that a
 * file named by many tasks is read, hashed and sent once, then rewritten. */
#include "cli/upload.h"

#include "base/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One "@path" reference inside the spec. */
struct ref {
    char **slot;   /* the spec string to rewrite */
    char *path;    /* the local path (owned) */
    const char *name; /* inside *slot: " NAME" of an input, NULL for a plugin */
};

static int read_file(const char *path, uint8_t **data, size_t *len, struct herd_err *e)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        int err = f ? (S_ISREG(st.st_mode) ? errno : EISDIR) : errno;
        if (f)
            fclose(f);
        return herd_err_set(e, HERD_EIO, "%s: %s", path, strerror(err));
    }
    uint8_t *p = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    size_t n = p ? fread(p, 1, (size_t)st.st_size, f) : 0;
    int bad = p == NULL || n != (size_t)st.st_size || ferror(f);
    fclose(f);
    if (bad) {
        free(p);
        return herd_err_set(e, p ? HERD_EIO : HERD_ENOMEM, "%s: %s", path,
                            p ? "short read (did it change?)" : "out of memory");
    }
    *data = p;
    *len = n;
    return HERD_OK;
}

int herd_upload_file(struct herd_client *c, const char *path, char sha[HERD_CAS_HEX + 1],
                     uint64_t *size, struct herd_err *e)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = read_file(path, &data, &len, e);
    if (rc != HERD_OK)
        return rc;
    char addr[HERD_CAS_HEX + 1], url[HERD_CAS_HEX + 16];
    herd_cas_buf(data, len, addr);
    snprintf(url, sizeof url, "/v1/blobs/%s", addr);
    long status = 0;
    json_t *reply = NULL;
    rc = herd_client_put_raw(c, url, data, len, &status, &reply, e);
    free(data);
    if (rc == HERD_OK && status != 201)
        rc = herd_err_set(e, status == 400 ? HERD_EINVAL : HERD_EIO, "%s: upload: %s (HTTP %ld)",
                          path, herd_client_error_text(reply, status), status);
    else if (rc != HERD_OK)
        herd_err_wrap(e, "%s: upload", path);
    json_decref(reply);
    if (rc != HERD_OK)
        return rc;
    memcpy(sha, addr, sizeof addr);
    if (size)
        *size = len;
    return HERD_OK;
}

static void add_ref(struct ref **v, size_t *n, size_t *cap, char **slot, int input)
{
    const char *s = *slot + 1;
    const char *sp = input ? strrchr(s, ' ') : NULL;
    herd_xgrow((void **)v, cap, *n + 1, sizeof **v);
    struct ref *r = &(*v)[(*n)++];
    r->slot = slot;
    r->path = sp ? strndup(s, (size_t)(sp - s)) : herd_xstrdup(s);
    if (r->path == NULL)
        abort();
    r->name = sp;
}

/* Every "@path" of the spec, in spec order. */
static struct ref *gather(struct herd_job_spec *spec, size_t *n)
{
    struct ref *v = NULL;
    size_t cap = 0;
    *n = 0;
    for (uint32_t i = 0; i < spec->ntasks; i++) {
        struct herd_task_spec *t = &spec->tasks[i];
        for (uint32_t k = 0; k < t->ninputs; k++)
            if (t->inputs[k][0] == '@')
                add_ref(&v, n, &cap, &t->inputs[k], 1);
        if (t->plugin != NULL && t->plugin[0] == '@')
            add_ref(&v, n, &cap, &t->plugin, 0);
    }
    return v;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct ref *)a)->path, ((const struct ref *)b)->path);
}

/* Replaces "@path[ NAME]" with "SHA[ NAME]". */
static void rewrite(struct ref *r, const char *sha)
{
    size_t n = HERD_CAS_HEX + (r->name ? strlen(r->name) : 0) + 1;
    char *s = herd_xmalloc(n);
    snprintf(s, n, "%s%s", sha, r->name ? r->name : "");
    free(*r->slot);
    *r->slot = s;
}

int herd_upload_spec(struct herd_client *c, struct herd_job_spec *spec,
                     struct herd_upload_stats *st, struct herd_err *e)
{
    size_t n = 0;
    struct ref *v = gather(spec, &n);
    struct herd_upload_stats got = {0};
    int rc = HERD_OK;
    if (n > 0)
        qsort(v, n, sizeof *v, by_path);
    for (size_t i = 0; i < n && rc == HERD_OK;) {
        char sha[HERD_CAS_HEX + 1];
        uint64_t size = 0;
        size_t j = i;
        rc = herd_upload_file(c, v[i].path, sha, &size, e);
        while (rc == HERD_OK && j < n && strcmp(v[j].path, v[i].path) == 0)
            rewrite(&v[j++], sha);
        got.files++;
        got.bytes += size;
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        free(v[i].path);
    free(v);
    if (rc == HERD_OK && st != NULL)
        *st = got;
    return rc;
}
