#include "base/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum herd_log_level threshold = HERD_LOG_INFO;
static char process_name[64] = "herd";
/* The event log may be written from any thread while another opens or
 * closes it: every use of event_file holds event_mu. */
static FILE *event_file;
static pthread_mutex_t event_mu = PTHREAD_MUTEX_INITIALIZER;

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
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f != NULL)
        setvbuf(f, NULL, _IOLBF, 0);
    pthread_mutex_lock(&event_mu);
    FILE *old = event_file;
    __atomic_store_n(&event_file, f, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&event_mu);
    if (old != NULL)
        fclose(old);
    return path != NULL && f == NULL ? 3 : 0; /* 3 = HERD_EIO; err.h not needed for one constant */
}

void herd_event_buffer(int on)
{
    pthread_mutex_lock(&event_mu);
    if (event_file != NULL)
        setvbuf(event_file, NULL, on ? _IOFBF : _IOLBF, on ? 1u << 16 : 0);
    pthread_mutex_unlock(&event_mu);
}

void herd_event_flush(void)
{
    pthread_mutex_lock(&event_mu);
    if (event_file != NULL)
        fflush(event_file);
    pthread_mutex_unlock(&event_mu);
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
    if (__atomic_load_n(&event_file, __ATOMIC_ACQUIRE) == NULL)
        return; /* the cheap test; the file is checked again under the lock */
    char p[sizeof process_name * 6 + 3], k[64], i[128], f[64], t[64], x[600];
    put_json_str(p, sizeof p, process_name);
    put_json_str(k, sizeof k, kind);
    put_json_str(i, sizeof i, id);
    put_json_str(f, sizeof f, from);
    put_json_str(t, sizeof t, to);
    put_json_str(x, sizeof x, info ? info : "");
    pthread_mutex_lock(&event_mu);
    if (event_file != NULL)
        fprintf(event_file, "{\"ts\":%llu,\"proc\":%s,\"kind\":%s,\"id\":%s,\"from\":%s,\"to\":%s,\"info\":%s}\n",
                (unsigned long long)herd_wall_ms(), p, k, i, f, t, x);
    pthread_mutex_unlock(&event_mu);
}
