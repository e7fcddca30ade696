/* fuzz_config — libFuzzer target for what herd reads from a person's
 * configuration: master addresses (herd_addr_parse, from flags and
 * $HERD_MASTER) and the cluster secret file (herd_secret_load).
 *
 * Input: the first byte picks the decoder (even: address, odd: secret file),
 * the rest is the text or the file's bytes. Properties: an accepted address
 * formats and re-parses to the same host and port; an accepted secret is the
 * file minus at most one trailing newline, 16..HERD_SECRET_MAX bytes. */
#include "api/addr.h"
#include "base/log.h"
#include "wire/auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void require(int cond)
{
    if (!cond)
        abort();
}

static void fuzz_addr(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    struct herd_addr a, b;
    struct herd_err e;
    if (herd_addr_parse(text, 7070, &a, &e) == HERD_OK) {
        char buf[300];
        herd_addr_format(&a, a.port, buf, sizeof buf);
        require(herd_addr_parse(buf, 7070, &b, &e) == HERD_OK);
        require(strcmp(a.host, b.host) == 0 && a.port == b.port && a.v6 == b.v6);
        uint16_t hp;
        if (herd_addr_http_port(&a, &hp, &e) == HERD_OK)
            require(a.port == 0 ? hp == 0 : hp == a.port + 1);
    }
    free(text);
}

static void fuzz_secret(const uint8_t *data, size_t size)
{
    int fd = memfd_create("secret", 0);
    if (fd < 0)
        abort();
    if (size > 0 && write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    static struct herd_secret s;
    struct herd_err e;
    if (herd_secret_load(path, &s, &e) == HERD_OK) {
        size_t want = size > 0 && data[size - 1] == '\n' ? size - 1 : size;
        require(s.len == want && s.len >= 16 && s.len <= HERD_SECRET_MAX);
        require(memcmp(s.key, data, s.len) == 0);
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        herd_log_set_level(HERD_LOG_ERROR);
        quiet = 1;
    }
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0)
        fuzz_addr(data + 1, size - 1);
    else
        fuzz_secret(data + 1, size - 1);
    return 0;
}
