"""Task-farm benchmark (docs/benchmarks.md, "Task jobs"), every baseline in
the same run: no-op function tasks per second with 2 workers (vs Dask
LocalCluster with 2 workers), /bin/true command tasks per second (vs Work
Queue 9.9 with 2 workers and vs a bare posix_spawn loop in C), one task's
submit->result latency (herd measured by a C client, build/bench/latency;
Dask by its own client), dispatch rate with 1k vs 100k queued (the
acceptance line is judged on the steady-state part, `steady`; `queue` is
the older burst measurement), master memory per queued task. Run it
through bench/tasks_vs_dask.sh, which installs the baselines and builds
the C tools. Prints one line per measurement (min and median of RUNS runs)
and then the ratios.

Environment: RUNS (rounds, default 3), QRUNS (1k/100k burst pairs,
default 2 * RUNS), WQRUNS (Work Queue runs, default max(RUNS, 5)), QPAUSE
(idle seconds before the burst timing, default "0,1"), SRUNS, SSECS,
SWARM, SCHUNK (steady state: rounds, default 5; seconds per window,
default 3, and at least 10,000 results; seconds of feeding before each
window, default 1; tasks per submitted job, default 500), HERD_BIN_B (a
second herd binary whose master the steady part also measures, for an A/B
in the same run), SPROF (a profiler command run over each steady window,
"{pid}" and "{depth}" replaced), SVERBOSE (per-thread CPU and I/O per
task), BENCH (a comma list of parts to run: functions, latency, commands,
workqueue, dask, queue, steady; default all), HERD_BIN (the herd binary,
default build/herd)."""
import hashlib
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "proc"))
from cluster import Cluster, poll  # noqa: E402

RUNS = int(os.environ.get("RUNS", "3"))
PLUGIN = os.path.join(ROOT, "build/examples/task-plugin/tasks.so")
TOOLS = os.path.join(ROOT, "build/bench")
RESULTS = {}


def report(name, vals, unit, key=None):
    print(f"{name:50s} min {min(vals):10.3f}  median {statistics.median(vals):10.3f}  {unit}",
          flush=True)
    if key:
        RESULTS[key] = (min(vals), statistics.median(vals))


def run_job(c, tasks):
    t0 = time.perf_counter()
    jid = c.submit({"tasks": tasks})
    t1 = time.perf_counter()
    poll(lambda: c._final(jid), 300, interval=0.02)  # coarse: the poller shares 2 CPUs
    return t1 - t0, time.perf_counter() - t1


def start_master(c):
    """With port 0 the API goes on control port + 1, which another socket may
    hold by chance: try again."""
    for attempt in range(5):
        try:
            return c.start_master()
        except AssertionError:
            if attempt == 4:
                raise


def herd_cluster(cores, spawn=None):
    """A master and 2 workers; spawn="uv" makes the workers use uv_spawn
    (fork + exec, the runner before posix_spawn) for command tasks."""
    c = Cluster()
    start_master(c)
    old = os.environ.pop("HERD_SPAWN", None)
    if spawn:
        os.environ["HERD_SPAWN"] = spawn
    try:
        for i in range(2):
            c.start_worker(f"w{i}", cores=cores)
    finally:
        os.environ.pop("HERD_SPAWN", None)
        if old is not None:
            os.environ["HERD_SPAWN"] = old
    poll(lambda: len(c.ready_workers()) == 2, 10)
    return c


def bench_functions(c, n=20000):
    rates = []
    for _ in range(RUNS):
        _, run = run_job(c, [{"function": "noop", "plugin": PLUGIN} for _ in range(n)])
        rates.append(n / run)
    report(f"herd no-op function tasks, 2 workers ({n})", rates, "tasks/s", "herd_fn")


def upload_plugin(c):
    with open(PLUGIN, "rb") as f:
        data = f.read()
    sha = hashlib.sha256(data).hexdigest()
    req = urllib.request.Request(f"http://127.0.0.1:{c.http_port}/v1/blobs/{sha}", data=data,
                                 method="PUT")
    urllib.request.urlopen(req, timeout=10).read()
    return sha


def bench_latency(c, n=300):
    """C client: POST the job, then GET it until final, one kept-alive
    connection (bench/latency.c)."""
    spec = json.dumps({"tasks": [{"function": "noop", "plugin": "sha256:" + upload_plugin(c)}]})
    out = subprocess.check_output([os.path.join(TOOLS, "latency"),
                                   f"http://127.0.0.1:{c.http_port}", str(n), spec], text=True)
    lat = [float(x) for x in out.split()]
    report("herd submit->result, one function task (C)", lat, "ms", "herd_lat")


def spawn_rate(n, k):
    return float(subprocess.check_output([os.path.join(TOOLS, "spawn"), str(n), str(k)]))


def bench_commands(n=2000):
    """Paired rounds: in each, herd (posix_spawn), herd with uv_spawn (the
    runner before), the bare loop with 1 and with 2 children in flight, back
    to back, so that each round's ratios compare the same moment of this
    shared machine."""
    fast, uv = herd_cluster(cores=2), herd_cluster(cores=2, spawn="uv")
    rates = {"herd_cmd": [], "herd_cmd_uv": [], "spawn1": [], "spawn2": []}
    try:
        for _ in range(RUNS):
            rates["herd_cmd"].append(n / run_job(fast, [{"argv": ["/bin/true"]}] * n)[1])
            rates["spawn1"].append(spawn_rate(n, 1))
            rates["herd_cmd_uv"].append(n / run_job(uv, [{"argv": ["/bin/true"]}] * n)[1])
            rates["spawn2"].append(spawn_rate(n, 2))
    finally:
        fast.close()
        uv.close()
    names = {"herd_cmd": f"herd /bin/true command tasks, 2 workers x 2 ({n})",
             "herd_cmd_uv": "  the same with uv_spawn (HERD_SPAWN=uv)",
             "spawn1": "bare posix_spawn+wait of /bin/true, 1 in flight",
             "spawn2": "bare posix_spawn+wait of /bin/true, 2 in flight"}
    for k, v in rates.items():
        report(names[k], v, "tasks/s", k)
    for a, b, goal in (("herd_cmd", "spawn1", "(goal >= 0.75)"), ("herd_cmd", "spawn2", ""),
                       ("herd_cmd_uv", "spawn1", ""), ("herd_cmd", "herd_cmd_uv", "")):
        report(f"{a} / {b} (paired rounds)", [x / y for x, y in zip(rates[a], rates[b])], goal)


def bench_workqueue(n=500):
    """A Work Queue manager (its Python binding) with 2 work_queue_worker
    processes of 2 cores each, running /bin/true."""
    try:
        import work_queue as wq
    except ImportError:
        print("work queue: python3-workqueue not installed; skipped")
        return
    q = wq.WorkQueue(port=0)
    tmp = tempfile.mkdtemp(prefix="wq-bench-")
    ws = [subprocess.Popen(["work_queue_worker", "--cores", "2", "-s", tmp, "--single-shot",
                            "-t", "60", "127.0.0.1", str(q.port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        rates = []
        for _ in range(int(os.environ.get("WQRUNS", max(RUNS, 5)))):
            t0 = time.perf_counter()
            for _ in range(n):
                t = wq.Task("/bin/true")
                t.specify_cores(1)
                q.submit(t)
            while not q.empty():
                q.wait(1)
            rates.append(n / (time.perf_counter() - t0))
        report(f"work queue /bin/true tasks, 2 workers x 2 ({n})", rates, "tasks/s", "wq_cmd")
        print(f"{'work queue best of ' + str(len(rates)):50s} {max(rates):10.3f}  tasks/s",
              flush=True)
        RESULTS["wq_best"] = (max(rates), max(rates))
        lat = []
        for _ in range(20):
            t0 = time.perf_counter()
            q.submit(wq.Task("/bin/true"))
            while q.wait(1) is None:
                pass
            lat.append((time.perf_counter() - t0) * 1000)
        report("work queue submit->result, one /bin/true", lat, "ms", "wq_lat")
    finally:
        q.shutdown_workers(0)
        for w in ws:
            w.terminate()
            w.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bench_queue():
    """Memory per queued task, and dispatch rate with 1k vs 100k queued
    (QRUNS pairs, default 2 * RUNS: one pair takes a few seconds)."""
    c = Cluster()
    start_master(c)
    pid = c.master.p.pid
    before = rss_kb(pid)
    n = 100000
    for _ in range(n // 20000):
        c.submit({"tasks": [{"argv": ["/bin/true"]} for _ in range(20000)]})
    after = rss_kb(pid)
    print(f"{'master memory per queued task (100k queued)':45s} {(after - before) * 1024 / n:10.1f} bytes",
          flush=True)
    c.close()
    for pause in [int(x) for x in os.environ.get("QPAUSE", "0,1").split(",")]:
        rates = {1000: [], 100000: []}
        for _ in range(int(os.environ.get("QRUNS", 2 * RUNS))):
            for queued in rates:
                rates[queued].append(dispatch_rate(queued, pause=pause))
        when = "at once" if pause == 0 else f"after {pause} s idle"
        for queued, r in rates.items():
            report(f"dispatch rate, {queued} queued, {when}", r, "tasks/s",
                   f"dispatch{queued}-{pause}")
        r = [a / b for a, b in zip(rates[100000], rates[1000])]
        report(f"dispatch ratio 100k / 1k, {when} (paired)", r, "(goal >= 0.9)")
        # a 1k window lasts ~40 ms: one preemption of the master by another
        # process moves a single pair by 2x either way; the medians do not
        m = statistics.median(rates[100000]) / statistics.median(rates[1000])
        print(f"{'  ratio of the medians':50s} {m:10.3f}", flush=True)


def succeeded_times(c):
    """Wall-clock ms of each task's success, from the master's event log."""
    out = []
    with open(c.path("data", "events.jsonl"), "rb") as f:
        for line in f:
            if b'"kind":"task"' in line and b'"to":"succeeded"' in line:
                out.append(json.loads(line)["ts"])
    return out


def dispatch_rate(queued, n=999, pause=0):
    """Results per second over the first n + 1 results of `queued` queued tasks, with
    warm workers (connected, the plugin cached): the workers are stopped
    (SIGSTOP) while the tasks are queued, then continued and timed, at once
    or after `pause` seconds (the master idle: writing 100k submitted rows
    leaves the disk busy with write-back for a while). Timed from the first
    success to the (n+1)-th in the master's event log (ms): not from the
    SIGCONT, since how soon two stopped workers get a CPU back on this
    loaded machine (up to tens of ms) does not depend on the queue and was
    a large part of a 50 ms window. The poller that waits for the end asks
    every 20 ms, so that it does not take a CPU from the master it measures
    (polling every 0.5 ms did, and made the ratio noise)."""
    c = Cluster(lost_after=60)
    start_master(c)
    try:
        sha = upload_plugin(c)
        task = {"function": "noop", "plugin": "sha256:" + sha}
        for i in range(2):
            c.start_worker(f"w{i}", cores=8)
        poll(lambda: len(c.ready_workers()) == 2, 10)
        warm = c.submit({"tasks": [task] * 32})
        poll(lambda: c._final(warm), 30)
        base = c.stats().get("results_accepted", 0)
        for w in c.workers.values():
            w.signal(signal.SIGSTOP)
        left = queued
        while left > 0:
            k = min(left, 20000)
            c.submit({"tasks": [task] * k})
            left -= k
        time.sleep(pause)
        t0 = time.time() * 1000
        for w in c.workers.values():
            w.signal(signal.SIGCONT)
        poll(lambda: c.stats().get("results_accepted", 0) >= base + n + 1, 60, interval=0.02)
        # the master flushes its event log once per loop iteration
        ts = poll(lambda: (lambda v: v if len(v) >= base + n + 1 else None)(succeeded_times(c)),
                  10)
        assert ts[base] >= t0 - 1, "a success before the workers were continued"
        return n / max(ts[base + n] - ts[base], 1) * 1000
    finally:
        for w in c.workers.values():
            w.signal(signal.SIGCONT)
        c.close()


class Api:
    """One kept-alive HTTP connection to the master (the steady-state feeder
    polls every few ms: a new TCP connection per poll would cost the master
    an accept each time)."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None):
        hdr = {"Content-Type": "application/json"} if body is not None else {}
        self.conn.request(method, path, body=body, headers=hdr)
        r = self.conn.getresponse()
        data = r.read()
        assert r.status in (200, 201), (r.status, data[:200])
        return json.loads(data)

    def accepted(self):
        return self.call("GET", "/v1/health")["stats"].get("results_accepted", 0)

    def depth(self):
        """Unfinished tasks (pending, ready or running) as the master counts
        them, summed over its jobs."""
        jobs = self.call("GET", "/v1/jobs")["jobs"]
        return sum(j["pending"] + j["running"] for j in jobs if j["state"] == "running")

    def close(self):
        self.conn.close()


def cpu_ticks(pid):
    """{thread name: utime + stime in clock ticks} of each thread of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                st = f.read()
        except FileNotFoundError:
            continue
        name = st[st.index("(") + 1:st.rindex(")")]
        fields = st[st.rindex(")") + 2:].split()
        key = "loop" if tid == str(pid) else name
        out[key] = out.get(key, 0) + int(fields[11]) + int(fields[12])
    return out


def io_counts(pid):
    """{thread: {syscr, syscw, rchar, wchar}} from /proc/PID/task/TID/io."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/io") as f:
                kv = dict(line.split(": ") for line in f.read().splitlines())
        except (FileNotFoundError, PermissionError):
            continue
        key = "loop" if tid == str(pid) else "other"
        d = out.setdefault(key, {})
        for k in ("syscr", "syscw", "rchar", "wchar"):
            d[k] = d.get(k, 0) + int(kv[k])
    return out


class Steady:
    """A cluster (a master and 2 workers with 8 slots, no-op function tasks)
    whose queue a feeder holds near `depth`: whenever the master's
    unfinished count (tasks submitted - results accepted, the latter from
    GET /v1/health, polled every 5 ms on one kept-alive connection) is below
    `depth`, it submits another job of `chunk` tasks. pause() stops the
    master and its workers (SIGSTOP), resume() continues them, so that
    several such clusters can be measured in turns on the same machine.
    master_bin runs another herd binary as the master (A/B runs)."""

    def __init__(self, depth, chunk=500, master_bin=None):
        import cluster as cl_mod
        self.depth, self.chunk, self.submitted = depth, chunk, 0
        self.c = Cluster(lost_after=600, heartbeat_ms=1000)
        saved = cl_mod.HERD
        if master_bin:
            cl_mod.HERD = master_bin
        try:
            start_master(self.c)
        finally:
            cl_mod.HERD = saved
        self.api = None
        sha = upload_plugin(self.c)
        task = {"function": "noop", "plugin": "sha256:" + sha}
        self.body = json.dumps({"tasks": [task] * chunk}).encode()
        for i in range(2):
            self.c.start_worker(f"w{i}", cores=8)
        poll(lambda: len(self.c.ready_workers()) == 2, 10)
        warm = self.c.submit({"tasks": [task] * 32})
        poll(lambda: self.c._final(warm), 30)
        self.api = Api(self.c.http_port)
        self.base = self.api.accepted()
        self.pid = self.c.master.p.pid
        self.feed()

    def feed(self):
        """Tops the queue up; returns (results so far, depth before)."""
        done = self.api.accepted() - self.base
        low = self.submitted - done
        while self.submitted - done < self.depth:
            self.api.call("POST", "/v1/jobs", self.body)
            self.submitted += self.chunk
        return done, low

    def run_for(self, secs):
        end = time.monotonic() + secs
        while time.monotonic() < end:
            self.feed()
            time.sleep(0.005)

    def procs(self):
        return [self.c.master] + list(self.c.workers.values())

    def pause(self):
        for p in self.procs():
            p.signal(signal.SIGSTOP)

    def resume(self):
        for p in self.procs():
            p.signal(signal.SIGCONT)

    def window(self, secs, min_results=10000):
        """Feeds and measures for at least secs seconds and min_results
        results: the rate, the depth the feeder saw (min, mean) and the
        master's own count (GET /v1/jobs, outside the window: it reads the
        journal for every job, 7 % of the master's CPU over a window when
        asked inside it with 100k queued), the master's CPU per 1,000 tasks
        (all threads, and the loop thread), load average."""
        seen = [self.api.depth()]
        self.feed()
        pid = self.pid
        cpu0, load0, io0 = cpu_ticks(pid), os.getloadavg()[0], io_counts(pid)
        prof = None
        if os.environ.get("SPROF"):  # e.g. "perf record -g -t {pid} -o /tmp/p-{depth}"
            cmd = os.environ["SPROF"].format(pid=pid, depth=self.depth)
            prof = subprocess.Popen(cmd.split(), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        d0, q = self.feed()
        t0 = time.monotonic()
        qs = [q]
        while True:
            time.sleep(0.005)
            done, q = self.feed()
            qs.append(q)
            now = time.monotonic()
            if now - t0 >= secs and done - d0 >= min_results:
                break
        cpu1, io1 = cpu_ticks(pid), io_counts(pid)
        seen.append(self.api.depth())
        if prof:
            prof.send_signal(signal.SIGINT)
            prof.wait()
        n = done - d0
        hz = os.sysconf("SC_CLK_TCK")
        per_k = lambda k: (cpu1.get(k, 0) - cpu0.get(k, 0)) / hz * 1000 / n * 1000  # noqa: E731
        total = sum(cpu1.values()) - sum(cpu0.values())
        return {"rate": n / (now - t0), "n": n, "qmin": min(qs), "qmean": statistics.mean(qs),
                "low": sum(q < self.depth / 2 for q in qs) / len(qs),
                "master_min": min(seen), "cpu_ms": total / hz * 1000 / n * 1000,
                "loop_ms": per_k("loop"), "load": (load0 + os.getloadavg()[0]) / 2,
                "threads": {k: round(per_k(k), 1) for k in cpu1 if per_k(k) >= 0.1},
                "io": {t: {k: round((v - io0.get(t, {}).get(k, 0)) / n, 2) for k, v in d.items()}
                       for t, d in io1.items()}}

    def close(self):
        self.resume()
        if self.api:
            self.api.close()
        self.c.close()
        if not os.environ.get("SKEEP"):  # a cluster leaves a journal of 100-300 MB
            shutil.rmtree(self.c.dir, ignore_errors=True)


def bench_steady():
    """Dispatch rate with ~1k vs ~100k queued, in the steady state: one
    Steady cluster per depth (and per master binary: HERD_BIN_B adds a
    second master, e.g. main's, for an A/B in the same run), all alive at
    once but only one running at a time (the others SIGSTOPped). SRUNS
    rounds (default 5); in each, every cluster in turn (the order flips
    every round) is continued, fed for SWARM s (default 1) and measured
    for SSECS s (default 3; at least 10,000 results), then stopped again.
    Short alternation makes a pair see the same moment of this shared
    machine; each window is still thousands of results long. Prints every
    window, then min and median of the rates, of the paired ratios
    100k / 1k and of the master's CPU per 1,000 tasks."""
    rounds = int(os.environ.get("SRUNS", "5"))
    secs = float(os.environ.get("SSECS", "3"))
    warm = float(os.environ.get("SWARM", "1"))
    chunk = int(os.environ.get("SCHUNK", "500"))
    bins = {"A": None}
    if os.environ.get("HERD_BIN_B"):
        bins["B"] = os.environ["HERD_BIN_B"]
    keys = [(b, d) for b in bins for d in (1000, 100000)]
    clusters, res = {}, {k: [] for k in keys}
    try:
        for k in keys:
            clusters[k] = Steady(k[1], chunk, bins[k[0]])
            clusters[k].run_for(warm)
            clusters[k].pause()
        for i in range(rounds):
            for k in (keys if i % 2 == 0 else keys[::-1]):
                s = clusters[k]
                s.resume()
                s.run_for(warm)
                r = s.window(secs)
                s.pause()
                res[k].append(r)
                print(f"  round {i} {k[0]} {k[1]:6d} queued: {r['rate']:8.0f}/s over {r['n']} results;"
                      f" depth min {r['qmin']} mean {r['qmean']:.0f}"
                      f" ({100 * r['low']:.1f} % of polls under half; master: {r['master_min']});"
                      f" master CPU {r['cpu_ms']:.1f} ms / 1k tasks (loop thread"
                      f" {r['loop_ms']:.1f}); load {r['load']:.2f}", flush=True)
                if os.environ.get("SVERBOSE"):
                    print(f"    master threads, ms / 1k tasks: {r['threads']}; per task: {r['io']}",
                          flush=True)
    finally:
        for s in clusters.values():
            s.close()
    for b in bins:
        tag = f" [{b}]" if len(bins) > 1 else ""
        lo, hi = res[(b, 1000)], res[(b, 100000)]
        for d, rs in ((1000, lo), (100000, hi)):
            report(f"steady dispatch rate, ~{d} queued{tag}", [r["rate"] for r in rs], "tasks/s",
                   f"steady{d}{b}")
            report(f"  master CPU per 1k tasks, ~{d} queued{tag}", [r["cpu_ms"] for r in rs],
                   "ms")
        report(f"steady dispatch ratio 100k / 1k{tag} (paired)",
               [h["rate"] / l["rate"] for h, l in zip(hi, lo)], "(goal >= 0.9)")
        report(f"  master CPU ratio 100k / 1k{tag} (paired)",
               [h["cpu_ms"] / l["cpu_ms"] for h, l in zip(hi, lo)], "(lower is better)")
        print(f"{'  ratio of the medians':50s} "
              f"{statistics.median(r['rate'] for r in hi) / statistics.median(r['rate'] for r in lo):10.3f}",
              flush=True)
    if len(bins) > 1:
        for d in (1000, 100000):
            report(f"A / B dispatch rate, ~{d} queued (paired)",
                   [a["rate"] / b["rate"] for a, b in zip(res[("A", d)], res[("B", d)])], "")


def bench_dask(n=5000):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("dask: python3-distributed not installed; skipped")
        return
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as lc, Client(lc) as cl:
        rates = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            cl.gather(cl.map(lambda x: None, range(n), pure=False))
            rates.append(n / (time.perf_counter() - t0))
        report(f"dask no-op tasks, 2 workers ({n})", rates, "tasks/s", "dask_fn")
        lat = []
        for _ in range(100):
            t0 = time.perf_counter()
            cl.submit(lambda: None, pure=False).result()
            lat.append((time.perf_counter() - t0) * 1000)
        report("dask submit->result, one task", lat, "ms", "dask_lat")


def ratios():
    """herd against each baseline, from the same run: min and median each."""
    def line(what, a, b, invert=False, goal=""):
        if a not in RESULTS or b not in RESULTS:
            return
        r = [RESULTS[a][i] / RESULTS[b][i] for i in (0, 1)]
        if invert:
            r = [1 / x for x in r]
        print(f"{what:50s} min {r[0]:10.2f}  median {r[1]:10.2f}  {goal}", flush=True)
    print("# ratios (same run)")
    line("herd / dask, no-op function tasks/s", "herd_fn", "dask_fn", goal=">= 20")
    line("herd / work queue, /bin/true tasks/s", "herd_cmd", "wq_cmd")
    line("herd / work queue's best run", "herd_cmd", "wq_best", goal=">= 3")
    line("herd / bare spawn loop (1 in flight)", "herd_cmd", "spawn1", goal=">= 0.75")
    line("herd / bare spawn (2 in flight)", "herd_cmd", "spawn2")
    line("dask latency / herd latency", "herd_lat", "dask_lat", invert=True)


def want(part):
    """BENCH=commands,spawn,... runs only those parts (default: all)."""
    only = os.environ.get("BENCH")
    return not only or part in only.split(",")


if __name__ == "__main__":
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    if want("functions") or want("latency"):
        c = herd_cluster(cores=8)
        try:
            if want("functions"):
                bench_functions(c)
            if want("latency"):
                bench_latency(c)
        finally:
            c.close()
    if want("commands"):
        bench_commands()
    if want("workqueue"):
        bench_workqueue()
    if want("dask"):
        bench_dask()
    ratios()
    if want("queue"):
        bench_queue()
    if want("steady"):
        bench_steady()
