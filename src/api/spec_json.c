#include "api/spec_json.h"

#include "api/b64.h"
#include "api/words.h"
#include "wire/msg.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 160

/* A field of an object in the spec: name and whether it is known. */
static const char *const job_fields[] = {"name", "priority", "retries", "retry_on", "tasks",
                                         NULL};
static const char *const task_fields[] = {"name",    "argv",    "cmd",     "shell",  "env",
                                          "cores",   "memory",  "timeout", "deps",   "function",
                                          "payload", "inputs",  "outputs", "plugin", NULL};

static int bad(struct herd_err *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(struct herd_err *e, const char *path, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return herd_err_set(e, HERD_EINVAL, "%s: %s", path, what);
}

static int oom(struct herd_err *e)
{
    return herd_err_set(e, HERD_ENOMEM, "job spec: out of memory");
}

static int check_fields(const json_t *obj, const char *const *known, const char *path,
                        struct herd_err *e)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i = 0;
        while (known[i] != NULL && strcmp(known[i], key) != 0)
            i++;
        if (known[i] == NULL)
            return bad(e, path, "unknown field '%.100s'", key);
    }
    return HERD_OK;
}

/* A copy of a JSON string value, NULL on OOM; *rc set to the error. */
static int get_string(const json_t *v, const char *path, char **out, struct herd_err *e)
{
    if (!json_is_string(v))
        return bad(e, path, "expected string");
    size_t n = json_string_length(v);
    if (n > HERD_SPEC_MAX_STR)
        return bad(e, path, "string longer than %u bytes", HERD_SPEC_MAX_STR);
    char *s = malloc(n + 1);
    if (s == NULL)
        return oom(e);
    memcpy(s, json_string_value(v), n + 1);
    *out = s;
    return HERD_OK;
}

static int get_int(const json_t *v, const char *path, long long lo, long long hi, long long *out,
                   struct herd_err *e)
{
    if (!json_is_integer(v))
        return bad(e, path, "expected integer");
    long long x = json_integer_value(v);
    if (x < lo || x > hi)
        return bad(e, path, "%lld out of range [%lld, %lld]", x, lo, hi);
    *out = x;
    return HERD_OK;
}

/* ---- sizes ---- */

int herd_spec_parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return HERD_EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return HERD_EINVAL;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    static const char units[] = "KMGT";
    char c = (char)toupper((unsigned char)*p);
    const char *u = c != '\0' ? strchr(units, c) : NULL;
    unsigned shift = u ? 10u * (unsigned)(u - units + 1) : 0;
    if (u != NULL)
        p++;
    if (strcmp(p, "") != 0 && strcmp(p, "B") != 0 && strcmp(p, "b") != 0 &&
        (u == NULL || (strcmp(p, "iB") != 0 && strcmp(p, "ib") != 0)))
        return HERD_EINVAL;
    if (shift && v > (UINT64_MAX >> shift))
        return HERD_EINVAL;
    *out = v << shift;
    return HERD_OK;
}

/* ---- task fields ---- */

static int parse_strv(const json_t *v, const char *path, char ***out, uint32_t *n,
                      struct herd_err *e)
{
    if (!json_is_array(v))
        return bad(e, path, "expected array of strings");
    size_t cnt = json_array_size(v);
    if (cnt > HERD_MSG_MAX_ARGS)
        return bad(e, path, "more than %u entries", HERD_MSG_MAX_ARGS);
    char **sv = calloc(cnt ? cnt : 1, sizeof *sv);
    if (sv == NULL)
        return oom(e);
    for (size_t i = 0; i < cnt; i++) {
        char p[PATH_MAX_LEN];
        snprintf(p, sizeof p, "%.100s[%zu]", path, i);
        int rc = get_string(json_array_get(v, i), p, &sv[i], e);
        if (rc != HERD_OK) {
            herd_words_free(sv, (uint32_t)i);
            return rc;
        }
    }
    *out = sv;
    *n = (uint32_t)cnt;
    return HERD_OK;
}

/* A fresh argv of the given strings; HERD_ENOMEM on failure. */
static int make_argv(struct herd_task_spec *t, const char *const *words, uint32_t n,
                     struct herd_err *e)
{
    t->argv = calloc(n, sizeof *t->argv);
    if (t->argv == NULL)
        return oom(e);
    for (t->nargv = 0; t->nargv < n; t->nargv++)
        if ((t->argv[t->nargv] = strdup(words[t->nargv])) == NULL)
            return oom(e);
    return HERD_OK;
}

static int parse_cmd(const json_t *task, struct herd_task_spec *t, const char *path,
                     struct herd_err *e)
{
    char p[PATH_MAX_LEN];
    snprintf(p, sizeof p, "%.100s.cmd", path);
    const json_t *cmd = json_object_get(task, "cmd");
    const json_t *shell = json_object_get(task, "shell");
    if (!json_is_string(cmd))
        return bad(e, p, "expected string");
    if (json_string_length(cmd) > HERD_SPEC_MAX_STR)
        return bad(e, p, "string longer than %u bytes", HERD_SPEC_MAX_STR);
    if (shell != NULL && !json_is_boolean(shell))
        return bad(e, path, "shell: expected true or false");
    const char *text = json_string_value(cmd);
    if (text[strspn(text, " \t\n")] == '\0')
        return bad(e, p, "empty command");
    if (json_is_true(shell)) {
        const char *words[] = {"/bin/sh", "-c", text};
        return make_argv(t, words, 3, e);
    }
    int rc = herd_words_split(text, &t->argv, &t->nargv, e);
    if (rc != HERD_EPARSE)
        return rc;
    herd_err_wrap(e, "%s", p);
    if (e != NULL)
        e->code = HERD_EINVAL; /* a bad field, not bad JSON */
    return HERD_EINVAL;
}

static int parse_payload(const json_t *pl, struct herd_task_spec *t, const char *p,
                         struct herd_err *e)
{
    if (!json_is_string(pl))
        return bad(e, p, "expected base64 string");
    size_t n = json_string_length(pl);
    if (n / 4 * 3 > HERD_MSG_MAX_BLOB + 2)
        return bad(e, p, "larger than %u bytes", HERD_MSG_MAX_BLOB);
    t->payload = malloc(n / 4 * 3 + 1);
    if (t->payload == NULL)
        return oom(e);
    long k = herd_b64_decode(json_string_value(pl), n, t->payload);
    if (k < 0)
        return bad(e, p, "invalid base64");
    if ((unsigned long)k > HERD_MSG_MAX_BLOB)
        return bad(e, p, "larger than %u bytes", HERD_MSG_MAX_BLOB);
    t->payload_len = (uint32_t)k;
    return HERD_OK;
}

static int parse_function(const json_t *task, struct herd_task_spec *t, const char *path,
                          struct herd_err *e)
{
    char p[PATH_MAX_LEN];
    snprintf(p, sizeof p, "%.100s.function", path);
    t->kind = HERD_TASK_FUNCTION;
    const json_t *fn = json_object_get(task, "function");
    if (!json_is_string(fn))
        return bad(e, p, "expected string");
    if (json_string_length(fn) == 0 || json_string_length(fn) > HERD_MSG_MAX_STR)
        return bad(e, p, "function name must have 1 to %u bytes", HERD_MSG_MAX_STR);
    const char *words[] = {json_string_value(fn)};
    int rc = make_argv(t, words, 1, e);
    const json_t *pl = json_object_get(task, "payload");
    if (rc != HERD_OK || pl == NULL)
        return rc;
    snprintf(p, sizeof p, "%.100s.payload", path);
    return parse_payload(pl, t, p, e);
}

/* Exactly one of argv / cmd / function gives the program. */
static int parse_program(const json_t *task, struct herd_task_spec *t, const char *path,
                         struct herd_err *e)
{
    int has_argv = json_object_get(task, "argv") != NULL;
    int has_cmd = json_object_get(task, "cmd") != NULL;
    int has_fn = json_object_get(task, "function") != NULL;
    if (has_argv + has_cmd + has_fn != 1)
        return bad(e, path, "%s", has_argv + has_cmd + has_fn == 0
                                     ? "needs one of argv, cmd or function"
                                     : "argv, cmd and function exclusive: give one");
    if (json_object_get(task, "shell") != NULL && !has_cmd)
        return bad(e, path, "shell: only with cmd");
    if (json_object_get(task, "payload") != NULL && !has_fn)
        return bad(e, path, "payload: only with function");
    t->kind = HERD_TASK_COMMAND;
    if (has_cmd)
        return parse_cmd(task, t, path, e);
    if (has_fn)
        return parse_function(task, t, path, e);
    char p[PATH_MAX_LEN];
    snprintf(p, sizeof p, "%.100s.argv", path);
    int rc = parse_strv(json_object_get(task, "argv"), p, &t->argv, &t->nargv, e);
    if (rc == HERD_OK && t->nargv == 0)
        return bad(e, p, "empty");
    if (rc == HERD_OK && t->argv[0][0] == '\0')
        return bad(e, p, "empty program name");
    return rc;
}

static int parse_env(const json_t *v, struct herd_task_spec *t, const char *path,
                     struct herd_err *e)
{
    if (!json_is_object(v))
        return bad(e, path, "expected object of strings");
    size_t cnt = json_object_size(v);
    if (cnt > HERD_MSG_MAX_ARGS)
        return bad(e, path, "more than %u entries", HERD_MSG_MAX_ARGS);
    t->env = calloc(cnt ? cnt : 1, sizeof *t->env);
    if (t->env == NULL)
        return oom(e);
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val) {
        char p[PATH_MAX_LEN];
        snprintf(p, sizeof p, "%.90s.%.60s", path, key);
        if (key[0] == '\0' || strchr(key, '=') != NULL)
            return bad(e, p, "bad variable name");
        if (!json_is_string(val))
            return bad(e, p, "expected string");
        size_t n = strlen(key) + json_string_length(val) + 2;
        if (n > HERD_SPEC_MAX_STR)
            return bad(e, p, "longer than %u bytes", HERD_SPEC_MAX_STR);
        char *kv = malloc(n);
        if (kv == NULL)
            return oom(e);
        snprintf(kv, n, "%s=%s", key, json_string_value(val));
        t->env[t->nenv++] = kv;
    }
    return HERD_OK;
}

static int parse_memory(const json_t *v, struct herd_task_spec *t, const char *path,
                        struct herd_err *e)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        t->memory = (uint64_t)json_integer_value(v);
        return HERD_OK;
    }
    if (json_is_string(v) && herd_spec_parse_size(json_string_value(v), &t->memory) == HERD_OK)
        return HERD_OK;
    if (json_is_string(v))
        return bad(e, path, "bad size '%.40s' (bytes, or a number with K, M, G or T)",
                   json_string_value(v));
    return bad(e, path, "expected bytes (integer >= 0) or a size string like \"512M\"");
}

static int parse_timeout(const json_t *v, struct herd_task_spec *t, const char *path,
                         struct herd_err *e)
{
    if (!json_is_number(v))
        return bad(e, path, "expected number of seconds");
    double s = json_number_value(v);
    if (!(s >= 0) || s * 1000.0 > (double)UINT32_MAX)
        return bad(e, path, "out of range [0, %u] seconds", UINT32_MAX / 1000);
    t->timeout_ms = (uint32_t)llround(s * 1000.0);
    if (s > 0 && t->timeout_ms == 0)
        t->timeout_ms = 1;
    return HERD_OK;
}

/* The scalar and optional fields of one task (deps come later). */
static int parse_task(const json_t *task, struct herd_task_spec *t, const char *path,
                      struct herd_err *e)
{
    char p[PATH_MAX_LEN];
    int rc;
    long long x;
    const json_t *v;
    if (!json_is_object(task))
        return bad(e, path, "expected object");
    if ((rc = check_fields(task, task_fields, path, e)) != HERD_OK)
        return rc;
    t->cores = 1;
    if ((v = json_object_get(task, "name")) != NULL) {
        snprintf(p, sizeof p, "%.100s.name", path);
        if ((rc = get_string(v, p, &t->name, e)) != HERD_OK)
            return rc;
    }
    if ((rc = parse_program(task, t, path, e)) != HERD_OK)
        return rc;
    if ((v = json_object_get(task, "env")) != NULL) {
        snprintf(p, sizeof p, "%.100s.env", path);
        if ((rc = parse_env(v, t, p, e)) != HERD_OK)
            return rc;
    }
    if ((v = json_object_get(task, "cores")) != NULL) {
        snprintf(p, sizeof p, "%.100s.cores", path);
        if ((rc = get_int(v, p, 1, HERD_SPEC_MAX_CORES, &x, e)) != HERD_OK)
            return rc;
        t->cores = (uint32_t)x;
    }
    if ((v = json_object_get(task, "memory")) != NULL) {
        snprintf(p, sizeof p, "%.100s.memory", path);
        if ((rc = parse_memory(v, t, p, e)) != HERD_OK)
            return rc;
    }
    if ((v = json_object_get(task, "timeout")) != NULL) {
        snprintf(p, sizeof p, "%.100s.timeout", path);
        if ((rc = parse_timeout(v, t, p, e)) != HERD_OK)
            return rc;
    }
    return herd_spec_json_files(task, t, path, e);
}

/* The task must fit the ASSIGN message a worker will decode. */
static int fits_wire(const struct herd_task_spec *t, const char *path, struct herd_err *e)
{
    struct herd_msg m;
    memset(&m, 0, sizeof m);
    m.type = HERD_MSG_ASSIGN;
    m.u.assign.kind = t->kind;
    m.u.assign.cores = t->cores;
    m.u.assign.memory = t->memory;
    m.u.assign.timeout_ms = t->timeout_ms;
    m.u.assign.nargv = t->nargv;
    m.u.assign.argv = t->argv;
    m.u.assign.nenv = t->nenv;
    m.u.assign.env = t->env;
    m.u.assign.payload_len = t->payload_len;
    m.u.assign.payload = t->payload;
    m.u.assign.ninputs = t->ninputs;
    m.u.assign.inputs = t->inputs;
    m.u.assign.noutputs = t->noutputs;
    m.u.assign.outputs = t->outputs;
    m.u.assign.plugin = t->plugin;
    struct herd_err we;
    herd_err_clear(&we);
    if (herd_msg_validate(&m, &we) == HERD_OK)
        return HERD_OK;
    return bad(e, path, "too large for a worker: %s", we.msg);
}

/* ---- dependencies ---- */

struct name_ix {
    const char *name;
    uint32_t index;
};

static int cmp_name_ix(const void *a, const void *b)
{
    return strcmp(((const struct name_ix *)a)->name, ((const struct name_ix *)b)->name);
}

/* Sorted (name, index) pairs of the named tasks, built on first use. */
struct names {
    struct name_ix *v;
    size_t n;
    int built;
};

static int build_names(struct names *nm, const struct herd_job_spec *s, struct herd_err *e)
{
    nm->built = 1;
    nm->v = calloc(s->ntasks ? s->ntasks : 1, sizeof *nm->v);
    if (nm->v == NULL)
        return oom(e);
    for (uint32_t i = 0; i < s->ntasks; i++)
        if (s->tasks[i].name != NULL)
            nm->v[nm->n++] = (struct name_ix){s->tasks[i].name, i};
    qsort(nm->v, nm->n, sizeof *nm->v, cmp_name_ix);
    return HERD_OK;
}

static int resolve_name(struct names *nm, const struct herd_job_spec *s, const char *name,
                        const char *p, uint32_t *out, struct herd_err *e)
{
    int rc;
    if (!nm->built && (rc = build_names(nm, s, e)) != HERD_OK)
        return rc;
    struct name_ix key = {name, 0};
    struct name_ix *hit = bsearch(&key, nm->v, nm->n, sizeof *nm->v, cmp_name_ix);
    if (hit == NULL)
        return bad(e, p, "no task named '%.100s'", name);
    if ((hit > nm->v && strcmp(hit[-1].name, name) == 0) ||
        (hit + 1 < nm->v + nm->n && strcmp(hit[1].name, name) == 0))
        return bad(e, p, "task name '%.100s' is ambiguous (several tasks have it)", name);
    *out = hit->index;
    return HERD_OK;
}

static int parse_deps(const json_t *v, struct herd_job_spec *s, uint32_t ti, struct names *nm,
                      const char *path, struct herd_err *e)
{
    struct herd_task_spec *t = &s->tasks[ti];
    if (!json_is_array(v))
        return bad(e, path, "expected array of task indices or names");
    size_t n = json_array_size(v);
    t->deps = calloc(n ? n : 1, sizeof *t->deps);
    if (t->deps == NULL)
        return oom(e);
    for (size_t i = 0; i < n; i++) {
        char p[PATH_MAX_LEN];
        snprintf(p, sizeof p, "%.100s[%zu]", path, i);
        const json_t *d = json_array_get(v, i);
        uint32_t ix = 0;
        int rc = HERD_OK;
        if (json_is_string(d)) {
            rc = resolve_name(nm, s, json_string_value(d), p, &ix, e);
        } else if (json_is_integer(d)) {
            long long x = json_integer_value(d);
            if (x < 0 || x >= (long long)s->ntasks)
                return bad(e, p, "index %lld out of range (%u tasks)", x, s->ntasks);
            ix = (uint32_t)x;
        } else {
            return bad(e, p, "expected task index or name");
        }
        if (rc != HERD_OK)
            return rc;
        t->deps[t->ndeps++] = ix;
    }
    return HERD_OK;
}

/* ---- the job ---- */

static int parse_tasks(const json_t *arr, struct herd_job_spec *s, struct herd_err *e)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return bad(e, "tasks", "expected a non-empty array");
    size_t n = json_array_size(arr);
    if (n > HERD_SPEC_MAX_TASKS)
        return bad(e, "tasks", "more than %u tasks", HERD_SPEC_MAX_TASKS);
    s->tasks = calloc(n, sizeof *s->tasks);
    if (s->tasks == NULL)
        return oom(e);
    s->ntasks = (uint32_t)n;
    char p[PATH_MAX_LEN];
    for (size_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, "tasks[%zu]", i);
        int rc = parse_task(json_array_get(arr, i), &s->tasks[i], p, e);
        if (rc == HERD_OK)
            rc = fits_wire(&s->tasks[i], p, e);
        if (rc != HERD_OK)
            return rc;
    }
    struct names nm = {0};
    int rc = HERD_OK;
    for (size_t i = 0; i < n && rc == HERD_OK; i++) {
        const json_t *d = json_object_get(json_array_get(arr, i), "deps");
        snprintf(p, sizeof p, "tasks[%zu].deps", i);
        if (d != NULL)
            rc = parse_deps(d, s, (uint32_t)i, &nm, p, e);
    }
    free(nm.v);
    return rc;
}

static int parse_job(const json_t *root, struct herd_job_spec *s, struct herd_err *e)
{
    const json_t *v;
    long long x;
    int rc;
    if (!json_is_object(root))
        return bad(e, "(root)", "expected a JSON object");
    if ((rc = check_fields(root, job_fields, "(root)", e)) != HERD_OK)
        return rc;
    s->max_retries = 3;
    if ((v = json_object_get(root, "name")) != NULL &&
        (rc = get_string(v, "name", &s->name, e)) != HERD_OK)
        return rc;
    if ((v = json_object_get(root, "priority")) != NULL) {
        if ((rc = get_int(v, "priority", INT32_MIN, INT32_MAX, &x, e)) != HERD_OK)
            return rc;
        s->priority = (int32_t)x;
    }
    if ((v = json_object_get(root, "retries")) != NULL) {
        if ((rc = get_int(v, "retries", 0, HERD_SPEC_MAX_RETRIES, &x, e)) != HERD_OK)
            return rc;
        s->max_retries = (uint32_t)x;
    }
    if ((v = json_object_get(root, "retry_on")) != NULL &&
        (rc = herd_spec_json_retry_on(v, s, e)) != HERD_OK)
        return rc;
    v = json_object_get(root, "tasks");
    if (v == NULL)
        return bad(e, "tasks", "missing");
    return parse_tasks(v, s, e);
}

int herd_spec_json_from(const json_t *root, struct herd_job_spec *out, struct herd_err *e)
{
    struct herd_job_spec s;
    memset(&s, 0, sizeof s);
    int rc = parse_job(root, &s, e);
    if (rc != HERD_OK) {
        herd_job_spec_free(&s);
        return rc;
    }
    *out = s;
    return HERD_OK;
}

int herd_spec_json_parse(const char *text, size_t len, struct herd_job_spec *out,
                         struct herd_err *e)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return herd_err_set(e, HERD_EPARSE, "invalid JSON at line %d, column %d: %s", je.line,
                            je.column, je.text);
    int rc = herd_spec_json_from(root, out, e);
    json_decref(root);
    return rc;
}

/* ---- encoding ---- */

/* Bytes as a JSON integer, or as a decimal size string above the range of
 * JSON integers (int64), which parse_memory() reads back the same. */
static json_t *memory_json(uint64_t bytes)
{
    char text[24];
    if (bytes <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)bytes);
    snprintf(text, sizeof text, "%llu", (unsigned long long)bytes);
    return json_string(text);
}

static json_t *encode_task(const struct herd_task_spec *t)
{
    json_t *o = json_object();
    json_t *env = json_object();
    json_t *deps = json_array();
    json_t *argv = json_array();
    int ok = o && env && deps && argv;
    for (uint32_t i = 0; ok && i < t->nargv; i++)
        ok = json_array_append_new(argv, json_string(t->argv[i])) == 0;
    for (uint32_t i = 0; ok && i < t->nenv; i++) {
        const char *eq = strchr(t->env[i], '=');
        char *k = eq ? strndup(t->env[i], (size_t)(eq - t->env[i])) : NULL;
        ok = k && json_object_set_new(env, k, json_string(eq + 1)) == 0;
        free(k);
    }
    for (uint32_t i = 0; ok && i < t->ndeps; i++)
        ok = json_array_append_new(deps, json_integer(t->deps[i])) == 0;
    if (ok && t->name)
        ok = json_object_set_new(o, "name", json_string(t->name)) == 0;
    if (ok && t->kind == HERD_TASK_FUNCTION) {
        char *b = herd_b64_encode(t->payload, t->payload_len);
        ok = b && t->nargv > 0 &&
             json_object_set_new(o, "function", json_string(t->argv[0])) == 0 &&
             json_object_set_new(o, "payload", json_string(b)) == 0;
        free(b);
    } else if (ok) {
        ok = json_object_set(o, "argv", argv) == 0;
    }
    if (ok && t->nenv)
        ok = json_object_set(o, "env", env) == 0;
    if (ok && t->ndeps)
        ok = json_object_set(o, "deps", deps) == 0;
    ok = ok && json_object_set_new(o, "cores", json_integer(t->cores)) == 0;
    if (ok && t->memory)
        ok = json_object_set_new(o, "memory", memory_json(t->memory)) == 0;
    if (ok && t->timeout_ms)
        ok = json_object_set_new(o, "timeout", json_real(t->timeout_ms / 1000.0)) == 0;
    ok = ok && herd_spec_json_encode_files(t, o) == 0;
    json_decref(env);
    json_decref(deps);
    json_decref(argv);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *herd_spec_json_encode(const struct herd_job_spec *s)
{
    json_t *tasks = json_array();
    json_t *o = json_pack("{s:I, s:I}", "priority", (json_int_t)s->priority, "retries",
                          (json_int_t)s->max_retries);
    int ok = tasks && o;
    if (ok && s->name)
        ok = json_object_set_new(o, "name", json_string(s->name)) == 0;
    if (ok && s->retry_on && s->retry_on != HERD_RETRY_ALL)
        ok = json_object_set_new(o, "retry_on", herd_spec_json_encode_retry_on(s->retry_on)) == 0;
    for (uint32_t i = 0; ok && i < s->ntasks; i++) {
        json_t *t = encode_task(&s->tasks[i]);
        ok = t && json_array_append_new(tasks, t) == 0;
    }
    ok = ok && json_object_set(o, "tasks", tasks) == 0;
    json_decref(tasks);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}
