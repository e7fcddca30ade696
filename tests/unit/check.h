/* check — herd's small in-tree test runner.
 *
 * A test file defines tests with HERD_TEST(name) { ... } and links with
 * tests/unit/check.c, which provides main(). Each test runs in its own forked
 * process with a timeout ($HERD_TEST_TIMEOUT seconds, default 120), so a crash
 * or a hang fails that test alone. `prog [substring]` runs the tests whose
 * names contain the substring. The last line printed is
 * "N passed, N failed". */
#ifndef HERD_TEST_CHECK_H
#define HERD_TEST_CHECK_H

#include <stdint.h>
#include <string.h>

typedef void (*herd_test_fn)(void);
void herd_test_register(const char *name, herd_test_fn fn);
void herd_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#define HERD_TEST(name)                                                                            \
    static void name(void);                                                                        \
    __attribute__((constructor)) static void reg_##name(void)                                      \
    {                                                                                              \
        herd_test_register(#name, name);                                                           \
    }                                                                                              \
    static void name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            herd_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                \
    } while (0)

#define CHECK_INT(a, op, b)                                                                        \
    do {                                                                                           \
        long long _a = (long long)(a), _b = (long long)(b);                                        \
        if (!(_a op _b))                                                                           \
            herd_test_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld", #a, #op, #b, _a, _b);     \
    } while (0)

#define CHECK_EQ(a, b) CHECK_INT(a, ==, b)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *_a = (a), *_b = (b);                                                           \
        if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0)                                       \
            herd_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", #a, #b,               \
                           _a ? _a : "(null)", _b ? _b : "(null)");                                \
    } while (0)

#endif
