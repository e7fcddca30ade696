/* journal_steady — the master's journal alone, in the steady state of a
 * task farm, to tell what the journal costs per task with a shallow or a
 * deep queue without the noise of processes and sockets: a queue held at
 * DEPTH tasks by jobs of CHUNK function tasks (submitted and committed as
 * the master does), 16 tasks in flight, jobs taken round robin in turns of
 * 64 (the scheduler's quantum), each loop iteration recording K results,
 * committing, then ending their attempts and starting as many new ones
 * (these ride with the next commit, as in the master). After a warm-up of
 * 20,000 results it times N results: CPU time of the calling thread (the
 * master's loop thread; the checkpointer runs on its own thread) per task,
 * and the pages SQLite wrote per task. Prints one line.
 *
 *   journal_steady DB_PATH DEPTH CHUNK N [K]     e.g. journal_steady /tmp/j.db 100000 500 100000
 *
 * DB_PATH must not exist. A benchmark tool (bench/tasks_vs_dask.sh builds
 * it against build/libherd.a), not part of herd. */
#include "master/journal.h"
#include "master/journal_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 16
#define QUANTUM 64
#define WARM 20000

struct job {
    uint64_t *ids;
    uint32_t n, next;
};

struct farm {
    struct herd_journal *j;
    struct herd_job_spec spec;
    struct job *jobs;
    uint32_t njobs, cap, head, rr, turn;
    long submitted, done;
    uint64_t attempt;
    uint64_t task[SLOTS], att[SLOTS];
    int nin;
};

static double thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, const struct herd_err *e)
{
    fprintf(stderr, "journal_steady: %s: %s\n", what, e ? e->msg : "out of memory");
    exit(1);
}

static void submit(struct farm *f)
{
    struct herd_err e;
    uint64_t id;
    if (f->njobs == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 64;
        f->jobs = realloc(f->jobs, f->cap * sizeof *f->jobs);
        if (f->jobs == NULL)
            die("jobs", NULL);
    }
    struct job *jb = &f->jobs[f->njobs];
    jb->n = f->spec.ntasks;
    jb->next = 0;
    jb->ids = malloc(jb->n * sizeof *jb->ids);
    if (jb->ids == NULL)
        die("task ids", NULL);
    if (herd_journal_add_job(f->j, &f->spec, 1, &id, jb->ids, &e) != HERD_OK ||
        herd_journal_commit(f->j, &e) != HERD_OK)
        die("submit", &e);
    f->njobs++;
    f->submitted += jb->n;
}

/* The next job with tasks left after f->rr, round robin (wrapping to the
 * oldest job that still has some). */
static void next_job(struct farm *f)
{
    do {
        if (++f->rr >= f->njobs)
            f->rr = f->head;
    } while (f->jobs[f->rr].next >= f->jobs[f->rr].n);
    f->turn = 0;
}

static void dispatch(struct farm *f)
{
    struct herd_err e;
    while (f->nin < SLOTS) {
        while (f->jobs[f->head].next >= f->jobs[f->head].n)
            f->head++;
        if (f->rr < f->head || f->jobs[f->rr].next >= f->jobs[f->rr].n)
            next_job(f);
        uint64_t tid = f->jobs[f->rr].ids[f->jobs[f->rr].next++];
        if (herd_journal_attempt_add(f->j, ++f->attempt, tid, "w0", 3, &e) != HERD_OK)
            die("attempt", &e);
        f->task[f->nin] = tid;
        f->att[f->nin++] = f->attempt;
        if (++f->turn >= QUANTUM && f->submitted > f->done + f->nin)
            next_job(f);
    }
}

static void iterate(struct farm *f, int k)
{
    struct herd_err e;
    if (k > f->nin)
        k = f->nin;
    for (int i = 0; i < k; i++) {
        struct herd_journal_result r = {.task_id = f->task[i], .attempt_id = f->att[i],
                                        .recorded_ms = 1};
        if (herd_journal_result(f->j, &r, &e) != HERD_OK)
            die("result", &e);
    }
    if (herd_journal_commit(f->j, &e) != HERD_OK)
        die("commit", &e);
    for (int i = 0; i < k; i++)
        if (herd_journal_attempt_end(f->j, f->att[i], "succeeded", 0, 0, 2, &e) != HERD_OK)
            die("attempt end", &e);
    memmove(f->task, f->task + k, (size_t)(f->nin - k) * sizeof *f->task);
    memmove(f->att, f->att + k, (size_t)(f->nin - k) * sizeof *f->att);
    f->nin -= k;
    f->done += k;
}

static void make_spec(struct herd_job_spec *s, uint32_t n)
{
    static char *argv[] = {"noop"};
    static char plugin[] = "sha256:5f2b8a1c0d3e4f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c";
    memset(s, 0, sizeof *s);
    s->ntasks = n;
    s->tasks = calloc(n, sizeof *s->tasks);
    if (s->tasks == NULL)
        die("spec", NULL);
    for (uint32_t i = 0; i < n; i++)
        s->tasks[i] = (struct herd_task_spec){.kind = 1, .nargv = 1, .argv = argv, .cores = 1,
                                              .plugin = plugin};
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: journal_steady DB_PATH DEPTH CHUNK N [K]\n");
        return 2;
    }
    long depth = atol(argv[2]), n = atol(argv[4]);
    int chunk = atoi(argv[3]), k = argc > 5 ? atoi(argv[5]) : 10;
    struct farm f = {0};
    struct herd_err e;
    if (depth < 2 * SLOTS || chunk < 1 || n < 1 || k < 1 || k > SLOTS) {
        fprintf(stderr, "journal_steady: DEPTH >= %d, CHUNK, N >= 1, 1 <= K <= %d\n", 2 * SLOTS,
                SLOTS);
        return 2;
    }
    if (herd_journal_open(argv[1], &f.j, &e) != HERD_OK)
        die("open", &e);
    make_spec(&f.spec, (uint32_t)chunk);
    double t0 = 0;
    long d0 = 0;
    int cur, hi;
    while (f.done < d0 + n || t0 == 0) {
        while (f.submitted - f.done < depth)
            submit(&f);
        iterate(&f, k);
        dispatch(&f);
        if (t0 == 0 && f.done >= WARM) {
            sqlite3_db_status(f.j->db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 1);
            t0 = thread_cpu();
            d0 = f.done;
        }
    }
    double t = thread_cpu() - t0;
    sqlite3_db_status(f.j->db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 0);
    long m = f.done - d0;
    printf("depth %ld, jobs of %d, %d results per commit: %.2f us CPU per task (loop thread), "
           "%.3f pages written per task, %u jobs\n",
           depth, chunk, k, t / (double)m * 1e6, (double)cur / (double)m, f.njobs);
    herd_journal_close(f.j);
    free(f.spec.tasks);
    for (uint32_t i = 0; i < f.njobs; i++)
        free(f.jobs[i].ids);
    free(f.jobs);
    return 0;
}
