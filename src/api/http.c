/* The libmicrohttpd glue: daemon lifecycle, request bodies, authentication
 * and dispatch through the route table in http_routes.c.
 *
 * Request lifetime (MHD calls on_request several times per request): the
 * first call allocates a `struct req` and may answer at once (413 from
 * Content-Length, 401 from a missing, malformed or stale Authorization
 * header) before any body is read; later calls append body bytes; the last
 * call (no more upload data) verifies the MAC over the body and dispatches.
 * on_completed frees the req. */
#include "api/http_int.h"

#include "base/log.h"
#include "base/mem.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONN_LIMIT 1024
#define CONN_TIMEOUT_S 60

struct req {
    char *body;
    size_t len, cap;
    int too_big;
    int oom;
    int responded;
};

void herd_http_reply_error(struct herd_http_reply *r, unsigned status, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_decref(r->json);
    r->json = json_pack("{s:s}", "error", text);
    r->status = status;
}

void herd_http_reply_json(struct herd_http_reply *r, unsigned status, json_t *j)
{
    json_decref(r->json);
    r->json = j;
    r->status = status;
    if (j == NULL)
        herd_http_reply_error(r, 500, "out of memory");
}

/* ---- responses ---- */

static struct MHD_Response *json_response(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    if (text == NULL)
        return NULL;
    size_t n = strlen(text);
    char *body = realloc(text, n + 2);
    if (body == NULL) {
        free(text);
        return NULL;
    }
    body[n] = '\n';
    body[n + 1] = '\0';
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(n + 1, body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL)
        free(body);
    else
        MHD_add_response_header(resp, "Content-Type", "application/json");
    return resp;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct herd_http_reply *r,
                                  const char *allow)
{
    struct MHD_Response *resp;
    if (r->raw != NULL) {
        resp = MHD_create_response_from_buffer(r->rawlen, r->raw, MHD_RESPMEM_MUST_FREE);
        if (resp != NULL) {
            r->raw = NULL;
            MHD_add_response_header(resp, "Content-Type", r->ctype);
        }
    } else {
        resp = json_response(r->json);
    }
    json_decref(r->json);
    free(r->raw);
    if (resp == NULL)
        return MHD_NO; /* out of memory: MHD closes the connection */
    if (allow != NULL)
        MHD_add_response_header(resp, "Allow", allow);
    if (r->status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", HERD_SIGN_SCHEME);
    if (r->location[0] != '\0')
        MHD_add_response_header(resp, "Location", r->location);
    if (r->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    enum MHD_Result rc = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    struct herd_http_reply r = {0};
    herd_http_reply_error(&r, status, "%s", msg);
    return send_reply(conn, &r, NULL);
}

/* ---- dispatch ---- */

/* Matches path against pattern segment by segment; {x} segments are copied
 * into caps (truncated to 79 bytes, which no valid id reaches). */
int herd_http_route_match(const char *pat, const char *path, char caps[3][80])
{
    int ncap = 0;
    while (*pat == '/' && *path == '/') {
        pat++;
        path++;
        size_t pl = strcspn(pat, "/"), sl = strcspn(path, "/");
        if (pat[0] == '{' && ncap < 3 && sl > 0) {
            snprintf(caps[ncap++], 80, "%.*s", (int)(sl < 79 ? sl : 79), path);
        } else if (pl != sl || strncmp(pat, path, pl) != 0) {
            return 0;
        }
        pat += pl;
        path += sl;
    }
    return *pat == '\0' && *path == '\0';
}

static int want_raw(struct MHD_Connection *conn)
{
    const char *acc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
    return acc != NULL &&
           (strstr(acc, "application/octet-stream") != NULL || strstr(acc, "text/plain") != NULL);
}

static enum MHD_Result dispatch(struct herd_http *h, struct MHD_Connection *conn,
                                const char *path, const char *method, struct req *rq)
{
    char caps[3][80];
    char allow[64] = "";
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    for (size_t i = 0; i < herd_http_nroutes; i++) {
        const struct herd_http_route *rt = &herd_http_routes[i];
        if (!herd_http_route_match(rt->pattern, path, caps))
            continue;
        if (strcmp(rt->method, m) != 0) {
            if (strstr(allow, rt->method) == NULL && strlen(allow) + strlen(rt->method) + 3 <
                                                         sizeof allow)
                snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s",
                         allow[0] ? ", " : "", rt->method);
            continue;
        }
        struct herd_http_call c = {h, method, path, rq->body ? rq->body : "", rq->len,
                                   want_raw(conn), {caps[0], caps[1], caps[2]}};
        struct herd_http_reply r = {0};
        rt->fn(&c, &r);
        return send_reply(conn, &r, NULL);
    }
    struct herd_http_reply r = {0};
    if (allow[0] != '\0') {
        herd_http_reply_error(&r, 405, "method %s not allowed on %s (allowed: %s)", method, path,
                              allow);
        return send_reply(conn, &r, allow);
    }
    herd_http_reply_error(&r, 404, "no route for %s %s", method, path);
    return send_reply(conn, &r, NULL);
}

/* ---- the request state machine ---- */

static enum MHD_Result first_call(struct herd_http *h, struct MHD_Connection *conn,
                                  struct req *rq)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl != NULL && strtoull(cl, NULL, 10) > h->max_body) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body over the limit of %zu bytes", h->max_body);
        rq->responded = 1;
        return send_error(conn, 413, msg);
    }
    if (h->secret == NULL)
        return MHD_YES;
    struct herd_sign_fields f;
    struct herd_err e;
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (herd_sign_precheck(auth, herd_wall_ms(), &f, &e) == HERD_OK)
        return MHD_YES;
    rq->responded = 1;
    return send_error(conn, 401, e.msg);
}

static void append(struct herd_http *h, struct req *rq, const char *data, size_t n)
{
    if (rq->too_big || rq->oom)
        return;
    if (n > h->max_body - rq->len) {
        rq->too_big = 1;
        free(rq->body);
        rq->body = NULL;
        return;
    }
    if (rq->len + n + 1 > rq->cap) {
        size_t cap = rq->cap ? rq->cap : 4096;
        while (cap < rq->len + n + 1)
            cap *= 2;
        char *b = realloc(rq->body, cap);
        if (b == NULL) {
            rq->oom = 1;
            return;
        }
        rq->body = b;
        rq->cap = cap;
    }
    memcpy(rq->body + rq->len, data, n);
    rq->len += n;
    rq->body[rq->len] = '\0';
}

static enum MHD_Result last_call(struct herd_http *h, struct MHD_Connection *conn,
                                 const char *url, const char *method, struct req *rq)
{
    rq->responded = 1;
    if (rq->too_big) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body over the limit of %zu bytes", h->max_body);
        return send_error(conn, 413, msg);
    }
    if (rq->oom)
        return send_error(conn, 500, "out of memory reading the request body");
    if (h->secret != NULL) {
        struct herd_err e;
        const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        if (herd_sign_verify(h->secret, h->replay, auth, method, url, rq->body, rq->len,
                             herd_wall_ms(), &e) != HERD_OK) {
            herd_warn("http", "%s %s refused: %s", method, url, e.msg);
            return send_error(conn, 401, e.msg);
        }
    }
    return dispatch(h, conn, url, method, rq);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct herd_http *h = cls;
    struct req *rq = *con_cls;
    if (rq == NULL) {
        rq = herd_xcalloc(1, sizeof *rq);
        *con_cls = rq;
        return first_call(h, conn, rq);
    }
    if (*upload_size != 0) {
        if (!rq->responded)
            append(h, rq, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->responded)
        return MHD_YES;
    return last_call(h, conn, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct req *rq = *con_cls;
    if (rq != NULL) {
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    herd_warn("http", "%s", line);
}

/* ---- lifecycle ---- */

static int resolve(const char *host, uint16_t port, struct sockaddr_storage *ss,
                   struct herd_err *e)
{
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", (unsigned)port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc != 0)
        return herd_err_set(e, HERD_EINVAL, "http bind address '%s': %s", host,
                            gai_strerror(rc));
    memset(ss, 0, sizeof *ss);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return HERD_OK;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
    return ss->ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
}

static struct MHD_Daemon *start(struct herd_http *h, struct sockaddr_storage *ss)
{
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ss->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    return MHD_start_daemon(flags, h->port, NULL, NULL, on_request, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_CONNECTION_LIMIT, h->max_conns,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_END);
}

int herd_http_create(const struct herd_http_config *cfg, struct herd_core *core,
                     struct herd_http **out, struct herd_err *e)
{
    const char *host = cfg->host ? cfg->host : "127.0.0.1";
    struct sockaddr_storage ss;
    int rc = resolve(host, cfg->port, &ss, e);
    if (rc != HERD_OK)
        return rc;
    int has_secret = cfg->secret != NULL && cfg->secret->len > 0;
    if (!has_secret && !is_loopback(&ss))
        return herd_err_set(e, HERD_EINVAL,
                            "refusing to serve the HTTP API on %s without a cluster secret "
                            "(use a loopback address or --secret-file)",
                            host);
    struct herd_http *h = herd_xcalloc(1, sizeof *h);
    h->core = core;
    h->max_body = cfg->max_body ? cfg->max_body : HERD_HTTP_MAX_BODY_DEFAULT;
    h->max_conns = cfg->max_conns ? cfg->max_conns : CONN_LIMIT;
    h->now = cfg->now;
    h->now_ctx = cfg->now_ctx;
    h->port = cfg->port;
    if (has_secret) {
        h->secret = herd_xmalloc(sizeof *h->secret);
        *h->secret = *cfg->secret;
        h->replay = herd_sign_replay_create();
    }
    h->d = start(h, &ss);
    if (h->d == NULL) {
        herd_http_destroy(h);
        return herd_err_set(e, HERD_EIO, "http: cannot listen on %s port %u", host,
                            (unsigned)cfg->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    if (info != NULL)
        h->port = info->port;
    herd_info("http", "API on %s port %u (%s)", host, (unsigned)h->port,
              has_secret ? "HERD-HMAC client auth" : "no auth, loopback only");
    *out = h;
    return HERD_OK;
}

void herd_http_destroy(struct herd_http *h)
{
    if (h == NULL)
        return;
    if (h->d != NULL)
        MHD_stop_daemon(h->d);
    herd_sign_replay_destroy(h->replay);
    if (h->secret != NULL) {
        memset(h->secret, 0, sizeof *h->secret);
        free(h->secret);
    }
    free(h);
}

int herd_http_fd(struct herd_http *h)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    return info ? info->epoll_fd : -1;
}

/* libmicrohttpd stops accepting at the limit (new connections wait in the
 * backlog) and says nothing: say it, once per episode. */
static void watch_limit(struct herd_http *h)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    if (info == NULL)
        return;
    int full = info->num_connections >= h->max_conns;
    if (full && !h->at_limit)
        herd_warn("http", "HTTP connection limit reached: %u open (--max-http-conns %u); "
                          "new connections wait until one closes",
                  info->num_connections, h->max_conns);
    else if (!full && h->at_limit)
        herd_info("http", "HTTP connections below the limit again (%u open)",
                  info->num_connections);
    h->at_limit = full;
}

void herd_http_run(struct herd_http *h)
{
    MHD_run(h->d);
    watch_limit(h);
}

uint64_t herd_http_timeout_ms(struct herd_http *h)
{
    MHD_UNSIGNED_LONG_LONG t = 0;
    if (MHD_get_timeout(h->d, &t) != MHD_YES)
        return UINT64_MAX;
    return (uint64_t)t;
}

uint16_t herd_http_port(struct herd_http *h)
{
    return h->port;
}

void herd_http_each_route(void (*fn)(void *arg, const char *method, const char *pattern,
                                     const char *help),
                          void *arg)
{
    for (size_t i = 0; i < herd_http_nroutes; i++)
        fn(arg, herd_http_routes[i].method, herd_http_routes[i].pattern, herd_http_routes[i].help);
}
