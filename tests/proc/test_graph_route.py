"""Routed loading of text inputs (docs/distributed.md "Loading"): under hash
partitioning each worker parses its byte range of the file and routes the
edges to their owners, holding only its partitions' rows. The results are
the same bytes as the one-process hash run with the same partition count,
for every algorithm and 2, 3 or 4 workers; sparse large ids and a .v-only
vertex; weights (SSSP); a malformed line fails the job with FILE:LINE and
the workers stay usable; a worker SIGKILLed mid-job (PageRank, with and
without checkpoints) gives the no-fault result.

Run: HERD_BIN=$PWD/build/herd /usr/bin/python3 -m pytest -q tests/proc/test_graph_route.py"""
import random
import re
import signal
import subprocess

import pytest

from cluster import HERD, Cluster, poll
from test_graph_dist import (client_addr, dataset, herd, graph_job, kill_at, start_workers,
                             wait_done)
from test_graph_hash import ALGOS, merge_parts, one_process_hash

PARTS = 12
ROUTED = "loaded the rows of my partitions by routing"
SHARE = re.compile(r"routed load, worker (\d+) of (\d+): my rows hold (\d+) of (\d+) arcs")


@pytest.fixture
def cluster():
    c = Cluster(heartbeat_ms=200)
    c.start_master()
    yield c
    c.close()


def routed_loads(c):
    return sum(w.text().count(ROUTED) for w in c.workers.values())


def run_hash(c, algo, graph, opts, workers, out, parts=PARTS):
    herd("run", algo, graph, *opts, "--partitioning", "hash", "--partitions", parts,
         "--master", client_addr(c), "--workers", workers, "--output", out)
    return out.read_text()


def test_routed_equals_one_process_with_2_3_4_workers(cluster, tmp_path):
    g = dataset("p2p-31.e")
    start_workers(cluster, 4)
    for algo, opts in ALGOS:
        want = one_process_hash(algo, g, opts, tmp_path / "one")
        for w in (2, 3, 4):
            before = routed_loads(cluster)
            got = run_hash(cluster, algo, g, opts, w, tmp_path / f"{algo}-{w}")
            assert got == want, f"{algo} {opts} with {w} workers differs"
            if algo != "lcc":  # LCC reads other vertices' rows: loaded whole
                assert routed_loads(cluster) - before == w, f"{algo}: not routed"


def test_a_worker_holds_only_its_share(cluster, tmp_path):
    """Each of 2 workers holds part of the arcs; together, all of them."""
    g = dataset("p2p-31.e")
    start_workers(cluster, 2)
    run_hash(cluster, "bfs", g, ("--source", 6), 2, tmp_path / "bfs")
    shares = []
    for w in cluster.workers.values():
        m = SHARE.findall(w.text())
        assert len(m) == 1, w.text()[-2000:]
        shares.append((int(m[0][2]), int(m[0][3])))
    m = shares[0][1]
    assert all(whole == m for _, whole in shares)
    assert all(0 < mine < m for mine, _ in shares)
    assert sum(mine for mine, _ in shares) == m


def test_sparse_large_ids_and_a_vertex_only_in_the_v_file(cluster, tmp_path):
    rnd = random.Random(31)
    ids = sorted(rnd.sample(range(10**15, 10**15 + 10**9), 400))
    lonely = ids.pop(200)
    (tmp_path / "s.v").write_text("".join(f"{i}\n" for i in sorted(ids + [lonely])))
    (tmp_path / "s.e").write_text("".join(f"{rnd.choice(ids)} {rnd.choice(ids)}\n"
                                          for _ in range(2500)))
    start_workers(cluster, 3)
    for algo, opts in (("pagerank", ()), ("wcc", ()), ("bfs", ("--source", ids[0])),
                       ("cdlp", ())):
        want = one_process_hash(algo, tmp_path / "s.e", opts, tmp_path / "one")
        got = run_hash(cluster, algo, tmp_path / "s.e", opts, 3, tmp_path / algo)
        assert got == want, f"{algo} differs"
        lines = [l.split() for l in got.splitlines()]
        assert [int(l[0]) for l in lines] == sorted(ids + [lonely])
        if algo == "wcc":
            assert dict(lines)[str(lonely)] == str(lonely)
    assert routed_loads(cluster) >= 4 * 3


def test_weighted_sssp(cluster, tmp_path):
    rnd = random.Random(5)
    g = tmp_path / "w.txt"
    g.write_text("".join(f"{rnd.randrange(10**12, 10**12 + 900)} "
                         f"{rnd.randrange(10**12, 10**12 + 900)} {rnd.randrange(1, 400) / 8}\n"
                         for _ in range(5000)))
    src = int(g.read_text().split()[0])
    start_workers(cluster, 3)
    for undirected in (False, True):
        opts = ("--source", src) + (("--undirected",) if undirected else ())
        want = one_process_hash("sssp", g, opts, tmp_path / "one")
        for w in (2, 3):
            assert run_hash(cluster, "sssp", g, opts, w, tmp_path / f"s{w}") == want
    assert "infinity" in want or len(want.splitlines()) > 800


def test_malformed_line_fails_the_job_with_its_line(cluster, tmp_path):
    g = tmp_path / "bad.txt"
    lines = [f"{i} {(i * 7) % 500}\n" for i in range(3000)]
    lines[2200] = "12 x\n"  # line 2201, in the last worker's range
    g.write_text("".join(lines))
    r = subprocess.run([HERD, "run", "bfs", str(g), "--in-process", "--source", "1"],
                       capture_output=True, text=True)
    assert r.returncode != 0
    want = re.search(r"\S*bad\.txt:2201: [^\n]*", r.stderr).group(0)
    start_workers(cluster, 3)
    r = subprocess.run([HERD, "run", "bfs", str(g), "--source", "1", "--partitioning", "hash",
                        "--master", client_addr(cluster), "--workers", "3",
                        "--output", str(tmp_path / "o")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode != 0 and want in r.stderr, r.stderr + "".join(w.text()[-3000:] for w in cluster.workers.values()) + cluster.master.text()[-3000:]
    ok = tmp_path / "ok.txt"  # the workers are still usable
    ok.write_text("".join(lines[:2200] + lines[2201:]))
    want = one_process_hash("bfs", ok, ("--source", 1), tmp_path / "one")
    assert run_hash(cluster, "bfs", ok, ("--source", 1), 3, tmp_path / "good") == want


def test_an_e_endpoint_missing_from_the_v_file_fails_with_its_line(cluster, tmp_path):
    """Graphalytics: the routed load checks every .e endpoint against the
    .v file like the one-process loader: same FILE:LINE and message, the
    lowest failing line when several ranges fail; the workers stay usable."""
    rnd = random.Random(8)
    ids = list(range(10**12, 10**12 + 700))
    (tmp_path / "m.v").write_text("".join(f"{i}\n" for i in ids))
    lines = [f"{rnd.choice(ids)} {rnd.choice(ids)}\n" for _ in range(4000)]
    lines[3500] = f"{ids[3]} 777\n"  # a target missing, in the last worker's range
    lines[2100] = f"888 {ids[5]}\n"  # a source missing, in the middle range: the lower line
    (tmp_path / "m.e").write_text("".join(lines))
    start_workers(cluster, 3)
    for bad in (2101, 3501):
        r = subprocess.run([HERD, "run", "wcc", str(tmp_path / "m.e"), "--in-process"],
                           capture_output=True, text=True)
        assert r.returncode != 0
        want = re.search(r"\S*m\.e:\d+: vertex \d+ is not listed in \S*m\.v", r.stderr).group(0)
        assert f"m.e:{bad}:" in want
        r = subprocess.run([HERD, "run", "wcc", str(tmp_path / "m.e"), "--partitioning", "hash",
                            "--master", client_addr(cluster), "--workers", "3",
                            "--output", str(tmp_path / "o")], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode != 0 and want in r.stderr, r.stderr
        lines[2100] = f"{ids[7]} {ids[5]}\n"  # then only the later line is wrong
        (tmp_path / "m.e").write_text("".join(lines))
    lines[3500] = f"{ids[3]} {ids[9]}\n"
    (tmp_path / "m.e").write_text("".join(lines))
    want = one_process_hash("wcc", tmp_path / "m.e", (), tmp_path / "one")
    assert run_hash(cluster, "wcc", tmp_path / "m.e", (), 3, tmp_path / "good") == want


def test_three_workers_two_partitions(cluster, tmp_path):
    """A worker that owns no partition still scans and routes its range."""
    g = dataset("p2p-31.e")
    start_workers(cluster, 3)
    for algo, opts in (("pagerank", ()), ("sssp", ("--source", 6))):
        want = one_process_hash(algo, g, opts, tmp_path / "one", parts=2)
        assert run_hash(cluster, algo, g, opts, 3, tmp_path / algo, parts=2) == want


@pytest.mark.parametrize("every", [0, 5])
def test_sigkill_a_worker_during_pagerank(cluster, tmp_path, every):
    g = dataset("p2p-Gnutella31.txt")
    # long enough that the kill lands mid-job even when the poller is slow
    # on a loaded machine (150 iterations were not, once in ~50 runs)
    opts = ("--iterations", 400)
    want = one_process_hash("pagerank", g, opts, tmp_path / "one", parts=16)
    start_workers(cluster, 3)
    jid = graph_job(cluster, tmp_path, "pagerank", g, 3, every,
                    {"iterations": 400, "partitioning": "hash"})
    kill_at(cluster, jid, [f"w{random.Random(every).randrange(3)}"], every + 12)
    j = wait_done(cluster, jid)
    assert j["recoveries"] >= 1 and j["workers"] == 2
    assert merge_parts(tmp_path / "out", 16) == want
    assert routed_loads(cluster) >= 3 + 2  # the first round, then the survivors'


@pytest.mark.parametrize("workers", [3, 2])
def test_sigkill_a_worker_while_it_scans(cluster, tmp_path, workers):
    """A worker SIGKILLed during the routed load (after its log says it
    scans, before its rows are built): the master's loss detection starts
    a new epoch and the survivors load again — routed among 2, or the
    whole graph for the last one — and the result is the no-fault one."""
    g = tmp_path / "k17.txt"
    herd("generate", "kronecker", "--scale", 17, "--degree", 16, "--seed", 3, "-o", g)
    opts = ("--iterations", 4)
    want = one_process_hash("pagerank", g, opts, tmp_path / "one", parts=16)
    start_workers(cluster, workers)
    jid = graph_job(cluster, tmp_path, "pagerank", g, workers, 0,
                    {"iterations": 4, "partitioning": "hash"})
    victim = cluster.workers["w1"]
    poll(lambda: "scanning my range" in victim.text(), 60, interval=0.002,
         what="w1 scanning its range")
    victim.signal(signal.SIGKILL)
    j = wait_done(cluster, jid, timeout=120)
    assert "loaded the rows of my partitions by routing" not in victim.text(), \
        "the kill landed after w1's load"
    assert j["recoveries"] >= 1 and j["workers"] == workers - 1
    assert merge_parts(tmp_path / "out", 16) == want
    if workers == 3:  # the survivors' second round was routed too
        assert sum(w.text().count(ROUTED) for n, w in cluster.workers.items() if n != "w1") >= 2


def mix64(x):
    m = (1 << 64) - 1
    x ^= x >> 30
    x = (x * 0xbf58476d1ce4e5b9) & m
    x ^= x >> 27
    x = (x * 0x94d049bb133111eb) & m
    return x ^ (x >> 31)


def test_hash_is_the_default_for_text_and_range_for_hgr(cluster, tmp_path):
    """No --partitioning: a text input is routed under hash (same bytes as
    the in-process hash run; WCC labels each component with its member of
    smallest dense id: lowest partition, then smallest id in it); a .hgr
    input keeps range and its partial reads."""
    g = dataset("p2p-31.e")
    start_workers(cluster, 2)
    parts = 16  # the default for 2 workers: max(16, 2 x workers)
    for algo, opts in (("pagerank", ()), ("wcc", ())):
        want = one_process_hash(algo, g, opts, tmp_path / "one", parts=parts)
        before = routed_loads(cluster)
        out = tmp_path / algo
        herd("run", algo, g, *opts, "--master", client_addr(cluster), "--workers", 2,
             "--output", out)
        assert out.read_text() == want and routed_loads(cluster) - before == 2
    labels = dict(map(int, l.split()) for l in (tmp_path / "wcc").read_text().splitlines())
    comps = {}
    for v, lab in labels.items():
        comps.setdefault(lab, []).append(v)
    for lab, members in comps.items():
        assert lab == min(members, key=lambda v: (mix64(v) % parts, v))
    h = tmp_path / "p2p.hgr"
    herd("convert", g, h, "--format", "graphalytics")
    before = routed_loads(cluster)
    out = tmp_path / "wcc-hgr"
    herd("run", "wcc", h, "--master", client_addr(cluster), "--workers", 2, "--output", out)
    assert routed_loads(cluster) == before
    hgr = dict(map(int, l.split()) for l in out.read_text().splitlines())
    assert all(lab == min(v for v in hgr if hgr[v] == lab) for lab in set(hgr.values()))
