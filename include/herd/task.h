/* herd/task.h — the public interface of function-task plugins.
 *
 * A plugin is a shared object that exports one function,
 * herd_task_plugin(), returning a table of named task functions. A worker
 * loads a plugin once (dlopen, the first time a task names it) and then
 * calls its functions on a small pool of threads, many times, with no
 * process per task. A function receives the task's payload (the "payload"
 * of the job spec, base64 there, raw bytes here) and returns a result blob,
 * which becomes the task's recorded output (`herd logs JOB TASK`).
 *
 * Rules for a task function:
 * - it may run on several threads at once, each call with its own arguments:
 *   keep it reentrant (no unguarded globals);
 * - on success it returns 0 and may set out->data to a buffer from malloc()
 *   (the worker free()s it) of out->len bytes, at most 8 MiB - 64 KiB;
 * - on failure it returns non-zero (reported as the exit code) and may write
 *   a message into out->error;
 * - it must not call exit(), change signal dispositions or fork without
 *   exec: it runs inside the worker process;
 * - a timeout or a cancel cannot stop a running call: the worker reports
 *   the attempt TIMEOUT or KILLED at once and drops the result when the call
 *   returns.
 */
#ifndef HERD_TASK_H
#define HERD_TASK_H

#include <stddef.h>
#include <stdint.h>

#define HERD_TASK_API_VERSION 1
#define HERD_TASK_PLUGIN_SYMBOL "herd_task_plugin"

struct herd_task_out {
    void *data;          /* malloc'd result, or NULL */
    size_t len;
    char error[256];     /* message on failure (NUL-terminated) */
};

typedef int (*herd_task_fn)(const void *arg, size_t len, struct herd_task_out *out);

struct herd_task_def {
    const char *name;    /* what a job spec's "function" names */
    herd_task_fn fn;
};

struct herd_task_plugin {
    uint32_t api_version;          /* HERD_TASK_API_VERSION */
    uint32_t ntasks;
    const struct herd_task_def *tasks;
};

/* Exported by every plugin (the symbol HERD_TASK_PLUGIN_SYMBOL). */
const struct herd_task_plugin *herd_task_plugin(void);

#endif
