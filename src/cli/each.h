/* each — the GNU-parallel shorthand of `herd submit --each TEMPLATE INPUTS...`:
 * one command task per input, built from a template.
 *
 * Without --shell the template is split into words first (api/words.h rules:
 * quotes and backslashes, no shell), then GNU parallel's replacement strings
 * are substituted inside each word, so an input with blanks stays one
 * argument:
 *   {}   the input            a/b.tar.gz -> a/b.tar.gz
 *   {.}  without extension    a/b.tar.gz -> a/b.tar
 *   {/}  basename             a/b.tar.gz -> b.tar.gz
 *   {//} dirname              a/b.tar.gz -> a        (b -> .)
 *   {/.} basename, no ext.    a/b.tar.gz -> b.tar
 *   {#}  sequence number, from 1
 * A template without any replacement string gets the input appended as a
 * last argument, as parallel does. With --shell the template stays one string
 * run by /bin/sh -c and each substituted value is single-quoted for the shell.
 * {%} (parallel's job slot) has no meaning here and is left as is.
 * One deliberate difference: inside quotes in the template ('{}') herd inserts
 * the value as it is, where parallel pastes a shell-quoted value that the
 * quotes then garble; unquoted, both give the same words (tests/api/test_each.c
 * checks this against `parallel` when it is installed).
 *
 * Pure functions; any thread. */
#ifndef HERD_CLI_EACH_H
#define HERD_CLI_EACH_H

#include "base/err.h"
#include "master/spec.h"

#include <stdint.h>

struct herd_each {
    int shell;          /* run through /bin/sh -c */
    int has_repl;       /* a replacement string occurs where substitution happens */
    char *tmpl;         /* the template as given */
    uint32_t nwords;    /* split template (not in shell mode) */
    char **words;
};

/* Prepares a template. HERD_OK, or HERD_EPARSE for a template that does not
 * split (unterminated quote...) or has no words, with a reason. */
int herd_each_init(struct herd_each *x, const char *tmpl, int shell, struct herd_err *e);
void herd_each_fini(struct herd_each *x);

/* Substitutes the replacement strings in `s` for `input` and sequence number
 * `seq`; with `quote`, values are shell-quoted. Returns a malloc'd string, or
 * NULL on out-of-memory. */
char *herd_each_subst(const char *s, const char *input, uint64_t seq, int quote);

/* The argv of the task for one input (seq counts from 1). HERD_OK with *argv
 * (free with herd_words_free) and *n, or HERD_ENOMEM. */
int herd_each_argv(const struct herd_each *x, const char *input, uint64_t seq, char ***argv,
                   uint32_t *n, struct herd_err *e);

/* Fills `out` (zeroed by the caller or fresh) with one command task per input,
 * named after the input, with the given cores/timeout and the job defaults
 * (priority 0, 3 retries). HERD_OK, HERD_EINVAL for zero inputs, or
 * HERD_ENOMEM; on failure `out` is left empty. */
int herd_each_spec(const struct herd_each *x, char *const *inputs, uint32_t ninputs,
                   struct herd_job_spec *out, struct herd_err *e);

#endif
