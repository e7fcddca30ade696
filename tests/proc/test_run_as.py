"""A worker started as root runs its tasks as an unprivileged user
(`herd worker --run-as USER`): the task's uid, gid and groups are USER's, it
can write its own sandbox and nothing of root's."""
import os
import pwd

import pytest

from cluster import Cluster, poll

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="--run-as tests need root")


def nobody():
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' on this machine")


@pytest.fixture
def cluster():
    c = Cluster()
    os.chmod(c.dir, 0o711)  # the user must be able to traverse to its sandbox
    yield c
    c.close()


def stdout_of(c, jid, index=0):
    code, out = c.http("GET", f"/v1/jobs/{jid}/tasks/{index}/stdout")
    assert code == 200, out
    return out["data"]


def test_tasks_run_as_the_configured_user(cluster):
    pw = nobody()
    cluster.start_master()
    cluster.start_worker("w", extra=["--run-as", "nobody"])
    poll(lambda: cluster.ready_workers() == ["w"], 10, what="worker ready")
    forbidden = cluster.path("root-only")
    os.mkdir(forbidden, 0o755)
    script = (f"id -u; id -g; id -G; touch ./mine && echo sandbox-ok; "
              f"touch {forbidden}/x 2>/dev/null && echo ESCAPED || echo denied")
    jid = cluster.submit({"tasks": [{"argv": ["/bin/sh", "-c", script]}]})
    job = cluster.wait_job(jid, 20)
    assert job["state"] == "succeeded", job
    lines = stdout_of(cluster, jid).split()
    assert lines[0] == str(pw.pw_uid) and lines[1] == str(pw.pw_gid), lines
    assert "0" not in lines[2:-2], f"root's groups kept: {lines}"
    assert lines[-2:] == ["sandbox-ok", "denied"], lines
    assert not os.path.exists(os.path.join(forbidden, "x"))
    assert "tasks run as user nobody" in cluster.workers["w"].text()


def test_run_as_root_or_unknown_user_is_refused_at_start(cluster):
    cluster.start_master()
    for user, why in [("root", "refusing to run tasks as root"),
                      ("no-such-user-herd", "no such user")]:
        w = cluster.start_worker(f"w-{user}", extra=["--run-as", user])
        assert w.wait(10) != 0
        assert why in w.text()
