/* spawn — the bare process-spawn rate of this machine: N runs of a program
 * with posix_spawn + waitpid, K children in flight at a time (K = 1: the
 * plain loop). Prints tasks per second.
 *
 *   spawn N K [PROGRAM]      (default /bin/true)
 *
 * A benchmark tool (bench/tasks_vs_dask.sh builds it), not part of herd. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: spawn N K [PROGRAM]\n");
        return 2;
    }
    int n = atoi(argv[1]), k = atoi(argv[2]), started = 0, done = 0, running = 0;
    char *prog = argc > 3 ? argv[3] : "/bin/true";
    char *args[] = {prog, NULL};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    while (done < n) {
        while (running < k && started < n) {
            pid_t pid;
            if (posix_spawn(&pid, prog, NULL, NULL, args, environ) != 0) {
                perror("posix_spawn");
                return 1;
            }
            started++;
            running++;
        }
        if (wait(NULL) > 0) {
            done++;
            running--;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.1f\n", n / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9));
    return 0;
}
