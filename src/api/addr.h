/* addr — the one way a person names a master, and the ports derived from it.
 *
 * Convention (docs/api.md, "Addresses"): a master is named once as `host`,
 * `host:port`, `[v6]` or `[v6]:port` — by a --master flag, else $HERD_MASTER,
 * else 127.0.0.1:7070. That port P is the control port that workers dial; the
 * HTTP API listens on P+1 (unless the master was started with an explicit
 * --http), and clients given the same address talk HTTP to P+1. A bare IPv6
 * literal without brackets ("::1") is a host with the default port.
 *
 * Pure functions on caller-owned structs; any thread. */
#ifndef HERD_API_ADDR_H
#define HERD_API_ADDR_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#define HERD_ADDR_DEFAULT_HOST "127.0.0.1"
#define HERD_ADDR_DEFAULT_PORT 7070
#define HERD_ADDR_ENV "HERD_MASTER"
#define HERD_ADDR_HOST_MAX 256

struct herd_addr {
    char host[HERD_ADDR_HOST_MAX]; /* without brackets, NUL-terminated */
    uint16_t port;                 /* control port (explicit or default) */
    int explicit_port;             /* 1 if the text named a port */
    int v6;                        /* 1 if host is an IPv6 literal */
};

/* Parses "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 literal.
 * `default_port` is used when the text has none. Port 0 is accepted (for
 * listeners: "any free port"). Returns HERD_OK and *out, or HERD_EINVAL with
 * a reason naming the text (empty host, bad or out-of-range port, unclosed
 * bracket, host too long). */
int herd_addr_parse(const char *text, uint16_t default_port, struct herd_addr *out,
                    struct herd_err *e);

/* The master address a command should use: `flag` if non-NULL and non-empty,
 * else $HERD_MASTER if set and non-empty, else 127.0.0.1:7070. Errors as
 * herd_addr_parse, with the source ("--master", "$HERD_MASTER") named. */
int herd_addr_master(const char *flag, struct herd_addr *out, struct herd_err *e);

/* HTTP port derived from the control port: port+1 (0 stays 0: both
 * ephemeral). HERD_EINVAL if the control port is 65535. */
int herd_addr_http_port(const struct herd_addr *a, uint16_t *out, struct herd_err *e);

/* Writes "host:port" (with brackets for IPv6) into buf; returns buf.
 * Truncates to n-1 characters if buf is too small. */
char *herd_addr_format(const struct herd_addr *a, uint16_t port, char *buf, size_t n);

/* Writes the client base URL "http://host:P+1" into buf (n >= 300 is always
 * enough). HERD_OK, or HERD_EINVAL as herd_addr_http_port. */
int herd_addr_http_url(const struct herd_addr *a, char *buf, size_t n, struct herd_err *e);

#endif
