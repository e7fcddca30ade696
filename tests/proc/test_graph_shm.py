"""Co-located workers sharing the pull arrays (worker/gshm.h): `herd run`'s
local cluster gives its workers HERD_PULL_SHM_DIR, and PageRank then sends
no VECTOR frames; the results must stay byte-identical to the one-process
run, with checkpoints, after a worker is killed, and when only some workers
of a job have the directory (then nobody shares).

Run: HERD_BIN=$PWD/build/herd /usr/bin/python3 -m pytest -q tests/proc/test_graph_shm.py"""
import os
import subprocess

from cluster import HERD, Cluster, Proc, poll
from test_graph_dist import (PARTS, dataset, graph_job, kill_at, one_process, read_parts,
                             wait_done)

SHARED = "pull arrays shared by the"


def run_local(*args):
    env = dict(os.environ, HERD_LOG="info", HERD_LOCAL_LOGS="stderr")
    r = subprocess.run([HERD, "run", *map(str, args)], capture_output=True, text=True,
                       timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stderr


def test_local_cluster_shares_and_equals_one_process(tmp_path):
    g = dataset("p2p-Gnutella31.txt")
    want = one_process("pagerank", g, (), tmp_path / "one")
    for workers, extra in ((2, ()), (3, ()), (2, ("--checkpoint-every", 3))):
        out = tmp_path / f"pr{workers}"
        log = run_local("pagerank", g, "--workers", workers, "--output", out, *extra)
        assert log.count(SHARED) == workers, log[-2000:]
        assert out.read_text() == want, (workers, extra)
    # the message path has no pull arrays: nothing shared, same bytes as before
    log = run_local("pagerank", g, "--workers", 2, "--no-fast-path", "--output",
                    tmp_path / "msg")
    assert SHARED not in log
    assert (tmp_path / "msg").read_text() == one_process(
        "pagerank", g, ("--no-fast-path",), tmp_path / "onemsg")


def start(c, wid, shm):
    env = {"HERD_PULL_SHM_DIR": str(shm)} if shm else {}
    args = ["worker", f"127.0.0.1:{c.control_port}", "--id", wid, "--cores", "1",
            "--work-dir", c.path("work-" + wid)]
    c.workers[wid] = Proc(args, c.path(f"worker-{wid}.log"), env=env)


def cluster_with(shms):
    c = Cluster(heartbeat_ms=200)
    c.start_master()
    for i, shm in enumerate(shms):
        start(c, f"w{i}", shm)
    poll(lambda: len(c.ready_workers()) >= len(shms), 20, what="workers")
    return c


def test_a_worker_without_the_directory_means_nobody_shares(tmp_path):
    g = dataset("p2p-Gnutella31.txt")
    want = one_process("pagerank", g, (), tmp_path / "one")
    shm = tmp_path / "shm"
    shm.mkdir()
    c = cluster_with([shm, None])
    try:
        jid = graph_job(c, tmp_path, "pagerank", g, 2)
        wait_done(c, jid)
        assert read_parts(tmp_path / "out", PARTS) == want
        assert all(SHARED not in w.text() for w in c.workers.values())
        poll(lambda: os.listdir(shm) == [], 10, what="the mapping removed")
    finally:
        c.close()


def test_shared_arrays_survive_a_killed_worker(tmp_path):
    g = dataset("p2p-Gnutella31.txt")
    want = one_process("pagerank", g, ("--iterations", 200), tmp_path / "one")
    shm = tmp_path / "shm"
    shm.mkdir()
    c = cluster_with([shm, shm, shm])
    try:
        jid = graph_job(c, tmp_path, "pagerank", g, 3, 4, {"iterations": 200})
        kill_at(c, jid, ["w1"], 10)
        j = wait_done(c, jid)
        assert j["recoveries"] >= 1 and j["workers"] == 2
        assert read_parts(tmp_path / "out", PARTS) == want
        assert SHARED in c.workers["w0"].text()
        poll(lambda: os.listdir(shm) == [], 10, what="the mappings removed")
    finally:
        c.close()
