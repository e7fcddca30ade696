#include "api/words.h"

#include <stdlib.h>
#include <string.h>

/* The word being built; `buf` has room for the whole line. */
struct splitter {
    const char *p;
    char *buf;
    size_t len;
    int in_word;
};

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

static int push_word(struct splitter *s, char ***v, uint32_t *n, size_t *cap)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        char **nv = realloc(*v, ncap * sizeof *nv);
        if (nv == NULL)
            return HERD_ENOMEM;
        *v = nv;
        *cap = ncap;
    }
    char *w = malloc(s->len + 1);
    if (w == NULL)
        return HERD_ENOMEM;
    memcpy(w, s->buf, s->len);
    w[s->len] = '\0';
    (*v)[(*n)++] = w;
    s->len = 0;
    s->in_word = 0;
    return HERD_OK;
}

/* Consumes a quoted section starting after the opening quote `q`. */
static int quoted(struct splitter *s, char q, struct herd_err *e)
{
    for (;;) {
        char c = *s->p++;
        if (c == '\0')
            return herd_err_set(e, HERD_EPARSE, "unterminated %s quote",
                                q == '\'' ? "single" : "double");
        if (c == q)
            return HERD_OK;
        if (q == '"' && c == '\\' && strchr("$`\"\\\n", *s->p) != NULL && *s->p != '\0') {
            c = *s->p++;
            if (c == '\n')
                continue;
        }
        s->buf[s->len++] = c;
    }
}

/* Consumes one character (or escape/quoted section) of a word. */
static int word_char(struct splitter *s, char c, struct herd_err *e)
{
    int was_in_word = s->in_word;
    s->in_word = 1;
    if (c == '\'' || c == '"')
        return quoted(s, c, e);
    if (c == '\\') {
        char d = *s->p++;
        if (d == '\0')
            return herd_err_set(e, HERD_EPARSE, "trailing backslash");
        if (d == '\n') {
            s->in_word = was_in_word; /* line continuation */
            return HERD_OK;
        }
        c = d;
    }
    s->buf[s->len++] = c;
    return HERD_OK;
}

int herd_words_split(const char *line, char ***out, uint32_t *n, struct herd_err *e)
{
    struct splitter s = {.p = line};
    char **v = NULL;
    uint32_t cnt = 0;
    size_t cap = 0;
    int rc = HERD_ENOMEM;
    s.buf = malloc(strlen(line) + 1);
    if (s.buf == NULL)
        goto fail;
    for (;;) {
        char c = *s.p++;
        if (c == '\0' || is_blank(c)) {
            if (s.in_word && (rc = push_word(&s, &v, &cnt, &cap)) != HERD_OK)
                goto fail;
            if (c == '\0')
                break;
            continue;
        }
        if ((rc = word_char(&s, c, e)) != HERD_OK)
            goto fail;
    }
    free(s.buf);
    *out = v;
    *n = cnt;
    return HERD_OK;
fail:
    if (rc == HERD_ENOMEM)
        herd_err_set(e, HERD_ENOMEM, "splitting a command line: out of memory");
    free(s.buf);
    herd_words_free(v, cnt);
    return rc;
}

void herd_words_free(char **v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

char *herd_words_shell_quote(const char *s)
{
    size_t n = 2;
    for (const char *p = s; *p; p++)
        n += *p == '\'' ? 4 : 1;
    char *q = malloc(n + 1);
    if (q == NULL)
        return NULL;
    char *w = q;
    *w++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') {
            memcpy(w, "'\\''", 4);
            w += 4;
        } else {
            *w++ = *p;
        }
    }
    *w++ = '\'';
    *w = '\0';
    return q;
}
