/* err — herd's one error vocabulary.
 *
 * Every fallible function in herd returns an `int` that is HERD_OK (0) or one
 * of the HERD_E* codes below, and writes its out-parameters only on success.
 * Context travels with the error in a `struct herd_err`, filled by the
 * function that failed and prefixed by each caller that adds context
 * ("worker 7: read frame: connection reset"). Any thread may call these. */
#ifndef HERD_BASE_ERR_H
#define HERD_BASE_ERR_H

#include <stddef.h>

/* X(NAME, text): one list yields the enum, the names and the messages. */
#define HERD_ERRORS(X)                                                                             \
    X(OK, "ok")                                                                                    \
    X(NOMEM, "out of memory")                                                                      \
    X(INVAL, "invalid argument")                                                                   \
    X(IO, "input/output error")                                                                    \
    X(PARSE, "malformed input")                                                                    \
    X(PROTO, "protocol error")                                                                     \
    X(VERSION, "version mismatch")                                                                 \
    X(AUTH, "authentication failed")                                                               \
    X(TOOBIG, "too large")                                                                         \
    X(NOTFOUND, "not found")                                                                       \
    X(EXISTS, "already exists")                                                                    \
    X(STATE, "illegal state transition")                                                           \
    X(STALE, "stale attempt")                                                                      \
    X(TIMEOUT, "timed out")                                                                        \
    X(CLOSED, "connection closed")                                                                 \
    X(FULL, "queue full")                                                                          \
    X(DB, "journal error")                                                                         \
    X(CANCELED, "canceled")                                                                        \
    X(UNSUPPORTED, "not supported")

enum herd_errcode {
#define HERD_X_ENUM(name, text) HERD_E##name,
    HERD_ERRORS(HERD_X_ENUM)
#undef HERD_X_ENUM
        HERD_E_COUNT
};
#define HERD_OK HERD_EOK

/* An error with its context message; embed it on the stack. */
struct herd_err {
    int code;
    char msg[512];
};

/* Short upper-case name of a code ("PARSE"); "UNKNOWN" for out-of-range. */
const char *herd_err_name(int code);

/* Human text of a code ("malformed input"). */
const char *herd_err_text(int code);

/* Sets *e to `code` with a printf-style message; returns `code` so callers can
 * write `return herd_err_set(e, HERD_EPARSE, "%s:%d: bad id", f, line);`.
 * `e` may be NULL, in which case only the code is returned. */
int herd_err_set(struct herd_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with context ("worker 7: " + old). Returns the
 * code already in *e. `e` may be NULL. */
int herd_err_wrap(struct herd_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Resets *e to HERD_OK with an empty message. */
void herd_err_clear(struct herd_err *e);

#endif
