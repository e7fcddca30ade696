#include "base/rand.h"

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void herd_rand_seed(struct herd_rand *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        seed += 0x9e3779b97f4a7c15ULL;
        r->s[i] = herd_mix64(seed);
    }
}

uint64_t herd_rand_next(struct herd_rand *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t herd_rand_below(struct herd_rand *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = herd_rand_next(r);
    while (x >= limit);
    return x % n;
}

double herd_rand_unit(struct herd_rand *r)
{
    return (double)(herd_rand_next(r) >> 11) * 0x1.0p-53;
}
