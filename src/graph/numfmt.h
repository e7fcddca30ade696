/* numfmt — fast decimal formatting of result values for graph output
 * (output.c): unsigned integers, and doubles with 17 significant digits in
 * the layout of printf("%.17g"). Internal to src/graph; pure functions, any
 * thread.
 *
 * The double formatter multiplies the binary significand by a power of
 * five in 128-bit integers (GCC/Clang's unsigned __int128), which gives the
 * correctly rounded 17 digits (ties to even) that glibc's printf prints;
 * 17 digits read back to the same bits with strtod. Values from 1e-11 up
 * to 1e17 take this path (PageRank scores, distances, counts); others, and
 * zero, infinities and NaN, go through snprintf. */
#ifndef HERD_GRAPH_NUMFMT_H
#define HERD_GRAPH_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest text either function writes, without a terminator. */
#define HERD_NUMFMT_MAX 32

/* Writes x in decimal at s (no terminator); returns the length (<= 20). */
size_t herd_numfmt_u64(char *s, uint64_t x);

/* Writes x like "%.17g" at s (no terminator; NaN as "nan" or "-nan",
 * infinities as "inf"/"-inf"); returns the length (<= HERD_NUMFMT_MAX). */
size_t herd_numfmt_f64(char *s, double x);

#endif
