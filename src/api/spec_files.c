/* spec_files — the file fields of a job spec (docs/job-spec.md): a task's
 * "inputs", "outputs" and "plugin", and the job's "retry_on". Part of the
 * strict parser of spec_json.c and its encoder. */
#include "api/spec_json.h"

#include "wire/cas.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(struct herd_err *e, const char *path, const char *what)
{
    return herd_err_set(e, HERD_EINVAL, "%s: %s", path, what);
}

/* A name inside the sandbox: non-empty, no spaces (the wire joins
 * "SRC NAME" with one). The master checks the rest (no "..", relative). */
static int ok_name(const char *n)
{
    return n != NULL && n[0] != '\0' && strpbrk(n, " \t\n") == NULL &&
           strlen(n) < HERD_MSG_MAX_STR - HERD_CAS_HEX - 2;
}

static char *join(const char *src_prefix, const char *src, const char *name)
{
    size_t n = strlen(src_prefix) + strlen(src) + strlen(name) + 2;
    char *s = malloc(n);
    if (s != NULL)
        snprintf(s, n, "%s%s %s", src_prefix, src, name);
    return s;
}

/* One entry of "inputs": "PATH", {"path": P, "name": N}, {"sha256": H, "name": N}. */
static int parse_input(const json_t *v, char **out, const char *p, struct herd_err *e)
{
    const char *path = NULL, *sha = NULL, *name = NULL;
    if (json_is_string(v)) {
        path = json_string_value(v);
    } else if (json_is_object(v)) {
        const char *key;
        json_t *x;
        json_object_foreach((json_t *)v, key, x) {
            if (!json_is_string(x))
                return bad(e, p, "expected string fields path, sha256, name");
            if (strcmp(key, "path") == 0)
                path = json_string_value(x);
            else if (strcmp(key, "sha256") == 0)
                sha = json_string_value(x);
            else if (strcmp(key, "name") == 0)
                name = json_string_value(x);
            else
                return bad(e, p, "unknown field (path, sha256 or name)");
        }
    } else {
        return bad(e, p, "expected a path or an object");
    }
    if ((path == NULL) == (sha == NULL))
        return bad(e, p, "give exactly one of path and sha256");
    if (sha != NULL && !herd_cas_valid(sha))
        return bad(e, p, "sha256: expected 64 lower-case hex digits");
    if (path != NULL && path[0] == '\0')
        return bad(e, p, "empty path");
    if (name == NULL && path != NULL)
        name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!ok_name(name))
        return bad(e, p, "name: need a non-empty file name without blanks");
    *out = sha ? join("", sha, name) : join("@", path, name);
    return *out ? HERD_OK : herd_err_set(e, HERD_ENOMEM, "out of memory");
}

static int parse_strlist(const json_t *v, const char *path, uint32_t *n, char ***out,
                         int (*one)(const json_t *, char **, const char *, struct herd_err *),
                         struct herd_err *e)
{
    if (!json_is_array(v) || json_array_size(v) > HERD_MSG_MAX_FILES)
        return bad(e, path, "expected an array (at most 65536 entries)");
    size_t k = json_array_size(v);
    *out = calloc(k ? k : 1, sizeof **out);
    if (*out == NULL)
        return herd_err_set(e, HERD_ENOMEM, "out of memory");
    for (size_t i = 0; i < k; i++) {
        char p[200];
        snprintf(p, sizeof p, "%.150s[%zu]", path, i);
        int rc = one(json_array_get(v, i), &(*out)[i], p, e);
        if (rc != HERD_OK)
            return rc;
        (*n)++;
    }
    return HERD_OK;
}

static int parse_output(const json_t *v, char **out, const char *p, struct herd_err *e)
{
    if (!json_is_string(v) || !ok_name(json_string_value(v)))
        return bad(e, p, "expected a file name without blanks");
    *out = strdup(json_string_value(v));
    return *out ? HERD_OK : herd_err_set(e, HERD_ENOMEM, "out of memory");
}

static int parse_plugin(const json_t *v, struct herd_task_spec *t, const char *p,
                        struct herd_err *e)
{
    const char *s = json_string_value(v);
    if (s == NULL || s[0] == '\0')
        return bad(e, p, "expected a path or \"sha256:HEX\"");
    if (strncmp(s, "sha256:", 7) == 0) {
        if (!herd_cas_valid(s + 7))
            return bad(e, p, "expected 64 lower-case hex digits after sha256:");
        t->plugin = strdup(s + 7);
    } else {
        t->plugin = join("@", s, "");
        if (t->plugin)
            t->plugin[strlen(t->plugin) - 1] = '\0'; /* no name: drop the blank */
    }
    return t->plugin ? HERD_OK : herd_err_set(e, HERD_ENOMEM, "out of memory");
}

int herd_spec_json_files(const json_t *task, struct herd_task_spec *t, const char *path,
                         struct herd_err *e)
{
    char p[200];
    const json_t *v;
    int rc = HERD_OK;
    if ((v = json_object_get(task, "inputs")) != NULL) {
        snprintf(p, sizeof p, "%.150s.inputs", path);
        rc = parse_strlist(v, p, &t->ninputs, &t->inputs, parse_input, e);
    }
    if (rc == HERD_OK && (v = json_object_get(task, "outputs")) != NULL) {
        snprintf(p, sizeof p, "%.150s.outputs", path);
        rc = parse_strlist(v, p, &t->noutputs, &t->outputs, parse_output, e);
    }
    if (rc == HERD_OK && (v = json_object_get(task, "plugin")) != NULL) {
        snprintf(p, sizeof p, "%.150s.plugin", path);
        if (t->kind != HERD_TASK_FUNCTION)
            return bad(e, p, "only with function");
        rc = parse_plugin(v, t, p, e);
    }
    return rc;
}

int herd_spec_json_retry_on(const json_t *v, struct herd_job_spec *s, struct herd_err *e)
{
    static const char *const names[] = {"lost", "failed", "timeout"};
    if (!json_is_array(v))
        return bad(e, "retry_on", "expected an array of \"lost\", \"failed\", \"timeout\"");
    s->retry_on = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *x = json_string_value(json_array_get(v, i));
        size_t k = 0;
        while (k < 3 && (x == NULL || strcmp(x, names[k]) != 0))
            k++;
        if (k == 3)
            return bad(e, "retry_on", "entries must be \"lost\", \"failed\" or \"timeout\"");
        s->retry_on |= 1u << k;
    }
    if (s->retry_on == 0)
        s->max_retries = 0; /* [] : never retry */
    return HERD_OK;
}

static json_t *input_json(const char *in)
{
    const char *sp = strrchr(in, ' ');
    if (sp == NULL)
        return NULL;
    json_t *o = json_object();
    char *src = strndup(in, (size_t)(sp - in));
    int ok = o && src &&
             json_object_set_new(o, src[0] == '@' ? "path" : "sha256",
                                 json_string(src[0] == '@' ? src + 1 : src)) == 0 &&
             json_object_set_new(o, "name", json_string(sp + 1)) == 0;
    free(src);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int herd_spec_json_encode_files(const struct herd_task_spec *t, json_t *o)
{
    int ok = 1;
    if (t->ninputs) {
        json_t *a = json_array();
        for (uint32_t i = 0; a && ok && i < t->ninputs; i++)
            ok = json_array_append_new(a, input_json(t->inputs[i])) == 0;
        ok = ok && a && json_object_set_new(o, "inputs", a) == 0;
    }
    if (ok && t->noutputs) {
        json_t *a = json_array();
        for (uint32_t i = 0; a && ok && i < t->noutputs; i++)
            ok = json_array_append_new(a, json_string(t->outputs[i])) == 0;
        ok = ok && a && json_object_set_new(o, "outputs", a) == 0;
    }
    if (ok && t->plugin) {
        char buf[HERD_MSG_MAX_STR + 8];
        snprintf(buf, sizeof buf, "%s%s", t->plugin[0] == '@' ? "" : "sha256:",
                 t->plugin[0] == '@' ? t->plugin + 1 : t->plugin);
        ok = json_object_set_new(o, "plugin", json_string(buf)) == 0;
    }
    return ok ? 0 : -1;
}

json_t *herd_spec_json_encode_retry_on(uint32_t bits)
{
    static const char *const names[] = {"lost", "failed", "timeout"};
    json_t *a = json_array();
    for (int k = 0; a && k < 3; k++)
        if (bits & (1u << k))
            json_array_append_new(a, json_string(names[k]));
    return a;
}
