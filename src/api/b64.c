#include "api/b64.h"

#include <stdlib.h>
#include <string.h>

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64val(char c)
{
    const char *p = c ? strchr(b64chars, c) : NULL;
    return p ? (int)(p - b64chars) : -1;
}

long herd_b64_decode(const char *s, size_t n, uint8_t *out)
{
    if (n % 4 != 0)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i += 4) {
        int last = i + 4 == n;
        int pad = last ? (s[i + 3] == '=') + (s[i + 2] == '=' && s[i + 3] == '=') : 0;
        int v[4] = {b64val(s[i]), b64val(s[i + 1]), pad >= 2 ? 0 : b64val(s[i + 2]),
                    pad >= 1 ? 0 : b64val(s[i + 3])};
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
            return -1;
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
                     (uint32_t)v[3];
        out[k++] = (uint8_t)(w >> 16);
        if (pad < 2)
            out[k++] = (uint8_t)(w >> 8);
        if (pad < 1)
            out[k++] = (uint8_t)w;
    }
    return (long)k;
}

char *herd_b64_encode(const uint8_t *p, size_t n)
{
    char *s = malloc((n + 2) / 3 * 4 + 1);
    if (s == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        s[k++] = b64chars[w >> 18 & 63];
        s[k++] = b64chars[w >> 12 & 63];
        s[k++] = i + 1 < n ? b64chars[w >> 6 & 63] : '=';
        s[k++] = i + 2 < n ? b64chars[w & 63] : '=';
    }
    s[k] = '\0';
    return s;
}
