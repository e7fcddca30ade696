#include "graph/load.h"
#include "base/mem.h"
#include "graph/binfmt.h"
#include "graph/elist.h"
#include "graph/load_text.h"
#include "graph/zread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SNIFF 4096

static const char *const names[] = {[HERD_FMT_AUTO] = "auto",
                                    [HERD_FMT_SNAP] = "snap",
                                    [HERD_FMT_GRAPHALYTICS] = "graphalytics",
                                    [HERD_FMT_DIMACS] = "dimacs",
                                    [HERD_FMT_BIN] = "bin"};

const char *herd_graph_format_name(enum herd_graph_format f)
{
    return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "unknown";
}

int herd_graph_format_parse(const char *s, enum herd_graph_format *f)
{
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0) {
            *f = (enum herd_graph_format)i;
            return HERD_OK;
        }
    if (strcmp(s, "hgr") == 0 || strcmp(s, "el") == 0) {
        *f = s[0] == 'h' ? HERD_FMT_BIN : HERD_FMT_SNAP;
        return HERD_OK;
    }
    return HERD_EINVAL;
}

/* Length of `name` without a ".gz"/".xz" suffix. */
static size_t base_len(const char *name)
{
    size_t n = strlen(name);
    if (n > 3 && (strcmp(name + n - 3, ".gz") == 0 || strcmp(name + n - 3, ".xz") == 0))
        n -= 3;
    return n;
}

static int has_ext(const char *name, size_t n, const char *ext)
{
    size_t k = strlen(ext);
    return n > k && memcmp(name + n - k, ext, k) == 0;
}

enum herd_graph_format herd_graph_format_by_name(const char *name)
{
    size_t n = base_len(name);
    if (has_ext(name, n, ".hgr"))
        return HERD_FMT_BIN;
    if (has_ext(name, n, ".e") || has_ext(name, n, ".v"))
        return HERD_FMT_GRAPHALYTICS;
    if (has_ext(name, n, ".gr") || has_ext(name, n, ".dimacs") || has_ext(name, n, ".col"))
        return HERD_FMT_DIMACS;
    return HERD_FMT_AUTO;
}

enum herd_graph_format herd_graph_format_by_content(const uint8_t *head, size_t n)
{
    if (herd_binfmt_is(head, n))
        return HERD_FMT_BIN;
    const char *p = (const char *)head, *end = p + n;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        if (p == end || (*p != '#' && *p != '%'))
            break;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    if (p + 1 < end && (*p == 'p' || *p == 'c') && (p[1] == ' ' || p[1] == '\t'))
        return HERD_FMT_DIMACS;
    return HERD_FMT_SNAP;
}

static int exists(const char *path)
{
    return access(path, R_OK) == 0;
}

/* Builds from a parsed list, refusing a graph with nothing in it. */
static int finish(const char *name, struct herd_elist *el, struct herd_idmap *map,
                  const struct herd_graph_opts *o, struct herd_graph **out, struct herd_err *e)
{
    if (el->m == 0 && (map == NULL || map->n == 0)) {
        herd_elist_fini(el);
        if (map)
            herd_idmap_fini(map);
        return herd_err_set(e, HERD_EPARSE, "%s: no edges and no vertices", name);
    }
    return herd_elist_build(el, map, NULL, 0, o, out, e);
}

/* A .hgr file, refused like the text formats when it holds no vertex. */
static int load_bin(const char *name, struct herd_zread *z, const struct herd_graph_opts *o,
                    struct herd_graph **out, struct herd_err *e)
{
    struct herd_graph *g;
    int rc = herd_binfmt_read(name, z, o, &g, e);
    if (rc != HERD_OK)
        return rc;
    if (g->n == 0) {
        herd_graph_destroy(g);
        return herd_err_set(e, HERD_EPARSE, "%s: no edges and no vertices", name);
    }
    *out = g;
    return HERD_OK;
}

/* Loads text or binary from open readers; `vz` (may be NULL) is a .v. */
static int load_streams(const char *name, struct herd_zread *z, const char *vname,
                        struct herd_zread *vz, enum herd_graph_format fmt,
                        const struct herd_graph_opts *o, struct herd_graph **out,
                        struct herd_err *e)
{
    struct herd_text_src src = {.name = name, .z = z, .threads = o->threads, .weights = o->weighted};
    struct herd_elist el;
    struct herd_idmap map;
    int rc;
    if (fmt == HERD_FMT_AUTO) {
        const uint8_t *head;
        size_t n;
        rc = herd_zread_peek(z, SNIFF, &head, &n, e);
        if (rc != HERD_OK)
            return rc;
        fmt = herd_graph_format_by_content(head, n);
    }
    if (fmt == HERD_FMT_BIN)
        return load_bin(name, z, o, out, e);
    herd_elist_init(&el);
    herd_idmap_init(&map);
    if (fmt == HERD_FMT_DIMACS) {
        rc = herd_text_load_dimacs(&src, &el, &map, e);
    } else if (vz) {
        struct herd_text_src vsrc = {.name = vname, .z = vz, .threads = o->threads};
        rc = herd_text_load_vertices(&vsrc, &map, e);
        if (rc == HERD_OK)
            rc = herd_text_load_edges(&src, &map, vname, &el, e);
    } else {
        rc = herd_text_load_edges(&src, NULL, NULL, &el, e);
    }
    if (rc != HERD_OK) {
        herd_elist_fini(&el);
        herd_idmap_fini(&map);
        return rc;
    }
    return finish(name, &el, fmt == HERD_FMT_DIMACS || vz ? &map : NULL, o, out, e);
}

/* The stem of "X.e", "X.v" (each maybe .gz/.xz) or "X", plus `ext`, then
 * with ".gz" and ".xz": the first that exists, else NULL. */
static char *find_sibling(const char *path, const char *ext)
{
    static const char *const zips[] = {"", ".gz", ".xz"};
    size_t n = base_len(path);
    if (has_ext(path, n, ".e") || has_ext(path, n, ".v"))
        n -= 2;
    for (unsigned i = 0; i < 3; i++) {
        char *p = herd_xmalloc(n + strlen(ext) + 4);
        memcpy(p, path, n);
        strcpy(p + n, ext);
        strcat(p, zips[i]);
        if (exists(p))
            return p;
        free(p);
    }
    return NULL;
}

/* Resolves the edge and vertex paths of a Graphalytics input. */
static void graphalytics_paths(const char *path, const struct herd_graph_opts *o, char **epath,
                               char **vpath)
{
    size_t n = base_len(path);
    if (has_ext(path, n, ".v")) {
        *vpath = herd_xstrdup(path);
        *epath = find_sibling(path, ".e");
        if (*epath == NULL) { /* name the missing file in the error */
            *epath = herd_xstrdup(path);
            (*epath)[n - 1] = 'e';
        }
    } else if (!has_ext(path, n, ".e") && !exists(path)) {
        *epath = find_sibling(path, ".e");
        *epath = *epath ? *epath : herd_xstrdup(path);
        *vpath = find_sibling(path, ".v");
    } else {
        *epath = herd_xstrdup(path);
        *vpath = has_ext(path, n, ".e") ? find_sibling(path, ".v") : NULL;
    }
    if (o->vertex_file) {
        free(*vpath);
        *vpath = herd_xstrdup(o->vertex_file);
    }
}

void herd_graph_input_paths(const char *path, const struct herd_graph_opts *o,
                            enum herd_graph_format *fmt, char **epath, char **vpath)
{
    enum herd_graph_format f = o->format;
    if (f == HERD_FMT_AUTO)
        f = herd_graph_format_by_name(path);
    if (f == HERD_FMT_AUTO && !exists(path) && o->vertex_file == NULL) {
        char *guess = herd_xmalloc(strlen(path) + 3);
        sprintf(guess, "%s.e", path);
        f = exists(guess) ? HERD_FMT_GRAPHALYTICS : f;
        free(guess);
    }
    *epath = *vpath = NULL;
    if (f == HERD_FMT_GRAPHALYTICS ||
        (o->vertex_file && f != HERD_FMT_DIMACS && f != HERD_FMT_BIN))
        graphalytics_paths(path, o, epath, vpath);
    else
        *epath = herd_xstrdup(path);
    *fmt = f;
}

static struct herd_graph_opts normalize(const struct herd_graph_opts *o)
{
    struct herd_graph_opts n = *o;
    if (!n.need_out && !n.need_in)
        n.need_out = 1;
    return n;
}

int herd_graph_load(const char *path, const struct herd_graph_opts *opts,
                    struct herd_graph **out, struct herd_err *e)
{
    struct herd_graph_opts o = normalize(opts);
    enum herd_graph_format fmt;
    struct herd_zread *z = NULL, *vz = NULL;
    char *epath = NULL, *vpath = NULL;
    herd_graph_input_paths(path, &o, &fmt, &epath, &vpath);
    int rc = herd_zread_open(epath, &z, e);
    if (rc == HERD_OK && vpath)
        rc = herd_zread_open(vpath, &vz, e);
    if (rc == HERD_OK)
        rc = load_streams(epath, z, vpath, vz, fmt == HERD_FMT_GRAPHALYTICS ? HERD_FMT_SNAP : fmt,
                          &o, out, e);
    herd_zread_close(z);
    herd_zread_close(vz);
    free(epath);
    free(vpath);
    return rc;
}

int herd_graph_load_mem(const char *name, const void *bytes, size_t len,
                        const struct herd_graph_opts *opts, struct herd_graph **out,
                        struct herd_err *e)
{
    struct herd_graph_opts o = normalize(opts);
    enum herd_graph_format fmt = o.format ? o.format : herd_graph_format_by_name(name);
    struct herd_zread *z;
    int rc = herd_zread_open_mem(name, bytes, len, &z, e);
    if (rc != HERD_OK)
        return rc;
    rc = load_streams(name, z, NULL, NULL, fmt == HERD_FMT_GRAPHALYTICS ? HERD_FMT_SNAP : fmt, &o,
                      out, e);
    herd_zread_close(z);
    return rc;
}

int herd_graph_load_mem_pair(const char *ename, const void *ebytes, size_t elen,
                             const char *vname, const void *vbytes, size_t vlen,
                             const struct herd_graph_opts *opts, struct herd_graph **out,
                             struct herd_err *e)
{
    struct herd_graph_opts o = normalize(opts);
    struct herd_zread *z = NULL, *vz = NULL;
    int rc = herd_zread_open_mem(ename, ebytes, elen, &z, e);
    if (rc == HERD_OK && vbytes)
        rc = herd_zread_open_mem(vname, vbytes, vlen, &vz, e);
    if (rc == HERD_OK)
        rc = load_streams(ename, z, vname, vz, HERD_FMT_SNAP, &o, out, e);
    herd_zread_close(z);
    herd_zread_close(vz);
    return rc;
}
