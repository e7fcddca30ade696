"""Multi-host fault tests: master and workers in separate network namespaces
(tests/proc/netns.py), links cut, healed and shaped under running jobs.
Skipped with a reason when not root or when namespaces cannot be made."""
import os
import random
import sqlite3
import subprocess
import time

import pytest

from cluster import HERD, poll
import netns

_why_not = netns.usable()
pytestmark = pytest.mark.skipif(_why_not is not None, reason=str(_why_not))

HEARTBEAT_MS = 1000
LOST_AFTER = 3


@pytest.fixture
def net():
    n = netns.Net()
    yield n
    n.close()


@pytest.fixture
def cluster(net):
    c = netns.NsCluster(net, heartbeat_ms=HEARTBEAT_MS, lost_after=LOST_AFTER)
    yield c
    c.close()


def sh(script, **kw):
    t = {"argv": ["/bin/sh", "-c", script]}
    t.update(kw)
    return t


def running_task_worker(c, jid, index=0):
    def find():
        t = c.tasks(jid)[index]
        return t["worker"] if t["state"] == "running" and t.get("worker") else None
    return poll(find, 15, what="a running task")


def journal_results(c):
    db = sqlite3.connect(c.path("data", "journal.db"))
    try:
        return db.execute("SELECT task_id, stdout FROM results").fetchall()
    finally:
        db.close()


def start(c, workers, cores=1):
    c.start_master()
    for w in workers:
        c.start_worker(w, cores=cores)
    poll(lambda: len(c.ready_workers()) == len(workers), 10,
         what=f"{len(workers)} workers ready across namespaces")


def test_harness_isolates_nodes_and_cut_heal_toggle_reachability(net, cluster):
    start(cluster, ["a"])
    # The master is bound to its subnet address, not loopback.
    assert net.addr("master").startswith("10.")
    net.cut("a")
    poll(lambda: cluster.workers_info()["a"]["state"] == "lost", 6, what="cut worker lost")
    net.heal("a")
    poll(lambda: cluster.workers_info()["a"]["state"] == "ready", 30, what="healed worker back")


def test_worker_cut_off_10s_during_task_job_is_lost_rerun_and_refused(net, cluster):
    start(cluster, ["a", "b"])
    marker = cluster.path("started")
    # The attempt ends 5 s after it starts: after the cut-off worker has
    # itself given up on the master (3 silent heartbeats), so its result is
    # held for the next connection and must be refused there. (Ending within
    # those 3 s, the result would go into the dead connection and vanish
    # with it: the task still runs once more elsewhere, but there would be
    # no late result to refuse.)
    jid = cluster.submit({"tasks": [sh(f"touch {marker}-$HERD_ATTEMPT; sleep 5; "
                                       "echo from-attempt-$HERD_ATTEMPT")]})
    victim = running_task_worker(cluster, jid)
    poll(lambda: any(f.startswith("started-") for f in os.listdir(cluster.dir)), 10,
         what="the task to start")
    net.cut(victim)
    cut_at = time.monotonic()
    poll(lambda: cluster.workers_info()[victim]["state"] == "lost", 3.5,
         what=f"worker {victim} lost after the cut")
    detected = time.monotonic() - cut_at
    # heartbeat 1 s x 3: lost within 3 s of the cut (plus the poll's own slack)
    assert detected <= 3.5, detected
    job = cluster.wait_job(jid, 30)
    assert job["state"] == "succeeded"
    (task,) = cluster.tasks(jid)
    assert task["worker"] != victim and task["attempts"] >= 2
    # The victim kept running its attempt during the cut; heal after 10 s
    # and its late result must be refused.
    poll(lambda: time.monotonic() - cut_at >= 10, 11, what="10 s of partition")
    refused_before = cluster.stats().get("results_refused", 0)
    net.heal(victim)
    poll(lambda: cluster.workers_info()[victim]["state"] == "ready", 30,
         what="the healed worker to rejoin")
    poll(lambda: cluster.stats().get("results_refused", 0) > refused_before, 15,
         what="the late result to be refused")
    assert "refused" in cluster.master.text()
    rows = journal_results(cluster)
    assert len(rows) == 1
    assert bytes(rows[0][1]).decode().strip() != ""
    (task,) = cluster.tasks(jid)
    assert task["worker"] != victim  # the accepted result is still the rerun's


def test_master_cut_off_from_every_worker_loses_nothing(net, cluster):
    workers = ["a", "b", "c"]
    start(cluster, workers, cores=2)
    n = 18
    jid = cluster.submit({"tasks": [sh(f"sleep 0.4; echo task-{i}") for i in range(n)]})
    poll(lambda: cluster.job(jid)["succeeded"] >= 3, 30, what="some tasks done")
    net.cut("master")
    cut_at = time.monotonic()
    poll(lambda: all(w["state"] == "lost" for w in cluster.workers_info().values()), 6,
         what="every worker lost from the master's side")
    poll(lambda: time.monotonic() - cut_at >= 10, 11, what="10 s of partition")
    net.heal("master")
    poll(lambda: len(cluster.ready_workers()) == 3, 30, what="workers reconnected")
    job = cluster.wait_job(jid, 60)
    assert job["state"] == "succeeded"
    assert job["succeeded"] == n
    rows = journal_results(cluster)
    assert len(rows) == n, "each task's result recorded exactly once"
    assert len({r[0] for r in rows}) == n
    outs = sorted(bytes(r[1]).decode().strip() for r in rows)
    assert outs == sorted(f"task-{i}" for i in range(n))


def test_worker_reconnects_promptly_after_a_long_cut_that_swallows_syns(net, cluster):
    """Without a connect timeout a SYN sent into a partition waits for the
    kernel's retries (1, 3, 7, 15, 31 s ...), so a worker could stay away long
    after the link heals; herd gives up on a connect after 3 s and retries
    with backoff (at most 5 s)."""
    start(cluster, ["a"])
    net.pin_neighbor("a", net.addr("master"), net.mac("master"))
    net.cut("a")
    cut_at = time.monotonic()
    poll(lambda: cluster.workers_info()["a"]["state"] == "lost", 6, what="cut worker lost")
    poll(lambda: time.monotonic() - cut_at >= 20, 21, what="20 s of partition")
    assert "could not reach the master" in cluster.workers["a"].text()
    net.heal("a")
    healed = time.monotonic()
    poll(lambda: cluster.workers_info()["a"]["state"] == "ready", 12,
         what="the worker back soon after healing")
    took = time.monotonic() - healed
    assert took <= 10, took


def slow_lossy_links(net, cluster, nodes, delay_ms, loss_pct):
    """Shapes every node's link with netem where the kernel has it; otherwise
    loss comes from nftables on each node's input and latency from a relay in
    the master's namespace that the workers dial (task jobs use only the
    control connection). Call after start_master, before the workers start.
    Returns the relay's log path, or None under netem."""
    if net.has_netem() is None:
        for name in nodes:
            net.shape(name, delay_ms, loss_pct)
        return None
    why = net.has_nft()
    if why:
        pytest.skip(f"neither tc netem ({net.has_netem()}) nor nftables ({why})")
    for name in nodes:
        net.drop_input(name, loss_pct)
    log = cluster.path("relay.log")
    cluster.worker_port = net.delay_relay("master", cluster.control_port, delay_ms, log)
    return log


def test_latency_100ms_and_1pct_loss_on_every_link_jobs_complete(net, cluster):
    workers = ["a", "b"]
    cluster.start_master()
    for w in workers:
        net.add_node(w)
    relay_log = slow_lossy_links(net, cluster, ["master"] + workers, 100, 1)
    for w in workers:
        cluster.start_worker(w, cores=2)
    poll(lambda: len(cluster.ready_workers()) == 2, 20, what="workers ready over slow links")
    if relay_log is not None:
        with open(relay_log) as f:  # the delay really sits on their path
            assert f.read().count("relay: connection") >= len(workers)
    n = 12
    jid = cluster.submit({"tasks": [sh(f"echo $(( {i} * {i} ))") for i in range(n)]})
    job = cluster.wait_job(jid, 45)
    assert job["state"] == "succeeded" and job["succeeded"] == n
    index_of = {t["id"]: t["index"] for t in cluster.tasks(jid)}
    rows = journal_results(cluster)
    assert len(rows) == n and len({r[0] for r in rows}) == n, "each result once"
    got = {index_of[tid]: bytes(out).decode().strip() for tid, out in rows}
    assert got == {i: str(i * i) for i in range(n)}
    assert all(w["state"] == "ready" for w in cluster.workers_info().values())


def test_stopped_then_restarted_worker_node_rejoins(net, cluster):
    start(cluster, ["a", "b"])
    cluster.workers["a"].stop()  # SIGKILL
    poll(lambda: cluster.workers_info()["a"]["state"] == "lost", 5, what="killed node lost")
    cluster.restart_worker("a")
    poll(lambda: cluster.workers_info()["a"]["state"] == "ready", 10, what="restarted node back")
    jid = cluster.submit({"tasks": [sh("echo hi") for _ in range(4)]})
    assert cluster.wait_job(jid, 20)["state"] == "succeeded"


def chain_graph(path, n, seed):
    """A weighted chain with random shortcuts: SSSP from 0 takes ~n supersteps."""
    rnd = random.Random(seed)
    with open(path, "w") as f:
        for v in range(n - 1):
            f.write(f"{v} {v + 1} 1\n")
        for _ in range(3 * n):
            a = rnd.randrange(n - 1)
            b = min(n - 1, a + rnd.randrange(2, 50))
            f.write(f"{a} {b} {(b - a) * 1.5}\n")


def graph_job(c, jid):
    code, body = c.http("GET", f"/v1/graph-jobs/{jid}")
    assert code == 200, body
    return body


PARTS = 16


def sssp_reference(tmp_path):
    g = tmp_path / "chain.txt"
    chain_graph(g, 1500, 5)
    one = tmp_path / "one"
    subprocess.run([HERD, "run", "sssp", str(g), "--in-process", "--no-fast-path",
                    "--partitions", str(PARTS), "--source", "0", "--output", str(one)],
                   check=True, capture_output=True, timeout=120)
    return g, one.read_text()


def submit_sssp_and_reach(cluster, tmp_path, g, step, **extra):
    spec = {"algo": "sssp", "graph": str(g), "format": "snap", "workers": 3, "source": 0,
            "partitions": PARTS, "threads": 1, "output_dir": str(tmp_path / "out"),
            "checkpoint_every": 20, "checkpoint_dir": str(tmp_path / "ckpt"),
            "partitioning": "range"}
    spec.update(extra)
    code, body = cluster.http("POST", "/v1/graph-jobs", spec)
    assert code == 201, body
    jid = body["id"]

    def reached():
        j = graph_job(cluster, jid)
        assert j["state"] not in ("done", "failed"), "the job ended before the fault"
        return j["state"] == "running" and j["superstep"] >= step
    poll(reached, 60, interval=0.005, what=f"superstep {step}")
    return jid


def wait_graph_job(cluster, jid, timeout):
    return poll(lambda: (lambda j: j if j["state"] in ("done", "failed") else None)(
        graph_job(cluster, jid)), timeout, interval=0.05, what="the graph job to end")


def output_of(tmp_path):
    return "".join((tmp_path / "out" / f"part-{p:05d}").read_text() for p in range(PARTS))


def test_worker_cut_off_10s_during_graph_job_recovers_from_checkpoint(net, cluster, tmp_path):
    g, want = sssp_reference(tmp_path)
    start(cluster, ["a", "b", "c"])
    jid = submit_sssp_and_reach(cluster, tmp_path, g, 60)
    net.cut("b")
    cut_at = time.monotonic()
    poll(lambda: cluster.workers_info()["b"]["state"] == "lost", 3.5, what="b lost after the cut")
    j = wait_graph_job(cluster, jid, 90)
    assert j["state"] == "done", j.get("error")
    assert j["recoveries"] >= 1 and j["workers"] == 2
    assert output_of(tmp_path) == want, "the recovered result differs from a failure-free run"
    # After the link heals, b rejoins; whatever it still sends for the old
    # epoch is dropped by epoch number and changes nothing.
    poll(lambda: time.monotonic() - cut_at >= 10, 11, what="10 s of partition")
    net.heal("b")
    poll(lambda: cluster.workers_info()["b"]["state"] == "ready", 20, what="b back after healing")
    assert graph_job(cluster, jid)["state"] == "done"
    assert output_of(tmp_path) == want


def test_partition_between_two_workers_during_graph_job(net, cluster, tmp_path):
    """Workers a and b lose each other (bridge port isolation) but both still
    reach the master: the data plane between them stalls, the barrier times
    out, and the job must still finish with the failure-free result."""
    g, want = sssp_reference(tmp_path)
    start(cluster, ["a", "b", "c"])
    jid = submit_sssp_and_reach(cluster, tmp_path, g, 60, barrier_timeout_ms=2000)
    net.isolate(["a", "b"])
    try:
        j = wait_graph_job(cluster, jid, 90)
    finally:
        net.isolate(["a", "b"], on=False)
    assert j["state"] == "done", j.get("error")
    assert j["recoveries"] >= 1
    assert output_of(tmp_path) == want
    assert all(w["state"] == "ready" for w in cluster.workers_info().values())
