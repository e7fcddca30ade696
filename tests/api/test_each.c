#include "check.h"

#include "api/words.h"
#include "cli/each.h"
#include "wire/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Joins v as "<w0><w1>..." for compact comparisons. */
static char *angle_join(char **v, uint32_t n, uint32_t from)
{
    size_t len = 1;
    for (uint32_t i = from; i < n; i++)
        len += strlen(v[i]) + 2;
    char *s = malloc(len);
    s[0] = '\0';
    for (uint32_t i = from; i < n; i++) {
        strcat(s, "<");
        strcat(s, v[i]);
        strcat(s, ">");
    }
    return s;
}

static void check_split(const char *line, const char *want)
{
    char **v = NULL;
    uint32_t n = 0;
    struct herd_err e;
    if (herd_words_split(line, &v, &n, &e) != HERD_OK)
        herd_test_fail(__FILE__, __LINE__, "split '%s': %s", line, e.msg);
    char *got = angle_join(v, n, 0);
    if (strcmp(got, want) != 0)
        herd_test_fail(__FILE__, __LINE__, "split '%s': got %s want %s", line, got, want);
    free(got);
    herd_words_free(v, n);
}

HERD_TEST(words_split_quotes_and_escapes)
{
    check_split("", "");
    check_split("   \t ", "");
    check_split("ls -l  /tmp", "<ls><-l></tmp>");
    check_split("echo 'a b' \"c d\"", "<echo><a b><c d>");
    check_split("echo ''", "<echo><>");
    check_split("a\\ b c", "<a b><c>");
    check_split("x'y'\"z\"w", "<xyzw>");
    check_split("\"a\\\"b\\\\c\\d\\$\"", "<a\"b\\c\\d$>");
    check_split("'it'\\''s'", "<it's>");
    check_split("a\\\nb", "<ab>");
    check_split("$HOME *.c |", "<$HOME><*.c><|>");
}

HERD_TEST(words_split_errors)
{
    static const char *bad[][2] = {
        {"echo 'abc", "unterminated single quote"},
        {"echo \"abc", "unterminated double quote"},
        {"echo abc\\", "trailing backslash"},
    };
    for (size_t i = 0; i < 3; i++) {
        char **v = (char **)0x1;
        uint32_t n = 77;
        struct herd_err e;
        CHECK_EQ(herd_words_split(bad[i][0], &v, &n, &e), HERD_EPARSE);
        CHECK(strstr(e.msg, bad[i][1]) != NULL);
        CHECK(v == (char **)0x1);
        CHECK_EQ(n, 77);
    }
}

HERD_TEST(words_shell_quote)
{
    char *q = herd_words_shell_quote("it's a $x");
    CHECK_STR(q, "'it'\\''s a $x'");
    char **v;
    uint32_t n;
    struct herd_err e;
    CHECK_EQ(herd_words_split(q, &v, &n, &e), HERD_OK);
    CHECK_EQ(n, 1);
    CHECK_STR(v[0], "it's a $x");
    herd_words_free(v, n);
    free(q);
}

static void check_subst(const char *tmpl, const char *input, const char *want)
{
    char *got = herd_each_subst(tmpl, input, 7, 0);
    if (got == NULL || strcmp(got, want) != 0)
        herd_test_fail(__FILE__, __LINE__, "'%s' on '%s': got '%s' want '%s'", tmpl, input,
                       got ? got : "(null)", want);
    free(got);
}

HERD_TEST(each_replacement_strings)
{
    const char *all = "{}|{.}|{/}|{//}|{/.}|{#}";
    check_subst(all, "a/b.tar.gz", "a/b.tar.gz|a/b.tar|b.tar.gz|a|b.tar|7");
    check_subst(all, "file.", "file.|file|file.|.|file|7");
    check_subst(all, ".bashrc", ".bashrc||.bashrc|.||7");
    check_subst(all, "dir/.bashrc", "dir/.bashrc|dir/|.bashrc|dir||7");
    check_subst(all, "a/b/", "a/b/|a/b/||a||7");
    check_subst(all, "/", "/|/||/||7");
    check_subst(all, "x.d/noext", "x.d/noext|x.d/noext|noext|x.d|noext|7");
    check_subst(all, "a//b", "a//b|a//b|b|a|b|7");
    check_subst("pre{}post{{}}{%}", "v", "prevpost{v}{%}");
}

HERD_TEST(each_argv_words_and_append)
{
    struct herd_each x;
    struct herd_err e;
    char **v;
    uint32_t n;
    CHECK_EQ(herd_each_init(&x, "ffmpeg -i {} '{.}.mp4'", 0, &e), HERD_OK);
    CHECK_EQ(x.has_repl, 1);
    CHECK_EQ(herd_each_argv(&x, "my clip.mov", 1, &v, &n, &e), HERD_OK);
    char *j = angle_join(v, n, 0);
    CHECK_STR(j, "<ffmpeg><-i><my clip.mov><my clip.mp4>");
    free(j);
    herd_words_free(v, n);
    herd_each_fini(&x);

    CHECK_EQ(herd_each_init(&x, "gzip -9", 0, &e), HERD_OK);
    CHECK_EQ(x.has_repl, 0);
    CHECK_EQ(herd_each_argv(&x, "a b", 1, &v, &n, &e), HERD_OK);
    j = angle_join(v, n, 0);
    CHECK_STR(j, "<gzip><-9><a b>");
    free(j);
    herd_words_free(v, n);
    herd_each_fini(&x);
}

HERD_TEST(each_append_decision_follows_the_split_words)
{
    /* Replacement strings are looked for in the words, after quotes are
     * removed: '{'} is the word "{}", so the input is substituted there
     * and not appended a second time. */
    struct herd_each x;
    struct herd_err e;
    char **v;
    uint32_t n;
    CHECK_EQ(herd_each_init(&x, "echo '{'}", 0, &e), HERD_OK);
    CHECK_EQ(x.has_repl, 1);
    CHECK_EQ(herd_each_argv(&x, "in", 1, &v, &n, &e), HERD_OK);
    char *j = angle_join(v, n, 0);
    CHECK_STR(j, "<echo><in>");
    free(j);
    herd_words_free(v, n);
    herd_each_fini(&x);
}

HERD_TEST(each_shell_mode_quotes_values)
{
    struct herd_each x;
    struct herd_err e;
    char **v;
    uint32_t n;
    CHECK_EQ(herd_each_init(&x, "cat {} | wc -l > {.}.n", 1, &e), HERD_OK);
    CHECK_EQ(herd_each_argv(&x, "it's.txt", 3, &v, &n, &e), HERD_OK);
    CHECK_EQ(n, 3);
    CHECK_STR(v[0], "/bin/sh");
    CHECK_STR(v[1], "-c");
    CHECK_STR(v[2], "cat 'it'\\''s.txt' | wc -l > 'it'\\''s'.n");
    herd_words_free(v, n);
    herd_each_fini(&x);
    CHECK_EQ(herd_each_init(&x, "wc -l", 1, &e), HERD_OK);
    CHECK_EQ(herd_each_argv(&x, "a b", 3, &v, &n, &e), HERD_OK);
    CHECK_STR(v[2], "wc -l 'a b'");
    herd_words_free(v, n);
    herd_each_fini(&x);
}

HERD_TEST(each_bad_templates)
{
    struct herd_each x;
    struct herd_err e;
    CHECK_EQ(herd_each_init(&x, "echo '{}", 0, &e), HERD_EPARSE);
    CHECK(strstr(e.msg, "unterminated") != NULL);
    CHECK_EQ(herd_each_init(&x, "   ", 0, &e), HERD_EPARSE);
    CHECK(strstr(e.msg, "no command") != NULL);
    CHECK_EQ(herd_each_init(&x, " ", 1, &e), HERD_EPARSE);
}

HERD_TEST(each_spec_one_task_per_input)
{
    struct herd_each x;
    struct herd_err e;
    char *inputs[] = {"a.mov", "b.mov", "c d.mov"};
    struct herd_job_spec s;
    CHECK_EQ(herd_each_init(&x, "conv {} {/.}.mp4", 0, &e), HERD_OK);
    CHECK_EQ(herd_each_spec(&x, inputs, 0, &s, &e), HERD_EINVAL);
    CHECK_EQ(herd_each_spec(&x, inputs, 3, &s, &e), HERD_OK);
    CHECK_EQ(s.ntasks, 3);
    CHECK_EQ(s.max_retries, 3);
    CHECK_EQ(s.tasks[2].kind, HERD_TASK_COMMAND);
    CHECK_EQ(s.tasks[2].cores, 1);
    CHECK_STR(s.tasks[2].name, "c d.mov");
    CHECK_EQ(s.tasks[2].nargv, 3);
    CHECK_STR(s.tasks[2].argv[2], "c d.mp4");
    herd_job_spec_free(&s);
    herd_each_fini(&x);
}

/* --- GNU parallel as the oracle ------------------------------------------
 * parallel pastes a shell-quoted value into shell code, which is right for an
 * unquoted position and garbles a quoted one ('{}' with a blank in the input);
 * herd keeps the value intact everywhere. So quoted replacement strings are
 * compared only in the unit tests above, and the oracle covers the unquoted
 * positions, including inside words. */

static const char *oracle_inputs[] = {
    "a/b.tar.gz", "file.", ".bashrc", "dir/.bashrc", "a/b/", "/", "x y/z.q",
    "noext", "a//b", "it's \"q\" $HOME *", "back\\slash.x",
};
#define NINPUTS (sizeof oracle_inputs / sizeof oracle_inputs[0])

static int have_parallel(void)
{
    return system("parallel --version >/dev/null 2>&1") == 0;
}

/* Runs parallel with `tmpl` as one shell command over the inputs. */
static char *run_parallel(const char *tmpl)
{
    char cmd[8192];
    char *q = herd_words_shell_quote(tmpl);
    int k = snprintf(cmd, sizeof cmd, "parallel --will-cite -j1 -k %s :::", q);
    free(q);
    for (size_t i = 0; i < NINPUTS; i++) {
        q = herd_words_shell_quote(oracle_inputs[i]);
        k += snprintf(cmd + k, sizeof cmd - (size_t)k, " %s", q);
        free(q);
    }
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    static char out[65536];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    CHECK_EQ(pclose(p), 0);
    return strdup(out);
}

/* The same through herd_each in word mode: argv[0..1] are printf '<%s>'. */
static char *run_each_words(const char *tmpl)
{
    struct herd_each x;
    struct herd_err e;
    CHECK_EQ(herd_each_init(&x, tmpl, 0, &e), HERD_OK);
    char *acc = strdup("");
    for (size_t i = 0; i < NINPUTS; i++) {
        char **v;
        uint32_t n;
        CHECK_EQ(herd_each_argv(&x, oracle_inputs[i], i + 1, &v, &n, &e), HERD_OK);
        CHECK_STR(v[0], "printf");
        char *j = angle_join(v, n, 2);
        char *nacc = malloc(strlen(acc) + strlen(j) + 1);
        sprintf(nacc, "%s%s", acc, j);
        free(acc);
        free(j);
        acc = nacc;
        herd_words_free(v, n);
    }
    herd_each_fini(&x);
    return acc;
}

/* In shell mode run each expanded command through /bin/sh like a worker. */
static char *run_each_shell(const char *tmpl)
{
    struct herd_each x;
    struct herd_err e;
    CHECK_EQ(herd_each_init(&x, tmpl, 1, &e), HERD_OK);
    static char out[65536];
    size_t len = 0;
    for (size_t i = 0; i < NINPUTS; i++) {
        char **v;
        uint32_t n;
        CHECK_EQ(herd_each_argv(&x, oracle_inputs[i], i + 1, &v, &n, &e), HERD_OK);
        FILE *p = popen(v[2], "r");
        CHECK(p != NULL);
        len += fread(out + len, 1, sizeof out - 1 - len, p);
        CHECK_EQ(pclose(p), 0);
        herd_words_free(v, n);
    }
    out[len] = '\0';
    herd_each_fini(&x);
    return strdup(out);
}

HERD_TEST(each_matches_gnu_parallel)
{
    if (!have_parallel()) {
        printf("SKIP each_matches_gnu_parallel: GNU parallel not installed "
               "(apt-get install parallel)\n");
        return;
    }
    static const char *tmpls[] = {
        "printf '<%s>' {} {.} {/} {//} {/.} {#} ';'",
        "printf '<%s>' in{} x{.}y\\ z {/}-{#}'-'{//}",
        "printf '<%s>'",
    };
    for (size_t i = 0; i < sizeof tmpls / sizeof tmpls[0]; i++) {
        char *want = run_parallel(tmpls[i]);
        char *got = run_each_words(tmpls[i]);
        if (strcmp(want, got) != 0)
            herd_test_fail(__FILE__, __LINE__, "words '%s':\n parallel %s\n herd     %s",
                           tmpls[i], want, got);
        free(got);
        got = run_each_shell(tmpls[i]);
        if (strcmp(want, got) != 0)
            herd_test_fail(__FILE__, __LINE__, "shell '%s':\n parallel %s\n herd     %s",
                           tmpls[i], want, got);
        free(got);
        free(want);
    }
}
