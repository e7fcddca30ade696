"""TLS and hostile bytes on the worker-to-worker data plane, with real
processes: distributed graph jobs between TLS workers give the bytes of the
one-process engine; a packet capture on loopback (root only) shows no
plaintext frame on the data ports of TLS workers, while the same capture of
a plain cluster does see them (so the check can fail); a plaintext client
on a TLS worker's data port is refused and logged; garbage on a plain
worker's data port is logged as a bad frame, the worker keeps running and a
graph job afterwards succeeds.

Run: HERD_BIN=$PWD/build/herd /usr/bin/python3 -m pytest -q tests/proc/test_tls_data.py"""
import ctypes
import os
import shutil
import signal
import socket
import struct
import threading

import pytest

from cluster import Cluster, poll
from test_graph_dist import PARTS, chain_graph, dataset, one_process, read_parts
from test_tls import make_ca, make_cert

SECRET = "tls-data-secret-0123456789abcdef"
PLAIN_HEADER = struct.pack(">IH", 0x48455244, 1)  # "HERD" + version: every plain frame

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None,
                                   reason="the openssl command is needed to make certificates")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("pki"))
    make_ca(d, "ca")
    make_cert(d, "ca", "master", "IP:127.0.0.1")
    for w in ("w0", "w1", "w2"):
        make_cert(d, "ca", w, f"DNS:{w}")
    return lambda name: os.path.join(d, name)


def tls_args(pki, name):
    return ["--tls-cert", pki(f"{name}.pem"), "--tls-key", pki(f"{name}.key"),
            "--tls-ca", pki("ca.pem")]


def start(pki, n, tls=True):
    c = Cluster(heartbeat_ms=200, secret=SECRET)
    c.start_master(extra=tls_args(pki, "master") if tls else ())
    for i in range(n):
        c.start_worker(f"w{i}", extra=tls_args(pki, f"w{i}") if tls else ())
    poll(lambda: len(c.ready_workers()) == n, 20, what=f"{n} workers ready")
    return c


def graph_job(c, out, algo, graph, workers, extra=None):
    spec = {"algo": algo, "graph": str(graph), "format": "snap", "workers": workers,
            "partitions": PARTS, "threads": 1, "output_dir": str(out), "partitioning": "range"}
    spec.update(extra or {})
    code, body = c.http("POST", "/v1/graph-jobs", spec)
    assert code == 201, body
    return body["id"]


def run_job(c, out, algo, graph, workers, extra=None):
    jid = graph_job(c, out, algo, graph, workers, extra)
    j = poll(lambda: (lambda j: j if j["state"] in ("done", "failed") else None)(
        c.http("GET", f"/v1/graph-jobs/{jid}")[1]), 90, interval=0.05, what=f"graph job {jid}")
    return j


def data_ports(c):
    return {w["data_port"] for w in c.workers_info().values()}


def port_filter(ports):
    """A classic BPF program for `lo` that keeps IPv4 TCP packets from or to
    one of `ports` (so other loopback traffic cannot crowd ours out)."""
    prog = [(0x28, 0, 0, 12), (0x15, 0, "drop", 0x0800),  # ldh [12]; IPv4?
            (0x30, 0, 0, 23), (0x15, 0, "drop", 6),        # ldb [23]; TCP?
            (0xb1, 0, 0, 14)]                              # x = IP header length
    for off in (14, 16):                                   # source, destination port
        prog.append((0x48, 0, 0, off))
        prog += [(0x15, "keep", 0, p) for p in ports]
    prog += [(0x06, 0, 0, 0), (0x06, 0, 0, 0x40000)]       # drop, keep
    at = {"drop": len(prog) - 2, "keep": len(prog) - 1}
    out = b""
    for i, (code, jt, jf, k) in enumerate(prog):
        jt = at[jt] - i - 1 if isinstance(jt, str) else jt
        jf = at[jf] - i - 1 if isinstance(jf, str) else jf
        out += struct.pack("HBBI", code, jt, jf, k)
    return len(prog), out


class LoopbackCapture:
    """Records the TCP payload of every packet on `lo` to or from `ports`
    (AF_PACKET with a port filter, root only), all streams together."""

    def __init__(self, ports):
        self.ports = ports
        self.payload = bytearray()
        self.packets = 0
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        n, code = port_filter(sorted(ports))
        self.code = ctypes.create_string_buffer(code)  # must outlive the setsockopt
        fprog = struct.pack("HL", n, ctypes.addressof(self.code))
        self.s.setsockopt(socket.SOL_SOCKET, 26, fprog)  # SO_ATTACH_FILTER
        self.s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
        self.s.bind(("lo", 0))
        self.s.settimeout(0.2)
        self.stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while True:  # after close() asks to stop, drain what is queued first
            try:
                pkt = self.s.recv(70000)
            except socket.timeout:
                if self.stop:
                    return
                continue
            self._take(pkt[14:])  # lo has a 14-byte (zero) Ethernet header

    def _take(self, ip):
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            return
        ihl = (ip[0] & 15) * 4
        tcp = ip[ihl:]
        if len(tcp) < 20:
            return
        sport, dport = struct.unpack(">HH", tcp[:4])
        if sport in self.ports or dport in self.ports:
            body = tcp[(tcp[12] >> 4) * 4:]
            if body:
                self.packets += 1
                self.payload += body

    def close(self):
        self.stop = True
        self.t.join(30)
        self.s.close()


@needs_openssl
@pytest.mark.parametrize("algo,workers", [("pagerank", 3), ("sssp", 2)])
def test_graph_jobs_over_tls_give_the_one_process_bytes(pki, tmp_path, algo, workers):
    g = dataset("p2p-Gnutella08.txt") if algo == "pagerank" else tmp_path / "chain.txt"
    opts, extra = (), None
    if algo == "sssp":
        chain_graph(g, 400, 3)
        opts, extra = ("--source", 0), {"source": 0}
    want = one_process(algo, g, opts, tmp_path / "one")
    c = start(pki, workers)
    try:
        j = run_job(c, tmp_path / "out", algo, g, workers, extra)
        assert j["state"] == "done", j.get("error")
        assert read_parts(tmp_path / "out", PARTS) == want
        for i in range(workers):
            assert "data-plane connections use TLS" in c.workers[f"w{i}"].text()
    finally:
        c.close()


@needs_openssl
def test_network_checkpoints_over_tls_survive_a_killed_worker(pki, tmp_path):
    """Checkpoint chunks through a TLS master (the worker hands each chunk's
    bytes to TLS instead of the socket) are stored whole: a worker killed
    after the second one is rolled back from them to the one-process bytes."""
    g = dataset("p2p-Gnutella31.txt")
    want = one_process("pagerank", g, ("--iterations", 60), tmp_path / "one")
    c = start(pki, 3)
    try:
        jid = graph_job(c, tmp_path / "out", "pagerank", g, 3,
                        {"iterations": 60, "checkpoint_every": 4})

        def second_checkpoint():
            j = c.http("GET", f"/v1/graph-jobs/{jid}")[1]
            assert j["state"] not in ("done", "failed"), "the job ended before the fault"
            return j["last_checkpoint"] >= 8 and j["state"] == "running"
        poll(second_checkpoint, 60, interval=0.002, what="a second checkpoint")
        c.workers["w1"].signal(signal.SIGKILL)
        j = poll(lambda: (lambda j: j if j["state"] in ("done", "failed") else None)(
            c.http("GET", f"/v1/graph-jobs/{jid}")[1]), 90, interval=0.05, what="the job")
        assert j["state"] == "done", j.get("error")
        assert j["recoveries"] >= 1 and j["workers"] == 2
        assert read_parts(tmp_path / "out", PARTS) == want
        assert "stored on the master" in c.master.text()
    finally:
        c.close()


def capture_job(c, tmp_path):
    tmp_path.mkdir()
    cap = LoopbackCapture(data_ports(c))
    try:
        j = run_job(c, tmp_path / "out", "pagerank", dataset("p2p-Gnutella08.txt"), 2,
                    {"iterations": 5})
    finally:
        cap.close()
    assert j["state"] == "done", j.get("error")
    return cap


@needs_openssl
@pytest.mark.skipif(os.geteuid() != 0, reason="capturing loopback packets needs root")
def test_the_data_plane_carries_no_plaintext_frame(pki, tmp_path):
    plain = start(pki, 2, tls=False)
    try:  # the control: a plain data plane shows its frame headers
        cap = capture_job(plain, tmp_path / "plain")
        assert cap.packets > 10 and PLAIN_HEADER in cap.payload
    finally:
        plain.close()
    c = start(pki, 2)
    try:
        cap = capture_job(c, tmp_path / "tls")
        assert len(cap.payload) > 50_000, "the capture saw the job's vectors"
        assert PLAIN_HEADER not in cap.payload
        assert cap.payload[:3] == b"\x16\x03\x01"  # a TLS handshake record opens it
    finally:
        c.close()


@needs_openssl
def test_a_plaintext_peer_on_a_tls_data_port_is_refused(pki, tmp_path):
    c = start(pki, 2)
    try:
        port = c.workers_info()["w0"]["data_port"]
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.settimeout(1.0)
        with pytest.raises(socket.timeout):
            s.recv(12)  # a plain listener sends DCHALLENGE at once; TLS waits for a hello
        s.settimeout(5)
        s.sendall(PLAIN_HEADER + struct.pack(">HI", 102, 48) + bytes(48))  # a plain DHELLO
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
        assert PLAIN_HEADER not in data
        s.close()
        w0 = c.workers["w0"]
        poll(lambda: "incoming connection (TLS): TLS" in w0.text(), 5,
             what="the TLS refusal logged")
        assert w0.alive()
        j = run_job(c, tmp_path / "out", "sssp", write_chain(tmp_path), 2, {"source": 0})
        assert j["state"] == "done", j.get("error")
    finally:
        c.close()


def write_chain(tmp_path):
    g = tmp_path / "chain.txt"
    chain_graph(g, 200, 5)
    return g


@needs_openssl
def test_garbage_on_a_data_port_is_a_bad_frame_and_the_worker_lives(pki, tmp_path):
    c = start(pki, 2, tls=False)
    try:
        port = c.workers_info()["w1"]["data_port"]
        for junk in (b"GET / HTTP/1.1\r\n\r\n", struct.pack(">IHHI", 0x48455244, 1, 102, 1 << 30),
                     os.urandom(64)):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            assert s.recv(12).startswith(PLAIN_HEADER)  # DCHALLENGE's header
            s.sendall(junk)
            s.close()
        w1 = c.workers["w1"]
        poll(lambda: w1.text().count("bad frame") >= 2, 5, what="bad frames logged")
        assert w1.alive()
        g = write_chain(tmp_path)
        want = one_process("sssp", g, ("--source", 0), tmp_path / "one")
        j = run_job(c, tmp_path / "out", "sssp", g, 2, {"source": 0})
        assert j["state"] == "done", j.get("error")
        assert read_parts(tmp_path / "out", PARTS) == want
    finally:
        c.close()
