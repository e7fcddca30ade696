/* The graph-job coordinator (master/gjob.h) driven through the master core
 * with a recording io and a manual clock: no sockets, no workers — the test
 * plays the workers' side of the graph conversation. */
#include "check.h"
#include "fakeio.h"

#include "herd/vertex.h"
#include "master/gjob.h"
#include "wire/gmsg.h"

#include <string.h>

struct env {
    struct fakeio f;
    struct herd_core *c;
};

static void env_open(struct env *v, int nworkers)
{
    struct herd_core_io io = fk_io(&v->f);
    struct herd_core_config cfg = {.journal_path = ":memory:", .heartbeat_ms = 1000};
    struct herd_err e;
    CHECK_EQ(herd_core_create(&cfg, &io, &v->c, &e), HERD_OK);
    for (int i = 0; i < nworkers; i++) {
        char id[8] = {'w', (char)('0' + i), 0};
        herd_core_conn_open(v->c, (uint64_t)i + 1);
        fk_hello(v->c, (uint64_t)i + 1, id, 1, NULL, 0);
    }
    fk_clear(&v->f);
}

static void env_close(struct env *v)
{
    herd_core_destroy(v->c);
    fk_fini(&v->f);
}

static uint64_t submit(struct env *v, uint32_t workers, uint32_t every)
{
    struct herd_gjob_spec s = {.algo = "sssp", .graph = "/g.e", .output_dir = "/out",
                               .ckpt_dir = "/ck", .checkpoint_every = every,
                               .workers = workers, .partitions = 6, .barrier_timeout_ms = 500};
    uint64_t id;
    struct herd_err e;
    CHECK_EQ(herd_core_graph_submit(v->c, &s, &id, &e), HERD_OK);
    return id;
}

/* The last graph message of `op` sent on conn, decoded into *g (0 = none). */
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

/* Reports superstep `step` for the partitions conn owns (per `owner`),
 * partition p contributing p + step / 10.0 to the aggregator. */
static void report(struct env *v, uint64_t conn, uint64_t job, uint32_t epoch, uint64_t step,
                   const uint32_t *owner, uint32_t me, uint64_t active)
{
    struct herd_gpart_report parts[6];
    struct herd_gmsg g = {.op = HERD_GOP_REPORT};
    struct herd_greport *r = &g.u.report;
    *r = (struct herd_greport){.step = step, .error = "", .saved = 1, .naggs = 1,
                               .parts = parts};
    for (uint32_t p = 0; p < 6; p++) {
        if (owner[p] != me)
            continue;
        double x = p + step / 10.0;
        parts[r->nparts] = (struct herd_gpart_report){.part = p, .active = active,
                                                      .sent = active};
        memcpy(&parts[r->nparts].aggs[0], &x, 8);
        r->nparts++;
    }
    from_worker(v, conn, job, epoch, &g);
}

static double agg0(const struct herd_gstep *s)
{
    double d;
    memcpy(&d, &s->aggs[0], 8);
    return d;
}

HERD_TEST(gjob_setup_steps_and_merged_aggregates)
{
    struct env v;
    env_open(&v, 3);
    uint64_t id = submit(&v, 3, 0);
    struct herd_gmsg g;
    uint32_t owner[6], ep;
    for (uint64_t w = 1; w <= 3; w++) {
        CHECK(last_op(&v, w, HERD_GOP_SETUP, &g, &ep));
        CHECK_EQ(ep, 1);
        CHECK_EQ(g.u.setup.nparts, 6);
        CHECK_EQ(g.u.setup.me, w - 1);
        memcpy(owner, g.u.setup.owner, sizeof owner);
        herd_gmsg_free(&g);
    }
    for (uint32_t p = 0; p < 6; p++)
        CHECK_EQ(owner[p], p % 3); /* more partitions than workers, dealt round-robin */
    for (uint64_t w = 1; w <= 3; w++)
        ready(&v, w, id, 1);
    CHECK(last_op(&v, 2, HERD_GOP_STEP, &g, NULL));
    CHECK_EQ(g.u.step.step, 0);
    CHECK_EQ(g.u.step.npeers, 3); /* the first step of an epoch carries the peers */
    herd_gmsg_free(&g);
    for (uint64_t s = 0; s < 3; s++)
        for (uint32_t w = 0; w < 3; w++)
            report(&v, w + 1, id, 1, s, owner, w, 5);
    CHECK(last_op(&v, 1, HERD_GOP_STEP, &g, NULL));
    CHECK_EQ(g.u.step.step, 3);
    CHECK_EQ(g.u.step.npeers, 0);
    CHECK(agg0(&g.u.step) == 0 + 0.2 + 1 + 0.2 + 2 + 0.2 + 3 + 0.2 + 4 + 0.2 + 5 + 0.2);
    herd_gmsg_free(&g);
    struct herd_gjob_info info;
    CHECK_EQ(herd_core_graph_info(v.c, id, &info), HERD_OK);
    CHECK_STR(info.state, "running");
    CHECK_EQ(info.step, 3);
    CHECK_EQ(info.nsteps, 3);
    CHECK_EQ(info.steps[1].active, 30);
    /* everyone halts: the master orders the output, then the job is done */
    for (uint32_t w = 0; w < 3; w++)
        report(&v, w + 1, id, 1, 3, owner, w, 0);
    CHECK(last_op(&v, 3, HERD_GOP_WRITE, &g, NULL));
    CHECK_STR(g.u.write.dir, "/out");
    herd_gmsg_free(&g);
    struct herd_gmsg done = {.op = HERD_GOP_DONE};
    done.u.done = (struct herd_gdone){.ok = 1, .error = ""};
    for (uint64_t w = 1; w <= 3; w++)
        from_worker(&v, w, id, 1, &done);
    CHECK_EQ(herd_core_graph_info(v.c, id, &info), HERD_OK);
    CHECK_STR(info.state, "done");
    env_close(&v);
}

static void run_to(struct env *v, uint64_t id, uint32_t epoch, const uint32_t *owner,
                   const uint64_t *conns, uint32_t n, uint64_t from, uint64_t to)
{
    for (uint64_t s = from; s < to; s++)
        for (uint32_t w = 0; w < n; w++)
            report(v, conns[w], id, epoch, s, owner, w, 5);
}

HERD_TEST(gjob_lost_worker_rolls_back_to_the_checkpoint_and_reassigns)
{
    struct env v;
    env_open(&v, 3);
    uint64_t id = submit(&v, 3, 2);
    uint32_t owner[6] = {0, 1, 2, 0, 1, 2};
    uint64_t conns[3] = {1, 2, 3};
    struct herd_gmsg g;
    for (uint64_t w = 1; w <= 3; w++)
        ready(&v, w, id, 1);
    run_to(&v, id, 1, owner, conns, 3, 0, 2);
    CHECK(last_op(&v, 1, HERD_GOP_STEP, &g, NULL));
    CHECK_EQ(g.u.step.checkpoint, 1); /* every 2 supersteps */
    double at2 = agg0(&g.u.step);
    herd_gmsg_free(&g);
    run_to(&v, id, 1, owner, conns, 3, 2, 4); /* checkpoint 2 complete; step 4 running */
    fk_clear(&v.f);
    herd_core_conn_closed(v.c, 2); /* worker w1 dies */
    uint32_t ep;
    CHECK(last_op(&v, 1, HERD_GOP_ABORT, &g, &ep));
    CHECK_EQ(ep, 1);
    herd_gmsg_free(&g);
    CHECK(last_op(&v, 3, HERD_GOP_SETUP, &g, &ep));
    CHECK_EQ(ep, 2);
    CHECK_EQ(g.u.setup.restore, 2);
    CHECK_EQ(g.u.setup.nworkers, 2);
    CHECK_EQ(g.u.setup.owner[0], 0); /* survivors keep their partitions */
    CHECK_EQ(g.u.setup.owner[2], 1);
    CHECK(g.u.setup.owner[1] < 2 && g.u.setup.owner[4] < 2);
    memcpy(owner, g.u.setup.owner, sizeof owner);
    herd_gmsg_free(&g);
    report(&v, 1, id, 1, 4, owner, 0, 5); /* stale epoch: ignored */
    ready(&v, 1, id, 2);
    ready(&v, 3, id, 2);
    CHECK(last_op(&v, 3, HERD_GOP_STEP, &g, NULL));
    CHECK_EQ(g.u.step.step, 2); /* resumes at the checkpoint ... */
    CHECK(agg0(&g.u.step) == at2); /* ... with the aggregates it had then */
    CHECK_EQ(g.u.step.npeers, 2);
    herd_gmsg_free(&g);
    struct herd_gjob_info info;
    CHECK_EQ(herd_core_graph_info(v.c, id, &info), HERD_OK);
    CHECK_EQ(info.recoveries, 1);
    CHECK_EQ(info.nsteps, 2); /* statistics after the checkpoint are dropped */
    env_close(&v);
}

HERD_TEST(gjob_barrier_timeout_excludes_the_silent_worker_and_restarts)
{
    struct env v;
    env_open(&v, 3);
    uint64_t id = submit(&v, 3, 0);
    uint32_t owner[6] = {0, 1, 2, 0, 1, 2};
    for (uint64_t w = 1; w <= 3; w++)
        ready(&v, w, id, 1);
    report(&v, 1, id, 1, 0, owner, 0, 5);
    report(&v, 3, id, 1, 0, owner, 2, 5); /* w1 (conn 2) hangs */
    fk_clear(&v.f);
    v.f.now += 400;
    herd_core_tick(v.c);
    struct herd_gmsg g;
    CHECK(!last_op(&v, 1, HERD_GOP_SETUP, &g, NULL));
    v.f.now += 200;
    herd_core_tick(v.c);
    CHECK(last_op(&v, 1, HERD_GOP_SETUP, &g, NULL));
    CHECK_EQ(g.u.setup.restore, 0); /* no checkpoint: the job restarts */
    CHECK_EQ(g.u.setup.nworkers, 2);
    herd_gmsg_free(&g);
    CHECK(!last_op(&v, 2, HERD_GOP_SETUP, &g, NULL));
    env_close(&v);
}

HERD_TEST(gjob_second_job_waits_for_free_workers)
{
    struct env v;
    env_open(&v, 2);
    uint64_t a = submit(&v, 2, 0);
    uint64_t b = submit(&v, 1, 0); /* both workers are busy with job a */
    struct herd_gjob_info info;
    CHECK_EQ(herd_core_graph_info(v.c, b, &info), HERD_OK);
    CHECK_STR(info.state, "waiting");
    uint32_t owner[6] = {0, 1, 0, 1, 0, 1};
    for (uint64_t w = 1; w <= 2; w++)
        ready(&v, w, a, 1);
    for (uint32_t w = 0; w < 2; w++)
        report(&v, w + 1, a, 1, 0, owner, w, 0);
    struct herd_gmsg done = {.op = HERD_GOP_DONE};
    done.u.done = (struct herd_gdone){.ok = 1, .error = ""};
    for (uint64_t w = 1; w <= 2; w++)
        from_worker(&v, w, a, 1, &done);
    herd_core_tick(v.c);
    CHECK_EQ(herd_core_graph_info(v.c, b, &info), HERD_OK);
    CHECK_STR(info.state, "loading");
    CHECK_EQ(info.workers, 1);
    env_close(&v);
}

HERD_TEST(gjob_refuses_bad_specs_and_illegal_transitions)
{
    struct env v;
    env_open(&v, 1);
    struct herd_gjob_spec s = {.algo = "bfs", .graph = "relative.e", .output_dir = "/o"};
    uint64_t id;
    struct herd_err e;
    CHECK_EQ(herd_core_graph_submit(v.c, &s, &id, &e), HERD_EINVAL);
    s.graph = "/g";
    s.checkpoint_every = 3;
    CHECK_EQ(herd_core_graph_submit(v.c, &s, &id, &e), HERD_EINVAL);
    CHECK(!herd_gjob_legal(HERD_GJ_DONE, HERD_GJ_RUNNING));
    CHECK(!herd_gjob_legal(HERD_GJ_WAITING, HERD_GJ_WRITING));
    CHECK(herd_gjob_legal(HERD_GJ_RUNNING, HERD_GJ_RECOVERING));
    CHECK(herd_gjob_legal(HERD_GJ_RECOVERING, HERD_GJ_LOADING));
    env_close(&v);
}

/* Workers whose HELLO names their data plane (host and port) get the peer
 * list already in SETUP, indexed like the job's workers. */
HERD_TEST(gjob_setup_carries_peers_from_hello)
{
    struct env v;
    struct herd_core_io io = fk_io(&v.f);
    struct herd_core_config cfg = {.journal_path = ":memory:", .heartbeat_ms = 1000};
    struct herd_err e;
    CHECK_EQ(herd_core_create(&cfg, &io, &v.c, &e), HERD_OK);
    for (int i = 0; i < 2; i++) {
        char id[8] = {'w', (char)('0' + i), 0}, host[16] = {'1', '0', '.', '0', '.', '0', '.',
                                                            (char)('1' + i), 0};
        struct herd_msg m = {.type = HERD_MSG_HELLO};
        m.u.hello.proto = HERD_PROTO_VERSION;
        m.u.hello.worker_id = id;
        m.u.hello.host = (char *)"h";
        m.u.hello.cores = 1;
        m.u.hello.data_port = (uint16_t)(7000 + i);
        m.u.hello.data_host = host;
        herd_core_conn_open(v.c, (uint64_t)i + 1);
        herd_core_conn_msg(v.c, (uint64_t)i + 1, &m);
    }
    fk_clear(&v.f);
    submit(&v, 2, 0);
    struct herd_gmsg g;
    for (uint64_t w = 1; w <= 2; w++) {
        CHECK(last_op(&v, w, HERD_GOP_SETUP, &g, NULL));
        CHECK_EQ(g.u.setup.npeers, 2);
        uint32_t me = g.u.setup.me;
        char want[32];
        snprintf(want, sizeof want, "10.0.0.%c:%u", (char)('1' + (w - 1)), 7000 + (unsigned)(w - 1));
        CHECK_STR(g.u.setup.peers[me], want);
        herd_gmsg_free(&g);
    }
    env_close(&v);
}

/* Without a data host in HELLO (an older worker) SETUP has no peers: they
 * come with the first STEP, as before. */
HERD_TEST(gjob_setup_without_data_hosts_has_no_peers)
{
    struct env v;
    env_open(&v, 2);
    submit(&v, 2, 0);
    struct herd_gmsg g;
    CHECK(last_op(&v, 1, HERD_GOP_SETUP, &g, NULL));
    CHECK_EQ(g.u.setup.npeers, 0);
    herd_gmsg_free(&g);
    env_close(&v);
}
