/* Checkpoints through the master (gjob_ckpt.c, gstore.c) and graph jobs in
 * the journal (gjob_journal.c), driven through the core with the recording
 * io: the test plays the workers, sends checkpoint chunks and restarts the
 * core on the same journal and data dir. */
#include "check.h"
#include "fakeio.h"

#include "herd/vertex.h"
#include "master/gjob.h"
#include "master/gstore.h"
#include "wire/gmsg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NPARTS 4

struct env {
    struct fakeio f;
    struct herd_core *c;
    char dir[64], journal[96], graph[96];
};

static void core_open(struct env *v)
{
    struct herd_core_io io = fk_io(&v->f);
    struct herd_core_config cfg = {.journal_path = v->journal, .graph_dir = v->graph,
                                   .heartbeat_ms = 1000};
    struct herd_err e;
    CHECK_EQ(herd_core_create(&cfg, &io, &v->c, &e), HERD_OK);
}

static void workers_join(struct env *v, int n, uint64_t first_conn)
{
    for (int i = 0; i < n; i++) {
        char id[8] = {'w', (char)('0' + i), 0};
        herd_core_conn_open(v->c, first_conn + (uint64_t)i);
        fk_hello(v->c, first_conn + (uint64_t)i, id, 1, NULL, 0);
    }
}

static void env_open(struct env *v)
{
    memset(v, 0, sizeof *v);
    snprintf(v->dir, sizeof v->dir, "/tmp/herd-gjck-XXXXXX");
    CHECK(mkdtemp(v->dir) != NULL);
    snprintf(v->journal, sizeof v->journal, "%s/journal.db", v->dir);
    snprintf(v->graph, sizeof v->graph, "%s/graph", v->dir);
    core_open(v);
    workers_join(v, 2, 1);
    fk_clear(&v->f);
}

static void env_close(struct env *v)
{
    herd_core_destroy(v->c);
    fk_fini(&v->f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", v->dir);
    CHECK_EQ(system(cmd), 0);
}

static uint64_t submit(struct env *v, uint32_t every)
{
    struct herd_gjob_spec s = {.algo = "sssp", .graph = "/g.e", .output_dir = "/out",
                               .checkpoint_every = every, .workers = 2,
                               .partitions = NPARTS, .barrier_timeout_ms = 500,
                               .partitioning = 2 /* hash */};
    uint64_t id;
    struct herd_err e;
    CHECK_EQ(herd_core_graph_submit(v->c, &s, &id, &e), HERD_OK);
    return id;
}

static int last_op(struct env *v, uint64_t conn, uint8_t op, struct herd_gmsg *g,
                   uint32_t *epoch)
{
    for (size_t i = v->f.nout; i-- > 0;) {
        struct herd_msg *m = &v->f.out[i].m;
        if (v->f.out[i].conn != conn || m->type != HERD_MSG_GRAPH || m->u.graph.op != op)
            continue;
        struct herd_err e;
        CHECK_EQ(herd_gmsg_decode(op, m->u.graph.body, m->u.graph.body_len, g, &e), HERD_OK);
        if (epoch)
            *epoch = m->u.graph.epoch;
        return 1;
    }
    return 0;
}

static void from_worker(struct env *v, uint64_t conn, uint64_t job, uint32_t epoch,
                        const struct herd_gmsg *g)
{
    struct herd_msg m;
    herd_gmsg_wrap(g, job, epoch, &m);
    herd_core_conn_msg(v->c, conn, &m);
    herd_msg_free(&m);
}

static void ready(struct env *v, uint64_t conn, uint64_t job, uint32_t epoch)
{
    struct herd_gmsg g = {.op = HERD_GOP_READY};
    g.u.ready = (struct herd_gready){.ok = 1, .error = "", .dp_addr = "127.0.0.1:9",
                                     .n = 60, .m = 100, .naggs = 1, .agg_op = {HERD_AGG_SUM},
                                     .agg_type = {HERD_AGG_F64}};
    from_worker(v, conn, job, epoch, &g);
}

/* Worker `me` (conn me+1) reports `step` for its partitions p % 2 == me. */
static void report(struct env *v, uint64_t job, uint32_t epoch, uint64_t step, uint32_t me)
{
    struct herd_gpart_report parts[NPARTS];
    struct herd_gmsg g = {.op = HERD_GOP_REPORT};
    struct herd_greport *r = &g.u.report;
    *r = (struct herd_greport){.step = step, .error = "", .saved = 1, .naggs = 1,
                               .parts = parts};
    for (uint32_t p = me; p < NPARTS; p += 2) {
        double x = p + step / 10.0;
        parts[r->nparts] = (struct herd_gpart_report){.part = p, .active = 1, .sent = 1};
        memcpy(&parts[r->nparts].aggs[0], &x, 8);
        r->nparts++;
    }
    from_worker(v, me + 1, job, epoch, &g);
}

static void steps(struct env *v, uint64_t job, uint32_t epoch, uint64_t from, uint64_t to)
{
    for (uint64_t s = from; s < to; s++)
        for (uint32_t w = 0; w < 2; w++)
            report(v, job, epoch, s, w);
}

/* Sends partition p's file of `step` ("<step>:<p>" repeated to `size`
 * bytes) in two chunks from its owner. */
static void put_file(struct env *v, uint64_t job, uint32_t epoch, uint64_t step, uint32_t p,
                     uint32_t owner, size_t size)
{
    uint8_t *buf = malloc(size);
    for (size_t i = 0; i < size; i++)
        buf[i] = (uint8_t)(step * 7 + p * 3 + i);
    size_t half = size / 2;
    struct herd_gmsg g = {.op = HERD_GOP_CKPT_PUT};
    g.u.ckpt = (struct herd_gckpt){.step = step, .part = p, .offset = 0, .total = size,
                                   .len = (uint32_t)half, .data = buf};
    from_worker(v, owner + 1, job, epoch, &g);
    g.u.ckpt.offset = half;
    g.u.ckpt.len = (uint32_t)(size - half);
    g.u.ckpt.data = buf + half;
    from_worker(v, owner + 1, job, epoch, &g);
    free(buf);
}

/* Lets the store's sync thread finish and the core collect its files: the
 * coordinator asks for a tick within 5 ms while files are being synced. */
static void settle(struct env *v)
{
    for (int i = 0; i < 5000; i++) {
        herd_core_tick(v->c);
        if (herd_core_next_deadline(v->c) != 5)
            return;
        usleep(1000);
    }
    CHECK(!"the checkpoint store never finished syncing");
}

static int stored(struct env *v, uint64_t job, uint64_t step, uint32_t p)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%llu/ckpt-%llu/part-%05u", v->graph,
             (unsigned long long)job, (unsigned long long)step, p);
    return stat(path, &st) == 0;
}

static uint64_t last_ckpt(struct env *v, uint64_t id)
{
    struct herd_gjob_info info;
    CHECK_EQ(herd_core_graph_info(v->c, id, &info), HERD_OK);
    return info.last_checkpoint;
}

HERD_TEST(gjob_network_checkpoint_complete_only_when_every_file_is_in)
{
    struct env v;
    env_open(&v);
    uint64_t id = submit(&v, 2);
    struct herd_gmsg g;
    CHECK(last_op(&v, 1, HERD_GOP_SETUP, &g, NULL));
    CHECK_STR(g.u.setup.ckpt_dir, ""); /* no shared path: through the master */
    herd_gmsg_free(&g);
    ready(&v, 1, id, 1);
    ready(&v, 2, id, 1);
    steps(&v, id, 1, 0, 3); /* step 2 asked for a checkpoint; its barrier passed */
    CHECK_EQ(last_ckpt(&v, id), 0);
    for (uint32_t p = 0; p < NPARTS - 1; p++)
        put_file(&v, id, 1, 2, p, p % 2, 1000 + p);
    put_file(&v, id, 1, 2, NPARTS - 1, 0, 50); /* not its owner: ignored */
    settle(&v);
    CHECK(stored(&v, id, 2, 0) && !stored(&v, id, 2, NPARTS - 1));
    CHECK_EQ(last_ckpt(&v, id), 0);
    put_file(&v, id, 1, 2, NPARTS - 1, 1, 1003);
    settle(&v);
    CHECK_EQ(last_ckpt(&v, id), 2);
    /* checkpoint 4: files first, then the barrier; then 2 is deleted */
    steps(&v, id, 1, 3, 4);
    for (uint32_t p = 0; p < NPARTS; p++)
        put_file(&v, id, 1, 4, p, p % 2, 300);
    settle(&v);
    CHECK_EQ(last_ckpt(&v, id), 2);
    steps(&v, id, 1, 4, 5);
    settle(&v);
    CHECK_EQ(last_ckpt(&v, id), 4);
    CHECK(!stored(&v, id, 2, 0) && stored(&v, id, 4, 3));
    env_close(&v);
}

HERD_TEST(gjob_network_checkpoint_is_served_back_after_a_loss)
{
    struct env v;
    env_open(&v);
    uint64_t id = submit(&v, 2);
    ready(&v, 1, id, 1);
    ready(&v, 2, id, 1);
    steps(&v, id, 1, 0, 3);
    for (uint32_t p = 0; p < NPARTS; p++)
        put_file(&v, id, 1, 2, p, p % 2, 700000 + p); /* over two CKPT_DATA chunks */
    settle(&v);
    CHECK_EQ(last_ckpt(&v, id), 2);
    fk_clear(&v.f);
    herd_core_conn_closed(v.c, 2);
    struct herd_gmsg g;
    uint32_t ep;
    CHECK(last_op(&v, 1, HERD_GOP_SETUP, &g, &ep));
    CHECK_EQ(ep, 2);
    CHECK_EQ(g.u.setup.restore, 2);
    herd_gmsg_free(&g);
    /* the survivor reads partition 3 back, in chunks, byte for byte */
    uint64_t off = 0, total = 1;
    size_t size = 700003;
    while (off < total) {
        struct herd_gmsg get = {.op = HERD_GOP_CKPT_GET};
        get.u.ckpt = (struct herd_gckpt){.step = 2, .part = 3, .offset = off};
        from_worker(&v, 1, id, 2, &get);
        CHECK(last_op(&v, 1, HERD_GOP_CKPT_DATA, &g, NULL));
        CHECK_STR(g.u.ckpt.error, "");
        CHECK_EQ(g.u.ckpt.offset, off);
        total = g.u.ckpt.total;
        CHECK_EQ(total, size);
        CHECK(g.u.ckpt.len > 0);
        for (uint32_t i = 0; i < g.u.ckpt.len; i++)
            CHECK_EQ(g.u.ckpt.data[i], (uint8_t)(2 * 7 + 3 * 3 + off + i));
        off += g.u.ckpt.len;
        herd_gmsg_free(&g);
    }
    struct herd_gmsg get = {.op = HERD_GOP_CKPT_GET};
    get.u.ckpt = (struct herd_gckpt){.step = 4, .part = 0};
    from_worker(&v, 1, id, 2, &get); /* not a complete checkpoint: refused */
    CHECK(last_op(&v, 1, HERD_GOP_CKPT_DATA, &g, NULL));
    CHECK(strstr(g.u.ckpt.error, "no stored checkpoint of step 4") != NULL);
    herd_gmsg_free(&g);
    env_close(&v);
}

HERD_TEST(gjob_restarted_master_resumes_from_the_journal)
{
    struct env v;
    env_open(&v);
    uint64_t id = submit(&v, 2);
    uint64_t other = submit(&v, 0); /* waits: both workers are busy */
    ready(&v, 1, id, 1);
    ready(&v, 2, id, 1);
    steps(&v, id, 1, 0, 3);
    for (uint32_t p = 0; p < NPARTS; p++)
        put_file(&v, id, 1, 2, p, p % 2, 100);
    settle(&v);
    CHECK_EQ(last_ckpt(&v, id), 2);
    steps(&v, id, 1, 3, 4);
    for (uint32_t p = 0; p < 2; p++) /* checkpoint 4 half-uploaded when the master dies */
        put_file(&v, id, 1, 4, p, p % 2, 100);
    herd_core_destroy(v.c);
    fk_fini(&v.f); /* core_open() starts a fresh fake io */
    core_open(&v);
    struct herd_gjob_info info;
    CHECK_EQ(herd_core_graph_info(v.c, id, &info), HERD_OK);
    CHECK_STR(info.state, "waiting");
    CHECK_EQ(info.last_checkpoint, 2);
    CHECK(!stored(&v, id, 4, 0) && stored(&v, id, 2, 0)); /* the partial one is gone */
    CHECK_EQ(herd_core_graph_info(v.c, other, &info), HERD_OK);
    CHECK_STR(info.state, "waiting");
    herd_core_conn_open(v.c, 11);
    fk_hello(v.c, 11, "w0", 1, NULL, 0);
    herd_core_tick(v.c);
    struct herd_gmsg g;
    CHECK(!last_op(&v, 11, HERD_GOP_SETUP, &g, NULL)); /* waits for both its workers */
    herd_core_conn_open(v.c, 12);
    fk_hello(v.c, 12, "w1", 1, NULL, 0);
    herd_core_tick(v.c);
    uint32_t ep;
    CHECK(last_op(&v, 11, HERD_GOP_SETUP, &g, &ep));
    CHECK_EQ(g.u.setup.restore, 2);
    CHECK_EQ(g.u.setup.nparts, NPARTS);
    CHECK_EQ(g.u.setup.partitioning, 2); /* journalled with the spec */
    CHECK_EQ(ep, 2); /* newer than any epoch the workers saw */
    herd_gmsg_free(&g);
    CHECK_INT(submit(&v, 0), >, other); /* ids go on after the journal's */
    env_close(&v);
}

HERD_TEST(gjob_finished_summary_survives_a_restart)
{
    struct env v;
    env_open(&v);
    uint64_t id = submit(&v, 0);
    ready(&v, 1, id, 1);
    ready(&v, 2, id, 1);
    steps(&v, id, 1, 0, 3);
    for (uint32_t w = 0; w < 2; w++) { /* everyone halts */
        struct herd_gpart_report parts[NPARTS];
        struct herd_gmsg g = {.op = HERD_GOP_REPORT};
        g.u.report = (struct herd_greport){.step = 3, .error = "", .naggs = 1, .parts = parts};
        for (uint32_t p = w; p < NPARTS; p += 2)
            parts[g.u.report.nparts++] = (struct herd_gpart_report){.part = p};
        from_worker(&v, w + 1, id, 1, &g);
    }
    struct herd_gmsg done = {.op = HERD_GOP_DONE};
    done.u.done = (struct herd_gdone){.ok = 1, .error = ""};
    from_worker(&v, 1, id, 1, &done);
    from_worker(&v, 2, id, 1, &done);
    herd_core_destroy(v.c);
    fk_fini(&v.f);
    core_open(&v);
    struct herd_gjob_info info;
    CHECK_EQ(herd_core_graph_info(v.c, id, &info), HERD_OK);
    CHECK_STR(info.state, "done");
    CHECK_EQ(info.step, 3);
    CHECK_EQ(info.nsteps, 4);
    CHECK_EQ(info.steps[2].active, NPARTS);
    CHECK_EQ(info.vertices, 60);
    CHECK_EQ(info.workers, 2);
    env_close(&v);
}

static void on_synced(void *arg, uint64_t job, uint32_t tag, uint64_t step, uint32_t part, int ok)
{
    CHECK_EQ(job, 7);
    *(uint64_t *)arg += tag * 1000 + step * 10 + part + (uint64_t)ok;
}

HERD_TEST(gstore_refuses_out_of_order_chunks_and_drops_partials)
{
    struct env v;
    env_open(&v);
    char root[128];
    snprintf(root, sizeof root, "%s/store", v.dir);
    struct herd_gstore *gs;
    struct herd_err e;
    uint64_t synced = 0;
    CHECK_EQ(herd_gstore_open(root, &gs, &e), HERD_OK);
    uint8_t d[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    CHECK_EQ(herd_gstore_put(gs, 7, 1, 5, 0, 0, 10, d, 4, &e), HERD_OK);
    CHECK_EQ(herd_gstore_put(gs, 7, 1, 5, 0, 5, 10, d, 5, &e), HERD_EINVAL);
    CHECK_EQ(herd_gstore_put(gs, 7, 1, 5, 0, 4, 10, d, 6, &e), HERD_EINVAL); /* dropped */
    CHECK_EQ(herd_gstore_put(gs, 7, 1, 5, 0, 0, 10, d, 10, &e), HERD_OK);
    CHECK_EQ(herd_gstore_put(gs, 7, 1, 5, 1, 0, 4, d, 5, &e), HERD_EINVAL); /* over total */
    herd_gstore_wait(gs);
    CHECK_EQ(herd_gstore_poll(gs, on_synced, &synced), 1);
    CHECK_EQ(synced, 1 * 1000 + 5 * 10 + 0 + 1);
    uint8_t *out;
    uint32_t len;
    uint64_t total;
    CHECK_EQ(herd_gstore_read(gs, 7, 5, 0, 3, 4, &out, &len, &total, &e), HERD_OK);
    CHECK_EQ(len, 4);
    CHECK_EQ(total, 10);
    CHECK_EQ(out[0], 4);
    free(out);
    CHECK_EQ(herd_gstore_read(gs, 7, 5, 0, 11, 4, &out, &len, &total, &e), HERD_EINVAL);
    CHECK_EQ(herd_gstore_read(gs, 7, 6, 0, 0, 4, &out, &len, &total, &e), HERD_ENOTFOUND);
    CHECK_EQ(herd_gstore_put(gs, 7, 1, 9, 0, 0, 10, d, 3, &e), HERD_OK); /* partial */
    herd_gstore_drop_except(gs, 7, 5);
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/7/ckpt-9", root);
    CHECK(stat(path, &st) != 0);
    herd_gstore_seal(gs, 7, 2, 5);
    herd_gstore_wait(gs);
    synced = 0;
    CHECK_EQ(herd_gstore_poll(gs, on_synced, &synced), 1);
    CHECK_EQ(synced, 2 * 1000 + 5 * 10 + (uint64_t)HERD_GSTORE_SEALED + 1);
    herd_gstore_drop_except(gs, 7, 0);
    snprintf(path, sizeof path, "%s/7", root);
    CHECK(stat(path, &st) != 0);
    herd_gstore_close(gs); /* abandons the trash ... */
    CHECK_EQ(herd_gstore_open(root, &gs, &e), HERD_OK); /* ... which the next open sweeps */
    herd_gstore_wait(gs);
    herd_gstore_close(gs);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls %s)\"", root);
    CHECK_EQ(system(cmd), 0);
    env_close(&v);
}

/* A superseded checkpoint becomes the job's spare set; the next upload of a
 * partition overwrites its file (same inode) and is cut to its own size;
 * a spare is never read as a checkpoint. */
HERD_TEST(gstore_recycles_a_superseded_checkpoint)
{
    struct env v;
    env_open(&v);
    char root[128], path[256];
    snprintf(root, sizeof root, "%s/store", v.dir);
    struct herd_gstore *gs;
    struct herd_err e;
    uint64_t synced = 0;
    struct stat st;
    CHECK_EQ(herd_gstore_open(root, &gs, &e), HERD_OK);
    uint8_t a[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, b[6] = {60, 61, 62, 63, 64, 65};
    CHECK_EQ(herd_gstore_put(gs, 7, 1, 5, 0, 0, 10, a, 10, &e), HERD_OK);
    CHECK_EQ(herd_gstore_put(gs, 7, 1, 10, 0, 0, 10, a, 10, &e), HERD_OK);
    herd_gstore_wait(gs);
    CHECK_EQ(herd_gstore_poll(gs, on_synced, &synced), 2);
    snprintf(path, sizeof path, "%s/7/ckpt-5/part-00000", root);
    CHECK_EQ(stat(path, &st), 0);
    ino_t old = st.st_ino;
    herd_gstore_drop_below(gs, 7, 10); /* checkpoint 10 is complete */
    CHECK(stat(path, &st) != 0);
    snprintf(path, sizeof path, "%s/7/spare/part-00000", root);
    CHECK_EQ(stat(path, &st), 0);
    uint8_t *out;
    uint32_t len;
    uint64_t total;
    CHECK_EQ(herd_gstore_read(gs, 7, 5, 0, 0, 10, &out, &len, &total, &e), HERD_ENOTFOUND);
    /* checkpoint 15, smaller, in two chunks into the recycled file */
    CHECK_EQ(herd_gstore_put(gs, 7, 1, 15, 0, 0, 6, b, 4, &e), HERD_OK);
    CHECK(stat(path, &st) != 0); /* taken from the spare set */
    CHECK_EQ(herd_gstore_put(gs, 7, 1, 15, 0, 4, 6, b + 4, 2, &e), HERD_OK);
    herd_gstore_wait(gs);
    synced = 0;
    CHECK_EQ(herd_gstore_poll(gs, on_synced, &synced), 1);
    CHECK_EQ(synced, 1 * 1000 + 15 * 10 + 0 + 1); /* durable */
    snprintf(path, sizeof path, "%s/7/ckpt-15/part-00000", root);
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_ino, old);
    CHECK_EQ(st.st_size, 6);
    CHECK_EQ(herd_gstore_read(gs, 7, 15, 0, 0, 10, &out, &len, &total, &e), HERD_OK);
    CHECK_EQ(len, 6);
    CHECK_EQ(total, 6);
    CHECK(memcmp(out, b, 6) == 0);
    free(out);
    /* a partition the spare set lacks gets a new file */
    CHECK_EQ(herd_gstore_put(gs, 7, 1, 15, 3, 0, 10, a, 10, &e), HERD_OK);
    herd_gstore_wait(gs);
    CHECK_EQ(herd_gstore_poll(gs, NULL, NULL), 1);
    CHECK_EQ(herd_gstore_read(gs, 7, 15, 3, 0, 10, &out, &len, &total, &e), HERD_OK);
    CHECK(len == 10 && memcmp(out, a, 10) == 0);
    free(out);
    /* the next supersession replaces the (used-up) spare set */
    herd_gstore_drop_below(gs, 7, 15);
    snprintf(path, sizeof path, "%s/7/spare/part-00000", root);
    CHECK_EQ(stat(path, &st), 0);
    snprintf(path, sizeof path, "%s/7/ckpt-10", root);
    CHECK(stat(path, &st) != 0);
    herd_gstore_drop_except(gs, 7, 0); /* the job ends: spares go too */
    herd_gstore_wait(gs);
    snprintf(path, sizeof path, "%s/7", root);
    CHECK(stat(path, &st) != 0);
    herd_gstore_close(gs);
    env_close(&v);
}
