/* http_int — what api/http.c (the libmicrohttpd glue) and api/http_routes.c
 * (the route table and its handlers) share. Not for use outside src/api. */
#ifndef HERD_API_HTTP_INT_H
#define HERD_API_HTTP_INT_H

#include "api/http.h"
#include "api/sign.h"

#include <jansson.h>

struct MHD_Daemon;

struct herd_http {
    struct MHD_Daemon *d;
    struct herd_core *core;
    struct herd_secret *secret; /* NULL = no client authentication */
    struct herd_sign_replay *replay;
    size_t max_body;
    unsigned max_conns;
    int at_limit;               /* logged that max_conns is reached */
    uint64_t (*now)(void *ctx);
    void *now_ctx;
    uint16_t port;
};

/* One request, as a handler sees it. */
struct herd_http_call {
    struct herd_http *h;
    const char *method;
    const char *path;
    const char *body;           /* NUL-terminated; len excludes the NUL */
    size_t len;
    int want_raw;               /* client asked for raw bytes (Accept) */
    const char *caps[3];        /* the {...} segments of the pattern, in order */
};

/* What a handler answers. Exactly one of json / raw is set. */
struct herd_http_reply {
    unsigned status;
    json_t *json;               /* owned */
    char *raw;                  /* owned, malloc'd */
    size_t rawlen;
    const char *ctype;          /* for raw */
    char location[64];          /* Location header if non-empty */
    unsigned retry_after;       /* Retry-After header (seconds) if non-zero */
};

typedef void (*herd_http_handler)(struct herd_http_call *c, struct herd_http_reply *r);

struct herd_http_route {
    const char *method;
    const char *pattern;        /* "/v1/jobs/{id}/tasks/{index}/stdout" */
    herd_http_handler fn;
    const char *help;
};

/* http_files.c: blobs, task output files, attempts. */
void herd_http_put_blob(struct herd_http_call *c, struct herd_http_reply *r);
void herd_http_get_blob(struct herd_http_call *c, struct herd_http_reply *r);
void herd_http_get_files(struct herd_http_call *c, struct herd_http_reply *r);
void herd_http_get_file(struct herd_http_call *c, struct herd_http_reply *r);
void herd_http_get_attempts(struct herd_http_call *c, struct herd_http_reply *r);
/* The {id} and {index} captures as a known job's task: 1, or answers 400/404
 * and returns 0 (http_routes.c). */
int herd_http_known_task(struct herd_http_call *c, struct herd_http_reply *r, uint64_t *job,
                         uint32_t *index);

extern const struct herd_http_route herd_http_routes[];
extern const size_t herd_http_nroutes;

/* Matches a request path against a route pattern segment by segment; each
 * {x} segment is copied into caps (in order, truncated to 79 bytes). 1 on a
 * match, else 0. Pure; exported for the fuzz target. */
int herd_http_route_match(const char *pat, const char *path, char caps[3][80]);

/* Parses a decimal id of at most `max` (one spelling: no sign, no leading
 * zeros except "0"). 0 and *out, or -1 on anything else. Pure. */
int herd_http_parse_id(const char *s, uint64_t max, uint64_t *out);

/* Sets r to {"error": text} with the status (takes no reference). */
void herd_http_reply_error(struct herd_http_reply *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets r to the JSON value j (steals the reference); NULL j means OOM -> 500. */
void herd_http_reply_json(struct herd_http_reply *r, unsigned status, json_t *j);

#endif
