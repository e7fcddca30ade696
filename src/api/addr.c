#include "api/addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a decimal port of 1..5 digits in [0, 65535]. */
static int parse_port(const char *s, uint16_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 5)
        return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

static int set_host(struct herd_addr *a, const char *p, size_t n, const char *text,
                    struct herd_err *e)
{
    if (n == 0)
        return herd_err_set(e, HERD_EINVAL, "address '%s': empty host", text);
    if (n >= sizeof a->host)
        return herd_err_set(e, HERD_EINVAL, "address '%s': host too long", text);
    for (size_t i = 0; i < n; i++)
        if (p[i] == ' ' || p[i] == '/' || p[i] == '[' || p[i] == ']' || (unsigned char)p[i] < 32)
            return herd_err_set(e, HERD_EINVAL, "address '%s': bad character in host", text);
    memcpy(a->host, p, n);
    a->host[n] = '\0';
    return HERD_OK;
}

static int set_port(struct herd_addr *a, const char *p, const char *text, struct herd_err *e)
{
    if (parse_port(p, &a->port) != 0)
        return herd_err_set(e, HERD_EINVAL, "address '%s': bad port '%s' (0..65535)", text, p);
    a->explicit_port = 1;
    return HERD_OK;
}

/* "[v6]" or "[v6]:port". */
static int parse_bracketed(const char *text, struct herd_addr *a, struct herd_err *e)
{
    const char *close = strchr(text, ']');
    if (close == NULL)
        return herd_err_set(e, HERD_EINVAL, "address '%s': missing ']'", text);
    int rc = set_host(a, text + 1, (size_t)(close - text - 1), text, e);
    if (rc != HERD_OK)
        return rc;
    if (strchr(a->host, ':') == NULL)
        return herd_err_set(e, HERD_EINVAL, "address '%s': brackets need an IPv6 literal", text);
    a->v6 = 1;
    if (close[1] == '\0')
        return HERD_OK;
    if (close[1] != ':')
        return herd_err_set(e, HERD_EINVAL, "address '%s': junk after ']'", text);
    return set_port(a, close + 2, text, e);
}

int herd_addr_parse(const char *text, uint16_t default_port, struct herd_addr *out,
                    struct herd_err *e)
{
    struct herd_addr a;
    memset(&a, 0, sizeof a);
    a.port = default_port;
    if (text == NULL || text[0] == '\0')
        return herd_err_set(e, HERD_EINVAL, "address '': empty");
    int rc;
    const char *colon = strchr(text, ':');
    if (text[0] == '[') {
        rc = parse_bracketed(text, &a, e);
    } else if (colon != NULL && strchr(colon + 1, ':') != NULL) {
        rc = set_host(&a, text, strlen(text), text, e); /* bare IPv6 literal */
        a.v6 = 1;
    } else if (colon != NULL) {
        rc = set_host(&a, text, (size_t)(colon - text), text, e);
        if (rc == HERD_OK)
            rc = set_port(&a, colon + 1, text, e);
    } else {
        rc = set_host(&a, text, strlen(text), text, e);
    }
    if (rc != HERD_OK)
        return rc;
    *out = a;
    return HERD_OK;
}

int herd_addr_master(const char *flag, struct herd_addr *out, struct herd_err *e)
{
    const char *src = "--master";
    const char *text = flag;
    if (text == NULL || text[0] == '\0') {
        src = "$" HERD_ADDR_ENV;
        text = getenv(HERD_ADDR_ENV);
    }
    if (text == NULL || text[0] == '\0') {
        src = "default";
        text = HERD_ADDR_DEFAULT_HOST;
    }
    int rc = herd_addr_parse(text, HERD_ADDR_DEFAULT_PORT, out, e);
    if (rc != HERD_OK)
        herd_err_wrap(e, "%s", src);
    return rc;
}

int herd_addr_http_port(const struct herd_addr *a, uint16_t *out, struct herd_err *e)
{
    if (a->port == 65535)
        return herd_err_set(e, HERD_EINVAL,
                            "control port 65535 leaves no room for the HTTP port (port+1)");
    *out = a->port == 0 ? 0 : (uint16_t)(a->port + 1);
    return HERD_OK;
}

char *herd_addr_format(const struct herd_addr *a, uint16_t port, char *buf, size_t n)
{
    if (a->v6)
        snprintf(buf, n, "[%s]:%u", a->host, (unsigned)port);
    else
        snprintf(buf, n, "%s:%u", a->host, (unsigned)port);
    return buf;
}

int herd_addr_http_url(const struct herd_addr *a, char *buf, size_t n, struct herd_err *e)
{
    uint16_t port = 0;
    int rc = herd_addr_http_port(a, &port, e);
    if (rc != HERD_OK)
        return rc;
    char hp[HERD_ADDR_HOST_MAX + 16];
    snprintf(buf, n, "http://%s", herd_addr_format(a, port, hp, sizeof hp));
    return HERD_OK;
}
