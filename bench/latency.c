/* latency — one task's submit -> result time over the master's HTTP API,
 * measured from C (libcurl, one kept-alive connection) so that the client's
 * own cost stays small: POST /v1/jobs with one task, then GET /v1/jobs/ID
 * until the job is final. Prints one latency per line in milliseconds.
 *
 *   latency URL N SPEC_JSON      e.g. latency http://127.0.0.1:7071 200 '{"tasks":[...]}'
 *
 * A benchmark tool (bench/tasks_vs_dask.sh builds it), not part of herd. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct buf {
    char p[65536];
    size_t n;
};

static size_t on_data(char *d, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    size_t k = size * nmemb;
    if (b->n + k >= sizeof b->p)
        return 0;
    memcpy(b->p + b->n, d, k);
    b->n += k;
    b->p[b->n] = '\0';
    return k;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int request(CURL *h, const char *url, const char *body, struct buf *b)
{
    b->n = 0;
    b->p[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    return curl_easy_perform(h) == CURLE_OK ? 0 : -1;
}

/* The value of "key":"..." or "key":N in a compact JSON text, copied to out. */
static int field(const char *json, const char *key, char *out, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    if (p == NULL)
        return -1;
    p += strlen(pat);
    if (*p == '"')
        p++;
    size_t k = strcspn(p, "\",}");
    if (k >= n)
        return -1;
    memcpy(out, p, k);
    out[k] = '\0';
    return 0;
}

static int final(const char *state)
{
    return strcmp(state, "succeeded") == 0 || strcmp(state, "failed") == 0 ||
           strcmp(state, "canceled") == 0;
}

/* One submit and wait; the time in ms, or -1. */
static double one(CURL *h, const char *base, const char *spec, struct buf *b)
{
    char url[512], id[32], state[32];
    snprintf(url, sizeof url, "%s/v1/jobs", base);
    double t0 = now_ms();
    if (request(h, url, spec, b) != 0 || field(b->p, "id", id, sizeof id) != 0)
        return -1;
    snprintf(url, sizeof url, "%s/v1/jobs/%s", base, id);
    do {
        if (request(h, url, NULL, b) != 0 || field(b->p, "state", state, sizeof state) != 0)
            return -1;
    } while (!final(state));
    return strcmp(state, "succeeded") == 0 ? now_ms() - t0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: latency URL N SPEC_JSON\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    static struct buf b;
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    int n = atoi(argv[2]), rc = 0;
    for (int i = 0; i < n; i++) {
        double ms = one(h, argv[1], argv[3], &b);
        if (ms < 0) {
            fprintf(stderr, "latency: request failed: %s\n", b.p);
            rc = 1;
            break;
        }
        printf("%.4f\n", ms);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    return rc;
}
