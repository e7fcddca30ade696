"""Checkpoints of distributed graph jobs saved through the master (no shared
checkpoint path: the default) and graph jobs surviving a master restart,
with real processes on loopback (tests/proc/cluster.py).

- a worker SIGKILLed after a network checkpoint is complete: the job rolls
  back to it, finishes on the survivors, and its output equals the
  one-process run byte for byte; two of four workers killed likewise;
- the master SIGKILLed mid-job (PageRank with checkpoints) and restarted on
  the same data dir: it resumes the job from its last complete checkpoint
  once the workers are back, the output equals a no-fault run, and the
  finished job's summary survives one more restart.

Run: HERD_BIN=$PWD/build/herd /usr/bin/python3 -m pytest -q tests/proc/test_graph_ckpt_net.py"""
import os
import random
import signal

import pytest

from cluster import Cluster, poll
from test_graph_dist import (PARTS, chain_graph, dataset, graph_job, job, one_process,
                             read_parts, start_workers, wait_done)


@pytest.fixture
def cluster():
    c = Cluster(heartbeat_ms=200)
    c.start_master()
    yield c
    c.close()


def submit(c, tmp, algo, graph, workers, every, extra=None):
    """A graph job whose checkpoints go through the master (no shared dir)."""
    return graph_job(c, tmp, algo, graph, workers, every, extra, shared_ckpt=False)


def wait_checkpoint(c, jid, at_least):
    def reached():
        j = job(c, jid)
        assert j["state"] not in ("done", "failed"), "the job ended before the fault"
        return j["last_checkpoint"] >= at_least and j["state"] == "running"
    return poll(reached, 60, interval=0.002, what=f"a checkpoint at {at_least} or later")


def stored_checkpoints(c):
    root = c.path("data", "graph")
    found = []
    for dirpath, _, files in os.walk(root):
        found += [os.path.join(dirpath, f) for f in files]
    return found


@pytest.mark.parametrize("algo,seed,every", [("pagerank", 21, 4), ("sssp", 22, 6)])
def test_worker_killed_rolls_back_to_a_network_checkpoint(cluster, tmp_path, algo, seed, every):
    rnd = random.Random(seed)
    if algo == "pagerank":
        g, opts, extra = dataset("p2p-Gnutella31.txt"), ("--iterations", 60), {"iterations": 60}
    else:
        g = tmp_path / "chain.txt"
        chain_graph(g, 600, seed)
        opts, extra = ("--source", 0), {"source": 0}
    want = one_process(algo, g, opts, tmp_path / "one")
    start_workers(cluster, 3)
    jid = submit(cluster, tmp_path, algo, g, 3, every, extra)
    wait_checkpoint(cluster, jid, every * rnd.randrange(1, 4))
    cluster.workers[f"w{rnd.randrange(3)}"].signal(signal.SIGKILL)
    j = wait_done(cluster, jid)
    assert j["recoveries"] >= 1 and j["workers"] == 2
    assert read_parts(tmp_path / "out", PARTS) == want
    log = cluster.master.text()
    assert "rolling back to the last checkpoint" in log
    assert "stored on the master" in log
    # deleted once the job is over (renamed away at once, removed by the sync thread)
    poll(lambda: stored_checkpoints(cluster) == [], 30, what="checkpoints deleted")


def test_two_of_four_workers_killed_network_checkpoints(cluster, tmp_path):
    g = tmp_path / "chain.txt"
    chain_graph(g, 600, 23)
    want = one_process("sssp", g, ("--source", 0), tmp_path / "one")
    start_workers(cluster, 4)
    jid = submit(cluster, tmp_path, "sssp", g, 4, 8, {"source": 0})
    wait_checkpoint(cluster, jid, 16)
    for v in ("w1", "w3"):
        cluster.workers[v].signal(signal.SIGKILL)
    j = wait_done(cluster, jid)
    assert j["workers"] == 2 and j["recoveries"] >= 1
    assert read_parts(tmp_path / "out", PARTS) == want


def restart_master(c):
    c.master.signal(signal.SIGKILL)
    c.master.wait(10)
    c.start_master(port=c.control_port)


@pytest.mark.parametrize("every", [5, 0])
def test_master_killed_mid_job_resumes(tmp_path, every):
    c = Cluster(heartbeat_ms=200)
    c.start_master()
    try:
        g = dataset("p2p-Gnutella31.txt")
        want = one_process("pagerank", g, ("--iterations", 200), tmp_path / "one")
        start_workers(c, 2)
        jid = submit(c, tmp_path, "pagerank", g, 2, every, {"iterations": 200})
        if every:
            wait_checkpoint(c, jid, 2 * every)
        else:
            poll(lambda: job(c, jid)["superstep"] >= 20, 60, interval=0.002, what="superstep 20")
        restart_master(c)
        j = wait_done(c, jid)
        assert read_parts(tmp_path / "out", PARTS) == want
        log = c.master.text()
        assert "-> recovering: the master restarted" in log, log[-2000:]
        assert "recovering -> waiting: waiting for its workers" in log, log[-2000:]
        if every:
            assert "resuming from the checkpoint at superstep" in log, log[-2000:]
        else:
            assert "restarting it from the beginning" in log, log[-2000:]
        restart_master(c)  # the finished job's summary survives
        j2 = poll(lambda: job(c, jid), 10, what="the job after a restart")
        assert j2["state"] == "done" and j2["superstep"] == j["superstep"]
        assert j2["vertices"] == j["vertices"]
        poll(lambda: stored_checkpoints(c) == [], 30, what="checkpoints deleted")
    finally:
        c.close()
