/* numfmt — see numfmt.h. The double path: write |x| = m * 2^q exactly
 * (m < 2^53), find its decimal exponent e, form y = m * 5^k * 2^(q+k) with
 * k = 16 - e in 128-bit integers (m * 5^27 < 2^116), round y to an integer
 * (ties to even) and lay the 17 digits out as %.17g does. */
#include "graph/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DIGITS 17
#define MAX_POW 27 /* 5^27 < 2^63 */

size_t herd_numfmt_u64(char *s, uint64_t x)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x != 0);
    for (size_t i = 0; i < n; i++)
        s[i] = tmp[n - 1 - i];
    return n;
}

static size_t by_printf(char *s, double x)
{
    char b[48];
    int k = snprintf(b, sizeof b, "%.17g", x);
    memcpy(s, b, (size_t)k);
    return (size_t)k;
}

/* 5^k for k <= MAX_POW (5^27 < 2^63). */
static const uint64_t pow5[MAX_POW + 1] = {
    1ULL, 5ULL, 25ULL, 125ULL,
    625ULL, 3125ULL, 15625ULL, 78125ULL,
    390625ULL, 1953125ULL, 9765625ULL, 48828125ULL,
    244140625ULL, 1220703125ULL, 6103515625ULL, 30517578125ULL,
    152587890625ULL, 762939453125ULL, 3814697265625ULL, 19073486328125ULL,
    95367431640625ULL, 476837158203125ULL, 2384185791015625ULL, 11920928955078125ULL,
    59604644775390625ULL, 298023223876953125ULL, 1490116119384765625ULL, 7450580596923828125ULL,
};

/* floor(a * 2^-sh) rounded to nearest, ties to even, for sh > 0. */
static uint64_t shift_round(unsigned __int128 a, int sh, unsigned __int128 *floor_out)
{
    if (sh >= 128) {
        *floor_out = 0;
        return 0;
    }
    unsigned __int128 q = a >> sh, rem = a - (q << sh), half = (unsigned __int128)1 << (sh - 1);
    *floor_out = q;
    if (rem > half || (rem == half && (q & 1)))
        q++;
    return (uint64_t)q;
}

/* The 17 significant digits of ax > 0, correctly rounded (ties to even),
 * as an integer in [10^16, 10^17), and its decimal exponent; 0 when ax
 * needs a negative power of ten (ax >= 1e17) or more than 10^27. */
static int digits_of(double ax, uint64_t *d, int *exp10)
{
    int bexp;
    double f = frexp(ax, &bexp);
    uint64_t m = (uint64_t)ldexp(f, 53); /* ax = m * 2^(bexp-53), exactly */
    int e = (int)floor(log10(ax));
    for (int tries = 0; tries < 3; tries++) {
        int k = DIGITS - 1 - e; /* y = ax * 10^k = m * 5^k * 2^(bexp-53+k) */
        if (k < 0 || k > MAX_POW)
            return 0;
        unsigned __int128 n = (unsigned __int128)m * pow5[k], whole;
        int sh = 53 - bexp - k;
        uint64_t r;
        if (sh <= 0) {
            if (sh < -20) /* y >= 2^73: far above 10^17 */
                return 0;
            whole = n << -sh;
            r = (uint64_t)whole;
        } else {
            r = shift_round(n, sh, &whole);
        }
        if (whole < 10000000000000000ULL) {
            e--; /* log10 rounded up across a power of ten */
            continue;
        }
        if (whole >= 100000000000000000ULL) {
            e++;
            continue;
        }
        if (r == 100000000000000000ULL) { /* rounded up to the next decade */
            r /= 10;
            e++;
        }
        *d = r;
        *exp10 = e;
        return 1;
    }
    return 0;
}

/* Lays out the significant digits dg[0..nd) (no trailing zeros) with
 * decimal exponent e the way %g does for precision 17. */
static size_t layout(char *s, const char *dg, int nd, int e)
{
    size_t n = 0;
    if (e < -4 || e >= DIGITS) {
        s[n++] = dg[0];
        if (nd > 1) {
            s[n++] = '.';
            memcpy(s + n, dg + 1, (size_t)nd - 1);
            n += (size_t)nd - 1;
        }
        s[n++] = 'e';
        s[n++] = e < 0 ? '-' : '+';
        unsigned ae = (unsigned)(e < 0 ? -e : e);
        if (ae < 10)
            s[n++] = '0';
        return n + herd_numfmt_u64(s + n, ae);
    }
    if (e < 0) {
        s[n++] = '0';
        s[n++] = '.';
        for (int i = 0; i < -e - 1; i++)
            s[n++] = '0';
        memcpy(s + n, dg, (size_t)nd);
        return n + (size_t)nd;
    }
    int whole = e + 1; /* digits before the point */
    for (int i = 0; i < whole; i++)
        s[n++] = i < nd ? dg[i] : '0';
    if (nd > whole) {
        s[n++] = '.';
        memcpy(s + n, dg + whole, (size_t)(nd - whole));
        n += (size_t)(nd - whole);
    }
    return n;
}

size_t herd_numfmt_f64(char *s, double x)
{
    uint64_t d;
    int e;
    if (!isfinite(x) || x == 0 || !digits_of(fabs(x), &d, &e))
        return by_printf(s, x);
    char dg[DIGITS];
    for (int i = DIGITS - 1; i >= 0; i--, d /= 10)
        dg[i] = (char)('0' + d % 10);
    int nd = DIGITS;
    while (nd > 1 && dg[nd - 1] == '0')
        nd--;
    size_t n = 0;
    if (x < 0)
        s[n++] = '-';
    return n + layout(s + n, dg, nd, e);
}
