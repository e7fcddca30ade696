#include "api/client.h"

#include "api/addr.h"
#include "api/sign.h"
#include "base/log.h"
#include "base/mem.h"
#include "wire/auth.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPLY (512u << 20)

struct herd_client {
    CURL *curl;
    char url[HERD_ADDR_HOST_MAX + 32];
    struct herd_secret *secret; /* NULL = no auth */
};

struct buf {
    char *p;
    size_t len, cap;
    int overflow;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    size_t n = size * nmemb;
    if (b->len + n + 1 > MAX_REPLY) {
        b->overflow = 1;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->overflow = 1;
            return 0;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, ptr, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

static int load_secret(struct herd_client *c, const char *secret_file, struct herd_err *e)
{
    if (secret_file == NULL || secret_file[0] == '\0')
        secret_file = getenv(HERD_CLIENT_SECRET_ENV);
    if (secret_file == NULL || secret_file[0] == '\0')
        return HERD_OK;
    c->secret = herd_xcalloc(1, sizeof *c->secret);
    return herd_secret_load(secret_file, c->secret, e);
}

int herd_client_create(const char *master, const char *secret_file, struct herd_client **out,
                       struct herd_err *e)
{
    struct herd_addr a;
    int rc = herd_addr_master(master, &a, e);
    if (rc != HERD_OK)
        return rc;
    struct herd_client *c = herd_xcalloc(1, sizeof *c);
    if ((rc = herd_addr_http_url(&a, c->url, sizeof c->url, e)) != HERD_OK ||
        (rc = load_secret(c, secret_file, e)) != HERD_OK)
        goto fail;
    pthread_once(&curl_once, curl_init_once);
    c->curl = curl_easy_init();
    if (c->curl == NULL) {
        rc = herd_err_set(e, HERD_ENOMEM, "cannot initialise libcurl");
        goto fail;
    }
    *out = c;
    return HERD_OK;
fail:
    herd_client_destroy(c);
    return rc;
}

void herd_client_destroy(struct herd_client *c)
{
    if (c == NULL)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    if (c->secret) {
        memset(c->secret, 0, sizeof *c->secret);
        free(c->secret);
    }
    free(c);
}

const char *herd_client_url(const struct herd_client *c)
{
    return c->url;
}

/* Performs one exchange; the answer lands in *b. */
struct body {
    const char *p; /* NULL: no body */
    size_t len;
    const char *ctype;
};

static int perform(struct herd_client *c, const char *method, const char *path,
                   const struct body *bd, const char *accept, long *status, struct buf *b,
                   struct herd_err *e)
{
    char url[sizeof c->url + 512];
    snprintf(url, sizeof url, "%s%s", c->url, path);
    const char *body = bd ? bd->p : NULL;
    size_t blen = body ? bd->len : 0;
    struct curl_slist *hdrs = NULL;
    char line[HERD_SIGN_HEADER_MAX + 32];
    snprintf(line, sizeof line, "Accept: %s", accept);
    hdrs = curl_slist_append(hdrs, line);
    if (body != NULL) {
        snprintf(line, sizeof line, "Content-Type: %s", bd->ctype);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (c->secret != NULL) {
        char auth[HERD_SIGN_HEADER_MAX];
        herd_sign_header(c->secret, method, path, body, blen, herd_wall_ms(), auth);
        snprintf(line, sizeof line, "Authorization: %s", auth);
        hdrs = curl_slist_append(hdrs, line);
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    CURL *h = c->curl;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 120000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    CURLcode cc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    if (cc != CURLE_OK)
        return herd_err_set(e, HERD_EIO, "%s %s: %s%s", method, url, curl_easy_strerror(cc),
                            b->overflow ? " (reply too large)" : "");
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    return HERD_OK;
}

int herd_client_call(struct herd_client *c, const char *method, const char *path,
                     const json_t *body, long *status, json_t **reply, struct herd_err *e)
{
    char *text = NULL;
    struct buf b = {0};
    if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL)
        return herd_err_set(e, HERD_ENOMEM, "encoding the request: out of memory");
    if (body == NULL && strcmp(method, "POST") == 0)
        text = strdup("");
    long st = 0;
    struct body bd = {text, text ? strlen(text) : 0, "application/json"};
    int rc = perform(c, method, path, &bd, "application/json", &st, &b, e);
    free(text);
    if (rc == HERD_OK) {
        *status = st;
        *reply = b.len ? json_loadb(b.p, b.len, 0, NULL) : NULL;
    }
    free(b.p);
    return rc;
}

static int raw_reply(int rc, long st, struct buf *bp, long *status, uint8_t **data,
                     size_t *len);

int herd_client_get_raw(struct herd_client *c, const char *path, long *status, uint8_t **data,
                        size_t *len, struct herd_err *e)
{
    struct buf b = {0};
    long st = 0;
    int rc = perform(c, "GET", path, NULL, "application/octet-stream", &st, &b, e);
    return raw_reply(rc, st, &b, status, data, len);
}

int herd_client_put_raw(struct herd_client *c, const char *path, const void *body, size_t n,
                        long *status, json_t **reply, struct herd_err *e)
{
    struct buf b = {0};
    long st = 0;
    struct body bd = {body ? body : "", n, "application/octet-stream"};
    int rc = perform(c, "PUT", path, &bd, "application/json", &st, &b, e);
    if (rc == HERD_OK) {
        *status = st;
        *reply = b.len ? json_loadb(b.p, b.len, 0, NULL) : NULL;
    }
    free(b.p);
    return rc;
}

/* Hands a raw answer to the caller (or frees it on failure). */
static int raw_reply(int rc, long st, struct buf *bp, long *status, uint8_t **data, size_t *len)
{
    struct buf b = *bp;
    if (rc != HERD_OK) {
        free(b.p);
        return rc;
    }
    if (b.p == NULL)
        b.p = herd_xcalloc(1, 1);
    *status = st;
    *data = (uint8_t *)b.p;
    *len = b.len;
    return HERD_OK;
}

const char *herd_client_error_text(const json_t *reply, long status)
{
    const char *s = json_string_value(json_object_get(reply, "error"));
    if (s != NULL)
        return s;
    switch (status) {
    case 401:
        return "unauthorized (check --secret-file / $HERD_SECRET_FILE)";
    case 404:
        return "not found";
    default:
        return "unexpected answer from the master";
    }
}
