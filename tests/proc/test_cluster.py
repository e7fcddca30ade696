"""Cluster-core acceptance tests with real processes on loopback."""
import json
import os
import signal
import socket
import sqlite3
import struct
import time

import pytest

from cluster import Cluster, poll


@pytest.fixture
def cluster():
    c = Cluster()
    yield c
    c.close()


def sh(script, **kw):
    t = {"argv": ["/bin/sh", "-c", script]}
    t.update(kw)
    return t


def running_task_worker(c, jid):
    def find():
        for t in c.tasks(jid):
            if t["state"] == "running" and t.get("worker"):
                return t["worker"]
        return None
    return poll(find, 10, what="a running task")


def test_three_workers_register_within_one_second(cluster):
    cluster.start_master()
    t0 = time.monotonic()
    for i in range(3):
        cluster.start_worker(f"w{i}")
    poll(lambda: len(cluster.ready_workers()) == 3, 1.0, what="3 workers ready")
    info = cluster.workers_info()
    assert sorted(info) == ["w0", "w1", "w2"]
    assert all(w["cores"] == 1 for w in info.values())
    assert time.monotonic() - t0 < 5  # sanity: the poll above already bounded it


def test_sigkill_worker_running_task_is_lost_and_task_completes_elsewhere(cluster):
    cluster.start_master()
    for i in range(3):
        cluster.start_worker(f"w{i}")
    poll(lambda: len(cluster.ready_workers()) == 3, 5, what="3 workers ready")
    jid = cluster.submit({"tasks": [sh("sleep 1.5; echo finished")]})
    victim = running_task_worker(cluster, jid)
    killed_at = time.monotonic()
    cluster.workers[victim].signal(signal.SIGKILL)
    poll(lambda: cluster.workers_info()[victim]["state"] == "lost", 3.5,
         what=f"worker {victim} marked lost")
    assert time.monotonic() - killed_at <= 3.5
    job = cluster.wait_job(jid, 30)
    assert job["state"] == "succeeded"
    (task,) = cluster.tasks(jid)
    assert task["worker"] != victim
    assert task["attempts"] >= 2
    code, out = cluster.http("GET", f"/v1/jobs/{jid}/tasks/0/stdout")
    assert code == 200


def test_sigstop_worker_is_lost_rejoins_and_its_late_result_is_refused(cluster):
    cluster.start_master()
    cluster.start_worker("a")
    cluster.start_worker("b")
    poll(lambda: len(cluster.ready_workers()) == 2, 5, what="2 workers ready")
    marker = cluster.path("started")
    jid = cluster.submit({"tasks": [sh(f"touch {marker}; sleep 2; echo from-$HERD_ATTEMPT")]})
    victim = running_task_worker(cluster, jid)
    poll(lambda: os.path.exists(marker), 10, what="the task to start on the worker")
    cluster.workers[victim].signal(signal.SIGSTOP)
    stopped = time.monotonic()
    poll(lambda: cluster.workers_info()[victim]["state"] == "lost", 4.0, what="stopped worker lost")
    poll(lambda: time.monotonic() - stopped >= 5, 6, what="5 s of SIGSTOP")
    cluster.workers[victim].signal(signal.SIGCONT)
    poll(lambda: cluster.workers_info()[victim]["state"] == "ready", 10, what="worker rejoined")
    job = cluster.wait_job(jid, 30)
    assert job["state"] == "succeeded"
    poll(lambda: cluster.stats().get("results_refused", 0) >= 1, 10, what="late result refused")
    (task,) = cluster.tasks(jid)
    assert task["worker"] != victim
    assert "refused" in cluster.master.text()


def journal_results(c):
    db = sqlite3.connect(c.path("data", "journal.db"))
    try:
        return db.execute("SELECT task_id, stdout FROM results").fetchall()
    finally:
        db.close()


def test_master_sigkill_and_restart_completes_job_with_each_result_once(cluster):
    cluster.start_master()
    port = cluster.control_port
    for i in range(3):
        cluster.start_worker(f"w{i}", cores=2)
    poll(lambda: len(cluster.ready_workers()) == 3, 5, what="workers ready")
    n = 24
    jid = cluster.submit({"tasks": [sh(f"sleep 0.2; echo task-{i}") for i in range(n)]})
    poll(lambda: cluster.job(jid)["succeeded"] >= 4, 30, what="some tasks done")
    cluster.master.signal(signal.SIGKILL)
    cluster.master.wait(10)
    cluster.start_master(port=port)
    job = cluster.wait_job(jid, 60)
    assert job["state"] == "succeeded"
    assert job["succeeded"] == n
    rows = journal_results(cluster)
    assert len(rows) == n
    assert len({r[0] for r in rows}) == n
    outs = sorted(bytes(r[1]).decode().strip() for r in rows)
    assert outs == sorted(f"task-{i}" for i in range(n))


def test_worker_with_wrong_secret_is_refused_without_leaking_it():
    good = "correct-horse-battery-staple-0123456789"
    bad = "wrong-secret-value-abcdefghijklmnop"
    c = Cluster(secret=good)
    try:
        c.start_master()
        bad_file = c.path("bad-secret")
        with open(bad_file, "w") as f:
            f.write(bad + "\n")
        w = c.start_worker("intruder", secret_file=bad_file)
        assert w.wait(15) != 0
        log = c.master.text()
        assert "authentication failed" in log
        assert "intruder" in log
        assert good not in log and bad not in log
        assert good not in w.text() and bad not in w.text()
        c.start_worker("friend")
        poll(lambda: c.ready_workers() == ["friend"], 5, what="worker with the right secret ready")
    finally:
        c.close()


def raw_connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s


def read_until_closed(s, timeout=5):
    s.settimeout(timeout)
    try:
        while s.recv(4096):
            pass
        return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


HDR = struct.Struct(">IHHI")


@pytest.mark.parametrize("name,payload", [
    ("garbage", b"GET / HTTP/1.1\r\n\r\n" * 4),
    ("bad magic", HDR.pack(0xDEADBEEF, 1, 2, 0)),
    ("wrong version", HDR.pack(0x48455244, 99, 2, 0)),
    ("oversized length", HDR.pack(0x48455244, 1, 2, 0xFFFFFFF0)),
    ("unknown type", HDR.pack(0x48455244, 1, 777, 4) + b"abcd"),
    ("truncated hello body", HDR.pack(0x48455244, 1, 2, 3) + b"\x00\x01\x00"),
])
def test_malformed_frame_closes_only_that_connection(cluster, name, payload):
    cluster.start_master()
    cluster.start_worker("steady")
    poll(lambda: cluster.ready_workers() == ["steady"], 5, what="worker ready")
    s = raw_connect(cluster.control_port)
    s.sendall(payload)
    assert read_until_closed(s), f"{name}: the master kept the connection open"
    s.close()
    assert cluster.master.alive()
    jid = cluster.submit({"tasks": [sh("echo still-serving")]})
    assert cluster.wait_job(jid, 20)["state"] == "succeeded"
    assert "bad frame" in cluster.master.text()


def test_truncated_frame_then_close_does_not_disturb_master(cluster):
    cluster.start_master()
    s = raw_connect(cluster.control_port)
    s.sendall(HDR.pack(0x48455244, 1, 2, 100) + b"\x00" * 10)
    s.close()
    cluster.start_worker("w")
    poll(lambda: cluster.ready_workers() == ["w"], 5, what="worker ready after truncated frame")


def test_sigterm_worker_drains_running_task_then_exits_zero(cluster):
    cluster.start_master()
    w = cluster.start_worker("d")
    poll(lambda: cluster.ready_workers() == ["d"], 5, what="worker ready")
    jid = cluster.submit({"tasks": [sh("sleep 1; echo drained-ok")]})
    running_task_worker(cluster, jid)
    w.signal(signal.SIGTERM)
    assert w.wait(15) == 0
    job = cluster.wait_job(jid, 10)
    assert job["state"] == "succeeded"


def test_sigterm_master_leaves_a_consistent_journal(cluster):
    cluster.start_master()
    cluster.start_worker("w")
    poll(lambda: cluster.ready_workers() == ["w"], 5, what="worker ready")
    jid = cluster.submit({"tasks": [sh("echo one"), sh("echo two")]})
    cluster.wait_job(jid, 20)
    cluster.master.signal(signal.SIGTERM)
    assert cluster.master.wait(10) == 0
    db = sqlite3.connect(cluster.path("data", "journal.db"))
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    assert len(journal_results(cluster)) == 2
    kinds = set()
    with open(cluster.path("data", "events.jsonl")) as f:
        for line in f:
            ev = json.loads(line)
            assert {"ts", "kind", "id", "from", "to"} <= ev.keys()
            kinds.add(ev["kind"])
    assert {"worker", "job", "task", "attempt"} <= kinds
