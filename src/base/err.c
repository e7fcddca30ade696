#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {
#define HERD_X_NAME(name, text) #name,
    HERD_ERRORS(HERD_X_NAME)
#undef HERD_X_NAME
};

static const char *const texts[] = {
#define HERD_X_TEXT(name, text) text,
    HERD_ERRORS(HERD_X_TEXT)
#undef HERD_X_TEXT
};

const char *herd_err_name(int code)
{
    if (code < 0 || code >= HERD_E_COUNT)
        return "UNKNOWN";
    return names[code];
}

const char *herd_err_text(int code)
{
    if (code < 0 || code >= HERD_E_COUNT)
        return "unknown error";
    return texts[code];
}

int herd_err_set(struct herd_err *e, int code, const char *fmt, ...)
{
    if (e == NULL)
        return code;
    va_list ap;
    va_start(ap, fmt);
    e->code = code;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

int herd_err_wrap(struct herd_err *e, const char *fmt, ...)
{
    if (e == NULL)
        return HERD_OK;
    char prefix[256];
    char old[sizeof e->msg];
    size_t k;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    k = strlen(prefix);
    if (k > sizeof e->msg - 3)
        k = sizeof e->msg - 3;
    memcpy(e->msg, prefix, k);
    memcpy(e->msg + k, ": ", 2);
    const char *rest = old[0] ? old : herd_err_text(e->code);
    size_t room = sizeof e->msg - k - 3, n = strlen(rest);
    memcpy(e->msg + k + 2, rest, n < room ? n : room);
    e->msg[k + 2 + (n < room ? n : room)] = '\0';
    return e->code;
}

void herd_err_clear(struct herd_err *e)
{
    if (e == NULL)
        return;
    e->code = HERD_OK;
    e->msg[0] = '\0';
}
