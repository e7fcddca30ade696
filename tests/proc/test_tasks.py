"""Task-farm acceptance tests with real processes on loopback: staging of
inputs and outputs, timeouts killing process groups, retries, dependants of
failed tasks, worker loss, cancel."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import urllib.request

import pytest

from cluster import HERD, Cluster, poll


@pytest.fixture
def cluster():
    c = Cluster()
    yield c
    c.close()


def sh(script, **kw):
    t = {"argv": ["/bin/sh", "-c", script]}
    t.update(kw)
    return t


def get_raw(c, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{c.http_port}{path}", timeout=10) as r:
        return r.read()


def group_gone(pgid):
    try:
        os.killpg(pgid, 0)
        return False
    except ProcessLookupError:
        return True


def start(c, n, cores=2):
    c.start_master()
    for i in range(n):
        c.start_worker(f"w{i}", cores=cores)
    poll(lambda: len(c.ready_workers()) == n, 10, what=f"{n} workers")


def cli(c, *args, cwd=None, check=True, stdin=None):
    """Runs a herd client command against the cluster's master."""
    r = subprocess.run([HERD, args[0], "--master", f"127.0.0.1:{c.control_port}", *args[1:]],
                       capture_output=True, text=True, timeout=120, cwd=cwd, input=stdin)
    if check:
        assert r.returncode == 0, (args, r.returncode, r.stderr)
    return r


def client_dir(c):
    """A directory of the client's own, apart from the master's data."""
    d = c.path("client")
    os.makedirs(d, exist_ok=True)
    return d


def test_1000_tasks_stage_inputs_and_outputs(cluster):
    """herd submit --each --stage uploads each input (and the shared one
    once); the client's files are deleted before any task can run, so the
    master and workers must use the uploaded copies."""
    start(cluster, 3)
    cd = client_dir(cluster)
    with open(os.path.join(cd, "shared.txt"), "w") as f:
        f.write("shared-suffix\n")
    names = []
    for i in range(1000):
        names.append(f"in-{i}.txt")
        with open(os.path.join(cd, names[-1]), "w") as f:
            f.write(f"input number {i}\n")
    # hold the job until the inputs are gone: a first task everything depends on is
    # not expressible with --each, so pause the workers instead
    for w in cluster.workers.values():
        w.signal(signal.SIGSTOP)
    try:
        r = cli(cluster, "submit", "--each",
                "sh -c 'tr a-z A-Z < {} > {.}.out; cat data/shared >> {.}.out'",
                "--stage", "--input", "shared.txt=data/shared", "--output", "{.}.out",
                *names, cwd=cd)
    finally:
        for f in names + ["shared.txt"]:
            os.unlink(os.path.join(cd, f))
        for w in cluster.workers.values():
            w.signal(signal.SIGCONT)
    assert "uploaded 1001 files" in r.stderr, r.stderr
    jid = int(r.stdout)
    j = cluster.wait_job(jid, timeout=120)
    assert j["state"] == "succeeded", j
    for i in range(1000):
        got = get_raw(cluster, f"/v1/jobs/{jid}/tasks/{i}/files/in-{i}.out")
        assert got == f"INPUT NUMBER {i}\nshared-suffix\n".encode(), (i, got)
    # the shared file crossed once per worker: one cache entry, many links
    used = 0
    for w in ("w0", "w1", "w2"):
        cache = cluster.path(f"work-{w}/cache")
        names = [n for n in os.listdir(cache) if not n.startswith("tmp.")]
        used += any(os.stat(os.path.join(cache, n)).st_size == 14 for n in names)
    assert used >= 2


def test_spec_paths_staged_from_the_master(cluster):
    """A spec POSTed to the API names files on the master's machine."""
    start(cluster, 2)
    shared = cluster.path("shared.txt")
    with open(shared, "w") as f:
        f.write("shared-suffix\n")
    tasks = []
    for i in range(20):
        p = cluster.path(f"in-{i}.txt")
        with open(p, "w") as f:
            f.write(f"input number {i}\n")
        tasks.append(sh("tr a-z A-Z < in.txt > out.txt; cat data/shared >> out.txt",
                        inputs=[{"path": p, "name": "in.txt"},
                                {"path": shared, "name": "data/shared"}],
                        outputs=["out.txt"]))
    jid = cluster.submit({"tasks": tasks})
    assert cluster.wait_job(jid, timeout=60)["state"] == "succeeded"
    for i in range(20):
        got = get_raw(cluster, f"/v1/jobs/{jid}/tasks/{i}/files/out.txt")
        assert got == f"INPUT NUMBER {i}\nshared-suffix\n".encode(), (i, got)


def test_cli_spec_file_uploads_and_fetch(cluster):
    """herd submit SPEC.json uploads the paths the spec names (relative to
    the current directory); herd fetch gets one output or all of them."""
    start(cluster, 1)
    cd = client_dir(cluster)
    with open(os.path.join(cd, "a.txt"), "w") as f:
        f.write("alpha\n")
    spec = {"tasks": [sh("mkdir -p sub; rev a.txt > sub/r.txt; wc -c < a.txt > n.txt",
                         name="rev", inputs=["a.txt"], outputs=["sub/r.txt", "n.txt"])]}
    with open(os.path.join(cd, "job.json"), "w") as f:
        json.dump(spec, f)
    jid = int(cli(cluster, "submit", "job.json", cwd=cd).stdout)
    os.unlink(os.path.join(cd, "a.txt"))
    assert cli(cluster, "wait", str(jid), "-q").returncode == 0
    r = cli(cluster, "fetch", str(jid), "rev", "sub/r.txt", "-o", "-")
    assert r.stdout == "ahpla\n"
    cli(cluster, "fetch", str(jid), "0", "-o", "all", cwd=cd)
    with open(os.path.join(cd, "all/sub/r.txt")) as f:
        assert f.read() == "ahpla\n"
    with open(os.path.join(cd, "all/n.txt")) as f:
        assert f.read().strip() == "6"
    cli(cluster, "fetch", str(jid), "0", "n.txt", cwd=cd)
    assert os.path.exists(os.path.join(cd, "n.txt"))
    r = cli(cluster, "fetch", str(jid), "0", "nope.txt", check=False)
    assert r.returncode == 1 and "nope.txt" in r.stderr


def test_cli_missing_input_submits_nothing(cluster):
    start(cluster, 1)
    r = cli(cluster, "submit", "--each", "cat {}", "--stage", "no-such-file",
            cwd=client_dir(cluster), check=False)
    assert r.returncode == 1 and "no-such-file" in r.stderr
    assert cluster.http("GET", "/v1/jobs")[1]["jobs"] == []


def test_cli_function_tasks_and_plugin_upload(cluster):
    start(cluster, 2)
    so = os.path.join(os.path.dirname(__file__), "../../build/examples/task-plugin/tasks.so")
    if not os.path.exists(so):
        pytest.skip("example plugin not built")
    cd = client_dir(cluster)
    shutil.copy(so, os.path.join(cd, "p.so"))
    r = cli(cluster, "submit", "--function", "sum", "--plugin", "p.so", "--payload", "abc",
            "--count", "50", "--wait", cwd=cd)
    jid = int(r.stdout.split()[0])
    assert cluster.job(jid)["succeeded"] == 50
    assert cli(cluster, "logs", str(jid), "49").stdout == f"{97 + 98 + 99}\n"
    # --each with --function: one call per input, the payload is the template
    r = cli(cluster, "submit", "--function", "sum", "--plugin", "p.so", "--each", "{}{}",
            "--wait", "A", "B", cwd=cd)
    jid = int(r.stdout.split()[0])
    assert cli(cluster, "logs", str(jid), "B").stdout == "132\n"


def test_cli_retry_on(cluster):
    start(cluster, 1)
    r = cli(cluster, "submit", "--retries", "2", "--retry-on", "lost,timeout", "--wait", "-q",
            "--", "sh", "-c", "exit 3", check=False)
    assert r.returncode == 1
    jid = int(r.stdout.split()[0])
    assert cluster.tasks(jid)[0]["attempts"] == 1
    r = cli(cluster, "submit", "--retries", "2", "--retry-on", "failed", "--wait", "-q",
            "--", "sh", "-c", "exit 3", check=False)
    jid = int(r.stdout.split()[0])
    assert cluster.tasks(jid)[0]["attempts"] == 3
    r = cli(cluster, "submit", "--retry-on", "sometimes", "--", "true", check=False)
    assert r.returncode == 2 and "--retry-on" in r.stderr


def test_timeout_kills_process_group_and_retries(cluster):
    start(cluster, 1)
    marks = cluster.path("pids")
    os.mkdir(marks)
    script = f"sleep 60 & echo $$ > {marks}/$HERD_ATTEMPT; wait"
    jid = cluster.submit({"retries": 2, "tasks": [sh(script, timeout=0.3)]})
    j = cluster.wait_job(jid, timeout=30)
    assert j["state"] == "failed", j
    t = cluster.tasks(jid)[0]
    assert t["attempts"] == 3
    pids = [int(open(os.path.join(marks, n)).read()) for n in os.listdir(marks)]
    assert len(pids) == 3
    for pgid in pids:
        poll(lambda: group_gone(pgid), 5, what=f"process group {pgid} gone")
    code, body = cluster.http("GET", f"/v1/jobs/{jid}/tasks/0/attempts")
    assert code == 200 and len(body["attempts"]) == 3


def test_retry_on_excludes_failures(cluster):
    start(cluster, 1)
    jid = cluster.submit({"retries": 3, "retry_on": ["lost"],
                          "tasks": [sh("echo oops >&2; exit 4")]})
    j = cluster.wait_job(jid, timeout=30)
    assert j["state"] == "failed"
    assert cluster.tasks(jid)[0]["attempts"] == 1
    code, body = cluster.http("GET", f"/v1/jobs/{jid}/tasks/0/attempts")
    assert body["attempts"][0]["stderr"] == "oops\n"


def test_failed_task_dependants_never_run(cluster):
    start(cluster, 1)
    mark = cluster.path("ran")
    jid = cluster.submit({"retries": 0, "tasks": [
        sh("exit 1", name="a"),
        sh(f"touch {mark}", deps=["a"], name="b"),
        sh(f"touch {mark}", deps=["b"])]})
    j = cluster.wait_job(jid, timeout=30)
    assert j["state"] == "failed"
    assert [t["state"] for t in cluster.tasks(jid)] == ["failed", "dep_failed", "dep_failed"]
    assert not os.path.exists(mark)


def test_worker_killed_mid_job_every_result_once(cluster):
    start(cluster, 3)
    jid = cluster.submit({"tasks": [sh("sleep 0.05; echo $HERD_ATTEMPT") for _ in range(300)]})
    poll(lambda: cluster.job(jid)["succeeded"] >= 30, 30, what="some progress")
    cluster.workers["w1"].signal(signal.SIGKILL)
    j = cluster.wait_job(jid, timeout=90)
    assert j["state"] == "succeeded", j
    db = sqlite3.connect(cluster.path("data/journal.db"))
    rows = db.execute("SELECT COUNT(*), COUNT(DISTINCT task_id) FROM results r JOIN tasks t"
                      " ON r.task_id = t.id WHERE t.job_id = ?", (jid,)).fetchone()
    assert rows == (300, 300)
    assert cluster.stats()["results_accepted"] == 300


def test_cancel_stops_running_tasks(cluster):
    start(cluster, 2)
    marks = cluster.path("pids")
    os.mkdir(marks)
    jid = cluster.submit({"tasks": [sh(f"echo $$ > {marks}/$HERD_ATTEMPT; exec sleep 60")
                                    for _ in range(4)]})
    poll(lambda: len(os.listdir(marks)) == 4, 20, what="4 tasks running")
    pids = [int(open(os.path.join(marks, n)).read()) for n in os.listdir(marks)]
    code, body = cluster.http("POST", f"/v1/jobs/{jid}/cancel")
    assert code == 200 and body["state"] == "canceled"
    for pid in pids:
        poll(lambda: group_gone(pid), 10, what=f"task {pid} gone")


def test_function_tasks_with_shipped_plugin(cluster):
    start(cluster, 2)
    so = os.path.join(os.path.dirname(__file__), "../../build/examples/task-plugin/tasks.so")
    if not os.path.exists(so):
        pytest.skip("example plugin not built")
    so = os.path.abspath(so)
    tasks = [{"function": "sum", "plugin": so, "payload": "AQID"} for _ in range(500)]
    tasks.append({"function": "nope", "plugin": so})
    jid = cluster.submit({"retries": 0, "tasks": tasks})
    j = cluster.wait_job(jid, timeout=30)
    assert j["succeeded"] == 500 and j["failed"] == 1
    code, body = cluster.http("GET", f"/v1/jobs/{jid}/tasks/7/stdout")
    assert code == 200 and body["data"] == "6\n"


def sandboxes(d):
    """Attempt sandboxes (empty ones kept for reuse are named .free-N)."""
    return [n for n in os.listdir(d) if not n.startswith(".free-")]


def test_sandboxes_removed_after_success_kept_after_failure(cluster):
    start(cluster, 1)
    jid = cluster.submit({"retries": 0, "tasks": [
        sh("mkdir -p d; echo ok > d/out.txt; chmod 500 d", outputs=["d/out.txt"]),
        sh("echo kept > note.txt; exit 2")]})
    assert cluster.wait_job(jid, timeout=30)["state"] == "failed"
    failed = cluster.http("GET", f"/v1/jobs/{jid}/tasks/1/attempts")[1]["attempts"][0]["id"]
    boxes = cluster.path("work-w0/sandbox")
    poll(lambda: sandboxes(boxes) == [str(failed)], 10, what="only the failed sandbox left")
    with open(os.path.join(boxes, str(failed), "note.txt")) as f:
        assert f.read() == "kept\n"
    # the succeeded task's output outlived its sandbox
    f = cluster.http("GET", f"/v1/jobs/{jid}/tasks/0/files")[1]["files"][0]
    assert f["name"] == "d/out.txt"
    assert get_raw(cluster, f"/v1/blobs/{f['sha256']}") == b"ok\n"


def test_keep_sandboxes_none(cluster):
    cluster.start_master()
    cluster.start_worker("w0", extra=["--keep-sandboxes", "none"])
    poll(lambda: len(cluster.ready_workers()) == 1, 10, what="worker")
    jid = cluster.submit({"retries": 0, "tasks": [sh("touch x; exit 1")]})
    assert cluster.wait_job(jid, timeout=30)["state"] == "failed"
    boxes = cluster.path("work-w0/sandbox")
    poll(lambda: sandboxes(boxes) == [], 10, what="no sandbox left")


def test_large_outputs_paced_over_the_window(cluster):
    """Outputs over the worker's upload window (4 MiB) go out as the
    connection drains; each RESULT still follows its blobs."""
    start(cluster, 1)
    n = 20_000_000
    jid = cluster.submit({"tasks": [sh(f"yes 0123456789 | head -c {n} > big.txt; echo {i} > i.txt",
                                       outputs=["big.txt", "i.txt"]) for i in range(3)]})
    assert cluster.wait_job(jid, timeout=60)["state"] == "succeeded"
    want = (b"0123456789\n" * (n // 11 + 1))[:n]
    for i in range(3):
        assert get_raw(cluster, f"/v1/jobs/{jid}/tasks/{i}/files/big.txt") == want
        assert get_raw(cluster, f"/v1/jobs/{jid}/tasks/{i}/files/i.txt") == f"{i}\n".encode()
