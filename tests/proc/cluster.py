"""Real-process test harness: starts `herd master` and `herd worker` processes
on loopback (ports chosen by the OS, read back from a port file), talks to the
master's HTTP API, and polls for conditions instead of sleeping."""
import hashlib
import hmac
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

HERD = os.environ.get("HERD_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "herd")


def poll(cond, timeout, interval=0.02, what="condition"):
    """Calls cond() until it returns a truthy value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Proc:
    def __init__(self, args, log_path, env=None):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        e = dict(os.environ)
        e.update(env or {})
        self.p = subprocess.Popen([HERD] + args, stdout=self.log, stderr=self.log,
                                  env=e, start_new_session=True)

    def signal(self, sig):
        self.p.send_signal(sig)

    def alive(self):
        return self.p.poll() is None

    def wait(self, timeout):
        return self.p.wait(timeout=timeout)

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.alive():
            try:
                os.killpg(self.p.pid, signal.SIGCONT)
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.p.wait(timeout=10)
        self.log.close()


class Cluster:
    """A master and its workers in a temporary directory."""

    def __init__(self, heartbeat_ms=1000, lost_after=3, secret=None):
        self.dir = tempfile.mkdtemp(prefix="herd-test-")
        self.heartbeat_ms = heartbeat_ms
        self.lost_after = lost_after
        self.secret_file = None
        self.secret = secret
        if secret is not None:
            self.secret_file = self.path("secret")
            with open(self.secret_file, "w") as f:
                f.write(secret + "\n")
        self.master = None
        self.workers = {}
        self.control_port = 0
        self.http_port = 0
        self.starts = 0

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def start_master(self, port=0, extra=()):
        self.starts += 1
        pf = self.path("ports")
        if os.path.exists(pf):
            os.unlink(pf)
        # No --http: the API is on control port + 1, the convention clients use.
        args = ["master", "--listen", f"127.0.0.1:{port}",
                "--data-dir", self.path("data"), "--port-file", pf,
                "--heartbeat-ms", str(self.heartbeat_ms), "--lost-after", str(self.lost_after)]
        if self.secret_file:
            args += ["--secret-file", self.secret_file]
        args += list(extra)
        # With port 0 the OS picks the control port and HTTP takes port + 1,
        # which another process may hold: a master that exits before writing
        # its port file is started again (a fresh control port), a few times.
        for _ in range(5):
            self.master = Proc(args, self.path(f"master-{self.starts}.log"))
            ports = poll(lambda: self._read_ports(pf) or (not self.master.alive() and "died"),
                         10, what="master port file")
            if ports != "died" or port != 0:
                break
            self.master.stop()
        assert ports != "died", "the master exited at start: " + self.master.text()[-500:]
        self.control_port, self.http_port = ports["control"], ports["http"]
        return self.master

    @staticmethod
    def _read_ports(pf):
        try:
            with open(pf) as f:
                kv = dict(line.strip().split("=") for line in f if "=" in line)
            return {k: int(v) for k, v in kv.items()}
        except (FileNotFoundError, ValueError):
            return None

    def start_worker(self, wid, cores=1, secret_file=None, extra=()):
        args = ["worker", f"127.0.0.1:{self.control_port}", "--id", wid,
                "--cores", str(cores), "--work-dir", self.path("work-" + wid)]
        sf = secret_file or self.secret_file
        if sf:
            args += ["--secret-file", sf]
        args += list(extra)
        w = Proc(args, self.path(f"worker-{wid}.log"))
        self.workers[wid] = w
        return w

    # --- HTTP API ---
    def http(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}",
                                     data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.secret is not None:
            req.add_header("Authorization", self.auth_header(method, path, data or b""))
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def auth_header(self, method, path, body):
        """HERD-HMAC client authentication (docs/api.md)."""
        ts = str(int(time.time() * 1000))
        nonce = os.urandom(16).hex()
        msg = "\n".join([method, path, ts, nonce, hashlib.sha256(body).hexdigest()])
        mac = hmac.new(self.secret.encode(), msg.encode(), hashlib.sha256).hexdigest()
        return f"HERD-HMAC ts={ts},nonce={nonce},mac={mac}"

    def workers_info(self):
        code, body = self.http("GET", "/v1/workers")
        assert code == 200, body
        return {w["id"]: w for w in body["workers"]}

    def ready_workers(self):
        return [w for w, i in self.workers_info().items() if i["state"] == "ready"]

    def submit(self, spec):
        code, body = self.http("POST", "/v1/jobs", spec)
        assert code == 201, (code, body)
        return body["id"]

    def job(self, jid):
        code, body = self.http("GET", f"/v1/jobs/{jid}")
        assert code == 200, (code, body)
        return body

    def tasks(self, jid):
        code, body = self.http("GET", f"/v1/jobs/{jid}/tasks")
        assert code == 200, (code, body)
        return body["tasks"]

    def wait_job(self, jid, timeout=60):
        return poll(lambda: self._final(jid), timeout, interval=0.05, what=f"job {jid} to end")

    def _final(self, jid):
        try:
            j = self.job(jid)
        except (OSError, AssertionError):
            return None
        return j if j["state"] in ("succeeded", "failed", "canceled") else None

    def stats(self):
        code, body = self.http("GET", "/v1/health")
        assert code == 200, body
        return body.get("stats", {})

    def close(self):
        for w in self.workers.values():
            w.stop()
        if self.master:
            self.master.stop()
