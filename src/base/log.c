#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum herd_log_level threshold = HERD_LOG_INFO;
static char process_name[64] = "herd";
static FILE *event_file;

static const char *const level_names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};

void herd_log_set_level(enum herd_log_level level)
{
    threshold = level;
}

void herd_log_init_from_env(void)
{
    const char *v = getenv("HERD_LOG");
    if (v == NULL)
        return;
    if (strcmp(v, "debug") == 0)
        threshold = HERD_LOG_DEBUG;
    else if (strcmp(v, "warn") == 0)
        threshold = HERD_LOG_WARN;
    else if (strcmp(v, "error") == 0)
        threshold = HERD_LOG_ERROR;
    else
        threshold = HERD_LOG_INFO;
}

void herd_log_set_process(const char *name)
{
    snprintf(process_name, sizeof process_name, "%s", name);
}

uint64_t herd_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t herd_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void stamp(char *buf, size_t n)
{
    uint64_t ms = herd_wall_ms();
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + k, n - k, ".%03uZ", (unsigned)(ms % 1000));
}

void herd_log(enum herd_log_level level, const char *subsys, const char *fmt, ...)
{
    if (level < threshold)
        return;
    char ts[40], msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    stamp(ts, sizeof ts);
    fprintf(stderr, "%s %s [%s] %s: %s\n", ts, level_names[level], process_name, subsys, msg);
}

int herd_event_open(const char *path)
{
    if (event_file != NULL)
        fclose(event_file);
    event_file = NULL;
    if (path == NULL)
        return 0;
    event_file = fopen(path, "a");
    if (event_file == NULL)
        return 3; /* HERD_EIO; avoid including err.h for one constant */
    setvbuf(event_file, NULL, _IOLBF, 0);
    return 0;
}

void herd_event_buffer(int on)
{
    if (event_file != NULL)
        setvbuf(event_file, NULL, on ? _IOFBF : _IOLBF, on ? 1u << 16 : 0);
}

void herd_event_flush(void)
{
    if (event_file != NULL)
        fflush(event_file);
}

static void put_json_str(char *out, size_t n, const char *s)
{
    size_t k = 0;
    if (n < 3)
        return;
    out[k++] = '"';
    for (; s != NULL && *s && k + 7 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[k++] = '\\';
            out[k++] = (char)c;
        } else if (c < 0x20) {
            k += (size_t)snprintf(out + k, n - k, "\\u%04x", c);
        } else {
            out[k++] = (char)c;
        }
    }
    out[k++] = '"';
    out[k] = '\0';
}

void herd_event(const char *kind, const char *id, const char *from, const char *to,
                const char *info)
{
    if (event_file == NULL)
        return;
    char p[sizeof process_name * 6 + 3], k[64], i[128], f[64], t[64], x[600];
    put_json_str(p, sizeof p, process_name);
    put_json_str(k, sizeof k, kind);
    put_json_str(i, sizeof i, id);
    put_json_str(f, sizeof f, from);
    put_json_str(t, sizeof t, to);
    put_json_str(x, sizeof x, info ? info : "");
    fprintf(event_file, "{\"ts\":%llu,\"proc\":%s,\"kind\":%s,\"id\":%s,\"from\":%s,\"to\":%s,\"info\":%s}\n",
            (unsigned long long)herd_wall_ms(), p, k, i, f, t, x);
}
