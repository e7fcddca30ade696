"""Distributed WCC (src/graph/algo/wcc.c, superstep path: a BFS from the
vertex of largest degree, then label propagation for the other components)
against the one-process union-find, which shares no code with it: with
several components, long ones (many supersteps in both phases), and a worker
SIGKILLed in either phase, with and without checkpoints (the BFS keeps its
state in aggregators, which a recovery must restore).

Run: HERD_BIN=$PWD/build/herd /usr/bin/python3 -m pytest -q tests/proc/test_wcc_dist.py"""
import random

import pytest

from test_graph_dist import (PARTS, cluster, graph_job, herd, kill_at, read_parts,  # noqa: F401
                             start_workers, wait_done)


def components_graph(path, seed):
    """Three components: three layers of 100 vertices hanging off a hub (a
    BFS of several supersteps), a long path whose ids run backwards (label
    propagation needs ~1,000 steps for it, so a fault lands before the end)
    and a small cycle holding the smallest ids; plus a self-loop and a
    duplicate arc. Arc directions are mixed: weak connectivity needs both."""
    rnd = random.Random(seed)
    hub, arcs = 500, []
    for layer in range(3):
        for v in range(100 + 100 * layer, 200 + 100 * layer):
            parent = hub if layer == 0 else rnd.randrange(100 * layer, 100 + 100 * layer)
            arcs.append((parent, v) if v % 2 else (v, parent))
            arcs.append((v, rnd.randrange(100 + 100 * layer, 200 + 100 * layer)))
    for v in range(1000, 2000):  # backward path 2000 -> 1999 -> ... -> 1000
        arcs.append((v + 1, v))
    arcs += [(1, 2), (2, 3), (3, 1), (2, 1), (7, 7), (1, 2), (7, 3)]
    rnd.shuffle(arcs)
    with open(path, "w") as f:
        f.writelines(f"{a} {b}\n" for a, b in arcs)


def union_find(graph, out):
    herd("run", "wcc", graph, "--in-process", "--output", out)
    with open(out) as f:
        return f.read()


def test_wcc_equals_union_find_local_cluster(tmp_path):
    g = tmp_path / "g.txt"
    components_graph(g, 1)
    want = union_find(g, tmp_path / "uf.txt")
    assert len(set(line.split()[1] for line in want.splitlines())) == 3
    for workers in (2, 3):
        out = tmp_path / f"d{workers}.txt"
        r = herd("run", "wcc", g, "--workers", workers, "--partitioning", "range",
                 "--output", out)
        assert "messages path, distributed" in r.stderr
        assert out.read_text() == want


# kills in the BFS (steps 1..~6) without and with a checkpoint taken inside
# it, and in the label propagation of the path (~1,000 steps)
@pytest.mark.parametrize("seed,every,step", [(1, 0, 3), (2, 2, 5), (3, 5, 40), (4, 0, 400)])
def test_wcc_worker_killed(cluster, tmp_path, seed, every, step):
    g = tmp_path / "g.txt"
    components_graph(g, seed)
    want = union_find(g, tmp_path / "uf.txt")
    start_workers(cluster, 3)
    jid = graph_job(cluster, tmp_path, "wcc", g, 3, every)
    kill_at(cluster, jid, [f"w{seed % 3}"], step)
    j = wait_done(cluster, jid)
    assert j["recoveries"] >= 1 and j["workers"] == 2
    assert read_parts(tmp_path / "out", PARTS) == want
