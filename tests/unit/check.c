#include "check.h"

#include "base/log.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
/* _exit() skips LeakSanitizer's exit hook: run the check explicitly. */
#define LEAK_CHECK() __lsan_do_leak_check()
#else
#define LEAK_CHECK() ((void)0)
#endif

struct entry {
    const char *name;
    herd_test_fn fn;
};

static struct entry tests[512];
static int ntests;

void herd_test_register(const char *name, herd_test_fn fn)
{
    if (ntests == (int)(sizeof tests / sizeof tests[0])) {
        fprintf(stderr, "too many tests\n");
        abort();
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

void herd_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "    %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    fflush(stderr);
    _exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_one(const struct entry *t, int timeout)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        alarm((unsigned)timeout);
        t->fn();
        fflush(stdout);
        LEAK_CHECK();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    kill(-pid, SIGKILL); /* anything the test left behind */
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        fprintf(stderr, "    killed by signal %d%s\n", WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
    return 1;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    const char *to = getenv("HERD_TEST_TIMEOUT");
    if (getenv("HERD_LOG") == NULL)
        herd_log_set_level(HERD_LOG_ERROR + 1); /* quiet unless asked ($HERD_LOG=debug) */
    else
        herd_log_init_from_env();
    int timeout = to ? atoi(to) : 120;
    int passed = 0, failed = 0;
    for (int i = 0; i < ntests; i++) {
        if (filter && strstr(tests[i].name, filter) == NULL)
            continue;
        double t0 = now_s();
        int rc = run_one(&tests[i], timeout);
        printf("%s %s (%.2fs)\n", rc ? "FAIL" : "ok  ", tests[i].name, now_s() - t0);
        if (rc)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
