/* b64 — standard padded base64 (RFC 4648 section 4) for binary values in
 * JSON: function-task payloads and non-UTF-8 task output. Pure; any thread. */
#ifndef HERD_API_B64_H
#define HERD_API_B64_H

#include <stddef.h>
#include <stdint.h>

/* Bytes needed to decode n characters (an upper bound). */
static inline size_t herd_b64_decoded_max(size_t n)
{
    return n / 4 * 3;
}

/* Decodes n characters of strict padded base64 into out (room for
 * herd_b64_decoded_max(n) bytes). Returns the byte count, or -1 on a bad
 * character, bad padding or a length that is not a multiple of 4. */
long herd_b64_decode(const char *s, size_t n, uint8_t *out);

/* A malloc'd NUL-terminated encoding of n bytes; NULL on out-of-memory. */
char *herd_b64_encode(const uint8_t *p, size_t n);

#endif
