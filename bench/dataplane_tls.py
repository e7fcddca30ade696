#!/usr/bin/python3
"""dataplane_tls.py — what TLS costs a distributed graph job
(docs/benchmarks.md, "TLS on the data plane").

Two clusters on loopback, each a master and 2 workers, identical except that
one runs with --tls-cert/--tls-key/--tls-ca on every process (control and
data plane under TLS); certificates are made with the `openssl` command.
PageRank ITERS iterations on a Kronecker graph (herd's .hgr), submitted with
`herd run --master`, on the pull path (one VECTOR frame per partition per
round) and the message path (--no-fast-path: BATCH frames, far more bytes),
alternating plain and TLS, RUNS rounds; prints min and median wall time of
`herd run` per case, and the CPU time (user + sys) the two workers spent
on it, which other load on the machine disturbs far less than wall time;
checks that TLS and plain outputs are identical.

Usage: /usr/bin/python3 bench/dataplane_tls.py [SCALE] [RUNS] [ITERS]
(defaults 18, 3, 20). HERD_BIN picks the binary (default build/herd)."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "proc"))
os.environ.setdefault("HERD_BIN", os.path.join(ROOT, "build", "herd"))
from cluster import HERD, Cluster, poll  # noqa: E402


def ossl(d, *args):
    subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)


def pki(d):
    ossl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench-ca")
    for name, san in [("master", "IP:127.0.0.1"), ("worker", "DNS:worker")]:
        ossl(d, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\n")
        ossl(d, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")


def cluster(d, tls):
    def flags(name):
        if not tls:
            return []
        return ["--tls-cert", f"{d}/{name}.pem", "--tls-key", f"{d}/{name}.key",
                "--tls-ca", f"{d}/ca.pem"]
    c = Cluster(heartbeat_ms=500)
    c.start_master(extra=flags("master"))
    for w in ("w0", "w1"):
        c.start_worker(w, cores=1, extra=flags("worker"))
    poll(lambda: len(c.ready_workers()) == 2, 30, what="2 workers")
    return c


def cpu_s(c):
    """User + sys seconds of the cluster's worker processes so far."""
    total = 0
    for w in c.workers.values():
        with open(f"/proc/{w.p.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def run(c, graph, iters, opts, out):
    """(wall s of `herd run`, worker CPU s)"""
    c0, t0 = cpu_s(c), time.monotonic()
    subprocess.run([HERD, "run", "pagerank", graph, "--iterations", str(iters), *opts,
                    "--master", f"127.0.0.1:{c.http_port - 1}", "--workers", "2",
                    "--output", out], check=True, capture_output=True, timeout=1200)
    return time.monotonic() - t0, cpu_s(c) - c0


def main():
    scale = int(sys.argv[1]) if len(sys.argv) > 1 else 18
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    iters = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    d = tempfile.mkdtemp(prefix="herd-tls-bench-")
    pki(d)
    el, g = f"{d}/kron.el", f"{d}/kron.hgr"
    subprocess.run([HERD, "generate", "kronecker", "--scale", str(scale), "--degree", "16",
                    "--seed", "1", "-o", el], check=True, capture_output=True)
    subprocess.run([HERD, "convert", el, g], check=True, capture_output=True)
    print(f"Kronecker scale {scale}, degree 16; {runs} runs, {iters} iterations; "
          f"load average at start {os.getloadavg()}")
    clusters = {"plain": cluster(d, False), "tls": cluster(d, True)}
    times = {}
    try:
        for path, opts in [("pull", []), ("messages", ["--no-fast-path"])]:
            for r in range(runs):
                for name, c in clusters.items():
                    t = run(c, g, iters, opts, f"{d}/{path}-{name}.txt")
                    times.setdefault((path, name), []).append(t)
            same = open(f"{d}/{path}-plain.txt").read() == open(f"{d}/{path}-tls.txt").read()
            print(f"{path} path: TLS output {'identical to' if same else 'DIFFERS from'} plain")
    finally:
        for c in clusters.values():
            c.close()
    print("| path | wall plain min / median (s) | wall TLS min / median (s) | "
          "worker CPU plain / TLS, median (s) | TLS cost: wall min/min, CPU median |")
    print("|---|---|---|---|---|")
    for path in ("pull", "messages"):
        pw, tw = [w for w, _ in times[(path, "plain")]], [w for w, _ in times[(path, "tls")]]
        pc = statistics.median(c for _, c in times[(path, "plain")])
        tc = statistics.median(c for _, c in times[(path, "tls")])
        print(f"| {path} | {min(pw):.3f} / {statistics.median(pw):.3f} | "
              f"{min(tw):.3f} / {statistics.median(tw):.3f} | {pc:.2f} / {tc:.2f} | "
              f"{(min(tw) / min(pw) - 1) * 100:+.1f} %, {(tc / pc - 1) * 100:+.1f} % |")
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
