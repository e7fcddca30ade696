"""Hostile peers on the control port, beyond test_cluster.py's malformed
frames: a well-formed HELLO from a peer that does not hold the secret, a
replayed HELLO, a HELLO flood, messages out of order, and many idle
connections. The master must refuse each, keep serving real workers, and
never log the secret."""
import hashlib
import hmac
import os
import socket
import struct

import pytest

from cluster import Cluster, poll

SECRET = b"frames-bad-secret-0123456789abcdef"
MAGIC, VERSION = 0x48455244, 1
HDR = struct.Struct(">IHHI")
CHALLENGE, HELLO, WELCOME, REFUSE, HEARTBEAT, RESULT = 1, 2, 3, 4, 5, 7
E_AUTH = 7


def frame(mtype, body):
    return HDR.pack(MAGIC, VERSION, mtype, len(body)) + body


def s_(text):
    b = text.encode()
    return struct.pack(">I", len(b)) + b


def hello_body(worker_id, master_nonce, secret=SECRET, nonce=None):
    nonce = nonce or os.urandom(32)
    if secret is None:
        mac = bytes(32)
    else:
        mac = hmac.new(secret, b"herd-worker\0" + master_nonce + nonce + worker_id.encode(),
                       hashlib.sha256).digest()
    return (struct.pack(">H", VERSION) + s_("0.1.0") + s_(worker_id) + s_("127.0.0.1")
            + struct.pack(">HIQ", 0, 1, 1 << 30) + struct.pack(">I", 0) + nonce + mac
            + struct.pack(">I", 0))


def read_frame(s):
    hdr = recv_exact(s, HDR.size)
    if hdr is None:
        return None
    magic, version, mtype, length = HDR.unpack(hdr)
    assert magic == MAGIC and version == VERSION
    return mtype, recv_exact(s, length)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        try:
            chunk = s.recv(n - len(buf))
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def connect_and_challenge(c):
    s = socket.create_connection(("127.0.0.1", c.control_port), timeout=10)
    mtype, body = read_frame(s)
    assert mtype == CHALLENGE
    (proto,) = struct.unpack(">H", body[:2])
    assert proto == VERSION
    return s, body[2:34]


def closed_after(s):
    """Reads frames until the master closes; returns their types."""
    types = []
    while True:
        f = read_frame(s)
        if f is None:
            return types
        types.append(f[0])


@pytest.fixture
def cluster():
    c = Cluster(secret=SECRET.decode())
    c.start_master()
    yield c
    c.close()


def test_wellformed_hello_without_the_secret_is_refused(cluster):
    s, nonce = connect_and_challenge(cluster)
    s.sendall(frame(HELLO, hello_body("mallory", nonce, secret=b"guessed-secret-xxxxxxxxxxxx")))
    mtype, body = read_frame(s)
    assert mtype == REFUSE
    assert struct.unpack(">H", body[:2])[0] == E_AUTH
    assert closed_after(s) == []
    s.close()
    s, nonce = connect_and_challenge(cluster)
    s.sendall(frame(HELLO, hello_body("mallory2", nonce, secret=None)))  # zero MAC
    assert read_frame(s)[0] == REFUSE
    s.close()
    assert "authentication failed" in cluster.master.text()
    assert cluster.workers_info() == {}


def test_hello_answering_the_challenge_with_the_secret_is_welcomed(cluster):
    s, nonce = connect_and_challenge(cluster)
    s.sendall(frame(HELLO, hello_body("raw-worker", nonce)))
    mtype, _ = read_frame(s)
    assert mtype == WELCOME
    poll(lambda: "raw-worker" in cluster.workers_info(), 5, what="raw worker registered")
    s.close()


def test_replayed_hello_from_an_earlier_connection_is_refused(cluster):
    s, nonce = connect_and_challenge(cluster)
    captured = frame(HELLO, hello_body("victim", nonce))
    s.sendall(captured)
    assert read_frame(s)[0] == WELCOME
    s.close()
    s2, nonce2 = connect_and_challenge(cluster)
    assert nonce2 != nonce, "the master must use a fresh nonce per connection"
    s2.sendall(captured)
    mtype, body = read_frame(s2)
    assert mtype == REFUSE and struct.unpack(">H", body[:2])[0] == E_AUTH
    s2.close()


def test_hello_flood_on_one_connection_closes_it(cluster):
    s, nonce = connect_and_challenge(cluster)
    one = frame(HELLO, hello_body("flood", nonce))
    try:
        s.sendall(one * 2000)
    except (BrokenPipeError, ConnectionResetError):
        pass
    types = closed_after(s)
    assert types[:1] == [WELCOME] and HELLO not in types
    s.close()
    assert "flood" not in [w for w, i in cluster.workers_info().items() if i["state"] == "ready"]
    assert cluster.master.alive()


def test_hello_flood_over_many_connections_leaves_the_master_serving(cluster):
    socks = []
    for i in range(200):
        s = socket.create_connection(("127.0.0.1", cluster.control_port), timeout=10)
        s.sendall(frame(HELLO, hello_body(f"f{i}", bytes(32), secret=b"x" * 20)))
        socks.append(s)
    for s in socks:
        s.close()
    cluster.start_worker("real")
    poll(lambda: "real" in cluster.ready_workers(), 10, what="a real worker among the flood")
    assert not any(w.startswith("f") for w in cluster.ready_workers())


def test_messages_before_hello_close_the_connection(cluster):
    for mtype, body in [(HEARTBEAT, struct.pack(">QI", 1, 0)), (RESULT, b"\0" * 40),
                        (CHALLENGE, struct.pack(">H", 1) + bytes(32))]:
        s, _ = connect_and_challenge(cluster)
        s.sendall(frame(mtype, body))
        assert WELCOME not in closed_after(s)
        s.close()
    assert cluster.master.alive()


def test_many_idle_connections_do_not_block_a_worker(cluster):
    idle = [socket.create_connection(("127.0.0.1", cluster.control_port), timeout=10)
            for _ in range(300)]
    try:
        cluster.start_worker("w")
        poll(lambda: cluster.ready_workers() == ["w"], 10, what="worker ready beside 300 idle")
    finally:
        for s in idle:
            s.close()


def test_secret_is_never_logged_by_anyone(cluster):
    s, nonce = connect_and_challenge(cluster)
    s.sendall(frame(HELLO, hello_body("probe", nonce, secret=b"wrong-wrong-wrong-wrong")))
    read_frame(s)
    s.close()
    cluster.start_worker("w")
    poll(lambda: cluster.ready_workers() == ["w"], 10, what="worker ready")
    logs = [cluster.master.text(), cluster.workers["w"].text()]
    for name in os.listdir(os.path.join(cluster.dir, "data")):
        p = os.path.join(cluster.dir, "data", name)
        if name.endswith(".jsonl") and os.path.isfile(p):
            with open(p, "rb") as f:
                logs.append(f.read().decode(errors="replace"))
    for text in logs:
        assert SECRET.decode() not in text
        assert SECRET.hex() not in text
