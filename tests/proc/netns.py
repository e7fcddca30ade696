"""Multi-host test harness: a herd master and each worker in its own network
namespace, joined through veth pairs to a bridge that lives in a dedicated
namespace of its own. Nothing is created in the root namespace; the private
test subnet exists only inside these namespaces, so no traffic leaves them.

    node ns "<prefix>-<name>":  eth0 10.X.Y.k/24  <--veth-->  p<k> (bridge ns)
    bridge ns "<prefix>-br":    br0 with every p<k> enslaved

Link faults act on the bridge side of a node's veth pair, so the node keeps
its address and routes while packets silently vanish (a real partition, not
"network unreachable"): cut()/heal() set the port down/up; shape() adds
latency and loss with tc netem on both ends of the pair (if the kernel has
sch_netem; see has_netem()).

The tests talk to the master's HTTP API on loopback inside the master's
namespace, through a socket created there (setns in a short-lived thread), so
the observer never shares the links under test.

Needs root and `ip` (iproute2). usable() says why not, for a skip message."""
import ctypes
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import threading

from cluster import HERD, Cluster, Proc, poll

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _ip(*args, check=True):
    r = subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=20)
    if check and r.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {r.stderr.strip()}")
    return r


def _in_ns(ns, *argv, check=True):
    r = subprocess.run(["ip", "netns", "exec", ns] + list(argv), capture_output=True,
                       text=True, timeout=20)
    if check and r.returncode != 0:
        raise RuntimeError(f"{ns}: {' '.join(argv)}: {r.stderr.strip()}")
    return r


def usable():
    """None if namespaces can be made here, else the reason (for pytest.skip)."""
    if os.geteuid() != 0:
        return "network-namespace tests need root (CI runs them as root)"
    if shutil.which("ip") is None:
        return "iproute2 `ip` not installed (scripts/deps.sh installs it)"
    probe = f"herdprobe{os.getpid()}"
    r = _ip("netns", "add", probe, check=False)
    if r.returncode != 0:
        return f"cannot create a network namespace: {r.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


def socket_in_netns(ns, family=socket.AF_INET, kind=socket.SOCK_STREAM):
    """A socket that belongs to namespace `ns` (made by a thread that joins it)."""
    out = {}

    def run():
        fd = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns {ns}")
            out["sock"] = socket.socket(family, kind)
        except BaseException as e:  # handed to the caller below
            out["err"] = e
        finally:
            os.close(fd)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "err" in out:
        raise out["err"]
    return out["sock"]


class Net:
    """A bridge and its nodes; close() removes every namespace it made."""

    def __init__(self):
        tag = f"{os.getpid() % 100000}{random.randrange(16**3):03x}"
        self.prefix = f"herdt{tag}"
        self.subnet = f"10.{random.randrange(200, 250)}.{random.randrange(256)}"
        self.bridge_ns = f"{self.prefix}-br"
        self.nodes = {}
        self.namespaces = []
        self._add_ns(self.bridge_ns)
        _in_ns(self.bridge_ns, "ip", "link", "add", "br0", "type", "bridge")
        _in_ns(self.bridge_ns, "ip", "link", "set", "br0", "up")

    def _add_ns(self, ns):
        _ip("netns", "add", ns)
        self.namespaces.append(ns)
        _in_ns(ns, "ip", "link", "set", "lo", "up")

    def add_node(self, name):
        """Creates node `name`; returns its address in the test subnet."""
        k = len(self.nodes) + 2
        ns = f"{self.prefix}-{name}"
        self._add_ns(ns)
        port = f"p{k}"
        _ip("link", "add", port, "netns", self.bridge_ns, "type", "veth",
            "peer", "name", "eth0", "netns", ns)
        _in_ns(self.bridge_ns, "ip", "link", "set", port, "master", "br0")
        _in_ns(self.bridge_ns, "ip", "link", "set", port, "up")
        addr = f"{self.subnet}.{k}"
        _in_ns(ns, "ip", "addr", "add", f"{addr}/24", "dev", "eth0")
        _in_ns(ns, "ip", "link", "set", "eth0", "up")
        self.nodes[name] = {"ns": ns, "port": port, "addr": addr}
        return addr

    def ns(self, name):
        return self.nodes[name]["ns"]

    def addr(self, name):
        return self.nodes[name]["addr"]

    def mac(self, name):
        r = _in_ns(self.ns(name), "ip", "-j", "link", "show", "eth0")
        return json.loads(r.stdout)[0]["address"]

    def pin_neighbor(self, name, addr, mac):
        """A permanent ARP entry on node `name`: during a cut its SYNs then go
        out and vanish (as across a router) instead of failing at once for
        want of ARP."""
        _in_ns(self.ns(name), "ip", "neigh", "replace", addr, "lladdr", mac, "dev", "eth0",
               "nud", "permanent")

    # --- link faults ---
    def cut(self, name):
        _in_ns(self.bridge_ns, "ip", "link", "set", self.nodes[name]["port"], "down")

    def heal(self, name):
        _in_ns(self.bridge_ns, "ip", "link", "set", self.nodes[name]["port"], "up")

    def isolate(self, names, on=True):
        """Bridge port isolation: isolated nodes cannot reach one another but
        still reach every other node (a partition between workers only)."""
        for name in names:
            _in_ns(self.bridge_ns, "bridge", "link", "set", "dev", self.nodes[name]["port"],
                   "isolated", "on" if on else "off")

    def has_netem(self):
        """None if tc netem works here, else why not (for pytest.skip)."""
        if shutil.which("tc") is None:
            return "`tc` (iproute2) not installed"
        ns = self.bridge_ns
        r = _in_ns(ns, "tc", "qdisc", "add", "dev", "br0", "root", "netem", "delay", "1ms",
                   check=False)
        if r.returncode != 0:
            return ("tc netem unavailable (kernel module sch_netem missing?): "
                    + r.stderr.strip())
        _in_ns(ns, "tc", "qdisc", "del", "dev", "br0", "root", check=False)
        return None

    def shape(self, name, delay_ms, loss_pct):
        """Latency and loss on both directions of node `name`'s link."""
        spec = ["netem", "delay", f"{delay_ms}ms", "loss", f"{loss_pct}%"]
        n = self.nodes[name]
        _in_ns(n["ns"], "tc", "qdisc", "replace", "dev", "eth0", "root", *spec)
        _in_ns(self.bridge_ns, "tc", "qdisc", "replace", "dev", n["port"], "root", *spec)

    def close(self):
        for ns in reversed(self.namespaces):
            _ip("netns", "del", ns, check=False)
        self.namespaces = []


class NsProc(Proc):
    """A herd process run inside a namespace (`ip netns exec` execs herd, so
    the pid is herd's own: signals reach it directly)."""

    def __init__(self, ns, args, log_path, env=None):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        e = dict(os.environ)
        e.update(env or {})
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, HERD] + args, stdout=self.log,
                                  stderr=self.log, env=e, start_new_session=True)


class NsCluster(Cluster):
    """A Cluster whose master and workers each sit in their own namespace of
    `net`. The master listens on its subnet address (which needs the cluster
    secret) and serves HTTP on its own loopback."""

    def __init__(self, net, secret="netns-cluster-secret-0123456789abcdef", **kw):
        super().__init__(secret=secret, **kw)
        self.net = net
        self.master_name = "master"
        net.add_node(self.master_name)

    def start_master(self, port=0):
        self.starts += 1
        pf = self.path("ports")
        if os.path.exists(pf):
            os.unlink(pf)
        args = ["master", "--listen", f"{self.net.addr(self.master_name)}:{port}",
                "--http", "127.0.0.1:0", "--data-dir", self.path("data"), "--port-file", pf,
                "--heartbeat-ms", str(self.heartbeat_ms), "--lost-after", str(self.lost_after),
                "--secret-file", self.secret_file]
        self.master = NsProc(self.net.ns(self.master_name), args,
                             self.path(f"master-{self.starts}.log"))
        ports = poll(lambda: self._read_ports(pf), 10, what="master port file")
        self.control_port, self.http_port = ports["control"], ports["http"]
        return self.master

    def start_worker(self, wid, cores=1, secret_file=None, extra=()):
        if wid not in self.net.nodes:
            self.net.add_node(wid)
        args = ["worker", f"{self.net.addr(self.master_name)}:{self.control_port}",
                "--id", wid, "--cores", str(cores), "--work-dir", self.path("work-" + wid),
                "--secret-file", secret_file or self.secret_file] + list(extra)
        # the data plane (graph jobs) listens on the node's own address
        w = NsProc(self.net.ns(wid), args, self.path(f"worker-{wid}.log"),
                   env={"HERD_DATA_HOST": self.net.addr(wid)})
        self.workers[wid] = w
        return w

    def restart_worker(self, wid, **kw):
        self.workers[wid].stop()
        return self.start_worker(wid, **kw)

    def http(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {}
        if data is not None:
            headers["Content-Type"] = "application/json"
        headers["Authorization"] = self.auth_header(method, path, data or b"")
        conn = _NsHTTPConnection(self.net.ns(self.master_name), "127.0.0.1", self.http_port)
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            return r.status, json.loads(r.read() or b"null")
        finally:
            conn.close()


class _NsHTTPConnection(http.client.HTTPConnection):
    def __init__(self, ns, host, port):
        super().__init__(host, port, timeout=10)
        self.ns = ns

    def connect(self):
        s = socket_in_netns(self.ns)
        s.settimeout(self.timeout)
        s.connect((self.host, self.port))
        self.sock = s
