"""`herd run` against reference answers: the LDBC-style p2p-31 references
shipped with the datasets, and igraph computed here on graphs of other shapes
(a road network, a generated power-law graph, a social graph).

Run: HERD_BIN=$PWD/build/herd /usr/bin/python3 -m pytest -q tests/proc/test_graph_ref.py
Datasets: ../shared/datasets relative to the repository root, or
$HERD_DATASETS; the tests skip when they are absent."""
import json
import lzma
import math
import os
import random
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERD = os.environ.get("HERD_BIN") or os.path.join(ROOT, "build", "herd")
DATA = os.environ.get("HERD_DATASETS") or os.path.join(ROOT, "..", "shared", "datasets")
INT64_MAX = 9223372036854775807

igraph = pytest.importorskip("igraph", reason="needs python3-igraph (/usr/bin/python3)")


def dataset(name):
    p = os.path.join(DATA, name)
    if not os.path.exists(p):
        pytest.skip(f"dataset {name} not found under {DATA}")
    return p


def herd(*args, ok=True):
    r = subprocess.run([HERD, *map(str, args)], capture_output=True, text=True, timeout=120)
    if ok:
        assert r.returncode == 0, f"herd {' '.join(map(str, args))}: {r.stderr}"
    return r


def run(algo, graph, *opts, tmp):
    """Runs herd and returns {input id: value string}, checking the output
    is one line per vertex ascending by id."""
    out = os.path.join(tmp, f"{os.path.basename(str(algo))}.out")
    r = herd("run", algo, graph, "--output", out, *opts)
    assert "vertices" in r.stderr and "supersteps" in r.stderr  # the summary line
    ids, res = [], {}
    with open(out) as f:
        for line in f:
            a, b = line.split()
            ids.append(int(a))
            res[int(a)] = b
    assert ids == sorted(ids) and len(ids) == len(res)
    return res


def read_ref(name):
    with open(dataset(name)) as f:
        return {int(a): b for a, b in (line.split() for line in f)}


def num(s):
    return math.inf if s == "infinity" else float(s)


def assert_exact(got, want):
    assert got.keys() == want.keys()
    bad = [k for k in want if num(got[k]) != num(want[k])]
    assert not bad, f"{len(bad)} differ, e.g. {bad[0]}: {got[bad[0]]} vs {want[bad[0]]}"


def assert_close(got, want, rel):
    assert got.keys() == want.keys()
    bad = [k for k in want if abs(num(got[k]) - num(want[k])) > rel * abs(num(want[k])) + 1e-300]
    assert not bad, f"{len(bad)} differ, e.g. {bad[0]}: {got[bad[0]]} vs {want[bad[0]]}"


def assert_same_partition(got, want):
    assert got.keys() == want.keys()
    fwd, back = {}, {}
    for k in want:
        assert fwd.setdefault(got[k], want[k]) == want[k]
        assert back.setdefault(want[k], got[k]) == got[k]


def assert_min_labels(got):
    """WCC labels are the smallest input id of each component."""
    smallest = {}
    for k, lab in got.items():
        smallest[lab] = min(smallest.get(lab, k), k)
    assert all(int(lab) == m for lab, m in smallest.items())


# --- p2p-31: the libgrape-lite / LDBC references --------------------------

P2P_CASES = [
    ("bfs", ["--undirected", "--source", 6], "p2p-31-BFS", "exact"),
    ("bfs", ["--directed", "--source", 6], "p2p-31-BFS-directed", "exact"),
    ("sssp", ["--undirected", "--source", 6], "p2p-31-SSSP", "exact"),
    ("sssp", ["--directed", "--source", 6], "p2p-31-SSSP-directed", "exact"),
    # min labels: range partitioning's (hash, the default for a distributed
    # text input, labels with the member of smallest dense id)
    ("wcc", ["--undirected", "--partitioning", "range"], "p2p-31-WCC", "partition"),
    ("wcc", ["--directed", "--no-fast-path", "--partitioning", "range"], "p2p-31-WCC",
     "partition"),
    ("pagerank", ["--undirected", "--iterations", 10], "p2p-31-PR", 1e-6),
    ("cdlp", ["--undirected", "--iterations", 10], "p2p-31-CDLP", "exact"),
    ("lcc", ["--undirected"], "p2p-31-LCC", 1e-6),
]


@pytest.mark.parametrize("algo,opts,ref,how", P2P_CASES,
                         ids=[f"{c[0]}-{c[2]}{'-msg' if '--no-fast-path' in c[1] else ''}"
                              for c in P2P_CASES])
def test_p2p31_reference(algo, opts, ref, how, tmp_path):
    got = run(algo, dataset("p2p-31.e"), *opts, tmp=tmp_path)
    want = read_ref(ref)
    if how == "exact":
        assert_exact(got, want)
    elif how == "partition":
        assert_same_partition(got, want)
        assert_min_labels(got)
    else:
        assert_close(got, want, how)
    if algo == "bfs":
        assert any(v == str(INT64_MAX) for v in got.values()) == \
            any(v == str(INT64_MAX) for v in want.values())


def test_p2p31_threads_and_paths_agree(tmp_path):
    g = dataset("p2p-31.e")
    one = run("pagerank", g, "--undirected", "--threads", 1, tmp=tmp_path)
    two = run("pagerank", g, "--undirected", "--threads", 2, tmp=tmp_path)
    assert one == two
    msg = run("pagerank", g, "--undirected", "--no-fast-path", tmp=tmp_path)
    assert_close(msg, one, 1e-12)


def check_coloring(col, edges, max_colors):
    assert all(col[u] != col[v] for u, v in edges if u != v)
    assert len(set(col.values())) <= max_colors


def test_p2p31_coloring(tmp_path):
    g = dataset("p2p-31.e")
    col = run("coloring", g, "--seed", 3, tmp=tmp_path)
    with open(g) as f:
        edges = [tuple(map(int, line.split()[:2])) for line in f]
    check_coloring(col, edges, 16)


# --- a road network (high diameter), against igraph -----------------------

@pytest.fixture(scope="module")
def road():
    """NY road graph: (path, igraph Graph with vertex i = input id i+1)."""
    path = dataset("NY.gr.xz")
    edges = []
    with lzma.open(path, "rt") as f:
        for line in f:
            if line[0] in "pc":
                n = int(line.split()[2]) if line[0] == "p" else None
                continue
            u, v = line.split()
            edges.append((int(u) - 1, int(v) - 1))
    return path, igraph.Graph(n=n, edges=edges, directed=False)


def test_road_bfs_sssp_wcc(road, tmp_path):
    path, g = road
    src = 1000
    dist = g.distances(source=src - 1)[0]
    bfs = run("bfs", path, "--undirected", "--source", src, tmp=tmp_path)
    assert len(bfs) == g.vcount()
    assert all(int(bfs[i + 1]) == d for i, d in enumerate(dist))
    sssp = run("sssp", path, "--undirected", "--source", src, tmp=tmp_path)
    assert all(float(sssp[i + 1]) == d for i, d in enumerate(dist))
    wcc = run("wcc", path, "--undirected", "--partitioning", "range", tmp=tmp_path)
    memb = g.connected_components().membership
    assert_same_partition(wcc, {i + 1: memb[i] for i in range(g.vcount())})
    assert set(wcc.values()) == {"1"}


def test_road_pagerank(road, tmp_path):
    path, g = road
    got = run("pagerank", path, "--undirected", "--iterations", 200, tmp=tmp_path)
    want = g.pagerank(damping=0.85)
    assert_close(got, {i + 1: repr(x) for i, x in enumerate(want)}, 1e-6)


# --- a power-law graph, against igraph ------------------------------------

@pytest.fixture(scope="module")
def powerlaw(tmp_path_factory):
    """A directed power-law multigraph with self-loops, no isolated vertices,
    written as a SNAP edge list: (path, igraph Graph with vertex i = id i).
    From `herd generate kronecker` when that exists, else from igraph."""
    d = tmp_path_factory.mktemp("powerlaw")
    path = str(d / "kron12.txt")
    r = subprocess.run([HERD, "generate", "kronecker", "--scale", "12", "--degree", "8",
                        "--seed", "5", "-o", path], capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(path):
        random.seed(12)
        g = igraph.Graph.Static_Power_Law(4096, 4096 * 8, exponent_out=2.2, exponent_in=2.2,
                                          loops=True, multiple=True)
        g.delete_vertices([v for v in range(g.vcount()) if g.degree(v) == 0])
        with open(path, "w") as f:
            f.write("# power-law test graph\n")
            f.writelines(f"{e.source}\t{e.target}\n" for e in g.es)
    edges = []
    with open(path) as f:
        for line in f:
            if line[0] not in "#%p":
                u, v = line.split()[:2]
                edges.append((int(u), int(v)))
    ids = sorted({x for e in edges for x in e})
    pos = {x: i for i, x in enumerate(ids)}
    g = igraph.Graph(n=len(ids), edges=[(pos[u], pos[v]) for u, v in edges], directed=True)
    g.vs["id"] = ids
    return path, g


def test_powerlaw_bfs_wcc(powerlaw, tmp_path):
    path, g = powerlaw
    ids = g.vs["id"]
    src = max(range(g.vcount()), key=lambda v: g.degree(v, mode="out"))
    dist = g.distances(source=src, mode="out")[0]
    bfs = run("bfs", path, "--source", ids[src], tmp=tmp_path)
    assert all(int(bfs[ids[i]]) == (INT64_MAX if d == math.inf else d)
               for i, d in enumerate(dist))
    wcc = run("wcc", path, "--partitioning", "range", tmp=tmp_path)
    memb = g.connected_components(mode="weak").membership
    assert_same_partition(wcc, {ids[i]: memb[i] for i in range(g.vcount())})
    assert_min_labels(wcc)


def test_powerlaw_pagerank_keeps_parallel_arcs_and_loops(powerlaw, tmp_path):
    path, g = powerlaw
    got = run("pagerank", path, "--iterations", 100, tmp=tmp_path)
    want = g.pagerank(damping=0.85, directed=True)
    assert_close(got, {g.vs[i]["id"]: repr(x) for i, x in enumerate(want)}, 1e-6)


def test_powerlaw_coloring_and_plugin(powerlaw, tmp_path):
    path, g = powerlaw
    ids = g.vs["id"]
    col = run("coloring", path, tmp=tmp_path)
    edges = [(ids[e.source], ids[e.target]) for e in g.es]
    check_coloring(col, edges, min(64, g.maxdegree() + 1))
    plugin = os.path.join(ROOT, "build", "examples", "degree-plugin", "degree.so")
    if not os.path.exists(plugin):
        pytest.skip("example plugin not built (make)")
    deg = run(plugin, path, tmp=tmp_path)
    assert all(int(deg[ids[i]]) == d for i, d in enumerate(g.degree(mode="all", loops=True)))


# --- a social graph: clustering, against igraph ---------------------------

def test_facebook_lcc(tmp_path):
    path = dataset("facebook_combined.txt")
    with open(path) as f:
        edges = [tuple(map(int, line.split())) for line in f if line.strip()]
    g = igraph.Graph(edges=edges, directed=False)
    want = g.transitivity_local_undirected(mode="zero")
    got = run("lcc", path, "--undirected", tmp=tmp_path)
    assert_close(got, {i: repr(x) for i, x in enumerate(want)}, 1e-9)


# --- the command line itself ----------------------------------------------

def test_help_states_policy():
    r = herd("run", "--help")
    assert "self-loop" in r.stdout and "duplicate" in r.stdout and "--simplify" in r.stdout
    for algo in ("bfs", "pagerank", "wcc", "cdlp", "lcc", "sssp", "coloring"):
        assert algo in r.stdout


def test_bad_input_is_answered(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n2 3\nthree 4\n")
    r = herd("run", "bfs", bad, "--source", 1, ok=False)
    assert r.returncode == 1 and f"{bad}:3:" in r.stderr
    good = tmp_path / "good.txt"
    good.write_text("1 2\n")
    r = herd("run", "bfs", good, "--source", 99, ok=False)
    assert r.returncode == 1 and "99" in r.stderr
    r = herd("run", "nosuchalgo", good, ok=False)
    assert r.returncode != 0 and "nosuchalgo" in r.stderr
    r = herd("run", "bfs", good, ok=False)
    assert r.returncode != 0 and "--source" in r.stderr
    r = herd("run", tmp_path / "missing.so", good, ok=False)
    assert r.returncode == 1 and "missing.so" in r.stderr
    notplugin = tmp_path / "x.so"
    notplugin.write_text("not an ELF file\n")
    r = herd("run", notplugin, good, ok=False)
    assert r.returncode == 1 and "x.so" in r.stderr


def test_workers_accepted_and_stats_written(tmp_path):
    good = tmp_path / "g.txt"
    good.write_text("1 2\n2 3\n3 1\n")
    stats = tmp_path / "stats.tsv"
    out = tmp_path / "out"
    events = tmp_path / "events.jsonl"
    r = herd("run", "bfs", good, "--source", 1, "--workers", 3, "--stats", stats,
             "--events", events, "--output", out)
    assert "3 workers" in r.stderr  # ran on an embedded local cluster of 3 workers
    assert out.read_text() == "1 0\n2 1\n3 2\n"
    rows = stats.read_text().splitlines()
    assert rows[0].startswith("superstep") and len(rows) == 1 + 4
    ev = [json.loads(line) for line in events.read_text().splitlines()]
    assert [e["kind"] for e in ev] == ["superstep"] * 4
    assert "step=3 " in ev[3]["info"]
