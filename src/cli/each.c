#include "cli/each.h"

#include "api/words.h"
#include "base/mem.h"
#include "wire/msg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum repl { R_NONE, R_INPUT, R_NOEXT, R_BASE, R_DIR, R_BASE_NOEXT, R_SEQ };

static const struct {
    const char *tok;
    enum repl r;
} repls[] = {
    {"{}", R_INPUT}, {"{.}", R_NOEXT}, {"{/}", R_BASE}, {"{//}", R_DIR},
    {"{/.}", R_BASE_NOEXT}, {"{#}", R_SEQ},
};

/* The replacement string at s, if any, and its length. */
static enum repl match(const char *s, size_t *len)
{
    for (size_t i = 0; i < sizeof repls / sizeof repls[0]; i++) {
        size_t n = strlen(repls[i].tok);
        if (strncmp(s, repls[i].tok, n) == 0) {
            *len = n;
            return repls[i].r;
        }
    }
    return R_NONE;
}

/* parallel's {.}: drop a final ".ext" that contains no '/' or '.'. */
static void strip_ext(char *s)
{
    char *dot = strrchr(s, '.');
    if (dot != NULL && strchr(dot, '/') == NULL)
        *dot = '\0';
}

/* parallel's {/}: everything after the last '/'. */
static char *base_of(char *s)
{
    char *slash = strrchr(s, '/');
    return slash ? slash + 1 : s;
}

/* parallel's {//}: Perl's File::Basename::dirname, i.e. POSIX dirname. */
static void dir_of(char *s)
{
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/')
        n--; /* trailing slashes */
    while (n > 0 && s[n - 1] != '/')
        n--; /* the last component */
    if (n == 0) {
        strcpy(s, ".");
        return;
    }
    while (n > 1 && s[n - 1] == '/')
        n--; /* slashes before it */
    s[n] = '\0';
}

/* The value of replacement r for input; malloc'd, NULL on OOM. */
static char *value_of(enum repl r, const char *input, uint64_t seq)
{
    char *v = malloc(strlen(input) + 24);
    if (v == NULL)
        return NULL;
    strcpy(v, input);
    switch (r) {
    case R_NOEXT:
        strip_ext(v);
        break;
    case R_BASE:
        memmove(v, base_of(v), strlen(base_of(v)) + 1);
        break;
    case R_DIR:
        dir_of(v);
        break;
    case R_BASE_NOEXT:
        memmove(v, base_of(v), strlen(base_of(v)) + 1);
        strip_ext(v);
        break;
    case R_SEQ:
        snprintf(v, strlen(input) + 24, "%" PRIu64, seq);
        break;
    default:
        break;
    }
    return v;
}

struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Appends value v (quoted for the shell if asked) to b. */
static void put_value(struct sbuf *b, char *v, int quote)
{
    if (v == NULL) {
        b->oom = 1;
        return;
    }
    char *q = quote ? herd_words_shell_quote(v) : v;
    if (q == NULL)
        b->oom = 1;
    else
        sb_put(b, q, strlen(q));
    if (q != v)
        free(q);
    free(v);
}

char *herd_each_subst(const char *s, const char *input, uint64_t seq, int quote)
{
    struct sbuf b = {0};
    sb_put(&b, "", 0);
    while (*s) {
        size_t n = 0;
        enum repl r = match(s, &n);
        if (r == R_NONE) {
            sb_put(&b, s, 1);
            s++;
            continue;
        }
        put_value(&b, value_of(r, input, seq), quote && r != R_SEQ);
        s += n;
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static int has_replacement(const char *s)
{
    for (; *s; s++) {
        size_t n;
        if (match(s, &n) != R_NONE)
            return 1;
    }
    return 0;
}

int herd_each_init(struct herd_each *x, const char *tmpl, int shell, struct herd_err *e)
{
    memset(x, 0, sizeof *x);
    if (!shell) {
        int rc = herd_words_split(tmpl, &x->words, &x->nwords, e);
        if (rc != HERD_OK)
            return herd_err_wrap(e, "--each template");
        if (x->nwords == 0) {
            herd_words_free(x->words, 0);
            x->words = NULL;
            return herd_err_set(e, HERD_EPARSE, "--each template: no command");
        }
    } else if (tmpl[strspn(tmpl, " \t\n")] == '\0') {
        return herd_err_set(e, HERD_EPARSE, "--each template: no command");
    }
    x->shell = shell;
    /* where substitution happens: the template in shell mode, the words
     * (quotes removed) otherwise */
    x->has_repl = shell ? has_replacement(tmpl) : 0;
    for (uint32_t i = 0; i < x->nwords && !x->has_repl; i++)
        x->has_repl = has_replacement(x->words[i]);
    x->tmpl = herd_xstrdup(tmpl);
    return HERD_OK;
}

void herd_each_fini(struct herd_each *x)
{
    herd_words_free(x->words, x->nwords);
    free(x->tmpl);
    memset(x, 0, sizeof *x);
}

/* Shell mode: ["/bin/sh", "-c", expanded template]. */
static char **shell_argv(const struct herd_each *x, const char *input, uint64_t seq, uint32_t *n)
{
    char **v = calloc(3, sizeof *v);
    if (v == NULL)
        return NULL;
    v[0] = strdup("/bin/sh");
    v[1] = strdup("-c");
    if (x->has_repl) {
        v[2] = herd_each_subst(x->tmpl, input, seq, 1);
    } else {
        char *q = herd_words_shell_quote(input);
        if (q != NULL && (v[2] = malloc(strlen(x->tmpl) + strlen(q) + 2)) != NULL)
            sprintf(v[2], "%s %s", x->tmpl, q);
        free(q);
    }
    *n = 3;
    if (v[0] == NULL || v[1] == NULL || v[2] == NULL) {
        herd_words_free(v, 3);
        return NULL;
    }
    return v;
}

static char **word_argv(const struct herd_each *x, const char *input, uint64_t seq, uint32_t *n)
{
    uint32_t cnt = x->nwords + (x->has_repl ? 0 : 1);
    char **v = calloc(cnt, sizeof *v);
    int ok = v != NULL;
    for (uint32_t i = 0; ok && i < x->nwords; i++)
        ok = (v[i] = herd_each_subst(x->words[i], input, seq, 0)) != NULL;
    if (ok && !x->has_repl)
        ok = (v[cnt - 1] = strdup(input)) != NULL;
    if (!ok) {
        if (v != NULL)
            herd_words_free(v, cnt);
        return NULL;
    }
    *n = cnt;
    return v;
}

int herd_each_argv(const struct herd_each *x, const char *input, uint64_t seq, char ***argv,
                   uint32_t *n, struct herd_err *e)
{
    uint32_t cnt = 0;
    char **v = x->shell ? shell_argv(x, input, seq, &cnt) : word_argv(x, input, seq, &cnt);
    if (v == NULL)
        return herd_err_set(e, HERD_ENOMEM, "--each: out of memory");
    *argv = v;
    *n = cnt;
    return HERD_OK;
}

int herd_each_spec(const struct herd_each *x, char *const *inputs, uint32_t ninputs,
                   struct herd_job_spec *out, struct herd_err *e)
{
    if (ninputs == 0)
        return herd_err_set(e, HERD_EINVAL, "--each: no inputs");
    struct herd_job_spec s = {.priority = 0, .max_retries = 3};
    s.tasks = calloc(ninputs, sizeof *s.tasks);
    if (s.tasks == NULL)
        return herd_err_set(e, HERD_ENOMEM, "--each: out of memory");
    s.ntasks = ninputs;
    for (uint32_t i = 0; i < ninputs; i++) {
        struct herd_task_spec *t = &s.tasks[i];
        t->kind = HERD_TASK_COMMAND;
        t->cores = 1;
        if (herd_each_argv(x, inputs[i], i + 1, &t->argv, &t->nargv, e) != HERD_OK ||
            (t->name = strdup(inputs[i])) == NULL) {
            herd_job_spec_free(&s);
            return herd_err_set(e, HERD_ENOMEM, "--each: out of memory");
        }
    }
    *out = s;
    return HERD_OK;
}
