/* submit_build — the job spec of a `herd submit` command line; see
 * submit.h. Local file names stay "@path" here; cmd_submit.c uploads them
 * (cli/upload.h) unless --master-files says they are on the master. */
#include "cli/submit.h"

#include "api/spec_json.h"
#include "base/mem.h"
#include "cli/each.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads all of f; NULL (with a message) on error or over the API's limit. */
static char *slurp(FILE *f, const char *name, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *p = malloc(cap);
    while (p != NULL) {
        if (n + 1 >= cap) {
            char *q = cap < (64u << 20) ? realloc(p, cap * 2) : NULL;
            if (q == NULL)
                break;
            p = q;
            cap *= 2;
        }
        size_t k = fread(p + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0) {
            if (ferror(f))
                break;
            p[n] = '\0';
            *len = n;
            return p;
        }
    }
    fprintf(stderr, "herd submit: cannot read %s (unreadable or over 64 MiB)\n", name);
    free(p);
    return NULL;
}

static int spec_from_file(const char *path, struct herd_job_spec *spec)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "herd submit: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t len = 0;
    char *text = slurp(f, path, &len);
    if (f != stdin)
        fclose(f);
    if (text == NULL)
        return -1;
    struct herd_err e;
    herd_err_clear(&e);
    int rc = herd_spec_json_parse(text, len, spec, &e);
    free(text);
    if (rc != HERD_OK) {
        fprintf(stderr, "herd submit: %s: %s\n", path, e.msg);
        return -1;
    }
    return 0;
}

/* Input lines from stdin for --each without FILES (as parallel does). */
static char **stdin_inputs(uint32_t *n)
{
    char **v = NULL, *line = NULL;
    size_t cap = 0, lcap = 0;
    ssize_t k;
    *n = 0;
    while ((k = getline(&line, &lcap, stdin)) >= 0) {
        if (k > 0 && line[k - 1] == '\n')
            line[--k] = '\0';
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            v = realloc(v, cap * sizeof *v);
            if (v == NULL)
                abort();
        }
        v[(*n)++] = strdup(line);
    }
    free(line);
    return v;
}

/* `-- CMD ARGS...`: one task; with --shell the words are joined for sh -c. */
static void spec_from_cmd(const struct herd_submit_opts *s, char **words, uint32_t n,
                          struct herd_job_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->max_retries = 3;
    spec->ntasks = 1;
    spec->tasks = herd_xcalloc(1, sizeof *spec->tasks);
    struct herd_task_spec *t = spec->tasks;
    t->kind = HERD_TASK_COMMAND;
    t->cores = 1;
    if (!s->shell) {
        t->argv = herd_xcalloc(n, sizeof *t->argv);
        for (t->nargv = 0; t->nargv < n; t->nargv++)
            t->argv[t->nargv] = herd_xstrdup(words[t->nargv]);
        return;
    }
    size_t len = 1;
    for (uint32_t i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    char *line = herd_xcalloc(1, len);
    for (uint32_t i = 0; i < n; i++)
        strcat(strcat(line, i ? " " : ""), words[i]);
    t->nargv = 3;
    t->argv = herd_xcalloc(3, sizeof *t->argv);
    t->argv[0] = herd_xstrdup("/bin/sh");
    t->argv[1] = herd_xstrdup("-c");
    t->argv[2] = line;
}

static void free_lines(char **v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* The last component of a path ("a/b.txt" -> "b.txt"); NULL for none. */
static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    b = b ? b + 1 : p;
    return b[0] != '\0' ? b : NULL;
}

static void append(char ***v, uint32_t *n, char *s)
{
    *v = herd_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = s;
}

/* "@PATH NAME" for the spec (the upload step rewrites it); NULL after a
 * message if NAME has blanks. */
static char *input_ref(const char *path, const char *name)
{
    if (name == NULL || name[0] == '\0' || strpbrk(name, " \t\n") != NULL) {
        fprintf(stderr, "herd submit: input '%s': the name in the sandbox must be a non-empty "
                        "name without blanks (use PATH=NAME)\n", path);
        return NULL;
    }
    size_t n = strlen(path) + strlen(name) + 3;
    char *s = herd_xmalloc(n);
    snprintf(s, n, "@%s %s", path, name);
    return s;
}

/* One --input PATH[=NAME] for a task; replacement strings are substituted
 * when `input` (the task's --each input) is not NULL. */
static int add_input(struct herd_task_spec *t, const char *opt, const char *input, uint64_t seq)
{
    char *v = input ? herd_each_subst(opt, input, seq, 0) : herd_xstrdup(opt);
    if (v == NULL)
        abort();
    char *eq = strrchr(v, '=');
    if (eq != NULL)
        *eq = '\0';
    char *ref = input_ref(v, eq ? eq + 1 : base_name(v));
    free(v);
    if (ref == NULL)
        return -1;
    append(&t->inputs, &t->ninputs, ref);
    return 0;
}

static int add_output(struct herd_task_spec *t, const char *opt, const char *input, uint64_t seq)
{
    char *v = input ? herd_each_subst(opt, input, seq, 0) : herd_xstrdup(opt);
    if (v == NULL)
        abort();
    if (v[0] == '\0' || strpbrk(v, " \t\n") != NULL) {
        fprintf(stderr, "herd submit: --output '%s': need a file name without blanks\n", v);
        free(v);
        return -1;
    }
    append(&t->outputs, &t->noutputs, v);
    return 0;
}

/* --input/--output (and --stage's own input) for every task. `inputs` are
 * the --each inputs (NULL otherwise); with --stage, `names` are the names
 * they get in the sandbox (their base names). */
static int add_files(const struct herd_submit_opts *s, struct herd_job_spec *spec,
                     char *const *inputs, char *const *names)
{
    for (uint32_t i = 0; i < spec->ntasks; i++) {
        struct herd_task_spec *t = &spec->tasks[i];
        const char *in = names ? names[i] : inputs ? inputs[i] : NULL;
        if (s->stage) {
            char *ref = input_ref(inputs[i], names[i]);
            if (ref == NULL)
                return -1;
            append(&t->inputs, &t->ninputs, ref);
        }
        for (uint32_t k = 0; k < s->ninputs; k++)
            if (add_input(t, s->inputs[k], in, i + 1) != 0)
                return -1;
        for (uint32_t k = 0; k < s->noutputs; k++)
            if (add_output(t, s->outputs[k], in, i + 1) != 0)
                return -1;
    }
    return 0;
}

/* A function task calling s->function with `payload` (n bytes). */
static void function_task(const struct herd_submit_opts *s, struct herd_task_spec *t,
                          const char *payload, size_t n)
{
    t->kind = HERD_TASK_FUNCTION;
    t->cores = 1;
    t->nargv = 1;
    t->argv = herd_xcalloc(1, sizeof *t->argv);
    t->argv[0] = herd_xstrdup(s->function);
    t->payload_len = (uint32_t)n;
    t->payload = herd_xmalloc(n ? n : 1);
    memcpy(t->payload, payload, n);
    if (s->plugin == NULL)
        return;
    if (strncmp(s->plugin, "sha256:", 7) == 0) {
        t->plugin = herd_xstrdup(s->plugin + 7);
        return;
    }
    size_t k = strlen(s->plugin) + 2;
    t->plugin = herd_xmalloc(k);
    snprintf(t->plugin, k, "@%s", s->plugin);
}

static void empty_spec(struct herd_job_spec *spec, uint32_t ntasks)
{
    memset(spec, 0, sizeof *spec);
    spec->max_retries = 3;
    spec->ntasks = ntasks;
    spec->tasks = herd_xcalloc(ntasks ? ntasks : 1, sizeof *spec->tasks);
}

/* --function without --each: --count tasks with the same --payload. */
static int spec_from_function(const struct herd_submit_opts *s, struct herd_job_spec *spec)
{
    long long count = s->has_count ? s->count : 1;
    const char *pl = s->payload ? s->payload : "";
    empty_spec(spec, (uint32_t)count);
    for (uint32_t i = 0; i < spec->ntasks; i++)
        function_task(s, &spec->tasks[i], pl, strlen(pl));
    return add_files(s, spec, NULL, NULL);
}

/* --function with --each: one call per input, the payload being the
 * template with the input substituted. */
static int each_function(const struct herd_submit_opts *s, char *const *inputs, uint32_t n,
                         struct herd_job_spec *spec)
{
    if (n == 0) {
        fprintf(stderr, "herd submit: --each: no inputs\n");
        return -1;
    }
    empty_spec(spec, n);
    for (uint32_t i = 0; i < n; i++) {
        char *pl = herd_each_subst(s->each, inputs[i], i + 1, 0);
        if (pl == NULL)
            abort();
        function_task(s, &spec->tasks[i], pl, strlen(pl));
        spec->tasks[i].name = herd_xstrdup(inputs[i]);
        free(pl);
    }
    return 0;
}

static int each_command(const struct herd_submit_opts *s, char *const *inputs, uint32_t n,
                        struct herd_job_spec *spec)
{
    struct herd_each x;
    struct herd_err e;
    herd_err_clear(&e);
    int rc = herd_each_init(&x, s->each, s->shell, &e);
    if (rc == HERD_OK) {
        rc = herd_each_spec(&x, inputs, n, spec, &e);
        herd_each_fini(&x);
    }
    if (rc != HERD_OK) {
        fprintf(stderr, "herd submit: %s\n", e.msg);
        return -1;
    }
    return 0;
}

/* With --stage the replacement strings see the name in the sandbox (the
 * input's base name); the task keeps the input as its name. */
static char **staged_names(char *const *inputs, uint32_t n)
{
    char **v = herd_xcalloc(n ? n : 1, sizeof *v);
    for (uint32_t i = 0; i < n; i++) {
        const char *b = base_name(inputs[i]);
        if (b == NULL) {
            fprintf(stderr, "herd submit: --stage: '%s' does not name a file\n", inputs[i]);
            free_lines(v, i);
            return NULL;
        }
        v[i] = herd_xstrdup(b);
    }
    return v;
}

static int spec_from_each(const struct herd_submit_opts *s, char **files, uint32_t nfiles,
                          struct herd_job_spec *spec)
{
    char **inputs = files, **names = NULL;
    uint32_t n = nfiles;
    if (nfiles == 0)
        inputs = stdin_inputs(&n);
    int rc = -1;
    if (s->stage && (names = staged_names(inputs, n)) == NULL)
        goto out;
    char *const *seen = names ? names : inputs;
    rc = s->function ? each_function(s, seen, n, spec) : each_command(s, seen, n, spec);
    if (rc != 0)
        goto out;
    for (uint32_t i = 0; names && i < n; i++) {
        free(spec->tasks[i].name);
        spec->tasks[i].name = herd_xstrdup(inputs[i]);
    }
    if ((rc = add_files(s, spec, inputs, names)) != 0)
        herd_job_spec_free(spec);
out:
    if (names)
        free_lines(names, n);
    if (inputs != files)
        free_lines(inputs, n);
    return rc;
}

int herd_submit_build(struct herd_submit_opts *s, char **pos, int npos, char **cmd, int ncmd,
                      struct herd_job_spec *spec)
{
    int rc;
    if (s->each == NULL && (s->stage || (s->function && npos + ncmd > 0))) {
        fprintf(stderr, "herd submit: %s needs --each\n", s->stage ? "--stage" : "inputs");
        return -2;
    }
    if (s->each != NULL) {
        /* FILES may come before and after a "--" (for names starting with '-') */
        char **files = herd_xcalloc((size_t)(npos + ncmd) + 1, sizeof *files);
        memcpy(files, pos, (size_t)npos * sizeof *files);
        memcpy(files + npos, cmd, (size_t)ncmd * sizeof *files);
        rc = spec_from_each(s, files, (uint32_t)(npos + ncmd), spec);
        free(files);
        return rc;
    }
    if (s->function != NULL)
        return spec_from_function(s, spec);
    if (ncmd > 0 && npos == 0) {
        spec_from_cmd(s, cmd, (uint32_t)ncmd, spec);
        rc = add_files(s, spec, NULL, NULL);
    } else if (npos == 1 && ncmd == 0) {
        rc = spec_from_file(pos[0], spec);
        if (rc == 0 && (s->ninputs || s->noutputs))
            rc = add_files(s, spec, NULL, NULL);
        else
            return rc;
    } else {
        return -2;
    }
    if (rc != 0)
        herd_job_spec_free(spec);
    return rc;
}

int herd_submit_retry_on(const char *s, uint32_t *bits)
{
    static const char *const names[] = {"lost", "failed", "timeout"};
    static const uint32_t vals[] = {HERD_RETRY_LOST, HERD_RETRY_FAILED, HERD_RETRY_TIMEOUT};
    uint32_t b = 0;
    if (strcmp(s, "none") == 0 || s[0] == '\0') {
        *bits = 0;
        return 0;
    }
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, ","), k = 0;
        while (k < 3 && !(strlen(names[k]) == n && strncmp(p, names[k], n) == 0))
            k++;
        if (k == 3)
            return -1;
        b |= vals[k];
        p += n + (p[n] == ',');
    }
    *bits = b;
    return 0;
}
