/* tasks — an example function-task plugin (include/herd/task.h): a no-op,
 * an echo, a byte sum, a sleep and a function that fails. */
#include <herd/task.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int noop(const void *arg, size_t len, struct herd_task_out *out)
{
    (void)arg;
    (void)len;
    (void)out;
    return 0;
}

static int echo(const void *arg, size_t len, struct herd_task_out *out)
{
    out->data = malloc(len ? len : 1);
    if (out->data == NULL) {
        snprintf(out->error, sizeof out->error, "out of memory");
        return 1;
    }
    memcpy(out->data, arg, len);
    out->len = len;
    return 0;
}

/* The sum of the payload's bytes, as decimal text. */
static int sum(const void *arg, size_t len, struct herd_task_out *out)
{
    const unsigned char *p = arg;
    unsigned long long s = 0;
    for (size_t i = 0; i < len; i++)
        s += p[i];
    char *text = malloc(32);
    if (text == NULL)
        return 1;
    out->len = (size_t)snprintf(text, 32, "%llu\n", s);
    out->data = text;
    return 0;
}

/* Sleeps for the number of milliseconds written in the payload. */
static int sleep_ms(const void *arg, size_t len, struct herd_task_out *out)
{
    char buf[32];
    size_t n = len < sizeof buf - 1 ? len : sizeof buf - 1;
    memcpy(buf, arg, n);
    buf[n] = '\0';
    long ms = strtol(buf, NULL, 10);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    (void)out;
    return 0;
}

static int fail(const void *arg, size_t len, struct herd_task_out *out)
{
    (void)arg;
    snprintf(out->error, sizeof out->error, "failing on purpose (%zu bytes in)", len);
    return 3;
}

static const struct herd_task_def defs[] = {
    {"noop", noop}, {"echo", echo}, {"sum", sum}, {"sleep_ms", sleep_ms}, {"fail", fail},
};

const struct herd_task_plugin *herd_task_plugin(void)
{
    static const struct herd_task_plugin p = {HERD_TASK_API_VERSION,
                                              sizeof defs / sizeof defs[0], defs};
    return &p;
}
