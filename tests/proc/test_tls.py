"""TLS on the control connection (`--tls-cert/--tls-key/--tls-ca` on master
and worker) with real processes: a worker with a certificate from the
cluster CA registers and runs tasks over TLS; a plain-TCP worker, a worker
whose certificate comes from another CA, and a worker that does not trust
the master's certificate are all kept out, each with a clear log line. A
worker turned away for a TLS reason (a certificate either side rejects, a
name mismatch, TLS on one end only) exits non-zero naming the reason; one
that merely cannot reach the master keeps retrying. Certificates are made
per run with the `openssl` command."""
import os
import shutil
import socket
import struct
import subprocess
import time

import pytest

from cluster import Cluster, poll

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None,
                                reason="the openssl command is needed to make test certificates")

SECRET = "tls-test-secret-0123456789abcdef"


def ossl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True, timeout=30)


def make_ca(d, name):
    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={name}",
         cwd=d)


def make_cert(d, ca, name, san):
    ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
    with open(os.path.join(d, f"{name}.ext"), "w") as f:
        f.write(f"subjectAltName={san}\n")
    ossl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
         "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=d)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("pki"))
    make_ca(d, "ca")
    make_ca(d, "rogue-ca")
    make_cert(d, "ca", "master", "IP:127.0.0.1")
    make_cert(d, "ca", "worker", "DNS:worker")
    make_cert(d, "rogue-ca", "rogue", "DNS:rogue")
    return lambda name: os.path.join(d, name)


@pytest.fixture
def cluster(pki):
    c = Cluster(secret=SECRET)
    c.start_master(extra=["--tls-cert", pki("master.pem"), "--tls-key", pki("master.key"),
                          "--tls-ca", pki("ca.pem")])
    yield c
    c.close()


def tls_worker(c, pki, wid, cert="worker", ca="ca.pem"):
    return c.start_worker(wid, extra=["--tls-cert", pki(f"{cert}.pem"),
                                      "--tls-key", pki(f"{cert}.key"), "--tls-ca", pki(ca)])


def test_worker_with_a_cluster_certificate_runs_tasks_over_tls(cluster, pki):
    tls_worker(cluster, pki, "good")
    poll(lambda: cluster.ready_workers() == ["good"], 10, what="TLS worker ready")
    jid = cluster.submit({"tasks": [{"argv": ["/bin/sh", "-c", f"echo tls-{i}"]}
                                    for i in range(5)]})
    assert cluster.wait_job(jid, 20)["state"] == "succeeded"
    code, out = cluster.http("GET", f"/v1/jobs/{jid}/tasks/3/stdout")
    assert code == 200 and out["data"].strip() == "tls-3"
    assert "control connections use TLS" in cluster.master.text()


def test_the_control_port_speaks_tls_not_plain_frames(cluster):
    s = socket.create_connection(("127.0.0.1", cluster.control_port), timeout=5)
    s.settimeout(1.0)
    with pytest.raises(socket.timeout):
        s.recv(12)  # a plain master would send CHALLENGE ("HERD...") at once
    s.settimeout(5)
    s.sendall(struct.pack(">IHHI", 0x48455244, 1, 2, 0))  # a plain HELLO header
    try:
        data = s.recv(4096)
    except ConnectionResetError:
        data = b""
    assert not data.startswith(b"HERD")
    s.close()
    poll(lambda: "TLS" in cluster.master.text() and "closing this connection" in
         cluster.master.text(), 5, what="the TLS failure logged")


@pytest.mark.parametrize("kind", ["plain", "rogue-cert", "distrusts-master", "no-cert"])
def test_workers_outside_the_pki_are_kept_out(cluster, pki, kind):
    if kind == "plain":
        w = cluster.start_worker("intruder")
    elif kind == "rogue-cert":
        w = tls_worker(cluster, pki, "intruder", cert="rogue")
    elif kind == "distrusts-master":
        w = tls_worker(cluster, pki, "intruder", ca="rogue-ca.pem")
    else:
        w = cluster.start_worker("intruder", extra=["--tls-ca", pki("ca.pem")])
    tls_worker(cluster, pki, "good")
    poll(lambda: "good" in cluster.ready_workers(), 10, what="the good worker ready")
    t0 = time.monotonic()
    poll(lambda: time.monotonic() - t0 > 2.0, 3, what="2 s for the intruder to try")
    assert "intruder" not in cluster.workers_info()
    text = cluster.master.text() + w.text()
    assert "TLS" in text
    if kind == "distrusts-master":
        assert "certificate verify failed" in w.text()
    assert SECRET not in text


# --- a worker that TLS turns away exits with the reason instead of retrying ---

@pytest.fixture(scope="module")
def pki_more(pki):
    d = os.path.dirname(pki("ca.pem"))
    make_cert(d, "ca", "elsewhere", "IP:10.9.9.9")  # a cluster certificate for another host
    return pki


def exits_with(w, timeout=15):
    rc = poll(lambda: None if w.alive() else w.p.returncode, timeout, what="the worker to exit")
    assert rc != 0, w.text()[-800:]
    return w.text()


@pytest.mark.parametrize("kind,reason", [
    ("distrusts-master", "certificate verify failed"),
    ("master-named-elsewhere", "IP address mismatch"),
    ("rogue-cert", "unknown ca"),
    ("plain-worker", "this master requires TLS"),
])
def test_a_worker_refused_by_a_tls_master_exits_naming_the_reason(pki_more, kind, reason):
    pki = pki_more
    c = Cluster(secret=SECRET)
    cert = "elsewhere" if kind == "master-named-elsewhere" else "master"
    c.start_master(extra=["--tls-cert", pki(f"{cert}.pem"), "--tls-key", pki(f"{cert}.key"),
                          "--tls-ca", pki("ca.pem"), "--handshake-ms", "400"])
    try:
        if kind == "plain-worker":
            w = c.start_worker("intruder")
        elif kind == "rogue-cert":
            w = tls_worker(c, pki, "intruder", cert="rogue")
        elif kind == "distrusts-master":
            w = tls_worker(c, pki, "intruder", ca="rogue-ca.pem")
        else:
            w = tls_worker(c, pki, "intruder")
        text = exits_with(w)
        assert reason in text
        assert "not retrying" in text or "refused this worker" in text
        assert SECRET not in text
    finally:
        c.close()


def test_a_tls_worker_exits_when_the_master_speaks_plain_tcp(pki):
    c = Cluster(secret=SECRET)
    c.start_master()
    try:
        w = tls_worker(c, pki, "w")
        assert "plain herd frames, not TLS" in exits_with(w)
    finally:
        c.close()


def test_a_tls_worker_retries_a_master_that_is_not_up_yet(pki):
    c = Cluster(secret=SECRET)
    tls = ["--tls-cert", pki("master.pem"), "--tls-key", pki("master.key"),
           "--tls-ca", pki("ca.pem")]
    c.start_master(extra=tls)
    port = c.control_port
    c.master.stop()  # the port is free now: the worker's connects are refused
    try:
        w = tls_worker(c, pki, "late")
        poll(lambda: "could not reach the master" in w.text(), 10,
             what="a failed connect")
        assert w.alive()
        c.start_master(port=port, extra=tls)
        poll(lambda: c.ready_workers() == ["late"], 20, what="the worker registered")
    finally:
        c.close()
