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
sch_netem; see has_netem()). Where the kernel lacks netem, the same fault is
built from userspace parts: drop_input() drops a share of a node's incoming
packets with nftables, and delay_relay() starts a TCP relay (run_relay(),
this file run as a script) in a node's namespace that holds every chunk for
a fixed time in each direction; clients dial the relay instead of the server.

The tests talk to the master's HTTP API on loopback inside the master's
namespace, through a socket created there (setns in a short-lived thread), so
the observer never shares the links under test.

Needs root and `ip` (iproute2). usable() says why not, for a skip message."""
import asyncio
import ctypes
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time

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
        self.relays = []
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

    def has_nft(self):
        """None if nftables rules can be loaded in a namespace here, else why not."""
        if shutil.which("nft") is None:
            return "`nft` (nftables) not installed (scripts/deps.sh installs it)"
        r = _in_ns(self.bridge_ns, "nft", "add", "table", "inet", "herdprobe", check=False)
        if r.returncode != 0:
            return "nftables unusable in a namespace: " + r.stderr.strip()
        _in_ns(self.bridge_ns, "nft", "delete", "table", "inet", "herdprobe", check=False)
        return None

    def drop_input(self, name, pct):
        """Drops `pct`% of the packets that reach node `name` over its link
        (eth0; its loopback is spared), at random, with nftables."""
        ns = self.ns(name)
        _in_ns(ns, "nft", "add", "table", "inet", "herdtest")
        _in_ns(ns, "nft", "add", "chain", "inet", "herdtest", "c",
               "{ type filter hook input priority 0; }")
        _in_ns(ns, "nft", "add", "rule", "inet", "herdtest", "c", "iifname", "eth0",
               "numgen", "random", "mod", "100", "<", str(pct), "counter", "drop")

    def delay_relay(self, name, target_port, delay_ms, log_path):
        """Starts a relay in node `name`'s namespace that forwards connections
        on a new port of the node's address to `target_port` there, holding
        each chunk `delay_ms` in each direction (order kept). Returns the
        relay's port; close() stops it. Its log counts the connections."""
        addr = self.addr(name)
        log = open(log_path, "ab")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(name), sys.executable,
                              os.path.abspath(__file__), "relay", addr, addr,
                              str(target_port), str(delay_ms)],
                             stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        log.close()
        self.relays.append(p)
        line = p.stdout.readline().decode()
        if not line.startswith("port "):
            raise RuntimeError(f"delay relay did not start (see {log_path})")
        return int(line.split()[1])

    def close(self):
        for p in self.relays:
            p.kill()
            p.wait(timeout=10)
        self.relays = []
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
        self.worker_port = None  # workers dial this port instead (a relay), if set
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
        port = self.worker_port or self.control_port
        args = ["worker", f"{self.net.addr(self.master_name)}:{port}",
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


# --- the delaying relay (runs as `python3 netns.py relay ...` in a namespace) ---
async def _pump(reader, writer, delay, stats):
    """Copies reader to writer, each chunk written `delay` s after it was
    read; a single queue and one writer task keep the order."""
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()
            stats["bytes"] += len(data)

    sender = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((time.monotonic() + delay, data or None))
            if not data:
                break
        await sender
    finally:
        sender.cancel()


async def _relay_conn(client_r, client_w, target, delay, stats):
    stats["conns"] += 1
    print(f"relay: connection {stats['conns']}", file=sys.stderr, flush=True)
    try:
        server_r, server_w = await asyncio.open_connection(*target)
    except OSError as e:
        print(f"relay: cannot reach {target}: {e}", file=sys.stderr, flush=True)
        client_w.close()
        return
    pumps = [asyncio.ensure_future(_pump(client_r, server_w, delay, stats)),
             asyncio.ensure_future(_pump(server_r, client_w, delay, stats))]
    try:
        # a reset on either side ends both directions
        await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for p in pumps:
            p.cancel()
        client_w.close()
        server_w.close()


async def run_relay(listen_host, target_host, target_port, delay_ms):
    stats = {"conns": 0, "bytes": 0}
    target = (target_host, target_port)
    server = await asyncio.start_server(
        lambda r, w: _relay_conn(r, w, target, delay_ms / 1000.0, stats), listen_host, 0)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "relay":
    asyncio.run(run_relay(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
