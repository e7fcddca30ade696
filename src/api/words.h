/* words — splitting a command line into argv words without a shell, and
 * quoting a string for one. Used by the job-spec parser ("cmd" without
 * "shell": true) and by `herd submit --each`.
 *
 * Splitting rules (a subset of POSIX sh, documented in docs/job-spec.md):
 * blanks (space, tab, newline) separate words; 'single quotes' keep
 * everything literally; "double quotes" keep everything except that a
 * backslash escapes $ ` " \ and newline; outside quotes a backslash escapes
 * the next character (backslash-newline vanishes). Nothing is expanded: no
 * variables, globs, pipes or redirections — use a shell for those.
 *
 * Pure functions; any thread. */
#ifndef HERD_API_WORDS_H
#define HERD_API_WORDS_H

#include "base/err.h"

#include <stdint.h>

/* Splits `line` into words. Returns HERD_OK with *out (a malloc'd array of
 * *n malloc'd strings; free with herd_words_free) — possibly zero words — or
 * HERD_EPARSE ("unterminated single quote", "trailing backslash", ...) or
 * HERD_ENOMEM. */
int herd_words_split(const char *line, char ***out, uint32_t *n, struct herd_err *e);

void herd_words_free(char **v, uint32_t n);

/* A malloc'd copy of `s` quoted for /bin/sh so that it reads as exactly one
 * word: 's' with each ' written as '\''. NULL on out-of-memory. */
char *herd_words_shell_quote(const char *s);

#endif
