/* rand — seeded pseudo-random numbers (xoshiro256**) for jitter, simulation
 * and hashing decisions. Deterministic for a given seed, which is what lets a
 * simulation failure be replayed from its printed seed. Not for secrets (use
 * herd_auth_nonce() for those). One state per user; not thread-safe. */
#ifndef HERD_BASE_RAND_H
#define HERD_BASE_RAND_H

#include <stdint.h>

struct herd_rand {
    uint64_t s[4];
};

void herd_rand_seed(struct herd_rand *r, uint64_t seed);
uint64_t herd_rand_next(struct herd_rand *r);
/* Uniform in [0, n); n > 0. */
uint64_t herd_rand_below(struct herd_rand *r, uint64_t n);
/* Uniform double in [0, 1). */
double herd_rand_unit(struct herd_rand *r);

/* A 64-bit mixing hash (splitmix64 finaliser) for partitioning ids. */
static inline uint64_t herd_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

#endif
