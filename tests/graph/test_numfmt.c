/* Tests of graph/numfmt.h against the C library: integers exactly as
 * printf prints them; doubles that read back to the same bits and are the
 * same text as "%.17g" (correctly rounded digits, same layout). */
#include "check.h"

#include "base/rand.h"
#include "graph/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt(double x, char *out)
{
    size_t n = herd_numfmt_f64(out, x);
    CHECK_INT(n, <=, HERD_NUMFMT_MAX);
    out[n] = '\0';
}

/* Reads back to x; returns whether the text also equals printf's. */
static int check_one(double x)
{
    char a[HERD_NUMFMT_MAX + 1], b[64];
    fmt(x, a);
    snprintf(b, sizeof b, "%.17g", x);
    double y = strtod(a, NULL);
    if (memcmp(&x, &y, sizeof x) != 0 && !isnan(x)) {
        herd_test_fail(__FILE__, __LINE__, "%s reads back as %.17g, not %s", a, y, b);
        return 0;
    }
    return strcmp(a, b) == 0;
}

HERD_TEST(integers_like_printf)
{
    static const uint64_t v[] = {0, 1, 9, 10, 99, 100, 4294967295u, 4294967296u,
                                 9223372036854775807u, 18446744073709551615u};
    struct herd_rand r;
    herd_rand_seed(&r, 9);
    for (int i = 0; i < 1010; i++) {
        uint64_t x = i < 10 ? v[i] : herd_rand_next(&r) >> (i % 64);
        char a[24], b[24];
        a[herd_numfmt_u64(a, x)] = '\0';
        snprintf(b, sizeof b, "%llu", (unsigned long long)x);
        CHECK_STR(a, b);
    }
}

HERD_TEST(special_and_boundary_doubles_like_printf)
{
    static const double v[] = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1e-4, 9.99999999999999e-5,
                               1e-5, 1e16, 1e17, 99999999999999999.0, 123456789012345678.0,
                               0.85, 0.15 / 2395472, 1.0 / 3, 2.0 / 3, 4503599627370496.5,
                               1e-300, 1e300, 5e-324, 1.7976931348623157e308};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        CHECK(check_one(v[i]));
    for (int e = -12; e <= 44; e++) { /* powers of ten and their neighbours */
        double p = pow(10, e);
        CHECK(check_one(p));
        CHECK(check_one(nextafter(p, 0)));
        CHECK(check_one(nextafter(p, INFINITY)));
    }
    char a[HERD_NUMFMT_MAX + 1];
    fmt(INFINITY, a);
    CHECK_STR(a, "inf");
    fmt(-INFINITY, a);
    CHECK_STR(a, "-inf");
    fmt(NAN, a);
    CHECK(strstr(a, "nan") != NULL);
}

HERD_TEST(random_doubles_read_back)
{
    struct herd_rand r;
    herd_rand_seed(&r, 77);
    int same = 0, total = 0;
    for (int i = 0; i < 200000; i++) {
        double x;
        if (i % 2) { /* any finite bit pattern */
            uint64_t bits = herd_rand_next(&r);
            memcpy(&x, &bits, sizeof x);
            if (!isfinite(x))
                continue;
        } else { /* values results hold: PageRank scores, distances */
            double u = (double)(herd_rand_next(&r) >> 11) / 9007199254740992.0;
            x = pow(10, -11 + 20 * u) * (i % 4 ? 1 : -1);
        }
        same += check_one(x);
        total++;
    }
    CHECK_EQ(same, total);
}
