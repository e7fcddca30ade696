#include "graph/idmap.h"

#include <stdlib.h>
#include <string.h>

void herd_idmap_init(struct herd_idmap *m)
{
    memset(m, 0, sizeof *m);
}

void herd_idmap_fini(struct herd_idmap *m)
{
    free(m->bits);
    free(m->rank);
    free(m->ids);
    herd_idmap_init(m);
}

int herd_idmap_bitmap_fits(uint64_t lo, uint64_t hi, uint64_t items)
{
    uint64_t limit = items * 8 > (1ULL << 27) ? items * 8 : (1ULL << 27);
    return lo <= hi && hi - lo < limit;
}

int herd_idmap_begin(struct herd_idmap *m, uint64_t lo, uint64_t hi, struct herd_err *e)
{
    herd_idmap_init(m);
    m->base = lo;
    m->span = hi - lo + 1;
    m->bits = calloc((m->span + 63) / 64, sizeof *m->bits);
    if (m->bits == NULL)
        return herd_err_set(e, HERD_ENOMEM, "id bitmap of %llu bits",
                            (unsigned long long)m->span);
    return HERD_OK;
}

static int too_many(uint64_t n, struct herd_err *e)
{
    return herd_err_set(e, HERD_EINVAL, "%llu vertices: more than 2^32-1 are not supported",
                        (unsigned long long)n);
}

/* Fills rank[] from bits[]; returns the total number of set bits. */
static uint64_t fill_ranks(const uint64_t *bits, uint32_t *rank, uint64_t words)
{
    uint64_t total = 0;
    for (uint64_t w = 0; w < words; w++) {
        if (rank)
            rank[w] = (uint32_t)total;
        total += herd_idmap_popcount(bits[w]);
    }
    return total;
}

static void fill_ids_from_bits(struct herd_idmap *m)
{
    uint64_t words = (m->span + 63) / 64, k = 0;
    for (uint64_t w = 0; w < words; w++) {
        uint64_t x = m->bits[w];
        while (x) {
            m->ids[k++] = m->base + w * 64 + (uint64_t)__builtin_ctzll(x);
            x &= x - 1;
        }
    }
}

int herd_idmap_finish(struct herd_idmap *m, struct herd_err *e)
{
    uint64_t words = (m->span + 63) / 64;
    m->n = fill_ranks(m->bits, NULL, words);
    if (m->n > UINT32_MAX)
        return too_many(m->n, e);
    if (m->n == m->span) {
        free(m->bits);
        m->bits = NULL;
        m->span = 0;
        return HERD_OK;
    }
    m->rank = malloc(words * sizeof *m->rank);
    m->ids = malloc((m->n ? m->n : 1) * sizeof *m->ids);
    if (m->rank == NULL || m->ids == NULL)
        return herd_err_set(e, HERD_ENOMEM, "id map of %llu vertices", (unsigned long long)m->n);
    fill_ranks(m->bits, m->rank, words);
    fill_ids_from_bits(m);
    return HERD_OK;
}

void herd_idmap_offset(struct herd_idmap *m, uint64_t base, uint64_t n)
{
    herd_idmap_init(m);
    m->base = base;
    m->n = n;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#define DIGIT 11
#define NDIGITS 6 /* 6 x 11 bits >= 64 */
#define BUCKETS (1u << DIGIT)

int herd_idmap_sort(uint64_t *a, uint64_t k, struct herd_err *e)
{
    (void)e;
    uint64_t *tmp = k > 512 ? malloc(k * sizeof *tmp) : NULL;
    uint64_t(*cnt)[BUCKETS] = tmp ? calloc(NDIGITS, sizeof *cnt) : NULL;
    if (cnt == NULL) { /* small, or no scratch memory */
        free(tmp);
        qsort(a, k, sizeof *a, cmp_u64);
        return HERD_OK;
    }
    for (uint64_t i = 0; i < k; i++) /* every digit's histogram in one pass */
        for (int d = 0; d < NDIGITS; d++)
            cnt[d][(a[i] >> (d * DIGIT)) & (BUCKETS - 1)]++;
    uint64_t *from = a, *to = tmp;
    for (int d = 0; d < NDIGITS; d++) {
        if (cnt[d][(a[0] >> (d * DIGIT)) & (BUCKETS - 1)] == k)
            continue; /* every key has the same digit here */
        uint64_t at = 0;
        for (uint32_t b = 0; b < BUCKETS; b++) {
            uint64_t c = cnt[d][b];
            cnt[d][b] = at;
            at += c;
        }
        for (uint64_t i = 0; i < k; i++)
            to[cnt[d][(from[i] >> (d * DIGIT)) & (BUCKETS - 1)]++] = from[i];
        uint64_t *t = from;
        from = to;
        to = t;
    }
    if (from != a)
        memcpy(a, from, k * sizeof *a);
    free(cnt);
    free(tmp);
    return HERD_OK;
}

/* Adds a bitmap and ranks for fast lookups when the ids are dense enough. */
static void add_bitmap(struct herd_idmap *m)
{
    uint64_t lo = m->ids[0], hi = m->ids[m->n - 1];
    if (!herd_idmap_bitmap_fits(lo, hi, m->n))
        return;
    uint64_t span = hi - lo + 1, words = (span + 63) / 64;
    uint64_t *bits = calloc(words, sizeof *bits);
    uint32_t *rank = malloc(words * sizeof *rank);
    if (bits == NULL || rank == NULL) {
        free(bits);
        free(rank);
        return; /* bisection still works */
    }
    for (uint64_t i = 0; i < m->n; i++)
        bits[(m->ids[i] - lo) >> 6] |= 1ULL << ((m->ids[i] - lo) & 63);
    fill_ranks(bits, rank, words);
    m->base = lo;
    m->span = span;
    m->bits = bits;
    m->rank = rank;
}

int herd_idmap_from_list(struct herd_idmap *m, uint64_t *ids, uint64_t k, struct herd_err *e)
{
    herd_idmap_init(m);
    if (k == 0) {
        free(ids);
        return HERD_OK;
    }
    herd_idmap_sort(ids, k, e);
    uint64_t n = 1;
    for (uint64_t i = 1; i < k; i++)
        if (ids[i] != ids[n - 1])
            ids[n++] = ids[i];
    if (n > UINT32_MAX) {
        free(ids);
        return too_many(n, e);
    }
    if (ids[n - 1] - ids[0] == n - 1) {
        herd_idmap_offset(m, ids[0], n);
        free(ids);
        return HERD_OK;
    }
    uint64_t *shrunk = realloc(ids, n * sizeof *ids);
    m->ids = shrunk ? shrunk : ids;
    m->n = n;
    m->base = m->ids[0];
    add_bitmap(m);
    return HERD_OK;
}

uint64_t *herd_idmap_take_ids(struct herd_idmap *m)
{
    uint64_t *ids = m->ids;
    free(m->bits);
    free(m->rank);
    m->bits = NULL;
    m->rank = NULL;
    m->ids = NULL;
    m->span = 0;
    return ids;
}
