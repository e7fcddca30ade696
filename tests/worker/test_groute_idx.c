/* worker/groute_idx.h: the id map (every key, 0 and UINT64_MAX included,
 * through growth; absent keys; iteration sees each key once) and the radix
 * sort (equal to qsort on random, narrow and duplicate-heavy arrays). */
#include "check.h"

#include "graph/idmap.h"
#include "worker/groute_idx.h"

#include <stdlib.h>
#include <string.h>

static uint64_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s ^ (*s >> 29);
}

HERD_TEST(groute_idx_maps_every_key_through_growth)
{
    struct herd_groute_idx x;
    herd_groute_idx_init(&x);
    uint32_t v;
    CHECK_EQ(herd_groute_idx_get(&x, 0, &v), HERD_ENOTFOUND);
    const size_t N = 50000;
    uint64_t s = 9;
    uint64_t *keys = malloc(N * sizeof *keys);
    for (size_t i = 0; i < N; i++) {
        keys[i] = i == 0 ? 0 : i == 1 ? UINT64_MAX : next(&s);
        int added;
        uint32_t *slot = herd_groute_idx_put(&x, keys[i], &added);
        CHECK(slot != NULL);
        CHECK_EQ(added, 1);
        *slot = (uint32_t)i;
    }
    CHECK_EQ(x.n, N);
    for (size_t i = 0; i < N; i++) {
        CHECK_EQ(herd_groute_idx_get(&x, keys[i], &v), HERD_OK);
        CHECK_EQ(v, (uint32_t)i);
        int added;
        CHECK(herd_groute_idx_put(&x, keys[i], &added) != NULL);
        CHECK_EQ(added, 0);
    }
    CHECK_EQ(herd_groute_idx_get(&x, 12345, &v), HERD_ENOTFOUND);
    size_t i = 0, seen = 0;
    uint64_t k;
    uint64_t sum = 0;
    while (herd_groute_idx_next(&x, &i, &k, &v)) {
        CHECK_EQ(keys[v], k);
        sum += v;
        seen++;
    }
    CHECK_EQ(seen, N);
    CHECK_EQ(sum, (uint64_t)N * (N - 1) / 2);
    herd_groute_idx_fini(&x);
    free(keys);
}

static int cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

HERD_TEST(groute_sort_equals_qsort)
{
    size_t sizes[] = {0, 1, 7, 600, 100000};
    for (int shape = 0; shape < 3; shape++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = sizes[k];
            uint64_t *a = malloc((n + 1) * 8), *b = malloc((n + 1) * 8), s = 77 + n;
            for (size_t i = 0; i < n; i++)
                a[i] = shape == 0 ? next(&s) : shape == 1 ? (next(&s) % 5000) << 32 | 7
                                                          : next(&s) % 3;
            memcpy(b, a, n * 8);
            herd_idmap_sort(a, n, NULL);
            qsort(b, n, 8, cmp);
            CHECK(n == 0 || memcmp(a, b, n * 8) == 0);
            free(a);
            free(b);
        }
}
