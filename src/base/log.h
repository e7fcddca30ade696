/* log — human logs and the machine-readable event log.
 *
 * Human logs go to stderr as one line each:
 *   2026-11-28T02:30:00.123Z INFO  master: worker w-1 registered
 * The level threshold comes from $HERD_LOG (debug|info|warn|error, default
 * info) or herd_log_set_level(). The event log records every state transition
 * of workers, jobs, tasks and attempts as JSON lines, to a file opened with
 * herd_event_open(); without one, events are dropped. Both are safe to call
 * from any thread, also while another thread opens or closes the event log
 * (each line is written with one locked stdio call under the log's mutex). */
#ifndef HERD_BASE_LOG_H
#define HERD_BASE_LOG_H

#include <stdint.h>

enum herd_log_level { HERD_LOG_DEBUG, HERD_LOG_INFO, HERD_LOG_WARN, HERD_LOG_ERROR };

void herd_log_set_level(enum herd_log_level level);
void herd_log_init_from_env(void);

/* Process-wide name prefix, e.g. "master" or "worker w-3" (copied). */
void herd_log_set_process(const char *name);

void herd_log(enum herd_log_level level, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define herd_debug(sub, ...) herd_log(HERD_LOG_DEBUG, sub, __VA_ARGS__)
#define herd_info(sub, ...) herd_log(HERD_LOG_INFO, sub, __VA_ARGS__)
#define herd_warn(sub, ...) herd_log(HERD_LOG_WARN, sub, __VA_ARGS__)
#define herd_error(sub, ...) herd_log(HERD_LOG_ERROR, sub, __VA_ARGS__)

/* Opens (appends to) the event log at `path`; NULL closes it. Returns HERD_OK
 * or HERD_EIO. */
int herd_event_open(const char *path);

/* Event lines are written one write() each (line-buffered, the default) or,
 * with on != 0, gathered in a buffer that herd_event_flush() writes out: a
 * busy loop flushes once per iteration instead of paying a system call per
 * transition. Call herd_event_buffer right after herd_event_open (before
 * any event is written). */
void herd_event_buffer(int on);
void herd_event_flush(void);

/* Writes one JSON line {"ts":ms,"kind":kind,"id":id,"from":from,"to":to,
 * "info":info} for a state transition; `info` may be NULL. Strings are
 * JSON-escaped. */
void herd_event(const char *kind, const char *id, const char *from, const char *to,
                const char *info);

/* Wall-clock milliseconds since the epoch (for logs and journal stamps). */
uint64_t herd_wall_ms(void);

/* Monotonic milliseconds (for timeouts). */
uint64_t herd_mono_ms(void);

#endif
