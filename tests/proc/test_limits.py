"""Resource limits of the master against real processes: control connection
count (--max-conns), HTTP connection count (--max-http-conns), and the time a
control connection may stay silent before its HELLO (--handshake-ms). Each
refusal is logged clearly and leaves the master serving."""
import socket
import time

import pytest

from cluster import Cluster, poll


@pytest.fixture
def cluster():
    c = Cluster()
    yield c
    c.close()


def closed_without_data(s, timeout=5):
    s.settimeout(timeout)
    try:
        return s.recv(4096) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_control_connections_over_the_limit_are_closed_and_logged(cluster):
    cluster.start_master(extra=["--max-conns", "8"])
    held = []
    for _ in range(8):
        s = socket.create_connection(("127.0.0.1", cluster.control_port), timeout=5)
        assert s.recv(12)[:4] == b"HERD", "a connection within the limit gets CHALLENGE"
        held.append(s)
    extra = socket.create_connection(("127.0.0.1", cluster.control_port), timeout=5)
    assert closed_without_data(extra), "the 9th connection must be closed at once"
    extra.close()
    poll(lambda: "refusing control connection" in cluster.master.text(), 5,
         what="the refusal log line")
    assert "--max-conns" in cluster.master.text()
    for s in held:
        s.close()
    cluster.start_worker("w")
    poll(lambda: cluster.ready_workers() == ["w"], 10, what="a worker once slots are free")


def test_silent_connection_is_closed_after_the_handshake_time(cluster):
    cluster.start_master(extra=["--handshake-ms", "500"])
    s = socket.create_connection(("127.0.0.1", cluster.control_port), timeout=5)
    t0 = time.monotonic()
    assert s.recv(12)[:4] == b"HERD"
    s.settimeout(5)
    while True:
        try:
            if s.recv(4096) == b"":
                break
        except ConnectionResetError:
            break
    took = time.monotonic() - t0
    assert 0.4 <= took < 3, took
    poll(lambda: "no HELLO within 500 ms" in cluster.master.text(), 5, what="the log line")
    cluster.start_worker("w")  # a real worker says HELLO at once and stays
    poll(lambda: cluster.ready_workers() == ["w"], 10, what="worker ready")
    ready_at = time.monotonic()
    poll(lambda: time.monotonic() - ready_at > 1.0, 2, what="twice the handshake time")
    assert cluster.ready_workers() == ["w"], "a registered worker is not cut by the timer"


def test_http_connections_over_the_limit_wait_and_are_logged(cluster):
    """libmicrohttpd stops accepting at the limit: a new connection waits in
    the backlog (unanswered) until one closes; the master logs the episode."""
    cluster.start_master(extra=["--max-http-conns", "4"])
    held = [socket.create_connection(("127.0.0.1", cluster.http_port), timeout=5)
            for _ in range(4)]
    poll(lambda: "HTTP connection limit reached" in cluster.master.text(), 5,
         what="the HTTP limit log line")
    assert "--max-http-conns 4" in cluster.master.text()
    probe = socket.create_connection(("127.0.0.1", cluster.http_port), timeout=5)
    probe.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    probe.settimeout(1.0)
    with pytest.raises(socket.timeout):
        probe.recv(4096)  # not served while 4 connections are held
    held.pop().close()
    probe.settimeout(10)
    assert probe.recv(4096).startswith(b"HTTP/1.1 200")
    probe.close()
    for s in held:
        s.close()
    poll(lambda: "below the limit again" in cluster.master.text(), 5, what="limit episode end")
