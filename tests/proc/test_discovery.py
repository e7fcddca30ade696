"""Discovery and the client commands: a DNS name with several addresses,
$HERD_MASTER, and `herd workers/submit/wait/status` against a live master."""
import os
import shutil
import subprocess

import pytest

from cluster import HERD, Cluster, Proc, poll


@pytest.fixture
def cluster():
    c = Cluster()
    yield c
    c.close()


def can_unshare():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not can_unshare(), reason="needs root and mount namespaces (unshare -m)")
def test_worker_tries_each_address_of_a_dns_name(cluster):
    """The name resolves to ::1 (where nothing listens; RFC 6724 sorts it
    first) and 127.0.0.1 (the master): the worker must fall through to the
    second. /etc/hosts is replaced only inside the worker's mount namespace."""
    cluster.start_master()
    hosts = cluster.path("hosts")
    with open(hosts, "w") as f:
        f.write("::1 herd-multi.test\n127.0.0.1 herd-multi.test\n")
    cmd = (f"mount --bind {hosts} /etc/hosts && exec {HERD} worker "
           f"herd-multi.test:{cluster.control_port} --id multi --cores 1 "
           f"--work-dir {cluster.path('work-multi')}")
    w = Proc.__new__(Proc)
    w.log_path = cluster.path("worker-multi.log")
    w.log = open(w.log_path, "ab")
    w.p = subprocess.Popen(["unshare", "-m", "sh", "-c", cmd], stdout=w.log, stderr=w.log,
                           env=dict(os.environ, HERD_LOG="debug"), start_new_session=True)
    cluster.workers["multi"] = w
    poll(lambda: cluster.ready_workers() == ["multi"], 10, what="worker via a multi-address name")
    log = w.text()
    assert f"connected to the master at 127.0.0.1:{cluster.control_port}" in log


def herd(*args, env=None, timeout=30):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([HERD] + list(args), capture_output=True, text=True, env=e,
                          timeout=timeout)


def test_herd_master_env_names_the_master_for_workers_and_clients(cluster):
    cluster.start_master()
    env = {"HERD_MASTER": f"127.0.0.1:{cluster.control_port}"}
    w = Proc(["worker", "--id", "envw", "--cores", "2", "--work-dir", cluster.path("w")],
             cluster.path("worker-envw.log"), env=env)
    cluster.workers["envw"] = w
    poll(lambda: cluster.ready_workers() == ["envw"], 10, what="worker via $HERD_MASTER")
    table = herd("workers", env=env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["ID", "HOST", "STATE"]
    assert any(l.split()[0] == "envw" and "ready" in l for l in lines[1:])
    sub = herd("submit", "--", "/bin/echo", "hello from herd", env=env)
    assert sub.returncode == 0, sub.stderr
    jid = sub.stdout.split()[-1] if sub.stdout.strip() else None
    assert jid and jid.isdigit(), sub.stdout
    waited = herd("wait", jid, env=env)
    assert waited.returncode == 0, waited.stdout + waited.stderr
    logs = herd("logs", jid, "0", env=env)
    assert logs.returncode == 0 and "hello from herd" in logs.stdout
    status = herd("status", jid, env=env)
    assert status.returncode == 0 and "succeeded" in status.stdout


def test_herd_wait_exits_nonzero_for_a_failed_job(cluster):
    cluster.start_master()
    env = {"HERD_MASTER": f"127.0.0.1:{cluster.control_port}"}
    cluster.start_worker("f")
    poll(lambda: cluster.ready_workers() == ["f"], 10, what="worker ready")
    sub = herd("submit", "--retries", "0", "--", "/bin/false", env=env)
    assert sub.returncode == 0, sub.stderr
    jid = sub.stdout.split()[-1]
    waited = herd("wait", jid, env=env)
    assert waited.returncode != 0


def test_client_refuses_job_ids_that_do_not_fit_64_bits():
    r = herd("status", "99999999999999999999999")
    assert r.returncode == 2
    assert "bad job id" in r.stderr
