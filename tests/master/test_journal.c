/* The journal: durable submit, reopen resumes unfinished jobs (and their
 * running attempts as orphans), a result is recorded once, epochs grow. */
#include "check.h"
#include "fakeio.h"

#include "master/journal.h"

#include <unistd.h>

static void tmp_path(char *p, size_t n)
{
    const char *dir = getenv("TMPDIR");
    snprintf(p, n, "%s/herd-journal-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(p);
    CHECK(fd >= 0);
    close(fd);
}

static void rm_db(const char *p)
{
    char q[300];
    unlink(p);
    snprintf(q, sizeof q, "%s-wal", p);
    unlink(q);
    snprintf(q, sizeof q, "%s-shm", p);
    unlink(q);
}

HERD_TEST(journal_epochs_and_result_once)
{
    char path[256];
    tmp_path(path, sizeof path);
    struct herd_journal *j;
    struct herd_err e;
    CHECK_EQ(herd_journal_open(path, &j, &e), HERD_OK);
    CHECK_EQ(herd_journal_epoch(j), 1);
    struct herd_job_spec s;
    fk_spec(&s, 2, 1, 0);
    uint64_t id, tids[2];
    CHECK_EQ(herd_journal_add_job(j, &s, 1, &id, tids, &e), HERD_OK);
    herd_job_spec_free(&s);
    struct herd_journal_result r = {.task_id = tids[0], .attempt_id = 77, .out = (const uint8_t *)"ab", .out_len = 2};
    CHECK_EQ(herd_journal_result(j, &r, &e), HERD_OK);
    r.attempt_id = 78;
    CHECK_EQ(herd_journal_result(j, &r, &e), HERD_EEXISTS);
    CHECK_EQ(herd_journal_commit(j, &e), HERD_OK);
    uint64_t att = 0;
    CHECK_EQ(herd_journal_result_attempt(j, tids[0], &att, &e), HERD_OK);
    CHECK_EQ(att, 77);
    CHECK_EQ(herd_journal_result_attempt(j, tids[1], &att, &e), HERD_ENOTFOUND);
    herd_journal_close(j);
    CHECK_EQ(herd_journal_open(path, &j, &e), HERD_OK);
    CHECK_EQ(herd_journal_epoch(j), 2);
    uint8_t *out;
    size_t len;
    CHECK_EQ(herd_journal_output(j, id, 0, 0, &out, &len, &e), HERD_OK);
    CHECK(len == 2 && memcmp(out, "ab", 2) == 0);
    free(out);
    herd_journal_close(j);
    rm_db(path);
}

HERD_TEST(journal_reopen_resumes_unfinished_job)
{
    char path[256];
    tmp_path(path, sizeof path);
    struct fakeio f;
    struct herd_core_io io = fk_io(&f);
    struct herd_core_config cfg = {.journal_path = path};
    struct herd_core *c;
    struct herd_err e;
    CHECK_EQ(herd_core_create(&cfg, &io, &c, &e), HERD_OK);
    herd_core_conn_open(c, 1);
    fk_hello(c, 1, "w1", 1, NULL, 0);
    struct herd_job_spec s;
    fk_spec(&s, 3, 1, 0);
    fk_dep(&s, 2, 0);
    uint64_t id;
    CHECK_EQ(herd_core_submit(c, &s, &id, &e), HERD_OK);
    herd_job_spec_free(&s);
    struct herd_msg a0 = {0};
    herd_msg_copy(&a0, fk_last(&f, 1, HERD_MSG_ASSIGN)); /* t0 */
    fk_result(c, 1, &a0.u.assign, HERD_RESULT_OK, "zero");
    struct herd_msg a1 = {0};
    herd_msg_copy(&a1, fk_last(&f, 1, HERD_MSG_ASSIGN)); /* t1, running at the "crash" */
    CHECK(a1.u.assign.attempt_id >> 32 == 1);
    herd_core_destroy(c);
    fk_clear(&f);
    /* a new master: epoch 2, job resumed; t1's attempt is an orphan the
     * worker adopts; t2 (dep t0 done) gets a new attempt of epoch 2 */
    CHECK_EQ(herd_core_create(&cfg, &io, &c, &e), HERD_OK);
    struct herd_job_info ji;
    CHECK_EQ(herd_core_job_info(c, id, &ji), HERD_OK);
    CHECK_STR(ji.state, "running");
    CHECK_EQ(ji.succeeded, 1);
    CHECK_EQ(ji.running, 1);
    herd_core_conn_open(c, 5);
    uint64_t run[1] = {a1.u.assign.attempt_id};
    fk_hello(c, 5, "w1", 2, run, 1);
    CHECK_EQ(fk_count(&f, 5, HERD_MSG_KILL), 0);
    struct herd_msg *a2 = fk_last(&f, 5, HERD_MSG_ASSIGN);
    CHECK(a2 != NULL);
    CHECK(a2->u.assign.attempt_id >> 32 == 2);
    fk_result(c, 5, &a1.u.assign, HERD_RESULT_OK, "one");
    fk_result(c, 5, &a2->u.assign, HERD_RESULT_OK, "two");
    CHECK_EQ(herd_core_job_info(c, id, &ji), HERD_OK);
    CHECK_STR(ji.state, "succeeded");
    /* the first result is still t0's, recorded once */
    uint8_t *out;
    size_t len;
    CHECK_EQ(herd_core_task_output(c, id, 0, 0, &out, &len), HERD_OK);
    CHECK(len == 4 && memcmp(out, "zero", 4) == 0);
    free(out);
    herd_core_destroy(c);
    herd_msg_free(&a0);
    herd_msg_free(&a1);
    fk_fini(&f);
    rm_db(path);
}

HERD_TEST(journal_orphan_fails_after_grace)
{
    char path[256];
    tmp_path(path, sizeof path);
    struct fakeio f;
    struct herd_core_io io = fk_io(&f);
    struct herd_core_config cfg = {.journal_path = path};
    struct herd_core *c;
    struct herd_err e;
    CHECK_EQ(herd_core_create(&cfg, &io, &c, &e), HERD_OK);
    herd_core_conn_open(c, 1);
    fk_hello(c, 1, "w1", 1, NULL, 0);
    struct herd_job_spec s;
    fk_spec(&s, 1, 1, 0);
    uint64_t id;
    CHECK_EQ(herd_core_submit(c, &s, &id, &e), HERD_OK);
    herd_job_spec_free(&s);
    herd_core_destroy(c);
    fk_clear(&f);
    CHECK_EQ(herd_core_create(&cfg, &io, &c, &e), HERD_OK);
    herd_core_conn_open(c, 2);
    fk_hello(c, 2, "w2", 1, NULL, 0);
    CHECK_EQ(fk_count(&f, 2, HERD_MSG_ASSIGN), 0); /* waits for w1 */
    f.now += 3000 + 10;
    fk_heartbeat(c, 2, NULL, 0);
    herd_core_tick(c);
    f.now += 1000;
    herd_core_tick(c);
    CHECK_EQ(fk_count(&f, 2, HERD_MSG_ASSIGN), 1);
    herd_core_destroy(c);
    fk_fini(&f);
    rm_db(path);
}
