"""Distributed graph jobs with real processes: a master and workers on
loopback (tests/proc/cluster.py), jobs submitted with `herd run --master` or
POST /v1/graph-jobs, results compared with the one-process engine (message
path, same partition count: the results are then bit-identical) and with the
p2p-31 references; faults: SIGKILL a worker at a random superstep, SIGSTOP a
worker (barrier timeout), two of four workers killed.

Run: HERD_BIN=$PWD/build/herd /usr/bin/python3 -m pytest -q tests/proc/test_graph_dist.py"""
import os
import random
import signal
import subprocess

import pytest

from cluster import HERD, Cluster, poll

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.environ.get("HERD_DATASETS") or os.path.join(ROOT, "..", "shared", "datasets")
PARTS = 16


def dataset(name):
    p = os.path.join(DATA, name)
    if not os.path.exists(p):
        pytest.skip(f"dataset {name} not found under {DATA}")
    return p


def herd(*args):
    r = subprocess.run([HERD, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"herd {' '.join(map(str, args))}: {r.stderr}"
    return r


def client_addr(c):
    # clients derive the HTTP port as control port + 1 (docs/api.md); the
    # test cluster's HTTP port is arbitrary, so name the port below it
    return f"127.0.0.1:{c.http_port - 1}"


def one_process(algo, graph, opts, out):
    """The one-process result a distributed run must equal byte for byte:
    PageRank runs the pull path in both (unless --no-fast-path is in opts),
    everything else the message path."""
    fast = algo == "pagerank" and "--no-fast-path" not in opts
    herd("run", algo, graph, "--in-process", *([] if fast else ["--no-fast-path"]),
         "--partitions", PARTS, "--output", out, *opts)
    with open(out) as f:
        return f.read()


def read_parts(d, n):
    return "".join(open(os.path.join(d, f"part-{p:05d}")).read() for p in range(n))


@pytest.fixture
def cluster():
    c = Cluster(heartbeat_ms=200)
    c.start_master()
    yield c
    c.close()


def start_workers(c, n, first=0):
    for i in range(first, first + n):
        c.start_worker(f"w{i}", cores=1)
    poll(lambda: len(c.ready_workers()) >= first + n, 20, what=f"{first + n} workers")


ALGOS = [("pagerank", ()), ("pagerank", ("--no-fast-path",)), ("bfs", ("--source", 1)), ("sssp", ("--source", 1)), ("wcc", ()),
         ("cdlp", ()), ("lcc", ()), ("coloring", ())]


def test_every_algorithm_equals_one_process_with_2_3_4_workers(cluster, tmp_path):
    g = dataset("p2p-31.e")
    start_workers(cluster, 4)
    for algo, opts in ALGOS:
        want = one_process(algo, g, ("--format", "graphalytics", *opts), tmp_path / "one")
        for w in (2, 3, 4):
            out = tmp_path / f"{algo}-{w}"
            r = herd("run", algo, g, "--format", "graphalytics", *opts, "--master",
                     client_addr(cluster), "--workers", w, "--partitioning", "range",
                     "--output", out)
            assert f"{w} workers" in r.stderr
            path = "pull" if algo == "pagerank" and not opts else "messages"
            assert f"({path} path, distributed)" in r.stderr
            assert out.read_text() == want, f"{algo} with {w} workers differs"


def test_references_p2p31_distributed(cluster, tmp_path):
    g = dataset("p2p-31.e")
    start_workers(cluster, 3)

    def run(algo, *opts):
        out = tmp_path / algo
        herd("run", algo, g, "--format", "graphalytics", *opts, "--master",
             client_addr(cluster), "--workers", 3, "--output", out)
        return dict(line.split() for line in out.read_text().splitlines())

    def ref(name):
        return dict(line.split() for line in open(dataset(name)).read().splitlines())

    assert run("bfs", "--directed", "--source", 6) == ref("p2p-31-BFS-directed")
    got, want = run("sssp", "--directed", "--source", 6), ref("p2p-31-SSSP-directed")
    assert got.keys() == want.keys() and all(float(got[k]) == float(want[k]) for k in want)
    assert run("cdlp", "--undirected", "--iterations", 10) == ref("p2p-31-CDLP")
    got, want = run("pagerank", "--undirected", "--iterations", 10), ref("p2p-31-PR")
    assert got.keys() == want.keys()
    assert all(abs(float(got[k]) - float(want[k])) <= 1e-6 * float(want[k]) for k in want)
    got, want = run("lcc", "--undirected"), ref("p2p-31-LCC")
    assert all(abs(float(got[k]) - float(want[k])) <= 1e-6 * float(want[k]) for k in want)
    # the jobs are in the master's list, and `herd status` shows their superstep
    code, body = cluster.http("GET", "/v1/graph-jobs")
    assert code == 200 and len(body["graph_jobs"]) == 5
    last = body["graph_jobs"][-1]
    assert last["state"] == "done" and last["workers"] == 3
    r = herd("status", last["id"], "--master", client_addr(cluster))
    assert f"graph job {last['id']}: lcc" in r.stdout and "done, superstep 0" in r.stdout  # LCC is one superstep


def test_plugin_shipped_to_workers(cluster, tmp_path):
    plugin = os.path.join(ROOT, "build", "examples", "degree-plugin", "degree.so")
    if not os.path.exists(plugin):
        pytest.skip("example plugin not built")
    g = dataset("p2p-Gnutella08.txt")
    start_workers(cluster, 2)
    want = one_process(plugin, g, (), tmp_path / "one")
    out = tmp_path / "dist"
    herd("run", plugin, g, "--master", client_addr(cluster), "--workers", 2,
         "--partitioning", "range", "--output", out)
    assert out.read_text() == want


def chain_graph(path, n, seed):
    """A weighted chain 0..n-1 plus random longer shortcuts: SSSP from 0 takes
    about n supersteps, and every step does a little work."""
    rnd = random.Random(seed)
    with open(path, "w") as f:
        for v in range(n - 1):
            f.write(f"{v} {v + 1} 1\n")
        for _ in range(3 * n):
            a = rnd.randrange(n - 1)
            b = min(n - 1, a + rnd.randrange(2, 50))
            f.write(f"{a} {b} {(b - a) * 1.5}\n")


def graph_job(c, tmp, algo, graph, workers, every=0, extra=None, shared_ckpt=True):
    """Submits a graph job; with checkpoints, to a shared directory unless
    shared_ckpt is false (then they go through the master)."""
    spec = {"algo": algo, "graph": str(graph), "format": "snap", "workers": workers,
            "partitions": PARTS, "threads": 1, "output_dir": str(tmp / "out"),
            "checkpoint_every": every, "partitioning": "range"}
    if every and shared_ckpt:
        spec["checkpoint_dir"] = str(tmp / "ckpt")
    spec.update(extra or {})
    code, body = c.http("POST", "/v1/graph-jobs", spec)
    assert code == 201, body
    return body["id"]


def job(c, jid):
    code, body = c.http("GET", f"/v1/graph-jobs/{jid}")
    assert code == 200, body
    return body


def wait_done(c, jid, timeout=60):
    def final():
        try:
            j = job(c, jid)
        except OSError:
            return None  # the master is restarting
        return j if j["state"] in ("done", "failed") else None
    j = poll(final, timeout, interval=0.02, what=f"graph job {jid}")
    assert j["state"] == "done", j["error"]
    return j


def kill_at(c, jid, victims, step, sig=signal.SIGKILL):
    def reached():
        j = job(c, jid)
        assert j["state"] not in ("done", "failed"), "the job ended before the fault"
        return j["state"] == "running" and j["superstep"] >= step
    poll(reached, 60, interval=0.002, what=f"superstep {step}")
    for v in victims:
        c.workers[v].signal(sig)


FAULT_CASES = [("pagerank", 1, 0), ("pagerank", 2, 4), ("sssp", 3, 0), ("sssp", 4, 5),
               ("sssp", 5, 7)]


@pytest.mark.parametrize("algo,seed,every", FAULT_CASES)
def test_sigkill_worker_at_random_superstep(cluster, tmp_path, algo, seed, every):
    rnd = random.Random(seed)
    # The kill lands in the first half of a job several times longer than
    # the half: on a loaded machine the poller (an HTTP request per try) can
    # lag the job by many supersteps, and a 60-step job once ended first.
    if algo == "pagerank":
        g, extra, steps = dataset("p2p-Gnutella31.txt"), {"iterations": 400}, 60
        opts = ("--iterations", 400)
    else:
        g = tmp_path / "chain.txt"
        chain_graph(g, 1200, seed)
        opts, extra, steps = ("--source", 0), {"source": 0}, 500
    want = one_process(algo, g, opts, tmp_path / "one")
    start_workers(cluster, 3)
    jid = graph_job(cluster, tmp_path, algo, g, 3, every, extra)
    # with checkpoints, kill after the first one is complete, so it is used
    kill_at(cluster, jid, [f"w{rnd.randrange(3)}"], rnd.randrange(every + 3, steps // 2))
    j = wait_done(cluster, jid)
    assert j["recoveries"] >= 1 and j["workers"] == 2
    assert read_parts(tmp_path / "out", PARTS) == want
    rolled = "rolling back to the last checkpoint" in cluster.master.text()
    assert rolled == (every > 0)


def test_sigstop_worker_barrier_timeout(tmp_path):
    c = Cluster(heartbeat_ms=5000)  # loss by heartbeats would take 15 s
    c.start_master()
    try:
        g = tmp_path / "chain.txt"
        chain_graph(g, 600, 9)
        want = one_process("sssp", g, ("--source", 0), tmp_path / "one")
        start_workers(c, 3)
        jid = graph_job(c, tmp_path, "sssp", g, 3, 10,
                        {"source": 0, "barrier_timeout_ms": 800})
        kill_at(c, jid, ["w1"], 50, signal.SIGSTOP)
        j = wait_done(c, jid, timeout=30)
        assert j["recoveries"] >= 1 and j["workers"] == 2
        assert read_parts(tmp_path / "out", PARTS) == want
        assert "barrier timeout" in c.master.text(), [l for l in c.master.text().splitlines() if "checkpoint at" not in l][-25:]
        c.workers["w1"].signal(signal.SIGCONT)
    finally:
        c.close()


def test_two_of_four_workers_killed(cluster, tmp_path):
    g = tmp_path / "chain.txt"
    chain_graph(g, 600, 11)
    want = one_process("sssp", g, ("--source", 0), tmp_path / "one")
    start_workers(cluster, 4)
    jid = graph_job(cluster, tmp_path, "sssp", g, 4, 8, {"source": 0})
    kill_at(cluster, jid, ["w0", "w2"], 100)
    j = wait_done(cluster, jid)
    assert j["workers"] == 2 and j["recoveries"] >= 1
    assert read_parts(tmp_path / "out", PARTS) == want


def test_status_shows_superstep_and_local_mode(tmp_path):
    g = dataset("p2p-Gnutella08.txt")
    out = tmp_path / "pr"
    r = herd("run", "pagerank", g, "--workers", 2, "--partitioning", "range", "--output", out)
    assert "2 workers" in r.stderr and "distributed" in r.stderr
    want = one_process("pagerank", g, (), tmp_path / "one")
    assert out.read_text() == want
    d = tmp_path / "parts"
    herd("run", "pagerank", g, "--workers", 2, "--partitioning", "range", "--output-dir", d)
    assert read_parts(d, PARTS) == want


def test_graph_job_with_a_cluster_secret(tmp_path):
    """With a secret, workers prove it to each other on the data plane too."""
    c = Cluster(heartbeat_ms=200, secret="graph-secret-0123456789")
    c.start_master()
    try:
        g = tmp_path / "chain.txt"
        chain_graph(g, 300, 13)
        want = one_process("sssp", g, ("--source", 0), tmp_path / "one")
        start_workers(c, 2)
        jid = graph_job(c, tmp_path, "sssp", g, 2, 0, {"source": 0})
        wait_done(c, jid)
        assert read_parts(tmp_path / "out", PARTS) == want
        assert "failed the data-plane proof" not in c.workers["w0"].text()
    finally:
        c.close()


# --- partial loading: each worker reads only its partitions' rows of a .hgr ---

def hgr_of(src, dst, *opts):
    herd("convert", src, dst, *opts)
    return dst


def kron_hgr(tmp_path, undirected=False):
    el = tmp_path / "k.el"
    if not el.exists():
        herd("generate", "kronecker", "--scale", 11, "--degree", 8, "--seed", 5, "-o", el)
    name = "ku.hgr" if undirected else "k.hgr"
    return hgr_of(el, tmp_path / name, *(["--undirected"] if undirected else []))


def loads(c, wid, what):
    return c.workers[wid].text().count(what)


PARTIAL = "loaded the rows of my partitions"
WHOLE = "loaded the whole graph"


def test_hgr_partial_loads_equal_one_process(cluster, tmp_path):
    start_workers(cluster, 3)
    for undirected in (False, True):
        g = kron_hgr(tmp_path, undirected)
        for algo, opts in ALGOS:
            if undirected and algo not in ("pagerank", "wcc", "lcc"):
                continue
            opts = (*opts, *(["--undirected"] if undirected else []))
            want = one_process(algo, g, opts, tmp_path / "one")
            for w in (2, 3):
                out = tmp_path / f"{algo}-{w}"
                herd("run", algo, g, *opts, "--master", client_addr(cluster), "--workers", w,
                     "--partitions", PARTS, "--output", out)
                assert out.read_text() == want, f"{algo} {opts} with {w} workers differs"
    # every worker read its share only, except for LCC (it reads neighbours'
    # rows, so it keeps the whole graph)
    for wid in ("w0", "w1", "w2"):
        assert loads(cluster, wid, PARTIAL) >= 2  # the cache serves later jobs
        assert loads(cluster, wid, WHOLE) >= 2
    for l in cluster.workers["w0"].text().splitlines():
        if PARTIAL in l:  # "...: MINE of ALL arcs"
            mine, _, whole = l.split(PARTIAL + ": ")[1].split()[:3]
            assert 0 < int(mine) < int(whole), l


def test_hgr_recovery_loads_the_moved_partitions(cluster, tmp_path):
    """A worker killed mid-job: its partitions move to the survivors, which
    did not load their rows; they read them and the result is unchanged."""
    txt = tmp_path / "chain.txt"
    chain_graph(txt, 600, 21)
    g = hgr_of(txt, tmp_path / "chain.hgr")
    want = one_process("sssp", g, ("--source", 0), tmp_path / "one")
    start_workers(cluster, 3)
    jid = graph_job(cluster, tmp_path, "sssp", g, 3, 5, {"source": 0, "format": "bin"})
    kill_at(cluster, jid, ["w1"], 40)
    j = wait_done(cluster, jid)
    assert j["recoveries"] >= 1 and j["workers"] == 2
    assert read_parts(tmp_path / "out", PARTS) == want
    for wid in ("w0", "w2"):
        assert loads(cluster, wid, PARTIAL) >= 2, cluster.workers[wid].text()[-2000:]


def test_hgr_corrupt_file_fails_the_job_cleanly(cluster, tmp_path):
    g = kron_hgr(tmp_path)
    data = bytearray(g.read_bytes())
    n, flags = int.from_bytes(data[16:24], "little"), int.from_bytes(data[12:16], "little")
    at = 64 + (8 * n if flags & 4 else 0) + 8 * 5  # out-offset 5, after the id array
    data[at:at + 8] = (1 << 40).to_bytes(8, "little")  # offsets decrease
    bad = tmp_path / "bad.hgr"
    bad.write_bytes(bytes(data))
    start_workers(cluster, 2)
    r = subprocess.run([HERD, "run", "pagerank", str(bad), "--master", client_addr(cluster),
                        "--workers", "2", "--output", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "offsets decrease" in r.stderr, r.stderr
    assert all(w.alive() for w in cluster.workers.values())


def test_text_and_hgr_inputs_give_the_same_bytes(cluster, tmp_path):
    """The same graph as Graphalytics text (every worker loads it whole) and
    as .hgr (each worker reads its share): identical results."""
    e = dataset("p2p-31.e")
    g = hgr_of(e, tmp_path / "p2p.hgr", "--format", "graphalytics")
    start_workers(cluster, 3)
    for algo, opts in (("sssp", ("--source", 6)), ("pagerank", ()), ("wcc", ())):
        outs = []
        for path, fmt in ((e, "graphalytics"), (g, "bin")):
            out = tmp_path / f"{algo}-{fmt}"
            herd("run", algo, path, "--format", fmt, *opts, "--partitioning", "range",
                 "--master", client_addr(cluster),
                 "--workers", 3, "--output", out)
            outs.append(out.read_text())
        assert outs[0] == outs[1], f"{algo}: text and .hgr results differ"
    ref = dict(l.split() for l in open(dataset("p2p-31-SSSP-directed")).read().splitlines())
    got = dict(l.split() for l in (tmp_path / "sssp-bin").read_text().splitlines())
    assert got.keys() == ref.keys() and all(float(got[k]) == float(ref[k]) for k in ref)


def test_sparse_large_ids_and_an_isolated_vertex(cluster, tmp_path):
    """Input ids far from 0..n-1, and a vertex listed only in the .v file:
    partial loads keep the id map whole, so every id comes out, in order."""
    rnd = random.Random(77)
    ids = sorted(rnd.sample(range(10**15, 10**15 + 10**9), 300))
    lonely = ids.pop(150)
    (tmp_path / "s.v").write_text("".join(f"{i}\n" for i in sorted(ids + [lonely])))
    (tmp_path / "s.e").write_text("".join(f"{rnd.choice(ids)} {rnd.choice(ids)}\n"
                                          for _ in range(1500)))
    g = hgr_of(tmp_path / "s.e", tmp_path / "s.hgr", "--format", "graphalytics")
    start_workers(cluster, 3)
    for algo, opts in (("pagerank", ()), ("wcc", ()), ("bfs", ("--source", ids[0]))):
        want = one_process(algo, g, opts, tmp_path / "one")
        out = tmp_path / algo
        herd("run", algo, g, *opts, "--master", client_addr(cluster), "--workers", 3,
             "--partitions", PARTS, "--output", out)
        got = out.read_text()
        assert got == want, f"{algo} differs"
        lines = [l.split() for l in got.splitlines()]
        assert [int(l[0]) for l in lines] == sorted(ids + [lonely])
        if algo == "wcc":  # alone in its component
            assert dict(lines)[str(lonely)] == str(lonely)
    assert loads(cluster, "w0", PARTIAL) >= 1


def test_hgr_without_in_rows_still_partial(cluster, tmp_path):
    """`herd generate -o X.hgr` stores out-rows only: the pull path's workers
    build their partitions' in-rows from a streamed pass over the out-rows
    instead of loading the whole graph."""
    g = tmp_path / "gen.hgr"
    herd("generate", "kronecker", "--scale", 11, "--degree", 8, "--seed", 9, "-o", g)
    start_workers(cluster, 2)
    for algo, opts in (("pagerank", ()), ("wcc", ())):
        want = one_process(algo, g, opts, tmp_path / "one")
        out = tmp_path / algo
        herd("run", algo, g, *opts, "--master", client_addr(cluster), "--workers", 2,
             "--partitions", PARTS, "--output", out)
        assert out.read_text() == want, f"{algo} differs"
    for wid in ("w0", "w1"):
        assert loads(cluster, wid, PARTIAL) >= 2 and loads(cluster, wid, WHOLE) == 0


def test_a_worker_without_partitions_does_not_hold_the_barrier(cluster, tmp_path):
    """3 workers, 2 partitions: one worker owns nothing; the pull path's
    end-of-step markers and the checkpoints must not wait for it."""
    g = kron_hgr(tmp_path)
    start_workers(cluster, 3)
    for algo, opts in (("pagerank", ()), ("sssp", ("--source", 1))):
        fast = algo == "pagerank"
        want_path = tmp_path / f"{algo}-one"
        herd("run", algo, g, "--in-process", *([] if fast else ["--no-fast-path"]),
             "--partitions", 2, "--output", want_path, *opts)
        out = tmp_path / algo
        r = herd("run", algo, g, *opts, "--master", client_addr(cluster), "--workers", 3,
                 "--partitions", 2, "--checkpoint-every", 3, "--barrier-timeout-ms", 20000,
                 "--output", out)
        assert "0 recoveries" in r.stderr, r.stderr
        assert out.read_text() == want_path.read_text()
