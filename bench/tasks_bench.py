"""Task-farm benchmark (docs/benchmarks.md, "Task jobs"): no-op function
tasks per second with 2 workers, /bin/true command tasks per second against
a bare posix_spawn loop, one task's submit->result latency, dispatch rate
with 1k vs 100k queued, master memory per queued task. Dask's LocalCluster
runs side by side when python3-distributed is installed (Debian package;
bench/tasks_vs_dask.sh installs it). Prints one line per measurement:
min and median of RUNS runs."""
import json
import os
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


def report(name, vals, unit):
    print(f"{name:45s} min {min(vals):10.1f}  median {statistics.median(vals):10.1f}  {unit}",
          flush=True)


def run_job(c, tasks):
    t0 = time.perf_counter()
    jid = c.submit({"tasks": tasks})
    t1 = time.perf_counter()
    poll(lambda: c._final(jid), 300, interval=0.002)
    return t1 - t0, time.perf_counter() - t1


def herd_cluster(cores):
    c = Cluster()
    c.start_master()
    for i in range(2):
        c.start_worker(f"w{i}", cores=cores)
    poll(lambda: len(c.ready_workers()) == 2, 10)
    return c


def bench_functions(c, n=20000):
    rates = []
    for _ in range(RUNS):
        _, run = run_job(c, [{"function": "noop", "plugin": PLUGIN} for _ in range(n)])
        rates.append(n / run)
    report(f"herd no-op function tasks, 2 workers ({n})", rates, "tasks/s")


def bench_latency(c, n=200):
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        jid = c.submit({"tasks": [{"function": "noop", "plugin": PLUGIN}]})
        poll(lambda: c._final(jid), 10, interval=0.0001)
        lat.append((time.perf_counter() - t0) * 1000)
    report("herd submit->result, one function task (HTTP)", lat, "ms")


def bench_commands(c, n=2000):
    rates = []
    for _ in range(RUNS):
        _, run = run_job(c, [{"argv": ["/bin/true"]} for _ in range(n)])
        rates.append(n / run)
    report(f"herd /bin/true command tasks ({n})", rates, "tasks/s")


def bench_spawn(n=2000):
    code = (f"import os,time\nt=time.perf_counter()\nfor _ in range({n}):\n"
            " p=os.posix_spawn('/bin/true',['/bin/true'],os.environ)\n os.waitpid(p,0)\n"
            f"print({n}/(time.perf_counter()-t))")
    rates = [float(subprocess.check_output([sys.executable, "-c", code])) for _ in range(RUNS)]
    report(f"bare posix_spawn+wait loop of /bin/true ({n})", rates, "tasks/s")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bench_queue():
    """Memory per queued task, and dispatch rate with 1k vs 100k queued."""
    c = Cluster()
    c.start_master()
    pid = c.master.p.pid
    before = rss_kb(pid)
    n = 100000
    for _ in range(n // 20000):
        c.submit({"tasks": [{"argv": ["/bin/true"]} for _ in range(20000)]})
    after = rss_kb(pid)
    print(f"{'master memory per queued task (100k queued)':45s} {(after - before) * 1024 / n:10.1f} bytes",
          flush=True)
    c.close()
    rates = {}
    for queued in (1000, 100000):
        c = Cluster()
        c.start_master()
        tasks = [{"function": "noop", "plugin": PLUGIN} for _ in range(20000)]
        for _ in range(queued // 20000 if queued >= 20000 else 1):
            c.submit({"tasks": tasks[:min(queued, 20000)]})
        for i in range(2):
            c.start_worker(f"w{i}", cores=8)
        t0 = time.perf_counter()
        poll(lambda: c.stats().get("results_accepted", 0) >= 1000, 60, interval=0.002)
        rates[queued] = 1000 / (time.perf_counter() - t0)
        c.close()
        print(f"{'dispatch rate, first 1000, with %d queued' % queued:45s} {rates[queued]:10.1f} tasks/s",
              flush=True)
    print(f"{'ratio 100k / 1k':45s} {rates[100000] / rates[1000]:10.2f}")


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
        report(f"dask no-op tasks, 2 workers ({n})", rates, "tasks/s")
        lat = []
        for _ in range(50):
            t0 = time.perf_counter()
            cl.submit(lambda: None, pure=False).result()
            lat.append((time.perf_counter() - t0) * 1000)
        report("dask submit->result, one task", lat, "ms")


if __name__ == "__main__":
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    c = herd_cluster(cores=8)
    try:
        bench_functions(c)
        bench_latency(c)
    finally:
        c.close()
    c = herd_cluster(cores=2)
    try:
        bench_commands(c)
    finally:
        c.close()
    bench_spawn()
    bench_dask()
    bench_queue()
