"""The master's memory bounds for finished jobs as `herd master` flags
(--keep-finished-jobs N, --keep-finished-for SECONDS), with real processes:
the count bound holds as jobs finish, the age bound empties memory after its
time and not before, evicted jobs are still answered (from the journal), the
defaults keep a short run's jobs, and bad values are refused."""
import subprocess
import time

from cluster import HERD, Cluster, poll


def one_task_jobs(c, n):
    ids = []
    for i in range(n):
        jid = c.submit({"tasks": [{"argv": ["/bin/sh", "-c", f"echo evict-{i}"]}]})
        assert c.wait_job(jid, 20)["state"] == "succeeded"
        ids.append(jid)
    return ids


def test_count_and_age_bounds_take_effect_and_evicted_jobs_still_answer():
    c = Cluster(heartbeat_ms=200)
    c.start_master(extra=["--keep-finished-jobs", "3", "--keep-finished-for", "3"])
    try:
        c.start_worker("w", cores=2)
        poll(lambda: c.ready_workers() == ["w"], 10, what="worker ready")
        ids = one_task_jobs(c, 8)
        last_done = time.monotonic()
        st = c.stats()
        assert st["jobs_in_memory"] <= 3 and st["jobs_evicted"] >= 5, st
        st = poll(lambda: (lambda s: s if s["jobs_evicted"] == 8 else None)(c.stats()), 10,
                  interval=0.1, what="the age bound to evict every finished job")
        assert time.monotonic() - last_done >= 2.0, "evicted before --keep-finished-for"
        assert st["jobs_in_memory"] == 0
        assert c.job(ids[0])["state"] == "succeeded"  # answered from the journal
        code, out = c.http("GET", f"/v1/jobs/{ids[-1]}/tasks/0/stdout")
        assert code == 200 and out["data"].strip() == "evict-7"
        assert "finished jobs in memory: the newest 3, each for at most 3 s" in c.master.text()
    finally:
        c.close()


def test_defaults_keep_a_short_runs_jobs():
    c = Cluster(heartbeat_ms=200)
    c.start_master()
    try:
        c.start_worker("w", cores=2)
        poll(lambda: c.ready_workers() == ["w"], 10, what="worker ready")
        one_task_jobs(c, 5)
        st = c.stats()
        assert st["jobs_evicted"] == 0 and st["jobs_in_memory"] == 5, st
    finally:
        c.close()


def test_bad_values_are_refused():
    for flag, value in [("--keep-finished-jobs", "0"), ("--keep-finished-jobs", "many"),
                        ("--keep-finished-for", "0"), ("--keep-finished-for", "1.5")]:
        r = subprocess.run([HERD, "master", flag, value, "--listen", "127.0.0.1:0"],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and "bad arguments" in r.stderr, (flag, value, r.stderr)
    r = subprocess.run([HERD, "master", "--help"], capture_output=True, text=True, timeout=10)
    assert "--keep-finished-jobs" in r.stdout and "--keep-finished-for" in r.stdout


def test_finished_graph_jobs_are_evicted_and_still_answer(tmp_path):
    """The same bounds hold for graph jobs: with --keep-finished-jobs 2, after
    five small graph jobs at most two finished ones are listed (the list
    shows what is in memory), and every job, evicted or not, still answers
    GET /v1/graph-jobs/{id} with its final state and supersteps (rebuilt
    from the journal)."""
    g = tmp_path / "ring.el"
    g.write_text("".join(f"{v} {(v + 1) % 40}\n" for v in range(40)))
    c = Cluster(heartbeat_ms=200)
    c.start_master(extra=["--keep-finished-jobs", "2", "--keep-finished-for", "600"])
    try:
        c.start_worker("w", cores=2)
        poll(lambda: c.ready_workers() == ["w"], 10, what="worker ready")
        ids, steps = [], {}
        for i in range(5):
            code, body = c.http("POST", "/v1/graph-jobs", {
                "algo": "pagerank", "graph": str(g), "format": "snap", "workers": 1,
                "iterations": 3 + i, "output_dir": str(tmp_path / f"out{i}")})
            assert code == 201, body
            jid = body["id"]
            j = poll(lambda: (lambda j: j if j["state"] in ("done", "failed") else None)(
                c.http("GET", f"/v1/graph-jobs/{jid}")[1]), 30, what=f"graph job {jid}")
            assert j["state"] == "done", j
            ids.append(jid)
            steps[jid] = len(j["steps"])

        def listed():
            code, body = c.http("GET", "/v1/graph-jobs")
            got = [j["id"] for j in body["graph_jobs"]]
            return got if len(got) <= 2 else None
        got = poll(listed, 10, interval=0.1, what="finished graph jobs evicted to the bound")
        assert set(got) <= set(ids[-2:]), got
        for jid in ids:  # evicted ones too
            code, j = c.http("GET", f"/v1/graph-jobs/{jid}")
            assert code == 200 and j["state"] == "done", j
            assert len(j["steps"]) == steps[jid] and steps[jid] > 0
        assert c.http("GET", f"/v1/graph-jobs/{ids[-1] + 1000}")[0] == 404
    finally:
        c.close()
