"""Hash partitioning (`--partitioning hash`, spec field "partitioning"):
vertices go to partition mix64(id) mod P and are numbered partition-major
(docs/distributed.md "Partitions"). A hash run on 2, 3 or 4 workers gives
the same bytes as the one-process hash run with the same P; the results
match the p2p-31 references; a run that loses a worker still does; the
merged output is one file ascending by input id.

Run: HERD_BIN=$PWD/build/herd /usr/bin/python3 -m pytest -q tests/proc/test_graph_hash.py"""
import os
import random
import subprocess

import pytest

from cluster import HERD, Cluster, poll
from test_graph_dist import (client_addr, dataset, herd, chain_graph, graph_job, kill_at,
                             start_workers, wait_done)

PARTS = 12


@pytest.fixture
def cluster():
    c = Cluster(heartbeat_ms=200)
    c.start_master()
    yield c
    c.close()


def one_process_hash(algo, graph, opts, out, parts=PARTS):
    fast = algo == "pagerank" and "--no-fast-path" not in opts
    herd("run", algo, graph, "--in-process", *([] if fast else ["--no-fast-path"]),
         "--partitioning", "hash", "--partitions", parts, "--output", out, *opts)
    text = open(out).read()
    ids = [int(line.split()[0]) for line in text.splitlines()]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    return text


def merge_parts(d, n):
    """What the client's k-way merge must give: every part ascending by id,
    then all lines by id."""
    lines = []
    for p in range(n):
        part = open(os.path.join(d, f"part-{p:05d}")).read().splitlines()
        ids = [int(x.split()[0]) for x in part]
        assert ids == sorted(ids), f"part {p} is not ascending by id"
        lines += part
    return "".join(x + "\n" for x in sorted(lines, key=lambda x: int(x.split()[0])))


ALGOS = [("pagerank", ()), ("pagerank", ("--no-fast-path",)), ("bfs", ("--source", 6)),
         ("sssp", ("--source", 6)), ("wcc", ()), ("cdlp", ()), ("lcc", ()), ("coloring", ())]


def test_hash_equals_one_process_with_2_3_4_workers(cluster, tmp_path):
    g = dataset("p2p-31.e")
    start_workers(cluster, 4)
    for algo, opts in ALGOS:
        want = one_process_hash(algo, g, opts, tmp_path / "one")
        herd("run", algo, g, "--in-process", "--no-fast-path", "--partitions", PARTS,
                   "--output", tmp_path / "range", *opts)
        if algo in ("bfs", "sssp", "cdlp", "lcc"):  # id-independent results: same bytes
            assert (tmp_path / "range").read_text() == want, algo
        for w in (2, 3, 4):
            out = tmp_path / f"{algo}-{w}"
            herd("run", algo, g, *opts, "--partitioning", "hash", "--partitions", PARTS,
                 "--master", client_addr(cluster), "--workers", w, "--output", out)
            assert out.read_text() == want, f"{algo} {opts} with {w} workers differs"


def test_hash_matches_p2p31_references(cluster, tmp_path):
    g = dataset("p2p-31.e")
    start_workers(cluster, 3)

    def run(algo, *opts):
        out = tmp_path / algo
        herd("run", algo, g, *opts, "--partitioning", "hash", "--partitions", 8, "--master",
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
    got, want = run("wcc", "--undirected"), ref("p2p-31-WCC")
    groups = {}
    for k in want:  # the same partition into components (labels may differ)
        groups.setdefault(want[k], set()).add(got[k])
    assert got.keys() == want.keys() and all(len(s) == 1 for s in groups.values())
    assert len({next(iter(s)) for s in groups.values()}) == len(groups)


@pytest.mark.parametrize("every", [0, 5])
def test_hash_survives_a_lost_worker(cluster, tmp_path, every):
    g = tmp_path / "chain.txt"
    chain_graph(g, 600, 7 + every)
    want = one_process_hash("sssp", g, ("--source", 0), tmp_path / "one", parts=16)
    start_workers(cluster, 3)
    jid = graph_job(cluster, tmp_path, "sssp", g, 3, every,
                    {"source": 0, "partitioning": "hash"})
    kill_at(cluster, jid, [f"w{random.Random(every).randrange(3)}"], every + 20)
    j = wait_done(cluster, jid)
    assert j["recoveries"] >= 1 and j["workers"] == 2
    assert merge_parts(tmp_path / "out", 16) == want


def test_bad_partitioning_is_refused(cluster, tmp_path):
    code, body = cluster.http("POST", "/v1/graph-jobs",
                              {"algo": "bfs", "graph": "/nonexistent", "partitioning": "modulo",
                               "output_dir": str(tmp_path)})
    assert code == 400 and "partitioning" in str(body)
    r = subprocess.run([HERD, "run", "bfs", "x.e", "--partitioning", "modulo"],
                                     capture_output=True, text=True)
    assert r.returncode == 2 and "--partitioning" in r.stderr
