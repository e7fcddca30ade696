/* herd fetch JOB TASK [FILE] [-o DEST]: downloads the output files a task
 * staged back (docs/tasks.md). The task's file list (GET
 * /v1/jobs/J/tasks/I/files) gives each name's content address, and the
 * bytes come from the blob store (GET /v1/blobs/SHA), so any name works,
 * subdirectories included. With FILE, one file goes to DEST (default: its
 * base name here; "-" for stdout); without, every output goes under the
 * directory DEST (default "."), keeping its relative name ("-o -": all to
 * stdout, one after another). */
#include "cli/cli.h"
#include "cli/cmd_int.h"

#include "base/mem.h"
#include "wire/cas.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FETCH_ARGS "JOB TASK [FILE] [-o DEST]"

/* Creates the directories leading to path (like mkdir -p of its dirname). */
static int make_parents(const char *path)
{
    char *p = herd_xstrdup(path);
    int rc = 0;
    for (char *s = strchr(p + 1, '/'); s != NULL && rc == 0; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = -1;
        *s = '/';
    }
    if (rc != 0)
        fprintf(stderr, "herd fetch: cannot create directories for %s: %s\n", path,
                strerror(errno));
    free(p);
    return rc;
}

static int write_out(const char *dest, const uint8_t *data, size_t len)
{
    if (strcmp(dest, "-") == 0)
        return fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -1;
    if (make_parents(dest) != 0)
        return -1;
    FILE *f = fopen(dest, "wb");
    int ok = f != NULL && fwrite(data, 1, len, f) == len;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    if (!ok)
        fprintf(stderr, "herd fetch: cannot write %s: %s\n", dest, strerror(errno));
    return ok ? 0 : -1;
}

/* Downloads the blob behind one listed file to dest, checking its address. */
static int fetch_one(struct herd_client *c, const json_t *file, const char *dest)
{
    const char *sha = herd_cli_jstr(file, "sha256");
    char path[HERD_CAS_HEX + 16], got[HERD_CAS_HEX + 1];
    snprintf(path, sizeof path, "/v1/blobs/%s", sha);
    long status = 0;
    uint8_t *data = NULL;
    size_t len = 0;
    struct herd_err e;
    herd_err_clear(&e);
    if (herd_client_get_raw(c, path, &status, &data, &len, &e) != HERD_OK) {
        fprintf(stderr, "herd fetch: %s\n", e.msg);
        return -1;
    }
    int rc = -1;
    herd_cas_buf(data, len, got);
    if (status != 200)
        fprintf(stderr, "herd fetch: %s: HTTP %ld from the master\n",
                herd_cli_jstr(file, "name"), status);
    else if (strcmp(got, sha) != 0)
        fprintf(stderr, "herd fetch: %s: content does not match its address\n",
                herd_cli_jstr(file, "name"));
    else
        rc = write_out(dest, data, len);
    free(data);
    return rc;
}

/* A name from the master becomes a path under dir only if it stays there. */
static int safe_name(const char *n)
{
    return n[0] != '\0' && n[0] != '/' && strstr(n, "..") == NULL;
}

static int fetch_all(struct herd_client *c, const json_t *files, const char *dir)
{
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f) {
        const char *name = herd_cli_jstr(f, "name");
        if (strcmp(dir, "-") == 0) { /* -o - : every file to stdout, in order */
            if (fetch_one(c, f, "-") != 0)
                return -1;
            continue;
        }
        if (!safe_name(name)) {
            fprintf(stderr, "herd fetch: skipping odd file name '%s'\n", name);
            continue;
        }
        size_t n = strlen(dir) + strlen(name) + 2;
        char *dest = herd_xmalloc(n);
        snprintf(dest, n, "%s/%s", dir, name);
        int rc = fetch_one(c, f, dest);
        free(dest);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static const json_t *find_file(const json_t *files, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f)
        if (strcmp(herd_cli_jstr(f, "name"), name) == 0)
            return f;
    return NULL;
}

static int fetch(struct herd_client *c, uint64_t id, const char *sel, const char *file,
                 const char *dest)
{
    char path[96];
    json_t *r = NULL, *l = NULL;
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64 "/tasks", id);
    if (herd_cli_api(c, "fetch", "GET", path, NULL, 200, &r) != 0)
        return 1;
    long long ix = herd_cli_find_task("fetch", json_object_get(r, "tasks"), sel);
    json_decref(r);
    if (ix < 0)
        return 1;
    snprintf(path, sizeof path, "/v1/jobs/%" PRIu64 "/tasks/%lld/files", id, ix);
    if (herd_cli_api(c, "fetch", "GET", path, NULL, 200, &l) != 0)
        return 1;
    const json_t *files = json_object_get(l, "files");
    int rc = 0;
    if (file == NULL) {
        rc = fetch_all(c, files, dest ? dest : ".");
    } else if (find_file(files, file) == NULL) {
        fprintf(stderr, "herd fetch: job %" PRIu64 " task %lld has no output '%s' (yet)\n", id,
                ix, file);
        rc = -1;
    } else {
        const char *b = strrchr(file, '/');
        rc = fetch_one(c, find_file(files, file), dest ? dest : b ? b + 1 : file);
    }
    json_decref(l);
    return rc == 0 ? 0 : 1;
}

int herd_cmd_fetch(int argc, char **argv)
{
    static const struct option opts[] = {HERD_CLI_COMMON_OPTS,
                                         {"output", required_argument, NULL, 'o'}, {0}};
    struct herd_cli_common o = {0};
    const char *dest = NULL;
    uint64_t id;
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        if (herd_cli_common_opt(ch, &o))
            continue;
        if (ch != 'o')
            return herd_cli_usage("fetch", FETCH_ARGS);
        dest = optarg;
    }
    int n = argc - optind;
    if (n < 2 || n > 3)
        return herd_cli_usage("fetch", FETCH_ARGS);
    if (herd_cli_parse_job_id("fetch", argv[optind], &id) != 0)
        return 2;
    struct herd_client *c = herd_cli_connect("fetch", &o);
    if (c == NULL)
        return 1;
    int rc = fetch(c, id, argv[optind + 1], n == 3 ? argv[optind + 2] : NULL, dest);
    herd_client_destroy(c);
    return rc;
}
