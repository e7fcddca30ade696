#!/usr/bin/python3
"""Soak run (outside CI): a master and N workers on loopback run a stream of
task jobs and, beside them, a stream of distributed graph jobs (PageRank,
SSSP and WCC in turn on a generated graph, 2 workers each, checkpoints every
4 supersteps through the master), while a random worker is SIGKILLed every
10-30 s and restarted a moment later. At the end every task of every job
must have exactly one recorded result, the one its own command printed
(checked in the journal); every graph job must have finished with the same
vertex values as the one-process engine (the lines compared as a set); and
the master's memory must be flat.

"Flat", the criterion (docs/soak.md): the master runs with small eviction
bounds (--keep-jobs finished jobs, each at most --keep-for seconds) so that
its memory should stop growing early; then
  1. the bound is reached early: the first finished job is evicted within
     the first quarter of the run (else the run proves nothing);
  2. over the second half of the run, the master's RSS (sampled every 5 s)
     grows by less than MAX_GROWTH (5 %): the least-squares line through
     the second half's samples rises by less than 5 % of their median
     across that half.
The master's other memory bound is the journal's SQLite page cache (64 MiB
by default), which fills as the journal grows: --journal-cache-mib makes it
small enough to fill early too.

Usage: /usr/bin/python3 tests/soak/soak.py [--minutes 30] [--workers 4] [--seed S]
           [--keep-jobs 50] [--keep-for 60] [--journal-cache-mib N]
Prints a summary and an RSS-by-minute table for docs/soak.md; exit status 0
if every check passed."""
import argparse
import os
import random
import signal
import sqlite3
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "proc"))
from cluster import HERD, Cluster, poll  # noqa: E402

TASKS_PER_JOB = 20
IN_FLIGHT = 3
MAX_GROWTH = 0.05
GRAPH_PARTS = 16
GRAPH_ALGOS = [("pagerank", {"iterations": 30}, ("--iterations", "30")),
               ("sssp", {"source": 1}, ("--source", "1")),
               ("wcc", {}, ())]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def job_spec(j, rng):
    tasks = []
    for i in range(TASKS_PER_JOB):
        nap = rng.choice(["0", "0.05", "0.2", "0.5"])
        tasks.append({"argv": ["/bin/sh", "-c", f"sleep {nap}; echo job{j}-task{i}"]})
    return {"name": f"soak-{j}", "retries": 50, "tasks": tasks}


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.c = Cluster()
        self.jobs = {}          # master job id -> our job number
        self.open = []          # ids of our jobs still running
        self.kills = 0
        self.rss = []           # (elapsed s, KiB, jobs in memory, jobs evicted)
        self.next_kill = 0.0
        self.graph_open = None  # (id, algo index, output dir) of the graph job in flight
        self.graph_done = 0
        self.graph_bad = []

    def herd(self, *args):
        subprocess.run([HERD, *args], check=True, capture_output=True, timeout=300)

    def prepare_graph(self):
        """A generated graph and each algorithm's one-process answer."""
        self.graph = self.c.path("soak.el")
        self.herd("generate", "kronecker", "--scale", "12", "--degree", "8", "--seed", "7",
                  "-o", self.graph)
        self.want = []
        for i, (algo, _, opts) in enumerate(GRAPH_ALGOS):
            out = self.c.path(f"want-{i}")
            fast = [] if algo == "pagerank" else ["--no-fast-path"]
            # distributed jobs on a text input partition by hash by default;
            # the one-process run must split the same way to give the same bytes
            self.herd("run", algo, self.graph, "--in-process", *fast, "--partitions",
                      str(GRAPH_PARTS), "--partitioning", "hash", "--output", out, *opts)
            with open(out) as f:
                self.want.append(sorted(f.read().splitlines()))

    def submit_graph(self):
        n = self.graph_done + len(self.graph_bad)
        k = n % len(GRAPH_ALGOS)
        algo, extra, _ = GRAPH_ALGOS[k]
        out = self.c.path(f"graph-out-{n}")
        spec = {"algo": algo, "graph": self.graph, "format": "snap", "workers": 2,
                "partitions": GRAPH_PARTS, "threads": 1, "output_dir": out,
                "checkpoint_every": 4, **extra}
        code, body = self.c.http("POST", "/v1/graph-jobs", spec)
        if code != 201:
            raise RuntimeError(f"graph job refused: {code} {body}")
        self.graph_open = (body["id"], k, out)

    def check_graph(self):
        """Follows the graph job in flight; checks a finished one and starts the next."""
        if self.graph_open is None:
            return self.submit_graph()
        jid, k, out = self.graph_open
        code, j = self.c.http("GET", f"/v1/graph-jobs/{jid}")
        if j["state"] not in ("done", "failed"):
            return
        if j["state"] == "failed":
            self.graph_bad.append(f"graph job {jid} ({GRAPH_ALGOS[k][0]}): {j['error']}")
        else:
            lines = []
            for name in sorted(os.listdir(out)):
                with open(os.path.join(out, name)) as f:
                    lines += f.read().splitlines()
            if sorted(lines) != self.want[k]:
                self.graph_bad.append(f"graph job {jid} ({GRAPH_ALGOS[k][0]}): wrong values")
            else:
                self.graph_done += 1
        shutil.rmtree(out, ignore_errors=True)
        self.graph_open = None
        self.submit_graph()

    def start(self):
        self.c.start_master(extra=["--keep-finished-jobs", str(self.args.keep_jobs),
                                   "--keep-finished-for", str(self.args.keep_for)])
        self.names = [f"w{i}" for i in range(self.args.workers)]
        for w in self.names:
            self.c.start_worker(w, cores=2)
        poll(lambda: len(self.c.ready_workers()) == len(self.names), 20, what="workers ready")
        self.prepare_graph()
        self.t0 = time.monotonic()
        self.next_kill = self.rng.uniform(10, 30)
        self.next_sample = 0.0

    def submit_more(self):
        self.open = [j for j in self.open if self.c.job(j)["state"] == "running"]
        while len(self.open) < IN_FLIGHT:
            n = len(self.jobs)
            jid = self.c.submit(job_spec(n, self.rng))
            self.jobs[jid] = n
            self.open.append(jid)

    def maybe_kill(self, now):
        if now < self.next_kill:
            return
        victim = self.rng.choice(self.names)
        self.c.workers[victim].signal(signal.SIGKILL)
        self.c.workers[victim].wait(10)
        self.kills += 1
        # restart after a moment, as a supervisor would
        time.sleep(self.rng.uniform(0.5, 3))
        self.c.workers[victim].stop()
        self.c.start_worker(victim, cores=2)
        self.next_kill = now + self.rng.uniform(10, 30)

    def sample(self, now):
        if now >= self.next_sample:
            st = self.c.stats()
            self.rss.append((now, rss_kib(self.c.master.p.pid), st.get("jobs_in_memory", -1),
                             st.get("jobs_evicted", -1)))
            self.next_sample = now + 5

    def run(self):
        end = self.args.minutes * 60
        while True:
            now = time.monotonic() - self.t0
            if now >= end:
                break
            self.submit_more()
            self.check_graph()
            self.maybe_kill(now)
            self.sample(now)
            time.sleep(0.2)
        for jid in self.jobs:
            self.c.wait_job(jid, 300)
        deadline = time.monotonic() + 300
        while self.graph_open is not None and time.monotonic() < deadline:
            jid = self.graph_open[0]
            self.check_graph()
            if self.graph_open is not None and self.graph_open[0] != jid:
                break  # the last one finished and a new one started: leave that one
            time.sleep(0.2)

    def check(self):
        bad = []
        for jid in self.jobs:
            j = self.c.job(jid)
            if j["state"] != "succeeded" or j["succeeded"] != TASKS_PER_JOB:
                bad.append(f"job {jid}: {j['state']} {j['succeeded']}/{TASKS_PER_JOB}")
        db = sqlite3.connect(self.c.path("data", "journal.db"))
        rows = db.execute("SELECT t.job_id, t.idx, r.stdout FROM tasks t "
                          "LEFT JOIN results r ON r.task_id = t.id").fetchall()
        refused = self.c.stats().get("results_refused", 0)
        db.close()
        missing = wrong = 0
        for job_id, idx, out in rows:
            if out is None:
                missing += 1
            elif bytes(out).decode().strip() != f"job{self.jobs[job_id]}-task{idx}":
                wrong += 1
        return bad, missing, wrong, len(rows), refused

    def memory(self):
        """(bound reached at s or None, median KiB, growth fraction, flat?)"""
        end = self.args.minutes * 60
        reached = next((t for t, _, _, ev in self.rss if ev > 0), None)
        half = [(t, k) for t, k, _, _ in self.rss if t >= end / 2]
        if len(half) < 3:
            return reached, 0, float("inf"), False
        n = len(half)
        mt = sum(t for t, _ in half) / n
        mk = sum(k for _, k in half) / n
        slope = (sum((t - mt) * (k - mk) for t, k in half) /
                 max(sum((t - mt) ** 2 for t, _ in half), 1e-9))
        med = statistics.median(k for _, k in half)
        growth = slope * (half[-1][0] - half[0][0]) / med
        flat = reached is not None and reached <= end / 4 and growth < MAX_GROWTH
        return reached, med, growth, flat

    def table(self):
        """One line per minute: elapsed, RSS, jobs in memory, jobs evicted."""
        rows, next_min = [], 0
        for t, k, mem, ev in self.rss:
            if t >= next_min * 60:
                rows.append(f"| {t / 60:5.1f} | {k / 1024:6.1f} | {mem} | {ev} |")
                next_min = int(t // 60) + 1
        return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--keep-jobs", type=int, default=50)
    ap.add_argument("--keep-for", type=int, default=60)
    ap.add_argument("--journal-cache-mib", type=int, default=0,
                    help="the master's SQLite page cache ($HERD_JOURNAL_CACHE_MIB; "
                         "0 = the default, 64 MiB)")
    args = ap.parse_args()
    if args.journal_cache_mib:
        os.environ["HERD_JOURNAL_CACHE_MIB"] = str(args.journal_cache_mib)
    s = Soak(args)
    try:
        s.start()
        s.run()
        bad, missing, wrong, ntasks, refused = s.check()
        reached, med, growth, flat = s.memory()
        ok = not bad and missing == 0 and wrong == 0 and flat and not s.graph_bad and \
            s.graph_done > 0
        print(f"soak: {args.minutes} min, {args.workers} workers, seed {args.seed}")
        print(f"jobs {len(s.jobs)}, tasks {ntasks}, worker kills {s.kills}, "
              f"late results refused {refused}")
        print(f"missing results {missing}, wrong results {wrong}, jobs not succeeded {len(bad)}")
        for line in bad[:10]:
            print("  " + line)
        print(f"graph jobs: {s.graph_done} equal to the one-process engine, "
              f"{len(s.graph_bad)} failed or wrong")
        for line in s.graph_bad[:10]:
            print("  " + line)
        print(f"journal page cache: {args.journal_cache_mib or 64} MiB")
        print(f"eviction bounds: {args.keep_jobs} jobs, {args.keep_for} s; first eviction at "
              f"{'never' if reached is None else f'{reached:.0f} s'}")
        print(f"master RSS over the second half: median {med / 1024:.1f} MiB, trend "
              f"{growth * 100:+.2f} % (limit {MAX_GROWTH * 100:.0f} %): "
              f"{'flat' if flat else 'NOT FLAT'}")
        print("| minute | RSS MiB | jobs in memory | jobs evicted |")
        print("|---|---|---|---|")
        print("\n".join(s.table()))
        print(f"load average at the end: {os.getloadavg()}")
        print("soak:", "PASS" if ok else "FAIL", "; data in", s.c.dir)
        return 0 if ok else 1
    finally:
        s.c.close()


if __name__ == "__main__":
    sys.exit(main())
