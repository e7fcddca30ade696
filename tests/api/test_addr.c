#include "check.h"

#include "api/addr.h"

#include <stdlib.h>

HERD_TEST(addr_host_only_gets_default_port)
{
    struct herd_addr a;
    struct herd_err e;
    CHECK_EQ(herd_addr_parse("example.org", 7070, &a, &e), HERD_OK);
    CHECK_STR(a.host, "example.org");
    CHECK_EQ(a.port, 7070);
    CHECK_EQ(a.explicit_port, 0);
    CHECK_EQ(a.v6, 0);
    uint16_t hp = 0;
    CHECK_EQ(herd_addr_http_port(&a, &hp, &e), HERD_OK);
    CHECK_EQ(hp, 7071);
}

HERD_TEST(addr_host_port)
{
    struct herd_addr a;
    struct herd_err e;
    CHECK_EQ(herd_addr_parse("10.0.0.5:9000", 7070, &a, &e), HERD_OK);
    CHECK_STR(a.host, "10.0.0.5");
    CHECK_EQ(a.port, 9000);
    CHECK_EQ(a.explicit_port, 1);
    char url[300];
    CHECK_EQ(herd_addr_http_url(&a, url, sizeof url, &e), HERD_OK);
    CHECK_STR(url, "http://10.0.0.5:9001");
}

HERD_TEST(addr_ipv6_forms)
{
    struct herd_addr a;
    struct herd_err e;
    char buf[300];
    CHECK_EQ(herd_addr_parse("[::1]:8000", 7070, &a, &e), HERD_OK);
    CHECK_STR(a.host, "::1");
    CHECK_EQ(a.port, 8000);
    CHECK_EQ(a.v6, 1);
    CHECK_STR(herd_addr_format(&a, a.port, buf, sizeof buf), "[::1]:8000");
    CHECK_EQ(herd_addr_http_url(&a, buf, sizeof buf, &e), HERD_OK);
    CHECK_STR(buf, "http://[::1]:8001");
    CHECK_EQ(herd_addr_parse("[fe80::2]", 7070, &a, &e), HERD_OK);
    CHECK_STR(a.host, "fe80::2");
    CHECK_EQ(a.port, 7070);
    CHECK_EQ(herd_addr_parse("::1", 7070, &a, &e), HERD_OK);
    CHECK_STR(a.host, "::1");
    CHECK_EQ(a.port, 7070);
    CHECK_EQ(a.v6, 1);
}

HERD_TEST(addr_port_zero_is_ephemeral_for_both)
{
    struct herd_addr a;
    struct herd_err e;
    uint16_t hp = 1;
    CHECK_EQ(herd_addr_parse("127.0.0.1:0", 7070, &a, &e), HERD_OK);
    CHECK_EQ(herd_addr_http_port(&a, &hp, &e), HERD_OK);
    CHECK_EQ(hp, 0);
}

HERD_TEST(addr_rejects_bad_text)
{
    static const struct {
        const char *text;
        const char *frag;
    } bad[] = {
        {"", "empty"},
        {":7070", "empty host"},
        {"host:", "bad port"},
        {"host:70a0", "bad port"},
        {"host:65536", "bad port"},
        {"host:123456", "bad port"},
        {"[::1", "missing ']'"},
        {"[::1]x", "junk after"},
        {"[::1]:", "bad port"},
        {"[]:80", "empty host"},
        {"[host]:80", "IPv6"},
        {"a b:80", "bad character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct herd_addr a;
        struct herd_err e;
        herd_err_clear(&e);
        a.port = 4242;
        CHECK_EQ(herd_addr_parse(bad[i].text, 7070, &a, &e), HERD_EINVAL);
        if (strstr(e.msg, bad[i].frag) == NULL)
            herd_test_fail(__FILE__, __LINE__, "'%s': message '%s' lacks '%s'", bad[i].text,
                           e.msg, bad[i].frag);
        CHECK_EQ(a.port, 4242); /* out-param untouched on failure */
    }
}

HERD_TEST(addr_http_port_overflow)
{
    struct herd_addr a;
    struct herd_err e;
    uint16_t hp = 9;
    CHECK_EQ(herd_addr_parse("h:65535", 7070, &a, &e), HERD_OK);
    CHECK_EQ(herd_addr_http_port(&a, &hp, &e), HERD_EINVAL);
    CHECK_EQ(hp, 9);
}

HERD_TEST(addr_master_precedence)
{
    struct herd_addr a;
    struct herd_err e;
    unsetenv("HERD_MASTER");
    CHECK_EQ(herd_addr_master(NULL, &a, &e), HERD_OK);
    CHECK_STR(a.host, "127.0.0.1");
    CHECK_EQ(a.port, 7070);
    setenv("HERD_MASTER", "envhost:6000", 1);
    CHECK_EQ(herd_addr_master(NULL, &a, &e), HERD_OK);
    CHECK_STR(a.host, "envhost");
    CHECK_EQ(a.port, 6000);
    CHECK_EQ(herd_addr_master("", &a, &e), HERD_OK);
    CHECK_STR(a.host, "envhost");
    CHECK_EQ(herd_addr_master("flaghost", &a, &e), HERD_OK);
    CHECK_STR(a.host, "flaghost");
    CHECK_EQ(a.port, 7070);
    setenv("HERD_MASTER", "bad:port", 1);
    CHECK_EQ(herd_addr_master(NULL, &a, &e), HERD_EINVAL);
    CHECK(strstr(e.msg, "$HERD_MASTER") != NULL);
}
