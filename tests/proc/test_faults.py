"""Faults not covered elsewhere, against real processes: a hung master
(SIGSTOP/SIGCONT) and a full disk under the master's journal. Each one ends
with the cluster serving again and no result lost or recorded twice."""
import errno
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from cluster import Cluster, poll


def sh(script):
    return {"argv": ["/bin/sh", "-c", script]}


def journal_results(c):
    db = sqlite3.connect(c.path("data", "journal.db"))
    try:
        return db.execute("SELECT task_id, stdout FROM results").fetchall()
    finally:
        db.close()


@pytest.fixture
def cluster():
    c = Cluster()
    yield c
    c.close()


def test_hung_master_resumes_and_every_result_is_recorded_once(cluster):
    cluster.start_master()
    for w in ["a", "b"]:
        cluster.start_worker(w, cores=2)
    poll(lambda: len(cluster.ready_workers()) == 2, 10, what="workers ready")
    n = 16
    jid = cluster.submit({"tasks": [sh(f"sleep 0.3; echo t{i}") for i in range(n)]})
    poll(lambda: cluster.job(jid)["succeeded"] >= 2, 20, what="some tasks done")
    cluster.master.signal(signal.SIGSTOP)
    stopped = time.monotonic()
    # Workers notice the silent master (3 x 1 s) and start reconnecting.
    poll(lambda: all("silent" in w.text() for w in cluster.workers.values()), 8,
         what="workers to notice the hung master")
    poll(lambda: time.monotonic() - stopped >= 5, 6, what="5 s of hang")
    cluster.master.signal(signal.SIGCONT)
    job = cluster.wait_job(jid, 60)
    assert job["state"] == "succeeded" and job["succeeded"] == n
    rows = journal_results(cluster)
    assert len(rows) == n and len({r[0] for r in rows}) == n
    assert sorted(bytes(r[1]).decode().strip() for r in rows) == sorted(f"t{i}" for i in range(n))
    poll(lambda: len(cluster.ready_workers()) == 2, 15, what="both workers back")


def _mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                       capture_output=True, text=True)
    return r.returncode == 0, r.stderr.strip()


def _fill(path):
    """Writes a filler file until the file system is full."""
    f = os.path.join(path, "filler")
    with open(f, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as e:
            assert e.errno == errno.ENOSPC
    return f


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_full_disk_refuses_submissions_cleanly_and_recovers(cluster):
    data = cluster.path("data")
    ok, why = _mount_tmpfs(data, "8m")
    if not ok:
        pytest.skip(f"cannot mount a tmpfs: {why}")
    try:
        cluster.start_master()
        cluster.start_worker("w")
        poll(lambda: cluster.ready_workers() == ["w"], 10, what="worker ready")
        jid = cluster.submit({"tasks": [sh("echo before")]})
        assert cluster.wait_job(jid, 20)["state"] == "succeeded"
        filler = _fill(data)
        big = {"tasks": [sh("echo " + "x" * 2000) for _ in range(500)]}
        code, body = cluster.http("POST", "/v1/jobs", big)
        assert code in (500, 503), (code, body)
        assert "error" in body
        assert cluster.master.alive()
        code, body = cluster.http("GET", "/v1/jobs")
        assert code == 200 and len(body["jobs"]) == 1, "a refused job must not appear"
        os.unlink(filler)
        jid = cluster.submit({"tasks": [sh("echo after")]})
        assert cluster.wait_job(jid, 20)["state"] == "succeeded"
        outs = sorted(bytes(r[1]).decode().strip() for r in journal_results(cluster))
        assert outs == ["after", "before"]
    finally:
        cluster.close()
        subprocess.run(["umount", "-l", data], capture_output=True)
